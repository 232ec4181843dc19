//! Reading scenario files: discovery, two-pass parsing with located errors, matrix expansion.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::schema::{AxisValue, Names, ScenarioFile};
use crate::provider::{Registry, closest};

/// A scenario file that parsed and whose references all resolve.
#[derive(Debug)]
pub struct Scenario {
    /// The path as the user named it (relative paths stay relative, for stable output).
    pub path: PathBuf,
    pub file: ScenarioFile,
    /// The 1-based line of each step, for annotations that point at it.
    pub step_lines: Vec<usize>,
}

/// One combination of matrix values: what actually runs.
#[derive(Debug, Clone)]
pub struct Case {
    pub scenario: Arc<Scenario>,
    /// `scenario name [axis=value, …]`
    pub name: String,
    /// The snapshot file stem: stable, filesystem-safe, unique across the run.
    pub slug: String,
    pub provider: String,
    pub bindings: Vec<(String, AxisValue)>,
}

impl Case {
    /// The matrix value of `axis` in this case.
    pub fn binding(&self, axis: &str) -> Option<&AxisValue> {
        self.bindings.iter().find(|(a, _)| a == axis).map(|(_, v)| v)
    }
}

/// A problem with a scenario file, located as `path:line:column` (just `path:` when the file
/// could not be read at all: line 0).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", located(path, *line, *column))]
pub struct ScenarioError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

fn located(path: &Path, line: usize, column: usize) -> String {
    if line == 0 {
        path.display().to_string()
    } else {
        format!("{}:{line}:{column}", path.display())
    }
}

impl ScenarioError {
    fn at(path: &Path, line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A YAML or shape error, located, with a "did you mean" hint for unknown names.
    pub(crate) fn from_yaml(path: &Path, err: &serde_yaml::Error) -> Self {
        let (line, column) = err.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
        let text = err.to_string();
        let text = text.rfind(" at line ").map(|i| &text[..i]).unwrap_or(&text);
        Self::at(path, line, column, suggest(text))
    }
}

/// Turns serde's "unknown field `x`, expected one of `a`, `b`" into a "did you mean" hint.
fn suggest(message: &str) -> String {
    let Some(start) = message
        .find("unknown field `")
        .or_else(|| message.find("unknown variant `"))
    else {
        return message.to_string();
    };
    let after = &message[start..];
    let Some(name) = after.split('`').nth(1) else {
        return message.to_string();
    };
    let Some(expected) = after.find("expected ").map(|i| &after[i..]) else {
        return message.to_string();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match closest(name, candidates.iter().copied()) {
        Some(best) => format!(
            "{}; did you mean `{best}`?",
            &message[..start + after.find(',').unwrap_or(after.len())]
        ),
        None => message.to_string(),
    }
}

/// Every scenario file under `paths` (directories searched recursively), sorted.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScenarioError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files).map_err(|e| ScenarioError::at(path, 0, 0, format!("cannot read directory: {e}")))?;
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(ScenarioError::at(path, 0, 0, "no such file or directory"));
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(path);
        }
    }
    Ok(())
}

impl Scenario {
    /// Parses scenario `text`; `path` is where its errors point (`path:line:column`).
    pub fn parse(path: &Path, text: &str, registry: &Registry) -> Result<Scenario, ScenarioError> {
        parse(path, text, registry)
    }

    /// Reads and parses the scenario file at `path`.
    pub fn load(path: &Path, registry: &Registry) -> Result<Scenario, ScenarioError> {
        load_file(path, registry)
    }

    /// Expands the matrix into its cases (one without a matrix), their snapshot names under
    /// `stem`.
    pub fn into_cases(self, stem: &str) -> Vec<Case> {
        expand(&Arc::new(self), stem)
    }
}

/// Reads and parses one scenario file.
pub fn load_file(path: &Path, registry: &Registry) -> Result<Scenario, ScenarioError> {
    let text = crate::limits::read_bounded_text(path)
        .map_err(|e| ScenarioError::at(path, 0, 0, format!("cannot read file: {e}")))?;
    parse(path, &text, registry)
}

/// Parses scenario text. Deserialising checks the shape; then, with the names the file
/// defines, every reference is checked (`references::check`), its error pointing at the
/// reference itself.
pub fn parse(path: &Path, text: &str, registry: &Registry) -> Result<Scenario, ScenarioError> {
    let meaningful = text.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#') && l != "---"
    });
    if !meaningful {
        return Err(ScenarioError::at(
            path,
            1,
            1,
            "the file is empty; a scenario needs at least `name:` and `steps:`",
        ));
    }
    if let Err(deep) = crate::limits::check_yaml_depth(text) {
        return Err(ScenarioError::at(path, deep.line, deep.column, deep.message()));
    }
    let first: ScenarioFile = serde_yaml::from_str(text).map_err(|e| ScenarioError::from_yaml(path, &e))?;
    check_case_count(path, text, &first)?;
    let names = Names {
        providers: registry.ids().map(str::to_string).collect(),
        axes: first
            .matrix
            .0
            .iter()
            .map(|(axis, values)| (axis.clone(), values.iter().map(AxisValue::name).collect()))
            .collect(),
        param_axes: first
            .matrix
            .0
            .iter()
            .filter(|(_, values)| values.iter().all(|v| matches!(v, AxisValue::Params(_))))
            .map(|(axis, _)| axis.clone())
            .collect(),
        clients: if first.clients.is_empty() {
            vec!["web".into()]
        } else {
            first.clients.keys().cloned().collect()
        },
        users: if first.users.is_empty() {
            vec![crate::model::DEFAULT_USER.into()]
        } else {
            first.users.clone()
        },
    };
    super::references::check(&first, &names, text).map_err(|e| ScenarioError::from_yaml(path, &e))?;
    let file = first;
    let step_lines = item_lines(text, "steps:", file.steps.len());
    if file.steps.is_empty() {
        return Err(ScenarioError::at(
            path,
            step_lines[0].max(1),
            1,
            "`steps:` is empty; a scenario needs at least one step",
        ));
    }
    Ok(Scenario {
        path: path.to_owned(),
        file,
        step_lines,
    })
}

/// The most cases one scenario file may expand into (docs/scenarios.md). The matrix is a
/// product: ten axes of ten values are 10^10 cases, which no run finishes and whose names alone
/// exhaust memory, so a larger product is refused before a single case is built.
pub const MAX_CASES: u64 = 10_000;

fn check_case_count(path: &Path, text: &str, file: &ScenarioFile) -> Result<(), ScenarioError> {
    let mut cases: u64 = 1;
    for (_, values) in &file.matrix.0 {
        cases = cases.saturating_mul(values.len() as u64);
    }
    if cases <= MAX_CASES {
        return Ok(());
    }
    let line = text.lines().position(|l| l.starts_with("matrix:")).map_or(1, |i| i + 1);
    let sizes: Vec<String> = file.matrix.0.iter().map(|(_, v)| v.len().to_string()).collect();
    let count = if cases == u64::MAX {
        "more than 18446744073709551615".to_string()
    } else {
        cases.to_string()
    };
    Err(ScenarioError::at(
        path,
        line,
        1,
        format!(
            "the matrix expands into {count} cases ({}); a file may have at most {MAX_CASES}: split it into several files",
            sizes.join(" × ")
        ),
    ))
}

/// The line of each item of the top-level list under `key` (`steps:`), block style; the
/// `key` line itself where the list is written another way.
pub(crate) fn item_lines(text: &str, key: &str, count: usize) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let Some(steps_at) = lines.iter().position(|l| l.starts_with(key)) else {
        return vec![1; count.max(1)];
    };
    let mut found = Vec::new();
    let mut indent = None;
    for (i, line) in lines.iter().enumerate().skip(steps_at + 1) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let width = line.len() - trimmed.len();
        if width == 0 && !trimmed.starts_with('-') {
            break;
        }
        if trimmed.starts_with("- ") || trimmed == "-" {
            let level = *indent.get_or_insert(width);
            if width == level {
                found.push(i + 1);
            }
        }
    }
    let fallback = steps_at + 1;
    (0..count.max(1))
        .map(|i| found.get(i).copied().unwrap_or(fallback))
        .collect()
}

/// Expands a scenario's matrix into cases, in file order.
pub fn expand(scenario: &Arc<Scenario>, root_stem: &str) -> Vec<Case> {
    (0..case_count(scenario))
        .map(|index| case_at(scenario, root_stem, index))
        .collect()
}

/// How many cases a scenario's matrix expands into (one without a matrix; at most
/// [`MAX_CASES`], which parsing enforces).
pub fn case_count(scenario: &Scenario) -> usize {
    scenario.file.matrix.0.iter().map(|(_, values)| values.len()).product()
}

/// The case at `index` of [`expand`]'s order, built alone (the last axis varies fastest), so a
/// run can expand a matrix as it pulls cases instead of holding them all.
pub fn case_at(scenario: &Arc<Scenario>, root_stem: &str, index: usize) -> Case {
    let file = &scenario.file;
    let mut bindings: Vec<(String, AxisValue)> = Vec::with_capacity(file.matrix.0.len());
    let mut rest = index;
    for (axis, values) in file.matrix.0.iter().rev() {
        let len = values.len().max(1);
        if let Some(value) = values.get(rest % len) {
            bindings.push((axis.clone(), value.clone()));
        }
        rest /= len;
    }
    bindings.reverse();
    let provider = bindings
        .iter()
        .find(|(axis, _)| axis == "provider")
        .map(|(_, v)| v.name())
        .or_else(|| file.provider.as_ref().map(|p| p.0.clone()))
        .unwrap_or_else(|| crate::provider::DEFAULT_PROVIDER.into());
    let name = if bindings.is_empty() {
        file.name.clone()
    } else {
        let mut name = format!("{} [", file.name);
        for (i, (axis, v)) in bindings.iter().enumerate() {
            if i > 0 {
                name.push_str(", ");
            }
            name.push_str(axis);
            name.push('=');
            name.push_str(&v.name());
        }
        name.push(']');
        name
    };
    let mut slug = slugify(root_stem);
    for (axis, value) in &bindings {
        slug.push_str("__");
        slug.push_str(&slugify(&format!("{axis}-{}", value.name())));
    }
    Case {
        scenario: Arc::clone(scenario),
        name,
        slug,
        provider,
        bindings,
    }
}

/// Lowercase letters, digits, `-` and `_` only; runs of anything else become one `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Scenario, ScenarioError> {
        parse(Path::new("t.yaml"), text, &Registry::builtin())
    }

    #[test]
    fn an_unknown_step_is_located_and_suggests_the_closest_action() {
        let err = parse_text("name: x\nsteps:\n  - authorise: {}\n").unwrap_err();
        assert_eq!((err.line, err.column), (3, 5), "{err}");
        assert!(err.message.contains("did you mean `authorize`?"), "{err}");
    }

    #[test]
    fn an_undefined_matrix_variable_points_at_its_use() {
        let text =
            "name: x\nmatrix:\n  force: [{prompt: consent}]\nsteps:\n  - authorize: {scope: email, with: forse}\n";
        let err = parse_text(text).unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        assert!(
            err.message
                .contains("unknown matrix variable `forse`; did you mean `force`?"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_provider_in_the_matrix_is_located() {
        let text = "name: x\nmatrix:\n  provider: [google, gogle@2015]\nsteps:\n  - discovery:\n";
        let err = parse_text(text).unwrap_err();
        assert_eq!(err.line, 3, "{err}");
        assert!(err.message.contains("did you mean `google@2015`?"), "{err}");
    }

    #[test]
    fn two_actions_in_one_step_are_an_error() {
        let err = parse_text("name: x\nsteps:\n  - exchange: {}\n    refresh: {}\n").unwrap_err();
        assert!(err.message.contains("exchange and refresh"), "{err}");
    }

    #[test]
    fn empty_values_mean_an_action_with_defaults() {
        let scenario =
            parse_text("name: x\nsteps:\n  - authorize: {scope: email}\n  - exchange:\n  - userinfo:\n").unwrap();
        assert_eq!(scenario.file.steps.len(), 3);
        assert_eq!(scenario.step_lines, vec![3, 4, 5]);
    }

    #[test]
    fn the_matrix_expands_into_named_cases_in_file_order() {
        let text = "name: seed\nmatrix:\n  provider: [google@2015, google]\n  force: [{approval_prompt: force}, {prompt: consent}]\nsteps:\n  - authorize: {scope: email, with: force}\n";
        let scenario = Arc::new(parse_text(text).unwrap());
        let cases = expand(&scenario, "seed");
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "seed [provider=google@2015, force=approval_prompt=force]",
                "seed [provider=google@2015, force=prompt=consent]",
                "seed [provider=google, force=approval_prompt=force]",
                "seed [provider=google, force=prompt=consent]",
            ]
        );
        assert_eq!(cases[1].slug, "seed__provider-google-2015__force-prompt-consent");
        assert_eq!(cases[1].provider, "google@2015");
    }

    #[test]
    fn a_case_built_alone_is_the_one_the_whole_expansion_has_at_its_index() {
        let text = "name: seed\nprovider: google@2015\nmatrix:\n  a: [x, y, z]\n  force: [{approval_prompt: force}, {prompt: consent}]\n  b: [one, two]\nsteps:\n  - authorize: {scope: email, with: force}\n";
        let scenario = Arc::new(parse_text(text).unwrap());
        assert_eq!(case_count(&scenario), 12);
        let names: Vec<String> = (0..12).map(|i| case_at(&scenario, "dir/seed", i).name).collect();
        assert_eq!(names[0], "seed [a=x, force=approval_prompt=force, b=one]");
        assert_eq!(names[1], "seed [a=x, force=approval_prompt=force, b=two]");
        assert_eq!(names[2], "seed [a=x, force=prompt=consent, b=one]");
        assert_eq!(names[11], "seed [a=z, force=prompt=consent, b=two]");
        let whole = expand(&scenario, "dir/seed");
        assert_eq!(whole.len(), 12);
        for (i, case) in whole.iter().enumerate() {
            assert_eq!(case.name, names[i]);
            assert_eq!(case.provider, "google@2015");
        }
        let plain = Arc::new(parse_text("name: one\nsteps:\n  - discovery:\n").unwrap());
        assert_eq!(case_count(&plain), 1);
        assert_eq!(expand(&plain, "one")[0].name, "one");
        assert_eq!(whole[11].slug, "dir-seed__a-z__force-prompt-consent__b-two");
    }

    #[test]
    fn durations_take_units() {
        use super::super::schema::parse_duration;
        assert_eq!(parse_duration("601"), Some(601));
        assert_eq!(parse_duration("10m"), Some(600));
        assert_eq!(parse_duration("7d"), Some(604_800));
        assert_eq!(parse_duration("7 weeks"), None);
    }
}
