//! `convo raia …`: the raia AI Agent API (Conversations).

use convo_clients::raia::Client;
use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox, RaiaState};

use crate::Failure;
use crate::sandbox::{self, ServeOptions, Served};

// Its settings are its spec's: the base URL and the `agentSecretKey` scheme's key.
pub type Args = crate::connect::Args<crate::spec_api::Settings<Client, RaiaState>, crate::connect::NoFlows>;

// Every command is one of the spec's operations.
pub use crate::connect::no_flows as run;

/// Serves the emulator for `convo sandbox serve` and prints its settings.
pub(crate) async fn serve(options: &ServeOptions) -> Result<Served, Failure> {
    let default = RaiaConfig::default();
    let conversations = options.records.map_or(default.conversations, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let config = RaiaConfig { harness: options.harness.clone(), conversations, ..default };
    sandbox::serve_api("raia", options, config, |sandbox: &RaiaSandbox, out| {
        crate::spec_api::export::<Client>(out, sandbox.base_url(), |scheme| sandbox.credential(scheme));
        let conversations = sandbox.conversation_ids();
        // Ids a script (or the seed-example replay) can start from.
        if let [ai, manual, ..] = conversations.as_slice() {
            out.export("RAIA_CONVERSATION_ID", ai.as_str()).export("RAIA_MANUAL_CONVERSATION_ID", manual.as_str());
        }
        let users = sandbox.user_ids();
        if let Some(user) = users.first() {
            out.export("RAIA_USER_ID", user.as_str());
        }
        out.samples("conversations (AI chat, manual chat, manual voice call)", conversations)
            .samples("users", users)
            .samples("states", sandbox.state_ids());
    })
    .await
}
