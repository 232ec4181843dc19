//! Provider profiles (data) and the behaviour engine that runs them.

mod auth_error;
mod engine;
#[cfg(test)]
mod engine_tests;
#[cfg(test)]
mod id_token_tests;
#[cfg(test)]
mod lifecycle_tests;
mod profile;
mod signing;
mod store;
mod trace;
mod wording;

pub use auth_error::AuthError;
pub use engine::{
    AuthorizeOutcome, AuthorizeResponse, AuthorizeStep, ClientConfig, ClientKind, ConsentDecision, DeviceVerification,
    Engine, Event, JsonResponse, PendingConsent, ProviderError, PublishingStatus, check_client, param, random_token,
    s256_challenge,
};
pub use profile::{
    AuthorizeRules, ClientShape, ErrorPageFormat, ErrorSpec, OfflineRequest, Profile, ProfileError, Registry,
    RevokeClientAuth, SignInPages, closest,
};
pub use signing::{KeyError, SigningKey};
pub use trace::{Decision, Effect, Rule};

/// The profile of a scenario, probe or diagnosis that names none (the provider this tool
/// began with; every other one is named).
pub const DEFAULT_PROVIDER: &str = "google";

/// A profile id's family: `google@2015` → `google`.
pub fn family(id: &str) -> &str {
    id.split('@').next().unwrap_or(id)
}
