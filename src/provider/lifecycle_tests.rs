//! The grant's lifecycle: projects shared by clients, the testing-status expiry, installed
//! clients, and what the token endpoint says about a token revoked long ago.

use std::sync::Arc;

use serde_json::Value;

use super::engine::redirect_param;
use super::engine_tests::pairs;
use super::{AuthorizeResponse, ClientConfig, ClientKind, ConsentDecision, Engine, PublishingStatus, Registry};

const DRIVE: &str = "https://www.googleapis.com/auth/drive.file";

fn client(id: &str, kind: ClientKind, status: PublishingStatus, project: Option<&str>) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        client_secret: format!("{id}-secret"),
        kind,
        status,
        redirect_uris: vec![format!("https://{id}.example.com/cb")],
        project: project.map(str::to_string),
        created: None,
    }
}

fn engine_with(profile: &str, clients: Vec<ClientConfig>) -> Engine {
    let profile = Arc::new(Registry::builtin().load(profile).unwrap());
    Engine::new(profile, clients)
}

/// Authorizes `scope` for alice at `client` with `extra`, exchanges the code; returns
/// (consent shown, token answer).
fn grant(engine: &mut Engine, client: &str, scope: &str, extra: &[(&str, &str)]) -> (bool, Value) {
    let redirect = format!("https://{client}.example.com/cb");
    let mut params = pairs(&[
        ("client_id", client),
        ("redirect_uri", &redirect),
        ("response_type", "code"),
        ("scope", scope),
    ]);
    params.extend(pairs(extra));
    let outcome = engine.authorize(&params, "alice", &ConsentDecision::GrantAll);
    let AuthorizeResponse::Redirect(location) = &outcome.response else {
        panic!("no redirect: {outcome:?}")
    };
    let code = redirect_param(location, "code").expect("a code");
    let secret = format!("{client}-secret");
    let form = pairs(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &redirect),
        ("client_id", client),
        ("client_secret", &secret),
    ]);
    let response = engine.token(&form, None);
    assert_eq!(response.status, 200, "{}", response.body);
    (outcome.consent_screen, response.body)
}

fn refresh(engine: &mut Engine, client: &str, token: &Value) -> (u16, Value) {
    let secret = format!("{client}-secret");
    let form = pairs(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", token.as_str().unwrap_or_default()),
        ("client_id", client),
        ("client_secret", &secret),
    ]);
    let response = engine.token(&form, None);
    (response.status, response.body)
}

#[test]
fn clients_of_one_project_share_consent_and_revocation_but_not_tokens() {
    let web = client("web", ClientKind::Web, PublishingStatus::Production, Some("p"));
    let job = client("job", ClientKind::Web, PublishingStatus::Production, Some("p"));
    let other = client("other", ClientKind::Web, PublishingStatus::Production, Some("q"));
    let mut google = engine_with("google", vec![web, job, other]);
    let offline = [("access_type", "offline")];
    let (shown, first) = grant(&mut google, "web", DRIVE, &offline);
    assert!(shown);
    let (shown, job_answer) = grant(&mut google, "job", DRIVE, &offline);
    assert!(!shown, "the project already has the user's consent");
    assert!(job_answer.get("refresh_token").is_none());
    let (shown, other_answer) = grant(&mut google, "other", DRIVE, &offline);
    assert!(shown, "another project asks for itself");
    // a token stays bound to its client, even within the project
    let (status, body) = refresh(&mut google, "job", &first["refresh_token"]);
    assert_eq!((status, body["error"].as_str()), (400, Some("unauthorized_client")));
    assert_eq!(google.revoke(first["access_token"].as_str()).status, 200);
    assert_eq!(refresh(&mut google, "web", &first["refresh_token"]).0, 400);
    assert_eq!(refresh(&mut google, "other", &other_answer["refresh_token"]).0, 200);
    let (shown, _) = grant(&mut google, "job", DRIVE, &offline);
    assert!(shown, "the revocation forgot the project's consent");
}

#[test]
fn the_refresh_token_limit_counts_per_client_within_a_project() {
    let web = client("web", ClientKind::Web, PublishingStatus::Production, Some("p"));
    let job = client("job", ClientKind::Web, PublishingStatus::Production, Some("p"));
    let mut old = engine_with("google@2015", vec![web, job]);
    let forced = [("access_type", "offline"), ("prompt", "consent")];
    let (_, job_answer) = grant(&mut old, "job", DRIVE, &forced);
    let web_tokens: Vec<Value> = (0..26)
        .map(|_| grant(&mut old, "web", DRIVE, &forced).1["refresh_token"].clone())
        .collect();
    assert_eq!(
        refresh(&mut old, "web", &web_tokens[0]).0,
        400,
        "the 26th evicts web's 1st"
    );
    assert_eq!(refresh(&mut old, "web", &web_tokens[1]).0, 200);
    assert_eq!(
        refresh(&mut old, "job", &job_answer["refresh_token"]).0,
        200,
        "another client's token does not count towards web's limit"
    );
}

#[test]
fn without_projects_the_oidc_profile_keeps_a_grant_per_client() {
    let web = client("web", ClientKind::Web, PublishingStatus::Production, Some("p"));
    let job = client("job", ClientKind::Web, PublishingStatus::Production, Some("p"));
    let mut oidc = engine_with("oidc", vec![web, job]);
    let (shown, _) = grant(&mut oidc, "web", "openid", &[]);
    assert!(shown);
    let (shown, _) = grant(&mut oidc, "job", "openid", &[]);
    assert!(shown, "grants_per: client");
}

#[test]
fn a_testing_grant_ends_seven_days_after_consent_and_a_plain_sign_in_asks_again() {
    let testing = client("app", ClientKind::Web, PublishingStatus::Testing, None);
    let mut google = engine_with("google", vec![testing]);
    let offline = [("access_type", "offline")];
    let scope = format!("email {DRIVE}");
    let (shown, first) = grant(&mut google, "app", &scope, &offline);
    assert!(shown);
    assert_eq!(first["refresh_token_expires_in"], 604_799);
    google.advance(604_798);
    let (shown, _) = grant(&mut google, "app", &scope, &offline);
    assert!(!shown, "on day 6 the grant stands");
    google.advance(1);
    assert_eq!(refresh(&mut google, "app", &first["refresh_token"]).0, 400);
    let (shown, again) = grant(&mut google, "app", &scope, &offline);
    assert!(shown, "the authorization ended with the token");
    assert_eq!(refresh(&mut google, "app", &again["refresh_token"]).0, 200);
}

#[test]
fn the_testing_exemption_looks_at_the_requested_scopes() {
    let testing = client("app", ClientKind::Web, PublishingStatus::Testing, None);
    let mut google = engine_with("google", vec![testing]);
    let params = pairs(&[
        ("client_id", "app"),
        ("redirect_uri", "https://app.example.com/cb"),
        ("response_type", "code"),
        ("scope", &format!("email {DRIVE}")),
        ("access_type", "offline"),
    ]);
    let outcome = google.authorize(&params, "alice", &ConsentDecision::GrantOnly(vec!["email".into()]));
    let AuthorizeResponse::Redirect(location) = &outcome.response else {
        panic!("no redirect: {outcome:?}")
    };
    let code = redirect_param(location, "code").expect("a code");
    let form = pairs(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "https://app.example.com/cb"),
        ("client_id", "app"),
        ("client_secret", "app-secret"),
    ]);
    let body = google.token(&form, None).body;
    assert_eq!(body["scope"], "https://www.googleapis.com/auth/userinfo.email");
    assert_eq!(body["refresh_token_expires_in"], 604_799, "Drive was requested");
}

#[test]
fn an_installed_client_gets_a_refresh_token_even_online_but_no_combined_scopes() {
    let mut desktop = client("desktop", ClientKind::Installed, PublishingStatus::Production, None);
    desktop.redirect_uris = vec!["https://desktop.example.com/cb".into()];
    let mut google = engine_with("google", vec![desktop]);
    let (shown, first) = grant(&mut google, "desktop", DRIVE, &[("access_type", "online")]);
    assert!(shown);
    assert!(first.get("refresh_token").is_some(), "D3: always returned");
    let calendar = "https://www.googleapis.com/auth/calendar.readonly";
    let (_, second) = grant(&mut google, "desktop", calendar, &[("include_granted_scopes", "true")]);
    assert_eq!(second["scope"], calendar, "D3: no incremental authorization");
}

#[test]
fn a_long_dead_refresh_token_is_answered_bad_request_on_google_only() {
    for (profile, later) in [("google", "Bad Request"), ("oidc", "grant request is invalid")] {
        let testing = client("app", ClientKind::Web, PublishingStatus::Testing, None);
        let mut engine = engine_with(profile, vec![testing]);
        let scope = if profile == "google" {
            DRIVE
        } else {
            "openid offline_access"
        };
        let extra: &[(&str, &str)] = if profile == "google" {
            &[("access_type", "offline")]
        } else {
            &[("prompt", "consent")]
        };
        let (_, body) = grant(&mut engine, "app", scope, extra);
        let token = &body["refresh_token"];
        assert_eq!(engine.revoke(token.as_str()).status, 200);
        let fresh = refresh(&mut engine, "app", token).1["error_description"].clone();
        engine.advance(43_200);
        let (status, old) = refresh(&mut engine, "app", token);
        assert_eq!(
            (status, old["error"].as_str()),
            (400, Some("invalid_grant")),
            "{profile}"
        );
        if profile == "google" {
            assert_eq!(fresh, "Token has been expired or revoked.");
            assert_eq!(old["error_description"], later);
        } else {
            assert_eq!(old["error_description"], fresh, "oidc keeps one text");
        }
    }
}

#[test]
fn an_expired_testing_token_changes_its_text_twelve_hours_after_it_expired() {
    let testing = client("app", ClientKind::Web, PublishingStatus::Testing, None);
    let mut google = engine_with("google", vec![testing]);
    let (_, body) = grant(&mut google, "app", DRIVE, &[("access_type", "offline")]);
    google.advance(604_799 + 43_199);
    let (_, answer) = refresh(&mut google, "app", &body["refresh_token"]);
    assert_eq!(answer["error_description"], "Token has been expired or revoked.");
    google.advance(1);
    let (_, answer) = refresh(&mut google, "app", &body["refresh_token"]);
    assert_eq!(answer["error_description"], "Bad Request");
}

#[test]
fn a_token_of_a_testing_grant_forgotten_at_sign_in_keeps_the_time_it_died() {
    let testing = client("app", ClientKind::Web, PublishingStatus::Testing, None);
    let mut google = engine_with("google", vec![testing]);
    let offline = [("access_type", "offline")];
    let (_, body) = grant(&mut google, "app", DRIVE, &offline);
    google.advance(604_799 + 43_200);
    let (shown, _) = grant(&mut google, "app", DRIVE, &offline);
    assert!(shown, "the sign-in found the grant over and forgot it");
    let (_, answer) = refresh(&mut google, "app", &body["refresh_token"]);
    assert_eq!(answer["error_description"], "Bad Request", "it died 12 hours ago");
}

#[test]
fn a_delayed_revocation_takes_effect_when_the_clock_passes_it() {
    let web = client("web", ClientKind::Web, PublishingStatus::Production, None);
    let mut google = engine_with("google", vec![web]);
    let (_, body) = grant(&mut google, "web", DRIVE, &[("access_type", "offline")]);
    google
        .apply_event(&super::Event::RevocationDelay { seconds: 600 })
        .unwrap();
    assert_eq!(google.revoke(body["refresh_token"].as_str()).status, 200);
    assert_eq!(refresh(&mut google, "web", &body["refresh_token"]).0, 200, "not yet");
    google.advance(600);
    assert_eq!(refresh(&mut google, "web", &body["refresh_token"]).0, 400);
    let unknown = super::Event::RemoveAccess {
        user: "alice".into(),
        client_id: "nobody".into(),
    };
    assert!(google.apply_event(&unknown).unwrap_err().contains("nobody"));
}

#[test]
fn a_password_change_ends_only_tokens_with_gmail_scopes() {
    let web = client("web", ClientKind::Web, PublishingStatus::Production, None);
    let mut google = engine_with("google", vec![web]);
    let offline = [("access_type", "offline")];
    let (_, drive) = grant(&mut google, "web", DRIVE, &offline);
    let gmail = "https://www.googleapis.com/auth/gmail.readonly";
    let (_, mail) = grant(&mut google, "web", gmail, &offline);
    google
        .apply_event(&super::Event::PasswordChange { user: "alice".into() })
        .unwrap();
    assert_eq!(refresh(&mut google, "web", &mail["refresh_token"]).0, 400);
    assert_eq!(refresh(&mut google, "web", &drive["refresh_token"]).0, 200);
}
