//! Binding and starting a `serve` server.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use tokio_rustls::rustls::ServerConfig;

use crate::model::{AccessHook, ConnectionLimits, ConsentMode, ListenOptions, ModelServer};
use crate::provider::{ClientConfig, Engine, Profile, SigningKey};

/// What a `serve` runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub profile: Arc<Profile>,
    /// 0 picks any free port.
    pub port: u16,
    /// Listen on every interface instead of 127.0.0.1 only.
    pub allow_remote: bool,
    pub consent: ConsentMode,
    /// The simulated user when a request names none (no header, no `login_hint`).
    pub default_user: String,
    pub clients: Vec<ClientConfig>,
    /// Most grants, codes, access tokens and refresh tokens kept, each (default: the engine's).
    pub store_cap: Option<usize>,
    /// The token admin endpoints require (`Authorization: Bearer TOKEN`); `None` lets only
    /// loopback requests in.
    pub admin_token: Option<String>,
    /// Header-read and idle timeouts and the connection cap.
    pub connections: ConnectionLimits,
    /// The key that signs id_tokens (default: one generated per process, never the model's
    /// published test key).
    pub signing_key: Option<Arc<SigningKey>>,
    /// Whether id_tokens and discovery name this server's base URL as the issuer instead of
    /// the profile's (`--issuer self`).
    pub issuer_self: bool,
    /// Serve HTTPS with this configuration (`--tls`).
    pub tls: Option<Arc<ServerConfig>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("failed to listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to make an id_token signing key")]
    SigningKey(#[source] crate::provider::KeyError),
}

/// A running fake provider; dropping it stops the server.
pub struct Serve {
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "held, not read: dropping it stops the model server")
    )]
    server: ModelServer,
    base_url: String,
    address: SocketAddr,
}

impl Serve {
    /// Binds the listener and starts answering. The engine follows wall time (the admin
    /// clock can advance or freeze it).
    pub async fn start(config: ServeConfig, hook: Option<AccessHook>) -> Result<Self, ServeError> {
        let ip = if config.allow_remote {
            Ipv4Addr::UNSPECIFIED
        } else {
            Ipv4Addr::LOCALHOST
        };
        let addr = SocketAddr::from((ip, config.port));
        let bind_error = |source| ServeError::Bind { addr, source };
        let listener = TcpListener::bind(addr).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        // a remote listener is still reached as 127.0.0.1 from here; the discovery document
        // follows each request's Host header, so remote clients see their own address
        let scheme = if config.tls.is_some() { "https" } else { "http" };
        let base_url = format!("{scheme}://127.0.0.1:{}", address.port());
        let mut engine = Engine::new(Arc::clone(&config.profile), config.clients).with_real_time();
        if let Some(cap) = config.store_cap {
            engine = engine.with_store_cap(cap);
        }
        // never the model's published test key: apps verify what serve signs
        let key = match config.signing_key {
            Some(key) => key,
            None => SigningKey::shared().map_err(ServeError::SigningKey)?,
        };
        engine = engine.with_signing_key(key);
        if config.issuer_self {
            engine = engine.with_issuer(base_url.clone());
        }
        let options = ListenOptions {
            consent: config.consent,
            default_user: config.default_user,
            hook,
            admin_token: config.admin_token,
            limits: config.connections,
            tls: config.tls,
        };
        let server = ModelServer::listen_with(engine, listener, options)
            .await
            .map_err(bind_error)?;
        Ok(Self {
            server,
            base_url,
            address,
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS), the base every endpoint path is under.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the listener is bound to.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    #[tokio::test]
    async fn serve_given_no_key_signs_with_its_own_never_the_published_model_key() {
        let config = ServeConfig {
            profile: Arc::new(Registry::builtin().load("google").unwrap()),
            port: 0,
            allow_remote: false,
            consent: ConsentMode::Auto,
            default_user: crate::model::DEFAULT_USER.into(),
            clients: Vec::new(),
            store_cap: None,
            admin_token: None,
            connections: ConnectionLimits::default(),
            signing_key: None,
            issuer_self: false,
            tls: None,
        };
        let serve = Serve::start(config, None).await.unwrap();
        let kid = crate::model::lock(serve.server.engine())
            .signing_key()
            .unwrap()
            .kid()
            .to_string();
        assert_ne!(kid, SigningKey::model().unwrap().kid());
        assert_eq!(kid, SigningKey::shared().unwrap().kid());
    }
}
