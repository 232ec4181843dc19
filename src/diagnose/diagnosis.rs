//! One diagnosis: read the input, set up the client the model registers, ask the model,
//! search the fix, explain. Nothing here prints; `render` turns a `Diagnosis` into text.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::endpoints::{ProviderEndpoints, is_loopback};
use super::error::{DiagnoseError, InputError};
use super::explain::explain;
use super::findings::{Facts, Finding, evaluate};
use super::fix::{self, Fix};
use super::input::{AuthRequest, Har, HarObservation, InputNote, TokenResponse, observe};
use super::observe;
use super::predict::{ClientSetup, Depth, Prediction, predict};
use super::response::{self, AuthError, ResponseDiagnosis};
use crate::provider::{ClientKind, Profile, PublishingStatus, Registry};

/// What the user gave.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// Pasted text holding the authorization URL.
    pub pasted: Option<String>,
    /// A HAR file and where it came from.
    pub har: Option<(PathBuf, Har)>,
    /// `--token-response FILE`, parsed.
    pub token_response: Option<TokenResponse>,
}

/// The context flags: provider and era, client type, publishing status (`None`: infer), and
/// the symptom the report describes (`None`: inferred from a token response, if one is given).
#[derive(Debug, Clone)]
pub struct Options {
    pub provider: String,
    pub client_kind: Option<ClientKind>,
    pub status: Option<PublishingStatus>,
    pub symptom: Option<Symptom>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            provider: crate::provider::DEFAULT_PROVIDER.into(),
            client_kind: None,
            status: None,
            symptom: None,
        }
    }
}

/// What went wrong, as the report says: it decides which causes rank first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Symptom {
    /// A token response came back without refresh_token.
    NoRefreshToken,
    /// A refresh fails with invalid_grant (when is not known).
    InvalidGrant,
    /// A refresh fails with invalid_grant some days after the grant (about a week).
    InvalidGrantAfterDays,
    /// A refresh token that used to work was revoked (for example after many logins).
    RefreshTokenRevoked,
}

impl Symptom {
    /// The symptom a token response shows.
    pub fn of(response: &TokenResponse) -> Option<Self> {
        match response.error.as_deref() {
            Some("invalid_grant") => Some(Symptom::InvalidGrant),
            Some(_) => None,
            None if response.access_token && !response.refresh_token => Some(Symptom::NoRefreshToken),
            None => None,
        }
    }

    pub fn is_invalid_grant(self) -> bool {
        matches!(self, Symptom::InvalidGrant | Symptom::InvalidGrantAfterDays)
    }
}

/// Where the publishing status came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusFrom {
    Given,
    Inferred,
    /// Nothing said: production was assumed.
    Assumed,
}

/// What the user observed besides the request.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    pub har: Option<HarObservation>,
    pub token_response: Option<TokenResponse>,
    /// Google's error page the request was rebuilt from.
    pub error_page: Option<AuthError>,
}

/// The whole answer.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub provider: String,
    pub profile: Arc<Profile>,
    pub request: AuthRequest,
    pub client_kind: ClientKind,
    pub status: PublishingStatus,
    pub setup: ClientSetup,
    pub prediction: Prediction,
    pub findings: Vec<Finding>,
    pub fix: Fix,
    pub observed: Evidence,
    pub symptom: Option<Symptom>,
    pub status_from: StatusFrom,
    /// How the diagnosed flow ended, when a HAR shows it: what happened outranks the prediction.
    pub happened: Option<observe::Outcome>,
}

impl Diagnosis {
    /// The finding that explains the reported symptom, if one does.
    pub fn symptom_explained(&self) -> Option<super::Code> {
        self.findings.iter().find(|f| f.symptom).map(|f| f.code)
    }

    /// A refresh_token on every grant of the diagnosed request.
    pub fn every_grant(&self) -> bool {
        self.prediction.every_grant()
    }

    /// 0 when a refresh_token comes back on every grant and no finding explains the reported
    /// symptom, 1 otherwise. When a HAR shows how the diagnosed flow ended, that decides
    /// instead of the prediction: a refresh_token came back, or it did not.
    pub fn exit_code(&self) -> u8 {
        let fine = match self.happened {
            Some(outcome) => outcome == observe::Outcome::RefreshToken,
            None => self.every_grant(),
        };
        if fine && self.symptom_explained().is_none() {
            crate::exit::OK
        } else {
            crate::exit::DRIFT
        }
    }
}

/// A diagnosis of an authorization request, or of a response or error page pasted alone.
#[derive(Debug, Clone)]
pub enum Diagnosed {
    Request(Box<Diagnosis>),
    Response(Box<ResponseDiagnosis>),
}

impl Diagnosed {
    pub fn exit_code(&self) -> u8 {
        match self {
            Diagnosed::Request(d) => d.exit_code(),
            Diagnosed::Response(r) => r.exit_code(),
        }
    }
}

/// Diagnoses whatever was given: an authorization request (a URL, a query, a HAR) as
/// `diagnose` does, or else a token or error response, or Google's error page URL.
pub fn diagnose_any(input: &Input, options: &Options, registry: &Registry) -> Result<Diagnosed, DiagnoseError> {
    // an empty paste next to a token response is no paste (a script's empty stdin)
    let pasted = input
        .pasted
        .as_deref()
        .filter(|t| !t.trim().is_empty() || input.token_response.is_none());
    if input.har.is_none() {
        let profile = registry.load(&options.provider)?;
        let answer = |diagnosis| Ok(Diagnosed::Response(Box::new(diagnosis)));
        match pasted {
            None => {
                if let Some(response) = &input.token_response {
                    return answer(response::token_response(&profile, response.clone(), options.symptom));
                }
            }
            Some(text) if !text.trim().is_empty() => {
                if let Some(response) = pasted_response(&profile, text)? {
                    return answer(response::token_response(&profile, response, options.symptom));
                }
                let endpoints = ProviderEndpoints::for_profile(&profile);
                // Google's error page as text: its request details may hold the whole request
                let has_url = endpoints.mentioned_in(text);
                if let Some(page) = AuthError::from_page_text(text).filter(|_| !has_url && endpoints.is_published()) {
                    if let Some(query) = page.request_query() {
                        let input = Input {
                            pasted: Some(query),
                            ..input.clone()
                        };
                        let diagnosis = diagnose_observed(&input, options, registry, Some(page))?;
                        return Ok(Diagnosed::Request(Box::new(diagnosis)));
                    }
                    return answer(response::error_page(&profile, page, options.symptom));
                }
                if let Some(page) = AuthRequest::error_page(text, &endpoints) {
                    return answer(response::error_page(&profile, page, options.symptom));
                }
            }
            Some(_) => {}
        }
    }
    let input = Input {
        pasted: pasted.map(str::to_string),
        ..input.clone()
    };
    diagnose(&input, options, registry).map(|d| Diagnosed::Request(Box::new(d)))
}

/// A token or error response pasted instead of a URL: JSON (after headers or a log line), or
/// an `invalid_grant` message without any URL (a client library's exception).
fn pasted_response(profile: &Profile, text: &str) -> Result<Option<TokenResponse>, DiagnoseError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let path = std::path::Path::new("the pasted text");
    let lower = trimmed.to_ascii_lowercase();
    if lower.contains("client_id=") || lower.contains("client_id%3d") {
        // an authorization request is in there (a JSON log line holding the URL, say): diagnose that
        return Ok(None);
    }
    let has_url = lower.contains("http://") || lower.contains("https://");
    if trimmed.starts_with('{') || trimmed.starts_with("HTTP/") {
        match TokenResponse::parse(path, trimmed) {
            Ok(response) => return Ok(Some(response)),
            // JSON that is no token response but holds a URL: look for the request in it
            Err(_) if has_url => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
    // a log or curl excerpt ending in the JSON response (the token URL in it is not a request)
    if trimmed.contains("{\"")
        && let Ok(response) = TokenResponse::parse(path, trimmed)
    {
        return Ok(Some(response));
    }
    if has_url {
        return Ok(None);
    }
    if lower.contains("invalid_grant") {
        // e.g. RefreshError('invalid_grant: Token has been expired or revoked.', {...})
        let description = [&profile.errors.refresh_invalid, &profile.errors.code_reused]
            .iter()
            .map(|spec| spec.description.as_str())
            .find(|d| !d.is_empty() && trimmed.contains(*d))
            .map(str::to_string);
        return Ok(Some(TokenResponse {
            error: Some("invalid_grant".into()),
            error_description: description,
            fields: vec!["error".into()],
            ..Default::default()
        }));
    }
    Ok(None)
}

/// Diagnoses the input with the model of `options.provider`.
pub fn diagnose(input: &Input, options: &Options, registry: &Registry) -> Result<Diagnosis, DiagnoseError> {
    diagnose_observed(input, options, registry, None)
}

/// `diagnose`, with the error page the request came from: what the page says outweighs what
/// the model must assume (a redirect_uri_mismatch there means the URI is not registered).
fn diagnose_observed(
    input: &Input,
    options: &Options,
    registry: &Registry,
    error_page: Option<AuthError>,
) -> Result<Diagnosis, DiagnoseError> {
    let profile = Arc::new(registry.load(&options.provider)?);
    let endpoints = ProviderEndpoints::for_profile(&profile);
    let har = input.har.as_ref().map(|(path, har)| (path, observe(har, &endpoints)));
    let mut request = match (&input.pasted, &har) {
        (Some(text), _) => AuthRequest::from_pasted(text, &endpoints)?,
        (None, Some((path, observation))) => match observation.chosen() {
            Some(flow) => flow.request.clone(),
            None => {
                return Err(InputError::NoAuthorization {
                    path: (*path).clone(),
                    provider: profile.id.clone(),
                    entries: observation.entries,
                    hint: format!(
                        "record the HAR from before the app opens {} (enable \"Preserve log\")",
                        endpoints.authorize_url
                    ),
                }
                .into());
            }
        },
        (None, None) => return Err(DiagnoseError::NothingToDiagnose),
    };
    if let Some(page) = &error_page {
        request.notes.push(InputNote::FromErrorPage {
            error: page.error.clone(),
            provider: profile.display_name().to_string(),
        });
    }
    let observed = Evidence {
        har: har.map(|(_, o)| o),
        token_response: input.token_response.clone(),
        error_page,
    };

    let client_kind = match options.client_kind {
        Some(kind) => kind,
        None => {
            let (kind, from) = infer_client_kind(&profile, &request);
            let client_type = super::render::label(kind);
            request.notes.push(InputNote::InferredClientType { client_type, from });
            kind
        }
    };
    let (status, status_from) = match options.status {
        Some(status) => (status, StatusFrom::Given),
        None => match testing_evidence(&profile, &observed) {
            Some(from) => {
                request.notes.push(InputNote::InferredStatus { from });
                (PublishingStatus::Testing, StatusFrom::Inferred)
            }
            None => (PublishingStatus::Production, StatusFrom::Assumed),
        },
    };
    let symptom = options
        .symptom
        .or_else(|| observed.token_response.as_ref().and_then(Symptom::of));
    let setup = ClientSetup {
        client_id: request.get("client_id").unwrap_or_default().to_string(),
        kind: client_kind,
        status,
        registered_redirect: registered_redirect(&request).filter(|_| {
            observed
                .error_page
                .as_ref()
                .is_none_or(|page| page.error != profile.errors.redirect_uri_mismatch.error)
        }),
    };
    let prediction = predict(&profile, &setup, &request.pairs(), Depth::Full);
    let mut explanation = explain(&profile, &setup, &request);
    let base = profile.extends.as_deref().and_then(|base| registry.load(base).ok());
    // where the legacy force value stopped forcing consent: the era this one is a difference from
    let not_forcing = (base.as_ref()).map_or("the provider's later endpoints".into(), |base| {
        format!("today's {}", base.endpoints.authorize)
    });
    if explanation.force.is_none() {
        // the legacy force parameter of the nearest profile up the `extends:` chain that has
        // one, which this one ignores (oidc and a provider written as a difference from it, for
        // Google's approval_prompt); loading refuses cycles, so the walk ends
        let mut ancestors = std::iter::successors(base, |p| p.extends.as_deref().and_then(|id| registry.load(id).ok()));
        let legacy = ancestors.find_map(|p| p.authorize.legacy_force);
        explanation.force = legacy.map(|legacy| (legacy.parameter, legacy.value));
    }
    let fix = fix::find(&profile, &setup, &request, &prediction, &explanation);
    // an unknown publishing status and a refresh that fails: what the request gets in Testing
    let if_testing =
        (status_from == StatusFrom::Assumed && symptom.is_some_and(Symptom::is_invalid_grant)).then(|| {
            let testing = ClientSetup {
                status: PublishingStatus::Testing,
                registered_redirect: (fix.offline().registered_redirect.clone()).or(setup.registered_redirect.clone()),
                ..setup.clone()
            };
            let request = fix.offline().request.as_ref().unwrap_or(&request);
            predict(&profile, &testing, &request.pairs(), Depth::Grants)
        });
    let mut findings = evaluate(&Facts {
        profile: &profile,
        endpoints: &endpoints,
        request: &request,
        client_kind,
        status,
        prediction: &prediction,
        explanation: &explanation,
        not_forcing: &not_forcing,
        fix: &fix,
        observed: &observed,
        symptom,
        status_from,
        if_testing: if_testing.as_ref(),
    });
    let mut happened = None;
    if let Some(har) = &observed.har {
        let chosen = har.chosen_index().filter(|_| input.pasted.is_none());
        let seen = observe::compare(&profile, registry, &setup, har, chosen);
        happened = seen.outcome;
        if happened.is_some_and(observe::Outcome::by_user) {
            // the user ended the flow: the request's findings still hold, but caused nothing here
            for finding in &mut findings {
                finding.cause = false;
            }
        }
        findings.extend(seen.findings);
        // what the HAR shows comes before what the model infers, among causes as among the rest
        findings.sort_by_key(|f| {
            (
                !f.symptom,
                !f.cause,
                !observe::CODES.contains(&f.code),
                f.severity,
                f.code,
            )
        });
    }
    Ok(Diagnosis {
        provider: profile.id.clone(),
        profile,
        request,
        client_kind,
        status,
        setup,
        prediction,
        findings,
        fix,
        observed,
        symptom,
        status_from,
        happened,
    })
}

/// Installed for out-of-band, loopback-IP and custom-scheme redirects; web otherwise (the
/// provider's own special redirect values come from its JavaScript libraries: web).
fn infer_client_kind(profile: &Profile, request: &AuthRequest) -> (ClientKind, String) {
    let redirect = request.get("redirect_uri").unwrap_or_default();
    if profile.authorize.is_special_redirect(redirect) {
        return (
            ClientKind::Web,
            "the redirect_uri of the provider's JavaScript sign-in library".into(),
        );
    }
    if profile.authorize.is_oob(redirect) {
        return (ClientKind::Installed, "the out-of-band redirect_uri".into());
    }
    match url::Url::parse(redirect) {
        Ok(url) if !matches!(url.scheme(), "http" | "https") => {
            (ClientKind::Installed, "the custom-scheme redirect_uri".into())
        }
        Ok(url) if url.host_str().is_some_and(|h| is_loopback(h) && h != "localhost") => {
            (ClientKind::Installed, "the loopback-IP redirect_uri".into())
        }
        _ => (ClientKind::Web, "the redirect_uri".into()),
    }
}

/// A token response whose refresh_token_expires_in is the Testing-status lifetime.
fn testing_evidence(profile: &Profile, observed: &Evidence) -> Option<String> {
    let testing = profile.refresh_token.testing_expiry_seconds?;
    if observed
        .token_response
        .as_ref()
        .is_some_and(|r| r.refresh_token_expires_in == Some(testing))
    {
        return Some(format!("refresh_token_expires_in: {testing} in the token response"));
    }
    let har = observed.har.as_ref()?;
    har.flows.iter().filter_map(|f| f.exchange.as_ref()).find_map(|call| {
        call.response
            .as_ref()
            .filter(|r| r.refresh_token_expires_in == Some(testing))
            .map(|_| format!("refresh_token_expires_in: {testing} in HAR entry #{}", call.entry))
    })
}

/// The redirect URI the developer registered, as far as the request tells: decoded once if it
/// was encoded twice, else as sent. One that today's registration rules refuse is registered
/// too: the URL cannot tell whether it was registered before the rule (see `redirect`).
fn registered_redirect(request: &AuthRequest) -> Option<String> {
    let redirect = request.get("redirect_uri").filter(|r| !r.is_empty())?;
    let double = request.noted(|n| matches!(n, InputNote::DoubleEncoded { name } if name == "redirect_uri"));
    if double {
        return Some(
            percent_encoding::percent_decode_str(redirect)
                .decode_utf8_lossy()
                .into_owned(),
        );
    }
    Some(redirect.to_string())
}
