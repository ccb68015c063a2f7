//! The seeded records: the same seed gives the same data, ids and times.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::{LlamadaProConfig, StoredContact, TENANT, World, number};
use crate::llamadapro::types::{
    Call, ChannelSession, ChannelType, Contact, ContactAddress, CustomFieldDefinition, CustomFieldEntityType,
    CustomFieldListOption, CustomFieldType, FunnelConversation, MediaProcessing, MediaProcessingResult, Message,
    MessageAttachment, MessageParticipant, Recording, Task, TaskActor, TaskAssigneeType, TaskContext, TaskStatus,
    Transcription,
};

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

pub(super) fn seed_world(seed: u64, config: &LlamadaProConfig) -> World {
    let mut w = World {
        seed,
        clock: epoch(),
        next_id: 100,
        next_key: 0,
        contacts: super::Contacts::default(),
        tasks: Vec::new(),
        definitions: BTreeMap::new(),
        options: BTreeMap::new(),
        conversations: BTreeMap::new(),
        calls: BTreeMap::new(),
        recordings: BTreeMap::new(),
        transcriptions: BTreeMap::new(),
        messages: Vec::new(),
        media: Vec::new(),
    };
    definitions(&mut w);
    let contact_ids: Vec<u64> = (0..config.contacts).map(|i| contact(&mut w, seed, i)).collect();
    let funnel = config.funnels.first().copied().unwrap_or(1);
    let active: Vec<u64> =
        contact_ids.iter().copied().filter(|id| w.contacts.get(id).is_some_and(|c| c.archived_at.is_none())).collect();
    let conversation_ids: Vec<u64> = active
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, id)| {
            let mut fields = Map::new();
            if i % 2 == 0 {
                fields.insert("priority".into(), json!(if i % 4 == 0 { "high" } else { "low" }));
            }
            conversation(&mut w, *id, funnel, fields)
        })
        .collect();
    for i in 0..config.tasks {
        task(&mut w, i, &conversation_ids);
    }
    for (i, id) in contact_ids.iter().take(3).enumerate() {
        let to = phone_of(&w, *id).unwrap_or_else(|| "+56911111111".into());
        let call = new_call(&mut w, &config.default_caller_id, &to, "outgoing", "completed", 60.0 + 45.0 * i as f64);
        attach_recording(&mut w, &call, None);
    }
    if let Some(first) = conversation_ids.first().copied() {
        inbound_message(&mut w, first);
    }
    w
}

fn definitions(w: &mut World) {
    let specs: [(&str, &str, CustomFieldEntityType, CustomFieldType, &[&str]); 4] = [
        ("source", "Lead source", CustomFieldEntityType::Contact, CustomFieldType::String, &[]),
        ("tier", "Customer tier", CustomFieldEntityType::Contact, CustomFieldType::List, &["gold", "silver", "bronze"]),
        ("birthday", "Birthday", CustomFieldEntityType::Contact, CustomFieldType::Date, &[]),
        ("priority", "Priority", CustomFieldEntityType::FunnelConversation, CustomFieldType::List, &["high", "low"]),
    ];
    for (key, label, entity, kind, options) in specs {
        let now = w.tick();
        let id = w.id();
        w.definitions.insert(
            id,
            CustomFieldDefinition {
                id: Some(number(id)),
                tenant_id: Some(TENANT.into()),
                entity_type: Some(entity),
                field_key: Some(key.into()),
                field_label: Some(label.into()),
                field_type: Some(kind),
                description: None,
                created_at: Some(now),
                updated_at: Some(now),
            },
        );
        for value in options {
            let option_id = w.id();
            w.options.insert(
                option_id,
                CustomFieldListOption {
                    id: Some(number(option_id)),
                    tenant_id: Some(TENANT.into()),
                    definition_id: Some(number(id)),
                    value: Some(value.to_string()),
                    label: Some(capitalised(value)),
                    description: None,
                    created_at: Some(now),
                    updated_at: Some(now),
                },
            );
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

fn contact(w: &mut World, seed: u64, index: u64) -> u64 {
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
    let archived_at = (index % 10 == 9).then(|| created + chrono::Duration::days(3));
    w.contacts.insert(id, StoredContact { contact, archived_at, sequence: 1 });
    id
}

fn phone_of(w: &World, contact: u64) -> Option<String> {
    w.contacts.get(&contact)?.contact.addresses.iter().find_map(|a| match a.channel_type {
        Some(ChannelType::Phone | ChannelType::Whatsapp) => a.address.clone(),
        _ => None,
    })
}

/// Opens a conversation of `contact` in `funnel`, with a session on its first phone.
pub(super) fn conversation(w: &mut World, contact: u64, funnel: u64, custom_fields: Map<String, Value>) -> u64 {
    let now = w.tick();
    let id = w.id();
    let phone = w.contacts.get(&contact).and_then(|c| {
        c.contact
            .addresses
            .iter()
            .find(|a| matches!(a.channel_type, Some(ChannelType::Phone | ChannelType::Whatsapp)))
            .cloned()
    });
    let sessions = match phone {
        Some(address) => {
            let session = w.id();
            let messaging = w.key("wa_conv");
            vec![ChannelSession {
                id: Some(number(session)),
                tenant_id: Some(TENANT.into()),
                funnel_conversation_id: Some(number(id)),
                funnel_address_id: Some(number(funnel)),
                contact_address_id: address.id,
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
    let user_id = w.contacts.get(&contact).and_then(|c| c.contact.user_id);
    w.conversations.insert(
        id,
        FunnelConversation {
            id: Some(number(id)),
            tenant_id: Some(TENANT.into()),
            contact_id: Some(number(contact)),
            user_id,
            funnel_id: Some(number(funnel)),
            funnel_status_id: Some(1.0),
            archived_at: None,
            created_at: Some(now),
            updated_at: Some(now),
            channel_sessions: sessions,
            contacts: Vec::new(),
            custom_fields,
        },
    );
    id
}

fn task(w: &mut World, index: u64, conversations: &[u64]) {
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
    let conversation = conversations.get(index as usize % conversations.len().max(1)).map(|id| number(*id));
    w.tasks.push(Task {
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
    });
}

/// A call record; started calls complete at once in the sandbox.
pub(super) fn new_call(w: &mut World, from: &str, to: &str, direction: &str, status: &str, duration: f64) -> Call {
    let now = w.tick();
    let id = w.id();
    let contact = w
        .contacts
        .iter()
        .find(|(_, c)| c.contact.addresses.iter().any(|a| a.address.as_deref() == Some(to)))
        .map(|(id, _)| number(*id));
    let call = Call {
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
    };
    w.calls.insert(id, call.clone());
    call
}

/// Gives a call its recording (at `url`, or a generated one) and a transcription.
pub(super) fn attach_recording(w: &mut World, call: &Call, url: Option<String>) -> Recording {
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
    w.recordings.insert(recording_id, recording.clone());
    w.transcriptions.insert(transcription_id, transcription);
    recording
}

fn inbound_message(w: &mut World, conversation: u64) {
    let now = w.tick().to_rfc3339();
    let id = w.key("msg");
    let Some(view) = w.conversation_view(conversation) else { return };
    let contact = view.contacts.first();
    let from = contact.and_then(|c| c.addresses.first()).and_then(|a| a.address.clone());
    let attachment = w.key("att");
    let pending = MediaProcessingResult { status: Some("pending".into()), ..MediaProcessingResult::default() };
    w.messages.push(Message {
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
    });
}
