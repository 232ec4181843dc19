//! A long-running HTTP/1.1 server for one provider responder (what `serve` runs).
//!
//! The in-process model rides on wiremock, but a wiremock mock keeps a copy of every request
//! it matched for as long as it is mounted, whatever `disable_request_recording` says, so a
//! server that answers millions of requests would grow without bound. This server hands each
//! request to the same `ProviderResponder` and keeps nothing.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use super::http::{Answer, ProviderResponder};

/// The largest request body read; OAuth forms are a few hundred bytes.
const MAX_BODY: usize = 1 << 20;
/// How long a TLS client may take over its handshake before the connection is dropped.
const TLS_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(10);

/// A running server; dropping it stops accepting and closes idle connections.
pub struct Standalone {
    address: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Standalone {
    /// Serves `responder` on `listener` until dropped, over TLS when given a configuration.
    pub fn start_tls(
        listener: std::net::TcpListener,
        responder: ProviderResponder,
        tls: Option<Arc<ServerConfig>>,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (shutdown, stop) = watch::channel(false);
        let tls = tls.map(TlsAcceptor::from);
        tokio::spawn(accept_loop(listener, Arc::new(responder), stop, tls));
        Ok(Self { address, shutdown })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    responder: Arc<ProviderResponder>,
    mut stop: watch::Receiver<bool>,
    tls: Option<TlsAcceptor>,
) {
    loop {
        let stream = tokio::select! {
            biased;
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // out of file descriptors and the like: the next accept may work
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let responder = Arc::clone(&responder);
        let stop = stop.clone();
        match &tls {
            None => {
                tokio::spawn(serve_connection(stream, responder, stop, "http"));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // a client that never finishes its handshake must not hold a task forever
                    if let Ok(Ok(stream)) = tokio::time::timeout(TLS_HANDSHAKE, acceptor.accept(stream)).await {
                        serve_connection(stream, responder, stop, "https").await;
                    }
                });
            }
        }
    }
}

async fn serve_connection<S>(
    stream: S,
    responder: Arc<ProviderResponder>,
    mut stop: watch::Receiver<bool>,
    scheme: &'static str,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let responder = Arc::clone(&responder);
        async move { Ok::<_, Infallible>(answer(&responder, request, scheme).await) }
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

async fn answer(
    responder: &ProviderResponder,
    request: hyper::Request<Incoming>,
    scheme: &str,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return to_hyper(Answer::new(413)),
    };
    // the same shape wiremock gives the responder: an absolute URL
    let host = parts
        .headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let Ok(url) = url::Url::parse(&format!("{scheme}://{host}{}", parts.uri)) else {
        return to_hyper(Answer::new(400));
    };
    let request = wiremock::Request {
        url,
        method: parts.method,
        headers: parts.headers,
        body,
    };
    to_hyper(responder.handle(&request))
}

fn to_hyper(answer: Answer) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(answer.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
