//! What a bad network does to a call, over loopback: a server of our own that
//! answers each connection with a scripted fault (a body that breaks off, a
//! connection closed after the request, a 500, an oversized body, a 503 with
//! `Retry-After`), in front of a body the raia emulator really sends; and how
//! long the client waits before each attempt.

use crate::fault_server;

use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use convo_clients::raia::Client;
use convo_clients::raia::types::CreateConversationRequest;
use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox};
use convo_clients::{ClientConfig, Error, RetryPolicy};
use fault_server::{Answer, fault_server, raw, raw_with, timed_fault_server};

const STATES: &str = "/external/conversations/states";

/// The emulator's own answer to `GET path`, as raw HTTP/1.1 bytes.
async fn recorded(path: &str) -> Vec<u8> {
    let sb = RaiaSandbox::start(1, 0, RaiaConfig::default()).await.unwrap();
    let response = crate::raw_http()
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

/// Only a body cut short is asked for again, and only when the call may be
/// retried: one that is not JSON at all, or any with retries off, is an
/// error after one request.
#[tokio::test]
async fn a_body_is_fetched_again_only_when_cut_short_and_retries_are_on() {
    let full = recorded(STATES).await;
    let (url, served) = fault_server(vec![Answer::Garbage, Answer::Full(full.clone())]).await;
    let err = Error::from(client(&url, fast()).list_conversation_states().send().await.unwrap_err());
    assert!(matches!(err, Error::Decode { .. }) && !err.is_transient(), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 1);

    let head = full.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let truncated = raw(200, &full[head..head + (full.len() - head) / 2]);
    let (url, served) = fault_server(vec![Answer::Full(truncated), Answer::Full(full)]).await;
    let once = fast().with_retry(RetryPolicy::disabled());
    let err = Error::from(client(&url, once).list_conversation_states().send().await.unwrap_err());
    assert!(err.is_transient() && err.to_string().contains("incomplete"), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 1);
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
    let stream = client(&url, fast()).list_conversations().page_size(1).stream();
    let err = futures::TryStreamExt::try_collect::<Vec<_>>(stream).await.unwrap_err();
    assert!(err.to_string().contains("same page twice"), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 2);

    page["totalPages"] = 1.into();
    let (url, served) = fault_server(vec![Answer::Full(raw(200, page.to_string().as_bytes()))]).await;
    let stream = client(&url, fast()).list_conversations().page_size(1).stream();
    let all = futures::TryStreamExt::try_collect::<Vec<_>>(stream).await.unwrap();
    assert_eq!((all.len(), served.load(Ordering::SeqCst)), (1, 1));
}

/// The time between the attempts a server saw.
fn gaps(arrivals: &Mutex<Vec<Instant>>) -> Vec<Duration> {
    arrivals.lock().unwrap().windows(2).map(|pair| pair[1] - pair[0]).collect()
}

/// What an attempt over loopback may take besides the wait before it: wide,
/// since the suite loads the machine (these waits are real, over loopback).
const ATTEMPT: Duration = Duration::from_secs(1);

const BUSY: &[u8] = br#"{"status": 503, "message": "busy"}"#;

/// Each wait before another attempt is half fixed, half random: it doubles
/// from the base delay up to the longest wait. After the last attempt, none.
#[tokio::test]
async fn backoff_grows_and_is_capped() {
    let (url, served, arrivals) = timed_fault_server(vec![Answer::Full(raw(503, BUSY))]).await;
    let (base, longest) = (Duration::from_millis(50), Duration::from_millis(400));
    let policy = RetryPolicy::default()
        .with_max_attempts(10)
        .with_base_delay(base)
        .with_max_delay(longest)
        .with_max_elapsed(Duration::from_secs(600));
    let client = client(&url, ClientConfig::default().with_retry(policy));
    let err = Error::from(client.list_conversation_states().send().await.unwrap_err());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err}");
    assert_eq!(served.load(Ordering::SeqCst), 10, "no attempt after the tenth");
    for (attempt, gap) in (1..).zip(gaps(&arrivals)) {
        let ceiling = (base * 2u32.pow(attempt - 1)).min(longest);
        assert!(gap >= ceiling / 2 && gap <= ceiling + ATTEMPT, "attempt {attempt}: {gap:?}");
    }
}

/// `Retry-After` in seconds or as an HTTP date is waited for, unless it is
/// longer than the policy's longest wait; no attempt starts past the time
/// the policy allows in all, nor with retries disabled.
#[tokio::test]
async fn retry_after_seconds_and_dates() {
    let full = recorded(STATES).await;
    let busy = |retry_after: &str| Answer::Full(raw_with(503, &[("retry-after", retry_after)], BUSY));

    let (url, _, arrivals) = timed_fault_server(vec![busy("2"), Answer::Full(full.clone())]).await;
    client(&url, ClientConfig::default()).list_conversation_states().send().await.expect("the second attempt");
    let waited = gaps(&arrivals)[0];
    assert!(waited >= Duration::from_secs(2) && waited <= Duration::from_secs(2) + ATTEMPT, "{waited:?}");

    // A date that has passed: no wait (the backoff alone would wait 2 s or more).
    let (url, _, arrivals) =
        timed_fault_server(vec![busy("Wed, 21 Oct 2015 07:28:00 GMT"), Answer::Full(full.clone())]).await;
    let slow = ClientConfig::default().with_retry(RetryPolicy::default().with_base_delay(Duration::from_secs(4)));
    client(&url, slow).list_conversation_states().send().await.expect("the second attempt");
    let waited = gaps(&arrivals)[0];
    assert!(waited <= ATTEMPT, "{waited:?}");

    let (url, served) = fault_server(vec![busy("3600"), Answer::Full(full.clone())]).await;
    let err = Error::from(client(&url, ClientConfig::default()).list_conversation_states().send().await.unwrap_err());
    assert!(matches!(err, Error::RetryAfterTooLong { .. }), "longer than max_delay: {err}");
    assert_eq!(served.load(Ordering::SeqCst), 1);

    // Past max_elapsed: a backoff of 200 ms or more where 100 ms are allowed in all.
    let (url, served) = fault_server(vec![Answer::Full(raw(503, BUSY)), Answer::Full(full.clone())]).await;
    let policy =
        RetryPolicy::default().with_base_delay(Duration::from_millis(400)).with_max_elapsed(Duration::from_millis(100));
    let err = Error::from(
        client(&url, ClientConfig::default().with_retry(policy)).list_conversation_states().send().await.unwrap_err(),
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "past max_elapsed: {err}");
    assert_eq!(served.load(Ordering::SeqCst), 1);

    let (url, served) = fault_server(vec![Answer::Full(raw(503, BUSY)), Answer::Full(full)]).await;
    let once = ClientConfig::default().with_retry(RetryPolicy::disabled());
    client(&url, once).list_conversation_states().send().await.unwrap_err();
    assert_eq!(served.load(Ordering::SeqCst), 1);
}
