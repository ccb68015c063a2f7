//! What a bad network does to a call, over loopback: a server of our own that
//! answers each connection with a scripted fault (a body that breaks off, a
//! connection closed after the request, a 500, an oversized body), in front
//! of a body the raia emulator really sends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use convo_clients::raia::types::CreateConversationRequest;
use convo_clients::raia::{Client, ConversationQuery};
use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox};
use convo_clients::{ClientConfig, Error, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const STATES: &str = "/external/conversations/states";

/// What one connection gets.
#[derive(Clone)]
enum Answer {
    /// The whole response.
    Full(Vec<u8>),
    /// The headers and only the first half of the body, then the connection closes.
    CutBody(Vec<u8>),
    /// Nothing: the connection closes once the request has arrived.
    Close,
    /// The headers at once, then the body one byte every 50 ms: each read
    /// is quick, the whole body is not.
    Drip(Vec<u8>),
}

/// A loopback server that answers connection `n` with `answers[n]` (the
/// last one repeats), and counts the connections.
async fn fault_server(answers: Vec<Answer>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let n = count.fetch_add(1, Ordering::SeqCst);
            let answer = answers[n.min(answers.len() - 1)].clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut request).await;
                match answer {
                    Answer::Full(bytes) => {
                        let _ = socket.write_all(&bytes).await;
                    }
                    Answer::CutBody(bytes) => {
                        let head = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        let _ = socket.write_all(&bytes[..head + (bytes.len() - head) / 2]).await;
                    }
                    Answer::Close => {}
                    Answer::Drip(bytes) => {
                        let head = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                        let _ = socket.write_all(&bytes[..head]).await;
                        for byte in &bytes[head..] {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            if socket.write_all(&[*byte]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, served)
}

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

fn raw(status: u16, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
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

/// A body dripped just fast enough for the read timeout still ends: each
/// attempt of a JSON call has a deadline, and another attempt may meet it.
#[tokio::test]
async fn a_drip_cannot_outlast_the_deadline() {
    let full = recorded(STATES).await;
    let (url, served) = fault_server(vec![Answer::Drip(full.clone()), Answer::Full(full)]).await;
    let config = fast().with_read_timeout(Duration::from_secs(5)).with_json_deadline(Duration::from_millis(400));
    client(&url, config.clone()).list_conversation_states().send().await.expect("the second attempt");
    assert_eq!(served.load(Ordering::SeqCst), 2);

    let (url, _) = fault_server(vec![Answer::Drip(recorded(STATES).await)]).await;
    let once = config.with_retry(RetryPolicy::disabled());
    let err = Error::from(client(&url, once).list_conversation_states().send().await.unwrap_err());
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
}

/// A body cut short whose length header agrees with it reads to its end;
/// only its JSON shows it is incomplete, and it is fetched again.
#[tokio::test]
async fn a_truncated_json_body_is_fetched_again() {
    let full = recorded(STATES).await;
    let head = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let truncated = raw(200, &full[head..head + (full.len() - head) / 2]);
    let (url, served) = fault_server(vec![Answer::Full(truncated.clone()), Answer::Full(full)]).await;
    client(&url, fast()).list_conversation_states().send().await.expect("the second attempt");
    assert_eq!(served.load(Ordering::SeqCst), 2);

    let (url, _) = fault_server(vec![Answer::Full(truncated)]).await;
    let err = Error::from(client(&url, fast()).list_conversation_states().send().await.unwrap_err());
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(err.to_string().contains("incomplete"), "{err}");
}

/// A server that claims a next page forever but sends the same one: the
/// walk ends with an error instead of printing it forever; and a page past
/// the last one the server reports is never asked for.
#[tokio::test]
async fn a_page_list_that_never_ends_is_stopped() {
    let full = recorded("/external/conversations?page=1&pageSize=1").await;
    let head = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut page: serde_json::Value = serde_json::from_slice(&full[head..]).unwrap();
    page["hasNextPage"] = true.into();
    page["totalPages"] = 1000.into();
    let (url, served) = fault_server(vec![Answer::Full(raw(200, page.to_string().as_bytes()))]).await;
    let stream = client(&url, fast()).conversations(ConversationQuery::new().page_size(1));
    let err = futures::TryStreamExt::try_collect::<Vec<_>>(stream).await.unwrap_err();
    assert!(err.to_string().contains("same page twice"), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 2);

    page["totalPages"] = 1.into();
    let (url, served) = fault_server(vec![Answer::Full(raw(200, page.to_string().as_bytes()))]).await;
    let stream = client(&url, fast()).conversations(ConversationQuery::new().page_size(1));
    let all = futures::TryStreamExt::try_collect::<Vec<_>>(stream).await.unwrap();
    assert_eq!((all.len(), served.load(Ordering::SeqCst)), (1, 1));
}
