//! The JUnit XML report (`--junit FILE`, `--format junit`): one `<testsuite>` per scenario
//! file, one `<testcase>` per case. Valid against the Jenkins JUnit schema (junit-10.xsd), the
//! common denominator that CI test reporters read.

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::outcome::{CaseReport, Outcome, Report};

/// Renders the report as JUnit XML; `name` names the run (`oauth-drift run`).
pub fn render(report: &Report, name: &str) -> String {
    let mut junit = quick_junit::Report::new(name);
    let mut files: Vec<&str> = Vec::new();
    for case in &report.cases {
        if !files.contains(&case.file.as_str()) {
            files.push(&case.file);
        }
    }
    for error in &report.input_errors {
        let file = error.path.display().to_string();
        let mut suite = TestSuite::new(file.clone());
        suite.extra.insert("file".into(), file.into());
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_type("input error").set_message(error.to_string());
        let mut case = TestCase::new("load scenario file", status);
        case.set_classname(error.path.display().to_string());
        suite.add_test_case(case);
        junit.add_test_suite(suite);
    }
    for file in files {
        let mut suite = TestSuite::new(file);
        suite.extra.insert("file".into(), file.into());
        suite.add_test_cases(report.cases.iter().filter(|c| c.file == file).map(test_case));
        junit.add_test_suite(suite);
    }
    let xml = junit
        .to_string()
        .unwrap_or_else(|e| format!("<!-- the JUnit report could not be written: {e} -->\n"));
    without_root_skipped(xml)
}

fn test_case(case: &CaseReport) -> TestCase {
    let status = match case.outcome {
        Outcome::Pass => TestCaseStatus::success(),
        Outcome::Fail | Outcome::Drift => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let kind = if case.outcome == Outcome::Drift {
                "drift"
            } else {
                "expectation"
            };
            status
                .set_type(kind)
                .set_message(case.message.clone())
                .set_description(details(case));
            status
        }
        Outcome::Inconclusive | Outcome::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_type(case.outcome.label())
                .set_message(format!("{}: {}", case.outcome.label(), case.message));
            status
        }
    };
    let mut test = TestCase::new(case.name.clone(), status);
    test.set_classname(case.scenario.clone());
    if case.outcome == Outcome::Pass && !case.message.is_empty() {
        test.set_system_out(format!("{}\n", case.message));
    }
    test
}

/// The failure text: every failed expectation, located, then the snapshot diff.
fn details(case: &CaseReport) -> String {
    let mut text = String::new();
    for failure in &case.failures {
        text.push_str(&format!(
            "{}:{}: expected {} {}, got {}\n",
            case.file, failure.line, failure.expectation, failure.expected, failure.actual
        ));
        if let Some(because) = &failure.because {
            text.push_str(&format!("  because: {because}\n"));
        }
    }
    if case.failures.is_empty() {
        text.push_str(&format!("{}:{}: {}\n", case.file, case.line, case.message));
    }
    if let Some(diff) = &case.diff {
        text.push('\n');
        text.push_str(diff);
    }
    text
}

/// junit-10.xsd has no `skipped` attribute on `<testsuites>` (each `<testsuite>` carries its
/// own count), and strict consumers such as Jenkins' xUnit plugin reject unknown attributes;
/// quick-junit always writes it, so it is dropped from the root element here.
fn without_root_skipped(xml: String) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml;
    };
    let Some(end) = xml[start..].find('>').map(|i| start + i) else {
        return xml;
    };
    let root = &xml[start..end];
    let Some(at) = root.find(" skipped=\"") else { return xml };
    let value_start = at + " skipped=\"".len();
    let Some(close) = root[value_start..].find('"') else {
        return xml;
    };
    let (cut_from, cut_to) = (start + at, start + value_start + close + 1);
    format!("{}{}", &xml[..cut_from], &xml[cut_to..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_loses_only_its_skipped_attribute() {
        let xml =
            "<?xml?>\n<testsuites name=\"x\" tests=\"2\" skipped=\"1\" failures=\"0\">\n<testsuite skipped=\"1\">"
                .to_string();
        assert_eq!(
            without_root_skipped(xml),
            "<?xml?>\n<testsuites name=\"x\" tests=\"2\" failures=\"0\">\n<testsuite skipped=\"1\">"
        );
    }
}
