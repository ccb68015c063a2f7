//! `convo salesloft …`: Salesloft Conversations.

use convo_clients::salesloft::Client;
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox, SalesloftState};

use crate::Failure;
use crate::sandbox::{self, ServeOptions, Served};

// Its settings are its spec's: the base URL and the `bearerAuth` scheme's API key or token.
pub type Args = crate::connect::Args<crate::spec_api::Settings<Client, SalesloftState>, crate::connect::NoFlows>;

// Every command is one of the spec's operations.
pub use crate::connect::no_flows as run;

/// Serves the emulator for `convo sandbox serve` and prints its settings.
pub(crate) async fn serve(options: &ServeOptions) -> Result<Served, Failure> {
    let default = SalesloftConfig::default();
    let conversations = options.records.unwrap_or(default.conversations);
    let budget = options.rate_limit_budget.unwrap_or(default.budget);
    let config = SalesloftConfig { harness: options.harness.clone(), conversations, budget, ..default };
    sandbox::serve_api("salesloft", options, config, |sandbox: &SalesloftSandbox, out| {
        crate::spec_api::export::<Client>(out, sandbox.base_url(), |scheme| sandbox.credential(scheme));
        out.samples("conversations", (0..conversations).filter_map(|i| sandbox.conversation_id(i)));
    })
    .await
}
