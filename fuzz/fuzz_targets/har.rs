//! diagnose's HAR reader (JSON, or a Playwright zip export), and a diagnosis of whatever it finds: never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use oauth_drift::diagnose::{Har, Input, Options, diagnose};
use oauth_drift::Registry;

fuzz_target!(|data: &[u8]| {
    // a HAR, or a zip export of one (Har::from_bytes tells them apart by the zip signature)
    if let Ok(har) = Har::from_bytes(Path::new("fuzz.har"), data.to_vec()) {
        let input = Input { har: Some((Path::new("fuzz.har").to_path_buf(), har)), ..Default::default() };
        let _ = diagnose(&input, &Options::default(), &Registry::builtin());
    }
});
