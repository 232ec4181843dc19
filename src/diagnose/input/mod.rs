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
