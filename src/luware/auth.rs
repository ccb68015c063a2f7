//! Luware credentials: the subscription key on every call, and a JWT from
//! `requestToken` cached until shortly before it expires.

use std::fmt;
use std::time::{Duration, SystemTime};

use super::generated;
use crate::error::{Error, Result};
use crate::runtime::{BoxFuture, TokenFetch, jwt_expiry};
use crate::secret::Secret;

/// Documented token lifetime (the `access_token` property of
/// the `TokenResponse` schema in specs/luware.yaml).
const DOCUMENTED_LIFETIME: Duration = Duration::from_secs(60 * 60);

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

/// The token request's form body. Hand-written (the spec points at it with
/// `x-convo-rust-type`) so that its `Debug` cannot print the password.
#[derive(Clone, serde::Serialize)]
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

impl fmt::Debug for TokenForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenForm").field("eid", &self.eid).field("client_id", &self.client_id).finish_non_exhaustive()
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

/// Gets the bearer token with the form credentials; the runtime caches it
/// and asks again shortly before it expires or after a 401.
pub(crate) struct TokenRequester {
    pub(crate) credentials: Credentials,
    /// A client for `requestToken`, which needs only the subscription key.
    pub(crate) token_client: generated::Client,
}

impl fmt::Debug for TokenRequester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequester").field("credentials", &self.credentials).finish()
    }
}

impl TokenFetch for TokenRequester {
    fn fetch(&self) -> BoxFuture<'_, Result<(Secret, Option<Duration>)>> {
        Box::pin(async move {
            let body = TokenForm::new(&self.credentials);
            let token = self.token_client.request_token().body(body).send().await.map_err(Error::auth)?.into_inner();
            let lifetime = token_lifetime(token.access_token.expose(), token.expires_in);
            Ok((token.access_token, Some(lifetime)))
        })
    }
}

/// The token's lifetime from now: the JWT's `exp` claim, else `expires_in`,
/// else the documented 60 minutes; never more than 60 minutes.
fn token_lifetime(token: &str, expires_in: Option<i64>) -> Duration {
    let from_claim = jwt_expiry(token).map(|exp| exp.duration_since(SystemTime::now()).unwrap_or_default());
    let from_field = expires_in.and_then(|s| u64::try_from(s).ok()).map(Duration::from_secs);
    from_claim.or(from_field).unwrap_or(DOCUMENTED_LIFETIME).min(DOCUMENTED_LIFETIME)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use std::time::UNIX_EPOCH;

    fn jwt(claims: serde_json::Value) -> String {
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", enc.encode(br#"{"alg":"HS256"}"#), enc.encode(claims.to_string()))
    }

    #[test]
    fn lifetime_prefers_exp_and_caps_at_an_hour() {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let t = jwt(serde_json::json!({"exp": now + 120}));
        let l = token_lifetime(&t, Some(3000));
        assert!(l <= Duration::from_secs(120) && l >= Duration::from_secs(118), "{l:?}");
        let long = jwt(serde_json::json!({"exp": now + 86_400}));
        assert_eq!(token_lifetime(&long, None), DOCUMENTED_LIFETIME);
        assert_eq!(token_lifetime("opaque", Some(600)), Duration::from_secs(600));
        assert_eq!(token_lifetime("opaque", None), DOCUMENTED_LIFETIME);
    }
}
