//! The credentials each operation asks for (`security` and
//! `components.securitySchemes`), and where a request carries them, so that
//! a sandbox checks them before anything else about the request: a caller
//! without them learns nothing about the spec.

use super::model::{self, Carrier};

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
        let header = |name: &str| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim());
        let value = match &self.carrier {
            Carrier::Header(name) => header(name).map(str::to_owned),
            Carrier::Query(name) => serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or_default())
                .ok()?
                .into_iter()
                .find_map(|(key, value)| (key == *name).then_some(value)),
            Carrier::Cookie(name) => header("cookie")?
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find_map(|(key, value)| (key == name).then(|| value.to_owned())),
            Carrier::Authorization(scheme) => {
                let (given, credential) = header("authorization")?.split_once(' ')?;
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// The ways into the one operation of a spec with these `schemes` and `security`.
    fn ways_in(schemes: Value, security: Value) -> Vec<Requirement> {
        let doc = json!({"components": {"securitySchemes": schemes},
                         "paths": {"/x": {"get": {"operationId": "x", "security": security, "responses": {}}}}});
        let spec = model::Spec::parse(&doc).unwrap();
        requirements(&spec, &spec.operations[0].security)
    }

    #[test]
    fn each_kind_of_scheme_finds_its_credential() {
        let schemes = json!({
            "key": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
            "query": {"type": "apiKey", "in": "query", "name": "api_key"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "Basic"},
            "oauth": {"$ref": "#/components/securitySchemes/bearer"},
        });
        let security =
            json!([{"key": [], "bearer": []}, {"query": []}, {"cookie": []}, {"basic": []}, {"oauth": []}, {}]);
        let alternatives = ways_in(schemes, security);
        let found = |i: usize, headers: &[(String, String)], query: Option<&str>| {
            alternatives[i].iter().map(|s| s.credential(headers, query)).collect::<Vec<_>>()
        };
        let sent = headers(&[("x-api-key", "k1"), ("authorization", "bearer  t1 "), ("cookie", "a=1; session=s1")]);
        // The map's order: `bearer` before `key`.
        assert_eq!(found(0, &sent, None), [Some("t1".to_owned()), Some("k1".to_owned())]);
        assert_eq!(found(1, &sent, Some("x=1&api_key=q%201")), [Some("q 1".to_owned())]);
        assert_eq!(found(2, &sent, None), [Some("s1".to_owned())]);
        assert_eq!(found(3, &sent, None), [None], "a bearer is not a basic credential");
        assert_eq!(found(4, &sent, None), [Some("t1".to_owned())]);
        assert!(alternatives[5].is_empty(), "{{}}: anyone");
        let empty = headers(&[("X-Api-Key", ""), ("Authorization", "Bearer")]);
        assert_eq!(found(0, &empty, None), [None, None]);
    }

    #[test]
    fn what_every_operation_asks_for() {
        let schemes = json!({
            "key": {"type": "apiKey", "in": "header", "name": "key"},
            "bearer": {"type": "http", "scheme": "bearer"},
        });
        let of = |security: Value| ways_in(schemes.clone(), security);
        let (key, both) = (of(json!([{"key": []}])), of(json!([{"key": [], "bearer": []}])));
        assert_eq!(common([both.as_slice(), key.as_slice()].into_iter()), key);
        assert_eq!(common([both.as_slice()].into_iter()), both);
        let either = of(json!([{"key": []}, {"bearer": []}]));
        assert_eq!(common([both.as_slice(), either.as_slice()].into_iter()), Vec::<Requirement>::new());
        assert_eq!(common([both.as_slice(), &[]].into_iter()), Vec::<Requirement>::new(), "one is open to anyone");
        assert_eq!(common(std::iter::empty()), Vec::<Requirement>::new());
    }
}
