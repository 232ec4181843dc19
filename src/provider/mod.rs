//! Provider profiles (data) and the behaviour engine that runs them.

mod engine;
#[cfg(test)]
mod engine_tests;
mod profile;
mod store;

pub use engine::{
    AuthorizeOutcome, AuthorizeResponse, AuthorizeStep, ClientConfig, ClientKind, ConsentDecision, Engine,
    GrantSummary, JsonResponse, PendingConsent, ProviderError, PublishingStatus, check_client, is_oob, param,
    pkce_matches, random_token, redirect_param, s256_challenge, split_redirect,
};
pub use profile::{
    AuthorizeRules, Delivery, ErrorSpec, OfflineRequest, Profile, ProfileError, Registry, RevokeClientAuth, closest,
};
