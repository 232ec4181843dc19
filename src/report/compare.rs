//! `oauth-drift compare` output: the behaviour differences between two profiles as a table,
//! for a terminal, for a PR comment (Markdown), or as JSON.

use std::fmt::Write;

use colored::Colorize;

use super::markdown::{cell, code, text};
use crate::profile_diff::{Aspect, Behaviour, Comparison, Row};
use crate::transcript::RefreshSummary;

fn shown(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "shown",
        Some(false) => "skipped",
        None => "—",
    }
}

fn yes_no(value: Option<bool>) -> &'static str {
    super::human::yes_no(value)
}

fn pair(summary: RefreshSummary, word: fn(Option<bool>) -> &'static str) -> String {
    format!("{} / {}", word(summary.first_grant), word(summary.repeat_grant))
}

fn errors(behaviour: &Behaviour) -> String {
    let mut all = behaviour.errors.clone();
    all.extend(behaviour.fault.iter().map(|f| format!("fault: {f}")));
    if all.is_empty() { "none".into() } else { all.join("; ") }
}

/// The cells of a row: consent screen, refresh_token; `A → B` where they differ.
fn cells(row: &Row) -> [String; 2] {
    let both = |aspect: Aspect, a: String, b: String| {
        if row.differs.contains(&aspect) {
            format!("{a} → {b}")
        } else {
            a
        }
    };
    [
        both(
            Aspect::ConsentScreen,
            pair(row.a.consent_screen, shown),
            pair(row.b.consent_screen, shown),
        ),
        both(
            Aspect::RefreshToken,
            pair(row.a.refresh_token, yes_no),
            pair(row.b.refresh_token, yes_no),
        ),
    ]
}

fn headline(comparison: &Comparison) -> String {
    let differing = comparison.rows.iter().filter(|r| !r.differs.is_empty()).count();
    format!(
        "{} → {}: {differing} of {} {} differently",
        comparison.a,
        comparison.b,
        super::count(comparison.rows.len(), "case"),
        if differing == 1 { "behaves" } else { "behave" }
    )
}

/// The terminal table: differing cases (all cases with `verbose`), errors under their row.
pub fn human(comparison: &Comparison, verbose: bool) -> String {
    let rows: Vec<&Row> = comparison
        .rows
        .iter()
        .filter(|r| verbose || !r.differs.is_empty())
        .collect();
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", headline(comparison).bold());
    if !rows.is_empty() {
        let header = [
            "case",
            "consent screen (first / repeat)",
            "refresh_token (first / repeat)",
        ];
        let table: Vec<[String; 3]> = rows
            .iter()
            .map(|r| {
                let [consent, refresh] = cells(r);
                [r.case.clone(), consent, refresh]
            })
            .collect();
        let width = |i: usize| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        };
        let (w0, w1) = (width(0), width(1));
        let _ = writeln!(
            out,
            "  {:<w0$}  {:<w1$}  {}",
            header[0].bold(),
            header[1].bold(),
            header[2].bold()
        );
        for (row, cells) in rows.iter().zip(&table) {
            let paint = |aspect: Aspect, value: &str, width: usize| {
                let padded = format!("{value:<width$}");
                if row.differs.contains(&aspect) {
                    padded.yellow().to_string()
                } else {
                    padded
                }
            };
            let _ = writeln!(
                out,
                "  {:<w0$}  {}  {}",
                cells[0],
                paint(Aspect::ConsentScreen, &cells[1], w1),
                paint(Aspect::RefreshToken, &cells[2], 0)
            );
            if row.differs.contains(&Aspect::Errors) {
                let _ = writeln!(
                    out,
                    "  {:<w0$}  errors under {}: {}",
                    "",
                    comparison.a,
                    errors(&row.a).yellow()
                );
                let _ = writeln!(
                    out,
                    "  {:<w0$}  errors under {}: {}",
                    "",
                    comparison.b,
                    errors(&row.b).yellow()
                );
            }
        }
    }
    let same = comparison.rows.len() - comparison.rows.iter().filter(|r| !r.differs.is_empty()).count();
    if same > 0 && !verbose {
        let verb = if same == 1 { "behaves" } else { "behave" };
        let _ = writeln!(
            out,
            "\n{} {verb} the same under both (-v lists them)",
            super::count(same, "case")
        );
    }
    out
}

/// The Markdown table for a PR comment; identical cases folded into a `<details>`.
pub fn markdown(comparison: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", text(&headline(comparison)));
    let (differ, same): (Vec<&Row>, Vec<&Row>) = comparison.rows.iter().partition(|r| !r.differs.is_empty());
    let table = |out: &mut String, rows: &[&Row]| {
        let _ = writeln!(
            out,
            "| case | consent screen (first / repeat) | refresh_token (first / repeat) | errors |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for row in rows {
            let [consent, refresh] = cells(row);
            let errors = if row.differs.contains(&Aspect::Errors) {
                format!(
                    "{}: {}\n{}: {}",
                    comparison.a,
                    errors(&row.a),
                    comparison.b,
                    errors(&row.b)
                )
            } else {
                "same".into()
            };
            let mark = |aspect: Aspect, value: String| {
                if row.differs.contains(&aspect) {
                    format!("**{}**", cell(&value))
                } else {
                    cell(&value)
                }
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&row.case),
                mark(Aspect::ConsentScreen, consent),
                mark(Aspect::RefreshToken, refresh),
                mark(Aspect::Errors, errors)
            );
        }
    };
    if !differ.is_empty() {
        table(&mut out, &differ);
        out.push('\n');
    }
    if !same.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} the same</summary>\n",
            match same.len() {
                1 => "1 case behaves".to_string(),
                n => format!("{n} cases behave"),
            }
        );
        table(&mut out, &same);
        let _ = writeln!(out, "\n</details>\n");
    }
    let _ = writeln!(
        out,
        "Profiles: {} and {}; scenarios run on the built-in model.",
        code(&comparison.a),
        code(&comparison.b)
    );
    out
}

/// The comparison as JSON: both profiles and every row with the aspects that differ.
pub fn json(comparison: &Comparison) -> String {
    let document = serde_json::json!({
        "version": 1,
        "a": comparison.a,
        "b": comparison.b,
        "differs": comparison.differs(),
        "rows": comparison.rows,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
