//! A live provider as a target: where live probes go (a provider's published endpoints, the
//! profile's issuer and `endpoints.origins`; an OpenID provider's discovery document; explicit
//! overrides, for `serve` or a staging provider; or a mix), and the transport that reaches it
//! ([`LiveProvider`]).

use std::sync::Arc;

use serde_json::{Map, Value};
use url::Url;

use super::transport::{HttpClient, RetryPolicy};
use super::{Body, Exchange, Request, Transport};
use crate::live::Scrubber;
use crate::provider::{Profile, RevokeClientAuth};
use crate::scenario::slugify;

/// The transport to a live provider (`probe`, `login`; probing a `serve` process is probing a
/// live target): a transport fault, 5xx or 429 is retried with backoff within the policy's
/// deadline, then a typed [`Inconclusive`](super::Inconclusive); a request that must not reach
/// the provider twice ([`Request::not_repeatable`]) is retried only after a fault it cannot have
/// seen. Every secret a request sends is learnt by its [`Scrubber`]; clones share it.
#[derive(Clone)]
pub struct LiveProvider {
    client: HttpClient,
}

impl LiveProvider {
    pub fn new(policy: RetryPolicy) -> Self {
        Self {
            client: HttpClient::live(policy),
        }
    }

    /// The credentials this transport has sent, and what the run added.
    pub fn scrubber(&self) -> &Scrubber {
        self.client.scrubber()
    }
}

impl Transport for LiveProvider {
    fn exchange<'a>(&'a self, request: &'a Request, body: Body) -> Exchange<'a> {
        Box::pin(self.client.send(request, body))
    }
}

/// Endpoint URLs given on the command line; each wins over discovery and defaults.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub authorize: Option<Url>,
    pub token: Option<Url>,
    pub revoke: Option<Url>,
    pub userinfo: Option<Url>,
    pub discovery: Option<Url>,
}

/// What the user asked to probe.
#[derive(Debug, Clone)]
pub struct TargetSpec {
    /// `--issuer`: an OpenID provider found through its discovery document.
    pub issuer: Option<Url>,
    pub overrides: Overrides,
    /// `--target`: the name live snapshots are kept under.
    pub name: Option<String>,
}

/// The live provider, resolved: its endpoints and the profile its answers are compared with.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub profile: Arc<Profile>,
    pub discovery: Option<Url>,
    pub authorize: Option<Url>,
    pub token: Option<Url>,
    pub revoke: Option<Url>,
    pub userinfo: Option<Url>,
    /// Whether endpoints come from the discovery document (`--issuer`).
    pub discover_endpoints: bool,
    /// The discovery document's `revocation_endpoint_auth_methods_supported` (RFC 8414 §2:
    /// `client_secret_basic` when the field is absent), when a document was read.
    pub revoke_auth_methods: Option<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(
        "no live endpoints for provider `{0}`: give --issuer URL, or endpoint URLs (--authorize-url, --token-url, …)"
    )]
    NoEndpoints(String),
    #[error("the endpoint {0} is not a valid URL")]
    BadUrl(String),
    /// An endpoint credentials must not go to (live::trust).
    #[error("{0}")]
    Untrusted(String),
}

impl Target {
    /// Resolves everything that does not need the network.
    pub fn resolve(spec: &TargetSpec, profile: Arc<Profile>) -> Result<Self, TargetError> {
        let join = |origin: &str, path: &str| {
            Url::parse(&format!("{}{path}", origin.trim_end_matches('/')))
                .map_err(|_| TargetError::BadUrl(format!("{origin}{path}")))
        };
        let e = &profile.endpoints;
        // a profile of a provider at real addresses (Google) is probed there unless --issuer says otherwise
        let published = e.published && spec.issuer.is_none();
        let mut target = Target {
            name: String::new(),
            profile: Arc::clone(&profile),
            discovery: None,
            authorize: None,
            token: None,
            revoke: None,
            userinfo: None,
            discover_endpoints: false,
            revoke_auth_methods: None,
        };
        if published {
            let at = |endpoint: &str, path: &str| join(e.origin(endpoint, &profile.issuer), path);
            target.discovery = Some(at("discovery", &e.discovery)?);
            target.authorize = Some(at("authorize", &e.authorize)?);
            target.token = Some(at("token", &e.token)?);
            target.revoke = Some(at("revoke", &e.revoke)?);
            target.userinfo = Some(at("userinfo", &e.userinfo)?);
            let issuer = Url::parse(&profile.issuer).map_err(|_| TargetError::BadUrl(profile.issuer.clone()))?;
            crate::live::check_endpoints(&target, &issuer, &spec.overrides)?;
        }
        if let Some(issuer) = &spec.issuer {
            // OpenID Connect Discovery §4: the issuer with /.well-known/openid-configuration appended
            target.discovery = Some(join(issuer.as_str(), &e.discovery)?);
            target.discover_endpoints = true;
        }
        let o = &spec.overrides;
        for (slot, value) in [
            (&mut target.discovery, &o.discovery),
            (&mut target.authorize, &o.authorize),
            (&mut target.token, &o.token),
            (&mut target.revoke, &o.revoke),
            (&mut target.userinfo, &o.userinfo),
        ] {
            if let Some(url) = value {
                *slot = Some(url.clone());
            }
        }
        if target.endpoints().iter().all(|u| u.is_none()) {
            return Err(TargetError::NoEndpoints(profile.id.clone()));
        }
        target.name = match &spec.name {
            Some(name) => slugify(name),
            None if published && spec.overrides.authorize.is_none() && spec.overrides.token.is_none() => {
                slugify(&profile.name)
            }
            None => {
                let host = [&spec.issuer, &o.discovery, &o.authorize, &o.token]
                    .into_iter()
                    .flatten()
                    .find_map(|u| u.host_str().map(str::to_string));
                slugify(&host.unwrap_or_else(|| profile.id.clone()))
            }
        };
        Ok(target)
    }

    /// Fills the endpoints the discovery document names, except those given explicitly.
    pub fn apply_discovery(&mut self, document: &Map<String, Value>, overrides: &Overrides) {
        let url = |field: &str| {
            document
                .get(field)
                .and_then(Value::as_str)
                .and_then(|s| Url::parse(s).ok())
        };
        for (slot, field, explicit) in [
            (
                &mut self.authorize,
                "authorization_endpoint",
                overrides.authorize.is_some(),
            ),
            (&mut self.token, "token_endpoint", overrides.token.is_some()),
            (&mut self.revoke, "revocation_endpoint", overrides.revoke.is_some()),
            (&mut self.userinfo, "userinfo_endpoint", overrides.userinfo.is_some()),
        ] {
            if !explicit && let Some(found) = url(field) {
                *slot = Some(found);
            }
        }
        let methods = document
            .get("revocation_endpoint_auth_methods_supported")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_else(|| vec!["client_secret_basic".to_string()]);
        self.revoke_auth_methods = Some(methods);
        if self.profile.authorize.drop_unsupported_scopes
            && let Some(list) = document.get("scopes_supported").and_then(Value::as_array)
        {
            let supported = list.iter().filter_map(Value::as_str).map(str::to_string).collect();
            Arc::make_mut(&mut self.profile).authorize.scopes_supported = Some(supported);
        }
    }

    /// Every endpoint of the target, found or not.
    fn endpoints(&self) -> [&Option<Url>; 5] {
        [
            &self.discovery,
            &self.authorize,
            &self.token,
            &self.revoke,
            &self.userinfo,
        ]
    }

    /// The origins of the target's endpoints (`https://accounts.google.com`, …), sorted.
    pub fn origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .endpoints()
            .into_iter()
            .flatten()
            .map(|url| url.origin().ascii_serialization())
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// The profile with its endpoint paths replaced by the target's full URLs, so the scenario
    /// runner (which joins a base and a path) reaches endpoints on different hosts with an
    /// empty base. A missing endpoint stays a path that no request can reach.
    pub fn runner_profile(&self) -> Profile {
        let mut profile = (*self.profile).clone();
        let e = &mut profile.endpoints;
        for (path, url) in [
            (&mut e.authorize, &self.authorize),
            (&mut e.token, &self.token),
            (&mut e.revoke, &self.revoke),
            (&mut e.userinfo, &self.userinfo),
            (&mut e.discovery, &self.discovery),
        ] {
            *path = match url {
                Some(url) => url.to_string(),
                None => format!("unknown-endpoint:{path}"),
            };
        }
        // a provider that wants client authentication gets it the way its document offers
        if e.revoke_client_auth != RevokeClientAuth::None
            && let Some(methods) = &self.revoke_auth_methods
        {
            let offers = |method: &str| methods.iter().any(|m| m == method);
            if offers("client_secret_basic") {
                e.revoke_client_auth = RevokeClientAuth::Basic;
            } else if offers("client_secret_post") {
                e.revoke_client_auth = RevokeClientAuth::Post;
            }
        }
        profile
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    fn profile(id: &str) -> Arc<Profile> {
        Arc::new(Registry::builtin().load(id).unwrap())
    }

    fn spec() -> TargetSpec {
        TargetSpec {
            issuer: None,
            overrides: Overrides::default(),
            name: None,
        }
    }

    #[test]
    fn google_profiles_use_the_published_endpoints() {
        let target = Target::resolve(&spec(), profile("google")).unwrap();
        assert_eq!(target.name, "google");
        assert_eq!(
            target.authorize.unwrap().as_str(),
            "https://accounts.google.com/o/oauth2/v2/auth"
        );
        assert_eq!(target.token.unwrap().as_str(), "https://oauth2.googleapis.com/token");
        assert_eq!(target.revoke.unwrap().as_str(), "https://oauth2.googleapis.com/revoke");
        assert_eq!(
            target.userinfo.unwrap().as_str(),
            "https://openidconnect.googleapis.com/v1/userinfo"
        );
        assert_eq!(
            target.discovery.unwrap().as_str(),
            "https://accounts.google.com/.well-known/openid-configuration"
        );
        let old = Target::resolve(&spec(), profile("google@2015")).unwrap();
        assert_eq!(
            old.authorize.unwrap().as_str(),
            "https://accounts.google.com/o/oauth2/auth"
        );
    }

    #[test]
    fn an_issuer_is_discovered_and_overrides_win() {
        let mut spec = spec();
        spec.issuer = Some(Url::parse("http://127.0.0.1:4444").unwrap());
        spec.overrides.token = Some(Url::parse("http://127.0.0.1:5555/t").unwrap());
        let mut target = Target::resolve(&spec, profile("oidc")).unwrap();
        assert_eq!(target.name, "127-0-0-1");
        assert_eq!(
            target.discovery.as_ref().unwrap().as_str(),
            "http://127.0.0.1:4444/.well-known/openid-configuration"
        );
        let document = serde_json::json!({"authorization_endpoint": "http://127.0.0.1:4444/auth", "token_endpoint": "http://127.0.0.1:4444/token"});
        target.apply_discovery(document.as_object().unwrap(), &spec.overrides);
        assert_eq!(
            target.authorize.as_ref().unwrap().as_str(),
            "http://127.0.0.1:4444/auth"
        );
        assert_eq!(target.token.as_ref().unwrap().as_str(), "http://127.0.0.1:5555/t");
        assert!(
            target
                .runner_profile()
                .endpoints
                .revoke
                .starts_with("unknown-endpoint:")
        );
    }

    #[test]
    fn a_generic_profile_without_endpoints_is_an_input_error() {
        let err = Target::resolve(&spec(), profile("oidc")).unwrap_err();
        assert!(
            err.to_string().starts_with("no live endpoints for provider `oidc`"),
            "{err}"
        );
    }
}
