//! How an authorization ends on its own: the testing-status expiry.
//!
//! D1: a project in "Testing" "is issued a refresh token expiring in 7 days, unless the only
//! OAuth scopes requested are a subset of name, email address, and user profile"; the support
//! article "Manage App Audience" (support.google.com/cloud/answer/15549945): "Authorizations by
//! a test user will expire seven days from the time of consent. If your OAuth client requests
//! an offline access type and receives a refresh token, that token will also expire." So the
//! clock starts at each consent, the exemption looks at the scopes *requested* (not those the
//! user left ticked on a granular screen), and when it runs out the grant itself is gone: the
//! next plain sign-in shows the consent screen again and returns a new refresh token.

use std::collections::BTreeSet;

use super::{Engine, GrantKey, PublishingStatus};

impl Engine {
    /// At a consent to a testing-status client for more than sign-in scopes: the grant (and
    /// every refresh token issued under it from now on) ends `testing_expiry_seconds` later.
    pub(super) fn start_testing_clock(&mut self, key: &GrantKey, client_id: &str, requested: &BTreeSet<String>) {
        let Some(seconds) = self.profile.refresh_token.testing_expiry_seconds else {
            return;
        };
        let testing = self
            .clients
            .get(client_id)
            .is_some_and(|c| c.status == PublishingStatus::Testing);
        let sign_in = self.sign_in_scopes();
        if !testing || requested.iter().all(|s| sign_in.contains(s)) {
            return;
        }
        let ends = self.now().saturating_add(seconds);
        if let Some(grant) = self.grants.get_mut(key) {
            grant.expires_at = Some(ends);
        }
    }

    /// Forgets `key`'s grant, and its refresh tokens, once its authorization has run out.
    pub(super) fn expire_grant(&mut self, key: &GrantKey) {
        let now = self.now();
        let over = self
            .grants
            .get(key)
            .is_some_and(|g| g.expires_at.is_some_and(|at| now >= at));
        if over && let Some(grant) = self.grants.remove(key) {
            for token in grant.refresh_tokens {
                self.refresh_tokens.remove(&token);
            }
        }
    }
}
