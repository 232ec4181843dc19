//! The HTML pages the model shows a person: error pages shaped after Google's "Access
//! blocked" page, the out-of-band code page, and the granular consent page of `serve`.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::responder::ADMIN_PREFIX;
use crate::provider::{PendingConsent, Profile, ProviderError};

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#202124}\
h1{font-size:1.4rem}.code{font-family:monospace;background:#f1f3f4;padding:.2rem .4rem}\
label{display:block;margin:.4rem 0}button{margin-right:.6rem;padding:.4rem 1.2rem}";

fn document(title: &str, body: &str) -> String {
    document_with_style(title, body, "")
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

const CONSENT_STYLE: &str = "\
.card{border:1px solid #dadce0;border-radius:8px;padding:2rem 2.2rem}\
.brand{font-size:.8rem;color:#5f6368;letter-spacing:.02em}\
.account{display:inline-block;border:1px solid #dadce0;border-radius:1rem;padding:.2rem .8rem;font-size:.9rem}\
ul.scopes{list-style:none;padding:0;margin:1rem 0;border-top:1px solid #e8eaed}\
ul.scopes li{border-bottom:1px solid #e8eaed}\
ul.scopes label{display:flex;gap:.8rem;align-items:flex-start;padding:.7rem 0;margin:0;cursor:pointer}\
ul.scopes input{margin-top:.2rem;width:1.1rem;height:1.1rem;flex:none}\
.scope{display:block;font-family:monospace;font-size:.75rem;color:#5f6368;word-break:break-all}\
.fixed{font-size:.75rem;color:#5f6368}\
.note{font-size:.85rem;color:#5f6368}\
.actions{display:flex;justify-content:flex-end;gap:.6rem;margin-top:1.4rem}\
.actions button{border-radius:4px;font-size:.9rem;padding:.5rem 1.4rem;cursor:pointer}\
#deny{background:#fff;color:#1a73e8;border:1px solid #dadce0}\
#allow{background:#1a73e8;color:#fff;border:1px solid #1a73e8}\
footer{margin-top:1.2rem;font-size:.75rem;color:#5f6368}";

/// The consent page: one checkbox per scope, sign-in scopes fixed (D7), Cancel and Continue.
/// It posts to the admin consent endpoint, which answers with the redirect to the app.
pub fn consent(pending: &PendingConsent, profile: &Profile) -> String {
    let is_fixed = |scope: &String| {
        !pending.granular
            || pending
                .sign_in_scopes
                .iter()
                .any(|s| profile.tokens.scope_aliases.get(s).unwrap_or(s) == scope)
    };
    // sign-in scopes first, as on Google's screen; the rest in request order
    let mut scopes: Vec<&String> = pending.scopes.iter().collect();
    scopes.sort_by_key(|scope| !is_fixed(scope));
    let mut rows = String::new();
    for scope in scopes {
        let fixed = is_fixed(scope);
        let lock = if fixed { " checked disabled" } else { " checked" };
        // a disabled checkbox is not submitted: carry fixed scopes in a hidden field
        let hidden = if fixed {
            format!("<input type=\"hidden\" name=\"scope\" value=\"{}\">", attr(scope))
        } else {
            String::new()
        };
        // what the provider's consent screen says for the scope (consent.scope_text)
        let description = profile.consent.scope_text.get(scope.as_str()).unwrap_or(scope);
        let note = if fixed && pending.granular {
            "<span class=\"fixed\">Needed to sign in</span>"
        } else {
            ""
        };
        rows.push_str(&format!(
            "<li><label><input type=\"checkbox\" name=\"scope\" value=\"{value}\"{lock}>\
             <span>{description}<span class=\"scope\">{scope}</span>{note}</span></label>{hidden}</li>",
            value = attr(scope),
            description = text(description),
            scope = text(scope),
        ));
    }
    let client = text(&pending.client_id);
    let lead = if pending.granular {
        format!("<p>Select what <b>{client}</b> can access</p>")
    } else {
        format!("<p>This will allow <b>{client}</b> to:</p>")
    };
    let body = format!(
        "<main class=\"card\"><div class=\"brand\">oauth-drift &middot; simulated {provider}</div>\
         <h1>{client} wants access to {account}</h1>\
         <p class=\"account\" id=\"account\">{user}@example.com</p>{lead}\
         <form method=\"post\" action=\"{ADMIN_PREFIX}/consent\">\
         <input type=\"hidden\" name=\"request\" value=\"{id}\"><ul class=\"scopes\">{rows}</ul>\
         <p class=\"note\">Make sure that you trust {client}. You can always see or remove access in {account}.</p>\
         <div class=\"actions\"><button type=\"submit\" name=\"action\" value=\"deny\" id=\"deny\">Cancel</button>\
         <button type=\"submit\" name=\"action\" value=\"allow\" id=\"allow\">Continue</button></div></form>\
         <footer>A fake consent screen served by <code>oauth-drift serve</code>; no real account is involved.</footer></main>",
        provider = text(&profile.id),
        account = text(&profile.consent.page.account),
        user = text(&pending.user),
        id = attr(&pending.id),
    );
    document_with_style(&profile.consent.page.title, &body, CONSENT_STYLE)
}

fn document_with_style(title: &str, body: &str, extra_style: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
         <style>{STYLE}{extra_style}</style></head><body>{body}</body></html>\n",
        text(title)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::provider::{AuthorizeStep, ClientConfig, ClientKind, Engine, PublishingStatus, Registry};

    fn consent_page(id: &str) -> String {
        let profile = Arc::new(Registry::builtin().load(id).unwrap());
        let client = ClientConfig {
            client_id: "app".into(),
            client_secret: "secret".into(),
            kind: ClientKind::Web,
            status: PublishingStatus::Production,
            redirect_uris: vec!["https://app.example/cb".into()],
            project: None,
            created: None,
        };
        let mut engine = Engine::new(Arc::clone(&profile), [client]);
        let params: Vec<(String, String)> = [
            ("client_id", "app"),
            ("redirect_uri", "https://app.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let AuthorizeStep::ConsentScreen(pending) = engine.begin_authorize(&params, "alice") else {
            panic!("no consent screen for {id}")
        };
        consent(&pending, &profile)
    }

    #[test]
    fn the_consent_page_speaks_in_the_profiles_words() {
        let google = consent_page("google");
        assert!(google.contains("<title>Sign in - Google Accounts</title>"), "{google}");
        assert!(google.contains("app wants access to your Google Account"), "{google}");
        let oidc = consent_page("oidc");
        assert!(oidc.contains("<title>Sign in</title>"), "{oidc}");
        assert!(oidc.contains("app wants access to your account"), "{oidc}");
        // nothing inherited from google speaks of Google (title, account, scope wording)
        assert!(!oidc.contains("Google"), "{oidc}");
    }
}
