//! The access log of `serve`: one line per request, every secret replaced by `[redacted]`.
//!
//! What an app sent is the point of the log (`approval_prompt=force` is right there), so
//! parameter names and harmless values are kept; codes, tokens, secrets, verifiers, client
//! assertions, state, login hints and the consent page's request ids are not. Headers are never logged (Authorization holds
//! credentials), nor JSON bodies (an admin client registration holds a secret).

use std::time::SystemTime;

use crate::model::Served;
use crate::transcript::Aliases;

const REDACTED: &str = "[redacted]";

/// Whether a parameter's value must not be shown.
fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    Aliases::is_secret_field(&name)
        || name.contains("secret")
        || name.contains("token")
        || name.contains("password")
        || name.contains("verifier")
        // a signed client credential (RFC 7523 client_assertion), and who is signing in
        || name.contains("assertion")
        || name == "login_hint"
        || name == "id_token_hint"
        // the consent page's pending-request id: whoever holds it can answer the screen
        || name == "request"
        // the device grant's codes: one polls for the tokens, the other approves the device
        || name == "device_code"
        || name == "user_code"
}

/// `pairs` as `k=v` text, secret values replaced.
pub fn redact_pairs(pairs: &[(String, String)]) -> String {
    let shown = pairs.iter().map(|(k, v)| {
        (
            k.as_str(),
            if is_secret(k) && !v.is_empty() {
                REDACTED
            } else {
                v.as_str()
            },
        )
    });
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(shown)
        .finish()
        .replace("%5Bredacted%5D", REDACTED)
}

/// One access-log line: time, method, path with its redacted query, the redacted form body,
/// status, what the answer meant, and how long it took.
pub fn access_line(served: &Served<'_>) -> String {
    let request = served.request;
    let mut line = format!(
        "{} {} {}",
        httpdate::fmt_http_date(SystemTime::now()),
        request.method,
        request.url.path()
    );
    let query: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !query.is_empty() {
        line.push('?');
        line.push_str(&redact_pairs(&query));
    }
    if !request.body.is_empty() {
        let form = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if form {
            line.push_str(" body: ");
            line.push_str(&redact_pairs(&crate::model::form_pairs(&request.body)));
        } else {
            line.push_str(&format!(" body: ({} bytes, not shown)", request.body.len()));
        }
    }
    line.push_str(&format!(
        " -> {} {} ({:.1} ms)",
        served.status,
        served.outcome,
        served.elapsed.as_secs_f64() * 1000.0
    ));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_kind_of_secret_is_redacted() {
        let text = redact_pairs(&pairs(&[
            ("code", "4/c0de"),
            ("refresh_token", "1//r3fresh"),
            ("access_token", "ya29.acc3ss"),
            ("token", "ya29.t0ken"),
            ("client_secret", "GOCSPX-s3cret"),
            ("code_verifier", "v3rifier"),
            ("state", "st4te"),
            ("nonce", "n0nce"),
            ("request", "p3nding"),
            ("id_token", "eyJ.x.y"),
            ("subject_token", "x-t0ken"),
            ("client_assertion", "eyJa55ertion"),
            ("login_hint", "h1nt@example.com"),
        ]));
        for secret in [
            "c0de", "r3fresh", "acc3ss", "t0ken", "s3cret", "v3rifier", "st4te", "n0nce", "p3nding", "eyJ", "55ertion",
            "h1nt",
        ] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        assert_eq!(text.matches(REDACTED).count(), 13);
    }

    #[test]
    fn harmless_parameters_are_kept_for_debugging() {
        let text = redact_pairs(&pairs(&[
            ("access_type", "offline"),
            ("approval_prompt", "force"),
            ("scope", "openid email"),
        ]));
        assert_eq!(text, "access_type=offline&approval_prompt=force&scope=openid+email");
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn redact_pairs_example() {
        let pairs = vec![
            ("code".to_string(), "4/abc".to_string()),
            ("grant_type".to_string(), "authorization_code".to_string()),
        ];
        assert_eq!(
            super::redact_pairs(&pairs),
            "code=[redacted]&grant_type=authorization_code"
        );
    }
}
