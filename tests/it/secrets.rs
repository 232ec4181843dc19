//! Planted secrets appear in no output, snapshot, report or log — probe's stdout, stderr,
//! snapshots, pending snapshots, JSON, JUnit and GitHub step summary, and serve's access
//! log — even when a provider echoes them back in an error.

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
    let junit_file = dir.path().join("report.xml");
    let summary_file = dir.path().join("step-summary.md");
    let mut env = env;
    env.push(("GITHUB_ACTIONS".to_string(), "true".to_string()));
    env.push(("GITHUB_STEP_SUMMARY".to_string(), summary_file.display().to_string()));
    let mut places = Vec::new();
    // human and JSON, verbose, pending snapshots written, a JSON report file, every kind
    for format in ["human", "json"] {
        let list = args(&[
            "probe",
            "-v",
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
            "--junit",
            &junit_file.display().to_string(),
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
        places.push((
            format!("JUnit ({format})"),
            std::fs::read_to_string(&junit_file).unwrap(),
        ));
    }
    let summary = std::fs::read_to_string(&summary_file).unwrap();
    assert!(
        summary.contains("oauth-drift probe"),
        "the step summary was written: {summary}"
    );
    places.push(("step summary".to_string(), summary));
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

/// serve's access log names every request without its secrets: the client secret, the code,
/// the tokens, the PKCE verifier and `state` all pass through it.
#[tokio::test]
async fn serve_logs_no_planted_secret() {
    const SECRET: &str = "planted-serve-secret-8Hd2";
    let serve = super::serve_process::ServeProcess::start_with_env(
        &[
            "--client-id",
            "planted",
            "--client-type",
            "web",
            "--redirect-uri",
            "https://app.example.com/cb",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", SECRET)],
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let verifier = "planted-verifier-0123456789-abcdefghijklmnopqrstuv";
    let state = "planted-state-77Xq";
    let authorize = format!(
        "{}/o/oauth2/v2/auth?client_id=planted&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=openid&access_type=offline&state={state}&code_challenge={verifier}&code_challenge_method=plain",
        serve.base
    );
    let location = http.get(authorize).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let code = oauth_drift::provider::redirect_param(&location, "code").expect("a code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://app.example.com/cb"),
        ("client_id", "planted"),
        ("client_secret", SECRET),
        ("code_verifier", verifier),
    ];
    let body: serde_json::Value = serde_json::from_slice(
        &http
            .post(format!("{}/token", serve.base))
            .form(&form)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let access = body["access_token"].as_str().unwrap().to_string();
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", "planted"),
        ("client_secret", SECRET),
    ];
    assert_eq!(
        http.post(format!("{}/token", serve.base))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.post(format!("{}/revoke", serve.base))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = serve.stderr();
    assert!(
        log.contains("/token") && log.contains("/revoke"),
        "the requests were logged: {log}"
    );
    assert_nowhere(
        &[SECRET, verifier, state, &code, &access, &refresh],
        &[("serve's access log".to_string(), log)],
    );
}
