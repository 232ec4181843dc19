//! A `serve` run as a real process of the built binary, for the tests that talk to it.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a test waits for the server to print its URL, or to exit once told to.
const STARTUP: Duration = Duration::from_secs(20);

/// A running `oauth-drift serve`; killed when dropped.
pub struct ServeProcess {
    child: Child,
    pub base: String,
    stderr: Arc<Mutex<String>>,
}

impl ServeProcess {
    /// Starts `oauth-drift serve ARGS` and waits for the base URL on stdout's first line.
    pub fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_oauth-drift"));
        command.arg("--color").arg("never").arg("serve").args(args);
        command.env_remove("OAUTH_DRIFT_SERVE_CLIENT_SECRET");
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the oauth-drift binary starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // keep draining so the server never blocks on a full pipe
            let mut rest = String::new();
            let _ = reader.read_to_string(&mut rest);
        });
        let line = match rx.recv_timeout(STARTUP) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "serve printed no URL within {STARTUP:?}; stderr:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        let base = line.trim().to_string();
        if !base.starts_with("http://127.0.0.1:") && !base.starts_with("https://127.0.0.1:") {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(100));
            panic!(
                "serve's first stdout line is not a URL: {line:?}; stderr:\n{}",
                stderr.lock().unwrap()
            );
        }
        Self { child, base, stderr }
    }

    /// Everything the server wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits (bounded) for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited on") {
                // let the stderr reader catch up with the last lines
                std::thread::sleep(Duration::from_millis(100));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not exit within {STARTUP:?} of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// POSTs to an admin endpoint and returns the JSON answer.
    pub async fn admin(
        &self,
        http: &reqwest::Client,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let mut request = http.post(format!("{}/_oauth-drift{path}", self.base));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("admin request");
        assert!(
            response.status().is_success(),
            "admin {path} answered {}",
            response.status()
        );
        json(response).await
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client-secrets file's one variant body (`installed` or `web`).
pub fn read_client_secrets(path: &Path) -> (String, serde_json::Map<String, serde_json::Value>) {
    let text = std::fs::read_to_string(path).expect("client-secrets file written");
    let json: serde_json::Value = serde_json::from_str(&text).expect("client-secrets file is JSON");
    let object = json.as_object().expect("a JSON object");
    assert_eq!(object.len(), 1, "exactly one variant: {text}");
    let (variant, body) = object.iter().next().unwrap();
    (
        variant.clone(),
        body.as_object().expect("variant body is an object").clone(),
    )
}

/// A reqwest client that observes redirects instead of following them.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A response body as JSON (reqwest is built without its `json` feature).
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    let text = response.text().await.expect("a response body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// GETs `url` and returns its JSON body.
pub async fn get_json(http: &reqwest::Client, url: &str) -> serde_json::Value {
    json(http.get(url).send().await.expect("GET")).await
}
