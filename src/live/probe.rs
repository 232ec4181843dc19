//! Running live probes: resolve the target, run each kind, compare every answer with its live
//! snapshot and with the model's prediction for the same request, and build the report.

use std::sync::Arc;
use std::time::Duration;

use super::authorize;
use super::consent::{BrowserFront, CallbackListener, Notify, Opener, REVOKED, live_blocker, live_case};
use super::credentials::{Credentials, Need};
use super::discovery::disagreement_diff;
use super::normalise::{comparable, model_diff, normalise_ports, normalise_transcript, replace_origins};
use super::refresh;
use super::scrub::Scrubber;
use super::secret::Secret;
use super::target::{Target, TargetError, TargetSpec};
use super::transport::{Body, Inconclusive, Request, RetryPolicy};
use crate::model::ModelServer;
use crate::provider::{
    ClientConfig, ClientKind, ConsentDecision, Engine, OfflineRequest, Profile, ProfileError, PublishingStatus,
    Registry, random_token,
};
use crate::report::{CaseReport, LiveInfo, ModelParity, Outcome, Report};
use crate::runner::judge::{SnapshotPolicy, judge_snapshot};
use crate::runner::suite::display_path;
use crate::runner::{DirectFront, Endpoint, run_case_with, step_applies};
use crate::scenario::{Action, Case};
use crate::snapshot::{SnapshotMeta, SnapshotStore, write_atomically};
use crate::target::{LiveProvider, Served, Transport};
use crate::transcript::{DiscoveryFacts, DiscoverySection, RefreshSummary, Transcript, unreadable_body_words};

/// The kinds of live probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Kind {
    /// The discovery document's fields that matter.
    Discovery,
    /// Each authorization parameter combination of the scenarios, without a session.
    AuthorizeParams,
    /// Refresh a stored refresh token.
    Refresh,
    /// Interactive: a scenario's grants for real, through a browser.
    Consent,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Discovery => "discovery",
            Kind::AuthorizeParams => "authorize-params",
            Kind::Refresh => "refresh",
            Kind::Consent => "consent",
        }
    }

    /// The kinds that run unattended: the default of `probe`.
    pub const UNATTENDED: [Kind; 3] = [Kind::Discovery, Kind::AuthorizeParams, Kind::Refresh];
}

/// The live OAuth client as the model should register it for its predictions.
#[derive(Debug, Clone)]
pub struct ClientShape {
    /// `installed` (a Desktop app client: any loopback port) or `web`.
    pub kind: Option<ClientKind>,
    pub status: PublishingStatus,
    /// The redirect URI authorize-params sends (a registered one).
    pub redirect_uri: Option<String>,
}

/// The session a probe assumes the user has at the provider when an authorization request
/// arrives. It decides what `prompt=none` must answer: a signed-out user cannot be asked to
/// sign in, so a provider answers `login_required` (OpenID Connect Core §3.1.2.6), and the
/// model's prediction is asked the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Session {
    /// Nobody is signed in when a request arrives; the browser signs in when the provider asks
    /// (a scripted `--open-with` browser that starts each request without cookies).
    SignedOut,
    /// The scenario's user stays signed in across the case's requests (a person's own browser).
    SignedIn,
}

impl Session {
    pub fn name(self) -> &'static str {
        match self {
            Session::SignedOut => "signed-out",
            Session::SignedIn => "signed-in",
        }
    }
}

/// The interactive consent probe's settings.
#[derive(Debug, Clone)]
pub struct ConsentOptions {
    /// The session the browser has when each authorization request reaches the provider.
    pub session: Session,
    pub opener: Opener,
    /// How long to wait for each authorization response.
    pub timeout: Duration,
    /// Revoke the grant at the end of each case.
    pub revoke: bool,
    /// The redirect listener's port (0: random; a web client needs its registered one).
    pub callback_port: u16,
}

/// Everything a probe run needs besides credentials and scenarios.
pub struct ProbeOptions {
    pub kinds: Vec<Kind>,
    /// The profile the live answers are compared with (`google`, `oidc`, …).
    pub provider: String,
    pub target: TargetSpec,
    pub policy: RetryPolicy,
    /// Live snapshots: the store's directory gets one subdirectory per target.
    pub snapshots: Option<SnapshotPolicy>,
    pub client: ClientShape,
    pub consent: ConsentOptions,
    pub notify: Notify,
}

/// Why a probe run could not start (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

/// The client name of probes that run no scenario (the runner's default client).
const CLIENT_NAME: &str = "web";

use crate::provider::family;

/// The provider family a case's expectations depend on (`specific_to:`), if any.
fn specific_family(case: &Case) -> Option<&str> {
    case.scenario.file.specific_to.as_ref().map(|p| family(&p.0))
}

/// Whether a case's scenario fetches the discovery document as a step.
fn has_discovery_step(case: &Case) -> bool {
    case.scenario
        .file
        .steps
        .iter()
        .any(|s| step_applies(s, case) && matches!(s.action, Action::Discovery))
}

/// Whether the consent probe runs `case` live against a provider of `profile`: a scenario's
/// discovery step holds the model's own document field by field, so only where the profile's
/// document is the provider's own (`discovery_as_published`); otherwise the live document is
/// the discovery probe's to compare.
fn discovery_holds_live(profile: &Profile, case: &Case) -> bool {
    profile.discovery_as_published || !has_discovery_step(case)
}

/// The name of a scenario's first client, which the live client stands in for.
fn first_client(case: &Case) -> String {
    case.scenario
        .file
        .clients
        .keys()
        .next()
        .cloned()
        .unwrap_or_else(|| CLIENT_NAME.to_string())
}

/// The discovery document as fetched: its status and fields, or why it could not be.
type Fetched = Result<(u16, serde_json::Map<String, serde_json::Value>), Inconclusive>;

struct Run<'a> {
    options: &'a ProbeOptions,
    credentials: &'a Credentials,
    target: Target,
    http: LiveProvider,
    snapshots: Option<SnapshotPolicy>,
    /// Endpoints could not be discovered: kinds that need them are inconclusive.
    endpoint_fault: Option<String>,
    /// Every credential the run knows (shared with `http`); all report text and every snapshot
    /// body passes through it.
    scrubber: Scrubber,
    report: Report,
}

/// Runs the probes of `options` against the live target, for `cases` (the scenario cases
/// whose provider is the target's profile; the others are counted in a note).
pub async fn run(
    options: &ProbeOptions,
    credentials: &Credentials,
    cases: &[Case],
    registry: &Registry,
) -> Result<Report, ProbeError> {
    let profile = Arc::new(registry.load(&options.provider)?);
    let target = Target::resolve(&options.target, Arc::clone(&profile))?;
    let snapshots = options.snapshots.as_ref().map(|p| SnapshotPolicy {
        store: SnapshotStore::new(p.store.dir().join(&target.name)),
        accept: p.accept,
        write: p.write,
    });
    let http = LiveProvider::new(options.policy);
    let scrubber = http.scrubber().clone();
    if let Some(secret) = &credentials.client_secret {
        scrubber.add(secret.expose(), "<client_secret>");
    }
    if let Some(token) = &credentials.refresh_token {
        scrubber.add(token.expose(), "<refresh_token>");
    }
    let mut run = Run {
        options,
        credentials,
        target,
        http,
        snapshots,
        endpoint_fault: None,
        scrubber,
        report: Report::default(),
    };
    let (matching, other): (Vec<&Case>, Vec<&Case>) = cases.iter().partition(|c| c.provider == profile.id);
    let needs_cases = options
        .kinds
        .iter()
        .any(|k| matches!(k, Kind::AuthorizeParams | Kind::Consent));
    if needs_cases && !other.is_empty() {
        let mut providers: Vec<&str> = other.iter().map(|c| c.provider.as_str()).collect();
        providers.sort_unstable();
        providers.dedup();
        run.report.notes.push(format!(
            "{} for {} and not probed: the live target is compared with `{}`",
            match other.len() {
                1 => "1 case is".to_string(),
                n => format!("{n} cases are"),
            },
            providers.join(", "),
            profile.id
        ));
    }

    super::progress::tell(|o| o.started(&format!("discovery: {}", run.target.name)));
    let discovery = run.discover().await?;
    let mut kinds = options.kinds.clone();
    kinds.sort();
    kinds.dedup();
    // tells the observer of each case decided since the last call, scrubbed first: a case is
    // shown as soon as it is known, so it must not wait for the scrub of the whole report
    let decided = |run: &mut Run<'_>, from: &mut usize| {
        for case in &mut run.report.cases[*from..] {
            scrub_case(&run.scrubber, case);
            super::progress::tell(|o| o.decided(case));
        }
        *from = run.report.cases.len();
    };
    let mut told = 0;
    for kind in kinds {
        match kind {
            Kind::Discovery => run.discovery_probe(discovery.as_ref()),
            Kind::AuthorizeParams => {
                if !matching.is_empty() {
                    // the session a probe assumes decides what prompt=none must answer
                    run.report.notes.push(
                        "authorize-params: sent without a session (nobody signed in), and compared with the model \
                         asked the same way: prompt=none is judged as for a signed-out user"
                            .into(),
                    );
                }
                for case in &matching {
                    super::progress::tell(|o| o.started(&format!("authorize-params: {}", case.name)));
                    run.authorize_params_probe(case).await;
                    decided(&mut run, &mut told);
                }
            }
            Kind::Refresh => {
                super::progress::tell(|o| o.started(&format!("refresh: {}", run.target.name)));
                run.refresh_probe().await;
            }
            Kind::Consent => {
                // a scenario `specific_to:` one provider (its scopes, expires_in, error texts)
                // does not apply to another provider's family: listed once instead of failing
                let family = family(&profile.id).to_string();
                let (applicable, not_applicable): (Vec<&Case>, Vec<&Case>) = matching
                    .iter()
                    .partition(|case| specific_family(case).is_none_or(|f| f == family));
                let (applicable, documents): (Vec<&Case>, Vec<&Case>) = applicable
                    .into_iter()
                    .partition(|case| discovery_holds_live(&profile, case));
                if !documents.is_empty() {
                    run.report.notes.push(format!(
                        "consent: {} a discovery step, which expects the model's own document field by field; \
                         `{}`'s document is compared by the discovery probe instead",
                        match documents.len() {
                            1 => "1 case is not applicable: it has".to_string(),
                            n => format!("{n} cases are not applicable: they have"),
                        },
                        profile.id
                    ));
                }
                if !not_applicable.is_empty() {
                    let mut files: Vec<String> =
                        not_applicable.iter().map(|c| display_path(&c.scenario.path)).collect();
                    files.sort_unstable();
                    files.dedup();
                    let mut owners: Vec<&str> = not_applicable.iter().filter_map(|c| specific_family(c)).collect();
                    owners.sort_unstable();
                    owners.dedup();
                    run.report.notes.push(format!(
                        "consent: {} not applicable to `{}`: their scenarios are `specific_to: {}` (that provider's scopes, \
                         values and error texts) ({})",
                        match not_applicable.len() {
                            1 => "1 case is".to_string(),
                            n => format!("{n} cases are"),
                        },
                        profile.id,
                        owners.join(", "),
                        files.join(", ")
                    ));
                }
                if !applicable.is_empty() {
                    run.report.notes.push(match options.consent.session {
                        Session::SignedOut => "consent: assumes a signed-out browser (--session signed-out, the default with \
                             --open-with): each authorization request starts without a session and the browser signs in \
                             when asked, so prompt=none is judged, and predicted by the model, as for a signed-out user"
                            .to_string(),
                        Session::SignedIn => "consent: assumes the scenario's user stays signed in across a case's requests \
                             (--session signed-in, the default with the system browser), so prompt=none is judged, and \
                             predicted by the model, as for a signed-in user"
                            .to_string(),
                    });
                }
                for case in applicable {
                    super::progress::tell(|o| o.started(&format!("consent: {} (waiting for the browser)", case.name)));
                    run.consent_probe(case).await;
                    decided(&mut run, &mut told);
                }
            }
        }
        decided(&mut run, &mut told);
    }
    let mut report = run.report;
    for note in &mut report.notes {
        run.scrubber.scrub_in_place(note);
    }
    for case in &mut report.cases {
        scrub_case(&run.scrubber, case);
    }
    Ok(report)
}

/// Scrubs every text of a case report (a provider's words reach messages, failures and diffs).
fn scrub_case(scrubber: &Scrubber, case: &mut CaseReport) {
    for text in [&mut case.name, &mut case.message, &mut case.scenario] {
        scrubber.scrub_in_place(text);
    }
    for text in [&mut case.diff, &mut case.transcript].into_iter().flatten() {
        scrubber.scrub_in_place(text);
    }
    for failure in &mut case.failures {
        scrubber.scrub_in_place(&mut failure.expected);
        scrubber.scrub_in_place(&mut failure.actual);
    }
    if let Some(live) = &mut case.live {
        if let Some(cause) = &mut live.cause {
            scrubber.scrub_in_place(cause);
        }
        if let Some(diff) = live.model.as_mut().and_then(|m| m.diff.as_mut()) {
            scrubber.scrub_in_place(diff);
        }
    }
}

impl Run<'_> {
    fn profile(&self) -> &Profile {
        &self.target.profile
    }

    /// A passing case report of `kind`; `slug` names its live snapshot (and ledger entries).
    fn case_report(&self, kind: Kind, name: String, file: String, line: usize, slug: String) -> CaseReport {
        CaseReport {
            name,
            file,
            line,
            provider: self.profile().id.clone(),
            outcome: Outcome::Pass,
            message: String::new(),
            refresh_token: RefreshSummary::default(),
            matrix: Vec::new(),
            failures: Vec::new(),
            diff: None,
            snapshot: None,
            scenario: String::new(),
            slug,
            known_drift: None,
            live: Some(LiveInfo {
                kind: kind.name().into(),
                target: self.target.name.clone(),
                cause: None,
                model: None,
                session: match kind {
                    Kind::AuthorizeParams => Some(Session::SignedOut.name().into()),
                    Kind::Consent => Some(self.options.consent.session.name().into()),
                    Kind::Discovery | Kind::Refresh => None,
                },
            }),
            transcript: None,
            accept: None,
        }
    }

    fn for_case(&self, kind: Kind, case: &Case) -> CaseReport {
        let mut report = self.case_report(
            kind,
            format!("{}: {}", kind.name(), case.name),
            display_path(&case.scenario.path),
            1,
            format!("{}__{}", kind.name(), case.slug),
        );
        report.matrix = case
            .bindings
            .iter()
            .map(|(axis, value)| (axis.clone(), value.name()))
            .collect();
        report.scenario = format!("{}: {}", kind.name(), case.scenario.file.name);
        report
    }

    fn skip(&mut self, mut report: CaseReport, reason: String) {
        report.outcome = Outcome::Skipped;
        report.message = reason.clone();
        if let Some(live) = &mut report.live {
            live.cause = Some(reason);
        }
        self.push(report);
    }

    fn inconclusive(&mut self, mut report: CaseReport, cause: String) {
        report.outcome = Outcome::Inconclusive;
        report.message = format!("inconclusive: {cause}");
        if let Some(live) = &mut report.live {
            live.cause = Some(cause);
        }
        self.push(report);
    }

    /// Adds a case to the report, scrubbed.
    fn push(&mut self, mut report: CaseReport) {
        scrub_case(&self.scrubber, &mut report);
        self.report.cases.push(report);
    }

    /// The text of a live answer as it may be snapshotted, compared or shown.
    fn scrub(&self, text: &str) -> String {
        self.scrubber.scrub(text)
    }

    /// Judges an observed answer: its live snapshot, then the model's prediction.
    fn conclude(&mut self, mut report: CaseReport, body: &str, model: Option<Option<String>>) {
        let body = &self.scrub(body);
        report.transcript = Some(body.clone());
        let slug = report.slug.clone();
        if let Some(policy) = &self.snapshots {
            let meta = SnapshotMeta {
                description: report.name.clone(),
                input_file: report.file.clone(),
            };
            judge_snapshot(&slug, &meta, body, policy, &mut report, &mut self.report.notes);
        }
        if let Some(diff) = model {
            let stale = diff.is_some();
            if stale {
                let text = "model is stale: the live provider answers differently from the model's prediction";
                match report.outcome {
                    Outcome::Pass => {
                        report.outcome = Outcome::Drift;
                        report.message = text.into();
                    }
                    _ if report.message.is_empty() => report.message = text.into(),
                    _ => report.message = format!("{}; {text}", report.message),
                }
            }
            if let Some(live) = &mut report.live {
                live.model = Some(ModelParity { stale, diff });
            }
        }
        self.push(report);
    }

    /// Fetches the discovery document when a probe or the endpoint resolution needs it. A
    /// document for another issuer, or naming endpoints credentials must not go to, stops the
    /// run (exit 2) before any credential is sent.
    async fn discover(&mut self) -> Result<Option<Fetched>, TargetError> {
        let Some(url) = self.target.discovery.clone() else {
            return Ok(None);
        };
        if !self.options.kinds.contains(&Kind::Discovery) && !self.target.discover_endpoints {
            return Ok(None);
        }
        let result = self
            .http
            .exchange(&Request::get(url), Body::Json)
            .await
            .map(|r| (r.status, r.json.unwrap_or_default()));
        if self.target.discover_endpoints {
            match &result {
                Ok((200, document)) => self.target.accept_discovery(document, &self.options.target)?,
                Ok((status, _)) => {
                    self.endpoint_fault = Some(format!("the discovery document answered {status}; endpoints unknown"))
                }
                Err(e) => self.endpoint_fault = Some(format!("the discovery document could not be fetched: {e}")),
            }
        }
        Ok(Some(result))
    }

    fn discovery_probe(&mut self, fetched: Option<&Fetched>) {
        let report = self.case_report(
            Kind::Discovery,
            format!("discovery: {}", self.target.name),
            String::new(),
            0,
            "discovery".into(),
        );
        let (Some(url), Some(fetched)) = (self.target.discovery.clone(), fetched) else {
            return self.skip(
                report,
                "no discovery document URL: give --issuer or --discovery-url".into(),
            );
        };
        let (status, document) = match fetched {
            Err(e) => return self.inconclusive(report, e.to_string()),
            Ok(found) => found,
        };
        let facts = DiscoveryFacts::from_document(document);
        let model = disagreement_diff(&facts.disagreements(self.profile()));
        let transcript = Transcript::of_discovery(
            self.profile().id.clone(),
            DiscoverySection {
                url: normalise_ports(url.as_str()),
                status: *status,
                facts,
            },
        );
        let body = transcript.render();
        let mut report = report;
        if *status != 200 {
            report.outcome = Outcome::Fail;
            report.message = format!("the discovery document answered {status}");
        }
        self.conclude(report, &body, Some(model));
    }

    /// The live client's redirect URI for session-less authorization requests.
    fn redirect_uri(&self) -> Result<String, String> {
        if let Some(uri) = self
            .options
            .client
            .redirect_uri
            .clone()
            .or_else(|| self.credentials.redirect_uris.first().cloned())
        {
            return Ok(uri);
        }
        match self.client_kind() {
            ClientKind::Installed => Ok("http://127.0.0.1/callback".into()),
            ClientKind::Web => Err("a web client needs one of its registered redirect URIs: give --redirect-uri, or use a client-secrets file that lists them".into()),
        }
    }

    fn client_kind(&self) -> ClientKind {
        self.options
            .client
            .kind
            .or(self.credentials.client_kind)
            .unwrap_or(ClientKind::Installed)
    }

    /// The live client as a scenario runs it (`redirect_uri` first: requests use the first) and
    /// as the model registers it (with every redirect URI the client-secrets file lists too).
    fn client_config(&self, client_id: &str, secret: &str, redirect_uri: &str) -> ClientConfig {
        let mut redirect_uris = vec![redirect_uri.to_string()];
        for uri in &self.credentials.redirect_uris {
            if !redirect_uris.contains(uri) {
                redirect_uris.push(uri.clone());
            }
        }
        ClientConfig {
            client_id: client_id.to_string(),
            client_secret: secret.to_string(),
            kind: self.client_kind(),
            status: self.options.client.status,
            redirect_uris,
            project: None,
            created: None,
        }
    }

    fn secret_needs(&self) -> Vec<Need> {
        if self.profile().tokens.client_secret_required {
            vec![Need::ClientId, Need::ClientSecret]
        } else {
            vec![Need::ClientId]
        }
    }

    async fn authorize_params_probe(&mut self, case: &Case) {
        let report = self.for_case(Kind::AuthorizeParams, case);
        if let Some(reason) = self.credentials.missing(&[Need::ClientId]) {
            return self.skip(report, reason);
        }
        if let Some(fault) = self.endpoint_fault.clone() {
            return self.inconclusive(report, fault);
        }
        let Some(authorize) = self.target.authorize.clone() else {
            return self.skip(
                report,
                "no authorization endpoint: give --authorize-url or --issuer".into(),
            );
        };
        let redirect_uri = match self.redirect_uri() {
            Ok(uri) => uri,
            Err(reason) => return self.skip(report, reason),
        };
        let client_id = self.credentials.client_id.clone().unwrap_or_default();
        let client = self.client_config(&client_id, "", &redirect_uri);
        let error_page = self.profile().error_page.as_ref();
        let live =
            match authorize::probe_case(case, &self.http, &authorize, &first_client(case), &client, error_page).await {
                Ok(live) => live,
                Err(e) => return self.inconclusive(report, e.to_string()),
            };
        if live.authorize.as_ref().is_none_or(Vec::is_empty) {
            return self.skip(report, "the case sends no authorization request".into());
        }
        let model = self.model_authorize_params(case, &client).await;
        let body = live.render();
        let model = model.map(|m| model_diff(&authorize::comparable(&m), &self.scrub(&authorize::comparable(&live))));
        self.conclude(report, &body, model);
    }

    /// The same requests against the in-process model, which knows the live client.
    async fn model_authorize_params(&self, case: &Case, client: &ClientConfig) -> Option<Transcript> {
        let model_client = ClientConfig {
            client_secret: format!("model-{}", random_token(8)),
            ..client.clone()
        };
        let engine = Engine::new(Arc::clone(&self.target.profile), [model_client.clone()]);
        let server = ModelServer::start(engine).await;
        let url = url::Url::parse(&format!("{}{}", server.uri(), self.profile().endpoints.authorize)).ok()?;
        let error_page = self.profile().error_page.as_ref();
        authorize::probe_case(
            case,
            &Served::new(),
            &url,
            &first_client(case),
            &model_client,
            error_page,
        )
        .await
        .ok()
    }

    async fn refresh_probe(&mut self) {
        let report = self.case_report(
            Kind::Refresh,
            format!("refresh: {}", self.target.name),
            String::new(),
            0,
            "refresh".into(),
        );
        let mut needs = self.secret_needs();
        needs.push(Need::RefreshToken);
        if let Some(reason) = self.credentials.missing(&needs) {
            return self.skip(report, reason);
        }
        if let Some(fault) = self.endpoint_fault.clone() {
            return self.inconclusive(report, fault);
        }
        let Some(token_url) = self.target.token.clone() else {
            return self.skip(report, "no token endpoint: give --token-url or --issuer".into());
        };
        let (Some(client_id), Some(refresh_token)) = (
            self.credentials.client_id.clone(),
            self.credentials.refresh_token.clone(),
        ) else {
            return self.skip(report, "missing credentials".into());
        };
        let secret = self.credentials.client_secret.clone();
        let provider = self.profile().id.clone();
        let live = match refresh::refresh(
            &self.http,
            &token_url,
            &provider,
            CLIENT_NAME,
            &client_id,
            secret.as_ref(),
            &refresh_token,
        )
        .await
        {
            Ok(live) => live,
            Err(e) => return self.inconclusive(report, e.to_string()),
        };
        if let Some(new_token) = &live.rotated_to {
            self.keep_rotated_token(new_token);
        }
        let t = &live.transcript;
        if let Some(answer) = t.refresh.as_ref().map(|r| &r.response)
            && answer.status != 200
        {
            let mut report = report;
            report.outcome = Outcome::Fail;
            report.message = format!(
                "the provider refused the stored refresh token ({} {}: {}); if it expired or was revoked, create a new one (README: Probe the real provider)",
                answer.status,
                answer.error.as_deref().unwrap_or("no error code"),
                answer.error_description.as_deref().unwrap_or("")
            );
            self.push(report);
            return;
        }
        let model = match &live.scope {
            Some(scope) => self
                .model_refresh(&client_id, scope)
                .await
                .map(|m| model_diff(&comparable_refresh(&m), &self.scrub(&comparable_refresh(t)))),
            None => None,
        };
        self.conclude(report, &t.render(), model);
    }

    fn keep_rotated_token(&mut self, new_token: &Secret) {
        self.scrubber.add(new_token.expose(), "<refresh_token>");
        let note = match &self.credentials.refresh_token_file {
            Some(path) => match write_atomically(path, &format!("{}\n", new_token.expose())) {
                Ok(()) => format!("the provider rotated the refresh token; the new one is stored in {}", path.display()),
                Err(e) => format!("the provider rotated the refresh token, and storing the new one failed: {e}"),
            },
            None => "the provider rotated the refresh token; the stored one may no longer work (use OAUTH_DRIFT_REFRESH_TOKEN_FILE so probe can keep the new one)".into(),
        };
        self.report.notes.push(note);
    }

    /// The model's answer to the same refresh: the same client gets a grant for the same
    /// scope on the in-process model, and that refresh token is refreshed the same way.
    async fn model_refresh(&self, client_id: &str, scope: &str) -> Option<Transcript> {
        let redirect_uri = "http://127.0.0.1/callback";
        let secret = Secret::new(format!("model-{}", random_token(8)));
        let client = self.client_config(client_id, secret.expose(), redirect_uri);
        let engine = Engine::new(Arc::clone(&self.target.profile), [client]);
        let server = ModelServer::start(engine).await;
        let model_token = {
            let mut engine = crate::model::lock(server.engine());
            let mut params: Vec<(String, String)> = vec![
                ("client_id".into(), client_id.into()),
                ("redirect_uri".into(), redirect_uri.into()),
                ("response_type".into(), "code".into()),
                ("scope".into(), scope.into()),
            ];
            match self.profile().refresh_token.requires {
                OfflineRequest::AccessTypeOffline => params.push(("access_type".into(), "offline".into())),
                OfflineRequest::OfflineAccessScope => {
                    params[3].1 = format!("{scope} offline_access");
                    params.push(("prompt".into(), "consent".into()));
                }
            }
            let outcome = engine.authorize(&params, crate::model::DEFAULT_USER, &ConsentDecision::GrantAll);
            let crate::provider::AuthorizeResponse::Redirect(location) = outcome.response else {
                return None;
            };
            let code = crate::target::Redirect::parse(&location).get("code")?.to_string();
            let form: Vec<(String, String)> = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri),
                ("client_id", client_id),
                ("client_secret", secret.expose()),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let answer = engine.token(&form, None);
            Secret::new(answer.body.get("refresh_token")?.as_str()?.to_string())
        };
        let url = url::Url::parse(&format!("{}{}", server.uri(), self.profile().endpoints.token)).ok()?;
        let provider = self.profile().id.clone();
        refresh::refresh(
            &Served::new(),
            &url,
            &provider,
            CLIENT_NAME,
            client_id,
            Some(&secret),
            &model_token,
        )
        .await
        .ok()
        .map(|r| r.transcript)
    }

    async fn consent_probe(&mut self, case: &Case) {
        let mut report = self.for_case(Kind::Consent, case);
        if let Some(reason) = self.credentials.missing(&self.secret_needs()) {
            return self.skip(report, reason);
        }
        if let Some(fault) = self.endpoint_fault.clone() {
            return self.inconclusive(report, fault);
        }
        if self.target.authorize.is_none() || self.target.token.is_none() {
            return self.skip(
                report,
                "the consent probe needs the authorization and token endpoints: give --issuer or their URLs".into(),
            );
        }
        let options = &self.options.consent;
        let listener = match CallbackListener::bind(options.callback_port).await {
            Ok(listener) => listener,
            Err(e) => {
                return self.inconclusive(
                    report,
                    format!("could not listen on 127.0.0.1:{}: {e}", options.callback_port),
                );
            }
        };
        let client_id = self.credentials.client_id.clone().unwrap_or_default();
        let secret = self
            .credentials
            .client_secret
            .as_ref()
            .map(|s| s.expose().to_string())
            .unwrap_or_default();
        let client = self.client_config(&client_id, &secret, listener.uri());
        if let Some(reason) = live_blocker(case, &client) {
            return self.skip(report, reason);
        }
        let revokes = case
            .scenario
            .file
            .steps
            .iter()
            .any(|s| step_applies(s, case) && matches!(s.action, Action::Revoke(_)));
        if revokes && self.target.revoke.is_none() {
            return self.skip(
                report,
                "the case revokes a token and the provider has no revocation endpoint (its discovery document names none; --revoke-url gives one)".into(),
            );
        }
        let revoke = options.revoke && self.target.revoke.is_some();
        let profile = self.target.runner_profile();
        let clients = [(first_client(case), client)];
        // the run's client: its retry policy covers the token exchange, refresh and revocation too
        let http = self.http.clone();
        let endpoint = Endpoint {
            http: &http,
            base: String::new(),
            profile: &profile,
            clients: &clients,
            admin: false,
            id_tokens_by_position: true,
        };
        let front = BrowserFront::new(
            self.http.clone(),
            listener,
            options.opener.clone(),
            options.timeout,
            Arc::clone(&self.options.notify),
        )
        .reading_errors_as(profile.error_page.clone());
        let mut run = run_case_with(&live_case(case, revoke), &endpoint, &front).await;
        drop(front);
        self.scrubber.add_aliases(&run.aliases);
        if options.revoke && !revoke {
            self.report.notes.push(format!(
                "{}: not revoked: the provider has no revocation endpoint (its discovery document names none)",
                case.name
            ));
        } else if revoke && run.fault.is_none() {
            let steps = run.transcript.run.as_mut().map(|r| &mut r.steps);
            let revocations = steps.map_or_else(Vec::new, |steps| {
                steps.split_off(steps.len().saturating_sub(REVOKED.len()))
            });
            let answered: Vec<String> = revocations
                .iter()
                .filter_map(|step| step.response.as_ref())
                .map(|r| {
                    format!("{} {}", r.status, r.error.as_deref().unwrap_or(""))
                        .trim_end()
                        .to_string()
                })
                .collect();
            let outcome = if revocations
                .iter()
                .any(|s| s.response.as_ref().is_some_and(|r| r.status == 200))
            {
                "revoked the grant".to_string()
            } else if answered.is_empty() && granted_without_token(&run.transcript) {
                "consent was granted but no token came back to revoke it: the provider remembers the grant, \
                 so later cases' first grants may skip the consent screen (remove the app's access in the \
                 account's settings to start over)"
                    .to_string()
            } else if answered.is_empty() {
                "nothing to revoke: no token came back".to_string()
            } else {
                format!("revocation answered {}", answered.join(", "))
            };
            self.report.notes.push(format!("{}: {outcome}", case.name));
        } else if revoke {
            self.report
                .notes
                .push(format!("{}: not revoked (the case stopped early)", case.name));
        }
        replace_origins(&mut run.transcript, &self.target.origins());
        normalise_transcript(&mut run.transcript);
        report.refresh_token = run.transcript.refresh_summary();
        let model = self.model_consent(case).await;
        if let Some(fault) = run
            .fault
            .clone()
            .or_else(|| transcript_fault(&run.transcript, model.as_ref()))
        {
            return self.inconclusive(report, fault);
        }
        if let Some(first) = run.failures.first() {
            report.outcome = Outcome::Fail;
            report.line = first.line;
            report.message = first.to_string();
            report.failures = run.failures.clone();
        }
        let model = model.map(|m| {
            model_diff(
                &comparable(&m).render(),
                &self.scrub(&comparable(&run.transcript).render()),
            )
        });
        self.conclude(report, &run.transcript.render(), model);
    }

    /// The model's transcript of the same live case (same client shape, PKCE, no revocation).
    async fn model_consent(&self, case: &Case) -> Option<Transcript> {
        let client_id = self.credentials.client_id.clone()?;
        let client = self.client_config(
            &client_id,
            &format!("model-{}", random_token(8)),
            "http://127.0.0.1:1/callback",
        );
        let engine = Engine::new(Arc::clone(&self.target.profile), [client.clone()]);
        let server = ModelServer::start(engine).await;
        let http = Served::new();
        let clients = [(first_client(case), client)];
        let endpoint = Endpoint {
            http: &http,
            base: server.uri(),
            profile: &self.target.profile,
            clients: &clients,
            admin: true,
            id_tokens_by_position: true,
        };
        let front = DirectFront {
            http: &http,
            signed_out: self.options.consent.session == Session::SignedOut,
        };
        let run = run_case_with(&live_case(case, false), &endpoint, &front).await;
        run.fault.is_none().then_some(run.transcript)
    }
}

/// A refresh transcript without what the model cannot share (its own endpoint's host).
fn comparable_refresh(transcript: &Transcript) -> String {
    transcript.render()
}

/// Whether an authorization request returned a code (so the provider recorded a grant).
fn granted_without_token(transcript: &Transcript) -> bool {
    transcript
        .steps()
        .iter()
        .any(|s| s.step == "authorize" && s.response.as_ref().is_some_and(|r| r.fields.contains_key("code")))
}

/// A response in a live transcript that is a fault, not a verdict: a body that is not JSON
/// (its typed `target::Cause`, recorded by the runner) where the model's transcript of the same
/// step has JSON (a 404 page is an answer where the model answers with a page too). A 429 or
/// 5xx never gets here: the run's transport retried it and, past its deadline, stopped the
/// case with a typed `Inconclusive`.
fn transcript_fault(transcript: &Transcript, model: Option<&Transcript>) -> Option<String> {
    transcript.steps().iter().enumerate().find_map(|(index, step)| {
        let response = step.response.as_ref()?;
        let cause = response.cause.as_ref()?;
        let endpoint = step.request.as_ref().map(|r| r.endpoint.clone()).unwrap_or_default();
        let predicted = model
            .and_then(|m| m.steps().get(index))
            .and_then(|s| s.response.as_ref());
        let page_expected = predicted.is_some_and(|p| p.status == response.status && p.cause.is_some());
        (!page_expected).then(|| {
            format!(
                "{} where JSON was expected at {endpoint} (status {})",
                unreadable_body_words(cause),
                response.status
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Cause;
    use crate::transcript::{RequestRecord, ResponseRecord, StepRecord};

    fn token_step(status: u16, cause: Option<Cause>) -> StepRecord {
        let mut response = ResponseRecord {
            status,
            ..Default::default()
        };
        if let Some(cause) = cause {
            response.unreadable_body(cause);
        }
        StepRecord::sent(
            "exchange",
            RequestRecord::new("POST", "/token", Default::default()),
            response,
        )
    }

    fn run_of(steps: Vec<StepRecord>) -> Transcript {
        Transcript::of_run("c".into(), "google".into(), RefreshSummary::default(), steps)
    }

    #[test]
    fn a_body_that_is_not_json_is_a_fault_by_its_type_unless_the_model_answers_with_a_page_too() {
        let live = run_of(vec![
            token_step(200, None),
            token_step(404, Some(Cause::Html { status: 404 })),
        ]);
        assert_eq!(
            transcript_fault(&live, None).as_deref(),
            Some("an HTML body where JSON was expected at /token (status 404)")
        );
        let model = run_of(vec![
            token_step(200, None),
            token_step(404, Some(Cause::NotJson { status: 404 })),
        ]);
        assert_eq!(transcript_fault(&live, Some(&model)), None);
        let model_json = run_of(vec![token_step(200, None), token_step(404, None)]);
        assert!(transcript_fault(&live, Some(&model_json)).is_some());
    }

    #[test]
    fn a_discovery_step_runs_live_only_where_the_profile_publishes_the_providers_own_document() {
        let registry = Registry::builtin();
        let case = |text: &str| {
            let scenario = crate::scenario::parse(std::path::Path::new("d.yaml"), text, &registry).unwrap();
            crate::scenario::expand(&Arc::new(scenario), "d").remove(0)
        };
        let discovering = case("name: d\nsteps:\n  - discovery:\n");
        let authorizing = case("name: a\nsteps:\n  - authorize: {scope: email}\n");
        let holds = |id: &str, case: &Case| discovery_holds_live(&registry.load(id).unwrap(), case);
        // Google's profile reproduces Google's document key for key (its era inherits that)
        assert!(holds("google", &discovering) && holds("google@2015", &discovering));
        // a generic OP's document is no real provider's
        assert!(!holds("oidc", &discovering) && !holds("oidc@rotating", &discovering));
        assert!(holds("oidc", &authorizing));
    }

    #[test]
    fn a_field_that_reads_like_a_fault_is_no_fault_without_its_cause() {
        // a provider's JSON may carry a field named `body` with any text: only the type counts
        let mut step = token_step(200, None);
        if let Some(response) = &mut step.response {
            response
                .fields
                .insert("body".into(), serde_json::Value::String("an HTML body".into()));
        }
        assert_eq!(transcript_fault(&run_of(vec![step]), None), None);
    }
}
