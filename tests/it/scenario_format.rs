//! The scenario format's newer keys through the binary: what a scenario can say, and what
//! fails loudly instead of passing with a note.

use super::support::{oauth_drift, run, scratch_with_seed};

/// Runs one scenario file written into a fresh scratch directory, without snapshots.
fn run_scenario(text: &str) -> (i32, String) {
    let dir = scratch_with_seed();
    let path = dir.path().join("scenarios/under_test.yaml");
    std::fs::write(&path, text).unwrap();
    let (code, stdout, _) = run(&mut oauth_drift(
        dir.path(),
        &["run", "scenarios/under_test.yaml", "--no-snapshots"],
    ));
    (code, stdout)
}

#[test]
fn an_exchange_after_a_denied_authorization_fails_loudly() {
    let (code, stdout) = run_scenario(
        "name: denied then exchanged\nsteps:\n  - authorize: {scope: email}\n    on_consent_screen: deny\n  - exchange:\n",
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("under_test.yaml:5: expected exchange a code to send, got no authorization code to exchange"),
        "{stdout}"
    );
}
