//! Live-probe credentials: read from environment variables or the files they name, never from
//! the command line (argv leaks into shell history and process lists).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::secret::Secret;
use crate::provider::ClientKind;

/// The OAuth client id (not a secret, but a credential all the same).
pub const CLIENT_ID: &str = "OAUTH_DRIFT_CLIENT_ID";
/// The OAuth client secret.
pub const CLIENT_SECRET: &str = "OAUTH_DRIFT_CLIENT_SECRET";
/// A file holding the client secret.
pub const CLIENT_SECRET_FILE: &str = "OAUTH_DRIFT_CLIENT_SECRET_FILE";
/// A client-secrets JSON as the Google Cloud Console downloads it (`installed` or `web`).
pub const CLIENT_SECRETS_FILE: &str = "OAUTH_DRIFT_CLIENT_SECRETS_FILE";
/// A refresh token for the `refresh` probe.
pub const REFRESH_TOKEN: &str = "OAUTH_DRIFT_REFRESH_TOKEN";
/// A file holding the refresh token; a rotated token is written back to it.
pub const REFRESH_TOKEN_FILE: &str = "OAUTH_DRIFT_REFRESH_TOKEN_FILE";

/// Every variable that carries a secret or names a file of secrets: a browser command started
/// by `--open-with` gets an environment without them.
pub const SECRET_VARIABLES: &[&str] = &[
    CLIENT_SECRET,
    CLIENT_SECRET_FILE,
    CLIENT_SECRETS_FILE,
    REFRESH_TOKEN,
    REFRESH_TOKEN_FILE,
];

/// What the probes may use. `Debug` shows which credentials are present, never their values.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub refresh_token: Option<Secret>,
    /// Where a rotated refresh token is stored (the token came from this file).
    pub refresh_token_file: Option<PathBuf>,
    /// The client type named in a client-secrets file.
    pub client_kind: Option<ClientKind>,
    /// The redirect URIs named in a client-secrets file.
    pub redirect_uris: Vec<String>,
}

/// A credential variable is set but its value cannot be used (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("failed to read the file named by {variable} ({})", path.display())]
    Read {
        variable: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the file named by {variable} ({}) is not a client-secrets JSON: {reason}", path.display())]
    ClientSecrets {
        variable: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("{variable} is set but empty")]
    Empty { variable: &'static str },
}

impl Credentials {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, CredentialError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads credentials through `get` (the environment, or a map in tests). Explicit
    /// variables win over the values of a client-secrets file.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, CredentialError> {
        let mut credentials = Credentials::default();
        if let Some(path) = path_var(&get, CLIENT_SECRETS_FILE)? {
            let text = read(CLIENT_SECRETS_FILE, &path)?;
            credentials
                .apply_client_secrets(&text)
                .map_err(|reason| CredentialError::ClientSecrets {
                    variable: CLIENT_SECRETS_FILE,
                    path: path.clone(),
                    reason,
                })?;
        }
        if let Some(id) = value_var(&get, CLIENT_ID)? {
            credentials.client_id = Some(id);
        }
        if let Some((secret, _)) = secret_var(&get, CLIENT_SECRET, CLIENT_SECRET_FILE)? {
            credentials.client_secret = Some(secret);
        }
        if let Some((token, file)) = secret_var(&get, REFRESH_TOKEN, REFRESH_TOKEN_FILE)? {
            credentials.refresh_token = Some(token);
            credentials.refresh_token_file = file;
        }
        Ok(credentials)
    }

    /// Takes what a Google client-secrets JSON holds; the error never quotes the file.
    fn apply_client_secrets(&mut self, text: &str) -> Result<(), String> {
        let document: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON at line {}", e.line()))?;
        let (kind, inner) = if let Some(inner) = document.get("installed") {
            (ClientKind::Installed, inner)
        } else if let Some(inner) = document.get("web") {
            (ClientKind::Web, inner)
        } else {
            return Err("expected an `installed` or `web` object".into());
        };
        let text_field = |name: &str| {
            inner
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_string())
        };
        self.client_id = Some(text_field("client_id").ok_or("no `client_id`")?);
        self.client_secret = text_field("client_secret").map(Secret::new);
        self.client_kind = Some(kind);
        self.redirect_uris = inner
            .get("redirect_uris")
            .and_then(Value::as_array)
            .map(|uris| uris.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        Ok(())
    }

    /// Why a probe that needs `needs` cannot run, naming the variables to set.
    pub fn missing(&self, needs: &[Need]) -> Option<String> {
        let missing: Vec<&str> = needs
            .iter()
            .filter(|need| match need {
                Need::ClientId => self.client_id.is_none(),
                Need::ClientSecret => self.client_secret.is_none(),
                Need::RefreshToken => self.refresh_token.is_none(),
            })
            .map(|need| need.hint())
            .collect();
        (!missing.is_empty()).then(|| format!("missing credentials: {}", missing.join("; ")))
    }
}

/// A credential a probe kind needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    ClientId,
    ClientSecret,
    RefreshToken,
}

impl Need {
    fn hint(self) -> &'static str {
        match self {
            Need::ClientId => "no client id (set OAUTH_DRIFT_CLIENT_ID or OAUTH_DRIFT_CLIENT_SECRETS_FILE)",
            Need::ClientSecret => {
                "no client secret (set OAUTH_DRIFT_CLIENT_SECRET, OAUTH_DRIFT_CLIENT_SECRET_FILE or OAUTH_DRIFT_CLIENT_SECRETS_FILE)"
            }
            Need::RefreshToken => "no refresh token (set OAUTH_DRIFT_REFRESH_TOKEN or OAUTH_DRIFT_REFRESH_TOKEN_FILE)",
        }
    }
}

fn value_var(get: &impl Fn(&str) -> Option<String>, variable: &'static str) -> Result<Option<String>, CredentialError> {
    match get(variable) {
        None => Ok(None),
        Some(value) => non_empty(variable, value).map(Some),
    }
}

fn path_var(get: &impl Fn(&str) -> Option<String>, variable: &'static str) -> Result<Option<PathBuf>, CredentialError> {
    Ok(value_var(get, variable)?.map(PathBuf::from))
}

/// A secret from `variable`, else from the file `file_variable` names (returned with the
/// secret); `None` when neither is set.
fn secret_var(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    file_variable: &'static str,
) -> Result<Option<(Secret, Option<PathBuf>)>, CredentialError> {
    if let Some(value) = value_var(get, variable)? {
        return Ok(Some((Secret::new(value), None)));
    }
    let Some(path) = path_var(get, file_variable)? else {
        return Ok(None);
    };
    let secret = Secret::new(non_empty(file_variable, read(file_variable, &path)?)?);
    Ok(Some((secret, Some(path))))
}

fn non_empty(variable: &'static str, value: String) -> Result<String, CredentialError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err(CredentialError::Empty { variable })
    } else {
        Ok(trimmed.to_string())
    }
}

fn read(variable: &'static str, path: &Path) -> Result<String, CredentialError> {
    crate::limits::read_bounded_text(path).map_err(|e| CredentialError::Read {
        variable,
        path: path.to_owned(),
        source: e.into(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn nothing_set_means_every_probe_names_what_is_missing() {
        let credentials = Credentials::from_lookup(lookup(&[])).unwrap();
        let reason = credentials.missing(&[Need::ClientId, Need::RefreshToken]).unwrap();
        assert!(
            reason.contains("OAUTH_DRIFT_CLIENT_ID") && reason.contains("OAUTH_DRIFT_REFRESH_TOKEN"),
            "{reason}"
        );
        assert_eq!(credentials.missing(&[]), None);
    }

    #[test]
    fn a_client_secrets_file_gives_id_secret_type_and_redirects_and_variables_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client_secret.json");
        std::fs::write(
            &path,
            r#"{"installed":{"client_id":"123.apps.googleusercontent.com","client_secret":"GOCSPX-planted","redirect_uris":["http://localhost"]}}"#,
        )
        .unwrap();
        let file = path.display().to_string();
        let credentials = Credentials::from_lookup(lookup(&[(CLIENT_SECRETS_FILE, file.clone())])).unwrap();
        assert_eq!(credentials.client_id.as_deref(), Some("123.apps.googleusercontent.com"));
        assert_eq!(
            credentials.client_secret.as_ref().map(Secret::expose),
            Some("GOCSPX-planted")
        );
        assert_eq!(credentials.client_kind, Some(ClientKind::Installed));
        assert_eq!(credentials.redirect_uris, ["http://localhost"]);
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("GOCSPX-planted"), "{debug}");

        let credentials = Credentials::from_lookup(lookup(&[
            (CLIENT_SECRETS_FILE, file),
            (CLIENT_SECRET, "from-env".into()),
        ]))
        .unwrap();
        assert_eq!(credentials.client_secret.as_ref().map(Secret::expose), Some("from-env"));
    }

    #[test]
    fn a_refresh_token_file_is_remembered_for_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rt");
        std::fs::write(&path, "1//planted-token\n").unwrap();
        let credentials =
            Credentials::from_lookup(lookup(&[(REFRESH_TOKEN_FILE, path.display().to_string())])).unwrap();
        assert_eq!(
            credentials.refresh_token.as_ref().map(Secret::expose),
            Some("1//planted-token")
        );
        assert_eq!(credentials.refresh_token_file.as_deref(), Some(path.as_path()));
    }

    #[test]
    fn unusable_values_are_errors_that_do_not_quote_the_secret() {
        let err = Credentials::from_lookup(lookup(&[(CLIENT_SECRET, "   ".into())])).unwrap_err();
        assert_eq!(err.to_string(), "OAUTH_DRIFT_CLIENT_SECRET is set but empty");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        std::fs::write(&path, r#"{"other":{"client_secret":"planted-s3cret"}}"#).unwrap();
        let err = Credentials::from_lookup(lookup(&[(CLIENT_SECRETS_FILE, path.display().to_string())])).unwrap_err();
        assert!(
            err.to_string().contains("expected an `installed` or `web` object"),
            "{err}"
        );
        assert!(!err.to_string().contains("planted-s3cret"));
        let err = Credentials::from_lookup(lookup(&[(REFRESH_TOKEN_FILE, "/nonexistent/rt".into())])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("failed to read the file named by OAUTH_DRIFT_REFRESH_TOKEN_FILE"),
            "{err}"
        );
    }
}
