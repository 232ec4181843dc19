//! One diagnosis: read the input, set up the client the model registers, ask the model,
//! search the fix, explain. Nothing here prints; `render` turns a `Diagnosis` into text.

use std::path::PathBuf;
use std::sync::Arc;

use super::endpoints::{ProviderEndpoints, is_loopback};
use super::error::{DiagnoseError, InputError};
use super::findings::{Facts, Finding, evaluate};
use super::fix::{self, Fix};
use super::input::{AuthRequest, Har, HarObservation, InputNote, TokenResponse, observe};
use super::predict::{ClientSetup, Depth, Prediction, predict};
use super::redirect::registration_problem;
use crate::provider::{ClientKind, Profile, PublishingStatus, Registry, is_oob};

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

/// The context flags: provider and era, client type, publishing status (`None`: infer).
#[derive(Debug, Clone)]
pub struct Options {
    pub provider: String,
    pub client_kind: Option<ClientKind>,
    pub status: Option<PublishingStatus>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            provider: "google".into(),
            client_kind: None,
            status: None,
        }
    }
}

/// What the user observed besides the request.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub har: Option<HarObservation>,
    pub token_response: Option<TokenResponse>,
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
    pub observed: Observed,
}

impl Diagnosis {
    /// A refresh_token on every grant of the diagnosed request.
    pub fn every_grant(&self) -> bool {
        self.prediction.every_grant()
    }

    /// 0 when a refresh_token comes back on every grant, 1 when not.
    pub fn exit_code(&self) -> u8 {
        if self.every_grant() {
            crate::exit::OK
        } else {
            crate::exit::DRIFT
        }
    }
}

/// Diagnoses the input with the model of `options.provider`.
pub fn diagnose(input: &Input, options: &Options, registry: &Registry) -> Result<Diagnosis, DiagnoseError> {
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
    let observed = Observed {
        har: har.map(|(_, o)| o),
        token_response: input.token_response.clone(),
    };

    let client_kind = match options.client_kind {
        Some(kind) => kind,
        None => {
            let (kind, from) = infer_client_kind(&request);
            let client_type = if kind == ClientKind::Installed {
                "installed"
            } else {
                "web"
            }
            .to_string();
            request.notes.push(InputNote::InferredClientType { client_type, from });
            kind
        }
    };
    let status = match options.status {
        Some(status) => status,
        None => match testing_evidence(&profile, &observed) {
            Some(from) => {
                request.notes.push(InputNote::InferredStatus { from });
                PublishingStatus::Testing
            }
            None => PublishingStatus::Production,
        },
    };
    let setup = ClientSetup {
        client_id: request.get("client_id").unwrap_or_default().to_string(),
        kind: client_kind,
        status,
        registered_redirect: registered_redirect(&request),
    };
    let prediction = predict(&profile, &setup, &request.pairs(), Depth::Full);
    let fix = fix::find(&profile, &setup, &request, &prediction);
    let findings = evaluate(&Facts {
        profile: &profile,
        endpoints: &endpoints,
        request: &request,
        client_kind,
        status,
        prediction: &prediction,
        fix: &fix,
        observed: &observed,
    });
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
    })
}

/// Installed for out-of-band, loopback-IP and custom-scheme redirects; web otherwise.
fn infer_client_kind(request: &AuthRequest) -> (ClientKind, String) {
    let redirect = request.get("redirect_uri").unwrap_or_default();
    if is_oob(redirect) {
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
fn testing_evidence(profile: &Profile, observed: &Observed) -> Option<String> {
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
/// was encoded twice, none if Google would refuse to register it.
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
    registration_problem(redirect).is_none().then(|| redirect.to_string())
}
