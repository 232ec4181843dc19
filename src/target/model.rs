//! The in-process model as a target: a case's requests go to the process's shared wiremock
//! servers ([`SharedModel`](crate::model::SharedModel)) over the keep-alive connections of
//! their server's client, each carrying the case's routing header.

use super::{Body, Exchange, HttpClient, Request, Transport};
use crate::model::{CASE_HEADER, HostedModel};

/// The transport to one case's engine on the shared in-process model: the model client of
/// its server ([`HostedModel::client`], made by [`super::model_client`]), with [`CASE_HEADER`]
/// naming the case on every request.
pub struct InProcess<'a> {
    client: &'a HttpClient,
    case: String,
}

impl<'a> InProcess<'a> {
    /// The transport to `hosted`'s engine.
    pub fn new(hosted: &'a HostedModel) -> Self {
        Self {
            client: hosted.client(),
            case: hosted.case().to_string(),
        }
    }
}

impl Transport for InProcess<'_> {
    fn exchange<'a>(&'a self, request: &'a Request, body: Body) -> Exchange<'a> {
        let routed = request.clone().header(CASE_HEADER, self.case.as_str());
        Box::pin(async move { self.client.send(&routed, body).await })
    }
}
