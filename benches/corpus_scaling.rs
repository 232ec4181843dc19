//! Corpus scaling (issue 15, item 2): `oauth-drift run` on generated corpora of 1k, 10k and
//! 100k cases, with wall time and peak memory for each. Targets: linear or better, at least
//! 5,000 cases/s, and memory that follows the cases running at once, not the corpus.
//!
//! Each corpus is many files of 40 cases each (a matrix of 2 eras × 2 scopes × 10 values);
//! every case authorizes with `prompt=consent`, exchanges, refreshes, revokes and refreshes
//! again, with expectations, so half the cases (the `openid` ones) sign two RS256 id_tokens.
//! The corpus is written under `target/corpus-bench/N/`, its snapshots accepted by one
//! untimed `run --accept`; then each timed run is `run` with `CI=1`, comparing all N
//! snapshots as a CI job does. Wall time is measured around the process; peak memory is its
//! `ru_maxrss` and CPU time its `ru_utime + ru_stime` (wait4): on a loaded machine the CPU time
//! per case is the figure to compare, since the wall time then follows the load.
//!
//! `-- --ceiling N` measures instead what the same request mix costs with no model: N cases of
//! the same five requests (authorize, exchange, refresh, revoke, refresh; half of them with a
//! pre-signed id_token of the model's size in the token answers) over reqwest clients, one per
//! bare wiremock server, one server per core, at most 64 cases in flight as `run` does, all in
//! one process; and this machine's RS256 signing rate with the model's key (the corpus signs
//! one id_token per case on average). From the two it prints the most cases per second two
//! cores could give with no model at all: the ceiling the 5,000 cases/s target is held against.
//!
//! Run: `cargo bench --bench corpus_scaling` (options: `-- --sizes 1000,10000,100000 --runs 3`;
//! `-- --ceiling 20000`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
#[path = "corpus_scaling/ceiling.rs"]
mod ceiling;
#[path = "support/cli.rs"]
mod cli;
#[path = "support/id_token.rs"]
mod id_token;
#[path = "support/redirect.rs"]
mod redirect;

const CASES_PER_FILE: usize = 40;

struct Options {
    sizes: Vec<usize>,
    runs: usize,
}

fn options() -> Options {
    let text = cli::flag_value;
    let sizes = text("--sizes")
        .map(|list| list.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000]);
    let runs = text("--runs").and_then(|n| n.parse().ok()).unwrap_or(3);
    Options { sizes, runs }
}

/// One generated scenario file: 40 cases.
fn scenario(file: usize) -> String {
    let values: Vec<String> = (0..CASES_PER_FILE / 4).map(|n| format!("v{n}")).collect();
    let mut text = String::new();
    let _ = write!(
        text,
        "name: generated flow {file}\n\
         description: corpus_scaling bench, file {file}\n\
         matrix:\n  provider: [google, google@2015]\n  scope: [\"openid email\", \"https://www.googleapis.com/auth/drive.file\"]\n  n: [{}]\n\
         steps:\n\
         \x20 - authorize: {{scope: \"${{scope}}\", access_type: offline, prompt: consent, state: \"s-${{n}}\"}}\n\
         \x20 - exchange:\n\
         \x20 - expect: {{status: 200, consent_screen: shown, refresh_token: present}}\n\
         \x20 - refresh:\n\
         \x20 - expect: {{status: 200, refresh_token: absent}}\n\
         \x20 - revoke: {{token: refresh_token}}\n\
         \x20 - expect: {{status: 200}}\n\
         \x20 - refresh:\n\
         \x20 - expect: {{status: 400, error: invalid_grant}}\n",
        values.join(", ")
    );
    text
}

/// Writes a corpus of `cases` cases under `dir` (files spread over folders of 100).
fn generate(dir: &Path, cases: usize) -> usize {
    let files = cases.div_ceil(CASES_PER_FILE);
    let _ = std::fs::remove_dir_all(dir);
    for file in 0..files {
        let folder = dir.join("scenarios").join(format!("group{:03}", file / 100));
        std::fs::create_dir_all(&folder).expect("a corpus folder");
        std::fs::write(folder.join(format!("flow{file:05}.yaml")), scenario(file)).expect("a scenario file");
    }
    files
}

/// Wall time, peak RSS (KiB), CPU time (user + system) and exit code of `binary args` run
/// in `dir`.
fn measure(binary: &Path, dir: &Path, args: &[&str]) -> (Duration, u64, Duration, i32) {
    let started = Instant::now();
    #[expect(
        clippy::zombie_processes,
        reason = "reaped below by wait4, which also reports its peak memory"
    )]
    let child = Command::new(binary)
        .args(args)
        .current_dir(dir)
        .env("CI", "1")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("oauth-drift starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill in
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child with valid pointers
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    let cpu = time(usage.ru_utime) + time(usage.ru_stime);
    (wall, usage.ru_maxrss as u64, cpu, code)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    if let Some(cases) = cli::flag_value("--ceiling").and_then(|n| n.parse().ok()) {
        ceiling::report(cases);
        return;
    }
    let options = options();
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_oauth-drift"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/corpus-bench");
    println!(
        "binary {}; {} timed runs per size (CI=1, snapshots compared); load average at start {}",
        binary.display(),
        options.runs,
        cli::load_average()
    );
    println!();
    println!(
        "| cases | files | wall s: median (min..max) | cases/s | CPU s (user + system), median | CPU ms per case | peak RSS MiB: median (min..max) | load average |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for &size in &options.sizes {
        let dir = root.join(size.to_string());
        let files = generate(&dir, size);
        // untimed: write the accepted snapshots (CI unset, or --accept writes nothing)
        let accepted = Command::new(&binary)
            .args(["run", "--accept", "-q"])
            .current_dir(&dir)
            .env_remove("CI")
            .stdout(Stdio::null())
            .status()
            .expect("oauth-drift runs");
        assert!(
            accepted.success(),
            "accepting the generated corpus of {size} cases failed"
        );
        let (mut walls, mut peaks, mut cpus) = (Vec::new(), Vec::new(), Vec::new());
        let load = cli::load_average();
        for _ in 0..options.runs {
            let (wall, peak, cpu, code) = measure(&binary, &dir, &["run", "-q"]);
            assert_eq!(code, 0, "the generated corpus of {size} cases did not pass");
            walls.push(wall.as_secs_f64());
            cpus.push(cpu.as_secs_f64());
            peaks.push(peak as f64 / 1024.0);
        }
        let spread = |v: &[f64], digits: usize| {
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(0.0, f64::max);
            format!("{min:.digits$}..{max:.digits$}")
        };
        let (wall_spread, peak_spread) = (spread(&walls, 2), spread(&peaks, 1));
        let (wall, peak, cpu) = (median(&mut walls), median(&mut peaks), median(&mut cpus));
        let cases = files * CASES_PER_FILE;
        println!(
            "| {cases} | {files} | {wall:.2} ({wall_spread}) | {:.0} | {cpu:.2} | {:.3} | {peak:.1} ({peak_spread}) | {load} |",
            cases as f64 / wall,
            cpu * 1e3 / cases as f64
        );
        rows.push((cases, wall, peak));
    }
    println!();
    if let (Some(first), Some(last)) = (rows.first(), rows.last())
        && last.0 > first.0
    {
        let per_case = (last.2 - first.2) * 1024.0 / (last.0 - first.0) as f64;
        println!(
            "memory per extra case, {} → {} cases: {per_case:.2} KiB; time per case: {:.0} us at {} cases, {:.0} us at {}",
            first.0,
            last.0,
            first.1 * 1e6 / first.0 as f64,
            first.0,
            last.1 * 1e6 / last.0 as f64,
            last.0
        );
    }
    println!("load average at end {}", cli::load_average());
}
