use std::sync::Arc;
use oauth_drift::{provider::Registry, runner, scenario};
#[tokio::main]
async fn main() {
    let registry = Registry::builtin();
    let path = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    let s = Arc::new(scenario::load_file(&path, &registry).unwrap_or_else(|e| panic!("{e}")));
    let cases = scenario::expand(&s, "x");
    let profiles = runner::profiles_for(&cases, &registry).unwrap();
    for run in runner::run_all_on_model(&cases, &profiles).await {
        println!("{}", run.transcript.render());
        for f in &run.failures { println!("FAIL {f}"); }
        if let Some(f) = &run.fault { println!("FAULT {f}"); }
    }
}
