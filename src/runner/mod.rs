//! The scenario runner: executes cases against a provider and checks their expectations.

mod execute;
mod expect;
pub mod judge;
mod model;
pub mod suite;

pub use execute::{
    CaseRun, DirectFront, Endpoint, FrontAnswer, FrontChannel, StepError, authorize_query, run_case, run_case_with,
    step_applies,
};
pub use expect::Failure;
pub use model::{profiles_for, run_all_on_model, run_each_on_model, run_on_model, scenario_clients};
