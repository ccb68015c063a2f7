//! `convo salesloft …`: Salesloft Conversations.

use convo_clients::salesloft::{ApiKey, Client};
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox, SalesloftState};

use crate::sandbox::{self, ServeOptions, Served};
use crate::{Context, Failure};

pub type Args = crate::connect::Args<Settings, NoFlows>;

// None: every command of this API is one of its spec's operations.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum NoFlows {}

pub async fn run(_: Client, command: NoFlows, _: &Context) -> Result<(), Failure> {
    match command {}
}

keyed_api! {
    api: "salesloft",
    key: api_key ("--api-key", "SALESLOFT_API_KEY")
        "API key (ak_…) or OAuth access token. Prefer the environment.",
    base_url: ("SALESLOFT_BASE_URL")
        "Base URL (default https://api.salesloft.com).",
    emulator: SalesloftState,
    builder: |key: String| Client::builder(ApiKey(key.into())),
    sandboxed: |sandbox: &SalesloftSandbox| Client::builder(ApiKey(sandbox.api_key().into())),
}

/// Serves the emulator for `convo sandbox serve` and prints its settings.
pub(crate) async fn serve(options: &ServeOptions) -> Result<Served, Failure> {
    let default = SalesloftConfig::default();
    let conversations = options.records.unwrap_or(default.conversations);
    let budget = options.rate_limit_budget.unwrap_or(default.budget);
    let config = SalesloftConfig { harness: options.harness.clone(), conversations, budget, ..default };
    sandbox::serve_api("salesloft", options, config, |sandbox: &SalesloftSandbox, out| {
        out.export("SALESLOFT_BASE_URL", sandbox.base_url()).export("SALESLOFT_API_KEY", sandbox.api_key());
        out.samples("conversations", (0..conversations).filter_map(|i| sandbox.conversation_id(i)));
    })
    .await
}
