//! Reports: human (colored), JSON, JUnit, Markdown, GitHub annotations and step summary, the
//! `compare` table, and the outcome model they share.

pub mod compare;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
mod outcome;

pub use outcome::{CaseReport, KnownDrift, LedgerStatus, LiveInfo, ModelParity, Outcome, Report, Summary};
