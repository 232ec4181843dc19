//! The refresh probe: refresh a stored refresh token and record what came back — a new
//! refresh_token (rotation), scope, id_token, expires_in, refresh_token_expires_in.

use std::collections::BTreeMap;

use serde_json::Value;
use url::Url;

use super::normalise::{endpoint_path, normalise_ports};
use super::secret::Secret;
use super::transport::{Body, Inconclusive, Request};
use crate::target::Transport;
use crate::transcript::{Aliases, RefreshSection, RequestRecord, ResponseRecord, Transcript, canonical};

/// A refresh's result: the transcript, and what the caller needs unredacted.
pub struct Refreshed {
    /// The transcript's refresh section filled, secrets aliased.
    pub transcript: Transcript,
    /// The new refresh token, when the provider rotated it.
    pub rotated_to: Option<Secret>,
    /// The granted scope, to ask the model for the same grant.
    pub scope: Option<String>,
}

/// Refreshes `refresh_token` at `token_url` as `client_id` (with `secret` in the form body,
/// client_secret_post, as Google documents it). `client_name` names the client in aliases.
pub async fn refresh(
    http: &dyn Transport,
    token_url: &Url,
    provider: &str,
    client_name: &str,
    client_id: &str,
    secret: Option<&Secret>,
    refresh_token: &Secret,
) -> Result<Refreshed, Inconclusive> {
    let mut aliases = Aliases::default();
    aliases.name(client_id, format!("<client_id:{client_name}>"));
    if let Some(secret) = secret {
        aliases.name(secret.expose(), format!("<client_secret:{client_name}>"));
    }
    let mut form = vec![
        ("grant_type".to_string(), "refresh_token".to_string()),
        ("refresh_token".to_string(), refresh_token.expose().to_string()),
        ("client_id".to_string(), client_id.to_string()),
    ];
    if let Some(secret) = secret {
        form.push(("client_secret".into(), secret.expose().to_string()));
    }
    let params = form.iter().map(|(k, v)| (k.clone(), aliases.field(k, v))).collect();
    let response = http
        .exchange(&Request::post_form(token_url.clone(), form), Body::Json)
        .await?;
    let map = response.json.unwrap_or_default();
    let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_string);
    let new_token = text("refresh_token").filter(|t| t != refresh_token.expose());
    let scope = text("scope");
    let mut fields = BTreeMap::new();
    if let Value::Object(sorted) = canonical(&Value::Object(map.clone()), &mut aliases) {
        for (key, value) in sorted {
            if key == "error" || key == "error_description" {
                continue;
            }
            let value = match (key.as_str(), value) {
                ("scope", Value::String(s)) => Value::String(super::normalise::sort_scope(&s)),
                (_, other) => other,
            };
            fields.insert(key, value);
        }
    }
    let section = RefreshSection {
        request: RequestRecord::new("POST", &endpoint_path(token_url.as_str()), params),
        response: ResponseRecord {
            status: response.status,
            error: text("error"),
            error_description: text("error_description").map(|d| normalise_ports(&aliases.scrub(&d))),
            fields,
            ..Default::default()
        },
        rotated: new_token.is_some(),
    };
    let transcript = Transcript::of_refresh(provider.to_string(), section);
    Ok(Refreshed {
        transcript,
        rotated_to: new_token.map(Secret::new),
        scope,
    })
}
