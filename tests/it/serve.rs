//! `oauth-drift serve` end to end: a real process of the built binary, over real HTTP.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use crate::serve_process::{ServeProcess, get_json, http, json, read_client_secrets};
use crate::support::run_to_end;

const SCOPE: &str = "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/drive.file";
const REDIRECT: &str = "http://localhost:53682/";

/// Follows an authorization URL one hop and returns the redirect's parameters.
async fn authorize(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    params: &[(&str, &str)],
) -> (u16, BTreeMap<String, String>, String) {
    let response = http
        .get(format!("{base}{path}"))
        .query(params)
        .send()
        .await
        .expect("authorize");
    let status = response.status().as_u16();
    let consent = response
        .headers()
        .get("x-oauth-drift-consent-screen")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let query = url::Url::parse(&location)
        .ok()
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    (status, query, consent)
}

async fn token<T: serde::Serialize + ?Sized>(http: &reqwest::Client, url: &str, form: &T) -> (u16, Value) {
    let response = http.post(url).form(form).send().await.expect("token request");
    (response.status().as_u16(), json(response).await)
}

#[tokio::test]
async fn serve_runs_a_whole_flow_over_real_http_and_logs_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let secrets_path = dir.path().join("client_secret.json");
    let mut server = ServeProcess::start(&["--write-client-secrets", secrets_path.to_str().unwrap()]);
    let base = server.base.clone();
    let http = http();

    // the client-secrets file: the Console's installed variant, pointing at this server
    let (variant, client) = read_client_secrets(&secrets_path);
    assert_eq!(variant, "installed");
    let keys: Vec<&str> = client.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "client_id",
            "project_id",
            "auth_uri",
            "token_uri",
            "auth_provider_x509_cert_url",
            "client_secret",
            "redirect_uris"
        ]
    );
    // the Console's shape: auth_uri is the legacy path every downloaded file names
    assert_eq!(client["auth_uri"], format!("{base}/o/oauth2/auth"));
    assert_eq!(client["token_uri"], format!("{base}/token"));
    assert_eq!(client["auth_provider_x509_cert_url"], format!("{base}/oauth2/v1/certs"));
    assert_eq!(client["redirect_uris"], serde_json::json!(["http://localhost"]));
    let client_id = client["client_id"].as_str().unwrap().to_string();
    let secret = client["client_secret"].as_str().unwrap().to_string();
    assert!(client_id.ends_with(".apps.googleusercontent.com"));

    // discovery names this server's endpoints at Google's paths
    let discovery = get_json(&http, &format!("{base}/.well-known/openid-configuration")).await;
    assert_eq!(discovery["authorization_endpoint"], format!("{base}/o/oauth2/v2/auth"));
    assert_eq!(discovery["token_endpoint"], format!("{base}/token"));
    assert_eq!(discovery["revocation_endpoint"], format!("{base}/revoke"));
    let token_url = format!("{base}/token");

    // first grant: consent shown, refresh token
    let verifier = "a-verifier-long-enough-to-be-valid-0123456789abcdef";
    let challenge = crate::support::s256_challenge(verifier);
    let state = "state-value-1234";
    let auth = [
        ("client_id", client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", SCOPE),
        ("access_type", "offline"),
        ("state", state),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let (status, redirect, consent) = authorize(&http, &base, "/o/oauth2/v2/auth", &auth).await;
    assert_eq!((status, consent.as_str()), (302, "shown"));
    assert_eq!(redirect["state"], state);
    let code = redirect["code"].clone();
    let exchange = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            ("client_id", client_id.clone()),
            ("client_secret", secret.clone()),
            ("code_verifier", verifier.to_string()),
        ]
    };
    let form = exchange(&code);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, first) = token(&http, &token_url, &form).await;
    assert_eq!(status, 200, "{first}");
    let refresh_token = first["refresh_token"]
        .as_str()
        .expect("first grant returns a refresh_token")
        .to_string();
    let access_token = first["access_token"].as_str().unwrap().to_string();

    // repeat grant: no consent screen, no refresh token (Google's rule)
    let (status, redirect, consent) = authorize(&http, &base, "/o/oauth2/v2/auth", &auth).await;
    assert_eq!((status, consent.as_str()), (302, "skipped"));
    let form = exchange(&redirect["code"]);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, repeat) = token(&http, &token_url, &form).await;
    assert_eq!(status, 200, "{repeat}");
    assert!(repeat.get("refresh_token").is_none(), "repeat grant: {repeat}");
    // the code is single-use (the replay revokes the repeat grant's tokens, not the first's)
    let (status, reused) = token(&http, &token_url, &form).await;
    assert_eq!((status, reused["error"].as_str()), (400, Some("invalid_grant")));

    // refresh, userinfo, grants without secrets
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let (status, refreshed) = token(&http, &token_url, &refresh).await;
    assert_eq!(status, 200, "{refreshed}");
    assert!(refreshed["access_token"].is_string() && refreshed.get("refresh_token").is_none());
    let userinfo = json(
        http.get(format!("{base}/v1/userinfo"))
            .bearer_auth(&access_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(userinfo["email"], "alice@example.com");
    let grants = http
        .get(format!("{base}/_oauth-drift/grants"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        grants.contains("\"user\":\"alice\"") && grants.contains(&client_id),
        "{grants}"
    );
    for secret_value in [&refresh_token, &access_token, &secret] {
        assert!(
            !grants.contains(secret_value.as_str()),
            "grants list leaks a secret: {grants}"
        );
    }

    // revoke ends the grant: the refresh token no longer works
    let response = http
        .post(format!("{base}/revoke"))
        .form(&[("token", refresh_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (status, after) = token(&http, &token_url, &refresh).await;
    assert_eq!((status, after["error"].as_str()), (400, Some("invalid_grant")));

    // SIGTERM: a clean exit, and an access log with every request and no secret
    let exit = server.terminate();
    assert!(exit.success(), "serve exited with {exit:?}");
    let log = server.stderr();
    assert!(log.contains("oauth-drift serve: stopped"), "{log}");
    let requests = log.lines().filter(|l| l.contains(" -> ")).count();
    assert_eq!(requests, 11, "one access-log line per request:\n{log}");
    assert!(
        log.contains("access_type=offline"),
        "the log shows what the app sent:\n{log}"
    );
    assert!(
        log.contains("-> 200 fields=access_token,expires_in,refresh_token,scope,token_type,id_token"),
        "{log}"
    );
    let secrets = [
        code.as_str(),
        redirect["code"].as_str(),
        &refresh_token,
        &access_token,
        &secret,
        verifier,
        state,
        challenge.as_str(),
    ];
    for value in secrets {
        assert!(!log.contains(value), "the access log leaks {value}:\n{log}");
    }
    assert!(
        log.contains("code=[redacted]") && log.contains("client_secret=[redacted]") && log.contains("state=[redacted]")
    );
}

#[tokio::test]
async fn the_command_line_client_takes_its_secret_from_the_environment_and_writes_the_web_variant() {
    let dir = tempfile::tempdir().unwrap();
    let secrets_path = dir.path().join("web.json");
    let secret = "env-secret-value-9f8e7d";
    let mut server = ServeProcess::start_with_env(
        &[
            "--provider",
            "google@2015",
            "--client-id",
            "my-app.apps.googleusercontent.com",
            "--client-type",
            "web",
            "--redirect-uri",
            "http://localhost:3000/auth/callback",
            "--write-client-secrets",
            secrets_path.to_str().unwrap(),
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", secret)],
    );
    let (variant, client) = read_client_secrets(&secrets_path);
    assert_eq!(variant, "web");
    assert_eq!(client["client_id"], "my-app.apps.googleusercontent.com");
    assert_eq!(client["client_secret"], secret);
    assert_eq!(
        client["auth_uri"],
        format!("{}/o/oauth2/auth", server.base),
        "google@2015 serves the 2015 path"
    );
    assert_eq!(
        client["redirect_uris"],
        serde_json::json!(["http://localhost:3000/auth/callback"])
    );
    let http = http();
    let clients = http
        .get(format!("{}/_oauth-drift/clients", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        clients.contains("my-app.apps.googleusercontent.com") && !clients.contains(secret),
        "{clients}"
    );
    assert!(server.terminate().success());
    assert!(!server.stderr().contains(secret), "the secret reached stderr");
}

#[tokio::test]
async fn the_admin_clock_expires_codes_and_can_be_frozen() {
    let mut server = ServeProcess::start_with_env(
        &[
            "--client-id",
            "clock.apps.googleusercontent.com",
            "--redirect-uri",
            "http://localhost:1234/",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", "clock-secret")],
    );
    let http = http();
    let frozen = server.admin(&http, "/clock/freeze", None).await;
    assert_eq!(frozen["frozen"], true);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let clock = get_json(&http, &format!("{}/_oauth-drift/clock", server.base)).await;
    assert_eq!(clock["now"], frozen["now"], "a frozen clock does not follow wall time");

    let auth = [
        ("client_id", "clock.apps.googleusercontent.com"),
        ("redirect_uri", "http://localhost:1234/"),
        ("response_type", "code"),
        ("scope", "openid"),
    ];
    let token_url = format!("{}/token", server.base);
    let exchange = |code: String| {
        [
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("redirect_uri", "http://localhost:1234/".to_string()),
            ("client_id", "clock.apps.googleusercontent.com".to_string()),
            ("client_secret", "clock-secret".to_string()),
        ]
    };
    // Google's code lifetime in the model is 600 s: at exactly 600 s a code still works...
    let (_, redirect, _) = authorize(&http, &server.base, "/o/oauth2/v2/auth", &auth).await;
    server.admin(&http, "/clock/advance?seconds=600", None).await;
    let (status, body) = token(&http, &token_url, &exchange(redirect["code"].clone())).await;
    assert_eq!(status, 200, "{body}");
    // ...and one second later it has expired
    let (_, redirect, _) = authorize(&http, &server.base, "/o/oauth2/v2/auth", &auth).await;
    let advanced = server.admin(&http, "/clock/advance?seconds=601", None).await;
    assert_eq!(
        advanced["now"].as_u64().unwrap(),
        frozen["now"].as_u64().unwrap() + 1201
    );
    let (status, body) = token(&http, &token_url, &exchange(redirect["code"].clone())).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let resumed = server.admin(&http, "/clock/resume", None).await;
    assert_eq!(resumed["frozen"], false);
    let reset = server.admin(&http, "/reset", None).await;
    assert_eq!(reset["reset"], true);
    assert!(server.terminate().success());
}

#[tokio::test]
async fn a_clients_file_registers_its_clients() {
    let dir = tempfile::tempdir().unwrap();
    let clients = dir.path().join("clients.yaml");
    std::fs::write(
        &clients,
        "clients:\n  - client_id: c1\n    client_secret: s1-secret\n    redirect_uris: [https://app.example/cb]\n",
    )
    .unwrap();
    let server = ServeProcess::start(&["--clients", clients.to_str().unwrap()]);
    let http = http();
    let auth = [
        ("client_id", "c1"),
        ("redirect_uri", "https://app.example/cb"),
        ("response_type", "code"),
        ("scope", "openid"),
    ];
    let (_, redirect, _) = authorize(&http, &server.base, "/o/oauth2/v2/auth", &auth).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", redirect["code"].as_str()),
        ("redirect_uri", "https://app.example/cb"),
        ("client_id", "c1"),
        ("client_secret", "s1-secret"),
    ];
    let (status, body) = token(&http, &format!("{}/token", server.base), &form).await;
    assert_eq!(status, 200, "{body}");
    assert!(!server.stderr().contains("s1-secret"));
}

#[test]
fn a_bad_clients_file_is_a_located_input_error_that_hides_the_secret() {
    let dir = tempfile::tempdir().unwrap();
    let clients = dir.path().join("clients.yaml");
    std::fs::write(
        &clients,
        "- client_id: c1\n  client_secret: [hunter2-secret]\n  redirect_uris: []\n",
    )
    .unwrap();
    let (code, stderr) = run_to_end(&["--color", "never", "serve", "--clients", clients.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("clients.yaml:2:"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn an_unknown_provider_is_an_input_error() {
    let (code, stderr) = run_to_end(&["--color", "never", "serve", "--provider", "gogle"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `google`"), "{stderr}");
}

#[test]
fn serve_listens_on_loopback_unless_told_otherwise() {
    let mut server = ServeProcess::start(&[]);
    assert!(server.terminate().success());
    assert!(server.stderr().contains(" on 127.0.0.1:"), "{}", server.stderr());
    let mut server = ServeProcess::start(&["--allow-remote"]);
    assert!(server.terminate().success());
    assert!(server.stderr().contains(" on 0.0.0.0:"), "{}", server.stderr());
}

#[tokio::test]
async fn a_consent_page_answers_once_and_a_stale_one_gets_an_error_page() {
    let mut server = ServeProcess::start_with_env(
        &[
            "--consent",
            "page",
            "--client-id",
            "page-app",
            "--client-type",
            "web",
            "--redirect-uri",
            "https://app.example/cb",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", "page-secret")],
    );
    let http = http();
    let auth = [
        ("client_id", "page-app"),
        ("redirect_uri", "https://app.example/cb"),
        ("response_type", "code"),
        ("scope", "openid https://www.googleapis.com/auth/drive.file"),
    ];
    let response = http
        .get(format!("{}/o/oauth2/v2/auth", server.base))
        .query(&auth)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("wants access to your Google Account") && page.contains("id=\"allow\""),
        "{page}"
    );
    let start = page.find("name=\"request\" value=\"").unwrap() + "name=\"request\" value=\"".len();
    let request_id = &page[start..start + page[start..].find('"').unwrap()];
    let form = [("request", request_id), ("action", "allow"), ("scope", "openid")];
    let consent = format!("{}/_oauth-drift/consent", server.base);
    let first = http.post(&consent).form(&form).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 302);
    let location = first.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("https://app.example/cb?code="), "{location}");
    assert!(
        location.contains("scope=openid&") || location.ends_with("scope=openid"),
        "only the ticked scope: {location}"
    );
    // the back button: the same form again
    let again = http.post(&consent).form(&form).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 400);
    assert!(again.text().await.unwrap().contains("already answered"));
    assert!(server.terminate().success());
    let log = server.stderr();
    assert!(
        log.contains("POST /_oauth-drift/consent body: request=[redacted]&action=allow&scope=openid -> 302"),
        "{log}"
    );
    assert!(
        !log.contains(request_id),
        "the consent request id is a capability: never logged"
    );
}

/// Resident memory of a process in KiB (Linux).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("a VmRSS line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Runs `flows` authorize + exchange flows, each for a new user, eight at a time.
async fn run_flows(base: &str, flows: usize, offset: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let base = base.to_string();
        tasks.spawn(async move {
            let http = http();
            for i in (worker..flows).step_by(8) {
                let user = format!("user{}", offset + i);
                let auth = [
                    ("client_id", "soak"),
                    ("redirect_uri", "https://app.example/cb"),
                    ("response_type", "code"),
                    ("scope", "openid email"),
                    ("access_type", "offline"),
                    ("login_hint", user.as_str()),
                ];
                let (status, redirect, _) = authorize(&http, &base, "/o/oauth2/v2/auth", &auth).await;
                assert_eq!(status, 302);
                let form = [
                    ("grant_type", "authorization_code"),
                    ("code", redirect["code"].as_str()),
                    ("redirect_uri", "https://app.example/cb"),
                    ("client_id", "soak"),
                    ("client_secret", "soak-secret"),
                ];
                let (status, body) = token(&http, &format!("{base}/token"), &form).await;
                assert_eq!(status, 200, "{body}");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

#[tokio::test]
async fn serve_memory_stays_flat_past_its_store_cap() {
    // regression: on wiremock every matched request stayed in memory (~8 KiB a flow)
    let mut server = ServeProcess::start_with_env(
        &[
            "--quiet",
            "--store-cap",
            "100",
            "--client-id",
            "soak",
            "--client-type",
            "web",
            "--redirect-uri",
            "https://app.example/cb",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", "soak-secret")],
    );
    run_flows(&server.base, 1000, 0).await;
    let warm = rss_kib(server.pid());
    run_flows(&server.base, 4000, 1000).await;
    let after = rss_kib(server.pid());
    let grants = get_json(&http(), &format!("{}/_oauth-drift/grants", server.base)).await;
    assert_eq!(grants["grants"].as_array().unwrap().len(), 100, "grants are capped");
    assert!(
        after < warm + 10 * 1024,
        "4000 more flows grew serve from {warm} KiB to {after} KiB"
    );
    assert!(server.terminate().success());
}

#[tokio::test]
async fn the_issuer_is_the_profiles_by_default_and_google_is_that_values_older_name() {
    for args in [&[][..], &["--issuer", "profile"], &["--issuer", "google"]] {
        let mut serve = ServeProcess::start(args);
        let discovery = get_json(&http(), &format!("{}/.well-known/openid-configuration", serve.base)).await;
        assert_eq!(discovery["issuer"], "https://accounts.google.com", "{args:?}");
        // stopped first, so that everything it wrote on stderr has been read
        serve.terminate();
        assert!(
            serve
                .stderr()
                .contains("issuer     https://accounts.google.com (Google's verifiers;"),
            "{args:?}: {}",
            serve.stderr()
        );
    }
}
