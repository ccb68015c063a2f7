//! `convo llamadapro` against the sandbox: in-process (`--sandbox`) for
//! single commands, and a `convo sandbox serve --api llamadapro` process for
//! sequences that need state to last between commands.

use crate::common;
use crate::fault_server;

use std::process::Output;

use common::{Scratch, Served, convo, stderr, stdout};
use fault_server::{Answer, fault_server, raw};
use serde_json::{Value, json};

fn sandboxed(args: &[&str]) -> Output {
    convo().args(["--sandbox", "llamadapro"]).args(args).output().expect("convo runs")
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "failed: {}", stderr(&output));
    stdout(&output)
}

fn json_of(output: Output) -> Value {
    serde_json::from_str(&ok(output)).unwrap()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn served_llamadapro() -> Served {
    let served = Served::start("llamadapro", &[]);
    assert_eq!(
        served.env.keys().collect::<Vec<_>>(),
        [
            "LLAMADAPRO_API_KEY",
            "LLAMADAPRO_BASE_URL",
            "LLAMADAPRO_CONVERSATION_ID",
            "LLAMADAPRO_FUNNEL_ID",
            "LLAMADAPRO_LIST_DEFINITION_ID"
        ]
    );
    served
}

fn run_served(served: &Served, args: &[&str]) -> Output {
    served.command().arg("llamadapro").args(args).output().unwrap()
}

#[test]
fn tasks() {
    let csv = ok(sandboxed(&["tasks", "list", "--status", "completed", "--page-size", "5", "-o", "csv"]));
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("id,status,dueDate,objective"));
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r.contains(",completed,")));
    let all = lines(&ok(sandboxed(&["tasks", "list", "--all", "--page-size", "7"])));
    assert_eq!(all.len(), 45, "every seeded task, page after page");

    let served = served_llamadapro();
    let created = json_of(run_served(
        &served,
        &[
            "tasks",
            "create",
            "--objective",
            "Call back",
            "--conversation-id",
            "320",
            "--created-by",
            "user:u1",
            "--assigned-to",
            "ai_employee:ai-7",
            "--due-date",
            "2025-04-01T12:00:00Z",
        ],
    ));
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["context"]["conversationId"], 320, "ids print as integers");
    assert_eq!(created["assignedTo"], json!({"id": "ai-7", "type": "ai_employee"}));
    // createdBy is not updatable (seed 004 L241-L250): update has no flag for it.
    let out = run_served(&served, &["tasks", "update", id, "--created-by", "user:u2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--created-by"), "{}", stderr(&out));
    let done = json_of(run_served(&served, &["tasks", "update", id, "--status", "completed"]));
    assert_eq!(done["status"], "completed");
    assert!(done["completedAt"].is_string());
    let table = ok(run_served(&served, &["tasks", "get", id, "-o", "table"]));
    assert!(table.lines().any(|l| l.starts_with("objective") && l.ends_with("Call back")), "{table}");
    ok(run_served(&served, &["tasks", "delete", id]));
    let gone = run_served(&served, &["tasks", "get", id]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(stderr(&gone).contains("get_task: HTTP 404 Not Found: no task"), "{}", stderr(&gone));
    // A task body without its required fields is a usage error.
    let out = run_served(&served, &["tasks", "create", "--objective", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("body.context: required"), "{}", stderr(&out));
    served.interrupt();
}

#[test]
fn contacts() {
    let active = lines(&ok(sandboxed(&["contacts", "list", "--all", "--page-size", "11"])));
    assert_eq!(active.len(), 54, "archived contacts are not listed");
    let page = sandboxed(&["contacts", "list", "--page-size", "3"]);
    assert!(
        stderr(&page).starts_with("more records follow: --all") && stderr(&page).contains(" --page-token "),
        "{}",
        stderr(&page)
    );
    let table =
        ok(sandboxed(&["contacts", "list", "--filter", "lastName:Soto", "--sort", "firstName:desc", "-o", "table"]));
    let mut rows = table.lines();
    assert!(rows.next().unwrap().starts_with("id"));
    let names: Vec<&str> = rows.map(|r| r.split_whitespace().nth(1).unwrap()).collect();
    assert!(!names.is_empty() && names.windows(2).all(|w| w[0] >= w[1]), "{names:?}");

    let found = lines(&ok(sandboxed(&["contacts", "search", "--filter", "lastName:contains:sot", "--all"])));
    assert!(!found.is_empty() && found.iter().all(|c| c["lastName"] == "Soto"));
    let everyone = lines(&ok(sandboxed(&["contacts", "search", "--include-archived", "--page-size", "25", "--all"])));
    assert_eq!(everyone.len(), 60);
    assert_eq!(everyone.iter().filter(|c| c["archivedAt"].is_string()).count(), 6, "archived ones are included");

    let served = served_llamadapro();
    let created = json_of(run_served(
        &served,
        &[
            "contacts",
            "create",
            "--first-name",
            "Jane",
            "--phone",
            "+56912345678",
            "--email",
            "jane@example.com",
            "--custom-field",
            "source=web",
        ],
    ));
    let id = created["id"].as_u64().unwrap().to_string();
    assert_eq!(created["addresses"].as_array().unwrap().len(), 2);
    let updated =
        json_of(run_served(&served, &["contacts", "update", &id, "--last-name", "Doe", "--custom-field", "tier=gold"]));
    assert_eq!(updated["customFields"], json!({"source": "web", "tier": "gold"}));
    let by_phone =
        lines(&ok(run_served(&served, &["contacts", "search", "--filter", "addresses.address:eq:+56912345678"])));
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0]["id"], id, "the search index returns ids as strings");
    assert_eq!(json_of(run_served(&served, &["contacts", "get", &id]))["lastName"], "Doe");
    ok(run_served(&served, &["contacts", "delete", &id]));
    assert_eq!(run_served(&served, &["contacts", "get", &id]).status.code(), Some(1));
    served.interrupt();

    for args in [
        &["contacts", "list", "--filter", "note:a;b"][..],
        &["contacts", "list", "--sort", "createdAt=sideways"],
        &["contacts", "list", "--sort", "createdAt:sideways"],
        &["contacts", "search", "--where", "lastName=Soto"],
        &["contacts", "search", "--filter", "lastName=Soto"],
        &["contacts", "get", "abc"],
    ] {
        let out = sandboxed(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    // Syntax the server cannot use is its 400 (exit 1), naming the problem.
    let out = sandboxed(&["contacts", "list", "--filter", "colour:red"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot filter by \"colour\""), "{}", stderr(&out));
}

#[test]
fn calls_and_recordings() {
    let agent = json_of(sandboxed(&[
        "calls",
        "start-agent",
        "--voice-agent-id",
        "123",
        "--to",
        "+1234567890",
        "--var",
        "customerFirstName=Pedro",
    ]));
    assert_eq!(agent["status"], "completed");
    let bridge =
        json_of(sandboxed(&["calls", "start-bridge", "--to", "+1234567890", "--data", "customKey=customValue"]));
    assert_eq!(bridge["customData"], json!({"customKey": "customValue"}));
    let ai = json_of(sandboxed(&["calls", "start-ai-employee", "--to", "+56911112222", "--objective", "Confirm"]));
    assert_eq!(ai["providerName"], "vapi");
    let out = sandboxed(&["calls", "start-ai-employee", "--to", "+56911112222"]);
    assert_eq!(out.status.code(), Some(2), "objectives are required: {}", stderr(&out));

    let served = served_llamadapro();
    let call = json_of(run_served(
        &served,
        &[
            "calls",
            "create",
            "--status",
            "completed",
            "--from",
            "+56229990000",
            "--to",
            "+56911112222",
            "--direction",
            "outgoing",
            "--start-time",
            "2025-03-03T10:00:00Z",
            "--duration",
            "42",
        ],
    ));
    let id = call["id"].as_u64().unwrap().to_string();
    let table = ok(run_served(&served, &["calls", "get", &id, "-o", "table"]));
    assert!(table.lines().any(|l| l.starts_with("duration") && l.ends_with("42")), "{table}");
    let recording = json_of(run_served(&served, &["calls", "recording", &id]));
    assert_eq!(recording["callId"].as_u64().unwrap().to_string(), id);
    let recording_id = recording["id"].as_u64().unwrap().to_string();
    assert_eq!(json_of(run_served(&served, &["recordings", "get", &recording_id]))["url"], recording["url"]);
    let transcription = ok(run_served(&served, &["calls", "transcription", &id, "-o", "csv"]));
    assert!(transcription.starts_with("id,recordingId,text\n"));
    let loaded = run_served(&served, &["recordings", "load", "--url", "https://example.com/r.mp3", "--user-id", "7"]);
    assert!(loaded.status.success(), "{}", stderr(&loaded));
    assert_eq!(run_served(&served, &["calls", "get", "999999"]).status.code(), Some(1));
    served.interrupt();
}

#[test]
fn conversations_and_bulk_reports() {
    let created = json_of(sandboxed(&[
        "conversations",
        "create",
        "--funnel-id",
        "2",
        "--contact-first-name",
        "Ana",
        "--contact-phone",
        "+56987654321",
        "--custom-field",
        "priority=high",
    ]));
    assert_eq!(created["contacts"][0]["firstName"], "Ana");
    let out = sandboxed(&["conversations", "create", "--funnel-id", "2"]);
    assert_eq!(out.status.code(), Some(2), "no contact: {}", stderr(&out));
    assert!(stderr(&out).contains("contactId"), "{}", stderr(&out));

    let scratch = Scratch::new("llamadapro-bulk");
    let mixed = scratch.file(
        "mixed.json",
        json!({"conversations": [
            {"funnelId": 1, "contact": {"firstName": "Nueva", "phones": ["+56900000001"]}},
            {"funnelId": 1, "contact": {"firstName": "Otra", "phones": ["+56900000001"]}},
            {"contact": {"firstName": "Sin funnel"}},
            {"funnelId": 2, "contactId": 999999},
        ]})
        .to_string()
        .as_bytes(),
    );
    let out = sandboxed(&["conversations", "bulk-create", "--json", &mixed]);
    assert_eq!(out.status.code(), Some(1), "failed items are not unnoticed");
    let outcomes = lines(&stdout(&out));
    let kinds: Vec<&str> = outcomes.iter().map(|o| o["outcome"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["succeeded", "duplicate", "failed", "failed"]);
    assert_eq!(outcomes[2]["field"], "funnelId");
    assert_eq!(outcomes[2]["code"], "REQUIRED_FIELD");
    let err = stderr(&out);
    assert!(err.contains("1 of 4 items were duplicates") && err.contains("error: 2 of 4 items failed"), "{err}");

    let fine = scratch.file("fine.json", br#"[{"funnelId": 3, "contact": {"phones": ["+56900000009"]}}]"#);
    let out = ok(sandboxed(&["conversations", "bulk-create", "--json", &fine, "-o", "table"]));
    assert!(out.lines().nth(1).unwrap().contains("succeeded"), "{out}");
    let updates = scratch.file("updates.json", br#"[{"id": 320, "funnelStatusId": 2}, {"id": 1}]"#);
    let out = sandboxed(&["conversations", "bulk-update", "--json", &updates]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(lines(&stdout(&out))[1]["message"], "no conversation 1");
    let out = sandboxed(&["conversations", "bulk-update"]);
    assert_eq!(out.status.code(), Some(2), "bulk items come from --json");
}

#[test]
fn messages_and_media() {
    let sent = json_of(sandboxed(&[
        "messages",
        "whatsapp-template",
        "--from",
        "+14155552671",
        "--to",
        "+56912345678",
        "--template",
        "order_update",
        "--language",
        "es",
        "--variable",
        "A-1",
    ]));
    assert!(sent["content"].as_str().unwrap().contains("A-1"));
    // Checked before sending: a number that is not E.164, and both variables and components.
    let out =
        sandboxed(&["messages", "whatsapp-text", "--from", "+1 415 555 2671", "--to", "+56912345678", "--text", "hi"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("fromPhoneNumber: \"+1 415 555 2671\" is not an E.164 phone number"),
        "{}",
        stderr(&out)
    );
    let scratch = Scratch::new("llamadapro-messages");
    let components = scratch.file(
        "components.json",
        br#"{"components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}]}]}"#,
    );
    let out = sandboxed(&[
        "messages",
        "whatsapp-template",
        "--json",
        &components,
        "--from",
        "+14155552671",
        "--to",
        "+56912345678",
        "--template",
        "t",
        "--language",
        "es",
        "--variable",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("variables or components, not both"), "{}", stderr(&out));

    let image = scratch.file("photo.png", b"\x89PNG fake");
    let media = ok(sandboxed(&[
        "messages",
        "upload-media",
        "--from",
        "+14155552671",
        "--file",
        &image,
        "--content-type",
        "image/png",
        "--tag",
        "k=v",
        "-o",
        "csv",
    ]));
    let mut rows = media.lines();
    assert_eq!(rows.next(), Some("fileId,mediaId,fileName,contentType,size"));
    assert!(rows.next().unwrap().ends_with(",photo.png,image/png,9"));
    let out = sandboxed(&["messages", "upload-media", "--from", "+14155552671"]);
    assert_eq!(out.status.code(), Some(2), "neither mode: {}", stderr(&out));

    let served = served_llamadapro();
    let text = json_of(run_served(
        &served,
        &[
            "messages",
            "whatsapp-text",
            "--from",
            "+14155552671",
            "--to",
            "+56912345678",
            "--text",
            "Factura",
            "--type",
            "document",
            "--file-id",
            "file_1",
        ],
    ));
    let id = text["id"].as_str().unwrap();
    let got = json_of(run_served(&served, &["messages", "get", id]));
    assert_eq!(got["attachments"][0]["type"], "document");
    served.interrupt();
}

#[test]
fn custom_fields() {
    let table =
        ok(sandboxed(&["custom-fields", "definitions", "list", "--filter", "entityType:CONTACT", "-o", "table"]));
    let keys: Vec<&str> = table.lines().skip(1).map(|l| l.split_whitespace().nth(2).unwrap()).collect();
    assert_eq!(keys, ["source", "tier", "birthday"]);
    let out = sandboxed(&["custom-fields", "definitions", "delete", "101"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is in use") && err.contains("--force"), "{err}");
    let deleted = json_of(sandboxed(&["custom-fields", "definitions", "delete", "101", "--force"]));
    assert_eq!(deleted["fieldKey"], "source");

    let served = served_llamadapro();
    let created = json_of(run_served(
        &served,
        &["custom-fields", "definitions", "create", "--entity-type", "CONTACT", "--key", "plan", "--type", "LIST"],
    ));
    let def = created["id"].as_u64().unwrap().to_string();
    let updated = json_of(run_served(&served, &["custom-fields", "definitions", "update", &def, "--label", "Plan"]));
    assert_eq!(updated["fieldLabel"], "Plan");
    assert_eq!(json_of(run_served(&served, &["custom-fields", "definitions", "get", &def]))["fieldType"], "LIST");
    let option =
        json_of(run_served(&served, &["custom-fields", "options", "create", &def, "--value", "pro", "--label", "Pro"]));
    let opt = option["id"].as_u64().unwrap().to_string();
    assert_eq!(option["definitionId"].as_u64().unwrap().to_string(), def);
    ok(run_served(&served, &["custom-fields", "options", "update", &def, &opt, "--label", "Professional"]));
    assert_eq!(json_of(run_served(&served, &["custom-fields", "options", "get", &def, &opt]))["label"], "Professional");
    let listed = lines(&ok(run_served(&served, &["custom-fields", "options", "list", &def, "--all"])));
    assert_eq!(listed.len(), 1);
    ok(run_served(&served, &["custom-fields", "options", "delete", &def, &opt]));
    ok(run_served(&served, &["custom-fields", "definitions", "delete", &def]));
    let out = run_served(
        &served,
        &["custom-fields", "definitions", "create", "--entity-type", "PLANET", "--key", "k", "--type", "LIST"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    served.interrupt();
}

#[test]
fn settings_from_flags_environment_and_profiles() {
    for args in [
        &["llamadapro", "tasks", "lists"][..],
        &["llamadapro", "tasks", "list", "--status", "pending"],
        &["llamadapro", "tasks", "list", "--limit", "0"],
        &["llamadapro", "tasks", "list", "--page-size", "0"],
        &["llamadapro", "contacts", "list", "--all", "--page-token", "x"],
    ] {
        let out = convo().arg("--sandbox").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = convo()
        .args(["llamadapro", "tasks", "list"])
        .env("LLAMADAPRO_BASE_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("LLAMADAPRO_API_KEY") && err.contains("--api-key"), "{err}");

    let served = served_llamadapro();
    let out = run_served(&served, &["contacts", "list", "--page-size", "2", "-o", "jsonl"]);
    assert_eq!(lines(&ok(out)).len(), 2);
    let out = convo()
        .envs(&served.env)
        .env("LLAMADAPRO_API_KEY", "llp_definitely_wrong")
        .args(["llamadapro", "tasks", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("get_tasks: HTTP 401") && !err.contains("llp_definitely_wrong"), "{err}");

    // A profile supplies what flags and environment do not.
    let scratch = Scratch::new("llamadapro-profile");
    let toml = format!(
        "[profiles.staging.llamadapro]\napi_key = \"{}\"\nbase_url = \"{}\"\n",
        served.env["LLAMADAPRO_API_KEY"], served.env["LLAMADAPRO_BASE_URL"]
    );
    let config = scratch.file("config.toml", toml.as_bytes());
    let out = convo()
        .env("CONVO_CONFIG", &config)
        .args(["--profile", "staging", "llamadapro", "custom-fields", "definitions", "list"])
        .output()
        .unwrap();
    assert_eq!(lines(&ok(out)).len(), 4);
    let stopped = served.interrupt();
    assert!(stopped.status.success());
}

/// An answer the spec allows whose counts read otherwise than this crate
/// reads the items (here `successful` leaves out the item with a warning):
/// the items decide, the counts are a warning.
#[test]
fn bulk_counts_that_read_otherwise_are_a_warning() {
    let answer = json!({
        "message": "processed",
        "operationId": "op-1",
        "report": {
            "itemsIssues": [{"index": 1, "itemId": 12, "warnings": [{"field": "contact", "message": "matched by address"}]}],
            "batchErrors": [],
            "counts": {"successful": 1, "warnings": 1, "duplicates": 0, "errors": 0, "total": 2},
        },
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, _) = runtime.block_on(fault_server(vec![Answer::Full(raw(200, answer.to_string().as_bytes()))]));
    let scratch = Scratch::new("llamadapro-bulk-counts");
    let items = scratch.file("items.json", br#"[{"funnelId": 1, "contactId": 5}, {"funnelId": 1, "contactId": 6}]"#);
    let out = convo()
        .env("LLAMADAPRO_BASE_URL", &url)
        .env("LLAMADAPRO_API_KEY", "key")
        .args(["llamadapro", "conversations", "bulk-create", "--json", &items])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let kinds: Vec<Value> = lines(&stdout(&out)).into_iter().map(|o| o["outcome"].clone()).collect();
    assert_eq!(kinds, ["succeeded", "warning"]);
    let err = stderr(&out);
    assert!(err.contains("warning: the server's counts (successful 1, warnings 1"), "{err}");
}

/// `contacts search` is the spec's `searchContacts` under its `x-cli` name:
/// `--filter` and `--sort` build the body's lists (a sort's direction left
/// out is `asc`), the free text goes in place, and `--all` walks the pages
/// by the body's `pageToken` with the same filters and sort.
#[test]
fn contacts_search_filters_sorts_and_walks_every_page() {
    let sotos = |extra: &[&str]| {
        let args = [&["contacts", "search", "--filter", "lastName:eq:Soto", "--page-size", "3"][..], extra].concat();
        lines(&ok(sandboxed(&args)))
    };
    let names = |found: &[Value]| -> Vec<String> {
        found.iter().map(|c| c["firstName"].as_str().unwrap().to_owned()).collect()
    };
    let all = sotos(&["--sort", "firstName:DESC", "--all"]);
    assert!(all.len() > 3 && all.iter().all(|c| c["lastName"] == "Soto"), "more than a page, each a Soto: {all:?}");
    let desc = names(&all);
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "sorted across pages: {desc:?}");
    let asc = names(&sotos(&["--sort", "firstName", "--all"]));
    assert!(asc.windows(2).all(|w| w[0] <= w[1]) && asc.len() == desc.len(), "{asc:?}");
    let ids = |found: Vec<Value>| found.iter().map(|c| c["id"].clone()).collect::<std::collections::HashSet<_>>();
    assert_eq!(ids(all.clone()).len(), all.len(), "every match once");

    // One page: its records, and the flag that asks for the next.
    let page = sandboxed(&["contacts", "search", "--filter", "lastName:eq:Soto", "--page-size", "3"]);
    assert_eq!(lines(&ok(page.clone())).len(), 3);
    assert!(stderr(&page).contains("--all prints every page (or --page-token "), "{}", stderr(&page));
    // The free text in place is the body's `search`.
    let texts = lines(&ok(sandboxed(&["contacts", "search", "soto", "--all"])));
    assert_eq!(ids(texts), ids(all.clone()));
    // A value may hold the separator.
    assert!(ok(sandboxed(&["contacts", "search", "--filter", "addresses.address:eq:+56 9:1"])).is_empty());
    // OR-joined conditions come from --json-body.
    let either = r#"{"filters": [{"field": "lastName", "operator": "eq", "value": "Soto"},
        {"field": "lastName", "operator": "eq", "value": "Contreras", "or": true}]}"#;
    let found = lines(&ok(sandboxed(&["contacts", "search", "--json-body", either, "--all"])));
    assert!(found.len() > all.len() && found.iter().any(|c| c["lastName"] == "Contreras"), "{found:?}");

    for (args, says) in [
        (&["contacts", "search", "--filter", "lastName:soto"][..], "expected FIELD:OPERATOR:VALUE"),
        (&["contacts", "search", "--sort", "colour"], "is not one of id, createdAt"),
        (&["contacts", "search", "--all", "--page-token", "t"], "cannot be used with"),
    ] {
        let out = sandboxed(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// The search's operation command walks its pages by the body's `pageToken`
/// (the spec's `x-body` paging): every contact once.
#[test]
fn the_search_operation_walks_its_pages_by_the_body() {
    let all = lines(&ok(sandboxed(&["search-contacts", "--all", "--size", "7", "--include-archived", "true"])));
    let ids: std::collections::HashSet<String> = all.iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!((all.len(), ids.len()), (60, 60), "every seeded contact, archived ones too, once");
}
