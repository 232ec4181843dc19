//! The command line: the JSON contract, stdin, color, a token response next to a URL.

use serde_json::Value;

use super::support::{code, oauth_drift, oauth_drift_with_stdin, stderr, stdout};

const FORCE: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=5.apps.googleusercontent.com&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline&approval_prompt=force";
const CONFLICT: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=5.apps.googleusercontent.com&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline&prompt=consent&approval_prompt=force";

fn json_of(args: &[&str]) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let output = oauth_drift(dir.path(), args);
    let value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (code(&output), value)
}

#[test]
fn the_json_starts_with_the_design_shape() {
    let (exit, json) = json_of(&["diagnose", FORCE, "--format", "json"]);
    assert_eq!(exit, 1);
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).take(5).collect();
    assert_eq!(
        keys,
        ["provider", "first_grant", "repeat_grant", "findings", "fixed_url"]
    );
    assert_eq!(json["provider"], "google");
    for grant in ["first_grant", "repeat_grant"] {
        let keys: Vec<&str> = json[grant]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .take(3)
            .collect();
        assert_eq!(keys, ["refresh_token", "consent_screen", "error"], "{grant}");
    }
    assert_eq!(json["first_grant"]["refresh_token"], true);
    assert_eq!(json["repeat_grant"]["refresh_token"], false);
    assert_eq!(json["repeat_grant"]["error"], Value::Null);
    let finding = &json["findings"][0];
    let keys: Vec<&str> = finding
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .take(5)
        .collect();
    assert_eq!(keys, ["code", "severity", "message", "fix", "source"]);
    assert_eq!(finding["code"], "OD103");
    assert_eq!(finding["severity"], "warning");
    assert!(
        json["fixed_url"]
            .as_str()
            .unwrap()
            .ends_with("&access_type=offline&prompt=consent")
    );

    let (exit, json) = json_of(&["diagnose", CONFLICT, "--format", "json"]);
    assert_eq!(exit, 1);
    assert_eq!(json["first_grant"]["error"], "invalid_request");
    assert_eq!(
        json["first_grant"]["error_description"],
        "Conflict params: approval_prompt and prompt"
    );
    assert_eq!(json["first_grant"]["status"], 400);
    assert_eq!(json["findings"][0]["code"], "OD101");
}

#[test]
fn the_url_can_come_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let pasted = format!("From the bug report:\n\n  {FORCE}\n\nThanks!\n");
    let output = oauth_drift_with_stdin(dir.path(), &["diagnose", "-"], &pasted);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(stdout(&output).contains("OD103"));
    let output = oauth_drift_with_stdin(dir.path(), &["diagnose"], &pasted);
    assert_eq!(code(&output), 1, "a piped URL needs no `-`: {}", stderr(&output));
}

#[test]
fn human_output_is_colored_when_asked_and_plain_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let colored = oauth_drift(dir.path(), &["diagnose", FORCE, "--color", "always"]);
    assert!(stdout(&colored).contains("\u{1b}["), "colors with --color always");
    let plain = oauth_drift(dir.path(), &["diagnose", FORCE]);
    assert!(
        !stdout(&plain).contains("\u{1b}["),
        "no colors when stdout is not a terminal"
    );
}

#[test]
fn a_token_response_without_refresh_token_is_explained_by_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let token = r#"{"access_token": "ya29.a0AfB_secret_value", "expires_in": 3599, "scope": "https://www.googleapis.com/auth/userinfo.email", "token_type": "Bearer"}"#;
    std::fs::write(dir.path().join("token.json"), token).unwrap();
    let output = oauth_drift(
        dir.path(),
        &["diagnose", FORCE, "--token-response", "token.json", "--format", "json"],
    );
    assert_eq!(code(&output), 1);
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["findings"][0]["code"], "OD180");
    let message = json["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("the given token response has no refresh_token"),
        "{message}"
    );
    assert!(
        message.contains("most likely a repeat grant") && message.contains("OD103"),
        "{message}"
    );
    assert_eq!(json["observed"]["token_response"]["refresh_token"], false);
    assert!(!stdout(&output).contains("secret_value"));

    let testing = r#"{"access_token": "ya29.x", "refresh_token": "1//x", "refresh_token_expires_in": 604799, "expires_in": 3599, "token_type": "Bearer"}"#;
    std::fs::write(dir.path().join("testing.json"), testing).unwrap();
    let drive = "https://accounts.google.com/o/oauth2/v2/auth?client_id=5&redirect_uri=https://app.example.com/cb&response_type=code&scope=https://www.googleapis.com/auth/drive&access_type=offline&prompt=consent";
    let output = oauth_drift(
        dir.path(),
        &[
            "diagnose",
            drive,
            "--token-response",
            "testing.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&output), 0);
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["publishing_status"], "testing");
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "OD170")
    );
}

#[test]
fn megabytes_of_pasted_urls_are_diagnosed_through_the_binary() {
    // issue 9 item 5: 400 KB of URLs took 14 s and 1.6 MB did not finish, because the URL
    // extraction searched the rest of the text again for every URL (the work is counted in
    // the unit test `many_urls_are_read_in_linear_work`; the speed is in benches/diagnose_input.rs)
    let dir = tempfile::tempdir().unwrap();
    let line = format!("{FORCE}\n");
    let text = line.repeat(1_600_000 / line.len());
    for text in [text.clone(), text.replace('\n', " ")] {
        let output = oauth_drift_with_stdin(dir.path(), &["diagnose", "-", "--format", "json"], &text);
        assert_eq!(code(&output), 1, "{}", stderr(&output));
        let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(json["findings"][0]["code"], "OD103");
        let notes = json["request"]["notes"].as_array().unwrap();
        let picked = notes.iter().find(|n| n["kind"] == "picked_url").unwrap();
        assert_eq!(picked["of"], text.len() / line.len());
    }
}
