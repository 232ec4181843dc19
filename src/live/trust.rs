//! Where a probe may send credentials: only to the provider it was pointed at. A discovery
//! document must name the issuer it was fetched for (OpenID Connect Discovery 1.0 §4.3), and an
//! endpoint the probe did not get from the user must be on the issuer's origin or on a host the
//! provider's profile lists as its own (`endpoints.hosts`), over https unless it is loopback.
//! Endpoints the user names (`--token-url`, …) are taken as given.

use serde_json::{Map, Value};
use url::{Host, Url};

use super::target::{Overrides, Target, TargetError, TargetSpec};

/// Whether `url` points at this machine (127.0.0.0/8, ::1, `localhost`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// An issuer as compared: the URL without a trailing `/` (`Url` adds one to a bare origin).
fn issuer_text(issuer: &str) -> &str {
    issuer.strip_suffix('/').unwrap_or(issuer)
}

/// The endpoint slots of a target: (what, the flag that names it explicitly, the URL, given
/// explicitly).
fn endpoints<'a>(
    target: &'a Target,
    overrides: &Overrides,
) -> [(&'static str, &'static str, Option<&'a Url>, bool); 4] {
    [
        (
            "authorization",
            "--authorize-url",
            target.authorize.as_ref(),
            overrides.authorize.is_some(),
        ),
        ("token", "--token-url", target.token.as_ref(), overrides.token.is_some()),
        (
            "revocation",
            "--revoke-url",
            target.revoke.as_ref(),
            overrides.revoke.is_some(),
        ),
        (
            "userinfo",
            "--userinfo-url",
            target.userinfo.as_ref(),
            overrides.userinfo.is_some(),
        ),
    ]
}

/// Checks that each endpoint of `target` that the user did not name is one credentials may go
/// to: https (or loopback), on `issuer`'s origin or on a host of the profile's `endpoints.hosts`.
pub fn check_endpoints(target: &Target, issuer: &Url, overrides: &Overrides) -> Result<(), TargetError> {
    let own = issuer.origin().ascii_serialization();
    let hosts = &target.profile.endpoints.hosts;
    for (what, flag, url, explicit) in endpoints(target, overrides) {
        let Some(url) = url else { continue };
        if explicit {
            continue;
        }
        let origin = url.origin().ascii_serialization();
        if url.scheme() != "https" && !is_loopback(url) {
            return Err(TargetError::Untrusted(format!(
                "the {what} endpoint {origin} is plain {} to a host that is not loopback; credentials go only over https (name it with {flag} to use it anyway)",
                url.scheme()
            )));
        }
        if origin != own && !hosts.iter().any(|h| issuer_text(h) == origin) {
            let listed = if hosts.is_empty() {
                "it lists none".to_string()
            } else {
                hosts.join(", ")
            };
            return Err(TargetError::Untrusted(format!(
                "the {what} endpoint is on {origin}, which is neither the issuer's origin ({own}) nor a host the profile `{}` lists as its own in endpoints.hosts ({listed}); no credential is sent there (name it with {flag} if it is right)",
                target.profile.id
            )));
        }
    }
    Ok(())
}

impl Target {
    /// Takes the endpoints of a discovery document fetched for `spec`'s issuer: the document's
    /// `issuer` must be that issuer (OpenID Connect Discovery 1.0 §4.3), and every endpoint it
    /// names must pass [`check_endpoints`].
    pub fn accept_discovery(&mut self, document: &Map<String, Value>, spec: &TargetSpec) -> Result<(), TargetError> {
        if let Some(issuer) = &spec.issuer {
            let named = document.get("issuer").and_then(Value::as_str);
            if named.map(issuer_text) != Some(issuer_text(issuer.as_str())) {
                return Err(TargetError::Untrusted(match named {
                    Some(named) => format!(
                        "the discovery document names the issuer {named:?}, not {:?} it was fetched for (OpenID Connect Discovery 1.0 §4.3 requires them to be identical); no credential is sent to its endpoints",
                        issuer_text(issuer.as_str())
                    ),
                    None => "the discovery document names no issuer (OpenID Connect Discovery 1.0 §4.3 requires it); no credential is sent to its endpoints".to_string(),
                }));
            }
        }
        self.apply_discovery(document, &spec.overrides);
        match &spec.issuer {
            Some(issuer) => check_endpoints(self, issuer, &spec.overrides),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::provider::Registry;

    fn spec(issuer: &str) -> TargetSpec {
        TargetSpec {
            issuer: Some(Url::parse(issuer).unwrap()),
            overrides: Overrides::default(),
            name: None,
        }
    }

    fn target(profile: &str, spec: &TargetSpec) -> Target {
        Target::resolve(spec, Arc::new(Registry::builtin().load(profile).unwrap())).unwrap()
    }

    fn document(value: serde_json::Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn google_s_published_endpoints_are_its_own() {
        let spec = TargetSpec {
            issuer: None,
            overrides: Overrides::default(),
            name: None,
        };
        let google = target("google", &spec);
        let issuer = Url::parse(&google.profile.issuer).unwrap();
        assert!(check_endpoints(&google, &issuer, &spec.overrides).is_ok());
        // Google's discovery document (2026): every endpoint it names is on a listed host
        let mut discovered = target("google", &spec);
        discovered.apply_discovery(
            &document(serde_json::json!({
                "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
                "token_endpoint": "https://oauth2.googleapis.com/token",
                "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
                "revocation_endpoint": "https://oauth2.googleapis.com/revoke",
            })),
            &spec.overrides,
        );
        assert!(check_endpoints(&discovered, &issuer, &spec.overrides).is_ok());
    }

    #[test]
    fn a_discovery_document_must_name_the_issuer_it_was_fetched_for() {
        let spec = spec("http://127.0.0.1:4444");
        let mut oidc = target("oidc", &spec);
        let wrong = document(
            serde_json::json!({"issuer": "https://accounts.google.com", "token_endpoint": "http://127.0.0.1:4444/token"}),
        );
        let err = oidc.accept_discovery(&wrong, &spec).unwrap_err().to_string();
        assert!(err.contains("§4.3"), "{err}");
        assert!(oidc.token.is_none(), "nothing was taken from it");
        let right = document(
            serde_json::json!({"issuer": "http://127.0.0.1:4444", "token_endpoint": "http://127.0.0.1:4444/token"}),
        );
        oidc.accept_discovery(&right, &spec).unwrap();
        assert_eq!(oidc.token.unwrap().as_str(), "http://127.0.0.1:4444/token");
    }

    #[test]
    fn endpoints_elsewhere_or_over_plain_http_are_refused_unless_named() {
        let spec = spec("http://127.0.0.1:4444");
        for (token, words) in [
            ("http://127.0.0.1:5555/token", "neither the issuer's origin"),
            ("https://evil.example/token", "neither the issuer's origin"),
            ("http://oauth2.googleapis.com/token", "plain http"),
        ] {
            let mut google = target("google", &spec);
            let doc = document(serde_json::json!({"issuer": "http://127.0.0.1:4444", "token_endpoint": token}));
            let err = google.accept_discovery(&doc, &spec).unwrap_err().to_string();
            assert!(err.contains(words) && err.contains("--token-url"), "{token}: {err}");
        }
        // a host the google profile lists as its own
        let mut google = target("google", &spec);
        let doc = document(
            serde_json::json!({"issuer": "http://127.0.0.1:4444", "token_endpoint": "https://oauth2.googleapis.com/token"}),
        );
        google.accept_discovery(&doc, &spec).unwrap();
        // ... which an OpenID Provider written as a difference from google does not inherit:
        // its client secret never goes to Google's token endpoint
        let mut oidc = target("oidc", &spec);
        let err = oidc.accept_discovery(&doc, &spec).unwrap_err().to_string();
        assert!(
            err.contains("neither the issuer's origin") && err.contains("it lists none"),
            "{err}"
        );
        // named by the user: taken as given
        let mut named = spec.clone();
        named.overrides.token = Some(Url::parse("http://127.0.0.1:5555/token").unwrap());
        let mut oidc = target("oidc", &named);
        let doc = document(serde_json::json!({"issuer": "http://127.0.0.1:4444"}));
        oidc.accept_discovery(&doc, &named).unwrap();
    }

    #[test]
    fn loopback_is_the_loopback_addresses_and_localhost() {
        for (url, loopback) in [
            ("http://127.0.0.1:1/", true),
            ("http://127.8.9.1/", true),
            ("http://[::1]:8/", true),
            ("http://LOCALHOST/", true),
            ("http://localhost.evil.example/", false),
            ("http://10.0.0.1/", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), loopback, "{url}");
        }
    }
}
