//! Typed async clients for five conversation-platform APIs, generated with
//! [progenitor](https://github.com/oxidecomputer/progenitor) from OpenAPI 3.0
//! specs reconstructed from the vendors' documents (`specs/` in the
//! package), plus thin hand-written code where the wire is quirky or a task
//! takes several calls, and local emulators of every API (the sandbox).
//!
//! Every operation of a spec is a method of its API's `Client` (through the
//! generated builders); each request is checked against the spec before it is
//! sent, authenticated as the spec's `security` says, retried when it is safe,
//! and traced without secrets. What a response holds that the spec does not
//! list (a new field, a new enum value) is decoded leniently and counted:
//! `client.drift()` and [`drift::seen()`] say which operation showed what
//! (see [`drift`]). See the
//! [README](https://github.com/convo-clients/convo-clients#readme) for what the
//! clients do for you, and the `convo` CLI.
//!
//! # Features
//!
//! | feature | what it adds | default |
//! |---|---|---|
//! | `luware` | [`luware`]: Luware Recording API (`vfcrest/v1`): token, conversation search with JSON filters, metadata, labels, recording control, zipped `.vtr` transcripts | yes |
//! | `raia` | [`raia`]: raia AI Agent API (Conversations): list, start by email/SMS/voice, ask the agent, manual mode | yes |
//! | `salesloft` | [`salesloft`]: Salesloft Conversations: filtered lists and `updated_since` walks, paced by the rate-limit headers | yes |
//! | `liveperson` | [`liveperson`]: LivePerson Third-Party Bots Public API: domain lookup, login, messages, commands, transfer, SDEs, TTR | yes |
//! | `llamadapro` | [`llamadapro`]: LlamadaPro public API (beta): tasks, contacts, custom fields, bulk conversations, calls, WhatsApp | yes |
//! | `sandbox` | [`sandbox`]: each enabled API's emulator, served on loopback, for tests and for trying the clients without an account | no |
//! | `cli` | the `convo` binary (every API, and the sandbox for `--sandbox`) | no |
//!
//! # Quickstarts
//!
//! Each runs against the API's sandbox (feature `sandbox`); against the
//! real service, give the client its base URL and credentials instead.
//!
//! **Luware**: a filtered search, followed across pages, and a transcript.
//!
//! ```
//! # #[cfg(all(feature = "luware", feature = "sandbox"))]
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use convo_clients::luware::{Client, Filters, SearchRequest};
//! use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};
//! use futures::{StreamExt, TryStreamExt};
//!
//! let sandbox = LuwareSandbox::start(42, 0, LuwareConfig::default()).await?;
//! let client = Client::new(sandbox.base_url(), sandbox.credentials())?;
//! let filters = Filters::new().platform("Microsoft Teams").with("modalityName=voice".parse()?);
//! let calls: Vec<_> = client.search(SearchRequest::new(filters).limit(25)).take(30).try_collect().await?;
//! assert_eq!(calls.len(), 30);
//! let transcript = client.transcript(&calls[0].ccdr_id).await?;
//! for utterance in transcript.utterances().take(2) {
//!     println!("{utterance}");
//! }
//! # Ok(()) }
//! # #[cfg(not(all(feature = "luware", feature = "sandbox")))]
//! # fn main() {}
//! ```
//!
//! **raia**: the conversations the agent has had.
//!
//! ```
//! # #[cfg(all(feature = "raia", feature = "sandbox"))]
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use convo_clients::raia::Client;
//! use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox};
//!
//! let sandbox = RaiaSandbox::start(7, 0, RaiaConfig::default()).await?;
//! let client = Client::builder(sandbox.secret_key()).base_url(sandbox.base_url()).build()?;
//! let page = client.list_conversations().page_size(10).send().await?.into_inner();
//! println!("{} conversations in all", page.total_items);
//! assert!(!page.data.is_empty());
//! # Ok(()) }
//! # #[cfg(not(all(feature = "raia", feature = "sandbox")))]
//! # fn main() {}
//! ```
//!
//! **Salesloft**: every conversation of a filtered list, page after page.
//!
//! ```
//! # #[cfg(all(feature = "salesloft", feature = "sandbox"))]
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use convo_clients::salesloft::{ApiKey, Client};
//! use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
//! use futures::{StreamExt, TryStreamExt};
//!
//! let sandbox = SalesloftSandbox::start(21, 0, SalesloftConfig::default()).await?;
//! let client = Client::builder(ApiKey(sandbox.api_key().into())).base_url(sandbox.base_url()).build()?;
//! // Every paged operation's builder streams its items across pages.
//! let first: Vec<_> = client.list_conversations().per_page(25).stream().take(40).try_collect().await?;
//! assert_eq!(first.len(), 40);
//! # Ok(()) }
//! # #[cfg(not(all(feature = "salesloft", feature = "sandbox")))]
//! # fn main() {}
//! ```
//!
//! **LivePerson**: send messages as a bot, and wait for the command to run.
//!
//! ```
//! # #[cfg(all(feature = "liveperson", feature = "sandbox"))]
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use convo_clients::liveperson::{Client, CommandOptions, types::Message};
//! use convo_clients::sandbox::liveperson::{LivePersonConfig, LivePersonSandbox};
//!
//! let sandbox = LivePersonSandbox::start(9, 0, LivePersonConfig::default()).await?;
//! // The API host is found from the account (domain lookup), here the sandbox's.
//! let client = Client::builder(sandbox.account_id(), sandbox.credentials())
//!     .csds_base_url(sandbox.base_url())
//!     .zone_base_url(sandbox.zone(), sandbox.base_url())
//!     .build()?;
//! let conversation = sandbox.open_conversations().remove(0);
//! let messages = vec![Message::text("Let me check that for you.")];
//! let command = client.send_messages(&conversation, messages, None, CommandOptions::ttl(60)).await?;
//! client.wait_for_command(&conversation, &command, Duration::from_secs(30)).await?;
//! # Ok(()) }
//! # #[cfg(not(all(feature = "liveperson", feature = "sandbox")))]
//! # fn main() {}
//! ```
//!
//! **LlamadaPro**: the contacts, page after page.
//!
//! ```
//! # #[cfg(all(feature = "llamadapro", feature = "sandbox"))]
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use convo_clients::llamadapro::Client;
//! use convo_clients::sandbox::llamadapro::{LlamadaProConfig, LlamadaProSandbox};
//! use futures::TryStreamExt;
//!
//! let sandbox = LlamadaProSandbox::start(4, 0, LlamadaProConfig::default()).await?;
//! let client = Client::builder(sandbox.api_key()).base_url(sandbox.base_url()).build()?;
//! let contacts: Vec<_> = client.get_contacts().stream().try_collect().await?;
//! assert!(!contacts.is_empty());
//! # Ok(()) }
//! # #[cfg(not(all(feature = "llamadapro", feature = "sandbox")))]
//! # fn main() {}
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]
// With no API feature at all, the shared runtime has no user: only then is
// its unused code allowed. Each API's feature compiles in what that API
// uses (`#[cfg]` on the items), and builds without warnings alone.
#![cfg_attr(
    not(any(
        feature = "luware",
        feature = "raia",
        feature = "salesloft",
        feature = "liveperson",
        feature = "llamadapro"
    )),
    allow(dead_code, unused_imports)
)]

#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli_config;
pub mod drift;
mod error;
mod open_enum;
pub mod redact;
mod runtime;
mod secret;
pub mod spec;

pub use drift::DriftReport;
pub use error::{ApiError, BodyExcerpt, Error, InvalidInput, Result, TransportKind};
pub use open_enum::{UnknownVariant, UnrecognizedValue};
pub use runtime::{
    ApiClient, BuildClient, ClientBuilder, ClientConfig, Connection, ExchangeObserver, ItemStream, JsonBody, Observed,
    OperationClient, Page, RetryPolicy, SpecClient, SpecClientBuilder, install_tls_provider, paginate,
};
pub use secret::Secret;

// `pub mod <api>` for every API whose feature is on, `for_each_api!`, the
// list of them, and `for_each_api_by_module!`, which of them have their own
// CLI or sandbox module: generated by build.rs from `specs/` and `src/`.
include!(concat!(env!("OUT_DIR"), "/apis.rs"));

#[cfg(feature = "sandbox")]
pub mod sandbox;

/// The README's examples compile as doctests (they use every API).
#[cfg(all(
    doctest,
    feature = "luware",
    feature = "raia",
    feature = "salesloft",
    feature = "liveperson",
    feature = "llamadapro"
))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
