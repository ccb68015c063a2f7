//! Salesloft Conversations (REST API v2).
//!
//! [`Client`] wraps the client generated from `specs/salesloft.yaml` and adds
//! a bearer from an API key or a pluggable token provider (for OAuth
//! refresh), a typed [`ConversationQuery`], streams over pages
//! ([`Client::conversations`]) and over an `updated_at` cursor
//! ([`Client::updated_since`]), and the rate-limit headers on every response.
//!
//! ```no_run
//! # async fn demo() -> convo_clients::Result<()> {
//! use convo_clients::salesloft::{Client, ConversationQuery, types::Platform};
//! use futures::TryStreamExt;
//!
//! let client = Client::new(std::env::var("SALESLOFT_API_KEY").unwrap_or_default())?;
//! let query = ConversationQuery::new().platform(Platform::Zoom).title_starts_with("Discovery");
//! let mut conversations = client.conversations(query);
//! while let Some(c) = conversations.try_next().await? {
//!     println!("{} {:?}", c.id, c.title);
//! }
//! println!("budget left this minute: {:?}", client.last_rate_limit());
//! # Ok(()) }
//! ```

mod auth;
mod client;
mod query;

#[allow(clippy::all, unused_imports, dead_code, missing_docs, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/salesloft.rs"));
}

/// Request and response types, generated from `specs/salesloft.yaml`.
pub mod types {
    pub use super::generated::types::*;
    include!(concat!(env!("OUT_DIR"), "/salesloft_open_enums.rs"));
}

pub use auth::{AccessToken, ApiKey, TokenProvider};
pub use client::{BASE_URL, Client, ClientBuilder, RateLimit, Rated};
pub use generated::Client as GeneratedClient;
pub use query::{Bound, ConversationQuery, Range, TitleFilter};

/// The spec this client was generated from, as JSON.
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/salesloft.spec.json"));
