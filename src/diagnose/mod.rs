//! `diagnose`: why a refresh_token did or will not come back.
//!
//! The input (a pasted authorization URL, a HAR file, a token response) is parsed in
//! `input`; `predict` runs the request through the provider model for a first and a repeat
//! grant; `fix` searches the smallest change the model verifies; `findings` explains, with
//! codes from `catalogue`; `emit` writes the regression scenario; `render` makes text.
//!
//! ```
//! use oauth_drift::diagnose::{Input, Options, diagnose};
//! use oauth_drift::Registry;
//!
//! let url = "https://accounts.google.com/o/oauth2/v2/auth?client_id=1.apps.googleusercontent.com\
//!            &redirect_uri=https://app.example.com/cb&response_type=code&scope=email\
//!            &access_type=offline&approval_prompt=force";
//! let input = Input { pasted: Some(url.into()), ..Default::default() };
//! let diagnosis = diagnose(&input, &Options::default(), &Registry::builtin()).unwrap();
//! assert!(diagnosis.prediction.first_grant.refresh_token);
//! assert!(!diagnosis.prediction.repeat_grant.refresh_token);
//! assert_eq!(diagnosis.findings[0].code, "OD103");
//! assert!(diagnosis.fix.url.unwrap().ends_with("&access_type=offline&prompt=consent"));
//! ```

mod catalogue;
mod diagnosis;
mod emit;
mod endpoints;
mod error;
mod explain;
mod findings;
mod fix;
mod input;
mod observe;
mod predict;
mod redirect;
pub mod render;
mod response;

// the surface: what a Rust user diagnoses with and reads; the rest serves the CLI
pub use catalogue::{CATALOGUE, Entry, Severity};
pub use diagnosis::{Diagnosed, Diagnosis, Evidence, Input, Options, StatusFrom, Symptom, diagnose, diagnose_any};
pub use emit::scenario;
pub use error::InputError;
pub use findings::Finding;
pub use fix::{Change, Edit, Fix, Goal};
pub use input::{AuthRequest, Har, TokenResponse};
pub use predict::{GrantPrediction, LimitPrediction, Prediction, RefreshPrediction, Stage};
pub use response::{Observation, ResponseDiagnosis};

pub(crate) use catalogue::{Code, lookup};
pub(crate) use emit::write as write_scenario;
pub(crate) use response::AuthError;
