//! diagnose on pasted text: milliseconds per diagnosis for a normal URL, and for 400 KB and
//! 1.6 MB of URLs (issue 9 item 5: the URL extraction used to rescan the rest of the text for
//! every URL, 14 s for 400 KB; 1.6 MB did not finish).
//!
//! Run: `cargo bench --bench diagnose_input` (options: `-- --runs N`).

use std::time::Instant;

use oauth_drift::Registry;
use oauth_drift::diagnose::{Input, Options, diagnose};

const URL: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=1.apps.googleusercontent.com\
    &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=email&access_type=offline\
    &approval_prompt=force";

fn runs() -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(15)
}

fn main() {
    let registry = Registry::builtin();
    let runs = runs();
    let many = |bytes: usize| {
        let line = format!("{URL}\n");
        line.repeat(bytes / line.len())
    };
    let inputs = [
        ("one URL", URL.to_string()),
        ("400 KB of URLs", many(400_000)),
        ("1.6 MB of URLs", many(1_600_000)),
        ("1.6 MB of URLs on one line", many(1_600_000).replace('\n', " ")),
    ];
    println!(
        "{:<28} {:>10} {:>12} {:>12} {:>12}",
        "input", "bytes", "median ms", "min ms", "max ms"
    );
    for (name, text) in inputs {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let input = Input {
                pasted: Some(text.clone()),
                ..Default::default()
            };
            let start = Instant::now();
            let diagnosis = diagnose(&input, &Options::default(), &registry).expect("the input is diagnosed");
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            // a broken diagnosis cannot look fast
            assert_eq!(diagnosis.findings[0].code, "OD103", "{name}");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{:<28} {:>10} {:>12.2} {:>12.2} {:>12.2}",
            name,
            text.len(),
            times[times.len() / 2],
            times[0],
            times[times.len() - 1]
        );
    }
}
