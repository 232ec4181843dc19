//! oauth-drift: a diagnostic and regression-test harness for OAuth parameter drift.

pub mod provider;
pub mod runner;
pub mod model;
pub mod scenario;
pub mod transcript;
