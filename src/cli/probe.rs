//! `oauth-drift probe`: live probes against a real provider (or `serve`).

use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{Context, bail};

use super::args::{ClientType, GlobalArgs, ProbeArgs, PublishingArg, ReportFormat};
use super::output;
use crate::live::{
    self, ClientShape, ConsentOptions, Credentials, Kind, LoginError, LoginOptions, Opener, Overrides, ProbeOptions,
    RetryPolicy, TargetSpec,
};
use crate::provider::{ClientKind, PublishingStatus, Registry};
use crate::runner::judge::SnapshotPolicy;
use crate::runner::suite;
use crate::snapshot::{SnapshotStore, write_atomically};
use crate::target::Transport;

pub async fn probe(args: ProbeArgs, global: &GlobalArgs, registry: Registry) -> anyhow::Result<u8> {
    refuse_secrets_on_argv(&args)?;
    let policy = RetryPolicy::live(args.deadline, args.attempt_timeout);
    let mut chosen = None;
    let provider = match (&args.provider, &args.issuer) {
        (Some(provider), _) => provider.clone(),
        (None, Some(issuer)) => {
            let (provider, note) = profile_for_issuer(issuer, args.discovery_url.as_ref(), &registry, policy).await;
            chosen = Some(note);
            provider
        }
        (None, None) => crate::provider::DEFAULT_PROVIDER.into(),
    };
    registry.load(&provider)?;
    let kinds = if args.kinds.is_empty() {
        Kind::UNATTENDED.to_vec()
    } else {
        args.kinds.clone()
    };
    let credentials = Credentials::from_env().context("failed to read the probe credentials")?;
    let ledger = output::load_ledger(&args.report)?;

    let opener = match &args.open_with {
        None => Opener::System,
        Some(command) => match shlex::split(command) {
            Some(argv) if !argv.is_empty() => Opener::Command(argv),
            _ => bail!("--open-with `{command}` is not a command line"),
        },
    };
    let target = TargetSpec {
        issuer: args.issuer.clone(),
        overrides: Overrides {
            authorize: args.authorize_url.clone(),
            token: args.token_url.clone(),
            revoke: args.revoke_url.clone(),
            userinfo: args.userinfo_url.clone(),
            discovery: args.discovery_url.clone(),
        },
        name: args.target.clone(),
    };
    // progress only where a person watches: stdout a terminal, the human report, not -q
    let spinner = (std::io::stdout().is_terminal()
        && args.report.format == ReportFormat::Human
        && !global.quiet
        && args.get_refresh_token.is_none())
    .then(Spinner::start);
    let notify: live::Notify = match &spinner {
        Some(spinner) => {
            let bar = spinner.0.clone();
            Arc::new(move |line: &str| bar.println(crate::report::github::neutralise(line)))
        }
        None => Arc::new(|line: &str| super::stdout::eprint_line(&crate::report::github::neutralise(line))),
    };
    if let Some(file) = &args.get_refresh_token {
        let options = LoginOptions {
            provider,
            target,
            policy,
            scope: args.scope.clone(),
            opener,
            timeout: args.consent_timeout,
            callback_port: args.callback_port,
            notify,
        };
        return match live::obtain_refresh_token(&options, &credentials, &registry).await {
            Ok((token, scope)) => {
                write_atomically(file, &format!("{}\n", token.expose()))
                    .with_context(|| format!("failed to store the refresh token in {}", file.display()))?;
                eprintln!(
                    "stored a refresh token (scope: {scope}) in {}; point OAUTH_DRIFT_REFRESH_TOKEN_FILE at it",
                    file.display()
                );
                Ok(crate::exit::OK)
            }
            Err(e @ (LoginError::Credentials(_) | LoginError::Target(_) | LoginError::Profile(_))) => Err(e.into()),
            Err(e) => {
                eprintln!("error: no refresh token: {e}");
                Ok(crate::exit::DRIFT)
            }
        };
    }
    let mut cases = Vec::new();
    let mut input_errors = Vec::new();
    let mut warnings = Vec::new();
    if kinds.iter().any(|k| matches!(k, Kind::AuthorizeParams | Kind::Consent)) {
        let suite = suite::load_corpus(&suite::Corpus::choose(&args.paths), &registry, args.filter.as_deref())?;
        input_errors = suite.errors;
        cases = suite.cases;
        // a scenario that names its provider (or has a provider axis) keeps it: such cases are
        // probed only when that provider is the one compared with
        for case in &mut cases {
            if case.binding("provider").is_none() && case.scenario.file.provider.is_none() {
                case.provider = provider.clone();
            }
        }
        warnings = suite::parameter_warnings(&cases, &registry);
    }
    let write = !super::ci();
    let options = ProbeOptions {
        kinds,
        provider,
        target,
        policy,
        snapshots: (!args.no_snapshots).then(|| SnapshotPolicy {
            store: SnapshotStore::new(&args.snapshots),
            accept: args.accept,
            write,
        }),
        client: ClientShape {
            kind: args.client_type.map(|t| match t {
                ClientType::Installed => ClientKind::Installed,
                ClientType::Web => ClientKind::Web,
            }),
            status: match args.client_status {
                PublishingArg::Production => PublishingStatus::Production,
                PublishingArg::Testing => PublishingStatus::Testing,
            },
            redirect_uri: args.redirect_uri.clone(),
        },
        consent: ConsentOptions {
            // a scripted browser is a new process per request, with no cookies; a person's own
            // browser keeps them signed in
            session: args.session.unwrap_or(match opener {
                Opener::Command(_) => live::Session::SignedOut,
                Opener::System => live::Session::SignedIn,
            }),
            opener,
            timeout: args.consent_timeout,
            revoke: args.revoke,
            callback_port: args.callback_port,
        },
        notify,
    };
    let running = live::run(&options, &credentials, &cases, &registry);
    let mut report = match &spinner {
        Some(spinner) => {
            let observer: Arc<dyn live::Observer> = Arc::new(spinner.clone());
            let report = live::observed(observer, running).await;
            spinner.0.finish_and_clear();
            report?
        }
        None => running.await?,
    };
    report.input_errors = input_errors;
    report.notes.extend(chosen);
    if let Some(policy) = &options.snapshots {
        output::accepted(&mut report, policy, false, "oauth-drift probe");
    }
    report.warnings = warnings;
    output::conclude(
        report,
        &args.report,
        ledger.as_ref(),
        !write && args.accept,
        global,
        "oauth-drift probe",
    )
}

/// The progress line of a probe run on a terminal (stderr): what is under way, each decided
/// case above it as it is known, and each wait before a retry.
#[derive(Clone)]
struct Spinner(indicatif::ProgressBar);

impl Spinner {
    fn start() -> Self {
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {pos} decided · {wide_msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Self(bar)
    }
}

impl live::Observer for Spinner {
    fn started(&self, what: &str) {
        self.0.set_message(what.to_string());
    }

    fn decided(&self, case: &crate::report::CaseReport) {
        self.0.inc(1);
        // skipped cases are summed up by reason in the report; the rest is news
        if case.outcome != crate::report::Outcome::Skipped {
            self.0.println(format!("{:>13} {}", case.outcome.label(), case.name));
        }
    }

    fn retrying(&self, cause: &live::Cause, attempt: u32, wait: std::time::Duration) {
        self.0.set_message(format!(
            "{cause}; attempt {} in {:.1}s",
            attempt + 1,
            wait.as_secs_f64()
        ));
    }
}

/// The profile to compare an `--issuer` with when `--provider` is not given: the one whose
/// `issuer` the discovery document names (a running `serve` names the provider it models),
/// else `oidc`. Returns it with a note that says why.
async fn profile_for_issuer(
    issuer: &url::Url,
    discovery: Option<&url::Url>,
    registry: &Registry,
    policy: RetryPolicy,
) -> (String, String) {
    let url = match discovery {
        Some(url) => Ok(url.clone()),
        // OpenID Connect Discovery §4: the issuer with /.well-known/openid-configuration appended
        None => url::Url::parse(&format!(
            "{}/.well-known/openid-configuration",
            issuer.as_str().trim_end_matches('/')
        )),
    };
    let fallback = |why: String| {
        (
            "oidc".to_string(),
            format!("compared with `oidc`: {why} (--provider NAME chooses)"),
        )
    };
    let Ok(url) = url else {
        return fallback("the issuer URL has no discovery URL".into());
    };
    let document = match live::LiveProvider::new(policy)
        .exchange(&live::Request::get(url), live::Body::Json)
        .await
    {
        Ok(response) if response.status == 200 => response.json.unwrap_or_default(),
        Ok(response) => return fallback(format!("the discovery document answered {}", response.status)),
        Err(e) => return fallback(format!("the discovery document could not be read ({e})")),
    };
    let text = |field: &str| document.get(field).and_then(|v| v.as_str()).map(str::to_string);
    let Some(named) = text("issuer") else {
        return fallback("the discovery document names no issuer".into());
    };
    let path = |field: &str| {
        text(field)
            .and_then(|e| url::Url::parse(&e).ok())
            .map(|u| u.path().to_string())
    };
    let (authorize, token) = (path("authorization_endpoint"), path("token_endpoint"));
    if let Some(id) = registry.for_issuer(&named, authorize.as_deref()) {
        let note = format!(
            "compared with `{id}`: the discovery document names its issuer {named} (--provider NAME chooses another)"
        );
        return (id, note);
    }
    match authorize
        .zip(token)
        .and_then(|(a, t)| registry.for_endpoint_paths(&a, &t))
    {
        Some(id) => {
            let note = format!(
                "compared with `{id}`: no profile has the issuer {named}, but the discovery document's endpoint paths are `{id}`'s (--provider NAME chooses another)"
            );
            (id, note)
        }
        None => fallback(format!("no profile has the issuer {named} or its endpoint paths")),
    }
}

/// Secrets on argv end up in shell history and process lists: refuse them, without echoing.
fn refuse_secrets_on_argv(args: &ProbeArgs) -> anyhow::Result<()> {
    let given = [
        (
            args.client_secret.is_some(),
            "--client-secret",
            "OAUTH_DRIFT_CLIENT_SECRET or OAUTH_DRIFT_CLIENT_SECRET_FILE",
        ),
        (
            args.refresh_token.is_some(),
            "--refresh-token",
            "OAUTH_DRIFT_REFRESH_TOKEN or OAUTH_DRIFT_REFRESH_TOKEN_FILE",
        ),
        (
            args.client_id.is_some(),
            "--client-id",
            "OAUTH_DRIFT_CLIENT_ID or OAUTH_DRIFT_CLIENT_SECRETS_FILE",
        ),
    ];
    for (set, flag, instead) in given {
        if set {
            bail!(
                "{flag} is not accepted: credentials are never taken from the command line (they would leak into shell history and process lists); set {instead}"
            );
        }
    }
    Ok(())
}
