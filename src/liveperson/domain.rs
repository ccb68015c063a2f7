//! Where a LivePerson account's Third-Party Bots API lives.
//!
//! The account's zone comes from the domain lookup (CSDS): the service
//! `botConnectorsDomain` answers `z1|z2|z3.bot-connectors.liveperson.net`,
//! which is not itself the API host but maps to one (the `info.description` of
//! specs/liveperson.yaml, and its `servers`).

use std::fmt;
use std::str::FromStr;

/// The public domain-lookup host.
pub const CSDS_BASE_URL: &str = "https://api.liveperson.net";

/// The CSDS service that names the account's bot-connectors zone.
pub(crate) const BOT_CONNECTORS_SERVICE: &str = "botConnectorsDomain";

/// A LivePerson zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Zone {
    /// North America (`z1`).
    Z1,
    /// EMEA (`z2`).
    Z2,
    /// APAC (`z3`).
    Z3,
}

impl Zone {
    /// The zone's Third-Party Bots API base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Zone::Z1 => "https://bot-platform-api.fs.liveperson.com",
            Zone::Z2 => "https://bot-platform-api.emea.fs.liveperson.com",
            Zone::Z3 => "https://bot-platform-api.apac.fs.liveperson.com",
        }
    }

    /// The zone of a `botConnectorsDomain` value such as `z2.bot-connectors.liveperson.net`.
    pub fn from_connectors_domain(domain: &str) -> Option<Zone> {
        let domain = domain.trim().trim_end_matches('/').to_ascii_lowercase();
        Zone::named(domain.strip_suffix(".bot-connectors.liveperson.net")?)
    }

    /// The zone called `name` (`z1`, `z2` or `z3`).
    fn named(name: &str) -> Option<Zone> {
        [Zone::Z1, Zone::Z2, Zone::Z3].into_iter().find(|zone| zone.to_string() == name)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Zone::Z1 => "z1",
            Zone::Z2 => "z2",
            Zone::Z3 => "z3",
        })
    }
}

/// Every service's domain, from the all-services lookup (the spec's `ServiceDomains`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ServiceDomains {
    #[serde(rename = "baseURIs")]
    pub base_uris: Vec<super::types::ServiceDomain>,
}

/// How the client finds the API host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BotDomain {
    /// Ask the domain lookup for the account's zone (the default).
    Lookup,
    /// A known zone.
    Zone(Zone),
    /// A base URL, e.g. a proxy or a sandbox.
    BaseUrl(String),
}

/// Parses what a user may put in `LIVEPERSON_BOT_DOMAIN`: `z1`…`z3`, a
/// `botConnectorsDomain` value, `lookup`, or a base URL (a bare host gets https).
impl FromStr for BotDomain {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        match text.to_ascii_lowercase().as_str() {
            "" => Err("bot domain is empty".into()),
            "lookup" => Ok(BotDomain::Lookup),
            lower => {
                if let Some(zone) = Zone::named(lower).or_else(|| Zone::from_connectors_domain(lower)) {
                    Ok(BotDomain::Zone(zone))
                } else if lower.starts_with("http://") || lower.starts_with("https://") {
                    Ok(BotDomain::BaseUrl(text.to_string()))
                } else if lower.contains('.') && !lower.contains(char::is_whitespace) {
                    Ok(BotDomain::BaseUrl(format!("https://{text}")))
                } else {
                    let shown = crate::redact::without_userinfo(text);
                    Err(format!("{shown:?} is not z1, z2, z3, lookup, a botConnectorsDomain or a URL"))
                }
            }
        }
    }
}
