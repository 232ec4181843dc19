//! Writing a report the ways the report flags ask for: stdout in one format, report files,
//! and on GitHub Actions the annotations and the step summary. `run` and `probe` share it.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{GlobalArgs, ReportArgs, ReportFormat};
use crate::ledger::{self, Ledger};
use crate::report::{Report, github, human, json, junit, markdown};
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
    if let Some(ledger) = ledger {
        crate::suite::apply_ledger(&mut report, ledger, ledger::today());
    }
    emit(&report, args, global, title)?;
    Ok(report.exit_code())
}

/// Writes `report`; `title` names the run in JUnit and Markdown (`oauth-drift run`).
pub fn emit(report: &Report, args: &ReportArgs, global: &GlobalArgs, title: &str) -> anyhow::Result<()> {
    let json_text = json::render(report);
    write_file(args.json.as_deref(), "JSON report", || json_text.clone())?;
    write_file(args.junit.as_deref(), "JUnit report", || junit::render(report, title))?;
    write_file(args.markdown.as_deref(), "Markdown summary", || {
        markdown::render(report, title)
    })?;
    // scenario text (names, values, `because:`) and a provider's words reach these outputs; none
    // of it may read as a workflow command (github::neutralise)
    let safe = |text: String| github::neutralise(&text).into_owned();
    match args.format {
        ReportFormat::Json => print!("{}", safe(json_text)),
        ReportFormat::Junit => print!("{}", safe(junit::render(report, title))),
        ReportFormat::Markdown => print!("{}", safe(markdown::render(report, title))),
        ReportFormat::Human if global.quiet => {
            for error in &report.input_errors {
                eprintln!("{}", safe(format!("error: {error}")));
            }
            println!("{}", safe(human::summary_line(report)));
        }
        ReportFormat::Human => print!("{}", safe(human::render(report, global.verbose))),
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
