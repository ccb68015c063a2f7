//! What every emulator shares: the request log and script, the spec
//! contract, and simulated latency, wrapped around its routes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{Next, from_fn, from_fn_with_state};

use super::contract::{Contract, ErrorRenderer, enforce};
use super::recorder::{DEFAULT_LOG_CAPACITY, Recorder, record_and_script};
use super::{RecordedRequest, ScriptedResponse};

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
}

impl Default for HarnessConfig {
    fn default() -> Self {
        Self { latency: Duration::ZERO, request_log: DEFAULT_LOG_CAPACITY, check_responses: true }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Harness {
    recorder: Recorder,
    contract: Arc<Contract>,
    latency: Duration,
}

impl Harness {
    pub(crate) fn new(spec_json: &str, render_error: ErrorRenderer, config: &HarnessConfig) -> Result<Self, String> {
        Ok(Self {
            recorder: Recorder::new(config.request_log),
            contract: Arc::new(Contract::new(spec_json, render_error, config.check_responses)?),
            latency: config.latency,
        })
    }

    /// Layers, outermost first: record and script, latency, the contract.
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

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.recorder.requests()
    }

    pub(crate) fn clear_requests(&self) {
        self.recorder.clear()
    }

    pub(crate) fn script(&self, response: ScriptedResponse) {
        self.recorder.script(response)
    }

    pub(crate) fn violations(&self) -> Vec<String> {
        self.contract.violations()
    }
}
