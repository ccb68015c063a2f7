//! The warnings drift logs, in their own test binary (tracing caches
//! per-callsite interest process-wide, so a subscriber installed for one
//! test must not race with other tests): the first sight of a path, not one
//! line per response, and never a secret-like field's value.

#[path = "common/drifting.rs"]
mod drifting;
#[path = "common/fault_server.rs"]
mod fault_server;
#[path = "common/log_capture.rs"]
mod log_capture;

use convo_clients::salesloft::{ApiKey, Client};
use drifting::{SECRET, drifting_body};
use fault_server::{Answer, fault_server, raw};
use serde_json::{Value, json};

/// A warning the first time a path or value shows, not one per response:
/// twenty responses with the same drift log it once.
#[tokio::test]
async fn drift_is_logged_once_per_path_not_per_response() {
    let (_sandbox, body) = drifting_body().await;
    let mut body: Value = serde_json::from_slice(&body).unwrap();
    // A path no other test sends, so that its first sight is this test's.
    body["data"][0]["onlyInTheLogTest"] = json!(1);
    let (url, _) = fault_server(vec![Answer::Full(raw(200, &serde_json::to_vec(&body).unwrap()))]).await;
    let client = Client::builder(ApiKey("ak_drift".into())).base_url(&url).build().unwrap();

    let (captured, guard) = log_capture::capture(tracing::Level::WARN);
    for _ in 0..20 {
        client.list_conversations().per_page(3).page(1).send().await.unwrap();
    }
    drop(guard);
    let log = captured.text();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("does not list")).collect();
    assert_eq!(warnings.iter().filter(|l| l.contains("data[0].onlyInTheLogTest")).count(), 1, "{log}");
    // One per distinct path or value of this body: four fields, one value.
    assert_eq!(warnings.len(), 5, "{log}");
    assert!(
        log.contains(r#"listConversations: the response has a Platform value the spec does not list: "hologram""#),
        "{log}"
    );
    assert!(!log.contains(SECRET), "{log}");
    assert_eq!(client.drift().operation("listConversations").map(|o| o.responses), Some(20));
}
