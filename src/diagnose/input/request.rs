//! The authorization request under diagnosis: endpoint and parameters exactly as sent, parsed
//! from a pasted URL (or a HAR entry) and checked against the provider's hosts and paths.

use super::note::InputNote;
use super::paste;
use crate::diagnose::endpoints::{EndpointKind, ProviderEndpoints};
use crate::diagnose::error::InputError;

/// Parameters whose values are secrets: redacted in every output.
pub const SECRET_PARAMS: &[&str] = &[
    "client_secret",
    "code",
    "access_token",
    "refresh_token",
    "id_token",
    "code_verifier",
    "token",
    "password",
    "assertion",
    "device_code",
];

/// Parameters that are no secret in the URL but tie the request to one browser session
/// (`serve`'s access log redacts them too): shown as `[redacted]`, kept for the model.
pub const SESSION_PARAMS: &[&str] = &["state", "code_challenge", "nonce"];

/// What a redacted value is shown as.
pub const REDACTED: &str = "[redacted]";

/// One parameter: decoded name and value, and the raw `name=value` segment as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub value: String,
    raw: String,
}

impl Param {
    /// A parameter encoded the way a query-string builder encodes it.
    pub fn new(name: &str, value: &str) -> Self {
        let raw = url::form_urlencoded::Serializer::new(String::new())
            .append_pair(name, value)
            .finish();
        Self {
            name: name.to_string(),
            value: value.to_string(),
            raw,
        }
    }

    fn from_raw(raw: &str) -> Self {
        let (name, value) = url::form_urlencoded::parse(raw.as_bytes())
            .next()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .unwrap_or_default();
        Self {
            name,
            value,
            raw: raw.to_string(),
        }
    }

    pub fn is_secret(&self) -> bool {
        SECRET_PARAMS.contains(&self.name.as_str())
    }

    /// The value as it may be shown.
    pub fn shown_value(&self) -> &str {
        if self.is_hidden() { REDACTED } else { &self.value }
    }

    /// A secret, or a value bound to the user's session (state, the PKCE challenge, nonce).
    pub fn is_hidden(&self) -> bool {
        (self.is_secret() || SESSION_PARAMS.contains(&self.name.as_str())) && !self.value.is_empty()
    }
}

/// An authorization request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthRequest {
    /// `scheme://host[:port]/path`
    pub endpoint: String,
    pub host: String,
    pub path: String,
    pub params: Vec<Param>,
    pub notes: Vec<InputNote>,
}

impl AuthRequest {
    /// Finds and parses the authorization URL in pasted text.
    pub fn from_pasted(text: &str, endpoints: &ProviderEndpoints) -> Result<Self, InputError> {
        if text.trim().is_empty() {
            return Err(InputError::Empty);
        }
        let candidates = paste::extract(text, endpoints.hosts());
        if let Some(query) = candidates.iter().find(|c| c.query_only) {
            let url = format!("{}?{}", endpoints.authorize_url, query.text);
            return Self::from_url(&url, endpoints, query.notes.clone());
        }
        let owned = candidates
            .iter()
            .position(|c| url::Url::parse(&c.text).is_ok_and(|u| u.host_str().is_some_and(|h| endpoints.owns_host(h))));
        match (owned, candidates.first()) {
            (Some(index), _) => {
                let chosen = &candidates[index];
                let mut notes = chosen.notes.clone();
                if candidates.len() > 1 {
                    notes.push(InputNote::PickedUrl {
                        position: index + 1,
                        of: candidates.len(),
                    });
                }
                Self::from_url(&chosen.text, endpoints, notes)
            }
            (None, Some(first)) => Self::from_url(&first.text, endpoints, first.notes.clone()),
            (None, None) => Err(InputError::NoUrl {
                authorize_url: endpoints.authorize_url.clone(),
            }),
        }
    }

    /// The provider's error page in pasted text, decoded from its `error_page.parameter`
    /// (Google's `authError`).
    pub fn error_page(text: &str, endpoints: &ProviderEndpoints) -> Option<crate::diagnose::AuthError> {
        endpoints.is_published().then_some(())?;
        paste::extract(text, endpoints.hosts()).iter().find_map(|candidate| {
            let url = url::Url::parse(&candidate.text).ok()?;
            let host = url.host_str()?;
            let page = endpoints
                .error_page_at(url.path())
                .filter(|_| endpoints.owns_host(host))?;
            let (_, value) = url.query_pairs().find(|(k, _)| *k == page.parameter)?;
            crate::diagnose::AuthError::decode(&value)
        })
    }

    /// Parses one URL as an authorization request to the provider.
    pub fn from_url(text: &str, endpoints: &ProviderEndpoints, notes: Vec<InputNote>) -> Result<Self, InputError> {
        Self::parse(text, endpoints, notes, true)
    }

    fn parse(
        text: &str,
        endpoints: &ProviderEndpoints,
        mut notes: Vec<InputNote>,
        follow: bool,
    ) -> Result<Self, InputError> {
        let url = url::Url::parse(text).map_err(|e| InputError::NotUrl { reason: e.to_string() })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(InputError::NotUrl {
                reason: format!("the scheme is `{}`, not https", url.scheme()),
            });
        }
        let host = url.host_str().unwrap_or_default().to_string();
        let path = url.path().to_string();
        if !endpoints.owns_host(&host) {
            if let Some(what) = callback_payload(&url) {
                return Err(InputError::CallbackUrl {
                    what: what.into(),
                    authorize_url: endpoints.authorize_url.clone(),
                });
            }
            return Err(InputError::WrongHost {
                host,
                provider: endpoints.provider.clone(),
                expected: endpoints.hosts().first().cloned().unwrap_or_default(),
            });
        }
        let origin = url.origin().ascii_serialization();
        let not_authorize = || InputError::NotAuthorize {
            host: host.clone(),
            path: path.clone(),
            provider: endpoints.provider.clone(),
            expected: endpoints.authorize_url.clone(),
        };
        let mut endpoint = format!("{origin}{path}");
        let mut params = split_query(url.query().unwrap_or_default(), &mut notes);
        if url.fragment().is_some_and(|f| !f.is_empty()) {
            notes.push(InputNote::DroppedFragment);
        }
        // a generic profile (any host) takes any path that is not its token or revoke endpoint
        let is_authorize = endpoints.authorize_paths().contains(&path.as_str())
            || (endpoints.is_generic() && endpoints.classify(&host, &path).is_none());
        if !is_authorize {
            if endpoints.error_page_at(&path).is_some() {
                return Err(InputError::ErrorPageUrl {
                    provider: endpoints.display_name.clone(),
                });
            }
            let Some(pages) = endpoints.sign_in_page_at(&path) else {
                return Err(not_authorize());
            };
            if follow
                && let Some(name) = &pages.continue_parameter
                && let Some(next) = params.iter().find(|p| p.name == *name).map(|p| p.value.clone())
                && let Ok(inner) = url::Url::parse(&next)
                && endpoints.authorize_paths().contains(&inner.path())
            {
                notes.push(InputNote::FollowedContinue);
                return Self::parse(&next, endpoints, notes, false);
            }
            // the era parameter (Google's o2v) names the endpoint the app opened: the legacy one or today's
            let legacy = (pages.era_parameter.as_ref())
                .is_some_and(|era| params.iter().any(|p| p.name == era.name && p.value == era.legacy));
            let dropped: Vec<String> = params
                .iter()
                .filter(|p| pages.is_internal(&p.name))
                .map(|p| p.name.clone())
                .collect();
            params.retain(|p| !pages.is_internal(&p.name));
            if !params.iter().any(|p| p.name == "client_id") {
                return Err(InputError::SignInPageOnly {
                    path: path.clone(),
                    provider: endpoints.display_name.clone(),
                    authorize_url: endpoints.authorize_url.clone(),
                    host: endpoints.issuer_host.clone(),
                });
            }
            notes.push(InputNote::SignInPage {
                path: path.clone(),
                provider: endpoints.display_name.clone(),
            });
            if !dropped.is_empty() {
                notes.push(InputNote::DroppedInternal {
                    names: dropped,
                    provider: endpoints.display_name.clone(),
                });
            }
            let path_then = endpoints.authorize_path_of_era(legacy);
            endpoint = format!("{origin}{path_then}");
        } else if endpoints
            .classify(&host, &path)
            .is_some_and(|k| k != EndpointKind::Authorize)
        {
            return Err(not_authorize());
        }
        if params.is_empty() {
            return Err(InputError::NoParameters);
        }
        let endpoint_url = url::Url::parse(&endpoint).map_err(|e| InputError::NotUrl { reason: e.to_string() })?;
        let request = AuthRequest {
            endpoint,
            host: endpoint_url.host_str().unwrap_or_default().to_string(),
            path: endpoint_url.path().to_string(),
            params,
            notes,
        };
        Ok(request.with_param_notes())
    }

    /// Notes about individual parameters: duplicates, double encoding, line breaks, secrets.
    fn with_param_notes(mut self) -> Self {
        // sets, not list scans: a pasted URL may carry many thousands of parameters
        let mut seen = std::collections::HashSet::new();
        let mut duplicates = std::collections::HashSet::new();
        let mut notes = Vec::new();
        for param in &self.params {
            let name = param.name.clone();
            if !seen.insert(param.name.as_str()) && duplicates.insert(param.name.as_str()) {
                notes.push(InputNote::Duplicate { name: name.clone() });
            }
            if param.is_secret() {
                notes.push(InputNote::Secret { name: name.clone() });
            } else if has_percent_escape(&param.value) && !SESSION_PARAMS.contains(&param.name.as_str()) {
                // state, nonce and the challenge are opaque to the provider: their bytes are the app's
                notes.push(InputNote::DoubleEncoded { name: name.clone() });
            }
            if param.value.contains(['\n', '\r']) {
                notes.push(InputNote::LineBreak { name: name.clone() });
            }
            let spaced = |t: &str| t.starts_with(char::is_whitespace) || t.ends_with(char::is_whitespace);
            if spaced(&param.name) || (spaced(&param.value) && !param.value.contains(['\n', '\r'])) {
                notes.push(InputNote::Whitespace { name });
            }
        }
        self.notes.extend(notes);
        self
    }

    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|p| p.name == name).map(|p| p.value.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.params.iter().any(|p| p.name == name)
    }

    /// The parameters as the engine takes them.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.params.iter().map(|p| (p.name.clone(), p.value.clone())).collect()
    }

    /// The URL as sent, secrets included: for the model only, never for output.
    pub fn url(&self) -> String {
        self.render(false)
    }

    /// The URL with secret values redacted.
    pub fn display_url(&self) -> String {
        self.render(true)
    }

    fn render(&self, redact: bool) -> String {
        let query: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                if redact && p.is_hidden() {
                    format!("{}={REDACTED}", p.name)
                } else {
                    p.raw.clone()
                }
            })
            .collect();
        if query.is_empty() {
            self.endpoint.clone()
        } else {
            format!("{}?{}", self.endpoint, query.join("&"))
        }
    }

    /// The same request with other parameters (notes about the old ones dropped).
    pub fn with_params(&self, params: Vec<Param>) -> Self {
        Self {
            params,
            notes: Vec::new(),
            ..self.clone()
        }
    }

    /// Whether any note is of this kind for this parameter.
    pub fn noted(&self, check: impl Fn(&InputNote) -> bool) -> bool {
        self.notes.iter().any(check)
    }
}

/// Splits a raw query into parameters, decoding a query that was encoded as a whole.
fn split_query(query: &str, notes: &mut Vec<InputNote>) -> Vec<Param> {
    let lower = query.to_ascii_lowercase();
    let decoded;
    let query = if !query.contains('=') && lower.contains("%3d") {
        notes.push(InputNote::DecodedQuery);
        decoded = percent_encoding::percent_decode_str(query)
            .decode_utf8_lossy()
            .into_owned();
        decoded.as_str()
    } else {
        query
    };
    query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(Param::from_raw)
        .filter(|p| !p.name.is_empty())
        .collect()
}

fn has_percent_escape(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// What a redirect back to an app carries, if it is one.
fn callback_payload(url: &url::Url) -> Option<&'static str> {
    let redirect = crate::target::Redirect::parse(url.as_str());
    let has = |n: &str| redirect.get(n).is_some();
    if has("code") {
        Some("an authorization code")
    } else if has("access_token") || has("id_token") {
        Some("a token")
    } else if has("error") && (has("state") || has("error_description")) {
        Some("an error")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    fn google() -> ProviderEndpoints {
        ProviderEndpoints::for_profile(&Registry::builtin().load("google").unwrap())
    }

    #[test]
    fn parameters_keep_their_raw_form_and_decode_for_the_model() {
        let request = AuthRequest::from_pasted(
            "https://accounts.google.com/o/oauth2/v2/auth?scope=openid%20email&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&prompt=select_account+consent",
            &google(),
        )
        .unwrap();
        assert_eq!(request.get("scope"), Some("openid email"));
        assert_eq!(request.get("redirect_uri"), Some("https://app.example.com/cb"));
        assert_eq!(request.get("prompt"), Some("select_account consent"));
        assert!(request.url().contains("scope=openid%20email"));
        assert!(request.notes.is_empty(), "{:?}", request.notes);
    }

    #[test]
    fn a_double_encoded_value_is_noted() {
        let request = AuthRequest::from_pasted(
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&redirect_uri=https%253A%252F%252Fa.example",
            &google(),
        )
        .unwrap();
        assert_eq!(request.get("redirect_uri"), Some("https%3A%2F%2Fa.example"));
        assert!(request.notes.contains(&InputNote::DoubleEncoded {
            name: "redirect_uri".into()
        }));
    }

    #[test]
    fn secrets_are_redacted_in_the_display_url() {
        let request = AuthRequest::from_pasted(
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&client_secret=GOCSPX-abc",
            &google(),
        )
        .unwrap();
        assert!(!request.display_url().contains("GOCSPX"));
        assert!(request.url().contains("GOCSPX"));
    }

    #[test]
    fn the_wrong_host_and_a_callback_are_refused_without_echoing_the_code() {
        let err = AuthRequest::from_pasted(
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=x",
            &google(),
        )
        .unwrap_err();
        assert!(matches!(err, InputError::WrongHost { .. }), "{err}");
        let err = AuthRequest::from_pasted(
            "https://app.example.com/cb?state=s&code=4/0AbCdEfSecret&scope=email",
            &google(),
        )
        .unwrap_err();
        assert!(matches!(err, InputError::CallbackUrl { .. }), "{err}");
        assert!(!err.to_string().contains("0AbCdEfSecret"));
    }

    #[test]
    fn the_error_page_and_the_token_endpoint_are_not_authorization_requests() {
        let err = AuthRequest::from_pasted(
            "https://accounts.google.com/signin/oauth/error?authError=Cg9pbnZhbGlk",
            &google(),
        )
        .unwrap_err();
        assert!(matches!(err, InputError::ErrorPageUrl { .. }), "{err}");
        let err = AuthRequest::from_pasted("https://oauth2.googleapis.com/token?grant_type=x", &google()).unwrap_err();
        assert!(matches!(err, InputError::NotAuthorize { .. }), "{err}");
    }

    #[test]
    fn a_sign_in_page_yields_the_apps_parameters() {
        let request = AuthRequest::from_pasted(
            "https://accounts.google.com/v3/signin/identifier?dsh=S1&access_type=offline&client_id=x&o2v=2&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=email&service=lso&flowName=GeneralOAuthFlow",
            &google(),
        )
        .unwrap();
        assert_eq!(request.endpoint, "https://accounts.google.com/o/oauth2/v2/auth");
        let names: Vec<&str> = request.params.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["access_type", "client_id", "redirect_uri", "response_type", "scope"]
        );
    }

    #[test]
    fn the_sign_in_and_error_pages_are_named_by_the_profile_not_by_the_code() {
        let mut registry = Registry::builtin();
        registry
            .add_text(
                "okta-like",
                "extends: google\nname: okta-like\nwording:\n  name: Okta\n".into(),
            )
            .unwrap();
        let okta = ProviderEndpoints::for_profile(&registry.load("okta-like").unwrap());
        let request = AuthRequest::from_pasted(
            "https://accounts.google.com/v3/signin/identifier?client_id=x&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=email&service=lso",
            &okta,
        )
        .unwrap();
        let notes: Vec<String> = request.notes.iter().map(InputNote::describe).collect();
        assert!(notes.iter().any(|n| n.contains("is an Okta sign-in page")), "{notes:?}");
        assert!(
            notes.iter().any(|n| n.contains("Okta's sign-in pages add: service")),
            "{notes:?}"
        );
        assert!(!notes.iter().any(|n| n.contains("Google")), "{notes:?}");
        let err =
            AuthRequest::from_pasted("https://accounts.google.com/v3/signin/identifier?dsh=S1", &okta).unwrap_err();
        assert!(err.to_string().contains("is an Okta sign-in page"), "{err}");
        let err =
            AuthRequest::from_pasted("https://accounts.google.com/signin/oauth/error?authError=x", &okta).unwrap_err();
        assert!(err.to_string().starts_with("this is Okta's error page"), "{err}");
    }

    #[test]
    fn a_query_encoded_as_a_whole_is_decoded() {
        let request = AuthRequest::from_pasted(
            "https://accounts.google.com/o/oauth2/v2/auth?client_id%3Dx%26scope%3Demail",
            &google(),
        )
        .unwrap();
        assert_eq!(request.get("scope"), Some("email"));
        assert!(request.notes.contains(&InputNote::DecodedQuery));
    }

    #[test]
    fn session_values_are_shown_redacted_and_are_no_encoding_finding() {
        let registry = crate::provider::Registry::builtin();
        let endpoints = ProviderEndpoints::for_profile(&registry.load("google").unwrap());
        let request = AuthRequest::from_pasted(
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=c&state=%257B%2522a%2522%257D&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&scope=email",
            &endpoints,
        )
        .unwrap();
        let shown: Vec<&str> = request.params.iter().map(Param::shown_value).collect();
        assert_eq!(shown, ["c", REDACTED, REDACTED, "email"]);
        assert!(!request.display_url().contains("E9Melhoa"));
        assert!(!request.noted(|n| matches!(n, InputNote::DoubleEncoded { .. })));
    }
}
