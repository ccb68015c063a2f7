//! The integration tests, one binary (each file a module): linking the
//! crate once instead of once per file. A module needs the features its
//! `cfg` names. The tests that install a tracing subscriber stay binaries of
//! their own (`tests/logs.rs`, `tests/tracing.rs`, `tests/drift_logs.rs`):
//! tracing caches per-callsite interest process-wide.

/// A plain reqwest client, for requests the typed clients would not send.
/// reqwest is built without a TLS crypto provider, so this crate's is
/// installed first: building one without it panics. (Unused by the feature
/// sets whose modules send none.)
#[allow(dead_code)]
fn raw_http() -> reqwest::Client {
    convo_clients::install_tls_provider();
    reqwest::Client::new()
}

/// Declares each module behind the features it needs.
macro_rules! needs {
    ($([$($feature:literal),*] $(#[$attr:meta])* mod $module:ident;)*) => {
        $(#[cfg(all($(feature = $feature),*))] $(#[$attr])* mod $module;)*
    };
}

// What the tests share (`tests/common/`), also used by the binaries above.
needs! {
    ["cli"] #[path = "../common/commands.rs"] mod commands;
    ["cli"] #[path = "../common/mod.rs"] mod common;
    ["salesloft", "sandbox"] #[path = "../common/drifting.rs"] mod drifting;
    [] #[path = "../common/fault_proxy.rs"] mod fault_proxy;
    [] #[path = "../common/fault_server.rs"] mod fault_server;
    ["luware"] #[path = "../../fuzz/bodies.rs"] mod fuzzing;
    ["cli"] #[path = "../common/scratch_crate.rs"] mod scratch_crate;
}

needs! {
    ["cli"] mod cli;
    ["cli", "luware", "raia", "salesloft", "liveperson", "llamadapro"] mod cli_check;
    ["cli"] mod cli_config_file;
    ["cli", "luware", "raia", "salesloft", "liveperson", "llamadapro"] mod cli_conventions;
    ["cli", "luware", "raia", "salesloft"] mod cli_files;
    ["cli", "llamadapro"] mod cli_llamadapro;
    ["cli", "luware", "raia", "salesloft", "liveperson", "llamadapro"] mod cli_operations;
    ["cli", "raia"] mod cli_raia;
    ["cli", "luware", "salesloft", "raia", "llamadapro"] mod cli_resume;
    ["cli", "luware", "raia", "salesloft", "liveperson", "llamadapro"] mod cli_sandbox_serve;
    ["cli", "luware", "raia", "salesloft", "liveperson", "llamadapro"] mod cli_secrets;
    ["cli", "luware"] mod cli_transcripts;
    ["cli", "salesloft"] mod drift_counts;
    ["salesloft", "sandbox"] mod drift_reports;
    ["luware", "liveperson", "raia"] mod errors;
    ["luware", "raia", "salesloft", "liveperson", "llamadapro", "sandbox"] mod examples;
    ["raia", "sandbox"] mod faults;
    ["luware"] mod fuzz_corpus;
    ["cli", "luware", "raia", "salesloft", "liveperson", "llamadapro"] mod independent_checks;
    ["liveperson", "sandbox"] mod liveperson;
    ["liveperson"] mod liveperson_input;
    ["llamadapro", "sandbox"] mod llamadapro;
    ["llamadapro"] mod llamadapro_input;
    ["luware", "sandbox"] mod luware;
    ["luware", "sandbox"] mod luware_filter_matching;
    ["luware"] mod luware_filters;
    ["luware", "sandbox"] mod luware_transcripts;
    // Builds a scratch copy of the crate with features of its own, whatever
    // this binary's are: once, in the run with the CLI, not in every run.
    ["cli"] mod new_api;
    ["luware", "sandbox"] mod observer;
    ["salesloft", "sandbox"] mod pacing;
    [] mod pagination;
    ["raia", "sandbox"] mod raia;
    ["raia"] mod raia_input;
    [] mod redaction;
    // As new_api, scratch copies built once, in the run with the CLI.
    ["cli"] mod semver_agreement;
    ["salesloft", "sandbox"] mod salesloft;
    ["luware", "sandbox"] mod sandbox;
    ["sandbox", "luware", "raia", "salesloft", "liveperson", "llamadapro"] mod sandbox_fallback;
    ["sandbox"] mod sandbox_spec_answers;
    ["cli", "luware", "raia", "salesloft", "liveperson", "llamadapro"] mod seed_examples;
    [] mod specs;
    [] mod spec_lenient;
    [] mod spec_diff;
    [] mod spec_model;
    [] mod spec_provenance;
    [] mod spec_security;
    [] mod spec_survey;
    [] mod spec_validator;
    ["luware", "sandbox"] mod transcript_decoding;
}
