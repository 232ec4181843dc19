//! HAR files exported from browser dev tools: the authorization request, the callback that
//! carried its code, the token request and response, refreshes and revocations.
//!
//! HAR is lenient input (HAR 1.2, unknown fields ignored, most fields optional). Codes and
//! tokens are read only to link the steps of a flow; they never leave this module.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::note::InputNote;
use super::request::{AuthRequest, SECRET_PARAMS};
use super::token_response::TokenResponse;
use crate::diagnose::endpoints::{EndpointKind, Legacy, ProviderEndpoints};
use crate::diagnose::error::{InputError, json_error};

use crate::model::{CONSENT_SCREEN_HEADER, ERROR_DESCRIPTION_HEADER, ERROR_HEADER, form_pairs};

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
    #[serde(rename = "startedDateTime")]
    started: String,
    request: RawRequest,
    response: RawResponse,
    /// Chrome's reason for a failed request (`net::ERR_FAILED`).
    #[serde(rename = "_error")]
    error: Option<String>,
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
    /// Playwright's `attach` mode keeps request bodies in side files too.
    #[serde(rename = "_file")]
    file: Option<String>,
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
    /// Chrome's and Playwright's reason for a failed request.
    #[serde(rename = "_error")]
    error: Option<String>,
    #[serde(rename = "_failureText")]
    failure_text: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Content {
    size: i64,
    text: Option<String>,
    encoding: Option<String>,
    /// Playwright's `attach` mode: the body is a side file of the export (a `.zip`, or the
    /// folder it was unpacked into).
    #[serde(rename = "_file")]
    file: Option<String>,
}

/// One request/response pair of a HAR file.
#[derive(Debug, Clone)]
pub struct HarEntry {
    /// 1-based position in the file.
    pub index: usize,
    pub method: String,
    url: String,
    body: Option<String>,
    /// The response status; 0 when there was no response.
    pub status: u16,
    /// Why the request got no response (`net::ERR_FAILED`, or the status the HAR gave), if it failed.
    pub failed: Option<String>,
    response_headers: Vec<(String, String)>,
    response_body: Option<String>,
    /// Why the response body could not be read, when the HAR has one that is not usable.
    pub body_problem: Option<String>,
    redirect_url: Option<String>,
    started: Option<jiff::Timestamp>,
}

impl HarEntry {
    fn header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Where the response redirects to, resolved against the request URL.
    fn location(&self) -> Option<String> {
        let location = self
            .header("location")
            .or(self.redirect_url.as_deref())
            .filter(|l| !l.is_empty())?;
        match url::Url::parse(&self.url).and_then(|base| base.join(location)) {
            Ok(url) => Some(url.to_string()),
            Err(_) => Some(location.to_string()),
        }
    }
}

/// A parsed HAR file.
#[derive(Debug, Clone)]
pub struct Har {
    /// In the order the browser started them (the file's order when a time is missing).
    pub entries: Vec<HarEntry>,
    /// The file listed entries out of time order; they were read sorted by `startedDateTime`.
    pub reordered: bool,
}

/// The most a zip export may expand to, all files together (4 × the input limit).
const MAX_ZIP_BYTES: u64 = 4 * crate::limits::MAX_INPUT_BYTES;
/// The most files a zip export may list.
const MAX_ZIP_FILES: usize = 100_000;

impl Har {
    /// Reads a HAR file, or a Playwright `.zip` export (the HAR with its bodies as side
    /// files). A `.har` whose bodies are side files (`_file`) finds them beside it.
    pub fn read(path: &Path) -> Result<Self, InputError> {
        Self::from_bytes(path, super::read(path)?)
    }

    /// A HAR or a Playwright `.zip` export already read from `path` (side files of a `.har`
    /// are looked for beside `path`).
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self, InputError> {
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            return Self::read_zip(path, bytes);
        }
        let text = String::from_utf8_lossy(&bytes);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut budget = MAX_ZIP_BYTES;
        Self::parse_with(path, &text, &mut |name| {
            let file = plain_name(name).ok_or("its name is not a plain file name")?;
            let bytes = crate::limits::read_bounded(&dir.join(file)).map_err(|e| match e {
                crate::limits::ReadError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                    format!("its side file `{file}` is not beside the HAR (pass the .zip export)")
                }
                other => format!("its side file `{file}` cannot be read: {other}"),
            })?;
            budget = budget
                .checked_sub(bytes.len() as u64)
                .ok_or("the side files together are too large")?;
            Ok(bytes)
        })
    }

    fn read_zip(path: &Path, bytes: Vec<u8>) -> Result<Self, InputError> {
        let bad = |reason: String| InputError::BadZip {
            path: path.to_owned(),
            reason,
        };
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
        if archive.len() > MAX_ZIP_FILES {
            return Err(bad(format!("it lists more than {MAX_ZIP_FILES} files")));
        }
        let har_name = archive
            .file_names()
            .filter(|n| n.to_ascii_lowercase().ends_with(".har"))
            .min_by_key(|n| (*n != "har.har", n.len()))
            .map(str::to_string)
            .ok_or_else(|| bad("it holds no .har file (a Playwright export holds har.har)".into()))?;
        let mut budget = MAX_ZIP_BYTES;
        let har_bytes = read_zipped(&mut archive, &har_name, &mut budget).map_err(bad)?;
        let text = String::from_utf8_lossy(&har_bytes).into_owned();
        Self::parse_with(path, &text, &mut |name| {
            if archive.index_for_name(name).is_none() {
                return Err(format!("its side file `{name}` is not in the zip"));
            }
            read_zipped(&mut archive, name, &mut budget)
        })
    }

    /// Parses HAR text; bodies in side files are reported missing.
    pub fn parse(path: &Path, text: &str) -> Result<Self, InputError> {
        Self::parse_with(path, text, &mut |name| {
            Err(format!("its side file `{name}` was not given (pass the .zip export)"))
        })
    }

    fn parse_with(
        path: &Path,
        text: &str,
        side_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Self, InputError> {
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
        let mut entries: Vec<HarEntry> = raw
            .into_iter()
            .enumerate()
            .map(|(i, e)| {
                let body = e.request.post_data.and_then(|p| {
                    p.text
                        .filter(|t| !t.is_empty())
                        .or_else(|| {
                            (!p.params.is_empty()).then(|| {
                                url::form_urlencoded::Serializer::new(String::new())
                                    .extend_pairs(p.params.iter().map(|nv| (nv.name.as_str(), nv.value.as_str())))
                                    .finish()
                            })
                        })
                        .or_else(|| {
                            let bytes = side_file(p.file.as_deref()?).ok()?;
                            Some(String::from_utf8_lossy(&bytes).into_owned())
                        })
                });
                let (response_body, body_problem) = read_body(&e.response.content, side_file);
                let failed = e
                    .error
                    .or(e.response.error)
                    .or(e.response.failure_text)
                    .filter(|r| !r.is_empty())
                    .or_else(|| {
                        (e.response.status <= 0).then(|| format!("no response (status {})", e.response.status))
                    });
                HarEntry {
                    index: i + 1,
                    method: e.request.method.to_ascii_uppercase(),
                    url: e.request.url,
                    body,
                    status: u16::try_from(e.response.status).unwrap_or(0),
                    failed,
                    response_headers: e.response.headers.into_iter().map(|nv| (nv.name, nv.value)).collect(),
                    response_body,
                    body_problem,
                    redirect_url: Some(e.response.redirect_url).filter(|r| !r.is_empty()),
                    started: e.started.parse::<jiff::Timestamp>().ok(),
                }
            })
            .collect();
        // the order requests started in, when every entry says when (Firefox and some tools
        // write entries by completion, or grouped by page)
        let mut reordered = false;
        if entries.iter().all(|e| e.started.is_some()) && !entries.is_sorted_by_key(|e| e.started) {
            entries.sort_by_key(|e| e.started);
            reordered = true;
        }
        Ok(Self { entries, reordered })
    }
}

/// A side file's name, if it is a plain file name (no directory, no `..`).
fn plain_name(name: &str) -> Option<&str> {
    (!name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..").then_some(name)
}

/// One file of a zip export, bounded by what is left of `budget`.
fn read_zipped(
    archive: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>,
    name: &str,
    budget: &mut u64,
) -> Result<Vec<u8>, String> {
    let file = archive.by_name(name).map_err(|e| format!("`{name}`: {e}"))?;
    let limit = (*budget).min(crate::limits::MAX_INPUT_BYTES);
    let too_large = || format!("`{name}` expands to more than {limit} bytes");
    if file.size() > limit {
        return Err(too_large());
    }
    let bytes = read_at_most(file, limit)
        .map_err(|e| format!("`{name}`: {e}"))?
        .ok_or_else(too_large)?;
    *budget -= bytes.len() as u64;
    Ok(bytes)
}

/// `reader` to its end, or `None` if it gives more than `limit` bytes.
fn read_at_most(reader: impl std::io::Read, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// A response body as text, or why it cannot be read. Base64 is decoded, gzip inflated
/// (bounded); a body the HAR only sizes is missing.
fn read_body(
    content: &Content,
    side_file: &mut dyn FnMut(&str) -> Result<Vec<u8>, String>,
) -> (Option<String>, Option<String>) {
    let bytes = match (&content.text, content.encoding.as_deref(), &content.file) {
        (Some(text), Some("base64"), _) => match STANDARD.decode(text.trim()) {
            Ok(bytes) => bytes,
            Err(_) => return (None, Some("its base64 body does not decode".into())),
        },
        (Some(text), _, _) => return (Some(text.clone()), None),
        (None, _, Some(file)) => match side_file(file) {
            Ok(bytes) => bytes,
            Err(reason) => return (None, Some(format!("its body is not in the HAR: {reason}"))),
        },
        (None, _, None) if content.size > 0 => {
            return (
                None,
                Some(format!(
                    "its body ({} bytes) is not in the HAR (the browser did not keep it, or it was exported without content)",
                    content.size
                )),
            );
        }
        (None, _, None) => return (None, None),
    };
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        match gunzip(&bytes) {
            Some(inflated) => inflated,
            None => return (None, Some("its body is gzip that does not inflate".into())),
        }
    } else {
        bytes
    };
    match String::from_utf8(bytes) {
        Ok(text) => (Some(text), None),
        Err(_) => (None, Some("its body is binary, not text".into())),
    }
}

/// Inflates a gzip body, up to the input limit.
fn gunzip(bytes: &[u8]) -> Option<Vec<u8>> {
    read_at_most(flate2::read::GzDecoder::new(bytes), crate::limits::MAX_INPUT_BYTES).ok()?
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
    /// Why there is no response to read: the request failed, or its body is missing or
    /// undecodable.
    pub problem: Option<String>,
    /// The request got no response at all (failed in the browser).
    pub failed: bool,
    code: Option<String>,
}

/// A call to the revocation endpoint.
#[derive(Debug, Clone, Serialize)]
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

/// The error page the authorization endpoint answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthorizeErrorPage {
    pub entry: usize,
    pub status: u16,
    /// The OAuth error code, when the page or its headers say it.
    pub error: Option<String>,
    #[serde(rename = "error_description")]
    pub description: Option<String>,
}

/// The user's answer on the consent screen, as the form post shows it (`serve`'s page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsentAnswer {
    pub entry: usize,
    /// `allow` or `deny`.
    pub action: String,
    /// The scopes that were ticked (for `allow`).
    pub scopes: Vec<String>,
}

/// One authorization flow: request, callback, code exchange.
#[derive(Debug, Clone, Default)]
pub struct Flow {
    pub authorize_entry: usize,
    /// The app's redirect that sent the browser to the authorization URL (its `/login`),
    /// when the HAR shows it.
    pub started_by: Option<usize>,
    /// The HAR holds the authorization request itself (not only a redirect to it).
    pub authorize_seen: bool,
    pub request: AuthRequest,
    /// Whether a consent screen was shown, if the HAR tells.
    pub consent_screen: Option<bool>,
    /// The entry that showed the consent screen.
    pub consent_entry: Option<usize>,
    /// The answer posted from the consent page, if the HAR has it.
    pub consent_answer: Option<ConsentAnswer>,
    /// The error page the authorization request got.
    pub error_page: Option<AuthorizeErrorPage>,
    /// The authorization request got no response (failed in the browser).
    pub authorize_failed: Option<String>,
    pub callback_entry: Option<usize>,
    /// The `error=` the callback carried.
    pub callback_error: Option<String>,
    /// The callback carried a code (not shown anywhere).
    pub got_code: bool,
    pub exchange: Option<TokenCall>,
    code: Option<String>,
    /// The browser's arrival at the redirect URI is in the HAR.
    arrived: bool,
    /// `redirect_uri` without query or fragment.
    redirect: Option<String>,
}

impl Flow {
    fn new(entry: usize, request: AuthRequest) -> Self {
        Self {
            authorize_entry: entry,
            redirect: redirect_of(&request),
            request,
            ..Self::default()
        }
    }

    /// Whether `url` is the flow's redirect URI (query and fragment aside).
    fn delivers_to(&self, url: &str) -> bool {
        self.redirect.as_deref() == url.split(['?', '#']).next()
    }

    /// Whether the flow ended: a code or an error came back, or the authorization endpoint
    /// answered with an error page.
    pub fn ended(&self) -> bool {
        self.got_code || self.callback_error.is_some() || self.error_page.is_some() || self.authorize_failed.is_some()
    }
}

/// A request's `redirect_uri` without query or fragment.
fn redirect_of(request: &AuthRequest) -> Option<String> {
    let redirect = request.get("redirect_uri").filter(|r| !r.is_empty())?;
    redirect.split(['?', '#']).next().map(str::to_string)
}

/// A HAR entry that could not be read in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryProblem {
    pub entry: usize,
    /// What the entry was (`the token request`, `the authorization request`).
    pub role: String,
    pub problem: String,
}

/// What a HAR file shows about one provider.
#[derive(Debug, Clone, Default)]
pub struct HarObservation {
    pub entries: usize,
    pub flows: Vec<Flow>,
    pub refreshes: Vec<TokenCall>,
    pub revokes: Vec<RevokeCall>,
    pub legacy: Vec<LegacyUse>,
    /// Entries of the flows that failed or whose body cannot be read.
    pub problems: Vec<EntryProblem>,
    /// The file listed entries out of time order.
    pub reordered: bool,
}

impl HarObservation {
    /// The flow to diagnose: the last one whose code exchange came back without a
    /// refresh_token, else the last one.
    pub fn chosen(&self) -> Option<&Flow> {
        self.flows.get(self.chosen_index()?)
    }

    /// The position of the latest of the last [`RECENT_FLOWS`] flows that `matches`.
    fn recent_flow(&self, matches: impl Fn(&Flow) -> bool) -> Option<usize> {
        let recent = self.flows.len().saturating_sub(RECENT_FLOWS);
        self.flows[recent..].iter().rposition(matches).map(|i| recent + i)
    }

    /// The position of [`Self::chosen`] in `flows`.
    pub fn chosen_index(&self) -> Option<usize> {
        self.flows
            .iter()
            .rposition(|f| {
                f.exchange
                    .as_ref()
                    .and_then(|t| t.response.as_ref())
                    .is_some_and(|r| r.access_token && !r.refresh_token)
            })
            .or(self.flows.len().checked_sub(1))
    }
}

/// How many of the latest flows an entry may belong to: a browser interleaves a few sign-ins
/// at most, and a HAR of thousands stays linear.
const RECENT_FLOWS: usize = 64;

/// Walks the HAR in time order and links each flow's steps: an authorization request (or
/// the app's redirect to one), the consent screen and the answer posted from it, the
/// redirect or request that carries the code or error back to the app, and the token
/// request that exchanges the code.
pub fn observe(har: &Har, endpoints: &ProviderEndpoints) -> HarObservation {
    let mut seen = HarObservation {
        entries: har.entries.len(),
        reordered: har.reordered,
        ..Default::default()
    };
    for entry in &har.entries {
        let Ok(url) = url::Url::parse(&entry.url) else { continue };
        let (host, path) = (url.host_str().unwrap_or_default(), url.path());
        let endpoint = format!("{}{}", url.origin().ascii_serialization(), path);
        if let Some(legacy) = endpoints.legacy(host, path) {
            seen.legacy.push(LegacyUse {
                entry: entry.index,
                endpoint: endpoint.clone(),
                legacy: legacy.clone(),
            });
        }
        match endpoints.classify(host, path) {
            Some(EndpointKind::Authorize) if entry.method == "GET" => authorize_entry(&mut seen, entry, endpoints),
            Some(EndpointKind::Token) if entry.method == "POST" => {
                let form = form_pairs(entry.body.as_deref().unwrap_or_default().as_bytes());
                let get = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                let sent: Vec<String> = form
                    .iter()
                    .filter(|(k, _)| SECRET_PARAMS.contains(&k.as_str()))
                    .map(|(_, v)| v.clone())
                    .collect();
                let response = entry
                    .response_body
                    .as_deref()
                    .and_then(|b| serde_json::from_str::<Value>(b.trim_start_matches('\u{feff}')).ok())
                    .and_then(|v| v.as_object().map(TokenResponse::from_map))
                    .map(|r| r.scrubbed(&sent));
                let problem = entry.failed.clone().or_else(|| entry.body_problem.clone()).or_else(|| {
                    (response.is_none() && entry.body.is_some()).then(|| match &entry.response_body {
                        Some(_) => "its response body is not a JSON object".to_string(),
                        None => "the HAR has no response body for it".to_string(),
                    })
                });
                let call = TokenCall {
                    entry: entry.index,
                    endpoint,
                    grant_type: get("grant_type").unwrap_or_default(),
                    status: entry.status,
                    response,
                    problem: problem.clone(),
                    failed: entry.failed.is_some(),
                    code: get("code"),
                };
                if let Some(problem) = problem {
                    seen.problems.push(EntryProblem {
                        entry: entry.index,
                        role: "the token request".into(),
                        problem,
                    });
                }
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
            _ => other_entry(&mut seen, entry, endpoints, host, path),
        }
    }
    seen
}

/// An authorization request: a new flow, or the one an app's redirect announced.
fn authorize_entry(seen: &mut HarObservation, entry: &HarEntry, endpoints: &ProviderEndpoints) {
    let Ok(request) = AuthRequest::from_url(&entry.url, endpoints, vec![InputNote::FromHar { entry: entry.index }])
    else {
        return;
    };
    // the app's /login redirected here: the flow already exists
    let url = request.url();
    let index = match seen.recent_flow(|f| !f.authorize_seen && !f.ended() && f.request.url() == url) {
        Some(i) => {
            let flow = &mut seen.flows[i];
            flow.authorize_entry = entry.index;
            flow.redirect = redirect_of(&request);
            flow.request = request;
            i
        }
        None => {
            seen.flows.push(Flow::new(entry.index, request));
            seen.flows.len() - 1
        }
    };
    let flow = &mut seen.flows[index];
    flow.authorize_seen = true;
    if let Some(reason) = &entry.failed {
        flow.authorize_failed = Some(reason.clone());
        seen.problems.push(EntryProblem {
            entry: entry.index,
            role: "the authorization request".into(),
            problem: reason.clone(),
        });
        return;
    }
    if let Some(shown) = entry.header(CONSENT_SCREEN_HEADER) {
        flow.consent_screen = Some(shown == "shown");
        if shown == "shown" {
            flow.consent_entry = Some(entry.index);
        }
    }
    if entry.status >= 400 {
        let page_text = entry.response_body.as_deref().map(strip_tags).unwrap_or_default();
        let page = crate::diagnose::AuthError::from_page_text(&page_text);
        flow.error_page = Some(AuthorizeErrorPage {
            entry: entry.index,
            status: entry.status,
            error: entry
                .header(ERROR_HEADER)
                .map(str::to_string)
                .or_else(|| page.as_ref().map(|p| p.error.clone())),
            description: entry
                .header(ERROR_DESCRIPTION_HEADER)
                .map(str::to_string)
                .or_else(|| page.as_ref().map(|p| p.description.clone()).filter(|d| !d.is_empty())),
        });
        // an error page is no consent screen, shown or skipped
        flow.consent_screen = None;
        return;
    }
    if let Some(location) = entry.location() {
        if let Some(page) = AuthRequest::error_page(&location, endpoints) {
            flow.error_page = Some(AuthorizeErrorPage {
                entry: entry.index,
                status: page.status.and_then(|s| u16::try_from(s).ok()).unwrap_or(entry.status),
                error: Some(page.error.clone()),
                description: Some(page.description.clone()).filter(|d| !d.is_empty()),
            });
            flow.consent_screen = None;
            return;
        }
        if flow.delivers_to(&location) {
            read_callback(flow, &location);
            flow.callback_entry.get_or_insert(entry.index);
        }
    }
}

/// Any other entry: the app's redirect to the authorization URL, the consent screen, the
/// answer posted from it, or the browser arriving back at the app.
fn other_entry(seen: &mut HarObservation, entry: &HarEntry, endpoints: &ProviderEndpoints, host: &str, path: &str) {
    let location = entry.location();
    // the app's /login (or any page) redirecting to the authorization endpoint
    if let Some(location) = &location
        && let Ok(target) = url::Url::parse(location)
        && endpoints.classify(target.host_str().unwrap_or_default(), target.path()) == Some(EndpointKind::Authorize)
    {
        if let Ok(request) = AuthRequest::from_url(location, endpoints, vec![InputNote::FromHar { entry: entry.index }])
        {
            let mut flow = Flow::new(entry.index, request);
            flow.started_by = Some(entry.index);
            seen.flows.push(flow);
        }
        return;
    }
    // the browser arriving at the app's redirect URI
    if let Some(i) = seen.recent_flow(|f| !f.arrived && f.delivers_to(&entry.url)) {
        let flow = &mut seen.flows[i];
        read_callback(flow, &entry.url);
        flow.callback_entry = Some(entry.index);
        flow.arrived = true;
        if let Some(reason) = &entry.failed {
            seen.problems.push(EntryProblem {
                entry: entry.index,
                role: "the callback to the app".into(),
                problem: reason.clone(),
            });
        }
        return;
    }
    // Google's consent screen, or the answer posted from serve's consent page
    let consent_path = path.contains("consent") && endpoints.owns_host(host);
    let Some(i) = seen.recent_flow(|f| !f.ended()) else {
        return;
    };
    let flow = &mut seen.flows[i];
    if consent_path && entry.method == "GET" && (endpoints.is_published() || entry.status == 200) {
        flow.consent_screen = Some(true);
        flow.consent_entry.get_or_insert(entry.index);
    }
    if consent_path && entry.method == "POST" {
        let form = form_pairs(entry.body.as_deref().unwrap_or_default().as_bytes());
        if let Some((_, action)) = form.iter().find(|(k, _)| k == "action") {
            flow.consent_screen = Some(true);
            flow.consent_answer = Some(ConsentAnswer {
                entry: entry.index,
                action: action.clone(),
                scopes: form
                    .iter()
                    .filter(|(k, _)| k == "scope")
                    .map(|(_, v)| v.clone())
                    .collect(),
            });
        }
    }
    // a redirect (the consent form's answer, a sign-in step) that carries the code or error
    if let Some(location) = &location
        && flow.delivers_to(location)
    {
        read_callback(flow, location);
        flow.callback_entry.get_or_insert(entry.index);
    }
}

/// The text of an HTML page, tags removed, one line per block (enough for Google's error
/// page heading and description).
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push('\n');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Reads the code or error a redirect to the app carries (query or fragment).
fn read_callback(flow: &mut Flow, location: &str) {
    let Ok(url) = url::Url::parse(location) else { return };
    for (key, value) in crate::target::Redirect::parse(url.as_str()).params {
        match key.as_str() {
            "code" => {
                flow.code = Some(value);
                flow.got_code = true;
            }
            "error" => flow.callback_error = Some(value),
            _ => {}
        }
    }
}

fn link_token_call(seen: &mut HarObservation, call: TokenCall) {
    match call.grant_type.as_str() {
        "authorization_code" => {
            let slot = match &call.code {
                Some(code) => seen.flows.iter().rposition(|f| f.code.as_ref() == Some(code)),
                None => seen.flows.iter().rposition(|f| f.exchange.is_none()),
            };
            // an exchange that matches no authorization request in the file is left out
            if let Some(i) = slot.filter(|&i| seen.flows[i].exchange.is_none()) {
                seen.flows[i].exchange = Some(call);
            }
        }
        "refresh_token" => seen.refreshes.push(call),
        _ => {}
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

    #[test]
    fn entries_are_read_in_start_order_and_keep_their_file_numbers() {
        let text = r#"{"log":{"entries":[
          {"startedDateTime":"2026-01-01T01:00:02.000+01:00","request":{"method":"GET","url":"https://b.example/"},"response":{"status":200}},
          {"startedDateTime":"2026-01-01T00:00:01.000Z","request":{"method":"GET","url":"https://a.example/"},"response":{"status":-1,"_failureText":"net::ERR_ABORTED"}}]}}"#;
        let har = Har::parse(Path::new("x.har"), text).unwrap();
        assert!(har.reordered);
        let order: Vec<usize> = har.entries.iter().map(|e| e.index).collect();
        assert_eq!(order, [2, 1]);
        assert_eq!(har.entries[0].failed.as_deref(), Some("net::ERR_ABORTED"));
    }

    #[test]
    fn a_zip_export_reads_bodies_from_its_side_files() {
        use std::io::Write as _;
        let har = r#"{"log":{"entries":[{"request":{"method":"POST","url":"https://oauth2.googleapis.com/token","postData":{"mimeType":"application/x-www-form-urlencoded","text":"","params":[],"_file":"req.dat"}},"response":{"status":200,"content":{"size":20,"mimeType":"application/json","_file":"body.json"}}}]}}"#;
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, bytes) in [
            ("har.har", har.as_bytes()),
            ("req.dat", b"grant_type=refresh_token".as_slice()),
            ("body.json", br#"{"access_token":"x"}"#.as_slice()),
        ] {
            writer.start_file(name, options).unwrap();
            writer.write_all(bytes).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flow.zip");
        std::fs::write(&path, writer.finish().unwrap().into_inner()).unwrap();
        let read = Har::read(&path).unwrap();
        assert_eq!(read.entries[0].body.as_deref(), Some("grant_type=refresh_token"));
        assert_eq!(
            read.entries[0].response_body.as_deref(),
            Some(r#"{"access_token":"x"}"#)
        );
        // the same HAR without its zip: the body is said to be missing, not silently absent
        let alone = Har::parse(Path::new("har.har"), har).unwrap();
        assert_eq!(alone.entries[0].response_body, None);
        let problem = alone.entries[0].body_problem.as_deref().unwrap();
        assert!(problem.contains("`body.json` was not given"), "{problem}");
    }

    #[test]
    fn side_files_are_only_plain_names() {
        assert_eq!(plain_name("abc.json"), Some("abc.json"));
        for name in ["../x", "a/b", "..", "", "C:\\x"] {
            assert_eq!(plain_name(name), None, "{name}");
        }
    }

    #[test]
    fn a_code_in_a_fragment_or_behind_a_login_redirect_is_followed() {
        let text = r#"{"log":{"entries":[
          {"request":{"method":"GET","url":"https://app.example/login"},"response":{"status":302,"headers":[{"name":"Location","value":"https://accounts.google.com/o/oauth2/v2/auth?client_id=c&redirect_uri=https://app.example/cb&response_type=code&scope=email"}]}},
          {"request":{"method":"GET","url":"https://accounts.google.com/o/oauth2/v2/auth?client_id=c&redirect_uri=https://app.example/cb&response_type=code&scope=email"},
           "response":{"status":302,"headers":[{"name":"Location","value":"https://app.example/cb#state=s&code=4/frag-code-value"}]}},
          {"request":{"method":"POST","url":"https://oauth2.googleapis.com/token","postData":{"text":"grant_type=authorization_code&code=4%2Ffrag-code-value"}},
           "response":{"status":200,"content":{"text":"{\"access_token\":\"a\",\"refresh_token\":\"r\"}"}}}]}}"#;
        let har = Har::parse(Path::new("x.har"), text).unwrap();
        let registry = crate::provider::Registry::builtin();
        let endpoints = ProviderEndpoints::for_profile(&registry.load("google").unwrap());
        let seen = observe(&har, &endpoints);
        assert_eq!(seen.flows.len(), 1, "the login redirect and the request are one flow");
        let flow = &seen.flows[0];
        assert_eq!(
            (flow.started_by, flow.authorize_entry, flow.callback_entry),
            (Some(1), 2, Some(2))
        );
        assert_eq!(flow.exchange.as_ref().map(|t| t.entry), Some(3));
    }
}
