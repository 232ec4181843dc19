//! Reading what the user has: a pasted authorization URL, a HAR file, a token response.

mod har;
mod note;
mod paste;
mod request;
mod token_response;

pub use har::{Flow, Har, HarObservation, TokenCall, observe};
pub use note::InputNote;

pub use request::{AuthRequest, Param, REDACTED, SECRET_PARAMS, SESSION_PARAMS};
pub use token_response::TokenResponse;

/// A user's input file as text; bytes that are not UTF-8 become U+FFFD rather than an error.
/// Read through [`crate::limits::read_bounded`], so a device or a pipe that never ends cannot
/// hold diagnose forever.
fn read_lossy(path: &std::path::Path) -> Result<String, super::InputError> {
    let bytes = crate::limits::read_bounded(path).map_err(|e| super::InputError::Read {
        path: path.to_owned(),
        source: e.into(),
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
