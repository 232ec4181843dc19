//! Running cases against the in-process model: one fresh engine per case, routed on the
//! process's shared wiremock servers ([`SharedModel`]), a bounded number of cases at once.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::execute::{CaseRun, Endpoint, run_case};
use crate::model::SharedModel;
use crate::provider::{ClientConfig, ClientKind, ClientShape, Engine, Profile, ProfileError, Registry, random_token};
use crate::scenario::{Case, ClientSpec, Scenario, slugify};
use crate::target::InProcess;

/// The project of every scenario client that names none.
pub const DEFAULT_PROJECT: &str = "default";

/// The clients a scenario declares, with ids in the profile's `client_shape` and fresh secrets
/// (one `web` client by default).
pub fn scenario_clients(scenario: &Scenario, shape: &ClientShape) -> Vec<(String, ClientConfig)> {
    let declared: Vec<(String, ClientSpec)> = if scenario.file.clients.is_empty() {
        vec![("web".into(), ClientSpec::default())]
    } else {
        scenario
            .file
            .clients
            .iter()
            .map(|(name, c)| (name.clone(), c.clone()))
            .collect()
    };
    declared
        .into_iter()
        .map(|(name, spec)| {
            let mut redirect_uris = spec.redirect_uris;
            if redirect_uris.is_empty() {
                redirect_uris.push(match spec.kind {
                    ClientKind::Web => "https://app.example.com/oauth2/callback".into(),
                    ClientKind::Installed => "http://127.0.0.1/callback".into(),
                });
            }
            let client = ClientConfig {
                client_id: shape.client_id(&format!("{}-drift", slugify(&name))),
                client_secret: format!("drift-secret-{}", random_token(12)),
                kind: spec.kind,
                status: spec.status,
                redirect_uris,
                // one project for the whole scenario unless a client names its own
                project: Some(spec.project.unwrap_or_else(|| DEFAULT_PROJECT.into())),
                created: spec.created,
            };
            (name, client)
        })
        .collect()
}

/// Loads every profile the cases use, once.
pub fn profiles_for(cases: &[Case], registry: &Registry) -> Result<BTreeMap<String, Arc<Profile>>, ProfileError> {
    let mut profiles = BTreeMap::new();
    for case in cases {
        if !profiles.contains_key(&case.provider) {
            profiles.insert(case.provider.clone(), Arc::new(registry.load(&case.provider)?));
        }
    }
    Ok(profiles)
}

/// Runs one case on a fresh engine of the in-process model ([`SharedModel::process`]).
pub async fn run_on_model(case: &Case, profile: Arc<Profile>) -> CaseRun {
    let clients = scenario_clients(&case.scenario, &profile.client_shape);
    let engine = Engine::new(Arc::clone(&profile), clients.iter().map(|(_, c)| c.clone()));
    // routed until the end of this function: the case's engine then leaves the server
    let hosted = SharedModel::process().host(engine).await;
    let transport = InProcess::new(&hosted);
    let endpoint = Endpoint {
        http: &transport,
        base: hosted.uri().to_string(),
        profile: &profile,
        clients: &clients,
        admin: true,
        id_tokens_by_position: false,
    };
    run_case(case, &endpoint).await
}

/// Runs all cases concurrently, each on its own engine; results come back in case order.
pub async fn run_all_on_model(cases: &[Case], profiles: &BTreeMap<String, Arc<Profile>>) -> Vec<CaseRun> {
    let mut runs = Vec::with_capacity(cases.len());
    run_each_on_model(cases, profiles, |_, _, run| run, |run| runs.push(run)).await;
    runs
}

/// Cases running at once: enough to keep every core busy while others wait on loopback,
/// few enough that memory follows this number rather than the size of the corpus.
pub fn cases_in_flight() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    (8 * cores).max(64)
}

/// Runs every case on its own engine, at most [`cases_in_flight`] at once, and hands each
/// finished run to `each` (with the case and its index) on the task that ran it, so that what a
/// run holds (its transcript) can be judged and dropped there. `each`'s results go to `sink`
/// in case order, each as soon as every earlier case has finished: only results that finished
/// ahead of an earlier case wait here.
pub async fn run_each_on_model<T, F, S>(cases: &[Case], profiles: &BTreeMap<String, Arc<Profile>>, each: F, mut sink: S)
where
    T: Send + 'static,
    F: Fn(usize, &Case, CaseRun) -> T + Send + Sync + 'static,
    S: FnMut(T),
{
    let each = Arc::new(each);
    let limit = cases_in_flight();
    let mut tasks = JoinSet::new();
    // results that finished before an earlier case, by index, and the next index the sink takes
    let mut waiting: BTreeMap<usize, T> = BTreeMap::new();
    let mut next = 0;
    let mut finished = |joined: Result<(usize, T), tokio::task::JoinError>| {
        // a task only fails by panicking, which is a bug: surface it, do not hide it
        let (index, result) = joined.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        waiting.insert(index, result);
        while let Some(result) = waiting.remove(&next) {
            sink(result);
            next += 1;
        }
    };
    for (index, case) in cases.iter().enumerate() {
        if tasks.len() >= limit
            && let Some(joined) = tasks.join_next().await
        {
            finished(joined);
        }
        let (case, each) = (case.clone(), Arc::clone(&each));
        let profile = Arc::clone(&profiles[&case.provider]);
        tasks.spawn(async move {
            let run = run_on_model(&case, profile).await;
            (index, each(index, &case, run))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        finished(joined);
    }
}
