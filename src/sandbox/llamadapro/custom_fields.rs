//! Custom field definitions and the options of `LIST` fields. A definition
//! whose key has stored values (on contacts or conversations, by entity
//! type) is only deleted with `force=true`, which deletes the values too.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;

use super::listing::{Fields, ListParams, defining, page, pairs, size, start, tokens};
use super::{Answer, ApiError, LlamadaProState, TENANT, World, json, number, parse, path_id, updated};
use crate::llamadapro::types::{
    CreateCustomFieldDefinitionRequest, CreateCustomFieldListOptionRequest, CustomFieldDefinition,
    CustomFieldDefinitionPage, CustomFieldEntityType, CustomFieldListOption, CustomFieldListOptionPage,
    CustomFieldType, UpdateCustomFieldDefinitionRequest, UpdateCustomFieldListOptionRequest,
};

const DEFINITIONS: u64 = 4;
const OPTIONS: u64 = 5;

const DEFINITION_FIELDS: Fields = Fields {
    filter: &[
        ("id", &["id"]),
        ("entityType", &["entityType"]),
        ("fieldKey", &["fieldKey"]),
        ("fieldType", &["fieldType"]),
        ("fieldLabel", &["fieldLabel"]),
    ],
    sort: &["id", "fieldKey", "fieldLabel", "entityType", "createdAt", "updatedAt"],
    search: &["fieldKey", "fieldLabel", "description"],
};

const OPTION_FIELDS: Fields = Fields {
    filter: &[("id", &["id"]), ("value", &["value"]), ("label", &["label"])],
    sort: &["id", "value", "label", "createdAt", "updatedAt"],
    search: &["value", "label", "description"],
};

/// A list of `T` filtered, sorted and paged by the query.
fn list_of<T: serde::Serialize>(
    state: &LlamadaProState,
    query: &[(String, String)],
    fields: &Fields,
    list: u64,
    records: Vec<T>,
) -> Result<(Vec<T>, Option<String>, usize), ApiError> {
    let params = ListParams::parse(query, fields)?;
    // Another tenant's fields are not visible with this key.
    let foreign = query.iter().any(|(k, v)| k == "tenantId" && v != TENANT);
    let mut records: Vec<(serde_json::Value, T)> = records
        .into_iter()
        .filter(|_| !foreign)
        .map(|r| (serde_json::to_value(&r).unwrap_or_default(), r))
        .filter(|(v, _)| params.matches(v, fields))
        .collect();
    params.sort(&mut records);
    let defining = defining(query);
    let tokens = tokens(state.seed, list, &defining);
    let size = size(query.iter().find(|(k, _)| k == "pageSize").map(|(_, v)| v.as_str()));
    let offset = start(query, size, &tokens)?;
    let total = records.len();
    let (items, next) = page(records.into_iter().map(|(_, r)| r).collect(), offset, size, &tokens);
    Ok((items, next, total))
}

pub(super) async fn list_definitions(State(state): State<Arc<LlamadaProState>>, RawQuery(query): RawQuery) -> Answer {
    let query = pairs(query.as_deref());
    let all = state.world(|w| w.definitions.values().cloned().collect());
    let (items, next_page_token, total) = list_of(&state, &query, &DEFINITION_FIELDS, DEFINITIONS, all)?;
    json(CustomFieldDefinitionPage { items, next_page_token, total_count: Some(total as f64) })
}

fn key_taken(w: &World, entity: &CustomFieldEntityType, key: &str, except: Option<u64>) -> bool {
    w.definitions.iter().any(|(id, d)| {
        Some(*id) != except && d.entity_type.as_ref() == Some(entity) && d.field_key.as_deref() == Some(key)
    })
}

pub(super) async fn create_definition(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let new: CreateCustomFieldDefinitionRequest = parse(&body)?;
    if new.field_key.trim().is_empty() {
        return Err(ApiError::bad_request("fieldKey must not be empty"));
    }
    let definition = state.world(|w| {
        if key_taken(w, &new.entity_type, &new.field_key, None) {
            return Err(ApiError::bad_request(format!(
                "a {} field with key {:?} already exists",
                new.entity_type, new.field_key
            )));
        }
        let now = w.tick();
        let id = w.id();
        let definition = CustomFieldDefinition {
            id: Some(number(id)),
            tenant_id: Some(TENANT.into()),
            entity_type: Some(new.entity_type),
            field_key: Some(new.field_key),
            field_label: new.field_label,
            field_type: Some(new.field_type),
            description: new.description,
            created_at: Some(now),
            updated_at: Some(now),
        };
        w.definitions.insert(id, definition.clone());
        Ok(definition)
    })?;
    json(definition)
}

fn no_definition(id: &str, status: StatusCode) -> ApiError {
    ApiError::new(status, format!("no custom field definition {id}"))
}

pub(super) async fn get_definition(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let definition = path_id(&id).and_then(|key| state.world(|w| w.definitions.get(&key).cloned()));
    json(definition.ok_or_else(|| no_definition(&id, StatusCode::NOT_FOUND))?)
}

pub(super) async fn update_definition(
    State(state): State<Arc<LlamadaProState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let changes: UpdateCustomFieldDefinitionRequest = parse(&body)?;
    let key = path_id(&id).ok_or_else(|| no_definition(&id, StatusCode::NOT_FOUND))?;
    let definition = state.world(|w| {
        let mut d = w.definitions.get(&key).cloned().ok_or_else(|| no_definition(&id, StatusCode::NOT_FOUND))?;
        let entity = changes.entity_type.clone().or_else(|| d.entity_type.clone());
        let field_key = changes.field_key.clone().or_else(|| d.field_key.clone());
        if let (Some(entity), Some(field_key)) = (&entity, &field_key)
            && key_taken(w, entity, field_key, Some(key))
        {
            return Err(ApiError::bad_request(format!("a {entity} field with key {field_key:?} already exists")));
        }
        d = updated(&d, &body, &["entityType", "fieldKey", "fieldLabel", "fieldType", "description"])?;
        d.updated_at = Some(w.tick());
        w.definitions.insert(key, d.clone());
        Ok(d)
    })?;
    json(definition)
}

/// How many records hold a value of the definition.
fn values_of(w: &World, d: &CustomFieldDefinition) -> usize {
    let Some(key) = d.field_key.as_deref() else { return 0 };
    match d.entity_type {
        Some(CustomFieldEntityType::Contact) => {
            w.contacts.values().filter(|c| c.contact.custom_fields.contains_key(key)).count()
        }
        Some(CustomFieldEntityType::FunnelConversation) => {
            w.conversations.values().filter(|c| c.custom_fields.contains_key(key)).count()
        }
        _ => 0,
    }
}

fn remove_values(w: &mut World, d: &CustomFieldDefinition) {
    let Some(key) = d.field_key.as_deref() else { return };
    match d.entity_type {
        Some(CustomFieldEntityType::Contact) => {
            for c in w.contacts.values_mut() {
                if c.contact.custom_fields.remove(key).is_some() {
                    c.sequence += 1;
                }
            }
        }
        Some(CustomFieldEntityType::FunnelConversation) => {
            for c in w.conversations.values_mut() {
                c.custom_fields.remove(key);
            }
        }
        _ => {}
    }
}

pub(super) async fn delete_definition(
    State(state): State<Arc<LlamadaProState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let force = pairs(query.as_deref()).iter().any(|(k, v)| k == "force" && v == "true");
    let key = path_id(&id).ok_or_else(|| no_definition(&id, StatusCode::NOT_FOUND))?;
    let definition = state.world(|w| {
        let d = w.definitions.get(&key).cloned().ok_or_else(|| no_definition(&id, StatusCode::NOT_FOUND))?;
        let in_use = values_of(w, &d);
        if in_use > 0 && !force {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "custom field {:?} has values on {in_use} records; delete with force=true to remove them too",
                    d.field_key.as_deref().unwrap_or_default()
                ),
            )
            .detail("values", in_use as u64)
            .detail("hint", "force=true"));
        }
        remove_values(w, &d);
        w.options.retain(|_, o| o.definition_id != Some(number(key)));
        w.definitions.remove(&key);
        Ok(d)
    })?;
    json(definition)
}

/// The definition, if it exists and takes options; `status` for a missing one.
fn list_definition(w: &World, id: &str, status: StatusCode) -> Result<u64, ApiError> {
    let key = path_id(id).ok_or_else(|| no_definition(id, status))?;
    let d = w.definitions.get(&key).ok_or_else(|| no_definition(id, status))?;
    if d.field_type != Some(CustomFieldType::List) {
        return Err(ApiError::bad_request(format!(
            "custom field definition {id} is of type {}, not LIST: it has no options",
            d.field_type.as_ref().map(|t| t.as_str()).unwrap_or("unknown")
        )));
    }
    Ok(key)
}

pub(super) async fn list_options(
    State(state): State<Arc<LlamadaProState>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let query = pairs(query.as_deref());
    // Listing documents no 404: an unknown definition is a bad request.
    let options = state.world(|w| {
        let key = list_definition(w, &id, StatusCode::BAD_REQUEST)?;
        Ok::<_, ApiError>(w.options.values().filter(|o| o.definition_id == Some(number(key))).cloned().collect())
    })?;
    let (items, next_page_token, total) = list_of(&state, &query, &OPTION_FIELDS, OPTIONS, options)?;
    json(CustomFieldListOptionPage { items, next_page_token, total_count: Some(total as f64) })
}

pub(super) async fn create_option(
    State(state): State<Arc<LlamadaProState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let new: CreateCustomFieldListOptionRequest = parse(&body)?;
    let option = state.world(|w| {
        let key = list_definition(w, &id, StatusCode::BAD_REQUEST)?;
        if new.definition_id != number(key) {
            return Err(ApiError::bad_request(format!(
                "definitionId {} in the body differs from {key} in the path",
                new.definition_id
            )));
        }
        if w.options.values().any(|o| o.definition_id == Some(number(key)) && o.value.as_deref() == Some(&new.value)) {
            return Err(ApiError::bad_request(format!("option {:?} already exists", new.value)));
        }
        let now = w.tick();
        let option_id = w.id();
        let option = CustomFieldListOption {
            id: Some(number(option_id)),
            tenant_id: Some(TENANT.into()),
            definition_id: Some(number(key)),
            value: Some(new.value),
            label: new.label,
            description: new.description,
            created_at: Some(now),
            updated_at: Some(now),
        };
        w.options.insert(option_id, option.clone());
        Ok(option)
    })?;
    json(option)
}

/// The option `option_id` of definition `id`, as a key into `options`.
fn option_key(w: &World, id: &str, option_id: &str) -> Result<u64, ApiError> {
    let definition = list_definition(w, id, StatusCode::NOT_FOUND)?;
    let key =
        path_id(option_id).filter(|k| w.options.get(k).is_some_and(|o| o.definition_id == Some(number(definition))));
    key.ok_or_else(|| ApiError::not_found(format!("definition {id} has no option {option_id}")))
}

pub(super) async fn get_option(
    State(state): State<Arc<LlamadaProState>>,
    Path((id, option_id)): Path<(String, String)>,
) -> Answer {
    let option = state.world(|w| {
        let key = option_key(w, &id, &option_id)?;
        w.options.get(&key).cloned().ok_or_else(|| ApiError::not_found("gone"))
    })?;
    json(option)
}

pub(super) async fn update_option(
    State(state): State<Arc<LlamadaProState>>,
    Path((id, option_id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let _: UpdateCustomFieldListOptionRequest = parse(&body)?;
    let option = state.world(|w| {
        let key = option_key(w, &id, &option_id)?;
        let now = w.tick();
        let o = w.options.get_mut(&key).ok_or_else(|| ApiError::not_found("gone"))?;
        // Display properties only: the id, definition and tenant stay.
        *o = updated(o, &body, &["value", "label", "description"])?;
        o.updated_at = Some(now);
        Ok::<_, ApiError>(o.clone())
    })?;
    json(option)
}

pub(super) async fn delete_option(
    State(state): State<Arc<LlamadaProState>>,
    Path((id, option_id)): Path<(String, String)>,
) -> Answer {
    let option = state.world(|w| {
        let key = option_key(w, &id, &option_id)?;
        w.options.remove(&key).ok_or_else(|| ApiError::not_found("gone"))
    })?;
    json(option)
}
