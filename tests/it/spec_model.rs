//! The spec model (`spec::model`): operations, parameters, bodies,
//! responses, security schemes and the extensions (`x-cli`, `x-filter`,
//! `x-wait`, paging links) read once into typed fields, and what does not
//! fit named by its place and JSON pointer.

use convo_clients::spec::model::{
    Carrier, FilterOp, ItemKind, Location, Operation, Parameter, SortFlag, Spec, Split, property_cli,
};
use serde_json::{Value, json};

// The model's types are `#[non_exhaustive]`: compared field by field.

/// An `x-filter`'s field, op, and fields with their paths.
type FilterFields<'a> = (&'a str, FilterOp, &'a [(String, Vec<String>)]);

/// A parameter's `x-filter`.
fn filter_of(parameter: &Parameter) -> Option<FilterFields<'_>> {
    parameter.filter.as_ref().map(|f| (f.field.as_str(), f.op, f.fields.as_slice()))
}

/// An operation's paging: param, in body, next, items, and the number's `more` and `last`.
type PagingFields<'a> = (&'a str, bool, &'a str, &'a str, Option<(Option<&'a str>, Option<&'a str>)>);

fn paging_of(operation: &Operation) -> Option<PagingFields<'_>> {
    operation.paging.as_ref().map(|p| {
        let number = p.number.as_ref().map(|n| (n.more.as_deref(), n.last.as_deref()));
        (p.param.as_str(), p.in_body, p.next.as_str(), p.items.as_str(), number)
    })
}

/// A split's separator, keys and required count.
fn split_of(split: &Split) -> (&str, &[String], usize) {
    (split.separator.as_str(), split.keys.as_slice(), split.required)
}

fn spec() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "T", "version": "1"},
        "servers": [{"url": "https://{host}/v1", "variables": {"host": {"default": "t.example"}}}],
        "security": [{"Key": []}],
        "components": {
            "securitySchemes": {
                "Key": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "x-cli": {"env": "T_KEY"}},
                "Token": {"type": "http", "scheme": "bearer", "description": "The `login` token.\n\nFor an hour.", "x-cli": {"flag": "login-token"}}
            },
            "parameters": {"Id": {"name": "id", "in": "path", "schema": {"type": "string"}}},
            "schemas": {"Thing": {"type": "object", "example": {"id": "t1"}}}
        },
        "x-rate-limit": {"remaining-header": "X-Left", "window-seconds": 60},
        "paths": {
            "/things/{id}": {
                "parameters": [{"$ref": "#/components/parameters/Id"},
                               {"name": "v", "in": "query", "schema": {"type": "integer"}}],
                "get": {
                    "operationId": "getThing",
                    "parameters": [{"name": "v", "in": "query", "required": true, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "ok",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                                "links": {"self": {"operationId": "getThing",
                                                   "parameters": {"id": "$response.body#/id"}}}},
                        "404": {"description": "no"}
                    }
                },
                "post": {
                    "operationId": "touchThing",
                    "x-retry-safe": true,
                    "security": [{"Token": []}],
                    "servers": [{"url": "https://elsewhere.example"}],
                    "requestBody": {"required": true, "content": {
                        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "responses": {"200": {"description": "ok",
                                          "content": {"application/octet-stream": {"schema": {"type": "string"}}}}}
                }
            }
        }
    })
}

#[test]
fn operations_parameters_bodies_responses_and_extensions() {
    let spec = Spec::parse(&spec()).unwrap();
    assert_eq!(spec.title.as_deref(), Some("T"));
    let get = spec.operation("getThing").unwrap();
    assert_eq!((get.method.as_str(), get.path.as_str()), ("get", "/things/{id}"));
    // The path item's `id` (through its $ref) and the operation's own `v`.
    let params: Vec<(&str, Location, bool)> =
        get.parameters.iter().map(|p| (p.name.as_str(), p.location, p.required)).collect();
    assert_eq!(params, [("id", Location::Path, true), ("v", Location::Query, true)]);
    assert_eq!(get.parameters[1].schema, json!({"type": "string"}));
    assert_eq!(get.first_security(), ["Key"]);
    assert_eq!(get.pointer, "#/paths/~1things~1{id}/get");
    assert_eq!(get.responses.len(), 2);
    assert_eq!(get.responses[0].content[0].example, Some(json!({"id": "t1"})));
    assert_eq!(get.responses[0].links[0].operation_id, "getThing");
    assert_eq!(get.success_media_types(), ["application/json"]);
    assert!(!get.retry_safe && get.server.is_none());

    let post = spec.operation("touchThing").unwrap();
    assert!(post.retry_safe);
    assert_eq!(post.security, [vec!["Token".to_owned()]]);
    assert_eq!(post.server.as_deref(), Some("https://elsewhere.example"));
    assert!(post.request_body.as_ref().unwrap().required);
    assert_eq!(post.body_media().unwrap().name, "application/json");
    assert_eq!(post.success_media_types(), ["application/octet-stream"]);

    let [key, token] = &spec.security_schemes[..] else { panic!("two schemes") };
    assert_eq!((key.name.as_str(), &key.carrier), ("Key", &Carrier::Header("x-api-key".into())));
    assert_eq!(
        (key.setting(), key.cli_env.as_deref(), key.description.as_deref()),
        ("key".into(), Some("T_KEY"), None)
    );
    assert_eq!((token.name.as_str(), &token.carrier), ("Token", &Carrier::Authorization("bearer".into())));
    // The flag names the setting; the description's first paragraph is kept.
    assert_eq!((token.setting(), token.description.as_deref()), ("login_token".into(), Some("The `login` token.")));
    assert_eq!(spec.servers, ["https://t.example/v1"]);
    let mut doc = self::spec();
    let rule = json!({"field": "a.b", "op": "starts-with", "x-provenance": {"status": "inferred"}});
    doc["paths"]["/things/{id}"]["get"]["parameters"][0]["x-filter"] = rule;
    let filtered = Spec::parse(&doc).unwrap();
    let v = &filtered.operation("getThing").unwrap().parameters[1];
    assert_eq!(filter_of(v), Some(("a.b", FilterOp::StartsWith, &[][..])));
    assert_eq!(get.parameters[1].filter, None);
    // A filter language: `name:value` pairs, each name's paths; a text held by one of several fields.
    let pairs = json!({"op": "pairs", "fields": {"email": ["email", "addresses.address"], "tags.*": "tags.*"}});
    doc["paths"]["/things/{id}"]["get"]["parameters"][0]["x-filter"] = pairs;
    doc["paths"]["/things/{id}"]["get"]["parameters"][0]["x-sort"] = json!({"fields": ["id", "name"]});
    let v = Spec::parse(&doc).unwrap().operation("getThing").unwrap().parameters[1].clone();
    let fields = vec![
        ("email".into(), vec!["email".into(), "addresses.address".into()]),
        ("tags.*".into(), vec!["tags.*".into()]),
    ];
    assert_eq!(filter_of(&v), Some(("", FilterOp::Pairs, fields.as_slice())));
    assert_eq!(v.sorts, ["id", "name"]);
    doc["paths"]["/things/{id}"]["get"]["parameters"][0]["x-filter"] = json!({"field": ["a", "b"], "op": "contains"});
    let v = Spec::parse(&doc).unwrap().operation("getThing").unwrap().parameters[1].clone();
    let fields = vec![("a".into(), vec!["a".into(), "b".into()])];
    assert_eq!(filter_of(&v), Some(("a", FilterOp::Contains, fields.as_slice())));
    let limit = spec.rate_limit.unwrap();
    assert_eq!((limit.remaining_header.as_str(), limit.window_seconds, limit.max_cost), ("x-left", 60, 1));
}

#[test]
fn what_does_not_fit_is_named_by_its_place_and_pointer() {
    let failed = |edit: &dyn Fn(&mut Value)| {
        let mut doc = spec();
        edit(&mut doc);
        Spec::parse(&doc).unwrap_err()
    };
    let e = failed(&|doc| doc["components"]["securitySchemes"]["Key"] = json!({"type": "mutualTLS"}));
    assert_eq!(e.pointer, "#/components/securitySchemes/Key");
    assert_eq!(e.to_string(), "security scheme Key: type Some(\"mutualTLS\") is not supported");
    let e = failed(&|doc| doc["components"]["securitySchemes"]["Key"]["x-cli"] = json!({"flag": 1}));
    assert_eq!(e.to_string(), "security scheme Key: x-cli: `flag` must be a text");
    let e = failed(&|doc| doc["x-rate-limit"]["window-seconds"] = json!(0));
    assert_eq!(e.to_string(), "x-rate-limit: window-seconds must be positive");
    let e = failed(&|doc| doc["paths"]["/things/{id}"]["get"]["parameters"][0]["x-on-maximum"] = json!("wrap"));
    assert_eq!(e.pointer, "#/paths/~1things~1{id}/get/parameters/0");
    assert_eq!(e.to_string(), "GET /things/{id}: query parameter v: unsupported x-on-maximum Some(\"wrap\")");
    let filter =
        |rule: Value| failed(&|doc| doc["paths"]["/things/{id}"]["get"]["parameters"][0]["x-filter"] = rule.clone());
    let e = filter(json!({"field": "a.b", "op": "like"}));
    assert_eq!(e.pointer, "#/paths/~1things~1{id}/get/parameters/0/x-filter");
    assert!(
        e.to_string()
            .ends_with("x-filter: op \"like\" is not one of eq, lt, lte, gt, gte, in, starts-with, contains, pairs"),
        "{e}"
    );
    assert!(filter(json!({"op": "eq"})).to_string().contains("`field` must name"));
    assert!(filter(json!({"field": ["a", "b"], "op": "eq"})).to_string().contains("only with op contains"));
    assert!(filter(json!({"op": "pairs", "fields": {"a": 1}})).to_string().contains("`fields` must give"));
    assert!(filter(json!({"field": "a", "op": "eq", "on": 1})).to_string().contains("unknown key \"on\""));
    let e = failed(&|doc| doc["paths"]["/things/{id}"]["get"]["x-range"] = json!({"from": "a"}));
    assert_eq!(e.to_string(), "GET /things/{id}: x-range: `to` must name a parameter");
    let e = failed(&|doc| doc["paths"]["/things/{id}"]["post"]["security"] = json!([{"Nope": []}]));
    assert_eq!(e.to_string(), "POST /things/{id}: security scheme Nope is not in components.securitySchemes");
    let e = failed(&|doc| {
        doc["paths"]["/things/{id}"]["get"].as_object_mut().unwrap().remove("operationId");
    });
    assert_eq!(e.to_string(), "GET /things/{id}: no operationId");
}

#[test]
fn a_link_back_to_the_same_operation_is_its_paging() {
    let list = |links: Value, items: Value| {
        json!({"openapi": "3.0.3", "info": {"title": "T", "version": "1"}, "paths": {"/things": {"get": {
            "operationId": "listThings",
            "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "ok", "links": links, "content": {"application/json": {"schema": {
                "type": "object", "properties": items}}}}}}}}})
    };
    let next = json!({"next": {"operationId": "listThings", "parameters": {"page": "$response.body#/meta/next"}}});
    let paged =
        Spec::parse(&list(next.clone(), json!({"data": {"type": "array"}, "meta": {"type": "object"}}))).unwrap();
    assert_eq!(paging_of(&paged.operations[0]), Some(("page", false, "/meta/next", "/data", None)));
    // `x-body`: the next page's value goes in a field of the request body.
    let body = json!({"next": {"operationId": "listThings", "x-body": {"pageToken": "$response.body#/meta/next"}}});
    let searched = Spec::parse(&list(body, json!({"data": {"type": "array"}}))).unwrap();
    assert_eq!(paging_of(&searched.operations[0]), Some(("pageToken", true, "/meta/next", "/data", None)));
    let body = json!({"next": {"operationId": "listThings", "x-body": "pageToken"}});
    let error = Spec::parse(&list(body, json!({"data": {"type": "array"}}))).unwrap_err();
    assert!(error.message.contains("x-body must map"), "{error}");

    // Two arrays: where the items are must be said.
    let two = json!({"a": {"type": "array"}, "b": {"type": "array"}});
    let error = Spec::parse(&list(next.clone(), two.clone())).unwrap_err();
    assert!(error.message.contains("x-items"), "{error}");
    assert_eq!(error.pointer, "#/paths/~1things/get/responses/200/links/next");
    let mut said = next;
    said["next"]["x-items"] = json!("/b");
    let said = Spec::parse(&list(said, two)).unwrap();
    assert_eq!(said.operations[0].paging.as_ref().map(|p| p.items.as_str()), Some("/b"));

    // Numbered pages: the answer says its own number; the next is one more
    // while `more` is true, below `last`, and the page had items.
    let mut numbered = json!({"next": {"operationId": "listThings", "parameters": {"page": "$response.body#/n"}}});
    numbered["next"]["x-page-number"] = json!({"more": "/more", "last": "/pages"});
    let numbered = Spec::parse(&list(numbered, json!({"data": {"type": "array"}}))).unwrap();
    let paging = numbered.operations[0].paging.clone().unwrap();
    let number = paging.number.as_ref().map(|n| (n.more.as_deref(), n.last.as_deref()));
    assert_eq!(number, Some((Some("/more"), Some("/pages"))));
    let next = |answer: Value| paging.next_value(&answer);
    assert_eq!(next(json!({"n": 1, "more": true, "pages": 3, "data": [1]})), Some(json!(2)));
    assert_eq!(next(json!({"n": 3, "more": true, "pages": 3, "data": [1]})), None, "the last page");
    assert_eq!(next(json!({"n": 1, "more": false, "pages": 3, "data": [1]})), None, "no more");
    assert_eq!(next(json!({"n": 1, "more": true, "pages": 3, "data": []})), None, "an empty page");
    assert_eq!(next(json!({"more": true, "data": [1]})), None, "no number");
    let mut wrong = json!({"next": {"operationId": "listThings", "parameters": {"page": "$response.body#/n"}}});
    wrong["next"]["x-page-number"] = json!({"more": "/more", "total": "/pages"});
    let error = Spec::parse(&list(wrong, json!({"data": {"type": "array"}}))).unwrap_err();
    assert!(error.message.contains("unknown key \"total\""), "{error}");

    // A link to the same operation through a path parameter is not paging.
    assert_eq!(Spec::parse(&spec()).unwrap().operations[0].paging, None);
}

/// `x-cli` is read once into typed fields; an unknown key names where it is.
#[test]
fn x_cli_names_commands_and_flags() {
    let mut doc = spec();
    let get = &mut doc["paths"]["/things/{id}"]["get"];
    get["x-cli"] = json!({"name": "things get", "aliases": ["show"], "columns": ["id", "owner.id"], "record": "/data"});
    get["parameters"][0]["x-cli"] = json!({"flag": "version", "aliases": ["ver"], "conflicts": ["id"]});
    let parsed = Spec::parse(&doc).unwrap();
    let op = parsed.operation("getThing").unwrap();
    let cli = op.cli.as_ref().unwrap();
    assert_eq!(
        (cli.name.as_slice(), cli.aliases.as_slice()),
        (&["things".to_owned(), "get".to_owned()][..], &["show".to_owned()][..])
    );
    assert_eq!((cli.columns.len(), cli.record.as_deref(), &cli.sort), (2, Some("/data"), &None));
    let v = op.parameters.iter().find(|p| p.name == "v").unwrap();
    assert_eq!(
        (v.cli.flag.as_deref(), v.cli.aliases.as_slice(), v.cli.conflicts.as_slice()),
        (Some("version"), &["ver".to_owned()][..], &["id".to_owned()][..])
    );

    // One sort parameter taking FIELD=DIRECTION; a body property's shorthands.
    doc["paths"]["/things/{id}"]["get"]["x-cli"]["sort"] = json!({"param": "v", "separator": "="});
    let op = Spec::parse(&doc).unwrap().operation("getThing").unwrap().clone();
    let joined = SortFlag::Joined { param: "v".into(), separator: "=".into() };
    assert_eq!(op.cli.and_then(|c| c.sort), Some(joined));
    // A direction alone, the order by one field.
    doc["paths"]["/things/{id}"]["get"]["x-cli"]["sort"] = json!({"direction": "v", "by": "createdAt"});
    let op = Spec::parse(&doc).unwrap().operation("getThing").unwrap().clone();
    let direction = SortFlag::Direction { direction: "v".into(), by: "createdAt".into() };
    assert_eq!(op.cli.and_then(|c| c.sort), Some(direction));
    let actor = property_cli("by", &json!({"x-cli": {"split": {"separator": ":", "keys": ["type", "id"]}}})).unwrap();
    assert_eq!(actor.split.as_ref().map(split_of), Some((":", &["type".to_owned(), "id".to_owned()][..], 2)));
    assert_eq!(property_cli("data", &json!({"x-cli": {"pairs": "="}})).unwrap().pairs.as_deref(), Some("="));

    doc["paths"]["/things/{id}"]["get"]["x-cli"] = json!({"name": "things get", "colums": []});
    let error = Spec::parse(&doc).unwrap_err();
    assert!(error.pointer.ends_with("/get/x-cli") && error.message.contains("colums"), "{error:?}");
}

/// `x-wait` on the operation that reports a state; an operation whose
/// answer links to it waits through the link, the operation itself on
/// its own values.
#[test]
fn x_wait_and_the_links_that_lead_to_it() {
    let mut doc = spec();
    let get = &mut doc["paths"]["/things/{id}"]["get"];
    get["x-wait"] = json!({"field": "/state", "done": ["ready"], "failed": ["broken"], "reason": "/why", "result": "/thing", "timeout": 9});
    doc["paths"]["/things/{id}"]["post"]["responses"]["200"]["links"] =
        json!({"thing": {"operationId": "getThing", "parameters": {"id": "$request.path.id"}}});
    let parsed = Spec::parse(&doc).unwrap();
    let get = parsed.operation("getThing").unwrap();
    let wait = get.wait.clone().unwrap();
    assert_eq!(
        (wait.field.as_str(), wait.done.as_slice(), wait.reason.as_deref()),
        ("/state", &["ready".to_owned()][..], Some("/why"))
    );
    assert_eq!((wait.timeout, wait.interval, wait.result.as_deref()), (Some(9), None, Some("/thing")));
    let (status, link) = parsed.wait_link(get).unwrap();
    assert_eq!((status.id.as_str(), link.is_none()), ("getThing", true));
    let touch = parsed.operation("touchThing").unwrap();
    let (status, link) = parsed.wait_link(touch).unwrap();
    assert_eq!((status.id.as_str(), link.unwrap().parameters.len()), ("getThing", 1));

    doc["paths"]["/things/{id}"]["get"]["x-wait"] = json!({"field": "state", "done": ["ready"]});
    let error = Spec::parse(&doc).unwrap_err();
    assert!(error.pointer.ends_with("/get/x-wait") && error.message.contains("JSON pointer"), "{error:?}");
    doc["paths"]["/things/{id}"]["get"]["x-wait"] = json!({"field": "/state", "done": []});
    assert!(Spec::parse(&doc).unwrap_err().message.contains("done"));
    doc["paths"]["/things/{id}"]["get"]["x-wait"] = json!({"field": "/state", "done": ["ready"], "result": "thing"});
    assert!(Spec::parse(&doc).unwrap_err().message.contains("`result` must be a JSON pointer"));
}

/// A list's item flags, short names of values, a split with optional
/// parts, a default, and a body read from one text in place.
#[test]
fn x_cli_items_values_defaults_and_a_body_in_place() {
    let cli = property_cli(
        "messages",
        &json!({"x-cli": {"items": [
            {"flag": "text", "item": "$"},
            {"flag": "tag", "into": "/tags/-", "item": {"k": "$1", "v": "$2"}, "separator": "=", "kind": "text"},
        ]}}),
    )
    .unwrap();
    assert_eq!(cli.items.len(), 2);
    assert_eq!((cli.items[1].into.as_deref(), cli.items[1].kind), (Some("/tags/-"), ItemKind::Text));
    let bad = property_cli("m", &json!({"x-cli": {"items": [{"flag": "x", "item": "$", "kind": "date"}]}}));
    assert!(bad.unwrap_err().message.contains("kind \"date\""));
    let bad = property_cli("m", &json!({"x-cli": {"items": [{"flag": "x", "item": "$", "into": "typing"}]}}));
    assert!(bad.unwrap_err().message.contains("JSON pointer"));

    let action = property_cli("a", &json!({"x-cli": {"values": {"stop": "stopRecording"}, "default": "x"}})).unwrap();
    assert_eq!(action.values, [("stop".to_owned(), "stopRecording".to_owned())]);
    assert_eq!(action.default, Some(json!("x")));

    let split = property_cli("t", &json!({"x-cli": {"split": {"separator": ":", "keys": ["ttrType", "value?"]}}}));
    let split = split.unwrap().split.unwrap();
    assert_eq!((split.keys.len(), split.required, split.value_name()), (2, 1, "TTRTYPE[:VALUE]".to_owned()));
    assert_eq!(split.read("custom:45").unwrap()["value"], "45");
    assert_eq!(split.read("urgent").unwrap().len(), 1);
    assert!(split.read(":45").is_none());
    let bad = property_cli("t", &json!({"x-cli": {"split": {"separator": ":", "keys": ["a?", "b"]}}}));
    assert!(bad.unwrap_err().message.contains("optional"));

    let mut doc = spec();
    doc["paths"]["/things/{id}"]["post"]["requestBody"]["x-cli"] =
        json!({"positional": "TTR", "split": {"separator": ":", "keys": ["ttrType", "value?"]}});
    let parsed = Spec::parse(&doc).unwrap();
    let body = parsed.operation("touchThing").unwrap().request_body.clone().unwrap();
    assert_eq!(body.cli.map(|c| c.positional), Some("TTR".to_owned()));
    doc["paths"]["/things/{id}"]["post"]["requestBody"]["x-cli"] = json!({"positional": "TTR"});
    assert!(Spec::parse(&doc).unwrap_err().message.contains("split"));
}
