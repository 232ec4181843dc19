//! Behaviour differences between two provider profiles: every scenario case run under both,
//! side by side (consent screen and refresh_token on the first and repeat grant, errors).
//!
//! A case without a `provider` matrix axis runs once under each profile. For a scenario with a
//! `provider` axis the axis is what is being compared, so it is collapsed: each combination of
//! the *other* axes runs once with `provider` bound to A and once bound to B (also when A or B
//! is not among the axis values), and `when: {provider: …}` steps apply as the scenario says.

use serde::Serialize;

use crate::provider::Registry;
use crate::runner;
use crate::runner::suite::{Suite, SuiteError, display_path};
use crate::scenario::{AxisValue, Case};
use crate::transcript::{RefreshSummary, Transcript};

/// What one case did under one profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Behaviour {
    /// Whether the consent screen was shown on the first and on the repeat authorization.
    pub consent_screen: RefreshSummary,
    /// Whether a refresh token came back on the first and on the repeat grant.
    pub refresh_token: RefreshSummary,
    /// Every error response, as `step #n: status error: description`.
    pub errors: Vec<String>,
    /// A problem that stopped the case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// An aspect of behaviour that can differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    ConsentScreen,
    RefreshToken,
    Errors,
}

/// One case under both profiles.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `scenario name [axis=value, …]` without the provider axis.
    pub case: String,
    pub scenario: String,
    pub file: String,
    pub a: Behaviour,
    pub b: Behaviour,
    /// The aspects that differ; empty when both behave the same.
    pub differs: Vec<Aspect>,
}

/// The whole comparison, rows in scenario and matrix order.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub a: String,
    pub b: String,
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Whether any case behaves differently.
    pub fn differs(&self) -> bool {
        self.rows.iter().any(|r| !r.differs.is_empty())
    }
}

/// Runs every case of `suite` under profiles `a` and `b` on the model and compares them.
pub async fn compare(suite: &Suite, registry: &Registry, a: &str, b: &str) -> Result<Comparison, SuiteError> {
    let mut keys: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut pairs: Vec<(String, Case, Case)> = Vec::new();
    for case in &suite.cases {
        let others: Vec<(String, String)> = case
            .bindings
            .iter()
            .filter(|(axis, _)| axis != "provider")
            .map(|(axis, v)| (axis.clone(), v.name()))
            .collect();
        let key = (case.scenario.path.display().to_string(), others.clone());
        if keys.contains(&key) {
            continue;
        }
        keys.push(key);
        let label = if others.is_empty() {
            case.scenario.file.name.clone()
        } else {
            let values: Vec<String> = others.iter().map(|(axis, value)| format!("{axis}={value}")).collect();
            format!("{} [{}]", case.scenario.file.name, values.join(", "))
        };
        pairs.push((label.clone(), under(case, a, &label), under(case, b, &label)));
    }
    let cases: Vec<Case> = pairs.iter().flat_map(|(_, x, y)| [x.clone(), y.clone()]).collect();
    let profiles = runner::profiles_for(&cases, registry)?;
    let runs = runner::run_all_on_model(&cases, &profiles).await;
    let rows = pairs
        .iter()
        .zip(runs.chunks(2))
        .map(|((label, case, _), runs)| {
            let behaviour = |i: usize| {
                runs.get(i)
                    .map(|r| behaviour(&r.transcript, r.fault.clone()))
                    .unwrap_or_default()
            };
            let (a, b) = (behaviour(0), behaviour(1));
            let mut differs = Vec::new();
            if a.consent_screen != b.consent_screen {
                differs.push(Aspect::ConsentScreen);
            }
            if a.refresh_token != b.refresh_token {
                differs.push(Aspect::RefreshToken);
            }
            if a.errors != b.errors || a.fault != b.fault {
                differs.push(Aspect::Errors);
            }
            Row {
                case: label.clone(),
                scenario: case.scenario.file.name.clone(),
                file: display_path(&case.scenario.path),
                a,
                b,
                differs,
            }
        })
        .collect();
    Ok(Comparison {
        a: a.to_string(),
        b: b.to_string(),
        rows,
    })
}

/// The case bound to `provider`, whether or not its scenario has a provider axis.
fn under(case: &Case, provider: &str, label: &str) -> Case {
    let mut case = case.clone();
    case.provider = provider.to_string();
    for (axis, value) in &mut case.bindings {
        if axis == "provider" {
            *value = AxisValue::Scalar(provider.to_string());
        }
    }
    case.name = format!("{label} under {provider}");
    case
}

/// Reads the behaviour off a transcript.
pub fn behaviour(transcript: &Transcript, fault: Option<String>) -> Behaviour {
    let consent: Vec<Option<bool>> = transcript
        .steps()
        .iter()
        .filter(|s| s.step == "authorize" && s.response.is_some())
        .map(|s| s.consent_screen.as_deref().map(|c| c == "shown"))
        .collect();
    let mut counts = std::collections::BTreeMap::new();
    let mut errors = Vec::new();
    for step in transcript.steps() {
        let n = counts.entry(step.step.as_str()).or_insert(0);
        *n += 1;
        if let Some(response) = &step.response
            && let Some(error) = &response.error
        {
            let description = response
                .error_description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            errors.push(format!("{} #{n}: {} {error}{description}", step.step, response.status));
        }
    }
    Behaviour {
        consent_screen: RefreshSummary {
            first_grant: consent.first().copied().flatten(),
            repeat_grant: consent.get(1).copied().flatten(),
        },
        refresh_token: transcript.refresh_summary(),
        errors,
        fault,
    }
}
