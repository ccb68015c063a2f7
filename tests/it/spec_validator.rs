//! The request and response checks a spec gives (`spec::validate`): routing,
//! parameters, bodies and responses checked as the spec says, with
//! violations that name the rule and where it was broken.

use std::fmt;

use convo_clients::spec::validate::{RequestParts, SpecValidator, ValidatedRequest, Violation, is_e164};
use serde_json::{Value, json};

fn luware() -> SpecValidator {
    let spec: Value =
        serde_yaml::from_str(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/specs/luware.yaml"))).unwrap();
    SpecValidator::new(&spec).unwrap()
}

fn request<'a>(
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a [(String, String)],
    body: &'a [u8],
) -> RequestParts<'a> {
    RequestParts { method, path, query, headers, body }
}

fn get(v: &SpecValidator, path: &str, query: Option<&str>) -> Result<ValidatedRequest, Violation> {
    v.validate_request(&request("GET", path, query, &[], b""))
}

fn post(v: &SpecValidator, path: &str, content_type: &str, body: &str) -> Result<ValidatedRequest, Violation> {
    let headers = [("content-type".to_owned(), content_type.to_owned())];
    v.validate_request(&request("POST", path, None, &headers, body.as_bytes()))
}

fn search(v: &SpecValidator, query: &str) -> Result<ValidatedRequest, Violation> {
    get(v, "/vfcrest/v1/conversations", Some(query))
}

/// The violation's `location: message` text.
fn failure<T: fmt::Debug>(result: Result<T, Violation>) -> String {
    result.unwrap_err().to_string()
}

const FILTERS: &str = "filters=%7B%22filtersList%22%3A%5B%7B%22field%22%3A%22startTime%22%2C%22operator%22%3A%22GREATER_THAN_OR_EQUAL%22%2C%22values%22%3A%5B%222024-07-01%2000%3A00%3A00.000%22%5D%7D%5D%7D";

#[test]
fn compiles_every_luware_operation() {
    let mut ids: Vec<_> = luware().operation_ids().map(str::to_owned).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "addLabel",
            "addMetadata",
            "controlConversation",
            "downloadMedia",
            "getConversation",
            "requestToken",
            "searchConversations"
        ]
    );
}

#[test]
fn routes_templates_and_decodes_path_params() {
    let v = luware();
    let ok = get(&v, "/vfcrest/v1/conversations/a%20b%2Fc", None).unwrap();
    assert_eq!(ok.operation_id, "getConversation");
    assert_eq!(ok.path_params, [("ccdrId".to_owned(), "a b/c".to_owned())]);
    let ok = get(&v, "/vfcrest/v1/conversations/abc/media", Some("fileExtension=vtr")).unwrap();
    assert_eq!(ok.operation_id, "downloadMedia");
    assert_eq!(ok.query, [("fileExtension".to_owned(), "vtr".to_owned())]);
    assert_eq!(ok.rewritten_query, None);
}

#[test]
fn literal_segments_beat_templates() {
    let spec = json!({"paths": {
        "/items/{id}": {"get": {"operationId": "getItem", "parameters": [
            {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]}},
        "/items/latest": {"get": {"operationId": "latestItem"}},
        "/files/{name}.json": {"get": {"operationId": "getFile", "parameters": [
            {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}]}},
    }});
    let v = SpecValidator::new(&spec).unwrap();
    assert_eq!(get(&v, "/items/latest", None).unwrap().operation_id, "latestItem");
    assert_eq!(get(&v, "/items/7", None).unwrap().operation_id, "getItem");
    assert_eq!(failure(get(&v, "/items/seven", None)), r#"path parameter id: "seven" is not an integer"#);
    let file = get(&v, "/files/report.json", None).unwrap();
    assert_eq!(file.path_params, [("name".to_owned(), "report".to_owned())]);
    assert_eq!(get(&v, "/files/report.xml", None).unwrap_err().status(), 404);
}

#[test]
fn unknown_paths_are_404_and_wrong_methods_405() {
    let v = luware();
    for path in ["/vfcrest/v2/conversations", "/vfcrest/v1/conversations/", "vfcrest/v1/conversations", "/"] {
        let err = get(&v, path, None).unwrap_err();
        assert_eq!(err, Violation::NotFound { path: path.to_owned() });
        assert_eq!(err.status(), 404);
    }
    let err = v.validate_request(&request("DELETE", "/vfcrest/v1/conversations", None, &[], b"")).unwrap_err();
    assert_eq!(err.status(), 405);
    assert_eq!(err.to_string(), "method DELETE not allowed at /vfcrest/v1/conversations; allowed: GET");
}

#[test]
fn search_with_limit_and_filters_passes() {
    let ok = search(&luware(), &format!("limit=10&{FILTERS}&sortBy=startTime&sortOrder=desc")).unwrap();
    assert_eq!(ok.operation_id, "searchConversations");
    assert_eq!(ok.query.first(), Some(&("limit".to_owned(), "10".to_owned())));
    assert!(ok.query.get(1).is_some_and(|(_, f)| f.starts_with(r#"{"filtersList":[{"field":"startTime""#)));
    assert_eq!(ok.rewritten_query, None);
}

#[test]
fn enum_violation_names_the_allowed_values() {
    let result = search(&luware(), &format!("limit=10&{FILTERS}&sortOrder=up"));
    assert_eq!(failure(result), r#"query parameter sortOrder: "up" is not one of asc, desc"#);
}

#[test]
fn limit_is_required_unless_next_page_token() {
    let v = luware();
    assert_eq!(failure(search(&v, FILTERS)), "query parameter limit: required unless nextPageToken is sent");
    assert_eq!(failure(search(&v, "limit=5")), "query parameter filters: required unless nextPageToken is sent");
    assert_eq!(
        failure(get(&v, "/vfcrest/v1/conversations", None)),
        "query parameter limit: required unless nextPageToken is sent"
    );
    assert!(search(&v, "nextPageToken=x").is_ok());
}

#[test]
fn next_page_token_must_be_sent_alone() {
    let v = luware();
    let expected = "query parameter nextPageToken: must be sent alone, but limit was also sent";
    assert_eq!(failure(search(&v, "nextPageToken=x&limit=5")), expected);
    assert_eq!(failure(search(&v, "limit=5&nextPageToken=x")), expected);
}

#[test]
fn limit_above_maximum_is_clamped() {
    let v = luware();
    let ok = search(&v, &format!("limit=500&{FILTERS}")).unwrap();
    assert_eq!(ok.query.first(), Some(&("limit".to_owned(), "100".to_owned())));
    let rewritten = ok.rewritten_query.unwrap();
    assert!(rewritten.starts_with("limit=100&filters=%7B%22filtersList%22"), "{rewritten}");
    let again: Vec<(String, String)> = serde_urlencoded::from_str(&rewritten).unwrap();
    assert_eq!(again, ok.query);
    assert_eq!(search(&v, &format!("limit=100&{FILTERS}")).unwrap().rewritten_query, None);
}

#[test]
fn limit_must_be_a_positive_integer() {
    let v = luware();
    assert_eq!(
        failure(search(&v, &format!("limit=0&{FILTERS}"))),
        "query parameter limit: 0 is less than the minimum 1"
    );
    assert_eq!(
        failure(search(&v, &format!("limit=ten&{FILTERS}"))),
        r#"query parameter limit: "ten" is not an integer"#
    );
    assert_eq!(
        failure(search(&v, &format!("limit=1.5&{FILTERS}"))),
        r#"query parameter limit: "1.5" is not an integer"#
    );
    let repeated = search(&v, &format!("limit=5&limit=6&{FILTERS}"));
    assert_eq!(failure(repeated), "query parameter limit: sent more than once, but takes a single value");
}

#[test]
fn unknown_query_parameters_are_rejected() {
    let result = search(&luware(), &format!("limit=10&{FILTERS}&foo=1"));
    assert_eq!(failure(result), "query parameter foo: not defined for this operation");
}

#[test]
fn filters_must_be_json_matching_the_content_schema() {
    let v = luware();
    let err = failure(search(&v, "limit=10&filters=nope"));
    assert!(err.starts_with("query parameter filters: not valid JSON: "), "{err}");
    let bad = r#"{"filtersList":[{"field":"startTime","operator":"EQUALS","values":[]}]}"#;
    let query = serde_urlencoded::to_string([("limit", "10"), ("filters", bad)]).unwrap();
    let Violation::Invalid { location, message } = search(&v, &query).unwrap_err() else { panic!() };
    assert_eq!(location, "query parameter filters.filtersList[0].operator");
    assert!(message.starts_with(r#""EQUALS" is not one of EQUAL, NOT_EQUAL, STARTS_WITH"#), "{message}");
    let query = serde_urlencoded::to_string([("limit", "10"), ("filters", "{}")]).unwrap();
    assert_eq!(failure(search(&v, &query)), "query parameter filters.filtersList: required");
}

#[test]
fn array_parameters_take_repeated_keys() {
    let v = luware();
    let ok = get(&v, "/vfcrest/v1/conversations/abc", Some("expands=METADATA&expands=IM")).unwrap();
    assert_eq!(ok.query.len(), 2);
    let err = get(&v, "/vfcrest/v1/conversations/abc", Some("expands=IM&expands=FOO"));
    assert!(failure(err).starts_with(r#"query parameter expands[1]: "FOO" is not one of METADATA, IM"#));
    let err = get(&v, "/vfcrest/v1/conversations/abc/media", None);
    assert_eq!(failure(err), "query parameter fileExtension: required");
}

#[test]
fn path_parameters_are_checked_against_referenced_enums() {
    let v = luware();
    let ok = v.validate_request(&request("POST", "/vfcrest/v1/conversationControl/c1/startRecording", None, &[], b""));
    let ok = ok.unwrap();
    assert_eq!(ok.operation_id, "controlConversation");
    assert_eq!(ok.path_params[1], ("action".to_owned(), "startRecording".to_owned()));
    let err = v.validate_request(&request("POST", "/vfcrest/v1/conversationControl/c1/explode", None, &[], b""));
    assert_eq!(
        failure(err),
        r#"path parameter action: "explode" is not one of startRecording, stopRecording, keepOndemand"#
    );
    let err = v.validate_request(&request("POST", "/vfcrest/v1/conversationControl/c1/%ZZ", None, &[], b""));
    assert_eq!(failure(err), "path parameter action: not valid percent-encoded UTF-8");
    let err = post(&v, "/vfcrest/v1/conversationControl/c1/startRecording", "application/json", "{}");
    assert_eq!(failure(err), "request body: this operation takes no body");
}

#[test]
fn token_form_is_typed_by_the_schema() {
    let v = luware();
    let path = "/vfcrest/v1/auth/token";
    let form = "application/x-www-form-urlencoded";
    let ok = post(&v, path, form, "eid=1000&client_id=api_user%40luware.com&client_secret=s%26cret").unwrap();
    assert_eq!(ok.operation_id, "requestToken");
    assert_eq!(failure(post(&v, path, form, "eid=1000&client_id=u")), "request body.client_secret: required");
    assert_eq!(
        failure(post(&v, path, form, "eid=abc&client_id=u&client_secret=s")),
        r#"request body.eid: "abc" is not an integer"#
    );
    assert_eq!(
        failure(post(&v, path, form, "eid=1&client_id=u&client_secret=s&extra=1")),
        "request body.extra: not a field of this form"
    );
    assert_eq!(
        failure(post(&v, path, "text/plain", "eid=1&client_id=u&client_secret=s")),
        "request body: content type text/plain is not application/x-www-form-urlencoded"
    );
    assert_eq!(failure(post(&v, path, form, "")), "request body: required");
    let no_type = v.validate_request(&request("POST", path, None, &[], b"eid=1"));
    assert_eq!(failure(no_type), "request body: no content type; expected application/x-www-form-urlencoded");
}

#[test]
fn json_bodies_are_validated() {
    let v = luware();
    let path = "/vfcrest/v1/conversations/c1/labels";
    assert!(post(&v, path, "application/json; charset=utf-8", r#"{"labelId": 7}"#).is_ok());
    assert_eq!(
        failure(post(&v, path, "application/json", r#"{"labelId":"x"}"#)),
        r#"request body.labelId: "x" is not an integer"#
    );
    // The body is optional (the description of `addLabel` in specs/luware.yaml): `{}` adds no label.
    assert!(post(&v, path, "application/json", "{}").is_ok());
    assert_eq!(failure(post(&v, path, "application/json", "[]")), "request body: an array is not an object");
    assert!(failure(post(&v, path, "application/json", "{")).starts_with("request body: not valid JSON: "));
    let metadata =
        r#"{"metaTemplateId":1,"metaTemplateName":"t","metaTemplateType":"custom","metadata":[{"value":"v"}]}"#;
    assert_eq!(
        failure(post(&v, "/vfcrest/v1/conversations/c1/metadata", "application/json", metadata)),
        "request body.metadata[0].name: required"
    );
}

fn respond(
    v: &SpecValidator,
    id: &str,
    status: u16,
    content_type: Option<&str>,
    body: &Value,
) -> Result<(), Violation> {
    v.validate_response(id, status, content_type, body.to_string().as_bytes())
}

#[test]
fn responses_are_checked_against_the_documented_schema() {
    let v = luware();
    let json = Some("application/json");
    let page = json!({"conversations": [
        {"ccdrId": "c1", "direction": "incoming", "recordedParty": null, "hold": null, "labels": [1, 2],
         "cause": "Caller gave up", "metadata": [{"metaTemplateId": 3, "metadata": [{"name": "n", "value": "v"}]}]},
    ], "nextPageToken": null});
    respond(&v, "searchConversations", 200, json, &page).unwrap();

    let sideways = json!({"conversations": [{"ccdrId": "c1", "direction": "sideways"}]});
    let Violation::Invalid { location, message } =
        respond(&v, "searchConversations", 200, json, &sideways).unwrap_err()
    else {
        panic!()
    };
    assert_eq!(location, "response body.conversations[0].direction");
    assert!(message.starts_with(r#""sideways" is not one of internal, incoming"#));

    assert_eq!(
        failure(respond(&v, "searchConversations", 200, json, &json!({}))),
        "response body.conversations: required"
    );
    assert_eq!(
        failure(respond(&v, "getConversation", 200, json, &json!({"ccdrId": "c", "hold": "x"}))),
        r#"response body.hold: "x" is not an integer"#
    );
    assert_eq!(
        failure(respond(&v, "getConversation", 200, json, &json!({"ccdrId": "c", "hold": 4_294_967_296_u64}))),
        "response body.hold: 4294967296 is out of range for int32"
    );
    assert_eq!(
        failure(respond(&v, "getConversation", 418, json, &json!({}))),
        "response: status 418 is not documented"
    );
    assert_eq!(
        failure(respond(&v, "getConversation", 200, Some("text/html"), &json!({}))),
        "response body: content type text/html is not application/json"
    );
    assert_eq!(
        failure(v.validate_response("getConversation", 200, json, b"")),
        "response body: empty, but application/json is documented"
    );
    assert!(respond(&v, "nope", 200, json, &json!({})).is_err());
}

#[test]
fn error_and_binary_responses_accept_any_bytes() {
    let binary =
        json!({"description": "error", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}});
    let spec = json!({"paths": {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "ok"}, "default": binary}}}}});
    let v = SpecValidator::new(&spec).unwrap();
    v.validate_response("x", 404, Some("text/html"), b"<h1>gone</h1>").unwrap();
    v.validate_response("x", 404, None, b"gone").unwrap();
    v.validate_response("x", 500, None, b"").unwrap();
    let v = luware();
    v.validate_response("downloadMedia", 200, Some("application/octet-stream"), &[0x50, 0x4b, 0xff]).unwrap();
    v.validate_response("controlConversation", 200, Some("application/json"), br#"{"anything": [1]}"#).unwrap();
}

fn inline(schema: Value) -> SpecValidator {
    let spec = json!({
        "components": {"schemas": {
            "Cat": {"type": "object", "required": ["meow"], "properties": {"meow": {"type": "boolean"}}},
            "Dog": {"type": "object", "required": ["bark"], "properties": {"bark": {"type": "boolean"}}},
        }},
        "paths": {"/things": {"post": {
            "operationId": "postThing",
            "parameters": [{"name": "X-Count", "in": "header", "required": true, "schema": {"type": "integer"}}],
            "requestBody": {"content": {"application/json": {"schema": schema}}},
            "responses": {
                "200": {"description": "ok", "content": {
                    "*/*": {"schema": {"type": "string", "format": "binary"}},
                    "application/json": {"schema": {"type": "object", "required": ["id"]}},
                }},
                "2XX": {"description": "ok"},
                "default": {"description": "error"},
            },
        }}},
    });
    SpecValidator::new(&spec).unwrap()
}

fn post_thing(v: &SpecValidator, body: &str) -> Result<ValidatedRequest, Violation> {
    let headers = [("content-type".to_owned(), "application/json".to_owned()), ("x-count".to_owned(), "3".to_owned())];
    v.validate_request(&request("POST", "/things", None, &headers, body.as_bytes()))
}

#[test]
fn one_of_requires_exactly_one_match() {
    let v = inline(json!({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]}));
    assert!(post_thing(&v, r#"{"meow": true}"#).is_ok());
    assert_eq!(
        failure(post_thing(&v, r#"{"meow": true, "bark": false}"#)),
        "request body: matches 2 of the oneOf alternatives, but must match exactly one"
    );
    assert_eq!(
        failure(post_thing(&v, r#"{"purr": 1}"#)),
        "request body: matches none of the 2 oneOf alternatives (the first fails with request body.meow: required)"
    );
    let any = inline(json!({"anyOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]}));
    assert!(post_thing(&any, r#"{"meow": true, "bark": false}"#).is_ok());
}

#[test]
fn an_arrays_own_rules_come_before_its_items() {
    let v = inline(json!({"type": "array", "minItems": 3, "items": {"type": "integer"}}));
    assert_eq!(failure(post_thing(&v, r#"[1, "two"]"#)), "request body: has 2 items, fewer than 3");
    assert_eq!(failure(post_thing(&v, r#"[1, "two", 3]"#)), r#"request body[1]: "two" is not an integer"#);
}

#[test]
fn additional_properties_false_and_schema() {
    let closed = inline(json!({"type": "object", "properties": {"a": {}}, "additionalProperties": false}));
    assert!(post_thing(&closed, r#"{"a": [1, {"b": null}]}"#).is_ok());
    assert_eq!(
        failure(post_thing(&closed, r#"{"a": 1, "b": 2}"#)),
        "request body.b: not a documented property (additionalProperties is false)"
    );
    let typed = inline(json!({"type": "object", "additionalProperties": {"type": "string", "maxLength": 2}}));
    assert_eq!(failure(post_thing(&typed, r#"{"k": "long"}"#)), r#"request body.k: longer than 2 characters: "long""#);
}

#[test]
fn all_of_and_nullable() {
    let v = inline(json!({"nullable": true, "allOf": [
        {"$ref": "#/components/schemas/Cat"},
        {"type": "object", "properties": {"lives": {"type": "integer", "minimum": 1, "maximum": 9}}},
    ]}));
    assert!(post_thing(&v, "null").is_ok());
    assert!(post_thing(&v, r#"{"meow": true, "lives": 9}"#).is_ok());
    assert_eq!(failure(post_thing(&v, r#"{"lives": 9}"#)), "request body.meow: required");
    assert_eq!(
        failure(post_thing(&v, r#"{"meow": true, "lives": 10}"#)),
        "request body.lives: 10 is greater than the maximum 9"
    );
    let strict = inline(json!({"type": "string"}));
    assert_eq!(failure(post_thing(&strict, "null")), "request body: null is not a string");
}

#[test]
fn header_parameters_and_status_ranges() {
    let v = inline(json!({}));
    let body = br#""ok""#;
    let no_count = [("content-type".to_owned(), "application/json".to_owned())];
    let err = v.validate_request(&request("POST", "/things", None, &no_count, body));
    assert_eq!(failure(err), "header X-Count: required");
    let bad = [("content-type".to_owned(), "application/json".to_owned()), ("x-count".to_owned(), "many".to_owned())];
    let err = v.validate_request(&request("POST", "/things", None, &bad, body));
    assert_eq!(failure(err), r#"header X-Count: "many" is not an integer"#);
    assert!(v.validate_response("postThing", 204, None, b"").is_ok());
    assert_eq!(
        failure(v.validate_response("postThing", 201, None, b"x")),
        "response body: status 201 documents no body"
    );
    assert!(v.validate_response("postThing", 503, None, b"").is_ok());
    // The exact media type wins over `*/*`, so JSON is still validated.
    assert_eq!(
        failure(v.validate_response("postThing", 200, Some("application/json"), b"{}")),
        "response body.id: required"
    );
    assert!(v.validate_response("postThing", 200, Some("text/plain"), b"{}").is_ok());
    assert!(v.validate_response("postThing", 200, None, b"{}").is_ok());
}

#[test]
fn recursive_schemas_terminate() {
    let tree = json!({"paths": {"/t": {"post": {
        "operationId": "t",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}},
        // Answered with a Loop, to check a cyclic schema on its own.
        "responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Loop"}}}}},
    }}}, "components": {"schemas": {
        "Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
        "Loop": {"allOf": [{"$ref": "#/components/schemas/Loop"}]},
    }}});
    let v = SpecValidator::new(&tree).unwrap();
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    let body = br#"{"children": [{"children": [{}, {"children": 1}]}]}"#;
    let err = v.validate_request(&request("POST", "/t", None, &headers, body));
    assert_eq!(failure(err), "request body.children[0].children[1].children: 1 is not an array");
    let err = v.validate_response("t", 200, Some("application/json"), b"1");
    assert_eq!(failure(err), "response body: schema nesting too deep (cyclic $ref?)");
}

#[test]
fn hostile_input_is_a_violation_not_a_panic() {
    let v = luware();
    let deep = format!("limit=1&filters={}", "%5B".repeat(10_000));
    for (path, query) in [
        ("/vfcrest/v1/conversations/%", None),
        ("/vfcrest/v1/conversations/%E9", None),
        ("/vfcrest/v1/conversations/\u{1F600}", Some("expands=%FF")),
        ("/vfcrest/v1/conversations", Some("limit=%FF&filters=%7B")),
        ("/vfcrest/v1/conversations", Some("limit=99999999999999999999999&filters=%7B%7D")),
        ("/vfcrest/v1/conversations", Some(deep.as_str())),
        ("//", Some("&&=&")),
    ] {
        assert!(get(&v, path, query).is_err(), "{path} {query:?}");
    }
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    let deep_body = "[".repeat(100_000);
    let err = v.validate_request(&request(
        "POST",
        "/vfcrest/v1/conversations/c/labels",
        None,
        &headers,
        deep_body.as_bytes(),
    ));
    assert!(failure(err).starts_with("request body: not valid JSON: recursion limit exceeded"));
}

fn strings(schema: Value) -> SpecValidator {
    let spec = json!({"paths": {"/s": {"get": {
        "operationId": "s",
        "parameters": [
            {"name": "v", "in": "query", "schema": schema},
            {"name": "from", "in": "query", "schema": {"type": "string", "format": "date-time"}},
            {"name": "to", "in": "query", "schema": {"type": "string", "format": "date-time"}},
            {"name": "low", "in": "query", "schema": {"type": "integer"}},
            {"name": "high", "in": "query", "schema": {"type": "integer"}},
            {"name": "day", "in": "query", "schema": {"type": "string", "format": "date"}},
            {"name": "until", "in": "query", "schema": {"type": "string", "format": "date"}},
        ],
        "x-range": [
            {"from": "from", "to": "to"},
            {"from": "low", "to": "high", "exclusive": true},
            {"from": "day", "to": "until"},
        ],
    }}}});
    SpecValidator::new(&spec).unwrap()
}

#[test]
fn date_times_as_the_vendors_write_them() {
    let v = strings(json!({"type": "string", "format": "date-time"}));
    for good in [
        "2024-03-20T12:00:00Z",
        "2023-01-01T00:00:00.000Z",
        "2024-03-20t12:00:00.123456+02:00",
        "2024-07-01 00:00:00.000",
        "2024-07-01T00:00:00",
    ] {
        let query = format!("v={}", good.replace('+', "%2B").replace(' ', "%20"));
        assert!(get(&v, "/s", Some(&query)).is_ok(), "{good}");
    }
    for bad in [
        "notadate",
        "2024-03-20",
        "2024-02-30T00:00:00Z",
        "2024-03-20T25:00:00Z",
        "2024-03-20T12:00Z",
        "2024-03-20T12:00:00.Z",
        "2024-03-20T12:00:00 Z",
        "20240320T120000Z",
    ] {
        let err = failure(get(&v, "/s", Some(&format!("v={}", bad.replace(' ', "%20")))));
        assert_eq!(
            err,
            format!("query parameter v: {} is not a date-time (RFC 3339, e.g. 2024-03-20T12:00:00Z)", Value::from(bad))
        );
    }
    let v = strings(json!({"type": "string", "format": "date"}));
    assert!(get(&v, "/s", Some("v=2024-02-29")).is_ok());
    for bad in ["2023-02-29", "2024-3-1", "2024-03-01T00:00:00Z"] {
        let err = failure(get(&v, "/s", Some(&format!("v={bad}"))));
        assert!(err.ends_with("is not a date (YYYY-MM-DD, e.g. 2024-03-20)"), "{err}");
    }
}

#[test]
fn patterns_and_e164() {
    let v = strings(json!({"type": "string", "pattern": "^[A-Z]{2}-\\d+$"}));
    assert!(get(&v, "/s", Some("v=AB-12")).is_ok());
    assert_eq!(
        failure(get(&v, "/s", Some("v=ab-12"))),
        r#"query parameter v: "ab-12" does not match the pattern ^[A-Z]{2}-\d+$"#
    );
    let v = strings(json!({"type": "string", "x-format": "e164"}));
    for good in ["%2B14155552671", "%2B56912345678", "%2B1234567"] {
        assert!(get(&v, "/s", Some(&format!("v={good}"))).is_ok(), "{good}");
    }
    for bad in ["14155552671", "%2B1%20415%20555%202671", "%2B0123456789", "%2B123456", "%2B1234567890123456", "12345"]
    {
        let err = failure(get(&v, "/s", Some(&format!("v={bad}"))));
        assert!(err.contains("is not an E.164 phone number"), "{bad}: {err}");
    }
    assert!(is_e164("+14155552671") && !is_e164("+") && !is_e164("") && !is_e164("+1415-555"));
    let bad_regex = json!({"paths": {}, "components": {"schemas": {"A": {"type": "string", "pattern": "("}}}});
    assert!(SpecValidator::new(&bad_regex).unwrap_err().starts_with("pattern \"(\" cannot be compiled"));
    let unknown = json!({"paths": {}, "components": {"schemas": {"A": {"type": "string", "x-format": "phone"}}}});
    assert_eq!(
        SpecValidator::new(&unknown).unwrap_err(),
        "/components/schemas/A: x-format \"phone\" is unknown (known: e164)"
    );
}

#[test]
fn empty_ranges_are_violations() {
    let v = strings(json!({}));
    assert!(get(&v, "/s", Some("from=2024-03-20T12:00:00Z&to=2024-03-20T12:00:00Z")).is_ok(), "one instant");
    assert!(get(&v, "/s", Some("from=2024-03-20T12:00:00Z")).is_ok(), "one bound");
    assert_eq!(
        failure(get(&v, "/s", Some("from=2024-03-21T00:00:00Z&to=2024-03-20T12:00:00Z"))),
        r#"query parameters from and to: from "2024-03-21T00:00:00Z" is after to "2024-03-20T12:00:00Z": the range is empty"#
    );
    // Instants, not texts: 13:00+02:00 is before 12:00Z.
    assert!(get(&v, "/s", Some("from=2024-03-20T13:00:00%2B02:00&to=2024-03-20T12:00:00Z")).is_ok());
    assert!(failure(get(&v, "/s", Some("low=5&high=5"))).contains(r#"low "5" is the same as high "5""#));
    assert!(get(&v, "/s", Some("low=5&high=6")).is_ok());
    assert!(failure(get(&v, "/s", Some("low=10&high=9"))).contains("the range is empty"));
    assert!(failure(get(&v, "/s", Some("day=2024-03-02&until=2024-03-01"))).contains("the range is empty"));
    let bad = |range: Value| {
        let spec = json!({"paths": {"/s": {"get": {"operationId": "s", "x-range": range, "parameters": [
            {"name": "a", "in": "query", "schema": {"type": "string"}},
            {"name": "n", "in": "query", "schema": {"type": "integer"}},
            {"name": "t", "in": "query", "schema": {"type": "string", "format": "date-time"}},
        ]}}}});
        SpecValidator::new(&spec).unwrap_err()
    };
    assert_eq!(bad(json!({"from": "n", "to": "x"})), "GET /s: x-range: x is not a query parameter of this operation");
    assert_eq!(
        bad(json!({"from": "a", "to": "n"})),
        "GET /s: x-range: a is not a number, date or date-time, so it has no order"
    );
    assert_eq!(bad(json!({"from": "n", "to": "t"})), "GET /s: x-range: n and t are not of the same type");
    assert_eq!(bad(json!({"from": "n"})), "GET /s: x-range: `to` must name a parameter");
    assert_eq!(
        bad(json!({"from": "n", "to": "n", "open": true})),
        "GET /s: x-range: unknown key \"open\" (known: from, to, exclusive, x-*)"
    );
}

#[test]
fn x_check_adds_rules_over_several_properties() {
    let v = inline(json!({"type": "object", "properties": {"kind": {"type": "string"}, "to": {"type": "string"}},
    "x-check": {"anyOf": [
        {"properties": {"to": {"type": "string", "x-format": "e164"}}},
        {"properties": {"kind": {"not": {"enum": ["PHONE"]}}}},
    ]}}));
    assert!(post_thing(&v, r#"{"kind": "PHONE", "to": "+14155552671"}"#).is_ok());
    assert!(post_thing(&v, r#"{"kind": "EMAIL", "to": "a@example.com"}"#).is_ok());
    // The other alternative fails on its `not` only: the value was meant for the first.
    assert_eq!(
        failure(post_thing(&v, r#"{"kind": "PHONE", "to": "12345"}"#)),
        "request body.to: \"12345\" is not an E.164 phone number (+, country code and number, digits only, \
         e.g. +14155552671)"
    );
    let text = inline(json!({"type": "string", "x-check": {"minLength": 1}}));
    assert_eq!(failure(post_thing(&text, r#""""#)), "request body: must not be empty");
}

#[test]
fn a_one_of_miss_is_explained_by_the_alternative_meant() {
    let v = inline(json!({"oneOf": [
        {"type": "string"},
        {"type": "object", "required": ["email"], "properties": {"channel": {"enum": ["email"]}}},
        {"type": "object", "required": ["phone"],
         "properties": {"channel": {"enum": ["sms"]}, "phone": {"type": "string", "pattern": "^[0-9]+$"}}},
        {"type": "object", "properties": {"channel": {"enum": ["voice"]}, "phone": {"maxLength": 3}}},
    ]}));
    // Wrong type, missing property, another discriminator: only the sms
    // alternative fails on the value itself, so its violation is the answer.
    assert_eq!(
        failure(post_thing(&v, r#"{"channel": "sms", "phone": "call-me"}"#)),
        r#"request body.phone: "call-me" does not match the pattern ^[0-9]+$"#
    );
    // A field of the wrong type within the alternative its tag names: meant for that one.
    let tagged = inline(json!({"type": "array", "items": {"oneOf": [
        {"type": "object", "required": ["type"], "properties": {"type": {"enum": ["cart"]}, "total": {"type": "number"}}},
        {"type": "object", "required": ["type", "personal"],
         "properties": {"type": {"enum": ["personal"]}, "personal": {"type": "object"}}},
    ]}}));
    assert_eq!(
        failure(post_thing(&tagged, r#"[{"type": "personal", "personal": 3}]"#)),
        "request body[0].personal: 3 is not an object"
    );
    // Two alternatives fail on values: the first of them explains the miss.
    assert_eq!(
        failure(post_thing(&v, r#"{"phone": "call-me"}"#)),
        "request body: matches none of the 4 oneOf alternatives (the closest fails with request body.phone: \
         \"call-me\" does not match the pattern ^[0-9]+$)"
    );
}

#[test]
fn unusable_specs_are_rejected() {
    let cases = [
        (json!({}), "spec has no `paths` object"),
        (json!({"paths": {"/a": {"get": {}}}}), "GET /a: no operationId"),
        (
            json!({"paths": {"/a/{id}": {"get": {"operationId": "a"}}}}),
            "GET /a/{id}: path parameter id is not declared",
        ),
        (
            json!({"paths": {"/a": {"get": {"operationId": "a", "responses": {"200": {"$ref": "#/x"}}}}}}),
            "unresolvable $ref #/x",
        ),
        (
            json!({"paths": {"/a": {"get": {"operationId": "a"}}, "/b": {"get": {"operationId": "a"}}}}),
            "operationId a is used twice",
        ),
        (
            json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}}, "paths": {}}),
            "$ref chain too long (cycle?)",
        ),
        (
            json!({"paths": {"/a": {"get": {"operationId": "a", "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "object"}}]}}}}),
            "GET /a: query parameter q: type object cannot be sent as text",
        ),
    ];
    for (spec, expected) in cases {
        assert_eq!(SpecValidator::new(&spec).unwrap_err(), expected);
    }
}

fn lenient() -> SpecValidator {
    let spec = json!({"paths": {
        "/list": {"get": {
            "operationId": "list",
            "parameters": [
                {"name": "ids", "in": "query", "x-lenient": ["bracketed-key"],
                 "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "dir", "in": "query", "x-lenient": ["case-insensitive"],
                 "schema": {"type": "string", "enum": ["asc", "desc"]}},
                {"name": "filters", "in": "query", "x-lenient": ["single-quotes"],
                 "content": {"application/json": {"schema": {"type": "object", "required": ["a"]}}}},
            ],
            "responses": {"200": {"description": "ok"}},
        }},
        "/things": {"post": {
            "operationId": "make",
            "requestBody": {"x-lenient": ["string-scalars"], "content": {"application/json": {"schema": {
                "type": "object", "properties": {"count": {"type": "boolean"}, "size": {"type": "integer"}},
            }}}},
            "responses": {"200": {"description": "ok"}},
        }},
        "/close": {"post": {"operationId": "close", "x-lenient": ["empty-body"], "responses": {"200": {"description": "ok"}}}},
    }});
    SpecValidator::new(&spec).unwrap()
}

#[test]
fn lenient_queries_reach_the_emulator_strict() {
    let v = lenient();
    let ok = get(&v, "/list", Some("ids%5B%5D=a&ids[]=b&dir=DESC")).unwrap();
    assert_eq!(ok.query, [("ids".into(), "a".into()), ("ids".into(), "b".into()), ("dir".into(), "desc".into())]);
    assert_eq!(ok.rewritten_query.as_deref(), Some("ids=a&ids=b&dir=desc"));
    assert_eq!(get(&v, "/list", Some("ids=a&dir=asc")).unwrap().rewritten_query, None);
    assert_eq!(failure(get(&v, "/list", Some("dir=up"))), "query parameter dir: \"up\" is not one of asc, desc");

    let quoted = get(&v, "/list", Some("filters={'a':%20['b']}")).unwrap();
    assert_eq!(quoted.query, [("filters".into(), r#"{"a":["b"]}"#.into())]);
    assert!(failure(get(&v, "/list", Some("filters={'a':%20'b}"))).contains("not valid JSON"));
}

#[test]
fn lenient_bodies_reach_the_emulator_strict() {
    let v = lenient();
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    let post = |path: &str, body: &str| v.validate_request(&request("POST", path, None, &headers, body.as_bytes()));
    let coerced = post("/things", r#"{"count": "true", "size": "10"}"#).unwrap();
    assert_eq!(coerced.rewritten_body.as_deref(), Some(br#"{"count":true,"size":10}"#.as_slice()));
    assert_eq!(post("/things", r#"{"count": true}"#).unwrap().rewritten_body, None);
    assert_eq!(failure(post("/things", r#"{"size": "ten"}"#)), "request body.size: \"ten\" is not an integer");

    assert_eq!(post("/close", "{}").unwrap().rewritten_body.as_deref(), Some(&b""[..]));
    assert_eq!(post("/close", "").unwrap().rewritten_body, None);
    assert_eq!(failure(post("/close", r#"{"a": 1}"#)), "request body: this operation takes no body");
}

#[test]
fn lenient_rules_must_fit_their_place() {
    let spec = |param: Value| {
        json!({"paths": {"/x": {"get": {"operationId": "x", "parameters": [param],
        "responses": {"200": {"description": "ok"}}}}}})
    };
    let bad = [
        (
            json!({"name": "a", "in": "query", "x-lenient": ["bracketed-key"], "schema": {"type": "string"}}),
            "repeated keys",
        ),
        (json!({"name": "a", "in": "query", "x-lenient": ["case-insensitive"], "schema": {"type": "string"}}), "enum"),
        (json!({"name": "a", "in": "query", "x-lenient": ["single-quotes"], "schema": {"type": "string"}}), "JSON"),
        (
            json!({"name": "a", "in": "header", "x-lenient": ["case-insensitive"], "schema": {"enum": ["x"]}}),
            "apply here",
        ),
        (json!({"name": "a", "in": "query", "x-lenient": ["lenient"], "schema": {"type": "string"}}), "unknown"),
    ];
    for (param, why) in bad {
        let err = SpecValidator::new(&spec(param.clone())).unwrap_err();
        assert!(err.contains(why), "{param}: {err}");
    }
}

/// A string with only length bounds or an enum is checked without a walk
/// when it fits them; one that does not fit still gets the walker's words.
#[test]
fn plain_strings_are_checked_by_their_length_and_enum() {
    let v = strings(json!({"type": "string", "minLength": 2, "maxLength": 4, "description": "a code"}));
    let at = |text: &str| get(&v, "/s", Some(&format!("v={text}")));
    assert!(at("ab").is_ok() && at("abcd").is_ok() && at("\u{e9}\u{e9}").is_ok());
    assert_eq!(failure(at("a")), r#"query parameter v: shorter than 2 characters: "a""#);
    assert_eq!(failure(at("abcde")), r#"query parameter v: longer than 4 characters: "abcde""#);

    let v = strings(json!({"type": "string", "enum": ["asc", "desc"]}));
    assert!(get(&v, "/s", Some("v=asc")).is_ok());
    assert_eq!(failure(get(&v, "/s", Some("v=up"))), r#"query parameter v: "up" is not one of asc, desc"#);
    // An enum of no strings lists nothing a text could match.
    let v = strings(json!({"enum": [1, 2]}));
    assert!(failure(get(&v, "/s", Some("v=1"))).starts_with("query parameter v: "));
}

#[test]
fn string_formats() {
    let cases = [
        ("email", "ana@example.com", "ana@", "an email address"),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000", "a UUID"),
        ("uri", "https://example.com/x?y=1", "/relative", "an absolute URI"),
        ("byte", "aGVsbG8=", "hello!", "base64"),
        ("ipv4", "192.168.0.1", "192.168.0.256", "an IPv4 address"),
        ("ipv6", "::1", "1:::2", "an IPv6 address"),
        ("hostname", "api.example.com", "-bad-.com", "a host name"),
    ];
    for (format, good, bad, expected) in cases {
        let v = strings(json!({"type": "string", "format": format}));
        let query = |text: &str| serde_urlencoded::to_string([("v", text)]).unwrap();
        assert!(get(&v, "/s", Some(&query(good))).is_ok(), "{format}: {good}");
        let err = failure(get(&v, "/s", Some(&query(bad))));
        assert!(err.contains(&format!("is not {expected}")), "{format}: {err}");
    }
    // Formats that only annotate accept any string.
    for format in ["password", "binary", "color"] {
        assert!(get(&strings(json!({"type": "string", "format": format})), "/s", Some("v=x")).is_ok());
    }
}

#[test]
fn read_only_properties_stay_out_of_requests_and_write_only_out_of_responses() {
    let v = inline(json!({"type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "integer", "readOnly": true}, "name": {"type": "string"},
        "secret": {"type": "string", "writeOnly": true}}}));
    assert!(post_thing(&v, r#"{"name": "a", "secret": "s"}"#).is_ok(), "a required readOnly property is not due");
    assert_eq!(
        failure(post_thing(&v, r#"{"id": 1, "name": "a"}"#)),
        "request body.id: read-only: the server sets it, a request may not send it"
    );
    let schema = json!({"type": "object", "properties": {"secret": {"type": "string", "writeOnly": true}}});
    let answered = json!({"paths": {"/r": {"get": {"operationId": "r", "responses": {"200": {"description": "ok",
        "content": {"application/json": {"schema": schema}}}}}}}});
    let v = SpecValidator::new(&answered).unwrap();
    let respond = |body: &Value| v.validate_response("r", 200, Some("application/json"), body.to_string().as_bytes());
    assert!(respond(&json!({"secret": "s"})).is_err());
    assert!(respond(&json!({})).is_ok());
}
