//! The integration tests, one binary (each file a module): linking the
//! crate once instead of once per file. A module needs the features its
//! `cfg` names. The tests that install a tracing subscriber stay binaries of
//! their own (`tests/logs.rs`, `tests/tracing.rs`, `tests/drift_logs.rs`):
//! tracing caches per-callsite interest process-wide.

// What the tests share (`tests/common/`), also used by those binaries.
#[cfg(feature = "cli")]
#[path = "../common/mod.rs"]
mod common;
#[cfg(feature = "cli")]
#[path = "../common/commands.rs"]
mod commands;
#[cfg(all(feature = "salesloft", feature = "sandbox"))]
#[path = "../common/drifting.rs"]
mod drifting;
#[path = "../common/fault_proxy.rs"]
mod fault_proxy;
#[path = "../common/fault_server.rs"]
mod fault_server;
#[cfg(feature = "cli")]
mod cli;
#[cfg(all(feature = "cli", feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro"))]
mod cli_check;
#[cfg(all(feature = "cli", feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro"))]
mod cli_conventions;
#[cfg(all(feature = "cli", feature = "luware", feature = "raia", feature = "salesloft"))]
mod cli_files;
#[cfg(all(feature = "cli", feature = "llamadapro"))]
mod cli_llamadapro;
#[cfg(all(feature = "cli", feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro"))]
mod cli_operations;
#[cfg(all(feature = "cli", feature = "raia"))]
mod cli_raia;
#[cfg(all(feature = "cli", feature = "luware", feature = "salesloft", feature = "raia", feature = "llamadapro"))]
mod cli_resume;
#[cfg(all(feature = "cli", feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro"))]
mod cli_sandbox_serve;
#[cfg(all(feature = "cli", feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro"))]
mod cli_secrets;
#[cfg(all(feature = "cli", feature = "luware"))]
mod cli_transcripts;
#[cfg(all(feature = "cli", feature = "salesloft"))]
mod drift_counts;
#[cfg(all(feature = "luware", feature = "liveperson", feature = "raia"))]
mod errors;
#[cfg(all(feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro", feature = "sandbox"))]
mod examples;
#[cfg(all(feature = "raia", feature = "sandbox"))]
mod faults;
#[cfg(feature = "luware")]
mod fuzz_corpus;
#[cfg(all(feature = "cli", feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro"))]
mod independent_checks;
#[cfg(all(feature = "liveperson", feature = "sandbox"))]
mod liveperson;
#[cfg(all(feature = "llamadapro", feature = "sandbox"))]
mod llamadapro;
#[cfg(all(feature = "luware", feature = "sandbox"))]
mod luware;
#[cfg(all(feature = "luware", feature = "sandbox"))]
mod luware_transcripts;
mod new_api;
#[cfg(all(feature = "luware", feature = "sandbox"))]
mod observer;
#[cfg(all(feature = "salesloft", feature = "sandbox"))]
mod pacing;
#[cfg(all(feature = "raia", feature = "sandbox"))]
mod raia;
#[cfg(all(feature = "salesloft", feature = "sandbox"))]
mod salesloft;
#[cfg(all(feature = "luware", feature = "sandbox"))]
mod sandbox;
#[cfg(all(feature = "sandbox", feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro"))]
mod sandbox_fallback;
#[cfg(all(feature = "cli", feature = "luware", feature = "raia", feature = "salesloft", feature = "liveperson", feature = "llamadapro"))]
mod seed_examples;
mod specs;
