//! What people paste that is not an authorization request: a token endpoint response (a
//! refresh answered without refresh_token, an `invalid_grant`), or the URL of Google's error
//! page. No grant can be predicted from these; the answer says what they mean in the
//! provider's terms (its error catalogue and lifetime rules) and what to paste for a fix.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::catalogue::Code;
use super::diagnosis::Symptom;
use super::findings::{Finding, days, invalid_grant_causes, rank, standalone};
use super::input::{REDACTED, SECRET_PARAMS, TokenResponse};
pub use crate::provider::AuthError;
use crate::provider::{ErrorSpec, Profile};

impl AuthError {
    /// Google's error page copied as text: `Error 400: invalid_request` (or the older `Error:
    /// invalid_request`), the description on the next line, and the request details, either
    /// `Request details: name=value name=value` (today's page) or one `name=value` per line
    /// after `Request Details` (the page before about 2020).
    pub fn from_page_text(text: &str) -> Option<Self> {
        let (error, status, after) = error_heading(text)?;
        let rest = &text[after..];
        // the description may follow the code on the same line ("Error 400: invalid_request Missing …")
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let same_line = rest[..line_end].trim();
        let is_description = |l: &&str| {
            let lower = l.to_ascii_lowercase();
            !l.is_empty()
                && !lower.starts_with("request details")
                && !lower.starts_with("access blocked")
                && !lower.contains("that’s an error")
                && !lower.contains("that's an error")
                && !lower.starts_with("if you are a developer")
        };
        // the description follows the heading, or (today's page, copied top down) precedes it
        let description = Some(same_line)
            .filter(|l| !l.is_empty())
            .or_else(|| rest[line_end..].lines().map(str::trim).find(|l| !l.is_empty()))
            .filter(is_description)
            .or_else(|| {
                text[..after]
                    .lines()
                    .map(str::trim)
                    .find(is_description)
                    .filter(|l| !l.starts_with("Error"))
            })
            .unwrap_or_default()
            .to_string();
        let lower = text.to_ascii_lowercase();
        let details = match lower.find("request details") {
            Some(at) => {
                let mut details = Vec::new();
                for token in text[at + "request details".len()..].split_whitespace() {
                    match token.split_once('=') {
                        Some((name, value))
                            if !name.is_empty()
                                && name.chars().all(|c| c.is_ascii_alphanumeric() || "_.".contains(c)) =>
                        {
                            details.push((name.to_string(), value.to_string()));
                        }
                        _ if details.is_empty() => continue,
                        _ => break,
                    }
                }
                details
            }
            None => Vec::new(),
        };
        Some(Self {
            error,
            description,
            status,
            details,
            developer_message: None,
        })
    }

    /// The request rebuilt from the page's details, when they hold one (the older page listed
    /// every parameter); parameters Google's own pages add are left out.
    pub fn request_query(&self) -> Option<String> {
        let has = |n: &str| self.details.iter().any(|(k, _)| k == n);
        if !has("client_id") || !(has("response_type") || has("redirect_uri") || has("scope")) {
            return None;
        }
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.details {
            if name != "flowName" {
                query.append_pair(name, value);
            }
        }
        Some(query.finish())
    }
}

/// `Error 400: code` or `Error: code` in text: the code, the status and where the code ends.
fn error_heading(text: &str) -> Option<(String, Option<u64>, usize)> {
    static HEADING: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"Error\s*([0-9]*)\s*:\s*([a-z_]*)").ok());
    let heading = HEADING
        .as_ref()?
        .captures_iter(text)
        .find(|c| c[2].len() >= 5 && c[2].contains('_'))?;
    let code = heading.get(2)?;
    Some((code.as_str().to_string(), heading[1].parse().ok(), code.end()))
}

/// What was pasted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Observation {
    /// A token endpoint response (a pasted one, or `--token-response` without a URL).
    TokenResponse { response: TokenResponse },
    /// The URL of Google's error page.
    ErrorPage { page: AuthError },
}

/// The answer for a response or an error page: findings only, no prediction.
#[derive(Debug, Clone)]
pub struct ResponseDiagnosis {
    pub provider: String,
    /// The provider in a sentence (the profile's `wording.name`).
    pub provider_name: String,
    pub observation: Observation,
    pub symptom: Option<Symptom>,
    pub findings: Vec<Finding>,
    /// What to paste to get a verified fixed URL.
    pub next_step: String,
}

impl ResponseDiagnosis {
    /// 1 when a finding explains a failure, 0 when the response is fine as it is.
    pub fn exit_code(&self) -> u8 {
        if self.findings.iter().any(|f| f.cause) {
            crate::exit::DRIFT
        } else {
            crate::exit::OK
        }
    }
}

/// The profile's errors with the finding each one is explained by.
fn authorize_errors(profile: &Profile) -> Vec<(&ErrorSpec, &str, Code)> {
    let e = &profile.errors;
    let mut errors = vec![
        (&e.conflict_params, "", Code::ApprovalPromptConflict),
        (&e.invalid_prompt, "", Code::PromptInvalid),
        (&e.prompt_none_combined, "", Code::PromptNoneCombined),
        (&e.oob_blocked, "", Code::RedirectOob),
        (&e.redirect_uri_mismatch, "", Code::RedirectUriInvalid),
        (&e.missing_response_type, "", Code::MissingParameter),
        (&e.missing_param, "", Code::MissingParameter),
        (&e.missing_code_challenge, "", Code::PkceMethodWithoutChallenge),
    ];
    // the legacy force parameter (authorize.legacy_force) comes first, as it always has
    if let Some(legacy) = &profile.authorize.legacy_force {
        errors.push((&e.invalid_value, legacy.parameter.as_str(), Code::ApprovalPromptInvalid));
    }
    errors.push((&e.invalid_value, "access_type", Code::AccessTypeInvalid));
    errors.push((&e.invalid_value, "code_challenge_method", Code::PkceMethodInvalid));
    if let Some(spec) = &e.invalid_scope {
        errors.push((spec, "", Code::OfflineAccessScopeGoogle));
    }
    errors
}

/// The token endpoint errors of the profile, named for a reader.
fn token_errors(profile: &Profile) -> Vec<(&ErrorSpec, &'static str)> {
    let e = &profile.errors;
    vec![
        (&e.refresh_invalid, "a refresh token that expired or was revoked"),
        (&e.code_reused, "an authorization code used a second time"),
        (&e.code_expired, "an expired authorization code"),
        (&e.code_wrong_client, "a code issued to another client"),
        (&e.malformed_code, "a malformed code"),
        (&e.missing_code_verifier, "a PKCE code without code_verifier"),
        (&e.invalid_code_verifier, "a wrong code_verifier"),
        (&e.verifier_not_needed, "a code_verifier for a request without PKCE"),
        (
            &e.token_redirect_mismatch,
            "a redirect_uri other than the authorization request's",
        ),
        (&e.wrong_client_secret, "a wrong client secret"),
        (&e.token_unknown_client, "an unknown client"),
        (&e.refresh_wrong_client, "a refresh token of another client"),
        (&e.unsupported_grant_type, "an unknown grant_type"),
    ]
}

/// Whether `text` is what `template` gives for some `{param}`/`{value}` (text may go on after
/// it: Google's pages add a sentence on what to do).
fn matches_template(template: &str, param: &str, text: &str) -> bool {
    let template = template.replace("{param}", param).replace("{redirect_uri}", "{value}");
    let mut pieces = template.split("{value}");
    let Some(first) = pieces.next() else { return false };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for piece in pieces {
        let Some(at) = rest.find(piece) else { return false };
        rest = &rest[at + piece.len()..];
    }
    true
}

/// Explains a token endpoint response.
pub fn token_response(profile: &Profile, response: TokenResponse, symptom: Option<Symptom>) -> ResponseDiagnosis {
    let symptom = symptom.or_else(|| Symptom::of(&response));
    let provider = profile.id.clone();
    let mut findings = Vec::new();
    let refresh = response.answered_grant.as_deref() == Some("refresh_token");
    let exchange = response.answered_grant.as_deref() == Some("authorization_code");
    let mut next_step = "nothing: the response is as expected".to_string();
    if let Some(error) = &response.error {
        let description = response.error_description.clone().unwrap_or_default();
        let known: Vec<&str> = token_errors(profile)
            .into_iter()
            .filter(|(spec, _)| spec.error == *error && matches_template(&spec.description, "", &description))
            .map(|(_, label)| label)
            .collect();
        // a description that names exactly one code-exchange error ("Malformed auth code.")
        // identifies a code exchange; otherwise an invalid_grant is taken as a failed refresh, the
        // common report (Google also answers a dead refresh token with a bare "Bad Request"), and
        // the code-exchange readings of the same text are named too
        let names_one_exchange_error = known.len() == 1 && !known[0].contains("refresh token");
        let refresh_failed = refresh || (!exchange && !names_one_exchange_error);
        if error == "invalid_grant" && refresh_failed {
            let symptom = symptom.filter(|s| s.is_invalid_grant() || *s == Symptom::RefreshTokenRevoked);
            let mut message = invalid_grant_causes(profile, symptom.unwrap_or(Symptom::InvalidGrant));
            let exchange_readings: Vec<&str> = known
                .iter()
                .copied()
                .filter(|label| !label.contains("refresh token"))
                .collect();
            if !refresh && !exchange_readings.is_empty() {
                message.push_str(&format!(
                    "; if it answered a code exchange instead, the model gives \"{description}\" for {}",
                    exchange_readings.join(", or ")
                ));
            }
            findings.push(standalone(profile, Code::InvalidGrantCauses, message, None, true, true));
            next_step =
                "to rank the causes for your request, run diagnose with its authorization URL and --symptom".into();
        } else {
            let what = if known.is_empty() {
                "the model has no such error; it is not one of the provider's documented or observed answers"
                    .to_string()
            } else {
                format!("the model answers this for {}", known.join(", or "))
            };
            findings.push(standalone(
                profile,
                Code::TokenError,
                format!("the token endpoint answered {error}: \"{description}\"; {what}"),
                None,
                true,
                symptom.is_some(),
            ));
            next_step = "paste the token request (grant_type and the parameters, without secrets) or run the flow against `oauth-drift serve` to see which step differs".into();
        }
    } else if response.access_token && !response.refresh_token {
        let rotates = profile.refresh_token.rotation;
        if refresh && !rotates {
            findings.push(standalone(
                profile,
                Code::ExpectsRotation,
                format!(
                    "this response answers a refresh (grant_type=refresh_token): `{provider}` does not rotate refresh tokens, so no refresh_token in it is normal; keep the stored one"
                ),
                None,
                false,
                false,
            ));
        } else if refresh {
            findings.push(standalone(
                profile,
                Code::ExpectsRotation,
                format!(
                    "this response answers a refresh, and `{provider}` rotates refresh tokens: it should carry the new one; the stored token may be spent"
                ),
                Some("Store the refresh_token of every refresh response; the old one stops working.".into()),
                true,
                symptom.is_some(),
            ));
        } else {
            if !exchange && !rotates {
                findings.push(standalone(
                profile,
                    Code::ExpectsRotation,
                    format!(
                        "if this response answers a refresh (grant_type=refresh_token), no refresh_token is normal: `{provider}` does not rotate them; keep the stored one"
                    ),
                    None,
                    false,
                    false,
                ));
            }
            findings.push(standalone(
                profile,
                Code::NoRefreshTokenExplained,
                "if this response answers a code exchange, the authorization request that produced the code decides whether a refresh_token comes back (offline access, a consent screen); the response alone cannot say which".into(),
                Some("Run diagnose with the authorization URL and this file: `oauth-drift diagnose URL --token-response FILE`.".into()),
                true,
                symptom == Some(Symptom::NoRefreshToken),
            ));
            next_step = "the authorization URL: `oauth-drift diagnose URL --token-response FILE`".into();
        }
    } else if let (Some(seconds), Some(testing)) = (
        response.refresh_token_expires_in,
        profile.refresh_token.testing_expiry_seconds,
    ) && seconds == testing
    {
        findings.push(standalone(
                profile,
            Code::TestingExpiry,
            format!(
                "refresh_token_expires_in: {seconds} is the Testing-status lifetime: this refresh token stops working {} days after consent",
                days(seconds)
            ),
            None,
            true,
            symptom.is_some_and(Symptom::is_invalid_grant),
        ));
        next_step = "publish the app (In production) and authorize again".into();
    }
    rank(&mut findings);
    ResponseDiagnosis {
        provider,
        provider_name: profile.display_name().to_string(),
        observation: Observation::TokenResponse { response },
        symptom,
        findings,
        next_step,
    }
}

/// Explains Google's error page.
pub fn error_page(profile: &Profile, page: AuthError, symptom: Option<Symptom>) -> ResponseDiagnosis {
    let details: Vec<String> = page
        .details
        .iter()
        .map(|(k, v)| {
            let v = if SECRET_PARAMS.contains(&k.as_str()) {
                REDACTED
            } else {
                v
            };
            format!("{k}={v}")
        })
        .collect();
    let status = page.status.map(|s| format!("{s} ")).unwrap_or_default();
    let mut message = format!(
        "{}'s error page says: Error {status}{}: \"{}\"",
        profile.display_name(),
        page.error,
        page.description
    );
    if !details.is_empty() {
        message.push_str(&format!(" (request details: {})", details.join(", ")));
    }
    if let Some(developer) = &page.developer_message {
        message.push_str(&format!("; to the developer: \"{developer}\""));
    }
    let mut findings = vec![standalone(
        profile,
        Code::ErrorPage,
        message,
        None,
        true,
        symptom.is_some(),
    )];
    for (spec, param, code) in authorize_errors(profile) {
        let texts = [
            page.description.as_str(),
            page.developer_message.as_deref().unwrap_or_default(),
        ];
        let param_ok =
            param.is_empty() || page.details.iter().any(|(k, _)| k == param) || page.description.contains(param);
        if spec.error == page.error
            && param_ok
            && texts.iter().any(|t| matches_template(&spec.description, param, t))
            && !findings.iter().any(|f| f.code == code)
        {
            let entry = super::catalogue::entry_for(profile, code);
            findings.push(standalone(
                profile,
                code,
                format!("the model gives this error for: {}", entry.title),
                None,
                true,
                false,
            ));
        }
    }
    // a page about one of the provider's special redirect values (storagerelay for a native client)
    let lower = page.description.to_ascii_lowercase();
    if profile.authorize.special_redirect_uris.iter().any(|special| {
        let name = special.trim_end_matches("://").to_ascii_lowercase();
        !name.is_empty() && lower.contains(&name)
    }) {
        findings.push(standalone(
            profile,
            Code::RedirectGoogleJs,
            format!(
                "the error names a special redirect value: {}",
                super::catalogue::entry_for(profile, Code::RedirectGoogleJs).title
            ),
            Some(
                "These values work only for a web client: create a Web application OAuth client and use its client_id."
                    .into(),
            ),
            true,
            false,
        ));
    }
    // ranked, but the finding that names the same error explains the page better than the page itself
    findings.sort_by_key(|f| (f.code == Code::ErrorPage, !f.symptom, !f.cause, f.severity, f.code));
    ResponseDiagnosis {
        provider: profile.id.clone(),
        provider_name: profile.display_name().to_string(),
        observation: Observation::ErrorPage { page },
        symptom,
        findings,
        next_step: format!(
            "the authorization URL that led to this page (the app's log, or the first request to {} in the browser's Network panel with \"Preserve log\"), for a verified fixed URL",
            url::Url::parse(&profile.issuer)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    #[test]
    fn an_error_page_from_a_public_report_is_decoded() {
        // AlistGo/alist #3259 (2023), the OOB block; the Chinese user-facing text is field 2
        let page = AuthError::decode("Cg9pbnZhbGlkX3JlcXVlc3QS3gEK5oKo5peg5rOV55m75b2V5q2k5bqU55So77yM5Zug5Li65a6D5LiN56ym5ZCIIEdvb2dsZSDkuLrkv53pmpzlupTnlKjlronlhajogIzliLblrprnmoQgT0F1dGggMi4wIOaUv-etlueahOinhOWumuOAggoK5oKo5Y-v5Lul6YCa55-l5bqU55So5byA5Y-R6ICF77yM6K6p5YW25LqG6Kej6K-l5bqU55So5LiN56ym5ZCI5LiA6aG55oiW5aSa6aG5IEdvb2dsZSDpqozor4Hop4TliJnjgIIKICAaM2h0dHBzOi8vc3VwcG9ydC5nb29nbGUuY29tL2FjY291bnRzL2Fuc3dlci8xMjM3OTM4NCCQAyopCgxyZWRpcmVjdF91cmkSGXVybjppZXRmOndnOm9hdXRoOjIuMDpvb2IyowIIARLNAVRoZSBvdXQtb2YtYmFuZCAoT09CKSBmbG93IGhhcyBiZWVuIGJsb2NrZWQgaW4gb3JkZXIgdG8ga2VlcCB1c2VycyBzZWN1cmUuIEZvbGxvdyB0aGUgT3V0LW9mLUJhbmQgKE9PQikgZmxvdyBtaWdyYXRpb24gZ3VpZGUgbGlua2VkIGluIHRoZSBkZXZlbG9wZXIgZG9jcyBiZWxvdyB0byBtaWdyYXRlIHlvdXIgYXBwIHRvIGFuIGFsdGVybmF0aXZlIG1ldGhvZC4aT2h0dHBzOi8vZGV2ZWxvcGVycy5nb29nbGUuY29tL2lkZW50aXR5L3Byb3RvY29scy9vYXV0aDIvcmVzb3VyY2VzL29vYi1taWdyYXRpb24").unwrap();
        assert_eq!(page.error, "invalid_request");
        assert_eq!(page.status, Some(400));
        assert_eq!(
            page.details,
            [("redirect_uri".to_string(), "urn:ietf:wg:oauth:2.0:oob".to_string())]
        );
        assert!(
            page.developer_message
                .unwrap()
                .starts_with("The out-of-band (OOB) flow has been blocked")
        );
        let profile = Registry::builtin().load("google").unwrap();
        let codes: Vec<Code> = error_page(&profile, AuthError::decode("Cg9pbnZhbGlkX3JlcXVlc3QS3gEK5oKo5peg5rOV55m75b2V5q2k5bqU55So77yM5Zug5Li65a6D5LiN56ym5ZCIIEdvb2dsZSDkuLrkv53pmpzlupTnlKjlronlhajogIzliLblrprnmoQgT0F1dGggMi4wIOaUv-etlueahOinhOWumuOAggoK5oKo5Y-v5Lul6YCa55-l5bqU55So5byA5Y-R6ICF77yM6K6p5YW25LqG6Kej6K-l5bqU55So5LiN56ym5ZCI5LiA6aG55oiW5aSa6aG5IEdvb2dsZSDpqozor4Hop4TliJnjgIIKICAaM2h0dHBzOi8vc3VwcG9ydC5nb29nbGUuY29tL2FjY291bnRzL2Fuc3dlci8xMjM3OTM4NCCQAyopCgxyZWRpcmVjdF91cmkSGXVybjppZXRmOndnOm9hdXRoOjIuMDpvb2IyowIIARLNAVRoZSBvdXQtb2YtYmFuZCAoT09CKSBmbG93IGhhcyBiZWVuIGJsb2NrZWQgaW4gb3JkZXIgdG8ga2VlcCB1c2VycyBzZWN1cmUuIEZvbGxvdyB0aGUgT3V0LW9mLUJhbmQgKE9PQikgZmxvdyBtaWdyYXRpb24gZ3VpZGUgbGlua2VkIGluIHRoZSBkZXZlbG9wZXIgZG9jcyBiZWxvdyB0byBtaWdyYXRlIHlvdXIgYXBwIHRvIGFuIGFsdGVybmF0aXZlIG1ldGhvZC4aT2h0dHBzOi8vZGV2ZWxvcGVycy5nb29nbGUuY29tL2lkZW50aXR5L3Byb3RvY29scy9vYXV0aDIvcmVzb3VyY2VzL29vYi1taWdyYXRpb24").unwrap(), None)
            .findings
            .iter()
            .map(|f| f.code)
            .collect();
        assert!(
            codes.contains(&Code::ErrorPage) && codes.contains(&Code::RedirectOob),
            "{codes:?}"
        );
    }

    #[test]
    fn error_page_text_old_and_new_is_read() {
        // oauth-io/sdk-php #19 (2015), the page before about 2020
        let old = AuthError::from_page_text("1. That’s an error.\n\nError: invalid_request\n\nMissing required parameter: scope\n\nRequest Details\nresponse_type=code\naccess_type=online\nredirect_uri=https://oauth.io/auth\nstate=1UGF0\nclient_id=553071262209-x.apps.googleusercontent.com\n\nThat’s all we know.").unwrap();
        assert_eq!(old.error, "invalid_request");
        assert_eq!(old.description, "Missing required parameter: scope");
        assert_eq!(old.details.len(), 5);
        assert!(
            old.request_query()
                .unwrap()
                .starts_with("response_type=code&access_type=online&redirect_uri=https%3A%2F%2Foauth.io%2Fauth")
        );
        // simonw/google-drive-to-sqlite #41 (2023), today's page
        let new = AuthError::from_page_text("### Error 400: invalid_request\nThe out-of-band (OOB) flow has been blocked in order to keep users secure.\n\nRequest details: redirect_uri=urn:ietf:wg:oauth:2.0:oob flowName=GeneralOAuthFlow\n").unwrap();
        assert_eq!((new.error.as_str(), new.status), ("invalid_request", Some(400)));
        assert_eq!(
            new.details[0],
            ("redirect_uri".to_string(), "urn:ietf:wg:oauth:2.0:oob".to_string())
        );
        assert_eq!(new.request_query(), None);
    }

    #[test]
    fn garbage_is_not_an_error_page() {
        assert_eq!(AuthError::decode("not base64 at all!"), None);
        assert_eq!(AuthError::decode("AAAA"), None);
        assert_eq!(AuthError::decode("/////w"), None);
    }

    #[test]
    fn templates_match_with_their_placeholders_filled() {
        assert!(matches_template(
            "Invalid parameter value for {param}: '{value}' is not valid",
            "approval_prompt",
            "Invalid parameter value for approval_prompt: 'auto' is not valid"
        ));
        assert!(!matches_template(
            "Invalid parameter value for {param}: '{value}' is not valid",
            "access_type",
            "Invalid parameter value for approval_prompt: 'auto' is not valid"
        ));
        assert!(matches_template("Bad Request", "", "Bad Request"));
        assert!(!matches_template(
            "Bad Request",
            "",
            "Token has been expired or revoked."
        ));
    }
}
