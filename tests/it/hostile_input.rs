//! Hostile input files: whatever a scenario, ledger or input file holds, oauth-drift answers
//! with a located error (exit 2) in bounded time and memory, never an abort.

use std::time::Duration;

use super::support::{oauth_drift, output_within};

const LIMIT: Duration = Duration::from_secs(60);

/// A scenario with one step, for runs whose other input is the hostile one.
const MINIMAL_SCENARIO: &str = "name: a\nsteps:\n  - discovery:\n";

/// Runs the binary in `dir` with `args` and asserts that it refuses them as bad input (exit 2);
/// its stdout and stderr together.
fn refused_in(dir: &std::path::Path, args: &[&str]) -> String {
    let ran = output_within(oauth_drift(dir, args), LIMIT);
    let output = format!("{}{}", ran.stdout, ran.stderr);
    assert_eq!(ran.code, 2, "{args:?}: {output}");
    output
}

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
    let output = refused_in(dir.path(), &["run", "explosion.yaml", "--no-snapshots"]);
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

/// `n` distinct ledger entries, then the first one again.
fn ledger_with_a_late_duplicate(n: usize) -> String {
    let mut text = String::with_capacity(n * 96);
    text.push_str("drifts:\n");
    for i in (0..n).chain([0]) {
        text.push_str(&format!(
            "  - case: c{i}\n    observed: o\n    reason: r\n    link: https://e.example/\n    expires: 2030-01-01\n"
        ));
    }
    text
}

#[test]
fn a_ledger_of_a_hundred_thousand_entries_is_checked_for_duplicates_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("known-drift.yaml"),
        ledger_with_a_late_duplicate(100_000),
    )
    .unwrap();
    std::fs::write(dir.path().join("a.yaml"), MINIMAL_SCENARIO).unwrap();
    let output = refused_in(
        dir.path(),
        &["run", "a.yaml", "--no-snapshots", "--ledger", "known-drift.yaml"],
    );
    assert!(
        output.contains("known-drift.yaml:500002:1: case `c0` is already listed at line 2"),
        "{output}"
    );
}

#[test]
fn yaml_nested_a_hundred_thousand_levels_deep_is_refused_at_once_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "name: deep\nsteps:\n  - authorize: {{scope: {}}}\n",
        "[".repeat(100_000)
    );
    std::fs::write(dir.path().join("deep.yaml"), &deep).unwrap();
    std::fs::write(
        dir.path().join("deep-ledger.yaml"),
        format!("drifts: {}", "{a: ".repeat(100_000)),
    )
    .unwrap();
    std::fs::write(dir.path().join("a.yaml"), MINIMAL_SCENARIO).unwrap();
    let output = refused_in(dir.path(), &["run", "deep.yaml", "--no-snapshots"]);
    assert!(output.contains("deep.yaml:3:"), "{output}");
    assert!(output.contains("nests more than 64 levels"), "{output}");
    let output = refused_in(
        dir.path(),
        &["run", "a.yaml", "--no-snapshots", "--ledger", "deep-ledger.yaml"],
    );
    assert!(
        output.contains("deep-ledger.yaml:1:") && output.contains("nests more than 64 levels"),
        "{output}"
    );
}

#[cfg(unix)]
#[test]
fn endless_inputs_are_read_up_to_the_cap_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), MINIMAL_SCENARIO).unwrap();
    let runs: [&[&str]; 4] = [
        &["run", "/dev/zero", "--no-snapshots"],
        &["run", "a.yaml", "--no-snapshots", "--ledger", "/dev/zero"],
        &["diagnose", "--har", "/dev/zero"],
        &["diagnose", "--token-response", "/dev/zero"],
    ];
    for args in runs {
        let output = refused_in(dir.path(), args);
        assert!(
            output.contains("not a regular file, and it gave more than 16777216 bytes"),
            "{args:?}: {output}"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_fifo_that_never_ends_is_read_up_to_the_cap_and_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("endless.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let writer_path = fifo.clone();
    // writes until the reader closes its end (the write then fails with a broken pipe)
    let writer = std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new().write(true).open(writer_path).unwrap();
        let chunk = [b' '; 64 * 1024];
        let mut written: u64 = 0;
        while pipe.write_all(&chunk).is_ok() && written < 64 * 1024 * 1024 {
            written += chunk.len() as u64;
        }
        written
    });
    let ran = output_within(
        oauth_drift(dir.path(), &["diagnose", "--token-response", "endless.json"]),
        LIMIT,
    );
    // a writer still blocked in open (the binary never opened the FIFO) is released by a
    // non-blocking reader that closes at once
    if !writer.is_finished() {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000;
        drop(
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(O_NONBLOCK)
                .open(&fifo),
        );
    }
    let output = format!("{}{}", ran.stdout, ran.stderr);
    assert_eq!(ran.code, 2, "{output}");
    assert!(output.contains("not a regular file"), "{output}");
    let written = writer.join().unwrap();
    assert!(
        written < 64 * 1024 * 1024,
        "the reader stopped at its cap ({written} bytes written)"
    );
}

const AUTHORIZE: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=9-emit.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=email&access_type=offline";

/// Parameter names and values that break YAML written by hand: line breaks (a comment or a
/// flow map ended early), `#`, quotes, indicators, and characters YAML reads as line breaks or
/// refuses raw.
const HOSTILE_PARAMS: &[(&str, &str)] = &[
    ("x\n  - discovery:\n  #", "first"),
    ("x\n  - discovery:\n  #", "second"),
    ("a#b: [c], {d}", "v\"' # not a comment\n- e: {f}"),
    ("&anchor *alias !tag |>%@`?", "- ? : , [ ] { } & * ! | > ' \" % @ `"),
    ("line\u{2028}sep\u{85}nel", "del\u{7f} bom\u{feff} tab\t cr\r"),
    ("~", "~"),
    ("null", "true"),
];

fn hostile_url(params: &[(&str, &str)]) -> String {
    let mut url = String::from(AUTHORIZE);
    for (name, value) in params {
        let name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
        let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        url.push_str(&format!("&{name}={value}"));
    }
    url
}

#[test]
fn an_emitted_scenario_keeps_hostile_parameter_names_and_values_inside_their_scalars() {
    // a line break alone (it wrote an extra step), then everything at once
    emit_and_run(&HOSTILE_PARAMS[..2]);
    emit_and_run(HOSTILE_PARAMS);
}

fn emit_and_run(params: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let ran = output_within(
        oauth_drift(
            dir.path(),
            &["diagnose", &hostile_url(params), "--emit-scenario", "emitted.yaml"],
        ),
        LIMIT,
    );
    let text = std::fs::read_to_string(dir.path().join("emitted.yaml"))
        .unwrap_or_else(|e| panic!("no scenario written ({e}): {}{}", ran.stdout, ran.stderr));
    let document: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let steps = document["steps"].as_sequence().unwrap();
    let actions: Vec<String> = steps
        .iter()
        .map(|step| {
            let mut keys: Vec<String> = step
                .as_mapping()
                .unwrap()
                .keys()
                .map(|k| k.as_str().unwrap().to_string())
                .collect();
            keys.sort();
            keys.join("+")
        })
        .collect();
    for action in &actions {
        assert!(
            ["authorize+user", "exchange", "because+expect"].contains(&action.as_str()),
            "a step oauth-drift did not write: {action}\n{text}"
        );
    }
    let authorize = steps[0]["authorize"].as_mapping().unwrap();
    for (name, value) in params.iter().filter(|(_, v)| *v != "second") {
        assert_eq!(
            authorize.get(*name).and_then(|v| v.as_str()),
            Some(*value),
            "{name:?} does not read back as {value:?}:\n{text}"
        );
    }
    let run = output_within(
        oauth_drift(dir.path(), &["run", "emitted.yaml", "--no-snapshots"]),
        LIMIT,
    );
    assert_eq!(
        run.code, 0,
        "the emitted scenario does not pass:\n{text}\n{}{}",
        run.stdout, run.stderr
    );
}

#[test]
fn emit_scenario_keeps_an_existing_file_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mine.yaml"), "# my own scenario\n").unwrap();
    let ran = output_within(
        oauth_drift(dir.path(), &["diagnose", AUTHORIZE, "--emit-scenario", "mine.yaml"]),
        LIMIT,
    );
    assert_eq!(ran.code, 2, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stderr
            .contains("mine.yaml already exists; pass --force to overwrite it"),
        "{}",
        ran.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine.yaml")).unwrap(),
        "# my own scenario\n"
    );
    let forced = output_within(
        oauth_drift(
            dir.path(),
            &["diagnose", AUTHORIZE, "--emit-scenario", "mine.yaml", "--force"],
        ),
        LIMIT,
    );
    assert!(forced.stderr.contains("passes on the model"), "{}", forced.stderr);
    assert!(
        std::fs::read_to_string(dir.path().join("mine.yaml"))
            .unwrap()
            .contains("steps:")
    );
}

/// A scenario whose name, matrix values and `because:` try to issue workflow commands.
const WORKFLOW_COMMANDS: &str = r#"name: "evil\n::error title=pwned::injected\n  ::stop-commands::pwned and ##[error]pwned ##vso[task.complete]pwned"
matrix:
  axis: ["::stop-commands::pwned", "a\r::warning::pwned"]
steps:
  - discovery:
  - expect: {status: 500}
    because: "x\n::error::pwned because"
"#;

#[test]
fn no_workflow_command_comes_from_scenario_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("evil.yaml"), WORKFLOW_COMMANDS).unwrap();
    let summary = dir.path().join("summary.md");
    for format in ["human", "markdown", "junit", "json"] {
        let mut command = oauth_drift(
            dir.path(),
            &["run", "evil.yaml", "--no-snapshots", "-v", "--format", format],
        );
        command
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary);
        let ran = output_within(command, LIMIT);
        assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
        for (stream, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
            let commands: Vec<&str> = text
                .split(['\n', '\r'])
                .filter(|line| line.trim_start().starts_with("::"))
                .collect();
            // exactly our own: one error annotation per case's failed expectation, on stderr
            let expected = if stream == "stderr" { 2 } else { 0 };
            assert_eq!(
                commands.len(),
                expected,
                "{format} {stream} has workflow commands it should not:\n{commands:#?}\n{text}"
            );
            assert!(
                commands.iter().all(|c| c.starts_with("::error file=evil.yaml,line=6,")),
                "{commands:#?}"
            );
            assert!(
                !text.contains("##[") && !text.contains("##vso["),
                "{format} {stream}:\n{text}"
            );
        }
    }
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("evil"), "{summary}");
    assert!(
        !summary.split(['\n', '\r']).any(|l| l.trim_start().starts_with("::")) && !summary.contains("##["),
        "{summary}"
    );
}

#[cfg(unix)]
#[test]
fn a_snapshot_symlink_pointing_outside_the_directory_is_neither_read_nor_written_through() {
    let project = super::support::scratch_with_seed();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("private.txt");
    let pending = outside.path().join("pending.txt");
    std::fs::write(&secret, "TOP-SECRET-OUTSIDE-CONTENT\n").unwrap();
    std::fs::write(&pending, "UNTOUCHED\n").unwrap();
    let snapshots = project.path().join("snapshots");
    let linked = snapshots.join("approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent.snap");
    std::fs::remove_file(&linked).unwrap();
    std::os::unix::fs::symlink(&secret, &linked).unwrap();
    // a drifted case whose pending snapshot is a link outside
    let drifted =
        snapshots.join("approval_prompt_vs_prompt_consent__provider-google__force-approval_prompt-force.snap");
    let text = std::fs::read_to_string(&drifted).unwrap();
    std::fs::write(&drifted, text.replace("status: 302", "status: 303")).unwrap();
    std::os::unix::fs::symlink(&pending, drifted.with_extension("snap.new")).unwrap();
    for extra in [None, Some("--accept")] {
        let mut list = vec!["run", "scenarios/approval_prompt_vs_prompt_consent.yaml"];
        list.extend(extra);
        let ran = output_within(oauth_drift(project.path(), &list), LIMIT);
        let output = format!("{}{}", ran.stdout, ran.stderr);
        assert_ne!(ran.code, 0, "{output}");
        assert!(!output.contains("TOP-SECRET-OUTSIDE-CONTENT"), "{output}");
        assert!(
            output.contains("symbolic link to a file outside"),
            "{extra:?}: {output}"
        );
        assert_eq!(
            std::fs::read_to_string(&secret).unwrap(),
            "TOP-SECRET-OUTSIDE-CONTENT\n"
        );
        assert_eq!(std::fs::read_to_string(&pending).unwrap(), "UNTOUCHED\n");
        assert!(std::fs::symlink_metadata(&linked).unwrap().file_type().is_symlink());
    }
}

#[cfg(unix)]
#[test]
fn an_endless_credential_file_is_read_up_to_the_cap_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = oauth_drift(
        dir.path(),
        &[
            "probe",
            "--kind",
            "refresh",
            "--token-url",
            "http://127.0.0.1:9/token",
            "--no-snapshots",
        ],
    );
    command
        .env("OAUTH_DRIFT_CLIENT_ID", "endless.apps.example")
        .env("OAUTH_DRIFT_CLIENT_SECRET_FILE", "/dev/zero");
    let ran = output_within(command, LIMIT);
    let output = format!("{}{}", ran.stdout, ran.stderr);
    assert_eq!(ran.code, 2, "{output}");
    assert!(output.contains("not a regular file"), "{output}");
}
