//! GitHub Actions output: `::error`/`::warning` workflow commands that annotate the scenario
//! (or ledger) line behind each problem, and the Markdown step summary.

use std::fmt::Write;

use super::markdown::location;
use super::outcome::{Outcome, Report};

/// Whether we run as a GitHub Actions step (`GITHUB_ACTIONS=true`).
pub fn active() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The workflow commands for a report, one per line: an error per failed expectation, per
/// drift and per input error; a warning per inconclusive case; a notice per known drift.
pub fn annotations(report: &Report) -> String {
    let mut out = String::new();
    for error in &report.input_errors {
        let file = error.path.display().to_string();
        command(
            &mut out,
            "error",
            &file,
            error.line,
            Some(error.column),
            "oauth-drift: input error",
            &error.message,
        );
    }
    for case in &report.cases {
        let ledger_problem = case.known_drift.as_ref().is_some_and(|k| k.status.is_ledger_problem());
        match case.outcome {
            Outcome::Fail if !case.failures.is_empty() && !ledger_problem => {
                for failure in &case.failures {
                    let title = format!("{}: expected {} {}", case.name, failure.expectation, failure.expected);
                    let mut message = format!(
                        "expected {} {}, got {}",
                        failure.expectation, failure.expected, failure.actual
                    );
                    if let Some(because) = &failure.because {
                        message.push_str(&format!("\nbecause: {because}"));
                    }
                    command(&mut out, "error", &case.file, failure.line, None, &title, &message);
                }
            }
            Outcome::Fail | Outcome::Drift => {
                let (file, line) = location(case);
                let title = format!(
                    "{} {}",
                    if case.outcome == Outcome::Drift {
                        "drift:"
                    } else {
                        "failed:"
                    },
                    case.name
                );
                command(&mut out, "error", file, line, None, &title, &case.message);
            }
            Outcome::Inconclusive => command(
                &mut out,
                "warning",
                &case.file,
                case.line,
                None,
                &format!("inconclusive: {}", case.name),
                &case.message,
            ),
            Outcome::Pass if case.known_drift.is_some() => command(
                &mut out,
                "notice",
                &case.file,
                case.line,
                None,
                &format!("known drift: {}", case.name),
                &case.message,
            ),
            Outcome::Pass | Outcome::Skipped => {}
        }
    }
    out
}

fn command(out: &mut String, level: &str, file: &str, line: usize, column: Option<usize>, title: &str, message: &str) {
    // line 0: the whole file (it could not be read), so no position
    let position = match column {
        _ if line == 0 => String::new(),
        Some(c) => format!(",line={line},col={c}"),
        None => format!(",line={line}"),
    };
    let _ = writeln!(
        out,
        "::{level} file={}{position},title={}::{}",
        property(file),
        property(title),
        data(message)
    );
}

/// Text for stdout or stderr that can hold no workflow command, whatever a scenario's names,
/// values or `because:` texts (or a provider's words) put in it. The runner takes a line whose
/// text starts with `::` after leading whitespace as a command (`::error …`,
/// `::stop-commands::…`), and `##[…]` (its legacy syntax) or `##vso[…]` (Azure Pipelines)
/// anywhere in a line; a line is whatever ends at LF or CR. Each of these gets a zero-width space
/// (U+200B) between its first two characters: invisible to a reader, inert to the runner. Our
/// own annotations are written by [`annotations`], never through this.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    let at_line_start = |s: &str| s.split(['\n', '\r']).any(|line| line.trim_start().starts_with("::"));
    if !at_line_start(text) && !text.contains("##[") && !text.contains("##vso[") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut line_start = true;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if line_start && rest.starts_with("::") {
            out.push_str(":\u{200B}:");
            rest = &rest[2..];
            line_start = false;
            continue;
        }
        if rest.starts_with("##[") || rest.starts_with("##vso[") {
            out.push_str("##\u{200B}");
            rest = &rest[2..];
            line_start = false;
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
        line_start = match c {
            '\n' | '\r' => true,
            c if c.is_whitespace() => line_start,
            _ => false,
        };
    }
    std::borrow::Cow::Owned(out)
}

/// Escapes a workflow command's message (`%`, CR and LF; the legacy `##[`/`##vso[` syntaxes get
/// a zero-width space, as in [`neutralise`]).
pub fn data(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace("##[", "##\u{200B}[")
        .replace("##vso[", "##\u{200B}vso[")
}

/// Escapes a workflow command property value (as `data`, plus `:` and `,`).
pub fn property(value: &str) -> String {
    data(value).replace(':', "%3A").replace(',', "%2C")
}

/// Appends `markdown` to the file named by `GITHUB_STEP_SUMMARY`, if set; returns its path.
pub fn append_step_summary(markdown: &str) -> std::io::Result<Option<std::path::PathBuf>> {
    use std::io::Write as _;
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let path = std::path::PathBuf::from(path);
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    file.write_all(markdown.as_bytes())?;
    if !markdown.ends_with('\n') {
        file.write_all(b"\n")?;
    }
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_escape_the_characters_the_runner_splits_on() {
        assert_eq!(property("a: b, 100%\nc"), "a%3A b%2C 100%25%0Ac");
        assert_eq!(data("a: b, 100%\r\nc"), "a: b, 100%25%0D%0Ac");
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn neutralise_example() {
        use super::neutralise;
        let text = "PASS evil\n  ::error title=x::injected\r::stop-commands::t and ##[error]y";
        let safe = neutralise(text);
        assert!(
            safe.lines()
                .chain(safe.split('\r'))
                .all(|l| !l.trim_start().starts_with("::"))
        );
        assert!(!safe.contains("##["));
        assert_eq!(neutralise("plain: text::kept"), "plain: text::kept");
    }
}
