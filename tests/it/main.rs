//! Integration tests: one binary, one module per capability.

mod bad_input;
mod browser;
mod compare;
mod concurrency;
mod diagnose;
mod fake_google;
mod first_hour;
mod github;
mod google_client;
mod hostile_input;
mod ledger;
mod live_support;
mod new_provider;
mod oidc_peer;
mod parity;
mod probe;
mod probe_trust;
mod reports;
mod run_cli;
mod scenario_format;
mod secrets;
mod serve;
mod serve_hostile;
mod serve_process;
mod snapshots;
mod support;
