//! The Salesloft Conversations emulator.
//!
//! Deterministic conversations generated from (seed, index), filtered and
//! sorted with the documented semantics, paged with `metadata.paging` (and
//! the counts when `include_paging_counts` is set), a bearer check (an API
//! key plus OAuth tokens the test issues), and a per-minute cost budget:
//! every response carries `x-ratelimit-remaining-minute` and
//! `x-ratelimit-endpoint-cost`, deep pages cost more, and a spent budget
//! answers 429 with `Retry-After`. Invalid parameters answer 422, as
//! Salesloft does. Reference `_href`s are Salesloft's absolute URLs, and only
//! for resources the spec models (a transcription, its sentences, a
//! conversation: under the spec's server they are its operations); the
//! others carry their id alone.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::{HarnessConfig, Refused, Sandbox};
use crate::salesloft::types::{
    AccountRef, Conversation, ConversationEnvelope, ConversationExtensive, ConversationExtensiveEnvelope,
    ConversationList, ConversationRef, ListMetadata, MediaType, Paging, Participant, PersonRef, Platform, RecordingRef,
    Transcription, TranscriptionArtifactRef, TranscriptionEnvelope, TranscriptionList, TranscriptionRef,
    TranscriptionSentence, TranscriptionSentenceList, TranscriptionSentencesRef,
};

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
    SalesloftSandbox = SalesloftState(SalesloftConfig, crate::salesloft::SPEC_JSON) {
        "listConversations" => list_conversations,
        "getConversation" => get_conversation,
        "getConversationExtensive" => get_extensive,
        "listTranscriptions" => list_transcriptions,
        "getTranscription" => get_transcription,
        "listTranscriptionSentences" => list_sentences,
    }

    fn new(seed: u64, config: SalesloftConfig) -> Self {
        let inner = Inner {
            rng: fastrand::Rng::with_seed(seed),
            tokens: HashSet::new(),
            window_start: Instant::now(),
            spent: 0,
        };
        Self { seed, config, inner: Mutex::new(inner), by_duration: OnceLock::new() }
    }

    fn render_error(status: StatusCode, message: String) -> Response {
        render_error(status, message)
    }

    /// The API key: a bearer as good as an issued token.
    fn credential(&self, _: &str) -> Option<crate::Secret> {
        Some(self.config.api_key.clone().into())
    }

    /// The bearer (`bearerAuth`): the API key or an issued OAuth token. A
    /// refused request is not charged, but is told the budget.
    fn authenticate(&self, _: &str, bearer: Option<&str>, request: &axum::http::request::Parts) -> Result<(), Refused> {
        let mut inner = self.lock();
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

impl Sandbox<SalesloftState> {
    /// The API key the emulator accepts.
    pub fn api_key(&self) -> String {
        self.api.config.api_key.clone()
    }

    /// Issues an OAuth access token the emulator accepts until revoked.
    pub fn issue_access_token(&self) -> String {
        let mut inner = self.api.lock();
        let token = format!("oauth-{:016x}", inner.rng.u64(..));
        inner.tokens.insert(token.clone());
        token
    }

    /// Revokes every issued OAuth access token (the API key stays valid).
    pub fn revoke_access_tokens(&self) {
        self.api.lock().tokens.clear();
    }

    /// The id of conversation `index` of the data set (`None` past its end).
    pub fn conversation_id(&self, index: u64) -> Option<String> {
        (index < self.api.config.conversations).then(|| self.api.conversation(index).id)
    }

    /// Every conversation of the data set, in index order (oldest first).
    pub fn all_conversations(&self) -> Vec<Conversation> {
        (0..self.api.config.conversations).map(|i| self.api.conversation(i)).collect()
    }
}

/// The data set, issued tokens and rate-limit window.
#[derive(Debug)]
pub struct SalesloftState {
    seed: u64,
    config: SalesloftConfig,
    inner: Mutex<Inner>,
    /// Indices in ascending order of duration, built on first use.
    by_duration: OnceLock<Arc<[u64]>>,
}

#[derive(Debug)]
struct Inner {
    rng: fastrand::Rng,
    tokens: HashSet<String>,
    window_start: Instant,
    spent: u64,
}

impl SalesloftState {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The budget left in the current window (a new one once the last is over).
    fn left(&self, inner: &mut Inner) -> u64 {
        if inner.window_start.elapsed() >= self.config.window {
            inner.window_start = Instant::now();
            inner.spent = 0;
        }
        self.config.budget.saturating_sub(inner.spent)
    }

    fn conversation(&self, index: u64) -> Conversation {
        data::conversation(self.seed, index)
    }

    /// The data set's indices in ascending order of `sort_by`, ties in
    /// creation order; `None` when that is index order (creation times grow
    /// with the index, update times never fall). Durations are random: their
    /// order is worked out once, on first use, since the data never changes.
    fn order(&self, sort_by: &str) -> Option<Arc<[u64]>> {
        if sort_by != "duration" {
            return None;
        }
        let order = self.by_duration.get_or_init(|| {
            let mut keyed: Vec<(f64, u64)> = (0..self.config.conversations)
                .map(|i| (self.conversation(i).duration.unwrap_or_default(), i))
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            keyed.into_iter().map(|(_, i)| i).collect()
        });
        Some(order.clone())
    }
}

mod data {
    //! Generated records. Creation times grow with the index; updates come
    //! in groups of three sharing one timestamp, so cursor walks meet ties.

    use super::*;

    const OWNERS: [&str; 4] = [
        "0f1e2d3c-4b5a-4697-8877-66554433a001",
        "0f1e2d3c-4b5a-4697-8877-66554433a002",
        "0f1e2d3c-4b5a-4697-8877-66554433a003",
        "0f1e2d3c-4b5a-4697-8877-66554433a004",
    ];
    const COMPANIES: [&str; 6] = ["Contoso", "Fabrikam", "Northwind", "Tailspin", "Woodgrove", "Litware"];
    const KINDS: [&str; 4] = ["Discovery call with", "Demo for", "Renewal check-in:", "Pricing review with"];

    pub(super) fn epoch() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 8, 9, 0, 0).single().unwrap_or_default()
    }

    pub(super) fn id(seed: u64, index: u64) -> String {
        let h = crate::sandbox::mix(seed ^ 0x5a1e5);
        format!("{:08x}-{:04x}-4{:03x}-9{:03x}-{:012x}", h as u32, (h >> 32) as u16, (h >> 48) & 0xfff, 0, index)
    }

    pub(super) fn index_of(seed: u64, id: &str, count: u64) -> Option<u64> {
        let index = u64::from_str_radix(id.rsplit('-').next()?, 16).ok()?;
        (index < count && self::id(seed, index) == id).then_some(index)
    }

    pub(super) fn conversation(seed: u64, index: u64) -> Conversation {
        let mut rng = fastrand::Rng::with_seed(crate::sandbox::mix(seed.wrapping_add(index * 7919)));
        let id = id(seed, index);
        let created = epoch() + chrono::Duration::minutes(37 * index as i64);
        let updated = epoch() + chrono::Duration::minutes(37 * 3 * (index / 3) as i64 + 90);
        let start = created - chrono::Duration::minutes(rng.i64(5..60));
        let duration_ms = rng.i64(60..3_600) * 1_000;
        let platform = match rng.u8(..10) {
            0..=3 => Platform::Zoom,
            4..=5 => Platform::MsTeams,
            6 => Platform::GoogleMeet,
            7 => Platform::Webex,
            8 => Platform::Salesloft,
            _ => Platform::ManualUpload,
        };
        let owner = OWNERS[rng.usize(..OWNERS.len())].to_string();
        let company = COMPANIES[rng.usize(..COMPANIES.len())];
        let href = |path: String| Some(format!("https://api.salesloft.com/v2/{path}"));
        Conversation {
            id: id.clone(),
            duration: Some(duration_ms as f64),
            is_api: Some(rng.u8(..10) == 0),
            platform: Some(platform),
            media_type: Some(if rng.bool() { MediaType::Video } else { MediaType::Audio }),
            organization_id: Some("7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d".into()),
            title: Some(format!("{} {company}", KINDS[rng.usize(..KINDS.len())])),
            owner_id: Some(owner.clone()),
            user_guid: Some(owner),
            started_recording_at: Some(start.timestamp_millis() as f64),
            event_start_date: Some(start),
            event_end_date: Some(start + chrono::Duration::milliseconds(duration_ms)),
            language_code: Some(if rng.u8(..8) == 0 { "de-DE" } else { "en-US" }.into()),
            created_at: Some(created),
            updated_at: Some(updated),
            call_id: Some(format!("{}", 9_000_000 + index)),
            // Accounts, people, recordings and artifacts are not in the spec:
            // their references carry the id alone, no link that leads nowhere.
            account: Some(AccountRef { id: Some(format!("{}", 1000 + rng.u16(..40))), href: None }),
            person: Some(PersonRef { id: Some(format!("{}", 5000 + rng.u16(..200))), href: None }),
            recording: Some(RecordingRef { id: Some(id.clone()), href: None }),
            transcription: Some(TranscriptionRef { id: Some(id.clone()), href: href(format!("transcriptions/{id}")) }),
            transcription_sentences: Some(TranscriptionSentencesRef {
                id: Some(id.clone()),
                href: href(format!("transcriptions/{id}/sentences")),
            }),
            transcription_artifact: Some(TranscriptionArtifactRef { id: Some(id.clone()), href: None }),
        }
    }
}

/// Salesloft errors: `{"error": "..."}`, or `{"errors": {field: [msg]}}` for 422.
fn render_error(status: StatusCode, message: String) -> Response {
    // Salesloft answers invalid parameters with 422, naming the parameter.
    if status == StatusCode::BAD_REQUEST {
        let (field, text) = message.split_once(": ").unwrap_or(("request", message.as_str()));
        let body = json!({ "errors": { field: [text] } });
        return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
    }
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// What a request costs: 1, more for deep pages (the `RateLimitEndpointCost`
/// header's `x-provenance` in specs/salesloft.yaml).
fn cost(page: u64) -> u64 {
    match page {
        0..=100 => 1,
        101..=150 => 3,
        151..=250 => 8,
        251..=500 => 10,
        _ => 30,
    }
}

/// Charges the request against the minute's budget (its bearer is checked
/// already, see `authenticate`); every answer carries the rate-limit headers.
async fn gatekeeper(State(state): State<Arc<SalesloftState>>, request: Request, next: Next) -> Response {
    let cost = cost_of(request.uri().query());
    let (remaining, retry_after) = {
        let mut inner = state.lock();
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

/// What a request with this query costs.
fn cost_of(query: Option<&str>) -> u64 {
    cost(param(query, "page").and_then(|p| p.parse().ok()).unwrap_or(1))
}

fn rate_headers(response: &mut Response, remaining: u64, cost: u64) {
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-remaining-minute", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-endpoint-cost", HeaderValue::from(cost));
}

use super::query_pairs as pairs;

fn param(query: Option<&str>, name: &str) -> Option<String> {
    pairs(query).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The filters of a list request, as parsed query pairs. Values are already
/// valid: the contract layer checked them against the spec.
struct Filters(Vec<(String, String)>);

impl Filters {
    fn one(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    fn time(&self, key: &str) -> Option<DateTime<Utc>> {
        self.one(key).and_then(|v| DateTime::parse_from_rfc3339(v).ok()).map(|t| t.with_timezone(&Utc))
    }

    /// Whether `value` is within the `[lt]`, `[lte]`, `[gt]`, `[gte]` bounds of `field`.
    fn in_range<T: PartialOrd>(&self, field: &str, value: Option<T>, read: impl Fn(&str) -> Option<T>) -> bool {
        let bound = |op: &str| read(&format!("{field}[{op}]"));
        let Some(v) = value else {
            return ["lt", "lte", "gt", "gte"].iter().all(|op| bound(op).is_none());
        };
        bound("lt").is_none_or(|b| v < b)
            && bound("lte").is_none_or(|b| v <= b)
            && bound("gt").is_none_or(|b| v > b)
            && bound("gte").is_none_or(|b| v >= b)
    }

    fn member(&self, key: &str, value: Option<&str>) -> bool {
        let wanted = self.all(key);
        wanted.is_empty() || value.is_some_and(|v| wanted.contains(&v))
    }

    fn matches(&self, c: &Conversation) -> bool {
        let as_str = |v: Option<&dyn ToString>| v.map(|v| v.to_string());
        self.one("title").is_none_or(|t| c.title.as_deref() == Some(t))
            && self.one("title[_starts_with]").is_none_or(|p| c.title.as_deref().is_some_and(|t| t.starts_with(p)))
            && self.in_range("created_at", c.created_at, |k| self.time(k))
            && self.in_range("updated_at", c.updated_at, |k| self.time(k))
            && self.in_range("duration", c.duration.map(|d| d as i64), |k| self.one(k).and_then(|v| v.parse().ok()))
            && self.member("language_code", c.language_code.as_deref())
            && self.member("platform", as_str(c.platform.as_ref().map(|p| p as &dyn ToString)).as_deref())
            && self.member("media_type", as_str(c.media_type.as_ref().map(|m| m as &dyn ToString)).as_deref())
            && self.member("owner_ids", c.owner_id.as_deref())
            && self.member("user_guids", c.user_guid.as_deref())
            && self.member("ids", Some(&c.id))
            && self.member("account_ids", c.account.as_ref().and_then(|a| a.id.as_deref()))
            && self.member("person_ids", c.person.as_ref().and_then(|p| p.id.as_deref()))
            && self.one("is_api").is_none_or(|v| c.is_api == Some(v == "true"))
    }

    fn per_page(&self) -> usize {
        self.one("per_page").and_then(|v| v.parse().ok()).unwrap_or(25)
    }

    fn page(&self) -> usize {
        self.one("page").and_then(|v| v.parse().ok()).unwrap_or(1)
    }
}

/// Slices one page out of `total` matches and describes it.
fn paging(filters: &Filters, total: usize) -> (std::ops::Range<usize>, ListMetadata) {
    let per_page = filters.per_page().max(1);
    let page = filters.page().max(1);
    let start = (page - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    let pages = total.div_ceil(per_page);
    let counts = filters.one("include_paging_counts") == Some("true");
    // The spec bounds `page` and `per_page` to int32; the last page's
    // `next_page` is null, so no page number here overflows.
    let int = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let metadata = ListMetadata {
        paging: Paging {
            per_page: int(per_page),
            current_page: int(page),
            next_page: (page < pages).then(|| int(page + 1)),
            prev_page: (page > 1).then(|| int(page - 1)),
            total_pages: counts.then(|| int(pages)),
            total_count: counts.then(|| i64::try_from(total).unwrap_or(i64::MAX)),
        },
        filtering: Map::new(),
        sorting: Map::new(),
    };
    (start..end, metadata)
}

/// Query keys that shape the answer without selecting records.
const NOT_FILTERS: [&str; 5] = ["page", "per_page", "sort_by", "sort_direction", "include_paging_counts"];

async fn list_conversations(State(state): State<Arc<SalesloftState>>, RawQuery(query): RawQuery) -> Response {
    let filters = Filters(pairs(query.as_deref()));
    // Documented defaults: sort_by created_at, direction desc.
    let order = state.order(filters.one("sort_by").unwrap_or("created_at"));
    let desc = filters.one("sort_direction").unwrap_or("desc").eq_ignore_ascii_case("desc");
    let count = usize::try_from(state.config.conversations).unwrap_or(usize::MAX);
    // The data set's index at `position` of the requested order.
    let at = |position: usize| {
        let rank = if desc { count - 1 - position } else { position };
        order.as_deref().map_or(rank as u64, |ranks| ranks.get(rank).copied().unwrap_or_default())
    };
    let (data, metadata) = if filters.0.iter().all(|(k, _)| NOT_FILTERS.contains(&k.as_str())) {
        // Every record matches: the page's records are generated, no others.
        let (range, metadata) = paging(&filters, count);
        (range.map(|p| state.conversation(at(p))).collect(), metadata)
    } else {
        // Only the matches the page shows are kept; the others are counted.
        let (window, _) = paging(&filters, usize::MAX);
        let all = (0..count).map(|p| state.conversation(at(p)));
        let (data, total) = super::paged(all, &window, |c| filters.matches(c));
        let (_, metadata) = paging(&filters, total);
        (data, metadata)
    };
    // A generated conversation is under 2 KiB of JSON.
    let capacity = 2048 * data.len() + 512;
    super::sized_json(StatusCode::OK, &ConversationList { data, metadata }, capacity)
}

/// The conversation with this id, if it is in the data set.
fn find(state: &SalesloftState, id: &str) -> Option<Conversation> {
    data::index_of(state.seed, id, state.config.conversations).map(|i| state.conversation(i))
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

async fn get_conversation(State(state): State<Arc<SalesloftState>>, Path(id): Path<String>) -> Response {
    match find(&state, &id) {
        Some(data) => axum::Json(ConversationEnvelope { data }).into_response(),
        None => not_found(),
    }
}

async fn get_extensive(State(state): State<Arc<SalesloftState>>, Path(id): Path<String>) -> Response {
    let Some(c) = find(&state, &id) else { return not_found() };
    let mut value = serde_json::to_value(&c).unwrap_or(Value::Null);
    let attendee = |name: &str, internal: bool| Participant {
        email: Some(format!(
            "{}@{}.example",
            name.to_lowercase().replace(' ', "."),
            if internal { "salesloft" } else { "customer" }
        )),
        full_name: Some(name.into()),
        is_internal: Some(internal),
    };
    let attendees = vec![attendee("Avery Seller", true), attendee("Jordan Buyer", false)];
    let invitees =
        vec![attendee("Avery Seller", true), attendee("Jordan Buyer", false), attendee("Sam Finance", false)];
    if let Some(map) = value.as_object_mut() {
        map.insert("attendees".into(), json!(attendees));
        map.insert("invitees".into(), json!(invitees));
    }
    match serde_json::from_value::<ConversationExtensive>(value) {
        Ok(data) => axum::Json(ConversationExtensiveEnvelope { data }).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn transcription(c: &Conversation) -> Transcription {
    Transcription {
        id: c.id.clone(),
        language_code: c.language_code.clone(),
        created_at: c.created_at.map(|t| t + chrono::Duration::minutes(5)),
        updated_at: c.updated_at,
        conversation: Some(ConversationRef {
            id: Some(c.id.clone()),
            href: Some(format!("https://api.salesloft.com/v2/conversations/{}", c.id)),
        }),
        transcription_sentences: c.transcription_sentences.clone(),
        transcription_artifact: c.transcription_artifact.clone(),
    }
}

async fn list_transcriptions(State(state): State<Arc<SalesloftState>>, RawQuery(query): RawQuery) -> Response {
    let filters = Filters(pairs(query.as_deref()));
    let mut matches: Vec<Transcription> = (0..state.config.conversations)
        .map(|i| transcription(&state.conversation(i)))
        .filter(|t| {
            filters.in_range("created_at", t.created_at, |k| filters.time(k))
                && filters.in_range("updated_at", t.updated_at, |k| filters.time(k))
                && filters.member("language_code", t.language_code.as_deref())
                && filters.member("ids", Some(&t.id))
        })
        .collect();
    if filters.one("sort_by") == Some("updated_at") {
        matches.sort_by_key(|t| t.updated_at);
    }
    let (range, metadata) = paging(&filters, matches.len());
    axum::Json(TranscriptionList { data: matches.drain(range).collect(), metadata }).into_response()
}

async fn get_transcription(State(state): State<Arc<SalesloftState>>, Path(id): Path<String>) -> Response {
    match find(&state, &id) {
        Some(c) => axum::Json(TranscriptionEnvelope { data: transcription(&c) }).into_response(),
        None => not_found(),
    }
}

async fn list_sentences(
    State(state): State<Arc<SalesloftState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    const LINES: [(&str, &str); 4] = [
        ("Avery Seller", "Thanks for making the time today."),
        ("Jordan Buyer", "Happy to. We are looking at options for next quarter."),
        ("Avery Seller", "Great, what matters most to your team?"),
        ("Jordan Buyer", "Reporting, mostly, and the integrations."),
    ];
    if find(&state, &id).is_none() {
        return not_found();
    }
    let filters = Filters(pairs(query.as_deref()));
    let all: Vec<TranscriptionSentence> = LINES
        .iter()
        .enumerate()
        .map(|(i, (speaker, text))| {
            let mut s = Map::new();
            s.insert("order".into(), json!(i + 1));
            s.insert("speaker".into(), json!(speaker));
            s.insert("text".into(), json!(text));
            s.insert("start_time".into(), json!(i as f64 * 4.5));
            TranscriptionSentence(s)
        })
        .collect();
    let (range, metadata) = paging(&filters, all.len());
    axum::Json(TranscriptionSentenceList { data: all[range].to_vec(), metadata }).into_response()
}
