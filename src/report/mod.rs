//! Reports: human (colored), JSON, JUnit, Markdown, GitHub annotations and step summary, the
//! `compare` table, and the outcome model they share.

pub mod compare;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
mod outcome;

pub use outcome::{
    Accept, CaseReport, Compact, Deferred, KnownDrift, LedgerStatus, LiveInfo, ModelParity, Outcome, Rebuild, Report,
};

impl Report {
    /// The report as `run --format json` writes it.
    pub fn to_json(&self) -> String {
        json::render(self)
    }

    /// The report as JUnit XML (`run --junit`), its `<testsuites>` named `name`.
    pub fn to_junit(&self, name: &str) -> String {
        junit::render(self, name)
    }
}

/// `1 case`, `2 cases`: a count with its noun in the right number (`noun` takes an `s`).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_case_is_singular_and_the_rest_plural() {
        assert_eq!(super::count(1, "case"), "1 case");
        assert_eq!(super::count(0, "case"), "0 cases");
        assert_eq!(super::count(129, "case"), "129 cases");
    }
}
