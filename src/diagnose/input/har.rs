//! HAR files exported from browser dev tools: the authorization request, the callback that
//! carried its code, the token request and response, refreshes and revocations.
//!
//! HAR is lenient input (HAR 1.2, unknown fields ignored, most fields optional). Codes and
//! tokens are read only to link the steps of a flow; they never leave this module.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::Value;

use super::note::InputNote;
use super::request::{AuthRequest, SECRET_PARAMS};
use super::token_response::TokenResponse;
use crate::diagnose::endpoints::{EndpointKind, Legacy, ProviderEndpoints};
use crate::diagnose::error::{InputError, json_error};

/// The response header the model and `serve` set on authorization responses.
const CONSENT_SCREEN_HEADER: &str = "x-oauth-drift-consent-screen";

#[derive(Deserialize)]
struct HarFile {
    log: Option<HarLog>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HarLog {
    entries: Option<Vec<RawEntry>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawEntry {
    request: RawRequest,
    response: RawResponse,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRequest {
    method: String,
    url: String,
    #[serde(rename = "postData")]
    post_data: Option<PostData>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PostData {
    text: Option<String>,
    params: Vec<NameValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameValue {
    name: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawResponse {
    status: i64,
    headers: Vec<NameValue>,
    content: Content,
    #[serde(rename = "redirectURL")]
    redirect_url: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Content {
    text: Option<String>,
    encoding: Option<String>,
}

/// One request/response pair of a HAR file.
#[derive(Debug, Clone)]
pub struct HarEntry {
    /// 1-based position in the file.
    pub index: usize,
    pub method: String,
    url: String,
    body: Option<String>,
    pub status: u16,
    response_headers: Vec<(String, String)>,
    response_body: Option<String>,
    redirect_url: Option<String>,
}

impl HarEntry {
    fn header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Where the response redirects to.
    fn location(&self) -> Option<&str> {
        self.header("location")
            .or(self.redirect_url.as_deref())
            .filter(|l| !l.is_empty())
    }
}

/// A parsed HAR file.
#[derive(Debug, Clone)]
pub struct Har {
    pub entries: Vec<HarEntry>,
}

impl Har {
    pub fn read(path: &Path) -> Result<Self, InputError> {
        Self::parse(path, &super::read_lossy(path)?)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        let text = text.trim_start_matches('\u{feff}').trim();
        if text.is_empty() {
            return Err(InputError::EmptyFile { path: path.to_owned() });
        }
        if text.starts_with('<') {
            return Err(InputError::Html {
                path: path.to_owned(),
                expected: "a HAR file (JSON)".into(),
                hint: "; export it from the browser's Network panel with \"Save all as HAR\"".into(),
            });
        }
        let file: HarFile = serde_json::from_str(text).map_err(|e| json_error(path, &e))?;
        let not_har = |reason: &str| InputError::NotHar {
            path: path.to_owned(),
            reason: reason.into(),
        };
        let log = file.log.ok_or_else(|| not_har("it has no `log` object"))?;
        let raw = log.entries.ok_or_else(|| not_har("its `log` has no `entries`"))?;
        let entries = raw
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let body = e.request.post_data.and_then(|p| {
                    p.text.filter(|t| !t.is_empty()).or_else(|| {
                        (!p.params.is_empty()).then(|| {
                            url::form_urlencoded::Serializer::new(String::new())
                                .extend_pairs(p.params.iter().map(|nv| (nv.name.as_str(), nv.value.as_str())))
                                .finish()
                        })
                    })
                });
                let response_body = match (e.response.content.text, e.response.content.encoding.as_deref()) {
                    (Some(text), Some("base64")) => STANDARD
                        .decode(text.trim())
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned()),
                    (text, _) => text,
                };
                HarEntry {
                    index: i + 1,
                    method: e.request.method.to_ascii_uppercase(),
                    url: e.request.url,
                    body,
                    status: u16::try_from(e.response.status).unwrap_or(0),
                    response_headers: e.response.headers.into_iter().map(|nv| (nv.name, nv.value)).collect(),
                    response_body,
                    redirect_url: Some(e.response.redirect_url).filter(|r| !r.is_empty()),
                }
            })
            .collect();
        Ok(Self { entries })
    }
}

/// A call to the token endpoint.
#[derive(Debug, Clone)]
pub struct TokenCall {
    pub entry: usize,
    /// `scheme://host/path`, no query.
    pub endpoint: String,
    pub grant_type: String,
    pub status: u16,
    /// The response, when it is a JSON object.
    pub response: Option<TokenResponse>,
    code: Option<String>,
}

/// A call to the revocation endpoint.
#[derive(Debug, Clone)]
pub struct RevokeCall {
    pub entry: usize,
    pub method: String,
    pub endpoint: String,
    pub status: u16,
}

/// A request to a legacy endpoint.
#[derive(Debug, Clone)]
pub struct LegacyUse {
    pub entry: usize,
    pub endpoint: String,
    pub legacy: Legacy,
}

/// One authorization flow: request, callback, code exchange.
#[derive(Debug, Clone)]
pub struct Flow {
    pub authorize_entry: usize,
    pub request: AuthRequest,
    /// Whether a consent screen was shown, if the HAR tells.
    pub consent_screen: Option<bool>,
    pub callback_entry: Option<usize>,
    /// The `error=` the callback carried.
    pub callback_error: Option<String>,
    pub exchange: Option<TokenCall>,
    code: Option<String>,
}

/// What a HAR file shows about one provider.
#[derive(Debug, Clone, Default)]
pub struct HarObservation {
    pub entries: usize,
    pub flows: Vec<Flow>,
    pub refreshes: Vec<TokenCall>,
    pub revokes: Vec<RevokeCall>,
    pub legacy: Vec<LegacyUse>,
    /// Code exchanges that match no authorization request in the file.
    pub unmatched_exchanges: Vec<TokenCall>,
}

impl HarObservation {
    /// The flow to diagnose: the last one whose code exchange came back without a
    /// refresh_token, else the last one.
    pub fn chosen(&self) -> Option<&Flow> {
        self.flows
            .iter()
            .rev()
            .find(|f| {
                f.exchange
                    .as_ref()
                    .and_then(|t| t.response.as_ref())
                    .is_some_and(|r| r.access_token && !r.refresh_token)
            })
            .or(self.flows.last())
    }
}

/// Walks the HAR in order and links each flow's steps.
pub fn observe(har: &Har, endpoints: &ProviderEndpoints) -> HarObservation {
    let mut seen = HarObservation {
        entries: har.entries.len(),
        ..Default::default()
    };
    for entry in &har.entries {
        let Ok(url) = url::Url::parse(&entry.url) else { continue };
        let host = url.host_str().unwrap_or_default().to_string();
        let path = url.path().to_string();
        let endpoint = format!("{}{}", url.origin().ascii_serialization(), path);
        if let Some(legacy) = endpoints.legacy(&host, &path) {
            seen.legacy.push(LegacyUse {
                entry: entry.index,
                endpoint: endpoint.clone(),
                legacy: legacy.clone(),
            });
        }
        match endpoints.classify(&host, &path) {
            Some(EndpointKind::Authorize) if entry.method == "GET" => {
                let Ok(request) =
                    AuthRequest::from_url(&entry.url, endpoints, vec![InputNote::FromHar { entry: entry.index }])
                else {
                    continue;
                };
                let mut flow = Flow {
                    authorize_entry: entry.index,
                    request,
                    consent_screen: entry.header(CONSENT_SCREEN_HEADER).map(|v| v == "shown"),
                    callback_entry: None,
                    callback_error: None,
                    exchange: None,
                    code: None,
                };
                if let Some(location) = entry.location() {
                    read_callback(&mut flow, location);
                }
                seen.flows.push(flow);
            }
            Some(EndpointKind::Token) if entry.method == "POST" => {
                let form: Vec<(String, String)> = entry
                    .body
                    .as_deref()
                    .map(|b| {
                        url::form_urlencoded::parse(b.as_bytes())
                            .map(|(k, v)| (k.into_owned(), v.into_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                let sent: Vec<String> = form
                    .iter()
                    .filter(|(k, _)| SECRET_PARAMS.contains(&k.as_str()))
                    .map(|(_, v)| v.clone())
                    .collect();
                let response = entry
                    .response_body
                    .as_deref()
                    .and_then(|b| serde_json::from_str::<Value>(b).ok())
                    .and_then(|v| v.as_object().map(TokenResponse::from_map))
                    .map(|r| r.scrubbed(&sent));
                let call = TokenCall {
                    entry: entry.index,
                    endpoint,
                    grant_type: get("grant_type").unwrap_or_default(),
                    status: entry.status,
                    response,
                    code: get("code"),
                };
                link_token_call(&mut seen, call);
            }
            Some(EndpointKind::Revoke) => {
                seen.revokes.push(RevokeCall {
                    entry: entry.index,
                    method: entry.method.clone(),
                    endpoint,
                    status: entry.status,
                });
            }
            _ => {
                if endpoints.is_google() && endpoints.owns_host(&host) && path.contains("consent") {
                    if let Some(flow) = seen.flows.last_mut().filter(|f| f.callback_entry.is_none()) {
                        flow.consent_screen = Some(true);
                    }
                    continue;
                }
                if let Some(flow) = seen.flows.last_mut() {
                    let redirect = flow.request.get("redirect_uri").unwrap_or_default().to_string();
                    let target = entry.url.split(['?', '#']).next().unwrap_or_default();
                    if !redirect.is_empty() && target == redirect.split(['?', '#']).next().unwrap_or_default() {
                        flow.callback_entry = Some(entry.index);
                        read_callback(flow, &entry.url);
                    }
                }
            }
        }
    }
    seen
}

/// Reads the code or error a redirect to the app carries.
fn read_callback(flow: &mut Flow, location: &str) {
    let Ok(url) = url::Url::parse(location) else { return };
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if let Some(fragment) = url.fragment() {
        pairs.extend(url::form_urlencoded::parse(fragment.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())));
    }
    for (key, value) in pairs {
        match key.as_str() {
            "code" => flow.code = Some(value),
            "error" => flow.callback_error = Some(value),
            _ => {}
        }
    }
}

fn link_token_call(seen: &mut HarObservation, call: TokenCall) {
    match call.grant_type.as_str() {
        "authorization_code" => {
            let by_code = call
                .code
                .as_ref()
                .and_then(|code| seen.flows.iter().rposition(|f| f.code.as_ref() == Some(code)));
            let slot = by_code.or_else(|| {
                (call.code.is_none())
                    .then(|| seen.flows.iter().rposition(|f| f.exchange.is_none()))
                    .flatten()
            });
            match slot {
                Some(i) if seen.flows[i].exchange.is_none() => seen.flows[i].exchange = Some(call),
                _ => seen.unmatched_exchanges.push(call),
            }
        }
        "refresh_token" => seen.refreshes.push(call),
        _ => seen.unmatched_exchanges.push(call),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_truncated_json_and_json_without_entries_are_input_errors() {
        let p = Path::new("x.har");
        assert!(matches!(
            Har::parse(p, "<html><body>Sign in</body></html>"),
            Err(InputError::Html { .. })
        ));
        assert!(matches!(
            Har::parse(p, "{\"log\": {\"entries\": [{\"request\": {"),
            Err(InputError::Truncated { .. })
        ));
        assert!(matches!(Har::parse(p, "{\"log\": {}}"), Err(InputError::NotHar { .. })));
        assert!(matches!(
            Har::parse(p, "{\"access_token\": \"x\"}"),
            Err(InputError::NotHar { .. })
        ));
        assert!(matches!(Har::parse(p, ""), Err(InputError::EmptyFile { .. })));
    }

    #[test]
    fn a_secret_the_provider_echoes_in_an_error_is_scrubbed() {
        let text = r#"{"log":{"entries":[
          {"request":{"method":"GET","url":"https://accounts.google.com/o/oauth2/v2/auth?client_id=c&redirect_uri=https://a.example/cb&response_type=code&scope=email"},
           "response":{"status":302,"headers":[{"name":"Location","value":"https://a.example/cb?code=4/abc-code-value"}]}},
          {"request":{"method":"POST","url":"https://oauth2.googleapis.com/token","postData":{"text":"grant_type=authorization_code&code=4%2Fabc-code-value&client_id=c&client_secret=fake-echoed-secret"}},
           "response":{"status":401,"content":{"text":"{\"error\":\"invalid_client\",\"error_description\":\"bad secret fake-echoed-secret for 4/abc-code-value\"}"}}}]}}"#;
        let har = Har::parse(Path::new("x.har"), text).unwrap();
        let registry = crate::provider::Registry::builtin();
        let endpoints = ProviderEndpoints::for_profile(&registry.load("google").unwrap());
        let seen = observe(&har, &endpoints);
        let response = seen.flows[0]
            .exchange
            .as_ref()
            .and_then(|t| t.response.clone())
            .unwrap();
        let description = response.error_description.unwrap();
        assert_eq!(description, "bad secret [redacted] for [redacted]");
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let har = Har::parse(
            Path::new("x.har"),
            r#"{"log":{"entries":[{"request":{"method":"post","url":"https://oauth2.googleapis.com/token","postData":{"params":[{"name":"grant_type","value":"refresh_token"}]}},"response":{"status":200,"content":{"text":"eyJhY2Nlc3NfdG9rZW4iOiJ4In0=","encoding":"base64"}}}]}}"#,
        )
        .unwrap();
        let entry = &har.entries[0];
        assert_eq!(entry.method, "POST");
        assert_eq!(entry.body.as_deref(), Some("grant_type=refresh_token"));
        assert_eq!(entry.response_body.as_deref(), Some(r#"{"access_token":"x"}"#));
    }
}
