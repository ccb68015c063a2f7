//! What every emulator shares: the request log and script, the spec
//! contract (credentials first), and simulated latency, wrapped around its
//! routes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{Next, from_fn, from_fn_with_state};

use super::contract::{Authenticator, Contract, ErrorRenderer, enforce};
use super::recorder::{DEFAULT_LOG_CAPACITY, Recorder, record_and_script};
use super::store::Hooks;
use super::{ConnectionLimits, RecordedRequest, ScriptedResponse};

/// Behaviour every emulator shares.
#[derive(Debug, Clone)]
pub struct HarnessConfig {
    /// Delay added to every request, to behave like a remote API.
    pub latency: Duration,
    /// How many received requests to keep for `requests()` (0: none, as a
    /// long-running server should).
    pub request_log: usize,
    /// Check every JSON response against the spec; a violation becomes a 500
    /// and is listed by `contract_violations()`.
    pub check_responses: bool,
    /// Deadlines of slow or idle connections, and how many may be open.
    pub connections: ConnectionLimits,
    /// Records each collection of the generic store starts with (`None`:
    /// the items of the spec's own answer), for the operations no
    /// emulator handles.
    pub records: Option<u64>,
}

impl Default for HarnessConfig {
    fn default() -> Self {
        Self {
            latency: Duration::ZERO,
            request_log: DEFAULT_LOG_CAPACITY,
            check_responses: true,
            connections: ConnectionLimits::default(),
            records: None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Harness {
    recorder: Recorder,
    contract: Arc<Contract>,
    latency: Duration,
    limits: ConnectionLimits,
}

impl Harness {
    pub(crate) fn new(
        spec_json: &str,
        render_error: Option<ErrorRenderer>,
        authenticate: Authenticator,
        hooks: Option<Arc<dyn Hooks>>,
        config: &HarnessConfig,
    ) -> Result<Self, String> {
        let spec: serde_json::Value = serde_json::from_str(spec_json).map_err(|e| e.to_string())?;
        Self::from_spec(&spec, render_error, authenticate, hooks, config)
    }

    /// A harness for a parsed spec (any spec, not only the one a client was generated from).
    pub(crate) fn from_spec(
        spec: &serde_json::Value,
        render_error: Option<ErrorRenderer>,
        authenticate: Authenticator,
        hooks: Option<Arc<dyn Hooks>>,
        config: &HarnessConfig,
    ) -> Result<Self, String> {
        Ok(Self {
            recorder: Recorder::new(config.request_log),
            contract: Arc::new(Contract::new(
                spec,
                render_error,
                authenticate,
                config.check_responses,
                config.records,
                hooks,
            )?),
            latency: config.latency,
            limits: config.connections,
        })
    }

    /// Layers, outermost first: record and script, latency, the contract.
    /// Requests no route takes (the contract has already checked them
    /// against the spec) are answered from the spec: `routes` has the
    /// fallback (`contract::with_fallback`) under its own layers.
    pub(crate) fn wrap(&self, routes: Router) -> Router {
        let latency = self.latency;
        routes
            .layer(from_fn_with_state(self.contract.clone(), enforce))
            .layer(from_fn(move |request, next: Next| async move {
                if !latency.is_zero() {
                    tokio::time::sleep(latency).await;
                }
                next.run(request).await
            }))
            .layer(from_fn_with_state(self.recorder.clone(), record_and_script))
    }

    pub(crate) fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.recorder.requests()
    }

    pub(crate) fn clear_requests(&self) {
        self.recorder.clear()
    }

    pub(crate) fn script(&self, response: ScriptedResponse) {
        self.recorder.script(response)
    }

    pub(crate) fn read_records<T>(&self, path: &str, read: impl FnOnce(&[serde_json::Value]) -> T) -> T {
        self.contract.read_records(path, read)
    }

    pub(crate) fn violations(&self) -> Vec<String> {
        self.contract.violations()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use serde_json::{Value, json};

    use super::*;
    use crate::sandbox::{FALLBACK_HEADER, Server};

    fn render_error(status: StatusCode, message: String) -> Response {
        (status, message).into_response()
    }

    /// An emulator that routes only `GET /items`, for a spec that also has
    /// `POST /items` and `GET /items/{id}`.
    #[tokio::test]
    async fn routes_keep_their_answers_and_the_rest_are_answered_from_the_spec() {
        let item = json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}});
        let ok =
            |schema: &Value| json!({"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}});
        let spec = json!({"paths": {
            "/items": {
                "get": {"operationId": "listItems", "responses": ok(&json!({"type": "array", "items": item}))},
                "post": {"operationId": "createItem", "responses": {"201": {"description": "made",
                    "content": {"application/json": {"schema": item, "example": {"id": 42}}}}}},
            },
            "/items/{id}": {"get": {"operationId": "getItem", "responses": ok(&item), "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]}},
        }});
        let anyone = Arc::new(|_: &str, _: Option<&str>, _: &axum::http::request::Parts| Ok(()));
        let harness = Harness::from_spec(&spec, Some(render_error), anyone, None, &HarnessConfig::default()).unwrap();
        let routes = Router::new().route("/items", get(|| async { axum::Json(json!([{"id": 1}, {"id": 2}])) }));
        // An emulator's layer (a rate limit's headers) wraps the answers from the spec too.
        let layer = axum::middleware::map_response(|mut response: Response| async move {
            response.headers_mut().insert("x-layer", axum::http::HeaderValue::from_static("on"));
            response
        });
        let routes = crate::sandbox::contract::with_fallback(routes).layer(layer);
        let server = Server::start(harness.wrap(routes), 0, harness.limits()).await.unwrap();
        crate::install_tls_provider();
        let http = reqwest::Client::new();
        let call =
            |method: reqwest::Method, path: &str| http.request(method, format!("{}{path}", server.base_url())).send();

        let emulated = call(reqwest::Method::GET, "/items").await.unwrap();
        assert!(emulated.headers().get(FALLBACK_HEADER).is_none());
        assert_eq!(emulated.json::<Value>().await.unwrap(), json!([{"id": 1}, {"id": 2}]));

        // Unrouted operations on a collection are the generic store's: a
        // create is kept, and read back by its id.
        let unrouted_method = call(reqwest::Method::POST, "/items").await.unwrap();
        assert_eq!(unrouted_method.status().as_u16(), 201);
        assert_eq!(unrouted_method.headers()[FALLBACK_HEADER], "createItem");
        let created = unrouted_method.json::<Value>().await.unwrap();
        let id = created["id"].as_i64().unwrap();
        let unrouted_path = call(reqwest::Method::GET, &format!("/items/{id}")).await.unwrap();
        assert_eq!(unrouted_path.status().as_u16(), 200);
        assert_eq!(unrouted_path.headers()[FALLBACK_HEADER], "getItem");
        assert_eq!(unrouted_path.headers()["x-layer"], "on");
        assert_eq!(unrouted_path.json::<Value>().await.unwrap(), created);

        // The spec still decides what is a request at all.
        assert_eq!(call(reqwest::Method::GET, "/items/seven").await.unwrap().status().as_u16(), 400);
        assert_eq!(call(reqwest::Method::DELETE, "/items").await.unwrap().status().as_u16(), 405);
        assert_eq!(call(reqwest::Method::GET, "/other").await.unwrap().status().as_u16(), 404);
        assert_eq!(harness.violations(), Vec::<String>::new());
        server.shutdown().await;
    }
}
