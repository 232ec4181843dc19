//! A running model: an HTTP server whose every request the provider responder answers.

use std::sync::{Arc, Mutex};

use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use super::http::{AccessHook, ConsentMode, ProviderResponder, SharedEngine};
use super::standalone::Standalone;
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

impl ModelServer {
    /// A pooled in-process wiremock server (fast to start; what `run` uses, one per case).
    pub async fn start(engine: Engine) -> Self {
        let engine = Arc::new(Mutex::new(engine));
        let responder = responder(&engine, ConsentMode::Auto, DEFAULT_USER, None, None);
        let server = MockServer::start().await;
        super::lock(&engine).set_issuer(&server.uri());
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
        Self::listen_with_hook(engine, listener, consent, default_user, None, None).await
    }

    /// Like `listen`, calling `hook` once per answered request (serve's access log), and
    /// answering admin endpoints only to requests that carry `admin_token` when one is given.
    pub async fn listen_with_hook(
        engine: Engine,
        listener: std::net::TcpListener,
        consent: ConsentMode,
        default_user: &str,
        hook: Option<AccessHook>,
        admin_token: Option<String>,
    ) -> std::io::Result<Self> {
        let engine = Arc::new(Mutex::new(engine));
        let responder = responder(&engine, consent, default_user, hook, admin_token);
        let server = Standalone::start(listener, responder)?;
        super::lock(&engine).set_issuer(&format!("http://{}", server.address()));
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
