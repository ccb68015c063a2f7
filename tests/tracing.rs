//! Tracing output of a request, in its own test binary: tracing caches
//! per-callsite interest process-wide, so a subscriber installed for one test
//! must not race with other tests registering the same callsites.

use convo_clients::ClientConfig;
use convo_clients::luware::Client;
use convo_clients::luware::types::Expand;
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};

#[tokio::test]
async fn each_request_gets_a_span_with_operation_status_and_duration_and_no_secrets() {
    use std::sync::{Arc, Mutex};
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
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sb = LuwareSandbox::start(7, 0, LuwareConfig::default()).await.unwrap();
    let client = Client::builder(sb.base_url(), sb.credentials()).config(ClientConfig::default()).build().unwrap();
    client.get_conversation().ccdr_id(sb.conversation_id(1)).expands(vec![Expand::Metadata]).send().await.unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
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
