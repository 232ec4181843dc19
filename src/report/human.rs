//! The human report: one line per case, failures with their `because:`, snapshot diffs, and
//! the refresh_token matrix.

use std::fmt::Write;

use colored::Colorize;

use super::outcome::{CaseReport, Outcome, Report};

/// Renders the whole report as colored text (colors obey `colored`'s global switch).
pub fn render(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    for error in &report.input_errors {
        let _ = writeln!(out, "{} {error}", "error:".red().bold());
    }
    for case in &report.cases {
        render_case(&mut out, case, verbose);
    }
    for orphan in &report.orphans {
        let _ = writeln!(
            out,
            "{} {} is not produced by any case any more; delete it if the case is gone",
            "warning:".yellow().bold(),
            orphan.display()
        );
    }
    for note in &report.notes {
        let _ = writeln!(out, "{} {note}", "note:".cyan());
    }
    let matrix = matrix(report);
    if !matrix.is_empty() {
        let _ = writeln!(out, "\n{}", "refresh_token on first / repeat grant".bold());
        out.push_str(&matrix);
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
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
    if case.outcome == Outcome::Pass && !verbose {
        if case.known_drift.is_some() {
            let _ = writeln!(out, "       {}", case.message.dimmed());
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

/// The refresh_token table: one row per case that reached a grant, grouped by scenario,
/// with one aligned column per matrix axis.
pub fn matrix(report: &Report) -> String {
    let rows: Vec<&CaseReport> = report
        .cases
        .iter()
        .filter(|c| c.refresh_token.first_grant.is_some())
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut start = 0;
    while start < rows.len() {
        let scenario = &rows[start].scenario;
        let end = start + rows[start..].iter().take_while(|c| &c.scenario == scenario).count();
        let group = &rows[start..end];
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
        start = end;
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
            format!("{} file(s) with errors", report.input_errors.len())
                .red()
                .to_string(),
        );
    }
    format!("{} cases: {}", s.total, parts.join(", "))
}
