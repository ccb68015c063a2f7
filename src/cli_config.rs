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

    /// Found by the fuzzer: a secret put straight into a profile, where an
    /// API table belongs, was quoted by the "expected a map" message.
    #[test]
    fn a_value_where_a_table_belongs_is_not_quoted() {
        let e = parse(b"[profiles.default]\napi_key = \"s3cret \\\"quoted\\\" value\"\n").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("line 2: ") && !text.contains("s3cret") && !text.contains("value"), "{text}");
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
