//! Making live transcripts comparable across runs and with the model: loopback ports, endpoint
//! hosts and scope order vary, meaning does not.

use serde_json::Value;

use crate::transcript::{StepRecord, Transcript};

/// Replaces the port of every loopback address with `<port>` (`http://127.0.0.1:53211/cb` →
/// `http://127.0.0.1:<port>/cb`): listeners and `serve` bind random ports.
pub fn normalise_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for host in ["127.0.0.1:", "localhost:", "[::1]:"] {
            if let Some(after) = rest.strip_prefix(host) {
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                out.push_str(host);
                if digits > 0 {
                    out.push_str("<port>");
                }
                rest = &after[digits..];
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// The path of an endpoint URL (`https://oauth2.googleapis.com/token` → `/token`); anything
/// else unchanged. Transcripts name endpoints by path, as the model's do.
pub fn endpoint_path(endpoint: &str) -> String {
    // by hand, not url::Url: a normalised `127.0.0.1:<port>` no longer parses as a URL
    let Some((_, rest)) = endpoint.split_once("://") else {
        return endpoint.to_string();
    };
    let path = rest.find('/').map_or("/", |at| &rest[at..]);
    path.split(['?', '#']).next().unwrap_or(path).to_string()
}

/// Space-separated scopes in sorted order: providers do not promise an order.
pub fn sort_scope(scope: &str) -> String {
    let mut scopes: Vec<&str> = scope.split_whitespace().collect();
    scopes.sort_unstable();
    scopes.join(" ")
}

fn text(value: &str) -> String {
    normalise_ports(value)
}

fn json(key: &str, value: &mut Value) {
    match value {
        Value::String(s) if key == "scope" => *s = sort_scope(&normalise_ports(s)),
        Value::String(s) => *s = normalise_ports(s),
        Value::Array(items) => items.iter_mut().for_each(|v| json(key, v)),
        Value::Object(map) => map.iter_mut().for_each(|(k, v)| json(k, v)),
        _ => {}
    }
}

/// Normalises a transcript in place: endpoint paths, loopback ports, scope order.
pub fn normalise_transcript(transcript: &mut Transcript) {
    for step in transcript.steps_mut() {
        normalise_step(step);
    }
}

fn normalise_step(step: &mut StepRecord) {
    if let Some(request) = &mut step.request {
        request.endpoint = endpoint_path(&request.endpoint);
        for (key, value) in request.params.iter_mut() {
            *value = if key == "scope" {
                sort_scope(&text(value))
            } else {
                text(value)
            };
        }
    }
    if let Some(response) = &mut step.response {
        response.redirect = response.redirect.as_deref().map(text);
        response.error_description = response.error_description.as_deref().map(text);
        for (key, value) in response.fields.iter_mut() {
            json(key, value);
        }
    }
    step.note = step.note.as_deref().map(text);
}

/// Replaces the live provider's own origins (`https://oauth2.googleapis.com`) with `<base>` in
/// response values, as the model's runner names its own address, so a discovery step reads the
/// same from both.
pub fn replace_origins(transcript: &mut Transcript, origins: &[String]) {
    fn value(v: &mut Value, origins: &[String]) {
        match v {
            Value::String(s) => *s = replaced(s, origins),
            Value::Array(items) => items.iter_mut().for_each(|i| value(i, origins)),
            Value::Object(map) => map.values_mut().for_each(|i| value(i, origins)),
            _ => {}
        }
    }
    fn replaced(text: &str, origins: &[String]) -> String {
        origins.iter().fold(text.to_string(), |t, origin| {
            t.replace(&format!("{origin}/"), "<base>/")
        })
    }
    for step in transcript.steps_mut() {
        if let Some(response) = &mut step.response {
            response.fields.values_mut().for_each(|v| value(v, origins));
            response.error_description = response.error_description.as_deref().map(|d| replaced(d, origins));
        }
    }
}

/// What both the model and a live provider can observe: without the simulated user, their
/// consent decision and whether a consent screen was shown (a real provider does not say).
pub fn comparable(transcript: &Transcript) -> Transcript {
    let mut view = transcript.clone();
    normalise_transcript(&mut view);
    for step in view.steps_mut() {
        step.consent_screen = None;
        if let Some(request) = &mut step.request {
            request.user = None;
            request.on_consent_screen = None;
        }
    }
    view
}

/// A unified diff `model → live`, or `None` when they agree.
pub fn model_diff(model: &str, live: &str) -> Option<String> {
    (model.trim_end() != live.trim_end()).then(|| {
        similar::TextDiff::from_lines(model, live)
            .unified_diff()
            .context_radius(3)
            .header("model prediction", "live")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_of_loopback_hosts_only_are_normalised() {
        assert_eq!(
            normalise_ports("https://example.com:8443/x"),
            "https://example.com:8443/x"
        );
        assert_eq!(normalise_ports("[::1]:9/x 127.0.0.1:/y"), "[::1]:<port>/x 127.0.0.1:/y");
        assert_eq!(normalise_ports("ünï 127.0.0.1:1"), "ünï 127.0.0.1:<port>");
    }

    #[test]
    fn endpoints_become_paths_and_scopes_sort() {
        assert_eq!(endpoint_path("https://oauth2.googleapis.com/token"), "/token");
        assert_eq!(endpoint_path("/token"), "/token");
        assert_eq!(
            endpoint_path("http://127.0.0.1:<port>/o/oauth2/v2/auth?x=1"),
            "/o/oauth2/v2/auth"
        );
        assert_eq!(endpoint_path("https://op.example"), "/");
        assert_eq!(sort_scope("openid https://a/b email"), "email https://a/b openid");
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn normalise_ports_example() {
        use super::normalise_ports;
        assert_eq!(
            normalise_ports("http://127.0.0.1:5321/cb and localhost:80"),
            "http://127.0.0.1:<port>/cb and localhost:<port>"
        );
    }
}
