//! Funnel conversations: one at a time, or in bulk with a per-item report.
//!
//! A `contact` is matched to an existing contact by its phones and e-mails
//! (and updated), or created; with a `contactId` too, the contact it names is
//! updated instead (no matching). A conversation repeats another when the same
//! contact already has an open (not archived) conversation in the funnel:
//! the single create refuses it, the bulk create skips it as a duplicate.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::contacts::merge_custom_fields;
use super::data::{address, conversation};
use super::{Answer, ApiError, LlamadaProState, StoredContact, TENANT, World, json, number, parse};
use crate::llamadapro::ids::id_from_number;
use crate::llamadapro::types::{
    BulkConversationContactCreateParams, BulkConversationContactUpdateParams, BulkConversationCreateRequest,
    BulkConversationUpdateRequest, BulkCounts, BulkIssue, BulkIssueCode, BulkItemIssues, BulkOperationResult,
    BulkReport, ChannelType, Contact, CreateConversationRequest,
};

/// The existing contact that has one of these phones or e-mails.
fn match_contact(w: &World, phones: &[String], emails: &[String]) -> Option<u64> {
    w.contacts.iter().find_map(|(id, c)| {
        let hit = c.contact.addresses.iter().any(|a| {
            a.address
                .as_ref()
                .is_some_and(|value| phones.contains(value) || emails.iter().any(|e| e.eq_ignore_ascii_case(value)))
        });
        hit.then_some(*id)
    })
}

/// The fields a conversation's contact data can set.
struct ContactData<'a> {
    first_name: &'a Option<String>,
    last_name: &'a Option<String>,
    national_id: &'a Option<String>,
    company_position: &'a Option<String>,
    user_id: Option<f64>,
    custom_fields: &'a Map<String, Value>,
    phones: &'a [String],
    emails: &'a [String],
}

/// Bulk creates and updates carry the same contact fields.
macro_rules! contact_data_of {
    ($($params:ty),+) => {$(
        impl<'a> From<&'a $params> for ContactData<'a> {
            fn from(c: &'a $params) -> Self {
                Self {
                    first_name: &c.first_name,
                    last_name: &c.last_name,
                    national_id: &c.national_id,
                    company_position: &c.company_position,
                    user_id: c.user_id,
                    custom_fields: &c.custom_fields,
                    phones: &c.phones,
                    emails: &c.emails,
                }
            }
        }
    )+};
}
contact_data_of!(BulkConversationContactCreateParams, BulkConversationContactUpdateParams);

/// Updates contact `id` with `data`, or creates one when `id` is `None`; returns its id.
fn upsert_contact(w: &mut World, id: Option<u64>, data: &ContactData<'_>) -> u64 {
    let now = w.tick();
    let id = match id {
        Some(id) => id,
        None => {
            let id = w.id();
            let contact = Contact {
                id: Some(number(id)),
                tenant_id: Some(TENANT.into()),
                created_at: Some(now),
                ..Contact::default()
            };
            w.contacts.insert(id, StoredContact { contact, archived_at: None, sequence: 0 });
            id
        }
    };
    let mut new_addresses = Vec::new();
    let known: Vec<String> = w
        .contacts
        .get(&id)
        .map(|c| c.contact.addresses.iter().filter_map(|a| a.address.clone()).collect())
        .unwrap_or_default();
    for (channel, value) in
        data.phones.iter().map(|p| (ChannelType::Phone, p)).chain(data.emails.iter().map(|e| (ChannelType::Email, e)))
    {
        if !value.is_empty() && !known.contains(value) {
            new_addresses.push(address(w, id, channel, value));
        }
    }
    if let Some(stored) = w.contacts.get_mut(&id) {
        let c = &mut stored.contact;
        for (target, value) in [
            (&mut c.first_name, data.first_name),
            (&mut c.last_name, data.last_name),
            (&mut c.national_id, data.national_id),
            (&mut c.company_position, data.company_position),
        ] {
            if value.is_some() {
                *target = value.clone();
            }
        }
        if data.user_id.is_some() {
            c.user_id = data.user_id;
        }
        merge_custom_fields(&mut c.custom_fields, data.custom_fields);
        c.addresses.extend(new_addresses);
        c.updated_at = Some(now);
        stored.sequence += 1;
    }
    id
}

/// The open conversation of `contact` in `funnel`, if there is one.
fn open_conversation(w: &World, contact: u64, funnel: u64) -> Option<u64> {
    w.conversations.iter().find_map(|(id, c)| {
        let same =
            c.contact_id == Some(number(contact)) && c.funnel_id == Some(number(funnel)) && c.archived_at.is_none();
        same.then_some(*id)
    })
}

/// The first of `phones` that is not E.164 (the schema leaves them unchecked
/// so that the bulk operations can report them per item).
fn bad_phone(phones: &[String]) -> Option<&String> {
    phones.iter().find(|p| !crate::spec::validate::is_e164(p))
}

fn issue(field: &str, code: Option<BulkIssueCode>, message: String) -> BulkIssue {
    BulkIssue { code, context: Map::new(), field: Some(field.into()), message: Some(message) }
}

fn known_funnel(state: &LlamadaProState, funnel: f64) -> Option<u64> {
    id_from_number(funnel).filter(|f| state.config.funnels.contains(f))
}

pub(super) async fn create(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let request: CreateConversationRequest = parse(&body)?;
    // The rules the schema cannot hold: contactId or contact (or both:
    // contactId then names the contact that `contact` updates), E.164 phones.
    request.validate().map_err(|e| ApiError::bad_request(e.to_string()))?;
    let funnel = known_funnel(&state, request.funnel_id).ok_or_else(|| {
        ApiError::bad_request(format!("unknown funnel {}", request.funnel_id)).detail("field", "funnelId")
    })?;
    let view = state.world(|w| {
        let contact = match (request.contact_id, &request.contact) {
            (Some(id), _) => {
                let id = id_from_number(id).filter(|id| w.contacts.contains_key(id));
                Some(id.ok_or_else(|| ApiError::bad_request("unknown contactId").detail("field", "contactId"))?)
            }
            (None, Some(c)) => match_contact(w, &c.phones, &c.emails),
            (None, None) => None,
        };
        if let Some(existing) = contact.and_then(|c| open_conversation(w, c, funnel)) {
            return Err(ApiError::bad_request(format!(
                "the contact already has open conversation {existing} in funnel {funnel}"
            ))
            .detail("existingConversationId", existing));
        }
        let contact = match &request.contact {
            Some(data) => upsert_contact(w, contact, &ContactData::from(data)),
            None => contact.unwrap_or_default(),
        };
        let id = conversation(w, contact, funnel, request.custom_fields.clone());
        if let Some(c) = w.conversations.get_mut(&id) {
            c.user_id = request.user_id.or(c.user_id);
            c.funnel_status_id = request.funnel_status_id.or(c.funnel_status_id);
            c.archived_at = request.archived_at;
            if request.created_at.is_some() {
                c.created_at = request.created_at;
            }
        }
        Ok(w.conversation_view(id))
    })?;
    json(view.ok_or_else(|| ApiError::bad_request("conversation vanished"))?)
}

/// Tallies per-item results into the report.
#[derive(Default)]
struct Tally {
    issues: Vec<BulkItemIssues>,
    successful: u64,
    warnings: u64,
    duplicates: u64,
    errors: u64,
}

impl Tally {
    fn failed(&mut self, index: usize, errors: Vec<BulkIssue>) {
        self.errors += 1;
        self.issues.push(BulkItemIssues { index: Some(index as f64), errors, ..Default::default() });
    }

    fn duplicate(&mut self, index: usize, existing: u64, entity: Value) {
        self.duplicates += 1;
        let mut entities = Map::new();
        entities.insert("funnelConversation".into(), entity);
        self.issues.push(BulkItemIssues {
            index: Some(index as f64),
            item_id: Some(number(existing)),
            existing_entities: entities,
            ..Default::default()
        });
    }

    fn succeeded(&mut self, index: usize, id: u64, warnings: Vec<BulkIssue>) {
        self.successful += 1;
        if !warnings.is_empty() {
            self.warnings += 1;
            self.issues.push(BulkItemIssues {
                index: Some(index as f64),
                item_id: Some(number(id)),
                warnings,
                ..Default::default()
            });
        }
    }

    fn finish(self, w: &mut World, total: usize, batch_errors: Vec<BulkIssue>) -> BulkOperationResult {
        let message = format!(
            "{total} processed: {} succeeded, {} duplicates, {} failed",
            self.successful, self.duplicates, self.errors
        );
        BulkOperationResult {
            message: Some(message),
            operation_id: Some(w.key("bulk")),
            report: Some(BulkReport {
                batch_errors,
                counts: Some(BulkCounts {
                    successful: Some(self.successful as f64),
                    warnings: Some(self.warnings as f64),
                    duplicates: Some(self.duplicates as f64),
                    errors: Some(self.errors as f64),
                    total: Some(total as f64),
                }),
                items_issues: self.issues,
            }),
        }
    }
}

fn empty_batch() -> Vec<BulkIssue> {
    vec![issue("conversations", Some(BulkIssueCode::RequiredField), "no conversations to process".into())]
}

pub(super) async fn bulk_create(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let request: BulkConversationCreateRequest = parse(&body)?;
    let result = state.world(|w| {
        let mut tally = Tally::default();
        for (index, item) in request.conversations.iter().enumerate() {
            let mut errors = Vec::new();
            let funnel = match item.funnel_id {
                None => {
                    let message = "funnelId is required".into();
                    errors.push(issue("funnelId", Some(BulkIssueCode::RequiredField), message));
                    None
                }
                Some(f) => {
                    let known = known_funnel(&state, f);
                    if known.is_none() {
                        errors.push(issue("funnelId", None, format!("unknown funnel {f}")));
                    }
                    known
                }
            };
            if let Some(phone) = item.contact.as_ref().and_then(|c| bad_phone(&c.phones)) {
                errors.push(issue("contact.phones", None, format!("{phone:?} is not an E.164 number")));
            }
            let contact = match (item.contact_id, &item.contact) {
                (None, None) => {
                    let message = "one of contactId or contact is required".into();
                    errors.push(issue("contactId", Some(BulkIssueCode::RequiredField), message));
                    None
                }
                // With both, contactId names the contact that `contact` updates.
                (Some(id), _) => {
                    let known = id_from_number(id).filter(|id| w.contacts.contains_key(id));
                    if known.is_none() {
                        errors.push(issue("contactId", None, format!("unknown contact {id}")));
                    }
                    known
                }
                (None, Some(c)) => match_contact(w, &c.phones, &c.emails),
            };
            let Some(funnel) = funnel.filter(|_| errors.is_empty()) else {
                tally.failed(index, errors);
                continue;
            };
            if let Some(existing) = contact.and_then(|c| open_conversation(w, c, funnel)) {
                let entity = json!({ "id": existing, "contactId": contact, "funnelId": funnel });
                tally.duplicate(index, existing, entity);
                continue;
            }
            let mut warnings = Vec::new();
            let contact = match &item.contact {
                Some(data) => {
                    if let Some(matched) = contact.filter(|_| item.contact_id.is_none()) {
                        let message =
                            format!("matched existing contact {matched} by address; its details were updated");
                        warnings.push(issue("contact", None, message));
                    }
                    upsert_contact(w, contact, &ContactData::from(data))
                }
                None => contact.unwrap_or_default(),
            };
            let id = conversation(w, contact, funnel, item.custom_fields.clone());
            if let Some(c) = w.conversations.get_mut(&id) {
                c.user_id = item.user_id.or(c.user_id);
                c.funnel_status_id = item.funnel_status_id.or(c.funnel_status_id);
                c.archived_at = item.archived_at;
                if item.created_at.is_some() {
                    c.created_at = item.created_at;
                }
            }
            tally.succeeded(index, id, warnings);
        }
        let total = request.conversations.len();
        let batch_errors = if total == 0 { empty_batch() } else { Vec::new() };
        tally.finish(w, total, batch_errors)
    });
    json(result)
}

pub(super) async fn bulk_update(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let request: BulkConversationUpdateRequest = parse(&body)?;
    let result = state.world(|w| {
        let mut tally = Tally::default();
        let mut seen = HashSet::new();
        for (index, item) in request.conversations.iter().enumerate() {
            let Some(id) = id_from_number(item.id).filter(|id| w.conversations.contains_key(id)) else {
                tally.failed(index, vec![issue("id", None, format!("no conversation {}", item.id))]);
                continue;
            };
            if !seen.insert(id) {
                tally.duplicate(index, id, json!({ "id": id }));
                continue;
            }
            let contact = w.conversations.get(&id).and_then(|c| c.contact_id).and_then(id_from_number);
            if let Some(phone) = item.contact.as_ref().and_then(|c| bad_phone(&c.phones)) {
                let message = format!("{phone:?} is not an E.164 number");
                tally.failed(index, vec![issue("contact.phones", None, message)]);
                continue;
            }
            if let Some(data) = &item.contact {
                if data.id.is_some() && data.id.and_then(id_from_number) != contact {
                    let message =
                        format!("contact {} is not the contact of conversation {id}", data.id.unwrap_or_default());
                    tally.failed(index, vec![issue("contact.id", None, message)]);
                    continue;
                }
                if let Some(contact) = contact.filter(|c| w.contacts.contains_key(c)) {
                    upsert_contact(w, Some(contact), &ContactData::from(data));
                }
            }
            let now = w.tick();
            if let Some(c) = w.conversations.get_mut(&id) {
                if item.created_at.is_some() {
                    c.created_at = item.created_at;
                }
                c.user_id = item.user_id.or(c.user_id);
                c.funnel_status_id = item.funnel_status_id.or(c.funnel_status_id);
                if item.archived_at.is_some() {
                    c.archived_at = item.archived_at;
                }
                merge_custom_fields(&mut c.custom_fields, &item.custom_fields);
                c.updated_at = Some(now);
            }
            tally.succeeded(index, id, Vec::new());
        }
        let total = request.conversations.len();
        let batch_errors = if total == 0 { empty_batch() } else { Vec::new() };
        tally.finish(w, total, batch_errors)
    });
    json(result)
}
