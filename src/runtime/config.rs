//! Settings shared by every client: timeouts, retries, user agent.

use std::time::Duration;

use super::{ExchangeObserver, RetryPolicy};
use crate::error::{InvalidInput, Result};

/// Transport settings for a client. Every API's client builder takes one.
///
/// There is deliberately no total-request timeout by default: a large
/// download must not be cut off because it takes long. Stalls are caught by
/// `read_timeout`, which limits the wait for each next chunk.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Time allowed to open a connection. Default 10 s.
    pub connect_timeout: Duration,
    /// Longest wait for the next piece of a response. Default 60 s.
    pub read_timeout: Duration,
    /// Optional limit on a whole request, body included. Default none.
    pub request_timeout: Option<Duration>,
    /// Retry policy for transient failures.
    pub retry: RetryPolicy,
    /// Largest JSON response body read into memory (downloads are streamed
    /// and not limited by it). Default 64 MiB.
    pub max_body_bytes: u64,
    /// Longest time one attempt of a JSON call may take, from sending to the
    /// last byte of the body, so that a server dripping bytes just fast
    /// enough for `read_timeout` still fails ([`crate::Error::Timeout`];
    /// retried like other timeouts). Downloads are streamed and not limited
    /// by it. Default 5 minutes.
    pub json_deadline: Duration,
    /// The rate-limit window to pace calls by, for an API whose spec
    /// declares one (`x-rate-limit`); `None` keeps the spec's (Salesloft:
    /// a minute). Set it for a server whose window differs, such as a
    /// sandbox configured with a short one.
    pub rate_limit_window: Option<Duration>,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Receives every answer the client gets, surveyed against the spec,
    /// with a record of the exchange, secrets masked (what
    /// `convo <api> check` is built on). Default none: nothing is surveyed.
    pub observer: Option<ExchangeObserver>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            request_timeout: None,
            retry: RetryPolicy::default(),
            max_body_bytes: 64 * 1024 * 1024,
            json_deadline: Duration::from_secs(300),
            rate_limit_window: None,
            user_agent: concat!("convo-clients/", env!("CARGO_PKG_VERSION")).to_string(),
            observer: None,
        }
    }
}

impl ClientConfig {
    /// Sets the connect timeout.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the per-chunk read timeout.
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Limits each whole request, body included.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Sets the retry policy ([`RetryPolicy::disabled`] turns retries off).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Caps JSON response bodies (a larger one is [`crate::Error::BodyTooLarge`]).
    pub fn with_max_body_bytes(mut self, bytes: u64) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets the deadline of each attempt of a JSON call.
    pub fn with_json_deadline(mut self, deadline: Duration) -> Self {
        self.json_deadline = deadline;
        self
    }

    /// Sets the rate-limit window calls are paced by (see [`ClientConfig::rate_limit_window`]).
    pub fn with_rate_limit_window(mut self, window: Duration) -> Self {
        self.rate_limit_window = Some(window);
        self
    }

    /// Sets the observer of every exchange (see [`ClientConfig::observer`]).
    pub fn with_observer(mut self, observer: ExchangeObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Builds the HTTP client these settings describe.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client> {
        install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .redirect(crate::error::RedirectRefused::policy())
            .user_agent(&self.user_agent);
        if let Some(timeout) = self.request_timeout {
            builder = builder.timeout(timeout);
        }
        builder.build().map_err(|e| InvalidInput::Config(format!("cannot build the HTTP client: {e}")).into())
    }
}

/// Makes ring the process's TLS crypto provider, unless one is installed
/// already (an application's own choice wins). reqwest is built without one:
/// its default, aws-lc-rs, is a C library whose build was most of a cold
/// build. Every client of this crate calls it; call it yourself before
/// building a `reqwest::Client` of your own in the same program, which
/// otherwise panics for want of a provider.
pub fn install_tls_provider() {
    // An `Err` means a provider is in place already: nothing to do.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Checks a base URL and returns it without a trailing slash, the form the
/// generated clients join paths onto.
///
/// A URL with a `user:password@` part is refused: no API here takes
/// credentials that way, and the URL would show them wherever it is printed
/// (errors, `Debug`). Errors show the URL without that part.
pub(crate) fn normalize_base_url(base_url: &str) -> Result<String> {
    let shown = crate::redact::escape_controls(&crate::redact::without_userinfo(base_url)).into_owned();
    let problem = match reqwest::Url::parse(base_url) {
        Err(e) => e.to_string(),
        Ok(url) if !matches!(url.scheme(), "http" | "https") => "scheme must be http or https".into(),
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            "credentials in the URL (user:password@) are not supported; set them as the API's credentials".into()
        }
        Ok(_) => return Ok(base_url.trim_end_matches('/').to_string()),
    };
    Err(InvalidInput::Config(format!("base URL {shown:?}: {problem}")).into())
}
