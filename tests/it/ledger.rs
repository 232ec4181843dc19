//! The known-drift ledger: a listed drift passes with a note; a listed drift that vanished or
//! whose entry expired fails; a malformed ledger is an input error (exit 2, located).

use crate::support::{Project, line_of};

const DRIFTING: &str = "forcing consent on a repeat grant [provider=google, force=prompt=consent]";
const PASSING: &str = "forcing consent on a repeat grant [provider=google, force=approval_prompt=force]";

fn entry(case: &str, expires: &str) -> String {
    format!(
        "  - case: \"{case}\"\n    observed: the repeat grant comes back with a refresh_token\n    reason: rollout under investigation\n    link: https://github.com/example/app/issues/7\n    expires: {expires}\n"
    )
}

fn case<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn a_listed_drift_passes_with_a_note() {
    let project = Project::copy();
    let slug = project.drift_snapshot();
    project.write("known-drift.yaml", &format!("drifts:\n{}", entry(slug, "2999-12-31")));
    let run = project.run(&["run", "--format", "json"]);
    assert_eq!(
        run.code, 0,
        "the default known-drift.yaml applies:\n{}{}",
        run.stdout, run.stderr
    );
    let report = json(&run.stdout);
    let drifting = case(&report, DRIFTING);
    assert_eq!(drifting["outcome"], "pass");
    assert_eq!(drifting["known_drift"]["status"], "known");
    assert_eq!(drifting["known_drift"]["line"], 2);
    assert!(
        drifting["message"]
            .as_str()
            .unwrap()
            .starts_with("known drift: the repeat grant comes back with a refresh_token"),
        "{drifting}"
    );
    assert!(drifting["diff"].is_string(), "the diff stays in the report: {drifting}");

    let human = project.run(&["run", "--color", "never"]);
    assert_eq!(human.code, 0);
    assert!(
        human
            .stdout
            .contains(&format!(" PASS  {DRIFTING}\n       known drift: the repeat grant")),
        "{}",
        human.stdout
    );
}

#[test]
fn a_listed_drift_by_full_name_that_no_longer_happens_fails_at_the_entry() {
    let project = Project::copy();
    let ledger = format!("# reviewed monthly\ndrifts:\n{}", entry(PASSING, "2999-12-31"));
    project.write("ledger/known.yaml", &ledger);
    let run = project.run(&["run", "--ledger", "ledger/known.yaml", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run.stdout);
    let vanished = case(&report, PASSING);
    assert_eq!(vanished["outcome"], "fail");
    assert_eq!(vanished["known_drift"]["status"], "vanished");
    assert_eq!(vanished["line"], 3, "points at the ledger entry");
    assert!(
        vanished["message"]
            .as_str()
            .unwrap()
            .starts_with("known drift no longer happens"),
        "{vanished}"
    );

    let annotated = project.run_with(&["run", "--ledger", "ledger/known.yaml"], &[("GITHUB_ACTIONS", "true")]);
    assert!(
        annotated
            .stderr
            .contains("::error file=ledger/known.yaml,line=3,title=failed%3A "),
        "{}",
        annotated.stderr
    );
}

#[test]
fn an_expired_entry_fails_even_though_the_drift_still_happens() {
    let project = Project::copy();
    let slug = project.drift_snapshot();
    project.write("known-drift.yaml", &format!("drifts:\n{}", entry(slug, "2001-02-03")));
    let run = project.run(&["run", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run.stdout);
    let expired = case(&report, DRIFTING);
    assert_eq!(expired["outcome"], "fail");
    assert_eq!(expired["known_drift"]["status"], "expired");
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .starts_with("known drift entry expired on 2001-02-03"),
        "{expired}"
    );
}

#[test]
fn a_drift_unlike_the_listed_one_stays_a_drift() {
    let project = Project::copy();
    let slug = project.drift_snapshot();
    let text = format!(
        "drifts:\n{}    refresh_token: {{repeat_grant: false}}\n",
        entry(slug, "2999-12-31")
    );
    project.write("known-drift.yaml", &text);
    let run = project.run(&["run", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run.stdout);
    let drift = case(&report, DRIFTING);
    assert_eq!(drift["outcome"], "drift");
    assert_eq!(drift["known_drift"]["status"], "mismatch");
    assert!(
        drift["message"]
            .as_str()
            .unwrap()
            .contains("refresh_token on the repeat grant is present (the entry says absent)"),
        "{drift}"
    );
}

#[test]
fn malformed_entries_are_located_input_errors() {
    let project = Project::copy();
    let good = entry(DRIFTING, "2999-12-31");
    let cases = [
        (good.replace("reason:", "reasn:"), "reasn", "did you mean `reason`?"),
        (good.replace("2999-12-31", "2999-02-30"), "expires", ""),
        (
            good.replace("https://github.com/example/app/issues/7", "ask in chat"),
            "link",
            "not a URL",
        ),
        (
            good.replace("    observed: the repeat grant comes back with a refresh_token\n", ""),
            "case",
            "missing field `observed`",
        ),
    ];
    for (text, key, message) in cases {
        let ledger = format!("drifts:\n{text}");
        project.write("known-drift.yaml", &ledger);
        let run = project.run(&["run"]);
        assert_eq!(run.code, 2, "{ledger}\n{}", run.stderr);
        let line = line_of(&ledger, &format!("{key}:"));
        assert!(
            run.stderr.contains(&format!("known-drift.yaml:{line}:")),
            "expected line {line}:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains(message), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing runs with a bad ledger: {}", run.stdout);
    }
}

#[test]
fn an_entry_for_no_case_in_the_run_is_noted_with_a_suggestion() {
    let project = Project::copy();
    let slug = "approval_prompt_vs_prompt_consent__provider-google__force-prompt-consnt";
    project.write("known-drift.yaml", &format!("drifts:\n{}", entry(slug, "2999-12-31")));
    let run = project.run(&["run", "--color", "never"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("note: known-drift.yaml:2: known drift `{slug}` matches no case in this run; did you mean `approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent`?")),
        "{}",
        run.stdout
    );
}
