//! A newcomer's first hour, through the binary: works from any directory, quiet when green,
//! clear when something moves (issue 14).

use std::io::Read;
use std::process::Stdio;

use super::support::{Project, SCENARIO, files_below, oauth_drift, root, run};

/// The number of cases in the repository's scenarios, as the library counts them.
fn bundled_cases() -> usize {
    let registry = oauth_drift::Registry::builtin();
    oauth_drift::Suite::load(&[root().join("scenarios")], &registry, None)
        .unwrap()
        .cases
        .len()
}

#[test]
fn run_in_a_directory_without_scenarios_uses_the_bundled_corpus_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(&mut oauth_drift(dir.path(), &["run", "--format", "json"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["summary"]["total"], bundled_cases());
    assert_eq!(json["summary"]["passed"], bundled_cases());
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &["run"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("bundled in the binary"), "{stdout}");
    assert!(
        files_below(dir.path()).is_empty(),
        "nothing is written next to the user"
    );
}

#[test]
fn compare_in_a_directory_without_scenarios_uses_the_bundled_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(&mut oauth_drift(
        dir.path(),
        &["compare", "google@2015", "google", "--format", "json"],
    ));
    assert_eq!(code, 1, "the eras differ: {stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        json.to_string().contains("forcing consent on a repeat grant"),
        "{stdout}"
    );
}

#[test]
fn accept_on_the_bundled_corpus_says_how_to_get_files_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&mut oauth_drift(dir.path(), &["run", "--accept"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("`oauth-drift init`"), "{stderr}");
}

#[test]
fn init_writes_the_bundled_corpus_which_runs_green_and_is_never_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(&mut oauth_drift(dir.path(), &["init", "corpus"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("cd corpus && oauth-drift run"), "{stdout}");
    let corpus = dir.path().join("corpus");
    assert_eq!(
        std::fs::read_to_string(corpus.join(SCENARIO)).unwrap(),
        std::fs::read_to_string(root().join(SCENARIO)).unwrap()
    );
    let (code, stdout, _) = run(&mut oauth_drift(&corpus, &["run", "--format", "json"]));
    assert_eq!(code, 0, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["summary"]["passed"], bundled_cases());
    let before = files_below(&corpus);

    let edited = corpus.join(SCENARIO);
    std::fs::write(&edited, "name: mine\nsteps:\n  - discovery:\n").unwrap();
    let (code, _, stderr) = run(&mut oauth_drift(dir.path(), &["init", "corpus"]));
    assert_eq!(code, 2, "an edited file is not overwritten: {stderr}");
    assert!(
        stderr.contains("already there with other contents") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&edited).unwrap(),
        "name: mine\nsteps:\n  - discovery:\n"
    );
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &["init", "corpus", "--force"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("1 file overwritten"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&edited).unwrap(),
        std::fs::read_to_string(root().join(SCENARIO)).unwrap()
    );
    assert_eq!(files_below(&corpus), before, "no temporary file is left behind");
}

/// Runs `args` with stdout a pipe whose reader reads `keep` bytes and goes away.
fn with_a_reader_that_leaves(args: &[&str], keep: usize) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = oauth_drift(dir.path(), args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0; keep];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), stderr)
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    // `run -v` writes far more than a pipe holds, so the write after the reader left fails
    let (code, stderr) = with_a_reader_that_leaves(&["run", "-v", "--matrix"], 100);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "no panic, no error: {stderr}");
    let (code, stderr) = with_a_reader_that_leaves(&["explain", "--list"], 10);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_green_run_prints_one_line_per_file_and_the_totals() {
    let project = Project::copy();
    let run = project.run(&["run"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains(" PASS  scenarios/approval_prompt_vs_prompt_consent.yaml  6 cases\n"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("PASS  forcing consent"),
        "no line per passing case: {}",
        run.stdout
    );
    assert!(run.stdout.ends_with("\n6 cases: 6 passed\n"), "{}", run.stdout);
}

#[test]
fn verbose_lists_every_case_with_its_transcript() {
    let project = Project::copy();
    let run = project.run(&["run", "-v"]);
    assert_eq!(run.code, 0);
    let case = "forcing consent on a repeat grant [provider=google, force=approval_prompt=force]";
    let at = run.stdout.find(&format!(" PASS  {case}\n")).expect("a line per case");
    let transcript = &run.stdout[at..];
    assert!(
        transcript.contains("       case: forcing consent on a repeat grant [provider=google"),
        "{}",
        run.stdout
    );
    assert!(transcript.contains("approval_prompt: force"), "{}", run.stdout);
}

#[test]
fn the_refresh_token_table_shows_scenarios_whose_answer_differs_and_matrix_shows_all() {
    let project = Project::copy();
    project.write(
        "scenarios/steady.yaml",
        "name: always a refresh token\nmatrix:\n  provider: [google@2015, google]\nsteps:\n  - authorize: {access_type: offline, scope: email, prompt: consent}\n  - exchange:\n  - authorize: {access_type: offline, scope: email, prompt: consent}\n  - exchange:\n",
    );
    let run = project.run(&["run", "--no-snapshots"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let table = run
        .stdout
        .split("refresh_token on first / repeat grant")
        .nth(1)
        .expect("a table");
    assert!(table.contains("forcing consent on a repeat grant"), "{}", run.stdout);
    assert!(
        !table.contains("always a refresh token"),
        "the same answer everywhere: {}",
        run.stdout
    );
    let all = project.run(&["run", "--no-snapshots", "--matrix"]);
    let table = all
        .stdout
        .split("refresh_token on first / repeat grant")
        .nth(1)
        .expect("a table");
    assert!(table.contains("always a refresh token"), "{}", all.stdout);
}

#[test]
fn each_subcommand_help_lists_only_the_flags_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    let help = |command: &str| run(&mut oauth_drift(dir.path(), &[command, "--help"])).1;
    for flag in ["--quiet", "--verbose", "--profile-file", "--matrix", "--prune"] {
        assert!(help("run").contains(flag), "run --help lacks {flag}");
    }
    for (command, absent) in [
        ("explain", &["--quiet", "--verbose", "--profile-file"][..]),
        ("init", &["--quiet", "--verbose", "--profile-file"]),
        ("diagnose", &["--quiet", "--verbose"]),
        ("providers", &["--quiet", "--verbose"]),
        ("serve", &["--verbose"]),
        ("compare", &["--quiet"]),
    ] {
        let text = help(command);
        for flag in absent {
            assert!(!text.contains(flag), "{command} --help lists {flag}:\n{text}");
        }
    }
}

#[test]
fn the_top_level_examples_are_whole_commands_that_fit_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (_, help, _) = run(oauth_drift(dir.path(), &["--help"]).env("COLUMNS", "80"));
    let examples = help.split("Examples:\n").nth(1).expect("examples");
    let mut commands = 0;
    for line in examples.lines().take_while(|l| !l.starts_with("Exit codes")) {
        assert!(line.chars().count() <= 80, "too wide: {line}");
        if line.starts_with("    ") {
            assert!(
                line.trim_start().starts_with("oauth-drift "),
                "a wrapped command: {line:?}"
            );
            commands += 1;
        }
    }
    assert!(commands >= 10, "{help}");
}

#[test]
fn a_renamed_scenario_file_leaves_orphans_that_accept_prune_removes() {
    let project = Project::copy();
    std::fs::rename(project.path(SCENARIO), project.path("scenarios/renamed.yaml")).unwrap();
    let old = "approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent.snap";

    let run = project.run(&["run", "--filter", "google@2015"]);
    let reported = |stdout: &str| stdout.matches("is not produced by any case any more").count();
    assert_eq!(reported(&run.stdout), 3, "only within the selection: {}", run.stdout);

    let run = project.run(&["run"]);
    assert_eq!(reported(&run.stdout), 6, "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!("snapshots/{old} is not produced")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("--accept --prune"), "{}", run.stdout);

    let run = project.run(&["run", "--accept", "--prune"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("accepted 6 snapshots"), "{}", run.stdout);
    assert!(
        run.stdout.contains("removed 6 snapshots that no case produces"),
        "{}",
        run.stdout
    );
    assert!(!project.path(&format!("snapshots/{old}")).exists());
    assert!(
        project
            .path("snapshots/renamed__provider-google__force-prompt-consent.snap")
            .exists()
    );
    let run = project.run(&["run"]);
    assert_eq!(reported(&run.stdout), 0, "{}", run.stdout);
}

#[test]
fn accept_says_what_it_took_and_leaves_cases_whose_expectations_fail_pending() {
    let project = Project::copy();
    let passing = project.drift_snapshot();
    let failing = "approval_prompt_vs_prompt_consent__provider-google__force-approval_prompt-force";
    project.edit(
        &format!("snapshots/{failing}.snap"),
        "repeat_grant: false",
        "repeat_grant: true",
    );
    let tampered = project.read(&format!("snapshots/{failing}.snap"));
    project.break_expectation();

    let run = project.run(&["run"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("`oauth-drift run --accept`"),
        "drift says how to accept: {}",
        run.stdout
    );

    let run = project.run(&["run", "--accept"]);
    assert_eq!(run.code, 1, "the failing expectation still fails: {}", run.stdout);
    assert!(run.stdout.contains("note: accepted 1 snapshot\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains("1 snapshot not accepted, because their expectations fail (left pending): forcing consent on a repeat grant [provider=google, force=approval_prompt=force]"),
        "{}",
        run.stdout
    );
    assert_eq!(project.read(&format!("snapshots/{failing}.snap")), tampered);
    assert!(project.path(&format!("snapshots/{failing}.snap.new")).exists());
    assert!(
        project
            .read(&format!("snapshots/{passing}.snap"))
            .contains("repeat_grant: true")
    );
}

#[test]
fn counts_are_singular_for_one() {
    let project = Project::copy();
    let run = project.run(&["run", "--filter", "provider=google, force=prompt=consent]"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.ends_with("\n1 case: 1 passed\n"), "{}", run.stdout);
}

#[test]
fn a_typo_in_an_authorize_parameter_is_warned_about_with_a_suggestion() {
    let project = Project::copy();
    let text = "name: typo\nsteps:\n  - authorize: {acess_type: offline, scope: email}\n  - exchange:\n";
    project.write("scenarios/typo.yaml", text);
    let run = project.run(&["run", "scenarios/typo.yaml", "--no-snapshots"]);
    assert_eq!(run.code, 0, "a warning, not an error: {}", run.stdout);
    assert!(
        run.stdout.contains(
            "warning: scenarios/typo.yaml:3: unknown authorization parameter `acess_type` for `google`; did you mean `access_type`?"
        ),
        "{}",
        run.stdout
    );
    project.write(
        "scenarios/twice.yaml",
        &format!("{text}{}", &text[text.find("  - authorize").unwrap()..]),
    );
    let run = project.run(&["run", "scenarios/twice.yaml", "--no-snapshots"]);
    assert_eq!(
        run.stdout.matches("warning:").count(),
        1,
        "one line per parameter: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("warning: 2 steps (scenarios/twice.yaml:3, scenarios/twice.yaml:5): unknown authorization parameter `acess_type`"),
        "{}",
        run.stdout
    );
    project.write(
        "scenarios/typo.yaml",
        &format!("unknown_parameters: [acess_type]\n{text}"),
    );
    let run = project.run(&["run", "scenarios/typo.yaml", "--no-snapshots"]);
    assert!(!run.stdout.contains("warning:"), "listed on purpose: {}", run.stdout);
}

#[test]
fn a_parameter_sent_only_to_another_provider_is_not_warned_about() {
    let project = Project::copy();
    let text = "name: per provider\nmatrix:\n  provider: [google, oidc]\nsteps:\n  - authorize: {access_type: offline, scope: openid}\n    when: {provider: google}\n  - authorize: {scope: openid offline_access, prompt: consent}\n    when: {provider: oidc}\n";
    project.write("scenarios/per_provider.yaml", text);
    let run = project.run(&["run", "scenarios/per_provider.yaml", "--no-snapshots"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        !run.stdout.contains("warning:"),
        "oidc never gets access_type: {}",
        run.stdout
    );
    // the same step for both providers is sent to oidc too, and warned about
    project.write(
        "scenarios/per_provider.yaml",
        &text.replace("    when: {provider: google}\n", ""),
    );
    let run = project.run(&["run", "scenarios/per_provider.yaml", "--no-snapshots"]);
    assert!(
        run.stdout
            .contains("unknown authorization parameter `access_type` for `oidc`"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_readme_known_drift_example_passes_when_pasted() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let block = |first_line: &str| {
        let start = readme
            .find(&format!("```yaml\n{first_line}\n"))
            .unwrap_or_else(|| panic!("README has a ```yaml block starting {first_line}"));
        let body = &readme[start + "```yaml\n".len()..];
        body[..body.find("```").unwrap()].to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::write(
        dir.path().join("scenarios/my_app.yaml"),
        block("# scenarios/my_app.yaml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("known-drift.yaml"), block("# known-drift.yaml")).unwrap();
    let (code, stdout, stderr) = run(&mut oauth_drift(dir.path(), &["run"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("known drift: repeat grants skip the consent screen"),
        "{stdout}"
    );
    let (code, stdout, _) = run(&mut oauth_drift(
        dir.path(),
        &["run", "--ledger", "/dev/null", "--no-snapshots"],
    ));
    assert_eq!(code, 1, "without the ledger the case fails: {stdout}");
}

#[test]
fn a_host_name_that_does_not_resolve_is_inconclusive_at_once_with_its_cause() {
    // a label longer than 63 bytes cannot be put into a DNS query: the resolver refuses it on
    // this machine, so no packet leaves it, and the answer is the same as on an offline one
    let host = format!("{}.invalid", "a".repeat(64));
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(oauth_drift(
        dir.path(),
        &[
            "probe",
            "--issuer",
            &format!("http://{host}"),
            "--provider",
            "oidc",
            "--kind",
            "discovery",
            "--deadline",
            "60s",
            "--format",
            "json",
        ],
    )
    .env_remove("OAUTH_DRIFT_CLIENT_ID"));
    assert_eq!(code, 3, "{stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let message = json["cases"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("the host name does not resolve") && message.contains("(1 attempt in"),
        "not retried like a transient fault: {message}"
    );
    assert!(!stderr.contains("decided"), "no progress line off a terminal: {stderr}");
}

/// The stdout of the binary run in `dir` with `args` and no `OAUTH_DRIFT_*` variable set (so
/// no credentials).
fn stdout_without_credentials(dir: &std::path::Path, args: &[&str]) -> String {
    let mut command = oauth_drift(dir, args);
    for (name, _) in std::env::vars() {
        if name.starts_with("OAUTH_DRIFT_") {
            command.env_remove(name);
        }
    }
    run(&mut command).1
}

#[test]
fn skipped_probes_are_one_line_per_reason_and_verbose_names_them() {
    let dir = tempfile::tempdir().unwrap();
    // nothing listens on port 9 of loopback: discovery is refused, the rest is skipped
    let args = [
        "probe",
        "--issuer",
        "http://127.0.0.1:9",
        "--provider",
        "google",
        "--deadline",
        "1s",
    ];
    let stdout = stdout_without_credentials(dir.path(), &args);
    let skip_lines: Vec<&str> = stdout.lines().filter(|l| l.starts_with(" SKIP ")).collect();
    assert!(
        skip_lines.len() <= 3
            && skip_lines
                .iter()
                .any(|l| l.contains("cases: missing credentials: no client id (set OAUTH_DRIFT_CLIENT_ID")),
        "{stdout}"
    );
    let stdout = stdout_without_credentials(dir.path(), &[&args[..], &["-v"]].concat());
    assert!(
        stdout.contains(
            "\n       authorize-params: forcing consent on a repeat grant [provider=google, force=prompt=consent]\n"
        ),
        "{stdout}"
    );
    let stdout = stdout_without_credentials(dir.path(), &[&args[..], &["--format", "markdown"]].concat());
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ⏭️ skipped |")).collect();
    assert!(
        rows.len() <= 3
            && rows
                .iter()
                .any(|r| r.contains(" cases | missing credentials: no client id")),
        "one row per reason in the summary: {stdout}"
    );
}

#[test]
fn on_a_terminal_probe_shows_what_it_waits_for_and_each_case_as_it_is_decided() {
    // `script` (util-linux, essential on Debian) gives the command a terminal
    let (_refusing, port) = crate::support::refused_port();
    let command = format!(
        "{} probe --issuer http://127.0.0.1:{port} --provider google --kind discovery --deadline 3s",
        env!("CARGO_BIN_EXE_oauth-drift")
    );
    let dir = tempfile::tempdir().unwrap();
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &command, "/dev/null"]).current_dir(dir.path());
    for (name, _) in std::env::vars() {
        if name.starts_with("OAUTH_DRIFT_") || name == "CI" {
            script.env_remove(name);
        }
    }
    let (code, terminal, _) = run(&mut script);
    assert_eq!(code, 3, "{terminal}");
    assert!(terminal.contains("decided"), "a progress line: {terminal}");
    assert!(
        terminal.contains("connection refused; attempt 2 in"),
        "the wait before a retry: {terminal}"
    );
    assert!(
        terminal.contains(" inconclusive discovery: 127-0-0-1"),
        "the case as soon as it is decided: {terminal}"
    );
}

#[test]
fn the_readme_quick_start_output_is_the_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let quick = &readme[readme.find("## Quick start").unwrap()..];
    let start = quick.find("A green `run` is short").unwrap();
    let block = &quick[start..];
    let block = &block[block.find("```\n").unwrap() + 4..];
    let block = &block[..block.find("```").unwrap()];
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &["run"]));
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    for line in block.lines().filter(|l| l.trim() != "…") {
        assert!(
            lines.contains(&line),
            "README line {line:?} is not in the output:\n{stdout}"
        );
    }
}

#[test]
fn scripts_test_says_what_it_would_install_and_without_root_or_sudo_prints_the_command_and_stops() {
    // a PATH with no curl and no sudo, and an `id` that says "not root": the script must
    // explain, print the exact command and stop before changing anything
    let bin = tempfile::tempdir().unwrap();
    std::fs::write(bin.path().join("id"), "#!/bin/sh\necho 1000\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.path().join("id"), std::fs::Permissions::from_mode(0o755)).unwrap();
        for tool in ["dirname", "python3"] {
            let real = ["/usr/bin", "/bin"]
                .iter()
                .map(|d| std::path::Path::new(d).join(tool))
                .find(|p| p.exists())
                .unwrap_or_else(|| panic!("{tool} is installed"));
            std::os::unix::fs::symlink(real, bin.path().join(tool)).unwrap();
        }
    }
    let (code, stdout, stderr) = run(std::process::Command::new("/bin/bash")
        .arg(root().join("scripts/test"))
        .env("PATH", bin.path())
        .env_remove("CARGO_TARGET_DIR"));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("the tests need these, which are not installed yet")
            && stdout.contains("  - curl (Debian): the scripted browser of the probe tests"),
        "what and why, before anything: {stdout}"
    );
    assert!(
        stderr.contains("not root and no sudo")
            && stderr.contains("apt-get update && apt-get install -y --no-install-recommends curl"),
        "{stderr}"
    );
}
