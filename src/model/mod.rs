//! Mounts a provider model on wiremock, in-process for `run` and on a listener for `serve`.

mod page;
mod responder;
mod server;
mod standalone;

pub use responder::{
    ADMIN_PREFIX, AccessHook, CASE_HEADER, CONSENT_HEADER, CONSENT_SCREEN_HEADER, ConsentMode,
    ERROR_DESCRIPTION_HEADER, ERROR_HEADER, ModelResponse, SESSION_HEADER, Served, USER_HEADER, form_pairs, lock,
};
pub use server::{DEFAULT_USER, HostedModel, ListenOptions, ModelServer, SharedModel};
pub use standalone::ConnectionLimits;
