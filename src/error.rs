//! The one error type every client returns.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::redact::escape_controls;

/// How many bytes of a response body an error keeps.
const EXCERPT_BYTES: usize = 512;

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was rejected before any request was sent.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InvalidInput),

    /// The request did not reach the server, or the connection failed:
    /// [`TransportKind`] says how (refused, reset, which timeout, TLS, DNS).
    #[error("{}transport error: {}", prefix(operation), escape_controls(message))]
    Transport {
        operation: &'static str,
        kind: TransportKind,
        message: String,
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The server answered with an error status.
    #[error("{}HTTP {status}{}", prefix(operation), body.suffix())]
    Status { operation: &'static str, status: StatusCode, body: BodyExcerpt },

    /// The server answered with a retryable status (429, 503, …) and a
    /// `Retry-After` longer than the client's retry policy waits
    /// ([`crate::RetryPolicy::with_max_delay`]), so no other attempt was made.
    #[error(
        "{}HTTP {status}: the server asked to be retried after {} (Retry-After), longer than the {} the retry policy waits; try again later{}",
        prefix(operation), seconds(*wait), seconds(*limit), body.suffix()
    )]
    RetryAfterTooLong {
        operation: &'static str,
        status: StatusCode,
        wait: Duration,
        limit: Duration,
        body: BodyExcerpt,
    },

    /// The server's credentials check failed (401 or 403), or no token could be had.
    #[error("{}authentication failed{}{}", prefix(operation), status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), body.suffix())]
    Auth { operation: &'static str, status: Option<StatusCode>, body: BodyExcerpt },

    /// A success response whose body did not match the spec.
    #[error("{}undecodable response: {}{}", prefix(operation), escape_controls(reason), body.suffix())]
    Decode { operation: &'static str, reason: String, body: BodyExcerpt },

    /// A response body larger than the configured cap
    /// ([`crate::ClientConfig::with_max_body_bytes`]); the rest was not read.
    #[error("{}response body larger than the {limit}-byte cap", prefix(operation))]
    BodyTooLarge { operation: &'static str, limit: u64 },

    /// A command the server accepted ran and failed.
    #[error("command {} failed{}", escape_controls(command_id), error_name.as_ref().map(|n| format!(": {}", escape_controls(n))).unwrap_or_default())]
    CommandFailed { command_id: String, error_name: Option<String> },

    /// Waiting for something (a command, a reply) took longer than allowed.
    #[error("{operation}: timed out after {waited:?}")]
    Timeout { operation: &'static str, waited: std::time::Duration },

    /// An outcome one API documents beyond the shared ones (a failed agent
    /// reply, a refused delete, an unreadable download): the API's own type,
    /// reached with [`Error::api_error`].
    #[error("{}{details}", prefix(details.context()))]
    Api {
        #[source]
        details: Box<dyn ApiError>,
    },
}

/// How a decode error of a body that arrived incomplete begins.
pub(crate) const INCOMPLETE_BODY: &str = "the JSON body is incomplete or malformed";

impl Error {
    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status { status, .. } | Error::RetryAfterTooLong { status, .. } => Some(*status),
            Error::Auth { status, .. } => *status,
            Error::Api { details } => details.status(),
            _ => None,
        }
    }

    /// Whether the same request may well succeed later: the connection
    /// failed or timed out, the server was overloaded or failing (429, 500,
    /// 502, 503, 504), or a body arrived incomplete. The client has already
    /// retried such failures as far as its [`crate::RetryPolicy`] allows;
    /// this says whether trying again later is worth it.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transport { kind, .. } => {
                !matches!(kind, TransportKind::Tls | TransportKind::RedirectRefused | TransportKind::Other)
            }
            Error::Status { status, .. } => crate::RetryPolicy::is_retryable_status(*status),
            Error::Timeout { .. } | Error::RetryAfterTooLong { .. } => true,
            Error::Decode { reason, .. } => reason.starts_with(INCOMPLETE_BODY),
            _ => false,
        }
    }

    /// The start of the response body, when there was one.
    pub fn body(&self) -> Option<&BodyExcerpt> {
        match self {
            Error::Status { body, .. }
            | Error::Auth { body, .. }
            | Error::Decode { body, .. }
            | Error::RetryAfterTooLong { body, .. } => Some(body),
            Error::Api { details } => details.body(),
            _ => None,
        }
    }

    /// A transport failure of `operation`, its URL cut off (query strings
    /// can carry filter values and page tokens), classified without knowing
    /// the client's timeouts.
    pub(crate) fn transport(operation: &'static str, error: reqwest::Error) -> Self {
        Self::classified_transport(operation, error, &Timeouts::default(), std::time::Duration::ZERO)
    }

    /// A transport failure of `operation`, classified: `timeouts` are the
    /// client's and `elapsed` the failed attempt's time, to tell which
    /// timeout ran out.
    pub(crate) fn classified_transport(
        operation: &'static str,
        error: reqwest::Error,
        timeouts: &Timeouts,
        elapsed: std::time::Duration,
    ) -> Self {
        let error = error.without_url();
        let (kind, message) = classify(&error, timeouts, elapsed);
        let message = message.unwrap_or_else(|| error.to_string());
        Error::Transport { operation, kind, message, source: Some(error) }
    }

    /// What [`Error::classified_transport`] would say of `error`, for a log
    /// line about a failure that will be retried: its URL cut to the path
    /// (a query can carry filter values or page tokens).
    pub(crate) fn describe_transport(error: &reqwest::Error, timeouts: &Timeouts, elapsed: Duration) -> String {
        let redacted = || match error.url() {
            Some(url) => error.to_string().replace(url.as_str(), url.path()),
            None => error.to_string(),
        };
        classify(error, timeouts, elapsed).1.unwrap_or_else(redacted)
    }

    #[cfg(feature = "liveperson")]
    /// A failed token or login call: whatever the server answered, it is an
    /// authentication failure for the call that needed the token.
    pub(crate) fn auth<E>(error: progenitor_client::Error<E>) -> Self {
        match Error::from(error) {
            Error::Status { operation, status, body } => Error::Auth { operation, status: Some(status), body },
            other => other,
        }
    }

    pub(crate) fn for_status(operation: &'static str, status: StatusCode, body: BodyExcerpt) -> Self {
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            Error::Auth { operation, status: Some(status), body }
        } else {
            Error::Status { operation, status, body }
        }
    }

    /// This error as the `reqwest::Error` a progenitor hook returns: the
    /// cause of a body whose one chunk is a failure (reqwest has no other
    /// public way to make one), read at once.
    pub(crate) async fn carried(self) -> reqwest::Error {
        let chunk = Err::<bytes::Bytes, _>(Carried(std::sync::Mutex::new(Some(self))));
        let body = reqwest::Body::wrap_stream(futures::stream::iter([chunk]));
        let response = reqwest::Response::from(http::Response::new(body));
        let Err(error) = response.bytes().await else {
            unreachable!("a body whose only chunk is a failure reads as that failure")
        };
        error
    }

    /// The error `error` carries ([`Error::carried`]), or else `error` as a
    /// transport failure of `operation`.
    pub(crate) fn uncarried(operation: &'static str, error: reqwest::Error) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(e) = cause {
            if let Some(carried) = e.downcast_ref::<Carried>().and_then(|c| c.0.lock().ok()?.take()) {
                return carried;
            }
            cause = e.source();
        }
        Error::transport(operation, error)
    }

    /// A body that did not decode as `operation`'s response. The excerpt is
    /// masked like an error body's; serde's reason quotes values from the
    /// body, so when the body held a secret-like field (a token response),
    /// the quoted values are left out of the reason too.
    pub(crate) fn decode(operation: &'static str, error: &serde_json::Error, bytes: &[u8], secrets: &[&str]) -> Self {
        let body = BodyExcerpt::from_body(bytes, secrets);
        let (reason, _) = crate::redact::redact_secrets(&error.to_string(), secrets);
        let reason = if body.masked_fields { crate::redact::without_quoted_values(&reason) } else { reason };
        Error::Decode { operation, reason, body }
    }

    /// The API's own error of type `T` ([`Error::Api`], or
    /// [`InvalidInput::Api`]), when this is one.
    pub fn api_error<T: ApiError>(&self) -> Option<&T> {
        let details = match self {
            Error::Api { details } | Error::InvalidInput(InvalidInput::Api(details)) => details,
            _ => return None,
        };
        let details: &(dyn std::error::Error + 'static) = details.as_ref();
        details.downcast_ref()
    }
}

/// An error type of one API's module, beyond what every client shares:
/// converted into [`Error::Api`] (or [`InvalidInput::Api`] when it refuses
/// input before sending), so adding an API adds nothing here.
pub trait ApiError: std::error::Error + Send + Sync + 'static {
    /// What the error's message begins with (`"raia"` gives `raia: …`);
    /// nothing by default.
    fn context(&self) -> &'static str {
        ""
    }
    /// Whether this is input refused before any request was sent.
    fn is_invalid_input(&self) -> bool {
        false
    }
    /// The HTTP status the server answered with, when it did.
    fn status(&self) -> Option<StatusCode> {
        None
    }
    /// The start of the server's answer, when there was one.
    fn body(&self) -> Option<&BodyExcerpt> {
        None
    }
}

/// The API's error is the cause of [`Error::Api`]; its own causes follow.
impl std::error::Error for Box<dyn ApiError> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.as_ref().source()
    }
}

impl<T: ApiError> From<T> for Error {
    fn from(details: T) -> Self {
        if details.is_invalid_input() {
            Error::InvalidInput(InvalidInput::Api(Box::new(details)))
        } else {
            Error::Api { details: Box::new(details) }
        }
    }
}

/// `"operation: "`, or nothing when the operation is not known.
fn prefix(operation: &str) -> String {
    if operation.is_empty() { String::new() } else { format!("{operation}: ") }
}

/// Input rejected before sending.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidInput {
    /// A parameter outside its documented range or format.
    #[error("{name}: {reason}")]
    Parameter { name: &'static str, reason: String },
    /// The generated client could not build the request (e.g. a value it cannot serialise).
    #[error("{0}")]
    Request(String),
    /// A client setting that cannot work (e.g. an unparsable base URL).
    #[error("configuration: {0}")]
    Config(String),
    /// Input one API's own rules refuse: the API's type, reached with
    /// [`Error::api_error`].
    #[error(transparent)]
    Api(Box<dyn ApiError>),
}

impl<T: ApiError> From<T> for InvalidInput {
    fn from(details: T) -> Self {
        InvalidInput::Api(Box::new(details))
    }
}

impl InvalidInput {
    #[cfg(any(feature = "luware", feature = "raia", feature = "liveperson"))]
    pub(crate) fn parameter(name: &'static str, reason: impl Into<String>) -> Self {
        InvalidInput::Parameter { name, reason: reason.into() }
    }
}

/// The first bytes of a response body, lossily decoded, for error messages,
/// with secrets masked: the values of token-, password- and key-like fields
/// and every credential the client holds (see [`crate::redact`]). Its
/// `Display` also escapes control characters.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BodyExcerpt {
    text: String,
    truncated: bool,
    /// A secret-like field was masked.
    masked_fields: bool,
}

impl BodyExcerpt {
    /// An excerpt of `bytes` with secret-like fields and the `secrets`
    /// themselves masked. Masking runs on more than the excerpt keeps, so a
    /// secret that the cut would split is masked whole.
    pub(crate) fn from_body(bytes: &[u8], secrets: &[&str]) -> Self {
        let longest = secrets.iter().map(|s| s.len()).max().unwrap_or(0);
        let scan = bytes.len().min(EXCERPT_BYTES * 8 + longest);
        let text = String::from_utf8_lossy(&bytes[..scan]);
        let (text, masked_fields) = crate::redact::redact_secrets(text.trim(), secrets);
        let mut cut = text.len().min(EXCERPT_BYTES);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let truncated = bytes.len() > scan || text.len() > cut;
        Self { text: text[..cut].trim_end().to_string(), truncated, masked_fields }
    }

    /// The excerpt's text (at most 512 bytes of the body, secrets masked,
    /// control characters as the server sent them: escape them with
    /// [`crate::redact::escape_controls`] before printing, as `Display` does).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The server's own message, when the body is JSON with a `message`,
    /// `error`, `error_description`, `detail` or `title` text field (also
    /// inside an `error` object); control characters escaped.
    pub fn message(&self) -> Option<String> {
        fn pick(v: &serde_json::Value) -> Option<&str> {
            ["message", "error_description", "detail", "error", "title"].iter().find_map(|k| v.get(k)?.as_str())
        }
        let body: serde_json::Value = serde_json::from_str(&self.text).ok()?;
        let message = pick(&body).or_else(|| body.get("error").and_then(pick))?;
        Some(escape_controls(message).into_owned())
    }

    /// Whether the body was longer than the excerpt.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    fn suffix(&self) -> String {
        if self.text.is_empty() { String::new() } else { format!(": {self}") }
    }
}

impl fmt::Display for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_controls(&self.text))?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

/// A generated builder's "conversion to `:: std :: num :: NonZeroU32` for
/// page_size failed", said as the field and the type the spec gives it (its
/// bounds: a `minimum: 1` is a `NonZeroU32`).
fn builder_conversion(reason: &str) -> Option<String> {
    let (ty, field) = reason.strip_prefix("conversion to `")?.split_once("` for ")?;
    let field = field.strip_suffix(" failed").unwrap_or(field);
    // `:: std :: num :: NonZeroU32` as `NonZeroU32`; generics stay whole.
    let ty = ty.replace(' ', "");
    let head = ty.find('<').unwrap_or(ty.len());
    let ty = ty[..head].rfind("::").map_or(ty.as_str(), |at| &ty[at + 2..]);
    Some(format!("{field}: the value does not fit its type {ty} (the spec's type and bounds)"))
}

/// Every failure of a generated call becomes an [`Error`]. The runtime's
/// own failures (no credential, a body over the cap or undecodable, a missed
/// deadline, a transport failure it classified) arrive carried by the
/// `reqwest::Error` its hooks return (`Error::carried`) and come out as
/// they were. On an error response the runtime leaves the operation and a
/// masked excerpt of the body (`ResponseContext`). Only a failure that did
/// not pass through the runtime's hooks arrives here without an operation.
impl<E> From<progenitor_client::Error<E>> for Error {
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::InvalidRequest(reason) => InvalidInput::Request(builder_conversion(&reason).unwrap_or(reason)).into(),
            P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => Error::uncarried("", e),
            P::ErrorResponse(response) => Self::for_status("", response.status(), BodyExcerpt::default()),
            P::UnexpectedResponse(response) => {
                let status = response.status();
                match response.extensions().get::<crate::runtime::ResponseContext>() {
                    Some(context) => Self::for_status(context.operation, status, context.body.clone()),
                    // A success status the spec does not document for the operation.
                    None if status.is_success() => Error::Decode {
                        operation: crate::runtime::operation_of(&response),
                        reason: format!("unexpected status {status}"),
                        body: BodyExcerpt::default(),
                    },
                    None => Self::for_status("", status, BodyExcerpt::default()),
                }
            }
            P::InvalidResponsePayload(bytes, e) => Error::decode("", &e, &bytes, &[]),
            P::Custom(message) => Error::Transport { operation: "", kind: TransportKind::Other, message, source: None },
        }
    }
}

/// An [`Error`] on its way through progenitor's generated code, whose hooks
/// may fail only with a `reqwest::Error`: it rides as that error's cause,
/// and [`Error::uncarried`] takes it back out, typed.
#[derive(Debug)]
struct Carried(std::sync::Mutex<Option<Error>>);

impl fmt::Display for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.lock().as_deref() {
            Ok(Some(error)) => fmt::Display::fmt(error, f),
            _ => f.write_str("the call failed"),
        }
    }
}

impl std::error::Error for Carried {}

/// How a request failed to get an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// Nothing listens at the address (the connection was refused).
    ConnectionRefused,
    /// The connection was reset or closed by the other side before the
    /// response was complete.
    ConnectionReset,
    /// No connection within the connect timeout (its configured duration).
    ConnectTimeout(Duration),
    /// The response stopped for longer than the read timeout.
    ReadTimeout(Duration),
    /// The whole request took longer than the request timeout.
    RequestTimeout(Duration),
    /// The TLS handshake failed, e.g. a certificate was not trusted.
    Tls,
    /// The host name could not be resolved.
    Dns,
    /// The server redirected the call to another origin (scheme, host or
    /// port), or redirected it too many times; credentials and request
    /// bodies stay with the API's own origin, so the redirect was not followed.
    RedirectRefused,
    /// Anything else (an unbuildable request, …).
    Other,
}

/// Why a redirect was not followed: the cause [`TransportKind::RedirectRefused`]
/// is classified from. URLs are shown as origin and path (no userinfo, no
/// query: a server picks them, and a query may carry anything).
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedirectRefused {
    /// To an origin other than the one the call was sent to.
    #[error(
        "redirect refused: {from} answered {status} with a redirect to another origin, {to}; \
         credentials are sent only to the API's own origin (set the base URL to the server that answers)"
    )]
    OtherOrigin { status: StatusCode, from: String, to: String },
    /// More than [`RedirectRefused::MAX_HOPS`] redirects in a row.
    #[error("redirect refused: more than {} redirects in a row (the last a {status} to {to})", Self::MAX_HOPS)]
    TooMany { status: StatusCode, to: String },
}

impl RedirectRefused {
    /// Redirects followed within the API's origin before giving up.
    pub(crate) const MAX_HOPS: usize = 10;

    /// The policy of every client: a redirect within the origin of the first
    /// request is followed (credentials and a replayed body go with it, to
    /// the same server); one to another origin is refused, since the runtime
    /// adds API keys and tokens to every request and a token or login call's
    /// body carries secrets.
    pub(crate) fn policy() -> reqwest::redirect::Policy {
        reqwest::redirect::Policy::custom(|attempt| {
            let first = attempt.previous().first().unwrap_or(attempt.url());
            let status = attempt.status();
            if first.origin() != attempt.url().origin() {
                let error =
                    RedirectRefused::OtherOrigin { status, from: shown(first, false), to: shown(attempt.url(), true) };
                attempt.error(error)
            } else if attempt.previous().len() > Self::MAX_HOPS {
                let to = shown(attempt.url(), true);
                attempt.error(RedirectRefused::TooMany { status, to })
            } else {
                attempt.follow()
            }
        })
    }
}

/// A URL as an error shows it: its origin, and its path when `with_path`.
fn shown(url: &reqwest::Url, with_path: bool) -> String {
    let origin = url.origin().ascii_serialization();
    if with_path { format!("{origin}{}", url.path()) } else { origin }
}

/// The timeouts a client was built with, to say which one ran out.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeouts {
    pub(crate) connect: Option<Duration>,
    pub(crate) read: Option<Duration>,
    pub(crate) request: Option<Duration>,
}

/// A duration as a person reads it: `10 s`, `1.5 s`, `250 ms`.
pub(crate) fn seconds(d: Duration) -> String {
    const HOUR: u64 = 3600;
    const DAY: u64 = 24 * HOUR;
    let (secs, days) = (d.as_secs(), d.as_secs_f64() / DAY as f64);
    // A server's Retry-After can ask for days.
    match secs {
        _ if secs >= 2 * DAY && d.subsec_nanos() == 0 && secs.is_multiple_of(DAY) => format!("{days} days"),
        _ if secs >= 2 * DAY => format!("{days:.1} days"),
        _ if secs >= 2 * HOUR => format!("{:.1} h", d.as_secs_f64() / HOUR as f64),
        0 => format!("{} ms", d.as_millis()),
        _ if d.subsec_millis() == 0 => format!("{secs} s"),
        _ => format!("{:.1} s", d.as_secs_f64()),
    }
}

/// What kind of failure a reqwest error is, and a message that says it
/// (none for [`TransportKind::Other`]: the error's own then), from the
/// error's chain of causes.
fn classify(error: &reqwest::Error, timeouts: &Timeouts, elapsed: Duration) -> (TransportKind, Option<String>) {
    use TransportKind::{ConnectTimeout, ConnectionRefused, ConnectionReset, ReadTimeout, RequestTimeout};
    use std::io::ErrorKind as Io;
    let mut kind = None;
    let mut detail = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        let text = e.to_string();
        match e.downcast_ref::<std::io::Error>().map(std::io::Error::kind) {
            Some(Io::ConnectionRefused) => kind = Some(ConnectionRefused),
            Some(Io::ConnectionReset | Io::ConnectionAborted | Io::BrokenPipe | Io::UnexpectedEof) => {
                kind = Some(ConnectionReset)
            }
            _ => {}
        }
        if let Some(refused) = e.downcast_ref::<RedirectRefused>() {
            return (TransportKind::RedirectRefused, Some(refused.to_string()));
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            kind = Some(TransportKind::Tls);
            detail = Some(tls.to_string());
            break;
        }
        if text.starts_with("dns error") {
            kind = Some(TransportKind::Dns);
        }
        if text.contains("connection closed before message completed") && kind.is_none() {
            kind = Some(ConnectionReset);
        }
        detail = Some(text);
        // An I/O error's `source` skips the error it wraps: look at that one.
        source = match e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    let kind = kind.unwrap_or_else(|| match () {
        _ if error.is_timeout() && error.is_connect() => ConnectTimeout(timeouts.connect.unwrap_or_default()),
        _ if error.is_timeout() => match (timeouts.request, timeouts.read) {
            (Some(request), _) if elapsed + Duration::from_millis(50) >= request => RequestTimeout(request),
            (_, Some(read)) => ReadTimeout(read),
            (Some(request), None) => RequestTimeout(request),
            (None, None) => ReadTimeout(Duration::ZERO),
        },
        _ => TransportKind::Other,
    });
    let detail = detail.unwrap_or_default();
    let message = match kind {
        ConnectionRefused => "connection refused (is the base URL right, and the server up?)".to_string(),
        ConnectionReset if error.is_connect() => format!("connection reset while connecting ({detail})"),
        ConnectionReset => format!("connection reset or closed by the server ({detail})"),
        ConnectTimeout(d) => format!("connect timeout: no connection within {}", seconds(d)),
        ReadTimeout(d) => format!("read timeout: the server sent nothing for {}", seconds(d)),
        RequestTimeout(d) => format!("request timeout: no complete response within {}", seconds(d)),
        TransportKind::Tls => format!("TLS error: {detail}"),
        TransportKind::Dns => format!("DNS lookup failed: {detail}"),
        TransportKind::RedirectRefused | TransportKind::Other => return (kind, None),
    };
    (kind, Some(message))
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
