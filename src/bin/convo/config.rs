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
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::Failure;

/// The file: profiles, each a table per API. Each API's module reads its
/// own table into its own settings struct.
#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    profiles: BTreeMap<String, BTreeMap<String, toml::Value>>,
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
/// or a profile without the API's table, is simply empty.
pub fn profile<T: DeserializeOwned + Default>(name: Option<&str>, api: &str) -> Result<T, Failure> {
    let path = path();
    let text = match path.as_ref().map(std::fs::read_to_string) {
        Some(Ok(text)) => text,
        _ if name.is_none() => return Ok(T::default()),
        _ => {
            let shown = path.map(|p| p.display().to_string()).unwrap_or_else(|| "the config file".into());
            return Err(Failure::Usage(format!(
                "profile {:?} requested but {shown} cannot be read",
                name.unwrap_or("")
            )));
        }
    };
    let mut file: File = toml::from_str(&text).map_err(|e| Failure::Usage(format!("config file: {}", e.message())))?;
    let mut profile = match name {
        None => file.profiles.remove("default").unwrap_or_default(),
        Some(name) => file
            .profiles
            .remove(name)
            .ok_or_else(|| Failure::Usage(format!("no profile named {name:?} in the config file")))?,
    };
    let Some(table) = profile.remove(api) else { return Ok(T::default()) };
    let at = format!("[profiles.{}.{api}]", name.unwrap_or("default"));
    // serde's message quotes the offending value, which may be a secret:
    // say where it is instead.
    serde_path_to_error::deserialize(table).map_err(|e| {
        Failure::Usage(format!("config file: {at}: {}: {}", e.path(), without_values(e.inner().message())))
    })
}

/// A serde message with the values it quotes (`` `…` ``) left out.
fn without_values(message: &str) -> String {
    let mut out = String::new();
    for (i, part) in message.split('`').enumerate() {
        out.push_str(if i % 2 == 0 { part } else { "…" });
    }
    out
}
