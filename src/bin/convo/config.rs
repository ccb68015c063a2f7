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

use std::path::{Path, PathBuf};

use convo_clients::cli_config::{ConfigError, parse};
use serde::de::DeserializeOwned;

use crate::Failure;

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
