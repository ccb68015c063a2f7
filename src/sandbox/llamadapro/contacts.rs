//! Contacts live in the store; here is what the spec cannot say: the
//! fields the server sets, custom fields that merge on update, and the
//! search index with its filter language (the store pages it: `x-body`).

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::{CONTACTS, LlamadaProState, TENANT, World, bad_request, data::address, parse};
use crate::llamadapro::ids::id_from_number;
use crate::llamadapro::types::{
    ContactSearchRequest, SearcherDocumentSearchFilter, SearcherDocumentSearchSort, SortDirection,
};
use crate::sandbox::store::{Records, Refusal, compare, lookup, overlay, text};

/// Where the search's free text is looked for (as `searchBy` of the list, the spec's `x-filter`).
const SEARCHED: [&str; 7] =
    ["firstName", "lastName", "email", "phone", "addresses.address", "nationalId", "companyPosition"];

/// Fields of the search document a filter may name (and paths under `customFields.` and `metadata.`).
const SEARCH_FILTER: &str = "id tenantId createdAt updatedAt metadata providerId providerName nationalId firstName \
    lastName email phone companyPosition modelType archivedAt eventSequence eventTimestamp userId contactCompanyId \
    addresses.id addresses.address addresses.channelType addresses.contactId addresses.createdAt addresses.updatedAt";

/// Adds address records for the `new` addresses (`{address, channelType}`) not in `existing`.
pub(super) fn add_addresses(w: &mut World, contact: u64, existing: &mut Vec<Value>, new: &[Value]) {
    for a in new {
        let Some(value) = a.get("address").and_then(Value::as_str).filter(|v| !v.is_empty()) else { continue };
        let channel = a.get("channelType");
        let same =
            |e: &Value| e.get("address").and_then(Value::as_str) == Some(value) && e.get("channelType") == channel;
        if existing.iter().any(same) {
            continue;
        }
        let guessed = if value.contains('@') { "EMAIL" } else { "PHONE" };
        let channel = channel.and_then(Value::as_str).unwrap_or(guessed).to_owned();
        existing.push(address(w, contact, &channel, value));
    }
}

/// Sets the custom fields given on `target`; a `null` value removes one.
pub(super) fn merge_custom_fields(target: &mut Value, changes: Option<&Value>) {
    let mut fields = target.get("customFields").cloned().unwrap_or_else(|| json!({}));
    if let Some(changes) = changes.filter(|c| c.is_object()) {
        overlay(&mut fields, changes.clone());
    }
    overlay(target, json!({ "customFields": fields }));
}

impl LlamadaProState {
    /// A contact about to be stored (`before`: the one it updates).
    pub(super) fn write_contact(&self, record: &mut Value, before: Option<&Value>) {
        let sent = record.get_mut("addresses").map(Value::take);
        let sent = sent.and_then(|a| a.as_array().cloned()).unwrap_or_default();
        self.world(|w| {
            let now = w.now();
            let (id, mut addresses) = match before {
                None => {
                    let id = w.id();
                    let created = record.get("createdAt").cloned().unwrap_or_else(|| now.clone());
                    let server = json!({"id": id as f64, "tenantId": TENANT, "createdAt": created, "eventSequence": 1});
                    overlay(record, server);
                    (id, Vec::new())
                }
                Some(before) => {
                    let changes = record.get("customFields").cloned();
                    super::keep(record, before, &["id", "tenantId", "createdAt", "archivedAt", "customFields"]);
                    let sequence = before.get("eventSequence").and_then(Value::as_u64).unwrap_or_default();
                    overlay(record, json!({"eventSequence": sequence + 1}));
                    merge_custom_fields(record, changes.as_ref());
                    let existing = before.get("addresses").and_then(Value::as_array).cloned().unwrap_or_default();
                    (super::id_of(before).unwrap_or_default(), existing)
                }
            };
            // Addresses are added to the contact's list (whether the API replaces it is not documented).
            add_addresses(w, id, &mut addresses, &sent);
            overlay(record, json!({"addresses": addresses, "updatedAt": now}));
        });
    }

    /// The search index: filters, full text, sort, archived contacts when asked.
    pub(super) fn contact_search(&self, body: &Value, records: &mut Records<'_>) -> Result<Vec<Value>, Refusal> {
        let request: ContactSearchRequest = parse(body)?;
        for f in &request.filters {
            let Some(field) = f.field.as_deref().filter(|f| !f.is_empty()) else {
                return Err(bad_request("a search filter needs a field"));
            };
            // Not, e.g., the Redoc sample's placeholder `string`.
            let under = |prefix| field.strip_prefix(prefix).is_some_and(|key: &str| !key.is_empty());
            if !SEARCH_FILTER.split_whitespace().any(|f| f == field) && !under("customFields.") && !under("metadata.") {
                return Err(bad_request(format!("cannot search by {field:?}")));
            }
            let operator = f.operator.as_deref().unwrap_or("eq");
            if !SEARCH_OPERATORS.contains(&operator) {
                return Err(bad_request(format!("unknown search operator {operator:?}")));
            }
        }
        // Sort fields are the spec's enum, checked before a hook runs.
        let archived = request.include_archived == Some(true);
        let needle = request.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
        let found = |v: &Value| {
            needle.as_ref().is_none_or(|n| {
                let texts = SEARCHED.iter().flat_map(|path| lookup(v, path)).filter_map(text);
                texts.map(|t| t.to_lowercase()).any(|t| t.contains(n))
            })
        };
        let contacts = records.of(CONTACTS).iter().filter(|c| archived || c.get("archivedAt").is_none());
        let mut documents: Vec<Value> =
            contacts.map(document).filter(|d| search_matches(d, &request.filters) && found(d)).collect();
        documents.sort_by(|a, b| {
            let order = |key: &SearcherDocumentSearchSort| {
                let field = key.field.as_ref().map(ToString::to_string).unwrap_or_default();
                let order = compare(lookup(a, &field).first().copied(), lookup(b, &field).first().copied());
                if key.direction == Some(SortDirection::Desc) { order.reverse() } else { order }
            };
            request.sort.iter().map(order).fold(Ordering::Equal, Ordering::then)
        });
        Ok(documents)
    }
}

/// A contact as the search index holds it: ids as strings, plus archive and event data.
fn document(contact: &Value) -> Value {
    let id = |name: &str| contact.get(name).and_then(Value::as_f64).and_then(id_from_number).map(|n| n.to_string());
    let mut document = contact.clone();
    let indexed = json!({"id": id("id"), "userId": id("userId"), "contactCompanyId": id("contactCompanyId"),
                         "modelType": "Contact", "eventTimestamp": contact.get("updatedAt")});
    overlay(&mut document, indexed);
    document
}

/// Evaluates search conditions left to right, each joined by AND, or by OR with `or`.
fn search_matches(record: &Value, filters: &[SearcherDocumentSearchFilter]) -> bool {
    let mut result = true;
    for (i, filter) in filters.iter().enumerate() {
        let field = filter.field.as_deref().unwrap_or_default();
        let wanted = filter.value.as_deref().unwrap_or_default().to_lowercase();
        let values: Vec<String> =
            lookup(record, field).iter().filter_map(|v| text(v)).map(|t| t.to_lowercase()).collect();
        let hit = match filter.operator.as_deref().unwrap_or("eq") {
            "contains" => values.iter().any(|v| v.contains(&wanted)),
            "neq" | "ne" => values.iter().all(|v| *v != wanted),
            _ => values.contains(&wanted),
        };
        result = match (i, filter.or) {
            (0, _) => hit,
            (_, Some(true)) => result || hit,
            _ => result && hit,
        };
    }
    result
}

/// Operators [`search_matches`] knows.
const SEARCH_OPERATORS: [&str; 4] = ["eq", "contains", "neq", "ne"];
