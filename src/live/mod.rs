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

pub use authorize::{classify, probe_case};
// the probes' transcript sections are the `transcript` module's
pub use crate::transcript::{AuthorizeAnswer, DiscoveryFacts, Verdict, Via};
pub use consent::{BrowserFront, CallbackListener, Notify, Opener};
pub use credentials::{
    CLIENT_ID, CLIENT_SECRET, CLIENT_SECRET_FILE, CLIENT_SECRETS_FILE, CredentialError, Credentials, Need,
    REFRESH_TOKEN, REFRESH_TOKEN_FILE, SECRET_VARIABLES,
};
// the transport and the live target's endpoints are the `target` stage's; live probes use them as their own
pub use crate::target::{Body, Cause, Inconclusive, LiveClient, LiveRequest, LiveResponse, RetryPolicy};
pub use crate::target::{Overrides, Target, TargetError, TargetSpec};
use crate::target::{live as target, transport};
pub use login::{LoginError, LoginOptions, obtain_refresh_token};
pub use normalise::{comparable, endpoint_path, normalise_ports, normalise_transcript};
pub use pages::{PageError, decode_auth_error, scrape_error_page};
pub use probe::{ClientShape, ConsentOptions, Kind, ProbeError, ProbeOptions, Session, run};
pub(crate) use progress::tell as tell_progress;
pub use progress::{Observer, observed};
pub use scrub::Scrubber;
pub use secret::Secret;
pub use trust::{check_endpoints, is_loopback};
