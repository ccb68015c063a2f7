//! Salesloft Conversations (REST API v2).
//!
//! [`Client`] derefs to the client generated from `specs/salesloft.yaml`, so
//! every operation of the spec is a method (`client.get_transcription().id(id)
//! .send().await?`), authenticated with a bearer from an API key or a
//! pluggable token provider (for OAuth refresh) and checked against the spec
//! before sending. Every paged list streams its items across pages with
//! `stream()` on its builder (`client.list_conversations().per_page(100)
//! .stream()`). By hand it adds what one call cannot do: a walk along an
//! `updated_at` cursor ([`Client::updated_since`]), and the rate-limit
//! headers of a response ([`Rated::from`] any generated call's response).
//!
//! ```no_run
//! # async fn demo() -> convo_clients::Result<()> {
//! use convo_clients::salesloft::{Client, Rated, types::Platform};
//! use futures::TryStreamExt;
//!
//! let client = Client::new(std::env::var("SALESLOFT_API_KEY").unwrap_or_default())?;
//! let list = client.list_conversations().platform(Platform::Zoom).title_starts_with("Discovery");
//! let mut conversations = list.stream();
//! while let Some(c) = conversations.try_next().await? {
//!     println!("{} {:?}", c.id, c.title);
//! }
//!
//! // Any operation of the spec, with the rate limit its response reported.
//! let transcription = Rated::from(client.get_transcription().id("7d5a…").send().await?);
//! println!("{:?} (cost {:?})", transcription.data.language_code, transcription.rate_limit.endpoint_cost);
//! # Ok(()) }
//! ```

mod auth;
mod client;

// The generated client, `types`, `SPEC_JSON` (build.rs, from specs/salesloft.yaml).
include!(concat!(env!("OUT_DIR"), "/salesloft_module.rs"));

pub use auth::{AccessToken, ApiKey, TokenProvider};
pub use client::{BASE_URL, Client, ClientBuilder, LastRateLimit, RateLimit, Rated};
