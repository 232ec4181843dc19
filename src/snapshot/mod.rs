//! insta-format `.snap` files: compare a transcript with its accepted snapshot, write a
//! pending `.snap.new` beside it, accept. `cargo insta review` and `cargo insta accept` work
//! on the same files, because they are written exactly as insta writes them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::scenario::slugify;

/// The `source:` insta records for snapshots asserted by the test suite; `run` writes the
/// same so that a snapshot accepted by either is byte-identical.
pub const SOURCE: &str = "tests/it/snapshots.rs";

/// The snapshot stem of a scenario file: its path below `scenarios/`, without extension.
pub fn stem_for(path: &Path) -> String {
    let without_ext = path.with_extension("");
    let relative = without_ext.strip_prefix("scenarios").unwrap_or(&without_ext);
    slugify(&relative.to_string_lossy())
}

/// Describes a snapshot in its header.
#[derive(Debug, Clone)]
pub struct SnapshotMeta {
    /// The case name.
    pub description: String,
    /// The scenario file, relative to the project root.
    pub input_file: String,
}

/// How a transcript compares with its accepted snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Comparison {
    Matches,
    /// No accepted snapshot exists yet.
    Missing,
    /// The accepted snapshot holds something else.
    Differs {
        accepted: String,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("failed to {action} {}", path.display())]
pub struct SnapshotError {
    action: &'static str,
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

/// A directory of snapshots (`snapshots/`, or `snapshots/live/` for live transcripts), or the
/// snapshots bundled in the binary (read-only).
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    dir: PathBuf,
    bundled: bool,
}

/// What a run covered, for telling which unproduced snapshots are orphans.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Snapshot-name prefixes of the scenario paths run: a file's stem, or a directory's
    /// (`""`: the whole scenario directory, so every snapshot).
    pub prefixes: Vec<String>,
    /// `--filter`: only snapshots whose name contains it (as given or as a slug).
    pub filter: Option<String>,
}

impl Selection {
    fn covers(&self, name: &str) -> bool {
        let prefixed = self.prefixes.iter().any(|p| {
            p.is_empty() || name == p || name.starts_with(&format!("{p}__")) || name.starts_with(&format!("{p}-"))
        });
        let filtered = self
            .filter
            .as_deref()
            .is_none_or(|f| name.contains(f) || name.contains(&slugify(f)));
        prefixed && filtered
    }
}

impl SnapshotStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            bundled: false,
        }
    }

    /// The snapshots bundled in the binary: compared with, never written.
    pub fn bundled() -> Self {
        Self {
            dir: PathBuf::from(crate::bundled::SNAPSHOT_DIR),
            bundled: true,
        }
    }

    pub fn is_bundled(&self) -> bool {
        self.bundled
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn read_only(&self, path: PathBuf) -> SnapshotError {
        SnapshotError {
            action: "write",
            path,
            source: std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the bundled snapshots are read-only; `oauth-drift init` writes them out to edit",
            ),
        }
    }

    pub fn path(&self, slug: &str) -> PathBuf {
        self.dir.join(format!("{slug}.snap"))
    }

    pub fn pending_path(&self, slug: &str) -> PathBuf {
        self.dir.join(format!("{slug}.snap.new"))
    }

    pub fn compare(&self, slug: &str, body: &str) -> Result<Comparison, SnapshotError> {
        let path = self.path(slug);
        let read = if self.bundled {
            crate::bundled::snapshot(&format!("{slug}.snap"))
                .map(str::to_string)
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        } else {
            self.refuse_outside_link(&path, "read")?;
            std::fs::read_to_string(&path)
        };
        let text = match read {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Comparison::Missing),
            Err(source) => {
                return Err(SnapshotError {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        let accepted = body_of(&text);
        if accepted.trim_end() == body.trim_end() {
            Ok(Comparison::Matches)
        } else {
            Ok(Comparison::Differs {
                accepted: accepted.to_string(),
            })
        }
    }

    /// Writes `slug.snap.new` for `cargo insta review`.
    pub fn write_pending(&self, slug: &str, meta: &SnapshotMeta, body: &str) -> Result<PathBuf, SnapshotError> {
        let path = self.pending_path(slug);
        if self.bundled {
            return Err(self.read_only(path));
        }
        self.refuse_outside_link(&path, "write")?;
        write_atomically(&path, &render(meta, body))?;
        Ok(path)
    }

    /// Makes `body` the accepted snapshot and drops any pending one.
    pub fn accept(&self, slug: &str, meta: &SnapshotMeta, body: &str) -> Result<PathBuf, SnapshotError> {
        let path = self.path(slug);
        if self.bundled {
            return Err(self.read_only(path));
        }
        self.refuse_outside_link(&path, "write")?;
        write_atomically(&path, &render(meta, body))?;
        self.discard_pending(slug)?;
        Ok(path)
    }

    /// A snapshot path that is a symbolic link is followed only to a file inside the store's
    /// directory: a link elsewhere (or a dangling one) is neither read, so no file outside the
    /// directory reaches a diff, nor replaced, so a committed link cannot be turned into a write.
    fn refuse_outside_link(&self, path: &Path, action: &'static str) -> Result<(), SnapshotError> {
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return Ok(());
        }
        let inside = match (std::fs::canonicalize(path), std::fs::canonicalize(&self.dir)) {
            (Ok(target), Ok(dir)) => target.starts_with(dir),
            _ => false,
        };
        if inside {
            return Ok(());
        }
        Err(SnapshotError {
            action,
            path: path.to_owned(),
            source: std::io::Error::other(format!(
                "it is a symbolic link to a file outside {}; snapshots are not read or written through such links",
                self.dir.display()
            )),
        })
    }

    /// Removes a leftover `.snap.new` once the snapshot matches again.
    pub fn discard_pending(&self, slug: &str) -> Result<(), SnapshotError> {
        if self.bundled {
            return Ok(());
        }
        let path = self.pending_path(slug);
        remove(&path)
    }

    /// Deletes an accepted snapshot (an orphan, with `--accept --prune`).
    pub fn remove(&self, path: &Path) -> Result<(), SnapshotError> {
        if self.bundled {
            return Err(self.read_only(path.to_owned()));
        }
        remove(path)
    }

    /// Accepted snapshots within `selection` that no case produced: left behind by a renamed
    /// or removed scenario file or case. A case's snapshot under another provider
    /// (`run --provider oidc` writes `SLUG__provider-oidc`) lives as long as the case does.
    pub fn orphans<'a>(&self, selection: &Selection, produced: impl IntoIterator<Item = &'a str>) -> Vec<PathBuf> {
        let produced: std::collections::HashSet<&str> = produced.into_iter().collect();
        let names: Vec<String> = if self.bundled {
            crate::bundled::snapshots().map(|(name, _)| name.to_string()).collect()
        } else {
            let Ok(entries) = std::fs::read_dir(&self.dir) else {
                return Vec::new();
            };
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect()
        };
        let mut orphans: Vec<PathBuf> = names
            .iter()
            .filter_map(|file| {
                let name = file.strip_suffix(".snap")?;
                let under_another_provider =
                    (name.rsplit_once("__provider-")).is_some_and(|(case, _)| produced.contains(case));
                (selection.covers(name) && !produced.contains(name) && !under_another_provider)
                    .then(|| self.dir.join(file))
            })
            .collect();
        orphans.sort();
        orphans
    }
}

/// Removes a file; one that is already gone is fine.
fn remove(path: &Path) -> Result<(), SnapshotError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(SnapshotError {
            action: "remove",
            path: path.to_owned(),
            source,
        }),
    }
}

/// The snapshot text insta would write for this body.
pub fn render(meta: &SnapshotMeta, body: &str) -> String {
    format!(
        "---\nsource: {SOURCE}\ndescription: {}\ninput_file: {}\n---\n{}\n",
        insta_quote(&meta.description),
        insta_quote(&meta.input_file),
        body.trim_end()
    )
}

/// A header value quoted the way insta's YAML emitter quotes it (its `need_quotes` rules,
/// double-quoted with JSON escapes), so both writers produce the same bytes.
fn insta_quote(value: &str) -> String {
    const RESERVED: &[&str] = &[
        "yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE", "false", "on", "On", "ON",
        "off", "Off", "OFF", "null", "Null", "NULL", "~",
    ];
    let needs = value.is_empty()
        || value.starts_with(' ')
        || value.ends_with(' ')
        || value.starts_with(['&', '*', '?', '|', '-', '<', '>', '=', '!', '%', '@', '.'])
        || value.contains([':', '{', '}', '[', ']', ',', '#', '`', '"', '\'', '\\'])
        || value.chars().any(|c| c.is_control())
        || RESERVED.contains(&value)
        || value.starts_with("0x")
        || value.parse::<f64>().is_ok();
    if needs {
        serde_json::to_string(value).unwrap_or_default()
    } else {
        value.to_string()
    }
}

/// The body of a snapshot file: everything after the second `---` line.
pub fn body_of(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---\n") else {
        return text;
    };
    match rest.find("\n---\n") {
        Some(end) => &rest[end + "\n---\n".len()..],
        None => text,
    }
}

/// Writes through a temporary file in the same directory, then renames: never half-written.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), SnapshotError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fail = |action, source| SnapshotError {
        action,
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail("create the directory of", e))?;
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail("create a temporary file for", e))?;
    temp.write_all(contents.as_bytes()).map_err(|e| fail("write", e))?;
    // a temporary file is private (0600); the result is an ordinary project file
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map(|m| m.permissions().mode()).unwrap_or(0o644);
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| fail("set permissions of", e))?;
    }
    temp.persist(path).map_err(|e| fail("replace", e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_come_from_the_path_below_scenarios() {
        assert_eq!(
            stem_for(Path::new("scenarios/errors/bad prompt.yaml")),
            "errors-bad-prompt"
        );
        assert_eq!(stem_for(Path::new("elsewhere/x.yml")), "elsewhere-x");
    }

    #[test]
    fn a_rendered_snapshot_reads_back_as_its_body() {
        let meta = SnapshotMeta {
            description: "case: [x=1]".into(),
            input_file: "scenarios/a.yaml".into(),
        };
        let text = render(&meta, "steps: []\n");
        assert!(
            text.starts_with("---\nsource: tests/it/snapshots.rs\ndescription: \"case: [x=1]\"\n"),
            "{text}"
        );
        assert_eq!(body_of(&text), "steps: []\n");
    }

    #[test]
    fn compare_reports_missing_matching_and_differing_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let store = SnapshotStore::new(dir.path());
        let meta = SnapshotMeta {
            description: "d".into(),
            input_file: "f".into(),
        };
        assert_eq!(store.compare("a", "x: 1").unwrap(), Comparison::Missing);
        store.accept("a", &meta, "x: 1").unwrap();
        assert_eq!(store.compare("a", "x: 1\n").unwrap(), Comparison::Matches);
        assert_eq!(
            store.compare("a", "x: 2").unwrap(),
            Comparison::Differs {
                accepted: "x: 1\n".into()
            }
        );
    }
}
