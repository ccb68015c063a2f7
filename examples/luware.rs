//! A Luware flow against the embedded sandbox: a token, a filtered search
//! across pages, a label added and read back through the generated builders,
//! and the `.vtr` transcript of the first match, unzipped and parsed.
//!
//! Run with `cargo run --example luware --features luware,sandbox`.

use convo_clients::luware::types::{Expand, SortOrder};
use convo_clients::luware::{Client, Filters, SearchRequest};
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};
use futures::{StreamExt, TryStreamExt};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = LuwareSandbox::start(42, 0, LuwareConfig::default()).await?;
    println!("Luware sandbox at {}", sandbox.base_url());

    // The same calls work against a real tenant: give its FQDN and credentials.
    let client = Client::new(sandbox.base_url(), sandbox.credentials())?;
    // Every call fetches (and refreshes) its token itself; this only shows the step.
    client.authenticate().await?;
    println!("token acquired");

    let filters = Filters::new()
        .platform("Microsoft Teams")
        .started_at_or_after(
            chrono::NaiveDate::from_ymd_opt(2024, 7, 2).and_then(|d| d.and_hms_opt(0, 0, 0)).ok_or("date")?,
        )
        .with("modalityName=voice".parse()?);
    println!("filters: {}", filters.to_json());

    // 25 per page, so the stream follows several nextPageTokens.
    let request = SearchRequest::new(filters).limit(25).sort_by_start_time(SortOrder::Asc);
    let conversations: Vec<_> = client.search(request).take(60).try_collect().await?;
    println!("the first {} matching conversations, oldest first; three of them:", conversations.len());
    for c in conversations.iter().take(3) {
        println!(
            "  {}  {}  {} -> {}",
            c.ccdr_id,
            c.start_time.as_deref().unwrap_or("-"),
            c.source_caller_id.as_deref().unwrap_or("-"),
            c.destination_caller_id.as_deref().unwrap_or("-"),
        );
    }

    let first = conversations.first().ok_or("no conversation matched")?;

    // Every operation of the spec is a generated builder, authenticated like the calls above.
    client.add_label().ccdr_id(&first.ccdr_id).body_map(|label| label.label_id(42)).send().await?;
    let read = client.get_conversation().ccdr_id(&first.ccdr_id).expands(vec![Expand::Metadata]).send().await?;
    println!("labels of {}: {:?}", first.ccdr_id, read.labels);

    let transcript = client.transcript(&first.ccdr_id).await?;
    println!(
        "transcript of {}: provider {}, {} speakers, {} words",
        first.ccdr_id,
        transcript.provider.as_deref().unwrap_or("?"),
        transcript.speakers.len(),
        transcript.words.len()
    );
    for utterance in transcript.utterances() {
        println!("  {utterance}");
    }
    sandbox.shutdown().await;
    Ok(())
}
