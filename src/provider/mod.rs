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
    AuthorizeOutcome, AuthorizeResponse, AuthorizeStep, ClientConfig, ClientKind, ConsentDecision, DEVICE_GRANT,
    DeviceVerification, Engine, Event, GrantSummary, JsonResponse, PendingConsent, ProviderError, PublishingStatus,
    check_client, param, pkce_matches, random_token, redirect_param, s256_challenge, split_redirect,
};
pub use profile::{
    AuthorizeRules, ClaimRule, ClaimWhen, ClientShape, CodeReuse, Cors, CorsEndpoint, Delivery, ErrorSpec,
    IdTokenRules, LegacyEndpoint, LegacyForceRules, OfflineRequest, Profile, ProfileError, Registry, RevokeClientAuth,
    TokenShape, TokenShapes, closest,
};
pub use signing::{KeyError, SigningKey, at_hash};
pub use trace::{Citations, Decision, Effect, Rule, Trace};
pub use wording::Wording;

/// A profile id's family: `google@2015` → `google`.
pub fn family(id: &str) -> &str {
    id.split('@').next().unwrap_or(id)
}
