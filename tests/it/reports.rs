//! The machine-readable reports of `run`: JSON and JUnit, parsed back and checked, and the
//! JUnit XML validated against the Jenkins JUnit schema (tests/schema/junit-10.xsd).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use oauth_drift::{CaseReport, Outcome, RefreshSummary, Report};

use crate::support::{Project, SCENARIO, output_within, python_with};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn the_json_report_has_the_documented_shape() {
    let project = Project::copy();
    let run = project.run(&["run", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = json(&run.stdout);
    assert_eq!(report["version"], 1);
    assert_eq!(
        report["summary"],
        serde_json::json!({"total": 6, "passed": 6, "drifted": 0, "failed": 0, "inconclusive": 0, "skipped": 0})
    );
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        for field in [
            "name",
            "file",
            "line",
            "provider",
            "outcome",
            "message",
            "refresh_token",
        ] {
            assert!(case.get(field).is_some(), "{field} missing in {case}");
        }
        assert_eq!(case["file"], SCENARIO);
    }
    let story = cases
        .iter()
        .find(|c| c["name"] == "forcing consent on a repeat grant [provider=google, force=approval_prompt=force]")
        .unwrap();
    assert_eq!(
        story["refresh_token"],
        serde_json::json!({"first_grant": true, "repeat_grant": false})
    );
}

#[test]
fn json_file_is_written_beside_the_human_output() {
    let project = Project::copy();
    project.break_expectation();
    let run = project.run(&["run", "--json", "out/report.json", "--color", "never"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(" FAIL  forcing consent on a repeat grant [provider=google, force=approval_prompt=force]"),
        "{}",
        run.stdout
    );
    let report = json(&project.read("out/report.json"));
    assert_eq!(report["summary"]["failed"], 1);
    let failed: Vec<&serde_json::Value> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "fail")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["failures"][0]["expectation"], "refresh_token");
}

/// One failed expectation, one drift, and a second scenario file.
fn broken_project() -> (Project, usize) {
    let project = Project::copy();
    let line = project.break_expectation();
    project.drift_snapshot();
    let second = project
        .read(SCENARIO)
        .replace("name: forcing consent on a repeat grant", "name: second file");
    project.write("scenarios/second.yaml", &second);
    (project, line)
}

#[test]
fn junit_groups_cases_by_scenario_file_and_carries_expectations_and_diffs() {
    let (project, line) = broken_project();
    let run = project.run(&["run", "--junit", "junit.xml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let xml = project.read("junit.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<roxmltree::Node> = root.children().filter(|n| n.has_tag_name("testsuite")).collect();
    let names: Vec<&str> = suites.iter().map(|s| s.attribute("name").unwrap()).collect();
    assert_eq!(names, [SCENARIO, "scenarios/second.yaml"]);
    for suite in &suites {
        assert_eq!(suite.children().filter(|n| n.has_tag_name("testcase")).count(), 6);
        assert_eq!(suite.attribute("tests"), Some("6"));
    }
    let first = suites[0];
    assert_eq!(first.attribute("failures"), Some("2"));
    let failure = |case: &str| {
        first
            .children()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(case))
            .and_then(|n| n.children().find(|c| c.has_tag_name("failure")))
            .unwrap_or_else(|| panic!("no failure for {case}"))
    };
    let expectation = failure("forcing consent on a repeat grant [provider=google, force=approval_prompt=force]");
    assert_eq!(expectation.attribute("type"), Some("expectation"));
    let text = expectation.text().unwrap();
    assert!(
        text.contains(&format!(
            "{SCENARIO}:{line}: expected refresh_token present, got absent"
        )),
        "{text}"
    );
    assert!(text.contains("because: OBS oauth2client #453"), "{text}");
    let drift = failure("forcing consent on a repeat grant [provider=google, force=prompt=consent]");
    assert_eq!(drift.attribute("type"), Some("drift"));
    let diff = drift.text().unwrap();
    assert!(diff.contains("-  repeat_grant: false\n+  repeat_grant: true"), "{diff}");
    // the second file has no accepted snapshots (no drift), only the broken expectation
    assert_eq!(suites[1].attribute("failures"), Some("1"));
    validate(&project.path("junit.xml"));
}

fn case(name: &str, outcome: Outcome, message: &str) -> CaseReport {
    CaseReport {
        name: name.into(),
        file: "scenarios/live.yaml".into(),
        line: 3,
        provider: "google".into(),
        outcome,
        message: message.into(),
        refresh_token: RefreshSummary::default(),
        matrix: Vec::new(),
        failures: Vec::new(),
        diff: None,
        snapshot: None,
        scenario: "live".into(),
        slug: String::new(),
        known_drift: None,
        live: None,
        transcript: None,
        accept: None,
    }
}

#[test]
fn junit_marks_skipped_and_inconclusive_cases_as_such() {
    let report = Report {
        cases: vec![
            case(
                "refresh with a stored token",
                Outcome::Skipped,
                "OAUTH_DRIFT_REFRESH_TOKEN is not set",
            ),
            case(
                "discovery",
                Outcome::Inconclusive,
                "503 from the provider after 3 tries",
            ),
            case("authorize params", Outcome::Pass, ""),
        ],
        ..Default::default()
    };
    let xml = report.to_junit("oauth-drift probe");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let skipped: Vec<(Option<&str>, Option<&str>)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .map(|n| (n.attribute("type"), n.attribute("message")))
        .collect();
    assert_eq!(
        skipped,
        [
            (Some("skipped"), Some("skipped: OAUTH_DRIFT_REFRESH_TOKEN is not set")),
            (
                Some("inconclusive"),
                Some("inconclusive: 503 from the provider after 3 tries")
            )
        ]
    );
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure") || n.has_tag_name("error"))
            .count(),
        0
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, xml).unwrap();
    validate(&path);
}

#[test]
fn a_scenario_file_that_does_not_load_is_a_junit_error() {
    let project = Project::copy();
    project.write("scenarios/broken.yaml", "name: broken\nsteps:\n  - authorise: {}\n");
    let run = project.run(&["run", "--junit", "junit.xml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let xml = project.read("junit.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let error = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("an <error> element");
    assert!(
        error
            .attribute("message")
            .unwrap()
            .contains("scenarios/broken.yaml:3:5"),
        "{xml}"
    );
    validate(&project.path("junit.xml"));
}

/// Validates a JUnit file against the committed Jenkins schema with Python's xmlschema.
fn validate(path: &Path) {
    let Some(python) = python_with("xmlschema") else { return };
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/junit-10.xsd");
    let script = "import sys, xmlschema\nschema = xmlschema.XMLSchema(sys.argv[1])\nerrors = [f'{e.path}: {e.reason}' for e in schema.iter_errors(sys.argv[2])]\nprint('\\n'.join(errors))\nsys.exit(1 if errors else 0)\n";
    let mut command = Command::new(python);
    command.args(["-c", script]).arg(&schema).arg(path);
    let run = output_within(command, Duration::from_secs(60));
    assert_eq!(
        run.code,
        0,
        "{} is not valid against junit-10.xsd:\n{}{}",
        path.display(),
        run.stdout,
        run.stderr
    );
}
