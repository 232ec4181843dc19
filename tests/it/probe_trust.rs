//! `probe` sends credentials only to the provider it was pointed at: a discovery document for
//! another issuer, endpoints elsewhere or over plain http are refused (exit 2) before any
//! credential leaves, unless the user names the endpoint; redirects are never followed.

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::live_support::{CLIENT_ID, PLANTED_SECRET, Ran, args, oauth_drift, refresh_probe_args};

const LIMIT: Duration = Duration::from_secs(60);
const REFRESH_TOKEN: &str = "1//0planted.refresh.token.for.trust";

fn credentials() -> Vec<(String, String)> {
    vec![
        ("OAUTH_DRIFT_CLIENT_ID".into(), CLIENT_ID.into()),
        ("OAUTH_DRIFT_CLIENT_SECRET".into(), PLANTED_SECRET.into()),
        ("OAUTH_DRIFT_REFRESH_TOKEN".into(), REFRESH_TOKEN.into()),
    ]
}

/// A provider at `server` whose discovery document names `issuer` and `token_endpoint`.
async fn discovery(server: &MockServer, issuer: &str, token_endpoint: &str) {
    Mock::given(method("GET"))
        .and(path("/.well-known/openid-configuration"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{}/auth", server.uri()),
            "token_endpoint": token_endpoint,
            "response_types_supported": ["code"],
        })))
        .mount(server)
        .await;
}

/// A token endpoint that would answer a refresh; it must never be asked.
async fn token_endpoint(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "ya29.x", "token_type": "Bearer", "expires_in": 3599,
        })))
        .mount(server)
        .await;
}

async fn requests_to(server: &MockServer, to: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == to)
        .count()
}

async fn refresh_probe(issuer: &str, extra: &[&str]) -> Ran {
    let mut list = args(&[
        "probe",
        "--issuer",
        issuer,
        "--kind",
        "discovery,refresh",
        "--no-snapshots",
        "--deadline",
        "5s",
    ]);
    list.extend(args(extra));
    oauth_drift(list, credentials(), LIMIT).await
}

/// Asserts that `ran` was refused as bad input (exit 2) with every one of `needles` on stderr.
fn assert_refused(ran: &Ran, needles: &[&str]) {
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    for needle in needles {
        assert!(ran.stderr.contains(needle), "{needle:?} in\n{}", ran.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discovery_document_for_another_issuer_gets_no_credential() {
    let server = MockServer::start().await;
    discovery(
        &server,
        "https://accounts.google.com",
        &format!("{}/token", server.uri()),
    )
    .await;
    token_endpoint(&server).await;
    let ran = refresh_probe(&server.uri(), &[]).await;
    assert_refused(&ran, &["names the issuer \"https://accounts.google.com\"", "§4.3"]);
    assert_eq!(requests_to(&server, "/token").await, 0, "the secret went to /token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_on_another_origin_gets_no_credential_unless_named() {
    let issuer = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    let token_url = format!("{}/token", elsewhere.uri());
    discovery(&issuer, &issuer.uri(), &token_url).await;
    token_endpoint(&elsewhere).await;
    let ran = refresh_probe(&issuer.uri(), &[]).await;
    assert_refused(&ran, &["neither the issuer's origin", "--token-url"]);
    assert_eq!(requests_to(&elsewhere, "/token").await, 0, "the secret went elsewhere");
    // named by the user, the same endpoint is used
    let ran = refresh_probe(&issuer.uri(), &["--token-url", &token_url]).await;
    assert_ne!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(requests_to(&elsewhere, "/token").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_host_that_is_not_loopback_gets_no_credential() {
    let server = MockServer::start().await;
    // google's own host, but over http: refused before any connection is tried
    discovery(&server, &server.uri(), "http://oauth2.googleapis.com/token").await;
    let ran = refresh_probe(&server.uri(), &["--provider", "google"]).await;
    assert_refused(&ran, &["plain http to a host that is not loopback"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_from_the_token_endpoint_is_not_followed_with_the_credentials() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", format!("{}/token", elsewhere.uri())))
        .mount(&server)
        .await;
    token_endpoint(&elsewhere).await;
    let token_url = format!("{}/token", server.uri());
    let list = refresh_probe_args(&token_url, &["--no-snapshots", "--deadline", "5s"]);
    let ran = oauth_drift(list, credentials(), LIMIT).await;
    assert_ne!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(requests_to(&server, "/token").await >= 1);
    assert_eq!(
        requests_to(&elsewhere, "/token").await,
        0,
        "the redirect was followed with the credentials"
    );
}
