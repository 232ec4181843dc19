//! `oauth-drift diagnose`: explain whether and why a refresh_token comes back.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use clap::ValueEnum;

use super::args::{ClientType, DiagnoseArgs, Format, PublishingArg};
use crate::diagnose::{self, Diagnosed, Har, Input, Options, Symptom, TokenResponse, render};
use crate::provider::{ClientKind, PublishingStatus, Registry};
use crate::runner::suite;

/// `--symptom`: what the report says went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SymptomArg {
    /// A token response came back without refresh_token.
    NoRefreshToken,
    /// A refresh fails with invalid_grant.
    InvalidGrant,
    /// A refresh fails with invalid_grant some days (about a week) after the grant.
    InvalidGrantAfterDays,
    /// A refresh token that used to work was revoked (for example after many logins).
    RefreshTokenRevoked,
}

impl From<SymptomArg> for Symptom {
    fn from(arg: SymptomArg) -> Self {
        match arg {
            SymptomArg::NoRefreshToken => Symptom::NoRefreshToken,
            SymptomArg::InvalidGrant => Symptom::InvalidGrant,
            SymptomArg::InvalidGrantAfterDays => Symptom::InvalidGrantAfterDays,
            SymptomArg::RefreshTokenRevoked => Symptom::RefreshTokenRevoked,
        }
    }
}

pub async fn diagnose(args: DiagnoseArgs, registry: &Registry) -> anyhow::Result<u8> {
    let json = matches!(args.format, Format::Json);
    let provider = args.provider.clone();
    let result = run(args, registry).await;
    if let (Err(error), true) = (&result, json) {
        // a script reading stdout gets JSON whatever happened; the message goes to stderr too
        let document = serde_json::json!({
            "provider": provider,
            "first_grant": null,
            "repeat_grant": null,
            "findings": [],
            "fixed_url": null,
            "error": {"message": format!("{error:#}"), "exit_code": crate::exit::INPUT},
        });
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        super::stdout::print(&text)?;
    }
    result
}

async fn run(args: DiagnoseArgs, registry: &Registry) -> anyhow::Result<u8> {
    let piped = args.har.is_none() && !std::io::stdin().is_terminal();
    let pasted = match args.url.as_deref() {
        Some("-") => Some(read_stdin()?),
        Some(text) => Some(text.to_string()),
        // a pipe that carries nothing is no input (`--token-response FILE` alone, in a script)
        None if piped => Some(read_stdin()?).filter(|text| !text.trim().is_empty() || args.token_response.is_none()),
        None => None,
    };
    let har = match &args.har {
        Some(path) => Some((path.clone(), Har::read(path)?)),
        None => None,
    };
    let token_response = args.token_response.as_deref().map(TokenResponse::read).transpose()?;
    let options = Options {
        provider: args.provider.clone(),
        client_kind: args.client_type.map(|t| match t {
            ClientType::Web => ClientKind::Web,
            ClientType::Installed => ClientKind::Installed,
        }),
        status: args.publishing_status.map(|s| match s {
            PublishingArg::Testing => PublishingStatus::Testing,
            PublishingArg::Production => PublishingStatus::Production,
        }),
        symptom: args.symptom.map(Symptom::from),
    };
    let input = Input {
        pasted,
        har,
        token_response,
    };
    let outcome = diagnose::diagnose_any(&input, &options, registry)?;
    let diagnosis = match outcome {
        Diagnosed::Request(diagnosis) => diagnosis,
        Diagnosed::Response(response) => {
            if args.emit_scenario.is_some() {
                anyhow::bail!(
                    "--emit-scenario needs the authorization request (a URL or a HAR); a response alone cannot be replayed"
                );
            }
            match args.format {
                Format::Json => print!("{}", render::response_json(&response)),
                Format::Human => print!("{}", render::response_human(&response)),
            }
            return Ok(response.exit_code());
        }
    };
    if let Some(path) = &args.emit_scenario {
        diagnose::write_scenario(path, &diagnosis, registry, args.force)
            .with_context(|| format!("failed to write the scenario {}", path.display()))?;
        // the scenario is only ready to commit if it passes on the model as written
        let loaded = suite::load(std::slice::from_ref(path), registry, None)?;
        let report = suite::run_on_model(&loaded, registry, None).await?;
        if report.exit_code() == crate::exit::OK {
            eprintln!(
                "wrote {} (passes on the model: `oauth-drift run {}`)",
                path.display(),
                path.display()
            );
        } else {
            let failures: Vec<String> = report
                .cases
                .iter()
                .filter(|c| !c.message.is_empty())
                .map(|c| c.message.clone())
                .collect();
            eprintln!(
                "warning: wrote {}, but it does not pass on the model: {}",
                path.display(),
                failures.join("; ")
            );
        }
    }
    match args.format {
        // parameter names and values come from the pasted text: no workflow command in them
        Format::Json => super::stdout::print(&crate::report::github::neutralise(&render::json(&diagnosis)))?,
        Format::Human => super::stdout::print(&crate::report::github::neutralise(&render::human(&diagnosis)))?,
    }
    Ok(diagnosis.exit_code())
}

fn read_stdin() -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(16 * 1024 * 1024)
        .read_to_end(&mut bytes)
        .context("failed to read the URL from stdin")?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
