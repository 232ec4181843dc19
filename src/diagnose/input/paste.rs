//! Finding URLs in pasted text: a bug report, a log line, a browser address bar, a JSON log.
//!
//! Forgiving where the paste mangled the URL (JSON and HTML escapes, a URL wrapped across
//! lines, a whole URL percent-encoded once more), precise about everything else: encoded
//! characters inside parameter values are left exactly as they were sent.

use super::note::InputNote;

/// A URL (or a bare query string) found in the text, with what was done to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pasted {
    pub text: String,
    /// The text is only a query string (`client_id=…&scope=…`), no scheme or host.
    pub query_only: bool,
    pub notes: Vec<InputNote>,
}

/// Every URL in `text`, in order of appearance. `hosts` are hosts that may appear without a
/// scheme (`accounts.google.com/o/oauth2/v2/auth?…`).
pub fn extract(text: &str, hosts: &[String]) -> Vec<Pasted> {
    let text = text.trim_start_matches('\u{feff}');
    let mut shared = Vec::new();
    let text = unescape(text, &mut shared);
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = next_start(&lower, from) {
        let (url, end, mut notes) = read_url(&text, start);
        from = end.max(start + 1);
        if url.len() < "http://x".len() {
            continue;
        }
        let mut all = shared.clone();
        all.append(&mut notes);
        let url = decode_whole(url, &mut all);
        found.push(Pasted {
            text: url,
            query_only: false,
            notes: all,
        });
    }
    if !found.is_empty() {
        return found;
    }
    for host in hosts {
        if let Some(start) = lower.find(&format!("{}/", host.to_ascii_lowercase())) {
            let (url, _, mut notes) = read_url(&text, start);
            let mut all = shared.clone();
            all.append(&mut notes);
            all.push(InputNote::AssumedScheme);
            found.push(Pasted {
                text: format!("https://{url}"),
                query_only: false,
                notes: all,
            });
            return found;
        }
    }
    if let Some(at) = lower.find("client_id=").or_else(|| lower.find("client_id%3d")) {
        let start = text[..at]
            .rfind(|c: char| c.is_whitespace() || "\"'<>`(".contains(c))
            .map(|i| i + 1)
            .unwrap_or(0);
        let (query, _, mut notes) = read_url(&text, start);
        let mut all = shared.clone();
        all.append(&mut notes);
        all.push(InputNote::AssumedEndpoint);
        let query = query.trim_start_matches('?').to_string();
        found.push(Pasted {
            text: query,
            query_only: true,
            notes: all,
        });
    }
    found
}

/// JSON string escapes and HTML entities that commonly wrap a URL in logs and page sources.
fn unescape(text: &str, notes: &mut Vec<InputNote>) -> String {
    const ESCAPES: &[(&str, &str)] = &[
        ("\\u0026", "&"),
        ("\\u003d", "="),
        ("\\u003D", "="),
        ("\\u003f", "?"),
        ("\\u003F", "?"),
        ("\\/", "/"),
        ("&amp;", "&"),
        ("&#38;", "&"),
        ("&#x26;", "&"),
    ];
    let mut out = text.to_string();
    for (escape, plain) in ESCAPES {
        if out.contains(escape) {
            out = out.replace(escape, plain);
            notes.push(InputNote::Unescaped {
                escape: (*escape).to_string(),
            });
        }
    }
    out
}

fn next_start(lower: &str, from: usize) -> Option<usize> {
    ["https://", "http://", "https%3a%2f%2f", "http%3a%2f%2f"]
        .iter()
        .filter_map(|scheme| lower.get(from..).and_then(|rest| rest.find(scheme)).map(|i| i + from))
        .min()
}

/// Characters that end a URL in running text.
fn stops(c: char) -> bool {
    c.is_whitespace() || "\"'<>`|\\^{}".contains(c)
}

/// Reads one URL from `start`: up to whitespace or a quote, across line wraps.
fn read_url(text: &str, start: usize) -> (String, usize, Vec<InputNote>) {
    let mut url = String::new();
    let mut notes = Vec::new();
    let mut joined = 0;
    let mut i = start;
    while i < text.len() {
        let Some(c) = text[i..].chars().next() else { break };
        if c == '\\' && text[i + 1..].starts_with('\n') || text[i..].starts_with("\\\r\n") {
            // a shell line continuation inside the URL
            i += 1;
            continue;
        }
        if c == '\r' || c == '\n' {
            let after_break = if text[i..].starts_with("\r\n") { i + 2 } else { i + 1 };
            if let Some(next) = continuation(text, after_break, &url) {
                joined += 1;
                i = next;
                continue;
            }
            break;
        }
        if stops(c) {
            break;
        }
        if (c == ')' && !url.contains('(')) || (c == ']' && !url.contains('[')) {
            break;
        }
        url.push(c);
        i += c.len_utf8();
    }
    while let Some(last) = url.chars().last().filter(|c| matches!(c, '.' | ',')) {
        url.pop();
        notes.push(InputNote::TrimmedPunctuation { character: last });
    }
    if joined > 0 {
        notes.push(InputNote::JoinedLines { count: joined });
    }
    (url, i, notes)
}

/// Where the URL continues after a line break, if the next line looks like its wrapped rest.
fn continuation(text: &str, after_break: usize, url: &str) -> Option<usize> {
    let rest = &text[after_break..];
    let indent = rest.len() - rest.trim_start_matches([' ', '\t', '>']).len();
    let line_start = after_break + indent;
    let line = text[line_start..].lines().next().unwrap_or("");
    let token: &str = line.split(stops).next().unwrap_or("");
    if token.is_empty() || url.is_empty() {
        return None;
    }
    let looks_like_query = token.contains(['=', '&', '%']);
    let url_cut_mid_pair = url.ends_with(['?', '&', '=', '%', '/']);
    let alone_on_line =
        token.len() == line.trim_end().len() && !token.ends_with([':', '.', '!', ',']) && url.contains('?');
    (looks_like_query || url_cut_mid_pair || alone_on_line).then_some(line_start)
}

/// Decodes a URL that was percent-encoded as a whole (`https%3A%2F%2F…`, or `…/auth%3Fclient_id%3D…`).
fn decode_whole(mut url: String, notes: &mut Vec<InputNote>) -> String {
    let mut times = 0;
    while times < 3 {
        let lower = url.to_ascii_lowercase();
        let scheme_encoded = lower.starts_with("https%3a") || lower.starts_with("http%3a");
        let query_encoded = !url.contains('?') && lower.contains("%3f") && lower.contains("%3d");
        if !scheme_encoded && !query_encoded {
            break;
        }
        url = percent_encoding::percent_decode_str(&url)
            .decode_utf8_lossy()
            .into_owned();
        times += 1;
    }
    if times > 0 {
        notes.push(InputNote::DecodedWhole { times });
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Pasted {
        let mut found = extract(text, &["accounts.google.com".to_string()]);
        assert!(!found.is_empty(), "nothing found in {text:?}");
        found.remove(0)
    }

    #[test]
    fn a_url_in_prose_ends_at_whitespace_and_loses_trailing_punctuation() {
        let pasted =
            one("I open https://accounts.google.com/o/oauth2/v2/auth?scope=email&prompt=consent. Then nothing.");
        assert_eq!(
            pasted.text,
            "https://accounts.google.com/o/oauth2/v2/auth?scope=email&prompt=consent"
        );
        assert_eq!(pasted.notes, vec![InputNote::TrimmedPunctuation { character: '.' }]);
    }

    #[test]
    fn a_semicolon_that_was_sent_is_kept() {
        let pasted = one("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&prompt=consent;");
        assert!(pasted.text.ends_with("prompt=consent;"));
    }

    #[test]
    fn a_url_wrapped_across_lines_is_joined() {
        let text = "url: https://accounts.google.com/o/oauth2/v2/auth?client_id=x&prompt=con\nsent&access_type=offline\nError 400";
        let pasted = one(text);
        assert_eq!(
            pasted.text,
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&prompt=consent&access_type=offline"
        );
        assert!(pasted.notes.contains(&InputNote::JoinedLines { count: 1 }));
    }

    #[test]
    fn a_following_sentence_is_not_joined() {
        let pasted =
            one("https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email\nThen I get no refresh token.");
        assert!(pasted.text.ends_with("scope=email"), "{}", pasted.text);
    }

    #[test]
    fn json_escapes_are_undone() {
        let pasted =
            one(r#"{"url":"https:\/\/accounts.google.com\/o\/oauth2\/v2\/auth?client_id=x\u0026scope=email"}"#);
        assert_eq!(
            pasted.text,
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email"
        );
    }

    #[test]
    fn a_wholly_encoded_url_is_decoded_once_and_inner_encoding_kept() {
        let pasted = one(
            "next=https%3A%2F%2Faccounts.google.com%2Fo%2Foauth2%2Fv2%2Fauth%3Fredirect_uri%3Dhttps%253A%252F%252Fapp.example.com%26scope%3Demail",
        );
        assert_eq!(
            pasted.text,
            "https://accounts.google.com/o/oauth2/v2/auth?redirect_uri=https%3A%2F%2Fapp.example.com&scope=email"
        );
        assert!(pasted.notes.contains(&InputNote::DecodedWhole { times: 1 }));
    }

    #[test]
    fn a_url_without_scheme_and_a_bare_query_are_found() {
        assert_eq!(
            one("see accounts.google.com/o/oauth2/auth?client_id=x").text,
            "https://accounts.google.com/o/oauth2/auth?client_id=x"
        );
        let query = one("?client_id=x&scope=email&access_type=offline");
        assert!(query.query_only);
        assert_eq!(query.text, "client_id=x&scope=email&access_type=offline");
    }

    #[test]
    fn every_url_is_listed_in_order() {
        let found = extract(
            "from https://app.example.com/login to https://accounts.google.com/o/oauth2/v2/auth?x=1",
            &[],
        );
        let texts: Vec<&str> = found.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "https://app.example.com/login",
                "https://accounts.google.com/o/oauth2/v2/auth?x=1"
            ]
        );
    }

    #[test]
    fn garbage_yields_nothing() {
        assert!(extract("¯\\_(ツ)_/¯ \u{0} %%%", &[]).is_empty());
    }
}
