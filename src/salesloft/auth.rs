//! Salesloft bearer tokens: an API key, or an OAuth access token from a
//! provider the caller plugs in (so that it can refresh it).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::runtime::{BoxFuture, TokenFetch};
use crate::secret::Secret;

/// A bearer token and how long it lasts.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: Secret,
    /// Lifetime from now; `None` for tokens that do not expire (API keys).
    pub expires_in: Option<Duration>,
}

/// Supplies bearer tokens, e.g. an OAuth client that refreshes its access
/// token. Called on first use, shortly before a token expires, and after the
/// API rejected the last one (then it should refresh rather than return the
/// same token).
pub trait TokenProvider: Send + Sync + fmt::Debug {
    fn access_token(&self) -> Pin<Box<dyn Future<Output = Result<AccessToken>> + Send + '_>>;
}

/// A shared provider, so the caller can keep a handle to it.
impl<P: TokenProvider + ?Sized> TokenProvider for Arc<P> {
    fn access_token(&self) -> Pin<Box<dyn Future<Output = Result<AccessToken>> + Send + '_>> {
        (**self).access_token()
    }
}

/// An API key (`ak_…`): a bearer token that does not expire.
#[derive(Debug, Clone)]
pub struct ApiKey(pub Secret);

impl TokenProvider for ApiKey {
    fn access_token(&self) -> Pin<Box<dyn Future<Output = Result<AccessToken>> + Send + '_>> {
        let token = AccessToken { token: self.0.clone(), expires_in: None };
        Box::pin(async move { Ok(token) })
    }
}

/// Asks the provider for a token; the runtime caches it and asks again
/// shortly before it expires or after a 401.
impl TokenFetch for Arc<dyn TokenProvider> {
    fn fetch(&self) -> BoxFuture<'_, Result<(Secret, Option<Duration>)>> {
        Box::pin(async move {
            let token = self.access_token().await?;
            Ok((token.token, token.expires_in))
        })
    }
}
