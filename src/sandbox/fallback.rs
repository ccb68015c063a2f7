//! Answers built from the spec alone, so an operation is served the moment
//! it is in the spec: the lowest documented 2xx response (`2XX`, then
//! `default`, as 200), its JSON body the first that fits the schema of the
//! media type's `example`, its first `examples`, the schema's `example`,
//! and a value generated from the schema. Generation is deterministic
//! (`allOf` merged, the first `oneOf` branch, every property, the first
//! `enum` value, strings by `format`, numbers within bounds); a value that
//! does not validate is tried again with the next branches and the
//! required properties alone. A non-JSON media type gets a minimal body.
//! Every walk is bounded, so no spec makes this loop, overflow or panic.

use chrono::{DateTime, NaiveDate, TimeDelta};
use serde_json::{Map, Number, Value};

use super::validate::{SpecValidator, deref, essence};
use crate::spec::model::is_json;

/// Nesting limit of generated values; deeper schemas get a minimal value.
const MAX_DEPTH: usize = 24;
/// Below this depth optional properties and empty-able arrays are left out,
/// which keeps recursive schemas (trees, linked records) small.
const OPTIONAL_DEPTH: usize = 8;
/// Schemas visited per generated value; past it everything is minimal.
const MAX_NODES: usize = 4096;
/// Most items generated for one array, whatever its `minItems`.
const MAX_ITEMS: u64 = 64;
/// Longest string generated, whatever its `minLength`.
const MAX_STRING: u64 = 64 * 1024;
/// Characters of padding (for `minLength`) one generated value may hold in all.
const MAX_PADDING: u64 = 1024 * 1024;
/// Longest chain of nested `allOf`/`oneOf`/`anyOf` merged into one schema.
const MAX_MERGE_DEPTH: usize = 32;
/// Variants (optional properties on or off, `oneOf` branch) tried until one validates.
const MAX_ATTEMPTS: usize = 8;
/// The smallest valid zip archive: an end-of-central-directory record alone.
const EMPTY_ZIP: [u8; 22] = [0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/// A response built from the spec for one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SpecResponse {
    pub(crate) status: u16,
    /// `None` when the response documents no body.
    pub(crate) content_type: Option<String>,
    /// Values for the response headers the spec marks `required`.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// The spec's answer to `operation_id`, or `None` if the spec has no such operation.
pub(crate) fn spec_response(validator: &SpecValidator, operation_id: &str) -> Option<SpecResponse> {
    let root = &validator.model().doc;
    let responses = validator.responses(operation_id)?;
    let Some((status, response)) = responses.as_object().and_then(pick_status) else {
        // No responses documented: nothing to build from, and nothing to break.
        return Some(SpecResponse { status: 204, content_type: None, headers: Vec::new(), body: Vec::new() });
    };
    let response = deref(root, response).unwrap_or(&Value::Null);
    let headers = required_headers(validator, response);
    let content = response.get("content").and_then(Value::as_object).filter(|_| !matches!(status, 204 | 205 | 304));
    let media = content.and_then(|c| c.iter().find(|(mt, _)| is_json(mt)).or_else(|| c.iter().next()));
    let Some((media_type, media)) = media else {
        return Some(SpecResponse { status, content_type: None, headers, body: Vec::new() });
    };
    let (content_type, body) = if is_json(media_type) {
        let value = json_body(validator, media);
        (media_type.clone(), value.to_string().into_bytes())
    } else {
        binary_body(media_type, media)
    };
    Some(SpecResponse { status, content_type: Some(content_type), headers, body })
}

/// A JSON request body for `operation_id` that the spec accepts (`None`: no
/// such operation, or no JSON body). For tests that drive every operation.
pub fn request_body(spec_json: &str, operation_id: &str) -> Option<Value> {
    let spec: Value = serde_json::from_str(spec_json).ok()?;
    let validator = SpecValidator::new(&spec).ok()?;
    let (root, op) = (&validator.model().doc, validator.model().operation(operation_id)?);
    let body = deref(root, root.pointer(&format!("{}/requestBody", op.pointer.strip_prefix('#')?))?).ok()?;
    let (_, media) = body.get("content")?.as_object()?.iter().find(|(media_type, _)| is_json(media_type))?;
    Some(json_body(&validator, media))
}

/// The lowest exact 2xx status, else `2XX`, else `default` (both as 200),
/// else the lowest other documented status.
fn pick_status(responses: &Map<String, Value>) -> Option<(u16, &Value)> {
    let exact = |range: std::ops::Range<u16>| {
        let codes = responses.iter().filter_map(|(code, r)| Some((code.parse::<u16>().ok()?, r)));
        codes.filter(|(code, _)| range.contains(code)).min_by_key(|(code, _)| *code)
    };
    let any_2xx = || ["2XX", "2xx", "default"].into_iter().find_map(|code| responses.get(code)).map(|r| (200, r));
    exact(200..300).or_else(any_2xx).or_else(|| exact(300..600))
}

/// The first documented example that fits the schema, else a generated value.
fn json_body(validator: &SpecValidator, media: &Value) -> Value {
    let root = &validator.model().doc;
    let Some(schema) = media.get("schema") else {
        return media.get("example").cloned().unwrap_or_else(|| Value::Object(Map::new()));
    };
    let first = media.get("examples").and_then(Value::as_object).and_then(|examples| examples.values().next());
    let first_of_examples = first.and_then(|example| deref(root, example).ok()?.get("value"));
    let schema_example = deref(root, schema).ok().and_then(|s| s.get("example"));
    let mut examples = [media.get("example"), first_of_examples, schema_example].into_iter().flatten();
    examples
        .find(|example| validator.conforms(schema, example))
        .cloned()
        .unwrap_or_else(|| generate(validator, schema, 0, true))
}

/// The `n`th value for `schema` (values told apart by `n`; examples only
/// for the first), optional properties too if `every` (a store's records):
/// the first variant that validates, else the first made.
pub(crate) fn generate(validator: &SpecValidator, schema: &Value, n: usize, every: bool) -> Value {
    let mut first = None;
    for attempt in 0..MAX_ATTEMPTS {
        let mut generator = Generator {
            validator,
            optional: attempt.is_multiple_of(2) == every,
            branch: attempt / 2,
            nodes: 0,
            refs: Vec::new(),
            padding: MAX_PADDING,
        };
        let value = generator.value(schema, n, 0);
        if validator.conforms(schema, &value) {
            return value;
        }
        first.get_or_insert(value);
    }
    first.unwrap_or(Value::Null)
}

/// A body for a non-JSON media type, with the content type to send it as.
fn binary_body(media_type: &str, media: &Value) -> (String, Vec<u8>) {
    let content_type = match essence(media_type).as_str() {
        "*/*" => "application/octet-stream".to_owned(),
        "text/*" => "text/plain".to_owned(),
        wildcard if wildcard.ends_with("/*") => format!("{}octet-stream", wildcard.trim_end_matches('*')),
        _ => media_type.to_owned(),
    };
    let body = match (essence(&content_type).as_str(), media.get("example").and_then(Value::as_str)) {
        ("application/zip", _) => EMPTY_ZIP.to_vec(),
        (kind, Some(text)) if kind.starts_with("text/") => text.as_bytes().to_vec(),
        _ => Vec::new(),
    };
    (content_type, body)
}

/// Values for the headers a response marks `required` (valid HTTP ones).
fn required_headers(validator: &SpecValidator, response: &Value) -> Vec<(String, String)> {
    let root = &validator.model().doc;
    let Some(headers) = response.get("headers").and_then(Value::as_object) else { return Vec::new() };
    headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
        .filter_map(|(name, header)| {
            let header = deref(root, header).ok()?;
            if header.get("required").and_then(Value::as_bool) != Some(true) {
                return None;
            }
            let text = match generate(validator, header.get("schema").unwrap_or(&Value::Null), 0, true) {
                Value::String(text) => text,
                other => other.to_string(),
            };
            let valid = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                && text.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
            valid.then(|| (name.clone(), text))
        })
        .collect()
}

/// One walk over a schema, making a value.
struct Generator<'s> {
    validator: &'s SpecValidator,
    /// Include optional properties (else only required ones).
    optional: bool,
    /// Which `oneOf`/`anyOf` alternative to take (modulo their number).
    branch: usize,
    /// Schemas visited so far, against [`MAX_NODES`].
    nodes: usize,
    /// The `$ref`s being expanded, outermost first, to spot cycles.
    refs: Vec<String>,
    /// Padding characters still allowed, against [`MAX_PADDING`].
    padding: u64,
}

impl Generator<'_> {
    /// A value for `schema`; `variant` tells apart items of one array.
    fn value(&mut self, schema: &Value, variant: usize, depth: usize) -> Value {
        self.nodes += 1;
        let reference = schema.get("$ref").and_then(Value::as_str);
        self.refs.extend(reference.map(str::to_owned));
        let mut flat = Map::new();
        self.flatten(schema, &mut flat, 0);
        let value = if depth >= MAX_DEPTH || self.nodes > MAX_NODES {
            self.minimal(&flat, variant)
        } else if let Some(example) = flat.get("example")
            && variant == 0
            && self.validator.conforms(schema, example)
        {
            example.clone()
        } else {
            match type_of(&flat) {
                _ if flat.get("enum").is_some_and(Value::is_array) => self.minimal(&flat, variant),
                Some("object") => self.object(&flat, variant, depth),
                Some("array") => self.array(&flat, variant, depth),
                _ => self.minimal(&flat, variant),
            }
        };
        if reference.is_some() {
            self.refs.pop();
        }
        value
    }

    /// [`minimal`], with `minLength` padding charged to the budget.
    fn minimal(&mut self, flat: &Map<String, Value>, variant: usize) -> Value {
        let value = minimal(flat, variant, self.padding);
        if let Value::String(text) = &value {
            self.padding = self.padding.saturating_sub(text.len() as u64);
        }
        value
    }

    /// Merges `schema` into `into` (`allOf` and the chosen `oneOf`/`anyOf`
    /// branch folded in): a keyword's first value wins, but the tighter
    /// bound, united `required`, and a property of several parts their `allOf`.
    fn flatten(&mut self, schema: &Value, into: &mut Map<String, Value>, depth: usize) {
        self.nodes += 1;
        if depth > MAX_MERGE_DEPTH || self.nodes > MAX_NODES {
            return;
        }
        let schema = match deref(&self.validator.model().doc, schema) {
            Ok(Value::Object(schema)) => schema,
            Ok(Value::Bool(false)) => {
                into.entry("x-unsatisfiable").or_insert(Value::Bool(true));
                return;
            }
            _ => return,
        };
        for (key, value) in schema {
            match key.as_str() {
                "allOf" | "oneOf" | "anyOf" | "$ref" => {}
                "properties" => {
                    let properties = into.entry("properties").or_insert_with(|| Value::Object(Map::new()));
                    if let (Value::Object(properties), Some(more)) = (properties, value.as_object()) {
                        for (name, property) in more {
                            let merged = match properties.remove(name) {
                                Some(earlier) => serde_json::json!({ "allOf": [earlier, property] }),
                                None => property.clone(),
                            };
                            properties.insert(name.clone(), merged);
                        }
                    }
                }
                "required" => {
                    let required = into.entry("required").or_insert_with(|| Value::Array(Vec::new()));
                    if let (Value::Array(required), Some(more)) = (required, value.as_array()) {
                        for name in more {
                            if !required.contains(name) {
                                required.push(name.clone());
                            }
                        }
                    }
                }
                "minimum" | "minLength" | "minItems" | "minProperties" => tighten(into, key, value, f64::max),
                "maximum" | "maxLength" | "maxItems" | "maxProperties" => tighten(into, key, value, f64::min),
                _ => {
                    into.entry(key.as_str()).or_insert_with(|| value.clone());
                }
            }
        }
        for sub in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            self.flatten(sub, into, depth + 1);
        }
        for key in ["oneOf", "anyOf"] {
            let alternatives = schema.get(key).and_then(Value::as_array).filter(|a| !a.is_empty());
            if let Some(chosen) = alternatives.and_then(|a| a.get(self.branch % a.len())) {
                self.flatten(chosen, into, depth + 1);
            }
        }
    }

    fn object(&mut self, flat: &Map<String, Value>, variant: usize, depth: usize) -> Value {
        let empty = Map::new();
        let properties = flat.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let required: Vec<&str> =
            flat.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let extra = flat.get("additionalProperties").filter(|a| a.is_object());
        let min_properties = count(flat, "minProperties").unwrap_or(0).min(MAX_ITEMS);
        let max_properties = count(flat, "maxProperties");
        let mut object = Map::new();
        for (name, property) in properties {
            let wanted = required.contains(&name.as_str())
                || (self.optional
                    && depth < OPTIONAL_DEPTH
                    && !self.is_cyclic(property)
                    && deref(&self.validator.model().doc, property).ok().and_then(|s| s.get("writeOnly"))
                        != Some(&Value::Bool(true)));
            if wanted {
                object.insert(name.clone(), self.value(property, variant, depth + 1));
            }
        }
        for name in required.iter().filter(|name| !properties.contains_key(**name)) {
            let value = extra.map_or(Value::String("string".to_owned()), |extra| self.value(extra, variant, depth + 1));
            object.insert((*name).to_owned(), value);
        }
        // Too few properties: the optional ones left out, then made-up keys.
        for (name, property) in properties {
            if object.len() as u64 >= min_properties {
                break;
            }
            if !object.contains_key(name) {
                object.insert(name.clone(), self.value(property, variant, depth + 1));
            }
        }
        if flat.get("additionalProperties") != Some(&Value::Bool(false)) {
            let mut n = 0;
            while (object.len() as u64) < min_properties {
                n += 1;
                let value =
                    extra.map_or(Value::String("value".to_owned()), |extra| self.value(extra, variant, depth + 1));
                object.insert(format!("key{n}"), value);
            }
        }
        if let Some(max) = max_properties {
            let optional: Vec<String> =
                object.keys().filter(|k| !required.contains(&k.as_str())).rev().cloned().collect();
            for key in optional {
                if object.len() as u64 <= max {
                    break;
                }
                object.remove(&key);
            }
        }
        Value::Object(object)
    }

    fn array(&mut self, flat: &Map<String, Value>, variant: usize, depth: usize) -> Value {
        let items = flat.get("items").unwrap_or(&Value::Null);
        let min = count(flat, "minItems").unwrap_or(0);
        let max = count(flat, "maxItems").unwrap_or(u64::MAX);
        let may_be_empty = min == 0 && (depth >= OPTIONAL_DEPTH || self.is_cyclic(items));
        let len = if may_be_empty { 0 } else { min.max(1).min(max).min(MAX_ITEMS) };
        // Each item its own variant, so `uniqueItems` holds.
        (0..len).map(|i| self.value(items, variant.saturating_add(i as usize), depth + 1)).collect()
    }

    /// Whether `schema` (or its items) is a `$ref` already being expanded.
    fn is_cyclic(&self, schema: &Value) -> bool {
        let target = schema.get("$ref").or_else(|| schema.get("items").and_then(|items| items.get("$ref")));
        target.and_then(Value::as_str).is_some_and(|r| self.refs.iter().any(|seen| seen == r))
    }
}

/// Keeps the tighter of two numeric bounds.
fn tighten(into: &mut Map<String, Value>, key: &str, value: &Value, pick: fn(f64, f64) -> f64) {
    let Some(new) = value.as_f64() else { return };
    let merged = match into.get(key).and_then(Value::as_f64) {
        Some(old) if pick(old, new) == old => return,
        _ => value.clone(),
    };
    into.insert(key.to_owned(), merged);
}

fn count(flat: &Map<String, Value>, key: &str) -> Option<u64> {
    flat.get(key).and_then(|n| n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f.ceil() as u64)))
}

/// The schema's type, stated (the first non-null of a list) or implied by its keywords.
fn type_of(flat: &Map<String, Value>) -> Option<&str> {
    const IMPLIED: [(&str, &[&str]); 4] = [
        ("object", &["properties", "required", "additionalProperties", "minProperties", "maxProperties"]),
        ("array", &["items", "minItems", "maxItems", "uniqueItems"]),
        ("string", &["minLength", "maxLength", "format"]),
        ("number", &["minimum", "maximum", "multipleOf"]),
    ];
    let stated = match flat.get("type") {
        Some(Value::String(ty)) => Some(ty.as_str()),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    };
    let implied = || IMPLIED.iter().find(|(_, keys)| keys.iter().any(|k| flat.contains_key(*k)));
    stated.or_else(|| implied().map(|(ty, _)| *ty))
}

/// A value that needs no recursion: the enum value, a scalar, or an empty container.
fn minimal(flat: &Map<String, Value>, variant: usize, padding: u64) -> Value {
    if flat.contains_key("x-unsatisfiable") {
        return Value::Null;
    }
    if let Some(allowed) = flat.get("enum").and_then(Value::as_array).filter(|a| !a.is_empty()) {
        let non_null: Vec<&Value> = allowed.iter().filter(|v| !v.is_null()).collect();
        return non_null.get(variant % non_null.len().max(1)).map_or(Value::Null, |v| (*v).clone());
    }
    match type_of(flat) {
        Some("string") => Value::String(string(flat, variant, padding)),
        Some("integer") => number(flat, true, variant),
        Some("number") => number(flat, false, variant),
        Some("boolean") => Value::Bool(variant.is_multiple_of(2)),
        Some("array") => Value::Array(Vec::new()),
        Some("null") => Value::Null,
        _ if flat.get("nullable").and_then(Value::as_bool) == Some(true) => Value::Null,
        _ => Value::Object(Map::new()),
    }
}

/// A string in the schema's `format`, padded (by at most `padding`) or cut to its lengths.
fn string(flat: &Map<String, Value>, variant: usize, padding: u64) -> String {
    let n = i64::try_from(variant).unwrap_or(i64::MAX);
    let suffix = if variant == 0 { String::new() } else { variant.to_string() };
    let base = DateTime::from_timestamp(1_704_067_200, 0).unwrap_or_default(); // 2024-01-01T00:00:00Z
    // The spec's own `x-format: e164` (a phone number) is a format too.
    let format = match flat.get("x-format").and_then(Value::as_str) {
        Some("e164") => "e164",
        _ => flat.get("format").and_then(Value::as_str).unwrap_or_default(),
    };
    let text = match format {
        "e164" => format!("+1415555{:04}", variant % 10_000),
        "date-time" => {
            let at = TimeDelta::try_seconds(n).and_then(|d| base.checked_add_signed(d)).unwrap_or(base);
            at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        }
        "date" => {
            let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
            TimeDelta::try_days(n).and_then(|d| day.checked_add_signed(d)).unwrap_or(day).format("%Y-%m-%d").to_string()
        }
        "time" => "00:00:00".to_owned(),
        "uuid" => format!("00000000-0000-4000-8000-{:012x}", variant as u64 % (1 << 48)),
        "email" => format!("user{suffix}@example.com"),
        "uri" | "url" | "iri" => format!("https://example.com/{suffix}"),
        "uri-reference" | "iri-reference" => format!("/{suffix}"),
        "hostname" | "idn-hostname" => format!("host{suffix}.example.com"),
        "ipv4" => format!("192.0.2.{}", variant % 256),
        "ipv6" => format!("2001:db8::{:x}", variant % 0x1_0000),
        "byte" => format!("c2FuZGJveA{suffix}=="),
        "binary" => String::new(),
        "password" => format!("secret{suffix}"),
        _ => format!("string{suffix}"),
    };
    let len = text.chars().count() as u64;
    let min = count(flat, "minLength").unwrap_or(0).min(MAX_STRING).min(len.saturating_add(padding));
    let max = count(flat, "maxLength").unwrap_or(u64::MAX);
    if len < min {
        text + &"x".repeat(usize::try_from(min - len).unwrap_or(0))
    } else if len > max {
        text.chars().take(usize::try_from(max).unwrap_or(usize::MAX)).collect()
    } else {
        text
    }
}

/// A number within the schema's bounds, on its `multipleOf`: the lowest allowed, else 1, plus `variant`.
fn number(flat: &Map<String, Value>, integer: bool, variant: usize) -> Value {
    let bound = |key: &str| flat.get(key).and_then(Value::as_f64).filter(|b| b.is_finite());
    let exclusive = |key: &str| flat.get(key).and_then(Value::as_bool) == Some(true);
    let (format_low, format_high) = match flat.get("format").and_then(Value::as_str) {
        Some("int32") => (f64::from(i32::MIN), f64::from(i32::MAX)),
        _ if integer => (-9.0e15, 9.0e15),
        _ => (-1.0e300, 1.0e300),
    };
    let step = bound("multipleOf").filter(|s| *s > 0.0);
    // Within the bounds the smallest gap considered is 1, or half the range.
    let nudge = |low: f64, high: f64| step.unwrap_or(1.0).min(((high - low) / 2.0).abs().max(f64::MIN_POSITIVE));
    let mut low = bound("minimum").unwrap_or(format_low).max(format_low);
    let mut high = bound("maximum").unwrap_or(format_high).min(format_high);
    if integer {
        low = low.ceil();
        high = high.floor();
    }
    if exclusive("exclusiveMinimum") && bound("minimum").is_some() {
        low = if integer { low + 1.0 } else { low + nudge(low, high) };
    }
    if exclusive("exclusiveMaximum") && bound("maximum").is_some() {
        high = if integer { high - 1.0 } else { high - nudge(low, high) };
    }
    let start = if bound("minimum").is_some() { low } else { 1.0_f64.min(high) };
    let mut x = (start + variant as f64).min(high).max(low);
    if let Some(step) = step {
        let up = (x / step).ceil() * step;
        let down = (high / step).floor() * step;
        x = if up <= high { up } else { down };
        if integer && x.fract() != 0.0 {
            // An integer on a fractional step: the step's smallest whole multiple.
            let whole = (1..=1000).map(|k| f64::from(k) * step).find(|m| m.fract() == 0.0).unwrap_or(step);
            x = ((x / whole).ceil() * whole).min(high);
        }
    }
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        Number::from_f64(x).map_or(Value::from(0), Value::Number)
    }
}
