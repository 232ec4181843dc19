//! Planted secrets appear in no output, snapshot, report or log of a probe run, even when a
//! provider echoes them back in an error.

use std::time::Duration;

use oauth_drift::model::ConsentMode;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::live_support::{CLIENT_ID, PLANTED_SECRET, args, files_under, oauth_drift, provider, scenario};

const LIMIT: Duration = Duration::from_secs(120);

/// Fails with every place a planted value shows up.
fn assert_nowhere(planted: &[&str], places: &[(String, String)]) {
    let mut leaks = Vec::new();
    for (place, text) in places {
        for secret in planted {
            if text.contains(secret) {
                leaks.push(format!("{secret} in {place}"));
            }
        }
    }
    assert!(leaks.is_empty(), "planted secrets leaked: {leaks:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_appear_in_no_output_snapshot_report_or_log() {
    let provider = provider("google", ConsentMode::Auto).await;
    let dir = tempfile::tempdir().unwrap();
    let refresh_token = provider.refresh_token("bob");
    let secrets_file = dir.path().join("client_secret.json");
    std::fs::write(
        &secrets_file,
        serde_json::json!({"installed": {"client_id": CLIENT_ID, "client_secret": PLANTED_SECRET, "redirect_uris": ["http://127.0.0.1/callback"]}}).to_string(),
    )
    .unwrap();
    let env = vec![
        (
            "OAUTH_DRIFT_CLIENT_SECRETS_FILE".to_string(),
            secrets_file.display().to_string(),
        ),
        ("OAUTH_DRIFT_REFRESH_TOKEN".to_string(), refresh_token.clone()),
    ];
    let snapshots = dir.path().join("live");
    let report_file = dir.path().join("report.json");
    let mut places = Vec::new();
    // human and JSON, verbose, pending snapshots written, a JSON report file, every kind
    for format in ["human", "json"] {
        let list = args(&[
            "-v",
            "probe",
            &scenario(),
            "--issuer",
            &provider.base,
            "--provider",
            "google",
            "--target",
            "model",
            "--kind",
            "discovery,authorize-params,refresh,consent",
            "--open-with",
            "curl -s -o /dev/null -L",
            "--revoke",
            "--snapshots",
            &snapshots.display().to_string(),
            "--json",
            &report_file.display().to_string(),
            "--format",
            format,
            "--deadline",
            "10s",
            "--consent-timeout",
            "20s",
        ]);
        let ran = oauth_drift(list, env.clone(), LIMIT).await;
        assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
        places.push((format!("stdout ({format})"), ran.stdout));
        places.push((format!("stderr ({format})"), ran.stderr));
        places.push((
            format!("report file ({format})"),
            std::fs::read_to_string(&report_file).unwrap(),
        ));
    }
    let written = files_under(&snapshots);
    assert!(
        written.iter().any(|(p, _)| p.extension().is_some_and(|e| e == "new")),
        "no pending snapshot was written: {written:?}"
    );
    assert!(
        written.iter().any(|(_, text)| text.contains("<client_secret:web>")),
        "the secret was not even sent"
    );
    places.extend(written.into_iter().map(|(p, text)| (p.display().to_string(), text)));
    assert_nowhere(&[PLANTED_SECRET, &refresh_token], &places);
}

/// A token endpoint that quotes the request's refresh token and secret back in its error.
struct Echo;

impl wiremock::Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        let get = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let description = format!(
            "Token {} is not valid for a client with secret {}",
            get("refresh_token"),
            get("client_secret")
        );
        ResponseTemplate::new(400)
            .set_body_json(serde_json::json!({"error": "invalid_grant", "error_description": description}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_echoing_the_secrets_in_an_error_is_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(Echo)
        .mount(&server)
        .await;
    let planted_token = "1//planted-refresh-token-9QmZ";
    let env = vec![
        ("OAUTH_DRIFT_CLIENT_ID".to_string(), CLIENT_ID.to_string()),
        ("OAUTH_DRIFT_CLIENT_SECRET".to_string(), PLANTED_SECRET.to_string()),
        ("OAUTH_DRIFT_REFRESH_TOKEN".to_string(), planted_token.to_string()),
    ];
    let mut places = Vec::new();
    for format in ["human", "json"] {
        let token_url = format!("{}/token", server.uri());
        let list = args(&[
            "probe",
            "--kind",
            "refresh",
            "--token-url",
            &token_url,
            "--target",
            "echo",
            "--no-snapshots",
            "--format",
            format,
        ]);
        let ran = oauth_drift(list, env.clone(), LIMIT).await;
        assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
        assert!(
            ran.stdout
                .contains("Token <refresh_token#1> is not valid for a client with secret <client_secret:web>"),
            "{}",
            ran.stdout
        );
        places.push((format!("stdout ({format})"), ran.stdout));
        places.push((format!("stderr ({format})"), ran.stderr));
    }
    assert_nowhere(&[PLANTED_SECRET, planted_token], &places);
}
