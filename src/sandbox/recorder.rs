//! Request recording and scripted responses, shared by every emulator.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How many requests a sandbox remembers by default; older ones are dropped.
pub const DEFAULT_LOG_CAPACITY: usize = 10_000;
/// Largest request body a sandbox accepts.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// A request as the sandbox received it.
#[derive(Clone)]
pub struct RecordedRequest {
    pub method: Method,
    pub path: String,
    /// The raw query string, still percent-encoded.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl std::fmt::Debug for RecordedRequest {
    // Headers may hold credentials; show their names only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl RecordedRequest {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The decoded query pairs, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        super::query_pairs(self.query.as_deref())
    }

    /// The first value of a query parameter, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// A canned answer for the next requests that match a method and path.
#[derive(Debug, Clone)]
pub struct ScriptedResponse {
    method: Option<Method>,
    path_prefix: String,
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    times: usize,
}

impl ScriptedResponse {
    /// Answers with `status` and an empty body, once, for any request.
    pub fn new(status: u16) -> Self {
        Self {
            method: None,
            path_prefix: String::new(),
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: Bytes::new(),
            times: 1,
        }
    }

    /// Only for requests with this method whose path starts with `path_prefix`.
    pub fn on(mut self, method: Method, path_prefix: impl Into<String>) -> Self {
        self.method = Some(method);
        self.path_prefix = path_prefix.into();
        self
    }

    /// Adds a response header (ignored if the name or value is invalid).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.push((n, v));
        }
        self
    }

    /// The response body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// A JSON body, with its content type.
    pub fn json(self, value: &serde_json::Value) -> Self {
        self.header("content-type", "application/json").body(value.to_string())
    }

    /// Answers this many matching requests, then steps aside.
    pub fn times(mut self, times: usize) -> Self {
        self.times = times;
        self
    }
}

/// The log (the last `capacity` requests; 0 keeps none) and the script of one emulator.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub(super) capacity: usize,
    pub(super) log: VecDeque<RecordedRequest>,
    pub(super) script: Vec<ScriptedResponse>,
}

impl Recorder {
    /// Records the request; returns a scripted response if one matches.
    fn record(&mut self, request: RecordedRequest) -> Option<Response> {
        let matches = |s: &ScriptedResponse| {
            s.method.as_ref().is_none_or(|m| *m == request.method) && request.path.starts_with(&s.path_prefix)
        };
        let response = self.script.iter().position(matches).map(|i| {
            let s = &mut self.script[i];
            let mut response = Response::new(Body::from(s.body.clone()));
            *response.status_mut() = s.status;
            response.headers_mut().extend(s.headers.iter().cloned());
            s.times -= 1;
            if s.times == 0 {
                self.script.remove(i);
            }
            response
        });
        if self.capacity > 0 {
            if self.log.len() == self.capacity {
                self.log.pop_front();
            }
            self.log.push_back(request);
        }
        response
    }
}

/// Middleware: buffer the body, record the request, answer from the script
/// if something matches, else pass the request on.
pub(crate) async fn record_and_script(
    State(recorder): State<Arc<Mutex<Recorder>>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let recorded = RecordedRequest {
        method: parts.method.clone(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers.clone(),
        body: body.clone(),
    };
    if let Some(scripted) = super::lock(&recorder).record(recorded) {
        return scripted;
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}
