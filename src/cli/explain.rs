//! `oauth-drift explain CODE`: the long explanation of a diagnose finding.

use super::args::{ExplainArgs, Format};
use crate::diagnose::{lookup, render};

pub fn explain(args: ExplainArgs) -> anyhow::Result<u8> {
    if args.list {
        super::stdout::print(&render::list())?;
        return Ok(crate::exit::OK);
    }
    let entry = lookup(args.code.as_deref().unwrap_or_default())?;
    match args.format {
        Format::Json => super::stdout::print(&render::explain_json(entry))?,
        Format::Human => super::stdout::print(&render::explain(entry))?,
    }
    Ok(crate::exit::OK)
}
