//! Meaning-level transcripts: what was sent and what came back, with secrets aliased.
//!
//! A transcript records meaning, not bytes: parameters, status, error, which fields came
//! back and the values that are stable. It is rendered as YAML and snapshotted. One type,
//! [`Transcript`], serves the model and live targets alike: a scenario run fills its steps
//! section, and each live probe fills its own section (the authorization requests, the
//! refresh, the discovery document); absent sections are left out of the rendered text.

mod probes;
mod redact;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::target::Cause;

pub use probes::{AuthorizeAnswer, DiscoveryFacts, DiscoverySection, ProbedRequest, RefreshSection, Verdict, Via};
pub use redact::Aliases;

/// Whether a refresh token came back on the first and on the repeat grant of a case.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefreshSummary {
    pub first_grant: Option<bool>,
    pub repeat_grant: Option<bool>,
}

/// What one case or one live probe did. The header names the case (when there is one) and
/// the provider; then come the sections that were filled, in this order:
///
/// - `run`: a scenario's steps in order, each naming its endpoint (authorize, exchange,
///   refresh, revoke, userinfo, discovery), and whether refresh tokens came back. A case run
///   on the model, on `serve` or live (the consent probe) fills it.
/// - `authorize`: the authorization requests of a case sent without a session, each with its
///   verdict (the authorize-params probe).
/// - `refresh`: one refresh of a stored refresh token (the refresh probe).
/// - `discovery`: the discovery document's facts (the discovery probe).
///
/// ```
/// use oauth_drift::{RefreshSummary, Transcript};
/// let transcript = Transcript::of_run("a case".into(), "google".into(), RefreshSummary::default(), Vec::new());
/// assert!(transcript.render().starts_with("case: a case\nprovider: google\nrefresh_token:"));
/// let probe = Transcript::of_authorize("a case".into(), "google".into(), Vec::new());
/// assert_eq!(probe.render(), "case: a case\nprovider: google\nrequests: []\n");
/// ```
#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcript {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<String>,
    pub provider: String,
    #[serde(flatten)]
    pub run: Option<RunSection>,
    #[serde(rename = "requests", skip_serializing_if = "Option::is_none")]
    pub authorize: Option<Vec<ProbedRequest>>,
    #[serde(flatten)]
    pub refresh: Option<RefreshSection>,
    #[serde(flatten)]
    pub discovery: Option<DiscoverySection>,
}

/// A scenario run: its refresh-token summary and its steps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSection {
    pub refresh_token: RefreshSummary,
    pub steps: Vec<StepRecord>,
}

impl Transcript {
    /// A scenario run of `case` on `provider`.
    pub fn of_run(case: String, provider: String, refresh_token: RefreshSummary, steps: Vec<StepRecord>) -> Self {
        Self {
            case: Some(case),
            provider,
            run: Some(RunSection { refresh_token, steps }),
            ..Self::default()
        }
    }

    /// The session-less authorization requests of `case` (the authorize-params probe).
    pub fn of_authorize(case: String, provider: String, requests: Vec<ProbedRequest>) -> Self {
        Self {
            case: Some(case),
            provider,
            authorize: Some(requests),
            ..Self::default()
        }
    }

    /// One refresh (the refresh probe).
    pub fn of_refresh(provider: String, refresh: RefreshSection) -> Self {
        Self {
            provider,
            refresh: Some(refresh),
            ..Self::default()
        }
    }

    /// The discovery document (the discovery probe).
    pub fn of_discovery(provider: String, discovery: DiscoverySection) -> Self {
        Self {
            provider,
            discovery: Some(discovery),
            ..Self::default()
        }
    }

    /// The steps of a scenario run (none for a probe's transcript).
    pub fn steps(&self) -> &[StepRecord] {
        self.run.as_ref().map_or(&[], |run| run.steps.as_slice())
    }

    /// The steps of a scenario run, to change them (none for a probe's transcript).
    pub fn steps_mut(&mut self) -> &mut [StepRecord] {
        self.run.as_mut().map_or(&mut [], |run| run.steps.as_mut_slice())
    }

    /// Whether refresh tokens came back on a scenario run's first and repeat grants.
    pub fn refresh_summary(&self) -> RefreshSummary {
        self.run.as_ref().map(|run| run.refresh_token).unwrap_or_default()
    }

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
    /// Why the body is not the JSON object the endpoint answers with (shown as `body:` among
    /// the fields): a live probe calls such an answer a fault, unless the model's prediction
    /// answers with a page too.
    #[serde(skip)]
    pub cause: Option<Cause>,
}

impl ResponseRecord {
    /// Records a body that is not a JSON object, by its typed `cause` (an HTML page, or
    /// anything else), in the field `body`.
    pub fn unreadable_body(&mut self, cause: Cause) {
        self.fields
            .insert("body".into(), Value::String(unreadable_body_words(&cause).into()));
        self.cause = Some(cause);
    }
}

/// How a transcript names a body that is not a JSON object.
pub fn unreadable_body_words(cause: &Cause) -> &'static str {
    match cause {
        Cause::Html { .. } => "an HTML body",
        _ => "a body that is not a JSON object",
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    // The shapes transcripts had before they were one type, as they rendered them: each face's
    // transcript must keep its bytes (snapshots and live snapshots hold them).
    #[derive(Serialize)]
    struct CaseShape<'a> {
        case: &'a str,
        provider: &'a str,
        refresh_token: RefreshSummary,
        steps: &'a [StepRecord],
    }

    #[derive(Serialize)]
    struct ParamsShape<'a> {
        case: &'a str,
        provider: &'a str,
        requests: &'a [ProbedRequest],
    }

    #[derive(Serialize)]
    struct RefreshRequestShape<'a> {
        method: &'a str,
        endpoint: &'a str,
        params: &'a BTreeMap<String, String>,
    }

    #[derive(Serialize)]
    struct RefreshShape<'a> {
        provider: &'a str,
        request: RefreshRequestShape<'a>,
        status: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_description: Option<&'a str>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        fields: &'a BTreeMap<String, Value>,
        rotated: bool,
    }

    #[derive(Serialize)]
    struct DiscoveryShape<'a> {
        provider: &'a str,
        url: &'a str,
        status: u16,
        #[serde(flatten)]
        facts: &'a DiscoveryFacts,
    }

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_case_run_renders_as_the_case_transcript_did() {
        let mut response = ResponseRecord {
            status: 404,
            ..Default::default()
        };
        response.unreadable_body(Cause::Html { status: 404 });
        let steps = vec![
            StepRecord::sent(
                "revoke",
                RequestRecord::new("GET", "/revoke", params(&[("token", "<refresh_token#1>")])),
                response,
            ),
            StepRecord {
                step: "advance".into(),
                note: Some("virtual clock advanced by 5s".into()),
                ..Default::default()
            },
        ];
        let summary = RefreshSummary {
            first_grant: Some(true),
            repeat_grant: None,
        };
        let unified = Transcript::of_run("c".into(), "google".into(), summary, steps.clone()).render();
        let old = serde_yaml::to_string(&CaseShape {
            case: "c",
            provider: "google",
            refresh_token: summary,
            steps: &steps,
        })
        .unwrap();
        assert_eq!(unified, old);
        assert!(unified.contains("    fields:\n      body: an HTML body\n"), "{unified}");
        let empty = Transcript::of_run("c".into(), "google".into(), summary, Vec::new()).render();
        assert!(empty.ends_with("steps: []\n"), "{empty}");
    }

    #[test]
    fn an_authorize_params_probe_renders_as_its_transcript_did() {
        let requests = vec![
            ProbedRequest {
                line: 4,
                params: params(&[("client_id", "<client_id:web>"), ("prompt", "none")]),
                answer: AuthorizeAnswer::rejected(Via::ErrorRedirect, "login_required".into(), None, 0),
            },
            ProbedRequest {
                line: 9,
                params: params(&[("scope", "email openid")]),
                answer: AuthorizeAnswer::accepted(Via::SignIn),
            },
        ];
        let unified = Transcript::of_authorize("c".into(), "oidc".into(), requests.clone()).render();
        let old = serde_yaml::to_string(&ParamsShape {
            case: "c",
            provider: "oidc",
            requests: &requests,
        })
        .unwrap();
        assert_eq!(unified, old);
        assert!(
            unified.contains("- line: 4\n  params:\n    client_id: <client_id:web>\n    prompt: none\n  verdict: rejected\n  via: error-redirect\n  error: login_required\n"),
            "{unified}"
        );
    }

    #[test]
    fn a_refresh_probe_renders_as_its_transcript_did() {
        let sent = params(&[("grant_type", "refresh_token"), ("refresh_token", "<refresh_token#1>")]);
        for (status, error, fields) in [
            (
                200,
                None,
                [("expires_in".to_string(), Value::from(3599))].into_iter().collect(),
            ),
            (400, Some("invalid_grant"), BTreeMap::new()),
        ] {
            let section = RefreshSection {
                request: RequestRecord::new("POST", "/token", sent.clone()),
                response: ResponseRecord {
                    status,
                    error: error.map(str::to_string),
                    error_description: error.map(|_| "Bad Request".to_string()),
                    fields: fields.clone(),
                    ..Default::default()
                },
                rotated: false,
            };
            let unified = Transcript::of_refresh("google".into(), section).render();
            let old = serde_yaml::to_string(&RefreshShape {
                provider: "google",
                request: RefreshRequestShape {
                    method: "POST",
                    endpoint: "/token",
                    params: &sent,
                },
                status,
                error,
                error_description: error.map(|_| "Bad Request"),
                fields: &fields,
                rotated: false,
            })
            .unwrap();
            assert_eq!(unified, old);
        }
    }

    #[test]
    fn a_discovery_probe_renders_as_its_transcript_did() {
        let facts = DiscoveryFacts {
            issuer: None,
            endpoints: [("token_endpoint".to_string(), "https://op.example/token".to_string())].into(),
            lists: [("scopes_supported".to_string(), vec!["openid".to_string()])].into(),
            other_fields: vec!["claims_supported".into()],
        };
        let unified = Transcript::of_discovery(
            "oidc".into(),
            DiscoverySection {
                url: "https://op.example/.well-known/openid-configuration".into(),
                status: 200,
                facts: facts.clone(),
            },
        )
        .render();
        let old = serde_yaml::to_string(&DiscoveryShape {
            provider: "oidc",
            url: "https://op.example/.well-known/openid-configuration",
            status: 200,
            facts: &facts,
        })
        .unwrap();
        assert_eq!(unified, old);
        assert!(
            unified.starts_with(
                "provider: oidc\nurl: https://op.example/.well-known/openid-configuration\nstatus: 200\nissuer: null\n"
            ),
            "{unified}"
        );
    }
}
