//! A long-running HTTP/1.1 server for one provider responder (what `serve` runs).
//!
//! The in-process model rides on wiremock, but a wiremock mock keeps a copy of every request
//! it matched for as long as it is mounted, whatever `disable_request_recording` says, so a
//! server that answers millions of requests would grow without bound. This server hands each
//! request to the same `ProviderResponder` and keeps nothing.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use super::responder::{ModelResponse, ProviderResponder};

/// The largest request body read; OAuth forms are a few hundred bytes.
const MAX_BODY: usize = 1 << 20;
/// How long a TLS client may take over its handshake before the connection is dropped.
const TLS_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(10);

/// How long and how many connections the server keeps: a slow or silent client is dropped,
/// and however many connect, only `max_connections` are served at once (the rest wait in the
/// listen backlog).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Time a client has to send a whole request head; also how long a kept-alive
    /// connection may wait for its next request.
    pub header_read_timeout: Duration,
    /// Time a connection may move no byte in either direction while a request is read or
    /// an answer written (a slow body, a client that does not read).
    pub idle_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

/// A running server; dropping it stops accepting and closes idle connections.
pub struct Standalone {
    address: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Standalone {
    /// Serves `responder` on `listener` until dropped, over TLS when given a configuration.
    pub fn start(
        listener: std::net::TcpListener,
        responder: ProviderResponder,
        limits: ConnectionLimits,
        tls: Option<Arc<ServerConfig>>,
    ) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (shutdown, stop) = watch::channel(false);
        let tls = tls.map(TlsAcceptor::from);
        let shared = Shared {
            responder: Arc::new(responder),
            address,
            limits,
        };
        tokio::spawn(accept_loop(listener, Arc::new(shared), stop, tls));
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

/// What every connection of one server shares.
struct Shared {
    responder: Arc<ProviderResponder>,
    address: SocketAddr,
    limits: ConnectionLimits,
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    tls: Option<TlsAcceptor>,
) {
    let slots = Arc::new(Semaphore::new(shared.limits.max_connections.max(1)));
    loop {
        // a free slot first: past the cap, new connections wait unaccepted
        let permit = tokio::select! {
            biased;
            _ = stop.changed() => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
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
        let shared = Arc::clone(&shared);
        let stop = stop.clone();
        // idle time counts from the first byte, TLS handshake included
        let stream = IdleTimeout::new(stream, shared.limits.idle_timeout);
        match &tls {
            None => {
                tokio::spawn(serve_connection(stream, shared, stop, permit, "http"));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // a client that never finishes its handshake must not hold a task forever
                    if let Ok(Ok(stream)) = tokio::time::timeout(TLS_HANDSHAKE, acceptor.accept(stream)).await {
                        serve_connection(stream, shared, stop, permit, "https").await;
                    }
                });
            }
        }
    }
}

/// Serves one connection until it ends or the server stops; `_permit` holds its slot.
async fn serve_connection<S>(
    stream: S,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
    scheme: &'static str,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let header_read_timeout = shared.limits.header_read_timeout;
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(answer(&shared.responder, shared.address, request, scheme).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
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
    address: SocketAddr,
    request: hyper::Request<Incoming>,
    scheme: &str,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    // the same shape wiremock gives the responder, an absolute URL, built from the request
    // target alone: the Host header is the client's to choose and never routes (a Host of
    // `x/_oauth-drift/reset?` once turned `POST /token` into a reset)
    let target = match parts.uri.path_and_query() {
        Some(target) if target.as_str().starts_with('/') => target.as_str(),
        _ => return to_hyper(ModelResponse::new(400)),
    };
    let Ok(url) = url::Url::parse(&format!("{scheme}://{address}{target}")) else {
        return to_hyper(ModelResponse::new(400));
    };
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return to_hyper(ModelResponse::new(413)),
    };
    let request = wiremock::Request {
        url,
        method: parts.method,
        headers: parts.headers,
        body,
    };
    to_hyper(responder.handle(&request))
}

fn to_hyper(answer: ModelResponse) -> hyper::Response<Full<Bytes>> {
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

/// A stream that fails with `TimedOut` once no byte has moved for `timeout` while it was
/// waited on; hyper then closes the connection.
struct IdleTimeout<S> {
    inner: S,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn moved(&mut self) {
        let next = Instant::now() + self.timeout;
        self.deadline.as_mut().reset(next);
    }

    /// On a pending read or write: whether the connection has now been idle too long.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "connection idle too long")
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(result)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(result) => {
                if result.as_ref().is_ok_and(|n| *n > 0) {
                    this.moved();
                }
                Poll::Ready(result)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
