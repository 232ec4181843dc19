//! What the input parser did or noticed on the way to the request it diagnoses, so that the
//! reader can check that what was diagnosed is what was sent.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputNote {
    /// A JSON or HTML escape (`\u0026`, `&amp;`) was turned back into its character.
    Unescaped { escape: String },
    /// Line breaks inside the URL (a wrapped paste) were removed.
    JoinedLines { count: usize },
    /// The URL continued on more-indented lines (a string broken over lines in code): the
    /// line breaks were dropped as a browser drops them, the indentation kept as it is sent.
    KeptIndentation { count: usize },
    /// A parameter name or value starts or ends with whitespace.
    Whitespace { name: String },
    /// Sentence punctuation after the URL was dropped.
    TrimmedPunctuation { character: char },
    /// The whole URL was percent-encoded once more (or several times) and was decoded.
    DecodedWhole { times: usize },
    /// The query string was percent-encoded as a whole (`client_id%3D…%26…`) and was decoded.
    DecodedQuery,
    /// The URL had no scheme; https was assumed.
    AssumedScheme,
    /// Only a query string was given; the provider's authorization endpoint was assumed.
    AssumedEndpoint,
    /// The text held several URLs; this one is on the provider's host.
    PickedUrl { position: usize, of: usize },
    /// A sign-in page URL of the provider (`provider`, its display name): its OAuth parameters
    /// were taken as the request.
    SignInPage {
        path: String,
        #[serde(skip)]
        provider: String,
    },
    /// The authorization URL was taken from the page's `continue` parameter.
    FollowedContinue,
    /// Parameters the provider's sign-in pages add (not sent by the app) were left out.
    DroppedInternal {
        names: Vec<String>,
        #[serde(skip)]
        provider: String,
    },
    /// The URL had a `#fragment`, which never reaches the server.
    DroppedFragment,
    /// A parameter appears more than once.
    Duplicate { name: String },
    /// A parameter value still holds `%XX` escapes after decoding: it was encoded twice.
    DoubleEncoded { name: String },
    /// A parameter value holds a line break.
    LineBreak { name: String },
    /// A parameter holds a secret; its value is redacted everywhere.
    Secret { name: String },
    /// The request was rebuilt from the request details the provider's error page lists.
    FromErrorPage {
        error: String,
        #[serde(skip)]
        provider: String,
    },
    /// The request came from a HAR entry (1-based, in file order).
    FromHar { entry: usize },
    /// The client type was inferred, not given.
    InferredClientType { client_type: String, from: String },
    /// The publishing status was inferred, not given.
    InferredStatus { from: String },
}

impl InputNote {
    pub fn describe(&self) -> String {
        match self {
            InputNote::Unescaped { escape } => format!("turned the escape `{escape}` back into its character"),
            InputNote::JoinedLines { count } => {
                format!("joined {count} line break(s) inside the URL (a wrapped paste)")
            }
            InputNote::KeptIndentation { count } => format!(
                "the URL continues on {count} indented line(s), as in code: the browser drops the line break but sends the indentation; kept it"
            ),
            InputNote::Whitespace { name } => {
                format!("`{}` has whitespace around its name or value", name.escape_debug())
            }
            InputNote::TrimmedPunctuation { character } => format!("dropped a trailing `{character}` after the URL"),
            InputNote::DecodedWhole { times } => {
                format!("the whole URL was percent-encoded {times} time(s) too many; decoded")
            }
            InputNote::DecodedQuery => "the query string was percent-encoded as a whole; decoded".into(),
            InputNote::AssumedScheme => "the URL had no scheme; assumed https".into(),
            InputNote::AssumedEndpoint => {
                "only a query string was given; assumed the provider's authorization endpoint".into()
            }
            InputNote::PickedUrl { position, of } => {
                format!("the text holds {of} URLs; used #{position}, the one on the provider's host")
            }
            InputNote::SignInPage { path, provider } => {
                format!(
                    "{path} is {} sign-in page; used the OAuth parameters it carries",
                    super::super::endpoints::with_article(provider)
                )
            }
            InputNote::FollowedContinue => "used the authorization URL in the page's continue= parameter".into(),
            InputNote::DroppedInternal { names, provider } => {
                format!(
                    "left out parameters {provider}'s sign-in pages add: {}",
                    names.join(", ")
                )
            }
            InputNote::DroppedFragment => "dropped the #fragment (it never reaches the server)".into(),
            InputNote::Duplicate { name } => format!("`{name}` appears more than once"),
            InputNote::DoubleEncoded { name } => {
                format!("`{name}` still holds %-escapes after decoding (encoded twice)")
            }
            InputNote::LineBreak { name } => format!("`{name}` holds a line break"),
            InputNote::Secret { name } => format!("`{name}` holds a secret; its value is redacted"),
            InputNote::FromErrorPage { error, provider } => format!(
                "request rebuilt from the request details of {provider}'s error page ({error}); the endpoint is assumed"
            ),
            InputNote::FromHar { entry } => format!("authorization request from HAR entry #{entry}"),
            InputNote::InferredClientType { client_type, from } => {
                format!("client type {client_type} inferred from {from} (pass --client-type to set it)")
            }
            InputNote::InferredStatus { from } => {
                format!("publishing status inferred from {from} (pass --publishing-status to set it)")
            }
        }
    }
}
