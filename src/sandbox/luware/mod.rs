//! The Luware Recording emulator: the token call checks the subscription
//! key and form credentials and issues an expiring JWT; search evaluates
//! every filter, sorts by `startTime`, and pages with opaque expiring
//! tokens; voice and video conversations have a zipped `.vtr` transcript;
//! labels, metadata and control actions show in later reads.

mod data;
pub(crate) mod filter;
mod transcript;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::store::{Answer, Context, Hooks, Records, Refusal, bad_request, ok, parse, text};
use super::{HarnessConfig, Refused, Sandbox};
use crate::luware::types::{
    ControlAction, Conversation, ConversationPage, Expand, LabelRequest, MetadataRequest, MetadataTemplateValues,
    Modality,
};
use crate::luware::{Credentials, Filters};
use data::RecordingMode;
pub use filter::FieldValue;
pub use transcript::{encode_vtr, encode_vtr_raw};

/// Emulator settings.
#[derive(Debug, Clone)]
pub struct LuwareConfig {
    /// Conversations in the data set (generated on demand; up to millions).
    pub conversations: u64,
    /// Lifetime of issued access tokens (60 minutes, as documented).
    pub token_lifetime: Duration,
    /// Lifetime of `nextPageToken`s.
    pub page_token_lifetime: Duration,
    /// The credentials the emulator accepts.
    pub credentials: Credentials,
    /// Utterances in each transcript (6 by default: a short call). Large
    /// values make transcripts of many megabytes, for benchmarks and limits.
    pub transcript_utterances: usize,
    /// Latency, request log and response checks.
    pub harness: HarnessConfig,
}

impl Default for LuwareConfig {
    fn default() -> Self {
        Self {
            conversations: 1_000,
            token_lifetime: Duration::from_secs(60 * 60),
            page_token_lifetime: Duration::from_secs(60 * 60),
            credentials: Credentials {
                subscription_key: "sandbox-subscription-key".into(),
                eid: 1000,
                client_id: "api_user@sandbox.example".into(),
                client_secret: "sandbox p@ss&word=1%".into(),
            },
            transcript_utterances: 6,
            harness: HarnessConfig::default(),
        }
    }
}

super::emulator! {
    /// A running Luware emulator.
    LuwareSandbox = LuwareState(LuwareConfig, crate::luware::SPEC_JSON);

    fn new(seed: u64, config: LuwareConfig) -> Self {
        Self { seed, config, writes: Mutex::new(Writes::default()), last_vtr: Mutex::new(None) }
    }

    const SCHEMES: &'static [(&'static str, super::Check<Self>)] =
        &[("subscriptionKey", check_subscription_key), ("bearerToken", check_token)];

    /// The subscription key, and the token form's fields (the bearer token is fetched).
    fn credential(&self, name: &str) -> Option<crate::Secret> {
        let c = &self.config.credentials;
        match name {
            "subscriptionKey" => Some(c.subscription_key.clone()),
            "eid" => Some(c.eid.to_string().into()),
            "client_id" => Some(c.client_id.as_str().into()),
            "client_secret" => Some(c.client_secret.clone()),
            _ => None,
        }
    }
}

impl Sandbox<LuwareState> {
    /// Credentials the emulator accepts.
    pub fn credentials(&self) -> Credentials {
        self.api.config.credentials.clone()
    }

    /// Invalidates every issued access token, as if the server restarted.
    pub fn revoke_tokens(&self) {
        super::lock(&self.api.writes).tokens.clear();
    }

    /// The id of conversation `index` in the data set.
    pub fn conversation_id(&self, index: u64) -> String {
        data::ccdr_id(self.api.seed, index)
    }

    /// The first voice conversation of a user in Controlled recording mode (start and stop apply).
    pub fn controlled_conversation_id(&self) -> Option<String> {
        self.first_voice_conversation(RecordingMode::Controlled)
    }

    /// The first voice conversation of a user in On-Demand recording mode (keep applies).
    pub fn on_demand_conversation_id(&self) -> Option<String> {
        self.first_voice_conversation(RecordingMode::OnDemand)
    }

    fn first_voice_conversation(&self, mode: RecordingMode) -> Option<String> {
        let (seed, count) = (self.api.seed, self.api.config.conversations);
        (0..count.min(10_000))
            .filter(|&i| data::user(seed, i).mode == mode)
            .map(|i| data::conversation(seed, i, count))
            .find(|c| c.modality_name == Some(Modality::Voice))
            .map(|c| c.ccdr_id)
    }
}

/// The emulator's data and the writes clients made, shared by the handlers.
pub struct LuwareState {
    seed: u64,
    config: LuwareConfig,
    writes: Mutex<Writes>,
    /// The last `.vtr` served, by index: building a large one costs more than sending it.
    last_vtr: Mutex<Option<(u64, Bytes)>>,
}

/// Everything clients changed, kept in memory and applied on read.
#[derive(Default)]
struct Writes {
    /// Issued tokens, exactly as issued, and their expiry (unix seconds).
    tokens: HashMap<String, u64>,
    labels: HashMap<u64, Vec<i64>>,
    metadata: HashMap<u64, Vec<MetadataTemplateValues>>,
    recording: HashMap<u64, bool>,
    kept: HashSet<u64>,
}

impl std::fmt::Debug for LuwareState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LuwareState").field("seed", &self.seed).field("config", &self.config).finish_non_exhaustive()
    }
}

impl LuwareState {
    fn conversation(&self, index: u64) -> Conversation {
        let mut c = data::conversation(self.seed, index, self.config.conversations);
        let w = super::lock(&self.writes);
        if let Some(labels) = w.labels.get(&index) {
            c.labels = labels.clone();
        }
        if w.kept.contains(&index) {
            c.keep = Some(true);
        }
        if let Some(recording) = w.recording.get(&index) {
            // Stopping ends the ongoing state; starting makes it ongoing.
            c.status = recording.then_some(crate::luware::types::ConversationStatus::Ongoing);
        }
        c
    }
}

/// An error answer, in the spec's shape (Azure API Management's).
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    <LuwareState as super::Emulator>::render_error(status, message.into())
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn check_subscription_key(state: &LuwareState, key: Option<&str>) -> Result<(), Refused> {
    let expected = state.config.credentials.subscription_key.expose();
    let refusal = match key {
        Some(key) if key == expected => return Ok(()),
        Some(_) => "Access denied due to invalid subscription key.",
        None => "Access denied due to missing subscription key.",
    };
    Err(error(StatusCode::UNAUTHORIZED, refusal).into())
}

/// A token is good if it is one this server issued, unaltered, and unexpired.
fn check_token(state: &LuwareState, token: Option<&str>) -> Result<(), Refused> {
    let expiry = token.and_then(|token| super::lock(&state.writes).tokens.get(token).copied());
    let refusal = match (token, expiry) {
        (None, _) => "missing bearer token",
        (Some(_), Some(exp)) if exp > now() => return Ok(()),
        (Some(_), Some(_)) => "token expired",
        (Some(_), None) => "invalid token",
    };
    Err(error(StatusCode::UNAUTHORIZED, refusal).into())
}

/// The records are generated, and the writes kept, by the emulator.
impl Hooks for LuwareState {
    fn answer(&self, request: &Context<'_>, body: &Value, _: &mut Records<'_>) -> Option<Answer> {
        let id = request.path_param("ccdrId");
        let index = || self.find(id);
        Some(match request.operation_id {
            "requestToken" => self.token(body),
            "getConversation" => index().and_then(|index| self.expanded(index, request)),
            "addMetadata" => index().and_then(|index| self.metadata(index, id, body)),
            "addLabel" => index().and_then(|index| self.label(index, id, body)),
            "controlConversation" => index().and_then(|index| self.control(index, id, request.path_param("action"))),
            _ => return None,
        })
    }

    /// A page of search is written from the records' type; a transcript is a zipped `.vtr` download.
    fn written(&self, request: &Context<'_>, _: &Value) -> Option<Result<Response, Refusal>> {
        match request.operation_id {
            "searchConversations" => Some(self.search(request)),
            "downloadMedia" => Some(self.media(request.path_param("ccdrId"))),
            _ => None,
        }
    }
}

/// What a `nextPageToken` stands for; base64url-encoded so clients treat it as opaque.
#[derive(Serialize, Deserialize)]
struct Cursor {
    filters: String,
    limit: u64,
    descending: bool,
    next: u64,
    expires: u64,
}

impl LuwareState {
    /// The form's fields are the spec's required ones, checked by the contract.
    fn token(&self, form: &Value) -> Answer {
        let field = |name| form.get(name).and_then(text).unwrap_or_default();
        let accepted = |name| super::Emulator::credential(self, name).is_some_and(|c| field(name) == c.expose());
        if !["eid", "client_id", "client_secret"].into_iter().all(accepted) {
            let message = "Invalid credentials, check header and parameter values are URL encoded.";
            return Err((StatusCode::UNAUTHORIZED, message.into()));
        }
        let exp = now() + self.config.token_lifetime.as_secs();
        let id = format!("{:016x}", data::mix(fastrand::u64(..)));
        let token = super::jwt(&json!({ "sub": field("client_id"), "eid": field("eid"), "exp": exp }), &id);
        let mut w = super::lock(&self.writes);
        w.tokens.retain(|_, e| *e > now());
        w.tokens.insert(token.clone(), exp);
        Ok((200, json!({ "access_token": token })))
    }

    /// The contract has checked the parameters (limit clamped to 100, `nextPageToken` alone).
    fn search(&self, request: &Context<'_>) -> Result<Response, Refusal> {
        let cursor = if let Some(token) = request.param("nextPageToken") {
            let decoded = URL_SAFE_NO_PAD.decode(token).ok().and_then(|b| serde_json::from_slice::<Cursor>(&b).ok());
            // Opaque but not trusted: one this server could not have issued is invalid.
            let decoded = decoded.filter(|c| c.next <= self.config.conversations && (1..=100).contains(&c.limit));
            match decoded {
                Some(c) if c.expires > now() => c,
                Some(_) => return Err(bad_request("nextPageToken has expired")),
                None => return Err(bad_request("invalid nextPageToken")),
            }
        } else {
            // sortOrder "only works together with sortBy" (its `x-provenance`): alone it is ignored.
            let descending = request.param("sortBy").is_some() && request.param("sortOrder") == Some("desc");
            let count = self.config.conversations;
            Cursor {
                filters: request.param("filters").unwrap_or_default().to_string(),
                limit: request.param("limit").and_then(|l| l.parse().ok()).unwrap_or(100),
                descending,
                next: if descending { count } else { 0 },
                expires: now() + self.config.page_token_lifetime.as_secs(),
            }
        };
        let filters =
            Filters::from_json(&cursor.filters).map_err(|e| bad_request(format!("query parameter filters: {e}")))?;
        let (page, next) = self.scan(&filters, &cursor);
        let next_page_token = next.map(|next| {
            let c = Cursor { next, filters: cursor.filters.clone(), ..cursor };
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap_or_default())
        });
        // Written from the records' type (under 1 KiB each): through JSON values, an export took twice as long.
        let mut body = Vec::with_capacity(1024 * page.len() + 512);
        let page = ConversationPage { conversations: page, next_page_token };
        serde_json::to_writer(&mut body, &page).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
    }

    fn media(&self, ccdr_id: &str) -> Result<Response, Refusal> {
        let index = self.find(ccdr_id)?;
        let c = self.conversation(index);
        if !has_audio(&c) {
            return Err((StatusCode::NOT_FOUND, "no speech analytics output for this conversation".into()));
        }
        let name = format!("{}.vtr", c.ccdr_id);
        let cached = super::lock(&self.last_vtr).as_ref().filter(|(i, _)| *i == index).map(|(_, zip)| zip.clone());
        let zip = match cached {
            Some(zip) => zip,
            None => {
                let transcript = data::transcript(self.seed, index, &c, self.config.transcript_utterances);
                let zip =
                    encode_vtr(&transcript, &name).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
                let zip = Bytes::from(zip);
                *super::lock(&self.last_vtr) = Some((index, zip.clone()));
                zip
            }
        };
        let disposition = format!("attachment; filename=\"{name}\"");
        let headers = [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ];
        Ok((headers, zip).into_response())
    }

    /// Up to `limit` matches from the cursor's position (descending, `next` is one past it).
    fn scan(&self, filters: &Filters, cursor: &Cursor) -> (Vec<Conversation>, Option<u64>) {
        let count = self.config.conversations;
        let mut page = Vec::new();
        let mut position = cursor.next;
        loop {
            let index = match cursor.descending {
                true => position.checked_sub(1),
                false => Some(position).filter(|p| *p < count),
            };
            let Some(index) = index else { return (page, None) };
            if page.len() as u64 == cursor.limit {
                // Only hand out a token when there is more to look at.
                return (page, Some(position));
            }
            let c = self.conversation(index);
            if filters.matches(|f| f.read(&c)) {
                page.push(c);
            }
            position = if cursor.descending { index } else { index + 1 };
        }
    }

    fn find(&self, ccdr_id: &str) -> Result<u64, Refusal> {
        data::index_of(self.seed, ccdr_id, self.config.conversations)
            .ok_or_else(|| (StatusCode::NOT_FOUND, format!("conversation {ccdr_id} not found")))
    }

    fn expanded(&self, index: u64, request: &Context<'_>) -> Answer {
        let expands = request.query.iter().filter(|(k, _)| k == "expands").map(|(_, v)| v.parse::<Expand>());
        let expands: Vec<_> =
            expands.collect::<Result<_, _>>().map_err(|e| bad_request(format!("query parameter expands: {e}")))?;
        let mut c = self.conversation(index);
        for expand in expands {
            match expand {
                Expand::Metadata => {
                    let metadata = super::lock(&self.writes).metadata.get(&index).cloned();
                    c.metadata = metadata.unwrap_or_default();
                }
                Expand::Im if c.modality_name == Some(Modality::Im) => {
                    c.im = Some(json!([
                        { "from": c.source_name, "time": c.start_time, "text": "Hi, are you free for a quick call?" },
                        { "from": c.destination_name, "time": c.start_time, "text": "Sure, give me five minutes." },
                    ]));
                }
                Expand::TranscriptDb if has_audio(&c) => {
                    let t = data::transcript(self.seed, index, &c, self.config.transcript_utterances);
                    c.transcript_db = Some(json!(t.tcus));
                }
                Expand::SpeechSummary if has_audio(&c) => {
                    let summary = "Customer queried an invoice; a credit was applied.";
                    c.speech_summary = Some(json!({ "summary": summary, "topics": ["billing"] }));
                }
                _ => {}
            }
        }
        ok(c)
    }

    fn metadata(&self, index: u64, ccdr_id: &str, body: &Value) -> Answer {
        let request: MetadataRequest = parse(body)?;
        let id = request.meta_template_id;
        // An unknown template id is a 404 (names are not checked: the seed does not say how they match).
        if !METADATA_TEMPLATES.iter().any(|(t, _)| *t == id) {
            return Err((StatusCode::NOT_FOUND, format!("metadata template {id} not found")));
        }
        let values = MetadataTemplateValues {
            meta_template_id: Some(request.meta_template_id),
            meta_template_name: Some(request.meta_template_name),
            meta_template_type: Some(request.meta_template_type),
            metadata: request.metadata,
        };
        let mut w = super::lock(&self.writes);
        let templates = w.metadata.entry(index).or_default();
        templates.retain(|t| t.meta_template_id != values.meta_template_id);
        templates.push(values);
        Ok((200, json!({ "ccdrId": ccdr_id, "result": "metadata added" })))
    }

    fn label(&self, index: u64, ccdr_id: &str, body: &Value) -> Answer {
        // The body is "not mandatory" (the description of `addLabel`
        // in specs/luware.yaml): without one, or without a
        // labelId, there is nothing to add.
        let Some(label_id) = parse::<LabelRequest>(body)?.label_id else {
            return Ok((200, json!({ "ccdrId": ccdr_id, "result": "no label given" })));
        };
        let mut w = super::lock(&self.writes);
        let labels = w.labels.entry(index).or_default();
        if labels.contains(&label_id) {
            return Err((StatusCode::CONFLICT, format!("label {label_id} already exists on this conversation")));
        }
        labels.push(label_id);
        Ok((200, json!({ "ccdrId": ccdr_id, "labelId": label_id })))
    }

    fn control(&self, index: u64, ccdr_id: &str, action: &str) -> Answer {
        let parsed = action.parse::<ControlAction>();
        let action = parsed.map_err(|e| (StatusCode::NOT_FOUND, format!("path parameter action: {e}")))?;
        let mode = data::user(self.seed, index).mode;
        let mut w = super::lock(&self.writes);
        match (&action, mode) {
            (ControlAction::StartRecording | ControlAction::StopRecording, RecordingMode::Controlled) => {
                w.recording.insert(index, action == ControlAction::StartRecording);
            }
            (ControlAction::KeepOndemand, RecordingMode::OnDemand) => {
                w.kept.insert(index);
            }
            (_, mode) => {
                let message = format!("{action} does not apply to a user in {mode:?} recording mode");
                return Err((StatusCode::METHOD_NOT_ALLOWED, message));
            }
        }
        Ok((200, json!({ "ccdrId": ccdr_id, "action": action.as_str(), "result": "ok" })))
    }
}

fn has_audio(c: &Conversation) -> bool {
    matches!(c.modality_name, Some(Modality::Voice | Modality::Video))
}

/// The environment's metadata templates, which Luware support creates (the
/// spec's `info.description`); the first is the vendor's example.
pub const METADATA_TEMPLATES: [(i64, &str); 2] = [(1234, "Custom Metadata Template"), (1235, "CRM Case")];
