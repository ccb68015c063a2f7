//! The seeded records: the same seed gives the same data, ids and times.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::{
    CALLS, CONTACTS, CONVERSATIONS, DEFINITIONS, LlamadaProConfig, MESSAGES, RECORDINGS, TASKS, TENANT, TRANSCRIPTIONS,
    World, id_of, stamp,
};

const FIRST: &str = "Camila Mateo Valentina Benjamin Isidora Agustin Sofia Tomas Martina Vicente Florencia Joaquin";
const LAST: &str = "Gonzalez Munoz Rojas Diaz Perez Soto Contreras Silva Martinez Sepulveda";
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

/// `record` without its `null` fields.
fn compact(mut record: Value) -> Value {
    if let Some(fields) = record.as_object_mut() {
        fields.retain(|_, v| !v.is_null());
    }
    record
}

pub(super) fn seed_world(seed: u64, config: &LlamadaProConfig) -> World {
    let mut w = World { seed, clock: epoch(), next_id: 100, next_key: 0, seeds: HashMap::new() };
    let definitions = definitions(&mut w);
    let contacts: Vec<Value> = (0..config.contacts).map(|i| contact(&mut w, seed, i)).collect();
    let funnel = config.funnels.first().copied().unwrap_or(1);
    let active = contacts.iter().filter(|c| c.get("archivedAt").is_none()).take(10);
    let mut conversations = Vec::new();
    for (i, contact) in active.enumerate() {
        let priority = (i % 2 == 0).then_some(if i % 4 == 0 { "high" } else { "low" });
        let fields = priority.map(|p| json!({ "priority": p })).unwrap_or_else(|| json!({}));
        conversations.push(conversation(&mut w, contact, funnel, fields.as_object().cloned().unwrap_or_default()));
    }
    let conversation_ids: Vec<&Value> = conversations.iter().filter_map(|c| c.get("id")).collect();
    let tasks: Vec<Value> = (0..config.tasks).map(|i| task(&mut w, i, &conversation_ids)).collect();
    let (mut calls, mut recordings, mut transcriptions) = (Vec::new(), Vec::new(), Vec::new());
    for (i, contact) in contacts.iter().take(3).enumerate() {
        let to = phone_address(contact).and_then(|a| a.get("address")?.as_str()).unwrap_or("+56911111111");
        let made = (config.default_caller_id.as_str(), to, "outgoing", "completed", 60.0 + 45.0 * i as f64);
        let call = new_call(&mut w, &contacts, made);
        let (recording, transcription) = attach_recording(&mut w, &call, None);
        calls.push(call);
        recordings.push(recording);
        transcriptions.push(transcription);
    }
    let message = conversations.first().map(|c| inbound_message(&mut w, &contacts, c));
    let (definitions, options): (Vec<Value>, Vec<(String, Vec<Value>)>) = definitions.into_iter().unzip();
    w.seeds.extend(options);
    let seeds = [
        (CONTACTS, contacts),
        (DEFINITIONS, definitions),
        (CONVERSATIONS, conversations),
        (TASKS, tasks),
        (CALLS, calls),
        (RECORDINGS, recordings),
        (TRANSCRIPTIONS, transcriptions),
        (MESSAGES, message.into_iter().collect()),
    ];
    w.seeds.extend(seeds.into_iter().map(|(path, records)| (path.to_owned(), records)));
    w
}

/// The custom field definitions, each with the path and records of its options.
fn definitions(w: &mut World) -> Vec<(Value, (String, Vec<Value>))> {
    let specs: [(&str, &str, &str, &str, &[&str]); 4] = [
        ("source", "Lead source", "CONTACT", "STRING", &[]),
        ("tier", "Customer tier", "CONTACT", "LIST", &["gold", "silver", "bronze"]),
        ("birthday", "Birthday", "CONTACT", "DATE", &[]),
        ("priority", "Priority", "FUNNEL_CONVERSATION", "LIST", &["high", "low"]),
    ];
    let mut definitions = Vec::new();
    for (key, label, entity, kind, options) in specs {
        let (now, id) = (w.now(), w.id());
        let definition = json!({
            "id": id as f64, "tenantId": TENANT, "entityType": entity, "fieldKey": key, "fieldLabel": label,
            "fieldType": kind, "createdAt": now, "updatedAt": now,
        });
        let options = options.iter().map(|value| {
            json!({
                "id": w.id() as f64, "tenantId": TENANT, "definitionId": id as f64, "value": value,
                "label": value[..1].to_uppercase() + &value[1..], "createdAt": now, "updatedAt": now,
            })
        });
        definitions.push((definition, (format!("{DEFINITIONS}/{id}/options"), options.collect())));
    }
    definitions
}

/// A contact's address record.
pub(super) fn address(w: &mut World, contact: u64, channel: &str, value: &str) -> Value {
    let (now, id) = (stamp(w.clock), w.id());
    json!({
        "id": id as f64, "tenantId": TENANT, "contactId": contact as f64, "channelType": channel, "address": value,
        "createdAt": now, "updatedAt": now,
    })
}

/// Seeded contact `index` (every tenth is archived).
fn contact(w: &mut World, seed: u64, index: u64) -> Value {
    let mut rng = fastrand::Rng::with_seed(crate::sandbox::mix(seed.wrapping_add(index.wrapping_mul(7919))));
    let created = w.tick() + Duration::hours(index as i64);
    let id = w.id();
    let pick = |rng: &mut fastrand::Rng, names: &'static str| {
        let names: Vec<&str> = names.split_whitespace().collect();
        names.get(rng.usize(..names.len().max(1))).copied().unwrap_or_default()
    };
    let (first, last) = (pick(&mut rng, FIRST), pick(&mut rng, LAST));
    let phone = format!("+569{:08}", rng.u32(10_000_000..100_000_000));
    let email = format!("{}.{}{index}@example.cl", first.to_lowercase(), last.to_lowercase());
    let mut addresses = vec![address(w, id, "PHONE", &phone)];
    if index.is_multiple_of(2) {
        addresses.push(address(w, id, "WHATSAPP", &phone));
    }
    addresses.push(address(w, id, "EMAIL", &email));
    let mut custom_fields = Map::new();
    if index % 3 != 2 {
        custom_fields.insert("source".into(), json!(SOURCES[(index % 3) as usize]));
    }
    if index.is_multiple_of(4) {
        custom_fields.insert("tier".into(), json!(if index.is_multiple_of(8) { "gold" } else { "silver" }));
    }
    let national_id = format!("{}-{}", 10_000_000 + rng.u32(..15_000_000), rng.u8(..10));
    let user = f64::from(1 + rng.u8(..3));
    let position = (index % 2 == 1).then(|| POSITIONS[rng.usize(..POSITIONS.len())]);
    compact(json!({
        "id": id as f64, "tenantId": TENANT, "nationalId": national_id, "firstName": first, "lastName": last,
        "userId": user, "companyPosition": position, "createdAt": stamp(created),
        "updatedAt": stamp(created + Duration::minutes((index % 5) as i64)), "customFields": custom_fields,
        "addresses": addresses, "archivedAt": (index % 10 == 9).then(|| stamp(created + Duration::days(3))),
        "eventSequence": 1,
    }))
}

/// A contact's first phone (or WhatsApp) address record.
fn phone_address(contact: &Value) -> Option<&Value> {
    let addresses = contact.get("addresses").and_then(Value::as_array)?;
    addresses.iter().find(|a| matches!(a.get("channelType").and_then(Value::as_str), Some("PHONE" | "WHATSAPP")))
}

/// A new conversation of `contact` in `funnel`, with a session on its first phone.
pub(super) fn conversation(w: &mut World, contact: &Value, funnel: u64, custom_fields: Map<String, Value>) -> Value {
    let (now, id) = (w.now(), w.id());
    let session = phone_address(contact).map(|address| {
        let (session, messaging) = (w.id(), w.key("wa_conv"));
        compact(json!({
            "id": session as f64, "tenantId": TENANT, "funnelConversationId": id as f64,
            "funnelAddressId": funnel as f64, "contactAddressId": address.get("id"), "startTime": now,
            "channelType": "WHATSAPP", "messagingConversationId": messaging, "createdAt": now, "updatedAt": now,
        }))
    });
    compact(json!({
        "id": id as f64, "tenantId": TENANT, "contactId": contact.get("id"), "userId": contact.get("userId"),
        "funnelId": funnel as f64, "funnelStatusId": 1.0, "createdAt": now, "updatedAt": now,
        "channelSessions": Vec::from_iter(session), "contacts": [], "customFields": custom_fields,
    }))
}

fn task(w: &mut World, index: u64, conversations: &[&Value]) -> Value {
    let (now, key) = (w.now(), w.key("task"));
    let status = ["scheduled", "completed", "overdue", "cancelled"][(index % 4) as usize];
    let due = (index % 5 != 4).then(|| stamp(epoch() + Duration::hours(6 * index as i64)));
    let assignee = match index % 3 {
        2 => json!({"id": "ai-7", "type": "ai_employee"}),
        _ => json!({"id": format!("u{}", 1 + index % 3), "type": "user"}),
    };
    let conversation = conversations.get(index as usize % conversations.len().max(1)).copied();
    let (completed, cancelled) = (status == "completed", status == "cancelled");
    compact(json!({
        "id": key, "tenantId": TENANT, "createdAt": now, "updatedAt": now,
        "context": compact(json!({"conversationId": conversation})), "objective": OBJECTIVES[(index % 5) as usize],
        "createdBy": {"id": "u1", "type": "user"}, "assignedTo": assignee, "publishedAt": now, "dueDate": due,
        "completedAt": completed.then(|| now.clone()), "cancelledAt": cancelled.then(|| now.clone()),
        "cancellationReason": cancelled.then_some("Contact asked not to be called"), "status": status,
    }))
}

/// A call record (`from`, `to`, direction, status, duration), of the contact
/// that has the number called; started calls complete at once in the sandbox.
pub(super) fn new_call(w: &mut World, contacts: &[Value], call: (&str, &str, &str, &str, f64)) -> Value {
    let (from, to, direction, status, duration) = call;
    let (now, id) = (w.tick(), w.id());
    let contact = contacts.iter().find(|c| has_address(c, to, &[])).and_then(id_of).map(|id| id as f64);
    // A duration too long for the calendar (1e13 s and more) cannot
    // give a start time: the record keeps none rather than panicking.
    let start = Duration::try_seconds(duration as i64).and_then(|d| now.checked_sub_signed(d)).map(stamp);
    compact(json!({
        "id": id as f64, "tenantId": TENANT,
        "providerId": format!("CA{:032x}", u128::from(crate::sandbox::mix(w.seed ^ id))), "providerName": "twilio",
        "contactId": contact, "from": from, "to": to, "duration": duration, "direction": direction, "status": status,
        "startTime": start, "createdAt": stamp(now), "updatedAt": stamp(now), "lastUpdateSequence": 1.0,
    }))
}

/// A call's recording (at `url`, or a generated one) and its transcription.
pub(super) fn attach_recording(w: &mut World, call: &Value, url: Option<String>) -> (Value, Value) {
    let (now, recording, transcription) = (w.now(), w.id(), w.id());
    let url = url.unwrap_or_else(|| format!("https://recordings.sandbox.llamadapro.app/{recording}.mp3"));
    let text = |name: &str| call.get(name).and_then(Value::as_str).unwrap_or("?").to_owned();
    let said = "Agent: Hola, le llamo de LlamadaPro. Contact: Hola, si, digame. Agent: Queria confirmar su cita.";
    let recording_record = compact(json!({
        "id": recording as f64, "tenantId": TENANT, "callId": call.get("id").cloned().unwrap_or(json!(0.0)),
        "providerId": format!("RE{recording:030}"), "providerName": call.get("providerName"),
        "callProviderId": call.get("providerId"), "callProviderName": call.get("providerName"), "url": url,
        "startTime": call.get("startTime"), "duration": call.get("duration"), "dualChannel": true,
        "createdAt": now, "updatedAt": now,
    }));
    let transcription = json!({
        "id": transcription as f64, "tenantId": TENANT, "providerId": format!("TR{transcription:030}"),
        "providerName": "deepgram", "recordingId": recording as f64,
        "url": format!("https://recordings.sandbox.llamadapro.app/{recording}.txt"),
        "text": format!("{said} ({} to {})", text("from"), text("to")), "createdAt": now, "updatedAt": now,
    });
    (recording_record, transcription)
}

/// The seeded inbound WhatsApp message, with an image, on `conversation`.
fn inbound_message(w: &mut World, contacts: &[Value], conversation: &Value) -> Value {
    let now = w.tick().to_rfc3339();
    let (id, attachment) = (w.key("msg"), w.key("att"));
    let contact = contacts.iter().find(|c| c.get("id").is_some() && c.get("id") == conversation.get("contactId"));
    let from = contact.and_then(|c| c.pointer("/addresses/0/address"));
    let session = conversation.pointer("/channelSessions/0");
    let pending = json!({"status": "pending"});
    let sender =
        compact(json!({"address": from, "role": "contact", "displayName": contact.and_then(|c| c.get("firstName"))}));
    compact(json!({
        "id": id, "tenantId": TENANT, "conversationId": session.and_then(|s| s.get("messagingConversationId")),
        "funnelConversationId": conversation.get("id"), "sessionId": session.and_then(|s| s.get("id")),
        "providerId": "wamid.sandbox0001", "contactId": conversation.get("contactId"),
        "content": "Les envio la foto del producto", "status": "received", "direction": "inbound",
        "channel": "whatsapp", "sender": sender, "recipient": {"address": "+56229990000", "role": "user"},
        "attachments": [{
            "id": attachment, "type": "image",
            "url": format!("https://files.sandbox.llamadapro.app/{attachment}.jpg?signature=sandbox"),
            "unsignedUrl": format!("https://files.sandbox.llamadapro.app/{attachment}.jpg"), "metadata": {},
            "mediaProcessing": {"textRepresentation": pending, "summary": pending}, "isCacheable": true,
        }],
        "createdAt": now, "updatedAt": now,
    }))
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
