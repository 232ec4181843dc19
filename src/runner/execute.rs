//! Runs one case's steps over HTTP against a provider: the in-process model, `serve`, or a
//! live provider. The same code drives all three, so their transcripts are comparable.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::expect::{self, Failure, StepObservation};
use crate::model::{
    ADMIN_PREFIX, CONSENT_HEADER, CONSENT_SCREEN_HEADER, DEFAULT_USER, ERROR_DESCRIPTION_HEADER, ERROR_HEADER,
    SESSION_HEADER, USER_HEADER,
};
use crate::provider::{ClientConfig, Event, Profile, PublishingStatus, RevokeClientAuth, random_token, s256_challenge};
use crate::scenario::{
    Action, AuthorizeAction, AxisValue, Case, ClientAuth, ConsentChoice, EventAction, EventKind, ExchangeAction,
    ExchangeFault, Of, Params, PkceMethod, RefreshAction, RefreshFault, RevokeAction, RevokeMethod, RevokeToken, Step,
    TokenPick,
};
use crate::target::{Body, Cause, Inconclusive, Request, Response, Transport};
use crate::transcript::{Aliases, RefreshSummary, RequestRecord, ResponseRecord, StepRecord, Transcript, canonical};

/// Where a case runs and what the provider there supports.
pub struct Endpoint<'a> {
    /// The transport to the target (`target::InProcess` for the in-process model,
    /// `target::Served` for `serve`, `target::LiveProvider` for a live provider).
    pub http: &'a dyn Transport,
    /// `http://127.0.0.1:PORT` or the provider's origin.
    pub base: String,
    pub profile: &'a Profile,
    /// The clients of the case by scenario name, in definition order.
    pub clients: &'a [(String, ClientConfig)],
    /// Whether the admin endpoints exist (model and `serve`; not a real provider).
    pub admin: bool,
    /// Alias received id_tokens, access tokens and refresh tokens by role and position, not by
    /// value (live runs and the model's predictions for them: a provider may mint
    /// byte-identical tokens within one second; see `transcript::Aliases`).
    pub id_tokens_by_position: bool,
}

/// What a case produced: its transcript and every expectation that failed.
#[derive(Debug, Clone)]
pub struct CaseRun {
    pub transcript: Transcript,
    pub failures: Vec<Failure>,
    /// A problem that stopped the case (only live runs have these), as text.
    pub fault: Option<String>,
    /// The same problem when it is a transport fault: the target gave no usable answer (a
    /// live case is then inconclusive, never drift).
    pub inconclusive: Option<Inconclusive>,
    /// The case's aliases: a live run scrubs every secret they know from what it reports.
    pub aliases: Aliases,
}

#[derive(Debug, Clone)]
struct Authorization {
    client: usize,
    redirect_uri: String,
    verifier: Option<String>,
    code: Option<String>,
    grant: usize,
    user: String,
}

/// Per-case state: what earlier steps received that later steps use.
#[derive(Default)]
struct State {
    aliases: Aliases,
    last: Option<StepObservation>,
    consent_screen: Option<bool>,
    authorization: Option<Authorization>,
    exchanged: Option<Authorization>,
    /// Every authorization that returned a code, in order (`exchange: {code: N, of: …}`).
    codes: Vec<Authorization>,
    /// Tokens received, in order, with the index of the client and the user they were issued to.
    refresh_tokens: Vec<Received>,
    access_tokens: Vec<Received>,
    grants: Vec<Option<bool>>,
    /// Why the step just run could not do what it says (an exchange without a code): a failure.
    loud: Option<String>,
    /// What `capture:` remembered.
    captured: expect::Captured,
}

/// A token and whom it was issued to: (value, client index, user).
type Received = (String, usize, String);

/// What the authorization endpoint answered, as the runner reads it (it holds codes: no Debug).
#[derive(Clone, Default)]
pub struct FrontAnswer {
    pub status: u16,
    /// The `Location` of a redirect: the app's redirect URI with the response parameters.
    pub location: Option<String>,
    /// Whether a consent screen was shown, when the provider says (model and `serve` do).
    pub consent_screen: Option<bool>,
    /// An error page's error code and description.
    pub page_error: Option<String>,
    pub page_description: Option<String>,
    pub body: String,
}

/// Why a step stopped its case.
#[derive(Debug, Clone)]
pub enum StepError {
    /// The target gave no usable answer within its retry policy.
    Transport(Inconclusive),
    /// Anything else: an answer no rule reads, a bad URL, a listener that could not start.
    Problem(String),
}

impl std::fmt::Display for StepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepError::Transport(inconclusive) => inconclusive.fmt(f),
            StepError::Problem(problem) => f.write_str(problem),
        }
    }
}

impl From<Inconclusive> for StepError {
    fn from(inconclusive: Inconclusive) -> Self {
        StepError::Transport(inconclusive)
    }
}

impl From<String> for StepError {
    fn from(problem: String) -> Self {
        StepError::Problem(problem)
    }
}

impl From<&str> for StepError {
    fn from(problem: &str) -> Self {
        StepError::Problem(problem.to_string())
    }
}

/// How an authorization request reaches the provider. The model and `serve` answer one GET
/// carrying the simulated user's headers ([`DirectFront`]); a live provider needs a browser
/// and a redirect listener (`live::consent`).
pub trait FrontChannel: Sync {
    /// Sends the authorization request `url` for `user`, whose consent decision is `decision`
    /// (`grant`, `deny`, `grant_only SCOPES`).
    fn authorize(
        &self,
        url: url::Url,
        user: &str,
        decision: &str,
    ) -> impl Future<Output = Result<FrontAnswer, StepError>> + Send;
}

/// The front channel of the model and `serve`: one GET with the test-hook headers.
pub struct DirectFront<'a> {
    pub http: &'a dyn Transport,
    /// Each request starts without a session (`x-oauth-drift-session: none`): the user signs
    /// in when asked, and `prompt=none`, which may not ask, meets a signed-out provider. A
    /// live consent probe whose browser keeps no session is predicted this way.
    pub signed_out: bool,
}

impl FrontChannel for DirectFront<'_> {
    async fn authorize(&self, url: url::Url, user: &str, decision: &str) -> Result<FrontAnswer, StepError> {
        let mut request = Request::get(url)
            .header(USER_HEADER, user)
            .header(CONSENT_HEADER, decision);
        if self.signed_out {
            request = request.header(SESSION_HEADER, "none");
        }
        let response = self.http.exchange(&request, Body::Any).await?;
        let header = |name: &str| response.header(name).map(str::to_string);
        let consent_screen = header(CONSENT_SCREEN_HEADER).map(|v| v == "shown");
        let location = header("location");
        let page_error = header(ERROR_HEADER);
        let page_description = header(ERROR_DESCRIPTION_HEADER);
        let status = response.status;
        let body = String::from_utf8_lossy(&response.body).into_owned();
        Ok(FrontAnswer {
            status,
            location,
            consent_screen,
            page_error,
            page_description,
            body,
        })
    }
}

/// Runs every step of `case` that applies to it.
pub async fn run_case(case: &Case, endpoint: &Endpoint<'_>) -> CaseRun {
    let front = DirectFront {
        http: endpoint.http,
        signed_out: false,
    };
    run_case_with(case, endpoint, &front).await
}

/// Runs every step of `case` that applies to it, sending authorization requests through `front`.
pub async fn run_case_with<F: FrontChannel>(case: &Case, endpoint: &Endpoint<'_>, front: &F) -> CaseRun {
    let mut state = State::default();
    if endpoint.id_tokens_by_position {
        state.aliases.by_position();
    }
    for (name, client) in endpoint.clients {
        state.aliases.name(&client.client_id, format!("<client_id:{name}>"));
        state
            .aliases
            .name(&client.client_secret, format!("<client_secret:{name}>"));
    }
    let mut steps = Vec::new();
    let mut failures = Vec::new();
    let mut fault = None;
    let mut inconclusive = None;
    let scenario = &case.scenario;
    for (index, step) in crate::scenario::unrolled(&scenario.file.steps) {
        if !step_applies(step, case) || !step_applies(&scenario.file.steps[index], case) {
            continue;
        }
        let line = scenario.step_lines.get(index).copied().unwrap_or(1);
        // a step that posts a form says what it sent (post_token); no other step echoes one
        state.aliases.sending([]);
        let result = match &step.action {
            Action::Expect(expectation) => {
                failures.extend(expect::check(
                    expectation,
                    state.last.as_ref(),
                    state.consent_screen,
                    line,
                    &mut state.captured,
                ));
                continue;
            }
            Action::Authorize(action) => authorize(action, case, endpoint, &mut state, front).await,
            Action::Exchange(action) => exchange(action, case, endpoint, &mut state).await,
            Action::Refresh(action) => refresh(action, case, endpoint, &mut state).await,
            Action::Revoke(action) => revoke(action, case, endpoint, &mut state).await,
            Action::Userinfo => userinfo(endpoint, &mut state).await,
            Action::Discovery => discovery(endpoint, &mut state).await,
            Action::Advance(seconds) => advance(*seconds, endpoint).await,
            Action::Event(action) => event(action, case, endpoint).await,
            // unrolled above: never reached
            Action::Repeat(_) => continue,
        };
        if let Some(problem) = state.loud.take() {
            failures.push(Failure {
                line,
                expectation: step.action.keyword().into(),
                expected: "a code to send".into(),
                actual: problem,
                because: None,
            });
        }
        match result {
            Ok(record) => steps.push(record),
            Err(problem) => {
                steps.push(StepRecord {
                    step: step.action.keyword().into(),
                    note: Some(problem.to_string()),
                    ..Default::default()
                });
                fault = Some(format!("step at line {line}: {problem}"));
                if let StepError::Transport(cause) = problem {
                    inconclusive = Some(cause);
                }
                break;
            }
        }
    }
    let refresh_token = RefreshSummary {
        first_grant: state.grants.first().copied().flatten(),
        repeat_grant: state.grants.get(1).copied().flatten(),
    };
    let transcript = Transcript::of_run(case.name.clone(), case.provider.clone(), refresh_token, steps);
    CaseRun {
        transcript,
        failures,
        fault,
        inconclusive,
        aliases: state.aliases,
    }
}

/// Whether a step runs in `case` (its `when:` matches the case's matrix values).
pub fn step_applies(step: &Step, case: &Case) -> bool {
    step.when
        .iter()
        .all(|(axis, values)| case.binding(axis).is_some_and(|v| values.contains(&v.name())))
}

type StepResult = Result<StepRecord, StepError>;

/// The parameters of an authorize step: defaults, then `with:` axes, then the step's own.
fn authorize_params(action: &AuthorizeAction, case: &Case, client: &ClientConfig) -> Vec<(String, Option<String>)> {
    let mut params: Vec<(String, Option<String>)> = vec![
        ("client_id".into(), Some(client.client_id.clone())),
        ("redirect_uri".into(), client.redirect_uris.first().cloned()),
        ("response_type".into(), Some("code".into())),
        ("state".into(), Some(random_token(12))),
    ];
    let mut set = |name: &str, value: Option<String>| match params.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value,
        None => params.push((name.to_string(), value)),
    };
    for axis in &action.with {
        if let Some(AxisValue::Params(pairs)) = case.binding(axis) {
            for (name, value) in pairs {
                set(name, value.clone());
            }
        }
    }
    for (name, value) in &action.params {
        set(name, value.as_ref().map(|v| interpolate(&v.0, case)));
    }
    params
}

/// Replaces `${axis}` with the case's value for that axis.
fn interpolate(text: &str, case: &Case) -> String {
    let mut out = text.to_string();
    for (axis, value) in &case.bindings {
        out = out.replace(&format!("${{{axis}}}"), &value.name());
    }
    out
}

fn client_index(endpoint: &Endpoint, name: Option<&str>) -> Result<usize, String> {
    match name {
        None => Ok(0),
        Some(name) => endpoint
            .clients
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| format!("unknown client `{name}`")),
    }
}

/// The query an authorize step sends with `client`, and the PKCE verifier kept for the
/// exchange. Live probes send exactly what a model run sends.
pub fn authorize_query(
    action: &AuthorizeAction,
    case: &Case,
    client: &ClientConfig,
) -> (Vec<(String, String)>, Option<String>) {
    let mut params = authorize_params(action, case, client);
    let verifier = action.pkce.map(|method| {
        let verifier = random_token(32);
        let (challenge, method) = match method {
            PkceMethod::S256 => (s256_challenge(&verifier), "S256"),
            PkceMethod::Plain => (verifier.clone(), "plain"),
        };
        params.push(("code_challenge".into(), Some(challenge)));
        params.push(("code_challenge_method".into(), Some(method.into())));
        verifier
    });
    (
        params.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect(),
        verifier,
    )
}

async fn authorize<F: FrontChannel>(
    action: &AuthorizeAction,
    case: &Case,
    endpoint: &Endpoint<'_>,
    state: &mut State,
    front: &F,
) -> StepResult {
    let client_name = action.client.as_deref().map(|c| interpolate(c, case));
    let client_index = client_index(endpoint, client_name.as_deref())?;
    let client = &endpoint.clients[client_index].1;
    let (mut sent, verifier) = authorize_query(action, case, client);
    fill_captured(&mut sent, &state.captured);
    let user = step_user(action.user.as_deref(), case);
    let decision = match &action.on_consent_screen {
        ConsentChoice::Grant => "grant".to_string(),
        ConsentChoice::Deny => "deny".to_string(),
        ConsentChoice::GrantOnly(scopes) => format!("grant_only {}", scopes.join(" ")),
        ConsentChoice::GrantFor(seconds) => format!("grant_for {seconds}"),
    };
    let path = &endpoint.profile.endpoints.authorize;
    let mut url = endpoint_url(endpoint, path)?;
    url.query_pairs_mut().extend_pairs(&sent);
    let FrontAnswer {
        status,
        location,
        consent_screen,
        page_error,
        page_description,
        body,
    } = front.authorize(url.clone(), &user, &decision).await?;

    let mut observed = StepObservation {
        status,
        ..Default::default()
    };
    let mut record = ResponseRecord {
        status,
        ..Default::default()
    };
    let redirect_uri = sent
        .iter()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut code = None;
    if let Some(location) = location {
        let crate::target::Redirect { target, params } = crate::target::Redirect::parse(&location);
        record.redirect = Some(state.aliases.scrub(&target));
        for (key, value) in params {
            if key == "code" {
                code = Some(value.clone());
            }
            if key == "access_token" {
                state.access_tokens.push((value.clone(), client_index, user.clone()));
            }
            observed.fields.insert(key.clone(), Value::String(value.clone()));
            let shown = if key == "iss" {
                // RFC 9207: the provider names itself; recorded by role, so a port or host
                // does not make two runs differ (another origin is shown as it is: drift)
                issuer_alias(&value, &url, &endpoint.profile.issuer)
            } else {
                state.aliases.received(&key, &value)
            };
            record.fields.insert(key.clone(), Value::String(shown));
        }
        observed.error = observed.fields.get("error").and_then(Value::as_str).map(str::to_string);
        observed.error_description = observed
            .fields
            .get("error_description")
            .and_then(Value::as_str)
            .map(str::to_string);
        record.fields.retain(|k, _| k != "error" && k != "error_description");
    } else if let Some(found) = oob_code(&body) {
        code = Some(found.clone());
        observed.fields.insert("code".into(), Value::String(found.clone()));
        record
            .fields
            .insert("code".into(), Value::String(state.aliases.field("code", &found)));
    } else if status >= 400 {
        record.error_page = Some(true);
        observed.error = Some(page_error.unwrap_or_else(|| "unknown".into()));
        observed.error_description = page_description;
    }
    record.error = observed.error.clone();
    record.error_description = observed.error_description.as_deref().map(|d| state.aliases.scrub(d));

    let wants_code = sent
        .iter()
        .any(|(k, v)| k == "response_type" && v.split_whitespace().any(|t| t == "code"));
    let grant = state.grants.len();
    if wants_code {
        // a grant that ends before a token exchange yields no refresh token
        state.grants.push(if code.is_some() { None } else { Some(false) });
    }
    state.consent_screen = consent_screen;
    let authorization = Authorization {
        client: client_index,
        redirect_uri,
        verifier,
        code,
        grant,
        user: user.clone(),
    };
    if authorization.code.is_some() {
        state.codes.push(authorization.clone());
    }
    state.authorization = Some(authorization);
    state.last = Some(observed);

    let params = sent
        .iter()
        .map(|(k, v)| (k.clone(), state.aliases.field(k, v)))
        .collect();
    let request = RequestRecord {
        method: "GET".into(),
        endpoint: path.clone(),
        user: Some(user),
        on_consent_screen: Some(decision),
        params,
        ..Default::default()
    };
    let consent_screen = consent_screen.map(|shown| {
        if shown {
            "shown".to_string()
        } else {
            "skipped".to_string()
        }
    });
    Ok(StepRecord {
        step: "authorize".into(),
        request: Some(request),
        consent_screen,
        response: Some(record),
        note: None,
    })
}

/// The code on an out-of-band page (`<title>Success code=…</title>`).
fn oob_code(body: &str) -> Option<String> {
    let start = body.find("<title>Success code=")? + "<title>Success code=".len();
    let end = body[start..].find("</title>")?;
    Some(html_escape::decode_html_entities(&body[start..start + end]).into_owned())
}

/// Replaces `${captured.NAME}` in parameter values with what `capture:` remembered (empty
/// when it remembered an absent value, or nothing under that name).
fn fill_captured(pairs: &mut [(String, String)], captured: &expect::Captured) {
    for (_, value) in pairs.iter_mut() {
        while let Some(start) = value.find("${captured.") {
            let Some(end) = value[start..].find('}').map(|e| start + e) else {
                break;
            };
            let name = &value[start + "${captured.".len()..end];
            let with = captured.get(name).cloned().flatten().unwrap_or_default();
            value.replace_range(start..=end, &with);
        }
    }
}

/// Applies `params:` overrides to a form: `~` removes, anything else sets (`${axis}` filled in).
fn apply_overrides(form: &mut Vec<(String, String)>, overrides: &Params, case: &Case) {
    for (name, value) in overrides {
        form.retain(|(k, _)| k != name);
        if let Some(value) = value {
            form.push((name.clone(), interpolate(&value.0, case)));
        }
    }
}

/// Client credentials: in the body, or as HTTP Basic (RFC 6749 §2.3.1).
fn credentials(
    client: &ClientConfig,
    auth: ClientAuth,
    secret: Option<&str>,
    form: &mut Vec<(String, String)>,
) -> Option<String> {
    match auth {
        ClientAuth::Body => {
            form.push(("client_id".into(), client.client_id.clone()));
            if let Some(secret) = secret {
                form.push(("client_secret".into(), secret.to_string()));
            }
            None
        }
        ClientAuth::Basic => {
            let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!("{}:{}", encode(&client.client_id), encode(secret.unwrap_or_default()));
            Some(format!("Basic {}", STANDARD.encode(pair)))
        }
    }
}

async fn exchange(action: &ExchangeAction, case: &Case, endpoint: &Endpoint<'_>, state: &mut State) -> StepResult {
    let fault = action.fault;
    let source = match (fault, action.code, action.of.is_empty()) {
        (Some(ExchangeFault::ReuseCode), _, _) => state.exchanged.clone().or_else(|| state.authorization.clone()),
        (_, None, true) => state.authorization.clone(),
        (_, which, _) => {
            let chosen: Vec<Authorization> = state
                .codes
                .iter()
                .filter(|a| is_of(&action.of, endpoint, case, a.client, &a.user))
                .cloned()
                .collect();
            pick(&chosen, which.unwrap_or_default())
        }
    };
    let Some(authorization) = source.filter(|a| a.code.is_some()) else {
        let note = "no authorization code to exchange: the authorization request did not return one".to_string();
        // RFC 6749 §4.1.2.1: a denied or failed authorization has no code; exchanging one is
        // the scenario's mistake, not a pass
        state.loud = Some(note.clone());
        state.last = Some(StepObservation::nothing(&note));
        return Ok(StepRecord {
            step: "exchange".into(),
            note: Some(note),
            ..Default::default()
        });
    };
    let credentials_of = match &action.client {
        Some(name) => client_index(endpoint, Some(&interpolate(&name.0, case)))?,
        None => authorization.client,
    };
    let mut client = endpoint.clients[credentials_of].1.clone();
    let mut code = authorization.code.clone().unwrap_or_default();
    let mut redirect_uri = Some(authorization.redirect_uri.clone());
    let mut verifier = authorization.verifier.clone();
    let mut secret = Some(client.client_secret.clone());
    match fault {
        Some(ExchangeFault::GarbledCode) => code = format!("{code}%2F"),
        Some(ExchangeFault::WrongVerifier) => verifier = Some(random_token(32)),
        Some(ExchangeFault::MissingVerifier) => verifier = None,
        Some(ExchangeFault::ExtraVerifier) => verifier = Some(random_token(32)),
        Some(ExchangeFault::WrongRedirectUri) => redirect_uri = Some("https://wrong.example.com/callback".into()),
        Some(ExchangeFault::MissingRedirectUri) => redirect_uri = None,
        Some(ExchangeFault::WrongSecret) => secret = Some("wrong-secret".into()),
        Some(ExchangeFault::MissingSecret) => secret = None,
        Some(ExchangeFault::UnknownClient) => {
            client.client_id = endpoint.profile.client_shape.client_id("unknown-client")
        }
        Some(ExchangeFault::ReuseCode) | None => {}
    }
    let mut form = vec![
        ("grant_type".to_string(), "authorization_code".to_string()),
        ("code".into(), code),
    ];
    if let Some(uri) = redirect_uri {
        form.push(("redirect_uri".into(), uri));
    }
    if let Some(verifier) = verifier {
        form.push(("code_verifier".into(), verifier));
    }
    let basic = credentials(&client, action.auth, secret.as_deref(), &mut form);
    apply_overrides(&mut form, &action.params, case);
    fill_captured(&mut form, &state.captured);
    let (record, observed) = post_token(endpoint, state, "exchange", form, basic, action.auth).await?;
    if observed.status == 200
        && state.exchanged.as_ref().is_none_or(|e| e.code != authorization.code)
        && let Some(slot) = state.grants.get_mut(authorization.grant)
        && slot.is_none()
    {
        *slot = Some(observed.fields.contains_key("refresh_token"));
    } else if observed.status != 200
        && fault.is_none()
        && let Some(slot) = state.grants.get_mut(authorization.grant)
        && slot.is_none()
    {
        *slot = Some(false);
    }
    remember_tokens(state, &observed, credentials_of, &authorization.user);
    state.exchanged = Some(authorization);
    state.last = Some(observed);
    Ok(record)
}

fn remember_tokens(state: &mut State, observed: &StepObservation, client: usize, user: &str) {
    if let Some(Value::String(token)) = observed.fields.get("refresh_token") {
        state.refresh_tokens.push((token.clone(), client, user.to_string()));
    }
    if let Some(Value::String(token)) = observed.fields.get("access_token") {
        state.access_tokens.push((token.clone(), client, user.to_string()));
    }
}

/// Whether something received by client `client` for `user` is among those `of` selects.
fn is_of(of: &Of, endpoint: &Endpoint, case: &Case, client: usize, user: &str) -> bool {
    let client_ok = of.client.as_ref().is_none_or(|c| {
        endpoint
            .clients
            .get(client)
            .is_some_and(|(name, _)| *name == interpolate(&c.0, case))
    });
    client_ok && of.user.as_ref().is_none_or(|u| interpolate(&u.0, case) == user)
}

/// The received tokens `of` selects.
fn received_of(items: &[Received], of: &Of, endpoint: &Endpoint, case: &Case) -> Vec<Received> {
    items
        .iter()
        .filter(|(_, client, user)| is_of(of, endpoint, case, *client, user))
        .cloned()
        .collect()
}

fn pick<T: Clone>(items: &[T], which: TokenPick) -> Option<T> {
    match which {
        TokenPick::Latest => items.last().cloned(),
        TokenPick::First => items.first().cloned(),
        TokenPick::Nth(n) => items.get(n - 1).cloned(),
    }
}

async fn refresh(action: &RefreshAction, case: &Case, endpoint: &Endpoint<'_>, state: &mut State) -> StepResult {
    let Some((mut token, owner, user)) = pick(
        &received_of(&state.refresh_tokens, &action.of, endpoint, case),
        action.token,
    ) else {
        let note = "no refresh token to refresh with: no earlier step received one".to_string();
        state.last = Some(StepObservation::nothing(&note));
        return Ok(StepRecord {
            step: "refresh".into(),
            note: Some(note),
            ..Default::default()
        });
    };
    let client_index = match &action.client {
        Some(name) => client_index(endpoint, Some(&interpolate(&name.0, case)))?,
        None => owner,
    };
    let client = &endpoint.clients[client_index].1;
    let mut secret = Some(client.client_secret.clone());
    match action.fault {
        Some(RefreshFault::WrongSecret) => secret = Some("wrong-secret".into()),
        Some(RefreshFault::GarbledToken) => token = format!("{token}x"),
        Some(RefreshFault::MissingToken) => token.clear(),
        None => {}
    }
    let mut form = vec![("grant_type".to_string(), "refresh_token".to_string())];
    if !token.is_empty() {
        form.push(("refresh_token".into(), token));
    }
    let basic = credentials(client, action.auth, secret.as_deref(), &mut form);
    apply_overrides(&mut form, &action.params, case);
    fill_captured(&mut form, &state.captured);
    let (record, observed) = post_token(endpoint, state, "refresh", form, basic, action.auth).await?;
    remember_tokens(state, &observed, client_index, &user);
    state.last = Some(observed);
    Ok(record)
}

async fn post_token(
    endpoint: &Endpoint<'_>,
    state: &mut State,
    step: &str,
    form: Vec<(String, String)>,
    basic: Option<String>,
    auth: ClientAuth,
) -> Result<(StepRecord, StepObservation), StepError> {
    let path = &endpoint.profile.endpoints.token;
    // a code is redeemed once, a rotating refresh token used once: never sent twice
    let mut request = Request::post_form(endpoint_url(endpoint, path)?, form.clone()).not_repeatable();
    if let Some(basic) = &basic {
        request = request.header("authorization", basic);
    }
    let response = endpoint.http.exchange(&request, Body::Any).await?;
    state.aliases.sending(form.iter().map(|(_, v)| v.as_str()));
    let (response, observed) = read_json(&response, state);
    let client_auth = Some(match auth {
        ClientAuth::Body => "body".to_string(),
        ClientAuth::Basic => "basic".to_string(),
    });
    let request = RequestRecord {
        client_auth,
        ..RequestRecord::new("POST", path, aliased(&form, state))
    };
    Ok((StepRecord::sent(step, request, response), observed))
}

/// Form or query pairs as a transcript shows them: sorted, secrets aliased.
fn aliased(pairs: &[(String, String)], state: &mut State) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), state.aliases.field(k, v)))
        .collect()
}

/// The URL of `path` on the endpoint's target (`base` is empty when paths are whole URLs).
fn endpoint_url(endpoint: &Endpoint<'_>, path: &str) -> Result<url::Url, StepError> {
    url::Url::parse(&format!("{}{path}", endpoint.base))
        .map_err(|e| StepError::Problem(format!("bad endpoint URL: {e}")))
}

/// Reads a JSON response into a transcript record and the raw observation.
fn read_json(response: &Response, state: &mut State) -> (ResponseRecord, StepObservation) {
    let status = response.status;
    let bytes = &response.body;
    let headers = response
        .headers
        .iter()
        .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let mut observed = StepObservation {
        status,
        headers,
        ..Default::default()
    };
    let mut record = ResponseRecord {
        status,
        ..Default::default()
    };
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => {
            observed.error = map.get("error").and_then(Value::as_str).map(str::to_string);
            observed.error_description = map.get("error_description").and_then(Value::as_str).map(str::to_string);
            // alias tokens in order of appearance in Google's own field order
            for (key, value) in &map {
                if let Value::String(s) = value {
                    state.aliases.received(key, s);
                }
            }
            if let Value::Object(fields) = canonical(&Value::Object(map.clone()), &mut state.aliases) {
                record.fields = fields
                    .into_iter()
                    .filter(|(k, _)| k != "error" && k != "error_description")
                    .collect();
            }
            observed.fields = map.into_iter().collect();
        }
        Ok(_) | Err(_) if bytes.is_empty() => {}
        Ok(_) | Err(_) => record.unreadable_body(if bytes.starts_with(b"<") {
            Cause::Html { status }
        } else {
            Cause::NotJson { status }
        }),
    }
    record.error = observed.error.clone();
    record.error_description = observed.error_description.as_deref().map(|d| state.aliases.scrub(d));
    (record, observed)
}

/// `<issuer>` for an `iss` on the authorization endpoint's own origin (with its path, if any)
/// or equal to the profile's issuer (Google's `https://accounts.google.com`, which the model
/// names while it answers on loopback), else the value itself.
fn issuer_alias(iss: &str, authorize: &url::Url, profile_issuer: &str) -> String {
    if !profile_issuer.is_empty() && iss.trim_end_matches('/') == profile_issuer.trim_end_matches('/') {
        return "<issuer>".into();
    }
    match url::Url::parse(iss) {
        Ok(parsed) if parsed.origin() == authorize.origin() => {
            format!("<issuer>{}", parsed.path().trim_end_matches('/'))
        }
        _ => iss.to_string(),
    }
}

async fn revoke(action: &RevokeAction, case: &Case, endpoint: &Endpoint<'_>, state: &mut State) -> StepResult {
    let token = match action.token {
        RevokeToken::RefreshToken => pick(
            &received_of(&state.refresh_tokens, &action.of, endpoint, case),
            action.pick,
        ),
        RevokeToken::AccessToken => pick(
            &received_of(&state.access_tokens, &action.of, endpoint, case),
            action.pick,
        ),
    }
    .map(|(token, _, _)| token);
    let Some(token) = token else {
        let note = "no token to revoke: no earlier step received one".to_string();
        state.last = Some(StepObservation::nothing(&note));
        return Ok(StepRecord {
            step: "revoke".into(),
            note: Some(note),
            ..Default::default()
        });
    };
    let path = &endpoint.profile.endpoints.revoke;
    let mut url = endpoint_url(endpoint, path)?;
    let mut form = vec![("token".to_string(), token)];
    // RFC 7009 §2.1: where the profile says so, the client authenticates as at the token endpoint
    let auth = match endpoint.profile.endpoints.revoke_client_auth {
        RevokeClientAuth::None => None,
        RevokeClientAuth::Basic => Some(ClientAuth::Basic),
        RevokeClientAuth::Post => Some(ClientAuth::Body),
    };
    let basic = match (auth, endpoint.clients.first()) {
        (Some(auth), Some((_, client))) => {
            let secret = client.client_secret.clone();
            credentials(client, auth, Some(&secret), &mut form)
        }
        _ => None,
    };
    let request = match action.method {
        RevokeMethod::Post => Request::post_form(url, form.clone()),
        RevokeMethod::Get => {
            url.query_pairs_mut().extend_pairs(&form);
            Request::get(url)
        }
    };
    let request = match &basic {
        Some(basic) => request.header("authorization", basic),
        None => request,
    };
    let response = endpoint.http.exchange(&request, Body::Any).await?;
    let (record, observed) = read_json(&response, state);
    state.last = Some(observed);
    let method = if action.method == RevokeMethod::Get {
        "GET"
    } else {
        "POST"
    };
    let request = RequestRecord {
        client_auth: auth.map(|auth| match auth {
            ClientAuth::Body => "body".to_string(),
            ClientAuth::Basic => "basic".to_string(),
        }),
        ..RequestRecord::new(method, path, aliased(&form, state))
    };
    Ok(StepRecord::sent("revoke", request, record))
}

async fn userinfo(endpoint: &Endpoint<'_>, state: &mut State) -> StepResult {
    let path = &endpoint.profile.endpoints.userinfo;
    let token = state
        .access_tokens
        .last()
        .map(|(token, _, _)| token.clone())
        .unwrap_or_default();
    let request = Request::get(endpoint_url(endpoint, path)?).header("authorization", format!("Bearer {token}"));
    let response = endpoint.http.exchange(&request, Body::Any).await?;
    let (record, observed) = read_json(&response, state);
    state.last = Some(observed);
    let mut params = BTreeMap::new();
    params.insert("access_token".to_string(), state.aliases.field("access_token", &token));
    Ok(StepRecord::sent(
        "userinfo",
        RequestRecord::new("GET", path, params),
        record,
    ))
}

async fn discovery(endpoint: &Endpoint<'_>, state: &mut State) -> StepResult {
    let path = &endpoint.profile.endpoints.discovery;
    let request = Request::get(endpoint_url(endpoint, path)?);
    let response = endpoint.http.exchange(&request, Body::Any).await?;
    let (mut record, observed) = read_json(&response, state);
    // the server's own address varies by run: name it by the path alone
    for value in record.fields.values_mut() {
        if let Value::String(s) = value
            && !endpoint.base.is_empty()
            && let Some(rest) = s.strip_prefix(&endpoint.base)
        {
            *s = format!("<base>{rest}");
        }
    }
    state.last = Some(observed);
    Ok(StepRecord::sent(
        "discovery",
        RequestRecord::new("GET", path, BTreeMap::new()),
        record,
    ))
}

async fn advance(seconds: u64, endpoint: &Endpoint<'_>) -> StepResult {
    let note = Some(format!("virtual clock advanced by {seconds}s"));
    if !endpoint.admin {
        return Ok(StepRecord {
            step: "advance".into(),
            note: Some("skipped: a live provider's clock cannot be moved".into()),
            ..Default::default()
        });
    }
    let url = endpoint_url(endpoint, &format!("{ADMIN_PREFIX}/clock/advance?seconds={seconds}"))?;
    let response = endpoint.http.exchange(&Request::post(url), Body::Any).await?;
    if !(200..300).contains(&response.status) {
        let status = reqwest::StatusCode::from_u16(response.status);
        return Err(StepError::Problem(format!(
            "the provider refused to advance its clock ({})",
            status.map_or_else(|_| response.status.to_string(), |s| s.to_string())
        )));
    }
    Ok(StepRecord {
        step: "advance".into(),
        note,
        ..Default::default()
    })
}

/// The user a step names (matrix variables filled in), else the scenario's first user.
fn step_user(named: Option<&str>, case: &Case) -> String {
    named.map(|u| interpolate(u, case)).unwrap_or_else(|| {
        case.scenario
            .file
            .users
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_USER.into())
    })
}

/// An event outside the OAuth endpoints, applied through the admin endpoint (model and
/// `serve`); a live provider's world cannot be told, so there the step is skipped.
async fn event(action: &EventAction, case: &Case, endpoint: &Endpoint<'_>) -> StepResult {
    let user = step_user(action.user.as_deref(), case);
    let client_name = action.client.as_deref().map(|c| interpolate(c, case));
    let client_index = client_index(endpoint, client_name.as_deref())?;
    let (client_name, client) = &endpoint.clients[client_index];
    let client_id = client.client_id.clone();
    let (event, about) = match &action.kind {
        EventKind::PasswordChange => (Event::PasswordChange { user: user.clone() }, user),
        EventKind::AccountDisabled => (Event::AccountDisabled { user: user.clone() }, user),
        EventKind::AccountDeleted => (Event::AccountDeleted { user: user.clone() }, user),
        EventKind::SessionReauthRequired => (Event::SessionReauthRequired { user: user.clone() }, user),
        EventKind::RemoveAccess => (
            Event::RemoveAccess {
                user: user.clone(),
                client_id,
            },
            format!("{user}, client {client_name}"),
        ),
        EventKind::Publish | EventKind::Unpublish => {
            let status = if action.kind == EventKind::Publish {
                PublishingStatus::Production
            } else {
                PublishingStatus::Testing
            };
            (Event::SetStatus { client_id, status }, format!("client {client_name}"))
        }
        EventKind::AdminRestricts(scope) => (Event::AdminRestricts { scope: scope.clone() }, scope.clone()),
        EventKind::RevocationDelay(seconds) => (Event::RevocationDelay { seconds: *seconds }, format!("{seconds}s")),
    };
    let name = action.kind.name();
    if !endpoint.admin {
        return Ok(StepRecord {
            step: "event".into(),
            note: Some(format!(
                "skipped: {name} ({about}) cannot be made to happen at a live provider"
            )),
            ..Default::default()
        });
    }
    let url = endpoint_url(endpoint, &format!("{ADMIN_PREFIX}/event"))?;
    let body = serde_json::to_vec(&event).map_err(|e| format!("event {name}: {e}"))?;
    let response = endpoint
        .http
        .exchange(&Request::post_json(url, body), Body::Any)
        .await?;
    if !(200..300).contains(&response.status) {
        return Err(format!("the provider refused the event {name} ({})", response.status).into());
    }
    Ok(StepRecord {
        step: "event".into(),
        note: Some(format!("{name} ({about})")),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::provider::Registry;
    use crate::scenario::{expand, parse};

    fn cases(text: &str) -> Vec<Case> {
        let scenario = parse(Path::new("t.yaml"), text, &Registry::builtin()).unwrap();
        expand(&Arc::new(scenario), "t")
    }

    #[test]
    fn token_endpoint_overrides_fill_in_matrix_values_and_drop_tildes() {
        let text = "name: x\nmatrix:\n  grant: [password, client_credentials]\nsteps:\n  - exchange: {params: {grant_type: \"${grant}\", redirect_uri: ~}}\n";
        let cases = cases(text);
        let Action::Exchange(action) = &cases[1].scenario.file.steps[0].action else {
            panic!("an exchange step")
        };
        let mut form = vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("redirect_uri".into(), "https://a".into()),
        ];
        apply_overrides(&mut form, &action.params, &cases[1]);
        assert_eq!(form, vec![("grant_type".to_string(), "client_credentials".to_string())]);
    }
}
