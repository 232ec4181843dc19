//! Helpers shared by the integration tests: run the built binary in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
