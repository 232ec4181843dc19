//! Reports: human (colored), JSON, and the outcome model they share.

pub mod human;
pub mod json;
mod outcome;

pub use outcome::{CaseReport, Outcome, Report, Summary};
