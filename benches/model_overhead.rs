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
//! are wiremock servers), the client a fixed
//! number of runtime threads and a fixed number of flows in flight; both servers are warmed
//! up (the model's stores fill with the 1,000 users' grants) before anything is measured;
//! trials alternate which server goes first (bare-model, model-bare, …) so a load that
//! drifts during the run hits both alike; and the ratio is taken per trial pair, then its
//! median and spread are reported. Each server's own CPU time per flow (its thread's user
//! and system time from `/proc/self/task`, 10 ms ticks) is reported too: unlike flows per second, it does not depend
//! on how busy the rest of the machine is.
//!
//! Run: `cargo bench --bench model_overhead`
//! (options: `-- --trials N --seconds S --warmup S --concurrency C --client-threads T --workload plain|openid|both`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oauth_drift::{ClientConfig, ClientKind, Engine, PublishingStatus, Registry, SigningKey};
use oauth_drift::{ModelServer, USER_HEADER};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

use support::{CLIENT_ID, CLIENT_SECRET, REDIRECT, flow};

struct Options {
    trials: usize,
    seconds: f64,
    warmup: f64,
    concurrency: usize,
    client_threads: usize,
    workloads: Vec<Workload>,
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
    let args: Vec<String> = std::env::args().collect();
    let text = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let value = |flag: &str, default: f64| text(flag).and_then(|v| v.parse().ok()).unwrap_or(default);
    let workloads = match text("--workload").as_deref() {
        Some("plain") => vec![Workload::Plain],
        Some("openid") => vec![Workload::Openid],
        _ => vec![Workload::Plain, Workload::Openid],
    };
    Options {
        trials: value("--trials", 8.0) as usize,
        seconds: value("--seconds", 2.0),
        warmup: value("--warmup", 2.0),
        concurrency: value("--concurrency", 16.0) as usize,
        client_threads: value("--client-threads", 2.0) as usize,
        workloads,
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
        _keep: Box::new(server),
    }
}

/// The in-process model (`ModelServer::start`, what `run` uses: a wiremock server, on a
/// thread of its own).
async fn model_server() -> Server {
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
    let (server, threads) = started_threads(ModelServer::start(Engine::new(profile, [client]))).await;
    Server {
        base: server.uri(),
        threads,
        _keep: Box::new(server),
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
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let user = format!("user{}", (worker * 7919 + n) % 1000);
                flow(
                    &http,
                    &base,
                    &[("scope", workload.scope()), ("prompt", "consent")],
                    &[(USER_HEADER, &user)],
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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
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

/// Returns the servers, to be kept until the end: a model dropped earlier would hand its
/// pooled wiremock thread to the next, and its CPU time would then count for neither.
async fn run_workload(workload: Workload, options: &Options) -> [Server; 2] {
    let bare = bare_server(workload).await;
    let model = model_server().await;
    for server in [&bare, &model] {
        measure(server, workload, options.warmup, options.concurrency).await;
    }
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
    println!("workload {}:", workload.name());
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
        "  ratio model/bare, flows/s: median of the {} trial pairs {:.2} (spread {}); of the medians {:.2}",
        ratios.len(),
        median(&ratios),
        spread(&ratios, 2),
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

fn main() {
    let options = options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.client_threads.max(1))
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "trials: {} (alternating), {} s each after {} s of warm-up per server, {} flows in flight, {} client threads; load average at start {}",
        options.trials,
        options.seconds,
        options.warmup,
        options.concurrency,
        options.client_threads,
        load_average()
    );
    runtime.block_on(async {
        let mut kept = Vec::new();
        for workload in &options.workloads {
            kept.push(run_workload(*workload, &options).await);
        }
    });
    println!("load average at end {}", load_average());
}
