//! Provider profiles (data) and the behaviour engine that runs them.

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

pub use engine::{
    AuthorizeOutcome, AuthorizeResponse, AuthorizeStep, ClientConfig, ClientKind, ConsentDecision, DEVICE_GRANT,
    DeviceVerification, Engine, GrantSummary, JsonResponse, PendingConsent, ProviderError, PublishingStatus,
    check_client, param, pkce_matches, random_token, redirect_param, s256_challenge, split_redirect,
};
pub use profile::{
    AuthorizeRules, ClaimRule, ClaimWhen, CodeReuse, Delivery, ErrorSpec, IdTokenRules, LegacyEndpoint,
    LegacyForceRules, OfflineRequest, Profile, ProfileError, Registry, RevokeClientAuth, TokenShape, TokenShapes,
    closest,
};
pub use signing::{KeyError, SigningKey, at_hash};
