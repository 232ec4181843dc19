//! What the benchmarks share: one complete OAuth flow, checked as it goes.

mod redirect;

pub const REDIRECT: &str = "https://app.example.com/cb";
pub const CLIENT_ID: &str = "bench";
pub const CLIENT_SECRET: &str = "bench-secret";

/// What one answer weighed on the wire (besides the status line): how a bench shows that the
/// servers it compares answer alike.
#[derive(Debug, Clone, Copy, Default)]
#[allow(dead_code)] // read by model_overhead only
pub struct Answered {
    pub status: u16,
    pub headers: usize,
    /// The header lines' names and values, without `: ` and line ends.
    pub header_bytes: usize,
    pub body_bytes: usize,
}

impl Answered {
    fn of(response: &reqwest::Response, body_bytes: usize) -> Self {
        let headers = response.headers();
        Self {
            status: response.status().as_u16(),
            headers: headers.len(),
            header_bytes: headers.iter().map(|(n, v)| n.as_str().len() + v.len()).sum(),
            body_bytes,
        }
    }
}

/// One authorize → exchange → refresh flow against `base`, with `extra` authorization
/// parameters and `headers` on every request (the shared model routes by one of them).
/// Panics if the server answers wrongly, so a broken server cannot look fast. Returns what
/// each of the three answers weighed.
pub async fn flow(
    http: &reqwest::Client,
    base: &str,
    extra: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> [Answered; 3] {
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
    let authorize = Answered::of(&response, 0);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect")
        .to_string();
    let authorize = Answered {
        body_bytes: response.bytes().await.expect("a body").len(),
        ..authorize
    };
    let code = redirect::code_in(&location);
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let (body, exchanged) = post_token(http, base, &exchange, headers).await;
    let refresh_token = body["refresh_token"].as_str().expect("a refresh token").to_string();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let (body, refreshed) = post_token(http, base, &refresh, headers).await;
    assert!(body["access_token"].is_string());
    [authorize, exchanged, refreshed]
}

async fn post_token(
    http: &reqwest::Client,
    base: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> (serde_json::Value, Answered) {
    let mut request = http.post(format!("{base}/token")).form(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("token answers");
    let answered = Answered::of(&response, 0);
    let bytes = response.bytes().await.expect("a body");
    let answered = Answered {
        body_bytes: bytes.len(),
        ..answered
    };
    (serde_json::from_slice(&bytes).expect("a JSON body"), answered)
}
