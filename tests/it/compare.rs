//! `oauth-drift compare A B` on the two Google eras: the approval_prompt story as a row.

use crate::support::Project;

const FORCE_ROW: &str = "forcing consent on a repeat grant [force=approval_prompt=force]";

#[test]
fn the_google_eras_differ_on_approval_prompt_force_and_nothing_else() {
    let project = Project::copy();
    let run = project.run(&["compare", "google@2015", "google", "--color", "never"]);
    assert_eq!(run.code, 1, "differences exit 1:\n{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("google@2015 → google: 1 of 3 cases behaves differently\n"),
        "{}",
        run.stdout
    );
    let row = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with(FORCE_ROW))
        .unwrap_or_else(|| panic!("no row:\n{}", run.stdout));
    let cells: Vec<&str> = row.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(
        cells,
        [FORCE_ROW, "shown / shown → shown / skipped", "yes / yes → yes / no"],
        "{row}"
    );
    assert!(
        !run.stdout.contains("[force=prompt=consent]"),
        "identical cases are not listed without -v:\n{}",
        run.stdout
    );
}

#[test]
fn markdown_puts_the_story_in_a_table_for_a_pr_comment() {
    let project = Project::copy();
    let run = project.run(&["compare", "google@2015", "google", "--format", "markdown"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let table = run.stdout.split("<details>").next().unwrap();
    assert!(
        table.contains("| case | consent screen (first / repeat) | refresh_token (first / repeat) | errors |"),
        "{}",
        run.stdout
    );
    assert!(
        table.contains("| forcing consent on a repeat grant \\[force=approval\\_prompt=force\\] | **shown / shown → shown / skipped** | **yes / yes → yes / no** | same |"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("<details><summary>2 cases behave the same</summary>"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_lists_every_case_with_what_differs() {
    let project = Project::copy();
    let run = project.run(&["compare", "google@2015", "google", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (doc["a"].as_str(), doc["b"].as_str(), doc["differs"].as_bool()),
        (Some("google@2015"), Some("google"), Some(true))
    );
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let force = rows.iter().find(|r| r["case"] == FORCE_ROW).unwrap();
    assert_eq!(force["differs"], serde_json::json!(["consent_screen", "refresh_token"]));
    assert_eq!(
        force["a"]["refresh_token"],
        serde_json::json!({"first_grant": true, "repeat_grant": true})
    );
    assert_eq!(
        force["b"]["refresh_token"],
        serde_json::json!({"first_grant": true, "repeat_grant": false})
    );
    assert_eq!(
        force["b"]["consent_screen"],
        serde_json::json!({"first_grant": true, "repeat_grant": false})
    );
    let both = rows
        .iter()
        .find(|r| r["case"] == "forcing consent on a repeat grant [force=approval_prompt=force&prompt=consent]")
        .unwrap();
    assert_eq!(both["differs"], serde_json::json!([]));
    assert!(
        both["a"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("400 invalid_request: Conflict params: approval_prompt and prompt"),
        "{both}"
    );
}

#[test]
fn a_profile_compared_with_itself_does_not_differ() {
    let project = Project::copy();
    let run = project.run(&["compare", "google", "google"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("0 of 3 cases behave differently"), "{}", run.stdout);
}

#[test]
fn a_scenario_without_a_provider_axis_runs_under_both_profiles() {
    let project = Project::copy();
    project.write(
        "scenarios/plain.yaml",
        "name: plain force\nsteps:\n  - authorize: {access_type: offline, scope: email, approval_prompt: force}\n  - exchange:\n  - authorize: {access_type: offline, scope: email, approval_prompt: force}\n  - exchange:\n",
    );
    let run = project.run(&[
        "compare",
        "google@2015",
        "google",
        "scenarios/plain.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let row = &doc["rows"][0];
    assert_eq!(row["case"], "plain force");
    assert_eq!(row["a"]["refresh_token"]["repeat_grant"], true);
    assert_eq!(row["b"]["refresh_token"]["repeat_grant"], false);
}

#[test]
fn an_unknown_profile_is_an_input_error() {
    let project = Project::copy();
    let run = project.run(&["compare", "google@2015", "gogle"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown provider `gogle`; did you mean `google`?"),
        "{}",
        run.stderr
    );
}
