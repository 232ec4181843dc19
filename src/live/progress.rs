//! What a probe run says while it runs: which probe is under way, each case as it is decided,
//! each wait before a retry. The CLI shows it as a progress line on a terminal; nothing is
//! told when no observer is installed (the default, and always off a terminal).
//!
//! The observer is task-local: installed around one run with [`observed`], so that runs in
//! parallel (tests) never see each other's.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::transport::Cause;
use crate::report::CaseReport;

/// Told of a probe run's progress. Every method has a default that does nothing.
pub trait Observer: Send + Sync {
    /// A probe starts (`discovery: google`, `consent: CASE (waiting for the browser)`).
    fn started(&self, _what: &str) {}
    /// A case is decided: its outcome is known.
    fn decided(&self, _case: &CaseReport) {}
    /// A request failed for `cause` and waits `wait` before attempt `attempt + 1`.
    fn retrying(&self, _cause: &Cause, _attempt: u32, _wait: Duration) {}
}

tokio::task_local! {
    static OBSERVER: Arc<dyn Observer>;
}

/// Runs `future` with `observer` told of its progress.
pub async fn observed<F: Future>(observer: Arc<dyn Observer>, future: F) -> F::Output {
    OBSERVER.scope(observer, future).await
}

/// Tells the installed observer, if there is one.
pub(crate) fn tell(f: impl FnOnce(&dyn Observer)) {
    let _ = OBSERVER.try_with(|observer| f(observer.as_ref()));
}
