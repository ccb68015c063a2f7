//! The one error type every client returns.

use std::fmt;

use reqwest::StatusCode;

/// How many bytes of a response body an error keeps.
const EXCERPT_BYTES: usize = 512;

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was rejected before any request was sent.
    #[error("invalid input: {0}")]
    InvalidInput(#[from] InvalidInput),

    /// The request did not reach the server, or the connection failed.
    #[error("{}transport error: {message}", prefix(operation))]
    Transport {
        operation: &'static str,
        message: String,
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The server answered with an error status.
    #[error("{}HTTP {status}{}", prefix(operation), body.suffix())]
    Status { operation: &'static str, status: StatusCode, body: BodyExcerpt },

    /// The server's credentials check failed (401 or 403), or no token could be had.
    #[error("{}authentication failed{}{}", prefix(operation), status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), body.suffix())]
    Auth { operation: &'static str, status: Option<StatusCode>, body: BodyExcerpt },

    /// A success response whose body did not match the spec.
    #[error("{}undecodable response: {reason}{}", prefix(operation), body.suffix())]
    Decode { operation: &'static str, reason: String, body: BodyExcerpt },

    /// A response body larger than the configured cap
    /// ([`crate::ClientConfig::with_max_body_bytes`]); the rest was not read.
    #[error("{}response body larger than the {limit}-byte cap", prefix(operation))]
    BodyTooLarge { operation: &'static str, limit: u64 },

    /// A command the server accepted ran and failed.
    #[error("command {command_id} failed{}", error_name.as_ref().map(|n| format!(": {n}")).unwrap_or_default())]
    CommandFailed { command_id: String, error_name: Option<String> },

    /// Waiting for something (a command, a reply) took longer than allowed.
    #[error("{operation}: timed out after {waited:?}")]
    Timeout { operation: &'static str, waited: std::time::Duration },

    /// A `.vtr` transcript download that could not be read.
    #[cfg(feature = "luware")]
    #[error("transcript: {0}")]
    Transcript(#[from] crate::luware::TranscriptError),

    /// A raia outcome that is not an HTTP error: a failed agent reply, or a
    /// refused manual message.
    #[cfg(feature = "raia")]
    #[error("raia: {0}")]
    Raia(#[from] crate::raia::RaiaError),

    /// A LlamadaPro custom field definition that still has stored values was
    /// not deleted (HTTP 409); deleting it with `force` deletes the values too.
    #[cfg(feature = "llamadapro")]
    #[error(transparent)]
    CustomFieldInUse(#[from] crate::llamadapro::DefinitionInUse),
}

impl Error {
    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Status { status, .. } => Some(*status),
            Error::Auth { status, .. } => *status,
            #[cfg(feature = "llamadapro")]
            Error::CustomFieldInUse(_) => Some(StatusCode::CONFLICT),
            _ => None,
        }
    }

    /// The start of the response body, when there was one.
    pub fn body(&self) -> Option<&BodyExcerpt> {
        match self {
            Error::Status { body, .. } | Error::Auth { body, .. } | Error::Decode { body, .. } => Some(body),
            #[cfg(feature = "llamadapro")]
            Error::CustomFieldInUse(e) => Some(&e.body),
            _ => None,
        }
    }

    /// A transport failure of `operation`, its URL cut off (query strings
    /// can carry filter values and page tokens).
    pub(crate) fn transport(operation: &'static str, error: reqwest::Error) -> Self {
        let error = error.without_url();
        Error::Transport { operation, message: error.to_string(), source: Some(error) }
    }

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
    /// LivePerson input the API would reject.
    #[cfg(feature = "liveperson")]
    #[error(transparent)]
    LivePerson(#[from] crate::liveperson::InputError),
    /// A Luware filter the vendor's table does not allow.
    #[cfg(feature = "luware")]
    #[error(transparent)]
    LuwareFilter(#[from] crate::luware::FilterError),
    /// raia input the API would reject.
    #[cfg(feature = "raia")]
    #[error(transparent)]
    Raia(#[from] crate::raia::InputError),
    /// LlamadaPro input the API would reject.
    #[cfg(feature = "llamadapro")]
    #[error(transparent)]
    LlamadaPro(#[from] crate::llamadapro::InputError),
}

#[cfg(feature = "luware")]
impl From<crate::luware::FilterError> for Error {
    fn from(e: crate::luware::FilterError) -> Self {
        Error::InvalidInput(e.into())
    }
}

#[cfg(feature = "llamadapro")]
impl From<crate::llamadapro::InputError> for Error {
    fn from(e: crate::llamadapro::InputError) -> Self {
        Error::InvalidInput(e.into())
    }
}

impl InvalidInput {
    pub(crate) fn parameter(name: &'static str, reason: impl Into<String>) -> Self {
        InvalidInput::Parameter { name, reason: reason.into() }
    }
}

/// The first bytes of a response body, lossily decoded, for error messages.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BodyExcerpt {
    text: String,
    truncated: bool,
}

impl BodyExcerpt {
    pub(crate) fn from_bytes(bytes: &[u8]) -> Self {
        let cut = bytes.len().min(EXCERPT_BYTES);
        let text = String::from_utf8_lossy(&bytes[..cut]).trim().to_string();
        Self { text, truncated: bytes.len() > EXCERPT_BYTES }
    }

    /// The excerpt's text (at most 512 bytes of the body).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The server's own message, when the body is JSON with a `message`,
    /// `error`, `error_description`, `detail` or `title` text field (also
    /// inside an `error` object).
    pub fn message(&self) -> Option<String> {
        let body: serde_json::Value = serde_json::from_str(&self.text).ok()?;
        let pick = |v: &serde_json::Value| {
            ["message", "error_description", "detail", "error", "title"]
                .iter()
                .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_string))
        };
        pick(&body).or_else(|| body.get("error").and_then(pick))
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
        f.write_str(&self.text)?;
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

/// Every failure of a generated call becomes an [`Error`]. The runtime
/// leaves the operation and a masked excerpt of the body on each error
/// response (`ResponseContext`), so none of it is read here. Transport and
/// decoding failures carry no operation name: progenitor does not say which.
impl<E> From<progenitor_client::Error<E>> for Error {
    fn from(error: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match error {
            P::InvalidRequest(reason) => InvalidInput::Request(reason).into(),
            P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => Error::transport("", e),
            P::ErrorResponse(response) => Self::for_status("", response.status(), BodyExcerpt::default()),
            P::UnexpectedResponse(response) => {
                let status = response.status();
                match response.extensions().get::<crate::runtime::ResponseContext>() {
                    Some(context) => {
                        if let Some(failure) = context.failure.as_ref().and_then(|f| f.lock().ok()?.take()) {
                            return failure;
                        }
                        Self::for_status(context.operation, status, context.body.clone())
                    }
                    None if status.is_success() => Error::Decode {
                        operation: "",
                        reason: format!("unexpected status {status}"),
                        body: BodyExcerpt::default(),
                    },
                    None => Self::for_status("", status, BodyExcerpt::default()),
                }
            }
            P::InvalidResponsePayload(bytes, e) => {
                Error::Decode { operation: "", reason: e.to_string(), body: BodyExcerpt::from_bytes(&bytes) }
            }
            P::Custom(message) => Error::Transport { operation: "", message, source: None },
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
