//! A run of scenarios against the in-process model: load and filter a corpus, run it, and
//! build the report (each case judged by [`super::judge`]). `run`, `compare`, `diagnose
//! --scenario` and the tests share it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::judge::{SnapshotPolicy, judge};
use crate::provider::{ClientConfig, Profile, Registry};
use crate::report::{Compact, Deferred, Rebuild, Report};
use crate::runner::{self, CaseRun};
use crate::scenario::{self, Case, Scenario, ScenarioError};
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
    Ok(load_plan(corpus, registry, filter)?.into_suite())
}

/// A loaded corpus whose matrices are expanded as the run pulls its cases, so a run holds the
/// parsed scenarios, not a case per matrix cell (`run` uses it; [`Suite`] is it expanded).
#[derive(Debug, Default)]
pub struct Plan {
    files: Vec<PlannedFile>,
    /// What was loaded besides the cases (errors, warnings, selection, …), as a [`Suite`]
    /// whose `cases` stay empty.
    pub loaded: Suite,
    /// `run --provider`: the provider of every case whose file and matrix name none.
    provider: Option<String>,
}

/// A scenario file of a [`Plan`]: parsed, its cases built one at a time.
#[derive(Debug, Clone)]
struct PlannedFile {
    scenario: Arc<Scenario>,
    stem: String,
    /// The matrix cells `--filter` kept, in order; `None`: every cell.
    cells: Option<Vec<u32>>,
}

impl PlannedFile {
    fn cells(&self) -> impl Iterator<Item = usize> + '_ {
        let all = match self.cells {
            Some(_) => 0,
            None => scenario::case_count(&self.scenario),
        };
        let kept = self.cells.iter().flatten().map(|&cell| cell as usize);
        (0..all).chain(kept)
    }
}

/// The case at `cell` of `files[file]`, run under `provider` when it names none. Run under
/// another provider than the default, its transcript is that provider's: its snapshot is
/// named for it (`STEM__provider-oidc`), so it never compares with, or overwrites, the one
/// the file's own provider produced.
fn build_case(files: &[PlannedFile], provider: Option<&str>, file: usize, cell: usize) -> Option<Case> {
    let planned = files.get(file)?;
    let mut case = scenario::case_at(&planned.scenario, &planned.stem, cell);
    if let Some(provider) = provider
        && case.binding("provider").is_none()
        && case.scenario.file.provider.is_none()
    {
        if provider != crate::provider::DEFAULT_PROVIDER {
            case.slug = format!("{}__{}", case.slug, scenario::slugify(&format!("provider-{provider}")));
        }
        case.provider = provider.to_string();
    }
    Some(case)
}

impl Plan {
    /// The case at `cell` of file `file`, with `run --provider` applied.
    fn case(&self, file: usize, cell: usize) -> Option<Case> {
        build_case(&self.files, self.provider.as_deref(), file, cell)
    }

    /// Where each case is, in run order: (file, cell).
    fn places(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.files
            .iter()
            .enumerate()
            .flat_map(|(index, file)| file.cells().map(move |cell| (index, cell)))
    }

    /// Every case in run order, each built as it is pulled.
    pub fn cases(&self) -> impl Iterator<Item = Case> + '_ {
        self.places().filter_map(|(file, cell)| self.case(file, cell))
    }

    /// Every case built at once, as [`Suite`] holds them.
    pub fn into_suite(self) -> Suite {
        Suite {
            cases: self.cases().collect(),
            ..self.loaded
        }
    }

    /// `run --provider`: leaves out the files whose expectations are another provider's
    /// (`specific_to:`) and runs every case that names no provider under `provider`; returns the
    /// files left out, and warns again for the new provider.
    pub fn for_provider(&mut self, provider: &str, registry: &Registry) -> Vec<String> {
        let family = crate::provider::family(provider);
        let mut not_applicable = Vec::new();
        let before = self.files.len();
        self.files.retain(|planned| {
            let file = &planned.scenario.file;
            let owner = file.specific_to.as_ref().map(|p| crate::provider::family(&p.0));
            // (a file without cases leaves nothing out)
            let keep = planned.cells().next().is_none()
                || file.matrix.0.iter().any(|(axis, _)| axis == "provider")
                || file.provider.is_some()
                || owner.is_none_or(|owner| owner == family);
            if !keep {
                not_applicable.push(planned.scenario.path.display().to_string());
            }
            keep
        });
        self.loaded.filtered |= self.files.len() < before;
        not_applicable.dedup();
        self.provider = Some(provider.to_string());
        self.loaded.warnings = parameter_warnings(self.cases(), registry);
        not_applicable
    }
}

/// Loads the scenarios of `corpus` as a [`Plan`]; a file that fails is recorded and the rest
/// still load. Every file is parsed and checked here, so every located load error is known
/// before the first case runs.
pub fn load_plan(corpus: &Corpus, registry: &Registry, filter: Option<&str>) -> Result<Plan, SuiteError> {
    let mut plan = Plan::default();
    let loaded: Vec<(PathBuf, Result<scenario::Scenario, ScenarioError>)> = match corpus {
        Corpus::Paths(paths) => {
            let files = scenario::discover(paths)?;
            if files.is_empty() {
                let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                return Err(SuiteError::Empty(named.join(", ")));
            }
            plan.loaded.selection.prefixes = paths.iter().map(|p| stem_for(p)).collect();
            files
                .into_iter()
                .map(|file| {
                    let loaded = scenario::load_file(&file, registry);
                    (file, loaded)
                })
                .collect()
        }
        Corpus::Bundled => {
            plan.loaded.bundled = true;
            plan.loaded.selection.prefixes = vec![String::new()];
            crate::bundled::scenarios()
                .into_iter()
                .map(|(path, text)| {
                    let loaded = scenario::parse(&path, text, registry);
                    (path, loaded)
                })
                .collect()
        }
    };
    let (mut total, mut kept) = (0, 0);
    for (file, loaded) in loaded {
        match loaded {
            Ok(loaded) => {
                let stem = stem_for(&file);
                let scenario = Arc::new(loaded);
                let count = scenario::case_count(&scenario);
                total += count;
                let cells = filter.map(|filter| {
                    (0..count)
                        .filter(|&cell| {
                            let case = scenario::case_at(&scenario, &stem, cell);
                            case.name.contains(filter) || case.slug.contains(filter)
                        })
                        .filter_map(|cell| u32::try_from(cell).ok())
                        .collect::<Vec<u32>>()
                });
                kept += cells.as_ref().map_or(count, Vec::len);
                plan.files.push(PlannedFile {
                    scenario,
                    stem: stem.clone(),
                    cells,
                });
                plan.loaded.stems.push(stem);
            }
            Err(error) => plan.loaded.errors.push(error),
        }
    }
    if let Some(filter) = filter {
        plan.files
            .retain(|file| file.cells.as_ref().is_none_or(|cells| !cells.is_empty()));
        plan.loaded.filtered = kept < total;
        plan.loaded.selection.filter = Some(filter.to_string());
        if total > 0 && kept == 0 {
            return Err(SuiteError::NoMatch(filter.to_string()));
        }
    }
    plan.loaded.warnings = parameter_warnings(plan.cases(), registry);
    check_unique_slugs(&plan)?;
    Ok(plan)
}

/// Two cases may not share a snapshot name. Only a hash of each name is kept while checking
/// (a few bytes a case); a repeated hash is confirmed by building the earlier case again.
fn check_unique_slugs(plan: &Plan) -> Result<(), SuiteError> {
    use std::hash::BuildHasher;
    let hasher = std::collections::hash_map::RandomState::new();
    let mut seen: std::collections::HashMap<u64, Vec<(u32, u32)>> = std::collections::HashMap::new();
    for (file, cell) in plan.places() {
        let Some(case) = plan.case(file, cell) else { continue };
        let earlier = seen.entry(hasher.hash_one(&case.slug)).or_default();
        let repeated = earlier.iter().any(|&(file, cell)| {
            plan.case(file as usize, cell as usize)
                .is_some_and(|other| other.slug == case.slug)
        });
        if repeated {
            return Err(ScenarioError {
                path: case.scenario.path.clone(),
                line: 1,
                column: 1,
                message: format!(
                    "two cases share the snapshot name `{}`; rename a matrix value",
                    case.slug
                ),
            }
            .into());
        }
        if let (Ok(file), Ok(cell)) = (u32::try_from(file), u32::try_from(cell)) {
            earlier.push((file, cell));
        }
    }
    Ok(())
}

/// One warning per authorize step, parameter and provider where a case sends a parameter its
/// provider profile does not list (`authorize.parameters`), unless the scenario lists it
/// under `unknown_parameters:`. A typo such as `acess_type` is otherwise sent silently and
/// ignored, so offline access is never asked for.
/// (`run --provider` and `probe` set a case's provider after loading: they call it again.)
pub fn parameter_warnings<C: std::borrow::Borrow<Case>>(
    cases: impl IntoIterator<Item = C>,
    registry: &Registry,
) -> Vec<String> {
    use crate::scenario::{Action, AxisValue};
    let mut profiles = std::collections::HashMap::new();
    // (parameter, provider) → the places that send it, in order, each once
    let mut found: Vec<((String, String, String), Vec<String>)> = Vec::new();
    for case in cases {
        let case = case.borrow();
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
    let mut report = Report {
        input_errors: suite.errors.clone(),
        warnings: suite.warnings.clone(),
        cases: Vec::with_capacity(suite.cases.len()),
        ..Default::default()
    };
    run_judged(
        suite.cases.iter().cloned(),
        &profiles,
        snapshots,
        suite.keep_transcripts,
        None,
        &mut report,
    )
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

/// Runs a [`Plan`] on the model, expanding its matrices as cases start, and builds the report.
/// A plainly passing case is kept as a [`Compact`] record once judged (its report is built
/// again from the plan when an output needs it, [`Report::materialize`]), so the run's memory
/// follows the cases running at once rather than the size of the corpus.
pub async fn run_plan_on_model(
    plan: &Plan,
    registry: &Registry,
    snapshots: Option<&SnapshotPolicy>,
) -> Result<Report, SuiteError> {
    let profiles = runner::profiles_for(plan.cases(), registry)?;
    let builder = Arc::new((plan.files.clone(), plan.provider.clone()));
    let store = snapshots.map(|policy| policy.store.clone());
    let rebuild: Rebuild = Arc::new(move |compact: &Compact| {
        let (files, provider) = &*builder;
        let case = build_case(files, provider.as_deref(), compact.file as usize, compact.cell as usize)?;
        let mut report = super::judge::passing(&case, compact.refresh_token);
        report.snapshot = store.as_ref().map(|store| display_path(&store.path(&case.slug)));
        report.accept = compact.accept;
        Some(report)
    });
    let mut report = Report {
        input_errors: plan.loaded.errors.clone(),
        warnings: plan.loaded.warnings.clone(),
        deferred: Deferred::new(rebuild),
        ..Default::default()
    };
    let mut places = plan
        .places()
        .filter_map(|(file, cell)| Some((u32::try_from(file).ok()?, u32::try_from(cell).ok()?)));
    run_judged(
        plan.cases(),
        &profiles,
        snapshots,
        plan.loaded.keep_transcripts,
        Some(&mut places),
        &mut report,
    )
    .await;
    // under `run --provider` the files left out and the default provider's snapshots of the
    // files run under another one are not produced, and are no orphans either
    if let Some(policy) = snapshots
        && plan.loaded.errors.is_empty()
        && plan.provider.is_none()
    {
        let produced: Vec<String> = plan.cases().map(|case| case.slug).collect();
        report.orphans = policy
            .store
            .orphans(&plan.loaded.selection, produced.iter().map(String::as_str));
    }
    Ok(report)
}

/// Runs `cases` and judges each on the task that ran it (its snapshot compared), in parallel;
/// no transcript outlives its case unless `keep`. The reports reach `report` in case order;
/// with `places` giving each case's place in its plan, a plainly passing one is kept compact.
async fn run_judged(
    cases: impl IntoIterator<Item = Case>,
    profiles: &std::collections::BTreeMap<String, Arc<Profile>>,
    snapshots: Option<&SnapshotPolicy>,
    keep: bool,
    mut places: Option<&mut dyn Iterator<Item = (u32, u32)>>,
    report: &mut Report,
) {
    let policy = snapshots.cloned();
    let compact = places.is_some();
    let judge_each = move |_: usize, case: &Case, run: runner::CaseRun| {
        let mut notes = Vec::new();
        let mut judged = judge(case, &run, policy.as_ref(), &mut notes);
        if !keep {
            judged.transcript = None;
        }
        // a passing case with nothing to say is rebuilt from the plan exactly as judged here
        let plain = compact
            && judged.outcome == crate::report::Outcome::Pass
            && judged.line == 1
            && judged.message.is_empty()
            && judged.failures.is_empty()
            && judged.diff.is_none()
            && judged.transcript.is_none()
            && judged.known_drift.is_none()
            && judged.live.is_none();
        let judged = if plain {
            Ok((judged.refresh_token, judged.accept))
        } else {
            Err(judged)
        };
        (judged, notes)
    };
    let (cases_out, deferred, notes_out) = (&mut report.cases, &mut report.deferred, &mut report.notes);
    runner::run_each_on_model(cases, profiles, judge_each, |(judged, notes)| {
        // one place per case, in the same order as the results
        let place = places.as_mut().and_then(|places| places.next());
        let entry = judged.map(|(refresh_token, accept)| {
            let (file, cell) = place.unwrap_or((u32::MAX, u32::MAX));
            Compact {
                file,
                cell,
                refresh_token,
                accept,
            }
        });
        deferred.push(cases_out, entry);
        notes_out.extend(notes);
    })
    .await;
}

/// The scenario path as shown in reports: relative to the working directory when possible.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd).unwrap_or(path).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::SnapshotStore;

    /// Every report a plan's run gives, once its compact cases are built again, is the report the
    /// whole suite gives: the same JSON, JUnit and human text, with and without snapshots.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_plan_rebuilds_exactly_the_reports_the_whole_suite_gives() {
        let registry = Registry::builtin();
        let policy = SnapshotPolicy {
            store: SnapshotStore::bundled(),
            accept: false,
            write: false,
        };
        for (filter, snapshots) in [(None, Some(&policy)), (Some("refresh"), None)] {
            let suite = load_corpus(&Corpus::Bundled, &registry, filter).unwrap();
            let plan = load_plan(&Corpus::Bundled, &registry, filter).unwrap();
            let whole = run_on_model(&suite, &registry, snapshots).await.unwrap();
            let mut rebuilt = run_plan_on_model(&plan, &registry, snapshots).await.unwrap();
            assert!(
                rebuilt.cases.len() < whole.cases.len(),
                "passing cases are kept compact"
            );
            assert_eq!(rebuilt.summary(), whole.summary());
            assert_eq!(rebuilt.exit_code(), whole.exit_code());
            rebuilt.materialize();
            assert_eq!(rebuilt.cases.len(), whole.cases.len());
            assert_eq!(rebuilt.to_json(), whole.to_json());
            assert_eq!(rebuilt.to_junit("run"), whole.to_junit("run"));
            let detail = crate::report::human::Detail {
                verbose: false,
                matrix: true,
            };
            colored::control::set_override(false);
            assert_eq!(
                crate::report::human::render(&rebuilt, detail),
                crate::report::human::render(&whole, detail)
            );
            assert_eq!(rebuilt.notes, whole.notes);
            assert_eq!(rebuilt.orphans, whole.orphans);
        }
    }
}
