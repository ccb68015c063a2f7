//! The seeded records: the same seed gives the same data, ids and times.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::{
    CALLS, CONTACTS, CONVERSATIONS, DEFINITIONS, LlamadaProConfig, MESSAGES, RECORDINGS, TASKS, TENANT, TRANSCRIPTIONS,
    World, number, stamp, values,
};
use crate::llamadapro::types::{
    Call, ChannelSession, ChannelType, Contact, ContactAddress, CustomFieldDefinition, CustomFieldEntityType,
    CustomFieldListOption, CustomFieldType, FunnelConversation, MediaProcessing, MediaProcessingResult, Message,
    MessageAttachment, MessageParticipant, Recording, Task, TaskActor, TaskAssigneeType, TaskContext, TaskStatus,
    Transcription,
};
use crate::sandbox::store::overlay;

const FIRST: [&str; 12] = [
    "Camila",
    "Mateo",
    "Valentina",
    "Benjamin",
    "Isidora",
    "Agustin",
    "Sofia",
    "Tomas",
    "Martina",
    "Vicente",
    "Florencia",
    "Joaquin",
];
const LAST: [&str; 10] =
    ["Gonzalez", "Munoz", "Rojas", "Diaz", "Perez", "Soto", "Contreras", "Silva", "Martinez", "Sepulveda"];
const POSITIONS: [&str; 4] = ["Gerente comercial", "Analista", "Jefa de operaciones", "Director"];
const SOURCES: [&str; 3] = ["web", "referral", "event"];
const OBJECTIVES: [&str; 5] = [
    "Call back about the quote",
    "Send the contract for signature",
    "Confirm the demo date",
    "Follow up on the unpaid invoice",
    "Ask for feedback after onboarding",
];

/// When the seeded data starts.
pub(super) fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).single().unwrap_or_default()
}

/// What the seed makes, typed until it goes to the store.
#[derive(Default)]
struct Seeded {
    contacts: Vec<(Contact, bool)>,
    definitions: Vec<CustomFieldDefinition>,
    options: Vec<CustomFieldListOption>,
    conversations: Vec<FunnelConversation>,
    tasks: Vec<Task>,
    calls: Vec<Call>,
    recordings: Vec<Recording>,
    transcriptions: Vec<Transcription>,
}

pub(super) fn seed_world(seed: u64, config: &LlamadaProConfig) -> World {
    let mut w = World { seed, clock: epoch(), next_id: 100, next_key: 0, seeds: HashMap::new() };
    let mut s = Seeded::default();
    definitions(&mut w, &mut s);
    for i in 0..config.contacts {
        let contact = contact(&mut w, seed, i);
        s.contacts.push(contact);
    }
    let funnel = config.funnels.first().copied().unwrap_or(1);
    let active: Vec<Value> = values(s.contacts.iter().filter(|(_, archived)| !archived).take(10).map(|(c, _)| c));
    for (i, contact) in active.iter().enumerate() {
        let mut fields = Map::new();
        if i % 2 == 0 {
            fields.insert("priority".into(), json!(if i % 4 == 0 { "high" } else { "low" }));
        }
        let conversation = conversation(&mut w, contact, funnel, fields);
        s.conversations.extend(serde_json::from_value(conversation).ok());
    }
    let conversation_ids: Vec<f64> = s.conversations.iter().filter_map(|c| c.id).collect();
    for i in 0..config.tasks {
        let task = task(&mut w, i, &conversation_ids);
        s.tasks.push(task);
    }
    let contacts = values(s.contacts.iter().map(|(c, _)| c));
    for (i, contact) in contacts.iter().take(3).enumerate() {
        let to = phone_of(contact).unwrap_or_else(|| "+56911111111".into());
        let call = new_call(
            &mut w,
            &contacts,
            &config.default_caller_id,
            &to,
            "outgoing",
            "completed",
            60.0 + 45.0 * i as f64,
        );
        let (recording, transcription) = attach_recording(&mut w, &call, None);
        s.calls.push(call);
        s.recordings.push(recording);
        s.transcriptions.push(transcription);
    }
    let message = s.conversations.first().cloned().map(|c| inbound_message(&mut w, &contacts, c));
    let mut contacts = Vec::new();
    for (contact, archived) in s.contacts {
        let mut record = serde_json::to_value(&contact).unwrap_or_default();
        let archived_at = contact.created_at.filter(|_| archived).map(|at| stamp(at + chrono::Duration::days(3)));
        overlay(&mut record, json!({"archivedAt": archived_at, "eventSequence": 1}));
        contacts.push(record);
    }
    let options = values(s.options.iter());
    for definition in &s.definitions {
        let mine = options.iter().filter(|o| o.get("definitionId").and_then(Value::as_f64) == definition.id);
        let path = format!("{DEFINITIONS}/{}/options", definition.id_u64().unwrap_or_default());
        w.seeds.insert(path, mine.cloned().collect());
    }
    let seeds = [
        (CONTACTS, contacts),
        (DEFINITIONS, values(s.definitions)),
        (CONVERSATIONS, values(s.conversations)),
        (TASKS, values(s.tasks)),
        (CALLS, values(s.calls)),
        (RECORDINGS, values(s.recordings)),
        (TRANSCRIPTIONS, values(s.transcriptions)),
        (MESSAGES, values(message)),
    ];
    w.seeds.extend(seeds.into_iter().map(|(path, records)| (path.to_owned(), records)));
    w
}

fn definitions(w: &mut World, s: &mut Seeded) {
    let specs: [(&str, &str, CustomFieldEntityType, CustomFieldType, &[&str]); 4] = [
        ("source", "Lead source", CustomFieldEntityType::Contact, CustomFieldType::String, &[]),
        ("tier", "Customer tier", CustomFieldEntityType::Contact, CustomFieldType::List, &["gold", "silver", "bronze"]),
        ("birthday", "Birthday", CustomFieldEntityType::Contact, CustomFieldType::Date, &[]),
        ("priority", "Priority", CustomFieldEntityType::FunnelConversation, CustomFieldType::List, &["high", "low"]),
    ];
    for (key, label, entity, kind, options) in specs {
        let now = w.tick();
        let id = w.id();
        s.definitions.push(CustomFieldDefinition {
            id: Some(number(id)),
            tenant_id: Some(TENANT.into()),
            entity_type: Some(entity),
            field_key: Some(key.into()),
            field_label: Some(label.into()),
            field_type: Some(kind),
            description: None,
            created_at: Some(now),
            updated_at: Some(now),
        });
        for value in options {
            let option_id = w.id();
            s.options.push(CustomFieldListOption {
                id: Some(number(option_id)),
                tenant_id: Some(TENANT.into()),
                definition_id: Some(number(id)),
                value: Some(value.to_string()),
                label: Some(capitalised(value)),
                description: None,
                created_at: Some(now),
                updated_at: Some(now),
            });
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A contact's address record.
pub(super) fn address(w: &mut World, contact: u64, channel: ChannelType, value: &str) -> ContactAddress {
    let now = w.clock;
    let id = w.id();
    ContactAddress {
        id: Some(number(id)),
        tenant_id: Some(TENANT.into()),
        contact_id: Some(number(contact)),
        channel_type: Some(channel),
        address: Some(value.into()),
        created_at: Some(now),
        updated_at: Some(now),
    }
}

fn contact(w: &mut World, seed: u64, index: u64) -> (Contact, bool) {
    let mut rng = fastrand::Rng::with_seed(crate::sandbox::mix(seed.wrapping_add(index.wrapping_mul(7919))));
    let created = w.tick() + chrono::Duration::hours(index as i64);
    let id = w.id();
    let first = FIRST[rng.usize(..FIRST.len())];
    let last = LAST[rng.usize(..LAST.len())];
    let phone = format!("+569{:08}", rng.u32(10_000_000..100_000_000));
    let email = format!("{}.{}{index}@example.cl", first.to_lowercase(), last.to_lowercase());
    let mut addresses = vec![address(w, id, ChannelType::Phone, &phone)];
    if index.is_multiple_of(2) {
        addresses.push(address(w, id, ChannelType::Whatsapp, &phone));
    }
    addresses.push(address(w, id, ChannelType::Email, &email));
    let mut custom_fields = Map::new();
    if index % 3 != 2 {
        custom_fields.insert("source".into(), json!(SOURCES[(index % 3) as usize]));
    }
    if index.is_multiple_of(4) {
        custom_fields.insert("tier".into(), json!(if index.is_multiple_of(8) { "gold" } else { "silver" }));
    }
    let contact = Contact {
        id: Some(number(id)),
        tenant_id: Some(TENANT.into()),
        provider_id: None,
        provider_name: None,
        national_id: Some(format!("{}-{}", 10_000_000 + rng.u32(..15_000_000), rng.u8(..10))),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        email: None,
        phone: None,
        user_id: Some(f64::from(1 + rng.u8(..3))),
        contact_company_id: None,
        company_position: (index % 2 == 1).then(|| POSITIONS[rng.usize(..POSITIONS.len())].into()),
        metadata: None,
        created_at: Some(created),
        updated_at: Some(created + chrono::Duration::minutes((index % 5) as i64)),
        custom_fields,
        addresses,
    };
    (contact, index % 10 == 9)
}

/// A contact's first phone (or WhatsApp) address record.
fn phone_address(contact: &Value) -> Option<&Value> {
    let addresses = contact.get("addresses").and_then(Value::as_array)?;
    addresses.iter().find(|a| matches!(a.get("channelType").and_then(Value::as_str), Some("PHONE" | "WHATSAPP")))
}

fn phone_of(contact: &Value) -> Option<String> {
    phone_address(contact)?.get("address").and_then(Value::as_str).map(str::to_owned)
}

/// A new conversation of `contact` in `funnel`, with a session on its first phone.
pub(super) fn conversation(w: &mut World, contact: &Value, funnel: u64, custom_fields: Map<String, Value>) -> Value {
    let now = w.tick();
    let id = w.id();
    let sessions = match phone_address(contact) {
        Some(address) => {
            let session = w.id();
            let messaging = w.key("wa_conv");
            vec![ChannelSession {
                id: Some(number(session)),
                tenant_id: Some(TENANT.into()),
                funnel_conversation_id: Some(number(id)),
                funnel_address_id: Some(number(funnel)),
                contact_address_id: address.get("id").and_then(Value::as_f64),
                archived_at: None,
                start_time: Some(now),
                end_time: None,
                channel_type: Some(ChannelType::Whatsapp),
                messaging_conversation_id: Some(messaging),
                created_at: Some(now),
                updated_at: Some(now),
            }]
        }
        None => Vec::new(),
    };
    let conversation = FunnelConversation {
        id: Some(number(id)),
        tenant_id: Some(TENANT.into()),
        contact_id: contact.get("id").and_then(Value::as_f64),
        user_id: contact.get("userId").and_then(Value::as_f64),
        funnel_id: Some(number(funnel)),
        funnel_status_id: Some(1.0),
        archived_at: None,
        created_at: Some(now),
        updated_at: Some(now),
        channel_sessions: sessions,
        contacts: Vec::new(),
        custom_fields,
    };
    serde_json::to_value(conversation).unwrap_or_default()
}

fn task(w: &mut World, index: u64, conversations: &[f64]) -> Task {
    let now = w.tick();
    let key = w.key("task");
    let status = [TaskStatus::Scheduled, TaskStatus::Completed, TaskStatus::Overdue, TaskStatus::Cancelled]
        [(index % 4) as usize]
        .clone();
    let due = (index % 5 != 4).then(|| epoch() + chrono::Duration::hours(6 * index as i64));
    let assignee = if index % 3 == 2 {
        TaskActor { id: Some("ai-7".into()), type_: Some(TaskAssigneeType::AiEmployee) }
    } else {
        TaskActor { id: Some(format!("u{}", 1 + index % 3)), type_: Some(TaskAssigneeType::User) }
    };
    let conversation = conversations.get(index as usize % conversations.len().max(1)).copied();
    Task {
        id: Some(key),
        tenant_id: Some(TENANT.into()),
        created_at: Some(now),
        updated_at: Some(now),
        context: Some(TaskContext { conversation_id: conversation }),
        objective: Some(OBJECTIVES[(index % 5) as usize].into()),
        created_by: Some(TaskActor { id: Some("u1".into()), type_: Some(TaskAssigneeType::User) }),
        assigned_to: Some(assignee),
        published_at: Some(now),
        due_date: due,
        completed_at: (status == TaskStatus::Completed).then_some(now),
        cancelled_at: (status == TaskStatus::Cancelled).then_some(now),
        cancellation_reason: (status == TaskStatus::Cancelled).then(|| "Contact asked not to be called".into()),
        status: Some(status),
    }
}

/// A call record; started calls complete at once in the sandbox.
#[allow(clippy::too_many_arguments)]
pub(super) fn new_call(
    w: &mut World,
    contacts: &[Value],
    from: &str,
    to: &str,
    direction: &str,
    status: &str,
    duration: f64,
) -> Call {
    let now = w.tick();
    let id = w.id();
    let contact = contacts.iter().find(|c| has_address(c, to, &[])).and_then(|c| c.get("id")?.as_f64());
    Call {
        id: Some(number(id)),
        tenant_id: Some(TENANT.into()),
        provider_id: Some(format!("CA{:032x}", u128::from(crate::sandbox::mix(w.seed ^ id)))),
        provider_name: Some("twilio".into()),
        contact_id: contact,
        from: Some(from.into()),
        to: Some(to.into()),
        duration: Some(duration),
        direction: Some(direction.into()),
        status: Some(status.into()),
        // A duration too long for the calendar (1e13 s and more) cannot
        // give a start time: the record keeps none rather than panicking.
        start_time: chrono::Duration::try_seconds(duration as i64).and_then(|d| now.checked_sub_signed(d)),
        created_at: Some(now),
        updated_at: Some(now),
        last_update_sequence: Some(1.0),
        ..Call::default()
    }
}

/// Gives a call its recording (at `url`, or a generated one) and a transcription.
pub(super) fn attach_recording(w: &mut World, call: &Call, url: Option<String>) -> (Recording, Transcription) {
    let now = w.tick();
    let (recording_id, transcription_id) = (w.id(), w.id());
    let call_id = call.id.unwrap_or_default();
    let recording = Recording {
        id: Some(number(recording_id)),
        tenant_id: Some(TENANT.into()),
        call_id: Some(call_id),
        provider_id: Some(format!("RE{recording_id:030}")),
        provider_name: call.provider_name.clone(),
        call_provider_id: call.provider_id.clone(),
        call_provider_name: call.provider_name.clone(),
        url: Some(url.unwrap_or_else(|| format!("https://recordings.sandbox.llamadapro.app/{recording_id}.mp3"))),
        start_time: call.start_time,
        duration: call.duration,
        dual_channel: Some(true),
        created_at: Some(now),
        updated_at: Some(now),
    };
    let transcription = Transcription {
        id: Some(number(transcription_id)),
        tenant_id: Some(TENANT.into()),
        provider_id: Some(format!("TR{transcription_id:030}")),
        provider_name: Some("deepgram".into()),
        recording_id: Some(number(recording_id)),
        url: Some(format!("https://recordings.sandbox.llamadapro.app/{recording_id}.txt")),
        text: Some(format!(
            "Agent: Hola, le llamo de LlamadaPro. Contact: Hola, si, digame. Agent: Queria confirmar su cita. ({} to {})",
            call.from.as_deref().unwrap_or("?"),
            call.to.as_deref().unwrap_or("?")
        )),
        created_at: Some(now),
        updated_at: Some(now),
    };
    (recording, transcription)
}

fn inbound_message(w: &mut World, contacts: &[Value], view: FunnelConversation) -> Message {
    let now = w.tick().to_rfc3339();
    let id = w.key("msg");
    let contact = contacts.iter().find(|c| c.get("id").and_then(Value::as_f64) == view.contact_id);
    let contact: Option<Contact> = contact.and_then(|c| serde_json::from_value(c.clone()).ok());
    let contact = contact.as_ref();
    let from = contact.and_then(|c| c.addresses.first()).and_then(|a| a.address.clone());
    let attachment = w.key("att");
    let pending = MediaProcessingResult { status: Some("pending".into()), ..MediaProcessingResult::default() };
    Message {
        id: Some(id),
        tenant_id: Some(TENANT.into()),
        conversation_id: view.channel_sessions.first().and_then(|s| s.messaging_conversation_id.clone()),
        funnel_conversation_id: view.id,
        session_id: view.channel_sessions.first().and_then(|s| s.id),
        provider_id: Some("wamid.sandbox0001".into()),
        contact_id: view.contact_id,
        content: Some("Les envio la foto del producto".into()),
        status: Some("received".into()),
        direction: Some("inbound".into()),
        channel: Some("whatsapp".into()),
        sender: Some(MessageParticipant {
            address: from,
            role: Some("contact".into()),
            display_name: contact.and_then(|c| c.first_name.clone()),
            ..MessageParticipant::default()
        }),
        recipient: Some(MessageParticipant {
            address: Some("+56229990000".into()),
            role: Some("user".into()),
            ..MessageParticipant::default()
        }),
        attachments: vec![MessageAttachment {
            id: Some(attachment.clone()),
            type_: Some("image".into()),
            url: Some(format!("https://files.sandbox.llamadapro.app/{attachment}.jpg?signature=sandbox")),
            unsigned_url: Some(format!("https://files.sandbox.llamadapro.app/{attachment}.jpg")),
            metadata: Map::new(),
            media_processing: Some(MediaProcessing {
                text_representation: Some(pending.clone()),
                summary: Some(pending),
            }),
            is_cacheable: Some(true),
        }],
        created_at: Some(now.clone()),
        updated_at: Some(now),
        ..Message::default()
    }
}

/// Whether `contact` has address `value` (on one of `channels`; any when none).
pub(super) fn has_address(contact: &Value, value: &str, channels: &[&str]) -> bool {
    let addresses = contact.get("addresses").and_then(Value::as_array).into_iter().flatten();
    addresses.into_iter().any(|a| {
        a.get("address").and_then(Value::as_str) == Some(value)
            && (channels.is_empty()
                || a.get("channelType").and_then(Value::as_str).is_some_and(|c| channels.contains(&c)))
    })
}
