//! What every generated client shares, in one place: configuration,
//! credentials for each operation the spec secures, retries, one resend after
//! a 401, tracing, and the mapping of every failure into [`crate::Error`].
//! Generated methods reach it through the progenitor hooks that `build.rs`
//! adds to each client (`pre` and `exec`), so no call site asks for any of it.
//! Success bodies decode through [`decode`], which also counts the drift
//! from the spec they show ([`crate::drift`]) in the client's log.

mod auth;
mod builder;
pub(crate) mod config;
mod observe;
mod pace;
mod paginate;
mod retry;

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Method, Request, Response, StatusCode};
use tracing::Instrument;

pub(crate) use auth::Credential;
pub(crate) use auth::SchemeCredentials;
// What each API's module uses; an API that is not built does not need it.
#[cfg(feature = "liveperson")]
pub(crate) use auth::jwt_expiry;
#[cfg(any(feature = "liveperson", feature = "salesloft"))]
pub(crate) use auth::{BoxFuture, TokenFetch};
pub(crate) use auth::{REFRESH_MARGIN, SpecToken, TokenCredential};
pub(crate) use builder::Generated;
pub use builder::{ApiClient, BuildClient, ClientBuilder, Connection, SpecClient, SpecClientBuilder};
pub use config::{ClientConfig, install_tls_provider};
pub use observe::{ExchangeObserver, Observed};
#[cfg(feature = "salesloft")]
pub(crate) use pace::RateLimit;
pub use paginate::{ItemStream, Page, paginate};
#[cfg(feature = "luware")]
pub(crate) use paginate::{PageRetries, again_if_transient};
// Used by the `stream()` build.rs generates, only when an enabled API pages.
#[allow(unused_imports)]
pub use paginate::{next_page, next_page_number, page_parameter};
pub use retry::RetryPolicy;

use crate::error::{BodyExcerpt, Error, INCOMPLETE_BODY, InvalidInput, Result, Timeouts, seconds};
use crate::spec::model::Spec;
use crate::spec::validate::{RequestParts, SpecValidator, Violation};

/// The longest error body kept in memory to take an excerpt from; the rest
/// is not read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// How a security scheme of the spec is sent. Which carriers occur depends
/// on the specs built.
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)]
pub(crate) enum Scheme {
    /// An API key in the named (lower-case) header.
    Header(&'static str),
    /// An API key in the named query parameter.
    Query(&'static str),
    /// An API key in the named cookie.
    Cookie(&'static str),
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic <base64 of user:password>`.
    Basic,
}

/// What the runtime knows of one API, generated from its spec by `build.rs`.
#[derive(Debug)]
pub(crate) struct ApiInfo {
    pub(crate) name: &'static str,
    pub(crate) spec_json: &'static str,
    /// The request checks derived from the spec, built on first use.
    pub(crate) validator: OnceLock<Option<&'static SpecValidator>>,
    /// POSTs the spec marks `x-retry-safe` (they create nothing).
    pub(crate) retry_safe_operations: &'static [&'static str],
    /// Operations whose success body the generated code hands over as a
    /// stream: the spec documents no JSON for it.
    pub(crate) streamed_operations: &'static [&'static str],
    /// The security schemes each operation needs (snake_case operation ids).
    pub(crate) operation_security: &'static [(&'static str, &'static [&'static str])],
    /// How each scheme is sent.
    pub(crate) security_schemes: &'static [(&'static str, Scheme)],
    /// Operations the spec serves from their own server (path-level
    /// `servers`), and that server's URL.
    pub(crate) operation_servers: &'static [(&'static str, &'static str)],
    /// Each `operationId` as the spec spells it, and as progenitor's hooks
    /// name it (snake_case).
    pub(crate) operation_ids: &'static [(&'static str, &'static str)],
    /// The spec's `x-rate-limit`: the budget headers to pace calls by.
    pub(crate) rate_limit: Option<pace::RateLimit>,
    /// The schemes whose token an operation of the spec gives (`x-token`),
    /// read from the spec on first use.
    pub(crate) tokens: OnceLock<Vec<TokenInfo>>,
}

/// A scheme whose token an operation of the spec gives (`x-token`).
#[derive(Debug)]
pub(crate) struct TokenInfo {
    pub(crate) scheme: String,
    pub(crate) source: crate::spec::model::TokenSource,
    /// The operation, as progenitor's hooks name it (snake_case).
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) path: String,
}

impl ApiInfo {
    /// The spec's request checks; `None` (and a warning) if the spec uses
    /// something the validator cannot enforce, which the specs' tests rule out.
    pub(crate) fn validator(&self) -> Option<&'static SpecValidator> {
        *self.validator.get_or_init(|| {
            SpecValidator::embedded(self.spec_json)
                .inspect_err(|e| tracing::warn!(api = self.name, error = %e, "requests go unchecked"))
                .ok()
        })
    }

    /// The schemes whose token an operation of the spec gives, with how to
    /// call it.
    pub(crate) fn tokens(&self) -> &[TokenInfo] {
        self.tokens.get_or_init(|| {
            let spec = Spec::embedded(self.spec_json).ok().into_iter();
            let schemes = spec.flat_map(|spec| spec.security_schemes.iter().map(move |scheme| (spec, scheme)));
            let token = |(spec, scheme): (&Spec, &crate::spec::model::SecurityScheme)| {
                let source = scheme.token.clone()?;
                let op = spec.operation(&source.operation)?;
                let &(_, operation) = self.operation_ids.iter().find(|(id, _)| *id == op.id)?;
                let method = Method::from_bytes(op.method.to_ascii_uppercase().as_bytes()).ok()?;
                Some(TokenInfo { scheme: scheme.name.clone(), source, operation, method, path: op.path.clone() })
            };
            schemes.filter_map(token).collect()
        })
    }

    /// The spec's spelling of an operation (progenitor's hooks name it in
    /// snake_case), as users know it.
    fn spec_id(&self, operation: &'static str) -> &'static str {
        self.operation_ids.iter().find(|(_, snake)| *snake == operation).map_or(operation, |(id, _)| id)
    }

    /// The spec's scheme `name` and how it is sent; an error naming the
    /// schemes there are when the spec has no such scheme.
    pub(crate) fn scheme(&self, name: &str) -> Result<(&'static str, Scheme)> {
        match self.security_schemes.iter().find(|(n, _)| *n == name) {
            Some(&found) => Ok(found),
            None => {
                let known: Vec<&str> = self.security_schemes.iter().map(|(n, _)| *n).collect();
                let mut known = if known.is_empty() { "none".to_owned() } else { known.join(", ") };
                let tokens = self.tokens().iter().flat_map(|t| &t.source.fields);
                let fields: Vec<&str> = tokens.map(|field| field.name.as_str()).collect();
                if !fields.is_empty() {
                    known = format!("{known}; its token's fields: {}", fields.join(", "));
                }
                Err(InvalidInput::Config(format!(
                    "{} has no security scheme {name:?} (the spec's: {known})",
                    self.name
                ))
                .into())
            }
        }
    }

    fn schemes_of(&self, operation: &str) -> &'static [&'static str] {
        self.operation_security.iter().find(|(id, _)| *id == operation).map_or(&[], |(_, schemes)| schemes)
    }
}

/// The state a generated client carries (progenitor's "inner type").
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

struct RuntimeInner {
    api: &'static ApiInfo,
    retry: RetryPolicy,
    max_body_bytes: u64,
    json_deadline: Duration,
    credentials: SchemeCredentials,
    /// The client's timeouts, to say which one ran out.
    timeouts: Timeouts,
    /// Where a server of the spec really is (a proxy, a sandbox).
    servers: Vec<(&'static str, String)>,
    /// The rate-limit budget, for an API whose spec declares one.
    pacer: Option<pace::Pacer>,
    /// The path of the base URL last checked against, with that URL: a
    /// client's base URL rarely changes, and parsing it (IDNA and all) on
    /// every call was a visible part of the per-call cost.
    base_path: std::sync::Mutex<Option<(String, String)>>,
    /// What this client's responses held that the spec does not list
    /// (shared with the other runtimes of one hand-written client).
    drift: Arc<crate::drift::DriftLog>,
    observer: Option<ExchangeObserver>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("api", &self.inner.api.name)
            .field("retry", &self.inner.retry)
            .field("credentials", &self.inner.credentials)
            .finish()
    }
}

/// What the runtime leaves on an error response for `crate::Error`: the
/// operation, and a masked excerpt of the body.
#[derive(Clone)]
pub(crate) struct ResponseContext {
    pub(crate) operation: &'static str,
    pub(crate) body: BodyExcerpt,
}

/// What a successful response carries for [`decode`]: the operation it
/// answered; for a typed call that may be sent again, the client and an
/// unsent copy of the request, to ask again for a body cut short; and a
/// JSON body as the runtime read it (handed over as it is, not read again
/// from the response).
#[derive(Clone)]
struct DecodeContext {
    operation: &'static str,
    again: Option<Arc<(reqwest::Client, Request)>>,
    body: Option<bytes::Bytes>,
}

/// The operation a successful response answered, when it came through the
/// runtime's hooks; `""` otherwise.
pub(crate) fn operation_of(response: &Response) -> &'static str {
    response.extensions().get::<DecodeContext>().map_or("", |c| c.operation)
}

impl Runtime {
    /// A runtime counting its drift in `drift` (the log a client shares
    /// between the runtimes it builds, e.g. one for its token).
    pub(crate) fn new(
        api: &'static ApiInfo,
        config: &ClientConfig,
        credentials: SchemeCredentials,
        drift: Arc<crate::drift::DriftLog>,
    ) -> Self {
        let timeouts = Timeouts {
            connect: Some(config.connect_timeout),
            read: Some(config.read_timeout),
            request: config.request_timeout,
        };
        let pacer = api.rate_limit.map(|limit| {
            pace::Pacer::new(pace::RateLimit { window: config.rate_limit_window.unwrap_or(limit.window), ..limit })
        });
        let inner = RuntimeInner {
            api,
            retry: config.retry.clone(),
            max_body_bytes: config.max_body_bytes,
            json_deadline: config.json_deadline,
            credentials,
            timeouts,
            servers: Vec::new(),
            pacer,
            base_path: std::sync::Mutex::new(None),
            drift,
            observer: config.observer.clone(),
        };
        Self { inner: Arc::new(inner) }
    }

    /// Fetches every token its credentials need now, unless fresh ones are cached.
    pub(crate) async fn authenticate(&self) -> Result<()> {
        for (_, _, credential) in self.inner.credentials.all() {
            if let Some(fetch) = credential.ready() {
                fetch.await?;
            }
        }
        Ok(())
    }

    /// The policy this client's requests are retried by (also the page
    /// retries of its lists: [`ItemStream::with_retries`]).
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The drift this client's responses showed (`client.drift()` on every
    /// generated client): see [`crate::drift`].
    pub(crate) fn drift(&self) -> crate::drift::DriftReport {
        self.inner.drift.report()
    }

    #[cfg(feature = "liveperson")]
    /// Sends the operations the spec serves from `spec_url` to `base_url`.
    pub(crate) fn with_server(mut self, spec_url: &'static str, base_url: String) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.servers.push((spec_url, base_url));
        }
        self
    }

    /// Moves a request of an operation with its own server there; returns
    /// the base URL the request now has.
    fn route<'a>(&'a self, base_url: &'a str, request: &mut Request, operation: &str) -> &'a str {
        let Some((_, server)) = self.inner.api.operation_servers.iter().find(|(id, _)| *id == operation) else {
            return base_url;
        };
        let target =
            self.inner.servers.iter().find(|(spec, _)| spec == server).map_or(*server, |(_, url)| url.as_str());
        let target = target.trim_end_matches('/');
        let url = request.url().as_str();
        if let Some(rest) = url.strip_prefix(base_url.trim_end_matches('/'))
            && let Ok(moved) = reqwest::Url::parse(&format!("{target}{rest}"))
        {
            *request.url_mut() = moved;
            return target;
        }
        base_url
    }

    /// progenitor's `pre` hook: checks the request against the spec (so bad
    /// input never leaves), then makes sure every credential the operation
    /// needs is at hand, fetching a token if none is fresh. A failed token
    /// fetch ends the call here, with the token call's error.
    pub(crate) async fn prepare<E>(
        &self,
        base_url: &str,
        request: &mut Request,
        info: &OperationInfo,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        let base_url = self.route(base_url, request, info.operation_id);
        if let Some(violation) = self.check(base_url, request, info.operation_id) {
            return Err(progenitor_client::Error::InvalidRequest(violation));
        }
        for scheme in self.inner.api.schemes_of(info.operation_id) {
            // Sent without it, the call could only be refused.
            let Some(credential) = self.inner.credentials.get(scheme) else {
                return Err(progenitor_client::Error::InvalidRequest(format!(
                    "{} needs the {scheme} credential, which this client was not given",
                    self.inner.api.spec_id(info.operation_id)
                )));
            };
            if let Some(fetch) = credential.ready()
                && let Err(error) = fetch.await
            {
                return Err(hook_error(error).await);
            }
            // Left out, it would send the request without it.
            if !self.inner.credentials.sendable(scheme) {
                return Err(progenitor_client::Error::InvalidRequest(format!(
                    "the {scheme} credential holds characters a header cannot carry (such as a line break)"
                )));
            }
        }
        Ok(())
    }

    /// The first rule of the spec the request breaks. A base URL whose path
    /// the request does not start with (another server) is not checked.
    fn check(&self, base_url: &str, request: &Request, operation: &'static str) -> Option<String> {
        let validator = self.inner.api.validator()?;
        let path = self.path_below(base_url, request.url().path())?;
        let id = self.inner.api.spec_id(operation);
        // Only the headers the check reads: credentials are not copied.
        let headers = text_headers(request.headers(), |name| validator.reads_header(id, name));
        let body = request.body().and_then(reqwest::Body::as_bytes).unwrap_or_default();
        let parts = RequestParts {
            method: request.method().as_str(),
            path,
            query: request.url().query(),
            headers: &headers,
            body,
        };
        match validator.check_for(id, &parts) {
            Err(violation @ Violation::Invalid { .. }) => Some(violation.to_string()),
            // The generated code built this path from the operation's own
            // template, so it fails to route only when a parameter is empty.
            Err(Violation::NotFound { path }) => Some(format!("{path}: a path parameter is empty")),
            _ => None,
        }
    }

    /// What follows the path of `base_url` (without its trailing slash) in
    /// `path`, if `path` starts with it.
    fn path_below<'p>(&self, base_url: &str, path: &'p str) -> Option<&'p str> {
        let mut cached = self.inner.base_path.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if cached.as_ref().is_none_or(|(url, _)| url != base_url) {
            let base_path = reqwest::Url::parse(base_url).ok()?.path().trim_end_matches('/').to_owned();
            *cached = Some((base_url.to_owned(), base_path));
        }
        path.strip_prefix(cached.as_ref()?.1.as_str())
    }

    /// progenitor's `exec` hook: adds credentials, sends, retries transient
    /// failures by the retry policy, resends once with a refreshed token
    /// after a 401, and records a span. A call that got no answer, or one it
    /// could use, fails with its [`Error`] (a classified [`Error::Transport`]
    /// names the operation, which progenitor's own error would not), carried
    /// to `crate::Error` by the `reqwest::Error` ([`Error::carried`]).
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        request: Request,
        info: &OperationInfo,
    ) -> reqwest::Result<Response> {
        let span = tracing::info_span!(
            "convo.request",
            api = self.inner.api.name,
            operation = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let operation = info.operation_id;
        // A typed call's body is checked as it decodes, where one cut short is asked for again.
        let typed = !WANTS_VALUE.try_with(|wants| *wants).unwrap_or(false);
        let again = typed && self.inner.retry.is_enabled() && self.may_retry(request.method(), operation);
        let sent = self.inner.observer.as_ref().map(|_| observe::SentRequest::of(&request));
        match self.execute_authenticated(client, request, operation).instrument(span).await {
            Ok((mut response, copy)) => {
                if let (Some(sent), Some(observer)) = (&sent, &self.inner.observer) {
                    response = self.observe(observer, sent, operation, response).await;
                }
                if response.status().is_success() {
                    let again = copy.filter(|_| again).map(|request| Arc::new((client.clone(), request)));
                    match response.extensions_mut().get_mut::<DecodeContext>() {
                        Some(context) => context.again = again,
                        None => drop(response.extensions_mut().insert(DecodeContext { operation, again, body: None })),
                    }
                }
                Ok(response)
            }
            Err(error) => Err(error.carried().await),
        }
    }

    /// Hands the observer the survey and record of a server's answer. A body
    /// already in memory (JSON, or an error's) is read and put back; a
    /// download is left unread.
    async fn observe(
        &self,
        observer: &ExchangeObserver,
        sent: &observe::SentRequest,
        operation: &'static str,
        response: Response,
    ) -> Response {
        let status = response.status();
        let headers = response.headers().clone();
        let in_memory = !status.is_success() || content_is_json(&headers);
        let extensions = response.extensions().clone();
        let read = extensions.get::<DecodeContext>().and_then(|context| context.body.clone());
        let (body, response) = if let Some(body) = read {
            (Some(body), response)
        } else if in_memory {
            let url = response.url().clone();
            let body = response.bytes().await.unwrap_or_default();
            let mut rebuilt = rebuilt(url, status, headers.clone(), body.clone());
            rebuilt.extensions_mut().extend(extensions);
            (Some(body), Response::from(rebuilt))
        } else {
            (None, response)
        };
        let spec_id = self.inner.api.spec_id(operation);
        let pairs = text_headers(&headers, |_| true);
        let survey = self.inner.api.validator().map_or_else(Default::default, |validator| {
            let mut survey = validator.survey_response(spec_id, status.as_u16(), &pairs, body.as_deref());
            if status.is_success() {
                let names = sent.sent_names();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let schemes = self.inner.api.schemes_of(operation);
                survey.confirmed.extend(validator.confirmed_by_request(spec_id, &names, schemes));
            }
            survey
        });
        let secrets = self.inner.credentials.secrets();
        let secrets: Vec<&str> = secrets.iter().map(crate::Secret::expose).collect();
        let record = sent.record(spec_id, status.as_u16(), &headers, body.as_deref(), &secrets);
        observer.observe(Observed {
            api: self.inner.api.name,
            operation: spec_id.to_owned(),
            status: status.as_u16(),
            survey,
            record,
        });
        response
    }

    /// The answer, and an unsent copy of the request that got it (none for a
    /// streaming body, or when neither a retry nor a resend could use one).
    async fn execute_authenticated(
        &self,
        client: &reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> Result<(Response, Option<Request>)> {
        let (response, used, copy) = self.execute_with_retries(client, request, operation).await?;
        // A streaming body could not be copied: nothing to resend.
        let refreshed = response.status() == StatusCode::UNAUTHORIZED
            && copy.is_some()
            && self.inner.credentials.refresh(&used).await;
        let (response, copy) = match copy {
            Some(again) if refreshed => {
                tracing::info!(operation, "credential rejected (HTTP 401); refreshed it, sending once more");
                drop(response);
                let (response, _, copy) = self.execute_with_retries(client, again, operation).await?;
                (response, copy)
            }
            copy => (response, copy),
        };
        Ok((self.keep_error_body(response, operation).await?, copy))
    }

    /// Sends `request` (without credentials: each attempt gets the current
    /// ones), retrying transient failures by the policy. Returns the answer,
    /// the generations of the refreshable credentials it carried, and an
    /// unsent copy of the request for a resend, unless its body streams or
    /// nothing could resend it.
    async fn execute_with_retries(
        &self,
        client: &reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> Result<(Response, Vec<(&'static str, u64)>, Option<Request>)> {
        let schemes = self.inner.api.schemes_of(operation);
        let started = Instant::now();
        let retryable = self.inner.retry.is_enabled() && self.may_retry(request.method(), operation);
        // A copy that neither a retry nor a resend after a 401 could use is not made.
        let copied = retryable || self.inner.credentials.refreshable(schemes);
        let mut request = request;
        let mut attempt = 1;
        let method = request.method().clone();
        // Only the log lines read it: not copied when none is written.
        let path =
            if tracing::enabled!(tracing::Level::WARN) { request.url().path().to_owned() } else { String::new() };
        loop {
            // The budget is spent: wait for the window to renew rather than draw a 429.
            if let Some(wait) = self.inner.pacer.as_ref().and_then(|pacer| pacer.wait(Instant::now())) {
                tracing::info!(
                    wait_ms = wait.as_millis() as u64,
                    "{method} {path}: the rate-limit budget is spent; waiting {} for it to renew",
                    seconds(wait)
                );
                tokio::time::sleep(wait).await;
            }
            let attempt_started = Instant::now();
            // Keep a copy for the next attempt or a resend after a 401. A
            // streaming body cannot be copied; then this attempt is the only one.
            let next = if copied { request.try_clone() } else { None };
            let used = self.inner.credentials.apply(schemes, &mut request);
            // Reading a JSON body is part of the attempt: one that breaks
            // off is fetched again like a failed connection.
            let deadline = self.inner.json_deadline;
            let attempt_result = tokio::time::timeout(deadline, async {
                match client.execute(request).await {
                    Ok(response) => self.read_json_body(response, operation).await,
                    Err(error) => Err(Failed::Transport(error)),
                }
            });
            // A server that drips a body slowly enough to keep each read
            // under the read timeout still meets this deadline.
            let result = match attempt_result.await {
                Ok(result) => result,
                Err(_) => Err(Failed::Ours { error: Error::Timeout { operation, waited: deadline }, transient: true }),
            };
            if let (Some(pacer), Ok(response)) = (&self.inner.pacer, &result) {
                pacer.observe(response.headers(), attempt_started);
            }
            let delay = match &result {
                _ if !retryable || next.is_none() => None,
                // A failure of ours is final (a body over the cap), unless
                // another attempt may go better (a missed deadline, a body
                // that ended early).
                Err(Failed::Ours { transient, .. }) => {
                    transient.then(|| self.inner.retry.next_delay(attempt, started.elapsed(), None)).flatten()
                }
                Ok(response) if RetryPolicy::is_retryable_status(response.status()) => {
                    self.inner.retry.next_delay(attempt, started.elapsed(), Some(response.headers()))
                }
                Err(Failed::Transport(error)) if RetryPolicy::is_retryable_error(error) => {
                    self.inner.retry.next_delay(attempt, started.elapsed(), None)
                }
                _ => None,
            };
            let elapsed_ms = attempt_started.elapsed().as_millis() as u64;
            let (delay, next) = match (delay, next) {
                (Some(delay), Some(next)) => (delay, next),
                (_, next) => {
                    let span = tracing::Span::current();
                    span.record("attempts", attempt);
                    span.record("duration_ms", started.elapsed().as_millis() as u64);
                    return match result {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            span.record("status", status);
                            tracing::info!(
                                status,
                                elapsed_ms,
                                attempt,
                                "{method} {path} -> {status} in {elapsed_ms} ms"
                            );
                            Ok((response, used, next))
                        }
                        Err(failed) => {
                            let error = match failed {
                                Failed::Transport(error) => Error::classified_transport(
                                    operation,
                                    error,
                                    &self.inner.timeouts,
                                    attempt_started.elapsed(),
                                ),
                                Failed::Ours { error, .. } => error,
                            };
                            tracing::warn!(elapsed_ms, attempt, "{method} {path} failed: {error}");
                            Err(error)
                        }
                    };
                }
            };
            let reason = match &result {
                Ok(response) => format!("HTTP {}", response.status()),
                Err(Failed::Transport(error)) => {
                    Error::describe_transport(error, &self.inner.timeouts, attempt_started.elapsed())
                }
                Err(Failed::Ours { error, .. }) => error.to_string(),
            };
            let retry_after =
                result.as_ref().ok().and_then(|r| r.headers().get(reqwest::header::RETRY_AFTER)).is_some();
            tracing::info!(
                attempt,
                elapsed_ms,
                wait_ms = delay.as_millis() as u64,
                reason = %reason,
                "{method} {path}: {reason}; waiting {}{} before attempt {}",
                seconds(delay),
                if retry_after { " (Retry-After)" } else { "" },
                attempt + 1
            );
            drop(result);
            tokio::time::sleep(delay).await;
            request = next;
            attempt += 1;
        }
    }

    fn may_retry(&self, method: &Method, operation: &str) -> bool {
        matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
            || self.inner.api.retry_safe_operations.contains(&operation)
    }

    /// A successful JSON response, read whole into memory (progenitor would
    /// read it anyway), so that a body that breaks off is this attempt's
    /// failure, and capped at the configured size. Downloads (other media
    /// types) are handed on unread, to be streamed.
    async fn read_json_body(
        &self,
        mut response: Response,
        operation: &'static str,
    ) -> std::result::Result<Response, Failed> {
        if !response.status().is_success() || !content_is_json(response.headers()) {
            return Ok(response);
        }
        let limit = self.inner.max_body_bytes;
        let too_large = || Err(Failed::Ours { error: Error::BodyTooLarge { operation, limit }, transient: false });
        let declared = response.content_length();
        if declared.is_some_and(|length| length > limit) {
            return too_large();
        }
        // Sized once from the declared length (growing by doubling copied a
        // page's body about twice over), but a server that declares much and
        // sends little gets no more than 8 MiB reserved ahead of its bytes.
        const MAX_RESERVE: u64 = 8 * 1024 * 1024;
        let mut body = Vec::with_capacity(usize::try_from(declared.unwrap_or(0).min(MAX_RESERVE)).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(Failed::Transport)? {
            if (body.len() + chunk.len()) as u64 > limit {
                return too_large();
            }
            body.extend_from_slice(&chunk);
        }
        // A body cut short with a length header to match still reads to
        // its end: only its syntax shows it is not all there. A call that
        // reads the body as JSON values parses it here (see
        // `execute_operation`); a typed one as it decodes (see `decode`).
        let wants_value = WANTS_VALUE.try_with(|wants| *wants).unwrap_or(false);
        let parsed = if body.is_empty() || !wants_value { None } else { Some(serde_json::from_slice(&body)) };
        let parsed = match parsed.transpose() {
            Ok(parsed) => parsed.map(JsonBody),
            Err(e) => {
                return Err(Failed::Ours { error: self.undecodable(operation, &e, &body, true), transient: true });
            }
        };
        let body = bytes::Bytes::from(body);
        let context = DecodeContext { operation, again: None, body: Some(body.clone()) };
        // A typed call's body is read only from the context, by `decode` (and
        // an observer): the response it came in, read to its end, goes on as
        // it is. Values, and a body the spec says is a download, are read
        // from a response built around it.
        if !wants_value && !self.inner.api.streamed_operations.contains(&operation) {
            response.extensions_mut().insert(context);
            return Ok(response);
        }
        let headers = std::mem::take(response.headers_mut());
        let mut read = rebuilt(response.url().clone(), response.status(), headers, body);
        if let Some(parsed) = parsed {
            read.extensions_mut().insert(parsed);
        }
        read.extensions_mut().insert(context);
        Ok(Response::from(read))
    }

    /// A body that does not decode, as an [`Error::Decode`] naming the
    /// operation, with an excerpt that masks this client's secrets; said to
    /// be incomplete (another attempt may fare better) if it is.
    fn undecodable(&self, operation: &'static str, error: &serde_json::Error, body: &[u8], incomplete: bool) -> Error {
        let secrets = self.inner.credentials.secrets();
        let secrets: Vec<&str> = secrets.iter().map(crate::Secret::expose).collect();
        let mut failure = Error::decode(operation, error, body, &secrets);
        if let (true, Error::Decode { reason, .. }) = (incomplete, &mut failure) {
            *reason = format!("{INCOMPLETE_BODY}: {reason}");
        }
        failure
    }

    /// An error response is read (up to [`MAX_ERROR_BODY`]) and handed on
    /// with its excerpt, secrets masked, so that `crate::Error` can show it.
    async fn keep_error_body(&self, response: Response, operation: &'static str) -> Result<Response> {
        let ours = response.extensions().get::<ResponseContext>().is_some();
        if ours || response.status().is_success() || response.status().is_informational() {
            return Ok(response);
        }
        let status = response.status();
        let (url, headers) = (response.url().clone(), response.headers().clone());
        let body = read_capped(response, MAX_ERROR_BODY).await;
        let secrets = self.inner.credentials.secrets();
        let secrets: Vec<&str> = secrets.iter().map(crate::Secret::expose).collect();
        let excerpt = BodyExcerpt::from_body(&body, &secrets);
        // Not retried because the server asked for a longer wait than the
        // policy allows: the error says so rather than look like any 503.
        if let Some(wait) = self.inner.retry.refused_wait(status, &headers) {
            let limit = self.inner.retry.max_delay();
            return Err(Error::RetryAfterTooLong { operation, status, wait, limit, body: excerpt });
        }
        let mut rebuilt = rebuilt(url, status, headers, body.into());
        rebuilt.extensions_mut().insert(ResponseContext { operation, body: excerpt });
        Ok(Response::from(rebuilt))
    }
}

/// At most `cap` bytes of a body; a transport error ends it early.
async fn read_capped(mut response: Response, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < cap {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(cap - body.len())]),
            _ => break,
        }
    }
    body
}

/// A failure of the runtime's own, as a progenitor hook returns it
/// (`crate::Error` takes it back out).
async fn hook_error<E>(error: Error) -> progenitor_client::Error<E> {
    progenitor_client::Error::CommunicationError(error.carried().await)
}

/// How one attempt failed.
enum Failed {
    /// No answer: the connection failed or broke off.
    Transport(reqwest::Error),
    /// A failure of ours on the way (a body over the cap, a missed deadline,
    /// a body that ended early); `transient` if another attempt may avoid it.
    Ours { error: Error, transient: bool },
}

/// The generated code's decoding of a success body (build.rs puts it in
/// place of progenitor's `ResponseValue::from_response`): the same, but a
/// body that does not decode is an [`Error::Decode`] that names the
/// operation and shows an excerpt with the client's secrets and every
/// secret-like field masked (a token response that fails to decode must
/// not print the token). In the same pass, the fields the typed model
/// ignored and the enum values it did not know are counted as drift, in
/// `runtime`'s log and the process's (see [`crate::drift`]).
pub(crate) async fn decode<T: serde::de::DeserializeOwned, E>(
    mut response: Response,
    operation: &'static str,
    runtime: &Runtime,
) -> std::result::Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
    let (started, mut attempt) = (Instant::now(), 1);
    loop {
        let mut context = response.extensions_mut().remove::<DecodeContext>();
        let operation = context.as_ref().map_or(operation, |c| c.operation);
        let status = response.status();
        // Taken, not copied: the body is all that is read after them.
        let headers = std::mem::take(response.headers_mut());
        let bytes = match context.as_mut().and_then(|c| c.body.take()) {
            Some(bytes) => bytes,
            None => match response.bytes().await {
                Ok(bytes) => bytes,
                Err(error) => return Err(hook_error(Error::transport(operation, error)).await),
            },
        };
        let (decoded, findings) = crate::drift::decode(&bytes);
        let error = match decoded {
            Ok(value) => {
                if !findings.is_empty() {
                    let api = runtime.inner.api;
                    let spec_id = api.spec_id(operation);
                    crate::drift::record(&runtime.inner.drift, api.name, spec_id, &findings);
                }
                return Ok(progenitor_client::ResponseValue::new(value, status, headers));
            }
            Err(error) => error,
        };
        // A body cut short with a length header to match reads to its end:
        // only its syntax shows it, and it is asked for again as a failed
        // attempt would be.
        let again = context.filter(|_| error.is_eof()).and_then(|c| Arc::into_inner(c.again?));
        let delay = again.as_ref().and_then(|_| runtime.inner.retry.next_delay(attempt, started.elapsed(), None));
        if let (Some((client, request)), Some(delay)) = (again, delay) {
            tracing::info!(operation, attempt, "{}; waiting {} before asking again", INCOMPLETE_BODY, seconds(delay));
            tokio::time::sleep(delay).await;
            let info = OperationInfo { operation_id: operation };
            // Boxed: inline, this rare resend would double the size of every call's future.
            let resent = Box::pin(runtime.execute(&client, request, &info)).await;
            response = resent.map_err(progenitor_client::Error::CommunicationError)?;
            if !response.status().is_success() {
                return Err(progenitor_client::Error::UnexpectedResponse(response));
            }
            attempt += 1;
            continue;
        }
        let failure = runtime.undecodable(operation, &error, &bytes, error.is_eof());
        tracing::warn!(operation, "{failure}");
        return Err(hook_error(failure).await);
    }
}

/// Every generated client, as code that builds requests from the spec at run
/// time sees it (the CLI's operation commands).
pub trait OperationClient {
    /// The base URL the spec's paths are joined to.
    fn base_url(&self) -> &str;
    /// The HTTP client to build requests with.
    fn http_client(&self) -> &reqwest::Client;
    /// Sends a request built outside the typed builders through the same
    /// hooks as every generated method: the spec check, credentials,
    /// retries, tracing. `operation_id` is the spec's (or its snake_case
    /// form). Only a 2xx response is `Ok`; a JSON one carries its body,
    /// parsed, as a [`JsonBody`] extension.
    fn execute_operation(
        &self,
        operation_id: &str,
        request: Request,
    ) -> impl std::future::Future<Output = Result<Response>> + Send;
}

tokio::task_local! {
    /// Set while [`execute_operation`] sends: its caller reads the answer
    /// as JSON values, so the runtime parses it into them once.
    static WANTS_VALUE: bool;
}

/// A JSON answer of [`OperationClient::execute_operation`], parsed once:
/// `response.extensions_mut().remove::<JsonBody>()`. A body of only
/// whitespace has none.
#[derive(Debug, Clone)]
pub struct JsonBody(pub serde_json::Value);

/// Sends a request built outside the typed builders through the hooks of a
/// generated client. Only a 2xx response is `Ok`.
pub(crate) async fn execute_operation<C>(client: &C, operation_id: &str, mut request: Request) -> Result<Response>
where
    C: ClientHooks<Runtime> + ClientInfo<Runtime>,
{
    let ids = client.inner().inner.api.operation_ids;
    let Some(&(_, operation_id)) = ids.iter().find(|(spec, snake)| *spec == operation_id || *snake == operation_id)
    else {
        return Err(InvalidInput::Request(format!("the spec has no operation {operation_id:?}")).into());
    };
    let info = OperationInfo { operation_id };
    client.pre::<()>(&mut request, &info).await.map_err(Error::from)?;
    let response = WANTS_VALUE.scope(true, client.exec(request, &info));
    let response = response.await.map_err(|e| Error::uncarried(operation_id, e))?;
    // A JSON answer was checked (and parsed) as it was read: one that is
    // not JSON is already an `Error::Decode` with a masked excerpt.
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(progenitor_client::Error::<()>::UnexpectedResponse(response).into())
    }
}

/// A response from `url` with this status, headers and body, read whole.
/// The URL goes along: without it, reqwest parses a placeholder URL for
/// every response made from parts.
fn rebuilt(
    url: reqwest::Url,
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: bytes::Bytes,
) -> http::Response<bytes::Bytes> {
    use reqwest::ResponseBuilderExt as _;
    let head = http::Response::builder().url(url).body(()).unwrap_or_default();
    let mut response = head.map(|()| body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// The headers `keep` takes whose values are text, as name and value pairs.
fn text_headers(headers: &reqwest::header::HeaderMap, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| keep(name.as_str()))
        .filter_map(|(name, value)| Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
        .collect()
}

/// Whether a response's content type says JSON (the runtime reads those
/// bodies into memory; other media types are downloads, streamed).
fn content_is_json(headers: &reqwest::header::HeaderMap) -> bool {
    // Bytes, not text: checked on every response, and `str::contains` costs more than the rest of the check.
    headers.get(reqwest::header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().windows(4).any(|w| w == b"json"))
}
