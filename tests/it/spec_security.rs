//! The credentials a spec's operations ask for (`security`,
//! `components.securitySchemes`), and where a request carries each, as the
//! validator reads them: a sandbox checks them before anything else.

use convo_clients::spec::security::Requirement;
use convo_clients::spec::validate::SpecValidator;
use serde_json::{Value, json};

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// The ways into the one operation of a spec with these `schemes` and `security`.
fn ways_in(schemes: Value, security: Value) -> Vec<Requirement> {
    let doc = json!({"components": {"securitySchemes": schemes},
                     "paths": {"/x": {"get": {"operationId": "x", "security": security, "responses": {}}}}});
    SpecValidator::new(&doc).unwrap().security("GET", "/x").to_vec()
}

/// What a request to no operation must present, in a spec whose operations
/// ask for `securities` (one operation each).
fn common(schemes: &Value, securities: &[Value]) -> Vec<Requirement> {
    let paths: serde_json::Map<String, Value> = securities
        .iter()
        .enumerate()
        .map(|(i, security)| {
            let op = json!({"get": {"operationId": format!("op{i}"), "security": security, "responses": {}}});
            (format!("/op{i}"), op)
        })
        .collect();
    let doc = json!({"components": {"securitySchemes": schemes}, "paths": paths});
    SpecValidator::new(&doc).unwrap().security("GET", "/nowhere").to_vec()
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
    let security = json!([{"key": [], "bearer": []}, {"query": []}, {"cookie": []}, {"basic": []}, {"oauth": []}, {}]);
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
    let (key_only, both_at_once) = (json!([{"key": []}]), json!([{"key": [], "bearer": []}]));
    let (key, both) = (of(key_only.clone()), of(both_at_once.clone()));
    assert_eq!(common(&schemes, &[both_at_once.clone(), key_only]), key);
    assert_eq!(common(&schemes, std::slice::from_ref(&both_at_once)), both);
    let either = json!([{"key": []}, {"bearer": []}]);
    assert_eq!(common(&schemes, &[both_at_once.clone(), either]), Vec::<Requirement>::new());
    let open = json!([]);
    assert_eq!(common(&schemes, &[both_at_once, open]), Vec::<Requirement>::new(), "one is open to anyone");
    assert_eq!(common(&schemes, &[]), Vec::<Requirement>::new());
}
