//! The emulator's hooks into the generic store: the seeded records, the
//! fields the server sets, what an update may not change, unique field keys
//! and option values, options only under `LIST` fields, definitions in use,
//! and the operations answered here (the contact search, conversations,
//! calls, messages: see their modules).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::{CONTACTS, CONVERSATIONS, DEFINITIONS, LlamadaProState, TENANT};
use crate::sandbox::store::{Answer, Context, Hooks, Records, Refusal, text};

impl Hooks for LlamadaProState {
    fn seed(&self, path: &str) -> Option<Vec<Value>> {
        // Once the seed is taken, the emulator's own collections start empty; the others are the store's.
        let own = [super::CALLS, super::RECORDINGS, super::TRANSCRIPTIONS, super::MESSAGES, super::MEDIA];
        let seeded = self.world(|w| w.seeds.remove(path));
        seeded.or_else(|| (own.contains(&path) || path.starts_with(DEFINITIONS)).then(Vec::new))
    }

    fn refuse(&self, request: &Context<'_>) -> Result<(), Refusal> {
        // Only `LIST` definitions have options.
        let field = |name| request.parent.and_then(|d| d.get(name)).and_then(text).unwrap_or_default();
        match field("fieldType").as_str() {
            _ if !request.operation_id.contains("CustomFieldListOption") => Ok(()),
            "LIST" => Ok(()),
            kind => {
                let kind = if kind.is_empty() { "unknown" } else { kind };
                let message =
                    format!("custom field definition {} is of type {kind}, not LIST: it has no options", field("id"));
                Err((StatusCode::BAD_REQUEST, message))
            }
        }
    }

    fn keeps(&self, request: &Context<'_>, record: &Value) -> bool {
        // Archived contacts are only found by the search, and by id.
        request.operation_id != "getContacts" || record.get("archivedAt").is_none()
    }

    fn write(&self, request: &Context<'_>, record: &mut Value, before: Option<&Value>) -> Result<(), Refusal> {
        if matches!(request.operation_id, "createContact" | "updateContact") {
            self.write_contact(record, before);
            return Ok(());
        }
        // An update changes what the request may change; the rest stays as stored.
        let fixed: &[&str] = match request.operation_id {
            "updateCustomFieldDefinition" => &["id", "tenantId", "createdAt"],
            "updateCustomFieldListOption" => &["id", "tenantId", "definitionId", "createdAt"],
            _ => &[],
        };
        if let Some(before) = before {
            super::keep(record, before, fixed);
        }
        let Some(fields) = record.as_object_mut() else { return Ok(()) };
        match request.operation_id {
            "createTask" => {
                let at = self.stamp(fields, true, Some("task"));
                fields.insert("publishedAt".into(), at);
                fields.entry("status").or_insert_with(|| "scheduled".into());
            }
            "updateTask" => {
                let at = self.stamp(fields, false, None);
                let stamp = match fields.get("status").and_then(Value::as_str) {
                    Some("completed") => "completedAt",
                    Some("cancelled") => "cancelledAt",
                    _ => return Ok(()),
                };
                fields.entry(stamp).or_insert(at);
            }
            "createCustomFieldDefinition" | "updateCustomFieldDefinition" => {
                let field = |fields: &Map<String, Value>, name| fields.get(name).and_then(text).unwrap_or_default();
                let (entity, key) = (field(fields, "entityType"), field(fields, "fieldKey"));
                if key.trim().is_empty() {
                    return Err((StatusCode::BAD_REQUEST, "fieldKey must not be empty".into()));
                }
                let id = fields.get("id").and_then(text);
                let taken = request.records.iter().any(|d| {
                    d.get("id").and_then(text) != id
                        && d.get("entityType").and_then(text).as_deref() == Some(&entity)
                        && d.get("fieldKey").and_then(text).as_deref() == Some(&key)
                });
                if taken {
                    return Err((StatusCode::BAD_REQUEST, format!("a {entity} field with key {key:?} already exists")));
                }
                self.stamp(fields, before.is_none(), None);
            }
            "createCustomFieldListOption" | "updateCustomFieldListOption" => {
                let definition = request.parent.and_then(|d| d.get("id")).and_then(text).unwrap_or_default();
                if before.is_none() {
                    let sent = fields.get("definitionId").and_then(text).unwrap_or_default();
                    if sent != definition {
                        let message = format!("definitionId {sent} in the body differs from {definition} in the path");
                        return Err((StatusCode::BAD_REQUEST, message));
                    }
                    let value = fields.get("value").and_then(text);
                    if request.records.iter().any(|o| o.get("value").and_then(text) == value) {
                        let value = value.unwrap_or_default();
                        return Err((StatusCode::BAD_REQUEST, format!("option {value:?} already exists")));
                    }
                }
                self.stamp(fields, before.is_none(), None);
            }
            _ => {}
        }
        Ok(())
    }

    fn search(
        &self,
        request: &Context<'_>,
        body: &Value,
        records: &mut Records<'_>,
    ) -> Option<Result<Vec<Value>, Refusal>> {
        (request.operation_id == "searchContacts").then(|| self.contact_search(body, records))
    }

    fn listed(&self, request: &Context<'_>, answer: &mut Value) {
        // The search counts what it found only when asked to.
        if request.operation_id == "searchContacts" && request.param("includeTotalCount") != Some("true") {
            answer.as_object_mut().map(|fields| fields.remove("totalCount"));
        }
    }

    fn answer(&self, request: &Context<'_>, body: &Value, records: &mut Records<'_>) -> Option<Answer> {
        match request.operation_id {
            "createConversation" => Some(self.create_conversation(body, records)),
            "bulkCreateConversations" => Some(self.bulk_create(body, records)),
            "bulkUpdateConversations" => Some(self.bulk_update(body, records)),
            "deleteCustomFieldDefinition" => in_use(request, records).err().map(Err),
            _ => self.answer_call(request, body, records).or_else(|| self.answer_message(request, body, records)),
        }
    }
}

/// A definition whose key has values on records is deleted (by the store)
/// only with `force=true`, which deletes the values too; else a 409.
fn in_use(request: &Context<'_>, records: &mut Records<'_>) -> Result<(), Refusal> {
    let Some(definition) = records.get(DEFINITIONS, request.path_param("id")).cloned() else { return Ok(()) };
    let Some(key) = definition.get("fieldKey").and_then(Value::as_str) else { return Ok(()) };
    let records = match definition.get("entityType").and_then(Value::as_str) {
        Some("CONTACT") => records.of(CONTACTS),
        Some("FUNNEL_CONVERSATION") => records.of(CONVERSATIONS),
        _ => return Ok(()),
    };
    let has = |r: &Value| r.get("customFields").and_then(|f| f.get(key)).is_some();
    let in_use = records.iter().filter(|r| has(r)).count();
    if in_use > 0 && request.param("force") != Some("true") {
        let message =
            format!("custom field {key:?} has values on {in_use} records; delete with force=true to remove them too");
        return Err((StatusCode::CONFLICT, message));
    }
    for record in records.iter_mut().filter(|r| has(r)) {
        if let Some(fields) = record.get_mut("customFields").and_then(Value::as_object_mut) {
            fields.remove(key);
        }
        if let Some(sequence) = record.get("eventSequence").and_then(Value::as_u64) {
            crate::sandbox::store::overlay(record, serde_json::json!({ "eventSequence": sequence + 1 }));
        }
    }
    Ok(())
}

impl LlamadaProState {
    /// Sets the times (and, on a new record, the id, a key if it has a `prefix`, and tenant) the server keeps; answers the time.
    fn stamp(&self, fields: &mut Map<String, Value>, new: bool, prefix: Option<&str>) -> Value {
        self.world(|w| {
            let at = w.now();
            if new {
                let id = match prefix {
                    Some(prefix) => w.key(prefix).into(),
                    None => w.id().into(),
                };
                fields.insert("id".into(), id);
                fields.insert("tenantId".into(), TENANT.into());
                fields.insert("createdAt".into(), at.clone());
            }
            fields.insert("updatedAt".into(), at.clone());
            at
        })
    }
}
