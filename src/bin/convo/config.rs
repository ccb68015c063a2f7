//! Settings in order of precedence: flags, then environment (both through
//! clap), then a profile in the config file.
//!
//! The file is `$CONVO_CONFIG`, else `<config dir>/convo/config.toml`
//! (`~/.config/convo/config.toml` on Linux):
//!
//! ```toml
//! [profiles.default.luware]
//! base_url = "https://example.luware.com"
//! subscription_key = "…"
//! eid = 1000
//! client_id = "api_user@example.com"
//! client_secret = "…"
//!
//! [profiles.default.liveperson]
//! account_id = "12345678"
//! username = "bot-user"
//! password = "…"            # or api_key = "APP_KEY:SECRET:ACCESS_TOKEN:ACCESS_TOKEN_SECRET"
//! bot_domain = "z1"         # optional; looked up from the account otherwise
//! csds_base_url = "…"      # optional; the domain lookup's host (https://api.liveperson.net)
//!
//! [profiles.default.salesloft]
//! api_key = "ak_…"
//!
//! [profiles.default.raia]
//! secret_key = "…"
//! base_url = "https://api-eu.raia2.com"   # optional; https://api.raia2.com otherwise
//!
//! [profiles.default.llamadapro]
//! api_key = "…"
//! base_url = "https://api.llamadapro.app"   # optional
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

use convo_clients::cli_config::{ConfigError, parse};
use serde::de::DeserializeOwned;

use crate::Failure;

/// The error for a setting given nowhere.
pub fn missing(name: &str, flag: &str) -> Failure {
    Failure::Usage(format!("missing {name}: set {flag}, the environment variable {name}, or a profile"))
}

/// The config file: `$CONVO_CONFIG`, else `<config dir>/convo/config.toml`.
fn path() -> Option<PathBuf> {
    std::env::var_os("CONVO_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("convo/config.toml")))
}

/// The config file's bytes. A file others can write could send your
/// credentials anywhere (a base URL of theirs): as ssh does with such a
/// file, but warning rather than refusing, stderr says so and how to fix it.
fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        static WARNED: std::sync::Once = std::sync::Once::new();
        if mode & 0o022 != 0 {
            WARNED.call_once(|| {
                let shown = |text: &str| convo_clients::redact::escape_controls(text).into_owned();
                let name = path.to_string_lossy();
                eprintln!(
                    "warning: config file {} is writable by group or others (mode {:o}): run `chmod go-w {}`",
                    shown(&name),
                    mode & 0o777,
                    shown(&crate::sandbox::shell_quote(&name))
                );
            });
        }
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The table of `api` in the named profile, or in `default` when none is
/// named. A named profile must exist; a missing file or `default` profile,
/// or a profile without the API's table, is simply empty. A file that
/// exists but cannot be read, is not UTF-8 or not valid is an error that
/// names the file.
pub fn profile<T: DeserializeOwned + Default>(name: Option<&str>, api: &str) -> Result<T, Failure> {
    let path = path();
    let shown = |path: &Path| convo_clients::redact::escape_controls(&path.display().to_string()).into_owned();
    let bytes = match path.as_ref().map(|p| (p, read(p))) {
        Some((_, Ok(bytes))) => bytes,
        Some((p, Err(e))) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Failure::Usage(format!("config file {}: cannot be read: {e}", shown(p))));
        }
        _ if name.is_none() => return Ok(T::default()),
        _ => {
            let shown = path.map(|p| shown(&p)).unwrap_or_else(|| "the config file".into());
            return Err(Failure::Usage(format!(
                "profile {:?} requested but {shown} does not exist",
                name.unwrap_or("")
            )));
        }
    };
    let file_error = |e: ConfigError| {
        let shown = path.as_deref().map(shown).unwrap_or_default();
        Failure::Usage(format!("config file {shown}: {e}"))
    };
    let file = parse(&bytes).map_err(file_error)?;
    match file.table(name.unwrap_or("default"), api).map_err(file_error)? {
        Some(table) => Ok(table),
        None if name.is_none() => Ok(T::default()),
        None => Err(Failure::Usage(format!("no profile named {:?} in the config file", name.unwrap_or("")))),
    }
}

/// `convo config …`.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// The settings each API's commands would use, and where each comes
    /// from: a flag, an environment variable or the profile (which one, in
    /// which file). Secrets show only whether they are set. Flags of one
    /// API's settings may follow its name: `convo config show luware --eid 7`.
    Show {
        /// The API to show (all when none), then any of its settings flags.
        #[arg(value_name = "API [FLAGS]", trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Adds an API's settings arguments (its `Settings::augment_args`) to a command.
pub type SettingsArgs = fn(clap::Command) -> clap::Command;

/// One resolved setting, as `config show` prints it.
#[derive(Debug, serde::Serialize)]
pub struct ShownSetting {
    pub api: String,
    pub setting: String,
    /// The value; `****` for a secret that is set; empty when not set.
    pub value: String,
    /// `flag --x`, `env X`, `profile NAME (FILE)`, or `not set (…)`.
    pub source: String,
}

const SHOWN_COLUMNS: &[crate::output::Column] = &[
    crate::output::Column { header: "api", key: "api", width: 10 },
    crate::output::Column { header: "setting", key: "setting", width: 16 },
    crate::output::Column { header: "value", key: "value", width: 40 },
    crate::output::Column { header: "source", key: "source", width: 60 },
];

/// Prints every setting of the APIs asked for. `apis` gives each API's name
/// and its settings' arguments (the same clap definitions its commands
/// use, so the flags and environment names cannot drift); the precedence
/// is theirs too: flag, then environment, then profile.
pub fn show(args: &[String], apis: &[(&'static str, SettingsArgs)], context: &crate::Context) -> Result<(), Failure> {
    let (wanted, flags) = match args.split_first() {
        Some((api, flags)) => (Some(api.as_str()), flags),
        None => (None, &[][..]),
    };
    if let Some(api) = wanted.filter(|api| !apis.iter().any(|(name, _)| name == api)) {
        let names: Vec<&str> = apis.iter().map(|(name, _)| *name).collect();
        return Err(Failure::Usage(format!("no API named {api:?}: one of {}", names.join(", "))));
    }
    let profile_name = context.profile.as_deref();
    let file = path().map(|p| p.display().to_string()).unwrap_or_else(|| "no config file".into());
    let mut rows = Vec::new();
    for (api, settings) in apis.iter().filter(|(name, _)| wanted.is_none_or(|w| w == *name)) {
        let command = settings(clap::Command::new(*api).no_binary_name(true));
        let matches = command
            .clone()
            .try_get_matches_from(flags)
            .map_err(|e| Failure::Usage(e.to_string().lines().next().unwrap_or_default().to_string()))?;
        let table: toml::Table = profile(profile_name, api)?;
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            let secret = arg.is_hide_env_values_set();
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            let flag = arg.get_long().map(|l| format!("--{l}")).unwrap_or_default();
            let given = matches.get_raw(id).and_then(|mut v| v.next()).map(|v| v.to_string_lossy().into_owned());
            let (value, source) = match (given, matches.value_source(id)) {
                (Some(value), Some(clap::parser::ValueSource::CommandLine)) => (Some(value), format!("flag {flag}")),
                (Some(value), Some(clap::parser::ValueSource::EnvVariable)) => {
                    (Some(value), format!("env {}", env.clone().unwrap_or_default()))
                }
                _ => match table.get(id) {
                    Some(value) => {
                        let text = value
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| serde_json::to_string(value).unwrap_or_default());
                        let name = profile_name.unwrap_or("default");
                        (Some(text), format!("profile {name} ({file})"))
                    }
                    None => {
                        let env = env.as_deref().map(|e| format!(", {e}")).unwrap_or_default();
                        (None, format!("not set ({flag}{env} or profile key {id})"))
                    }
                },
            };
            let value = match value {
                Some(_) if secret => "****".to_string(),
                Some(value) if id.ends_with("url") => convo_clients::redact::without_userinfo(&value),
                Some(value) => value,
                None => String::new(),
            };
            rows.push(ShownSetting { api: api.to_string(), setting: id.to_string(), value, source });
        }
    }
    let format = context.output.unwrap_or(crate::output::OutputFormat::Table);
    let mut writer = crate::output::RecordWriter::new(format, SHOWN_COLUMNS, std::io::stdout().lock());
    for row in &rows {
        writer.write(row)?;
    }
    writer.finish()?;
    Ok(())
}
