//! Credentials as a type that cannot be printed by accident.

use std::fmt;

/// A client secret or refresh token. `Debug` and `Display` print `[redacted]`; the value is
/// reachable only through [`Secret::expose`], at the one place a request needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the request that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod examples {
    #[test]
    fn secret_example() {
        use super::Secret;
        let secret = Secret::new("1//0g-planted");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
        assert_eq!(secret.expose(), "1//0g-planted");
    }
}
