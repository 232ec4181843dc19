//! What the engine decides about a request, and why: its traced decisions (`provider::trace`)
//! for a first and a repeat grant. The engine stops at the first error it answers, so the
//! explanation goes on past it the way the fix search does: the error's own fix is made
//! (the refused `approval_prompt` dropped, a missing parameter given a stand-in, …) and the
//! engine asked again, until it answers without error or no change gets past the error.
//! `findings` phrases these decisions; nothing here re-checks a rule.

use std::sync::Arc;

use super::fix::{Edit, apply, set};
use super::input::AuthRequest;
use super::predict::{ClientSetup, trace};
use crate::provider::{Decision, Effect, OfflineRequest, Profile, Rule};

/// How many errors in a row the explanation gets past (a request has a handful at most).
const MAX_RUNS: usize = 12;

/// A change made to get past an error, before the engine is asked again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// One of the fix search's edits.
    Edit(Edit),
    /// Stand-ins for missing required parameters.
    StandIn,
    /// A refused `access_type` replaced by the online default.
    AccessTypeOnline,
    /// The refused redirect URI registered.
    Register,
}

/// One decision, with the run and the grant (0 first, 1 repeat) it was made in.
#[derive(Debug, Clone)]
pub struct Noted {
    pub run: usize,
    pub grant: usize,
    pub decision: Decision,
}

/// The engine's decisions about a request, run after run.
#[derive(Debug, Clone, Default)]
pub struct Explanation {
    pub noted: Vec<Noted>,
    /// The change made before each run after the first.
    pub steps: Vec<Step>,
    /// The legacy force parameter and its forcing value (Google's approval_prompt=force), as
    /// the profile (or, for a profile that ignores it, the one it extends) names them.
    pub force: Option<(String, String)>,
}

impl Explanation {
    /// The decisions of `rule` in the first grant of the earliest run that made one: later
    /// runs repeat what the earlier ones already explained.
    pub fn of(&self, rule: Rule) -> Vec<&Decision> {
        let Some(first) = self.noted.iter().find(|n| n.decision.rule == rule) else {
            return Vec::new();
        };
        self.noted
            .iter()
            .filter(|n| n.decision.rule == rule && n.run == first.run && n.grant == first.grant)
            .map(|n| &n.decision)
            .collect()
    }

    /// The first decision of `rule`.
    pub fn first(&self, rule: Rule) -> Option<&Decision> {
        self.noted.iter().map(|n| &n.decision).find(|d| d.rule == rule)
    }

    pub fn has(&self, rule: Rule) -> bool {
        self.first(rule).is_some()
    }

    /// Whether the request's own `prompt` forces the consent screen: the engine's consent
    /// decision on the first grant, in a run before the explanation changed `prompt`.
    pub fn prompt_forces_consent(&self) -> bool {
        let changed_prompt =
            |run: usize| self.steps[..run.min(self.steps.len())].contains(&Step::Edit(Edit::ForceConsent));
        self.noted
            .iter()
            .find(|n| n.decision.rule == Rule::Consent)
            .is_some_and(|n| {
                !changed_prompt(n.run)
                    && n.decision.effect == Effect::ConsentForced
                    && n.decision.key == "consent.forced_by_prompt_consent"
            })
    }

    /// Whether a consent decision of the engine left the screen unforced.
    pub fn consent_not_forced(&self) -> bool {
        self.noted
            .iter()
            .any(|n| n.decision.rule == Rule::Consent && n.decision.effect != Effect::ConsentForced)
    }

    /// The legacy force parameter's name and forcing value, if the request may carry it.
    pub fn force(&self) -> Option<(&str, &str)> {
        self.force.as_ref().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The `prompt` values the engine refused.
    pub fn refused_prompt_values(&self) -> Vec<&str> {
        self.of(Rule::PromptValue).into_iter().map(Decision::given).collect()
    }

    /// Whether the request asks for offline access the profile's way (`refresh_token.requires`),
    /// not by a default; `None` when no run got that far.
    pub fn asks_offline(&self) -> Option<bool> {
        self.first(Rule::OfflineRequest)
            .map(|d| d.effect == Effect::Applied && d.key == "refresh_token.requires")
    }
}

/// The engine's decisions about `request`, going past each error it answers.
pub fn explain(profile: &Arc<Profile>, setup: &ClientSetup, request: &AuthRequest) -> Explanation {
    let mut explanation = Explanation {
        force: (profile.authorize.legacy_force.as_ref()).map(|l| (l.parameter.clone(), l.value.clone())),
        ..Explanation::default()
    };
    let mut request = request.clone();
    let mut setup = setup.clone();
    for run in 0..MAX_RUNS {
        let grants = trace(profile, &setup, &request.pairs());
        let error = grants.iter().flatten().find(|d| d.error().is_some()).cloned();
        for (grant, decisions) in grants.into_iter().enumerate() {
            explanation
                .noted
                .extend(decisions.into_iter().map(|decision| Noted { run, grant, decision }));
        }
        let Some(error) = error else { break };
        let Some(step) = step_past(&error) else { break };
        let before = (request.pairs(), setup.clone());
        request = take(profile, &step, &error, &explanation, &request, &mut setup);
        if (request.pairs(), setup.clone()) == before {
            break;
        }
        explanation.steps.push(step);
    }
    explanation
}

/// The change that gets past an error the engine answered, if one does.
fn step_past(error: &Decision) -> Option<Step> {
    let edit = match error.rule {
        Rule::RequiredParameter => return Some(Step::StandIn),
        Rule::AccessType => return Some(Step::AccessTypeOnline),
        Rule::RedirectRegistered => return Some(Step::Register),
        Rule::OutOfBand => Edit::LoopbackRedirect,
        Rule::ResponseType => Edit::ResponseTypeCode,
        Rule::LegacyForceConflict | Rule::LegacyForceValue => Edit::DropApprovalPrompt,
        Rule::PromptValue | Rule::PromptNoneCombined | Rule::PromptNone => Edit::ForceConsent,
        Rule::PkceMethodRequired | Rule::PkceMethod | Rule::PkceChallengeMissing => Edit::FixChallengeMethod,
        Rule::RejectedScope => Edit::DropRejectedScopes,
        _ => return None,
    };
    Some(Step::Edit(edit))
}

/// The request (and the client) after `step`.
fn take(
    profile: &Profile,
    step: &Step,
    error: &Decision,
    known: &Explanation,
    request: &AuthRequest,
    setup: &mut ClientSetup,
) -> AuthRequest {
    let mut params = request.params.clone();
    match step {
        Step::Edit(edit) => {
            let (next, _) = apply(profile, request, &[*edit], known);
            if *edit == Edit::LoopbackRedirect {
                setup.registered_redirect = next.get("redirect_uri").map(str::to_string);
            }
            return next;
        }
        Step::StandIn => {
            for name in &profile.authorize.required {
                if request.get(name).is_none_or(str::is_empty) {
                    let stand_in = match name.as_str() {
                        "client_id" => "oauth-drift-client",
                        "redirect_uri" => "https://app.example/oauth2/callback",
                        "response_type" => "code",
                        _ => "openid",
                    };
                    set(&mut params, name, stand_in);
                    match name.as_str() {
                        "client_id" => setup.client_id = stand_in.to_string(),
                        "redirect_uri" => setup.registered_redirect = Some(stand_in.to_string()),
                        _ => {}
                    }
                }
            }
        }
        Step::AccessTypeOnline => {
            let online = profile.authorize.access_types.iter().any(|a| a == "online")
                && profile.refresh_token.requires == OfflineRequest::AccessTypeOffline;
            if online {
                set(&mut params, "access_type", "online");
            } else {
                params.retain(|p| p.name != "access_type");
            }
        }
        Step::Register => {
            setup.registered_redirect = Some(error.given().to_string());
        }
    }
    request.with_params(params)
}
