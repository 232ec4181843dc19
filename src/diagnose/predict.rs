//! The prediction: the request run through the provider model itself (`provider::Engine`),
//! a first grant and a repeat grant by the same user, each code exchanged at the model's
//! token endpoint. No rule here decides whether a refresh token comes back; the engine does.

use std::sync::Arc;

use serde::Serialize;

use crate::provider::{
    AuthorizeResponse, ClientConfig, ClientKind, ConsentDecision, Decision, Engine, JsonResponse, Profile,
    PublishingStatus, param, s256_challenge,
};

/// The simulated user of a prediction.
const USER: &str = crate::model::DEFAULT_USER;
/// The client secret of the simulated client (never the real one: it is not needed).
const SECRET: &str = "diagnose-client-secret";
/// A PKCE verifier that stands in for the app's (43 characters, RFC 7636 §4.1).
pub const VERIFIER: &str = "oauth-drift-diagnose-verifier-0123456789abc";

/// The client the model registers: the request's client_id, and the redirect URI the
/// developer registered (`None`: Google would not have let them register it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSetup {
    pub client_id: String,
    pub kind: ClientKind,
    pub status: PublishingStatus,
    pub registered_redirect: Option<String>,
}

/// Where a predicted error happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Google's error page, or an `error=` redirect back to the app.
    Authorize,
    /// The token endpoint's JSON error.
    Token,
}

/// What one grant returns, per the model. The first three fields are DESIGN.md's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GrantPrediction {
    pub refresh_token: bool,
    pub consent_screen: bool,
    /// The OAuth error code the provider answers with (`invalid_request`), if any.
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// HTTP status of the failing response (302 for an `error=` redirect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_at: Option<Stage>,
    /// Tokens came back in the redirect (implicit or hybrid flow) without a code exchange.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tokens_in_redirect: bool,
    /// Whether a code was exchanged at the token endpoint.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exchanged: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
    /// The granted scope in the token response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

impl GrantPrediction {
    fn failed(stage: Stage, status: u16, error: &str, description: &str, consent_screen: bool) -> Self {
        Self {
            refresh_token: false,
            consent_screen,
            error: Some(error.to_string()),
            error_description: Some(description.to_string()).filter(|d| !d.is_empty()),
            status: Some(status),
            error_at: Some(stage),
            ..Self::default()
        }
    }
}

/// What a refresh with the first grant's refresh token returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RefreshPrediction {
    pub ok: bool,
    /// The refresh response carries a new refresh token (rotation).
    pub rotates: bool,
}

/// The per-client refresh-token limit, exercised: `limit + 1` forced grants, then a refresh
/// with the first token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LimitPrediction {
    pub limit: usize,
    pub first_token_revoked: bool,
}

/// The model's answer for a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prediction {
    pub first_grant: GrantPrediction,
    pub repeat_grant: GrantPrediction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshPrediction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitPrediction>,
}

impl Prediction {
    /// A refresh token on every grant: the exit-0 condition.
    pub fn every_grant(&self) -> bool {
        self.first_grant.refresh_token && self.repeat_grant.refresh_token
    }
}

/// How much to ask the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// First and repeat grant only (the fix search).
    Grants,
    /// Also a refresh, and the per-client limit when every grant mints a token.
    Full,
}

/// Runs the request through a fresh engine.
pub fn predict(profile: &Arc<Profile>, setup: &ClientSetup, params: &[(String, String)], depth: Depth) -> Prediction {
    let params = with_known_verifier(profile, params);
    let mut engine = Engine::new(Arc::clone(profile), [client(setup)]);
    let (first_grant, first_token) = grant(&mut engine, &params);
    let (repeat_grant, _) = grant(&mut engine, &params);
    let mut prediction = Prediction {
        first_grant,
        repeat_grant,
        refresh: None,
        limit: None,
    };
    if depth == Depth::Full {
        if let Some(token) = first_token {
            let response = engine.token(&refresh_form(&setup.client_id, &token), None);
            prediction.refresh = Some(RefreshPrediction {
                ok: response.status == 200,
                rotates: response.status == 200 && has(&response, "refresh_token"),
            });
        }
        if prediction.every_grant() {
            prediction.limit = Some(limit(profile, setup, &params));
        }
    }
    prediction
}

/// The engine's traced decisions for a first and a repeat authorization of the request.
pub fn trace(profile: &Arc<Profile>, setup: &ClientSetup, params: &[(String, String)]) -> Vec<Vec<Decision>> {
    let params = with_known_verifier(profile, params);
    let mut engine = Engine::new(Arc::clone(profile), [client(setup)]).with_trace();
    (0..2)
        .map(|_| {
            engine.authorize(&params, USER, &ConsentDecision::GrantAll);
            engine.take_trace()
        })
        .collect()
}

fn client(setup: &ClientSetup) -> ClientConfig {
    ClientConfig {
        client_id: setup.client_id.clone(),
        client_secret: SECRET.into(),
        kind: setup.kind,
        status: setup.status,
        redirect_uris: setup.registered_redirect.iter().cloned().collect(),
        project: None,
        created: None,
    }
}

/// Replaces the app's code challenge with one for a verifier we know, keeping the method,
/// so the code exchange can succeed exactly when the app's would.
pub fn with_known_verifier(profile: &Profile, params: &[(String, String)]) -> Vec<(String, String)> {
    let method = param(params, "code_challenge_method")
        .unwrap_or(&profile.authorize.default_code_challenge_method)
        .to_string();
    params
        .iter()
        .map(|(k, v)| match (k.as_str(), method.as_str()) {
            ("code_challenge", "S256") => (k.clone(), s256_challenge(VERIFIER)),
            ("code_challenge", "plain") => (k.clone(), VERIFIER.to_string()),
            _ => (k.clone(), v.clone()),
        })
        .collect()
}

fn has(response: &JsonResponse, field: &str) -> bool {
    response.body.get(field).is_some_and(|v| !v.is_null())
}

/// One authorization request and, if it yields a code, its exchange.
fn grant(engine: &mut Engine, params: &[(String, String)]) -> (GrantPrediction, Option<String>) {
    let outcome = engine.authorize(params, USER, &ConsentDecision::GrantAll);
    let consent = outcome.consent_screen;
    let code = match outcome.response {
        AuthorizeResponse::ErrorPage(e) => {
            return (
                GrantPrediction::failed(Stage::Authorize, e.status, &e.error, &e.description, consent),
                None,
            );
        }
        AuthorizeResponse::CodePage(code) => code,
        AuthorizeResponse::Redirect(location) => {
            let redirect = crate::target::Redirect::parse(&location);
            let get = |name: &str| redirect.get(name).map(str::to_string);
            if let Some(error) = get("error") {
                let description = get("error_description").unwrap_or_default();
                return (
                    GrantPrediction::failed(Stage::Authorize, 302, &error, &description, consent),
                    None,
                );
            }
            match get("code") {
                Some(code) => code,
                None => {
                    let prediction = GrantPrediction {
                        refresh_token: get("refresh_token").is_some(),
                        consent_screen: consent,
                        tokens_in_redirect: get("access_token").is_some() || get("id_token").is_some(),
                        scope: get("scope"),
                        ..GrantPrediction::default()
                    };
                    return (prediction, None);
                }
            }
        }
    };
    let client_id = param(params, "client_id").unwrap_or_default().to_string();
    let mut form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".to_string(), code),
        (
            "redirect_uri".to_string(),
            param(params, "redirect_uri").unwrap_or_default().to_string(),
        ),
        ("client_id".to_string(), client_id),
        ("client_secret".to_string(), SECRET.to_string()),
    ];
    if param(params, "code_challenge").is_some() {
        form.push(("code_verifier".to_string(), VERIFIER.to_string()));
    }
    let response = engine.token(&form, None);
    if response.status != 200 {
        let text = |name: &str| {
            response
                .body
                .get(name)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let prediction = GrantPrediction::failed(
            Stage::Token,
            response.status,
            &text("error"),
            &text("error_description"),
            consent,
        );
        return (
            GrantPrediction {
                exchanged: true,
                ..prediction
            },
            None,
        );
    }
    let token = response
        .body
        .get("refresh_token")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let prediction = GrantPrediction {
        refresh_token: token.is_some(),
        consent_screen: consent,
        exchanged: true,
        refresh_token_expires_in: response.body.get("refresh_token_expires_in").and_then(|v| v.as_u64()),
        scope: response.body.get("scope").and_then(|v| v.as_str()).map(str::to_string),
        ..GrantPrediction::default()
    };
    (prediction, token)
}

fn refresh_form(client_id: &str, token: &str) -> Vec<(String, String)> {
    vec![
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".to_string(), token.to_string()),
        ("client_id".to_string(), client_id.to_string()),
        ("client_secret".to_string(), SECRET.to_string()),
    ]
}

/// `limit + 1` grants on a fresh engine, then a refresh with the first token.
fn limit(profile: &Arc<Profile>, setup: &ClientSetup, params: &[(String, String)]) -> LimitPrediction {
    let limit = profile.refresh_token.limit_per_user_client;
    let mut engine = Engine::new(Arc::clone(profile), [client(setup)]);
    let mut first = None;
    for _ in 0..=limit {
        let (_, token) = grant(&mut engine, params);
        if first.is_none() {
            first = token;
        }
    }
    let revoked = first.is_some_and(|token| engine.token(&refresh_form(&setup.client_id, &token), None).status != 200);
    LimitPrediction {
        limit,
        first_token_revoked: revoked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    fn pairs(query: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn setup() -> ClientSetup {
        ClientSetup {
            client_id: "c".into(),
            kind: ClientKind::Web,
            status: PublishingStatus::Production,
            registered_redirect: Some("https://a.example/cb".into()),
        }
    }

    #[test]
    fn approval_prompt_force_returns_a_refresh_token_only_on_the_first_grant_today() {
        let profile = Arc::new(Registry::builtin().load("google").unwrap());
        let params = pairs(
            "client_id=c&redirect_uri=https://a.example/cb&response_type=code&scope=email&access_type=offline&approval_prompt=force",
        );
        let prediction = predict(&profile, &setup(), &params, Depth::Full);
        assert!(prediction.first_grant.refresh_token && prediction.first_grant.consent_screen);
        assert!(!prediction.repeat_grant.refresh_token && !prediction.repeat_grant.consent_screen);
        assert_eq!(
            prediction.refresh,
            Some(RefreshPrediction {
                ok: true,
                rotates: false
            })
        );
        assert_eq!(prediction.limit, None);
    }

    #[test]
    fn forced_consent_hits_the_per_client_limit() {
        let profile = Arc::new(Registry::builtin().load("google").unwrap());
        let params = pairs(
            "client_id=c&redirect_uri=https://a.example/cb&response_type=code&scope=email&access_type=offline&prompt=consent",
        );
        let prediction = predict(&profile, &setup(), &params, Depth::Full);
        assert!(prediction.every_grant());
        assert_eq!(
            prediction.limit,
            Some(LimitPrediction {
                limit: 100,
                first_token_revoked: true
            })
        );
    }

    #[test]
    fn an_s256_challenge_is_exchanged_with_the_known_verifier() {
        let profile = Arc::new(Registry::builtin().load("google").unwrap());
        let params = pairs(
            "client_id=c&redirect_uri=https://a.example/cb&response_type=code&scope=email&access_type=offline&prompt=consent&code_challenge=abc&code_challenge_method=S256",
        );
        let prediction = predict(&profile, &setup(), &params, Depth::Grants);
        assert!(prediction.every_grant(), "{prediction:?}");
    }
}
