//! raia AI Agent API, Conversations section.
//!
//! [`Client`] derefs to the client generated from `specs/raia.yaml`: every
//! operation is a method (`client.get_conversation().id(id).send()`), sent
//! with the `Agent-Secret-Key` header (a [`crate::Secret`]) and checked
//! against the spec before it leaves. What one call cannot do is added here:
//! asking the agent and polling for its reply
//! ([`Client::ask`], [`Client::wait_for_reply`]), typed start requests for
//! the email, SMS and voice channels ([`input`], sent with the generated
//! `start_conversation()`, whose spec refuses a blank required field or an
//! email address without `@` before sending), and typed errors
//! for the documented refusals of a manual message
//! ([`Client::send_manual_message_checked`], [`RaiaError`]).
//!
//! ```no_run
//! # async fn demo() -> convo_clients::Result<()> {
//! use std::time::Duration;
//! use convo_clients::raia::Client;
//! use futures::TryStreamExt;
//!
//! let client = Client::new(std::env::var("RAIA_AGENT_SECRET_KEY").unwrap_or_default())?;
//! // The spec's numbered pages as one stream (its `x-page-number` link).
//! let mut conversations = client.list_conversations().search_keyword("refund").stream();
//! while let Some(conversation) = conversations.try_next().await? {
//!     let reply = client.ask(&conversation.id, "Summarise this conversation.", Duration::from_secs(60)).await?;
//!     println!("{}: {}", conversation.id, reply.message);
//! }
//! # Ok(()) }
//! ```

mod client;
mod error;
pub mod input;

// The generated client, `types`, `SPEC_JSON` (build.rs, from specs/raia.yaml).
include!(concat!(env!("OUT_DIR"), "/raia_module.rs"));

pub use client::{Client, ClientBuilder};
pub use error::RaiaError;

/// The production host (the spec's server).
pub const BASE_URL: &str = "https://api.raia2.com";
/// The EU host, listed on raia's API index page but not in the vendor's spec.
pub const EU_BASE_URL: &str = "https://api-eu.raia2.com";
