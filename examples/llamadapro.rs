//! A LlamadaPro flow against the embedded sandbox: contacts filtered and
//! sorted across token pages, one contact through the generated builder, and
//! a bulk create of funnel conversations whose 200 answer is read item by
//! item (succeeded, duplicate or failed, with the field and code).
//!
//! Run with `cargo run --example llamadapro --features llamadapro,sandbox`.

use convo_clients::llamadapro::types::{
    BulkConversationContactCreateParams, BulkConversationCreateRequest, BulkSingleConversationCreateParams,
};
use convo_clients::llamadapro::{Client, FilterBy, SortBy};
use convo_clients::sandbox::llamadapro::{LlamadaProConfig, LlamadaProSandbox};
use futures::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = LlamadaProSandbox::start(42, 0, LlamadaProConfig::default()).await?;
    println!("LlamadaPro sandbox at {}", sandbox.base_url());

    // Against LlamadaPro itself: `Client::new(api_key)`.
    let client = Client::builder(sandbox.api_key()).base_url(sandbox.base_url()).build()?;

    // `filterBy` and `sortBy` are typed: a value their `field:value;…` syntax
    // cannot carry is an error here, not a request the server splits differently.
    let list = client
        .get_contacts()
        .filter_by(FilterBy::new().with("lastName", "Soto")?.to_string())
        .sort_by(SortBy::desc("createdAt")?.to_string())
        .page_size(2);
    let sotos: Vec<_> = list.stream().try_collect().await?;
    println!("{} contacts named Soto, newest first (pages of 2):", sotos.len());
    for contact in &sotos {
        let id = contact.id_u64().map(|id| id.to_string()).unwrap_or_default();
        println!(
            "  {id}  {} {}",
            contact.first_name.as_deref().unwrap_or("-"),
            contact.last_name.as_deref().unwrap_or("-")
        );
    }

    // Any operation of the spec through the generated builder (ids travel as numbers).
    let first = sotos.first().and_then(|c| c.id_u64()).ok_or("no contact named Soto")?;
    let contact = client.get_contact().id(first as f64).send().await?.into_inner();
    println!("contact {first}: {} address(es)", contact.addresses.len());

    // A bulk create answers 200 even when items fail; `pair` puts each item
    // next to its outcome so that no failure hides behind the 200.
    // Request types are built through their builders (`types::X::builder()`):
    // the generated types are `#[non_exhaustive]`, so a field the spec adds
    // later breaks no code.
    let new_contact = |first_name: &str, phone: &str| {
        BulkConversationContactCreateParams::builder()
            .first_name(Some(first_name.to_owned()))
            .last_name(Some("Soto".to_owned()))
            .phones(vec![phone.to_owned()])
            .try_into()
    };
    let item = BulkSingleConversationCreateParams::builder;
    let items: Vec<BulkSingleConversationCreateParams> = vec![
        item().funnel_id(Some(1.0)).contact(Some(new_contact("Ana", "+56912345678")?)).try_into()?,
        // The same phone again: a duplicate of the item before it.
        item().funnel_id(Some(1.0)).contact(Some(new_contact("Ana", "+56912345678")?)).try_into()?,
        // No funnel: rejected, naming the field.
        item().contact(Some(new_contact("Luis", "+56987654321")?)).try_into()?,
        // An existing contact, by id, in another funnel.
        item().funnel_id(Some(2.0)).contact_id(Some(first as f64)).try_into()?,
    ];
    let batch = BulkConversationCreateRequest::builder().conversations(items.clone());
    let report = client.bulk_create_conversations().body(batch).send().await?.into_inner();
    let outcome = report.pair(&items);
    println!("bulk create of {} conversations:", items.len());
    for item in &outcome.items {
        let mut line = format!("  item {}: {}", item.index, item.outcome.kind());
        if let Some(id) = item.outcome.id() {
            line += &format!(", id {id}");
        }
        for issue in item.outcome.issues() {
            line += &format!(", {}", issue.field.as_deref().unwrap_or("-"));
            if let Some(code) = &issue.code {
                line += &format!(" {code}");
            }
        }
        println!("{line}");
    }
    println!(
        "{} succeeded, {} duplicate, {} failed; counts agree: {}",
        outcome.succeeded().count(),
        outcome.duplicates().count(),
        outcome.failed().count(),
        outcome.counts_agree()
    );

    sandbox.shutdown().await;
    Ok(())
}
