//! Planted secrets appear in no output, snapshot, report or log — probe's stdout, stderr,
//! snapshots, pending snapshots, JSON, JUnit and GitHub step summary, and serve's access
//! log — even when a provider echoes them back in an error.

use std::time::Duration;

use oauth_drift::ConsentMode;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::live_support::{
    CLIENT_ID, PLANTED_SECRET, args, client_env, files_under, oauth_drift, provider, refresh_probe_args, scenario,
};

const LIMIT: Duration = Duration::from_secs(120);

/// Fails with every place a planted value shows up.
fn assert_nowhere(planted: &[&str], places: &[(String, String)]) {
    let mut leaks = Vec::new();
    for (place, text) in places {
        for secret in planted {
            if text.contains(secret) {
                leaks.push(format!("{secret} in {place}"));
            }
        }
    }
    assert!(leaks.is_empty(), "planted secrets leaked: {leaks:#?}");
}

/// A verbose probe of the seed scenario, every kind, against `issuer` as google named
/// `target`, in `format`, consent opened by curl; `outputs` adds the files it writes.
fn every_kind_probe(issuer: &str, target: &str, format: &str, outputs: &[&str]) -> Vec<String> {
    let mut list = args(&[
        "probe",
        "-v",
        &scenario(),
        "--issuer",
        issuer,
        "--provider",
        "google",
        "--target",
        target,
        "--kind",
        "discovery,authorize-params,refresh,consent",
        "--open-with",
        "curl -s -o /dev/null -L",
    ]);
    list.extend(args(outputs));
    list.extend(args(&[
        "--format",
        format,
        "--deadline",
        "10s",
        "--consent-timeout",
        "20s",
    ]));
    list
}

/// The snapshot files under `dir` as places to search, once it is asserted that a pending one
/// was written and that one of them contains `expected` (which shows `what`).
fn written_snapshots(dir: &std::path::Path, expected: &str, what: &str) -> Vec<(String, String)> {
    let written = files_under(dir);
    assert!(
        written.iter().any(|(p, _)| p.extension().is_some_and(|e| e == "new")),
        "no pending snapshot was written: {written:?}"
    );
    assert!(
        written.iter().any(|(_, text)| text.contains(expected)),
        "{what}: {written:?}"
    );
    written
        .into_iter()
        .map(|(p, text)| (p.display().to_string(), text))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_secrets_appear_in_no_output_snapshot_report_or_log() {
    let provider = provider("google", ConsentMode::Auto).await;
    let dir = tempfile::tempdir().unwrap();
    let refresh_token = provider.refresh_token("bob");
    let secrets_file = dir.path().join("client_secret.json");
    std::fs::write(
        &secrets_file,
        serde_json::json!({"installed": {"client_id": CLIENT_ID, "client_secret": PLANTED_SECRET, "redirect_uris": ["http://127.0.0.1/callback"]}}).to_string(),
    )
    .unwrap();
    let env = vec![
        (
            "OAUTH_DRIFT_CLIENT_SECRETS_FILE".to_string(),
            secrets_file.display().to_string(),
        ),
        ("OAUTH_DRIFT_REFRESH_TOKEN".to_string(), refresh_token.clone()),
    ];
    let snapshots = dir.path().join("live");
    let report_file = dir.path().join("report.json");
    let junit_file = dir.path().join("report.xml");
    let summary_file = dir.path().join("step-summary.md");
    let mut env = env;
    env.push(("GITHUB_ACTIONS".to_string(), "true".to_string()));
    env.push(("GITHUB_STEP_SUMMARY".to_string(), summary_file.display().to_string()));
    let mut places = Vec::new();
    // human and JSON, verbose, pending snapshots written, a JSON report file, every kind
    for format in ["human", "json"] {
        let outputs = [
            "--revoke",
            "--snapshots",
            &snapshots.display().to_string(),
            "--json",
            &report_file.display().to_string(),
            "--junit",
            &junit_file.display().to_string(),
        ];
        let list = every_kind_probe(&provider.base, "model", format, &outputs);
        let ran = oauth_drift(list, env.clone(), LIMIT).await;
        assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
        places.push((format!("stdout ({format})"), ran.stdout));
        places.push((format!("stderr ({format})"), ran.stderr));
        places.push((
            format!("report file ({format})"),
            std::fs::read_to_string(&report_file).unwrap(),
        ));
        places.push((
            format!("JUnit ({format})"),
            std::fs::read_to_string(&junit_file).unwrap(),
        ));
    }
    let summary = std::fs::read_to_string(&summary_file).unwrap();
    assert!(
        summary.contains("oauth-drift probe"),
        "the step summary was written: {summary}"
    );
    places.push(("step summary".to_string(), summary));
    places.extend(written_snapshots(
        &snapshots,
        "<client_secret:web>",
        "the secret was not even sent",
    ));
    assert_nowhere(&[PLANTED_SECRET, &refresh_token], &places);
}

/// A token endpoint that quotes the request's refresh token and secret back in its error.
struct Echo;

impl wiremock::Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        let get = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let description = format!(
            "Token {} is not valid for a client with secret {}",
            get("refresh_token"),
            get("client_secret")
        );
        ResponseTemplate::new(400)
            .set_body_json(serde_json::json!({"error": "invalid_grant", "error_description": description}))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_echoing_the_secrets_in_an_error_is_redacted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(Echo)
        .mount(&server)
        .await;
    let planted_token = "1//planted-refresh-token-9QmZ";
    let mut env = client_env();
    env.extend([("OAUTH_DRIFT_REFRESH_TOKEN".to_string(), planted_token.to_string())]);
    let mut places = Vec::new();
    for format in ["human", "json"] {
        let token_url = format!("{}/token", server.uri());
        let list = refresh_probe_args(&token_url, &["--target", "echo", "--no-snapshots", "--format", format]);
        let ran = oauth_drift(list, env.clone(), LIMIT).await;
        assert_eq!(ran.code, 1, "{}\n{}", ran.stdout, ran.stderr);
        assert!(
            ran.stdout
                .contains("Token <refresh_token#1> is not valid for a client with secret <client_secret:web>"),
            "{}",
            ran.stdout
        );
        places.push((format!("stdout ({format})"), ran.stdout));
        places.push((format!("stderr ({format})"), ran.stderr));
    }
    assert_nowhere(&[PLANTED_SECRET, planted_token], &places);
}

/// serve's access log names every request without its secrets: the client secret, the code,
/// the tokens, the PKCE verifier and `state` all pass through it.
#[tokio::test]
async fn serve_logs_no_planted_secret() {
    const SECRET: &str = "planted-serve-secret-8Hd2";
    let mut serve = super::serve_process::ServeProcess::start_with_env(
        &[
            "--client-id",
            "planted",
            "--client-type",
            "web",
            "--redirect-uri",
            "https://app.example.com/cb",
        ],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", SECRET)],
    );
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let verifier = "planted-verifier-0123456789-abcdefghijklmnopqrstuv";
    let state = "planted-state-77Xq";
    let authorize = format!(
        "{}/o/oauth2/v2/auth?client_id=planted&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=openid&access_type=offline&state={state}&code_challenge={verifier}&code_challenge_method=plain",
        serve.base
    );
    let location = http.get(authorize).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    let code = crate::support::redirect_param(&location, "code").expect("a code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://app.example.com/cb"),
        ("client_id", "planted"),
        ("client_secret", SECRET),
        ("code_verifier", verifier),
    ];
    let body: serde_json::Value = serde_json::from_slice(
        &http
            .post(format!("{}/token", serve.base))
            .form(&form)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    let access = body["access_token"].as_str().unwrap().to_string();
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", "planted"),
        ("client_secret", SECRET),
    ];
    assert_eq!(
        http.post(format!("{}/token", serve.base))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.post(format!("{}/revoke", serve.base))
            .form(&[("token", access.as_str())])
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // stopping the server is the only sure way to have every access-log line read
    assert!(serve.terminate().success());
    let log = serve.stderr();
    assert!(
        log.contains("/token") && log.contains("/revoke"),
        "the requests were logged: {log}"
    );
    assert_nowhere(
        &[SECRET, verifier, state, &code, &access, &refresh],
        &[("serve's access log".to_string(), log)],
    );
}

/// A refresh token with the characters encodings change (`/`, `+`, `=`).
const HOSTILE_REFRESH_TOKEN: &str = "1//0planted+refresh/token=Zq9";
/// The code the hostile provider issues, likewise.
const HOSTILE_CODE: &str = "4/0planted-code/with+chars=Qx";

/// Every form a hostile or buggy provider may echo `value` in: plain, form-encoded,
/// percent-encoded (both hex cases), base64 alone and as HTTP Basic's `client_id:value`
/// (standard and URL-safe), JSON-escaped (`\/`, and every character as `\uXXXX`).
fn echo_forms(value: &str) -> Vec<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let percent = percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string();
    let json = serde_json::to_string(value).unwrap();
    vec![
        value.to_string(),
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect(),
        lower_hex(&percent),
        percent,
        STANDARD.encode(value),
        STANDARD.encode(format!("{CLIENT_ID}:{value}")),
        URL_SAFE_NO_PAD.encode(format!("{CLIENT_ID}:{value}")),
        json[1..json.len() - 1].replace('/', "\\/"),
        value.encode_utf16().map(|u| format!("\\u{u:04x}")).collect(),
    ]
}

/// `%2f` for `%2F`.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::new();
    let mut after_percent = 0;
    for c in encoded.chars() {
        if after_percent > 0 {
            out.push(c.to_ascii_lowercase());
            after_percent -= 1;
        } else {
            out.push(c);
            if c == '%' {
                after_percent = 2;
            }
        }
    }
    out
}

/// A provider that echoes every credential it is sent (and the planted ones it "knows") back
/// in every field and every encoding: `error`, `error_description`, `scope`, unknown JSON
/// fields (names and values), a header, an HTML page, a discovery document.
#[derive(Clone, Default)]
struct Hostile {
    /// Every secret value it was sent (state, challenge, nonce, verifier).
    seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Bumped between runs so that answers change and pending snapshots are written.
    generation: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pages: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Hostile {
    fn echoes(&self, extra: &[String]) -> Vec<String> {
        let mut values = vec![PLANTED_SECRET.to_string(), HOSTILE_REFRESH_TOKEN.to_string()];
        values.extend(extra.iter().cloned());
        values.iter().flat_map(|v| echo_forms(v)).collect()
    }

    fn remember(&self, pairs: &[(String, String)]) -> Vec<String> {
        let values: Vec<String> = pairs
            .iter()
            .filter(|(k, _)| ["state", "code_challenge", "code_verifier", "nonce", "code"].contains(&k.as_str()))
            .map(|(_, v)| v.clone())
            .collect();
        self.seen.lock().unwrap().extend(values.iter().cloned());
        values
    }
}

impl wiremock::Respond for Hostile {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let host = request
            .headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let base = format!("http://{host}");
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        match request.url.path() {
            "/.well-known/openid-configuration" => {
                let mut document = serde_json::json!({
                    "issuer": base,
                    "authorization_endpoint": format!("{base}/auth"),
                    "token_endpoint": format!("{base}/token"),
                    "revocation_endpoint": format!("{base}/revoke"),
                    "response_types_supported": ["code"],
                    "scopes_supported": self.echoes(&[]),
                    "x_generation": generation,
                });
                document[PLANTED_SECRET] = serde_json::json!(self.echoes(&[]).join(" "));
                ResponseTemplate::new(200).set_body_json(document)
            }
            "/auth" => {
                let sent = self.remember(&query);
                let redirect = query.iter().find(|(k, _)| k == "redirect_uri").map(|(_, v)| v.clone());
                let redirect = redirect.unwrap_or_default();
                let state = query.iter().find(|(k, _)| k == "state").map(|(_, v)| v.clone());
                if url::Url::parse(&redirect).is_ok_and(|u| u.port().is_some()) {
                    // the consent probe's listener: a code, as a browser would bring it back
                    let mut location = url::Url::parse(&redirect).unwrap();
                    location.query_pairs_mut().append_pair("code", HOSTILE_CODE);
                    if let Some(state) = state {
                        location.query_pairs_mut().append_pair("state", &state);
                    }
                    return ResponseTemplate::new(302).insert_header("location", location.as_str());
                }
                let echoes = self.echoes(&sent);
                if self.pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 2 == 0 {
                    // in headers
                    ResponseTemplate::new(400)
                        .insert_header("x-oauth-drift-error", PLANTED_SECRET)
                        .insert_header("x-oauth-drift-error-description", echoes.join(" ").as_str())
                        .insert_header("x-echo", HOSTILE_REFRESH_TOKEN)
                        .set_body_string("no")
                } else {
                    // in an HTML page: escaped for HTML, and JSON-escaped inside it
                    let text = html_escape::encode_text(&echoes.join(" ")).into_owned();
                    let page = format!(
                        "<html><body><h1>Error 400: invalid_request</h1><p id=\"error-description\">{text}</p><script>var s=\"{}\";</script></body></html>",
                        echoes.join(" ")
                    );
                    ResponseTemplate::new(400).set_body_raw(page, "text/html")
                }
            }
            "/token" => {
                // what this request sent: the code and verifier of an exchange
                let sent = self.remember(&form);
                let echoes = self.echoes(&sent);
                let refresh = form.iter().any(|(k, v)| k == "grant_type" && v == "refresh_token");
                let mut body = serde_json::json!({
                    "error_description": echoes.join(" "),
                    "scope": format!("email {}", echoes.join(" ")),
                    "x_echo": echoes,
                    "x_generation": generation,
                });
                body[PLANTED_SECRET] = serde_json::json!(HOSTILE_REFRESH_TOKEN);
                if let Some(code) = sent.first() {
                    body[code.as_str()] = serde_json::json!(sent.join(" "));
                }
                if refresh {
                    body["access_token"] = serde_json::json!("ya29.hostile.access.token");
                    body["token_type"] = serde_json::json!("Bearer");
                    body["expires_in"] = serde_json::json!(3599);
                    body["error"] = serde_json::json!(HOSTILE_REFRESH_TOKEN);
                    ResponseTemplate::new(200)
                        .insert_header("x-echo", PLANTED_SECRET)
                        .set_body_json(body)
                } else {
                    body["error"] = serde_json::json!(HOSTILE_CODE);
                    ResponseTemplate::new(400).set_body_json(body)
                }
            }
            _ => ResponseTemplate::new(200).set_body_json(serde_json::json!({})),
        }
    }
}

/// A mock provider that answers every request as `Hostile` does; the server and its record.
async fn hostile_provider() -> (MockServer, Hostile) {
    let server = MockServer::start().await;
    let hostile = Hostile::default();
    Mock::given(wiremock::matchers::any())
        .respond_with(hostile.clone())
        .mount(&server)
        .await;
    (server, hostile)
}

/// Asserts that no echo form of any `planted` value stands in any of `places`.
fn assert_no_echo_of(planted: &[String], places: &[(String, String)]) {
    let forms: Vec<String> = planted.iter().flat_map(|v| echo_forms(v)).collect();
    let forms: Vec<&str> = forms.iter().map(String::as_str).collect();
    assert_nowhere(&forms, places);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_echoing_every_credential_in_every_encoding_leaks_none_into_any_output() {
    let (server, hostile) = hostile_provider().await;
    let dir = tempfile::tempdir().unwrap();
    let snapshots = dir.path().join("live");
    let files = ["report.json", "report.xml", "summary.md", "step-summary.md"].map(|f| dir.path().join(f));
    let mut env = client_env();
    env.extend([
        (
            "OAUTH_DRIFT_REFRESH_TOKEN".to_string(),
            HOSTILE_REFRESH_TOKEN.to_string(),
        ),
        ("GITHUB_ACTIONS".to_string(), "true".to_string()),
        ("GITHUB_STEP_SUMMARY".to_string(), files[3].display().to_string()),
    ]);
    let mut places = Vec::new();
    for format in ["human", "markdown"] {
        let outputs = [
            "--snapshots",
            &snapshots.display().to_string(),
            "--json",
            &files[0].display().to_string(),
            "--junit",
            &files[1].display().to_string(),
            "--markdown",
            &files[2].display().to_string(),
        ];
        let list = every_kind_probe(&server.uri(), "hostile", format, &outputs);
        let ran = oauth_drift(list, env.clone(), LIMIT).await;
        assert!(
            ran.stdout.contains("authorize-params") && ran.stdout.contains("consent"),
            "the probes ran: {}\n{}",
            ran.stdout,
            ran.stderr
        );
        places.push((format!("stdout ({format})"), ran.stdout));
        places.push((format!("stderr ({format})"), ran.stderr));
        for file in &files[..3] {
            places.push((
                format!("{} ({format})", file.display()),
                std::fs::read_to_string(file).unwrap(),
            ));
        }
        hostile.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    places.push(("step summary".to_string(), std::fs::read_to_string(&files[3]).unwrap()));
    places.extend(written_snapshots(
        &snapshots,
        "<code_verifier#",
        "the consent probe exchanged a code",
    ));
    let seen = hostile.seen.lock().unwrap().clone();
    assert!(
        seen.len() >= 4,
        "the provider saw states, challenges and verifiers: {seen:?}"
    );
    let mut planted = vec![
        PLANTED_SECRET.to_string(),
        HOSTILE_REFRESH_TOKEN.to_string(),
        HOSTILE_CODE.to_string(),
    ];
    planted.extend(seen);
    assert_no_echo_of(&planted, &places);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_refresh_token_against_an_echoing_provider_prints_no_credential() {
    let (server, hostile) = hostile_provider().await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("refresh_token.txt");
    let env = client_env();
    let list = args(&[
        "probe",
        "--issuer",
        &server.uri(),
        "--provider",
        "google",
        "--get-refresh-token",
        &token_file.display().to_string(),
        "--open-with",
        "curl -s -o /dev/null -L",
        "--consent-timeout",
        "20s",
        "--deadline",
        "10s",
    ]);
    let ran = oauth_drift(list, env, LIMIT).await;
    assert!(
        ran.stderr.contains("the code exchange failed"),
        "{}\n{}",
        ran.stdout,
        ran.stderr
    );
    let mut planted = vec![PLANTED_SECRET.to_string(), HOSTILE_CODE.to_string()];
    planted.extend(hostile.seen.lock().unwrap().iter().cloned());
    assert_no_echo_of(
        &planted,
        &[("stdout".to_string(), ran.stdout), ("stderr".to_string(), ran.stderr)],
    );
}
