//! SchemeCredentials, one per security scheme of the spec: a static header (an API
//! key), or a token fetched once for all concurrent callers, refreshed before
//! it expires and after the server rejects it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::Request;
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderName, HeaderValue};

use super::Scheme;
use crate::error::Result;
use crate::secret::Secret;

/// A boxed future, for the object-safe credential traits.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The value one security scheme needs on a request.
pub(crate) trait Credential: Send + Sync + fmt::Debug {
    /// Nothing when a usable value is at hand (as on almost every call),
    /// else the fetch of one to wait for.
    fn ready(&self) -> Option<BoxFuture<'_, Result<()>>> {
        None
    }
    /// The value to send, and the generation of a refreshable one.
    fn current(&self) -> Option<(Secret, Option<u64>)>;
    /// After a rejection of `generation`: fetch a new value. `true` if the
    /// next attempt will carry a different one.
    fn refresh(&self, _generation: u64) -> BoxFuture<'_, bool> {
        Box::pin(async { false })
    }
}

/// A value that does not change, such as an API key.
impl Credential for Secret {
    fn current(&self) -> Option<(Secret, Option<u64>)> {
        Some((self.clone(), None))
    }
}

/// The credentials of one client, by security scheme name.
#[derive(Default, Clone, Debug)]
pub(crate) struct SchemeCredentials {
    by_scheme: Vec<(&'static str, Scheme, Arc<dyn Credential>)>,
    /// Secrets that are not sent as a header (a password in a login body)
    /// but are masked in error excerpts all the same.
    masked: Vec<Secret>,
    /// Each scheme's header as last built, with the secret it holds: a token
    /// goes out on every call, and building its header checks and copies
    /// every byte (shared by clones, which hold the same secrets).
    built: Arc<Mutex<Vec<BuiltHeader>>>,
}

/// A scheme's name, a secret, and the header that carries it (`None`: none can).
type BuiltHeader = (&'static str, Secret, Option<(HeaderName, HeaderValue)>);

impl SchemeCredentials {
    /// Uses `credential` for the scheme `name` of `api`'s spec; an error if
    /// the spec has no such scheme.
    pub(crate) fn with(mut self, api: &super::ApiInfo, name: &str, credential: Arc<dyn Credential>) -> Result<Self> {
        let (name, scheme) = api.scheme(name)?;
        self.by_scheme.retain(|(n, _, _)| *n != name);
        self.by_scheme.push((name, scheme, credential));
        Ok(self)
    }

    /// Masks `secret` in every error excerpt of this client, as the
    /// credentials themselves are: for secrets sent in a body.
    pub(crate) fn masking(mut self, secrets: impl IntoIterator<Item = Secret>) -> Self {
        self.masked.extend(secrets);
        self
    }

    /// Each scheme's name, how it is sent and its credential.
    pub(crate) fn all(&self) -> &[(&'static str, Scheme, Arc<dyn Credential>)] {
        &self.by_scheme
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Arc<dyn Credential>> {
        self.by_scheme.iter().find(|(n, _, _)| *n == name).map(|(_, _, c)| c)
    }

    /// Adds the credentials of `schemes` to the request; returns the
    /// generations of the refreshable ones used.
    pub(super) fn apply(&self, schemes: &[&str], request: &mut Request) -> Vec<(&'static str, u64)> {
        let mut used = Vec::new();
        for (name, scheme, credential) in &self.by_scheme {
            if !schemes.contains(name) {
                continue;
            }
            let Some((value, generation)) = credential.current() else { continue };
            if let Scheme::Query(parameter) = scheme {
                request.url_mut().query_pairs_mut().append_pair(parameter, value.expose());
            } else if let Some((header, value)) = self.header(name, *scheme, &value) {
                request.headers_mut().insert(header, value);
            }
            if let Some(generation) = generation {
                used.push((*name, generation));
            }
        }
        used
    }

    /// Whether a credential of `schemes` may be refreshed (a token): only
    /// then is a request rejected with a 401 sent again.
    pub(super) fn refreshable(&self, schemes: &[&str]) -> bool {
        let mut used = self.by_scheme.iter().filter(|(name, _, _)| schemes.contains(name));
        used.any(|(_, _, credential)| credential.current().is_none_or(|(_, generation)| generation.is_some()))
    }

    /// Whether the current value of scheme `name` can be sent: visible
    /// ASCII only (a line break would end the header).
    pub(super) fn sendable(&self, name: &str) -> bool {
        let Some((name, scheme, credential)) = self.by_scheme.iter().find(|(n, _, _)| *n == name) else { return true };
        match (scheme, credential.current()) {
            (_, None) => true,
            (Scheme::Query(_), Some((value, _))) => value.fits_header(),
            (_, Some((value, _))) => self.header(name, *scheme, &value).is_some(),
        }
    }

    /// The header that carries `value` for `scheme`, built once per secret;
    /// `None` for a query parameter, or a value a header cannot carry.
    fn header(&self, name: &'static str, scheme: Scheme, value: &Secret) -> Option<(HeaderName, HeaderValue)> {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, header)) = built.iter().find(|(n, v, _)| *n == name && v.is(value)) {
            return header.clone();
        }
        let header_name = match scheme {
            Scheme::Header(header) => HeaderName::from_static(header),
            Scheme::Bearer | Scheme::Basic => AUTHORIZATION,
            Scheme::Cookie(_) => COOKIE,
            Scheme::Query(_) => return None,
        };
        let header = match scheme {
            _ if !value.fits_header() => None,
            Scheme::Bearer => value.header_value("Bearer "),
            Scheme::Basic => {
                use base64::Engine;
                let encoded = base64::engine::general_purpose::STANDARD.encode(value.expose());
                Secret::from(encoded).header_value("Basic ")
            }
            Scheme::Cookie(cookie) => value.header_value(&format!("{cookie}=")),
            _ => value.header_value(""),
        };
        let header = header.map(|header| (header_name, header));
        built.retain(|(n, _, _)| *n != name);
        built.push((name, value.clone(), header.clone()));
        header
    }

    /// After a 401: refreshes the refreshable credentials that were used.
    pub(super) async fn refresh(&self, used: &[(&'static str, u64)]) -> bool {
        let mut refreshed = false;
        for (name, generation) in used {
            if let Some(credential) = self.get(name) {
                refreshed |= credential.refresh(*generation).await;
            }
        }
        refreshed
    }

    /// Every secret value this client holds now: the credentials' current
    /// values (a cached token included) and the secrets it masks. An error
    /// body that echoes the request must not print them.
    pub(super) fn secrets(&self) -> Vec<Secret> {
        let current = self.by_scheme.iter().filter_map(|(_, _, credential)| credential.current().map(|(v, _)| v));
        current.chain(self.masked.iter().cloned()).collect()
    }
}

/// Fetches a new token, such as by calling the API's token or login
/// operation. Returns the token and how long it lasts from now (`None`:
/// until the server rejects it).
pub(crate) trait TokenFetch: Send + Sync + fmt::Debug {
    fn fetch(&self) -> BoxFuture<'_, Result<(Secret, Option<Duration>)>>;
}

/// How long before it expires a token is refreshed, unless a builder says
/// otherwise ([`SpecClientBuilder::token_refresh_margin`](crate::SpecClientBuilder::token_refresh_margin)).
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The longest token accepted. Tokens go in a header, where servers
/// commonly refuse more than 8 to 16 KiB in all; a larger "token" is a
/// server's mistake (or worse), not something to send on every call.
pub(crate) const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A cached token with single-flight refresh: concurrent callers that find no
/// fresh token wait for one fetch instead of each starting their own. Every
/// fetched token gets a generation number, so a caller whose request was
/// rejected can drop exactly the token it used, and not a newer one.
#[derive(Debug)]
pub(crate) struct TokenCredential {
    fetcher: Box<dyn TokenFetch>,
    /// The operation (or source) that gives the token, for errors.
    operation: &'static str,
    /// How long before it expires a token is refreshed.
    margin: Duration,
    cache: RwLock<Option<CachedToken>>,
    refresh: tokio::sync::Mutex<u64>,
}

#[derive(Debug)]
struct CachedToken {
    value: Secret,
    /// When to fetch a new one; `None` means only after a rejection.
    refresh_at: Option<Instant>,
    generation: u64,
}

impl TokenCredential {
    /// Tokens from `fetcher`, which calls `operation`, refreshed `margin`
    /// before they expire (at most half-way through their life).
    pub(crate) fn new(operation: &'static str, margin: Duration, fetcher: impl TokenFetch + 'static) -> Self {
        let (cache, refresh) = (RwLock::new(None), tokio::sync::Mutex::new(0));
        Self { fetcher: Box::new(fetcher), operation, margin, cache, refresh }
    }

    fn fresh_generation(&self) -> Option<u64> {
        let cache = self.cache.read().ok()?;
        let token = cache.as_ref()?;
        token.refresh_at.is_none_or(|at| Instant::now() < at).then_some(token.generation)
    }

    /// The generation of a fresh token, fetched (once, for all concurrent
    /// callers) when there is none.
    pub(crate) async fn ensure(&self) -> Result<u64> {
        if let Some(generation) = self.fresh_generation() {
            return Ok(generation);
        }
        let mut generations = self.refresh.lock().await;
        // Whoever held the lock before us may have refreshed already.
        if let Some(generation) = self.fresh_generation() {
            return Ok(generation);
        }
        let issued = Instant::now();
        let (value, lifetime) = self
            .fetcher
            .fetch()
            .await
            .and_then(|fetched| self.within_cap(fetched))
            .inspect_err(|e| tracing::warn!(error = %e, "token fetch failed"))?;
        let refresh_at = lifetime.map(|lifetime| refresh_time(issued, lifetime, self.margin));
        *generations += 1;
        let generation = *generations;
        if let Ok(mut cache) = self.cache.write() {
            *cache = Some(CachedToken { value, refresh_at, generation });
        }
        match refresh_at {
            Some(at) => tracing::info!(
                generation,
                refresh_in_s = at.saturating_duration_since(Instant::now()).as_secs(),
                "token refreshed"
            ),
            None => tracing::info!(generation, "token refreshed (kept until the server rejects it)"),
        }
        Ok(generation)
    }

    /// A fetched token no longer than [`MAX_TOKEN_BYTES`].
    fn within_cap(&self, fetched: (Secret, Option<Duration>)) -> Result<(Secret, Option<Duration>)> {
        let length = fetched.0.expose().len();
        if length <= MAX_TOKEN_BYTES {
            return Ok(fetched);
        }
        Err(crate::Error::Decode {
            operation: self.operation,
            reason: format!("the token is {length} bytes, more than the {MAX_TOKEN_BYTES} a token may hold; not used"),
            body: Default::default(),
        })
    }
}

impl Credential for TokenCredential {
    fn ready(&self) -> Option<BoxFuture<'_, Result<()>>> {
        if self.fresh_generation().is_some() {
            return None;
        }
        Some(Box::pin(async { self.ensure().await.map(drop) }))
    }

    fn current(&self) -> Option<(Secret, Option<u64>)> {
        let cache = self.cache.read().ok()?;
        cache.as_ref().map(|t| (t.value.clone(), Some(t.generation)))
    }

    fn refresh(&self, generation: u64) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            // Drops the rejected token, unless a newer one replaced it already.
            if let Ok(mut cache) = self.cache.write()
                && cache.as_ref().is_some_and(|t| t.generation == generation)
            {
                *cache = None;
            }
            self.ensure().await.is_ok_and(|fresh| fresh != generation)
        })
    }
}

/// Gets a scheme's token from the spec's operation that gives it
/// (`x-token`): sends that operation with the client's values for its
/// body's fields, through `client`, which has the other schemes'
/// credentials only (the token call never asks for a token).
pub(crate) struct SpecToken<C> {
    pub(crate) source: &'static super::TokenInfo,
    pub(crate) client: C,
    /// The values of the body's fields, by name.
    pub(crate) fields: Vec<(&'static str, Secret)>,
    /// The client's other secrets, masked in an answer without a token.
    pub(crate) secrets: Vec<Secret>,
}

impl<C> fmt::Debug for SpecToken<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<&str> = self.fields.iter().map(|(name, _)| *name).collect();
        f.debug_struct("SpecToken").field("operation", &self.source.operation).field("fields", &fields).finish()
    }
}

impl<C: crate::OperationClient + Send + Sync> TokenFetch for SpecToken<C> {
    /// Sends the token operation with its fields as a form, or as a JSON
    /// object (a number field's text a number), checked against the spec
    /// before it leaves as every call is, and reads the token off the answer.
    fn fetch(&self) -> BoxFuture<'_, Result<(Secret, Option<Duration>)>> {
        Box::pin(async move {
            let (source, token) = (self.source, &self.source.source);
            let url = format!("{}{}", self.client.base_url().trim_end_matches('/'), source.path);
            let builder = self.client.http_client().request(source.method.clone(), url);
            let pairs = self.fields.iter().map(|(name, value)| (*name, value.expose()));
            let builder = if token.form {
                builder.form(&pairs.collect::<Vec<_>>())
            } else {
                let number = |name: &str| token.fields.iter().any(|field| field.name == name && field.number);
                let value = |name: &str, text: &str| match number(name) {
                    true => {
                        serde_json::from_str::<serde_json::Number>(text).map_or(text.into(), serde_json::Value::Number)
                    }
                    false => text.into(),
                };
                let body: serde_json::Map<_, _> =
                    pairs.map(|(name, text)| (name.to_owned(), value(name, text))).collect();
                builder.json(&body)
            };
            let request = builder.header(reqwest::header::ACCEPT, "application/json").build();
            let request = request.map_err(|e| crate::Error::transport(source.operation, e))?;
            let answer = self.client.execute_operation(source.operation, request).await?;
            let body = answer.extensions().get::<super::JsonBody>().map(|body| &body.0);
            let at = |pointer: &str| body.and_then(|body| body.pointer(pointer));
            let Some(value) = at(&token.token).and_then(serde_json::Value::as_str).filter(|t| !t.is_empty()) else {
                // Its excerpt with every secret-like field masked: a token
                // under another name must not show.
                let secrets = self.fields.iter().map(|(_, value)| value).chain(&self.secrets);
                let secrets: Vec<&str> = secrets.map(Secret::expose).collect();
                let shown = body.map(|body| body.to_string()).unwrap_or_default();
                return Err(crate::Error::Decode {
                    operation: source.operation,
                    reason: format!("missing field: the answer holds no token at {}", token.token),
                    body: crate::error::BodyExcerpt::from_body(shown.as_bytes(), &secrets),
                });
            };
            // Its lifetime: a JWT's `exp` claim, else the answer's
            // `expires_in`, else the documented lifetime, never more than
            // that (`None`: kept until the server rejects it).
            let documented = token.lifetime.map(Duration::from_secs);
            let expires_in = token.expires_in.as_deref().and_then(at).and_then(serde_json::Value::as_u64);
            let from_claim = jwt_expiry(value).map(|exp| exp.duration_since(SystemTime::now()).unwrap_or_default());
            let lifetime = from_claim.or(expires_in.map(Duration::from_secs)).or(documented);
            Ok((Secret::from(value), lifetime.map(|lifetime| documented.map_or(lifetime, |cap| lifetime.min(cap)))))
        })
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
fn refresh_time(issued: Instant, lifetime: Duration, margin: Duration) -> Instant {
    issued + lifetime - margin.min(lifetime / 2)
}
