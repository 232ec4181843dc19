//! The HTML pages the model shows a person: error pages shaped after Google's "Access
//! blocked" page, the out-of-band code page, and the granular consent page of `serve`.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::http::ADMIN_PREFIX;
use crate::provider::{PendingConsent, Profile, ProviderError};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#202124}\
h1{font-size:1.4rem}.code{font-family:monospace;background:#f1f3f4;padding:.2rem .4rem}\
label{display:block;margin:.4rem 0}button{margin-right:.6rem;padding:.4rem 1.2rem}";

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head>\
         <body>{body}</body></html>\n",
        text(title)
    )
}

/// The error page: "Access blocked: Authorization Error" + "Error 400: invalid_request"
/// (OBS PackRat-AI/PackRat #511, php-client #2559).
pub fn error(error: &ProviderError) -> String {
    let body = format!(
        "<h1>Access blocked: Authorization Error</h1>\
         <p id=\"error-description\">{}</p>\
         <p>Error <span id=\"error-status\">{}</span>: <span id=\"error\" class=\"code\">{}</span></p>",
        text(&error.description),
        error.status,
        text(&error.error)
    );
    document("Error", &body)
}

/// The out-of-band page: the code is in the title, where old installed apps read it.
pub fn oob_code(code: &str) -> String {
    let body = format!(
        "<h1>Please copy this code, switch to your application and paste it there:</h1><p class=\"code\" id=\"code\">{}</p>",
        text(code)
    );
    document(&format!("Success code={code}"), &body)
}

pub fn not_found() -> String {
    document(
        "Error 404 (Not Found)",
        "<h1>404. That's an error.</h1><p>The requested URL was not found on this server.</p>",
    )
}

/// The consent page: one checkbox per scope, sign-in scopes fixed (D7), Allow and Deny.
pub fn consent(pending: &PendingConsent, profile: &Profile) -> String {
    let mut rows = String::new();
    for scope in &pending.scopes {
        let fixed = !pending.granular
            || pending
                .sign_in_scopes
                .iter()
                .any(|s| profile.tokens.scope_aliases.get(s).unwrap_or(s) == scope);
        let lock = if fixed { " checked disabled" } else { " checked" };
        // a disabled checkbox is not submitted: carry fixed scopes in a hidden field
        let hidden = if fixed {
            format!("<input type=\"hidden\" name=\"scope\" value=\"{}\">", attr(scope))
        } else {
            String::new()
        };
        rows.push_str(&format!(
            "<label><input type=\"checkbox\" name=\"scope\" value=\"{}\"{lock}> {}</label>{hidden}",
            attr(scope),
            text(scope)
        ));
    }
    let body = format!(
        "<h1>{user}@example.com wants to give access to {client}</h1>\
         <p>Choose what this app can access:</p>\
         <form method=\"post\" action=\"{ADMIN_PREFIX}/consent\">\
         <input type=\"hidden\" name=\"request\" value=\"{id}\">{rows}\
         <p><button type=\"submit\" name=\"action\" value=\"deny\" id=\"deny\">Cancel</button>\
         <button type=\"submit\" name=\"action\" value=\"allow\" id=\"allow\">Continue</button></p></form>",
        user = text(&pending.user),
        client = text(&pending.client_id),
        id = attr(&pending.id),
    );
    document("Sign in - Google Accounts", &body)
}
