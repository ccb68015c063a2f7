//! The builder every API's client is configured with: where the API is,
//! the transport settings, and the API's own settings (credentials, options).

use std::sync::Arc;
use std::time::Duration;

use super::config::normalize_base_url;
use super::{
    ApiInfo, ClientConfig, Credential, REFRESH_MARGIN, Runtime, Scheme, SchemeCredentials, SpecToken, TokenCredential,
};
use crate::OperationClient;
use crate::error::{InvalidInput, Result};
use crate::secret::Secret;
use crate::spec::model::TokenField;

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
pub struct Connection {
    pub(crate) base_url: String,
    pub(crate) http: reqwest::Client,
    pub(crate) config: ClientConfig,
}

impl<S> ClientBuilder<S> {
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

/// Configures a client made from its spec alone: `<api>::Client::builder(base_url)`
/// (or `GeneratedClient::builder` where the API's module adds its own
/// `Client`), with [`credential`](ClientBuilder::credential) for each
/// security scheme of the spec its calls use.
pub type SpecClientBuilder<C> = ClientBuilder<SchemeSettings<C>>;

/// The settings of a client made from its spec: a credential per security
/// scheme, by the spec's name for it, or the fields of the operation that
/// gives a scheme's token (`x-token`). A name the spec does not define is an
/// error of [`ClientBuilder::build`]; a call that needs a scheme the client
/// has no credential for is refused before it is sent.
#[doc(hidden)]
pub struct SchemeSettings<C> {
    api: &'static ApiInfo,
    make: fn(&str, reqwest::Client, Runtime) -> C,
    credentials: Vec<(String, Source)>,
    refresh_margin: Duration,
    /// What an API's own builder methods set on the client once it is made.
    finish: Vec<Finish<C>>,
}

/// Sets something of an API's own on its client once it is made.
type Finish<C> = Box<dyn FnOnce(&mut C) + Send>;

/// Where a scheme's value comes from: given (an API key, or a field of
/// its token's operation), or fetched (a token).
enum Source {
    Given(Secret),
    Fetched(Arc<dyn Credential>),
}

/// Scheme names only: the values are secrets.
impl<C> std::fmt::Debug for SchemeSettings<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let schemes: Vec<&str> = self.credentials.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("SchemeSettings").field("api", &self.api.name).field("credentials", &schemes).finish()
    }
}

impl<C> SpecClientBuilder<C> {
    /// A builder for the client of `api`, made by `make` (the generated
    /// client's `new_with_client`, or a function wrapping it).
    pub(crate) fn for_spec(
        base_url: impl Into<String>,
        api: &'static ApiInfo,
        make: fn(&str, reqwest::Client, Runtime) -> C,
    ) -> Self {
        let refresh_margin = REFRESH_MARGIN;
        let settings = SchemeSettings { api, make, credentials: Vec::new(), refresh_margin, finish: Vec::new() };
        Self::new(base_url, ClientConfig::default(), settings)
    }

    /// Sends `secret` as the security scheme `scheme` of the spec (its name
    /// under `components.securitySchemes`), the way the spec says: a header,
    /// query or cookie API key, or an `Authorization` bearer token or basic
    /// `user:password`. Replaces an earlier value for the same scheme.
    ///
    /// For a scheme whose token an operation of the spec gives (`x-token`),
    /// `scheme` may also name a field of that operation's body (Luware's
    /// `client_secret`): given all of them, the client fetches the token
    /// when a call first needs it, refreshes it before it expires and after
    /// a 401, and masks the fields the spec calls passwords in every error.
    pub fn credential(self, scheme: &str, secret: impl Into<Secret>) -> Self {
        self.with_source(scheme, Source::Given(secret.into()))
    }

    /// Refreshes a fetched token this long before it expires (default 60 s;
    /// at most half the token's lifetime).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.settings.refresh_margin = margin;
        self
    }

    /// Uses `credential` (a token fetched and refreshed) for `scheme`.
    #[cfg_attr(not(feature = "salesloft"), allow(dead_code))]
    pub(crate) fn fetched_credential(self, scheme: &str, credential: Arc<dyn Credential>) -> Self {
        self.with_source(scheme, Source::Fetched(credential))
    }

    /// Sets something of an API's own on the client once it is made.
    #[cfg_attr(not(feature = "luware"), allow(dead_code))]
    pub(crate) fn finishing(mut self, finish: impl FnOnce(&mut C) + Send + 'static) -> Self {
        self.settings.finish.push(Box::new(finish));
        self
    }

    fn with_source(mut self, scheme: &str, source: Source) -> Self {
        self.settings.credentials.retain(|(name, _)| name != scheme);
        self.settings.credentials.push((scheme.to_owned(), source));
        self
    }
}

impl<C: SpecClient> BuildClient for SchemeSettings<C> {
    type Client = C;

    fn build(self, Connection { base_url, http, config }: Connection) -> Result<C> {
        let api = self.api;
        let (mut credentials, mut fields) = (SchemeCredentials::default(), Vec::new());
        for (name, source) in self.credentials {
            let credential: Arc<dyn Credential> = match (api.scheme(&name), source) {
                (Ok((_, scheme)), Source::Given(secret)) => Arc::new(checked(&name, scheme, secret)?),
                (Ok(_), Source::Fetched(credential)) => credential,
                (Err(unknown), Source::Given(secret)) => {
                    let mut fields_of = api.tokens().iter().flat_map(|t| &t.source.fields);
                    let field = fields_of.find(|field| field.name == name).ok_or(unknown)?;
                    // Sent in a body, not a header: checked only for being empty.
                    fields.push((field, checked(&name, Scheme::Query(""), secret)?));
                    continue;
                }
                (Err(unknown), Source::Fetched(_)) => return Err(unknown),
            };
            credentials = credentials.with(api, &name, credential)?;
        }
        // A password sent in a token's body is masked as a credential is.
        let masked = fields.iter().filter(|(field, _)| field.secret).map(|(_, secret)| secret.clone());
        credentials = credentials.masking(masked.collect::<Vec<_>>());
        let drift: Arc<crate::drift::DriftLog> = Arc::default();
        for source in api.tokens() {
            if credentials.get(&source.scheme).is_some() {
                continue; // The token itself was given.
            }
            let value = |field: &TokenField| Some(fields.iter().find(|(given, _)| *given == field)?.1.clone());
            let all = &source.source.fields;
            let given: Vec<_> = all.iter().filter_map(|f| Some((f.name.as_str(), value(f)?))).collect();
            if given.is_empty() {
                continue; // No credential: a call that needs the scheme is refused.
            }
            if given.len() < all.len() {
                let missing: Vec<&str> = all.iter().filter(|f| value(f).is_none()).map(|f| f.name.as_str()).collect();
                let (scheme, missing) = (&source.scheme, missing.join(", "));
                return Err(InvalidInput::Config(format!("the {scheme} token also needs {missing}")).into());
            }
            // The token's own call carries the other schemes' credentials only.
            let runtime = Runtime::new(api, &config, credentials.clone(), drift.clone());
            let client = (self.make)(&base_url, http.clone(), runtime);
            let fetch = SpecToken { source, client, fields: given, secrets: credentials.secrets() };
            let token = TokenCredential::new(source.operation, self.refresh_margin, fetch);
            credentials = credentials.with(api, &source.scheme, Arc::new(token))?;
        }
        let mut client = (self.make)(&base_url, http, Runtime::new(api, &config, credentials, drift));
        for finish in self.finish {
            finish(&mut client);
        }
        Ok(client)
    }
}

/// A given secret that can be sent as `scheme` says: not empty, and (for
/// the schemes sent in a header) a valid header value, which would
/// otherwise go unsent.
fn checked(name: &str, scheme: Scheme, secret: Secret) -> Result<Secret> {
    let problem = if secret.expose().trim().is_empty() {
        "is empty"
    } else if !matches!(scheme, Scheme::Query(_)) && secret.header_value("").is_none() {
        "holds characters a header cannot carry (such as a line break)"
    } else if matches!(scheme, Scheme::Basic) && !secret.expose().contains(':') {
        "must be user:password"
    } else {
        return Ok(secret);
    };
    Err(InvalidInput::Config(format!("the {name} credential {problem}")).into())
}

/// An API's client where its module adds flows to the generated one: the
/// generated client (every operation of the spec is a method, through
/// `Deref`) and the state those flows keep (a token, caps), shared by
/// clones. `luware::Client`, `raia::Client` and others are one.
#[derive(Clone, Debug)]
pub struct ApiClient<G, S = ()> {
    pub(crate) api: G,
    #[cfg_attr(not(feature = "luware"), allow(dead_code))]
    pub(crate) state: S,
}

impl<G, S> std::ops::Deref for ApiClient<G, S> {
    type Target = G;

    fn deref(&self) -> &G {
        &self.api
    }
}

/// Its generated client's operations, by id.
impl<G: OperationClient + Sync, S: Sync> OperationClient for ApiClient<G, S> {
    fn base_url(&self) -> &str {
        self.api.base_url()
    }

    fn http_client(&self) -> &reqwest::Client {
        self.api.http_client()
    }

    fn execute_operation(
        &self,
        operation_id: &str,
        request: reqwest::Request,
    ) -> impl std::future::Future<Output = Result<reqwest::Response>> + Send {
        self.api.execute_operation(operation_id, request)
    }
}

/// A client generated from a spec (build.rs implements it for each).
pub(crate) trait Generated: Sized {
    /// What the runtime knows of the client's API.
    fn api() -> &'static ApiInfo;
    /// The client at `base_url`, sending through `http` and `runtime`.
    fn with_runtime(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self;
}

/// A client made from its spec: the generated one of every API (build.rs
/// implements it), or an API's own around it ([`ApiClient`]). Code that
/// serves any API through its spec (the CLI) builds clients with it.
#[doc(hidden)]
pub trait SpecClient: OperationClient + Send + Sync + Sized + 'static {
    /// The API's module and feature name.
    const NAME: &'static str;
    /// Its spec, as JSON.
    const SPEC_JSON: &'static str;
    /// A builder of this client at `base_url`, with no credential yet
    /// (see [`SpecClientBuilder`]).
    fn spec_builder(base_url: &str) -> SpecClientBuilder<Self>;
}

impl<G: Generated + SpecClient, S: Default + Send + Sync + 'static> SpecClient for ApiClient<G, S> {
    const NAME: &'static str = G::NAME;
    const SPEC_JSON: &'static str = G::SPEC_JSON;

    fn spec_builder(base_url: &str) -> SpecClientBuilder<Self> {
        let make = |url: &str, http, runtime| Self { api: G::with_runtime(url, http, runtime), state: S::default() };
        SpecClientBuilder::for_spec(base_url, G::api(), make)
    }
}

impl<G, S> ApiClient<G, S> {
    /// The generated client. The client derefs to it, so its methods are
    /// the client's own.
    pub fn generated(&self) -> &G {
        &self.api
    }
}
