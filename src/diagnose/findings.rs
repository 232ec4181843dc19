//! Findings: the explanation layer over the model's prediction. Each rule reads the request,
//! the profile's data and what the model predicted, and says what it means, what to change
//! and where the rule comes from. A finding is a *cause* when its edit is part of the fix the
//! model verified, or when it explains the error the model answered with.

use std::collections::BTreeSet;

use serde::Serialize;

use super::catalogue::{Severity, entry};
use super::diagnosis::Observed;
use super::diagnosis::{StatusFrom, Symptom};
use super::endpoints::{ProviderEndpoints, is_loopback};
use super::fix::{Edit, Fix, forces_consent};
use super::input::{AuthRequest, InputNote};
use super::predict::{GrantPrediction, Prediction};
use super::redirect::registration_problem;
use crate::provider::{ClientKind, OfflineRequest, Profile, PublishingStatus};

/// One finding, as reported. The first five fields are DESIGN.md's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub fix: String,
    pub source: String,
    /// The catalogue name (`approval-prompt-ignored`).
    pub name: &'static str,
    /// This finding explains the predicted outcome (an error, or a missing refresh_token).
    pub cause: bool,
    /// This finding explains the symptom the report describes (`--symptom`, or a pasted response).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub symptom: bool,
    /// The HAR entry it points at (1-based), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<usize>,
}

/// Everything the rules read.
pub struct Facts<'a> {
    pub profile: &'a Profile,
    pub endpoints: &'a ProviderEndpoints,
    pub request: &'a AuthRequest,
    pub client_kind: ClientKind,
    pub status: PublishingStatus,
    pub prediction: &'a Prediction,
    pub fix: &'a Fix,
    pub observed: &'a Observed,
    pub symptom: Option<Symptom>,
    pub status_from: StatusFrom,
    /// The prediction in Testing status, when the status is unknown and a refresh fails.
    pub if_testing: Option<&'a Prediction>,
}

/// A finding before it is ranked.
struct Draft {
    code: &'static str,
    message: String,
    fix: Option<String>,
    /// Fix edits that address it.
    edits: Vec<Edit>,
    /// The provider error (code, description) it explains.
    explains: Option<(String, String)>,
    cause: bool,
    symptom: bool,
    entry: Option<usize>,
    source: Option<String>,
}

impl Draft {
    fn new(code: &'static str, message: String) -> Self {
        Self {
            code,
            message,
            fix: None,
            edits: Vec::new(),
            explains: None,
            cause: false,
            symptom: false,
            entry: None,
            source: None,
        }
    }
    /// Explains the reported symptom (and so is a cause of it).
    fn symptom(mut self) -> Self {
        self.symptom = true;
        self.cause = true;
        self
    }
    fn source(mut self, source: String) -> Self {
        self.source = Some(source);
        self
    }
    fn fix(mut self, fix: String) -> Self {
        self.fix = Some(fix);
        self
    }
    fn edits(mut self, edits: &[Edit]) -> Self {
        self.edits = edits.to_vec();
        self
    }
    fn explains(mut self, error: &str, description: String) -> Self {
        self.explains = Some((error.to_string(), description));
        self
    }
    fn cause(mut self) -> Self {
        self.cause = true;
        self
    }
    fn entry(mut self, entry: usize) -> Self {
        self.entry = Some(entry);
        self
    }
}

/// Every finding for the facts, ranked: causes first, then by severity, then by code.
pub fn evaluate(facts: &Facts) -> Vec<Finding> {
    let mut drafts = Vec::new();
    input_rules(facts, &mut drafts);
    required_rules(facts, &mut drafts);
    approval_prompt_rules(facts, &mut drafts);
    prompt_rules(facts, &mut drafts);
    offline_rules(facts, &mut drafts);
    flow_rules(facts, &mut drafts);
    pkce_rules(facts, &mut drafts);
    redirect_rules(facts, &mut drafts);
    endpoint_rules(facts, &mut drafts);
    token_rules(facts, &mut drafts);
    symptom_rules(facts, &mut drafts);
    observed_rules(
        facts,
        &drafts
            .iter()
            .filter(|d| is_cause(d, facts))
            .map(|d| d.code)
            .collect::<Vec<_>>(),
        &mut drafts,
    );
    let mut findings: Vec<Finding> = drafts.into_iter().map(|d| finish(d, facts)).collect();
    findings
        .sort_by(|a, b| (!a.symptom, !a.cause, a.severity, a.code).cmp(&(!b.symptom, !b.cause, b.severity, b.code)));
    findings
}

/// A finding made without a request (for a pasted response or error page).
pub fn standalone(code: &'static str, message: String, fix: Option<String>, cause: bool, symptom: bool) -> Finding {
    let info = entry(code);
    Finding {
        code: info.code,
        severity: info.severity,
        message,
        fix: fix.unwrap_or_else(|| info.fix.to_string()),
        source: info.source_line(),
        name: info.name,
        cause: cause || symptom,
        symptom,
        entry: None,
    }
}

fn is_cause(draft: &Draft, facts: &Facts) -> bool {
    let by_edit = draft.edits.iter().any(|e| facts.fix.has(*e));
    let by_error = draft.explains.as_ref().is_some_and(|(error, description)| {
        [&facts.prediction.first_grant, &facts.prediction.repeat_grant]
            .iter()
            .any(|g| {
                g.error.as_deref() == Some(error.as_str())
                    && (description.is_empty() || g.error_description.as_deref().unwrap_or_default() == description)
            })
    });
    draft.cause || by_edit || by_error
}

fn finish(draft: Draft, facts: &Facts) -> Finding {
    let cause = is_cause(&draft, facts);
    let info = entry(draft.code);
    Finding {
        code: info.code,
        severity: info.severity,
        message: draft.message,
        fix: draft.fix.unwrap_or_else(|| info.fix.to_string()),
        source: draft.source.unwrap_or_else(|| info.source_line()),
        name: info.name,
        cause,
        symptom: draft.symptom,
        entry: draft.entry,
    }
}

fn prompt_tokens(request: &AuthRequest) -> Vec<&str> {
    request
        .get("prompt")
        .map(|p| p.split_whitespace().collect())
        .unwrap_or_default()
}

fn scope_has(request: &AuthRequest, scope: &str) -> bool {
    request
        .get("scope")
        .is_some_and(|s| s.split_whitespace().any(|t| t == scope))
}

fn response_type_has_code(request: &AuthRequest) -> bool {
    request
        .get("response_type")
        .is_none_or(|t| t.split_whitespace().any(|v| v == "code"))
}

/// Whether the request asks for offline access in the profile's terms (installed default included).
fn offline_requested(facts: &Facts) -> bool {
    let request = facts.request;
    match facts.profile.refresh_token.requires {
        OfflineRequest::AccessTypeOffline => match request.get("access_type") {
            Some(value) => value == "offline",
            None => facts.client_kind == ClientKind::Installed && facts.profile.authorize.installed_default_offline,
        },
        OfflineRequest::OfflineAccessScope => scope_has(request, "offline_access"),
    }
}

fn approval_prompt_forces(facts: &Facts) -> bool {
    facts.request.get("approval_prompt") == Some("force")
        && !facts.request.has("prompt")
        && facts
            .profile
            .authorize
            .legacy_force
            .as_ref()
            .is_some_and(|a| a.forces_consent)
}

fn input_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let mut seen = BTreeSet::new();
    for note in &facts.request.notes {
        let draft = match note {
            InputNote::Secret { name } => Draft::new(
                "OD194",
                format!(
                    "`{name}` is in the authorization URL, which passes through the browser; its value is redacted here"
                ),
            ),
            InputNote::DecodedWhole { times } => Draft::new(
                "OD190",
                format!("the pasted URL was percent-encoded as a whole ({times}×); diagnosed the decoded URL"),
            ),
            InputNote::DecodedQuery => Draft::new(
                "OD190",
                "the query string was percent-encoded as a whole; diagnosed it decoded".into(),
            ),
            InputNote::Duplicate { name } => Draft::new(
                "OD191",
                format!(
                    "`{name}` is sent more than once; the model reads the first ({name}={})",
                    facts.request.get(name).unwrap_or_default()
                ),
            ),
            InputNote::DoubleEncoded { name } if name != "redirect_uri" => Draft::new(
                "OD192",
                format!(
                    "`{name}` still holds %-escapes after decoding ({}): it was encoded twice",
                    facts.request.get(name).unwrap_or_default()
                ),
            ),
            InputNote::LineBreak { name } => Draft::new(
                "OD193",
                format!(
                    "`{name}` holds a line break ({:?}): the URL was wrapped where it was built",
                    facts.request.get(name).unwrap_or_default()
                ),
            )
            .edits(&[Edit::ForceConsent]),
            InputNote::Whitespace { name } => {
                let trimmed = name.trim();
                let message = if trimmed != name && !trimmed.is_empty() {
                    format!(
                        "the parameter name `{}` has whitespace around it: the provider sees no `{trimmed}` (a URL broken over indented lines in code sends the indentation)",
                        name.escape_debug()
                    )
                } else {
                    format!(
                        "`{}` has whitespace around its value ({:?}): the indentation of the next line is part of it",
                        name.escape_debug(),
                        facts.request.get(name).unwrap_or_default()
                    )
                };
                Draft::new("OD195", message).edits(&[Edit::TrimWhitespace])
            }
            _ => continue,
        };
        if seen.insert((draft.code, draft.message.clone())) {
            out.push(draft);
        }
    }
}

fn required_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let errors = &facts.profile.errors;
    for name in &facts.profile.authorize.required {
        if facts.request.get(name).is_none_or(str::is_empty) {
            let spec = if name == "response_type" {
                &errors.missing_response_type
            } else {
                &errors.missing_param
            };
            let mut draft = Draft::new(
                "OD121",
                format!(
                    "`{name}` is missing: {} answers \"{}\"",
                    facts.endpoints.provider,
                    spec.describe(name, "")
                ),
            )
            .fix(format!("Send {name}."))
            .explains(&spec.error, spec.describe(name, ""));
            if name == "response_type" {
                draft = draft
                    .edits(&[Edit::ResponseTypeCode])
                    .fix("Send response_type=code.".into());
            }
            out.push(draft);
        }
    }
}

fn approval_prompt_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let Some(value) = facts.request.get("approval_prompt") else {
        return;
    };
    let errors = &facts.profile.errors;
    let Some(rules) = &facts.profile.authorize.legacy_force else {
        out.push(
            Draft::new(
                "OD103",
                format!(
                    "approval_prompt={value} is not a parameter of `{}`: it is ignored and forces nothing",
                    facts.endpoints.provider
                ),
            )
            .edits(&[Edit::DropApprovalPrompt, Edit::ForceConsent]),
        );
        return;
    };
    if facts.request.has("prompt") && rules.conflicts_with_prompt {
        out.push(
            Draft::new(
                "OD101",
                format!(
                    "approval_prompt={value} and prompt={} are sent together: the first grant already fails with \"{}\"",
                    facts.request.get("prompt").unwrap_or_default(),
                    errors.conflict_params.describe("", "")
                ),
            )
            .fix(if forces_consent(facts.profile, facts.request.get("prompt")) {
                "Remove approval_prompt; prompt already forces consent.".into()
            } else {
                "Remove approval_prompt and send prompt=consent.".into()
            })
            .edits(&[Edit::DropApprovalPrompt])
            .explains(&errors.conflict_params.error, errors.conflict_params.describe("", "")),
        );
        return;
    }
    if !rules.accepted.iter().any(|v| v == value) {
        let description = errors.invalid_value.describe("approval_prompt", value);
        out.push(
            Draft::new(
                "OD102",
                format!("approval_prompt={value} is rejected: \"{description}\""),
            )
            .edits(&[Edit::DropApprovalPrompt])
            .explains(&errors.invalid_value.error, description),
        );
        return;
    }
    if value == "force" && rules.forces_consent {
        out.push(Draft::new(
            "OD104",
            format!(
                "approval_prompt=force still forces consent on `{}`, but not on today's /o/oauth2/v2/auth",
                facts.endpoints.provider
            ),
        ));
    } else if value == "force" {
        out.push(
            Draft::new(
                "OD103",
                format!(
                    "approval_prompt=force is accepted but ignored on `{}`: the repeat grant skips the consent screen and returns no refresh_token",
                    facts.endpoints.provider
                ),
            )
            .fix("Replace approval_prompt=force with prompt=consent.".into())
            .edits(&[Edit::DropApprovalPrompt, Edit::ForceConsent]),
        );
    }
}

fn prompt_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let Some(prompt) = facts.request.get("prompt") else {
        return;
    };
    let authorize = &facts.profile.authorize;
    let errors = &facts.profile.errors;
    let tokens = prompt_tokens(facts.request);
    let known = |t: &&str| {
        authorize
            .prompt_values
            .iter()
            .chain(&authorize.prompt_tolerated)
            .any(|v| v == t)
    };
    let invalid: Vec<&str> = tokens.iter().copied().filter(|t| !known(t)).collect();
    if let Some(first) = invalid.first() {
        let description = errors.invalid_prompt.describe("prompt", first);
        let line_break = if prompt.contains(['\n', '\r']) {
            " (a line break split it)"
        } else {
            ""
        };
        out.push(
            Draft::new(
                "OD105",
                format!(
                    "prompt={:?} holds {} not accepted by `{}`{line_break}: \"{description}\"",
                    prompt,
                    invalid.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "),
                    facts.endpoints.provider
                ),
            )
            .fix(format!(
                "Send prompt={:?} (space-separated, case-sensitive).",
                fixed_prompt_hint(facts)
            ))
            .edits(&[Edit::ForceConsent])
            .explains(&errors.invalid_prompt.error, description),
        );
        return;
    }
    if tokens.len() > 1 && tokens.contains(&"none") {
        let description = errors.prompt_none_combined.describe("prompt", prompt);
        out.push(
            Draft::new(
                "OD106",
                format!("prompt={prompt:?} combines none with other values: \"{description}\""),
            )
            .edits(&[Edit::ForceConsent])
            .explains(&errors.prompt_none_combined.error, description),
        );
        return;
    }
    let consent = tokens.contains(&"consent");
    if tokens.contains(&"login") && authorize.prompt_tolerated.iter().any(|t| t == "login") {
        let message = if consent {
            "prompt=login is not a documented Google value; the consent value in the same prompt is what forces consent"
                .to_string()
        } else {
            "prompt=login is accepted but does not force the consent screen: a returning user gets no refresh_token"
                .to_string()
        };
        out.push(Draft::new("OD107", message).edits(if consent { &[] } else { &[Edit::ForceConsent] }));
        return;
    }
    if tokens == ["none"] {
        out.push(
            Draft::new(
                "OD108",
                "prompt=none shows no consent screen: a new user gets an error, a returning one no refresh_token"
                    .into(),
            )
            .edits(&[Edit::ForceConsent])
            .explains(&errors.consent_required.error, errors.consent_required.describe("", "")),
        );
        return;
    }
    if tokens.contains(&"select_account") && !consent {
        out.push(
            Draft::new("OD109", "prompt=select_account shows the account chooser, not the consent screen: repeat grants return no refresh_token".into())
                .fix("Send prompt=\"select_account consent\".".into())
                .edits(&[Edit::ForceConsent]),
        );
    }
}

fn fixed_prompt_hint(facts: &Facts) -> String {
    facts
        .fix
        .request
        .as_ref()
        .and_then(|r| r.get("prompt"))
        .unwrap_or("consent")
        .to_string()
}

fn offline_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let request = facts.request;
    let profile = facts.profile;
    let errors = &profile.errors;
    let offline = offline_requested(facts);
    match profile.refresh_token.requires {
        OfflineRequest::AccessTypeOffline => {
            let access_type = request.get("access_type");
            if let Some(value) = access_type.filter(|v| !profile.authorize.access_types.iter().any(|a| a == *v)) {
                let description = errors.invalid_value.describe("access_type", value);
                out.push(
                    Draft::new("OD111", format!("access_type={value} is rejected: \"{description}\""))
                        .edits(&[Edit::RequestOffline])
                        .explains(&errors.invalid_value.error, description),
                );
            } else if !offline {
                let what = match access_type {
                    Some(value) => format!("access_type={value}"),
                    None => "access_type is missing (online is the default for web clients)".into(),
                };
                out.push(
                    Draft::new("OD110", format!("{what}: no grant returns a refresh_token"))
                        .edits(&[Edit::RequestOffline]),
                );
            }
        }
        OfflineRequest::OfflineAccessScope => {
            let needs_consent = profile.refresh_token.offline_access_needs_prompt_consent
                && !prompt_tokens(request).contains(&"consent");
            if !offline {
                out.push(
                    Draft::new(
                        "OD110",
                        "the offline_access scope is missing: no grant returns a refresh_token".into(),
                    )
                    .fix("Add offline_access to scope.".into())
                    .edits(&[Edit::RequestOffline]),
                );
            }
            if needs_consent {
                let message = if offline {
                    "offline_access without prompt=consent is dropped silently: no grant returns a refresh_token"
                } else {
                    "once offline_access is requested, it also needs prompt=consent, or it is dropped silently"
                };
                out.push(Draft::new("OD115", message.into()).edits(&[Edit::ForceConsent]));
            }
        }
    }
    let rejected: Vec<&str> = profile
        .authorize
        .rejected_scopes
        .iter()
        .map(String::as_str)
        .filter(|r| scope_has(request, r))
        .collect();
    if !rejected.is_empty()
        && let Some(spec) = &errors.invalid_scope
    {
        let how = match profile.refresh_token.requires {
            OfflineRequest::AccessTypeOffline => "; offline access is asked for with access_type=offline",
            OfflineRequest::OfflineAccessScope => "",
        };
        out.push(
            Draft::new(
                "OD114",
                format!(
                    "scope holds {}, which `{}` refuses: {} {} \"{}\"{how}",
                    rejected.join(", "),
                    facts.endpoints.provider,
                    spec.status,
                    spec.error,
                    spec.describe("scope", "{valid=[…], invalid=[…]}")
                ),
            )
            .fix(format!(
                "Remove {} from scope{}.",
                rejected.join(", "),
                if how.is_empty() {
                    ""
                } else {
                    " and send access_type=offline"
                }
            ))
            .edits(&[Edit::DropRejectedScopes])
            .explains(&spec.error, String::new()),
        );
    }
    // the generic "nothing forces consent" rule, when no more specific prompt finding said it
    let specific = out.iter().any(|d| {
        matches!(
            d.code,
            "OD101" | "OD103" | "OD105" | "OD106" | "OD107" | "OD108" | "OD109" | "OD115"
        )
    });
    let forced = forces_consent(profile, request.get("prompt")) || approval_prompt_forces(facts);
    if profile.refresh_token.only_when_consent_shown && !forced && !specific && response_type_has_code(request) {
        let message = if offline && request.get("access_type") == Some("offline") {
            "access_type=offline without prompt=consent: only the first grant returns a refresh_token".to_string()
        } else if offline {
            "installed clients are offline by default, but without prompt=consent only the first grant returns a refresh_token".to_string()
        } else {
            "nothing forces the consent screen: even with offline access, only the first grant would return a refresh_token".to_string()
        };
        out.push(Draft::new("OD112", message).edits(&[Edit::ForceConsent]));
    }
}

fn flow_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let request = facts.request;
    if let Some(response_type) = request.get("response_type").filter(|t| !t.is_empty())
        && !response_type.split_whitespace().any(|t| t == "code")
    {
        let offline = if request.get("access_type") == Some("offline") {
            " (access_type=offline has no effect)"
        } else {
            ""
        };
        out.push(
            Draft::new(
                "OD120",
                format!("response_type={response_type} returns tokens in the redirect, never a refresh_token{offline}"),
            )
            .edits(&[Edit::ResponseTypeCode]),
        );
    }
    if facts.client_kind == ClientKind::Installed && request.has("include_granted_scopes") {
        out.push(Draft::new(
            "OD122",
            format!(
                "include_granted_scopes={} on an installed client, where incremental authorization is not supported",
                request.get("include_granted_scopes").unwrap_or_default()
            ),
        ));
    }
}

fn pkce_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let request = facts.request;
    let authorize = &facts.profile.authorize;
    let errors = &facts.profile.errors;
    let method = request.get("code_challenge_method");
    let challenge = request.get("code_challenge");
    if let Some(method) = method {
        if !authorize.code_challenge_methods.iter().any(|m| m == method) {
            let description = errors.invalid_value.describe("code_challenge_method", method);
            out.push(
                Draft::new(
                    "OD130",
                    format!(
                        "code_challenge_method={method} is rejected (methods: {}): \"{description}\"",
                        authorize.code_challenge_methods.join(", ")
                    ),
                )
                .edits(&[Edit::FixChallengeMethod])
                .explains(&errors.invalid_value.error, description),
            );
            return;
        }
        if challenge.is_none() {
            let description = errors.missing_code_challenge.describe("code_challenge", "");
            out.push(
                Draft::new(
                    "OD132",
                    format!("code_challenge_method={method} without code_challenge: \"{description}\""),
                )
                .edits(&[Edit::FixChallengeMethod])
                .explains(&errors.missing_code_challenge.error, description),
            );
            return;
        }
    }
    if challenge.is_some() {
        let effective = method.unwrap_or(&authorize.default_code_challenge_method);
        if effective == "plain" {
            let how = if method.is_some() {
                "code_challenge_method=plain".to_string()
            } else {
                "no code_challenge_method (plain by default)".to_string()
            };
            out.push(Draft::new(
                "OD131",
                format!("PKCE with {how}: the challenge is the verifier itself"),
            ));
        }
    }
}

fn redirect_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let request = facts.request;
    let errors = &facts.profile.errors;
    let Some(redirect) = request.get("redirect_uri").filter(|r| !r.is_empty()) else {
        return;
    };
    if facts.profile.authorize.is_oob(redirect) {
        if facts.profile.authorize.oob_blocked {
            let description = errors.oob_blocked.describe("redirect_uri", redirect);
            out.push(
                Draft::new(
                    "OD140",
                    format!("redirect_uri={redirect} is the retired out-of-band flow: \"{description}\""),
                )
                .edits(&[Edit::LoopbackRedirect])
                .explains(&errors.oob_blocked.error, description),
            );
        }
        return;
    }
    if request.noted(|n| matches!(n, InputNote::DoubleEncoded { name } if name == "redirect_uri")) {
        let description = errors.redirect_uri_mismatch.describe("redirect_uri", redirect);
        out.push(
            Draft::new(
                "OD143",
                format!("redirect_uri is encoded twice: the provider sees {redirect}, which matches no registered URI"),
            )
            .edits(&[Edit::DecodeRedirect])
            .explains(&errors.redirect_uri_mismatch.error, description),
        );
        return;
    }
    if let Some(page) = &facts.observed.error_page
        && page.error == errors.redirect_uri_mismatch.error
    {
        let description = errors.redirect_uri_mismatch.describe("redirect_uri", redirect);
        out.push(
            Draft::new(
                "OD145",
                format!(
                    "Google's error page says {}: redirect_uri={redirect} is not registered for this client (the URL alone cannot show that; the page does)",
                    page.error
                ),
            )
            .explains(&errors.redirect_uri_mismatch.error, description),
        );
        return;
    }
    if facts.profile.authorize.is_special_redirect(redirect) {
        out.push(Draft::new(
            "OD144",
            format!(
                "redirect_uri={redirect} is a special value the provider's own JavaScript sign-in library sends, not a registered URI; the code must be exchanged with redirect_uri={}",
                if redirect == "postmessage" || redirect.starts_with("storagerelay") { "postmessage" } else { redirect }
            ),
        ));
        return;
    }
    if let Some(problem) = registration_problem(&facts.profile.authorize, redirect) {
        out.push(Draft::new(
            "OD142",
            format!(
                "redirect_uri={redirect} breaks today's registration rules ({problem}): a client that registered it earlier keeps it, a new one cannot register it (then: redirect_uri_mismatch); diagnosed as registered"
            ),
        ));
        return;
    }
    let host = url::Url::parse(redirect)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    if facts.client_kind == ClientKind::Installed && is_loopback(&host) {
        out.push(Draft::new(
            "OD141",
            format!("redirect_uri={redirect} is a loopback address: supported for desktop clients, blocked for iOS, Android and Chrome app clients"),
        ));
    }
}

fn endpoint_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let request = facts.request;
    let mut named = BTreeSet::new();
    if let Some(legacy) = facts.endpoints.legacy(&request.host, &request.path)
        && named.insert(legacy.path.as_str())
    {
        out.push(
            Draft::new(
                "OD150",
                format!(
                    "{} is the legacy authorization endpoint; the model predicts today's {}",
                    request.endpoint, legacy.replacement
                ),
            )
            .fix(format!("Use {}.", legacy.replacement)),
        );
    }
    let Some(har) = &facts.observed.har else { return };
    for used in &har.legacy {
        if named.insert(used.legacy.path.as_str()) {
            out.push(
                Draft::new(
                    "OD150",
                    format!("HAR entry #{} calls the legacy endpoint {}", used.entry, used.endpoint),
                )
                .fix(format!("Use {}.", used.legacy.replacement))
                .entry(used.entry),
            );
        }
    }
    let get_allowed = facts.profile.endpoints.revoke_methods.iter().any(|m| m == "GET");
    for revoke in &har.revokes {
        let legacy = har.legacy.iter().any(|l| l.entry == revoke.entry);
        if revoke.method == "GET" && !get_allowed && !legacy {
            out.push(
                Draft::new(
                    "OD151",
                    format!(
                        "HAR entry #{} revokes with GET {} (answered {}); the token was not revoked",
                        revoke.entry, revoke.endpoint, revoke.status
                    ),
                )
                .entry(revoke.entry),
            );
        }
    }
}

fn token_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let verified = facts.fix.offline().verified.as_ref();
    let mints = |p: &Prediction| p.limit.filter(|l| l.first_token_revoked);
    let revoked = facts.symptom == Some(Symptom::RefreshTokenRevoked);
    // the limit is a Google fact (D1); for another provider it is its profile's number
    let limit_source = (!facts.endpoints.is_google()).then(|| {
        format!(
            "the provider profile `{}`: refresh_token.limit_per_user_client = {}",
            facts.endpoints.provider, facts.profile.refresh_token.limit_per_user_client
        )
    });
    let limit_draft = |message: String| {
        let mut draft = Draft::new("OD113", message);
        if let Some(source) = &limit_source {
            draft = draft.source(source.clone());
        }
        if revoked {
            draft = draft.symptom();
        }
        draft
    };
    if let Some(limit) = mints(facts.prediction) {
        out.push(limit_draft(format!(
            "every grant of this request mints a new refresh token; in the model the {} grant revoked the first token (limit {} per user per client)",
            ordinal(limit.limit + 1),
            limit.limit
        )));
    } else if let Some(limit) = verified
        .filter(|_| !facts.fix.offline().changes.is_empty())
        .and_then(mints)
    {
        let which = if facts.fix.alternative.is_some() {
            "with the offline fix"
        } else {
            "with the fix"
        };
        out.push(limit_draft(format!(
            "{which} every grant mints a new refresh token; past {} per user per client the oldest is revoked without warning",
            limit.limit
        )));
    }
    let expires = |g: &GrantPrediction| g.refresh_token_expires_in;
    let testing_expiry =
        expires(&facts.prediction.first_grant).or_else(|| verified.and_then(|v| expires(&v.first_grant)));
    let invalid_grant = facts.symptom.is_some_and(Symptom::is_invalid_grant);
    if facts.status == PublishingStatus::Testing
        && let Some(seconds) = testing_expiry
    {
        let mut draft = Draft::new(
            "OD170",
            format!(
                "the client is in Testing status: refresh tokens for these scopes expire {seconds} s (7 days) after consent"
            ),
        );
        if invalid_grant {
            draft = draft.symptom();
        }
        out.push(draft);
    } else if invalid_grant
        && facts.status_from == StatusFrom::Assumed
        && let Some(seconds) = facts.if_testing.and_then(|p| expires(&p.first_grant))
    {
        out.push(
            Draft::new(
                "OD170",
                format!(
                    "the publishing status is not known: if the OAuth consent screen is External and in Testing, refresh tokens for these scopes expire {seconds} s (7 days) after consent, then refresh answers invalid_grant"
                ),
            )
            .fix("Check the publishing status (Google Auth Platform > Audience, or APIs & Services > OAuth consent screen); if it is Testing, publish the app and authorize again (a token issued in Testing keeps its 7-day expiry). Pass --publishing-status to tell diagnose.".into())
            .symptom(),
        );
    }
    let refreshes: Vec<usize> = facts
        .observed
        .har
        .iter()
        .flat_map(|h| h.refreshes.iter().map(|r| r.entry))
        .collect();
    if let Some(first) = refreshes.first() {
        let rotates = facts
            .prediction
            .refresh
            .or(verified.and_then(|v| v.refresh))
            .map(|r| r.rotates);
        let message = match rotates {
            Some(true) => format!(
                "HAR entry #{first} refreshes: `{}` rotates refresh tokens, store the new one from every refresh response",
                facts.endpoints.provider
            ),
            _ => format!(
                "HAR entry #{first} refreshes: the response has no refresh_token and that is normal (`{}` does not rotate); keep the stored one",
                facts.endpoints.provider
            ),
        };
        let fix = if rotates == Some(true) {
            "Store the refresh_token of every refresh response; the old one stops working.".to_string()
        } else {
            entry("OD160").fix.to_string()
        };
        out.push(Draft::new("OD160", message).fix(fix).entry(*first));
    }
}

/// The causes of a failed refresh the request cannot show, for an invalid_grant or revoked
/// symptom: every lifetime rule of the profile, and how to tell them apart.
fn symptom_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let Some(symptom) = facts.symptom else { return };
    if !(symptom.is_invalid_grant() || symptom == Symptom::RefreshTokenRevoked) {
        return;
    }
    let explained = out.iter().any(|d| d.symptom);
    let message = invalid_grant_causes(facts.profile, symptom);
    let mut draft = Draft::new("OD171", message);
    if !explained {
        draft = draft.symptom();
    }
    out.push(draft);
}

/// The causes of invalid_grant on refresh, with the profile's numbers and how to tell them apart.
pub fn invalid_grant_causes(profile: &Profile, symptom: Symptom) -> String {
    let rules = &profile.refresh_token;
    let mut causes = Vec::new();
    if let Some(seconds) = rules.testing_expiry_seconds {
        causes.push(format!(
            "Testing publishing status: tokens for non-sign-in scopes expire {} days after consent (the token response says refresh_token_expires_in: {seconds})",
            (seconds + 1) / 86_400
        ));
    }
    causes.push(format!(
        "the per-client limit: the {} refresh token for one user and client revokes the oldest (it fails while newer ones work)",
        ordinal(rules.limit_per_user_client + 1)
    ));
    causes.push("revocation: the user removed the app's access (myaccount.google.com/permissions) or the app revoked the token; every token of that grant fails at once".into());
    if let Some(seconds) = rules.unused_expiry_seconds {
        causes.push(format!(
            "not used for {} days: only tokens nobody refreshed in that time",
            seconds / 86_400
        ));
    }
    causes.push("a password change: tokens with Gmail scopes are revoked when the user changes the password".into());
    let lead = match symptom {
        Symptom::InvalidGrantAfterDays => "invalid_grant some days after the grant",
        Symptom::RefreshTokenRevoked => "a refresh token that worked was revoked",
        _ => "invalid_grant on refresh (\"Token has been expired or revoked.\")",
    };
    format!(
        "{lead}: the request cannot show which cause it is; the causes are: {}",
        causes.join("; ")
    )
}

/// English ordinals: 1st, 2nd, 3rd, 11th, 26th, 101st.
pub fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Token responses the user observed without a refresh_token, explained by their request.
fn observed_rules(facts: &Facts, causes: &[&'static str], out: &mut Vec<Draft>) {
    let prediction = facts.prediction;
    let because = |consent: Option<bool>, repeat_in_file: Option<usize>| -> String {
        let pointers = if causes.is_empty() {
            String::new()
        } else {
            format!(" (see {})", causes.join(", "))
        };
        if !prediction.first_grant.refresh_token {
            let error = prediction
                .first_grant
                .error_description
                .as_deref()
                .or(prediction.first_grant.error.as_deref());
            return match error {
                Some(error) => format!("the model answers this request with an error (\"{error}\"){pointers}"),
                None => format!("the model returns no refresh_token for this request on any grant{pointers}"),
            };
        }
        if !prediction.repeat_grant.refresh_token {
            let which = match (repeat_in_file, consent) {
                (Some(entry), _) => format!("a repeat grant (entry #{entry} authorized the same client before)"),
                (None, Some(false)) => "a repeat grant (no consent screen was shown)".to_string(),
                _ => "most likely a repeat grant: the user had authorized this client before".to_string(),
            };
            return format!(
                "the model returns a refresh_token only when the consent screen is shown; this was {which}{pointers}"
            );
        }
        "the model returns a refresh_token on every grant of this request; a response without one is a refresh response (see OD160) or came from another request".to_string()
    };
    if let Some(har) = &facts.observed.har {
        for (index, flow) in har.flows.iter().enumerate() {
            let Some(call) = &flow.exchange else { continue };
            if !call
                .response
                .as_ref()
                .is_some_and(|r| r.access_token && !r.refresh_token)
            {
                continue;
            }
            let earlier = har.flows[..index]
                .iter()
                .filter(|f| f.request.get("client_id") == flow.request.get("client_id"))
                .filter(|f| f.exchange.as_ref().is_some_and(|t| t.status == 200))
                .map(|f| f.authorize_entry)
                .next_back();
            let via = flow
                .callback_entry
                .map(|c| format!(", delivered by the callback in entry #{c}"))
                .unwrap_or_default();
            out.push(
                Draft::new(
                    "OD180",
                    format!(
                        "the token response in HAR entry #{} has no refresh_token: it exchanged the code of the authorization request in entry #{}{via}; {}",
                        call.entry,
                        flow.authorize_entry,
                        because(flow.consent_screen, earlier)
                    ),
                )
                .fix(fix_pointer(facts))
                .cause()
                .entry(call.entry),
            );
        }
    }
    if let Some(response) = &facts.observed.token_response
        && response.access_token
        && !response.refresh_token
        && response.error.is_none()
    {
        out.push(
            Draft::new(
                "OD180",
                format!(
                    "the given token response has no refresh_token; for the diagnosed request {}",
                    because(None, None)
                ),
            )
            .fix(fix_pointer(facts))
            .cause(),
        );
    }
}

fn fix_pointer(facts: &Facts) -> String {
    match (&facts.fix.url, facts.fix.changes.is_empty()) {
        (Some(_), false) => {
            let changes: Vec<&str> = facts.fix.changes.iter().map(|c| c.description.as_str()).collect();
            format!("Use the fixed URL ({}), then authorize again.", changes.join("; "))
        }
        _ => entry("OD180").fix.to_string(),
    }
}
