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
// them (no `default` feature), parts of it go unused, which is expected.
#![cfg_attr(not(feature = "default"), allow(dead_code, unused_imports))]

#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli_config;
mod error;
mod open_enum;
pub mod redact;
mod runtime;
mod secret;
pub mod spec;

pub use error::{BodyExcerpt, Error, InvalidInput, Result, TransportKind};
pub use open_enum::{UnknownVariant, UnrecognizedValue};
pub use runtime::{
    BuildClient, ClientBuilder, ClientConfig, Connection, ItemStream, OperationClient, Page, RetryPolicy, paginate,
};
pub use secret::Secret;

/// The APIs, one line each: the module (a folder `src/<api>/` beside
/// `specs/<api>.yaml`) and its cargo feature. The library's modules, the
/// emulators and the CLI's commands, settings and `sandbox serve` are all
/// declared from this list; `build.rs` generates a client for each spec
/// whose feature is on.
#[doc(hidden)]
#[macro_export]
macro_rules! for_each_api {
    ($callback:ident) => {
        $callback! {
            luware: "luware",
            liveperson: "liveperson",
            salesloft: "salesloft",
            raia: "raia",
            llamadapro: "llamadapro",
        }
    };
}

/// `pub mod <api>;` for every enabled API.
macro_rules! api_modules {
    ($($api:ident: $feature:literal,)*) => {
        $(
            #[cfg(feature = $feature)]
            pub mod $api;
        )*
    };
}

for_each_api!(api_modules);

#[cfg(feature = "sandbox")]
pub mod sandbox;

/// The fuzz targets' bodies (`fuzz/`), shared with `tests/fuzz_corpus.rs`.
#[doc(hidden)]
pub mod fuzzing;

/// The README's examples compile as doctests.
#[cfg(all(doctest, feature = "luware"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
