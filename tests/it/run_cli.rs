//! `oauth-drift run` through the binary: exit codes, snapshots on disk, CI behaviour.

use super::support::{files_below, oauth_drift, run, scratch_with_seed};

#[test]
fn the_seed_story_passes_and_prints_the_refresh_token_matrix() {
    let dir = scratch_with_seed();
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &["run"]));
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("refresh_token on first / repeat grant"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| {
            l.contains("provider=google ") && l.trim_end().ends_with("no") && l.contains("force=approval_prompt=force ")
        })
        .unwrap_or_default();
    assert!(
        row.contains("yes"),
        "the v2 endpoint row should read `yes no`: {stdout}"
    );
}

#[test]
fn a_tampered_snapshot_is_drift_with_a_diff_and_a_pending_file() {
    let dir = scratch_with_seed();
    let snap = dir
        .path()
        .join("snapshots/approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent.snap");
    let text = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, text.replacen("repeat_grant: true", "repeat_grant: false", 1)).unwrap();
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &["run"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("DRIFT"), "{stdout}");
    assert!(
        stdout.contains("-  repeat_grant: false") && stdout.contains("+  repeat_grant: true"),
        "{stdout}"
    );
    assert!(
        snap.with_extension("snap.new").exists(),
        "a pending .snap.new is written beside it"
    );
}

#[test]
fn with_ci_set_nothing_is_written() {
    let dir = scratch_with_seed();
    let snap = dir
        .path()
        .join("snapshots/approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent.snap");
    std::fs::write(&snap, "---\nsource: x\n---\ntampered\n").unwrap();
    std::fs::remove_file(
        dir.path()
            .join("snapshots/approval_prompt_vs_prompt_consent__provider-google__force-approval_prompt-force.snap"),
    )
    .unwrap();
    let before = files_below(dir.path());
    let (code, stdout, _) = run(oauth_drift(dir.path(), &["run", "--accept"]).env("CI", "true"));
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        files_below(dir.path()),
        before,
        "no file may be written or removed on CI"
    );
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        "---\nsource: x\n---\ntampered\n"
    );
}

#[test]
fn accept_rewrites_the_snapshot_and_the_next_run_passes() {
    let dir = scratch_with_seed();
    let snap = dir
        .path()
        .join("snapshots/approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent.snap");
    let original = std::fs::read_to_string(&snap).unwrap();
    std::fs::write(&snap, "---\nsource: x\n---\ntampered\n").unwrap();
    let (code, _, _) = run(&mut oauth_drift(dir.path(), &["run", "--accept"]));
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(&snap).unwrap(),
        original,
        "run --accept writes what insta writes"
    );
    let (code, _, _) = run(&mut oauth_drift(dir.path(), &["run"]));
    assert_eq!(code, 0);
}

#[test]
fn a_snapshot_no_case_produces_is_reported() {
    let dir = scratch_with_seed();
    std::fs::write(
        dir.path()
            .join("snapshots/approval_prompt_vs_prompt_consent__provider-gone.snap"),
        "---\n---\nx\n",
    )
    .unwrap();
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &["run"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("approval_prompt_vs_prompt_consent__provider-gone.snap is not produced by any case"),
        "{stdout}"
    );
}

#[test]
fn a_filter_that_matches_nothing_is_a_usage_error() {
    let dir = scratch_with_seed();
    let (code, _, stderr) = run(&mut oauth_drift(dir.path(), &["run", "--filter", "no-such-case"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("no case matches the filter `no-such-case`"), "{stderr}");
}

#[test]
fn a_filter_selects_cases_by_name() {
    let dir = scratch_with_seed();
    let (code, stdout, _) = run(&mut oauth_drift(
        dir.path(),
        &["run", "--filter", "google@2015", "--format", "json"],
    ));
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["summary"]["total"], 3);
    assert!(
        json["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["provider"] == "google@2015")
    );
}

#[test]
fn the_json_report_has_the_documented_shape() {
    let dir = scratch_with_seed();
    let (code, stdout, _) = run(&mut oauth_drift(
        dir.path(),
        &["run", "--format", "json", "--json", "out/report.json"],
    ));
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["version"], 1);
    for key in ["total", "passed", "drifted", "failed", "inconclusive", "skipped"] {
        assert!(json["summary"][key].is_u64(), "summary.{key}");
    }
    let case = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["name"]
                .as_str()
                .unwrap()
                .contains("provider=google, force=approval_prompt=force]")
        })
        .unwrap();
    assert_eq!(case["file"], "scenarios/approval_prompt_vs_prompt_consent.yaml");
    assert_eq!(case["line"], 1);
    assert_eq!(case["outcome"], "pass");
    assert_eq!(
        case["refresh_token"],
        serde_json::json!({"first_grant": true, "repeat_grant": false})
    );
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap()).unwrap();
    assert_eq!(written, json);
}

#[test]
fn a_failed_expectation_names_its_line_and_because() {
    let dir = scratch_with_seed();
    let path = dir.path().join("scenarios/wrong.yaml");
    std::fs::write(&path, "name: wrong belief\nsteps:\n  - authorize: {access_type: offline, scope: email}\n  - exchange:\n  - authorize: {access_type: offline, scope: email, approval_prompt: force}\n  - exchange:\n  - expect: {refresh_token: present}\n    because: old blog post\n").unwrap();
    let (code, stdout, _) = run(&mut oauth_drift(
        dir.path(),
        &["run", "scenarios/wrong.yaml", "--no-snapshots"],
    ));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("scenarios/wrong.yaml:7: expected refresh_token present, got absent"),
        "{stdout}"
    );
    assert!(stdout.contains("because: old blog post"), "{stdout}");
}

#[test]
fn color_is_off_when_not_a_terminal_and_on_when_forced() {
    let dir = scratch_with_seed();
    let (_, plain, _) = run(oauth_drift(dir.path(), &["run"]).env_remove("NO_COLOR"));
    assert!(!plain.contains('\u{1b}'));
    let (_, colored, _) = run(oauth_drift(dir.path(), &["run", "--color", "always"]).env_remove("NO_COLOR"));
    assert!(colored.contains('\u{1b}'));
}

#[test]
fn a_filtered_run_reports_no_orphans_and_written_snapshots_are_readable() {
    let dir = scratch_with_seed();
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &["run", "--filter", "google@2015"]));
    assert_eq!(code, 0);
    assert!(!stdout.contains("not produced by any case"), "{stdout}");
    let snap = dir
        .path()
        .join("snapshots/approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent.snap");
    std::fs::remove_file(&snap).unwrap();
    let (code, _, _) = run(&mut oauth_drift(dir.path(), &["run", "--accept"]));
    assert_eq!(code, 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&snap).unwrap().permissions().mode() & 0o777, 0o644);
    }
}

#[test]
fn provider_flag_applies_only_to_scenarios_that_name_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("named.yaml"),
        "name: named\nprovider: google\nsteps:\n  - discovery:\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("unnamed.yaml"),
        "name: unnamed\nsteps:\n  - discovery:\n",
    )
    .unwrap();
    let (code, stdout, _) = run(&mut oauth_drift(
        dir.path(),
        &["run", ".", "--provider", "oidc", "--no-snapshots", "--format", "json"],
    ));
    assert_eq!(code, 0, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let provider = |name: &str| {
        json["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["provider"]
            .clone()
    };
    assert_eq!(provider("named"), "google");
    assert_eq!(provider("unnamed"), "oidc");
}

#[test]
fn provider_flag_of_another_family_leaves_out_files_specific_to_one_provider_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("googles.yaml"),
        "name: googles\nspecific_to: google\nsteps:\n  - discovery:\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("any.yaml"), "name: any\nsteps:\n  - discovery:\n").unwrap();
    let args = |provider: &'static str| ["run", ".", "--provider", provider, "--no-snapshots", "--format", "json"];
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &args("oidc")));
    assert_eq!(code, 0, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let names: Vec<&str> = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["any"], "{stdout}");
    let (code, stdout, _) = run(&mut oauth_drift(
        dir.path(),
        &["run", ".", "--provider", "oidc", "--no-snapshots"],
    ));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("1 scenario file not applicable to `oidc`") && stdout.contains("googles.yaml"),
        "the file left out is named once: {stdout}"
    );
    // the same family (another era) still runs it
    let (code, stdout, _) = run(&mut oauth_drift(dir.path(), &args("google@2015")));
    assert_eq!(code, 0, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["cases"].as_array().unwrap().len(), 2, "{stdout}");
}

/// Every accepted snapshot below `dir`, by name, with its bytes.
fn snapshots_in(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    (std::fs::read_dir(dir.join("snapshots")).unwrap())
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".snap"))
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn run_under_another_provider_keeps_the_corpus_snapshots_and_accepts_its_own_beside_them() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&mut oauth_drift(dir.path(), &["init", "corpus"]));
    assert_eq!(code, 0, "{stderr}");
    let corpus = dir.path().join("corpus");
    let before = snapshots_in(&corpus);

    // the provider-neutral files run under oidc; the files of Google's wording are left out
    let (code, stdout, stderr) = run(&mut oauth_drift(
        &corpus,
        &["run", "--provider", "oidc", "--accept", "--prune"],
    ));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("not applicable to `oidc`"), "{stdout}");
    let after = snapshots_in(&corpus);
    for (name, bytes) in &before {
        assert_eq!(after.get(name), Some(bytes), "{name} was changed or pruned:\n{stdout}");
    }
    let oidc: Vec<&String> = after.keys().filter(|name| !before.contains_key(*name)).collect();
    assert!(!oidc.is_empty(), "oidc's transcripts are accepted:\n{stdout}");
    assert!(
        oidc.iter().all(|name| name.ends_with("__provider-oidc.snap")),
        "{oidc:?}"
    );

    // both runs now pass on the same directory, and neither calls the other's snapshots orphans
    for args in [&["run", "--provider", "oidc"][..], &["run"]] {
        let (code, stdout, stderr) = run(&mut oauth_drift(&corpus, args));
        assert_eq!(code, 0, "{args:?}:\n{stdout}{stderr}");
        assert!(!stdout.contains("not produced by any case"), "{args:?}:\n{stdout}");
    }
    let (code, stdout, _) = run(&mut oauth_drift(&corpus, &["run", "--accept", "--prune"]));
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(snapshots_in(&corpus), after, "a plain run prunes nothing:\n{stdout}");
}
