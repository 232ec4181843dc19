//! The scenario corpus and its accepted snapshots, bundled in the binary, so that `run`,
//! `compare` and `probe` work from any directory, and `oauth-drift init` writes them out.
//!
//! Embedded with `include_dir`, which keeps the tree as static data in debug and release
//! builds alike (rust-embed reads the files from the source tree at run time in debug builds,
//! so a debug binary run elsewhere would find nothing); `build.rs` reruns the build when a
//! file is added, which the macro alone does not notice.

use std::path::{Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

use crate::snapshot::{SnapshotError, write_atomically};

static SCENARIOS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/scenarios");
static SNAPSHOTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/snapshots");

/// The directory names the bundled files are shown under, as in the repository.
pub const SCENARIO_DIR: &str = "scenarios";
pub const SNAPSHOT_DIR: &str = "snapshots";

/// Every bundled scenario file as `(scenarios/…/name.yaml, text)`, sorted by path.
pub fn scenarios() -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    collect(&SCENARIOS, &mut out);
    out.retain(|(path, _)| matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")));
    let mut out: Vec<(PathBuf, &'static str)> = out
        .into_iter()
        .map(|(path, text)| (Path::new(SCENARIO_DIR).join(path), text))
        .collect();
    out.sort();
    out
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<(PathBuf, &'static str)>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => collect(sub, out),
            DirEntry::File(file) => {
                if let Some(text) = file.contents_utf8() {
                    out.push((file.path().to_path_buf(), text));
                }
            }
        }
    }
}

/// Every bundled accepted snapshot as `(file name, text)`: the `.snap` files of the bundled
/// scenarios (live snapshots and pending `.snap.new` files are not bundled).
pub fn snapshots() -> impl Iterator<Item = (&'static str, &'static str)> {
    SNAPSHOTS.files().filter_map(|file| {
        let name = file.path().file_name()?.to_str()?;
        let text = file.contents_utf8()?;
        name.ends_with(".snap").then_some((name, text))
    })
}

/// The bundled snapshot `name` (`<slug>.snap`).
pub fn snapshot(name: &str) -> Option<&'static str> {
    snapshots().find(|(n, _)| *n == name).map(|(_, text)| text)
}

/// What `init` wrote.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub scenarios: usize,
    pub snapshots: usize,
    /// Files that were already there with the same contents.
    pub unchanged: usize,
    /// Files that were there with other contents and were replaced (`--force`).
    pub replaced: usize,
}

/// Why `init` wrote nothing, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(
        "{} already there with other contents (nothing was written; --force overwrites): {}",
        crate::report::count(.0.len(), "file is"),
        .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    Exists(Vec<PathBuf>),
    #[error(transparent)]
    Write(#[from] SnapshotError),
}

/// Writes the bundled scenarios to `dir/scenarios/` and their snapshots to `dir/snapshots/`,
/// each file atomically. A file that exists with other contents stops it before anything is
/// written, unless `force`.
pub fn init(dir: &Path, force: bool) -> Result<Written, InitError> {
    let scenarios = scenarios();
    let files: Vec<(PathBuf, &str, bool)> = scenarios
        .iter()
        .map(|(path, text)| (dir.join(path), *text, true))
        .chain(snapshots().map(|(name, text)| (dir.join(SNAPSHOT_DIR).join(name), text, false)))
        .collect();
    let existing = |path: &Path| std::fs::read(path).ok();
    let conflicts: Vec<PathBuf> = files
        .iter()
        .filter(|(path, text, _)| existing(path).is_some_and(|bytes| bytes != text.as_bytes()))
        .map(|(path, _, _)| path.clone())
        .collect();
    if !conflicts.is_empty() && !force {
        return Err(InitError::Exists(conflicts));
    }
    let mut written = Written::default();
    for (path, text, is_scenario) in files {
        match existing(&path) {
            Some(bytes) if bytes == text.as_bytes() => {
                written.unchanged += 1;
                continue;
            }
            Some(_) => written.replaced += 1,
            None => {}
        }
        write_atomically(&path, text)?;
        if is_scenario {
            written.scenarios += 1;
        } else {
            written.snapshots += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_holds_every_scenario_and_snapshot_of_the_repository() {
        let on_disk = crate::scenario::discover(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")])
            .unwrap()
            .len();
        assert_eq!(scenarios().len(), on_disk);
        assert!(scenarios().iter().all(|(p, _)| p.starts_with("scenarios")));
        let snaps = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".snap"))
            .count();
        assert_eq!(snapshots().count(), snaps);
    }
}
