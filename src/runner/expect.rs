//! Checking a step's `expect:` against what the previous action observed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::scenario::{Expect, Presence, Shown};

/// What an action saw, unredacted; it never leaves the runner.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub status: u16,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// JSON body fields or redirect parameters.
    pub fields: BTreeMap<String, Value>,
    /// Why nothing was observed (the step could not be sent).
    pub skipped: Option<String>,
}

impl Observed {
    pub fn nothing(reason: &str) -> Self {
        Self {
            skipped: Some(reason.to_string()),
            ..Default::default()
        }
    }
}

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The line of the `expect` step in the scenario file.
    pub line: usize,
    /// What was checked (`refresh_token`, `status`, …).
    pub expectation: String,
    pub expected: String,
    pub actual: String,
    pub because: Option<String>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: expected {} {}, got {}",
            self.line, self.expectation, self.expected, self.actual
        )?;
        if let Some(because) = &self.because {
            write!(f, " (because: {because})")?;
        }
        Ok(())
    }
}

/// Checks every expectation in `expect`; secrets never reach a message (only presence does).
pub fn check(expect: &Expect, last: Option<&Observed>, consent_screen: Option<bool>, line: usize) -> Vec<Failure> {
    let mut failures = Vec::new();
    let mut fail = |expectation: &str, expected: String, actual: String| {
        failures.push(Failure {
            line,
            expectation: expectation.into(),
            expected,
            actual,
            because: expect.because.clone(),
        });
    };
    let nothing = Observed::nothing("no earlier step sent a request");
    let last = last.unwrap_or(&nothing);
    let actual_or_skip = |actual: String| match &last.skipped {
        Some(reason) => format!("nothing ({reason})"),
        None => actual,
    };
    if let Some(status) = expect.status
        && last.status != status
    {
        fail("status", status.to_string(), actual_or_skip(last.status.to_string()));
    }
    if let Some(error) = &expect.error {
        let actual = last.error.clone().unwrap_or_else(|| "none".into());
        if *error != actual {
            fail("error", error.clone(), actual_or_skip(actual));
        }
    }
    if let Some(description) = &expect.error_description {
        let actual = last.error_description.clone().unwrap_or_default();
        if *description != actual {
            fail(
                "error_description",
                format!("{description:?}"),
                actual_or_skip(format!("{actual:?}")),
            );
        }
    }
    if let Some(presence) = expect.refresh_token {
        let present = last.fields.contains_key("refresh_token");
        if present != (presence == Presence::Present) {
            fail(
                "refresh_token",
                presence_word(presence == Presence::Present),
                actual_or_skip(presence_word(present)),
            );
        }
    }
    if let Some(shown) = expect.consent_screen {
        let want = shown == Shown::Shown;
        match consent_screen {
            Some(actual) if actual == want => {}
            Some(actual) => fail("consent_screen", shown_word(want), shown_word(actual)),
            None => fail(
                "consent_screen",
                shown_word(want),
                "unknown (the provider does not say)".into(),
            ),
        }
    }
    if let Some(scope) = &expect.scope {
        let want: BTreeSet<&str> = scope.split_whitespace().collect();
        let actual = last.fields.get("scope").and_then(Value::as_str).unwrap_or("");
        if want != actual.split_whitespace().collect::<BTreeSet<_>>() {
            fail("scope", format!("{scope:?}"), actual_or_skip(format!("{actual:?}")));
        }
    }
    for field in &expect.fields.present {
        if !last.fields.contains_key(field) {
            fail(
                &format!("field {field}"),
                "present".into(),
                actual_or_skip("absent".into()),
            );
        }
    }
    for field in &expect.fields.absent {
        if last.fields.contains_key(field) {
            fail(&format!("field {field}"), "absent".into(), "present".into());
        }
    }
    for (name, want) in [
        ("expires_in", expect.expires_in),
        ("refresh_token_expires_in", expect.refresh_token_expires_in),
    ] {
        if let Some(want) = want {
            let actual = last.fields.get(name).and_then(number);
            if actual != Some(want) {
                let actual = actual.map(|n| n.to_string()).unwrap_or_else(|| "absent".into());
                fail(name, want.to_string(), actual_or_skip(actual));
            }
        }
    }
    failures
}

/// A number, or a string holding one (some providers send `"3599"`).
fn number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

fn presence_word(present: bool) -> String {
    if present { "present".into() } else { "absent".into() }
}

fn shown_word(shown: bool) -> String {
    if shown { "shown".into() } else { "skipped".into() }
}
