//! The device authorization grant (RFC 8628) as Google runs it (D4, google-oauth.md §2.3):
//! `/device/code` hands out a device code and a user code, the user approves at the
//! verification URL, and the device polls the token endpoint meanwhile.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::provider::store::Footprint;

use super::{ConsentDecision, Engine, GrantKey, JsonResponse, ProviderError, at_hash, param};

/// RFC 8628 §3.4: the device's grant type.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One device authorization, until the device has its tokens or the code expires.
#[derive(Debug, Clone)]
pub(super) struct DeviceRecord {
    client_id: String,
    scopes: BTreeSet<String>,
    user_code: String,
    issued_at: u64,
    last_poll: Option<u64>,
    decision: Decision,
}

impl Footprint for DeviceRecord {
    fn footprint(&self) -> usize {
        let user = match &self.decision {
            Decision::Granted(user) => user.footprint(),
            Decision::Pending | Decision::Denied => 0,
        };
        std::mem::size_of::<Self>()
            + self.client_id.footprint()
            + self.scopes.footprint()
            + self.user_code.footprint()
            + user
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Decision {
    Pending,
    Granted(String),
    Denied,
}

/// What the verification page tells the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceVerification {
    Granted,
    Denied,
    /// No pending device has this user code (mistyped, expired or already used).
    UnknownCode,
}

impl Engine {
    /// `POST /device/code`: a device code and a user code for `client_id` and `scope`.
    pub fn device_authorization(&mut self, form: &[(String, String)], verification_url: &str) -> JsonResponse {
        let profile = Arc::clone(&self.profile);
        let Some(rules) = &profile.device_flow else {
            return JsonResponse::error(ProviderError::new(
                &profile.errors.unsupported_grant_type,
                "",
                DEVICE_GRANT,
            ));
        };
        let errors = &profile.errors;
        let Some(client_id) = param(form, "client_id").filter(|c| !c.is_empty()) else {
            return JsonResponse::error(ProviderError::new(&errors.no_client_id, "", ""));
        };
        if !self.clients.contains_key(client_id) {
            return JsonResponse::error(ProviderError::new(&errors.token_unknown_client, "client_id", ""));
        }
        let Some(scope) = param(form, "scope").filter(|s| !s.trim().is_empty()) else {
            return JsonResponse::error(ProviderError::new(&errors.token_missing_param, "scope", ""));
        };
        // the same bounds as an authorization request: a device code is kept until it expires
        let limits = &profile.limits;
        let scopes: BTreeSet<String> = scope.split_whitespace().map(|s| self.normalize_scope(s)).collect();
        if scope.len() > limits.param_bytes || scopes.len() > limits.scopes {
            let what = format!("at most {} bytes and {} scopes", limits.param_bytes, limits.scopes);
            return JsonResponse::error(ProviderError::new(&errors.invalid_length, "scope", &what));
        }
        let device_code = Self::mint(&profile.tokens.shapes.device_code);
        let user_code = user_code();
        let record = DeviceRecord {
            client_id: client_id.to_string(),
            scopes,
            user_code: user_code.clone(),
            issued_at: self.now(),
            last_poll: None,
            decision: Decision::Pending,
        };
        self.devices.insert(device_code.clone(), record);
        JsonResponse::ok(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_url": verification_url,
            "expires_in": rules.expires_in,
            "interval": rules.interval,
        }))
    }

    /// The user at the verification URL enters `user_code` and decides (serve's `/device`).
    pub fn device_verify(&mut self, user_code: &str, user: &str, decision: &ConsentDecision) -> DeviceVerification {
        let wanted = user_code.trim().to_ascii_uppercase();
        let now = self.now();
        let lifetime = self.profile.device_flow.as_ref().map_or(0, |r| r.expires_in);
        let found = self
            .devices
            .iter()
            .find(|(_, r)| r.user_code == wanted && r.decision == Decision::Pending && now < r.issued_at + lifetime)
            .map(|(code, _)| code.clone());
        let Some(record) = found.and_then(|code| self.devices.get_mut(&code)) else {
            return DeviceVerification::UnknownCode;
        };
        if *decision == ConsentDecision::Deny {
            record.decision = Decision::Denied;
            return DeviceVerification::Denied;
        }
        record.decision = Decision::Granted(user.split('@').next().unwrap_or(user).to_string());
        DeviceVerification::Granted
    }

    /// The token endpoint's device grant: pending, too fast, denied, or the tokens (always
    /// with a refresh token: D4 "refresh tokens are always returned for devices").
    pub(super) fn device_token(&mut self, form: &[(String, String)], client_id: &str) -> Result<Value, ProviderError> {
        let profile = Arc::clone(&self.profile);
        let errors = &profile.errors;
        let Some(rules) = &profile.device_flow else {
            return Err(ProviderError::new(
                &errors.unsupported_grant_type,
                "grant_type",
                DEVICE_GRANT,
            ));
        };
        let code = param(form, "device_code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ProviderError::new(&errors.token_missing_param, "device_code", ""))?
            .to_string();
        let now = self.now();
        let invalid = || ProviderError::new(&rules.errors.invalid_code, "", "");
        let record = self.devices.get_mut(&code).ok_or_else(invalid)?;
        if record.client_id != client_id || now >= record.issued_at + rules.expires_in {
            return Err(invalid());
        }
        let too_fast = record.last_poll.is_some_and(|last| now < last + rules.interval);
        record.last_poll = Some(now);
        let user = match &record.decision {
            Decision::Pending if too_fast => return Err(ProviderError::new(&rules.errors.slow_down, "", "")),
            Decision::Pending => return Err(ProviderError::new(&rules.errors.pending, "", "")),
            Decision::Denied => {
                self.devices.remove(&code);
                return Err(ProviderError::new(&rules.errors.denied, "", ""));
            }
            Decision::Granted(user) => user.clone(),
        };
        let record = self.devices.remove(&code).ok_or_else(invalid)?;
        let key: GrantKey = self.grant_key(&user, &record.client_id);
        let epoch = self.remember_grant(&key, &record.scopes);
        self.start_testing_clock(&key, client_id, &record.scopes);
        let mut body = serde_json::Map::new();
        let access = self.issue_access_token(&key, client_id, epoch, &record.scopes);
        let access_hash = at_hash(&access);
        body.insert("access_token".into(), access.into());
        body.insert("expires_in".into(), self.profile.tokens.access_token_expires_in.into());
        let (refresh, _) = self.issue_refresh_token(&key, epoch, &record.scopes, client_id);
        body.insert("refresh_token".into(), refresh.into());
        body.insert("scope".into(), super::join_scopes(&record.scopes).into());
        body.insert("token_type".into(), "Bearer".into());
        if record.scopes.iter().any(|s| self.grants_id_token(s)) {
            let presenter = (key.0.clone(), client_id.to_string());
            let claims = self.id_token_claims(&presenter, &record.scopes, None, Some(&access_hash));
            self.unsigned_id_token = Some(claims);
            body.insert("id_token".into(), "".into());
        }
        Ok(Value::Object(body))
    }
}

impl Engine {
    /// Adds `scopes` to the user's grant to the client (made if new); returns its epoch.
    fn remember_grant(&mut self, key: &GrantKey, scopes: &BTreeSet<String>) -> u64 {
        if let Some(grant) = self.grants.get_mut(key) {
            grant.scopes.extend(scopes.iter().cloned());
            return grant.epoch;
        }
        self.seq += 1;
        let grant = super::Grant {
            scopes: scopes.clone(),
            epoch: self.seq,
            refresh_tokens: Vec::new(),
            live_refresh_tokens: 0,
            expires_at: None,
        };
        for (_, evicted) in self.grants.insert(key.clone(), grant) {
            for token in evicted.refresh_tokens {
                self.refresh_tokens.remove(&token);
            }
        }
        self.seq
    }
}

/// A user code shaped like Google's `GQVQ-JKEC`: eight letters without look-alikes.
fn user_code() -> String {
    const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut bytes = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let letters: String = bytes
        .iter()
        .map(|b| char::from(LETTERS[usize::from(*b) % LETTERS.len()]))
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}
