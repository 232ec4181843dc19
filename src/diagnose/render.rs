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
use super::input::{InputNote, TokenResponse};
use super::observe::Outcome as HappenedOutcome;
use super::predict::{GrantPrediction, LimitPrediction, RefreshPrediction};
use super::response::{Observation, ResponseDiagnosis};
use crate::provider::{ClientKind, PublishingStatus};

const WIDTH: usize = 100;

#[derive(Serialize)]
struct JsonDiagnosis<'a> {
    provider: &'a str,
    first_grant: &'a GrantPrediction,
    repeat_grant: &'a GrantPrediction,
    findings: &'a [Finding],
    fixed_url: Option<&'a str>,
    refresh_token_every_grant: bool,
    client_type: ClientKind,
    publishing_status: PublishingStatus,
    request: Value,
    fix: &'a Fix,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh: Option<RefreshPrediction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<LimitPrediction>,
    observed: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    symptom: Option<Symptom>,
}

/// The diagnose JSON of DESIGN.md (fields only added, never renamed).
pub fn json(diagnosis: &Diagnosis) -> String {
    let request = &diagnosis.request;
    let params: Vec<Value> = request
        .params
        .iter()
        .map(|p| json!({"name": p.name, "value": p.shown_value()}))
        .collect();
    let document = JsonDiagnosis {
        provider: &diagnosis.provider,
        first_grant: &diagnosis.prediction.first_grant,
        repeat_grant: &diagnosis.prediction.repeat_grant,
        findings: &diagnosis.findings,
        fixed_url: diagnosis.fix.url.as_deref(),
        refresh_token_every_grant: diagnosis.every_grant(),
        client_type: diagnosis.client_kind,
        publishing_status: diagnosis.status,
        request: json!({"endpoint": request.endpoint, "params": params, "notes": notes_json(&request.notes)}),
        fix: &diagnosis.fix,
        refresh: diagnosis.prediction.refresh,
        limit: diagnosis.prediction.limit,
        observed: observed_json(diagnosis),
        symptom: diagnosis.symptom,
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn notes_json(notes: &[InputNote]) -> Vec<Value> {
    notes
        .iter()
        .map(|note| {
            let mut value = serde_json::to_value(note).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut value {
                map.insert("message".into(), note.describe().into());
            }
            value
        })
        .collect()
}

fn observed_json(diagnosis: &Diagnosis) -> Value {
    let har = diagnosis.observed.har.as_ref().map(|har| {
        let flows: Vec<Value> = har
            .flows
            .iter()
            .map(|f| {
                let response = f.exchange.as_ref().and_then(|t| t.response.as_ref());
                json!({
                    "authorize_entry": f.authorize_entry,
                    "started_by": f.started_by,
                    "outcome": super::observe::outcome(f).map(HappenedOutcome::label),
                    "error_page": f.error_page.as_ref().map(|p| json!({"entry": p.entry, "status": p.status, "error": p.error, "error_description": p.description})),
                    "consent_entry": f.consent_entry,
                    "consent_answer": f.consent_answer.as_ref().map(|a| json!({"entry": a.entry, "action": a.action, "scopes": a.scopes})),
                    "consent_screen": f.consent_screen,
                    "callback_entry": f.callback_entry,
                    "callback_error": f.callback_error,
                    "token_entry": f.exchange.as_ref().map(|t| t.entry),
                    "token_status": f.exchange.as_ref().map(|t| t.status),
                    "token_problem": f.exchange.as_ref().and_then(|t| t.problem.as_deref()),
                    "refresh_token": response.map(|r| r.refresh_token),
                    "token_response": response,
                })
            })
            .collect();
        let revokes: Vec<Value> =
            har.revokes.iter().map(|r| json!({"entry": r.entry, "method": r.method, "endpoint": r.endpoint, "status": r.status})).collect();
        json!({
            "entries": har.entries,
            "flows": flows,
            "refreshes": har.refreshes.iter().map(|r| json!({"entry": r.entry, "status": r.status, "token_response": r.response})).collect::<Vec<_>>(),
            "revokes": revokes,
            "problems": har.problems.iter().map(|p| json!({"entry": p.entry, "role": p.role, "problem": p.problem})).collect::<Vec<_>>(),
            "reordered": har.reordered,
            "happened": diagnosis.happened.map(HappenedOutcome::label),
        })
    });
    json!({"har": har, "token_response": diagnosis.observed.token_response})
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

fn kind_label(kind: ClientKind) -> &'static str {
    match kind {
        ClientKind::Web => "web",
        ClientKind::Installed => "installed",
    }
}

fn status_label(status: PublishingStatus) -> &'static str {
    match status {
        PublishingStatus::Production => "production",
        PublishingStatus::Testing => "testing",
    }
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
        kind_label(diagnosis.client_kind),
        status_label(diagnosis.status)
    );
    let _ = writeln!(out, "\n{}  GET {}", "Request".bold(), request.endpoint);
    let width = request.params.iter().map(|p| p.name.chars().count()).max().unwrap_or(0);
    for param in &request.params {
        let _ = writeln!(out, "  {:<width$}  {}", param.name, param.shown_value().escape_debug());
    }
    for note in &request.notes {
        let _ = writeln!(out, "  {} {}", "note:".dimmed(), note.describe().dimmed());
    }

    observed(&mut out, diagnosis);

    let _ = writeln!(
        out,
        "\n{}  provider model `{}`: a first grant, then a repeat grant by the same user",
        "Prediction".bold(),
        diagnosis.provider
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
        let token = if grant.tokens_in_redirect {
            format!("{} (tokens in the redirect)", yes_no(grant.refresh_token))
        } else {
            yes_no(grant.refresh_token).to_string()
        };
        let _ = writeln!(
            out,
            "  {:<14}{:<16}{:<15}{}",
            label,
            consent,
            pad_colored(&token, 13),
            error
        );
    }

    if let Some(symptom) = diagnosis.symptom {
        let _ = writeln!(out, "\n{}  {}", "Symptom".bold(), symptom_label(symptom));
    }
    findings_section(&mut out, &diagnosis.findings);

    fixed_url(&mut out, diagnosis);

    let _ = writeln!(out);
    let verdict = if let Some(happened) = diagnosis.happened {
        let text = match happened {
            HappenedOutcome::RefreshToken => "the HAR shows a refresh_token in the token response".to_string(),
            HappenedOutcome::NoRefreshToken => "the HAR shows a token response without refresh_token".to_string(),
            HappenedOutcome::Error => "the HAR shows the flow ending in an error".to_string(),
            HappenedOutcome::Denied => "the HAR shows the user refusing on the consent screen".to_string(),
            HappenedOutcome::Abandoned => "the HAR shows the consent screen left unanswered".to_string(),
        };
        match (diagnosis.exit_code(), diagnosis.symptom_explained()) {
            (0, _) => format!("{text} (exit 0)").green().bold().to_string(),
            (_, Some(code)) if happened == HappenedOutcome::RefreshToken => {
                format!("{text}, but {code} explains the reported symptom (exit 1)")
                    .red()
                    .bold()
                    .to_string()
            }
            _ => format!("{text} (exit 1)").red().bold().to_string(),
        }
    } else if let (true, Some(code)) = (diagnosis.every_grant(), diagnosis.symptom_explained()) {
        format!("a refresh_token comes back on every grant, but {code} explains the reported symptom (exit 1)")
            .red()
            .bold()
            .to_string()
    } else if diagnosis.every_grant() {
        "a refresh_token comes back on every grant (exit 0)"
            .green()
            .bold()
            .to_string()
    } else if diagnosis.prediction.first_grant.refresh_token {
        "no refresh_token on the repeat grant (exit 1)".red().bold().to_string()
    } else {
        "no refresh_token on any grant (exit 1)".red().bold().to_string()
    };
    let _ = writeln!(out, "{}  {verdict}", "Verdict".bold());
    // OD180 wraps another finding; point at the finding it explains
    if let Some(top) = diagnosis
        .findings
        .iter()
        .find(|f| f.code != super::Code::NoRefreshTokenExplained)
        .or(diagnosis.findings.first())
    {
        let _ = writeln!(
            out,
            "  `oauth-drift explain {}` for the history and sources of the first finding",
            top.code
        );
    }
    out
}

fn findings_section(out: &mut String, findings: &[Finding]) {
    let _ = writeln!(out, "\n{}  {}", "Findings".bold(), "ranked, causes first".dimmed());
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
        for (j, line) in wrap(&finding.fix, WIDTH - 14).iter().enumerate() {
            let label = if j == 0 { "fix:   " } else { "       " };
            let _ = writeln!(out, "      {} {line}", label.green());
        }
        for (j, line) in wrap(&finding.source, WIDTH - 14).iter().enumerate() {
            let label = if j == 0 { "source:" } else { "       " };
            let _ = writeln!(out, "      {} {}", label.dimmed(), line.dimmed());
        }
    }
}

/// The fixed URL section: the fix that keeps the app's intent, and for a request kept online
/// the labelled fix that turns it offline.
fn fixed_url(out: &mut String, diagnosis: &Diagnosis) {
    let fix = &diagnosis.fix;
    let check = |fix: &Fix| {
        let verified = fix.verified.as_ref();
        let text = match fix.goal {
            Goal::RefreshTokenEveryGrant if verified.is_some_and(|v| v.every_grant()) => {
                "verified with the model: a refresh_token on the first and the repeat grant"
            }
            Goal::NoError if verified.is_some_and(|v| v.first_grant.error.is_none()) => {
                "verified with the model: no error on the first and the repeat grant"
            }
            _ => "",
        };
        text.green().to_string()
    };
    match (&fix.url, fix.changes.is_empty()) {
        (Some(url), false) => {
            let _ = writeln!(out, "\n{}  {}", "Fixed URL".bold(), check(fix));
            if let Some(intent) = &fix.intent {
                let _ = writeln!(out, "  {}", format!("kept online: {intent}").dimmed());
            }
            let _ = writeln!(out, "  {url}");
            for change in &fix.changes {
                let _ = writeln!(out, "  - {}", change.description);
            }
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
            let _ = writeln!(out, "\n{}  {why}", "Fixed URL".bold());
        }
        (None, _) => {
            let _ = writeln!(
                out,
                "\n{}  none: {}",
                "Fixed URL".bold(),
                fix.reason.as_deref().unwrap_or_default()
            );
        }
    }
    if let Some(offline) = &fix.alternative
        && let Some(url) = &offline.url
    {
        let _ = writeln!(out, "\n{}  {}", "If you want a refresh_token".bold(), check(offline));
        let _ = writeln!(
            out,
            "  {}",
            "this asks for offline access; with prompt=consent the user sees a consent screen on every login".dimmed()
        );
        let _ = writeln!(out, "  {url}");
        for change in &offline.changes {
            let _ = writeln!(out, "  - {}", change.description);
        }
    }
}

/// The JSON for a pasted response or error page: DESIGN.md's first five keys (no grant was
/// predicted, so both grants and the fixed URL are null), then what was read.
pub fn response_json(diagnosis: &ResponseDiagnosis) -> String {
    let value = json!({
        "provider": diagnosis.provider,
        "first_grant": null,
        "repeat_grant": null,
        "findings": diagnosis.findings,
        "fixed_url": null,
        "input": diagnosis.observation,
        "symptom": diagnosis.symptom,
        "next_step": diagnosis.next_step,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
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
    match &diagnosis.observation {
        Observation::TokenResponse { response } => {
            let grant = response
                .answered_grant
                .as_deref()
                .map(|g| format!(" (answers grant_type={g})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "\n{}  token response{grant}: {}",
                "Observed".bold(),
                token_summary(response)
            );
        }
        Observation::ErrorPage { page } => {
            let _ = writeln!(
                out,
                "\n{}  {}'s error page: {} {}",
                "Observed".bold(),
                diagnosis.provider_name,
                page.status.map(|s| s.to_string()).unwrap_or_default(),
                page.error
            );
        }
    }
    if let Some(symptom) = diagnosis.symptom {
        let _ = writeln!(out, "  symptom: {}", symptom_label(symptom));
    }
    let _ = writeln!(
        out,
        "\n{}  {}",
        "Prediction".bold(),
        "none: no authorization request was given".dimmed()
    );
    findings_section(&mut out, &diagnosis.findings);
    let _ = writeln!(out, "\n{}  {}", "Next".bold(), diagnosis.next_step);
    let _ = writeln!(out);
    let verdict = if diagnosis.exit_code() == crate::exit::OK {
        "nothing here is wrong (exit 0)".green().bold().to_string()
    } else {
        "a finding explains the failure (exit 1)".red().bold().to_string()
    };
    let _ = writeln!(out, "{}  {verdict}", "Verdict".bold());
    if let Some(top) = diagnosis.findings.first() {
        let _ = writeln!(
            out,
            "  `oauth-drift explain {}` for the history and sources of the first finding",
            top.code
        );
    }
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

/// Pads text that holds color codes to a visible width.
fn pad_colored(text: &str, width: usize) -> String {
    let visible = strip_ansi(text).chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(visible) + 2))
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn observed(out: &mut String, diagnosis: &Diagnosis) {
    if let Some(har) = &diagnosis.observed.har {
        let _ = writeln!(out, "\n{}  HAR with {} entries", "Observed".bold(), har.entries);
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
        let _ = writeln!(
            out,
            "\n{}  token response: {}",
            "Observed".bold(),
            token_summary(response)
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
    let history: Vec<Value> = entry
        .history
        .iter()
        .map(|(date, event)| json!({"date": date, "event": event}))
        .collect();
    let value = json!({
        "code": entry.code,
        "name": entry.name(),
        "severity": entry.severity,
        "title": entry.title,
        "explanation": entry.explanation,
        "fix": entry.fix,
        "history": history,
        "sources": entry.sources,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
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
