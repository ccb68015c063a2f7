//! The generic store: what a spec says about its collections, served with
//! state. A path whose `GET` answers a list (or which takes a `POST`) is a
//! collection, and `<collection>/{id}` its items: `POST` creates, `GET` on
//! the collection lists with the spec's paging ([`Paging`]), filters (a
//! query parameter named as a field of the items) and sorting (`sort`,
//! `sort_by`, `sortBy`: `field`, `-field`, `field:desc`, `field=desc`, or a
//! `sort_direction`), and `GET`/`PUT`/`PATCH`/`DELETE` on an item read,
//! merge and remove it, with a 404 once it is gone. A collection at
//! `<collection>/{id}/<name>` belongs to record `{id}`: without that record
//! it is refused (404 where the operation documents one, else 400), and it
//! is deleted with it.
//!
//! A collection is seeded, the first time it is touched, with the items of
//! the spec's own answer, or with `records` items generated from its
//! schema. An item nobody created is made from the spec the first time it
//! is read, with its id the one asked for, so a documented example's id
//! resolves. Every answer is built from the operation's documented answer
//! with the records put in place, and is only given if it fits the spec;
//! otherwise the operation is answered as if it had no state.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::fallback::{generate_nth, spec_response};
use super::validate::{SpecValidator, ValidatedRequest};
use crate::spec::model::{Operation, Paging, Spec, is_json, resolve};

/// Items per page when the spec names no page-size parameter or default.
const DEFAULT_PAGE_SIZE: usize = 20;
/// Most items one collection generates at once, whatever `records` says.
const MAX_SEEDED: u64 = 100_000;

/// A refusal a hook answers with: the status and the message.
pub type Refusal = (StatusCode, String);

/// What a hook sees of a request: its operation and query, the record the
/// path names as the collection's parent (`/definitions/{id}/options`:
/// definition `{id}`), and the records of the collection.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub operation_id: &'a str,
    pub query: &'a [(String, String)],
    pub parent: Option<&'a Value>,
    pub records: &'a [Value],
}

impl Context<'_> {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What an emulator adds to the store, where the spec cannot say it:
/// records of its own, filters, the fields a server sets, and refusals.
pub trait Hooks: Send + Sync + 'static {
    /// The first records of the collection at `path` (`None`: the store's own).
    fn seed(&self, _path: &str) -> Option<Vec<Value>> {
        None
    }

    /// Refuses a request before the store acts on it (a query the API
    /// rejects, a parent that cannot have such records).
    fn refuse(&self, _request: &Context<'_>) -> Result<(), Refusal> {
        Ok(())
    }

    /// Whether `record` passes the filters of a list request beyond the
    /// store's own (a query parameter named as a field).
    fn keeps(&self, _request: &Context<'_>, _record: &Value) -> bool {
        true
    }

    /// A record about to be stored (created, or `before` changed by the
    /// request): fill in what the server sets, or refuse it.
    fn write(&self, _request: &Context<'_>, _record: &mut Value, _before: Option<&Value>) -> Result<(), Refusal> {
        Ok(())
    }

    /// A record about to be deleted: do what else goes with it, or refuse.
    fn remove(&self, _request: &Context<'_>, _record: &Value) -> Result<(), Refusal> {
        Ok(())
    }
}

/// The records of every collection, keyed by the collection's path.
pub(crate) struct Store {
    spec: Spec,
    records: Option<u64>,
    hooks: Option<Arc<dyn Hooks>>,
    /// Binds page tokens to this store.
    seed: u64,
    collections: Mutex<HashMap<String, Collection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("records", &self.records).finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Collection {
    items: Vec<Value>,
    /// Ids deleted: they stay gone rather than being made up again.
    deleted: HashSet<String>,
    /// Values generated so far, so each new one differs.
    made: usize,
    /// Whether an item nobody created is made up when read (not where an
    /// emulator seeded the records).
    invents: bool,
}

/// What the store made of a request: an answer, or an error to render.
pub(crate) enum Stored {
    Answer { status: u16, body: Value },
    Refused(StatusCode, String),
}

/// What an operation does to its collection.
enum Role {
    List(String),
    Create,
    Item,
}

impl Store {
    /// The store of `spec`; `None` when the spec has no model (the
    /// operations are then answered without state).
    pub(crate) fn new(spec: &Value, records: Option<u64>, hooks: Option<Arc<dyn Hooks>>) -> Option<Self> {
        let spec = Spec::parse(spec).map_err(|e| tracing::debug!(error = %e, "no store for this spec")).ok()?;
        let seed = fastrand::u64(..);
        Some(Self { spec, records, hooks, seed, collections: Mutex::new(HashMap::new()) })
    }

    /// The records of the collection at `path`, in order (none before it is first used).
    pub(crate) fn records(&self, path: &str) -> Vec<Value> {
        let collections = self.collections.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        collections.get(path).map(|c| c.items.clone()).unwrap_or_default()
    }

    /// Makes sure the collection at `path` (a collection's spec path) has its first records.
    pub(crate) fn open(&self, validator: &SpecValidator, path: &str) {
        let mut collections = self.collections.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.open_in(validator, &mut collections, path, path);
    }

    /// The store's answer to a validated request, or `None` when the
    /// operation has no collection (or the answer would not fit the spec).
    pub(crate) fn answer(
        &self,
        validator: &SpecValidator,
        request: &ValidatedRequest,
        path: &str,
        body: &[u8],
    ) -> Option<Stored> {
        let op = self.spec.operation(&request.operation_id)?;
        let role = self.role(op)?;
        let (status, envelope) = documented(validator, op)?;
        let mut collections = self.collections.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (key, template, id) = match role {
            Role::Item => {
                let (parent, id) = path.rsplit_once('/')?;
                (parent, op.path.rsplit_once('/')?.0, Some(percent_decode(id)))
            }
            _ => (path, op.path.as_str(), None),
        };
        // A child collection (`<collection>/{id}/<name>`) lives under a record that must exist.
        let parent = match template.rsplit_once('/').and_then(|(item, _)| Some((item, item.rsplit_once('/')?.0))) {
            Some((item, parent)) if item.ends_with('}') && self.is_collection(parent) => {
                let (parent_key, parent_id) = key.rsplit_once('/')?.0.rsplit_once('/')?;
                match self.find(validator, &mut collections, parent, parent_key, &percent_decode(parent_id)) {
                    Ok(record) => Some(record),
                    Err(message) => {
                        let documents_404 = op.responses.iter().any(|r| r.status == "404");
                        let status = if documents_404 { StatusCode::NOT_FOUND } else { StatusCode::BAD_REQUEST };
                        return Some(Stored::Refused(status, message));
                    }
                }
            }
            _ => None,
        };
        let id_field = self.id_field(template);
        let collection = self.open_in(validator, &mut collections, template, key);
        let hooks = self.hooks.as_deref();
        let base = Context { operation_id: &op.id, query: &request.query, parent: parent.as_ref(), records: &[] };
        let refused = |(status, message): Refusal| Some(Stored::Refused(status, message));
        if let Some(Err(refusal)) = hooks.map(|h| h.refuse(&Context { records: &collection.items, ..base })) {
            return refused(refusal);
        }
        let mut cascade = None;
        let answer = match role {
            Role::List(pointer) => {
                let context = Context { records: &collection.items, ..base };
                let keeps = |item: &Value| hooks.is_none_or(|h| h.keeps(&context, item));
                let seed = self.seed ^ fnv(key.bytes());
                let tokens = Tokens { seed, query: &request.query, size: size_param(op) };
                match list(op, &pointer, envelope, &collection.items, keeps, &tokens) {
                    Ok(answer) => answer?,
                    Err(refused) => return Some(refused),
                }
            }
            Role::Create => {
                let mut item = self.made(validator, template, collection, false)?;
                overlay(&mut item, json_body(body)?);
                if let Some(Err(refusal)) =
                    hooks.map(|h| h.write(&Context { records: &collection.items, ..base }, &mut item, None))
                {
                    return refused(refusal);
                }
                let answer = place(envelope, &item, id_field.as_deref());
                fits(validator, op, status, &answer)?;
                collection.items.push(item);
                return Some(Stored::Answer { status, body: answer });
            }
            Role::Item => {
                let (field, id) = (id_field?, id?);
                let at = match self.locate(validator, template, collection, &field, &id) {
                    Ok(at) => at,
                    Err(message) => return Some(Stored::Refused(StatusCode::NOT_FOUND, message)),
                };
                let mut item = collection.items[at].clone();
                let context = Context { records: &collection.items, ..base };
                match op.method.as_str() {
                    "delete" => {
                        if let Some(Err(refusal)) = hooks.map(|h| h.remove(&context, &item)) {
                            return refused(refusal);
                        }
                        collection.items.remove(at);
                        collection.deleted.insert(id);
                        // The records under it go with it.
                        cascade = Some(format!("{path}/"));
                        match envelope {
                            Value::Null => Value::Null,
                            envelope => place(envelope, &item, Some(&field)),
                        }
                    }
                    "put" | "patch" => {
                        let before = item.clone();
                        overlay(&mut item, json_body(body)?);
                        if let Some(Err(refusal)) = hooks.map(|h| h.write(&context, &mut item, Some(&before))) {
                            return refused(refusal);
                        }
                        let answer = place(envelope, &item, Some(&field));
                        fits(validator, op, status, &answer)?;
                        collection.items[at] = item;
                        return Some(Stored::Answer { status, body: answer });
                    }
                    _ => place(envelope, &item, Some(&field)),
                }
            }
        };
        if let Some(prefix) = cascade {
            collections.retain(|key, _| !key.starts_with(&prefix));
        }
        fits(validator, op, status, &answer)?;
        Some(Stored::Answer { status, body: answer })
    }

    /// The collection at `path` (of spec path `template`), seeded when first used.
    fn open_in<'c>(
        &self,
        validator: &SpecValidator,
        collections: &'c mut HashMap<String, Collection>,
        template: &str,
        path: &str,
    ) -> &'c mut Collection {
        if !collections.contains_key(path) {
            let seeded = self.seed(validator, template, path);
            collections.insert(path.to_owned(), seeded);
        }
        collections.entry(path.to_owned()).or_default()
    }

    /// Where item `id` is in `collection` (made up from the spec if the
    /// collection invents items), or why there is none.
    fn locate(
        &self,
        validator: &SpecValidator,
        template: &str,
        collection: &mut Collection,
        field: &str,
        id: &str,
    ) -> Result<usize, String> {
        let missing = || format!("no {} {id}", noun(template));
        if let Some(at) = collection.items.iter().position(|item| item.get(field).and_then(text).as_deref() == Some(id))
        {
            return Ok(at);
        }
        if collection.deleted.contains(id) || !collection.invents {
            return Err(missing());
        }
        let mut item = self.made(validator, template, collection, true).ok_or_else(missing)?;
        let typed = typed_id(id, item.get(field));
        item.as_object_mut().ok_or_else(missing)?.insert(field.to_owned(), typed);
        collection.items.push(item);
        Ok(collection.items.len() - 1)
    }

    /// Record `id` of the collection at `path` (of spec path `template`).
    fn find(
        &self,
        validator: &SpecValidator,
        collections: &mut HashMap<String, Collection>,
        template: &str,
        path: &str,
        id: &str,
    ) -> Result<Value, String> {
        let field = self.id_field(template).ok_or_else(|| format!("no {} {id}", noun(template)))?;
        let collection = self.open_in(validator, collections, template, path);
        let at = self.locate(validator, template, collection, &field, id)?;
        Ok(collection.items[at].clone())
    }

    /// Whether the spec path `template` is a collection.
    fn is_collection(&self, template: &str) -> bool {
        self.spec.operations.iter().any(|o| o.path == template && (o.method == "post" || self.listed(o).is_some()))
    }

    /// Whether `op` works on a collection, and how.
    fn role(&self, op: &Operation) -> Option<Role> {
        let item_of = |template: &str| {
            let (parent, last) = template.rsplit_once('/')?;
            (last.starts_with('{') && last.ends_with('}') && self.is_collection(parent)).then_some(())
        };
        match op.method.as_str() {
            "get" => match self.listed(op) {
                Some(pointer) => Some(Role::List(pointer)),
                None => item_of(&op.path).map(|()| Role::Item),
            },
            "post" if self.has_items(&op.path) => Some(Role::Create),
            "put" | "patch" | "delete" => item_of(&op.path).map(|()| Role::Item),
            _ => None,
        }
    }

    /// Whether the collection at `template` has items addressed by id.
    fn has_items(&self, template: &str) -> bool {
        self.spec.operations.iter().any(|o| {
            o.method == "get"
                && (self.listed(o).is_some() && o.path == template
                    || o.path
                        .rsplit_once('/')
                        .is_some_and(|(parent, last)| parent == template && last.starts_with('{')))
        })
    }

    /// Where a `GET`'s answer holds its list, as a JSON pointer: the
    /// paging's items, the answer itself if it is an array, or its one
    /// array property.
    fn listed(&self, op: &Operation) -> Option<String> {
        if op.method != "get" {
            return None;
        }
        if let Some(Paging { items, .. }) = &op.paging {
            return Some(items.clone());
        }
        let schema = resolve(&self.spec.doc, success_schema(op)?);
        let is_array = |s: &Value| resolve(&self.spec.doc, s).get("type").and_then(Value::as_str) == Some("array");
        if is_array(schema) {
            return Some(String::new());
        }
        let mut arrays = schema.get("properties")?.as_object()?.iter().filter(|(_, s)| is_array(s));
        match (arrays.next(), arrays.next()) {
            (Some((name, _)), None) => Some(format!("/{name}")),
            _ => None,
        }
    }

    /// The schema of one item of the collection at `template`: its list's
    /// items, else the answer of one item.
    fn item_schema(&self, template: &str) -> Option<Value> {
        let doc = &self.spec.doc;
        for op in self.spec.operations.iter().filter(|o| o.path == template) {
            if let Some(pointer) = self.listed(op) {
                let mut schema = resolve(doc, success_schema(op)?);
                for segment in pointer.split('/').skip(1) {
                    schema = resolve(doc, property(doc, schema, segment)?);
                }
                return schema.get("items").map(|items| resolve(doc, items).clone());
            }
        }
        let item = self.spec.operations.iter().find(|o| {
            o.method == "get" && o.path.rsplit_once('/').is_some_and(|(p, l)| p == template && l.starts_with('{'))
        })?;
        Some(resolve(doc, success_schema(item)?).clone())
    }

    /// The field that holds an item's id: the item path's parameter if the
    /// items have it, else `id`.
    fn id_field(&self, template: &str) -> Option<String> {
        let schema = self.item_schema(template)?;
        let doc = &self.spec.doc;
        let param = self.spec.operations.iter().find_map(|o| {
            let (parent, last) = o.path.rsplit_once('/')?;
            (parent == template).then(|| last.strip_prefix('{')?.strip_suffix('}'))?
        });
        [param, Some("id")].into_iter().flatten().find(|name| property(doc, &schema, name).is_some()).map(str::to_owned)
    }

    /// A collection's first records: `records` generated ones, else the
    /// items of the spec's own answer to its list.
    fn seed(&self, validator: &SpecValidator, template: &str, path: &str) -> Collection {
        if let Some(items) = self.hooks.as_ref().and_then(|hooks| hooks.seed(path)) {
            return Collection { made: items.len(), items, ..Collection::default() };
        }
        let mut collection = Collection { invents: true, ..Collection::default() };
        let list = self.spec.operations.iter().find(|o| o.path == template && self.listed(o).is_some());
        match (self.records, list) {
            (Some(records), _) => {
                for _ in 0..records.min(MAX_SEEDED) {
                    if let Some(item) = self.made(validator, template, &mut collection, true) {
                        collection.items.push(item);
                    }
                }
            }
            (None, Some(op)) => {
                let pointer = self.listed(op).unwrap_or_default();
                if let Some((_, answer)) = documented(validator, op)
                    && let Some(Value::Array(items)) = answer.pointer(&pointer)
                {
                    collection.made = items.len();
                    collection.items.clone_from(items);
                }
            }
            (None, None) => {}
        }
        collection
    }

    /// A new item of the collection at `template`, different from the ones
    /// before: every field, or the required ones alone (what a create
    /// starts from, before the request's fields).
    fn made(
        &self,
        validator: &SpecValidator,
        template: &str,
        collection: &mut Collection,
        every: bool,
    ) -> Option<Value> {
        let schema = self.item_schema(template)?;
        let item = generate_nth(validator, &schema, collection.made, every);
        collection.made += 1;
        item.is_object().then_some(item)
    }
}

/// What one item of the collection at `template` is called: its last
/// segment, singular (`/api/v1/tasks`: `task`).
fn noun(template: &str) -> &str {
    let last = template.rsplit('/').next().unwrap_or(template);
    last.strip_suffix('s').filter(|n| !n.is_empty()).unwrap_or(last)
}

/// A property's schema, looked for in `properties` and through `allOf`.
fn property<'v>(doc: &'v Value, schema: &'v Value, name: &str) -> Option<&'v Value> {
    let schema = resolve(doc, schema);
    schema
        .get("properties")
        .and_then(|p| p.get(name))
        .or_else(|| schema.get("allOf")?.as_array()?.iter().find_map(|part| property(doc, part, name)))
}

/// The JSON schema of the operation's first success answer.
fn success_schema(op: &Operation) -> Option<&Value> {
    let response = op.responses.iter().filter(|r| r.status.starts_with('2')).min_by(|a, b| a.status.cmp(&b.status))?;
    response.content.iter().find(|m| is_json(&m.name)).map(|m| &m.schema)
}

/// The spec's own answer to `op`, as JSON (`Null` when it has no body).
fn documented(validator: &SpecValidator, op: &Operation) -> Option<(u16, Value)> {
    let answer = spec_response(validator, &op.id)?;
    let body = match answer.content_type.as_deref() {
        Some(media) if is_json(media) => serde_json::from_slice(&answer.body).ok()?,
        Some(_) => return None,
        None => Value::Null,
    };
    Some((answer.status, body))
}

/// `Some` when the answer fits the operation's documented response.
fn fits(validator: &SpecValidator, op: &Operation, status: u16, answer: &Value) -> Option<()> {
    if answer.is_null() {
        return Some(());
    }
    let bytes = serde_json::to_vec(answer).ok()?;
    validator.validate_response(&op.id, status, Some("application/json"), &bytes).ok()
}

/// The answer with `item` in it: the item itself when the answer is one
/// (it holds the id field), else in the answer's object property that is.
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

/// An id from a path as the field's type has it (a number stays a number).
fn typed_id(id: &str, like: Option<&Value>) -> Value {
    match like {
        Some(Value::Number(_)) => id.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(id.to_owned())),
        _ => Value::String(id.to_owned()),
    }
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

fn percent_decode(text: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("x={text}"))
        .ok()
        .and_then(|pairs| pairs.into_iter().next())
        .map_or_else(|| text.to_owned(), |(_, v)| v)
}

/// Query parameters that sort; `sort_direction`-like ones give the direction.
const SORT: [&str; 5] = ["sort", "sort_by", "sortBy", "order_by", "orderBy"];
const DIRECTION: [&str; 4] = ["sort_direction", "sortDirection", "direction", "order"];

/// One page of `items`, filtered (by the store and `keeps`) and sorted as
/// the query asks, in the envelope; a count beside the items (`totalCount`,
/// `total_count`, `total`) counts them all.
fn list(
    op: &Operation,
    pointer: &str,
    mut envelope: Value,
    items: &[Value],
    keeps: impl Fn(&Value) -> bool,
    tokens: &Tokens<'_>,
) -> Result<Option<Value>, Stored> {
    let query = tokens.query;
    let paging = op.paging.as_ref();
    let size_param = op.parameters.iter().find(|p| Some(p.name.as_str()) == tokens.size);
    let shaping: Vec<&str> = paging
        .map(|p| p.param.as_str())
        .into_iter()
        .chain(size_param.map(|p| p.name.as_str()))
        .chain(["page"])
        .chain(SORT)
        .chain(DIRECTION)
        .collect();
    let mut selected: Vec<&Value> = items
        .iter()
        .filter(|item| {
            query.iter().filter(|(k, _)| !shaping.contains(&k.as_str())).all(|(k, v)| match item.get(k) {
                Some(field) => {
                    let wanted: Vec<&str> = query.iter().filter(|(key, _)| key == k).map(|(_, v)| v.as_str()).collect();
                    text(field).is_some_and(|t| wanted.iter().any(|w| w.eq_ignore_ascii_case(&t)))
                }
                // Not a field of the items: not a filter the store knows.
                None => !items.iter().any(|i| i.get(k).is_some()) || v.is_empty(),
            }) && keeps(item)
        })
        .collect();
    let one = |names: &[&str]| query.iter().find(|(k, _)| names.contains(&k.as_str())).map(|(_, v)| v.as_str());
    if let Some(sort) = one(&SORT) {
        let (field, descending) = match sort.split_once([':', '=']) {
            Some((field, direction)) => (field, direction.eq_ignore_ascii_case("desc")),
            None => match sort.strip_prefix('-') {
                Some(field) => (field, true),
                None => (sort, one(&DIRECTION).is_some_and(|d| d.eq_ignore_ascii_case("desc"))),
            },
        };
        selected.sort_by(|a, b| {
            let order = compare(a.get(field), b.get(field));
            if descending { order.reverse() } else { order }
        });
    }
    let size = one(&size_param.map(|p| [p.name.as_str()]).unwrap_or([""]))
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|n| *n >= 1.0)
        .map(|n| n as usize)
        .or_else(|| size_param.and_then(|p| p.schema.get("default")?.as_u64()).and_then(|d| usize::try_from(d).ok()))
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .max(1);
    let total = selected.len();
    let parent = pointer.rsplit_once('/').map_or("", |(parent, _)| parent);
    let count = ["totalCount", "total_count", "total"]
        .iter()
        .map(|name| format!("{parent}/{name}"))
        .find(|at| envelope.pointer(at).is_some_and(Value::is_number));
    if let Some(slot) = count.and_then(|at| envelope.pointer_mut(&at)) {
        *slot = Value::from(total);
    }
    let Some(paging) = paging else {
        let Some(slot) = envelope.pointer_mut(pointer) else { return Ok(None) };
        *slot = Value::Array(selected.into_iter().cloned().collect());
        return Ok(Some(envelope));
    };
    // Page numbers where the parameter is a number, else the offset as an
    // opaque token (which wins over a page number the operation also takes).
    let numeric = |name: &str| {
        op.parameters
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.schema.get("type").and_then(Value::as_str))
            .is_some_and(|t| t == "integer" || t == "number")
    };
    let numbered = numeric(&paging.param);
    let page_param = if numbered { Some(paging.param.as_str()) } else { Some("page").filter(|p| numeric(p)) };
    let token = one(&[paging.param.as_str()]).filter(|v| !v.is_empty() && !numbered);
    let page = page_param.and_then(|p| one(&[p])).and_then(|p| p.parse::<f64>().ok()).filter(|p| *p >= 1.0);
    let start = match token {
        Some(token) => tokens.offset(token, &paging.param)?,
        None => page.map_or(0, |p| (p as usize - 1).saturating_mul(size)),
    };
    let end = start.saturating_add(size).min(selected.len());
    let page: Vec<Value> = selected.get(start.min(end)..end).unwrap_or_default().iter().map(|v| (*v).clone()).collect();
    let Some(slot) = envelope.pointer_mut(pointer) else { return Ok(None) };
    *slot = Value::Array(page);
    let next = (end < selected.len()).then(|| match numbered {
        true => Value::from(start / size + 2),
        false => Value::from(tokens.issue(end, &paging.param)),
    });
    // The last page has no next value: the field is left out.
    let Some((parent, name)) = paging.next.rsplit_once('/') else { return Ok(None) };
    let Some(parent) = envelope.pointer_mut(parent).and_then(Value::as_object_mut) else { return Ok(None) };
    match next {
        Some(next) => parent.insert(name.to_owned(), next),
        None => parent.remove(name),
    };
    Ok(Some(envelope))
}

/// The query parameter that sizes a page of `op`'s list.
fn size_param(op: &Operation) -> Option<&str> {
    const NAMES: [&str; 7] = ["limit", "size", "per_page", "perPage", "pageSize", "page_size", "count"];
    let sizes = |p: &&crate::spec::model::Parameter| {
        p.location.as_str() == "query" && (NAMES.contains(&p.name.as_str()) || p.name.ends_with("Size"))
    };
    op.parameters.iter().find(sizes).map(|p| p.name.as_str())
}

/// Page tokens: an offset, tagged so that a token only works with the
/// store that issued it and the query it was issued for (paging aside).
pub(crate) struct Tokens<'q> {
    pub(crate) seed: u64,
    pub(crate) query: &'q [(String, String)],
    /// The page-size parameter, which may change from page to page.
    pub(crate) size: Option<&'q str>,
}

impl Tokens<'_> {
    fn tag(&self, offset: u64, param: &str) -> u64 {
        let mut pairs: Vec<&(String, String)> =
            self.query.iter().filter(|(k, _)| k != param && Some(k.as_str()) != self.size).collect();
        pairs.sort();
        let hash = fnv(pairs.into_iter().flat_map(|(k, v)| k.bytes().chain([0]).chain(v.bytes()).chain([0xff])));
        super::mix(self.seed ^ hash ^ offset.rotate_left(17))
    }

    pub(crate) fn issue(&self, offset: usize, param: &str) -> String {
        let offset = offset as u64;
        let mut bytes = self.tag(offset, param).to_be_bytes().to_vec();
        bytes.extend_from_slice(&offset.to_be_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The offset `token` stands for, if this store issued it for this query.
    pub(crate) fn offset(&self, token: &str, param: &str) -> Result<usize, Stored> {
        let invalid = || {
            let message = format!("invalid {param}: send the one the previous page gave, with the same query");
            Stored::Refused(StatusCode::BAD_REQUEST, message)
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        let (tag, offset) = bytes.split_at_checked(8).filter(|(_, o)| o.len() == 8).ok_or_else(invalid)?;
        let tag = u64::from_be_bytes(tag.try_into().map_err(|_| invalid())?);
        let offset = u64::from_be_bytes(offset.try_into().map_err(|_| invalid())?);
        if tag != self.tag(offset, param) {
            return Err(invalid());
        }
        usize::try_from(offset).map_err(|_| invalid())
    }
}

/// FNV-1a of `bytes`: what binds a token to its path and query.
fn fnv(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// Orders two optional values: numbers numerically, the rest as text
/// (ignoring case); absent last.
pub(crate) fn compare(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            x.as_f64().partial_cmp(&y.as_f64()).unwrap_or(Ordering::Equal)
        }
        (Some(x), Some(y)) => {
            text(x).unwrap_or_default().to_lowercase().cmp(&text(y).unwrap_or_default().to_lowercase())
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
