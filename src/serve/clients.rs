//! The OAuth clients a `serve` knows: generated, read from a file, and written out as the
//! client-secrets JSON that the Google Cloud Console downloads.

use std::path::{Path, PathBuf};

use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::provider::{ClientConfig, ClientKind, ClientShape, Profile, PublishingStatus};
use crate::snapshot::{SnapshotError, write_atomically};

/// The `project_id` of written client-secrets files.
const PROJECT_ID: &str = "oauth-drift-local";

/// A problem with a clients file, located as `path:line:column` where the parser knows.
#[derive(Debug, thiserror::Error)]
pub enum ClientsError {
    #[error("failed to read the clients file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("failed to write the client-secrets file")]
    Write(#[source] SnapshotError),
}

/// A fresh client with an id and secret shaped as the profile's `client_shape` says (Google's:
/// `123456789012-abc….apps.googleusercontent.com`, `GOCSPX-…`).
pub fn generate_client(
    kind: ClientKind,
    redirect_uris: Vec<String>,
    status: PublishingStatus,
    shape: &ClientShape,
) -> ClientConfig {
    let mut rng = rand::rng();
    let digits: String = (0..12).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect();
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let label: String = (0..32)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect();
    let redirect_uris = if redirect_uris.is_empty() {
        default_redirect_uris(kind)
    } else {
        redirect_uris
    };
    ClientConfig {
        client_id: shape.client_id(&format!("{digits}-{label}")),
        client_secret: format!("{}{}", shape.secret_prefix, crate::provider::random_token(21)),
        kind,
        status,
        redirect_uris,
        project: None,
        created: None,
    }
}

/// What the Console puts in a new client: `http://localhost` for a desktop app (any port
/// matches, D3), a local callback for a web app.
fn default_redirect_uris(kind: ClientKind) -> Vec<String> {
    match kind {
        ClientKind::Installed => vec!["http://localhost".into()],
        ClientKind::Web => vec!["http://localhost:8080/oauth2callback".into()],
    }
}

/// The client-secrets JSON the Google Cloud Console downloads for `client`, with `auth_uri`,
/// `token_uri` and `auth_provider_x509_cert_url` pointing at `base`. Field order is the
/// Console's, and so is `auth_uri`: the Console still writes `…/o/oauth2/auth` (the profile's
/// legacy authorization path), not the v2 path discovery names.
pub fn client_secrets(client: &ClientConfig, base: &str, profile: &Profile) -> Value {
    let e = &profile.endpoints;
    let auth_path = e.legacy_authorize.as_ref().map_or(&e.authorize, |legacy| &legacy.path);
    let certs = match &e.pem_certs {
        Some(path) => format!("{base}{path}"),
        None => e.client_secrets_cert_url.clone().unwrap_or_default(),
    };
    let body = json!({
        "client_id": client.client_id,
        "project_id": PROJECT_ID,
        "auth_uri": format!("{base}{auth_path}"),
        "token_uri": format!("{base}{}", e.token),
        "auth_provider_x509_cert_url": certs,
        "client_secret": client.client_secret,
        "redirect_uris": client.redirect_uris,
    });
    let variant = match client.kind {
        ClientKind::Installed => "installed",
        ClientKind::Web => "web",
    };
    json!({ variant: body })
}

/// Writes `client_secrets(..)` to `path` atomically (a temporary file, then a rename), so an
/// app never reads half a file.
pub fn write_client_secrets(
    path: &Path,
    client: &ClientConfig,
    base: &str,
    profile: &Profile,
) -> Result<(), ClientsError> {
    let text = client_secrets(client, base, profile).to_string();
    write_atomically(path, &text).map_err(ClientsError::Write)
}

/// A clients file: a list of clients (YAML or JSON), the same under a `clients:` key, or a
/// client-secrets JSON as the Console downloads it.
pub fn load_clients(path: &Path) -> Result<Vec<ClientConfig>, ClientsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ClientsError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_clients(path, &text)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsFile {
    clients: Vec<ClientConfig>,
}

/// Google's format, read leniently: the Console may add fields.
#[derive(Deserialize)]
struct SecretsFile {
    installed: Option<SecretsBody>,
    web: Option<SecretsBody>,
}

#[derive(Deserialize)]
struct SecretsBody {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

fn parse_clients(path: &Path, text: &str) -> Result<Vec<ClientConfig>, ClientsError> {
    let at = |line, column, message: &str| ClientsError::Parse {
        path: path.to_owned(),
        line,
        column,
        message: message.to_string(),
    };
    let yaml = |e: serde_yaml::Error| {
        let (line, column) = e.location().map(|l| (l.line(), l.column())).unwrap_or((1, 1));
        let text = e.to_string();
        let text = text.rfind(" at line ").map(|i| &text[..i]).unwrap_or(&text);
        at(line, column, &hide_values(text))
    };
    let shape: serde_yaml::Value = serde_yaml::from_str(text).map_err(yaml)?;
    let clients = match &shape {
        serde_yaml::Value::Sequence(_) => serde_yaml::from_str::<Vec<ClientConfig>>(text).map_err(yaml)?,
        serde_yaml::Value::Mapping(map) if map.contains_key("clients") => {
            serde_yaml::from_str::<ClientsFile>(text).map_err(yaml)?.clients
        }
        serde_yaml::Value::Mapping(map) if map.contains_key("installed") || map.contains_key("web") => {
            let file: SecretsFile = serde_yaml::from_str(text).map_err(yaml)?;
            let mut clients = Vec::new();
            for (kind, body) in [(ClientKind::Installed, file.installed), (ClientKind::Web, file.web)] {
                if let Some(body) = body {
                    let redirect_uris = if body.redirect_uris.is_empty() {
                        default_redirect_uris(kind)
                    } else {
                        body.redirect_uris
                    };
                    clients.push(ClientConfig {
                        client_id: body.client_id,
                        client_secret: body.client_secret,
                        kind,
                        status: PublishingStatus::Production,
                        redirect_uris,
                        project: None,
                        created: None,
                    });
                }
            }
            clients
        }
        _ => {
            return Err(at(
                1,
                1,
                "expected a list of clients, a `clients:` list, or a client-secrets JSON with `installed` or `web`",
            ));
        }
    };
    if clients.is_empty() {
        return Err(at(1, 1, "the file names no client"));
    }
    Ok(clients)
}

/// serde quotes the offending value ("invalid type: string \"…\""); in a clients file that
/// value may be a secret, so the message names only what was expected.
fn hide_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(expected) = rest.find(", expected")
        {
            return format!("{prefix}(value hidden){}", &rest[expected..]);
        }
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Registry;

    fn parse(text: &str) -> Result<Vec<ClientConfig>, ClientsError> {
        parse_clients(Path::new("clients.yaml"), text)
    }

    #[test]
    fn a_console_download_is_read_back_as_a_client() {
        let profile = Registry::builtin().load("google").unwrap();
        let client = generate_client(
            ClientKind::Installed,
            Vec::new(),
            PublishingStatus::Production,
            &profile.client_shape,
        );
        let text = client_secrets(&client, "http://127.0.0.1:1", &profile).to_string();
        assert_eq!(parse(&text).unwrap(), vec![client]);
    }

    #[test]
    fn the_written_fields_are_the_consoles_in_its_order() {
        let profile = Registry::builtin().load("google@2015").unwrap();
        let client = generate_client(
            ClientKind::Web,
            vec!["https://app.example/cb".into()],
            PublishingStatus::Production,
            &profile.client_shape,
        );
        let json = client_secrets(&client, "http://127.0.0.1:9", &profile);
        let body = json["web"].as_object().unwrap();
        let keys: Vec<&str> = body.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "client_id",
                "project_id",
                "auth_uri",
                "token_uri",
                "auth_provider_x509_cert_url",
                "client_secret",
                "redirect_uris"
            ]
        );
        assert_eq!(body["auth_uri"], "http://127.0.0.1:9/o/oauth2/auth");
        assert_eq!(body["redirect_uris"], json!(["https://app.example/cb"]));
    }

    #[test]
    fn a_yaml_list_and_a_clients_key_both_work() {
        let list = "- client_id: a\n  client_secret: s\n  redirect_uris: [http://localhost]\n  kind: installed\n";
        assert_eq!(parse(list).unwrap()[0].kind, ClientKind::Installed);
        let keyed = "clients:\n  - client_id: b\n    client_secret: s\n    redirect_uris: [https://x/cb]\n    status: testing\n";
        assert_eq!(parse(keyed).unwrap()[0].status, PublishingStatus::Testing);
    }

    #[test]
    fn a_bad_field_is_located_and_hides_the_value() {
        let text = "clients:\n  - client_id: b\n    client_secret: [s3cr3t-value]\n    redirect_uris: []\n";
        let message = parse(text).unwrap_err().to_string();
        assert!(message.starts_with("clients.yaml:3:"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
        let typo = "- client_id: a\n  client_secret: s\n  redirect_uri: [x]\n";
        let message = parse(typo).unwrap_err().to_string();
        assert!(
            message.contains("clients.yaml:3:") && message.contains("redirect_uri"),
            "{message}"
        );
    }

    #[test]
    fn an_unrecognised_shape_says_what_is_expected() {
        let message = parse("hello: world\n").unwrap_err().to_string();
        assert!(message.contains("client-secrets JSON"), "{message}");
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn generate_client_example() {
        use crate::provider::{ClientKind, PublishingStatus, Registry};
        let profile = Registry::builtin().load("google").unwrap();
        let client = super::generate_client(
            ClientKind::Installed,
            Vec::new(),
            PublishingStatus::Production,
            &profile.client_shape,
        );
        assert!(client.client_id.ends_with(".apps.googleusercontent.com"));
        assert_eq!(client.redirect_uris, ["http://localhost"]);
    }

    #[test]
    fn client_secrets_example() {
        use crate::provider::{ClientKind, PublishingStatus, Registry};
        let profile = Registry::builtin().load("google").unwrap();
        let client = super::generate_client(
            ClientKind::Web,
            Vec::new(),
            PublishingStatus::Production,
            &profile.client_shape,
        );
        let json = super::client_secrets(&client, "http://127.0.0.1:8080", &profile);
        assert_eq!(json["web"]["token_uri"], "http://127.0.0.1:8080/token");
        assert_eq!(json["web"]["auth_uri"], "http://127.0.0.1:8080/o/oauth2/auth");
    }
}
