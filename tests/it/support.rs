//! Helpers shared by the integration tests: run the built binary in a scratch directory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The built `oauth-drift` binary, run in `dir` with a clean CI-free environment.
pub fn oauth_drift(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oauth-drift"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1");
    command
}

pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = command.output().expect("the binary runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A scratch project with a copy of the seed scenario and its accepted snapshots.
pub fn scratch_with_seed() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let seed = "approval_prompt_vs_prompt_consent";
    std::fs::create_dir_all(dir.path().join("scenarios")).unwrap();
    std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
    std::fs::copy(
        root().join(format!("scenarios/{seed}.yaml")),
        dir.path().join(format!("scenarios/{seed}.yaml")),
    )
    .unwrap();
    for entry in std::fs::read_dir(root().join("snapshots")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(seed) && name.ends_with(".snap") {
            std::fs::copy(&path, dir.path().join("snapshots").join(&name)).unwrap();
        }
    }
    dir
}

/// Every file below `dir`, relative, sorted.
pub fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

pub const SCENARIO: &str = "scenarios/approval_prompt_vs_prompt_consent.yaml";

/// A scratch project (the seed scenario and its snapshots) that tests may edit freely.
pub struct Project {
    dir: tempfile::TempDir,
}

/// What a run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Project {
    pub fn copy() -> Self {
        Self {
            dir: scratch_with_seed(),
        }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Replaces `from` (which must occur) with `to` in a file.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert!(text.contains(from), "{relative} does not contain {from:?}");
        self.write(relative, &text.replacen(from, to, 1));
    }

    /// Makes the google / approval_prompt=force case fail an expectation: it now expects the
    /// 2015 behaviour. Returns the line of the changed `expect`.
    pub fn break_expectation(&self) -> usize {
        let from = "  - expect: {consent_screen: skipped, refresh_token: absent}\n    when: {provider: google, force: approval_prompt=force}";
        let to = "  - expect: {consent_screen: shown, refresh_token: present}\n    when: {provider: google, force: approval_prompt=force}";
        self.edit(SCENARIO, from, to);
        line_of(
            &self.read(SCENARIO),
            "  - expect: {consent_screen: shown, refresh_token: present}\n    when: {provider: google,",
        )
    }

    /// Makes the google / prompt=consent case drift: its accepted snapshot now says the repeat
    /// grant had no refresh_token.
    pub fn drift_snapshot(&self) -> &'static str {
        let slug = "approval_prompt_vs_prompt_consent__provider-google__force-prompt-consent";
        self.edit(
            &format!("snapshots/{slug}.snap"),
            "repeat_grant: true",
            "repeat_grant: false",
        );
        slug
    }

    /// Runs the binary here with a clean environment (no CI, not on GitHub Actions).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = oauth_drift(self.dir.path(), args);
        for var in ["GITHUB_STEP_SUMMARY", "INSTA_UPDATE"] {
            command.env_remove(var);
        }
        command.envs(env.iter().copied());
        output_within(command, Duration::from_secs(120))
    }
}

/// The 1-based line at which `needle` starts in `text`.
pub fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not found"));
    text[..at].matches('\n').count() + 1
}

/// Runs `command`, killing it if it takes longer than `limit`.
pub fn output_within(mut command: Command, limit: Duration) -> Run {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    let pipe = |stream: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut stream) = stream {
                let _ = stream.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = pipe(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let stderr = pipe(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the binary did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Runs the binary with `args` to its end (bounded by 20 seconds); its exit code and stderr.
pub fn run_to_end(args: &[&str]) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_oauth-drift"));
    command.args(args);
    let run = output_within(command, Duration::from_secs(20));
    (run.code, run.stderr)
}

/// Whether a test whose tool is missing must fail rather than skip: on CI, and under
/// scripts/test (which installs every tool and sets OAUTH_DRIFT_TOOLS_REQUIRED=1), so that
/// nothing is skipped silently there. A bare `cargo test` elsewhere skips with a note.
pub fn tools_required() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    set("CI") || set("OAUTH_DRIFT_TOOLS_REQUIRED")
}

/// A Python interpreter with `xmlschema`, as installed by scripts/test; `None` (with a note)
/// outside CI when there is none, so that a bare `cargo test` still runs everything else.
pub fn python_with(module: &str) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("OAUTH_DRIFT_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/py/bin/python"),
            PathBuf::from("python3"),
        ])
        .collect();
    for python in candidates {
        let ok = Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(python);
        }
    }
    assert!(
        !tools_required(),
        "no Python with `{module}` was found, and scripts/test (or CI) requires every tool: scripts/test installs it (or set OAUTH_DRIFT_PYTHON)"
    );
    eprintln!("note: no Python with `{module}`; run scripts/test to install it. Skipping the schema check.");
    None
}

/// A loopback port that refuses connections for as long as the returned socket lives: it is
/// bound but never listened on, so no other test can take it meanwhile (a port taken from the
/// kernel and dropped may be handed to a server another test starts).
pub fn refused_port() -> (socket2::Socket, u16) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).unwrap();
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    (socket, port)
}

/// The first value of parameter `name` in a redirect's query or fragment.
pub fn redirect_param(location: &str, name: &str) -> Option<String> {
    let (before_fragment, fragment) = location.split_once('#').unwrap_or((location, ""));
    let query = before_fragment.split_once('?').map_or("", |(_, query)| query);
    url::form_urlencoded::parse(query.as_bytes())
        .chain(url::form_urlencoded::parse(fragment.as_bytes()))
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The PKCE S256 code challenge for `verifier` (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}
