//! Every spec operation is a `convo <api> <operation-id>` command, built
//! from the embedded spec, and sends through the generated client's hooks.

use crate::common;
use crate::fault_server;

use std::io::Write;
use std::net::TcpListener;
use std::process::{Output, Stdio};

use common::{convo, stderr, stdout};
use serde_json::Value;

const SPECS: [(&str, &str); 5] = [
    ("luware", convo_clients::luware::SPEC_JSON),
    ("liveperson", convo_clients::liveperson::SPEC_JSON),
    ("salesloft", convo_clients::salesloft::SPEC_JSON),
    ("raia", convo_clients::raia::SPEC_JSON),
    ("llamadapro", convo_clients::llamadapro::SPEC_JSON),
];

/// `getConversation` → `get-conversation`, `created_at[lt]` → `created-at-lt`:
/// the spec model's spelling of names on the command line.
fn kebab(name: &str) -> String {
    convo_clients::spec::model::case(name, '-')
}

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => resolve(doc, doc.pointer(pointer).expect("$ref resolves")),
        None => value,
    }
}

fn run(args: &[&str]) -> Output {
    convo().args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(output.status.success(), "convo {args:?}: {}", stderr(&output));
    stdout(&output)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn every_operation_is_a_command_with_every_parameter_a_flag() {
    let mut operations = 0;
    for (api, spec) in SPECS {
        let doc: Value = serde_json::from_str(spec).unwrap();
        let listing = ok(&[api, "--help"]);
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
                let name = kebab(id);
                assert!(
                    listing.lines().any(|l| l.trim_start().starts_with(&format!("{name} "))),
                    "`convo {api} --help` lists {name} ({method} {path}):\n{listing}"
                );
                let help = ok(&[api, &name, "--help"]);
                assert!(help.contains(&format!("{} {path}", method.to_uppercase())), "{api} {name}: {help}");
                let params =
                    item.get("parameters").into_iter().chain(op.get("parameters")).flat_map(|p| p.as_array().unwrap());
                for param in params {
                    let param = resolve(&doc, param);
                    if !["path", "query", "header"].contains(&param["in"].as_str().unwrap()) {
                        continue;
                    }
                    let flag = format!("--{} ", kebab(param["name"].as_str().unwrap()));
                    assert!(help.contains(&flag), "`convo {api} {name} --help` has {flag}:\n{help}");
                    // A parameter sharing an API setting's flag (LivePerson's
                    // --account-id) has the setting's help.
                    let setting = listing.contains(&flag);
                    if let Some(description) = param.get("description").and_then(Value::as_str).filter(|_| !setting) {
                        let first = description.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
                        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
                        assert!(flat.contains(&first), "{api} {name} {flag}: help is the description {first:?}");
                    }
                }
                if op.get("requestBody").is_some() {
                    assert!(help.contains("--json-body "), "{api} {name} takes --json-body");
                }
                operations += 1;
            }
        }
    }
    assert!(operations > 70, "{operations} operations");
}

#[test]
fn scalar_body_fields_are_flags_and_enums_are_listed() {
    let help = ok(&["llamadapro", "create-task", "--help"]);
    assert!(help.contains("--objective "), "{help}");
    assert!(help.contains("--status "), "{help}");
    assert!(help.contains("completed"), "enum values in help: {help}");
    let help = ok(&["luware", "get-conversation", "--help"]);
    assert!(help.contains("SPEECH_SUMMARY"), "{help}");
    // Friendly commands stay beside the generated ones.
    let listing = ok(&["luware", "--help"]);
    assert!(listing.contains("transcript") && listing.contains("get-conversation"), "{listing}");
}

#[test]
fn luware_get_conversation_against_the_sandbox() {
    let first = ok(&["--sandbox", "luware", "conversations", "list", "--page-size", "1"]);
    let id = json(first.lines().next().unwrap())["ccdrId"].as_str().unwrap().to_string();
    let conversation = json(&ok(&["--sandbox", "luware", "get-conversation", "--ccdr-id", &id]));
    assert_eq!(conversation["ccdrId"], id.as_str());
    let expanded = json(&ok(&["--sandbox", "luware", "get-conversation", "--ccdr-id", &id, "--expands", "METADATA"]));
    assert_eq!(expanded["ccdrId"], id.as_str());
    // jsonl: one line.
    let line = ok(&["--sandbox", "luware", "get-conversation", "--ccdr-id", &id, "-o", "jsonl"]);
    assert_eq!(line.lines().count(), 1);
    // A non-JSON body goes to stdout as bytes.
    let media = run(&["--sandbox", "luware", "download-media", "--ccdr-id", &id, "--file-extension", "vtr"]);
    assert!(media.status.success(), "{}", stderr(&media));
    assert!(media.stdout.starts_with(b"PK"), "a zip");
}

#[test]
fn llamadapro_raia_and_salesloft_operations() {
    let tasks = json(&ok(&["--sandbox", "llamadapro", "get-tasks", "--limit", "5", "--status", "completed"]));
    let items = tasks["items"].as_array().unwrap();
    assert!(!items.is_empty() && items.len() <= 5, "{tasks}");
    assert!(items.iter().all(|t| t["status"] == "completed"));

    let raia = json(&ok(&["--sandbox", "raia", "list-conversations", "--page-size", "2"]));
    assert!(raia["data"].as_array().is_some_and(|d| !d.is_empty()), "{raia}");
    let id = raia["data"][0]["id"].as_str().unwrap();
    let one = json(&ok(&["--sandbox", "raia", "get-conversation", "--id", id]));
    assert_eq!(one["id"], id);

    let salesloft = json(&ok(&["--sandbox", "salesloft", "list-conversations", "--per-page", "2"]));
    assert_eq!(salesloft["data"].as_array().unwrap().len(), 2, "{salesloft}");
    let csv = ok(&["--sandbox", "salesloft", "list-conversations", "--per-page", "2", "-o", "csv"]);
    assert!(!csv.is_empty());

    // LivePerson's accountId path parameter shares --account-id, the sandbox's account by default.
    let domains = json(&ok(&["--sandbox", "liveperson", "list-service-domains", "--version", "1.0"]));
    assert!(domains["baseURIs"].as_array().is_some_and(|d| !d.is_empty()), "{domains}");
}

#[test]
fn json_body_from_stdin_with_field_flags_overriding() {
    let mut child = convo()
        .args(["--sandbox", "llamadapro", "create-task", "--json-body", "-", "--objective", "Overridden"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            br#"{"context":{"conversationId":320},"objective":"From stdin","createdBy":{"id":"u1","type":"user"},"assignedTo":{"id":"ai-7","type":"ai_employee"}}"#,
        )
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let task = json(&stdout(&output));
    assert_eq!(task["objective"], "Overridden");
    assert_eq!(task["assignedTo"]["id"], "ai-7");
}

#[test]
fn usage_errors_exit_2_and_send_nothing() {
    // A missing required flag: clap's error.
    let output = run(&["--sandbox", "luware", "get-conversation"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--ccdr-id"));

    // Values the spec rejects: the spec check's message, and no request.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let cases: [(&[&str], &str); 4] = [
        (&["llamadapro", "--api-key", "k", "--base-url", &base, "get-tasks", "--status", "BOGUS"], "is not one of"),
        (&["salesloft", "--api-key", "k", "--base-url", &base, "list-conversations", "--per-page", "1000"], "maximum"),
        // A negative number is a value (clap would take it for a flag).
        (&["salesloft", "--api-key", "k", "--base-url", &base, "list-conversations", "--per-page", "-5"], "minimum"),
        (&["llamadapro", "--api-key", "k", "--base-url", &base, "create-task", "--objective", "x"], "context"),
    ];
    for (args, message) in cases {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(message), "{args:?}: {}", stderr(&output));
    }
    assert!(listener.accept().is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock), "nothing was sent");

    // A bad --json-body file.
    let output = run(&["--sandbox", "llamadapro", "create-task", "--json-body", "/nonexistent.json"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn api_errors_exit_1() {
    let output = run(&["--sandbox", "llamadapro", "get-task", "--task-id", "task_missing"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("get_task"), "{}", stderr(&output));
}

/// The friendly commands send what the spec allows and nothing else: a phone
/// number that is not E.164 (or, for raia, not a phone number at all), an
/// empty range of dates or an empty text is an input error (exit 2) that names
/// the field and the rule, and nothing reaches the server.
#[test]
fn friendly_commands_refuse_what_the_spec_forbids_before_sending() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let llamadapro = ["llamadapro", "--api-key", "k", "--base-url", &base];
    let raia = ["raia", "--secret-key", "k", "--base-url", &base];
    let salesloft = ["salesloft", "--api-key", "k", "--base-url", &base];
    let cases: [(Vec<&str>, &[&str]); 9] = [
        (
            [&llamadapro[..], &["contacts", "create", "--first-name", "A", "--phone", "12345"]].concat(),
            &[r#"request body.addresses[0].address: "12345" is not an E.164 phone number"#],
        ),
        (
            [&llamadapro[..], &["contacts", "create", "--whatsapp", "+56 9 1234 5678"]].concat(),
            &["addresses[0].address", "is not an E.164 phone number"],
        ),
        (
            [&llamadapro[..], &["conversations", "create", "--funnel-id", "1", "--contact-phone", "12345"]].concat(),
            &["contact.phones[0]", r#""12345" is not an E.164 phone number"#],
        ),
        (
            [&llamadapro[..], &["calls", "start-agent", "--voice-agent-id", "7", "--to", "555"]].concat(),
            &[r#"request body.to: "555" is not an E.164 phone number"#],
        ),
        (
            [&llamadapro[..], &["tasks", "list", "--due-after", "2024-05-02", "--due-before", "2024-05-01"]].concat(),
            // The flags typed, not the wire names (issue 22's audit).
            &["--due-after and --due-before", "the range is empty"],
        ),
        (
            [
                &raia[..],
                &[
                    "conversations",
                    "start",
                    "sms",
                    "--first-name",
                    "A",
                    "--last-name",
                    "B",
                    "--phone",
                    "call-me-maybe",
                    "--introduction",
                    "Hi",
                ],
            ]
            .concat(),
            &[r#"error: request body.phoneNumber: "call-me-maybe" does not match the pattern"#],
        ),
        (
            [&raia[..], &["conversations", "list", "--since", "2024-03-21", "--until", "2024-03-20T12:00:00Z"]]
                .concat(),
            // The flags typed, now that the list is the spec's operation command.
            &["--since and --until", "startDate", "is after endDate", "the range is empty"],
        ),
        (
            [
                &salesloft[..],
                &["conversations", "list", "--created-after", "2024-03-21", "--created-before", "2024-03-20"],
            ]
            .concat(),
            &["created_at[gt]", "the range is empty"],
        ),
        (
            [&salesloft[..], &["conversations", "list", "--longer-than-ms", "5000", "--shorter-than-ms", "10"]]
                .concat(),
            &["duration[gt]", "the range is empty"],
        ),
    ];
    for (args, messages) in cases {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        for message in messages {
            assert!(stderr(&output).contains(message), "{args:?}: {}", stderr(&output));
        }
    }
    assert!(listener.accept().is_err_and(|e| e.kind() == std::io::ErrorKind::WouldBlock), "nothing was sent");

    // LivePerson logs in before it sends, so this runs in-process; an empty
    // text is refused like any rule of the spec.
    let output = run(&["--sandbox", "liveperson", "send", "2312ed0e-662e-4c94-9022-f0991058b4a4", "--text", ""]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("error: request body.messages[0]: must not be empty"), "{}", stderr(&output));

    // What the vendors' documents send still goes through.
    for args in [
        &["--sandbox", "llamadapro", "contacts", "create", "--phone", "+56912345678", "--email", "a@example.com"][..],
        &["--sandbox", "llamadapro", "tasks", "list", "--due-after", "2024-05-01", "--due-before", "2024-05-02"],
        &["--sandbox", "raia", "conversations", "list", "--since", "2024-03-20", "--until", "2024-03-20T12:00:00Z"],
    ] {
        let output = run(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }
}

/// A loopback server that answers each connection with the next of
/// `answers` (status, content type, body) and hands back each request's head.
fn capturing_server(answers: Vec<(u16, &'static str, Vec<u8>)>) -> (String, std::thread::JoinHandle<Vec<String>>) {
    use std::io::Read;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut heads = Vec::new();
        for (status, content_type, body) in answers {
            let Ok((mut socket, _)) = listener.accept() else { break };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buf) {
                    Ok(n) if n > 0 => request.extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
            heads.push(String::from_utf8_lossy(&request).into_owned());
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes());
            let _ = socket.write_all(&body);
        }
        heads
    });
    (base, handle)
}

/// What the spec says is what is sent: `Accept` is the media type the
/// operation answers with (a download's `application/octet-stream`), and an
/// enum value typed in another case goes out as the spec spells it.
#[test]
fn requests_send_the_specs_media_type_and_spelling() {
    let token = br#"{"access_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln","expires_in":3600}"#.to_vec();
    let (base, heads) = capturing_server(vec![
        (200, "application/json", token),
        (200, "application/octet-stream", b"PK\x05\x06".to_vec()),
    ]);
    let output = convo()
        .args(["luware", "--base-url", &base, "download-media", "--ccdr-id", "c1", "--file-extension", "vtr"])
        .args(["--eid", "1", "--client-id", "me", "--client-secret", "s3cret", "--subscription-key", "key"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let heads = heads.join().unwrap();
    let media = heads.iter().find(|h| h.starts_with("GET ")).expect("the download was sent").to_ascii_lowercase();
    assert!(media.contains("\r\naccept: application/octet-stream\r\n"), "{media}");

    let (base, heads) = capturing_server(vec![(200, "application/json", br#"{"data":[],"metadata":{}}"#.to_vec())]);
    let args = ["salesloft", "--api-key", "k", "--base-url", &base, "list-conversations", "--sort-direction", "ASC"];
    let _ = run(&args);
    let heads = heads.join().unwrap();
    let first = heads.first().map(|h| h.lines().next().unwrap_or_default()).unwrap_or_default();
    assert!(first.contains("sort_direction=asc"), "{first}");
}

/// Answers are checked against the spec, not just printed: one whose
/// required field is renamed fails (exit 1, as a decode error); a field the
/// spec does not list is printed, with the drift note pointing to `check`.
#[test]
fn answers_are_checked_against_the_spec() {
    let state = |persistent: &str, extra: bool| {
        let mut state = serde_json::json!({
            "id": "s1", "name": "New", "description": null, "color": null,
            "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"
        });
        state[persistent] = Value::Bool(false);
        if extra {
            state["shade"] = Value::from("teal");
        }
        serde_json::json!([state]).to_string()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answers = [state("persistent", false), state("isPersistent", true)];
    let (url, _) = runtime.block_on(fault_server::fault_server(
        answers.iter().map(|body| fault_server::Answer::Full(fault_server::raw(200, body.as_bytes()))).collect(),
    ));
    let run = |args: &[&str]| {
        convo().args(["raia", "--base-url", &url]).args(args).env("RAIA_AGENT_SECRET_KEY", "k-123456").output().unwrap()
    };
    let renamed = run(&["conversations", "states"]);
    assert_eq!(renamed.status.code(), Some(1), "{}", stderr(&renamed));
    let err = stderr(&renamed);
    assert!(err.contains("does not match the spec") && err.contains("isPersistent"), "{err}");
    assert_eq!(stdout(&renamed), "", "nothing printed from a broken answer");

    let drifted = run(&["conversations", "states", "-o", "csv", "--columns", "id,shade"]);
    assert!(drifted.status.success(), "{}", stderr(&drifted));
    assert_eq!(stdout(&drifted), "id,shade\ns1,teal\n");
    assert!(stderr(&drifted).contains("the spec does not list") && stderr(&drifted).contains("convo raia check"));
}

/// `x-cli` names a command: `conversations list` is `list-conversations`,
/// its columns the spec's names, `--columns` any field path, and a list
/// without `--all` says how to go on.
#[test]
fn the_friendly_command_is_the_operation() {
    let friendly =
        ok(&["--sandbox", "salesloft", "conversations", "list", "--page-size", "3", "--sort", "created_at:asc"]);
    let raw = json(&ok(&[
        "--sandbox",
        "salesloft",
        "list-conversations",
        "--per-page",
        "3",
        "--sort-by",
        "created_at",
        "--sort-direction",
        "asc",
    ]));
    let records: Vec<Value> = friendly.lines().map(json).collect();
    assert_eq!(&records, raw["data"].as_array().unwrap());

    let csv = ok(&["--sandbox", "salesloft", "conversations", "list", "--page-size", "2", "-o", "csv"]);
    assert_eq!(csv.lines().next(), Some("id,created_at,updated_at,platform,media_type,duration,title,owner_id"));
    let csv = ok(&[
        "--sandbox",
        "salesloft",
        "conversations",
        "list",
        "--page-size",
        "2",
        "-o",
        "csv",
        "--columns",
        "id,account.id",
    ]);
    assert_eq!(csv.lines().next(), Some("id,account.id"));
    assert!(csv.lines().nth(1).is_some_and(|row| row.split(',').nth(1).is_some_and(|id| !id.is_empty())), "{csv}");

    let out = run(&["--sandbox", "salesloft", "conversations", "list", "--page-size", "2"]);
    assert!(stderr(&out).contains("--all prints every page (or --page 2"), "{}", stderr(&out));
    let out = run(&["--sandbox", "salesloft", "conversations", "ls", "--all", "--page-size", "100"]);
    assert_eq!(stdout(&out).lines().count(), 500, "{}", stderr(&out));
}
