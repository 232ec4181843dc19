//! Live probes against a real provider (or `serve`): discovery, authorize-params, refresh and
//! interactive consent, over an HTTP client that retries transient faults within a deadline
//! and reports them as inconclusive, never as drift.

mod authorize;
mod consent;
mod credentials;
mod discovery;
mod http;
mod login;
mod normalise;
mod pages;
mod probe;
mod progress;
mod refresh;
mod scrub;
mod secret;
mod target;
mod trust;

pub use authorize::{Answer, ParamsTranscript, Verdict, Via, classify, probe_case};
pub use consent::{BrowserFront, CallbackListener, Notify, Opener};
pub use credentials::{
    CLIENT_ID, CLIENT_SECRET, CLIENT_SECRET_FILE, CLIENT_SECRETS_FILE, CredentialError, Credentials, Need,
    REFRESH_TOKEN, REFRESH_TOKEN_FILE, SECRET_VARIABLES,
};
pub use discovery::DiscoveryFacts;
pub use http::{Body, Cause, Inconclusive, LiveClient, LiveRequest, LiveResponse, RetryPolicy};
pub use login::{LoginError, LoginOptions, obtain_refresh_token};
pub use normalise::{comparable, endpoint_path, normalise_ports, normalise_transcript};
pub use pages::{PageError, decode_auth_error, scrape_error_page};
pub use probe::{ClientShape, ConsentOptions, Kind, ProbeError, ProbeOptions, run};
pub use progress::{Observer, observed};
pub use scrub::Scrubber;
pub use secret::Secret;
pub use target::{Overrides, Target, TargetError, TargetSpec};
pub use trust::{check_endpoints, is_loopback};
