//! `oauth-drift run`: scenarios against the built-in model.

use super::args::{GlobalArgs, RunArgs};
use super::output;
use crate::provider::Registry;
use crate::snapshot::SnapshotStore;
use crate::suite::{self, SnapshotPolicy};

pub async fn run(args: RunArgs, global: &GlobalArgs, registry: Registry) -> anyhow::Result<u8> {
    // the model signs its id_tokens with one key made per process: make it on the side while
    // the scenarios load, rather than when the first case asks for an id_token
    std::thread::spawn(crate::provider::SigningKey::shared);
    if let Some(provider) = &args.provider {
        registry.load(provider)?;
    }
    let ledger = output::load_ledger(&args.report)?;
    let mut suite = suite::load(&args.paths, &registry, args.filter.as_deref())?;
    if let Some(provider) = &args.provider {
        for case in &mut suite.cases {
            if case.binding("provider").is_none() && case.scenario.file.provider.is_none() {
                case.provider = provider.clone();
            }
        }
    }
    let write = !super::ci();
    let policy = (!args.no_snapshots).then(|| SnapshotPolicy {
        store: SnapshotStore::new(&args.snapshots),
        accept: args.accept,
        write,
    });
    let report = suite::run_on_model(&suite, &registry, policy.as_ref()).await?;
    output::conclude(
        report,
        &args.report,
        ledger.as_ref(),
        !write && args.accept,
        global,
        "oauth-drift run",
    )
}
