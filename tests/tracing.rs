//! Tracing output of a request, in its own test binary (see
//! `common/log_capture.rs`).

#[path = "common/log_capture.rs"]
mod log_capture;

use convo_clients::ClientConfig;
use convo_clients::luware::Client;
use convo_clients::luware::types::Expand;
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};
use log_capture::capture;

#[tokio::test]
async fn each_request_gets_a_span_with_operation_status_and_duration_and_no_secrets() {
    let (captured, _guard) = capture(tracing::Level::DEBUG);

    let sb = LuwareSandbox::start(7, 0, LuwareConfig::default()).await.unwrap();
    let client = Client::builder(sb.base_url(), sb.credentials()).config(ClientConfig::default()).build().unwrap();
    client.get_conversation().ccdr_id(sb.conversation_id(1)).expands(vec![Expand::Metadata]).send().await.unwrap();
    let log = captured.text();
    for expected in [
        "operation=\"request_token\"",
        "operation=\"get_conversation\"",
        "status=200",
        "attempts=1",
        "duration_ms=",
        "api=\"luware\"",
    ] {
        assert!(log.contains(expected), "{expected} missing from:\n{log}");
    }
    for secret in ["sandbox-subscription-key", "p@ss", "p%40ss", "Bearer", "eyJ"] {
        assert!(!log.contains(secret), "{secret} in:\n{log}");
    }
}
