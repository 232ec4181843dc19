//! The engine's core rules, tested through its public API without HTTP. The helpers marked
//! `pub(super)` also serve `id_token_tests`.

use std::sync::Arc;

use serde_json::Value;

use super::engine::redirect_param;
use super::{
    AuthorizeResponse, ClientConfig, ClientKind, ConsentDecision, Engine, Profile, PublishingStatus, Registry,
};

pub(super) const REDIRECT: &str = "https://app.example.com/cb";

/// An engine for `profile` with one web client, `app`, whose secret is `secret`.
pub(super) fn engine(profile: &str) -> Engine {
    engine_with(Registry::builtin().load(profile).unwrap(), PublishingStatus::Production)
}

/// An engine for a loaded `profile` with the one web client `app` in publishing `status`.
pub(super) fn engine_with(profile: Profile, status: PublishingStatus) -> Engine {
    let client = ClientConfig {
        client_id: "app".into(),
        client_secret: "secret".into(),
        kind: ClientKind::Web,
        status,
        redirect_uris: vec![REDIRECT.into()],
        project: None,
        created: None,
    };
    Engine::new(Arc::new(profile), [client])
}

pub(super) fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Authorizes `params` for `alice`, granting everything; returns (consent shown, the code).
pub(super) fn authorize_code(engine: &mut Engine, params: &[(String, String)]) -> (bool, String) {
    let outcome = engine.authorize(params, "alice", &ConsentDecision::GrantAll);
    let AuthorizeResponse::Redirect(location) = &outcome.response else {
        panic!("no redirect: {outcome:?}")
    };
    let code = redirect_param(location, "code").expect("a code");
    (outcome.consent_screen, code)
}

/// The form that redeems `code` for client `app`.
pub(super) fn code_form(code: &str) -> Vec<(String, String)> {
    pairs(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", "app"),
        ("client_secret", "secret"),
    ])
}

/// Authorizes with `extra` parameters and exchanges the code; returns (consent shown, token body).
fn grant(engine: &mut Engine, extra: &[(&str, &str)]) -> (bool, Value) {
    let mut params = pairs(&[
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email"),
    ]);
    params.retain(|(k, _)| !extra.iter().any(|(name, _)| name == k));
    params.extend(pairs(extra));
    let (consent_screen, code) = authorize_code(engine, &params);
    let response = engine.token(&code_form(&code), None);
    assert_eq!(response.status, 200, "{}", response.body);
    (consent_screen, response.body)
}

/// The refresh token of one grant with `extra`.
fn refresh_token_of(engine: &mut Engine, extra: &[(&str, &str)]) -> String {
    grant(engine, extra).1["refresh_token"]
        .as_str()
        .expect("a refresh_token")
        .to_string()
}

/// `n` grants that force the consent screen, so each mints a refresh token; returns them.
fn forced_refresh_tokens(engine: &mut Engine, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let body = grant(engine, &[("access_type", "offline"), ("prompt", "consent")]).1;
            body["refresh_token"].as_str().expect("a refresh token").to_string()
        })
        .collect()
}

fn refresh(engine: &mut Engine, token: &str) -> (u16, Value) {
    let form = pairs(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", "app"),
        ("client_secret", "secret"),
    ]);
    let response = engine.token(&form, None);
    (response.status, response.body)
}

#[test]
fn only_a_grant_with_a_consent_screen_returns_a_refresh_token() {
    let mut google = engine("google");
    let (shown, first) = grant(&mut google, &[("access_type", "offline")]);
    assert!(shown && first.get("refresh_token").is_some());
    let (shown, repeat) = grant(&mut google, &[("access_type", "offline")]);
    assert!(!shown && repeat.get("refresh_token").is_none());
    let (shown, forced) = grant(&mut google, &[("access_type", "offline"), ("prompt", "consent")]);
    assert!(shown && forced.get("refresh_token").is_some());
}

#[test]
fn approval_prompt_force_forces_consent_only_in_the_2015_era() {
    for (era, expect_token) in [("google@2015", true), ("google", false)] {
        let mut engine = engine(era);
        grant(&mut engine, &[("access_type", "offline")]);
        let (shown, repeat) = grant(&mut engine, &[("access_type", "offline"), ("approval_prompt", "force")]);
        assert_eq!(
            (shown, repeat.get("refresh_token").is_some()),
            (expect_token, expect_token),
            "{era}"
        );
    }
}

#[test]
fn the_per_client_limit_silently_invalidates_the_oldest_refresh_token() {
    let mut google = engine("google");
    let limit = google.profile().refresh_token.limit_per_user_client;
    let tokens = forced_refresh_tokens(&mut google, limit + 1);
    let (status, body) = refresh(&mut google, &tokens[0]);
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("Token has been expired or revoked."))
    );
    assert_eq!(refresh(&mut google, &tokens[1]).0, 200);
    assert_eq!(refresh(&mut google, &tokens[limit]).0, 200);
}

#[test]
fn refreshing_does_not_rotate_on_google_but_does_on_a_rotating_provider() {
    let mut google = engine("google");
    let token = grant(&mut google, &[("access_type", "offline")]).1["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = refresh(&mut google, &token);
    assert_eq!(status, 200);
    assert!(body.get("refresh_token").is_none());
    assert!(body.get("id_token").is_some(), "openid was granted");
    assert_eq!(refresh(&mut google, &token).0, 200, "the same token keeps working");

    let mut oidc = engine("oidc@rotating");
    let offline = [("scope", "openid offline_access"), ("prompt", "consent")];
    let token = refresh_token_of(&mut oidc, &offline);
    let (status, body) = refresh(&mut oidc, &token);
    let rotated = body["refresh_token"]
        .as_str()
        .expect("a rotating provider returns a new refresh token")
        .to_string();
    assert_ne!((status, rotated.as_str()), (200, token.as_str()));
    assert_eq!(refresh(&mut oidc, &token).0, 400, "the old one is spent");
    // RFC 9700 §4.14.2: that replay revoked the grant, the newest token with it
    assert_eq!(refresh(&mut oidc, &rotated).0, 400, "reuse detection ends the grant");
}

#[test]
fn a_provider_that_does_not_rotate_may_repeat_the_refresh_token() {
    let mut oidc = engine("oidc");
    let offline = [("scope", "openid offline_access"), ("prompt", "consent")];
    let token = refresh_token_of(&mut oidc, &offline);
    let (status, body) = refresh(&mut oidc, &token);
    assert_eq!((status, body["refresh_token"].as_str()), (200, Some(token.as_str())));
    assert_eq!(refresh(&mut oidc, &token).0, 200, "the same token keeps working");
}

#[test]
fn oidc_ignores_offline_access_without_prompt_consent() {
    let mut oidc = engine("oidc");
    let (_, body) = grant(&mut oidc, &[("scope", "openid offline_access")]);
    assert!(body.get("refresh_token").is_none());
    assert_eq!(body["scope"], "openid", "the ignored scope is dropped from the grant");
}

#[test]
fn revoking_the_access_token_revokes_the_grant_and_its_refresh_token() {
    let mut google = engine("google");
    let body = grant(&mut google, &[("access_type", "offline")]).1;
    let access = body["access_token"].as_str().unwrap();
    let refresh_token = body["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(google.revoke(Some(access)).status, 200);
    assert_eq!(refresh(&mut google, &refresh_token).0, 400);
    let again = google.revoke(Some(access));
    assert_eq!(
        (again.status, again.body["error"].as_str()),
        (400, Some("invalid_token"))
    );
    let (shown, next) = grant(&mut google, &[("access_type", "offline")]);
    assert!(
        shown && next.get("refresh_token").is_some(),
        "after revocation the consent screen is back"
    );
}

#[test]
fn codes_are_single_use_and_expire_after_ten_minutes() {
    let mut google = engine("google");
    let params = pairs(&[
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "email"),
    ]);
    let code_of = |engine: &mut Engine| {
        let AuthorizeResponse::Redirect(location) =
            engine.authorize(&params, "alice", &ConsentDecision::GrantAll).response
        else {
            panic!()
        };
        redirect_param(&location, "code").expect("a code")
    };
    let exchange = |engine: &mut Engine, code: &str| {
        let form = pairs(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", "app"),
            ("client_secret", "secret"),
        ]);
        engine.token(&form, None)
    };
    let code = code_of(&mut google);
    assert_eq!(exchange(&mut google, &code).status, 200);
    assert_eq!(exchange(&mut google, &code).body["error"], "invalid_grant");
    let code = code_of(&mut google);
    google.advance(601);
    assert_eq!(exchange(&mut google, &code).body["error"], "invalid_grant");
}

#[test]
fn the_testing_status_refresh_token_lives_seven_days_unless_only_sign_in_scopes() {
    let mut engine = engine_with(Registry::builtin().load("google").unwrap(), PublishingStatus::Testing);
    let (_, sign_in_only) = grant(&mut engine, &[("access_type", "offline")]);
    assert!(sign_in_only.get("refresh_token_expires_in").is_none());
    let (_, body) = grant(
        &mut engine,
        &[
            ("access_type", "offline"),
            ("scope", "openid https://www.googleapis.com/auth/drive.file"),
        ],
    );
    assert_eq!(body["refresh_token_expires_in"], 604_799);
    let token = body["refresh_token"].as_str().unwrap().to_string();
    engine.advance(604_798);
    assert_eq!(refresh(&mut engine, &token).0, 200);
    engine.advance(1);
    assert_eq!(refresh(&mut engine, &token).0, 400);
}

fn wall_clock_engine() -> Engine {
    engine("google").with_real_time()
}

#[test]
fn a_frozen_wall_clock_moves_only_when_advanced() {
    let mut engine = wall_clock_engine();
    assert!(!engine.clock_frozen());
    engine.freeze_clock();
    assert!(engine.clock_frozen());
    let frozen = engine.now();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(engine.now(), frozen);
    engine.advance(600);
    assert_eq!(engine.now(), frozen + 600);
}

#[test]
fn a_resumed_clock_follows_wall_time_and_keeps_its_advances() {
    let mut engine = wall_clock_engine();
    engine.advance(1000);
    engine.freeze_clock();
    engine.advance(500);
    engine.resume_clock();
    assert!(!engine.clock_frozen());
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let skew = engine.now() - wall;
    assert!((1499..=1501).contains(&skew), "skew {skew}");
}

#[test]
fn freezing_a_virtual_clock_changes_nothing() {
    let mut engine = engine("google");
    let before = engine.now();
    engine.freeze_clock();
    engine.resume_clock();
    assert!(engine.clock_frozen());
    assert_eq!(engine.now(), before);
}

#[test]
fn the_refresh_token_store_is_capped_and_its_grant_forgets_evicted_tokens() {
    let mut google = engine("google").with_store_cap(3);
    let tokens = forced_refresh_tokens(&mut google, 5);
    assert_eq!(
        google.grants()[0].live_refresh_tokens,
        3,
        "the grant lists only tokens that still exist"
    );
    assert_eq!(refresh(&mut google, &tokens[1]).0, 400, "evicted past the cap");
    assert_eq!(refresh(&mut google, &tokens[2]).0, 200);
    assert_eq!(refresh(&mut google, &tokens[4]).0, 200);
}

/// Authorizes with `extra`, exchanges the code; returns the code and the token body.
fn grant_with_code(engine: &mut Engine, extra: &[(&str, &str)]) -> (Vec<(String, String)>, Value) {
    let mut params = pairs(&[
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
    ]);
    params.extend(pairs(extra));
    let (_, code) = authorize_code(engine, &params);
    let form = code_form(&code);
    let response = engine.token(&form, None);
    assert_eq!(response.status, 200, "{}", response.body);
    (form, response.body)
}

fn refresh_works(engine: &mut Engine, token: &Value) -> bool {
    refresh(engine, token.as_str().unwrap()).0 == 200
}

#[test]
fn a_replayed_code_revokes_what_the_profile_says() {
    // google: the tokens of that code (RFC 6749 §4.1.2); oidc: the whole grant (node-oidc-provider)
    for (profile, extra, other_grant_survives) in [
        ("google", [("scope", "openid email"), ("access_type", "offline")], true),
        (
            "oidc",
            [("scope", "openid offline_access"), ("access_type", "offline")],
            false,
        ),
    ] {
        let mut engine = engine(profile);
        let forced: Vec<(&str, &str)> = extra.iter().copied().chain([("prompt", "consent")]).collect();
        let (first_form, first) = grant_with_code(&mut engine, &forced);
        let (_, second) = grant_with_code(&mut engine, &forced);
        assert!(refresh_works(&mut engine, &first["refresh_token"]), "{profile}");
        let replay = engine.token(&first_form, None);
        assert_eq!(
            (replay.status, replay.body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{profile}"
        );
        assert!(
            !refresh_works(&mut engine, &first["refresh_token"]),
            "{profile}: the replayed code's refresh token"
        );
        let access = first["access_token"].as_str();
        assert_eq!(
            engine.userinfo(access).status,
            401,
            "{profile}: the replayed code's access token"
        );
        assert_eq!(
            refresh_works(&mut engine, &second["refresh_token"]),
            other_grant_survives,
            "{profile}"
        );
    }
}

#[test]
fn an_oidc_revocation_without_client_authentication_is_refused() {
    let mut oidc = engine("oidc");
    let offline = [("scope", "openid offline_access"), ("prompt", "consent")];
    let token = refresh_token_of(&mut oidc, &offline);
    let bare = [("token".to_string(), token.clone())];
    let refused = oidc.revoke_request(&bare, None);
    assert_eq!(
        (refused.status, refused.body["error"].as_str()),
        (400, Some("invalid_request")),
        "RFC 7009 §2.1"
    );
    assert_eq!(refresh(&mut oidc, &token).0, 200, "nothing was revoked");
    let basic = Some(("app".to_string(), "secret".to_string()));
    assert_eq!(oidc.revoke_request(&bare, basic).status, 200);
    assert_eq!(refresh(&mut oidc, &token).0, 400, "revoked");
    // Google documents a bare token
    let mut google = engine("google");
    let token = grant(&mut google, &[("access_type", "offline")]).1["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(google.revoke_request(&[("token".to_string(), token)], None).status, 200);
}

#[test]
fn a_served_oidc_engine_names_its_own_url_in_the_id_token_and_google_keeps_its_issuer() {
    let iss = |profile: &str| {
        let mut engine = engine(profile);
        engine.set_served_url("http://127.0.0.1:4444/");
        let extra: &[(&str, &str)] = if profile == "oidc" {
            &[]
        } else {
            &[("access_type", "offline")]
        };
        let mut params = pairs(&[
            ("client_id", "app"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid email"),
        ]);
        params.extend(pairs(extra));
        let (_, code) = authorize_code(&mut engine, &params);
        let response = engine.token(&code_form(&code), None);
        let claims = response.id_token.expect("an id_token");
        claims["iss"].as_str().unwrap().to_string()
    };
    assert_eq!(iss("oidc"), "http://127.0.0.1:4444");
    assert_eq!(iss("google"), "https://accounts.google.com");
}

/// An engine for a user profile `acme` written as `text` over the built-in ones.
fn engine_for_text(text: &str) -> Engine {
    let mut registry = Registry::builtin();
    registry.add_text("acme", text.to_string()).unwrap();
    engine_with(registry.load("acme").unwrap(), PublishingStatus::Production)
}

#[test]
fn minted_values_take_the_shapes_the_profile_gives() {
    let mut acme = engine_for_text(
        "extends: google\nname: acme\ntokens:\n  shapes:\n    code: {prefix: \"ac_\", random_bytes: 16}\n    access_token: {prefix: \"at_\", random_bytes: 16}\n    refresh_token: {prefix: \"rt_\", random_bytes: 16}\n",
    );
    let (_, token) = grant(&mut acme, &[("access_type", "offline")]);
    assert!(token["access_token"].as_str().unwrap().starts_with("at_"), "{token}");
    assert!(token["refresh_token"].as_str().unwrap().starts_with("rt_"), "{token}");
    let mut google = engine("google");
    let (_, token) = grant(&mut google, &[("access_type", "offline")]);
    let shapes = &google.profile().tokens.shapes;
    assert!(
        token["access_token"]
            .as_str()
            .unwrap()
            .starts_with(&shapes.access_token.prefix)
    );
    assert!(
        token["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with(&shapes.refresh_token.prefix)
    );
    // a generic OP's values are opaque, like node-oidc-provider's 43-character nanoids
    let mut oidc = engine("oidc");
    let (_, token) = grant(&mut oidc, &[("scope", "openid offline_access"), ("prompt", "consent")]);
    for name in ["access_token", "refresh_token"] {
        let value = token[name].as_str().unwrap();
        assert_eq!(value.len(), 43, "{name}: {value}");
        assert!(
            !value.starts_with("ya29.") && !value.starts_with("1//"),
            "{name}: {value}"
        );
    }
}

#[test]
fn the_legacy_force_parameter_is_the_one_the_profile_names() {
    let renamed = "extends: google@2015\nname: acme\nauthorize:\n  legacy_force:\n    parameter: force_consent\n    value: \"yes\"\n    accepted: [\"yes\"]\n";
    let mut acme = engine_for_text(renamed);
    grant(&mut acme, &[("access_type", "offline")]);
    let (shown, repeat) = grant(&mut acme, &[("access_type", "offline"), ("force_consent", "yes")]);
    assert!(shown && repeat.get("refresh_token").is_some(), "{repeat}");
    // Google's spelling is now an unknown parameter, ignored: no screen on the repeat grant
    let (shown, _) = grant(&mut acme, &[("access_type", "offline"), ("approval_prompt", "force")]);
    assert!(!shown);
}

#[test]
fn out_of_band_redirects_are_the_profiles_list() {
    let blocked = |engine: &mut Engine, uri: &str| {
        let params = pairs(&[
            ("client_id", "app"),
            ("redirect_uri", uri),
            ("response_type", "code"),
            ("scope", "email"),
        ]);
        let outcome = engine.authorize(&params, "alice", &ConsentDecision::GrantAll);
        format!("{:?}", outcome.response).contains("out-of-band")
    };
    assert!(blocked(&mut engine("google"), "urn:ietf:wg:oauth:2.0:oob"));
    let mut none = engine_for_text("extends: google\nname: acme\nauthorize:\n  oob_redirect_uris: []\n");
    assert!(!blocked(&mut none, "urn:ietf:wg:oauth:2.0:oob"));
}
