//! A running model: an HTTP server whose every request the provider responder answers.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use super::responder::Handler;
use super::responder::{
    AccessHook, CASE_HEADER, CaseRouter, ConsentMode, ModelResponse, ProviderResponder, Routes, SharedEngine,
};
use super::standalone::{ConnectionLimits, Standalone};
use crate::provider::Engine;
use crate::target::Served;

/// The user a request stands for when it names none.
pub const DEFAULT_USER: &str = "alice";

/// A provider engine answering HTTP on loopback.
pub struct ModelServer {
    server: Transport,
    engine: SharedEngine,
    /// What answers its requests (`answer` calls it without HTTP).
    handler: Arc<dyn Handler>,
}

enum Transport {
    /// Short-lived and pooled: `probe`'s predictions.
    Wiremock(MockServer),
    /// Long-running and memory-flat: `serve`.
    Standalone(Standalone),
    /// One case on the servers `run` shares between its cases.
    Shared(HostedModel),
}

/// How a long-running model server listens and whom it answers.
pub struct ListenOptions {
    pub consent: ConsentMode,
    /// The simulated user of a request that names none.
    pub default_user: String,
    /// Called once per answered request (serve's access log).
    pub hook: Option<AccessHook>,
    /// The token admin endpoints require; `None` answers them only on a loopback host.
    pub admin_token: Option<String>,
    pub limits: ConnectionLimits,
    /// Serve HTTPS with this configuration (`serve --tls`).
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

impl ListenOptions {
    /// Plain HTTP, no log, no admin token, the default limits.
    pub fn new(consent: ConsentMode, default_user: &str) -> Self {
        Self {
            consent,
            default_user: default_user.to_string(),
            hook: None,
            admin_token: None,
            limits: ConnectionLimits::default(),
            tls: None,
        }
    }
}

impl ModelServer {
    /// A pooled in-process wiremock server (fast to start; what `run` uses, one per case).
    pub async fn start(engine: Engine) -> Self {
        let engine = Arc::new(Mutex::new(engine));
        let server = MockServer::start().await;
        super::lock(&engine).set_served_url(&server.uri());
        let responder = responder(&engine, ConsentMode::Auto, DEFAULT_USER, None, None);
        Mock::given(any()).respond_with(responder.clone()).mount(&server).await;
        Self {
            server: Transport::Wiremock(server),
            engine,
            handler: Arc::new(responder),
        }
    }

    /// The engine hosted as `oauth-drift run` hosts each case: on the process's shared
    /// wiremock servers (one per core, each on a thread of its own), which route every request
    /// by its [`ModelServer::routing_header`].
    pub async fn start_shared(engine: Engine) -> Self {
        let hosted = SharedModel::process().host(engine).await;
        let engine = Arc::clone(&hosted.engine);
        let handler: Arc<dyn Handler> = Arc::new(CaseRouter {
            routes: Arc::clone(&hosted.hosting.routes),
        });
        Self {
            server: Transport::Shared(hosted),
            engine,
            handler,
        }
    }

    /// A long-running server on `listener` that keeps nothing per request (what `serve` uses).
    pub async fn listen(
        engine: Engine,
        listener: std::net::TcpListener,
        consent: ConsentMode,
        default_user: &str,
    ) -> std::io::Result<Self> {
        let options = ListenOptions::new(consent, default_user);
        Self::listen_with(engine, listener, options).await
    }

    /// Like `listen`, with serve's options: an access log, admin access, connection limits
    /// and TLS.
    pub async fn listen_with(
        engine: Engine,
        listener: std::net::TcpListener,
        options: ListenOptions,
    ) -> std::io::Result<Self> {
        let engine = Arc::new(Mutex::new(engine));
        let responder = responder(
            &engine,
            options.consent,
            &options.default_user,
            options.hook,
            options.admin_token,
        );
        let handler: Arc<dyn Handler> = Arc::new(responder.clone());
        let server = Standalone::start(listener, responder, options.limits, options.tls)?;
        super::lock(&engine).set_served_url(&format!("http://{}", server.address()));
        Ok(Self {
            server: Transport::Standalone(server),
            engine,
            handler,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn uri(&self) -> String {
        match &self.server {
            Transport::Wiremock(server) => server.uri(),
            Transport::Standalone(server) => format!("http://{}", server.address()),
            Transport::Shared(hosted) => hosted.uri().to_string(),
        }
    }

    /// The header every request to this server must carry: on a shared server
    /// ([`ModelServer::start_shared`]) the case it is routed to; a server of its own needs none.
    pub fn routing_header(&self) -> Option<(&'static str, String)> {
        match &self.server {
            Transport::Shared(hosted) => Some((CASE_HEADER, hosted.case().to_string())),
            _ => None,
        }
    }

    /// What the server answers to one request, computed without HTTP: `method` and `target`
    /// (path and query) as on the request line, `headers` as sent (the routing header
    /// included), `body` as sent. A request no HTTP server would have parsed (an unknown
    /// method, a malformed header or target) is answered 400, as the server would.
    pub fn answer(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> ModelResponse {
        match request(&self.uri(), method, target, headers, body) {
            Some(request) => self.handler.handle(&request),
            None => ModelResponse::new(400),
        }
    }

    pub fn engine(&self) -> &SharedEngine {
        &self.engine
    }
}

/// The request a server would hand its responder.
fn request(base: &str, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<wiremock::Request> {
    use wiremock::http::{HeaderMap, HeaderName, HeaderValue};
    if !target.starts_with('/') {
        return None;
    }
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).ok()?,
            HeaderValue::from_str(value).ok()?,
        );
    }
    Some(wiremock::Request {
        url: url::Url::parse(&format!("{base}{target}")).ok()?,
        method: method.parse().ok()?,
        headers: map,
        body: body.to_vec(),
    })
}

fn responder(
    engine: &SharedEngine,
    consent: ConsentMode,
    default_user: &str,
    hook: Option<AccessHook>,
    admin_token: Option<String>,
) -> ProviderResponder {
    let profile = super::lock(engine).shared_profile();
    ProviderResponder {
        engine: Arc::clone(engine),
        profile,
        consent,
        default_user: default_user.to_string(),
        access_hook: hook,
        admin_token,
    }
}

/// The in-process model of `run`: wiremock servers shared by every case of the process, each
/// request handed to its case's engine by the `CaseRouter` (the case is named by
/// `CASE_HEADER`, which the runner's transport adds). A case's engine is routed while its
/// `HostedModel` lives, so cases stay independent while sharing the servers, their threads
/// and the client's keep-alive connections.
///
/// wiremock keeps a copy of every request a mock matched, even with request recording
/// disabled; so that memory follows the cases in flight and not the corpus, a server admits
/// [`CASES_PER_SERVER`] cases, after which the next case starts a fresh one; the old one stops
/// when its last case ends, and with it the keep-alive connections of its own client (a
/// client shared by all servers would keep idle connections to stopped servers in its pool).
/// Each request is answered on its server's thread, so there are as many servers as cores.
pub struct SharedModel {
    shards: Vec<tokio::sync::Mutex<Option<Shard>>>,
    next_case: AtomicU64,
    cases_per_server: usize,
}

/// The cases one shared server admits before the next case starts a fresh one.
pub const CASES_PER_SERVER: usize = 256;

struct Shard {
    hosting: Arc<Hosting>,
    admitted: usize,
    /// The runtime whose cases use this shard's client. Its pooled keep-alive connections are
    /// driven by tasks of that runtime and die with it ("runtime dropped the dispatch task"),
    /// so a case on another runtime (a library user's next `#[tokio::test]`, or a test
    /// running beside it in the same process) gets a shard of its own.
    runtime: tokio::runtime::Id,
}

/// One wiremock server with its routing table and the client its cases send through.
struct Hosting {
    uri: String,
    routes: Arc<Routes>,
    client: Served,
    // stops when the last case hosted on it ends
    _server: MockServer,
}

impl Hosting {
    async fn start() -> Self {
        let server = MockServer::builder().disable_request_recording().start().await;
        let routes = Arc::new(Routes::default());
        let router = CaseRouter {
            routes: Arc::clone(&routes),
        };
        Mock::given(any()).respond_with(router).mount(&server).await;
        Self {
            uri: server.uri(),
            routes,
            client: Served::new(),
            _server: server,
        }
    }
}

/// One case's engine on a [`SharedModel`]: routed until this is dropped.
pub struct HostedModel {
    hosting: Arc<Hosting>,
    case: u64,
    engine: SharedEngine,
}

impl SharedModel {
    /// `servers` servers (at least one), each admitting `cases_per_server` cases (at least one).
    pub fn new(servers: usize, cases_per_server: usize) -> Self {
        Self {
            shards: (0..servers.max(1)).map(|_| tokio::sync::Mutex::new(None)).collect(),
            next_case: AtomicU64::new(1),
            cases_per_server: cases_per_server.max(1),
        }
    }

    /// The model every case of this process runs on: one server per core.
    pub fn process() -> &'static SharedModel {
        static MODEL: OnceLock<SharedModel> = OnceLock::new();
        MODEL.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
            SharedModel::new(cores, CASES_PER_SERVER)
        })
    }

    /// Starts every server now instead of with its first case: `run` has them started while
    /// it loads its scenarios, so that its first cases do not wait for a server thread.
    pub async fn start_servers(&self) {
        for shard in &self.shards {
            let mut shard = shard.lock().await;
            if shard.is_none() {
                *shard = Some(Shard {
                    hosting: Arc::new(Hosting::start().await),
                    admitted: 0,
                    runtime: tokio::runtime::Handle::current().id(),
                });
            }
        }
    }

    /// Routes `engine` as a new case; it answers until the returned guard is dropped.
    pub async fn host(&self, engine: Engine) -> HostedModel {
        let case = self.next_case.fetch_add(1, Ordering::Relaxed);
        let shard = &self.shards[(case % self.shards.len() as u64) as usize];
        let runtime = tokio::runtime::Handle::current().id();
        let hosting = {
            let mut shard = shard.lock().await;
            match &mut *shard {
                Some(open) if open.admitted < self.cases_per_server && open.runtime == runtime => {
                    open.admitted += 1;
                    Arc::clone(&open.hosting)
                }
                _ => {
                    let hosting = Arc::new(Hosting::start().await);
                    *shard = Some(Shard {
                        hosting: Arc::clone(&hosting),
                        admitted: 1,
                        runtime,
                    });
                    hosting
                }
            }
        };
        let engine = Arc::new(Mutex::new(engine));
        super::lock(&engine).set_served_url(&hosting.uri);
        let responder = responder(&engine, ConsentMode::Auto, DEFAULT_USER, None, None);
        hosting.routes.insert(case, responder);
        HostedModel { hosting, case, engine }
    }
}

impl HostedModel {
    /// `http://127.0.0.1:PORT`, shared with the other cases on the same server.
    pub fn uri(&self) -> &str {
        &self.hosting.uri
    }

    /// The client to send the case's requests through (`target::InProcess` adds the routing
    /// header): one per server, so its keep-alive connections end with the server.
    pub fn client(&self) -> &Served {
        &self.hosting.client
    }

    /// The case number its requests must carry in `CASE_HEADER`.
    pub fn case(&self) -> u64 {
        self.case
    }
}

impl Drop for HostedModel {
    fn drop(&mut self) {
        self.hosting.routes.remove(self.case);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CASE_HEADER;
    use crate::provider::{ClientConfig, ClientKind, PublishingStatus, Registry};
    use crate::target::{Body, InProcess, Request, Transport};

    const REDIRECT: &str = "https://app.example.com/cb";

    /// An engine of the Google profile knowing one web client, `client_id`.
    fn engine(client_id: &str) -> Engine {
        let profile = Arc::new(Registry::builtin().load("google").unwrap());
        let client = ClientConfig {
            client_id: client_id.into(),
            client_secret: "secret".into(),
            kind: ClientKind::Web,
            status: PublishingStatus::Production,
            redirect_uris: vec![REDIRECT.into()],
            project: None,
            created: None,
        };
        Engine::new(profile, [client])
    }

    /// The status and `Location` of an authorization request for `client_id` sent to `hosted`.
    async fn authorize(hosted: &HostedModel, client_id: &str) -> (u16, String) {
        let query =
            format!("client_id={client_id}&redirect_uri={REDIRECT}&response_type=code&scope=email&state=s-{client_id}");
        let url = url::Url::parse(&format!("{}/o/oauth2/v2/auth?{query}", hosted.uri())).unwrap();
        let response = InProcess::new(hosted)
            .exchange(&Request::get(url), Body::Any)
            .await
            .unwrap();
        let location = response.header("location").unwrap_or_default().to_string();
        (response.status, location)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_cases_on_one_server_at_once_each_reach_only_their_own_engine() {
        let model = SharedModel::new(1, 8);
        let (a, b) = tokio::join!(model.host(engine("client-a")), model.host(engine("client-b")));
        assert_eq!(a.uri(), b.uri(), "both cases share the one server");
        assert_ne!(a.case(), b.case());
        // concurrently: each case's engine knows its own client and not the other's
        let (own_a, own_b, cross_a, cross_b) = tokio::join!(
            authorize(&a, "client-a"),
            authorize(&b, "client-b"),
            authorize(&a, "client-b"),
            authorize(&b, "client-a"),
        );
        for (status, location) in [&own_a, &own_b] {
            assert_eq!(*status, 302, "{location}");
            assert!(
                location.starts_with(REDIRECT) && location.contains("code="),
                "{location}"
            );
        }
        for (status, location) in [&cross_a, &cross_b] {
            assert!(
                !location.contains("code="),
                "another case's client got a code: {location}"
            );
            assert!((400..500).contains(status), "{status}");
        }
        // a case's engine leaves the server when the case ends; the other goes on
        let ended = a.case();
        drop(a);
        let request = Request::get(url::Url::parse(&format!("{}/o/oauth2/v2/auth", b.uri())).unwrap())
            .header(CASE_HEADER, ended.to_string());
        let response = b.client().exchange(&request, Body::Any).await.unwrap();
        assert_eq!(response.status, 421);
        assert_eq!(authorize(&b, "client-b").await.0, 302);
    }

    #[tokio::test]
    async fn a_request_naming_no_case_or_an_unknown_one_is_answered_421_with_the_reason() {
        let model = SharedModel::new(1, 8);
        let hosted = model.host(engine("client-a")).await;
        let url = url::Url::parse(&format!("{}/token", hosted.uri())).unwrap();
        let cases = [
            (None, "the request names no case"),
            (Some("999999"), "case 999999 is not running on this model server"),
            (Some("first"), "x-oauth-drift-case must be a case number"),
        ];
        for (case, reason) in cases {
            let mut request = Request::post(url.clone());
            if let Some(case) = case {
                request = request.header(CASE_HEADER, case);
            }
            let response = hosted.client().exchange(&request, Body::Json).await.unwrap();
            assert_eq!(response.status, 421, "{case:?}");
            let json = response.json.unwrap();
            assert_eq!(json["error"], "misdirected_request");
            let description = json["error_description"].as_str().unwrap();
            assert!(description.contains(reason), "{case:?}: {description}");
        }
    }

    #[tokio::test]
    async fn a_server_admits_its_quota_of_cases_and_the_next_case_starts_a_fresh_one() {
        let model = SharedModel::new(1, 2);
        let first = model.host(engine("client-a")).await;
        let second = model.host(engine("client-a")).await;
        let third = model.host(engine("client-a")).await;
        assert_eq!(first.uri(), second.uri());
        assert_ne!(second.uri(), third.uri());
        // the first server still answers its cases after the rotation
        assert_eq!(authorize(&first, "client-a").await.0, 302);
        assert_eq!(authorize(&third, "client-a").await.0, 302);
    }

    /// A library user's tests each run on a runtime of their own, one after the other, over
    /// the same process-wide model: the second runtime must not reuse the connections the
    /// first one's tasks drove (they die with it).
    #[test]
    fn a_case_on_a_second_runtime_gets_a_server_and_connections_of_its_own() {
        let model = SharedModel::new(1, 8);
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let first_uri = runtime().block_on(async {
            let hosted = model.host(engine("client-a")).await;
            // a keep-alive connection now idles in the pool, driven by this runtime's tasks
            assert_eq!(authorize(&hosted, "client-a").await.0, 302);
            hosted.uri().to_string()
        });
        // the first runtime is gone
        runtime().block_on(async {
            let hosted = model.host(engine("client-a")).await;
            assert_ne!(hosted.uri(), first_uri, "a shard started on another runtime was reused");
            for _ in 0..3 {
                assert_eq!(authorize(&hosted, "client-a").await.0, 302);
            }
        });
    }
}
