//! Findings: the explanation layer over the model's prediction. Each rule reads the request,
//! the profile's data and what the model predicted, and says what it means, what to change
//! and where the rule comes from. A finding is a *cause* when its edit is part of the fix the
//! model verified, or when it explains the error the model answered with.

use std::collections::BTreeSet;

use serde::Serialize;

use super::catalogue::{self, Code, FromTrace, Severity, Words, entry_for};
use super::diagnosis::Evidence;
use super::diagnosis::{StatusFrom, Symptom};
use super::endpoints::{ProviderEndpoints, is_loopback};
use super::explain::Explanation;
use super::fix::{Edit, Fix};
use super::input::{AuthRequest, InputNote};
use super::predict::{GrantPrediction, Prediction};
use super::redirect::registration_problem;
use crate::provider::{ClientKind, Decision, Effect, OfflineRequest, Profile, PublishingStatus, Rule};

/// One finding, as reported. The first five fields are DESIGN.md's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
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
    /// The engine's decisions about the request.
    pub explanation: &'a Explanation,
    /// Where the legacy force value stopped forcing consent (`today's /o/oauth2/v2/auth`).
    pub not_forcing: &'a str,
    pub fix: &'a Fix,
    pub observed: &'a Evidence,
    pub symptom: Option<Symptom>,
    pub status_from: StatusFrom,
    /// The prediction in Testing status, when the status is unknown and a refresh fails.
    pub if_testing: Option<&'a Prediction>,
}

/// A finding before it is ranked.
struct Draft {
    code: Code,
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
    fn new(code: Code, message: String) -> Self {
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
    /// Explains the reported symptom (and so is a cause of it), when `explains`.
    fn symptom(mut self, explains: bool) -> Self {
        self.symptom = explains;
        self.cause |= explains;
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
    trace_findings(facts, &mut drafts);
    input_rules(facts, &mut drafts);
    unknown_force_rule(facts, &mut drafts);
    prompt_rules(facts, &mut drafts);
    offline_rules(facts, &mut drafts);
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
    let mut findings: Vec<Finding> = (drafts.into_iter())
        .map(|draft| {
            let cause = is_cause(&draft, facts);
            finding(facts.profile, draft, cause)
        })
        .collect();
    rank(&mut findings);
    findings
}

/// Ranks findings: the reported symptom's explanation first, then causes, then by severity and code.
pub fn rank(findings: &mut [Finding]) {
    findings.sort_by_key(|f| (!f.symptom, !f.cause, f.severity, f.code));
}

/// A finding made without a request (for a pasted response or error page).
pub fn standalone(
    profile: &Profile,
    code: Code,
    message: String,
    fix: Option<String>,
    cause: bool,
    symptom: bool,
) -> Finding {
    let draft = Draft {
        fix,
        symptom,
        ..Draft::new(code, message)
    };
    finding(profile, draft, cause || symptom)
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

/// The finding a draft makes, in `profile`'s words.
fn finding(profile: &Profile, draft: Draft, cause: bool) -> Finding {
    let info = entry_for(profile, draft.code);
    Finding {
        code: info.code,
        severity: info.severity,
        message: draft.message,
        source: draft.source.unwrap_or_else(|| info.source_line()),
        fix: draft.fix.unwrap_or(info.fix),
        name: info.code.name(),
        cause,
        symptom: draft.symptom,
        entry: draft.entry,
    }
}

/// The error a decision of the engine chose: (error code, description).
fn chose(decision: &Decision) -> (String, String) {
    decision
        .error()
        .map(|e| (e.error.clone(), e.description.clone()))
        .unwrap_or_default()
}

/// The findings the catalogue makes from the engine's decisions (`trace:` in
/// catalogue.yaml): for each rule it names, each decision (or the first) gets the first of the
/// rule's mappings whose conditions it meets, its message and fix filled from the decision.
fn trace_findings(facts: &Facts, out: &mut Vec<Draft>) {
    let explanation = facts.explanation;
    let mappings: Vec<(Code, &FromTrace)> = catalogue::from_trace().collect();
    // each rule once, in the order the catalogue first names it
    let mut rules: Vec<Rule> = mappings.iter().map(|(_, m)| m.rule).collect();
    let mut named = BTreeSet::new();
    rules.retain(|rule| named.insert(*rule));
    let words = Words::of(facts.profile);
    for rule in rules {
        let decisions = explanation.of(rule);
        let each = mappings.iter().any(|(_, m)| m.rule == rule && m.each);
        for decision in decisions.into_iter().take(if each { usize::MAX } else { 1 }) {
            let mapping = mappings
                .iter()
                .filter(|(_, m)| m.rule == rule)
                .find(|(_, m)| applies(m, decision, explanation, facts.request));
            let Some((code, mapping)) = mapping else { continue };
            let (error, description) = chose(decision);
            let (param, given) = decision.param.clone().unwrap_or_default();
            let sent = (facts.request.params.iter().rev()).map(|p| (format!("sent.{}", p.name), p.value.clone()));
            let words = words.with(sent).with([
                ("given_quoted", format!("{given:?}")),
                ("param", param),
                ("given", given),
                (
                    "list",
                    decision.value.trim_start_matches('[').trim_end_matches(']').to_string(),
                ),
                ("value", decision.value.clone()),
                ("key", decision.key.to_string()),
                ("source", decision.source.clone()),
                ("error", error.clone()),
                ("description", description.clone()),
                ("profile", facts.endpoints.provider.clone()),
                ("provider", facts.profile.display_name().to_string()),
                ("not_forcing", facts.not_forcing.to_string()),
            ]);
            let mut draft = Draft::new(*code, words.fill(&mapping.message)).edits(&mapping.edits);
            if let Some(fix) = &mapping.fix {
                draft = draft.fix(words.fill(fix));
            }
            if decision.error().is_some() {
                draft = draft.explains(&error, description);
            }
            out.push(draft);
        }
    }
}

/// Whether a mapping's conditions hold for a decision.
fn applies(mapping: &FromTrace, decision: &Decision, explanation: &Explanation, request: &AuthRequest) -> bool {
    let effect = effect_name(&decision.effect);
    let (param, given) = decision.param.clone().unwrap_or_default();
    !mapping.unless.iter().any(|rule| explanation.has(*rule))
        && mapping.param.as_ref().is_none_or(|p| *p == param)
        && mapping.given.as_ref().is_none_or(|g| *g == given)
        && (mapping.given_has.as_ref()).is_none_or(|g| given.split_whitespace().any(|t| t == g))
        && (mapping.given_lacks.as_ref()).is_none_or(|g| !given.split_whitespace().any(|t| t == g))
        && (mapping.sent.iter()).all(|(name, value)| request.get(name) == Some(value.as_str()))
        && mapping.value.as_ref().is_none_or(|v| *v == decision.value)
        && mapping.effect.as_deref().is_none_or(|e| e == effect)
        && mapping.not_effect.as_deref().is_none_or(|e| e != effect)
        && (mapping.prompt_forces_consent).is_none_or(|forced| forced == explanation.prompt_forces_consent())
}

/// An effect as the catalogue names it (`ConsentForced`; `Error` for any error).
fn effect_name(effect: &Effect) -> &'static str {
    match effect {
        Effect::Error(_) => "Error",
        Effect::Ignored => "Ignored",
        Effect::Applied => "Applied",
        Effect::ConsentForced => "ConsentForced",
        Effect::ConsentShown => "ConsentShown",
        Effect::ConsentSkipped => "ConsentSkipped",
        Effect::RefreshTokenIssued => "RefreshTokenIssued",
        Effect::RefreshTokenWithheld => "RefreshTokenWithheld",
    }
}

fn input_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let mut seen = BTreeSet::new();
    for note in &facts.request.notes {
        let draft = match note {
            InputNote::Secret { name } => Draft::new(
                Code::SecretInUrl,
                format!(
                    "`{name}` is in the authorization URL, which passes through the browser; its value is redacted here"
                ),
            ),
            InputNote::DecodedWhole { times } => Draft::new(
                Code::UrlEncodedWhole,
                format!("the pasted URL was percent-encoded as a whole ({times}×); diagnosed the decoded URL"),
            ),
            InputNote::DecodedQuery => Draft::new(
                Code::UrlEncodedWhole,
                "the query string was percent-encoded as a whole; diagnosed it decoded".into(),
            ),
            InputNote::Duplicate { name } => Draft::new(
                Code::DuplicateParameter,
                format!(
                    "`{name}` is sent more than once; the model reads the first ({name}={})",
                    facts.request.get(name).unwrap_or_default()
                ),
            ),
            InputNote::DoubleEncoded { name } if name != "redirect_uri" => Draft::new(
                Code::ParameterDoubleEncoded,
                format!(
                    "`{name}` still holds %-escapes after decoding ({}): it was encoded twice",
                    facts.request.get(name).unwrap_or_default()
                ),
            ),
            InputNote::LineBreak { name } => Draft::new(
                Code::LineBreakInValue,
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
                Draft::new(Code::WhitespaceInParameter, message).edits(&[Edit::TrimWhitespace])
            }
            _ => continue,
        };
        if seen.insert((draft.code, draft.message.clone())) {
            out.push(draft);
        }
    }
}

/// The legacy force parameter of the profile this one extends (the explanation's, where the
/// profile has none), sent to this one, which does not know it (the engine makes no decision
/// about it: the trace says the rest, catalogue.yaml).
fn unknown_force_rule(facts: &Facts, out: &mut Vec<Draft>) {
    let explanation = facts.explanation;
    let provider = &facts.endpoints.provider;
    if !explanation.has(Rule::LegacyForceConflict)
        && !explanation.has(Rule::LegacyForceValue)
        && !explanation.has(Rule::LegacyForce)
        && facts.profile.authorize.legacy_force.is_none()
        && let Some((name, force)) = explanation.force()
        && let Some(value) = facts.request.get(name)
    {
        // a provider without the parameter ignores it, as it ignores any unknown one
        out.push(
            Draft::new(
                Code::ApprovalPromptIgnored,
                format!("{name}={value} is not a parameter of `{provider}`: it is ignored and forces nothing"),
            )
            .fix(format!("Replace {name}={force} with prompt=consent."))
            .edits(&[Edit::DropApprovalPrompt, Edit::ForceConsent]),
        );
    }
}

/// prompt: the values the provider refuses, all in one finding. None combined with other
/// values, a tolerated value, prompt=none and select_account without consent are said from
/// the trace (catalogue.yaml).
fn prompt_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let provider = &facts.endpoints.provider;
    let refused = facts.explanation.of(Rule::PromptValue);
    if let (Some(prompt), Some(first)) = (facts.request.get("prompt"), refused.first()) {
        let (error, description) = chose(first);
        // the prompt of the fixed request
        let fixed = (facts.fix.request.as_ref())
            .and_then(|r| r.get("prompt"))
            .unwrap_or("consent");
        let line_break = if prompt.contains(['\n', '\r']) {
            " (a line break split it)"
        } else {
            ""
        };
        out.push(
            Draft::new(
                Code::PromptInvalid,
                format!(
                    "prompt={:?} holds {} not accepted by `{provider}`{line_break}: \"{description}\"",
                    prompt,
                    refused
                        .iter()
                        .map(|d| format!("`{}`", d.given()))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            )
            .fix(format!("Send prompt={fixed:?} (space-separated, case-sensitive)."))
            .edits(&[Edit::ForceConsent])
            .explains(&error, description),
        );
    }
}

/// Offline access: a refused access_type, none asked for, offline_access dropped without
/// consent, refused scopes, and a consent screen nothing forces.
fn offline_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let request = facts.request;
    let profile = facts.profile;
    let explanation = facts.explanation;
    let offline = explanation.first(Rule::OfflineRequest);
    let asked = offline.is_some_and(|d| d.effect == Effect::Applied);
    // no offline access asked for, and a refused access_type, are said from the trace (catalogue.yaml)
    if let (Some(decision), Some(spec)) = (explanation.first(Rule::RejectedScope), &profile.errors.invalid_scope) {
        let rejected = decision.given().split_whitespace().collect::<Vec<_>>().join(", ");
        let how = match profile.refresh_token.requires {
            OfflineRequest::AccessTypeOffline => "; offline access is asked for with access_type=offline",
            OfflineRequest::OfflineAccessScope => "",
        };
        out.push(
            Draft::new(
                Code::OfflineAccessScopeGoogle,
                format!(
                    "scope holds {rejected}, which `{}` refuses: {} {} \"{}\"{how}",
                    facts.endpoints.provider,
                    spec.status,
                    spec.error,
                    spec.describe("scope", "{valid=[…], invalid=[…]}")
                ),
            )
            .fix(format!(
                "Remove {rejected} from scope{}.",
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
    // the generic "nothing forces consent" rule, when no more specific finding said it
    let specific = out.iter().any(|d| {
        matches!(
            d.code,
            Code::ApprovalPromptConflict
                | Code::ApprovalPromptIgnored
                | Code::PromptInvalid
                | Code::PromptNoneCombined
                | Code::PromptLogin
                | Code::PromptNone
                | Code::PromptSelectAccountOnly
                | Code::OfflineAccessNeedsConsent
        )
    });
    if profile.refresh_token.only_when_consent_shown
        && explanation.consent_not_forced()
        && !specific
        && !no_code(explanation)
    {
        let by_default = offline.is_some_and(|d| d.key.starts_with("authorize.installed_"));
        let message = if asked && !by_default && request.get("access_type") == Some("offline") {
            "access_type=offline without prompt=consent: only the first grant returns a refresh_token".to_string()
        } else if asked {
            "installed clients are offline by default, but without prompt=consent only the first grant returns a refresh_token".to_string()
        } else {
            "nothing forces the consent screen: even with offline access, only the first grant would return a refresh_token".to_string()
        };
        out.push(Draft::new(Code::NoForcedConsent, message).edits(&[Edit::ForceConsent]));
    }
}

/// Whether the engine decided that the response type returns no code: the code-less type it
/// accepted, or the unknown one it refused.
fn no_code(explanation: &Explanation) -> bool {
    (explanation.of(Rule::RefreshToken).into_iter())
        .chain(explanation.first(Rule::ResponseType))
        .any(|d| !d.given().split_whitespace().any(|t| t == "code"))
}

fn redirect_rules(facts: &Facts, out: &mut Vec<Draft>) {
    let request = facts.request;
    let errors = &facts.profile.errors;
    let Some(redirect) = request.get("redirect_uri").filter(|r| !r.is_empty()) else {
        return;
    };
    if facts.profile.authorize.is_oob(redirect) {
        // said from the trace (catalogue.yaml)
        return;
    }
    if request.noted(|n| matches!(n, InputNote::DoubleEncoded { name } if name == "redirect_uri")) {
        let description = errors.redirect_uri_mismatch.describe("redirect_uri", redirect);
        out.push(
            Draft::new(
                Code::RedirectUriDoubleEncoded,
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
                Code::RedirectUriNotRegistered,
                format!(
                    "{}'s error page says {}: redirect_uri={redirect} is not registered for this client (the URL alone cannot show that; the page does)",
                    facts.profile.display_name(),
                    page.error
                ),
            )
            .explains(&errors.redirect_uri_mismatch.error, description),
        );
        return;
    }
    if facts.profile.authorize.is_special_redirect(redirect) {
        out.push(Draft::new(
            Code::RedirectGoogleJs,
            format!(
                "redirect_uri={redirect} is a special value the provider's own JavaScript sign-in library sends, not a registered URI; the code must be exchanged with redirect_uri={}",
                if redirect == "postmessage" || redirect.starts_with("storagerelay") { "postmessage" } else { redirect }
            ),
        ));
        return;
    }
    if let Some(problem) = registration_problem(&facts.profile.authorize, redirect) {
        out.push(Draft::new(
            Code::RedirectUriInvalid,
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
            Code::RedirectLoopback,
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
                Code::LegacyEndpoint,
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
                    Code::LegacyEndpoint,
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
                    Code::RevokeGet,
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
    let limit_source = (!facts.endpoints.is_published()).then(|| {
        format!(
            "the provider profile `{}`: refresh_token.limit_per_user_client = {}",
            facts.endpoints.provider, facts.profile.refresh_token.limit_per_user_client
        )
    });
    let limit_draft = |message| {
        let draft = Draft::new(Code::RefreshTokenLimit, message);
        Draft {
            source: limit_source.clone(),
            ..draft
        }
        .symptom(revoked)
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
        let message = format!(
            "the client is in Testing status: refresh tokens for these scopes expire {seconds} s ({} days) after consent",
            days(seconds)
        );
        out.push(Draft::new(Code::TestingExpiry, message).symptom(invalid_grant));
    } else if invalid_grant
        && facts.status_from == StatusFrom::Assumed
        && let Some(seconds) = facts.if_testing.and_then(|p| expires(&p.first_grant))
    {
        out.push(
            Draft::new(
                Code::TestingExpiry,
                format!(
                    "the publishing status is not known: if the OAuth consent screen is External and in Testing, refresh tokens for these scopes expire {seconds} s ({} days) after consent, then refresh answers invalid_grant",
                    days(seconds)
                ),
            )
            .fix(format!(
                "Check the publishing status{}; if it is Testing, publish the app and authorize again (a token issued in Testing keeps its {}-day expiry). Pass --publishing-status to tell diagnose.",
                facts.profile.wording.publishing_status_page.as_ref().map(|page| format!(" ({page})")).unwrap_or_default(),
                days(seconds)
            ))
            .symptom(true),
        );
    }
    // the first refresh the HAR shows
    if let Some(first) = (facts.observed.har.iter()).find_map(|h| h.refreshes.first().map(|r| r.entry)) {
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
            entry_for(facts.profile, Code::ExpectsRotation).fix
        };
        out.push(Draft::new(Code::ExpectsRotation, message).fix(fix).entry(first));
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
    out.push(Draft::new(Code::InvalidGrantCauses, message).symptom(!explained));
}

/// The causes of invalid_grant on refresh, with the profile's numbers and how to tell them apart.
pub fn invalid_grant_causes(profile: &Profile, symptom: Symptom) -> String {
    let rules = &profile.refresh_token;
    let mut causes = Vec::new();
    if let Some(seconds) = rules.testing_expiry_seconds {
        causes.push(format!(
            "Testing publishing status: tokens for non-sign-in scopes expire {} days after consent (the token response says refresh_token_expires_in: {seconds})",
            days(seconds)
        ));
    }
    causes.push(format!(
        "the per-client limit: the {} refresh token for one user and client revokes the oldest (it fails while newer ones work)",
        ordinal(rules.limit_per_user_client + 1)
    ));
    let wording = &profile.wording;
    let page = wording
        .revocation_page
        .as_ref()
        .map(|page| format!(" ({page})"))
        .unwrap_or_default();
    causes.push(format!("revocation: the user removed the app's access{page} or the app revoked the token; every token of that grant fails at once"));
    if let Some(seconds) = rules.unused_expiry_seconds {
        causes.push(format!(
            "not used for {} days: only tokens nobody refreshed in that time",
            seconds / 86_400
        ));
    }
    if let Some(tokens) = &wording.password_change_revokes {
        causes.push(format!(
            "a password change: {tokens} are revoked when the user changes the password"
        ));
    }
    let lead = match symptom {
        Symptom::InvalidGrantAfterDays => "invalid_grant some days after the grant".to_string(),
        Symptom::RefreshTokenRevoked => "a refresh token that worked was revoked".to_string(),
        _ => format!(
            "invalid_grant on refresh (\"{}\")",
            profile.errors.refresh_invalid.description
        ),
    };
    format!(
        "{lead}: the request cannot show which cause it is; the causes are: {}",
        causes.join("; ")
    )
}

/// A lifetime in whole days (Google's Testing lifetime, 604799 s, is 7 days less a second).
pub fn days(seconds: u64) -> u64 {
    seconds.div_ceil(86_400)
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
fn observed_rules(facts: &Facts, causes: &[Code], out: &mut Vec<Draft>) {
    let prediction = facts.prediction;
    let because = |consent: Option<bool>, repeat_in_file: Option<usize>| -> String {
        let pointers = if causes.is_empty() {
            String::new()
        } else {
            let codes: Vec<&str> = causes.iter().map(|c| c.as_str()).collect();
            format!(" (see {})", codes.join(", "))
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
                    Code::NoRefreshTokenExplained,
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
                Code::NoRefreshTokenExplained,
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
        _ => entry_for(facts.profile, Code::NoRefreshTokenExplained).fix,
    }
}
