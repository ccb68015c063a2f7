//! The LlamadaPro emulator.
//!
//! In-memory records seeded deterministically from the seed: contacts (some
//! archived) with addresses and custom field values, custom field
//! definitions and list options, funnel conversations, tasks, calls with
//! their recordings and transcriptions, and a WhatsApp message. Every
//! operation of the spec is served, with the API key in `X-API-KEY`.
//!
//! Lists page with opaque `nextPageToken`s bound to the query they came from
//! (a token sent with other filters is refused). Contacts honour `filterBy`
//! (`field:value;…`, `email` and `phone` also match addresses), `searchBy`,
//! `sortBy` (`field=direction`) and the search endpoint's filters, sort and
//! `includeArchived`; archived contacts are only visible to the search with
//! `includeArchived` and by id. Rules the schema cannot hold are enforced as
//! the server would (E.164 numbers, like every rule of the spec, are the spec
//! validator's): `variables` or `components`, `contactId` or `contact` (with
//! both, the named contact is updated), E.164 contact phones, upload modes,
//! `LIST` options, unique field keys, and in-use definitions refused without
//! `force` (409). A `null` clears a nullable field on update. Bulk requests
//! answer 200 with a per-item report: missing fields (`REQUIRED_FIELD`),
//! contact phones that are not E.164, unknown references, and duplicates (an
//! open conversation of the same contact in the same funnel, or the same id
//! twice in an update) listed with
//! `existingEntities`. Started calls complete at once, with a recording and a
//! transcription. Time is simulated (it advances with every write), so runs
//! are reproducible.

mod calls;
mod contacts;
mod conversations;
mod data;
mod listing;
mod messages;
mod records;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{HarnessConfig, Sandbox};
use crate::llamadapro::types::{
    self, Call, Contact, CustomFieldDefinition, CustomFieldListOption, FunnelConversation, Message, Recording, Task,
    Transcription, UploadedMedia,
};

/// The tenant every record belongs to.
pub const TENANT: &str = "tnt_sandbox";

/// Emulator settings.
#[derive(Debug, Clone)]
pub struct LlamadaProConfig {
    /// The API key the emulator accepts in `X-API-KEY`.
    pub api_key: String,
    /// Seeded contacts (every tenth is archived).
    pub contacts: u64,
    /// Seeded tasks.
    pub tasks: u64,
    /// Funnels conversations may be created in.
    pub funnels: Vec<u64>,
    /// Caller id of bridge calls that do not name one.
    pub default_caller_id: String,
    /// Latency, request log and response checks.
    pub harness: HarnessConfig,
}

impl Default for LlamadaProConfig {
    fn default() -> Self {
        Self {
            api_key: "llp_sandbox_key_0000000000000000".into(),
            contacts: 60,
            tasks: 45,
            funnels: vec![1, 2, 3],
            default_caller_id: "+56229990000".into(),
            harness: HarnessConfig::default(),
        }
    }
}

super::emulator! {
    /// A running LlamadaPro emulator.
    LlamadaProSandbox = LlamadaProState(LlamadaProConfig, crate::llamadapro::SPEC_JSON) {
        "startAiEmployeeCall" => calls::start_ai_employee_call,
        "loadRecording" => calls::load_recording,
        "getRecording" => calls::get_recording,
        "createConversation" => conversations::create,
        "bulkCreateConversations" => conversations::bulk_create,
        "bulkUpdateConversations" => conversations::bulk_update,
        "getContacts" => contacts::list,
        "createContact" => contacts::create,
        "searchContacts" => contacts::search,
        "getContact" => contacts::get,
        "updateContact" => contacts::update,
        "deleteContact" => contacts::delete,
        "getMessage" => messages::get,
        "createMessage" => messages::create,
        "createTemplateMessage" => messages::create_template,
        "uploadMedia" => messages::upload_media,
        "createCall" => calls::create,
        "startBridgeCall" => calls::start_bridge_call,
        "startVoiceAgentCall" => calls::start_voice_agent_call,
        "getCall" => calls::get,
        "getCallTranscription" => calls::get_transcription,
        "getCallRecording" => calls::get_recording_of_call,
    }

    fn new(seed: u64, config: LlamadaProConfig) -> Self {
        let world = data::seed_world(seed, &config);
        Self { seed, config, world: Mutex::new(world) }
    }

    fn hooks(state: &Arc<Self>) -> Option<Arc<dyn crate::sandbox::Hooks>> {
        Some(state.clone())
    }

    /// `X-API-KEY`, checked before the request is validated.
    const SCHEMES: &'static [(&'static str, super::Check<Self>)] = &[("ApiKeyAuth", |state, key| {
        let refused = match key {
            Some(key) if key == state.config.api_key => return Ok(()),
            Some(_) => "invalid API key",
            None => "missing X-API-KEY header",
        };
        Err(ApiError::new(StatusCode::UNAUTHORIZED, refused).into())
    })];
}

impl Sandbox<LlamadaProState> {
    /// The API key the emulator accepts.
    pub fn api_key(&self) -> String {
        self.api.config.api_key.clone()
    }

    /// Every contact, archived ones too when asked, by id.
    pub fn contacts(&self, include_archived: bool) -> Vec<Contact> {
        self.api.world(|w| {
            w.contacts
                .values()
                .filter(|c| include_archived || c.archived_at.is_none())
                .map(|c| c.contact.clone())
                .collect()
        })
    }

    /// Ids of the archived contacts.
    pub fn archived_contact_ids(&self) -> Vec<u64> {
        self.api.world(|w| w.contacts.iter().filter(|(_, c)| c.archived_at.is_some()).map(|(id, _)| *id).collect())
    }

    /// Every task, oldest first.
    pub fn tasks(&self) -> Vec<Task> {
        typed(self.records(records::TASKS))
    }

    /// Every custom field definition, oldest first.
    pub fn custom_field_definitions(&self) -> Vec<CustomFieldDefinition> {
        typed(self.records(records::DEFINITIONS))
    }

    /// Every option of every definition, by definition.
    pub fn custom_field_options(&self) -> Vec<CustomFieldListOption> {
        let definitions = self.custom_field_definitions().into_iter().filter_map(|d| d.id_u64());
        definitions.flat_map(|id| typed(self.records(&format!("{}/{id}/options", records::DEFINITIONS)))).collect()
    }

    /// Every funnel conversation, by id, with its contact.
    pub fn conversations(&self) -> Vec<FunnelConversation> {
        self.api.world(|w| w.conversations.keys().filter_map(|id| w.conversation_view(*id)).collect())
    }

    /// Every call, by id.
    pub fn calls(&self) -> Vec<Call> {
        self.api.world(|w| w.calls.values().cloned().collect())
    }

    /// Every message, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.api.world(|w| w.messages.clone())
    }
}

/// Records of the generic store as their generated type.
fn typed<T: serde::de::DeserializeOwned>(records: Vec<Value>) -> Vec<T> {
    records.into_iter().filter_map(|r| serde_json::from_value(r).ok()).collect()
}

/// The emulator's records.
#[derive(Debug)]
pub struct LlamadaProState {
    seed: u64,
    config: LlamadaProConfig,
    world: Mutex<World>,
}

impl LlamadaProState {
    fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut world = self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut world)
    }
}

/// The contacts by id, and the orders the list was asked for since they
/// last changed. Reading goes through `Deref`; every way to change a contact
/// forgets the orders, so a write shows in the next list.
#[derive(Debug, Default)]
struct Contacts {
    by_id: BTreeMap<u64, StoredContact>,
    /// Ids of the unarchived contacts in a `sortBy` order, by its text ("" for by id).
    orders: HashMap<String, Arc<[u64]>>,
}

impl std::ops::Deref for Contacts {
    type Target = BTreeMap<u64, StoredContact>;

    fn deref(&self) -> &Self::Target {
        &self.by_id
    }
}

impl Contacts {
    fn insert(&mut self, id: u64, contact: StoredContact) -> Option<StoredContact> {
        self.orders.clear();
        self.by_id.insert(id, contact)
    }

    fn remove(&mut self, id: &u64) -> Option<StoredContact> {
        self.orders.clear();
        self.by_id.remove(id)
    }

    fn get_mut(&mut self, id: &u64) -> Option<&mut StoredContact> {
        self.orders.clear();
        self.by_id.get_mut(id)
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut StoredContact> {
        self.orders.clear();
        self.by_id.values_mut()
    }

    /// Ids of the unarchived contacts in the order `params` sorts them,
    /// worked out once until the next change.
    fn listed(&mut self, params: &listing::ListParams) -> Arc<[u64]> {
        let key = params.order_key();
        if let Some(order) = self.orders.get(&key) {
            return order.clone();
        }
        let listed = self.by_id.iter().filter(|(_, c)| c.archived_at.is_none());
        let order: Arc<[u64]> = if params.sorts() {
            let mut records: Vec<(Value, u64)> =
                listed.map(|(id, c)| (serde_json::to_value(&c.contact).unwrap_or_default(), *id)).collect();
            params.sort(&mut records);
            records.into_iter().map(|(_, id)| id).collect()
        } else {
            listed.map(|(id, _)| *id).collect()
        };
        self.orders.insert(key, order.clone());
        order
    }
}

/// A contact with what only the search index shows.
#[derive(Debug, Clone)]
struct StoredContact {
    contact: Contact,
    archived_at: Option<DateTime<Utc>>,
    /// Bumped on every change (the index's `eventSequence`).
    sequence: u64,
}

/// Every record, and the sequences ids and times come from.
#[derive(Debug)]
struct World {
    seed: u64,
    /// Simulated time; advances by a second with every record written.
    clock: DateTime<Utc>,
    /// Numeric ids, shared by every kind of record.
    next_id: u64,
    /// Counter behind string ids.
    next_key: u64,
    contacts: Contacts,
    /// The seeded tasks, definitions and options, until the store takes them (see `records`).
    tasks: Vec<Task>,
    definitions: BTreeMap<u64, CustomFieldDefinition>,
    options: BTreeMap<u64, CustomFieldListOption>,
    /// Stored without `contacts`, which are filled in when read.
    conversations: BTreeMap<u64, FunnelConversation>,
    calls: BTreeMap<u64, Call>,
    recordings: BTreeMap<u64, Recording>,
    transcriptions: BTreeMap<u64, Transcription>,
    messages: Vec<Message>,
    media: Vec<UploadedMedia>,
}

impl World {
    fn tick(&mut self) -> DateTime<Utc> {
        self.clock += chrono::Duration::seconds(1);
        self.clock
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A deterministic string id, e.g. `task_3f9c0a1b2c4d`.
    fn key(&mut self, prefix: &str) -> String {
        self.next_key += 1;
        format!("{prefix}_{:012x}", crate::sandbox::mix(self.seed ^ self.next_key) >> 16)
    }

    /// A conversation as the API shows it, with its contact.
    fn conversation_view(&self, id: u64) -> Option<FunnelConversation> {
        let mut conversation = self.conversations.get(&id)?.clone();
        let contact = conversation.contact_id.and_then(crate::llamadapro::ids::id_from_number);
        conversation.contacts =
            contact.and_then(|c| self.contacts.get(&c)).map(|c| c.contact.clone()).into_iter().collect();
        Some(conversation)
    }
}

/// An error answer in the API's one documented shape, `{code, error, message, details}`.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
    details: Map<String, Value>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), details: Map::new() }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.into(), value.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = types::Error {
            code: Some(f64::from(self.status.as_u16())),
            error: self.status.canonical_reason().map(str::to_string),
            message: Some(self.message),
            details: self.details,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

type Answer = Result<Response, ApiError>;

fn json<T: serde::Serialize>(value: T) -> Answer {
    Ok(super::sized_json(StatusCode::OK, &value, super::DEFAULT_JSON_CAPACITY))
}

/// The body as the generated request type. The contract layer has checked it
/// against the schema already; this only fails where the type is stricter.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("request body: {e}")))
}

/// `record` with the fields of an update `body` among `fields` (JSON names)
/// set on it: a `null` clears a field (the generated request types read
/// `null` and absence alike as `None`), an absent one stays.
fn updated<T: serde::Serialize + serde::de::DeserializeOwned>(
    record: &T,
    body: &[u8],
    fields: &[&str],
) -> Result<T, ApiError> {
    let invalid = |e: serde_json::Error| ApiError::bad_request(format!("request body: {e}"));
    let mut merged = serde_json::to_value(record).map_err(invalid)?;
    let changes: Map<String, Value> = serde_json::from_slice(body).map_err(invalid)?;
    let changes = changes.into_iter().filter(|(name, _)| fields.contains(&name.as_str())).collect();
    crate::sandbox::store::overlay(&mut merged, Value::Object(changes));
    serde_json::from_value(merged).map_err(invalid)
}

/// A numeric path id (the contract has checked it is a number).
fn path_id(text: &str) -> Option<u64> {
    text.parse::<f64>().ok().and_then(crate::llamadapro::ids::id_from_number)
}

fn number(id: u64) -> f64 {
    id as f64
}
