//! The builder every API's client is configured with: where the API is,
//! the transport settings, and the API's own settings (credentials, options).

use super::ClientConfig;
use super::config::normalize_base_url;
use crate::error::Result;

/// Configures an API's client: `luware::Client::builder(…)`,
/// `raia::Client::builder(…)` and the others return one, with the API's own
/// options as further methods. Nothing is sent until the first call.
pub struct ClientBuilder<S> {
    base_url: String,
    config: ClientConfig,
    pub(crate) settings: S,
}

/// The base URL is not checked yet: shown without any `user:password@`.
impl<S: std::fmt::Debug> std::fmt::Debug for ClientBuilder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &crate::redact::without_userinfo(&self.base_url))
            .field("config", &self.config)
            .field("settings", &self.settings)
            .finish()
    }
}

/// What an API adds to [`ClientBuilder`]: how its settings and a
/// [`Connection`] make its client.
#[doc(hidden)]
pub trait BuildClient {
    /// The API's client.
    type Client;
    /// Builds the client (checking what the settings hold); sends nothing.
    fn build(self, connection: Connection) -> Result<Self::Client>;
}

/// A checked base URL (no trailing slash), the HTTP client the transport
/// settings describe, and the settings themselves (retries, body cap).
#[doc(hidden)]
#[derive(Debug)]
// LivePerson builds its clients from its account's domains, not from a
// `Connection`.
#[cfg_attr(
    not(any(feature = "luware", feature = "raia", feature = "salesloft", feature = "llamadapro")),
    allow(dead_code)
)]
pub struct Connection {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) config: ClientConfig,
}

impl<S> ClientBuilder<S> {
    #[cfg_attr(
        not(any(feature = "luware", feature = "raia", feature = "salesloft", feature = "llamadapro")),
        allow(dead_code)
    )]
    pub(crate) fn new(base_url: impl Into<String>, config: ClientConfig, settings: S) -> Self {
        Self { base_url: base_url.into(), config, settings }
    }

    /// Another base URL, e.g. a region, a proxy or a sandbox.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Transport settings: timeouts, retries, user agent.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }
}

impl<S: BuildClient> ClientBuilder<S> {
    /// Builds the client. Fails on an unusable base URL or setting; sends nothing.
    pub fn build(self) -> Result<S::Client> {
        let base_url = normalize_base_url(&self.base_url)?;
        let http = self.config.http_client()?;
        self.settings.build(Connection { base_url, http, config: self.config })
    }
}
