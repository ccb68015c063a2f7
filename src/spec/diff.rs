//! What an edit of a spec changes for each audience: the generated Rust, the
//! CLI's commands and flags, and the sandbox. `convo spec diff` prints it.
//!
//! Generated types are `#[non_exhaustive]`, built through builders, and enums
//! are open, so an addition a caller need not send is additive. Breaking are:
//! a removal (and so a rename); a type or format change; a field that became
//! required or optional (`T` against `Option<T>`); a request rule that now
//! refuses what it accepted, since the client checks the spec before sending.
//! Response bounds only describe, but one that chooses the Rust type changes
//! it either way: a length bound makes a string a checked newtype (build.rs
//! keeps a lone `minLength: 1` a `String`), `minimum: 1` an integer `NonZero`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::model::{self, Spec, case, enum_values, type_of};
use super::walk::Direction;
use Impact::{Additive, Breaking, None as Nothing};

/// How much a change matters to one audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Impact {
    None,
    Additive,
    Breaking,
}

/// One change between two versions of a spec.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Change {
    /// Where: `listConversations query parameter per_page`, `schema Conversation.platform`.
    pub at: String,
    /// What, in words: `added (optional)`, `became required`, `type string → integer`.
    pub what: String,
    pub rust: Impact,
    pub cli: Impact,
    /// The command line's change in its own words (`flag --per-page added`).
    pub cli_note: Option<String>,
    /// What the sandbox does now that it did not (`refuses requests without it`).
    pub sandbox: Option<String>,
}

impl Change {
    /// Whether any audience must change something.
    #[must_use]
    pub fn is_breaking(&self) -> bool {
        self.rust == Breaking || self.cli == Breaking
    }
}

/// Every change from `old` to `new`, operations in the new spec's order.
#[must_use]
pub fn diff(old: &Spec, new: &Spec) -> Vec<Change> {
    let mut d = Differ { old, new, out: Vec::new(), seen: BTreeSet::new() };
    d.document();
    d.out
}

struct Differ<'s> {
    old: &'s Spec,
    new: &'s Spec,
    out: Vec<Change>,
    /// The `$ref` pairs compared already, each way.
    seen: BTreeSet<(String, Direction)>,
}

/// The constraints a request value must keep, and whether a larger value is tighter.
const BOUNDS: [(&str, bool); 6] = [
    ("maxLength", false),
    ("maximum", false),
    ("maxItems", false),
    ("minLength", true),
    ("minimum", true),
    ("minItems", true),
];

/// Whether the bounds make a schema's Rust type a string newtype, or a
/// `NonZero` integer (see the module's doc).
fn rust_type(schema: &Value) -> (bool, bool) {
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let length = (bound("minLength"), bound("maxLength"));
    let newtype = type_of(schema) == Some("string") && !matches!(length, (None | Some(1.0), None));
    (newtype, type_of(schema) == Some("integer") && bound("minimum") == Some(1.0))
}

impl Differ<'_> {
    /// Notes a change (`sandbox` empty when the sandbox does nothing new).
    fn push(&mut self, at: &str, what: impl Into<String>, rust: Impact, cli: Impact, sandbox: &str) -> &mut Change {
        let (what, sandbox) = (what.into(), (!sandbox.is_empty()).then(|| sandbox.to_owned()));
        // A schema used both ways is one change, as much as either way makes it.
        let index = self.out.iter().position(|c| c.at == at && c.what == what).unwrap_or(self.out.len());
        if index == self.out.len() {
            self.out.push(Change { at: at.to_owned(), what, rust: Nothing, cli: Nothing, cli_note: None, sandbox });
        }
        let change = &mut self.out[index];
        (change.rust, change.cli) = (change.rust.max(rust), change.cli.max(cli));
        change
    }

    fn document(&mut self) {
        let (old, new) = (self.old, self.new);
        if old.servers.first() != new.servers.first() {
            let to = new.servers.first().map_or("none", String::as_str);
            self.push("servers", format!("default server → {to}"), Nothing, Nothing, "");
        }
        for scheme in &old.security_schemes {
            let at = format!("security scheme {}", scheme.name);
            match new.security_scheme(&scheme.name) {
                Some(now) if now.carrier != scheme.carrier => {
                    let what = format!("carried {:?} → {:?}", scheme.carrier, now.carrier);
                    self.push(&at, what, Nothing, Nothing, "expects it there");
                }
                Some(_) => {}
                None => {
                    self.push(&at, "removed", Breaking, Breaking, "").cli_note =
                        Some(format!("setting {} removed", scheme.setting()))
                }
            }
        }
        for scheme in new.security_schemes.iter().filter(|s| old.security_scheme(&s.name).is_none()) {
            self.push(&format!("security scheme {}", scheme.name), "added", Additive, Additive, "");
        }
        for op in &old.operations {
            match new.operation(&op.id) {
                Some(now) => self.operation(op, now),
                None => {
                    let renamed = new.operations.iter().find(|n| n.method == op.method && n.path == op.path);
                    let what = renamed.map_or("removed".to_owned(), |n| format!("operationId renamed to {}", n.id));
                    let at = format!("operation {}", op.id);
                    let gone = format!("no longer serves {} {}", op.method.to_uppercase(), op.path);
                    let sandbox = if renamed.is_some() { String::new() } else { gone };
                    self.push(&at, what, Breaking, Breaking, &sandbox).cli_note =
                        Some(format!("command {} removed", command(op)));
                }
            }
        }
        // An operation whose method and path were another id's is that one renamed.
        let renamed = |n: &model::Operation| old.operations.iter().any(|o| o.method == n.method && o.path == n.path);
        for op in new.operations.iter().filter(|n| old.operation(&n.id).is_none() && !renamed(n)) {
            let sandbox = format!("serves {} {}", op.method.to_uppercase(), op.path);
            self.push(&format!("operation {}", op.id), "added", Additive, Additive, &sandbox).cli_note =
                Some(format!("command {} added", command(op)));
        }
        self.filter_tables();
    }

    fn operation(&mut self, old: &model::Operation, new: &model::Operation) {
        let at = format!("operation {}", old.id);
        if (&old.method, &old.path) != (&new.method, &new.path) {
            let route = |o: &model::Operation| format!("{} {}", o.method.to_uppercase(), o.path);
            let (from, to) = (route(old), route(new));
            self.push(&at, format!("moved from {from} to {to}"), Nothing, Nothing, &format!("no longer serves {from}"));
        }
        if old.server != new.server {
            self.push(&at, format!("server → {}", new.server.as_deref().unwrap_or("the spec's")), Nothing, Nothing, "");
        }
        if old.security != new.security {
            // Kept: anyone may call now, or every caller let in before still is.
            let still_in = |was: &Vec<String>| new.security.iter().any(|now| now.iter().all(|s| was.contains(s)));
            let kept = new.security.is_empty() || (!old.security.is_empty() && old.security.iter().all(still_in));
            let impact = if kept { Additive } else { Breaking };
            let what = format!("security {} → {}", alternatives(&old.security), alternatives(&new.security));
            self.push(&at, what, impact, impact, "asks for the new credentials");
        }
        match (&old.paging, &new.paging) {
            (None, Some(_)) => {
                self.push(&at, "now pages", Additive, Additive, "").cli_note =
                    Some("--all, --checkpoint and --resume added".into());
            }
            (Some(_), None) => {
                self.push(&at, "no longer pages", Breaking, Breaking, "").cli_note = Some("--all removed".into());
            }
            _ => {}
        }
        let (was, now) = (command(old), command(new));
        let last_word = old.cli.as_ref().and_then(|o| o.name.last());
        let aliased = new.cli.as_ref().is_some_and(|c| last_word.is_some_and(|w| c.aliases.contains(w)));
        if was != now && !aliased {
            self.push(&at, "command renamed", Nothing, Breaking, "").cli_note = Some(format!("command {was} → {now}"));
        }
        self.parameters(old, new, &old.id);
        self.request_body(old, new, &old.id);
        self.responses(old, new, &old.id);
    }

    fn parameters(&mut self, old: &model::Operation, new: &model::Operation, op: &str) {
        let label = |p: &model::Parameter| format!("{op} {} parameter {}", p.location.as_str(), p.name);
        let flag = |p: &model::Parameter| format!("--{}", p.cli.flag.clone().unwrap_or_else(|| case(&p.name, '-')));
        for p in &old.parameters {
            let at = label(p);
            let Some(n) = new.parameters.iter().find(|n| n.name == p.name && n.location == p.location) else {
                self.push(&at, "removed", Breaking, Breaking, "refuses it").cli_note =
                    Some(format!("flag {} removed", flag(p)));
                continue;
            };
            if !p.required && n.required {
                self.push(&at, "became required", Breaking, Breaking, "refuses requests without it").cli_note =
                    Some(format!("flag {} became required", flag(n)));
            } else if p.required && !n.required {
                self.push(&at, "became optional", Nothing, Additive, "accepts requests without it");
            }
            if flag(p) != flag(n) && !n.cli.aliases.contains(&flag(p)[2..].to_owned()) {
                self.push(&at, "flag renamed", Nothing, Breaking, "").cli_note =
                    Some(format!("flag {} → {}", flag(p), flag(n)));
            }
            let (was, now) = (
                p.json_schema.as_ref().unwrap_or(&p.written_schema),
                n.json_schema.as_ref().unwrap_or(&n.written_schema),
            );
            self.schema(&at, Direction::Request, was, now, 0, false);
        }
        let is_old = |n: &model::Parameter| old.parameters.iter().any(|p| p.name == n.name && p.location == n.location);
        for n in new.parameters.iter().filter(|n| !is_old(n)) {
            let (what, impact, sandbox) = match n.required {
                true => ("added (required)", Breaking, "refuses requests without it"),
                false => ("added (optional)", Additive, "accepts it"),
            };
            self.push(&label(n), what, impact, impact, sandbox).cli_note = Some(format!("flag {} added", flag(n)));
        }
    }

    fn request_body(&mut self, old: &model::Operation, new: &model::Operation, op: &str) {
        let at = format!("{op} request body");
        match (&old.request_body, &new.request_body) {
            (None, Some(b)) => {
                let (impact, how) = if b.required { (Breaking, "required") } else { (Additive, "optional") };
                self.push(&at, format!("added ({how})"), impact, impact, "");
            }
            (Some(_), None) => {
                self.push(&at, "removed", Breaking, Breaking, "refuses a body");
            }
            (Some(was), Some(now)) => {
                if !was.required && now.required {
                    self.push(&at, "became required", Breaking, Breaking, "refuses requests without one");
                } else if was.required && !now.required {
                    self.push(&at, "became optional", Nothing, Additive, "accepts requests without one");
                }
                self.media(&at, Direction::Request, &was.content, &now.content);
            }
            (None, None) => {}
        }
    }

    fn responses(&mut self, old: &model::Operation, new: &model::Operation, op: &str) {
        let success = |status: &str| status.starts_with('2');
        // The generated method's return type is made of the success
        // responses' contents: a success added or removed beside another
        // of the same content keeps it.
        let contents = |o: &model::Operation| -> BTreeSet<Vec<(String, String)>> {
            let found = o.responses.iter().filter(|r| success(&r.status));
            found.map(|r| r.content.iter().map(|m| (m.name.clone(), m.written_schema.to_string())).collect()).collect()
        };
        let retyped = contents(old) != contents(new);
        for r in &old.responses {
            let at = format!("{op} response {}", r.status);
            if let Some(n) = new.responses.iter().find(|n| n.status == r.status) {
                self.media(&at, Direction::Response, &r.content, &n.content);
            } else {
                let impact = if success(&r.status) && retyped { Breaking } else { Nothing };
                self.push(&at, "removed", impact, Nothing, "no longer answers it");
            }
        }
        let had_success = old.responses.iter().any(|r| success(&r.status));
        for n in new.responses.iter().filter(|n| !old.responses.iter().any(|r| r.status == n.status)) {
            let rust = if success(&n.status) && had_success && retyped { Breaking } else { Additive };
            self.push(&format!("{op} response {}", n.status), "added", rust, Nothing, "may answer it");
        }
    }

    /// The media types of a body or response and their JSON schemas.
    fn media(&mut self, at: &str, way: Direction, was: &[model::MediaType], now: &[model::MediaType]) {
        for media in was {
            match now.iter().find(|m| m.name == media.name) {
                Some(next) => self.schema(at, way, &media.written_schema, &next.written_schema, 0, false),
                None => {
                    let impact = if way == Direction::Request || was.len() == 1 { Breaking } else { Nothing };
                    self.push(at, format!("media type {} removed", media.name), impact, impact, "");
                }
            }
        }
        for media in now.iter().filter(|m| !was.iter().any(|w| w.name == m.name)) {
            self.push(at, format!("media type {} added", media.name), Additive, Nothing, "");
        }
    }

    /// Compares two schemas (either may be a `$ref`) at `at`, `way` deciding
    /// what each difference means.
    /// `optional`: a property required on neither side, already `Option<T>`
    /// in Rust whether it is nullable or not.
    fn schema(&mut self, at: &str, way: Direction, was: &Value, now: &Value, depth: usize, optional: bool) {
        if depth > 32 {
            return;
        }
        let mut at = at.to_owned();
        // Each pair of `$ref`s is compared once a way: a schema used in many
        // places is reported once, and a recursive one ends.
        let refs = [was, now].map(|s| s.get("$ref").and_then(Value::as_str).unwrap_or_default());
        if refs != ["", ""] && !self.seen.insert((refs.join(" "), way)) {
            return;
        }
        if let (Some(a), Some(b)) = (component(was), component(now))
            && a == b
        {
            at = format!("schema {a}");
        }
        let (was, now) = (self.old.resolve(was), self.new.resolve(now));
        let request = way == Direction::Request;
        // What a command line user feels: what they send, not what they read.
        let cli = |impact| if request { impact } else { Nothing };
        let (old_type, new_type) = (type_of(was), type_of(now));
        if old_type != new_type {
            let what = format!("type {} → {}", old_type.unwrap_or("any"), new_type.unwrap_or("any"));
            self.push(&at, what, Breaking, cli(Breaking), "checks the new type");
            return;
        }
        let text = |s: &Value, key: &str| s.get(key).map(Value::to_string);
        if text(was, "format") != text(now, "format") {
            let what = format!("format {}", from_to(text(was, "format"), text(now, "format")));
            self.push(&at, what, Breaking, cli(Breaking), "checks the new format");
        }
        let nullable = |s: &Value| s.get("nullable").and_then(Value::as_bool) == Some(true);
        // `T` and `Option<T>` in Rust, unless optional anyway; a request
        // refuses null now.
        let retyped = |impact| if optional { Nothing } else { impact };
        let nullability = match (nullable(was), nullable(now)) {
            (false, true) => Some(("became nullable", if request { Nothing } else { retyped(Breaking) }, Nothing)),
            (true, false) => Some(("no longer nullable", retyped(Breaking), cli(Breaking))),
            _ => None,
        };
        if let Some((what, rust, cli)) = nullability {
            let sandbox = if what == "became nullable" { "accepts null" } else { "refuses null" };
            self.push(&at, what, rust, cli, sandbox);
        }
        let (old_values, new_values) = (enum_values(was), enum_values(now));
        for value in old_values.iter().filter(|v| !new_values.contains(v)) {
            let sandbox = if request { "refuses it" } else { "no longer answers it" };
            self.push(&at, format!("enum value {value:?} removed"), Breaking, cli(Breaking), sandbox);
        }
        if !old_values.is_empty() {
            for value in new_values.iter().filter(|v| !old_values.contains(v)) {
                let sandbox = if request { "accepts it" } else { "may answer it" };
                self.push(&at, format!("enum value {value:?} added"), Additive, cli(Additive), sandbox);
            }
        }
        self.bounds(&at, way, was, now);
        self.properties(&at, way, was, now, depth);
        if let (Some(a), Some(b)) = (was.get("items"), now.get("items")) {
            self.schema(&format!("{at}[]"), way, a, b, depth + 1, false);
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            let branches = |s: &'_ Value| s.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
            let (a, b) = (branches(was), branches(now));
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                self.schema(&format!("{at} {key}[{i}]"), way, x, y, depth + 1, optional);
            }
            // A branch more of a `oneOf` is a variant more of a non-exhaustive enum.
            let more = if key == "allOf" { Breaking } else { Additive };
            if b.len() > a.len() {
                self.push(&at, format!("{key} branch added"), more, cli(Additive), "");
            } else if b.len() < a.len() {
                self.push(&at, format!("{key} branch removed"), Breaking, cli(Breaking), "");
            }
        }
    }

    /// A bound: in a request, tighter refuses values that passed, looser
    /// accepts more; either way, one that chooses the Rust type changes it.
    fn bounds(&mut self, at: &str, way: Direction, was: &Value, now: &Value) {
        let retyped = rust_type(was) != rust_type(now);
        for (key, larger_is_tighter) in BOUNDS {
            let (a, b) = (was.get(key).and_then(Value::as_f64), now.get(key).and_then(Value::as_f64));
            let tighter = match (a, b) {
                (Some(a), Some(b)) if a != b => (b > a) == larger_is_tighter,
                (None, Some(_)) => true,
                (Some(_), None) => false,
                _ => continue,
            };
            let show = |v: Option<f64>| v.map(|v| v.to_string());
            self.bound(at, way, format!("{key} {}", from_to(show(a), show(b))), tighter, retyped);
        }
        // build.rs drops patterns before generating types.
        let pattern = |s: &Value| s.get("pattern").map(Value::to_string);
        if pattern(was) != pattern(now) {
            let what = format!("pattern {}", from_to(pattern(was), pattern(now)));
            self.bound(at, way, what, pattern(now).is_some(), false);
        }
    }

    fn bound(&mut self, at: &str, way: Direction, what: String, tighter: bool, retyped: bool) {
        let (rust, cli, sandbox) = match (way, tighter) {
            (Direction::Request, true) => (Breaking, Breaking, "refuses values it accepted"),
            (Direction::Request, false) => {
                (if retyped { Breaking } else { Nothing }, Additive, "accepts values it refused")
            }
            (Direction::Response, _) if retyped => (Breaking, Nothing, ""),
            (Direction::Response, _) => return,
        };
        self.push(at, what, rust, cli, sandbox);
    }

    fn properties(&mut self, at: &str, way: Direction, was: &Value, now: &Value, depth: usize) {
        let request = way == Direction::Request;
        let properties = |s: &Value| s.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        let required = |s: &Value| enum_values(&serde_json::json!({ "enum": s.get("required") }));
        let (old_props, new_props, old_req, new_req) = (properties(was), properties(now), required(was), required(now));
        for (name, schema) in &old_props {
            let field = format!("{at}.{name}");
            let Some(next) = new_props.get(name) else {
                let sandbox = if request { "refuses it" } else { "no longer answers it" };
                self.push(&field, "removed", Breaking, Breaking, sandbox);
                continue;
            };
            // Its Rust type changes between `T` and `Option<T>`, either way.
            let required = match (old_req.contains(name), new_req.contains(name), request) {
                (false, true, true) => Some(("became required", Breaking, "refuses bodies without it")),
                (false, true, false) => Some(("became required", Nothing, "always answers it")),
                (true, false, true) => Some(("became optional", Additive, "accepts bodies without it")),
                (true, false, false) => Some(("became optional", Nothing, "may leave it out")),
                _ => None,
            };
            if let Some((what, cli, sandbox)) = required {
                self.push(&field, what, Breaking, cli, sandbox);
            }
            let optional = !old_req.contains(name) && !new_req.contains(name);
            self.schema(&field, way, schema, next, depth + 1, optional);
        }
        for name in new_props.keys().filter(|n| !old_props.contains_key(*n)) {
            let field = format!("{at}.{name}");
            let (what, impact, sandbox) = match (request, new_req.contains(name)) {
                (true, true) => ("added (required)", Breaking, "refuses bodies without it"),
                (true, false) => ("added (optional)", Additive, "accepts it"),
                (false, _) => ("added", Additive, "answers it"),
            };
            self.push(&field, what, impact, impact, sandbox);
        }
    }

    /// The `x-filter-table`s (Luware's): a row is a filter field; its operators and type.
    fn filter_tables(&mut self) {
        fn row_of<'r>(rows: &'r [model::FilterRow], field: &str) -> Option<&'r model::FilterRow> {
            rows.iter().find(|r| r.field == field)
        }
        let (old, new) = (self.old, self.new);
        for table in &old.filter_tables {
            let name = &table.name;
            let next = new.filter_tables.iter().find(|t| t.name == *name).map_or(&[][..], |t| t.rows.as_slice());
            for row in &table.rows {
                let at = format!("filter table {name} row {}", row.field);
                let Some(new_row) = row_of(next, &row.field) else {
                    self.push(&at, "removed", Breaking, Breaking, "refuses filters on it");
                    continue;
                };
                if row.kind != new_row.kind {
                    self.push(&at, "type changed", Breaking, Breaking, "reads its values as the new type");
                }
                for op in row.operators.iter().filter(|o| !new_row.operators.contains(o)) {
                    self.push(&at, format!("operator {op} removed"), Breaking, Breaking, "refuses it");
                }
                for op in new_row.operators.iter().filter(|o| !row.operators.contains(o)) {
                    self.push(&at, format!("operator {op} added"), Additive, Additive, "accepts it");
                }
            }
            // The Rust enum's variants are in the rows' order: a row put
            // before an old one shifts the old ones' discriminants (an `as`
            // cast reads them), so only a row appended is additive.
            let last_old = next.iter().rposition(|r| row_of(&table.rows, &r.field).is_some());
            for (i, row) in next.iter().enumerate().filter(|(_, r)| row_of(&table.rows, &r.field).is_none()) {
                let before = last_old.is_some_and(|last| i < last);
                let (what, rust) = if before { ("added before existing rows", Breaking) } else { ("added", Additive) };
                self.push(&format!("filter table {name} row {}", row.field), what, rust, Additive, "filters on it");
            }
        }
    }
}

/// `old → new`, `none` standing for an absent value.
fn from_to(old: Option<String>, new: Option<String>) -> String {
    format!("{} → {}", old.as_deref().unwrap_or("none"), new.as_deref().unwrap_or("none"))
}

/// The component a schema names by `$ref`, if it does.
fn component(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

/// An operation's command: `x-cli`'s words, else its id in kebab case.
fn command(op: &model::Operation) -> String {
    op.cli.as_ref().filter(|c| !c.name.is_empty()).map_or_else(|| case(&op.id, '-'), |c| c.name.join(" "))
}

fn alternatives(security: &[Vec<String>]) -> String {
    if security.is_empty() {
        return "none".into();
    }
    security.iter().map(|a| a.join(" + ")).collect::<Vec<_>>().join(" or ")
}
