//! A program that uses the client a scratch copy of the crate generated
//! from `specs/petstore.yaml` alone (tests/it/new_api.rs builds and runs it
//! against a local server, whose base URL is the first argument).

use convo_clients::petstore::Client;
use convo_clients::petstore::types::{NewPet, Pet};
use convo_clients::{Error, InvalidInput};
use futures::TryStreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).ok_or("usage: petstore_client <base URL>")?;
    let client = Client::builder(&url).credential("petKey", "pet-secret").build()?;

    // Generated types are `#[non_exhaustive]`: bodies are built through builders.
    let new = NewPet::builder().name("Rex").tag(Some("dog".to_owned()));
    let created = client.create_pet().body(new).send().await?.into_inner();
    client.create_pet().body_map(|cat| cat.name("Tom")).send().await?;
    let fetched = client.get_pet().pet_id(&created.id).send().await?.into_inner();
    println!("created {} {}", fetched.id, fetched.name);
    let page = client.list_pets().limit(1).send().await?.into_inner();
    let next = page.next_page_token.as_deref().unwrap_or_default();
    println!("listed {} next {next}", page.items.len());
    // Every page, one pet at a time: the spec's link names the next page.
    let streamed: Vec<Pet> = client.list_pets().limit(1).stream().try_collect().await?;
    let names: Vec<&str> = streamed.iter().map(|pet| pet.name.as_str()).collect();
    println!("streamed {}", names.join(" "));
    client.delete_pet().pet_id(&created.id).send().await?;
    let gone = client.get_pet().pet_id(&created.id).send().await.map_err(Error::from);
    println!("after delete {:?}", gone.err().and_then(|e| e.status()).map(|s| s.as_u16()));

    // A scheme the spec does not define, and a call without the credential
    // it needs: typed errors, and nothing sent.
    let unknown = Client::builder(&url).credential("apiKey", "x").build().map(drop);
    println!("unknown scheme: {}", matches!(unknown, Err(Error::InvalidInput(InvalidInput::Config(_)))));
    let without = Client::builder(&url).build()?;
    let refused = without.list_pets().send().await.map_err(Error::from);
    println!("no credential: {}", matches!(refused, Err(Error::InvalidInput(InvalidInput::Request(_)))));
    // The secret stays out of Debug.
    println!("debug shows secret: {}", format!("{client:?}").contains("pet-secret"));
    Ok(())
}
