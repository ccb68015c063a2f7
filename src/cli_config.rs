//! The `convo` CLI's config file, parsed without I/O: profiles of API
//! tables (`[profiles.NAME.API]`). Errors say where (line, key), never the
//! value there, which may be a secret. In the library only so that the
//! fuzzer (`fuzz/fuzz_targets/config_load.rs`) can reach it.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Each key of an API table, with where its value is in the file.
type ApiTable = BTreeMap<String, toml::Spanned<toml::Value>>;

/// The file: profiles, each a table per API. Each API's module reads its
/// own table into its own settings struct ([`File::table`]). No `Debug`: it
/// holds secrets.
#[derive(Default, Deserialize)]
pub struct File {
    #[serde(default)]
    profiles: BTreeMap<String, BTreeMap<String, ApiTable>>,
    /// Where each line starts, to turn a byte offset into a line number.
    #[serde(skip)]
    line_starts: Vec<usize>,
}

/// What is wrong with a config file. Says where (line, key), never the value
/// there: it may be a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Not UTF-8 text; the line of the first byte that is not.
    NotUtf8 { line: usize },
    /// Not TOML, or not the layout of profiles of API tables.
    Syntax { line: Option<usize>, message: String },
    /// A setting of the wrong type or value.
    Setting { table: String, key: String, line: Option<usize>, expected: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |line: &Option<usize>| line.map(|n| format!("line {n}: ")).unwrap_or_default();
        match self {
            ConfigError::NotUtf8 { line } => write!(f, "line {line}: not UTF-8 text"),
            ConfigError::Syntax { line, message } => write!(f, "{}{message}", at(line)),
            ConfigError::Setting { table, key, line, expected } => write!(f, "{}{table} {key}: {expected}", at(line)),
        }
    }
}

/// Which profiles and API tables there are; never a value.
impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tables = self.profiles.iter().map(|(name, apis)| (name, apis.keys().collect::<Vec<_>>()));
        f.debug_map().entries(tables).finish()
    }
}

/// The line (from 1) of byte `offset`.
fn line_of(line_starts: &[usize], offset: usize) -> usize {
    line_starts.partition_point(|&start| start <= offset).max(1)
}

/// Parses a config file's bytes. Pure (no I/O), so it can be fuzzed.
pub fn parse(bytes: &[u8]) -> Result<File, ConfigError> {
    let line_starts: Vec<usize> = std::iter::once(0).chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1)).collect();
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ConfigError::NotUtf8 { line: line_of(&line_starts, e.valid_up_to()) })?;
    let mut file: File = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        line: e.span().map(|span| line_of(&line_starts, span.start)),
        message: crate::redact::without_quoted_values(e.message().lines().next().unwrap_or_default()),
    })?;
    file.line_starts = line_starts;
    Ok(file)
}

impl File {
    /// The table of `api` in `profile`, read into `T`; `None` when the
    /// profile does not exist, the default table when it has no such table.
    pub fn table<T: DeserializeOwned + Default>(&self, profile: &str, api: &str) -> Result<Option<T>, ConfigError> {
        let Some(tables) = self.profiles.get(profile) else { return Ok(None) };
        let Some(table) = tables.get(api) else { return Ok(Some(T::default())) };
        let plain: toml::Table = table.iter().map(|(k, v)| (k.clone(), v.get_ref().clone())).collect();
        serde_path_to_error::deserialize(toml::Value::Table(plain)).map(Some).map_err(|e| {
            let path = e.path().to_string();
            let key = path.split(['.', '[']).next().unwrap_or_default();
            let line = table.get(key).map(|v| line_of(&self.line_starts, v.span().start));
            // serde's message quotes the offending value, which may be a
            // secret: keep only what was expected.
            let message = e.inner().message();
            let expected = match message.find(", expected ") {
                Some(at) => message[at + 2..].to_string(),
                None => crate::redact::without_quoted_values(message),
            };
            ConfigError::Setting { table: format!("[profiles.{profile}.{api}]"), key: path, line, expected }
        })
    }
}
