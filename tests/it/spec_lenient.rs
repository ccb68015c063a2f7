//! `x-lenient` (`spec::lenient`): what a vendor accepts beyond the letter of
//! its spec, declared where it applies. The validator accepts such requests
//! and hands on the strict form (`ValidatedRequest`'s query and
//! `rewritten_body`), so emulators never see the loose one.

use convo_clients::spec::validate::{RequestParts, SpecValidator, ValidatedRequest, Violation};
use serde_json::{Value, json};

fn get(v: &SpecValidator, path: &str, query: &str) -> Result<ValidatedRequest, Violation> {
    v.validate_request(&RequestParts { method: "GET", path, query: Some(query), headers: &[], body: b"" })
}

fn post(v: &SpecValidator, path: &str, body: &str) -> Result<ValidatedRequest, Violation> {
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    v.validate_request(&RequestParts { method: "POST", path, query: None, headers: &headers, body: body.as_bytes() })
}

/// A spec whose `GET /list` takes `filters`, any JSON, also single-quoted.
fn single_quotes() -> SpecValidator {
    let spec = json!({"paths": {"/list": {"get": {
        "operationId": "list",
        "parameters": [{"name": "filters", "in": "query", "x-lenient": ["single-quotes"],
                        "content": {"application/json": {"schema": {}}}}],
        "responses": {"200": {"description": "ok"}},
    }}}});
    SpecValidator::new(&spec).unwrap()
}

/// The JSON `filters` handed on for `text` as sent, or `None` when it is
/// refused for not being JSON, single-quoted or not.
fn read_as_json(text: &str) -> Option<String> {
    let query = serde_urlencoded::to_string([("filters", text)]).unwrap();
    match get(&single_quotes(), "/list", &query) {
        Ok(request) => {
            assert_eq!(request.query.len(), 1, "{request:?}");
            Some(request.query[0].1.clone())
        }
        Err(violation) if violation.to_string().starts_with("query parameter filters: not valid JSON") => None,
        Err(other) => panic!("{text}: {other}"),
    }
}

#[test]
fn single_quotes_read_as_json() {
    let seed = "{'filtersList': [{'field': 'startTime', 'operator': 'GREATER_THAN_OR_EQUAL', 'values': ['2024-07-01 00:00:00.000']}]}";
    let json: Value = serde_json::from_str(&read_as_json(seed).unwrap()).unwrap();
    assert_eq!(json["filtersList"][0]["values"][0], "2024-07-01 00:00:00.000");
    assert_eq!(read_as_json(r#"{'a': 'it\'s "x"'}"#).unwrap(), r#"{"a":"it's \"x\""}"#);
    assert_eq!(read_as_json(r#"{"a": 'b'}"#).unwrap(), r#"{"a":"b"}"#);
    for bad in ["{'a': 'b}", "{'a' 'b'}", "'", "{'a': 'b\\"] {
        assert_eq!(read_as_json(bad), None, "{bad}");
    }
}

#[test]
fn rules_are_checked_at_their_place() {
    let names = json!(["bracketed-key", "case-insensitive"]);
    let spec = json!({"paths": {"/x": {"get": {"operationId": "x", "parameters": [
        {"name": "ids", "in": "query", "x-lenient": names,
         "schema": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}}},
        {"name": "json", "in": "query", "content": {"application/json": {"schema": {}}}},
    ], "responses": {"200": {"description": "ok"}}}}}});
    let v = SpecValidator::new(&spec).unwrap();
    // Both rules named apply: bracketed keys and any case.
    let found = get(&v, "/x", "ids%5B%5D=A&ids%5B%5D=b").unwrap();
    assert_eq!(found.query, [("ids".to_owned(), "a".to_owned()), ("ids".to_owned(), "b".to_owned())]);
    // A rule not named does not: single quotes are not JSON here.
    let refused = get(&v, "/x", "json=%7B'a'%3A1%7D").unwrap_err().to_string();
    assert!(refused.starts_with("query parameter json: not valid JSON"), "{refused}");

    let on_a_body = json!({"paths": {"/x": {"post": {"operationId": "x",
        "requestBody": {"x-lenient": names, "content": {"application/json": {"schema": {}}}},
        "responses": {"200": {"description": "ok"}}}}}});
    assert!(SpecValidator::new(&on_a_body).unwrap_err().contains("does not apply here"));
    let unknown = json!({"paths": {"/x": {"get": {"operationId": "x", "parameters": [
        {"name": "ids", "in": "query", "x-lenient": ["bracket-key"],
         "schema": {"type": "array", "items": {"type": "string"}}},
    ], "responses": {"200": {"description": "ok"}}}}}});
    assert!(SpecValidator::new(&unknown).unwrap_err().contains("unknown"));
}

#[test]
fn string_scalars_follow_the_schema() {
    let schema = json!({"type": "object", "allOf": [{"$ref": "#/components/schemas/Page"}], "properties": {
        "includeTotalCount": {"type": "boolean"}, "name": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "boolean"}}}});
    let spec = json!({
        "components": {"schemas": {"Page": {"type": "object", "properties": {
            "size": {"type": "integer"}, "ratio": {"type": "number"}}}}},
        "paths": {"/x": {"post": {"operationId": "x",
            "requestBody": {"x-lenient": ["string-scalars"], "content": {"application/json": {"schema": schema}}},
            "responses": {"200": {"description": "ok"}}}}},
    });
    let v = SpecValidator::new(&spec).unwrap();
    let body =
        json!({"includeTotalCount": "true", "name": "10", "size": "25", "ratio": "0.5", "tags": ["false", "true"]});
    let strict = post(&v, "/x", &body.to_string()).unwrap().rewritten_body.expect("rewritten");
    assert_eq!(
        serde_json::from_slice::<Value>(&strict).unwrap(),
        json!({"includeTotalCount": true, "name": "10", "size": 25, "ratio": 0.5, "tags": [false, true]})
    );
    // A text that reads as no boolean stays a text (and the schema refuses it).
    let body = json!({"includeTotalCount": "true", "tags": ["false", "maybe"]});
    let refused = post(&v, "/x", &body.to_string()).unwrap_err().to_string();
    assert_eq!(refused, r#"request body.tags[1]: "maybe" is not a boolean"#);
    assert_eq!(post(&v, "/x", r#"{"includeTotalCount": true}"#).unwrap().rewritten_body, None);
}

#[test]
fn empty_bodies() {
    let spec = json!({"paths": {"/close": {"post": {"operationId": "close", "x-lenient": ["empty-body"],
        "responses": {"200": {"description": "ok"}}}}}});
    let v = SpecValidator::new(&spec).unwrap();
    for empty in ["", " \n", "{}", " { } "] {
        let request = post(&v, "/close", empty).unwrap_or_else(|e| panic!("{empty:?}: {e}"));
        assert!(request.rewritten_body.is_none_or(|body| body.is_empty()), "{empty:?}");
    }
    for full in ["{\"a\":1}", "[]", "null", "x"] {
        let refused = post(&v, "/close", full).unwrap_err().to_string();
        assert_eq!(refused, "request body: this operation takes no body", "{full:?}");
    }
}
