//! HAR files recorded by a real headless Chromium (Playwright's HAR recorder, the system's
//! /usr/bin/chromium) through `serve --consent page` and a small app on loopback: what
//! diagnose says about each flow. The recording test makes them afresh on every run; the
//! committed fixtures under tests/fixtures/har/ are the same recordings, made by that test with
//! OAUTH_DRIFT_UPDATE_HAR_FIXTURES=1, and keep the verdicts checked without a browser.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::support::{code, oauth_drift, stderr, stdout};
use crate::serve_process::{ServeProcess, http};
use crate::support::{output_within, python_with};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/record_har.py");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/har");
const CHROMIUM: &str = "/usr/bin/chromium";
const CLIENT_ID: &str = "har.apps.googleusercontent.com";
const SECRET: &str = "fake-har-recording-secret";

/// The flows recorded against today's `google` and against `google@2015`.
const GOOGLE_CASES: &[&str] = &["spa_pkce", "spa_pkce_zip", "cancel", "untick", "error_page", "closed"];
const GOOGLE_2015_CASES: &[&str] = &["repeat_force"];

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

/// `diagnose --har FILE --format json`: the exit code and the JSON.
fn diagnose_json(har: &Path) -> (i32, Value) {
    let dir = har.parent().unwrap();
    let output = oauth_drift(dir, &["diagnose", "--har", har.to_str().unwrap(), "--format", "json"]);
    let json: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}{}", stdout(&output), stderr(&output)));
    (code(&output), json)
}

fn diagnose_human(har: &Path) -> (i32, String) {
    let output = oauth_drift(har.parent().unwrap(), &["diagnose", "--har", har.to_str().unwrap()]);
    (code(&output), stdout(&output))
}

fn codes(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn finding<'a>(json: &'a Value, wanted: &str) -> &'a Value {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == wanted)
        .unwrap_or_else(|| panic!("no {wanted} in {:?}", codes(json)))
}

/// Every code, token and secret a HAR holds (query strings, form bodies, JSON bodies).
fn secrets_in(har: &str) -> Vec<String> {
    let value: Value = serde_json::from_str(har).unwrap();
    let mut found = vec![SECRET.to_string()];
    for entry in value["log"]["entries"].as_array().unwrap() {
        let url = entry["request"]["url"].as_str().unwrap_or_default();
        if let Ok(url) = url::Url::parse(url) {
            for (k, v) in url.query_pairs() {
                if ["code", "state", "code_challenge", "request"].contains(&k.as_ref()) {
                    found.push(v.into_owned());
                }
            }
        }
        let body = entry["request"]["postData"]["text"].as_str().unwrap_or_default();
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            if ["code", "client_secret", "code_verifier"].contains(&k.as_ref()) {
                found.push(v.into_owned());
            }
        }
        if let Ok(Value::Object(body)) =
            serde_json::from_str::<Value>(entry["response"]["content"]["text"].as_str().unwrap_or_default())
        {
            for field in ["access_token", "refresh_token", "id_token"] {
                if let Some(token) = body.get(field).and_then(Value::as_str) {
                    found.push(token.to_string());
                }
            }
        }
    }
    found.retain(|s| s.len() >= 8);
    found
}

/// Writes `entries` of a recorded HAR (a filtered export, as Chrome's filter box saves it).
fn with_entries(har: &Value, keep: impl Fn(&Value) -> bool) -> Value {
    let mut out = har.clone();
    let kept: Vec<Value> = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| keep(e))
        .cloned()
        .collect();
    out["log"]["entries"] = Value::Array(kept);
    out
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The verdicts every recording must get; `dir` holds the recorded files.
fn check_verdicts(dir: &Path) {
    // a single-page app's PKCE flow: the token response is in the HAR, a refresh_token in it
    let (exit, json) = diagnose_json(&dir.join("spa_pkce.har"));
    assert_eq!(exit, 0, "{json:#}");
    let flow = &json["observed"]["har"]["flows"][0];
    assert_eq!(flow["outcome"], "refresh_token", "{flow:#}");
    assert_eq!(flow["consent_screen"], true);
    assert_eq!(json["observed"]["har"]["happened"], "refresh_token");

    // Playwright's zip: bodies (the token request's and response's too) are side files
    let (exit, json) = diagnose_json(&dir.join("spa_pkce_zip.zip"));
    assert_eq!(exit, 0, "{json:#}");
    let flow = &json["observed"]["har"]["flows"][0];
    assert_eq!(
        flow["refresh_token"], true,
        "the token request is found in the zip: {flow:#}"
    );
    assert_eq!(
        flow["token_response"]["scope"]
            .as_str()
            .map(|s| s.contains("drive.file")),
        Some(true)
    );

    // Cancel: the user's act, not the missing prompt=consent
    let (exit, json) = diagnose_json(&dir.join("cancel.har"));
    assert_eq!(exit, 1);
    assert_eq!(codes(&json)[0], "OD183", "{:?}", codes(&json));
    assert_eq!(finding(&json, "OD183")["cause"], true);
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] == "OD183" || f["code"] == "OD182" || f["cause"] == false),
        "nothing in the request is a cause: {json:#}"
    );
    let (_, human) = diagnose_human(&dir.join("cancel.har"));
    assert!(human.contains("pressed Cancel on the consent screen"), "{human}");
    assert!(
        human.contains("the user refusing on the consent screen (exit 1)"),
        "{human}"
    );

    // an unticked scope is named, with what it costs
    let (exit, json) = diagnose_json(&dir.join("untick.har"));
    assert_eq!(exit, 0, "a refresh_token came back: {json:#}");
    let declined = finding(&json, "OD184");
    let message = declined["message"].as_str().unwrap();
    assert!(
        message.contains("https://www.googleapis.com/auth/calendar.readonly") && message.contains("Google Calendar"),
        "{message}"
    );
    assert!(!message.contains("drive.file"), "drive.file was granted: {message}");

    // an error page at the authorization step is an error page, not a skipped consent screen
    let (exit, json) = diagnose_json(&dir.join("error_page.har"));
    assert_eq!(exit, 1);
    let page = finding(&json, "OD186");
    assert!(
        page["message"].as_str().unwrap().contains("400: invalid_request"),
        "{page}"
    );
    let flow = &json["observed"]["har"]["flows"][0];
    assert_eq!(flow["consent_screen"], Value::Null, "{flow:#}");
    assert_eq!(flow["error_page"]["status"], 400);
    let (_, human) = diagnose_human(&dir.join("error_page.har"));
    assert!(!human.contains("consent screen skipped"), "{human}");
    assert!(human.contains("→ error page (400 invalid_request)"), "{human}");

    // the window closed at the consent screen
    let (exit, json) = diagnose_json(&dir.join("closed.har"));
    assert_eq!(exit, 1);
    assert_eq!(codes(&json)[0], "OD185", "{:?}", codes(&json));

    // approval_prompt=force against the 2015 rules: the HAR shows refresh tokens on both
    // grants, today's model predicts none on the repeat; the HAR wins, and says which era
    let (exit, json) = diagnose_json(&dir.join("repeat_force.har"));
    assert_eq!(exit, 0, "a refresh_token came back every time: {json:#}");
    assert_eq!(codes(&json)[0], "OD182", "{:?}", codes(&json));
    let differs = finding(&json, "OD182")["message"].as_str().unwrap().to_string();
    assert!(differs.contains("the provider behaved like `google@2015`"), "{differs}");
    assert!(differs.contains("the model predicts none"), "{differs}");
    // with that era, nothing differs
    let output = oauth_drift(
        dir,
        &[
            "diagnose",
            "--har",
            "repeat_force.har",
            "--provider",
            "google@2015",
            "--format",
            "json",
        ],
    );
    let era: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(!codes(&era).contains(&"OD182".to_string()), "{:?}", codes(&era));

    // filtered exports of the untick flow: the provider's entries only, the app's only
    let untick = read_json(&dir.join("untick.har"));
    let login = untick["log"]["entries"][0]["request"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let app_origin = url::Url::parse(&login).unwrap().origin().ascii_serialization();
    let provider_only = with_entries(&untick, |e| {
        !e["request"]["url"].as_str().unwrap().starts_with(&app_origin)
    });
    let app_only = with_entries(&untick, |e| {
        e["request"]["url"].as_str().unwrap().starts_with(&app_origin)
    });
    let filtered = tempfile::tempdir().unwrap();
    for (name, har) in [("provider-only.har", &provider_only), ("app-only.har", &app_only)] {
        std::fs::write(filtered.path().join(name), serde_json::to_string(har).unwrap()).unwrap();
    }
    let (exit, json) = diagnose_json(&filtered.path().join("provider-only.har"));
    assert_eq!(exit, 0, "{json:#}");
    let flow = &json["observed"]["har"]["flows"][0];
    assert_eq!(
        flow["refresh_token"], true,
        "the consent form's redirect links the code: {flow:#}"
    );
    assert!(codes(&json).contains(&"OD184".to_string()));
    let (exit, json) = diagnose_json(&filtered.path().join("app-only.har"));
    assert_eq!(
        exit, 0,
        "the app's /login redirect carries the authorization URL: {json:#}"
    );
    assert_eq!(json["observed"]["har"]["flows"][0]["started_by"], 1);
    assert_eq!(json["request"]["params"][0]["value"], CLIENT_ID);

    // no code, token, state, challenge or secret of any recording in any output
    for name in [
        "spa_pkce.har",
        "cancel.har",
        "untick.har",
        "error_page.har",
        "closed.har",
        "repeat_force.har",
    ] {
        let har = std::fs::read_to_string(dir.join(name)).unwrap();
        let (_, human) = diagnose_human(&dir.join(name));
        let (_, json) = diagnose_json(&dir.join(name));
        let json = json.to_string();
        for secret in secrets_in(&har) {
            assert!(
                !human.contains(&secret) && !json.contains(&secret),
                "{name}: a secret from the HAR leaked into the output"
            );
        }
    }
}

#[test]
fn the_committed_browser_recordings_get_their_verdicts() {
    check_verdicts(Path::new(FIXTURES));
}

#[test]
fn a_firefox_export_out_of_time_order_pairs_the_flow_by_start_time() {
    let har = read_json(&fixture("untick.har"));
    let mut firefox = har.clone();
    firefox["log"]["creator"] = serde_json::json!({"name": "Firefox", "version": "140.0"});
    let entries = firefox["log"]["entries"].as_array_mut().unwrap();
    for entry in entries.iter_mut() {
        // Firefox writes local time with an offset
        let started: jiff::Timestamp = entry["startedDateTime"].as_str().unwrap().parse().unwrap();
        let local = started.checked_add(jiff::SignedDuration::from_hours(1)).unwrap();
        let text = local.to_string();
        entry["startedDateTime"] = Value::String(format!("{}+01:00", text.trim_end_matches('Z')));
    }
    entries.reverse();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("firefox.har");
    std::fs::write(&path, serde_json::to_string(&firefox).unwrap()).unwrap();
    let (exit, json) = diagnose_json(&path);
    assert_eq!(exit, 0, "{json:#}");
    assert_eq!(json["observed"]["har"]["reordered"], true);
    let flow = &json["observed"]["har"]["flows"][0];
    assert_eq!(flow["refresh_token"], true, "{flow:#}");
    assert!(codes(&json).contains(&"OD187".to_string()), "the reordering is said");
}

#[test]
fn a_failed_token_request_and_an_undecodable_body_are_reported_as_such() {
    let har = read_json(&fixture("spa_pkce.har"));
    let token_index = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["request"]["url"].as_str().unwrap().ends_with("/token"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Chrome: status 0 and _error
    let mut failed = har.clone();
    failed["log"]["entries"][token_index]["response"]["status"] = 0.into();
    failed["log"]["entries"][token_index]["response"]["_error"] = "net::ERR_FAILED".into();
    failed["log"]["entries"][token_index]["response"]["content"] =
        serde_json::json!({"size": 0, "mimeType": "x-unknown"});
    std::fs::write(dir.path().join("failed.har"), serde_json::to_string(&failed).unwrap()).unwrap();
    let (exit, json) = diagnose_json(&dir.path().join("failed.har"));
    assert_eq!(exit, 1, "{json:#}");
    let problem = finding(&json, "OD187")["message"].as_str().unwrap().to_string();
    assert!(
        problem.contains("net::ERR_FAILED") && problem.contains("the token request"),
        "{problem}"
    );
    let (_, human) = diagnose_human(&dir.path().join("failed.har"));
    assert!(
        human.contains("(failed: net::ERR_FAILED)") || human.contains("(net::ERR_FAILED)"),
        "{human}"
    );
    assert!(!human.contains("(0)"), "{human}");

    // Playwright: status -1
    let mut aborted = har.clone();
    aborted["log"]["entries"][token_index]["response"]["status"] = (-1).into();
    aborted["log"]["entries"][token_index]["response"]["content"] =
        serde_json::json!({"size": -1, "mimeType": "x-unknown"});
    std::fs::write(dir.path().join("aborted.har"), serde_json::to_string(&aborted).unwrap()).unwrap();
    let (exit, json) = diagnose_json(&dir.path().join("aborted.har"));
    let problem = finding(&json, "OD187")["message"].as_str().unwrap().to_string();
    assert!(problem.contains("no response (status -1)"), "{problem}");
    assert_eq!(json["observed"]["har"]["happened"], "error", "{json:#}");
    assert_eq!(exit, 1);

    // a gzip body in base64 that was cut: undecodable, not "no refresh_token"
    let mut cut = har.clone();
    cut["log"]["entries"][token_index]["response"]["content"] = serde_json::json!({"size": 300, "mimeType": "application/json", "encoding": "base64", "text": "H4sIAAAAAAAA/6tWSkxOTi0uVrJSUEpKLSpJLUpVqgUAAAD//w=="});
    std::fs::write(dir.path().join("cut.har"), serde_json::to_string(&cut).unwrap()).unwrap();
    let (exit, json) = diagnose_json(&dir.path().join("cut.har"));
    let problem = finding(&json, "OD187")["message"].as_str().unwrap().to_string();
    assert!(problem.contains("gzip that does not inflate"), "{problem}");
    assert!(
        !codes(&json).contains(&"OD180".to_string()),
        "a body not read is no missing refresh_token"
    );
    assert_eq!(json["observed"]["har"]["happened"], Value::Null);
    assert_eq!(exit, 0, "with nothing read, the prediction decides: {json:#}");

    // a whole gzip body in base64 is inflated and read
    let mut zipped = har.clone();
    let body = har["log"]["entries"][token_index]["response"]["content"]["text"]
        .as_str()
        .unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, body.as_bytes()).unwrap();
    let gz = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, encoder.finish().unwrap());
    zipped["log"]["entries"][token_index]["response"]["content"] =
        serde_json::json!({"size": body.len(), "mimeType": "application/json", "encoding": "base64", "text": gz});
    std::fs::write(dir.path().join("gz.har"), serde_json::to_string(&zipped).unwrap()).unwrap();
    let (_, json) = diagnose_json(&dir.path().join("gz.har"));
    assert_eq!(json["observed"]["har"]["flows"][0]["refresh_token"], true, "{json:#}");
}

#[test]
fn json_output_is_printed_even_when_diagnose_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cut.har"), "{\"log\": {\"entries\": [").unwrap();
    let output = oauth_drift(dir.path(), &["diagnose", "--har", "cut.har", "--format", "json"]);
    assert_eq!(code(&output), 2);
    let json: Value = serde_json::from_str(&stdout(&output)).expect("JSON on stdout");
    assert_eq!(json["error"]["exit_code"], 2);
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cut.har is truncated"),
        "{json}"
    );
    assert_eq!(json["findings"], serde_json::json!([]));
    assert!(stderr(&output).contains("cut.har is truncated"));
}

#[test]
fn a_zip_export_that_is_hostile_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // a zip without a .har inside
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer
        .start_file("notes.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut writer, b"hello").unwrap();
    std::fs::write(dir.path().join("empty.zip"), writer.finish().unwrap().into_inner()).unwrap();
    let output = oauth_drift(dir.path(), &["diagnose", "--har", "empty.zip"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("holds no .har file"), "{}", stderr(&output));
    // a side file named with a path is not followed out of the export's folder
    let mut har = read_json(&fixture("spa_pkce.har"));
    let token_index = har["log"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["request"]["url"].as_str().unwrap().ends_with("/token"))
        .unwrap();
    har["log"]["entries"][token_index]["response"]["content"] =
        serde_json::json!({"size": 10, "mimeType": "application/json", "_file": "../../etc/passwd"});
    std::fs::write(dir.path().join("escape.har"), serde_json::to_string(&har).unwrap()).unwrap();
    let (_, json) = diagnose_json(&dir.path().join("escape.har"));
    let problem = finding(&json, "OD187")["message"].as_str().unwrap().to_string();
    assert!(problem.contains("not a plain file name"), "{problem}");
}

#[tokio::test]
async fn serve_answers_cors_on_the_token_endpoint_only_as_the_profile_says() {
    let server = ServeProcess::start(&["--client-id", CLIENT_ID]);
    let http = http();
    let preflight = http
        .request(reqwest::Method::OPTIONS, format!("{}/token", server.base))
        .header("origin", "http://127.0.0.1:9")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    let header = |r: &reqwest::Response, name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(
        header(&preflight, "access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:9")
    );
    assert_eq!(
        header(&preflight, "access-control-allow-methods").as_deref(),
        Some("POST")
    );
    assert_eq!(
        header(&preflight, "access-control-allow-headers").as_deref(),
        Some("content-type")
    );
    let token = http
        .post(format!("{}/token", server.base))
        .header("origin", "http://127.0.0.1:9")
        .form(&[("grant_type", "authorization_code"), ("code", "nothing")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&token, "access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:9")
    );
    // not on the authorization endpoint, nor where the profile does not list it
    for path in ["/o/oauth2/v2/auth", "/v1/userinfo", "/revoke"] {
        let response = http
            .get(format!("{}{path}", server.base))
            .header("origin", "http://127.0.0.1:9")
            .send()
            .await
            .unwrap();
        assert_eq!(header(&response, "access-control-allow-origin"), None, "{path}");
    }
    // no Origin, no CORS headers
    let plain = http
        .post(format!("{}/token", server.base))
        .form(&[("grant_type", "authorization_code")])
        .send()
        .await
        .unwrap();
    assert_eq!(header(&plain, "access-control-allow-origin"), None);
}

/// Records every flow in headless Chromium through `serve --consent page`.
fn record(dir: &Path, python: &Path, provider: &str, authorize: &str, token: &str, cases: &[&str]) -> Vec<Value> {
    let server = ServeProcess::start_with_env(
        &[
            "--provider",
            provider,
            "--consent",
            "page",
            "--client-id",
            CLIENT_ID,
            "--client-type",
            "installed",
            "--redirect-uri",
            "http://127.0.0.1/callback",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", SECRET)],
    );
    let mut command = Command::new(python);
    command
        .arg(SCRIPT)
        .args([&server.base, authorize, token, "/v1/userinfo", CLIENT_ID, SECRET])
        .arg(dir)
        .args(cases);
    let run = output_within(command, Duration::from_secs(120));
    assert_eq!(run.code, 0, "the recorder failed:\n{}\n{}", run.stdout, run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON line per case"))
        .collect()
}

#[test]
fn real_browser_flows_are_recorded_and_diagnosed_from_what_the_browser_saw() {
    let Some(python) = python_with("playwright") else {
        return;
    };
    if !Path::new(CHROMIUM).exists() {
        assert!(!crate::support::tools_required(), "{CHROMIUM} is missing");
        eprintln!("note: no {CHROMIUM}; skipping the recording");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut pages = record(
        dir.path(),
        &python,
        "google",
        "/o/oauth2/v2/auth",
        "/token",
        GOOGLE_CASES,
    );
    pages.extend(record(
        dir.path(),
        &python,
        "google@2015",
        "/o/oauth2/auth",
        "/o/oauth2/token",
        GOOGLE_2015_CASES,
    ));
    let page = |case: &str| {
        pages
            .iter()
            .find(|p| p["case"] == case)
            .and_then(|p| p["page"].as_str())
            .unwrap_or_else(|| panic!("no page for {case}: {pages:?}"))
            .to_string()
    };
    // CORS, in a browser that enforces it: the single-page app read the token response
    // (serve answers CORS on the token endpoint) and could not read userinfo (it does not)
    let spa = page("spa_pkce");
    assert!(spa.starts_with("token 200 refresh_token=true"), "{spa}");
    assert!(spa.ends_with("userinfo=blocked"), "{spa}");
    assert_eq!(page("cancel"), "error=access_denied");
    assert!(!page("untick").contains("calendar.readonly"), "{}", page("untick"));
    assert!(
        page("error_page").contains("Error 400: invalid_request"),
        "{}",
        page("error_page")
    );
    let repeat = page("repeat_force");
    assert_eq!(repeat.matches("refresh_token=true").count(), 2, "{repeat}");

    check_verdicts(dir.path());

    if std::env::var_os("OAUTH_DRIFT_UPDATE_HAR_FIXTURES").is_some() {
        std::fs::create_dir_all(FIXTURES).unwrap();
        for case in GOOGLE_CASES.iter().chain(GOOGLE_2015_CASES) {
            let name = if case.ends_with("_zip") {
                format!("{case}.zip")
            } else {
                format!("{case}.har")
            };
            let recorded = dir.path().join(&name);
            if name.ends_with(".har") {
                let text = std::fs::read_to_string(&recorded).unwrap();
                std::fs::write(fixture(&name), defanged(&text)).unwrap();
            } else {
                std::fs::copy(&recorded, fixture(&name)).unwrap();
            }
        }
    }
}

/// The recording with a dot every 16 characters in each token serve minted in Google's shapes
/// (`ya29.…`, `1//0…`), everywhere it stands, so that no committed file looks like a real Google
/// token to a leak scanner; the flows still link, since each token changes the same way.
fn defanged(text: &str) -> String {
    let shapes = regex::Regex::new(r"(?:ya29\.|1//0)([A-Za-z0-9_-]{20,})").unwrap();
    let mut bodies: Vec<String> = shapes.captures_iter(text).map(|c| c[1].to_string()).collect();
    bodies.sort();
    bodies.dedup();
    bodies.sort_by_key(|b| std::cmp::Reverse(b.len()));
    let mut out = text.to_string();
    for body in bodies {
        let chunks: Vec<String> = body
            .as_bytes()
            .chunks(16)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        out = out.replace(&body, &chunks.join("."));
    }
    out
}

#[test]
fn a_cancel_is_not_blamed_on_the_missing_prompt_consent() {
    // the recorded Cancel, as if the app had not sent prompt=consent: OD112 still warns about
    // repeat grants, but the user's refusal is what happened
    let text = std::fs::read_to_string(fixture("cancel.har"))
        .unwrap()
        .replace("&prompt=consent", "");
    assert!(!text.contains("prompt=consent"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cancel.har"), text).unwrap();
    let (exit, json) = diagnose_json(&dir.path().join("cancel.har"));
    assert_eq!(exit, 1);
    assert_eq!(codes(&json)[0], "OD183", "{:?}", codes(&json));
    assert_eq!(finding(&json, "OD112")["cause"], false, "{json:#}");
}
