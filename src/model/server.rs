//! A running model: an HTTP server whose every request the provider responder answers.

use std::sync::{Arc, Mutex};

use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use super::responder::{AccessHook, ConsentMode, ProviderResponder, SharedEngine};
use super::standalone::{ConnectionLimits, Standalone};
use crate::provider::Engine;

/// The user a request stands for when it names none.
pub const DEFAULT_USER: &str = "alice";

/// A provider engine answering HTTP on loopback.
pub struct ModelServer {
    server: Transport,
    engine: SharedEngine,
}

enum Transport {
    /// Short-lived and pooled: one per case of `run`.
    Wiremock(MockServer),
    /// Long-running and memory-flat: `serve`.
    Standalone(Standalone),
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
        let responder = responder(&engine, ConsentMode::Auto, DEFAULT_USER, None, None);
        let server = MockServer::start().await;
        super::lock(&engine).set_served_url(&server.uri());
        Mock::given(any()).respond_with(responder).mount(&server).await;
        Self {
            server: Transport::Wiremock(server),
            engine,
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
        let server = Standalone::start(listener, responder, options.limits, options.tls)?;
        super::lock(&engine).set_served_url(&format!("http://{}", server.address()));
        Ok(Self {
            server: Transport::Standalone(server),
            engine,
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn uri(&self) -> String {
        match &self.server {
            Transport::Wiremock(server) => server.uri(),
            Transport::Standalone(server) => format!("http://{}", server.address()),
        }
    }

    pub fn engine(&self) -> &SharedEngine {
        &self.engine
    }
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
