//! Mounts a provider engine on wiremock: HTTP in, engine call, HTTP out.
//!
//! The same responder serves the in-process model of `run` (a shared wiremock server whose
//! [`CaseRouter`] hands each request to its case's engine, named by [`CASE_HEADER`]) and the
//! standalone `serve` (its own hyper server on a chosen listener).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use wiremock::{Request, Respond, ResponseTemplate};

use super::page;
use crate::provider::{
    AuthorizeOutcome, AuthorizeResponse, AuthorizeStep, ClientConfig, ConsentDecision, DeviceVerification, Engine,
    JsonResponse, Profile, ProviderError,
};

/// Reserved path prefix of the admin and test-hook endpoints.
pub const ADMIN_PREFIX: &str = "/_oauth-drift";
/// Request header naming the simulated user (else `login_hint`, else the default user).
pub const USER_HEADER: &str = "x-oauth-drift-user";
/// Request header `none`: the request comes without a session (nobody signed in), as a live
/// probe's session-less authorization requests do; the default user is not assumed.
pub const SESSION_HEADER: &str = "x-oauth-drift-session";
/// Request header with the simulated user's consent decision: `grant`, `deny`, `grant_only SCOPES`.
pub const CONSENT_HEADER: &str = "x-oauth-drift-consent";
/// Response header saying whether a consent screen was shown: `shown` or `skipped`.
pub const CONSENT_SCREEN_HEADER: &str = "x-oauth-drift-consent-screen";
/// Request header naming the case a request belongs to on a shared model server
/// (`CaseRouter`); the runner's transport (`target::InProcess`) adds it to every request.
pub const CASE_HEADER: &str = "x-oauth-drift-case";
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

/// The Content-Security-Policy of every page: nothing loads, nothing runs, nothing frames it.
/// (No `form-action`: browsers apply it to the consent form's redirect to the app.)
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

/// Shared handle to the engine behind a server.
pub type SharedEngine = Arc<Mutex<Engine>>;

/// Locks the engine; a poisoned lock (a panic elsewhere) still holds usable state.
pub fn lock(engine: &SharedEngine) -> MutexGuard<'_, Engine> {
    engine.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One answered request, as an access log sees it.
#[derive(Debug)]
pub struct Served<'a> {
    /// The request as it came in: its query and body hold secrets, so redact before showing.
    pub request: &'a Request,
    pub status: u16,
    /// What the answer meant, with no secret in it: `consent=shown redirect=code`,
    /// `error=invalid_grant`, `fields=access_token,expires_in,scope,token_type`.
    pub outcome: String,
    /// Time spent answering (not counting the network).
    pub elapsed: Duration,
}

/// Called once per answered request (serve's access log).
#[derive(Clone)]
pub struct AccessHook(pub Arc<dyn Fn(&Served<'_>) + Send + Sync>);

impl fmt::Debug for AccessHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessHook")
    }
}

/// What answers a model server's requests: one engine's [`ProviderResponder`], or a shared
/// server's [`CaseRouter`] in front of its cases' responders (`ModelServer::answer` calls it
/// without HTTP).
pub trait Handler: Send + Sync + 'static {
    fn handle(&self, request: &Request) -> ModelResponse;
}

/// The wiremock responder that answers as the provider.
#[derive(Debug, Clone)]
pub struct ProviderResponder {
    pub engine: SharedEngine,
    /// The engine's profile, shared so that routing needs no lock.
    pub profile: Arc<Profile>,
    pub consent: ConsentMode,
    pub default_user: String,
    pub access_hook: Option<AccessHook>,
    /// When set, every admin endpoint but the consent form needs `Authorization: Bearer`
    /// with this token (serve `--allow-remote`); when not, admin endpoints answer only
    /// requests addressed to a loopback host (no DNS rebinding).
    pub admin_token: Option<String>,
}

/// An HTTP response independent of the server that sends it: wiremock for the in-process
/// model, a plain hyper server for `serve` (wiremock keeps every matched request in memory,
/// which a long-running server cannot afford).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl ModelResponse {
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Sets a header, replacing any earlier value.
    pub fn insert_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    pub fn set_body_raw(self, body: impl Into<Vec<u8>>, mime: &str) -> Self {
        let mut answer = self.insert_header("content-type", mime);
        answer.body = body.into();
        answer
    }

    /// An HTML page that no other site may frame (clickjacking the consent screen) and that
    /// loads nothing: its only style is inline, it has no script.
    pub fn set_body_html(self, html: impl Into<Vec<u8>>) -> Self {
        self.set_body_raw(html, "text/html; charset=utf-8")
            .insert_header("x-frame-options", "DENY")
            .insert_header("content-security-policy", PAGE_CSP)
    }

    pub fn set_body_json(self, body: &serde_json::Value) -> Self {
        self.set_body_raw(serde_json::to_vec(body).unwrap_or_default(), "application/json")
    }

    /// The same response as wiremock sends it.
    pub fn into_template(self) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status);
        let mut mime = None;
        for (name, value) in self.headers {
            if name == "content-type" {
                mime = Some(value);
            } else {
                template = template.insert_header(name, value.as_str());
            }
        }
        match mime {
            Some(mime) => template.set_body_raw(self.body, &mime),
            None => template,
        }
    }
}

/// A response with the status and meaning an access log needs.
struct Reply {
    status: u16,
    meaning: Meaning,
    answer: ModelResponse,
}

/// What an answer meant (`Served::outcome`), put into words only when an access hook reads it:
/// most answers (every one of `run`'s) have no hook.
enum Meaning {
    Text(Cow<'static, str>),
    /// A redirect to the app after `consent=shown` or `consent=skipped`: the parameter names
    /// its Location carries (`redirect_outcome`).
    Redirect(&'static str),
    /// A JSON answer: its error, or its field names (`json_outcome`).
    Json(serde_json::Value),
}

impl Reply {
    fn new(status: u16, outcome: impl Into<Cow<'static, str>>, answer: ModelResponse) -> Self {
        Self {
            status,
            meaning: Meaning::Text(outcome.into()),
            answer,
        }
    }

    fn json(status: u16, outcome: impl Into<Cow<'static, str>>, body: &serde_json::Value) -> Self {
        Self::new(status, outcome, ModelResponse::new(status).set_body_json(body))
    }

    /// The outcome in words, as `Served::outcome` gives it.
    fn outcome(&self) -> String {
        match &self.meaning {
            Meaning::Text(text) => text.to_string(),
            Meaning::Redirect(consent) => {
                let location = self
                    .answer
                    .headers
                    .iter()
                    .find(|(name, _)| *name == "location")
                    .map_or("", |(_, value)| value.as_str());
                format!("{consent} {}", redirect_outcome(location))
            }
            Meaning::Json(body) => json_outcome(body),
        }
    }
}

impl Respond for ProviderResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.handle(request).into_template()
    }
}

impl Handler for ProviderResponder {
    fn handle(&self, request: &Request) -> ModelResponse {
        ProviderResponder::handle(self, request)
    }
}

impl ProviderResponder {
    /// Answers one request as the provider, and tells the access hook.
    pub fn handle(&self, request: &Request) -> ModelResponse {
        let started = Instant::now();
        let reply = self.with_cors(request);
        if let Some(AccessHook(hook)) = &self.access_hook {
            hook(&Served {
                request,
                status: reply.status,
                outcome: reply.outcome(),
                elapsed: started.elapsed(),
            });
        }
        reply.answer
    }

    /// The answer, with the CORS headers the profile gives this endpoint (`cors:`): the
    /// origin echoed, and a preflight (OPTIONS with Access-Control-Request-Method) answered
    /// 204 with the requested method and headers allowed. Elsewhere no CORS header is sent,
    /// so a browser refuses the page the response.
    fn with_cors(&self, request: &Request) -> Reply {
        let path = request.url.path();
        let origin = header(request, "origin").filter(|_| self.profile.cors_allows(path));
        let Some(origin) = origin else {
            return self.answer(request);
        };
        let requested_method = header(request, "access-control-request-method");
        let mut reply = match (request.method.as_str(), requested_method) {
            ("OPTIONS", Some(method)) => {
                let mut answer = ModelResponse::new(204).insert_header("access-control-allow-methods", method);
                if let Some(headers) = header(request, "access-control-request-headers") {
                    answer = answer.insert_header("access-control-allow-headers", headers);
                }
                if let Some(seconds) = self.profile.cors.max_age_seconds {
                    answer = answer.insert_header("access-control-max-age", seconds.to_string());
                }
                Reply::new(204, "cors preflight", answer)
            }
            _ => self.answer(request),
        };
        reply.answer = reply
            .answer
            .insert_header("access-control-allow-origin", origin)
            .insert_header("vary", "Origin");
        reply
    }

    fn answer(&self, request: &Request) -> Reply {
        let path = request.url.path();
        let method = request.method.as_str();
        let endpoints = &self.profile.endpoints;
        if let Some(admin) = path.strip_prefix(ADMIN_PREFIX) {
            return self.admin(method, admin, request);
        }
        match (method, path) {
            ("GET", p) if endpoints.is_authorize(p) => self.authorize(request, p),
            ("POST", p) if endpoints.is_token(p) => {
                let form = form_pairs(&request.body);
                let basic = basic_auth(request);
                let (mut response, key) = {
                    let mut engine = lock(&self.engine);
                    let response = engine.token(&form, basic);
                    let key = response.id_token.is_some().then(|| engine.signing_key());
                    (response, key)
                };
                // sign outside the lock: signing is most of a token answer's cost
                match key {
                    Some(Ok(key)) => response.sign_id_token(&key),
                    Some(Err(e)) => return server_error(&e.to_string()),
                    None => {}
                }
                json_response(response)
            }
            (m, p) if endpoints.is_revoke(p) && endpoints.revoke_methods.iter().any(|allowed| allowed == m) => {
                let mut pairs = form_pairs(&request.body);
                pairs.extend(request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())));
                let basic = basic_auth(request);
                json_response(lock(&self.engine).revoke_request(&pairs, basic))
            }
            ("POST", p) if endpoints.is_device(p) => {
                let form = form_pairs(&request.body);
                let mut engine = lock(&self.engine);
                let verification = engine
                    .profile()
                    .device_flow
                    .as_ref()
                    .map(|rules| format!("{}{}", base_url(request), rules.verification_path))
                    .unwrap_or_default();
                json_response(engine.device_authorization(&form, &verification))
            }
            ("GET", p)
                if self
                    .profile
                    .device_flow
                    .as_ref()
                    .is_some_and(|d| d.verification_path == p) =>
            {
                self.device_page(request)
            }
            ("GET" | "POST", p) if endpoints.is_tokeninfo(p) => {
                // Google takes the token as a parameter (query or form) or as a bearer token
                let mut pairs = form_pairs(&request.body);
                pairs.extend(request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())));
                let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                let bearer = bearer(request);
                let access = get("access_token").or(bearer);
                json_response(lock(&self.engine).tokeninfo(access.as_deref(), get("id_token").as_deref()))
            }
            ("GET", p) if endpoints.jwks.as_deref() == Some(p) || endpoints.pem_certs.as_deref() == Some(p) => {
                let key = lock(&self.engine).signing_key();
                match key {
                    Ok(key) if endpoints.jwks.as_deref() == Some(p) => certs_response(&key.jwks()),
                    Ok(key) => certs_response(&key.pem_certs()),
                    Err(e) => server_error(&e.to_string()),
                }
            }
            ("GET", p) if endpoints.is_userinfo(p) => {
                json_response(lock(&self.engine).userinfo(bearer(request).as_deref()))
            }
            ("GET", p) if p == endpoints.discovery => {
                let base = base_url(request);
                Reply::json(200, "discovery", &lock(&self.engine).discovery(&base))
            }
            _ => not_found(),
        }
    }

    fn authorize(&self, request: &Request, path: &str) -> Reply {
        let params: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let user = header(request, USER_HEADER).unwrap_or_default();
        let mut engine = lock(&self.engine);
        let signed_out = header(request, SESSION_HEADER).as_deref() == Some("none");
        // without a session, prompt=none meets nobody signed in (it may not ask anyone to sign
        // in); any other request lets the named user sign in when asked
        let silent = crate::provider::param(&params, "prompt").is_some_and(|p| p.split(' ').any(|v| v == "none"));
        let user = if signed_out && silent {
            String::new()
        } else if user.is_empty() && !signed_out && crate::provider::param(&params, "login_hint").is_none() {
            self.default_user.clone()
        } else {
            user
        };
        let approval_forces = (self.profile.endpoints.legacy_authorize.as_ref())
            .filter(|legacy| legacy.path == path)
            .map(|legacy| legacy.forces_consent);
        match (engine.begin_authorize_at(&params, &user, approval_forces), self.consent) {
            (AuthorizeStep::Done(outcome), _) => authorize_response(outcome),
            (AuthorizeStep::ConsentScreen(pending), ConsentMode::Page) => {
                let html = page::consent(&pending, engine.profile());
                engine.hold_pending(pending);
                let template = ModelResponse::new(200).set_body_html(html);
                Reply::new(200, "consent=shown page", with_consent_header(template, true))
            }
            (AuthorizeStep::ConsentScreen(pending), ConsentMode::Auto) => {
                let decision = parse_decision(header(request, CONSENT_HEADER).as_deref());
                authorize_response(engine.finish(pending, &decision))
            }
        }
    }

    /// Who may use the admin endpoints: the consent form is the user's (its request id is the
    /// capability); the rest is the operator's, never a web page's.
    fn admin_refusal(&self, path: &str, request: &Request) -> Option<Reply> {
        if path == "/consent" {
            return None;
        }
        // a browser names the page that sent a request; a script (curl, a test) does not
        let cross_site = header(request, "origin").is_some()
            || header(request, "sec-fetch-site").is_some_and(|site| site != "none" && site != "same-origin");
        if cross_site {
            return Some(refuse(
                403,
                "admin endpoints do not answer web pages (the request has an Origin)",
            ));
        }
        match &self.admin_token {
            Some(token) => {
                let given = header(request, "authorization")
                    .and_then(|h| h.strip_prefix("Bearer ").map(str::to_string))
                    .unwrap_or_default();
                (!constant_time_eq(given.as_bytes(), token.as_bytes())).then(|| {
                    refuse(
                        401,
                        "admin endpoints need Authorization: Bearer TOKEN (the token serve printed at start, or OAUTH_DRIFT_ADMIN_TOKEN)",
                    )
                })
            }
            None => {
                let host = header(request, "host").unwrap_or_default();
                let name = host.rsplit_once(':').map_or(host.as_str(), |(name, _)| name);
                let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
                (!loopback).then(|| refuse(403, "admin endpoints answer only requests to a loopback host"))
            }
        }
    }

    /// The device flow's verification page: with `?user_code=…` the simulated user (the user
    /// header, else the default user) decides at once as the consent header says; without
    /// it, a form to type the code into.
    fn device_page(&self, request: &Request) -> Reply {
        let code = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "user_code")
            .map(|(_, v)| v.into_owned());
        let page = |status: u16, outcome: &'static str, body: &str| {
            let html = format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>Connect a device</title></head><body>{body}</body></html>"
            );
            Reply::new(
                status,
                outcome,
                ModelResponse::new(status).set_body_raw(html, "text/html; charset=utf-8"),
            )
        };
        let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
            return page(
                200,
                "device_form",
                "<form method=\"get\"><label>Enter the code shown on your device <input name=\"user_code\" autofocus></label> <button>Next</button></form>",
            );
        };
        let user = header(request, USER_HEADER).unwrap_or_else(|| self.default_user.clone());
        let decision = parse_decision(header(request, CONSENT_HEADER).as_deref());
        match lock(&self.engine).device_verify(&code, &user, &decision) {
            DeviceVerification::Granted => page(
                200,
                "device=granted",
                "<p>Your device is connected. You can close this page.</p>",
            ),
            DeviceVerification::Denied => page(200, "device=denied", "<p>You denied access to the device.</p>"),
            DeviceVerification::UnknownCode => page(
                400,
                "device=unknown_code",
                "<p>That code is not valid or has expired. Check the code on your device and try again.</p>",
            ),
        }
    }

    fn admin(&self, method: &str, path: &str, request: &Request) -> Reply {
        if let Some(refusal) = self.admin_refusal(path, request) {
            return refusal;
        }
        let mut engine = lock(&self.engine);
        let query = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        match (method, path) {
            ("GET", "/health") => Reply::json(200, "ok", &json!({"status": "ok", "provider": engine.profile().id})),
            ("GET", "/clock") => Reply::json(200, "ok", &clock(&engine)),
            ("POST", "/clock/advance") => match query("seconds").and_then(|v| v.parse::<u64>().ok()) {
                Some(seconds) => {
                    engine.advance(seconds);
                    Reply::json(200, "ok", &clock(&engine))
                }
                None => bad_request("seconds=N is required"),
            },
            ("POST", "/clock/freeze") => {
                engine.freeze_clock();
                Reply::json(200, "ok", &clock(&engine))
            }
            ("POST", "/clock/resume") => {
                engine.resume_clock();
                Reply::json(200, "ok", &clock(&engine))
            }
            ("POST", "/reset") => {
                engine.reset();
                Reply::json(200, "ok", &json!({"reset": true}))
            }
            ("GET", "/grants") => Reply::json(200, "ok", &json!({"grants": engine.grants()})),
            // a scenario's `event:` step: a password change, an admin's restriction, … (JSON body)
            ("POST", "/event") => match serde_json::from_slice::<crate::provider::Event>(&request.body) {
                Ok(event) => match engine.apply_event(&event) {
                    Ok(()) => Reply::json(200, "ok", &json!({"applied": event})),
                    Err(problem) => bad_request(&problem),
                },
                Err(e) => bad_request(&format!("invalid event: {e}")),
            },
            ("GET", "/clients") => {
                // client ids and settings only: the secrets stay where they were configured
                let mut clients: Vec<_> = engine
                    .clients()
                    .map(|c| json!({"client_id": c.client_id, "kind": c.kind, "status": c.status, "redirect_uris": c.redirect_uris}))
                    .collect();
                clients.sort_by(|a, b| a["client_id"].as_str().cmp(&b["client_id"].as_str()));
                Reply::json(200, "ok", &json!({"clients": clients}))
            }
            ("POST", "/clients") => {
                // JSON only: a web page can POST text/plain or a form without asking first (CSRF)
                let json = header(request, "content-type").is_some_and(|v| {
                    v.split(';')
                        .next()
                        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
                });
                if !json {
                    return refuse(415, "register a client with Content-Type: application/json");
                }
                let client = match serde_json::from_slice::<ClientConfig>(&request.body) {
                    Ok(client) => client,
                    // serde's message may quote the body, and the body holds a secret
                    Err(e) => {
                        return bad_request(&format!(
                            "invalid client (line {}, column {}): expected client_id, client_secret, redirect_uris and optionally kind and status",
                            e.line(),
                            e.column()
                        ));
                    }
                };
                if let Err(problem) = crate::provider::check_client(&client, &engine.profile().authorize) {
                    return bad_request(&problem);
                }
                let replace = query("replace").is_some_and(|v| v == "true");
                if !replace && engine.clients().any(|c| c.client_id == client.client_id) {
                    return refuse(
                        409,
                        "a client with this client_id exists; add ?replace=true to replace it",
                    );
                }
                engine.register_client(client);
                Reply::json(201, "registered", &json!({"registered": true}))
            }
            ("POST", "/consent") => {
                let form = form_pairs(&request.body);
                let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
                let Some(pending) = get("request").and_then(|id| engine.take_pending(id)) else {
                    // a browser posts here (the back button, a second tab): answer with a page
                    let error = ProviderError {
                        status: 400,
                        error: "invalid_request".into(),
                        description:
                            "This consent request is unknown or was already answered. Start again from the app.".into(),
                    };
                    let template = ModelResponse::new(400)
                        .insert_header(ERROR_HEADER, error.error.as_str())
                        .set_body_html(page::error(&error));
                    return Reply::new(400, "error_page=invalid_request", template);
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

fn clock(engine: &Engine) -> serde_json::Value {
    json!({"now": engine.now(), "frozen": engine.clock_frozen()})
}

/// Turns the consent header into a decision; anything unreadable grants all.
pub fn parse_decision(header: Option<&str>) -> ConsentDecision {
    match header.map(str::trim) {
        Some("deny") => ConsentDecision::Deny,
        Some(other) if other.starts_with("grant_for") => match other["grant_for".len()..].trim().parse() {
            Ok(seconds) => ConsentDecision::GrantFor(seconds),
            Err(_) => ConsentDecision::GrantAll,
        },
        Some(other) if other.starts_with("grant_only") => ConsentDecision::GrantOnly(
            other["grant_only".len()..]
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        ),
        _ => ConsentDecision::GrantAll,
    }
}

fn authorize_response(outcome: AuthorizeOutcome) -> Reply {
    let consent = if outcome.consent_screen {
        "consent=shown"
    } else {
        "consent=skipped"
    };
    let (status, what, template) = match outcome.response {
        AuthorizeResponse::Redirect(location) => {
            let answer = ModelResponse::new(302).insert_header("location", location);
            return Reply {
                status: 302,
                meaning: Meaning::Redirect(consent),
                answer: with_consent_header(answer, outcome.consent_screen),
            };
        }
        AuthorizeResponse::ErrorPage(error) => {
            let what = format!("error_page={}", error.error);
            let template = ModelResponse::new(error.status)
                .insert_header(ERROR_HEADER, error.error.as_str())
                .insert_header(ERROR_DESCRIPTION_HEADER, error.description.as_str())
                .set_body_html(page::error(&error));
            (error.status, what, template)
        }
        AuthorizeResponse::CodePage(code) => (
            200,
            "code_page".into(),
            ModelResponse::new(200).set_body_html(page::oob_code(&code)),
        ),
    };
    Reply::new(
        status,
        format!("{consent} {what}"),
        with_consent_header(template, outcome.consent_screen),
    )
}

/// What a redirect to the app carries, by parameter name (values are secrets or the app's).
fn redirect_outcome(location: &str) -> String {
    let pairs = crate::target::Redirect::parse(location).params;
    if let Some((_, error)) = pairs.iter().find(|(k, _)| k == "error") {
        return format!("redirect error={error}");
    }
    let carried: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| matches!(*k, "code" | "access_token" | "id_token"))
        .collect();
    format!("redirect={}", carried.join(","))
}

fn with_consent_header(template: ModelResponse, shown: bool) -> ModelResponse {
    template.insert_header(CONSENT_SCREEN_HEADER, if shown { "shown" } else { "skipped" })
}

/// A JSON answer's meaning: its error, else its field names.
fn json_outcome(body: &serde_json::Value) -> String {
    match body.get("error").and_then(serde_json::Value::as_str) {
        Some(error) => format!("error={error}"),
        None => match body.as_object() {
            Some(fields) if !fields.is_empty() => format!(
                "fields={}",
                fields.keys().map(String::as_str).collect::<Vec<_>>().join(",")
            ),
            _ => "empty".into(),
        },
    }
}

fn json_response(response: JsonResponse) -> Reply {
    // Google answers JSON errors with the charset parameter (OBS apache/opendal #3901)
    let body = serde_json::to_vec(&response.body).unwrap_or_default();
    let template = ModelResponse::new(response.status)
        .set_body_raw(body, "application/json; charset=utf-8")
        .insert_header("cache-control", "no-cache, no-store, max-age=0, must-revalidate");
    Reply {
        status: response.status,
        meaning: Meaning::Json(response.body),
        answer: template,
    }
}

/// An admin refusal: `status` with an OAuth-style JSON error.
fn refuse(status: u16, message: &str) -> Reply {
    let error = match status {
        401 => "unauthorized",
        403 => "forbidden",
        409 => "conflict",
        415 => "unsupported_media_type",
        _ => "invalid_request",
    };
    Reply::json(
        status,
        format!("error={error}"),
        &json!({"error": error, "error_description": message}),
    )
}

/// Compares secrets without an early exit, so timing does not reveal a prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The signing keys, as JSON that clients may cache only briefly: a restarted serve has a
/// new key unless it was given `--signing-key`.
fn certs_response(body: &serde_json::Value) -> Reply {
    let answer = ModelResponse::new(200)
        .set_body_raw(
            serde_json::to_vec(body).unwrap_or_default(),
            "application/json; charset=UTF-8",
        )
        .insert_header("cache-control", "public, max-age=0, must-revalidate, no-transform");
    Reply::new(200, "certs", answer)
}

fn server_error(message: &str) -> Reply {
    Reply::json(
        500,
        "error=server_error",
        &json!({"error": "server_error", "error_description": message}),
    )
}

/// The token of an `Authorization: Bearer` header.
fn bearer(request: &Request) -> Option<String> {
    header(request, "authorization").and_then(|h| h.strip_prefix("Bearer ").map(str::to_string))
}

fn bad_request(message: &str) -> Reply {
    Reply::json(
        400,
        "error=invalid_request",
        &json!({"error": "invalid_request", "error_description": message}),
    )
}

/// Google's bare 404 page (GET on /revoke answers this: OBS oauth2client #750).
fn not_found() -> Reply {
    Reply::new(
        404,
        "not_found",
        ModelResponse::new(404).set_body_html(page::not_found()),
    )
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The engines a shared model server answers for, by case: a case's responder is added
/// when the case starts and removed when it ends, so the table holds the cases in flight.
#[derive(Debug, Default)]
pub struct Routes(RwLock<HashMap<u64, Arc<ProviderResponder>>>);

impl Routes {
    pub fn insert(&self, case: u64, responder: ProviderResponder) {
        self.write().insert(case, Arc::new(responder));
    }

    pub fn remove(&self, case: u64) {
        self.write().remove(&case);
    }

    fn get(&self, case: u64) -> Option<Arc<ProviderResponder>> {
        self.read().get(&case).cloned()
    }

    // a poisoned lock (a panic elsewhere) still holds a usable table
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<u64, Arc<ProviderResponder>>> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<u64, Arc<ProviderResponder>>> {
        self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The responder of a shared model server: each request goes to the engine of the case its
/// [`CASE_HEADER`] names. A request naming no case, or a case not running, is answered 421
/// (Misdirected Request) with a JSON error saying which, and reaches no engine.
#[derive(Debug, Clone, Default)]
pub struct CaseRouter {
    pub routes: Arc<Routes>,
}

impl Respond for CaseRouter {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.route(request).into_template()
    }
}

impl Handler for CaseRouter {
    fn handle(&self, request: &Request) -> ModelResponse {
        self.route(request)
    }
}

impl CaseRouter {
    /// Answers `request` as its case's provider, or says why it has no case.
    pub fn route(&self, request: &Request) -> ModelResponse {
        let named = request.headers.get(CASE_HEADER).map(|v| v.to_str().unwrap_or_default());
        let Some(named) = named else {
            return misrouted(&format!(
                "the request names no case: a shared model server answers only requests with an {CASE_HEADER} header"
            ));
        };
        let Ok(case) = named.trim().parse::<u64>() else {
            return misrouted(&format!("{CASE_HEADER} must be a case number"));
        };
        match self.routes.get(case) {
            Some(responder) => responder.handle(request),
            None => misrouted(&format!(
                "case {case} is not running on this model server (it has ended, or never started)"
            )),
        }
    }
}

fn misrouted(message: &str) -> ModelResponse {
    ModelResponse::new(421).set_body_json(&json!({"error": "misdirected_request", "error_description": message}))
}

/// The scheme, host and port the client used to reach us: its Host header when that is a
/// plain `host[:port]`, else the address the request came in on.
fn base_url(request: &Request) -> String {
    match header(request, "host").filter(|host| is_authority(host)) {
        Some(host) => format!("{}://{host}", request.url.scheme()),
        None => request.url.origin().ascii_serialization(),
    }
}

/// Whether `host` is exactly `host[:port]`: no userinfo, path, query or fragment smuggled in.
fn is_authority(host: &str) -> bool {
    let Ok(url) = url::Url::parse(&format!("http://{host}/")) else {
        return false;
    };
    let Some(parsed) = url.host_str() else {
        return false;
    };
    let rebuilt = match url.port() {
        Some(port) => format!("{parsed}:{port}"),
        // `host:80` parses to no port (the default); keep the client's spelling
        None if host.ends_with(":80") => format!("{parsed}:80"),
        None => parsed.to_string(),
    };
    url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && rebuilt.eq_ignore_ascii_case(host)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_host_and_port_is_an_authority() {
        for good in [
            "127.0.0.1:8080",
            "localhost",
            "LocalHost:1",
            "[::1]:9",
            "app.example:80",
        ] {
            assert!(is_authority(good), "{good}");
        }
        for bad in [
            "x/_oauth-drift/reset?",
            "evil@127.0.0.1:1",
            "a:b@host",
            "host?x",
            "host#x",
            "host:99999",
            "host:",
            "",
            "ho st",
        ] {
            assert!(!is_authority(bad), "{bad}");
        }
    }
}
