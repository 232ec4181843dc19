//! Hostile input files: whatever a scenario, ledger or input file holds, oauth-drift answers
//! with a located error (exit 2) in bounded time and memory, never an abort.

use std::time::Duration;

use super::support::{oauth_drift, output_within};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn a_matrix_larger_than_the_case_cap_is_refused_at_its_line_before_expanding() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name: explosion\nmatrix:\n");
    for axis in 0..10 {
        let values: Vec<String> = (0..10).map(|v| format!("v{v}")).collect();
        text.push_str(&format!("  axis{axis}: [{}]\n", values.join(", ")));
    }
    text.push_str("steps:\n  - discovery:\n");
    std::fs::write(dir.path().join("explosion.yaml"), &text).unwrap();
    let ran = output_within(
        oauth_drift(dir.path(), &["run", "explosion.yaml", "--no-snapshots"]),
        LIMIT,
    );
    let output = format!("{}{}", ran.stdout, ran.stderr);
    assert_eq!(ran.code, 2, "{output}");
    assert!(
        output.contains("explosion.yaml:2:1: the matrix expands into 10000000000 cases")
            && output.contains("at most 10000"),
        "{output}"
    );
}

#[test]
fn a_matrix_within_the_case_cap_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name: wide\nmatrix:\n  a: [a0, a1]\n  b: [b0, b1, b2]\nsteps:\n  - discovery:\n";
    std::fs::write(dir.path().join("wide.yaml"), text).unwrap();
    let ran = output_within(oauth_drift(dir.path(), &["run", "wide.yaml", "--no-snapshots"]), LIMIT);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
}
