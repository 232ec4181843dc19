//! On GitHub Actions (`GITHUB_ACTIONS=true`): workflow-command annotations on the scenario
//! line of each failure, and the Markdown step summary appended to `$GITHUB_STEP_SUMMARY`.

use crate::support::{Project, SCENARIO};

#[test]
fn annotations_point_at_the_line_of_the_failing_expectation() {
    let project = Project::copy();
    let line = project.break_expectation();
    project.drift_snapshot();
    let summary = project.path("summary.md");
    let run = project.run_with(
        &["run", "--format", "json"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    // stdout stays pure JSON: the workflow commands go to stderr
    serde_json::from_str::<serde_json::Value>(&run.stdout).expect("stdout is JSON");
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("::error ")).collect();
    // the title's `,` and `:` are escaped so the runner does not split the properties there
    let title = "forcing consent on a repeat grant [provider=google%2C force=approval_prompt=force]%3A expected refresh_token present";
    let expected = format!(
        "::error file={SCENARIO},line={line},title={title}::expected refresh_token present, got absent%0Abecause: OBS oauth2client #453 (2016): approval_prompt=force no longer works on /o/oauth2/v2/auth"
    );
    assert!(
        errors.contains(&expected.as_str()),
        "{expected}\nnot in:\n{}",
        run.stderr
    );
    assert!(
        errors
            .iter()
            .any(|l| l.contains(&format!(",line={line},title=")) && l.contains("expected consent_screen shown")),
        "{}",
        run.stderr
    );
    assert!(
        errors.iter().any(|l| l.starts_with(&format!("::error file={SCENARIO},line=1,title=drift%3A forcing consent on a repeat grant [provider=google%2C force=prompt=consent]::"))),
        "{}",
        run.stderr
    );
    assert_eq!(errors.len(), 3, "{}", run.stderr);
}

#[test]
fn the_step_summary_has_totals_changed_cases_diffs_and_the_matrix() {
    let project = Project::copy();
    project.break_expectation();
    project.drift_snapshot();
    project.write("summary.md", "earlier step\n");
    let summary = project.path("summary.md");
    let run = project.run_with(
        &["run", "-q"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let text = project.read("summary.md");
    assert!(
        text.starts_with("earlier step\n## oauth-drift run: ❌ drift or failed expectations\n"),
        "appends, never truncates:\n{text}"
    );
    assert!(text.contains("| total | passed | drifted | failed | inconclusive | skipped |\n|---:|---:|---:|---:|---:|---:|\n| 6 | 4 | 1 | 1 | 0 | 0 |"), "{text}");
    let changed = text.split("### Changed cases").nth(1).expect("a changed-cases table");
    assert!(
        changed.contains(
            "| ❌ fail | forcing consent on a repeat grant \\[provider=google, force=approval\\_prompt=force\\] |"
        ),
        "{text}"
    );
    assert!(
        changed
            .contains("| 🟡 drift | forcing consent on a repeat grant \\[provider=google, force=prompt=consent\\] |"),
        "{text}"
    );
    let details = text.split("<details><summary>").nth(1).expect("a collapsible diff");
    assert!(
        details.starts_with("forcing consent on a repeat grant [provider=google, force=prompt=consent]</summary>"),
        "{text}"
    );
    assert!(details.contains("```diff\n--- accepted\n+++ this run\n"), "{text}");
    assert!(
        details.contains("-  repeat_grant: false\n+  repeat_grant: true\n"),
        "{text}"
    );
    let matrix = text
        .split("### refresh_token on first / repeat grant")
        .nth(1)
        .expect("the matrix");
    assert!(
        matrix.contains(
            "| forcing consent on a repeat grant | provider=google, force=approval\\_prompt=force | yes | no |"
        ),
        "{text}"
    );
    assert!(
        matrix.contains(
            "| forcing consent on a repeat grant | provider=google@2015, force=approval\\_prompt=force | yes | yes |"
        ),
        "{text}"
    );
}

#[test]
fn nothing_is_annotated_or_summarised_off_github_actions() {
    let project = Project::copy();
    project.break_expectation();
    project.write("summary.md", "");
    let summary = project.path("summary.md");
    let run = project.run_with(&["run"], &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("::error"), "{}", run.stderr);
    assert_eq!(project.read("summary.md"), "");
}

#[test]
fn a_passing_run_on_github_actions_annotates_nothing_and_summarises_the_story() {
    let project = Project::copy();
    let summary = project.path("summary.md");
    let run = project.run_with(
        &["run"],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("::"), "{}", run.stderr);
    let text = project.read("summary.md");
    assert!(text.starts_with("## oauth-drift run: ✅ no drift"), "{text}");
    assert!(!text.contains("### Changed cases"), "{text}");
    assert!(
        text.contains(&format!(
            "| {} | {} | yes | no |",
            "forcing consent on a repeat grant", "provider=google, force=approval\\_prompt=force"
        )),
        "{text}"
    );
}

#[test]
fn on_ci_pending_snapshots_are_written_only_when_insta_update_asks() {
    let project = Project::copy();
    let slug = project.drift_snapshot();
    let pending = format!("snapshots/{slug}.snap.new");
    let run = project.run_with(&["run", "-q"], &[("CI", "true")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!project.path(&pending).exists(), "CI alone writes nothing");
    let run = project.run_with(&["run", "-q"], &[("CI", "true"), ("INSTA_UPDATE", "new")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        project.read(&pending).contains("repeat_grant: true"),
        "the CI workflow uploads this file"
    );
}
