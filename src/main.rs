//! The `oauth-drift` binary: everything lives in the library; this maps it to a process.

fn main() -> std::process::ExitCode {
    oauth_drift::run_cli()
}
