//! Google's official Python client libraries (google-auth-oauthlib, google-auth) against a
//! `serve` process, using only the client-secrets file serve wrote.
//!
//! scripts/test installs the pinned libraries from PyPI when they are not importable.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serve_process::{ServeProcess, read_client_secrets};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/google_auth_flow.py");

/// Runs a command to its end within `limit`, returning (success, stdout, stderr).
pub fn run_bounded(command: &mut Command, limit: Duration) -> (bool, String, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).ok();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.success(), out.join().unwrap(), err.join().unwrap())
}

fn libraries_importable() -> bool {
    let mut check = Command::new("python3");
    check.args([
        "-c",
        "import google_auth_oauthlib.flow, google.oauth2.credentials, requests",
    ]);
    matches!(check.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).status(), Ok(s) if s.success())
}

#[test]
fn googles_python_client_library_works_against_serve_unchanged_but_for_the_secrets_file() {
    assert!(
        libraries_importable(),
        "python3 cannot import google-auth-oauthlib: run scripts/test, which installs the pinned versions"
    );
    let dir = tempfile::tempdir().unwrap();
    let secrets_path = dir.path().join("client_secret.json");
    let mut server = ServeProcess::start(&["--write-client-secrets", secrets_path.to_str().unwrap()]);
    let (_, client) = read_client_secrets(&secrets_path);
    let secret = client["client_secret"].as_str().unwrap().to_string();

    let mut command = Command::new("python3");
    command
        .arg(SCRIPT)
        .arg(&server.base)
        .arg(&secrets_path)
        .env_remove("OAUTHLIB_INSECURE_TRANSPORT");
    let (ok, stdout, stderr) = run_bounded(&mut command, Duration::from_secs(60));
    assert!(ok, "the Python flow failed:\n{stdout}\n{stderr}");
    let steps: BTreeMap<String, Value> = stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .map(|v| (v["step"].as_str().unwrap().to_string(), v))
        .collect();
    let step = |name: &str| {
        steps
            .get(name)
            .unwrap_or_else(|| panic!("no `{name}` step in:\n{stdout}"))
    };

    assert_eq!(step("first_grant")["consent_screen"], "shown");
    assert_eq!(
        step("first_grant")["refresh_token"],
        true,
        "first grant returns a refresh_token"
    );
    assert_eq!(step("first_grant")["id_token"], true);
    assert_eq!(step("first_grant")["valid"], true);
    assert_eq!(
        step("first_grant")["scopes"],
        serde_json::json!([
            "https://www.googleapis.com/auth/drive.file",
            "https://www.googleapis.com/auth/userinfo.email",
            "openid"
        ])
    );
    assert_eq!(step("repeat_grant")["consent_screen"], "skipped");
    assert_eq!(
        step("repeat_grant")["refresh_token"],
        false,
        "a repeat grant comes back without a refresh_token"
    );
    assert_eq!(step("prompt_consent")["consent_screen"], "shown");
    assert_eq!(
        step("prompt_consent")["refresh_token"],
        true,
        "prompt=consent brings the refresh_token back"
    );
    assert_eq!(step("refresh")["valid"], true);
    assert_eq!(step("refresh")["new_access_token"], true);
    assert_eq!(
        step("userinfo")["email"],
        "carol@example.com",
        "login_hint chose the simulated user"
    );
    assert_eq!(step("revoke")["status"], 200);
    assert_eq!(step("refresh_after_revoke")["refused"], true);
    assert_eq!(step("refresh_after_revoke")["error"], "invalid_grant");

    assert!(server.terminate().success());
    let log = server.stderr();
    assert!(log.contains("login_hint=carol%40example.com"), "{log}");
    assert!(
        !log.contains(&secret) && !stdout.contains(&secret),
        "the client secret leaked"
    );
}
