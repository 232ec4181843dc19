//! The interactive consent probe: a scenario's authorize and exchange steps against the real
//! provider. Each authorization request goes to a browser (the system's, or `--open-with CMD`)
//! with a loopback redirect listener on 127.0.0.1 and a random port, a random `state` that the
//! callback must carry back, and PKCE S256; the code is exchanged by the scenario runner.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use url::Url;

use super::authorize::classify;
use super::credentials::SECRET_VARIABLES;
use super::transport::{Body, Request};
use crate::model::CONSENT_HEADER;
use crate::provider::{ClientConfig, ErrorPageFormat, param};
use crate::runner::StepError;
use crate::runner::{FrontAnswer, FrontChannel, authorize_query, step_applies};
use crate::scenario::{
    Action, Case, ExchangeFault, PkceMethod, RevokeAction, RevokeMethod, RevokeToken, Scenario, Step, TokenPick,
};
use crate::target::{LiveProvider, Transport};

/// Where progress for a person goes (the CLI prints it on stderr; the library never prints).
pub type Notify = Arc<dyn Fn(&str) + Send + Sync>;

/// The path of the redirect listener.
const CALLBACK_PATH: &str = "/callback";
/// The most bytes of a request head the listener reads.
const MAX_HEAD: usize = 16 * 1024;

enum Callback {
    /// The authorization response for the awaited `state`: the full callback URL.
    Matched(String),
    /// A callback with another (or no) `state`: answered 400 and ignored.
    Mismatched,
}

/// The loopback redirect listener. It accepts only the authorization response whose `state`
/// is the one awaited; anything else is answered and ignored.
pub struct CallbackListener {
    uri: String,
    expected: Arc<Mutex<Option<String>>>,
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<Callback>>,
    task: tokio::task::JoinHandle<()>,
}

impl CallbackListener {
    /// Listens on 127.0.0.1 at `port` (0: a random free port).
    pub async fn bind(port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let base = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let expected = Arc::new(Mutex::new(None::<String>));
        let (sender, events) = mpsc::unbounded_channel();
        let task = tokio::spawn(accept_loop(listener, base.clone(), Arc::clone(&expected), sender));
        Ok(Self {
            uri: format!("{base}{CALLBACK_PATH}"),
            expected,
            events: tokio::sync::Mutex::new(events),
            task,
        })
    }

    /// `http://127.0.0.1:PORT/callback`: the redirect URI of the probe.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Awaits the callback carrying `state` from now on, and forgets earlier callbacks. This
    /// must happen before the browser is started: a browser (or a provider that remembers the
    /// grant) can answer before [`Self::wait`] runs, and that callback must count.
    async fn expect(&self, state: &str) {
        let mut events = self.events.lock().await;
        *self.expected.lock().unwrap_or_else(|p| p.into_inner()) = Some(state.to_string());
        while events.try_recv().is_ok() {}
    }

    /// Waits for the callback carrying the state given to [`Self::expect`], for at most `timeout`.
    async fn wait(&self, timeout: Duration) -> Result<String, String> {
        let mut events = self.events.lock().await;
        let mut mismatched = 0;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some(Callback::Matched(url))) => return Ok(url),
                Ok(Some(Callback::Mismatched)) => mismatched += 1,
                Ok(None) => return Err("the redirect listener stopped".into()),
                Err(_) => {
                    let extra = if mismatched > 0 {
                        format!("; {mismatched} callback(s) with another state were refused")
                    } else {
                        String::new()
                    };
                    return Err(format!(
                        "no authorization response reached the loopback listener within {}s{extra}",
                        timeout.as_secs()
                    ));
                }
            }
        }
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    base: String,
    expected: Arc<Mutex<Option<String>>>,
    sender: mpsc::UnboundedSender<Callback>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let (base, expected, sender) = (base.clone(), Arc::clone(&expected), sender.clone());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), answer(stream, &base, &expected, &sender)).await;
        });
    }
}

async fn answer(
    mut stream: TcpStream,
    base: &str,
    expected: &Mutex<Option<String>>,
    sender: &mpsc::UnboundedSender<Callback>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut parts = head.lines().next().unwrap_or_default().split_whitespace();
    let (method, target) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
    let path = target.split('?').next().unwrap_or_default();
    let (status, body) = if method != "GET" || path != CALLBACK_PATH {
        ("404 Not Found", "Not found.")
    } else {
        let url = format!("{base}{target}");
        let state =
            (Url::parse(&url).ok()).and_then(|_| crate::target::Redirect::parse(&url).get("state").map(str::to_string));
        let awaited = expected.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if state.is_some() && state == awaited {
            let _ = sender.send(Callback::Matched(url));
            (
                "200 OK",
                "oauth-drift received the authorization response. You can close this window.",
            )
        } else {
            let _ = sender.send(Callback::Mismatched);
            (
                "400 Bad Request",
                "This authorization response does not belong to the pending request (state does not match); it was ignored.",
            )
        }
    };
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>oauth-drift</title></head><body><p>{body}</p></body></html>\n"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{page}",
        page.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// What opens an authorization URL.
#[derive(Debug, Clone)]
pub enum Opener {
    /// The system browser (`xdg-open`, `open`, `start`); the URL is also shown for copying.
    System,
    /// `--open-with CMD`: the program and its arguments; the URL is appended. It runs with
    /// `OAUTH_DRIFT_USER` and `OAUTH_DRIFT_CONSENT` set (the scenario's user and decision) and
    /// without any credential variable.
    Command(Vec<String>),
}

/// The operating systems whose browser opener differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Os {
    Mac,
    Windows,
    Other,
}

impl Os {
    const CURRENT: Os = if cfg!(target_os = "macos") {
        Os::Mac
    } else if cfg!(windows) {
        Os::Windows
    } else {
        Os::Other
    };
}

impl Opener {
    /// The program and arguments that open `url` on `os`; the URL is always one argument.
    ///
    /// On Windows no shell is involved: `cmd /C start "" URL` would hand the URL to cmd.exe,
    /// which splits it at every `&` (an authorization URL has several) and runs what follows as
    /// commands, and expands `%NAME%` even inside quotes. `rundll32 url.dll,FileProtocolHandler
    /// URL` opens the default browser without cmd.exe; it is what Go's `cmd/internal/browser` and
    /// `github.com/pkg/browser` use.
    fn argv(&self, url: &str, os: Os) -> Vec<String> {
        match (self, os) {
            (Opener::Command(argv), _) => argv.iter().cloned().chain([url.to_string()]).collect(),
            (Opener::System, Os::Mac) => vec!["open".into(), url.into()],
            (Opener::System, Os::Windows) => {
                vec!["rundll32".into(), "url.dll,FileProtocolHandler".into(), url.into()]
            }
            (Opener::System, Os::Other) => vec!["xdg-open".into(), url.into()],
        }
    }

    fn spawn(&self, url: &str, user: &str, decision: &str) -> Result<std::process::Child, String> {
        let argv = self.argv(url, Os::CURRENT);
        let (program, args) = argv.split_first().ok_or("--open-with names no program")?;
        let mut command = std::process::Command::new(program);
        command
            .args(args)
            .env("OAUTH_DRIFT_USER", user)
            .env("OAUTH_DRIFT_CONSENT", decision)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null());
        for variable in SECRET_VARIABLES {
            command.env_remove(variable);
        }
        command.spawn().map_err(|e| format!("could not start `{program}`: {e}"))
    }
}

/// The front channel of a live consent run: a pre-flight request without a session (an
/// error page ends the step there, as no browser could get past it), then the browser and the
/// loopback listener.
pub struct BrowserFront {
    pub http: LiveProvider,
    pub listener: CallbackListener,
    pub opener: Opener,
    pub timeout: Duration,
    pub notify: Notify,
    /// How the provider shows an error (its profile's `error_page`), for the pre-flight.
    pub error_page: Option<ErrorPageFormat>,
    children: Mutex<Vec<std::process::Child>>,
}

impl BrowserFront {
    pub fn new(
        http: LiveProvider,
        listener: CallbackListener,
        opener: Opener,
        timeout: Duration,
        notify: Notify,
    ) -> Self {
        Self {
            http,
            listener,
            opener,
            timeout,
            notify,
            error_page: None,
            children: Mutex::new(Vec::new()),
        }
    }

    /// The same, reading the pre-flight's error pages as the profile's `error_page` says.
    pub fn reading_errors_as(mut self, error_page: Option<ErrorPageFormat>) -> Self {
        self.error_page = error_page;
        self
    }
}

impl Drop for BrowserFront {
    fn drop(&mut self) {
        let children = self.children.get_mut().unwrap_or_else(|p| p.into_inner());
        for child in children.iter_mut() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

impl FrontChannel for BrowserFront {
    async fn authorize(&self, url: Url, user: &str, decision: &str) -> Result<FrontAnswer, StepError> {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let redirect_uri = param(&pairs, "redirect_uri").unwrap_or_default().to_string();
        let state = param(&pairs, "state")
            .ok_or("the authorization request carries no state")?
            .to_string();
        let preflight = Request::get(url.clone()).header(CONSENT_HEADER, "deny");
        let response = self.http.exchange(&preflight, Body::Any).await?;
        let answer =
            classify(&response, &url, &redirect_uri, self.error_page.as_ref()).map_err(|cause| cause.to_string())?;
        if answer.is_error_page() {
            return Ok(FrontAnswer {
                status: answer.page_status,
                page_error: answer.error,
                page_description: answer.error_description,
                ..Default::default()
            });
        }
        // before the browser starts: its callback may come back before `wait` below runs
        self.listener.expect(&state).await;
        let child = self.opener.spawn(url.as_str(), user, decision);
        match (&self.opener, &child) {
            (Opener::System, _) => (self.notify)(&format!(
                "consent: sign in as the probe's test user and answer the consent screen ({decision}) in the browser; \
                 if none opened, open this URL (waiting up to {}s):\n  {url}",
                self.timeout.as_secs()
            )),
            (Opener::Command(_), Ok(_)) => (self.notify)(&format!(
                "consent: authorization URL handed to --open-with (user {user}, {decision})"
            )),
            (Opener::Command(_), Err(e)) => return Err(e.clone().into()),
        }
        if let Ok(child) = child {
            self.children.lock().unwrap_or_else(|p| p.into_inner()).push(child);
        }
        let callback = self.listener.wait(self.timeout).await?;
        Ok(FrontAnswer {
            status: 302,
            location: Some(callback),
            ..Default::default()
        })
    }
}

/// The revocations `live_case` appends with `revoke`, in order.
pub const REVOKED: [RevokeToken; 2] = [RevokeToken::RefreshToken, RevokeToken::AccessToken];

/// Why a case cannot run live, if it cannot.
pub fn live_blocker(case: &Case, client: &ClientConfig) -> Option<String> {
    let file = &case.scenario.file;
    if file.clients.len() > 1 {
        return Some(format!(
            "the scenario uses {} clients; a live probe has one",
            file.clients.len()
        ));
    }
    if file
        .steps
        .iter()
        .any(|s| step_applies(s, case) && matches!(s.action, Action::Advance(_)))
    {
        return Some("the case moves the provider's clock, which a live provider's cannot be".into());
    }
    if file
        .steps
        .iter()
        .any(|s| step_applies(s, case) && matches!(s.action, Action::Event(_)))
    {
        return Some("the case makes an event happen (a password change, an admin's policy, …), which a live provider cannot be told".into());
    }
    let mut users: Vec<String> = Vec::new();
    for step in file.steps.iter().filter(|s| step_applies(s, case)) {
        let Action::Authorize(action) = &step.action else {
            continue;
        };
        let user = action
            .user
            .clone()
            .or_else(|| file.users.first().cloned())
            .unwrap_or_else(|| crate::model::DEFAULT_USER.into());
        if !users.contains(&user) {
            users.push(user);
        }
        let (query, _) = authorize_query(action, case, client);
        let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        if get("redirect_uri") != client.redirect_uris.first().map(String::as_str) {
            return Some(
                "an authorize step sets its own redirect_uri; the answer would not reach the loopback listener".into(),
            );
        }
        if get("response_type") != Some("code") {
            return Some(
                "an authorize step asks for a response in the URL fragment, which a loopback listener never sees"
                    .into(),
            );
        }
    }
    (users.len() > 1).then(|| {
        format!(
            "the case needs {} users ({}); a live probe signs in one",
            users.len(),
            users.join(", ")
        )
    })
}

/// Whether a scenario deals with PKCE itself (a `pkce:`, its own `code_challenge`, or a
/// verifier fault): then it runs as written.
fn handles_pkce(file: &crate::scenario::ScenarioFile) -> bool {
    file.steps.iter().any(|step| match &step.action {
        Action::Authorize(action) => {
            action.pkce.is_some() || action.params.iter().any(|(name, _)| name.starts_with("code_challenge"))
        }
        Action::Exchange(action) => {
            matches!(
                action.fault,
                Some(ExchangeFault::WrongVerifier | ExchangeFault::MissingVerifier | ExchangeFault::ExtraVerifier)
            ) || action.params.iter().any(|(name, _)| name == "code_verifier")
        }
        _ => false,
    })
}

/// The case as a live run executes it: PKCE S256 on every authorization request (unless the
/// scenario deals with PKCE itself), no `consent_screen` expectations (a real provider does
/// not say), and with `revoke` a final revocation that ends the grant so probing does not eat
/// the per-client token limit.
pub fn live_case(case: &Case, revoke: bool) -> Case {
    let mut file = case.scenario.file.clone();
    let add_pkce = !handles_pkce(&file);
    for step in &mut file.steps {
        match &mut step.action {
            Action::Authorize(action) if add_pkce => action.pkce = Some(PkceMethod::S256),
            Action::Expect(expect) => expect.consent_screen = None,
            _ => {}
        }
    }
    if revoke {
        // the refresh token ends the grant (Google, RFC 7009 servers); the access token ends it
        // where no refresh token came back (Google: "the refresh token will also be revoked")
        for token in REVOKED {
            let action = RevokeAction {
                token,
                method: RevokeMethod::Post,
                pick: TokenPick::Latest,
                of: Default::default(),
            };
            file.steps.push(Step {
                action: Action::Revoke(action),
                when: Vec::new(),
            });
        }
    }
    let scenario = Scenario {
        path: case.scenario.path.clone(),
        file,
        step_lines: case.scenario.step_lines.clone(),
    };
    Case {
        scenario: Arc::new(scenario),
        ..case.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::provider::Registry;
    use crate::scenario::{expand, parse};

    fn case(text: &str) -> Case {
        let scenario = Arc::new(parse(Path::new("t.yaml"), text, &Registry::builtin()).unwrap());
        expand(&scenario, "t").remove(0)
    }

    fn pkce_of(case: &Case) -> Vec<Option<PkceMethod>> {
        case.scenario
            .file
            .steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::Authorize(a) => Some(a.pkce),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_live_case_gets_pkce_s256_no_consent_screen_expectations_and_revocations() {
        let plain = case(
            "name: x\nsteps:\n  - authorize: {scope: email}\n  - expect: {consent_screen: shown}\n  - exchange:\n",
        );
        let live = live_case(&plain, true);
        assert_eq!(pkce_of(&live), [Some(PkceMethod::S256)]);
        assert!(
            live.scenario
                .file
                .steps
                .iter()
                .all(|s| !matches!(&s.action, Action::Expect(e) if e.consent_screen.is_some()))
        );
        let revokes: Vec<_> = live
            .scenario
            .file
            .steps
            .iter()
            .filter(|s| matches!(s.action, Action::Revoke(_)))
            .collect();
        assert_eq!(revokes.len(), REVOKED.len());
        assert_eq!(live_case(&plain, false).scenario.file.steps.len(), 3);
    }

    #[test]
    fn the_windows_browser_opener_gives_the_url_to_no_shell() {
        let url = "https://accounts.google.com/o/oauth2/v2/auth?client_id=a&scope=b%20c&state=x&calc.exe=1";
        let argv = Opener::System.argv(url, Os::Windows);
        assert_eq!(argv, ["rundll32", "url.dll,FileProtocolHandler", url]);
        assert!(
            argv.iter()
                .all(|a| !a.eq_ignore_ascii_case("cmd") && !a.eq_ignore_ascii_case("/c")),
            "{argv:?}"
        );
        assert_eq!(Opener::System.argv(url, Os::Mac), ["open", url]);
        assert_eq!(Opener::System.argv(url, Os::Other), ["xdg-open", url]);
        let own = Opener::Command(vec!["my-browser".into(), "--new".into()]);
        assert_eq!(own.argv(url, Os::Windows), ["my-browser", "--new", url]);
    }

    /// A provider that answers every authorization request at once with a code for its
    /// `redirect_uri` and `state`, as one that remembers the grant does.
    async fn instant_provider() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let Some(head) = super::super::fault_tests::read_head(&mut stream).await else {
                        return;
                    };
                    let head = String::from_utf8_lossy(&head).to_string();
                    let target = head.split_whitespace().nth(1).unwrap_or_default().to_string();
                    let url = Url::parse(&format!("http://x{target}")).unwrap();
                    let get = |name: &str| {
                        url.query_pairs()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.into_owned())
                            .unwrap_or_default()
                    };
                    let mut location = Url::parse(&get("redirect_uri")).unwrap();
                    location
                        .query_pairs_mut()
                        .append_pair("code", "c0de")
                        .append_pair("state", &get("state"));
                    let reply = format!(
                        "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    );
                    let _ = stream.write_all(reply.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        base
    }

    /// The browser may answer before the probe starts waiting for it (a loaded machine can
    /// stop the probe's thread between starting the browser and waiting): the callback must
    /// still count. Here the progress note blocks until the browser is done.
    #[cfg(unix)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_callback_that_arrives_before_the_probe_waits_for_it_is_not_lost() {
        let base = instant_provider().await;
        let dir = tempfile::tempdir().unwrap();
        let done = dir.path().join("browser-done");
        let listener = CallbackListener::bind(0).await.unwrap();
        let redirect_uri = listener.uri().to_string();
        // a browser that follows the redirect to the callback, then says it is done
        let script = format!("curl -s -o /dev/null -L \"$0\" && touch '{}'", done.display());
        let opener = Opener::Command(vec!["sh".into(), "-c".into(), script]);
        let flag = done.clone();
        let notify: Notify = Arc::new(move |_: &str| {
            let started = std::time::Instant::now();
            while !flag.exists() && started.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let http = LiveProvider::new(crate::target::RetryPolicy::live(
            Duration::from_secs(10),
            Duration::from_secs(10),
        ));
        let front = BrowserFront::new(http, listener, opener, Duration::from_secs(3), notify);
        for state in ["first-state", "second-state"] {
            let mut url = Url::parse(&format!("{base}/auth")).unwrap();
            url.query_pairs_mut()
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("state", state);
            let _ = std::fs::remove_file(&done);
            let answer = front
                .authorize(url, "bob", "grant")
                .await
                .unwrap_or_else(|e| panic!("{state}: {e}"));
            assert!(done.exists(), "the browser never finished");
            let location = answer.location.unwrap();
            assert!(location.contains(&format!("state={state}")), "{location}");
        }
    }

    #[test]
    fn a_scenario_that_tests_pkce_itself_runs_as_written() {
        let extra = case("name: x\nsteps:\n  - authorize: {scope: email}\n  - exchange: {fault: extra_verifier}\n");
        assert_eq!(pkce_of(&live_case(&extra, false)), [None]);
        let manual = case("name: x\nsteps:\n  - authorize: {scope: email, code_challenge: abc}\n  - exchange:\n");
        assert_eq!(pkce_of(&live_case(&manual, false)), [None]);
    }
}
