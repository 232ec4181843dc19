//! Why a diagnosis could not start (exit 2). Messages never quote the input itself: it may
//! hold a code, a token or a client secret.

use std::path::PathBuf;

use crate::provider::ProfileError;

/// Unusable input: not a URL, the wrong host, a truncated HAR, HTML where JSON was expected.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("the input is empty; paste an authorization URL, or pass --har FILE")]
    Empty,
    #[error("no URL found in the input; paste the authorization URL ({authorize_url}?…)")]
    NoUrl { authorize_url: String },
    #[error("the input is not a usable URL: {reason}")]
    NotUrl { reason: String },
    #[error(
        "{host} is not a host of the provider `{provider}` (expected {expected}); pass --provider to diagnose another provider"
    )]
    WrongHost {
        host: String,
        provider: String,
        expected: String,
    },
    #[error(
        "this is the redirect back to the app (it carries {what}, not shown here), not the authorization request; \
         paste the URL the app sent the browser to (it starts with {authorize_url})"
    )]
    CallbackUrl { what: String, authorize_url: String },
    #[error(
        "this is {provider}'s error page, and its authError parameter is missing or unreadable; paste the authorization URL \
         that led to it, or export a HAR of the whole sign-in"
    )]
    ErrorPageUrl { provider: String },
    #[error(
        "{path} is {} sign-in page whose URL carries no OAuth parameters (no client_id); the authorization \
         request is the URL the app opened before it, starting with {authorize_url}: find it in the app's log, in the \
         browser's Network panel (enable \"Preserve log\", the first request to {host}), or export a HAR",
        super::endpoints::with_article(.provider)
    )]
    SignInPageOnly {
        path: String,
        provider: String,
        authorize_url: String,
        host: String,
    },
    #[error("{path} on {host} is not an authorization endpoint of `{provider}` (expected {expected})")]
    NotAuthorize {
        host: String,
        path: String,
        provider: String,
        expected: String,
    },
    #[error("the authorization URL has no parameters; paste it whole, including everything after `?`")]
    NoParameters,
    #[error("failed to read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is empty", path.display())]
    EmptyFile { path: PathBuf },
    #[error("{} is an HTML page, not {expected}{hint}", path.display())]
    Html {
        path: PathBuf,
        expected: String,
        hint: String,
    },
    #[error(
        "{} is truncated: its JSON ends at line {line}, column {column} before the document is complete \
         (was the export interrupted?)",
        path.display()
    )]
    Truncated { path: PathBuf, line: usize, column: usize },
    #[error("{} is not valid JSON: {message} at line {line}, column {column}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{} is not a HAR file: {reason}", path.display())]
    NotHar { path: PathBuf, reason: String },
    #[error("{} is not a usable zip export of a HAR: {reason}", path.display())]
    BadZip { path: PathBuf, reason: String },
    #[error("{} has no authorization request to `{provider}` ({entries} entries); {hint}", path.display())]
    NoAuthorization {
        path: PathBuf,
        provider: String,
        entries: usize,
        hint: String,
    },
    #[error("{} is not a token response: {reason}", path.display())]
    NotTokenResponse { path: PathBuf, reason: String },
}

/// Why `diagnose` could not run.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("nothing to diagnose: give an authorization URL, or --har FILE")]
    NothingToDiagnose,
}

/// A JSON parse error as a located message that quotes nothing from the file.
pub(crate) fn json_error(path: &std::path::Path, error: &serde_json::Error) -> InputError {
    use serde_json::error::Category;
    let (line, column) = (error.line(), error.column());
    match error.classify() {
        Category::Eof => InputError::Truncated {
            path: path.to_owned(),
            line,
            column,
        },
        Category::Syntax => {
            // serde_json's syntax messages name the expected token, never the input's content
            let text = error.to_string();
            let message = text.rfind(" at line ").map(|i| text[..i].to_string()).unwrap_or(text);
            InputError::Json {
                path: path.to_owned(),
                line,
                column,
                message,
            }
        }
        Category::Data | Category::Io => InputError::Json {
            path: path.to_owned(),
            line,
            column,
            message: "unexpected value or shape".into(),
        },
    }
}
