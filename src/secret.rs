//! A string that never shows itself in `Debug`, `Display` or logs.

use std::fmt;

/// A secret value: an API key, a password or a bearer token.
///
/// `Debug` and `Display` print `***`. Read it with [`Secret::expose`] only
/// where it goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(std::sync::Arc<str>);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into().into())
    }

    /// The secret itself. Keep the borrow short and never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this very secret (a copy of it), not just the same text.
    pub(crate) fn is(&self, other: &Secret) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }

    /// Whether [`Secret::header_value`] can carry it: visible ASCII and tabs
    /// only.
    pub(crate) fn fits_header(&self) -> bool {
        self.0.bytes().all(|b| (32..127).contains(&b) || b == b'\t')
    }

    /// The secret as a header value marked sensitive, so that hyper and
    /// reqwest also keep it out of their debug output.
    pub(crate) fn header_value(&self, prefix: &str) -> Option<reqwest::header::HeaderValue> {
        let mut value = reqwest::header::HeaderValue::from_str(&format!("{prefix}{}", self.0)).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::from)
    }
}

#[cfg(any(feature = "luware", feature = "liveperson"))]
/// Serialises a secret in the clear, for the one place it must go: the wire.
/// `Secret` itself has no `Serialize`, so it cannot leak through a struct
/// that is serialised for another purpose.
pub(crate) fn serialize_exposed<S: serde::Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}
