//! Many transcripts at once (`Client::transcripts`), over loopback against
//! the Luware sandbox, through a proxy that cuts download bodies off.

use crate::fault_proxy;

use std::collections::BTreeSet;
use std::time::Duration;

use convo_clients::luware::types::Modality;
use convo_clients::luware::{Client, Filters, decode_vtr};
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};
use convo_clients::{ClientConfig, RetryPolicy};
use fault_proxy::{Fault, FaultProxy};
use futures::StreamExt;

fn fast_retries() -> ClientConfig {
    ClientConfig::default().with_retry(RetryPolicy::default().with_base_delay(Duration::from_millis(10)))
}

#[tokio::test]
async fn every_transcript_arrives_once_though_downloads_break_off() {
    let sandbox =
        LuwareSandbox::start(7, 0, LuwareConfig { conversations: 40, ..LuwareConfig::default() }).await.unwrap();
    // Every fifth request, a transcript download there is cut off halfway
    // through its body; the same transcript's at most twice, which its
    // retries outlast. (Cut whenever its number came up, a transcript
    // retried in step with four others drew the cut every time.)
    let cuts = std::sync::Mutex::new(std::collections::BTreeMap::<String, u32>::new());
    let proxy = FaultProxy::start(
        &sandbox.base_url(),
        0,
        std::sync::Arc::new(move |request: &fault_proxy::Request<'_>| {
            if !request.target.contains("/media") || !request.number.is_multiple_of(5) {
                return Fault::None;
            }
            let mut cuts = cuts.lock().unwrap();
            let cut = cuts.entry(request.target.to_owned()).or_default();
            *cut += 1;
            if *cut <= 2 { Fault::CutBody } else { Fault::None }
        }),
    )
    .await
    .unwrap();
    let client = Client::builder(&proxy.url, sandbox.credentials()).config(fast_retries()).build().unwrap();
    let ids: Vec<String> = client
        .search_conversations()
        .filters(Filters::new().to_json())
        .limit(100)
        .send()
        .await
        .unwrap()
        .into_inner()
        .conversations
        .into_iter()
        // Only calls and video meetings have Speech Analytics output.
        .filter(|c| matches!(c.modality_name, Some(Modality::Voice | Modality::Video)))
        .map(|c| c.ccdr_id)
        .collect();
    assert!(ids.len() >= 10, "{} conversations with audio", ids.len());

    let mut got = BTreeSet::new();
    let mut files = client.transcript_files(ids.clone(), 4);
    while let Some((id, vtr)) = files.next().await {
        let vtr = vtr.unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(decode_vtr(&vtr, &Default::default()).is_ok(), "{id}: the archive is whole");
        assert!(got.insert(id.clone()), "{id} arrived twice");
    }
    assert_eq!(got, ids.iter().cloned().collect::<BTreeSet<_>>());
    assert!(proxy.faults() >= 3, "bodies were cut: {}", proxy.faults());

    // Parsed, the same transcripts.
    let parsed: Vec<_> = client.transcripts(ids.clone(), 8).collect().await;
    assert_eq!(parsed.len(), ids.len());
    assert!(parsed.iter().all(|(_, t)| t.is_ok()));
}
