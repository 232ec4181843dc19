//! The result of a run, independent of how it is shown.

use std::path::PathBuf;

use serde::Serialize;

use crate::runner::Failure;
use crate::scenario::ScenarioError;
use crate::transcript::RefreshSummary;

/// What happened to one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    /// The transcript differs from the accepted snapshot: the provider (or model) changed.
    Drift,
    /// An expectation did not hold.
    Fail,
    /// A live probe could not reach a verdict (network, 5xx, 429 after retries).
    Inconclusive,
    /// Not run, with a stated reason (e.g. missing credentials).
    Skipped,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Drift => "drift",
            Outcome::Fail => "fail",
            Outcome::Inconclusive => "inconclusive",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One case as reported.
#[derive(Debug, Clone, Serialize)]
pub struct CaseReport {
    pub name: String,
    /// The scenario file.
    pub file: String,
    /// The line to point at: the failing expectation, else the top of the file.
    pub line: usize,
    pub provider: String,
    pub outcome: Outcome,
    pub message: String,
    pub refresh_token: RefreshSummary,
    /// The matrix values of the case, in axis order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matrix: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<Failure>,
    /// A unified diff, accepted snapshot → this run, when the snapshot differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// The scenario's name, for grouping.
    #[serde(skip)]
    pub scenario: String,
    /// The case's stable snapshot name (also accepted by `--filter` and the known-drift ledger).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub slug: String,
    /// The known-drift ledger entry that applied to this case, and what it decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_drift: Option<KnownDrift>,
    /// What a live probe adds (`oauth-drift probe` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveInfo>,
    /// The case's transcript as snapshotted, for `-v` (not part of the JSON report).
    #[serde(skip)]
    pub transcript: Option<String>,
    /// What `--accept` did with a new or changed snapshot of this case.
    #[serde(skip)]
    pub accept: Option<Accept>,
}

/// What `--accept` did with a case's new or changed transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accept {
    /// Written as the accepted snapshot.
    Taken,
    /// Not taken: the case's expectations fail (left as a pending `.snap.new`).
    Refused,
}

/// What the known-drift ledger decided for a case (see `crate::ledger`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownDrift {
    pub status: LedgerStatus,
    /// The ledger file and the line of the entry.
    pub ledger: String,
    pub line: usize,
    pub observed: String,
    pub reason: String,
    pub link: String,
    /// `YYYY-MM-DD`: the last day the entry holds.
    pub expires: String,
}

/// How a ledger entry relates to what the case did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStatus {
    /// The listed drift happened, as described: the case passes with a note.
    Known,
    /// The listed drift did not happen: the provider may have reverted the change.
    Vanished,
    /// The entry is past its expiry date.
    Expired,
    /// The case drifted, but not as the entry describes it.
    Mismatch,
    /// The case did not run to a verdict (skipped or inconclusive), so the entry was not checked.
    Unchecked,
}

impl LedgerStatus {
    /// Whether this status points the reader at the ledger rather than the scenario.
    pub fn is_ledger_problem(self) -> bool {
        matches!(self, LedgerStatus::Vanished | LedgerStatus::Expired)
    }
}

/// The live-probe part of a case: what was probed, why no verdict was reached, and whether
/// the model predicted what the live provider answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LiveInfo {
    /// `discovery`, `authorize-params`, `refresh` or `consent`.
    pub kind: String,
    /// The provider probed: `google`, an issuer's host, or the `--target` name.
    pub target: String,
    /// Why the probe reached no verdict (outcome `inconclusive`) or did not run (`skipped`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The model's prediction for the same request, compared with the live answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelParity>,
    /// The session the probe assumed at the provider (`signed-out`, `signed-in`), which decides
    /// what `prompt=none` must answer (authorize-params and consent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// Whether the model still predicts the live provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelParity {
    /// The live answer differs from the model's prediction: the model is stale.
    pub stale: bool,
    /// A unified diff, model prediction → live answer, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

/// Everything a run produced.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The cases, in order; with [`Report::deferred`] holding compact records, only the cases
    /// that are not kept compact (call [`Report::materialize`] for all of them).
    pub cases: Vec<CaseReport>,
    /// Plain passing cases of a large run, kept as a few bytes each until a report needs them
    /// whole (`run` on the model fills it; empty elsewhere).
    pub deferred: Deferred,
    /// Scenario files that could not be used; the other files still ran.
    pub input_errors: Vec<ScenarioError>,
    /// Accepted snapshots that no case produces any more.
    pub orphans: Vec<PathBuf>,
    /// Notes for the reader (pending snapshots written, CI mode, …).
    pub notes: Vec<String>,
    /// Located warnings about the input that did not stop the run (an unknown parameter).
    pub warnings: Vec<String>,
}

/// A plain passing case as `run` keeps it once judged: where it is in the corpus (to build its
/// report again) and what only its run knew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compact {
    /// The scenario file, by its place among the run's files.
    pub file: u32,
    /// The case, by its place in the file's matrix.
    pub cell: u32,
    pub refresh_token: RefreshSummary,
    pub accept: Option<Accept>,
}

/// Builds a compact case's report again, exactly as it was judged (`None`: no such case).
pub type Rebuild = std::sync::Arc<dyn Fn(&Compact) -> Option<CaseReport> + Send + Sync>;

/// The report's cases in order, as slots: `None` is the next case of [`Report::cases`], a
/// [`Compact`] one is rebuilt by `rebuild` when needed.
#[derive(Clone, Default)]
pub struct Deferred {
    slots: Vec<Option<Compact>>,
    rebuild: Option<Rebuild>,
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deferred").field("slots", &self.slots.len()).finish()
    }
}

impl Deferred {
    /// Starts deferring cases that `rebuild` can build again.
    pub fn new(rebuild: Rebuild) -> Self {
        Deferred {
            slots: Vec::new(),
            rebuild: Some(rebuild),
        }
    }

    /// Adds the next case in order: compact, or kept whole in `cases` (pushed here).
    pub fn push(&mut self, cases: &mut Vec<CaseReport>, case: Result<Compact, CaseReport>) {
        if self.rebuild.is_none() {
            // nothing can rebuild a compact case: keep every case whole
            if let Err(case) = case {
                cases.push(case);
            }
            return;
        }
        match case {
            Ok(compact) => self.slots.push(Some(compact)),
            Err(case) => {
                self.slots.push(None);
                cases.push(case);
            }
        }
    }

    fn compact(&self) -> impl Iterator<Item = &Compact> {
        self.slots.iter().flatten()
    }
}

/// Counts per outcome, as in the JSON report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub drifted: usize,
    pub failed: usize,
    pub inconclusive: usize,
    pub skipped: usize,
}

impl Report {
    /// Rebuilds the compact cases ([`Report::deferred`]) into [`Report::cases`], in order: what
    /// every report format and the ledger read. Does nothing when nothing is compact.
    pub fn materialize(&mut self) {
        let Some(rebuild) = self.deferred.rebuild.clone() else {
            return;
        };
        if self.deferred.slots.iter().all(Option::is_none) {
            self.deferred = Deferred::default();
            return;
        }
        let mut whole = std::mem::take(&mut self.cases).into_iter();
        let slots = std::mem::take(&mut self.deferred).slots;
        self.cases = slots
            .iter()
            .filter_map(|slot| match slot {
                Some(compact) => rebuild(compact),
                None => whole.next(),
            })
            .collect();
    }

    /// How many cases `--accept` took as snapshots, compact ones included.
    pub fn accepted(&self) -> usize {
        let whole = self.cases.iter().filter(|c| c.accept == Some(Accept::Taken)).count();
        whole
            + self
                .deferred
                .compact()
                .filter(|c| c.accept == Some(Accept::Taken))
                .count()
    }

    pub fn summary(&self) -> Summary {
        let compact = self.deferred.compact().count();
        let mut s = Summary {
            total: self.cases.len() + compact,
            passed: compact,
            ..Default::default()
        };
        for case in &self.cases {
            match case.outcome {
                Outcome::Pass => s.passed += 1,
                Outcome::Drift => s.drifted += 1,
                Outcome::Fail => s.failed += 1,
                Outcome::Inconclusive => s.inconclusive += 1,
                Outcome::Skipped => s.skipped += 1,
            }
        }
        s
    }

    /// The process exit code, as documented: 2 input error, 1 drift or failure,
    /// 3 inconclusive, else 0.
    pub fn exit_code(&self) -> u8 {
        let s = self.summary();
        if !self.input_errors.is_empty() {
            crate::exit::INPUT
        } else if s.drifted + s.failed > 0 {
            crate::exit::DRIFT
        } else if s.inconclusive > 0 {
            crate::exit::INCONCLUSIVE
        } else {
            crate::exit::OK
        }
    }
}
