//! The classes of issue 12, one test each: redirect rules that cannot be checked from a URL,
//! offline_access at Google, fixes that keep the app's intent, causes ranked by the symptom,
//! and inputs that are not authorization URLs.

use oauth_drift::diagnose::{
    Diagnosed, Diagnosis, Edit, Input, Observation, Options, ResponseDiagnosis, Symptom, TokenResponse, diagnose,
    diagnose_any,
};
use oauth_drift::{PublishingStatus, Registry};

use super::support::{code, oauth_drift, oauth_drift_with_stdin, stderr, stdout};

const V2: &str = "https://accounts.google.com/o/oauth2/v2/auth?client_id=12-classes.apps.googleusercontent.com";

fn run(pasted: &str, options: Options) -> Diagnosis {
    let input = Input {
        pasted: Some(pasted.to_string()),
        ..Default::default()
    };
    diagnose(&input, &options, &Registry::builtin()).unwrap_or_else(|e| panic!("{pasted}: {e}"))
}

fn google(pasted: &str) -> Diagnosis {
    run(pasted, Options::default())
}

fn response(pasted: &str, options: Options) -> ResponseDiagnosis {
    let input = Input {
        pasted: Some(pasted.to_string()),
        ..Default::default()
    };
    match diagnose_any(&input, &options, &Registry::builtin()).unwrap_or_else(|e| panic!("{pasted}: {e}")) {
        Diagnosed::Response(response) => *response,
        Diagnosed::Request(_) => panic!("{pasted}: diagnosed as a request"),
    }
}

fn codes(diagnosis: &Diagnosis) -> Vec<&'static str> {
    diagnosis.findings.iter().map(|f| f.code.as_str()).collect()
}

// ---------------------------------------------------------------- 1. redirect rules

#[test]
fn an_old_http_redirect_is_a_warning_and_the_rest_is_diagnosed() {
    // googleapis/google-api-python-client #213 (2016): the flow worked, only repeat grants lacked a refresh_token
    let url = "https://accounts.google.com/o/oauth2/auth?scope=https://www.googleapis.com/auth/webmasters&redirect_uri=http://mywebsite.com/google/scapi/callback/&response_type=code&client_id=1.apps.googleusercontent.com&access_type=offline";
    let today = google(url);
    assert!(today.prediction.first_grant.refresh_token, "{:?}", today.prediction);
    assert!(!today.prediction.repeat_grant.refresh_token);
    let od142 = today.findings.iter().find(|f| f.code == "OD142").expect("OD142");
    assert_eq!(od142.severity.label(), "warning");
    assert!(!od142.cause);
    assert_eq!(today.findings[0].code, "OD112", "{:?}", codes(&today));
    assert!(
        today
            .fix
            .url
            .as_deref()
            .unwrap()
            .ends_with("&access_type=offline&prompt=consent")
    );
    // in its own era the https rule does not apply at all
    let then = run(
        url,
        Options {
            provider: "google@2015".into(),
            ..Default::default()
        },
    );
    assert!(!codes(&then).contains(&"OD142"), "{:?}", codes(&then));
}

#[test]
fn googles_special_redirect_values_are_not_registration_problems() {
    for redirect in [
        "postmessage",
        "storagerelay%3A%2F%2Fhttp%2Flocalhost%3A3000%3Fid%3Dauth81586",
    ] {
        let d = google(&format!(
            "{V2}&redirect_uri={redirect}&response_type=code&scope=openid%20email%20https://www.googleapis.com/auth/calendar&access_type=offline&prompt=consent"
        ));
        assert!(d.every_grant(), "{redirect}: {:?}", d.prediction);
        assert!(
            codes(&d).contains(&"OD144") && !codes(&d).contains(&"OD142"),
            "{:?}",
            codes(&d)
        );
        assert_eq!(d.client_kind, oauth_drift::ClientKind::Web, "{redirect}");
    }
}

// ---------------------------------------------------------------- 2. offline_access

#[test]
fn offline_access_at_google_is_invalid_scope_and_the_fix_removes_it() {
    let d = google(&format!(
        "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=openid%20email%20offline_access"
    ));
    assert_eq!(d.prediction.first_grant.error.as_deref(), Some("invalid_scope"));
    assert_eq!(
        d.prediction.first_grant.error_description.as_deref(),
        Some(
            "Some requested scopes were invalid. {valid=[openid, https://www.googleapis.com/auth/userinfo.email], invalid=[offline_access]}"
        )
    );
    assert_eq!(d.findings[0].code, "OD114");
    assert!(d.fix.has(Edit::DropRejectedScopes));
    let fixed = d.fix.url.as_deref().unwrap();
    assert!(!fixed.contains("offline_access"), "{fixed}");
    assert!(fixed.contains("access_type=offline"), "{fixed}");
    assert!(d.fix.verified.as_ref().unwrap().every_grant());
    // an OpenID provider honours it: no such error there
    let oidc = run(
        "https://op.example/auth?client_id=rp&redirect_uri=https://rp.example.com/cb&response_type=code&scope=openid%20offline_access&prompt=consent",
        Options {
            provider: "oidc".into(),
            ..Default::default()
        },
    );
    assert!(oidc.every_grant());
}

// ---------------------------------------------------------------- 3. intent

#[test]
fn a_sign_in_request_is_not_turned_offline_by_the_fix() {
    let d = google(&format!(
        "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=openid%20email%20profile"
    ));
    assert!(d.fix.intent.is_some());
    assert!(d.fix.changes.is_empty(), "{:?}", d.fix.changes);
    assert!(!d.fix.url.as_deref().unwrap().contains("prompt=consent"));
    let offline = d.fix.alternative.as_ref().expect("a labelled offline fix");
    assert!(
        offline
            .url
            .as_deref()
            .unwrap()
            .ends_with("&access_type=offline&prompt=consent")
    );
    let human = oauth_drift::diagnose::render::human(&d);
    assert!(human.contains("If you want a refresh_token"), "{human}");
}

#[test]
fn access_type_online_with_an_error_gets_only_the_smallest_change() {
    let d = google(&format!(
        "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=online&approval_prompt=auto"
    ));
    assert_eq!(d.prediction.first_grant.error.as_deref(), Some("invalid_request"));
    let edits: Vec<Vec<Edit>> = d.fix.changes.iter().map(|c| c.edits.clone()).collect();
    assert_eq!(edits, [vec![Edit::DropApprovalPrompt]]);
    let fixed = d.fix.url.as_deref().unwrap();
    assert!(
        fixed.contains("access_type=online") && !fixed.contains("prompt=consent"),
        "{fixed}"
    );
    assert!(d.fix.alternative.is_some());
}

// ---------------------------------------------------------------- 4. symptoms

#[test]
fn invalid_grant_after_days_ranks_testing_first_and_exits_1() {
    let url = format!(
        "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=https://www.googleapis.com/auth/drive&access_type=offline&prompt=consent"
    );
    let plain = google(&url);
    assert_eq!(plain.exit_code(), 0);
    let d = run(
        &url,
        Options {
            symptom: Some(Symptom::InvalidGrantAfterDays),
            ..Default::default()
        },
    );
    assert_eq!(d.findings[0].code, "OD170");
    assert!(d.findings[0].symptom && d.findings[0].message.contains("not known"));
    assert!(codes(&d).contains(&"OD171"));
    assert_eq!(d.exit_code(), 1);
    // production said: Testing is ruled out, the other causes are listed
    let production = run(
        &url,
        Options {
            symptom: Some(Symptom::InvalidGrantAfterDays),
            status: Some(PublishingStatus::Production),
            ..Default::default()
        },
    );
    assert_eq!(production.findings[0].code, "OD171");
    assert!(!codes(&production).contains(&"OD170"));
    // sign-in scopes are exempt from the 7-day rule: the model says so
    let exempt = run(
        &format!(
            "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=openid%20email&access_type=offline&prompt=consent"
        ),
        Options {
            symptom: Some(Symptom::InvalidGrantAfterDays),
            ..Default::default()
        },
    );
    assert!(!codes(&exempt).contains(&"OD170"), "{:?}", codes(&exempt));
}

#[test]
fn a_revoked_refresh_token_ranks_the_limit_first_with_an_english_ordinal() {
    let d = run(
        "https://accounts.google.com/o/oauth2/auth?client_id=1&redirect_uri=https://a.example/cb&response_type=code&scope=https://www.googleapis.com/auth/drive&access_type=offline&approval_prompt=force",
        Options {
            provider: "google@2015".into(),
            symptom: Some(Symptom::RefreshTokenRevoked),
            ..Default::default()
        },
    );
    assert_eq!(d.findings[0].code, "OD113");
    assert!(
        d.findings[0].message.contains("the 26th grant revoked the first"),
        "{}",
        d.findings[0].message
    );
    assert_eq!(d.exit_code(), 1);
}

#[test]
fn oidc_does_not_cite_googles_limit() {
    let d = run(
        "https://login.example.org/auth?client_id=rp&redirect_uri=https://rp.example.com/cb&response_type=code&scope=openid%20offline_access&prompt=consent",
        Options {
            provider: "oidc".into(),
            ..Default::default()
        },
    );
    let od113 = d.findings.iter().find(|f| f.code == "OD113").expect("OD113");
    assert!(!od113.source.contains("Google"), "{}", od113.source);
    assert!(od113.source.contains("`oidc`"), "{}", od113.source);
}

// ---------------------------------------------------------------- 5. other inputs

#[test]
fn a_token_response_alone_is_explained_not_called_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("refresh.json"),
        r#"{"access_token":"ya29.fake","expires_in":3599,"scope":"https://www.googleapis.com/auth/drive","token_type":"Bearer"}"#,
    )
    .unwrap();
    let output = oauth_drift_with_stdin(dir.path(), &["diagnose", "--token-response", "refresh.json"], "");
    let text = stdout(&output);
    assert!(!stderr(&output).contains("empty"), "{}", stderr(&output));
    assert!(text.contains("OD160") && text.contains("OD180"), "{text}");
    assert_eq!(
        code(&output),
        1,
        "a code exchange without refresh_token cannot be ruled out"
    );
    assert!(!text.contains("ya29.fake"));
}

#[test]
fn a_refresh_response_without_refresh_token_is_normal() {
    let r = response(
        "$ curl -s -d grant_type=refresh_token -d refresh_token=1//fake https://oauth2.googleapis.com/token\n{\"access_token\": \"ya29.fake\", \"expires_in\": 3599, \"token_type\": \"Bearer\"}",
        Options::default(),
    );
    assert_eq!(r.exit_code(), 0);
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].code, "OD160");
    assert!(r.findings[0].message.contains("keep the stored one"));
}

#[test]
fn an_invalid_grant_lists_every_cause() {
    for pasted in [
        r#"{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}"#,
        "google.auth.exceptions.RefreshError: ('invalid_grant: Token has been expired or revoked.', {'error': 'invalid_grant'})",
    ] {
        let r = response(pasted, Options::default());
        assert_eq!(r.symptom, Some(Symptom::InvalidGrant));
        assert_eq!(r.findings[0].code, "OD171");
        let message = &r.findings[0].message;
        for cause in ["Testing", "101st", "revocation", "180 days", "password"] {
            assert!(message.contains(cause), "{cause} missing: {message}");
        }
        assert_eq!(r.exit_code(), 1);
    }
    let exchange = response(
        r#"{"error": "invalid_grant", "error_description": "Malformed auth code."}"#,
        Options::default(),
    );
    assert_eq!(exchange.findings[0].code, "OD172");
    assert!(exchange.findings[0].message.contains("a malformed code"));
}

#[test]
fn googles_error_page_is_decoded() {
    // onyx-dot-app/onyx #7854 (2026)
    let r = response(
        "https://accounts.google.com/signin/oauth/error?authError=Cg9pbnZhbGlkX3JlcXVlc3QSXmRldmljZV9pZCBhbmQgZGV2aWNlX25hbWUgYXJlIHJlcXVpcmVkIGZvciBwcml2YXRlIElQOiBodHRwOi8vMTkyLjE2OC4xLjEyNDo4MDQ1L2F1dGgvY2FsbGJhY2saN2h0dHBzOi8vZGV2ZWxvcGVycy5nb29nbGUuY29tL2lkZW50aXR5L3Byb3RvY29scy9vYXV0aDIgkAM%3D&client_id=1071006060591-x.apps.googleusercontent.com&flowName=GeneralOAuthFlow",
        Options::default(),
    );
    let Observation::ErrorPage { page } = &r.observation else {
        panic!("not an error page")
    };
    assert_eq!(page.error, "invalid_request");
    assert_eq!(page.status, Some(400));
    assert!(
        page.description
            .starts_with("device_id and device_name are required for private IP")
    );
    assert_eq!(r.findings[0].code, "OD181");
    assert_eq!(r.exit_code(), 1);
}

#[test]
fn a_json_log_holding_the_url_is_still_a_request() {
    let input = Input {
        pasted: Some(format!(
            r#"{{"level":"info","msg":"redirecting","url":"{V2}\u0026redirect_uri=https://app.example.com/cb\u0026response_type=code\u0026scope=email\u0026access_type=offline"}}"#
        )),
        ..Default::default()
    };
    let outcome = diagnose_any(&input, &Options::default(), &Registry::builtin()).unwrap();
    assert!(matches!(outcome, Diagnosed::Request(_)));
}

#[test]
fn a_bare_query_with_a_redirect_uri_is_diagnosed() {
    let d = google(
        "client_id=1.apps.googleusercontent.com&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline&approval_prompt=force",
    );
    assert_eq!(d.findings[0].code, "OD103");
}

#[test]
fn a_sign_in_page_without_oauth_parameters_is_refused_with_where_to_look() {
    let dir = tempfile::tempdir().unwrap();
    let output = oauth_drift(
        dir.path(),
        &[
            "diagnose",
            "https://accounts.google.com/v3/signin/identifier?dsh=S1&flowName=GlifWebSignIn&flowEntry=ServiceLogin",
        ],
    );
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("carries no OAuth parameters"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("Preserve log"));
}

#[test]
fn a_url_broken_over_indented_code_lines_shows_what_google_receives() {
    let d = google(
        "const url = `https://accounts.google.com/o/oauth2/v2/auth?client_id=1.apps.googleusercontent.com&\n    redirect_uri=https://app.example.com/cb&\n    response_type=code&scope=email&access_type=offline&prompt=consent`;",
    );
    assert!(d.request.params.iter().any(|p| p.name == "    redirect_uri"));
    assert_eq!(d.prediction.first_grant.error.as_deref(), Some("invalid_request"));
    assert!(codes(&d).contains(&"OD195"));
    assert!(d.fix.has(Edit::TrimWhitespace));
    assert!(d.fix.verified.as_ref().unwrap().every_grant());
}

#[test]
fn a_pasted_token_response_infers_the_symptom() {
    let d = Input {
        pasted: Some(format!(
            "{V2}&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline"
        )),
        token_response: Some(
            TokenResponse::parse(
                std::path::Path::new("t.json"),
                r#"{"access_token":"a","expires_in":3599,"token_type":"Bearer"}"#,
            )
            .unwrap(),
        ),
        ..Default::default()
    };
    let d = diagnose(&d, &Options::default(), &Registry::builtin()).unwrap();
    assert_eq!(d.symptom, Some(Symptom::NoRefreshToken));
}
