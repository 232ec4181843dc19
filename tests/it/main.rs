//! Integration tests: one binary, one module per capability.

mod bad_input;
mod run_cli;
mod snapshots;
mod support;
