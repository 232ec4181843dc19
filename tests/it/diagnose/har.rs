//! HAR files recorded from real requests against the in-process model, diagnosed.

use std::path::{Path, PathBuf};

use oauth_drift::diagnose::{Diagnosis, Har, Input, InputError, Options, diagnose, render, scenario};
use oauth_drift::{ClientKind, PublishingStatus, Registry};
use serde_json::Value;

use super::recorder::Browser;
use super::support::{code, oauth_drift, stderr};

/// authorize entry, callback entry, consent screen shown, refresh_token in the token response
type FlowShape = (usize, Option<usize>, Option<bool>, Option<bool>);

const GMAIL: &str = "openid email https://www.googleapis.com/auth/gmail.send";

fn diagnose_har(text: &str) -> Diagnosis {
    let har = Har::parse(Path::new("sign-in.har"), text).expect("the recorded HAR parses");
    let input = Input {
        har: Some((PathBuf::from("sign-in.har"), har)),
        ..Default::default()
    };
    // the recorded app is a web client on loopback (diagnose would guess installed)
    let options = Options {
        client_kind: Some(ClientKind::Web),
        ..Default::default()
    };
    diagnose(&input, &options, &Registry::builtin()).expect("the HAR is diagnosed")
}

/// Every secret value in a HAR: codes, tokens, the client secret.
fn secrets_in(har: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(har).unwrap();
    let mut found = Vec::new();
    for entry in value["log"]["entries"].as_array().unwrap() {
        for pair in entry["request"]["queryString"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(entry["request"]["postData"]["params"].as_array().into_iter().flatten())
        {
            if ["code", "client_secret", "refresh_token", "token"].contains(&pair["name"].as_str().unwrap_or_default())
            {
                found.push(pair["value"].as_str().unwrap().to_string());
            }
        }
        if let Ok(Value::Object(body)) =
            serde_json::from_str::<Value>(entry["response"]["content"]["text"].as_str().unwrap_or_default())
        {
            for field in ["access_token", "refresh_token", "id_token"] {
                if let Some(token) = body.get(field).and_then(Value::as_str) {
                    found.push(token.to_string());
                }
            }
        }
    }
    assert!(found.len() >= 5, "the HAR holds codes and tokens: {found:?}");
    found
}

#[tokio::test]
async fn a_repeat_grant_without_refresh_token_is_traced_back_to_its_request() {
    let mut browser = Browser::start("google", PublishingStatus::Production).await;
    let url = browser.authorize_url(
        "/o/oauth2/v2/auth",
        &[
            ("response_type", "code"),
            ("scope", GMAIL),
            ("access_type", "offline"),
            ("approval_prompt", "force"),
            ("state", "s1"),
        ],
    );
    let code_1 = browser.sign_in(&url).await.expect("first code");
    let first = browser.exchange(&code_1).await;
    let code_2 = browser.sign_in(&url).await.expect("second code");
    let second = browser.exchange(&code_2).await;
    // what really happened against the model
    assert!(
        first.get("refresh_token").is_some() && second.get("refresh_token").is_none(),
        "{first} {second}"
    );
    let har = browser.har();

    let diagnosis = diagnose_har(&har);
    let observed = diagnosis.observed.har.as_ref().unwrap();
    assert_eq!(observed.entries, 6);
    let flows: Vec<FlowShape> = observed
        .flows
        .iter()
        .map(|f| {
            (
                f.authorize_entry,
                f.callback_entry,
                f.consent_screen,
                f.exchange
                    .as_ref()
                    .and_then(|t| t.response.as_ref())
                    .map(|r| r.refresh_token),
            )
        })
        .collect();
    assert_eq!(
        flows,
        [
            (1, Some(2), Some(true), Some(true)),
            (4, Some(5), Some(false), Some(false))
        ]
    );
    // the prediction agrees with what the HAR shows
    assert!(diagnosis.prediction.first_grant.refresh_token && !diagnosis.prediction.repeat_grant.refresh_token);
    assert_eq!(diagnosis.exit_code(), 1);

    let explained = diagnosis
        .findings
        .iter()
        .find(|f| f.code == "OD180")
        .expect("OD180 explains the missing refresh_token");
    assert_eq!(explained.entry, Some(6));
    assert!(explained.cause);
    assert!(
        explained.message.contains("HAR entry #6") && explained.message.contains("entry #4"),
        "{}",
        explained.message
    );
    assert!(
        explained.message.contains("entry #1 authorized the same client before"),
        "{}",
        explained.message
    );
    assert!(explained.message.contains("OD103"), "{}", explained.message);
    assert!(
        explained.fix.contains("approval_prompt=force → prompt=consent"),
        "{}",
        explained.fix
    );
    let codes: Vec<&str> = diagnosis.findings.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["OD180", "OD103", "OD113"]);

    for text in [
        render::human(&diagnosis),
        render::json(&diagnosis),
        scenario(&diagnosis),
    ] {
        for secret in secrets_in(&har) {
            assert!(
                !text.contains(&secret),
                "a secret from the HAR leaked into the output:\n{text}"
            );
        }
    }
}

#[tokio::test]
async fn refreshes_and_a_get_on_revoke_are_explained() {
    let mut browser = Browser::start("google", PublishingStatus::Production).await;
    let url = browser.authorize_url(
        "/o/oauth2/v2/auth",
        &[
            ("response_type", "code"),
            ("scope", "email"),
            ("access_type", "offline"),
            ("prompt", "consent"),
        ],
    );
    let code = browser.sign_in(&url).await.expect("code");
    let tokens = browser.exchange(&code).await;
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token").to_string();
    let refreshed = browser.refresh(&refresh_token).await;
    assert!(
        refreshed.get("refresh_token").is_none(),
        "Google does not rotate: {refreshed}"
    );
    assert_eq!(browser.revoke_with_get(&refresh_token).await, 404);

    let diagnosis = diagnose_har(&browser.har());
    assert_eq!(diagnosis.exit_code(), 0);
    let rotation = diagnosis.findings.iter().find(|f| f.code == "OD160").expect("OD160");
    assert_eq!(rotation.entry, Some(4));
    assert!(rotation.message.contains("does not rotate"), "{}", rotation.message);
    let revoke = diagnosis.findings.iter().find(|f| f.code == "OD151").expect("OD151");
    assert_eq!(revoke.entry, Some(5));
    assert!(revoke.message.contains("answered 404"), "{}", revoke.message);
    assert!(!diagnosis.findings.iter().any(|f| f.code == "OD180"));
}

#[tokio::test]
async fn a_testing_client_is_recognised_from_the_token_response_in_the_har() {
    let mut browser = Browser::start("google", PublishingStatus::Testing).await;
    let url = browser.authorize_url(
        "/o/oauth2/v2/auth",
        &[
            ("response_type", "code"),
            ("scope", "https://www.googleapis.com/auth/gmail.readonly"),
            ("access_type", "offline"),
            ("prompt", "consent"),
        ],
    );
    let code = browser.sign_in(&url).await.expect("code");
    let tokens = browser.exchange(&code).await;
    assert_eq!(tokens["refresh_token_expires_in"], 604_799);

    let diagnosis = diagnose_har(&browser.har());
    assert_eq!(diagnosis.status, PublishingStatus::Testing);
    assert!(diagnosis.request.notes.iter().any(|n| {
        n.describe()
            .contains("refresh_token_expires_in: 604799 in HAR entry #3")
    }));
    assert!(diagnosis.findings.iter().any(|f| f.code == "OD170"));
}

#[tokio::test]
async fn a_truncated_or_html_har_is_refused_with_exit_2() {
    let mut browser = Browser::start("google", PublishingStatus::Production).await;
    let url = browser.authorize_url("/o/oauth2/v2/auth", &[("response_type", "code"), ("scope", "email")]);
    let auth_code = browser.sign_in(&url).await.expect("code");
    browser.exchange(&auth_code).await;
    let har = browser.har();
    let cut = &har[..har.len() / 2];
    let err = Har::parse(Path::new("cut.har"), cut).unwrap_err();
    assert!(matches!(err, InputError::Truncated { .. }), "{err}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cut.har"), cut).unwrap();
    let output = oauth_drift(dir.path(), &["diagnose", "--har", "cut.har"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("cut.har is truncated"), "{}", stderr(&output));
    for secret in secrets_in(&har).iter().filter(|s| cut.contains(s.as_str())) {
        assert!(!stderr(&output).contains(secret.as_str()));
    }

    let page = browser
        .get(
            &format!("{}/o/oauth2/v2/auth?client_id=nobody", browser.model.uri()),
            &[],
        )
        .await;
    assert!(page.body.starts_with("<!doctype html>"));
    std::fs::write(dir.path().join("page.har"), &page.body).unwrap();
    let output = oauth_drift(dir.path(), &["diagnose", "--har", "page.har"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("page.har is an HTML page, not a HAR file"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn a_har_without_an_authorization_request_says_what_to_record() {
    let mut browser = Browser::start("google", PublishingStatus::Production).await;
    let form = [
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".to_string(), "1//nothing".to_string()),
    ];
    browser.post_form("/token", &form).await;
    let har = Har::parse(Path::new("x.har"), &browser.har()).unwrap();
    let input = Input {
        har: Some((PathBuf::from("x.har"), har)),
        ..Default::default()
    };
    let err = diagnose(&input, &Options::default(), &Registry::builtin()).unwrap_err();
    assert!(err.to_string().contains("x.har has no authorization request"), "{err}");
    assert!(err.to_string().contains("Preserve log"), "{err}");
}
