//! The runtime's logs, in their own test binary (tracing caches per-callsite
//! interest process-wide): each request, each retry with its reason and
//! wait, a Retry-After wait as "waiting N s", and never a secret.

#[path = "common/fault_server.rs"]
mod fault_server;
#[path = "common/log_capture.rs"]
mod log_capture;

use convo_clients::salesloft::{ApiKey, Client};
use fault_server::{Answer, fault_server, raw_with};
use log_capture::capture;

const API_KEY: &str = "ak_LogSecret-5d1e0a";

#[tokio::test]
async fn a_salesloft_429_logs_its_wait_and_each_request_and_no_secret() {
    let (captured, _guard) = capture(tracing::Level::TRACE);

    let limited = raw_with(429, &[("Retry-After", "1")], br#"{"error":"rate limited"}"#);
    let (url, _) = fault_server(vec![Answer::Full(limited), Answer::Echo(404)]).await;
    let client = Client::builder(ApiKey(API_KEY.into())).base_url(&url).build().unwrap();
    let error = convo_clients::Error::from(client.list_conversations().page(1).send().await.unwrap_err());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error}");

    let log = captured.text();
    for expected in [
        "HTTP 429 Too Many Requests; waiting 1 s (Retry-After) before attempt 2",
        "attempt=1",
        "GET /v2/conversations -> 404 in",
        "operation=\"list_conversations\"",
    ] {
        assert!(log.contains(expected), "{expected} missing from:\n{log}");
    }
    for secret in [API_KEY, "Bearer"] {
        assert!(!log.contains(secret), "{secret} in:\n{log}");
    }
}
