//! The target stage of the data flow: where a case's requests go and how their answers come
//! back. Three targets, one transport: the in-process model (wiremock servers on loopback
//! shared by every case, [`InProcess`] naming the case on each request), a `serve` process,
//! and a live provider. Each is reached through [`Transport`]; [`LiveClient`] holds the retry
//! and deadline policy ([`RetryPolicy`]) and turns every fault into a typed [`Cause`]; the
//! model and `serve` are sent each request once ([`RetryPolicy::once`]), a live provider is
//! retried within a deadline.
//!
//! What the answers mean is not decided here: the runner records them in a transcript and
//! `suite` judges it; a live target's endpoints are resolved in [`live`].

pub mod live;
pub mod model;
pub mod redirect;
pub mod transport;

pub use live::{Overrides, Target, TargetError, TargetSpec};
pub use model::InProcess;
pub use redirect::Redirect;
pub use transport::{Body, Cause, Inconclusive, LiveClient, LiveRequest, LiveResponse, RetryPolicy};

use std::pin::Pin;

/// What [`Transport::exchange`] returns: a boxed future, so the runner can hold any transport
/// as `&dyn Transport`.
pub type Exchange<'a> = Pin<Box<dyn Future<Output = Result<LiveResponse, Inconclusive>> + Send + 'a>>;

/// One way to reach a provider: a request goes out, and a complete answer or a typed fault
/// ([`Inconclusive`], with its [`Cause`] and the effort spent) comes back.
pub trait Transport: Sync {
    /// Sends `request`, expecting a body of kind `body`.
    fn exchange<'a>(&'a self, request: &'a LiveRequest, body: Body) -> Exchange<'a>;
}

impl Transport for LiveClient {
    fn exchange<'a>(&'a self, request: &'a LiveRequest, body: Body) -> Exchange<'a> {
        Box::pin(self.send(request, body))
    }
}

/// The transport of the in-process model and of `serve`: each request is sent once (they are
/// the provider under test, so a 5xx or 429 is their answer, not a fault to wait out), with no
/// redirects followed and a 10-second bound.
pub fn model_client() -> LiveClient {
    LiveClient::new(RetryPolicy::once(std::time::Duration::from_secs(10))).without_scrubbing()
}
