//! `spec::diff` over a catalogue of spec edits across the five specs: each
//! edit, and the edit undone, with the verdict for library consumers (the
//! generated Rust) and for CLI users.
//!
//! The kinds cover those oasdiff (`oasdiff breaking`, its checker ids) calls
//! breaking for requests and responses, and their opposites:
//! `api-path-removed-without-deprecation`, `api-operation-id-removed`,
//! `request-parameter-removed`, `new-required-request-parameter`,
//! `request-parameter-became-required`, `request-parameter-type-changed`,
//! `request-parameter-max-decreased`, `request-parameter-enum-value-removed`,
//! `request-property-removed`, `new-required-request-property`,
//! `request-property-became-required`, `request-property-max-length-set`,
//! `request-property-pattern-added`, `request-body-became-required`,
//! `response-property-removed`, `response-property-type-changed`,
//! `response-success-status-removed`, `response-media-type-removed`,
//! `response-property-became-optional`, `response-property-became-nullable`,
//! `api-security-added`. Where the generated Rust decides otherwise, the
//! verdict says so: oasdiff warns of `response-property-enum-value-added` and
//! `response-property-one-of-added`, which an open or non-exhaustive enum
//! takes; it calls a response property becoming required, or a success
//! status of another content added beside one, non-breaking, which change a
//! Rust type.

use convo_clients::spec::diff::{Change, Impact, diff};
use convo_clients::spec::model::Spec;
use serde_json::{Value, json};

use Impact::{Additive, Breaking, None as Nothing};

pub fn spec(api: &str) -> Value {
    let path = format!("{}/specs/{api}.yaml", env!("CARGO_MANIFEST_DIR"));
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The operation object of `id`.
fn op<'d>(doc: &'d mut Value, id: &str) -> &'d mut Value {
    let paths = doc["paths"].as_object_mut().unwrap();
    let found = paths.values_mut().flat_map(|item| item.as_object_mut().unwrap().values_mut());
    found.into_iter().find(|o| o.get("operationId").and_then(Value::as_str) == Some(id)).unwrap()
}

fn schema<'d>(doc: &'d mut Value, name: &str) -> &'d mut Value {
    &mut doc["components"]["schemas"][name]
}

/// The inline parameter `name` of operation `id`.
fn param<'d>(doc: &'d mut Value, id: &str, name: &str) -> &'d mut Value {
    let params = op(doc, id)["parameters"].as_array_mut().unwrap();
    params.iter_mut().find(|p| p.get("name").and_then(Value::as_str) == Some(name)).unwrap()
}

fn push(list: &mut Value, value: Value) {
    list.as_array_mut().unwrap().push(value);
}

fn remove(list: &mut Value, value: &str) {
    list.as_array_mut().unwrap().retain(|v| v.as_str() != Some(value));
}

/// One edit: its spec, the edit, the change it makes (where, and in words)
/// and its Rust and CLI verdicts; then what the edit undone says, and its
/// verdicts. (`semver_agreement` builds each edit's Rust.)
pub struct Case(
    pub &'static str,
    pub fn(&mut Value),
    pub &'static str,
    pub &'static str,
    pub (Impact, Impact),
    pub &'static str,
    pub (Impact, Impact),
);

pub const CASES: &[Case] = &[
    // Luware.
    Case(
        "luware",
        |d| {
            schema(d, "Conversation")["properties"]["convoAdded"] = json!({"type": "string"});
        },
        "schema Conversation.convoAdded",
        "added",
        (Additive, Additive),
        "removed",
        (Breaking, Breaking),
    ),
    Case(
        "luware",
        |d| {
            push(&mut schema(d, "FilterField")["enum"], json!("convoAdded"));
            schema(d, "FilterField")["x-filter-table"]["convoAdded"] =
                json!({"type": "string", "operators": ["EQUAL"]});
        },
        "filter table FilterField row convoAdded",
        "added",
        (Additive, Additive),
        "removed",
        (Breaking, Breaking),
    ),
    // A row before the others shifts their Rust discriminants (an `as` cast
    // reads them): cargo-semver-checks calls it breaking.
    Case(
        "luware",
        |d| {
            schema(d, "FilterField")["enum"].as_array_mut().unwrap().insert(0, json!("convoAdded"));
            schema(d, "FilterField")["x-filter-table"]["convoAdded"] =
                json!({"type": "string", "operators": ["EQUAL"]});
        },
        "filter table FilterField row convoAdded",
        "added before existing rows",
        (Breaking, Additive),
        "removed",
        (Breaking, Breaking),
    ),
    Case(
        "luware",
        |d| push(&mut schema(d, "Platform")["enum"], json!("Convo Added")),
        "schema Platform",
        "enum value \"Convo Added\" added",
        (Additive, Nothing),
        "enum value \"Convo Added\" removed",
        (Breaking, Nothing),
    ),
    Case(
        "luware",
        |d| push(&mut schema(d, "FilterField")["x-filter-table"]["ccdrId"]["operators"], json!("NOT_EQUAL")),
        "filter table FilterField row ccdrId",
        "operator NOT_EQUAL added",
        (Additive, Additive),
        "operator NOT_EQUAL removed",
        (Breaking, Breaking),
    ),
    Case(
        "luware",
        |d| param(d, "searchConversations", "limit")["schema"]["maximum"] = json!(50),
        "searchConversations query parameter limit",
        "maximum 100 → 50",
        (Breaking, Breaking),
        "maximum 50 → 100",
        (Nothing, Additive),
    ),
    Case(
        "luware",
        |d| schema(d, "LabelRequest")["required"] = json!(["labelId"]),
        "schema LabelRequest.labelId",
        "became required",
        (Breaking, Breaking),
        "became optional",
        (Breaking, Additive),
    ),
    Case(
        "luware",
        |d| {
            d["paths"].as_object_mut().unwrap().remove("/vfcrest/v1/conversations/{ccdrId}/labels");
        },
        "operation addLabel",
        "removed",
        (Breaking, Breaking),
        "added",
        (Additive, Additive),
    ),
    Case(
        "luware",
        |d| param(d, "downloadMedia", "fileExtension")["required"] = json!(false),
        "downloadMedia query parameter fileExtension",
        "became optional",
        (Nothing, Additive),
        "became required",
        (Breaking, Breaking),
    ),
    Case(
        "luware",
        |d| {
            op(d, "addLabel")["security"] = json!([]);
        },
        "operation addLabel",
        "security bearerToken + subscriptionKey → none",
        (Additive, Additive),
        "security none → bearerToken + subscriptionKey",
        (Breaking, Breaking),
    ),
    // raia.
    Case(
        "raia",
        |d| {
            push(
                &mut op(d, "listConversations")["parameters"],
                json!({"name": "convoAdded", "in": "query", "schema": {"type": "string"}}),
            )
        },
        "listConversations query parameter convoAdded",
        "added (optional)",
        (Additive, Additive),
        "removed",
        (Breaking, Breaking),
    ),
    Case(
        "raia",
        |d| {
            push(
                &mut op(d, "listConversations")["parameters"],
                json!({"name": "convoAdded", "in": "query", "required": true, "schema": {"type": "string"}}),
            )
        },
        "listConversations query parameter convoAdded",
        "added (required)",
        (Breaking, Breaking),
        "removed",
        (Breaking, Breaking),
    ),
    Case(
        "raia",
        |d| op(d, "getConversation")["operationId"] = json!("fetchConversation"),
        "operation ",
        "operationId renamed to fetchConversation",
        (Breaking, Breaking),
        "operationId renamed to getConversation",
        (Breaking, Breaking),
    ),
    Case(
        "raia",
        |d| push(&mut schema(d, "ConversationMode")["enum"], json!("paused")),
        "schema ConversationMode",
        "enum value \"paused\" added",
        (Additive, Additive),
        "enum value \"paused\" removed",
        (Breaking, Breaking),
    ),
    Case(
        "raia",
        |d| schema(d, "Conversation")["properties"]["title"] = json!({"type": "integer"}),
        "schema Conversation.title",
        "type string → integer",
        (Breaking, Nothing),
        "type integer → string",
        (Breaking, Nothing),
    ),
    Case(
        "raia",
        |d| remove(&mut schema(d, "Conversation")["required"], "createdAt"),
        "schema Conversation.createdAt",
        "became optional",
        (Breaking, Nothing),
        "became required",
        (Breaking, Nothing),
    ),
    Case(
        "raia",
        |d| param(d, "listConversations", "pageSize")["schema"]["minimum"] = json!(5),
        "listConversations query parameter pageSize",
        "minimum 1 → 5",
        (Breaking, Breaking),
        // The Rust type was `i32`, and is `NonZeroU32` again.
        "minimum 5 → 1",
        (Breaking, Additive),
    ),
    // A bound whose Rust type stays (a newtype that checks it) is only a rule.
    Case(
        "raia",
        |d| schema(d, "ConversationTitle")["maxLength"] = json!(300),
        "schema ConversationTitle",
        "maxLength 255 → 300",
        (Nothing, Additive),
        "maxLength 300 → 255",
        (Breaking, Breaking),
    ),
    // A length bound makes a response's string a newtype.
    Case(
        "raia",
        |d| schema(d, "Conversation")["properties"]["summary"]["maxLength"] = json!(255),
        "schema Conversation.summary",
        "maxLength none → 255",
        (Breaking, Nothing),
        "maxLength 255 → none",
        (Breaking, Nothing),
    ),
    Case(
        "raia",
        |d| {
            op(d, "getConversation")["responses"].as_object_mut().unwrap().remove("200");
        },
        "getConversation response 200",
        "removed",
        (Breaking, Nothing),
        "added",
        (Additive, Nothing),
    ),
    Case(
        "raia",
        |d| {
            op(d, "listConversations")["responses"].as_object_mut().unwrap().remove("500");
        },
        "listConversations response 500",
        "removed",
        (Nothing, Nothing),
        "added",
        (Additive, Nothing),
    ),
    Case(
        "raia",
        |d| {
            let ok = op(d, "getConversation")["responses"]["200"].clone();
            op(d, "getConversation")["responses"]["203"] = ok;
        },
        "getConversation response 203",
        // Beside a success of the same content: the return type stays.
        "added",
        (Additive, Nothing),
        "removed",
        (Nothing, Nothing),
    ),
    // Salesloft.
    Case(
        "salesloft",
        |d| push(&mut schema(d, "Platform")["enum"], json!("clubhouse")),
        "schema Platform",
        "enum value \"clubhouse\" added",
        (Additive, Additive),
        "enum value \"clubhouse\" removed",
        (Breaking, Breaking),
    ),
    Case(
        "salesloft",
        |d| d["components"]["parameters"]["CreatedAtGt"]["schema"]["format"] = json!("date"),
        "listConversations query parameter created_at[gt]",
        "format \"date-time\" → \"date\"",
        (Breaking, Breaking),
        "format \"date\" → \"date-time\"",
        (Breaking, Breaking),
    ),
    Case(
        "salesloft",
        |d| d["components"]["parameters"]["PerPage"]["schema"]["maximum"] = json!(200),
        "listConversations query parameter per_page",
        "maximum 100 → 200",
        (Nothing, Additive),
        "maximum 200 → 100",
        (Breaking, Breaking),
    ),
    Case(
        "salesloft",
        |d| d["components"]["parameters"]["PerPage"]["x-cli"] = json!({"flag": "limit"}),
        "listConversations query parameter per_page",
        "flag renamed",
        (Nothing, Breaking),
        "flag renamed",
        (Nothing, Breaking),
    ),
    Case(
        "salesloft",
        |d| op(d, "listConversations")["x-cli"]["name"] = json!("calls list"),
        "operation listConversations",
        "command renamed",
        (Nothing, Breaking),
        "command renamed",
        (Nothing, Breaking),
    ),
    Case(
        "salesloft",
        |d| d["servers"][0]["url"] = json!("https://api.salesloft.example"),
        "servers",
        "default server → https://api.salesloft.example",
        (Nothing, Nothing),
        "default server → https://api.salesloft.com",
        (Nothing, Nothing),
    ),
    // An optional field is `Option<T>` nullable or not; a required one
    // changes between `T` and `Option<T>`.
    Case(
        "salesloft",
        |d| schema(d, "Conversation")["properties"]["duration"]["nullable"] = json!(true),
        "schema Conversation.duration",
        "became nullable",
        (Nothing, Nothing),
        "no longer nullable",
        (Nothing, Nothing),
    ),
    Case(
        "salesloft",
        |d| schema(d, "Conversation")["properties"]["id"]["nullable"] = json!(true),
        "schema Conversation.id",
        "became nullable",
        (Breaking, Nothing),
        "no longer nullable",
        (Breaking, Nothing),
    ),
    Case(
        "salesloft",
        |d| {
            schema(d, "Conversation")["properties"].as_object_mut().unwrap().remove("platform");
        },
        "schema Conversation.platform",
        "removed",
        (Breaking, Breaking),
        "added",
        (Additive, Additive),
    ),
    // LivePerson.
    Case(
        "liveperson",
        |d| {
            schema(d, "SendMessagesRequest")["properties"].as_object_mut().unwrap().remove("context");
        },
        "schema SendMessagesRequest.context",
        "removed",
        (Breaking, Breaking),
        "added (optional)",
        (Additive, Additive),
    ),
    Case(
        "liveperson",
        |d| push(&mut schema(d, "SendMessagesRequest")["required"], json!("context")),
        "schema SendMessagesRequest.context",
        "became required",
        (Breaking, Breaking),
        "became optional",
        (Breaking, Additive),
    ),
    Case(
        "liveperson",
        |d| {
            push(
                &mut schema(d, "Message")["oneOf"],
                json!({"type": "object", "required": ["video"], "properties": {"video": {"type": "string"}}}),
            )
        },
        "schema Message",
        "oneOf branch added",
        (Additive, Additive),
        "oneOf branch removed",
        (Breaking, Breaking),
    ),
    Case(
        "liveperson",
        |d| schema(d, "SendMessagesRequest")["properties"]["messages"]["maxItems"] = json!(10),
        "schema SendMessagesRequest.messages",
        "maxItems none → 10",
        (Breaking, Breaking),
        "maxItems 10 → none",
        (Nothing, Additive),
    ),
    Case(
        "liveperson",
        |d| {
            d["components"]["securitySchemes"]["convoAdded"] =
                json!({"type": "apiKey", "in": "header", "name": "x-convo"});
        },
        "security scheme convoAdded",
        "added",
        (Additive, Additive),
        "removed",
        (Breaking, Breaking),
    ),
    // LlamadaPro.
    Case(
        "llamadapro",
        |d| schema(d, "CreateContactRequest")["properties"]["firstName"]["maxLength"] = json!(40),
        "schema CreateContactRequest.firstName",
        "maxLength none → 40",
        (Breaking, Breaking),
        // The newtype `CreateContactRequestFirstName` is gone.
        "maxLength 40 → none",
        (Breaking, Additive),
    ),
    Case(
        "llamadapro",
        |d| schema(d, "CreateContactRequest")["properties"]["nationalId"]["pattern"] = json!("^[0-9]+$"),
        "schema CreateContactRequest.nationalId",
        "pattern none → \"^[0-9]+$\"",
        (Breaking, Breaking),
        "pattern \"^[0-9]+$\" → none",
        (Nothing, Additive),
    ),
    Case(
        "llamadapro",
        |d| push(&mut schema(d, "UploadMediaRequest")["required"], json!("fileName")),
        "schema UploadMediaRequest.fileName",
        "became required",
        (Breaking, Breaking),
        "became optional",
        (Breaking, Additive),
    ),
    Case(
        "llamadapro",
        |d| {
            schema(d, "UploadMediaRequest")["properties"]["caption"] = json!({"type": "string"});
            push(&mut schema(d, "UploadMediaRequest")["required"], json!("caption"));
        },
        "schema UploadMediaRequest.caption",
        "added (required)",
        (Breaking, Breaking),
        "removed",
        (Breaking, Breaking),
    ),
    Case(
        "llamadapro",
        |d| schema(d, "CreateContactRequest")["properties"]["userId"]["type"] = json!("string"),
        "schema CreateContactRequest.userId",
        "type number → string",
        (Breaking, Breaking),
        "type string → number",
        (Breaking, Breaking),
    ),
    Case(
        "llamadapro",
        |d| param(d, "getTasks", "limit")["schema"]["maximum"] = json!(10),
        "getTasks query parameter limit",
        "maximum none → 10",
        (Breaking, Breaking),
        "maximum 10 → none",
        (Nothing, Additive),
    ),
    Case(
        "llamadapro",
        |d| {
            let responses = &mut op(d, "getTasks")["responses"]["200"]["content"];
            let json = responses["application/json"].clone();
            responses["text/csv"] = json;
        },
        "getTasks response 200",
        "media type text/csv added",
        (Additive, Nothing),
        "media type text/csv removed",
        (Nothing, Nothing),
    ),
    Case(
        "llamadapro",
        |d| {
            let item = d["paths"].as_object_mut().unwrap().remove("/api/v1/tasks").unwrap();
            d["paths"]["/api/v2/tasks"] = item;
        },
        "operation getTasks",
        "moved from GET /api/v1/tasks to GET /api/v2/tasks",
        (Nothing, Nothing),
        "moved from GET /api/v2/tasks to GET /api/v1/tasks",
        (Nothing, Nothing),
    ),
    Case(
        "llamadapro",
        |d| {
            op(d, "createContact")["requestBody"]["required"] = json!(false);
        },
        "createContact request body",
        "became optional",
        (Nothing, Additive),
        "became required",
        (Breaking, Breaking),
    ),
];

/// The changes from `old` to `new`, in one line each for a failure's message.
fn shown(changes: &[Change]) -> String {
    changes.iter().map(|c| format!("\n  {} | {} | {:?} {:?}", c.at, c.what, c.rust, c.cli)).collect()
}

/// What is wrong with the changes from `old` to `new`, if anything.
fn check(old: &Value, new: &Value, at: &str, what: &str, verdict: (Impact, Impact)) -> Option<String> {
    let changes = diff(&Spec::parse(old).unwrap(), &Spec::parse(new).unwrap());
    let found = changes.iter().find(|c| c.at.starts_with(at) && c.what.starts_with(what));
    let Some(change) = found else { return Some(format!("no `{at}`: `{what}` in:{}", shown(&changes))) };
    if (change.rust, change.cli) != verdict {
        return Some(format!("`{at}`: `{what}` is {:?}, not {verdict:?}", (change.rust, change.cli)));
    }
    // Nothing else is worse than the change asked for.
    let worst = changes.iter().map(|c| (c.rust, c.cli)).fold((Nothing, Nothing), |a, b| (a.0.max(b.0), a.1.max(b.1)));
    (worst != verdict).then(|| format!("`{at}`: `{what}`: another change is worse:{}", shown(&changes)))
}

#[test]
fn every_edit_and_its_undoing_has_its_verdict() {
    assert!(CASES.len() >= 40, "the catalogue holds {} edits", CASES.len());
    let mut failures = Vec::new();
    for (i, Case(api, edit, at, what, verdict, undone, undone_verdict)) in CASES.iter().enumerate() {
        let old = spec(api);
        let mut new = old.clone();
        edit(&mut new);
        assert_ne!(old, new, "edit {i} changes nothing");
        failures.extend(check(&old, &new, at, what, *verdict));
        failures.extend(check(&new, &old, at, undone, *undone_verdict).map(|f| format!("undone: {f}")));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_spec_against_itself_has_no_changes() {
    for api in ["luware", "raia", "salesloft", "liveperson", "llamadapro"] {
        let spec = Spec::parse(&spec(api)).unwrap();
        assert_eq!(diff(&spec, &spec), Vec::new(), "{api}");
    }
}

/// `convo spec diff`: the changes in words, and its exit status: 0 when
/// nothing breaks, 1 on a breaking change unless allowed, 2 on a usage error;
/// `--base REV` takes the old version from git.
#[cfg(feature = "cli")]
#[test]
fn the_command_says_what_breaks_and_exits_so() {
    let dir = std::env::temp_dir().join(format!("convo-spec-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let old = spec("luware");
    let write = |name: &str, doc: &Value| {
        let path = dir.join(name);
        std::fs::write(&path, serde_yaml::to_string(doc).unwrap()).unwrap();
        path.display().to_string()
    };
    let mut added = old.clone();
    schema(&mut added, "Conversation")["properties"]["convoAdded"] = json!({"type": "string"});
    let mut required = added.clone();
    schema(&mut required, "LabelRequest")["required"] = json!(["labelId"]);
    let (old, added, required) =
        (write("old.yaml", &old), write("added.yaml", &added), write("required.yaml", &required));
    let convo = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_convo")).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (code, out, _) = convo(&["spec", "diff", &old, &added]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("additive  additive  schema Conversation.convoAdded: added"), "{out}");
    assert!(out.ends_with("1 change: 0 breaking for library consumers, 0 for CLI users\n"), "{out}");

    let (code, out, err) = convo(&["spec", "diff", &old, &required]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BREAKING  BREAKING  schema LabelRequest.labelId: became required"), "{out}");
    assert!(err.contains("1 breaking change"), "{err}");
    assert_eq!(convo(&["spec", "diff", &old, &required, "--allow-breaking"]).0, Some(0));
    let (_, json, _) = convo(&["-o", "json", "spec", "diff", &old, &required, "--allow-breaking"]);
    let changes: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert!(changes.iter().any(|c| c["what"] == "became required" && c["rust"] == "breaking"), "{json}");

    // Undone, the removal is breaking: the old version comes first, as with `diff`.
    assert_eq!(convo(&["spec", "diff", &added, &old]).0, Some(1));
    // The spec against its committed version (the same, unless a maintainer is editing it).
    let committed = format!("{}/specs/luware.yaml", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = convo(&["spec", "diff", &committed, "--base", "HEAD"]);
    if !err.contains("not a git repository") {
        assert!(matches!(code, Some(0 | 1)) && out.contains("breaking for library consumers"), "{out}{err}");
    }
    for usage in [vec!["spec", "diff", old.as_str()], vec!["spec", "diff", "/nonexistent.yaml", old.as_str()]] {
        assert_eq!(convo(&usage).0, Some(2), "{usage:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A recursive schema renamed (each version's refers to itself twice) is
/// compared once per pair of references, not walked down every branch.
#[test]
fn a_renamed_recursive_schema_is_compared_once() {
    let doc = |name: &str| {
        let node = json!({"type": "object", "properties": {
            "left": {"$ref": format!("#/components/schemas/{name}")},
            "right": {"$ref": format!("#/components/schemas/{name}")},
            "label": {"type": "string"}}});
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/trees": {"get": {"operationId": "getTree", "responses": {"200": {"description": "a tree",
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}}}}}},
            "components": {"schemas": {name: node}}
        })
    };
    let (old, mut new) = (doc("Tree"), doc("Node"));
    new["components"]["schemas"]["Node"]["properties"]["label"]["type"] = json!("integer");
    // Walked down every branch, this would not end: 2^32 paths.
    let changes = diff(&Spec::parse(&old).unwrap(), &Spec::parse(&new).unwrap());
    assert!(
        changes.iter().any(|c| c.at.ends_with(".label") && c.what == "type string → integer"),
        "{}",
        shown(&changes)
    );
}
