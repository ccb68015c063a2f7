//! `convo sandbox serve`: the emulators on loopback until Ctrl-C.

use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use convo_clients::liveperson::Credentials;
use convo_clients::sandbox::HarnessConfig;
use convo_clients::sandbox::liveperson::{LivePersonConfig, LivePersonSandbox};
use convo_clients::sandbox::llamadapro::{LlamadaProConfig, LlamadaProSandbox};
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};
use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox};
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};

use crate::Failure;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SandboxCommand,
}

#[derive(Debug, Subcommand)]
enum SandboxCommand {
    /// Serve the emulators on 127.0.0.1 and print their base URLs and credentials.
    Serve {
        /// Which API to serve.
        #[arg(long, value_enum, default_value = "all")]
        api: Api,
        /// First port; 0 picks free ports.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Seed of the generated data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Number of Luware conversations (generated on demand; up to millions).
        #[arg(long, default_value_t = 1_000)]
        conversations: u64,
        /// Lifetime of issued access tokens, in seconds.
        #[arg(long, default_value_t = 3_600)]
        token_lifetime: u64,
        /// Extra latency per request, in milliseconds, to make the emulator behave like a remote API.
        #[arg(long, default_value_t = 0)]
        latency_ms: u64,
        /// Also check every JSON response against the spec (a contract test of
        /// the emulator itself; requests are always checked).
        #[arg(long)]
        check_responses: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Api {
    Luware,
    Liveperson,
    Salesloft,
    Raia,
    Llamadapro,
    All,
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let SandboxCommand::Serve { api, port, seed, conversations, token_lifetime, latency_ms, check_responses } =
        args.command;
    // A long-running server keeps no request log: memory stays flat.
    let harness = HarnessConfig { latency: Duration::from_millis(latency_ms), request_log: 0, check_responses };
    // With a fixed first port, each further API takes the next one.
    let mut ports = (0..).map(|i: u16| if port == 0 { 0 } else { port.saturating_add(i) });
    let cannot_listen = |api: &str, e: std::io::Error| Failure::Usage(format!("{api}: cannot listen: {e}"));
    let mut luware_server = None;
    let mut liveperson_server = None;
    let mut salesloft_server = None;
    let mut raia_server = None;
    let mut llamadapro_server = None;
    if matches!(api, Api::Luware | Api::All) {
        let config = LuwareConfig {
            conversations,
            token_lifetime: Duration::from_secs(token_lifetime),
            harness: harness.clone(),
            ..LuwareConfig::default()
        };
        let port = ports.next().unwrap_or(0);
        let sandbox = LuwareSandbox::start(seed, port, config).await.map_err(|e| cannot_listen("luware", e))?;
        let c = sandbox.credentials();
        println!("luware  {}", sandbox.base_url());
        println!("  export LUWARE_BASE_URL={}", sandbox.base_url());
        println!("  export LUWARE_SUBSCRIPTION_KEY={}", shell_quote(c.subscription_key.expose()));
        println!("  export LUWARE_EID={}", c.eid);
        println!("  export LUWARE_CLIENT_ID={}", shell_quote(&c.client_id));
        println!("  export LUWARE_CLIENT_SECRET={}", shell_quote(c.client_secret.expose()));
        luware_server = Some(sandbox);
    }
    if matches!(api, Api::Liveperson | Api::All) {
        let config = LivePersonConfig { harness: harness.clone(), ..LivePersonConfig::default() };
        let port = ports.next().unwrap_or(0);
        let sandbox = LivePersonSandbox::start(seed, port, config).await.map_err(|e| cannot_listen("liveperson", e))?;
        println!("liveperson  {}", sandbox.base_url());
        println!("  export LIVEPERSON_ACCOUNT_ID={}", sandbox.account_id());
        if let Credentials::UserPass(user) = sandbox.credentials() {
            println!("  export LIVEPERSON_USERNAME={}", shell_quote(&user.username));
            println!("  export LIVEPERSON_PASSWORD={}", shell_quote(user.password.expose()));
        }
        println!("  export LIVEPERSON_BOT_DOMAIN={}", sandbox.base_url());
        println!("  # open conversations: {}", sandbox.open_conversations().join(" "));
        liveperson_server = Some(sandbox);
    }
    if matches!(api, Api::Salesloft | Api::All) {
        let config = SalesloftConfig { harness: harness.clone(), ..SalesloftConfig::default() };
        let port = ports.next().unwrap_or(0);
        let sandbox = SalesloftSandbox::start(seed, port, config).await.map_err(|e| cannot_listen("salesloft", e))?;
        println!("salesloft  {}", sandbox.base_url());
        println!("  export SALESLOFT_BASE_URL={}", sandbox.base_url());
        println!("  export SALESLOFT_API_KEY={}", shell_quote(&sandbox.api_key()));
        salesloft_server = Some(sandbox);
    }
    if matches!(api, Api::Raia | Api::All) {
        let config = RaiaConfig { harness: harness.clone(), ..RaiaConfig::default() };
        let port = ports.next().unwrap_or(0);
        let sandbox = RaiaSandbox::start(seed, port, config).await.map_err(|e| cannot_listen("raia", e))?;
        println!("raia  {}", sandbox.base_url());
        println!("  export RAIA_BASE_URL={}", sandbox.base_url());
        println!("  export RAIA_AGENT_SECRET_KEY={}", shell_quote(sandbox.secret_key().expose()));
        let examples: Vec<String> = sandbox.conversation_ids().into_iter().take(3).collect();
        println!("  # conversations: AI chat, manual chat, manual voice call: {}", examples.join(" "));
        raia_server = Some(sandbox);
    }
    if matches!(api, Api::Llamadapro | Api::All) {
        let config = LlamadaProConfig { harness: harness.clone(), ..LlamadaProConfig::default() };
        let port = ports.next().unwrap_or(0);
        let sandbox = LlamadaProSandbox::start(seed, port, config).await.map_err(|e| cannot_listen("llamadapro", e))?;
        println!("llamadapro  {}", sandbox.base_url());
        println!("  export LLAMADAPRO_BASE_URL={}", sandbox.base_url());
        println!("  export LLAMADAPRO_API_KEY={}", shell_quote(&sandbox.api_key()));
        llamadapro_server = Some(sandbox);
    }
    println!("serving; press Ctrl-C to stop");
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    if let Some(s) = luware_server {
        s.shutdown().await;
    }
    if let Some(s) = liveperson_server {
        s.shutdown().await;
    }
    if let Some(s) = salesloft_server {
        s.shutdown().await;
    }
    if let Some(s) = raia_server {
        s.shutdown().await;
    }
    if let Some(s) = llamadapro_server {
        s.shutdown().await;
    }
    eprintln!("stopped");
    Ok(())
}

fn shell_quote(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "@._-:/".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
