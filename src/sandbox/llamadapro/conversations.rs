//! Funnel conversations, one at a time or in bulk with a per-item report,
//! kept in the store without `contacts` (filled in when shown). A `contact`
//! is matched by its phones and e-mails (and updated), or created; with a
//! `contactId`, that contact is updated. An open conversation of the same
//! contact in the funnel is refused, or a duplicate in bulk.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::contacts::merge_custom_fields;
use super::data::conversation;
use super::{CONTACTS, CONVERSATIONS, LlamadaProState, World, bad_request, id_of, ok, parse};
use crate::llamadapro::ids::id_from_number;
use crate::llamadapro::types::{
    BulkConversationCreateRequest, BulkConversationUpdateRequest, CreateConversationRequest,
};
use crate::sandbox::store::{Answer, Records, lookup, overlay};

/// A conversation as the API shows it, with its contact (whose search-only
/// fields, `archivedAt` and `eventSequence`, the answer's schema leaves out).
pub(super) fn view(contacts: &[Value], conversation: &Value) -> Value {
    let contact = contacts.iter().find(|c| c.get("id").is_some() && c.get("id") == conversation.get("contactId"));
    let mut view = conversation.clone();
    overlay(&mut view, json!({ "contacts": Vec::from_iter(contact) }));
    view
}

/// The fields among `names` that `request` gives a value (not `null`).
fn given(request: &Value, names: &[&str]) -> Value {
    let given =
        names.iter().filter_map(|name| Some((name.to_string(), request.get(*name).filter(|v| !v.is_null())?.clone())));
    Value::Object(given.collect())
}

fn strings<'v>(data: &'v Value, name: &str) -> Vec<&'v str> {
    data.get(name).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect()
}

/// The existing contact that has one of these phones or e-mails.
fn match_contact(contacts: &[Value], data: &Value) -> Option<u64> {
    let (phones, emails) = (strings(data, "phones"), strings(data, "emails"));
    contacts.iter().find_map(|c| {
        let hit = c.get("addresses").and_then(Value::as_array).into_iter().flatten().any(|a| {
            a.get("address")
                .and_then(Value::as_str)
                .is_some_and(|value| phones.contains(&value) || emails.iter().any(|e| e.eq_ignore_ascii_case(value)))
        });
        hit.then(|| id_of(c)).flatten()
    })
}

/// The open conversation of `contact` (in `funnel`, if one is named).
pub(super) fn open_conversation(conversations: &[Value], contact: u64, funnel: Option<u64>) -> Option<&Value> {
    let is = |c: &Value, name: &str, id: u64| c.get(name).and_then(Value::as_f64) == Some(id as f64);
    let open = |c: &Value| c.get("archivedAt").is_none_or(Value::is_null);
    conversations.iter().find(|c| is(c, "contactId", contact) && funnel.is_none_or(|f| is(c, "funnelId", f)) && open(c))
}

/// The issue of the first phone of a conversation's contact that is not E.164 (reported per item in bulk).
fn bad_phone(data: Option<&Value>) -> Option<Value> {
    let phones = data.map(|d| strings(d, "phones")).unwrap_or_default();
    let phone = phones.into_iter().find(|p| !crate::spec::validate::is_e164(p))?;
    Some(issue("contact.phones", None, format!("{phone:?} is not an E.164 number")))
}

fn issue(field: &str, code: Option<&str>, message: String) -> Value {
    let mut issue = json!({"context": {}, "field": field, "message": message});
    overlay(&mut issue, json!({ "code": code }));
    issue
}

impl LlamadaProState {
    /// Updates contact `id` with the contact `data` of a conversation (the
    /// addresses it does not have), as an update of the contact would, or
    /// creates one when `id` is `None`; returns its id.
    fn upsert_contact(&self, contacts: &mut Vec<Value>, id: Option<u64>, data: &Value) -> u64 {
        let at = id.and_then(|id| contacts.iter().position(|c| id_of(c) == Some(id)));
        let before = at.and_then(|at| contacts.get(at).cloned());
        let mut contact = before.clone().unwrap_or_else(|| json!({}));
        overlay(&mut contact, given(data, &["firstName", "lastName", "nationalId", "companyPosition", "userId"]));
        merge_custom_fields(&mut contact, data.get("customFields"));
        let known: Vec<&Value> = before.iter().flat_map(|c| lookup(c, "addresses.address")).collect();
        let phones = strings(data, "phones").into_iter().map(|p| json!({"address": p, "channelType": "PHONE"}));
        let emails = strings(data, "emails").into_iter().map(|e| json!({"address": e, "channelType": "EMAIL"}));
        let sent: Vec<Value> = phones.chain(emails).filter(|a| !known.contains(&&a["address"])).collect();
        overlay(&mut contact, json!({ "addresses": sent }));
        self.write_contact(&mut contact, before.as_ref());
        let id = id_of(&contact).unwrap_or_default();
        match at.and_then(|at| contacts.get_mut(at)) {
            Some(stored) => *stored = contact,
            None => contacts.push(contact),
        }
        id
    }

    /// Opens a conversation of `contact` in `funnel` with what the request sets; returns its id.
    fn open(&self, records: &mut Records<'_>, contact: u64, funnel: u64, item: &Value) -> Option<u64> {
        let contact = records.get(CONTACTS, &contact.to_string()).cloned().unwrap_or_default();
        let custom_fields = item.get("customFields").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut c = self.world(|w| conversation(w, &contact, funnel, custom_fields));
        overlay(&mut c, given(item, &["userId", "funnelStatusId", "createdAt"]));
        overlay(&mut c, json!({"archivedAt": item.get("archivedAt")}));
        let id = id_of(&c);
        records.of(CONVERSATIONS).push(c);
        id
    }

    /// Creates the conversation `item` asks for (with its contact): its id and warnings, or why not.
    fn create(&self, records: &mut Records<'_>, item: &Value) -> Result<(u64, Vec<Value>), Skipped> {
        let mut errors = Vec::new();
        let data = item.get("contact").filter(|c| c.is_object());
        let funnel = match item.get("funnelId").and_then(Value::as_f64) {
            None => {
                errors.push(issue("funnelId", Some("REQUIRED_FIELD"), "funnelId is required".into()));
                None
            }
            Some(f) => {
                let known = id_from_number(f).filter(|f| self.config.funnels.contains(f));
                if known.is_none() {
                    errors.push(issue("funnelId", None, format!("unknown funnel {f}")));
                }
                known
            }
        };
        errors.extend(bad_phone(data));
        let contacts = records.of(CONTACTS);
        let contact = match (item.get("contactId").and_then(Value::as_f64), data) {
            (None, None) => {
                let message = "one of contactId or contact is required".into();
                errors.push(issue("contactId", Some("REQUIRED_FIELD"), message));
                None
            }
            // With both, contactId names the contact that `contact` updates.
            (Some(id), _) => {
                let known = id_from_number(id).filter(|id| contacts.iter().any(|c| id_of(c) == Some(*id)));
                if known.is_none() {
                    errors.push(issue("contactId", None, format!("unknown contact {id}")));
                }
                known
            }
            (None, Some(data)) => match_contact(contacts, data),
        };
        let Some(funnel) = funnel.filter(|_| errors.is_empty()) else { return Err(Skipped::Failed(errors)) };
        if let Some(existing) =
            contact.and_then(|c| open_conversation(records.of(CONVERSATIONS), c, Some(funnel)).and_then(id_of))
        {
            let entity = json!({ "id": existing, "contactId": contact, "funnelId": funnel });
            return Err(Skipped::Duplicate(existing, entity));
        }
        let mut warnings = Vec::new();
        let contact = match data {
            Some(data) => {
                if let Some(matched) = contact.filter(|_| item.get("contactId").is_none_or(Value::is_null)) {
                    let message = format!("matched existing contact {matched} by address; its details were updated");
                    warnings.push(issue("contact", None, message));
                }
                self.upsert_contact(records.of(CONTACTS), contact, data)
            }
            None => contact.unwrap_or_default(),
        };
        Ok((self.open(records, contact, funnel, item).unwrap_or_default(), warnings))
    }

    pub(super) fn create_conversation(&self, body: &Value, records: &mut Records<'_>) -> Answer {
        parse::<CreateConversationRequest>(body)?;
        match self.create(records, body) {
            Ok((id, _)) => {
                let conversation = records.get(CONVERSATIONS, &id.to_string()).cloned().unwrap_or_default();
                ok(view(records.of(CONTACTS), &conversation))
            }
            Err(Skipped::Failed(errors)) => {
                let message = errors.first().and_then(|e| e.get("message")?.as_str()).unwrap_or("invalid conversation");
                Err(bad_request(message))
            }
            Err(Skipped::Duplicate(existing, entity)) => {
                let funnel = &entity["funnelId"];
                let message = format!("the contact already has open conversation {existing} in funnel {funnel}");
                let details = json!({ "existingConversationId": existing });
                Ok((400, json!({"code": 400, "error": "Bad Request", "message": message, "details": details})))
            }
        }
    }

    pub(super) fn bulk_create(&self, body: &Value, records: &mut Records<'_>) -> Answer {
        let request: BulkConversationCreateRequest = parse(body)?;
        let mut tally = Tally::default();
        for (index, item) in body.get("conversations").and_then(Value::as_array).into_iter().flatten().enumerate() {
            match self.create(records, item) {
                Ok((id, warnings)) => tally.succeeded(index, id, warnings),
                Err(Skipped::Failed(errors)) => tally.failed(index, errors),
                Err(Skipped::Duplicate(existing, entity)) => tally.duplicate(index, existing, entity),
            }
        }
        ok(self.world(|w| tally.finish(w, request.conversations.len())))
    }

    pub(super) fn bulk_update(&self, body: &Value, records: &mut Records<'_>) -> Answer {
        let request: BulkConversationUpdateRequest = parse(body)?;
        let items = body.get("conversations").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut tally = Tally::default();
        let mut seen = HashSet::new();
        for (index, (item, raw)) in request.conversations.iter().zip(&items).enumerate() {
            let found = id_from_number(item.id).and_then(|id| Some((id, records.get(CONVERSATIONS, &id.to_string())?)));
            let Some((id, conversation)) = found else {
                tally.failed(index, vec![issue("id", None, format!("no conversation {}", item.id))]);
                continue;
            };
            let contact = conversation.get("contactId").and_then(Value::as_f64).and_then(id_from_number);
            if !seen.insert(id) {
                tally.duplicate(index, id, json!({ "id": id }));
                continue;
            }
            let data = raw.get("contact").filter(|c| c.is_object());
            if let Some(issue) = bad_phone(data) {
                tally.failed(index, vec![issue]);
                continue;
            }
            if let Some(data) = data {
                let named = data.get("id").and_then(Value::as_f64);
                if named.is_some() && named.and_then(id_from_number) != contact {
                    let message =
                        format!("contact {} is not the contact of conversation {id}", named.unwrap_or_default());
                    tally.failed(index, vec![issue("contact.id", None, message)]);
                    continue;
                }
                if let Some(contact) = contact.filter(|c| records.get(CONTACTS, &c.to_string()).is_some()) {
                    self.upsert_contact(records.of(CONTACTS), Some(contact), data);
                }
            }
            let now = self.world(World::now);
            if let Some(c) = records.get(CONVERSATIONS, &id.to_string()) {
                overlay(c, given(raw, &["createdAt", "userId", "funnelStatusId", "archivedAt"]));
                merge_custom_fields(c, raw.get("customFields"));
                overlay(c, json!({ "updatedAt": now }));
            }
            tally.succeeded(index, id, Vec::new());
        }
        ok(self.world(|w| tally.finish(w, request.conversations.len())))
    }
}

/// Why an item of a create was not created.
enum Skipped {
    Failed(Vec<Value>),
    /// The open conversation it repeats, as the report shows it.
    Duplicate(u64, Value),
}

/// Tallies per-item results into the report.
#[derive(Default)]
struct Tally {
    issues: Vec<Value>,
    successful: u64,
    warnings: u64,
    duplicates: u64,
    errors: u64,
}

impl Tally {
    fn failed(&mut self, index: usize, errors: Vec<Value>) {
        self.errors += 1;
        self.issues.push(json!({"index": index as f64, "errors": errors}));
    }

    fn duplicate(&mut self, index: usize, existing: u64, entity: Value) {
        self.duplicates += 1;
        let entities = json!({ "funnelConversation": entity });
        self.issues.push(json!({"index": index as f64, "itemId": existing as f64, "existingEntities": entities}));
    }

    fn succeeded(&mut self, index: usize, id: u64, warnings: Vec<Value>) {
        self.successful += 1;
        if !warnings.is_empty() {
            self.warnings += 1;
            self.issues.push(json!({"index": index as f64, "itemId": id as f64, "warnings": warnings}));
        }
    }

    fn finish(self, w: &mut World, total: usize) -> Value {
        let (successful, duplicates, errors) = (self.successful, self.duplicates, self.errors);
        let message = format!("{total} processed: {successful} succeeded, {duplicates} duplicates, {errors} failed");
        let empty = "no conversations to process".into();
        let batch_errors = (total == 0).then(|| issue("conversations", Some("REQUIRED_FIELD"), empty));
        let counts = json!({
            "successful": successful as f64, "warnings": self.warnings as f64, "duplicates": duplicates as f64,
            "errors": errors as f64, "total": total as f64,
        });
        let report = json!({"batchErrors": Vec::from_iter(batch_errors), "counts": counts, "itemsIssues": self.issues});
        json!({"message": message, "operationId": w.key("bulk"), "report": report})
    }
}
