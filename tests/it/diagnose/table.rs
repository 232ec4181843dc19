//! Real-world authorization URLs, shaped after the public reports cited in the reference
//! notes, each with what the model predicts for a first and a repeat grant and the findings
//! diagnose must report. Every row runs the whole library path: parse, predict, fix, explain.

use super::support::{Grant, fails, ok};
use oauth_drift::diagnose::{Input, Options, diagnose};
use oauth_drift::{ClientKind, PublishingStatus, Registry};

struct Row {
    source: &'static str,
    pasted: &'static str,
    provider: &'static str,
    client: Option<ClientKind>,
    status: Option<PublishingStatus>,
    first: Grant,
    repeat: Grant,
    codes: &'static [&'static str],
}

const fn row(
    source: &'static str,
    pasted: &'static str,
    first: Grant,
    repeat: Grant,
    codes: &'static [&'static str],
) -> Row {
    Row {
        source,
        pasted,
        provider: "google",
        client: None,
        status: None,
        first,
        repeat,
        codes,
    }
}

const V2: &str = "https://accounts.google.com/o/oauth2/v2/auth";

const ROWS: &[Row] = &[
    row(
        "googleapis/oauth2client #453 (2.0.0 URL)",
        "https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&approval_prompt=force&client_id=123456789012-abcdefghijklmnop.apps.googleusercontent.com&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F&response_type=code&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive",
        ok(true, true),
        ok(false, false),
        &["OD103", "OD113"],
    ),
    row(
        "googleapis/oauth2client #453 (v1.5.2 URL, judged by today's model)",
        "https://accounts.google.com/o/oauth2/auth?access_type=offline&approval_prompt=force&client_id=123456789012-abcdefghijklmnop.apps.googleusercontent.com&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F&response_type=code&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive",
        ok(true, true),
        ok(false, false),
        &["OD103", "OD113", "OD150"],
    ),
    Row {
        provider: "google@2015",
        ..row(
            "googleapis/oauth2client #453 (v1.5.2 URL in its own era)",
            "https://accounts.google.com/o/oauth2/auth?access_type=offline&approval_prompt=force&client_id=123456789012-abcdefghijklmnop.apps.googleusercontent.com&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F&response_type=code&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive",
            ok(true, true),
            ok(true, true),
            &["OD104", "OD113"],
        )
    },
    row(
        "thephpleague/oauth2-google #42: both parameters",
        "https://accounts.google.com/o/oauth2/v2/auth?state=9f2c1e&scope=openid%20email%20profile&response_type=code&approval_prompt=force&redirect_uri=https%3A%2F%2Fexample.org%2Fconnect%2Fgoogle%2Fcheck&client_id=55-x.apps.googleusercontent.com&access_type=offline&prompt=consent",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD101", "OD113"],
    ),
    row(
        "googleapis/google-api-php-client #1821: approval_prompt=auto",
        "https://accounts.google.com/o/oauth2/auth?response_type=code&access_type=offline&client_id=77-y.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fshop.example.com%2Foauth2callback&state&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fanalytics.readonly&approval_prompt=auto",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD102", "OD112", "OD113", "OD150"],
    ),
    row(
        "python-social-auth/social-app-django #248: approval_prompt=true",
        "https://accounts.google.com/o/oauth2/auth?client_id=88-z.apps.googleusercontent.com&redirect_uri=https://portal.example.com/complete/google-oauth2/&state=Q1w2&response_type=code&scope=openid+email+profile&access_type=offline&approval_prompt=true",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD102", "OD112", "OD113", "OD150"],
    ),
    row(
        "googleapis/google-api-php-client #2444: prompt=consent;",
        "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&access_type=offline&client_id=99-a.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fcrm.example.com%2Fgoogle%2Fcallback&state&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar&prompt=consent%3B",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD105", "OD113"],
    ),
    row(
        "public README: Invalid prompt: con\\nsent (line break inside the value)",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=11-b.apps.googleusercontent.com&redirect_uri=https://bot.example.com/oauth&response_type=code&scope=https://mail.google.com/&access_type=offline&prompt=con%0Asent",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD105", "OD113", "OD193"],
    ),
    row(
        "the same URL wrapped by a terminal when pasted (the line break is not in the URL)",
        "Error 400 for this URL:\nhttps://accounts.google.com/o/oauth2/v2/auth?client_id=11-b.apps.googleusercontent.com&redirect_uri=https://bot.example.com/oauth&response_type=code&scope=https://mail.google.com/&access_type=offline&prompt=con\nsent\nany idea?",
        ok(true, true),
        ok(true, true),
        &["OD113"],
    ),
    row(
        "Google DevRel \"Google OIDC and Prompt Login\": prompt=login",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=22-c.apps.googleusercontent.com&redirect_uri=https://sso.example.com/callback&response_type=code&scope=openid%20email&access_type=offline&prompt=login",
        ok(true, true),
        ok(false, false),
        &["OD107", "OD113"],
    ),
    row(
        "DuendeArchive/identity-model-oidc-client-js #366: prompt=none",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=33-d.apps.googleusercontent.com&redirect_uri=https://spa.example.com/silent-renew.html&response_type=code&scope=openid%20profile&access_type=offline&prompt=none",
        fails("consent_required"),
        fails("consent_required"),
        &["OD108", "OD113"],
    ),
    row(
        "D2 prompt: none must not be combined",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=33-d.apps.googleusercontent.com&redirect_uri=https://spa.example.com/cb&response_type=code&scope=openid&access_type=offline&prompt=none%20consent",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD106", "OD113"],
    ),
    row(
        "civicrm/civicrm-core PR #26531: select_account alone",
        "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=44-e.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fcrm.example.org%2Fcivicrm%2Foauth-client%2Freturn&scope=https%3A%2F%2Fmail.google.com%2F&state=abc&access_type=offline&prompt=select_account",
        ok(true, true),
        ok(false, false),
        &["OD109", "OD113"],
    ),
    row(
        "civicrm/civicrm-core PR #26531: the fix, select_account consent",
        "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=44-e.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fcrm.example.org%2Fcivicrm%2Foauth-client%2Freturn&scope=https%3A%2F%2Fmail.google.com%2F&state=abc&access_type=offline&prompt=select_account%20consent",
        ok(true, true),
        ok(true, true),
        &["OD113"],
    ),
    row(
        "authomatic/authomatic PR #243: prompt=consent every time",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=55-f.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Flogin%2Fgoogle&response_type=code&scope=profile+email&state=s&access_type=offline&prompt=consent",
        ok(true, true),
        ok(true, true),
        &["OD113"],
    ),
    row(
        "thephpleague/oauth2-google PR #73: prompt=consent without access_type",
        "https://accounts.google.com/o/oauth2/v2/auth?state=st&scope=openid%20email&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fgoogle&client_id=66-g.apps.googleusercontent.com&prompt=consent",
        ok(false, true),
        ok(false, true),
        &["OD110", "OD113"],
    ),
    row(
        "usefulangle.com: access_type=offline, no consent screen on the second login",
        "https://accounts.google.com/o/oauth2/v2/auth?scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive.file&access_type=offline&include_granted_scopes=true&response_type=code&state=state_parameter_passthrough_value&redirect_uri=https%3A%2F%2Foauth2.example.com%2Fcode&client_id=77-h.apps.googleusercontent.com",
        ok(true, true),
        ok(false, false),
        &["OD112", "OD113"],
    ),
    row(
        "anomalyco/sst PR #2183: no access_type at all",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=88-i.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fauth.example.com%2Fgoogle%2Fcallback&response_type=code&scope=openid+email+profile&state=x",
        ok(false, true),
        ok(false, false),
        &["OD110", "OD112", "OD113"],
    ),
    row(
        "public chat log: access_type=offine",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=99-j.apps.googleusercontent.com&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offine",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD111", "OD112", "OD113"],
    ),
    row(
        "D2 access_type: online is the default",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=99-j.apps.googleusercontent.com&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=online",
        ok(false, true),
        ok(false, false),
        &["OD110", "OD112", "OD113"],
    ),
    row(
        "RFC 6749 §4.2.2: implicit flow with access_type=offline",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=10-k.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fspa.example.com%2F&response_type=token&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.readonly&access_type=offline&include_granted_scopes=true",
        ok(false, true),
        ok(false, false),
        &["OD113", "OD120"],
    ),
    row(
        "Kong/insomnia #5062: response_type missing",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=12-l.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.insomnia.example%2Foauth%2Fredirect&scope=openid%20email&access_type=offline&prompt=consent&state=1",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD113", "OD121"],
    ),
    row(
        "googleads/googleads-php-lib #268: scope missing",
        "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&access_type=offline&client_id=13-m.apps.googleusercontent.com&redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob%3Aauto",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD112", "OD121", "OD140"],
    ),
    row(
        "awesomemotive/Google-Analytics-Dashboard-for-WP #65: client_id missing",
        "https://accounts.google.com/o/oauth2/auth?response_type=code&redirect_uri=https%3A%2F%2Fblog.example.com%2Fwp-admin%2F&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fanalytics.readonly&access_type=offline",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD112", "OD121", "OD150"],
    ),
    row(
        "pdobsan/oama #36: desktop loopback re-authorization",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=14-n.apps.googleusercontent.com&redirect_uri=http%3A%2F%2F127.0.0.1%3A38675&response_type=code&scope=https%3A%2F%2Fmail.google.com%2F&access_type=offline&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        ok(true, true),
        ok(false, false),
        &["OD112", "OD113", "OD141"],
    ),
    row(
        "D3: installed client without access_type, with include_granted_scopes",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=15-o.apps.googleusercontent.com&redirect_uri=http://[::1]:8765&response_type=code&scope=https://www.googleapis.com/auth/youtube.readonly&include_granted_scopes=true",
        ok(true, true),
        ok(false, false),
        &["OD112", "OD113", "OD122", "OD141"],
    ),
    row(
        "D5 OOB migration: out-of-band redirect",
        "https://accounts.google.com/o/oauth2/auth?client_id=16-p.apps.googleusercontent.com&redirect_uri=urn:ietf:wg:oauth:2.0:oob&response_type=code&scope=https://www.googleapis.com/auth/drive&access_type=offline",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD112", "OD113", "OD140", "OD150"],
    ),
    Row {
        provider: "google@2015",
        ..row(
            "astrada/google-drive-ocamlfuse: out-of-band flow in 2015",
            "https://accounts.google.com/o/oauth2/auth?client_id=16-p.apps.googleusercontent.com&redirect_uri=urn:ietf:wg:oauth:2.0:oob&response_type=code&scope=https://www.googleapis.com/auth/drive&access_type=offline&approval_prompt=force",
            ok(true, true),
            ok(true, true),
            &["OD104", "OD113"],
        )
    },
    row(
        "D3 PKCE: lower-case s256",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=17-q.apps.googleusercontent.com&redirect_uri=com.example.app%3A%2Foauth2redirect&response_type=code&scope=email&access_type=offline&prompt=consent&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=s256",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD113", "OD130"],
    ),
    row(
        "google-api-java-client #1479: challenge without method (plain by default)",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=17-q.apps.googleusercontent.com&redirect_uri=com.example.app%3A%2Foauth2redirect&response_type=code&scope=email&access_type=offline&prompt=consent&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ok(true, true),
        ok(true, true),
        &["OD113", "OD131"],
    ),
    row(
        "D3 PKCE: method without challenge",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=17-q.apps.googleusercontent.com&redirect_uri=com.example.app%3A%2Foauth2redirect&response_type=code&scope=email&access_type=offline&prompt=consent&code_challenge_method=S256",
        fails("invalid_request"),
        fails("invalid_request"),
        &["OD113", "OD132"],
    ),
    row(
        "PackRat-AI/PackRat #511 shape: redirect_uri encoded twice",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=18-r.apps.googleusercontent.com&redirect_uri=https%253A%252F%252Fpackrat.example.com%252Fauth%252Fcallback&response_type=code&scope=openid%20email&access_type=offline&prompt=consent",
        fails("redirect_uri_mismatch"),
        fails("redirect_uri_mismatch"),
        &["OD113", "OD143"],
    ),
    row(
        "D2 redirect URI rules: plain http on a public host (a warning: it may be an old registration)",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=19-s.apps.googleusercontent.com&redirect_uri=http://app.example.com/oauth2callback&response_type=code&scope=email&access_type=offline&prompt=consent",
        ok(true, true),
        ok(true, true),
        &["OD113", "OD142"],
    ),
    row(
        "configuration copied from an OIDC provider: offline_access scope",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=20-t.apps.googleusercontent.com&redirect_uri=https://app.example.com/signin-oidc&response_type=code&scope=openid%20profile%20email%20offline_access&state=x&nonce=y",
        fails("invalid_scope"),
        fails("invalid_scope"),
        &["OD110", "OD112", "OD113", "OD114"],
    ),
    row(
        "a log line holding the URL percent-encoded in a continue= parameter",
        "GET /login?continue=https%3A%2F%2Faccounts.google.com%2Fo%2Foauth2%2Fv2%2Fauth%3Faccess_type%3Doffline%26approval_prompt%3Dforce%26client_id%3D21-u.apps.googleusercontent.com%26redirect_uri%3Dhttps%253A%252F%252Fapp.example.com%252Fcb%26response_type%3Dcode%26scope%3Demail 302",
        ok(true, true),
        ok(false, false),
        &["OD103", "OD113", "OD190"],
    ),
    row(
        "a JSON log with \\u0026 escapes",
        r#"{"level":"info","msg":"redirecting","url":"https://accounts.google.com/o/oauth2/v2/auth?access_type=offline\u0026client_id=22-v.apps.googleusercontent.com\u0026redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb\u0026response_type=code\u0026scope=email"}"#,
        ok(true, true),
        ok(false, false),
        &["OD112", "OD113"],
    ),
    row(
        "browser address bar on Google's sign-in page (parameters copied by Google)",
        "https://accounts.google.com/v3/signin/identifier?dsh=S-1%3A17&access_type=offline&approval_prompt=force&client_id=23-w.apps.googleusercontent.com&o2v=2&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=email&service=lso&flowName=GeneralOAuthFlow",
        ok(true, true),
        ok(false, false),
        &["OD103", "OD113"],
    ),
    row(
        "browser address bar on the account chooser",
        "https://accounts.google.com/o/oauth2/v2/auth/oauthchooseaccount?client_id=24-x.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=email&access_type=offline&prompt=select_account&service=lso&o2v=2&flowName=GeneralOAuthFlow",
        ok(true, true),
        ok(false, false),
        &["OD109", "OD113"],
    ),
    row(
        "client_secret pasted into the authorization URL",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=25-y.apps.googleusercontent.com&client_secret=fake-not-a-real-secret-0000&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline&prompt=consent",
        ok(true, true),
        ok(true, true),
        &["OD113", "OD194"],
    ),
    Row {
        status: Some(PublishingStatus::Testing),
        ..row(
            "D1 7-day Testing rule: Gmail scope in Testing status",
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=26-z.apps.googleusercontent.com&redirect_uri=http://localhost:3000/oauth2callback&response_type=code&scope=https://www.googleapis.com/auth/gmail.readonly&access_type=offline&prompt=consent",
            ok(true, true),
            ok(true, true),
            &["OD113", "OD170"],
        )
    },
    Row {
        status: Some(PublishingStatus::Testing),
        ..row(
            "D1 7-day Testing rule: sign-in scopes are exempt",
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=26-z.apps.googleusercontent.com&redirect_uri=http://localhost:3000/oauth2callback&response_type=code&scope=openid%20email%20profile&access_type=offline&prompt=consent",
            ok(true, true),
            ok(true, true),
            &["OD113"],
        )
    },
    row(
        "a library default plus an override: prompt sent twice",
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=27-a.apps.googleusercontent.com&redirect_uri=https://app.example.com/cb&response_type=code&scope=email&access_type=offline&prompt=select_account&prompt=consent",
        ok(true, true),
        ok(false, false),
        &["OD109", "OD113", "OD191"],
    ),
    Row {
        provider: "oidc",
        ..row(
            "panva/node-oidc-provider #342: offline_access without prompt=consent",
            "https://op.example/auth?client_id=rp-1&redirect_uri=https://rp.example.com/cb&response_type=code&scope=openid%20offline_access&state=s",
            ok(false, true),
            ok(false, false),
            &["OD113", "OD115"],
        )
    },
    Row {
        provider: "oidc",
        ..row(
            "OIDC Core §11: offline_access with prompt=consent",
            "https://op.example/auth?client_id=rp-1&redirect_uri=https://rp.example.com/cb&response_type=code&scope=openid%20offline_access&prompt=consent",
            ok(true, true),
            ok(true, true),
            &["OD113"],
        )
    },
    Row {
        client: Some(ClientKind::Web),
        ..row(
            "a web client that says so, with a loopback redirect while developing",
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=28-b.apps.googleusercontent.com&redirect_uri=http://127.0.0.1:5000/callback&response_type=code&scope=email&access_type=offline",
            ok(true, true),
            ok(false, false),
            &["OD112", "OD113"],
        )
    },
];

#[test]
fn every_row_predicts_and_explains_as_expected() {
    assert!(ROWS.len() >= 30, "the table holds {} rows", ROWS.len());
    let registry = Registry::builtin();
    let mut failures = Vec::new();
    for row in ROWS {
        let input = Input {
            pasted: Some(row.pasted.to_string()),
            ..Default::default()
        };
        let options = Options {
            provider: row.provider.to_string(),
            client_kind: row.client,
            status: row.status,
            ..Default::default()
        };
        let diagnosis = match diagnose(&input, &options, &registry) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{}: {e}", row.source));
                continue;
            }
        };
        let grant = |g: &oauth_drift::diagnose::GrantPrediction| Grant {
            refresh_token: g.refresh_token,
            consent: g.consent_screen,
            error: g.error.as_deref().map(|e| {
                ROWS.iter()
                    .flat_map(|r| [r.first.error, r.repeat.error])
                    .flatten()
                    .find(|x| *x == e)
                    .unwrap_or("other")
            }),
        };
        let first = grant(&diagnosis.prediction.first_grant);
        let repeat = grant(&diagnosis.prediction.repeat_grant);
        let mut codes: Vec<&str> = diagnosis.findings.iter().map(|f| f.code.as_str()).collect();
        codes.sort();
        if (first, repeat) != (row.first, row.repeat) || codes != row.codes {
            failures.push(format!(
                "{}\n    expected first {:?} repeat {:?} codes {:?}\n    got      first {first:?} repeat {repeat:?} codes {codes:?}",
                row.source, row.first, row.repeat, row.codes
            ));
        }
        // the exit code follows the prediction, and the fix (when there is one) is verified
        assert_eq!(
            diagnosis.exit_code() == 0,
            row.first.refresh_token && row.repeat.refresh_token,
            "{}",
            row.source
        );
        if let Some(verified) = &diagnosis.fix.offline().verified {
            assert!(verified.every_grant(), "{}: the fix is not verified", row.source);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows differ:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}

#[test]
fn causes_come_first_and_the_top_cause_has_a_fix_that_names_the_change() {
    let registry = Registry::builtin();
    let url = format!(
        "{V2}?client_id=1&redirect_uri=https://a.example/cb&response_type=code&scope=email&access_type=offline&approval_prompt=force"
    );
    let diagnosis = diagnose(
        &Input {
            pasted: Some(url),
            ..Default::default()
        },
        &Options::default(),
        &registry,
    )
    .unwrap();
    let causes: Vec<bool> = diagnosis.findings.iter().map(|f| f.cause).collect();
    let mut sorted = causes.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(causes, sorted, "causes are ranked first");
    assert_eq!(diagnosis.findings[0].code, "OD103");
    assert_eq!(diagnosis.fix.changes.len(), 1);
    assert_eq!(
        diagnosis.fix.changes[0].description,
        "approval_prompt=force → prompt=consent"
    );
}

#[test]
fn secrets_in_the_pasted_url_never_reach_the_output() {
    let registry = Registry::builtin();
    let url = format!(
        "{V2}?client_id=1&client_secret=fake-s3cr3t-value&code=4%2F0AbSecretCode&redirect_uri=https://a.example/cb&response_type=code&scope=email&access_type=offline&prompt=consent"
    );
    let diagnosis = diagnose(
        &Input {
            pasted: Some(url),
            ..Default::default()
        },
        &Options::default(),
        &registry,
    )
    .unwrap();
    let human = oauth_drift::diagnose::render::human(&diagnosis);
    let json = oauth_drift::diagnose::render::json(&diagnosis);
    let scenario = oauth_drift::diagnose::scenario(&diagnosis);
    for text in [&human, &json, &scenario] {
        assert!(
            !text.contains("s3cr3t") && !text.contains("SecretCode"),
            "a secret leaked:\n{text}"
        );
    }
    assert!(human.contains("[redacted]"));
}
