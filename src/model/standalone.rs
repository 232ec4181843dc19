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
use tokio::sync::watch;

use super::http::{Answer, ProviderResponder};

/// The largest request body read; OAuth forms are a few hundred bytes.
const MAX_BODY: usize = 1 << 20;

/// A running server; dropping it stops accepting and closes idle connections.
pub struct Standalone {
    address: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Standalone {
    /// Serves `responder` on `listener` until dropped.
    pub fn start(listener: std::net::TcpListener, responder: ProviderResponder) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (shutdown, stop) = watch::channel(false);
        tokio::spawn(accept_loop(listener, address, Arc::new(responder), stop));
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
    address: SocketAddr,
    responder: Arc<ProviderResponder>,
    mut stop: watch::Receiver<bool>,
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
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let responder = Arc::clone(&responder);
                async move { Ok::<_, Infallible>(answer(&responder, address, request).await) }
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
        });
    }
}

async fn answer(
    responder: &ProviderResponder,
    address: SocketAddr,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    // the same shape wiremock gives the responder, an absolute URL, built from the request
    // target alone: the Host header is the client's to choose and never routes (a Host of
    // `x/_oauth-drift/reset?` once turned `POST /token` into a reset)
    let target = match parts.uri.path_and_query() {
        Some(target) if target.as_str().starts_with('/') => target.as_str(),
        _ => return to_hyper(Answer::new(400)),
    };
    let Ok(url) = url::Url::parse(&format!("http://{address}{target}")) else {
        return to_hyper(Answer::new(400));
    };
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return to_hyper(Answer::new(413)),
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
