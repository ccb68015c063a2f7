//! The Salesloft Conversations emulator. Conversations, transcriptions and
//! their sentences live in the generic store, which filters, sorts and
//! pages them; here is what the spec cannot say. Records are generated from
//! (seed, index), updates in groups of three sharing a time, so cursor
//! walks meet ties. Lists are newest first by default, with counts only on
//! `include_paging_counts`. A bearer (the API key or an issued token), a
//! per-minute cost budget (deep pages cost more; spent, a 429 with
//! `Retry-After`) in `x-ratelimit-*` headers, and 422 for invalid
//! parameters. Reference `_href`s are Salesloft's URLs, only for resources
//! the spec models.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::{Answer, Context, Hooks, Records, compare, overlay, text};
use super::{HarnessConfig, Refused, Sandbox};
use crate::salesloft::types::Conversation;

/// Emulator settings.
#[derive(Debug, Clone)]
pub struct SalesloftConfig {
    /// Conversations in the data set.
    pub conversations: u64,
    /// The API key the emulator accepts.
    pub api_key: String,
    /// Cost budget per rate-limit window (Salesloft: 600 per minute).
    pub budget: u64,
    /// Length of the rate-limit window (a minute; shorter in tests).
    pub window: Duration,
    /// Latency, request log and response checks.
    pub harness: HarnessConfig,
}

impl Default for SalesloftConfig {
    fn default() -> Self {
        Self {
            conversations: 500,
            api_key: "ak_sandbox0000000000000000000000000000000000000000000000000000000000".into(),
            budget: 600,
            window: Duration::from_secs(60),
            harness: HarnessConfig::default(),
        }
    }
}

super::emulator! {
    /// A running Salesloft emulator.
    SalesloftSandbox = SalesloftState(SalesloftConfig, crate::salesloft::SPEC_JSON);

    fn new(seed: u64, config: SalesloftConfig) -> Self {
        let inner = Inner {
            rng: fastrand::Rng::with_seed(seed),
            tokens: HashSet::new(),
            window_start: Instant::now(),
            spent: 0,
        };
        Self { seed, config, inner: Mutex::new(inner) }
    }

    fn render_error(status: StatusCode, message: String) -> Response {
        render_error(status, message)
    }

    /// The API key: a bearer as good as an issued token.
    fn credential(&self, _: &str) -> Option<crate::Secret> {
        Some(self.config.api_key.clone().into())
    }

    /// The API key or an issued OAuth token; a refused request is told the budget, not charged.
    fn authenticate(&self, _: &str, bearer: Option<&str>, request: &axum::http::request::Parts) -> Result<(), Refused> {
        let mut inner = super::lock(&self.inner);
        if bearer.is_some_and(|b| b == self.config.api_key || inner.tokens.contains(b)) {
            return Ok(());
        }
        let remaining = self.left(&mut inner);
        drop(inner);
        let mut response = error(StatusCode::UNAUTHORIZED, "Unauthorized");
        rate_headers(&mut response, remaining, cost_of(request.uri.query()));
        Err(response.into())
    }

    fn layer(state: &Arc<Self>, routes: axum::Router<Arc<Self>>) -> axum::Router<Arc<Self>> {
        routes.layer(from_fn_with_state(state.clone(), gatekeeper))
    }
}

/// The store's collections (each transcription has its `/sentences`).
const CONVERSATIONS: &str = "/v2/conversations";
const TRANSCRIPTIONS: &str = "/v2/transcriptions";

impl Sandbox<SalesloftState> {
    /// The API key the emulator accepts.
    pub fn api_key(&self) -> String {
        self.api.config.api_key.clone()
    }

    /// Issues an OAuth access token the emulator accepts until revoked.
    pub fn issue_access_token(&self) -> String {
        let mut inner = super::lock(&self.api.inner);
        let token = format!("oauth-{:016x}", inner.rng.u64(..));
        inner.tokens.insert(token.clone());
        token
    }

    /// Revokes every issued OAuth access token (the API key stays valid).
    pub fn revoke_access_tokens(&self) {
        super::lock(&self.api.inner).tokens.clear();
    }

    /// The id of conversation `index` of the data set (`None` past its end).
    pub fn conversation_id(&self, index: u64) -> Option<String> {
        let index = usize::try_from(index).ok()?;
        self.contract.store.read(CONVERSATIONS, |all| all.get(index).and_then(|c| text(c.get("id")?)))
    }

    /// Every conversation of the data set, oldest first.
    pub fn all_conversations(&self) -> Vec<Conversation> {
        self.records(CONVERSATIONS).into_iter().filter_map(|c| serde_json::from_value(c).ok()).collect()
    }
}

/// The seed, issued tokens and rate-limit window; the store has the records.
#[derive(Debug)]
pub struct SalesloftState {
    seed: u64,
    config: SalesloftConfig,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    rng: fastrand::Rng,
    tokens: HashSet<String>,
    window_start: Instant,
    spent: u64,
}

impl SalesloftState {
    /// The budget left in the current window (a new one once the last is over).
    fn left(&self, inner: &mut Inner) -> u64 {
        if inner.window_start.elapsed() >= self.config.window {
            inner.window_start = Instant::now();
            inner.spent = 0;
        }
        self.config.budget.saturating_sub(inner.spent)
    }
}

impl Hooks for SalesloftState {
    fn seed(&self, path: &str) -> Option<Vec<Value>> {
        let indices = 0..self.config.conversations;
        match path {
            CONVERSATIONS => Some(indices.map(|i| data::conversation(self.seed, i)).collect()),
            TRANSCRIPTIONS => Some(indices.map(|i| data::transcription(self.seed, i)).collect()),
            // Of a transcription the store has found.
            _ => path.strip_prefix(TRANSCRIPTIONS)?.ends_with("/sentences").then(data::sentences),
        }
    }

    fn defaults(&self, operation_id: &str) -> Vec<(String, String)> {
        // Documented in prose only: newest first.
        let newest_first = [("sort_by", "created_at"), ("sort_direction", "desc")];
        let listing = operation_id == "listConversations";
        newest_first.into_iter().filter(|_| listing).map(|(name, value)| (name.into(), value.into())).collect()
    }

    /// Records that sort the same are in creation order, newest first when descending.
    fn ties(&self, _request: &Context<'_>, a: &Value, b: &Value) -> std::cmp::Ordering {
        compare(a.get("created_at"), b.get("created_at"))
    }

    fn listed(&self, request: &Context<'_>, answer: &mut Value) {
        if request.param("include_paging_counts") != Some("true")
            && let Some(paging) = answer.pointer_mut("/metadata/paging").and_then(Value::as_object_mut)
        {
            paging.remove("total_pages");
            paging.remove("total_count");
        }
    }

    fn answer(&self, request: &Context<'_>, _body: &Value, records: &mut Records<'_>) -> Option<Answer> {
        if request.operation_id != "getConversationExtensive" {
            return None;
        }
        Some(records.found(CONVERSATIONS, request.path_param("id")).map(|conversation| {
            let mut extensive = conversation.clone();
            overlay(&mut extensive, data::participants());
            (200, json!({ "data": extensive }))
        }))
    }
}

mod data {
    //! Generated records: creation times grow with the index, updates in threes.

    use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
    use serde_json::{Value, json};

    const OWNERS: [&str; 4] = [
        "0f1e2d3c-4b5a-4697-8877-66554433a001",
        "0f1e2d3c-4b5a-4697-8877-66554433a002",
        "0f1e2d3c-4b5a-4697-8877-66554433a003",
        "0f1e2d3c-4b5a-4697-8877-66554433a004",
    ];
    const COMPANIES: [&str; 6] = ["Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Litware"];
    const KINDS: [&str; 4] = ["Discovery call with", "Demo for", "Renewal check-in:", "Pricing review with"];
    const PLATFORMS: [&str; 10] =
        ["zoom", "zoom", "zoom", "zoom", "ms_teams", "ms_teams", "google_meet", "webex", "salesloft", "manual_upload"];
    const API: &str = "https://api.salesloft.com/v2";

    /// `minutes` after the data set's start (the latest time there is, past it).
    fn at(minutes: u64) -> DateTime<Utc> {
        let start = Utc.with_ymd_and_hms(2024, 1, 8, 9, 0, 0).single().unwrap_or_default();
        let later = i64::try_from(minutes).ok().and_then(chrono::Duration::try_minutes);
        later.and_then(|later| start.checked_add_signed(later)).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// A time as the API writes it (one width, so text order is time order).
    fn stamp(at: DateTime<Utc>) -> Value {
        Value::from(at.to_rfc3339_opts(SecondsFormat::Secs, true))
    }

    /// When record `index` was created and last updated, in minutes.
    fn times(index: u64) -> (u64, u64) {
        (index.saturating_mul(37), (index / 3).saturating_mul(37 * 3).saturating_add(90))
    }

    fn id(seed: u64, index: u64) -> String {
        let h = crate::sandbox::mix(seed ^ 0x5a1e5);
        format!("{:08x}-{:04x}-4{:03x}-9{:03x}-{:012x}", h as u32, (h >> 32) as u16, (h >> 48) & 0xfff, 0, index)
    }

    pub(super) fn conversation(seed: u64, index: u64) -> Value {
        let mut rng = fastrand::Rng::with_seed(crate::sandbox::mix(seed.wrapping_add(index.wrapping_mul(7919))));
        let (id, (created, updated)) = (id(seed, index), times(index));
        let start = at(created) - chrono::Duration::minutes(rng.i64(5..60));
        let duration_ms = rng.i64(60..3_600) * 1_000;
        let platform = PLATFORMS[rng.usize(..PLATFORMS.len())];
        let owner = OWNERS[rng.usize(..OWNERS.len())];
        let company = COMPANIES[rng.usize(..COMPANIES.len())];
        json!({
            "id": id, "duration": duration_ms, "is_api": rng.u8(..10) == 0, "platform": platform,
            "media_type": if rng.bool() { "video" } else { "audio" },
            "organization_id": "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
            "title": format!("{} {company}", KINDS[rng.usize(..KINDS.len())]),
            "owner_id": owner, "user_guid": owner,
            "started_recording_at": start.timestamp_millis(), "event_start_date": stamp(start),
            "event_end_date": stamp(start + chrono::Duration::milliseconds(duration_ms)),
            "language_code": if rng.u8(..8) == 0 { "de-DE" } else { "en-US" },
            "created_at": stamp(at(created)), "updated_at": stamp(at(updated)),
            "call_id": format!("{}", 9_000_000 + index),
            // Accounts, people, recordings and artifacts are not in the spec:
            // their references carry the id alone, no link that leads nowhere.
            "account": {"id": format!("{}", 1000 + rng.u16(..40))},
            "person": {"id": format!("{}", 5000 + rng.u16(..200))},
            "recording": {"id": id},
            "transcription": {"id": id, "_href": format!("{API}/transcriptions/{id}")},
            "transcription_sentences": {"id": id, "_href": format!("{API}/transcriptions/{id}/sentences")},
            "transcription_artifact": {"id": id},
        })
    }

    /// The transcription of conversation `index`, five minutes after it.
    pub(super) fn transcription(seed: u64, index: u64) -> Value {
        let conversation = conversation(seed, index);
        let (id, (created, updated)) = (id(seed, index), times(index));
        json!({
            "id": id, "language_code": conversation["language_code"],
            "created_at": stamp(at(created.saturating_add(5))), "updated_at": stamp(at(updated)),
            "conversation": {"id": id, "_href": format!("{API}/conversations/{id}")},
            "transcription_sentences": conversation["transcription_sentences"],
            "transcription_artifact": conversation["transcription_artifact"],
        })
    }

    pub(super) fn sentences() -> Vec<Value> {
        const LINES: [(&str, &str); 4] = [
            ("Avery Seller", "Thanks for making the time today."),
            ("Jordan Buyer", "Happy to. We are looking at options for next quarter."),
            ("Avery Seller", "Great, what matters most to your team?"),
            ("Jordan Buyer", "Reporting, mostly, and the integrations."),
        ];
        let line = |(i, (speaker, text)): (usize, &(&str, &str))| {
            let start_time = i as f64 * 4.5;
            json!({"order": i + 1, "speaker": speaker, "text": text, "start_time": start_time})
        };
        LINES.iter().enumerate().map(line).collect()
    }

    /// The attendees and invitees of an extensive conversation.
    pub(super) fn participants() -> Value {
        let person = |name: &str, internal: bool| {
            let domain = if internal { "salesloft" } else { "customer" };
            let email = format!("{}@{domain}.example", name.to_lowercase().replace(' ', "."));
            json!({"email": email, "full_name": name, "is_internal": internal})
        };
        let (seller, buyer) = (person("Avery Seller", true), person("Jordan Buyer", false));
        json!({"attendees": [seller, buyer], "invitees": [seller, buyer, person("Sam Finance", false)]})
    }
}

/// Salesloft errors: `{"error": "..."}`, or `{"errors": {field: [msg]}}` for 422.
fn render_error(status: StatusCode, message: String) -> Response {
    match status {
        // Salesloft answers invalid parameters with 422, naming the parameter.
        StatusCode::BAD_REQUEST => {
            let (field, text) = message.split_once(": ").unwrap_or(("request", message.as_str()));
            let body = json!({ "errors": { field: [text] } });
            (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
        }
        // And a record that is not there with its bare 404.
        StatusCode::NOT_FOUND => error(status, "Not Found"),
        _ => error(status, &message),
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// Charges the request against the minute's budget; every answer carries the rate-limit headers.
async fn gatekeeper(State(state): State<Arc<SalesloftState>>, request: Request, next: Next) -> Response {
    let cost = cost_of(request.uri().query());
    let (remaining, retry_after) = {
        let mut inner = super::lock(&state.inner);
        let left = state.left(&mut inner);
        let retry_after = (cost > left).then(|| {
            let rest = state.config.window.saturating_sub(inner.window_start.elapsed());
            rest.as_secs() + u64::from(rest.subsec_nanos() > 0)
        });
        if retry_after.is_none() {
            inner.spent += cost;
        }
        (state.config.budget.saturating_sub(inner.spent), retry_after)
    };
    let mut response = if let Some(seconds) = retry_after {
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded");
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        r
    } else {
        next.run(request).await
    };
    rate_headers(&mut response, remaining, cost);
    response
}

/// What a request with this query costs: more for deep pages (`RateLimitEndpointCost`'s `x-provenance`).
fn cost_of(query: Option<&str>) -> u64 {
    let page = super::query_pairs(query).into_iter().find(|(k, _)| k == "page").and_then(|(_, v)| v.parse().ok());
    match page.unwrap_or(1) {
        0..=100 => 1,
        101..=150 => 3,
        151..=250 => 8,
        251..=500 => 10,
        _ => 30,
    }
}

fn rate_headers(response: &mut Response, remaining: u64, cost: u64) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-remaining-minute", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-endpoint-cost", HeaderValue::from(cost));
}
