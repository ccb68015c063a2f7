//! The typed, resolved model of one OpenAPI 3.0 spec: its operations,
//! parameters, bodies, responses, links, security and vendor extensions
//! (`x-retry-safe`, `x-rate-limit`, `x-cli`, …), each parsed once here.
//! `build.rs` includes this file by path, so generation and run time read a
//! spec one way; it depends on `serde_json` and `std` only, for that reason.
//! A spec that does not fit is a [`ModelError`] naming the part's pointer.

use serde_json::Value;

/// The HTTP methods an operation may have, in the order a path item lists them.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Why a spec does not fit the model: where (as a person names it, and as a
/// JSON pointer into the spec) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ModelError {
    /// The part at fault as a person names it: `GET /things/{id}`, `GET
    /// /things/{id}: query parameter v`, `security scheme Key`, `x-rate-limit`.
    pub place: String,
    /// The same as a JSON pointer, e.g. `#/paths/~1things~1{id}/get/parameters/0`.
    pub pointer: String,
    /// What is wrong there.
    pub message: String,
}

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.place.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.place, self.message) }
    }
}

impl std::error::Error for ModelError {}

/// Where in the spec a part is: its name for people and its pointer.
#[derive(Clone)]
struct At {
    place: String,
    pointer: String,
}

impl At {
    fn new(place: impl Into<String>, pointer: impl Into<String>) -> Self {
        Self { place: place.into(), pointer: pointer.into() }
    }

    /// A part of this one: `key` added to the pointer, `place` to the name
    /// (when given).
    fn child(&self, place: Option<&str>, key: &str) -> Self {
        let place = match place {
            Some(name) if self.place.is_empty() => name.to_owned(),
            Some(name) => format!("{}: {name}", self.place),
            None => self.place.clone(),
        };
        Self { place, pointer: format!("{}/{}", self.pointer, escape(key)) }
    }

    /// Its part `key` (`x-cli`, `requestBody`), named as the spec spells it.
    fn part(&self, key: &str) -> Self {
        self.child(Some(key), key)
    }

    fn error(&self, message: impl Into<String>) -> ModelError {
        ModelError { place: self.place.clone(), pointer: self.pointer.clone(), message: message.into() }
    }
}

/// One spec, its `$ref`s resolved where the model holds them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Spec {
    /// The document itself, for schemas' nested `$ref`s ([`Spec::resolve`]).
    pub doc: Value,
    /// `info.title`.
    pub title: Option<String>,
    /// The URLs of `servers`, in order, their variables at their defaults.
    pub servers: Vec<String>,
    /// Every operation, in path order (each path item's in its own order).
    pub operations: Vec<Operation>,
    /// `components.securitySchemes`, in the spec's order.
    pub security_schemes: Vec<SecurityScheme>,
    /// `x-rate-limit`: the budget headers calls are paced by.
    pub rate_limit: Option<RateLimit>,
    /// The `x-filter-table`s of `components.schemas`, in the spec's order.
    pub filter_tables: Vec<FilterTable>,
}

/// Where a request carries a security scheme's credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrier {
    /// `apiKey` in this header (lower case).
    Header(String),
    /// `apiKey` in this query parameter.
    Query(String),
    /// `apiKey` in this cookie.
    Cookie(String),
    /// `Authorization: <scheme> <credential>`, the scheme in lower case
    /// (`http`'s own; `bearer` for `oauth2` and `openIdConnect`).
    Authorization(String),
}

/// A scheme of `components.securitySchemes`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecurityScheme {
    pub name: String,
    pub carrier: Carrier,
    /// Its `description`'s first paragraph, on one line.
    pub description: Option<String>,
    /// `x-cli: {flag?, env?}`: its setting's flag (without `--`) and
    /// environment variable, when not the ones derived from its name.
    pub cli_flag: Option<String>,
    pub cli_env: Option<String>,
    /// `x-token`: the operation that gives its credential.
    pub token: Option<TokenSource>,
}

/// `x-token` on a bearer scheme: the spec's operation that gives its token,
/// in exchange for the fields of its request body (each a setting of the
/// client: a username, a password).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenSource {
    /// Its `operationId`.
    pub operation: String,
    /// Where its answer holds the token (a JSON pointer).
    pub token: String,
    /// Where its answer says how many seconds the token lasts, if it does.
    pub expires_in: Option<String>,
    /// The documented lifetime, in seconds: assumed when neither the token
    /// (a JWT's `exp`) nor the answer says, and never exceeded.
    pub lifetime: Option<u64>,
    /// The fields of its request body, in the schema's order.
    pub fields: Vec<TokenField>,
    /// Whether its body is a form (`application/x-www-form-urlencoded`), else JSON.
    pub form: bool,
}

/// A field of a token operation's body: a setting of the client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenField {
    pub name: String,
    /// `format: password`: a secret, masked and never shown.
    pub secret: bool,
    /// Its schema's `type` is a number (sent as one in a JSON body).
    pub number: bool,
    /// Its `description`'s first paragraph, on one line.
    pub description: Option<String>,
}

impl SecurityScheme {
    /// The name of the setting that holds its credential, in snake case:
    /// `x-cli`'s flag's (`secret-key`: `secret_key`), else its own
    /// (`petKey`: `pet_key`). The command line's profile key, and the
    /// argument of a client constructor that takes it.
    pub fn setting(&self) -> String {
        case(self.cli_flag.as_deref().unwrap_or(&self.name), '_')
    }
}

/// `x-rate-limit`: the headers (in lower case) that carry the budget left
/// (and what a call costs) and the window it renews in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    pub remaining_header: String,
    pub cost_header: Option<String>,
    pub window_seconds: u64,
    /// The most one call may cost (1 unless said).
    pub max_cost: u64,
}

/// `x-filter-table` on a string enum schema of `components.schemas`: the
/// fields of a filter language, in the order of the schema's `enum`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilterTable {
    /// The schema's name (the Rust enum build.rs makes of it is named so).
    pub name: String,
    pub rows: Vec<FilterRow>,
}

/// One field of a [`FilterTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilterRow {
    /// Its wire name, a value of the schema's `enum`.
    pub field: String,
    /// The type of its values, one of [`FILTER_VALUE_TYPES`].
    pub kind: String,
    /// The operators it takes, each once, all in the spec's `FilterOperator` enum.
    pub operators: Vec<String>,
    /// Whether it may be compared with null (integer fields only).
    pub nullable: bool,
    /// Its `description`, trimmed; empty when none.
    pub description: String,
}

/// The value types of an `x-filter-table` row.
pub const FILTER_VALUE_TYPES: [&str; 4] = ["string", "date-time", "integer", "boolean"];

/// One operation of the spec.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Operation {
    /// `operationId`, as the spec spells it.
    pub id: String,
    /// Lower case: `get`, `post`, ….
    pub method: String,
    /// The path template, e.g. `/v2/conversations/{id}`.
    pub path: String,
    /// Where it is, as a JSON pointer: `#/paths/~1things~1{id}/get`.
    pub pointer: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The path item's parameters and the operation's own (which override
    /// those of the same name and location), resolved.
    pub parameters: Vec<Parameter>,
    pub request_body: Option<RequestBody>,
    /// By status key (`200`, `2XX`, `default`), in the spec's order.
    pub responses: Vec<Response>,
    /// The ways a caller may be let in (its own `security`, else the
    /// document's): any one of them, each naming the schemes it needs all
    /// of. None: anyone is.
    pub security: Vec<Vec<String>>,
    /// The server the operation is served from when it is not the
    /// document's (`servers` on the operation or its path item).
    pub server: Option<String>,
    /// `x-retry-safe: true`: a POST that creates nothing, safe to resend.
    pub retry_safe: bool,
    /// `x-range`: pairs of query parameters whose range may not be empty.
    pub ranges: Vec<Range>,
    /// `x-lenient` on the operation: rule names (see `spec::lenient`).
    pub lenient: Vec<String>,
    /// How its answers page, when a success response links to the next page.
    pub paging: Option<Paging>,
    /// `x-cli`: its command name, aliases, table columns and sort flag.
    pub cli: Option<CliCommand>,
    /// `x-wait`: it reports a state, polled until it says done or failed.
    pub wait: Option<Wait>,
}

/// `x-wait` on an operation that reports the state of something under way
/// (LivePerson's `getCommand`): where its answer says the state, which
/// values end the wait as done or failed, and why it failed. An operation
/// whose success response links to it ([`Spec::wait_link`]) can wait for
/// what it started; so can the operation itself.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Wait {
    /// The state, as a JSON pointer into the answer (`/state`).
    pub field: String,
    /// The states that end the wait, done.
    pub done: Vec<String>,
    /// The states that end the wait, failed.
    pub failed: Vec<String>,
    /// Why it failed, as a JSON pointer (`/result/error/name`).
    pub reason: Option<String>,
    /// What a done wait yields, as a JSON pointer into the answer (raia's
    /// reply at `/message`); the whole answer when absent.
    pub result: Option<String>,
    /// The longest pause between two polls, in seconds.
    pub interval: Option<f64>,
    /// How long to wait unless told, in seconds.
    pub timeout: Option<u64>,
}

/// `x-cli` on an operation: how the command line names and shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CliCommand {
    /// Words of the command under the API (`conversations list`).
    pub name: Vec<String>,
    /// Other last words that name it too (`ls`).
    pub aliases: Vec<String>,
    /// The table and csv columns: field paths of a record (`owner.id`).
    pub columns: Vec<String>,
    /// The query parameters one `--sort FIELD[:asc|desc]` flag sets.
    pub sort: Option<SortFlag>,
    /// Where in the answer the record is (`/data` of an envelope), as a
    /// JSON pointer; the whole answer when absent.
    pub record: Option<String>,
    /// The record printed when the answer has no content: a template whose
    /// texts `$request.body#/…` and `$request.path.…` take the call's values.
    pub no_content: Option<Value>,
}

/// `x-cli`'s `sort`: where `--sort FIELD[:asc|desc]` puts its two parts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SortFlag {
    /// `{field, direction}`: a parameter each (Salesloft's `sort_by`, `sort_direction`).
    Pair { field: String, direction: String },
    /// `{param, separator}`: one parameter, `FIELD<separator>DIRECTION` (LlamadaPro's `sortBy=createdAt=desc`).
    Joined { param: String, separator: String },
    /// `{direction, by}`: a direction parameter alone, the order being by the field `by` (raia's messages by `createdAt`).
    Direction { direction: String, by: String },
}

impl SortFlag {
    /// The parameters it sets.
    pub fn params(&self) -> Vec<&str> {
        match self {
            SortFlag::Pair { field, direction } => vec![field, direction],
            SortFlag::Joined { param, .. } => vec![param],
            SortFlag::Direction { direction, .. } => vec![direction],
        }
    }
}

/// `x-cli` on a parameter: the flag's name when it is not the parameter's
/// name in kebab case, its hidden aliases, and flags it cannot go with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CliFlag {
    pub flag: Option<String>,
    pub aliases: Vec<String>,
    /// Other parameters (by name) it may not be sent with.
    pub conflicts: Vec<String>,
    /// An object field typed as its parts' values joined (`split:
    /// {separator: ':', keys: [type, id]}` reads `user:u1`); of a list of
    /// objects, each value one item.
    pub split: Option<Split>,
    /// An object field of texts typed as repeated `KEY<pairs>VALUE`.
    pub pairs: Option<String>,
    /// Short names of enum values (`stop` for `stopRecording`), with the
    /// value each stands for.
    pub values: Vec<(String, String)>,
    /// A list's items built from flags, in command-line order.
    pub items: Vec<ItemFlag>,
    /// The value a body field takes when neither its flag nor the body
    /// file gives one.
    pub default: Option<Value>,
    /// A text body field read from the local file its flag names,
    /// base64-encoded; by role (`name`, `type`), the fields that take the
    /// file's name and media type (`application/octet-stream`) unless given.
    pub file: Option<Vec<(String, String)>>,
}

/// `split: {separator, keys}`: one text's parts, at `separator`, are the
/// values of `keys` in order; keys written with a final `?` may be left
/// out (from the end).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Split {
    pub separator: String,
    /// Without their `?`.
    pub keys: Vec<String>,
    /// How many of `keys` (the first ones) every text gives.
    pub required: usize,
}

impl Split {
    /// The object `text` stands for, or `None` when it has too few or too
    /// many parts, or an empty one.
    pub fn read(&self, text: &str) -> Option<serde_json::Map<String, Value>> {
        let parts: Vec<&str> = text.splitn(self.keys.len(), self.separator.as_str()).collect();
        if parts.len() < self.required || parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        Some(self.keys.iter().cloned().zip(parts.into_iter().map(Value::from)).collect())
    }

    /// How a value reads: `TYPE:ID`, `TTR[:VALUE]`.
    pub fn value_name(&self) -> String {
        let (required, optional) = self.keys.split_at(self.required.min(self.keys.len()));
        let mut name = required.join(&self.separator).to_ascii_uppercase();
        for key in optional {
            name.push_str(&format!("[{}{}]", self.separator, key.to_ascii_uppercase()));
        }
        name
    }
}

/// One flag of `x-cli`'s `items` on a list (see `specs/EXTENSIONS.md`):
/// each value adds an item built from `item`, or, with `into`, puts it
/// inside the item before it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ItemFlag {
    pub flag: String,
    /// What each value becomes: a template in which the text `$` is the
    /// value (typed by `kind`), `$1`, `$2`, … its parts at `separator`.
    pub item: Value,
    pub kind: ItemKind,
    /// Where in the item before it the value goes (a JSON pointer; a final
    /// `/-` appends to a list), instead of adding an item.
    pub into: Option<String>,
    /// What the item before becomes when it has no place `into` names: a
    /// template in which the text `$item` is that item.
    pub wrap: Option<Value>,
    pub separator: Option<String>,
    pub help: Option<String>,
}

/// How an item flag's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    Text,
    Number,
    Integer,
    /// A switch: no value, `true`.
    Boolean,
    /// A JSON document: written out, or a file (`-`: standard input).
    Json,
}

/// `x-cli` on a request body: the body's fields read from one text given
/// in place (`ttr CONVERSATION custom:45`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BodyCli {
    /// The text's name in the usage line (`TTR`).
    pub positional: String,
    /// Its parts: the body's fields.
    pub split: Split,
}

/// How a list pages, read from the `links` of its success response: a link
/// back to the same operation whose one (query) parameter takes a value of the
/// answer (`page: '$response.body#/metadata/paging/next_page'`). The items
/// are the answer's one array property, or where the link's `x-items` says.
/// With the link's `x-body` in place of its `parameters`, the parameter is a
/// field of the request body (a search's `pageToken`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Paging {
    /// The request parameter that asks for the next page (`page`, `pageToken`).
    pub param: String,
    /// Whether `param` is a field of the request body, not a query parameter.
    pub in_body: bool,
    /// Where the answer holds that parameter's next value, as a JSON
    /// pointer (`/nextPageToken`); absent or null on the last page. With
    /// [`Paging::number`], the answer's own page number instead.
    pub next: String,
    /// Where the answer holds the page's items, as a JSON pointer (`/data`).
    pub items: String,
    /// Set when pages are numbered and the answer says only its own number
    /// (the link's `x-page-number`): the next is that number plus one.
    pub number: Option<PageNumber>,
}

/// Where a numbered page says whether another follows (`x-page-number`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageNumber {
    /// A boolean that is false on the last page (`/hasNextPage`).
    pub more: Option<String>,
    /// The number of the last page (`/totalPages`).
    pub last: Option<String>,
}

impl Paging {
    /// The paging parameter's value for the page after `answer`; `None` on
    /// the last page.
    pub fn next_value(&self, answer: &Value) -> Option<Value> {
        let next = answer.pointer(&self.next).filter(|v| !v.is_null() && v.as_str() != Some(""))?;
        let Some(number) = &self.number else { return Some(next.clone()) };
        let at = |pointer: &Option<String>| pointer.as_ref().and_then(|p| answer.pointer(p));
        let items = answer.pointer(&self.items).and_then(Value::as_array).is_some_and(|items| !items.is_empty());
        let (more, last) = (at(&number.more).and_then(Value::as_bool), at(&number.last).and_then(Value::as_u64));
        next_page_number(next.as_u64(), more, last, items).map(Value::from)
    }
}

/// The number of the page after page `current`: none once the answer says
/// no more follow, or it is the last, or it was empty (so a server that
/// miscounts cannot keep a walk going).
pub fn next_page_number(current: Option<u64>, more: Option<bool>, last: Option<u64>, had_items: bool) -> Option<u64> {
    let current = current?;
    let ends = more == Some(false) || !had_items || last.is_some_and(|last| current >= last);
    if ends { None } else { current.checked_add(1) }
}

/// One `x-range` pair: when both are sent, `from` may not be after `to`
/// (nor equal to it, if `exclusive`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Range {
    pub from: String,
    pub to: String,
    pub exclusive: bool,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
}

impl Location {
    /// As the spec's `in` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
        }
    }
}

/// One parameter of an operation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Parameter {
    pub name: String,
    pub location: Location,
    /// Path parameters are always required.
    pub required: bool,
    pub description: Option<String>,
    pub example: Option<Value>,
    /// Its schema, `$ref` resolved (`Null` when it has none).
    pub schema: Value,
    /// Its schema as written, a `$ref` kept, so that a change to a shared
    /// component is told as that component's (`spec::diff`).
    pub written_schema: Value,
    pub style: Option<String>,
    pub explode: Option<bool>,
    /// The schema of the JSON document the parameter carries: its
    /// `content`'s JSON media type's, or `x-content-schema`'s (as a `$ref`).
    pub json_schema: Option<Value>,
    /// `x-required-unless`: required unless this other parameter is sent.
    pub required_unless: Option<String>,
    /// `x-exclusive: true`: when it is sent, no other query parameter may be.
    pub exclusive: bool,
    /// `x-not-with: {param}`: never sent together with that other parameter
    /// (two bounds of the same side of a range, two ways to match a title).
    pub not_with: Option<String>,
    /// `x-on-maximum: clamp`: a value above the schema's `maximum` is served
    /// as the maximum, not refused.
    pub clamp_at_maximum: bool,
    /// `x-filter: {field, op}`: which items of the list it keeps.
    pub filter: Option<Filter>,
    /// `x-sort: {fields}`: the fields a list's sort parameter may name.
    pub sorts: Vec<String>,
    /// `x-lenient`: rule names (see `spec::lenient`).
    pub lenient: Vec<String>,
    /// `x-cli`: its flag's name and aliases.
    pub cli: CliFlag,
}

/// `x-filter` of a query parameter: the list keeps the items whose `field`
/// (a dotted path in the item, `account.id`) compares so with its value;
/// with `contains`, one of `fields` holds it, ignoring case; with `pairs`,
/// the value is `name:value` pairs joined by `;`, each held by one of the
/// paths `fields` gives its name (a name `prefix.*`: any field under
/// `prefix`, itself), ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Filter {
    pub field: String,
    pub op: FilterOp,
    /// `contains` and `pairs`: each name the value may give, and its paths.
    pub fields: Vec<(String, Vec<String>)>,
}

/// How an `x-filter` compares an item's field (left) with the parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterOp {
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
    /// Equal to one of the values (a repeated parameter).
    In,
    StartsWith,
    /// Holds the value, ignoring case.
    Contains,
    /// `name:value` pairs, each equal, ignoring case.
    Pairs,
}

impl FilterOp {
    /// The names `x-filter`'s `op` takes, in this order.
    pub const NAMES: [(&'static str, FilterOp); 9] = [
        ("eq", FilterOp::Eq),
        ("lt", FilterOp::Lt),
        ("lte", FilterOp::Lte),
        ("gt", FilterOp::Gt),
        ("gte", FilterOp::Gte),
        ("in", FilterOp::In),
        ("starts-with", FilterOp::StartsWith),
        ("contains", FilterOp::Contains),
        ("pairs", FilterOp::Pairs),
    ];
}

/// An operation's `requestBody`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RequestBody {
    pub required: bool,
    /// By media type, in the spec's order.
    pub content: Vec<MediaType>,
    /// `x-lenient` on the body: rule names.
    pub lenient: Vec<String>,
    /// `x-cli`: the body read from one text given in place.
    pub cli: Option<BodyCli>,
}

/// One media type of a body: its schema (`$ref` resolved) and example.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MediaType {
    /// As written (`application/json; charset=utf-8`).
    pub name: String,
    /// `Null` when it has none.
    pub schema: Value,
    /// Its schema as written, a `$ref` kept (see [`Parameter::written_schema`]).
    pub written_schema: Value,
    /// The media type's `example`, else its schema's.
    pub example: Option<Value>,
}

/// One documented response.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response {
    /// The status key: `200`, `2XX` or `default`.
    pub status: String,
    pub content: Vec<MediaType>,
    /// The calls its answer leads to (OpenAPI `links`).
    pub links: Vec<Link>,
    /// `x-cli`: what the command line adds when the answer is this one.
    pub cli: Option<ResponseCli>,
}

/// `x-cli` on an error response: what it means, and the parameter values
/// with which the same call would do it (LlamadaPro's 409 of a definition
/// in use: `force: true`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseCli {
    pub meaning: Option<String>,
    pub retry_with: Vec<(String, Value)>,
    /// Meanings by a text the error's message holds (any case), when it
    /// holds exactly one of them (raia's manual message refused: `voice`, `manual`).
    pub meanings: Vec<(String, String)>,
}

impl ResponseCli {
    /// What an error whose message is `message` means: the one meaning
    /// whose text it holds, else `meaning`.
    pub fn meaning_of(&self, message: &str) -> Option<&str> {
        let message = message.to_lowercase();
        let mut held = self.meanings.iter().filter(|(text, _)| message.contains(&text.to_lowercase()));
        match (held.next(), held.next()) {
            (Some((_, meaning)), None) => Some(meaning),
            _ => self.meaning.as_deref(),
        }
    }
}

/// A response's link: the operation its answer leads to, with the values of
/// that operation's parameters (runtime expressions such as
/// `$response.body#/data/0/id`, or constants).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Link {
    pub operation_id: String,
    pub parameters: Vec<(String, Value)>,
}

impl Spec {
    /// The model of the spec `doc` (OpenAPI 3.0 as JSON).
    pub fn parse(doc: &Value) -> Result<Self, ModelError> {
        Self::read(doc.clone())
    }

    /// The model of an embedded spec (an API's `SPEC_JSON`), read once per
    /// process: the runtime, the CLI and the sandbox all ask for it, and a
    /// debug `convo` spent a third of its start reading it again each time.
    pub fn embedded(json: &'static str) -> Result<&'static Self, &'static ModelError> {
        static READ: Embedded<Result<Spec, ModelError>> = Embedded::new();
        READ.get(json, || Self::from_json(json)).as_ref()
    }

    /// The model, kept with the document it was read from (not a copy of it).
    fn read(owned: Value) -> Result<Self, ModelError> {
        let doc = &owned;
        let mut security_schemes = security_schemes(doc)?;
        let root = At::new("", "#");
        let global = security(&security_schemes, doc.get("security"), &root.child(None, "security"))?;
        let mut operations = Vec::new();
        for (path, item) in entries(doc, "paths") {
            let at_item = root.child(None, "paths").child(Some(&format!("path {path}")), path);
            let item = resolve(doc, item);
            // In the path item's own order.
            let methods = item.as_object().into_iter().flatten().filter(|(m, _)| METHODS.contains(&m.as_str()));
            for (method, op) in methods {
                let at = At::new(format!("{} {path}", method.to_ascii_uppercase()), at_item.pointer.clone())
                    .child(None, method);
                let id = op.get("operationId").and_then(Value::as_str).ok_or_else(|| at.error("no operationId"))?;
                let parameters = parameters(doc, item, op, &at_item, &at)?;
                let body = op.get("requestBody").map(|b| request_body(doc, resolve(doc, b), &at.part("requestBody")));
                let security = match op.get("security") {
                    Some(own) => security(&security_schemes, Some(own), &at.child(None, "security"))?,
                    None => global.clone(),
                };
                operations.push(Operation {
                    id: id.to_owned(),
                    method: method.clone(),
                    path: path.clone(),
                    pointer: at.pointer.clone(),
                    summary: text(op, "summary"),
                    description: text(op, "description"),
                    paging: paging(doc, id, op, &parameters, &at)?,
                    parameters,
                    request_body: body.transpose()?,
                    responses: responses(doc, op, &at)?,
                    security,
                    server: servers(op).into_iter().next().or_else(|| servers(item).into_iter().next()),
                    retry_safe: is_true(op, "x-retry-safe"),
                    ranges: ranges(op.get("x-range"), &at.part("x-range"))?,
                    lenient: lenient(op, &at)?,
                    cli: cli_command(op.get("x-cli"), &at.part("x-cli"))?,
                    wait: wait(op.get("x-wait"), &at.part("x-wait"))?,
                });
            }
        }
        for scheme in &mut security_schemes {
            if let Some(source) = &mut scheme.token {
                let at = At::new(format!("security scheme {}: x-token", scheme.name), "#/components/securitySchemes");
                token_fields(doc, source, &operations, &at)?;
            }
        }
        let (title, servers, rate_limit) =
            (doc.get("info").and_then(|info| text(info, "title")), servers(doc), rate_limit(doc)?);
        let filter_tables = filter_tables(doc)?;
        Ok(Spec { doc: owned, title, servers, operations, security_schemes, rate_limit, filter_tables })
    }

    /// The model of the spec in `json` (what each API's `SPEC_JSON` holds).
    pub fn from_json(json: &str) -> Result<Self, ModelError> {
        // `parse` is serde_json's own instance, built with its own (test
        // builds: optimised) profile, where `from_str` would be this crate's.
        let doc: Value = json.parse().map_err(|e| At::new("", "#").error(format!("not JSON: {e}")))?;
        Self::read(doc)
    }

    /// `value`, its `$ref`s followed within this spec.
    pub fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        resolve(&self.doc, value)
    }

    /// The server a client uses unless told another: the first whose URL
    /// has no variables. One with variables (a customer's own host, as
    /// Luware's `https://{host}`) must be given.
    pub fn default_server(&self) -> Option<&str> {
        let servers = self.doc.get("servers").and_then(Value::as_array).into_iter().flatten();
        let fixed = servers.filter(|server| server.get("variables").is_none());
        fixed.filter_map(|server| server.get("url")?.as_str()).next()
    }

    /// The operation whose `operationId` is `id`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.id == id)
    }

    /// What `op` can wait for: the operation that reports its state (one
    /// with `x-wait`) and the link of `op`'s success response that leads
    /// there, or `op` itself (no link) when it reports a state.
    pub fn wait_link<'a>(&'a self, op: &'a Operation) -> Option<(&'a Operation, Option<&'a Link>)> {
        if op.wait.is_some() {
            return Some((op, None));
        }
        let mut links = op.responses.iter().filter(|r| r.status.starts_with('2')).flat_map(|r| &r.links);
        links.find_map(|link| Some((self.operation(&link.operation_id).filter(|to| to.wait.is_some())?, Some(link))))
    }

    /// The security scheme named `name`.
    pub fn security_scheme(&self, name: &str) -> Option<&SecurityScheme> {
        self.security_schemes.iter().find(|scheme| scheme.name == name)
    }
}

impl Operation {
    /// The schemes of its first way in: what a client sends (every spec
    /// here offers one way per operation).
    pub fn first_security(&self) -> &[String] {
        self.security.first().map_or(&[], Vec::as_slice)
    }

    /// The media types its success responses document (a download's
    /// `application/octet-stream`), each once.
    pub fn success_media_types(&self) -> Vec<&str> {
        let mut types: Vec<&str> = Vec::new();
        let success = self.responses.iter().filter(|r| r.status.starts_with('2'));
        for name in success.flat_map(|r| &r.content).map(|m| m.name.as_str()) {
            if !types.contains(&name) {
                types.push(name);
            }
        }
        types
    }

    /// Its request body's JSON media type (`application/json`, `*+json`),
    /// else its form (`application/x-www-form-urlencoded`).
    pub fn body_media(&self) -> Option<&MediaType> {
        let content = &self.request_body.as_ref()?.content;
        let json = content.iter().find(|m| m.name.contains("json"));
        json.or_else(|| content.iter().find(|m| m.name == "application/x-www-form-urlencoded"))
    }
}

/// Follows `$ref`s within the document; a reference that leads nowhere (or
/// a chain too long: a cycle) leaves `value` as it is.
pub fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    deref(doc, value).unwrap_or(value)
}

/// Longest chain of `$ref`s pointing at `$ref`s that is followed.
const MAX_REF_HOPS: usize = 32;

/// Follows `$ref`s (local JSON pointers only) until a node without one.
pub(crate) fn deref<'a>(root: &'a Value, mut node: &'a Value) -> Result<&'a Value, String> {
    for _ in 0..MAX_REF_HOPS {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else { return Ok(node) };
        node = reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .ok_or_else(|| format!("unresolvable $ref {reference}"))?;
    }
    Err("$ref chain too long (cycle?)".to_owned())
}

/// A schema's `type`; of OpenAPI 3.1's `["string", "null"]`, the other one.
pub fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t),
        Value::Array(types) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

/// A schema's `enum` values as text (strings as they are, others as JSON).
pub fn enum_values(schema: &Value) -> Vec<String> {
    let values = schema.get("enum").and_then(Value::as_array).into_iter().flatten();
    values.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect()
}

/// A trimmed, non-empty text field.
pub fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

/// `getConversation` → `get-conversation`, `created_at[lt]` → `created-at-lt`.
pub fn case(name: &str, separator: char) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            let boundary =
                c.is_ascii_uppercase() && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit());
            if boundary || (previous.is_none() && !out.is_empty()) {
                out.push(separator);
            }
            out.push(c.to_ascii_lowercase());
            previous = Some(c);
        } else {
            previous = None;
        }
    }
    out
}

/// The entries of `value`'s object `key`; none when it is not an object.
fn entries<'v>(value: &'v Value, key: &str) -> impl Iterator<Item = (&'v String, &'v Value)> {
    value.get(key).and_then(Value::as_object).into_iter().flatten()
}

/// Whether `value`'s `key` is `true`.
fn is_true(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool) == Some(true)
}

/// A key as a JSON pointer segment (`~` and `/` escaped).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer segment as the key it stands for (`~1` is `/`, `~0` is `~`): [`escape`] undone.
pub fn unescape(segment: &str) -> std::borrow::Cow<'_, str> {
    match segment.contains('~') {
        true => segment.replace("~1", "/").replace("~0", "~").into(),
        false => segment.into(),
    }
}

/// The URLs of the `servers` of a document, path item or operation, each
/// variable at its default.
fn servers(holder: &Value) -> Vec<String> {
    let servers = holder.get("servers").and_then(Value::as_array).into_iter().flatten();
    servers
        .filter_map(|server| {
            let mut url = server.get("url")?.as_str()?.to_owned();
            for (name, variable) in entries(server, "variables") {
                if let Some(default) = variable.get("default").and_then(Value::as_str) {
                    url = url.replace(&format!("{{{name}}}"), default);
                }
            }
            Some(url)
        })
        .collect()
}

fn security_schemes(doc: &Value) -> Result<Vec<SecurityScheme>, ModelError> {
    let mut schemes = Vec::new();
    let at_all = At::new("", "#/components/securitySchemes");
    for (name, scheme) in entries(&doc["components"], "securitySchemes") {
        let at = at_all.child(Some(&format!("security scheme {name}")), name);
        let scheme = resolve(doc, scheme);
        let field = |key: &str| scheme.get(key).and_then(Value::as_str);
        let carrier = match field("type") {
            Some("apiKey") => {
                let key = field("name").ok_or_else(|| at.error("apiKey without a name"))?;
                match field("in") {
                    Some("header") => Carrier::Header(key.to_ascii_lowercase()),
                    Some("query") => Carrier::Query(key.to_owned()),
                    Some("cookie") => Carrier::Cookie(key.to_owned()),
                    other => return Err(at.error(format!("apiKey in {other:?}"))),
                }
            }
            Some("http") => Carrier::Authorization(field("scheme").unwrap_or("bearer").to_ascii_lowercase()),
            Some("oauth2" | "openIdConnect") => Carrier::Authorization("bearer".into()),
            other => return Err(at.error(format!("type {other:?} is not supported"))),
        };
        let cli = at.part("x-cli");
        let x = Object::given(scheme.get("x-cli"), &cli, &["flag", "env"])?;
        let text = |key: &str| x.map_or(Ok(None), |x| x.get(key, string, &format!("`{key}` must be a text")));
        let (cli_flag, cli_env, description) = (text("flag")?, text("env")?, first_paragraph(scheme));
        let token = token_source(scheme.get("x-token"), &at.part("x-token"))?;
        if token.is_some() && carrier != Carrier::Authorization("bearer".into()) {
            return Err(at.error("x-token is for a bearer scheme"));
        }
        schemes.push(SecurityScheme { name: name.clone(), carrier, description, cli_flag, cli_env, token });
    }
    Ok(schemes)
}

/// The first paragraph of `node`'s `description`, on one line.
fn first_paragraph(node: &Value) -> Option<String> {
    let text = node.get("description")?.as_str()?;
    let first = text.trim().split("\n\n").next()?.split_whitespace().collect::<Vec<_>>().join(" ");
    (!first.is_empty()).then_some(first)
}

/// `x-token: {operation, token, expires-in?, lifetime?}`; its fields are
/// the operation's, read once the operations are (see [`token_fields`]).
fn token_source(value: Option<&Value>, at: &At) -> Result<Option<TokenSource>, ModelError> {
    let Some(x) = Object::given(value, at, &["operation", "token", "expires-in", "lifetime"])? else { return Ok(None) };
    // A pointer that is not a text is taken for none.
    let pointer = |key: &str| match x.value.get(key).and_then(Value::as_str) {
        Some(p) if !p.starts_with('/') => Err(at.error(format!("`{key}` must be a JSON pointer (/access_token)"))),
        p => Ok(p.map(str::to_owned)),
    };
    let lifetime = x.get("lifetime", positive, "`lifetime` must be positive seconds")?;
    let operation = x.need("operation", string, "`operation` must name the token's operation")?;
    let token = pointer("token")?.ok_or_else(|| at.error("`token` must say where the answer holds it"))?;
    let expires_in = pointer("expires-in")?;
    Ok(Some(TokenSource { operation, token, expires_in, lifetime, fields: Vec::new(), form: false }))
}

/// The fields of `source`'s operation's body: an object's properties.
fn token_fields(doc: &Value, source: &mut TokenSource, operations: &[Operation], at: &At) -> Result<(), ModelError> {
    let op = operations.iter().find(|op| op.id == source.operation);
    let op = op.ok_or_else(|| at.error(format!("no operation {:?}", source.operation)))?;
    let media = op.request_body.as_ref().and_then(|body| body.content.first());
    let media = media.ok_or_else(|| at.error(format!("{} has no request body", op.id)))?;
    source.form = media.name.starts_with("application/x-www-form-urlencoded");
    for (name, property) in entries(resolve(doc, &media.schema), "properties") {
        let property = resolve(doc, property);
        let field = |key: &str| property.get(key).and_then(Value::as_str);
        let number = matches!(field("type"), Some("integer" | "number"));
        let secret = field("format") == Some("password");
        source.fields.push(TokenField { name: name.clone(), secret, number, description: first_paragraph(property) });
    }
    Ok(())
}

/// A `security` list: its alternatives, each naming schemes of the spec.
fn security(schemes: &[SecurityScheme], security: Option<&Value>, at: &At) -> Result<Vec<Vec<String>>, ModelError> {
    let Some(security) = security else { return Ok(Vec::new()) };
    let alternatives = security.as_array().ok_or_else(|| at.error("security is not an array"))?;
    let scheme = |name: &String| match schemes.iter().any(|s| s.name == *name) {
        true => Ok(name.clone()),
        false => Err(at.error(format!("security scheme {name} is not in components.securitySchemes"))),
    };
    let not_object = || at.error("a security requirement is not an object");
    alternatives.iter().map(|r| r.as_object().ok_or_else(not_object)?.keys().map(scheme).collect()).collect()
}

/// Every `x-filter-table` of `components.schemas`:
///
/// ```yaml
/// startTime: {type: date-time, operators: [GREATER_THAN, BETWEEN], description: Start Time.}
/// hold: {type: integer, nullable: true, operators: [EQUAL, NOT_EQUAL]}
/// ```
fn filter_tables(doc: &Value) -> Result<Vec<FilterTable>, ModelError> {
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten();
    let tables = schemas.filter_map(|(name, schema)| Some((name, schema, schema.get("x-filter-table")?)));
    tables
        .map(|(name, schema, table)| {
            let at = At::new(format!("schema {name}"), format!("#/components/schemas/{}", escape(name)));
            filter_table(doc, name, schema, table, &at.part("x-filter-table"))
        })
        .collect()
}

fn filter_table(doc: &Value, name: &str, schema: &Value, table: &Value, at: &At) -> Result<FilterTable, ModelError> {
    let table = table.as_object().ok_or_else(|| at.error("must be a mapping from field to row"))?;
    let fields = schema
        .get("enum")
        .and_then(Value::as_array)
        .filter(|_| type_of(schema) == Some("string"))
        .ok_or_else(|| at.error("belongs on a string enum schema (its `enum` lists the fields in order)"))?;
    let known_operators: Vec<&str> = doc
        .pointer("/components/schemas/FilterOperator/enum")
        .and_then(Value::as_array)
        .map(|ops| ops.iter().filter_map(Value::as_str).collect())
        .ok_or_else(|| at.error("the spec needs a `FilterOperator` string enum listing the operators"))?;
    if let Some(key) = table.keys().find(|key| !fields.iter().any(|f| f.as_str() == Some(key))) {
        return Err(at.error(format!("row {key:?} is not a value of the schema's `enum`")));
    }
    let mut rows = Vec::new();
    for field in fields {
        let wire = field.as_str().ok_or_else(|| at.error(format!("enum value {field} is not a string")))?;
        let at = at.child(Some(wire), wire);
        let row = table.get(wire).ok_or_else(|| at.error("the enum value has no row"))?;
        // `x-provenance`: a row may cite its own lines (`convo spec provenance` checks them).
        let known = ["type", "operators", "nullable", "description", "x-provenance"];
        let row = Object { value: row, at: &at }.known(&known)?;
        let message = format!("`type` must be one of {}", FILTER_VALUE_TYPES.join(", "));
        let kind = row.need("type", Value::as_str, &message).map(str::to_owned)?;
        if !FILTER_VALUE_TYPES.contains(&kind.as_str()) {
            return Err(at.error(message));
        }
        let operators = row.need("operators", texts, "`operators` must be a non-empty list")?;
        if operators.is_empty() {
            return Err(at.error("`operators` must be a non-empty list"));
        }
        for (i, op) in operators.iter().enumerate() {
            if !known_operators.contains(&op.as_str()) || operators[..i].contains(op) {
                let known = known_operators.join(", ");
                return Err(
                    at.error(format!("operator {op:?} is repeated or not in the `FilterOperator` enum ({known})"))
                );
            }
        }
        // The compact form `field=A..B` means BETWEEN only because no field has both.
        if ["BETWEEN", "EQUAL"].iter().all(|both| operators.iter().any(|op| op == both)) {
            return Err(at.error("a field may not allow both EQUAL and BETWEEN (`field=A..B` would be ambiguous)"));
        }
        let nullable = row.get("nullable", Value::as_bool, "`nullable` must be true or false")?.unwrap_or(false);
        if nullable && kind != "integer" {
            return Err(at.error("only integer fields may be `nullable`"));
        }
        let description = row.get("description", Value::as_str, "`description` must be text")?;
        let description = description.unwrap_or_default().trim().to_owned();
        rows.push(FilterRow { field: wire.to_owned(), kind, operators, nullable, description });
    }
    Ok(FilterTable { name: name.to_owned(), rows })
}

fn rate_limit(doc: &Value) -> Result<Option<RateLimit>, ModelError> {
    let (at, known) =
        (At::new("x-rate-limit", "#/x-rate-limit"), ["remaining-header", "cost-header", "window-seconds", "max-cost"]);
    let Some(limit) = Object::given(doc.get("x-rate-limit"), &at, &known)? else { return Ok(None) };
    let header = |v: &Value| v.as_str().map(str::to_ascii_lowercase);
    Ok(Some(RateLimit {
        remaining_header: limit.need("remaining-header", header, "remaining-header must name a header")?,
        cost_header: limit.value.get("cost-header").and_then(header),
        window_seconds: limit.need("window-seconds", positive, "window-seconds must be positive")?,
        max_cost: limit.value.get("max-cost").and_then(Value::as_u64).unwrap_or(1),
    }))
}

/// A key of `object` that is neither one of `known` nor an `x-` one.
fn unknown_key<'v>(object: &'v Value, known: &[&str]) -> Option<&'v String> {
    let mut keys = object.as_object().into_iter().flat_map(|map| map.keys());
    keys.find(|k| !known.contains(&k.as_str()) && !k.starts_with("x-"))
}

/// `object`'s `key`, when it has no other (but `x-` notes).
fn sole<'v>(object: &'v Value, key: &str) -> Option<&'v Value> {
    object.get(key).filter(|_| unknown_key(object, &[key]).is_none())
}

/// An object of the spec (mostly an extension: `x-cli`, `x-wait`, …) and
/// where it is, read key by key: an error names that place.
#[derive(Clone, Copy)]
struct Object<'v> {
    value: &'v Value,
    at: &'v At,
}

impl<'v> Object<'v> {
    /// `value`, when given, once its keys are `known` ones (or `x-` notes).
    fn given(value: Option<&'v Value>, at: &'v At, known: &[&str]) -> Result<Option<Self>, ModelError> {
        value.map(|value| Object { value, at }.known(known)).transpose()
    }

    /// Itself, when its keys are `known` ones (or `x-` notes).
    fn known(self, known: &[&str]) -> Result<Self, ModelError> {
        match unknown_key(self.value, known) {
            Some(key) => Err(self.at.error(format!("unknown key {key:?} (known: {}, x-*)", known.join(", ")))),
            None => Ok(self),
        }
    }

    /// `key`'s value as `read` takes it, when there; `message` when `read` does not take it.
    fn get<T>(self, key: &str, read: fn(&'v Value) -> Option<T>, message: &str) -> Result<Option<T>, ModelError> {
        self.value.get(key).map(|v| read(v).ok_or_else(|| self.at.error(message))).transpose()
    }

    /// `key`'s value as `read` takes it; `message` when it is not there or `read` does not take it.
    fn need<T>(self, key: &str, read: fn(&'v Value) -> Option<T>, message: &str) -> Result<T, ModelError> {
        self.value.get(key).and_then(read).ok_or_else(|| self.at.error(message))
    }

    /// `key`'s list of texts; none when it is not there.
    fn texts(self, key: &str) -> Result<Vec<String>, ModelError> {
        Ok(self.get(key, texts, &format!("`{key}` must be a list of texts"))?.unwrap_or_default())
    }
}

/// Readers of a value for [`Object::get`] and [`Object::need`]: none when it
/// is not what they read.
fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn object(value: &Value) -> Option<Value> {
    value.is_object().then(|| value.clone())
}

fn json_pointer(value: &Value) -> Option<String> {
    value.as_str().filter(|p| p.starts_with('/')).map(str::to_owned)
}

fn positive(value: &Value) -> Option<u64> {
    value.as_u64().filter(|n| *n > 0)
}

fn texts(value: &Value) -> Option<Vec<String>> {
    value.as_array()?.iter().map(string).collect()
}

/// An object's keys and their texts.
fn text_pairs(value: &Value) -> Option<Vec<(String, String)>> {
    value.as_object()?.iter().map(|(key, text)| Some((key.clone(), string(text)?))).collect()
}

fn lenient(node: &Value, at: &At) -> Result<Vec<String>, ModelError> {
    let names = Object { value: node, at }.get("x-lenient", texts, "x-lenient must be a list of rule names")?;
    Ok(names.unwrap_or_default())
}

/// `x-range: {from, to, exclusive?}` or a list of those.
fn ranges(spec: Option<&Value>, at: &At) -> Result<Vec<Range>, ModelError> {
    let entries = match spec {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one) => vec![one],
    };
    let mut ranges = Vec::new();
    for entry in entries {
        let entry = Object { value: entry, at };
        let name = |key: &str| entry.need(key, string, &format!("`{key}` must name a parameter"));
        let (from, to) = (name("from")?, name("to")?);
        let entry = entry.known(&["from", "to", "exclusive"])?;
        let exclusive = entry.get("exclusive", Value::as_bool, "`exclusive` must be true or false")?;
        ranges.push(Range { from, to, exclusive: exclusive.unwrap_or(false) });
    }
    Ok(ranges)
}

fn parameters(doc: &Value, item: &Value, op: &Value, at_item: &At, at_op: &At) -> Result<Vec<Parameter>, ModelError> {
    let list = |v: &Value| v.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let (shared, own) = (list(item), list(op));
    let key = |p: &Value| {
        let p = resolve(doc, p);
        (p.get("name").cloned(), p.get("in").cloned())
    };
    // Each with where it is written, for errors.
    let in_list = |at: &At, i: usize| At::new(at_op.place.clone(), format!("{}/parameters/{i}", at.pointer));
    let overridden = |p: &Value| own.iter().any(|o| key(o) == key(p));
    let inherited = shared.iter().enumerate().filter(|(_, p)| !overridden(p)).map(|(i, p)| (in_list(at_item, i), p));
    let own = own.iter().enumerate().map(|(i, p)| (in_list(at_op, i), p));
    inherited.chain(own).map(|(at, p)| parameter(doc, resolve(doc, p), at)).collect()
}

fn parameter(doc: &Value, p: &Value, at: At) -> Result<Parameter, ModelError> {
    let name = p.get("name").and_then(Value::as_str).ok_or_else(|| at.error("parameter without a name"))?;
    let given = p.get("in").and_then(Value::as_str);
    let locations = [Location::Path, Location::Query, Location::Header, Location::Cookie];
    let location = locations.into_iter().find(|l| Some(l.as_str()) == given);
    let location = location.ok_or_else(|| at.error(format!("parameter {name}: unknown location {given:?}")))?;
    let kind = match location {
        Location::Header => "header".to_owned(),
        other => format!("{} parameter", other.as_str()),
    };
    let at = At::new(format!("{}: {kind} {name}", at.place), at.pointer);
    let x = Object { value: p, at: &at };
    let json_schema = match x.get("x-content-schema", Value::as_str, "x-content-schema must be a string")? {
        Some(pointer) => Some(serde_json::json!({ "$ref": pointer })),
        None => match p.get("content").and_then(Value::as_object) {
            None => None,
            Some(content) => {
                let json = content.iter().find(|(media, _)| is_json(media));
                let (_, media) = json.ok_or_else(|| at.error("content is not JSON"))?;
                Some(media.get("schema").cloned().unwrap_or_default())
            }
        },
    };
    let clamp_at_maximum = match p.get("x-on-maximum").map(Value::as_str) {
        None => false,
        Some(Some("clamp")) => true,
        Some(other) => return Err(at.error(format!("unsupported x-on-maximum {other:?}"))),
    };
    let not_with =
        x.get("x-not-with", |rule| string(sole(rule, "param")?), "x-not-with must be {param: <name>} (and x- notes)")?;
    let filter = p.get("x-filter").map(|rule| filter(rule, &at.part("x-filter"))).transpose()?;
    let sorts =
        x.get("x-sort", |rule| paths(sole(rule, "fields")?), "x-sort must be {fields: [<field>, …]} (and x- notes)")?;
    let required_unless = x.get("x-required-unless", string, "x-required-unless must name a parameter")?;
    Ok(Parameter {
        name: name.to_owned(),
        location,
        required: location == Location::Path || is_true(p, "required"),
        description: text(p, "description"),
        example: p.get("example").cloned(),
        schema: p.get("schema").map(|s| resolve(doc, s).clone()).unwrap_or(Value::Null),
        written_schema: p.get("schema").cloned().unwrap_or(Value::Null),
        style: text(p, "style"),
        explode: p.get("explode").and_then(Value::as_bool),
        json_schema,
        required_unless,
        exclusive: is_true(p, "x-exclusive"),
        not_with,
        clamp_at_maximum,
        filter,
        sorts: sorts.unwrap_or_default(),
        lenient: lenient(p, &at)?,
        cli: cli_flag(p.get("x-cli"), &at.part("x-cli"))?,
    })
}

fn filter(rule: &Value, at: &At) -> Result<Filter, ModelError> {
    let rule = Object { value: rule, at }.known(&["field", "op", "fields"])?;
    let op = rule.value.get("op").and_then(Value::as_str).unwrap_or_default();
    let Some(&(_, op)) = FilterOp::NAMES.iter().find(|(name, _)| *name == op) else {
        let names: Vec<&str> = FilterOp::NAMES.iter().map(|(name, _)| *name).collect();
        return Err(at.error(format!("op {op:?} is not one of {}", names.join(", "))));
    };
    if op == FilterOp::Pairs {
        let fields: Option<Vec<_>> =
            entries(rule.value, "fields").map(|(name, to)| Some((name.clone(), paths(to)?))).collect();
        let fields =
            fields.filter(|f| !f.is_empty()).ok_or_else(|| at.error("`fields` must give each name its paths"))?;
        return Ok(Filter { field: String::new(), op, fields });
    }
    let field = rule.need("field", paths, "`field` must name a field of the items")?;
    match (op, field.as_slice()) {
        (FilterOp::Contains, [first, ..]) => {
            Ok(Filter { field: first.clone(), op, fields: vec![(first.clone(), field.clone())] })
        }
        (_, [one]) => Ok(Filter { field: one.clone(), op, fields: Vec::new() }),
        _ => Err(at.error("`field` names several fields only with op contains")),
    }
}

/// A path, or a non-empty list of them.
fn paths(value: &Value) -> Option<Vec<String>> {
    let path = |p: &Value| p.as_str().filter(|p| !p.is_empty()).map(str::to_owned);
    match value {
        Value::Array(list) => list.iter().map(path).collect::<Option<Vec<_>>>().filter(|l| !l.is_empty()),
        one => Some(vec![path(one)?]),
    }
}

/// Whether a media type is JSON: `application/json` or a `+json` one.
pub fn is_json(media_type: &str) -> bool {
    // Without a lower-case copy: request bodies are checked on every call.
    let essence = written_essence(media_type);
    let suffix = essence.get(essence.len().saturating_sub(5)..);
    essence.eq_ignore_ascii_case("application/json") || suffix.is_some_and(|s| s.eq_ignore_ascii_case("+json"))
}

/// `Application/JSON; charset=utf-8` → `application/json`.
pub(crate) fn essence(media_type: &str) -> String {
    written_essence(media_type).to_ascii_lowercase()
}

/// [`essence`] in the case it is written.
fn written_essence(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or_default().trim()
}

fn media_types(doc: &Value, holder: &Value) -> Vec<MediaType> {
    entries(holder, "content")
        .map(|(name, media)| {
            let written_schema = media.get("schema").cloned().unwrap_or_default();
            let schema = resolve(doc, &written_schema).clone();
            let example = media.get("example").or_else(|| schema.get("example")).cloned();
            MediaType { name: name.clone(), schema, written_schema, example }
        })
        .collect()
}

fn request_body(doc: &Value, body: &Value, at: &At) -> Result<RequestBody, ModelError> {
    if !body.get("content").is_some_and(Value::is_object) {
        return Err(at.error("no content"));
    }
    let (cli, lenient) = (body_cli(body.get("x-cli"), &at.part("x-cli"))?, lenient(body, at)?);
    Ok(RequestBody { required: is_true(body, "required"), content: media_types(doc, body), lenient, cli })
}

fn body_cli(value: Option<&Value>, at: &At) -> Result<Option<BodyCli>, ModelError> {
    let Some(x) = Object::given(value, at, &["positional", "split"])? else { return Ok(None) };
    let positional = x.need("positional", string, "`positional` must name the text")?;
    let split = split(x.value.get("split"), at)?.ok_or_else(|| at.error("`split` must say the body's fields"))?;
    Ok(Some(BodyCli { positional, split }))
}

/// The paging of operation `id` (see [`Paging`]), from its success
/// responses' links.
fn paging(doc: &Value, id: &str, op: &Value, parameters: &[Parameter], at: &At) -> Result<Option<Paging>, ModelError> {
    for (status, response) in entries(op, "responses").filter(|(status, _)| status.starts_with('2')) {
        let response = resolve(doc, response);
        for (name, link) in entries(response, "links") {
            let link = resolve(doc, link);
            if link.get("operationId").and_then(Value::as_str) != Some(id) {
                continue;
            }
            let at = at.child(Some(&format!("link {name}")), "responses").child(None, status).child(None, "links");
            let at = at.child(None, name);
            // `x-body` stands in for `parameters` when the next page's value
            // goes in a field of the request body: a link may name only
            // parameters (and Schemathesis refuses one that names a field).
            let (in_body, links_parameters) = match link.get("x-body") {
                None => (false, link.get("parameters").and_then(Value::as_object)),
                Some(Value::Object(fields)) => (true, Some(fields)),
                Some(_) => return Err(at.error("x-body must map a body field to a `$response.body#` value")),
            };
            // A link to the same item (`self`) is not a next page: that takes a query parameter (or a body field).
            let asks_query = |name: &str| parameters.iter().any(|p| p.name == name && p.location == Location::Query);
            if !in_body && !links_parameters.into_iter().flatten().any(|(name, _)| asks_query(name)) {
                continue;
            }
            let mut from_body = links_parameters.into_iter().flatten().filter_map(|(param, value)| {
                let next = value.as_str()?.strip_prefix("$response.body#")?;
                Some((param.clone(), next.to_owned()))
            });
            let (Some((param, next)), None) = (from_body.next(), from_body.next()) else {
                return Err(at.error(
                    "a link to the same operation (the next page) must take one parameter from `$response.body#`",
                ));
            };
            let number = link.get("x-page-number").map(|n| page_number(n, &at.part("x-page-number"))).transpose()?;
            let items = match link.get("x-items") {
                Some(items) => items.as_str().ok_or_else(|| at.error("x-items must be a JSON pointer"))?.to_owned(),
                None => only_array_property(doc, response).ok_or_else(|| {
                    at.error("the answer has no single array property: say where the items are with x-items")
                })?,
            };
            return Ok(Some(Paging { param, in_body, next, items, number }));
        }
    }
    Ok(None)
}

/// A link's `x-page-number: {more?, last?}`, each a JSON pointer.
fn page_number(number: &Value, at: &At) -> Result<PageNumber, ModelError> {
    if !number.is_object() {
        return Err(at.error("must be an object"));
    }
    let x = Object { value: number, at }.known(&["more", "last"])?;
    let pointer = |key: &str| x.get(key, string, &format!("`{key}` must be a JSON pointer"));
    Ok(PageNumber { more: pointer("more")?, last: pointer("last")? })
}

/// `/<name>` of the one array property of a response's JSON schema.
fn only_array_property(doc: &Value, response: &Value) -> Option<String> {
    let media = media_types(doc, response).into_iter().find(|m| is_json(&m.name))?;
    let properties = media.schema.get("properties")?.as_object()?;
    let mut arrays = properties.iter().filter(|(_, schema)| type_of(resolve(doc, schema)) == Some("array"));
    match (arrays.next(), arrays.next()) {
        (Some((name, _)), None) => Some(format!("/{}", escape(name))),
        _ => None,
    }
}

fn responses(doc: &Value, op: &Value, at: &At) -> Result<Vec<Response>, ModelError> {
    entries(op, "responses")
        .map(|(status, response)| {
            let at = at.child(Some(&format!("response {status}")), "responses").child(None, status);
            let response = resolve(doc, response);
            let link = |(_, link): (&String, &Value)| {
                let link = resolve(doc, link);
                let parameters = entries(link, "parameters").map(|(k, v)| (k.clone(), v.clone())).collect();
                Some(Link { operation_id: link.get("operationId")?.as_str()?.to_owned(), parameters })
            };
            let links = entries(response, "links").filter_map(link).collect();
            let cli = response_cli(response.get("x-cli"), &at.part("x-cli"))?;
            Ok(Response { status: status.clone(), content: media_types(doc, response), links, cli })
        })
        .collect()
}

/// `x-cli` on a response: `{meaning?, meanings?: {text: meaning}, retry-with?: {param: value}}`.
fn response_cli(value: Option<&Value>, at: &At) -> Result<Option<ResponseCli>, ModelError> {
    let Some(x) = Object::given(value, at, &["meaning", "meanings", "retry-with"])? else { return Ok(None) };
    let meanings = x.get("meanings", text_pairs, "`meanings` must map texts of the message to what it means")?;
    let meaning = x.get("meaning", string, "`meaning` must be a text")?;
    let retry_with = x.get("retry-with", Value::as_object, "`retry-with` must map parameters to their values")?;
    let retry_with = retry_with.into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect();
    Ok(Some(ResponseCli { meaning, retry_with, meanings: meanings.unwrap_or_default() }))
}

/// `x-cli` on an operation: `{name, aliases?, columns?, sort?, record?, no-content?}`.
fn cli_command(value: Option<&Value>, at: &At) -> Result<Option<CliCommand>, ModelError> {
    let known = ["name", "aliases", "columns", "sort", "record", "no-content"];
    let Some(x) = Object::given(value, at, &known)? else { return Ok(None) };
    let name = x.need("name", Value::as_str, "`name` must be the command's words")?;
    let name: Vec<String> = name.split_whitespace().map(str::to_owned).collect();
    if name.is_empty() {
        return Err(at.error("`name` is empty"));
    }
    let sort = x.value.get("sort").map(|sort| sort_flag(sort, at)).transpose()?;
    Ok(Some(CliCommand {
        name,
        aliases: x.texts("aliases")?,
        columns: x.texts("columns")?,
        sort,
        record: x.value.get("record").and_then(string),
        no_content: x.get("no-content", object, "`no-content` must be the record printed (an object)")?,
    }))
}

fn sort_flag(sort: &Value, at: &At) -> Result<SortFlag, ModelError> {
    let text = |key: &str| {
        Object { value: sort, at }.need(key, string, &format!("sort.{key} must be a text (a parameter's name)"))
    };
    Ok(match (sort.get("param"), sort.get("by")) {
        (Some(_), _) => SortFlag::Joined { param: text("param")?, separator: text("separator")? },
        (None, Some(_)) => SortFlag::Direction { direction: text("direction")?, by: text("by")? },
        (None, None) => SortFlag::Pair { field: text("field")?, direction: text("direction")? },
    })
}

/// `x-cli` on a request body's property: `{flag?, aliases?, split?, pairs?}`.
pub fn property_cli(name: &str, property: &Value) -> Result<CliFlag, ModelError> {
    cli_flag(
        property.get("x-cli"),
        &At::new(format!("body field {name}"), format!("/properties/{}/x-cli", escape(name))),
    )
}

/// `x-cli` on a parameter or a body property.
fn cli_flag(value: Option<&Value>, at: &At) -> Result<CliFlag, ModelError> {
    let known = ["flag", "aliases", "conflicts", "split", "pairs", "values", "items", "default", "file"];
    let Some(x) = Object::given(value, at, &known)? else { return Ok(CliFlag::default()) };
    let pairs = x.get("pairs", string, "`pairs` must be the separator of a key and its value")?;
    let flag = x.get("flag", string, "`flag` must be a flag's name")?;
    let values = x.get("values", Value::as_object, "`values` must map short names to the values they stand for")?;
    let values = values.map(|_| x.need("values", text_pairs, "`values` maps names to texts")).transpose()?;
    let items = x.get("items", Value::as_array, "`items` must be a list of item flags")?;
    let items = items.into_iter().flatten().map(|entry| item_flag(entry, at)).collect::<Result<_, _>>()?;
    let (aliases, conflicts, split) = (x.texts("aliases")?, x.texts("conflicts")?, split(x.value.get("split"), at)?);
    let (values, default) = (values.unwrap_or_default(), x.value.get("default").cloned());
    let file = x.get("file", text_pairs, "`file` must map `name` and `type` to body fields")?;
    if file.iter().flatten().any(|(role, _)| role != "name" && role != "type") {
        return Err(at.error("`file` must map `name` and `type` to body fields"));
    }
    Ok(CliFlag { flag, aliases, conflicts, split, pairs, values, items, default, file })
}

fn split(value: Option<&Value>, at: &At) -> Result<Option<Split>, ModelError> {
    let Some(split) = value else { return Ok(None) };
    let written = Object { value: split, at }.get("keys", texts, "`split.keys` must be a list of texts")?;
    let written = written.unwrap_or_default();
    // One key takes the whole text: nothing to split at.
    let separator = split.get("separator").and_then(Value::as_str).filter(|s| !s.is_empty());
    let separator = match (separator, written.len()) {
        (Some(separator), _) => separator.to_owned(),
        (None, 1) => String::new(),
        (None, _) => return Err(at.error("split.separator must be a text")),
    };
    let required = written.iter().take_while(|k| !k.ends_with('?')).count();
    if written.is_empty() || written[required..].iter().any(|k| !k.ends_with('?')) {
        return Err(at.error("split.keys must name the parts, the optional ones (`key?`) last"));
    }
    let keys = written.into_iter().map(|k| k.trim_end_matches('?').to_owned()).collect();
    Ok(Some(Split { separator, keys, required }))
}

/// One entry of `items`: `{flag, item, kind?, into?, wrap?, separator?, help?}`.
fn item_flag(entry: &Value, at: &At) -> Result<ItemFlag, ModelError> {
    let at = &at.part("items");
    let x = Object { value: entry, at }.known(&["flag", "item", "kind", "into", "wrap", "separator", "help"])?;
    let text = |key: &str| x.get(key, string, &format!("`{key}` must be a text"));
    let flag = text("flag")?.ok_or_else(|| at.error("every entry names its `flag`"))?;
    let item = entry.get("item").cloned().ok_or_else(|| at.error(format!("--{flag} has no `item`")))?;
    let kind = match text("kind")?.as_deref() {
        None | Some("text") => ItemKind::Text,
        Some("number") => ItemKind::Number,
        Some("integer") => ItemKind::Integer,
        Some("boolean") => ItemKind::Boolean,
        Some("json") => ItemKind::Json,
        Some(other) => {
            return Err(at.error(format!("--{flag}: kind {other:?} (known: text, number, integer, boolean, json)")));
        }
    };
    let into = text("into")?;
    if into.as_deref().is_some_and(|p| !p.starts_with('/')) {
        return Err(at.error(format!("--{flag}: `into` must be a JSON pointer")));
    }
    let (wrap, separator, help) = (entry.get("wrap").cloned(), text("separator")?, text("help")?);
    Ok(ItemFlag { flag, item, kind, into, wrap, separator, help })
}

/// `x-wait: {field, done, failed?, reason?, result?, interval?, timeout?}`.
fn wait(value: Option<&Value>, at: &At) -> Result<Option<Wait>, ModelError> {
    let known = ["field", "done", "failed", "reason", "result", "interval", "timeout"];
    let Some(x) = Object::given(value, at, &known)? else { return Ok(None) };
    let pointer = |key: &str| x.get(key, json_pointer, &format!("`{key}` must be a JSON pointer"));
    let field = pointer("field")?.ok_or_else(|| at.error("`field` must say where the answer holds the state"))?;
    let done = x.texts("done")?;
    if done.is_empty() {
        return Err(at.error("`done` must list the states that end the wait"));
    }
    let interval = x.get("interval", |n| n.as_f64().filter(|n| *n > 0.0), "`interval` must be seconds")?;
    let (timeout, failed) = (x.get("timeout", positive, "`timeout` must be whole seconds")?, x.texts("failed")?);
    let (reason, result) = (pointer("reason")?, pointer("result")?);
    Ok(Some(Wait { field, done, failed, reason, result, interval, timeout }))
}

/// What is made once per process from each embedded spec (its `SPEC_JSON`,
/// known by its address), and kept for the process's life.
pub(crate) struct Embedded<T: 'static>(std::sync::Mutex<Vec<(usize, &'static T)>>);

impl<T: Send + Sync> Embedded<T> {
    pub(crate) const fn new() -> Self {
        Self(std::sync::Mutex::new(Vec::new()))
    }

    /// What `make` makes of `json`, made on the first call only.
    pub(crate) fn get(&self, json: &'static str, make: impl FnOnce() -> T) -> &'static T {
        let mut made = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = json.as_ptr() as usize;
        if let Some(&(_, value)) = made.iter().find(|(k, _)| *k == key) {
            return value;
        }
        let value: &'static T = Box::leak(Box::new(make()));
        made.push((key, value));
        value
    }
}
