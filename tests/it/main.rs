//! Integration tests: one binary, one module per capability.

mod bad_input;
mod browser;
mod compare;
mod concurrency;
mod github;
mod google_client;
mod ledger;
mod parity;
mod reports;
mod run_cli;
mod serve;
mod serve_process;
mod snapshots;
mod support;
