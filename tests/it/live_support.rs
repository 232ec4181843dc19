//! Shared set-up of the live-probe tests: a provider model listening on loopback (the engine
//! `serve` runs), credentials for it, and the binary run as a process with a timeout.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth_drift::{
    AuthorizeResponse, ClientConfig, ClientKind, ConsentDecision, Engine, Profile, PublishingStatus, Registry,
};
use oauth_drift::{ConsentMode, ModelServer};

pub const CLIENT_ID: &str = "probe-test.apps.googleusercontent.com";
/// Planted: must never appear in any output, report, snapshot or log.
pub const PLANTED_SECRET: &str = "planted-client-secret-Xq7Rk2";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled scenario, relative to the project root (the binary's working directory), so
/// its snapshot names are the ones `run` uses.
pub fn scenario() -> String {
    "scenarios/approval_prompt_vs_prompt_consent.yaml".into()
}

/// A provider model on 127.0.0.1 with one installed client, as `serve` would run it.
pub struct Provider {
    pub server: ModelServer,
    pub base: String,
}

pub async fn provider(profile: &str, consent: ConsentMode) -> Provider {
    provider_on(Registry::builtin().load(profile).unwrap(), consent).await
}

/// The same for any profile (one loaded from a file).
pub async fn provider_on(profile: Profile, consent: ConsentMode) -> Provider {
    let profile = Arc::new(profile);
    let client = ClientConfig {
        client_id: CLIENT_ID.into(),
        client_secret: PLANTED_SECRET.into(),
        kind: ClientKind::Installed,
        status: PublishingStatus::Production,
        redirect_uris: vec!["http://127.0.0.1/callback".into()],
        project: None,
        created: None,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // the issuer the probe is pointed at, as `serve --issuer self` names it: probe refuses a
    // discovery document for another issuer (OpenID Connect Discovery §4.3)
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let engine = Engine::new(profile, [client]).with_issuer(issuer);
    let server = ModelServer::listen(engine, listener, consent, "alice").await.unwrap();
    let base = server.uri();
    Provider { server, base }
}

impl Provider {
    /// A refresh token of `user` (its own grant, so a consent probe's revocation leaves it be).
    pub fn refresh_token(&self, user: &str) -> String {
        let mut engine = self
            .server
            .engine()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let params: Vec<(String, String)> = [
            ("client_id", CLIENT_ID),
            ("redirect_uri", "http://127.0.0.1/callback"),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("access_type", "offline"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let AuthorizeResponse::Redirect(location) =
            engine.authorize(&params, user, &ConsentDecision::GrantAll).response
        else {
            panic!("the model did not redirect");
        };
        let code = crate::support::redirect_param(&location, "code").expect("a code");
        let form: Vec<(String, String)> = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1/callback"),
            ("client_id", CLIENT_ID),
            ("client_secret", PLANTED_SECRET),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        engine.token(&form, None).body["refresh_token"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// What a run of the binary left behind.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }
}

/// Runs `oauth-drift ARGS` with only `env` as credentials (and never `CI`), killing it after
/// `limit`. It runs on a blocking thread so the in-process provider keeps serving.
pub async fn oauth_drift(args: Vec<String>, env: Vec<(String, String)>, limit: Duration) -> Ran {
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_oauth-drift"));
        command
            .args(&args)
            .current_dir(root())
            .env_remove("CI")
            .env("NO_COLOR", "1");
        for (name, _) in std::env::vars() {
            if name.starts_with("OAUTH_DRIFT_") {
                command.env_remove(name);
            }
        }
        command
            .envs(env)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap());
        let mut child = command.spawn().unwrap();
        let started = Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code().unwrap_or(-1);
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "oauth-drift {args:?} did not finish within {limit:?}:\n{}",
                    std::fs::read_to_string(&err).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        Ran {
            code,
            stdout: std::fs::read_to_string(&out).unwrap(),
            stderr: std::fs::read_to_string(&err).unwrap(),
        }
    })
    .await
    .unwrap()
}

/// The environment of a probe with the test client's id and planted secret.
pub fn client_env() -> Vec<(String, String)> {
    vec![
        ("OAUTH_DRIFT_CLIENT_ID".to_string(), CLIENT_ID.to_string()),
        ("OAUTH_DRIFT_CLIENT_SECRET".to_string(), PLANTED_SECRET.to_string()),
    ]
}

pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The arguments of a refresh-only `probe` against `token_url`, then `extra`.
pub fn refresh_probe_args(token_url: &str, extra: &[&str]) -> Vec<String> {
    let mut list = args(&["probe", "--kind", "refresh", "--token-url", token_url]);
    list.extend(args(extra));
    list
}

/// Every file under `dir`, with its contents.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push((path.clone(), std::fs::read_to_string(&path).unwrap_or_default()));
        }
    }
    found.sort();
    found
}

/// The cases of a JSON report, by name.
pub fn cases(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["cases"].as_array().cloned().unwrap_or_default()
}

pub fn case<'a>(cases: &'a [serde_json::Value], name_starts: &str) -> &'a serde_json::Value {
    cases
        .iter()
        .find(|c| c["name"].as_str().unwrap_or_default().starts_with(name_starts))
        .unwrap_or_else(|| panic!("no case named {name_starts}…"))
}
