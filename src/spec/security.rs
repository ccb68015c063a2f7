//! The credentials each operation asks for (`security` and
//! `components.securitySchemes`), and where a request carries them, so that
//! a sandbox checks them before anything else about the request: a caller
//! without them learns nothing about the spec.

use super::model::{self, Carrier};
use super::validate::header;

/// One security scheme of the spec, and where a request carries its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    name: String,
    carrier: Carrier,
}

/// One way to be let in: every scheme of it at once. An empty one lets anyone in.
pub type Requirement = Vec<Scheme>;

impl Scheme {
    /// Its name in `components.securitySchemes`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The credential a request presents for this scheme (`None` when it
    /// presents none, or an empty one). `headers` as in
    /// [`RequestParts`](super::validate::RequestParts); `query` still encoded.
    #[must_use]
    pub fn credential(&self, headers: &[(String, String)], query: Option<&str>) -> Option<String> {
        let value = match &self.carrier {
            Carrier::Header(name) => header(headers, name).map(str::to_owned),
            Carrier::Query(name) => serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or_default())
                .ok()?
                .into_iter()
                .find_map(|(key, value)| (key == *name).then_some(value)),
            Carrier::Cookie(name) => header(headers, "cookie")?
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find_map(|(key, value)| (key == name).then(|| value.to_owned())),
            Carrier::Authorization(scheme) => {
                let (given, credential) = header(headers, "authorization")?.split_once(' ')?;
                given.eq_ignore_ascii_case(scheme).then(|| credential.trim().to_owned())
            }
        };
        value.filter(|v| !v.is_empty())
    }
}

/// The ways into an operation (its `security` alternatives, as the spec
/// model reads them), any one of which lets a request in; none at all when
/// anyone may call it.
pub(super) fn requirements(spec: &model::Spec, alternatives: &[Vec<String>]) -> Vec<Requirement> {
    let scheme = |name: &String| {
        // The model has checked every name is a scheme of the spec.
        let carrier = spec.security_scheme(name).map(|s| s.carrier.clone());
        Scheme { name: name.clone(), carrier: carrier.unwrap_or(Carrier::Authorization(String::new())) }
    };
    alternatives.iter().map(|names| names.iter().map(scheme).collect()).collect()
}

/// The schemes every operation asks for, whichever alternative it is called
/// with, as one requirement: what a request to no operation must present,
/// so that it is refused as any other without them, and is otherwise told
/// the path is unknown. None if some operation lets anyone in.
pub(super) fn common<'s>(mut operations: impl Iterator<Item = &'s [Requirement]>) -> Vec<Requirement> {
    let Some(first) = operations.next() else { return Vec::new() };
    let mut common: Requirement = first.first().cloned().unwrap_or_default();
    for alternatives in std::iter::once(first).chain(operations) {
        if alternatives.is_empty() {
            return Vec::new();
        }
        for requirement in alternatives {
            common.retain(|scheme| requirement.contains(scheme));
        }
    }
    if common.is_empty() { Vec::new() } else { vec![common] }
}
