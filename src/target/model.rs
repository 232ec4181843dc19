//! The in-process model as a target: a case's requests go to the process's shared wiremock
//! servers ([`SharedModel`](crate::model::SharedModel)) over one client's keep-alive
//! connections, each carrying the case's routing header.

use super::{Body, Exchange, LiveClient, LiveRequest, Transport};
use crate::model::{CASE_HEADER, HostedModel};

/// The transport to one case's engine on the shared in-process model: the model client
/// ([`super::model_client`]), with [`CASE_HEADER`] naming the case on every request.
pub struct InProcess<'a> {
    client: &'a LiveClient,
    case: String,
}

impl<'a> InProcess<'a> {
    /// Sends `hosted`'s requests through `client`.
    pub fn new(client: &'a LiveClient, hosted: &HostedModel) -> Self {
        Self {
            client,
            case: hosted.case().to_string(),
        }
    }
}

impl Transport for InProcess<'_> {
    fn exchange<'a>(&'a self, request: &'a LiveRequest, body: Body) -> Exchange<'a> {
        let routed = request.clone().header(CASE_HEADER, self.case.as_str());
        Box::pin(async move { self.client.send(&routed, body).await })
    }
}
