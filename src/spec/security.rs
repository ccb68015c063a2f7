//! The credentials each operation asks for (`security` and
//! `components.securitySchemes`), and where a request carries them, so that
//! a sandbox checks them before anything else about the request: a caller
//! without them learns nothing about the spec.

use serde_json::Value;

use super::validate::deref;

/// One security scheme of the spec, and where a request carries its credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheme {
    name: String,
    carrier: Carrier,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Carrier {
    /// `apiKey` in a header (its name in lower case).
    Header(String),
    /// `apiKey` in the query.
    Query(String),
    /// `apiKey` in a cookie.
    Cookie(String),
    /// `Authorization: <scheme> <credential>` (`http`, `oauth2` and
    /// `openIdConnect`; the scheme in lower case, e.g. `bearer`).
    Authorization(String),
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

/// The requirements of `security` (an operation's, or the spec's), any one of
/// which lets a request in; none at all when `security` is absent or `[]`.
pub(super) fn requirements(root: &Value, security: Option<&Value>) -> Result<Vec<Requirement>, String> {
    let Some(security) = security else { return Ok(Vec::new()) };
    let alternatives = security.as_array().ok_or("security is not an array")?;
    alternatives
        .iter()
        .map(|requirement| {
            let names = requirement.as_object().ok_or("a security requirement is not an object")?;
            names.keys().map(|name| scheme(root, name)).collect()
        })
        .collect()
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

fn scheme(root: &Value, name: &str) -> Result<Scheme, String> {
    let unknown = || format!("security scheme {name} is not in components.securitySchemes");
    let node = root.get("components").and_then(|c| c.get("securitySchemes")).and_then(|s| s.get(name));
    let definition = deref(root, node.ok_or_else(unknown)?)?;
    let field = |key: &str| definition.get(key).and_then(Value::as_str);
    let carrier = match field("type") {
        Some("apiKey") => {
            let key = field("name").ok_or_else(|| format!("security scheme {name}: apiKey without a name"))?;
            match field("in") {
                Some("header") => Carrier::Header(key.to_ascii_lowercase()),
                Some("query") => Carrier::Query(key.to_owned()),
                Some("cookie") => Carrier::Cookie(key.to_owned()),
                other => return Err(format!("security scheme {name}: apiKey in {other:?}")),
            }
        }
        Some("http") => Carrier::Authorization(field("scheme").unwrap_or("bearer").to_ascii_lowercase()),
        Some("oauth2" | "openIdConnect") => Carrier::Authorization("bearer".into()),
        other => return Err(format!("security scheme {name}: type {other:?} is not supported")),
    };
    Ok(Scheme { name: name.to_owned(), carrier })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn each_kind_of_scheme_finds_its_credential() {
        let root = json!({"components": {"securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
            "query": {"type": "apiKey", "in": "query", "name": "api_key"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            "bearer": {"type": "http", "scheme": "bearer"},
            "basic": {"type": "http", "scheme": "Basic"},
            "oauth": {"$ref": "#/components/securitySchemes/bearer"},
        }}});
        let security =
            json!([{"key": [], "bearer": []}, {"query": []}, {"cookie": []}, {"basic": []}, {"oauth": []}, {}]);
        let alternatives = requirements(&root, Some(&security)).unwrap();
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

        assert_eq!(requirements(&root, None).unwrap(), Vec::<Requirement>::new());
        for bad in [json!([{"nope": []}]), json!({"key": []}), json!(["key"])] {
            assert!(requirements(&root, Some(&bad)).is_err(), "{bad}");
        }
        let root = json!({"components": {"securitySchemes": {"tls": {"type": "mutualTLS"}}}});
        assert!(requirements(&root, Some(&json!([{"tls": []}]))).is_err());
    }

    #[test]
    fn what_every_operation_asks_for() {
        let root = json!({"components": {"securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "key"},
            "bearer": {"type": "http", "scheme": "bearer"},
        }}});
        let of = |security: Value| requirements(&root, Some(&security)).unwrap();
        let (key, both) = (of(json!([{"key": []}])), of(json!([{"key": [], "bearer": []}])));
        assert_eq!(common([both.as_slice(), key.as_slice()].into_iter()), key);
        assert_eq!(common([both.as_slice()].into_iter()), both);
        let either = of(json!([{"key": []}, {"bearer": []}]));
        assert_eq!(common([both.as_slice(), either.as_slice()].into_iter()), Vec::<Requirement>::new());
        assert_eq!(common([both.as_slice(), &[]].into_iter()), Vec::<Requirement>::new(), "one is open to anyone");
        assert_eq!(common(std::iter::empty()), Vec::<Requirement>::new());
    }
}
