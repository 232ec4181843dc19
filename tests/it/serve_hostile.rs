//! `serve` against hostile clients on loopback: guessed tokens, forged Host headers, huge
//! requests, slow connections, cross-site admin calls. Each test is bounded in requests and
//! in time, and each guards one finding of the security review (issue 9).

use std::time::Duration;

/// How long a test waits for any one answer.
const BOUND: Duration = Duration::from_secs(20);

use serde_json::Value;

use crate::serve_process::{ServeProcess, http, json};
use crate::support::run_to_end;

const CLIENT: &str = "hostile-app";
const SECRET: &str = "hostile-secret";
const REDIRECT: &str = "https://app.example/cb";

/// A serve with one web client, `CLIENT`, plus `extra` flags.
fn start(extra: &[&str]) -> ServeProcess {
    let mut args = vec![
        "--client-id",
        CLIENT,
        "--client-type",
        "web",
        "--redirect-uri",
        REDIRECT,
    ];
    args.extend_from_slice(extra);
    ServeProcess::start_with_env(&args, &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", SECRET)])
}

/// The authorization URL for `user` with `extra` parameters.
fn authorize_url(base: &str, user: &str, extra: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(&format!("{base}/o/oauth2/v2/auth")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("access_type", "offline"),
        ("prompt", "consent"),
        ("login_hint", user),
    ]);
    url.query_pairs_mut().extend_pairs(extra);
    url.to_string()
}

/// The form that redeems `code` for `CLIENT` at the token endpoint, then `extra` fields.
fn code_form<'a>(code: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT),
        ("client_secret", SECRET),
    ];
    form.extend_from_slice(extra);
    form
}

/// One authorize + exchange; the token response.
async fn flow(http: &reqwest::Client, base: &str, user: &str) -> Value {
    let response = http.get(authorize_url(base, user, &[])).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let code = crate::support::redirect_param(&location, "code").expect("a code");
    let response = post_token(http, base, &code_form(&code, &[])).await;
    assert_eq!(response.status().as_u16(), 200);
    let mut body = json(response).await;
    body["code"] = code.into();
    body
}

/// POSTs `form` to the token endpoint.
async fn post_token(http: &reqwest::Client, base: &str, form: &[(&str, &str)]) -> reqwest::Response {
    http.post(format!("{base}/token")).form(form).send().await.unwrap()
}

/// The status of the token endpoint's answer to a refresh with `refresh_token`.
async fn refresh_status(http: &reqwest::Client, base: &str, refresh_token: &str) -> u16 {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", CLIENT),
        ("client_secret", SECRET),
    ];
    post_token(http, base, &form).await.status().as_u16()
}

/// The status of the userinfo endpoint's answer to `access_token`.
async fn userinfo_status(http: &reqwest::Client, base: &str, access_token: &str) -> u16 {
    let response = http
        .get(format!("{base}/v1/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// Every variant of `token` a guesser would try: each run of digits moved by up to ±20.
fn guesses(token: &str) -> Vec<String> {
    let bytes = token.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let Ok(n) = token[start..i].parse::<i64>() else {
            continue;
        };
        for delta in (-20..=20).filter(|d| *d != 0) {
            if n + delta >= 0 {
                out.push(format!("{}{}{}", &token[..start], n + delta, &token[i..]));
            }
        }
    }
    out
}

#[tokio::test]
async fn a_client_holding_its_own_tokens_guesses_no_one_elses() {
    let server = start(&["--quiet"]);
    let http = http();
    let mut tokens = Vec::new();
    for user in ["victim1", "victim2", "victim3", "attacker"] {
        tokens.push(flow(&http, &server.base, user).await);
    }
    let mine = &tokens[3];
    // the attack: tweak the numbers in my access and refresh tokens
    let mut tried = 0;
    for guess in guesses(mine["access_token"].as_str().unwrap()) {
        let status = userinfo_status(&http, &server.base, &guess).await;
        assert_ne!(status, 200, "a guessed access token works");
        tried += 1;
    }
    for guess in guesses(mine["refresh_token"].as_str().unwrap()) {
        let status = refresh_status(&http, &server.base, &guess).await;
        assert_ne!(status, 200, "a guessed refresh token works");
        tried += 1;
    }
    assert!(tried > 0, "the guesser had something to tweak");
    // Google's shapes, nothing shared but the prefix
    for (field, prefix) in [("code", "4/0A"), ("access_token", "ya29."), ("refresh_token", "1//0")] {
        let values: Vec<&str> = tokens.iter().map(|t| t[field].as_str().unwrap()).collect();
        for value in &values {
            assert!(value.starts_with(prefix), "{field} {value}");
            assert!(
                value.len() >= prefix.len() + 43,
                "{field} carries at least 256 random bits"
            );
        }
        for (i, a) in values.iter().enumerate() {
            for b in &values[i + 1..] {
                let common = longest_common_substring(&a[prefix.len()..], &b[prefix.len()..]);
                assert!(common < 12, "two {field}s share {common} characters: {a} {b}");
            }
        }
    }
}

fn longest_common_substring(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut best = 0;
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut previous = 0;
        for (j, y) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if x == y { previous + 1 } else { 0 };
            best = best.max(row[j + 1]);
            previous = current;
        }
    }
    best
}

/// Sends `request` as raw bytes on a new connection and returns the whole answer (the request
/// should say `Connection: close`).
async fn raw(base: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(BOUND, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "no answer within {BOUND:?}");
    String::from_utf8_lossy(&answer).into_owned()
}

async fn grant_count(http: &reqwest::Client, base: &str) -> usize {
    let grants = json(http.get(format!("{base}/_oauth-drift/grants")).send().await.unwrap()).await;
    grants["grants"].as_array().unwrap().len()
}

#[tokio::test]
async fn the_host_header_never_changes_routing_and_discovery_follows_only_a_plain_host() {
    let mut server = start(&[]);
    let http = http();
    flow(&http, &server.base, "kept").await;
    assert_eq!(grant_count(&http, &server.base).await, 1);

    let forged = "POST /token HTTP/1.1\r\nHost: x/_oauth-drift/reset?\r\n\
                  Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let answer = raw(&server.base, forged).await;
    assert!(
        answer.contains("Missing required parameter: grant_type"),
        "the token endpoint answered:\n{answer}"
    );
    assert_eq!(
        grant_count(&http, &server.base).await,
        1,
        "the forged Host reset the server"
    );

    let discovery = |host: &str| {
        format!("GET /.well-known/openid-configuration HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    };
    let answer = raw(&server.base, &discovery("app.test:8443")).await;
    assert!(
        answer.contains("\"token_endpoint\":\"http://app.test:8443/token\""),
        "{answer}"
    );
    for forged in ["evil.test/x?", "user@evil.test", "evil.test#"] {
        let answer = raw(&server.base, &discovery(forged)).await;
        assert!(
            answer.contains(&format!("\"token_endpoint\":\"{}/token\"", server.base)),
            "Host {forged}: {answer}"
        );
    }
    assert!(server.terminate().success());
    let log = server.stderr();
    assert!(
        log.contains("POST /token -> 400"),
        "the access log names the real path:\n{log}"
    );
    assert!(!log.contains("/_oauth-drift/reset"), "{log}");
}

/// Resident memory of a process in KiB (Linux).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).expect("a VmRSS line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The `n`th hostile authorization URL, about 60 KB long: one huge value, in turn in each
/// parameter the model keeps (and in an unknown one, and in a parameter name).
fn huge_url(base: &str, n: usize) -> String {
    let big = |c: char| std::iter::repeat_n(c, 60 * 1024).collect::<String>();
    let user = format!("user{n}");
    // distinct scopes, the costliest to keep; the http crate takes URLs up to 64 KiB, so just under
    let scopes: String = (0..10_400).map(|i| format!("s{i} ")).collect();
    let extra: Vec<(String, String)> = match n % 8 {
        0 => vec![("state".into(), big('s'))],
        1 => vec![("nonce".into(), big('n'))],
        2 => vec![("login_hint".into(), big('l'))],
        3 => vec![("scope".into(), scopes)],
        4 => vec![("code_challenge".into(), big('c'))],
        5 => vec![("unknown_param".into(), big('u'))],
        6 => vec![(big('k'), "v".into())],
        _ => vec![("state".into(), "s".into()), ("nonce".into(), big('x'))],
    };
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut url = authorize_url(base, &user, &[]);
    // the base URL has a scope already; a second `scope` is not read, so replace it
    if n % 8 == 3 {
        url = url.replace("scope=openid+email", "x=y");
    }
    let mut url = url::Url::parse(&url).unwrap();
    url.query_pairs_mut().extend_pairs(extra);
    url.to_string()
}

/// Sends the 300 hostile requests, eight at a time; each must be a 400.
async fn hammer(base: &str) {
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let base = base.to_string();
        tasks.spawn(async move {
            let http = http();
            for n in (worker..300).step_by(8) {
                let url = huge_url(&base, n);
                assert!(url.len() > 60 * 1024, "{}", url.len());
                let response = http.get(url).send().await.unwrap();
                let status = response.status().as_u16();
                let error = response
                    .headers()
                    .get("x-oauth-drift-error-description")
                    .map(|v| v.to_str().unwrap_or_default().to_string());
                let body = response.bytes().await.unwrap();
                assert_eq!(status, 400, "request {n} was taken ({} bytes of answer)", body.len());
                assert!(body.len() < 4096, "request {n}: the error page echoes the request");
                let error = error.unwrap_or_default();
                assert!(error.contains("Invalid parameter value for"), "request {n}: {error}");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

#[tokio::test]
async fn three_hundred_sixty_kilobyte_authorization_requests_leave_serve_small() {
    let server = start(&["--quiet"]);
    let http = http();
    for n in 0..8 {
        flow(&http, &server.base, &format!("warm{n}")).await;
    }
    let before = rss_kib(server.pid());
    hammer(&server.base).await;
    let after = rss_kib(server.pid());
    assert!(
        after < before + 50 * 1024,
        "300 requests of 60 KB grew serve from {before} KiB to {after} KiB"
    );
    // and it still serves
    flow(&http, &server.base, "after").await;
}

#[tokio::test]
async fn the_consent_page_stays_small_and_so_does_serve_under_huge_requests() {
    let server = start(&["--quiet", "--consent", "page"]);
    let http = http();
    let before = rss_kib(server.pid());
    hammer(&server.base).await;
    // requests at the limits are taken: each answer is a consent page of bounded size
    let scopes: Vec<String> = (0..49)
        .map(|i| format!("https://www.googleapis.com/auth/s{i}"))
        .collect();
    let scope = format!("openid {}", scopes.join(" "));
    let near = std::iter::repeat_n('"', 4000).collect::<String>();
    let mut largest = 0;
    for n in 0..50 {
        let user = format!("page{n}");
        let mut url = url::Url::parse(&authorize_url(&server.base, &user, &[])).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let value = if k == "scope" { scope.clone() } else { v.into_owned() };
                (k.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair("state", &near)
            .append_pair("nonce", &near);
        let response = http.get(url).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["x-frame-options"], "DENY", "the consent page cannot be framed");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{csp}"
        );
        let page = response.bytes().await.unwrap();
        largest = largest.max(page.len());
    }
    assert!(largest < 64 * 1024, "a consent page of {largest} bytes");
    let after = rss_kib(server.pid());
    assert!(
        after < before + 50 * 1024,
        "300 requests of 60 KB and 50 pending consent screens grew serve from {before} KiB to {after} KiB"
    );
}

#[tokio::test]
async fn pkce_challenges_and_verifiers_outside_43_to_128_characters_are_refused() {
    let server = start(&["--quiet"]);
    let http = http();
    let status_of = |challenge: String, method: &'static str| {
        let url = authorize_url(
            &server.base,
            "pkce",
            &[
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", method),
            ],
        );
        let http = http.clone();
        async move {
            let response = http.get(url).send().await.unwrap();
            (response.status().as_u16(), response.headers().get("location").cloned())
        }
    };
    assert_eq!(status_of("c".repeat(42), "plain").await.0, 400);
    assert_eq!(status_of("c".repeat(129), "plain").await.0, 400);
    assert_eq!(status_of("c".repeat(43), "plain").await.0, 302);
    // a 200-character verifier hashes to a 43-character challenge: refused at the token endpoint
    let verifier = "v".repeat(200);
    let (status, location) = status_of(crate::support::s256_challenge(&verifier), "S256").await;
    assert_eq!(status, 302);
    let code = crate::support::redirect_param(location.unwrap().to_str().unwrap(), "code").unwrap();
    let form = code_form(&code, &[("code_verifier", verifier.as_str())]);
    let response = post_token(&http, &server.base, &form).await;
    assert_eq!(response.status().as_u16(), 400);
    let body = json(response).await;
    assert_eq!(body["error_description"], "Invalid code verifier.", "{body}");
}

/// An admin request with an optional bearer token, extra headers and a body.
async fn admin(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<(&str, String)>,
) -> (u16, String) {
    let mut request = http().request(method, format!("{base}/_oauth-drift{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some((mime, body)) = body {
        request = request.header("content-type", mime).body(body);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// An admin POST of `body` as `mime`, with no token and no extra headers.
async fn admin_post(base: &str, path: &str, mime: &str, body: String) -> (u16, String) {
    admin(base, reqwest::Method::POST, path, None, &[], Some((mime, body))).await
}

fn client_json(id: &str, redirect: &str) -> String {
    serde_json::json!({"client_id": id, "client_secret": "s", "redirect_uris": [redirect]}).to_string()
}

#[tokio::test]
async fn with_allow_remote_the_admin_endpoints_need_the_printed_token() {
    use reqwest::Method;
    let server = start(&["--allow-remote"]);
    let line = (0..100)
        .find_map(|_| {
            let log = server.stderr();
            let found = log.lines().find_map(|l| {
                l.split_once("admin token (Authorization: Bearer): ")
                    .map(|(_, t)| t.to_string())
            });
            if found.is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
            found
        })
        .expect("serve prints a generated admin token on stderr");
    let token = line.trim();
    assert!(token.len() >= 32, "a token worth guessing: {token}");
    let base = &server.base;
    for path in ["/grants", "/clients", "/clock", "/health"] {
        let (status, body) = admin(base, Method::GET, path, None, &[], None).await;
        assert_eq!(status, 401, "{path} without the token: {body}");
        let (status, _) = admin(base, Method::GET, path, Some("wrong"), &[], None).await;
        assert_eq!(status, 401, "{path} with a wrong token");
        let (status, _) = admin(base, Method::GET, path, Some(token), &[], None).await;
        assert_eq!(status, 200, "{path} with the token");
    }
    let (status, _) = admin(base, Method::POST, "/reset", None, &[], None).await;
    assert_eq!(status, 401);
    // the consent form is the user's, answered by its request id, not by the operator's token
    let (status, body) = admin_post(
        base,
        "/consent",
        "application/x-www-form-urlencoded",
        "request=nope&action=allow".into(),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // and the token from the environment
    let server = ServeProcess::start_with_env(
        &["--allow-remote", "--quiet"],
        &[("OAUTH_DRIFT_ADMIN_TOKEN", "env-admin-token-123")],
    );
    assert!(
        !server.stderr().contains("env-admin-token-123"),
        "a token the user set is not printed"
    );
    let (status, _) = admin(
        &server.base,
        Method::GET,
        "/grants",
        Some("env-admin-token-123"),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = admin(&server.base, Method::GET, "/grants", None, &[], None).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn registering_a_client_takes_only_json_never_replaces_silently_and_refuses_script_redirects() {
    use reqwest::Method;
    let server = start(&["--quiet"]);
    let base = &server.base;
    let redirect_of = |clients: &str, id: &str| -> Option<String> {
        let list: Value = serde_json::from_str(clients).unwrap();
        list["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == id)
            .map(|c| c["redirect_uris"][0].as_str().unwrap().to_string())
    };
    // CSRF: what a web page can send without a preflight
    for mime in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let body = client_json("csrf-app", "https://evil.example/cb");
        let (status, answer) = admin_post(base, "/clients", mime, body).await;
        assert_eq!(status, 415, "{mime}: {answer}");
    }
    let (_, clients) = admin(base, Method::GET, "/clients", None, &[], None).await;
    assert_eq!(redirect_of(&clients, "csrf-app"), None);

    // taking over an existing client's redirect URI needs ?replace=true
    let steal = client_json(CLIENT, "https://evil.example/cb");
    let (status, _) = admin_post(base, "/clients", "application/json", steal.clone()).await;
    assert_eq!(status, 409);
    let (_, clients) = admin(base, Method::GET, "/clients", None, &[], None).await;
    assert_eq!(redirect_of(&clients, CLIENT).as_deref(), Some(REDIRECT));
    let (status, _) = admin_post(base, "/clients?replace=true", "application/json", steal).await;
    assert_eq!(status, 201);

    for bad in [
        "javascript:alert(document.domain)//",
        "data:text/html,<script>alert(1)</script>",
        "https://app.example/cb#frag",
    ] {
        let body = client_json("script-app", bad);
        let (status, answer) = admin_post(base, "/clients", "application/json; charset=utf-8", body).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    let body = client_json("fine-app", "https://fine.example/cb");
    let (status, _) = admin_post(base, "/clients", "application/json; charset=utf-8", body).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_web_page_cannot_reach_the_admin_endpoints_even_through_dns_rebinding() {
    use reqwest::Method;
    let server = start(&["--quiet"]);
    let http = http();
    flow(&http, &server.base, "kept").await;
    // a cross-site POST, told by either header
    for header in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let (status, _) = admin(&server.base, Method::POST, "/reset", None, &[header], None).await;
        assert_eq!(status, 403, "a cross-site POST ({header:?})");
    }
    let port = server.base.rsplit(':').next().unwrap();
    let rebound =
        format!("GET /_oauth-drift/grants HTTP/1.1\r\nHost: evil.example:{port}\r\nConnection: close\r\n\r\n");
    let answer = raw(&server.base, &rebound).await;
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "a request for another host name: {answer}"
    );
    assert_eq!(grant_count(&http, &server.base).await, 1, "nothing was reset");
}

#[tokio::test]
async fn the_access_log_shows_no_client_assertion_and_no_login_hint() {
    let mut server = start(&[]);
    let http = http();
    flow(&http, &server.base, "hint-person-7q").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "4/0Anope"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", "eyJhbGciOi.assertion-body-9z.signature-3x"),
    ];
    post_token(&http, &server.base, &form).await;
    assert!(server.terminate().success());
    let log = server.stderr();
    for value in ["hint-person-7q", "assertion-body-9z", "signature-3x"] {
        assert!(!log.contains(value), "the access log shows {value}:\n{log}");
    }
    assert!(
        log.contains("login_hint=[redacted]") && log.contains("client_assertion=[redacted]"),
        "{log}"
    );
}

#[tokio::test]
async fn advancing_the_admin_clock_by_the_largest_number_saturates_instead_of_crashing() {
    use reqwest::Method;
    let server = start(&["--quiet"]);
    let http = http();
    flow(&http, &server.base, "before").await;
    for _ in 0..2 {
        let (status, body) = admin(
            &server.base,
            Method::POST,
            "/clock/advance?seconds=18446744073709551615",
            None,
            &[],
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = admin(&server.base, Method::GET, "/clock", None, &[], None).await;
    assert_eq!(status, 200);
    let clock: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(clock["now"], u64::MAX, "{clock}");
    // the server still answers whole flows at the end of time
    flow(&http, &server.base, "after").await;
}

#[test]
fn a_profile_duration_out_of_range_is_a_located_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acme.yaml");
    std::fs::write(
        &file,
        "extends: google\nname: acme\ntokens:\n  access_token_expires_in: 99999999999999\n",
    )
    .unwrap();
    let (code, stderr) = run_to_end(&[
        "--color",
        "never",
        "providers",
        "--profile-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("acme line 4") && stderr.contains("tokens.access_token_expires_in is 99999999999999"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_installed_clients_loopback_redirect_may_change_only_its_port() {
    let server = ServeProcess::start_with_env(
        &["--quiet", "--client-id", "desktop", "--client-type", "installed"],
        &[("OAUTH_DRIFT_SERVE_CLIENT_SECRET", SECRET)],
    );
    let http = http();
    let status_for = |redirect: &'static str| {
        let mut url = url::Url::parse(&format!("{}/o/oauth2/v2/auth", server.base)).unwrap();
        url.query_pairs_mut().extend_pairs([
            ("client_id", "desktop"),
            ("redirect_uri", redirect),
            ("response_type", "code"),
            ("scope", "openid"),
        ]);
        let http = http.clone();
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    };
    // registered: http://localhost (what the Console gives a desktop client)
    assert_eq!(status_for("http://localhost:8085/").await, 302, "another port is fine");
    assert_eq!(status_for("http://localhost/").await, 302);
    for refused in [
        "http://evil@localhost:8085/",
        "http://user:pass@localhost:8085/",
        "http://localhost:8085/#fragment",
        "http://localhost:8085/other/path",
        "http://localhost:8085/?next=https://evil.example",
        "https://localhost:8085/",
    ] {
        assert_eq!(status_for(refused).await, 400, "{refused}");
    }
}

#[tokio::test]
async fn a_replayed_code_revokes_the_tokens_its_first_redemption_issued() {
    let server = start(&["--quiet"]);
    let http = http();
    let first = flow(&http, &server.base, "replayed").await;
    let form = code_form(first["code"].as_str().unwrap(), &[]);
    let response = post_token(&http, &server.base, &form).await;
    assert_eq!(response.status().as_u16(), 400, "the second redemption fails");
    let access_token = first["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(&http, &server.base, access_token).await,
        401,
        "the first redemption's access token is revoked"
    );
    let refresh_token = first["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh_status(&http, &server.base, refresh_token).await,
        400,
        "and its refresh token"
    );
}

/// Open sockets of a process (Linux): its file descriptors that are sockets.
fn sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc is readable")
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

/// Waits (bounded) until the server closes `stream`; whether it did.
async fn closed_by_server(stream: &mut tokio::net::TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(BOUND, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // an answer (a 408 or the like) before the close
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn slow_and_silent_connections_are_closed_and_capped() {
    use tokio::io::AsyncWriteExt;
    let server = start(&[
        "--quiet",
        "--header-read-timeout",
        "1",
        "--idle-timeout",
        "2",
        "--max-connections",
        "50",
    ]);
    let address = server.base.trim_start_matches("http://").to_string();
    // 200 clients: silent ones, and ones that stop in the middle of their headers
    let mut slow = Vec::new();
    for n in 0..200 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        if n % 2 == 0 {
            stream
                .write_all(b"GET /_oauth-drift/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .await
                .unwrap();
        }
        slow.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = sockets(server.pid());
    assert!(held <= 50 + 5, "serve holds {held} sockets with --max-connections 50");
    // every one of them is closed by the server, within the bound
    let mut tasks = tokio::task::JoinSet::new();
    for mut stream in slow {
        tasks.spawn(async move { closed_by_server(&mut stream).await });
    }
    while let Some(closed) = tasks.join_next().await {
        assert!(closed.unwrap(), "a slow connection stayed open past {BOUND:?}");
    }
    // a request whose body never finishes: the idle timeout closes it
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=")
        .await
        .unwrap();
    assert!(
        closed_by_server(&mut stream).await,
        "a stalled body kept its connection open"
    );
    // and serve still serves
    flow(&http(), &server.base, "after-slowloris").await;
}
