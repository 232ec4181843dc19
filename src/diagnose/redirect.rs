//! Google's rules for registering a redirect URI today (D2 "Redirect URI validation rules",
//! D3 custom schemes). Whether a URI *is* registered cannot be seen from a URL: a client may
//! have registered it before a rule existed (plain http was accepted for years), so breaking a
//! rule is a warning and the prediction registers the URI as sent. The provider's own special
//! values (`postmessage`, `storagerelay://…`) are not registered URIs and are not checked.

use crate::diagnose::endpoints::is_loopback;
use crate::provider::AuthorizeRules;

/// Why the provider would refuse to register `uri` today, if it would.
pub fn registration_problem(rules: &AuthorizeRules, uri: &str) -> Option<String> {
    if uri.is_empty() || rules.is_oob(uri) || rules.is_special_redirect(uri) {
        return None;
    }
    if uri.contains('*') {
        return Some("it contains a wildcard `*`".into());
    }
    if uri.contains("%00") || uri.to_ascii_uppercase().contains("%C0%80") {
        return Some("it contains an encoded NUL".into());
    }
    if uri.chars().any(|c| c.is_control()) {
        return Some("it contains a non-printable character".into());
    }
    let Ok(url) = url::Url::parse(uri) else {
        return Some("it is not an absolute URI".into());
    };
    if !matches!(url.scheme(), "http" | "https") {
        // D3: custom schemes are reverse-DNS names such as com.example.app
        return (!url.scheme().contains('.')).then(|| {
            format!(
                "the custom scheme `{}:` is not a reverse domain name (it must contain a period)",
                url.scheme()
            )
        });
    }
    let host = url.host_str().unwrap_or_default();
    let loopback = is_loopback(host);
    if url.scheme() == "http" && !loopback && rules.redirect_https_required {
        return Some("plain http is only allowed for localhost".into());
    }
    if matches!(url.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))) && !loopback {
        return Some("a raw IP address is only allowed for loopback".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("it contains userinfo (user@host)".into());
    }
    if url.fragment().is_some() {
        return Some("it contains a #fragment".into());
    }
    if uri.contains("/..") || uri.contains("\\..") {
        return Some("it contains path traversal (`/..`)".into());
    }
    rules
        .redirect_forbidden_hosts
        .iter()
        .find(|forbidden| host.ends_with(forbidden.as_str()))
        .map(|forbidden| format!("{forbidden} hosts are not allowed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    fn google() -> AuthorizeRules {
        Registry::builtin().load("google").unwrap().authorize
    }

    #[test]
    fn valid_redirects_pass() {
        for uri in [
            "https://app.example.com/oauth2/callback",
            "http://localhost:3000/auth/callback",
            "http://127.0.0.1:8765/",
            "http://[::1]:8080",
            "com.example.app:/oauth2redirect",
            "urn:ietf:wg:oauth:2.0:oob",
            "postmessage",
            "storagerelay://http/localhost:3000?id=auth81586",
        ] {
            assert_eq!(registration_problem(&google(), uri), None, "{uri}");
        }
    }

    #[test]
    fn invalid_redirects_say_why() {
        for (uri, why) in [
            ("http://app.example.com/cb", "plain http"),
            ("https://203.0.113.7/cb", "raw IP"),
            ("https://app.example.com/cb#x", "fragment"),
            ("https://user@app.example.com/cb", "userinfo"),
            ("https://app.example.com/a/../cb", "traversal"),
            ("https://*.example.com/cb", "wildcard"),
            ("myapp://callback", "reverse domain"),
        ] {
            let problem = registration_problem(&google(), uri).unwrap_or_default();
            assert!(problem.contains(why), "{uri}: {problem}");
        }
    }

    #[test]
    fn a_multi_byte_character_where_a_special_prefix_would_end_is_no_panic() {
        // found by the authorization_url fuzz target
        let uri = "https://app.ex\u{fffd}\u{fffd}ample.com/auth/google/callback";
        assert!(!google().is_special_redirect(uri));
        let _ = registration_problem(&google(), uri);
    }

    #[test]
    fn a_forbidden_host_is_the_profiles_own() {
        let uri = "https://x.googleusercontent.com/cb";
        assert_eq!(
            registration_problem(&google(), uri).as_deref(),
            Some("googleusercontent.com hosts are not allowed")
        );
        let oidc = Registry::builtin().load("oidc").unwrap().authorize;
        assert_eq!(registration_problem(&oidc, uri), None);
    }

    #[test]
    fn the_2015_era_registers_plain_http() {
        let old = Registry::builtin().load("google@2015").unwrap().authorize;
        assert_eq!(registration_problem(&old, "http://app.example.com/cb"), None);
    }
}
