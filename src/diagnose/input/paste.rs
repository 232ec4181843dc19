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
    extract_counted(text, hosts).0
}

/// `extract`, and how many bytes it examined: the work stays linear in the input (every
/// scheme is searched once over the whole text, every URL byte is read once), which a test
/// checks on a large input instead of timing it.
fn extract_counted(text: &str, hosts: &[String]) -> (Vec<Pasted>, usize) {
    let text = text.trim_start_matches('\u{feff}');
    let mut shared = Vec::new();
    let text = unescape(text, &mut shared);
    let lower = text.to_ascii_lowercase();
    let mut work = 0;
    let mut found = Vec::new();
    if let Some(request) = schemeless_request(&text, &lower, hosts, &shared) {
        work += text.len();
        return (vec![request], work);
    }
    let (starts, scanned) = scheme_starts(&lower);
    work += scanned;
    let mut from = 0;
    for start in starts {
        if start < from {
            // inside the URL read before (a redirect_uri=https://… value)
            continue;
        }
        let (url, end, mut notes, examined) = read_url_counted(&text, start);
        work += examined;
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
        return (found, work);
    }
    for host in hosts {
        work += lower.len();
        if let Some(start) = lower.find(&format!("{}/", host.to_ascii_lowercase())) {
            let (url, end, notes) = read_url(&text, start);
            work += end - start;
            return (vec![assumed(&url, &shared, notes, InputNote::AssumedScheme)], work);
        }
    }
    work += 2 * lower.len();
    if let Some(at) = lower.find("client_id=").or_else(|| lower.find("client_id%3d")) {
        let start = word_start(&text, at);
        let (query, end, notes) = read_url(&text, start);
        work += end - start;
        found.push(assumed(&query, &shared, notes, InputNote::AssumedEndpoint));
    }
    (found, work)
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

/// Where every URL may start, in order, and how many bytes were searched. Each scheme is
/// searched once over the whole text; searching again from each URL's end (as this once
/// did) rescans the rest of the text for every URL, quadratic in a paste of many URLs.
fn scheme_starts(lower: &str) -> (Vec<usize>, usize) {
    const SCHEMES: [&str; 4] = ["https://", "http://", "https%3a%2f%2f", "http%3a%2f%2f"];
    let mut starts: Vec<usize> = SCHEMES
        .iter()
        .flat_map(|scheme| lower.match_indices(scheme).map(|(i, _)| i))
        .collect();
    starts.sort_unstable();
    starts.dedup();
    (starts, SCHEMES.len() * lower.len())
}

/// A request without a scheme around the first `client_id=`: a bare query string
/// (`client_id=…&redirect_uri=https://…`) or a URL pasted without `https://`. Any URL inside
/// it is a parameter value (the redirect URI), not the request, so it is not searched for.
fn schemeless_request(text: &str, lower: &str, hosts: &[String], shared: &[InputNote]) -> Option<Pasted> {
    let at = lower.find("client_id=")?;
    let start = word_start(lower, at);
    let before = &lower[start..at];
    // a scheme that starts the word is a URL around client_id; one after `=` is a value in it
    let has_scheme = ["https:", "http:", "https%3a", "http%3a"]
        .iter()
        .flat_map(|s| before.match_indices(s))
        .any(|(i, _)| !before[..i].ends_with('='));
    if has_scheme {
        return None;
    }
    let (url, _, notes) = read_url(text, start);
    if hosts
        .iter()
        .any(|h| before.contains(&format!("{}/", h.to_ascii_lowercase())))
    {
        return Some(assumed(&url, shared, notes, InputNote::AssumedScheme));
    }
    if before.contains('/') {
        // a path on some other host: not a request to the provider
        return None;
    }
    Some(assumed(&url, shared, notes, InputNote::AssumedEndpoint))
}

/// Where the word around `at` starts: after whitespace, a quote, a bracket or a backtick.
fn word_start(text: &str, at: usize) -> usize {
    let delimiter = |c: char| c.is_whitespace() || "\"'<>`(".contains(c);
    text[..at].rfind(delimiter).map_or(0, |i| i + 1)
}

/// A request found without a scheme: a URL on one of the provider's hosts (`AssumedScheme`)
/// or a bare query (`AssumedEndpoint`), with the text's notes, the reading's and the assumption.
fn assumed(url: &str, shared: &[InputNote], notes: Vec<InputNote>, assumption: InputNote) -> Pasted {
    let query_only = assumption == InputNote::AssumedEndpoint;
    let mut all = shared.to_vec();
    all.extend(notes);
    all.push(assumption);
    Pasted {
        text: if query_only {
            url.trim_start_matches('?').to_string()
        } else {
            format!("https://{url}")
        },
        query_only,
        notes: all,
    }
}

/// Characters that end a URL in running text.
fn stops(c: char) -> bool {
    c.is_whitespace() || "\"'<>`|\\^{}".contains(c)
}

/// Reads one URL from `start`: up to whitespace or a quote, across line wraps. A line that
/// continues the URL with more indentation than the URL's first line is code (a string
/// broken over indented lines): its indentation is kept, because the browser drops the line
/// break but sends the spaces.
fn read_url(text: &str, start: usize) -> (String, usize, Vec<InputNote>) {
    let (url, end, notes, _) = read_url_counted(text, start);
    (url, end, notes)
}

/// `read_url`, and how many bytes it examined (the URL, and the lines it looked at to decide
/// whether they continue it).
fn read_url_counted(text: &str, start: usize) -> (String, usize, Vec<InputNote>, usize) {
    let own_indent = indentation_before(text.as_bytes(), start);
    let mut url = String::new();
    let mut notes = Vec::new();
    let mut joined = 0;
    let mut indented = 0;
    let mut looked_ahead = 0;
    // what the URL holds so far, tracked so that each character is looked at once
    let (mut paren, mut bracket, mut question) = (false, false, false);
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
            let (next, examined) = continuation(text, after_break, &url, question);
            looked_ahead += examined;
            if let Some(next) = next {
                joined += 1;
                let indent = &text[after_break..next];
                if !indent.contains('>') && indent.len() > own_indent {
                    indented += 1;
                    url.push_str(indent);
                }
                i = next;
                continue;
            }
            break;
        }
        if stops(c) {
            break;
        }
        if (c == ')' && !paren) || (c == ']' && !bracket) {
            break;
        }
        paren |= c == '(';
        bracket |= c == '[';
        question |= c == '?';
        url.push(c);
        i += c.len_utf8();
    }
    while let Some(last) = url.chars().last().filter(|c| matches!(c, '.' | ',')) {
        url.pop();
        notes.push(InputNote::TrimmedPunctuation { character: last });
    }
    if indented > 0 {
        notes.push(InputNote::KeptIndentation { count: indented });
    }
    if joined > indented {
        notes.push(InputNote::JoinedLines {
            count: joined - indented,
        });
    }
    let examined = i - start + looked_ahead;
    (url, i, notes, examined)
}

/// The indentation of the line `at` is on. Looks back a bounded distance, so that many URLs
/// on one long line stay linear; a longer line counts as unindented.
fn indentation_before(bytes: &[u8], at: usize) -> usize {
    const LOOK_BACK: usize = 4096;
    let from = at.saturating_sub(LOOK_BACK);
    let line_start = match bytes[from..at].iter().rposition(|&b| b == b'\n') {
        Some(i) => from + i + 1,
        None if from == 0 => 0,
        None => return 0,
    };
    bytes[line_start..at]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()
}

/// Where the URL continues after a line break, if the next line looks like its wrapped rest.
fn continuation(text: &str, after_break: usize, url: &str, has_query: bool) -> (Option<usize>, usize) {
    let rest = &text[after_break..];
    let indent = rest.len() - rest.trim_start_matches([' ', '\t', '>']).len();
    let line_start = after_break + indent;
    let line = text[line_start..].lines().next().unwrap_or("");
    let examined = indent + line.len();
    let token: &str = line.split(stops).next().unwrap_or("");
    let lower_start = token.get(..8).unwrap_or(token).to_ascii_lowercase();
    if token.is_empty() || url.is_empty() || lower_start.starts_with("http://") || lower_start.starts_with("https://") {
        // a URL on the next line is the next URL, not the rest of this one
        return (None, examined);
    }
    let looks_like_query = token.contains(['=', '&', '%']);
    let url_cut_mid_pair = url.ends_with(['?', '&', '=', '%', '/']);
    let alone_on_line = token.len() == line.trim_end().len() && !token.ends_with([':', '.', '!', ',']) && has_query;
    (
        (looks_like_query || url_cut_mid_pair || alone_on_line).then_some(line_start),
        examined,
    )
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
    fn a_url_broken_over_indented_code_lines_keeps_the_indentation() {
        let text = "const url = `https://accounts.google.com/o/oauth2/v2/auth?client_id=x&\n        redirect_uri=https://a.example/cb\n        &scope=email`;";
        let pasted = one(text);
        assert_eq!(
            pasted.text,
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&        redirect_uri=https://a.example/cb        &scope=email"
        );
        assert!(pasted.notes.contains(&InputNote::KeptIndentation { count: 2 }));
    }

    #[test]
    fn a_uniformly_indented_block_is_joined_without_its_indentation() {
        let text = "    https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=em\n    ail&access_type=offline";
        assert_eq!(
            one(text).text,
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&scope=email&access_type=offline"
        );
    }

    #[test]
    fn a_bare_query_with_a_redirect_uri_is_taken_as_the_query() {
        let query = one("client_id=x&redirect_uri=https://app.example.com/cb&scope=email");
        assert!(query.query_only);
        assert_eq!(
            query.text,
            "client_id=x&redirect_uri=https://app.example.com/cb&scope=email"
        );
        let schemeless = one("accounts.google.com/o/oauth2/v2/auth?client_id=x&redirect_uri=https://a.example/cb");
        assert_eq!(
            schemeless.text,
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=x&redirect_uri=https://a.example/cb"
        );
    }

    #[test]
    fn many_urls_are_read_in_linear_work() {
        // 1.6 MB of URLs: searching each scheme again from every URL's end examined about
        // 8,000 URLs × 3 absent schemes × 0.8 MB on average, some 2×10^10 bytes, here; each
        // byte is now looked at a few times
        let line = "https://accounts.google.com/o/oauth2/v2/auth?client_id=1.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=email&access_type=offline\n";
        let text = line.repeat(1_600_000 / line.len());
        let (found, work) = extract_counted(&text, &[]);
        assert_eq!(found.len(), text.len() / line.len());
        assert!(work <= 8 * text.len(), "examined {work} bytes of {}", text.len());
        // the same on one line, URLs separated by spaces
        let text = text.replace('\n', " ");
        let (found, work) = extract_counted(&text, &[]);
        assert_eq!(found.len(), text.len() / line.len());
        assert!(work <= 8 * text.len(), "examined {work} bytes of {}", text.len());
    }

    #[test]
    fn garbage_yields_nothing() {
        assert!(extract("¯\\_(ツ)_/¯ \u{0} %%%", &[]).is_empty());
    }
}
