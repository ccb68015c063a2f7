//! Contacts: the list (`filterBy`, `searchBy`, `sortBy`, token paging), CRUD,
//! and the search index (filters, sort, `includeArchived`, total count).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Map, Value, json};

use super::data::address;
use super::listing::{
    Fields, ListParams, SEARCH_OPERATORS, defining, next_token, offset, page, pairs, search_matches, search_sort, size,
    start, tokens, window,
};
use super::{Answer, ApiError, LlamadaProState, StoredContact, TENANT, World, json, number, parse, path_id, updated};
use crate::llamadapro::types::{
    ChannelType, Contact, ContactPage, ContactSearchDocument, ContactSearchPage, ContactSearchRequest,
    CreateContactRequest, NewContactAddress, UpdateContactRequest,
};

const LIST: u64 = 2;
const SEARCH: u64 = 3;

pub(super) const FIELDS: Fields = Fields {
    filter: &[
        ("id", &["id"]),
        ("firstName", &["firstName"]),
        ("lastName", &["lastName"]),
        ("email", &["email", "addresses.address"]),
        ("phone", &["phone", "addresses.address"]),
        ("address", &["addresses.address"]),
        ("channelType", &["addresses.channelType"]),
        ("nationalId", &["nationalId"]),
        ("companyPosition", &["companyPosition"]),
        ("userId", &["userId"]),
        ("contactCompanyId", &["contactCompanyId"]),
        ("providerId", &["providerId"]),
        ("providerName", &["providerName"]),
    ],
    sort: &["id", "createdAt", "updatedAt", "firstName", "lastName"],
    search: &["firstName", "lastName", "email", "phone", "addresses.address", "nationalId", "companyPosition"],
};

/// Fields of the search document a search filter may name (also dotted
/// paths under `addresses.` and `customFields.`).
const SEARCH_FILTER: &[&str] = &[
    "id",
    "tenantId",
    "createdAt",
    "updatedAt",
    "metadata",
    "providerId",
    "providerName",
    "nationalId",
    "firstName",
    "lastName",
    "email",
    "phone",
    "companyPosition",
    "modelType",
    "archivedAt",
    "eventSequence",
    "eventTimestamp",
    "userId",
    "contactCompanyId",
    "addresses.id",
    "addresses.address",
    "addresses.channelType",
    "addresses.contactId",
    "addresses.createdAt",
    "addresses.updatedAt",
];

/// Whether a search filter may name `field`: a field of the search document
/// (not, e.g., the Redoc sample's placeholder `string`).
fn searchable(field: &str) -> bool {
    SEARCH_FILTER.contains(&field)
        || field.strip_prefix("customFields.").is_some_and(|key| !key.is_empty())
        || field.strip_prefix("metadata.").is_some_and(|key| !key.is_empty())
}


pub(super) async fn list(State(state): State<Arc<LlamadaProState>>, RawQuery(query): RawQuery) -> Answer {
    let query = pairs(query.as_deref());
    let params = ListParams::parse(&query, &FIELDS)?;
    let defining = defining(&query);
    let tokens = tokens(state.seed, LIST, &defining);
    let size = size(query.iter().find(|(k, _)| k == "pageSize").map(|(_, v)| v.as_str()));
    let window = window(start(&query, size, &tokens)?, size);
    let (items, total) = state.world(|w| {
        let order = w.contacts.listed(&params);
        let contact = |id: &u64| w.contacts.get(id).map(|c| c.contact.clone());
        if params.selects_all() {
            let page = order.get(window.start.min(order.len())..window.end.min(order.len())).unwrap_or_default();
            (page.iter().filter_map(contact).collect(), order.len())
        } else {
            // Only a filter needs a contact as JSON; only the page's are copied.
            let matches = |id: &&u64| {
                w.contacts
                    .get(*id)
                    .is_some_and(|c| params.matches(&serde_json::to_value(&c.contact).unwrap_or_default(), &FIELDS))
            };
            let (ids, total) = crate::sandbox::paged(order.iter(), &window, matches);
            (ids.into_iter().filter_map(contact).collect(), total)
        }
    });
    let next_page_token = next_token(&window, total, &tokens);
    json(ContactPage { items, next_page_token, total_count: Some(total as f64) })
}

/// New address records for `contact`, skipping ones it already has.
fn add_addresses(
    w: &mut World,
    contact: u64,
    existing: &mut Vec<crate::llamadapro::types::ContactAddress>,
    new: &[NewContactAddress],
) {
    for a in new {
        let Some(value) = a.address.as_deref().filter(|v| !v.is_empty()) else { continue };
        if existing.iter().any(|e| e.address.as_deref() == Some(value) && e.channel_type == a.channel_type) {
            continue;
        }
        let channel =
            a.channel_type.clone().unwrap_or(if value.contains('@') { ChannelType::Email } else { ChannelType::Phone });
        existing.push(address(w, contact, channel, value));
    }
}

pub(super) async fn create(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let new: CreateContactRequest = parse(&body)?;
    let contact = state.world(|w| {
        let now = w.tick();
        let id = w.id();
        let mut addresses = Vec::new();
        add_addresses(w, id, &mut addresses, &new.addresses);
        let contact = Contact {
            id: Some(number(id)),
            tenant_id: Some(TENANT.into()),
            provider_id: new.provider_id,
            provider_name: new.provider_name,
            national_id: new.national_id,
            first_name: new.first_name,
            last_name: new.last_name,
            email: new.email,
            phone: new.phone,
            user_id: new.user_id,
            contact_company_id: new.contact_company_id,
            company_position: new.company_position,
            metadata: new.metadata,
            created_at: Some(new.created_at.unwrap_or(now)),
            updated_at: Some(now),
            custom_fields: new.custom_fields,
            addresses,
        };
        w.contacts.insert(id, StoredContact { contact: contact.clone(), archived_at: None, sequence: 1 });
        contact
    });
    json(contact)
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no contact {id}"))
}

pub(super) async fn get(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let contact = path_id(&id).and_then(|key| state.world(|w| w.contacts.get(&key).map(|c| c.contact.clone())));
    json(contact.ok_or_else(|| not_found(&id))?)
}

/// Sets the custom fields given; a `null` value removes a field.
pub(super) fn merge_custom_fields(target: &mut Map<String, Value>, changes: &Map<String, Value>) {
    for (key, value) in changes {
        if value.is_null() {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}

/// The fields an update sets as sent (custom fields merge, addresses add up).
const CHANGEABLE: [&str; 11] = [
    "providerId", "providerName", "nationalId", "firstName", "lastName", "email", "phone", "userId",
    "contactCompanyId", "companyPosition", "metadata",
];

pub(super) async fn update(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>, body: Bytes) -> Answer {
    let changes: UpdateContactRequest = parse(&body)?;
    let key = path_id(&id).ok_or_else(|| not_found(&id))?;
    let contact = state.world(|w| {
        let now = w.tick();
        let Some(mut stored) = w.contacts.get(&key).cloned() else { return Ok(None) };
        stored.contact = updated(&stored.contact, &body, &CHANGEABLE)?;
        let c = &mut stored.contact;
        merge_custom_fields(&mut c.custom_fields, &changes.custom_fields);
        // Addresses are added to the contact's list (whether the API replaces it is not documented).
        let mut addresses = std::mem::take(&mut c.addresses);
        add_addresses(w, key, &mut addresses, &changes.addresses);
        stored.contact.addresses = addresses;
        stored.contact.updated_at = Some(now);
        stored.sequence += 1;
        let contact = stored.contact.clone();
        w.contacts.insert(key, stored);
        Ok(Some(contact))
    })?;
    json(contact.ok_or_else(|| not_found(&id))?)
}

pub(super) async fn delete(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let contact = path_id(&id).and_then(|key| state.world(|w| w.contacts.remove(&key).map(|c| c.contact)));
    json(contact.ok_or_else(|| not_found(&id))?)
}

/// A contact as the search index holds it: ids as strings, plus archive and event data.
fn document(stored: &StoredContact) -> ContactSearchDocument {
    let c = &stored.contact;
    let id_text = |n: Option<f64>| n.and_then(crate::llamadapro::ids::id_from_number).map(|n| n.to_string());
    ContactSearchDocument {
        tenant_id: c.tenant_id.clone(),
        created_at: c.created_at,
        updated_at: c.updated_at,
        custom_fields: c.custom_fields.clone(),
        metadata: c.metadata.clone(),
        addresses: c.addresses.clone(),
        provider_id: c.provider_id.clone(),
        provider_name: c.provider_name.clone(),
        national_id: c.national_id.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        company_position: c.company_position.clone(),
        id: id_text(c.id),
        model_type: Some("Contact".into()),
        archived_at: stored.archived_at,
        event_sequence: Some(stored.sequence as f64),
        event_timestamp: c.updated_at,
        user_id: id_text(c.user_id),
        contact_company_id: id_text(c.contact_company_id),
    }
}

pub(super) async fn search(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let request: ContactSearchRequest = parse(&body)?;
    for f in &request.filters {
        let Some(field) = f.field.as_deref().filter(|f| !f.is_empty()) else {
            return Err(ApiError::bad_request("a search filter needs a field").detail("parameter", "filters"));
        };
        if !searchable(field) {
            return Err(ApiError::bad_request(format!("cannot search by {field:?}"))
                .detail("parameter", "filters")
                .detail("allowed", SEARCH_FILTER.to_vec()));
        }
        let operator = f.operator.as_deref().unwrap_or("eq");
        if !SEARCH_OPERATORS.contains(&operator) {
            return Err(ApiError::bad_request(format!("unknown search operator {operator:?}"))
                .detail("parameter", "filters")
                .detail("allowed", SEARCH_OPERATORS.to_vec()));
        }
    }
    // Sort fields are the spec's enum, checked before a handler runs.
    let archived = request.include_archived == Some(true);
    let needle = request.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
    let mut records: Vec<(Value, ContactSearchDocument)> = state.world(|w| {
        w.contacts
            .values()
            .filter(|c| archived || c.archived_at.is_none())
            .map(|c| {
                let doc = document(c);
                (serde_json::to_value(&doc).unwrap_or_default(), doc)
            })
            .filter(|(v, _)| search_matches(v, &request.filters))
            .filter(|(v, _)| {
                needle.as_ref().is_none_or(|n| {
                    FIELDS.search.iter().any(|path| {
                        super::listing::lookup(v, path)
                            .iter()
                            .any(|x| super::listing::text(x).is_some_and(|t| t.to_lowercase().contains(n)))
                    })
                })
            })
            .collect()
    });
    search_sort(&mut records, &request.sort);
    // The query, without paging, is what a token is bound to.
    let defining = json!({
        "search": request.search, "filters": request.filters, "sort": request.sort, "includeArchived": archived,
    });
    let defining = [("body".to_owned(), defining.to_string())];
    let tokens = tokens(state.seed, SEARCH, &defining);
    let offset = match request.page_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => offset(&tokens, token)?,
        None => 0,
    };
    let size = request.size.map_or(super::listing::DEFAULT_PAGE_SIZE, |n| n.get() as usize);
    let total = records.len();
    let (items, next_page_token) = page(records.into_iter().map(|(_, d)| d).collect(), offset, size, &tokens);
    let total_count = (request.include_total_count == Some(true)).then_some(total as f64);
    json(ContactSearchPage { items, next_page_token, total_count })
}
