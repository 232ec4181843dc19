//! Where a provider's endpoints live: which hosts and paths count as the provider's own, and
//! which of them are legacy spellings. All of it comes from the profile: the issuer, today's
//! paths, `endpoints.hosts` and `endpoints.legacy`.

use crate::provider::{ErrorPageFormat, Profile, SignInPages};

/// A legacy endpoint and its replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Legacy {
    pub host: String,
    pub path: String,
    pub kind: EndpointKind,
    pub replacement: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Authorize,
    Token,
    Revoke,
}

/// The hosts and paths of one provider profile.
#[derive(Debug, Clone)]
pub struct ProviderEndpoints {
    pub provider: String,
    /// The provider's name in messages about its own pages (`wording.name`: "Google").
    pub display_name: String,
    /// The host of the issuer (`accounts.google.com`).
    pub issuer_host: String,
    /// The issuer + the profile's authorization path.
    pub authorize_url: String,
    hosts: Vec<String>,
    /// A profile for any provider (its issuer is under the reserved `.example` name): every host is its own.
    any_host: bool,
    legacy: Vec<Legacy>,
    /// Today's paths; whether the provider publishes them at real addresses
    /// (`endpoints.published`), so that its own sign-in and error pages can be recognised;
    /// those pages (`error_page`, `sign_in_page`).
    profile: Profile,
}

/// `name` with its indefinite article: "a Google", "an Okta".
pub fn with_article(name: &str) -> String {
    let vowel = name.chars().next().is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {name}", if vowel { "an" } else { "a" })
}

fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url).ok()?.host_str().map(str::to_string)
}

impl ProviderEndpoints {
    pub fn for_profile(profile: &Profile) -> Self {
        let issuer_host = host_of(&profile.issuer).unwrap_or_default();
        let e = &profile.endpoints;
        let legacy: Vec<Legacy> = e
            .legacy
            .iter()
            .filter_map(|l| {
                let url = url::Url::parse(&l.url).ok()?;
                let kind = match l.endpoint.as_str() {
                    "authorize" => EndpointKind::Authorize,
                    "token" => EndpointKind::Token,
                    "revoke" => EndpointKind::Revoke,
                    _ => return None,
                };
                Some(Legacy {
                    host: url.host_str()?.to_string(),
                    path: url.path().trim_end_matches('/').to_string(),
                    kind,
                    replacement: l.replacement.clone(),
                })
            })
            .collect();
        // the issuer's host first: it is the one messages name
        let mut hosts = vec![issuer_host.clone()];
        let others = e
            .hosts
            .iter()
            .filter_map(|h| host_of(h))
            .chain(legacy.iter().map(|l| l.host.clone()));
        for host in others {
            if !hosts.iter().any(|h| h.eq_ignore_ascii_case(&host)) {
                hosts.push(host);
            }
        }
        let any_host = issuer_host == "example" || issuer_host.ends_with(".example");
        Self {
            provider: profile.id.clone(),
            display_name: profile.display_name().to_string(),
            authorize_url: format!("{}{}", profile.issuer.trim_end_matches('/'), e.authorize),
            issuer_host,
            hosts,
            any_host,
            legacy,
            profile: profile.clone(),
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

    /// Whether the profile is a provider at real addresses (`endpoints.published`: Google),
    /// whose own sign-in and error pages diagnose can read.
    pub fn is_published(&self) -> bool {
        self.profile.endpoints.published
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
        [EndpointKind::Authorize, EndpointKind::Token, EndpointKind::Revoke]
            .into_iter()
            .find(|kind| self.is_current(*kind, path))
            .or_else(|| self.legacy(host, path).map(|l| l.kind))
    }

    /// The legacy endpoint at `host` + `path` (loopback hosts match by path: a model of the provider).
    pub fn legacy(&self, host: &str, path: &str) -> Option<&Legacy> {
        let path = path.trim_end_matches('/');
        self.legacy.iter().find(|l| {
            l.path == path && (l.host.eq_ignore_ascii_case(host) || is_loopback(host)) && !self.is_current(l.kind, path)
        })
    }

    /// Whether `path` is the profile's own path for this kind of endpoint (google@2015 uses /o/oauth2/auth).
    fn is_current(&self, kind: EndpointKind, path: &str) -> bool {
        match kind {
            EndpointKind::Authorize => path == self.profile.endpoints.authorize,
            EndpointKind::Token => path == self.profile.endpoints.token,
            EndpointKind::Revoke => path == self.profile.endpoints.revoke,
        }
    }

    /// The authorization path of the legacy era (`legacy`: the first legacy authorization URL's)
    /// or of today's (what replaced it); the profile's own path when it names no legacy one.
    pub fn authorize_path_of_era(&self, legacy: bool) -> &str {
        let first = self.legacy.iter().find(|l| l.kind == EndpointKind::Authorize);
        let path = match first {
            Some(l) if legacy => Some(l.path.as_str()),
            Some(l) => l.replacement_path(),
            None => None,
        };
        path.unwrap_or(&self.profile.endpoints.authorize)
    }

    /// Whether `text` names one of the provider's authorization paths or legacy endpoint paths.
    pub fn mentioned_in(&self, text: &str) -> bool {
        (self.authorize_paths().into_iter())
            .chain(self.legacy.iter().map(|l| l.path.as_str()))
            .any(|path| !path.is_empty() && text.contains(path))
    }

    /// The provider's sign-in pages, when `path` is one (and the provider is at real addresses).
    pub fn sign_in_page_at(&self, path: &str) -> Option<&SignInPages> {
        (self.profile.sign_in_page.as_ref()).filter(|pages| self.is_published() && pages.contains(path))
    }

    /// The provider's error page format, when `path` is its error page (and the provider is
    /// at real addresses, whose pages diagnose reads).
    pub fn error_page_at(&self, path: &str) -> Option<&ErrorPageFormat> {
        (self.profile.error_page.as_ref()).filter(|page| self.is_published() && path.starts_with(&page.path))
    }

    /// The provider's authorization paths in every era (the profile's own, its legacy ones and
    /// what replaced them).
    pub fn authorize_paths(&self) -> Vec<&str> {
        let mut paths = vec![self.profile.endpoints.authorize.as_str()];
        for legacy in self.legacy.iter().filter(|l| l.kind == EndpointKind::Authorize) {
            for path in legacy.replacement_path().into_iter().chain([legacy.path.as_str()]) {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
        paths
    }
}

impl Legacy {
    /// The path of the URL that replaced this one.
    fn replacement_path(&self) -> Option<&str> {
        (self.replacement.split_once("://")).and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
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
