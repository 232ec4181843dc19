//! The target stage of the data flow: where a case's requests go and how their answers come
//! back. Three targets, one transport trait, [`Transport`], implemented once per target:
//!
//! - [`InProcess`]: the in-process model (wiremock servers on loopback shared by every case,
//!   the case named on each request);
//! - [`Served`]: a model served on its own, a `serve` process (or a `ModelServer`);
//! - [`LiveProvider`]: a live provider (`probe`, `login`; probing a `serve` process is probing
//!   a live target).
//!
//! All three send through one HTTP core (`transport::HttpClient`), which turns every fault into
//! a typed [`Cause`] and applies the retry and deadline policy. Each transport chooses its
//! policy when it is made, and only this module can make the core, so a caller cannot give the
//! model a live provider's retries or a live provider the model's: the model and `serve` get
//! a 10-second bound, a 5xx or 429 recorded as their answer; a live provider gets
//! [`RetryPolicy::live`] (retries with backoff within a deadline, then [`Inconclusive`]).
//!
//! What the answers mean is not decided here: the runner records them in a transcript and
//! judges it (`runner::judge`); a live target's endpoints are resolved in [`live`].

pub mod live;
pub mod model;
pub mod redirect;
pub mod transport;

pub use live::{LiveProvider, Overrides, TargetSpec};
pub use model::{InProcess, Served};
pub use redirect::Redirect;
pub use transport::{Body, Cause, Inconclusive, Request, Response, RetryPolicy};

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
