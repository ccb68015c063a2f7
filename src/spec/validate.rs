//! Checks every request a sandbox receives, and every response it sends,
//! against the API's OpenAPI 3.0 spec, so that the emulators are at least as
//! strict as the real services. [`SpecValidator`] derives the checks from the
//! spec once: it routes a request to its operation, decodes and type-checks
//! its parameters and body, and names the first rule broken (`query parameter
//! sortOrder: "up" is not one of asc, desc`).
//! [`SpecValidator::validate_response`] applies the same schemas to the
//! emulator's own answers.
//!
//! # Supported OpenAPI 3.0 subset
//!
//! - Routing: whole-segment (`/{id}`) or affixed (`/{id}.json`) path
//!   parameters; a literal segment beats an affixed parameter, which beats a
//!   bare one. Path-item `parameters` apply, operation ones override them.
//!   `servers` is ignored, and a trailing slash is a different path.
//! - Parameters: `path` (style `simple`), `query` (style `form`, exploded
//!   arrays as repeated keys; `explode: false`, `spaceDelimited` and
//!   `pipeDelimited` split one value) and `header` (`Accept`, `Content-Type`
//!   and `Authorization` ignored, as OpenAPI requires); cookies are ignored.
//!   Texts are coerced to the schema's scalar type, or arrays of them; a
//!   parameter with JSON `content` carries a JSON document.
//! - Request bodies: `required`, content types (`*/*` and `type/*` too), JSON
//!   validated, forms decoded field by field against the schema's own
//!   `properties`; other media types are accepted as bytes.
//! - Schemas: local `$ref`s, `type`, `nullable`, `enum`, the formats `int32`,
//!   `int64`, `float`, `date-time` (RFC 3339; as the vendors write it, a space
//!   for the `T` and no offset, read as UTC, are accepted), `date`, `email`,
//!   `uuid`, `uri`, `byte`, `ipv4`, `ipv6` and `hostname` (others only
//!   annotate), `readOnly`/`writeOnly`, `pattern` (the `regex` crate), the
//!   numeric, length, item and property bounds, `uniqueItems`, `items`,
//!   `properties`, `required`, `additionalProperties`, `allOf`, `anyOf`,
//!   `oneOf` (exactly one) and `not`.
//! - Responses: the exact status, then its range (`2XX`), then `default`.
//! - Security: not validated here; [`SpecValidator::security`] names what an
//!   operation asks for, and the sandbox checks it first.
//!
//! The wire extensions of `specs/EXTENSIONS.md` the model reads
//! (`x-required-unless`, `x-exclusive`, `x-not-with`, `x-on-maximum: clamp`,
//! `x-content-schema`, `x-range`, `x-lenient`) are enforced, and so are
//! `x-format: e164` ([`is_e164`], the one known) and `x-check`. Not supported:
//! `discriminator` (every alternative is tried), `deepObject`, object-typed
//! parameters and external `$ref`s, which [`SpecValidator::new`] rejects;
//! a `HEAD` request needs a `head` operation.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use regex::Regex;
use rustc_hash::FxHashMap;
use serde_json::{Map, Number, Value};

use super::lenient::{self, Place, Rule, Rules};
use super::model::{self, Location, is_json};
pub(crate) use super::model::{deref, essence};
use super::security::{self, Requirement};
use super::walk::{self, Direction, Loc, Mode, Walker, visit};

/// Longest string value quoted verbatim in a message.
const MAX_SHOWN: usize = 80;
/// Stands for an absent schema, which accepts anything.
static ANY: Value = Value::Null;

/// Decoded `name=value` pairs of a query string or form.
type Pairs = Vec<(String, String)>;

/// Request and response checks derived from one OpenAPI 3.0 spec.
#[derive(Debug, Clone)]
pub struct SpecValidator {
    /// The spec, kept to resolve `$ref`s while validating; shared by clones,
    /// so that its nodes keep their addresses (see `inferred`).
    pub(super) spec: Doc,
    /// The JSON pointer of every schema object marked inferred
    /// (`x-provenance`), by its address ([`walk::node_key`]): the survey
    /// notes which inferred facts an answer confirms without building
    /// pointers as it walks.
    pub(super) inferred: Arc<FxHashMap<usize, String>>,
    routes: Vec<Route>,
    /// The index in `routes` of each `operationId`.
    route_of: FxHashMap<String, usize>,
    /// What a request no operation takes must present: the schemes every
    /// operation asks for (see [`security::common`]).
    unrouted_security: Vec<Requirement>,
    /// Every `pattern` of the spec, compiled.
    pub(super) patterns: Arc<FxHashMap<String, Regex>>,
}

/// The model a validator is compiled from, which it keeps; as a [`Value`], its document.
#[derive(Debug, Clone)]
pub(super) enum Doc {
    Embedded(&'static model::Spec),
    Read(Arc<model::Spec>),
}

impl Doc {
    fn model(&self) -> &model::Spec {
        match self {
            Self::Embedded(model) => model,
            Self::Read(model) => model,
        }
    }
}

impl std::ops::Deref for Doc {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.model().doc
    }
}

/// What the validator needs of an incoming request.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// HTTP method, e.g. `GET` (case-insensitive).
    pub method: &'a str,
    /// Path as received, still percent-encoded, e.g. `/vfcrest/v1/conversations/abc`.
    pub path: &'a str,
    /// Raw query string without `?`, still percent-encoded.
    pub query: Option<&'a str>,
    /// Header names in lower case.
    pub headers: &'a [(String, String)],
    /// The whole body; empty when none was sent.
    pub body: &'a [u8],
}

/// A request that satisfies the spec, with what the handler needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedRequest {
    /// The operation's `operationId`, as spelt in the spec.
    pub operation_id: String,
    /// Percent-decoded path parameters, in template order.
    pub path_params: Vec<(String, String)>,
    /// Decoded query pairs in request order, after lenient rewrites (`x-on-maximum: clamp`).
    pub query: Vec<(String, String)>,
    /// The re-encoded query string when a lenient rule changed a value, so
    /// the caller can rewrite the URI the handler sees.
    pub rewritten_query: Option<String>,
    /// The body the handler should see instead of the one sent, when an
    /// `x-lenient` rule (`string-scalars`, `empty-body`) changed it.
    pub rewritten_body: Option<Vec<u8>>,
}

/// Why a request (or response) does not match the spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    /// No path template matches.
    #[error("no operation at {path}")]
    NotFound { path: String },
    /// The path exists, but not with this method; `allowed` lists the methods, comma-separated.
    #[error("method {method} not allowed at {path}; allowed: {allowed}")]
    MethodNotAllowed { method: String, path: String, allowed: String },
    /// A rule of the spec is broken at `location`, e.g. `request body.metadata[0].name`.
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

impl Violation {
    /// The HTTP status the sandbox answers with: 404, 405 or 400.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound { .. } => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::Invalid { .. } => 400,
        }
    }
}

fn invalid(location: impl fmt::Display, message: impl Into<String>) -> Violation {
    Violation::Invalid { location: location.to_string(), message: message.into() }
}

#[derive(Debug, Clone)]
struct Route {
    segments: Vec<Segment>,
    /// Per segment: 2 literal, 1 affixed parameter, 0 bare parameter; the
    /// highest rank wins when several templates match.
    rank: Vec<u8>,
    /// Its operations, one per method.
    methods: Vec<Operation>,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Param { prefix: String, name: String, suffix: String },
}

impl Segment {
    /// The still-encoded parameter text of `raw`, if this segment matches it.
    fn capture<'r>(&self, raw: &'r str) -> Option<&'r str> {
        match self {
            // Most segments have nothing to decode.
            Self::Literal(literal) if raw.contains('%') => {
                (percent_decode(raw).as_deref() == Some(literal.as_str())).then_some(raw)
            }
            Self::Literal(literal) => (raw == literal).then_some(raw),
            Self::Param { prefix, suffix, .. } => raw
                .strip_prefix(prefix.as_str())
                .and_then(|rest| rest.strip_suffix(suffix.as_str()))
                .filter(|value| !value.is_empty()),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Operation {
    /// As the spec model reads it: its id, pointer, `x-range` pairs and body.
    pub(super) def: model::Operation,
    params: Vec<Param>,
    /// The `responses` object as written (entries may be `$ref`s).
    pub(super) responses: Value,
    /// `x-lenient: [empty-body]`: a `{}` body is taken for none.
    empty_body: bool,
    /// `x-lenient: [string-scalars]` on its body.
    string_scalars: bool,
    /// Its `security`, else the spec's: alternatives, any one of which lets a request in.
    security: Vec<Requirement>,
}

impl Operation {
    /// The response documented for `status`, as written (maybe a `$ref`),
    /// with its key: the status itself, else its range (`2XX`), else `default`.
    pub(super) fn documented_response(&self, status: u16) -> Option<(String, &Value)> {
        let responses = self.responses.as_object()?;
        let range = format!("{}XX", status / 100);
        let lower = range.to_ascii_lowercase();
        [status.to_string(), range, lower, "default".to_owned()]
            .into_iter()
            .find_map(|key| responses.get(&key).map(|node| (key, node)))
    }

    fn param(&self, location: Location, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| {
            p.def.location == location
                && if location == Location::Header { p.def.name.eq_ignore_ascii_case(name) } else { p.def.name == name }
        })
    }
}

#[derive(Debug, Clone)]
struct Param {
    /// As the spec model reads it.
    def: model::Parameter,
    /// `query parameter limit`, the location named in violations.
    label: String,
    /// The schema the decoded value must match (the `x-content-schema` one for JSON parameters).
    schema: Value,
    shape: Shape,
    /// For arrays sent as one value, the separator; `None` means repeated keys.
    delimiter: Option<char>,
    clamp_to: Option<Number>,
    /// `x-lenient` rules of a query parameter.
    lenient: Rules,
    /// The `enum` of the value (or of an array's items), for `case-insensitive`.
    listed: Vec<String>,
    /// Set for a string whose schema says no more than its length bounds
    /// and enum: a text that fits them is taken without a walk (most path
    /// parameters, checked on every call a client makes).
    plain: Option<Plain>,
}

#[derive(Debug, Clone, Copy)]
struct Plain {
    min_length: u64,
    max_length: u64,
    /// The text must be one of `Param::listed`.
    listed: bool,
}

impl Plain {
    /// `Some` if `schema` (resolved) is such a string; `shape` says it is sent as one.
    fn of(schema: &Value, shape: Shape) -> Option<Self> {
        const SAYS_NO_MORE: [&str; 8] =
            ["type", "minLength", "maxLength", "enum", "description", "title", "example", "x-provenance"];
        let map = schema.as_object().filter(|_| matches!(shape, Shape::Scalar(Scalar::String)))?;
        if !map.keys().all(|key| SAYS_NO_MORE.contains(&key.as_str())) {
            return None;
        }
        let bound = |key: &str| map.get(key).and_then(Value::as_u64);
        let (min_length, max_length) = (bound("minLength").unwrap_or(0), bound("maxLength").unwrap_or(u64::MAX));
        Some(Self { min_length, max_length, listed: map.contains_key("enum") })
    }

    fn fits(self, text: &str, listed: &[String]) -> bool {
        let length = text.chars().count() as u64;
        (self.min_length..=self.max_length).contains(&length) && (!self.listed || listed.iter().any(|l| l == text))
    }
}

/// How a parameter's text becomes JSON.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Scalar(Scalar),
    Array(Scalar),
    Json,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Scalar {
    String,
    Integer,
    Number,
    Boolean,
}

impl SpecValidator {
    /// Compiles the routes of `spec` (an OpenAPI 3.0 document as JSON).
    ///
    /// Fails if the spec cannot be enforced faithfully: no `paths`, an
    /// unresolvable `$ref`, a missing or duplicate `operationId`, a path
    /// parameter that is not declared, or a parameter style this validator
    /// does not implement.
    ///
    /// # Errors
    ///
    /// A message naming the path, operation or `$ref` at fault.
    pub fn new(spec: &Value) -> Result<Self, String> {
        Self::compile(Doc::Read(Arc::new(model::Spec::parse(spec).map_err(|e| e.to_string())?)))
    }

    /// The validator of an embedded spec (an API's `SPEC_JSON`), compiled
    /// once per process from its one model ([`model::Spec::embedded`]).
    ///
    /// # Errors
    ///
    /// As [`SpecValidator::new`].
    pub fn embedded(json: &'static str) -> Result<&'static Self, &'static str> {
        static COMPILED: model::Embedded<Result<SpecValidator, String>> = model::Embedded::new();
        let compile =
            || model::Spec::embedded(json).map_err(ToString::to_string).and_then(|m| Self::compile(Doc::Embedded(m)));
        COMPILED.get(json, compile).as_ref().map_err(String::as_str)
    }

    fn compile(shared: Doc) -> Result<Self, String> {
        // What the whole document must be: every `$ref` resolves (so a typo
        // shows at start-up), every `pattern` compiles, every `x-format` is known.
        let (model, spec) = (shared.model(), &*shared);
        let (mut patterns, mut inferred) = (FxHashMap::default(), FxHashMap::default());
        visit(spec, &mut String::new(), &mut |node, at| {
            if node.get("$ref").is_some_and(Value::is_string) {
                deref(spec, node)?;
            }
            if let Some(map) = node.as_object().filter(|m| m.get("x-provenance").is_some_and(walk::is_inferred)) {
                inferred.insert(walk::node_key(map), format!("#{at}"));
            }
            if let Some(Value::String(pattern)) = node.get("pattern")
                && !patterns.contains_key(pattern)
            {
                let regex = Regex::new(pattern).map_err(|e| format!("pattern {pattern:?} cannot be compiled: {e}"))?;
                patterns.insert(pattern.clone(), regex);
            }
            match node.get("x-format") {
                Some(format) if !format.as_str().is_some_and(|f| X_FORMATS.contains(&f)) => {
                    Err(format!("{at}: x-format {format} is unknown (known: {})", X_FORMATS.join(", ")))
                }
                _ => Ok(()),
            }
        })?;
        if !spec.get("paths").is_some_and(Value::is_object) {
            return Err("spec has no `paths` object".into());
        }
        let (mut routes, mut route_of) = (Vec::new(), FxHashMap::default());
        // The model lists a path's operations together, in path order.
        for ops in model.operations.chunk_by(|a, b| a.path == b.path) {
            let segments = parse_template(&ops[0].path)?;
            let rank_of = |s: &Segment| match s {
                Segment::Literal(_) => 2,
                Segment::Param { prefix, suffix, .. } => u8::from(!prefix.is_empty() || !suffix.is_empty()),
            };
            let (rank, mut methods) = (segments.iter().map(rank_of).collect(), Vec::new());
            for op in ops {
                let compiled = compile_operation(spec, model, &segments, op)
                    .map_err(|e| format!("{} {}: {e}", op.method.to_ascii_uppercase(), op.path))?;
                if route_of.insert(op.id.clone(), routes.len()).is_some() {
                    return Err(format!("operationId {} is used twice", op.id));
                }
                methods.push(compiled);
            }
            routes.push(Route { segments, rank, methods });
        }
        let patterns = Arc::new(patterns);
        let operations = routes.iter().flat_map(|r| r.methods.iter().map(|op| op.security.as_slice()));
        let unrouted_security = security::common(operations);
        let inferred = Arc::new(inferred);
        Ok(Self { spec: shared, inferred, routes, route_of, unrouted_security, patterns })
    }

    /// The `operationId`s of the spec, in path order.
    pub fn operation_ids(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().flat_map(|r| r.methods.iter().map(|op| op.def.id.as_str()))
    }

    #[cfg(feature = "sandbox")]
    /// The model of the spec the validator was compiled from.
    pub(crate) fn model(&self) -> &model::Spec {
        self.spec.model()
    }

    #[cfg(feature = "sandbox")]
    /// The `responses` object of an operation, as written (entries may be `$ref`s).
    pub(crate) fn responses(&self, operation_id: &str) -> Option<&Value> {
        self.operation(operation_id).map(|op| &op.responses)
    }

    #[cfg(feature = "sandbox")]
    /// The response an operation documents for `status` (see [`Operation::documented_response`]).
    pub(crate) fn documented_response(&self, operation_id: &str, status: u16) -> Option<&model::Response> {
        let op = self.operation(operation_id)?;
        let (key, _) = op.documented_response(status)?;
        op.def.responses.iter().find(|response| response.status == key)
    }

    #[cfg(feature = "sandbox")]
    /// Whether `value` satisfies `schema` (a schema of this spec, or a `$ref` into it).
    pub(crate) fn conforms(&self, schema: &Value, value: &Value) -> bool {
        self.check(Direction::Response, schema, value, &Loc::Root("value")).is_ok()
    }

    /// The first difference between a request body and the spec's component
    /// schema `name`: the rules a body must keep, for code that holds the body
    /// outside a request (the sandbox's handlers).
    #[cfg(feature = "llamadapro")]
    pub(crate) fn check_request_body(&self, name: &str, value: &Value) -> Result<(), Violation> {
        let schema = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        self.check(Direction::Request, &schema, value, &Loc::Root("request body"))
    }

    /// The operation whose `operationId` is `id`.
    pub(super) fn operation(&self, id: &str) -> Option<&Operation> {
        let route = self.routes.get(*self.route_of.get(id)?)?;
        route.methods.iter().find(|op| op.def.id == id)
    }

    /// The first difference between `value` and `schema`, as a violation.
    fn check(&self, direction: Direction, schema: &Value, value: &Value, at: &Loc<'_>) -> Result<(), Violation> {
        let mut walker = Walker::new(self, direction, Mode::First);
        let _ = walker.walk(schema, value, at);
        walker.violation()
    }

    /// The credentials a request to `method path` must present: the
    /// operation's `security`, as alternatives any one of which lets it in;
    /// for a request no operation takes, the schemes every operation asks
    /// for. Empty when anyone may call.
    #[must_use]
    pub fn security(&self, method: &str, path: &str) -> &[Requirement] {
        self.route(method, path, None).map_or(&self.unrouted_security, |(_, op, _)| &op.security)
    }

    #[cfg(feature = "sandbox")]
    /// The spec path (`/pets/{id}`) a request's `path` is for, chosen as requests are routed.
    pub(crate) fn template(&self, path: &str) -> Option<&str> {
        let (route, _) = self.matching(path, None)?;
        route.methods.first().map(|op| op.def.path.as_str())
    }

    /// The route `path` fits whose segments rank highest (only `operation`'s
    /// route is tried if given), and the path without its leading `/`.
    fn matching<'p>(&self, path: &'p str, operation: Option<&str>) -> Option<(&Route, &'p str)> {
        let raw = path.strip_prefix('/')?;
        let count = raw.bytes().filter(|&b| b == b'/').count() + 1;
        let matches = |r: &&Route| {
            r.segments.len() == count && r.segments.iter().zip(raw.split('/')).all(|(s, r)| s.capture(r).is_some())
        };
        let only = operation.and_then(|id| self.route_of.get(id)).and_then(|&index| self.routes.get(index..=index));
        let routes = only.unwrap_or(&self.routes);
        Some((routes.iter().filter(matches).max_by(|a, b| a.rank.cmp(&b.rank))?, raw))
    }

    /// The route and operation `method path` is for, and the path without its leading `/`.
    fn route<'p>(
        &self,
        method: &str,
        path: &'p str,
        operation: Option<&str>,
    ) -> Result<(&Route, &Operation, &'p str), Violation> {
        let not_found = || Violation::NotFound { path: path.to_owned() };
        let (route, raw) = self.matching(path, operation).ok_or_else(not_found)?;
        let Some(op) = route.methods.iter().find(|op| op.def.method.eq_ignore_ascii_case(method)) else {
            let allowed =
                route.methods.iter().map(|op| op.def.method.to_ascii_uppercase()).collect::<Vec<_>>().join(", ");
            return Err(Violation::MethodNotAllowed { method: method.to_owned(), path: path.to_owned(), allowed });
        };
        Ok((route, op, raw))
    }

    /// Routes `request` to its operation and checks its parameters and body.
    /// Credentials are not checked (see [`SpecValidator::security`]).
    ///
    /// # Errors
    ///
    /// [`Violation::NotFound`] or [`Violation::MethodNotAllowed`] when no
    /// operation matches, else [`Violation::Invalid`] naming the first rule
    /// the request breaks.
    pub fn validate_request(&self, request: &RequestParts<'_>) -> Result<ValidatedRequest, Violation> {
        self.validate_for(None, request)
    }

    /// Whether checking a request to `operation` (an `operationId`) reads
    /// its header `name`: the content type, or a header parameter (any
    /// header, for an operation the spec does not have).
    pub(crate) fn reads_header(&self, operation: &str, name: &str) -> bool {
        let Some(op) = self.operation(operation) else { return true };
        name.eq_ignore_ascii_case("content-type") || op.param(Location::Header, name).is_some()
    }

    /// [`Self::validate_request`], trying only the route of `operation` (an
    /// `operationId`) if one is given: a client knows what it calls.
    pub(crate) fn validate_for(
        &self,
        operation: Option<&str>,
        request: &RequestParts<'_>,
    ) -> Result<ValidatedRequest, Violation> {
        let mut path_params = Vec::new();
        let (op, query, rewritten_query, rewritten_body) = self.examine(operation, request, Some(&mut path_params))?;
        Ok(ValidatedRequest { operation_id: op.def.id.clone(), path_params, query, rewritten_query, rewritten_body })
    }

    /// [`Self::validate_for`] for a caller that only needs the verdict (a
    /// client checking what it is about to send): nothing is kept.
    pub(crate) fn check_for(&self, operation: &str, request: &RequestParts<'_>) -> Result<(), Violation> {
        self.examine(Some(operation), request, None).map(drop)
    }

    /// Routes and checks a request; collects its decoded path parameters
    /// into `path_params` if given.
    #[allow(clippy::type_complexity)]
    fn examine(
        &self,
        operation: Option<&str>,
        request: &RequestParts<'_>,
        mut path_params: Option<&mut Vec<(String, String)>>,
    ) -> Result<(&Operation, Pairs, Option<String>, Option<Vec<u8>>), Violation> {
        let (route, op, raw) = self.route(request.method, request.path, operation)?;

        for (segment, raw) in route.segments.iter().zip(raw.split('/')) {
            let Segment::Param { name, .. } = segment else { continue };
            let Some(param) = op.param(Location::Path, name) else { continue };
            let text = segment.capture(raw).unwrap_or(raw);
            let value = percent_decode(text).ok_or_else(|| invalid(&param.label, "not valid percent-encoded UTF-8"))?;
            self.check_param(param, &[&value])?;
            if let Some(path_params) = path_params.as_deref_mut() {
                path_params.push((name.clone(), value.into_owned()));
            }
        }

        let (query, rewritten_query) = self.check_query(op, request)?;
        self.check_ranges(op, &query)?;

        for param in op.params.iter().filter(|p| p.def.location == Location::Header) {
            if let Some(value) = header(request.headers, &param.def.name) {
                self.check_param(param, &[value])?;
            }
        }

        let rewritten_body = self.check_body(op, request)?;
        Ok((op, query, rewritten_query, rewritten_body))
    }

    /// Checks query structure, presence rules and values; returns the
    /// decoded pairs and, if a lenient rule changed any, the re-encoded query.
    fn check_query(&self, op: &Operation, request: &RequestParts<'_>) -> Result<(Pairs, Option<String>), Violation> {
        let mut pairs: Pairs = match request.query {
            None | Some("") => Vec::new(),
            Some(q) => {
                serde_urlencoded::from_str(q).map_err(|e| invalid("query", format!("not a valid query string: {e}")))?
            }
        };
        let mut rewritten = false;

        // `x-lenient: bracketed-key`: `ids[]=a` is another spelling of `ids=a`.
        for (name, _) in &mut pairs {
            if let Some(base) = name.strip_suffix("[]")
                && op.param(Location::Query, name).is_none()
                && op.param(Location::Query, base).is_some_and(|p| p.lenient.has(Rule::BracketedKey))
            {
                *name = base.to_owned();
                rewritten = true;
            }
        }

        // Structure: every key declared, repeated only if it is an exploded array.
        let mut sent: Vec<&Param> = Vec::new();
        for (name, _) in &pairs {
            let param = op
                .param(Location::Query, name)
                .ok_or_else(|| invalid(format!("query parameter {name}"), "not defined for this operation"))?;
            if !sent.iter().any(|p| std::ptr::eq(*p, param)) {
                sent.push(param);
            } else if !matches!((param.shape, param.delimiter), (Shape::Array(_), None)) {
                return Err(invalid(&param.label, "sent more than once, but takes a single value"));
            }
        }

        if let Some(alone) = sent.iter().find(|p| p.def.exclusive)
            && let Some(other) = sent.iter().find(|p| p.def.name != alone.def.name)
        {
            return Err(invalid(&alone.label, format!("must be sent alone, but {} was also sent", other.def.name)));
        }
        if let Some(param) =
            sent.iter().find(|p| p.def.not_with.as_ref().is_some_and(|o| sent.iter().any(|s| &s.def.name == o)))
        {
            let other = param.def.not_with.as_deref().unwrap_or_default();
            return Err(invalid(&param.label, format!("may not be sent together with {other}")));
        }

        let is_sent = |name: &str| pairs.iter().any(|(n, _)| n == name) || header(request.headers, name).is_some();
        for param in op.params.iter().filter(|p| p.def.location != Location::Path && !is_sent(&p.def.name)) {
            match &param.def.required_unless {
                Some(other) if !is_sent(other) => {
                    return Err(invalid(&param.label, format!("required unless {other} is sent")));
                }
                None if param.def.required => return Err(invalid(&param.label, "required")),
                _ => {}
            }
        }

        for param in sent {
            for (_, value) in pairs.iter_mut().filter(|(n, _)| *n == param.def.name) {
                if let Some(strict) = strict_text(param, value) {
                    *value = strict;
                    rewritten = true;
                }
            }
            let texts: Vec<&str> =
                pairs.iter().filter(|(n, _)| *n == param.def.name).map(|(_, v)| v.as_str()).collect();
            if let Some(max) = self.check_param(param, &texts)? {
                for (_, value) in pairs.iter_mut().filter(|(n, _)| *n == param.def.name) {
                    value.clone_from(&max);
                }
                rewritten = true;
            }
        }
        let rewritten = rewritten.then(|| serde_urlencoded::to_string(&pairs)).transpose();
        Ok((pairs, rewritten.map_err(|e| invalid("query", e.to_string()))?))
    }

    /// The operation's `x-range` pairs: an empty range is a violation.
    fn check_ranges(&self, op: &Operation, query: &Pairs) -> Result<(), Violation> {
        let sent = |name: &str| query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        for range in &op.def.ranges {
            let (Some(from), Some(to)) = (sent(&range.from), sent(&range.to)) else { continue };
            let schema = op.param(Location::Query, &range.from).map_or(&ANY, |p| &p.schema);
            let schema = deref(&self.spec, schema).map_err(|e| invalid("query", e))?;
            let Some(order) = compare(schema, from, to) else { continue };
            if order == Ordering::Greater || (range.exclusive && order == Ordering::Equal) {
                let relation = if order == Ordering::Greater { "after" } else { "the same as" };
                let (from, to) =
                    (format!("{} {}", range.from, show_str(from)), format!("{} {}", range.to, show_str(to)));
                let message = format!("{from} is {relation} {to}: the range is empty");
                return Err(invalid(format!("query parameters {} and {}", range.from, range.to), message));
            }
        }
        Ok(())
    }

    /// Decodes one parameter's text values, clamps them if the spec says so,
    /// and validates the result. Returns the clamped text, if any.
    fn check_param(&self, param: &Param, texts: &[&str]) -> Result<Option<String>, Violation> {
        let fail = |message: String| invalid(&param.label, message);
        let first = texts.first().copied().unwrap_or_default();
        // One that does not fit is walked, for the walker's words.
        if param.plain.is_some_and(|plain| texts.len() == 1 && plain.fits(first, &param.listed)) {
            return Ok(None);
        }
        let mut value = match (param.shape, param.delimiter) {
            (Shape::Json, _) => serde_json::from_str(first).map_err(|e| fail(format!("not valid JSON: {e}")))?,
            (Shape::Scalar(scalar), _) => coerce(first, scalar).map_err(fail)?,
            (Shape::Array(scalar), None) => {
                texts.iter().map(|t| coerce(t, scalar)).collect::<Result<_, _>>().map_err(fail)?
            }
            (Shape::Array(scalar), Some(d)) => {
                first.split(d).map(|t| coerce(t.trim(), scalar)).collect::<Result<_, _>>().map_err(fail)?
            }
        };
        let mut clamped = None;
        if let (Some(max), Some(n)) = (&param.clamp_to, value.as_f64())
            && max.as_f64().is_some_and(|m| n > m)
        {
            value = Value::Number(max.clone());
            clamped = Some(max.to_string());
        }
        self.check(Direction::Request, &param.schema, &value, &Loc::Root(&param.label))?;
        Ok(clamped)
    }

    /// Checks the body; returns the body the handler should see instead,
    /// when an `x-lenient` rule changed it.
    fn check_body(&self, op: &Operation, request: &RequestParts<'_>) -> Result<Option<Vec<u8>>, Violation> {
        const AT: &str = "request body";
        let body = request.body;
        let Some(spec) = &op.def.request_body else {
            return match body {
                [] => Ok(None),
                _ if op.empty_body && lenient::is_empty_body(body) => Ok(Some(Vec::new())),
                _ => Err(invalid(AT, "this operation takes no body")),
            };
        };
        if body.is_empty() {
            return if spec.required { Err(invalid(AT, "required")) } else { Ok(None) };
        }
        let expected = || spec.content.iter().map(|m| essence(&m.name)).collect::<Vec<_>>().join(" or ");
        let actual = header(request.headers, "content-type")
            .map(essence)
            .ok_or_else(|| invalid(AT, format!("no content type; expected {}", expected())))?;
        let (media_type, schema) = best_media(spec.content.iter().map(|m| (m.name.as_str(), &m.schema)), &actual)
            .ok_or_else(|| invalid(AT, format!("content type {actual} is not {}", expected())))?;
        if schema.is_null() {
            return Ok(None);
        }
        if is_json(media_type) {
            let mut value: Value =
                serde_json::from_slice(body).map_err(|e| invalid(AT, format!("not valid JSON: {e}")))?;
            let coerced = op.string_scalars && lenient::coerce_strings(&self.spec, schema, &mut value, 0);
            self.check(Direction::Request, schema, &value, &Loc::Root(AT))?;
            Ok(coerced.then(|| value.to_string().into_bytes()))
        } else if essence(media_type) == "application/x-www-form-urlencoded" {
            self.check_form(schema, body).map(|()| None)
        } else {
            Ok(None)
        }
    }

    /// Builds a JSON object from form fields, typed by the schema's
    /// `properties`, and validates it.
    fn check_form(&self, schema: &Value, body: &[u8]) -> Result<(), Violation> {
        const AT: &str = "request body";
        let pairs: Pairs =
            serde_urlencoded::from_bytes(body).map_err(|e| invalid(AT, format!("not a valid form: {e}")))?;
        let properties = deref(&self.spec, schema).map_err(|e| invalid(AT, e))?.get("properties");
        let mut object = Map::new();
        for (name, text) in &pairs {
            let at = Loc::Field(&Loc::Root(AT), name);
            let property =
                properties.and_then(|p| p.get(name)).ok_or_else(|| invalid(at, "not a field of this form"))?;
            let fail = |message: String| invalid(at, message);
            match shape_of(&self.spec, property).map_err(fail)? {
                Shape::Array(scalar) => {
                    let item = coerce(text, scalar).map_err(fail)?;
                    match object.entry(name.as_str()).or_insert_with(|| Value::Array(Vec::new())) {
                        Value::Array(items) => items.push(item),
                        _ => return Err(fail("sent more than once".into())),
                    }
                }
                Shape::Scalar(scalar) => {
                    if object.insert(name.clone(), coerce(text, scalar).map_err(fail)?).is_some() {
                        return Err(fail("sent more than once, but takes a single value".into()));
                    }
                }
                Shape::Json => return Err(fail("cannot be sent as a form field".into())),
            }
        }
        self.check(Direction::Request, schema, &Value::Object(object), &Loc::Root(AT))
    }

    /// Checks a response the sandbox is about to send for `operation_id`.
    ///
    /// `content_type` is the response's `Content-Type` header, if any. JSON
    /// bodies are validated against the documented schema, so enum values
    /// the spec does not list are reported; other media types accept any
    /// bytes.
    ///
    /// # Errors
    ///
    /// [`Violation::Invalid`] at `response` for an unknown operation or an
    /// undocumented status, else at `response body...` for the first rule broken.
    pub fn validate_response(
        &self,
        operation_id: &str,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<(), Violation> {
        let mut walker = Walker::new(self, Direction::Response, Mode::First);
        let _ = walker.response(operation_id, status, content_type, None, Some(body), None);
        walker.violation()
    }
}

fn compile_operation(
    root: &Value,
    model: &model::Spec,
    segments: &[Segment],
    op: &model::Operation,
) -> Result<Operation, String> {
    let params: Vec<Param> =
        op.parameters.iter().filter_map(|p| compile_param(root, p).transpose()).collect::<Result<_, _>>()?;
    let in_template: Vec<&str> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Param { name, .. } => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
        .collect();
    if let Some(name) =
        in_template.iter().find(|name| !params.iter().any(|p| p.def.location == Location::Path && p.def.name == **name))
    {
        return Err(format!("path parameter {name} is not declared"));
    }
    for param in &params {
        if param.def.location == Location::Path && !in_template.contains(&param.def.name.as_str()) {
            return Err(format!("path parameter {} is not in the path", param.def.name));
        }
        if let Some(other) = &param.def.required_unless
            && !params.iter().any(|p| p.def.name == *other)
        {
            return Err(format!("{}: x-required-unless names unknown parameter {other}", param.label));
        }
    }
    let body_rules = op.request_body.as_ref().map(|b| lenient::rules(&b.lenient, Place::RequestBody, "requestBody"));
    let string_scalars = body_rules.transpose()?.is_some_and(|rules| rules.has(Rule::StringScalars));
    orderable_ranges(root, &op.ranges, &params)?;
    let empty_body = lenient::rules(&op.lenient, Place::Operation, "operation")?.has(Rule::EmptyBody);
    if empty_body && op.request_body.is_some() {
        return Err("x-lenient: empty-body is for operations without a requestBody".into());
    }
    let responses = op.pointer.strip_prefix('#').and_then(|pointer| root.pointer(&format!("{pointer}/responses")));
    let (responses, security) = (responses.cloned().unwrap_or_default(), security::requirements(model, &op.security));
    Ok(Operation { def: op.clone(), params, responses, empty_body, string_scalars, security })
}

/// Whether both parameters of each `x-range` pair are query parameters
/// whose values can be ordered (numbers, dates, date-times).
fn orderable_ranges(root: &Value, pairs: &[model::Range], params: &[Param]) -> Result<(), String> {
    for model::Range { from, to, .. } in pairs {
        let mut kinds = Vec::new();
        for name in [from, to] {
            let param = params
                .iter()
                .find(|p| p.def.location == Location::Query && p.def.name == *name)
                .ok_or_else(|| format!("x-range: {name} is not a query parameter of this operation"))?;
            let schema = deref(root, &param.schema)?;
            let kind = order_kind(schema)
                .ok_or_else(|| format!("x-range: {name} is not a number, date or date-time, so it has no order"))?;
            kinds.push(kind);
        }
        if kinds.first() != kinds.last() {
            return Err(format!("x-range: {from} and {to} are not of the same type"));
        }
    }
    Ok(())
}

/// How values of `schema` are ordered, if they are: `number`, `date-time` or `date`.
fn order_kind(schema: &Value) -> Option<&'static str> {
    match (schema.get("type").and_then(Value::as_str), schema.get("format").and_then(Value::as_str)) {
        (Some("integer" | "number"), _) => Some("number"),
        (_, Some("date-time")) => Some("date-time"),
        (_, Some("date")) => Some("date"),
        _ => None,
    }
}

/// The order of two parameter values of `schema`; `None` when either does
/// not parse (the value check reports that).
fn compare(schema: &Value, a: &str, b: &str) -> Option<Ordering> {
    match order_kind(schema)? {
        "number" => a.parse::<f64>().ok()?.partial_cmp(&b.parse::<f64>().ok()?),
        "date-time" => Some(parse_date_time(a)?.cmp(&parse_date_time(b)?)),
        _ => Some(parse_date(a)?.cmp(&parse_date(b)?)),
    }
}

/// The `x-format`s the validator knows.
const X_FORMATS: [&str; 1] = ["e164"];

/// Whether `number` is a phone number in E.164 form: `+`, a country code
/// that does not start with 0, then digits, 7 to 15 digits in all, without
/// spaces or punctuation (e.g. `+14155552671`). The rule of `x-format: e164`.
#[must_use]
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else { return false };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

/// A `format: date-time` value as an instant: RFC 3339
/// (`2024-03-20T12:00:00Z`, `2024-03-20T12:00:00.5+02:00`), and as the
/// vendors' own examples write it, with a space for the `T`
/// (`2024-07-01 00:00:00.000`) or without an offset, which is read as UTC.
#[must_use]
pub fn parse_date_time(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    // `YYYY-MM-DD` and a separator, then at least `HH:MM:SS`.
    let bytes = text.as_bytes();
    if bytes.len() < 19 || !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) || parse_date(text.get(..10)?).is_none() {
        return None;
    }
    let normal: std::borrow::Cow<'_, str> = match bytes.get(10) {
        Some(b'T') => text.into(),
        _ => format!("{}T{}", text.get(..10)?, text.get(11..)?).into(),
    };
    if let Ok(instant) = chrono::DateTime::parse_from_rfc3339(&normal) {
        return Some(instant);
    }
    // No offset: every character after the seconds is a fraction.
    let fraction = normal.get(19..)?;
    let digits = fraction.strip_prefix('.').unwrap_or(if fraction.is_empty() { "" } else { "x" });
    if !digits.bytes().all(|b| b.is_ascii_digit()) || (fraction.starts_with('.') && digits.is_empty()) {
        return None;
    }
    let naive = chrono::NaiveDateTime::parse_from_str(&normal, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(naive.and_utc().fixed_offset())
}

/// A `format: date` value: `YYYY-MM-DD`, a real calendar day.
#[must_use]
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    // The digits read as numbers: chrono's format parser is slow per value.
    let number = |range: std::ops::Range<usize>| b[range].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    let year = i32::try_from(number(0..4)).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(5..7), number(8..10))
}

/// Compiles one parameter; `None` for those that are not validated (cookies,
/// and the headers OpenAPI says to ignore).
fn compile_param(root: &Value, p: &model::Parameter) -> Result<Option<Param>, String> {
    let (name, location) = (p.name.as_str(), p.location);
    let ignored = ["accept", "content-type", "authorization"].contains(&name.to_ascii_lowercase().as_str());
    let label = match location {
        Location::Cookie => return Ok(None),
        Location::Header if ignored => return Ok(None),
        Location::Header => format!("header {name}"),
        other => format!("{} parameter {name}", other.as_str()),
    };
    let (shape, schema) = match &p.json_schema {
        Some(schema) => {
            deref(root, schema).map_err(|e| format!("{label}: {e}"))?;
            (Shape::Json, schema.clone())
        }
        None => (shape_of(root, &p.schema).map_err(|e| format!("{label}: {e}"))?, p.schema.clone()),
    };
    let delimiter = match (location, p.style.as_deref()) {
        (Location::Query, None | Some("form")) => (!p.explode.unwrap_or(true)).then_some(','),
        (Location::Query, Some("spaceDelimited")) => Some(' '),
        (Location::Query, Some("pipeDelimited")) => Some('|'),
        (Location::Path | Location::Header | Location::Cookie, None | Some("simple")) => Some(','),
        (_, Some(style)) => return Err(format!("{label}: style {style} is not supported")),
    };
    let maximum = deref(root, &schema)?.get("maximum").and_then(Value::as_number).cloned();
    let unclampable = || format!("{label}: x-on-maximum: clamp needs a numeric maximum");
    let clamp_to = p.clamp_at_maximum.then(|| maximum.ok_or_else(unclampable)).transpose()?;
    let place = if location == Location::Query { Place::QueryParameter } else { Place::OtherParameter };
    let lenient = lenient::rules(&p.lenient, place, &label)?;
    let listed = listed_values(root, &schema)?;
    let misplaced = |rule: &str, needs: &str| Err(format!("{label}: x-lenient: {rule} needs {needs}"));
    if lenient.has(Rule::SingleQuotes) && !matches!(shape, Shape::Json) {
        return misplaced("single-quotes", "a parameter carrying JSON (x-content-schema or content)");
    }
    if lenient.has(Rule::BracketedKey) && !matches!((shape, delimiter), (Shape::Array(_), None)) {
        return misplaced("bracketed-key", "an array sent as repeated keys");
    }
    if lenient.has(Rule::CaseInsensitive) && listed.is_empty() {
        return misplaced("case-insensitive", "an enum of strings");
    }
    let plain = Plain::of(deref(root, &schema)?, shape);
    Ok(Some(Param { def: p.clone(), label, schema, shape, delimiter, clamp_to, lenient, listed, plain }))
}

/// The string `enum` of a parameter's value, or of its array's items.
fn listed_values(root: &Value, schema: &Value) -> Result<Vec<String>, String> {
    let schema = deref(root, schema)?;
    let schema = match schema.get("items") {
        Some(items) if schema.get("type").and_then(Value::as_str) == Some("array") => deref(root, items)?,
        _ => schema,
    };
    let listed = schema.get("enum").and_then(Value::as_array).into_iter().flatten();
    Ok(listed.filter_map(Value::as_str).map(str::to_owned).collect())
}

/// The strict text of a query value sent in a form the parameter's
/// `x-lenient` rules accept (`DESC` for `desc`, single-quoted JSON), if it differs.
fn strict_text(param: &Param, text: &str) -> Option<String> {
    if param.lenient.has(Rule::CaseInsensitive) && !param.listed.iter().any(|listed| listed == text) {
        return lenient::listed_spelling(&param.listed, text).map(str::to_owned);
    }
    if param.lenient.has(Rule::SingleQuotes) && serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return lenient::single_quoted_json(text);
    }
    None
}

fn parse_template(template: &str) -> Result<Vec<Segment>, String> {
    let unsupported = || format!("path {template}: unsupported template");
    let rest = template.strip_prefix('/').ok_or_else(|| format!("path {template} does not start with /"))?;
    rest.split('/')
        .map(|segment| match segment.split_once('{') {
            None if !segment.contains('}') => Ok(Segment::Literal(segment.to_owned())),
            None => Err(unsupported()),
            Some((prefix, rest)) => {
                let (name, suffix) = rest.split_once('}').ok_or_else(unsupported)?;
                if name.is_empty() || [prefix, name, suffix].iter().any(|s| s.contains(['{', '}'])) {
                    return Err(unsupported());
                }
                Ok(Segment::Param { prefix: prefix.to_owned(), name: name.to_owned(), suffix: suffix.to_owned() })
            }
        })
        .collect()
}

/// How a (query, path, header or form) value of `schema` is written as text.
fn shape_of(root: &Value, schema: &Value) -> Result<Shape, String> {
    let schema = deref(root, schema)?;
    if schema.get("type").and_then(Value::as_str) == Some("array") {
        let items = deref(root, schema.get("items").unwrap_or(&ANY))?;
        Ok(Shape::Array(scalar_of(items)?))
    } else {
        Ok(Shape::Scalar(scalar_of(schema)?))
    }
}

pub(super) fn scalar_of(schema: &Value) -> Result<Scalar, String> {
    match schema.get("type").and_then(Value::as_str) {
        None | Some("string") => Ok(Scalar::String),
        Some("integer") => Ok(Scalar::Integer),
        Some("number") => Ok(Scalar::Number),
        Some("boolean") => Ok(Scalar::Boolean),
        Some(other) => Err(format!("type {other} cannot be sent as text")),
    }
}

pub(super) fn coerce(text: &str, scalar: Scalar) -> Result<Value, String> {
    let integer = || text.parse::<i64>().map(Value::from).or_else(|_| text.parse::<u64>().map(Value::from)).ok();
    let parsed = match scalar {
        Scalar::String => return Ok(Value::String(text.to_owned())),
        Scalar::Integer => integer().ok_or("an integer"),
        Scalar::Number => integer()
            .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64).map(Value::Number))
            .ok_or("a number"),
        // `true` or `false`, nothing else.
        Scalar::Boolean => text.parse().map(Value::Bool).map_err(|_| "a boolean (true or false)"),
    };
    parsed.map_err(|kind| format!("{} is not {kind}", show_str(text)))
}

/// `text` with its `%XX` escapes decoded (a `+` is a `+`: this is a path,
/// not a form); `None` when they are malformed or not UTF-8.
pub(crate) fn percent_decode(text: &str) -> Option<Cow<'_, str>> {
    if !text.contains('%') {
        return Some(Cow::Borrowed(text));
    }
    let mut bytes = text.bytes();
    let mut out = Vec::with_capacity(text.len());
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let mut hex = || bytes.next().and_then(|h| char::from(h).to_digit(16));
            let (high, low) = (hex()?, hex()?);
            out.push(u8::try_from(high * 16 + low).ok()?);
        } else {
            out.push(byte);
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// The value of header `name` (any case), trimmed.
pub(super) fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
}

/// The declared media type that covers `actual` most specifically: an exact
/// match beats `type/*`, which beats `*/*`.
pub(super) fn best_media<'c, T>(declared: impl Iterator<Item = (&'c str, T)>, actual: &str) -> Option<(&'c str, T)> {
    let rank = |declared: &str| {
        let declared = essence(declared);
        match declared.strip_suffix("/*") {
            Some("*") => Some(0),
            Some(kind) => actual.split_once('/').is_some_and(|(k, _)| k == kind).then_some(1),
            None => (declared == actual).then_some(2),
        }
    };
    declared
        .filter_map(|(mt, media)| Some((rank(mt)?, mt, media)))
        .max_by_key(|(r, ..)| *r)
        .map(|(_, mt, media)| (mt, media))
}

pub(super) fn show_str(text: &str) -> String {
    match text.char_indices().nth(MAX_SHOWN) {
        Some((cut, _)) => format!("{}…", Value::from(text.get(..cut).unwrap_or_default())),
        None => Value::from(text).to_string(),
    }
}
