//! What an error says, over loopback against a fault server: secrets the
//! server echoes or puts in a token response that does not decode never show
//! (Display or Debug), each error names its operation and its HTTP status,
//! transport failures say which kind they are, control characters are
//! escaped, and a base URL's password is never printed.

use crate::fault_server;

use std::time::Duration;

use convo_clients::luware::{Credentials as LuwareCredentials, Filters};
use convo_clients::{ClientConfig, Error, RetryPolicy, TransportKind};
use fault_server::{Answer, fault_server, raw, raw_with, refusing_url};

const SUBSCRIPTION_KEY: &str = "SubKey-7f3a9c-luware";
const CLIENT_SECRET: &str = "Cl1entS3cret-b82d";
const RAIA_KEY: &str = "RaiaAgentKey-4e1d77";
const LP_PASSWORD: &str = "LpPassw0rd-91c2";
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.T0k3nS1gnature";

fn no_retries() -> ClientConfig {
    ClientConfig::default().with_retry(RetryPolicy::disabled())
}

fn fast_retries() -> ClientConfig {
    ClientConfig::default().with_retry(RetryPolicy::default().with_base_delay(Duration::from_millis(5)))
}

fn luware(url: &str) -> convo_clients::luware::Client {
    let credentials = LuwareCredentials {
        subscription_key: SUBSCRIPTION_KEY.into(),
        eid: 1000,
        client_id: "api_user@example.com".into(),
        client_secret: CLIENT_SECRET.into(),
    };
    convo_clients::luware::Client::builder(url, credentials).config(no_retries()).build().unwrap()
}

/// A Luware search's first page, which first asks for a token: its error.
async fn luware_search(url: &str) -> Error {
    let client = luware(url);
    Error::from(
        client.search_conversations().filters(Filters::default().to_json()).limit(100).send().await.unwrap_err(),
    )
}

fn raia(url: &str, config: ClientConfig) -> convo_clients::raia::Client {
    convo_clients::raia::Client::builder(RAIA_KEY).base_url(url).config(config).build().unwrap()
}

fn liveperson(url: &str) -> convo_clients::liveperson::Client {
    use convo_clients::liveperson::{BotDomain, Client, Credentials};
    Client::builder("12345678", Credentials::user_pass("bot", LP_PASSWORD))
        .domain(BotDomain::BaseUrl(url.into()))
        .config(no_retries())
        .build()
        .unwrap()
}

/// Neither the error's Display nor its Debug holds any of `secrets`.
fn assert_hides(error: &Error, secrets: &[&str]) {
    let shown = format!("{error}\n{error:?}\n{:?}", error.body());
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret} shown in:\n{shown}");
    }
    for part in [&TOKEN[..20], &TOKEN[37..]] {
        assert!(!shown.contains(part), "a part of the token in:\n{shown}");
    }
}

const ALL: &[&str] = &[SUBSCRIPTION_KEY, CLIENT_SECRET, RAIA_KEY, LP_PASSWORD];

#[tokio::test]
async fn a_token_response_that_does_not_decode_never_shows_the_token() {
    let body = format!(r#"{{"accessToken":"{TOKEN}","token_type":"Bearer","expires_in":3600}}"#);
    let (url, _) = fault_server(vec![Answer::Full(raw(200, body.as_bytes()))]).await;
    let error = luware_search(&url).await;
    assert!(matches!(&error, Error::Decode { operation: "request_token", .. }), "{error:?}");
    assert!(error.to_string().contains("missing field"), "{error}");
    assert!(error.to_string().contains(r#""accessToken":"***""#), "{error}");
    assert_hides(&error, ALL);
}

/// A token answer without the token, echoing what the client sent: the
/// subscription key and the password are masked in its excerpt.
#[tokio::test]
async fn a_token_answer_without_a_token_never_shows_the_credentials() {
    let body = format!(r#"{{"echo":"{SUBSCRIPTION_KEY} and {CLIENT_SECRET}","seen":"{SUBSCRIPTION_KEY}"}}"#);
    let (url, _) = fault_server(vec![Answer::Full(raw(200, body.as_bytes()))]).await;
    let error = luware_search(&url).await;
    assert!(matches!(&error, Error::Decode { operation: "request_token", .. }), "{error:?}");
    assert!(error.to_string().contains("no token at /access_token"), "{error}");
    assert!(error.body().is_some_and(|body| body.as_str().contains("echo")), "{error:?}");
    assert_hides(&error, ALL);
}

#[tokio::test]
async fn a_login_response_that_does_not_decode_never_shows_the_bearer() {
    // A bearer of the wrong type: serde's reason would quote it.
    let body = format!(r#"{{"bearer":{{"value":"{TOKEN}"}},"password":"{LP_PASSWORD}"}}"#);
    let (url, _) = fault_server(vec![Answer::Full(raw(200, body.as_bytes()))]).await;
    let error = liveperson(&url).login().await.unwrap_err();
    assert!(matches!(&error, Error::Decode { operation: "login", .. }), "{error:?}");
    assert_hides(&error, ALL);
}

#[tokio::test]
async fn a_401_that_echoes_the_request_shows_no_credential() {
    let (url, _) = fault_server(vec![Answer::Echo(401)]).await;
    // Luware's token call: the subscription key header and the password in the form.
    let error = luware_search(&url).await;
    assert!(matches!(&error, Error::Auth { operation: "request_token", .. }), "{error:?}");
    assert!(error.to_string().contains("HTTP 401"), "{error}");
    assert!(error.to_string().contains("client_id=api_user"), "the rest of the echo stays: {error}");
    assert_hides(&error, ALL);
    // LivePerson's login: the password in a JSON body.
    let error = liveperson(&url).login().await.unwrap_err();
    assert!(matches!(&error, Error::Auth { operation: "login", .. }), "{error:?}");
    assert_hides(&error, ALL);
    // raia's key header.
    let error = Error::from(raia(&url, no_retries()).list_conversation_states().send().await.unwrap_err());
    assert_hides(&error, ALL);
}

#[tokio::test]
async fn a_500_shows_its_status_whatever_the_body() {
    let (url, served) = fault_server(vec![Answer::Echo(500)]).await;
    let error = Error::from(raia(&url, fast_retries()).list_conversation_states().send().await.unwrap_err());
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 3, "retried");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(error.to_string().starts_with("list_conversation_states: HTTP 500"), "{error}");
    assert_hides(&error, ALL);
    // A body without raia's `status` field, and one that is not JSON.
    for body in [&br#"{"error":"boom"}"#[..], b"<html>oops</html>", b""] {
        let (url, _) = fault_server(vec![Answer::Full(raw(500, body))]).await;
        let error = Error::from(raia(&url, no_retries()).list_conversation_states().send().await.unwrap_err());
        assert!(matches!(&error, Error::Status { status, .. } if status.as_u16() == 500), "{error:?}");
        assert!(error.to_string().contains("HTTP 500"), "{error}");
    }
}

#[tokio::test]
async fn an_undecodable_success_names_its_operation_and_hides_secrets() {
    let (url, _) = fault_server(vec![Answer::Garbage]).await;
    let error = Error::from(raia(&url, no_retries()).list_conversation_states().send().await.unwrap_err());
    assert!(matches!(&error, Error::Decode { operation: "list_conversation_states", .. }), "{error:?}");
    assert_hides(&error, ALL);
}

#[tokio::test]
async fn an_undocumented_success_status_names_its_operation() {
    let (url, _) = fault_server(vec![Answer::Full(raw(200, b"{}"))]).await;
    let request = convo_clients::raia::types::DeleteUserConversationsRequest::builder().conversation_user_id("u1");
    let call = raia(&url, no_retries()).delete_user_conversations().body(request).send().await;
    let error = Error::from(call.unwrap_err());
    assert!(matches!(&error, Error::Decode { operation: "delete_user_conversations", .. }), "{error:?}");
    assert!(error.to_string().contains("unexpected status 200 OK"), "{error}");
}

#[tokio::test]
async fn control_characters_from_the_server_are_escaped() {
    let body = br#"{"message":"bad \u001b[2J\u001b]0;pwned\u0007 request"}"#;
    let (url, _) = fault_server(vec![Answer::Full(raw(400, body))]).await;
    let error = Error::from(raia(&url, no_retries()).list_conversation_states().send().await.unwrap_err());
    let shown = format!("{error} {}", error.body().unwrap().message().unwrap());
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}'), "{shown:?}");
    // A raw escape in a body that is not JSON.
    let (url, _) = fault_server(vec![Answer::Full(raw(200, b"\x1b[31mred\x07"))]).await;
    let error = Error::from(raia(&url, no_retries()).list_conversation_states().send().await.unwrap_err());
    let shown = error.to_string();
    assert!(!shown.contains('\u{1b}') && shown.contains("\\u{1b}[31mred\\u{7}"), "{shown:?}");
}

async fn transport_error(url: &str, config: ClientConfig) -> Error {
    let request = convo_clients::raia::types::CreateConversationRequest::builder().conversation_user_id("u1");
    let error = raia(url, config).create_conversation().body(request).send().await.unwrap_err();
    Error::from(error)
}

fn kind(error: &Error) -> TransportKind {
    match error {
        Error::Transport { operation: "create_conversation", kind, .. } => *kind,
        other => panic!("not a transport error of create_conversation: {other:?}"),
    }
}

#[tokio::test]
async fn transport_errors_say_what_happened() {
    let error = transport_error(&refusing_url().await, no_retries()).await;
    assert_eq!(kind(&error), TransportKind::ConnectionRefused, "{error}");
    assert!(error.to_string().contains("create_conversation: transport error: connection refused"), "{error}");

    for answer in [Answer::Reset, Answer::Close] {
        let (url, _) = fault_server(vec![answer]).await;
        let error = transport_error(&url, no_retries()).await;
        assert_eq!(kind(&error), TransportKind::ConnectionReset, "{error}");
    }

    let (url, _) = fault_server(vec![Answer::Hang]).await;
    let error = transport_error(&url, no_retries().with_read_timeout(Duration::from_millis(200))).await;
    assert_eq!(kind(&error), TransportKind::ReadTimeout(Duration::from_millis(200)), "{error}");
    assert!(error.to_string().contains("read timeout: the server sent nothing for 200 ms"), "{error}");

    let config = no_retries().with_request_timeout(Duration::from_millis(300));
    let error = transport_error(&url, config).await;
    assert_eq!(kind(&error), TransportKind::RequestTimeout(Duration::from_millis(300)), "{error}");
    assert!(error.to_string().contains("request timeout: no complete response within 300 ms"), "{error}");

    // TLS spoken to a server that answers in plain HTTP.
    let (url, _) = fault_server(vec![Answer::Full(raw(200, b"{}"))]).await;
    let error = transport_error(&url.replace("http://", "https://"), no_retries()).await;
    assert_eq!(kind(&error), TransportKind::Tls, "{error}");
    assert!(error.to_string().contains("TLS error"), "{error}");
}

#[test]
fn a_base_url_never_shows_its_password() {
    for url in ["https://user:pa55word-x@example.com", "https://user:pa55word-x@exa mple.com/", "ftp://u:pa55word-x@h"]
    {
        let builder = convo_clients::raia::Client::builder(RAIA_KEY).base_url(url);
        assert!(!format!("{builder:?}").contains("pa55word"), "{builder:?}");
        let error = builder.build().unwrap_err();
        assert!(matches!(error, Error::InvalidInput(_)), "{error:?}");
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("pa55word") && shown.contains("base URL"), "{shown}");
    }
}

#[tokio::test]
async fn clients_keep_their_secrets_out_of_debug() {
    let (url, _) = fault_server(vec![Answer::Echo(401)]).await;
    let luware = luware(&url);
    let liveperson = liveperson(&url);
    let _ = liveperson.login().await;
    let raia = raia(&url, no_retries());
    let shown = format!("{luware:?} {liveperson:?} {raia:?} {:?}", ClientConfig::default());
    for secret in ALL {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

/// A server that redirects every call to another origin (host and port):
/// whatever the status (a 307 keeps the method and body), the redirect is
/// not followed, so no credential, token form or login body reaches that
/// origin; the error says which redirect was refused.
#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_and_named() {
    let (elsewhere, reached) = fault_server(vec![Answer::Echo(200)]).await;
    for status in [301, 302, 303, 307, 308] {
        let (url, _) = fault_server(vec![Answer::Redirect(status, elsewhere.clone())]).await;
        let calls: Vec<Error> = vec![
            // The token POST, its form carrying the client secret.
            luware_search(&url).await,
            // The login POST, its JSON carrying the password.
            liveperson(&url).login().await.unwrap_err(),
            // An API-key header on every call (retries on: still not followed).
            Error::from(raia(&url, fast_retries()).list_conversation_states().send().await.unwrap_err()),
        ];
        for error in calls {
            let shown = error.to_string();
            assert!(
                matches!(&error, Error::Transport { kind: TransportKind::RedirectRefused, .. }),
                "{status}: {error:?}"
            );
            assert!(!error.is_transient(), "{status}: {error:?}");
            assert!(shown.contains("redirect refused") && shown.contains(&elsewhere), "{status}: {shown}");
            assert_hides(&error, ALL);
        }
    }
    assert_eq!(reached.load(std::sync::atomic::Ordering::SeqCst), 0, "a redirect was followed");
}

/// Within the API's own origin a redirect is followed (a relative
/// `Location`), but not forever.
#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_but_not_in_a_loop() {
    let body = b"[]";
    let (url, served) = fault_server(vec![Answer::Redirect(307, String::new()), Answer::Full(raw(200, body))]).await;
    let answer = raia(&url, no_retries()).list_conversation_states().send().await;
    assert!(answer.is_ok(), "{:?}", answer.map_err(Error::from));
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 2);

    let (url, served) = fault_server(vec![Answer::Redirect(302, String::new())]).await;
    let error = Error::from(raia(&url, fast_retries()).list_conversation_states().send().await.unwrap_err());
    assert!(matches!(&error, Error::Transport { kind: TransportKind::RedirectRefused, .. }), "{error:?}");
    assert!(error.to_string().contains("more than 10 redirects"), "{error}");
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 11, "not retried");
}

/// A `Retry-After` beyond what the retry policy waits ends the call at once,
/// and the error says why, with the wait the server asked for.
#[tokio::test]
async fn a_retry_after_beyond_the_limit_is_said() {
    let answer = raw_with(503, &[("retry-after", "950400")], br#"{"message":"maintenance"}"#);
    let (url, served) = fault_server(vec![Answer::Full(answer)]).await;
    let error = Error::from(raia(&url, fast_retries()).list_conversation_states().send().await.unwrap_err());
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 1, "no attempt after a refused wait");
    assert!(matches!(&error, Error::RetryAfterTooLong { wait, .. } if wait.as_secs() == 950_400), "{error:?}");
    let shown = error.to_string();
    assert!(shown.contains("HTTP 503") && shown.contains("retried after 11 days (Retry-After)"), "{shown}");
    assert!(shown.contains("longer than the 10 s the retry policy waits") && shown.contains("maintenance"), "{shown}");
    assert!(error.is_transient() && error.status().map(|s| s.as_u16()) == Some(503));
    // With retries off, a 503 is a plain 503: no wait was refused.
    let (url, _) = fault_server(vec![Answer::Full(raw_with(503, &[("retry-after", "950400")], b"{}"))]).await;
    let error = Error::from(raia(&url, no_retries()).list_conversation_states().send().await.unwrap_err());
    assert!(matches!(&error, Error::Status { .. }), "{error:?}");
}

/// A token answer holding a huge token is refused, not sent as a header on
/// every call; the error says why.
#[tokio::test]
async fn a_huge_token_is_refused() {
    let token = "a".repeat(10 * 1024 * 1024);
    let body = format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600}}"#);
    let (url, served) = fault_server(vec![Answer::Full(raw(200, body.as_bytes()))]).await;
    let error = luware_search(&url).await;
    assert!(matches!(&error, Error::Decode { operation: "request_token", .. }), "{error:?}");
    assert!(error.to_string().contains("more than the 16384 a token may hold"), "{error}");
    assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 1, "the search was not sent");
}
