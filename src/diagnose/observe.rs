//! What the HAR shows happened, held against what the model predicts. The HAR is a record:
//! a consent screen, a Cancel, an error page, the scopes granted, a token response with or
//! without refresh_token are facts. The model's prediction is compared with them, never put
//! in their place; where they differ that is a finding of its own, with the entries that
//! show it, and the exit code follows what happened.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::catalogue::Code;
use super::findings::{Finding, standalone};
use super::input::{Flow, HarObservation};
use super::predict::{ClientSetup, Depth, GrantPrediction, Prediction, Stage, predict};
use crate::provider::{Profile, Registry};

/// The finding codes of what a HAR shows (as opposed to what the model infers).
pub const CODES: &[Code] = &[
    Code::ObservedDiffersFromModel,
    Code::UserDenied,
    Code::ScopeDeclined,
    Code::ConsentAbandoned,
    Code::AuthorizeErrorObserved,
    Code::HarEntryUnreadable,
];

/// How the diagnosed flow ended, as the HAR shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A token response with a refresh_token.
    RefreshToken,
    /// A token response without one.
    NoRefreshToken,
    /// An error at the authorization step, the token step, or a failed request.
    Error,
    /// The user refused (access_denied).
    Denied,
    /// The consent screen was left unanswered.
    Abandoned,
}

impl Outcome {
    /// The JSON name.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::RefreshToken => "refresh_token",
            Outcome::NoRefreshToken => "no_refresh_token",
            Outcome::Error => "error",
            Outcome::Denied => "denied",
            Outcome::Abandoned => "abandoned",
        }
    }

    /// Ended by the user, not by anything in the request.
    pub fn by_user(self) -> bool {
        matches!(self, Outcome::Denied | Outcome::Abandoned)
    }
}

/// The findings the HAR adds, and how the diagnosed flow ended.
#[derive(Debug, Clone, Default)]
pub struct HarComparison {
    pub findings: Vec<Finding>,
    pub outcome: Option<Outcome>,
}

/// Compares every flow of the HAR with the model, and says what the user did.
pub fn compare(
    profile: &Arc<Profile>,
    registry: &Registry,
    setup: &ClientSetup,
    har: &HarObservation,
    chosen: Option<usize>,
) -> HarComparison {
    let mut findings = Vec::new();
    if har.reordered {
        findings.push(observed(
            profile,
            Code::HarEntryUnreadable,
            "the HAR lists its entries out of time order; they were read sorted by startedDateTime (entry numbers are the file's)".into(),
            Some("Nothing to do: the flows were paired in the order the browser sent the requests.".into()),
            false,
            None,
        ));
    }
    for problem in &har.problems {
        findings.push(observed(
            profile,
            Code::HarEntryUnreadable,
            format!("HAR entry #{} ({}): {}", problem.entry, problem.role, problem.problem),
            None,
            false,
            Some(problem.entry),
        ));
    }
    for flow in &har.flows {
        user_actions(flow, profile, &mut findings);
    }
    if let Some(differs) = disagreement(profile, registry, setup, har) {
        findings.push(differs);
    }
    let outcome = chosen.and_then(|i| har.flows.get(i)).and_then(outcome);
    HarComparison { findings, outcome }
}

/// A finding of what the HAR shows, pointing at the entry that shows it.
fn observed(
    profile: &Profile,
    code: Code,
    message: String,
    fix: Option<String>,
    cause: bool,
    entry: Option<usize>,
) -> Finding {
    Finding {
        entry,
        ..standalone(profile, code, message, fix, cause, false)
    }
}

/// How one flow ended, if the HAR shows it.
pub fn outcome(flow: &Flow) -> Option<Outcome> {
    if flow.error_page.is_some() || flow.authorize_failed.is_some() {
        return Some(Outcome::Error);
    }
    match flow.callback_error.as_deref() {
        Some("access_denied") => return Some(Outcome::Denied),
        Some(_) => return Some(Outcome::Error),
        None => {}
    }
    if flow.consent_answer.as_ref().is_some_and(|a| a.action == "deny") {
        return Some(Outcome::Denied);
    }
    if let Some(call) = &flow.exchange {
        return match &call.response {
            Some(r) if r.error.is_some() => Some(Outcome::Error),
            Some(r) if r.refresh_token => Some(Outcome::RefreshToken),
            Some(r) if r.access_token => Some(Outcome::NoRefreshToken),
            Some(_) => None,
            None if call.failed => Some(Outcome::Error),
            None => None,
        };
    }
    if abandoned(flow) {
        return Some(Outcome::Abandoned);
    }
    None
}

/// A consent screen shown and never answered.
fn abandoned(flow: &Flow) -> bool {
    flow.consent_entry.is_some() && flow.consent_answer.is_none() && !flow.ended()
}

/// Cancel, unticked scopes, a closed window, an error page.
fn user_actions(flow: &Flow, profile: &Profile, out: &mut Vec<Finding>) {
    if let Some(page) = &flow.error_page {
        let error = match (&page.error, &page.description) {
            (Some(e), Some(d)) => format!(": {e} \"{d}\""),
            (Some(e), None) => format!(": {e}"),
            _ => String::new(),
        };
        out.push(observed(
            profile,
            Code::AuthorizeErrorObserved,
            format!(
                "the authorization request in HAR entry #{} got an error page ({}{error}): no consent screen, no code",
                page.entry, page.status
            ),
            None,
            true,
            Some(page.entry),
        ));
    }
    if flow.callback_error.as_deref() == Some("access_denied")
        || flow.consent_answer.as_ref().is_some_and(|a| a.action == "deny")
    {
        let screen = match (flow.consent_answer.as_ref(), flow.consent_entry) {
            (Some(answer), _) => format!("pressed Cancel on the consent screen (entry #{})", answer.entry),
            (None, Some(entry)) => format!("refused on the consent screen (entry #{entry})"),
            (None, None) => "or a policy refused access".to_string(),
        };
        let back = flow
            .callback_entry
            .map(|c| format!(", and entry #{c} carries error=access_denied back to the app"))
            .unwrap_or_default();
        out.push(observed(
            profile,
            Code::UserDenied,
            format!(
                "the user {screen}{back}: no code, no token; nothing in the request (authorization request in entry #{}) caused it",
                flow.authorize_entry
            ),
            None,
            true,
            flow.callback_entry.or(flow.consent_answer.as_ref().map(|a| a.entry)),
        ));
    }
    if let Some(declined) = declined_scopes(flow, profile) {
        let (how, entry) = match &flow.consent_answer {
            Some(answer) => (
                format!("unticked on the consent screen (entry #{})", answer.entry),
                answer.entry,
            ),
            None => {
                let entry = flow.exchange.as_ref().map_or(flow.authorize_entry, |t| t.entry);
                (
                    format!("were not granted (the token response in entry #{entry} leaves them out)"),
                    entry,
                )
            }
        };
        let costs: Vec<String> = declined.iter().map(|s| format!("{s} ({})", cost(s, profile))).collect();
        let refresh = match flow.exchange.as_ref().and_then(|t| t.response.as_ref()) {
            Some(r) if r.refresh_token => {
                "; the refresh_token covers only the granted scopes, refreshing never adds them"
            }
            Some(r) if r.access_token => "; and no refresh_token came back",
            _ => "",
        };
        out.push(observed(
            profile,
            Code::ScopeDeclined,
            format!(
                "the user declined {} scope{}: {} {how}{refresh}",
                declined.len(),
                if declined.len() == 1 { "" } else { "s" },
                costs.join(", "),
            ),
            None,
            false,
            Some(entry),
        ));
    }
    if abandoned(flow) {
        out.push(observed(
            profile,
            Code::ConsentAbandoned,
            format!(
                "the consent screen in HAR entry #{} (authorization request #{}) was never answered: no answer was posted and nothing came back to the app; the user closed the window, or the recording stopped there",
                flow.consent_entry.unwrap_or(flow.authorize_entry),
                flow.authorize_entry
            ),
            None,
            true,
            flow.consent_entry,
        ));
    }
}

/// The request's spelling of a scope the provider answers in its own (`tokens.scope_aliases`).
fn canonical<'a>(scope: &'a str, profile: &'a Profile) -> &'a str {
    (profile.tokens.scope_aliases.iter())
        .find(|(_, spelled)| *spelled == scope)
        .map_or(scope, |(requested, _)| requested.as_str())
}

/// The requested scopes the user did not grant: from the consent form's ticked boxes, else
/// from the token response's `scope`.
fn declined_scopes(flow: &Flow, profile: &Profile) -> Option<Vec<String>> {
    let requested: Vec<&str> = flow.request.get("scope")?.split_whitespace().collect();
    let granted: BTreeSet<&str> = match &flow.consent_answer {
        Some(answer) if answer.action == "allow" => answer.scopes.iter().map(|s| canonical(s, profile)).collect(),
        Some(_) => return None,
        None => {
            let scope = flow.exchange.as_ref()?.response.as_ref()?.scope.as_deref()?;
            scope.split_whitespace().map(|s| canonical(s, profile)).collect()
        }
    };
    let declined: Vec<String> = requested
        .iter()
        .filter(|s| !granted.contains(canonical(s, profile)))
        .map(|s| s.to_string())
        .collect();
    (!declined.is_empty()).then_some(declined)
}

/// What a declined scope costs the app, in a few words (the API by the profile's
/// `wording.scope_apis`).
fn cost(scope: &str, profile: &Profile) -> String {
    let name = scope.rsplit('/').next().unwrap_or(scope);
    match profile.wording.scope_apis.get(name.split('.').next().unwrap_or(name)) {
        Some(api) => format!("no {api} access: its API calls answer 403 insufficient scopes"),
        None => format!("no access to what {name} allows: its API calls answer 403"),
    }
}

/// A grant the HAR shows, to hold against a prediction.
struct Seen {
    consent_screen: Option<bool>,
    refresh_token: Option<bool>,
    /// The error code of an error page at the authorization step (`Some(None)`: an error
    /// page whose code is not known).
    error: Option<Option<String>>,
    /// The entries that show it.
    entries: Vec<usize>,
}

fn seen(flow: &Flow) -> Option<Seen> {
    if matches!(outcome(flow), Some(Outcome::Denied | Outcome::Abandoned)) || flow.authorize_failed.is_some() {
        return None;
    }
    let response = flow.exchange.as_ref().and_then(|t| t.response.as_ref());
    let mut entries = vec![flow.authorize_entry];
    entries.extend(flow.consent_entry);
    entries.extend(flow.exchange.as_ref().filter(|_| response.is_some()).map(|t| t.entry));
    entries.sort_unstable();
    entries.dedup();
    let seen = Seen {
        consent_screen: flow.consent_screen,
        refresh_token: response.filter(|r| r.access_token).map(|r| r.refresh_token),
        error: flow.error_page.as_ref().map(|p| p.error.clone()),
        entries,
    };
    (seen.consent_screen.is_some() || seen.refresh_token.is_some() || seen.error.is_some()).then_some(seen)
}

/// Where one observed grant differs from one predicted grant, in words.
fn differences(seen: &Seen, predicted: &GrantPrediction) -> Vec<String> {
    let mut out = Vec::new();
    let predicted_error = (predicted.error_at == Some(Stage::Authorize))
        .then_some(predicted.error.as_deref())
        .flatten();
    match (&seen.error, predicted_error) {
        (Some(Some(error)), Some(expected)) if error != expected => {
            out.push(format!("an error page with {error}, the model answers {expected}"));
        }
        (Some(error), None) => out.push(format!(
            "an error page{}, the model predicts none",
            error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
        )),
        (None, Some(expected)) => out.push(format!("no error, the model answers {expected}")),
        _ => {}
    }
    if seen.error.is_none() && predicted_error.is_none() {
        if let Some(shown) = seen.consent_screen
            && shown != predicted.consent_screen
        {
            out.push(format!(
                "the consent screen {}, the model {}",
                if shown { "was shown" } else { "was skipped" },
                if predicted.consent_screen {
                    "shows it"
                } else {
                    "skips it"
                }
            ));
        }
        if let Some(refresh) = seen.refresh_token
            && refresh != predicted.refresh_token
        {
            out.push(format!(
                "the token response {} a refresh_token, the model predicts {}",
                if refresh { "has" } else { "has no" },
                if predicted.refresh_token { "one" } else { "none" }
            ));
        }
    }
    out
}

/// Every flow's differences from `profile`'s prediction, as `(what differs, the entries that show it)`.
fn mismatches(profile: &Arc<Profile>, setup: &ClientSetup, har: &HarObservation) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    let mut predictions: BTreeMap<Vec<(String, String)>, Prediction> = BTreeMap::new();
    for (index, flow) in har.flows.iter().enumerate() {
        let Some(seen) = seen(flow) else { continue };
        // flows differ in their state, nonce and challenge; the model's answer does not
        let key: Vec<(String, String)> = flow
            .request
            .pairs()
            .into_iter()
            .filter(|(name, _)| !crate::diagnose::input::SESSION_PARAMS.contains(&name.as_str()))
            .collect();
        let prediction = predictions.entry(key).or_insert_with(|| {
            let flow_setup = ClientSetup {
                client_id: flow.request.get("client_id").unwrap_or_default().to_string(),
                registered_redirect: flow
                    .request
                    .get("redirect_uri")
                    .map(str::to_string)
                    .or(setup.registered_redirect.clone()),
                ..setup.clone()
            };
            predict(profile, &flow_setup, &flow.request.pairs(), Depth::Grants)
        });
        // a repeat grant when an earlier flow of the file authorized the same client
        let repeat = har.flows[..index]
            .iter()
            .any(|f| f.got_code && f.request.get("client_id") == flow.request.get("client_id"));
        let differs = if repeat {
            differences(&seen, &prediction.repeat_grant)
        } else {
            // the file's first flow for a client may still be a repeat grant of an earlier session
            let first = differences(&seen, &prediction.first_grant);
            let again = differences(&seen, &prediction.repeat_grant);
            if first.is_empty() || again.is_empty() {
                Vec::new()
            } else {
                first
            }
        };
        if !differs.is_empty() {
            let role = if repeat { "repeat grant" } else { "grant" };
            out.push((
                format!("{role} of entry #{}: {}", flow.authorize_entry, differs.join("; ")),
                seen.entries,
            ));
        }
    }
    out
}

/// The HAR against the model; when they differ, which profile of the same provider behaves
/// as recorded.
fn disagreement(
    profile: &Arc<Profile>,
    registry: &Registry,
    setup: &ClientSetup,
    har: &HarObservation,
) -> Option<Finding> {
    let found = mismatches(profile, setup, har);
    if found.is_empty() {
        return None;
    }
    let family = profile.id.split('@').next().unwrap_or(&profile.id);
    // the first other profile of the family under which the HAR shows no difference
    let explains = registry.ids().find(|id| {
        *id != profile.id
            && id.split('@').next() == Some(family)
            && registry
                .load(id)
                .is_ok_and(|other| mismatches(&Arc::new(other), setup, har).is_empty())
    });
    let entries: BTreeSet<usize> = found.iter().flat_map(|(_, e)| e.iter().copied()).collect();
    let shown: Vec<String> = entries.iter().map(|e| format!("#{e}")).collect();
    let what: Vec<&str> = found.iter().map(|(w, _)| w.as_str()).collect();
    let (verdict, fix) = match explains {
        Some(other) => (
            format!("the provider behaved like `{other}`"),
            format!(
                "Diagnose with --provider {other} to explain this HAR; against today's `{}` the request behaves as predicted above.",
                profile.id
            ),
        ),
        None => (
            format!("no profile of `{family}` behaves like this: the model is stale here"),
            "Trust the HAR; report the difference (with these entries, redacted) so the profile can be corrected."
                .to_string(),
        ),
    };
    Some(observed(
        profile,
        Code::ObservedDiffersFromModel,
        format!(
            "the HAR differs from the `{}` model (entries {}): {}; {verdict}",
            profile.id,
            shown.join(", "),
            what.join("; ")
        ),
        Some(fix),
        true,
        found.last().and_then(|(_, e)| e.last().copied()),
    ))
}
