//! The runtime's logs, in their own test binary (tracing caches per-callsite
//! interest process-wide): each request, each retry with its reason and
//! wait, a Retry-After wait as "waiting N s", and never a secret.

#[path = "common/fault_server.rs"]
mod fault_server;

use std::sync::{Arc, Mutex};

use convo_clients::salesloft::{ApiKey, Client, ConversationQuery};
use fault_server::{Answer, fault_server, raw_with};

const API_KEY: &str = "ak_LogSecret-5d1e0a";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_salesloft_429_logs_its_wait_and_each_request_and_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let limited = raw_with(429, &[("Retry-After", "1")], br#"{"error":"rate limited"}"#);
    let (url, _) = fault_server(vec![Answer::Full(limited), Answer::Echo(404)]).await;
    let client = Client::builder(ApiKey(API_KEY.into())).base_url(&url).build().unwrap();
    let error = client.conversations_page(&ConversationQuery::default(), 1).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404), "{error}");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
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
