//! The one walk of a JSON value against a schema of the spec: it stops at
//! the first difference ([`Mode::First`]: the checks of [`super::validate`])
//! or collects them all ([`Mode::All`]: [`super::survey`]), in the same words.
//! Collecting all, the `oneOf`/`anyOf` alternative a value fits best joins
//! its schema, and the `x-provenance: inferred` nodes it matched are noted.

use std::collections::BTreeSet;
use std::fmt;

use rustc_hash::FxHashMap;

use regex::Regex;
use serde_json::{Map, Number, Value};

use super::model::{escape, is_json};
use super::survey::DriftKind;
use super::validate::{
    SpecValidator, Violation, best_media, deref, essence, is_e164, parse_date, parse_date_time, show_str,
};

/// Recursion limit; only a cyclic schema that consumes no input (e.g.
/// `A: {allOf: [$ref: A]}`) gets near it.
const MAX_DEPTH: usize = 256;

/// Whether a walk stops at the first difference or collects them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    First,
    All,
}

/// Which way a value travels: `readOnly` properties are never sent in a
/// request, `writeOnly` ones never come back in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Direction {
    Request,
    Response,
}

/// Where in a document a value sits: `request body.metadata[0].name`.
/// Built on the stack while descending, formatted only for a difference.
#[derive(Clone, Copy)]
pub(super) enum Loc<'a> {
    Root(&'a str),
    Field(&'a Loc<'a>, &'a str),
    Index(&'a Loc<'a>, usize),
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root(root) => f.write_str(root),
            Self::Field(parent, key) => write!(f, "{parent}.{key}"),
            Self::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// One difference: its kind, where it is and what was found.
#[derive(Debug, Clone)]
pub(super) struct Finding {
    pub(super) kind: DriftKind,
    pub(super) location: String,
    pub(super) message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// A walk in [`Mode::First`] met its difference.
pub(super) struct Stop;

type Step = Result<(), Stop>;

/// The schema nodes that apply to one value.
type Parts<'s> = Vec<Node<'s>>;

/// A schema object with its keywords looked up once per walk: a page holds
/// thousands of values and a few dozen schema nodes, and looking keywords
/// up per value was most of a survey.
#[derive(Clone, Copy)]
struct Node<'s> {
    map: &'s Map<String, Value>,
    ty: Option<&'s str>,
    nullable: bool,
    enumeration: Option<&'s Vec<Value>>,
    properties: Option<&'s Map<String, Value>>,
    /// `properties` by name, hashed, each with whether it is required and
    /// whether it stays behind (see `hides`): the walker's table of that index.
    table: Option<usize>,
    required: &'s [Value],
    /// Every `required` name is a property, once: an object holding that
    /// many required properties holds them all.
    required_listed: bool,
    additional: Option<&'s Value>,
    items: Option<&'s Value>,
    all_of: &'s [Value],
    check: Option<&'s Value>,
    /// Has `oneOf`, `anyOf` or `not`.
    combined: bool,
    /// Has `oneOf` or `not`, which only a check follows.
    checked_only: bool,
    /// Has a rule for strings, numbers, arrays (beyond `items`), or the
    /// number of properties.
    string_rules: bool,
    number_rules: bool,
    array_rules: bool,
    object_bounds: bool,
    /// Some property does not travel the walk's way (`readOnly` in a request).
    hides: bool,
    /// Its JSON pointer, if it is marked `x-provenance: inferred`.
    inferred: Option<&'s str>,
}

/// What a schema value is, once its `$ref` is followed.
#[derive(Clone, Copy)]
enum Resolved<'s> {
    Node(Node<'s>),
    /// `false`: no value is allowed.
    Nothing,
    /// `true` or another non-object: anything goes.
    Anything,
}

/// Walks values against the schemas of one spec.
pub(super) struct Walker<'s> {
    spec: &'s SpecValidator,
    direction: Direction,
    mode: Mode,
    pub(super) findings: Vec<Finding>,
    /// Pointers of the inferred nodes a value matched, and of those it did not.
    pub(super) confirmed: BTreeSet<String>,
    pub(super) contradicted: BTreeSet<String>,
    /// Emptied parts lists, reused: a page holds thousands of values.
    spare: Vec<Parts<'s>>,
    /// Each schema met, resolved and read once (by its address in the
    /// spec, which is shared and never changed).
    nodes: FxHashMap<usize, Resolved<'s>>,
    /// The nodes' `properties` tables (see [`Node::table`]).
    tables: Vec<FxHashMap<&'s str, (&'s Value, bool, bool)>>,
    /// Emptied lists of which keys of an object are documented, reused.
    marks: Vec<Vec<bool>>,
    /// Whether the walk met what only [`Mode::First`] reports: a refusal
    /// (see `refuse`), or a schema with `oneOf` or `not`. A survey that
    /// found nothing checks again only then (see `survey_response`).
    pub(super) needs_check: bool,
}

impl<'s> Walker<'s> {
    pub(super) fn new(spec: &'s SpecValidator, direction: Direction, mode: Mode) -> Self {
        let (findings, confirmed, contradicted, needs_check) = (Vec::new(), BTreeSet::new(), BTreeSet::new(), false);
        let (spare, nodes, tables, marks) = (Vec::new(), FxHashMap::default(), Vec::new(), Vec::new());
        Self { spec, direction, mode, findings, confirmed, contradicted, spare, nodes, tables, marks, needs_check }
    }

    /// `schema` with its `$ref` followed (see [`deref`]) and its keywords
    /// read, from the cache.
    fn node(&mut self, schema: &'s Value) -> Result<Resolved<'s>, String> {
        let key = std::ptr::from_ref(schema) as usize;
        if let Some(found) = self.nodes.get(&key) {
            return Ok(*found);
        }
        let found = match deref(&self.spec.spec, schema)? {
            Value::Object(map) => Resolved::Node(self.compile(map)),
            Value::Bool(false) => Resolved::Nothing,
            _ => Resolved::Anything,
        };
        self.nodes.insert(key, found);
        Ok(found)
    }

    fn compile(&mut self, map: &'s Map<String, Value>) -> Node<'s> {
        // The rule keywords in one pass over the node's few keys: looking
        // each up in turn was most of the cost of checking a parameter.
        let [mut combined, mut checked_only, mut string_rules, mut number_rules, mut array_rules, mut object_bounds] =
            [false; 6];
        for key in map.keys() {
            match key.as_str() {
                "oneOf" | "not" => (combined, checked_only) = (true, true),
                "anyOf" => combined = true,
                "format" => (string_rules, number_rules) = (true, true),
                "minLength" | "maxLength" | "pattern" | "x-format" => string_rules = true,
                "minimum" | "maximum" | "multipleOf" => number_rules = true,
                "minItems" | "maxItems" | "uniqueItems" => array_rules = true,
                "minProperties" | "maxProperties" => object_bounds = true,
                _ => {}
            }
        }
        let list = |key: &str| map.get(key).and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        let properties = map.get("properties").and_then(Value::as_object);
        let flag = match self.direction {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        };
        let spec = &self.spec.spec;
        let hidden = |s| deref(spec, s).ok().and_then(|p| p.get(flag)).and_then(Value::as_bool) == Some(true);
        let required: &[Value] = list("required");
        let is_required = |name: &str| required.iter().any(|r| r.as_str() == Some(name));
        let entry =
            |(name, schema): (&'s String, &'s Value)| (name.as_str(), (schema, is_required(name), hidden(schema)));
        let table = properties.filter(|p| !p.is_empty()).map(|p| {
            self.tables.push(p.iter().map(entry).collect());
            self.tables.len() - 1
        });
        let hides = table.is_some_and(|t| self.tables[t].values().any(|&(_, _, hidden)| hidden));
        let listed = properties.map_or(0, |p| p.keys().filter(|name| is_required(name)).count());
        Node {
            map,
            table,
            ty: map.get("type").and_then(Value::as_str),
            nullable: map.get("nullable").and_then(Value::as_bool) == Some(true),
            enumeration: map.get("enum").and_then(Value::as_array),
            properties,
            required,
            required_listed: listed == required.len(),
            additional: map.get("additionalProperties"),
            items: map.get("items"),
            all_of: list("allOf"),
            check: map.get("x-check"),
            combined,
            checked_only,
            string_rules,
            number_rules,
            array_rules,
            object_bounds,
            hides,
            inferred: self.spec.inferred.get(&node_key(map)).map(String::as_str),
        }
    }

    /// Walks `value` against `schema`.
    pub(super) fn walk(&mut self, schema: &'s Value, value: &Value, at: &Loc<'_>) -> Step {
        self.value(schema, value, at, &BTreeSet::new(), 0)
    }

    fn report(&mut self, kind: DriftKind, at: impl fmt::Display, message: impl Into<String>) -> Step {
        self.findings.push(Finding { kind, location: at.to_string(), message: message.into() });
        if self.mode == Mode::First { Err(Stop) } else { Ok(()) }
    }

    /// A difference only a check reports (a schema the walk cannot follow,
    /// which a survey passes over).
    fn refuse(&mut self, at: impl fmt::Display, message: impl Into<String>) -> Step {
        self.needs_check = true;
        if self.mode == Mode::First { self.report(DriftKind::BrokenConstraint, at, message) } else { Ok(()) }
    }

    /// The first difference, if the walk met one.
    pub(super) fn violation(mut self) -> Result<(), Violation> {
        match self.findings.pop() {
            Some(Finding { location, message, .. }) => Err(Violation::Invalid { location, message }),
            None => Ok(()),
        }
    }

    /// Notes an inferred node of the spec the value matched.
    fn confirm(&mut self, pointer: &str, node: &Value) {
        if self.mode == Mode::All && node.get("x-provenance").is_some_and(is_inferred) {
            self.confirmed.insert(pointer.to_owned());
        }
    }

    /// A response of `operation_id` against what the spec documents for its
    /// status: its headers (when `headers` are given), its content type and
    /// its body (`None` when it was not read, a download). A check words the
    /// response's own differences as the sandbox reports them (at `response`
    /// and `response body`), a survey by kind (`status`, `content-type`).
    /// `parsed` is `body` as JSON, if the caller has parsed it already.
    pub(super) fn response(
        &mut self,
        operation_id: &str,
        status: u16,
        content_type: Option<&str>,
        headers: Option<&[(String, String)]>,
        body: Option<&[u8]>,
        parsed: Option<&Value>,
    ) -> Step {
        let first = self.mode == Mode::First;
        let spec = self.spec;
        let Some(op) = spec.operation(operation_id) else {
            let at = if first { "response" } else { "status" };
            return self.report(DriftKind::UndocumentedStatus, at, format!("no operation {operation_id} in the spec"));
        };
        if (200..300).contains(&status)
            && let Some(node) = op.def.pointer.strip_prefix('#').and_then(|p| spec.spec.pointer(p))
        {
            self.confirm(&op.def.pointer, node);
        }
        let Some((key, node)) = op.documented_response(status) else {
            let (at, message) = if first { ("response", "status") } else { ("status", "HTTP") };
            return self.report(DriftKind::UndocumentedStatus, at, format!("{message} {status} is not documented"));
        };
        let reference = node.get("$ref").and_then(Value::as_str);
        let pointer = reference.map_or_else(|| format!("{}/responses/{key}", op.def.pointer), str::to_owned);
        let response = match deref(&spec.spec, node) {
            Ok(response) => response,
            Err(e) => return self.refuse("response", e),
        };
        let before = self.findings.len();
        for (name, header) in headers.and(response.get("headers")).and_then(Value::as_object).into_iter().flatten() {
            let sent = headers.unwrap_or_default().iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
            if name.eq_ignore_ascii_case("content-type") {
                continue;
            } else if !sent {
                self.report(DriftKind::MissingHeader, format!("header {name}"), "documented, but not sent")?;
            } else if let Ok(documented) = deref(&spec.spec, header) {
                let here = format!("{pointer}/headers/{}", escape(name));
                self.confirm(header.get("$ref").and_then(Value::as_str).unwrap_or(&here), documented);
            }
        }
        self.response_body(response, status, content_type, body, parsed)?;
        if self.findings.len() == before {
            self.confirm(&pointer, response);
        } else if self.mode == Mode::All && response.get("x-provenance").is_some_and(is_inferred) {
            self.contradicted.insert(pointer);
        }
        Ok(())
    }

    fn response_body(
        &mut self,
        response: &'s Value,
        status: u16,
        content_type: Option<&str>,
        body: Option<&[u8]>,
        parsed: Option<&Value>,
    ) -> Step {
        const AT: &str = "response body";
        let first = self.mode == Mode::First;
        let empty = body.is_some_and(<[u8]>::is_empty);
        // Whether an empty body is allowed is the check's to say.
        self.needs_check |= empty;
        let Some(content) = response.get("content").and_then(Value::as_object).filter(|c| !c.is_empty()) else {
            if empty || body.is_none() {
                return Ok(());
            }
            let message = if first {
                format!("status {status} documents no body")
            } else {
                "a body where the spec documents none".to_owned()
            };
            return self.report(DriftKind::InvalidBody, AT, message);
        };
        let actual = content_type.map(essence);
        // Without a content type only `*/*` matches.
        let found = best_media(content.iter().map(|(mt, m)| (mt.as_str(), m)), actual.as_deref().unwrap_or_default());
        let (media_type, media) = match found {
            Some(found) => found,
            // An empty body still breaks the contract if JSON is documented.
            None if empty => match content.iter().find(|(mt, _)| is_json(mt)) {
                Some((mt, media)) if first => (mt.as_str(), media),
                _ => return Ok(()),
            },
            None => {
                let expected = content.keys().map(String::as_str).collect::<Vec<_>>().join(" or ");
                let (at, message) = match (first, actual) {
                    (false, actual) => {
                        ("content-type", format!("{}, not {expected}", actual.as_deref().unwrap_or("none")))
                    }
                    (true, Some(actual)) => (AT, format!("content type {actual} is not {expected}")),
                    (true, None) => (AT, format!("no content type; expected {expected}")),
                };
                return self.report(DriftKind::UndocumentedContentType, at, message);
            }
        };
        let (Some(schema), Some(body)) = (media.get("schema").filter(|_| is_json(media_type)), body) else {
            return Ok(());
        };
        if body.is_empty() {
            let annotation = |k: &String| k.starts_with("x-") || k == "description" || k == "title";
            let schema = deref(&self.spec.spec, schema).ok().and_then(Value::as_object);
            if !schema.is_some_and(|s| s.keys().all(annotation)) {
                return self.refuse(AT, format!("empty, but {media_type} is documented"));
            }
            return Ok(());
        }
        let read;
        let value = match parsed {
            Some(value) => value,
            None => match serde_json::from_slice(body) {
                Ok(value) => {
                    read = value;
                    &read
                }
                Err(e) => return self.report(DriftKind::InvalidBody, AT, format!("not valid JSON: {e}")),
            },
        };
        self.walk(schema, value, &Loc::Root(AT))
    }

    /// `value` against `schema`. `known` holds the property names an
    /// enclosing schema documents for this same object (the rest of a
    /// `oneOf` alternative's parent), which are not unknown here.
    fn value(
        &mut self,
        schema: &'s Value,
        value: &Value,
        at: &Loc<'_>,
        known: &BTreeSet<&'s str>,
        depth: usize,
    ) -> Step {
        let mut parts = self.spare.pop().unwrap_or_default();
        let before = self.findings.len();
        let step = match self.flatten(schema, &mut parts, at, depth) {
            Ok(()) if parts.is_empty() => Ok(()),
            Ok(()) => self.parts(&mut parts, value, at, known, depth),
            stop => stop,
        };
        // The inferred nodes among the parts, by the pointers the validator
        // noted once for them: no pointer is built per value.
        if self.mode == Mode::All && !self.spec.inferred.is_empty() {
            let agreed = self.findings.len() == before;
            for pointer in parts.iter().filter_map(|node| node.inferred) {
                let set = if agreed { &mut self.confirmed } else { &mut self.contradicted };
                if !set.contains(pointer) {
                    set.insert(pointer.to_owned());
                }
            }
        }
        parts.clear();
        self.spare.push(parts);
        step
    }

    /// The node, then its `allOf` members and its `x-check` (recursively).
    fn flatten(&mut self, schema: &'s Value, out: &mut Parts<'s>, at: &Loc<'_>, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            return self.refuse(at, "schema nesting too deep (cyclic $ref?)");
        }
        let node = match self.node(schema) {
            Ok(Resolved::Node(node)) => node,
            Ok(Resolved::Nothing) => return self.refuse(at, "no value is allowed here"),
            Ok(Resolved::Anything) => return Ok(()),
            Err(e) => return self.refuse(at, e),
        };
        self.needs_check |= node.checked_only;
        out.push(node);
        for member in node.all_of.iter().chain(node.check) {
            self.flatten(member, out, at, depth + 1)?;
        }
        Ok(())
    }

    fn parts(
        &mut self,
        parts: &mut Parts<'s>,
        value: &Value,
        at: &Loc<'_>,
        known: &BTreeSet<&'s str>,
        depth: usize,
    ) -> Step {
        if value.is_null() && parts.iter().any(|s| s.nullable) {
            return Ok(());
        }
        if self.mismatched(parts, value, at)? {
            return Ok(());
        }
        if self.mode == Mode::All && parts.iter().any(|s| s.combined) {
            // The alternative of each `oneOf`/`anyOf` the value fits best joins the parts.
            let mut names = known.clone();
            names.extend(parts.iter().flat_map(|s| s.properties.into_iter().flatten().map(|(name, _)| name.as_str())));
            let mut chosen = Vec::new();
            for schema in parts.iter() {
                for key in ["oneOf", "anyOf"] {
                    let alternatives = schema.map.get(key).and_then(Value::as_array).into_iter().flatten();
                    let missed = |a: &&'s Value| miss(&self.attempt(|w| w.value(a, value, at, &names, depth + 1)), at);
                    // The first of those missed least.
                    if let Some(best) = alternatives.min_by_key(missed) {
                        self.flatten(best, &mut chosen, at, depth + 1)?;
                    }
                }
            }
            // The chosen alternative's type and enum apply too.
            if self.mismatched(&chosen, value, at)? {
                return Ok(());
            }
            parts.extend(chosen);
        }
        match value {
            Value::Number(n) => {
                for schema in parts.iter().filter(|s| s.number_rules) {
                    if let Err(message) = check_number(schema.map, n) {
                        self.report(DriftKind::BrokenConstraint, at, message)?;
                    }
                }
            }
            Value::String(text) => {
                for schema in parts.iter().filter(|s| s.string_rules) {
                    self.string(schema.map, text, at)?;
                }
            }
            Value::Array(items) => self.array(parts, items, at, depth)?,
            Value::Object(map) => self.object(parts, map, at, known, depth)?,
            Value::Bool(_) | Value::Null => {}
        }
        if self.mode == Mode::First {
            for schema in parts.iter().filter(|s| s.combined) {
                // An `x-check`'s description says its rule: the refusal's words.
                let is_check = |part: &Node<'s>| {
                    part.check.and_then(Value::as_object).is_some_and(|check| std::ptr::eq(check, schema.map))
                };
                let rule = parts.iter().any(is_check).then(|| schema.map.get("description").and_then(Value::as_str));
                self.combinators(schema.map, rule.flatten(), value, at, depth)?;
            }
        }
        Ok(())
    }

    /// Reports the first part whose `type` or `enum` the value does not
    /// fit; whether there was one (then nothing below it is walked).
    fn mismatched(&mut self, parts: &Parts<'s>, value: &Value, at: &Loc<'_>) -> Result<bool, Stop> {
        for schema in parts {
            if let Some(ty) = schema.ty
                && !has_type(value, ty)
            {
                let article = if ty.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                self.report(DriftKind::TypeMismatch, at, format!("{} is not {article} {ty}", show(value)))?;
                return Ok(true);
            }
            if let Some(allowed) = schema.enumeration
                && !allowed.contains(value)
            {
                let list: Vec<String> =
                    allowed.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect();
                let message = format!("{} is not one of {}", show(value), list.join(", "));
                self.report(DriftKind::UnlistedEnumValue, at, message)?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// What `walk` finds walking on its own (an alternative tried), with
    /// the schemas read so far.
    fn attempt(&mut self, walk: impl FnOnce(&mut Self) -> Step) -> Vec<Finding> {
        let mut walker = Walker::new(self.spec, self.direction, self.mode);
        let share = |a: &mut Self, b: &mut Self| {
            std::mem::swap(&mut a.nodes, &mut b.nodes);
            std::mem::swap(&mut a.tables, &mut b.tables);
        };
        share(self, &mut walker);
        let _ = walk(&mut walker);
        share(self, &mut walker);
        walker.findings
    }

    fn string(&mut self, schema: &Map<String, Value>, text: &str, at: &Loc<'_>) -> Step {
        let len = text.chars().count() as u64;
        let bound = |key: &str| schema.get(key).and_then(Value::as_u64);
        if let Some(min) = bound("minLength").filter(|min| len < *min) {
            let message = if len == 0 {
                "must not be empty".to_owned()
            } else {
                format!("shorter than {min} characters: {}", show_str(text))
            };
            self.report(DriftKind::BrokenConstraint, at, message)?;
        }
        if let Some(max) = bound("maxLength").filter(|max| len > *max) {
            self.report(DriftKind::BrokenConstraint, at, format!("longer than {max} characters: {}", show_str(text)))?;
        }
        if let Err(message) = check_string(schema, text, &self.spec.patterns) {
            self.report(DriftKind::FormatMismatch, at, message)?;
        }
        Ok(())
    }

    fn array(&mut self, parts: &Parts<'s>, items: &[Value], at: &Loc<'_>, depth: usize) -> Step {
        for node in parts {
            // The array's own rules first, then its items: the first
            // difference a check reports.
            if node.array_rules {
                self.array_rules(node.map, items, at)?;
            }
            if let Some(item_schema) = node.items {
                for (i, item) in items.iter().enumerate() {
                    self.value(item_schema, item, &Loc::Index(at, i), &BTreeSet::new(), depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// `minItems`, `maxItems` and `uniqueItems`.
    fn array_rules(&mut self, schema: &Map<String, Value>, items: &[Value], at: &Loc<'_>) -> Step {
        let len = items.len() as u64;
        let bound = |key: &str| schema.get(key).and_then(Value::as_u64);
        if let Some(min) = bound("minItems").filter(|min| len < *min) {
            self.report(DriftKind::BrokenConstraint, at, format!("has {len} items, fewer than {min}"))?;
        }
        if let Some(max) = bound("maxItems").filter(|max| len > *max) {
            self.report(DriftKind::BrokenConstraint, at, format!("has {len} items, more than {max}"))?;
        }
        if schema.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            for (i, item) in items.iter().enumerate() {
                if let Some(j) = items.iter().skip(i + 1).position(|other| other == item) {
                    let message = format!("items {i} and {} are equal, but must be unique", i + 1 + j);
                    return self.report(DriftKind::BrokenConstraint, at, message);
                }
            }
        }
        Ok(())
    }

    /// `map` against the parts. `known` holds the property names an
    /// enclosing schema documents for it (see [`Walker::value`]).
    fn object(
        &mut self,
        parts: &Parts<'s>,
        map: &Map<String, Value>,
        at: &Loc<'_>,
        known: &BTreeSet<&'s str>,
        depth: usize,
    ) -> Step {
        // A property that does not travel this way (`readOnly` in a request).
        let why = match self.direction {
            Direction::Request => "read-only: the server sets it, a request may not send it",
            Direction::Response => "write-only: a response never carries it",
        };
        let mut documented = self.marks.pop().unwrap_or_default();
        documented.clear();
        documented.resize(map.len(), false);
        for schema in parts {
            let stays_behind =
                |walker: &Self, name: &str| schema.table.and_then(|t| walker.tables[t].get(name)).is_some_and(|p| p.2);
            let missing = |walker: &mut Self| {
                for name in schema.required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(name) && !stays_behind(walker, name) {
                        walker.report(DriftKind::MissingRequired, Loc::Field(at, name), "required")?;
                    }
                }
                Ok(())
            };
            // Collecting all, the required properties are counted as the
            // keys go by, and looked for only if some are missing; stopping
            // at the first, a missing one is the first difference.
            let counted = self.mode == Mode::All && schema.required_listed;
            if !counted {
                missing(self)?;
            }
            if schema.hides
                && let Some(sent) = map.keys().find(|key| stays_behind(self, key))
            {
                self.report(DriftKind::BrokenConstraint, Loc::Field(at, sent), why)?;
            }
            if schema.object_bounds {
                let len = map.len() as u64;
                let bound = |key: &str| schema.map.get(key).and_then(Value::as_u64);
                if let Some(min) = bound("minProperties").filter(|min| len < *min) {
                    self.report(DriftKind::BrokenConstraint, at, format!("has {len} properties, fewer than {min}"))?;
                }
                if let Some(max) = bound("maxProperties").filter(|max| len > *max) {
                    self.report(DriftKind::BrokenConstraint, at, format!("has {len} properties, more than {max}"))?;
                }
            }
            let mut required = 0;
            for (i, (key, value)) in map.iter().enumerate() {
                let here = Loc::Field(at, key);
                let property = schema.table.and_then(|t| self.tables[t].get(key.as_str()).copied());
                documented[i] |= property.is_some();
                required += usize::from(property.is_some_and(|(_, required, _)| required));
                match (property.map(|(schema, ..)| schema), schema.additional) {
                    (Some(property), _) => {
                        self.value(property, value, &here, &BTreeSet::new(), depth + 1)?;
                    }
                    // Collecting all, the unknown fields below say it.
                    (None, Some(Value::Bool(false))) if self.mode == Mode::First => {
                        let message = "not a documented property (additionalProperties is false)";
                        self.report(DriftKind::UnknownField, here, message)?;
                    }
                    (None, Some(extra @ Value::Object(_))) => {
                        self.value(extra, value, &here, &BTreeSet::new(), depth + 1)?;
                    }
                    _ => {}
                }
            }
            if counted && required < schema.required.len() {
                missing(self)?;
            }
        }
        let marks = documented;
        if self.mode == Mode::First {
            self.marks.push(marks);
            return Ok(());
        }
        let open = parts.iter().any(|s| match s.additional {
            Some(Value::Bool(true)) => true,
            Some(Value::Object(extra)) => extra.is_empty(),
            _ => false,
        });
        let documents_properties = parts.iter().any(|s| s.map.contains_key("properties"));
        let typed_extra = parts.iter().any(|s| s.additional.is_some_and(Value::is_object));
        // A free-form object (no properties listed) is not drift.
        let free = open || typed_extra || !documents_properties && parts.iter().all(|s| s.additional.is_none());
        let unknown =
            map.iter().zip(&marks).filter(|((key, _), marked)| !free && !**marked && !known.contains(key.as_str()));
        for ((key, value), _) in unknown {
            let what = match value {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                Value::String(_) => "a string",
                Value::Array(_) => "an array",
                Value::Object(_) => "an object",
            };
            self.report(DriftKind::UnknownField, Loc::Field(at, key), format!("{what} the spec does not list"))?;
        }
        self.marks.push(marks);
        Ok(())
    }

    /// `anyOf`, `oneOf` and `not`, when stopping at the first difference.
    fn combinators(
        &mut self,
        schema: &'s Map<String, Value>,
        rule: Option<&str>,
        value: &Value,
        at: &Loc<'_>,
        depth: usize,
    ) -> Step {
        // Counts the alternatives that match, keeping the failures. An
        // alternative that fails on a missing property, a one-value enum (a
        // discriminator such as `channel: sms`), the value's type or a `not`
        // only says the value is meant for another alternative; when exactly
        // one alternative fails otherwise, the value was meant for it, and
        // its difference is the answer. Else the miss is explained by the
        // first alternative that fails otherwise, or by the first.
        for key in ["anyOf", "oneOf"] {
            let Some(alternatives) = schema.get(key).and_then(Value::as_array).filter(|l| !l.is_empty()) else {
                continue;
            };
            let mut failures = Vec::new();
            for alternative in alternatives {
                let tried = self.attempt(|w| w.value(alternative, value, at, &BTreeSet::new(), depth + 1));
                failures.extend(tried.into_iter().next());
            }
            match alternatives.len() - failures.len() {
                0 => {
                    let here = at.to_string();
                    let meant: Vec<usize> =
                        (0..failures.len()).filter(|i| !other_branch(&failures[*i], &here)).collect();
                    if let [only] = meant.as_slice() {
                        self.findings.push(failures.swap_remove(*only));
                        return Err(Stop);
                    }
                    let explained = match meant.first() {
                        Some(&i) if i > 0 => format!("the closest fails with {}", failures[i]),
                        _ => failures.first().map(|e| format!("the first fails with {e}")).unwrap_or_default(),
                    };
                    let message = match rule {
                        Some(rule) => format!("{rule} ({explained})"),
                        None => format!("matches none of the {} {key} alternatives ({explained})", alternatives.len()),
                    };
                    return self.report(DriftKind::BrokenConstraint, at, message);
                }
                n if n > 1 && key == "oneOf" => {
                    let message = format!("matches {n} of the oneOf alternatives, but must match exactly one");
                    return self.report(DriftKind::BrokenConstraint, at, message);
                }
                _ => {}
            }
        }
        if let Some(not) = schema.get("not")
            && self.attempt(|w| w.value(not, value, at, &BTreeSet::new(), depth + 1)).is_empty()
        {
            return self.report(DriftKind::BrokenConstraint, at, "matches the schema under `not`");
        }
        Ok(())
    }
}

/// How badly a value missed an alternative, by the `findings` of its
/// attempt: differences at its root `at` (a type, a one-value
/// discriminator) weigh most, then every other one.
fn miss(findings: &[Finding], at: &Loc<'_>) -> usize {
    let at = at.to_string();
    let weight = |finding: &Finding| match finding.kind {
        DriftKind::TypeMismatch | DriftKind::UnlistedEnumValue if finding.location == at => 1000,
        DriftKind::MissingRequired | DriftKind::UnlistedEnumValue => 10,
        _ => 1,
    };
    findings.iter().map(weight).sum()
}

/// Whether a difference only says the value at `here` belongs to another
/// alternative of a `oneOf`/`anyOf` (see [`Walker::combinators`]). A type
/// that differs says so at the value itself; within it (a field of an
/// object whose discriminator matched), the value was meant for this one.
fn other_branch(finding: &Finding, here: &str) -> bool {
    const TYPES: [&str; 7] = ["a string", "an integer", "a number", "a boolean", "an array", "an object", "a null"];
    let message = finding.message.as_str();
    message == "required"
        || message == "matches the schema under `not`"
        || message.split_once(" is not one of ").is_some_and(|(_, allowed)| !allowed.contains(", "))
        || (finding.location == here && message.rsplit_once(" is not ").is_some_and(|(_, ty)| TYPES.contains(&ty)))
}

/// A schema object's identity within its (shared, never changed) spec: the
/// key of [`SpecValidator::inferred`].
pub(super) fn node_key(node: &Map<String, Value>) -> usize {
    std::ptr::from_ref(node) as usize
}

pub(super) fn is_inferred(provenance: &Value) -> bool {
    provenance.get("status").and_then(Value::as_str) == Some("inferred")
}

/// Calls `f` with every object of a document outside its examples, and the
/// object's JSON pointer (`/components/schemas/A`); stops at `f`'s first error.
pub(super) fn visit<'v>(
    node: &'v Value,
    pointer: &mut String,
    f: &mut impl FnMut(&'v Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    let len = pointer.len();
    let children: Vec<(String, &Value)> = match node {
        Value::Object(map) => {
            f(node, pointer)?;
            let documents = map.iter().filter(|(key, _)| !matches!(key.as_str(), "example" | "examples"));
            documents.map(|(key, value)| (escape(key), value)).collect()
        }
        Value::Array(items) => items.iter().enumerate().map(|(i, value)| (i.to_string(), value)).collect(),
        _ => Vec::new(),
    };
    for (segment, child) in children {
        pointer.push('/');
        pointer.push_str(&segment);
        visit(child, pointer, f)?;
        pointer.truncate(len);
    }
    Ok(())
}

/// A value as quoted in messages: scalars as JSON, containers by kind.
fn show(value: &Value) -> String {
    match value {
        Value::String(text) => show_str(text),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => value.as_number().is_some_and(|n| whole(n).is_some()),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// The number as an integer, if it is a whole one (`3.0` included).
fn whole(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e38).map(|f| f as i128))
}

fn check_number(schema: &Map<String, Value>, n: &Number) -> Result<(), String> {
    let format = schema.get("format").and_then(Value::as_str).unwrap_or_default();
    let range = match format {
        "int32" => Some((i128::from(i32::MIN), i128::from(i32::MAX))),
        "int64" => Some((i128::from(i64::MIN), i128::from(i64::MAX))),
        _ => None,
    };
    let too_big_a_float =
        format == "float" && n.as_f64().is_some_and(|x| x.is_finite() && x.abs() > f64::from(f32::MAX));
    if too_big_a_float || range.zip(whole(n)).is_some_and(|((low, high), v)| !(low..=high).contains(&v)) {
        return Err(format!("{n} is out of range for {format}"));
    }
    let x = n.as_f64().unwrap_or(f64::NAN);
    let bound = |key: &str| schema.get(key).filter(|b| b.is_number()).map(|b| (b, b.as_f64().unwrap_or(f64::NAN)));
    let exclusive = |key: &str| schema.get(key).and_then(Value::as_bool) == Some(true);
    if let Some((shown, min)) = bound("minimum") {
        if exclusive("exclusiveMinimum") && x <= min {
            return Err(format!("{n} is not greater than the exclusive minimum {shown}"));
        }
        if x < min {
            return Err(format!("{n} is less than the minimum {shown}"));
        }
    }
    if let Some((shown, max)) = bound("maximum") {
        if exclusive("exclusiveMaximum") && x >= max {
            return Err(format!("{n} is not less than the exclusive maximum {shown}"));
        }
        if x > max {
            return Err(format!("{n} is greater than the maximum {shown}"));
        }
    }
    if let Some((shown, step)) = bound("multipleOf").filter(|(_, step)| *step > 0.0) {
        let quotient = x / step;
        if (quotient - quotient.round()).abs() > 1e-9 {
            return Err(format!("{n} is not a multiple of {shown}"));
        }
    }
    Ok(())
}

/// Checks a string against the schema's `format`, `pattern` and `x-format`.
fn check_string(schema: &Map<String, Value>, text: &str, patterns: &FxHashMap<String, Regex>) -> Result<(), String> {
    let format = schema.get("format").and_then(Value::as_str);
    // The formats checked, and what a string of each should be; others only annotate.
    type Format = (&'static str, fn(&str) -> bool, &'static str);
    let formats: [Format; 9] = [
        ("date-time", |t| parse_date_time(t).is_some(), "a date-time (RFC 3339, e.g. 2024-03-20T12:00:00Z)"),
        ("date", |t| parse_date(t).is_some(), "a date (YYYY-MM-DD, e.g. 2024-03-20)"),
        ("email", is_email, "an email address (name@example.com)"),
        ("uuid", is_uuid, "a UUID (8-4-4-4-12 hex digits)"),
        ("uri", |t| reqwest::Url::parse(t).is_ok(), "an absolute URI (https://example.com/x)"),
        ("byte", is_base64, "base64 (RFC 4648, padded)"),
        ("ipv4", |t| t.parse::<std::net::Ipv4Addr>().is_ok(), "an IPv4 address"),
        ("ipv6", |t| t.parse::<std::net::Ipv6Addr>().is_ok(), "an IPv6 address"),
        ("hostname", is_hostname, "a host name"),
    ];
    if let Some((_, _, expected)) = formats.iter().find(|(name, fits, _)| Some(*name) == format && !fits(text)) {
        return Err(format!("{} is not {expected}", show_str(text)));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
        && let Some(regex) = patterns.get(pattern)
        && !regex.is_match(text)
    {
        // `\S` and the like refuse a blank text: say so rather than quote the regex.
        let blank = if text.trim().is_empty() { "must not be blank: it " } else { "" };
        return Err(format!("{} {blank}does not match the pattern {pattern}", show_str(text)));
    }
    if schema.get("x-format").and_then(Value::as_str) == Some("e164") && !is_e164(text) {
        return Err(format!(
            "{} is not an E.164 phone number (+, country code and number, digits only, e.g. +14155552671)",
            show_str(text)
        ));
    }
    Ok(())
}

/// `local@domain`: a non-empty local part and a dotted domain, no spaces.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.rsplit_once('@') else { return false };
    !local.is_empty() && !text.chars().any(char::is_whitespace) && domain.contains('.') && is_hostname(domain)
}

fn is_uuid(text: &str) -> bool {
    let fits = |(i, b): (usize, u8)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() };
    text.len() == 36 && text.bytes().enumerate().all(fits)
}

/// RFC 4648 base64 with padding (the OpenAPI `byte` format).
fn is_base64(text: &str) -> bool {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).is_ok()
}

/// RFC 1123 host name: dot-separated labels of 1 to 63 letters, digits and
/// inner hyphens, 253 characters at most.
fn is_hostname(text: &str) -> bool {
    text.len() <= 253
        && text.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}
