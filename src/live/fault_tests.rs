//! Fault injection: a hostile loopback server for each cause a live probe must call
//! inconclusive (never drift), within its deadline, with bounded memory, and never hanging.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::live::{
    self, Body, ClientShape, ConsentOptions, Credentials, Kind, LiveProvider, Opener, Overrides, ProbeOptions, Request,
    RetryPolicy, TargetSpec,
};
use crate::provider::{PublishingStatus, Registry};
use crate::report::Outcome;
use crate::runner::judge::SnapshotPolicy;
use crate::snapshot::{SnapshotMeta, SnapshotStore};
use crate::target::Transport;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy)]
enum Hostile {
    Refused,
    ResetMidBody,
    Stall,
    Status(u16),
    RateLimited(u64),
    Html,
    TruncatedJson,
    EndlessChunks,
    HugeDeclared,
    /// 503 for the first `n` requests, then a good answer.
    FlakyThenOk(usize),
}

const DOCUMENT: &str = r#"{"issuer":"https://accounts.google.com","authorization_endpoint":"https://accounts.google.com/o/oauth2/v2/auth"}"#;

/// Starts a hostile server; returns its base URL and the time of every request it saw.
async fn hostile(kind: Hostile) -> (String, Arc<Mutex<Vec<Instant>>>) {
    let hits = Arc::new(Mutex::new(Vec::new()));
    if let Hostile::Refused = kind {
        let (socket, port) = refused_port();
        // refused for the rest of the test process: the probe may retry after this returns
        std::mem::forget(socket);
        return (format!("http://127.0.0.1:{port}"), hits);
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let seen = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let count = {
                let mut seen = seen.lock().unwrap();
                seen.push(Instant::now());
                seen.len()
            };
            tokio::spawn(serve(stream, kind, count));
        }
    });
    (base, hits)
}

/// Reads a request up to the end of its head; `None` if the peer closes or fails first.
pub(super) async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    Some(head)
}

async fn serve(mut stream: TcpStream, kind: Hostile, count: usize) {
    if read_head(&mut stream).await.is_none() {
        return;
    }
    let simple = |status: &str, headers: &str, body: &str| {
        format!(
            "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let reply = match kind {
        Hostile::Refused => return,
        Hostile::Stall => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            return;
        }
        Hostile::ResetMidBody => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{\"issuer\":\"https://acc").await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            #[expect(
                deprecated,
                reason = "a zero linger resets the connection at once; it does not block on drop"
            )]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
            return;
        }
        Hostile::EndlessChunks | Hostile::HugeDeclared => {
            let header = match kind {
                Hostile::HugeDeclared => {
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000000000\r\n\r\n"
                }
                _ => "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            };
            if stream.write_all(header.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            // at most 256 MiB, in case a client read on and on: the test must end either way
            for _ in 0..4096 {
                let written = match kind {
                    Hostile::HugeDeclared => stream.write_all(&chunk).await,
                    _ => {
                        let framed = [
                            format!("{:x}\r\n", chunk.len()).into_bytes(),
                            chunk.clone(),
                            b"\r\n".to_vec(),
                        ]
                        .concat();
                        stream.write_all(&framed).await
                    }
                };
                if written.is_err() {
                    return;
                }
            }
            return;
        }
        Hostile::Status(status) => simple(&format!("{status} Oops"), "", ""),
        Hostile::RateLimited(seconds) => simple("429 Too Many Requests", &format!("retry-after: {seconds}\r\n"), ""),
        Hostile::Html => simple(
            "200 OK",
            "content-type: text/html\r\n",
            "<html><body><h1>Down for maintenance</h1></body></html>",
        ),
        Hostile::TruncatedJson => simple("200 OK", "content-type: application/json\r\n", &DOCUMENT[..60]),
        Hostile::FlakyThenOk(n) if count <= n => simple("503 Service Unavailable", "", ""),
        Hostile::FlakyThenOk(_) => simple("200 OK", "content-type: application/json\r\n", DOCUMENT),
    };
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        deadline: Duration::from_secs(3),
        attempt_timeout: Duration::from_secs(1),
        first_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(400),
        max_body: 256 * 1024,
    }
}

fn discovery_url(base: &str) -> url::Url {
    url::Url::parse(&format!("{base}/.well-known/openid-configuration")).unwrap()
}

/// The table: each cause, what the client must call it, and the words the report must use.
const TABLE: &[(Hostile, &str, &str)] = &[
    (Hostile::Refused, "refused", "connection refused"),
    (Hostile::ResetMidBody, "reset", "the connection broke off"),
    (Hostile::Stall, "timeout", "timed out"),
    (Hostile::Status(500), "5xx", "server error 500"),
    (Hostile::Status(503), "5xx", "server error 503"),
    (Hostile::RateLimited(1), "429", "rate limited (429, Retry-After 1s)"),
    (Hostile::Html, "html", "an HTML page where JSON was expected"),
    (Hostile::TruncatedJson, "truncated-json", "a JSON body that breaks off"),
    (Hostile::EndlessChunks, "too-large", "a body larger than 262144 bytes"),
    (Hostile::HugeDeclared, "too-large", "a body larger than 262144 bytes"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_fault_is_inconclusive_with_its_cause_within_the_deadline() {
    let mut tasks = tokio::task::JoinSet::new();
    for &(kind, expected, words) in TABLE {
        tasks.spawn(async move {
            let (base, hits) = hostile(kind).await;
            let client = LiveProvider::new(policy());
            let started = Instant::now();
            let result = tokio::time::timeout(
                Duration::from_secs(10),
                client.exchange(&Request::get(discovery_url(&base)), Body::Json),
            )
            .await
            .unwrap_or_else(|_| panic!("{kind:?}: the client hung"));
            let elapsed = started.elapsed();
            let Err(inconclusive) = result else {
                panic!("{kind:?}: a verdict from a faulty server")
            };
            assert_eq!(inconclusive.cause.kind(), expected, "{kind:?}: {inconclusive}");
            assert!(inconclusive.to_string().contains(words), "{kind:?}: {inconclusive}");
            assert!(
                elapsed < policy().deadline + Duration::from_millis(500),
                "{kind:?}: took {elapsed:?}"
            );
            match kind {
                Hostile::EndlessChunks | Hostile::HugeDeclared => assert_eq!(
                    inconclusive.attempts, 1,
                    "{kind:?}: a body over the limit is not retried"
                ),
                _ => assert!(inconclusive.attempts > 1, "{kind:?}: not retried ({inconclusive})"),
            }
            if let Hostile::RateLimited(seconds) = kind {
                let hits = hits.lock().unwrap().clone();
                assert!(hits.len() >= 2, "{kind:?}: {} requests", hits.len());
                for pair in hits.windows(2) {
                    assert!(
                        pair[1] - pair[0] >= Duration::from_secs(seconds) - Duration::from_millis(50),
                        "Retry-After not honoured: {:?}",
                        pair[1] - pair[0]
                    );
                }
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_probe_meeting_any_fault_is_inconclusive_never_drift() {
    let mut tasks = tokio::task::JoinSet::new();
    for &(kind, _, words) in TABLE {
        tasks.spawn(async move {
            let (base, _) = hostile(kind).await;
            let dir = tempfile::tempdir().unwrap();
            // an accepted snapshot exists, so a fault mistaken for an answer would be drift
            let store = SnapshotStore::new(dir.path().join("hostile"));
            let meta = SnapshotMeta {
                description: "discovery: hostile".into(),
                input_file: String::new(),
            };
            store
                .accept("discovery", &meta, "provider: google\nstatus: 200\n")
                .unwrap();
            let options = ProbeOptions {
                kinds: vec![Kind::Discovery],
                provider: "google".into(),
                target: TargetSpec {
                    issuer: None,
                    overrides: Overrides {
                        discovery: Some(discovery_url(&base)),
                        ..Default::default()
                    },
                    name: Some("hostile".into()),
                },
                policy: policy(),
                snapshots: Some(SnapshotPolicy {
                    store: SnapshotStore::new(dir.path()),
                    accept: false,
                    write: true,
                }),
                client: ClientShape {
                    kind: None,
                    status: PublishingStatus::Production,
                    redirect_uri: None,
                },
                consent: ConsentOptions {
                    session: crate::live::Session::SignedIn,
                    opener: Opener::System,
                    timeout: Duration::from_secs(1),
                    revoke: false,
                    callback_port: 0,
                },
                notify: Arc::new(|_: &str| {}),
            };
            let report = tokio::time::timeout(
                Duration::from_secs(10),
                live::run(&options, &Credentials::default(), &[], &Registry::builtin()),
            )
            .await
            .unwrap_or_else(|_| panic!("{kind:?}: the probe hung"))
            .unwrap();
            let case = &report.cases[0];
            assert_eq!(case.outcome, Outcome::Inconclusive, "{kind:?}: {}", case.message);
            assert!(
                case.live.as_ref().unwrap().cause.as_deref().unwrap().contains(words),
                "{kind:?}: {}",
                case.message
            );
            assert_eq!(report.exit_code(), 3, "{kind:?}");
            assert!(
                !dir.path().join("hostile/discovery.snap.new").exists(),
                "{kind:?}: a fault was written as a pending snapshot"
            );
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.unwrap();
    }
}

#[tokio::test]
async fn a_transient_fault_is_retried_to_a_verdict() {
    let (base, hits) = hostile(Hostile::FlakyThenOk(2)).await;
    let response = LiveProvider::new(policy())
        .exchange(&Request::get(discovery_url(&base)), Body::Json)
        .await
        .unwrap();
    assert_eq!((response.status, response.attempts), (200, 3));
    assert_eq!(response.json.unwrap()["issuer"], "https://accounts.google.com");
    assert_eq!(hits.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn a_retry_after_past_the_deadline_gives_up_at_once() {
    let (base, hits) = hostile(Hostile::RateLimited(120)).await;
    let started = Instant::now();
    let Err(inconclusive) = LiveProvider::new(policy())
        .exchange(&Request::get(discovery_url(&base)), Body::Json)
        .await
    else {
        panic!("a verdict from a rate-limited server");
    };
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!((inconclusive.attempts, hits.lock().unwrap().len()), (1, 1));
    assert!(
        inconclusive
            .to_string()
            .contains("Retry-After 120s reaches past the deadline"),
        "{inconclusive}"
    );
}

/// A provider whose authorization endpoint redirects with a code and whose token endpoint
/// always answers `status`; runs `authorize` then `exchange` through `transport`.
async fn exchange_against_a_failing_token_endpoint(
    transport: &dyn crate::target::Transport,
    status: u16,
) -> (crate::runner::CaseRun, usize) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let registry = Registry::builtin();
    let profile = registry.load("google").unwrap();
    let text = "name: failing token endpoint\nsteps:\n  - authorize: {scope: email}\n  - exchange:\n";
    let scenario = crate::scenario::parse(std::path::Path::new("t.yaml"), text, &registry).unwrap();
    let case = crate::scenario::expand(&Arc::new(scenario), "t").remove(0);
    let clients = crate::runner::scenario_clients(&case.scenario, &profile.client_shape);
    let redirect = &clients[0].1.redirect_uris[0];
    Mock::given(method("GET"))
        .and(path(profile.endpoints.authorize.as_str()))
        .respond_with(ResponseTemplate::new(302).insert_header("location", format!("{redirect}?code=4%2F0Aplanted")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(profile.endpoints.token.as_str()))
        .respond_with(ResponseTemplate::new(status))
        .mount(&server)
        .await;
    let endpoint = crate::runner::Endpoint {
        http: transport,
        base: server.uri(),
        profile: &profile,
        clients: &clients,
        admin: false,
        id_tokens_by_position: true,
    };
    let run = crate::runner::run_case(&case, &endpoint).await;
    let token_requests = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count();
    (run, token_requests)
}

#[tokio::test]
async fn a_code_exchange_meeting_a_5xx_on_a_live_target_is_inconclusive_at_once_never_sent_twice() {
    let live = LiveProvider::new(policy());
    let (run, token_requests) = exchange_against_a_failing_token_endpoint(&live, 503).await;
    let inconclusive = run.inconclusive.expect("a typed transport fault");
    assert_eq!(inconclusive.cause, live::Cause::ServerError(503));
    // the provider may have redeemed the code: a second try would read "already redeemed"
    assert_eq!((inconclusive.attempts, token_requests), (1, 1), "{inconclusive}");
    assert!(
        run.transcript
            .steps()
            .iter()
            .all(|s| s.response.as_ref().is_none_or(|r| r.status != 503)),
        "a fault is not an answer: {}",
        run.transcript.render()
    );
}

#[tokio::test]
async fn a_code_exchange_refused_with_429_on_a_live_target_is_retried_within_the_deadline() {
    let live = LiveProvider::new(policy());
    let (run, token_requests) = exchange_against_a_failing_token_endpoint(&live, 429).await;
    let inconclusive = run.inconclusive.expect("a typed transport fault");
    assert_eq!(inconclusive.cause.kind(), "429");
    assert!(inconclusive.attempts > 1 && token_requests > 1, "{inconclusive}");
}

#[tokio::test]
async fn a_5xx_from_the_model_target_is_recorded_as_its_answer_once() {
    let model = crate::target::Served::new();
    let (run, token_requests) = exchange_against_a_failing_token_endpoint(&model, 503).await;
    assert!(run.inconclusive.is_none() && run.fault.is_none(), "{:?}", run.fault);
    assert_eq!(token_requests, 1);
    let exchange = run.transcript.steps().last().and_then(|s| s.response.as_ref()).unwrap();
    assert_eq!(exchange.status, 503);
}

/// A loopback port nothing listens on, for as long as the returned socket lives: bound, never
/// listening, so a connection to it is refused at once.
fn refused_port() -> (socket2::Socket, u16) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    (socket, port)
}
