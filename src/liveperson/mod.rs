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

// The generated client, `types`, `SPEC_JSON` (build.rs, from specs/liveperson.yaml).
include!(concat!(env!("OUT_DIR"), "/liveperson_module.rs"));

pub use auth::{Credentials, LoginForm};
pub use client::{Client, ClientBuilder, Settings};
pub use domain::{BotDomain, CSDS_BASE_URL, Zone};
pub use input::{CommandOptions, InputError, SdeInput, Ttr};
