//! What every generated client shares: configuration, the single place where
//! requests are sent (credentials, retries, tracing), authenticated calls with
//! one refresh on 401, and pagination.

mod auth;
pub(crate) mod config;
mod paginate;
mod retry;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use progenitor_client::OperationInfo;
use reqwest::{Method, Request, Response};
use tracing::Instrument;

pub use auth::TokenSource;
pub(crate) use auth::{TokenCache, jwt_expiry, refresh_time, send_authenticated};
pub use config::ClientConfig;
pub use paginate::{ItemStream, Page, paginate};
pub use retry::RetryPolicy;

/// Adds credentials to each outgoing request. Implementations hold secrets and
/// must redact them in `Debug`.
pub(crate) trait Authorizer: Send + Sync + fmt::Debug {
    fn authorize(&self, request: &mut Request, operation: &str);
}

/// The state a generated client carries (progenitor's "inner type").
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    api: &'static str,
    retry: RetryPolicy,
    retry_safe_operations: &'static [&'static str],
    authorizer: Option<Arc<dyn Authorizer>>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("api", &self.inner.api)
            .field("retry", &self.inner.retry)
            .field("authorizer", &self.inner.authorizer)
            .finish()
    }
}

impl Runtime {
    pub(crate) fn new(
        api: &'static str,
        retry: RetryPolicy,
        retry_safe_operations: &'static [&'static str],
        authorizer: Option<Arc<dyn Authorizer>>,
    ) -> Self {
        Self { inner: Arc::new(RuntimeInner { api, retry, retry_safe_operations, authorizer }) }
    }

    /// Sends one request on behalf of a generated method: adds credentials,
    /// retries transient failures by the retry policy, and records a span.
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        request: Request,
        info: &OperationInfo,
    ) -> reqwest::Result<Response> {
        let span = tracing::info_span!(
            "convo.request",
            api = self.inner.api,
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        self.execute_with_retries(client, request, info.operation_id).instrument(span).await
    }

    async fn execute_with_retries(
        &self,
        client: &reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> reqwest::Result<Response> {
        let started = Instant::now();
        let retryable = self.inner.retry.is_enabled() && self.may_retry(request.method(), operation);
        let mut request = request;
        let mut attempt = 1;
        loop {
            // Keep a copy for the next attempt. A streaming body cannot be
            // copied; then this attempt is the only one.
            let next = if retryable { request.try_clone() } else { None };
            if let Some(auth) = &self.inner.authorizer {
                auth.authorize(&mut request, operation);
            }
            let result = client.execute(request).await;
            let delay = match &result {
                _ if next.is_none() => None,
                Ok(response) if RetryPolicy::is_retryable_status(response.status()) => {
                    self.inner.retry.next_delay(attempt, started.elapsed(), Some(response.headers()))
                }
                Err(error) if RetryPolicy::is_retryable_error(error) => {
                    self.inner.retry.next_delay(attempt, started.elapsed(), None)
                }
                _ => None,
            };
            let (Some(delay), Some(next)) = (delay, next) else {
                let span = tracing::Span::current();
                span.record("attempts", attempt);
                span.record("duration_ms", started.elapsed().as_millis() as u64);
                match &result {
                    Ok(response) => {
                        span.record("status", response.status().as_u16());
                        tracing::debug!("response received");
                    }
                    Err(error) => tracing::warn!(error = %redacted(error), "request failed"),
                }
                return result;
            };
            match &result {
                Ok(response) => tracing::info!(status = response.status().as_u16(), ?delay, attempt, "retrying"),
                Err(error) => tracing::info!(error = %redacted(error), ?delay, attempt, "retrying"),
            }
            drop(result);
            tokio::time::sleep(delay).await;
            request = next;
            attempt += 1;
        }
    }

    fn may_retry(&self, method: &Method, operation: &str) -> bool {
        matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
            || self.inner.retry_safe_operations.contains(&operation)
    }
}

/// A reqwest error's message with the URL cut to its path: query strings can
/// carry filter values or page tokens that do not belong in logs.
pub(crate) fn redacted(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    if let Some(url) = error.url() {
        message = message.replace(url.as_str(), url.path());
    }
    message
}
