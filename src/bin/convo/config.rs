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

use crate::Failure;

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One profile: a table per API.
#[derive(Debug, Default, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub luware: LuwareProfile,
    #[serde(default)]
    pub liveperson: LivePersonProfile,
    #[serde(default)]
    pub salesloft: SalesloftProfile,
    #[serde(default)]
    pub raia: RaiaProfile,
    #[serde(default)]
    pub llamadapro: LlamadaProProfile,
}

#[derive(Default, Deserialize)]
pub struct LlamadaProProfile {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
}

impl std::fmt::Debug for LlamadaProProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlamadaProProfile").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

#[derive(Default, Deserialize)]
pub struct SalesloftProfile {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
}

impl std::fmt::Debug for SalesloftProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SalesloftProfile").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

#[derive(Default, Deserialize)]
pub struct RaiaProfile {
    pub secret_key: Option<String>,
    pub base_url: Option<String>,
}

impl std::fmt::Debug for RaiaProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaiaProfile").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

#[derive(Default, Deserialize)]
pub struct LivePersonProfile {
    pub account_id: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub api_key: Option<String>,
    pub bot_domain: Option<String>,
    pub base_url: Option<String>,
}

impl std::fmt::Debug for LivePersonProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivePersonProfile").field("account_id", &self.account_id).finish_non_exhaustive()
    }
}

#[derive(Default, Deserialize)]
pub struct LuwareProfile {
    pub base_url: Option<String>,
    pub subscription_key: Option<String>,
    pub eid: Option<i64>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for LuwareProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LuwareProfile").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

fn path() -> Option<PathBuf> {
    std::env::var_os("CONVO_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("convo/config.toml")))
}

/// The named profile, or `default` when none is named. A named profile must
/// exist; a missing file or `default` profile is simply empty.
pub fn profile(name: Option<&str>) -> Result<Profile, Failure> {
    let path = path();
    let text = match path.as_ref().map(std::fs::read_to_string) {
        Some(Ok(text)) => text,
        _ if name.is_none() => return Ok(Profile::default()),
        _ => {
            let shown = path.map(|p| p.display().to_string()).unwrap_or_else(|| "the config file".into());
            return Err(Failure::Usage(format!(
                "profile {:?} requested but {shown} cannot be read",
                name.unwrap_or("")
            )));
        }
    };
    let mut file: File = toml::from_str(&text).map_err(|e| Failure::Usage(format!("config file: {}", e.message())))?;
    match name {
        None => Ok(file.profiles.remove("default").unwrap_or_default()),
        Some(name) => file
            .profiles
            .remove(name)
            .ok_or_else(|| Failure::Usage(format!("no profile named {name:?} in the config file"))),
    }
}
