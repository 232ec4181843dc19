//! serve as a faithful Google for real apps (issue 11): signed id_tokens checked by real
//! client libraries, tokeninfo, Google's paths, the issuer modes and TLS.
//!
//! scripts/test installs the pinned libraries: npm packages under target/node
//! (OAUTH_DRIFT_NODE_MODULES), PyPI packages into the venv under target/py (OAUTH_DRIFT_PYTHON).
//! Outside CI a missing library skips its test with a note.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::serve_process::{ServeProcess, get_json, http, json as body_json, read_client_secrets};
use crate::support::{output_within, python_with, run_to_end};

fn script(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The node_modules folder scripts/test fills, if it holds `package`.
fn node_modules_with(package: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("OAUTH_DRIFT_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| script("target/node/node_modules"));
    if dir.join(package).join("package.json").is_file() {
        return Some(dir);
    }
    assert!(
        !ci(),
        "CI is set but npm package `{package}` is not in {}: scripts/test installs it",
        dir.display()
    );
    eprintln!("note: npm package `{package}` is missing; run scripts/test to install it. Skipping.");
    None
}

/// Runs a script and returns its JSON lines by step name.
fn steps(mut command: Command) -> BTreeMap<String, Value> {
    command.env_remove("OAUTHLIB_INSECURE_TRANSPORT");
    let run = output_within(command, Duration::from_secs(90));
    assert_eq!(run.code, 0, "the script failed:\n{}\n{}", run.stdout, run.stderr);
    steps_of(&run.stdout)
}

/// A client script's output, one JSON object a line, by each object's `step`.
pub(crate) fn steps_of(stdout: &str) -> BTreeMap<String, Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .map(|v| (v["step"].as_str().unwrap().to_string(), v))
        .collect()
}

fn node(modules: &Path, script_path: &str) -> Command {
    let mut command = Command::new("node");
    // ES modules resolve packages from the script's folder upwards, not NODE_PATH: run a copy
    // placed beside node_modules
    let copy = modules
        .parent()
        .unwrap()
        .join(Path::new(script_path).file_name().unwrap());
    std::fs::copy(script(script_path), &copy).unwrap();
    command.arg(copy);
    command
}

#[test]
fn google_auth_library_verifies_the_id_token_reads_tokeninfo_and_revokes() {
    let Some(modules) = node_modules_with("google-auth-library") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("client_secret.json");
    let mut server = ServeProcess::start(&["--write-client-secrets", secrets.to_str().unwrap()]);
    let (_, client) = read_client_secrets(&secrets);
    let mut command = node(&modules, "tests/node/google_auth_library.mjs");
    command.arg(&server.base).arg(&secrets);
    let steps = steps(command);

    assert_eq!(steps["authorize"]["status"], 302);
    assert_eq!(steps["authorize"]["state"], "xyz");
    assert_eq!(steps["exchange"]["refresh_token"], true);
    assert_eq!(steps["exchange"]["id_token"], true);
    // verifyIdToken: the PEM certificates from auth_provider_x509_cert_url, Google's issuer
    let verified = &steps["verify_pem"];
    assert_eq!(verified["iss"], "https://accounts.google.com");
    assert_eq!(verified["aud_is_client"], true);
    assert_eq!(verified["email"], "alice@example.com");
    assert_eq!(verified["email_verified"], true);
    assert_eq!(verified["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(verified["name"], "alice", "profile brings the name");
    assert_eq!(verified["has_at_hash"], true);
    assert_eq!(steps["pem_certs"]["kids"], 1);
    assert_eq!(
        steps["verify_tampered"]["result"], "rejected",
        "a changed claim breaks the signature"
    );
    let info = &steps["tokeninfo"];
    assert_eq!(info["aud_is_client"], true);
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["access_type"], "offline");
    assert_eq!(info["expires_later"], true);
    assert_eq!(
        info["scopes"],
        json!([
            "https://www.googleapis.com/auth/drive.file",
            "https://www.googleapis.com/auth/userinfo.email",
            "https://www.googleapis.com/auth/userinfo.profile",
            "openid"
        ])
    );
    assert_eq!(steps["revoke"]["status"], 200);
    assert_eq!(steps["tokeninfo_after_revoke"]["refused"], true);
    assert_eq!(steps["tokeninfo_after_revoke"]["status"], 400);
    assert_eq!(steps["tokeninfo_after_revoke"]["error"], "invalid_token");
    assert!(server.terminate().success());
    let secret = client["client_secret"].as_str().unwrap();
    assert!(!server.stderr().contains(secret));
}

#[test]
fn authlib_pyjwt_and_google_auth_validate_the_id_token_through_discovery() {
    let Some(python) = python_with("authlib") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("client_secret.json");
    // a web client whose redirect is the Flask app's callback
    let mut server = ServeProcess::start(&[
        "--client-type",
        "web",
        "--redirect-uri",
        "http://localhost:8085/callback",
        "--write-client-secrets",
        secrets.to_str().unwrap(),
    ]);
    let mut command = Command::new(python);
    command
        .arg(script("tests/python/oidc_clients.py"))
        .arg(&server.base)
        .arg(&secrets)
        .env("AUTHLIB_INSECURE_TRANSPORT", "1");
    let steps = steps(command);
    // Authlib fetched the JWKS from jwks_uri and validated the id_token itself
    assert_eq!(steps["authlib"]["status"], 200, "{steps:?}");
    assert_eq!(steps["authlib"]["path"], "/o/oauth2/v2/auth");
    let claims = &steps["authlib_claims"];
    assert_eq!(claims["iss"], "https://accounts.google.com");
    assert_eq!(claims["aud_is_client"], true);
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["has_nonce"], true);
    assert_eq!(claims["has_at_hash"], true);
    assert_eq!(steps["pyjwt"]["kid"], true);
    assert_eq!(steps["pyjwt"]["email"], "alice@example.com");
    assert_eq!(steps["pyjwt_wrong_audience"]["rejected"], true);
    assert_eq!(steps["google_auth_verify"]["iss"], "https://accounts.google.com");
    assert!(server.terminate().success());
}

#[test]
fn openid_client_discovers_and_signs_in_with_issuer_self_over_tls() {
    let Some(modules) = node_modules_with("openid-client") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("client_secret.json");
    let ca = dir.path().join("ca.pem");
    let mut server = ServeProcess::start(&[
        "--tls",
        "--write-ca",
        ca.to_str().unwrap(),
        "--issuer",
        "self",
        "--write-client-secrets",
        secrets.to_str().unwrap(),
    ]);
    assert!(server.base.starts_with("https://127.0.0.1:"), "{}", server.base);
    let mut command = node(&modules, "tests/node/openid_client.mjs");
    command.arg(&server.base).arg(&secrets).env("NODE_EXTRA_CA_CERTS", &ca);
    let steps = steps(command);
    assert_eq!(steps["discovery"]["issuer_is_base"], true);
    assert_eq!(steps["discovery"]["jwks_uri"], true);
    assert_eq!(steps["authorize"]["status"], 302);
    assert_eq!(steps["code_flow"]["iss_is_base"], true);
    assert_eq!(steps["code_flow"]["nonce_matches"], true);
    assert_eq!(steps["code_flow"]["email"], "alice@example.com");
    assert_eq!(steps["userinfo"]["email"], "alice@example.com");
    assert_eq!(steps["revoke"]["ok"], true);
    assert!(server.terminate().success());
}

#[test]
fn googles_python_library_takes_an_unmodified_console_file_with_its_hosts_swapped_over_tls() {
    let Some(python) = python_with("google_auth_oauthlib") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    // exactly what the Cloud Console downloads for a desktop client; serve reads only the
    // client's id, secret and redirect URIs from it, so it starts on a port of its own choosing
    // and the app's copy gets serve's hosts afterwards (no free-port race with other tests)
    let console = r#"{"installed":{"client_id":"123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com","project_id":"my-project-123456","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","auth_provider_x509_cert_url":"https://www.googleapis.com/oauth2/v1/certs","client_secret":"fixture-console-secret","redirect_uris":["http://localhost"]}}"#;
    let secrets = dir.path().join("client_secret.json");
    std::fs::write(&secrets, console).unwrap();
    let mut server = ServeProcess::start(&[
        "--tls",
        "--write-ca",
        ca.to_str().unwrap(),
        "--clients",
        secrets.to_str().unwrap(),
    ]);
    let base = server.base.clone();
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let swapped = console
        .replace("https://accounts.google.com", &base)
        .replace("https://oauth2.googleapis.com", &base)
        .replace("https://www.googleapis.com", &base);
    std::fs::write(&secrets, &swapped).unwrap();
    let mut command = Command::new(python);
    command
        .arg(script("tests/python/google_auth_flow.py"))
        .arg(&server.base)
        .arg(&secrets)
        .env("REQUESTS_CA_BUNDLE", &ca);
    let steps = steps(command);
    assert_eq!(steps["first_grant"]["refresh_token"], true);
    assert_eq!(steps["first_grant"]["id_token"], true);
    assert_eq!(steps["repeat_grant"]["refresh_token"], false);
    assert_eq!(steps["prompt_consent"]["refresh_token"], true);
    assert_eq!(steps["refresh"]["new_access_token"], true);
    assert_eq!(steps["revoke"]["status"], 200);
    assert_eq!(steps["refresh_after_revoke"]["error"], "invalid_grant");
    assert!(server.terminate().success());
    assert!(!server.stderr().contains("fixture-console-secret"));
}

#[tokio::test]
async fn reqwest_revokes_over_tls_trusting_only_the_written_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let secrets = dir.path().join("client_secret.json");
    let mut server = ServeProcess::start(&[
        "--tls",
        "--write-ca",
        ca.to_str().unwrap(),
        "--write-client-secrets",
        secrets.to_str().unwrap(),
    ]);
    let (_, client) = read_client_secrets(&secrets);
    let trusted = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for name in ["localhost", "127.0.0.1"] {
        let base = server.base.replace("127.0.0.1", name);
        let discovery = get_json(&trusted, &format!("{base}/.well-known/openid-configuration")).await;
        assert_eq!(
            discovery["token_endpoint"],
            format!("{base}/token"),
            "the certificate names {name}"
        );
    }
    let auth = format!(
        "{}/o/oauth2/v2/auth?client_id={}&redirect_uri=http%3A%2F%2Flocalhost%3A8085%2F&response_type=code&scope=openid&access_type=offline",
        server.base,
        client["client_id"].as_str().unwrap()
    );
    let location = trusted.get(auth).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let code = crate::support::redirect_param(&location, "code").unwrap();
    let tokens = body_json(
        trusted
            .post(format!("{}/token", server.base))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://localhost:8085/"),
                ("client_id", client["client_id"].as_str().unwrap()),
                ("client_secret", client["client_secret"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let revoked = trusted
        .post(format!("{}/revoke", server.base))
        .form(&[("token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    // a client that does not trust the CA cannot talk to it at all
    let untrusted = http()
        .get(format!("{}/.well-known/openid-configuration", server.base))
        .send()
        .await;
    assert!(untrusted.is_err(), "the CA is not in the default roots");
    assert!(server.terminate().success());
}

#[tokio::test]
async fn every_path_google_serves_answers_as_its_endpoint() {
    let server = ServeProcess::start(&["--client-id", "paths", "--redirect-uri", "https://app.example.com/cb"]);
    let http = http();
    for path in ["/o/oauth2/auth", "/o/oauth2/v2/auth"] {
        let url = format!(
            "{}{path}?client_id=paths&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=openid",
            server.base
        );
        let answer = http.get(url).send().await.unwrap();
        assert_eq!(answer.status(), 302, "{path}");
    }
    for path in ["/token", "/o/oauth2/token", "/oauth2/v4/token", "/oauth2/v3/token"] {
        let answer = http
            .post(format!("{}{path}", server.base))
            .form(&[("grant_type", "refresh_token")])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{path}");
        assert_eq!(
            body_json(answer).await["error"],
            "invalid_request",
            "{path}: the token endpoint's own error"
        );
    }
    for path in ["/revoke", "/o/oauth2/revoke"] {
        let answer = http
            .post(format!("{}{path}?token=nope", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(body_json(answer).await["error"], "invalid_token", "{path}");
    }
    for path in ["/v1/userinfo", "/oauth2/v3/userinfo", "/oauth2/v2/userinfo"] {
        let answer = http.get(format!("{}{path}", server.base)).send().await.unwrap();
        assert_eq!(answer.status(), 401, "{path}");
    }
    for path in ["/tokeninfo", "/oauth2/v3/tokeninfo"] {
        let answer = http
            .get(format!("{}{path}?access_token=nope", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{path}");
        assert_eq!(
            body_json(answer).await,
            json!({"error": "invalid_token", "error_description": "Invalid Value"})
        );
    }
    let jwks = get_json(&http, &format!("{}/oauth2/v3/certs", server.base)).await;
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_string();
    let pem = get_json(&http, &format!("{}/oauth2/v1/certs", server.base)).await;
    assert!(pem[&kid].as_str().unwrap().starts_with("-----BEGIN CERTIFICATE-----"));
    let discovery = get_json(&http, &format!("{}/.well-known/openid-configuration", server.base)).await;
    assert_eq!(discovery["jwks_uri"], format!("{}/oauth2/v3/certs", server.base));
    assert_eq!(discovery["issuer"], "https://accounts.google.com");
}

#[tokio::test]
async fn approval_prompt_force_still_forces_consent_on_the_legacy_path_only() {
    let server = ServeProcess::start(&["--client-id", "legacy", "--redirect-uri", "https://app.example.com/cb"]);
    let http = http();
    let consent = |path: &'static str| {
        let url = format!(
            "{}{path}?client_id=legacy&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=openid&access_type=offline&approval_prompt=force",
            server.base
        );
        let http = http.clone();
        async move {
            let answer = http.get(url).send().await.unwrap();
            answer.headers()["x-oauth-drift-consent-screen"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(consent("/o/oauth2/v2/auth").await, "shown", "the first grant");
    assert_eq!(consent("/o/oauth2/v2/auth").await, "skipped", "force is ignored on v2");
    assert_eq!(
        consent("/o/oauth2/auth").await,
        "shown",
        "force still forces on /o/oauth2/auth (model choice)"
    );
}

#[tokio::test]
async fn a_signing_key_file_keeps_the_key_id_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    // PKCS#1, as `openssl genrsa -traditional` writes it
    let made = Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&key)
        .arg("2048")
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        assert!(!ci(), "openssl is needed to make a PKCS#1 key");
        return;
    }
    let kid = || async {
        let server = ServeProcess::start(&["--signing-key", key.to_str().unwrap()]);
        get_json(&http(), &format!("{}/oauth2/v3/certs", server.base)).await["keys"][0]["kid"].clone()
    };
    let first = kid().await;
    assert!(first.is_string());
    assert_eq!(first, kid().await);
}

/// `serve` with `args`, run to its end (bounded); its exit code and stderr.
fn serve_exits(args: &[&str]) -> (i32, String) {
    run_to_end(&[&["--color", "never", "serve"], args].concat())
}

#[test]
fn a_signing_key_that_is_not_a_pem_rsa_key_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "hello").unwrap();
    let (code, stderr) = serve_exits(&["--signing-key", garbage.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("garbage.pem: not a usable id_token signing key"),
        "{stderr}"
    );
    assert!(stderr.contains("not a PEM private key"), "{stderr}");

    let ec = dir.path().join("ec.pem");
    let made = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&ec)
        .output();
    if made.is_ok_and(|o| o.status.success()) {
        let (code, stderr) = serve_exits(&["--signing-key", ec.to_str().unwrap()]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("not an RSA key"), "{stderr}");
    }
}

#[test]
fn a_ca_path_that_cannot_be_written_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "a file, not a folder").unwrap();
    let target = blocker.join("ca.pem");
    let (code, stderr) = serve_exits(&["--tls", "--write-ca", target.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("failed to write the CA certificate"), "{stderr}");
}

#[test]
fn tls_with_allow_remote_needs_a_hostname() {
    let (code, stderr) = serve_exits(&["--tls", "--allow-remote", "--port", "0"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--tls with --allow-remote needs --tls-hostname NAME"),
        "{stderr}"
    );
}

/// Starts a device sign-in for client `tv` (POST /device/code); the answer.
async fn start_device(http: &reqwest::Client, base: &str) -> Value {
    let answer = http
        .post(format!("{base}/device/code"))
        .form(&[("client_id", "tv"), ("scope", "openid email")])
        .send()
        .await
        .unwrap();
    body_json(answer).await
}

/// Polls the token endpoint once for `device_code` as client `tv`, with `secret` if given.
async fn poll_device(http: &reqwest::Client, base: &str, device_code: &str, secret: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
        ("client_id", "tv"),
    ];
    form.extend(secret.map(|secret| ("client_secret", secret)));
    let answer = http.post(format!("{base}/token")).form(&form).send().await.unwrap();
    (answer.status().as_u16(), body_json(answer).await)
}

#[tokio::test]
async fn a_device_signs_in_through_the_verification_page_and_gets_a_refresh_token() {
    let server = ServeProcess::start(&["--client-id", "tv"]);
    let http = http();
    // the admin clock: polling faster than `interval` is slow_down, so move time by hand
    server.admin(&http, "/clock/freeze", None).await;
    let started = start_device(&http, &server.base).await;
    assert_eq!(started["verification_url"], format!("{}/device", server.base));
    let device_code = started["device_code"].as_str().unwrap().to_string();
    let poll = || poll_device(&http, &server.base, &device_code, None);
    // the token endpoint authenticates the device's client like any other: no secret, refused
    let (status, body) = poll().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    drop(server);

    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, "device-secret\n").unwrap();
    let mut server = ServeProcess::start(&[
        "--client-id",
        "tv",
        "--client-secret-file",
        secret_file.to_str().unwrap(),
    ]);
    server.admin(&http, "/clock/freeze", None).await;
    let started = start_device(&http, &server.base).await;
    let user_code = started["user_code"].as_str().unwrap().to_string();
    let device_code = started["device_code"].as_str().unwrap().to_string();
    let poll = || poll_device(&http, &server.base, &device_code, Some("device-secret"));
    let (status, body) = poll().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (428, Some("authorization_pending")),
        "{body}"
    );
    let page = http
        .get(format!("{}/device?user_code={user_code}", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Your device is connected"));
    server.admin(&http, "/clock/advance?seconds=5", None).await;
    let (status, body) = poll().await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["refresh_token"].is_string(),
        "D4: always a refresh token for devices"
    );
    assert_eq!(body["id_token"].as_str().unwrap().split('.').count(), 3);
    // the access log is written after the answer: stop the server so every line is in
    assert!(server.terminate().success());
    let log = server.stderr();
    assert!(log.contains("user_code=[redacted]"), "{log}");
    assert!(
        !log.contains(&device_code) && !log.contains(&user_code),
        "the device codes leaked: {log}"
    );
}
