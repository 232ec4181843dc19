//! The Markdown report (`--format markdown`, `--markdown FILE`, and the GitHub step summary):
//! totals, a table of changed cases, collapsible diffs, and the refresh_token matrix.

use std::fmt::Write;

use super::human::{answer_differs, scenarios, skipped_by_reason, yes_no};
use super::outcome::{CaseReport, LedgerStatus, Outcome, Report};

/// Renders the report as GitHub-flavoured Markdown under a `## title` heading.
pub fn render(report: &Report, title: &str) -> String {
    let s = report.summary();
    let mut out = String::new();
    let verdict = match report.exit_code() {
        crate::exit::OK => "✅ no drift",
        crate::exit::DRIFT => "❌ drift or failed expectations",
        crate::exit::INCONCLUSIVE => "⚠️ inconclusive",
        _ => "❌ input errors",
    };
    let _ = writeln!(out, "## {}: {verdict}\n", text(title));
    let _ = writeln!(out, "| total | passed | drifted | failed | inconclusive | skipped |");
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        s.total, s.passed, s.drifted, s.failed, s.inconclusive, s.skipped
    );

    if !report.input_errors.is_empty() {
        let _ = writeln!(out, "### Input errors\n");
        for error in &report.input_errors {
            let _ = writeln!(out, "- {}", code(&error.to_string()));
        }
        out.push('\n');
    }

    let changed: Vec<&CaseReport> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Drift | Outcome::Fail))
        .collect();
    if !changed.is_empty() {
        let _ = writeln!(out, "### Changed cases\n");
        let _ = writeln!(out, "| outcome | case | where | what |");
        let _ = writeln!(out, "|---|---|---|---|");
        for case in &changed {
            let (file, line) = location(case);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                badge(case.outcome),
                cell(&case.name),
                code(&format!("{file}:{line}")),
                cell(&what(case))
            );
        }
        out.push('\n');
    }

    let with_diff: Vec<&CaseReport> = changed.iter().copied().filter(|c| c.diff.is_some()).collect();
    if !with_diff.is_empty() {
        let _ = writeln!(out, "### Snapshot diffs\n");
        for case in with_diff {
            let diff = case.diff.as_deref().unwrap_or_default();
            let _ = writeln!(
                out,
                "<details><summary>{}</summary>\n",
                html_escape::encode_text(&case.name)
            );
            out.push_str(&fenced("diff", diff));
            let _ = writeln!(out, "</details>\n");
        }
    }

    let inconclusive: Vec<&CaseReport> = report
        .cases
        .iter()
        .filter(|c| c.outcome == Outcome::Inconclusive)
        .collect();
    let skipped = skipped_by_reason(report);
    if !inconclusive.is_empty() || !skipped.is_empty() {
        let _ = writeln!(out, "### Not checked\n");
        let _ = writeln!(out, "| outcome | case | why |");
        let _ = writeln!(out, "|---|---|---|");
        for case in inconclusive {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                badge(case.outcome),
                cell(&case.name),
                cell(&case.message)
            );
        }
        // one row per reason: a run without credentials skips every case for the same one
        for (reason, cases) in skipped {
            let who = match cases.as_slice() {
                [one] => cell(&one.name),
                many => super::count(many.len(), "case"),
            };
            let _ = writeln!(out, "| {} | {} | {} |", badge(Outcome::Skipped), who, cell(reason));
        }
        out.push('\n');
    }

    let known: Vec<&CaseReport> = report
        .cases
        .iter()
        .filter(|c| c.known_drift.as_ref().is_some_and(|k| k.status == LedgerStatus::Known))
        .collect();
    if !known.is_empty() {
        let _ = writeln!(out, "### Known drifts (from the ledger)\n");
        let _ = writeln!(out, "| case | observed | reason | until |");
        let _ = writeln!(out, "|---|---|---|---|");
        for case in known {
            if let Some(k) = &case.known_drift {
                let _ = writeln!(
                    out,
                    "| {} | {} | [{}]({}) | {} |",
                    cell(&case.name),
                    cell(&k.observed),
                    cell(&k.reason),
                    k.link,
                    k.expires
                );
            }
        }
        out.push('\n');
    }

    let rows: Vec<&CaseReport> = scenarios(report)
        .into_iter()
        .filter(|group| group.iter().any(|c| c.refresh_token.first_grant.is_some()) && answer_differs(group))
        .flatten()
        .collect();
    if !rows.is_empty() {
        let _ = writeln!(out, "### refresh_token on first / repeat grant\n");
        let _ = writeln!(
            out,
            "Scenarios whose answer differs across their matrix or between the first and the repeat grant.\n"
        );
        let _ = writeln!(out, "| scenario | case | first grant | repeat grant |");
        let _ = writeln!(out, "|---|---|:---:|:---:|");
        for case in rows {
            let label = if case.matrix.is_empty() {
                case.name.clone()
            } else {
                case.matrix
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&case.scenario),
                cell(&label),
                yes_no(case.refresh_token.first_grant),
                yes_no(case.refresh_token.repeat_grant)
            );
        }
        out.push('\n');
    }

    let mut notes: Vec<String> = report.warnings.iter().map(|w| format!("warning: {w}")).collect();
    notes.extend(report.notes.iter().cloned());
    notes.extend(report.orphans.iter().map(|o| {
        format!(
            "{} is not produced by any case any more (a renamed or removed case): delete it, or run with --accept --prune",
            o.display()
        )
    }));
    if !notes.is_empty() {
        let _ = writeln!(out, "### Notes\n");
        for note in notes {
            let _ = writeln!(out, "- {}", text(&note));
        }
        out.push('\n');
    }
    out
}

/// Where to look: the ledger entry for ledger problems, else the failing expectation.
pub fn location(case: &CaseReport) -> (&str, usize) {
    match &case.known_drift {
        Some(k) if k.status.is_ledger_problem() => (&k.ledger, k.line),
        _ => (&case.file, case.line),
    }
}

fn what(case: &CaseReport) -> String {
    if case.failures.is_empty() {
        return case.message.clone();
    }
    let mut parts: Vec<String> = case
        .failures
        .iter()
        .map(|f| {
            format!(
                "line {}: expected {} {}, got {}",
                f.line, f.expectation, f.expected, f.actual
            )
        })
        .collect();
    if case.diff.is_some() {
        parts.push("snapshot differs".into());
    }
    parts.join("\n")
}

fn badge(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✅ pass",
        Outcome::Drift => "🟡 drift",
        Outcome::Fail => "❌ fail",
        Outcome::Inconclusive => "⚠️ inconclusive",
        Outcome::Skipped => "⏭️ skipped",
    }
}

/// Text safe in a Markdown table cell: HTML and Markdown syntax escaped, lines joined by `<br>`.
pub fn cell(value: &str) -> String {
    text(value).replace('|', "\\|").replace('\n', "<br>")
}

/// Text safe as Markdown prose: HTML escaped (`<refresh_token#1>` stays visible) and the
/// characters that start emphasis, code or links escaped.
pub fn text(value: &str) -> String {
    let escaped = html_escape::encode_text(value.trim_end());
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An inline code span that holds any text (backticks inside get a longer delimiter).
pub fn code(value: &str) -> String {
    let value = value.replace('\n', " ").replace('|', "\\|");
    let longest = longest_backtick_run(&value);
    let ticks = "`".repeat(longest + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{value}{pad}{ticks}")
}

/// A fenced code block whose fence is longer than any backtick run in `body`.
pub fn fenced(language: &str, body: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
    let mut out = format!("{fence}{language}\n{body}");
    if !body.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

fn longest_backtick_run(value: &str) -> usize {
    value.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_html_and_newlines() {
        assert_eq!(cell("a|b <refresh_token#1>\nc"), "a\\|b &lt;refresh\\_token#1&gt;<br>c");
    }

    #[test]
    fn a_fence_outgrows_backticks_in_the_body() {
        assert_eq!(fenced("diff", "```x\n"), "````diff\n```x\n````\n");
        assert_eq!(code("a`b"), "``a`b``");
    }
}
