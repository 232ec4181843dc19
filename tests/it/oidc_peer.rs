//! `oauth-drift probe` against a certified OpenID provider: node `oidc-provider` (pinned in
//! tests/oidc-provider/package-lock.json, installed by scripts/test) on loopback, its sign-in
//! and consent pages walked by tests/fixtures/oidc_browser.py behind `--open-with`.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::live_support::{args, case, cases, oauth_drift, root};
use super::support::tools_required;

const LIMIT: Duration = Duration::from_secs(180);
const CLIENT: &str = "peer-client";
/// Planted: must never appear in any output, report or snapshot.
const SECRET: &str = "peer-secret-Wq4Lm8";

/// node oidc-provider on 127.0.0.1, stopped when dropped.
pub struct Peer {
    pub child: Child,
    pub issuer: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn modules() -> Option<PathBuf> {
    let dir = std::env::var_os("OAUTH_DRIFT_OIDC_PROVIDER")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/oidc-provider/node_modules"));
    let installed = dir.join("oidc-provider/package.json").is_file()
        && Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if installed {
        return Some(dir);
    }
    assert!(
        !tools_required(),
        "node oidc-provider is not installed in {}: scripts/test installs it",
        dir.display()
    );
    eprintln!("note: node oidc-provider is not installed; run scripts/test. Skipping.");
    None
}

/// Starts the peer (`rotation`: "default" or "rotate"; `revocation`: its endpoint on), or
/// `None` when it is not installed outside scripts/test and CI.
pub fn peer(rotation: &str, revocation: bool) -> Option<Peer> {
    let modules = modules()?;
    let mut child = Command::new("node")
        .arg(root().join("tests/oidc-provider/peer.js"))
        .env("PEER_MODULES", modules)
        .env("PEER_CLIENT_ID", CLIENT)
        .env("PEER_CLIENT_SECRET", SECRET)
        .env("PEER_ROTATION", rotation)
        .env("PEER_REVOCATION", if revocation { "on" } else { "off" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).expect("the peer says where it listens");
    // keep reading, so that a later write of the peer's never meets a closed pipe
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let issuer = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("the peer did not start: {line:?}"))
        .to_string();
    Some(Peer { child, issuer })
}

fn browser() -> String {
    let python = std::env::var("OAUTH_DRIFT_PYTHON").unwrap_or_else(|_| "python3".into());
    format!("{python} {}", root().join("tests/fixtures/oidc_browser.py").display())
}

fn credentials(token_file: Option<&std::path::Path>) -> Vec<(String, String)> {
    let mut env = vec![
        ("OAUTH_DRIFT_CLIENT_ID".to_string(), CLIENT.to_string()),
        ("OAUTH_DRIFT_CLIENT_SECRET".to_string(), SECRET.to_string()),
    ];
    if let Some(file) = token_file {
        env.push(("OAUTH_DRIFT_REFRESH_TOKEN_FILE".into(), file.display().to_string()));
    }
    env
}

/// `probe PATHS --issuer PEER` with the scripted browser, as JSON, `extra` appended (a flag
/// in `extra` replaces its default here).
fn probe(peer: &Peer, paths: &[&str], extra: &[&str]) -> Vec<String> {
    let mut list = args(&["probe"]);
    list.extend(args(paths));
    list.extend(args(&["--issuer", &peer.issuer]));
    let browser = browser();
    for (flag, value) in [
        ("--format", "json"),
        ("--open-with", browser.as_str()),
        ("--consent-timeout", "20s"),
        ("--deadline", "10s"),
    ] {
        if !extra.contains(&flag) {
            list.extend(args(&[flag, value]));
        }
    }
    list.extend(args(extra));
    list
}

fn outcome(case: &Value) -> &str {
    case["outcome"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_error_page_of_node_oidc_provider_is_read_and_agrees_with_the_model() {
    let Some(peer) = peer("default", false) else { return };
    let list = probe(
        &peer,
        &[
            "scenarios/authorize/unknown_client.yaml",
            "scenarios/authorize/missing_required_parameters.yaml",
        ],
        &["--kind", "authorize-params", "--no-snapshots"],
    );
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    let report = ran.json();
    let list = cases(&report);
    let unknown = case(
        &list,
        "authorize-params: an unknown client_id at the authorization endpoint",
    );
    assert_eq!(outcome(unknown), "pass", "{unknown:#}\n{}", ran.stderr);
    let missing = case(
        &list,
        "authorize-params: a required authorization parameter is missing [missing=client_id]",
    );
    assert_eq!(outcome(missing), "pass", "{missing:#}");
    assert!(!ran.stdout.contains("\"unknown\""), "{}", ran.stdout);
    assert!(!ran.stdout.contains(SECRET) && !ran.stderr.contains(SECRET));
}

/// Probes consent cases with a "browser" that sends the provider `signal` (it never answers
/// again), and checks that after one deadline every remaining case is not tried.
async fn stop_mid_run(signal: &str) {
    let Some(peer) = peer("default", false) else { return };
    let pid = peer.child.id();
    let list = probe(
        &peer,
        &[
            "scenarios/oidc/offline_access_rules.yaml",
            "scenarios/oidc/refresh_token_rotation.yaml",
        ],
        &[
            "--kind",
            "consent",
            "--no-snapshots",
            "--open-with",
            &format!("sh -c 'kill -{signal} {pid}' stop"),
            "--consent-timeout",
            "3s",
            "--deadline",
            "2s",
        ],
    );
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    assert_eq!(ran.code, 3, "{signal}: {}\n{}", ran.stdout, ran.stderr);
    let report = ran.json();
    let list = cases(&report);
    let tried: Vec<&Value> = list.iter().filter(|c| outcome(c) != "skipped").collect();
    assert!(tried.len() >= 3, "{report:#}");
    assert!(tried.iter().all(|c| outcome(c) == "inconclusive"), "{report:#}");
    // one case waited for the browser, one spent the deadline finding the provider gone, and
    // every later one was not tried, with the cause
    let not_tried = tried
        .iter()
        .filter(|c| {
            c["message"]
                .as_str()
                .unwrap()
                .contains("not tried: the provider stopped answering")
        })
        .count();
    assert_eq!(not_tried, tried.len() - 2, "{signal}: {report:#}");
    assert!(
        tried.iter().all(|c| c["live"]["cause"].as_str().is_some()),
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_stops_mid_run_leaves_the_remaining_cases_inconclusive_at_once() {
    stop_mid_run("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_hangs_mid_run_leaves_the_remaining_cases_inconclusive_at_once() {
    // SIGSTOP: the port still accepts connections, nothing answers (Drop's SIGKILL ends it)
    stop_mid_run("STOP").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_revocation_endpoint_revoking_cases_are_skipped_with_the_reason() {
    let Some(peer) = peer("default", false) else { return };
    let list = probe(
        &peer,
        &["scenarios/oidc/revoke_invalid_token.yaml"],
        &["--kind", "consent", "--no-snapshots"],
    );
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    let report = ran.json();
    let list = cases(&report);
    let revoking = case(&list, "consent: revoking a token that is no longer valid");
    assert_eq!(outcome(revoking), "skipped", "{revoking:#}");
    assert!(
        revoking["message"].as_str().unwrap().contains("no revocation endpoint"),
        "{revoking:#}"
    );
    // --revoke at the end of a case is left out, with a note (notes are the human report's)
    let list = probe(
        &peer,
        &["scenarios/oidc/offline_access_rules.yaml"],
        &["--kind", "consent", "--no-snapshots", "--revoke", "--format", "human"],
    );
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    assert!(
        ran.stdout
            .contains("not revoked: the provider has no revocation endpoint"),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("URL scheme is not allowed"), "{}", ran.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_authenticates_the_client_as_the_discovery_document_offers() {
    let Some(peer) = peer("default", true) else { return };
    let list = probe(
        &peer,
        &["scenarios/oidc/offline_access_rules.yaml"],
        &["--kind", "consent", "--no-snapshots", "--revoke", "--format", "human"],
    );
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    // node oidc-provider answers 401 invalid_client to a revocation without client authentication
    let notes = &ran.stdout;
    assert!(notes.contains("[request=prompt=consent]: revoked the grant"), "{notes}");
    assert!(!notes.contains("revocation answered 401"), "{notes}");
    assert!(!ran.stdout.contains(SECRET) && !ran.stderr.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bundled_authorization_request_agrees_with_the_oidc_profile() {
    // every finding of issue 13 at the authorization endpoint: `token` response types refused,
    // access_type ignored, iss (not scope) in the response, errors back at the redirect URI,
    // a code_challenge without a method refused, prompt=none without a session login_required
    let Some(peer) = peer("default", false) else { return };
    let list = probe(&peer, &[], &["--kind", "discovery,authorize-params", "--no-snapshots"]);
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    let report = ran.json();
    let list = cases(&report);
    let off: Vec<String> = list
        .iter()
        .filter(|c| !matches!(outcome(c), "pass" | "skipped"))
        .map(|c| format!("{}: {}", c["name"], c["live"]["model"]["diff"]))
        .collect();
    assert!(off.is_empty(), "{}", off.join("\n"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(report["summary"]["passed"].as_u64().unwrap() > 90, "{report:#}");
    let silent = case(
        &list,
        "authorize-params: prompt=none only works after consent [earlier_grant=no]",
    );
    assert_eq!(outcome(silent), "pass", "{silent:#}");
}

/// Runs one grant through the scripted browser and stores its refresh token in `file`.
async fn store_refresh_token(peer: &Peer, file: &std::path::Path, extra: &[&str]) {
    let mut list = args(&[
        "probe",
        "--issuer",
        &peer.issuer,
        "--get-refresh-token",
        &file.display().to_string(),
        "--open-with",
        &browser(),
        "--consent-timeout",
        "20s",
    ]);
    list.extend(args(extra));
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
}

fn not_green(report: &Value) -> Vec<String> {
    cases(report)
        .iter()
        .filter(|c| !matches!(outcome(c), "pass" | "skipped"))
        .map(|c| {
            format!(
                "{} {}: {} {}",
                outcome(c),
                c["name"],
                c["message"],
                c["live"]["model"]["diff"]
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_probe_kind_against_the_default_configuration_is_green_three_runs_after_accept() {
    let Some(peer) = peer("default", false) else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("refresh_token");
    store_refresh_token(&peer, &token, &[]).await;
    let snapshots = dir.path().join("live").display().to_string();
    let run = |accept: bool| {
        let mut extra = vec![
            "--kind",
            "discovery,authorize-params,refresh,consent",
            "--snapshots",
            &snapshots,
        ];
        if accept {
            extra.push("--accept");
        }
        // every bundled scenario: what does not apply is listed, the rest must stay green
        probe(&peer, &[], &extra)
    };
    let first = oauth_drift(run(true), credentials(Some(&token)), LIMIT).await;
    assert_eq!(not_green(&first.json()), Vec::<String>::new(), "{}", first.stderr);
    for round in 1..=3 {
        let ran = oauth_drift(run(false), credentials(Some(&token)), LIMIT).await;
        let report = ran.json();
        assert_eq!(not_green(&report), Vec::<String>::new(), "round {round}");
        assert_eq!(ran.code, 0, "round {round}: {}", ran.stderr);
        // the unrotated refresh token is repeated, as the oidc profile says (echo_unrotated)
        let refresh = std::fs::read_to_string(dir.path().join("live/127-0-0-1/refresh.snap")).unwrap();
        assert!(
            refresh.contains("rotated: false") && refresh.contains("  refresh_token: <refresh_token#1>"),
            "{refresh}"
        );
        let consent = cases(&report)
            .iter()
            .filter(|c| c["live"]["kind"] == "consent" && outcome(c) == "pass")
            .count();
        assert!(consent >= 6, "round {round}: {report:#}");
        let stale = cases(&report)
            .iter()
            .filter(|c| c["live"]["model"]["stale"] == true)
            .count();
        assert_eq!(stale, 0, "round {round}");
        assert!(
            report["summary"]["passed"].as_u64().unwrap() > 100,
            "round {round}: {report:#}"
        );
    }
    // tokens by role and position, never by equality: each answer's access token and id_token
    // is the next one received; the unrotated refresh token sent back keeps its alias
    let rotation = std::fs::read_to_string(
        dir.path()
            .join("live/127-0-0-1/consent__oidc-refresh_token_rotation__provider-oidc.snap"),
    )
    .unwrap();
    for n in 1..=4 {
        assert!(
            rotation.contains(&format!("access_token: <access_token#{n}>")),
            "{rotation}"
        );
        assert!(rotation.contains(&format!("id_token: <id_token#{n}>")), "{rotation}");
    }
    assert!(!rotation.contains("<refresh_token#2>"), "{rotation}");
    assert!(!first.stdout.contains(SECRET) && !first.stderr.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_rotation_on_rotation_and_replay_are_observed_and_match_oidc_rotating() {
    let Some(peer) = peer("rotate", false) else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("refresh_token");
    store_refresh_token(&peer, &token, &["--provider", "oidc@rotating"]).await;
    let stored = std::fs::read_to_string(&token).unwrap();
    let list = probe(
        &peer,
        &["scenarios/oidc/refresh_token_rotation.yaml"],
        &[
            "--provider",
            "oidc@rotating",
            "--kind",
            "refresh,consent",
            "--snapshots",
            &dir.path().join("live").display().to_string(),
            "--accept",
        ],
    );
    let ran = oauth_drift(list, credentials(Some(&token)), LIMIT).await;
    let report = ran.json();
    assert_eq!(not_green(&report), Vec::<String>::new(), "{}", ran.stderr);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let list = cases(&report);
    assert_eq!(outcome(case(&list, "refresh: 127-0-0-1")), "pass");
    let refresh = std::fs::read_to_string(dir.path().join("live/127-0-0-1/refresh.snap")).unwrap();
    assert!(
        refresh.contains("rotated: true") && refresh.contains("  refresh_token: <refresh_token#2>"),
        "{refresh}"
    );
    // the rotated token was written back, and the old one is spent
    assert_ne!(std::fs::read_to_string(&token).unwrap(), stored);
    let replay = case(
        &list,
        "consent: an OIDC provider that rotates refresh tokens [provider=oidc@rotating]",
    );
    assert_eq!(outcome(replay), "pass", "{replay:#}");
    assert!(!ran.stdout.contains(SECRET) && !ran.stderr.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_drift_serve_with_the_oidc_profile_agrees_with_node_oidc_provider_case_by_case() {
    let Some(peer) = peer("default", true) else { return };
    let dir = tempfile::tempdir().unwrap();
    let kinds = [
        "--kind",
        "discovery,authorize-params,refresh,consent",
        "--no-snapshots",
        "--revoke",
    ];
    let peer_token = dir.path().join("peer_refresh_token");
    store_refresh_token(&peer, &peer_token, &[]).await;
    let list = probe(&peer, &["scenarios/oidc"], &kinds);
    let ran = oauth_drift(list, credentials(Some(&peer_token)), LIMIT).await;
    let against_peer = ran.json();

    let secrets = dir.path().join("client_secret.json").display().to_string();
    let serve = serve_oidc(&secrets);
    let serve_token = dir.path().join("serve_refresh_token");
    let mut env = vec![("OAUTH_DRIFT_CLIENT_SECRETS_FILE".to_string(), secrets)];
    let login = args(&[
        "probe",
        "--issuer",
        &serve.base,
        "--provider",
        "oidc",
        "--get-refresh-token",
        &serve_token.display().to_string(),
        "--open-with",
        "curl -s -o /dev/null -L",
    ]);
    let ran = oauth_drift(login, env.clone(), LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    env.push((
        "OAUTH_DRIFT_REFRESH_TOKEN_FILE".into(),
        serve_token.display().to_string(),
    ));
    let mut list = args(&["probe", "scenarios/oidc", "--issuer", &serve.base, "--provider", "oidc"]);
    list.extend(args(&kinds));
    list.extend(args(&[
        "--open-with",
        "curl -s -o /dev/null -L",
        "--consent-timeout",
        "20s",
        "--format",
        "json",
    ]));
    let ran = oauth_drift(list, env, LIMIT).await;
    let against_serve = ran.json();

    let outcomes = |report: &Value| -> Vec<(String, String)> {
        cases(report)
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_string(), outcome(c).to_string()))
            .collect()
    };
    assert_eq!(not_green(&against_peer), Vec::<String>::new());
    assert_eq!(not_green(&against_serve), Vec::<String>::new(), "{}", ran.stderr);
    assert_eq!(outcomes(&against_serve), outcomes(&against_peer));
    assert!(cases(&against_peer).len() >= 11, "{against_peer:#}");
    assert_eq!(outcome(case(&cases(&against_serve), "refresh: 127-0-0-1")), "pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_of_every_kind_over_every_bundled_scenario_runs_only_what_applies_and_is_green() {
    let Some(peer) = peer("default", false) else { return };
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("refresh_token");
    store_refresh_token(&peer, &token, &[]).await;
    let list = probe(
        &peer,
        &[],
        &[
            "--kind",
            "discovery,authorize-params,refresh,consent",
            "--no-snapshots",
            "--format",
            "human",
        ],
    );
    let ran = oauth_drift(list, credentials(Some(&token)), LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        !ran.stdout.contains("DRIFT") && !ran.stdout.contains("FAIL"),
        "{}",
        ran.stdout
    );
    // scenarios `specific_to: google` are listed once as not applicable to consent, not failed
    let notes: Vec<&str> = ran.stdout.lines().filter(|l| l.contains("not applicable")).collect();
    assert_eq!(notes.len(), 2, "{}", ran.stdout);
    let google = notes
        .iter()
        .find(|n| n.contains("cases are not applicable to `oidc`: their scenarios are `specific_to: google`"))
        .unwrap_or_else(|| panic!("{notes:?}"));
    assert!(google.contains("scenarios/token/success_shape.yaml"), "{notes:?}");
    assert!(!google.contains("unknown_parameters_ignored"), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("has a discovery step")), "{notes:?}");
    // a scenario that names no provider holds for any: its consent case ran, and passed
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.contains("PASS") && l.contains("consent: scenarios/authorize/unknown_parameters_ignored.yaml")),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains(SECRET) && !ran.stderr.contains(SECRET));
}

const SESSION_FIXTURE: &str = "tests/fixtures/probe/prompt_none_session.yaml";

/// Every live snapshot under `dir` (one target's folder), by file name, sorted.
fn live_snapshots(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for target in std::fs::read_dir(dir).unwrap().flatten() {
        for file in std::fs::read_dir(target.path()).unwrap().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            found.push((name, std::fs::read_to_string(file.path()).unwrap()));
        }
    }
    found.sort();
    found
}

/// The consent cases of the session fixture, by name: outcome and the session the report names.
fn session_outcomes(report: &Value) -> Vec<(String, String, String)> {
    cases(report)
        .iter()
        .filter(|c| c["live"]["kind"] == "consent")
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                outcome(c).to_string(),
                c["live"]["session"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consent_probe_states_its_session_and_the_model_predicts_prompt_none_for_it() {
    let Some(peer) = peer("default", false) else { return };
    // the scripted browser starts every request without cookies: signed out, --open-with's default
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().display().to_string();
    let list = probe(
        &peer,
        &[SESSION_FIXTURE],
        &["--kind", "consent", "--snapshots", &snapshots, "--accept"],
    );
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    let report = ran.json();
    assert_eq!(not_green(&report), Vec::<String>::new(), "{}", ran.stderr);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let outcomes = session_outcomes(&report);
    assert_eq!(outcomes.len(), 2, "{report:#}");
    assert!(
        outcomes.iter().all(|(_, o, s)| o == "pass" && s == "signed-out"),
        "{outcomes:?}"
    );
    // the provider answered login_required even after a grant: nobody was signed in
    let transcripts = live_snapshots(dir.path());
    assert_eq!(transcripts.len(), 2, "{transcripts:?}");
    assert!(
        transcripts.iter().all(|(_, t)| t.contains("error: login_required")),
        "{transcripts:?}"
    );
    // claiming a signed-in browser that is not: the model predicts for a signed-in user, and
    // the disagreement is reported (the flag is what decides the prediction)
    let list = probe(
        &peer,
        &[SESSION_FIXTURE],
        &[
            "--kind",
            "consent",
            "--no-snapshots",
            "--session",
            "signed-in",
            "--format",
            "human",
        ],
    );
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    assert_eq!(ran.code, 1, "{}", ran.stdout);
    assert!(ran.stdout.contains("model is stale"), "{}", ran.stdout);
    assert!(
        ran.stdout
            .contains("consent: assumes the scenario's user stays signed in across a case's requests"),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains(SECRET) && !ran.stderr.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_prompt_none_for_the_session_its_browser_has() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("client_secret.json").display().to_string();
    let env = vec![("OAUTH_DRIFT_CLIENT_SECRETS_FILE".to_string(), secrets.clone())];
    // signed out: every request says it has no session, and the user signs in when asked
    let signed_out = "sh -c 'exec curl -s -o /dev/null -L -H \"x-oauth-drift-session: none\" \
                      -H \"x-oauth-drift-user: $OAUTH_DRIFT_USER\" \"$1\"' browser";
    // signed in: serve's simulated user is signed in for every request
    let signed_in = "curl -s -o /dev/null -L";
    let mut seen = Vec::new();
    for (browser, session) in [(signed_out, "signed-out"), (signed_in, "signed-in")] {
        // a new serve each time: it remembers consent, as a real provider does
        let serve = serve_oidc(&secrets);
        let snapshots = dir.path().join(session);
        let mut list = args(&["probe", SESSION_FIXTURE, "--issuer", &serve.base, "--provider", "oidc"]);
        list.extend(args(&[
            "--kind",
            "consent",
            "--snapshots",
            &snapshots.display().to_string(),
            "--accept",
            "--open-with",
            browser,
            "--session",
            session,
            "--consent-timeout",
            "20s",
            "--format",
            "json",
        ]));
        let ran = oauth_drift(list, env.clone(), LIMIT).await;
        let report = ran.json();
        assert_eq!(not_green(&report), Vec::<String>::new(), "{session}: {}", ran.stderr);
        let outcomes = session_outcomes(&report);
        assert_eq!(outcomes.len(), 2, "{report:#}");
        assert!(
            outcomes.iter().all(|(_, o, s)| o == "pass" && s == session),
            "{outcomes:?}"
        );
        let transcripts = live_snapshots(&snapshots);
        let after_grant = transcripts
            .iter()
            .find(|(name, _)| name.contains("earlier_grant-yes"))
            .unwrap_or_else(|| panic!("{transcripts:?}"));
        seen.push(after_grant.1.contains("error: login_required"));
    }
    // signed out after a grant: login_required; signed in: a silent code
    assert_eq!(seen, [true, false]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_none_without_a_session_is_login_required_and_the_probe_says_which_session_it_assumed() {
    let Some(peer) = peer("default", false) else { return };
    let list = probe(
        &peer,
        &["scenarios/consent/prompt_none_silent_authorization.yaml"],
        &[
            "--kind",
            "authorize-params",
            "--no-snapshots",
            "--format",
            "human",
            "-v",
        ],
    );
    let ran = oauth_drift(list, credentials(None), LIMIT).await;
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout
            .contains("authorize-params: sent without a session (nobody signed in)"),
        "{}",
        ran.stdout
    );
}

/// `serve --provider oidc` with the test client (secret `SECRET`), its client-secrets file
/// written to `secrets`.
fn serve_oidc(secrets: &str) -> super::serve_process::ServeProcess {
    super::serve_process::ServeProcess::start_with_env(
        &[
            "--provider",
            "oidc",
            "--write-client-secrets",
            secrets,
            "--redirect-uri",
            "http://127.0.0.1/callback",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", SECRET)],
    )
}
