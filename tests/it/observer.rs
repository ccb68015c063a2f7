//! A client built with an observer (`ClientConfig::with_observer`) hands it
//! every answer, token calls included, surveyed against the spec, with a
//! record of the exchange that holds no secret. Against the Luware sandbox
//! over loopback; a scripted answer plays a server that drifted.

use std::sync::{Arc, Mutex};

use convo_clients::luware::Client;
use convo_clients::sandbox::ScriptedResponse;
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};
use convo_clients::spec::survey::DriftKind;
use convo_clients::{ClientConfig, ExchangeObserver, Observed};
use reqwest::Method;

#[tokio::test]
async fn every_answer_reaches_the_observer_surveyed_and_without_secrets() {
    let sandbox = LuwareSandbox::start(7, 0, LuwareConfig::default()).await.expect("sandbox starts");
    let seen: Arc<Mutex<Vec<Observed>>> = Arc::default();
    let sink = seen.clone();
    let config = ClientConfig::default().with_observer(ExchangeObserver::new(move |o| sink.lock().unwrap().push(o)));
    let client = Client::builder(sandbox.base_url(), sandbox.credentials()).config(config).build().unwrap();
    let id = sandbox.conversation_id(0);

    // As documented: nothing drifted.
    client.generated().get_conversation().ccdr_id(&id).send().await.unwrap();
    {
        let seen = seen.lock().unwrap();
        let operations: Vec<(&str, u16)> = seen.iter().map(|o| (o.operation.as_str(), o.status)).collect();
        assert_eq!(operations, [("requestToken", 200), ("getConversation", 200)]);
        assert!(seen.iter().all(|o| o.survey.drift.is_empty()), "{:?}", seen[1].survey);
        assert_eq!(seen[1].record["request"]["path"], format!("/vfcrest/v1/conversations/{id}"));
        // The token and the client secret are masked wherever they were.
        let text = format!("{seen:?}") + &seen.iter().map(|o| o.record.to_string()).collect::<String>();
        let credentials = sandbox.credentials();
        for secret in [credentials.client_secret.expose(), credentials.subscription_key.expose()] {
            assert!(!text.contains(secret), "a secret in {text}");
        }
        assert_eq!(seen[0].record["response"]["body"]["access_token"], convo_clients::redact::MASK);
    }

    // A field the spec does not know: the call still succeeds (the typed
    // model ignores it), and the observer names the field.
    let path = format!("/vfcrest/v1/conversations/{id}");
    let drifted = serde_json::json!({"ccdrId": id, "recordingScore": 0.9});
    sandbox.script(ScriptedResponse::new(200).on(Method::GET, &path).json(&drifted));
    client.generated().get_conversation().ccdr_id(&id).send().await.unwrap();
    let last = seen.lock().unwrap().pop().unwrap();
    let places: Vec<(DriftKind, &str)> = last.survey.drift.iter().map(|d| (d.kind, d.location.as_str())).collect();
    assert!(places.contains(&(DriftKind::UnknownField, "$.recordingScore")), "{places:?}");
}
