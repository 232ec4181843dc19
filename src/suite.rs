//! A run of scenarios against the in-process model: load, filter, run, compare snapshots,
//! and turn it all into a report, and apply the known-drift ledger. `run`, `compare`, `probe`
//! and the tests share it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ledger::Ledger;
use crate::provider::Registry;
use crate::report::{Accept, CaseReport, KnownDrift, LedgerStatus, Outcome, Report};
use crate::runner::{self, CaseRun};
use crate::scenario::{self, Case, ScenarioError};
use crate::snapshot::{Comparison, Selection, SnapshotMeta, SnapshotStore, stem_for};

/// The loaded cases of a set of scenario paths, and the files that failed to load.
#[derive(Debug, Default)]
pub struct Suite {
    pub cases: Vec<Case>,
    pub errors: Vec<ScenarioError>,
    /// The snapshot stem of every file that loaded.
    pub stems: Vec<String>,
    /// Whether `--filter` left cases out.
    pub filtered: bool,
    /// What the run covers: an accepted snapshot in it that no case produces is an orphan.
    pub selection: Selection,
    /// Located warnings about the loaded cases (an authorization parameter the provider does
    /// not know, with a "did you mean").
    pub warnings: Vec<String>,
    /// The scenarios are the ones bundled in the binary.
    pub bundled: bool,
    /// Keep each case's rendered transcript in its report (`run -v` prints them). Off, a
    /// transcript lives only until its case is judged, so a run's memory follows the cases
    /// running at once, not the size of the corpus.
    pub keep_transcripts: bool,
}

/// Where the scenarios of a run come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Corpus {
    /// Files and directories named on the command line (or `./scenarios`).
    Paths(Vec<PathBuf>),
    /// The corpus bundled in the binary (see [`crate::bundled`]).
    Bundled,
}

impl Corpus {
    /// The paths given; with none, `./scenarios` when it is a directory, else the bundled corpus.
    pub fn choose(paths: &[PathBuf]) -> Self {
        if !paths.is_empty() {
            Corpus::Paths(paths.to_vec())
        } else if Path::new(crate::bundled::SCENARIO_DIR).is_dir() {
            Corpus::Paths(vec![PathBuf::from(crate::bundled::SCENARIO_DIR)])
        } else {
            Corpus::Bundled
        }
    }
}

/// Why a run could not start at all (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error("no case matches the filter `{0}`")]
    NoMatch(String),
    #[error("no scenario files found in {0}")]
    Empty(String),
    #[error(transparent)]
    Input(#[from] ScenarioError),
    #[error(transparent)]
    Profile(#[from] crate::provider::ProfileError),
}

/// Loads every scenario under `paths`; a file that fails is recorded and the rest still load.
pub fn load(paths: &[PathBuf], registry: &Registry, filter: Option<&str>) -> Result<Suite, SuiteError> {
    load_corpus(&Corpus::Paths(paths.to_vec()), registry, filter)
}

/// Loads the scenarios of `corpus`; a file that fails is recorded and the rest still load.
pub fn load_corpus(corpus: &Corpus, registry: &Registry, filter: Option<&str>) -> Result<Suite, SuiteError> {
    let mut suite = Suite::default();
    let loaded: Vec<(PathBuf, Result<scenario::Scenario, ScenarioError>)> = match corpus {
        Corpus::Paths(paths) => {
            let files = scenario::discover(paths)?;
            if files.is_empty() {
                let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                return Err(SuiteError::Empty(named.join(", ")));
            }
            suite.selection.prefixes = paths.iter().map(|p| stem_for(p)).collect();
            files
                .into_iter()
                .map(|file| {
                    let loaded = scenario::load_file(&file, registry);
                    (file, loaded)
                })
                .collect()
        }
        Corpus::Bundled => {
            suite.bundled = true;
            suite.selection.prefixes = vec![String::new()];
            crate::bundled::scenarios()
                .into_iter()
                .map(|(path, text)| {
                    let loaded = scenario::parse(&path, text, registry);
                    (path, loaded)
                })
                .collect()
        }
    };
    for (file, loaded) in loaded {
        match loaded {
            Ok(loaded) => {
                let stem = stem_for(&file);
                suite.cases.extend(scenario::expand(&Arc::new(loaded), &stem));
                suite.stems.push(stem);
            }
            Err(error) => suite.errors.push(error),
        }
    }
    if let Some(filter) = filter {
        let total = suite.cases.len();
        suite
            .cases
            .retain(|c| c.name.contains(filter) || c.slug.contains(filter));
        suite.filtered = suite.cases.len() < total;
        suite.selection.filter = Some(filter.to_string());
        if total > 0 && suite.cases.is_empty() {
            return Err(SuiteError::NoMatch(filter.to_string()));
        }
    }
    suite.warnings = parameter_warnings(&suite.cases, registry);
    let mut seen = std::collections::HashSet::new();
    for case in &suite.cases {
        if !seen.insert(case.slug.clone()) {
            let path = case.scenario.path.clone();
            return Err(ScenarioError {
                path,
                line: 1,
                column: 1,
                message: format!(
                    "two cases share the snapshot name `{}`; rename a matrix value",
                    case.slug
                ),
            }
            .into());
        }
    }
    Ok(suite)
}

/// One warning per authorize step, parameter and provider where a case sends a parameter its
/// provider profile does not list (`authorize.parameters`), unless the scenario lists it
/// under `unknown_parameters:`. A typo such as `acess_type` is otherwise sent silently and
/// ignored, so offline access is never asked for.
/// (`run --provider` and `probe` set a case's provider after loading: they call it again.)
pub fn parameter_warnings(cases: &[Case], registry: &Registry) -> Vec<String> {
    use crate::scenario::{Action, AxisValue};
    let mut profiles = std::collections::HashMap::new();
    // (parameter, provider) → the places that send it, in order, each once
    let mut found: Vec<((String, String, String), Vec<String>)> = Vec::new();
    for case in cases {
        let Some(profile) = profiles
            .entry(case.provider.clone())
            .or_insert_with(|| registry.load(&case.provider).ok())
            .as_ref()
        else {
            continue;
        };
        let known = &profile.authorize.parameters;
        if known.is_empty() {
            continue;
        }
        let file = &case.scenario.file;
        // steps inside a `repeat` block too, each once
        let mut seen = std::collections::HashSet::new();
        for (index, step) in crate::scenario::unrolled(&file.steps) {
            if !seen.insert(std::ptr::from_ref(step)) {
                continue;
            }
            // a step whose `when:` leaves this case out sends nothing to this provider
            let Action::Authorize(authorize) = &step.action else {
                continue;
            };
            if !crate::runner::step_applies(step, case) {
                continue;
            }
            let mut names: Vec<&str> = authorize
                .params
                .iter()
                .filter(|(_, value)| value.is_some())
                .map(|(name, _)| name.as_str())
                .collect();
            for axis in &authorize.with {
                if let Some(AxisValue::Params(params)) = case.binding(axis) {
                    names.extend(params.iter().filter(|(_, v)| v.is_some()).map(|(k, _)| k.as_str()));
                }
            }
            for name in names {
                if known.iter().any(|k| k == name) || file.unknown_parameters.iter().any(|k| k == name) {
                    continue;
                }
                let line = case.scenario.step_lines.get(index).copied().unwrap_or(1);
                let place = format!("{}:{line}", display_path(&case.scenario.path));
                let hint = crate::provider::closest(name, known.iter().map(String::as_str))
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                let key = (name.to_string(), case.provider.clone(), hint);
                match found.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, places)) if places.contains(&place) => {}
                    Some((_, places)) => places.push(place),
                    None => found.push((key, vec![place])),
                }
            }
        }
    }
    // one line per parameter and provider: a run under another profile (`--provider oidc`
    // over Google scenarios) names each foreign parameter once, not at every step
    const SHOWN: usize = 3;
    found
        .into_iter()
        .map(|((name, provider, hint), places)| {
            let at = match places.as_slice() {
                [one] => format!("{one}: "),
                many => {
                    let more = many.len().saturating_sub(SHOWN);
                    let mut listed = many[..many.len().min(SHOWN)].join(", ");
                    if more > 0 {
                        listed.push_str(&format!(" and {more} more"));
                    }
                    format!("{} ({listed}): ", crate::report::count(many.len(), "step"))
                }
            };
            format!(
                "{at}unknown authorization parameter `{name}` for `{provider}`{hint} (sent as written, and ignored; list it under `unknown_parameters:` to send it on purpose)"
            )
        })
        .collect()
}

/// How `run` treats snapshots.
#[derive(Debug, Clone)]
pub struct SnapshotPolicy {
    pub store: SnapshotStore,
    /// Take every new transcript as the accepted snapshot.
    pub accept: bool,
    /// Write files at all (false when `CI` is set: insta's rule).
    pub write: bool,
}

/// Runs the suite on the model and builds the report.
pub async fn run_on_model(
    suite: &Suite,
    registry: &Registry,
    snapshots: Option<&SnapshotPolicy>,
) -> Result<Report, SuiteError> {
    let profiles = runner::profiles_for(&suite.cases, registry)?;
    // each case is judged (its snapshot compared) on the task that ran it, as soon as it
    // finishes: judging runs in parallel, and no transcript outlives its case
    let policy = snapshots.cloned();
    let keep = suite.keep_transcripts;
    let judged = runner::run_each_on_model(&suite.cases, &profiles, move |_, case, run| {
        let mut notes = Vec::new();
        let mut report = judge(case, &run, policy.as_ref(), &mut notes);
        if !keep {
            report.transcript = None;
        }
        (report, notes)
    })
    .await;
    let mut report = Report {
        input_errors: suite.errors.clone(),
        warnings: suite.warnings.clone(),
        ..Default::default()
    };
    for (case, notes) in judged {
        report.cases.push(case);
        report.notes.extend(notes);
    }
    // a file that did not load produces nothing: its snapshots are not orphans
    if let Some(policy) = snapshots
        && suite.errors.is_empty()
    {
        report.orphans = policy
            .store
            .orphans(&suite.selection, suite.cases.iter().map(|c| c.slug.as_str()));
    }
    Ok(report)
}

/// The scenario path as shown in reports: relative to the working directory when possible.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd).unwrap_or(path).display().to_string()
}

/// Decides a case's outcome from its expectations and its snapshot.
pub fn judge(case: &Case, run: &CaseRun, snapshots: Option<&SnapshotPolicy>, notes: &mut Vec<String>) -> CaseReport {
    let file = display_path(&case.scenario.path);
    let mut report = CaseReport {
        name: case.name.clone(),
        file: file.clone(),
        line: 1,
        provider: case.provider.clone(),
        outcome: Outcome::Pass,
        message: String::new(),
        refresh_token: run.transcript.refresh_summary(),
        matrix: case
            .bindings
            .iter()
            .map(|(axis, value)| (axis.clone(), value.name()))
            .collect(),
        failures: run.failures.clone(),
        diff: None,
        snapshot: None,
        scenario: case.scenario.file.name.clone(),
        slug: case.slug.clone(),
        known_drift: None,
        live: None,
        transcript: None,
        accept: None,
    };
    // rendered once: the snapshot comparison and the report share it
    let body = run.transcript.render();
    if let Some(fault) = &run.fault {
        report.outcome = Outcome::Fail;
        report.message = fault.clone();
        report.transcript = Some(body);
        return report;
    }
    if let Some(first) = run.failures.first() {
        report.outcome = Outcome::Fail;
        report.line = first.line;
        report.message = first.to_string();
    }
    if let Some(policy) = snapshots {
        let meta = SnapshotMeta {
            description: case.name.clone(),
            input_file: file,
        };
        judge_snapshot(&case.slug, &meta, &body, policy, &mut report, notes);
    }
    report.transcript = Some(body);
    report
}

/// Compares `body` with the accepted snapshot `slug` and folds the result into `report`:
/// a difference is drift with a diff; new and changed transcripts are written as pending
/// `.snap.new` files or accepted, as `policy` says. `run` and `probe` share it.
pub fn judge_snapshot(
    slug: &str,
    meta: &SnapshotMeta,
    body: &str,
    policy: &SnapshotPolicy,
    report: &mut CaseReport,
    notes: &mut Vec<String>,
) {
    let snapshot_path = policy.store.path(slug);
    report.snapshot = Some(display_path(&snapshot_path));
    let written =
        |result: Result<std::path::PathBuf, crate::snapshot::SnapshotError>, notes: &mut Vec<String>| match result {
            Ok(path) => Some(display_path(&path)),
            Err(e) => {
                notes.push(with_causes(&e));
                None
            }
        };
    // --accept takes only what passes its expectations: a failing case's transcript is not
    // the behaviour the scenario asserts, so it stays pending for review
    let accept = policy.write && policy.accept && report.outcome == Outcome::Pass;
    let refuse = policy.write && policy.accept && report.outcome != Outcome::Pass;
    let pending_note = |path: &str| {
        if refuse {
            format!("{path} pending, not accepted: the case's expectations fail (fix them, then --accept)")
        } else {
            format!("new snapshot {path} pending: review with `cargo insta review` or rerun with --accept")
        }
    };
    match policy.store.compare(slug, body) {
        Ok(Comparison::Matches) => {
            if policy.write {
                let _ = policy.store.discard_pending(slug);
            }
        }
        Ok(Comparison::Missing) => {
            if accept {
                if written(policy.store.accept(slug, meta, body), notes).is_some() {
                    report.accept = Some(Accept::Taken);
                }
            } else if policy.write
                && let Some(path) = written(policy.store.write_pending(slug, meta, body), notes)
            {
                if refuse {
                    report.accept = Some(Accept::Refused);
                }
                notes.push(pending_note(&path));
            } else if !policy.write {
                let why = if policy.store.is_bundled() {
                    "the bundled snapshots are read-only"
                } else {
                    "CI: nothing written"
                };
                notes.push(format!("{} has no accepted snapshot ({why})", meta.description));
            }
        }
        Ok(Comparison::Differs { accepted }) => {
            let diff = similar::TextDiff::from_lines(accepted.as_str(), body)
                .unified_diff()
                .context_radius(3)
                .header("accepted", "this run")
                .to_string();
            report.diff = Some(diff);
            if accept {
                if written(policy.store.accept(slug, meta, body), notes).is_some() {
                    report.accept = Some(Accept::Taken);
                    report.message = "snapshot updated".into();
                }
            } else {
                if policy.write && written(policy.store.write_pending(slug, meta, body), notes).is_some() && refuse {
                    report.accept = Some(Accept::Refused);
                }
                if report.outcome == Outcome::Pass {
                    report.outcome = Outcome::Drift;
                    report.message = format!(
                        "transcript differs from the accepted snapshot {}",
                        display_path(&snapshot_path)
                    );
                }
            }
        }
        Err(e) => {
            report.outcome = Outcome::Fail;
            report.message = with_causes(&e);
        }
    }
}

/// An error and its causes on one line (`failed to read X: it is a symbolic link …`).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Applies the known-drift ledger to a judged report (`run` and `probe` share this).
///
/// A listed case that drifted or failed as described passes with a note; one that did not
/// drift, or whose entry expired, fails; one that drifted differently stays as it was. An
/// entry that matches no case in the run is noted (a `--filter` or a path selection may
/// leave it out).
pub fn apply_ledger(report: &mut Report, ledger: &Ledger, today: jiff::civil::Date) {
    let ledger_file = display_path(&ledger.path);
    let mut used = vec![false; ledger.entries.len()];
    for case in &mut report.cases {
        let Some(index) = ledger
            .entries
            .iter()
            .position(|e| e.case == case.name || (!case.slug.is_empty() && e.case == case.slug))
        else {
            continue;
        };
        used[index] = true;
        let entry = &ledger.entries[index];
        let at = format!("{ledger_file}:{}", entry.line);
        let drifted = match case.outcome {
            Outcome::Drift => true,
            // a failed expectation or a changed snapshot is a drift; a fault (no verdict) is not
            Outcome::Fail => !case.failures.is_empty() || case.diff.is_some(),
            Outcome::Pass => false,
            Outcome::Inconclusive | Outcome::Skipped => {
                case.known_drift = Some(known(entry, &ledger_file, LedgerStatus::Unchecked));
                case.message = join(
                    &case.message,
                    &format!("known drift at {at} not checked: the case reached no verdict"),
                );
                continue;
            }
        };
        let fault = case.outcome == Outcome::Fail && !drifted;
        let expired = entry.expired(today);
        let status = if fault {
            continue;
        } else if !drifted {
            case.outcome = Outcome::Fail;
            let mut message = format!(
                "known drift no longer happens: the ledger says \"{}\" ({at}); the provider may have reverted it: check, then remove the entry",
                entry.observed
            );
            if expired {
                message.push_str(&format!(" (the entry also expired on {})", entry.expires));
            }
            case.message = message;
            if expired {
                LedgerStatus::Expired
            } else {
                LedgerStatus::Vanished
            }
        } else if let Some(mismatch) = mismatch(entry, case) {
            case.message = join(
                &case.message,
                &format!("a known drift is listed at {at}, but it does not describe this one: {mismatch}"),
            );
            LedgerStatus::Mismatch
        } else if expired {
            case.outcome = Outcome::Fail;
            case.message = format!(
                "known drift entry expired on {} ({at}): the drift still happens; re-check it and renew the entry, or fix the case",
                entry.expires
            );
            LedgerStatus::Expired
        } else {
            case.outcome = Outcome::Pass;
            case.message = format!(
                "known drift: {} — {} ({}; until {})",
                entry.observed, entry.reason, entry.link, entry.expires
            );
            LedgerStatus::Known
        };
        if status.is_ledger_problem() {
            case.line = entry.line;
        }
        case.known_drift = Some(known(entry, &ledger_file, status));
    }
    for (entry, used) in ledger.entries.iter().zip(used) {
        if !used {
            let names = report.cases.iter().flat_map(|c| [c.name.as_str(), c.slug.as_str()]);
            let hint = crate::provider::closest(&entry.case, names)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            report.notes.push(format!(
                "{ledger_file}:{}: known drift `{}` matches no case in this run{hint}",
                entry.line, entry.case
            ));
        }
    }
}

fn known(entry: &crate::ledger::Entry, ledger_file: &str, status: LedgerStatus) -> KnownDrift {
    KnownDrift {
        status,
        ledger: ledger_file.to_string(),
        line: entry.line,
        observed: entry.observed.clone(),
        reason: entry.reason.clone(),
        link: entry.link.clone(),
        expires: entry.expires.to_string(),
    }
}

/// How the case differs from the entry's refresh_token check, if it does.
fn mismatch(entry: &crate::ledger::Entry, case: &CaseReport) -> Option<String> {
    let check = entry.refresh_token?;
    let word = |v: Option<bool>| match v {
        Some(true) => "present",
        Some(false) => "absent",
        None => "not observed",
    };
    let mut differences = Vec::new();
    for (grant, want, got) in [
        ("first", check.first_grant, case.refresh_token.first_grant),
        ("repeat", check.repeat_grant, case.refresh_token.repeat_grant),
    ] {
        if let Some(want) = want
            && got != Some(want)
        {
            differences.push(format!(
                "refresh_token on the {grant} grant is {} (the entry says {})",
                word(got),
                word(Some(want))
            ));
        }
    }
    (!differences.is_empty()).then(|| differences.join(", "))
}

fn join(first: &str, second: &str) -> String {
    if first.is_empty() {
        second.to_string()
    } else {
        format!("{first}; {second}")
    }
}
