//! Unusable input gets a clear message and exit 2, never a panic and never an echoed secret.

use std::path::Path;

use oauth_drift::Registry;
use oauth_drift::diagnose::{Har, Input, Options, TokenResponse, diagnose};

use super::support::{code, oauth_drift, stderr, stdout};

const GOOD: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=1.apps.googleusercontent.com&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline&prompt=consent";

fn refused(args: &[&str], files: &[(&str, &str)], expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let output = oauth_drift(dir.path(), args);
    assert_eq!(code(&output), 2, "{args:?}: {}{}", stdout(&output), stderr(&output));
    assert!(
        stderr(&output).contains(expected),
        "{args:?}: expected {expected:?} in {}",
        stderr(&output)
    );
    assert!(
        stdout(&output).is_empty(),
        "nothing on stdout for unusable input: {}",
        stdout(&output)
    );
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

#[test]
fn garbage_empty_and_wrong_hosts_are_refused() {
    refused(
        &["diagnose", "lorem ipsum dolor sit amet"],
        &[],
        "no URL found in the input",
    );
    refused(&["diagnose", "   "], &[], "the input is empty");
    refused(
        &[
            "diagnose",
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=x&scope=openid",
        ],
        &[],
        "login.microsoftonline.com is not a host of the provider `google`",
    );
    refused(
        &[
            "diagnose",
            "https://accounts.google.com/signin/oauth/error?authError=not-a-protobuf",
        ],
        &[],
        "this is Google's error page, and its authError parameter is missing or unreadable",
    );
    refused(
        &["diagnose", "https://oauth2.googleapis.com/token"],
        &[],
        "/token on oauth2.googleapis.com is not an authorization endpoint",
    );
    refused(
        &["diagnose", "https://accounts.google.com/o/oauth2/v2/auth"],
        &[],
        "the authorization URL has no parameters",
    );
    refused(
        &["diagnose", "https://accounts.google.com:99999/o/oauth2/v2/auth?x=1"],
        &[],
        "not a usable URL: invalid port number",
    );
    refused(
        &["diagnose", GOOD, "--provider", "gogle"],
        &[],
        "unknown provider `gogle`; did you mean `google`?",
    );
}

#[test]
fn a_pasted_callback_is_refused_without_echoing_its_code() {
    let callback = "https://app.example.com/cb?state=xyz&code=4/0AeaYSHDSecretCode123&scope=email";
    let dir = tempfile::tempdir().unwrap();
    let output = oauth_drift(dir.path(), &["diagnose", callback]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output)
            .contains("this is the redirect back to the app (it carries an authorization code, not shown here)"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("SecretCode123"));
}

#[test]
fn bad_files_are_refused_with_their_path() {
    refused(
        &["diagnose", "--har", "page.har"],
        &[("page.har", "<!DOCTYPE html><html><title>Sign in</title></html>")],
        "page.har is an HTML page, not a HAR file",
    );
    refused(
        &["diagnose", "--har", "x.har"],
        &[("x.har", "{\"log\": {\"version\": \"1.2\", \"entries\": [")],
        "x.har is truncated: its JSON ends at line 1",
    );
    refused(
        &["diagnose", "--har", "x.har"],
        &[("x.har", "{\"entries\": []}")],
        "x.har is not a HAR file: it has no `log` object",
    );
    refused(&["diagnose", "--har", "x.har"], &[("x.har", "")], "x.har is empty");
    refused(
        &["diagnose", "--har", "x.har"],
        &[("x.har", "{\"log\": {\"entries\": []}}")],
        "x.har has no authorization request to `google` (0 entries)",
    );
    refused(&["diagnose", "--har", "missing.har"], &[], "failed to read missing.har");
    refused(
        &["diagnose", GOOD, "--token-response", "t.json"],
        &[("t.json", "<html><body>405</body></html>")],
        "t.json is an HTML page, not a token response",
    );
    refused(
        &["diagnose", GOOD, "--token-response", "t.json"],
        &[("t.json", "{\"access_token\": \"ya29.a0Secret")],
        "t.json is truncated",
    );
    refused(
        &["diagnose", GOOD, "--token-response", "t.json"],
        &[("t.json", "{\"kind\": \"drive#file\"}")],
        "t.json is not a token response",
    );
    refused(
        &["diagnose", GOOD, "--token-response", "t.json"],
        &[("t.json", "{\"access_token\": 1 2}")],
        "t.json is not valid JSON: expected `,` or `}` at line 1, column 20",
    );
}

#[test]
fn explain_knows_every_code_and_suggests_the_closest() {
    let dir = tempfile::tempdir().unwrap();
    let output = oauth_drift(dir.path(), &["explain", "OD103"]);
    assert_eq!(code(&output), 0);
    let text = stdout(&output);
    for part in [
        "OD103 approval-prompt-ignored",
        "History",
        "2016-03-10",
        "Sources",
        "googleapis/oauth2client #453",
        "Fix",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
    let output = oauth_drift(dir.path(), &["explain", "approval-prompt-ignored", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["code"], "OD103");
    // a letter O typed for a zero is forgiven (docs/diagnose.md promises it)
    let output = oauth_drift(dir.path(), &["explain", "OD1O3"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).starts_with("OD103 approval-prompt-ignored"));
    refused(
        &["explain", "OD1033"],
        &[],
        "unknown finding code `OD1033`; did you mean `OD103`?",
    );
    refused(
        &["explain", "approval-promt-ignored"],
        &[],
        "did you mean `approval-prompt-ignored`?",
    );
    refused(
        &["explain", "nonsense"],
        &[],
        "`oauth-drift explain --list` lists every code",
    );
    let output = oauth_drift(dir.path(), &["explain", "--list"]);
    assert_eq!(code(&output), 0);
    assert_eq!(stdout(&output).lines().count(), oauth_drift::diagnose::CATALOGUE.len());
}

/// A small deterministic generator, so a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn no_input_makes_the_library_panic() {
    let registry = Registry::builtin();
    let mut rng = Lcg(7);
    let seeds = [
        GOOD,
        "https://accounts.google.com/v3/signin/identifier?continue=https%3A%2F%2Faccounts.google.com%2Fo%2Foauth2%2Fv2%2Fauth%3Fclient_id%3D1&o2v=2",
        "client_id=1&scope=email&redirect_uri=urn:ietf:wg:oauth:2.0:oob&code_challenge_method=plain&prompt=%0A",
        "https%3A%2F%2Faccounts.google.com%2Fo%2Foauth2%2Fauth%3Fclient_id%3D1%2526",
    ];
    let alphabet: Vec<char> = "%&=?#/:.;+ \n\r\t\\\"'<>()[]{}~*@!$,0123456789abcdefABCDEF_-éü\u{0}\u{feff}"
        .chars()
        .collect();
    let providers = ["google", "google@2015", "oidc"];
    for i in 0..1500 {
        let seed = seeds[i % seeds.len()];
        let mut text: Vec<char> = seed.chars().collect();
        for _ in 0..(rng.next() % 8) {
            let at = (rng.next() as usize) % (text.len() + 1);
            match rng.next() % 3 {
                0 => text.insert(at, alphabet[(rng.next() as usize) % alphabet.len()]),
                1 if at < text.len() => {
                    text.remove(at);
                }
                _ => text.truncate(at),
            }
        }
        let text: String = text.into_iter().collect();
        let options = Options {
            provider: providers[i % providers.len()].to_string(),
            ..Default::default()
        };
        let input = Input {
            pasted: Some(text.clone()),
            ..Default::default()
        };
        if let Ok(oauth_drift::diagnose::Diagnosed::Response(response)) =
            oauth_drift::diagnose::diagnose_any(&input, &options, &registry)
        {
            let _ = oauth_drift::diagnose::render::response_human(&response);
            let _ = oauth_drift::diagnose::render::response_json(&response);
        }
        if let Ok(diagnosis) = diagnose(&input, &options, &registry) {
            let _ = oauth_drift::diagnose::render::human(&diagnosis);
            let _ = oauth_drift::diagnose::render::json(&diagnosis);
            let _ = oauth_drift::diagnose::scenario(&diagnosis);
        }
        let _ = Har::parse(Path::new("f.har"), &text);
        let _ = TokenResponse::parse(Path::new("t.json"), &text);
    }
}

#[test]
fn a_device_that_never_ends_is_read_up_to_the_stdin_cap() {
    // issue 9 item 5: /dev/zero as --token-response used to be read until memory ran out
    if !std::path::Path::new("/dev/zero").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = oauth_drift(dir.path(), &["diagnose", "--token-response", "/dev/zero"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("/dev/zero"), "{}", stderr(&output));
}
