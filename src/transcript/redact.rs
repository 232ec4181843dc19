//! Stable aliases for secrets and run-specific values: `<refresh_token#1>`, `<client_id:web>`.
//!
//! Aliases are numbered in order of first appearance within a case, so a transcript is the
//! same on every run, machine and concurrency level, and a diff says which token changed.

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

/// Kinds a live run aliases by position, never by equality: a provider may mint byte-identical id_tokens
/// (a JWT of the same claims within the same second, as node oidc-provider does), so whether
/// two are equal depends on timing, not on behaviour. The n-th id_token received is
/// `<id_token#n>`. Refresh and access tokens stay aliased by value: that one came back again
/// (an unrotated refresh token) is behaviour.
const POSITIONAL: &[&str] = &["id_token"];

/// The alias table of one case. It holds the secrets themselves, so its `Debug` shows none.
#[derive(Default, Clone)]
pub struct Aliases {
    by_value: HashMap<String, String>,
    counters: HashMap<String, usize>,
    /// Whether `POSITIONAL` kinds are aliased by position (live runs and their model
    /// predictions); the bundled model snapshots keep aliasing by value.
    positional: bool,
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

    /// Aliases id_tokens by position from now on (see `POSITIONAL`).
    pub fn by_position(&mut self) {
        self.positional = true;
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

    /// A parameter or field value as it may appear in a transcript.
    pub fn field(&mut self, field: &str, value: &str) -> String {
        match SECRET_FIELDS.iter().find(|(name, _)| *name == field) {
            Some((_, kind)) if !value.is_empty() && self.positional && POSITIONAL.contains(kind) => {
                self.mint(kind, value)
            }
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
            if value.len() >= 8 && out.contains(value.as_str()) {
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
    fn id_tokens_are_aliased_by_position_even_when_byte_identical() {
        let mut aliases = Aliases::default();
        assert_eq!(aliases.field("id_token", "eyJ.same.sig"), "<id_token#1>");
        assert_eq!(
            aliases.field("id_token", "eyJ.same.sig"),
            "<id_token#1>",
            "by value unless asked"
        );
        let mut aliases = Aliases::default();
        aliases.by_position();
        assert_eq!(aliases.field("id_token", "eyJ.same.sig"), "<id_token#1>");
        assert_eq!(aliases.field("id_token", "eyJ.same.sig"), "<id_token#2>");
        assert_eq!(aliases.field("refresh_token", "1//same"), "<refresh_token#1>");
        assert_eq!(aliases.field("refresh_token", "1//same"), "<refresh_token#1>");
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
