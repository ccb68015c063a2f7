//! `convo`: the command-line face of convo-clients.
//!
//! Exit codes: 0 on success, 1 on an API or transport error, 2 on a usage or
//! input error. Errors are one line on stderr and never include a secret.

// The doc comments of the argument structs are clap's help text, read in a
// terminal, where rustdoc's `<https://…>` link syntax would only be noise.
#![allow(rustdoc::bare_urls)]
// The helpers of the APIs' own modules go unused when no enabled API has one.
#![cfg_attr(not(cli_own_apis), allow(dead_code, unused_macros))]
// (and with no API at all, what would be sent or served is unused).
#![cfg_attr(not(any(cli_own_apis, cli_generic_apis)), allow(unused_variables))]

/// A usage failure (exit 2), its message formatted.
macro_rules! usage {
    ($($message:tt)*) => {
        $crate::Failure::Usage(format!($($message)*))
    };
}

mod check;
mod config;
mod connect;
mod export;
mod files;
mod operations;
mod output;
mod sandbox;
// Partly unused while every enabled API has a module of its own here.
#[cfg_attr(not(cli_generic_apis), allow(dead_code))]
mod spec_api;
mod spec_cmd;
mod values;

use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{FromArgMatches, Parser, Subcommand};

use output::OutputFormat;

#[derive(Parser)]
#[command(name = "convo", version, about = "Typed clients and local sandboxes for conversation-platform APIs")]
struct Cli {
    /// Run the command against a local emulator, with its credentials.
    ///
    /// When the API's settings point at this machine (the environment `convo
    /// sandbox serve` prints is loaded), that served emulator is used, and
    /// what one command creates (a conversation, a task) the next one sees.
    /// Otherwise each command starts a fresh emulator in-process.
    #[arg(long, global = true)]
    sandbox: bool,

    /// Profile in the config file to take settings from (after flags and environment).
    #[arg(long, global = true, env = "CONVO_PROFILE", value_name = "NAME")]
    profile: Option<String>,

    /// Output format. Lists default to jsonl (printed as they stream), single records to json.
    #[arg(long, short, global = true, value_enum)]
    output: Option<OutputFormat>,

    /// Log to stderr what the client does: -v requests, retries, waits and
    /// token refreshes; -vv debug; -vvv trace. RUST_LOG, when set, decides
    /// instead. Logs never hold a secret.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    /// No progress bars and no notes on stderr; errors still print.
    #[arg(long, short, global = true)]
    quiet: bool,

    /// Attempts per request, the first included (3 by default): a refused or
    /// broken connection, a timeout, a 429 or a 5xx is sent again after a
    /// growing wait, where sending twice is safe. 1 sends each request once.
    #[arg(long, global = true, env = "CONVO_MAX_ATTEMPTS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=10))]
    max_attempts: Option<u32>,

    #[command(subcommand)]
    command: Command,
}

/// Every enabled API: `own` those with a module here (`Args`, `run`, `serve`),
/// `generic` those served from their spec alone ([`spec_api`]).
macro_rules! cli_apis {
    (own: [$($api:ident: $feature:literal,)*], generic: [$($spec_api:ident: $spec_feature:literal,)*]) => {
        $(mod $api;)*
        $(
            /// `convo <api>` from the spec alone.
            mod $spec_api {
                pub type Client = convo_clients::$spec_api::GeneratedClient;
                pub type Args = crate::config::WithSecretFiles<crate::spec_api::Settings<Client>>;
            }
        )*

        #[derive(Subcommand)]
        #[allow(non_camel_case_types)]
        enum Command {
            $($api($api::Args),)*
            $($spec_api($spec_api::Args),)*
            /// Local emulators of the APIs.
            #[command(subcommand)]
            Sandbox(sandbox::SandboxCommand),
            /// A maintainer's review of a spec edit: what it breaks (`spec diff`).
            #[command(subcommand)]
            Spec(spec_cmd::SpecCommand),
            /// The settings the commands would use (`config show`).
            #[command(subcommand)]
            Config(config::ConfigCommand),
            /// Prints a completion script for a shell to stdout, e.g.
            /// `convo completions bash > ~/.local/share/bash-completion/completions/convo`.
            Completions {
                #[arg(value_enum)]
                shell: clap_complete::Shell,
            },
        }

        impl Command {
            async fn run(self, context: &Context) -> Result<(), Failure> {
                match self {
                    $(Command::$api(args) => {
                        // Keep a fresh emulator alive for the whole flow.
                        let (client, _sandbox) = connect::connect(&args.settings.0, context).await?;
                        $api::run(client, args.command, context).await
                    })*
                    $(Command::$spec_api(_) => Err(usage!("{0} needs a command: see `convo {0} --help`", stringify!($spec_api))),)*
                    Command::Sandbox(command) => sandbox::run(command).await,
                    Command::Spec(command) => spec_cmd::run(command, context),
                    Command::Config(config::ConfigCommand::Show { args }) => config::show(&args, context),
                    Command::Completions { shell } => {
                        let mut command = operations::augment(<Cli as clap::CommandFactory>::command());
                        let mut out = std::io::stdout().lock();
                        clap_complete::generate(shell, &mut command, "convo", &mut out);
                        Ok(std::io::Write::flush(&mut out)?)
                    }
                }
            }
        }

        /// Each API's subcommand name and spec.
        const APIS: &[(&str, &str)] = &[
            $((stringify!($api), convo_clients::$api::SPEC_JSON),)*
            $((stringify!($spec_api), convo_clients::$spec_api::SPEC_JSON),)*
        ];

        /// Does a job (one spec operation, or the check) with the generated client of `api`.
        async fn send_operation(api: &str, call: operations::Call<'_>) -> Result<(), Failure> {
            match api {
                $(stringify!($api) => $api::Args::send_operation(call).await,)*
                $(stringify!($spec_api) => spec_api::send_operation::<$spec_api::Client>(call).await,)*
                _ => Err(usage!("no API named {api}")),
            }
        }

        /// Starts the emulator of `api` for `convo sandbox serve`, until the handle is dropped.
        async fn serve(api: &str, options: &sandbox::ServeOptions) -> Result<sandbox::Served, Failure> {
            match api {
                $(stringify!($api) => $api::serve(options).await,)*
                $(stringify!($spec_api) => spec_api::serve::<$spec_api::Client>(options).await,)*
                _ => Err(usage!("no API named {api}")),
            }
        }
    };
}

convo_clients::for_each_api_by_module!(cli, cli_apis);

/// Why a command failed, which decides the exit code.
#[derive(Debug)]
enum Failure {
    /// Bad flags or input (exit 2).
    Usage(String),
    /// The API or the connection failed (exit 1).
    Api(convo_clients::Error),
    /// Writing the output failed (exit 1).
    Io(std::io::Error),
    /// The API answered, but did not do all that was asked (exit 1).
    Outcome(String),
}

impl From<convo_clients::Error> for Failure {
    fn from(e: convo_clients::Error) -> Self {
        match e {
            convo_clients::Error::InvalidInput(e) => Failure::Usage(e.to_string()),
            other => Failure::Api(other),
        }
    }
}

/// A generated call's failure, as the crate's error says it.
impl<E> From<progenitor_client::Error<E>> for Failure {
    fn from(e: progenitor_client::Error<E>) -> Self {
        convo_clients::Error::from(e).into()
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

/// Settings every API subcommand receives.
struct Context {
    sandbox: bool,
    profile: Option<String>,
    output: Option<OutputFormat>,
    /// What every client the command builds is configured with.
    client_config: convo_clients::ClientConfig,
}

impl Context {
    /// The global flags, from the matches of any level (clap gives each level all of them).
    fn new(matches: &clap::ArgMatches) -> Self {
        let config = convo_clients::ClientConfig::default();
        let retry = |attempts| convo_clients::RetryPolicy::default().with_max_attempts(attempts);
        Context {
            sandbox: matches.get_flag("sandbox"),
            profile: matches.get_one::<String>("profile").cloned(),
            output: matches.get_one::<OutputFormat>("output").copied(),
            client_config: match matches.get_one::<u32>("max_attempts") {
                Some(&attempts) => config.with_retry(retry(attempts)),
                None => config,
            },
        }
    }
}

fn main() -> ExitCode {
    // NO_COLOR (https://no-color.org) turns colour off; else clap colours on a terminal only.
    let color = match std::env::var_os("NO_COLOR").filter(|v| !v.is_empty()) {
        Some(_) => clap::ColorChoice::Never,
        None => clap::ColorChoice::Auto,
    };
    let root = <Cli as clap::CommandFactory>::command().color(color);
    let mut matches = operations::augment(root).get_matches();
    init_logging(anywhere::<u8>(&matches, "verbose").into_iter().max().unwrap_or(0));
    output::set_quiet(anywhere::<bool>(&matches, "quiet").contains(&true));
    let operation = operations::invoked(&matches).map(|(api, words, m)| (api, words, m.clone()));
    // `convo <api> check` reports drift itself.
    let checking = matches.subcommand().and_then(|(_, sub)| sub.subcommand_name()) == Some(check::COMMAND);
    let checkpoint = anywhere::<std::path::PathBuf>(&matches, "checkpoint").into_iter().next();
    let context = Context::new(&matches);
    let command = operation.is_none().then(|| Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.exit()));
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        // Held before the export sends anything.
        let _held = checkpoint.as_deref().map(export::hold).transpose()?;
        match (command, operation) {
            (Some(cli), _) => cli.command.run(&context).await,
            (None, Some((api, words, matches))) => operations::run(api, &words, &matches, context).await,
            (None, None) => unreachable!("either a derived command or an operation"),
        }
    });
    // What the responses held that the spec does not list (its examples escaped, never a secret).
    let drift = convo_clients::drift::seen();
    if !checking && !drift.is_empty() {
        let checks: Vec<String> = drift.apis().iter().map(|api| format!("`convo {api} check`")).collect();
        output::note(format_args!("note: {}; run {} to see the details", drift.summary(), checks.join(" and ")));
    }
    let (message, code) = match result {
        Ok(()) => return ExitCode::SUCCESS,
        // A closed pipe (`convo … | head`) is not an error.
        Err(Failure::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => (message, 2),
        Err(Failure::Api(e)) => (one_line(&e), 1),
        Err(Failure::Io(e)) => (e.to_string(), 1),
        Err(Failure::Outcome(message)) => (message, 1),
    };
    // Server text can reach any of these: control characters are escaped.
    eprintln!("error: {}", convo_clients::redact::escape_controls(&message));
    ExitCode::from(code)
}

/// The matches of each level of the command line: global flags may be given at any.
fn levels(matches: &clap::ArgMatches) -> impl Iterator<Item = &clap::ArgMatches> {
    std::iter::successors(Some(matches), |level| level.subcommand().map(|(_, sub)| sub))
}

/// The value of the global flag `id` at whichever level it was given.
fn anywhere<T: Clone + Send + Sync + 'static>(matches: &clap::ArgMatches, id: &str) -> Vec<T> {
    levels(matches).filter_map(|level| level.try_get_one::<T>(id).ok().flatten().cloned()).collect()
}

/// Logs to stderr: RUST_LOG when set, else by `-v` count (none: no logs).
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let from_env = std::env::var("RUST_LOG").ok().filter(|v| !v.trim().is_empty());
    let filter = match (from_env, verbose) {
        (Some(directives), _) => EnvFilter::new(directives),
        (None, 0) => return,
        (None, 1) => EnvFilter::new("convo_clients=info,convo=info"),
        (None, 2) => EnvFilter::new("convo_clients=debug,convo=debug"),
        (None, _) => EnvFilter::new("convo_clients=trace,convo=trace"),
    };
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
}

/// The error on one line: the operation, the HTTP status and the server's message.
fn one_line(error: &convo_clients::Error) -> String {
    use convo_clients::Error;
    let text = match error {
        Error::Status { operation, status, body } | Error::Auth { operation, status: Some(status), body } => {
            match body.message() {
                Some(message) => format!("{operation}: HTTP {status}: {message}"),
                None if body.as_str().is_empty() => format!("{operation}: HTTP {status}"),
                None => format!("{operation}: HTTP {status}: {body}"),
            }
        }
        other => other.to_string(),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
