//! The human report: one line per case, failures with their `because:`, snapshot diffs, and
//! the refresh_token matrix.

use std::fmt::Write;

use colored::Colorize;

use super::outcome::{CaseReport, Outcome, Report};

/// What the human report shows beyond the essentials.
#[derive(Debug, Clone, Copy, Default)]
pub struct Detail {
    /// Every case on its own line, passing cases with their transcripts, skipped cases by name.
    pub verbose: bool,
    /// The whole refresh_token table, not only the scenarios whose answer differs.
    pub matrix: bool,
}

/// Renders the whole report as colored text (colors obey `colored`'s global switch).
///
/// Quiet when green: one line per scenario file whose cases all passed, every case that did
/// not pass with its details, skipped cases grouped by reason, and the refresh_token table of
/// the scenarios where the answer differs (see [`matrix`]).
pub fn render(report: &Report, detail: Detail) -> String {
    let mut out = String::new();
    for error in &report.input_errors {
        let _ = writeln!(out, "{} {error}", "error:".red().bold());
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "{} {warning}", "warning:".yellow().bold());
    }
    for group in files(report) {
        let quiet = group
            .iter()
            .all(|c| c.outcome == Outcome::Pass && c.known_drift.is_none());
        if quiet && !detail.verbose {
            let first = group[0];
            if first.file.is_empty() {
                let _ = writeln!(out, "{} {}", badge(Outcome::Pass), first.name);
            } else {
                // a live probe says which kind of probe ran the file's cases
                let kind = first
                    .live
                    .as_ref()
                    .map(|live| format!("{}: ", live.kind))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{} {kind}{}  {}",
                    badge(Outcome::Pass),
                    first.file,
                    super::count(group.len(), "case").dimmed()
                );
            }
            continue;
        }
        for case in group {
            render_case(&mut out, case, detail.verbose);
        }
    }
    render_skipped(&mut out, report, detail.verbose);
    for orphan in &report.orphans {
        let _ = writeln!(
            out,
            "{} {} is not produced by any case any more (a renamed or removed case): delete it, or run with --accept --prune",
            "warning:".yellow().bold(),
            orphan.display()
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "{} {note}", "note:".cyan());
    }
    let table = matrix(report, detail.matrix);
    if !table.is_empty() {
        let heading = if detail.matrix {
            "refresh_token on first / repeat grant".bold().to_string()
        } else {
            format!(
                "{} {}",
                "refresh_token on first / repeat grant".bold(),
                "(scenarios where it differs; --matrix for all)".dimmed()
            )
        };
        let _ = writeln!(out, "\n{heading}");
        out.push_str(&table);
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

/// The cases that ran (not skipped), grouped by scenario file in report order; a case with no
/// file (a live discovery or refresh probe) is a group of its own.
fn files(report: &Report) -> Vec<Vec<&CaseReport>> {
    let mut groups: Vec<Vec<&CaseReport>> = Vec::new();
    for case in report.cases.iter().filter(|c| c.outcome != Outcome::Skipped) {
        match groups.last_mut() {
            Some(group)
                if !case.file.is_empty()
                    && group[0].file == case.file
                    && group[0].live.as_ref().map(|l| &l.kind) == case.live.as_ref().map(|l| &l.kind) =>
            {
                group.push(case)
            }
            _ => groups.push(vec![case]),
        }
    }
    groups
}

/// Skipped cases, one line per reason: how many, why, and what to set; `-v` names them.
fn render_skipped(out: &mut String, report: &Report, verbose: bool) {
    for (reason, cases) in skipped_by_reason(report) {
        let _ = writeln!(
            out,
            "{} {}: {reason}",
            badge(Outcome::Skipped),
            super::count(cases.len(), "case")
        );
        if verbose {
            for case in cases {
                let _ = writeln!(out, "       {}", case.name.dimmed());
            }
        }
    }
}

/// Skipped cases grouped by their reason, in order of first appearance.
pub fn skipped_by_reason(report: &Report) -> Vec<(&str, Vec<&CaseReport>)> {
    let mut groups: Vec<(&str, Vec<&CaseReport>)> = Vec::new();
    for case in report.cases.iter().filter(|c| c.outcome == Outcome::Skipped) {
        match groups.iter_mut().find(|(reason, _)| *reason == case.message) {
            Some((_, cases)) => cases.push(case),
            None => groups.push((&case.message, vec![case])),
        }
    }
    groups
}

fn badge(outcome: Outcome) -> colored::ColoredString {
    match outcome {
        Outcome::Pass => " PASS ".black().on_green(),
        Outcome::Drift => " DRIFT".black().on_yellow(),
        Outcome::Fail => " FAIL ".white().on_red(),
        Outcome::Inconclusive => " INCON".black().on_cyan(),
        Outcome::Skipped => " SKIP ".black().on_white(),
    }
}

fn render_case(out: &mut String, case: &CaseReport, verbose: bool) {
    let _ = writeln!(out, "{} {}", badge(case.outcome), case.name);
    if case.outcome == Outcome::Pass {
        if case.known_drift.is_some() || (verbose && !case.message.is_empty()) {
            let _ = writeln!(out, "       {}", case.message.dimmed());
        }
        if verbose && let Some(transcript) = &case.transcript {
            for line in transcript.lines() {
                let _ = writeln!(out, "       {}", line.dimmed());
            }
        }
        return;
    }
    for failure in &case.failures {
        let _ = writeln!(
            out,
            "       {}:{}: expected {} {}, got {}",
            case.file,
            failure.line,
            failure.expectation.bold(),
            failure.expected.green(),
            failure.actual.red()
        );
        if let Some(because) = &failure.because {
            let _ = writeln!(out, "         because: {}", because.italic());
        }
    }
    if case.failures.is_empty() && !case.message.is_empty() && case.outcome != Outcome::Pass {
        let _ = writeln!(out, "       {}", case.message);
    }
    if let Some(diff) = &case.diff {
        render_diff(out, diff);
    }
    if let Some(model) = case
        .live
        .as_ref()
        .and_then(|live| live.model.as_ref())
        .filter(|m| m.stale)
    {
        // the message says so, unless the failures were shown in its place
        if !case.failures.is_empty() {
            let _ = writeln!(
                out,
                "       {} the live answer differs from the model's prediction",
                "model is stale:".yellow().bold()
            );
        }
        if let Some(diff) = &model.diff {
            render_diff(out, diff);
        }
    }
}

fn render_diff(out: &mut String, diff: &str) {
    for line in diff.lines() {
        let line = match line.chars().next() {
            Some('+') if !line.starts_with("+++") => line.green().to_string(),
            Some('-') if !line.starts_with("---") => line.red().to_string(),
            Some('@') => line.cyan().to_string(),
            _ => line.dimmed().to_string(),
        };
        let _ = writeln!(out, "       {line}");
    }
}

/// "yes" / "no" / "—" for a refresh-token observation.
pub fn yes_no(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

/// Whether a scenario's refresh_token answer differs across its matrix: a refresh_token came
/// back in some of its cases or grants and not in others (a grant that did not happen counts
/// as none) — era against era, one parameter set against another, first grant against repeat.
/// This is the README's rule for the table `run` prints.
pub fn answer_differs(group: &[&CaseReport]) -> bool {
    let repeats = group.iter().any(|c| c.refresh_token.repeat_grant.is_some());
    let answers: Vec<bool> = group
        .iter()
        .flat_map(|c| {
            let rt = c.refresh_token;
            let repeat = repeats.then_some(rt.repeat_grant == Some(true));
            std::iter::once(rt.first_grant == Some(true)).chain(repeat)
        })
        .collect();
    answers.contains(&true) && answers.contains(&false)
}

/// The scenarios of the report in order, each with its cases (skipped ones left out).
pub fn scenarios(report: &Report) -> Vec<Vec<&CaseReport>> {
    let mut groups: Vec<Vec<&CaseReport>> = Vec::new();
    for case in report.cases.iter().filter(|c| c.outcome != Outcome::Skipped) {
        match groups.last_mut() {
            Some(group) if group[0].scenario == case.scenario => group.push(case),
            _ => groups.push(vec![case]),
        }
    }
    groups
}

/// The refresh_token table, grouped by scenario, one aligned column per matrix axis. `all`:
/// every scenario; otherwise only those whose answer differs ([`answer_differs`]). Every case
/// of a shown scenario gets a row (`—`: no such grant).
pub fn matrix(report: &Report, all: bool) -> String {
    let mut out = String::new();
    for group in scenarios(report) {
        let granted = group.iter().any(|c| c.refresh_token.first_grant.is_some());
        if !(all || (granted && answer_differs(&group))) {
            continue;
        }
        let scenario = &group[0].scenario;
        let labels: Vec<Vec<String>> = group
            .iter()
            .map(|c| {
                if c.matrix.is_empty() {
                    vec![String::new()]
                } else {
                    c.matrix.iter().map(|(k, v)| format!("{k}={v}")).collect()
                }
            })
            .collect();
        let columns = labels.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                labels
                    .iter()
                    .filter_map(|l| l.get(i))
                    .map(|s| s.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let label_width = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
        let _ = writeln!(out, "  {}", scenario.bold());
        let _ = writeln!(
            out,
            "    {:<label_width$}  {}  {}",
            "",
            "first".dimmed(),
            "repeat".dimmed()
        );
        for (case, label) in group.iter().zip(&labels) {
            let cells: Vec<String> = label
                .iter()
                .zip(&widths)
                .map(|(text, width)| format!("{text:<width$}"))
                .collect();
            let cell = |v: Option<bool>| {
                let text = format!("{:<5}", yes_no(v));
                match v {
                    Some(true) => text.green().to_string(),
                    Some(false) => text.red().to_string(),
                    None => text.dimmed().to_string(),
                }
            };
            let row = format!(
                "{:<label_width$}  {}  {}",
                cells.join("  "),
                cell(case.refresh_token.first_grant),
                cell(case.refresh_token.repeat_grant)
            );
            let _ = writeln!(out, "    {}", row.trim_end());
        }
    }
    out
}

pub fn summary_line(report: &Report) -> String {
    let s = report.summary();
    let mut parts = vec![format!("{} passed", s.passed)];
    if s.failed > 0 {
        parts.push(format!("{} failed", s.failed).red().to_string());
    }
    if s.drifted > 0 {
        parts.push(format!("{} drifted", s.drifted).yellow().to_string());
    }
    if s.inconclusive > 0 {
        parts.push(format!("{} inconclusive", s.inconclusive).cyan().to_string());
    }
    if s.skipped > 0 {
        parts.push(format!("{} skipped", s.skipped));
    }
    if !report.input_errors.is_empty() {
        parts.push(
            format!("{} with errors", super::count(report.input_errors.len(), "file"))
                .red()
                .to_string(),
        );
    }
    format!("{}: {}", super::count(s.total, "case"), parts.join(", "))
}
