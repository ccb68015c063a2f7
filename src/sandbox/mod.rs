//! Local emulators of the APIs, served over loopback (`127.0.0.1`, an
//! ephemeral port unless one is asked for), for tests, examples and the
//! CLI's `--sandbox` mode. A sandbox records every request and can be
//! scripted to answer the next matching ones (a 503 with `Retry-After`, a
//! corrupt download), so tests exercise real HTTP end to end. An operation
//! an emulator has no behaviour for is validated and answered from the spec
//! (header `x-sandbox-fallback` names it); a [`SpecSandbox`] serves any spec so.

mod contract;
mod errors;
mod fallback;
mod recorder;
mod server;
pub(crate) mod store;
pub use crate::spec::validate;

/// Declares an emulator: its sandbox type, state (the store's [`Hooks`]),
/// settings (with a `harness`) and spec, and the rest of its [`Emulator`] impl.
#[allow(unused_macros)] // (Unused when the sandbox is built without any API.)
macro_rules! emulator {
    ($(#[$doc:meta])* $sandbox:ident = $state:ident($config:ty, $spec:expr); $($rest:tt)*) => {
        $(#[$doc])*
        pub type $sandbox = $crate::sandbox::Sandbox<$state>;

        impl $crate::sandbox::Emulator for $state {
            type Config = $config;
            const SPEC_JSON: &'static str = $spec;

            fn harness(config: &$config) -> &$crate::sandbox::HarnessConfig {
                &config.harness
            }

            fn hooks(state: &std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn $crate::sandbox::Hooks>> {
                Some(state.clone())
            }

            $($rest)*
        }
    };
}
#[allow(unused_imports)]
use emulator;

/// One module per API with behaviour of its own; the store alone serves the others.
macro_rules! emulator_modules {
    (own: [$($api:ident: $feature:literal,)*], generic: [$($_generic:ident: $_feature:literal,)*]) => {
        $(
            #[cfg(feature = $feature)]
            pub mod $api;
        )*
    };
}
for_each_api_by_module!(sandbox, emulator_modules);

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;

pub use contract::FALLBACK_HEADER;
#[doc(hidden)]
pub use fallback::request_body;
pub use recorder::{DEFAULT_LOG_CAPACITY, RecordedRequest, ScriptedResponse};
pub use server::{ConnectionLimits, Server};
pub use store::Hooks;

use contract::Contract;
use recorder::Recorder;

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

/// A running emulator of one API: its server, the request log and script,
/// the contract and the API's state, with each API's own controls.
#[derive(Debug)]
pub struct Sandbox<A> {
    server: Server,
    recorder: Arc<Mutex<Recorder>>,
    contract: Arc<Contract>,
    api: Arc<A>,
}

impl<A> Sandbox<A> {
    /// The base URL to give the API's client.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.recorder).log.iter().cloned().collect()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.recorder).log.clear()
    }

    /// Answers the next matching requests with a canned response.
    pub fn script(&self, response: ScriptedResponse) {
        lock(&self.recorder).script.push(response)
    }

    /// The records of the generic store's collection at `path` (a request's
    /// path, e.g. `/api/v1/tasks` or `/pets/7/toys`), in order.
    pub fn records(&self, path: &str) -> Vec<serde_json::Value> {
        self.contract.store.read(path, <[serde_json::Value]>::to_vec)
    }

    /// Responses the emulator sent that its spec does not allow (should be none).
    pub fn contract_violations(&self) -> Vec<String> {
        lock(&self.contract.violations).clone()
    }

    /// Stops the server.
    pub async fn shutdown(self) {
        self.server.shutdown().await
    }

    /// Serves `routes` (with state applied, and `contract::with_fallback`
    /// under their own layers) behind the contract, then the log and script.
    async fn serve(
        api: Arc<A>,
        routes: axum::Router,
        contract: Contract,
        config: &HarnessConfig,
        port: u16,
    ) -> io::Result<Self> {
        let recorder = Arc::new(Mutex::new(Recorder { capacity: config.request_log, ..Recorder::default() }));
        let contract = Arc::new(contract);
        let routes = routes
            .layer(from_fn_with_state(contract.clone(), contract::enforce))
            .layer(from_fn_with_state(recorder.clone(), recorder::record_and_script));
        let server = Server::start(routes, port, config.connections).await?;
        Ok(Self { server, recorder, contract, api })
    }
}

/// One API's emulator: its spec, its state and routes, and its error body.
/// [`Sandbox::start`] serves any of them behind the same harness.
pub trait Emulator: Sized + Send + Sync + 'static {
    /// The emulator's settings (seeded data, credentials, the harness's).
    type Config;
    /// The spec every request and response is checked against.
    const SPEC_JSON: &'static str;
    /// The emulator's state, generated from `seed`.
    fn new(seed: u64, config: Self::Config) -> Self;
    /// The harness settings inside `config`.
    fn harness(config: &Self::Config) -> &HarnessConfig;
    /// What the emulator adds to the generic store.
    fn hooks(_state: &Arc<Self>) -> Option<Arc<dyn Hooks>> {
        None
    }
    /// The emulator's routes: by default none but [`Emulator::layer`]'s,
    /// the store (with the emulator's [`Hooks`]) and the spec answering every operation.
    fn routes(state: Arc<Self>) -> axum::Router {
        Self::layer(&state, contract::with_fallback(axum::Router::new())).with_state(state)
    }
    /// Middleware around the emulated operations (none by default).
    fn layer(_state: &Arc<Self>, routes: axum::Router<Arc<Self>>) -> axum::Router<Arc<Self>> {
        routes
    }
    /// An error answer in the API's shape (by default the spec's error schema, filled in).
    fn render_error(status: StatusCode, message: String) -> Response {
        let validator = validate::SpecValidator::embedded(Self::SPEC_JSON);
        validator.map_or_else(|_| errors::plain(status, &message), |v| errors::render(v, None, status, &message))
    }
    /// The credential a client presents for the spec's security scheme `scheme` (none by default).
    fn credential(&self, _scheme: &str) -> Option<crate::Secret> {
        None
    }
    /// The security schemes the emulator checks, by name (another is a 401);
    /// with none, it takes its [`Emulator::credential`], else any credential.
    const SCHEMES: &'static [(&'static str, Check<Self>)] = &[];
    /// Checks the credential a request presents for `scheme` (`None`: none),
    /// before it is validated; `Err` is the answer. By default
    /// [`Emulator::SCHEMES`] decide.
    fn authenticate(
        &self,
        scheme: &str,
        credential: Option<&str>,
        _request: &axum::http::request::Parts,
    ) -> Result<(), Refused> {
        if Self::SCHEMES.is_empty() {
            let accepts = |given: &str| self.credential(scheme).is_none_or(|accepted| given == accepted.expose());
            return accepted(scheme, credential, accepts)
                .map_err(|message| Self::render_error(StatusCode::UNAUTHORIZED, message).into());
        }
        match Self::SCHEMES.iter().find(|(name, _)| *name == scheme) {
            Some((_, check)) => check(self, credential),
            None => {
                let message = format!("unknown security scheme {scheme}");
                Err(Self::render_error(StatusCode::UNAUTHORIZED, message).into())
            }
        }
    }
}

/// Checks the credential presented for one security scheme (`None`: none).
pub type Check<E> = fn(&E, Option<&str>) -> Result<(), Refused>;

impl<E: Emulator> Sandbox<E> {
    /// The credential the emulator accepts for the spec's security scheme
    /// `scheme`, where one is all a client needs.
    pub fn credential(&self, scheme: &str) -> Option<crate::Secret> {
        self.api.credential(scheme)
    }

    /// Starts the emulator on loopback (`port` 0 picks a free one).
    pub async fn start(seed: u64, port: u16, config: E::Config) -> io::Result<Self> {
        let harness_config = E::harness(&config).clone();
        let state = Arc::new(E::new(seed, config));
        let emulator = state.clone();
        let authenticate = Arc::new(move |scheme: &str, credential: Option<&str>, request: &_| {
            emulator.authenticate(scheme, credential, request)
        });
        let spec = serde_json::from_str(E::SPEC_JSON).map_err(io::Error::other)?;
        let validator = Arc::new(validate::SpecValidator::new(&spec).map_err(io::Error::other)?);
        let contract = Contract::new(validator, Some(E::render_error), authenticate, E::hooks(&state), &harness_config);
        Self::serve(state.clone(), E::routes(state), contract, &harness_config, port).await
    }
}

/// The answer to a request whose credentials were refused (any response converts with `?` or `.into()`).
#[derive(Debug)]
pub struct Refused(pub(crate) Box<Response>);

impl<T: axum::response::IntoResponse> From<T> for Refused {
    fn from(answer: T) -> Self {
        Self(Box::new(answer.into_response()))
    }
}

/// Whether the credential presented for `scheme` (`None`: none) is one
/// `accepts` takes; `Err` says why not, for a 401.
fn accepted(scheme: &str, credential: Option<&str>, accepts: impl FnOnce(&str) -> bool) -> Result<(), String> {
    match credential {
        Some(given) if accepts(given) => Ok(()),
        Some(_) => Err(format!("invalid credentials ({scheme})")),
        None => Err(format!("missing credentials ({scheme})")),
    }
}

/// The one credential a [`SpecSandbox`] accepts, for every security scheme
/// of its spec (with `basic`, as the whole `user:password` text).
pub const SPEC_CREDENTIAL: &str = "sandbox";

/// What a [`SpecSandbox`] takes for a field of the operation that gives a
/// token (`x-token`): [`SPEC_CREDENTIAL`], or `1` for a number; the token is [`SPEC_CREDENTIAL`].
pub fn spec_token_field(field: &crate::spec::model::TokenField) -> &'static str {
    if field.number { "1" } else { SPEC_CREDENTIAL }
}

/// The state of a [`SpecSandbox`]: none, as it emulates nothing.
#[derive(Debug)]
pub struct SpecOnly;

/// A sandbox for any OpenAPI 3.0 spec, without an emulator: every request
/// is validated and answered by the generic store or the spec's documented
/// success response. Where the spec's `security` asks for a credential,
/// [`SPEC_CREDENTIAL`] is accepted and any other, or none, is a 401.
pub type SpecSandbox = Sandbox<SpecOnly>;

impl Sandbox<SpecOnly> {
    /// Serves `spec` (OpenAPI 3.0 as JSON) on loopback (`port` 0 picks a free one).
    ///
    /// # Errors
    ///
    /// The spec cannot be enforced (see [`validate::SpecValidator::new`]), or
    /// the port cannot be bound.
    pub async fn from_spec(spec: &serde_json::Value, port: u16, config: &HarnessConfig) -> io::Result<Self> {
        let validator = Arc::new(validate::SpecValidator::new(spec).map_err(io::Error::other)?);
        let renders = validator.clone();
        let sandbox_credential = Arc::new(move |scheme: &str, credential: Option<&str>, _: &_| {
            // A basic credential arrives as base64 of `user:password`.
            let basic = |given: &str| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, given).ok();
            let accepts =
                |given: &str| given == SPEC_CREDENTIAL || basic(given).as_deref() == Some(SPEC_CREDENTIAL.as_bytes());
            accepted(scheme, credential, accepts)
                .map_err(|message| errors::render(&renders, None, StatusCode::UNAUTHORIZED, &message).into())
        });
        let contract = Contract::new(validator, None, sandbox_credential, None, config);
        Self::serve(Arc::new(SpecOnly), contract::with_fallback(axum::Router::new()), contract, config, port).await
    }
}

/// SplitMix64: a fast, well-mixed hash of a u64.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// `mutex`, locked: a panic while another held it leaves the data usable.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A random (version 4) UUID from a seeded generator.
#[cfg_attr(not(any(feature = "raia", feature = "liveperson")), allow(dead_code))]
pub(crate) fn uuid(rng: &mut fastrand::Rng) -> String {
    let (a, b) = (rng.u64(..), rng.u64(..));
    let (time, variant) = ((a >> 16) & 0xffff, 0x8000 | (b >> 48 & 0x3fff));
    format!("{:08x}-{time:04x}-4{:03x}-{variant:04x}-{:012x}", a >> 32, a & 0xfff, b & 0xffff_ffff_ffff)
}

/// A bearer shaped as a JWT: readable `claims`, and `id` where a signature would be.
#[cfg_attr(not(any(feature = "luware", feature = "liveperson")), allow(dead_code))]
pub(crate) fn jwt(claims: &serde_json::Value, id: &str) -> String {
    let encode = |bytes: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
    format!("{}.{}.{id}", encode(br#"{"alg":"HS256","typ":"JWT"}"#), encode(claims.to_string().as_bytes()))
}

/// A request's query, decoded into pairs in order.
pub(crate) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query.unwrap_or("")).unwrap_or_default()
}
