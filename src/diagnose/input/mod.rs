//! Reading what the user has: a pasted authorization URL, a HAR file, a token response.

mod har;
mod note;
mod paste;
mod request;
mod token_response;

pub use har::{Flow, Har, HarObservation, LegacyUse, RevokeCall, TokenCall, observe};
pub use note::InputNote;

pub use request::{AuthRequest, Param, REDACTED, SECRET_PARAMS};
pub use token_response::TokenResponse;

/// How much of an input that is not a regular file (`/dev/zero`, a FIFO) is read: the same
/// cap as stdin.
pub const STREAM_CAP: u64 = 16 * 1024 * 1024;

/// A user's input file as text; bytes that are not UTF-8 become U+FFFD rather than an error.
/// A regular file is read whole; anything else up to `STREAM_CAP`, so a device or a pipe that
/// never ends cannot hold diagnose forever.
fn read_lossy(path: &std::path::Path) -> Result<String, super::InputError> {
    use std::io::Read;
    let error = |source| super::InputError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(error)?;
    let regular = file.metadata().map_err(error)?.is_file();
    let mut bytes = Vec::new();
    if regular {
        (&file).read_to_end(&mut bytes).map_err(error)?;
    } else {
        file.take(STREAM_CAP).read_to_end(&mut bytes).map_err(error)?;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
