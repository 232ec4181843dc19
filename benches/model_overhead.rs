//! Model overhead: complete authorize → exchange → refresh flows per second against the
//! in-process model, and against a bare wiremock server answering the same requests with
//! static responses, in the same run. Target: model ≥ 0.8 × bare.
//!
//! Run: `cargo bench --bench model_overhead` (options: `-- --trials N --seconds S --concurrency C`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oauth_drift::model::{ModelServer, USER_HEADER};
use oauth_drift::provider::{ClientConfig, ClientKind, Engine, PublishingStatus, Registry};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod support;

use support::{CLIENT_ID, CLIENT_SECRET, REDIRECT, flow};

struct Options {
    trials: usize,
    seconds: f64,
    concurrency: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str, default: f64| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    Options {
        trials: value("--trials", 7.0) as usize,
        seconds: value("--seconds", 2.0),
        concurrency: value("--concurrency", 16.0) as usize,
    }
}

async fn bare_server() -> MockServer {
    let server = MockServer::builder().disable_request_recording().start().await;
    let location = format!("{REDIRECT}?state=s&code=4%2Fstatic-code&scope=openid");
    Mock::given(method("GET"))
        .and(path("/o/oauth2/v2/auth"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", location.as_str()))
        .mount(&server)
        .await;
    let exchange = serde_json::json!({"access_token": "ya29.static", "expires_in": 3599, "refresh_token": "1//static", "scope": "openid", "token_type": "Bearer"});
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(exchange))
        .mount(&server)
        .await;
    let refresh = serde_json::json!({"access_token": "ya29.static2", "expires_in": 3599, "scope": "openid", "token_type": "Bearer"});
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(refresh))
        .mount(&server)
        .await;
    server
}

async fn model_server() -> ModelServer {
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
    ModelServer::start(Engine::new(profile, [client])).await
}

/// Flows per second over `seconds`, `concurrency` flows in flight.
async fn measure(base: &str, options: &Options) -> f64 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..options.concurrency {
        let (http, base, done, stop) = (http.clone(), base.to_string(), done.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let user = format!("user{}", (worker * 7919 + n) % 1000);
                flow(
                    &http,
                    &base,
                    &[("scope", "openid"), ("prompt", "consent")],
                    &[(USER_HEADER, &user)],
                )
                .await;
                done.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(options.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a flow task");
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let options = options();
    let bare = bare_server().await;
    let model = model_server().await;
    // warm both up
    let warm = Options {
        seconds: 0.5,
        ..options
    };
    measure(&bare.uri(), &warm).await;
    measure(&model.uri(), &warm).await;
    let (mut bare_rates, mut model_rates) = (Vec::new(), Vec::new());
    for _ in 0..options.trials {
        bare_rates.push(measure(&bare.uri(), &options).await);
        model_rates.push(measure(&model.uri(), &options).await);
    }
    let spread = |v: &[f64]| {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(0.0, f64::max);
        format!("{min:.0}..{max:.0}")
    };
    let (bare_min_max, model_min_max) = (spread(&bare_rates), spread(&model_rates));
    let (bare_median, model_median) = (median(&mut bare_rates), median(&mut model_rates));
    println!(
        "trials: {}, {} s each, {} flows in flight",
        options.trials, options.seconds, options.concurrency
    );
    println!("bare wiremock : median {bare_median:.0} flows/s (min..max {bare_min_max})");
    println!("model         : median {model_median:.0} flows/s (min..max {model_min_max})");
    println!("ratio model/bare: {:.2} (target >= 0.80)", model_median / bare_median);
}
