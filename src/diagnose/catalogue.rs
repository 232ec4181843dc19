//! The catalogue of diagnose findings: stable codes, severities, fixes, sources and the long
//! explanations `oauth-drift explain` prints. docs/diagnose.md is generated from this table
//! (a test keeps the two equal).
//!
//! Source keys: D1..D7 are Google's documentation pages listed in docs/diagnose.md, OBS is
//! behaviour reported in a public issue, 3P a third-party write-up.

use serde::Serialize;

/// Declares `Code`: each finding's variant, its stable code and its stable name.
macro_rules! codes {
    ($($variant:ident = $code:literal $name:literal,)*) => {
        /// A finding's stable code, rendered `OD103` (never reused for another meaning) and
        /// named `approval-prompt-ignored`; in code order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in order.
            pub const ALL: [Code; [$($code,)*].len()] = [$(Code::$variant,)*];

            /// `OD103`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// `approval-prompt-ignored`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }
        }
    };
}

codes! {
    ApprovalPromptConflict = "OD101" "approval-prompt-conflict",
    ApprovalPromptInvalid = "OD102" "approval-prompt-invalid",
    ApprovalPromptIgnored = "OD103" "approval-prompt-ignored",
    ApprovalPromptDeprecated = "OD104" "approval-prompt-deprecated",
    PromptInvalid = "OD105" "prompt-invalid",
    PromptNoneCombined = "OD106" "prompt-none-combined",
    PromptLogin = "OD107" "prompt-login",
    PromptNone = "OD108" "prompt-none",
    PromptSelectAccountOnly = "OD109" "prompt-select-account-only",
    OfflineNotRequested = "OD110" "offline-not-requested",
    AccessTypeInvalid = "OD111" "access-type-invalid",
    NoForcedConsent = "OD112" "no-forced-consent",
    RefreshTokenLimit = "OD113" "refresh-token-limit",
    OfflineAccessScopeGoogle = "OD114" "offline-access-scope-google",
    OfflineAccessNeedsConsent = "OD115" "offline-access-needs-consent",
    ImplicitFlow = "OD120" "implicit-flow",
    MissingParameter = "OD121" "missing-parameter",
    IncludeGrantedScopesInstalled = "OD122" "include-granted-scopes-installed",
    PkceMethodInvalid = "OD130" "pkce-method-invalid",
    PkcePlain = "OD131" "pkce-plain",
    PkceMethodWithoutChallenge = "OD132" "pkce-method-without-challenge",
    RedirectOob = "OD140" "redirect-oob",
    RedirectLoopback = "OD141" "redirect-loopback",
    RedirectUriInvalid = "OD142" "redirect-uri-invalid",
    RedirectUriDoubleEncoded = "OD143" "redirect-uri-double-encoded",
    RedirectGoogleJs = "OD144" "redirect-google-js",
    RedirectUriNotRegistered = "OD145" "redirect-uri-not-registered",
    LegacyEndpoint = "OD150" "legacy-endpoint",
    RevokeGet = "OD151" "revoke-get",
    ExpectsRotation = "OD160" "expects-rotation",
    TestingExpiry = "OD170" "testing-7-day-expiry",
    InvalidGrantCauses = "OD171" "invalid-grant-causes",
    TokenError = "OD172" "token-error",
    NoRefreshTokenExplained = "OD180" "no-refresh-token-explained",
    ErrorPage = "OD181" "error-page",
    ObservedDiffersFromModel = "OD182" "observed-differs-from-model",
    UserDenied = "OD183" "user-denied",
    ScopeDeclined = "OD184" "scope-declined",
    ConsentAbandoned = "OD185" "consent-abandoned",
    AuthorizeErrorObserved = "OD186" "authorize-error-observed",
    HarEntryUnreadable = "OD187" "har-entry-unreadable",
    UrlEncodedWhole = "OD190" "url-encoded-whole",
    DuplicateParameter = "OD191" "duplicate-parameter",
    ParameterDoubleEncoded = "OD192" "parameter-double-encoded",
    LineBreakInValue = "OD193" "line-break-in-value",
    SecretInUrl = "OD194" "secret-in-url",
    WhitespaceInParameter = "OD195" "whitespace-in-parameter",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The provider rejects the request, or a refresh token is lost for certain.
    Error,
    /// Works today but breaks refresh tokens in a common situation, or relies on undocumented behaviour.
    Warning,
    /// Worth knowing; nothing is broken.
    Info,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Stable code (`OD103`), with its stable name; `explain` accepts either.
    pub code: Code,
    pub severity: Severity,
    /// One line: what is wrong.
    pub title: &'static str,
    /// The default fix; a finding may say it more precisely for the request at hand.
    pub fix: &'static str,
    pub sources: &'static [&'static str],
    /// The long explanation, plain text, paragraphs separated by blank lines.
    pub explanation: &'static str,
    /// Dated events, oldest first.
    pub history: &'static [(&'static str, &'static str)],
}

impl Entry {
    /// The stable readable name (`approval-prompt-ignored`).
    pub fn name(&self) -> &'static str {
        self.code.name()
    }

    /// The sources as one line, as the JSON `source` field carries them.
    pub fn source_line(&self) -> String {
        self.sources.join("; ")
    }
}

/// Why `explain` could not find a code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown finding code `{given}`{}", hint(.suggestion))]
pub struct UnknownCode {
    pub given: String,
    pub suggestion: Option<String>,
}

fn hint(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => "; `oauth-drift explain --list` lists every code".to_string(),
    }
}

/// Looks a finding up by code (`OD103`, any case) or by name (`approval-prompt-ignored`).
pub fn lookup(given: &str) -> Result<&'static Entry, UnknownCode> {
    let wanted = given.trim();
    if let Some(entry) = CATALOGUE
        .iter()
        .find(|e| e.code.as_str().eq_ignore_ascii_case(wanted) || e.name().eq_ignore_ascii_case(wanted))
    {
        return Ok(entry);
    }
    // the letters people type for digits in a code: OD1O3, ODl03
    let upper: String = wanted
        .to_ascii_uppercase()
        .char_indices()
        .map(|(i, c)| match c {
            'O' if i >= 2 => '0',
            'I' | 'L' if i >= 2 => '1',
            c => c,
        })
        .collect();
    if let Some(entry) = CATALOGUE.iter().find(|e| e.code == upper.as_str()) {
        return Ok(entry);
    }
    let lower = wanted.to_ascii_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for e in &CATALOGUE {
        for (score, name) in [
            (strsim::jaro_winkler(&upper, e.code.as_str()), e.code.as_str()),
            (strsim::jaro_winkler(&lower, e.name()), e.name()),
        ] {
            // strictly better only: on a tie the earlier code wins
            if score > 0.8 && best.is_none_or(|(b, _)| score > b) {
                best = Some((score, name));
            }
        }
    }
    let best = best.map(|(_, name)| name.to_string());
    Err(UnknownCode {
        given: wanted.to_string(),
        suggestion: best,
    })
}

/// The catalogue entry of a finding code.
pub fn entry(code: Code) -> &'static Entry {
    &CATALOGUE[code as usize]
}

/// Every finding, in code order (the order of `Code`; a test holds the two together).
pub static CATALOGUE: [Entry; Code::ALL.len()] = [
    Entry {
        code: Code::ApprovalPromptConflict,
        severity: Severity::Error,
        title: "approval_prompt and prompt sent together: Google answers 400 \"Conflict params: approval_prompt and prompt\"",
        fix: "Remove approval_prompt; keep prompt=consent.",
        sources: &[
            "OBS thephpleague/oauth2-google #42 (2017)",
            "OBS googleapis/signet #22 (2013): prompt is mutually exclusive with approval_prompt",
        ],
        explanation: "approval_prompt is the pre-2014 spelling of prompt. Google treats the two as mutually \
exclusive: a request that carries both never reaches the consent screen; the user sees \"Access blocked: \
Authorization Error\" with \"Error 400: invalid_request - Conflict params: approval_prompt and prompt\", and the \
app never gets a code, let alone a refresh token.\n\nThis usually happens when a library still sends \
approval_prompt=force by default (or from an old option) and the application adds prompt=consent on top, \
following current advice. The wording is not in Google's documentation; it is quoted from public reports.",
        history: &[
            (
                "2013-07",
                "signet #22: prompt accepted and described as mutually exclusive with approval_prompt",
            ),
            (
                "2017-07-20",
                "thephpleague/oauth2-google #42: first public report of \"Conflict params\"",
            ),
        ],
    },
    Entry {
        code: Code::ApprovalPromptInvalid,
        severity: Severity::Error,
        title: "approval_prompt has a value Google rejects (only `force` is accepted today)",
        fix: "Remove approval_prompt; to force the consent screen send prompt=consent.",
        sources: &[
            "OBS googleapis/google-api-php-client #1821 (2020-04-21)",
            "OBS thephpleague/oauth2-client #831, python-social-auth/social-app-django #248, hwi/HWIOAuthBundle #1622",
        ],
        explanation: "approval_prompt once took `force` or `auto` (auto meaning: show the consent screen only if \
needed). On 2020-04-21 Google started to reject every value but `force` with \"Error 400: invalid_request / \
Invalid parameter value for approval_prompt: 'auto' is not valid\" (also for 'true'). Half a dozen libraries \
broke the same day. Whether `auto` was later accepted again is unconfirmed; the model rejects it.\n\n\
`auto` is the default behaviour anyway: leaving the parameter out is the same request without the error.",
        history: &[
            (
                "≤2013",
                "approval_prompt=force|auto documented (google-api-nodejs-client #124 quoting the docs)",
            ),
            (
                "2020-04-21",
                "Google rejects approval_prompt=auto (google-api-php-client #1821 and ~6 linked issues)",
            ),
        ],
    },
    Entry {
        code: Code::ApprovalPromptIgnored,
        severity: Severity::Warning,
        title: "approval_prompt=force no longer forces the consent screen: repeat grants come back without a refresh_token",
        fix: "Replace approval_prompt=force with prompt=consent.",
        sources: &[
            "OBS googleapis/oauth2client #453 (2016)",
            "OBS googleapis/google-api-php-client #2361 (2022)",
            "D2 prompt parameter",
        ],
        explanation: "On the 2015 endpoint (/o/oauth2/auth), approval_prompt=force showed the consent screen on \
every request, and because Google issues a refresh token whenever the user consents to an offline request, \
every grant returned a refresh_token. On /o/oauth2/v2/auth the parameter is still accepted but ignored: a user \
who already consented is sent straight back to the app, and the code exchange returns no refresh_token.\n\n\
Apps broke silently: the first login still returned a refresh token, tests passed, and the failure showed up \
weeks later for returning users, or when a token store was reset. The replacement is prompt=consent \
(D2: \"consent: Prompt the user for consent\"); oauth2client later rewrote approval_prompt=force to \
prompt=consent for this reason. Do not send both (OD101).",
        history: &[
            ("≤2013", "approval_prompt=force documented to re-prompt for consent"),
            ("2014-02", "prompt documented (accounts/docs/OAuth2Login#prompt)"),
            (
                "2016-03-10",
                "oauth2client 2.0.0 moves to /o/oauth2/v2/auth; approval_prompt=force stops working (#453)",
            ),
            (
                "2022-12",
                "google-api-php-client moves to the v2 URL; setApprovalPrompt('force') stops returning refresh tokens (#2361)",
            ),
        ],
    },
    Entry {
        code: Code::ApprovalPromptDeprecated,
        severity: Severity::Info,
        title: "approval_prompt=force works on this era's endpoint but is deprecated; it stops working on /o/oauth2/v2/auth",
        fix: "Send prompt=consent instead of approval_prompt=force.",
        sources: &[
            "OBS googleapis/oauth2client #453 (2016)",
            "OBS googleapis/google-api-php-client PR #106 (2014)",
        ],
        explanation: "In the selected provider era approval_prompt=force still re-shows the consent screen, so \
this request gets a refresh token on every grant. The same request on Google's current endpoint does not \
(see OD103): prompt=consent is the spelling that works in both eras.",
        history: &[
            (
                "2014",
                "google-api-php-client PR #106 maps approval_prompt=force to prompt=consent",
            ),
            (
                "2016-03-10",
                "/o/oauth2/v2/auth ignores approval_prompt=force (oauth2client #453)",
            ),
        ],
    },
    Entry {
        code: Code::PromptInvalid,
        severity: Severity::Error,
        title: "prompt holds a value Google does not accept: 400 \"Invalid parameter value for prompt\"",
        fix: "Send prompt as a space-separated list of none, consent, select_account (case-sensitive).",
        sources: &[
            "D2 prompt: \"A space-delimited, case-sensitive list of prompts\"",
            "OBS googleapis/google-api-php-client #2444 (2023): \"Invalid prompt: consent;\"",
        ],
        explanation: "Google splits prompt on whitespace and checks every value against none, consent and \
select_account (login is tolerated, see OD107). Anything else stops the flow on Google's error page: \"Error 400: \
invalid_request - Invalid parameter value for prompt: Invalid prompt: <value>\". Typical causes are a stray \
separator (`consent;`, `consent,select_account`), a capital letter (`Consent`), a line break that was pasted \
into the code (`con\\nsent`), or a value from another provider.",
        history: &[(
            "2023-05-26",
            "google-api-php-client #2444: \"Invalid prompt: consent;\"",
        )],
    },
    Entry {
        code: Code::PromptNoneCombined,
        severity: Severity::Error,
        title: "prompt=none is combined with other values, which Google forbids",
        fix: "Send prompt=none alone (silent re-authentication) or drop none.",
        sources: &["D2 prompt: \"none ... Must not be specified with other values\""],
        explanation: "prompt=none asks for no screen at all; combining it with consent or select_account \
contradicts it, and Google rejects the request (D2). The exact error wording for this case is unconfirmed; \
the model answers like an invalid prompt value.",
        history: &[],
    },
    Entry {
        code: Code::PromptLogin,
        severity: Severity::Warning,
        title: "prompt=login is not a Google prompt value: accepted, but it does not force the consent screen",
        fix: "Use prompt=consent to force consent (add select_account to force the account chooser).",
        sources: &[
            "3P Google DevRel, \"Google OIDC and Prompt Login\" (dev.to/googleworkspace)",
            "OBS curl 2026-09: prompt=login is not rejected",
        ],
        explanation: "OpenID Connect defines prompt=login (re-authenticate the user). Google documents only none, \
consent and select_account; its developer relations team says Google does not support login. Google does not \
reject it either, so nothing looks wrong, but it does not re-show the consent screen: a returning user gets no \
refresh_token.",
        history: &[],
    },
    Entry {
        code: Code::PromptNone,
        severity: Severity::Warning,
        title: "prompt=none never shows a consent screen, so it can never mint a refresh token",
        fix: "Use prompt=none only to refresh a session silently; to get a refresh token send prompt=consent.",
        sources: &[
            "D2 prompt: \"none: Don't display any authentication or consent screens\"",
            "OIDC Core §3.1.2.6",
        ],
        explanation: "With prompt=none the provider either answers at once (the user already consented: no \
consent screen, hence no refresh token) or fails with an error such as consent_required or interaction_required \
when it would have to show a screen. Either way no new refresh token is issued. It is meant for silent \
re-authentication of a signed-in user, not for obtaining offline access.",
        history: &[],
    },
    Entry {
        code: Code::PromptSelectAccountOnly,
        severity: Severity::Warning,
        title: "prompt=select_account alone does not re-show the consent screen: repeat grants get no refresh_token",
        fix: "Send prompt=\"select_account consent\".",
        sources: &[
            "OBS civicrm/civicrm-core PR #26531 (2023)",
            "OBS thephpleague/oauth2-google #42",
        ],
        explanation: "select_account shows the account chooser, not the consent screen. A user who already \
consented picks an account and goes straight back to the app; the code exchange returns no refresh_token. \
\"select_account consent\" (both, space-separated) shows both screens and is widely used.",
        history: &[(
            "2023-06-15",
            "civicrm-core PR #26531 switches to \"select_account consent\"",
        )],
    },
    Entry {
        code: Code::OfflineNotRequested,
        severity: Severity::Warning,
        title: "offline access is not requested, so no refresh_token is ever returned",
        fix: "Send access_type=offline.",
        sources: &[
            "D2 access_type: \"online, which is the default value, and offline\"",
            "D2 Step 5: \"the refresh token is only returned if your application set the access_type parameter to offline\"",
        ],
        explanation: "Google returns a refresh token only for offline requests. access_type defaults to online \
for web clients (installed clients are treated as offline, D3), so a request without access_type=offline gets an \
access token that expires in about an hour and nothing to renew it with. For OpenID Connect providers the \
equivalent is the offline_access scope (OIDC Core §11).",
        history: &[],
    },
    Entry {
        code: Code::AccessTypeInvalid,
        severity: Severity::Error,
        title: "access_type has a value other than online or offline: 400 \"Invalid parameter value for access_type\"",
        fix: "Send access_type=offline (exactly, lowercase).",
        sources: &[
            "D2 access_type valid values",
            "OBS public chat log: \"Invalid parameter value for access_type: '<value>' is not valid\"",
        ],
        explanation: "access_type takes exactly online or offline. Typos (offine), booleans (true) and other \
providers' values (offline_access) stop the flow on Google's error page with invalid_request.",
        history: &[],
    },
    Entry {
        code: Code::NoForcedConsent,
        severity: Severity::Warning,
        title: "offline access without prompt=consent: only the first grant returns a refresh_token",
        fix: "Send prompt=consent whenever you need a new refresh token (e.g. when none is stored for the user).",
        sources: &[
            "D2 (Node tab): \"The refresh_token is only returned on the first authorization\"",
            "OBS authomatic/authomatic PR #243",
            "3P usefulangle.com: \"No consent screen means no refresh token\"",
        ],
        explanation: "Google mints a refresh token when the user sees the consent screen. Without prompt=consent \
the screen is shown only the first time a user authorizes the client; every later login skips it and the code \
exchange returns an access token without refresh_token. Apps that store the refresh token per login overwrite \
the good one with nothing, or fail when the token store is reset, or when the user logs in on a second device.\n\n\
Two correct designs: keep the refresh token from the first grant (it does not rotate, see OD160) and only send \
prompt=consent when you have none stored; or send prompt=consent every time and accept that every login mints a \
new token that counts against the per-client limit (OD113).",
        history: &[(
            "2016-03-10",
            "approval_prompt=force stops forcing consent; prompt=consent becomes the only way (oauth2client #453)",
        )],
    },
    Entry {
        code: Code::RefreshTokenLimit,
        severity: Severity::Info,
        title: "every grant mints a new refresh token; past the per-client limit the oldest is revoked without warning",
        fix: "Store the latest refresh token per user and reuse it; send prompt=consent only when none is stored.",
        sources: &[
            "D1: \"There is currently a limit of 100 refresh tokens per Google Account per OAuth 2.0 client ID\"",
            "OBS jennybc/googlesheets #101 (2015, limit 25)",
            "OBS google/site-kit-wp #1115 (2020, limit 50)",
        ],
        explanation: "When the consent screen is forced on every login, every login returns a new refresh token, \
and all of them stay valid until the limit is reached. Then \"creating a new refresh token automatically \
invalidates the oldest refresh token without warning\" (D1). The model reproduces this: after limit + 1 forced \
grants, the first refresh token is rejected with invalid_grant. There is also a larger limit across all clients \
of an account. Service accounts are exempt.",
        history: &[
            (
                "2015",
                "limit 25 per user per client (jennybc/googlesheets #101, dexidp/dex #60)",
            ),
            (
                "2018–2020",
                "limit documented as 50 (CartoDB PR #14254, site-kit-wp #1115)",
            ),
            ("by 2024-11-13", "limit documented as 100 (D1)"),
        ],
    },
    Entry {
        code: Code::OfflineAccessScopeGoogle,
        severity: Severity::Error,
        title: "the offline_access scope is an OpenID Connect convention Google refuses: 400 invalid_scope",
        fix: "Remove offline_access from scope and send access_type=offline.",
        sources: &[
            "OBS lukaszraczylo/traefikoidc #44 (2025): \"Some requested scopes were invalid. {valid=[openid, …], invalid=[offline_access]}\"",
            "OBS akuity/kargo #3005 (2024): the same error for offline_access",
            "Google discovery document: offline_access is not in scopes_supported",
            "OIDC Core §11",
        ],
        explanation: "Microsoft, Auth0, Okta and OpenID Connect providers grant refresh tokens for the \
offline_access scope. Google does not: a request whose scope holds offline_access ends on Google's error page \
with \"Error 400: invalid_scope\" and \"Some requested scopes were invalid. {valid=[openid, \
https://www.googleapis.com/auth/userinfo.email, …], invalid=[offline_access]}\", so no grant happens at all. \
Offline access is asked for with access_type=offline. Generic OpenID Connect client libraries and proxies add the \
scope by default (traefikoidc did until a 2025 fix; kargo's UI did), and configuration copied from another \
provider carries it.",
        history: &[
            (
                "2024-11-27",
                "akuity/kargo #3005: invalid=[offline_access] with Google as OIDC provider",
            ),
            (
                "2025-05-04",
                "lukaszraczylo/traefikoidc #44: the plugin stops adding offline_access for Google",
            ),
        ],
    },
    Entry {
        code: Code::OfflineAccessNeedsConsent,
        severity: Severity::Warning,
        title: "offline_access is ignored unless prompt contains consent (OpenID Connect Core §11)",
        fix: "Send prompt=consent together with the offline_access scope.",
        sources: &[
            "OIDC Core §11",
            "panva/node-oidc-provider lib/actions/authorization/check_scope.js",
        ],
        explanation: "OpenID Connect Core §11: the provider \"MUST ensure that the prompt parameter contains \
consent unless other conditions for processing the request permitting offline access are in place; unless one or \
both of these conditions are fulfilled, then it MUST ignore the offline_access request\". node-oidc-provider drops \
the scope silently, so the request succeeds and no refresh token comes back, even on the first grant.",
        history: &[],
    },
    Entry {
        code: Code::ImplicitFlow,
        severity: Severity::Warning,
        title: "response_type has no `code`: the implicit flow never returns a refresh_token",
        fix: "Use response_type=code (with PKCE for public clients) and exchange the code at the token endpoint.",
        sources: &[
            "RFC 6749 §4.2.2: \"The authorization server MUST NOT issue a refresh token\"",
            "D2",
        ],
        explanation: "With response_type=token (or id_token) the tokens come back in the redirect fragment and \
there is no code exchange, so there is nowhere a refresh token could be returned; RFC 6749 forbids it. \
access_type=offline on such a request has no effect (whether Google rejects or ignores it is unconfirmed; the \
model ignores it).",
        history: &[],
    },
    Entry {
        code: Code::MissingParameter,
        severity: Severity::Error,
        title: "a required parameter is missing: Google answers 400 invalid_request",
        fix: "Send client_id, redirect_uri, response_type and scope.",
        sources: &[
            "D2 required parameters",
            "OBS googleads/googleads-php-lib #268, awesomemotive/Google-Analytics-Dashboard-for-WP #65, Kong/insomnia #5062",
        ],
        explanation: "client_id, redirect_uri, response_type and scope are required. A missing one stops the flow \
on Google's error page: \"Missing required parameter: scope\" (for response_type: \"Required parameter is missing: \
response_type\").",
        history: &[],
    },
    Entry {
        code: Code::IncludeGrantedScopesInstalled,
        severity: Severity::Warning,
        title: "include_granted_scopes is not supported for installed (desktop/mobile) clients",
        fix: "Drop include_granted_scopes for installed clients; request every scope you need in one grant.",
        sources: &["D3: \"incremental authorization with installed apps is not supported\""],
        explanation: "Incremental authorization combines the new grant with everything the user granted before. \
D3: \"incremental authorization with installed apps is not supported due to the fact that the client cannot keep \
the client_secret confidential.\" Do not rely on it for desktop or mobile clients.",
        history: &[],
    },
    Entry {
        code: Code::PkceMethodInvalid,
        severity: Severity::Error,
        title: "code_challenge_method is not S256 or plain: 400 invalid_request",
        fix: "Send code_challenge_method=S256 (exact case) with an S256 code_challenge.",
        sources: &["D3: \"The only supported values for this parameter are S256 or plain\""],
        explanation: "PKCE methods are case-sensitive: s256, sha256 and SHA-256 are rejected. Google accepts \
S256 and plain; S256 is the one to use.",
        history: &[],
    },
    Entry {
        code: Code::PkcePlain,
        severity: Severity::Warning,
        title: "PKCE with the plain method (explicit, or by default when code_challenge_method is missing)",
        fix: "Send code_challenge_method=S256 with code_challenge = BASE64URL(SHA256(code_verifier)).",
        sources: &[
            "D3: code_challenge_method \"defaults to plain if not present\"",
            "RFC 7636 §4.2",
        ],
        explanation: "With plain the code challenge is the verifier itself, so anyone who sees the authorization \
request can redeem an intercepted code. Google defaults to plain when code_challenge_method is left out, so a \
request that computes an S256 challenge but forgets the method fails at the token endpoint with \"Invalid code \
verifier.\"",
        history: &[(
            "2020",
            "google-api-java-client #1479: invalid_grant \"Invalid code verifier.\"",
        )],
    },
    Entry {
        code: Code::PkceMethodWithoutChallenge,
        severity: Severity::Error,
        title: "code_challenge_method is sent without code_challenge",
        fix: "Send the code_challenge too, or drop code_challenge_method.",
        sources: &["D3 PKCE parameters"],
        explanation: "A PKCE method without a challenge is an incomplete PKCE request; the model rejects it with \
invalid_request (the exact wording is unconfirmed).",
        history: &[],
    },
    Entry {
        code: Code::RedirectOob,
        severity: Severity::Error,
        title: "out-of-band redirect (urn:ietf:wg:oauth:2.0:oob): blocked by Google for every client since 2023-01-31",
        fix: "Use a loopback redirect (http://127.0.0.1:PORT) for desktop apps, or a custom scheme / app link on mobile.",
        sources: &["D5 OOB migration guide"],
        explanation: "The out-of-band flow showed the code on a Google page for the user to copy into the app. \
It was phased out in 2022 and blocked for all clients on 2023-01-31; requests end on an error page saying the \
OOB flow has been blocked. The values are urn:ietf:wg:oauth:2.0:oob, urn:ietf:wg:oauth:2.0:oob:auto and oob.",
        history: &[
            ("2022-02-28", "OOB blocked for new clients"),
            ("2022-10-03", "OOB deprecated for clients created before 2022-02-28"),
            ("2023-01-31", "OOB blocked for all existing clients"),
        ],
    },
    Entry {
        code: Code::RedirectLoopback,
        severity: Severity::Warning,
        title: "loopback redirect: fine for desktop clients, blocked for iOS, Android and Chrome app clients",
        fix: "Keep loopback for desktop clients; on iOS/Android/Chrome use a custom URI scheme or app links.",
        sources: &["D6 loopback migration guide", "D3 loopback IP address"],
        explanation: "Desktop (installed) clients may redirect to http://127.0.0.1:PORT or http://[::1]:PORT on a \
random free port. For iOS, Android and Chrome app clients Google blocked loopback redirects in 2022; such a \
request is rejected. The model does not know mobile client types, so it predicts the desktop behaviour.",
        history: &[
            ("2022-03-14", "loopback blocked for new iOS/Android/Chrome clients"),
            ("2022-08-31", "blocked for existing mobile/Chrome clients"),
            (
                "2022-10-21",
                "blocked for all of them, including exempted ones; desktop loopback still supported",
            ),
        ],
    },
    Entry {
        code: Code::RedirectUriInvalid,
        severity: Severity::Warning,
        title: "the redirect_uri breaks today's redirect URI rules: a new client cannot register it (an older registration may still work)",
        fix: "Register an https URI (http only for localhost) without fragment, userinfo, wildcard or path traversal, and send it.",
        sources: &[
            "D2 redirect URI validation rules",
            "OBS googleapis/google-api-python-client #213 (2016): an http redirect_uri on a public host worked",
        ],
        explanation: "Google only lets a client register redirect URIs that are HTTPS (plain http only for \
localhost), have no raw IP host except loopback, no fragment, no userinfo, no `/..` path traversal, no `*`, no \
invalid percent-encodings and are not on googleusercontent.com. A URI it cannot register never matches, and the \
request ends with Error 400: redirect_uri_mismatch.\n\nWhether a URI is registered cannot be seen from the \
request: clients registered URIs before some of these rules existed (plain http on public hosts was common until \
the mid-2010s) and those registrations keep working. So this is a warning, and diagnose predicts the rest of the \
request as if the URI were registered. The `google@2015` profile does not apply the https rule. If the report \
shows redirect_uri_mismatch, this finding is the likely reason.",
        history: &[],
    },
    Entry {
        code: Code::RedirectUriDoubleEncoded,
        severity: Severity::Error,
        title: "redirect_uri is percent-encoded twice: it no longer equals the registered URI (redirect_uri_mismatch)",
        fix: "Encode redirect_uri exactly once.",
        sources: &[
            "D2: redirect_uri \"must exactly match one of the authorized redirect URIs\"",
            "OBS PackRat-AI/PackRat #511",
        ],
        explanation: "After decoding, the provider sees https%3A%2F%2F… instead of https://…, which matches no \
registered URI. This happens when a URL is built with an encoding helper and then encoded again by a query-string \
builder. The model registers the once-decoded URI (what you registered in the console) and predicts the mismatch.",
        history: &[],
    },
    Entry {
        code: Code::RedirectGoogleJs,
        severity: Severity::Info,
        title: "the redirect_uri is a special value of Google's JavaScript libraries (postmessage, storagerelay://), not a registered URI",
        fix: "Nothing to change: exchange the code with the same redirect_uri value (postmessage for the popup code flow).",
        sources: &[
            "OBS MomenSherif/react-oauth #145 (2022): the backend exchanges the code with redirect_uri 'postmessage'",
            "OBS anthonyjgrove/react-google-login #431 (2021): gapi sends redirect_uri=storagerelay://…",
            "OBS google/google-api-javascript-client #407 (2018): \"Storagerelay URI is not allowed for 'NATIVE' client type\"",
        ],
        explanation: "Google Identity Services and the older gapi.auth2 library run the authorization in a popup \
and deliver the code to the page by message passing, not by a redirect. The authorization request then carries \
redirect_uri=postmessage (the popup code flow) or redirect_uri=storagerelay://… (gapi), and the code must be \
exchanged with redirect_uri=postmessage. These values are never registered in the console; the JavaScript origin \
is. They only work for web clients: an installed (native) client gets \"Storagerelay URI is not allowed for \
'NATIVE' client type\". diagnose does not check such a value against the registration rules and predicts the rest \
of the request.",
        history: &[],
    },
    Entry {
        code: Code::RedirectUriNotRegistered,
        severity: Severity::Error,
        title: "Google's error page says redirect_uri_mismatch: the redirect_uri sent is not registered for the client",
        fix: "Add the redirect_uri exactly as sent (scheme, host, port, path, trailing slash) to the OAuth client's Authorized redirect URIs, or send one that is there.",
        sources: &[
            "D2 redirect_uri_mismatch",
            "OBS NastuzziSamy/files_external_gdrive #22 (2018), googleapis/google-api-php-client #2559 (2024)",
        ],
        explanation: "Whether a redirect URI is registered is a setting of the OAuth client in the Cloud Console, \
invisible in the request. When the input is Google's error page, its error says it: redirect_uri_mismatch means \
the redirect_uri in the request details is not among the client's authorized redirect URIs (byte for byte: \
http against https, www or not, a trailing slash, a port). diagnose then predicts with nothing registered, which \
reproduces the page, and names the URI to register.",
        history: &[],
    },
    Entry {
        code: Code::LegacyEndpoint,
        severity: Severity::Warning,
        title: "a legacy Google endpoint is used",
        fix: "Use https://accounts.google.com/o/oauth2/v2/auth, https://oauth2.googleapis.com/token and https://oauth2.googleapis.com/revoke.",
        sources: &[
            "googleapis/oauth2client __init__.py (v1.4.12) and CHANGELOG v4.1.3 (#742)",
            "D2 endpoints",
        ],
        explanation: "accounts.google.com/o/oauth2/auth, accounts.google.com/o/oauth2/token, \
www.googleapis.com/oauth2/v3/token and …/v4/token and accounts.google.com/o/oauth2/revoke still appear in \
client-secret files and old libraries. They behave differently in places: approval_prompt=force apparently kept working on \
/o/oauth2/auth for years after v2 stopped honouring it (google-api-php-client #2361, 2022), and the legacy revoke URL \
accepted GET. The model predicts today's behaviour of the current endpoints; whether the legacy authorization \
endpoint still honours approval_prompt=force today is unconfirmed.",
        history: &[
            ("2016-03-10", "oauth2client 2.0.0 moves to /o/oauth2/v2/auth"),
            (
                "2019-02",
                "client libraries switch to oauth2.googleapis.com (oauth2client #742/#750)",
            ),
        ],
    },
    Entry {
        code: Code::RevokeGet,
        severity: Severity::Error,
        title: "GET on https://oauth2.googleapis.com/revoke: answered 404, the token stays valid",
        fix: "POST the token (token=…, form-encoded) to https://oauth2.googleapis.com/revoke.",
        sources: &["OBS googleapis/oauth2client #750 (2019-02-15)", "D2 revoking a token"],
        explanation: "The legacy accounts.google.com/o/oauth2/revoke accepted GET with ?token=. The current \
endpoint only accepts POST; GET answers 404 Not Found, so a \"logout\" that revokes with GET leaves the refresh \
token alive. The query string also puts the token into server logs.",
        history: &[(
            "2019-02-15",
            "oauth2client #750: GET on oauth2.googleapis.com/revoke returns 404",
        )],
    },
    Entry {
        code: Code::ExpectsRotation,
        severity: Severity::Warning,
        title: "refresh responses carry no refresh_token on Google (no rotation): keep the one you have",
        fix: "Keep the stored refresh token when a refresh response has none; never overwrite it with an empty value.",
        sources: &[
            "D2 refresh sample (no refresh_token field)",
            "OBS dnplus/streamlit-oauth #40 (2024)",
        ],
        explanation: "Google does not rotate refresh tokens: a refresh response has access_token, expires_in, \
scope, token_type and maybe id_token, but no refresh_token. Code written for rotating providers (Auth0, Okta, \
Xero, Slack) stores `response.refresh_token` after each refresh and so replaces a good token with undefined. \
For providers that do rotate, the opposite holds: store the new token from every refresh response.",
        history: &[],
    },
    Entry {
        code: Code::TestingExpiry,
        severity: Severity::Info,
        title: "the client is in Testing status: its refresh tokens for these scopes expire after 7 days",
        fix: "Publish the app (In production), or request only openid/email/profile while testing.",
        sources: &[
            "D1: a Testing-status External app \"is issued a refresh token expiring in 7 days\"",
            "OBS refresh_token_expires_in: 604799 in token responses",
        ],
        explanation: "A Google Cloud project whose OAuth consent screen is External and in Testing gets refresh \
tokens that expire seven days after consent, unless the only scopes are name, email and profile (openid, email, \
profile and their userinfo.* spellings). Google signals it in the token response as refresh_token_expires_in: \
604799. After seven days refresh fails with invalid_grant \"Token has been expired or revoked.\"",
        history: &[(
            "by 2024-11-13",
            "the 7-day rule and its scope exemption are documented (D1)",
        )],
    },
    Entry {
        code: Code::InvalidGrantCauses,
        severity: Severity::Warning,
        title: "a refresh fails with invalid_grant: the causes the request cannot show, and how to tell them apart",
        fix: "Find which of the causes fits, remove it, and authorize again to get a new refresh token.",
        sources: &[
            "D1 \"Refresh token expiration\": Testing status (7 days), revocation, six months unused, password change with Gmail scopes, the per-client limit",
            "OBS apache/opendal #3901, googleworkspace/python-samples #1644: \"Token has been expired or revoked.\"",
        ],
        explanation: "Google answers a refresh with 400 invalid_grant \"Token has been expired or revoked.\" for \
every reason a refresh token stops working, and the authorization URL looks the same for all of them. D1 lists \
them: the app's OAuth consent screen is External and in Testing (tokens for scopes beyond name, email and profile \
expire after 7 days; the token response said refresh_token_expires_in: 604799); the user or an admin revoked the \
app's access; the token was not used for six months; the user changed the password and the token has Gmail \
scopes; or the user and client passed the per-client limit, which revokes the oldest token.\n\nTelling them apart: \
exactly 7 days after consent is Testing; only the oldest of several tokens failing is the limit; all tokens of a \
user failing at once is revocation or a password change; a token idle for half a year is the unused rule. \
`--symptom invalid-grant-after-days` ranks the Testing cause first, `--symptom refresh-token-revoked` the limit.",
        history: &[],
    },
    Entry {
        code: Code::TokenError,
        severity: Severity::Error,
        title: "the token endpoint answered an error; the model's error catalogue says which requests get it",
        fix: "Fix the token request as the finding says, or paste it (without secrets) for a closer diagnosis.",
        sources: &["the provider profile's error catalogue (profiles/*.yaml), each entry with its source"],
        explanation: "A token endpoint error alone does not show the request that caused it. diagnose matches the \
error code and description against the errors the provider model answers with, and names the requests that get \
each (a reused or expired code, a wrong verifier, another redirect_uri, a wrong secret). Several may share one \
description: Google answers \"Bad Request\" for more than one of them.",
        history: &[],
    },
    Entry {
        code: Code::NoRefreshTokenExplained,
        severity: Severity::Error,
        title: "a token response has no refresh_token; the request that produced it explains why",
        fix: "Apply the fix of the finding this one points to, then authorize again.",
        sources: &["D2 Step 5", "the provider model"],
        explanation: "diagnose follows a token response without refresh_token back to the code it exchanged, the \
callback that delivered the code and the authorization request that started the flow, then asks the provider \
model what that request returns on a first and on a repeat grant. The usual answers: the request never asks for \
offline access (OD110), the user had already consented and nothing forced the consent screen (OD112, OD103, \
OD109), or the response is a refresh response, which on Google never has a refresh_token (OD160).",
        history: &[],
    },
    Entry {
        code: Code::ErrorPage,
        severity: Severity::Error,
        title: "Google's error page, decoded from its authError parameter",
        fix: "Fix what the error names, then diagnose the authorization URL that led to the page for a verified fixed URL.",
        sources: &[
            "OBS onyx-dot-app/onyx #7854 (2026) and AlistGo/alist #3259 (2023): error page URLs with authError",
            "OBS curl 2026-09: bad parameters answer 302 to /signin/oauth/error?authError=…",
        ],
        explanation: "When Google refuses an authorization request it redirects the browser to \
accounts.google.com/signin/oauth/error?authError=…; the page shows \"Access blocked\" and the error. authError is \
base64url of a small protobuf message: the error code, the text shown to the user (in the user's language), the \
HTTP status, the request details (such as redirect_uri=…) and often an English message for the developer. diagnose \
decodes it and names the finding that explains the same error; the page does not carry the whole request, so the \
fixed URL needs the authorization URL itself. The format is not documented; fields diagnose does not know are \
skipped.",
        history: &[],
    },
    Entry {
        code: Code::ObservedDiffersFromModel,
        severity: Severity::Warning,
        title: "the HAR shows the provider doing something else than the model predicts",
        fix: "Trust the HAR: diagnose again with the profile that explains it (--provider), or report the difference so the profile can be corrected.",
        sources: &["the HAR itself: what the browser recorded outranks the model"],
        explanation: "A HAR is a record of what happened: a consent screen shown or skipped, an error page, a token \
response with or without refresh_token. diagnose compares each flow in it with what the provider model predicts for \
the same request (a first grant, or a repeat grant when an earlier flow in the file already authorized the same \
client). When they differ, the HAR wins: the exit code follows what happened, and diagnose runs the other profiles \
of the same provider (its eras) to say which one behaves as recorded (\"the provider behaved like google@2015\"). \
When none does, the model is stale for this request: the finding names the entries that show it.",
        history: &[],
    },
    Entry {
        code: Code::UserDenied,
        severity: Severity::Error,
        title: "the user refused on the consent screen: the callback carries error=access_denied",
        fix: "Nothing in the request caused it: handle error=access_denied in the callback (say why the app needs access, offer to try again).",
        sources: &[
            "RFC 6749 §4.1.2.1: access_denied \"The resource owner or authorization server denied the request\"",
            "D2 Step 4: \"error=access_denied\"",
        ],
        explanation: "When the user presses Cancel (or Deny) on the consent screen, the provider redirects back to \
the app with error=access_denied instead of a code: there is nothing to exchange, so no access token and no \
refresh_token. The request was fine; changing prompt or access_type does not help. An administrator's policy that \
blocks the app gives the same error without a consent screen.",
        history: &[],
    },
    Entry {
        code: Code::ScopeDeclined,
        severity: Severity::Warning,
        title: "the user unticked scopes on the consent screen: the token does not cover them",
        fix: "Read the granted scope in the token response before calling an API; ask again for a declined scope when the feature needs it (include_granted_scopes=true keeps the rest).",
        sources: &[
            "D7: granular permissions: users may grant only some of the requested scopes",
            "D2 Step 5: the token response's scope lists the granted scopes",
        ],
        explanation: "Google's granular consent screen lets the user untick each scope beyond sign-in (openid, \
email, profile). The token response then lists only the granted scopes in `scope`, and the refresh_token covers only \
those: calls to the APIs of a declined scope answer 403 (insufficient scopes), and refreshing never adds them. \
diagnose names the scopes the user declined and what they cost, from the consent form or the token response in the \
HAR.",
        history: &[],
    },
    Entry {
        code: Code::ConsentAbandoned,
        severity: Severity::Warning,
        title: "the consent screen was shown and never answered: the window was closed (or the recording stopped)",
        fix: "Nothing in the request caused it; if users leave the consent screen often, say before the redirect what the app will ask for.",
        sources: &["the HAR: a consent screen with no answer and no redirect back to the app"],
        explanation: "The HAR shows the consent screen and nothing after it for that flow: no answer posted, no \
redirect back to the app with a code or an error. The user closed the window or the tab (the provider does not \
tell the app), or the recording stopped before the user answered. Either way there is no code and no token to \
explain.",
        history: &[],
    },
    Entry {
        code: Code::AuthorizeErrorObserved,
        severity: Severity::Error,
        title: "the authorization request got an error page: no consent screen, no code",
        fix: "Fix what the error names (the findings for the request say how), then authorize again.",
        sources: &["D2 Step 2: an invalid request gets an error page, not a redirect"],
        explanation: "The authorization endpoint answered with an error page (Google shows \"Access blocked\" or \
\"Error 400: invalid_request\") instead of a consent screen or a redirect. The user cannot go on; the app never \
gets a code. The HAR entry shows the status and, where the page or its headers say it, the error code and \
description; the request's findings explain it.",
        history: &[],
    },
    Entry {
        code: Code::HarEntryUnreadable,
        severity: Severity::Warning,
        title: "a HAR entry of the flow failed or its body cannot be read",
        fix: "Export the HAR again with content (Chrome: \"Save all as HAR (with content)\"; Playwright: the .zip, or content embedded), and keep \"Preserve log\" on.",
        sources: &["HAR 1.2: response.content.text and encoding; Chrome's _error; Playwright's _file"],
        explanation: "A request that failed in the browser (status -1 or 0, net::ERR_FAILED, a CORS refusal) \
has no response, and a response body may be missing from the export (exported without content, or kept in a side \
file that was not given) or unreadable (base64 that does not decode, gzip that does not inflate, binary). diagnose \
says which entry and why, and does not take a missing body for a missing refresh_token. Entries out of time order \
are read sorted by startedDateTime, and that is said too.",
        history: &[],
    },
    Entry {
                code: Code::UrlEncodedWhole,
        severity: Severity::Info,
        title: "the pasted URL was percent-encoded as a whole; it was decoded before diagnosis",
        fix: "Nothing to fix if the app sends the decoded URL; make sure the browser is sent the decoded form.",
        sources: &["RFC 3986 §2.4"],
        explanation: "URLs copied out of another URL's parameter (a continue= or redirect= value) or out of a \
log that encodes its fields arrive encoded as a whole (https%3A%2F%2F…). diagnose decodes such a layer and says \
so, so that what it diagnoses is what the browser would send.",
        history: &[],
    },
    Entry {
        code: Code::DuplicateParameter,
        severity: Severity::Warning,
        title: "a parameter is sent more than once; the provider reads only one of them",
        fix: "Send each parameter once (several prompt values go space-separated in one prompt).",
        sources: &["D2 prompt: \"A space-delimited ... list\""],
        explanation: "Two prompt= (or scope=) parameters do not combine: the model reads the first, and which \
one a real provider reads is not documented. Libraries that both set a default and accept an override produce \
this.",
        history: &[],
    },
    Entry {
        code: Code::ParameterDoubleEncoded,
        severity: Severity::Warning,
        title: "a parameter value is percent-encoded twice; the provider sees the %-escapes literally",
        fix: "Encode each parameter value exactly once.",
        sources: &["RFC 3986 §2.4"],
        explanation: "A value like openid%2520email decodes to openid%20email, a single scope name that does not \
exist. Encode once, and let the query-string builder do it.",
        history: &[],
    },
    Entry {
        code: Code::LineBreakInValue,
        severity: Severity::Warning,
        title: "a parameter value contains a line break",
        fix: "Remove the line break from the value where the URL is built.",
        sources: &["OBS public README: \"Invalid parameter value for prompt: Invalid prompt: con\\nsent\""],
        explanation: "A URL wrapped across lines in source code or configuration keeps the line break as %0A. \
Google splits prompt and scope on whitespace, so `con\\nsent` becomes the two invalid values con and sent.",
        history: &[],
    },
    Entry {
        code: Code::SecretInUrl,
        severity: Severity::Error,
        title: "the authorization URL carries a secret (client_secret, code or token); it is not shown here",
        fix: "Never put client_secret or tokens in the authorization URL; they belong in the token request body. Rotate the secret.",
        sources: &[
            "RFC 6749 §2.3.1: client credentials in the request body, never in the URI",
            "D2",
        ],
        explanation: "The authorization URL goes through the user's browser, its history, proxies and referrer \
headers; anything in it is public. The client secret is only sent from the server to the token endpoint. A secret \
that has been in such a URL should be rotated. diagnose redacts such values in all output.",
        history: &[],
    },
    Entry {
        code: Code::WhitespaceInParameter,
        severity: Severity::Error,
        title: "a parameter name or value carries whitespace: the URL was broken over indented lines where it was built",
        fix: "Build the URL on one line, or join its lines without the indentation.",
        sources: &[
            "WHATWG URL Standard: the parser removes tab and newline characters but keeps spaces",
            "OBS public README: \"Invalid parameter value for prompt: Invalid prompt: con\\nsent\"",
        ],
        explanation: "A URL written in code as a string that continues on an indented line (a template literal, a \
heredoc, a YAML block) holds the line break and the indentation. The browser drops the line break but sends the \
spaces, percent-encoded: `&\\n    redirect_uri=` arrives as a parameter named `    redirect_uri`, so the provider \
sees no redirect_uri at all, and `client_id=x\\n    &` sends a client_id ending in spaces. diagnose keeps the \
indentation of a pasted URL whose continuation lines are more indented than its first line, and shows what the \
provider receives instead of tidying it.",
        history: &[],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = std::collections::BTreeSet::new();
        let mut names = std::collections::BTreeSet::new();
        for (index, entry) in CATALOGUE.iter().enumerate() {
            assert_eq!(entry.code, Code::ALL[index], "the catalogue is in the order of Code");
            let code = entry.code.as_str();
            assert!(codes.insert(code), "duplicate code {code}");
            assert!(names.insert(entry.name()), "duplicate name {}", entry.name());
            assert!(code.len() == 5 && code.starts_with("OD"), "{code}");
            assert!(
                entry
                    .name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                entry.name()
            );
            assert!(!entry.sources.is_empty(), "{code} has no source");
            assert!(!entry.explanation.is_empty() && !entry.fix.is_empty(), "{code}");
        }
        let sorted: Vec<_> = CATALOGUE.iter().map(|e| e.code.as_str()).collect();
        let mut again = sorted.clone();
        again.sort();
        assert_eq!(sorted, again, "codes are in code order");
    }

    #[test]
    fn every_code_docs_diagnose_md_names_is_a_finding_and_every_finding_has_its_section() {
        let docs = include_str!("../../docs/diagnose.md");
        for (at, _) in docs.match_indices("OD") {
            let code = &docs[at..(at + 5).min(docs.len())];
            if code.len() == 5 && code[2..].chars().all(|c| c.is_ascii_digit()) {
                assert!(
                    Code::ALL.iter().any(|c| *c == code),
                    "docs/diagnose.md names {code}, which is no finding"
                );
            }
        }
        for code in Code::ALL {
            assert!(
                docs.contains(&format!("\n### {code}\n")),
                "{code} has no section in docs/diagnose.md"
            );
        }
    }

    #[test]
    fn a_code_renders_as_its_od_number() {
        assert_eq!(Code::ApprovalPromptIgnored.to_string(), "OD103");
        assert_eq!(entry(Code::ApprovalPromptIgnored).name(), "approval-prompt-ignored");
        assert_eq!(serde_json::to_value(Code::RefreshTokenLimit).unwrap(), "OD113");
    }

    #[test]
    fn lookup_takes_codes_and_names_in_any_case() {
        assert_eq!(lookup("od103").unwrap().code, "OD103");
        assert_eq!(lookup("Approval-Prompt-Ignored").unwrap().code, "OD103");
    }

    #[test]
    fn a_letter_typed_for_a_digit_is_forgiven() {
        assert_eq!(lookup("OD1O3").unwrap().code, "OD103");
        assert_eq!(lookup("odl03").unwrap().code, "OD103");
    }

    #[test]
    fn an_unknown_code_suggests_the_closest() {
        let err = lookup("OD1033").unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("OD103"));
        let err = lookup("approval-promt-ignored").unwrap_err();
        assert_eq!(err.suggestion.as_deref(), Some("approval-prompt-ignored"));
        assert_eq!(lookup("zzz").unwrap_err().suggestion, None);
    }
}
