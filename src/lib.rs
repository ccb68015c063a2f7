//! Typed async clients for conversation-platform APIs, generated from
//! hand-reconstructed OpenAPI specs (`specs/`) with progenitor, plus thin
//! hand-written code where the wire is quirky or a task takes several calls.
//!
//! Each API sits behind the cargo feature of its name:
//! - [`luware`]: Luware Recording (`vfcrest/v1`).
//! - [`liveperson`]: LivePerson Third-Party Bots Public API.
//! - [`raia`]: raia AI Agent API (Conversations).
//! - [`salesloft`]: Salesloft Conversations.
//! - [`llamadapro`]: LlamadaPro public API (beta).
//!
//! The `sandbox` feature adds local emulators of the APIs, served over
//! loopback, for tests and for trying the clients without an account.

// The shared runtime serves whichever APIs are enabled; with only some of
// them, parts of it go unused, which is expected rather than dead code.
#![cfg_attr(
    not(all(
        feature = "luware",
        feature = "raia",
        feature = "salesloft",
        feature = "liveperson",
        feature = "llamadapro"
    )),
    allow(dead_code, unused_imports)
)]

mod error;
mod open_enum;
mod runtime;
mod secret;
pub mod spec;

pub use error::{BodyExcerpt, Error, InvalidInput, Result};
pub use open_enum::{UnknownVariant, UnrecognizedValue};
pub use runtime::{ClientConfig, ItemStream, Page, RetryPolicy, paginate};
pub use secret::Secret;

#[cfg(feature = "liveperson")]
pub mod liveperson;
#[cfg(feature = "llamadapro")]
pub mod llamadapro;
#[cfg(feature = "luware")]
pub mod luware;
#[cfg(feature = "raia")]
pub mod raia;
#[cfg(feature = "salesloft")]
pub mod salesloft;

#[cfg(feature = "sandbox")]
pub mod sandbox;

/// The README's examples compile as doctests.
#[cfg(all(doctest, feature = "luware"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
