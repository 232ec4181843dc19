//! Live probes against a real provider (or `serve`): discovery, authorize-params, refresh and
//! interactive consent, over an HTTP client that retries transient faults within a deadline
//! and reports them as inconclusive, never as drift.

mod authorize;
mod consent;
mod credentials;
mod discovery;
mod login;
mod normalise;
mod pages;
mod probe;
mod progress;
mod refresh;
mod scrub;
mod secret;
mod trust;

#[cfg(test)]
mod fault_tests;

// the probes' transcript sections are the `transcript` module's
pub use consent::{Notify, Opener};
pub use credentials::Credentials;
// the transport and the live target's endpoints are the `target` stage's; live probes use them as their own
pub use crate::target::{Body, Cause, LiveProvider, Request, RetryPolicy};
pub use crate::target::{Overrides, TargetSpec};
use crate::target::{live as target, transport};
pub use login::{LoginError, LoginOptions, obtain_refresh_token};
pub use probe::{ClientShape, ConsentOptions, Kind, ProbeOptions, Session, run};
pub(crate) use progress::tell as tell_progress;
pub use progress::{Observer, observed};
pub use scrub::Scrubber;
pub use trust::check_endpoints;
