//! diagnose's token-response reader: which fields came back, or an input error; never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oauth_drift::diagnose::TokenResponse;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = TokenResponse::parse(Path::new("fuzz.json"), text);
    }
});
