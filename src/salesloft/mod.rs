//! Salesloft Conversations (REST API v2).
//!
//! [`Client`] derefs to the client generated from `specs/salesloft.yaml`, so
//! every operation of the spec is a method (`client.get_transcription().id(id)
//! .send().await?`), authenticated with a bearer from an API key or a
//! pluggable token provider (for OAuth refresh) and checked against the spec
//! before sending. By hand it adds what one call cannot do: a typed
//! [`ConversationQuery`], streams over pages ([`Client::conversations`]) and
//! over an `updated_at` cursor ([`Client::updated_since`]), and the rate-limit
//! headers of a response ([`Rated::from`] any generated call's response).
//!
//! ```no_run
//! # async fn demo() -> convo_clients::Result<()> {
//! use convo_clients::salesloft::{Client, ConversationQuery, Rated, types::Platform};
//! use futures::TryStreamExt;
//!
//! let client = Client::new(std::env::var("SALESLOFT_API_KEY").unwrap_or_default())?;
//! let query = ConversationQuery::new().platform(Platform::Zoom).title_starts_with("Discovery");
//! let mut conversations = client.conversations(query);
//! while let Some(c) = conversations.try_next().await? {
//!     println!("{} {:?}", c.id, c.title);
//! }
//! println!("budget left this minute: {:?}", client.last_rate_limit());
//!
//! // Any operation of the spec, with the rate limit its response reported.
//! let transcription = Rated::from(client.get_transcription().id("7d5a…").send().await?);
//! println!("{:?} (cost {:?})", transcription.data.language_code, transcription.rate_limit.endpoint_cost);
//! # Ok(()) }
//! ```

mod auth;
mod client;
mod query;

// The generated client, `types`, `SPEC_JSON` (build.rs, from specs/salesloft.yaml).
include!(concat!(env!("OUT_DIR"), "/salesloft_module.rs"));

pub use auth::{AccessToken, ApiKey, TokenProvider};
pub use client::{BASE_URL, Client, ClientBuilder, LastRateLimit, RateLimit, Rated};
pub use query::{Bound, ConversationQuery, Range, TitleFilter};
