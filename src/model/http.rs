//! Mounts a provider engine on wiremock: HTTP in, engine call, HTTP out.
//!
//! The same responder serves the in-process model of `run` (one pooled wiremock server per
//! case) and the standalone `serve` (a wiremock server on a chosen listener).

use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use wiremock::{Request, Respond, ResponseTemplate};

use super::page;
use crate::provider::{
    AuthorizeOutcome, AuthorizeResponse, AuthorizeStep, ClientConfig, ConsentDecision, Engine, JsonResponse, Profile,
};

/// Reserved path prefix of the admin and test-hook endpoints.
pub const ADMIN_PREFIX: &str = "/_oauth-drift";
/// Request header naming the simulated user (else `login_hint`, else the default user).
pub const USER_HEADER: &str = "x-oauth-drift-user";
/// Request header with the simulated user's consent decision: `grant`, `deny`, `grant_only SCOPES`.
pub const CONSENT_HEADER: &str = "x-oauth-drift-consent";
/// Response header saying whether a consent screen was shown: `shown` or `skipped`.
pub const CONSENT_SCREEN_HEADER: &str = "x-oauth-drift-consent-screen";
/// Response headers carrying an error page's error code and description.
pub const ERROR_HEADER: &str = "x-oauth-drift-error";
pub const ERROR_DESCRIPTION_HEADER: &str = "x-oauth-drift-error-description";

/// How the authorization endpoint gets the user's decision on a consent screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsentMode {
    /// The simulated user decides at once (from the consent header; default: grant all).
    #[default]
    Auto,
    /// A real HTML page with per-scope checkboxes, Allow and Deny.
    Page,
}

/// Shared handle to the engine behind a server.
pub type SharedEngine = Arc<Mutex<Engine>>;

/// Locks the engine; a poisoned lock (a panic elsewhere) still holds usable state.
pub fn lock(engine: &SharedEngine) -> MutexGuard<'_, Engine> {
    engine.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The wiremock responder that answers as the provider.
#[derive(Debug, Clone)]
pub struct ProviderResponder {
    pub engine: SharedEngine,
    /// The engine's profile, shared so that routing needs no lock.
    pub profile: Arc<Profile>,
    pub consent: ConsentMode,
    pub default_user: String,
}

impl Respond for ProviderResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let method = request.method.as_str();
        let endpoints = &self.profile.endpoints;
        if let Some(admin) = path.strip_prefix(ADMIN_PREFIX) {
            return self.admin(method, admin, request);
        }
        match (method, path) {
            ("GET", p) if p == endpoints.authorize => self.authorize(request),
            ("POST", p) if p == endpoints.token => {
                let form = form_pairs(&request.body);
                let basic = basic_auth(request);
                json_response(lock(&self.engine).token(&form, basic))
            }
            (m, p) if p == endpoints.revoke && endpoints.revoke_methods.iter().any(|allowed| allowed == m) => {
                let mut pairs = form_pairs(&request.body);
                pairs.extend(request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())));
                let token = pairs.iter().find(|(k, _)| k == "token").map(|(_, v)| v.as_str());
                json_response(lock(&self.engine).revoke(token))
            }
            ("GET", p) if p == endpoints.userinfo => {
                let bearer =
                    header(request, "authorization").and_then(|h| h.strip_prefix("Bearer ").map(str::to_string));
                json_response(lock(&self.engine).userinfo(bearer.as_deref()))
            }
            ("GET", p) if p == endpoints.discovery => {
                let base = base_url(request);
                ResponseTemplate::new(200).set_body_json(lock(&self.engine).discovery(&base))
            }
            _ => not_found(),
        }
    }
}

impl ProviderResponder {
    fn authorize(&self, request: &Request) -> ResponseTemplate {
        let params: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let user = header(request, USER_HEADER).unwrap_or_default();
        let mut engine = lock(&self.engine);
        let user = if user.is_empty() && crate::provider::param(&params, "login_hint").is_none() {
            self.default_user.clone()
        } else {
            user
        };
        match (engine.begin_authorize(&params, &user), self.consent) {
            (AuthorizeStep::Done(outcome), _) => authorize_response(outcome),
            (AuthorizeStep::ConsentScreen(pending), ConsentMode::Page) => {
                let html = page::consent(&pending, engine.profile());
                engine.hold_pending(pending);
                with_consent_header(
                    ResponseTemplate::new(200).set_body_raw(html, "text/html; charset=utf-8"),
                    true,
                )
            }
            (AuthorizeStep::ConsentScreen(pending), ConsentMode::Auto) => {
                let decision = parse_decision(header(request, CONSENT_HEADER).as_deref());
                authorize_response(engine.finish(pending, &decision))
            }
        }
    }

    fn admin(&self, method: &str, path: &str, request: &Request) -> ResponseTemplate {
        let mut engine = lock(&self.engine);
        match (method, path) {
            ("GET", "/health") => {
                ResponseTemplate::new(200).set_body_json(json!({"status": "ok", "provider": engine.profile().id}))
            }
            ("POST", "/clock/advance") => {
                let seconds = request
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "seconds")
                    .and_then(|(_, v)| v.parse::<u64>().ok());
                match seconds {
                    Some(seconds) => {
                        engine.advance(seconds);
                        ResponseTemplate::new(200).set_body_json(json!({"now": engine.now()}))
                    }
                    None => bad_request("seconds=N is required"),
                }
            }
            ("POST", "/reset") => {
                engine.reset();
                ResponseTemplate::new(200).set_body_json(json!({"reset": true}))
            }
            ("GET", "/grants") => ResponseTemplate::new(200).set_body_json(json!({"grants": engine.grants()})),
            ("POST", "/clients") => match serde_json::from_slice::<ClientConfig>(&request.body) {
                Ok(client) => {
                    engine.register_client(client);
                    ResponseTemplate::new(201).set_body_json(json!({"registered": true}))
                }
                Err(e) => bad_request(&format!("invalid client: {e}")),
            },
            ("POST", "/consent") => {
                let form = form_pairs(&request.body);
                let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
                let Some(pending) = get("request").and_then(|id| engine.take_pending(id)) else {
                    return bad_request("this consent request is unknown or was already answered");
                };
                let decision = if get("action") == Some("allow") {
                    let scopes: Vec<String> = form
                        .iter()
                        .filter(|(k, _)| k == "scope")
                        .map(|(_, v)| v.clone())
                        .collect();
                    ConsentDecision::GrantOnly(scopes)
                } else {
                    ConsentDecision::Deny
                };
                authorize_response(engine.finish(pending, &decision))
            }
            _ => not_found(),
        }
    }
}

/// Turns the consent header into a decision; anything unreadable grants all.
pub fn parse_decision(header: Option<&str>) -> ConsentDecision {
    match header.map(str::trim) {
        Some("deny") => ConsentDecision::Deny,
        Some(other) if other.starts_with("grant_only") => ConsentDecision::GrantOnly(
            other["grant_only".len()..]
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        ),
        _ => ConsentDecision::GrantAll,
    }
}

fn authorize_response(outcome: AuthorizeOutcome) -> ResponseTemplate {
    let template = match outcome.response {
        AuthorizeResponse::Redirect(location) => {
            ResponseTemplate::new(302).insert_header("location", location.as_str())
        }
        AuthorizeResponse::ErrorPage(error) => ResponseTemplate::new(error.status)
            .insert_header(ERROR_HEADER, error.error.as_str())
            .insert_header(ERROR_DESCRIPTION_HEADER, error.description.as_str())
            .set_body_raw(page::error(&error), "text/html; charset=utf-8"),
        AuthorizeResponse::CodePage(code) => {
            ResponseTemplate::new(200).set_body_raw(page::oob_code(&code), "text/html; charset=utf-8")
        }
    };
    with_consent_header(template, outcome.consent_screen)
}

fn with_consent_header(template: ResponseTemplate, shown: bool) -> ResponseTemplate {
    template.insert_header(CONSENT_SCREEN_HEADER, if shown { "shown" } else { "skipped" })
}

fn json_response(response: JsonResponse) -> ResponseTemplate {
    // Google answers JSON errors with the charset parameter (OBS apache/opendal #3901)
    let body = serde_json::to_vec(&response.body).unwrap_or_default();
    ResponseTemplate::new(response.status)
        .set_body_raw(body, "application/json; charset=utf-8")
        .insert_header("cache-control", "no-cache, no-store, max-age=0, must-revalidate")
}

fn bad_request(message: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_request", "error_description": message}))
}

/// Google's bare 404 page (GET on /revoke answers this: OBS oauth2client #750).
fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_raw(page::not_found(), "text/html; charset=utf-8")
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The scheme, host and port the client used to reach us.
fn base_url(request: &Request) -> String {
    match header(request, "host") {
        Some(host) => format!("{}://{host}", request.url.scheme()),
        None => request.url.origin().ascii_serialization(),
    }
}

/// `application/x-www-form-urlencoded` pairs; wiremock has no form matcher.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `Authorization: Basic` credentials, URL-decoded as RFC 6749 §2.3.1 requires.
fn basic_auth(request: &Request) -> Option<(String, String)> {
    let value = header(request, "authorization")?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}
