//! How an authorization ends on its own (the testing-status expiry), and what the token
//! endpoint says about a refresh token long dead.
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

use super::{Engine, GrantKey, ProviderError, PublishingStatus, TokenRecord};

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
        if !testing {
            // a consent to a published app is not limited (its earlier tokens keep their end)
            if let Some(grant) = self.grants.get_mut(key) {
                grant.expires_at = None;
            }
            return;
        }
        let sign_in = self.sign_in_scopes();
        if requested.iter().all(|s| sign_in.contains(s)) {
            return;
        }
        let ends = self.now().saturating_add(seconds);
        if let Some(grant) = self.grants.get_mut(key) {
            grant.expires_at = Some(ends);
        }
    }

    /// Time-based access (D2: "When a user grants your application time-based access, the
    /// refresh token will expire after the specified duration"): the user picked `seconds` on
    /// the consent screen, so the grant ends then, and so do the refresh tokens issued under it.
    pub(super) fn limit_grant(&mut self, user: &str, client_id: &str, seconds: u64) {
        let key = self.grant_key(user, client_id);
        let ends = self.now().saturating_add(seconds);
        if let Some(grant) = self.grants.get_mut(&key) {
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
                // it died when the authorization ran out, not now
                if let (Some(at), Some(_)) = (grant.expires_at, self.profile.refresh_token.forgotten_after_seconds) {
                    self.buried.insert(token, at);
                }
            }
        }
    }

    /// Remembers when a refresh token was revoked or evicted, for `dead_refresh_token`.
    pub(super) fn bury(&mut self, token: String) {
        if self.profile.refresh_token.forgotten_after_seconds.is_some() {
            let now = self.now();
            self.buried.insert(token, now);
        }
    }

    /// The answer to a refresh with a dead token: `refresh_invalid` ("Token has been expired or
    /// revoked."), or `refresh_forgotten` once it died more than `forgotten_after_seconds` ago
    /// (OBS AlphaTiles/AlphaTiles PR #107, 2023-08: "About 12 hours after the token was
    /// expired/revoked, Google starts giving a \"bad request\" error message instead"; one
    /// report, so the profile marks it UNCONFIRMED). `expired` is the record of a token that is
    /// still stored but past its expiry; a removed token is looked up among the buried.
    pub(super) fn dead_refresh_token(&self, token: &str, expired: Option<&TokenRecord>) -> ProviderError {
        let errors = &self.profile.errors;
        let rules = &self.profile.refresh_token;
        let died = match expired {
            Some(record) => {
                let idle = rules.unused_expiry_seconds.map(|s| record.last_used.saturating_add(s));
                [record.expires_at, idle].into_iter().flatten().min()
            }
            None => self.buried.get(token).copied(),
        };
        match (died, rules.forgotten_after_seconds, &errors.refresh_forgotten) {
            (Some(at), Some(after), Some(spec)) if self.now() >= at.saturating_add(after) => {
                ProviderError::new(spec, "", "")
            }
            _ => ProviderError::new(&errors.refresh_invalid, "", ""),
        }
    }
}
