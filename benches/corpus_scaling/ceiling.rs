//! The ceiling of the corpus benchmark: its request mix against bare wiremock servers that answer
//! canned bodies (no model, no signing on the path), and the machine's RS256 signing rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth_drift::SigningKey;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const REDIRECT: &str = "https://app.example.com/oauth2/callback";
/// Cases a server answers before the next one starts, as the model's shared servers do
/// (wiremock keeps a clone of every matched request).
const CASES_PER_SERVER: usize = 256;
/// `run`'s cases in flight on two cores (`8 × cores`, at least 64).
const IN_FLIGHT: usize = 64;

/// This process's CPU time so far (user + system), all threads.
fn cpu() -> Duration {
    // SAFETY: zeroed rusage is a valid value for getrusage to fill in
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage on this process with a valid pointer
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// An id_token with the claims the model puts in one, signed once with the model's key.
fn id_token() -> String {
    crate::id_token::signed_once("1234567890-web-drift.apps.googleusercontent.com", "alice@example.com")
}

/// A bare server answering the five requests of a case with canned bodies; `x-step` says which
/// request it is, `x-openid` whether its token answers carry the id_token.
async fn bare_server(id_token: &str) -> MockServer {
    let server = MockServer::builder().disable_request_recording().start().await;
    let location = format!("{REDIRECT}?state=s-v0&code=4%2F0AX4XfWh-static-code-of-googles-length&scope=openid+email");
    Mock::given(method("GET"))
        .and(path("/o/oauth2/v2/auth"))
        .respond_with(ResponseTemplate::new(302).insert_header("location", location.as_str()))
        .mount(&server)
        .await;
    let access = "static-access-token-of-the-length-of-the-models-tokens-0123456789";
    let refresh = "static-refresh-token-of-the-length-of-the-models-tokens-0123456789";
    for openid in ["0", "1"] {
        let mut exchange = serde_json::json!({"access_token": access, "expires_in": 3599, "refresh_token": refresh, "scope": "openid email", "token_type": "Bearer"});
        let mut refreshed = serde_json::json!({"access_token": access, "expires_in": 3599, "scope": "openid email", "token_type": "Bearer"});
        if openid == "1" {
            exchange["id_token"] = id_token.into();
            refreshed["id_token"] = id_token.into();
        }
        for (step, body) in [("2", exchange), ("3", refreshed)] {
            Mock::given(method("POST"))
                .and(header("x-step", step))
                .and(header("x-openid", openid))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .mount(&server)
                .await;
        }
    }
    Mock::given(method("POST"))
        .and(header("x-step", "4"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("x-step", "5"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
        ))
        .mount(&server)
        .await;
    server
}

/// One case's five requests, each answer checked, so a broken server cannot look fast.
async fn case(http: &reqwest::Client, base: &str, number: usize) {
    let openid = if number % 2 == 0 { "1" } else { "0" };
    let scope = if openid == "1" {
        "openid email"
    } else {
        "https://www.googleapis.com/auth/drive.file"
    };
    let number = number.to_string();
    let send = |request: reqwest::RequestBuilder, step: &'static str| {
        request
            .header("x-oauth-drift-case", number.as_str())
            .header("x-step", step)
            .header("x-openid", openid)
            .send()
    };
    let mut url = url::Url::parse(&format!("{base}/o/oauth2/v2/auth")).expect("a base URL");
    url.query_pairs_mut().extend_pairs([
        ("access_type", "offline"),
        ("client_id", "1234567890-web-drift.apps.googleusercontent.com"),
        ("prompt", "consent"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", scope),
        ("state", "s-v0"),
    ]);
    let answer = send(http.get(url), "1").await.expect("authorize answers");
    let location = answer.headers()["location"].to_str().expect("a redirect").to_string();
    let code = crate::redirect::code_in(&location);
    let client = [
        ("client_id", "1234567890-web-drift.apps.googleusercontent.com"),
        ("client_secret", "drift-secret-0123456789ab"),
    ];
    let token = |step: &'static str, form: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = form;
        form.extend(client.iter().map(|(k, v)| (*k, v.to_string())));
        send(http.post(format!("{base}/token")).form(&form), step)
    };
    let json = |answer: reqwest::Response| async move {
        let status = answer.status().as_u16();
        let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.expect("a body")).expect("JSON");
        (status, body)
    };
    let exchange = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code),
        ("redirect_uri", REDIRECT.to_string()),
    ];
    let (status, body) = json(token("2", exchange).await.expect("exchange answers")).await;
    assert_eq!(status, 200);
    let refresh_token = body["refresh_token"].as_str().expect("a refresh token").to_string();
    assert_eq!(body.get("id_token").is_some(), openid == "1");
    let refresh = || {
        vec![
            ("grant_type", "refresh_token".to_string()),
            ("refresh_token", refresh_token.clone()),
        ]
    };
    let (status, body) = json(token("3", refresh()).await.expect("refresh answers")).await;
    assert_eq!(status, 200);
    assert!(body["access_token"].is_string());
    let revoke = [("token", refresh_token.as_str())];
    let answer = send(http.post(format!("{base}/revoke")).form(&revoke), "4")
        .await
        .expect("revoke answers");
    assert_eq!(answer.status().as_u16(), 200);
    let (status, body) = json(token("5", refresh()).await.expect("refresh answers")).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

/// A server with its own client, as the model's shared servers have.
struct Hosted {
    server: MockServer,
    http: reqwest::Client,
}

async fn host(id_token: &str) -> Arc<Hosted> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    Arc::new(Hosted {
        server: bare_server(id_token).await,
        http,
    })
}

/// Runs `cases` cases of the corpus's request mix on bare servers: wall time and CPU time.
async fn bare(cases: usize, id_token: &str) -> (Duration, Duration) {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let (started, cpu_before) = (Instant::now(), cpu());
    let mut servers: Vec<(Arc<Hosted>, usize)> = Vec::new();
    for _ in 0..cores {
        servers.push((host(id_token).await, 0));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for number in 0..cases {
        if tasks.len() >= IN_FLIGHT
            && let Some(joined) = tasks.join_next().await
        {
            joined.expect("a case");
        }
        let slot = number % cores;
        if servers[slot].1 == CASES_PER_SERVER {
            servers[slot] = (host(id_token).await, 0);
        }
        servers[slot].1 += 1;
        let hosted = Arc::clone(&servers[slot].0);
        tasks.spawn(async move { case(&hosted.http, &hosted.server.uri(), number).await });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("a case");
    }
    (started.elapsed(), cpu() - cpu_before)
}

/// This thread's CPU time so far.
fn thread_cpu() -> Duration {
    // SAFETY: zeroed timespec is a valid value for clock_gettime to fill in
    let mut now: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: a valid clock id and pointer
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// RS256 signatures per second of this thread's CPU time (so a loaded machine does not lower
/// it) with the model's key, for `seconds` of CPU; claims of the model's id_token shape, a
/// fresh `at_hash` each time as the model's are.
fn signing_rate(seconds: f64) -> f64 {
    let key = SigningKey::model().expect("the model key");
    let mut claims = serde_json::Map::new();
    claims.insert("iss".into(), serde_json::json!("https://accounts.google.com"));
    claims.insert("sub".into(), serde_json::json!("10769150350006150715113082367"));
    key.sign(&claims);
    let started = thread_cpu();
    let mut n = 0u64;
    while (thread_cpu() - started).as_secs_f64() < seconds {
        claims.insert("at_hash".into(), serde_json::json!(format!("{n:022}")));
        key.sign(&claims);
        n += 1;
    }
    n as f64 / (thread_cpu() - started).as_secs_f64()
}

/// Prints the bare-wiremock figures, the signing rate and the ceiling they give on this machine.
pub fn report(cases: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    println!(
        "ceiling, {cases} cases, {cores} cores; load average at start {}",
        super::cli::load_average()
    );
    let id_token = id_token();
    // warm-up: connections, the allocator, the random generator
    runtime.block_on(bare(CASES_PER_SERVER, &id_token));
    let (wall, cpu) = runtime.block_on(bare(cases, &id_token));
    let per_case = cpu.as_secs_f64() / cases as f64;
    println!(
        "bare wiremock, the corpus's 5 requests a case (half with an id_token, none signed): {:.0} cases/s wall, {:.3} ms CPU per case (user + system, client and servers)",
        cases as f64 / wall.as_secs_f64(),
        per_case * 1e3
    );
    let rate = signing_rate(2.0);
    println!(
        "RS256 signing (model key, one thread, per second of its CPU time): {rate:.0}/s, {:.3} ms CPU per signature; the corpus signs one per case on average",
        1e3 / rate
    );
    let busy = per_case + 1.0 / rate;
    println!(
        "ceiling on {cores} idle cores, no model: {:.0} cases/s from the requests alone, {:.0} cases/s with one signature a case ({:.3} ms CPU a case)",
        cores as f64 / per_case,
        cores as f64 / busy,
        busy * 1e3
    );
    println!("load average at end {}", super::cli::load_average());
}
