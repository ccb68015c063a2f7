//! `convo sandbox serve`: the emulators on loopback until stopped, and their
//! settings for a shell (printed, and in `--env-file`).

use std::any::Any;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use convo_clients::sandbox::{Emulator, HarnessConfig, Sandbox};

use crate::{APIS, Failure};

#[derive(Subcommand)]
pub enum SandboxCommand {
    /// Serve the emulators on 127.0.0.1 until Ctrl-C (or SIGTERM).
    ///
    /// Standard output is for a POSIX shell: each emulator's settings as
    /// `export NAME=value` lines, its base URL and a few ids of its data as
    /// `#` comments, then `# serving`. `--env-file` writes the same lines to
    /// a file once every emulator listens (and removes it when serve stops):
    ///
    ///   convo sandbox serve --env-file /tmp/convo.env > /dev/null &
    ///   while [ ! -s /tmp/convo.env ]; do sleep 0.1; done; . /tmp/convo.env
    Serve(ServeOptions),
}

// `sandbox serve`'s flags, which each API's emulator is served with. (Not a
// doc comment: that would be its about text.)
#[derive(clap::Args)]
pub struct ServeOptions {
    /// Which API to serve (`all`, or one API's name).
    #[arg(long, default_value = "all")]
    api: String,
    /// First port; 0 picks free ports.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Records in each emulator's main lists: Luware, Salesloft and raia
    /// conversations, LlamadaPro contacts and tasks (LivePerson has no
    /// list). Luware's are generated on demand, up to millions; the others
    /// are held in memory. Each emulator's own default otherwise.
    #[arg(long, alias = "conversations", value_name = "N")]
    pub records: Option<u64>,
    /// Utterances in each Luware transcript (6 by default). About 1 KB of
    /// transcript JSON each: 50,000 make a 50 MB transcript.
    #[arg(long, value_name = "N")]
    #[cfg_attr(not(feature = "luware"), allow(dead_code))]
    pub transcript_utterances: Option<usize>,
    /// Salesloft's rate-limit budget, in cost units per minute (600, as
    /// documented). Raise it to measure a client's own speed on long
    /// exports rather than the wait for the next minute.
    #[arg(long, value_name = "COST")]
    #[cfg_attr(not(feature = "salesloft"), allow(dead_code))]
    pub rate_limit_budget: Option<u64>,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3_600)]
    #[cfg_attr(not(feature = "luware"), allow(dead_code))]
    pub token_lifetime: u64,
    /// Extra latency per request, in milliseconds, to make the emulator behave like a remote API.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Also check every JSON response against the spec (a contract test of
    /// the emulator itself; requests are always checked).
    #[arg(long)]
    check_responses: bool,
    /// Also write the settings to this file once every emulator listens
    /// (mode 0600, renamed into place whole; removed when serve stops).
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,
    /// Latency, no request log, and whether responses are checked: the flags above.
    #[arg(skip)]
    pub harness: HarnessConfig,
}

/// One running emulator of `sandbox serve` (until dropped), and what it prints.
pub struct Served {
    pub(crate) api: &'static str,
    pub(crate) base_url: String,
    pub(crate) described: Described,
    pub(crate) _server: Box<dyn Any>,
}

/// What an API's `serve` adds to its [`Served`]: the part that differs.
#[derive(Default)]
pub struct Described {
    exports: Vec<(&'static str, String)>,
    samples: Vec<(&'static str, Vec<String>)>,
}

impl Described {
    /// A setting, printed as `export NAME=value`.
    pub fn export(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.exports.push((name, value.into()));
        self
    }

    /// A few ids of the emulator's data: `# <api> <what>: id, id, …` (none: nothing).
    pub fn samples<T: ToString>(&mut self, what: &'static str, ids: impl IntoIterator<Item = T>) -> &mut Self {
        let ids: Vec<String> = ids.into_iter().take(SAMPLES).map(|id| id.to_string()).collect();
        if !ids.is_empty() {
            self.samples.push((what, ids));
        }
        self
    }
}

/// How many ids of each kind `serve` prints.
const SAMPLES: usize = 3;

/// Starts one API's emulator for `sandbox serve`; `describe` names its settings and ids.
pub async fn serve_api<E: Emulator>(
    api: &'static str,
    options: &ServeOptions,
    config: E::Config,
    describe: impl FnOnce(&Sandbox<E>, &mut Described),
) -> Result<Served, Failure> {
    let sandbox = Sandbox::<E>::start(options.seed, options.port, config)
        .await
        .map_err(|e| usage!("{api}: cannot listen: {e}"))?;
    Ok(served(api, sandbox, describe))
}

/// A started `sandbox` as served; `describe` names its settings and sample ids.
pub fn served<A: 'static>(
    api: &'static str,
    sandbox: Sandbox<A>,
    describe: impl FnOnce(&Sandbox<A>, &mut Described),
) -> Served {
    let mut described = Described::default();
    describe(&sandbox, &mut described);
    Served { api, base_url: sandbox.base_url(), described, _server: Box::new(sandbox) }
}

impl Served {
    /// Its lines for a POSIX shell: comments, and `export` lines quoted.
    fn lines(&self) -> Vec<String> {
        let Described { exports, samples } = &self.described;
        // A comment must stay one line: a line break in it would be a command.
        let comment = |text: String| format!("# {}", convo_clients::redact::escape_controls(&text));
        let mut lines = vec![comment(format!("{}  {}", self.api, self.base_url))];
        lines.extend(exports.iter().map(|(name, value)| format!("export {name}={}", shell_quote(value))));
        lines.extend(samples.iter().map(|(what, ids)| comment(format!("{} {what}: {}", self.api, ids.join(", ")))));
        lines
    }
}

pub async fn run(command: SandboxCommand) -> Result<(), Failure> {
    let SandboxCommand::Serve(mut options) = command;
    let api = std::mem::take(&mut options.api);
    if api != "all" && !APIS.iter().any(|(name, _)| *name == api) {
        let names: Vec<&str> = APIS.iter().map(|(name, _)| *name).collect();
        return Err(usage!("--api {api}: not one of all, {}", names.join(", ")));
    }
    // A long-running server keeps no request log: memory stays flat.
    options.harness = HarnessConfig {
        latency: Duration::from_millis(options.latency_ms),
        request_log: 0,
        check_responses: options.check_responses,
        records: options.records,
        ..HarnessConfig::default()
    };
    let mut servers = Vec::new();
    for (name, _) in APIS.iter().filter(|(name, _)| api == "all" || *name == api) {
        servers.push(crate::serve(name, &options).await?);
        // With a fixed first port, each further API takes the next one.
        if options.port != 0 {
            options.port = options.port.saturating_add(1);
        }
    }
    // Every server listens: print (and write) their settings, all at once.
    let stopped = stopped()?;
    let lines: Vec<String> = servers.iter().flat_map(Served::lines).collect();
    let written = options.env_file.as_deref().map(|path| EnvFile::write(path, &lines)).transpose()?;
    let mut stdout = std::io::stdout().lock();
    for line in &lines {
        writeln!(stdout, "{line}")?;
    }
    writeln!(stdout, "# serving; press Ctrl-C to stop")?;
    stdout.flush()?;
    drop(stdout);
    stopped.await;
    drop(servers);
    // Stale once the servers stop: a script waiting for the file must not find it.
    drop(written);
    eprintln!("stopped");
    Ok(())
}

/// Ctrl-C or, on Unix, SIGTERM (what a script sends a background server),
/// listened for from this call on, not from the first poll: a script that
/// has seen the settings may stop the server at once.
pub(crate) fn stopped() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (mut interrupt, mut terminate) = (signal(SignalKind::interrupt())?, signal(SignalKind::terminate())?);
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// The `--env-file`, removed when `serve` stops.
struct EnvFile(PathBuf);

impl EnvFile {
    /// Writes `lines` to `path` whole (a script polling never reads half), privately:
    /// it holds credentials.
    fn write(path: &Path, lines: &[String]) -> Result<Self, Failure> {
        if path.file_name().is_none() {
            return Err(usage!("--env-file {}: not a file name", path.display()));
        }
        crate::files::write_private(path, |file| lines.iter().try_for_each(|line| writeln!(file, "{line}")))
            .map_err(|e| Failure::Io(std::io::Error::new(e.kind(), format!("--env-file {}: {e}", path.display()))))?;
        Ok(EnvFile(path.to_owned()))
    }
}

impl Drop for EnvFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `text` quoted for a POSIX shell, when it needs quoting.
pub(crate) fn shell_quote(text: &str) -> String {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || "@._-:/".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    /// Each value comes back whole from `eval "export V=…"` in `sh`.
    #[test]
    fn quoted_values_survive_a_shell() {
        for value in ["plain-value_1.0:/@", "", "two words", "it's", "$HOME `id` \\ \"x\"", "a\nb", "p@ss&word=1%;*"] {
            let out = std::process::Command::new("sh")
                .args(["-c", "eval \"export V=$1\" && printf %s \"$V\"", "sh", &shell_quote(value)])
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{value:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout), value);
        }
        assert_eq!(shell_quote("http://127.0.0.1:8080"), "http://127.0.0.1:8080", "plain values stay readable");
    }
}
