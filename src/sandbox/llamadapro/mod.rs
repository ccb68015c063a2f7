//! The LlamadaPro emulator. Every record lives in the generic store, seeded
//! deterministically: contacts (every tenth archived) with addresses and
//! custom fields, field definitions and options, funnel conversations,
//! tasks, calls with recordings and transcriptions, a WhatsApp message. The
//! store lists, pages, filters, sorts, reads, updates and deletes as the
//! spec says; the hooks add what it cannot: the contact search's language
//! (archived contacts are seen only by it and by id), `LIST` options,
//! unique keys, in-use definitions deleted only with `force` (409), bulk
//! reports per item, and calls that complete at once with a recording.
//! Time is simulated (a second per write), so runs are reproducible.

mod calls;
mod contacts;
mod conversations;
mod data;
mod messages;
mod records;

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::store::{bad_request, ok, parse};
use super::{HarnessConfig, Sandbox};
use crate::llamadapro::ids::id_from_number;
use crate::llamadapro::types::{
    Call, Contact, CustomFieldDefinition, CustomFieldListOption, FunnelConversation, Message, Task,
};

/// The tenant every record belongs to.
pub const TENANT: &str = "tnt_sandbox";

/// The store's collections.
const CONTACTS: &str = "/api/v1/contacts";
const CONVERSATIONS: &str = "/api/v1/conversations";
const CALLS: &str = "/api/v1/calls";
const RECORDINGS: &str = "/api/v1/recordings";
const TRANSCRIPTIONS: &str = "/api/v1/transcriptions";
const MESSAGES: &str = "/api/v1/messages";
const MEDIA: &str = "/api/v1/messages/whatsapp/media";
const TASKS: &str = "/api/v1/tasks";
/// The collection of custom field definitions; each has its `/options`.
const DEFINITIONS: &str = "/api/v1/custom-fields/definitions";

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
    LlamadaProSandbox = LlamadaProState(LlamadaProConfig, crate::llamadapro::SPEC_JSON);

    fn new(seed: u64, config: LlamadaProConfig) -> Self {
        let world = data::seed_world(seed, &config);
        Self { config, world: Mutex::new(world) }
    }

    /// The API key, in `X-API-KEY`: the only one taken (checked before the request is validated).
    fn credential(&self, _: &str) -> Option<crate::Secret> {
        Some(self.config.api_key.clone().into())
    }
}

impl Sandbox<LlamadaProState> {
    /// The API key the emulator accepts.
    pub fn api_key(&self) -> String {
        self.api.config.api_key.clone()
    }

    /// Every contact, archived ones too when asked, by id.
    pub fn contacts(&self, include_archived: bool) -> Vec<Contact> {
        let contacts = self.records(CONTACTS).into_iter();
        typed(contacts.filter(|c| include_archived || c.get("archivedAt").is_none()).collect())
    }

    /// Ids of the archived contacts.
    pub fn archived_contact_ids(&self) -> Vec<u64> {
        self.records(CONTACTS).iter().filter(|c| c.get("archivedAt").is_some()).filter_map(id_of).collect()
    }

    /// Every task, oldest first.
    pub fn tasks(&self) -> Vec<Task> {
        typed(self.records(TASKS))
    }

    /// Every custom field definition, oldest first.
    pub fn custom_field_definitions(&self) -> Vec<CustomFieldDefinition> {
        typed(self.records(DEFINITIONS))
    }

    /// Every option of every definition, by definition.
    pub fn custom_field_options(&self) -> Vec<CustomFieldListOption> {
        let definitions = self.custom_field_definitions().into_iter().filter_map(|d| d.id_u64());
        definitions.flat_map(|id| typed(self.records(&format!("{DEFINITIONS}/{id}/options")))).collect()
    }

    /// Every funnel conversation, by id, with its contact.
    pub fn conversations(&self) -> Vec<FunnelConversation> {
        let contacts = self.records(CONTACTS);
        typed(self.records(CONVERSATIONS).iter().map(|c| conversations::view(&contacts, c)).collect())
    }

    /// Every call, by id.
    pub fn calls(&self) -> Vec<Call> {
        typed(self.records(CALLS))
    }

    /// Every message, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        typed(self.records(MESSAGES))
    }
}

/// Records of the store as their generated type.
fn typed<T: serde::de::DeserializeOwned>(records: Vec<Value>) -> Vec<T> {
    records.into_iter().filter_map(|r| serde_json::from_value(r).ok()).collect()
}

/// Sets the fields `names` of `record` back to what they were `before` (absent where absent).
fn keep(record: &mut Value, before: &Value, names: &[&str]) {
    let kept = names.iter().map(|name| (name.to_string(), before.get(*name).cloned().unwrap_or(Value::Null)));
    super::store::overlay(record, Value::Object(kept.collect()));
}

/// A record's numeric id.
fn id_of(record: &Value) -> Option<u64> {
    record.get("id").and_then(Value::as_f64).and_then(id_from_number)
}

/// The emulator's settings, clock and id sequences; the store has the records.
#[derive(Debug)]
pub struct LlamadaProState {
    config: LlamadaProConfig,
    world: Mutex<World>,
}

impl LlamadaProState {
    fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut super::lock(&self.world))
    }
}

/// The sequences ids and times come from, and the seeded records until the store takes them.
#[derive(Debug)]
struct World {
    seed: u64,
    /// Simulated time; advances by a second with every record written.
    clock: DateTime<Utc>,
    /// Numeric ids, shared by every kind of record.
    next_id: u64,
    /// Counter behind string ids.
    next_key: u64,
    /// Seeded records by collection path.
    seeds: HashMap<String, Vec<Value>>,
}

impl World {
    fn tick(&mut self) -> DateTime<Utc> {
        self.clock += chrono::Duration::seconds(1);
        self.clock
    }

    /// The next time, as records hold it.
    fn now(&mut self) -> Value {
        stamp(self.tick())
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
}

/// A time as the records hold it (as the generated types write it).
fn stamp(at: DateTime<Utc>) -> Value {
    serde_json::to_value(at).unwrap_or_default()
}
