//! Turning a diagnosis into text: colored human output, the DESIGN.md JSON, `explain`, and
//! the Markdown catalogue of docs/diagnose.md. Returns strings; the CLI prints them.

use std::fmt::Write;

use colored::Colorize;
use serde::Serialize;
use serde_json::{Value, json};

use super::catalogue::{CATALOGUE, Entry, Severity};
use super::diagnosis::{Diagnosis, Symptom};
use super::findings::Finding;
use super::fix::{Fix, Goal};
use super::input::{Flow, HarObservation, TokenCall, TokenResponse};
use super::observe::Outcome as HappenedOutcome;
use super::response::{Observation, ResponseDiagnosis};

const WIDTH: usize = 100;

/// The diagnose JSON of DESIGN.md (fields only added, never renamed).
pub fn json(diagnosis: &Diagnosis) -> String {
    let (request, prediction) = (&diagnosis.request, &diagnosis.prediction);
    let params: Vec<Value> = (request.params.iter())
        .map(|p| json!({"name": p.name, "value": p.shown_value()}))
        .collect();
    // a note as its kind and fields, and what it says
    let notes: Vec<Value> = (request.notes.iter())
        .map(|note| {
            let mut json = json!(note);
            if let Value::Object(fields) = &mut json {
                fields.insert("message".into(), note.describe().into());
            }
            json
        })
        .collect();
    let har = (diagnosis.observed.har.as_ref()).map(|har| har_json(har, diagnosis.happened));
    let mut json = json!({
        "provider": diagnosis.provider,
        "first_grant": prediction.first_grant,
        "repeat_grant": prediction.repeat_grant,
        "findings": diagnosis.findings,
        "fixed_url": diagnosis.fix.url,
        "refresh_token_every_grant": diagnosis.every_grant(),
        "client_type": diagnosis.client_kind,
        "publishing_status": diagnosis.status,
        "request": {"endpoint": request.endpoint, "params": params, "notes": notes},
        "fix": diagnosis.fix,
        "refresh": prediction.refresh,
        "limit": prediction.limit,
        "observed": {"har": har, "token_response": diagnosis.observed.token_response},
        "symptom": diagnosis.symptom,
    });
    // these are left out, not null, when there is nothing to say
    if let Value::Object(fields) = &mut json {
        fields.retain(|key, value| !(value.is_null() && ["refresh", "limit", "symptom"].contains(&key.as_str())));
    }
    pretty(json)
}

fn har_json(har: &HarObservation, happened: Option<HappenedOutcome>) -> Value {
    let flow = |f: &Flow| {
        let exchange = f.exchange.as_ref();
        let response = exchange.and_then(|t| t.response.as_ref());
        json!({
            "authorize_entry": f.authorize_entry,
            "started_by": f.started_by,
            "outcome": super::observe::outcome(f).map(HappenedOutcome::label),
            "error_page": f.error_page,
            "consent_entry": f.consent_entry,
            "consent_answer": f.consent_answer,
            "consent_screen": f.consent_screen,
            "callback_entry": f.callback_entry,
            "callback_error": f.callback_error,
            "token_entry": exchange.map(|t| t.entry),
            "token_status": exchange.map(|t| t.status),
            "token_problem": exchange.and_then(|t| t.problem.as_deref()),
            "refresh_token": response.map(|r| r.refresh_token),
            "token_response": response,
        })
    };
    let refresh = |r: &TokenCall| json!({"entry": r.entry, "status": r.status, "token_response": r.response});
    json!({
        "entries": har.entries,
        "flows": har.flows.iter().map(flow).collect::<Vec<_>>(),
        "refreshes": har.refreshes.iter().map(refresh).collect::<Vec<_>>(),
        "revokes": har.revokes,
        "problems": har.problems,
        "reordered": har.reordered,
        "happened": happened.map(HappenedOutcome::label),
    })
}

/// Pretty JSON and a final line break.
fn pretty(json: Value) -> String {
    format!("{json:#}\n")
}

fn severity_label(severity: Severity) -> colored::ColoredString {
    let text = format!("{:<7}", severity.label());
    match severity {
        Severity::Error => text.red().bold(),
        Severity::Warning => text.yellow().bold(),
        Severity::Info => text.cyan(),
    }
}

fn yes_no(value: bool) -> colored::ColoredString {
    if value { "yes".green() } else { "no".red() }
}

/// A client type or publishing status as its JSON and scenario files spell it (`installed`).
pub(crate) fn label(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The colored human report (colors obey `colored`'s global switch).
pub fn human(diagnosis: &Diagnosis) -> String {
    let mut out = String::new();
    let request = &diagnosis.request;
    let _ = writeln!(
        out,
        "{} · provider {} · {} client · {}",
        "oauth-drift diagnose".bold(),
        diagnosis.provider.bold(),
        label(diagnosis.client_kind),
        label(diagnosis.status)
    );
    heading(&mut out, "Request", format_args!("GET {}", request.endpoint));
    let width = request.params.iter().map(|p| p.name.chars().count()).max().unwrap_or(0);
    for param in &request.params {
        let _ = writeln!(out, "  {:<width$}  {}", param.name, param.shown_value().escape_debug());
    }
    for note in &request.notes {
        let _ = writeln!(out, "  {} {}", "note:".dimmed(), note.describe().dimmed());
    }

    observed(&mut out, diagnosis);

    heading(
        &mut out,
        "Prediction",
        format_args!(
            "provider model `{}`: a first grant, then a repeat grant by the same user",
            diagnosis.provider
        ),
    );
    let _ = writeln!(out, "  {:<14}{:<16}{:<15}error", "", "consent screen", "refresh_token");
    for (label, grant) in [
        ("first grant", &diagnosis.prediction.first_grant),
        ("repeat grant", &diagnosis.prediction.repeat_grant),
    ] {
        let consent = if grant.consent_screen { "shown" } else { "skipped" };
        let error = match (&grant.error, &grant.error_description, grant.status) {
            (Some(e), Some(d), Some(s)) => format!("{s} {e}: {d}").red().to_string(),
            (Some(e), None, Some(s)) => format!("{s} {e}").red().to_string(),
            _ => "—".dimmed().to_string(),
        };
        let suffix = if grant.tokens_in_redirect {
            " (tokens in the redirect)"
        } else {
            ""
        };
        let visible = if grant.refresh_token { "yes" } else { "no" }.len() + suffix.len();
        let _ = writeln!(
            out,
            "  {label:<14}{consent:<16}{}{suffix}{}{error}",
            yes_no(grant.refresh_token),
            " ".repeat(13usize.saturating_sub(visible) + 2)
        );
    }

    if let Some(symptom) = diagnosis.symptom {
        heading(&mut out, "Symptom", symptom_label(symptom));
    }
    findings_section(&mut out, &diagnosis.findings);

    fixed_url(&mut out, diagnosis);

    let mut verdict = match diagnosis.happened {
        Some(happened) => format!(
            "the HAR shows {}",
            match happened {
                HappenedOutcome::RefreshToken => "a refresh_token in the token response",
                HappenedOutcome::NoRefreshToken => "a token response without refresh_token",
                HappenedOutcome::Error => "the flow ending in an error",
                HappenedOutcome::Denied => "the user refusing on the consent screen",
                HappenedOutcome::Abandoned => "the consent screen left unanswered",
            }
        ),
        None if diagnosis.every_grant() => "a refresh_token comes back on every grant".to_string(),
        None if diagnosis.prediction.first_grant.refresh_token => "no refresh_token on the repeat grant".to_string(),
        None => "no refresh_token on any grant".to_string(),
    };
    // a refresh_token came back (or comes back on every grant), and yet a finding explains
    // the reported symptom
    let refresh_token = (diagnosis.happened).map_or(diagnosis.every_grant(), |h| h == HappenedOutcome::RefreshToken);
    if refresh_token && let Some(code) = diagnosis.symptom_explained() {
        let _ = write!(verdict, ", but {code} explains the reported symptom");
    }
    // OD180 wraps another finding; point at the finding it explains
    let top = (diagnosis.findings.iter())
        .find(|f| f.code != super::Code::NoRefreshTokenExplained)
        .or(diagnosis.findings.first());
    verdict_section(&mut out, &verdict, diagnosis.exit_code(), top);
    out
}

/// A section's first line, after a blank one: its title in bold, then `rest`.
fn heading(out: &mut String, title: &str, rest: impl std::fmt::Display) {
    let _ = writeln!(out, "\n{}  {rest}", title.bold());
}

/// The verdict, with the exit code it ends in (green for 0), and the finding to read on.
fn verdict_section(out: &mut String, verdict: &str, exit: u8, top: Option<&Finding>) {
    let verdict = format!("{verdict} (exit {exit})");
    let verdict = if exit == crate::exit::OK {
        verdict.green()
    } else {
        verdict.red()
    };
    heading(out, "Verdict", verdict.bold());
    if let Some(top) = top {
        let _ = writeln!(
            out,
            "  `oauth-drift explain {}` for the history and sources of the first finding",
            top.code
        );
    }
}

fn findings_section(out: &mut String, findings: &[Finding]) {
    heading(out, "Findings", "ranked, causes first".dimmed());
    if findings.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for (i, finding) in findings.iter().enumerate() {
        let cause = if finding.symptom {
            " [explains the symptom]".magenta().to_string()
        } else if finding.cause {
            " [cause]".magenta().to_string()
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:>2}. {} {} {}{cause}",
            i + 1,
            severity_label(finding.severity),
            finding.code.as_str().bold(),
            finding.name.dimmed()
        );
        for line in wrap(&finding.message, WIDTH - 8) {
            let _ = writeln!(out, "      {line}");
        }
        for (label, text, dim) in [("fix:", &finding.fix, false), ("source:", &finding.source, true)] {
            for (j, line) in wrap(text, WIDTH - 14).iter().enumerate() {
                let label = format!("{:<7}", if j == 0 { label } else { "" });
                let (label, line) = if dim {
                    (label.dimmed(), line.dimmed())
                } else {
                    (label.green(), line.normal())
                };
                let _ = writeln!(out, "      {label} {line}");
            }
        }
    }
}

/// The fixed URL section: the fix that keeps the app's intent, and for a request kept online
/// the labelled fix that turns it offline.
fn fixed_url(out: &mut String, diagnosis: &Diagnosis) {
    let fix = &diagnosis.fix;
    match (&fix.url, fix.changes.is_empty()) {
        (Some(url), false) => {
            let intent = (fix.intent.as_ref()).map(|intent| format!("kept online: {intent}"));
            proposal(out, "Fixed URL", fix, url, intent.as_deref());
        }
        (Some(_), true) => {
            let why = match (&fix.intent, diagnosis.symptom_explained()) {
                (_, Some(code)) => format!(
                    "nothing to change in the request, which is not the cause: the reported symptom is explained by {code}"
                ),
                (Some(intent), None) => {
                    format!("nothing to change: {intent} and the provider answers it without error")
                }
                (None, None) => "nothing to change: the request already returns a refresh_token on every grant".into(),
            };
            heading(out, "Fixed URL", why);
        }
        (None, _) => heading(
            out,
            "Fixed URL",
            format_args!("none: {}", fix.reason.as_deref().unwrap_or_default()),
        ),
    }
    if let Some(offline) = &fix.alternative
        && let Some(url) = &offline.url
    {
        let note = "this asks for offline access; with prompt=consent the user sees a consent screen on every login";
        proposal(out, "If you want a refresh_token", offline, url, Some(note));
    }
}

/// A fixed URL under `title`: what the model verified of it, a note, the URL and its changes.
fn proposal(out: &mut String, title: &str, fix: &Fix, url: &str, note: Option<&str>) {
    let verified = fix.verified.as_ref();
    let check = match fix.goal {
        Goal::RefreshTokenEveryGrant if verified.is_some_and(|v| v.every_grant()) => {
            "verified with the model: a refresh_token on the first and the repeat grant"
        }
        Goal::NoError if verified.is_some_and(|v| v.first_grant.error.is_none()) => {
            "verified with the model: no error on the first and the repeat grant"
        }
        _ => "",
    };
    heading(out, title, check.green());
    if let Some(note) = note {
        let _ = writeln!(out, "  {}", note.dimmed());
    }
    let _ = writeln!(out, "  {url}");
    for change in &fix.changes {
        let _ = writeln!(out, "  - {}", change.description);
    }
}

/// The JSON for a pasted response or error page: DESIGN.md's first five keys (no grant was
/// predicted, so both grants and the fixed URL are null), then what was read.
pub fn response_json(diagnosis: &ResponseDiagnosis) -> String {
    pretty(json!({
        "provider": diagnosis.provider,
        "first_grant": null,
        "repeat_grant": null,
        "findings": diagnosis.findings,
        "fixed_url": null,
        "input": diagnosis.observation,
        "symptom": diagnosis.symptom,
        "next_step": diagnosis.next_step,
    }))
}

/// The human report for a pasted response or error page.
pub fn response_human(diagnosis: &ResponseDiagnosis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · provider {}",
        "oauth-drift diagnose".bold(),
        diagnosis.provider.bold()
    );
    let observed = match &diagnosis.observation {
        Observation::TokenResponse { response } => {
            let grant = (response.answered_grant.as_deref())
                .map(|g| format!(" (answers grant_type={g})"))
                .unwrap_or_default();
            format!("token response{grant}: {}", token_summary(response))
        }
        Observation::ErrorPage { page } => format!(
            "{}'s error page: {} {}",
            diagnosis.provider_name,
            page.status.map(|s| s.to_string()).unwrap_or_default(),
            page.error
        ),
    };
    heading(&mut out, "Observed", observed);
    if let Some(symptom) = diagnosis.symptom {
        let _ = writeln!(out, "  symptom: {}", symptom_label(symptom));
    }
    heading(
        &mut out,
        "Prediction",
        "none: no authorization request was given".dimmed(),
    );
    findings_section(&mut out, &diagnosis.findings);
    heading(&mut out, "Next", &diagnosis.next_step);
    let exit = diagnosis.exit_code();
    let verdict = match exit {
        crate::exit::OK => "nothing here is wrong",
        _ => "a finding explains the failure",
    };
    verdict_section(&mut out, verdict, exit, diagnosis.findings.first());
    out
}

fn symptom_label(symptom: Symptom) -> &'static str {
    match symptom {
        Symptom::NoRefreshToken => "no refresh_token",
        Symptom::InvalidGrant => "invalid_grant on refresh",
        Symptom::InvalidGrantAfterDays => "invalid_grant on refresh after some days",
        Symptom::RefreshTokenRevoked => "a refresh token was revoked",
    }
}

fn observed(out: &mut String, diagnosis: &Diagnosis) {
    if let Some(har) = &diagnosis.observed.har {
        heading(out, "Observed", format_args!("HAR with {} entries", har.entries));
        for (i, flow) in har.flows.iter().enumerate() {
            let mut line = match flow.started_by {
                Some(login) if login != flow.authorize_entry => {
                    format!("  flow {}: app #{login} → authorize #{}", i + 1, flow.authorize_entry)
                }
                Some(login) => format!("  flow {}: app #{login} redirects to the authorization URL", i + 1),
                None => format!("  flow {}: authorize #{}", i + 1, flow.authorize_entry),
            };
            if let Some(reason) = &flow.authorize_failed {
                let _ = write!(line, " (failed: {reason})");
            }
            if let Some(page) = &flow.error_page {
                let _ = write!(
                    line,
                    " → error page ({}{})",
                    page.status,
                    page.error.as_deref().map(|e| format!(" {e}")).unwrap_or_default()
                );
            }
            if let Some(shown) = flow.consent_screen {
                let _ = write!(line, " → consent screen {}", if shown { "shown" } else { "skipped" });
            }
            if let Some(answer) = &flow.consent_answer {
                let _ = write!(line, " → {} #{}", answer.action, answer.entry);
            }
            if let Some(c) = flow.callback_entry {
                let _ = write!(line, " → callback #{c}");
            }
            if let Some(error) = &flow.callback_error {
                let _ = write!(line, " (error={error})");
            }
            match &flow.exchange {
                Some(call) => {
                    let status = call
                        .problem
                        .as_deref()
                        .filter(|_| call.failed)
                        .map_or_else(|| call.status.to_string(), |p| p.to_string());
                    let _ = write!(line, " → token #{} ({status})", call.entry);
                    match &call.response {
                        Some(response) => {
                            let _ = write!(line, ": refresh_token {}", yes_no(response.refresh_token));
                        }
                        None => line.push_str(": response not readable (see OD187)"),
                    }
                }
                None if flow.got_code => {
                    line.push_str(" → no token request in the HAR (server-side exchange? pass --token-response)");
                }
                None => {}
            }
            let _ = writeln!(out, "{line}");
        }
        for refresh in &har.refreshes {
            match refresh.problem.as_deref() {
                Some(problem) if refresh.response.is_none() => {
                    let _ = writeln!(out, "  refresh #{}: {problem}", refresh.entry);
                }
                _ => {
                    let _ = writeln!(out, "  refresh #{} ({})", refresh.entry, refresh.status);
                }
            }
        }
        for revoke in &har.revokes {
            let _ = writeln!(
                out,
                "  revoke #{}: {} {} ({})",
                revoke.entry, revoke.method, revoke.endpoint, revoke.status
            );
        }
    }
    if let Some(response) = &diagnosis.observed.token_response {
        heading(
            out,
            "Observed",
            format_args!("token response: {}", token_summary(response)),
        );
    }
}

fn token_summary(response: &TokenResponse) -> String {
    if let Some(error) = &response.error {
        return format!(
            "error {error}: {}",
            response.error_description.as_deref().unwrap_or_default()
        );
    }
    let mut parts = vec![format!("refresh_token {}", yes_no(response.refresh_token))];
    if let Some(seconds) = response.refresh_token_expires_in {
        parts.push(format!("refresh_token_expires_in {seconds}"));
    }
    if let Some(scope) = &response.scope {
        parts.push(format!("scope \"{scope}\""));
    }
    parts.join(", ")
}

/// Word-wraps at `width` columns, keeping explicit line breaks.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// `oauth-drift explain CODE` as text.
pub(crate) fn explain(entry: &Entry) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} {}",
        entry.code.as_str().bold(),
        entry.name(),
        format!("({})", entry.severity.label()).dimmed()
    );
    for line in wrap(&entry.title, WIDTH) {
        let _ = writeln!(out, "{}", line.bold());
    }
    for paragraph in entry.explanation.split("\n\n") {
        let _ = writeln!(out);
        for line in wrap(paragraph, WIDTH) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out, "\n{}", "Fix".bold());
    for line in wrap(&entry.fix, WIDTH - 2) {
        let _ = writeln!(out, "  {line}");
    }
    if !entry.history.is_empty() {
        let _ = writeln!(out, "\n{}", "History".bold());
        for (date, event) in &entry.history {
            let _ = writeln!(out, "  {date:<14}{event}");
        }
    }
    let _ = writeln!(out, "\n{}", "Sources".bold());
    for source in &entry.sources {
        let _ = writeln!(out, "  - {source}");
    }
    out
}

/// `oauth-drift explain CODE --format json`.
pub(crate) fn explain_json(entry: &Entry) -> String {
    let history: Vec<Value> = (entry.history.iter())
        .map(|(date, event)| json!({"date": date, "event": event}))
        .collect();
    pretty(json!({
        "code": entry.code,
        "name": entry.name(),
        "severity": entry.severity,
        "title": entry.title,
        "explanation": entry.explanation,
        "fix": entry.fix,
        "history": history,
        "sources": entry.sources,
    }))
}

/// `oauth-drift explain --list`: one line per code.
pub(crate) fn list() -> String {
    let mut out = String::new();
    for entry in CATALOGUE {
        let _ = writeln!(
            out,
            "{} {} {:<34} {}",
            entry.code.as_str().bold(),
            severity_label(entry.severity),
            entry.name(),
            entry.title
        );
    }
    out
}

/// The finding catalogue as Markdown (the generated part of docs/diagnose.md).
pub fn catalogue_markdown() -> String {
    let mut out = String::new();
    out.push_str("| code | name | severity | what |\n|---|---|---|---|\n");
    for entry in CATALOGUE {
        let _ = writeln!(
            out,
            "| [{}](#{}) | `{}` | {} | {} |",
            entry.code,
            entry.code.as_str().to_ascii_lowercase(),
            entry.name(),
            entry.severity.label(),
            entry.title.replace('|', "\\|")
        );
    }
    for entry in CATALOGUE {
        let _ = writeln!(
            out,
            "\n### {}\n\n`{}` · {}\n\n**{}**\n",
            entry.code,
            entry.name(),
            entry.severity.label(),
            entry.title
        );
        for paragraph in entry.explanation.split("\n\n") {
            let _ = writeln!(out, "{paragraph}\n");
        }
        let _ = writeln!(out, "*Fix:* {}\n", entry.fix);
        if !entry.history.is_empty() {
            out.push_str("*History:*\n\n");
            for (date, event) in &entry.history {
                let _ = writeln!(out, "- {date}: {event}");
            }
            out.push('\n');
        }
        out.push_str("*Sources:*\n\n");
        for source in &entry.sources {
            let _ = writeln!(out, "- {source}");
        }
    }
    out
}
