//! `oauth-drift diagnose`: explain whether and why a refresh_token comes back.

use std::io::{IsTerminal, Read};

use anyhow::Context;

use super::args::{ClientType, DiagnoseArgs, Format, PublishingArg};
use crate::diagnose::{self, Har, Input, Options, TokenResponse, render};
use crate::provider::{ClientKind, PublishingStatus, Registry};
use crate::suite;

pub async fn diagnose(args: DiagnoseArgs, registry: &Registry) -> anyhow::Result<u8> {
    let pasted = match args.url.as_deref() {
        Some("-") => Some(read_stdin()?),
        Some(text) => Some(text.to_string()),
        None if args.har.is_none() && !std::io::stdin().is_terminal() => Some(read_stdin()?),
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
    };
    let input = Input {
        pasted,
        har,
        token_response,
    };
    let diagnosis = diagnose::diagnose(&input, &options, registry)?;
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
