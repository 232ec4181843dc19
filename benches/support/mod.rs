//! What the benchmarks share: one complete OAuth flow, checked as it goes.

pub const REDIRECT: &str = "https://app.example.com/cb";
pub const CLIENT_ID: &str = "bench";
pub const CLIENT_SECRET: &str = "bench-secret";

/// One authorize → exchange → refresh flow against `base`, with `extra` authorization
/// parameters and `headers` on every request (the shared model routes by one of them).
/// Panics if the server answers wrongly, so a broken server cannot look fast.
pub async fn flow(http: &reqwest::Client, base: &str, extra: &[(&str, &str)], headers: &[(&str, &str)]) {
    let mut url = url::Url::parse(&format!("{base}/o/oauth2/v2/auth")).expect("a base URL");
    url.query_pairs_mut()
        .extend_pairs([
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("access_type", "offline"),
            ("state", "s"),
        ])
        .extend_pairs(extra);
    let mut request = http.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("authorize answers");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_string();
    // the code comes back in the redirect's query (a code flow)
    let code = url::Url::parse(&location)
        .expect("an absolute redirect")
        .query_pairs()
        .find_map(|(key, value)| (key == "code").then(|| value.into_owned()))
        .expect("a code");
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let body = post_token(http, base, &exchange, headers).await;
    let refresh_token = body["refresh_token"].as_str().expect("a refresh token").to_string();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    assert!(post_token(http, base, &refresh, headers).await["access_token"].is_string());
}

async fn post_token(
    http: &reqwest::Client,
    base: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> serde_json::Value {
    let mut request = http.post(format!("{base}/token")).form(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let bytes = request
        .send()
        .await
        .expect("token answers")
        .bytes()
        .await
        .expect("a body");
    serde_json::from_slice(&bytes).expect("a JSON body")
}
