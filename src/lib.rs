//! oauth-drift: a diagnostic and regression-test harness for OAuth parameter drift.
//!
//! A provider's behaviour (Google's refresh_token rules, an OpenID provider's) is written
//! down once, as cited data: a [`Profile`], loaded from a [`Registry`]. The [`Engine`] runs
//! a profile without HTTP; a [`ModelServer`] puts it behind a loopback URL, so an app's OAuth
//! client can be tested against it as against the real provider. Scenarios (YAML files of
//! steps and expectations) are loaded into a [`Suite`], run on the model and judged into a
//! [`Report`]; [`diagnose`] explains why a pasted authorization URL, HAR or token response
//! did or will not get a refresh_token.
//!
//! The command line (`oauth-drift run`, `serve`, `probe`, `diagnose`, `compare`) is this
//! library behind [`run_cli`]; the README documents it.
//!
//! # Quick start
//!
//! Run a scenario on the in-process model:
//!
//! ```
//! use std::path::Path;
//! use oauth_drift::{Outcome, Registry, Scenario, Suite};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let registry = Registry::builtin();
//! let text = "
//! name: a web client asks for offline access
//! steps:
//!   - authorize: {scope: email, access_type: offline}
//!   - exchange:
//!   - expect: {status: 200, consent_screen: shown, refresh_token: present}
//! ";
//! let scenario = Scenario::parse(Path::new("offline.yaml"), text, &registry).unwrap();
//! let suite = Suite { cases: scenario.into_cases("offline"), ..Suite::default() };
//! let report = suite.run_on_model(&registry, None).await.unwrap();
//! assert_eq!(report.cases[0].outcome, Outcome::Pass);
//! assert_eq!(report.cases[0].refresh_token.first_grant, Some(true));
//! # }
//! ```
//!
//! Ask why a refresh_token does not come back:
//!
//! ```
//! use oauth_drift::Registry;
//! use oauth_drift::diagnose::{Input, Options, diagnose};
//!
//! let url = "https://accounts.google.com/o/oauth2/v2/auth?client_id=1.apps.googleusercontent.com\
//!            &redirect_uri=https://app.example.com/cb&response_type=code&scope=email";
//! let input = Input { pasted: Some(url.into()), ..Default::default() };
//! let diagnosis = diagnose(&input, &Options::default(), &Registry::builtin()).unwrap();
//! assert!(!diagnosis.prediction.first_grant.refresh_token);
//! assert!(!diagnosis.findings.is_empty()); // each with a code, a severity and a fix
//! ```
//!
//! # Where things are
//!
//! Every module is private; this page lists what a Rust user reaches. `docs/architecture.md`
//! is the map of the modules behind it.

mod bundled;
mod cli;
pub mod diagnose;
mod exit;
mod ledger;
mod limits;
mod live;
mod model;
mod profile_diff;
mod provider;
mod report;
mod runner;
mod scenario;
mod serve;
mod snapshot;
mod target;
mod transcript;

// ------------------------------------------------------------- profiles and the registry

/// The provider profiles: the built-in ones (`google`, `google@2015`, `oidc`, …) and any
/// added from YAML.
///
/// ```
/// let registry = oauth_drift::Registry::builtin();
/// let google = registry.load("google").unwrap();
/// assert!(registry.ids().any(|id| id == "google@2015"));
/// assert!(google.authorize.parameters.iter().any(|p| p == "access_type"));
/// assert!(registry.load("gogle").unwrap_err().to_string().contains("google"));
/// ```
pub use provider::Registry;
pub use provider::{Profile, ProfileError};

// ------------------------------------------------------------------------- the engine

/// The provider model without HTTP: consent memory, grants, codes and tokens, errors, on a
/// virtual clock, every rule read from the [`Profile`].
///
/// ```
/// use std::sync::Arc;
/// use oauth_drift::{AuthorizeResponse, ClientConfig, ClientKind, ConsentDecision, Engine, PublishingStatus, Registry};
///
/// let profile = Arc::new(Registry::builtin().load("google").unwrap());
/// let client = ClientConfig {
///     client_id: "1-web.apps.googleusercontent.com".into(),
///     client_secret: "test-secret".into(),
///     kind: ClientKind::Web,
///     status: PublishingStatus::Production,
///     redirect_uris: vec!["https://app.example.com/cb".into()],
///     project: None,
///     created: None,
/// };
/// let mut engine = Engine::new(profile, [client]);
/// let params: Vec<(String, String)> = [
///     ("client_id", "1-web.apps.googleusercontent.com"),
///     ("redirect_uri", "https://app.example.com/cb"),
///     ("response_type", "code"),
///     ("scope", "email"),
///     ("access_type", "offline"),
/// ]
/// .iter()
/// .map(|(k, v)| (k.to_string(), v.to_string()))
/// .collect();
/// let outcome = engine.authorize(&params, "alice", &ConsentDecision::GrantAll);
/// assert!(outcome.consent_screen);
/// let AuthorizeResponse::Redirect(location) = outcome.response else { panic!("no redirect") };
/// assert!(location.starts_with("https://app.example.com/cb?code="));
/// ```
pub use provider::Engine;
pub use provider::{
    AuthorizeOutcome, AuthorizeResponse, ClientConfig, ClientKind, ConsentDecision, JsonResponse, PublishingStatus,
    SigningKey,
};

/// One answer of the model: its status, its headers (names in lower case) and its body.
pub use model::ModelResponse;
/// The engine behind a loopback URL (the provider's endpoints, the consent page), for testing
/// an app's OAuth client against the model; dropping it stops the server.
/// [`ModelServer::start_shared`] hosts it as `oauth-drift run` hosts each case (on servers
/// shared by the process's cases, every request carrying the
/// [`routing_header`](ModelServer::routing_header)), and [`ModelServer::answer`] gives the
/// server's answer to a request without HTTP, as a [`ModelResponse`] (what
/// `benches/model_overhead.rs` measures).
///
/// ```
/// use std::sync::Arc;
/// use oauth_drift::{Engine, ModelServer, Registry};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let profile = Arc::new(Registry::builtin().load("google").unwrap());
/// let server = ModelServer::start(Engine::new(profile.clone(), [])).await;
/// assert!(server.uri().starts_with("http://127.0.0.1:"));
/// assert_eq!(server.routing_header(), None);
///
/// let shared = ModelServer::start_shared(Engine::new(profile, [])).await;
/// let (name, case) = shared.routing_header().unwrap();
/// let answer = shared.answer("GET", "/o/oauth2/v2/auth?client_id=unknown", &[(name, &case)], b"");
/// assert_eq!(answer.status, 400); // Google's error page: required parameters are missing
/// let unrouted = shared.answer("GET", "/o/oauth2/v2/auth?client_id=unknown", &[], b"");
/// assert_eq!(unrouted.status, 421); // a shared server answers only a request naming its case
/// # }
/// ```
pub use model::ModelServer;
pub use model::{CONSENT_HEADER, ConsentMode, USER_HEADER};

// -------------------------------------------------------------------------- scenarios

/// One scenario file, parsed and checked: every reference (a client, a user, a matrix
/// variable) names something the file defines, and every error is located.
///
/// ```
/// use std::path::Path;
/// use oauth_drift::{Registry, Scenario};
///
/// let registry = Registry::builtin();
/// let text = "name: x\nsteps:\n  - authorize: {scope: email}\n    client: mobile\n";
/// let error = Scenario::parse(Path::new("x.yaml"), text, &registry).unwrap_err();
/// assert_eq!(error.to_string(), "x.yaml:4:13: steps[0].client: unknown client `mobile`; expected one of: web");
///
/// let text = "name: x\nmatrix: {who: [alice, bob]}\nusers: [alice, bob]\nsteps:\n  - authorize: {scope: email}\n    user: \"${who}\"\n";
/// let cases = Scenario::parse(Path::new("x.yaml"), text, &registry).unwrap().into_cases("x");
/// assert_eq!(cases.len(), 2);
/// assert_eq!(cases[1].name, "x [who=bob]");
/// ```
pub use scenario::Scenario;
pub use scenario::{Case, ScenarioError};

// ------------------------------------------------------------ running a suite, the report

pub use runner::judge::SnapshotPolicy;
/// The cases of a set of scenario files, loaded (files that fail are kept as errors), run on
/// the model and judged: each case passes, fails (a fault or a failed expectation) or
/// drifts (its transcript differs from the accepted snapshot, with [`SnapshotPolicy`]).
///
/// ```
/// use oauth_drift::{Outcome, Registry, Suite};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let registry = Registry::builtin();
/// let paths = [std::path::PathBuf::from("scenarios")];
/// let suite = Suite::load(&paths, &registry, Some("unknown client_id")).unwrap();
/// assert!(suite.errors.is_empty());
/// let report = suite.run_on_model(&registry, None).await.unwrap();
/// assert!(report.cases.iter().all(|c| c.outcome == Outcome::Pass));
/// assert!(report.to_json().contains("\"outcome\": \"pass\""));
/// # }
/// ```
pub use runner::suite::Suite;
pub use runner::suite::{Corpus, SuiteError};
pub use runner::{CaseRun, Failure};
pub use snapshot::SnapshotStore;
pub use transcript::{RefreshSummary, Transcript};

/// What a run found: a [`CaseReport`] per case, the files that did not load, notes; rendered
/// as `run` writes it with [`Report::to_json`] and [`Report::to_junit`].
pub use report::Report;
pub use report::{CaseReport, Outcome};

// ----------------------------------------------------------------------- the command line

/// The `oauth-drift` command line: parses the process's arguments, runs the subcommand and
/// returns its exit code (README: "Exit codes"). `src/main.rs` is this one call.
pub use cli::main as run_cli;
