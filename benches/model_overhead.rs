//! Model overhead: complete authorize → exchange → refresh flows per second against the
//! in-process model, and against a bare wiremock server answering the same requests with
//! static responses, in the same run. Target: model ≥ 0.9 × bare (issue 15).
//!
//! Two workloads, each measured the same way:
//! - `plain`: a scope without `openid`, so no id_token: what the model itself costs.
//! - `openid`: `openid email`, so the exchange and the refresh each carry an RS256 id_token
//!   the model signs (two RSA-2048 signatures a flow); the bare server answers with a
//!   pre-signed static id_token of the same shape. The model's rate is also shown against
//!   the signing bound: one thread's RSA-2048 signing rate, measured in the same run, / 2.
//!
//! How it is kept stable on a shared machine: each server has one thread of its own (both
//! are wiremock servers), the client a fixed number of runtime threads and a fixed number of
//! flows in flight; the model is warmed up until its stores reach their caps (60,000 flows,
//! at most 30 s: its speed drifts while they fill), the bare server for 2 s; ten trial pairs
//! alternate which server goes first (bare-model, model-bare, …) so a load that drifts during
//! the run hits both alike; and the ratio is taken per trial pair, every pair's printed, then
//! their median, full spread and interquartile range. Each server's own CPU time per flow (its
//! thread's user and system time from `/proc/self/task`, 10 ms ticks) is reported too: unlike
//! flows per second, it does not depend on how busy the rest of the machine is.
//!
//! Run: `cargo bench --bench model_overhead`
//! (options: `-- --trials N --seconds S --warmup S --warmup-flows N --warmup-max S --concurrency C
//! --client-threads T --workload plain|openid|both`).
//!
//! `-- --in-process N` runs instead N flows straight into the model's responder (the same
//! `ProviderResponder` the server mounts, called with the requests a client would send, no
//! HTTP), checking each answer, after 60,000 flows of warm-up (`--in-process-warmup W`), and
//! prints the thread's CPU time per measured flow: a figure that, unlike flows per second,
//! other work on the machine hardly moves. It is also the program to `perf record`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oauth_drift::{CASE_HEADER, CASES_PER_SERVER, DEFAULT_USER, ModelResponse, ProviderResponder, SharedModel, lock};
use oauth_drift::{ClientConfig, ClientKind, ConsentMode, Engine, PublishingStatus, Registry, SigningKey, USER_HEADER};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

use support::{CLIENT_ID, CLIENT_SECRET, REDIRECT, flow};
#[path = "support/cli.rs"]
mod cli;

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
    base: String,
    threads: Vec<String>,
    /// The case number a shared model server routes by.
    case: Option<String>,
    /// Keeps the server alive.
    _keep: Box<dyn std::any::Any + Send>,
}

impl Server {
    fn cpu(&self) -> Duration {
        threads_cpu(&self.threads)
    }
}

/// The same static id_token on every answer of the bare server, signed once.
fn static_id_token() -> String {
    let mut claims = serde_json::Map::new();
    for (name, value) in [
        ("iss", serde_json::json!("https://accounts.google.com")),
        ("azp", serde_json::json!(CLIENT_ID)),
        ("aud", serde_json::json!(CLIENT_ID)),
        ("sub", serde_json::json!("10769150350006150715113082367")),
        ("email", serde_json::json!("user1@example.com")),
        ("email_verified", serde_json::json!(true)),
        ("at_hash", serde_json::json!("HK6E_P6Dh8Y93mRNtsDB1Q")),
        ("iat", serde_json::json!(1_700_000_000)),
        ("exp", serde_json::json!(1_700_003_600)),
    ] {
        claims.insert(name.into(), value);
    }
    SigningKey::model().expect("the model key").sign(&claims)
}

async fn bare_server(workload: Workload) -> Server {
    // bare wiremock runs on a thread of its own, as every wiremock server does
    let (server, threads) = started_threads(MockServer::builder().disable_request_recording().start()).await;
    let scope = workload.scope();
    let location = format!(
        "{REDIRECT}?state=s&code=4%2Fstatic-code&scope={}",
        scope.replace(' ', "+")
    );
    Mock::given(method("GET"))
        .and(path("/o/oauth2/v2/auth"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", location.as_str()))
        .mount(&server)
        .await;
    let id_token = (workload == Workload::Openid).then(static_id_token);
    let mut exchange = serde_json::json!({"access_token": "ya29.a0.static.access.token.of.googles.length", "expires_in": 3599, "refresh_token": "1//0.static.refresh.token.of.googles.length", "scope": scope, "token_type": "Bearer"});
    let mut refresh = serde_json::json!({"access_token": "ya29.a0.static.access.token.of.googles.length", "expires_in": 3599, "scope": scope, "token_type": "Bearer"});
    if let Some(id_token) = id_token {
        exchange["id_token"] = id_token.clone().into();
        refresh["id_token"] = id_token.into();
    }
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(exchange))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(refresh))
        .mount(&server)
        .await;
    Server {
        base: server.uri(),
        threads,
        case: None,
        _keep: Box::new(server),
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

/// The in-process model as `run` hosts it: a case on a shared wiremock server
/// (`SharedModel`, on a thread of its own), its requests routed by `CASE_HEADER`.
async fn model_server() -> Server {
    let shared = SharedModel::new(1, CASES_PER_SERVER);
    let (hosted, threads) = started_threads(shared.host(model_engine())).await;
    Server {
        base: hosted.uri().to_string(),
        threads,
        case: Some(hosted.case().to_string()),
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
        let case = server.case.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let user = format!("user{}", (worker * 7919 + n) % 1000);
                let mut headers = vec![(USER_HEADER, user.as_str())];
                headers.extend(case.as_deref().map(|case| (CASE_HEADER, case)));
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

/// Returns the servers, to be kept until the end, so each thread's CPU time stays its own.
async fn run_workload(workload: Workload, options: &Options) -> [Server; 2] {
    println!("workload {}:", workload.name());
    let bare = bare_server(workload).await;
    let model = model_server().await;
    // the model until its stores reach their caps (a long run's steady state, whose speed
    // no longer drifts as they fill), or `--warmup-max` seconds; the bare server `--warmup`
    let mut warm = (0.0, 0.0);
    while warm.0 < options.warmup_flows && warm.1 < options.warmup_max {
        let (rate, _) = measure(&model, workload, 1.0, options.concurrency).await;
        warm = (warm.0 + rate, warm.1 + 1.0);
    }
    measure(&bare, workload, options.warmup, options.concurrency).await;
    println!(
        "  warm-up: model {:.0} flows in {:.0} s, bare {} s",
        warm.0, warm.1, options.warmup
    );
    let (mut bare_rates, mut model_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut bare_cpu, mut model_cpu) = (Vec::new(), Vec::new());
    for trial in 0..options.trials {
        let order = if trial % 2 == 0 {
            [&bare, &model]
        } else {
            [&model, &bare]
        };
        let mut pair = [(0.0, Duration::ZERO); 2];
        for (slot, server) in order.iter().enumerate() {
            pair[slot] = measure(server, workload, options.seconds, options.concurrency).await;
        }
        let ((b, bc), (m, mc)) = if trial % 2 == 0 {
            (pair[0], pair[1])
        } else {
            (pair[1], pair[0])
        };
        bare_rates.push(b);
        model_rates.push(m);
        ratios.push(m / b);
        bare_cpu.push(bc.as_secs_f64() * 1e6);
        model_cpu.push(mc.as_secs_f64() * 1e6);
    }
    println!(
        "  ratio model/bare of each trial pair, in order: {}",
        ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(" ")
    );
    println!(
        "  bare wiremock : median {:.0} flows/s ({}), server CPU {:.0} us/flow ({})",
        median(&bare_rates),
        spread(&bare_rates, 0),
        median(&bare_cpu),
        spread(&bare_cpu, 0)
    );
    println!(
        "  model         : median {:.0} flows/s ({}), server CPU {:.0} us/flow ({})",
        median(&model_rates),
        spread(&model_rates, 0),
        median(&model_cpu),
        spread(&model_cpu, 0)
    );
    println!(
        "  ratio model/bare, flows/s: median of the {} trial pairs {:.2} (spread {}, interquartile {}); of the medians {:.2}",
        ratios.len(),
        median(&ratios),
        spread(&ratios, 2),
        interquartile(&ratios),
        median(&model_rates) / median(&bare_rates)
    );
    println!(
        "  ratio bare/model, server CPU per flow: {:.2}",
        median(&bare_cpu) / median(&model_cpu)
    );
    if workload == Workload::Openid {
        let rate = signing_rate(1.0);
        println!(
            "  RS256 signing on one thread (same run): {rate:.0}/s, so a one-thread server that signs twice a flow tops out at {:.0} flows/s; the model reached {:.2} of that",
            rate / 2.0,
            median(&model_rates) / (rate / 2.0)
        );
    }
    [bare, model]
}

/// A request as reqwest sends it to `http://127.0.0.1:1`.
fn request(method: &str, path_and_query: &str, headers: &[(&str, &str)], body: Vec<u8>) -> wiremock::Request {
    let mut map = wiremock::http::HeaderMap::new();
    map.insert("host", wiremock::http::HeaderValue::from_static("127.0.0.1:1"));
    map.insert("accept", wiremock::http::HeaderValue::from_static("*/*"));
    for (name, value) in headers {
        map.insert(
            wiremock::http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            wiremock::http::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    wiremock::Request {
        url: url::Url::parse(&format!("http://127.0.0.1:1{path_and_query}")).expect("a URL"),
        method: method.parse().expect("a method"),
        headers: map,
        body,
    }
}

/// The same answer as JSON, once wiremock's form of it has been built.
fn answered(responder: &ProviderResponder, request: &wiremock::Request) -> ModelResponse {
    let answer = responder.handle(request);
    assert!(
        answer.status < 400,
        "the model refused a bench request: {}",
        answer.status
    );
    drop(answer.clone().into_template());
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
/// into the responder the model server mounts (no HTTP, no threads), each answer checked as
/// the HTTP flow checks it; prints the thread's CPU time per measured flow.
fn in_process(flows: usize, warmup: usize, workload: Workload) {
    let engine = Arc::new(std::sync::Mutex::new(model_engine()));
    let profile = lock(&engine).shared_profile();
    lock(&engine).set_served_url("http://127.0.0.1:1");
    let responder = ProviderResponder {
        engine,
        profile,
        consent: ConsentMode::Auto,
        default_user: DEFAULT_USER.into(),
        access_hook: None,
        admin_token: None,
    };
    let form = |pairs: &[(&str, &str)]| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
            .into_bytes()
    };
    let form_headers = [("content-type", "application/x-www-form-urlencoded")];
    let mut started = (Instant::now(), thread_cpu());
    for n in 0..warmup + flows {
        if n == warmup {
            started = (Instant::now(), thread_cpu());
        }
        let user = format!("user{}", (n * 7919) % 1000);
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
        let authorize = request(
            "GET",
            &format!("/o/oauth2/v2/auth?{query}"),
            &[(USER_HEADER, &user)],
            Vec::new(),
        );
        let answer = answered(&responder, &authorize);
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
        let answer = answered(&responder, &request("POST", "/token", &form_headers, exchange));
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("a JSON body");
        let refresh_token = body["refresh_token"].as_str().expect("a refresh token");
        assert_eq!(body["id_token"].is_string(), workload == Workload::Openid);
        let refresh = form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]);
        let answer = answered(&responder, &request("POST", "/token", &form_headers, refresh));
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
    std::mem::forget(responder);
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
        "trials: {} pairs (alternating), {} s each after warm-up ({} flows or {} s for the model, {} s for bare wiremock), {} flows in flight, {} client threads; load average at start {}",
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
