//! `serve` memory under sustained load: peak RSS of the server process after 100k and after
//! 1M complete flows (authorize → exchange → refresh), each for a fresh user so grant, code
//! and token stores are exercised. Target: growth from 100k to 1M flows < 10 %.
//!
//! Run: `cargo bench --bench serve_memory` (options: `-- --flows N --checkpoint N --concurrency C`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

mod support;

use support::{CLIENT_SECRET, REDIRECT, flow};

fn arg(flag: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts `oauth-drift serve` and reads its base URL from stdout's first line.
fn start_serve() -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauth-drift"))
        .args([
            "serve",
            "--port",
            "0",
            "--quiet",
            "--client-id",
            support::CLIENT_ID,
            "--client-type",
            "web",
            "--redirect-uri",
            REDIRECT,
        ])
        .env("OAUTH_DRIFT_SERVE_CLIENT_SECRET", CLIENT_SECRET)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a first line");
    (child, line.trim().to_string())
}

/// (VmHWM, VmRSS) of a process in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::main]
async fn main() {
    let flows = arg("--flows", 1_000_000);
    let checkpoint = arg("--checkpoint", 100_000);
    let concurrency = arg("--concurrency", 32);
    let (mut child, base) = start_serve();
    let pid = child.id();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    println!("flows, seconds, VmHWM KiB, VmRSS KiB");
    println!("0, 0.0, {}, {}", memory_kib(pid).0, memory_kib(pid).1);
    let mut at_checkpoint = None;
    let mut done = 0;
    while done < flows {
        let batch_end = (done + checkpoint).min(flows);
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (http, base, next) = (http.clone(), base.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let user = next.fetch_add(1, Ordering::Relaxed);
                    if user >= batch_end {
                        break;
                    }
                    let hint = format!("user{user}@example.com");
                    flow(&http, &base, &[("scope", "openid email"), ("login_hint", &hint)], &[]).await;
                }
            }));
        }
        for task in tasks {
            task.await.expect("a flow task");
        }
        next.store(batch_end, Ordering::Relaxed);
        done = batch_end;
        let (hwm, rss) = memory_kib(pid);
        println!("{done}, {:.1}, {hwm}, {rss}", started.elapsed().as_secs_f64());
        if done == checkpoint {
            at_checkpoint = Some(hwm);
        }
    }
    let (final_hwm, _) = memory_kib(pid);
    if let Some(first) = at_checkpoint {
        println!(
            "peak RSS growth from {checkpoint} to {done} flows: {:+.1} %",
            (final_hwm as f64 / first as f64 - 1.0) * 100.0
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}
