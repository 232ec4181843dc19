//! Every bundled scenario case as an insta snapshot: `cargo insta review` shows behaviour
//! changes of the model (or of a scenario) as transcript diffs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use oauth_drift::{Registry, Suite};

#[tokio::test]
async fn every_bundled_scenario_matches_its_snapshot() {
    let registry = Registry::builtin();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // relative, as the snapshot stems are (the working directory of a test is the package root)
    let mut suite = Suite::load(&[PathBuf::from("scenarios")], &registry, None).expect("scenarios/ is readable");
    if let Some(error) = suite.errors.first() {
        panic!("{error}");
    }
    suite.keep_transcripts = true;
    let report = suite.run_on_model(&registry, None).await.unwrap();
    let mut failed = Vec::new();
    for (case, judged) in suite.cases.iter().zip(&report.cases) {
        let transcript = judged.transcript.clone().expect("a kept transcript");
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
                insta::assert_snapshot!(case.slug.clone(), transcript);
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

/// Runs every bundled case all at once and then one at a time: the transcripts must agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transcripts_are_the_same_whatever_the_concurrency() {
    let registry = Registry::builtin();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut suite = Suite::load(&[root.join("scenarios")], &registry, None).unwrap();
    suite.keep_transcripts = true;
    let concurrent: Vec<String> = suite
        .run_on_model(&registry, None)
        .await
        .unwrap()
        .cases
        .into_iter()
        .map(|c| c.transcript.expect("a kept transcript"))
        .collect();
    let mut profiles = BTreeMap::new();
    let mut sequential = Vec::new();
    for case in &suite.cases {
        let profile = profiles
            .entry(case.provider.clone())
            .or_insert_with(|| Arc::new(registry.load(&case.provider).unwrap()));
        let run = case.run_on_model(Arc::clone(profile)).await;
        sequential.push(run.transcript.render());
    }
    assert_eq!(concurrent.len(), suite.cases.len());
    for ((case, a), b) in suite.cases.iter().zip(&concurrent).zip(&sequential) {
        assert_eq!(a, b, "{} differs between a concurrent and a sequential run", case.name);
    }
}
