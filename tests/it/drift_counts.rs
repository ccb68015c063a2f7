//! Drift seen in ordinary use (issue 14): a response with a field the spec
//! does not list and an enum value it does not list is counted by the
//! client that decoded it (`client.drift()`) and by the process
//! (`convo_clients::drift::seen()`), by operation, path and value, without
//! the value of a secret-like field; a sandbox's responses, which follow the
//! spec, count nothing; and the CLI says so in one line on stderr.
//!
//! The drifting server is a sandbox's own answer, edited: fetched over
//! loopback, changed, and served by a one-shot server of `common/`. The
//! warnings it logs are tested in `drift_logs.rs`, a binary of their own.

use crate::common;
use crate::drifting;
use crate::fault_server;

use convo_clients::salesloft::{ApiKey, Client};
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
use drifting::{SECRET, drifting_body};
use fault_server::{Answer, fault_server, raw};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

#[tokio::test]
async fn a_client_counts_unknown_fields_and_values_by_operation_and_path() {
    let (_sandbox, body) = drifting_body().await;
    let (url, _) = fault_server(vec![Answer::Full(raw(200, &body))]).await;
    let client = Client::builder(ApiKey("ak_drift".into())).base_url(&url).build().unwrap();
    assert!(client.drift().is_empty());

    for _ in 0..2 {
        let page = client.list_conversations().per_page(3).page(1).send().await.unwrap();
        // Decoding went on: the records are there, the new value kept.
        assert_eq!(page.data.len(), 3);
        assert_eq!(page.data[2].platform.as_ref().map(|p| p.as_str()), Some("hologram"));
    }

    let report = client.drift();
    let drift = report.operation("listConversations").expect("listConversations drifted");
    assert_eq!(report.operation("list_conversations"), Some(drift));
    assert_eq!((drift.api, drift.operation), ("salesloft", "listConversations"));
    assert_eq!(drift.responses, 2);
    assert_eq!(drift.unknown_fields, 6, "{drift:?}");
    assert_eq!(drift.unrecognized_values, 2, "{drift:?}");
    for path in ["data[0].access_token", "data[1].sentimentScore", "metadata.paging.cursor"] {
        assert!(drift.unknown_field_examples.iter().any(|p| p == path), "{path} not in {drift:?}");
    }
    let value = &drift.unrecognized_value_examples[0];
    assert_eq!((value.enum_type, value.value.as_str()), ("Platform", "hologram"));

    // The process keeps the total too.
    let seen = convo_clients::drift::seen();
    assert!(seen.operation("listConversations").is_some_and(|o| o.responses >= 2), "{seen}");

    // Paths only: the secret-like field's value shows nowhere.
    let shown = format!("{report}\n{report:?}\n{}\n{}", report.summary(), serde_json::to_string(&report).unwrap());
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("salesloft listConversations: 2 responses: 6 unknown fields"), "{shown}");
    assert!(shown.contains(r#"Platform "hologram""#), "{shown}");
}

/// The sandboxes answer as their specs say: a tour of each API's reads
/// (and the hand-written token and domain types) counts no drift.
#[tokio::test]
async fn sandbox_responses_count_nothing() {
    use convo_clients::sandbox::{liveperson, llamadapro, luware, raia};

    let sandbox = SalesloftSandbox::start(21, 0, SalesloftConfig::default()).await.unwrap();
    let client = Client::builder(ApiKey(sandbox.api_key().into())).base_url(sandbox.base_url()).build().unwrap();
    let all: Vec<_> = client.list_conversations().per_page(50).stream().take(120).try_collect().await.unwrap();
    client.get_conversation().id(&all[0].id).send().await.unwrap();
    assert!(client.drift().is_empty(), "{}", client.drift());

    let sandbox = luware::LuwareSandbox::start(42, 0, luware::LuwareConfig::default()).await.unwrap();
    let client = convo_clients::luware::Client::new(sandbox.base_url(), sandbox.credentials()).unwrap();
    let filters = convo_clients::luware::Filters::new();
    let calls: Vec<_> = client
        .search(convo_clients::luware::SearchRequest::new(filters).limit(25))
        .take(30)
        .try_collect()
        .await
        .unwrap();
    client.get_conversation().ccdr_id(&calls[0].ccdr_id).send().await.unwrap();
    assert!(client.drift().is_empty(), "{}", client.drift());

    let sandbox = raia::RaiaSandbox::start(7, 0, raia::RaiaConfig::default()).await.unwrap();
    let client =
        convo_clients::raia::Client::builder(sandbox.secret_key()).base_url(sandbox.base_url()).build().unwrap();
    client.list_conversations().page_size(10).page(1).send().await.unwrap();
    assert!(client.drift().is_empty(), "{}", client.drift());

    let sandbox = llamadapro::LlamadaProSandbox::start(4, 0, llamadapro::LlamadaProConfig::default()).await.unwrap();
    let client =
        convo_clients::llamadapro::Client::builder(sandbox.api_key()).base_url(sandbox.base_url()).build().unwrap();
    let contacts: Vec<_> = client.get_contacts().stream().try_collect().await.unwrap();
    assert!(!contacts.is_empty());
    assert!(client.drift().is_empty(), "{}", client.drift());

    let sandbox = liveperson::LivePersonSandbox::start(9, 0, liveperson::LivePersonConfig::default()).await.unwrap();
    let client = convo_clients::liveperson::Client::builder(sandbox.account_id(), sandbox.credentials())
        .csds_base_url(sandbox.base_url())
        .zone_base_url(sandbox.zone(), sandbox.base_url())
        .build()
        .unwrap();
    // The domain lookup (a hand-written type) and the login.
    client.login().await.unwrap();
    assert!(client.drift().is_empty(), "{}", client.drift());
}

#[test]
fn the_cli_notes_drift_in_one_line_on_stderr() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (sandbox, body) = runtime.block_on(drifting_body());
    let (url, _) = runtime.block_on(fault_server(vec![Answer::Full(raw(200, &body))]));
    let list = |base_url: &str, key: &str, extra: &[&str]| {
        let output = common::convo()
            .args(["salesloft", "conversations", "list", "--page-size", "3", "--base-url", base_url])
            .args(extra)
            .env("SALESLOFT_API_KEY", key)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", common::stderr(&output));
        (common::stdout(&output), common::stderr(&output))
    };

    let (stdout, stderr) = list(&url, "ak_drift", &[]);
    // The data, on stdout, as usual.
    assert_eq!(stdout.lines().filter(|l| serde_json::from_str::<Value>(l).is_ok()).count(), 3, "{stdout}");
    let notes: Vec<&str> = stderr.lines().filter(|l| l.contains("spec does not list")).collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    let note = notes[0];
    for expected in [
        "note: 1 response had fields or values the spec does not list (listConversations: 3 unknown fields (e.g. ",
        r#"1 unrecognized enum value (e.g. "hologram")"#,
        "run `convo salesloft check` to see the details",
    ] {
        assert!(note.contains(expected), "{expected} not in {note}");
    }
    assert!(!stderr.contains(SECRET), "{stderr}");

    // --quiet: no note.
    let (_, stderr) = list(&url, "ak_drift", &["--quiet"]);
    assert!(!stderr.contains("spec does not list"), "{stderr}");

    // A clean answer: no note.
    let (stdout, stderr) = list(&sandbox.base_url(), &sandbox.api_key(), &[]);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(!stderr.contains("spec does not list"), "{stderr}");
    drop(sandbox);
}

/// Fields are told by their unescaped names, wherever they sit: in an
/// object of an array item, an object inside an optional field, an array of
/// arrays; an escaped key is told as it reads (`newField`).
#[tokio::test]
async fn unknown_fields_are_told_by_their_path_in_nested_and_escaped_keys() {
    let (_sandbox, body) = drifting_body().await;
    let mut body: Value = serde_json::from_slice(&body).unwrap();
    body["data"][1]["account"] = serde_json::json!({ "id": "7", "region": "emea" });
    body["data"][2]["grid"] = serde_json::json!([[1], [2, 3]]);
    let body = serde_json::to_string(&body).unwrap().replacen('{', r#"{"new\u0046ield":{"a":[{"b":1}]},"#, 1);
    let (url, _) = fault_server(vec![Answer::Full(raw(200, body.as_bytes()))]).await;
    let client = Client::builder(ApiKey("ak_drift".into())).base_url(&url).build().unwrap();

    let page = client.list_conversations().per_page(3).page(1).send().await.unwrap();
    assert_eq!(page.data[1].account.as_ref().and_then(|a| a.id.as_deref()), Some("7"));

    let report = client.drift();
    let drift = report.operation("listConversations").expect("listConversations drifted");
    assert_eq!(drift.unknown_fields, 6, "{drift:?}");
    for path in ["newField", "data[1].account.region", "data[2].grid"] {
        assert!(drift.unknown_field_examples.iter().any(|p| p == path), "{path} not in {drift:?}");
    }
}
