//! The YAML scenario model: parse, validate with located errors, expand the matrix.

mod load;
mod references;
mod schema;

#[cfg(test)]
pub use load::expand;
pub(crate) use load::item_lines;
pub use load::{Case, Scenario, ScenarioError, case_at, case_count, discover, load_file, parse, slugify};
pub use schema::{
    Action, AuthorizeAction, AxisValue, ClientAuth, ClientSpec, ConsentChoice, EventAction, EventKind, ExchangeAction,
    ExchangeFault, Expect, Of, Params, PkceMethod, Presence, RefreshAction, RefreshFault, RevokeAction, RevokeMethod,
    RevokeToken, ScenarioFile, Shown, Step, TokenPick, ValueCheck, ValueTest, parse_duration, unrolled,
};
