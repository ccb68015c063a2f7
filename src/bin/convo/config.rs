//! Settings in order of precedence: flags, environment (both through clap),
//! then a profile in `$CONVO_CONFIG`, else `<config dir>/convo/config.toml`:
//! `[profiles.NAME.<api>]`, its keys the settings' clap ids (`base_url`,
//! `client_secret`; the README has an example). A secret may also be read
//! from a file ([`WithSecretFiles`]).

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Command, FromArgMatches};
use convo_clients::cli_config::{ConfigError, parse};
use serde::de::DeserializeOwned;

use crate::Failure;

/// The settings given nowhere, by environment name and flag: one run names them all.
#[derive(Default)]
pub struct Needed(Vec<(&'static str, &'static str)>);

impl Needed {
    /// `value`, noting it missing when it is `None`.
    pub fn take<T>(&mut self, value: Option<T>, name: &'static str, flag: &'static str) -> Option<T> {
        if value.is_none() {
            self.0.push((name, flag));
        }
        value
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The error naming every missing setting.
    pub fn failure(&self) -> Failure {
        match self.0.as_slice() {
            [(name, flag)] => usage!("missing {name}: set {flag}, the environment variable {name}, or a profile"),
            all => {
                let listed: Vec<String> = all.iter().map(|(name, flag)| format!("{name} ({flag})")).collect();
                usage!("missing {}: set each with its flag, its environment variable, or a profile", listed.join(", "))
            }
        }
    }
}

/// The config file: `$CONVO_CONFIG`, else `<config dir>/convo/config.toml`.
fn path() -> Option<PathBuf> {
    std::env::var_os("CONVO_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("convo/config.toml")))
}

/// The config file's bytes. One others can write could send your credentials
/// anywhere (a base URL of theirs): as ssh does, but warning, not refusing.
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
                let (file, quoted) = (shown(&name), shown(&crate::sandbox::shell_quote(&name)));
                let mode = mode & 0o777;
                eprintln!(
                    "warning: config file {file} is writable by group or others (mode {mode:o}): run `chmod go-w {quoted}`"
                );
            });
        }
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The table of `api` in the named profile, else `default`. A named profile
/// must exist; else a missing file, profile or table is empty.
pub fn profile<T: DeserializeOwned + Default>(name: Option<&str>, api: &str) -> Result<T, String> {
    let path = path();
    let shown = |path: &Path| convo_clients::redact::escape_controls(&path.display().to_string()).into_owned();
    let bytes = match path.as_ref().map(|p| (p, read(p))) {
        Some((_, Ok(bytes))) => bytes,
        Some((p, Err(e))) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("config file {}: cannot be read: {e}", shown(p)));
        }
        _ if name.is_none() => return Ok(T::default()),
        _ => {
            let shown = path.map(|p| shown(&p)).unwrap_or_else(|| "the config file".into());
            return Err(format!("profile {:?} requested but {shown} does not exist", name.unwrap_or("")));
        }
    };
    let file_error = |e: ConfigError| {
        let shown = path.as_deref().map(shown).unwrap_or_default();
        format!("config file {shown}: {e}")
    };
    let file = parse(&bytes).map_err(file_error)?;
    match file.table(name.unwrap_or("default"), api).map_err(file_error)? {
        Some(table) => Ok(table),
        None if name.is_none() => Ok(T::default()),
        None => Err(format!("no profile named {:?} in the config file", name.unwrap_or(""))),
    }
}

/// An API's settings with a file twin for each secret (`--client-secret-file`,
/// `LUWARE_CLIENT_SECRET_FILE`): a flag's value shows in `ps`, a file's does
/// not. Both given the same way is an error; a flag beats the environment.
pub struct WithSecretFiles<S>(pub S);

/// The settings show together in help, under their own heading. They are
/// the API's spec's: only an API the command line needs has them
/// ([`in_play`](crate::operations::in_play)), the other specs not read.
impl<S: ApiSettings> clap::Args for WithSecretFiles<S> {
    fn augment_args(command: Command) -> Command {
        if !crate::operations::in_play(S::API) {
            return command;
        }
        let previous = command.get_next_help_heading().map(str::to_owned);
        let command = S::augment_args(command.next_help_heading(SETTINGS)).args(file_twins::<S>());
        command.next_help_heading(clap::builder::Resettable::from(previous.map(clap::builder::Str::from)))
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }

    fn group_id() -> Option<clap::Id> {
        S::group_id()
    }
}

impl<S: ApiSettings> FromArgMatches for WithSecretFiles<S> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        settings(matches).map(Self).map_err(invalid)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0 = settings(matches).map_err(invalid)?;
        Ok(())
    }
}

/// An API's settings arguments, typed as its profile table (`API` names it).
pub trait ApiSettings: clap::Args + FromArgMatches + DeserializeOwned + Default {
    const API: &'static str;
    /// The URLs among the settings: `--sandbox` uses a served sandbox when they point at one.
    fn urls(&self) -> Vec<Option<&str>>;
}

fn invalid(message: String) -> clap::Error {
    clap::Error::raw(clap::error::ErrorKind::ValueValidation, message + "\n")
}

/// `S`'s arguments, on a command of their own.
fn settings_command<S: clap::Args>() -> Command {
    S::augment_args(Command::new("settings").no_binary_name(true))
}

/// The help heading of an API's settings.
const SETTINGS: &str = "Settings";

/// The file twin of each secret argument of `S`.
fn file_twins<S: clap::Args>() -> Vec<Arg> {
    let settings = settings_command::<S>();
    settings
        .get_arguments()
        .filter(|arg| arg.is_hide_env_values_set())
        .filter_map(|arg| {
            let long = arg.get_long()?;
            let twin = Arg::new(twin_id(arg.get_id().as_str()))
                .long(format!("{long}-file"))
                .value_name("PATH")
                .value_parser(clap::value_parser!(PathBuf))
                .global(arg.is_global_set())
                .help(format!("Reads --{long} from a file (without its final line break), out of sight of `ps`"));
            Some(match arg.get_env() {
                Some(env) => twin.env(format!("{}_FILE", env.to_string_lossy())),
                None => twin,
            })
        })
        .collect()
}

/// The clap id of the file twin of the secret setting `id`.
fn twin_id(id: &str) -> String {
    format!("{id}_file")
}

/// Where a value in `matches` came from, if it has one.
fn source(matches: &ArgMatches, id: &str) -> Option<ValueSource> {
    matches.try_get_raw(id).ok().flatten()?;
    matches.value_source(id)
}

/// A secret setting that is to be read from a file.
pub struct SecretFile {
    /// The setting's clap id.
    pub id: String,
    /// Its flag, `--client-secret`.
    flag: String,
    path: PathBuf,
    /// What named the file: `--client-secret-file` or `LUWARE_CLIENT_SECRET_FILE`.
    named_by: String,
    /// Whether that was the environment.
    from_env: bool,
}

/// The secrets of `settings` that `matches` reads from files: those whose twin
/// was given where the setting was not, or less directly (the environment).
pub fn secret_files(settings: &Command, matches: &ArgMatches) -> Result<Vec<SecretFile>, String> {
    let mut files = Vec::new();
    for arg in settings.get_arguments().filter(|arg| arg.is_hide_env_values_set()) {
        let (id, Some(long)) = (arg.get_id().as_str(), arg.get_long()) else { continue };
        let twin = twin_id(id);
        let Some(twin_source) = source(matches, &twin) else { continue };
        let Ok(Some(path)) = matches.try_get_one::<PathBuf>(&twin) else { continue };
        let env = arg.get_env().map(|env| env.to_string_lossy().into_owned()).unwrap_or_default();
        let own_source = source(matches, id);
        if own_source == Some(twin_source) {
            return Err(match twin_source {
                ValueSource::CommandLine => format!("--{long}-file cannot be used with --{long}: give the value once"),
                _ => format!("{env}_FILE cannot be used with {env}: unset one of them"),
            });
        }
        if own_source > Some(twin_source) {
            continue;
        }
        let from_env = twin_source != ValueSource::CommandLine;
        let named_by = if from_env { format!("{env}_FILE") } else { format!("--{long}-file") };
        let flag = format!("--{long}");
        files.push(SecretFile { id: id.to_string(), flag, path: path.clone(), named_by, from_env });
    }
    Ok(files)
}

/// The longest secret file read: a secret is short, and `/dev/zero` is not one.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

impl SecretFile {
    /// Where the value comes from: `file PATH (flag --client-secret-file)`.
    pub fn source(&self) -> String {
        let how = if self.from_env { "env" } else { "flag" };
        format!("file {} ({how} {})", self.path.display(), self.named_by)
    }

    /// The file's content without its final line break; errors never show it.
    pub fn read(&self) -> Result<String, String> {
        let failed = |why: &dyn std::fmt::Display| format!("{} {}: {why}", self.named_by, self.path.display());
        let mut bytes = Vec::new();
        std::fs::File::open(&self.path)
            .and_then(|file| file.take(MAX_SECRET_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| failed(&format_args!("cannot be read: {e}")))?;
        if bytes.len() as u64 > MAX_SECRET_BYTES {
            return Err(failed(&format_args!("longer than {MAX_SECRET_BYTES} bytes; not a secret")));
        }
        let text = String::from_utf8(bytes).map_err(|_| failed(&"not UTF-8 text"))?;
        let value = text.strip_suffix('\n').map_or(text.as_str(), |line| line.strip_suffix('\r').unwrap_or(line));
        if value.is_empty() {
            return Err(failed(&"empty"));
        }
        Ok(value.to_string())
    }
}

/// The settings `matches` give: flags and environment, secrets' files, then the
/// profile (not with `--sandbox`: the emulator's settings are its own).
pub fn settings<S: ApiSettings>(matches: &ArgMatches) -> Result<S, String> {
    let mut settings = S::from_arg_matches(matches).map_err(|e| e.to_string())?;
    let command = settings_command::<S>();
    let files = secret_files(&command, matches)?;
    // Each value as its flag would give it, and where it came from.
    let mut given: Vec<(OsString, String)> = Vec::new();
    for file in &files {
        let arg = OsString::from(format!("{}={}", file.flag, file.read()?));
        given.push((arg, format!("{} {}", file.named_by, file.path.display())));
    }
    if !matches!(matches.try_get_one::<bool>("sandbox"), Ok(Some(true))) {
        let name = matches.try_get_one::<String>("profile").ok().flatten().map(String::as_str);
        // Read typed first, so that a mistyped value is named (never shown).
        profile::<S>(name, S::API)?;
        let table: toml::Table = profile(name, S::API)?;
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            let (Some(long), Some(value)) = (arg.get_long(), table.get(id)) else { continue };
            if source(matches, id).is_some() || files.iter().any(|f| f.id == id) {
                continue;
            }
            let text = toml_text(value);
            let table = format!("[profiles.{}.{}] {id}", name.unwrap_or("default"), S::API);
            given.push((OsString::from(format!("--{long}={text}")), table));
        }
    }
    if given.is_empty() {
        return Ok(settings);
    }
    // Only the values read (no environment, no defaults): the update leaves the rest.
    let only_these = command.mut_args(|arg| arg.env(None).default_value(None));
    let parsed = only_these.try_get_matches_from(given.iter().map(|(arg, _)| arg)).map_err(|_| {
        let named: Vec<&str> = given.iter().map(|(_, from)| from.as_str()).collect();
        format!("{}: not a valid value", named.join(", "))
    })?;
    settings.update_from_arg_matches(&parsed).map_err(|e| e.to_string())?;
    Ok(settings)
}

/// A profile's value as its flag's text.
fn toml_text(value: &toml::Value) -> String {
    value.as_str().map_or_else(|| serde_json::to_string(value).unwrap_or_default(), str::to_owned)
}

/// `convo config …`.
#[derive(clap::Subcommand)]
pub enum ConfigCommand {
    /// The settings each API's commands would use, and where each comes
    /// from: a flag, an environment variable, a secret's file or the profile
    /// (which one, in which file). Secrets show only whether they are set. Flags of one
    /// API's settings may follow its name: `convo config show luware --eid 7`.
    Show {
        /// The API to show (all when none), then any of its settings flags.
        #[arg(value_name = "API [FLAGS]", trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// One resolved setting, as `config show` prints it.
#[derive(Debug, serde::Serialize)]
pub struct ShownSetting {
    pub api: String,
    pub setting: String,
    /// The value; `****` for a secret that is set; empty when not set.
    pub value: String,
    /// `flag --x`, `env X`, `file PATH (flag --x-file)` for a secret,
    /// `profile NAME (FILE)`, or `not set (…)`.
    pub source: String,
}

const SHOWN_COLUMNS: &str = "api:10 setting:16 value:40 source:60";

/// Prints every setting of the APIs asked for, from the clap arguments their
/// commands take (so flags and environment names cannot drift).
pub fn show(args: &[String], context: &crate::Context) -> Result<(), Failure> {
    let (wanted, flags) = match args.split_first() {
        Some((api, flags)) => (Some(api.as_str()), flags),
        None => (None, &[][..]),
    };
    if let Some(api) = wanted.filter(|api| !crate::APIS.iter().any(|(name, _)| name == api)) {
        let names: Vec<&str> = crate::APIS.iter().map(|(name, _)| *name).collect();
        return Err(usage!("no API named {api:?}: one of {}", names.join(", ")));
    }
    let profile_name = context.profile.as_deref();
    let file = path().map(|p| p.display().to_string()).unwrap_or_else(|| "no config file".into());
    let mut rows = Vec::new();
    let root = <crate::Cli as clap::CommandFactory>::command();
    for (api, _) in crate::APIS.iter().filter(|(name, _)| wanted.is_none_or(|w| w == *name)) {
        let settings = root.find_subcommand(api).into_iter().flat_map(Command::get_arguments).cloned();
        let command = Command::new(*api).no_binary_name(true).args(settings);
        let matches = command.clone().try_get_matches_from(flags);
        let matches = matches.map_err(|e| usage!("{}", e.to_string().lines().next().unwrap_or_default()))?;
        let table: toml::Table = profile(profile_name, api).map_err(Failure::Usage)?;
        let files = secret_files(&command, &matches).map_err(Failure::Usage)?;
        // A secret's file twin shows in the secret's row.
        let secrets = command.get_arguments().filter(|arg| arg.is_hide_env_values_set());
        let twins: Vec<String> = secrets.map(|arg| twin_id(arg.get_id().as_str())).collect();
        for arg in command.get_arguments().filter(|arg| !twins.iter().any(|twin| arg.get_id() == twin)) {
            let id = arg.get_id().as_str();
            let secret = arg.is_hide_env_values_set();
            let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
            let flag = arg.get_long().map(|l| format!("--{l}")).unwrap_or_default();
            let help = arg.get_help().map(|h| h.to_string()).filter(|h| h.contains("default")).unwrap_or_default();
            let given = matches.get_raw(id).and_then(|mut v| v.next()).map(|v| v.to_string_lossy().into_owned());
            let from_file = files.iter().find(|file| file.id == id);
            let (value, source) = match (from_file, given, matches.value_source(id)) {
                // Read, so that a file the command could not read fails here too.
                (Some(file), _, _) => (Some(file.read().map_err(Failure::Usage)?), file.source()),
                (None, Some(value), Some(ValueSource::CommandLine)) => (Some(value), format!("flag {flag}")),
                (None, Some(value), Some(ValueSource::EnvVariable)) => {
                    (Some(value), format!("env {}", env.clone().unwrap_or_default()))
                }
                _ => match table.get(id) {
                    Some(value) => {
                        let name = profile_name.unwrap_or("default");
                        (Some(toml_text(value)), format!("profile {name} ({file})"))
                    }
                    // The spec's server, where the settings' help says it is the default.
                    None if id == "base_url" && default_server(api).is_some_and(|url| help.contains(&url)) => {
                        (default_server(api), "default (the spec's server)".to_string())
                    }
                    None => {
                        let mut ways = vec![flag.clone()];
                        ways.extend(env.clone());
                        if secret {
                            ways.push(format!("{flag}-file"));
                            ways.extend(env.as_ref().map(|env| format!("{env}_FILE")));
                        }
                        (None, format!("not set ({} or profile key {id})", ways.join(", ")))
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
    Ok(crate::output::write_all(format, crate::output::columns(SHOWN_COLUMNS), rows)?)
}

/// The server `api`'s spec gives a client unless told another.
fn default_server(api: &str) -> Option<String> {
    let spec = convo_clients::spec::model::Spec::embedded(crate::operations::spec_json(api)).ok()?;
    spec.default_server().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_is_its_content_without_the_final_line_break() {
        let dir = std::env::temp_dir().join(format!("convo-secret-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let read = |content: &[u8]| {
            let path = dir.join("secret");
            std::fs::write(&path, content).unwrap();
            let file = SecretFile {
                id: "key".into(),
                flag: "--key".into(),
                path,
                named_by: "--key-file".into(),
                from_env: false,
            };
            file.read()
        };
        assert_eq!(read(b"s3cret\n").unwrap(), "s3cret");
        assert_eq!(read(b"s3cret\r\n").unwrap(), "s3cret");
        assert_eq!(read(b"s3cret").unwrap(), "s3cret");
        assert_eq!(read(b" two words \n\n").unwrap(), " two words \n", "only the final line break goes");
        for (content, why) in [(&b"\n"[..], "empty"), (b"\xffs3cret", "not UTF-8 text")] {
            let error = read(content).unwrap_err();
            assert!(error.starts_with("--key-file ") && error.ends_with(why), "{error}");
        }
        let error = read(&vec![b'x'; MAX_SECRET_BYTES as usize + 1]).unwrap_err();
        assert!(error.contains("not a secret") && !error.contains("xxx"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
