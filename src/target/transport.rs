//! The HTTP core under every target. A verdict comes only from a complete, well-formed answer;
//! timeouts, refused or reset connections, 5xx, 429 and bodies that are not what was asked for
//! are retried with backoff within a deadline, then reported as [`Inconclusive`] with the cause.
//! How hard it tries is the target's to say, not its caller's: [`HttpClient`] is made only by
//! the transports of this module's parent ([`super::Served`] and [`super::InProcess`] over
//! [`HttpClient::model`], [`super::LiveProvider`] over [`HttpClient::live`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

use crate::live::Scrubber;

/// How hard a request to a live provider tries before it gives up (`probe`'s `--deadline` and
/// `--attempt-timeout`, [`RetryPolicy::live`]).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The whole budget of one request, retries and waits included.
    pub deadline: Duration,
    /// The longest one attempt may take (connect, send, read).
    pub attempt_timeout: Duration,
    /// The wait before the first retry; doubled for each further retry.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// The most bytes read of a body; memory stays bounded whatever a server sends.
    pub max_body: usize,
}

impl RetryPolicy {
    /// The policy of a live provider: retried with backoff within `deadline`, each attempt
    /// within `attempt_timeout` (at most the deadline), 5xx and 429 waited out.
    pub fn live(deadline: Duration, attempt_timeout: Duration) -> Self {
        Self {
            deadline,
            attempt_timeout: attempt_timeout.min(deadline),
            ..Self::default()
        }
    }

    /// The bound of a request to the model or `serve`: 10 seconds for the whole request, retries
    /// after a transport fault included, and any body read whole (what the model answers is
    /// what is tested).
    fn model() -> Self {
        let timeout = Duration::from_secs(10);
        Self {
            deadline: timeout,
            attempt_timeout: timeout,
            max_body: usize::MAX,
            ..Self::default()
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(15),
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_body: 1024 * 1024,
        }
    }
}

/// Why a request reached no verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// No complete answer within the attempt timeout or the deadline.
    Timeout,
    /// Nothing listens there.
    Refused,
    /// The host name does not resolve: final, since retrying within the deadline will not
    /// make it resolve (an offline machine, a typo in the URL).
    Resolve(String),
    /// Connecting failed otherwise (TLS, an unreachable network).
    Connect(String),
    /// The connection closed or was reset before the answer was complete.
    Reset(String),
    /// A 5xx answer.
    ServerError(u16),
    /// A 429 answer; `retry_after` is what the server asked for, in seconds.
    RateLimited { retry_after: Option<u64> },
    /// An HTML page where JSON was expected (a proxy, a captive portal, an outage page).
    Html { status: u16 },
    /// JSON was expected and the body broke off inside it.
    TruncatedJson { status: u16 },
    /// JSON was expected and the body is something else.
    NotJson { status: u16 },
    /// The body is longer than the client reads.
    TooLarge { limit: usize },
    /// An answer no rule recognises (an authorization endpoint answering 200 with JSON, say).
    Unrecognised(String),
}

impl Cause {
    /// A short stable name: `timeout`, `refused`, `reset`, `5xx`, `429`, `html`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Cause::Timeout => "timeout",
            Cause::Refused => "refused",
            Cause::Resolve(_) => "dns",
            Cause::Connect(_) => "connect",
            Cause::Reset(_) => "reset",
            Cause::ServerError(_) => "5xx",
            Cause::RateLimited { .. } => "429",
            Cause::Html { .. } => "html",
            Cause::TruncatedJson { .. } => "truncated-json",
            Cause::NotJson { .. } => "not-json",
            Cause::TooLarge { .. } => "too-large",
            Cause::Unrecognised(_) => "unrecognised",
        }
    }

    /// Whether trying again may help (a body over the limit will be over it again).
    /// Whether the fault says the host stopped answering: nothing listens, no connection can be
    /// made, the name does not resolve, or no answer came within the deadline. (A broken-off
    /// answer, 5xx or 429 is an answer of sorts, and does not condemn the rest of the run.)
    fn host_gone(&self) -> bool {
        matches!(
            self,
            Cause::Refused | Cause::Connect(_) | Cause::Resolve(_) | Cause::Timeout
        )
    }

    fn retriable(&self) -> bool {
        !matches!(
            self,
            Cause::TooLarge { .. } | Cause::Unrecognised(_) | Cause::Resolve(_)
        )
    }

    /// Whether the provider cannot have acted on the request: nothing listened, no connection
    /// was made, or it refused to process it (429). Only then is a request that must not be
    /// repeated (a code's redemption) sent again.
    fn request_unseen(&self) -> bool {
        matches!(self, Cause::Refused | Cause::Connect(_) | Cause::RateLimited { .. })
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Timeout => write!(f, "timed out"),
            Cause::Refused => write!(f, "connection refused"),
            Cause::Resolve(detail) => write!(f, "the host name does not resolve: {detail}"),
            Cause::Connect(detail) => write!(f, "could not connect: {detail}"),
            Cause::Reset(detail) => write!(f, "the connection broke off before the answer was complete: {detail}"),
            Cause::ServerError(status) => write!(f, "server error {status}"),
            Cause::RateLimited {
                retry_after: Some(seconds),
            } => write!(f, "rate limited (429, Retry-After {seconds}s)"),
            Cause::RateLimited { retry_after: None } => write!(f, "rate limited (429)"),
            Cause::Html { status } => write!(f, "an HTML page where JSON was expected (status {status})"),
            Cause::TruncatedJson { status } => write!(f, "a JSON body that breaks off (status {status})"),
            Cause::NotJson { status } => write!(
                f,
                "a body that is not a JSON object where one was expected (status {status})"
            ),
            Cause::TooLarge { limit } => write!(f, "a body larger than {limit} bytes"),
            Cause::Unrecognised(what) => write!(f, "an answer no rule recognises: {what}"),
        }
    }
}

/// A request that reached no verdict, and how hard it tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconclusive {
    pub cause: Cause,
    pub attempts: u32,
    pub elapsed: Duration,
    /// Why the retries stopped early (a Retry-After past the deadline).
    pub note: Option<String>,
}

impl fmt::Display for Inconclusive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.attempts == 0 {
            // not sent: the target had already stopped answering (`HttpClient::send`)
            return write!(f, "{} ({})", self.cause, self.note.as_deref().unwrap_or("not tried"));
        }
        let plural = if self.attempts == 1 { "" } else { "s" };
        write!(
            f,
            "{} ({} attempt{plural} in {:.1}s",
            self.cause,
            self.attempts,
            self.elapsed.as_secs_f64()
        )?;
        if let Some(note) = &self.note {
            write!(f, "; {note}")?;
        }
        write!(f, ")")
    }
}

impl std::error::Error for Inconclusive {}

/// What the body of an answer must be for it to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// A JSON object (token endpoint, discovery).
    Json,
    /// Anything: a redirect or a page (authorization endpoint).
    Any,
}

/// One request to a target. It may carry secrets in its form, so it has no `Debug`.
#[derive(Clone)]
pub struct Request {
    method: reqwest::Method,
    url: url::Url,
    form: Option<Vec<(String, String)>>,
    /// A JSON body (the model's and `serve`'s admin endpoints); never secret-bearing.
    json: Option<Vec<u8>>,
    headers: Vec<(&'static str, String)>,
    /// Whether sending it twice is harmless; see [`Request::not_repeatable`].
    repeatable: bool,
}

impl Request {
    pub fn get(url: url::Url) -> Self {
        Self {
            method: reqwest::Method::GET,
            url,
            form: None,
            json: None,
            headers: Vec::new(),
            repeatable: true,
        }
    }

    /// A POST without a body.
    pub fn post(url: url::Url) -> Self {
        Self {
            method: reqwest::Method::POST,
            url,
            form: None,
            json: None,
            headers: Vec::new(),
            repeatable: true,
        }
    }

    /// A form POST (`application/x-www-form-urlencoded`).
    pub fn post_form(url: url::Url, form: Vec<(String, String)>) -> Self {
        Self {
            method: reqwest::Method::POST,
            url,
            form: Some(form),
            json: None,
            headers: Vec::new(),
            repeatable: true,
        }
    }

    /// A POST with a JSON body (`application/json`).
    pub fn post_json(url: url::Url, body: Vec<u8>) -> Self {
        Self {
            json: Some(body),
            ..Self::post(url)
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// A request the provider must not see twice (redeeming a code, using a refresh token that
    /// may rotate): after a fault that the provider may have acted on (a 5xx, a timeout, a
    /// broken-off answer) it is not retried, since the retry would meet "code already
    /// redeemed" and read as drift; it is retried only when the provider cannot have seen it.
    pub fn not_repeatable(mut self) -> Self {
        self.repeatable = false;
        self
    }
}

/// A complete answer: a verdict can be drawn from it.
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    /// The body as a JSON object, when it is one.
    pub json: Option<Map<String, Value>>,
    pub attempts: u32,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The one HTTP client under every transport: no redirects followed (they are what is
/// observed), no cookies (authorization requests are sent without a session). It holds the
/// retry and deadline policy its transport chose and turns every fault into a typed [`Cause`].
#[derive(Clone)]
pub struct HttpClient {
    http: reqwest::Client,
    policy: RetryPolicy,
    /// Whether a 5xx or 429 is an answer to record (the model and `serve`, which are what is
    /// tested) rather than a fault to retry (a live provider).
    server_errors_answer: bool,
    /// Learns every secret-named value a request sends (`state`, `client_secret`, …), so that
    /// nothing a provider echoes of them reaches a report.
    scrubber: Scrubber,
    /// Per origin, the request that gave up because the host itself stopped answering
    /// (connection refused, no connection, name not resolving, no answer within the deadline):
    /// every later request of the run to that origin is inconclusive at once with that cause
    /// instead of spending its own deadline on a provider that stopped.
    gone: Arc<Mutex<HashMap<String, Inconclusive>>>,
    /// Whether requests teach the scrubber their secrets (live targets; the model's are its own).
    learn_secrets: bool,
}

impl HttpClient {
    /// The client of the model and `serve`, the provider under test: a 5xx or 429 is its
    /// answer and is recorded, every request is bounded by 10 seconds, and its requests carry
    /// no real secret to learn.
    pub(super) fn model() -> Self {
        Self {
            server_errors_answer: true,
            learn_secrets: false,
            ..Self::new(RetryPolicy::model())
        }
    }

    /// The client of a live provider: `policy`'s retries with backoff within its deadline, and
    /// every secret a request sends learnt by the scrubber.
    pub(super) fn live(policy: RetryPolicy) -> Self {
        Self::new(policy)
    }

    fn new(policy: RetryPolicy) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("oauth-drift/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            http,
            policy,
            server_errors_answer: false,
            scrubber: Scrubber::default(),
            gone: Arc::default(),
            learn_secrets: true,
        }
    }

    /// Why `url`'s origin counts as gone, if an earlier request found it so.
    fn gone(&self, url: &url::Url) -> Option<Inconclusive> {
        let origin = url.origin().ascii_serialization();
        self.gone.lock().ok().and_then(|g| g.get(&origin).cloned())
    }

    /// The credentials this client has sent, and what the run added.
    pub(super) fn scrubber(&self) -> &Scrubber {
        &self.scrubber
    }

    /// Sends `request` until an answer counts or the deadline passes.
    pub(super) async fn send(&self, request: &Request, body: Body) -> Result<Response, Inconclusive> {
        if self.learn_secrets {
            let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
            let form = request.form.iter().flatten();
            self.scrubber
                .add_params(query.iter().chain(form).map(|(k, v)| (k.as_str(), v.as_str())));
        }
        if let Some(first) = self.gone(&request.url) {
            return Err(Inconclusive {
                note: Some(format!(
                    "not tried: the provider stopped answering earlier in this run ({} attempt{} in {:.1}s)",
                    first.attempts,
                    if first.attempts == 1 { "" } else { "s" },
                    first.elapsed.as_secs_f64()
                )),
                attempts: 0,
                elapsed: Duration::ZERO,
                cause: first.cause,
            });
        }
        let started = Instant::now();
        let deadline = started + self.policy.deadline;
        let mut attempts = 0;
        let mut previous: Option<Cause> = None;
        loop {
            attempts += 1;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let budget = remaining.min(self.policy.attempt_timeout);
            let outcome = match tokio::time::timeout(budget, self.attempt(request, body)).await {
                Ok(outcome) => outcome,
                // cut short by the deadline, not by its own timeout: the fault seen so far is the news
                Err(_) if budget < self.policy.attempt_timeout && previous.is_some() => {
                    Err(previous.clone().unwrap_or(Cause::Timeout))
                }
                Err(_) => Err(Cause::Timeout),
            };
            let cause = match outcome {
                Ok(mut response) => {
                    response.attempts = attempts;
                    return Ok(response);
                }
                Err(cause) => cause,
            };
            previous = Some(cause.clone());
            let give_up = |note: Option<String>| {
                let inconclusive = Inconclusive {
                    cause: cause.clone(),
                    attempts,
                    elapsed: started.elapsed(),
                    note,
                };
                if cause.host_gone()
                    && let Ok(mut gone) = self.gone.lock()
                {
                    gone.entry(request.url.origin().ascii_serialization())
                        .or_insert_with(|| inconclusive.clone());
                }
                inconclusive
            };
            if !cause.retriable() {
                return Err(give_up(None));
            }
            if !request.repeatable && !cause.request_unseen() {
                return Err(give_up(Some("not repeated: the provider may have acted on it".into())));
            }
            let wait = match &cause {
                Cause::RateLimited {
                    retry_after: Some(seconds),
                } => Duration::from_secs(*seconds),
                _ => self.backoff(attempts),
            };
            if Instant::now() + wait >= deadline {
                let note = match &cause {
                    Cause::RateLimited {
                        retry_after: Some(seconds),
                    } if Duration::from_secs(*seconds) >= remaining => {
                        Some(format!("Retry-After {seconds}s reaches past the deadline"))
                    }
                    _ => None,
                };
                return Err(give_up(note));
            }
            crate::live::tell_progress(|o| o.retrying(&cause, attempts, wait));
            tokio::time::sleep(wait).await;
        }
    }

    /// Exponential backoff with ±25 % jitter, so parallel canaries do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .policy
            .first_backoff
            .saturating_mul(1 << attempt.saturating_sub(1).min(16))
            .min(self.policy.max_backoff);
        let jitter = 0.75 + rand::random::<f64>() * 0.5;
        base.mul_f64(jitter)
    }

    async fn attempt(&self, request: &Request, body: Body) -> Result<Response, Cause> {
        let mut builder = self.http.request(request.method.clone(), request.url.clone());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some(form) = &request.form {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            builder = builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded);
        }
        if let Some(json) = &request.json {
            builder = builder.header("content-type", "application/json").body(json.clone());
        }
        let response = builder.send().await.map_err(|e| transport_cause(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if status == 429 && !self.server_errors_answer {
            return Err(Cause::RateLimited {
                retry_after: retry_after(&headers),
            });
        }
        if status >= 500 && !self.server_errors_answer {
            return Err(Cause::ServerError(status));
        }
        let bytes = read_capped(response, self.policy.max_body).await?;
        let json = match body {
            Body::Any => json_object(&bytes).ok(),
            Body::Json => Some(json_object(&bytes).map_err(|kind| kind.cause(status, &bytes, &headers))?),
        };
        Ok(Response {
            status,
            headers,
            body: bytes,
            json,
            attempts: 0,
        })
    }
}

enum NotAnObject {
    Eof,
    Other,
}

impl NotAnObject {
    fn cause(self, status: u16, bytes: &[u8], headers: &reqwest::header::HeaderMap) -> Cause {
        let html_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.contains("html"));
        let starts_with_tag = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        match self {
            _ if html_type || starts_with_tag => Cause::Html { status },
            NotAnObject::Eof => Cause::TruncatedJson { status },
            NotAnObject::Other => Cause::NotJson { status },
        }
    }
}

fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, NotAnObject> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(NotAnObject::Other),
        Err(e) if e.is_eof() => Err(NotAnObject::Eof),
        Err(_) => Err(NotAnObject::Other),
    }
}

/// Reads at most `limit` bytes; a longer body is refused as soon as it is known to be longer.
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, Cause> {
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Err(Cause::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_cause(&e))? {
        if body.len() + chunk.len() > limit {
            return Err(Cause::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `Retry-After` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    let value = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).map(|d| d.as_secs()).unwrap_or(0))
}

/// Classifies a transport failure without its URL (a URL may carry a code).
fn transport_cause(error: &reqwest::Error) -> Cause {
    if error.is_timeout() {
        return Cause::Timeout;
    }
    let mut innermost = String::new();
    let mut refused = false;
    let mut unresolved = false;
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        if let Some(io) = inner.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            refused = true;
        }
        innermost = inner.to_string();
        // hyper-util's connector names the resolver's failure "dns error"; getaddrinfo's text
        // follows it
        unresolved |= innermost.starts_with("dns error") || innermost.contains("failed to lookup address");
        source = inner.source();
    }
    if error.is_connect() {
        if refused {
            Cause::Refused
        } else if unresolved {
            Cause::Resolve(innermost)
        } else {
            Cause::Connect(innermost)
        }
    } else {
        Cause::Reset(if innermost.is_empty() {
            "the request failed".into()
        } else {
            innermost
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(7));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        headers.insert("retry-after", later.parse().unwrap());
        assert!(
            matches!(retry_after(&headers), Some(118..=120)),
            "{:?}",
            retry_after(&headers)
        );
        headers.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..Default::default()
        };
        let client = HttpClient::live(policy);
        let first = client.backoff(1);
        assert!(
            first >= Duration::from_millis(75) && first <= Duration::from_millis(125),
            "{first:?}"
        );
        let third = client.backoff(3);
        assert!(
            third >= Duration::from_millis(262) && third <= Duration::from_millis(438),
            "{third:?}"
        );
    }

    #[test]
    fn inconclusive_reads_as_cause_then_effort() {
        let inconclusive = Inconclusive {
            cause: Cause::ServerError(503),
            attempts: 3,
            elapsed: Duration::from_millis(2500),
            note: None,
        };
        assert_eq!(inconclusive.to_string(), "server error 503 (3 attempts in 2.5s)");
    }
}
