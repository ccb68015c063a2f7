//! LivePerson bot-user login: the credentials, and a session that logs in
//! once for all concurrent callers and again after a 401.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::generated;
use super::types::{AuthType, LoginRequest, LoginVersion};
use crate::error::{Error, Result};
use crate::runtime::{BoxFuture, TokenFetch, jwt_expiry};
use crate::secret::{Secret, serialize_exposed};

/// Username and password of a bot user (`authType` USER_PASS).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserPassCredentials {
    pub username: String,
    #[serde(serialize_with = "serialize_exposed")]
    pub password: Secret,
}

/// API-key credentials of a bot user (`authType` API_KEY).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyCredentials {
    pub username: String,
    #[serde(serialize_with = "serialize_exposed")]
    pub app_key: Secret,
    #[serde(serialize_with = "serialize_exposed")]
    pub secret: Secret,
    #[serde(serialize_with = "serialize_exposed")]
    pub access_token: Secret,
    #[serde(serialize_with = "serialize_exposed")]
    pub access_token_secret: Secret,
}

/// How the bot user logs in (the spec's `LoginCredentials`). Hand-written so
/// that every secret is a [`Secret`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Credentials {
    UserPass(UserPassCredentials),
    ApiKey(ApiKeyCredentials),
}

impl Credentials {
    /// Username and password.
    pub fn user_pass(username: impl Into<String>, password: impl Into<Secret>) -> Self {
        Credentials::UserPass(UserPassCredentials { username: username.into(), password: password.into() })
    }

    /// The `authType` that goes with these credentials.
    pub fn auth_type(&self) -> AuthType {
        match self {
            Credentials::UserPass(_) => AuthType::UserPass,
            Credentials::ApiKey(_) => AuthType::ApiKey,
        }
    }

    /// Every secret of these credentials, to mask in error excerpts.
    pub(crate) fn secrets(&self) -> Vec<Secret> {
        match self {
            Credentials::UserPass(c) => vec![c.password.clone()],
            Credentials::ApiKey(c) => {
                vec![c.app_key.clone(), c.secret.clone(), c.access_token.clone(), c.access_token_secret.clone()]
            }
        }
    }

    /// The bot user's name.
    pub fn username(&self) -> &str {
        let (Credentials::UserPass(UserPassCredentials { username, .. })
        | Credentials::ApiKey(ApiKeyCredentials { username, .. })) = self;
        username
    }
}

/// Which login the client uses. Both answer the same bearer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginForm {
    /// `POST /api/v1/account/{id}/login?v=1.3` with `authType` (USER_PASS or
    /// API_KEY): LivePerson's current form.
    #[default]
    Current,
    /// `POST /api/account/{id}/login?v=1.3` with username and password: the
    /// seed's own form (deprecated by LivePerson); API-key credentials
    /// cannot use it.
    Legacy,
}

/// The seed's older login body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LegacyLoginRequest {
    pub username: String,
    #[serde(serialize_with = "serialize_exposed")]
    pub password: Secret,
}

/// The login response; the bearer is a [`Secret`] from the moment it is decoded.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginResponse {
    pub bearer: Secret,
}

/// Logs the bot user in; the runtime keeps the session, shares it between
/// callers and logs in again (once, for all of them) after a 401.
#[derive(Debug)]
pub(crate) struct Login {
    pub(super) account_id: String,
    pub(super) credentials: Credentials,
    pub(super) form: LoginForm,
    /// A client for `login` that adds no credentials.
    pub(super) login_client: generated::Client,
}

impl TokenFetch for Login {
    fn fetch(&self) -> BoxFuture<'_, Result<(Secret, Option<Duration>)>> {
        Box::pin(async move {
            let answer = match (&self.credentials, self.form) {
                (Credentials::UserPass(c), LoginForm::Legacy) => {
                    let body = LegacyLoginRequest { username: c.username.clone(), password: c.password.clone() };
                    let call = self.login_client.login_legacy().account_id(&self.account_id).v(LoginVersion::V13);
                    call.body(body).send().await
                }
                (credentials, _) => {
                    let body = LoginRequest { auth_type: credentials.auth_type(), credentials: credentials.clone() };
                    let call = self.login_client.login().account_id(&self.account_id).v(LoginVersion::V13);
                    call.body(body).send().await
                }
            };
            let bearer = answer.map_err(Error::auth)?.into_inner().bearer;
            // The lifetime is not documented: use the JWT's `exp` if it has one,
            // else keep the bearer until the server rejects it.
            let lifetime =
                jwt_expiry(bearer.expose()).map(|exp| exp.duration_since(SystemTime::now()).unwrap_or_default());
            Ok((bearer, lifetime))
        })
    }
}
