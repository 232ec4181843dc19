//! Every bundled scenario case as an insta snapshot: `cargo insta review` shows behaviour
//! changes of the model (or of a scenario) as transcript diffs.

use std::path::PathBuf;
use std::sync::Arc;

use oauth_drift::provider::Registry;
use oauth_drift::{runner, scenario};

#[tokio::test]
async fn every_bundled_scenario_matches_its_snapshot() {
    let registry = Registry::builtin();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let files = scenario::discover(&[root.join("scenarios")]).expect("scenarios/ is readable");
    let mut cases = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap().to_path_buf();
        let loaded =
            Arc::new(scenario::load_file(&relative_to(&root, &relative), &registry).unwrap_or_else(|e| panic!("{e}")));
        let stem = oauth_drift::snapshot::stem_for(&relative);
        cases.extend(scenario::expand(&loaded, &stem));
    }
    let profiles = runner::profiles_for(&cases, &registry).unwrap();
    let runs = runner::run_all_on_model(&cases, &profiles).await;
    let mut failed = Vec::new();
    for (case, run) in cases.iter().zip(&runs) {
        let input_file = case
            .scenario
            .path
            .strip_prefix(&root)
            .unwrap_or(&case.scenario.path)
            .display()
            .to_string();
        let outcome = std::panic::catch_unwind(|| {
            insta::with_settings!({
                snapshot_path => "../../snapshots",
                prepend_module_to_snapshot => false,
                description => case.name.clone(),
                input_file => input_file,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(case.slug.clone(), run.transcript.render());
            });
        });
        if outcome.is_err() {
            failed.push(case.slug.clone());
        }
    }
    assert!(
        failed.is_empty(),
        "{} snapshot(s) differ: {failed:?}; review with `cargo insta review`",
        failed.len()
    );
}

fn relative_to(root: &std::path::Path, relative: &std::path::Path) -> PathBuf {
    root.join(relative)
}

/// Runs every bundled case all at once and then one at a time: the transcripts must agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcripts_are_the_same_whatever_the_concurrency() {
    let registry = Registry::builtin();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let suite = oauth_drift::runner::suite::load(&[root.join("scenarios")], &registry, None).unwrap();
    let profiles = runner::profiles_for(&suite.cases, &registry).unwrap();
    let concurrent: Vec<String> = runner::run_all_on_model(&suite.cases, &profiles)
        .await
        .iter()
        .map(|r| r.transcript.render())
        .collect();
    let http = runner::http_client();
    let mut sequential = Vec::new();
    for case in &suite.cases {
        let run = runner::run_on_model(case, profiles[&case.provider].clone(), &http).await;
        sequential.push(run.transcript.render());
    }
    assert_eq!(concurrent.len(), suite.cases.len());
    for ((case, a), b) in suite.cases.iter().zip(&concurrent).zip(&sequential) {
        assert_eq!(a, b, "{} differs between a concurrent and a sequential run", case.name);
    }
}
