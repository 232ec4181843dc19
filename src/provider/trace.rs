//! The engine's explanations: each decision it makes about a request (an error chosen, a
//! consent screen shown or skipped, a refresh token withheld) as a `Decision` naming the
//! rule, the profile key it read with that key's value and the source the profile cites next
//! to it, and the effect. `diagnose` phrases these instead of re-checking the rules.
//!
//! A rule explains itself with one call at its decision point (`Trace::note`); tracing is off
//! unless asked for (`Engine::with_trace`), and then nothing is built.

use std::collections::BTreeMap;

use super::engine::ProviderError;
use super::profile::Profile;

/// Which engine rule decided; diagnose's catalogue names it as written here (`LegacyForce`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
pub enum Rule {
    /// A required authorization parameter is missing (`authorize.required`).
    RequiredParameter,
    /// The out-of-band redirect is refused (`authorize.oob_blocked`).
    OutOfBand,
    /// The redirect URI is not one the client registered.
    RedirectRegistered,
    /// The response type is not one the provider knows (`authorize.response_types`).
    ResponseType,
    /// The legacy force parameter (Google's `approval_prompt`) together with `prompt`
    /// (`authorize.legacy_force.conflicts_with_prompt`).
    LegacyForceConflict,
    /// A value of the legacy force parameter the provider refuses (`authorize.legacy_force.accepted`).
    LegacyForceValue,
    /// Whether the legacy force value forces the consent screen (`authorize.legacy_force.forces_consent`,
    /// or `endpoints.legacy_authorize.forces_consent` on the legacy path).
    LegacyForce,
    /// A `prompt` value the provider refuses (`authorize.prompt_values`).
    PromptValue,
    /// A `prompt` value the provider accepts without acting on it (`authorize.prompt_tolerated`).
    PromptTolerated,
    /// `prompt=none` combined with other values.
    PromptNoneCombined,
    /// An `access_type` the provider refuses (`authorize.access_types`).
    AccessType,
    /// A code challenge without a method where the provider requires one.
    PkceMethodRequired,
    /// A `code_challenge_method` the provider refuses (`authorize.code_challenge_methods`).
    PkceMethod,
    /// A `code_challenge_method` without `code_challenge`.
    PkceChallengeMissing,
    /// The method a code challenge is taken with (`authorize.default_code_challenge_method`).
    PkceMethodUsed,
    /// A scope the provider refuses (`authorize.rejected_scopes`).
    RejectedScope,
    /// Whether the request asks for offline access (`refresh_token.requires`): `Applied` when it
    /// does (a later rule may still drop the request), `RefreshTokenWithheld` when it does not.
    OfflineRequest,
    /// `prompt` without `consent` where `offline_access` needs it
    /// (`refresh_token.offline_access_needs_prompt_consent`): `RefreshTokenWithheld` when
    /// `offline_access` was asked for and is dropped, `Ignored` when it was not asked for.
    OfflineAccessConsent,
    /// Whether the consent screen is forced, and whether it is shown (`consent.forced_by_prompt_consent`).
    Consent,
    /// `prompt=none` where a consent screen is needed (`errors.consent_required`).
    PromptNone,
    /// Whether the code carries a refresh token (`refresh_token.only_when_consent_shown`).
    RefreshToken,
    /// `include_granted_scopes` from an installed client (`consent.installed_incremental`).
    InstalledIncremental,
}

/// What a decision did to the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The provider answers this error.
    Error(ProviderError),
    /// The parameter is accepted and changes nothing (ignored, or tolerated).
    Ignored,
    /// A value or default is applied.
    Applied,
    /// The consent screen is forced and shown.
    ConsentForced,
    /// The consent screen is shown (nothing forced it: no grant covers the scopes yet).
    ConsentShown,
    /// The consent screen is skipped: a grant covers the scopes and nothing forces it.
    ConsentSkipped,
    /// A refresh token comes with the code.
    RefreshTokenIssued,
    /// No refresh token comes with the code.
    RefreshTokenWithheld,
}

/// One decision, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub rule: Rule,
    /// The profile key the rule read (`authorize.legacy_force.forces_consent`).
    pub key: &'static str,
    /// That key's value in the profile, as YAML writes it.
    pub value: String,
    /// The source the profile cites for the key (its comment), if any.
    pub source: String,
    /// The request parameter the rule judged, and its value as sent.
    pub param: Option<(String, String)>,
    pub effect: Effect,
}

impl Decision {
    /// A decision of `rule`, which read `key` (its value `value`); the source is the profile's.
    pub fn new(profile: &Profile, rule: Rule, key: &'static str, value: impl Into<String>, effect: Effect) -> Self {
        Self {
            rule,
            key,
            value: value.into(),
            source: profile.citations.of(key),
            param: None,
            effect,
        }
    }

    /// The decision about request parameter `name`, sent as `value`.
    pub fn on(mut self, name: &str, value: &str) -> Self {
        self.param = Some((name.to_string(), value.to_string()));
        self
    }

    /// The error this decision chose, if it chose one.
    pub fn error(&self) -> Option<&ProviderError> {
        match &self.effect {
            Effect::Error(error) => Some(error),
            _ => None,
        }
    }

    /// The value of the parameter judged (empty when none).
    pub fn given(&self) -> &str {
        self.param.as_ref().map_or("", |(_, v)| v.as_str())
    }
}

/// The decisions of one engine call, in the order they were made; off unless asked for.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    decisions: Option<Vec<Decision>>,
}

impl Trace {
    /// A trace that records.
    pub fn on() -> Self {
        Self {
            decisions: Some(Vec::new()),
        }
    }

    /// Records a decision; `explain` runs only when the trace is on.
    pub fn note(&mut self, explain: impl FnOnce() -> Decision) {
        if let Some(decisions) = &mut self.decisions {
            decisions.push(explain());
        }
    }

    /// The decisions so far, leaving the trace on and empty.
    pub fn take(&mut self) -> Vec<Decision> {
        self.decisions.as_mut().map(std::mem::take).unwrap_or_default()
    }
}

/// The source comment of every key of a profile file: the comment after `key: value`, else
/// the comment lines right above the key. An era's file is read over its base's: a key the
/// era sets without a comment has no source from the base.
#[derive(Debug, Clone, Default)]
pub struct Citations {
    by_key: BTreeMap<String, String>,
}

impl Citations {
    /// The citations of a chain of profile texts, the base first.
    pub fn of_chain<'a>(texts: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_key = BTreeMap::new();
        for text in texts {
            for (key, source) in read(text) {
                match source {
                    Some(source) => by_key.insert(key, source),
                    None => by_key.remove(&key),
                };
            }
        }
        Self { by_key }
    }

    /// The source cited for `key` (`authorize.legacy_force.forces_consent`), or for the
    /// nearest enclosing key that cites one; empty when none does.
    pub fn of(&self, key: &str) -> String {
        let mut key = key;
        loop {
            if let Some(source) = self.by_key.get(key) {
                return source.clone();
            }
            match key.rsplit_once('.') {
                Some((parent, _)) => key = parent,
                None => return String::new(),
            }
        }
    }
}

/// Every key line of a YAML text with its dotted path and its comment, in order.
fn read(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut above: Vec<&str> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(comment) = trimmed.strip_prefix('#') {
            above.push(comment.trim());
            continue;
        }
        let key_end = trimmed
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_@.-".contains(c)))
            .unwrap_or(trimmed.len());
        let rest = &trimmed[key_end..];
        let is_key = key_end > 0 && (rest == ":" || rest.starts_with(": "));
        if !is_key {
            above.clear();
            continue;
        }
        while path.last().is_some_and(|(i, _)| *i >= indent) {
            path.pop();
        }
        path.push((indent, trimmed[..key_end].to_string()));
        let dotted = path.iter().map(|(_, k)| k.as_str()).collect::<Vec<_>>().join(".");
        let trailing = trailing_comment(&rest[1..]).map(str::to_string);
        let block = (!above.is_empty()).then(|| above.join(" "));
        out.push((dotted, trailing.or(block)));
        above.clear();
    }
    out
}

/// The comment after a value (` # …` outside quotes).
fn trailing_comment(value: &str) -> Option<&str> {
    let mut quote = None;
    let mut previous = ' ';
    for (at, c) in value.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if previous.is_whitespace() => return Some(value[at + 1..].trim()),
            _ => {}
        }
        previous = c;
    }
    None
}

/// A list as YAML's flow style writes it: `[force, auto]`.
pub fn flow<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "authorize:\n  # Checked in order.\n  required: [client_id, scope]\n  legacy_force:\n    accepted: [force]   # OBS php #1821\n    forces_consent: false   # OBS oauth2client #453\nerrors:\n  x: {description: \"a # b\"}\n";

    #[test]
    fn a_key_cites_its_trailing_comment_or_the_lines_above_it() {
        let citations = Citations::of_chain([BASE]);
        assert_eq!(
            citations.of("authorize.legacy_force.forces_consent"),
            "OBS oauth2client #453"
        );
        assert_eq!(citations.of("authorize.required"), "Checked in order.");
        assert_eq!(citations.of("errors.x"), "", "a # inside quotes is no comment");
        assert_eq!(citations.of("authorize.legacy_force"), "");
    }

    #[test]
    fn an_era_cites_its_own_sources_over_its_base() {
        let era = "extends: google\nauthorize:\n  legacy_force:\n    forces_consent: true   # DOC (2013)\n    accepted: [force, auto]\n";
        let citations = Citations::of_chain([BASE, era]);
        assert_eq!(citations.of("authorize.legacy_force.forces_consent"), "DOC (2013)");
        assert_eq!(
            citations.of("authorize.legacy_force.accepted"),
            "",
            "a value the era changes without a source does not keep the base's"
        );
    }

    #[test]
    fn the_google_profile_cites_its_consent_rule() {
        let profile = super::super::Registry::builtin().load("google@2015").unwrap();
        assert!(
            profile
                .citations
                .of("authorize.legacy_force.forces_consent")
                .starts_with("DOC (2013)")
        );
        assert!(
            profile
                .citations
                .of("consent.forced_by_prompt_consent")
                .starts_with("D2")
        );
    }

    fn traced(profile: &str, query: &str) -> Vec<Vec<Decision>> {
        use super::super::ConsentDecision;
        let mut engine = super::super::engine_tests::engine(profile).with_trace();
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        (0..2)
            .map(|_| {
                engine.authorize(&params, "alice", &ConsentDecision::GrantAll);
                engine.take_trace()
            })
            .collect()
    }

    const OFFLINE: &str =
        "client_id=app&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline";

    #[test]
    fn the_legacy_force_value_is_explained_as_ignored_today_with_its_source() {
        let grants = traced("google", &format!("{OFFLINE}&approval_prompt=force"));
        let force = grants[1].iter().find(|d| d.rule == Rule::LegacyForce).unwrap();
        assert_eq!(force.key, "authorize.legacy_force.forces_consent");
        assert_eq!((force.value.as_str(), &force.effect), ("false", &Effect::Ignored));
        assert!(force.source.starts_with("OBS oauth2client #453"), "{}", force.source);
        let effects: Vec<(Rule, &Effect)> = grants[1]
            .iter()
            .filter(|d| matches!(d.rule, Rule::Consent | Rule::RefreshToken))
            .map(|d| (d.rule, &d.effect))
            .collect();
        assert_eq!(
            effects,
            [
                (Rule::Consent, &Effect::ConsentSkipped),
                (Rule::RefreshToken, &Effect::RefreshTokenWithheld)
            ]
        );
        let then = traced("google@2015", &format!("{OFFLINE}&approval_prompt=force"));
        let consent = then[1].iter().find(|d| d.rule == Rule::Consent).unwrap();
        assert_eq!(consent.effect, Effect::ConsentForced);
    }

    #[test]
    fn every_refused_value_is_explained_and_the_first_answered() {
        let grants = traced("google", &format!("{OFFLINE}&prompt=bogus%20consent%20other"));
        let refused: Vec<&str> = grants[0]
            .iter()
            .filter(|d| d.rule == Rule::PromptValue)
            .map(Decision::given)
            .collect();
        assert_eq!(refused, ["bogus", "other"]);
        let error = grants[0][0].error().unwrap();
        assert_eq!(
            error.description,
            "Invalid parameter value for prompt: Invalid prompt: bogus"
        );
        let missing = traced("google", "response_type=code&redirect_uri=x");
        let names: Vec<&str> = missing[0]
            .iter()
            .filter_map(|d| d.param.as_ref())
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["client_id", "scope"]);
    }

    #[test]
    fn a_trace_that_is_off_builds_nothing() {
        let mut trace = Trace::default();
        trace.note(|| unreachable!("not built when off"));
        assert!(trace.take().is_empty());
    }
}
