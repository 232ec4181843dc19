//! Stable aliases for secrets and run-specific values: `<refresh_token#1>`, `<client_id:web>`.
//!
//! Aliases are numbered in order of first appearance within a case (live runs: tokens in
//! order of receipt, see `POSITIONAL`), so a transcript is the same on every run, machine and
//! concurrency level, and a diff says which token changed.

use std::collections::HashMap;

/// Parameter and field names whose values are secrets or vary between runs.
const SECRET_FIELDS: &[(&str, &str)] = &[
    ("access_token", "access_token"),
    ("refresh_token", "refresh_token"),
    ("id_token", "id_token"),
    ("code", "code"),
    ("client_secret", "client_secret"),
    ("code_verifier", "code_verifier"),
    ("code_challenge", "code_challenge"),
    ("state", "state"),
    ("nonce", "nonce"),
    ("token", "token"),
    ("device_code", "device_code"),
    ("assertion", "assertion"),
    ("password", "password"),
];

/// Kinds a live run aliases by role and position, never by equality: the n-th id_token,
/// access token or refresh token *received* is `<kind#n>`, whatever its bytes. A provider may
/// mint byte-identical tokens (a JWT of the same claims within the same second, as node
/// oidc-provider does for id_tokens), so whether two received tokens are equal depends on
/// timing, not on behaviour, and aliasing them by value made live snapshots flap.
///
/// One equality is behaviour and is kept: a token the provider sends back in answer to the
/// request that carried it (an unrotated refresh token repeated in the refresh response,
/// RFC 6749 §5.1) keeps the alias it was sent with. A token *sent* is looked up by value: it
/// is the one a step picked from what an earlier step received.
const POSITIONAL: &[&str] = &["id_token", "access_token", "refresh_token"];

/// The alias table of one case. It holds the secrets themselves, so its `Debug` shows none.
#[derive(Default, Clone)]
pub struct Aliases {
    by_value: HashMap<String, String>,
    counters: HashMap<String, usize>,
    /// Whether `POSITIONAL` kinds are aliased by position (live runs and their model
    /// predictions); the bundled model snapshots keep aliasing by value.
    positional: bool,
    /// The values the current request sent: a received token equal to one of them is an echo.
    sent: Vec<String>,
}

impl std::fmt::Debug for Aliases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Aliases({} values, [redacted])", self.by_value.len())
    }
}

impl Aliases {
    /// Every aliased value that is a secret (all but client ids), with its alias.
    pub fn secrets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_value
            .iter()
            .filter(|(_, alias)| !alias.starts_with("<client_id"))
            .map(|(value, alias)| (value.as_str(), alias.as_str()))
    }

    /// Aliases received tokens by role and position from now on (see `POSITIONAL`).
    pub fn by_position(&mut self) {
        self.positional = true;
    }

    /// The values the request about to be answered carries (its form or query values); a
    /// received token equal to one of them is that token sent back, not a new one.
    pub fn sending<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        self.sent = values.into_iter().map(str::to_string).collect();
    }

    /// A response field's value as it may appear in a transcript: like [`Aliases::field`],
    /// except that in positional mode a token kind gets a new `<kind#n>` for every one received
    /// (unless it is the token the request sent).
    pub fn received(&mut self, field: &str, value: &str) -> String {
        match SECRET_FIELDS.iter().find(|(name, _)| *name == field) {
            Some((_, kind)) if !value.is_empty() && self.positional && POSITIONAL.contains(kind) => {
                match self.by_value.get(value) {
                    Some(alias) if self.sent.iter().any(|s| s == value) => alias.clone(),
                    _ => self.mint(kind, value),
                }
            }
            _ => self.field(field, value),
        }
    }

    /// Names a value in advance (`client_id` → `<client_id:web>`).
    pub fn name(&mut self, value: &str, alias: String) {
        if !value.is_empty() {
            self.by_value.insert(value.to_string(), alias);
        }
    }

    /// The alias of `value` as a `kind`, minting `<kind#n>` on first sight.
    pub fn alias(&mut self, kind: &str, value: &str) -> String {
        if let Some(alias) = self.by_value.get(value) {
            return alias.clone();
        }
        let n = self.counters.entry(kind.to_string()).or_default();
        *n += 1;
        let alias = format!("<{kind}#{n}>");
        self.by_value.insert(value.to_string(), alias.clone());
        alias
    }

    /// A parameter or field value as it may appear in a transcript: a secret gets its alias
    /// (the one it was received with, or a new `<kind#n>` on first sight).
    pub fn field(&mut self, field: &str, value: &str) -> String {
        match SECRET_FIELDS.iter().find(|(name, _)| *name == field) {
            Some((_, kind)) if !value.is_empty() => self.alias(kind, value),
            _ => self.scrub(value),
        }
    }

    /// A new `<kind#n>` for this occurrence, whatever came before: by role and position.
    fn mint(&mut self, kind: &str, value: &str) -> String {
        let n = self.counters.entry(kind.to_string()).or_default();
        *n += 1;
        let alias = format!("<{kind}#{n}>");
        self.by_value.insert(value.to_string(), alias.clone());
        alias
    }

    /// Replaces every known secret inside free text (an error message echoing a token).
    pub fn scrub(&self, text: &str) -> String {
        if let Some(alias) = self.by_value.get(text) {
            return alias.clone();
        }
        let mut out = text.to_string();
        for (value, alias) in &self.by_value {
            // a secret longer than the text cannot be in it: checked first, since `contains`
            // prepares a search of the whole needle (an id_token is a kilobyte) before looking
            if value.len() >= 8 && value.len() <= out.len() && out.contains(value.as_str()) {
                out = out.replace(value.as_str(), alias);
            }
        }
        out
    }

    /// Whether a field's value is a secret that must never be shown.
    pub fn is_secret_field(field: &str) -> bool {
        SECRET_FIELDS.iter().any(|(name, _)| *name == field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_value_gets_the_same_alias() {
        let mut aliases = Aliases::default();
        assert_eq!(aliases.field("refresh_token", "1//abc"), "<refresh_token#1>");
        assert_eq!(aliases.field("refresh_token", "1//def"), "<refresh_token#2>");
        assert_eq!(aliases.field("token", "1//abc"), "<refresh_token#1>");
    }

    #[test]
    fn received_tokens_are_aliased_by_position_even_when_byte_identical() {
        let mut aliases = Aliases::default();
        assert_eq!(aliases.received("id_token", "eyJ.same.sig"), "<id_token#1>");
        assert_eq!(
            aliases.received("id_token", "eyJ.same.sig"),
            "<id_token#1>",
            "by value unless asked"
        );
        let mut aliases = Aliases::default();
        aliases.by_position();
        for kind in ["id_token", "access_token", "refresh_token"] {
            assert_eq!(aliases.received(kind, "same-bytes"), format!("<{kind}#1>"));
            assert_eq!(aliases.received(kind, "same-bytes"), format!("<{kind}#2>"));
            // a second pass over the same response (canonical field order) finds the alias
            assert_eq!(aliases.field(kind, "same-bytes"), format!("<{kind}#2>"));
        }
    }

    #[test]
    fn a_token_sent_back_in_answer_to_its_own_request_keeps_its_alias() {
        let mut aliases = Aliases::default();
        aliases.by_position();
        assert_eq!(aliases.received("refresh_token", "1//first"), "<refresh_token#1>");
        assert_eq!(aliases.received("access_token", "ya.first"), "<access_token#1>");
        // the refresh request sends the first refresh token; the answer repeats it
        aliases.sending(["refresh_token", "1//first"]);
        assert_eq!(aliases.field("refresh_token", "1//first"), "<refresh_token#1>");
        assert_eq!(aliases.received("refresh_token", "1//first"), "<refresh_token#1>");
        assert_eq!(aliases.received("access_token", "ya.second"), "<access_token#2>");
        // equal to an earlier token but not sent in this request: a new one by position
        aliases.sending([]);
        assert_eq!(aliases.received("access_token", "ya.first"), "<access_token#3>");
    }

    #[test]
    fn known_secrets_are_scrubbed_from_free_text() {
        let mut aliases = Aliases::default();
        aliases.name("s3cr3t-value", "<client_secret:web>".into());
        assert_eq!(
            aliases.scrub("bad secret s3cr3t-value here"),
            "bad secret <client_secret:web> here"
        );
        assert_eq!(aliases.field("scope", "email"), "email");
    }
}
