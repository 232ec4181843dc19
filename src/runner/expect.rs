//! Checking a step's `expect:` against what the previous action observed.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::scenario::{Expect, Presence, Shown, ValueCheck, ValueTest};

/// Values `capture:` remembered, by name (`None`: the value was absent).
pub type Captured = BTreeMap<String, Option<String>>;

/// What an action saw, unredacted; it never leaves the runner.
#[derive(Debug, Clone, Default)]
pub struct StepObservation {
    pub status: u16,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// JSON body fields or redirect parameters.
    pub fields: BTreeMap<String, Value>,
    /// Why nothing was observed (the step could not be sent).
    pub skipped: Option<String>,
    /// Response headers, names lowercased (token, revoke, userinfo and discovery answers).
    pub headers: BTreeMap<String, String>,
}

impl StepObservation {
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
pub fn check(
    expect: &Expect,
    last: Option<&StepObservation>,
    consent_screen: Option<bool>,
    line: usize,
    captured: &mut Captured,
) -> Vec<Failure> {
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
    let nothing = StepObservation::nothing("no earlier step sent a request");
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
        // `any`: some error, whichever
        let holds = if error == "any" {
            actual != "none"
        } else {
            *error == actual
        };
        if !holds {
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
    for (what, value_check) in &expect.values {
        let actual = value_of(last, what);
        if let Some(problem) = value_problem(value_check, actual.as_deref(), captured) {
            let shown = match &actual {
                _ if is_secret(what) => "a value (not shown: a secret)".to_string(),
                Some(value) => format!("{value:?}"),
                None => "absent".into(),
            };
            fail(what, problem, actual_or_skip(shown));
        }
    }
    for (name, what) in &expect.capture {
        captured.insert(name.clone(), value_of(last, what));
    }
    failures
}

/// What a `values:` or `capture:` key names in a response, as text.
pub fn value_of(last: &StepObservation, what: &str) -> Option<String> {
    if what == "status" {
        return Some(last.status.to_string());
    }
    if let Some(name) = what.strip_prefix("header.") {
        return last.headers.get(&name.to_ascii_lowercase()).cloned();
    }
    if let Some(claim) = what.strip_prefix("id_token.") {
        let token = last.fields.get("id_token")?.as_str()?;
        let payload = URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?;
        let claims: Value = serde_json::from_slice(&payload).ok()?;
        return claims.get(claim).map(text);
    }
    match what {
        "error" => last.error.clone(),
        "error_description" => last.error_description.clone(),
        _ => last.fields.get(what).map(text),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Names whose values are secrets: a failure says a value was there, never what it was.
fn is_secret(what: &str) -> bool {
    let name = what.rsplit('.').next().unwrap_or(what);
    matches!(
        name,
        "access_token"
            | "refresh_token"
            | "id_token"
            | "code"
            | "client_secret"
            | "code_verifier"
            | "device_code"
            | "state"
            | "nonce"
            | "at_hash"
            | "authorization"
            | "set-cookie"
            | "location"
    )
}

/// Why a value check fails (what was expected), or None when it holds.
fn value_problem(check: &ValueCheck, actual: Option<&str>, captured: &Captured) -> Option<String> {
    let (holds, wanted) = match &check.test {
        ValueTest::Equals(want) => (actual == Some(want.as_str()), format!("{want:?}")),
        ValueTest::Matches(regex) => (actual.is_some_and(|a| regex.is_match(a)), format!("to match /{regex}/")),
        ValueTest::SameAs(name) => match captured.get(name) {
            None => {
                return Some(format!(
                    "the value captured as `{name}` (nothing was captured under that name)"
                ));
            }
            Some(remembered) => (
                remembered.is_some() && remembered.as_deref() == actual,
                format!("the value captured as `{name}`"),
            ),
        },
    };
    match (holds, check.negated) {
        (true, false) | (false, true) => None,
        (false, false) => Some(wanted),
        (true, true) => Some(format!("not {wanted}")),
    }
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
