//! The sections the live probes fill: the authorization requests sent without a session
//! (authorize-params), one refresh (refresh) and the discovery document (discovery).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{RequestRecord, ResponseRecord};

/// How the provider answered an authorization request made without a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The request is valid: the provider goes on to sign-in or consent.
    Accepted,
    /// The provider refused it, on its own error page or by an error redirect to the app.
    Rejected,
}

/// What carried the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// A redirect to the provider's sign-in or account chooser.
    SignIn,
    /// A consent screen (`serve` and the model say so in a header).
    ConsentScreen,
    /// A redirect back to the app with a code or tokens (a standing grant on a model).
    CodeRedirect,
    /// The provider's own error page.
    ErrorPage,
    /// A redirect to Google's error page carrying an `authError`.
    AuthError,
    /// A redirect back to the app with `error=`.
    ErrorRedirect,
}

/// One classified answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizeAnswer {
    pub verdict: Verdict,
    pub via: Via,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The HTTP status of an error page (inferred as 400, or 401 for `invalid_client`, when the
    /// page sits behind an `authError` redirect).
    #[serde(skip)]
    pub page_status: u16,
}

impl AuthorizeAnswer {
    /// The provider goes on, by `via`.
    pub fn accepted(via: Via) -> Self {
        Self {
            verdict: Verdict::Accepted,
            via,
            error: None,
            error_description: None,
            page_status: 0,
        }
    }

    /// The provider refused, by `via`, with `error`.
    pub fn rejected(via: Via, error: String, description: Option<String>, page_status: u16) -> Self {
        Self {
            verdict: Verdict::Rejected,
            via,
            error: Some(error),
            error_description: description,
            page_status,
        }
    }

    /// Whether a browser sent to this request would be stuck on the provider's error page.
    pub fn is_error_page(&self) -> bool {
        matches!(self.via, Via::ErrorPage | Via::AuthError)
    }
}

/// One probed authorization request: the parameters sent (secrets aliased) and the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbedRequest {
    /// The scenario line of the authorize step.
    pub line: usize,
    pub params: BTreeMap<String, String>,
    #[serde(flatten)]
    pub answer: AuthorizeAnswer,
}

/// One refresh: the request and the response, as a scenario step's are recorded, and whether
/// the refresh token rotated.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshSection {
    pub request: RequestRecord,
    #[serde(flatten)]
    pub response: ResponseRecord,
    /// A refresh_token different from the one sent came back.
    pub rotated: bool,
}

/// The discovery document as fetched: where, its status, and its facts.
#[derive(Debug, Clone, Serialize)]
pub struct DiscoverySection {
    pub url: String,
    pub status: u16,
    #[serde(flatten)]
    pub facts: DiscoveryFacts,
}

/// What a discovery document says that matters here (read by `live`'s discovery probe).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveryFacts {
    pub issuer: Option<String>,
    pub endpoints: BTreeMap<String, String>,
    /// Each list sorted; absent lists are left out.
    pub lists: BTreeMap<String, Vec<String>>,
    /// Names of every other field, sorted: a field appearing or disappearing is drift too.
    pub other_fields: Vec<String>,
}
