//! Every operation in a spec is served: one an emulator has no behaviour for
//! is validated like any other request and answered with its documented
//! success response, built from the spec. Real HTTP over loopback.

use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};
use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox};
use convo_clients::sandbox::validate::SpecValidator;
use convo_clients::sandbox::{FALLBACK_HEADER, HarnessConfig, SPEC_CREDENTIAL, SpecSandbox};
use serde_json::{Value, json};

/// The Luware spec the crate embeds, plus an operation nobody has emulated:
/// `GET /vfcrest/v1/conversations/{ccdrId}/notes`, answered by a `$ref`
/// schema that refers to other new and existing schemas.
fn luware_with_notes() -> Value {
    let mut spec: Value = serde_json::from_str(convo_clients::luware::SPEC_JSON).unwrap();
    let schemas = spec["components"]["schemas"].as_object_mut().unwrap();
    schemas.insert(
        "NoteList".into(),
        json!({"type": "object", "required": ["ccdrId", "notes"], "properties": {
            "ccdrId": {"type": "string"},
            "notes": {"type": "array", "minItems": 2, "items": {"$ref": "#/components/schemas/Note"}},
            "nextPageToken": {"type": "string", "nullable": true},
        }}),
    );
    schemas.insert(
        "Note".into(),
        json!({"type": "object", "required": ["id", "text", "createdAt", "direction"], "properties": {
            "id": {"type": "string", "format": "uuid"},
            "text": {"type": "string", "minLength": 1, "maxLength": 500},
            "createdAt": {"type": "string", "format": "date-time"},
            "direction": {"$ref": "#/components/schemas/Direction"},
            "pinned": {"type": "boolean"},
            "votes": {"type": "integer", "minimum": 0, "maximum": 10},
            "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Note"}},
        }}),
    );
    spec["paths"]["/vfcrest/v1/conversations/{ccdrId}/notes"] = json!({"get": {
        "operationId": "listConversationNotes",
        "parameters": [
            {"$ref": "#/components/parameters/CcdrId"},
            {"name": "pinned", "in": "query", "schema": {"type": "boolean"}},
        ],
        "responses": {
            "200": {"description": "The notes", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/NoteList"},
            }}},
            "404": {"description": "No such conversation"},
        },
    }});
    spec
}

/// A credential for every scheme of the five specs: the one a spec sandbox takes.
fn any_credentials() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in [
        ("ocp-apim-subscription-key", "sandbox"),
        ("authorization", "Bearer sandbox"),
        ("agent-secret-key", "sandbox"),
        ("x-api-key", "sandbox"),
    ] {
        headers.insert(name, reqwest::header::HeaderValue::from_static(value));
    }
    headers
}

async fn get(url: &str) -> (u16, Option<String>, Option<String>, Value) {
    let response = crate::raw_http().get(url).headers(any_credentials()).send().await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (fallback, content_type) = (header(FALLBACK_HEADER), header("content-type"));
    let body = response.json().await.unwrap_or(Value::Null);
    (status, fallback, content_type, body)
}

#[tokio::test]
async fn a_new_operation_is_served_as_soon_as_it_is_in_the_spec() {
    let spec = luware_with_notes();
    let sb = SpecSandbox::from_spec(&spec, 0, &HarnessConfig::default()).await.unwrap();
    let url = format!("{}/vfcrest/v1/conversations/c-42/notes?pinned=true", sb.base_url());

    let (status, fallback, content_type, body) = get(&url).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(fallback.as_deref(), Some("listConversationNotes"));
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let validator = SpecValidator::new(&spec).unwrap();
    validator
        .validate_response("listConversationNotes", 200, Some("application/json"), body.to_string().as_bytes())
        .unwrap();
    let notes = body["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "{body}");
    assert_ne!(notes[0]["id"], notes[1]["id"], "items are told apart");
    assert_eq!(notes[0]["createdAt"], "2024-01-01T00:00:00Z");
    assert_eq!(notes[0]["direction"], spec["components"]["schemas"]["Direction"]["enum"][0]);
    assert!(notes[0]["votes"].as_i64().is_some_and(|v| (0..=10).contains(&v)), "{body}");

    // The same answer every time.
    assert_eq!(get(&url).await.3, body);
    // Still validated like any other request.
    let (status, fallback, ..) =
        get(&format!("{}/vfcrest/v1/conversations/c-42/notes?pinned=maybe", sb.base_url())).await;
    assert_eq!((status, fallback), (400, None));
    let (status, ..) = get(&format!("{}/vfcrest/v1/conversations/c-42/notes?sort=asc", sb.base_url())).await;
    assert_eq!(status, 400);
    let (status, ..) = get(&format!("{}/vfcrest/v1/nowhere", sb.base_url())).await;
    assert_eq!(status, 404);
    let response = crate::raw_http().delete(&url).headers(any_credentials()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);

    assert!(sb.requests().iter().any(|r| r.path == "/vfcrest/v1/conversations/c-42/notes"));
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;
}

/// A value for a path parameter its schema accepts.
fn path_value(spec: &Value, param: &Value) -> String {
    let resolve = |node: &Value| match node.get("$ref").and_then(Value::as_str) {
        Some(pointer) => spec.pointer(pointer.trim_start_matches('#')).cloned().unwrap_or_default(),
        None => node.clone(),
    };
    let schema = resolve(&resolve(param)["schema"]);
    match (&schema["enum"][0], schema["type"].as_str()) {
        (Value::String(first), _) => first.clone(),
        (_, Some("integer" | "number")) => "1".into(),
        _ => "x1".into(),
    }
}

#[tokio::test]
async fn a_spec_sandbox_serves_every_get_of_every_api() {
    let specs = [
        convo_clients::luware::SPEC_JSON,
        convo_clients::raia::SPEC_JSON,
        convo_clients::salesloft::SPEC_JSON,
        convo_clients::liveperson::SPEC_JSON,
        convo_clients::llamadapro::SPEC_JSON,
    ];
    let mut served = 0;
    for text in specs {
        let spec: Value = serde_json::from_str(text).unwrap();
        let validator = SpecValidator::new(&spec).unwrap();
        let sb = SpecSandbox::from_spec(&spec, 0, &HarnessConfig::default()).await.unwrap();
        for (template, item) in spec["paths"].as_object().unwrap() {
            let Some(op) = item.get("get") else { continue };
            let params: Vec<&Value> = item["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(op["parameters"].as_array().into_iter().flatten())
                .collect();
            let resolve = |p: &Value| match p.get("$ref").and_then(Value::as_str) {
                Some(pointer) => spec.pointer(pointer.trim_start_matches('#')).cloned().unwrap_or_default(),
                None => p.clone(),
            };
            // Operations that need query parameters or headers are covered by the emulators' own tests.
            let needs_more = params
                .iter()
                .map(|p| resolve(p))
                .any(|p| p["in"] != "path" && (p["required"] == true || p.get("x-required-unless").is_some()));
            if needs_more {
                continue;
            }
            let mut path = template.clone();
            for param in params.iter().map(|p| resolve(p)).filter(|p| p["in"] == "path") {
                let name = param["name"].as_str().unwrap();
                path = path.replace(&format!("{{{name}}}"), &path_value(&spec, &param));
            }
            let id = op["operationId"].as_str().unwrap();
            let url = format!("{}{path}", sb.base_url());
            let response = crate::raw_http().get(url).headers(any_credentials()).send().await.unwrap();
            assert!(response.status().is_success(), "{id} {path}: {}", response.status());
            assert_eq!(response.headers()[FALLBACK_HEADER], id);
            let status = response.status().as_u16();
            let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
            let body = response.bytes().await.unwrap();
            validator.validate_response(id, status, content_type.as_deref(), &body).unwrap();
            served += 1;
        }
        assert_eq!(sb.contract_violations(), Vec::<String>::new());
        sb.shutdown().await;
    }
    assert!(served >= 15, "only {served} operations served");
}

#[tokio::test]
async fn emulated_operations_keep_their_behaviour() {
    let sb = RaiaSandbox::start(7, 0, RaiaConfig::default()).await.unwrap();
    let id = sb.conversation_ids()[0].clone();
    let url = format!("{}/external/conversations/{id}", sb.base_url());
    let http = crate::raw_http();
    // Authentication is the emulator's: a wrong key is still its 403.
    let denied = http.get(&url).header("Agent-Secret-Key", "wrong").send().await.unwrap();
    assert_eq!(denied.status().as_u16(), 403);
    assert!(denied.headers().get(FALLBACK_HEADER).is_none());
    let key = sb.secret_key();
    let found = http.get(&url).header("Agent-Secret-Key", key.expose()).send().await.unwrap();
    assert_eq!(found.status().as_u16(), 200);
    assert!(found.headers().get(FALLBACK_HEADER).is_none());
    let body: Value = found.json().await.unwrap();
    assert_eq!(body["id"], id.as_str(), "the emulator's own conversation, not a generated one");
    sb.shutdown().await;

    let sb = LuwareSandbox::start(3, 0, LuwareConfig::default()).await.unwrap();
    let response =
        crate::raw_http().get(format!("{}/vfcrest/v1/conversations/c1", sb.base_url())).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401, "no subscription key: the emulator's answer");
    assert!(response.headers().get(FALLBACK_HEADER).is_none());
    sb.shutdown().await;
}

/// An invalid request to each API: with good credentials it is refused for
/// what the spec says, without them (or with wrong ones) for that alone, in
/// the API's own error shape and without a word of the spec.
#[tokio::test]
async fn credentials_are_checked_before_the_request_is_validated() {
    use convo_clients::sandbox::liveperson::{LivePersonConfig, LivePersonSandbox};
    use convo_clients::sandbox::llamadapro::{LlamadaProConfig, LlamadaProSandbox};
    use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};

    let http = crate::raw_http();
    // `(status, body)` of `method url` with `headers`; a POST sends a broken JSON body.
    let send = |method: reqwest::Method, url: String, headers: Vec<(&'static str, String)>| {
        let mut request = http.request(method.clone(), url);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if method == reqwest::Method::POST {
            request = request.header("content-type", "application/json").body("{\"broken");
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let refused = |(status, body): (u16, Value), expected: u16, shape: &str| {
        assert_eq!(status, expected, "{body}");
        assert!(body.get(shape).is_some(), "the API's own error shape: {body}");
        let text = body.to_string();
        assert!(!text.contains("request body") && !text.contains("query parameter"), "{text}");
    };
    let post = reqwest::Method::POST;
    let get = reqwest::Method::GET;

    let sb = LuwareSandbox::start(3, 0, LuwareConfig::default()).await.unwrap();
    let key = sb.credentials().subscription_key.expose().to_owned();
    let url = format!("{}/vfcrest/v1/conversations/c1/labels", sb.base_url());
    refused(send(post.clone(), url.clone(), vec![]).await, 401, "statusCode");
    refused(
        send(post.clone(), url.clone(), vec![("ocp-apim-subscription-key", "wrong".into())]).await,
        401,
        "statusCode",
    );
    let forged = vec![("ocp-apim-subscription-key", key.clone()), ("authorization", "Bearer a.b.c".into())];
    refused(send(post.clone(), url, forged).await, 401, "statusCode");
    refused(send(get.clone(), format!("{}/vfcrest/v1/nowhere", sb.base_url()), vec![]).await, 401, "statusCode");
    sb.shutdown().await;

    let sb = LivePersonSandbox::start(3, 0, LivePersonConfig::default()).await.unwrap();
    let url = format!("{}/api/v1/account/{}/conversation/c1/messages", sb.base_url(), sb.account_id());
    refused(send(post.clone(), url.clone(), vec![]).await, 401, "message");
    refused(send(post.clone(), url, vec![("authorization", "Bearer forged".into())]).await, 401, "message");
    sb.shutdown().await;

    let sb = RaiaSandbox::start(3, 0, RaiaConfig::default()).await.unwrap();
    let key = sb.secret_key().expose().to_owned();
    let url = format!("{}/external/conversations", sb.base_url());
    // raia answers any missing or wrong key with its 403 (the spec documents no 401).
    refused(send(post.clone(), url.clone(), vec![]).await, 403, "message");
    refused(send(post.clone(), url.clone(), vec![("agent-secret-key", "wrong".into())]).await, 403, "message");
    assert_eq!(send(post.clone(), url, vec![("agent-secret-key", key)]).await.0, 400);
    sb.shutdown().await;

    let sb = SalesloftSandbox::start(3, 0, SalesloftConfig::default()).await.unwrap();
    let url = format!("{}/v2/conversations?per_page=many", sb.base_url());
    refused(send(get.clone(), url.clone(), vec![]).await, 401, "error");
    refused(send(get.clone(), url.clone(), vec![("authorization", "Bearer wrong".into())]).await, 401, "error");
    let bearer = vec![("authorization", format!("Bearer {}", sb.api_key()))];
    assert_eq!(send(get.clone(), url, bearer).await.0, 422);
    sb.shutdown().await;

    let sb = LlamadaProSandbox::start(3, 0, LlamadaProConfig::default()).await.unwrap();
    let url = format!("{}/api/v1/contacts", sb.base_url());
    refused(send(post.clone(), url.clone(), vec![]).await, 401, "message");
    refused(send(post.clone(), url.clone(), vec![("x-api-key", "wrong".into())]).await, 401, "message");
    assert_eq!(send(post.clone(), url, vec![("x-api-key", sb.api_key())]).await.0, 400);
    sb.shutdown().await;

    // The spec alone: its one credential for every scheme, and nothing else.
    let spec: Value = serde_json::from_str(convo_clients::luware::SPEC_JSON).unwrap();
    let sb = SpecSandbox::from_spec(&spec, 0, &HarnessConfig::default()).await.unwrap();
    let url = format!("{}/vfcrest/v1/conversations/c1/labels", sb.base_url());
    let key = ("ocp-apim-subscription-key", SPEC_CREDENTIAL.to_string());
    refused(send(post.clone(), url.clone(), vec![key.clone()]).await, 401, "message");
    let wrong = vec![key.clone(), ("authorization", "Bearer any".into())];
    refused(send(post.clone(), url.clone(), wrong).await, 401, "message");
    let both = vec![key, ("authorization", format!("Bearer {SPEC_CREDENTIAL}"))];
    assert_eq!(send(post.clone(), url, both).await.0, 400);
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;
}

/// A spec of a small API of our own: one collection, paged by a token, and
/// the toys of each pet (a child collection).
fn pets_spec() -> Value {
    let pet = json!({"type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["cat", "dog"]},
        "age": {"type": "integer", "minimum": 0},
    }});
    let one = |status: &str| json!({status: {"description": "a pet", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}, "404": {"description": "none"}});
    let id = json!({"name": "petId", "in": "path", "required": true, "schema": {"type": "string"}});
    let toy = json!({"type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
    }});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Pets", "version": "1"},
        "paths": {
            "/pets": {
                "get": {"operationId": "listPets", "parameters": [
                    {"name": "pageToken", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 50}},
                    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["cat", "dog"]}},
                    {"name": "sort", "in": "query", "schema": {"type": "string"}},
                ], "responses": {"200": {"description": "pets", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["data"], "properties": {
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
                        "nextPageToken": {"type": "string", "nullable": true},
                    }}}},
                    "links": {"next": {"operationId": "listPets", "parameters": {"pageToken": "$response.body#/nextPageToken"}}}}}},
                "post": {"operationId": "createPet", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}, "responses": one("201")},
            },
            "/pets/{petId}": {
                "parameters": [id],
                "get": {"operationId": "getPet", "responses": one("200")},
                "patch": {"operationId": "updatePet", "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}, "responses": one("200")},
                "delete": {"operationId": "deletePet", "responses": {"204": {"description": "gone"}, "404": {"description": "none"}}},
            },
            "/pets/{petId}/toys": {
                "parameters": [id],
                "get": {"operationId": "listToys", "responses": {"200": {"description": "toys", "content": {"application/json": {"schema": {"type": "array", "items": toy}}}}, "404": {"description": "none"}}},
                "post": {"operationId": "createToy", "requestBody": {"required": true, "content": {"application/json": {"schema": toy}}}, "responses": {"201": {"description": "a toy", "content": {"application/json": {"schema": toy}}}, "400": {"description": "bad"}}},
            },
        },
        "components": {"schemas": {"Pet": pet}},
    })
}

#[tokio::test]
async fn a_spec_sandbox_keeps_its_collections_as_a_store() {
    let config = HarnessConfig { records: Some(45), ..HarnessConfig::default() };
    let sb = SpecSandbox::from_spec(&pets_spec(), 0, &config).await.unwrap();
    let http = crate::raw_http();
    let url = |path: &str| format!("{}{path}", sb.base_url());

    // The list pages by the spec's link: 45 records, 20 a page.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let query = token.as_ref().map(|t| format!("?pageToken={t}")).unwrap_or_default();
        let page: Value = http.get(url(&format!("/pets{query}"))).send().await.unwrap().json().await.unwrap();
        seen.extend(page["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["nextPageToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 45);
    let distinct: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 45, "every record once");

    // Filters and sorting the spec declares.
    let cats: Value = http.get(url("/pets?kind=cat&limit=50")).send().await.unwrap().json().await.unwrap();
    let cats = cats["data"].as_array().unwrap();
    assert!(!cats.is_empty() && cats.iter().all(|p| p["kind"] == "cat"), "{cats:?}");
    let sorted: Value = http.get(url("/pets?sort=-age&limit=50")).send().await.unwrap().json().await.unwrap();
    let ages: Vec<i64> = sorted["data"].as_array().unwrap().iter().map(|p| p["age"].as_i64().unwrap()).collect();
    assert!(ages.windows(2).all(|w| w[0] >= w[1]), "{ages:?}");

    // Create, read, update, delete, and a 404 after.
    let made = http
        .post(url("/pets"))
        .json(&json!({"id": "0b8d6f1e-0000-4000-8000-000000000001", "name": "Rex", "kind": "dog"}));
    let made = made.send().await.unwrap();
    assert_eq!(made.status().as_u16(), 201);
    assert_eq!(made.headers()[FALLBACK_HEADER], "createPet");
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["name"], "Rex");
    let at = url("/pets/0b8d6f1e-0000-4000-8000-000000000001");
    let got: Value = http.get(&at).send().await.unwrap().json().await.unwrap();
    assert_eq!((got["name"].as_str(), got["kind"].as_str()), (Some("Rex"), Some("dog")));
    let patched: Value = http.patch(&at).json(&json!({"name": "Max"})).send().await.unwrap().json().await.unwrap();
    assert_eq!((patched["name"].as_str(), patched["kind"].as_str()), (Some("Max"), Some("dog")));
    let all: Value = http.get(url("/pets?limit=50")).send().await.unwrap().json().await.unwrap();
    assert_eq!(all["data"].as_array().unwrap().last().unwrap()["name"], "Max", "the new record is listed");

    // A child collection lives under its record: it needs the record, and goes with it.
    let toys = format!("{at}/toys");
    let toy = http.post(&toys).json(&json!({"id": 7, "name": "ball"})).send().await.unwrap();
    assert_eq!(toy.status().as_u16(), 201);
    let listed: Value = http.get(&toys).send().await.unwrap().json().await.unwrap();
    assert!(listed.as_array().unwrap().iter().any(|t| t["name"] == "ball"), "{listed}");
    assert_eq!(http.delete(&at).send().await.unwrap().status().as_u16(), 204);
    let gone = http.get(&at).send().await.unwrap();
    assert_eq!(gone.status().as_u16(), 404);
    assert_eq!(http.delete(&at).send().await.unwrap().status().as_u16(), 404);
    assert_eq!(http.get(&toys).send().await.unwrap().status().as_u16(), 404, "documented: 404");
    let orphan = http.post(&toys).json(&json!({"id": 8, "name": "bone"})).send().await.unwrap();
    assert_eq!(orphan.status().as_u16(), 400, "no 404 documented: 400");
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;
}

/// A search paged in its body (`x-body` on its link): the store pages
/// it, by default over the collection it is under, as stored; its page
/// token is bound to the rest of the body, whatever the page size.
#[tokio::test]
async fn a_search_paged_in_its_body_is_paged_by_the_store() {
    let mut spec = pets_spec();
    let query = json!({"type": "object", "properties": {
        "pageToken": {"type": "string"}, "size": {"type": "integer", "minimum": 1}, "kind": {"type": "string"},
    }});
    let page = json!({"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}}, "nextPageToken": {"type": "string"},
    }});
    let next = json!({"operationId": "searchPets", "x-body": {"pageToken": "$response.body#/nextPageToken"}});
    spec["paths"]["/pets/search"] = json!({"post": {"operationId": "searchPets",
        "requestBody": {"required": true, "content": {"application/json": {"schema": query}}},
        "responses": {"200": {"description": "pets", "links": {"next": next},
            "content": {"application/json": {"schema": page}}},
            "400": {"description": "bad", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"message": {"type": "string"}}}}}}}}});
    let config = HarnessConfig { records: Some(45), ..HarnessConfig::default() };
    let sb = SpecSandbox::from_spec(&spec, 0, &config).await.unwrap();
    let http = crate::raw_http();
    let search = |body: Value| http.post(format!("{}/pets/search", sb.base_url())).json(&body).send();

    let mut seen = Vec::new();
    let mut body = json!({"size": 10, "kind": "cat"});
    loop {
        let page: Value = search(body.clone()).await.unwrap().json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 10, "{page}");
        seen.extend(items.iter().map(|p| p["id"].as_str().unwrap().to_owned()));
        match page["nextPageToken"].as_str() {
            Some(next) => body["pageToken"] = json!(next),
            None => break,
        }
    }
    let listed: Value =
        http.get(format!("{}/pets?limit=50", sb.base_url())).send().await.unwrap().json().await.unwrap();
    let listed: Vec<String> =
        listed["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!((seen.len(), &seen), (45, &listed), "every record once, as stored");

    let first: Value = search(json!({"size": 10, "kind": "cat"})).await.unwrap().json().await.unwrap();
    let token = first["nextPageToken"].as_str().unwrap();
    let resized = search(json!({"size": 35, "kind": "cat", "pageToken": token})).await.unwrap();
    assert_eq!(resized.status().as_u16(), 200, "the page size may change");
    let resized: Value = resized.json().await.unwrap();
    assert_eq!(resized["items"].as_array().unwrap().len(), 35);
    assert!(resized.get("nextPageToken").is_none(), "the last page has no token: {resized}");
    let other = search(json!({"size": 10, "kind": "dog", "pageToken": token})).await.unwrap();
    assert_eq!(other.status().as_u16(), 400, "a token of another search");
    let error = other.text().await.unwrap();
    assert!(error.contains("pageToken"), "{error}");
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;
}

/// A filter language the spec declares (`x-filter` with `pairs` and
/// `contains`) and the fields a sort may name (`x-sort`): the store keeps,
/// orders and refuses by them.
#[tokio::test]
async fn declared_filter_languages_and_sort_fields_are_the_stores() {
    let mut spec = pets_spec();
    let params = spec["paths"]["/pets"]["get"]["parameters"].as_array_mut().unwrap();
    params.push(json!({"name": "filterBy", "in": "query", "schema": {"type": "string"},
        "x-filter": {"op": "pairs", "fields": {"kind": "kind", "label": ["name", "kind"]}}}));
    params.push(json!({"name": "q", "in": "query", "schema": {"type": "string"},
        "x-filter": {"op": "contains", "field": ["name", "kind"]}}));
    params.iter_mut().find(|p| p["name"] == "sort").unwrap()["x-sort"] = json!({"fields": ["age", "name"]});
    spec["paths"]["/pets"]["get"]["responses"]["400"] = json!({"description": "bad", "content": {"application/json":
        {"schema": {"type": "object", "properties": {"message": {"type": "string"}}}}}});
    let config = HarnessConfig { records: Some(45), ..HarnessConfig::default() };
    let sb = SpecSandbox::from_spec(&spec, 0, &config).await.unwrap();
    let http = crate::raw_http();
    let list = |query: &str| http.get(format!("{}/pets?limit=50&{query}", sb.base_url())).send();
    let pets = |page: Value| page["data"].as_array().unwrap().clone();

    let cats = pets(list("filterBy=kind:CAT").await.unwrap().json().await.unwrap());
    assert!(!cats.is_empty() && cats.iter().all(|p| p["kind"] == "cat"), "ignoring case: {cats:?}");
    let either = pets(list("filterBy=label:dog").await.unwrap().json().await.unwrap());
    assert!(!either.is_empty() && either.iter().all(|p| p["kind"] == "dog"), "one of its paths: {either:?}");
    let named = pets(list("q=%20STRING1%20&sort=-age").await.unwrap().json().await.unwrap());
    assert!(named.iter().all(|p| p["name"].as_str().unwrap().starts_with("string1")), "{named:?}");
    assert!(!named.is_empty() && named.windows(2).all(|w| w[0]["age"].as_i64() >= w[1]["age"].as_i64()));
    for (query, refused) in
        [("filterBy=colour:red", "cannot filter by \"colour\""), ("sort=id", "cannot sort by \"id\"")]
    {
        let answer = list(query).await.unwrap();
        assert_eq!(answer.status().as_u16(), 400, "{query}");
        let error: Value = answer.json().await.unwrap();
        assert_eq!(error["message"], refused, "{query}");
    }
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;
}

/// A spec of notes: numbered pages that say their own number
/// (`x-page-number`), a literal path beside the templated one, and a
/// create body with a field the answers do not show.
fn notes_spec() -> Value {
    let note = json!({"type": "object", "required": ["id", "title"], "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "rank": {"type": "integer"},
    }});
    let draft = json!({"type": "object", "required": ["title"], "properties": {
        "title": {"type": "string"}, "rank": {"type": "integer"}, "draft": {"type": "string"},
    }});
    let int = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "integer", "minimum": 1}});
    let text = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string"}});
    let ok = |schema: Value| json!({"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}});
    let page = json!({"type": "object", "required": ["currentPage", "pageSize", "totalItems", "totalPages",
                                                  "hasNextPage", "hasPreviousPage", "data"],
    "properties": {
        "currentPage": {"type": "integer"}, "pageSize": {"type": "integer"}, "totalItems": {"type": "integer"},
        "totalPages": {"type": "integer"}, "hasNextPage": {"type": "boolean"},
        "hasPreviousPage": {"type": "boolean"}, "data": {"type": "array", "items": note},
    }});
    let mut list = ok(page);
    list["200"]["links"] = json!({"next": {"operationId": "listNotes", "parameters": {"page": "$response.body#/currentPage"},
                                           "x-page-number": {"more": "/hasNextPage", "last": "/totalPages"}}});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Notes", "version": "1"},
        "paths": {
            "/notes": {
                "get": {"operationId": "listNotes", "responses": list,
                        "parameters": [int("page"), int("pageSize"), text("orderBy"), text("orderDirection")],
                        "x-cli": {"name": "notes list", "sort": {"field": "orderBy", "direction": "orderDirection"}}},
                "post": {"operationId": "createNote", "responses": {"201": ok(note.clone())["200"]},
                         "requestBody": {"required": true, "content": {"application/json": {"schema": draft}}}},
            },
            "/notes/pinned": {"get": {"operationId": "listPinnedNotes", "responses": ok(json!({
                "type": "object", "required": ["pinned"], "properties": {"pinned": {"type": "array", "items": note}},
            }))}},
            "/notes/{noteId}": {"get": {"operationId": "getNote", "responses": ok(note), "parameters": [
                {"name": "noteId", "in": "path", "required": true, "schema": {"type": "string"}}]}},
        },
    })
}

#[tokio::test]
async fn numbered_pages_say_their_number_and_a_literal_path_is_its_own_collection() {
    let config = HarnessConfig { records: Some(25), ..HarnessConfig::default() };
    let sb = SpecSandbox::from_spec(&notes_spec(), 0, &config).await.unwrap();
    let http = crate::raw_http();
    let get = |path: String| {
        let request = http.get(format!("{}{path}", sb.base_url()));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let summary = |page: &Value| {
        let number = |name: &str| page[name].as_i64().unwrap();
        let flag = |name: &str| page[name].as_bool().unwrap();
        let size = page["data"].as_array().unwrap().len() as i64;
        let numbers = (number("currentPage"), number("pageSize"), number("totalItems"), number("totalPages"), size);
        (numbers, flag("hasNextPage"), flag("hasPreviousPage"))
    };
    assert_eq!(summary(&get("/notes?pageSize=10".into()).await), ((1, 10, 25, 3, 10), true, false));
    assert_eq!(summary(&get("/notes?pageSize=10&page=2".into()).await), ((2, 10, 25, 3, 10), true, true));
    assert_eq!(summary(&get("/notes?pageSize=10&page=3".into()).await), ((3, 10, 25, 3, 5), false, true));
    assert_eq!(summary(&get("/notes?pageSize=10&page=4".into()).await), ((4, 10, 25, 3, 0), false, true));
    assert_eq!(summary(&get("/notes".into()).await), ((1, 20, 25, 2, 20), true, false), "the store's page size");

    // Every record once, page after page, in the order asked for.
    let ids = |page: &Value| page["data"].as_array().unwrap().iter().map(|n| n["id"].clone()).collect::<Vec<_>>();
    let stored: Vec<Value> = sb.records("/notes").iter().map(|n| n["id"].clone()).collect();
    let mut walked = Vec::new();
    for number in 1..=3 {
        walked.extend(ids(&get(format!("/notes?pageSize=10&page={number}")).await));
    }
    assert_eq!(walked, stored);
    let newest_first = ids(&get("/notes?pageSize=30&orderDirection=DESC".into()).await);
    assert_eq!(newest_first, stored.iter().rev().cloned().collect::<Vec<_>>(), "a direction alone: as stored");
    let by_title = get("/notes?pageSize=30&orderBy=title&orderDirection=DESC".into()).await;
    let titles: Vec<&str> = by_title["data"].as_array().unwrap().iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert!(titles.windows(2).all(|w| w[0].to_lowercase() >= w[1].to_lowercase()), "{titles:?}");

    // `/notes/pinned` is its own collection, not note `pinned`.
    let pinned = get("/notes/pinned".into()).await;
    assert_eq!(pinned["pinned"], Value::from(sb.records("/notes/pinned")));
    assert!(!sb.records("/notes").iter().any(|n| n["id"] == "pinned"));

    // A record keeps a field the answers do not show.
    let made = http.post(format!("{}/notes", sb.base_url())).json(&json!({"title": "Plan", "draft": "secret"}));
    let made: Value = made.send().await.unwrap().json().await.unwrap();
    assert_eq!((made["title"].as_str(), made.get("draft")), (Some("Plan"), None), "{made}");
    let got = get(format!("/notes/{}", made["id"].as_str().unwrap())).await;
    assert_eq!(got, made);
    assert_eq!(sb.records("/notes").last().unwrap()["draft"], "secret");
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;
}

/// Books: an item with one array of its own (`tags`), and numeric ids.
fn books_spec() -> Value {
    let book = json!({"type": "object", "required": ["id", "title"], "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
    }});
    let one = json!({"200": {"description": "a book", "content": {"application/json": {"schema": book}}}, "404": {"description": "none"}});
    let id = json!({"name": "bookId", "in": "path", "required": true, "schema": {"type": "number"}});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "Books", "version": "1"},
        "paths": {
            "/books": {
                "get": {"operationId": "listBooks", "responses": {"200": {"description": "books", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"items": {"type": "array", "items": book}}}}}}}},
                "post": {"operationId": "createBook", "requestBody": {"required": true, "content": {"application/json": {"schema": book}}}, "responses": one},
            },
            "/books/{bookId}": {"parameters": [id], "get": {"operationId": "getBook", "responses": one}},
        },
    })
}

#[tokio::test]
async fn an_item_with_one_array_is_read_not_listed_and_a_numeric_id_matches_however_written() {
    let sb = SpecSandbox::from_spec(&books_spec(), 0, &HarnessConfig::default()).await.unwrap();
    let http = crate::raw_http();
    let book = json!({"id": 7, "title": "Dune", "tags": ["sf", "classic"]});
    let made = http.post(format!("{}/books", sb.base_url())).json(&book).send().await.unwrap();
    assert_eq!(made.status().as_u16(), 200);
    for id in ["7", "7.0"] {
        let (status, _, _, body) = get(&format!("{}/books/{id}", sb.base_url())).await;
        assert_eq!(status, 200, "{id}: {body}");
        assert_eq!(body, book, "book {id} is the record, not a list of its tags");
    }
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

/// An id in a path is percent-decoded as a path is, not as a form: a `+`
/// stays a `+` (E.164 numbers and base64 ids have them).
#[tokio::test]
async fn an_id_with_a_plus_is_found_by_its_path() {
    let line = json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "label": {"type": "string"}}});
    let one = json!({"200": {"description": "a line", "content": {"application/json": {"schema": line}}}, "404": {"description": "none"}});
    let spec = json!({
        "openapi": "3.0.3",
        "info": {"title": "Lines", "version": "1"},
        "paths": {
            "/lines": {"post": {"operationId": "createLine", "requestBody": {"required": true, "content": {"application/json": {"schema": line}}}, "responses": one}},
            "/lines/{lineId}": {"parameters": [{"name": "lineId", "in": "path", "required": true, "schema": {"type": "string"}}],
                "get": {"operationId": "getLine", "responses": one}},
        },
    });
    let sb = SpecSandbox::from_spec(&spec, 0, &HarnessConfig::default()).await.unwrap();
    let made = crate::raw_http()
        .post(format!("{}/lines", sb.base_url()))
        .json(&json!({"id": "+4915100000001", "label": "desk"}));
    assert_eq!(made.send().await.unwrap().status().as_u16(), 200);
    for path in ["+4915100000001", "%2B4915100000001"] {
        let (status, _, _, body) = get(&format!("{}/lines/{path}", sb.base_url())).await;
        assert_eq!((status, &body["label"]), (200, &json!("desk")), "{path}: {body}");
    }
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

/// Numbered pages with no `x-page-number`: the link takes the answer's
/// `nextPage`, and the answer has a field named as the paging parameter.
#[tokio::test]
async fn a_numbered_page_says_its_number_where_its_parameter_is_named() {
    let note = json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}});
    let page = json!({"type": "object", "required": ["data", "page", "totalPages"], "properties": {
        "data": {"type": "array", "items": note}, "page": {"type": "integer"}, "totalPages": {"type": "integer"},
        "nextPage": {"type": "integer", "nullable": true},
    }});
    let number = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "integer", "minimum": 1}});
    let spec = json!({
        "openapi": "3.0.3",
        "info": {"title": "Notes", "version": "1"},
        "paths": {"/notes": {"get": {"operationId": "listNotes", "parameters": [number("page"), number("per_page")],
            "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": page}},
                "links": {"next": {"operationId": "listNotes", "parameters": {"page": "$response.body#/nextPage"}}}}}}}},
    });
    let config = HarnessConfig { records: Some(25), ..HarnessConfig::default() };
    let sb = SpecSandbox::from_spec(&spec, 0, &config).await.unwrap();
    let mut pages = Vec::new();
    for n in 1..=3 {
        let (status, _, _, body) = get(&format!("{}/notes?page={n}&per_page=10", sb.base_url())).await;
        assert_eq!(status, 200, "{body}");
        pages.push((
            body["page"].clone(),
            body["totalPages"].clone(),
            body["nextPage"].clone(),
            body["data"].as_array().map(Vec::len),
        ));
    }
    assert_eq!(
        pages,
        [
            (json!(1), json!(3), json!(2), Some(10)),
            (json!(2), json!(3), json!(3), Some(10)),
            (json!(3), json!(3), Value::Null, Some(5)),
        ]
    );
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

/// A token an operation gives (`x-token`) works with the generic store
/// alone: Luware's spec served without its emulator gives the token it takes
/// for the fields it exports (and a 401 for others), and the client fetches
/// it once, then sends it on every call.
#[tokio::test]
async fn a_token_the_spec_says_an_operation_gives_is_served_by_the_store() {
    use convo_clients::luware::{Client, Credentials};
    let spec: Value = serde_json::from_str(convo_clients::luware::SPEC_JSON).unwrap();
    let sb = SpecSandbox::from_spec(&spec, 0, &HarnessConfig::default()).await.unwrap();
    let credentials = |secret: &str| Credentials {
        subscription_key: SPEC_CREDENTIAL.into(),
        eid: 1,
        client_id: SPEC_CREDENTIAL.into(),
        client_secret: secret.into(),
    };
    let client = Client::builder(sb.base_url(), credentials(SPEC_CREDENTIAL)).build().unwrap();
    let filters = convo_clients::luware::Filters::new().to_json();
    let page = client.search_conversations().filters(filters).limit(std::num::NonZeroU32::new(5).unwrap()).send().await;
    assert!(page.is_ok(), "{page:?}");
    client.get_conversation().ccdr_id("c1").send().await.unwrap();
    let tokens = sb.requests().iter().filter(|r| r.path.ends_with("/auth/token")).count();
    assert_eq!(tokens, 1, "one token for both calls: {:?}", sb.requests());

    // A token's fields come together; a name that is neither a scheme nor a field is no credential.
    let builder = || convo_clients::luware::GeneratedClient::builder(sb.base_url()).credential("eid", "1");
    let err = builder().build().unwrap_err().to_string();
    assert!(err.contains("the bearerToken token also needs client_id, client_secret"), "{err}");
    let err = builder().credential("password", "x").build().unwrap_err().to_string();
    assert!(err.contains("its token's fields: client_id, client_secret, eid"), "{err}");

    let refused = Client::builder(sb.base_url(), credentials("wrong password")).build().unwrap();
    let err = refused.authenticate().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
    assert!(!format!("{err}{err:?}").contains("wrong password"), "{err:?}");
}

/// What no emulator route takes is answered from the spec: a collection's
/// operations by the generic store (a create is kept, and read back by its
/// id), under the emulator's own layers (Salesloft's, which routes nothing,
/// adds its rate-limit headers to every answer); what an emulator routes
/// keeps its answer (LivePerson's domain lookup); and the spec still decides
/// what is a request at all.
#[tokio::test]
async fn routes_keep_their_answers_and_the_rest_are_answered_from_the_spec() {
    use convo_clients::sandbox::liveperson::{LivePersonConfig, LivePersonSandbox};
    use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};

    let item = json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}});
    let ok =
        |schema: &Value| json!({"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}});
    let spec = json!({"paths": {
        "/items": {
            "get": {"operationId": "listItems", "responses": ok(&json!({"type": "array", "items": item}))},
            "post": {"operationId": "createItem", "responses": {"201": {"description": "made",
                "content": {"application/json": {"schema": item, "example": {"id": 42}}}}}},
        },
        "/items/{id}": {"get": {"operationId": "getItem", "responses": ok(&item), "parameters": [
            {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}]}},
    }});
    let sb = SpecSandbox::from_spec(&spec, 0, &HarnessConfig::default()).await.unwrap();
    let http = crate::raw_http();
    let call = |method: reqwest::Method, path: &str| http.request(method, format!("{}{path}", sb.base_url())).send();

    // Unrouted operations on a collection are the generic store's: a
    // create is kept, and read back by its id.
    let unrouted_method = call(reqwest::Method::POST, "/items").await.unwrap();
    assert_eq!(unrouted_method.status().as_u16(), 201);
    assert_eq!(unrouted_method.headers()[FALLBACK_HEADER], "createItem");
    let created = unrouted_method.json::<Value>().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    let unrouted_path = call(reqwest::Method::GET, &format!("/items/{id}")).await.unwrap();
    assert_eq!(unrouted_path.status().as_u16(), 200);
    assert_eq!(unrouted_path.headers()[FALLBACK_HEADER], "getItem");
    assert_eq!(unrouted_path.json::<Value>().await.unwrap(), created);
    let listed = call(reqwest::Method::GET, "/items").await.unwrap();
    assert_eq!(listed.headers()[FALLBACK_HEADER], "listItems");
    assert!(listed.json::<Value>().await.unwrap().as_array().unwrap().contains(&created));

    // The spec still decides what is a request at all.
    assert_eq!(call(reqwest::Method::GET, "/items/seven").await.unwrap().status().as_u16(), 400);
    assert_eq!(call(reqwest::Method::DELETE, "/items").await.unwrap().status().as_u16(), 405);
    assert_eq!(call(reqwest::Method::GET, "/other").await.unwrap().status().as_u16(), 404);
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;

    // An emulator's layer wraps the answers no route of its gives.
    let sb = SalesloftSandbox::start(3, 0, SalesloftConfig::default()).await.unwrap();
    let answer =
        http.get(format!("{}/v2/conversations", sb.base_url())).bearer_auth(sb.api_key()).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert!(answer.headers().get("x-ratelimit-remaining-minute").is_some(), "{:?}", answer.headers());
    sb.shutdown().await;

    // An emulator's route keeps its answer.
    let sb = LivePersonSandbox::start(3, 0, LivePersonConfig::default()).await.unwrap();
    let lookup = format!("{}/api/account/{}/service/botConnectorsDomain/baseURI.json", sb.base_url(), sb.account_id());
    let emulated = http.get(format!("{lookup}?version=1.0")).send().await.unwrap();
    assert_eq!(emulated.status().as_u16(), 200);
    assert!(emulated.headers().get(FALLBACK_HEADER).is_none());
    let domain = emulated.json::<Value>().await.unwrap();
    assert_eq!(domain["service"], "botConnectorsDomain", "the emulator's own answer: {domain}");
    assert_eq!(sb.contract_violations(), Vec::<String>::new());
    sb.shutdown().await;
}
