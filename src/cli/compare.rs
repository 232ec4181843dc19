//! `oauth-drift compare A B`: behaviour differences between two provider profiles.

use super::args::{CompareArgs, CompareFormat, GlobalArgs};
use crate::exit;
use crate::provider::Registry;
use crate::report::compare as render;
use crate::runner::suite;

pub async fn compare(args: CompareArgs, global: &GlobalArgs, registry: Registry) -> anyhow::Result<u8> {
    registry.load(&args.a)?;
    registry.load(&args.b)?;
    let suite = suite::load_corpus(&suite::Corpus::choose(&args.paths), &registry, args.filter.as_deref())?;
    for warning in &suite.warnings {
        super::stdout::eprint_line(&format!("warning: {warning}"));
    }
    if !suite.errors.is_empty() {
        let errors: Vec<String> = suite.errors.iter().map(ToString::to_string).collect();
        anyhow::bail!(
            "{} cannot be used:\n{}",
            crate::report::count(errors.len(), "scenario file"),
            errors.join("\n")
        );
    }
    let comparison = crate::profile_diff::compare(&suite, &registry, &args.a, &args.b).await?;
    match args.format {
        CompareFormat::Human => super::stdout::print(&render::human(&comparison, global.verbose))?,
        CompareFormat::Markdown => super::stdout::print(&render::markdown(&comparison))?,
        CompareFormat::Json => super::stdout::print(&render::json(&comparison))?,
    }
    Ok(if comparison.differs() { exit::DRIFT } else { exit::OK })
}
