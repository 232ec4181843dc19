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

#[test]
fn value_checks_fail_with_their_line_and_never_print_a_secret() {
    let (code, stdout) = run_scenario(
        "name: wrong values\nsteps:\n  - authorize: {scope: \"openid email\", access_type: offline}\n  - exchange:\n  - expect:\n      values:\n        id_token.email: bob@example.com\n        access_token: {matches: \"^nope\"}\n        token_type: {not: Bearer}\n      capture: {token: access_token}\n  - refresh:\n  - expect: {error: any, values: {access_token: {same_as: token}, scope: {same_as: never}}}\n",
    );
    assert_eq!(code, 1, "{stdout}");
    for line in [
        "under_test.yaml:5: expected id_token.email \"bob@example.com\", got \"alice@example.com\"",
        "under_test.yaml:5: expected access_token to match /^nope/, got a value (not shown: a secret)",
        "under_test.yaml:5: expected token_type not \"Bearer\", got \"Bearer\"",
        "under_test.yaml:12: expected error any, got none",
        "under_test.yaml:12: expected access_token the value captured as `token`, got a value (not shown: a secret)",
        "under_test.yaml:12: expected scope the value captured as `never` (nothing was captured under that name)",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in {stdout}");
    }
    assert!(!stdout.contains("ya29."), "no token value is printed: {stdout}");
}

#[test]
fn a_bad_regular_expression_is_a_located_input_error() {
    let (code, stdout) =
        run_scenario("name: bad regex\nsteps:\n  - userinfo:\n  - expect: {values: {email: {matches: \"(\"}}}\n");
    assert_eq!(code, 2, "{stdout}");
}

#[test]
fn a_client_from_a_matrix_variable_must_name_clients_only() {
    let (code, stdout) = run_scenario(
        "name: bad axis\nclients:\n  web: {type: web}\nmatrix:\n  app: [web, nope]\nsteps:\n  - authorize: {scope: email}\n    client: \"${app}\"\n",
    );
    assert_eq!(code, 2, "{stdout}");
}

#[test]
fn a_repeat_block_runs_its_steps_and_its_bounds_are_checked() {
    let (code, stdout) = run_scenario(
        "name: three grants\nsteps:\n  - repeat:\n      times: 3\n      steps:\n        - authorize: {scope: email, access_type: offline, prompt: consent}\n        - exchange:\n  - refresh: {token: 3}\n  - expect: {status: 200}\n  - refresh: {token: 4}\n  - expect: {status: 200}\n",
    );
    assert_eq!(code, 1, "three tokens, not four: {stdout}");
    assert!(
        stdout.contains("under_test.yaml:11: expected status 200, got nothing (no refresh token to refresh with"),
        "{stdout}"
    );
    let (code, stdout) = run_scenario("name: none\nsteps:\n  - repeat: {times: 0, steps: [{userinfo: }]}\n");
    assert_eq!(code, 2, "{stdout}");
}
