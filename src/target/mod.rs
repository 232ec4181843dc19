//! The target stage of the data flow: where a case's requests go and how their answers come
//! back. Three targets, one transport trait, [`Transport`], whose implementations are named by
//! what they reach:
//!
//! - [`InProcess`]: the in-process model (wiremock servers on loopback shared by every case,
//!   the case named on each request);
//! - [`HttpClient`] made by [`model_client`]: a `serve` process (or any model over HTTP), each
//!   request sent once ([`RetryPolicy::once`]);
//! - [`HttpClient`] with [`RetryPolicy::live`]: a live provider, retried with backoff within a
//!   deadline (`probe`, `login`; probing a `serve` process is probing a live target).
//!
//! [`HttpClient`] is the one HTTP client under all three: it holds the retry and deadline
//! policy and turns every fault into a typed [`Cause`]. Both policies are made here only.
//!
//! What the answers mean is not decided here: the runner records them in a transcript and
//! judges it (`runner::judge`); a live target's endpoints are resolved in [`live`].

pub mod live;
pub mod model;
pub mod redirect;
pub mod transport;

pub use live::{Overrides, TargetSpec};
pub use model::InProcess;
pub use redirect::Redirect;
pub use transport::{Body, Cause, Inconclusive, HttpClient, Request, Response, RetryPolicy};

use std::pin::Pin;

/// What [`Transport::exchange`] returns: a boxed future, so the runner can hold any transport
/// as `&dyn Transport`.
pub type Exchange<'a> = Pin<Box<dyn Future<Output = Result<Response, Inconclusive>> + Send + 'a>>;

/// One way to reach a provider: a request goes out, and a complete answer or a typed fault
/// ([`Inconclusive`], with its [`Cause`] and the effort spent) comes back.
pub trait Transport: Sync {
    /// Sends `request`, expecting a body of kind `body`.
    fn exchange<'a>(&'a self, request: &'a Request, body: Body) -> Exchange<'a>;
}

impl Transport for HttpClient {
    fn exchange<'a>(&'a self, request: &'a Request, body: Body) -> Exchange<'a> {
        Box::pin(self.send(request, body))
    }
}

/// The transport of the in-process model and of `serve`: each request is sent once (they are
/// the provider under test, so a 5xx or 429 is their answer, not a fault to wait out), with no
/// redirects followed and a 10-second bound.
pub fn model_client() -> HttpClient {
    HttpClient::new(RetryPolicy::once(std::time::Duration::from_secs(10))).without_scrubbing()
}
