//! Provider profiles: one provider in one era, as data.
//!
//! Profiles are YAML embedded in the binary (`profiles/`), strict on input, and an era may be
//! written as the difference from another profile (`extends:`), so the difference between
//! eras is itself readable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use indexmap::IndexMap;
use serde::Deserialize;

/// The profiles bundled with the binary, by the name scenarios use.
const BUILTIN: &[(&str, &str)] = &[
    ("google", include_str!("../../profiles/google.yaml")),
    ("google@2015", include_str!("../../profiles/google@2015.yaml")),
    ("oidc", include_str!("../../profiles/oidc.yaml")),
    ("oidc@rotating", include_str!("../../profiles/oidc@rotating.yaml")),
];

/// One provider in one era.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Set from the registry key (`google@2015`), not from the file.
    #[serde(skip)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub era: Option<String>,
    #[serde(default)]
    pub extends: Option<String>,
    pub summary: String,
    pub issuer: String,
    /// Whether a served model (`serve`, the probe's model) names its own URL as the issuer in
    /// its tokens too (an id_token's `iss`, OpenID Connect Core §3.1.3.7: it must equal the
    /// issuer the client discovered); otherwise they carry `issuer` (Google client libraries
    /// check for `https://accounts.google.com`).
    #[serde(default)]
    pub issuer_served: bool,
    pub endpoints: Endpoints,
    pub authorize: AuthorizeRules,
    pub consent: ConsentRules,
    pub refresh_token: RefreshTokenRules,
    pub tokens: TokenRules,
    /// What an id_token carries; profiles written before id_tokens were signed get Google's.
    #[serde(default)]
    pub id_token: IdTokenRules,
    /// The discovery document, key for key as the provider publishes it (see `Engine::discovery`).
    #[serde(default)]
    pub discovery: IndexMap<String, serde_yaml::Value>,
    /// Whether `discovery` is the document the real provider publishes, key for key, so that a
    /// scenario's discovery step (which holds the model's document field by field) holds
    /// against the live provider too; otherwise `probe`'s consent probe leaves such a case to
    /// the discovery probe, which compares the live document with the model's.
    #[serde(default)]
    pub discovery_as_published: bool,
    /// The device authorization grant (RFC 8628), if the provider runs one.
    #[serde(default)]
    pub device_flow: Option<DeviceFlowRules>,
    pub errors: ErrorCatalogue,
    /// Size limits on what a request may make the provider remember.
    #[serde(default)]
    pub limits: Limits,
    /// Which endpoints answer cross-origin requests from a web page (CORS).
    #[serde(default)]
    pub cors: Cors,
    /// How explanations name what is specific to this provider.
    #[serde(default)]
    pub wording: super::wording::Wording,
    /// What the clients the model makes up look like (`serve`'s generated client, a scenario's).
    #[serde(default)]
    pub client_shape: ClientShape,
    /// Where and how the provider shows a refused authorization request to the person.
    #[serde(default)]
    pub error_page: Option<ErrorPageFormat>,
    /// The provider's own sign-in pages, whose URLs carry the app's authorization request.
    #[serde(default)]
    pub sign_in_page: Option<SignInPages>,
    /// The source the profile file cites next to each key (the engine's traces quote it).
    #[serde(skip)]
    pub citations: super::trace::Citations,
}

/// Cross-origin resource sharing (the Fetch standard's CORS protocol) on the provider's
/// endpoints: which of them a web page's `fetch` may read, and how a preflight is answered.
/// The requesting origin is echoed back (`Access-Control-Allow-Origin: <origin>`, `Vary:
/// Origin`); a preflight gets 204 with the requested method and headers allowed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cors {
    /// Endpoint kinds: `token`, `revoke`, `userinfo`, `tokeninfo`, `jwks` (with the PEM
    /// certificates), `discovery`. Empty: no CORS headers anywhere.
    pub endpoints: Vec<CorsEndpoint>,
    /// `Access-Control-Max-Age` of a preflight answer, if any.
    pub max_age_seconds: Option<u64>,
}

/// An endpoint kind that can answer cross-origin requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorsEndpoint {
    Token,
    Revoke,
    Userinfo,
    Tokeninfo,
    Jwks,
    Discovery,
}

impl Profile {
    /// The provider in a sentence: `wording.name` (`Google`), else the profile's `name`.
    pub fn display_name(&self) -> &str {
        if self.wording.name.is_empty() {
            &self.name
        } else {
            &self.wording.name
        }
    }

    /// Whether `path` is an endpoint the profile answers CORS on.
    pub fn cors_allows(&self, path: &str) -> bool {
        let e = &self.endpoints;
        self.cors.endpoints.iter().any(|kind| match kind {
            CorsEndpoint::Token => e.is_token(path),
            CorsEndpoint::Revoke => e.is_revoke(path),
            CorsEndpoint::Userinfo => e.is_userinfo(path),
            CorsEndpoint::Tokeninfo => e.is_tokeninfo(path),
            CorsEndpoint::Jwks => e.jwks.as_deref() == Some(path) || e.pem_certs.as_deref() == Some(path),
            CorsEndpoint::Discovery => e.discovery == path,
        })
    }
}

/// How much of a request the provider takes. Past a limit the request is refused with
/// `errors.invalid_length`, so a hostile client cannot make the model (or `serve`) keep
/// megabytes per request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Longest value of any one authorization-request parameter (state, nonce, login_hint,
    /// redirect_uri, scope, …), in bytes; also the longest scope list a grant accumulates.
    pub param_bytes: usize,
    /// Most scopes in one request, and in one grant.
    pub scopes: usize,
    /// Shortest and longest `code_challenge` and `code_verifier` (RFC 7636 §4.1: 43 to 128).
    pub pkce_length: Option<[usize; 2]>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            param_bytes: 4096,
            scopes: 50,
            pkce_length: None,
        }
    }
}

/// How the provider runs the device authorization grant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceFlowRules {
    /// Lifetime of a device code and its user code.
    pub expires_in: u64,
    /// Seconds a device must wait between polls (faster: `slow_down`).
    pub interval: u64,
    /// Where the user enters the code (serve's own page; Google's is www.google.com/device).
    pub verification_path: String,
    pub errors: DeviceErrors,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceErrors {
    pub pending: ErrorSpec,
    pub slow_down: ErrorSpec,
    pub denied: ErrorSpec,
    pub invalid_code: ErrorSpec,
}

/// Which id_tokens carry a claim: `always`, `with_access_token`, `with_nonce`, or
/// `{scope: NAME}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ClaimRule {
    When(ClaimWhen),
    /// When this scope was granted (`email`, `profile`, in the request's spelling).
    Scope {
        scope: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimWhen {
    /// Every id_token.
    Always,
    /// When an access token is issued with the id_token (`at_hash`).
    WithAccessToken,
    /// When the authorization request carried a `nonce`.
    WithNonce,
}

/// The claims an id_token carries, in the order the provider writes them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdTokenRules {
    pub lifetime_seconds: u64,
    /// Claim name → when it is present. Names the engine does not know are refused on load.
    pub claims: IndexMap<String, ClaimRule>,
    /// Values of claims the simulated user has no data for (`family_name`, `picture`); such a
    /// claim without a value here is left out.
    #[serde(default)]
    pub values: IndexMap<String, String>,
}

/// The claims the engine knows how to fill.
pub const KNOWN_CLAIMS: &[&str] = &[
    "iss",
    "azp",
    "aud",
    "sub",
    "email",
    "email_verified",
    "at_hash",
    "nonce",
    "name",
    "picture",
    "given_name",
    "family_name",
    "iat",
    "exp",
];

impl Default for IdTokenRules {
    fn default() -> Self {
        let scope = |s: &str| ClaimRule::Scope { scope: s.into() };
        let always = ClaimRule::When(ClaimWhen::Always);
        let claims = [
            ("iss", always.clone()),
            ("azp", always.clone()),
            ("aud", always.clone()),
            ("sub", always.clone()),
            ("email", scope("email")),
            ("email_verified", scope("email")),
            ("at_hash", ClaimRule::When(ClaimWhen::WithAccessToken)),
            ("nonce", ClaimRule::When(ClaimWhen::WithNonce)),
            ("iat", always.clone()),
            ("exp", always),
        ];
        Self {
            lifetime_seconds: 3600,
            claims: claims.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            values: IndexMap::new(),
        }
    }
}

/// Client authentication at the revocation endpoint (`endpoints.revoke_client_auth`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeClientAuth {
    /// No client authentication: the form carries the token alone.
    #[default]
    None,
    /// HTTP Basic (client_secret_basic).
    Basic,
    /// `client_id` and `client_secret` in the form (client_secret_post).
    Post,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoints {
    pub authorize: String,
    pub token: String,
    pub revoke: String,
    pub userinfo: String,
    pub discovery: String,
    pub revoke_methods: Vec<String>,
    /// Other paths the provider answers for the same endpoints (legacy hosts' paths, older
    /// API versions), each behaving as the endpoint it names.
    #[serde(default)]
    pub aliases: EndpointAliases,
    /// The device authorization endpoint (RFC 8628 §3.1); none if unset.
    #[serde(default)]
    pub device: Option<String>,
    /// The tokeninfo endpoint (Google's `oauth2.googleapis.com/tokeninfo`); none if unset.
    #[serde(default)]
    pub tokeninfo: Option<String>,
    /// The JWK Set of the id_token signing keys (`jwks_uri`).
    #[serde(default)]
    pub jwks: Option<String>,
    /// Google's kid → PEM certificate map of the same keys.
    #[serde(default)]
    pub pem_certs: Option<String>,
    /// A legacy authorization path on which the legacy force parameter behaves its own way
    /// (overrides `authorize.legacy_force.forces_consent` on that path only).
    #[serde(default)]
    pub legacy_authorize: Option<LegacyAuthorize>,
    /// RFC 7009 §2.2: answer 200 for an invalid or already revoked token (Google answers 400).
    #[serde(default)]
    pub revoke_invalid_token_ok: bool,
    /// How a client authenticates at the revocation endpoint: `none` (Google documents a bare
    /// `token`), or RFC 7009 §2.1's client authentication as `basic` (RFC 6749 §2.3.1: every
    /// server supports it) or `post`. A live probe takes the method from the discovery
    /// document's `revocation_endpoint_auth_methods_supported` when the profile asks for one.
    #[serde(default)]
    pub revoke_client_auth: RevokeClientAuth,
    /// Origins besides the issuer's that are the provider's own (`https://oauth2.googleapis.com`):
    /// live probes send credentials to an endpoint only on the issuer's origin or one of these.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Whether the issuer (and `origins`) is where the real provider answers: a live probe
    /// without `--issuer` or endpoint URLs goes there. A placeholder issuer (`op.example`) is not.
    #[serde(default)]
    pub published: bool,
    /// Endpoints the provider publishes on another origin than the issuer's, by endpoint name
    /// (`token`, `revoke`, `userinfo`); a null value (an era's) puts it back on the issuer's.
    #[serde(default)]
    pub origins: IndexMap<String, Option<String>>,
    /// Endpoint URLs the provider answered at before today's paths: diagnose names them legacy
    /// (with today's URL as the fix) unless a path is the profile's own.
    #[serde(default)]
    pub legacy: Vec<LegacyEndpoint>,
    /// What a client-secrets file names as `auth_provider_x509_cert_url` when the profile
    /// serves no PEM certificates (`pem_certs`).
    #[serde(default)]
    pub client_secrets_cert_url: Option<String>,
}

/// A URL a provider once published for one of its endpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyEndpoint {
    /// The full legacy URL (`https://host/path`).
    pub url: String,
    /// The endpoint it stands for: `authorize`, `token` or `revoke`.
    pub endpoint: String,
    /// The URL to use instead.
    pub replacement: String,
}

/// Extra paths per endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointAliases {
    #[serde(default)]
    pub authorize: Vec<String>,
    #[serde(default)]
    pub token: Vec<String>,
    #[serde(default)]
    pub revoke: Vec<String>,
    #[serde(default)]
    pub userinfo: Vec<String>,
    #[serde(default)]
    pub tokeninfo: Vec<String>,
    #[serde(default)]
    pub device: Vec<String>,
}

/// A legacy authorization path with its own behaviour for the legacy force parameter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyAuthorize {
    pub path: String,
    /// Whether `authorize.legacy_force` forces the consent screen on this path.
    pub forces_consent: bool,
}

impl Endpoints {
    /// The origin the real provider answers `endpoint` at: its entry in `origins`, else `issuer`'s.
    pub fn origin<'a>(&'a self, endpoint: &str, issuer: &'a str) -> &'a str {
        match self.origins.get(endpoint) {
            Some(Some(origin)) => origin,
            _ => issuer,
        }
    }

    /// Whether `path` is the authorization endpoint or one of its aliases.
    pub fn is_authorize(&self, path: &str) -> bool {
        path == self.authorize
            || self.aliases.authorize.iter().any(|p| p == path)
            || self.legacy_authorize.as_ref().is_some_and(|l| l.path == path)
    }

    pub fn is_token(&self, path: &str) -> bool {
        path == self.token || self.aliases.token.iter().any(|p| p == path)
    }

    pub fn is_revoke(&self, path: &str) -> bool {
        path == self.revoke || self.aliases.revoke.iter().any(|p| p == path)
    }

    pub fn is_userinfo(&self, path: &str) -> bool {
        path == self.userinfo || self.aliases.userinfo.iter().any(|p| p == path)
    }

    pub fn is_device(&self, path: &str) -> bool {
        self.device.as_deref() == Some(path) || self.aliases.device.iter().any(|p| p == path)
    }

    pub fn is_tokeninfo(&self, path: &str) -> bool {
        self.tokeninfo.as_deref() == Some(path) || self.aliases.tokeninfo.iter().any(|p| p == path)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRules {
    pub required: Vec<String>,
    pub response_types: Vec<String>,
    /// Response types accepted although the discovery document does not advertise them.
    #[serde(default)]
    pub response_types_tolerated: Vec<String>,
    pub access_types: Vec<String>,
    pub prompt_values: Vec<String>,
    pub prompt_tolerated: Vec<String>,
    /// A legacy parameter that once forced the consent screen (Google's pre-2014 spelling of
    /// `prompt=consent`). `None`: the provider does not know one.
    pub legacy_force: Option<LegacyForceRules>,
    pub code_challenge_methods: Vec<String>,
    pub default_code_challenge_method: String,
    pub oob_blocked: bool,
    pub installed_default_offline: bool,
    /// Whether installed clients get offline access even when they send `access_type=online`
    /// (D3: refresh tokens "are always returned for installed applications").
    #[serde(default)]
    pub installed_always_offline: bool,
    /// Every authorization parameter the provider documents. A scenario that sends another
    /// one gets a warning with a "did you mean"; empty: the profile does not say, no warning.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// Scopes the provider refuses outright with `errors.invalid_scope` (Google: the OpenID
    /// Connect `offline_access`).
    #[serde(default)]
    pub rejected_scopes: Vec<String>,
    /// Redirect URIs the provider's own JavaScript libraries send instead of a registered URI
    /// (an entry ending in `://` is a scheme prefix). A request with one is not checked against
    /// the registration rules below.
    #[serde(default)]
    pub special_redirect_uris: Vec<String>,
    /// Whether a redirect URI must be https (plain http only for loopback) to be registered.
    #[serde(default)]
    pub redirect_https_required: bool,
    /// Host suffixes a redirect URI may not have to be registered (Google: its own user-content
    /// domain).
    #[serde(default)]
    pub redirect_forbidden_hosts: Vec<String>,
    /// RFC 6749 §3.1.2.3: a client with exactly one registered redirect URI may leave
    /// `redirect_uri` out, and that one is used (node-oidc-provider does so).
    #[serde(default)]
    pub sole_redirect_uri_default: bool,
    /// Scopes the provider does not support are dropped from the grant silently, not refused
    /// (node-oidc-provider grants only the scopes it knows). Which it supports is its discovery
    /// document's `scopes_supported`, so this applies to a live target's model predictions only.
    #[serde(default)]
    pub drop_unsupported_scopes: bool,
    /// The supported scopes, filled from a live target's discovery document (never from YAML).
    #[serde(skip)]
    pub scopes_supported: Option<Vec<String>>,
    /// Whether a successful authorization response carries `scope` (Google does).
    #[serde(default = "yes")]
    pub scope_in_response: bool,
    /// Whether every authorization response, success or error, carries `iss` (RFC 9207 §2),
    /// the issuer's URL.
    #[serde(default)]
    pub iss_in_response: bool,
    /// Out-of-band redirect values: the code is shown on a page instead of redirected
    /// (`oob_blocked` refuses them; installed clients may otherwise use them unregistered).
    #[serde(default)]
    pub oob_redirect_uris: Vec<String>,
}

impl AuthorizeRules {
    /// Whether `redirect_uri` is one of the provider's out-of-band values.
    pub fn is_oob(&self, redirect_uri: &str) -> bool {
        self.oob_redirect_uris.iter().any(|oob| oob == redirect_uri)
    }

    /// The value of the legacy force parameter in `params`, when the profile knows one and it was sent.
    pub fn legacy_force_value<'a>(&self, params: &'a [(String, String)]) -> Option<(&LegacyForceRules, &'a str)> {
        let rules = self.legacy_force.as_ref()?;
        let value = params
            .iter()
            .find(|(k, _)| *k == rules.parameter)
            .map(|(_, v)| v.as_str())?;
        Some((rules, value))
    }

    /// Whether `uri` is one of the provider's own special redirect values.
    pub fn is_special_redirect(&self, uri: &str) -> bool {
        self.special_redirect_uris.iter().any(|special| {
            if special.ends_with("://") {
                // bytes, not a str slice: the URI may hold a multi-byte character at that index
                uri.as_bytes()
                    .get(..special.len())
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case(special.as_bytes()))
            } else {
                uri == special
            }
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyForceRules {
    /// The parameter's name.
    pub parameter: String,
    /// The value that asks for the consent screen.
    pub value: String,
    /// Values accepted without an error; any other value is `invalid_value`.
    pub accepted: Vec<String>,
    /// Whether `value` shows the consent screen again.
    pub forces_consent: bool,
    /// Whether sending it together with `prompt` is rejected.
    pub conflicts_with_prompt: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRules {
    pub forced_by_prompt_consent: bool,
    /// Whether the user may grant a subset of the requested scopes.
    pub granular: bool,
    /// Scopes granted with sign-in; a granular screen cannot untick them.
    pub sign_in_scopes: Vec<String>,
    /// What the consent screen says for a scope; a scope not listed is shown alone.
    #[serde(default)]
    pub scope_text: IndexMap<String, String>,
    /// How `serve`'s consent page names itself and the user's account.
    #[serde(default)]
    pub page: ConsentPage,
    /// What a user's grant (consent memory, combined scopes, revocation) belongs to.
    #[serde(default)]
    pub grants_per: GrantOwner,
    /// Whether `include_granted_scopes=true` combines earlier grants for an installed client
    /// too (D3: "incremental authorization with installed apps is not supported").
    #[serde(default = "yes")]
    pub installed_incremental: bool,
    /// Clients created before this date (`YYYY-MM-DD`) may turn granular consent off with
    /// `enable_granular_consent=false`. None: no client may.
    #[serde(default)]
    pub granular_opt_out_before: Option<String>,
}

/// What owns a user's grant: each client on its own, or the client's project (Google: D2
/// "the first time your project requests access", D4 revocation "for all clients registered
/// under that project").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantOwner {
    #[default]
    Client,
    Project,
}

/// What makes an authorization request ask for offline access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfflineRequest {
    /// Google: `access_type=offline`.
    AccessTypeOffline,
    /// OpenID Connect Core §11: the `offline_access` scope.
    OfflineAccessScope,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenRules {
    pub requires: OfflineRequest,
    pub only_when_consent_shown: bool,
    /// OIDC §11: `offline_access` is ignored unless `prompt` contains `consent`.
    #[serde(default)]
    pub offline_access_needs_prompt_consent: bool,
    /// Whether every use returns a new refresh token and invalidates the one used.
    pub rotation: bool,
    /// With `rotation`: a rotated-out token used again revokes the whole grant (RFC 9700
    /// §4.14.2 "the authorization server ... revokes the active refresh token"; node-oidc-provider
    /// revokes the grant, Auth0 and Okta likewise).
    #[serde(default)]
    pub reuse_detection: bool,
    /// Without `rotation`: whether the refresh response repeats the token it was given (RFC
    /// 6749 §6 "MAY issue a new refresh token"; node-oidc-provider repeats it, Google leaves it out).
    #[serde(default)]
    pub echo_unrotated: bool,
    pub limit_per_user_client: usize,
    pub unused_expiry_seconds: Option<u64>,
    /// Lifetime of refresh tokens issued to testing-status clients for non-sign-in scopes.
    pub testing_expiry_seconds: Option<u64>,
    /// How long after a refresh token died the token endpoint still answers `refresh_invalid`
    /// for it; later it answers `errors.refresh_forgotten`. None: always `refresh_invalid`.
    #[serde(default)]
    pub forgotten_after_seconds: Option<u64>,
    /// Scope prefixes whose refresh tokens a password change ends.
    #[serde(default)]
    pub password_change_scopes: Vec<String>,
    pub id_token_on_refresh: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRules {
    pub access_token_expires_in: u64,
    pub code_lifetime_seconds: u64,
    pub id_token_scopes: Vec<String>,
    pub scope_aliases: BTreeMap<String, String>,
    pub client_secret_required: bool,
    /// What redeeming a code a second time does to the tokens of its first redemption
    /// (RFC 6749 §4.1.2: the server "SHOULD revoke (when possible) all tokens previously
    /// issued based on that authorization code"). The second redemption fails either way.
    #[serde(default)]
    pub code_reuse_revokes: CodeReuse,
    /// What minted codes and tokens look like.
    #[serde(default)]
    pub shapes: TokenShapes,
}

/// The shape of each kind of minted value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenShapes {
    pub code: TokenShape,
    pub access_token: TokenShape,
    pub refresh_token: TokenShape,
    /// The device grant's `device_code` (RFC 8628 §3.2).
    pub device_code: TokenShape,
}

/// A minted value: a fixed prefix and this many random bytes, base64url-encoded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenShape {
    #[serde(default)]
    pub prefix: String,
    pub random_bytes: usize,
}

impl Default for TokenShape {
    fn default() -> Self {
        Self {
            prefix: String::new(),
            random_bytes: 48,
        }
    }
}

/// The provider's words on `serve`'s consent page.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsentPage {
    /// The page's title (`Sign in - Google Accounts`).
    pub title: String,
    /// The user's account in a sentence (`your Google Account`).
    pub account: String,
}

impl Default for ConsentPage {
    fn default() -> Self {
        Self {
            title: "Sign in".into(),
            account: "your account".into(),
        }
    }
}

/// The shape of a client the model makes up: its id is `id_template` with `{id}` replaced by
/// a made-up name (`web-drift`, serve's `123456789012-abc…`), and a generated secret starts
/// with `secret_prefix`. The default is the bare name and no prefix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientShape {
    pub id_template: String,
    pub secret_prefix: String,
}

impl Default for ClientShape {
    fn default() -> Self {
        Self {
            id_template: ClientShape::NAME.into(),
            secret_prefix: String::new(),
        }
    }
}

impl ClientShape {
    /// The placeholder `id_template` must hold.
    pub const NAME: &'static str = "{id}";

    /// The client id of the made-up name `name` (`web-drift` → `web-drift.apps.googleusercontent.com`).
    pub fn client_id(&self, name: &str) -> String {
        self.id_template.replace(Self::NAME, name)
    }
}

/// Where and how a provider shows a refused authorization request to the person: a redirect
/// to its error page with the error encoded in a parameter (read by `provider::AuthError`),
/// and the page's own text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorPageFormat {
    /// The path of the error page on the issuer's host (`/signin/oauth/error`).
    pub path: String,
    /// The query parameter of that page that carries the error (`authError`).
    pub parameter: String,
    /// The word before the status and the error code in the page's text (`Error` in
    /// "Error 400: invalid_request" and in "Error: invalid_request").
    pub code_label: String,
}

/// The provider's sign-in and account-chooser pages: a URL of one carries the app's
/// authorization parameters among the page's own, so `diagnose` can read a pasted one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInPages {
    /// Paths that start with one of these are sign-in pages (`/v3/signin/`).
    pub path_prefixes: Vec<String>,
    /// Paths that end with one of these are too (`/oauthchooseaccount`).
    #[serde(default)]
    pub path_suffixes: Vec<String>,
    /// Parameters the pages add to their own URLs; the app never sent them.
    pub internal_parameters: Vec<String>,
    /// The parameter holding the authorization URL the app opened (`continue`), if any.
    #[serde(default)]
    pub continue_parameter: Option<String>,
    /// The parameter naming which authorization endpoint the app opened, and its value for the
    /// legacy one (`o2v`, `1`); any other value is today's.
    #[serde(default)]
    pub era_parameter: Option<EraParameter>,
}

/// A parameter whose value tells the legacy era from today's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EraParameter {
    pub name: String,
    pub legacy: String,
}

impl SignInPages {
    /// Whether `path` is one of the sign-in pages.
    pub fn contains(&self, path: &str) -> bool {
        self.path_prefixes.iter().any(|p| path.starts_with(p.as_str()))
            || self.path_suffixes.iter().any(|s| path.ends_with(s.as_str()))
    }

    /// Whether `name` is one of the pages' own parameters.
    pub fn is_internal(&self, name: &str) -> bool {
        self.internal_parameters.iter().any(|p| p == name)
    }
}

/// What a replayed authorization code revokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeReuse {
    /// Nothing: the first redemption's tokens stay valid.
    #[default]
    Nothing,
    /// The access and refresh token the code was exchanged for (RFC 6749 §4.1.2).
    IssuedTokens,
    /// The whole grant, every token of it (node-oidc-provider).
    Grant,
}

/// How an authorization error reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// The provider's own error page; the app never hears of it.
    #[default]
    Page,
    /// A redirect back to the app with `error=`.
    Redirect,
}

/// One error the provider answers with, exactly as it answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    pub status: u16,
    pub error: String,
    pub description: String,
    #[serde(default)]
    pub delivery: Delivery,
    pub source: String,
}

impl ErrorSpec {
    /// What a profile that names no `invalid_length` error answers.
    fn invalid_length() -> Self {
        Self {
            status: 400,
            error: "invalid_request".into(),
            description: "Invalid parameter value for {param}: {value}".into(),
            delivery: Delivery::Page,
            source: "UNCONFIRMED: oauth-drift's own wording".into(),
        }
    }

    /// The description with `{param}`, `{value}` and `{redirect_uri}` filled in.
    pub fn describe(&self, param: &str, value: &str) -> String {
        self.description
            .replace("{param}", param)
            .replace("{redirect_uri}", value)
            .replace("{value}", value)
    }
}

/// Every error the model can produce; a profile must define each one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorCatalogue {
    pub missing_param: ErrorSpec,
    pub missing_response_type: ErrorSpec,
    pub unknown_client: ErrorSpec,
    pub redirect_uri_mismatch: ErrorSpec,
    pub oob_blocked: ErrorSpec,
    pub invalid_value: ErrorSpec,
    pub invalid_prompt: ErrorSpec,
    pub prompt_none_combined: ErrorSpec,
    pub conflict_params: ErrorSpec,
    pub missing_code_challenge: ErrorSpec,
    pub access_denied: ErrorSpec,
    pub consent_required: ErrorSpec,
    pub token_missing_grant_type: ErrorSpec,
    pub unsupported_grant_type: ErrorSpec,
    pub no_client_id: ErrorSpec,
    pub token_unknown_client: ErrorSpec,
    pub missing_client_secret: ErrorSpec,
    pub wrong_client_secret: ErrorSpec,
    pub token_missing_param: ErrorSpec,
    pub missing_redirect_uri: ErrorSpec,
    pub malformed_code: ErrorSpec,
    pub code_reused: ErrorSpec,
    pub code_expired: ErrorSpec,
    pub code_wrong_client: ErrorSpec,
    pub token_redirect_mismatch: ErrorSpec,
    pub missing_code_verifier: ErrorSpec,
    pub invalid_code_verifier: ErrorSpec,
    pub verifier_not_needed: ErrorSpec,
    /// A parameter past `limits` (`{param}`, and `{value}` saying which limit).
    #[serde(default = "ErrorSpec::invalid_length")]
    pub invalid_length: ErrorSpec,
    pub refresh_invalid: ErrorSpec,
    pub refresh_wrong_client: ErrorSpec,
    pub revoke_invalid_token: ErrorSpec,
    pub revoke_missing_token: ErrorSpec,
    pub userinfo_invalid_token: ErrorSpec,
    /// A scope in `authorize.rejected_scopes` was requested; `{value}` is filled with the
    /// valid and invalid scopes as Google lists them.
    #[serde(default)]
    pub invalid_scope: Option<ErrorSpec>,
    /// An unknown, expired or revoked token at `endpoints.tokeninfo`.
    pub tokeninfo_invalid_token: ErrorSpec,
    /// A response type the provider does not support (RFC 6749 §4.1.2.1
    /// `unsupported_response_type`); without it, `invalid_value` on an error page.
    #[serde(default)]
    pub unsupported_response_type: Option<ErrorSpec>,
    /// A `code_challenge_method` the provider does not support; without it, `invalid_value`.
    #[serde(default)]
    pub unsupported_code_challenge_method: Option<ErrorSpec>,
    /// A `code_challenge` without `code_challenge_method`: refused with this error where the
    /// provider refuses it; without it, the method defaults to
    /// `authorize.default_code_challenge_method` (RFC 7636 §4.3: `plain`).
    #[serde(default)]
    pub missing_code_challenge_method: Option<ErrorSpec>,
    /// `prompt=none` from someone not signed in (OIDC Core §3.1.2.6 `login_required`); without
    /// it, such a request is judged like a signed-in user's.
    #[serde(default)]
    pub login_required: Option<ErrorSpec>,
    /// A refresh token that died (revoked, expired, evicted) more than
    /// `refresh_token.forgotten_after_seconds` ago; without it, `refresh_invalid` forever.
    #[serde(default)]
    pub refresh_forgotten: Option<ErrorSpec>,
    /// A refresh token of a deleted account; without it, `refresh_invalid`.
    #[serde(default)]
    pub account_deleted: Option<ErrorSpec>,
    /// A refresh while session control wants the user to sign in again; answered with
    /// `error_subtype: invalid_rapt`. Without it, the event changes nothing.
    #[serde(default)]
    pub invalid_rapt: Option<ErrorSpec>,
    /// A refresh token, or a request, with a scope an admin restricted. Without it, the event
    /// changes nothing.
    #[serde(default)]
    pub admin_policy_enforced: Option<ErrorSpec>,
}

fn yes() -> bool {
    true
}

/// Why a profile could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("unknown provider `{name}`{} (known: {})", did_you_mean(.suggestion), .known.join(", "))]
    Unknown {
        name: String,
        suggestion: Option<String>,
        /// Every profile id the registry holds, sorted.
        known: Vec<String>,
    },
    #[error("profile `{id}` is invalid: {source}")]
    Invalid {
        id: String,
        #[source]
        source: serde_yaml::Error,
    },
    #[error("profile `{id}`{}: {key} is {value}, outside {min} to {max}{unit}", at.as_ref().map(|(file, line)| format!(" ({file} line {line})")).unwrap_or_default())]
    OutOfRange {
        id: String,
        /// The profile and line that set the key, where it can be found.
        at: Option<(String, usize)>,
        key: String,
        value: u64,
        min: u64,
        max: u64,
        unit: &'static str,
    },
    #[error("profile `{id}`: id_token claim `{claim}` is not one the model can fill ({})", KNOWN_CLAIMS.join(", "))]
    UnknownClaim { id: String, claim: String },
    #[error("profile `{id}`{}: {key} must contain `{placeholder}`", at.as_ref().map(|(file, line)| format!(" ({file} line {line})")).unwrap_or_default())]
    Placeholder {
        id: String,
        /// The profile and line that set the key, where it can be found.
        at: Option<(String, usize)>,
        key: &'static str,
        placeholder: &'static str,
    },
    #[error("profile `{id}` extends itself through `{via}`")]
    Cycle { id: String, via: String },
    #[error("failed to read profile {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// The closest of `candidates` to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

/// Built-in profiles plus any the user loaded, by id (`google`, `google@2015`).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    sources: BTreeMap<String, String>,
    /// Profiles already loaded, by id: a run asks for the same few several times (checking
    /// its scenarios' parameters, then running them), and each load parses the YAML of the
    /// profile's whole `extends:` chain. Shared by clones; a new source starts a fresh one.
    loaded: Arc<Mutex<BTreeMap<String, Profile>>>,
}

impl Registry {
    /// The profiles bundled with the binary.
    pub fn builtin() -> Self {
        let sources = BUILTIN
            .iter()
            .map(|(id, text)| (id.to_string(), text.to_string()))
            .collect();
        Self {
            sources,
            loaded: Arc::default(),
        }
    }

    /// Adds a user profile file; its id is the file stem (`acme@2024.yaml` → `acme@2024`).
    pub fn add_file(&mut self, path: &Path) -> Result<String, ProfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_owned(),
            source,
        })?;
        let id = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.add_text(&id, text)?;
        Ok(id)
    }

    /// Adds a profile from its YAML text; it must load (including its `extends:` chain).
    pub fn add_text(&mut self, id: &str, text: String) -> Result<(), ProfileError> {
        let previous = self.sources.insert(id.to_string(), text);
        // a loaded profile may extend this one
        self.loaded = Arc::default();
        if let Err(e) = self.load(id) {
            match previous {
                Some(text) => self.sources.insert(id.to_string(), text),
                None => self.sources.remove(id),
            };
            return Err(e);
        }
        Ok(())
    }

    /// Every profile id, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    /// The profile a discovery document describes: among the profiles whose `issuer` is
    /// `issuer`, the one whose authorization endpoint path is `authorize_path` (an era has its
    /// own path), else the one that extends no other. `None`: no profile has that issuer.
    pub fn for_issuer(&self, issuer: &str, authorize_path: Option<&str>) -> Option<String> {
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        let candidates: Vec<Profile> = self
            .ids()
            .filter_map(|id| self.load(id).ok())
            .filter(|p| same(&p.issuer, issuer))
            .collect();
        candidates
            .iter()
            .find(|p| authorize_path.is_some_and(|path| p.endpoints.authorize == path))
            .or_else(|| candidates.iter().find(|p| p.extends.is_none()))
            .or_else(|| candidates.first())
            .map(|p| p.id.clone())
    }

    /// The profile whose authorization and token endpoint paths are exactly these, when one
    /// alone (or one base profile) has them: how a server that names itself as issuer (`serve --issuer self`) is
    /// recognised.
    pub fn for_endpoint_paths(&self, authorize_path: &str, token_path: &str) -> Option<String> {
        let matching: Vec<Profile> = self
            .ids()
            .filter_map(|id| self.load(id).ok())
            .filter(|p| p.endpoints.authorize == authorize_path && p.endpoints.token == token_path)
            .collect();
        // a profile file that extends a built-in one shares its paths: the base is the answer
        let bases: Vec<&Profile> = matching.iter().filter(|p| p.extends.is_none()).collect();
        match (matching.as_slice(), bases.as_slice()) {
            ([only], _) => Some(only.id.clone()),
            (_, [base]) => Some(base.id.clone()),
            _ => None,
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.sources.contains_key(id)
    }

    /// Loads a profile, applying its `extends:` chain.
    pub fn load(&self, id: &str) -> Result<Profile, ProfileError> {
        let cached = self.loaded.lock().ok().and_then(|loaded| loaded.get(id).cloned());
        if let Some(profile) = cached {
            return Ok(profile);
        }
        let profile = self.load_uncached(id)?;
        if let Ok(mut loaded) = self.loaded.lock() {
            loaded.insert(id.to_string(), profile.clone());
        }
        Ok(profile)
    }

    fn load_uncached(&self, id: &str) -> Result<Profile, ProfileError> {
        let merged = self.merged_value(id, &mut Vec::new())?;
        let mut profile: Profile = serde_yaml::from_value(merged).map_err(|source| ProfileError::Invalid {
            id: id.to_string(),
            source,
        })?;
        profile.id = id.to_string();
        profile.citations = super::trace::Citations::of_chain(self.chain_texts(id));
        self.check_ranges(&profile)?;
        if !profile.client_shape.id_template.contains(ClientShape::NAME) {
            return Err(ProfileError::Placeholder {
                at: self.locate(id, "id_template"),
                id: id.to_string(),
                key: "client_shape.id_template",
                placeholder: ClientShape::NAME,
            });
        }
        if let Some(unknown) = profile
            .id_token
            .claims
            .keys()
            .find(|c| !KNOWN_CLAIMS.contains(&c.as_str()))
        {
            return Err(ProfileError::UnknownClaim {
                id: id.to_string(),
                claim: unknown.clone(),
            });
        }
        Ok(profile)
    }

    /// Durations and limits within sane bounds, so the engine's arithmetic cannot overflow
    /// and a typo (a duration in milliseconds) is caught when the profile loads.
    fn check_ranges(&self, profile: &Profile) -> Result<(), ProfileError> {
        const SECONDS: &str = " seconds";
        // a hundred years: longer than any provider keeps a token, far from u64 overflow
        const MAX_SECONDS: u64 = 100 * 365 * 24 * 3600;
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        let mut checks = vec![
            (
                "tokens.access_token_expires_in",
                Some(profile.tokens.access_token_expires_in),
                1,
                MAX_SECONDS,
                SECONDS,
            ),
            (
                "tokens.code_lifetime_seconds",
                Some(profile.tokens.code_lifetime_seconds),
                1,
                MAX_SECONDS,
                SECONDS,
            ),
            (
                "refresh_token.unused_expiry_seconds",
                profile.refresh_token.unused_expiry_seconds,
                1,
                MAX_SECONDS,
                SECONDS,
            ),
            (
                "refresh_token.testing_expiry_seconds",
                profile.refresh_token.testing_expiry_seconds,
                1,
                MAX_SECONDS,
                SECONDS,
            ),
            (
                "refresh_token.forgotten_after_seconds",
                profile.refresh_token.forgotten_after_seconds,
                1,
                MAX_SECONDS,
                SECONDS,
            ),
            (
                "limits.param_bytes",
                Some(as_u64(profile.limits.param_bytes)),
                64,
                1 << 20,
                " bytes",
            ),
            (
                "limits.scopes",
                Some(as_u64(profile.limits.scopes)),
                1,
                10_000,
                " scopes",
            ),
        ];
        if let Some([min, max]) = profile.limits.pkce_length {
            checks.push(("limits.pkce_length[0]", Some(as_u64(min)), 1, 128, " characters"));
            checks.push((
                "limits.pkce_length[1]",
                Some(as_u64(max)),
                as_u64(min).max(1),
                1024,
                " characters",
            ));
        }
        for (key, value, min, max, unit) in checks {
            if let Some(value) = value
                && !(min..=max).contains(&value)
            {
                let leaf = key.rsplit('.').next().unwrap_or(key);
                let leaf = leaf.split('[').next().unwrap_or(leaf);
                return Err(ProfileError::OutOfRange {
                    id: profile.id.clone(),
                    at: self.locate(&profile.id, leaf),
                    key: key.to_string(),
                    value,
                    min,
                    max,
                    unit,
                });
            }
        }
        Ok(())
    }

    /// The texts of `id`'s `extends:` chain, the base first (a loaded profile has no cycle).
    fn chain_texts(&self, id: &str) -> Vec<&str> {
        let mut chain = Vec::new();
        let mut current = self.sources.get(id);
        while let Some(text) = current.filter(|_| chain.len() < 16) {
            chain.push(text.as_str());
            current = text
                .lines()
                .find_map(|line| line.strip_prefix("extends:"))
                .and_then(|parent| {
                    let parent = parent.split('#').next().unwrap_or_default().trim();
                    self.sources.get(parent.trim_matches(['"', '\'']))
                });
        }
        chain.reverse();
        chain
    }

    /// The profile of `id`'s `extends:` chain, nearest first, and the line that sets `key`.
    fn locate(&self, id: &str, key: &str) -> Option<(String, usize)> {
        let mut current = id.to_string();
        for _ in 0..16 {
            let text = self.sources.get(&current)?;
            let needle = format!("{key}:");
            if let Some(index) = text.lines().position(|line| line.trim_start().starts_with(&needle)) {
                return Some((current, index + 1));
            }
            let own: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
            current = own.get("extends")?.as_str()?.to_string();
        }
        None
    }

    fn merged_value(&self, id: &str, seen: &mut Vec<String>) -> Result<serde_yaml::Value, ProfileError> {
        let text = self.sources.get(id).ok_or_else(|| ProfileError::Unknown {
            name: id.to_string(),
            suggestion: closest(id, self.ids()),
            known: self.ids().map(str::to_string).collect(),
        })?;
        if seen.iter().any(|s| s == id) {
            return Err(ProfileError::Cycle {
                id: seen[0].clone(),
                via: id.to_string(),
            });
        }
        seen.push(id.to_string());
        let own: serde_yaml::Value = serde_yaml::from_str(text).map_err(|source| ProfileError::Invalid {
            id: id.to_string(),
            source,
        })?;
        let parent = own.get("extends").and_then(|v| v.as_str()).map(str::to_string);
        match parent {
            None => Ok(own),
            Some(parent) => {
                let mut base = self.merged_value(&parent, seen)?;
                merge(&mut base, own);
                Ok(base)
            }
        }
    }
}

/// Deep-merges `overlay` into `base`: mappings merge key by key, anything else replaces.
fn merge(base: &mut serde_yaml::Value, overlay: serde_yaml::Value) {
    match (base, overlay) {
        // `{}` clears: an era may drop every entry of a map it inherits (oidc's scope aliases)
        (serde_yaml::Value::Mapping(base), serde_yaml::Value::Mapping(overlay)) if !overlay.is_empty() => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_loads() {
        let registry = Registry::builtin();
        for id in registry.ids() {
            let profile = registry.load(id).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(profile.id, id);
        }
    }

    #[test]
    fn the_2015_era_is_google_with_the_old_approval_prompt_rules() {
        let registry = Registry::builtin();
        let now = registry.load("google").unwrap();
        let old = registry.load("google@2015").unwrap();
        assert!(!now.authorize.legacy_force.as_ref().unwrap().forces_consent);
        let old_force = old.authorize.legacy_force.as_ref().unwrap();
        assert!(old_force.forces_consent);
        assert_eq!(
            old_force.parameter, "approval_prompt",
            "the parameter is inherited from google"
        );
        assert_eq!(old.endpoints.authorize, "/o/oauth2/auth");
        // the legacy accounts.google.com paths of the same era
        assert_eq!(
            (old.endpoints.token.as_str(), old.endpoints.revoke.as_str()),
            ("/o/oauth2/token", "/o/oauth2/revoke")
        );
        assert_eq!(
            (now.endpoints.token.as_str(), now.endpoints.revoke.as_str()),
            ("/token", "/revoke")
        );
        // inherited unchanged
        assert_eq!(old.endpoints.userinfo, now.endpoints.userinfo);
        assert_eq!(old.errors.code_reused.description, "Code was already redeemed.");
        assert_eq!(old.refresh_token.testing_expiry_seconds, None);
    }

    #[test]
    fn an_empty_map_in_an_era_clears_the_inherited_one() {
        let oidc = Registry::builtin().load("oidc").unwrap();
        assert!(oidc.tokens.scope_aliases.is_empty(), "{:?}", oidc.tokens.scope_aliases);
        let old = Registry::builtin().load("google@2015").unwrap();
        assert!(!old.tokens.scope_aliases.is_empty(), "a map not mentioned is inherited");
    }

    #[test]
    fn a_discovery_issuer_names_its_profile_and_the_endpoint_path_its_era() {
        let registry = Registry::builtin();
        let google = "https://accounts.google.com";
        assert_eq!(
            registry.for_issuer(google, Some("/o/oauth2/v2/auth")).as_deref(),
            Some("google")
        );
        assert_eq!(
            registry.for_issuer(google, Some("/o/oauth2/auth")).as_deref(),
            Some("google@2015")
        );
        assert_eq!(registry.for_issuer(google, None).as_deref(), Some("google"));
        assert_eq!(
            registry.for_issuer("https://op.example/", None).as_deref(),
            Some("oidc")
        );
        assert_eq!(registry.for_issuer("https://login.example.org", None), None);
    }

    #[test]
    fn unknown_provider_suggests_the_closest_name() {
        let err = Registry::builtin().load("gogle").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown provider `gogle`; did you mean `google`? (known: google, google@2015, oidc, oidc@rotating)"
        );
    }

    #[test]
    fn a_duration_out_of_range_is_refused_with_its_profile_and_line() {
        let mut registry = Registry::builtin();
        let text = "extends: google\nname: acme\nrefresh_token:\n  unused_expiry_seconds: 18446744073709551615\n";
        let err = registry.add_text("acme", text.to_string()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile `acme` (acme line 4): refresh_token.unused_expiry_seconds is 18446744073709551615, outside 1 to 3153600000 seconds"
        );
        assert!(!registry.contains("acme"), "a refused profile is not kept");
        let zero = "extends: google\nname: acme\ntokens:\n  code_lifetime_seconds: 0\n";
        assert!(registry.add_text("acme", zero.to_string()).is_err());
    }

    #[test]
    fn a_profile_replaced_after_loading_is_loaded_anew_and_so_are_its_extensions() {
        let mut registry = Registry::builtin();
        registry.add_text("acme", "extends: oidc\nname: acme\n".into()).unwrap();
        registry
            .add_text("acme@next", "extends: acme\nname: acme next\n".into())
            .unwrap();
        let oidc = registry.load("oidc").unwrap().issuer;
        assert_eq!(registry.load("acme@next").unwrap().issuer, oidc);
        registry
            .add_text(
                "acme",
                "extends: oidc\nname: acme\nissuer: https://acme.example\n".into(),
            )
            .unwrap();
        assert_eq!(registry.load("acme").unwrap().issuer, "https://acme.example");
        assert_eq!(
            registry.load("acme@next").unwrap().issuer,
            "https://acme.example",
            "a profile loaded before its parent changed is not served from the cache"
        );
    }

    #[test]
    fn a_client_id_template_without_its_placeholder_is_refused_with_its_line() {
        let mut registry = Registry::builtin();
        let text = "extends: oidc\nname: acme\nclient_shape:\n  id_template: fixed-client\n";
        let err = registry.add_text("acme", text.to_string()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "profile `acme` (acme line 4): client_shape.id_template must contain `{id}`"
        );
    }

    #[test]
    fn made_up_clients_take_the_shape_of_their_profile() {
        let registry = Registry::builtin();
        let google = registry.load("google").unwrap().client_shape;
        assert_eq!(google.client_id("web-drift"), "web-drift.apps.googleusercontent.com");
        assert_eq!(google.secret_prefix, "GOCSPX-");
        for id in ["oidc", "oidc@rotating"] {
            let neutral = registry.load(id).unwrap().client_shape;
            assert_eq!(
                (neutral.client_id("web-drift").as_str(), neutral.secret_prefix.as_str()),
                ("web-drift", "")
            );
        }
    }

    #[test]
    fn error_descriptions_fill_their_placeholders() {
        let google = Registry::builtin().load("google").unwrap();
        let text = google.errors.invalid_value.describe("access_type", "offine");
        assert_eq!(text, "Invalid parameter value for access_type: 'offine' is not valid");
    }
}

#[cfg(test)]
mod inherited_words {
    use super::Registry;
    use serde_yaml::Value;

    /// Every string under `value` that names Google, with its key path.
    fn naming_google(value: &Value, path: &str, found: &mut Vec<String>) {
        match value {
            Value::String(text) if text.to_lowercase().contains("google") => found.push(format!("{path}: {text}")),
            Value::Sequence(items) => {
                for (i, item) in items.iter().enumerate() {
                    naming_google(item, &format!("{path}[{i}]"), found);
                }
            }
            Value::Mapping(map) => {
                for (key, item) in map {
                    let key = key.as_str().unwrap_or_default();
                    // citations may name Google, and `extends:` names the parent
                    if key == "source" || key == "extends" {
                        continue;
                    }
                    if key.to_lowercase().contains("google") {
                        found.push(format!("{path}.{key}"));
                    }
                    naming_google(item, &format!("{path}.{key}"), found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn a_profile_written_as_the_difference_from_oidc_inherits_no_google_word() {
        let registry = Registry::builtin();
        for id in ["oidc", "oidc@rotating"] {
            let merged = registry.merged_value(id, &mut Vec::new()).unwrap();
            let mut found = Vec::new();
            naming_google(&merged, id, &mut found);
            assert!(found.is_empty(), "{}", found.join("\n"));
        }
    }
}
