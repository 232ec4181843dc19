//! The provider-profile parser, including `extends:` merging: an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oauth_drift::Registry;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let mut registry = Registry::builtin();
        let _ = registry.add_text("fuzzed", text.to_string());
    }
});
