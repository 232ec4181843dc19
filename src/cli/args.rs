//! Command-line flags (clap). They are turned into library configs in the command modules.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The profile `serve` and `diagnose` use without `--provider`.
use crate::provider::DEFAULT_PROVIDER;

/// The examples after the top-level `--help`; `{authorize_url}` is filled in by `examples`.
const EXAMPLES: &str = "\
Examples:
  Every bundled scenario against the model (./scenarios/ if there is one):
    oauth-drift run
  One folder, one era; reports for CI:
    oauth-drift run scenarios/refresh --filter google@2015
    oauth-drift run --junit junit.xml --json report.json
  Write the bundled scenarios and snapshots out, to edit and extend:
    oauth-drift init my-scenarios
  What changed between two eras:
    oauth-drift compare google@2015 google --format markdown
  A fake Google on loopback; the live provider, unattended and through a browser:
    oauth-drift serve --write-client-secrets client_secret.json
    oauth-drift probe
    oauth-drift probe --kind consent --revoke
  Why no refresh_token, for a pasted authorization URL or a HAR file:
    oauth-drift diagnose '{authorize_url}?…'
    oauth-drift diagnose --har sign-in.har
    oauth-drift explain OD103

Exit codes: 0 pass, 1 drift or failed expectation, 2 usage or input error,
3 inconclusive.";

/// The examples after the top-level `--help`, with the authorization endpoint of the default
/// provider's profile (`cli::main` sets them on the command).
pub fn examples() -> String {
    let url = (crate::provider::Registry::builtin().load(DEFAULT_PROVIDER))
        .map(|profile| format!("{}{}", profile.issuer, profile.endpoints.authorize))
        .unwrap_or_default();
    EXAMPLES.replace("{authorize_url}", &url)
}

/// Diagnostic and regression-test harness for OAuth parameter drift.
#[derive(Debug, Parser)]
#[command(name = "oauth-drift", version, about)]
pub struct Cli {
    /// When to color output (NO_COLOR is honoured under `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

/// What the command modules read besides their own flags: `-q`/`-v` and the extra profiles,
/// each taken from the subcommand that has the flag (absent: off).
#[derive(Debug, Clone, Default)]
pub struct GlobalArgs {
    pub quiet: bool,
    pub verbose: bool,
    pub profile_files: Vec<PathBuf>,
}

/// `-q` and `-v`, on the commands that print a report.
#[derive(Debug, Clone, Default, Args)]
pub struct Verbosity {
    /// Only the summary line (and errors).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Every case on its own line, passing cases with their transcripts, skipped cases by name.
    #[arg(short, long)]
    pub verbose: bool,
}

/// `--profile-file`, on the commands that load provider profiles.
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileFiles {
    /// Load an extra provider profile (YAML); its file stem is its name. Repeatable.
    #[arg(long = "profile-file", value_name = "FILE")]
    pub profile_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

/// How a report is written on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
    Junit,
    Markdown,
}

/// The report flags `run` and `probe` share.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Also write the JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Also write a JUnit XML report to FILE (one testsuite per scenario file).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the Markdown summary to FILE (for an issue or PR comment).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Known-drift ledger (YAML) [default: known-drift.yaml if it exists].
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// The whole refresh_token table (by default only scenarios whose answer differs across
    /// the matrix or between first and repeat grant).
    #[arg(long)]
    pub matrix: bool,
}

/// How `compare` writes its table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run scenarios against the built-in provider model.
    Run(RunArgs),
    /// Behaviour differences between two provider profiles (e.g. google@2015 google).
    Compare(CompareArgs),
    /// List provider profiles and their eras.
    Providers(ProvidersArgs),
    /// Run a provider model as a standalone fake provider on loopback.
    Serve(ServeArgs),
    /// Probe a live provider (Google by default) and compare with live snapshots and the model.
    ///
    /// Credentials come only from environment variables (or the files they name):
    /// OAUTH_DRIFT_CLIENT_ID, OAUTH_DRIFT_CLIENT_SECRET (or its _FILE), OAUTH_DRIFT_CLIENT_SECRETS_FILE,
    /// OAUTH_DRIFT_REFRESH_TOKEN (or its _FILE). A probe whose credentials are missing is skipped.
    Probe(Box<ProbeArgs>),
    /// Explain whether and why a refresh_token comes back for an authorization URL or HAR.
    Diagnose(DiagnoseArgs),
    /// The long explanation of a diagnose finding, with history and sources.
    Explain(ExplainArgs),
    /// Write the bundled scenarios and their snapshots into DIR, to edit and extend.
    Init(InitArgs),
}

impl Command {
    /// The flags every command module may read, from whichever of them this command has.
    pub fn global(&self) -> GlobalArgs {
        let (verbosity, profiles) = match self {
            Command::Run(a) => (Some(a.verbosity.clone()), Some(&a.profiles)),
            Command::Probe(a) => (Some(a.verbosity.clone()), Some(&a.profiles)),
            Command::Compare(a) => (
                Some(Verbosity {
                    quiet: false,
                    verbose: a.verbose,
                }),
                Some(&a.profiles),
            ),
            Command::Serve(a) => (
                Some(Verbosity {
                    quiet: a.quiet,
                    verbose: false,
                }),
                Some(&a.profiles),
            ),
            Command::Providers(a) => (None, Some(&a.profiles)),
            Command::Diagnose(a) => (None, Some(&a.profiles)),
            Command::Explain(_) | Command::Init(_) => (None, None),
        };
        let verbosity = verbosity.unwrap_or_default();
        GlobalArgs {
            quiet: verbosity.quiet,
            verbose: verbosity.verbose,
            profile_files: profiles.map(|p| p.profile_files.clone()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write `scenarios/` and `snapshots/`.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Overwrite files that exist and differ.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or directories (searched recursively for .yaml/.yml) [default:
    /// ./scenarios if it exists, else the scenarios bundled in the binary].
    pub paths: Vec<PathBuf>,
    /// Run only cases whose name (or snapshot name) contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Provider profile for scenarios that name none (matrix `provider` axes still apply).
    #[arg(long, value_name = "NAME[@ERA]")]
    pub provider: Option<String>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Where accepted snapshots live [default: ./snapshots, or the bundled ones with the
    /// bundled scenarios].
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Accept the new or changed transcripts of passing cases as their snapshots.
    #[arg(long)]
    pub accept: bool,
    /// With --accept: also delete the snapshots no case produces any more.
    #[arg(long, requires = "accept")]
    pub prune: bool,
    /// Do not compare with snapshots at all.
    #[arg(long, conflicts_with = "accept")]
    pub no_snapshots: bool,
    #[command(flatten)]
    pub verbosity: Verbosity,
    #[command(flatten)]
    pub profiles: ProfileFiles,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The profile to compare from (e.g. google@2015).
    #[arg(value_name = "A")]
    pub a: String,
    /// The profile to compare to (e.g. google).
    #[arg(value_name = "B")]
    pub b: String,
    /// Scenario files or directories [default: ./scenarios if it exists, else the bundled ones].
    pub paths: Vec<PathBuf>,
    /// Compare only cases whose name (or snapshot name) contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = CompareFormat::Human)]
    pub format: CompareFormat,
    /// Also list the cases that behave the same under both.
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub profiles: ProfileFiles,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Scenario files or directories for authorize-params and consent probes [default:
    /// ./scenarios if it exists, else the bundled ones].
    pub paths: Vec<PathBuf>,
    /// Probe kinds, comma-separated or repeated [default: discovery,authorize-params,refresh].
    #[arg(long = "kind", value_enum, value_delimiter = ',', value_name = "KIND")]
    pub kinds: Vec<crate::live::Kind>,
    /// Probe only cases whose name (or snapshot name) contains TEXT.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// The profile live answers are compared with [default: google; with --issuer, the
    /// profile whose `issuer` the discovery document names, else oidc].
    #[arg(long, value_name = "NAME[@ERA]")]
    pub provider: Option<String>,
    /// Any OpenID provider, found through its discovery document (or `serve`'s base URL).
    #[arg(long, value_name = "URL")]
    pub issuer: Option<url::Url>,
    /// Authorization endpoint URL (overrides defaults and discovery).
    #[arg(long, value_name = "URL")]
    pub authorize_url: Option<url::Url>,
    /// Token endpoint URL.
    #[arg(long, value_name = "URL")]
    pub token_url: Option<url::Url>,
    /// Revocation endpoint URL.
    #[arg(long, value_name = "URL")]
    pub revoke_url: Option<url::Url>,
    /// Userinfo endpoint URL.
    #[arg(long, value_name = "URL")]
    pub userinfo_url: Option<url::Url>,
    /// Discovery document URL.
    #[arg(long, value_name = "URL")]
    pub discovery_url: Option<url::Url>,
    /// Name of the target's live snapshot directory [default: google, or the issuer's host].
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Where accepted live snapshots live (one subdirectory per target).
    #[arg(long, value_name = "DIR", default_value = "snapshots/live")]
    pub snapshots: PathBuf,
    /// Accept every new or changed live transcript as the snapshot.
    #[arg(long)]
    pub accept: bool,
    /// Do not compare with live snapshots at all.
    #[arg(long, conflicts_with = "accept")]
    pub no_snapshots: bool,
    /// Budget of one probe request, retries included (e.g. 60s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration)]
    pub deadline: std::time::Duration,
    /// The longest one attempt may take.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = duration)]
    pub attempt_timeout: std::time::Duration,
    /// consent: hand each authorization URL to CMD (the URL is its last argument) instead of
    /// the system browser; CMD gets OAUTH_DRIFT_USER and OAUTH_DRIFT_CONSENT.
    #[arg(long, value_name = "CMD")]
    pub open_with: Option<String>,
    /// consent: the session the browser has when each authorization request arrives, which
    /// decides what prompt=none must answer [default: signed-out with --open-with, signed-in
    /// with the system browser].
    #[arg(long, value_enum, value_name = "SESSION")]
    pub session: Option<crate::live::Session>,
    /// consent: how long to wait for each authorization response.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = duration)]
    pub consent_timeout: std::time::Duration,
    /// consent: revoke each case's grant at the end (probing then does not eat the
    /// provider's per-client refresh-token limit, and the next run starts from no grant).
    #[arg(long)]
    pub revoke: bool,
    /// consent: port of the loopback redirect listener (0: random; a web client needs its
    /// registered one).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub callback_port: u16,
    /// authorize-params: a redirect URI registered for the client [default: from the
    /// client-secrets file, else http://127.0.0.1/callback for an installed client].
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// The live client's type, for the model's prediction [default: from the client-secrets
    /// file, else installed].
    #[arg(long, value_enum, value_name = "TYPE")]
    pub client_type: Option<ClientType>,
    /// The publishing status of the live client's consent screen, for the model's prediction.
    #[arg(long, value_enum, value_name = "STATUS", default_value_t = PublishingArg::Production)]
    pub client_status: PublishingArg,
    /// Instead of probing: one interactive grant (browser or --open-with, consent forced)
    /// whose refresh token is written to FILE, for OAUTH_DRIFT_REFRESH_TOKEN_FILE. The token
    /// is never printed.
    #[arg(long, value_name = "FILE")]
    pub get_refresh_token: Option<PathBuf>,
    /// --get-refresh-token: the scopes to ask for (sign-in scopes only keep a Testing app's
    /// refresh token from expiring after 7 days).
    #[arg(
        long,
        value_name = "SCOPES",
        default_value = "openid email",
        requires = "get_refresh_token"
    )]
    pub scope: String,
    /// Refused: secrets are never taken from the command line.
    #[arg(long, hide = true, num_args = 0..=1, value_name = "SECRET")]
    pub client_secret: Option<String>,
    /// Refused: secrets are never taken from the command line.
    #[arg(long, hide = true, num_args = 0..=1, value_name = "SECRET")]
    pub refresh_token: Option<String>,
    /// Refused: credentials are never taken from the command line.
    #[arg(long, hide = true, num_args = 0..=1, value_name = "ID")]
    pub client_id: Option<String>,
    #[command(flatten)]
    pub verbosity: Verbosity,
    #[command(flatten)]
    pub profiles: ProfileFiles,
}

/// `30`, `30s`, `5m`, `1h` (the scenario duration syntax).
fn duration(text: &str) -> Result<std::time::Duration, String> {
    crate::scenario::parse_duration(text)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is not a duration (30, 30s, 5m, 1h)"))
}

#[derive(Debug, Args)]
pub struct ProvidersArgs {
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[command(flatten)]
    pub profiles: ProfileFiles,
}

/// `oauth-drift serve`. Client secrets come from the environment or a file, never from argv.
#[derive(Debug, Args)]
#[command(after_help = SERVE_EXAMPLES)]
pub struct ServeArgs {
    /// Provider profile to serve, at its own endpoint paths.
    #[arg(long, value_name = "NAME[@ERA]", default_value = DEFAULT_PROVIDER)]
    pub provider: String,
    /// Port to listen on; 0 picks a free one. The base URL is stdout's first line.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Listen on every interface instead of 127.0.0.1 only; admin endpoints then need a token
    /// (OAUTH_DRIFT_ADMIN_TOKEN, else one generated and printed on stderr).
    #[arg(long)]
    pub allow_remote: bool,
    /// How a consent screen is answered: `auto` (the simulated user grants what is asked,
    /// or what the x-oauth-drift-consent header says) or `page` (a real HTML page).
    #[arg(long, value_enum, default_value_t = ConsentArg::Auto)]
    pub consent: ConsentArg,
    /// The simulated user when a request names none (x-oauth-drift-user header, else login_hint).
    #[arg(long, value_name = "NAME", default_value = crate::model::DEFAULT_USER)]
    pub user: String,
    /// Client id of the command-line client (default: a generated one). Its secret comes from
    /// $OAUTH_DRIFT_SERVE_CLIENT_SECRET or --client-secret-file (default: a generated one).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// File whose first line is the command-line client's secret.
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: Option<PathBuf>,
    /// Kind of the command-line client, and so the client-secrets variant written.
    #[arg(long, value_enum, default_value_t = ClientType::Installed)]
    pub client_type: ClientType,
    /// Redirect URI of the command-line client (repeatable; default: http://localhost for
    /// installed, which matches any loopback port, http://localhost:8080/oauth2callback for web).
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Publishing status of the command-line client (`testing`: refresh tokens expire in 7 days).
    #[arg(long, value_enum, default_value_t = PublishingArg::Production)]
    pub publishing_status: PublishingArg,
    /// Clients file: a YAML or JSON list of clients, or a client-secrets JSON. With it, no
    /// command-line client is made unless --client-id is given.
    #[arg(long, value_name = "FILE")]
    pub clients: Option<PathBuf>,
    /// Keep at most N grants, codes, access tokens and refresh tokens (each; oldest forgotten
    /// first, as if expired). Default 50000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub store_cap: Option<u64>,
    /// Seconds a client has to send a request's headers (and a kept-alive connection to
    /// start its next request) before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout: u64,
    /// Seconds a connection may move no byte while a request is read or an answer written.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub idle_timeout: u64,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_connections: u64,
    /// Write the first client's client-secrets JSON (the Cloud Console's download format,
    /// pointing at this server) to FILE.
    #[arg(long, value_name = "FILE")]
    pub write_client_secrets: Option<PathBuf>,
    /// No access log and no banner on stderr.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub profiles: ProfileFiles,
    /// PEM RSA private key (PKCS#1 or PKCS#8, 2048 bits or more) that signs id_tokens, for a
    /// key id that stays the same across restarts. Default: an RSA-2048 key made at start.
    #[arg(long, value_name = "FILE")]
    pub signing_key: Option<PathBuf>,
    /// The `iss` of id_tokens and discovery's `issuer`: `profile` (the profile's issuer:
    /// https://accounts.google.com for `google`, what Google's own verifiers check; this
    /// server's base URL for a profile with `issuer_served`, as `oidc`; `google` is the same
    /// value's older name) or `self` (this server's base URL, what generic OpenID Connect
    /// clients demand: OIDC Discovery §4.3).
    #[arg(long, value_enum, default_value_t = IssuerArg::Profile)]
    pub issuer: IssuerArg,
    /// Serve HTTPS with a certificate for 127.0.0.1, localhost and ::1 from a CA made at start
    /// (write it with --write-ca and trust it in the app).
    #[arg(long)]
    pub tls: bool,
    /// Write the CA certificate (PEM) that signed the --tls certificate to FILE.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub write_ca: Option<PathBuf>,
    /// Another name for the --tls certificate (repeatable); needed with --allow-remote, since
    /// remote clients do not reach the server as 127.0.0.1.
    #[arg(long = "tls-hostname", value_name = "NAME", requires = "tls")]
    pub tls_hostnames: Vec<String>,
}

const SERVE_EXAMPLES: &str = "\
Examples:
  oauth-drift serve --write-client-secrets client_secret.json
  oauth-drift serve --provider google@2015 --port 8765 --consent page
  oauth-drift serve --tls --write-ca ca.pem --issuer self --signing-key key.pem
  OAUTH_DRIFT_SERVE_CLIENT_SECRET=s3cr3t oauth-drift serve --client-id my-app --client-type web \\
      --redirect-uri http://localhost:3000/auth/callback

stdout's first line is the base URL; the access log (secrets redacted) goes to stderr.
Admin endpoints: /_oauth-drift/{health,clock,clock/advance?seconds=N,clock/freeze,clock/resume,reset,grants,clients};
with --allow-remote they need `Authorization: Bearer TOKEN` (printed at start, or OAUTH_DRIFT_ADMIN_TOKEN).
SIGINT or SIGTERM stops the server.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IssuerArg {
    #[value(alias = "google")]
    Profile,
    #[value(name = "self")]
    SelfUrl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConsentArg {
    Auto,
    Page,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientType {
    Installed,
    Web,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PublishingArg {
    Production,
    Testing,
}

#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// The authorization URL as pasted (surrounding text is fine), a token or error response,
    /// or Google's error page URL; `-` reads it from stdin.
    #[arg(value_name = "URL")]
    pub url: Option<String>,
    /// A HAR file exported from the browser's dev tools (Network panel, "Save all as HAR").
    #[arg(long, value_name = "FILE")]
    pub har: Option<PathBuf>,
    /// A token endpoint response (JSON) to explain.
    #[arg(long = "token-response", value_name = "FILE")]
    pub token_response: Option<PathBuf>,
    /// The client type (default: inferred from the redirect_uri).
    #[arg(long = "client-type", value_enum, value_name = "TYPE")]
    pub client_type: Option<ClientType>,
    /// The consent screen's publishing status (default: production, or testing when a token
    /// response shows the 7-day lifetime).
    #[arg(long = "publishing-status", value_enum, value_name = "STATUS")]
    pub publishing_status: Option<PublishingArg>,
    /// What the report says went wrong; ranks the causes (default: inferred from a token or
    /// error response).
    #[arg(long, value_enum, value_name = "SYMPTOM")]
    pub symptom: Option<super::diagnose::SymptomArg>,
    /// Provider profile and era to predict with.
    #[arg(long, value_name = "NAME[@ERA]", default_value = DEFAULT_PROVIDER)]
    pub provider: String,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also write a scenario that reproduces the request as a regression case.
    #[arg(long = "emit-scenario", value_name = "FILE")]
    pub emit_scenario: Option<PathBuf>,
    /// Overwrite the --emit-scenario file when it exists.
    #[arg(long, requires = "emit_scenario")]
    pub force: bool,
    #[command(flatten)]
    pub profiles: ProfileFiles,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A finding code (OD103) or name (approval-prompt-ignored).
    #[arg(value_name = "CODE", required_unless_present = "list")]
    pub code: Option<String>,
    /// List every finding code.
    #[arg(long, conflicts_with = "code")]
    pub list: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}
