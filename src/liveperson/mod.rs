//! LivePerson Third-Party Bots Public API.
//!
//! Every operation of `specs/liveperson.yaml` is a method of the generated
//! client, [`Client::generated`], once the account's API domain is found
//! (domain lookup → zone → base URL, cached); each call logs in once for all
//! callers, again after a 401, and is checked against the spec before it is
//! sent. By hand, [`Client`] adds what one call cannot do: the domain and the
//! session, waiting for a command to finish ([`Client::wait_for_command`]),
//! and checks the spec cannot express ([`InputError`]) on the calls that
//! need them ([`Client::send_messages`], [`Client::transfer`],
//! [`Client::set_sdes`]).
//!
//! ```no_run
//! # async fn demo() -> convo_clients::Result<()> {
//! use std::time::Duration;
//! use convo_clients::liveperson::{Client, CommandOptions, Credentials, types::Message};
//!
//! let client = Client::new("12345678", Credentials::user_pass("bot-user", "password"))?;
//! let conversation = "2312ed0e-662e-4c94-9022-f0991058b4a4";
//! let command = client
//!     .send_messages(conversation, vec![
//!         Message::text("Hello!"),
//!         Message::quick_replies("Did that help?", &["Yes", "No"]),
//!     ], None, CommandOptions::ttl(60))
//!     .await?;
//! client.wait_for_command(conversation, &command, Duration::from_secs(30)).await?;
//!
//! // Any other operation, through the generated builders.
//! let api = client.generated().await?;
//! api.close_conversation().account_id(client.account_id()).conversation_id(conversation).send().await?;
//! # Ok(()) }
//! ```

pub mod auth;
mod client;
pub mod domain;
pub mod input;

#[allow(clippy::all, unused_imports, dead_code, missing_docs, rustdoc::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/liveperson.rs"));
}

/// Request and response types, generated from `specs/liveperson.yaml`.
pub mod types {
    /// Hand-written stand-ins for spec schemas (see `x-convo-rust-type`).
    pub use super::auth::{
        ApiKeyCredentials, Credentials as LoginCredentials, LegacyLoginRequest, LoginResponse, UserPassCredentials,
    };
    pub use super::domain::ServiceDomains;
    pub use super::generated::types::*;
    pub use super::input::{QuickReplyAction, SetSdesRequest, StructuredContent};
    include!(concat!(env!("OUT_DIR"), "/liveperson_open_enums.rs"));
}

pub use auth::Credentials;
pub use client::{Client, ClientBuilder};
pub use domain::{BotDomain, CSDS_BASE_URL, Zone};
pub use generated::Client as GeneratedClient;
pub use input::{CommandOptions, InputError, SdeInput, Ttr};

/// The spec this client was generated from, as JSON.
pub const SPEC_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/liveperson.spec.json"));
