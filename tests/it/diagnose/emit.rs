//! `--emit-scenario` through the binary: the scenario it writes passes `oauth-drift run`,
//! in the shapes that matter (no refresh_token on repeat, a 400, the implicit flow, PKCE,
//! out-of-band, Testing status, OIDC), and from a HAR.

use oauth_drift::PublishingStatus;

use super::recorder::Browser;
use super::support::{code, oauth_drift, stderr, stdout};

const V2: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-emit.apps.googleusercontent.com";

/// Diagnoses `args`, emits a scenario, then runs it as a user would; returns its text.
fn round_trip(args: &[&str], expected_diagnose_exit: i32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["diagnose"];
    all.extend_from_slice(args);
    all.extend(["--emit-scenario", "scenarios/regressions/diagnosed.yaml"]);
    let output = oauth_drift(dir.path(), &all);
    assert_eq!(
        code(&output),
        expected_diagnose_exit,
        "{args:?}\n{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("passes on the model"),
        "{args:?}: {}",
        stderr(&output)
    );
    let path = dir.path().join("scenarios/regressions/diagnosed.yaml");
    let text = std::fs::read_to_string(&path).expect("the scenario was written");
    assert!(text.ends_with('\n'));

    let run = oauth_drift(dir.path(), &["run", "scenarios/regressions/diagnosed.yaml"]);
    assert_eq!(
        code(&run),
        0,
        "{args:?}: the emitted scenario fails:\n{text}\n{}\n{}",
        stdout(&run),
        stderr(&run)
    );
    assert!(stdout(&run).contains("PASS"), "{}", stdout(&run));
    assert!(stdout(&run).contains("1 case: 1 passed"), "{}", stdout(&run));

    // the same input gives the same file: ready to commit, no churn
    all.push("--force");
    let again = oauth_drift(dir.path(), &all);
    assert_eq!(code(&again), expected_diagnose_exit);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "emission is deterministic"
    );
    text
}

#[test]
fn an_approval_prompt_url_becomes_a_passing_regression_case_with_its_fix() {
    let url = format!(
        "{V2}&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=openid%20email&access_type=offline&approval_prompt=force&state=abc"
    );
    let text = round_trip(&[&url], 1);
    assert!(text.contains("provider: \"google\""), "{text}");
    assert!(text.contains("\"approval_prompt\": \"force\""), "{text}");
    assert!(
        text.contains(
            "- expect: {consent_screen: skipped, refresh_token: absent}\n    because: \"OD103 approval-prompt-ignored\""
        ),
        "{text}"
    );
    assert!(
        text.contains("# the fix, verified by diagnose: approval_prompt=force → prompt=consent"),
        "{text}"
    );
    assert!(!text.contains("abc"), "the request's state is not copied: {text}");
}

#[test]
fn provider_errors_become_expected_errors() {
    let conflict = format!(
        "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline&prompt=consent&approval_prompt=force"
    );
    let text = round_trip(&[&conflict], 1);
    assert!(
        text.contains("error_description: \"Conflict params: approval_prompt and prompt\""),
        "{text}"
    );
    let prompt_none =
        format!("{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&prompt=none");
    let text = round_trip(&[&prompt_none], 1);
    assert!(text.contains("status: 302, error: \"consent_required\""), "{text}");
    let no_scope = format!("{V2}&redirect_uri=https://app.example.com/cb&response_type=code");
    let text = round_trip(&[&no_scope], 1);
    assert!(text.contains("Missing required parameter: scope"), "{text}");
    // an http redirect on a public host is only a warning now (it may be an old registration);
    // offline_access is a provider error
    let offline_access = format!(
        "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=openid%20offline_access&prompt=consent"
    );
    let text = round_trip(&[&offline_access], 1);
    assert!(text.contains("error: \"invalid_scope\""), "{text}");
}

#[test]
fn implicit_pkce_out_of_band_and_testing_requests_round_trip() {
    let implicit =
        format!("{V2}&redirect_uri=https://app.example.com/cb&response_type=token&scope=email&access_type=offline");
    let text = round_trip(&[&implicit], 1);
    assert!(text.contains("fields: {present: [access_token]}"), "{text}");
    let pkce = format!(
        "{V2}&redirect_uri=http://127.0.0.1:9004&response_type=code&scope=email&access_type=offline&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    let text = round_trip(&[&pkce], 1);
    assert!(text.contains("code_verifier"), "{text}");
    let oob = format!("{V2}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&response_type=code&scope=email&access_type=offline");
    round_trip(&[&oob], 1);
    let oob_2015 = "https://accounts.google.com/o/oauth2/auth?client_id=1&redirect_uri=urn:ietf:wg:oauth:2.0:oob&response_type=code&scope=email&access_type=offline&approval_prompt=force";
    round_trip(&[oob_2015, "--provider", "google@2015"], 0);
    let testing = format!(
        "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=https://www.googleapis.com/auth/drive&access_type=offline&prompt=consent"
    );
    let text = round_trip(&[&testing, "--publishing-status", "testing"], 0);
    assert!(text.contains("refresh_token_expires_in: 604799"), "{text}");
    let oidc = "https://op.example/auth?client_id=rp&redirect_uri=https://rp.example.com/cb&response_type=code&scope=openid%20offline_access";
    round_trip(&[oidc, "--provider", "oidc"], 1);
}

#[tokio::test]
async fn a_har_becomes_a_passing_regression_case() {
    let mut browser = Browser::start("google", PublishingStatus::Production).await;
    let url = browser.authorize_url(
        "/o/oauth2/v2/auth",
        &[
            ("response_type", "code"),
            ("scope", "email"),
            ("access_type", "offline"),
        ],
    );
    for _ in 0..2 {
        let code = browser.sign_in(&url).await.expect("code");
        browser.exchange(&code).await;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sign-in.har"), browser.har()).unwrap();
    let har = dir.path().join("sign-in.har");
    let text = round_trip(&["--har", har.to_str().unwrap()], 1);
    assert!(
        !text.contains("fake-har-fixture-secret"),
        "no client secret in the scenario"
    );
    assert!(!text.contains("424242-har"), "the scenario uses its own client id");
}

#[test]
fn an_unwritable_target_is_an_error_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "not a directory").unwrap();
    let url =
        format!("{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline");
    let output = oauth_drift(dir.path(), &["diagnose", &url, "--emit-scenario", "file/x.yaml"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("failed to write the scenario file/x.yaml"),
        "{}",
        stderr(&output)
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["file"]);
}
