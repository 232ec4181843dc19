//! The process exit codes: stable, documented in the README.

/// Everything passed, or was skipped with a stated reason.
pub const OK: u8 = 0;
/// Drift, or an expectation that did not hold.
pub const DRIFT: u8 = 1;
/// Usage or input error: bad YAML, unknown provider, unreadable file, no case matched.
pub const INPUT: u8 = 2;
/// A live probe could not reach a verdict (network, 5xx, 429 after retries).
pub const INCONCLUSIVE: u8 = 3;
