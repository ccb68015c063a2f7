//! Watching every exchange a client makes against its spec: what
//! `convo <api> check` is built on. An observer set on [`ClientConfig`]
//! (token and login calls included, since they share the config) receives,
//! for each answer a server gave, its survey against the spec and a record
//! of the request and response with every secret masked. Without an
//! observer nothing here runs.
//!
//! [`ClientConfig`]: super::ClientConfig

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::spec::survey::Survey;

/// One answer a server gave, as an observer receives it.
#[derive(Clone)]
#[non_exhaustive]
pub struct Observed {
    /// The API (`luware`, …).
    pub api: &'static str,
    /// The operation, by the spec's `operationId`.
    pub operation: String,
    pub status: u16,
    /// The answer's differences from the spec, and the inferred facts it matched.
    pub survey: Survey,
    /// The request and the response, secrets masked: method, path, query,
    /// headers and body of each (`null` for a body not read, a download).
    pub record: Value,
}

impl fmt::Debug for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observed")
            .field("api", &self.api)
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("drift", &self.survey.drift.len())
            .finish_non_exhaustive()
    }
}

/// Receives every [`Observed`] exchange of the clients built with it.
#[derive(Clone)]
pub struct ExchangeObserver(Arc<dyn Fn(Observed) + Send + Sync>);

impl ExchangeObserver {
    pub fn new(observe: impl Fn(Observed) + Send + Sync + 'static) -> Self {
        Self(Arc::new(observe))
    }

    pub(super) fn observe(&self, observed: Observed) {
        (self.0)(observed);
    }
}

impl fmt::Debug for ExchangeObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExchangeObserver")
    }
}

/// What is kept of a request before it is sent, for the record: no
/// credential header has been added yet.
pub(super) struct SentRequest {
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Option<bytes::Bytes>,
}

impl SentRequest {
    pub(super) fn of(request: &reqwest::Request) -> Self {
        Self {
            method: request.method().to_string(),
            path: request.url().path().to_owned(),
            query: request.url().query().map(str::to_owned),
            headers: request.headers().clone(),
            body: request.body().and_then(reqwest::Body::as_bytes).map(bytes::Bytes::copy_from_slice),
        }
    }

    /// The query's name and value pairs, decoded.
    fn query_pairs(&self) -> Vec<(String, String)> {
        self.query.as_deref().and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default()
    }

    /// The names of the query parameters and headers it sent.
    pub(super) fn sent_names(&self) -> Vec<String> {
        let query = self.query_pairs().into_iter().map(|(name, _)| name);
        query.chain(self.headers.keys().map(|n| n.as_str().to_owned())).collect()
    }

    /// The record of this request and its response, every secret masked:
    /// `secrets` (the client's credentials), and the value of every header,
    /// query parameter and body field with a secret-like name.
    pub(super) fn record(
        &self,
        operation: &str,
        status: u16,
        response_headers: &HeaderMap,
        response_body: Option<&[u8]>,
        secrets: &[&str],
    ) -> Value {
        let query = self.query_pairs().into_iter();
        let query: Vec<Value> = query.map(|(name, value)| json!([name, shown(&name, Some(&value), secrets)])).collect();
        json!({
            "operation": operation,
            "request": {
                "method": self.method,
                "path": masked(&self.path, secrets),
                "query": query,
                "headers": headers(&self.headers, secrets),
                "body": self.body.as_deref().map(|b| body(b, secrets)),
            },
            "response": {
                "status": status,
                "headers": headers(response_headers, secrets),
                "body": response_body.map(|b| body(b, secrets)),
            },
        })
    }
}

fn masked(text: &str, secrets: &[&str]) -> String {
    crate::redact::redact_secrets(text, secrets).0
}

/// A query parameter's or header's value (`None`: not text), masked
/// whole when its name is secret-like.
fn shown(name: &str, value: Option<&str>, secrets: &[&str]) -> String {
    match value {
        _ if crate::redact::is_secret_name(name) => crate::redact::MASK.to_owned(),
        Some(text) => masked(text, secrets),
        None => "(not text)".to_owned(),
    }
}

fn headers(map: &HeaderMap, secrets: &[&str]) -> Value {
    let shown = map.iter().map(|(name, value)| (name.to_string(), shown(name.as_str(), value.to_str().ok(), secrets)));
    Value::Object(shown.map(|(name, value)| (name, Value::String(value))).collect())
}

/// A body as JSON when it is JSON (masked), else as masked text.
fn body(bytes: &[u8], secrets: &[&str]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    let text = masked(&text, secrets);
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}
