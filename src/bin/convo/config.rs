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

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::Failure;

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
    let starts = |bytes: &[u8]| -> Vec<usize> {
        std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).collect()
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => return Err(ConfigError::NotUtf8 { line: line_of(&starts(bytes), e.valid_up_to()) }),
    };
    let line_starts: Vec<usize> = starts(bytes);
    let mut file: File = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        line: e.span().map(|span| line_of(&line_starts, span.start)),
        message: without_values(e.message().lines().next().unwrap_or_default()),
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
                None => without_values(message),
            };
            ConfigError::Setting { table: format!("[profiles.{profile}.{api}]"), key: path, line, expected }
        })
    }
}

/// The error for a setting given nowhere.
pub fn missing(name: &str, flag: &str) -> Failure {
    Failure::Usage(format!("missing {name}: set {flag}, the environment variable {name}, or a profile"))
}

fn path() -> Option<PathBuf> {
    std::env::var_os("CONVO_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("convo/config.toml")))
}

/// The table of `api` in the named profile, or in `default` when none is
/// named. A named profile must exist; a missing file or `default` profile,
/// or a profile without the API's table, is simply empty. A file that
/// exists but cannot be read, is not UTF-8 or not valid is an error that
/// names the file.
pub fn profile<T: DeserializeOwned + Default>(name: Option<&str>, api: &str) -> Result<T, Failure> {
    let path = path();
    let shown = |path: &Path| convo_clients::redact::escape_controls(&path.display().to_string()).into_owned();
    let bytes = match path.as_ref().map(|p| (p, std::fs::read(p))) {
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

/// A serde message with the values it quotes (`` `…` ``) left out.
fn without_values(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        out.push_str(if i % 2 == 0 { part } else { "…" });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Api {
        key: Option<String>,
        eid: Option<i64>,
    }

    #[test]
    fn reads_a_profile_table() {
        let file = parse(b"[profiles.default.x]\nkey = \"abc\"\neid = 5\n").unwrap();
        let api: Api = file.table("default", "x").unwrap().unwrap();
        assert_eq!(api, Api { key: Some("abc".into()), eid: Some(5) });
        assert_eq!(file.table::<Api>("default", "y").unwrap(), Some(Api::default()));
        assert_eq!(file.table::<Api>("other", "x").unwrap(), None);
    }

    #[test]
    fn a_wrong_type_names_table_key_and_line_but_not_the_value() {
        let file = parse(b"# comment\n[profiles.work.x]\neid = 1\nkey = 987654321987\n").unwrap();
        let e = file.table::<Api>("work", "x").unwrap_err();
        let text = e.to_string();
        assert_eq!(text, "line 4: [profiles.work.x] key: expected a string", "{text}");
        let file = parse(b"[profiles.work.x]\neid = \"s3cret-value\"\n").unwrap();
        let text = file.table::<Api>("work", "x").unwrap_err().to_string();
        assert!(text.starts_with("line 2: [profiles.work.x] eid: expected") && !text.contains("s3cret"), "{text}");
    }

    #[test]
    fn syntax_errors_name_the_line_and_not_the_value() {
        let e = parse(b"[profiles.default.x]\nkey = \"s3cret-value\nother = 1\n").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("line 2: "), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
        let e = parse(b"[profiles.default]\nx = 123456789\n").unwrap_err();
        assert!(e.to_string().starts_with("line 2: ") && !e.to_string().contains("123456789"), "{e}");
    }

    #[test]
    fn non_utf8_is_an_error_with_its_line() {
        assert_eq!(parse(b"[profiles.a.x]\nkey = \"\xff\"\n").unwrap_err(), ConfigError::NotUtf8 { line: 2 });
    }

    #[test]
    fn line_numbers() {
        let starts = [0, 5, 9];
        assert_eq!([0, 4, 5, 8, 9, 20].map(|o| line_of(&starts, o)), [1, 1, 2, 2, 3, 3]);
    }
}
