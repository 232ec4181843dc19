//! The behaviour engine: what a provider does with each request, given its profile.
//!
//! It is plain synchronous state (consent memory, codes, tokens, a clock) with no HTTP in it;
//! `model` mounts it on wiremock, `serve` on a listener, and `diagnose` calls it directly, so
//! every user of the model asks the same engine.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::profile::{
    AuthorizeRules, ClaimRule, ClaimWhen, CodeReuse, Delivery, ErrorSpec, OfflineRequest, Profile, TokenShape,
};
use super::signing::{KeyError, SigningKey, at_hash};
use super::store::{BoundedMap, Footprint};
use super::trace::{Decision, Effect, Rule, Trace, flow};

#[path = "device.rs"]
mod device;
#[path = "events.rs"]
mod events;
#[path = "lifecycle.rs"]
mod lifecycle;
pub use events::Event;
#[path = "project.rs"]
mod project;
pub use device::{DEVICE_GRANT, DeviceVerification};

/// The virtual clock starts here, so ids and expiries are the same on every run.
const EPOCH: u64 = 1_700_000_000;
/// How many codes, access tokens and grants a long-running server keeps at most.
const STORE_CAP: usize = 50_000;
/// How many bytes (by `Footprint`) each of those stores, and the pending consent screens,
/// hold at most; past it the oldest entries are forgotten first.
pub const STORE_BYTES: usize = 32 << 20;
/// How many consent screens wait for an answer at most.
const PENDING_CAP: usize = 10_000;

/// What kind of OAuth client: it changes redirect rules and the default access type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    #[default]
    Web,
    Installed,
}

/// The publishing status of the client's consent screen (Google Cloud Console).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublishingStatus {
    #[default]
    Production,
    Testing,
}

/// A registered OAuth client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub client_id: String,
    pub client_secret: String,
    #[serde(default)]
    pub kind: ClientKind,
    #[serde(default)]
    pub status: PublishingStatus,
    pub redirect_uris: Vec<String>,
    /// The Google Cloud project the client is registered under: consent memory, grants and
    /// revocation belong to (user, project) (D2 `prompt`, D2 include_granted_scopes, D4
    /// revocation). None: a project of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// When the client was created (`YYYY-MM-DD`): older clients may opt out of granular
    /// consent (`consent.granular_opt_out_before`, D2 `enable_granular_consent`). None: new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

/// What the simulated user does on a consent screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConsentDecision {
    #[default]
    GrantAll,
    /// Tick only these scopes on a granular consent screen.
    GrantOnly(Vec<String>),
    /// Grant everything with time-based access (D2): the authorization ends after these seconds.
    GrantFor(u64),
    Deny,
}

/// An error as the provider answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub status: u16,
    pub error: String,
    pub description: String,
}

impl ProviderError {
    fn new(spec: &ErrorSpec, param: &str, value: &str) -> Self {
        Self {
            status: spec.status,
            error: spec.error.clone(),
            description: spec.describe(param, value),
        }
    }

    /// The JSON body a token or revoke endpoint returns.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

/// How the authorization endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeResponse {
    /// The provider's own error page; nothing reaches the app.
    ErrorPage(ProviderError),
    /// A redirect to the app (with a code, tokens in the fragment, or `error=`).
    Redirect(String),
    /// An out-of-band flow: the code is shown on a page for the user to copy.
    CodePage(String),
}

/// The answer to an authorization request, and whether a consent screen was shown on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeOutcome {
    pub consent_screen: bool,
    pub response: AuthorizeResponse,
}

/// A request waiting for the user's decision on a consent screen (serve's HTML consent page).
#[derive(Debug, Clone)]
pub struct PendingConsent {
    pub id: String,
    pub user: String,
    pub client_id: String,
    /// The scopes on the screen, in the provider's spelling.
    pub scopes: Vec<String>,
    pub granular: bool,
    pub sign_in_scopes: Vec<String>,
    request: Box<ValidRequest>,
}

/// Either the answer, or a consent screen the user must decide on first.
#[derive(Debug, Clone)]
pub enum AuthorizeStep {
    Done(AuthorizeOutcome),
    ConsentScreen(PendingConsent),
}

/// An HTTP-free response from the token, revoke or userinfo endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonResponse {
    pub status: u16,
    pub body: Value,
    /// The claims of an id_token this answer carries, not yet signed: `body["id_token"]` is
    /// an empty string until `sign_id_token` fills it. Signing is the costly part of a token
    /// answer, so the server does it after letting go of the engine's lock.
    pub id_token: Option<serde_json::Map<String, Value>>,
}

impl JsonResponse {
    fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            id_token: None,
        }
    }

    fn error(error: ProviderError) -> Self {
        Self {
            status: error.status,
            body: error.body(),
            id_token: None,
        }
    }

    /// Signs the pending id_token into the body (nothing to do when there is none).
    pub fn sign_id_token(&mut self, key: &SigningKey) {
        if let Some(claims) = self.id_token.take()
            && let Some(body) = self.body.as_object_mut()
        {
            body.insert("id_token".into(), key.sign(&claims).into());
        }
    }
}

/// One user's standing grant to one client: the consent memory.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    pub scopes: BTreeSet<String>,
    #[serde(skip)]
    epoch: u64,
    /// Live refresh tokens, oldest first (the per-client limit evicts from the front).
    #[serde(skip)]
    refresh_tokens: Vec<String>,
    pub live_refresh_tokens: usize,
    /// When the authorization itself ends (a testing-status client's 7 days from consent).
    #[serde(skip)]
    expires_at: Option<u64>,
}

/// A grant as `serve`'s admin endpoint lists it: no token values.
#[derive(Debug, Clone, Serialize)]
pub struct GrantSummary {
    pub user: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub live_refresh_tokens: usize,
}

type GrantKey = (String, String);

#[derive(Debug, Clone)]
struct ValidRequest {
    client_id: String,
    user: String,
    redirect_uri: String,
    response_type: BTreeSet<String>,
    state: Option<String>,
    scopes: BTreeSet<String>,
    offline: bool,
    include_granted_scopes: bool,
    code_challenge: Option<(String, String)>,
    nonce: Option<String>,
    oob: bool,
}

#[derive(Debug, Clone)]
struct CodeRecord {
    grant: GrantKey,
    /// The client the code was issued to (the grant is the project's).
    client_id: String,
    epoch: u64,
    redirect_uri: String,
    scopes: BTreeSet<String>,
    refresh: bool,
    code_challenge: Option<(String, String)>,
    nonce: Option<String>,
    issued_at: u64,
    used: bool,
    /// The access and refresh token the first redemption issued (revoked on a replay).
    issued: Vec<String>,
}

#[derive(Debug, Clone)]
struct TokenRecord {
    grant: GrantKey,
    /// The client the token was issued to (the grant is the project's).
    client_id: String,
    epoch: u64,
    scopes: BTreeSet<String>,
    last_used: u64,
    expires_at: Option<u64>,
}

impl Footprint for ValidRequest {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.client_id.footprint()
            + self.user.footprint()
            + self.redirect_uri.footprint()
            + self.response_type.footprint()
            + self.state.footprint()
            + self.scopes.footprint()
            + self.code_challenge.footprint()
            + self.nonce.footprint()
    }
}

impl Footprint for PendingConsent {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.id.footprint()
            + self.user.footprint()
            + self.client_id.footprint()
            + self.scopes.footprint()
            + self.sign_in_scopes.footprint()
            + self.request.footprint()
    }
}

impl Footprint for CodeRecord {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.grant.footprint()
            + self.client_id.footprint()
            + self.redirect_uri.footprint()
            + self.scopes.footprint()
            + self.code_challenge.footprint()
            + self.nonce.footprint()
            + self.issued.footprint()
    }
}

impl Footprint for TokenRecord {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>() + self.grant.footprint() + self.client_id.footprint() + self.scopes.footprint()
    }
}

impl Footprint for Grant {
    fn footprint(&self) -> usize {
        std::mem::size_of::<Self>() + self.scopes.footprint() + self.refresh_tokens.footprint()
    }
}

/// The provider's state: consent memory, codes and tokens, on a clock.
#[derive(Debug)]
pub struct Engine {
    profile: Arc<Profile>,
    clients: HashMap<String, ClientConfig>,
    virtual_time: u64,
    real_time: bool,
    /// While a wall-clock engine is frozen: its offset before freezing and the frozen time.
    frozen: Option<(u64, u64)>,
    seq: u64,
    grants: BoundedMap<GrantKey, Grant>,
    codes: BoundedMap<String, CodeRecord>,
    access_tokens: BoundedMap<String, TokenRecord>,
    refresh_tokens: BoundedMap<String, TokenRecord>,
    pending: BoundedMap<String, PendingConsent>,
    /// The id_token signing key; the model's test key until `with_signing_key`.
    signing_key: Option<Arc<SigningKey>>,
    /// `iss` and discovery's `issuer` when not the profile's (serve `--issuer self`).
    issuer: Option<String>,
    /// Claims of the id_token the token answer being built carries (see `JsonResponse::id_token`).
    unsigned_id_token: Option<serde_json::Map<String, Value>>,
    /// Device authorizations by device code (RFC 8628).
    devices: BoundedMap<String, device::DeviceRecord>,
    /// Refresh tokens rotated out, remembered for reuse detection (`refresh_token.reuse_detection`).
    rotated_out: BoundedMap<String, TokenRecord>,
    /// When refresh tokens were revoked or evicted (`refresh_token.forgotten_after_seconds`).
    buried: BoundedMap<String, u64>,
    /// What events outside the OAuth endpoints did (`apply_event`).
    world: events::World,
    /// The URL the engine is served under, once a server knows it: the issuer of a profile
    /// with `issuer_served` (and the `iss` of its RFC 9207 authorization responses).
    served_url: Option<String>,
    /// The decisions of the calls since the last `take_trace`, when tracing (`with_trace`).
    trace: Trace,
}

impl Engine {
    /// An engine on a virtual clock that moves only when told (`advance`).
    pub fn new(profile: Arc<Profile>, clients: impl IntoIterator<Item = ClientConfig>) -> Self {
        Self {
            profile,
            clients: clients.into_iter().map(|c| (c.client_id.clone(), c)).collect(),
            virtual_time: EPOCH,
            real_time: false,
            frozen: None,
            seq: 0,
            grants: BoundedMap::new(STORE_CAP, STORE_BYTES),
            codes: BoundedMap::new(STORE_CAP, STORE_BYTES),
            access_tokens: BoundedMap::new(STORE_CAP, STORE_BYTES),
            refresh_tokens: BoundedMap::new(STORE_CAP, STORE_BYTES),
            pending: BoundedMap::new(PENDING_CAP, STORE_BYTES),
            signing_key: None,
            issuer: None,
            unsigned_id_token: None,
            devices: BoundedMap::new(PENDING_CAP, STORE_BYTES),
            rotated_out: BoundedMap::new(STORE_CAP, STORE_BYTES),
            buried: BoundedMap::new(STORE_CAP, STORE_BYTES),
            world: events::World::default(),
            served_url: None,
            trace: Trace::default(),
        }
    }

    /// An engine that explains its decisions (`take_trace`); diagnose reads them.
    pub fn with_trace(mut self) -> Self {
        self.trace = Trace::on();
        self
    }

    /// The decisions made since the last call, in order (empty unless `with_trace`).
    pub fn take_trace(&mut self) -> Vec<Decision> {
        self.trace.take()
    }

    /// An engine that signs id_tokens with `key` (serve's per-process or `--signing-key` key).
    pub fn with_signing_key(mut self, key: Arc<SigningKey>) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// An engine whose id_tokens and discovery document name `issuer` instead of the
    /// profile's (serve `--issuer self`: its own base URL, as generic OIDC clients demand).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The issuer: the `iss` of id_tokens and of RFC 9207 authorization responses, and
    /// discovery's `issuer`. An explicit one (`with_issuer`) first; then, for a profile with
    /// `issuer_served` (an OP names the URL it is served under), the served URL; else the
    /// profile's `issuer` (Google's, what its verifiers check).
    pub fn issuer(&self) -> &str {
        let served = self.served_url.as_deref().filter(|_| self.profile.issuer_served);
        self.issuer.as_deref().or(served).unwrap_or(&self.profile.issuer)
    }

    /// The key id_tokens are signed with: the one given, else the model's published test
    /// key ([`SigningKey::model`]).
    pub fn signing_key(&mut self) -> Result<Arc<SigningKey>, KeyError> {
        if let Some(key) = &self.signing_key {
            return Ok(Arc::clone(key));
        }
        let key = SigningKey::model()?;
        self.signing_key = Some(Arc::clone(&key));
        Ok(key)
    }

    /// Tells the engine the URL it is served under (see `issuer`).
    pub fn set_served_url(&mut self, url: &str) {
        self.served_url = Some(url.trim_end_matches('/').to_string());
    }

    /// An engine whose clock follows wall time, plus whatever `advance` adds (for `serve`).
    pub fn with_real_time(mut self) -> Self {
        self.real_time = true;
        self.virtual_time = 0;
        self
    }

    /// An engine whose grant, code and token stores hold at most `cap` entries each (oldest
    /// forgotten first), instead of the default 50,000.
    pub fn with_store_cap(mut self, cap: usize) -> Self {
        self.grants = BoundedMap::new(cap, STORE_BYTES);
        self.codes = BoundedMap::new(cap, STORE_BYTES);
        self.access_tokens = BoundedMap::new(cap, STORE_BYTES);
        self.refresh_tokens = BoundedMap::new(cap, STORE_BYTES);
        self.rotated_out = BoundedMap::new(cap, STORE_BYTES);
        self.buried = BoundedMap::new(cap, STORE_BYTES);
        self
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn shared_profile(&self) -> Arc<Profile> {
        Arc::clone(&self.profile)
    }

    /// Seconds since the Unix epoch on the engine's clock.
    pub fn now(&self) -> u64 {
        if self.real_time {
            let wall = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(EPOCH);
            // an admin may advance the clock by u64::MAX: saturate, never wrap or panic
            wall.saturating_add(self.virtual_time)
        } else {
            self.virtual_time
        }
    }

    pub fn advance(&mut self, seconds: u64) {
        self.virtual_time = self.virtual_time.saturating_add(seconds);
        self.apply_due_revocations();
    }

    /// Stops a wall-clock engine's clock where it is, so only `advance` moves it (serve's
    /// admin clock: tests that must not depend on how long a request takes). A virtual clock
    /// is always frozen; this leaves it alone.
    pub fn freeze_clock(&mut self) {
        if self.real_time {
            let now = self.now();
            self.frozen = Some((self.virtual_time, now));
            self.virtual_time = now;
            self.real_time = false;
        }
    }

    /// Lets a frozen wall-clock engine follow wall time again, keeping what `advance` added
    /// while it was frozen.
    pub fn resume_clock(&mut self) {
        if let Some((offset, frozen_at)) = self.frozen.take() {
            self.virtual_time = offset.saturating_add(self.virtual_time.saturating_sub(frozen_at));
            self.real_time = true;
        }
    }

    /// Whether the clock moves only when told to.
    pub fn clock_frozen(&self) -> bool {
        !self.real_time
    }

    pub fn register_client(&mut self, client: ClientConfig) {
        self.clients.insert(client.client_id.clone(), client);
    }

    pub fn clients(&self) -> impl Iterator<Item = &ClientConfig> {
        self.clients.values()
    }

    /// Forgets every grant, code and token (serve's admin reset); clients stay registered.
    pub fn reset(&mut self) {
        self.grants.clear();
        self.codes.clear();
        self.access_tokens.clear();
        self.refresh_tokens.clear();
        self.pending.clear();
        self.devices.clear();
        self.buried.clear();
        self.world = events::World::default();
    }

    /// Every standing grant, sorted, without token values.
    pub fn grants(&self) -> Vec<GrantSummary> {
        let mut list: Vec<_> = self
            .grants
            .iter()
            .map(|((user, client_id), grant)| GrantSummary {
                user: user.clone(),
                client_id: client_id.clone(),
                scopes: grant.scopes.iter().cloned().collect(),
                live_refresh_tokens: grant.refresh_tokens.len(),
            })
            .collect();
        list.sort_by(|a, b| (&a.user, &a.client_id).cmp(&(&b.user, &b.client_id)));
        list
    }

    /// A new code or token: the profile's prefix (`tokens.shapes`), then CSPRNG output, so
    /// that holding one says nothing about any other (no counter, no per-server salt in it).
    pub(super) fn mint(shape: &TokenShape) -> String {
        format!("{}{}", shape.prefix, random_token(shape.random_bytes))
    }

    // ---------------------------------------------------------------- authorization endpoint

    /// Runs an authorization request for `user` and, if a consent screen is shown, applies
    /// the user's `decision` to it. This is the whole front channel in one call.
    pub fn authorize(
        &mut self,
        params: &[(String, String)],
        user: &str,
        decision: &ConsentDecision,
    ) -> AuthorizeOutcome {
        match self.begin_authorize(params, user) {
            AuthorizeStep::Done(outcome) => outcome,
            AuthorizeStep::ConsentScreen(pending) => self.finish(pending, decision),
        }
    }

    /// Validates the request and decides whether a consent screen is needed.
    pub fn begin_authorize(&mut self, params: &[(String, String)], user: &str) -> AuthorizeStep {
        self.begin_authorize_at(params, user, None)
    }

    /// `begin_authorize` on a path where the legacy force parameter (`authorize.legacy_force`)
    /// behaves its own way (`endpoints.legacy_authorize`): `approval_forces` overrides the profile's rule.
    pub fn begin_authorize_at(
        &mut self,
        params: &[(String, String)],
        user: &str,
        approval_forces: Option<bool>,
    ) -> AuthorizeStep {
        let mut trace = std::mem::take(&mut self.trace);
        let validated = self.validate_authorize(params, user, &mut trace);
        self.trace = trace;
        let request = match validated {
            Ok(request) => request,
            Err(response) => {
                return AuthorizeStep::Done(AuthorizeOutcome {
                    consent_screen: false,
                    response,
                });
            }
        };
        self.apply_due_revocations();
        if let Some(error) = self.authorize_blocked(&request.user, &request.scopes) {
            return AuthorizeStep::Done(AuthorizeOutcome {
                consent_screen: false,
                response: AuthorizeResponse::ErrorPage(error),
            });
        }
        let prompt = tokens(param(params, "prompt").unwrap_or(""));
        // OIDC Core §3.1.2.6: nobody signed in and no screen may be shown
        if request.user.is_empty()
            && prompt.contains("none")
            && let Some(spec) = &self.profile.errors.login_required
        {
            return AuthorizeStep::Done(AuthorizeOutcome {
                consent_screen: false,
                response: self.early_error(spec, params, "prompt", "none"),
            });
        }
        // the legacy force parameter and its forcing value are the profile's (authorize.legacy_force)
        let approval_force = (self.profile.authorize.legacy_force_value(params)).is_some_and(|(l, v)| v == l.value);
        let rules = &self.profile;
        let legacy_path = approval_forces.is_some();
        let approval_forces = rules
            .authorize
            .legacy_force
            .as_ref()
            .is_some_and(|a| approval_forces.unwrap_or(a.forces_consent));
        if let Some(legacy) = rules.authorize.legacy_force.as_ref().filter(|_| approval_force) {
            let key = if legacy_path {
                "endpoints.legacy_authorize.forces_consent"
            } else {
                "authorize.legacy_force.forces_consent"
            };
            let effect = if approval_forces {
                Effect::ConsentForced
            } else {
                Effect::Ignored
            };
            self.trace.note(|| {
                Decision::new(rules, Rule::LegacyForce, key, approval_forces.to_string(), effect)
                    .on(&legacy.parameter, &legacy.value)
            });
        }
        let by_prompt = rules.consent.forced_by_prompt_consent && prompt.contains("consent");
        let forced = by_prompt || (approval_forces && approval_force);
        let key = self.grant_key(&request.user, &request.client_id);
        self.expire_grant(&key);
        let granted = self.grants.get(&key).map(|g| &g.scopes);
        let covered = granted.is_some_and(|g| request.scopes.is_subset(g));
        // a grant accumulates scopes across requests: it stays within the same limits
        if let Some(granted) = granted.filter(|_| !covered) {
            let limits = &self.profile.limits;
            let union: BTreeSet<&String> = granted.iter().chain(&request.scopes).collect();
            let bytes: usize = union.iter().map(|s| s.len() + 1).sum();
            if union.len() > limits.scopes || bytes > limits.param_bytes {
                let profile = Arc::clone(&self.profile);
                let more = format!(
                    "the grant would hold more than {} scopes or {} bytes of them",
                    limits.scopes, limits.param_bytes
                );
                let error = ProviderError::new(&profile.errors.invalid_length, "scope", &more);
                return AuthorizeStep::Done(AuthorizeOutcome {
                    consent_screen: false,
                    response: AuthorizeResponse::ErrorPage(error),
                });
            }
        }
        let consent = |effect: Effect| {
            let (key, value) = if forced && !by_prompt {
                ("authorize.legacy_force.forces_consent", "true".to_string())
            } else {
                (
                    "consent.forced_by_prompt_consent",
                    self.profile.consent.forced_by_prompt_consent.to_string(),
                )
            };
            let decision = Decision::new(&self.profile, Rule::Consent, key, value, effect);
            match param(params, "prompt") {
                Some(prompt) => decision.on("prompt", prompt),
                None => decision,
            }
        };
        if covered && !forced {
            self.trace.note(|| consent(Effect::ConsentSkipped));
            let outcome = self.complete(&request, request.scopes.clone(), false);
            return AuthorizeStep::Done(outcome);
        }
        if prompt.contains("none") {
            let profile = Arc::clone(&self.profile);
            let response = self.error_response(&profile.errors.consent_required, &request, "", "");
            self.trace.note(|| {
                let spec = &profile.errors.consent_required;
                let effect = Effect::Error(ProviderError::new(spec, "", ""));
                Decision::new(
                    &profile,
                    Rule::PromptNone,
                    "errors.consent_required",
                    spec.error.clone(),
                    effect,
                )
                .on("prompt", param(params, "prompt").unwrap_or_default())
            });
            return AuthorizeStep::Done(AuthorizeOutcome {
                consent_screen: false,
                response,
            });
        }
        self.trace.note(|| {
            consent(if forced {
                Effect::ConsentForced
            } else {
                Effect::ConsentShown
            })
        });
        let pending = PendingConsent {
            id: random_token(16),
            user: request.user.clone(),
            client_id: request.client_id.clone(),
            scopes: request.scopes.iter().cloned().collect(),
            granular: self.granular_for(&request.client_id, params),
            sign_in_scopes: self.profile.consent.sign_in_scopes.clone(),
            request: Box::new(request),
        };
        AuthorizeStep::ConsentScreen(pending)
    }

    /// Keeps a consent screen until the user answers it (serve's HTML consent page).
    pub fn hold_pending(&mut self, pending: PendingConsent) {
        self.pending.insert(pending.id.clone(), pending);
    }

    /// A consent screen shown earlier by `begin_authorize`, by id (serve's consent page).
    pub fn take_pending(&mut self, id: &str) -> Option<PendingConsent> {
        self.pending.remove(&id.to_string())
    }

    /// Applies the user's decision on a consent screen.
    pub fn finish(&mut self, pending: PendingConsent, decision: &ConsentDecision) -> AuthorizeOutcome {
        let granular = pending.granular;
        let request = *pending.request;
        let granted: BTreeSet<String> = match decision {
            ConsentDecision::Deny => BTreeSet::new(),
            ConsentDecision::GrantAll | ConsentDecision::GrantFor(_) => request.scopes.clone(),
            ConsentDecision::GrantOnly(_) if !granular => request.scopes.clone(),
            ConsentDecision::GrantOnly(chosen) => {
                let chosen: BTreeSet<String> = chosen.iter().map(|s| self.normalize_scope(s)).collect();
                let sign_in = self.sign_in_scopes();
                request
                    .scopes
                    .iter()
                    .filter(|s| chosen.contains(*s) || sign_in.contains(*s) || *s == "offline_access")
                    .cloned()
                    .collect()
            }
        };
        if granted.is_empty() {
            let profile = Arc::clone(&self.profile);
            let response = self.error_response(&profile.errors.access_denied, &request, "", "");
            return AuthorizeOutcome {
                consent_screen: true,
                response,
            };
        }
        let outcome = self.complete(&request, granted, true);
        if let ConsentDecision::GrantFor(seconds) = decision {
            self.limit_grant(&request.user, &request.client_id, *seconds);
        }
        outcome
    }

    /// Records the grant and answers with a code (or tokens, for the implicit flow).
    fn complete(
        &mut self,
        request: &ValidRequest,
        granted: BTreeSet<String>,
        consent_screen: bool,
    ) -> AuthorizeOutcome {
        let key = self.grant_key(&request.user, &request.client_id);
        let (epoch, all_granted) = match self.grants.get_mut(&key) {
            Some(grant) => {
                grant.scopes.extend(granted.iter().cloned());
                let answer = (grant.epoch, grant.scopes.clone());
                let evicted = self.grants.reweigh(&key);
                self.forget_grants(evicted);
                answer
            }
            None => {
                self.seq += 1;
                let grant = Grant {
                    scopes: granted.clone(),
                    epoch: self.seq,
                    refresh_tokens: Vec::new(),
                    live_refresh_tokens: 0,
                    expires_at: None,
                };
                let evicted = self.grants.insert(key.clone(), grant);
                self.forget_grants(evicted);
                (self.seq, granted.clone())
            }
        };
        if consent_screen {
            self.start_testing_clock(&key, &request.client_id, &request.scopes);
        }
        let scopes = if request.include_granted_scopes {
            all_granted
        } else {
            granted
        };
        let refresh = request.offline
            && request.response_type.contains("code")
            && (consent_screen || !self.profile.refresh_token.only_when_consent_shown);
        if request.offline || !request.response_type.contains("code") {
            let rules = &self.profile;
            self.trace.note(|| {
                let response_type = join_scopes(&request.response_type);
                let (key, value) = if request.response_type.contains("code") {
                    (
                        "refresh_token.only_when_consent_shown",
                        rules.refresh_token.only_when_consent_shown.to_string(),
                    )
                } else {
                    ("authorize.response_types", flow(&rules.authorize.response_types))
                };
                let effect = if refresh {
                    Effect::RefreshTokenIssued
                } else {
                    Effect::RefreshTokenWithheld
                };
                Decision::new(rules, Rule::RefreshToken, key, value, effect).on("response_type", &response_type)
            });
        }
        let now = self.now();
        let mut query: Vec<(&str, String)> = Vec::new();
        let mut fragment: Vec<(&str, String)> = Vec::new();
        if request.response_type.contains("code") {
            let code = Self::mint(&self.profile.tokens.shapes.code);
            let record = CodeRecord {
                grant: key.clone(),
                client_id: request.client_id.clone(),
                epoch,
                redirect_uri: request.redirect_uri.clone(),
                scopes: scopes.clone(),
                refresh,
                code_challenge: request.code_challenge.clone(),
                nonce: request.nonce.clone(),
                issued_at: now,
                used: false,
                issued: Vec::new(),
            };
            self.codes.insert(code.clone(), record);
            if request.oob {
                return AuthorizeOutcome {
                    consent_screen,
                    response: AuthorizeResponse::CodePage(code),
                };
            }
            let target = if request.response_type.len() > 1 {
                &mut fragment
            } else {
                &mut query
            };
            target.push(("code", code));
        }
        if request.response_type.contains("token") {
            let access = self.issue_access_token(&key, &request.client_id, epoch, &scopes);
            fragment.push(("access_token", access));
            fragment.push(("token_type", "Bearer".into()));
            fragment.push(("expires_in", self.profile.tokens.access_token_expires_in.to_string()));
        }
        if request.response_type.contains("id_token") {
            let access_hash = fragment
                .iter()
                .find(|(k, _)| *k == "access_token")
                .map(|(_, v)| at_hash(v));
            let presenter = (request.user.clone(), request.client_id.clone());
            let claims = self.id_token_claims(&presenter, &scopes, request.nonce.as_deref(), access_hash.as_deref());
            // the implicit and hybrid flows are rare: sign here, under the lock
            match self.signing_key() {
                Ok(signer) => fragment.push(("id_token", signer.sign(&claims))),
                Err(e) => {
                    let error = ProviderError {
                        status: 500,
                        error: "server_error".into(),
                        description: e.to_string(),
                    };
                    return AuthorizeOutcome {
                        consent_screen,
                        response: AuthorizeResponse::ErrorPage(error),
                    };
                }
            }
        }
        let target = if fragment.is_empty() { &mut query } else { &mut fragment };
        if let Some(state) = &request.state {
            target.push(("state", state.clone()));
        }
        if self.profile.authorize.scope_in_response {
            target.push(("scope", join_scopes(&scopes)));
        }
        if self.profile.authorize.iss_in_response {
            target.push(("iss", self.issuer().to_string()));
        }
        let location = build_redirect(&request.redirect_uri, &query, &fragment);
        AuthorizeOutcome {
            consent_screen,
            response: AuthorizeResponse::Redirect(location),
        }
    }

    fn error_response(&self, spec: &ErrorSpec, request: &ValidRequest, param: &str, value: &str) -> AuthorizeResponse {
        let error = ProviderError::new(spec, param, value);
        match spec.delivery {
            Delivery::Page => AuthorizeResponse::ErrorPage(error),
            Delivery::Redirect => {
                let mut pairs = vec![("error", error.error.clone())];
                if !error.description.is_empty() {
                    pairs.push(("error_description", error.description.clone()));
                }
                if let Some(state) = &request.state {
                    pairs.push(("state", state.clone()));
                }
                if self.profile.authorize.iss_in_response {
                    pairs.push(("iss", self.issuer().to_string()));
                }
                AuthorizeResponse::Redirect(build_redirect(&request.redirect_uri, &pairs, &[]))
            }
        }
    }

    /// An error found once the client and its redirect URI are known: on the provider's page,
    /// or (`delivery: redirect`, RFC 6749 §4.1.2.1) back at the redirect URI with `state`, in
    /// the fragment when the requested response type returns tokens there.
    fn early_error(
        &self,
        spec: &ErrorSpec,
        params: &[(String, String)],
        param_name: &str,
        value: &str,
    ) -> AuthorizeResponse {
        let error = ProviderError::new(spec, param_name, value);
        if spec.delivery == Delivery::Page {
            return AuthorizeResponse::ErrorPage(error);
        }
        let mut pairs = vec![("error", error.error.clone())];
        if !error.description.is_empty() {
            pairs.push(("error_description", error.description.clone()));
        }
        if let Some(state) = param(params, "state") {
            pairs.push(("state", state.to_string()));
        }
        if self.profile.authorize.iss_in_response {
            pairs.push(("iss", self.issuer().to_string()));
        }
        let redirect_uri = param(params, "redirect_uri").unwrap_or_default();
        let response_type = tokens(param(params, "response_type").unwrap_or_default());
        let in_fragment = response_type.iter().any(|t| t != "code");
        let location = if in_fragment {
            build_redirect(redirect_uri, &[], &pairs)
        } else {
            build_redirect(redirect_uri, &pairs, &[])
        };
        AuthorizeResponse::Redirect(location)
    }

    fn validate_authorize(
        &self,
        params: &[(String, String)],
        user: &str,
        trace: &mut Trace,
    ) -> Result<ValidRequest, AuthorizeResponse> {
        let p = &self.profile;
        let error = |spec: &ErrorSpec, param: &str, value: &str| Effect::Error(ProviderError::new(spec, param, value));
        let page = |spec: &ErrorSpec, param: &str, value: &str| {
            AuthorizeResponse::ErrorPage(ProviderError::new(spec, param, value))
        };
        // before anything is looked at or kept: nothing over-long is remembered
        let limits = &p.limits;
        let too_long = format!("longer than {} bytes", limits.param_bytes);
        for (name, value) in params {
            if name.len() + value.len() > limits.param_bytes {
                return Err(page(&p.errors.invalid_length, &shorten(name), &too_long));
            }
        }
        if user.len() > limits.param_bytes {
            return Err(page(&p.errors.invalid_length, "x-oauth-drift-user", &too_long));
        }
        // RFC 6749 §3.1.2.3: the sole registered redirect URI stands in for a missing one
        let sole_redirect = p
            .authorize
            .sole_redirect_uri_default
            .then(|| self.clients.get(param(params, "client_id").unwrap_or_default()))
            .flatten()
            .filter(|c| c.redirect_uris.len() == 1)
            .and_then(|c| c.redirect_uris.first())
            .filter(|_| param(params, "redirect_uri").is_none_or(str::is_empty));
        let filled: Vec<(String, String)>;
        let params = match sole_redirect {
            Some(uri) => {
                filled = params
                    .iter()
                    .filter(|(k, _)| k != "redirect_uri")
                    .cloned()
                    .chain([("redirect_uri".to_string(), uri.clone())])
                    .collect();
                filled.as_slice()
            }
            None => params,
        };
        let missing_spec = |name: &str| {
            if name == "response_type" {
                &p.errors.missing_response_type
            } else {
                &p.errors.missing_param
            }
        };
        let mut missing = p
            .authorize
            .required
            .iter()
            .filter(|name| param(params, name).is_none_or(str::is_empty));
        if let Some(first) = missing.next() {
            // every missing one is explained; the first is answered
            for name in std::iter::once(first).chain(missing) {
                trace.note(|| {
                    let effect = error(missing_spec(name), name, "");
                    Decision::new(
                        p,
                        Rule::RequiredParameter,
                        "authorize.required",
                        flow(&p.authorize.required),
                        effect,
                    )
                    .on(name, param(params, name).unwrap_or_default())
                });
            }
            return Err(page(missing_spec(first), first, ""));
        }
        let get = |name: &str| param(params, name).unwrap_or_default();
        let client_id = get("client_id");
        let client = self
            .clients
            .get(client_id)
            .ok_or_else(|| page(&p.errors.unknown_client, "client_id", client_id))?;
        let redirect_uri = get("redirect_uri");
        let oob = p.authorize.is_oob(redirect_uri);
        if oob && p.authorize.oob_blocked {
            trace.note(|| {
                let effect = error(&p.errors.oob_blocked, "redirect_uri", redirect_uri);
                Decision::new(p, Rule::OutOfBand, "authorize.oob_blocked", "true", effect)
                    .on("redirect_uri", redirect_uri)
            });
            return Err(page(&p.errors.oob_blocked, "redirect_uri", redirect_uri));
        }
        let oob_ok = oob && client.kind == ClientKind::Installed;
        if !oob_ok && !redirect_registered(client, redirect_uri) {
            trace.note(|| {
                let spec = &p.errors.redirect_uri_mismatch;
                let effect = error(spec, "redirect_uri", redirect_uri);
                Decision::new(
                    p,
                    Rule::RedirectRegistered,
                    "errors.redirect_uri_mismatch",
                    spec.error.clone(),
                    effect,
                )
                .on("redirect_uri", redirect_uri)
            });
            return Err(page(&p.errors.redirect_uri_mismatch, "redirect_uri", redirect_uri));
        }
        let response_type_raw = get("response_type");
        let response_type = tokens(response_type_raw);
        let known_type = p
            .authorize
            .response_types
            .iter()
            .chain(&p.authorize.response_types_tolerated)
            .any(|t| same_tokens(t, &response_type));
        if !known_type {
            trace.note(|| {
                let effect = error(
                    p.errors
                        .unsupported_response_type
                        .as_ref()
                        .unwrap_or(&p.errors.invalid_value),
                    "response_type",
                    response_type_raw,
                );
                Decision::new(
                    p,
                    Rule::ResponseType,
                    "authorize.response_types",
                    flow(&p.authorize.response_types),
                    effect,
                )
                .on("response_type", response_type_raw)
            });
            return Err(match &p.errors.unsupported_response_type {
                Some(spec) => self.early_error(spec, params, "response_type", response_type_raw),
                None => page(&p.errors.invalid_value, "response_type", response_type_raw),
            });
        }
        // from here on an error may go back to the (registered) redirect URI
        let deliver = |spec: &ErrorSpec, name: &str, value: &str| self.early_error(spec, params, name, value);
        let prompt_raw = param(params, "prompt");
        // a profile without a legacy force parameter ignores it like any unknown parameter
        if let Some((rules, value)) = p.authorize.legacy_force_value(params) {
            if prompt_raw.is_some() && rules.conflicts_with_prompt {
                trace.note(|| {
                    let effect = error(&p.errors.conflict_params, "", "");
                    let key = "authorize.legacy_force.conflicts_with_prompt";
                    Decision::new(p, Rule::LegacyForceConflict, key, "true", effect).on(&rules.parameter, value)
                });
                return Err(page(&p.errors.conflict_params, "", ""));
            }
            if !rules.accepted.iter().any(|v| v == value) {
                trace.note(|| {
                    let effect = error(&p.errors.invalid_value, &rules.parameter, value);
                    let key = "authorize.legacy_force.accepted";
                    Decision::new(p, Rule::LegacyForceValue, key, flow(&rules.accepted), effect)
                        .on(&rules.parameter, value)
                });
                return Err(page(&p.errors.invalid_value, &rules.parameter, value));
            }
        }
        if let Some(prompt) = prompt_raw {
            let values: Vec<&str> = prompt.split_whitespace().collect();
            let is = |list: &[String], value: &str| list.iter().any(|v| v == value);
            let mut unknown = values
                .iter()
                .filter(|v| !is(&p.authorize.prompt_values, v) && !is(&p.authorize.prompt_tolerated, v));
            if let Some(first) = unknown.next() {
                // every value refused is explained; the first is answered
                for value in std::iter::once(first).chain(unknown) {
                    trace.note(|| {
                        let effect = error(&p.errors.invalid_prompt, "prompt", value);
                        let key = "authorize.prompt_values";
                        Decision::new(p, Rule::PromptValue, key, flow(&p.authorize.prompt_values), effect)
                            .on("prompt", value)
                    });
                }
                return Err(deliver(&p.errors.invalid_prompt, "prompt", first));
            }
            for value in values.iter().filter(|v| is(&p.authorize.prompt_tolerated, v)) {
                trace.note(|| {
                    let key = "authorize.prompt_tolerated";
                    Decision::new(
                        p,
                        Rule::PromptTolerated,
                        key,
                        flow(&p.authorize.prompt_tolerated),
                        Effect::Ignored,
                    )
                    .on("prompt", value)
                });
            }
            if values.len() > 1 && values.contains(&"none") {
                trace.note(|| {
                    let effect = error(&p.errors.prompt_none_combined, "prompt", prompt);
                    let key = "errors.prompt_none_combined";
                    Decision::new(
                        p,
                        Rule::PromptNoneCombined,
                        key,
                        p.errors.prompt_none_combined.error.clone(),
                        effect,
                    )
                    .on("prompt", prompt)
                });
                return Err(deliver(&p.errors.prompt_none_combined, "prompt", prompt));
            }
        }
        // an empty `access_types`: not a parameter of this provider, ignored like any unknown
        // one (RFC 6749 §3.1 "The authorization server MUST ignore unrecognized request parameters")
        let access_type = param(params, "access_type").filter(|_| !p.authorize.access_types.is_empty());
        if let Some(value) = access_type
            && !p.authorize.access_types.iter().any(|v| v == value)
        {
            trace.note(|| {
                let effect = error(&p.errors.invalid_value, "access_type", value);
                Decision::new(
                    p,
                    Rule::AccessType,
                    "authorize.access_types",
                    flow(&p.authorize.access_types),
                    effect,
                )
                .on("access_type", value)
            });
            return Err(page(&p.errors.invalid_value, "access_type", value));
        }
        let challenge = param(params, "code_challenge");
        let method = param(params, "code_challenge_method");
        if let (Some(_), None, Some(spec)) = (challenge, method, &p.errors.missing_code_challenge_method) {
            trace.note(|| {
                let effect = error(spec, "code_challenge_method", "");
                let key = "errors.missing_code_challenge_method";
                Decision::new(p, Rule::PkceMethodRequired, key, spec.error.clone(), effect)
                    .on("code_challenge_method", "")
            });
            return Err(deliver(spec, "code_challenge_method", ""));
        }
        if let Some(method) = method {
            let methods = &p.authorize.code_challenge_methods;
            if !methods.iter().any(|m| m == method) {
                trace.note(|| {
                    let spec = p.errors.unsupported_code_challenge_method.as_ref();
                    let effect = error(spec.unwrap_or(&p.errors.invalid_value), "code_challenge_method", method);
                    let key = "authorize.code_challenge_methods";
                    Decision::new(p, Rule::PkceMethod, key, flow(methods), effect).on("code_challenge_method", method)
                });
                return Err(match &p.errors.unsupported_code_challenge_method {
                    Some(spec) => deliver(spec, "code_challenge_method", method),
                    None => page(&p.errors.invalid_value, "code_challenge_method", method),
                });
            }
            if challenge.is_none() {
                trace.note(|| {
                    let spec = &p.errors.missing_code_challenge;
                    let effect = error(spec, "code_challenge", "");
                    let key = "errors.missing_code_challenge";
                    Decision::new(p, Rule::PkceChallengeMissing, key, spec.error.clone(), effect)
                        .on("code_challenge_method", method)
                });
                return Err(deliver(&p.errors.missing_code_challenge, "code_challenge", ""));
            }
        }
        if let (Some(challenge), Some([min, max])) = (challenge, limits.pkce_length)
            && !(min..=max).contains(&challenge.len())
        {
            let expected = format!("must be {min} to {max} characters long");
            return Err(page(&p.errors.invalid_length, "code_challenge", &expected));
        }
        let code_challenge = challenge.map(|c| {
            let method = method.unwrap_or(&p.authorize.default_code_challenge_method);
            (method.to_string(), c.to_string())
        });
        if code_challenge.is_some() {
            trace.note(|| {
                let key = "authorize.default_code_challenge_method";
                let default = p.authorize.default_code_challenge_method.clone();
                Decision::new(p, Rule::PkceMethodUsed, key, default, Effect::Applied)
                    .on("code_challenge_method", method.unwrap_or_default())
            });
        }

        let requested: Vec<&str> = get("scope").split_whitespace().collect();
        if let Some(spec) = &p.errors.invalid_scope
            && requested
                .iter()
                .any(|s| p.authorize.rejected_scopes.iter().any(|r| r == s))
        {
            let (invalid, valid): (Vec<&str>, Vec<&str>) = requested
                .iter()
                .partition(|s| p.authorize.rejected_scopes.iter().any(|r| r == *s));
            let valid: Vec<String> = valid.iter().map(|s| self.normalize_scope(s)).collect();
            let value = format!("{{valid=[{}], invalid=[{}]}}", valid.join(", "), invalid.join(", "));
            trace.note(|| {
                let key = "authorize.rejected_scopes";
                Decision::new(
                    p,
                    Rule::RejectedScope,
                    key,
                    flow(&p.authorize.rejected_scopes),
                    error(spec, "scope", &value),
                )
                .on("scope", &invalid.join(" "))
            });
            return Err(page(spec, "scope", &value));
        }
        let mut scopes: BTreeSet<String> = requested.iter().map(|s| self.normalize_scope(s)).collect();
        if let (true, Some(supported)) = (p.authorize.drop_unsupported_scopes, &p.authorize.scopes_supported) {
            scopes.retain(|s| supported.contains(s));
        }
        if scopes.len() > limits.scopes {
            let more = format!("more than {} scopes", limits.scopes);
            return Err(page(&p.errors.invalid_length, "scope", &more));
        }
        // whether the request asks for offline access, before a rule drops the request
        let mut asked = false;
        let offline = match p.refresh_token.requires {
            OfflineRequest::AccessTypeOffline => match access_type {
                // D3 "always returned for installed applications": access_type=online too
                Some(_) if client.kind == ClientKind::Installed && p.authorize.installed_always_offline => true,
                Some(value) => value == "offline",
                None => client.kind == ClientKind::Installed && p.authorize.installed_default_offline,
            },
            OfflineRequest::OfflineAccessScope => {
                // OIDC Core §11: otherwise the request for offline access is ignored
                let consented = prompt_raw.is_some_and(|v| tokens(v).contains("consent"));
                asked = scopes.contains("offline_access");
                if p.refresh_token.offline_access_needs_prompt_consent && !consented {
                    trace.note(|| {
                        let key = "refresh_token.offline_access_needs_prompt_consent";
                        let effect = if asked {
                            Effect::RefreshTokenWithheld
                        } else {
                            Effect::Ignored
                        };
                        Decision::new(p, Rule::OfflineAccessConsent, key, "true", effect).on("scope", get("scope"))
                    });
                }
                let honoured = response_type.contains("code")
                    && (!p.refresh_token.offline_access_needs_prompt_consent || consented);
                if !honoured {
                    scopes.remove("offline_access");
                }
                scopes.contains("offline_access")
            }
        };
        trace.note(|| {
            let by_default = access_type.is_none() && p.refresh_token.requires == OfflineRequest::AccessTypeOffline;
            let installed = client.kind == ClientKind::Installed;
            let (key, value, name) = match p.refresh_token.requires {
                OfflineRequest::AccessTypeOffline
                    if access_type.is_some_and(|v| v != "offline")
                        && installed
                        && p.authorize.installed_always_offline =>
                {
                    ("authorize.installed_always_offline", "true".to_string(), "access_type")
                }
                OfflineRequest::AccessTypeOffline if by_default && installed => (
                    "authorize.installed_default_offline",
                    p.authorize.installed_default_offline.to_string(),
                    "access_type",
                ),
                OfflineRequest::AccessTypeOffline => {
                    ("refresh_token.requires", "access_type_offline".into(), "access_type")
                }
                OfflineRequest::OfflineAccessScope => {
                    ("refresh_token.requires", "offline_access_scope".into(), "scope")
                }
            };
            let effect = if offline || asked {
                Effect::Applied
            } else {
                Effect::RefreshTokenWithheld
            };
            let sent = if name == "scope" {
                get("scope")
            } else {
                access_type.unwrap_or_default()
            };
            Decision::new(p, Rule::OfflineRequest, key, value, effect).on(name, sent)
        });
        if let Some(value) = param(params, "include_granted_scopes")
            && client.kind == ClientKind::Installed
        {
            let honoured = p.consent.installed_incremental;
            let effect = if honoured { Effect::Applied } else { Effect::Ignored };
            let key = "consent.installed_incremental";
            trace.note(|| {
                Decision::new(p, Rule::InstalledIncremental, key, honoured.to_string(), effect)
                    .on("include_granted_scopes", value)
            });
        }
        let user = param(params, "login_hint").filter(|_| user.is_empty()).unwrap_or(user);
        Ok(ValidRequest {
            client_id: client_id.to_string(),
            user: user.split('@').next().unwrap_or(user).to_string(),
            redirect_uri: redirect_uri.to_string(),
            response_type,
            state: param(params, "state").map(str::to_string),
            scopes,
            offline,
            // D3: "incremental authorization with installed apps is not supported"
            include_granted_scopes: param(params, "include_granted_scopes") == Some("true")
                && (client.kind != ClientKind::Installed || p.consent.installed_incremental),
            code_challenge,
            nonce: param(params, "nonce").map(str::to_string),
            oob,
        })
    }

    /// The sign-in scopes in the provider's spelling (granted with sign-in, D7).
    fn sign_in_scopes(&self) -> BTreeSet<String> {
        self.profile
            .consent
            .sign_in_scopes
            .iter()
            .map(|s| self.normalize_scope(s))
            .collect()
    }

    /// The provider's spelling of a scope (`email` → `…/auth/userinfo.email`).
    pub fn normalize_scope(&self, scope: &str) -> String {
        self.scope_spelling(scope).to_string()
    }

    /// `normalize_scope` without a copy.
    fn scope_spelling<'a>(&'a self, scope: &'a str) -> &'a str {
        self.profile
            .tokens
            .scope_aliases
            .get(scope)
            .map_or(scope, String::as_str)
    }

    // ---------------------------------------------------------------- token endpoint

    /// Answers a token-endpoint POST: `form` is the body, `basic` the HTTP Basic credentials.
    /// An id_token comes back unsigned (`JsonResponse::id_token`); sign it before sending.
    pub fn token(&mut self, form: &[(String, String)], basic: Option<(String, String)>) -> JsonResponse {
        self.unsigned_id_token = None;
        self.apply_due_revocations();
        self.world.error_subtype = None;
        match self.token_inner(form, basic) {
            Ok(body) => JsonResponse {
                id_token: self.unsigned_id_token.take(),
                ..JsonResponse::ok(body)
            },
            Err(error) => {
                let mut response = JsonResponse::error(error);
                // D1: "the error_subtype field can be used to distinguish" (invalid_rapt)
                if let (Some(subtype), Some(body)) = (self.world.error_subtype.take(), response.body.as_object_mut()) {
                    body.insert("error_subtype".into(), subtype.into());
                }
                response
            }
        }
    }

    fn token_inner(
        &mut self,
        form: &[(String, String)],
        basic: Option<(String, String)>,
    ) -> Result<Value, ProviderError> {
        let profile = Arc::clone(&self.profile);
        let errors = &profile.errors;
        let grant_type = match param(form, "grant_type") {
            None => return Err(ProviderError::new(&errors.token_missing_grant_type, "grant_type", "")),
            Some(g @ ("authorization_code" | "refresh_token")) => g.to_string(),
            Some(DEVICE_GRANT) if profile.device_flow.is_some() => DEVICE_GRANT.to_string(),
            Some(other) => return Err(ProviderError::new(&errors.unsupported_grant_type, "grant_type", other)),
        };
        let client_id = self.authenticate(form, basic)?;
        match grant_type.as_str() {
            "authorization_code" => self.exchange_code(form, &client_id),
            DEVICE_GRANT => self.device_token(form, &client_id),
            _ => self.refresh(form, &client_id),
        }
    }

    fn authenticate(
        &self,
        form: &[(String, String)],
        basic: Option<(String, String)>,
    ) -> Result<String, ProviderError> {
        let errors = &self.profile.errors;
        let (id, secret) = match basic {
            Some((id, secret)) => (Some(id), Some(secret)),
            None => (
                param(form, "client_id").map(str::to_string),
                param(form, "client_secret").map(str::to_string),
            ),
        };
        let id = id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ProviderError::new(&errors.no_client_id, "", ""))?;
        let client = self
            .clients
            .get(&id)
            .ok_or_else(|| ProviderError::new(&errors.token_unknown_client, "client_id", ""))?;
        match secret.filter(|s| !s.is_empty()) {
            None if self.profile.tokens.client_secret_required => {
                Err(ProviderError::new(&errors.missing_client_secret, "client_secret", ""))
            }
            Some(secret) if secret != client.client_secret => {
                Err(ProviderError::new(&errors.wrong_client_secret, "", ""))
            }
            _ => Ok(id),
        }
    }

    fn exchange_code(&mut self, form: &[(String, String)], client_id: &str) -> Result<Value, ProviderError> {
        let profile = Arc::clone(&self.profile);
        let errors = &profile.errors;
        let err = |spec: &ErrorSpec, param: &str| ProviderError::new(spec, param, "");
        let code = param(form, "code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| err(&errors.token_missing_param, "code"))?;
        let now = self.now();
        let record = self
            .codes
            .get_mut(&code.to_string())
            .ok_or_else(|| err(&errors.malformed_code, "code"))?;
        if record.used {
            let (grant, issued) = (record.grant.clone(), record.issued.clone());
            self.revoke_replayed(grant, issued);
            return Err(err(&errors.code_reused, "code"));
        }
        if record.client_id != client_id {
            return Err(err(&errors.code_wrong_client, "code"));
        }
        if now
            > record
                .issued_at
                .saturating_add(self.profile.tokens.code_lifetime_seconds)
        {
            return Err(err(&errors.code_expired, "code"));
        }
        match param(form, "redirect_uri") {
            None => return Err(err(&errors.missing_redirect_uri, "redirect_uri")),
            Some(uri) if uri != record.redirect_uri && !self.profile.authorize.is_oob(&record.redirect_uri) => {
                return Err(err(&errors.token_redirect_mismatch, "redirect_uri"));
            }
            Some(_) => {}
        }
        match (&record.code_challenge, param(form, "code_verifier")) {
            (Some(_), None) => return Err(err(&errors.missing_code_verifier, "code_verifier")),
            (Some((method, challenge)), Some(verifier)) => {
                let length_ok = profile
                    .limits
                    .pkce_length
                    .is_none_or(|[min, max]| (min..=max).contains(&verifier.len()));
                if !length_ok || !pkce_matches(method, challenge, verifier) {
                    return Err(err(&errors.invalid_code_verifier, "code_verifier"));
                }
            }
            (None, Some(_)) => return Err(err(&errors.verifier_not_needed, "code_verifier")),
            (None, None) => {}
        }
        record.used = true;
        let record = record.clone();
        let grant_alive = self.grants.get(&record.grant).is_some_and(|g| g.epoch == record.epoch);
        if !grant_alive {
            return Err(err(&errors.code_reused, "code"));
        }

        let mut body = serde_json::Map::new();
        let access = self.issue_access_token(&record.grant, client_id, record.epoch, &record.scopes);
        let mut issued = vec![access.clone()];
        // the at_hash only an id_token needs (a SHA-256 per answer otherwise spent for nothing)
        let id_token = record.scopes.iter().any(|s| self.grants_id_token(s));
        let access_hash = id_token.then(|| at_hash(&access));
        body.insert("access_token".into(), access.into());
        body.insert("expires_in".into(), self.profile.tokens.access_token_expires_in.into());
        let mut refresh_expires_in = None;
        if record.refresh {
            let (token, expires_at) = self.issue_refresh_token(&record.grant, record.epoch, &record.scopes, client_id);
            issued.push(token.clone());
            body.insert("refresh_token".into(), token.into());
            refresh_expires_in = expires_at.map(|at| at.saturating_sub(now));
        }
        if self.profile.tokens.code_reuse_revokes != CodeReuse::Nothing
            && let Some(stored) = self.codes.get_mut(code)
        {
            stored.issued = issued;
            self.codes.reweigh(code);
        }
        body.insert("scope".into(), join_scopes(&record.scopes).into());
        body.insert("token_type".into(), "Bearer".into());
        if id_token {
            let claims = self.id_token_claims(
                &(record.grant.0.clone(), record.client_id.clone()),
                &record.scopes,
                record.nonce.as_deref(),
                access_hash.as_deref(),
            );
            self.unsigned_id_token = Some(claims);
            body.insert("id_token".into(), "".into());
        }
        if let Some(seconds) = refresh_expires_in {
            body.insert("refresh_token_expires_in".into(), seconds.into());
        }
        Ok(Value::Object(body))
    }

    /// A code redeemed twice: revoke what its first redemption issued, as the profile says.
    fn revoke_replayed(&mut self, grant: GrantKey, issued: Vec<String>) {
        match self.profile.tokens.code_reuse_revokes {
            CodeReuse::Nothing => {}
            CodeReuse::IssuedTokens => {
                for token in issued {
                    self.access_tokens.remove(&token);
                    self.revoke_refresh_token(&token);
                }
            }
            CodeReuse::Grant => {
                if let Some(grant) = self.grants.remove(&grant) {
                    for token in grant.refresh_tokens {
                        self.refresh_tokens.remove(&token);
                    }
                }
            }
        }
    }

    fn grants_id_token(&self, scope: &str) -> bool {
        self.profile
            .tokens
            .id_token_scopes
            .iter()
            .any(|s| self.scope_spelling(s) == scope)
    }

    fn issue_access_token(
        &mut self,
        grant: &GrantKey,
        client_id: &str,
        epoch: u64,
        scopes: &BTreeSet<String>,
    ) -> String {
        let token = Self::mint(&self.profile.tokens.shapes.access_token);
        let now = self.now();
        let record = TokenRecord {
            grant: grant.clone(),
            client_id: client_id.to_string(),
            epoch,
            scopes: scopes.clone(),
            last_used: now,
            expires_at: Some(now.saturating_add(self.profile.tokens.access_token_expires_in)),
        };
        self.access_tokens.insert(token.clone(), record);
        token
    }

    /// Mints a refresh token, evicting the grant's oldest past the per-client limit.
    fn issue_refresh_token(
        &mut self,
        grant_key: &GrantKey,
        epoch: u64,
        scopes: &BTreeSet<String>,
        client_id: &str,
    ) -> (String, Option<u64>) {
        let token = Self::mint(&self.profile.tokens.shapes.refresh_token);
        let now = self.now();
        // the token ends with its authorization (support 15549945: "that token will also expire")
        let expires_at = self.grants.get(grant_key).and_then(|g| g.expires_at);
        let record = TokenRecord {
            grant: grant_key.clone(),
            client_id: client_id.to_string(),
            epoch,
            scopes: scopes.clone(),
            last_used: now,
            expires_at,
        };
        // past the store's cap the oldest token is forgotten, as if it had expired; its grant
        // must forget it too, or the grant's list would name a token that no longer exists
        for (evicted, record) in self.refresh_tokens.insert(token.clone(), record) {
            if let Some(grant) = self.grants.get_mut(&record.grant) {
                // a grant lists each token once (each is freshly minted), and the store's
                // oldest is nearly always its grant's first: no scan of the whole list
                if let Some(at) = grant.refresh_tokens.iter().position(|t| *t == evicted) {
                    grant.refresh_tokens.remove(at);
                }
                grant.live_refresh_tokens = grant.refresh_tokens.len();
            }
        }
        if let Some(grant) = self.grants.get_mut(grant_key) {
            grant.refresh_tokens.push(token.clone());
        }
        self.enforce_client_limit(grant_key, client_id);
        let evicted = self.grants.reweigh(grant_key);
        self.forget_grants(evicted);
        (token, expires_at)
    }

    /// Grants the stores' caps pushed out take their refresh tokens with them.
    fn forget_grants(&mut self, evicted: Vec<(GrantKey, Grant)>) {
        for (_, grant) in evicted {
            for token in grant.refresh_tokens {
                self.refresh_tokens.remove(&token);
            }
        }
    }

    fn refresh(&mut self, form: &[(String, String)], client_id: &str) -> Result<Value, ProviderError> {
        let profile = Arc::clone(&self.profile);
        let errors = &profile.errors;
        let token = param(form, "refresh_token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ProviderError::new(&errors.token_missing_param, "refresh_token", ""))?
            .to_string();
        let now = self.now();
        let Some(record) = self.refresh_tokens.get(&token).cloned() else {
            // RFC 9700 §4.14.2: a rotated-out token used again means it leaked: end the grant
            if let Some(replayed) = self.rotated_out.remove(&token)
                && replayed.client_id == client_id
                && self
                    .grants
                    .get(&replayed.grant)
                    .is_some_and(|g| g.epoch == replayed.epoch)
                && let Some(grant) = self.grants.remove(&replayed.grant)
            {
                for live in grant.refresh_tokens {
                    self.refresh_tokens.remove(&live);
                }
            }
            return Err(self.dead_refresh_token(&token, None));
        };
        if record.client_id != client_id {
            return Err(ProviderError::new(&errors.refresh_wrong_client, "", ""));
        }
        let alive = self.grants.get(&record.grant).is_some_and(|g| g.epoch == record.epoch);
        let expired = record.expires_at.is_some_and(|at| now >= at)
            || self
                .profile
                .refresh_token
                .unused_expiry_seconds
                .is_some_and(|idle| now >= record.last_used.saturating_add(idle));
        if !alive || expired {
            return Err(self.dead_refresh_token(&token, Some(&record)));
        }
        self.refresh_blocked(&record)?;
        if let Some(live) = self.refresh_tokens.get_mut(&token) {
            live.last_used = now;
        }
        let mut body = serde_json::Map::new();
        let access = self.issue_access_token(&record.grant, client_id, record.epoch, &record.scopes);
        let id_token = self.profile.refresh_token.id_token_on_refresh && record.scopes.contains("openid");
        let access_hash = id_token.then(|| at_hash(&access));
        body.insert("access_token".into(), access.into());
        body.insert("expires_in".into(), self.profile.tokens.access_token_expires_in.into());
        let rules = &self.profile.refresh_token;
        if rules.rotation {
            let detect = rules.reuse_detection;
            let (new_token, _) = self.issue_refresh_token(&record.grant, record.epoch, &record.scopes, client_id);
            self.revoke_refresh_token(&token);
            if detect {
                self.rotated_out.insert(token.clone(), record.clone());
            }
            body.insert("refresh_token".into(), new_token.into());
        } else if rules.echo_unrotated {
            body.insert("refresh_token".into(), token.clone().into());
        }
        body.insert("scope".into(), join_scopes(&record.scopes).into());
        body.insert("token_type".into(), "Bearer".into());
        if id_token {
            let presenter = (record.grant.0.clone(), record.client_id.clone());
            let claims = self.id_token_claims(&presenter, &record.scopes, None, access_hash.as_deref());
            self.unsigned_id_token = Some(claims);
            body.insert("id_token".into(), "".into());
        }
        Ok(Value::Object(body))
    }

    fn revoke_refresh_token(&mut self, token: &str) {
        if let Some(record) = self.refresh_tokens.remove(token)
            && let Some(grant) = self.grants.get_mut(&record.grant)
        {
            grant.refresh_tokens.retain(|t| t != token);
            grant.live_refresh_tokens = grant.refresh_tokens.len();
        }
    }

    // ---------------------------------------------------------------- revoke and userinfo

    /// The revocation endpoint: where the profile wants client authentication (RFC 7009 §2.1,
    /// `endpoints.revoke_client_auth`), the client is authenticated as at the token endpoint
    /// first (its secret in the form or as HTTP Basic); then `revoke`.
    pub fn revoke_request(&mut self, form: &[(String, String)], basic: Option<(String, String)>) -> JsonResponse {
        if self.profile.endpoints.revoke_client_auth != super::profile::RevokeClientAuth::None
            && let Err(error) = self.authenticate(form, basic)
        {
            return JsonResponse::error(error);
        }
        self.revoke(param(form, "token"))
    }

    /// Revokes an access or refresh token; either ends the whole grant (D4: "Revocation
    /// removes all OAuth 2.0 scopes previously granted").
    pub fn revoke(&mut self, token: Option<&str>) -> JsonResponse {
        let profile = Arc::clone(&self.profile);
        let errors = &profile.errors;
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return JsonResponse::error(ProviderError::new(&errors.revoke_missing_token, "token", ""));
        };
        let now = self.now();
        let grant_alive = |r: &TokenRecord| self.grants.get(&r.grant).is_some_and(|g| g.epoch == r.epoch);
        let record = match self.refresh_tokens.get(token) {
            Some(r) => Some(r).filter(|r| grant_alive(r)),
            None => self
                .access_tokens
                .get(&token.to_string())
                .filter(|r| grant_alive(r) && r.expires_at.is_none_or(|at| now < at)),
        };
        let Some(record) = record.cloned() else {
            if profile.endpoints.revoke_invalid_token_ok {
                return JsonResponse::ok(json!({}));
            }
            return JsonResponse::error(ProviderError::new(&errors.revoke_invalid_token, "", ""));
        };
        // D4: "it might take some time before the revocation has full effect"
        if self.defer_revocation(&record) {
            return JsonResponse::ok(json!({}));
        }
        if let Some(grant) = self.grants.remove(&record.grant) {
            for token in grant.refresh_tokens {
                self.refresh_tokens.remove(&token);
                self.bury(token);
            }
        }
        JsonResponse::ok(json!({}))
    }

    /// Answers the userinfo endpoint for a bearer token.
    pub fn userinfo(&self, bearer: Option<&str>) -> JsonResponse {
        let invalid = || JsonResponse::error(ProviderError::new(&self.profile.errors.userinfo_invalid_token, "", ""));
        let Some(record) = bearer.and_then(|t| self.access_tokens.get(&t.to_string())) else {
            return invalid();
        };
        let alive = self.grants.get(&record.grant).is_some_and(|g| g.epoch == record.epoch);
        if !alive || record.expires_at.is_some_and(|at| self.now() >= at) {
            return invalid();
        }
        let user = &record.grant.0;
        let mut body = serde_json::Map::new();
        body.insert("sub".into(), subject(user).into());
        if record.scopes.contains(&self.normalize_scope("email")) {
            body.insert("email".into(), format!("{user}@example.com").into());
            body.insert("email_verified".into(), true.into());
        }
        if record.scopes.contains(&self.normalize_scope("profile")) {
            body.insert("name".into(), user.clone().into());
        }
        JsonResponse::ok(Value::Object(body))
    }

    /// Answers Google's tokeninfo endpoint for an access token or an id_token: the token's
    /// facts with every value a string, as Google writes them, or `tokeninfo_invalid_token`.
    pub fn tokeninfo(&mut self, access_token: Option<&str>, id_token: Option<&str>) -> JsonResponse {
        let invalid = |engine: &Self| {
            JsonResponse::error(ProviderError::new(
                &engine.profile.errors.tokeninfo_invalid_token,
                "",
                "",
            ))
        };
        let now = self.now();
        if let Some(id_token) = id_token {
            let Some((header, claims)) = self.signing_key().ok().and_then(|key| key.verify(id_token)) else {
                return invalid(self);
            };
            if claims.get("exp").and_then(Value::as_u64).is_none_or(|exp| now >= exp) {
                return invalid(self);
            }
            // Google answers with the claims, then the header's alg, kid and typ, all strings
            let mut body = serde_json::Map::new();
            for (name, value) in claims.into_iter().chain(header) {
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                body.insert(name, text.into());
            }
            return JsonResponse::ok(Value::Object(body));
        }
        let Some(record) = access_token
            .and_then(|t| self.access_tokens.get(&t.to_string()))
            .cloned()
        else {
            return invalid(self);
        };
        let grant = self.grants.get(&record.grant).filter(|g| g.epoch == record.epoch);
        let expires_at = record.expires_at.unwrap_or(u64::MAX);
        let Some(grant) = grant.filter(|_| now < expires_at) else {
            return invalid(self);
        };
        let offline = !grant.refresh_tokens.is_empty();
        let (user, client_id) = (&record.grant.0, &record.client_id);
        let sign_in = self.sign_in_scopes();
        let mut body = serde_json::Map::new();
        body.insert("azp".into(), client_id.clone().into());
        body.insert("aud".into(), client_id.clone().into());
        if record.scopes.iter().any(|s| sign_in.contains(s)) {
            body.insert("sub".into(), subject(user).into());
        }
        body.insert("scope".into(), join_scopes(&record.scopes).into());
        body.insert("exp".into(), expires_at.to_string().into());
        body.insert("expires_in".into(), (expires_at - now).to_string().into());
        if record.scopes.contains(&self.normalize_scope("email")) {
            body.insert("email".into(), format!("{user}@example.com").into());
            body.insert("email_verified".into(), "true".into());
        }
        body.insert("access_type".into(), if offline { "offline" } else { "online" }.into());
        JsonResponse::ok(Value::Object(body))
    }

    /// The discovery document, naming the model's endpoints under `base`: the profile's
    /// `discovery:` map (else `profiles/defaults/discovery.yaml`) with its placeholders filled,
    /// keys whose endpoint the profile lacks (or whose value is null) left out.
    pub fn discovery(&self, base: &str) -> Value {
        let template = match self.profile.discovery.is_empty() {
            true => default_discovery(),
            false => &self.profile.discovery,
        };
        let e = &self.profile.endpoints;
        let path = |name: &str| -> Option<&str> {
            match name {
                "authorize" => Some(&e.authorize),
                "token" => Some(&e.token),
                "revoke" => Some(&e.revoke),
                "userinfo" => Some(&e.userinfo),
                "tokeninfo" => e.tokeninfo.as_deref(),
                "device" => e.device.as_deref(),
                "jwks" => e.jwks.as_deref(),
                "pem_certs" => e.pem_certs.as_deref(),
                _ => None,
            }
        };
        let mut document = serde_json::Map::new();
        for (key, value) in template {
            let value = match serde_json::to_value(value) {
                Ok(Value::Null) | Err(_) => continue,
                Ok(Value::String(text)) => match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    Some("issuer") => Value::String(self.issuer().to_string()),
                    Some("response_types") => json!(self.profile.authorize.response_types),
                    Some("code_challenge_methods") => json!(self.profile.authorize.code_challenge_methods),
                    Some(name) => match path(name) {
                        Some(path) => Value::String(format!("{base}{path}")),
                        None => continue,
                    },
                    None => Value::String(text),
                },
                Ok(other) => other,
            };
            document.insert(key.clone(), value);
        }
        // OIDC Core §11: a provider asked for offline access by the scope advertises it
        if self.profile.refresh_token.requires == OfflineRequest::OfflineAccessScope
            && let Some(Value::Array(scopes)) = document.get_mut("scopes_supported")
            && !scopes.iter().any(|s| s == "offline_access")
        {
            scopes.push(json!("offline_access"));
        }
        Value::Object(document)
    }

    /// An id_token's claims as the profile's `id_token.claims` lists them, in that order;
    /// `access_hash` is the `at_hash` of the access token issued with it, if any.
    fn id_token_claims(
        &self,
        grant: &GrantKey,
        scopes: &BTreeSet<String>,
        nonce: Option<&str>,
        access_hash: Option<&str>,
    ) -> serde_json::Map<String, Value> {
        let now = self.now();
        let (user, client_id) = grant;
        let mut claims = serde_json::Map::new();
        for (claim, rule) in &self.profile.id_token.claims {
            let present = match rule {
                ClaimRule::When(ClaimWhen::Always) => true,
                ClaimRule::When(ClaimWhen::WithAccessToken) => access_hash.is_some(),
                ClaimRule::When(ClaimWhen::WithNonce) => nonce.is_some(),
                ClaimRule::Scope { scope } => scopes.contains(self.scope_spelling(scope)),
            };
            if !present {
                continue;
            }
            let value = match claim.as_str() {
                "iss" => json!(self.issuer()),
                "azp" | "aud" => json!(client_id),
                "sub" => json!(subject(user)),
                "email" => json!(format!("{user}@example.com")),
                "email_verified" => json!(true),
                "at_hash" => json!(access_hash),
                "nonce" => json!(nonce),
                "name" | "given_name" => json!(user),
                "family_name" | "picture" => match self.profile.id_token.values.get(claim) {
                    Some(value) => json!(value),
                    None => continue,
                },
                "iat" => json!(now),
                "exp" => json!(now.saturating_add(self.profile.id_token.lifetime_seconds)),
                _ => continue,
            };
            claims.insert(claim.clone(), value);
        }
        claims
    }
}

/// A parameter name fit to quote in an error: a hostile one may be kilobytes long.
fn shorten(name: &str) -> String {
    match name.char_indices().nth(64) {
        Some((cut, _)) => format!("{}...", &name[..cut]),
        None => name.to_string(),
    }
}

/// The first value of a parameter.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn tokens(value: &str) -> BTreeSet<String> {
    value.split_whitespace().map(str::to_string).collect()
}

/// Whether `value`'s whitespace-separated tokens, as a set, are `set` (`tokens(value) == *set`
/// without building the set).
fn same_tokens(value: &str, set: &BTreeSet<String>) -> bool {
    value.split_whitespace().all(|t| set.contains(t)) && set.iter().all(|s| value.split_whitespace().any(|t| t == s))
}

fn join_scopes(scopes: &BTreeSet<String>) -> String {
    scopes.iter().map(String::as_str).collect::<Vec<_>>().join(" ")
}

/// Whether a client may be registered: an id, a secret, and redirect URIs that are absolute
/// URLs without a fragment (RFC 6749 §3.1.2) and never `javascript:`, `data:` or another
/// scheme that runs or embeds content instead of reaching an app. The answer says why not.
pub fn check_client(client: &ClientConfig, rules: &AuthorizeRules) -> Result<(), String> {
    if client.client_id.is_empty() || client.client_secret.is_empty() {
        return Err("client_id and client_secret must not be empty".into());
    }
    if client.redirect_uris.is_empty() {
        return Err("a client needs at least one redirect URI".into());
    }
    for (i, uri) in client.redirect_uris.iter().enumerate() {
        if rules.is_oob(uri) {
            continue;
        }
        let Ok(url) = url::Url::parse(uri) else {
            return Err(format!("redirect_uris[{i}] is not an absolute URL"));
        };
        if matches!(
            url.scheme(),
            "javascript" | "data" | "vbscript" | "file" | "blob" | "about"
        ) {
            return Err(format!(
                "redirect_uris[{i}] uses the {}: scheme, which no app can receive a code on",
                url.scheme()
            ));
        }
        if url.fragment().is_some() {
            return Err(format!(
                "redirect_uris[{i}] has a fragment (RFC 6749 §3.1.2: it must not)"
            ));
        }
    }
    Ok(())
}

/// Exact match, except that installed clients may use any port on a loopback address (D3;
/// RFC 8252 §7.3, RFC 9700 §4.1.3): only the port may differ, never the path, the query or
/// the host, and no redirect URI may carry userinfo (D2) or a fragment (RFC 6749 §3.1.2).
fn redirect_registered(client: &ClientConfig, redirect_uri: &str) -> bool {
    // userinfo needs an `@`: without one the URI is parsed only for the loopback rule
    let parsed = || url::Url::parse(redirect_uri).ok();
    let has_userinfo =
        redirect_uri.contains('@') && parsed().is_some_and(|u| !u.username().is_empty() || u.password().is_some());
    if redirect_uri.contains('#') || has_userinfo {
        return false;
    }
    if client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return true;
    }
    if client.kind != ClientKind::Installed {
        return false;
    }
    let Some(url) = parsed() else {
        return false;
    };
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    loopback
        && url.scheme() == "http"
        && client
            .redirect_uris
            .iter()
            .filter_map(|r| url::Url::parse(r).ok())
            .any(|r| {
                r.scheme() == "http"
                    && r.host_str() == url.host_str()
                    && r.username().is_empty()
                    && r.password().is_none()
                    && r.path() == url.path()
                    && r.query() == url.query()
                    && r.fragment().is_none()
            })
}

fn build_redirect(base: &str, query: &[(&str, String)], fragment: &[(&str, String)]) -> String {
    let encode = |pairs: &[(&str, String)]| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
            .finish()
    };
    let mut location = base.to_string();
    if !query.is_empty() {
        location.push(if base.contains('?') { '&' } else { '?' });
        location.push_str(&encode(query));
    }
    if !fragment.is_empty() {
        location.push('#');
        location.push_str(&encode(fragment));
    }
    location
}

/// The first value of parameter `name` in a redirect's query or fragment (`target::Redirect`).
#[cfg(test)]
pub(crate) fn redirect_param(location: &str, name: &str) -> Option<String> {
    crate::target::Redirect::parse(location).get(name).map(str::to_string)
}

/// Whether a PKCE verifier matches its challenge (RFC 7636 §4.6).
pub fn pkce_matches(method: &str, challenge: &str, verifier: &str) -> bool {
    match method {
        "S256" => s256_challenge(verifier) == challenge,
        _ => verifier == challenge,
    }
}

/// The S256 code challenge for a verifier.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A stable numeric subject for a user name, shaped like Google's `sub`.
fn subject(user: &str) -> String {
    let hash = user.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("1{:019}", hash % 10_000_000_000_000_000_000)
}

/// The discovery document of a profile without a `discovery:` map, as data.
fn default_discovery() -> &'static IndexMap<String, serde_yaml::Value> {
    static DEFAULT: std::sync::LazyLock<IndexMap<String, serde_yaml::Value>> = std::sync::LazyLock::new(|| {
        serde_yaml::from_str(include_str!("../../profiles/defaults/discovery.yaml")).unwrap_or_default()
    });
    &DEFAULT
}

/// A random URL-safe token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}
