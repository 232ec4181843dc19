//! One interactive grant that keeps its refresh token: how the canary gets the refresh token
//! the `refresh` probe uses, with the same client, without the token ever being printed.

use std::sync::Arc;

use serde_json::Value;

use super::consent::{BrowserFront, CallbackListener, Notify, Opener};
use super::credentials::{Credentials, Need};
use super::secret::Secret;
use super::target::{Target, TargetError, TargetSpec};
use super::transport::{Body, Request, RetryPolicy};
use crate::provider::{OfflineRequest, Registry, random_token, s256_challenge};
use crate::runner::FrontChannel;
use crate::target::{LiveProvider, Transport};

/// Why no refresh token could be obtained.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Profile(#[from] crate::provider::ProfileError),
    #[error("{0}")]
    Credentials(String),
    #[error("the authorization did not complete: {0}")]
    Authorize(String),
    #[error("the code exchange failed: {0}")]
    Exchange(String),
}

/// What to ask for.
pub struct LoginOptions {
    pub provider: String,
    pub target: TargetSpec,
    pub policy: RetryPolicy,
    pub scope: String,
    pub opener: Opener,
    pub timeout: std::time::Duration,
    pub callback_port: u16,
    pub notify: Notify,
}

/// Runs one grant that forces the consent screen (so a refresh token comes back) and returns
/// the refresh token and the granted scope. What the provider said (an error, the scope) passes
/// through the run's scrubber first: no credential it echoes reaches the caller's output.
pub async fn obtain_refresh_token(
    options: &LoginOptions,
    credentials: &Credentials,
    registry: &Registry,
) -> Result<(Secret, String), LoginError> {
    let http = LiveProvider::new(options.policy);
    let scrubber = http.scrubber().clone();
    if let Some(secret) = &credentials.client_secret {
        scrubber.add(secret.expose(), "<client_secret>");
    }
    match grant(options, credentials, registry, http).await {
        Ok((token, scope)) => {
            scrubber.add(token.expose(), "<refresh_token>");
            Ok((token, scrubber.scrub(&scope)))
        }
        Err(LoginError::Authorize(text)) => Err(LoginError::Authorize(scrubber.scrub(&text))),
        Err(LoginError::Exchange(text)) => Err(LoginError::Exchange(scrubber.scrub(&text))),
        Err(other) => Err(other),
    }
}

async fn grant(
    options: &LoginOptions,
    credentials: &Credentials,
    registry: &Registry,
    http: LiveProvider,
) -> Result<(Secret, String), LoginError> {
    let profile = Arc::new(registry.load(&options.provider)?);
    let mut needs = vec![Need::ClientId];
    if profile.tokens.client_secret_required {
        needs.push(Need::ClientSecret);
    }
    if let Some(missing) = credentials.missing(&needs) {
        return Err(LoginError::Credentials(missing));
    }
    let mut target = Target::resolve(&options.target, Arc::clone(&profile))?;
    if target.discover_endpoints
        && let Some(url) = target.discovery.clone()
    {
        let document = http
            .exchange(&Request::get(url), Body::Json)
            .await
            .map_err(|e| LoginError::Authorize(format!("discovery: {e}")))?;
        target.accept_discovery(&document.json.unwrap_or_default(), &options.target)?;
    }
    let (Some(authorize), Some(token_url)) = (target.authorize.clone(), target.token.clone()) else {
        return Err(LoginError::Authorize(
            "the authorization and token endpoints are unknown: give --issuer or their URLs".into(),
        ));
    };
    let listener = CallbackListener::bind(options.callback_port)
        .await
        .map_err(|e| LoginError::Authorize(format!("could not listen on 127.0.0.1: {e}")))?;
    let redirect_uri = listener.uri().to_string();
    let client_id = credentials.client_id.clone().unwrap_or_default();
    let verifier = random_token(32);
    let mut scope = options.scope.clone();
    let mut query = vec![
        ("client_id".to_string(), client_id.clone()),
        ("redirect_uri".to_string(), redirect_uri.clone()),
        ("response_type".to_string(), "code".to_string()),
        ("state".to_string(), random_token(16)),
        ("code_challenge".to_string(), s256_challenge(&verifier)),
        ("code_challenge_method".to_string(), "S256".to_string()),
        ("prompt".to_string(), "consent".to_string()),
    ];
    match profile.refresh_token.requires {
        OfflineRequest::AccessTypeOffline => query.push(("access_type".into(), "offline".into())),
        OfflineRequest::OfflineAccessScope if !scope.split_whitespace().any(|s| s == "offline_access") => {
            scope.push_str(" offline_access")
        }
        OfflineRequest::OfflineAccessScope => {}
    }
    query.push(("scope".into(), scope));
    let mut url = authorize;
    url.query_pairs_mut().extend_pairs(&query);
    let front = BrowserFront::new(
        http.clone(),
        listener,
        options.opener.clone(),
        options.timeout,
        Arc::clone(&options.notify),
    )
    .reading_errors_as(profile.error_page.clone());
    let answer = front
        .authorize(url, "you", "grant")
        .await
        .map_err(|e| LoginError::Authorize(e.to_string()))?;
    drop(front);
    let location = answer.location.ok_or_else(|| {
        LoginError::Authorize(format!(
            "the provider refused the request: {} {}",
            answer.page_error.unwrap_or_default(),
            answer.page_description.unwrap_or_default()
        ))
    })?;
    url::Url::parse(&location).map_err(|e| LoginError::Authorize(e.to_string()))?;
    let callback = crate::target::Redirect::parse(&location);
    let get = |name: &str| callback.get(name).map(str::to_string);
    if let Some(error) = get("error") {
        return Err(LoginError::Authorize(
            format!("{error} {}", get("error_description").unwrap_or_default())
                .trim_end()
                .to_string(),
        ));
    }
    let code = get("code").ok_or_else(|| LoginError::Authorize("the callback carried no code".into()))?;
    let mut form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".to_string(), code),
        ("redirect_uri".to_string(), redirect_uri),
        ("code_verifier".to_string(), verifier),
        ("client_id".to_string(), client_id),
    ];
    if let Some(secret) = &credentials.client_secret {
        form.push(("client_secret".into(), secret.expose().to_string()));
    }
    let response = http
        .exchange(&Request::post_form(token_url, form), Body::Json)
        .await
        .map_err(|e| LoginError::Exchange(e.to_string()))?;
    let body = response.json.unwrap_or_default();
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
    match text("refresh_token") {
        Some(token) => Ok((Secret::new(token), text("scope").unwrap_or_default())),
        None => Err(LoginError::Exchange(match text("error") {
            Some(error) => format!(
                "{} {error}: {}",
                response.status,
                text("error_description").unwrap_or_default()
            ),
            None => format!("{}: no refresh_token came back", response.status),
        })),
    }
}
