//! The docs say what the code does: docs/diagnose.md holds the catalogue generated from the
//! code, and the README's worked example is the command's real output.

use std::path::PathBuf;

use oauth_drift::diagnose::{CATALOGUE, render};

use super::support::{oauth_drift, stdout};

const START: &str = "<!-- catalogue:start: generated from src/diagnose/catalogue.yaml; `OAUTH_DRIFT_UPDATE_DOCS=1 cargo test --test it docs` rewrites it -->\n";
const END: &str = "<!-- catalogue:end -->";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn docs_diagnose_md_holds_every_finding_code_as_generated() {
    let path = root().join("docs/diagnose.md");
    let text = std::fs::read_to_string(&path).expect("docs/diagnose.md exists");
    let start = text.find(START).expect("the start marker") + START.len();
    let end = text[start..].find(END).expect("the end marker") + start;
    let generated = render::catalogue_markdown();
    if text[start..end] != generated {
        if std::env::var_os("OAUTH_DRIFT_UPDATE_DOCS").is_some() {
            let updated = format!("{}{generated}{}", &text[..start], &text[end..]);
            std::fs::write(&path, updated).unwrap();
        } else {
            panic!(
                "docs/diagnose.md is out of date; regenerate it with `OAUTH_DRIFT_UPDATE_DOCS=1 cargo test --test it docs`"
            );
        }
    }
    for entry in CATALOGUE {
        assert!(
            text.contains(&format!("### {}", entry.code)),
            "{} is not documented",
            entry.code
        );
    }
}

#[test]
fn the_readme_worked_example_is_the_real_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Why no refresh_token?").expect("the section")..];
    let section = &section[..section[3..].find("\n## ").map(|i| i + 3).unwrap_or(section.len())];
    let command_at = section.find("$ oauth-drift diagnose '").expect("an example command");
    let url_start = command_at + "$ oauth-drift diagnose '".len();
    let url_end = url_start + section[url_start..].find('\'').unwrap();
    let url = &section[url_start..url_end];
    let output_start = url_end + section[url_end..].find("```\n").unwrap() + 4;
    let output_start = output_start + section[output_start..].find("```\n").unwrap() + 4;
    let output_end = output_start + section[output_start..].find("```").unwrap();
    let shown = &section[output_start..output_end];

    let dir = tempfile::tempdir().unwrap();
    let output = oauth_drift(dir.path(), &["diagnose", url]);
    assert_eq!(
        stdout(&output),
        shown,
        "the README example differs from the real output"
    );
}
