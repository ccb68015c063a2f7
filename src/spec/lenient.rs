//! `x-lenient`: what a vendor accepts beyond the letter of its spec, as its
//! own documents show. A spec declares each leniency where it applies, with
//! the seed line that shows it; the [`SpecValidator`](super::validate::SpecValidator)
//! accepts such requests and hands the emulator the strict form, so emulators
//! never see the loose one. Our clients always send the strict form.
//!
//! | rule | where | accepted | the emulator sees |
//! |---|---|---|---|
//! | `single-quotes` | a query parameter carrying JSON | `{'a': ['b']}` | `{"a":["b"]}` |
//! | `bracketed-key` | an array query parameter `ids` | `ids[]=a&ids[]=b` | `ids=a&ids=b` |
//! | `case-insensitive` | a query parameter with an `enum` | `DESC` for `desc` | the listed spelling |
//! | `string-scalars` | a `requestBody` | `"true"`, `"10"` where a boolean or number is due | `true`, `10` |
//! | `empty-body` | an operation without `requestBody` | a body of `{}` | no body |

use serde_json::{Map, Value};

use super::validate::{Scalar, coerce, deref, scalar_of};

/// One leniency a spec can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    SingleQuotes,
    BracketedKey,
    CaseInsensitive,
    StringScalars,
    EmptyBody,
}

/// Where an `x-lenient` list stands in a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    QueryParameter,
    OtherParameter,
    RequestBody,
    Operation,
}

/// Each rule's name and the one place it may stand.
const RULES: [(&str, Rule, Place); 5] = [
    ("single-quotes", Rule::SingleQuotes, Place::QueryParameter),
    ("bracketed-key", Rule::BracketedKey, Place::QueryParameter),
    ("case-insensitive", Rule::CaseInsensitive, Place::QueryParameter),
    ("string-scalars", Rule::StringScalars, Place::RequestBody),
    ("empty-body", Rule::EmptyBody, Place::Operation),
];

/// The rules a node declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rules(Vec<Rule>);

impl Rules {
    pub(crate) fn has(&self, rule: Rule) -> bool {
        self.0.contains(&rule)
    }
}

/// The rules a part's `x-lenient` names (read by the spec model); a rule
/// that is unknown, or does not belong at `place`, is an error naming
/// `label`, so a typo shows at start-up.
pub(crate) fn rules(names: &[String], place: Place, label: &str) -> Result<Rules, String> {
    let mut rules = Vec::with_capacity(names.len());
    for name in names {
        let known = || RULES.iter().map(|(n, ..)| *n).collect::<Vec<_>>().join(", ");
        let unknown = || format!("{label}: x-lenient rule {name} is unknown (known: {})", known());
        let (_, rule, home) = RULES.iter().find(|(n, ..)| n == name).ok_or_else(unknown)?;
        if *home != place {
            return Err(format!("{label}: x-lenient rule {name} does not apply here (it belongs on a {home:?})"));
        }
        rules.push(*rule);
    }
    Ok(Rules(rules))
}

/// `single-quotes`: the JSON a document written with single-quoted strings
/// means (`{'a': 'it\'s'}` → `{"a":"it's"}`), or `None` if it means none.
pub(crate) fn single_quoted_json(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars();
    // The quote of the string being copied, if inside one.
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push('"');
            }
            (None, _) => out.push(c),
            (Some(q), _) if c == q => {
                quote = None;
                out.push('"');
            }
            (Some(_), '\\') => match chars.next()? {
                // `\'` is a plain quote (JSON has no such escape).
                '\'' => out.push('\''),
                escaped => {
                    out.push('\\');
                    out.push(escaped);
                }
            },
            (Some('\''), '"') => out.push_str("\\\""),
            (Some(_), _) => out.push(c),
        }
    }
    let value: Value = serde_json::from_str(&out).ok()?;
    Some(value.to_string())
}

/// `case-insensitive`: the listed spelling of `text` among `allowed`.
pub(crate) fn listed_spelling<'a>(allowed: &'a [String], text: &str) -> Option<&'a str> {
    allowed.iter().find(|listed| listed.eq_ignore_ascii_case(text)).map(String::as_str)
}

/// `string-scalars`: converts, in place, every string of `value` that stands
/// where `schema` wants a boolean, integer or number and reads as one.
/// Returns whether anything changed. Follows `properties`,
/// `additionalProperties`, `items` and `allOf`; the alternatives of
/// `oneOf`/`anyOf` are left as sent, as their type is not known in advance.
pub(crate) fn coerce_strings(root: &Value, schema: &Value, value: &mut Value, depth: usize) -> bool {
    const MAX_DEPTH: usize = 64;
    let Ok(node @ Value::Object(schema)) = deref(root, schema) else { return false };
    if depth > MAX_DEPTH {
        return false;
    }
    let mut changed = false;
    for sub in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        changed |= coerce_strings(root, sub, value, depth + 1);
    }
    match value {
        Value::String(text) => {
            if let Ok(scalar @ (Scalar::Boolean | Scalar::Integer | Scalar::Number)) = scalar_of(node)
                && let Ok(scalar) = coerce(text, scalar)
            {
                *value = scalar;
                changed = true;
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    changed |= coerce_strings(root, item_schema, item, depth + 1);
                }
            }
        }
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties").filter(|s| s.is_object());
            for (key, field) in fields.iter_mut() {
                if let Some(field_schema) = properties.and_then(|p| p.get(key)).or(extra) {
                    changed |= coerce_strings(root, field_schema, field, depth + 1);
                }
            }
        }
        _ => {}
    }
    changed
}

/// `empty-body`: whether `body` is empty, blank or the empty JSON object.
pub(crate) fn is_empty_body(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<Value>(body).is_ok_and(|v| v.as_object().is_some_and(Map::is_empty))
}
