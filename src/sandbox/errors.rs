//! Error answers in the spec's own shape: the schema the operation documents
//! for the status (exact, `4XX`/`5XX`, then `default`), else the error schema
//! the spec uses most. Its status field (`status`, `statusCode`, `code`)
//! gets the status, its message field (`message`, else `error`) the message,
//! `error` beside a message the status's reason; other required fields keep
//! a value generated from the schema, optional ones are left out. A status
//! documented without a body gets none.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::fallback::generate;
use super::validate::{SpecValidator, deref};
use crate::spec::model::{self, Spec, is_json};

const STATUS_FIELDS: [&str; 4] = ["status", "statusCode", "code", "httpStatus"];
const MESSAGE_FIELDS: [&str; 4] = ["message", "error_description", "detail", "errorMessage"];

/// An error answer to `operation_id` (`None`: a request no operation takes yet).
pub(crate) fn render(
    validator: &SpecValidator,
    operation_id: Option<&str>,
    status: StatusCode,
    message: &str,
) -> Response {
    let documented = operation_id.and_then(|id| validator.documented_response(id, status.as_u16()));
    let schema = match documented {
        // A status documented without a JSON body gets none.
        Some(response) => json_schema(response).ok_or_else(|| status.into_response()),
        None => most_used(validator.model()).ok_or_else(|| plain(status, message)),
    };
    match schema {
        Ok(schema) => (status, axum::Json(fill(validator, schema, status, message))).into_response(),
        Err(answer) => answer,
    }
}

/// An error answer of no spec's shape.
pub(crate) fn plain(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "status": status.as_u16(), "message": message }))).into_response()
}

/// The JSON schema of a response, as written (`None`: it has no JSON body).
fn json_schema(response: &model::Response) -> Option<&Value> {
    let media = response.content.iter().find(|media| is_json(&media.name))?;
    Some(&media.written_schema).filter(|schema| !schema.is_null())
}

/// The JSON schema most error responses of the spec document.
fn most_used(model: &Spec) -> Option<&Value> {
    let mut counts: Vec<(&Value, usize)> = Vec::new();
    let responses = model.operations.iter().flat_map(|op| &op.responses);
    let errors = responses.filter(|response| !response.status.starts_with(['2', '3']));
    for schema in errors.filter_map(json_schema) {
        match counts.iter_mut().find(|(s, _)| *s == schema) {
            Some((_, n)) => *n += 1,
            None => counts.push((schema, 1)),
        }
    }
    // The first of the most used, in spec order (of equals, `max_by_key` takes the last).
    counts.into_iter().rev().max_by_key(|(_, n)| *n).map(|(s, _)| s)
}

/// A body of `schema` saying `status` and `message`.
fn fill(validator: &SpecValidator, schema: &Value, status: StatusCode, message: &str) -> Value {
    let root = &validator.model().doc;
    let resolved = deref(root, schema).unwrap_or(schema);
    let properties = resolved.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
    let required: Vec<&str> =
        resolved.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let generated = generate(validator, schema, 0, true);
    let has = |name: &str| properties.contains_key(name);
    let message_field = MESSAGE_FIELDS.into_iter().find(|f| has(f)).or_else(|| has("error").then_some("error"));
    let mut body = Map::new();
    for name in properties.keys() {
        let kind = deref(root, &properties[name]).ok().and_then(|p| p.get("type")).and_then(Value::as_str);
        let value = if STATUS_FIELDS.contains(&name.as_str()) && matches!(kind, Some("integer" | "number")) {
            Value::from(status.as_u16())
        } else if message_field == Some(name.as_str()) {
            Value::from(message)
        } else if name == "error" && kind == Some("string") {
            Value::from(status.canonical_reason().unwrap_or("Error"))
        } else if required.contains(&name.as_str()) {
            generated.get(name).cloned().unwrap_or(Value::Null)
        } else {
            continue;
        };
        body.insert(name.clone(), value);
    }
    let body = Value::Object(body);
    if validator.conforms(schema, &body) { body } else { generated }
}
