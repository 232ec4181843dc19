//! diagnose's HAR reader, and a diagnosis of whatever it finds: never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oauth_drift::diagnose::{Har, Input, Options, diagnose};
use oauth_drift::provider::Registry;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(har) = Har::parse(Path::new("fuzz.har"), text)
    {
        let input = Input { har: Some((Path::new("fuzz.har").to_path_buf(), har)), ..Default::default() };
        let _ = diagnose(&input, &Options::default(), &Registry::builtin());
    }
});
