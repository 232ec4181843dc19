//! The authorize-params probe: each parameter combination a scenario sends to the
//! authorization endpoint, requested without a user session, and classified as accepted (the
//! provider goes on to sign-in or consent) or rejected (with the error text). It needs only a
//! client id, so it runs unattended, and it catches changes like approval_prompt's.

use std::collections::BTreeMap;

use serde::Serialize;
use url::Url;

use super::normalise::{normalise_ports, sort_scope};
use super::pages::{decode_auth_error, scrape_error_page};
use super::transport::{Body, Cause, Inconclusive, Request, Response};
use crate::model::{CONSENT_HEADER, CONSENT_SCREEN_HEADER, ERROR_DESCRIPTION_HEADER, ERROR_HEADER, SESSION_HEADER};
use crate::provider::{ClientConfig, ErrorPageFormat};
use crate::runner::{authorize_query, step_applies};
use crate::scenario::{Action, Case};
use crate::target::Transport;
use crate::transcript::{Aliases, AuthorizeAnswer, ProbedRequest, Transcript, Verdict, Via};

/// Classifies the answer to a session-less authorization request whose redirect URI is
/// `redirect_uri`; `error_page` is how the profile's provider shows an error (its `error_page`). The
/// probe sends `x-oauth-drift-consent: deny`, so a model or `serve` stops at its consent screen
/// and says so, and no grant is recorded.
pub fn classify(
    response: &Response,
    request_url: &Url,
    redirect_uri: &str,
    error_page: Option<&ErrorPageFormat>,
) -> Result<AuthorizeAnswer, Cause> {
    if response.header(CONSENT_SCREEN_HEADER) == Some("shown") {
        return Ok(AuthorizeAnswer::accepted(Via::ConsentScreen));
    }
    let status = response.status;
    if (300..400).contains(&status) {
        let location = response
            .header("location")
            .ok_or_else(|| Cause::Unrecognised(format!("a {status} redirect without a Location")))?;
        let target = request_url
            .join(location)
            .map_err(|_| Cause::Unrecognised(format!("a {status} redirect to an unreadable Location")))?;
        let redirect = crate::target::Redirect::parse(target.as_str());
        let encoded = error_page.and_then(|page| redirect.get(&page.parameter));
        if let Some(value) = encoded {
            let error = decode_auth_error(value);
            let (code, description) = match error {
                Some(e) => (e.error, e.description),
                None => (
                    "unknown".to_string(),
                    Some(format!(
                        "the {} parameter could not be decoded",
                        error_page.map_or("", |p| p.parameter.as_str())
                    )),
                ),
            };
            let page_status = if code == "invalid_client" { 401 } else { 400 };
            return Ok(AuthorizeAnswer::rejected(
                Via::AuthError,
                code,
                description,
                page_status,
            ));
        }
        if same_endpoint(&target, redirect_uri) {
            let get = |name: &str| redirect.get(name).map(str::to_string);
            return Ok(match get("error") {
                Some(error) => AuthorizeAnswer::rejected(Via::ErrorRedirect, error, get("error_description"), 0),
                None => AuthorizeAnswer::accepted(Via::CodeRedirect),
            });
        }
        return Ok(AuthorizeAnswer::accepted(Via::SignIn));
    }
    let body = String::from_utf8_lossy(&response.body);
    let header_error = response.header(ERROR_HEADER).map(str::to_string);
    let header_description = response.header(ERROR_DESCRIPTION_HEADER).map(str::to_string);
    let page = scrape_error_page(&body, error_page);
    if status >= 400 {
        let error = header_error
            .or_else(|| page.as_ref().map(|p| p.error.clone()))
            .unwrap_or_else(|| "unknown".into());
        let description = header_description.or_else(|| page.and_then(|p| p.description));
        return Ok(AuthorizeAnswer::rejected(Via::ErrorPage, error, description, status));
    }
    if status == 200 {
        if let Some(error) = header_error.or_else(|| page.as_ref().map(|p| p.error.clone())) {
            return Ok(AuthorizeAnswer::rejected(
                Via::ErrorPage,
                error,
                header_description.or_else(|| page.and_then(|p| p.description)),
                400,
            ));
        }
        if body.trim_start().starts_with('<') {
            return Ok(AuthorizeAnswer::accepted(Via::SignIn));
        }
    }
    Err(Cause::Unrecognised(format!(
        "status {status} that is neither a redirect nor a page"
    )))
}

/// Whether `target` is the redirect URI (scheme, host, port and path; loopback ports aside,
/// since installed clients may use any port).
fn same_endpoint(target: &Url, redirect_uri: &str) -> bool {
    let Ok(redirect) = Url::parse(redirect_uri) else {
        return false;
    };
    let loopback = matches!(redirect.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    target.scheme() == redirect.scheme()
        && target.host_str() == redirect.host_str()
        && (loopback || target.port_or_known_default() == redirect.port_or_known_default())
        && target.path().trim_end_matches('/') == redirect.path().trim_end_matches('/')
}

/// What the model can be held to of the authorization requests of a transcript: the verdicts
/// and errors, not what carried them (a real provider sends a person to sign-in where the
/// model shows its consent screen).
pub fn comparable(transcript: &Transcript) -> String {
    #[derive(Serialize)]
    struct View<'a> {
        line: usize,
        params: &'a BTreeMap<String, String>,
        verdict: &'a Verdict,
        #[serde(skip_serializing_if = "Option::is_none")]
        error: &'a Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        error_description: &'a Option<String>,
    }
    let views: Vec<View> = transcript
        .authorize
        .iter()
        .flatten()
        .map(|r| View {
            line: r.line,
            params: &r.params,
            verdict: &r.answer.verdict,
            error: &r.answer.error,
            error_description: &r.answer.error_description,
        })
        .collect();
    serde_yaml::to_string(&views).unwrap_or_default()
}

/// The authorization requests of `case` sent as `client` to `authorize`, in step order. The live
/// client stands for every client of the scenario (the question is which parameters the
/// provider accepts, and a live probe has one client); it is named after the first.
pub async fn probe_case(
    case: &Case,
    http: &dyn Transport,
    authorize: &Url,
    client_name: &str,
    client: &ClientConfig,
    error_page: Option<&ErrorPageFormat>,
) -> Result<Transcript, Inconclusive> {
    let mut aliases = Aliases::default();
    aliases.name(&client.client_id, format!("<client_id:{client_name}>"));
    let mut requests = Vec::new();
    for (index, step) in case.scenario.file.steps.iter().enumerate() {
        let Action::Authorize(action) = &step.action else {
            continue;
        };
        if !step_applies(step, case) {
            continue;
        }
        let (query, _verifier) = authorize_query(action, case, client);
        let mut url = authorize.clone();
        url.query_pairs_mut().extend_pairs(&query);
        let redirect_uri = query
            .iter()
            .find(|(k, _)| k == "redirect_uri")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        // no session: a model or serve must not assume its default user is signed in
        let request = Request::get(url.clone())
            .header(CONSENT_HEADER, "deny")
            .header(SESSION_HEADER, "none");
        let response = http.exchange(&request, Body::Any).await?;
        let answer = classify(&response, &url, &redirect_uri, error_page).map_err(|cause| Inconclusive {
            cause,
            attempts: response.attempts,
            elapsed: Default::default(),
            note: None,
        })?;
        let params = query
            .iter()
            .map(|(k, v)| {
                let value = aliases.field(k, v);
                let value = if k == "scope" {
                    sort_scope(&value)
                } else {
                    normalise_ports(&value)
                };
                (k.clone(), value)
            })
            .collect();
        let answer = AuthorizeAnswer {
            error_description: answer
                .error_description
                .as_deref()
                .map(|d| normalise_ports(&aliases.scrub(d))),
            ..answer
        };
        let line = case.scenario.step_lines.get(index).copied().unwrap_or(1);
        requests.push(ProbedRequest { line, params, answer });
    }
    Ok(Transcript::of_authorize(
        case.name.clone(),
        case.provider.clone(),
        requests,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&'static str, &str)], body: &str) -> Response {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        Response {
            status,
            headers: map,
            body: body.as_bytes().to_vec(),
            json: None,
            attempts: 1,
        }
    }

    fn google_request() -> Url {
        Url::parse("https://accounts.google.com/o/oauth2/v2/auth?client_id=x").unwrap()
    }

    const REDIRECT: &str = "http://127.0.0.1/callback";

    fn google_page() -> Option<ErrorPageFormat> {
        crate::provider::Registry::builtin().load("google").unwrap().error_page
    }

    #[test]
    fn a_redirect_to_sign_in_is_accepted() {
        let r = response(
            302,
            &[(
                "location",
                "https://accounts.google.com/v3/signin/identifier?continue=x",
            )],
            "",
        );
        assert_eq!(
            classify(&r, &google_request(), REDIRECT, google_page().as_ref()).unwrap(),
            AuthorizeAnswer::accepted(Via::SignIn)
        );
    }

    #[test]
    fn an_auth_error_redirect_is_rejected_with_the_decoded_text() {
        // field 1 "invalid_request", field 2 "Conflict params: approval_prompt and prompt"
        let mut bytes = vec![0x0a, 15];
        bytes.extend_from_slice(b"invalid_request");
        let text = b"Conflict params: approval_prompt and prompt";
        bytes.push(0x12);
        bytes.push(text.len() as u8);
        bytes.extend_from_slice(text);
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes);
        let location = format!(
            "/signin/oauth/error?authError={}&client_id=x",
            url::form_urlencoded::byte_serialize(encoded.as_bytes()).collect::<String>()
        );
        let answer = classify(
            &response(302, &[("location", &location)], ""),
            &google_request(),
            REDIRECT,
            google_page().as_ref(),
        )
        .unwrap();
        assert_eq!(answer.verdict, Verdict::Rejected);
        assert_eq!(answer.via, Via::AuthError);
        assert_eq!(answer.error.as_deref(), Some("invalid_request"));
        assert_eq!(
            answer.error_description.as_deref(),
            Some("Conflict params: approval_prompt and prompt")
        );
        assert!(answer.is_error_page());
    }

    #[test]
    fn redirects_to_the_app_are_codes_or_errors() {
        let code = response(302, &[("location", "http://127.0.0.1:9/callback?code=4/x&state=s")], "");
        assert_eq!(
            classify(&code, &google_request(), REDIRECT, google_page().as_ref()).unwrap(),
            AuthorizeAnswer::accepted(Via::CodeRedirect)
        );
        let error = response(
            302,
            &[("location", "http://127.0.0.1/callback?error=consent_required&state=s")],
            "",
        );
        let answer = classify(&error, &google_request(), REDIRECT, google_page().as_ref()).unwrap();
        assert_eq!(
            (answer.via, answer.error.as_deref()),
            (Via::ErrorRedirect, Some("consent_required"))
        );
    }

    #[test]
    fn model_error_pages_and_consent_screens_are_read_from_their_headers() {
        let page = response(
            400,
            &[
                (ERROR_HEADER, "invalid_request"),
                (ERROR_DESCRIPTION_HEADER, "Missing required parameter: scope"),
            ],
            "<html>",
        );
        let answer = classify(&page, &google_request(), REDIRECT, google_page().as_ref()).unwrap();
        assert_eq!((answer.via, answer.page_status), (Via::ErrorPage, 400));
        assert_eq!(
            answer.error_description.as_deref(),
            Some("Missing required parameter: scope")
        );
        let denied = response(
            302,
            &[
                (CONSENT_SCREEN_HEADER, "shown"),
                ("location", "http://127.0.0.1/callback?error=access_denied"),
            ],
            "",
        );
        assert_eq!(
            classify(&denied, &google_request(), REDIRECT, google_page().as_ref()).unwrap(),
            AuthorizeAnswer::accepted(Via::ConsentScreen)
        );
    }

    #[test]
    fn an_answer_no_rule_knows_is_unrecognised() {
        let odd = response(200, &[("content-type", "application/json")], "{}");
        assert_eq!(
            classify(&odd, &google_request(), REDIRECT, google_page().as_ref())
                .unwrap_err()
                .kind(),
            "unrecognised"
        );
        let bare = response(302, &[], "");
        assert_eq!(
            classify(&bare, &google_request(), REDIRECT, google_page().as_ref())
                .unwrap_err()
                .kind(),
            "unrecognised"
        );
    }
}
