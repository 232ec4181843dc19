//! Meaning-level transcripts: what was sent and what came back, with secrets aliased.
//!
//! A transcript records meaning, not bytes: parameters, status, error, which fields came
//! back and the values that are stable. It is rendered as YAML and snapshotted.

mod redact;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

pub use redact::Aliases;

/// Whether a refresh token came back on the first and on the repeat grant of a case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefreshSummary {
    pub first_grant: Option<bool>,
    pub repeat_grant: Option<bool>,
}

/// Everything one case did, in order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcript {
    pub case: String,
    pub provider: String,
    pub refresh_token: RefreshSummary,
    pub steps: Vec<StepRecord>,
}

impl Transcript {
    /// The YAML text that snapshots hold.
    pub fn render(&self) -> String {
        serde_yaml::to_string(self).unwrap_or_else(|e| format!("# transcript could not be rendered: {e}\n"))
    }
}

/// One step: the request, what the simulated user saw, and the response.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StepRecord {
    pub step: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_screen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl StepRecord {
    /// A step that sent `request` and got `response`.
    pub fn sent(step: &str, request: RequestRecord, response: ResponseRecord) -> Self {
        Self {
            step: step.into(),
            request: Some(request),
            response: Some(response),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_consent_screen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl RequestRecord {
    pub fn new(method: &str, endpoint: &str, params: BTreeMap<String, String>) -> Self {
        Self {
            method: method.into(),
            endpoint: endpoint.into(),
            params,
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ResponseRecord {
    pub status: u16,
    /// Where a redirect went (the app's redirect URI), without its parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    /// An error page (the provider's own) as opposed to an error sent back to the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_page: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Redirect parameters or JSON body fields, with secrets aliased and keys sorted.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Value>,
}

/// A JSON value with object keys sorted at every level and secret fields aliased.
pub fn canonical(value: &Value, aliases: &mut Aliases) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            let mut out = serde_json::Map::new();
            for (key, value) in sorted {
                let value = match value {
                    Value::String(s) => Value::String(aliases.field(key, s)),
                    other => canonical(other, aliases),
                };
                out.insert(key.clone(), value);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| canonical(v, aliases)).collect()),
        Value::String(s) => Value::String(aliases.scrub(s)),
        other => other.clone(),
    }
}
