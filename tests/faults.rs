//! What a bad network does to a call, over loopback: a server of our own that
//! answers each connection with a scripted fault (a body that breaks off, a
//! connection closed after the request, a 500, an oversized body), in front
//! of a body the raia emulator really sends.

#[path = "common/fault_server.rs"]
mod fault_server;

use std::sync::atomic::Ordering;
use std::time::Duration;

use convo_clients::raia::Client;
use convo_clients::raia::types::CreateConversationRequest;
use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox};
use convo_clients::{ClientConfig, Error, RetryPolicy};
use fault_server::{Answer, fault_server, raw};

const STATES: &str = "/external/conversations/states";

/// The emulator's own answer to `GET path`, as raw HTTP/1.1 bytes.
async fn recorded(path: &str) -> Vec<u8> {
    let sb = RaiaSandbox::start(1, 0, RaiaConfig::default()).await.unwrap();
    let response = reqwest::Client::new()
        .get(format!("{}{path}", sb.base_url()))
        .header("Agent-Secret-Key", sb.secret_key().expose())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    raw(200, &response.bytes().await.unwrap())
}

fn client(base_url: &str, config: ClientConfig) -> Client {
    Client::builder("sandbox-key").base_url(base_url).config(config).build().unwrap()
}

fn fast() -> ClientConfig {
    ClientConfig::default().with_retry(RetryPolicy::default().with_base_delay(Duration::from_millis(5)))
}

#[tokio::test]
async fn a_body_that_breaks_off_is_fetched_again() {
    let full = recorded(STATES).await;
    let (url, served) = fault_server(vec![Answer::CutBody(full.clone()), Answer::Full(full)]).await;
    let states = client(&url, fast()).list_conversation_states().send().await.expect("the second attempt");
    assert!(!states.is_empty());
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_retried() {
    let full = recorded(STATES).await;
    let (url, served) = fault_server(vec![Answer::Close, Answer::Full(full)]).await;
    client(&url, fast()).list_conversation_states().send().await.expect("the second attempt");
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_500_to_a_get_is_retried() {
    let full = recorded(STATES).await;
    let failed = raw(500, br#"{"status": 500, "message": "try again"}"#);
    let (url, served) = fault_server(vec![Answer::Full(failed), Answer::Full(full)]).await;
    client(&url, fast()).list_conversation_states().send().await.expect("the second attempt");
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_post_that_creates_something_is_not_sent_twice() {
    let (url, served) = fault_server(vec![Answer::Close]).await;
    let body = CreateConversationRequest::builder().conversation_user_id("u1");
    let err = Error::from(client(&url, fast()).create_conversation().body(body).send().await.unwrap_err());
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_body_over_the_cap_is_an_error_and_not_retried() {
    let full = recorded(STATES).await;
    let (url, served) = fault_server(vec![Answer::Full(full)]).await;
    let capped = client(&url, fast().with_max_body_bytes(16));
    let err = Error::from(capped.list_conversation_states().send().await.unwrap_err());
    assert!(matches!(err, Error::BodyTooLarge { limit: 16, .. }), "{err}");
    assert!(err.to_string().contains("16-byte cap"), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 1);
}
