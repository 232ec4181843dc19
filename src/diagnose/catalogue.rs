//! The catalogue of diagnose findings: the typed stable codes here; severities, titles, fixes,
//! sources and the long explanations `oauth-drift explain` prints are data, in
//! `catalogue.yaml` (embedded, read once). Its words are provider-neutral: `{force_param}`,
//! `{provider}`, … are filled from the provider profile's `wording:` (`Words`).
//! docs/diagnose.md is generated from it (a test keeps the two equal).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::fix::Edit;
use crate::provider::{DEFAULT_PROVIDER, Profile, Registry, Rule};

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

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// One finding kind, in one provider's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Stable code (`OD103`), with its stable name; `explain` accepts either.
    pub code: Code,
    pub severity: Severity,
    /// One line: what is wrong.
    pub title: String,
    /// The default fix; a finding may say it more precisely for the request at hand.
    pub fix: String,
    pub sources: Vec<String>,
    /// The long explanation, plain text, paragraphs separated by blank lines.
    pub explanation: String,
    /// Dated events, oldest first.
    pub history: Vec<(String, String)>,
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
    for e in CATALOGUE {
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

/// The catalogue entry of a finding code, in the default profile's words.
#[cfg(test)]
fn entry(code: Code) -> &'static Entry {
    &DEFAULT[code as usize]
}

/// The catalogue entry of a finding code, in `profile`'s words.
pub fn entry_for(profile: &Profile, code: Code) -> Entry {
    Words::of(profile).entry(code)
}

/// Every finding, in code order, in the default profile's words: `for entry in CATALOGUE`.
pub const CATALOGUE: Catalogue = Catalogue;

/// The catalogue in the default profile's words (`CATALOGUE`).
#[derive(Debug, Clone, Copy)]
pub struct Catalogue;

impl Catalogue {
    pub fn iter(self) -> std::slice::Iter<'static, Entry> {
        DEFAULT.iter()
    }

    pub fn len(self) -> usize {
        DEFAULT.len()
    }

    pub fn is_empty(self) -> bool {
        DEFAULT.is_empty()
    }
}

impl IntoIterator for Catalogue {
    type Item = &'static Entry;
    type IntoIter = std::slice::Iter<'static, Entry>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The catalogue file as written: placeholders unfilled.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Every placeholder with its neutral word.
    words: BTreeMap<String, String>,
    findings: Vec<Written>,
}

/// One finding as the file writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Written {
    code: String,
    severity: Severity,
    title: String,
    fix: String,
    /// One item per paragraph.
    explanation: Vec<String>,
    #[serde(default)]
    history: Vec<(String, String)>,
    sources: Vec<String>,
    /// The engine decisions that make this finding, and what it then says.
    #[serde(default)]
    trace: Vec<FromTrace>,
}

/// How a finding is made from an engine decision (`provider::trace`): which decisions, and
/// the message (and fix) it says, templates over the decision (`findings::trace_findings`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromTrace {
    /// The engine rule whose decision this is.
    pub rule: Rule,
    /// Every decision of the rule in the run that first made one (each a finding), not only
    /// the first decision.
    #[serde(default)]
    pub each: bool,
    /// Only a decision about this request parameter.
    pub param: Option<String>,
    /// Only a decision whose parameter was sent with this value.
    pub given: Option<String>,
    /// Only a decision whose parameter was sent with this space-separated value among others.
    pub given_has: Option<String>,
    /// Only a decision whose parameter was sent without this space-separated value.
    pub given_lacks: Option<String>,
    /// Only when the request sent each of these parameters with this value.
    #[serde(default)]
    pub sent: BTreeMap<String, String>,
    /// Only a decision whose profile key has this value.
    pub value: Option<String>,
    /// Only a decision with this effect (`ConsentForced`, `RefreshTokenWithheld`, …).
    pub effect: Option<String>,
    /// Only a decision without this effect.
    pub not_effect: Option<String>,
    /// Only when the request's own `prompt` forces the consent screen (true), or does not.
    pub prompt_forces_consent: Option<bool>,
    /// None when the engine made a decision of one of these rules (a finding that says more).
    #[serde(default)]
    pub unless: Vec<Rule>,
    /// `{param}`, `{given}`, `{given_quoted}`, `{value}`, `{list}` (the value without its
    /// brackets), `{key}`, `{source}`, `{error}`, `{description}` of the decision;
    /// `{profile}` (the profile's id), `{provider}`, `{not_forcing}`, `{sent.NAME}` (the request's
    /// parameter NAME) and the catalogue's words.
    pub message: String,
    /// The fix, when the catalogue's default does not fit.
    pub fix: Option<String>,
    /// The fix search's edits that address it: part of the verified fix, it is a cause.
    #[serde(default)]
    pub edits: Vec<Edit>,
}

/// Every way the catalogue makes a finding from an engine decision, in code order.
pub fn from_trace() -> impl Iterator<Item = (Code, &'static FromTrace)> {
    let findings = FILE.as_ref().map(|file| file.findings.as_slice()).unwrap_or_default();
    Code::ALL.iter().flat_map(move |code| {
        findings
            .iter()
            .filter(move |w| w.code == code.as_str())
            .flat_map(move |w| w.trace.iter().map(move |t| (*code, t)))
    })
}

/// src/diagnose/catalogue.yaml, read once; a unit test holds it valid.
static FILE: LazyLock<Result<File, String>> =
    LazyLock::new(|| serde_yaml::from_str(include_str!("catalogue.yaml")).map_err(|e| e.to_string()));

/// The catalogue in the words of the default profile (what `explain` and docs/diagnose.md say).
static DEFAULT: LazyLock<Vec<Entry>> = LazyLock::new(|| {
    let words = Registry::builtin()
        .load(DEFAULT_PROVIDER)
        .map(|profile| Words::of(&profile))
        .unwrap_or_else(|_| Words::neutral());
    Code::ALL.iter().map(|code| words.entry(*code)).collect()
});

/// One provider's words for the catalogue's placeholders.
#[derive(Debug, Clone)]
pub struct Words(BTreeMap<String, String>);

impl Words {
    /// The neutral words of the catalogue file.
    fn neutral() -> Self {
        Self(FILE.as_ref().map(|f| f.words.clone()).unwrap_or_default())
    }

    /// The profile's words (`wording.name` for `{provider}`, `wording.findings`), the
    /// neutral word for any it does not set.
    pub fn of(profile: &Profile) -> Self {
        let mut words = Self::neutral();
        let wording = &profile.wording;
        if !wording.name.is_empty() {
            words.0.insert("provider".into(), wording.name.clone());
        }
        for (word, said) in &wording.findings {
            words.0.insert(word.clone(), said.clone());
        }
        words
    }

    /// These words and `more`.
    pub fn with<W: Into<String>>(&self, more: impl IntoIterator<Item = (W, String)>) -> Self {
        let mut words = self.clone();
        words.0.extend(more.into_iter().map(|(word, said)| (word.into(), said)));
        words
    }

    /// `text` with every `{word}` this knows filled in; other braces are kept.
    pub fn fill(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let known = after
                .find('}')
                .and_then(|close| self.0.get(&after[..close]).map(|word| (close, word)));
            match known {
                Some((close, word)) => {
                    out.push_str(word);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The entry of `code` in these words.
    pub fn entry(&self, code: Code) -> Entry {
        let written = FILE
            .as_ref()
            .ok()
            .and_then(|file| file.findings.iter().find(|w| w.code == code.as_str()));
        let Some(written) = written else {
            // cannot happen: a unit test holds every code in the file
            return Entry {
                code,
                severity: Severity::Info,
                title: format!("{code} is missing from the finding catalogue"),
                fix: String::new(),
                sources: Vec::new(),
                explanation: String::new(),
                history: Vec::new(),
            };
        };
        let fill_all = |texts: &[String]| texts.iter().map(|t| self.fill(t)).collect::<Vec<_>>();
        Entry {
            code,
            severity: written.severity,
            title: self.fill(&written.title),
            fix: self.fill(&written.fix),
            sources: fill_all(&written.sources),
            explanation: fill_all(&written.explanation).join("\n\n"),
            history: (written.history.iter())
                .map(|(date, event)| (date.clone(), self.fill(event)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The placeholders a `trace:` message may use besides the catalogue's words.
    const DECISION_WORDS: [&str; 12] = [
        "param",
        "given",
        "given_quoted",
        "value",
        "list",
        "key",
        "source",
        "error",
        "description",
        "profile",
        "provider",
        "not_forcing",
    ];

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
    fn the_catalogue_file_has_one_entry_per_code_and_only_known_placeholders() {
        let file = FILE.as_ref().expect("src/diagnose/catalogue.yaml parses");
        let written: Vec<&str> = file.findings.iter().map(|w| w.code.as_str()).collect();
        let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            written, codes,
            "one entry per Code, in code order, and no entry without a Code"
        );
        let placeholder = regex::Regex::new(r"\{([a-z_.]+)\}").unwrap();
        for w in &file.findings {
            let texts = [&w.title, &w.fix]
                .into_iter()
                .chain(&w.explanation)
                .chain(&w.sources)
                .chain(w.history.iter().map(|(_, event)| event));
            for text in texts {
                for word in placeholder.captures_iter(text) {
                    assert!(
                        file.words.contains_key(&word[1]),
                        "{}: unknown placeholder {{{}}}",
                        w.code,
                        &word[1]
                    );
                }
            }
            for mapping in &w.trace {
                for text in std::iter::once(&mapping.message).chain(&mapping.fix) {
                    for word in placeholder.captures_iter(text) {
                        let known = file.words.contains_key(&word[1])
                            || DECISION_WORDS.contains(&&word[1])
                            || word[1].starts_with("sent.");
                        assert!(
                            known,
                            "{}: unknown placeholder {{{}}} in a trace message",
                            w.code, &word[1]
                        );
                    }
                }
            }
        }
        let registry = Registry::builtin();
        for id in ["google", "google@2015", "oidc", "oidc@rotating"] {
            let profile = registry.load(id).unwrap();
            for word in profile.wording.findings.keys() {
                assert!(
                    file.words.contains_key(word),
                    "{id}: wording.findings.{word} is no placeholder"
                );
            }
        }
    }

    #[test]
    fn a_profile_s_words_fill_the_placeholders_and_the_neutral_ones_fill_the_rest() {
        let registry = Registry::builtin();
        let google = entry_for(&registry.load("google").unwrap(), Code::ApprovalPromptConflict);
        assert!(
            google
                .title
                .starts_with("approval_prompt and prompt sent together: Google answers")
        );
        let oidc = entry_for(&registry.load("oidc").unwrap(), Code::ApprovalPromptConflict);
        assert!(
            oidc.title
                .starts_with("the legacy force parameter and prompt sent together: the provider answers")
        );
        for entry in [google, oidc] {
            assert!(!entry.title.contains("{provider}") && !entry.title.contains("{force_param}"));
        }
        let words = Words::neutral();
        assert_eq!(
            words.fill("{valid=[openid], x={provider}} {"),
            "{valid=[openid], x=the provider} {"
        );
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
