//! oauth-drift: a diagnostic and regression-test harness for OAuth parameter drift.

pub mod bundled;
pub mod cli;
pub mod diagnose;
pub mod exit;
pub mod ledger;
pub mod limits;
pub mod live;
pub mod model;
pub mod profile_diff;
pub mod provider;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod serve;
pub mod snapshot;
pub mod target;
pub mod transcript;
