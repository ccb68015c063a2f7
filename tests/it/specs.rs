//! Every spec in `specs/` generates cleanly, and every fact in it says where
//! it comes from.

#[path = "../../build.rs"]
#[allow(dead_code)]
mod build_script;

use std::path::PathBuf;

use serde_json::Value;

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// The operations of a path item (not its `servers` or `parameters`).
fn operations(item: &Value) -> impl Iterator<Item = (&String, &Value)> {
    item.as_object().into_iter().flatten().filter(|(k, _)| METHODS.contains(&k.as_str()))
}

fn specs() -> Vec<(String, PathBuf)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs");
    let mut specs: Vec<_> = std::fs::read_dir(&dir)
        .expect("specs/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    specs.sort();
    assert!(!specs.is_empty());
    specs
}

#[test]
fn every_spec_generates_a_client() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(build_script::specs(&root), specs());
    let enabled: Vec<_> = specs().into_iter().map(|(api, _)| (api, None)).collect();
    let modules = build_script::api_modules(&root, &enabled);
    for (api, path) in specs() {
        // build.rs declares the module and lists it for every enabled API.
        assert!(modules.contains(&format!("pub mod {api}")), "{api}: no module");
        assert!(modules.contains(&format!("{api}: \"{api}\",")), "{api} is not in for_each_api!");
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(manifest.lines().any(|l| l.starts_with(&format!("{api} = "))), "{api}.yaml has no cargo feature");
        let generated = build_script::generate_file(&api, &path).unwrap_or_else(|e| panic!("specs/{api}.yaml: {e}"));
        assert!(generated.client.contains("pub struct Client"), "{api}");
        // Names read well: no anonymous variants or per-operation response soup.
        assert!(!generated.client.contains("Variant0"), "{api}: unnamed union variants");
        let spec: Value = serde_json::from_str(&generated.spec_json).unwrap();
        for item in spec["paths"].as_object().unwrap().values() {
            for (_, op) in operations(item) {
                let id = op["operationId"].as_str().unwrap();
                let pascal = format!("{}{}", id[..1].to_uppercase(), &id[1..]);
                for suffix in ["Response", "Body"] {
                    let inline = format!("pub struct {pascal}{suffix} ");
                    assert!(!generated.client.contains(&inline), "{api}: inline type {pascal}{suffix}; use a $ref");
                }
            }
        }
    }
}

#[test]
fn generation_errors_name_the_cause_instead_of_panicking() {
    let err =
        build_script::generate("luware", "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n").err().unwrap();
    assert!(err.contains("3.0.x"), "{err}");
    let err = build_script::generate("luware", "openapi: 3.0.3\npaths: [").err().unwrap();
    assert!(err.starts_with("invalid YAML"), "{err}");
    // What the spec model refuses names the part and its JSON pointer.
    let extension = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /x:
    get:
      operationId: getX
      parameters:
        - {name: n, in: query, x-on-maximum: wrap, schema: {type: integer, maximum: 5}}
      responses:
        '204': {description: none}
"#;
    let err = build_script::generate("luware", extension).err().unwrap();
    assert_eq!(
        err,
        r#"GET /x: query parameter n: unsupported x-on-maximum Some("wrap") (at #/paths/~1x/get/parameters/0)"#
    );
    let inline = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /x:
    get:
      operationId: getX
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {a: {type: string}}}
"#;
    let err = build_script::generate("luware", inline).err().unwrap();
    assert!(err.contains("GET /x") && err.contains("$ref"), "{err}");
    // A construct progenitor panics on comes back as a message.
    let two_bodies = r#"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /x:
    post:
      operationId: postX
      requestBody:
        content:
          application/json: {schema: {type: string}}
          text/plain: {schema: {type: string}}
      responses:
        '204': {description: ok}
"#;
    let err = build_script::generate("luware", two_bodies).err().unwrap();
    assert!(err.contains("exactly one media type"), "{err}");
}

/// Every `x-provenance`, wherever it stands, has only known keys with text
/// values. (An unquoted flow mapping such as `{source: seed L1, L2}` splits at
/// the comma and silently turns `L2` into a key.)
#[test]
fn provenance_entries_are_well_formed() {
    fn walk(node: &Value, path: &str, api: &str) {
        match node {
            Value::Object(map) => {
                for (key, value) in map {
                    let here = format!("{path}/{key}");
                    if key == "x-provenance" {
                        let entry = value.as_object().unwrap_or_else(|| panic!("{api}: {here} is not a mapping"));
                        for (k, v) in entry {
                            assert!(
                                ["status", "source", "why", "note", "vendor-operation-id"].contains(&k.as_str()),
                                "{api}: {here} has the unknown key {k:?} (an unquoted comma?)"
                            );
                            assert!(v.is_string(), "{api}: {here}.{k} is not text");
                        }
                    }
                    walk(value, &here, api);
                }
            }
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| walk(v, &format!("{path}[{i}]"), api)),
            _ => {}
        }
    }
    for (api, path) in specs() {
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        walk(&doc, "", &api);
    }
}

/// Every operation, component schema and inferred parameter carries
/// `x-provenance` with a known status and a source.
#[test]
fn every_fact_has_provenance() {
    for (api, path) in specs() {
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut checked = 0;
        let mut check = |where_: String, node: &Value| {
            let p = node.get("x-provenance").unwrap_or_else(|| panic!("{api}: {where_} lacks x-provenance"));
            let status = p["status"].as_str().unwrap_or_default();
            assert!(["confirmed", "third-party", "inferred"].contains(&status), "{api}: {where_}: status {status:?}");
            assert!(p["source"].as_str().is_some_and(|s| !s.is_empty()), "{api}: {where_}: no source");
            if status == "inferred" {
                assert!(p.get("why").is_some(), "{api}: {where_}: inferred without why");
            }
            checked += 1;
        };
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            check(format!("schema {name}"), schema);
        }
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in operations(item) {
                check(format!("{method} {path}"), op);
                for param in op["parameters"].as_array().into_iter().flatten() {
                    if param.get("$ref").is_none() {
                        check(format!("{method} {path} parameter {}", param["name"]), param);
                    }
                }
            }
        }
        assert!(checked > 10, "{api}: {checked}");
    }
}

/// What a spec maintainer gets by adding an operation to a spec and nothing
/// else: a method on the generated client (which the public client derefs
/// to), the security it needs listed for the runtime (which fetches the
/// token for it), and its typed response.
#[test]
fn an_operation_added_to_a_spec_becomes_an_authenticated_method() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("specs/luware.yaml");
    let mut spec: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let operation = serde_json::json!({
        "get": {
            "operationId": "getRetentionPolicy",
            "summary": "A policy the vendor has just documented.",
            "x-provenance": {"status": "inferred", "source": "test", "why": "test"},
            "parameters": [{"name": "policyId", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "The policy.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ActionResult"}}}}}
        }
    });
    spec["paths"]["/vfcrest/v1/retentionPolicies/{policyId}"] = operation;
    let generated = build_script::generate("luware", &serde_yaml::to_string(&spec).unwrap()).expect("generates");
    assert!(generated.client.contains("pub fn get_retention_policy(&self) -> builder::GetRetentionPolicy<'_>"));
    // The document's security applies, so the runtime adds the key and a token.
    assert!(
        generated.client.contains(r#"("get_retention_policy", &["bearerToken", "subscriptionKey"])"#),
        "the runtime learns what the operation needs"
    );
    assert!(generated.spec_json.contains("getRetentionPolicy"), "the sandbox and CLI read the same spec");
}

/// `x-filter-table` and `x-format: e164` become Rust in `<api>_facts.rs`; a
/// malformed one fails generation with one line that names the cause.
#[test]
fn fact_extensions_are_generated_or_named_as_errors() {
    let spec = |schemas: &str| {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths: {{}}\ncomponents:\n  schemas:\n    \
             FilterOperator: {{type: string, enum: [EQUAL, NOT_EQUAL, BETWEEN]}}\n{schemas}"
        )
    };
    let table = |rows: &str| {
        spec(&format!(
            "    Field:\n      type: string\n      description: Fields.\n      enum: [aName, bCount]\n      \
             x-filter-table:\n{rows}"
        ))
    };
    let good_rows = "        aName: {type: string, operators: [EQUAL, NOT_EQUAL], description: The name.}\n        \
                     bCount: {type: integer, nullable: true, operators: [BETWEEN]}\n";
    let generated = build_script::generate("t", &table(good_rows)).unwrap_or_else(|e| panic!("{e}"));
    for expected in [
        "pub enum Field {",
        "/// `aName`: The name.",
        "pub const ALL: &'static [Field] = &[",
        "#[non_exhaustive]\npub enum Field {",
        "Self::BCount => \"bCount\"",
        "Self::AName => ValueKind::String",
        "Self::AName => &[FilterOperator::Equal, FilterOperator::NotEqual]",
        "Self::BCount => true",
    ] {
        assert!(generated.facts.contains(expected), "{expected:?} in\n{}", generated.facts);
    }
    assert!(!generated.facts.contains("E164_FIELDS"), "nothing is marked e164");

    let b_row = "        bCount: {type: integer, operators: [EQUAL]}\n";
    let bad_rows = [
        ("        aName: {type: string, operators: [EQUAL]}\n", "bCount: the enum value has no row"),
        (
            "        cOther: {type: string, operators: [EQUAL]}\n",
            "row \"cOther\" is not a value of the schema's `enum`",
        ),
        ("        aName: {type: text, operators: [EQUAL]}\n", "aName: `type` must be one of"),
        ("        aName: {type: string, operators: [LIKE]}\n", "operator \"LIKE\" is repeated or not in"),
        ("        aName: {type: string, operators: [EQUAL, EQUAL]}\n", "operator \"EQUAL\" is repeated or not in"),
        ("        aName: {type: string, operators: []}\n", "aName: `operators` must be a non-empty list"),
        ("        aName: {type: string, operators: [EQUAL], nulable: true}\n", "aName: unknown key \"nulable\""),
        ("        aName: {type: string, nullable: true, operators: [EQUAL]}\n", "only integer fields"),
        ("        aName: {type: integer, operators: [EQUAL, BETWEEN]}\n", "ambiguous"),
    ];
    for (i, (row, expected)) in bad_rows.into_iter().enumerate() {
        // The first case leaves `bCount` out; the others add its (valid) row.
        let rows = if i == 0 { row.to_string() } else { format!("{row}{b_row}") };
        let err = build_script::generate("t", &table(&rows)).err().unwrap_or_else(|| panic!("{rows} should fail"));
        assert!(err.starts_with("schema Field: x-filter-table: "), "{err}");
        assert!(err.contains(expected), "{err:?} should contain {expected:?}");
        assert!(!err.contains('\n'), "{err:?}");
    }

    let body = |props: &str| {
        spec(&format!("    Body:\n      type: object\n      required: [from]\n      properties:\n{props}"))
    };
    let generated = build_script::generate(
        "t",
        &body(
            "        from: {type: string, x-format: e164}\n        to: {type: array, items: {type: string, x-format: e164}}\n",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for expected in [
        "pub const E164_FIELDS: &[&str] = &[",
        "\"/components/schemas/Body/properties/from\",\n    \"/components/schemas/Body/properties/to/items\",",
    ] {
        assert!(generated.facts.contains(expected), "{expected:?} in\n{}", generated.facts);
    }
    assert!(!generated.facts.contains("fn e164_values"), "the rule is the validator's, not a generated copy");
    for (props, expected) in [
        (
            "        from: {type: integer, x-format: e164}\n",
            "/components/schemas/Body/properties/from: x-format: e164 needs `type: string` beside it",
        ),
        ("        from: {type: string, x-format: phone}\n", "x-format \"phone\" is unknown (known: e164)"),
        (
            "        from: {type: array, items: {type: integer, x-format: e164}}\n",
            "/components/schemas/Body/properties/from/items: x-format: e164 needs `type: string`",
        ),
    ] {
        let err = build_script::generate("t", &body(props)).err().unwrap_or_else(|| panic!("{props} should fail"));
        assert!(err.contains(expected), "{err:?} should contain {expected:?}");
        assert!(!err.contains('\n'), "{err:?}");
    }
}

/// `nullable: true` beside `allOf` or `$ref` has no effect in OpenAPI 3.0.3:
/// generation stops and names the schema.
#[test]
fn nullable_where_it_has_no_effect_is_a_generation_error() {
    let spec = |property: &str| {
        format!(
            r#"
openapi: 3.0.3
info: {{title: t, version: '1'}}
paths:
  /x:
    get:
      operationId: getX
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Reply'}}
components:
  schemas:
    Message: {{type: object, properties: {{text: {{type: string}}}}}}
    Reply:
      type: object
      properties:
        message:
{property}"#
        )
    };
    let beside_all_of =
        "          type: object\n          nullable: true\n          allOf: [{$ref: '#/components/schemas/Message'}]\n";
    let err = build_script::generate("raia", &spec(beside_all_of)).err().unwrap();
    assert!(err.starts_with("#/components/schemas/Reply/properties/message: `nullable: true` beside `allOf`"), "{err}");
    let beside_ref = "          $ref: '#/components/schemas/Message'\n          nullable: true\n";
    let err = build_script::generate("raia", &spec(beside_ref)).err().unwrap();
    assert!(err.contains("/properties/message: `nullable: true` beside `$ref`"), "{err}");
    let without_type = "          anyOf:\n            - $ref: '#/components/schemas/Message'\n            - {nullable: true, enum: [null]}\n";
    let err = build_script::generate("raia", &spec(without_type)).err().unwrap();
    assert!(err.contains("/properties/message/anyOf/1: `nullable: true` without a `type`"), "{err}");
    let any_of = "          anyOf:\n            - $ref: '#/components/schemas/Message'\n            - {enum: [null]}\n";
    let generated = build_script::generate("raia", &spec(any_of)).unwrap();
    assert!(generated.client.contains("pub message: ::std::option::Option<Message>"), "still an Option<Message>");
}

/// The properties the vendors send as an object or `null` accept both (and
/// nothing else), in the crate's validator and survey as in any OpenAPI 3.0
/// validator.
#[test]
fn nullable_references_accept_null_and_their_object() {
    use convo_clients::spec::validate::SpecValidator;

    let cases = [
        ("liveperson", "Command", r#"{"id":"1","state":"waiting","result":null}"#, true),
        ("liveperson", "Command", r#"{"id":"1","state":"completed","result":{"startTime":1}}"#, true),
        ("liveperson", "Command", r#"{"id":"1","state":"completed","result":{"startTime":"soon"}}"#, false),
        ("raia", "AgentReply", r#"{"status":"pending","message":null,"error":null}"#, true),
        ("raia", "AgentReply", r#"{"status":"pending","message":"hi","error":null}"#, false),
    ];
    for (api, schema, body, valid) in cases {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("specs/{api}.yaml"));
        let mut spec: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        // One operation that answers the schema.
        spec["paths"] = serde_json::json!({"/x": {"get": {"operationId": "x", "responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}},
        }}}}});
        let validator = SpecValidator::new(&spec).unwrap();
        let checked = validator.validate_response("x", 200, Some("application/json"), body.as_bytes());
        assert_eq!(checked.is_ok(), valid, "{api} {body}: {checked:?}");
        let json = [("content-type".to_owned(), "application/json".to_owned())];
        let survey = validator.survey_response("x", 200, &json, Some(body.as_bytes()));
        assert_eq!(survey.drift.is_empty(), valid, "{api} {body}: {:?}", survey.drift);
    }
}

/// Paging is a fact of the spec: each list whose answer links to its next
/// page (`links` back to the same operation) is paged, with its items found.
#[test]
fn every_list_that_links_to_its_next_page_is_paged() {
    use convo_clients::spec::model::Spec;
    let mut paged = Vec::new();
    for (api, path) in specs() {
        let generated = build_script::generate_file(&api, &path).unwrap();
        let spec = Spec::from_json(&generated.spec_json).unwrap_or_else(|e| panic!("specs/{api}.yaml: {e}"));
        for op in &spec.operations {
            if let Some(p) = &op.paging {
                let plus = if p.number.is_some() { "+1" } else { "" };
                paged.push(format!("{api} {} {}<-{}{plus} {}", op.id, p.param, p.next, p.items));
            }
        }
    }
    assert_eq!(
        paged,
        [
            "llamadapro getContacts pageToken<-/nextPageToken /items",
            "llamadapro searchContacts pageToken<-/nextPageToken /items",
            "llamadapro getCustomFieldDefinitions pageToken<-/nextPageToken /items",
            "llamadapro getCustomFieldListOptions pageToken<-/nextPageToken /items",
            "llamadapro getTasks pageToken<-/nextPageToken /items",
            "luware searchConversations nextPageToken<-/nextPageToken /conversations",
            "raia listConversations page<-/currentPage+1 /data",
            "salesloft listConversations page<-/metadata/paging/next_page /data",
            "salesloft listTranscriptions page<-/metadata/paging/next_page /data",
            "salesloft listTranscriptionSentences page<-/metadata/paging/next_page /data",
        ]
    );
}
