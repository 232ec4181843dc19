//! The discovery probe: the fields of an OpenID provider's discovery document that matter for
//! refresh-token behaviour, and whether the model's profile still agrees with them.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::normalise::{endpoint_path, normalise_ports};
use crate::provider::{OfflineRequest, Profile};
use crate::transcript::DiscoveryFacts;

/// Endpoint fields, as the discovery document names them.
const ENDPOINT_FIELDS: &[&str] = &[
    "authorization_endpoint",
    "token_endpoint",
    "revocation_endpoint",
    "userinfo_endpoint",
    "device_authorization_endpoint",
    "end_session_endpoint",
    "jwks_uri",
];
/// List fields that decide what an authorization request may ask for.
const LIST_FIELDS: &[&str] = &[
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "code_challenge_methods_supported",
    "prompt_values_supported",
    "token_endpoint_auth_methods_supported",
];

// the facts are a transcript section (`transcript::DiscoveryFacts`); reading them is the probe's
impl DiscoveryFacts {
    pub fn from_document(document: &Map<String, Value>) -> Self {
        let text = |v: &Value| v.as_str().map(normalise_ports);
        let endpoints = ENDPOINT_FIELDS
            .iter()
            .filter_map(|f| document.get(*f).and_then(text).map(|v| (f.to_string(), v)))
            .collect();
        let lists = LIST_FIELDS
            .iter()
            .filter_map(|f| {
                let items = document.get(*f)?.as_array()?;
                let mut values: Vec<String> = items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
                values.sort();
                Some((f.to_string(), values))
            })
            .collect();
        let known: BTreeSet<&str> = ENDPOINT_FIELDS
            .iter()
            .chain(LIST_FIELDS)
            .copied()
            .chain(["issuer"])
            .collect();
        let mut other_fields: Vec<String> = document
            .keys()
            .filter(|k| !known.contains(k.as_str()))
            .cloned()
            .collect();
        other_fields.sort();
        Self {
            issuer: document.get("issuer").and_then(text),
            endpoints,
            lists,
            other_fields,
        }
    }

    /// Where this document disagrees with what `profile` models, as `(model, live)` lines.
    ///
    /// Only what the model decides on is compared: endpoint paths, PKCE methods, whether
    /// `offline_access` is how offline access is requested, that every response type the
    /// model accepts is advertised, prompt values (when advertised), and the two grant types
    /// the model implements. Fields the model does not model (device flow, claims) are drift
    /// material for the snapshot, not for the model.
    pub fn disagreements(&self, profile: &Profile) -> Vec<(String, String)> {
        let mut found = Vec::new();
        let e = &profile.endpoints;
        for (field, path, required) in [
            ("authorization_endpoint", &e.authorize, true),
            ("token_endpoint", &e.token, true),
            ("revocation_endpoint", &e.revoke, false),
            ("userinfo_endpoint", &e.userinfo, false),
        ] {
            match self.endpoints.get(field).map(|url| endpoint_path(url)) {
                Some(live) if live != *path => {
                    found.push((format!("{field} path: {path}"), format!("{field} path: {live}")))
                }
                None if required => found.push((format!("{field} path: {path}"), format!("{field}: absent"))),
                _ => {}
            }
        }
        let set = |items: &[String]| items.iter().cloned().collect::<BTreeSet<String>>();
        let show = |items: &BTreeSet<String>| format!("[{}]", items.iter().cloned().collect::<Vec<_>>().join(", "));
        // a list the document holds as a set of the profile's values, compared as one
        let same_set = |found: &mut Vec<(String, String)>, field: &str, model: &[String]| {
            if let Some(live) = self.lists.get(field) {
                let (model, live) = (set(model), set(live));
                if model != live {
                    found.push((
                        format!("{field}: {}", show(&model)),
                        format!("{field}: {}", show(&live)),
                    ));
                }
            }
        };
        same_set(
            &mut found,
            "code_challenge_methods_supported",
            &profile.authorize.code_challenge_methods,
        );
        if let Some(scopes) = self.lists.get("scopes_supported") {
            let model = profile.refresh_token.requires == OfflineRequest::OfflineAccessScope;
            let live = scopes.iter().any(|s| s == "offline_access");
            if model != live {
                let word = |b: bool| if b { "advertised" } else { "not advertised" };
                found.push((
                    format!("offline_access scope: {}", word(model)),
                    format!("offline_access scope: {}", word(live)),
                ));
            }
        }
        if let Some(live) = self.lists.get("response_types_supported") {
            let live: BTreeSet<BTreeSet<&str>> = live.iter().map(|t| t.split_whitespace().collect()).collect();
            let missing: BTreeSet<String> = profile
                .authorize
                .response_types
                .iter()
                .filter(|t| !live.contains(&t.split_whitespace().collect::<BTreeSet<_>>()))
                .cloned()
                .collect();
            if !missing.is_empty() {
                found.push((
                    format!("response types accepted: {}", show(&missing)),
                    "response types accepted: not advertised".into(),
                ));
            }
        }
        same_set(&mut found, "prompt_values_supported", &profile.authorize.prompt_values);
        if let Some(live) = self.lists.get("grant_types_supported") {
            for grant in ["authorization_code", "refresh_token"] {
                if !live.iter().any(|g| g == grant) {
                    found.push((
                        format!("grant type {grant}: supported"),
                        format!("grant type {grant}: not advertised"),
                    ));
                }
            }
        }
        found
    }
}

/// The disagreements as a diff the report shows (`-` model, `+` live).
pub fn disagreement_diff(found: &[(String, String)]) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let mut diff = String::from("--- model prediction\n+++ live\n");
    for (model, live) in found {
        diff.push_str(&format!("-{model}\n+{live}\n"));
    }
    Some(diff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    /// Google's discovery document (google-oauth.md §4, the coreos/go-oidc fixture).
    const GOOGLE: &str = r#"{
 "issuer": "https://accounts.google.com",
 "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
 "device_authorization_endpoint": "https://oauth2.googleapis.com/device/code",
 "token_endpoint": "https://oauth2.googleapis.com/token",
 "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
 "revocation_endpoint": "https://oauth2.googleapis.com/revoke",
 "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
 "response_types_supported": ["code","token","id_token","code token","code id_token","token id_token","code token id_token","none"],
 "subject_types_supported": ["public"],
 "id_token_signing_alg_values_supported": ["RS256"],
 "scopes_supported": ["openid","email","profile"],
 "token_endpoint_auth_methods_supported": ["client_secret_post","client_secret_basic"],
 "claims_supported": ["aud","email","email_verified","exp","family_name","given_name","iat","iss","locale","name","picture","sub"],
 "code_challenge_methods_supported": ["plain","S256"],
 "grant_types_supported": ["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:device_code","urn:ietf:params:oauth:grant-type:jwt-bearer"]
}"#;

    fn facts(text: &str) -> DiscoveryFacts {
        let value: Value = serde_json::from_str(text).unwrap();
        DiscoveryFacts::from_document(value.as_object().unwrap())
    }

    #[test]
    fn the_google_profile_agrees_with_googles_published_discovery_document() {
        let google = Registry::builtin().load("google").unwrap();
        let facts = facts(GOOGLE);
        assert_eq!(facts.disagreements(&google), Vec::<(String, String)>::new());
        assert_eq!(
            facts.other_fields,
            [
                "claims_supported",
                "id_token_signing_alg_values_supported",
                "subject_types_supported"
            ]
        );
        assert_eq!(facts.lists["code_challenge_methods_supported"], ["S256", "plain"]);
    }

    #[test]
    fn the_model_publishes_googles_document_key_for_key_and_no_key_google_leaves_out() {
        let google = std::sync::Arc::new(Registry::builtin().load("google").unwrap());
        let engine = crate::provider::Engine::new(google, []);
        let served = engine.discovery("https://accounts.google.com");
        let served = served.as_object().unwrap();
        let published: Value = serde_json::from_str(GOOGLE).unwrap();
        let published = published.as_object().unwrap();
        let keys = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(served), keys(published), "same keys, in Google's order");
        for (key, value) in published {
            match key.as_str() {
                // the model implements no jwt-bearer grant (an UNCONFIRMED-table entry), and
                // newer copies of Google's document dropped `locale` (google-oauth.md §4)
                "grant_types_supported" | "claims_supported" => {}
                // Google's hosts; the model serves every endpoint under one base URL
                "authorization_endpoint"
                | "device_authorization_endpoint"
                | "token_endpoint"
                | "userinfo_endpoint"
                | "revocation_endpoint"
                | "jwks_uri" => {}
                _ => assert_eq!(&served[key], value, "{key}"),
            }
        }
        // Google sends iss in authorization responses but does not announce it (openiddict #2428)
        for absent in [
            "response_modes_supported",
            "authorization_response_iss_parameter_supported",
        ] {
            assert!(!served.contains_key(absent), "{absent}");
        }
        assert!(Registry::builtin().load("google").unwrap().authorize.iss_in_response);
        assert!(
            !Registry::builtin()
                .load("google@2015")
                .unwrap()
                .authorize
                .iss_in_response
        );
    }

    #[test]
    fn the_2015_profile_is_stale_against_todays_endpoint_and_oidc_differs_on_offline_access() {
        let old = Registry::builtin().load("google@2015").unwrap();
        let found = facts(GOOGLE).disagreements(&old);
        let paths: Vec<(&str, &str)> = found.iter().map(|(m, l)| (m.as_str(), l.as_str())).collect();
        assert_eq!(
            paths,
            [
                (
                    "authorization_endpoint path: /o/oauth2/auth",
                    "authorization_endpoint path: /o/oauth2/v2/auth"
                ),
                ("token_endpoint path: /o/oauth2/token", "token_endpoint path: /token"),
                (
                    "revocation_endpoint path: /o/oauth2/revoke",
                    "revocation_endpoint path: /revoke"
                ),
            ]
        );
        let oidc = Registry::builtin().load("oidc").unwrap();
        let found = facts(GOOGLE).disagreements(&oidc);
        assert!(
            found
                .iter()
                .any(|(m, l)| m == "offline_access scope: advertised" && l == "offline_access scope: not advertised"),
            "{found:?}"
        );
        assert!(
            disagreement_diff(&found)
                .unwrap()
                .contains("\n-offline_access scope: advertised\n+offline_access scope: not advertised\n")
        );
    }
}
