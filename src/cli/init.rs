//! `oauth-drift init [DIR]`: the bundled scenarios and snapshots, written out to edit.

use super::args::InitArgs;
use crate::bundled;
use crate::report::count;

pub fn init(args: &InitArgs) -> anyhow::Result<u8> {
    let written = bundled::init(&args.dir, args.force)?;
    let mut line = format!(
        "wrote {} and {} to {}",
        count(written.scenarios, "scenario"),
        count(written.snapshots, "snapshot"),
        args.dir.display()
    );
    if written.unchanged > 0 {
        line.push_str(&format!(" ({} already there)", count(written.unchanged, "file")));
    }
    if written.replaced > 0 {
        line.push_str(&format!(" ({} overwritten)", count(written.replaced, "file")));
    }
    let cd = if args.dir == std::path::Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", args.dir.display())
    };
    super::stdout::print(&format!(
        "{line}\nnext: `{cd}oauth-drift run` runs them; edit scenarios/, then `oauth-drift run --accept`\n"
    ))?;
    Ok(crate::exit::OK)
}
