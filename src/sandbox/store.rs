//! The generic store: what a spec says about its collections, served with
//! state. A path whose `GET` answers a list (or which takes a `POST`) is a
//! collection and `<collection>/{id}` its items: `POST` creates; `GET` on
//! the collection lists, paged as the spec's [`Paging`] says, filtered (a
//! parameter's `x-filter`, else one named as a field of the items) and
//! sorted (`sort`, `sort_by`, `field:desc`, `-field`, a `sort_direction`…,
//! as `x-sort` allows); `GET`/`PUT`/`PATCH`/`DELETE` on an item read, merge
//! and remove it (then 404). A collection under a record
//! (`<collection>/{id}/<name>`) needs the record and goes with it. A request
//! path is the collection whose spec path it fits, a literal segment
//! winning over a parameter (`/conversations/states`).
//!
//! Pages are numbered or opaque tokens bound to the store and the query;
//! the fields beside the items that describe a page (counts, page size,
//! numbers of this, the previous and the last page) are filled in where
//! the answer has them. A search paged in its body (`x-body`) is paged
//! the same way.
//!
//! A collection is seeded when first touched: by the hooks, else with
//! `records` items generated from its schema, else the spec's own answer's
//! items. An item nobody created is made up when read, so a documented
//! example's id resolves. Answers show the fields their schema lists; one
//! built from made-up records is only given if it fits the spec (else the
//! operation is answered as if it had no state), while an emulator's
//! records are given as they are and the contract reports a misfit.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustc_hash::FxHashMap;
use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::fallback::{generate, spec_response};
use super::validate::{SpecValidator, ValidatedRequest};
use crate::spec::model::{
    Filter, FilterOp, Operation, Paging, Parameter, SortFlag, Spec, TokenField, TokenSource, is_json, resolve, unescape,
};
use crate::spec::validate::parse_date_time;

/// Items per page when the spec names no page-size parameter or default.
const DEFAULT_PAGE_SIZE: usize = 20;
/// Most items one collection generates at once, whatever `records` says.
const MAX_SEEDED: u64 = 100_000;

/// A refusal a hook answers with: the status and the message.
pub type Refusal = (StatusCode, String);

#[cfg_attr(not(any(feature = "luware", feature = "llamadapro")), allow(dead_code))]
pub(crate) fn bad_request(message: impl Into<String>) -> Refusal {
    (StatusCode::BAD_REQUEST, message.into())
}

/// An answer of 200 with `value` as JSON.
#[cfg_attr(not(any(feature = "luware", feature = "llamadapro", feature = "liveperson")), allow(dead_code))]
pub(crate) fn ok<T: serde::Serialize>(value: T) -> Answer {
    Ok((200, serde_json::to_value(value).map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?))
}

/// A JSON body as its generated type. The contract has checked it against
/// the schema; this only fails where the type is stricter.
#[cfg_attr(not(any(feature = "luware", feature = "llamadapro")), allow(dead_code))]
pub(crate) fn parse<T: serde::de::DeserializeOwned>(body: &Value) -> Result<T, Refusal> {
    serde_json::from_value(body.clone()).map_err(|e| bad_request(format!("request body: {e}")))
}

/// What a hook sees of a request: its operation, query (with the hooks'
/// defaults), path parameters, the record the path names as the parent
/// (`/definitions/{id}/options`: definition `{id}`) and the collection's records.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub operation_id: &'a str,
    pub query: &'a [(String, String)],
    pub path: &'a [(String, String)],
    pub parent: Option<&'a Value>,
    pub records: &'a [Value],
}

impl Context<'_> {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        param(self.query, &[name])
    }

    /// The value of path parameter `name` (`""` when the path has none).
    pub fn path_param(&self, name: &str) -> &str {
        param(self.path, &[name]).unwrap_or_default()
    }
}

/// An answer a hook gives: the status and the body (`Null`: none).
pub type Answer = Result<(u16, Value), Refusal>;

/// What an emulator adds to the store where the spec cannot say it.
pub trait Hooks: Send + Sync + 'static {
    /// The first records of the collection at `path` (`None`: the store's own).
    fn seed(&self, _path: &str) -> Option<Vec<Value>> {
        None
    }

    /// Refuses a request before the store acts on it.
    fn refuse(&self, _request: &Context<'_>) -> Result<(), Refusal> {
        Ok(())
    }

    /// Whether `record` passes a list's filters beyond the store's own.
    fn keeps(&self, _request: &Context<'_>, _record: &Value) -> bool {
        true
    }

    /// How a list orders two records its order finds equal, as if ascending (`Equal`: as stored).
    fn ties(&self, _request: &Context<'_>, _a: &Value, _b: &Value) -> Ordering {
        Ordering::Equal
    }

    /// A record about to be stored (new, or `before` changed): fill in what the server sets, or refuse it.
    fn write(&self, _request: &Context<'_>, _record: &mut Value, _before: Option<&Value>) -> Result<(), Refusal> {
        Ok(())
    }

    /// A record about to be deleted: do what else goes with it, or refuse.
    fn remove(&self, _request: &Context<'_>, _record: &Value) -> Result<(), Refusal> {
        Ok(())
    }

    /// Query values assumed where a request leaves a parameter out and the spec states no default.
    fn defaults(&self, _operation_id: &str) -> Vec<(String, String)> {
        Vec::new()
    }

    /// A record about to be shown, as shown: a copy where the query did not ask for all of it.
    fn show<'v>(&self, _request: &Context<'_>, record: &'v Value) -> Cow<'v, Value> {
        Cow::Borrowed(record)
    }

    /// A list's answer about to be given (its items still an empty array):
    /// leave out what the query did not ask for (counts).
    fn listed(&self, _request: &Context<'_>, _answer: &mut Value) {}

    /// The records a search paged in its body (`x-body`) finds, in order,
    /// for the store to page (`None`: the store's own search). The query is
    /// then the body's fields, as text.
    fn search(
        &self,
        _request: &Context<'_>,
        _body: &Value,
        _records: &mut Records<'_>,
    ) -> Option<Result<Vec<Value>, Refusal>> {
        None
    }

    /// Answers the operation itself, with the store's records at hand
    /// (`None`: the store answers). Asked first, for every operation; an
    /// error status is given as it is (a body richer than a refusal).
    fn answer(&self, _request: &Context<'_>, _body: &Value, _records: &mut Records<'_>) -> Option<Answer> {
        None
    }

    /// Answers the operation with a response already written (a download,
    /// or JSON written from its type), given as it is (`None`: [`Hooks::answer`]
    /// and the store answer). Asked before them.
    fn written(&self, _request: &Context<'_>, _body: &Value) -> Option<Result<Response, Refusal>> {
        None
    }
}

/// The hooks of a store no emulator adds to: the trait's defaults.
struct NoHooks;

impl Hooks for NoHooks {}

/// The store's collections, as a hook that answers an operation has them.
pub struct Records<'s> {
    store: &'s Store,
    collections: &'s mut Collections,
}

impl Records<'_> {
    /// The records of the collection at `path` (such as `/pets/7/toys`), seeded if new.
    pub fn of(&mut self, path: &str) -> &mut Vec<Value> {
        self.store.open_in(self.collections, self.store.validator.template(path).unwrap_or(path), path).items_mut()
    }

    /// Record `id` of the collection at `path`, if it has it.
    pub fn get(&mut self, path: &str, id: &str) -> Option<&mut Value> {
        let field = self.store.id_field_at(path);
        self.of(path).iter_mut().find(|r| r.get(&field).is_some_and(|v| is_id(v, id)))
    }

    /// Record `id` of the collection at `path`, else the store's own 404.
    #[cfg_attr(not(any(feature = "raia", feature = "llamadapro", feature = "salesloft")), allow(dead_code))]
    pub(crate) fn found(&mut self, path: &str, id: &str) -> Result<&mut Value, Refusal> {
        self.get(path, id).ok_or_else(|| (StatusCode::NOT_FOUND, missing(path, id)))
    }

    /// Removes (and answers) the records at `path` that `gone` picks, and the collections under them.
    pub fn remove(&mut self, path: &str, gone: impl Fn(&Value) -> bool) -> Vec<Value> {
        let field = self.store.id_field_at(path);
        let collection =
            self.store.open_in(self.collections, self.store.validator.template(path).unwrap_or(path), path);
        let removed: Vec<Value> = collection.items_mut().extract_if(.., |r| gone(r)).collect();
        let ids: Vec<String> = removed.iter().filter_map(|r| r.get(&field).and_then(text)).collect();
        let under: Vec<String> = ids.iter().map(|id| format!("{path}/{id}/")).collect();
        collection.deleted.extend(ids);
        self.collections.retain(|key, _| !under.iter().any(|prefix| key.starts_with(prefix.as_str())));
        removed
    }
}

/// The records of every collection, keyed by the collection's path.
pub(crate) struct Store {
    /// The contract's: what the store's answers are held to.
    validator: Arc<SpecValidator>,
    /// What each operation's answer shows, by operation id.
    shapes: HashMap<String, Shape>,
    /// The spec's own answer to each operation, as JSON, once built.
    documents: Mutex<HashMap<String, Option<(u16, Value)>>>,
    records: Option<u64>,
    hooks: Arc<dyn Hooks>,
    /// Binds page tokens to this store.
    seed: u64,
    collections: Mutex<Collections>,
}

/// The collections, by their request paths.
type Collections = HashMap<String, Collection>;

#[derive(Default)]
struct Collection {
    items: Vec<Value>,
    /// Ids deleted: they stay gone rather than being made up again.
    deleted: HashSet<String>,
    /// Values generated so far, so each new one differs.
    made: usize,
    /// Whether an item nobody created is made up when read (not where hooks seeded).
    invents: bool,
    /// The last list's selection, for its next page; a change forgets it.
    listed: Option<Listed>,
}

/// A list's query (paging aside) and the positions of the records it selects, in order.
type Listed = (Vec<(String, String)>, Vec<usize>);

impl Collection {
    /// The records, to change.
    fn items_mut(&mut self) -> &mut Vec<Value> {
        self.listed = None;
        &mut self.items
    }
}

/// What the store made of a request: an answer (`emulated` unless it shows
/// records the store made up) or an error to render.
pub(crate) enum Stored {
    Answer { status: u16, body: Option<Vec<u8>>, emulated: bool },
    Written(Box<Response>),
    Refused(StatusCode, String),
}

/// What an operation does to its collection.
enum Role {
    List,
    Create,
    Item,
}

impl Store {
    /// The store of the spec `validator` enforces.
    pub(crate) fn new(validator: Arc<SpecValidator>, records: Option<u64>, hooks: Option<Arc<dyn Hooks>>) -> Self {
        let (spec, seed) = (validator.model(), fastrand::u64(..));
        let shape = |op: &Operation| Some((op.id.clone(), shape(&spec.doc, success_schema(op)?, 0)));
        let shapes = spec.operations.iter().filter_map(shape).collect();
        let (documents, collections) = (Mutex::new(HashMap::new()), Mutex::new(HashMap::new()));
        let hooks = hooks.unwrap_or_else(|| Arc::new(NoHooks));
        Self { validator, shapes, documents, records, hooks, seed, collections }
    }

    /// The model of the spec.
    fn spec(&self) -> &Spec {
        self.validator.model()
    }

    /// What `read` makes of the records of the collection at `path`, opened first.
    pub(crate) fn read<T>(&self, path: &str, read: impl FnOnce(&[Value]) -> T) -> T {
        let mut collections = super::lock(&self.collections);
        read(&self.open_in(&mut collections, self.validator.template(path).unwrap_or(path), path).items)
    }

    /// The store's answer to a validated request (`None`: no collection, or
    /// the answer would not fit the spec).
    pub(crate) fn answer(&self, request: &ValidatedRequest, path: &str, body: &[u8]) -> Option<Stored> {
        let op = self.spec().operation(&request.operation_id)?;
        let hooks = &*self.hooks;
        let refused = |(status, message): Refusal| Some(Stored::Refused(status, message));
        // The query as the emulator reads it: its defaults where the request leaves a parameter out.
        let mut query = request.query.clone();
        for (name, value) in hooks.defaults(&op.id) {
            if !query.iter().any(|(k, _)| *k == name) {
                query.push((name, value));
            }
        }
        let base =
            Context { operation_id: &op.id, query: &query, path: &request.path_params, parent: None, records: &[] };
        let sent =
            match op.request_body.iter().flat_map(|b| &b.content).any(|m| m.name.ends_with("x-www-form-urlencoded")) {
                // A form reaches the hooks as an object of its fields, as text.
                true => {
                    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
                    Value::Object(fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
                }
                false => json_body(body).unwrap_or_default(),
            };
        // Without the store's lock: a written answer reads no collection, and
        // a Luware export asks for its next page while it reads this one.
        match hooks.written(&base, &sent) {
            Some(Ok(response)) => return Some(Stored::Written(Box::new(response))),
            Some(Err(refusal)) => return refused(refusal),
            None => {}
        }
        let mut collections = super::lock(&self.collections);
        let mut records = Records { store: self, collections: &mut collections };
        match hooks.answer(&base, &sent, &mut records) {
            Some(Ok((status, body))) => {
                // An error answer (one with details a refusal cannot carry) is not a success's shape.
                let shape = if (200..300).contains(&status) { self.shape(op) } else { &Shape::Any };
                return Some(Stored::Answer { status, body: written(&body, shape, None), emulated: true });
            }
            Some(Err(refusal)) => return refused(refusal),
            None => {}
        }
        let tokens =
            self.spec().security_schemes.iter().filter_map(|scheme| Some((&scheme.name, scheme.token.as_ref()?)));
        if let Some((scheme, source)) = tokens.into_iter().find(|(_, source)| source.operation == op.id) {
            return Some(self.token(op, scheme, source, &sent));
        }
        if op.paging.as_ref().is_some_and(|p| p.in_body) {
            // Paged as a list, its query the body's fields.
            let query = body_pairs(&sent);
            let context = Context { query: &query, ..base };
            let (found, emulated) = match hooks.search(&context, &sent, &mut records) {
                Some(Ok(found)) => (found, true),
                Some(Err(refusal)) => return refused(refusal),
                // The store's own search: the collection it is under, as stored.
                None => {
                    let under = path.rsplit_once('/')?.0;
                    let template = self.validator.template(under).filter(|t| self.is_collection(t))?;
                    let collection = self.open_in(records.collections, template, under);
                    (collection.items.clone(), !collection.invents)
                }
            };
            let (status, envelope) = self.documented(op)?;
            // The body's field that sizes a page, named as a page-size parameter would be.
            let body = op.request_body.iter().flat_map(|b| &b.content).find(|m| is_json(&m.name));
            let fields = body.and_then(|m| resolve(&self.spec().doc, &m.schema).get("properties")?.as_object());
            let size = fields.into_iter().flatten().map(|(name, _)| name.as_str()).find(|name| is_size(name));
            let tokens = Tokens { seed: self.seed ^ fnv(path.bytes()), query: &query, size };
            let every: Vec<usize> = (0..found.len()).collect();
            return self.list(op, (status, envelope), (&found, &every), (&NoHooks, &context), &tokens, emulated);
        }
        let role = self.role(op)?;
        let (status, envelope) = self.documented(op)?;
        // An id as the validator decoded it from the path (a `+` stays a `+`).
        let id_in = |item: &str| Some(base.path_param(item_of(item)?.1).to_owned());
        let (key, template, id) = match role {
            Role::Item => (path.rsplit_once('/')?.0, op.path.rsplit_once('/')?.0, id_in(&op.path)),
            _ => (path, op.path.as_str(), None),
        };
        // A child collection (`<collection>/{id}/<name>`) lives under a record that must exist.
        let parent = match template.rsplit_once('/').and_then(|(item, _)| Some((item_of(item)?.0, id_in(item)?))) {
            Some((parent, parent_id)) if self.is_collection(parent) => {
                let parent_key = key.rsplit_once('/')?.0.rsplit_once('/')?.0;
                let documents_404 = op.responses.iter().any(|r| r.status == "404");
                let status = if documents_404 { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
                let field = self.id_field(parent).ok_or_else(|| missing(parent, &parent_id));
                let collection = self.open_in(&mut collections, parent, parent_key);
                match field.and_then(|field| self.locate(parent, collection, &field, &parent_id)) {
                    Ok(at) => Some(collection.items[at].clone()),
                    Err(message) => return refused((status, message)),
                }
            }
            _ => None,
        };
        let id_field = self.id_field(template);
        let collection = self.open_in(&mut collections, template, key);
        let emulated = !collection.invents;
        let base = Context { parent: parent.as_ref(), ..base };
        let context = Context { records: &collection.items, ..base };
        if let Err(refusal) = hooks.refuse(&context) {
            return refused(refusal);
        }
        let shape = self.shape(op);
        let answered = |body| self.answered(op, status, body, emulated);
        let (at, field) = match role {
            Role::List => {
                if let Some(message) = undeclared(op, &query) {
                    return refused((StatusCode::BAD_REQUEST, message));
                }
                let size = op.parameters.iter().find(|p| p.location.as_str() == "query" && is_size(&p.name));
                let size = size.map(|p| p.name.as_str());
                let tokens = Tokens { seed: self.seed ^ fnv(key.bytes()), query: &query, size };
                let (items, listed) = (&collection.items, &mut collection.listed);
                let selected = selection(op, &tokens, (items, listed), (hooks, &context));
                return self.list(op, (status, envelope), (items, selected), (hooks, &context), &tokens, emulated);
            }
            Role::Create => (None, id_field),
            Role::Item => {
                let (field, id) = (id_field?, id?);
                let at = match self.locate(template, collection, &field, &id) {
                    Ok(at) => at,
                    Err(message) => return Some(Stored::Refused(StatusCode::NOT_FOUND, message)),
                };
                let stored = &collection.items[at];
                let context = Context { records: &collection.items, ..base };
                match op.method.as_str() {
                    "put" | "patch" => (Some(at), Some(field)),
                    "delete" => {
                        if let Err(refusal) = hooks.remove(&context, stored) {
                            return refused(refusal);
                        }
                        let item = collection.items_mut().remove(at);
                        collection.deleted.insert(id);
                        // The records under it go with it.
                        let under = format!("{path}/");
                        collections.retain(|key, _| !key.starts_with(&under));
                        return answered(written(&place(envelope, &item, Some(&field)), shape, None));
                    }
                    _ => {
                        let shown = place(envelope, &hooks.show(&context, stored), Some(&field));
                        return answered(written(&shown, shape, None));
                    }
                }
            }
        };
        // A create or an update: the body over the record (a new one made of the schema's required fields).
        let before = at.and_then(|at| collection.items.get(at));
        let mut item = match before {
            Some(stored) => stored.clone(),
            None => self.made(template, &mut collection.made, false)?,
        };
        overlay(&mut item, json_body(body)?);
        let context = Context { records: &collection.items, ..base };
        if let Err(refusal) = hooks.write(&context, &mut item, before) {
            return refused(refusal);
        }
        let answer = answered(written(&place(envelope, &hooks.show(&context, &item), field.as_deref()), shape, None))?;
        match at {
            Some(at) => collection.items_mut()[at] = item,
            None => collection.items_mut().push(item),
        }
        Some(answer)
    }

    /// The answer, if it fits the spec or shows the emulator's records (the contract checks those).
    fn answered(&self, op: &Operation, status: u16, body: Option<Vec<u8>>, emulated: bool) -> Option<Stored> {
        if let (Some(bytes), false) = (&body, emulated) {
            self.validator.validate_response(&op.id, status, Some("application/json"), bytes).ok()?;
        }
        Some(Stored::Answer { status, body, emulated })
    }

    /// The collection at `path` (of spec path `template`), seeded when first used.
    fn open_in<'c>(&self, collections: &'c mut Collections, template: &str, path: &str) -> &'c mut Collection {
        collections.entry(path.to_owned()).or_insert_with(|| self.seed(template, path))
    }

    /// Where item `id` is in `collection` (made up if it invents items), or why there is none.
    fn locate(&self, template: &str, collection: &mut Collection, field: &str, id: &str) -> Result<usize, String> {
        let gone = || missing(template, id);
        if let Some(at) = collection.items.iter().position(|item| item.get(field).is_some_and(|v| is_id(v, id))) {
            return Ok(at);
        }
        if collection.deleted.contains(id) || !collection.invents {
            return Err(gone());
        }
        let mut item = self.made(template, &mut collection.made, true).ok_or_else(gone)?;
        // The id as the field's type has it: a number stays a number.
        let number = item.get(field).filter(|v| v.is_number()).and_then(|_| id.parse::<i64>().ok());
        item.as_object_mut().ok_or_else(gone)?.insert(field.to_owned(), number.map_or_else(|| id.into(), Value::from));
        collection.items_mut().push(item);
        Ok(collection.items.len() - 1)
    }

    /// The answer of the operation that gives `scheme`'s token, for the
    /// fields the sandbox exports ([`super::spec_token_field`]).
    fn token(&self, op: &Operation, scheme: &str, source: &TokenSource, sent: &Value) -> Stored {
        let sent = body_pairs(sent);
        let taken =
            |field: &TokenField| sent.iter().any(|(k, v)| *k == field.name && v == super::spec_token_field(field));
        if !source.fields.iter().all(taken) {
            return Stored::Refused(StatusCode::UNAUTHORIZED, format!("invalid credentials ({scheme})"));
        }
        let Some((status, mut answer)) = self.documented(op) else {
            return Stored::Refused(StatusCode::INTERNAL_SERVER_ERROR, format!("{} documents no answer", op.id));
        };
        let lifetime = source.lifetime.unwrap_or(3600);
        for (pointer, value) in
            [(Some(&source.token), Value::from(super::SPEC_CREDENTIAL)), (source.expires_in.as_ref(), lifetime.into())]
        {
            if let Some(slot) = pointer.and_then(|p| answer.pointer_mut(p)) {
                *slot = value;
            }
        }
        Stored::Answer { status, body: written(&answer, self.shape(op), None), emulated: true }
    }

    /// The spec's own answer to `op`, as JSON (`Null` when it has no body), built once.
    fn documented(&self, op: &Operation) -> Option<(u16, Value)> {
        let mut documents = super::lock(&self.documents);
        let document = || {
            let answer = spec_response(&self.validator, &op.id)?;
            let body = match answer.content_type.as_deref() {
                Some(media) if is_json(media) => serde_json::from_slice(&answer.body).ok()?,
                Some(_) => return None,
                None => Value::Null,
            };
            Some((answer.status, body))
        };
        documents.entry(op.id.clone()).or_insert_with(document).clone()
    }

    /// What the operation's answer shows of a record.
    fn shape(&self, op: &Operation) -> &Shape {
        self.shapes.get(&op.id).unwrap_or(&Shape::Any)
    }

    /// The schema of the field at `pointer` of `op`'s answer.
    fn schema_at<'s>(&'s self, op: &'s Operation, pointer: &str) -> Option<&'s Value> {
        let (doc, mut names) = (&self.spec().doc, pointer.split('/').skip(1));
        names.try_fold(resolve(doc, success_schema(op)?), |schema, name| {
            Some(resolve(doc, property(doc, schema, name)?))
        })
    }

    /// Whether the spec path `template` is a collection.
    fn is_collection(&self, template: &str) -> bool {
        self.spec().operations.iter().any(|o| o.path == template && (o.method == "post" || self.listed(o).is_some()))
    }

    /// Whether `op` works on a collection, and how.
    fn role(&self, op: &Operation) -> Option<Role> {
        let item = || item_of(&op.path).filter(|(parent, _)| self.is_collection(parent)).map(|_| Role::Item);
        // A `POST` creates in a collection whose items have ids: one it lists, or has a `GET` of one of.
        let lists = || self.spec().operations.iter().any(|o| o.path == op.path && self.listed(o).is_some());
        match op.method.as_str() {
            "get" => self.listed(op).map(|_| Role::List).or_else(item),
            "post" if lists() || self.item_get(&op.path).is_some() => Some(Role::Create),
            "put" | "patch" | "delete" => item(),
            _ => None,
        }
    }

    /// The `GET` of one item of the collection at `template` (`<template>/{id}`).
    fn item_get(&self, template: &str) -> Option<&Operation> {
        self.spec().operations.iter().find(|o| {
            o.method == "get" && o.path.rsplit_once('/').is_some_and(|(p, l)| p == template && l.starts_with('{'))
        })
    }

    /// Where a `GET`'s answer holds its list, as a JSON pointer: the
    /// paging's items, the answer itself, or its one array property (never
    /// on `<collection>/{id}`, one record however many arrays it has).
    fn listed(&self, op: &Operation) -> Option<String> {
        if op.method != "get" {
            return None;
        }
        if let Some(Paging { items, .. }) = &op.paging {
            return Some(items.clone());
        }
        if item_of(&op.path).is_some_and(|(parent, _)| self.is_collection(parent)) {
            return None;
        }
        let schema = resolve(&self.spec().doc, success_schema(op)?);
        let is_array = |s: &Value| resolve(&self.spec().doc, s).get("type").and_then(Value::as_str) == Some("array");
        if is_array(schema) {
            return Some(String::new());
        }
        let mut arrays = schema.get("properties")?.as_object()?.iter().filter(|(_, s)| is_array(s));
        match (arrays.next(), arrays.next()) {
            (Some((name, _)), None) => Some(format!("/{name}")),
            _ => None,
        }
    }

    /// The schema of one item of the collection at `template` (its list's, else its `GET`'s).
    fn item_schema(&self, template: &str) -> Option<Value> {
        let doc = &self.spec().doc;
        for op in self.spec().operations.iter().filter(|o| o.path == template) {
            if let Some(pointer) = self.listed(op) {
                return self.schema_at(op, &pointer)?.get("items").map(|items| resolve(doc, items).clone());
            }
        }
        Some(resolve(doc, success_schema(self.item_get(template)?)?).clone())
    }

    /// The field that holds an item's id: the item path's parameter if the items have it, else `id`.
    fn id_field(&self, template: &str) -> Option<String> {
        let schema = self.item_schema(template)?;
        let param = self.spec().operations.iter().find_map(|o| item_of(&o.path).filter(|(p, _)| *p == template));
        let mut names = [param.map(|(_, name)| name), Some("id")].into_iter().flatten();
        names.find(|name| property(&self.spec().doc, &schema, name).is_some()).map(str::to_owned)
    }

    /// [`Store::id_field`] of the collection at `path` (a request's path), `id` if it has none.
    fn id_field_at(&self, path: &str) -> String {
        self.validator.template(path).and_then(|t| self.id_field(t)).unwrap_or_else(|| "id".into())
    }

    /// A collection's first records: the hooks', `records` generated ones, or the spec's answer's.
    fn seed(&self, template: &str, path: &str) -> Collection {
        if let Some(items) = self.hooks.seed(path) {
            return Collection { made: items.len(), items, ..Collection::default() };
        }
        let mut collection = Collection { invents: true, ..Collection::default() };
        let list = self.spec().operations.iter().find(|o| o.path == template && self.listed(o).is_some());
        if let Some(records) = self.records {
            let made = (0..records.min(MAX_SEEDED)).filter_map(|_| self.made(template, &mut collection.made, true));
            collection.items = made.collect();
        } else if let Some(op) = list
            && let Some((_, answer)) = self.documented(op)
            && let Some(Value::Array(items)) = answer.pointer(&self.listed(op).unwrap_or_default())
        {
            collection.made = items.len();
            collection.items.clone_from(items);
        }
        collection
    }

    /// A new item of the collection at `template`, unlike the `made` before:
    /// every field, or the required ones alone (what a create starts from).
    fn made(&self, template: &str, made: &mut usize, every: bool) -> Option<Value> {
        let schema = self.item_schema(template)?;
        let item = generate(&self.validator, &schema, *made, every);
        *made += 1;
        item.is_object().then_some(item)
    }
}

/// The collection a spec path is an item of, and its parameter (`/pets/{id}`: `/pets`, `id`).
fn item_of(template: &str) -> Option<(&str, &str)> {
    let (parent, last) = template.rsplit_once('/')?;
    Some((parent, last.strip_prefix('{')?.strip_suffix('}')?))
}

/// Why the collection at `template` has no item `id` (`/api/v1/tasks`: `no task 7`).
fn missing(template: &str, id: &str) -> String {
    let last = template.rsplit('/').next().unwrap_or(template);
    format!("no {} {id}", last.strip_suffix('s').filter(|n| !n.is_empty()).unwrap_or(last))
}

/// A property's schema, looked for in `properties` and through `allOf`.
fn property<'v>(doc: &'v Value, schema: &'v Value, name: &str) -> Option<&'v Value> {
    let schema = resolve(doc, schema);
    schema
        .get("properties")
        .and_then(|p| p.get(name))
        .or_else(|| schema.get("allOf")?.as_array()?.iter().find_map(|part| property(doc, part, name)))
}

/// What an answer shows of a value: of an object whose schema allows no
/// other fields, those it lists (each as its schema says); each array item.
#[derive(Debug)]
enum Shape {
    Any,
    Object(FxHashMap<String, Shape>),
    Items(Box<Shape>),
}

/// A page of a list: where its records go in the answer (a JSON pointer), and the records.
type Placed<'a> = (&'a str, &'a [Cow<'a, Value>]);

/// A value as an answer shows it (see [`Shape`]), with the page's records at its pointer, written without a copy.
struct Shown<'a> {
    value: &'a Value,
    shape: &'a Shape,
    page: Option<Placed<'a>>,
}

impl Shown<'_> {
    /// The page, if it goes under this value's field (or item) `name`.
    fn page_under(&self, name: &str) -> Option<Placed<'_>> {
        let (pointer, records) = self.page?;
        let rest = pointer.strip_prefix('/')?;
        let (segment, rest) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
        (unescape(segment) == name).then_some((rest, records))
    }
}

impl Serialize for Shown<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let each = if let Shape::Items(each) = self.shape { each } else { &Shape::Any };
        if let Some(("", records)) = self.page {
            let shown = records.iter().map(|record| Shown { value: record, shape: each, page: None });
            return serializer.collect_seq(shown);
        }
        match self.value {
            Value::Object(map) => {
                let fields = if let Shape::Object(fields) = self.shape { Some(fields) } else { None };
                serializer.collect_map(map.iter().filter_map(|(name, value)| {
                    let shape = fields.map_or(Some(&Shape::Any), |fields| fields.get(name))?;
                    Some((name, Shown { value, shape, page: self.page_under(name) }))
                }))
            }
            Value::Array(items) => serializer.collect_seq(items.iter().enumerate().map(|(at, value)| {
                let page = self.page.and_then(|_| self.page_under(&at.to_string()));
                Shown { value, shape: each, page }
            })),
            value => value.serialize(serializer),
        }
    }
}

/// The body of an answer: `answer` as JSON, showing what `shape` shows,
/// with the page's records in place (`None`: `null`, no body).
fn written(answer: &Value, shape: &Shape, page: Option<Placed<'_>>) -> Option<Vec<u8>> {
    if answer.is_null() && page.is_none_or(|(pointer, _)| !pointer.is_empty()) {
        return None;
    }
    let size = |value: &Value| serde_json::to_vec(value).map_or(0, |bytes| bytes.len());
    let records = page.map_or(&[][..], |(_, records)| records);
    let capacity = records.first().map_or(0, |first| size(answer) + (size(first) * 9 / 8 + 1) * records.len());
    let mut body = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut body, &Shown { value: answer, shape, page }).ok()?;
    Some(body)
}

/// The shape of `schema` (nothing below the eighth level is left out).
fn shape(doc: &Value, schema: &Value, depth: usize) -> Shape {
    let schema = resolve(doc, schema);
    if depth > 8 {
        return Shape::Any;
    }
    if let Some(items) = schema.get("items") {
        return Shape::Items(Box::new(shape(doc, items, depth + 1)));
    }
    if !closed(doc, schema, 0) {
        return Shape::Any;
    }
    let mut fields = FxHashMap::default();
    let mut parts = vec![schema];
    while let Some(part) = parts.pop() {
        for (name, field) in part.get("properties").and_then(Value::as_object).into_iter().flatten() {
            fields.entry(name.clone()).or_insert_with(|| shape(doc, field, depth + 1));
        }
        parts.extend(part.get("allOf").and_then(Value::as_array).into_iter().flatten().map(|p| resolve(doc, p)));
    }
    Shape::Object(fields)
}

/// Whether `schema` lists every property an object of it may have (through
/// `allOf`; no `additionalProperties` but `false`, no `anyOf` or `oneOf`).
fn closed(doc: &Value, schema: &Value, depth: usize) -> bool {
    let schema = resolve(doc, schema);
    let open = schema.get("additionalProperties").is_some_and(|a| *a != Value::Bool(false))
        || schema.get("anyOf").is_some()
        || schema.get("oneOf").is_some();
    let parts = schema.get("allOf").and_then(Value::as_array);
    let parts_closed = parts.is_none_or(|parts| depth < 8 && parts.iter().all(|p| closed(doc, p, depth + 1)));
    !open && parts_closed && (schema.get("properties").is_some() || parts.is_some())
}

/// The JSON schema of the operation's first success answer.
fn success_schema(op: &Operation) -> Option<&Value> {
    let response = op.responses.iter().filter(|r| r.status.starts_with('2')).min_by(|a, b| a.status.cmp(&b.status))?;
    response.content.iter().find(|m| is_json(&m.name)).map(|m| &m.schema)
}

/// The answer with `item` in it: as the answer if that is an item (it has
/// the id field), else as the property that is.
fn place(mut answer: Value, item: &Value, id_field: Option<&str>) -> Value {
    let is_item = |v: &Value| id_field.is_some_and(|f| v.get(f).is_some());
    if is_item(&answer) || (answer.is_object() && id_field.is_none()) {
        return item.clone();
    }
    if let Some(slot) = answer.as_object_mut().and_then(|fields| fields.values_mut().find(|v| is_item(v))) {
        *slot = item.clone();
    }
    answer
}

/// Sets `with`'s top-level fields on `onto`; a `null` clears the field.
pub(crate) fn overlay(onto: &mut Value, with: Value) {
    if let (Some(onto), Value::Object(with)) = (onto.as_object_mut(), with) {
        for (name, value) in with {
            match value {
                Value::Null => onto.remove(&name),
                value => onto.insert(name, value),
            };
        }
    }
}

/// The request's JSON object body (an empty one when there is none).
fn json_body(body: &[u8]) -> Option<Value> {
    if body.is_empty() {
        return Some(Value::Object(Map::new()));
    }
    serde_json::from_slice::<Value>(body).ok().filter(Value::is_object)
}

/// A JSON body's fields as text pairs, as a query's would be.
fn body_pairs(body: &Value) -> Vec<(String, String)> {
    let fields = body.as_object().into_iter().flatten();
    fields.map(|(k, v)| (k.clone(), text(v).unwrap_or_else(|| v.to_string()))).collect()
}

/// A scalar as text (whole numbers without a fraction): how ids and query values compare.
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Some(format!("{}", f as i64)),
            _ => Some(n.to_string()),
        },
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether `value` is the id `id` (a numeric id however a path writes it: `352`, `352.0`).
fn is_id(value: &Value, id: &str) -> bool {
    text(value).as_deref() == Some(id) || value.as_f64().is_some_and(|n| id.parse::<f64>().ok() == Some(n))
}

/// Query parameters that sort; `sort_direction`-like ones give the direction.
const SORT: [&str; 5] = ["sort", "sort_by", "sortBy", "order_by", "orderBy"];
const DIRECTION: [&str; 4] = ["sort_direction", "sortDirection", "direction", "order"];
/// Fields beside a page's items that count them all.
const COUNT: [&str; 5] = ["totalCount", "total_count", "total", "totalItems", "total_items"];
/// Fields beside a page's items that say whether a page comes before it.
const PREVIOUS: [&str; 2] = ["hasPreviousPage", "has_previous_page"];
/// Fields of a numbered page: its number, the previous one's, how many pages there are.
const CURRENT: [&str; 2] = ["currentPage", "current_page"];
const BEFORE: [&str; 4] = ["prevPage", "prev_page", "previousPage", "previous_page"];
const PAGES: [&str; 4] = ["totalPages", "total_pages", "pageCount", "page_count"];

/// The query parameters that order `op`'s list (its `x-cli` sort's, else
/// the usual names), the field `query` orders by (`None`: as stored), and
/// whether descending.
fn ordering<'q>(op: &'q Operation, query: &'q [(String, String)]) -> (Vec<&'q str>, Option<&'q str>, bool) {
    let (fields, directions, by): (Vec<&str>, Vec<&str>, _) = match op.cli.as_ref().and_then(|c| c.sort.as_ref()) {
        Some(SortFlag::Pair { field, direction }) => (vec![field], vec![direction], None),
        Some(SortFlag::Joined { param, .. }) => (vec![param], Vec::new(), None),
        Some(SortFlag::Direction { direction, by }) => (Vec::new(), vec![direction], Some(by.as_str())),
        None => (SORT.to_vec(), DIRECTION.to_vec(), None),
    };
    let direction = param(query, &directions);
    let desc = |d: &str| d.eq_ignore_ascii_case("desc");
    let (field, descending) = match param(query, &fields) {
        Some(sort) => match sort.split_once([':', '=']) {
            Some((field, direction)) => (Some(field), desc(direction)),
            None => match sort.strip_prefix('-') {
                Some(field) => (Some(field), true),
                None => (Some(sort), direction.is_some_and(desc)),
            },
        },
        None => (by.filter(|_| direction.is_some()), direction.is_some_and(desc)),
    };
    let params = fields.into_iter().chain(directions).chain(SORT).chain(DIRECTION).collect();
    (params, field, descending)
}

/// The first value of the query's parameters `names`.
fn param<'q>(query: &'q [(String, String)], names: &[&str]) -> Option<&'q str> {
    query.iter().find(|(k, _)| names.contains(&k.as_str())).map(|(_, v)| v.as_str())
}

/// Sets the value at `pointer` in `answer`, where its parent object is.
fn put(answer: &mut Value, pointer: &str, value: Value) {
    let Some((parent, name)) = pointer.rsplit_once('/') else { return };
    if let Some(fields) = answer.pointer_mut(parent).and_then(Value::as_object_mut) {
        fields.insert(unescape(name).into_owned(), value);
    }
}

impl Store {
    /// The answer to a list: one page of the `items` at `selected` (in the
    /// list's order), as `show` shows them, in the documented answer with
    /// the fields that describe the page filled in (see the module).
    fn list(
        &self,
        op: &Operation,
        (status, mut envelope): (u16, Value),
        (items, selected): (&[Value], &[usize]),
        (show, context): (&dyn Hooks, &Context<'_>),
        tokens: &Tokens<'_>,
        emulated: bool,
    ) -> Option<Stored> {
        let pointer = op.paging.as_ref().map(|p| p.items.clone()).or_else(|| self.listed(op))?;
        let query = tokens.query;
        let nullable = |at: &str| self.schema_at(op, at).and_then(|s| s.get("nullable")) == Some(&Value::Bool(true));
        let size_param = op.parameters.iter().find(|p| Some(p.name.as_str()) == tokens.size);
        let answer = |mut envelope: Value, at: &[usize]| {
            let page: Vec<_> = at.iter().filter_map(|at| items.get(*at)).map(|item| show.show(context, item)).collect();
            self.hooks.listed(context, &mut envelope);
            // The page's records are written as they are stored, not copied into the answer.
            self.answered(op, status, written(&envelope, self.shape(op), Some((&pointer, &page))), emulated)
        };
        let sent = param(query, &[tokens.size.unwrap_or_default()]).and_then(|v| v.parse::<f64>().ok());
        let default = size_param.and_then(|p| p.schema.get("default")?.as_u64()).and_then(|d| usize::try_from(d).ok());
        let size = sent.filter(|n| *n >= 1.0).map(|n| n as usize).or(default).unwrap_or(DEFAULT_PAGE_SIZE).max(1);
        let total = selected.len();
        let items_parent = pointer.rsplit_once('/').map_or("", |(parent, _)| parent);
        let Some(paging) = op.paging.as_ref() else {
            *envelope.pointer_mut(&pointer)? = Value::Array(Vec::new());
            let page = Page { total, size: None, previous: None, number: None };
            describe(&mut envelope, &[items_parent], &page, &nullable);
            return answer(envelope, selected);
        };
        // Page numbers where the parameter is a number, else an opaque token (which wins over a `page`).
        let numeric = |name: &str| {
            let schema = op.parameters.iter().find(|p| p.name == name).map(|p| &p.schema);
            matches!(schema.and_then(|s| s.get("type")?.as_str()), Some("integer" | "number"))
        };
        let numbered = numeric(&paging.param);
        let page_param = if numbered { Some(paging.param.as_str()) } else { Some("page").filter(|p| numeric(p)) };
        let token = param(query, &[paging.param.as_str()]).filter(|v| !v.is_empty() && !numbered);
        let number =
            page_param.and_then(|p| param(query, &[p])).and_then(|p| p.parse::<f64>().ok()).filter(|p| *p >= 1.0);
        let start = match token.map(|token| tokens.offset(token, &paging.param)) {
            Some(Ok(start)) => start,
            Some(Err(refused)) => return Some(refused),
            None => number.map_or(0, |p| (p as usize - 1).saturating_mul(size)),
        };
        let end = start.saturating_add(size).min(total);
        *envelope.pointer_mut(&pointer)? = Value::Array(Vec::new());
        let page = selected.get(start.min(end)..end).unwrap_or_default();
        // Beside the items, and beside the next page's number or token.
        let next_parent = paging.next.rsplit_once('/').map_or("", |(parent, _)| parent);
        let current =
            (numbered && paging.number.is_none()).then(|| (paging.param.as_str(), number.map_or(1, |p| p as u64)));
        let sized = size_param.map(|p| (p.name.as_str(), size));
        let page_facts = Page { total, size: sized, previous: Some(start > 0), number: current };
        describe(&mut envelope, &[items_parent, next_parent], &page_facts, &nullable);
        if let (true, Some(says)) = (numbered, &paging.number) {
            // The answer says its own number, whether more follow and the last.
            put(&mut envelope, &paging.next, Value::from(number.map_or(1, |p| p as u64)));
            if let Some(more) = &says.more {
                put(&mut envelope, more, Value::Bool(end < total));
            }
            if let Some(last) = &says.last {
                put(&mut envelope, last, Value::from(total.div_ceil(size)));
            }
            return answer(envelope, page);
        }
        let next = (end < total).then(|| match numbered {
            true => Value::from(start / size + 2),
            false => Value::from(tokens.issue(end, &paging.param)),
        });
        if envelope.pointer(next_parent).is_none_or(|parent| !parent.is_object()) {
            return None;
        }
        match next {
            Some(next) => put(&mut envelope, &paging.next, next),
            None => none(&mut envelope, &paging.next, &nullable),
        }
        answer(envelope, page)
    }
}

/// [`select`], kept in `listed` for the next page of the same query.
fn selection<'l>(
    op: &Operation,
    tokens: &Tokens<'_>,
    (items, listed): (&[Value], &'l mut Option<Listed>),
    hooks: (&dyn Hooks, &Context<'_>),
) -> &'l [usize] {
    let paging_params = [op.paging.as_ref().map(|p| p.param.as_str()), tokens.size, Some("page")];
    let mut key: Vec<(String, String)> =
        tokens.query.iter().filter(|(k, _)| !paging_params.contains(&Some(k.as_str()))).cloned().collect();
    key.sort();
    if listed.as_ref().is_none_or(|(last, _)| *last != key) {
        *listed = Some((key, select(op, tokens.query, &paging_params, items, hooks)));
    }
    listed.as_ref().map_or(&[][..], |(_, at)| at.as_slice())
}

/// The positions of the `items` a list's query selects (its `x-filter`s,
/// parameters named as fields, the hooks'), in its order; ties as the
/// hooks order them, else as stored.
fn select(
    op: &Operation,
    query: &[(String, String)],
    paging: &[Option<&str>],
    items: &[Value],
    (hooks, request): (&dyn Hooks, &Context<'_>),
) -> Vec<usize> {
    let (ordering_params, field, descending) = ordering(op, query);
    let declared: Vec<Declared<'_>> = op.parameters.iter().filter_map(|p| Declared::of(p, query)).collect();
    let is_declared = |k: &str| op.parameters.iter().any(|p| p.name == k && p.filter.is_some());
    let shaping = |k: &str| paging.contains(&Some(k)) || ordering_params.contains(&k) || is_declared(k);
    // A filter on no field of the items is not the store's; a record without the field passes an empty value.
    let mut filters: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, value) in query.iter().filter(|(k, _)| !shaping(k)) {
        filters.entry(name).or_default().push(value);
    }
    filters.retain(|name, _| items.iter().any(|i| i.get(*name).is_some()));
    let kept = |item: &Value| {
        filters.iter().all(|(name, wanted)| match item.get(*name) {
            Some(field) => text(field).is_some_and(|t| wanted.iter().any(|w| w.eq_ignore_ascii_case(&t))),
            None => wanted.iter().all(|w| w.is_empty()),
        }) && declared.iter().all(|filter| filter.keeps(item))
            && hooks.keeps(request, item)
    };
    let mut selected: Vec<usize> = (0..items.len()).filter(|at| items.get(*at).is_some_and(kept)).collect();
    match field {
        Some(field) => selected.sort_by(|a, b| {
            let (Some(a), Some(b)) = (items.get(*a), items.get(*b)) else { return Ordering::Equal };
            let order = compare(a.get(field), b.get(field)).then_with(|| hooks.ties(request, a, b));
            if descending { order.reverse() } else { order }
        }),
        None if descending => selected.reverse(),
        None => {}
    }
    selected
}

/// An `x-filter` parameter the query sends: its field, how it compares and
/// its values as the schema types them; or, for `contains` and `pairs`,
/// each text one of its paths must hold.
struct Declared<'q> {
    field: &'q str,
    op: FilterOp,
    wanted: Vec<Typed<'q>>,
    texts: Vec<(Vec<&'q str>, String)>,
}

/// A value compared as its schema types it: date-times as instants,
/// numbers as numbers, the rest as text, exactly.
#[derive(Clone, Copy)]
enum Typed<'v> {
    Time(Option<chrono::DateTime<chrono::FixedOffset>>),
    Number(Option<f64>),
    Text(&'v str),
}

impl<'q> Declared<'q> {
    fn of(param: &'q Parameter, query: &'q [(String, String)]) -> Option<Self> {
        let filter = param.filter.as_ref()?;
        let schema = param.schema.get("items").unwrap_or(&param.schema);
        let read = |value: &'q str| match (schema.get("type").and_then(Value::as_str), schema.get("format")) {
            (_, Some(Value::String(f))) if f == "date-time" || f == "date" => Typed::Time(parse_date_time(value)),
            (Some("integer" | "number"), _) => Typed::Number(value.parse().ok()),
            _ => Typed::Text(value),
        };
        let sent = query.iter().filter(|(k, _)| *k == param.name).map(|(_, v)| v.as_str());
        let (wanted, texts) = match filter.op {
            FilterOp::Contains => {
                let paths: Vec<&str> = filter.fields.iter().flat_map(|(_, paths)| paths).map(String::as_str).collect();
                let needles = sent.map(str::trim).filter(|v| !v.is_empty());
                (Vec::new(), needles.map(|needle| (paths.clone(), needle.to_lowercase())).collect())
            }
            FilterOp::Pairs => {
                let pairs = sent.flat_map(|v| v.split(';')).filter_map(|pair| pair.split_once(':'));
                let texts = pairs.map(|(name, value)| (named(filter, name).unwrap_or_default(), value.to_owned()));
                (Vec::new(), texts.collect())
            }
            _ => (sent.map(read).collect(), Vec::new()),
        };
        let sends = !wanted.is_empty() || !texts.is_empty();
        sends.then_some(Self { field: &filter.field, op: filter.op, wanted, texts })
    }

    /// Whether one of the item's values at the field compares so with one of the values sent.
    fn keeps(&self, item: &Value) -> bool {
        if !self.texts.is_empty() {
            let contains = self.op == FilterOp::Contains;
            return self.texts.iter().all(|(paths, want)| {
                let mut held = paths.iter().flat_map(|path| lookup(item, path)).filter_map(text);
                held.any(
                    |t| if contains { t.to_lowercase().contains(want.as_str()) } else { t.eq_ignore_ascii_case(want) },
                )
            });
        }
        lookup(item, self.field).into_iter().any(|value| {
            let Some(have) = text(value) else { return false };
            self.wanted.iter().any(|wanted| {
                let order = match *wanted {
                    Typed::Time(want) => parse_date_time(&have).zip(want).map(|(h, w)| h.cmp(&w)),
                    Typed::Number(want) => have.parse::<f64>().ok().zip(want).and_then(|(h, w)| h.partial_cmp(&w)),
                    Typed::Text(want) if self.op == FilterOp::StartsWith => return have.starts_with(want),
                    Typed::Text(want) => Some(have.as_str().cmp(want)),
                };
                order.is_some_and(|order| match self.op {
                    FilterOp::Eq | FilterOp::In | FilterOp::StartsWith | FilterOp::Contains | FilterOp::Pairs => {
                        order.is_eq()
                    }
                    FilterOp::Lt => order.is_lt(),
                    FilterOp::Lte => order.is_le(),
                    FilterOp::Gt => order.is_gt(),
                    FilterOp::Gte => order.is_ge(),
                })
            })
        })
    }
}

/// The paths a `pairs` filter compares for `name` (under a `prefix.*`, the name itself).
fn named<'q>(filter: &'q Filter, name: &'q str) -> Option<Vec<&'q str>> {
    filter.fields.iter().find_map(|(key, paths)| match key.strip_suffix(".*") {
        Some(prefix) => {
            name.strip_prefix(prefix)?.strip_prefix('.').filter(|rest| !rest.is_empty()).map(|_| vec![name])
        }
        None => (key == name).then(|| paths.iter().map(String::as_str).collect()),
    })
}

/// Why the query names a pair's field its `x-filter`, or a sort field its `x-sort`, does not list.
fn undeclared(op: &Operation, query: &[(String, String)]) -> Option<String> {
    for (name, value) in query {
        let Some(param) = op.parameters.iter().find(|p| p.name == *name) else { continue };
        if let Some(filter) = param.filter.as_ref().filter(|f| f.op == FilterOp::Pairs) {
            let mut names = value.split(';').filter_map(|pair| Some(pair.split_once(':')?.0));
            if let Some(field) = names.find(|field| named(filter, field).is_none()) {
                return Some(format!("cannot filter by {field:?}"));
            }
        }
    }
    let sorts = op.parameters.iter().find(|p| !p.sorts.is_empty() && query.iter().any(|(k, _)| *k == p.name))?;
    let field = ordering(op, query).1.filter(|field| !sorts.sorts.iter().any(|s| s == field))?;
    Some(format!("cannot sort by {field:?}"))
}

/// The values at a dotted path of `record` (`account.id`); arrays on the way fan out.
pub(crate) fn lookup<'v>(record: &'v Value, path: &str) -> Vec<&'v Value> {
    let mut current = vec![record];
    for segment in path.split('.') {
        let mut next = Vec::new();
        for value in current {
            match value.get(segment) {
                Some(Value::Array(items)) => next.extend(items.iter()),
                Some(Value::Null) | None => {}
                Some(v) => next.push(v),
            }
        }
        current = next;
    }
    current
}

/// What a page of a list is, for the fields that describe it.
struct Page<'a> {
    total: usize,
    /// The page-size parameter and the size.
    size: Option<(&'a str, usize)>,
    /// Whether a page comes before.
    previous: Option<bool>,
    /// Its number, where pages are numbered, and the parameter that asks for it.
    number: Option<(&'a str, u64)>,
}

/// Fills in the fields under `parents` that describe the page, where the
/// answer has them with a value of the same type: the count, the page size,
/// whether a page comes before, and of numbered pages this one's number,
/// the previous one's (`none` on the first) and how many there are.
fn describe(answer: &mut Value, parents: &[&str], page: &Page<'_>, nullable: &dyn Fn(&str) -> bool) {
    let find = |answer: &Value, names: &[&str], like: Option<&Value>| {
        parents.iter().flat_map(|parent| names.iter().map(move |name| format!("{parent}/{name}"))).find(|at| {
            answer.pointer(at).is_some_and(|v| {
                like.is_none_or(|like| v.is_number() == like.is_number() && v.is_boolean() == like.is_boolean())
            })
        })
    };
    let fill = |answer: &mut Value, names: &[&str], value: Value| {
        if let Some(slot) = find(answer, names, Some(&value)).and_then(|at| answer.pointer_mut(&at)) {
            *slot = value;
        }
    };
    fill(answer, &COUNT, Value::from(page.total));
    if let Some((name, size)) = page.size {
        fill(answer, &[name], Value::from(size));
        if page.number.is_some() {
            fill(answer, &PAGES, Value::from(page.total.div_ceil(size)));
        }
    }
    if let Some(previous) = page.previous {
        fill(answer, &PREVIOUS, Value::Bool(previous));
    }
    if let Some((param, number)) = page.number {
        fill(answer, &CURRENT, Value::from(number));
        fill(answer, &[param], Value::from(number));
        match number.checked_sub(1).filter(|p| *p >= 1) {
            Some(before) => fill(answer, &BEFORE, Value::from(before)),
            None => {
                if let Some(at) = find(answer, &BEFORE, None) {
                    none(answer, &at, nullable);
                }
            }
        }
    }
}

/// There is no value for the field at `at`: `null` where it may be, else left out.
fn none(answer: &mut Value, at: &str, nullable: &dyn Fn(&str) -> bool) {
    let Some((parent, name)) = at.rsplit_once('/') else { return };
    let Some(fields) = answer.pointer_mut(parent).and_then(Value::as_object_mut) else { return };
    match nullable(at) {
        true => fields.insert(name.to_owned(), Value::Null),
        false => fields.remove(name),
    };
}

/// Whether a parameter (or a body's field) so named sizes a page.
fn is_size(name: &str) -> bool {
    const NAMES: [&str; 7] = ["limit", "size", "per_page", "perPage", "pageSize", "page_size", "count"];
    NAMES.contains(&name) || name.ends_with("Size")
}

/// Page tokens: an offset, tagged so that it only works with the store and query that issued it.
struct Tokens<'q> {
    seed: u64,
    query: &'q [(String, String)],
    /// The page-size parameter, which may change from page to page.
    size: Option<&'q str>,
}

impl Tokens<'_> {
    fn tag(&self, offset: u64, param: &str) -> u64 {
        let mut pairs: Vec<&(String, String)> =
            self.query.iter().filter(|(k, _)| k != param && Some(k.as_str()) != self.size).collect();
        pairs.sort();
        let hash = fnv(pairs.into_iter().flat_map(|(k, v)| k.bytes().chain([0]).chain(v.bytes()).chain([0xff])));
        super::mix(self.seed ^ hash ^ offset.rotate_left(17))
    }

    fn issue(&self, offset: usize, param: &str) -> String {
        let offset = offset as u64;
        URL_SAFE_NO_PAD.encode([self.tag(offset, param).to_be_bytes(), offset.to_be_bytes()].concat())
    }

    /// The offset `token` stands for, if this store issued it for this query.
    fn offset(&self, token: &str, param: &str) -> Result<usize, Stored> {
        let bytes = URL_SAFE_NO_PAD.decode(token).unwrap_or_default();
        let offset = bytes.split_first_chunk().and_then(|(tag, offset)| {
            let offset = u64::from_be_bytes(offset.try_into().ok()?);
            (u64::from_be_bytes(*tag) == self.tag(offset, param)).then(|| usize::try_from(offset).ok())?
        });
        offset.ok_or_else(|| {
            let message = format!("invalid {param}: send the one the previous page gave, with the same query");
            Stored::Refused(StatusCode::BAD_REQUEST, message)
        })
    }
}

/// FNV-1a of `bytes`: what binds a token to its path and query.
fn fnv(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Orders two optional values: numbers numerically, the rest as text ignoring case; absent last.
pub(crate) fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal)
        }
        // Strings without a copy: a sort of many records compares often.
        (Some(Value::String(x)), Some(Value::String(y))) => {
            x.chars().flat_map(char::to_lowercase).cmp(y.chars().flat_map(char::to_lowercase))
        }
        (Some(x), Some(y)) => {
            text(x).unwrap_or_default().to_lowercase().cmp(&text(y).unwrap_or_default().to_lowercase())
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
