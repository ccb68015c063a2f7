//! Luware credentials: the subscription key on every call, and the fields of
//! `requestToken`, whose JWT the runtime caches until shortly before it
//! expires (the spec's `x-token`).

use crate::secret::Secret;

/// The credentials Luware issues at onboarding.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// API subscription key, sent as `Ocp-Apim-Subscription-Key`.
    pub subscription_key: Secret,
    /// Environment identifier (EID), e.g. 1000.
    pub eid: i64,
    /// API username (`client_id`).
    pub client_id: String,
    /// API password (`client_secret`).
    pub client_secret: Secret,
}

/// The token request's form body, for the typed `request_token()` (the
/// client fetches its own tokens: the spec's `x-token`). Hand-written (the
/// spec points at it with `x-convo-rust-type`) so that the password is a
/// [`Secret`], which `Debug` does not print.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TokenForm {
    eid: i64,
    client_id: String,
    #[serde(serialize_with = "crate::secret::serialize_exposed")]
    client_secret: Secret,
}

impl TokenForm {
    /// The form for these credentials.
    pub fn new(credentials: &Credentials) -> Self {
        Self {
            eid: credentials.eid,
            client_id: credentials.client_id.clone(),
            client_secret: credentials.client_secret.clone(),
        }
    }
}

/// The token response. Hand-written (`x-convo-rust-type` in the spec) so that
/// the token is a [`Secret`] from the moment it is decoded.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TokenResponse {
    /// The JWT.
    pub access_token: Secret,
    /// The token type, if the server sends one.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Lifetime in seconds, if the server sends it.
    #[serde(default)]
    pub expires_in: Option<i64>,
}
