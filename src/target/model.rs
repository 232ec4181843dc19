//! The model as a target, in its two forms: served on a loopback server of its own ([`Served`]:
//! a `serve` process, or a [`ModelServer`](crate::model::ModelServer)), and the in-process model
//! a run's cases share ([`InProcess`]: the process's wiremock servers,
//! [`SharedModel`](crate::model::SharedModel), each request carrying the case's routing header).

use super::transport::HttpClient;
use super::{Body, Exchange, Request, Transport};
use crate::model::{CASE_HEADER, HostedModel};

/// The transport to a model served over HTTP on its own (a `serve` process, a `ModelServer`):
/// the provider under test, so a 5xx or 429 is its answer, recorded and never retried (not a
/// fault to wait out); no redirects are followed, and the whole request, a retry after a
/// transport fault included, is bounded by 10 seconds.
#[derive(Clone)]
pub struct Served {
    client: HttpClient,
}

impl Served {
    pub fn new() -> Self {
        Self {
            client: HttpClient::model(),
        }
    }
}

impl Default for Served {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport for Served {
    fn exchange<'a>(&'a self, request: &'a Request, body: Body) -> Exchange<'a> {
        Box::pin(self.client.send(request, body))
    }
}

/// The transport to one case's engine on the shared in-process model: its server's [`Served`]
/// transport ([`HostedModel::client`]; one per server, so the keep-alive connections end with
/// the server), with [`CASE_HEADER`] naming the case on every request.
pub struct InProcess<'a> {
    server: &'a Served,
    case: String,
}

impl<'a> InProcess<'a> {
    /// The transport to `hosted`'s engine.
    pub fn new(hosted: &'a HostedModel) -> Self {
        Self {
            server: hosted.client(),
            case: hosted.case().to_string(),
        }
    }
}

impl Transport for InProcess<'_> {
    fn exchange<'a>(&'a self, request: &'a Request, body: Body) -> Exchange<'a> {
        let routed = request.clone().header(CASE_HEADER, self.case.as_str());
        Box::pin(async move { self.server.client.send(&routed, body).await })
    }
}
