//! `oauth-drift run`: scenarios against the built-in model.

use super::args::{GlobalArgs, RunArgs};
use super::output;
use crate::provider::Registry;
use crate::runner::judge::SnapshotPolicy;
use crate::runner::suite::{self, Corpus};
use crate::snapshot::SnapshotStore;

pub async fn run(args: RunArgs, global: &GlobalArgs, registry: Registry) -> anyhow::Result<u8> {
    // the model's servers and its first signature start on the side while the scenarios
    // load, rather than with the first cases
    crate::runner::warm_up_model();
    if let Some(provider) = &args.provider {
        registry.load(provider)?;
    }
    let ledger = output::load_ledger(&args.report)?;
    let corpus = Corpus::choose(&args.paths);
    // every file is parsed and checked first; matrices are expanded as the run pulls cases
    let mut plan = suite::load_plan(&corpus, &registry, args.filter.as_deref())?;
    plan.loaded.keep_transcripts = global.verbose;
    let mut not_applicable = Vec::new();
    if let Some(provider) = &args.provider {
        // a file whose expectations are another provider's (`specific_to:`) is left out, once
        not_applicable = plan.for_provider(provider, &registry);
    }
    let store = match (&args.snapshots, &corpus) {
        (Some(dir), _) => SnapshotStore::new(dir),
        (None, Corpus::Bundled) => SnapshotStore::bundled(),
        (None, Corpus::Paths(_)) => SnapshotStore::new(crate::bundled::SNAPSHOT_DIR),
    };
    if args.accept && store.is_bundled() {
        anyhow::bail!(
            "--accept has nowhere to write: these are the scenarios and snapshots bundled in the binary (no ./scenarios here); `oauth-drift init` writes them out to edit"
        );
    }
    let write = !super::ci() && !store.is_bundled();
    let policy = (!args.no_snapshots).then_some(SnapshotPolicy {
        store,
        accept: args.accept,
        write,
    });
    let mut report = suite::run_plan_on_model(&plan, &registry, policy.as_ref()).await?;
    if !not_applicable.is_empty() {
        report.notes.push(format!(
            "{} not applicable to `{}`: their expectations are another provider's (`specific_to:`): {}",
            crate::report::count(not_applicable.len(), "scenario file"),
            args.provider.as_deref().unwrap_or_default(),
            not_applicable.join(", ")
        ));
    }
    if plan.loaded.bundled {
        report.notes.push(format!(
            "ran the {} bundled in the binary (there is no ./scenarios here); `oauth-drift init` writes them out to edit",
            crate::report::count(crate::bundled::scenarios().len(), "scenario")
        ));
    }
    if let Some(policy) = &policy {
        output::accepted(&mut report, policy, args.prune, "oauth-drift run");
    }
    output::conclude(
        report,
        &args.report,
        ledger.as_ref(),
        super::ci() && args.accept,
        global,
        "oauth-drift run",
    )
}
