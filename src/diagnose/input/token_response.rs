//! A token endpoint response (`--token-response FILE`, or a HAR entry's body): which fields
//! came back, never their secret values.

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::diagnose::error::{InputError, json_error};

/// What a token response says, without its token values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub refresh_token: bool,
    pub access_token: bool,
    pub id_token: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Every field name, sorted.
    pub fields: Vec<String>,
    /// The grant it answered (`refresh_token`, `authorization_code`), when the pasted text
    /// shows the request too (a curl or log excerpt with `grant_type=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_grant: Option<String>,
}

impl TokenResponse {
    /// Reads `--token-response FILE` (bytes that are not UTF-8 become U+FFFD, not an error).
    pub fn read(path: &Path) -> Result<Self, InputError> {
        Self::parse(path, &String::from_utf8_lossy(&super::read(path)?))
    }

    /// Parses a token response: JSON, optionally after an HTTP status line and headers.
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        let answered_grant = grant_type(text);
        let mut body = text.trim_start_matches('\u{feff}').trim();
        if !body.starts_with(['{', '[', '<']) && !body.starts_with("HTTP/") {
            // a log or curl excerpt: the response is the last JSON object in it
            if let Some(start) = body.rfind("\n{").map(|i| i + 1).or_else(|| body.find('{')) {
                body = body[start..].trim();
            }
        }
        if body.is_empty() {
            return Err(InputError::EmptyFile { path: path.to_owned() });
        }
        if body.starts_with("HTTP/") {
            // a response copied with its headers: the body follows the first blank line
            let split = body
                .find("\r\n\r\n")
                .map(|i| i + 4)
                .or_else(|| body.find("\n\n").map(|i| i + 2));
            body = split.map(|i| body[i..].trim()).unwrap_or("");
        }
        if body.starts_with('<') {
            return Err(InputError::Html {
                path: path.to_owned(),
                expected: "a token response (JSON)".into(),
                hint: "; an HTML page from the token endpoint usually means a wrong URL or method (405/404)".into(),
            });
        }
        let value: Value = serde_json::from_str(body).map_err(|e| json_error(path, &e))?;
        let Value::Object(map) = value else {
            return Err(InputError::NotTokenResponse {
                path: path.to_owned(),
                reason: "the JSON is not an object".into(),
            });
        };
        let mut response = Self::from_map(&map);
        response.answered_grant = answered_grant;
        if !response.access_token && !response.refresh_token && response.error.is_none() {
            return Err(InputError::NotTokenResponse {
                path: path.to_owned(),
                reason: "it has no access_token, refresh_token or error field".into(),
            });
        }
        Ok(response)
    }

    /// The shape of a JSON object from the token endpoint.
    pub fn from_map(map: &Map<String, Value>) -> Self {
        let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_string);
        let number = |name: &str| {
            map.get(name)
                .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
        };
        let present = |name: &str| map.get(name).is_some_and(|v| !v.is_null() && v.as_str() != Some(""));
        let secrets: Vec<String> = ["access_token", "refresh_token", "id_token"]
            .iter()
            .filter_map(|n| text(n))
            .collect();
        let mut fields: Vec<String> = map.keys().cloned().collect();
        fields.sort();
        Self {
            refresh_token: present("refresh_token"),
            access_token: present("access_token"),
            id_token: present("id_token"),
            expires_in: number("expires_in"),
            refresh_token_expires_in: number("refresh_token_expires_in"),
            scope: text("scope"),
            error: text("error"),
            error_description: text("error_description").map(|d| scrub(&d, &secrets)),
            fields,
            answered_grant: None,
        }
    }

    /// The same response with `secrets` (values from the request: a client secret, a code)
    /// removed from its error description, in case the provider echoed them.
    pub fn scrubbed(mut self, secrets: &[String]) -> Self {
        self.error_description = self.error_description.map(|d| scrub(&d, secrets));
        self
    }
}

/// The `grant_type` a pasted request shows (`grant_type=refresh_token`, `"grant_type": "…"`).
fn grant_type(text: &str) -> Option<String> {
    let at = text.find("grant_type")?;
    let rest = text[at + "grant_type".len()..].trim_start_matches(['"', '\'', ' ', ':', '=']);
    let value: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-' | '.'))
        .collect();
    ["refresh_token", "authorization_code"]
        .into_iter()
        .find(|g| value == *g)
        .map(str::to_string)
}

fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        out = out.replace(secret.as_str(), "[redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<TokenResponse, InputError> {
        TokenResponse::parse(Path::new("t.json"), text)
    }

    #[test]
    fn a_response_without_refresh_token_is_read_without_its_values() {
        let response =
            parse(r#"{"access_token":"ya29.secret","expires_in":3599,"scope":"email","token_type":"Bearer"}"#).unwrap();
        assert!(!response.refresh_token && response.access_token);
        assert_eq!(response.expires_in, Some(3599));
        assert!(!format!("{response:?}").contains("ya29.secret"));
    }

    #[test]
    fn a_curl_excerpt_says_which_grant_the_response_answered() {
        let response = parse("$ curl -d grant_type=refresh_token -d refresh_token=x https://oauth2.googleapis.com/token\n{\"access_token\":\"a\",\"expires_in\":3599}").unwrap();
        assert_eq!(response.answered_grant.as_deref(), Some("refresh_token"));
        assert!(!response.refresh_token);
    }

    #[test]
    fn headers_before_the_body_are_skipped() {
        let response = parse("HTTP/1.1 200 OK\ncontent-type: application/json\n\n{\"access_token\":\"a\",\"refresh_token\":\"r\",\"refresh_token_expires_in\":604799}").unwrap();
        assert_eq!(response.refresh_token_expires_in, Some(604799));
    }

    #[test]
    fn html_truncated_and_foreign_json_are_input_errors() {
        assert!(matches!(
            parse("<!doctype html><h1>404</h1>"),
            Err(InputError::Html { .. })
        ));
        assert!(matches!(
            parse("{\"access_token\": \"ya29"),
            Err(InputError::Truncated { .. })
        ));
        assert!(matches!(parse("[1,2]"), Err(InputError::NotTokenResponse { .. })));
        assert!(matches!(
            parse("{\"hello\": 1}"),
            Err(InputError::NotTokenResponse { .. })
        ));
        assert!(matches!(parse("   "), Err(InputError::EmptyFile { .. })));
    }
}
