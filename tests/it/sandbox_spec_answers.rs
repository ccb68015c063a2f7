//! The answer a sandbox builds from the spec alone, for an operation no
//! emulator has behaviour for: the lowest documented 2xx, its JSON body the
//! first example that fits or a value generated from the schema
//! (deterministic, valid, bounded whatever the schema), a minimal body for
//! other media types, the required headers. Served by a `SpecSandbox` over
//! loopback, which checks every answer against the spec.

use convo_clients::sandbox::validate::SpecValidator;
use convo_clients::sandbox::{FALLBACK_HEADER, HarnessConfig, SpecSandbox};
use serde_json::{Map, Value, json};

/// What a sandbox answered: status, headers (names in lower case) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }
}

async fn get(sb: &SpecSandbox, path: &str) -> Answer {
    let response = crate::raw_http().get(format!("{}{path}", sb.base_url())).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "content-length"))
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = response.bytes().await.unwrap().to_vec();
    Answer { status, headers, body }
}

/// A sandbox of `spec`, checking its answers against the spec (a violation
/// is a 500 and a listed contract violation) unless told otherwise.
async fn serve(spec: &Value, check_responses: bool) -> SpecSandbox {
    SpecSandbox::from_spec(spec, 0, &HarnessConfig { check_responses, ..HarnessConfig::default() }).await.unwrap()
}

/// The spec's answer to its one operation, `GET /x` (`x`), with these
/// `responses` and component `schemas`: checked against the spec (the
/// sandbox's own check, and the validator's here) and the same every time.
async fn answer_of(responses: Value, schemas: Value) -> Answer {
    let spec = json!({
        "paths": {"/x": {"get": {"operationId": "x", "responses": responses}}},
        "components": {"schemas": schemas},
    });
    let sb = serve(&spec, true).await;
    let answer = get(&sb, "/x").await;
    assert_eq!(answer.header(FALLBACK_HEADER), Some("x"), "{answer:?}");
    let validator = SpecValidator::new(&spec).unwrap();
    validator.validate_response("x", answer.status, answer.header("content-type"), &answer.body).unwrap();
    assert_eq!(get(&sb, "/x").await, answer, "the same answer every time");
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;
    answer
}

/// The body built for a 200 whose JSON schema is `schema`.
async fn body_for(schema: Value, schemas: Value) -> Value {
    let answer =
        answer_of(json!({"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}), schemas)
            .await;
    answer.json()
}

/// Every operation of every spec, each answered as `GET /<n>` of a spec
/// with its `responses` and the components they refer to.
#[tokio::test]
async fn every_operation_of_every_spec_gets_a_valid_response() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/specs");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let spec: Value = serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let file = file.display();
        let ids: Vec<String> = SpecValidator::new(&spec).unwrap().operation_ids().map(str::to_owned).collect();
        assert!(!ids.is_empty(), "{file}");
        let mut paths = Map::new();
        for (n, id) in ids.iter().enumerate() {
            let operation = operation(&spec, id);
            let responses = resolve(&spec, &operation["responses"]).clone();
            paths.insert(format!("/{n}"), json!({"get": {"operationId": id, "responses": responses}}));
        }
        // The components the responses refer to; the security schemes ask
        // for what these operations no longer have (`x-token`'s body).
        let mut components = spec["components"].clone();
        components.as_object_mut().unwrap().remove("securitySchemes");
        let answered = json!({"paths": paths, "components": components});
        let validator = SpecValidator::new(&answered).unwrap();
        let sb = serve(&answered, true).await;
        for (n, id) in ids.iter().enumerate() {
            let answer = get(&sb, &format!("/{n}")).await;
            assert!((200..300).contains(&answer.status), "{file} {id}: {answer:?}");
            assert_eq!(answer.header(FALLBACK_HEADER), Some(id.as_str()), "{file} {id}");
            validator
                .validate_response(id, answer.status, answer.header("content-type"), &answer.body)
                .unwrap_or_else(|e| panic!("{file}: {id}: {e}"));
            // Deterministic: the same answer every time.
            assert_eq!(get(&sb, &format!("/{n}")).await, answer, "{file} {id}");
        }
        assert_eq!(sb.contract_violations(), Vec::<String>::new(), "{file}");
        sb.shutdown().await;
    }
}

/// The operation `id` of `spec`, wherever it is.
fn operation<'s>(spec: &'s Value, id: &str) -> &'s Value {
    let items = spec["paths"].as_object().unwrap().values().map(|item| resolve(spec, item));
    let mut operations = items.flat_map(|item| item.as_object().unwrap().values());
    operations.find(|op| op.get("operationId").and_then(Value::as_str) == Some(id)).unwrap()
}

/// `node`, or what its `$ref` points to.
fn resolve<'s>(spec: &'s Value, node: &'s Value) -> &'s Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(pointer) => spec.pointer(pointer.trim_start_matches('#')).unwrap(),
        None => node,
    }
}

#[tokio::test]
async fn lowest_2xx_wins_and_no_content_has_no_body() {
    let answer = answer_of(
        json!({
            "404": {"description": "no"},
            "201": {"description": "made", "content": {"application/json": {"schema": {"type": "integer"}}}},
            "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}},
        }),
        json!({}),
    )
    .await;
    assert_eq!((answer.status, answer.body.as_slice()), (200, &b"\"string\""[..]));
    let answer = answer_of(json!({"204": {"description": "gone"}, "default": {"description": "err"}}), json!({})).await;
    assert_eq!((answer.status, answer.header("content-type"), answer.body.len()), (204, None, 0));
    let answer = answer_of(json!({"2XX": {"description": "ok"}}), json!({})).await;
    assert_eq!(answer.status, 200);
    // No operation, no answer from the spec: the request is not one.
    let sb = serve(&json!({"paths": {"/x": {"get": {"operationId": "x", "responses": {}}}}}), true).await;
    let nope = get(&sb, "/nope").await;
    assert_eq!((nope.status, nope.header(FALLBACK_HEADER)), (404, None));
}

#[tokio::test]
async fn examples_come_first_when_they_fit() {
    let schema = json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}});
    let media = json!({"schema": schema, "example": {"id": 7}, "examples": {"a": {"value": {"id": 8}}}});
    let answer =
        answer_of(json!({"200": {"description": "ok", "content": {"application/json": media}}}), json!({})).await;
    assert_eq!(answer.body, br#"{"id":7}"#);
    // A wrong example is skipped for the next source.
    let media =
        json!({"schema": schema, "example": {"id": "seven"}, "examples": {"a": {"$ref": "#/components/examples/A"}}});
    let spec = json!({
        "paths": {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "ok", "content": {"application/json": media}}}}}},
        "components": {"examples": {"A": {"value": {"id": 8}}}},
    });
    let sb = serve(&spec, true).await;
    assert_eq!(get(&sb, "/x").await.body, br#"{"id":8}"#);
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    let body = body_for(json!({"type": "object", "example": {"a": 1}}), json!({})).await;
    assert_eq!(body, json!({"a": 1}));
}

#[tokio::test]
async fn generated_values_follow_the_schema() {
    let schemas = json!({
        "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "format": "uuid"}}},
        "Kind": {"type": "string", "enum": ["first", "second"]},
    });
    let schema = json!({"allOf": [{"$ref": "#/components/schemas/Base"}, {"type": "object", "properties": {
        "at": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "mail": {"type": "string", "format": "email"},
        "link": {"type": "string", "format": "uri"},
        "phone": {"type": "string", "x-format": "e164"},
        "kind": {"$ref": "#/components/schemas/Kind"},
        "code": {"type": "string", "minLength": 10, "maxLength": 12},
        "short": {"type": "string", "maxLength": 3},
        "count": {"type": "integer", "minimum": 5, "maximum": 9, "multipleOf": 4},
        "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1},
        "tags": {"type": "array", "minItems": 3, "uniqueItems": true, "items": {"type": "string"}},
        "maybe": {"type": "string", "nullable": true},
        "either": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
    }}]});
    let body = body_for(schema, schemas).await;
    assert_eq!(
        body,
        json!({
            "id": "00000000-0000-4000-8000-000000000000",
            "at": "2024-01-01T00:00:00Z",
            "day": "2024-01-01",
            "mail": "user@example.com",
            "link": "https://example.com/",
            "phone": "+14155550000",
            "kind": "first",
            "code": "stringxxxx",
            "short": "str",
            "count": 8,
            "ratio": 0.5,
            "tags": ["string", "string1", "string2"],
            "maybe": "string",
            "either": 1,
        })
    );
}

#[tokio::test]
async fn overlapping_one_of_branches_fall_back_to_one_that_validates() {
    let cat = json!({"type": "object", "required": ["meow"], "properties": {"meow": {"type": "boolean"}, "bark": {"type": "boolean"}}});
    let dog = json!({"type": "object", "required": ["bark"], "properties": {"bark": {"type": "boolean"}}});
    let body = body_for(json!({"oneOf": [cat, dog]}), json!({})).await;
    // With every property the first branch matches both; required only, just one.
    assert_eq!(body, json!({"meow": true}));
}

#[tokio::test]
async fn recursive_and_hostile_schemas_terminate() {
    let schemas = json!({
        "Node": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "parent": {"$ref": "#/components/schemas/Node"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        }},
        "Chain": {"type": "object", "required": ["next"], "properties": {"next": {"$ref": "#/components/schemas/Chain"}}},
        "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}, {"$ref": "#/components/schemas/Loop"}]},
        "Wide": {"type": "array", "minItems": 1_000_000, "items": {"type": "array", "minItems": 1_000_000, "items": {"type": "string", "minLength": 1_000_000_000}}},
    });
    let body = body_for(json!({"$ref": "#/components/schemas/Node"}), schemas.clone()).await;
    // Optional properties that lead back to Node are left out.
    assert_eq!(body, json!({"name": "string"}));
    // Unsatisfiable or pathological: bounded output, no panic. What is
    // generated is answered as it is (the answers are not checked).
    let mut hostile: Vec<Value> =
        ["Chain", "Loop", "Wide"].iter().map(|name| json!({"$ref": format!("#/components/schemas/{name}")})).collect();
    hostile.extend([
        json!(false),
        json!(true),
        json!(null),
        json!({"type": 7}),
        json!({"enum": []}),
        json!({"type": "integer", "minimum": 10, "maximum": 1}),
        json!({"type": "number", "multipleOf": -1}),
        json!({"type": "integer", "multipleOf": 0.3}),
        json!({"type": ["null", "string"]}),
        json!({"type": "number", "maximum": 1e308, "minimum": 1e308, "exclusiveMinimum": true}),
    ]);
    let paths: Map<String, Value> = hostile
        .iter()
        .enumerate()
        .map(|(n, schema)| {
            let ok = json!({"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}});
            (format!("/{n}"), json!({"get": {"operationId": format!("op{n}"), "responses": ok}}))
        })
        .collect();
    let sb = serve(&json!({"paths": paths, "components": {"schemas": schemas}}), false).await;
    for (n, schema) in hostile.iter().enumerate() {
        let answer = get(&sb, &format!("/{n}")).await;
        assert_eq!(answer.status, 200, "{schema}");
        assert!(answer.body.len() < 8 * 1024 * 1024, "{schema}");
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn non_json_media_types_get_a_minimal_body() {
    let answer = answer_of(
        json!({"200": {"description": "ok", "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}}),
        json!({}),
    )
    .await;
    assert_eq!(answer.header("content-type"), Some("application/zip"));
    // The smallest valid zip archive: an end-of-central-directory record alone.
    let empty_zip = [b"PK\x05\x06".as_slice(), &[0; 18]].concat();
    assert_eq!(answer.body, empty_zip);
    let answer = answer_of(json!({"200": {"description": "ok", "content": {"*/*": {}}}}), json!({})).await;
    assert_eq!((answer.header("content-type"), answer.body.len()), (Some("application/octet-stream"), 0));
}

#[tokio::test]
async fn required_headers_are_sent() {
    let spec = json!({
        "paths": {"/x": {"get": {"operationId": "x", "responses": {"201": {"description": "made", "headers": {
            "Location": {"required": true, "schema": {"type": "string", "format": "uri"}},
            "X-Optional": {"schema": {"type": "string"}},
            "X-Count": {"$ref": "#/components/headers/Count"},
        }}}}}},
        "components": {"headers": {"Count": {"required": true, "schema": {"type": "integer", "minimum": 3}}}},
    });
    let sb = serve(&spec, true).await;
    let answer = get(&sb, "/x").await;
    assert_eq!(answer.status, 201);
    let documented: Vec<(&str, Option<&str>)> =
        ["location", "x-optional", "x-count"].into_iter().map(|name| (name, answer.header(name))).collect();
    assert_eq!(documented, [("location", Some("https://example.com/")), ("x-optional", None), ("x-count", Some("3"))]);
    sb.shutdown().await;
}
