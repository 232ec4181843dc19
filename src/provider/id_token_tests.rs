//! id_tokens, tokeninfo and the discovery document, tested through the engine's API.

use std::sync::Arc;

use serde_json::Value;

use super::engine_tests::{REDIRECT, authorize_code, code_form, pairs};
use super::signing::at_hash;
use super::{ConsentDecision, Engine, JsonResponse, Registry, SigningKey};

/// The google engine with one web client, `app`.
fn engine() -> Engine {
    super::engine_tests::engine("google")
}

/// Authorizes `scope` (plus `extra`) and exchanges the code.
fn exchange(engine: &mut Engine, scope: &str, extra: &[(&str, &str)]) -> JsonResponse {
    let mut params = pairs(&[
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", scope),
        ("access_type", "offline"),
    ]);
    params.extend(pairs(extra));
    let (_, code) = authorize_code(engine, &params);
    engine.token(&code_form(&code), None)
}

fn claim_names(response: &JsonResponse) -> Vec<String> {
    response
        .id_token
        .as_ref()
        .expect("an id_token")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn id_token_claims_follow_the_granted_scopes_in_googles_order() {
    let mut google = engine();
    let email = exchange(&mut google, "openid email", &[("nonce", "n1")]);
    assert_eq!(
        claim_names(&email),
        [
            "iss",
            "azp",
            "aud",
            "sub",
            "email",
            "email_verified",
            "at_hash",
            "nonce",
            "iat",
            "exp"
        ]
    );
    let claims = email.id_token.as_ref().unwrap();
    assert_eq!(claims["iss"], "https://accounts.google.com");
    assert_eq!(claims["aud"], "app");
    assert_eq!(claims["nonce"], "n1");
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 3600);
    assert_eq!(
        claims["at_hash"],
        at_hash(email.body["access_token"].as_str().unwrap()),
        "at_hash names the access token it came with"
    );
    assert_eq!(email.body["id_token"], "", "unsigned until the server signs it");

    let profile = exchange(&mut google, "openid profile", &[]);
    assert_eq!(
        claim_names(&profile),
        [
            "iss",
            "azp",
            "aud",
            "sub",
            "at_hash",
            "name",
            "picture",
            "given_name",
            "family_name",
            "iat",
            "exp"
        ]
    );
    // a generic OP's simulated user has no photo or family name (google's values name Google's
    // default avatar): the same claims without those two
    let mut oidc = super::engine_tests::engine("oidc");
    let generic = exchange(&mut oidc, "openid profile", &[("prompt", "consent")]);
    let mut without = claim_names(&profile);
    without.retain(|claim| claim != "picture" && claim != "family_name");
    assert_eq!(claim_names(&generic), without);
    let none = exchange(&mut google, "https://www.googleapis.com/auth/drive.file", &[]);
    assert!(
        none.id_token.is_none() && none.body.get("id_token").is_none(),
        "no identity scope, no id_token"
    );
}

#[test]
fn a_signed_id_token_verifies_and_tokeninfo_reads_it_until_it_expires() {
    let mut google = engine();
    let key = Arc::new(SigningKey::generate().unwrap());
    google = google.with_signing_key(Arc::clone(&key));
    let mut response = exchange(&mut google, "openid email", &[]);
    response.sign_id_token(&key);
    let token = response.body["id_token"].as_str().unwrap().to_string();
    let (header, claims) = key.verify(&token).expect("the signature holds");
    assert_eq!(header["kid"], key.kid());
    assert_eq!(claims["email"], "alice@example.com");

    let info = google.tokeninfo(None, Some(&token));
    assert_eq!(info.status, 200);
    assert_eq!(
        info.body["email_verified"], "true",
        "tokeninfo writes every value as a string"
    );
    assert_eq!(info.body["kid"], key.kid());
    let mut forged = token.clone();
    forged.pop();
    assert_eq!(google.tokeninfo(None, Some(&forged)).status, 400);
    google.advance(3600);
    let expired = google.tokeninfo(None, Some(&token));
    assert_eq!(
        (expired.status, &expired.body["error"]),
        (400, &Value::from("invalid_token"))
    );
}

#[test]
fn tokeninfo_describes_a_live_access_token_and_refuses_a_revoked_one() {
    let mut google = engine();
    let response = exchange(
        &mut google,
        "openid email https://www.googleapis.com/auth/drive.file",
        &[],
    );
    let access = response.body["access_token"].as_str().unwrap().to_string();
    let info = google.tokeninfo(Some(&access), None);
    assert_eq!(info.status, 200);
    let keys: Vec<&str> = info.body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "azp",
            "aud",
            "sub",
            "scope",
            "exp",
            "expires_in",
            "email",
            "email_verified",
            "access_type"
        ]
    );
    assert_eq!(info.body["access_type"], "offline");
    assert_eq!(info.body["expires_in"], "3599");
    google.revoke(Some(&access));
    let revoked = google.tokeninfo(Some(&access), None);
    assert_eq!(revoked.status, 400);
    assert_eq!(revoked.body["error_description"], "Invalid Value");
}

#[test]
fn the_refresh_grants_id_token_has_an_at_hash_and_no_nonce() {
    let mut google = engine();
    let first = exchange(&mut google, "openid", &[("nonce", "n1")]);
    let form = pairs(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", first.body["refresh_token"].as_str().unwrap()),
        ("client_id", "app"),
        ("client_secret", "secret"),
    ]);
    let refreshed = google.token(&form, None);
    assert_eq!(
        claim_names(&refreshed),
        ["iss", "azp", "aud", "sub", "at_hash", "iat", "exp"]
    );
}

#[test]
fn discovery_names_the_jwks_and_the_issuer_self_mode_names_the_server() {
    let google = engine();
    let document = google.discovery("http://127.0.0.1:1");
    assert_eq!(document["jwks_uri"], "http://127.0.0.1:1/oauth2/v3/certs");
    assert_eq!(document["issuer"], "https://accounts.google.com");
    assert_eq!(
        document["device_authorization_endpoint"],
        "http://127.0.0.1:1/device/code"
    );
    let oidc = Engine::new(Arc::new(Registry::builtin().load("oidc").unwrap()), []);
    let generic = oidc.discovery("http://127.0.0.1:1");
    assert!(generic.get("claims_supported").is_none(), "null leaves a key out");
    assert!(
        generic.get("device_authorization_endpoint").is_none(),
        "no device endpoint, no key"
    );
    let own = engine().with_issuer("http://127.0.0.1:1");
    assert_eq!(own.discovery("http://127.0.0.1:1")["issuer"], "http://127.0.0.1:1");
}

#[test]
fn a_profile_without_a_discovery_map_publishes_the_default_document_with_its_own_lists() {
    let mut registry = Registry::builtin();
    registry
        .add_text("plain", "extends: google\nname: plain\ndiscovery: {}\n".into())
        .unwrap();
    registry
        .add_text("plain-op", "extends: oidc\nname: plain-op\ndiscovery: {}\n".into())
        .unwrap();
    let document = |id: &str| Engine::new(Arc::new(registry.load(id).unwrap()), []).discovery("http://x");
    let plain = document("plain");
    let keys: Vec<&str> = plain.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "revocation_endpoint",
            "jwks_uri",
            "response_types_supported",
            "subject_types_supported",
            "id_token_signing_alg_values_supported",
            "scopes_supported",
            "token_endpoint_auth_methods_supported",
            "code_challenge_methods_supported",
            "grant_types_supported",
        ]
    );
    assert_eq!(plain["authorization_endpoint"], "http://x/o/oauth2/v2/auth");
    assert_eq!(
        plain["scopes_supported"],
        serde_json::json!(["openid", "email", "profile"])
    );
    assert_eq!(
        plain["code_challenge_methods_supported"],
        serde_json::json!(["S256", "plain"])
    );
    let op = document("plain-op");
    assert_eq!(
        op["scopes_supported"],
        serde_json::json!(["openid", "email", "profile", "offline_access"]),
        "offline access by scope is advertised"
    );
    assert_eq!(
        op["response_types_supported"],
        serde_json::json!(["code", "id_token", "code id_token"])
    );
    assert_eq!(op["jwks_uri"], "http://x/jwks");
}

#[test]
fn the_discovery_document_agrees_with_the_authorization_rules() {
    for id in ["google", "google@2015", "oidc"] {
        let profile = Arc::new(Registry::builtin().load(id).unwrap());
        let document = Engine::new(Arc::clone(&profile), []).discovery("http://x");
        let listed = |key: &str| {
            let mut list: Vec<String> = document[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            list.sort();
            list
        };
        let mut methods = profile.authorize.code_challenge_methods.clone();
        methods.sort();
        assert_eq!(listed("code_challenge_methods_supported"), methods, "{id}");
        let mut types = profile.authorize.response_types.clone();
        types.sort();
        assert_eq!(listed("response_types_supported"), types, "{id}");
    }
}

#[test]
fn a_device_polls_until_the_user_approves_then_gets_a_refresh_token() {
    use super::DeviceVerification;
    use crate::provider::engine::DEVICE_GRANT;
    let mut google = engine();
    let started = google.device_authorization(
        &pairs(&[("client_id", "app"), ("scope", "openid email")]),
        "http://x/device",
    );
    assert_eq!(started.status, 200, "{}", started.body);
    let keys: Vec<&str> = started.body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["device_code", "user_code", "verification_url", "expires_in", "interval"]
    );
    assert_eq!(started.body["interval"], 5);
    let device_code = started.body["device_code"].as_str().unwrap().to_string();
    // the profile's shape: Google's "4/" and 24 random bytes, base64url
    assert!(
        device_code.starts_with("4/") && device_code.len() == 2 + 32,
        "{device_code}"
    );
    let user_code = started.body["user_code"].as_str().unwrap().to_string();
    let poll = |engine: &mut Engine| {
        let form = pairs(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", &device_code),
            ("client_id", "app"),
            ("client_secret", "secret"),
        ]);
        engine.token(&form, None)
    };
    let pending = poll(&mut google);
    assert_eq!(
        (pending.status, pending.body["error"].as_str()),
        (428, Some("authorization_pending"))
    );
    let fast = poll(&mut google);
    assert_eq!(
        (fast.status, fast.body["error"].as_str()),
        (403, Some("slow_down")),
        "polled within the interval"
    );
    assert_eq!(
        google.device_verify("nope-nope", "alice", &ConsentDecision::GrantAll),
        DeviceVerification::UnknownCode
    );
    assert_eq!(
        google.device_verify(&user_code.to_lowercase(), "alice", &ConsentDecision::GrantAll),
        DeviceVerification::Granted
    );
    google.advance(5);
    let granted = poll(&mut google);
    assert_eq!(granted.status, 200, "{}", granted.body);
    assert!(
        granted.body["refresh_token"].is_string(),
        "D4: refresh tokens are always returned for devices"
    );
    assert!(granted.id_token.is_some());
    google.advance(5);
    let again = poll(&mut google);
    assert_eq!(
        (again.status, again.body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a device code works once"
    );
}

#[test]
fn a_denied_device_gets_access_denied() {
    use crate::provider::engine::DEVICE_GRANT;
    let mut google = engine();
    let started = google.device_authorization(&pairs(&[("client_id", "app"), ("scope", "openid")]), "http://x/device");
    let user_code = started.body["user_code"].as_str().unwrap().to_string();
    google.device_verify(&user_code, "alice", &ConsentDecision::Deny);
    let form = pairs(&[
        ("grant_type", DEVICE_GRANT),
        ("device_code", started.body["device_code"].as_str().unwrap()),
        ("client_id", "app"),
        ("client_secret", "secret"),
    ]);
    let denied = google.token(&form, None);
    assert_eq!(
        (denied.status, denied.body["error"].as_str()),
        (403, Some("access_denied"))
    );
}
