//! What the diagnose tests share: running the real binary, and the shape of a predicted grant.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `oauth-drift ARGS` in `dir` with color off and no CI variable.
pub fn oauth_drift(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oauth-drift"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .output()
        .expect("the binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Runs `oauth-drift ARGS` with `input` on stdin.
pub fn oauth_drift_with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauth-drift"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CI")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("stdin takes the input");
    child.wait_with_output().expect("the binary runs")
}

/// What one grant returns: a refresh_token, the consent screen, the provider's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub refresh_token: bool,
    pub consent: bool,
    pub error: Option<&'static str>,
}

/// A grant without error.
pub const fn ok(refresh_token: bool, consent: bool) -> Grant {
    Grant {
        refresh_token,
        consent,
        error: None,
    }
}

/// A grant refused with `error`.
pub const fn fails(error: &'static str) -> Grant {
    Grant {
        refresh_token: false,
        consent: false,
        error: Some(error),
    }
}
