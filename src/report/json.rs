//! The JSON report (`--format json`), version 1 as fixed in DESIGN.md; fields may be added,
//! never renamed or removed.

use serde::Serialize;
use serde_json::json;

use super::outcome::{CaseReport, Report, Summary};

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    summary: Summary,
    cases: &'a [CaseReport],
    errors: Vec<serde_json::Value>,
    orphaned_snapshots: Vec<String>,
}

pub fn render(report: &Report) -> String {
    let errors = report
        .input_errors
        .iter()
        .map(
            |e| json!({"file": e.path.display().to_string(), "line": e.line, "column": e.column, "message": e.message}),
        )
        .collect();
    let document = JsonReport {
        version: 1,
        summary: report.summary(),
        cases: &report.cases,
        errors,
        orphaned_snapshots: report.orphans.iter().map(|p| p.display().to_string()).collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}
