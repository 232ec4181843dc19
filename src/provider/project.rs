//! Projects: a Google client belongs to a Cloud project, and the user's grant is the
//! project's, not one client's.
//!
//! D2 (`prompt`): the user is prompted "only the first time your project requests access";
//! D2 (incremental authorization): "The combined authorization includes all scopes that the
//! user granted to the API project even if the grants were requested from different
//! clients"; D4: revocation "removes all OAuth 2.0 scopes previously granted to a project,
//! invalidating any issued access or refresh tokens for all clients registered under that
//! project". So consent memory, the combined scopes and revocation are keyed on
//! (user, project). The refresh-token limit stays per client (D1: "100 refresh tokens per
//! Google Account per OAuth 2.0 client ID"), and so does each code and token: a client
//! cannot redeem another client's code or refresh token (RFC 6749 §4.1.3, §6).

use super::super::profile::GrantOwner;
use super::{Engine, GrantKey};

impl Engine {
    /// The grant a user's authorization of `client_id` belongs to: (user, the client's
    /// project). A client registered without a project is a project of its own, named by its id.
    /// With `consent.grants_per: client` every client is its own project.
    pub(super) fn grant_key(&self, user: &str, client_id: &str) -> GrantKey {
        let project = self
            .clients
            .get(client_id)
            .and_then(|c| c.project.clone())
            .filter(|_| self.profile.consent.grants_per == GrantOwner::Project)
            .map_or_else(|| client_id.to_string(), |p| format!("project:{p}"));
        (user.to_string(), project)
    }

    /// Whether the consent screen for this request is granular: the profile's rule, unless the
    /// request sends `enable_granular_consent=false` for a client created before
    /// `consent.granular_opt_out_before` (D2: "If set to false, more granular Google Account
    /// permissions will be disabled for OAuth client IDs created before 2019. No effect for
    /// newer OAuth client IDs").
    pub(super) fn granular_for(&self, client_id: &str, params: &[(String, String)]) -> bool {
        let rules = &self.profile.consent;
        let opted_out = super::param(params, "enable_granular_consent") == Some("false");
        let old = match (&rules.granular_opt_out_before, self.clients.get(client_id)) {
            // ISO dates compare as text
            (Some(cutoff), Some(client)) => client.created.as_ref().is_some_and(|c| c < cutoff),
            _ => false,
        };
        rules.granular && !(opted_out && old)
    }

    /// Evicts the oldest live refresh tokens `client_id` holds in the grant past the profile's
    /// per-user, per-client limit (D1), leaving other clients' tokens in the project alone.
    pub(super) fn enforce_client_limit(&mut self, grant_key: &GrantKey, client_id: &str) {
        let limit = self.profile.refresh_token.limit_per_user_client;
        let Some(grant) = self.grants.get(grant_key) else {
            return;
        };
        let owns = |t: &&String| self.refresh_tokens.get(*t).is_some_and(|r| r.client_id == client_id);
        // the client's tokens are some of the grant's: within the limit they need no look-up,
        // and past it only the excess is copied
        let excess = match grant.refresh_tokens.len() {
            held if held <= limit => 0,
            _ => grant.refresh_tokens.iter().filter(owns).count().saturating_sub(limit),
        };
        let evicted: Vec<String> = grant.refresh_tokens.iter().filter(owns).take(excess).cloned().collect();
        let evicted = evicted.as_slice();
        for token in evicted {
            self.refresh_tokens.remove(token);
            self.bury(token.clone());
        }
        if let Some(grant) = self.grants.get_mut(grant_key) {
            grant.refresh_tokens.retain(|t| !evicted.contains(t));
            grant.live_refresh_tokens = grant.refresh_tokens.len();
        }
    }
}
