//! `oauth-drift providers`: the profiles this binary knows.

use colored::Colorize;

use super::args::{Format, ProvidersArgs};
use crate::provider::Registry;

pub fn providers(args: ProvidersArgs, registry: &Registry) -> anyhow::Result<u8> {
    let mut rows = Vec::new();
    for id in registry.ids() {
        let profile = registry.load(id)?;
        rows.push(serde_json::json!({
            "id": id,
            "name": profile.name,
            "era": profile.era,
            "extends": profile.extends,
            "summary": profile.summary,
            "authorize_endpoint": profile.endpoints.authorize,
        }));
    }
    match args.format {
        Format::Json => super::stdout::print(&format!("{}\n", serde_json::to_string_pretty(&rows)?))?,
        Format::Human => {
            let mut out = String::new();
            for row in &rows {
                let id = row["id"].as_str().unwrap_or_default();
                let base = row["extends"]
                    .as_str()
                    .map(|b| format!(" (extends {b})"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{:<14} {}{}\n",
                    id.bold(),
                    row["summary"].as_str().unwrap_or_default(),
                    base.dimmed()
                ));
            }
            super::stdout::print(&out)?;
        }
    }
    Ok(crate::exit::OK)
}
