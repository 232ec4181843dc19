//! A run of scenarios against the in-process model: load and filter a corpus, run it, and
//! build the report (each case judged by [`super::judge`]). `run`, `compare`, `diagnose
//! --scenario` and the tests share it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::judge::{SnapshotPolicy, judge};
use crate::provider::{ClientConfig, Profile, Registry};
use crate::report::Report;
use crate::runner::{self, CaseRun};
use crate::scenario::{self, Case, ScenarioError};
use crate::snapshot::{Selection, stem_for};

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

impl Suite {
    /// Loads every scenario under `paths` (files or directories, searched for `*.yaml`); a
    /// file that fails is kept in [`Suite::errors`] and the rest still load. `filter` keeps
    /// the cases whose name or snapshot name contains it.
    pub fn load(paths: &[PathBuf], registry: &Registry, filter: Option<&str>) -> Result<Suite, SuiteError> {
        load(paths, registry, filter)
    }

    /// Loads the scenarios of `corpus`, as [`Suite::load`] does.
    pub fn load_corpus(corpus: &Corpus, registry: &Registry, filter: Option<&str>) -> Result<Suite, SuiteError> {
        load_corpus(corpus, registry, filter)
    }

    /// Runs every case on its own in-process model and judges it: a fault or a failed
    /// expectation fails it; with `snapshots`, a transcript that differs from the accepted
    /// snapshot is drift (and new transcripts are written as `snapshots` says).
    pub async fn run_on_model(
        &self,
        registry: &Registry,
        snapshots: Option<&SnapshotPolicy>,
    ) -> Result<Report, SuiteError> {
        run_on_model(self, registry, snapshots).await
    }
}

impl Case {
    /// Runs this case on a fresh in-process model of `profile`: its transcript, failed
    /// expectations and any fault that stopped it. Nothing is judged.
    pub async fn run_on_model(&self, profile: Arc<Profile>) -> CaseRun {
        runner::run_on_model(self, profile).await
    }

    /// Runs this case against an `oauth-drift serve` process of `profile` at `base` that knows
    /// `clients` (the scenario's, from [`Scenario::clients`](scenario::Scenario::clients),
    /// registered there first through its admin API).
    pub async fn run_on_serve(&self, base: &str, profile: &Profile, clients: &[(String, ClientConfig)]) -> CaseRun {
        let http = crate::target::Served::new();
        let endpoint = runner::Endpoint {
            http: &http,
            base: base.to_string(),
            profile,
            clients,
            admin: true,
            id_tokens_by_position: false,
        };
        runner::run_case(self, &endpoint).await
    }
}

impl scenario::Scenario {
    /// The clients this scenario's cases use under `profile`, by name (`clients:`, or the
    /// default web client), shaped as the profile's clients are, each with a fresh secret.
    pub fn clients(&self, profile: &Profile) -> Vec<(String, ClientConfig)> {
        runner::scenario_clients(self, &profile.client_shape)
    }
}

/// Where the scenarios of a run come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Corpus {
    /// Files and directories named on the command line (or `./scenarios`).
    Paths(Vec<PathBuf>),
    /// The corpus bundled in the binary (`oauth-drift init` writes it out).
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
    let mut report = Report {
        input_errors: suite.errors.clone(),
        warnings: suite.warnings.clone(),
        cases: Vec::with_capacity(suite.cases.len()),
        ..Default::default()
    };
    let judge_each = move |_: usize, case: &Case, run: runner::CaseRun| {
        let mut notes = Vec::new();
        let mut report = judge(case, &run, policy.as_ref(), &mut notes);
        if !keep {
            report.transcript = None;
        }
        (report, notes)
    };
    // the reports come back in case order, each kept as soon as the cases before it are done
    runner::run_each_on_model(&suite.cases, &profiles, judge_each, |(case, notes)| {
        report.cases.push(case);
        report.notes.extend(notes);
    })
    .await;
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
