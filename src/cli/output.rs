//! Writing a report the ways the report flags ask for: stdout in one format, report files,
//! and on GitHub Actions the annotations and the step summary. `run` and `probe` share it.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{GlobalArgs, ReportArgs, ReportFormat};
use super::stdout::print;
use crate::ledger::{self, Ledger};
use crate::report::{Accept, Outcome, Report, count, github, human, json, junit, markdown};
use crate::runner::judge::SnapshotPolicy;
use crate::snapshot::write_atomically;

/// The ledger to apply: `--ledger FILE`, else `known-drift.yaml` when it exists.
pub fn load_ledger(args: &ReportArgs) -> Result<Option<Ledger>, ledger::LedgerError> {
    let path = match &args.ledger {
        Some(path) => path.clone(),
        None if Path::new(ledger::DEFAULT_FILE).is_file() => PathBuf::from(ledger::DEFAULT_FILE),
        None => return Ok(None),
    };
    Ledger::load(&path).map(Some)
}

/// Says what `--accept` did (and did not do), removes orphans with `--prune`, and says how to
/// accept when something drifted. `title` is the command (`oauth-drift run`).
pub fn accepted(report: &mut Report, policy: &SnapshotPolicy, prune: bool, title: &str) {
    // compact cases passed: neither refused nor drifted
    let taken = report.accepted();
    let refused: Vec<&str> = report
        .cases
        .iter()
        .filter(|c| c.accept == Some(Accept::Refused))
        .map(|c| c.name.as_str())
        .collect();
    if policy.accept && policy.write {
        report.notes.push(format!("accepted {}", count(taken, "snapshot")));
    }
    if !refused.is_empty() {
        report.notes.push(format!(
            "{} not accepted, because their expectations fail (left pending): {}",
            count(refused.len(), "snapshot"),
            refused.join("; ")
        ));
    }
    if prune && policy.write {
        let mut removed = 0;
        for orphan in std::mem::take(&mut report.orphans) {
            match policy.store.remove(&orphan) {
                Ok(()) => removed += 1,
                Err(e) => {
                    report.notes.push(format!("{e:#}"));
                    report.orphans.push(orphan);
                }
            }
        }
        report
            .notes
            .push(format!("removed {} that no case produces", count(removed, "snapshot")));
    }
    let drifted = report
        .cases
        .iter()
        .any(|c| c.outcome == Outcome::Drift && c.diff.is_some());
    if drifted && !policy.accept {
        report.notes.push(if policy.store.is_bundled() {
            "the bundled snapshots are read-only: `oauth-drift init` writes them out, then `oauth-drift run --accept` takes the new transcripts".into()
        } else {
            format!(
                "to take the new transcripts as the snapshots: `{title} --accept` (or review each with `cargo insta review`)"
            )
        });
    }
}

/// The end of `run` and `probe`: a note when `--accept` could not write, the ledger, the
/// reports; returns the exit code.
pub fn conclude(
    mut report: Report,
    args: &ReportArgs,
    ledger: Option<&Ledger>,
    accept_refused: bool,
    global: &GlobalArgs,
    title: &str,
) -> anyhow::Result<u8> {
    if accept_refused {
        report
            .notes
            .push("snapshot writes are off (CI is set, or INSTA_UPDATE=no): --accept wrote nothing".into());
    }
    // `run -q` with no report file needs only the counts: compact cases stay compact
    let counts_only = ledger.is_none()
        && matches!(args.format, ReportFormat::Human)
        && global.quiet
        && args.json.is_none()
        && args.junit.is_none()
        && args.markdown.is_none()
        && !github::active();
    if !counts_only {
        report.materialize();
    }
    if let Some(ledger) = ledger {
        crate::runner::judge::apply_ledger(&mut report, ledger, ledger::today());
    }
    if !global.verbose {
        collapse_pending(&mut report.notes);
    }
    emit(&report, args, global, title)?;
    Ok(report.exit_code())
}

/// Many "new snapshot … pending" notes (a first probe of a new target) become one line with
/// the count and the directory; `-v` keeps them all.
fn collapse_pending(notes: &mut Vec<String>) {
    const PREFIX: &str = "new snapshot ";
    const SUFFIX: &str = " pending: review with `cargo insta review` or rerun with --accept";
    let pending: Vec<&str> = notes
        .iter()
        .filter_map(|n| n.strip_prefix(PREFIX).and_then(|n| n.strip_suffix(SUFFIX)))
        .collect();
    if pending.len() <= 3 {
        return;
    }
    let mut dirs: Vec<String> = pending
        .iter()
        .map(|p| {
            Path::new(p)
                .parent()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    let line = format!(
        "{} pending in {} (-v lists them): review with `cargo insta review` or rerun with --accept",
        count(pending.len(), "new snapshot"),
        dirs.join(", ")
    );
    notes.retain(|n| !(n.starts_with(PREFIX) && n.ends_with(SUFFIX)));
    notes.push(line);
}

/// Writes `report`; `title` names the run in JUnit and Markdown (`oauth-drift run`).
pub fn emit(report: &Report, args: &ReportArgs, global: &GlobalArgs, title: &str) -> anyhow::Result<()> {
    // rendered only when asked for (a large run's JSON is large)
    let json_text = std::cell::OnceCell::new();
    let json_text = || json_text.get_or_init(|| json::render(report)).clone();
    write_file(args.json.as_deref(), "JSON report", json_text)?;
    write_file(args.junit.as_deref(), "JUnit report", || junit::render(report, title))?;
    write_file(args.markdown.as_deref(), "Markdown summary", || {
        markdown::render(report, title)
    })?;
    // scenario text (names, values, `because:`) and a provider's words reach these outputs; none
    // of it may read as a workflow command (github::neutralise)
    let safe = |text: String| github::neutralise(&text).into_owned();
    match args.format {
        ReportFormat::Json => print(&safe(json_text()))?,
        ReportFormat::Junit => print(&safe(junit::render(report, title)))?,
        ReportFormat::Markdown => print(&safe(markdown::render(report, title)))?,
        ReportFormat::Human if global.quiet => {
            for error in &report.input_errors {
                eprintln!("{}", safe(format!("error: {error}")));
            }
            print(&safe(format!("{}\n", human::summary_line(report))))?;
        }
        ReportFormat::Human => print(&safe(human::render(
            report,
            human::Detail {
                verbose: global.verbose,
                matrix: args.matrix,
            },
        )))?,
    }
    if github::active() {
        // workflow commands are read from stderr too, and stdout may be a data format
        eprint!("{}", github::annotations(report));
        if let Err(e) = github::append_step_summary(&safe(markdown::render(report, title))) {
            eprintln!("warning: failed to append to $GITHUB_STEP_SUMMARY: {e}");
        }
    }
    Ok(())
}

fn write_file(path: Option<&Path>, what: &str, render: impl FnOnce() -> String) -> anyhow::Result<()> {
    if let Some(path) = path {
        write_atomically(path, &render())
            .with_context(|| format!("failed to write the {what} to {}", path.display()))?;
    }
    Ok(())
}
