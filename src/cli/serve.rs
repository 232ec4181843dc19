//! `oauth-drift serve`: a provider model as a fake provider on loopback until SIGINT/SIGTERM.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;

use super::args::{ClientType, ConsentArg, GlobalArgs, IssuerArg, PublishingArg, ServeArgs};
use crate::model::{ADMIN_PREFIX, AccessHook, ConsentMode};
use crate::provider::{ClientConfig, ClientKind, ClientShape, PublishingStatus, Registry, SigningKey};
use crate::serve::{self, Serve, ServeConfig};

/// The environment variable that holds the command-line client's secret.
pub const SECRET_ENV: &str = "OAUTH_DRIFT_SERVE_CLIENT_SECRET";
/// The environment variable that sets the admin token (else `--allow-remote` generates one).
pub const ADMIN_TOKEN_ENV: &str = "OAUTH_DRIFT_ADMIN_TOKEN";

pub async fn serve(args: ServeArgs, global: &GlobalArgs, registry: &Registry) -> anyhow::Result<u8> {
    let profile = Arc::new(registry.load(&args.provider)?);
    let clients = clients(&args, &profile.client_shape)?;
    anyhow::ensure!(
        !(args.tls && args.allow_remote && args.tls_hostnames.is_empty()),
        "--tls with --allow-remote needs --tls-hostname NAME: the certificate names only {}, \
         which remote clients do not use to reach this server",
        serve::LOOPBACK_NAMES.join(", ")
    );
    let signing_key = match &args.signing_key {
        Some(path) => {
            let pem =
                std::fs::read(path).with_context(|| format!("failed to read the signing key {}", path.display()))?;
            let key = SigningKey::from_pem(&pem)
                .with_context(|| format!("{}: not a usable id_token signing key", path.display()))?;
            Some(Arc::new(key))
        }
        None => Some(Arc::new(
            SigningKey::generate().context("failed to make an id_token signing key")?,
        )),
    };
    let tls = match args.tls {
        true => {
            let tls = serve::local_tls(&args.tls_hostnames)?;
            if let Some(path) = &args.write_ca {
                crate::snapshot::write_atomically(path, &tls.ca_pem)
                    .with_context(|| format!("failed to write the CA certificate {}", path.display()))?;
            }
            Some(tls.server_config)
        }
        false => None,
    };
    let consent = match args.consent {
        ConsentArg::Auto => ConsentMode::Auto,
        ConsentArg::Page => ConsentMode::Page,
    };
    // a closed stderr must not take the server down (eprintln! would panic): drop the line
    let hook = (!global.quiet).then(|| {
        AccessHook(Arc::new(|served| {
            let _ = writeln!(std::io::stderr().lock(), "{}", serve::access_line(served));
        }))
    });
    // reachable from elsewhere, the admin endpoints need a token: the environment's or a new one
    let env_token = std::env::var(ADMIN_TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let generated = env_token.is_none() && args.allow_remote;
    let admin_token = env_token.or_else(|| generated.then(|| crate::provider::random_token(24)));
    let config = ServeConfig {
        profile: Arc::clone(&profile),
        port: args.port,
        allow_remote: args.allow_remote,
        consent,
        default_user: args.user.clone(),
        clients: clients.clone(),
        store_cap: args.store_cap.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        admin_token: admin_token.clone(),
        connections: crate::model::ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(args.header_read_timeout),
            idle_timeout: std::time::Duration::from_secs(args.idle_timeout),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        },
        signing_key,
        issuer_self: args.issuer == IssuerArg::SelfUrl,
        tls,
    };
    // listen for signals before anyone can learn the URL, so an early SIGTERM is still clean
    let shutdown = Shutdown::listen().context("failed to listen for SIGINT/SIGTERM")?;
    let server = Serve::start(config, hook).await?;
    let base = server.base_url().to_string();
    if let Some(path) = &args.write_client_secrets {
        serve::write_client_secrets(path, &clients[0], &base, &profile)
            .with_context(|| format!("failed to write the client-secrets file {}", path.display()))?;
    }
    // scripts read the first line of stdout: print it at once, and nothing else on stdout
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{base}")
        .and_then(|()| stdout.flush())
        .context("failed to write the base URL to stdout")?;
    drop(stdout);
    if !global.quiet {
        eprint!("{}", banner(&server, &profile, &clients, &args));
    }
    // the one way to learn a generated token, so printed even with --quiet (stderr, once)
    if let (true, Some(token)) = (generated, &admin_token) {
        eprintln!("oauth-drift serve: admin token (Authorization: Bearer): {token}");
    }
    shutdown.wait().await;
    drop(server);
    if !global.quiet {
        eprintln!("oauth-drift serve: stopped");
    }
    Ok(crate::exit::OK)
}

/// The command-line client, the clients file's, or a generated one.
fn clients(args: &ServeArgs, shape: &ClientShape) -> anyhow::Result<Vec<ClientConfig>> {
    let kind = match args.client_type {
        ClientType::Installed => ClientKind::Installed,
        ClientType::Web => ClientKind::Web,
    };
    let status = match args.publishing_status {
        PublishingArg::Production => PublishingStatus::Production,
        PublishingArg::Testing => PublishingStatus::Testing,
    };
    let mut clients = Vec::new();
    if args.client_id.is_some() || args.clients.is_none() {
        let mut client = serve::generate_client(kind, args.redirect_uris.clone(), status, shape);
        if let Some(id) = &args.client_id {
            client.client_id = id.clone();
        }
        if let Some(secret) = secret(args.client_secret_file.as_deref())? {
            client.client_secret = secret;
        }
        clients.push(client);
    }
    if let Some(path) = &args.clients {
        clients.extend(serve::load_clients(path)?);
    }
    Ok(clients)
}

/// The command-line client's secret: a file's first line, else the environment, else none.
fn secret(file: Option<&Path>) -> anyhow::Result<Option<String>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read the client secret file {}", path.display()))?;
        let secret = text.lines().next().unwrap_or_default().trim().to_string();
        anyhow::ensure!(!secret.is_empty(), "the client secret file {} is empty", path.display());
        return Ok(Some(secret));
    }
    Ok(std::env::var(SECRET_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().to_string()))
}

/// What is being served, for the person who started it (stderr; no secret in it).
fn banner(server: &Serve, profile: &crate::provider::Profile, clients: &[ClientConfig], args: &ServeArgs) -> String {
    let base = server.base_url();
    let e = &profile.endpoints;
    let mut text = format!(
        "oauth-drift serve: {} ({}) on {}\n",
        profile.id,
        profile.summary,
        server.address()
    );
    for (name, path) in [
        ("authorize", Some(&e.authorize)),
        ("token", Some(&e.token)),
        ("revoke", Some(&e.revoke)),
        ("userinfo", Some(&e.userinfo)),
        ("tokeninfo", e.tokeninfo.as_ref()),
        ("jwks", e.jwks.as_ref()),
        ("pem certs", e.pem_certs.as_ref()),
        ("discovery", Some(&e.discovery)),
    ] {
        if let Some(path) = path {
            text.push_str(&format!("  {name:<10} {base}{path}\n"));
        }
    }
    let issuer = match args.issuer {
        // the engine names the served URL for such a profile (`Engine::issuer`)
        IssuerArg::Profile if profile.issuer_served => format!("{base} (the profile's issuer_served)"),
        IssuerArg::Profile => format!(
            "{} ({}'s verifiers; --issuer self for generic OIDC clients)",
            profile.issuer,
            profile.display_name()
        ),
        IssuerArg::SelfUrl => format!("{base} (--issuer self)"),
    };
    text.push_str(&format!("  issuer     {issuer}\n"));
    if let Some(path) = &args.write_ca {
        text.push_str(&format!(
            "  tls CA     {} (trust it: SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS)\n",
            path.display()
        ));
    }
    text.push_str(&format!(
        "  admin      {base}{ADMIN_PREFIX}/{{health,clock,reset,grants,clients}}\n"
    ));
    for client in clients {
        let kind = match client.kind {
            ClientKind::Installed => "installed",
            ClientKind::Web => "web",
        };
        text.push_str(&format!(
            "  client     {} ({kind}; redirect URIs: {})\n",
            client.client_id,
            client.redirect_uris.join(", ")
        ));
    }
    if let Some(path) = &args.write_client_secrets {
        text.push_str(&format!("  secrets    {}\n", path.display()));
    }
    let consent = match args.consent {
        ConsentArg::Auto => format!("auto (simulated user `{}` unless the request names one)", args.user),
        ConsentArg::Page => "page (open the authorization URL in a browser)".to_string(),
    };
    text.push_str(&format!("  consent    {consent}\n  stop with Ctrl-C or SIGTERM\n"));
    text
}

/// SIGINT and SIGTERM, caught from the moment `listen` returns.
#[cfg(unix)]
struct Shutdown {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Shutdown {
    fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Shutdown;

#[cfg(not(unix))]
impl Shutdown {
    fn listen() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
