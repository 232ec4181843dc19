//! Reading a provider's answers meant for a person: Google's `authError` redirect parameter
//! and error pages of any provider (an OAuth `error` / `error_description` in a JSON body or
//! labelled on an HTML page, Google's "Error 400: invalid_request" as one case among others).

use crate::provider::ErrorPageFormat;

/// An authorization error as a provider shows it to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    pub error: String,
    pub description: Option<String>,
}

/// Decodes Google's `authError` parameter (`/signin/oauth/error?authError=…`) with the one
/// decoder diagnose uses too (`provider::AuthError`): the error code and the text the error
/// page shows (OBS, google-oauth.md §4: `prompt=bogus` decodes to `invalid_request` /
/// "Invalid parameter value for prompt: Invalid prompt: bogus").
pub fn decode_auth_error(value: &str) -> Option<PageError> {
    crate::provider::AuthError::decode(value).map(|page| PageError {
        error: page.error,
        description: Some(page.description).filter(|d| !d.is_empty()),
    })
}

/// The OAuth error an error answer carries, whichever provider wrote it:
/// - a JSON object with `error` (and `error_description`), as RFC 6749 §5.2 shapes it;
/// - the page of a profile with an `error_page` format: its `code_label` before the status and
///   the code (Google's "Error 400: invalid_request" since ≈2021, "Error: invalid_request"
///   before), and the model's `id="error-description"` paragraph;
/// - any page that labels the RFC 6749 §4.1.2.1 fields: `error: invalid_client` and
///   `error_description: client is invalid` on their own lines or blocks (node oidc-provider's
///   error page; also `error=…` as some providers print them).
pub fn scrape_error_page(body: &str, format: Option<&ErrorPageFormat>) -> Option<PageError> {
    json_error(body)
        .or_else(|| format.and_then(|format| provider_error_page(body, &format.code_label)))
        .or_else(|| labelled_error_page(body))
}

fn json_error(body: &str) -> Option<PageError> {
    let value: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let error = value.get("error")?.as_str()?.to_string();
    let description = value
        .get("error_description")
        .and_then(|d| d.as_str())
        .map(str::to_string);
    is_error_code(&error).then_some(PageError { error, description })
}

/// The provider's own page: `label NNN: code` or `label: code`.
fn provider_error_page(html: &str, label: &str) -> Option<PageError> {
    let error = error_code_after(html, label)?;
    let description = between(html, "id=\"error-description\">", "</p>")
        .map(|d| html_escape::decode_html_entities(d).trim().to_string());
    Some(PageError { error, description })
}

/// `error: code` / `error_description: text` labels, each on its own line or block element.
fn labelled_error_page(html: &str) -> Option<PageError> {
    let text = html_escape::decode_html_entities(&strip_tags_to_lines(html)).into_owned();
    let labelled = |label: &str| {
        text.lines().find_map(|line| {
            let rest = line.trim().strip_prefix(label)?.trim_start();
            let value = rest.strip_prefix(':').or_else(|| rest.strip_prefix('='))?.trim();
            (!value.is_empty()).then(|| value.to_string())
        })
    };
    let error = labelled("error")?;
    if !is_error_code(&error) {
        return None;
    }
    Some(PageError {
        error,
        description: labelled("error_description"),
    })
}

/// An OAuth error code: RFC 6749 §4.1.2.1 allows %x20-21 / %x23-5B / %x5D-7E; in practice
/// codes are lowercase words joined by `_`, and holding to that keeps prose out.
fn is_error_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The page's text with every block-level tag (and `<br>`) as a line break; inline tags vanish.
fn strip_tags_to_lines(html: &str) -> String {
    const BLOCKS: [&str; 14] = [
        "p", "div", "pre", "br", "li", "tr", "td", "h1", "h2", "h3", "dd", "dt", "section", "body",
    ];
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let name: String = rest[open + 1..open + close]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if BLOCKS.contains(&name.as_str()) {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Finds `Error NNN: code` or `Error: code` (tags in between are skipped) and returns `code`.
fn error_code_after(html: &str, marker: &str) -> Option<String> {
    let text = strip_tags(html);
    let mut rest = text.as_str();
    while let Some(found) = rest.find(marker) {
        let after = rest[found + marker.len()..].trim_start();
        let after = after.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start();
        if let Some(code) = after.strip_prefix(':') {
            let code: String = code
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !code.is_empty() {
                return Some(code);
            }
        }
        rest = &rest[found + marker.len()..];
    }
    None
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)?;
    Some(&text[from..from + to])
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    use super::*;

    fn message(error: &str, description: &str) -> Vec<u8> {
        let mut bytes = vec![0x0a, error.len() as u8];
        bytes.extend_from_slice(error.as_bytes());
        bytes.push(0x12);
        let mut length = description.len();
        while length >= 0x80 {
            bytes.push((length as u8 & 0x7f) | 0x80);
            length >>= 7;
        }
        bytes.push(length as u8);
        bytes.extend_from_slice(description.as_bytes());
        bytes.extend_from_slice(&[0x18, 0x01]);
        bytes
    }

    #[test]
    fn auth_errors_decode_in_either_base64_alphabet_with_long_descriptions() {
        let description = format!(
            "Invalid parameter value for prompt: Invalid prompt: bogus {}",
            "x".repeat(200)
        );
        let bytes = message("invalid_request", &description);
        for encoded in [STANDARD.encode(&bytes), URL_SAFE_NO_PAD.encode(&bytes)] {
            let decoded = decode_auth_error(&encoded).unwrap();
            assert_eq!(decoded.error, "invalid_request");
            assert_eq!(decoded.description.as_deref(), Some(description.as_str()));
        }
    }

    #[test]
    fn garbage_is_not_an_auth_error() {
        assert_eq!(decode_auth_error("not base64 at all!"), None);
        assert_eq!(decode_auth_error(&STANDARD.encode(b"\xff\xff\xff")), None);
        assert_eq!(decode_auth_error(&STANDARD.encode(b"\x0a\x03A B")), None);
    }

    #[test]
    fn error_pages_old_and_new_give_their_code() {
        let profile = crate::provider::Registry::builtin().load("google").unwrap();
        let google = profile.error_page.as_ref();
        let new = "<h1>Access blocked: Authorization Error</h1><p id=\"error-description\">Conflict params: approval_prompt and prompt</p>\
                   <p>Error <span>400</span>: <span class=\"code\">invalid_request</span></p>";
        let found = scrape_error_page(new, google).unwrap();
        assert_eq!(found.error, "invalid_request");
        assert_eq!(
            found.description.as_deref(),
            Some("Conflict params: approval_prompt and prompt")
        );
        let old = "<p><b>400.</b> <ins>That’s an error.</ins></p><p>Error: invalid_request</p><p>Missing required parameter: client_id</p>";
        assert_eq!(scrape_error_page(old, google).unwrap().error, "invalid_request");
        assert_eq!(scrape_error_page("<p>Choose an account</p>", google), None);
        // a profile without the format reads such a page by its labels only
        assert_eq!(scrape_error_page(old, None), None);
    }

    #[test]
    fn node_oidc_provider_error_pages_give_error_and_description() {
        // the page node oidc-provider 9 answers an unknown client_id with (trimmed)
        let page = "<div class=\"container\"><h1>oops! something went wrong</h1>\
                    <pre><strong>error</strong>: invalid_client</pre><pre><strong>error_description</strong>: client is invalid</pre>\
                    <pre><strong>iss</strong>: http://127.0.0.1:1</pre></div>";
        let found = scrape_error_page(page, None).unwrap();
        assert_eq!(found.error, "invalid_client");
        assert_eq!(found.description.as_deref(), Some("client is invalid"));
        let escaped = "<pre>error: invalid_request</pre><pre>error_description: missing required parameter &#39;client_id&#39;</pre>";
        let found = scrape_error_page(escaped, None).unwrap();
        assert_eq!(
            found.description.as_deref(),
            Some("missing required parameter 'client_id'")
        );
    }

    #[test]
    fn json_error_bodies_and_key_value_lines_are_read_too() {
        let json = r#"{"error":"invalid_request","error_description":"redirect_uri is not registered"}"#;
        let found = scrape_error_page(json, None).unwrap();
        assert_eq!(found.error, "invalid_request");
        assert_eq!(found.description.as_deref(), Some("redirect_uri is not registered"));
        let lines = "<body>error=unauthorized_client<br>error_description=Client not allowed</body>";
        assert_eq!(scrape_error_page(lines, None).unwrap().error, "unauthorized_client");
    }

    #[test]
    fn prose_that_mentions_an_error_is_not_an_error() {
        assert_eq!(
            scrape_error_page("<p>error: Something went wrong, try again</p>", None),
            None
        );
        assert_eq!(scrape_error_page(r#"{"error": {"code": 401}}"#, None), None);
        assert_eq!(
            scrape_error_page("<p>Sign in to continue. No error here.</p>", None),
            None
        );
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn decode_auth_error_example() {
        use super::decode_auth_error;
        let error = decode_auth_error("Cg9pbnZhbGlkX3JlcXVlc3QSBWJvZ3Vz").unwrap();
        assert_eq!(
            (error.error.as_str(), error.description.as_deref()),
            ("invalid_request", Some("bogus"))
        );
    }

    #[test]
    fn scrape_error_page_example() {
        use super::scrape_error_page;
        let page = "<pre><strong>error</strong>: invalid_client</pre><pre><strong>error_description</strong>: client is invalid</pre>";
        let found = scrape_error_page(page, None).unwrap();
        assert_eq!(
            (found.error.as_str(), found.description.as_deref()),
            ("invalid_client", Some("client is invalid"))
        );
    }
}
