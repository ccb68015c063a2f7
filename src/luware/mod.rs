//! Luware Recording API (`vfcrest/v1`).
//!
//! [`Client`] wraps the client generated from `specs/luware.yaml` and adds
//! what the wire needs beyond single calls: the token flow with a shared,
//! early refresh; the `filters` JSON in the query string and follow-up pages
//! that carry only `nextPageToken` ([`Client::search`]); and the zipped `.vtr`
//! transcript ([`Client::transcript`]).
//!
//! ```no_run
//! # async fn demo() -> convo_clients::Result<()> {
//! use convo_clients::luware::{Client, Credentials, Filters, SearchRequest};
//! use futures::TryStreamExt;
//!
//! let client = Client::new("https://example.luware.com", Credentials {
//!     subscription_key: "key".into(),
//!     eid: 1000,
//!     client_id: "api_user@example.com".into(),
//!     client_secret: "secret".into(),
//! })?;
//! let filters = Filters::new().platform("Microsoft Teams");
//! let mut conversations = client.search(SearchRequest::new(filters));
//! while let Some(conversation) = conversations.try_next().await? {
//!     let transcript = client.transcript(&conversation.ccdr_id).await?;
//!     println!("{}: {} words", conversation.ccdr_id, transcript.words.len());
//! }
//! # Ok(()) }
//! ```

mod auth;
mod bulk;
mod client;
pub mod filter;
pub mod transcript;

// The generated client, `types`, `SPEC_JSON` (build.rs, from specs/luware.yaml).
include!(concat!(env!("OUT_DIR"), "/luware_module.rs"));

pub use auth::{Credentials, TokenForm, TokenResponse};
pub use bulk::DEFAULT_TRANSCRIPT_CONCURRENCY;
pub use client::{Client, ClientBuilder, SearchRequest, Session};
pub use filter::*;
pub use transcript::*;
