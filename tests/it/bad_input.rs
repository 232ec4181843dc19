//! Bad scenario input: every kind gets `path:line:col:` and exit 2, never a panic, and the
//! other files of the run are still checked and reported.

use super::support::{oauth_drift, run};

/// (what is wrong, file text, expected line:col, words the message must contain)
const CASES: &[(&str, &str, &str, &str)] = &[
    ("malformed yaml", "name: x\nsteps: [\n", "3:1", "did not find expected"),
    ("tab indentation", "name: x\nsteps:\n\t- discovery:\n", "3:1", "tab"),
    ("empty file", "", "1:1", "the file is empty"),
    ("comments only", "# nothing\n", "1:1", "the file is empty"),
    (
        "unknown step",
        "name: x\nsteps:\n  - authorise: {scope: email}\n",
        "3:5",
        "did you mean `authorize`?",
    ),
    (
        "unknown top-level key",
        "name: x\nstep:\n  - discovery:\n",
        "2:1",
        "did you mean `steps`?",
    ),
    (
        "unknown expect key",
        "name: x\nsteps:\n  - discovery:\n  - expect: {refresh_tokens: present}\n",
        "4:14",
        "did you mean `refresh_token`?",
    ),
    (
        "wrong type",
        "name: x\nsteps:\n  - discovery:\n  - expect: {status: ok}\n",
        "4:22",
        "invalid type",
    ),
    (
        "unknown enum value",
        "name: x\nsteps:\n  - discovery:\n  - expect: {refresh_token: presnt}\n",
        "4:29",
        "did you mean `present`?",
    ),
    (
        "unknown provider",
        "name: x\nprovider: gogle\nsteps:\n  - discovery:\n",
        "2:11",
        "unknown provider `gogle`; did you mean `google`? (known: google, google@2015, oidc, oidc@rotating)",
    ),
    (
        "unknown provider in specific_to",
        "name: x\nspecific_to: gogle\nsteps:\n  - discovery:\n",
        "2:14",
        "unknown provider `gogle`; did you mean `google`?",
    ),
    (
        "unknown era",
        "name: x\nprovider: google@2051\nsteps:\n  - discovery:\n",
        "2:11",
        "did you mean `google@2015`?",
    ),
    (
        "undefined matrix variable",
        "name: x\nsteps:\n  - authorize: {scope: \"${scopes}\"}\n",
        "3:24",
        "unknown matrix variable `scopes`",
    ),
    (
        "undefined with axis",
        "name: x\nmatrix:\n  force: [{prompt: consent}]\nsteps:\n  - authorize: {scope: email, with: forse}\n",
        "5:37",
        "did you mean `force`?",
    ),
    (
        "unknown when value",
        "name: x\nmatrix:\n  provider: [google]\nsteps:\n  - discovery:\n    when: {provider: gogle}\n",
        "6:22",
        "unknown value of matrix axis `provider` `gogle`",
    ),
    (
        "unknown client",
        "name: x\nclients:\n  web: {}\nsteps:\n  - authorize: {scope: email}\n    client: mobile\n",
        "6:13",
        "unknown client `mobile`",
    ),
    (
        "unknown user",
        "name: x\nusers: [alice]\nsteps:\n  - authorize: {scope: email}\n    user: bob\n",
        "5:11",
        "unknown user `bob`",
    ),
    (
        "two actions in a step",
        "name: x\nsteps:\n  - exchange:\n    refresh:\n",
        "3:3",
        "exchange and refresh",
    ),
    (
        "modifier without authorize",
        "name: x\nsteps:\n  - exchange:\n    user: alice\n",
        "3:3",
        "belong to an `authorize` step",
    ),
    (
        "bad duration",
        "name: x\nsteps:\n  - advance: 10 fortnights\n",
        "3:14",
        "is not a duration",
    ),
    ("missing steps", "name: x\n", "1:1", "missing field `steps`"),
    ("empty steps", "name: x\nsteps: []\n", "2:1", "`steps:` is empty"),
    (
        "empty matrix axis",
        "name: x\nmatrix:\n  force: []\nsteps:\n  - discovery:\n",
        "3:3",
        "has no values",
    ),
];

#[test]
fn every_kind_of_bad_input_is_located_and_exits_2() {
    assert!(CASES.len() >= 15);
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (what, text, at, words) in CASES {
        let file = format!("{}.yaml", what.replace(' ', "_"));
        std::fs::write(dir.path().join(&file), text).unwrap();
        let (code, stdout, stderr) = run(&mut oauth_drift(dir.path(), &["run", &file, "--no-snapshots"]));
        let output = format!("{stdout}{stderr}");
        let location = format!("{file}:{at}: ");
        if code != 2 || !output.contains(&location) || !output.contains(words) || output.contains("panicked") {
            failures.push(format!(
                "{what}: exit {code}, wanted `{location}` and `{words}` in:\n{output}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_bad_file_does_not_stop_the_others_from_running() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a_bad.yaml"), "name: x\nsteps:\n  - authorise:\n").unwrap();
    std::fs::write(
        dir.path().join("b_good.yaml"),
        "name: good\nsteps:\n  - discovery:\n  - expect: {status: 200}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c_bad.yaml"),
        "name: y\nprovider: nope\nsteps:\n  - discovery:\n",
    )
    .unwrap();
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &["run", ".", "--no-snapshots"]));
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.contains("a_bad.yaml:3:5:") && stdout.contains("c_bad.yaml:2:11:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("PASS") && stdout.contains("good"),
        "the good file still runs: {stdout}"
    );
}

#[test]
fn unreadable_paths_and_unknown_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&mut oauth_drift(dir.path(), &["run", "missing.yaml"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("error: missing.yaml: no such file or directory"),
        "a missing file has no line to point at: {stderr}"
    );
    let (code, _, _) = run(&mut oauth_drift(dir.path(), &["run", "--no-such-flag"]));
    assert_eq!(code, 2);
    let (code, _, stderr) = run(&mut oauth_drift(dir.path(), &["run", "--provider", "gogle", "."]));
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `google`?"), "{stderr}");
}
