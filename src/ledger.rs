//! The known-drift ledger: drifts the team has seen, explained and accepted until a date.
//!
//! A listed drift that happens as described turns into a pass with a note; a listed drift that
//! no longer happens, or whose entry has expired, fails, so a quietly reverted provider change
//! is noticed too. The file is strict input: unknown keys and bad values are located errors.
//! `crate::runner::judge::apply_ledger` applies it to any report (`run` and `probe` alike).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::scenario::{ScenarioError, item_lines};

/// The ledger file used when `--ledger` is not given and the file exists.
pub const DEFAULT_FILE: &str = "known-drift.yaml";

/// A parsed ledger.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// The path as the user named it.
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

/// One known drift.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The case: its full name (`scenario [axis=value, …]`) or its snapshot name (slug).
    #[serde(deserialize_with = "non_empty")]
    pub case: String,
    /// What the provider does now, in words (shown in reports).
    #[serde(deserialize_with = "non_empty")]
    pub observed: String,
    /// Optional check that the drift is the one described: the refresh_token the case saw.
    #[serde(default)]
    pub refresh_token: Option<RefreshTokenCheck>,
    /// Why this is accepted for now.
    #[serde(deserialize_with = "non_empty")]
    pub reason: String,
    /// Where to read more: an issue, a changelog entry (http or https URL).
    #[serde(deserialize_with = "http_url")]
    pub link: String,
    /// The last day the entry holds (`YYYY-MM-DD`); after it, the case fails until renewed.
    pub expires: jiff::civil::Date,
    /// The 1-based line of the entry in the file.
    #[serde(skip)]
    pub line: usize,
}

/// The refresh_token observations a known drift must match; unset fields are not checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshTokenCheck {
    #[serde(default)]
    pub first_grant: Option<bool>,
    #[serde(default)]
    pub repeat_grant: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerFile {
    #[serde(default)]
    drifts: Vec<Entry>,
}

/// A problem with the ledger file, located as `path:line:column` (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct LedgerError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl From<ScenarioError> for LedgerError {
    fn from(e: ScenarioError) -> Self {
        Self {
            path: e.path,
            line: e.line,
            column: e.column,
            message: e.message,
        }
    }
}

impl Ledger {
    /// Reads and parses a ledger file.
    pub fn load(path: &Path) -> Result<Self, LedgerError> {
        let text = crate::limits::read_bounded_text(path).map_err(|e| LedgerError {
            path: path.to_owned(),
            line: 1,
            column: 1,
            message: format!("cannot read file: {e}"),
        })?;
        Self::parse(path, &text)
    }

    /// Parses ledger text; an empty file is an empty ledger.
    pub fn parse(path: &Path, text: &str) -> Result<Self, LedgerError> {
        let meaningful = text.lines().any(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#') && l != "---"
        });
        if !meaningful {
            return Ok(Self {
                path: path.to_owned(),
                entries: Vec::new(),
            });
        }
        if let Err(deep) = crate::limits::check_yaml_depth(text) {
            return Err(LedgerError {
                path: path.to_owned(),
                line: deep.line,
                column: deep.column,
                message: deep.message(),
            });
        }
        let file: LedgerFile =
            serde_yaml::from_str(text).map_err(|e| LedgerError::from(ScenarioError::from_yaml(path, &e)))?;
        let lines = item_lines(text, "drifts:", file.drifts.len());
        let mut entries = file.drifts;
        for (entry, line) in entries.iter_mut().zip(lines) {
            entry.line = line;
        }
        // one pass with an index: a ledger of 100k entries is checked in linear time
        let mut first_line: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for entry in &entries {
            if let Some(first) = first_line.insert(entry.case.as_str(), entry.line) {
                return Err(LedgerError {
                    path: path.to_owned(),
                    line: entry.line,
                    column: 1,
                    message: format!(
                        "case `{}` is already listed at line {first}; keep one entry per case",
                        entry.case
                    ),
                });
            }
        }
        Ok(Self {
            path: path.to_owned(),
            entries,
        })
    }
}

impl Entry {
    /// Whether the entry is past its expiry date on `today`.
    pub fn expired(&self, today: jiff::civil::Date) -> bool {
        today > self.expires
    }
}

/// Today's date in UTC: the clock expiry dates are read against.
pub fn today() -> jiff::civil::Date {
    jiff::tz::Offset::UTC.to_datetime(jiff::Timestamp::now()).date()
}

/// A string checked while it is read, so that serde_yaml locates the error at the value.
struct Checked(fn(&str) -> Result<(), String>);

impl<'de> de::Visitor<'de> for Checked {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        (self.0)(value).map(|()| value.to_string()).map_err(E::custom)
    }
}

fn non_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_str(Checked(|value| {
        if value.trim().is_empty() {
            Err("must not be empty".into())
        } else {
            Ok(())
        }
    }))
}

fn http_url<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_str(Checked(|value| match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(()),
        Ok(url) => Err(format!("link must be an http(s) URL, not {}:", url.scheme())),
        Err(e) => Err(format!("link is not a URL ({e})")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Ledger, LedgerError> {
        Ledger::parse(Path::new("known-drift.yaml"), text)
    }

    const ENTRY: &str = "drifts:\n  - case: seed__provider-google\n    observed: repeat grant has no refresh_token\n    reason: google ignores approval_prompt\n    link: https://example.com/issue/1\n    expires: 2030-01-31\n";

    #[test]
    fn an_entry_parses_with_its_line() {
        let ledger = parse(&format!("# known drifts\n{ENTRY}")).unwrap();
        assert_eq!(ledger.entries.len(), 1);
        assert_eq!(ledger.entries[0].line, 3);
        assert_eq!(ledger.entries[0].expires, jiff::civil::date(2030, 1, 31));
    }

    #[test]
    fn an_empty_file_is_an_empty_ledger() {
        assert!(parse("# nothing yet\n").unwrap().entries.is_empty());
    }

    #[test]
    fn an_unknown_key_is_located_and_suggests_the_closest() {
        let err = parse(&ENTRY.replace("reason:", "reasn:")).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        assert!(err.message.contains("did you mean `reason`?"), "{err}");
    }

    #[test]
    fn a_bad_date_is_located() {
        let err = parse(&ENTRY.replace("2030-01-31", "2030-02-30")).unwrap_err();
        assert_eq!(err.line, 6, "{err}");
    }

    #[test]
    fn a_link_must_be_an_http_url() {
        let err = parse(&ENTRY.replace("https://example.com/issue/1", "see slack")).unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        assert!(err.message.contains("not a URL"), "{err}");
    }

    #[test]
    fn a_missing_field_is_an_error() {
        let err = parse(&ENTRY.replace("    expires: 2030-01-31\n", "")).unwrap_err();
        assert!(err.message.contains("missing field `expires`"), "{err}");
    }

    #[test]
    fn a_case_listed_twice_is_an_error_at_the_second_entry() {
        let twice = format!("{ENTRY}{}", &ENTRY["drifts:\n".len()..]);
        let err = parse(&twice).unwrap_err();
        assert_eq!(err.line, 7, "{err}");
    }

    #[test]
    fn an_entry_expires_after_its_last_day() {
        let entry = &parse(ENTRY).unwrap().entries[0];
        assert!(!entry.expired(jiff::civil::date(2030, 1, 31)));
        assert!(entry.expired(jiff::civil::date(2030, 2, 1)));
    }
}
