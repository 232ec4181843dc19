//! Where a case is judged: its outcome from a fault, its expectations and its snapshot, then
//! the known-drift ledger. `run` (through [`super::suite`]) and `probe` share it.

use super::suite::display_path;
use crate::ledger::Ledger;
use crate::report::{Accept, CaseReport, KnownDrift, LedgerStatus, Outcome, Report};
use crate::runner::CaseRun;
use crate::scenario::Case;
use crate::snapshot::{Comparison, SnapshotMeta, SnapshotStore};

/// How `run` treats snapshots.
#[derive(Debug, Clone)]
pub struct SnapshotPolicy {
    pub store: SnapshotStore,
    /// Take every new transcript as the accepted snapshot.
    pub accept: bool,
    /// Write files at all (false when `CI` is set: insta's rule).
    pub write: bool,
}

/// Decides a case's outcome from its expectations and its snapshot.
pub fn judge(case: &Case, run: &CaseRun, snapshots: Option<&SnapshotPolicy>, notes: &mut Vec<String>) -> CaseReport {
    let mut report = passing(case, run.transcript.refresh_summary());
    let file = report.file.clone();
    report.failures = run.failures.clone();
    // rendered once: the snapshot comparison and the report share it
    let body = run.transcript.render();
    if let Some(fault) = &run.fault {
        report.outcome = Outcome::Fail;
        report.message = fault.clone();
        report.transcript = Some(body);
        return report;
    }
    if let Some(first) = run.failures.first() {
        report.outcome = Outcome::Fail;
        report.line = first.line;
        report.message = first.to_string();
    }
    if let Some(policy) = snapshots {
        let meta = SnapshotMeta {
            description: case.name.clone(),
            input_file: file,
        };
        judge_snapshot(&case.slug, &meta, &body, policy, &mut report, notes);
    }
    report.transcript = Some(body);
    report
}

/// A case's report before anything is judged: passing, at the top of its file, no snapshot.
pub fn passing(case: &Case, refresh_token: crate::transcript::RefreshSummary) -> CaseReport {
    CaseReport {
        name: case.name.clone(),
        file: display_path(&case.scenario.path),
        line: 1,
        provider: case.provider.clone(),
        outcome: Outcome::Pass,
        message: String::new(),
        refresh_token,
        matrix: case
            .bindings
            .iter()
            .map(|(axis, value)| (axis.clone(), value.name()))
            .collect(),
        failures: Vec::new(),
        diff: None,
        snapshot: None,
        scenario: case.scenario.file.name.clone(),
        slug: case.slug.clone(),
        known_drift: None,
        live: None,
        transcript: None,
        accept: None,
    }
}

/// Compares `body` with the accepted snapshot `slug` and folds the result into `report`:
/// a difference is drift with a diff; new and changed transcripts are written as pending
/// `.snap.new` files or accepted, as `policy` says. `run` and `probe` share it.
pub fn judge_snapshot(
    slug: &str,
    meta: &SnapshotMeta,
    body: &str,
    policy: &SnapshotPolicy,
    report: &mut CaseReport,
    notes: &mut Vec<String>,
) {
    let snapshot_path = policy.store.path(slug);
    report.snapshot = Some(display_path(&snapshot_path));
    let written =
        |result: Result<std::path::PathBuf, crate::snapshot::SnapshotError>, notes: &mut Vec<String>| match result {
            Ok(path) => Some(display_path(&path)),
            Err(e) => {
                notes.push(with_causes(&e));
                None
            }
        };
    // --accept takes only what passes its expectations: a failing case's transcript is not
    // the behaviour the scenario asserts, so it stays pending for review
    let accept = policy.write && policy.accept && report.outcome == Outcome::Pass;
    let refuse = policy.write && policy.accept && report.outcome != Outcome::Pass;
    let pending_note = |path: &str| {
        if refuse {
            format!("{path} pending, not accepted: the case's expectations fail (fix them, then --accept)")
        } else {
            format!("new snapshot {path} pending: review with `cargo insta review` or rerun with --accept")
        }
    };
    match policy.store.compare(slug, body) {
        Ok(Comparison::Matches) => {
            if policy.write {
                let _ = policy.store.discard_pending(slug);
            }
        }
        Ok(Comparison::Missing) => {
            if accept {
                if written(policy.store.accept(slug, meta, body), notes).is_some() {
                    report.accept = Some(Accept::Taken);
                }
            } else if policy.write
                && let Some(path) = written(policy.store.write_pending(slug, meta, body), notes)
            {
                if refuse {
                    report.accept = Some(Accept::Refused);
                }
                notes.push(pending_note(&path));
            } else if !policy.write {
                let why = if policy.store.is_bundled() {
                    "the bundled snapshots are read-only"
                } else {
                    "CI: nothing written"
                };
                notes.push(format!("{} has no accepted snapshot ({why})", meta.description));
            }
        }
        Ok(Comparison::Differs { accepted }) => {
            let diff = similar::TextDiff::from_lines(accepted.as_str(), body)
                .unified_diff()
                .context_radius(3)
                .header("accepted", "this run")
                .to_string();
            report.diff = Some(diff);
            if accept {
                if written(policy.store.accept(slug, meta, body), notes).is_some() {
                    report.accept = Some(Accept::Taken);
                    report.message = "snapshot updated".into();
                }
            } else {
                if policy.write && written(policy.store.write_pending(slug, meta, body), notes).is_some() && refuse {
                    report.accept = Some(Accept::Refused);
                }
                if report.outcome == Outcome::Pass {
                    report.outcome = Outcome::Drift;
                    report.message = format!(
                        "transcript differs from the accepted snapshot {}",
                        display_path(&snapshot_path)
                    );
                }
            }
        }
        Err(e) => {
            report.outcome = Outcome::Fail;
            report.message = with_causes(&e);
        }
    }
}

/// An error and its causes on one line (`failed to read X: it is a symbolic link …`).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Applies the known-drift ledger to a judged report (`run` and `probe` share this).
///
/// A listed case that drifted or failed as described passes with a note; one that did not
/// drift, or whose entry expired, fails; one that drifted differently stays as it was. An
/// entry that matches no case in the run is noted (a `--filter` or a path selection may
/// leave it out).
pub fn apply_ledger(report: &mut Report, ledger: &Ledger, today: jiff::civil::Date) {
    let ledger_file = display_path(&ledger.path);
    let mut used = vec![false; ledger.entries.len()];
    for case in &mut report.cases {
        let Some(index) = ledger
            .entries
            .iter()
            .position(|e| e.case == case.name || (!case.slug.is_empty() && e.case == case.slug))
        else {
            continue;
        };
        used[index] = true;
        let entry = &ledger.entries[index];
        let at = format!("{ledger_file}:{}", entry.line);
        let drifted = match case.outcome {
            Outcome::Drift => true,
            // a failed expectation or a changed snapshot is a drift; a fault (no verdict) is not
            Outcome::Fail => !case.failures.is_empty() || case.diff.is_some(),
            Outcome::Pass => false,
            Outcome::Inconclusive | Outcome::Skipped => {
                case.known_drift = Some(known(entry, &ledger_file, LedgerStatus::Unchecked));
                case.message = join(
                    &case.message,
                    &format!("known drift at {at} not checked: the case reached no verdict"),
                );
                continue;
            }
        };
        let fault = case.outcome == Outcome::Fail && !drifted;
        let expired = entry.expired(today);
        let status = if fault {
            continue;
        } else if !drifted {
            case.outcome = Outcome::Fail;
            let mut message = format!(
                "known drift no longer happens: the ledger says \"{}\" ({at}); the provider may have reverted it: check, then remove the entry",
                entry.observed
            );
            if expired {
                message.push_str(&format!(" (the entry also expired on {})", entry.expires));
            }
            case.message = message;
            if expired {
                LedgerStatus::Expired
            } else {
                LedgerStatus::Vanished
            }
        } else if let Some(mismatch) = mismatch(entry, case) {
            case.message = join(
                &case.message,
                &format!("a known drift is listed at {at}, but it does not describe this one: {mismatch}"),
            );
            LedgerStatus::Mismatch
        } else if expired {
            case.outcome = Outcome::Fail;
            case.message = format!(
                "known drift entry expired on {} ({at}): the drift still happens; re-check it and renew the entry, or fix the case",
                entry.expires
            );
            LedgerStatus::Expired
        } else {
            case.outcome = Outcome::Pass;
            case.message = format!(
                "known drift: {} — {} ({}; until {})",
                entry.observed, entry.reason, entry.link, entry.expires
            );
            LedgerStatus::Known
        };
        if status.is_ledger_problem() {
            case.line = entry.line;
        }
        case.known_drift = Some(known(entry, &ledger_file, status));
    }
    for (entry, used) in ledger.entries.iter().zip(used) {
        if !used {
            let names = report.cases.iter().flat_map(|c| [c.name.as_str(), c.slug.as_str()]);
            let hint = crate::provider::closest(&entry.case, names)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            report.notes.push(format!(
                "{ledger_file}:{}: known drift `{}` matches no case in this run{hint}",
                entry.line, entry.case
            ));
        }
    }
}

fn known(entry: &crate::ledger::Entry, ledger_file: &str, status: LedgerStatus) -> KnownDrift {
    KnownDrift {
        status,
        ledger: ledger_file.to_string(),
        line: entry.line,
        observed: entry.observed.clone(),
        reason: entry.reason.clone(),
        link: entry.link.clone(),
        expires: entry.expires.to_string(),
    }
}

/// How the case differs from the entry's refresh_token check, if it does.
fn mismatch(entry: &crate::ledger::Entry, case: &CaseReport) -> Option<String> {
    let check = entry.refresh_token?;
    let word = |v: Option<bool>| match v {
        Some(true) => "present",
        Some(false) => "absent",
        None => "not observed",
    };
    let mut differences = Vec::new();
    for (grant, want, got) in [
        ("first", check.first_grant, case.refresh_token.first_grant),
        ("repeat", check.repeat_grant, case.refresh_token.repeat_grant),
    ] {
        if let Some(want) = want
            && got != Some(want)
        {
            differences.push(format!(
                "refresh_token on the {grant} grant is {} (the entry says {})",
                word(got),
                word(Some(want))
            ));
        }
    }
    (!differences.is_empty()).then(|| differences.join(", "))
}

fn join(first: &str, second: &str) -> String {
    if first.is_empty() {
        second.to_string()
    } else {
        format!("{first}; {second}")
    }
}
