//! Model overhead: complete authorize → exchange → refresh flows per second against the
//! in-process model, and against a bare wiremock server answering the same requests with
//! static responses, in the same run. Target: model ≥ 0.9 × bare wiremock (issue 15). A
//! third server, a bare hyper server with the same static answers and nothing else (no
//! timeouts, no request kept), shows what wiremock itself costs per flow (both the model and
//! bare wiremock pay it: wiremock keeps every request it matched, with its read buffer).
//!
//! Before the trials the program prints what each server answers to one flow (status, header
//! count and bytes, body bytes per request), so the comparison's fairness can be checked.
//!
//! Two workloads, each measured the same way:
//! - `plain`: a scope without `openid`, so no id_token: what the model itself costs.
//! - `openid`: `openid email`, so the exchange and the refresh each carry an RS256 id_token
//!   the model signs (two RSA-2048 signatures a flow); the bare server answers with a
//!   pre-signed static id_token of the same shape. The model's rate is also shown against
//!   the signing bound: one thread's RSA-2048 signing rate, measured in the same run, / 2.
//!
//! How it is kept stable on a shared machine: each server has one thread of its own, the
//! client a fixed number of runtime threads and a fixed number of flows in flight; the model
//! is warmed up until its stores reach their caps (60,000 flows, at most 30 s: its speed
//! drifts while they fill), the bare servers for 2 s each; each of the ten trials measures the
//! three servers in turn, in an order that reverses every trial (wiremock, model, hyper, then
//! hyper, model, wiremock, …), so a load that drifts during the run hits all alike; and the
//! ratios are taken per trial, every trial's printed, then their median, full spread and
//! interquartile range. Each server's own CPU time per flow (its thread's user and system time
//! from `/proc/self/task`, 10 ms ticks) is reported too: unlike flows per second, it does not
//! depend on how busy the rest of the machine is.
//!
//! Run: `cargo bench --bench model_overhead`
//! (options: `-- --trials N --seconds S --warmup S --warmup-flows N --warmup-max S --concurrency C
//! --client-threads T --workload plain|openid|both`).
//!
//! `-- --in-process N` runs instead N flows straight into the model (`ModelServer::answer` on
//! a model hosted as `run` hosts it: the shared server's routing and the responder, called
//! with the requests a client would send, no HTTP), checking each answer, after 60,000 flows
//! of warm-up (`--in-process-warmup W`), and prints the thread's CPU time per measured flow: a
//! figure that, unlike flows per second, other work on the machine hardly moves. It is also
//! the program to `perf record`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use oauth_drift::USER_HEADER;
use oauth_drift::{
    ClientConfig, ClientKind, Engine, ModelResponse, ModelServer, PublishingStatus, Registry, SigningKey,
};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

use support::{Answered, CLIENT_ID, CLIENT_SECRET, REDIRECT, flow};
#[path = "support/cli.rs"]
mod cli;
#[path = "support/id_token.rs"]
mod id_token;

struct Options {
    trials: usize,
    seconds: f64,
    warmup: f64,
    /// The model's warm-up: this many flows, or `warmup_max` seconds, whichever comes first.
    warmup_flows: f64,
    warmup_max: f64,
    concurrency: usize,
    client_threads: usize,
    workloads: Vec<Workload>,
    /// `--in-process N`: flows straight into the responder instead of the HTTP trials.
    in_process: Option<usize>,
    /// `--in-process-warmup W`: flows before the measured ones (default 60,000: every store
    /// at its cap, the steady state of a long run).
    in_process_warmup: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Workload {
    Plain,
    Openid,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Plain => "plain (no id_token)",
            Workload::Openid => "openid (two signed id_tokens a flow)",
        }
    }

    fn scope(self) -> &'static str {
        match self {
            Workload::Plain => "https://www.googleapis.com/auth/drive.file",
            Workload::Openid => "openid email",
        }
    }
}

fn options() -> Options {
    let text = cli::flag_value;
    let value = |flag: &str, default: f64| text(flag).and_then(|v| v.parse().ok()).unwrap_or(default);
    let workloads = match text("--workload").as_deref() {
        Some("plain") => vec![Workload::Plain],
        Some("openid") => vec![Workload::Openid],
        _ => vec![Workload::Plain, Workload::Openid],
    };
    Options {
        trials: value("--trials", 10.0).max(1.0) as usize,
        seconds: value("--seconds", 2.0),
        warmup: value("--warmup", 2.0),
        warmup_flows: value("--warmup-flows", 60_000.0),
        warmup_max: value("--warmup-max", 30.0),
        concurrency: value("--concurrency", 16.0) as usize,
        client_threads: value("--client-threads", 2.0) as usize,
        workloads,
        in_process: text("--in-process").and_then(|v| v.parse().ok()),
        in_process_warmup: value("--in-process-warmup", 60_000.0) as usize,
    }
}

/// The ids of this process's threads.
fn threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|dir| dir.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default()
}

/// CPU time (user + system) the threads `tids` have used, from `/proc` (10 ms ticks).
fn threads_cpu(tids: &[String]) -> Duration {
    let ticks: u64 = tids
        .iter()
        .filter_map(|tid| std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok())
        .filter_map(|stat| {
            // fields after the parenthesised name: state is field 3, utime 14, stime 15
            let rest = stat.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .sum();
    // SAFETY: sysconf has no preconditions
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// The threads started while `start` ran: the server's own (wiremock gives each server one).
async fn started_threads<T>(start: impl Future<Output = T>) -> (T, Vec<String>) {
    let before = threads();
    let started = start.await;
    let new = threads().into_iter().filter(|t| !before.contains(t)).collect();
    (started, new)
}

/// A server under test: where it answers and the threads it answers on.
struct Server {
    name: &'static str,
    base: String,
    threads: Vec<String>,
    /// The header a shared model server routes by.
    routing: Option<(&'static str, String)>,
    /// Keeps the server alive.
    _keep: Box<dyn std::any::Any + Send>,
}

impl Server {
    fn cpu(&self) -> Duration {
        threads_cpu(&self.threads)
    }
}

/// The same static id_token on every answer of the bare servers, signed once.
fn static_id_token() -> String {
    id_token::signed_once(CLIENT_ID, "user1@example.com")
}

/// What both bare servers answer, the same for every flow.
struct StaticAnswers {
    /// The authorization redirect's Location.
    location: String,
    exchange: serde_json::Value,
    refresh: serde_json::Value,
}

impl StaticAnswers {
    fn new(workload: Workload) -> Self {
        let scope = workload.scope();
        let location = format!(
            "{REDIRECT}?state=s&code=4%2Fstatic-code&scope={}",
            scope.replace(' ', "+")
        );
        let id_token = (workload == Workload::Openid).then(static_id_token);
        let mut exchange = serde_json::json!({"access_token": "ya29.a0.static.access.token.of.googles.length", "expires_in": 3599, "refresh_token": "1//0.static.refresh.token.of.googles.length", "scope": scope, "token_type": "Bearer"});
        let mut refresh = serde_json::json!({"access_token": "ya29.a0.static.access.token.of.googles.length", "expires_in": 3599, "scope": scope, "token_type": "Bearer"});
        if let Some(id_token) = id_token {
            exchange["id_token"] = id_token.clone().into();
            refresh["id_token"] = id_token.into();
        }
        Self {
            location,
            exchange,
            refresh,
        }
    }
}

async fn bare_wiremock(workload: Workload) -> Server {
    // bare wiremock runs on a thread of its own, as every wiremock server does
    let (server, threads) = started_threads(MockServer::builder().disable_request_recording().start()).await;
    let answers = StaticAnswers::new(workload);
    Mock::given(method("GET"))
        .and(path("/o/oauth2/v2/auth"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", answers.location.as_str()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answers.exchange))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answers.refresh))
        .mount(&server)
        .await;
    Server {
        name: "bare wiremock",
        base: server.uri(),
        threads,
        routing: None,
        _keep: Box::new(server),
    }
}

/// The static answers as hyper responses, built once.
struct HyperAnswers {
    location: String,
    exchange: Bytes,
    refresh: Bytes,
}

impl HyperAnswers {
    async fn answer(&self, request: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let contains = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
        let json = |bytes: &Bytes| {
            hyper::Response::builder()
                .header("content-type", "application/json")
                .body(Full::new(bytes.clone()))
        };
        let response = match (parts.method.as_str(), parts.uri.path()) {
            ("GET", "/o/oauth2/v2/auth") => hyper::Response::builder()
                .status(302)
                .header("location", self.location.as_str())
                .body(Full::default()),
            ("POST", "/token") if contains(b"grant_type=authorization_code") => json(&self.exchange),
            ("POST", "/token") if contains(b"grant_type=refresh_token") => json(&self.refresh),
            _ => hyper::Response::builder().status(404).body(Full::default()),
        };
        response.expect("a static response")
    }
}

/// A bare hyper server on a thread of its own (a single-threaded runtime, as wiremock and the
/// model's servers run), answering the static answers and nothing else: no timeouts, no
/// connection limit, no request kept.
async fn bare_hyper(workload: Workload) -> Server {
    let answers = StaticAnswers::new(workload);
    let answers = Arc::new(HyperAnswers {
        location: answers.location,
        exchange: serde_json::to_vec(&answers.exchange).expect("JSON").into(),
        refresh: serde_json::to_vec(&answers.refresh).expect("JSON").into(),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.set_nonblocking(true).expect("a non-blocking listener");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let start = async move {
        let (started, ready) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                started.send(()).expect("the bench waits");
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let answers = Arc::clone(&answers);
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            let answers = Arc::clone(&answers);
                            async move { Ok::<_, Infallible>(answers.answer(request).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        ready.await.expect("the server thread starts");
    };
    let ((), threads) = started_threads(start).await;
    Server {
        name: "bare hyper",
        base,
        threads,
        routing: None,
        // the thread runs until the process ends
        _keep: Box::new(()),
    }
}

/// The model's engine: the google profile, the bench's one client.
fn model_engine() -> Engine {
    let profile = Arc::new(Registry::builtin().load("google").expect("the google profile loads"));
    let client = ClientConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        kind: ClientKind::Web,
        status: PublishingStatus::Production,
        redirect_uris: vec![REDIRECT.into()],
        project: None,
        created: None,
    };
    Engine::new(profile, [client])
}

/// The in-process model as `run` hosts it (`ModelServer::start_shared`: a case on a shared
/// model server, on a thread of its own, its requests routed by the routing header).
async fn model_server() -> Server {
    let (hosted, threads) = started_threads(ModelServer::start_shared(model_engine())).await;
    Server {
        name: "model",
        base: hosted.uri(),
        threads,
        routing: hosted.routing_header(),
        _keep: Box::new(hosted),
    }
}

/// One trial: (flows per second, server CPU per flow) over `seconds`.
async fn measure(server: &Server, workload: Workload, seconds: f64, concurrency: usize) -> (f64, Duration) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let cpu_before = server.cpu();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (http, base, done, stop) = (http.clone(), server.base.clone(), done.clone(), stop.clone());
        let routing = server.routing.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let user = format!("user{}", (worker * 7919 + n) % 1000);
                let mut headers = vec![(USER_HEADER, user.as_str())];
                headers.extend(routing.as_ref().map(|(name, value)| (*name, value.as_str())));
                flow(
                    &http,
                    &base,
                    &[("scope", workload.scope()), ("prompt", "consent")],
                    &headers,
                )
                .await;
                done.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a flow task");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server.cpu().saturating_sub(cpu_before);
    let flows = done.load(Ordering::Relaxed).max(1);
    (flows as f64 / elapsed, cpu / flows as u32)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

fn spread(values: &[f64], digits: usize) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{min:.digits$}..{max:.digits$}")
}

/// The middle half of `values`: first..third quartile (nearest rank).
fn interquartile(values: &[f64]) -> String {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    format!("{:.2}..{:.2}", at(0.25), at(0.75))
}

/// RSA-2048 RS256 signatures per second on this thread, with the model's key, for `seconds`.
fn signing_rate(seconds: f64) -> f64 {
    let key = SigningKey::model().expect("the model key");
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), serde_json::json!("1"));
    key.sign(&claims);
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        claims.insert("iat".into(), serde_json::json!(n));
        key.sign(&claims);
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// What `server` answers to one flow, per request: how the comparison's fairness is checked.
async fn describe(server: &Server, workload: Workload) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let mut headers = vec![(USER_HEADER, "user0")];
    headers.extend(server.routing.as_ref().map(|(name, value)| (*name, value.as_str())));
    let answers = flow(
        &http,
        &server.base,
        &[("scope", workload.scope()), ("prompt", "consent")],
        &headers,
    )
    .await;
    let shown = |a: &Answered| {
        format!(
            "{} with {} headers ({} B) and {} B of body",
            a.status, a.headers, a.header_bytes, a.body_bytes
        )
    };
    println!(
        "  {:<13} answers: authorize {}; exchange {}; refresh {}",
        server.name,
        shown(&answers[0]),
        shown(&answers[1]),
        shown(&answers[2])
    );
}

/// One server's figures over the trials.
#[derive(Default)]
struct Column {
    rates: Vec<f64>,
    cpu: Vec<f64>,
}

impl Column {
    fn print(&self, name: &str) {
        println!(
            "  {name:<13} : median {:.0} flows/s ({}), server CPU {:.0} us/flow ({})",
            median(&self.rates),
            spread(&self.rates, 0),
            median(&self.cpu),
            spread(&self.cpu, 0)
        );
    }
}

/// The model's flows/s over a baseline's, trial by trial, then their median and spread.
fn print_ratio(baseline: &str, model: &Column, base: &Column, target: &str) {
    let ratios: Vec<f64> = model.rates.iter().zip(&base.rates).map(|(m, b)| m / b).collect();
    println!(
        "  ratio model/{baseline}, flows/s, of each trial in order: {}",
        ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(" ")
    );
    println!(
        "  ratio model/{baseline}, flows/s: median of the {} trials {:.2} (spread {}, interquartile {}); of the medians {:.2}{target}",
        ratios.len(),
        median(&ratios),
        spread(&ratios, 2),
        interquartile(&ratios),
        median(&model.rates) / median(&base.rates)
    );
    println!(
        "  ratio {baseline}/model, server CPU per flow: {:.2}",
        median(&base.cpu) / median(&model.cpu)
    );
}

/// Returns the servers, to be kept until the end, so each thread's CPU time stays its own.
async fn run_workload(workload: Workload, options: &Options) -> [Server; 3] {
    println!("workload {}:", workload.name());
    let servers = [
        bare_wiremock(workload).await,
        model_server().await,
        bare_hyper(workload).await,
    ];
    for server in &servers {
        describe(server, workload).await;
    }
    let [wiremock, model, hyper] = &servers;
    // the model until its stores reach their caps (a long run's steady state, whose speed
    // no longer drifts as they fill), or `--warmup-max` seconds; the bare servers `--warmup`
    let mut warm = (0.0, 0.0);
    while warm.0 < options.warmup_flows && warm.1 < options.warmup_max {
        let (rate, _) = measure(model, workload, 1.0, options.concurrency).await;
        warm = (warm.0 + rate, warm.1 + 1.0);
    }
    measure(wiremock, workload, options.warmup, options.concurrency).await;
    measure(hyper, workload, options.warmup, options.concurrency).await;
    println!(
        "  warm-up: model {:.0} flows in {:.0} s, bare servers {} s each",
        warm.0, warm.1, options.warmup
    );
    let mut columns: [Column; 3] = Default::default();
    for trial in 0..options.trials {
        // wiremock, model, hyper; then hyper, model, wiremock; …
        let order: [usize; 3] = if trial % 2 == 0 { [0, 1, 2] } else { [2, 1, 0] };
        for index in order {
            let (rate, cpu) = measure(&servers[index], workload, options.seconds, options.concurrency).await;
            columns[index].rates.push(rate);
            columns[index].cpu.push(cpu.as_secs_f64() * 1e6);
        }
    }
    for (server, column) in servers.iter().zip(&columns) {
        column.print(server.name);
    }
    let target = match workload {
        Workload::Plain => " (target >= 0.9, issue 15)",
        Workload::Openid => "",
    };
    print_ratio("bare wiremock", &columns[1], &columns[0], target);
    print_ratio("bare hyper", &columns[1], &columns[2], "");
    if workload == Workload::Openid {
        let rate = signing_rate(1.0);
        println!(
            "  RS256 signing on one thread (same run): {rate:.0}/s, so a one-thread server that signs twice a flow tops out at {:.0} flows/s; the model reached {:.2} of that",
            rate / 2.0,
            median(&columns[1].rates) / (rate / 2.0)
        );
    }
    servers
}

/// The model's answer, checked as the HTTP flow checks it.
fn answered(server: &ModelServer, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> ModelResponse {
    let answer = server.answer(method, target, headers, body);
    assert!(
        answer.status < 400,
        "the model refused a bench request: {}",
        answer.status
    );
    answer
}

/// CPU time this thread has used (ns resolution, unlike `/proc`'s 10 ms ticks).
fn thread_cpu() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for the call to fill
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// `--in-process N`: `warmup` flows, then N authorize → exchange → refresh flows, straight
/// into the model hosted as `run` hosts it (`ModelServer::answer`: routing and responder, no
/// HTTP, no thread switch), each answer checked as the HTTP flow checks it; prints the thread's
/// CPU time per measured flow.
fn in_process(flows: usize, warmup: usize, workload: Workload) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(ModelServer::start_shared(model_engine()));
    let (routing, case) = server.routing_header().expect("a shared server's routing header");
    let host = server.uri();
    let host = host.trim_start_matches("http://");
    let form = |pairs: &[(&str, &str)]| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
            .into_bytes()
    };
    let mut started = (Instant::now(), thread_cpu());
    for n in 0..warmup + flows {
        if n == warmup {
            started = (Instant::now(), thread_cpu());
        }
        let user = format!("user{}", (n * 7919) % 1000);
        // the headers reqwest sends, and the bench's own
        let headers = [
            ("host", host),
            ("accept", "*/*"),
            (USER_HEADER, user.as_str()),
            (routing, case.as_str()),
        ];
        let form_headers = [
            ("host", host),
            ("accept", "*/*"),
            (USER_HEADER, user.as_str()),
            (routing, case.as_str()),
            ("content-type", "application/x-www-form-urlencoded"),
        ];
        let query = form(&[
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("access_type", "offline"),
            ("state", "s"),
            ("scope", workload.scope()),
            ("prompt", "consent"),
        ]);
        let query = String::from_utf8(query).expect("a query");
        let target = format!("/o/oauth2/v2/auth?{query}");
        let answer = answered(&server, "GET", &target, &headers, b"");
        let location = answer
            .headers
            .iter()
            .find(|(name, _)| *name == "location")
            .map(|(_, value)| value.as_str())
            .expect("a redirect");
        let code = url::Url::parse(location)
            .expect("a redirect URL")
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, value)| value.into_owned())
            .expect("a code");
        let exchange = form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]);
        let answer = answered(&server, "POST", "/token", &form_headers, &exchange);
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("a JSON body");
        let refresh_token = body["refresh_token"].as_str().expect("a refresh token");
        assert_eq!(body["id_token"].is_string(), workload == Workload::Openid);
        let refresh = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]);
        let answer = answered(&server, "POST", "/token", &form_headers, &refresh);
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("a JSON body");
        assert!(body["access_token"].is_string());
    }
    let (elapsed, cpu) = (started.0.elapsed(), thread_cpu().saturating_sub(started.1));
    let per_flow = |d: Duration| d.as_secs_f64() * 1e6 / flows.max(1) as f64;
    println!(
        "in-process, workload {}: {flows} flows after {warmup} of warm-up: {:.1} us CPU/flow ({:.1} us wall; load average {})",
        workload.name(),
        per_flow(cpu),
        per_flow(elapsed),
        cli::load_average()
    );
    // the process ends here: freeing 50,000-entry stores one by one is not a flow's cost
    std::mem::forget(server);
    std::mem::forget(runtime);
}

fn main() {
    let options = options();
    if let Some(flows) = options.in_process {
        for workload in &options.workloads {
            in_process(flows, options.in_process_warmup, *workload);
        }
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.client_threads.max(1))
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "trials: {} (each server in turn, the order reversed every trial), {} s each after warm-up ({} flows or {} s for the model, {} s for each bare server), {} flows in flight, {} client threads; load average at start {}",
        options.trials,
        options.seconds,
        options.warmup_flows,
        options.warmup_max,
        options.warmup,
        options.concurrency,
        options.client_threads,
        cli::load_average()
    );
    runtime.block_on(async {
        let mut kept = Vec::new();
        for workload in &options.workloads {
            kept.push(run_workload(*workload, &options).await);
        }
    });
    println!("load average at end {}", cli::load_average());
}
