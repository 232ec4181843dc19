//! Real public reports, each diagnosed from what its thread shows: the authorization URL as
//! reported (or rebuilt from the library call and that library's defaults at the time, said so
//! in `input_is`), Google's error page or a token response. For each the table holds the
//! cause and the fix the thread settled on, and asserts the prediction, the top cause, and
//! that the fixed URL applies that fix. Every thread was found and read through public issue
//! search; placeholders (`CLIENT`, `app.example.com`) stand where a thread redacted or left out
//! a value that does not change the diagnosis.

use super::support::{Grant, fails, ok};
use oauth_drift::Registry;
use oauth_drift::diagnose::{Diagnosed, Input, Options, Symptom, diagnose_any};

/// What the fix must look like to apply the thread's fix.
enum Fix {
    /// The fix that returns a refresh_token on every grant (the offline one when the request
    /// is kept online) holds `has` and none of `lacks`.
    Offline {
        has: &'static [&'static str],
        lacks: &'static [&'static str],
    },
    /// The fixed URL that keeps the request's intent holds `has` and none of `lacks`.
    Kept {
        has: &'static [&'static str],
        lacks: &'static [&'static str],
    },
    /// The request needs no change: the cause is outside it (named by the top finding).
    Unchanged,
    /// No fixed URL: only the reporter knows the value; the reason names it.
    Missing(&'static str),
}

enum Expect {
    Request {
        first: Grant,
        repeat: Grant,
        /// The first finding, which must be a cause.
        top: &'static str,
        fix: Fix,
    },
    /// A token response or Google's error page: no prediction, no fixed URL.
    Response {
        top: &'static str,
        exit: u8,
        /// Words the top finding's message or fix must hold (the thread's cause or fix).
        says: &'static [&'static str],
    },
}

struct Report {
    thread: &'static str,
    year: u16,
    input: &'static str,
    /// "reported", or how it was rebuilt.
    input_is: &'static str,
    cause: &'static str,
    fix: &'static str,
    provider: &'static str,
    symptom: Option<Symptom>,
    expect: Expect,
}

const fn report(
    thread: &'static str,
    year: u16,
    input: &'static str,
    input_is: &'static str,
    cause: &'static str,
    fix: &'static str,
    expect: Expect,
) -> Report {
    Report {
        thread,
        year,
        input,
        input_is,
        cause,
        fix,
        provider: "google",
        symptom: None,
        expect,
    }
}

const FORCE_CONSENT: Fix = Fix::Offline {
    has: &["prompt=consent"],
    lacks: &["approval_prompt"],
};
const OFFLINE_AND_CONSENT: Fix = Fix::Offline {
    has: &["access_type=offline", "prompt=consent"],
    lacks: &[],
};
const OOB_PAGE: Expect = Expect::Response {
    top: "OD140",
    exit: 1,
    says: &["loopback"],
};

const REPORTS: &[Report] = &[
    // ------------------------------------------------ approval_prompt=force on the v2 endpoint
    report(
        "googleapis/oauth2client #453",
        2016,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=CLIENT.apps.googleusercontent.com&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive&access_type=offline&response_type=code&approval_prompt=force",
        "rebuilt: the thread quotes …/o/oauth2/v2/auth?access_type=offline&approval_prompt=force; oauth2client 2.0.0 OAuth2WebServerFlow adds client_id, redirect_uri, scope, response_type",
        "oauth2client 2.0.0 moved to /o/oauth2/v2/auth, where approval_prompt=force no longer forces consent",
        "replace approval_prompt=force with prompt=consent",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(false, false),
            top: "OD103",
            fix: FORCE_CONSENT,
        },
    ),
    Report {
        provider: "google@2015",
        ..report(
            "googleapis/oauth2client #453 (the 1.5.2 URL that worked)",
            2016,
            "https://accounts.google.com/o/oauth2/auth?client_id=CLIENT.apps.googleusercontent.com&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2F&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive&access_type=offline&response_type=code&approval_prompt=force",
            "rebuilt as above with oauth2client 1.5.2's /o/oauth2/auth",
            "on the old endpoint approval_prompt=force re-showed consent: a refresh_token every time",
            "none needed in that era",
            Expect::Request {
                first: ok(true, true),
                repeat: ok(true, true),
                top: "OD104",
                fix: Fix::Unchanged,
            },
        )
    },
    report(
        "jaredhanson/passport-google-oauth2 #4",
        2016,
        "https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&approval_prompt=force&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fgoogle%2Fcallback&scope=profile%20email&client_id=CLIENT.apps.googleusercontent.com",
        "rebuilt: passport-google-oauth20 1.x (v2 endpoint) with accessType: 'offline', approvalPrompt: 'force'; scope from the library's README",
        "approvalPrompt: 'force' does not force the consent screen any more",
        "use prompt: 'consent' instead of approvalPrompt: 'force'",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(false, false),
            top: "OD103",
            fix: FORCE_CONSENT,
        },
    ),
    report(
        "thephpleague/oauth2-google PR #73",
        2019,
        "https://accounts.google.com/o/oauth2/v2/auth?state=STATE&scope=openid%20email%20profile&response_type=code&approval_prompt=force&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&client_id=CLIENT.apps.googleusercontent.com&access_type=offline",
        "rebuilt: league/oauth2-client getAuthorizationUrl(['approval_prompt' => 'force']) with oauth2-google's accessType offline, as its README advised before the PR",
        "approval_prompt is no longer recognized by Google and does nothing",
        "set prompt to consent",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(false, false),
            top: "OD103",
            fix: FORCE_CONSENT,
        },
    ),
    report(
        "googleapis/google-api-dotnet-client #1185",
        2018,
        "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth2callback&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive&access_type=offline&approval_prompt=force",
        "rebuilt: GoogleAuthorizationCodeRequestUrl with AccessType offline and ApprovalPrompt force",
        "ApprovalPrompt force does not return a refresh token again; only prompt=consent does",
        "a Prompt property set to consent (ApprovalPrompt marked obsolete)",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(false, false),
            top: "OD103",
            fix: FORCE_CONSENT,
        },
    ),
    report(
        "authomatic/authomatic PR #243",
        2025,
        "https://accounts.google.com/o/oauth2/auth?client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Flogin%2Fgoogle&response_type=code&scope=email%20profile&state=STATE&access_type=offline&approval_prompt=force",
        "rebuilt: authomatic's Google provider with its hard-coded approval_prompt=force and offline access",
        "approval_prompt=force does not provide refresh_token repeatedly",
        "send prompt=consent instead",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(false, false),
            top: "OD103",
            fix: FORCE_CONSENT,
        },
    ),
    report(
        "requests/requests-oauthlib PR #284",
        2017,
        "https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fyour.callback%2Fhere&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.profile&state=STATE&access_type=offline&approval_prompt=force",
        "rebuilt: the library's Google example, authorization_url(base, access_type=\"offline\", approval_prompt=\"force\"), judged by today's model",
        "Google changed its API: approval_prompt no longer forces consent (citing oauth2client #453)",
        "use prompt instead of approval_prompt in the docs",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(false, false),
            top: "OD103",
            fix: FORCE_CONSENT,
        },
    ),
    // ------------------------------------------------ approval_prompt and prompt together
    report(
        "thephpleague/oauth2-google #42",
        2017,
        "https://accounts.google.com/o/oauth2/v2/auth?state=STATE&scope=email%20openid%20profile&response_type=code&approval_prompt=auto&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&client_id=CLIENT.apps.googleusercontent.com&prompt=select_account%20consent",
        "rebuilt: AbstractProvider always adds approval_prompt=auto; the reporter passes prompt 'select_account consent'",
        "approval_prompt and prompt together: \"Conflict params: approval_prompt and prompt\"",
        "pass 'approval_prompt' => null so only prompt is sent",
        Expect::Request {
            first: fails("invalid_request"),
            repeat: fails("invalid_request"),
            top: "OD101",
            fix: Fix::Offline {
                has: &["prompt=select_account%20consent"],
                lacks: &["approval_prompt"],
            },
        },
    ),
    // ------------------------------------------------ approval_prompt values rejected on 2020-04-21
    report(
        "googleapis/google-api-php-client #1821",
        2020,
        "https://accounts.google.com/o/oauth2/auth?response_type=code&access_type=online&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fwiki.example.org%2Fwiki%2FSpecial%3AGoogleLoginReturn&state=STATE&scope=email%20profile&approval_prompt=true",
        "rebuilt: google-api-php-client 2.4 createAuthUrl (access_type online by default) with the extension's approval_prompt 'true'",
        "Google started rejecting approval_prompt values: \"Invalid parameter value for approval_prompt: 'true' is not valid\"",
        "change the value (force worked) or drop it",
        Expect::Request {
            first: fails("invalid_request"),
            repeat: fails("invalid_request"),
            top: "OD102",
            fix: Fix::Kept {
                has: &["access_type=online"],
                lacks: &["approval_prompt", "prompt=consent"],
            },
        },
    ),
    report(
        "MarkEdmondson1234/googleAuthR #177",
        2020,
        "https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fshiny.example.com%2F&scope=email&state=STATE&access_type=online&approval_prompt=auto",
        "rebuilt: googleAuthR 1.1.1 gar_shiny_auth with googleAuthR.scopes.selected = \"email\" and its approval_prompt auto",
        "\"Invalid parameter value for approval_prompt: 'auto' is not valid\" from 2020-04-21",
        "replace approval_prompt=auto with prompt=, or leave both out",
        Expect::Request {
            first: fails("invalid_request"),
            repeat: fails("invalid_request"),
            top: "OD102",
            fix: Fix::Kept {
                has: &["access_type=online"],
                lacks: &["approval_prompt"],
            },
        },
    ),
    report(
        "thephpleague/oauth2-client #831",
        2020,
        "https://accounts.google.com/o/oauth2/v2/auth?state=STATE&scope=openid%20email&response_type=code&approval_prompt=auto&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&client_id=CLIENT.apps.googleusercontent.com",
        "rebuilt: AbstractProvider::getAuthorizationParameters defaults (approval_prompt auto) for a Google client; scope a placeholder",
        "\"Invalid parameter value for approval_prompt: 'auto' is not valid\"",
        "remove the parameter or set it to null",
        Expect::Request {
            first: fails("invalid_request"),
            repeat: fails("invalid_request"),
            top: "OD102",
            fix: Fix::Kept {
                has: &[],
                lacks: &["approval_prompt", "prompt=consent", "access_type=offline"],
            },
        },
    ),
    // ------------------------------------------------ offline access without forced consent
    report(
        "zquestz/omniauth-google-oauth2 #467",
        2024,
        "https://accounts.google.com/o/oauth2/auth?access_type=offline&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fgoogle_oauth2%2Fcallback&response_type=code&scope=email%20profile%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar&state=STATE",
        "rebuilt: omniauth-google-oauth2 1.2.0 defaults (access_type offline) with the scope 'email,profile,calendar' the maintainer tested",
        "the user had authorized before; without a consent screen no refresh_token",
        "add prompt: 'consent' (and re-authorize)",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(false, false),
            top: "OD112",
            fix: Fix::Offline {
                has: &["prompt=consent"],
                lacks: &[],
            },
        },
    ),
    report(
        "amp-labs/connectors PR #1168",
        2024,
        "https://accounts.google.com/o/oauth2/auth?access_type=offline&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapi.example.com%2Fcallbacks%2Fv1%2Foauth&response_type=code&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.readonly&state=STATE",
        "rebuilt: golang.org/x/oauth2 AuthCodeURL(state, oauth2.AccessTypeOffline) on google.Endpoint; scope a placeholder",
        "subsequent flows skip the consent screen and Google ignores the request for a refresh token",
        "force the consent screen (prompt=consent, oauth2.ApprovalForce)",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(false, false),
            top: "OD112",
            fix: Fix::Offline {
                has: &["prompt=consent"],
                lacks: &[],
            },
        },
    ),
    Report {
        provider: "google@2015",
        ..report(
            "scribejava/scribejava #655",
            2016,
            "https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=http%3A%2F%2Fexample.com%2Fcallback&scope=profile&state=secret123&access_type=offline",
            "rebuilt: ScribeJava's Google20Example (scope profile, callback http://example.com/callback, access_type offline) before the reporter added prompt",
            "Google gives a refresh token only the first time or when the grant window is shown",
            "add prompt=consent",
            Expect::Request {
                first: ok(true, true),
                repeat: ok(false, false),
                top: "OD112",
                fix: Fix::Offline {
                    has: &["prompt=consent"],
                    lacks: &[],
                },
            },
        )
    },
    Report {
        provider: "google@2015",
        ..report(
            "googleapis/google-api-nodejs-client #124",
            2013,
            "https://accounts.google.com/o/oauth2/auth?access_type=offline&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fplus.me&response_type=code&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth2callback",
            "rebuilt: googleapis 2013 generateAuthUrl({access_type: 'offline', scope}); scope from the library's README",
            "a lost refresh token cannot come back without re-prompting for consent",
            "re-prompt for consent (approval_prompt=force in the 2013 docs)",
            Expect::Request {
                first: ok(true, true),
                repeat: ok(false, false),
                top: "OD112",
                fix: Fix::Offline {
                    has: &["prompt=consent"],
                    lacks: &[],
                },
            },
        )
    },
    Report {
        provider: "google@2015",
        ..report(
            "googleapis/google-api-php-client #759",
            2015,
            "https://accounts.google.com/o/oauth2/auth?response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth2callback&client_id=CLIENT.apps.googleusercontent.com&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fanalytics.readonly&access_type=offline&approval_prompt=auto",
            "rebuilt: google-api-php-client 1.x createAuthUrl with setAccessType('offline') (approval_prompt auto by default) for Analytics",
            "a refresh token is only returned the first time it is authorized",
            "setApprovalPrompt('force')",
            Expect::Request {
                first: ok(true, true),
                repeat: ok(false, false),
                top: "OD112",
                fix: Fix::Offline {
                    has: &["prompt=consent"],
                    lacks: &["approval_prompt=auto"],
                },
            },
        )
    },
    Report {
        provider: "google@2015",
        ..report(
            "googleads/googleads-php-lib #5",
            2013,
            "https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth2callback&scope=https%3A%2F%2Fadwords.google.com%2Fapi%2Fadwords%2F&access_type=offline",
            "rebuilt from the OAuth2Handler parameters quoted in the thread (response_type, client_id, redirect_uri, scope, access_type)",
            "no way to re-approve, so no new refresh token after the first login",
            "add 'approval_prompt' => 'force' to the parameters",
            Expect::Request {
                first: ok(true, true),
                repeat: ok(false, false),
                top: "OD112",
                fix: Fix::Offline {
                    has: &["prompt=consent"],
                    lacks: &[],
                },
            },
        )
    },
    Report {
        provider: "google@2015",
        ..report(
            "meteor/meteor #1225 and PR #1226",
            2013,
            "https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=CLIENT.apps.googleusercontent.com&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar&redirect_uri=https%3A%2F%2Fapp.example.com%2F_oauth%2Fgoogle&state=STATE&access_type=offline&approval_prompt=auto",
            "rebuilt: Meteor's Google login with requestOfflineToken, which sent approval_prompt=auto (PR #1226)",
            "a lost refresh token can never be recovered without forcing the approval prompt",
            "an option for approval_prompt=force",
            Expect::Request {
                first: ok(true, true),
                repeat: ok(false, false),
                top: "OD112",
                fix: Fix::Offline {
                    has: &["prompt=consent"],
                    lacks: &["approval_prompt=auto"],
                },
            },
        )
    },
    // ------------------------------------------------ offline access never requested
    report(
        "jaredhanson/passport-google-oauth2 #38",
        2017,
        "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fgoogle%2Fcallback&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.profile%20profile%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fplus.login%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email&client_id=CLIENT.apps.googleusercontent.com",
        "rebuilt: accessType and prompt were given to the Strategy constructor, where passport-google-oauth20 does not read them; the scopes are the thread's",
        "no access_type=offline (nor consent) reached Google",
        "pass accessType: 'offline', prompt: 'consent' to passport.authenticate",
        Expect::Request {
            first: ok(false, true),
            repeat: ok(false, false),
            top: "OD110",
            fix: OFFLINE_AND_CONSENT,
        },
    ),
    report(
        "jaredhanson/passport-google-oauth2 #27",
        2017,
        "https://accounts.google.com/o/oauth2/v2/auth?response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fgoogle%2Fcallback&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.profile%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fgmail.readonly&client_id=CLIENT.apps.googleusercontent.com",
        "rebuilt: passport.authenticate('google', {scope}) with the thread's scopes, before accessType and prompt were added",
        "the refreshToken is undefined: offline access was never asked for",
        "accessType: 'offline', prompt: 'consent' in the authenticate options",
        Expect::Request {
            first: ok(false, true),
            repeat: ok(false, false),
            top: "OD110",
            fix: OFFLINE_AND_CONSENT,
        },
    ),
    Report {
        provider: "google@2015",
        ..report(
            "jaredhanson/passport #42",
            2012,
            "https://accounts.google.com/o/oauth2/auth?type=web_server&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fgoogle%2Fcallback&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.profile&client_id=CLIENT.apps.googleusercontent.com",
            "rebuilt: passport-google-oauth 2012 through node-oauth getAuthorizeUrl (type=web_server, quoted in the thread); scope from its example",
            "no access_type parameter, so Google gave only an id_token and access token",
            "add access_type=offline (and approval_prompt=force to consent again)",
            Expect::Request {
                first: ok(false, true),
                repeat: ok(false, false),
                top: "OD110",
                fix: Fix::Offline {
                    has: &["access_type=offline", "prompt=consent"],
                    lacks: &[],
                },
            },
        )
    },
    // ------------------------------------------------ offline_access is not a Google scope
    report(
        "lukaszraczylo/traefikoidc #44",
        2025,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fapp.example.com%2Foidc%2Fcallback&response_type=code&scope=openid%20profile%20email%20offline_access&state=STATE&nonce=NONCE",
        "rebuilt: the plugin's authorization URL with offline_access added automatically (the valid scopes are the error's)",
        "\"Some requested scopes were invalid. {valid=[openid, …userinfo.email, …userinfo.profile], invalid=[offline_access]}\"",
        "do not send offline_access to Google (access_type=offline instead)",
        Expect::Request {
            first: fails("invalid_scope"),
            repeat: fails("invalid_scope"),
            top: "OD114",
            fix: Fix::Offline {
                has: &["access_type=offline"],
                lacks: &["offline_access"],
            },
        },
    ),
    report(
        "akuity/kargo #3005",
        2024,
        "https://accounts.google.com/o/oauth2/v2/auth?client_id=CLIENT.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fkargo.example.com%2Flogin&response_type=code&scope=openid%20profile%20email%20offline_access&state=STATE&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        "rebuilt: kargo's UI login with issuerURL accounts.google.com; scopes from the error's valid/invalid lists",
        "the UI requests offline_access, which Google refuses with invalid_scope",
        "stop requesting offline_access (log in with the CLI meanwhile)",
        Expect::Request {
            first: fails("invalid_scope"),
            repeat: fails("invalid_scope"),
            top: "OD114",
            fix: Fix::Offline {
                has: &[],
                lacks: &["offline_access"],
            },
        },
    ),
    // ------------------------------------------------ Google's own redirect values
    report(
        "anthonyjgrove/react-google-login #431",
        2021,
        "https://accounts.google.com/o/oauth2/auth/oauthchooseaccount?redirect_uri=storagerelay%3A%2F%2Fhttp%2Flocalhost%3A3000%3Fid%3Dauth81586&response_type=code%20permission%20id_token&scope=openid%20profile%20email%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar&openid.realm&client_id=******&ss_domain=http%3A%2F%2Flocalhost%3A3000&access_type=offline&include_granted_scopes=true&prompt=consent&origin=http%3A%2F%2Flocalhost%3A3000&gsiwebsdk=2&flowName=GeneralOAuthFlow",
        "reported (the account chooser's address bar)",
        "gapi sends redirect_uri=storagerelay://…, so exchanging the code with http://localhost:3000 is a redirect_uri mismatch",
        "exchange the code with redirect_uri postmessage (the fix MomenSherif/react-oauth #252 settled on for the same popup flow)",
        Expect::Request {
            first: ok(true, true),
            repeat: ok(true, true),
            top: "OD144",
            fix: Fix::Unchanged,
        },
    ),
    // ------------------------------------------------ out-of-band redirect
    report(
        "VBA-tools/VBA-Web #498",
        2024,
        "https://accounts.google.com/o/oauth2/auth?redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob&client_id=CLIENT.apps.googleusercontent.com&response_type=code&access_type=offline&approval_prompt=force&scope=https%3A%",
        "reported (cut off in the middle of the scope, as in the thread)",
        "the out-of-band flow is blocked for every client",
        "migrate to a loopback redirect (OOB migration guide)",
        Expect::Request {
            first: fails("invalid_request"),
            repeat: fails("invalid_request"),
            top: "OD140",
            fix: Fix::Offline {
                has: &["redirect_uri=http%3A%2F%2F127.0.0.1", "prompt=consent"],
                lacks: &["oob", "approval_prompt"],
            },
        },
    ),
    report(
        "simonw/google-drive-to-sqlite #41",
        2023,
        "### Error 400: invalid_request\nThe out-of-band (OOB) flow has been blocked in order to keep users secure. Follow the Out-of-Band (OOB) flow migration guide linked in the developer docs below to migrate your app to an alternative method.\n\nRequest details: redirect_uri=urn:ietf:wg:oauth:2.0:oob",
        "reported (the error details page)",
        "the OOB flow is blocked",
        "move off the out-of-band flow",
        OOB_PAGE,
    ),
    report(
        "google/android-management-api-samples #6",
        2022,
        "Error 400: invalid_request\nThe out-of-band (OOB) flow has been blocked in order to keep users secure. Follow the Out-of-Band (OOB) flow Migration Guide linked in the developer docs below to migrate your app to an alternative method.\nRequest details: redirect_uri=urn:ietf:wg:oauth:2.0:oob",
        "reported",
        "the notebook used the OOB redirect",
        "fixed by changing the sample's flow",
        OOB_PAGE,
    ),
    report(
        "menukaonline/goindex-extended #90",
        2025,
        "Error 400: invalid_request\nThe out-of-band (OOB) flow has been blocked in order to keep users secure. Follow the Out-of-Band (OOB) flow migration guide linked in the developer docs below to migrate your app to an alternative method.\nRequest details: redirect_uri=urn:ietf:wg:oauth:2.0:oob flowName=GeneralOAuthFlow",
        "reported",
        "Google has sunset the OOB flow the notebook uses",
        "a flow other than OOB",
        OOB_PAGE,
    ),
    report(
        "MarkEdmondson1234/searchConsoleR #86",
        2025,
        "Error 400: invalid_request\nThe out-of-band (OOB) flow has been blocked in order to keep users secure. Follow the Out-of-Band (OOB) flow migration guide linked in the developer docs below to migrate your app to an alternative method.\nRequest details: redirect_uri=urn:ietf:wg:oauth:2.0:oob flowName=GeneralOAuthFlow",
        "reported",
        "scr_auth() still uses the OOB redirect",
        "a non-OOB flow",
        OOB_PAGE,
    ),
    report(
        "bobuk/gcalsync #23",
        2025,
        "Error 400: invalid_request\n\nThe out-of-band (OOB) flow has been blocked in order to keep users secure.\nFollow the Out-of-Band (OOB) flow migration guide linked in the developer docs below\nto migrate your app to an alternative method.\n\nRequest details: redirect_uri=urn:ietf:wg:oauth:2.0:oob flowName=GeneralOAuthFlow",
        "reported",
        "the app is configured for the OOB redirect",
        "a local callback service (loopback redirect) or a custom scheme",
        OOB_PAGE,
    ),
    report(
        "AlistGo/alist #3259",
        2023,
        "https://accounts.google.com/signin/oauth/error/v2?authError=Cg9pbnZhbGlkX3JlcXVlc3QS3gEK5oKo5peg5rOV55m75b2V5q2k5bqU55So77yM5Zug5Li65a6D5LiN56ym5ZCIIEdvb2dsZSDkuLrkv53pmpzlupTnlKjlronlhajogIzliLblrprnmoQgT0F1dGggMi4wIOaUv-etlueahOinhOWumuOAggoK5oKo5Y-v5Lul6YCa55-l5bqU55So5byA5Y-R6ICF77yM6K6p5YW25LqG6Kej6K-l5bqU55So5LiN56ym5ZCI5LiA6aG55oiW5aSa6aG5IEdvb2dsZSDpqozor4Hop4TliJnjgIIKICAaM2h0dHBzOi8vc3VwcG9ydC5nb29nbGUuY29tL2FjY291bnRzL2Fuc3dlci8xMjM3OTM4NCCQAyopCgxyZWRpcmVjdF91cmkSGXVybjppZXRmOndnOm9hdXRoOjIuMDpvb2IyowIIARLNAVRoZSBvdXQtb2YtYmFuZCAoT09CKSBmbG93IGhhcyBiZWVuIGJsb2NrZWQgaW4gb3JkZXIgdG8ga2VlcCB1c2VycyBzZWN1cmUuIEZvbGxvdyB0aGUgT3V0LW9mLUJhbmQgKE9PQikgZmxvdyBtaWdyYXRpb24gZ3VpZGUgbGlua2VkIGluIHRoZSBkZXZlbG9wZXIgZG9jcyBiZWxvdyB0byBtaWdyYXRlIHlvdXIgYXBwIHRvIGFuIGFsdGVybmF0aXZlIG1ldGhvZC4aT2h0dHBzOi8vZGV2ZWxvcGVycy5nb29nbGUuY29tL2lkZW50aXR5L3Byb3RvY29scy9vYXV0aDIvcmVzb3VyY2VzL29vYi1taWdyYXRpb24%",
        "reported (the error page URL; its authError carries the page in the user's language plus an English developer message)",
        "the authorization tool used the OOB redirect",
        "a non-OOB flow",
        OOB_PAGE,
    ),
    // ------------------------------------------------ Google's error page: other errors
    report(
        "onyx-dot-app/onyx #7854",
        2026,
        "OAuth链接：https://accounts.google.com/signin/oauth/error?authError=Cg9pbnZhbGlkX3JlcXVlc3QSXmRldmljZV9pZCBhbmQgZGV2aWNlX25hbWUgYXJlIHJlcXVpcmVkIGZvciBwcml2YXRlIElQOiBodHRwOi8vMTkyLjE2OC4xLjEyNDo4MDQ1L2F1dGgvY2FsbGJhY2saN2h0dHBzOi8vZGV2ZWxvcGVycy5nb29nbGUuY29tL2lkZW50aXR5L3Byb3RvY29scy9vYXV0aDIgkAM%3D&client_id=CLIENT.apps.googleusercontent.com&flowName=GeneralOAuthFlow",
        "reported",
        "a private-IP redirect (http://192.168.1.124:8045/…), which Google refuses without device_id and device_name; the model has no rule for it, the decoded page says it",
        "a redirect on localhost or a public https host",
        Expect::Response {
            top: "OD181",
            exit: 1,
            says: &["private IP", "192.168.1.124"],
        },
    ),
    report(
        "google/google-api-javascript-client #407",
        2018,
        "400. That’s an error.\n\nError: invalid_request\n\nStoragerelay URI is not allowed for 'NATIVE' client type.\n\nRequest Details\nThat’s all we know.",
        "reported",
        "the gapi popup flow sends a storagerelay redirect, which only web clients accept",
        "create a Web client in the Developers Console, not a Native one",
        Expect::Response {
            top: "OD144",
            exit: 1,
            says: &["Web application"],
        },
    ),
    report(
        "guyzyl/whatsapp-contact-sync #193",
        2024,
        "Storagerelay URI is not allowed for 'NATIVE_DESKTOP' client type.\nIf you are a developer of whatsync, see error details.\nError 400: invalid_request",
        "reported",
        "the Google auth app was set up as a desktop client",
        "set up the OAuth client as a web application (with its JavaScript origin)",
        Expect::Response {
            top: "OD144",
            exit: 1,
            says: &["Web application"],
        },
    ),
    report(
        "python-social-auth/social-app-django #248",
        2020,
        "Error 400: invalid_request\nInvalid parameter value for approval_prompt: 'auto' is not valid",
        "reported",
        "a Google-side change on 2020-04-21: approval_prompt=auto is rejected",
        "remove approval_prompt=auto (or replace it with prompt=)",
        Expect::Response {
            top: "OD102",
            exit: 1,
            says: &["Remove approval_prompt"],
        },
    ),
    report(
        "jaredhanson/passport-google-oauth2 #76",
        2021,
        "Error 400: invalid_request Missing required parameter: scope",
        "reported (the page's heading and description on one line, as the thread's title has them)",
        "the scope reached only one of the two passport.authenticate calls",
        "give the scope to the GoogleStrategy itself",
        Expect::Response {
            top: "OD121",
            exit: 1,
            says: &["scope"],
        },
    ),
    report(
        "diadal/vue-social-auth #13",
        2019,
        "400. That’s an error.\n\nError: invalid_request\n\nMissing required parameter: scope",
        "reported",
        "the plugin did not pass the scope in a form Google read",
        "pass the scope parameter (space-separated, encoded with +)",
        Expect::Response {
            top: "OD121",
            exit: 1,
            says: &["scope"],
        },
    ),
    report(
        "krisrak/jquery-cordova-oauth2 #2",
        2014,
        "Error: invalid_request\nMissing required parameter: scope",
        "reported",
        "the plugin's Google+ login did not send a scope",
        "send the scope as well",
        Expect::Response {
            top: "OD121",
            exit: 1,
            says: &["scope"],
        },
    ),
    Report {
        provider: "google@2015",
        ..report(
            "oauth-io/oauth-phonegap #54",
            2015,
            "Error: invalid_request\nMissing required parameter: scope\nRequest Details\nresponse_type=code\nredirect_uri=https://oauth.io/auth\nstate=athxRYu1cR1BrFIxtJmSP8GifWA",
            "reported (the page's request details, without client_id)",
            "the scope field was left blank in the OAuth.io dashboard",
            "set the scope",
            Expect::Response {
                top: "OD121",
                exit: 1,
                says: &["scope"],
            },
        )
    },
    Report {
        provider: "google@2015",
        ..report(
            "oauth-io/sdk-php #19",
            2015,
            "1. That’s an error.\n\nError: invalid_request\n\nMissing required parameter: scope\n\nRequest Details\nresponse_type=code\naccess_type=online\nredirect_uri=https://oauth.io/auth\nstate=1UGF0qnuONPgnZDeSK7oT4hl348\nclient_id=CLIENT.apps.googleusercontent.com\n\nThat’s all we know.",
            "reported (the page lists the whole request; the client_id was cut off in the thread)",
            "no scope is sent in the authorization request",
            "send a scope",
            Expect::Request {
                first: fails("invalid_request"),
                repeat: fails("invalid_request"),
                top: "OD121",
                fix: Fix::Missing("scope"),
            },
        )
    },
    Report {
        provider: "google@2015",
        ..report(
            "olivierbon/Placid #25",
            2016,
            "400. That’s an error.\nError: invalid_request\nMissing required parameter: scope\nRequest Details >\napproval_prompt=auto\nscope=\nresponse_type=code\nredirect_uri=http://vinyle.dev:8888/index.php/actions/oauth/connect\nstate=75d37edba37fb8a5896c6eb3ebeca93d\nclient_id=CLIENT.apps.googleusercontent.com",
            "reported (the client_id was redacted in the thread)",
            "the plugin sends an empty scope",
            "configure a scope",
            Expect::Request {
                first: fails("invalid_request"),
                repeat: fails("invalid_request"),
                top: "OD121",
                fix: Fix::Missing("scope"),
            },
        )
    },
    report(
        "NastuzziSamy/files_external_gdrive #22",
        2018,
        "Error: redirect_uri_mismatch\n\nRequest Details\nresponse_type=code\naccess_type=offline\nclient_id=CLIENT.apps.googleusercontent.com\nredirect_uri=https://mywebsite.com/index.php/settings/admin/externalstorages\nstate=\nscope=https://www.googleapis.com/auth/drive\napproval_prompt=force",
        "reported (the client_id was partly masked)",
        "the redirect URI the app sends is not registered for the client",
        "add the right redirect URI in the Google console",
        Expect::Request {
            first: fails("redirect_uri_mismatch"),
            repeat: fails("redirect_uri_mismatch"),
            top: "OD145",
            fix: Fix::Missing("redirect"),
        },
    ),
    // ------------------------------------------------ lifetime: symptoms
    Report {
        provider: "google@2015",
        symptom: Some(Symptom::RefreshTokenRevoked),
        ..report(
            "meteor/meteor #5248",
            2015,
            "https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=CLIENT.apps.googleusercontent.com&scope=email%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fplus.login%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar%20https%3A%2F%2Fwww.google.com%2Fm8%2Ffeeds%2F&redirect_uri=https%3A%2F%2Fapp.example.com%2F_oauth%2Fgoogle&state=STATE&access_type=offline&approval_prompt=force",
            "rebuilt: Meteor.loginWithGoogle({requestOfflineToken: true, forceApprovalPrompt: true, requestPermissions}) as quoted",
            "every login mints a refresh token; Google keeps only the last 25 and silently revokes older ones (401s)",
            "request offline access with forced consent only when no token is stored",
            Expect::Request {
                first: ok(true, true),
                repeat: ok(true, true),
                top: "OD113",
                fix: Fix::Unchanged,
            },
        )
    },
    Report {
        symptom: Some(Symptom::InvalidGrantAfterDays),
        ..report(
            "fregante/chrome-webstore-upload #48",
            2021,
            "{\n  \"error\": \"invalid_grant\",\n  \"error_description\": \"Token has been expired or revoked.\"\n}",
            "reported (the refresh error a week after setup)",
            "the guide leaves the consent screen in Testing: refresh tokens expire in 7 days",
            "set the publishing status to In production and get a new refresh token",
            Expect::Response {
                top: "OD171",
                exit: 1,
                says: &["Testing", "7 days"],
            },
        )
    },
    report(
        "hanydd/BilibiliSponsorBlock #330",
        2026,
        "Google returned invalid_grant with error_description: \"Bad Request\" at fetch_access_token",
        "reported (the refresh failure as the thread words it)",
        "most likely an old refresh token issued while the consent screen was in Testing",
        "check the publishing status (In production) and issue a new refresh token",
        Expect::Response {
            top: "OD171",
            exit: 1,
            says: &["Testing", "revocation"],
        },
    ),
];

#[test]
fn every_real_report_is_explained_as_its_thread_settled_it() {
    assert!(REPORTS.len() >= 40, "the table holds {} reports", REPORTS.len());
    let registry = Registry::builtin();
    let mut failures = Vec::new();
    for report in REPORTS {
        assert!(
            !report.cause.is_empty() && !report.fix.is_empty() && !report.input_is.is_empty(),
            "{}: cause, fix and where the input comes from are stated",
            report.thread
        );
        assert!((2012..=2026).contains(&report.year), "{}", report.thread);
        let input = Input {
            pasted: Some(report.input.to_string()),
            ..Default::default()
        };
        let options = Options {
            provider: report.provider.to_string(),
            symptom: report.symptom,
            ..Default::default()
        };
        let outcome = match diagnose_any(&input, &options, &registry) {
            Ok(outcome) => outcome,
            Err(e) => {
                failures.push(format!("{}: {e}", report.thread));
                continue;
            }
        };
        if let Err(why) = check(report, &outcome) {
            failures.push(format!("{} ({}): {why}", report.thread, report.year));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} reports differ:\n{}",
        failures.len(),
        REPORTS.len(),
        failures.join("\n")
    );
}

fn check(report: &Report, outcome: &Diagnosed) -> Result<(), String> {
    match (&report.expect, outcome) {
        (
            Expect::Request {
                first,
                repeat,
                top,
                fix,
            },
            Diagnosed::Request(d),
        ) => {
            let grant =
                |g: &oauth_drift::diagnose::GrantPrediction| (g.refresh_token, g.consent_screen, g.error.clone());
            let want = |g: &Grant| (g.refresh_token, g.consent, g.error.map(str::to_string));
            if grant(&d.prediction.first_grant) != want(first) || grant(&d.prediction.repeat_grant) != want(repeat) {
                return Err(format!(
                    "predicted first {:?} repeat {:?}",
                    grant(&d.prediction.first_grant),
                    grant(&d.prediction.repeat_grant)
                ));
            }
            let codes: Vec<&str> = d.findings.iter().map(|f| f.code.as_str()).collect();
            let first_finding = d.findings.first().ok_or("no findings")?;
            // a report whose cause is outside the request names it without calling it a cause
            // of the prediction, unless the symptom was given
            let top_ok = if matches!(fix, Fix::Unchanged) && report.symptom.is_none() {
                // the cause is outside the request: named, and nothing in the request blamed
                codes.contains(top) && d.findings.iter().all(|f| !f.cause)
            } else {
                first_finding.code == *top && first_finding.cause
            };
            if !top_ok {
                return Err(format!(
                    "top finding {} (cause: {}), all {codes:?}",
                    first_finding.code, first_finding.cause
                ));
            }
            if report.symptom.is_some() && !first_finding.symptom {
                return Err(format!("{} does not explain the symptom", first_finding.code));
            }
            match fix {
                Fix::Offline { has, lacks } => url_applies(d.fix.offline().url.as_deref(), has, lacks),
                Fix::Kept { has, lacks } => {
                    if d.fix.intent.is_none() {
                        return Err("the fix does not keep the request's intent".into());
                    }
                    url_applies(d.fix.url.as_deref(), has, lacks)
                }
                Fix::Unchanged => {
                    if d.fix.changes.is_empty() && d.fix.url.is_some() {
                        Ok(())
                    } else {
                        Err(format!("expected no change, got {:?}", d.fix.changes))
                    }
                }
                Fix::Missing(what) => match (&d.fix.url, &d.fix.reason) {
                    (None, Some(reason)) if reason.contains(what) || first_finding.fix.contains(what) => Ok(()),
                    _ => Err(format!(
                        "expected no fixed URL naming {what}: {:?} {:?}",
                        d.fix.url, d.fix.reason
                    )),
                },
            }
        }
        (Expect::Response { top, exit, says }, Diagnosed::Response(r)) => {
            let first = r.findings.first().ok_or("no findings")?;
            if first.code != *top || !first.cause {
                let codes: Vec<&str> = r.findings.iter().map(|f| f.code.as_str()).collect();
                return Err(format!(
                    "top finding {} (cause: {}), all {codes:?}",
                    first.code, first.cause
                ));
            }
            if r.exit_code() != *exit {
                return Err(format!("exit {}", r.exit_code()));
            }
            let text = r
                .findings
                .iter()
                .map(|f| format!("{} {}", f.message, f.fix))
                .collect::<Vec<_>>()
                .join(" ");
            match says.iter().find(|w| !text.contains(*w)) {
                Some(missing) => Err(format!("the findings do not say {missing:?}: {text}")),
                None => Ok(()),
            }
        }
        (Expect::Request { .. }, Diagnosed::Response(_)) => Err("diagnosed as a response, not a request".into()),
        (Expect::Response { .. }, Diagnosed::Request(d)) => Err(format!(
            "diagnosed as a request: {:?}",
            d.findings.iter().map(|f| f.code).collect::<Vec<_>>()
        )),
    }
}

fn url_applies(url: Option<&str>, has: &[&str], lacks: &[&str]) -> Result<(), String> {
    let url = url.ok_or("no fixed URL")?;
    if let Some(missing) = has.iter().find(|h| !url.contains(*h)) {
        return Err(format!("the fixed URL lacks {missing}: {url}"));
    }
    if let Some(present) = lacks.iter().find(|l| url.contains(*l)) {
        return Err(format!("the fixed URL still holds {present}: {url}"));
    }
    Ok(())
}

#[test]
fn no_report_in_the_table_is_listed_twice() {
    let mut seen = std::collections::BTreeSet::new();
    for report in REPORTS {
        assert!(
            seen.insert((report.thread, report.input)),
            "{} is listed twice",
            report.thread
        );
    }
}
