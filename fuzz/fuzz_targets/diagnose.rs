//! diagnose's input parsers and the whole diagnosis: any pasted text, HAR or token response
//! gives a diagnosis or an input error (exit 2), never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oauth_drift::diagnose::{Har, Input, Options, TokenResponse, diagnose, render, scenario};
use oauth_drift::provider::Registry;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let registry = Registry::builtin();
        let input = Input { pasted: Some(text.to_string()), ..Default::default() };
        if let Ok(diagnosis) = diagnose(&input, &Options::default(), &registry) {
            let _ = render::human(&diagnosis);
            let _ = render::json(&diagnosis);
            let _ = scenario(&diagnosis);
        }
        if let Ok(har) = Har::parse(Path::new("fuzz.har"), text) {
            let input = Input { har: Some((Path::new("fuzz.har").to_path_buf(), har)), ..Default::default() };
            let _ = diagnose(&input, &Options::default(), &registry);
        }
        let _ = TokenResponse::parse(Path::new("fuzz.json"), text);
    }
});
