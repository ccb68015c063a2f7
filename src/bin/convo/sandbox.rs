//! `convo sandbox serve`: the emulators on loopback until Ctrl-C.

use std::time::Duration;

use clap::Subcommand;
use convo_clients::sandbox::{Emulator, HarnessConfig, Sandbox};

use crate::{APIS, Failure};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SandboxCommand,
}

#[derive(Debug, Subcommand)]
enum SandboxCommand {
    /// Serve the emulators on 127.0.0.1 and print their base URLs and credentials.
    Serve {
        /// Which API to serve (`all`, or one API's name).
        #[arg(long, default_value = "all")]
        api: String,
        /// First port; 0 picks free ports.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Seed of the generated data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Records in each emulator's main lists: Luware, Salesloft and raia
        /// conversations, LlamadaPro contacts and tasks (LivePerson has no
        /// list). Luware's are generated on demand, up to millions; the others
        /// are held in memory. Each emulator's own default otherwise.
        #[arg(long, alias = "conversations", value_name = "N")]
        records: Option<u64>,
        /// Utterances in each Luware transcript (6 by default). About 1 KB of
        /// transcript JSON each: 50,000 make a 50 MB transcript.
        #[arg(long, value_name = "N")]
        transcript_utterances: Option<usize>,
        /// Salesloft's rate-limit budget, in cost units per minute (600, as
        /// documented). Raise it to measure a client's own speed on long
        /// exports rather than the wait for the next minute.
        #[arg(long, value_name = "COST")]
        rate_limit_budget: Option<u64>,
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

/// What `serve` passes each API's emulator.
pub struct ServeOptions {
    pub port: u16,
    pub seed: u64,
    /// Records in the emulator's main list; `None` for its default.
    pub records: Option<u64>,
    /// Utterances in each Luware transcript; `None` for the default.
    pub transcript_utterances: Option<usize>,
    /// Salesloft's cost budget per minute; `None` for the documented 600.
    pub rate_limit_budget: Option<u64>,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    /// Latency, no request log, and whether responses are checked.
    pub harness: HarnessConfig,
}

pub async fn run(args: Args) -> Result<(), Failure> {
    let SandboxCommand::Serve {
        api,
        port,
        seed,
        records,
        transcript_utterances,
        rate_limit_budget,
        token_lifetime,
        latency_ms,
        check_responses,
    } = args.command;
    if api != "all" && !APIS.iter().any(|(name, _)| *name == api) {
        let names: Vec<&str> = APIS.iter().map(|(name, _)| *name).collect();
        return Err(Failure::Usage(format!("--api {api}: not one of all, {}", names.join(", "))));
    }
    // A long-running server keeps no request log: memory stays flat.
    let harness = HarnessConfig { latency: Duration::from_millis(latency_ms), request_log: 0, check_responses };
    let mut options = ServeOptions {
        port,
        seed,
        records,
        transcript_utterances,
        rate_limit_budget,
        token_lifetime: Duration::from_secs(token_lifetime),
        harness,
    };
    let mut servers = Vec::new();
    for (name, _) in APIS.iter().filter(|(name, _)| api == "all" || *name == api) {
        servers.push(crate::serve(name, &options).await?);
        // With a fixed first port, each further API takes the next one.
        if options.port != 0 {
            options.port = options.port.saturating_add(1);
        }
    }
    println!("serving; press Ctrl-C to stop");
    use std::io::Write;
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    drop(servers);
    eprintln!("stopped");
    Ok(())
}

/// An API's emulator for `--sandbox`, in-process on a free loopback port.
pub async fn start<E: Emulator>(config: E::Config) -> Result<Sandbox<E>, Failure> {
    Sandbox::start(42, 0, config).await.map_err(|e| Failure::Usage(format!("cannot start the sandbox: {e}")))
}

/// The error for an emulator that cannot listen.
pub fn cannot_listen(api: &str, e: std::io::Error) -> Failure {
    Failure::Usage(format!("{api}: cannot listen: {e}"))
}

/// `export NAME=value`, quoted for a POSIX shell.
pub fn export(name: &str, value: &str) {
    println!("  export {name}={}", shell_quote(value));
}

fn shell_quote(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "@._-:/".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
