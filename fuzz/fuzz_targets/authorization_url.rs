//! diagnose's authorization-URL parser and the whole diagnosis of pasted text (a request, a
//! pasted token or error response, Google's error page): a diagnosis or an input error
//! (exit 2), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth_drift::diagnose::{Input, Options, Diagnosed, diagnose_any, render, scenario};
use oauth_drift::Registry;

/// One registry for the whole run: it caches the profiles it parses, and parsing them again for
/// every input held the fuzzer to a few inputs a second.
static REGISTRY: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(Registry::builtin);

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let registry = &*REGISTRY;
        let input = Input { pasted: Some(text.to_string()), ..Default::default() };
        match diagnose_any(&input, &Options::default(), registry) {
            Ok(Diagnosed::Request(diagnosis)) => {
                let _ = render::human(&diagnosis);
                let _ = render::json(&diagnosis);
                let _ = scenario(&diagnosis);
            }
            Ok(Diagnosed::Response(response)) => {
                let _ = render::response_human(&response);
                let _ = render::response_json(&response);
            }
            Err(_) => {}
        }
    }
});
