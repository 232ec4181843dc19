//! `oauth-drift probe` end to end on loopback: against the provider model served the way
//! `serve` serves it, with scripted browsers for the interactive consent path.

use std::time::Duration;

use oauth_drift::ConsentMode;
use serde_json::Value;

use super::live_support::{
    CLIENT_ID, PLANTED_SECRET, Provider, args, case, cases, client_env, files_under, oauth_drift, provider, root,
    scenario,
};

const LIMIT: Duration = Duration::from_secs(120);
const ALL_KINDS: &str = "discovery,authorize-params,refresh,consent";

fn credentials(refresh_token_file: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("OAUTH_DRIFT_CLIENT_ID".into(), CLIENT_ID.into()),
        ("OAUTH_DRIFT_CLIENT_SECRET".into(), PLANTED_SECRET.into()),
        (
            "OAUTH_DRIFT_REFRESH_TOKEN_FILE".into(),
            refresh_token_file.display().to_string(),
        ),
    ]
}

fn probe_args(base: &str, snapshots: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut list = args(&[
        "probe",
        &scenario(),
        "--issuer",
        base,
        "--provider",
        "google",
        "--target",
        "model",
    ]);
    list.extend(args(&[
        "--snapshots",
        &snapshots.display().to_string(),
        "--deadline",
        "10s",
    ]));
    if !extra.contains(&"--consent-timeout") {
        list.extend(args(&["--consent-timeout", "20s"]));
    }
    list.extend(args(extra));
    list
}

fn outcome(case: &Value) -> &str {
    case["outcome"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_probe_kind_agrees_with_the_model_it_runs_against_and_snapshots_are_stable() {
    let provider = provider("google", ConsentMode::Auto).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("refresh_token");
    std::fs::write(&token_file, provider.refresh_token("bob")).unwrap();
    let snapshots = dir.path().join("live");
    let run = |extra: &'static [&'static str]| {
        let list = probe_args(
            &provider.base,
            &snapshots,
            &[
                &[
                    "--kind",
                    ALL_KINDS,
                    "--open-with",
                    "curl -s -o /dev/null -L",
                    "--revoke",
                    "--format",
                    "json",
                ],
                extra,
            ]
            .concat(),
        );
        oauth_drift(list, credentials(&token_file), LIMIT)
    };

    let first = run(&["--accept"]).await;
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let report = first.json();
    assert_eq!(report["summary"]["total"], 8, "{report:#}");
    assert_eq!(report["summary"]["passed"], 8, "{report:#}");
    let list = cases(&report);
    for case in &list {
        let live = &case["live"];
        assert_eq!(live["target"], "model");
        assert_eq!(live["model"]["stale"], false, "{case:#}");
    }
    let force = case(
        &list,
        "consent: forcing consent on a repeat grant [provider=google, force=approval_prompt=force]",
    );
    assert_eq!(
        force["refresh_token"],
        serde_json::json!({"first_grant": true, "repeat_grant": false})
    );
    let consent = case(
        &list,
        "consent: forcing consent on a repeat grant [provider=google, force=prompt=consent]",
    );
    assert_eq!(
        consent["refresh_token"],
        serde_json::json!({"first_grant": true, "repeat_grant": true})
    );
    let conflict = case(
        &list,
        "authorize-params: forcing consent on a repeat grant [provider=google, force=approval_prompt=force&prompt=consent]",
    );
    assert_eq!(conflict["outcome"], "pass");
    assert!(first.stderr.contains("handed to --open-with"), "{}", first.stderr);

    let written: Vec<String> = files_under(&snapshots)
        .iter()
        .map(|(p, _)| p.strip_prefix(&snapshots).unwrap().display().to_string())
        .collect();
    assert_eq!(written.len(), 8, "{written:?}");
    assert!(
        written.iter().all(|p| p.starts_with("model/") && p.ends_with(".snap")),
        "{written:?}"
    );
    let refresh = std::fs::read_to_string(snapshots.join("model/refresh.snap")).unwrap();
    assert!(
        refresh.contains("rotated: false") && refresh.contains("refresh_token: <refresh_token#1>"),
        "{refresh}"
    );
    let consent_snap = std::fs::read_to_string(
        snapshots.join("model/consent__approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent.snap"),
    )
    .unwrap();
    assert!(
        consent_snap.contains("redirect: http://127.0.0.1:<port>/callback"),
        "{consent_snap}"
    );
    assert!(consent_snap.contains("code_challenge_method: S256"), "{consent_snap}");

    // a second run (new ports, new tokens, new states) reads the same
    let second = run(&[]).await;
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(second.json()["summary"]["passed"], 8);
    assert_eq!(
        files_under(&snapshots).len(),
        8,
        "a pending snapshot was written: {:?}",
        files_under(&snapshots)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_changed_is_drift_and_the_model_is_stale() {
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().join("live");
    let token_file = dir.path().join("refresh_token");
    let extra = [
        "--kind",
        "discovery,consent",
        "--open-with",
        "curl -s -o /dev/null -L",
        "--revoke",
    ];
    let today = provider("google", ConsentMode::Auto).await;
    std::fs::write(&token_file, today.refresh_token("bob")).unwrap();
    let accepted = oauth_drift(
        probe_args(&today.base, &snapshots, &[&extra[..], &["--accept"]].concat()),
        credentials(&token_file),
        LIMIT,
    )
    .await;
    assert_eq!(accepted.code, 0, "{}\n{}", accepted.stdout, accepted.stderr);

    // the "live" provider now behaves as in 2015: approval_prompt=force forces consent again
    let changed = provider("google@2015", ConsentMode::Auto).await;
    let ran = oauth_drift(
        probe_args(&changed.base, &snapshots, &[&extra[..], &["--format", "json"]].concat()),
        credentials(&token_file),
        LIMIT,
    )
    .await;
    assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
    let report = ran.json();
    let list = cases(&report);
    let discovery = case(&list, "discovery: model");
    assert_eq!(outcome(discovery), "drift");
    assert_eq!(discovery["live"]["model"]["stale"], true);
    assert!(
        discovery["live"]["model"]["diff"]
            .as_str()
            .unwrap()
            .contains("+authorization_endpoint path: /o/oauth2/auth"),
        "{discovery:#}"
    );
    // the scenario's own expectation (no refresh token on the repeat grant) fails too
    let force = case(
        &list,
        "consent: forcing consent on a repeat grant [provider=google, force=approval_prompt=force]",
    );
    assert_eq!(outcome(force), "fail", "{force:#}");
    assert_eq!(force["failures"][0]["expectation"], "refresh_token");
    assert_eq!(force["refresh_token"]["repeat_grant"], true);
    assert!(
        force["message"].as_str().unwrap().contains("model is stale"),
        "{force:#}"
    );
    assert_eq!(force["live"]["model"]["stale"], true);
    let model_diff = force["live"]["model"]["diff"].as_str().unwrap();
    assert!(
        model_diff.contains("-  repeat_grant: false\n+  repeat_grant: true"),
        "{model_diff}"
    );
    assert!(
        force["diff"].as_str().unwrap().contains("+  repeat_grant: true"),
        "{force:#}"
    );

    let human = oauth_drift(
        probe_args(&changed.base, &snapshots, &[&extra[..], &["--no-snapshots"]].concat()),
        credentials(&token_file),
        LIMIT,
    )
    .await;
    assert_eq!(human.code, 1);
    assert!(human.stdout.contains("model is stale:"), "{}", human.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scripted_browser_answers_the_consent_page_and_forged_callbacks_are_refused() {
    let provider = provider("google", ConsentMode::Page).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("refresh_token");
    std::fs::write(&token_file, provider.refresh_token("bob")).unwrap();
    let scenario_file = dir.path().join("choices.yaml");
    std::fs::write(
        &scenario_file,
        r#"name: the user chooses
steps:
  - authorize: {access_type: offline, scope: "openid email https://www.googleapis.com/auth/drive.file"}
    on_consent_screen: deny
  - expect: {error: access_denied}
  - authorize: {access_type: offline, scope: "openid email https://www.googleapis.com/auth/drive.file"}
    on_consent_screen: {grant_only: [openid, email]}
  - exchange:
  - expect: {refresh_token: present, scope: "openid https://www.googleapis.com/auth/userinfo.email"}
"#,
    )
    .unwrap();
    // any Python 3 will do (the browser uses the standard library only)
    let python = std::env::var("OAUTH_DRIFT_PYTHON").unwrap_or_else(|_| "python3".into());
    let browser = format!("{python} {}", root().join("tests/fixtures/browser.py").display());
    let mut list = probe_args(
        &provider.base,
        &dir.path().join("live"),
        &[
            "--kind",
            "consent",
            "--open-with",
            &browser,
            "--revoke",
            "--no-snapshots",
            "--format",
            "json",
        ],
    );
    list.push(scenario_file.display().to_string());
    let mut env = credentials(&token_file);
    env.push(("BROWSER_FORGE_FIRST".into(), "1".into()));
    let ran = oauth_drift(list, env, LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let list = cases(&ran.json());
    assert_eq!(list.len(), 4, "{list:#?}");
    for case in &list {
        assert_eq!(outcome(case), "pass", "{case:#}");
        assert_eq!(case["live"]["model"]["stale"], false, "{case:#}");
    }
    let chooses = case(&list, "consent: the user chooses");
    assert_eq!(
        chooses["refresh_token"],
        serde_json::json!({"first_grant": false, "repeat_grant": true})
    );
    let force = case(
        &list,
        "consent: forcing consent on a repeat grant [provider=google, force=approval_prompt=force]",
    );
    assert_eq!(
        force["refresh_token"],
        serde_json::json!({"first_grant": true, "repeat_grant": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_nobody_answers_is_inconclusive_after_its_timeout() {
    let provider = provider("google", ConsentMode::Auto).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("refresh_token");
    std::fs::write(&token_file, "unused").unwrap();
    let list = probe_args(
        &provider.base,
        &dir.path().join("live"),
        &[
            "--kind",
            "consent",
            "--open-with",
            "true",
            "--consent-timeout",
            "2s",
            "--filter",
            "force=prompt=consent",
            "--format",
            "json",
        ],
    );
    let ran = oauth_drift(list, credentials(&token_file), LIMIT).await;
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    let list = cases(&ran.json());
    let only = case(
        &list,
        "consent: forcing consent on a repeat grant [provider=google, force=prompt=consent]",
    );
    assert_eq!(outcome(only), "inconclusive");
    assert!(
        only["live"]["cause"]
            .as_str()
            .unwrap()
            .contains("no authorization response reached the loopback listener within 2s"),
        "{only:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_skip_with_their_reason_and_do_not_fail() {
    let provider = provider("google", ConsentMode::Auto).await;
    let dir = tempfile::tempdir().unwrap();
    let ran = oauth_drift(
        probe_args(
            &provider.base,
            &dir.path().join("live"),
            &["--format", "json", "--accept"],
        ),
        Vec::new(),
        LIMIT,
    )
    .await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let report = ran.json();
    assert_eq!(report["summary"]["passed"], 1);
    assert_eq!(report["summary"]["skipped"], 4);
    let list = cases(&report);
    assert_eq!(outcome(case(&list, "discovery: model")), "pass");
    let refresh = case(&list, "refresh: model");
    assert_eq!(outcome(refresh), "skipped");
    let reason = refresh["message"].as_str().unwrap();
    assert!(
        reason.contains("OAUTH_DRIFT_CLIENT_ID") && reason.contains("OAUTH_DRIFT_REFRESH_TOKEN"),
        "{reason}"
    );
    assert_eq!(refresh["live"]["cause"], refresh["message"]);
}

#[tokio::test]
async fn credentials_on_the_command_line_are_refused_without_being_echoed() {
    for flag in ["--client-secret=hunter2-planted", "--refresh-token=1//planted-on-argv"] {
        let ran = oauth_drift(args(&["probe", flag]), Vec::new(), LIMIT).await;
        assert_eq!(ran.code, 2, "{flag}: {}", ran.stderr);
        assert!(
            ran.stderr.contains("never taken from the command line"),
            "{}",
            ran.stderr
        );
        assert!(
            !ran.stderr.contains("planted") && !ran.stdout.contains("planted"),
            "{}",
            ran.stderr
        );
    }
}

/// `probe`'s discovery, authorize-params and consent kinds against `provider` for the OIDC
/// §11 rules in `scenario` (scenarios/oidc/offline_access_rules.yaml or a copy for another
/// provider), then `extra`; the JSON report, after checking that offline_access was honoured
/// with prompt=consent and ignored without, as the model predicts.
pub(crate) async fn probe_offline_access_rules(provider: &Provider, scenario: &str, extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("refresh_token");
    std::fs::write(&token_file, "unused").unwrap();
    let mut list = args(&[
        "probe",
        scenario,
        "--issuer",
        &provider.base,
        "--kind",
        "discovery,authorize-params,consent",
        "--open-with",
        "curl -s -o /dev/null -L",
        "--revoke",
        "--no-snapshots",
        "--format",
        "json",
        "--consent-timeout",
        "20s",
    ]);
    list.extend(args(extra));
    let ran = oauth_drift(list, credentials(&token_file), LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(!format!("{}{}", ran.stdout, ran.stderr).contains(PLANTED_SECRET));
    let report = ran.json();
    let list = cases(&report);
    assert_eq!(case(&list, "discovery: 127-0-0-1")["live"]["model"]["stale"], false);
    let honoured = case(
        &list,
        "consent: OIDC offline_access needs prompt=consent and a code [request=prompt=consent]",
    );
    assert_eq!(honoured["refresh_token"]["first_grant"], true, "{honoured:#}");
    let ignored = case(
        &list,
        "consent: OIDC offline_access needs prompt=consent and a code [request=prompt=~]",
    );
    assert_eq!(ignored["refresh_token"]["first_grant"], false, "{ignored:#}");
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generic_openid_provider_is_probed_through_its_discovery_document() {
    let provider = provider("oidc", ConsentMode::Auto).await;
    // no --provider: an --issuer is compared with the generic `oidc` profile
    let report = probe_offline_access_rules(&provider, "scenarios/oidc/offline_access_rules.yaml", &[]).await;
    assert_eq!(report["summary"]["passed"], 6, "{report:#}");
    assert_eq!(report["summary"]["skipped"], 1, "{report:#}");
    let list = cases(&report);
    let implicit = case(
        &list,
        "consent: OIDC offline_access needs prompt=consent and a code [request=prompt=consent&response_type=id_token&nonce=n-0S6]",
    );
    assert_eq!(outcome(implicit), "skipped");
    assert!(
        implicit["message"].as_str().unwrap().contains("fragment"),
        "{implicit:#}"
    );
    let rejected = case(
        &list,
        "authorize-params: OIDC offline_access needs prompt=consent and a code [request=prompt=consent&response_type=id_token&nonce=n-0S6]",
    );
    assert_eq!(outcome(rejected), "pass", "{rejected:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_refresh_token_stores_one_the_refresh_probe_can_use_and_prints_none() {
    let provider = provider("google", ConsentMode::Auto).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("stored");
    let env = client_env();
    let list = args(&[
        "probe",
        "--issuer",
        &provider.base,
        "--provider",
        "google",
        "--get-refresh-token",
        &token_file.display().to_string(),
        "--open-with",
        "curl -s -o /dev/null -L",
        "--consent-timeout",
        "20s",
    ]);
    let ran = oauth_drift(list, env, LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let token = std::fs::read_to_string(&token_file).unwrap().trim().to_string();
    assert!(token.starts_with("1//"), "{token}");
    assert!(!ran.stdout.contains(&token) && !ran.stderr.contains(&token));
    assert!(
        ran.stderr
            .contains("stored a refresh token (scope: https://www.googleapis.com/auth/userinfo.email openid)"),
        "{}",
        ran.stderr
    );

    let list = probe_args(
        &provider.base,
        &dir.path().join("live"),
        &["--kind", "refresh", "--no-snapshots", "--format", "json"],
    );
    let ran = oauth_drift(list, credentials(&token_file), LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let list = cases(&ran.json());
    assert_eq!(outcome(case(&list, "refresh: model")), "pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_probe_kind_runs_against_oauth_drift_serve_through_its_client_secrets_file() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("client_secret.json");
    let secrets_arg = secrets.display().to_string();
    let serve = super::serve_process::ServeProcess::start_with_env(
        &[
            "--issuer",
            "self",
            "--write-client-secrets",
            &secrets_arg,
            "--redirect-uri",
            "http://localhost",
            "--redirect-uri",
            "http://127.0.0.1/callback",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", PLANTED_SECRET)],
    );
    let env = vec![("OAUTH_DRIFT_CLIENT_SECRETS_FILE".to_string(), secrets_arg.clone())];
    let token_file = dir.path().join("refresh_token");
    let login = args(&[
        "probe",
        "--issuer",
        &serve.base,
        "--provider",
        "google",
        "--get-refresh-token",
        &token_file.display().to_string(),
        "--open-with",
        "curl -s -o /dev/null -L",
    ]);
    let ran = oauth_drift(login, env.clone(), LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);

    let mut env = env;
    env.push((
        "OAUTH_DRIFT_REFRESH_TOKEN_FILE".into(),
        token_file.display().to_string(),
    ));
    let list = probe_args(
        &serve.base,
        &dir.path().join("live"),
        &[
            "--kind",
            ALL_KINDS,
            "--open-with",
            "curl -s -o /dev/null -L",
            "--revoke",
            "--format",
            "json",
            "--accept",
        ],
    );
    let ran = oauth_drift(list, env, LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let report = ran.json();
    assert_eq!(report["summary"]["passed"], 8, "{report:#}");
    for case in cases(&report) {
        assert_eq!(case["live"]["model"]["stale"], false, "{case:#}");
    }
    assert!(!serve.stderr().contains(PLANTED_SECRET), "serve's log holds the secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probing_serve_by_its_issuer_alone_compares_with_the_profile_it_serves() {
    // the README's `oauth-drift probe --issuer http://127.0.0.1:PORT`, with no --provider
    for (served, format) in [("google", "human"), ("google@2015", "json")] {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("client_secret.json").display().to_string();
        // probe checks that the discovery document names the issuer it was pointed at
        let serve = super::serve_process::ServeProcess::start(&[
            "--issuer",
            "self",
            "--provider",
            served,
            "--quiet",
            "--write-client-secrets",
            &secrets,
        ]);
        let list = args(&[
            "probe",
            "--issuer",
            &serve.base,
            "--snapshots",
            &dir.path().join("live").display().to_string(),
            "--deadline",
            "10s",
            "--format",
            format,
        ]);
        let env = vec![("OAUTH_DRIFT_CLIENT_SECRETS_FILE".to_string(), secrets.clone())];
        let ran = oauth_drift(list, env, LIMIT).await;
        assert_eq!(ran.code, 0, "{served}: {}\n{}", ran.stdout, ran.stderr);
        if format == "human" {
            assert!(
                ran.stdout.contains(&format!(
                    "compared with `{served}`: no profile has the issuer {}, but the discovery document's endpoint paths are `{served}`'s",
                    serve.base
                )),
                "{}",
                ran.stdout
            );
            assert!(
                !ran.stdout.contains(" DRIFT ") && !ran.stdout.contains(" FAIL "),
                "{}",
                ran.stdout
            );
            continue;
        }
        let report = ran.json();
        let all = cases(&report);
        assert!(
            all.iter()
                .any(|c| c["live"]["kind"] == "authorize-params" && outcome(c) == "pass"),
            "{report:#}"
        );
        for case in all {
            assert_eq!(case["provider"], served, "{case:#}");
            assert!(matches!(outcome(&case), "pass" | "skipped"), "{case:#}");
        }
    }
}
