//! Parity: every bundled scenario gives the same transcript against the in-process model and
//! against a `serve` process over real HTTP, so what `serve` shows an app is what the model
//! predicts (and what the snapshots hold).
//!
//! Each provider gets one serve process; between cases its grants are reset and the case's
//! clients registered through the admin API. serve's clock follows wall time while the model's
//! is virtual, so the serve clock is frozen first: only `advance` steps move it, exactly as
//! in the model (otherwise a code checked at its 600th second could expire when a wall-clock
//! second ticks over mid-case).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use oauth_drift::{CaseRun, Registry, Suite};

use crate::serve_process::ServeProcess;

#[tokio::test]
async fn every_bundled_scenario_gives_the_same_transcript_on_the_model_and_on_serve() {
    let registry = Registry::builtin();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let loaded = Suite::load(&[root.join("scenarios")], &registry, None).expect("scenarios/ loads");
    assert!(loaded.errors.is_empty(), "scenario errors: {:?}", loaded.errors);
    let cases = loaded.cases;
    assert!(!cases.is_empty());
    let mut profiles = BTreeMap::new();
    for case in &cases {
        if !profiles.contains_key(&case.provider) {
            profiles.insert(case.provider.clone(), Arc::new(registry.load(&case.provider).unwrap()));
        }
    }
    let admin = reqwest::Client::new();

    let mut servers = BTreeMap::new();
    for provider in profiles.keys() {
        let server = ServeProcess::start(&["--provider", provider, "--quiet"]);
        let clock = server.admin(&admin, "/clock/freeze", None).await;
        assert_eq!(clock["frozen"], true);
        servers.insert(provider.clone(), server);
    }

    let mut differences = Vec::new();
    for case in &cases {
        let profile = Arc::clone(&profiles[&case.provider]);
        let model = case.run_on_model(Arc::clone(&profile)).await;

        let server = &servers[&case.provider];
        server.admin(&admin, "/reset", None).await;
        let clients = case.scenario.clients(&profile);
        for (_, client) in &clients {
            server
                .admin(
                    &admin,
                    "/clients?replace=true",
                    Some(serde_json::to_value(client).unwrap()),
                )
                .await;
        }
        let served = case.run_on_serve(&server.base, &profile, &clients).await;

        assert!(
            served.fault.is_none(),
            "{}: serve run stopped: {:?}",
            case.name,
            served.fault
        );
        let (expected, actual) = (model.transcript.render(), served.transcript.render());
        if expected != actual {
            let diff = similar::TextDiff::from_lines(&expected, &actual)
                .unified_diff()
                .header("model", "serve")
                .to_string();
            differences.push(format!("{} ({}):\n{diff}", case.name, case.slug));
        }
        let failures = |run: &CaseRun| run.failures.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        if failures(&model) != failures(&served) {
            differences.push(format!(
                "{}: failed expectations differ: model {:?}, serve {:?}",
                case.name,
                failures(&model),
                failures(&served)
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} case(s) differ between the model and serve:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
