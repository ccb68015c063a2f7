//! A Salesloft flow against the embedded sandbox: a filtered conversation
//! list across pages, an incremental sync with `updated_since` (an
//! `updated_at` cursor instead of deep pages), and one conversation through
//! the generated builder with the rate limit read off its response.
//!
//! Run with `cargo run --example salesloft --features salesloft,sandbox`.

use chrono::{TimeZone, Utc};
use convo_clients::salesloft::types::{ConversationSortBy, Platform, SortDirection};
use convo_clients::salesloft::{ApiKey, Client, Rated};
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = SalesloftSandbox::start(42, 0, SalesloftConfig::default()).await?;
    println!("Salesloft sandbox at {}", sandbox.base_url());

    // Against Salesloft itself: `Client::new(api_key)`.
    let client = Client::builder(ApiKey(sandbox.api_key().into())).base_url(sandbox.base_url()).build()?;

    // The generated builder, every page by `stream()`: an empty range (the
    // spec's `x-range`) fails before sending.
    let since = Utc.with_ymd_and_hms(2024, 1, 10, 0, 0, 0).single().ok_or("date")?;
    let list = client
        .list_conversations()
        .platform(Platform::Zoom)
        .title_starts_with("Discovery")
        .created_at_gte(since)
        .duration_gt(10 * 60 * 1000)
        .sort_by(ConversationSortBy::CreatedAt)
        .sort_direction(SortDirection::Asc)
        .per_page(10);
    let discovery: Vec<_> = list.stream().try_collect().await?;
    println!("{} Zoom discovery calls over 10 minutes since {since}", discovery.len());
    for c in discovery.iter().take(3) {
        let created = c.created_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        println!("  {}  {created}  {}", c.id, c.title.as_deref().unwrap_or("-"));
    }

    // A sync: everything updated after a point, oldest update first, walking an
    // `updated_at` cursor (ties at the cursor are neither lost nor repeated).
    let checkpoint = Utc.with_ymd_and_hms(2024, 1, 18, 0, 0, 0).single().ok_or("date")?;
    let changed: Vec<_> =
        client.updated_since(checkpoint, client.list_conversations().per_page(100)).try_collect().await?;
    let newest = changed.last().and_then(|c| c.updated_at).map(|t| t.to_rfc3339()).unwrap_or_default();
    println!("{} conversations updated since {checkpoint}; the next sync starts at {newest}", changed.len());
    if let Some(rate) = client.last_rate_limit() {
        println!("rate limit: {:?} left this minute", rate.remaining_minute);
    }

    // Any operation of the spec through the generated builder; `Rated` reads the rate limit off it.
    let first = discovery.first().or(changed.first()).ok_or("no conversation to fetch")?;
    let one = Rated::from(client.get_conversation().id(&first.id).send().await?);
    let platform = one.data.platform.as_ref().map(ToString::to_string).unwrap_or_default();
    println!("conversation {} on {platform}: cost {:?}", one.data.id, one.rate_limit.endpoint_cost);

    sandbox.shutdown().await;
    Ok(())
}
