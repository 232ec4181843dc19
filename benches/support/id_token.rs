//! The static id_token bare servers answer with in the benchmarks: the claims the model puts
//! in one, signed once with the model's key, so a bare answer weighs what the model's does.

use oauth_drift::SigningKey;

/// An id_token for `client_id` about `email`, signed once with the model's key.
pub fn signed_once(client_id: &str, email: &str) -> String {
    let mut claims = serde_json::Map::new();
    for (name, value) in [
        ("iss", serde_json::json!("https://accounts.google.com")),
        ("azp", serde_json::json!(client_id)),
        ("aud", serde_json::json!(client_id)),
        ("sub", serde_json::json!("10769150350006150715113082367")),
        ("email", serde_json::json!(email)),
        ("email_verified", serde_json::json!(true)),
        ("at_hash", serde_json::json!("HK6E_P6Dh8Y93mRNtsDB1Q")),
        ("iat", serde_json::json!(1_700_000_000)),
        ("exp", serde_json::json!(1_700_003_600)),
    ] {
        claims.insert(name.into(), value);
    }
    SigningKey::model().expect("the model key").sign(&claims)
}
