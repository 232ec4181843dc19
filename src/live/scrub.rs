//! The last line of defence of live probes: every credential a probe knows — the client
//! secret, refresh tokens, and each code, PKCE verifier and challenge, `state` and nonce it sent
//! or received — is replaced by a label in every text a probe produces (report messages, notes,
//! diffs, snapshot bodies, the text compared with the model), in each encoding a hostile or
//! buggy provider may echo it back in: plain, percent-encoded (either hex case),
//! form-encoded, JSON-escaped, HTML-escaped, and base64 (standard or URL-safe, alone or inside
//! a longer value such as HTTP Basic's `client_id:secret`).
//!
//! Transcripts alias secrets on their own (`<refresh_token#1>`); the scrubber catches what
//! aliasing cannot see: an echo in another encoding, in an `error` code, a header, a page, or an
//! unknown JSON field's name.

use std::fmt;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::transcript::Aliases;

/// Values shorter than this are not scrubbed: they would match ordinary text, and no
/// credential is this short.
const MIN_SECRET: usize = 8;

/// RFC 3986 unreserved characters stay as they are; everything else is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// One known credential: what replaces it, and every form it is looked for in.
struct Known {
    value: String,
    label: String,
    needles: Vec<String>,
}

/// The credentials a probe run knows, shared by every part of the run (cloning shares them).
#[derive(Clone, Default)]
pub struct Scrubber {
    known: Arc<Mutex<Vec<Known>>>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Scrubber([redacted])")
    }
}

impl Scrubber {
    /// Remembers `value` (from now on it is replaced by `label`); short or known values are
    /// ignored.
    pub fn add(&self, value: &str, label: &str) {
        if value.chars().count() < MIN_SECRET {
            return;
        }
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.iter().any(|k| k.value == value) {
            return;
        }
        known.push(Known {
            value: value.to_string(),
            label: label.to_string(),
            needles: encodings(value),
        });
    }

    /// Remembers the secret-named parameters among `pairs` (`state`, `code_verifier`,
    /// `client_secret`, …), each labelled by its name.
    pub fn add_params<'a>(&self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (name, value) in pairs {
            if Aliases::is_secret_field(name) {
                self.add(value, &format!("<{name}>"));
            }
        }
    }

    /// Remembers every secret a transcript's aliases know, each replaced by its alias.
    pub fn add_aliases(&self, aliases: &Aliases) {
        for (value, alias) in aliases.secrets() {
            self.add(value, alias);
        }
    }

    /// `text` with every known credential, in any of its encodings, replaced by its label.
    pub fn scrub(&self, text: &str) -> String {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let mut needles: Vec<(&str, &str)> = known
            .iter()
            .flat_map(|k| k.needles.iter().map(move |n| (n.as_str(), k.label.as_str())))
            .filter(|(needle, _)| text.contains(needle))
            .collect();
        if needles.is_empty() {
            return text.to_string();
        }
        // longest first: a value's plain form is inside some of its longer encodings
        needles.sort_by_key(|(needle, _)| std::cmp::Reverse(needle.len()));
        let mut out = text.to_string();
        for (needle, label) in needles {
            if out.contains(needle) {
                out = out.replace(needle, label);
            }
        }
        out
    }

    /// Scrubs a string in place.
    pub fn scrub_in_place(&self, text: &mut String) {
        if !text.is_empty() {
            let scrubbed = self.scrub(text);
            if scrubbed != *text {
                *text = scrubbed;
            }
        }
    }
}

/// Every form `value` is looked for in.
fn encodings(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    forms.push(form);
    for set in [NON_ALPHANUMERIC, COMPONENT] {
        let upper = utf8_percent_encode(value, set).to_string();
        forms.push(lower_hex(&upper));
        forms.push(upper);
    }
    // JSON: serde's escaping, with `/` escaped too, and every character as \uXXXX
    let quoted = serde_json::to_string(value).unwrap_or_default();
    let json = quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string();
    forms.push(json.replace('/', "\\/"));
    forms.push(json);
    let all: String = value.encode_utf16().map(|u| format!("\\u{u:04x}")).collect();
    forms.push(all.to_uppercase().replace("\\U", "\\u"));
    forms.push(all);
    // HTML text and attributes
    forms.push(html_escape::encode_double_quoted_attribute(value).into_owned());
    forms.push(html_escape::encode_safe(value).into_owned());
    forms.push(html_escape::encode_safe(value).replace("&#x2F;", "&#47;"));
    // base64, at each of the three alignments the value can have inside a longer input
    for engine in [&STANDARD, &URL_SAFE] {
        for offset in 0..3 {
            if let Some(core) = base64_core(engine, value.as_bytes(), offset) {
                forms.push(core);
            }
        }
    }
    forms.retain(|f| f.len() >= MIN_SECRET);
    forms.sort();
    forms.dedup();
    forms
}

/// `%2f` for `%2F`: some servers write percent-escapes in lowercase.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut chars = encoded.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(hex) = chars.next() {
                    out.push(hex.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

/// The base64 characters that depend on `value` alone when it starts `offset` bytes into the
/// encoded input: whatever comes before or after it, the encoding of the whole contains them.
fn base64_core(engine: &base64::engine::GeneralPurpose, value: &[u8], offset: usize) -> Option<String> {
    let mut input = vec![0u8; offset];
    input.extend_from_slice(value);
    let encoded = engine.encode(&input);
    // character i encodes bits 6i..6i+6 of the input; keep those inside the value's bits
    let first = (8 * offset).div_ceil(6);
    let end = (8 * (offset + value.len())) / 6;
    (end > first)
        .then(|| encoded.get(first..end).map(str::to_string))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "pl/anted-secret+Xq7=\"é";

    fn scrubber() -> Scrubber {
        let scrubber = Scrubber::default();
        scrubber.add(SECRET, "<client_secret>");
        scrubber
    }

    #[test]
    fn every_encoding_of_a_secret_is_replaced() {
        let scrubber = scrubber();
        let form: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
        let percent = utf8_percent_encode(SECRET, NON_ALPHANUMERIC).to_string();
        let json = serde_json::to_string(SECRET).unwrap();
        let basic = STANDARD.encode(format!("my-client.apps.example:{SECRET}"));
        let basic_url = URL_SAFE.encode(format!("id:{SECRET}"));
        let alone = STANDARD.encode(SECRET);
        let html = html_escape::encode_safe(SECRET).into_owned();
        for echo in [
            SECRET.to_string(),
            form,
            percent.clone(),
            lower_hex(&percent),
            json.clone(),
            json.replace('/', "\\/"),
            basic,
            basic_url,
            alone,
            html,
        ] {
            let text = format!("error: {echo} (end)");
            let scrubbed = scrubber.scrub(&text);
            assert!(scrubbed.contains("<client_secret>"), "{echo} → {scrubbed}");
            for needle in encodings(SECRET) {
                assert!(!scrubbed.contains(&needle), "{echo} left {needle} in {scrubbed}");
            }
        }
    }

    #[test]
    fn short_values_and_unrelated_text_are_left_alone() {
        let scrubber = scrubber();
        scrubber.add("abc", "<state>");
        assert_eq!(scrubber.scrub("abc is fine"), "abc is fine");
        assert_eq!(format!("{scrubber:?}"), "Scrubber([redacted])");
    }

    #[test]
    fn the_base64_core_is_found_at_every_alignment() {
        for prefix in ["", "a", "ab", "abc:"] {
            let encoded = STANDARD.encode(format!("{prefix}{SECRET}tail"));
            assert!(
                scrubber().scrub(&encoded).contains("<client_secret>"),
                "{prefix:?}: {encoded}"
            );
        }
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn scrubber_example() {
        use super::Scrubber;
        let scrubber = Scrubber::default();
        scrubber.add("1//0g-planted/token+x", "<refresh_token>");
        assert_eq!(
            scrubber.scrub("got 1%2F%2F0g-planted%2Ftoken%2Bx and MS8vMGctcGxhbnRlZC90b2tlbit4"),
            "got <refresh_token> and <refresh_token>"
        );
    }
}
