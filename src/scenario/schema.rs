//! The scenario file format, v1: strict (unknown keys are errors) and documented in
//! docs/scenarios.md. Names that refer to other parts of the file (matrix axes, clients,
//! users, providers) are checked while parsing, so their errors carry a line and column.

use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::provider::{ClientKind, PublishingStatus, closest};

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub provider: Option<ProviderRef>,
    /// The provider whose wording or values the expectations depend on (`google`: its scope
    /// URLs, `expires_in: 3599`, its error texts). A live consent probe of a provider of
    /// another family lists such a scenario once as not applicable instead of running it.
    /// None given: the expectations hold for any provider.
    #[serde(default)]
    pub specific_to: Option<ProviderRef>,
    /// Named clients; the first is the default. None given: one `web` client.
    #[serde(default)]
    pub clients: IndexMap<String, ClientSpec>,
    /// User names; the first is the default. None given: `alice`.
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub matrix: Matrix,
    /// Authorization parameters sent on purpose although the provider does not know them
    /// (a typo the scenario is about): no warning for these.
    #[serde(default)]
    pub unknown_parameters: Vec<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    #[serde(rename = "type", default)]
    pub kind: ClientKind,
    #[serde(default)]
    pub status: PublishingStatus,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The Google Cloud project the client belongs to; clients that name none share the
    /// scenario's one project, `default`.
    #[serde(default)]
    pub project: Option<String>,
    /// When the client was created, `YYYY-MM-DD` (granular consent depends on it).
    #[serde(default, deserialize_with = "date")]
    pub created: Option<String>,
}

fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    text(d, |v| match v.parse::<jiff::civil::Date>() {
        Ok(parsed) if parsed.to_string() == v => Ok(()),
        _ => Err(format!("`{v}` is not a date; write YYYY-MM-DD (`2018-05-01`)")),
    })
}

/// A provider profile id, checked against the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRef(pub String);

/// Matrix axes in file order; the axis `provider` selects the provider profile.
#[derive(Debug, Clone, Default)]
pub struct Matrix(pub Vec<(String, Vec<AxisValue>)>);

/// One value of a matrix axis: a scalar, or a set of authorization parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AxisValue {
    Scalar(String),
    Params(Vec<(String, Option<String>)>),
}

impl AxisValue {
    /// The value's stable name, used in case names and `when:` (`prompt=consent`).
    pub fn name(&self) -> String {
        match self {
            AxisValue::Scalar(s) => s.clone(),
            AxisValue::Params(params) => params
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("~")))
                .collect::<Vec<_>>()
                .join("&"),
        }
    }
}

/// A step: exactly one action, plus modifiers.
#[derive(Debug, Clone)]
pub struct Step {
    pub action: Action,
    /// Run this step only in cases whose matrix values match.
    pub when: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone)]
pub enum Action {
    Authorize(AuthorizeAction),
    Exchange(ExchangeAction),
    Refresh(RefreshAction),
    Revoke(RevokeAction),
    Userinfo,
    Discovery,
    Advance(u64),
    Event(EventAction),
    Expect(Expect),
    /// `repeat: {times: N, steps: [...]}`: the steps, N times over.
    Repeat(Repeat),
}

/// A block of steps run several times in a row.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    #[serde(deserialize_with = "repeat_times")]
    pub times: usize,
    pub steps: Vec<Step>,
}

/// How many times a block may repeat: enough for a 100-token story, bounded so a case stays small.
pub const MAX_REPEAT: usize = 10_000;

fn repeat_times<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let value = required_text(d, |v| match v.parse::<usize>() {
        Ok(n) if (1..=MAX_REPEAT).contains(&n) => Ok(()),
        _ => Err(format!("`times` must be a number from 1 to {MAX_REPEAT}, got `{v}`")),
    })?;
    Ok(value.parse().unwrap_or(1))
}

/// The steps in the order they run, a `repeat` block unrolled, each with the index of the
/// top-level step it comes from (whose line a failure names).
pub fn unrolled(steps: &[Step]) -> Vec<(usize, &Step)> {
    fn walk<'a>(steps: &'a [Step], top: Option<usize>, out: &mut Vec<(usize, &'a Step)>) {
        for (index, step) in steps.iter().enumerate() {
            let top = top.unwrap_or(index);
            match &step.action {
                Action::Repeat(block) => {
                    for _ in 0..block.times {
                        walk(&block.steps, Some(top), out);
                    }
                }
                _ => out.push((top, step)),
            }
        }
    }
    let mut out = Vec::new();
    walk(steps, None, &mut out);
    out
}

/// Something that happens outside the OAuth endpoints (docs/scenarios.md, `event`).
#[derive(Debug, Clone)]
pub struct EventAction {
    pub kind: EventKind,
    /// The client concerned (`remove_access`, `publish`, `unpublish`); default: the first.
    pub client: Option<String>,
    /// The user concerned; default: the first.
    pub user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    PasswordChange,
    AccountDisabled,
    AccountDeleted,
    RemoveAccess,
    SessionReauthRequired,
    Publish,
    Unpublish,
    AdminRestricts(String),
    RevocationDelay(u64),
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::PasswordChange => "password_change",
            EventKind::AccountDisabled => "account_disabled",
            EventKind::AccountDeleted => "account_deleted",
            EventKind::RemoveAccess => "remove_access",
            EventKind::SessionReauthRequired => "session_reauth_required",
            EventKind::Publish => "publish",
            EventKind::Unpublish => "unpublish",
            EventKind::AdminRestricts(_) => "admin_restricts",
            EventKind::RevocationDelay(_) => "revocation_delay",
        }
    }
}

const EVENTS: [&str; 9] = [
    "password_change",
    "account_disabled",
    "account_deleted",
    "remove_access",
    "session_reauth_required",
    "publish",
    "unpublish",
    "admin_restricts",
    "revocation_delay",
];

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EventVisitor;
        fn unknown_event<E: de::Error>(name: &str) -> E {
            let hint = closest(name, EVENTS)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            E::custom(format!(
                "unknown event `{name}`{hint}; expected one of: {}",
                EVENTS.join(", ")
            ))
        }
        impl<'de> Visitor<'de> for EventVisitor {
            type Value = EventKind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an event name, `{admin_restricts: SCOPE}` or `{revocation_delay: DURATION}`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EventKind, E> {
                Ok(match v {
                    "password_change" => EventKind::PasswordChange,
                    "account_disabled" => EventKind::AccountDisabled,
                    "account_deleted" => EventKind::AccountDeleted,
                    "remove_access" => EventKind::RemoveAccess,
                    "session_reauth_required" => EventKind::SessionReauthRequired,
                    "publish" => EventKind::Publish,
                    "unpublish" => EventKind::Unpublish,
                    "admin_restricts" | "revocation_delay" => {
                        return Err(E::custom(format!("`{v}` takes a value: `{{{v}: …}}`")));
                    }
                    other => return Err(unknown_event(other)),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventKind, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom("an empty map is no event"));
                };
                let Scalar(value) = map.next_value()?;
                let value = value.ok_or_else(|| de::Error::custom(format!("`{key}` needs a value, not ~")))?;
                let kind = match key.as_str() {
                    "admin_restricts" => EventKind::AdminRestricts(value),
                    "revocation_delay" => match parse_duration(&value) {
                        Some(seconds) => EventKind::RevocationDelay(seconds),
                        None => {
                            return Err(de::Error::custom(format!(
                                "`{value}` is not a duration; write seconds or a number with s, m, h or d (`10m`, `7d`)"
                            )));
                        }
                    },
                    other if EVENTS.contains(&other) => {
                        return Err(de::Error::custom(format!(
                            "`{other}` takes no value; write `event: {other}`"
                        )));
                    }
                    other => return Err(unknown_event(other)),
                };
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom("an event step names one event"));
                }
                Ok(kind)
            }
        }
        d.deserialize_any(EventVisitor)
    }
}

impl Action {
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::Authorize(_) => "authorize",
            Action::Exchange(_) => "exchange",
            Action::Refresh(_) => "refresh",
            Action::Revoke(_) => "revoke",
            Action::Userinfo => "userinfo",
            Action::Discovery => "discovery",
            Action::Advance(_) => "advance",
            Action::Event(_) => "event",
            Action::Expect(_) => "expect",
            Action::Repeat(_) => "repeat",
        }
    }
}

/// A raw parameter map: values are strings, `${axis}` refers to a matrix value, `~` removes
/// a parameter the runner would otherwise send.
pub type Params = Vec<(String, Option<ParamValue>)>;

#[derive(Debug, Clone)]
pub struct AuthorizeAction {
    pub params: Params,
    /// Matrix axes whose parameter sets are merged into the request.
    pub with: Vec<String>,
    pub client: Option<String>,
    pub user: Option<String>,
    pub pkce: Option<PkceMethod>,
    pub on_consent_screen: ConsentChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum PkceMethod {
    S256,
    #[serde(rename = "plain")]
    Plain,
}

/// What the simulated user does if a consent screen is shown: `grant`, `deny`, or
/// `{grant_only: [scopes]}` (also written `!grant_only [scopes]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ConsentChoice {
    #[default]
    Grant,
    Deny,
    GrantOnly(Vec<String>),
    /// Grant everything with time-based access: the authorization ends after these seconds.
    GrantFor(u64),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeAction {
    #[serde(default)]
    pub fault: Option<ExchangeFault>,
    #[serde(default)]
    pub auth: ClientAuth,
    #[serde(default, deserialize_with = "params")]
    pub params: Params,
    /// Authenticate with this registered client's credentials instead of those of the client
    /// the code was issued to.
    #[serde(default)]
    pub client: Option<ClientRef>,
    /// Which authorization code: `latest` (default: the latest authorization's, even if it
    /// returned none), `first`, or the n-th code received (1-based), among those `of` selects.
    #[serde(default)]
    pub code: Option<TokenPick>,
    /// Count only the codes, or tokens, received by this client and/or for this user.
    #[serde(default)]
    pub of: Of,
}

/// Whose codes or tokens a pick counts: `{client: NAME, user: NAME}`, either or both.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Of {
    #[serde(default)]
    pub client: Option<ClientRef>,
    #[serde(default)]
    pub user: Option<UserRef>,
}

impl Of {
    pub fn is_empty(&self) -> bool {
        self.client.is_none() && self.user.is_none()
    }
}

/// Deliberate mistakes a client makes at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExchangeFault {
    ReuseCode,
    GarbledCode,
    WrongVerifier,
    MissingVerifier,
    ExtraVerifier,
    WrongRedirectUri,
    MissingRedirectUri,
    WrongSecret,
    MissingSecret,
    UnknownClient,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body (client_secret_post).
    #[default]
    Body,
    /// HTTP Basic (client_secret_basic).
    Basic,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshAction {
    /// Which refresh token: `latest` (default), `first`, or the n-th received (1-based).
    #[serde(default)]
    pub token: TokenPick,
    #[serde(default)]
    pub fault: Option<RefreshFault>,
    #[serde(default)]
    pub auth: ClientAuth,
    /// Refresh as this client instead of the one that got the token.
    #[serde(default)]
    pub client: Option<ClientRef>,
    #[serde(default, deserialize_with = "params")]
    pub params: Params,
    /// Count only the refresh tokens this client and/or user received.
    #[serde(default)]
    pub of: Of,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshFault {
    WrongSecret,
    MissingToken,
    GarbledToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenPick {
    #[default]
    Latest,
    First,
    Nth(usize),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeAction {
    pub token: RevokeToken,
    #[serde(default)]
    pub method: RevokeMethod,
    #[serde(default)]
    pub pick: TokenPick,
    /// Count only the tokens this client and/or user received.
    #[serde(default)]
    pub of: Of,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeToken {
    RefreshToken,
    AccessToken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum RevokeMethod {
    #[default]
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "GET")]
    Get,
}

/// Expectations on the response to the previous action.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub status: Option<u16>,
    /// An error code, or `none` for a response without an error.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<Presence>,
    #[serde(default)]
    pub consent_screen: Option<Shown>,
    /// The granted scope, compared as a set.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub refresh_token_expires_in: Option<u64>,
    /// Checks on values: a response field (`email`, `token_type`, `error_subtype`), an
    /// id_token claim (`id_token.email`), a response header (`header.content-type`) or `status`.
    #[serde(default)]
    pub values: IndexMap<String, ValueCheck>,
    /// Values to remember for later `same_as` / `differs_from` checks: name → what (as in `values`).
    #[serde(default)]
    pub capture: IndexMap<String, String>,
    /// Where the expected behaviour is documented; shown when the expectation fails.
    #[serde(default)]
    pub because: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    #[serde(default)]
    pub present: Vec<String>,
    #[serde(default)]
    pub absent: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Present,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shown {
    Shown,
    Skipped,
}

/// One check on a value: `VALUE` (equals), or one of `{equals: V}`, `{not: V}`,
/// `{matches: REGEX}`, `{not_matches: REGEX}`, `{same_as: CAPTURED}`, `{differs_from: CAPTURED}`.
#[derive(Debug, Clone)]
pub struct ValueCheck {
    pub test: ValueTest,
    /// The check holds when the test fails (`not`, `not_matches`, `differs_from`).
    pub negated: bool,
}

#[derive(Debug, Clone)]
pub enum ValueTest {
    Equals(String),
    Matches(regex::Regex),
    /// Equal to what an earlier `capture:` remembered under this name.
    SameAs(String),
}

const VALUE_CHECKS: &str = "a value, or one of `equals`, `not`, `matches`, `not_matches`, `same_as`, `differs_from`";

impl<'de> Deserialize<'de> for ValueCheck {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CheckVisitor;
        impl<'de> Visitor<'de> for CheckVisitor {
            type Value = ValueCheck;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(VALUE_CHECKS)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ValueCheck, E> {
                Ok(ValueCheck {
                    test: ValueTest::Equals(v.to_string()),
                    negated: false,
                })
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ValueCheck, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ValueCheck, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ValueCheck, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ValueCheck, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ValueCheck, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(format!(
                        "an empty map is no check; expected {VALUE_CHECKS}"
                    )));
                };
                let Scalar(value) = map.next_value()?;
                let value = value.ok_or_else(|| de::Error::custom(format!("`{key}` needs a value, not ~")))?;
                let regex = |v: &str| {
                    regex::Regex::new(v)
                        .map_err(|e| de::Error::custom(format!("`{v}` is not a regular expression: {e}")))
                };
                let (test, negated) = match key.as_str() {
                    "equals" => (ValueTest::Equals(value), false),
                    "not" => (ValueTest::Equals(value), true),
                    "matches" => (ValueTest::Matches(regex(&value)?), false),
                    "not_matches" => (ValueTest::Matches(regex(&value)?), true),
                    "same_as" => (ValueTest::SameAs(value), false),
                    "differs_from" => (ValueTest::SameAs(value), true),
                    other => {
                        let known = ["equals", "not", "matches", "not_matches", "same_as", "differs_from"];
                        let hint = closest(other, known)
                            .map(|s| format!("; did you mean `{s}`?"))
                            .unwrap_or_default();
                        return Err(de::Error::custom(format!(
                            "unknown check `{other}`{hint}; expected {VALUE_CHECKS}"
                        )));
                    }
                };
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom(
                        "a value check takes one key; write several checks as separate expect steps",
                    ));
                }
                Ok(ValueCheck { test, negated })
            }
        }
        d.deserialize_any(CheckVisitor)
    }
}

/// A client name, checked against `clients:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRef(pub String);

/// A parameter value, with `${axis}` references checked against the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValue(pub String);

// ------------------------------------------------------------------ name checking

/// What the references of a file may name (`references::check` checks them after parsing).
#[derive(Debug, Default)]
pub(crate) struct Names {
    pub providers: Vec<String>,
    pub axes: BTreeMap<String, Vec<String>>,
    pub param_axes: Vec<String>,
    pub clients: Vec<String>,
    pub users: Vec<String>,
}

pub(crate) fn unknown(kind: &str, name: &str, known: &[String]) -> String {
    let hint = match closest(name, known.iter().map(String::as_str)) {
        // providers come from outside the file: name them all, as the registry does
        Some(s) if kind == "provider" => format!("; did you mean `{s}`? (known: {})", known.join(", ")),
        Some(s) => format!("; did you mean `{s}`?"),
        None if known.is_empty() => format!("; this file defines no {kind}s"),
        None => format!("; expected one of: {}", known.join(", ")),
    };
    format!("unknown {kind} `{name}`{hint}")
}

/// Checks every `${name}` in a parameter value.
pub(crate) fn check_interpolation(names: &Names, value: &str) -> Result<(), String> {
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("unclosed `${{` in `{value}`"));
        };
        let axis = &after[..end];
        // `${captured.NAME}`: a value an earlier `capture:` remembered (filled in when sent)
        if !names.axes.contains_key(axis) && !axis.starts_with("captured.") {
            let known: Vec<String> = names.axes.keys().cloned().collect();
            return Err(unknown("matrix variable", axis, &known));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// A name checked against one list of the names the file defines.
pub(crate) fn check_name(kind: &str, known: &[String], name: &str) -> Result<(), String> {
    match known.iter().any(|n| n == name) {
        true => Ok(()),
        false => Err(unknown(kind, name, known)),
    }
}

/// A name checked against one list, or `${axis}`: a matrix axis whose every value is such a
/// name (`client: "${app}"`), filled in per case by the runner.
pub(crate) fn check_name_or_variable(names: &Names, kind: &str, known: &[String], name: &str) -> Result<(), String> {
    let Some(axis) = name.strip_prefix("${").and_then(|rest| rest.strip_suffix('}')) else {
        return check_name(kind, known, name);
    };
    check_interpolation(names, name)?;
    let values = names.axes.get(axis).map(Vec::as_slice).unwrap_or_default();
    match values.iter().find(|v| !known.contains(v)) {
        Some(bad) => Err(format!(
            "matrix axis `{axis}` has the value `{bad}`, which is not a {kind}; {}",
            unknown(kind, bad, known)
        )),
        None => Ok(()),
    }
}

/// A matrix axis name used by `with:`; it must hold parameter sets.
pub(crate) fn check_param_axis(names: &Names, name: &str) -> Result<(), String> {
    if names.param_axes.iter().any(|a| a == name) {
        Ok(())
    } else if names.axes.contains_key(name) {
        Err(format!(
            "matrix axis `{name}` holds plain values; `with:` takes an axis of parameter maps"
        ))
    } else {
        let known: Vec<String> = names.axes.keys().cloned().collect();
        Err(unknown("matrix variable", name, &known))
    }
}

/// A matrix axis name (a `when:` key).
pub(crate) fn check_axis_name(names: &Names, axis: &str) -> Result<(), String> {
    match names.axes.contains_key(axis) {
        true => Ok(()),
        false => Err(unknown(
            "matrix variable",
            axis,
            &names.axes.keys().cloned().collect::<Vec<_>>(),
        )),
    }
}

/// One value name of the matrix axis `axis` (a `when:` value).
pub(crate) fn check_axis_value(names: &Names, axis: &str, value: &str) -> Result<(), String> {
    match names.axes.get(axis) {
        Some(known) if known.iter().any(|k| k == value) => Ok(()),
        Some(known) => Err(unknown(&format!("value of matrix axis `{axis}`"), value, known)),
        None => Ok(()),
    }
}

// ------------------------------------------------------------------ deserializers
//
// Checks run inside `visit_*`, so that serde_yaml attaches the offending scalar's own line
// and column to the error (an error raised after the visit would point at the parent map).

/// A YAML scalar as text, checked while it is visited; `null` is `None`.
struct TextVisitor<F> {
    check: F,
}

impl<'de, F: FnOnce(&str) -> Result<(), String>> Visitor<'de> for TextVisitor<F> {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number, boolean or ~")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        (self.check)(v).map_err(E::custom)?;
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A scalar as text (or `None` for `~`), with `check` run on it.
fn text<'de, D: Deserializer<'de>>(
    d: D,
    check: impl FnOnce(&str) -> Result<(), String>,
) -> Result<Option<String>, D::Error> {
    d.deserialize_any(TextVisitor { check })
}

/// A scalar that must be present (not `~`).
fn required_text<'de, D: Deserializer<'de>>(
    d: D,
    check: impl FnOnce(&str) -> Result<(), String>,
) -> Result<String, D::Error> {
    text(d, check)?.ok_or_else(|| de::Error::custom("expected a value, found ~"))
}

fn no_check(_: &str) -> Result<(), String> {
    Ok(())
}

struct Scalar(Option<String>);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        text(d, no_check).map(Scalar)
    }
}

/// A parameter value: `${axis}` references must name a matrix axis; `~` means "do not send".
struct ParamScalar(Option<String>);

impl<'de> Deserialize<'de> for ParamScalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        text(d, no_check).map(ParamScalar)
    }
}

/// A parameter map whose values may be any scalar; `~` means "do not send".
fn params<'de, D: Deserializer<'de>>(d: D) -> Result<Params, D::Error> {
    struct ParamsVisitor;
    impl<'de> Visitor<'de> for ParamsVisitor {
        type Value = Params;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of parameter names to values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Params, A::Error> {
            let mut out = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                let ParamScalar(value) = map.next_value()?;
                out.push((key, value.map(ParamValue)));
            }
            Ok(out)
        }
    }
    d.deserialize_map(ParamsVisitor)
}

impl<'de> Deserialize<'de> for ProviderRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        required_text(d, no_check).map(ProviderRef)
    }
}

impl<'de> Deserialize<'de> for ClientRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        required_text(d, no_check).map(ClientRef)
    }
}

/// A user name, checked against `users:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef(pub String);

impl<'de> Deserialize<'de> for UserRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        required_text(d, no_check).map(UserRef)
    }
}

/// A matrix axis name used by `with:`; it must hold parameter sets.
struct ParamAxisRef(String);

impl<'de> Deserialize<'de> for ParamAxisRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        required_text(d, no_check).map(ParamAxisRef)
    }
}

/// One value or a list of them.
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::IntoDeserializer;
        struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrManyVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(v.into_deserializer()).map(OneOrMany::One)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                T::deserialize(v.to_string().into_deserializer()).map(OneOrMany::One)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(v.to_string().into_deserializer()).map(OneOrMany::One)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(v.to_string().into_deserializer()).map(OneOrMany::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(OneOrMany::Many(out))
            }
        }
        d.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Matrix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MatrixVisitor;
        impl<'de> Visitor<'de> for MatrixVisitor {
            type Value = Matrix;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of axis names to lists of values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Matrix, A::Error> {
                let mut axes = Vec::new();
                while let Some(axis) = map.next_key::<String>()? {
                    let values: Vec<AxisValue> = if axis == "provider" {
                        let providers: Vec<ProviderRef> = map.next_value()?;
                        providers.into_iter().map(|p| AxisValue::Scalar(p.0)).collect()
                    } else {
                        map.next_value()?
                    };
                    if values.is_empty() {
                        return Err(de::Error::custom(format!("matrix axis `{axis}` has no values")));
                    }
                    axes.push((axis, values));
                }
                Ok(Matrix(axes))
            }
        }
        d.deserialize_map(MatrixVisitor)
    }
}

impl<'de> Deserialize<'de> for AxisValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AxisValueVisitor;
        impl<'de> Visitor<'de> for AxisValueVisitor {
            type Value = AxisValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar or a map of authorization parameters")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AxisValue, E> {
                Ok(AxisValue::Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<AxisValue, E> {
                Ok(AxisValue::Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AxisValue, E> {
                Ok(AxisValue::Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AxisValue, E> {
                Ok(AxisValue::Scalar(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AxisValue, A::Error> {
                let mut params = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let Scalar(value) = map.next_value()?;
                    params.push((key, value));
                }
                Ok(AxisValue::Params(params))
            }
        }
        d.deserialize_any(AxisValueVisitor)
    }
}

const CONSENT_CHOICES: &str = "`grant`, `deny`, `{grant_only: [scopes]}` or `{grant_for: DURATION}`";

impl ConsentChoice {
    fn named<E: de::Error>(name: &str) -> Result<Self, E> {
        match name {
            "grant" => Ok(ConsentChoice::Grant),
            "deny" => Ok(ConsentChoice::Deny),
            "grant_only" => Err(E::custom(
                "`grant_only` needs the scopes the user ticks: `{grant_only: [scope, …]}`",
            )),
            other => {
                let hint = closest(other, ["grant", "deny", "grant_only"])
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                Err(E::custom(format!(
                    "unknown consent choice `{other}`{hint}; expected {CONSENT_CHOICES}"
                )))
            }
        }
    }
}

impl<'de> Deserialize<'de> for ConsentChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ChoiceVisitor;
        impl<'de> Visitor<'de> for ChoiceVisitor {
            type Value = ConsentChoice;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(CONSENT_CHOICES)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ConsentChoice, E> {
                ConsentChoice::named(v)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ConsentChoice, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(format!(
                        "an empty map is no consent choice; expected {CONSENT_CHOICES}"
                    )));
                };
                if key == "grant_for" {
                    let Scalar(value) = map.next_value()?;
                    let value = value.unwrap_or_default();
                    return match parse_duration(&value) {
                        Some(seconds) if seconds > 0 => Ok(ConsentChoice::GrantFor(seconds)),
                        _ => Err(de::Error::custom(format!(
                            "`{value}` is not a duration; write the time-based access the user picks, as `30d` or `180d`"
                        ))),
                    };
                }
                if key != "grant_only" {
                    let hint = closest(&key, ["grant_only", "grant_for"])
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    return Err(de::Error::custom(format!(
                        "unknown consent choice `{key}`{hint}; expected {CONSENT_CHOICES}"
                    )));
                }
                let scopes = map.next_value::<OneOrMany<String>>()?.into_vec();
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom("`grant_only` takes no other keys beside it"));
                }
                Ok(ConsentChoice::GrantOnly(
                    scopes
                        .iter()
                        .flat_map(|s| s.split_whitespace())
                        .map(str::to_string)
                        .collect(),
                ))
            }
            fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<ConsentChoice, A::Error> {
                use de::VariantAccess;
                let (name, variant) = data.variant::<String>()?;
                match name.as_str() {
                    "grant_only" => Ok(ConsentChoice::GrantOnly(variant.newtype_variant::<Vec<String>>()?)),
                    other => {
                        variant.unit_variant()?;
                        ConsentChoice::named(other)
                    }
                }
            }
        }
        d.deserialize_any(ChoiceVisitor)
    }
}

impl<'de> Deserialize<'de> for TokenPick {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = text(d, |v| match v {
            "latest" | "first" => Ok(()),
            n if n.parse::<usize>().is_ok_and(|n| n >= 1) => Ok(()),
            other => Err(format!("expected `latest`, `first` or a number from 1, got `{other}`")),
        })?;
        Ok(match value.as_deref() {
            None | Some("latest") => TokenPick::Latest,
            Some("first") => TokenPick::First,
            Some(n) => TokenPick::Nth(n.parse().unwrap_or(1)),
        })
    }
}

/// `advance:` takes seconds or a duration like `90s`, `10m`, `2h`, `7d`.
fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let value = required_text(d, |text| match parse_duration(text) {
        Some(_) => Ok(()),
        None => Err(format!(
            "`{text}` is not a duration; write seconds or a number with s, m, h or d (`10m`, `7d`)"
        )),
    })?;
    Ok(parse_duration(&value))
}

pub fn parse_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(scale)
}

/// The `when:` map: axis name → the value names this step runs for.
fn when<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Vec<String>)>, D::Error> {
    struct WhenVisitor;
    impl<'de> Visitor<'de> for WhenVisitor {
        type Value = Vec<(String, Vec<String>)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of matrix axes to a value or a list of values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(Name(axis)) = map.next_key()? {
                let AxisValues(values) = map.next_value()?;
                out.push((axis, values));
            }
            Ok(out)
        }
    }
    d.deserialize_map(WhenVisitor)
}

/// A name as written (a `when:` axis or value): any scalar but `~`.
struct Name(String);

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        required_text(d, no_check).map(Name)
    }
}

/// One value name of a matrix axis, or a list of them.
struct AxisValues(Vec<String>);

impl<'de> Deserialize<'de> for AxisValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;
        impl<'de> Visitor<'de> for ValuesVisitor {
            type Value = Vec<String>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a matrix value or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
                Ok(vec![v.to_string()])
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Vec<String>, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<String>, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<String>, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
                let mut out = Vec::new();
                while let Some(Name(value)) = seq.next_element()? {
                    out.push(value);
                }
                Ok(out)
            }
        }
        d.deserialize_any(ValuesVisitor).map(AxisValues)
    }
}

/// `with:` takes one axis name or a list of them.
fn with_axes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(OneOrMany::<ParamAxisRef>::deserialize(d)?
        .into_vec()
        .into_iter()
        .map(|a| a.0)
        .collect())
}

/// The step as written: every key optional; `TryFrom` checks that exactly one action is set.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default, deserialize_with = "authorize_params")]
    authorize: Option<(Params, Vec<String>)>,
    #[serde(default, deserialize_with = "present")]
    exchange: Option<ExchangeAction>,
    #[serde(default, deserialize_with = "present")]
    refresh: Option<RefreshAction>,
    #[serde(default)]
    revoke: Option<RevokeAction>,
    #[serde(default, deserialize_with = "present")]
    userinfo: Option<Empty>,
    #[serde(default, deserialize_with = "present")]
    discovery: Option<Empty>,
    #[serde(default, deserialize_with = "duration")]
    advance: Option<u64>,
    #[serde(default)]
    event: Option<EventKind>,
    #[serde(default)]
    repeat: Option<Repeat>,
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    client: Option<ClientRef>,
    #[serde(default)]
    user: Option<UserRef>,
    #[serde(default)]
    pkce: Option<PkceMethod>,
    #[serde(default)]
    on_consent_screen: Option<ConsentChoice>,
    #[serde(default, deserialize_with = "when")]
    when: Vec<(String, Vec<String>)>,
    /// Shorthand for `because:` inside `expect:`.
    #[serde(default)]
    because: Option<String>,
}

/// A key that is present, even with an empty value (`- exchange:`), is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<Option<T>, D::Error> {
    Ok(Some(Option::<T>::deserialize(d)?.unwrap_or_default()))
}

/// `{}` or nothing.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

/// The `authorize:` map: raw parameters plus the reserved key `with`.
fn authorize_params<'de, D: Deserializer<'de>>(d: D) -> Result<Option<(Params, Vec<String>)>, D::Error> {
    struct AuthorizeVisitor;
    impl<'de> Visitor<'de> for AuthorizeVisitor {
        type Value = Option<(Params, Vec<String>)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of authorization parameters")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Some((Vec::new(), Vec::new())))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut params = Vec::new();
            let mut with = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                if key == "with" {
                    with = map.next_value::<WithAxes>()?.0;
                    continue;
                }
                let ParamScalar(value) = map.next_value()?;
                params.push((key, value.map(ParamValue)));
            }
            Ok(Some((params, with)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(de::Error::custom("`authorize:` takes a map of parameters, not a list"))
        }
    }
    d.deserialize_any(AuthorizeVisitor)
}

struct WithAxes(Vec<String>);

impl<'de> Deserialize<'de> for WithAxes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        with_axes(d).map(WithAxes)
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawStep::deserialize(d)?;
        Step::try_from(raw).map_err(de::Error::custom)
    }
}

const ACTIONS: &str = "authorize, exchange, refresh, revoke, userinfo, discovery, advance, event, expect, repeat";

impl TryFrom<RawStep> for Step {
    type Error = String;

    fn try_from(raw: RawStep) -> Result<Self, String> {
        let mut actions = Vec::new();
        let authorize_modifiers =
            raw.client.is_some() || raw.user.is_some() || raw.pkce.is_some() || raw.on_consent_screen.is_some();
        if let Some((params, with)) = raw.authorize {
            actions.push(Action::Authorize(AuthorizeAction {
                params,
                with,
                client: raw.client.map(|c| c.0),
                user: raw.user.map(|u| u.0),
                pkce: raw.pkce,
                on_consent_screen: raw.on_consent_screen.unwrap_or_default(),
            }));
        } else if let Some(kind) = raw.event.clone() {
            if raw.pkce.is_some() || raw.on_consent_screen.is_some() {
                return Err("`pkce` and `on_consent_screen` belong to an `authorize` step".into());
            }
            actions.push(Action::Event(EventAction {
                kind,
                client: raw.client.map(|c| c.0),
                user: raw.user.map(|u| u.0),
            }));
        } else if authorize_modifiers {
            return Err(
                "`client`, `user`, `pkce` and `on_consent_screen` belong to an `authorize` step (`client` and `user` also to an `event`)"
                    .into(),
            );
        }
        if let (Some(kind), true) = (
            raw.event,
            actions.len() == 1 && matches!(actions[0], Action::Authorize(_)),
        ) {
            // both on one step: reported as two actions below
            actions.push(Action::Event(EventAction {
                kind,
                client: None,
                user: None,
            }));
        }
        if let Some(exchange) = raw.exchange {
            actions.push(Action::Exchange(exchange));
        }
        if let Some(refresh) = raw.refresh {
            actions.push(Action::Refresh(refresh));
        }
        if let Some(revoke) = raw.revoke {
            actions.push(Action::Revoke(revoke));
        }
        if raw.userinfo.is_some() {
            actions.push(Action::Userinfo);
        }
        if raw.discovery.is_some() {
            actions.push(Action::Discovery);
        }
        if let Some(seconds) = raw.advance {
            actions.push(Action::Advance(seconds));
        }
        if let Some(block) = raw.repeat {
            if block.steps.is_empty() {
                return Err("`repeat` needs `steps:` to repeat".into());
            }
            actions.push(Action::Repeat(block));
        }
        match (raw.expect, raw.because) {
            (Some(mut expect), because) => {
                expect.because = expect.because.or(because);
                actions.push(Action::Expect(expect));
            }
            (None, Some(_)) => return Err("`because` belongs to an `expect` step".into()),
            (None, None) => {}
        }
        match actions.len() {
            1 => Ok(Step {
                action: actions.remove(0),
                when: raw.when,
            }),
            0 => Err(format!("a step needs one action: {ACTIONS}")),
            _ => {
                let names: Vec<&str> = actions.iter().map(Action::keyword).collect();
                Err(format!(
                    "a step takes one action, this one has {}; split it into separate steps",
                    names.join(" and ")
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(text: &str) -> Result<ConsentChoice, String> {
        serde_yaml::from_str::<ConsentChoice>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn consent_choices_read_as_words_maps_and_tags() {
        assert_eq!(choice("grant"), Ok(ConsentChoice::Grant));
        assert_eq!(choice("deny"), Ok(ConsentChoice::Deny));
        let drive = "https://www.googleapis.com/auth/drive.file";
        let want = Ok(ConsentChoice::GrantOnly(vec![drive.into()]));
        assert_eq!(choice(&format!("{{grant_only: [{drive}]}}")), want);
        assert_eq!(choice(&format!("grant_only:\n  - {drive}\n")), want);
        assert_eq!(choice(&format!("!grant_only [{drive}]")), want);
        assert_eq!(
            choice("{grant_only: \"a b\"}"),
            Ok(ConsentChoice::GrantOnly(vec!["a".into(), "b".into()]))
        );
    }

    #[test]
    fn a_misspelt_consent_choice_suggests_the_closest() {
        let err = choice("dny").unwrap_err();
        assert!(
            err.contains("unknown consent choice `dny`; did you mean `deny`?"),
            "{err}"
        );
        let err = choice("{grant_onyl: [email]}").unwrap_err();
        assert!(err.contains("did you mean `grant_only`?"), "{err}");
        assert!(choice("grant_only").unwrap_err().contains("needs the scopes"));
    }
}
