//! `oauth-drift run`: scenarios against the built-in model.

use anyhow::Context;

use super::args::{Format, GlobalArgs, RunArgs};
use crate::provider::Registry;
use crate::report::{human, json};
use crate::snapshot::{SnapshotStore, write_atomically};
use crate::suite::{self, SnapshotPolicy};

pub async fn run(args: RunArgs, global: &GlobalArgs, registry: Registry) -> anyhow::Result<u8> {
    if let Some(provider) = &args.provider {
        registry.load(provider)?;
    }
    let mut suite = suite::load(&args.paths, &registry, args.filter.as_deref())?;
    if let Some(provider) = &args.provider {
        for case in &mut suite.cases {
            if case.binding("provider").is_none() {
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
    let mut report = suite::run_on_model(&suite, &registry, policy.as_ref()).await?;
    if !write && args.accept {
        report
            .notes
            .push("CI is set: --accept wrote nothing (snapshots are never written on CI)".into());
    }
    let json_text = json::render(&report);
    if let Some(path) = &args.json {
        write_atomically(path, &json_text)
            .with_context(|| format!("failed to write the JSON report to {}", path.display()))?;
    }
    match args.format {
        Format::Json => print!("{json_text}"),
        Format::Human if global.quiet => {
            for error in &report.input_errors {
                eprintln!("error: {error}");
            }
            println!("{}", human::summary_line(&report));
        }
        Format::Human => print!("{}", human::render(&report, global.verbose)),
    }
    Ok(report.exit_code())
}
