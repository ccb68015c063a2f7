//! Drift: what an API's responses held that its spec does not list.
//!
//! The specs are reconstructed from vendors' documents, and a real tenant may
//! answer with more. The typed models stay lenient: an unknown field is
//! skipped, and an enum value the spec does not list decodes as
//! `Unrecognized` ([`crate::UnrecognizedValue`]). So that this is noticed,
//! every typed call's success body is watched as it decodes (no second
//! parse) for **unknown fields**, by JSON path (`conversations[3].newField`),
//! and **unrecognized enum values**, with the enum's type name.
//!
//! The counts are kept per operation, in each client (`client.drift()`) and
//! for the process ([`seen()`]), with a few examples each, in bounded memory.
//! They are logged through `tracing`: a warning the first time an operation
//! shows a new path or value, then at most one summary per operation per
//! minute. The `convo` CLI notes any on stderr, and its operation commands,
//! which read answers as JSON, count what a walk of each against the spec
//! finds ([`record_survey`]); `convo <api> check` surveys whole bodies on
//! purpose ([`crate::spec::survey`]).
//!
//! Examples never hold a secret: an unknown field shows its path only, and a
//! value of an enum with a secret-like name ([`crate::redact::is_secret_name`])
//! shows as `***`. Texts are cut to a bounded length, control characters
//! escaped. Not seen: downloads, fields inside a `oneOf` union of a typed call
//! (serde buffers those), and maps a type keeps whole; a union tried variant
//! by variant may count a value of a variant it then rejected.
//!
//! ```
//! # #[cfg(all(feature = "salesloft", feature = "sandbox"))]
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use convo_clients::salesloft::{ApiKey, Client};
//! use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
//! use futures::{StreamExt, TryStreamExt};
//!
//! let sandbox = SalesloftSandbox::start(21, 0, SalesloftConfig::default()).await?;
//! let client = Client::builder(ApiKey(sandbox.api_key().into())).base_url(sandbox.base_url()).build()?;
//! let _: Vec<_> = client.list_conversations().stream().take(10).try_collect().await?;
//! // The sandbox answers exactly as the spec says.
//! assert!(client.drift().is_empty(), "{}", client.drift());
//! # Ok(()) }
//! # #[cfg(not(all(feature = "salesloft", feature = "sandbox")))]
//! # fn main() {}
//! ```

mod ignored;

use std::cell::RefCell;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::redact::{MASK, escape_controls, is_secret_name};
use crate::spec::model::case;
use ignored::Path;

/// Examples of each kind kept per operation in a report.
const MAX_EXAMPLES: usize = 5;
/// Distinct paths or values per operation that get a warning of their own
/// (and distinct ones kept per response); past it they are only counted.
const MAX_DISTINCT: usize = 64;
/// The longest path or value kept, in characters.
const MAX_TEXT: usize = 120;
/// How often, at most, an operation's summary warning is logged.
const SUMMARY_EVERY: Duration = Duration::from_secs(60);

/// A snapshot of the drift seen: one entry per operation that saw any, in
/// the order they first did. Empty when every response matched the spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DriftReport {
    operations: Vec<OperationDrift>,
}

/// The drift one operation's responses showed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct OperationDrift {
    /// The API (its module name, e.g. `luware`).
    pub api: &'static str,
    /// The operation, as the spec's `operationId` spells it.
    pub operation: &'static str,
    /// Responses that held at least one unknown field or unrecognized value.
    pub responses: u64,
    /// Fields the typed model does not know, counted each time one was seen.
    pub unknown_fields: u64,
    /// Enum values the spec does not list, counted each time one was seen.
    pub unrecognized_values: u64,
    /// The first distinct paths of unknown fields (at most five), as first
    /// seen, e.g. `conversations[3].newField`.
    pub unknown_field_examples: Vec<String>,
    /// The first distinct unrecognized values (at most five).
    pub unrecognized_value_examples: Vec<UnrecognizedExample>,
    /// Other differences from the spec that did not stop the call (an
    /// undocumented status or header, a string off its format, a broken
    /// bound), found by walking a whole answer ([`record_survey`]).
    pub other_differences: u64,
    /// The first distinct ones (at most five), e.g. `format mismatch $.startTime`.
    pub other_difference_examples: Vec<String>,
}

/// An enum value the spec does not list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct UnrecognizedExample {
    /// The enum's Rust type name (the spec's schema name).
    pub enum_type: &'static str,
    /// The value as received (`***` for an enum with a secret-like name).
    pub value: String,
}

impl DriftReport {
    /// Whether no response held anything the spec does not list.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    /// Each operation that saw drift.
    pub fn operations(&self) -> &[OperationDrift] {
        &self.operations
    }

    /// The drift of one operation, by its `operationId` (as the spec spells
    /// it, or in snake_case as the generated code does).
    pub fn operation(&self, operation_id: &str) -> Option<&OperationDrift> {
        self.operations.iter().find(|o| o.operation == operation_id || case(o.operation, '_') == operation_id)
    }

    /// Responses that held drift, over every operation.
    pub fn responses(&self) -> u64 {
        self.operations.iter().map(|o| o.responses).sum()
    }

    /// One line for a status or log line: `3 responses had fields or values
    /// the spec does not list (searchConversations: 2 unknown fields (e.g.
    /// conversations[0].foo), 1 unrecognized enum value (e.g. State
    /// "new_state"))`, with the first three operations and one example of
    /// each kind.
    pub fn summary(&self) -> String {
        const SHOWN: usize = 3;
        let mut operations: Vec<String> =
            self.operations.iter().take(SHOWN).map(|o| format!("{}: {}", o.operation, o.counts(1))).collect();
        if self.operations.len() > SHOWN {
            operations.push(format!("{} more operations", self.operations.len() - SHOWN));
        }
        let responses = self.responses();
        format!(
            "{responses} {} had fields or values the spec does not list ({})",
            plural(responses, "response"),
            operations.join("; ")
        )
    }

    /// The APIs that saw drift, each once, in order.
    pub fn apis(&self) -> Vec<&'static str> {
        let mut apis: Vec<&'static str> = Vec::new();
        for o in &self.operations {
            keep(&mut apis, &o.api, usize::MAX);
        }
        apis
    }
}

/// One line per operation; `no drift` when empty.
impl fmt::Display for DriftReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operations.is_empty() {
            return f.write_str("no drift: every response matched the spec");
        }
        let lines: Vec<String> = self.operations.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

/// `luware searchConversations: 2 responses: 3 unknown fields (e.g. …), 1
/// unrecognized enum value (e.g. …)`.
impl fmt::Display for OperationDrift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (api, operation, responses) = (self.api, self.operation, self.responses);
        write!(f, "{api} {operation}: {responses} {}: {}", plural(responses, "response"), self.counts(MAX_EXAMPLES))
    }
}

impl OperationDrift {
    /// `3 unknown fields (e.g. a.b, c), 1 unrecognized enum value (e.g.
    /// Type "x")`, with at most `examples` examples of each kind.
    fn counts(&self, examples: usize) -> String {
        let values = self.unrecognized_value_examples.iter().map(ToString::to_string).collect();
        let kinds = [
            (self.unknown_fields, "unknown field", self.unknown_field_examples.clone()),
            (self.unrecognized_values, "unrecognized enum value", values),
            (self.other_differences, "other difference", self.other_difference_examples.clone()),
        ];
        let parts = kinds.into_iter().filter(|(n, ..)| *n > 0).map(|(n, kind, shown): (u64, &str, Vec<String>)| {
            let shown = &shown[..shown.len().min(examples)];
            let shown = if shown.is_empty() { String::new() } else { format!(" (e.g. {})", shown.join(", ")) };
            format!("{n} {}{shown}", plural(n, kind))
        });
        parts.collect::<Vec<_>>().join(", ")
    }
}

/// `ConversationState "new_state"`.
impl fmt::Display for UnrecognizedExample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.enum_type {
            // A walk of an answer does not know the enum's type.
            "" => write!(f, "{:?}", self.value),
            enum_type => write!(f, "{enum_type} {:?}", self.value),
        }
    }
}

/// Adds `item` to `list` unless the list holds it or `max` items; whether it did.
fn keep<T: PartialEq + Clone>(list: &mut Vec<T>, item: &T, max: usize) -> bool {
    let kept = list.len() < max && !list.contains(item);
    if kept {
        list.push(item.clone());
    }
    kept
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 { word.to_owned() } else { format!("{word}s") }
}

/// The drift every client of this process has seen (each client's own is
/// `client.drift()`).
pub fn seen() -> DriftReport {
    SEEN.report()
}

// Collecting, while one response decodes.

/// What one response's decoding found.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    unknown_fields: u64,
    /// Distinct fields: (path without indices, first path seen).
    fields: Vec<(String, String)>,
    unrecognized_values: u64,
    /// Distinct values: (enum type, value as kept).
    values: Vec<(&'static str, String)>,
    others: u64,
    /// Distinct other differences, as kept.
    other_kinds: Vec<String>,
}

impl Findings {
    pub(crate) fn is_empty(&self) -> bool {
        self.unknown_fields == 0 && self.unrecognized_values == 0 && self.others == 0
    }

    /// A field the typed model ignored, at `path`.
    pub(crate) fn unknown_field(&mut self, path: &Path<'_>) {
        let mut shape = String::new();
        path.render(&mut shape, false);
        self.field(&shape, || {
            let mut first = String::new();
            path.render(&mut first, true);
            first
        });
    }

    /// A field the model ignored: its path without indices, and with them
    /// (made only for a path not kept yet).
    fn field(&mut self, shape: &str, first: impl FnOnce() -> String) {
        self.unknown_fields = self.unknown_fields.saturating_add(1);
        if self.fields.len() < MAX_DISTINCT && !self.fields.iter().any(|(known, _)| known == shape) {
            self.fields.push((bounded(shape), bounded(&first())));
        }
    }

    /// Another difference from the spec, as `kind location`.
    fn other(&mut self, what: &str) {
        self.others = self.others.saturating_add(1);
        keep(&mut self.other_kinds, &bounded(what), MAX_DISTINCT);
    }

    fn unrecognized(&mut self, enum_type: &'static str, value: &str) {
        self.unrecognized_values = self.unrecognized_values.saturating_add(1);
        let value = if is_secret_name(enum_type) { MASK.to_owned() } else { bounded(value) };
        keep(&mut self.values, &(enum_type, value), MAX_DISTINCT);
    }
}

/// Server text as kept: control characters escaped, at most [`MAX_TEXT`]
/// characters.
fn bounded(text: &str) -> String {
    let escaped = escape_controls(text);
    match escaped.char_indices().nth(MAX_TEXT) {
        Some((end, _)) => format!("{}…", &escaped[..end]),
        None => escaped.into_owned(),
    }
}

thread_local! {
    /// Where `open_enum!`'s decoding notes an unrecognized value, while
    /// [`observe`] runs on this thread.
    static UNRECOGNIZED: RefCell<Option<Findings>> = const { RefCell::new(None) };
}

/// Runs `decode` (synchronous: one body's deserialisation) with drift
/// collection armed on this thread; `decode` notes unknown fields in the
/// findings it is handed, and open enums note theirs through
/// [`note_unrecognized`].
pub(crate) fn observe<T>(decode: impl FnOnce(&mut Findings) -> T) -> (T, Findings) {
    /// Disarms on the way out, a panic included.
    struct Armed(Option<Findings>);
    impl Drop for Armed {
        fn drop(&mut self) {
            let previous = self.0.take();
            let _ = UNRECOGNIZED.try_with(|slot| *slot.borrow_mut() = previous);
        }
    }
    let previous = UNRECOGNIZED.with(|slot| slot.borrow_mut().replace(Findings::default()));
    let armed = Armed(previous);
    let mut findings = Findings::default();
    let value = decode(&mut findings);
    let values = UNRECOGNIZED.with(|slot| slot.borrow_mut().take()).unwrap_or_default();
    drop(armed);
    findings.unrecognized_values = values.unrecognized_values;
    findings.values = values.values;
    (value, findings)
}

/// A success body as `T`, in one pass with what the model ignored or did
/// not know (the decode hook's). The body's UTF-8 is checked once, not
/// string by string (a fifth of a page's decode); a body that is not UTF-8
/// gets serde_json's error.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> (serde_json::Result<T>, Findings) {
    fn watching<'de, T: serde::Deserialize<'de>>(
        read: impl serde_json::de::Read<'de>,
        findings: &mut Findings,
    ) -> serde_json::Result<T> {
        let mut deserializer = serde_json::Deserializer::new(read);
        let value = ignored::deserialize(&mut deserializer, |path| findings.unknown_field(path))?;
        deserializer.end().map(|()| value)
    }
    observe(|findings| match std::str::from_utf8(body) {
        Ok(text) => watching(serde_json::de::StrRead::new(text), findings),
        Err(_) => watching(serde_json::de::SliceRead::new(body), findings),
    })
}

/// [`decode`], for `benches/decode_drift.rs`: the value and how many fields it ignored.
#[doc(hidden)]
pub fn decode_counted<T: serde::de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<(T, u64)> {
    let (value, findings) = decode(body);
    value.map(|value| (value, findings.unknown_fields))
}

/// `open_enum!`'s `Deserialize`: a value the spec does not list was
/// decoded. Counted only while [`observe`] runs (a typed call's response).
#[doc(hidden)]
pub fn note_unrecognized(enum_type: &'static str, value: &str) {
    let _ = UNRECOGNIZED.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut()
            && let Some(findings) = slot.as_mut()
        {
            findings.unrecognized(enum_type, value);
        }
    });
}

// Keeping: per client, per process, and the warnings.

/// The counts and examples of one operation.
#[derive(Debug, Default)]
struct Tally {
    drift: OperationDrift,
    /// The indexless paths of the field examples, to keep them distinct.
    shapes: Vec<String>,
    /// What has been logged of it (in the process's log, which warns).
    warned: Warned,
}

/// The drift a client (or the process) has seen.
#[derive(Debug, Default)]
pub(crate) struct DriftLog {
    operations: Mutex<Vec<Tally>>,
}

impl DriftLog {
    pub(crate) const fn new() -> Self {
        Self { operations: Mutex::new(Vec::new()) }
    }

    /// Counts `findings`; with `warns`, logs what is new (see [`warn`]).
    fn add(&self, api: &'static str, operation: &'static str, findings: &Findings, warns: bool) {
        let mut operations = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
        let found = operations.iter().position(|t| t.drift.api == api && t.drift.operation == operation);
        let index = found.unwrap_or(operations.len());
        if index == operations.len() {
            operations
                .push(Tally { drift: OperationDrift { api, operation, ..Default::default() }, ..Default::default() });
        }
        let tally = &mut operations[index];
        let drift = &mut tally.drift;
        drift.responses = drift.responses.saturating_add(1);
        drift.unknown_fields = drift.unknown_fields.saturating_add(findings.unknown_fields);
        drift.unrecognized_values = drift.unrecognized_values.saturating_add(findings.unrecognized_values);
        drift.other_differences = drift.other_differences.saturating_add(findings.others);
        for other in &findings.other_kinds {
            keep(&mut drift.other_difference_examples, other, MAX_EXAMPLES);
        }
        for (shape, first) in &findings.fields {
            if keep(&mut tally.shapes, shape, MAX_EXAMPLES) {
                drift.unknown_field_examples.push(first.clone());
            }
        }
        for (enum_type, value) in &findings.values {
            let example = UnrecognizedExample { enum_type, value: value.clone() };
            keep(&mut drift.unrecognized_value_examples, &example, MAX_EXAMPLES);
        }
        if warns {
            warn(&mut tally.warned, &tally.drift, findings);
        }
    }

    pub(crate) fn report(&self) -> DriftReport {
        let operations = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
        DriftReport { operations: operations.iter().map(|t| t.drift.clone()).collect() }
    }
}

/// Every client's drift, for [`seen`].
static SEEN: DriftLog = DriftLog::new();

/// What has been logged of one operation.
#[derive(Debug, Default)]
struct Warned {
    /// Paths (indexless) and `Type=value`s already warned of.
    keys: Vec<String>,
    /// When the last warning was logged (or the first response seen).
    last: Option<Instant>,
    /// The operation's responses, unknown fields and unrecognized values
    /// then: the next summary tells what came since.
    since: [u64; 3],
}

/// Counts `findings` of one response in the client's `log` and the
/// process's, and logs what is new.
pub(crate) fn record(log: &DriftLog, api: &'static str, operation: &'static str, findings: &Findings) {
    log.add(api, operation, findings, false);
    SEEN.add(api, operation, findings, true);
}

/// Counts the drift a walk of one answer against the spec found (what the
/// CLI's operation commands survey, [`crate::spec::survey`]) in the
/// process's report, [`seen`], as a typed call's decode counts its own.
pub fn record_survey(api: &'static str, operation: &'static str, drift: &[&crate::spec::survey::Drift]) {
    use crate::spec::survey::DriftKind;
    let mut findings = Findings::default();
    for d in drift {
        match d.kind {
            DriftKind::UnknownField => findings.field(&d.location, || d.location.clone()),
            // `"new" is not one of a, b`: the value as received, quoted as JSON.
            DriftKind::UnlistedEnumValue => {
                let value = d.detail.split(" is not one of").next().unwrap_or_default();
                let value: String = serde_json::from_str(value).unwrap_or_else(|_| value.to_owned());
                findings.unrecognized("", &value);
            }
            other => findings.other(&format!("{} {}", other.as_str(), d.location)),
        }
    }
    if !findings.is_empty() {
        SEEN.add(api, operation, &findings, true);
    }
}

/// A warning per path or value not seen before (the first [`MAX_DISTINCT`]
/// of an operation), else at most one summary per [`SUMMARY_EVERY`].
fn warn(entry: &mut Warned, drift: &OperationDrift, findings: &Findings) {
    let (api, operation, now) = (drift.api, drift.operation, Instant::now());
    let totals = [drift.responses, drift.unknown_fields, drift.unrecognized_values];
    let last = *entry.last.get_or_insert(now);
    let mut new = false;
    for (shape, first) in &findings.fields {
        if keep(&mut entry.keys, shape, MAX_DISTINCT) {
            new = true;
            tracing::warn!(
                api,
                operation,
                path = %first,
                "{operation}: the response has a field the spec does not list: {first}"
            );
        }
    }
    for (enum_type, value) in &findings.values {
        if keep(&mut entry.keys, &format!("{enum_type}={value}"), MAX_DISTINCT) {
            new = true;
            // A walk of the answer does not know the enum's type.
            let what = if enum_type.is_empty() { "an enum".to_owned() } else { format!("a {enum_type}") };
            tracing::warn!(
                api,
                operation,
                enum_type = *enum_type,
                value = %value,
                "{operation}: the response has {what} value the spec does not list: {value:?}"
            );
        }
    }
    for other in &findings.other_kinds {
        if keep(&mut entry.keys, other, MAX_DISTINCT) {
            new = true;
            tracing::warn!(api, operation, "{operation}: the response differs from the spec: {other}");
        }
    }
    if !new {
        let [responses, unknown_fields, unrecognized_values] = [0, 1, 2].map(|i| totals[i] - entry.since[i]);
        if now.duration_since(last) < SUMMARY_EVERY {
            return;
        }
        tracing::warn!(
            api,
            operation,
            responses,
            unknown_fields,
            unrecognized_values,
            "{operation}: {responses} more {} with drift since the last warning ({unknown_fields} unknown {}, \
             {unrecognized_values} unrecognized enum {})",
            plural(responses, "response"),
            plural(unknown_fields, "field"),
            plural(unrecognized_values, "value"),
        );
    }
    (entry.last, entry.since) = (Some(now), totals);
}
