//! Integration tests: one binary, one module per capability.

mod bad_input;
mod compare;
mod github;
mod ledger;
mod reports;
mod run_cli;
mod snapshots;
mod support;
