//! The fixed URL: the smallest set of edits to the request that the model verifies. Candidate
//! edits come from the request; the model decides which set works (smallest first, in a fixed
//! order, so the answer is deterministic).
//!
//! The goal keeps the app's intent. A request that asks for offline access (or forces consent,
//! or is an installed client's) is fixed until a refresh_token comes back on every grant. A
//! sign-in-only request, or one that says access_type=online, is fixed only until the provider
//! answers without error; turning it offline (and showing a consent screen on every login) is a
//! second, labelled fix for when the app does want a refresh_token.

use std::sync::Arc;

use serde::Serialize;

use super::explain::Explanation;
use super::input::{AuthRequest, Param};
use super::predict::{ClientSetup, Depth, Prediction, predict};
use crate::provider::{OfflineRequest, Profile, Rule};

/// The redirect URI a desktop app listens on instead of the out-of-band page.
pub const LOOPBACK_REDIRECT: &str = "http://127.0.0.1";

/// One kind of change to the request, in the order the search tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all(serialize = "snake_case"))]
pub enum Edit {
    RequestOffline,
    DropApprovalPrompt,
    ForceConsent,
    ResponseTypeCode,
    FixChallengeMethod,
    LoopbackRedirect,
    DecodeRedirect,
    /// Remove the scopes the provider refuses (`authorize.rejected_scopes`).
    DropRejectedScopes,
    /// Remove whitespace around parameter names and values (a URL broken over indented lines).
    TrimWhitespace,
}

/// What a fix must achieve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Goal {
    /// A refresh_token on the first and the repeat grant, without error.
    #[default]
    RefreshTokenEveryGrant,
    /// No error on either grant; the request's online intent is kept.
    NoError,
}

/// One applied change, described for a reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The edits this change makes (two when approval_prompt=force becomes prompt=consent).
    pub edits: Vec<Edit>,
    pub description: String,
}

/// The fix and its verification by the model.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub goal: Goal,
    /// Why the goal is `no_error`: the request is sign-in only, or says access_type=online.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// The fixed URL with secrets redacted; `None` when no edit set works.
    pub url: Option<String>,
    pub changes: Vec<Change>,
    /// What the model returns for the fixed request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<Prediction>,
    /// Why there is no fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The fixed request (secrets included), for scenario emission.
    #[serde(skip)]
    pub request: Option<AuthRequest>,
    /// The redirect URI the fixed request needs registered.
    #[serde(skip)]
    pub registered_redirect: Option<String>,
    /// For a request kept online: the fix that also returns a refresh_token on every grant.
    #[serde(rename = "offline", skip_serializing_if = "Option::is_none")]
    pub alternative: Option<Box<Fix>>,
}

impl Fix {
    /// Whether this fix, or its offline alternative, makes the edit.
    pub fn has(&self, edit: Edit) -> bool {
        self.changes.iter().any(|c| c.edits.contains(&edit)) || self.alternative.as_ref().is_some_and(|a| a.has(edit))
    }

    /// The fix that returns a refresh_token on every grant: this one or its alternative.
    pub fn offline(&self) -> &Fix {
        match &self.alternative {
            Some(alternative) => alternative,
            None => self,
        }
    }
}

/// Why the request should stay online, if it should: it says access_type=online, or it only
/// signs the user in (sign-in scopes, nothing that asks for offline access or consent).
fn online_intent(profile: &Profile, setup: &ClientSetup, request: &AuthRequest, known: &Explanation) -> Option<String> {
    if profile.refresh_token.requires == OfflineRequest::AccessTypeOffline
        && request.get("access_type") == Some("online")
    {
        return Some("the request says access_type=online".into());
    }
    let installed_offline = setup.kind == crate::provider::ClientKind::Installed
        && profile.authorize.installed_default_offline
        && profile.refresh_token.requires == OfflineRequest::AccessTypeOffline;
    let asks_offline = request.has("access_type")
        || known
            .force()
            .is_some_and(|(name, value)| request.get(name) == Some(value))
        || request
            .get("prompt")
            .is_some_and(|p| p.split_whitespace().any(|t| t == "consent"))
        || scope_has(request, "offline_access")
        || profile.authorize.rejected_scopes.iter().any(|r| scope_has(request, r));
    let scopes: Vec<&str> = request.get("scope").unwrap_or_default().split_whitespace().collect();
    let sign_in_only = !scopes.is_empty()
        && scopes
            .iter()
            .all(|s| profile.consent.sign_in_scopes.iter().any(|sign_in| sign_in == s));
    (sign_in_only && !asks_offline && !installed_offline)
        .then(|| "the request only signs the user in (sign-in scopes, no offline access asked for)".into())
}

/// Searches the smallest set of edits the model verifies, keeping the request's intent; the
/// engine's explanation of the request says which edits could matter.
pub fn find(
    profile: &Arc<Profile>,
    setup: &ClientSetup,
    request: &AuthRequest,
    original: &Prediction,
    explanation: &Explanation,
) -> Fix {
    let search = |goal| search(profile, setup, request, original, explanation, goal);
    let offline = search(Goal::RefreshTokenEveryGrant);
    let Some(intent) = online_intent(profile, setup, request, explanation) else {
        return offline;
    };
    let mut primary = search(Goal::NoError);
    primary.intent = Some(intent);
    if offline.url.is_some() && !offline.changes.is_empty() {
        primary.alternative = Some(Box::new(offline));
    }
    primary
}

fn reached(goal: Goal, prediction: &Prediction) -> bool {
    let no_error = prediction.first_grant.error.is_none() && prediction.repeat_grant.error.is_none();
    match goal {
        Goal::RefreshTokenEveryGrant => prediction.every_grant() && prediction.first_grant.error.is_none(),
        Goal::NoError => no_error,
    }
}

fn search(
    profile: &Arc<Profile>,
    setup: &ClientSetup,
    request: &AuthRequest,
    original: &Prediction,
    explanation: &Explanation,
    goal: Goal,
) -> Fix {
    // the request (with `changes` made) that reaches the goal, verified by the model
    let fixed = |request: AuthRequest, setup: ClientSetup, changes: Vec<Change>| Fix {
        goal,
        url: Some(request.display_url()),
        changes,
        verified: Some(predict(profile, &setup, &request.pairs(), Depth::Full)),
        request: Some(request),
        registered_redirect: setup.registered_redirect,
        ..Fix::default()
    };
    if reached(goal, original) {
        return fixed(request.clone(), setup.clone(), Vec::new());
    }
    let mut candidates = candidates(profile, request, explanation);
    if goal == Goal::NoError {
        // these change what the app asks for, not whether the provider accepts it
        candidates.retain(|e| !matches!(e, Edit::RequestOffline | Edit::ForceConsent));
    }
    for size in 1..=candidates.len() {
        for set in combinations(&candidates, size) {
            let (request, changes) = apply(profile, request, &set, explanation);
            let setup = setup_for(setup, &set, &request);
            if reached(goal, &predict(profile, &setup, &request.pairs(), Depth::Grants)) {
                return fixed(request, setup, changes);
            }
        }
    }
    Fix {
        goal,
        reason: Some(no_fix_reason(request, original)),
        ..Fix::default()
    }
}

fn no_fix_reason(request: &AuthRequest, original: &Prediction) -> String {
    let missing: Vec<&str> = ["client_id", "redirect_uri", "scope"]
        .into_iter()
        .filter(|p| request.get(p).is_none_or(str::is_empty))
        .collect();
    if !missing.is_empty() {
        return format!(
            "the request lacks {}; only you know the right value",
            missing.join(", ")
        );
    }
    let error = original
        .first_grant
        .error_description
        .clone()
        .or(original.first_grant.error.clone());
    match error {
        Some(error) => format!("no change to the refresh-token parameters gets past the provider's error: {error}"),
        None => {
            "no change to the refresh-token parameters makes the model return a refresh_token on every grant".into()
        }
    }
}

/// The edits that could matter for this request, as the engine explained it.
fn candidates(profile: &Profile, request: &AuthRequest, explanation: &Explanation) -> Vec<Edit> {
    let mut edits = Vec::new();
    if explanation.force().is_some_and(|(name, _)| request.has(name)) {
        edits.push(Edit::DropApprovalPrompt);
    }
    if profile.consent.forced_by_prompt_consent && !explanation.prompt_forces_consent() {
        edits.push(Edit::ForceConsent);
    }
    if explanation.asks_offline() != Some(true) {
        edits.push(Edit::RequestOffline);
    }
    if request.get("response_type") != Some("code") {
        edits.push(Edit::ResponseTypeCode);
    }
    if explanation.has(Rule::PkceMethod) || explanation.has(Rule::PkceChallengeMissing) {
        edits.push(Edit::FixChallengeMethod);
    }
    let redirect = request.get("redirect_uri").unwrap_or_default();
    if profile.authorize.is_oob(redirect) {
        edits.push(Edit::LoopbackRedirect);
    }
    if request.noted(|n| matches!(n, super::input::InputNote::DoubleEncoded { name } if name == "redirect_uri")) {
        edits.push(Edit::DecodeRedirect);
    }
    if explanation.has(Rule::RejectedScope) {
        edits.push(Edit::DropRejectedScopes);
    }
    if request.noted(|n| matches!(n, super::input::InputNote::Whitespace { .. })) {
        edits.push(Edit::TrimWhitespace);
    }
    edits.sort();
    edits
}

/// The prompt value that forces consent: the values the engine did not refuse kept, `none`
/// dropped (it forbids any screen), `consent` added.
fn forced_prompt_value(prompt: Option<&str>, refused: &[&str]) -> String {
    let mut tokens: Vec<&str> = Vec::new();
    for token in prompt.unwrap_or_default().split_whitespace() {
        let keep = token != "none" && !refused.contains(&token);
        if keep && !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    if !tokens.contains(&"consent") {
        tokens.push("consent");
    }
    tokens.join(" ")
}

fn scope_has(request: &AuthRequest, scope: &str) -> bool {
    request
        .get("scope")
        .is_some_and(|s| s.split_whitespace().any(|t| t == scope))
}

fn combinations(items: &[Edit], size: usize) -> Vec<Vec<Edit>> {
    if size == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for (i, first) in items.iter().enumerate() {
        for mut rest in combinations(&items[i + 1..], size - 1) {
            rest.insert(0, *first);
            out.push(rest);
        }
    }
    out
}

/// Sets the first `name` to `value` in place (dropping repeats), or appends it.
pub(super) fn set(params: &mut Vec<Param>, name: &str, value: &str) {
    if !replace(params, name, Param::new(name, value)) {
        params.push(Param::new(name, value));
    }
}

/// Puts `by` in place of the first `name` and drops its repeats; whether there was one.
fn replace(params: &mut Vec<Param>, name: &str, by: Param) -> bool {
    let mut by = Some(by);
    let mut found = false;
    params.retain_mut(|p| {
        if p.name != name {
            return true;
        }
        let first = !found;
        found = true;
        if let Some(by) = by.take() {
            *p = by;
        }
        first
    });
    found
}

/// Applies a set of edits; returns the fixed request and what changed. `known`: the engine's
/// explanation of the request (the `prompt` values it refused, which forcing consent drops;
/// the legacy force parameter, which `DropApprovalPrompt` removes).
pub fn apply(
    profile: &Profile,
    request: &AuthRequest,
    edits: &[Edit],
    known: &Explanation,
) -> (AuthRequest, Vec<Change>) {
    let mut params = request.params.clone();
    let mut changes = Vec::new();
    let shown = |name: &str| request.get(name).map(str::to_string);
    let refused = known.refused_prompt_values();
    let refused = refused.as_slice();
    let force = known.force().map_or("", |(name, _)| name);
    // the legacy force parameter → prompt=consent in place: one change, as a person would write it
    let swap =
        edits.contains(&Edit::DropApprovalPrompt) && edits.contains(&Edit::ForceConsent) && !request.has("prompt");
    for edit in edits {
        let description = match edit {
            Edit::DropApprovalPrompt if swap => {
                let value = forced_prompt_value(None, refused);
                replace(&mut params, force, Param::new("prompt", &value));
                changes.push(Change {
                    edits: vec![Edit::DropApprovalPrompt, Edit::ForceConsent],
                    description: format!("{force}={} → prompt={value}", shown(force).unwrap_or_default()),
                });
                continue;
            }
            Edit::ForceConsent if swap => continue,
            Edit::DropApprovalPrompt => {
                params.retain(|p| p.name != force);
                format!("remove {force}={}", shown(force).unwrap_or_default())
            }
            Edit::ForceConsent => {
                let value = forced_prompt_value(request.get("prompt"), refused);
                set(&mut params, "prompt", &value);
                match shown("prompt") {
                    Some(old) => format!("prompt={} → prompt={value}", old.escape_debug()),
                    None => format!("add prompt={value}"),
                }
            }
            Edit::RequestOffline => match profile.refresh_token.requires {
                OfflineRequest::AccessTypeOffline => {
                    set(&mut params, "access_type", "offline");
                    match shown("access_type") {
                        Some(old) => format!("access_type={old} → access_type=offline"),
                        None => "add access_type=offline".to_string(),
                    }
                }
                OfflineRequest::OfflineAccessScope => {
                    let scope = shown("scope").unwrap_or_default();
                    let value = if scope.trim().is_empty() {
                        "offline_access".to_string()
                    } else {
                        format!("{scope} offline_access")
                    };
                    set(&mut params, "scope", &value);
                    "add offline_access to scope".to_string()
                }
            },
            Edit::ResponseTypeCode => {
                set(&mut params, "response_type", "code");
                match shown("response_type") {
                    Some(old) => format!("response_type={old} → response_type=code"),
                    None => "add response_type=code".to_string(),
                }
            }
            Edit::FixChallengeMethod => {
                let old = shown("code_challenge_method").unwrap_or_default();
                if request.has("code_challenge") {
                    let methods = &profile.authorize.code_challenge_methods;
                    let method = (methods.iter().find(|m| *m == "S256").or(methods.first()))
                        .cloned()
                        .unwrap_or_default();
                    set(&mut params, "code_challenge_method", &method);
                    format!(
                        "code_challenge_method={old} → code_challenge_method={method} (with a matching code_challenge)"
                    )
                } else {
                    params.retain(|p| p.name != "code_challenge_method");
                    format!("remove code_challenge_method={old} (no code_challenge is sent)")
                }
            }
            Edit::LoopbackRedirect => {
                set(&mut params, "redirect_uri", LOOPBACK_REDIRECT);
                format!(
                    "redirect_uri={} → {LOOPBACK_REDIRECT} (listen on a free port, http://127.0.0.1:PORT, and register it)",
                    shown("redirect_uri").unwrap_or_default()
                )
            }
            Edit::DecodeRedirect => {
                let value = shown("redirect_uri").unwrap_or_default();
                let decoded = percent_encoding::percent_decode_str(&value)
                    .decode_utf8_lossy()
                    .into_owned();
                set(&mut params, "redirect_uri", &decoded);
                "redirect_uri: remove the second layer of percent-encoding".to_string()
            }
            Edit::DropRejectedScopes => {
                let rejected = &profile.authorize.rejected_scopes;
                let scope = params
                    .iter()
                    .find(|p| p.name == "scope")
                    .map(|p| p.value.clone())
                    .unwrap_or_default();
                let (dropped, kept): (Vec<&str>, Vec<&str>) =
                    scope.split_whitespace().partition(|s| rejected.iter().any(|r| r == s));
                set(&mut params, "scope", &kept.join(" "));
                format!("remove {} from scope", dropped.join(", "))
            }
            Edit::TrimWhitespace => {
                for param in params.iter_mut() {
                    let (name, value) = (param.name.trim(), param.value.trim());
                    if name != param.name || value != param.value {
                        *param = Param::new(name, value);
                    }
                }
                "remove the whitespace around parameter names and values (join the URL's lines without indentation)"
                    .to_string()
            }
        };
        changes.push(Change {
            edits: vec![*edit],
            description,
        });
    }
    (request.with_params(params), changes)
}

/// The client registration the fixed request needs.
fn setup_for(setup: &ClientSetup, edits: &[Edit], fixed: &AuthRequest) -> ClientSetup {
    let mut next = setup.clone();
    // the redirect URI the developer registered is the fixed one (a spaced name hid it)
    if edits.contains(&Edit::LoopbackRedirect)
        || edits.contains(&Edit::DecodeRedirect)
        || edits.contains(&Edit::TrimWhitespace)
    {
        next.registered_redirect = fixed.get("redirect_uri").map(str::to_string);
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::endpoints::ProviderEndpoints;
    use crate::provider::{ClientKind, PublishingStatus, Registry};

    fn fix_for(url: &str) -> Fix {
        let profile = Arc::new(Registry::builtin().load("google").unwrap());
        let request = AuthRequest::from_pasted(url, &ProviderEndpoints::for_profile(&profile)).unwrap();
        let setup = ClientSetup {
            client_id: "c".into(),
            kind: ClientKind::Web,
            status: PublishingStatus::Production,
            registered_redirect: Some("https://a.example/cb".into()),
        };
        let original = predict(&profile, &setup, &request.pairs(), Depth::Grants);
        let explanation = super::super::explain::explain(&profile, &setup, &request);
        find(&profile, &setup, &request, &original, &explanation)
    }

    #[test]
    fn approval_prompt_force_is_replaced_by_prompt_consent() {
        let fix = fix_for(
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=c&redirect_uri=https://a.example/cb&response_type=code&scope=email&access_type=offline&approval_prompt=force",
        );
        let edits: Vec<Vec<Edit>> = fix.changes.iter().map(|c| c.edits.clone()).collect();
        assert_eq!(edits, [vec![Edit::DropApprovalPrompt, Edit::ForceConsent]]);
        assert_eq!(fix.changes[0].description, "approval_prompt=force → prompt=consent");
        assert_eq!(
            fix.url.as_deref(),
            Some(
                "https://accounts.google.com/o/oauth2/v2/auth?client_id=c&redirect_uri=https://a.example/cb&response_type=code&scope=email&access_type=offline&prompt=consent"
            )
        );
        assert!(fix.verified.unwrap().every_grant());
    }

    #[test]
    fn a_conflict_needs_only_approval_prompt_removed() {
        let fix = fix_for(
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=c&redirect_uri=https://a.example/cb&response_type=code&scope=email&access_type=offline&prompt=consent&approval_prompt=force",
        );
        let edits: Vec<Vec<Edit>> = fix.changes.iter().map(|c| c.edits.clone()).collect();
        assert_eq!(edits, [vec![Edit::DropApprovalPrompt]]);
    }

    #[test]
    fn a_missing_client_id_has_no_fix() {
        let fix = fix_for(
            "https://accounts.google.com/o/oauth2/v2/auth?redirect_uri=https://a.example/cb&response_type=code&scope=email",
        );
        assert_eq!(fix.url, None);
        assert!(fix.reason.unwrap().contains("client_id"));
    }
}
