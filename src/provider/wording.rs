//! How explanations name what is specific to one provider (its name, the pages where a user
//! or a developer acts), as the profile writes it, so diagnose's findings carry no provider's
//! words in code.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The profile's `wording:` section; every key is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Wording {
    /// The provider's name in a sentence (`Google`); empty: the profile's `name`.
    pub name: String,
    /// Where a user removes an app's access (`myaccount.google.com/permissions`).
    pub revocation_page: Option<String>,
    /// Which refresh tokens a password change revokes, if the provider revokes any.
    pub password_change_revokes: Option<String>,
    /// Where the developer sees the consent screen's publishing status.
    pub publishing_status_page: Option<String>,
    /// The words diagnose's finding catalogue fills into its placeholders (`force_param:
    /// approval_prompt` for `{force_param}`; the placeholders are listed under `words:` in
    /// src/diagnose/catalogue.yaml, with the neutral word used when a profile sets none).
    pub findings: BTreeMap<String, String>,
    /// The API a scope belongs to, by the first word of the scope's last path segment
    /// (`drive` of `…/auth/drive.file` → `Google Drive`), to say what a declined scope costs.
    pub scope_apis: BTreeMap<String, String>,
}
