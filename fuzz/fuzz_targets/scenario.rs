//! The scenario parser: any text gives a scenario or a located error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth_drift::Registry;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let registry = Registry::builtin();
        if let Ok(scenario) = oauth_drift::Scenario::parse(std::path::Path::new("fuzz.yaml"), text, &registry) {
            let _ = scenario.into_cases("fuzz");
        }
    }
});
