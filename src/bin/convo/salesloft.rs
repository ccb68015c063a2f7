//! `convo salesloft …`: Salesloft Conversations.

use std::collections::BTreeMap;

use convo_clients::salesloft::{ApiKey, Client};
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
use serde::Deserialize;

use crate::operations::Call;
use crate::sandbox::{self, ServeOptions, Served};
use crate::{Context, Failure, config};

// The API's settings; its commands are the spec's operations
// (`conversations list`, `conversations get`, …).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub(crate) settings: config::WithSecretFiles<Settings>,
}

// The API's connection settings, global to its subcommands (the generated
// operation commands read them too).
#[derive(clap::Args)]
pub(crate) struct Settings {
    /// API key (ak_…) or OAuth access token. Prefer the environment.
    #[arg(long, global = true, env = "SALESLOFT_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Base URL (default https://api.salesloft.com).
    #[arg(long, global = true, env = "SALESLOFT_BASE_URL")]
    base_url: Option<String>,
}

settings_debug_without_secrets!(Settings);

/// Every command of this API is one of its spec's operations.
pub async fn run(_: Args, _: &Context) -> Result<(), Failure> {
    Err(Failure::Usage("salesloft needs a command: see `convo salesloft --help`".into()))
}

pub(crate) async fn connect(args: &Settings, context: &Context) -> Result<(Client, Option<SalesloftSandbox>), Failure> {
    if context.sandbox {
        let sandbox: SalesloftSandbox = crate::sandbox::start(SalesloftConfig::default()).await?;
        let client = Client::builder(ApiKey(sandbox.api_key().into())).base_url(sandbox.base_url()).config(context.client_config.clone()).build()?;
        return Ok((client, Some(sandbox)));
    }
    let profile = config::profile::<SalesloftProfile>(context.profile.as_deref(), "salesloft")?;
    let key = args.api_key.clone().or(profile.api_key).ok_or_else(|| config::missing("SALESLOFT_API_KEY", "--api-key"))?;
    let mut builder = Client::builder(ApiKey(key.into()));
    if let Some(url) = args.base_url.clone().or(profile.base_url) {
        builder = builder.base_url(url);
    }
    Ok((builder.config(context.client_config.clone()).build()?, None))
}

/// Sends one of the spec's operations (`convo salesloft <operation-id>`).
pub(crate) async fn send_operation(call: Call<'_>) -> Result<(), Failure> {
    let (client, _sandbox) = connect(&call.settings()?, call.context).await?;
    call.send(client.generated(), &BTreeMap::new()).await
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

/// This API's table in a config profile.
#[derive(Default, Deserialize)]
pub struct SalesloftProfile {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
}

settings_debug_without_secrets!(SalesloftProfile);
