//! What every emulator shares around its routes: the request log and script, the contract, latency.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::{Next, from_fn, from_fn_with_state};

use super::ConnectionLimits;
use super::contract::{Contract, enforce};
use super::recorder::{DEFAULT_LOG_CAPACITY, Recorder, record_and_script};

/// Behaviour every emulator shares.
#[derive(Debug, Clone)]
pub struct HarnessConfig {
    /// Delay added to every request, to behave like a remote API.
    pub latency: Duration,
    /// How many received requests to keep for `requests()` (0: none).
    pub request_log: usize,
    /// Check every JSON response against the spec (a violation is a 500, listed by `contract_violations()`).
    pub check_responses: bool,
    /// Deadlines of slow or idle connections, and how many may be open.
    pub connections: ConnectionLimits,
    /// Records each collection of the generic store starts with (`None`: the spec's answer's).
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
    pub(super) recorder: Recorder,
    pub(super) contract: Arc<Contract>,
    latency: Duration,
    pub(super) limits: ConnectionLimits,
}

impl Harness {
    /// A harness around `contract`, recording and delaying as `config` says.
    pub(crate) fn new(contract: Contract, config: &HarnessConfig) -> Self {
        Self {
            recorder: Recorder::new(config.request_log),
            contract: Arc::new(contract),
            latency: config.latency,
            limits: config.connections,
        }
    }

    /// Layers, outermost first: record and script, latency, the contract
    /// (`routes` has `contract::with_fallback` under its own layers).
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
}
