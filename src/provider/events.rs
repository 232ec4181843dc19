//! What happens to a grant outside the OAuth endpoints: the user changes a password, removes
//! the app from their account page, or has their account disabled or deleted; an admin
//! restricts a service or sets a session length; the developer publishes the app; a
//! revocation takes a while to take effect. A scenario's `event:` step (and serve's admin
//! endpoint `POST /event`) applies one to the engine.
//!
//! Sources: D1 "Refresh token expiration" lists the password change ("the refresh token
//! contains Gmail scopes"), the admin's Restricted services ("the error is
//! admin_policy_enforced") and the session length set by the admin; D1 on session control:
//! "the call will fail with an error type invalid_grant; the error_subtype field can be used
//! to distinguish" (`invalid_rapt`); D2 invalid_grant: "the user account may have been deleted
//! or disabled"; D2: a user can revoke access from Account Settings; D4: "it might take some
//! time before the revocation has full effect".

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Engine, GrantKey, ProviderError, PublishingStatus, TokenRecord};

/// One event outside the OAuth endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// The user changes their password: refresh tokens carrying a scope in
    /// `refresh_token.password_change_scopes` stop working (D1).
    PasswordChange { user: String },
    /// The account is disabled: its refresh tokens answer `refresh_invalid` (D2).
    AccountDisabled { user: String },
    /// The account is deleted: its refresh tokens answer `errors.account_deleted` (D2).
    AccountDeleted { user: String },
    /// The user removes the app from their account's third-party access page: as a revocation,
    /// the grant to the client's project ends (D2, D4).
    RemoveAccess { user: String, client_id: String },
    /// Session control (Google Cloud): the user must sign in again; until then refreshes
    /// answer `errors.invalid_rapt` with `error_subtype: invalid_rapt` (D1).
    SessionReauthRequired { user: String },
    /// A Workspace admin sets the service of `scope` to Restricted: refreshing a token with it,
    /// or asking for it, answers `errors.admin_policy_enforced` (D1, D2).
    AdminRestricts { scope: String },
    /// The developer changes the client's publishing status (Testing → Production or back).
    SetStatus {
        client_id: String,
        status: PublishingStatus,
    },
    /// Revocations from now on take effect this many seconds after they are answered (D4).
    RevocationDelay { seconds: u64 },
}

/// What the events have done to the engine's world.
#[derive(Debug, Default)]
pub(super) struct World {
    /// Users whose accounts are gone: `true` deleted, `false` disabled.
    gone: BTreeMap<String, bool>,
    /// Users who must sign in again (session control).
    reauth: BTreeSet<String>,
    /// Scopes an admin restricted, in the provider's spelling.
    restricted: BTreeSet<String>,
    revocation_delay: u64,
    /// Revocations answered but not yet in effect: (when, grant, its epoch).
    pending: Vec<(u64, GrantKey, u64)>,
    /// The `error_subtype` of the token answer being built (`invalid_rapt`).
    pub(super) error_subtype: Option<String>,
}

impl Engine {
    /// Applies `event`; the error names what is wrong with it (an unknown client).
    pub fn apply_event(&mut self, event: &Event) -> Result<(), String> {
        self.apply_due_revocations();
        match event {
            Event::PasswordChange { user } => {
                let prefixes = self.profile.refresh_token.password_change_scopes.clone();
                let doomed: Vec<String> = self
                    .refresh_tokens
                    .iter()
                    .filter(|(_, r)| r.grant.0 == *user)
                    .filter(|(_, r)| {
                        r.scopes
                            .iter()
                            .any(|s| prefixes.iter().any(|p| s.starts_with(p.as_str())))
                    })
                    .map(|(token, _)| token.clone())
                    .collect();
                for token in doomed {
                    self.revoke_refresh_token(&token);
                    self.bury(token);
                }
            }
            Event::AccountDisabled { user } => {
                self.world.gone.insert(user.clone(), false);
            }
            Event::AccountDeleted { user } => {
                self.world.gone.insert(user.clone(), true);
            }
            Event::RemoveAccess { user, client_id } => {
                if !self.clients.contains_key(client_id) {
                    return Err(format!("no client `{client_id}` is registered"));
                }
                let key = self.grant_key(user, client_id);
                self.end_grant(&key);
            }
            Event::SessionReauthRequired { user } => {
                self.world.reauth.insert(user.clone());
            }
            Event::AdminRestricts { scope } => {
                let scope = self.normalize_scope(scope);
                self.world.restricted.insert(scope);
            }
            Event::SetStatus { client_id, status } => match self.clients.get_mut(client_id) {
                // grants already counting down keep their end (UNCONFIRMED: model choice)
                Some(client) => client.status = *status,
                None => return Err(format!("no client `{client_id}` is registered")),
            },
            Event::RevocationDelay { seconds } => self.world.revocation_delay = *seconds,
        }
        Ok(())
    }

    /// Ends a grant now: its refresh tokens are buried, its access tokens die with its epoch.
    fn end_grant(&mut self, key: &GrantKey) {
        if let Some(grant) = self.grants.remove(key) {
            for token in grant.refresh_tokens {
                self.refresh_tokens.remove(&token);
                self.bury(token);
            }
        }
    }

    /// With a revocation delay: remembers the revocation of `record`'s grant for later and
    /// says so (the revoke endpoint answers 200 at once, D4).
    pub(super) fn defer_revocation(&mut self, record: &TokenRecord) -> bool {
        let delay = self.world.revocation_delay;
        if delay == 0 {
            return false;
        }
        let at = self.now().saturating_add(delay);
        self.world.pending.push((at, record.grant.clone(), record.epoch));
        true
    }

    /// Carries out the revocations whose delay has passed.
    pub(super) fn apply_due_revocations(&mut self) {
        if self.world.pending.is_empty() {
            return;
        }
        let now = self.now();
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.world.pending)
            .into_iter()
            .partition(|(at, _, _)| now >= *at);
        self.world.pending = waiting;
        for (_, key, epoch) in due {
            if self.grants.get(&key).is_some_and(|g| g.epoch == epoch) {
                self.end_grant(&key);
            }
        }
    }

    /// Why a live refresh token may not be used because of an event, if it may not.
    pub(super) fn refresh_blocked(&mut self, record: &TokenRecord) -> Result<(), ProviderError> {
        let errors = &self.profile.errors;
        let user = &record.grant.0;
        if let Some(&deleted) = self.world.gone.get(user) {
            let spec = match (&errors.account_deleted, deleted) {
                (Some(spec), true) => spec,
                _ => &errors.refresh_invalid,
            };
            return Err(ProviderError::new(spec, "", ""));
        }
        if self.world.reauth.contains(user)
            && let Some(spec) = &errors.invalid_rapt
        {
            self.world.error_subtype = Some("invalid_rapt".into());
            return Err(ProviderError::new(spec, "", ""));
        }
        if let Some(spec) = &errors.admin_policy_enforced
            && record.scopes.iter().any(|s| self.world.restricted.contains(s))
        {
            return Err(ProviderError::new(spec, "", ""));
        }
        Ok(())
    }

    /// At a sign-in: the user has authenticated again (session control is satisfied), and a
    /// restricted scope in the request is refused on the error page (D2 admin_policy_enforced).
    pub(super) fn authorize_blocked(&mut self, user: &str, scopes: &BTreeSet<String>) -> Option<ProviderError> {
        self.world.reauth.remove(user);
        let spec = self.profile.errors.admin_policy_enforced.as_ref()?;
        let restricted = scopes.iter().find(|s| self.world.restricted.contains(*s))?;
        Some(ProviderError::new(spec, "scope", restricted))
    }
}
