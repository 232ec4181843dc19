//! Records real HTTP exchanges with the in-process model as a HAR 1.2 file, the way a
//! browser's dev tools export them: every request sent and every response received, with
//! headers and bodies, no redirect followed automatically.

use std::sync::Arc;
use std::time::Duration;

use oauth_drift::{CONSENT_HEADER, ModelServer, USER_HEADER};
use oauth_drift::{ClientConfig, ClientKind, Engine, Profile, PublishingStatus, Registry};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One recorded response, as the test needs it.
pub struct Recorded {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// A model, an app that receives the callback, and the HAR of everything in between.
pub struct Browser {
    http: reqwest::Client,
    entries: Vec<Value>,
    pub model: ModelServer,
    _app: MockServer,
    pub client: ClientConfig,
    /// The profile's token and revocation paths.
    token: String,
    revoke: String,
}

impl Browser {
    /// A `provider` model with one client whose redirect URI is a real loopback app server.
    pub async fn start(provider: &str, status: PublishingStatus) -> Self {
        Self::start_on(Registry::builtin().load(provider).expect("profile loads"), status).await
    }

    /// The same on any profile (one loaded from a file).
    pub async fn start_on(profile: Profile, status: PublishingStatus) -> Self {
        let app = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>signed in</html>"))
            .mount(&app)
            .await;
        let client = ClientConfig {
            client_id: "424242-har.apps.googleusercontent.com".into(),
            client_secret: "fake-har-fixture-secret-9f8e7d".into(),
            kind: ClientKind::Web,
            status,
            redirect_uris: vec![format!("{}/oauth2/callback", app.uri())],
            project: None,
            created: None,
        };
        let (token, revoke) = (profile.endpoints.token.clone(), profile.endpoints.revoke.clone());
        let model = ModelServer::start(Engine::new(Arc::new(profile), [client.clone()])).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http client");
        Self {
            http,
            entries: Vec::new(),
            model,
            _app: app,
            client,
            token,
            revoke,
        }
    }

    /// The authorization URL for these parameters (client_id and redirect_uri added first).
    pub fn authorize_url(&self, path: &str, params: &[(&str, &str)]) -> String {
        let mut url = url::Url::parse(&format!("{}{path}", self.model.uri())).expect("model URL");
        url.query_pairs_mut()
            .append_pair("client_id", &self.client.client_id)
            .append_pair("redirect_uri", &self.client.redirect_uris[0])
            .extend_pairs(params);
        url.to_string()
    }

    /// A whole front channel: the authorization request, then the browser following the
    /// redirect to the app. Returns the code, if one came back.
    pub async fn sign_in(&mut self, url: &str) -> Option<String> {
        let response = self
            .get(url, &[(USER_HEADER, "alice"), (CONSENT_HEADER, "grant")])
            .await;
        let location = response.location?;
        self.get(&location, &[]).await;
        crate::support::redirect_param(&location, "code")
    }

    /// Exchanges a code like a single-page app would (the request is visible in the HAR).
    pub async fn exchange(&mut self, code: &str) -> Value {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.client.redirect_uris[0].as_str()),
            ("client_id", self.client.client_id.as_str()),
            ("client_secret", self.client.client_secret.as_str()),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let recorded = self.post_form(&self.token.clone(), &form).await;
        serde_json::from_str(&recorded.body).expect("token response is JSON")
    }

    pub async fn refresh(&mut self, refresh_token: &str) -> Value {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.client.client_id.as_str()),
            ("client_secret", self.client.client_secret.as_str()),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let recorded = self.post_form(&self.token.clone(), &form).await;
        serde_json::from_str(&recorded.body).expect("token response is JSON")
    }

    /// GET on the revocation endpoint (what old code does).
    pub async fn revoke_with_get(&mut self, token: &str) -> u16 {
        let mut url = url::Url::parse(&format!("{}{}", self.model.uri(), self.revoke)).expect("URL");
        url.query_pairs_mut().append_pair("token", token);
        self.get(url.as_str(), &[]).await.status
    }

    pub async fn get(&mut self, url: &str, headers: &[(&str, &str)]) -> Recorded {
        let mut request = self.http.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.build().expect("request builds");
        self.send(request).await
    }

    pub async fn post_form(&mut self, path: &str, form: &[(String, String)]) -> Recorded {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self
            .http
            .post(format!("{}{path}", self.model.uri()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .build()
            .expect("request builds");
        self.send(request).await
    }

    async fn send(&mut self, request: reqwest::Request) -> Recorded {
        let method = request.method().to_string();
        let url = request.url().clone();
        let request_headers: Vec<Value> = request
            .headers()
            .iter()
            .map(|(k, v)| json!({"name": k.as_str(), "value": v.to_str().unwrap_or_default()}))
            .collect();
        let post_body = request
            .body()
            .and_then(|b| b.as_bytes())
            .map(|b| String::from_utf8_lossy(b).into_owned());
        let response = self.http.execute(request).await.expect("the model answers");
        let status = response.status();
        let headers: Vec<Value> = response
            .headers()
            .iter()
            .map(|(k, v)| json!({"name": k.as_str(), "value": v.to_str().unwrap_or_default()}))
            .collect();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mime = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response.text().await.expect("body");
        let query: Vec<Value> = url.query_pairs().map(|(k, v)| json!({"name": k, "value": v})).collect();
        let mut request_json = json!({
            "method": method,
            "url": url.as_str(),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": request_headers,
            "queryString": query,
            "headersSize": -1,
            "bodySize": post_body.as_ref().map(|b| b.len() as i64).unwrap_or(0),
        });
        if let Some(text) = &post_body {
            let params: Vec<Value> = url::form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect();
            request_json["postData"] =
                json!({"mimeType": "application/x-www-form-urlencoded", "text": text, "params": params});
        }
        self.entries.push(json!({
            "startedDateTime": format!("2026-01-01T00:00:{:02}.000Z", self.entries.len() % 60),
            "time": 1,
            "request": request_json,
            "response": {
                "status": status.as_u16(),
                "statusText": status.canonical_reason().unwrap_or(""),
                "httpVersion": "HTTP/1.1",
                "cookies": [],
                "headers": headers,
                "content": {"size": body.len(), "mimeType": mime, "text": body},
                "redirectURL": location.clone().unwrap_or_default(),
                "headersSize": -1,
                "bodySize": body.len(),
            },
            "cache": {},
            "timings": {"send": 0, "wait": 1, "receive": 0},
        }));
        Recorded {
            status: status.as_u16(),
            location,
            body,
        }
    }

    /// The HAR file of everything sent and received so far.
    pub fn har(&self) -> String {
        let har = json!({"log": {
            "version": "1.2",
            "creator": {"name": "oauth-drift tests", "version": "1"},
            "pages": [],
            "entries": self.entries,
        }});
        serde_json::to_string_pretty(&har).expect("HAR serializes")
    }
}
