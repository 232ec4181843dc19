//! A new provider is a new YAML file: the made-up `acme` (tests/fixtures/profiles/acme.yaml,
//! a difference from `oidc` with its own hosts, paths, name and refresh-token rules) goes
//! through every face of the model with no Rust written for it, and nothing says "Google".

use std::path::Path;

use oauth_drift::{ConsentMode, Profile, PublishingStatus, Registry};

use crate::diagnose::recorder::Browser;
use crate::live_support::{cases, provider_on};
use crate::probe::probe_offline_access_rules;
use crate::serve_process::{ServeProcess, get_json, http};
use crate::support::{Project, Run, root};

fn profile() -> String {
    root().join("tests/fixtures/profiles/acme.yaml").display().to_string()
}

/// `oauth-drift diagnose ARGS` with acme's profile file, as plain text; the findings (all
/// but their citations) must not say "Google".
fn diagnose(project: &Project, args: &[&str]) -> Run {
    let profile = profile();
    let mut all = vec![
        "diagnose",
        "--profile-file",
        &profile,
        "--provider",
        "acme",
        "--color",
        "never",
    ];
    all.extend(args);
    let run = project.run(&all);
    let findings = run.stdout.split("Findings").nth(1).unwrap_or_default();
    let words: Vec<&str> = findings.lines().filter(|l| !l.contains("source:")).collect();
    assert!(!words.join("\n").contains("Google"), "{findings}");
    run
}

/// The `acme` profile, loaded from its file as `--profile-file` does.
fn acme() -> Profile {
    let mut registry = Registry::builtin();
    registry.add_file(Path::new(&profile())).expect("acme loads");
    registry.load("acme").expect("acme extends oidc")
}

const ROTATION: &str = r#"name: Acme rotates refresh tokens
provider: acme
steps:
  - authorize: {scope: "openid offline_access", prompt: consent}
  - expect: {status: 302, error: none}
  - exchange:
  - expect: {status: 200, refresh_token: present, expires_in: 900}
  - refresh: {token: first}
  - expect: {status: 200, refresh_token: present}
  - refresh: {token: first}
  - expect: {status: 400, error: invalid_grant}
"#;

/// A request with Google's habits: the legacy force parameter, and offline_access without
/// prompt=consent (which an OpenID Provider drops silently).
const GOOGLE_HABITS: &str = "https://login.acme.test/oauth2/v1/authorize?client_id=app\
    &redirect_uri=https://app.example.com/cb&response_type=code\
    &scope=openid%20offline_access&approval_prompt=force";

#[test]
fn a_scenario_runs_against_a_provider_that_is_only_a_yaml_file() {
    let project = Project::copy();
    project.write("scenarios/acme/rotation.yaml", ROTATION);
    let profile = profile();
    let run = project.run(&[
        "run",
        "scenarios/acme/rotation.yaml",
        "--profile-file",
        &profile,
        "--accept",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let snapshot = project.read("snapshots/acme-rotation.snap");
    for path in [
        "endpoint: /oauth2/v1/authorize",
        "endpoint: /oauth2/v1/token",
        "provider: acme",
    ] {
        assert!(snapshot.contains(path), "{path} is not in the transcript:\n{snapshot}");
    }
    assert!(!format!("{}{}{snapshot}", run.stdout, run.stderr).contains("Google"));
}

#[test]
fn diagnose_explains_a_request_to_it_in_its_own_words() {
    let project = Project::copy();
    let run = diagnose(&project, &[GOOGLE_HABITS]);
    assert_eq!(
        run.code, 1,
        "no grant returns a refresh_token:\n{}{}",
        run.stdout, run.stderr
    );
    // the legacy force parameter is known from two profiles up the chain (google, via oidc)
    for needle in [
        "approval_prompt=force is not a parameter of `acme`",
        "OD115 offline-access-needs-consent",
        // the profile's own limit
        "past 5 per user per client",
    ] {
        assert!(run.stdout.contains(needle), "{needle}:\n{}", run.stdout);
    }
    // the smallest change the model verifies: the ignored parameter may stay
    let fixed = "https://login.acme.test/oauth2/v1/authorize?client_id=app&redirect_uri=https://app.example.com/cb\
                 &response_type=code&scope=openid%20offline_access&approval_prompt=force&prompt=consent";
    assert!(run.stdout.contains(fixed), "{}", run.stdout);
}

#[tokio::test]
async fn serve_answers_at_its_paths_and_names_the_issuer_it_serves() {
    let profile = profile();
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("client_secret.json");
    let mut serve = ServeProcess::start(&[
        "--profile-file",
        &profile,
        "--provider",
        "acme",
        "--write-client-secrets",
        secrets.to_str().unwrap(),
    ]);
    let http = http();
    let discovery = get_json(&http, &format!("{}/.well-known/openid-configuration", serve.base)).await;
    // `issuer_served` (from oidc): an OpenID Provider names the URL it is served under
    assert_eq!(discovery["issuer"], serve.base.as_str(), "{discovery}");
    for (key, path) in [
        ("authorization_endpoint", "/oauth2/v1/authorize"),
        ("token_endpoint", "/oauth2/v1/token"),
        ("jwks_uri", "/oauth2/v1/keys"),
    ] {
        assert_eq!(discovery[key], format!("{}{path}", serve.base), "{discovery}");
    }
    let keys = get_json(&http, &format!("{}/oauth2/v1/keys", serve.base)).await;
    assert_eq!(keys["keys"][0]["alg"], "RS256", "{keys}");
    // stopped first, so that everything it wrote on stderr has been read
    serve.terminate();
    let banner = serve.stderr();
    assert!(
        banner.contains(&format!("  issuer     {} ", serve.base)),
        "the banner names the issuer discovery names:\n{banner}"
    );
    assert!(!banner.contains("Google"), "{banner}");
    // the client-secrets file points at this server and at no Google host
    let secrets = std::fs::read_to_string(&secrets).unwrap();
    assert!(
        secrets.contains(&format!("\"token_uri\":\"{}/oauth2/v1/token\"", serve.base)),
        "{secrets}"
    );
    assert!(!secrets.to_lowercase().contains("google"), "{secrets}");
}

#[test]
fn compare_shows_what_the_new_file_changes_from_the_profile_it_extends() {
    let project = Project::copy();
    let profile = profile();
    project.write(
        "scenarios/acme/rotation.yaml",
        &ROTATION.replace("provider: acme", "matrix:\n  provider: [oidc, acme]"),
    );
    let run = project.run(&[
        "compare",
        "oidc",
        "acme",
        "scenarios/acme/rotation.yaml",
        "--profile-file",
        &profile,
        "--color",
        "never",
    ]);
    assert_eq!(run.code, 1, "rotation differs:\n{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with("oidc → acme: 1 of 1 case behaves differently"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("refresh #2: 400 invalid_grant"), "{}", run.stdout);
}

#[tokio::test]
async fn a_har_recorded_against_it_is_diagnosed_from_what_happened() {
    let mut browser = Browser::start_on(acme(), PublishingStatus::Production).await;
    // Google's habit on an OpenID Provider: offline_access without prompt=consent
    let url = browser.authorize_url(
        "/oauth2/v1/authorize",
        &[("response_type", "code"), ("scope", "openid offline_access")],
    );
    let code = browser.sign_in(&url).await.expect("a code");
    let tokens = browser.exchange(&code).await;
    assert!(tokens.get("refresh_token").is_none(), "dropped silently: {tokens}");
    let project = Project::copy();
    project.write("sign-in.har", &browser.har());
    let har = project.path("sign-in.har").display().to_string();
    let run = diagnose(&project, &["--har", &har, "--client-type", "web"]);
    assert_eq!(run.code, 1, "no refresh_token came back:\n{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("OD115 offline-access-needs-consent [cause]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("HAR entry #3"),
        "the token response is pointed at:\n{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_recognises_it_by_its_paths_and_finds_the_live_provider_as_modelled() {
    // the live provider: acme's engine on loopback, as `serve --issuer self` runs it
    let provider = provider_on(acme(), ConsentMode::Auto).await;
    let project = Project::copy();
    let rules = std::fs::read_to_string(root().join("scenarios/oidc/offline_access_rules.yaml")).unwrap();
    project.write("acme_offline.yaml", &rules.replace("provider: oidc", "provider: acme"));
    let scenario = project.path("acme_offline.yaml").display().to_string();
    let report = probe_offline_access_rules(&provider, &scenario, &["--profile-file", &profile()]).await;
    // no --provider and an issuer no profile names: the discovery document's paths are acme's
    let list = cases(&report);
    assert!(list.iter().all(|c| c["provider"] == "acme"), "{report:#}");
    assert_eq!(report["summary"]["failed"], 0, "{report:#}");
    assert!(!report.to_string().contains("Google"), "{report:#}");
}
