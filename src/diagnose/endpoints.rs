//! Where a provider's endpoints live: which hosts and paths count as the provider's own, and
//! which of them are legacy spellings. The paths of today's endpoints come from the profile;
//! Google's hosts and legacy URLs are listed here (they are addresses, not behaviour).

use crate::provider::Profile;

const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// A legacy endpoint and its replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Legacy {
    pub host: &'static str,
    pub path: &'static str,
    pub kind: EndpointKind,
    pub replacement: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Authorize,
    Token,
    Revoke,
}

/// oauth2client v1.4.12 `__init__.py` and CHANGELOG v4.1.3 (#742); D2 endpoints.
const GOOGLE_LEGACY: &[Legacy] = &[
    Legacy {
        host: "accounts.google.com",
        path: "/o/oauth2/auth",
        kind: EndpointKind::Authorize,
        replacement: "https://accounts.google.com/o/oauth2/v2/auth",
    },
    Legacy {
        host: "accounts.google.com",
        path: "/o/oauth2/token",
        kind: EndpointKind::Token,
        replacement: "https://oauth2.googleapis.com/token",
    },
    Legacy {
        host: "www.googleapis.com",
        path: "/oauth2/v3/token",
        kind: EndpointKind::Token,
        replacement: "https://oauth2.googleapis.com/token",
    },
    Legacy {
        host: "www.googleapis.com",
        path: "/oauth2/v4/token",
        kind: EndpointKind::Token,
        replacement: "https://oauth2.googleapis.com/token",
    },
    Legacy {
        host: "accounts.google.com",
        path: "/o/oauth2/revoke",
        kind: EndpointKind::Revoke,
        replacement: "https://oauth2.googleapis.com/revoke",
    },
];

/// The hosts and paths of one provider profile.
#[derive(Debug, Clone)]
pub struct ProviderEndpoints {
    pub provider: String,
    /// The host of the issuer (`accounts.google.com`).
    pub issuer_host: String,
    /// `https://accounts.google.com` + the profile's authorization path.
    pub authorize_url: String,
    hosts: Vec<String>,
    /// A profile for any provider (its issuer is under the reserved `.example` name): every host is its own.
    any_host: bool,
    google: bool,
    authorize_path: String,
    token_path: String,
    revoke_path: String,
}

impl ProviderEndpoints {
    pub fn for_profile(profile: &Profile) -> Self {
        let issuer = url::Url::parse(&profile.issuer).ok();
        let issuer_host = issuer
            .as_ref()
            .and_then(|u| u.host_str())
            .unwrap_or_default()
            .to_string();
        let google = profile.issuer.trim_end_matches('/') == GOOGLE_ISSUER;
        let mut hosts = vec![issuer_host.clone()];
        if google {
            hosts.extend(["oauth2.googleapis.com", "www.googleapis.com"].map(String::from));
        }
        let any_host = issuer_host == "example" || issuer_host.ends_with(".example");
        Self {
            provider: profile.id.clone(),
            authorize_url: format!(
                "{}{}",
                profile.issuer.trim_end_matches('/'),
                profile.endpoints.authorize
            ),
            issuer_host,
            hosts,
            any_host,
            google,
            authorize_path: profile.endpoints.authorize.clone(),
            token_path: profile.endpoints.token.clone(),
            revoke_path: profile.endpoints.revoke.clone(),
        }
    }

    /// Whether `host` is one of the provider's hosts, or loopback (a model or `serve`).
    pub fn owns_host(&self, host: &str) -> bool {
        self.any_host || is_loopback(host) || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// The provider's hosts, for messages.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    pub fn is_google(&self) -> bool {
        self.google
    }

    /// Whether this profile stands for any provider (its paths are placeholders too).
    pub fn is_generic(&self) -> bool {
        self.any_host
    }

    /// What kind of provider endpoint `host` + `path` is, if any.
    pub fn classify(&self, host: &str, path: &str) -> Option<EndpointKind> {
        if !self.owns_host(host) {
            return None;
        }
        if path == self.authorize_path {
            return Some(EndpointKind::Authorize);
        }
        if path == self.token_path {
            return Some(EndpointKind::Token);
        }
        if path == self.revoke_path {
            return Some(EndpointKind::Revoke);
        }
        self.legacy(host, path).map(|l| l.kind)
    }

    /// The legacy endpoint at `host` + `path` (loopback hosts match by path: a model of Google).
    pub fn legacy(&self, host: &str, path: &str) -> Option<&'static Legacy> {
        if !self.google {
            return None;
        }
        let path = path.trim_end_matches('/');
        GOOGLE_LEGACY.iter().find(|l| {
            l.path == path && (l.host.eq_ignore_ascii_case(host) || is_loopback(host)) && !self.is_current(l.kind, path)
        })
    }

    /// Whether `path` is the profile's own path for this kind of endpoint (google@2015 uses /o/oauth2/auth).
    fn is_current(&self, kind: EndpointKind, path: &str) -> bool {
        match kind {
            EndpointKind::Authorize => path == self.authorize_path,
            EndpointKind::Token => path == self.token_path,
            EndpointKind::Revoke => path == self.revoke_path,
        }
    }

    /// Google's authorization paths in every era, plus the profile's own.
    pub fn authorize_paths(&self) -> Vec<&str> {
        let mut paths = vec![self.authorize_path.as_str()];
        if self.google {
            paths.extend(["/o/oauth2/v2/auth", "/o/oauth2/auth"]);
        }
        paths
    }
}

/// 127.0.0.1, [::1] and localhost.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host == "::1" || host.starts_with("127.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    fn google() -> ProviderEndpoints {
        ProviderEndpoints::for_profile(&Registry::builtin().load("google").unwrap())
    }

    #[test]
    fn google_owns_its_hosts_and_loopback_only() {
        let endpoints = google();
        assert!(endpoints.owns_host("accounts.google.com"));
        assert!(endpoints.owns_host("oauth2.googleapis.com"));
        assert!(endpoints.owns_host("127.0.0.1"));
        assert!(!endpoints.owns_host("login.microsoftonline.com"));
    }

    #[test]
    fn legacy_endpoints_are_legacy_only_against_a_newer_profile() {
        let now = google();
        assert_eq!(
            now.legacy("accounts.google.com", "/o/oauth2/auth").map(|l| l.kind),
            Some(EndpointKind::Authorize)
        );
        assert_eq!(
            now.classify("www.googleapis.com", "/oauth2/v4/token"),
            Some(EndpointKind::Token)
        );
        let old = ProviderEndpoints::for_profile(&Registry::builtin().load("google@2015").unwrap());
        assert_eq!(old.legacy("accounts.google.com", "/o/oauth2/auth"), None);
        assert_eq!(
            old.classify("accounts.google.com", "/o/oauth2/auth"),
            Some(EndpointKind::Authorize)
        );
    }

    #[test]
    fn the_generic_oidc_profile_owns_any_host() {
        let oidc = ProviderEndpoints::for_profile(&Registry::builtin().load("oidc").unwrap());
        assert!(oidc.owns_host("login.example.org"));
    }
}
