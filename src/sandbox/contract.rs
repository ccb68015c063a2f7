//! Holds an emulator to its spec: a request's credentials are checked, then
//! the request is validated, before a handler sees it; every JSON response
//! is checked against the spec. An operation no route takes is answered by
//! the store or the spec ([`super::fallback`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::fallback::spec_response;
use super::store::{Hooks, Store, Stored};
use super::validate::{RequestParts, SpecValidator, ValidatedRequest};
use super::{HarnessConfig, Refused};

/// The header on answers built from the spec rather than by an emulator; its
/// value is the operation's `operationId`.
pub const FALLBACK_HEADER: &str = "x-sandbox-fallback";
/// Largest response body the conformance check reads.
const MAX_CHECKED_RESPONSE: usize = 64 * 1024 * 1024;

/// Renders an error answer in the API's own style.
pub(crate) type ErrorRenderer = fn(StatusCode, String) -> Response;

/// Checks the credential a request presents (`None`: none) for a security scheme; `Err` is the answer.
pub(crate) type Authenticator = Arc<dyn Fn(&str, Option<&str>, &Parts) -> Result<(), Refused> + Send + Sync>;

/// The spec an emulator answers to.
pub(crate) struct Contract {
    validator: Arc<SpecValidator>,
    /// The state of the operations no emulator route takes.
    pub(super) store: Store,
    /// The emulator's own error shape; `None`: the spec's (see [`super::errors`]).
    render_error: Option<ErrorRenderer>,
    authenticate: Authenticator,
    /// Added to every request that passes the script, to behave like a remote API.
    latency: Duration,
    check_responses: bool,
    /// Responses the emulator sent that the spec does not allow.
    pub(super) violations: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Contract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contract").field("check_responses", &self.check_responses).finish_non_exhaustive()
    }
}

impl Contract {
    /// A contract for the spec `validator` enforces, configured by `config`.
    pub(crate) fn new(
        validator: Arc<SpecValidator>,
        render_error: Option<ErrorRenderer>,
        authenticate: Authenticator,
        hooks: Option<Arc<dyn Hooks>>,
        config: &HarnessConfig,
    ) -> Self {
        let store = Store::new(validator.clone(), config.records, hooks);
        let (latency, check_responses, violations) = (config.latency, config.check_responses, Mutex::new(Vec::new()));
        Self { validator, store, render_error, authenticate, latency, check_responses, violations }
    }

    /// An error answer to `operation_id` (`None`: not known yet).
    fn fail(&self, operation_id: Option<&str>, status: StatusCode, message: String) -> Response {
        match self.render_error {
            Some(render) => render(status, message),
            None => super::errors::render(&self.validator, operation_id, status, &message),
        }
    }
}

/// Middleware: wait the latency, check the credentials, validate the request
/// (400, 404 or 405 with the rule it broke) with the spec's lenient rewrites, check the response.
pub(crate) async fn enforce(State(contract): State<Arc<Contract>>, request: Request, next: Next) -> Response {
    if !contract.latency.is_zero() {
        tokio::time::sleep(contract.latency).await;
    }
    let (mut parts, body) = request.into_parts();
    let text = |(name, value): (&HeaderName, &HeaderValue)| Some((name.to_string(), value.to_str().ok()?.to_string()));
    let headers: Vec<(String, String)> = parts.headers.iter().filter_map(text).collect();
    // First, so that a caller without credentials learns nothing of the spec.
    if let Err(refused) = authenticate(&contract, &parts, &headers) {
        return *refused.0;
    }
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return contract.fail(None, StatusCode::BAD_REQUEST, "request body could not be read".into());
    };
    let path = parts.uri.path().to_string();
    let checked = contract.validator.validate_request(&RequestParts {
        method: parts.method.as_str(),
        path: &path,
        query: parts.uri.query(),
        headers: &headers,
        body: &body,
    });
    let validated = match checked {
        Ok(v) => v,
        Err(violation) => {
            let status = StatusCode::from_u16(violation.status()).unwrap_or(StatusCode::BAD_REQUEST);
            return contract.fail(None, status, violation.to_string());
        }
    };
    // The vendor serves e.g. `limit=500` as `limit=100`, and reads `DESC` as
    // `desc`; the emulator sees what the vendor would make of the request.
    if let Some(query) = &validated.rewritten_query
        && let Ok(uri) = format!("{path}?{query}").parse::<Uri>()
    {
        parts.uri = uri;
    }
    // A body a lenient rule accepted reaches the emulator in its strict form.
    let body = match validated.rewritten_body.clone() {
        Some(strict) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            if strict.is_empty() {
                parts.headers.remove(header::CONTENT_TYPE);
            }
            axum::body::Bytes::from(strict)
        }
        None => body,
    };
    let mut response = next.run(Request::from_parts(parts, Body::from(body.clone()))).await;
    if response.extensions().get::<Unrouted>().is_some() {
        // The headers the emulator's layers put on it stay (a rate limit's).
        let layered = std::mem::take(response.headers_mut());
        response = answer_from_spec(&contract, &validated, &path, &body);
        for (name, value) in &layered {
            response.headers_mut().entry(name).or_insert_with(|| value.clone());
        }
    }
    if !contract.check_responses {
        return response;
    }
    check_response(&contract, &validated.operation_id, response).await
}

/// The operation's `security`: let in if every scheme of one alternative
/// accepts the request, else refused as the first alternative refuses it.
fn authenticate(contract: &Contract, parts: &Parts, headers: &[(String, String)]) -> Result<(), Refused> {
    let mut alternatives = contract.validator.security(parts.method.as_str(), parts.uri.path()).iter().map(|schemes| {
        schemes.iter().try_for_each(|scheme| {
            let credential = scheme.credential(headers, parts.uri.query());
            (contract.authenticate)(scheme.name(), credential.as_deref(), parts)
        })
    });
    let first = alternatives.next().unwrap_or(Ok(()));
    first.or_else(|refused| alternatives.find(Result::is_ok).unwrap_or(Err(refused)))
}

/// Marks the answer of the router's fallback, which [`enforce`] replaces.
#[derive(Debug, Clone, Copy)]
struct Unrouted;

/// `routes` with the fallback for unknown paths and unrouted methods alike.
pub(crate) fn with_fallback<S: Clone + Send + Sync + 'static>(routes: axum::Router<S>) -> axum::Router<S> {
    routes.fallback(unrouted).method_not_allowed_fallback(unrouted)
}

/// The router fallback: only requests the spec allows get this far.
async fn unrouted() -> impl IntoResponse {
    (StatusCode::NOT_IMPLEMENTED, axum::Extension(Unrouted))
}

/// The answer to an operation no route takes: the store's, else the spec's.
/// One the emulator had no part in names the operation in [`FALLBACK_HEADER`].
fn answer_from_spec(contract: &Contract, request: &ValidatedRequest, path: &str, body: &[u8]) -> Response {
    let operation_id = request.operation_id.as_str();
    let (mut response, emulated) = match contract.store.answer(request, path, body) {
        Some(Stored::Refused(status, message)) => return contract.fail(Some(operation_id), status, message),
        Some(Stored::Written(response)) => return *response,
        Some(Stored::Answer { status, body: None, emulated }) => (status_only(status).into_response(), emulated),
        Some(Stored::Answer { status, body: Some(body), emulated }) => {
            let json = [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))];
            ((status_only(status), json, body).into_response(), emulated)
        }
        None => (documented_answer(contract, operation_id), false),
    };
    if !emulated && let Ok(operation) = HeaderValue::try_from(operation_id) {
        response.headers_mut().insert(FALLBACK_HEADER, operation);
    }
    response
}

fn status_only(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::OK)
}

/// The spec's documented answer to an operation.
fn documented_answer(contract: &Contract, operation_id: &str) -> Response {
    let Some(answer) = spec_response(&contract.validator, operation_id) else {
        let message = format!("operation {operation_id} is not in the spec");
        return contract.fail(None, StatusCode::NOT_IMPLEMENTED, message);
    };
    tracing::debug!(operation_id, status = answer.status, "no emulator route; answering from the spec");
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = status_only(answer.status);
    let headers = response.headers_mut();
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    if let Some(content_type) = answer.content_type.and_then(|c| HeaderValue::try_from(c).ok()) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    response
}

async fn check_response(contract: &Contract, operation_id: &str, response: Response) -> Response {
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    // Only JSON is schema-checked; other bodies (downloads) pass through unread.
    if !content_type.as_deref().is_some_and(|c| c.starts_with("application/json")) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_CHECKED_RESPONSE).await else {
        let message = "response body could not be read".into();
        return contract.fail(Some(operation_id), StatusCode::INTERNAL_SERVER_ERROR, message);
    };
    match contract.validator.validate_response(operation_id, parts.status.as_u16(), content_type.as_deref(), &bytes) {
        Ok(()) => Response::from_parts(parts, Body::from(bytes)),
        Err(violation) => {
            let message = format!("sandbox response to {operation_id} violates the spec: {violation}");
            tracing::error!("{message}");
            super::lock(&contract.violations).push(message.clone());
            let failed = contract.fail(Some(operation_id), StatusCode::INTERNAL_SERVER_ERROR, message);
            ([("x-sandbox-contract", "violated")], failed).into_response()
        }
    }
}
