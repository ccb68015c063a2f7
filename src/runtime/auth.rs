//! Calls that need a token: fetch it once for all concurrent callers, and on a
//! 401 refresh it once and send the call once more.

use std::fmt;
use std::future::Future;
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use progenitor_client::ResponseValue;
use reqwest::StatusCode;

use crate::error::{Error, ErrorBody, Result};
use crate::secret::Secret;

/// A cached bearer token with single-flight refresh: concurrent callers that
/// find no fresh token wait for one fetch instead of each starting their own.
/// Every fetched token gets a generation number, so a caller whose request was
/// rejected can drop exactly the token it used, and not a newer one.
pub(crate) struct TokenCache {
    cache: RwLock<Option<CachedToken>>,
    refresh: tokio::sync::Mutex<u64>,
}

struct CachedToken {
    value: Secret,
    /// When to fetch a new one; `None` means only after a rejection.
    refresh_at: Option<Instant>,
    generation: u64,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.cache.read().map(|c| c.is_some()).unwrap_or(false);
        f.debug_struct("TokenCache").field("cached", &cached).finish()
    }
}

impl TokenCache {
    pub(crate) fn new() -> Self {
        Self { cache: RwLock::new(None), refresh: tokio::sync::Mutex::new(0) }
    }

    /// The cached token, fresh or not, for adding to a request.
    pub(crate) fn current(&self) -> Option<Secret> {
        self.cache.read().ok()?.as_ref().map(|t| t.value.clone())
    }

    fn fresh_generation(&self) -> Option<u64> {
        let cache = self.cache.read().ok()?;
        let token = cache.as_ref()?;
        token.refresh_at.is_none_or(|at| Instant::now() < at).then_some(token.generation)
    }

    /// Returns the generation of a fresh token, calling `fetch` (once, for all
    /// concurrent callers) when there is none. `fetch` yields the token and
    /// when to refresh it.
    pub(crate) async fn ensure<F, Fut>(&self, fetch: F) -> Result<u64>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Secret, Option<Instant>)>>,
    {
        if let Some(generation) = self.fresh_generation() {
            return Ok(generation);
        }
        let mut generations = self.refresh.lock().await;
        // Whoever held the lock before us may have refreshed already.
        if let Some(generation) = self.fresh_generation() {
            return Ok(generation);
        }
        let (value, refresh_at) = fetch().await?;
        *generations += 1;
        let generation = *generations;
        if let Ok(mut cache) = self.cache.write() {
            *cache = Some(CachedToken { value, refresh_at, generation });
        }
        tracing::debug!(generation, "token refreshed");
        Ok(generation)
    }

    /// Drops the token of `generation`, if it is still the cached one.
    pub(crate) fn invalidate(&self, generation: u64) {
        if let Ok(mut cache) = self.cache.write()
            && cache.as_ref().is_some_and(|t| t.generation == generation)
        {
            *cache = None;
        }
    }
}

/// Reads `exp` from a JWT's payload without verifying it: the client only
/// needs to know when to refresh; the server does the verifying.
pub(crate) fn jwt_expiry(token: &str) -> Option<SystemTime> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(UNIX_EPOCH + Duration::from_secs(exp))
}

/// When to refresh a token that lives `lifetime` from `issued`: `margin`
/// early, or half-way for tokens shorter than twice the margin.
pub(crate) fn refresh_time(issued: Instant, lifetime: Duration, margin: Duration) -> Instant {
    issued + lifetime - margin.min(lifetime / 2)
}

/// A cached credential that can be refreshed, such as a bearer token.
///
/// `ensure` returns the generation of the credential in use (fetching one if
/// none is fresh); `invalidate` drops that generation after the server
/// rejected it, unless another caller has already replaced it.
pub trait TokenSource: Send + Sync {
    /// Makes sure a fresh credential is cached; returns its generation.
    fn ensure(&self) -> impl Future<Output = Result<u64>> + Send;
    /// Forgets the credential of `generation`, if it is still the current one.
    fn invalidate(&self, generation: u64);
}

/// Runs a generated call with a fresh credential. A 401 answer triggers one
/// refresh and one more attempt; a second 401 is returned as [`Error::Auth`].
pub(crate) async fn send_authenticated<S, T, E, F, Fut>(
    source: &S,
    operation: &'static str,
    call: F,
) -> Result<ResponseValue<T>>
where
    S: TokenSource,
    E: ErrorBody,
    F: Fn() -> Fut,
    Fut: Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>>,
{
    let generation = source.ensure().await?;
    let first = call().await;
    let first = match first {
        Err(e) if e.status() == Some(StatusCode::UNAUTHORIZED) => {
            tracing::info!(operation, "token rejected; refreshing once");
            source.invalidate(generation);
            source.ensure().await?;
            call().await
        }
        other => other,
    };
    match first {
        Ok(value) => Ok(value),
        Err(e) => Err(Error::from_api(operation, e).await),
    }
}
