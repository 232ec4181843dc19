//! A running model: a wiremock server whose every request the provider responder answers.

use std::sync::{Arc, Mutex};

use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

use super::http::{AccessHook, ConsentMode, ProviderResponder, SharedEngine};
use crate::provider::Engine;

/// The user a request stands for when it names none.
pub const DEFAULT_USER: &str = "alice";

/// A provider engine answering HTTP on loopback.
pub struct ModelServer {
    server: MockServer,
    engine: SharedEngine,
}

impl ModelServer {
    /// A pooled in-process server (fast to start; what `run` uses, one per case).
    pub async fn start(engine: Engine) -> Self {
        Self::mount(MockServer::start().await, engine, ConsentMode::Auto, DEFAULT_USER, None).await
    }

    /// A long-running server on `listener` that keeps no request log (what `serve` uses).
    pub async fn listen(
        engine: Engine,
        listener: std::net::TcpListener,
        consent: ConsentMode,
        default_user: &str,
    ) -> Self {
        Self::listen_with_hook(engine, listener, consent, default_user, None).await
    }

    /// Like `listen`, calling `hook` once per answered request (serve's access log).
    pub async fn listen_with_hook(
        engine: Engine,
        listener: std::net::TcpListener,
        consent: ConsentMode,
        default_user: &str,
        hook: Option<AccessHook>,
    ) -> Self {
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        Self::mount(server, engine, consent, default_user, hook).await
    }

    async fn mount(
        server: MockServer,
        engine: Engine,
        consent: ConsentMode,
        default_user: &str,
        hook: Option<AccessHook>,
    ) -> Self {
        let profile = engine.shared_profile();
        let engine = Arc::new(Mutex::new(engine));
        let responder = ProviderResponder {
            engine: Arc::clone(&engine),
            profile,
            consent,
            default_user: default_user.to_string(),
            access_hook: hook,
        };
        Mock::given(any()).respond_with(responder).mount(&server).await;
        Self { server, engine }
    }

    /// `http://127.0.0.1:PORT`
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    pub fn engine(&self) -> &SharedEngine {
        &self.engine
    }
}
