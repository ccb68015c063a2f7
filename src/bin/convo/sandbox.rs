//! `convo sandbox serve`: the emulators on loopback until Ctrl-C.

use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use convo_clients::sandbox::HarnessConfig;
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};

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
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Api {
    Luware,
    All,
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let SandboxCommand::Serve { api, port, seed, conversations, token_lifetime, latency_ms } = args.command;
    let mut running = Vec::new();
    if matches!(api, Api::Luware | Api::All) {
        let config = LuwareConfig {
            conversations,
            token_lifetime: Duration::from_secs(token_lifetime),
            harness: HarnessConfig {
                latency: Duration::from_millis(latency_ms),
                // A long-running server keeps no request log: memory stays flat.
                request_log: 0,
                ..HarnessConfig::default()
            },
            ..LuwareConfig::default()
        };
        let sandbox = LuwareSandbox::start(seed, port, config)
            .await
            .map_err(|e| Failure::Usage(format!("luware: cannot listen: {e}")))?;
        let c = sandbox.credentials();
        println!("luware  {}", sandbox.base_url());
        println!("  export LUWARE_BASE_URL={}", sandbox.base_url());
        println!("  export LUWARE_SUBSCRIPTION_KEY={}", shell_quote(c.subscription_key.expose()));
        println!("  export LUWARE_EID={}", c.eid);
        println!("  export LUWARE_CLIENT_ID={}", shell_quote(&c.client_id));
        println!("  export LUWARE_CLIENT_SECRET={}", shell_quote(c.client_secret.expose()));
        running.push(sandbox);
    }
    println!("serving; press Ctrl-C to stop");
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    for sandbox in running {
        sandbox.shutdown().await;
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
