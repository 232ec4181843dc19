//! The consent page of `serve --consent page` in a real browser: Debian's headless Chromium
//! driven through chromedriver's W3C WebDriver HTTP API (plain JSON over loopback, so no
//! extra crate). scripts/test installs chromium and chromium-driver when they are missing.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::serve_process::{ServeProcess, http, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key of a web element reference (W3C WebDriver §12.1).
const W3C_ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const SCOPES: &str =
    "openid email https://www.googleapis.com/auth/drive.file https://www.googleapis.com/auth/calendar.readonly";
const SECRET: &str = "browser-test-secret";

/// Whether Chromium and its driver are installed: in CI they must be (scripts/test installs
/// them); elsewhere the test notes their absence and skips, so a bare `cargo test` still runs.
fn browser_installed() -> bool {
    let installed = std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists();
    if !installed {
        assert!(
            !crate::support::tools_required(),
            "{CHROMIUM} or {CHROMEDRIVER} is missing, and scripts/test (or CI) requires every tool: scripts/test installs them"
        );
        eprintln!(
            "note: no {CHROMIUM} or {CHROMEDRIVER}; run scripts/test to install them. Skipping the browser test."
        );
    }
    installed
}

/// A chromedriver process; killed when dropped.
struct Driver {
    child: Child,
    url: String,
    http: reqwest::Client,
    /// Open sessions, closed on drop: killing chromedriver alone would orphan the browsers.
    sessions: std::sync::Mutex<Vec<String>>,
}

impl Driver {
    async fn start() -> Self {
        // chromedriver wants a port number: take a free one from the kernel
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            http: http(),
            sessions: std::sync::Mutex::new(Vec::new()),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(response) = driver.http.get(format!("{}/status", driver.url)).send().await
                && json(response).await["value"]["ready"] == true
            {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver was not ready within 20s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .timeout(Duration::from_secs(60));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let answer = json(request.send().await.expect("a WebDriver request")).await;
        if answer["value"].get("error").is_some() {
            panic!("WebDriver {path} failed: {answer}");
        }
        answer["value"].clone()
    }

    /// A new headless browser with a throw-away profile.
    async fn session(&self, profile: &std::path::Path) -> Session<'_> {
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            "--window-size=900,1000".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let value = self.call(reqwest::Method::POST, "/session", Some(capabilities)).await;
        let id = value["sessionId"].as_str().expect("a session id").to_string();
        self.sessions.lock().unwrap().push(id.clone());
        Session { driver: self, id }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // also after a failed assertion: a plain blocking DELETE per session, bounded
        let address = self.url.trim_start_matches("http://").to_string();
        for id in self.sessions.lock().map(|s| s.clone()).unwrap_or_default() {
            if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let request = format!(
                    "DELETE /session/{id} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                // chromedriver answers once the browser has quit; the status line is enough
                if stream.write_all(request.as_bytes()).is_ok() {
                    let _ = BufReader::new(stream).read_line(&mut String::new());
                }
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("/session/{}{path}", self.id),
                Some(body),
            )
            .await
    }

    async fn get(&self, path: &str) -> Value {
        self.driver
            .call(reqwest::Method::GET, &format!("/session/{}{path}", self.id), None)
            .await
    }

    async fn open(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        found
            .get(W3C_ELEMENT)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element reference for {css}: {found}"))
            .to_string()
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/click"), json!({})).await;
    }

    async fn selected(&self, css: &str) -> bool {
        let element = self.find(css).await;
        self.get(&format!("/element/{element}/selected")).await == true
    }

    async fn screenshot(&self) -> Vec<u8> {
        let data = self.get("/screenshot").await;
        base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 PNG"))
            .expect("valid base64")
    }

    async fn close(self) {
        self.driver
            .call(reqwest::Method::DELETE, &format!("/session/{}", self.id), None)
            .await;
        self.driver.sessions.lock().unwrap().retain(|id| *id != self.id);
    }
}

/// The app's side of the redirect: a loopback listener that records the first request's
/// target and answers with a small page.
fn callback_listener() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://127.0.0.1:{}/callback", listener.local_addr().unwrap().port());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // one redirect per listener; the test times out on its own if none comes
        if let Ok((stream, _)) = listener.accept() {
            let mut reader = BufReader::new(stream);
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let target = request_line.split_whitespace().nth(1).unwrap_or_default().to_string();
            let mut stream = reader.into_inner();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 17\r\nconnection: close\r\n\r\nback in the app\r\n");
            let _ = tx.send(target);
        }
    });
    (uri, rx)
}

fn redirect_params(target: &str) -> std::collections::BTreeMap<String, String> {
    url::Url::parse(&format!("http://app{target}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn authorization_url(base: &str, redirect_uri: &str, state: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{base}/o/oauth2/v2/auth")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "browser.apps.googleusercontent.com")
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", SCOPES)
        .append_pair("access_type", "offline")
        .append_pair("state", state)
        .append_pair("login_hint", "dana@example.com")
        .extend_pairs(extra);
    url.to_string()
}

#[tokio::test]
async fn the_consent_page_grants_the_ticked_scopes_and_denies_in_a_real_browser() {
    if !browser_installed() {
        return;
    }
    let server = ServeProcess::start_with_env(
        &[
            "--consent",
            "page",
            "--client-id",
            "browser.apps.googleusercontent.com",
            "--client-type",
            "installed",
            "--redirect-uri",
            "http://127.0.0.1/callback",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", SECRET)],
    );
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().unwrap();
    let browser = driver.session(profile.path()).await;

    // Allow with one scope unticked
    let (redirect_uri, redirected) = callback_listener();
    browser
        .open(&authorization_url(&server.base, &redirect_uri, "state-allow", &[]))
        .await;
    let calendar = "input[type=checkbox][value='https://www.googleapis.com/auth/calendar.readonly']";
    let drive = "input[type=checkbox][value='https://www.googleapis.com/auth/drive.file']";
    assert!(
        browser.selected(calendar).await && browser.selected(drive).await,
        "every scope starts ticked"
    );
    if let Some(path) = std::env::var_os("OAUTH_DRIFT_SCREENSHOT") {
        std::fs::write(path, browser.screenshot().await).unwrap();
    }
    browser.click(calendar).await;
    assert!(
        !browser.selected(calendar).await,
        "the click unticked the calendar scope"
    );
    // a sign-in scope cannot be unticked on a granular screen (D7)
    browser.click("input[type=checkbox][value=openid]").await;
    assert!(browser.selected("input[type=checkbox][value=openid]").await);
    browser.click("#allow").await;
    let target = redirected
        .recv_timeout(Duration::from_secs(30))
        .expect("the browser came back to the app");
    let params = redirect_params(&target);
    assert!(target.starts_with("/callback?"), "{target}");
    assert_eq!(params["state"], "state-allow");

    let http = http();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", params["code"].as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", "browser.apps.googleusercontent.com"),
        ("client_secret", SECRET),
    ];
    let token = json(
        http.post(format!("{}/token", server.base))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        token["scope"],
        "https://www.googleapis.com/auth/drive.file https://www.googleapis.com/auth/userinfo.email openid",
        "the token carries exactly the ticked scopes: {token}"
    );
    assert!(
        token["refresh_token"].is_string(),
        "a consent screen was shown, so a refresh_token: {token}"
    );

    // Deny (Cancel) on a forced consent screen
    let (redirect_uri, redirected) = callback_listener();
    browser
        .open(&authorization_url(
            &server.base,
            &redirect_uri,
            "state-deny",
            &[("prompt", "consent")],
        ))
        .await;
    browser.click("#deny").await;
    let target = redirected
        .recv_timeout(Duration::from_secs(30))
        .expect("the browser came back to the app");
    let params = redirect_params(&target);
    assert_eq!(
        params.get("error").map(String::as_str),
        Some("access_denied"),
        "{target}"
    );
    assert_eq!(params["state"], "state-deny");
    assert!(!params.contains_key("code"));
    browser.close().await;
}
