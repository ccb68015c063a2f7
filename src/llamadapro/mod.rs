//! LlamadaPro public API (beta): tasks, contacts, custom fields, funnel
//! conversations, calls, recordings and WhatsApp messages.
//!
//! [`Client`] derefs to the client generated from `specs/llamadapro.yaml`:
//! every operation is a method (`client.get_task().task_id(id).send()`),
//! sent with the `X-API-KEY` header and checked against the spec before it
//! leaves (ids are whole numbers up to [`MAX_ID`], bulk batches are not
//! empty, phone numbers are E.164 ([`is_e164`]), a template's `variables`
//! or `components`, a conversation's `contactId` or `contact`, one mode of a
//! media upload, …). What the schema cannot say is added here: a stream over
//! the contact search, whose page token travels in the body
//! ([`Client::contact_search`]; every list paged by a query parameter
//! streams with `stream()` on its builder), typed `filterBy`/`sortBy` values
//! ([`FilterBy`], [`SortBy`]), the 409 of a definition still in use
//! ([`Client::delete_custom_field_definition_checked`]), a per-item reading of
//! bulk reports ([`BulkOutcome`]), and integer ids where the wire has `f64`.
//!
//! ```no_run
//! # async fn demo() -> convo_clients::Result<()> {
//! use convo_clients::llamadapro::{Client, FilterBy, SortBy};
//! use futures::TryStreamExt;
//!
//! let client = Client::new(std::env::var("LLAMADAPRO_API_KEY").unwrap_or_default())?;
//! let mut contacts = client
//!     .get_contacts()
//!     .filter_by(FilterBy::new().with("lastName", "Soto")?.to_string())
//!     .sort_by(SortBy::desc("createdAt")?.to_string())
//!     .stream();
//! while let Some(contact) = contacts.try_next().await? {
//!     println!("{:?} {:?}", contact.id_u64(), contact.first_name);
//! }
//! # Ok(()) }
//! ```

pub mod bulk;
mod client;
pub mod ids;
pub mod input;
pub mod syntax;

// The generated client, `types`, `SPEC_JSON` (build.rs, from specs/llamadapro.yaml).
include!(concat!(env!("OUT_DIR"), "/llamadapro_module.rs"));

pub use bulk::{BulkOutcome, ItemOutcome, ItemReport};
pub use client::{BASE_URL, Client, ClientBuilder, DefinitionInUse};
pub use ids::MAX_ID;
pub use input::{E164_FIELDS, InputError, is_e164};
pub use syntax::{FilterBy, SortBy};
