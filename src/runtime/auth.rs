//! Calls that need a token: fetch it once for all concurrent callers, and on a
//! 401 refresh it once and send the call once more.

use std::future::Future;

use progenitor_client::ResponseValue;
use reqwest::StatusCode;

use crate::error::{Error, ErrorBody, Result};

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
