//! What a client's drift report keeps of the responses it decoded
//! (`drift`): each unknown field by its path with its first index, each
//! unrecognized value escaped and bounded, every count but a few examples,
//! and nothing from a decode that was not a call's. A Salesloft sandbox's
//! answer, edited and served by a server of `common/`.

use crate::fault_server::{Answer, fault_server, raw};

use convo_clients::salesloft::types::Platform;
use convo_clients::salesloft::{ApiKey, Client};
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
use serde_json::{Value, json};

/// A Salesloft sandbox, and a page of three conversations as it answers.
async fn page() -> (SalesloftSandbox, Value) {
    let sandbox = SalesloftSandbox::start(21, 0, SalesloftConfig::default()).await.unwrap();
    let url = format!("{}/v2/conversations?per_page=3", sandbox.base_url());
    let response = crate::raw_http().get(url).bearer_auth(sandbox.api_key()).send().await.unwrap();
    let body: Value = response.error_for_status().unwrap().json().await.unwrap();
    assert_eq!(body["data"].as_array().map(Vec::len), Some(3), "{body}");
    (sandbox, body)
}

/// A client of a server that answers its calls with `bodies`, in order.
async fn answering(bodies: &[Value]) -> Client {
    let answers = bodies.iter().map(|body| Answer::Full(raw(200, &serde_json::to_vec(body).unwrap()))).collect();
    let (url, _) = fault_server(answers).await;
    Client::builder(ApiKey("ak_drift".into())).base_url(&url).build().unwrap()
}

async fn list(client: &Client) {
    client.list_conversations().per_page(3).page(1).send().await.unwrap();
}

#[tokio::test]
async fn paths_name_the_field_and_its_first_index() {
    let (_sandbox, mut body) = page().await;
    body["data"][1]["new"] = json!(1);
    body["data"][1]["transcription"] = json!({"id": "t1", "x": [1]});
    body["data"][2]["new"] = json!(2);
    body["more"] = json!(true);
    let client = answering(&[body]).await;
    list(&client).await;
    let report = client.drift();
    let drift = report.operation("listConversations").expect("drift");
    assert_eq!((drift.responses, drift.unknown_fields), (1, 4));
    // The first path of each field, whatever the index it shows at later.
    assert_eq!(drift.unknown_field_examples, ["data[1].new", "data[1].transcription.x", "more"]);
}

#[tokio::test]
async fn values_of_secret_named_enums_are_masked_and_text_is_bounded() {
    let (_sandbox, mut body) = page().await;
    body["data"][0]["platform"] = json!("\u{1b}[31m".repeat(100));
    let client = answering(&[body]).await;
    list(&client).await;
    let report = client.drift();
    let drift = report.operation("listConversations").expect("drift");
    assert_eq!(drift.unrecognized_values, 1);
    let value = &drift.unrecognized_value_examples[0].value;
    assert!(!value.contains('\u{1b}'), "{value:?}");
    // At most 120 characters, and the `…` that says it was cut.
    assert!(value.chars().count() <= 120 + 1, "{value:?}");
}

/// An open enum decoded outside a call's response (here, by the caller)
/// counts nowhere, nor in the call that comes next on the same thread.
#[tokio::test]
async fn nothing_is_noted_outside_a_decode() {
    let stray: Platform = serde_json::from_str(r#""stray-outside-a-call""#).unwrap();
    assert_eq!(stray.as_str(), "stray-outside-a-call");
    let (sandbox, _) = page().await;
    let client = Client::builder(ApiKey(sandbox.api_key().into())).base_url(sandbox.base_url()).build().unwrap();
    list(&client).await;
    assert!(client.drift().is_empty(), "{}", client.drift());
    let seen = convo_clients::drift::seen();
    let values = seen.operations().iter().flat_map(|o| &o.unrecognized_value_examples);
    assert!(values.into_iter().all(|e| e.value != "stray-outside-a-call"), "{seen}");
}

#[tokio::test]
async fn a_log_keeps_few_examples_and_every_count() {
    let (_sandbox, body) = page().await;
    let bodies: Vec<Value> = (0..100)
        .map(|i| {
            let mut body = body.clone();
            body["data"][0][format!("f{i}")] = json!(0);
            body
        })
        .collect();
    let client = answering(&bodies).await;
    for _ in 0..100 {
        list(&client).await;
    }
    let report = client.drift();
    let drift = report.operation("list_conversations").unwrap();
    assert_eq!((drift.responses, drift.unknown_fields), (100, 100));
    assert_eq!(drift.unknown_field_examples, ["data[0].f0", "data[0].f1", "data[0].f2", "data[0].f3", "data[0].f4"]);
    assert!(
        report
            .to_string()
            .starts_with("salesloft listConversations: 100 responses: 100 unknown fields (e.g. data[0].f0"),
        "{report}"
    );
}

/// What the CLI's operation commands find by walking an answer is counted
/// by the operation that answered, beside the typed calls' (`--wait` flows
/// answer through several operations in one run).
#[test]
fn surveyed_drift_is_counted_by_its_own_operation() {
    use convo_clients::spec::survey::{Drift, DriftKind};
    let drift = |kind, location: &str, detail: &str| Drift {
        operation: String::new(),
        kind,
        location: location.into(),
        detail: detail.into(),
    };
    let sent = [drift(DriftKind::UnknownField, "$.items[].extra", "not in the schema")];
    let polled = [
        drift(DriftKind::UnlistedEnumValue, "$.state", r#""queued" is not one of done, failed"#),
        drift(DriftKind::FormatMismatch, "$.finishedAt", "not a date-time"),
    ];
    convo_clients::drift::record_survey("drift_test", "sendThing", &sent.iter().collect::<Vec<_>>());
    convo_clients::drift::record_survey("drift_test", "pollThing", &polled.iter().collect::<Vec<_>>());
    convo_clients::drift::record_survey("drift_test", "pollThing", &polled.iter().collect::<Vec<_>>());

    let seen = convo_clients::drift::seen();
    let send = seen.operation("sendThing").unwrap();
    assert_eq!((send.responses, send.unknown_fields, send.unrecognized_values, send.other_differences), (1, 1, 0, 0));
    assert_eq!(send.unknown_field_examples, ["$.items[].extra"]);
    let poll = seen.operation("pollThing").unwrap();
    assert_eq!((poll.responses, poll.unknown_fields, poll.unrecognized_values, poll.other_differences), (2, 0, 2, 2));
    assert_eq!(poll.unrecognized_value_examples[0].value, "queued");
    assert_eq!(poll.other_difference_examples, ["format mismatch $.finishedAt"]);
    let line = poll.to_string();
    assert!(line.contains("2 other differences (e.g. format mismatch $.finishedAt)"), "{line}");
}
