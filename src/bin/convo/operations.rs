//! Every operation of every spec as a command (`convo <api> <operation-id>`,
//! and its `x-cli` name), built at runtime from the embedded spec, so a spec
//! edit changes the CLI with no hand-written line: a flag per parameter and
//! scalar body field, the body from `--json-body`, sent through the generated
//! client's `execute_operation` (the typed methods' checks, retries, tracing).
//! A parameter whose flag an API setting takes reads that setting's flag.
//! Hand-written commands are the flows one call cannot do ([`FLOWS`]).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};
use convo_clients::OperationClient;
pub(crate) use convo_clients::spec::model::Location;
use convo_clients::spec::model::{self, ItemKind, case, enum_values, text, type_of};
use convo_clients::spec::survey::DriftKind;
use convo_clients::spec::validate::SpecValidator;
use serde_json::{Map, Value};

use crate::output::{Column, OutputFormat, RecordWriter, write_one};
use crate::values::{parse_time, read_json};
use crate::{Context, Failure};

use crate::APIS;

const JSON_BODY: &str = "json-body";
const ALL: &str = "all";
const CHECKPOINT: &str = "checkpoint";
const RESUME: &str = "resume";
const COLUMNS: &str = "columns";
const SORT: &str = "sort";
const WAIT: &str = "wait";
const WAIT_TIMEOUT: &str = "wait-timeout";
const WAIT_INTERVAL: &str = "wait-interval";
/// The longest `--wait-timeout`, in seconds.
const MAX_WAIT_SECONDS: u64 = 3600;
/// The clap id of a body read from one text given in place (`x-cli` on a request body).
const BODY_TEXT: &str = "body.in-place";
/// The clap id prefix of a path parameter given in place.
const POSITIONAL: &str = "at.";

/// The hand-written commands, by API (a unit test keeps this list true).
pub const FLOWS: &[Flow] = &[
    Flow::new("luware", "conversations list", Some("searchConversations"), "compact filters; --all by start time"),
    Flow::new("luware", "transcript", None, "decodes the .vtr archive into text, JSON or utterance records"),
    Flow::new("luware", "transcripts", None, "a search, then a download per match, several at a time"),
    Flow::new("llamadapro", "conversations bulk-create", Some("bulkCreateConversations"), "per-item report; exit 1"),
    Flow::new("llamadapro", "conversations bulk-update", Some("bulkUpdateConversations"), "per-item report; exit 1"),
];

pub struct Flow {
    pub api: &'static str,
    /// Its words under the API: `conversations start`.
    pub words: &'static str,
    /// The operation whose friendly command it is, if it stands in for one.
    pub overrides: Option<&'static str>,
    /// What one call cannot do.
    pub why: &'static str,
}

impl Flow {
    const fn new(api: &'static str, words: &'static str, overrides: Option<&'static str>, why: &'static str) -> Self {
        Self { api, words, overrides, why }
    }
}

/// One operation of a spec, as the CLI needs it; the spec's own fields read through.
pub(crate) struct Operation {
    api: &'static str,
    /// The embedded spec's own, read once a process.
    spec: &'static model::Operation,
    /// The command name: the operationId in kebab case.
    pub(crate) name: String,
    /// Upper case, as sent.
    pub(crate) method: String,
    pub(crate) params: Vec<Param>,
    body: Option<Body>,
    /// What `--wait` polls (`x-wait`), and the link that gives its values (`None`: this call's).
    wait_link: Option<(&'static model::Operation, Option<&'static model::Link>)>,
    /// Its friendly name is also its list's: its path parameters are optional to clap.
    item_of_list: bool,
    /// Invoked by its `x-cli` name: shared flag names, path parameters in
    /// place, a list's records; by its id, the spec's names and answers whole.
    friendly: bool,
}

impl std::ops::Deref for Operation {
    type Target = model::Operation;

    fn deref(&self) -> &model::Operation {
        self.spec
    }
}

/// A parameter of an operation, with its flag; the spec's fields read through.
pub(crate) struct Param {
    spec: &'static model::Parameter,
    /// A value to try it with: its example, default, or first enum value.
    pub(crate) sample: Option<String>,
    array: bool,
    boolean: bool,
    /// A number: its value is N.
    integer: bool,
    /// A date-time: a date alone means its midnight UTC.
    date_time: bool,
    description: Option<String>,
    pub(crate) values: Vec<String>,
    /// The clap id of its flag, or of the API setting whose flag it shares.
    pub(crate) arg_id: String,
    /// The flag is this parameter's own (not an API setting's).
    pub(crate) own: bool,
    flag: String,
    /// The spec's name in kebab case (the flag of the operation-id command).
    kebab: String,
    /// Other spellings of the flag, accepted but not shown.
    aliases: Vec<String>,
    /// Set through `--sort` (not shown on its own).
    hidden: bool,
}

impl std::ops::Deref for Param {
    type Target = model::Parameter;

    fn deref(&self) -> &model::Parameter {
        self.spec
    }
}

struct Body {
    form: bool,
    required: bool,
    fields: Vec<Field>,
    lists: Vec<ItemList>,
    /// The body's fields from one text given in place (`x-cli` on the request body).
    in_place: Option<model::BodyCli>,
    /// Required fields with a neutral value, sent when no flag or file gives them ([`neutral`]).
    neutral: Vec<(String, Value)>,
    /// The objects it may be, when it is one of several (`oneOf`).
    one_of: Option<OneOf>,
}

/// A `oneOf` body, its branch named by a `discriminator` field (raia's
/// `channel`); the flags are every branch's, one per name.
struct OneOf {
    /// The field whose value names the branch (`channel`).
    field: String,
    branches: Vec<Branch>,
}

/// One object a `oneOf` body may be.
struct Branch {
    /// The discriminator's value that names it (`email`).
    value: String,
    required: Vec<String>,
    /// Its required fields with a neutral value (as [`Body::neutral`]).
    neutral: Vec<(String, Value)>,
}

/// A field of a `oneOf` body's branch: its name there, and whether required.
struct InBranch {
    value: String,
    name: String,
    required: bool,
    description: Option<String>,
}

/// How a body field's flag reads.
enum Shape {
    One,
    /// Repeated: a list.
    List,
    /// An object from one text (`user:u1` for `{type, id}`), with its parts' fields.
    Split(model::Split, Vec<Part>),
    /// Repeated: a list of objects, each from one text (`--field name=value`).
    Splits(model::Split, Vec<Part>),
    /// An object of texts from repeated `KEY<separator>VALUE`.
    Pairs(String),
}

/// A part of a split text: a field of the object it reads.
struct Part {
    key: String,
    /// The field's enum values: the part is spelled as the spec spells them.
    values: Vec<String>,
    /// Its value when the text leaves it out (the field's `x-cli` `default`).
    default: Option<Value>,
}

struct Field {
    name: String,
    /// The object field it is a field of (`context` of `context.conversationId`).
    within: Option<String>,
    kind: ItemKind,
    shape: Shape,
    required: bool,
    description: Option<String>,
    values: Vec<String>,
    flag: String,
    aliases: Vec<String>,
    /// Required and named as a path parameter: the API wants the id in both places.
    from_path: bool,
    /// Its value when neither its flag nor `--json-body` gives one (`x-cli` `default`).
    default: Option<Value>,
    /// Read from a local file (`x-cli` `file`): the fields its name and type go into.
    file: Option<Vec<(String, String)>>,
    arg_id: String,
    /// Of a `oneOf` body: the branches that have it; empty for one object.
    branches: Vec<InBranch>,
}

/// A list field whose items flags build (`x-cli` `items`).
struct ItemList {
    name: String,
    within: Option<String>,
    /// Each flag, with its clap id.
    flags: Vec<(String, model::ItemFlag)>,
}

/// Whether this process's command line needs the commands and settings of
/// `api`: it names `api`, or no API at all (`convo -h`, completions).
/// Building every API's, their specs read, was most of a run's start.
pub fn in_play(api: &str) -> bool {
    static ARGS: std::sync::OnceLock<Vec<std::ffi::OsString>> = std::sync::OnceLock::new();
    let args = ARGS.get_or_init(|| std::env::args_os().collect());
    let named = |api: &str| args.iter().any(|arg| arg == api);
    named(api) || !APIS.iter().any(|(api, _)| named(api))
}

/// Adds the operation commands of each API in play ([`in_play`]) to the
/// derived tree: by operation id, and by `x-cli` name unless a hand-written
/// command has it.
pub fn augment(mut root: Command) -> Command {
    for (api, spec) in APIS.iter().filter(|(api, _)| in_play(api)) {
        let taken = reserved(&root, api);
        let Ok(spec) = model::Spec::embedded(spec) else { continue };
        root = root.mut_subcommand(api, |command| {
            // The spec's title says what the API is.
            let mut command = match (command.get_about(), &spec.title) {
                (None, Some(title)) => command.about(title.clone()),
                (_, _) => command,
            }
            .subcommand_required(true)
            .arg_required_else_help(true);
            let ops = operations_of(api, spec, &taken);
            // Friendly names made here: a second operation of the same name joins the first's command.
            let mut made: BTreeSet<&[String]> = BTreeSet::new();
            for op in &ops {
                if command.find_subcommand(&op.name).is_none() && op.name != crate::check::COMMAND {
                    let mut by_id = operation_command(op, &op.name, &[], false);
                    // Where a flow stands in for the operation, its help says which and why.
                    if let Some(flow) = FLOWS.iter().find(|f| f.api == *api && f.overrides == Some(op.id.as_str())) {
                        by_id = by_id.after_help(format!("Also `convo {api} {}`: {}.", flow.words, flow.why));
                    }
                    command = command.subcommand(by_id);
                }
                if let Some(cli) = &op.cli
                    && let Some((last, group)) = cli.name.split_last()
                {
                    let leaf = operation_command(op, last, &cli.aliases, true);
                    command = nest(command, group, leaf, !made.insert(&cli.name));
                }
            }
            if command.find_subcommand(crate::check::COMMAND).is_none() {
                command = command.subcommand(crate::check::command(api));
            }
            command
        });
    }
    root
}

/// `leaf` under the groups `path` of `parent` (created as needed), unless one
/// of its name is there; with `join` its arguments join that command's (a
/// list and its item, told apart by the item's path parameter).
fn nest(parent: Command, path: &[String], leaf: Command, join: bool) -> Command {
    let Some((first, rest)) = path.split_first() else {
        return match parent.find_subcommand(leaf.get_name()) {
            Some(_) if join => parent.mut_subcommand(leaf.get_name(), |existing| {
                let had: BTreeSet<String> = existing.get_arguments().map(|a| a.get_id().to_string()).collect();
                let added = leaf.get_arguments().filter(|a| !had.contains(a.get_id().as_str()));
                let (place, other): (Vec<&Arg>, Vec<&Arg>) = added.partition(|a| a.is_positional());
                let names: Vec<String> =
                    place.iter().filter_map(|a| Some(a.get_value_names()?.first()?.to_string())).collect();
                // The item's path parameters, in place or by flag.
                let item = leak(&format!("item.{}", leaf.get_name()));
                let ids = place.iter().map(|a| a.get_id().as_str().replacen(POSITIONAL, "param.", 1));
                let ids: Vec<&'static str> =
                    place.iter().map(|a| leak(a.get_id().as_str())).chain(ids.map(|id| leak(&id))).collect();
                let existing = existing
                    .args(place.into_iter().cloned())
                    .args(other.into_iter().map(|a| a.clone().requires(item)))
                    .group(clap::ArgGroup::new(item).args(ids).multiple(true));
                match leaf.get_about() {
                    Some(about) => existing.after_help(format!("With {}: {about}", names.join(" "))),
                    None => existing,
                }
            }),
            Some(_) => parent,
            None => parent.subcommand(leaf),
        };
    };
    let parent = match parent.find_subcommand(first) {
        Some(_) => parent,
        None => parent.subcommand(
            Command::new(leak(first))
                .about(format!("The {first} commands"))
                .subcommand_required(true)
                .arg_required_else_help(true),
        ),
    };
    parent.mut_subcommand(first, |group| nest(group, rest, leaf, join))
}

/// The flags a command already has, by long name, with their clap ids.
type Reserved = BTreeMap<String, String>;

/// The flags the subcommand of `api` already has: global ones and its settings.
fn reserved(root: &Command, api: &str) -> Reserved {
    let globals = root.get_arguments().filter(|a| a.is_global_set());
    let settings = root.find_subcommand(api).into_iter().flat_map(Command::get_arguments);
    let mut taken: Reserved =
        globals.chain(settings).filter_map(|a| Some((a.get_long()?.to_string(), a.get_id().to_string()))).collect();
    for builtin in ["help", JSON_BODY, ALL, CHECKPOINT, RESUME, COLUMNS, SORT, WAIT, WAIT_TIMEOUT, WAIT_INTERVAL] {
        taken.entry(builtin.to_string()).or_insert_with(|| builtin.to_string());
    }
    taken
}

/// The API, command words and matches of the operation a command line names, if any.
pub fn invoked(matches: &ArgMatches) -> Option<(&'static str, Vec<String>, &ArgMatches)> {
    let (api, level) = matches.subcommand()?;
    let (api, _) = APIS.iter().find(|(a, _)| *a == api)?;
    let words: Vec<String> = crate::levels(level).filter_map(|l| Some(l.subcommand()?.0.to_string())).collect();
    let level = crate::levels(level).last()?;
    let flow = |flow: &Flow| flow.api == *api && flow.words.split_whitespace().eq(words.iter().map(String::as_str));
    (!FLOWS.iter().any(flow) && !words.is_empty()).then_some((*api, words, level))
}

/// Runs the operation that `words` name under `api` with the flags in `matches`.
pub async fn run(api: &'static str, words: &[String], matches: &ArgMatches, context: Context) -> Result<(), Failure> {
    if words == [crate::check::COMMAND] {
        return crate::check::run(api, matches, context).await;
    }
    let mut all = operations(api);
    let named = |op: &Operation| {
        words == std::slice::from_ref(&op.name) || op.cli.as_ref().is_some_and(|cli| cli.name.as_slice() == words)
    };
    let candidates: Vec<usize> = (0..all.len()).filter(|i| named(&all[*i])).collect();
    let chosen =
        choose(&all, &candidates, matches).ok_or_else(|| usage!("{api} has no operation {}", words.join(" ")))?;
    let friendly = words != std::slice::from_ref(&all[chosen].name);
    let status = all[chosen].wait_link.and_then(|(status, _)| all.iter().position(|o| o.id == status.id));
    for i in [Some(chosen), status].into_iter().flatten() {
        all[i].friendly = friendly;
    }
    let job = Job::Operation { op: &all[chosen], status: status.map(|i| &all[i]) };
    crate::send_operation(api, Call { job, matches, context: &context }).await
}

/// Of the operations sharing a friendly name (a list and its item), the one
/// with the most path parameters, all given.
fn choose(all: &[Operation], candidates: &[usize], matches: &ArgMatches) -> Option<usize> {
    let given = |id: &str| !raw(matches, id).is_empty();
    let path = |op: &Operation| op.params.iter().filter(|p| p.location == Location::Path).count();
    let complete = |op: &Operation| {
        let mut path = op.params.iter().filter(|p| p.location == Location::Path);
        path.all(|p| !p.own || given(&p.arg_id) || given(&format!("{POSITIONAL}{}", p.name)))
    };
    let chosen = candidates.iter().copied().filter(|i| complete(&all[*i])).max_by_key(|i| path(&all[*i]));
    chosen.or(candidates.first().copied())
}

/// What to do with an API's generated client, once connected.
pub enum Job<'a> {
    /// Send one operation and print its answer (with `--wait`, `status`'s once done).
    Operation { op: &'a Operation, status: Option<&'a Operation> },
    /// Tour the API's read operations and report its drift (`check`).
    Check(&'a crate::check::Tour),
}

/// A job for an API's generated client: what each API's `send_operation` needs.
pub struct Call<'a> {
    pub job: Job<'a>,
    pub matches: &'a ArgMatches,
    /// The global flags.
    pub context: &'a Context,
}

impl Call<'_> {
    /// The API's settings (flags, environment, secrets' files) from the command line.
    pub fn settings<S: crate::config::ApiSettings>(&self) -> Result<S, Failure> {
        crate::config::settings(self.matches).map_err(Failure::Usage)
    }

    /// Does the job with `client`; `defaults` are API settings by clap id.
    pub async fn send<C: OperationClient + Sync>(
        &self,
        client: &C,
        defaults: &BTreeMap<&str, String>,
    ) -> Result<(), Failure> {
        match self.job {
            Job::Operation { op, status } => {
                let values = values(op, self.matches, defaults)?;
                let body = op.body.as_ref().map(|body| body_value(body, self.matches, &values)).transpose()?.flatten();
                let sent = Sent { client, op, answers: Answers::new(op), call: self };
                let wait = status.filter(|_| op.wait_link.is_some() && one(self.matches, WAIT).unwrap_or(false));
                match op.paging.as_ref().filter(|_| self.matches.get_flag(ALL)) {
                    Some(paging) => sent.all(paging, values, body).await,
                    None => sent.one(values, body, wait).await,
                }
            }
            Job::Check(tour) => {
                // An API setting's value by clap id (LivePerson's `--account-id`), else its default.
                let setting = |id: &str| raw(self.matches, id).into_iter().next().or_else(|| defaults.get(id).cloned());
                tour.run(client, &setting, self.context).await
            }
        }
    }
}

impl Operation {
    /// Its columns (`x-cli` `columns`).
    fn columns(&self) -> Vec<String> {
        self.cli.as_ref().map(|cli| cli.columns.clone()).unwrap_or_default()
    }

    /// The clap id and flag that ask for a page: a parameter, or a body field.
    fn paging_args<'a>(&'a self, paging: &'a model::Paging) -> impl Iterator<Item = (&'a str, &'a str)> {
        let params = self.params.iter().filter(|p| !paging.in_body && p.name == paging.param);
        let fields = self.body.iter().flat_map(|b| &b.fields);
        let fields = fields.filter(|f| paging.in_body && f.within.is_none() && f.name == paging.param);
        let fields = fields.filter(|f| !f.arg_id.is_empty()).map(|f| (f.arg_id.as_str(), f.flag.as_str()));
        params.map(|p| (p.arg_id.as_str(), p.flag.as_str())).chain(fields)
    }
}

/// One operation sent with a connected client, and how its answers print.
struct Sent<'a, C> {
    client: &'a C,
    op: &'a Operation,
    answers: Answers,
    call: &'a Call<'a>,
}

/// A call's parameter values, by parameter name.
pub(crate) type Values = BTreeMap<String, Vec<String>>;

/// A page request of a list walk: the request's values and body (the
/// walk's query) and the cursor, with where to send the page back.
type PageRequest = (
    (Values, Option<String>),
    Option<Value>,
    tokio::sync::oneshot::Sender<convo_clients::Result<convo_clients::Page<Value, Value>>>,
);

impl<C: OperationClient + Sync> Sent<'_, C> {
    /// Sends the operation once and prints its answer (JSON checked against the
    /// spec, anything else as bytes); with `wait`, the polled one's once done.
    async fn one(&self, values: Values, body: Option<Value>, wait: Option<&Operation>) -> Result<(), Failure> {
        let no_content = self.op.cli.as_ref().and_then(|cli| cli.no_content.as_ref());
        let sent_body = if wait.is_some() || no_content.is_some() { body.clone() } else { None };
        let request = request(self.op, &values, body, self.client.base_url(), self.client.http_client())?;
        let response = self.client.execute_operation(&self.op.id, request).await.map_err(|e| self.failure(e))?;
        // An expression's (first) value from this call's values and body and its `answer`.
        let first = |e: &Value, answer: &Value| {
            evaluate(e, (&values, sent_body.as_ref()), (answer, None), None).into_iter().next()
        };
        if !says_json(response.headers()) {
            let unread = |e| Failure::Outcome(format!("{}: cannot read the response: {e}", self.op.id));
            let bytes = response.bytes().await.map_err(unread)?;
            // No answer to print: the record the spec says instead (what went).
            if let (true, Some(template), true) = (bytes.is_empty(), no_content, self.op.friendly) {
                let record = leaves(template, None, &mut |leaf, _| first(leaf, &Value::Null).unwrap_or_default());
                return self.print(self.op, &record);
            }
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            return Ok(out.flush()?);
        }
        let answer = self.answers.read(response).await?;
        // A list's first page by its friendly name: its records (by its id: the page whole).
        if let (Some(paging), true) = (&self.op.paging, self.op.friendly) {
            let next = paging.next_value(&answer).as_ref().and_then(scalar);
            self.print_record(true, &Value::Array(items(answer, paging)), self.op.columns())?;
            if let Some(next) = next {
                let flag = self.op.paging_args(paging).next().map_or(paging.param.as_str(), |(_, flag)| flag);
                crate::output::note(format_args!(
                    "more records follow: --all prints every page (or --{flag} {next} the next one)"
                ));
            }
            return Ok(());
        }
        let on = wait.and_then(|status| Some((status, status.wait.as_ref()?, self.op.wait_link?.1)));
        let Some((status, rule, link)) = on else { return self.print(self.op, &answer) };
        // The values the link gives the operation it leads to.
        let value = |(name, e): &(String, Value)| (name.clone(), first(e, &answer).iter().filter_map(scalar).collect());
        let polled = if let Some(link) = link { link.parameters.iter().map(value).collect() } else { values };
        let done = self.wait(status, rule, polled).await?;
        self.print_waited(status, rule, &done)
    }

    /// Polls `status` until done (its answer), failed or out of time
    /// (`--wait-timeout`); the pause doubles from 100ms up to `--wait-interval`.
    async fn wait(&self, status: &Operation, rule: &model::Wait, values: Values) -> Result<Value, Failure> {
        let answers = Answers::new(status);
        let seconds = one(self.call.matches, WAIT_TIMEOUT).unwrap_or(60);
        let timeout = std::time::Duration::from_secs(seconds);
        let interval = std::time::Duration::from_secs_f64(one(self.call.matches, WAIT_INTERVAL).unwrap_or(2.0));
        let mut pause = std::time::Duration::from_millis(100).min(interval);
        let started = std::time::Instant::now();
        let name = case(&status.id, '_');
        let field = rule.field.rsplit('/').next().unwrap_or_default();
        loop {
            let request = request(status, &values, None, self.client.base_url(), self.client.http_client())?;
            let response = self.client.execute_operation(&status.id, request).await?;
            let answer = answers.read(response).await?;
            let state = answer.pointer(&rule.field).and_then(scalar);
            match state {
                Some(state) if rule.done.contains(&state) => return Ok(answer),
                Some(state) if rule.failed.contains(&state) => {
                    let why = rule.reason.as_ref().and_then(|p| answer.pointer(p)).and_then(scalar);
                    let why = why.map(|why| format!(": {why}")).unwrap_or_default();
                    return Err(Failure::Outcome(format!("{name}: the wait ended with {field} {state}{why}")));
                }
                _ => {}
            }
            let elapsed = started.elapsed();
            if elapsed >= timeout {
                let state = state.unwrap_or_else(|| "unknown".into());
                let message = format!("{name}: {field} still {state} after {seconds}s; --wait-timeout waits longer");
                return Err(Failure::Outcome(message));
            }
            tokio::time::sleep(pause.min(timeout - elapsed)).await;
            pause = (pause * 2).min(interval);
        }
    }

    /// A paged list with `--all`: every page's items, resumable.
    async fn all(&self, paging: &model::Paging, values: Values, body: Option<Value>) -> Result<(), Failure> {
        let format = self.call.context.output.unwrap_or(OutputFormat::Jsonl);
        // Columns named by no one are the first record's fields.
        let named = self.call.matches.get_one::<String>(COLUMNS).is_some() || !self.op.columns().is_empty();
        let first = match (named, format) {
            (false, OutputFormat::Table | OutputFormat::Csv) => {
                self.answers.read(self.send_page(paging, values.clone(), body.clone(), None).await?).await?
            }
            _ => Value::Null,
        };
        let columns = self.table(self.op.columns(), items(first, paging).first());
        let mut writer = RecordWriter::new(format, columns, std::io::stdout().lock());
        let resume = crate::export::ResumeArgs::from_arg_matches(self.call.matches).map_err(|e| usage!("{e}"))?;
        // The walk asks for each page through a channel: the client stays
        // borrowed here while the stream prefetches on its own task.
        let (asks, mut asked) = tokio::sync::mpsc::channel::<PageRequest>(2);
        // Named by API too: raia and Salesloft both have a listConversations.
        let list: &'static str = leak(&format!("{}.{}", self.op.api, self.op.id));
        let body_text = body.as_ref().map(Value::to_string);
        let stream = convo_clients::paginate(list, (values, body_text), move |query, cursor: Option<Value>| {
            let asks = asks.clone();
            async move {
                let (answer, answered) = tokio::sync::oneshot::channel();
                let gone = || convo_clients::Error::from(convo_clients::InvalidInput::Request("the walk ended".into()));
                asks.send((query, cursor, answer)).await.map_err(|_| gone())?;
                answered.await.map_err(|_| gone())?
            }
        })
        .with_retries(&self.call.context.client_config.retry);
        let pages = async {
            // The next page, asked for before this one is checked and
            // written, so the server builds it meanwhile (safe calls only).
            let mut ahead: Option<(Value, _)> = None;
            while let Some(((values, _), cursor, answer)) = asked.recv().await {
                let sent = match (ahead.take(), &cursor) {
                    (Some((next, sending)), Some(cursor)) if next == *cursor => sending.await,
                    _ => self.send_page(paging, values.clone(), body.clone(), cursor).await,
                };
                let next = sent.as_ref().ok().and_then(|response| {
                    let next = paging.next_value(&response.extensions().get::<convo_clients::JsonBody>()?.0)?;
                    Some(next).filter(|_| self.op.retry_safe || self.op.method == "GET")
                });
                if let Some(next) = next {
                    let mut sending = Box::pin(self.send_page(paging, values, body.clone(), Some(next.clone())));
                    // One poll hands the request to the connection's task.
                    let sending = match futures::poll!(&mut sending) {
                        std::task::Poll::Ready(sent) => futures::future::Either::Left(std::future::ready(sent)),
                        std::task::Poll::Pending => futures::future::Either::Right(sending),
                    };
                    ahead = Some((next, sending));
                }
                let page = async { self.answers.read(sent?).await }.await;
                let page = page.map(|a| convo_clients::Page { next: paging.next_value(&a), items: items(a, paging) });
                let page = page.map_err(|failure| {
                    let reason = match failure {
                        Failure::Api(e) => return e,
                        Failure::Usage(m) => return convo_clients::InvalidInput::Request(m).into(),
                        Failure::Outcome(m) => m,
                        Failure::Io(e) => e.to_string(),
                    };
                    convo_clients::Error::Decode { operation: self.answers.operation, reason, body: Default::default() }
                });
                let _ = answer.send(page);
            }
        };
        let export = crate::export::all(stream, &resume, &mut writer, "records");
        let (done, ()) = futures::join!(export, pages);
        done?;
        writer.finish()?;
        Ok(())
    }

    /// Sends the request of one page, unchecked.
    async fn send_page(
        &self,
        paging: &model::Paging,
        mut values: Values,
        mut body: Option<Value>,
        cursor: Option<Value>,
    ) -> Result<reqwest::Response, Failure> {
        if let (true, Some(cursor)) = (paging.in_body, &cursor) {
            // A search's page token is a field of its body.
            if let Some(fields) = body.get_or_insert_with(|| Value::Object(Map::new())).as_object_mut() {
                fields.insert(paging.param.clone(), cursor.clone());
            }
        } else if let Some(cursor) = cursor.as_ref().and_then(scalar) {
            // A cursor that stands alone (Luware's nextPageToken) carries the query itself.
            if self.op.params.iter().any(|p| p.name == paging.param && p.exclusive) {
                values
                    .retain(|name, _| self.op.params.iter().any(|p| p.name == *name && p.location != Location::Query));
            }
            values.insert(paging.param.clone(), vec![cursor]);
        }
        let request = request(self.op, &values, body, self.client.base_url(), self.client.http_client())?;
        self.client.execute_operation(&self.op.id, request).await.map_err(|e| self.failure(e))
    }

    /// `error` as a failure; a refused value names the flag typed, not the wire name.
    fn failure(&self, error: convo_clients::Error) -> Failure {
        let documented = |status| self.op.responses.iter().filter(move |r| status_matches(&r.status, status));
        if let Some(hint) = error.status().and_then(|s| documented(s.as_u16()).find_map(|r| r.cli.as_ref())) {
            return Failure::Outcome(self.explained(&error, hint));
        }
        let convo_clients::Error::InvalidInput(refused) = error else { return error.into() };
        let mut message = refused.to_string();
        let flag = |p: &Param| format!("--{}", if self.op.friendly { &p.flag } else { &p.kebab });
        for p in &self.op.params {
            for q in &self.op.params {
                let pair = format!("query parameters {} and {}:", p.name, q.name);
                message = message.replace(&pair, &format!("{} and {}:", flag(p), flag(q)));
            }
            message = message.replace(&format!("{}:", crate::check::describe(p)), &format!("{}:", flag(p)));
        }
        Failure::Usage(message)
    }
}

impl<C> Sent<'_, C> {
    /// An error answer, with its meaning and retry flags (`x-cli` on the response).
    fn explained(&self, error: &convo_clients::Error, hint: &model::ResponseCli) -> String {
        let mut text = crate::one_line(error);
        let message = error.body().map(|b| b.message().unwrap_or_else(|| b.as_str().to_owned())).unwrap_or_default();
        if let Some(meaning) = hint.meaning_of(&message) {
            text.push_str(&format!("; {meaning}"));
        }
        let mut flags = Vec::new();
        for (name, value) in &hint.retry_with {
            let flag = match self.op.params.iter().find(|p| p.name == *name) {
                Some(p) if self.op.friendly => p.flag.clone(),
                Some(p) => p.kebab.clone(),
                None => case(name, '-'),
            };
            flags.push(match value {
                Value::Bool(true) => format!("--{flag}"),
                other => format!("--{flag} {}", scalar(other).unwrap_or_default()),
            });
        }
        if !flags.is_empty() {
            text.push_str(&format!("; run again with {} to do so", flags.join(" ")));
        }
        text
    }

    /// Prints an answer of `op`: its record (`x-cli` `record`).
    fn print(&self, op: &Operation, answer: &Value) -> Result<(), Failure> {
        let pointer = op.cli.as_ref().and_then(|cli| cli.record.as_deref());
        let record = pointer.map_or_else(|| answer.clone(), |p| answer.pointer(p).cloned().unwrap_or(Value::Null));
        self.print_record(op.friendly, &record, op.columns())
    }

    /// Prints what a wait ended done yields: `status`'s answer, or its part
    /// `x-wait`'s `result` names, in `status`'s columns under that part.
    fn print_waited(&self, status: &Operation, rule: &model::Wait, answer: &Value) -> Result<(), Failure> {
        let Some(pointer) = &rule.result else { return self.print(status, answer) };
        let path = pointer.trim_start_matches('/').replace('/', ".");
        let Some(result) = answer.pointer(pointer).filter(|v| !v.is_null()) else {
            let name = case(&status.id, '_');
            return Err(Failure::Outcome(format!("{name}: the wait ended done, but the answer has no {path}")));
        };
        let prefix = format!("{path}.");
        let spec = status.cli.iter().flat_map(|cli| &cli.columns).filter_map(|c| c.strip_prefix(&prefix));
        self.print_record(status.friendly, result, spec.map(str::to_owned).collect())
    }

    /// Prints `record` in the chosen format (`spec`: the spec's columns).
    fn print_record(&self, friendly: bool, record: &Value, spec: Vec<String>) -> Result<(), Failure> {
        // A list reads best a record per line; the whole answer as it is.
        let list = friendly && record.is_array();
        let format = self.call.context.output.unwrap_or(if list { OutputFormat::Jsonl } else { OutputFormat::Json });
        match record {
            Value::Array(records) if format != OutputFormat::Json => {
                crate::output::write_all(format, self.table(spec, records.first()), records)?
            }
            _ => write_one(format, self.table(spec, Some(record)), record, std::io::stdout().lock())?,
        }
        Ok(())
    }

    /// The table and csv columns: `--columns`, else `spec`'s, else `first`'s fields.
    fn table(&self, spec: Vec<String>, first: Option<&Value>) -> &'static [Column] {
        let fields = || first.and_then(Value::as_object).map(|m| m.keys().cloned().collect::<Vec<_>>());
        let paths = match self.call.matches.get_one::<String>(COLUMNS).map(String::as_str) {
            Some("all") => fields().unwrap_or(spec),
            Some(list) => list.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect(),
            None if !spec.is_empty() => spec,
            None => fields().unwrap_or_default(),
        };
        let columns: Vec<Column> =
            paths.iter().map(|path| leak(path)).map(|key| Column { header: key, key, width: 24 }).collect();
        // Leaked: the process prints one command's output.
        Box::leak(columns.into_boxed_slice())
    }
}

/// A runtime expression's values (of a link, `no-content`) in a call's request (values, body) and response (answer,
/// headers): `$response.body#/id` (with `fan`, the first array indexed gives its first `fan` items), `$response.header.X`,
/// `$request.body#/userId`, `$request.path.id` (each value); else the constant it is. None when the call has none.
pub(crate) fn evaluate(
    expression: &Value,
    (values, body): (&Values, Option<&Value>),
    (answer, headers): (&Value, Option<&reqwest::header::HeaderMap>),
    fan: Option<usize>,
) -> Vec<Value> {
    let Some(text) = expression.as_str().filter(|text| text.starts_with('$')) else { return vec![expression.clone()] };
    if let Some(pointer) = text.strip_prefix("$response.body#") {
        let Some(records) = fan else { return answer.pointer(pointer).into_iter().cloned().collect() };
        let (segments, mut found): (Vec<&str>, _) = (pointer.split('/').skip(1).collect(), Vec::new());
        fan_out(answer, &segments, records, true, &mut found);
        found.into_iter().cloned().collect()
    } else if let Some(name) = text.strip_prefix("$response.header.") {
        headers.and_then(|h| h.get(name)?.to_str().ok()).map(Value::from).into_iter().collect()
    } else if let Some(pointer) = text.strip_prefix("$request.body#") {
        body.and_then(|body| body.pointer(pointer)).into_iter().cloned().collect()
    } else if let Some(name) = text.strip_prefix("$request.").and_then(|rest| rest.rsplit('.').next()) {
        values.get(name).into_iter().flatten().map(|v| v.as_str().into()).collect()
    } else {
        Vec::new()
    }
}

/// The values at a JSON pointer; the first array indexed fans out over `records` items.
fn fan_out<'v>(value: &'v Value, segments: &[&str], records: usize, fan: bool, out: &mut Vec<&'v Value>) {
    let Some((segment, segments)) = segments.split_first() else {
        out.push(value);
        return;
    };
    let segment = model::unescape(segment);
    let next = match value {
        Value::Array(items) if fan && segment.parse::<usize>().is_ok() => {
            items.iter().take(records).for_each(|item| fan_out(item, segments, records, false, out));
            return;
        }
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => value.get(&*segment),
    };
    if let Some(next) = next {
        fan_out(next, segments, records, fan, out);
    }
}

/// `template` with each scalar replaced by what `leaf` makes of it and the key it is under.
fn leaves(template: &Value, key: Option<&str>, leaf: &mut dyn FnMut(&Value, Option<&str>) -> Value) -> Value {
    match template {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), leaves(v, Some(k), leaf))).collect()),
        Value::Array(list) => Value::Array(list.iter().map(|v| leaves(v, key, leaf)).collect()),
        other => leaf(other, key),
    }
}

/// The items of a page's answer.
fn items(mut answer: Value, paging: &model::Paging) -> Vec<Value> {
    match answer.pointer_mut(&paging.items).map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    }
}

/// A scalar JSON value as a parameter's text.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null | Value::Array(_) | Value::Object(_) => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Answers checked against the spec: one that breaks it fails the command;
/// what it does not list is drift, noted once at the end.
struct Answers {
    api: &'static str,
    operation: &'static str,
    validator: Option<&'static SpecValidator>,
}

/// Differences that make an answer unusable, not merely newer than the spec.
const BREAKING: [DriftKind; 3] = [DriftKind::InvalidBody, DriftKind::MissingRequired, DriftKind::TypeMismatch];

impl Answers {
    fn new(op: &Operation) -> Self {
        Self { api: op.api, operation: leak(&op.id), validator: validator(op.api).ok() }
    }

    /// The JSON answer of `response`, checked.
    async fn read(&self, mut response: reqwest::Response) -> Result<Value, Failure> {
        let status = response.status().as_u16();
        let headers = response.headers().iter();
        let headers: Vec<(String, String)> =
            headers.filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned()))).collect();
        let id = self.operation;
        // The runtime parsed a JSON answer; an empty one is null.
        let parsed = response.extensions_mut().remove::<convo_clients::JsonBody>().map(|body| body.0);
        let bytes =
            response.bytes().await.map_err(|e| Failure::Outcome(format!("{id}: cannot read the response: {e}")))?;
        // Walked as read, before whole numbers lose their fraction.
        let survey = self.validator.as_ref().map(|validator| match &parsed {
            Some(parsed) => validator.survey_parsed(id, status, &headers, &bytes, parsed),
            None => validator.survey_response(id, status, &headers, Some(&bytes)),
        });
        let value = crate::output::integral(parsed.unwrap_or_default());
        let Some(survey) = survey else { return Ok(value) };
        let (breaking, drift): (Vec<_>, Vec<_>) = survey.drift.iter().partition(|d| BREAKING.contains(&d.kind));
        if let Some(first) = breaking.first() {
            let more = if breaking.len() > 1 { format!(" (and {} more)", breaking.len() - 1) } else { String::new() };
            let (kind, at, detail, api) = (first.kind.as_str(), &first.location, &first.detail, self.api);
            let reason = format!(
                "the answer does not match the spec: {kind} at {at}: {detail}{more}; `convo {api} check` shows every difference"
            );
            return Err(Failure::Api(convo_clients::Error::Decode { operation: id, reason, body: Default::default() }));
        }
        convo_clients::drift::record_survey(self.api, id, &drift);
        Ok(value)
    }
}

/// The embedded spec of `api` (checked when the crate was built).
pub(crate) fn spec_json(api: &str) -> &'static str {
    APIS.iter().find(|(a, _)| *a == api).map_or("", |(_, s)| *s)
}

/// The validator of `api`'s spec.
pub(crate) fn validator(api: &str) -> Result<&'static SpecValidator, &'static str> {
    SpecValidator::embedded(spec_json(api))
}

/// The spec's operations, in path order, as commands of `convo <api>`.
pub(crate) fn operations(api: &'static str) -> Vec<Operation> {
    let reserved = reserved(&crate::Cli::command(), api);
    model::Spec::embedded(spec_json(api)).map(|spec| operations_of(api, spec, &reserved)).unwrap_or_default()
}

fn operations_of(api: &'static str, spec: &'static model::Spec, reserved: &Reserved) -> Vec<Operation> {
    let mut ops: Vec<Operation> = spec.operations.iter().map(|op| operation(api, spec, op, reserved)).collect();
    let path = |op: &Operation| op.params.iter().filter(|p| p.location == Location::Path).count();
    let name = |op: &Operation| op.cli.as_ref().map(|cli| cli.name.clone());
    for i in 0..ops.len() {
        // A list does not wait; anything that links to a state it can.
        ops[i].wait_link = spec.wait_link(ops[i].spec).filter(|_| ops[i].paging.is_none());
        let Some(mine) = name(&ops[i]) else { continue };
        let fewer = ops.iter().any(|other| name(other).as_ref() == Some(&mine) && path(other) < path(&ops[i]));
        ops[i].item_of_list = fewer;
    }
    ops
}

fn operation(api: &'static str, spec: &model::Spec, op: &'static model::Operation, reserved: &Reserved) -> Operation {
    let mut flags = Flags { reserved, given: BTreeSet::new() };
    let sort = op.cli.as_ref().and_then(|cli| cli.sort.as_ref());
    let sent = op.parameters.iter().filter(|p| p.location != Location::Cookie);
    let params: Vec<Param> = sent.map(|p| param(spec, p, sort, &mut flags)).collect();
    let body = op.request_body.as_ref().map(|b| body(spec, op, b.required, &mut flags));
    Operation {
        api,
        spec: op,
        name: case(&op.id, '-'),
        method: op.method.to_ascii_uppercase(),
        params,
        body,
        wait_link: None,
        item_of_list: false,
        friendly: false,
    }
}

/// `value` as `values` spell it (`asc` for `ASC`): the server may be strict where a user is not.
fn spelled_as_spec(value: String, values: &[String]) -> String {
    values.iter().find(|v| **v != value && v.eq_ignore_ascii_case(&value)).cloned().unwrap_or(value)
}

/// The flags of one operation's command: those given so far, and the API's.
struct Flags<'r> {
    reserved: &'r Reserved,
    given: BTreeSet<String>,
}

impl Flags<'_> {
    /// Takes the spellings other than `flag` that are free: `x-cli`'s aliases and `kebab`.
    fn aliases(&mut self, mut aliases: Vec<String>, flag: &str, kebab: String) -> Vec<String> {
        if flag != kebab {
            aliases.push(kebab);
        }
        aliases.retain(|a| a != flag && !self.reserved.contains_key(a) && self.given.insert(a.clone()));
        aliases
    }
}

fn param(spec: &model::Spec, p: &'static model::Parameter, sort: Option<&model::SortFlag>, flags: &mut Flags) -> Param {
    let schema = &p.schema;
    let array = type_of(schema) == Some("array");
    let element = if array { schema.get("items").map(|s| spec.resolve(s)).unwrap_or(&Value::Null) } else { schema };
    // The spec's name in kebab case, or `x-cli`'s flag (the kebab case an alias).
    let kebab = case(&p.name, '-');
    let flag = p.cli.flag.clone().unwrap_or_else(|| kebab.clone());
    let aliases = flags.aliases(p.cli.aliases.clone(), &flag, kebab.clone());
    let (arg_id, own) = match flags.reserved.get(&flag) {
        Some(id) => (id.clone(), false),
        None => (format!("param.{}", p.name), true),
    };
    flags.given.insert(flag.clone());
    let first_value = element.get("enum").and_then(|e| e.get(0));
    let samples = [p.example.as_ref(), schema.get("example"), schema.get("default"), first_value];
    let sample = samples.into_iter().flatten().find(|v| !v.is_null());
    let sample = sample.map(crate::output::text);
    Param {
        sample,
        boolean: type_of(element) == Some("boolean"),
        integer: matches!(type_of(element), Some("integer" | "number")),
        date_time: element.get("format").and_then(Value::as_str) == Some("date-time"),
        values: enum_values(element),
        description: p.description.clone().or_else(|| text(schema, "description")),
        array,
        arg_id,
        own,
        flag,
        kebab,
        aliases,
        hidden: sort.is_some_and(|sort| sort.params().contains(&p.name.as_str())),
        spec: p,
    }
}

fn body(spec: &model::Spec, op: &model::Operation, required: bool, flags: &mut Flags) -> Body {
    let reserved = flags.reserved;
    let media = op.body_media();
    let schema = media.map(|m| &m.schema);
    let one_of = schema.and_then(|s| one_of(spec, s));
    // The objects whose fields have flags: the body, or each of its `oneOf` branches (by name).
    let objects: Vec<(Option<&str>, &Value)> = match &one_of {
        Some((_, branches)) => branches.iter().map(|(value, object)| (Some(value.as_str()), *object)).collect(),
        None => schema.into_iter().map(|s| (None, s)).collect(),
    };
    // The fields that may get a flag: top-level ones and those `x-cli` names in an object field; each
    // as (branch, object field, name, schema as written, required).
    let mut candidates = Vec::new();
    for (branch, object) in &objects {
        let required_fields = required_of(object);
        for (name, written) in object_properties(object) {
            candidates.push((*branch, None, name, written, required_fields.contains(&name.as_str())));
            let inner = object_properties(spec.resolve(written)).filter(|(_, w)| w.get("x-cli").is_some());
            candidates.extend(inner.map(|(sub, written)| (*branch, Some(name), sub, written, false)));
        }
    }
    let scalar = |schema: &Value| match type_of(schema) {
        Some("string") => Some(ItemKind::Text),
        Some("integer") => Some(ItemKind::Integer),
        Some("number") => Some(ItemKind::Number),
        Some("boolean") => Some(ItemKind::Boolean),
        _ => None,
    };
    // `--sort` is the query's (`x-cli` `sort`); else a body field may have it (a search's sort keys).
    let sorts = op.cli.as_ref().is_some_and(|cli| cli.sort.is_some());
    let taken = |flag: &String| reserved.get(flag).is_some_and(|id| sorts || flag != SORT || id != SORT);
    let mut fields: Vec<Field> = Vec::new();
    let mut lists = Vec::new();
    for (branch, within, name, written, required) in candidates {
        // `x-cli` stands beside a `$ref`, so it is read before resolving.
        let cli = model::property_cli(name, written).unwrap_or_default();
        let property = spec.resolve(written);
        let array = type_of(property) == Some("array");
        let arg_id = format!("body.{}{name}", within.map(|w| format!("{w}.")).unwrap_or_default());
        if array && !cli.items.is_empty() {
            let free = |item: &model::ItemFlag| !reserved.contains_key(&item.flag) && !flags.given.contains(&item.flag);
            let own: Vec<_> =
                cli.items.into_iter().filter(free).map(|item| (format!("{arg_id}#{}", item.flag), item)).collect();
            flags.given.extend(own.iter().map(|(_, item)| item.flag.clone()));
            lists.push(ItemList { name: name.clone(), within: within.cloned(), flags: own });
            continue;
        }
        // The fields a split's parts are: of the object, or of a list's items.
        let parts = |split: &model::Split, object: Option<&Value>| -> Vec<Part> {
            let fields = object.map(|o| spec.resolve(o)).and_then(|o| o.get("properties"));
            let part = |key: &String| {
                let written = fields.and_then(|f| f.get(key));
                Part {
                    key: key.clone(),
                    values: written.map(|w| enum_values(spec.resolve(w))).unwrap_or_default(),
                    default: written.and_then(|w| model::property_cli(key, w).ok()?.default),
                }
            };
            split.keys.iter().map(part).collect()
        };
        // What one value of the flag is: the field, or an item of its list.
        let element = if array { property.get("items").map(|i| spec.resolve(i)) } else { Some(property) };
        let (kind, shape) = match (cli.split, cli.pairs, element.and_then(scalar)) {
            (Some(split), _, _) => {
                let parts = parts(&split, element);
                (ItemKind::Text, if array { Shape::Splits(split, parts) } else { Shape::Split(split, parts) })
            }
            (_, Some(separator), _) => (ItemKind::Text, Shape::Pairs(separator)),
            (_, _, Some(kind)) => (kind, if array { Shape::List } else { Shape::One }),
            (_, _, None) => continue,
        };
        let from_path = required && op.parameters.iter().any(|p| p.location == Location::Path && p.name == *name);
        let kebab = case(name, '-');
        let flag = cli.flag.unwrap_or_else(|| kebab.clone());
        let mut field = Field {
            within: within.cloned(),
            kind,
            shape,
            required,
            description: text(property, "description"),
            values: enum_values(property),
            arg_id,
            name: name.clone(),
            aliases: Vec::new(),
            from_path,
            default: cli.default,
            file: cli.file,
            flag,
            branches: Vec::new(),
        };
        if let Some(branch) = branch {
            let description = field.description.clone();
            field.branches.push(InBranch { value: branch.to_string(), name: name.clone(), required, description });
            // The field of every branch that has it is one flag (`--introduction`).
            if let Some(joined) = join_branch(&mut fields, &mut field) {
                let more = flags.aliases(Vec::new(), &joined.flag, kebab);
                joined.aliases.extend(more);
                continue;
            }
            field.required = false;
        }
        // A parameter or setting has this flag: the field comes from --json-body (or its path parameter).
        if taken(&field.flag) || !flags.given.insert(field.flag.clone()) {
            if from_path || field.default.is_some() {
                fields.push(Field { arg_id: String::new(), ..field });
            }
            continue;
        }
        let aliases = flags.aliases(cli.aliases, &field.flag, kebab);
        fields.push(Field { aliases, ..field });
    }
    let branch = |(value, object): (String, &Value)| {
        let required = required_of(object).into_iter().map(str::to_owned).collect();
        Branch { value, required, neutral: neutral(spec, object) }
    };
    let one_of = one_of.map(|(field, branches)| OneOf { field, branches: branches.into_iter().map(branch).collect() });
    Body {
        form: media.is_some_and(|m| !m.name.contains("json")),
        required,
        fields,
        lists,
        in_place: op.request_body.as_ref().and_then(|b| b.cli.clone()),
        neutral: if one_of.is_some() { Vec::new() } else { schema.map(|s| neutral(spec, s)).unwrap_or_default() },
        one_of,
    }
}

/// The fields an object schema requires.
fn required_of(schema: &Value) -> Vec<&str> {
    let required = schema.get("required").and_then(Value::as_array);
    required.map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

/// The required fields of `schema` with a neutral value, sent when nothing gives
/// them: null where allowed, `{}` for a map, a one-value enum's value.
fn neutral(spec: &model::Spec, schema: &Value) -> Vec<(String, Value)> {
    let required_fields = required_of(schema);
    object_properties(schema)
        .filter(|(name, _)| required_fields.contains(&name.as_str()))
        .filter_map(|(name, written)| {
            let property = spec.resolve(written);
            let nullable = property.get("nullable") == Some(&Value::Bool(true)) || property.get("type").is_none();
            // A map (no fields of its own): no entries is its neutral value.
            let map = type_of(property) == Some("object") && property.get("properties").is_none();
            // One value allowed: that value.
            let only = property.get("enum").and_then(Value::as_array).filter(|values| values.len() == 1);
            match (nullable, map, only) {
                (_, _, Some(only)) => Some((name.clone(), only[0].clone())),
                (true, _, _) => Some((name.clone(), Value::Null)),
                (false, true, _) => Some((name.clone(), Value::Object(Map::new()))),
                _ => None,
            }
        })
        .collect()
}

/// A `oneOf` body with a `discriminator`: its field, and each branch by its
/// value (the `mapping`, else the field's one enum value, else the schema's name).
fn one_of<'s>(spec: &'s model::Spec, schema: &'s Value) -> Option<(String, Vec<(String, &'s Value)>)> {
    let entries = schema.get("oneOf")?.as_array()?;
    let discriminator = schema.get("discriminator")?;
    let field = discriminator.get("propertyName")?.as_str()?;
    let mapping = discriminator.get("mapping").and_then(Value::as_object);
    let mut branches = Vec::new();
    for entry in entries {
        let object = spec.resolve(entry);
        let properties = object.get("properties")?.as_object()?;
        let reference = entry.get("$ref").and_then(Value::as_str);
        let mapped = mapping
            .and_then(|m| m.iter().find(|(_, to)| reference.is_some() && to.as_str() == reference))
            .map(|(value, _)| value.clone());
        let only = properties.get(field).map(|p| enum_values(spec.resolve(p)));
        let only = only.filter(|values| values.len() == 1).and_then(|mut values| values.pop());
        let named = reference.and_then(|r| r.rsplit('/').next()).map(str::to_owned);
        branches.push((mapped.or(only).or(named)?, object));
    }
    Some((field.to_owned(), branches))
}

/// Joins `field` to another branch's field of its flag and kind, if any (returned).
fn join_branch<'f>(fields: &'f mut [Field], field: &mut Field) -> Option<&'f mut Field> {
    let same = |f: &&mut Field| {
        !f.branches.is_empty()
            && !f.arg_id.is_empty()
            && f.flag == field.flag
            && f.within == field.within
            && f.kind == field.kind
            && std::mem::discriminant(&f.shape) == std::mem::discriminant(&field.shape)
    };
    let joined = fields.iter_mut().find(same)?;
    joined.branches.append(&mut field.branches);
    for value in &field.values {
        if !joined.values.contains(value) {
            joined.values.push(value.clone());
        }
    }
    Some(joined)
}

/// The command of `op` named `name` (hidden `aliases` too), friendly or by id.
fn operation_command(op: &Operation, name: &str, aliases: &[String], friendly: bool) -> Command {
    let about = op.summary.clone().or_else(|| op.description.as_deref().map(first_line));
    let call = format!("{} {} ({})", op.method, op.path, op.id);
    let parts = [op.summary.as_deref(), op.description.as_deref(), Some(call.as_str())];
    let long: Vec<&str> = parts.into_iter().flatten().map(str::trim).collect();
    let mut command = Command::new(leak(name)).long_about(long.join("\n\n")).aliases(aliases.iter().map(|a| leak(a)));
    if let Some(about) = about {
        command = command.about(about);
    }
    for p in op.params.iter().filter(|p| p.own) {
        let fallback = format!("The {} parameter {}.", p.location.as_str(), p.name);
        let mut help = help(p.description.as_deref(), &fallback, &p.values);
        if !p.cli.values.is_empty() {
            let short: Vec<String> = p.cli.values.iter().map(|(short, full)| format!("{short} ({full})")).collect();
            help.push_str(&format!(" Short names: {}.", short.join(", ")));
        }
        let value_name = match (p.integer, p.date_time) {
            (true, _) => "N",
            (_, true) => "TIME",
            _ => &p.name,
        };
        let conflicts =
            op.params.iter().filter(|other| p.cli.conflicts.contains(&other.name)).map(|other| leak(&other.arg_id));
        // A path parameter may also be given in place: `conversations get ID`.
        let positional = friendly && p.location == Location::Path;
        // Each view shows its own spelling and takes the other's too.
        let long = if friendly { &p.flag } else { &p.kebab };
        let other = p.aliases.iter().chain((!friendly).then_some(&p.flag)).filter(|a| *a != long);
        if positional {
            let short: Vec<&str> = p.cli.values.iter().map(|(short, _)| short.as_str()).collect();
            let short = if short.is_empty() { String::new() } else { format!(" [short names: {}]", short.join(", ")) };
            command = command.arg(
                Arg::new(leak(&format!("{POSITIONAL}{}", p.name)))
                    .value_name(leak(&case(&p.name, '_').to_ascii_uppercase()))
                    .required_unless_present_any(if op.item_of_list { vec![] } else { vec![leak(&p.arg_id)] })
                    .conflicts_with(leak(&p.arg_id))
                    .help(format!("The {} (or --{}){short}", p.name, p.flag)),
            );
        }
        let mut arg = valued(&p.arg_id, long, value_name, first_line(&help), help)
            .aliases(other.map(|a| leak(a)))
            .required(p.required && !positional && !op.item_of_list)
            .hide(p.hidden && friendly)
            .conflicts_with_all(conflicts.collect::<Vec<_>>())
            .action(if p.array { ArgAction::Append } else { ArgAction::Set });
        if p.boolean && !p.array {
            arg = arg.num_args(0..=1).default_missing_value("true");
        }
        command = command.arg(arg);
    }
    if let Some(sort) = op.cli.as_ref().and_then(|cli| cli.sort.as_ref()) {
        let names = sort.params();
        let fields = match sort {
            model::SortFlag::Direction { by, .. } => by.clone(),
            _ => op.params.iter().find(|p| p.name == names[0]).map(|p| p.values.join(", ")).unwrap_or_default(),
        };
        let hidden: Vec<&'static str> = op.params.iter().filter(|p| p.hidden).map(|p| leak(&p.arg_id)).collect();
        let fields = if fields.is_empty() { "any field of the record by its JSON name".to_string() } else { fields };
        command = command.arg(
            builtin(SORT)
                .value_name("FIELD[:asc|desc]")
                .conflicts_with_all(hidden)
                .help(format!("Sort as FIELD[:asc|desc] ({}). Fields: {fields}", names.join(", "))),
        );
    }
    if let Some(paging) = &op.paging {
        // Every page starts at the first.
        let pages: Vec<&'static str> = op.paging_args(paging).map(|(id, _)| leak(id)).collect();
        let all = builtin(ALL).action(ArgAction::SetTrue).conflicts_with_all(pages);
        // `--resume` and `--checkpoint`, as every export takes them.
        command = <crate::export::ResumeArgs as clap::Args>::augment_args(
            command.arg(all.help("Follow every page to the end, printing as records arrive")),
        );
    }
    command = command.arg(
        builtin(COLUMNS)
            .value_name("PATH,…|all")
            .help("Table and csv columns: field paths of a record (owner.id), or `all`"),
    );
    if let Some((status, _)) = op.wait_link
        && let Some(rule) = &status.wait
    {
        let status = if status.id == op.id { "it" } else { status.id.as_str() };
        let done = rule.done.join(", ");
        let timeout = rule.timeout.unwrap_or(60).min(MAX_WAIT_SECONDS);
        let interval = rule.interval.unwrap_or(2.0).clamp(0.1, 60.0);
        let what = match &rule.result {
            Some(pointer) => format!("the {} of its answer", pointer.trim_start_matches('/').replace('/', ".")),
            None => "its answer".to_string(),
        };
        command = command.args([
            builtin(WAIT)
                .action(ArgAction::SetTrue)
                .help(format!("Poll {status} until it says {done} (or failed), and print {what}")),
            builtin(WAIT_TIMEOUT)
                .alias("timeout")
                .value_name("SECONDS")
                .requires(WAIT)
                .value_parser(clap::value_parser!(u64).range(1..=MAX_WAIT_SECONDS))
                .default_value(leak(&timeout.to_string()))
                .help(format!("Longest wait with --wait, 1 to {MAX_WAIT_SECONDS}")),
            builtin(WAIT_INTERVAL)
                .value_name("SECONDS")
                .requires(WAIT)
                .value_parser(|text: &str| match text.parse::<f64>() {
                    Ok(seconds) if (0.1..=60.0).contains(&seconds) => Ok(seconds),
                    _ => Err(format!("{text:?} is not a number of seconds from 0.1 to 60")),
                })
                .default_value(leak(&interval.to_string()))
                .help("Longest pause between two polls with --wait, 0.1 to 60 (the first come sooner)"),
        ]);
    }
    if let Some(body) = &op.body {
        let what = if body.form { "form" } else { "JSON" };
        // `--json`: the hand-written commands' old spelling.
        let old = if friendly { &["json"][..] } else { &[] };
        command = command.arg(builtin(JSON_BODY).aliases(old).value_name("FILE").help(format!(
            "The request body ({what}) from a JSON file, `-` for stdin; the field flags override its fields"
        )));
        for f in body.fields.iter().filter(|f| !f.arg_id.is_empty()) {
            let (mut help, note) = field_help(f, body.one_of.as_ref());
            if f.file.is_some() {
                help.push_str(" The flag names a local file, sent base64-encoded.");
            }
            let value_name = match &f.shape {
                Shape::Split(split, parts) | Shape::Splits(split, parts) => {
                    help.push_str(&part_values(split, parts));
                    split_name(split, parts)
                }
                Shape::Pairs(separator) => format!("KEY{separator}VALUE"),
                Shape::One if f.file.is_some() => "PATH".to_string(),
                // One flag for fields of other names in other branches: named as the flag.
                Shape::One | Shape::List if f.branches.iter().any(|b| b.name != f.name) => f.flag.clone(),
                Shape::One | Shape::List => match f.kind {
                    ItemKind::Integer | ItemKind::Number => "N".to_string(),
                    _ => f.name.clone(),
                },
            };
            let short = format!("{}{note}", first_line(&help));
            let arg = valued(&f.arg_id, &f.flag, &value_name, short, format!("{help}{note}"));
            let arg = parsed(arg.aliases(f.aliases.iter().map(|a| leak(a))).help_heading("Body fields"), f.kind);
            let repeated = matches!(f.shape, Shape::List | Shape::Pairs(_) | Shape::Splits(..));
            command = command.arg(if repeated { arg.action(ArgAction::Append) } else { arg });
        }
        for list in &body.lists {
            for (id, item) in &list.flags {
                let value_name = match (item.kind, &item.separator) {
                    (ItemKind::Number | ItemKind::Integer, _) => "N".to_string(),
                    (ItemKind::Json, _) => "JSON|FILE".to_string(),
                    (_, Some(separator)) => placeholders(&item.item).join(separator),
                    _ => case(&item.flag, '_').to_ascii_uppercase(),
                };
                let help = item.help.clone().unwrap_or_else(|| format!("An item of {}; repeat for more", list.name));
                let long_help = format!("{help} (in order with the other flags of {})", list.name);
                let arg = valued(id, &item.flag, &value_name, first_line(&help), long_help);
                command = command.arg(parsed(arg, item.kind).action(ArgAction::Append).help_heading("Body fields"));
            }
        }
        if let (true, Some(in_place)) = (friendly, &body.in_place) {
            let field = |key: &String| body.fields.iter().find(|f| f.within.is_none() && f.name == *key);
            let flag = |key: &String| format!("--{}", field(key).map_or_else(|| case(key, '-'), |f| f.flag.clone()));
            let keys = &in_place.split.keys;
            let values = keys.first().and_then(field).map(|f| f.values.join(", ")).filter(|v| !v.is_empty());
            let values = values.map(|v| format!(" ({v} in any case)")).unwrap_or_default();
            // One field whole: what the spec says it is (a `oneOf` body's: each branch, so its values).
            let whole = match keys.as_slice() {
                [key] => field(key).filter(|f| f.branches.is_empty()).and_then(|f| f.description.as_deref()),
                _ => None,
            };
            let (fields, flags) = (keys.join(", "), keys.iter().map(flag).collect::<Vec<_>>().join(", "));
            let help = match whole {
                Some(whole) => format!("{} The body's {fields} (or {flags})", first_line(whole)),
                None => format!("{}{values}: the body's {fields} (or {flags})", in_place.split.value_name()),
            };
            command = command.arg(Arg::new(BODY_TEXT).value_name(leak(&in_place.positional)).help(help));
        }
    }
    command
}

fn builtin(id: &'static str) -> Arg {
    Arg::new(id).long(id)
}

/// The flag `--<long>` of a parameter or body field, with a value (`--offset -5`: a value, not a flag).
fn valued(id: &str, long: &str, value_name: &str, help: String, long_help: String) -> Arg {
    let arg = Arg::new(leak(id)).allow_negative_numbers(true).long(leak(long)).value_name(leak(value_name));
    arg.help(help).long_help(long_help)
}

/// `arg` reading values of `kind`; a boolean flag given alone is true.
fn parsed(arg: Arg, kind: ItemKind) -> Arg {
    match kind {
        ItemKind::Text | ItemKind::Json => arg.value_parser(clap::value_parser!(String)),
        ItemKind::Integer => arg.value_parser(clap::value_parser!(i64)),
        ItemKind::Number => arg.value_parser(clap::value_parser!(f64)),
        ItemKind::Boolean => arg.value_parser(clap::value_parser!(bool)).num_args(0..=1).default_missing_value("true"),
    }
}

/// The help of a body field's flag, and of a `oneOf` body's a note naming the
/// branches that have and require it (` [channel: email, sms; required for sms]`).
fn field_help(f: &Field, one_of: Option<&OneOf>) -> (String, String) {
    let one_of = one_of.filter(|_| !f.branches.is_empty());
    let described = match one_of {
        Some(one_of) if f.within.is_none() && f.name == one_of.field => {
            let field = &one_of.field;
            Some(format!("The body's {field}, which decides the fields it takes (each flag's [{field}: …])"))
        }
        Some(_) => {
            let mut described: Vec<(&str, &str)> =
                f.branches.iter().filter_map(|b| Some((b.value.as_str(), b.description.as_deref()?.trim()))).collect();
            described.retain(|(_, d)| !d.is_empty());
            described.dedup_by_key(|(_, description)| *description);
            let each: Vec<String> = described.iter().map(|(value, d)| format!("{value}: {}", first_line(d))).collect();
            match described.as_slice() {
                [] => None,
                [(_, one)] => Some(one.to_string()),
                _ => Some(each.join(" ")),
            }
        }
        None => f.description.as_deref().map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned),
    };
    let described = described.unwrap_or_else(|| format!("The body field {}.", f.name));
    let repeated = matches!(f.shape, Shape::List | Shape::Pairs(_) | Shape::Splits(..));
    let described = if repeated { format!("{described} Repeat for more.") } else { described };
    let mut help = help(Some(&described), "", &f.values);
    if f.required {
        help.push_str(" (Required in the body.)");
    }
    let Some(one_of) = one_of.filter(|o| f.within.is_some() || f.name != o.field) else { return (help, String::new()) };
    let field = &one_of.field;
    let used: Vec<&str> = f.branches.iter().map(|b| b.value.as_str()).collect();
    let required: Vec<&str> = f.branches.iter().filter(|b| b.required).map(|b| b.value.as_str()).collect();
    let note = match required.len() {
        0 => format!(" [{field}: {}]", used.join(", ")),
        n if n == used.len() => format!(" [{field}: {}; required]", used.join(", ")),
        _ => format!(" [{field}: {}; required for {}]", used.join(", "), required.join(", ")),
    };
    (help, note)
}

/// The `$1`, `$2`… of an item template, as parts of a value name (`TYPE`, `ID`).
fn placeholders(template: &Value) -> Vec<String> {
    let mut found = Vec::new();
    leaves(template, None, &mut |leaf, key| {
        if let Some(n) = leaf.as_str().and_then(|t| t.strip_prefix('$')).and_then(|n| n.parse::<usize>().ok()) {
            found.push((n, key.unwrap_or("part").to_ascii_uppercase()));
        }
        Value::Null
    });
    found.sort();
    found.dedup_by_key(|(n, _)| *n);
    found.into_iter().map(|(_, name)| name).collect()
}

/// clap's names are `&'static str`; the commands live as long as the process.
pub(crate) fn leak(text: &str) -> &'static str {
    Box::leak(text.to_string().into_boxed_str())
}

fn help(description: Option<&str>, fallback: &str, values: &[String]) -> String {
    let mut help = description.map(str::trim).filter(|d| !d.is_empty()).unwrap_or(fallback).to_string();
    if !values.is_empty() {
        help.push_str(&format!(" [possible values: {}]", values.join(", ")));
    }
    help
}

/// The text up to the first blank line, on one line.
fn first_line(text: &str) -> String {
    let paragraph = text.trim().split("\n\n").next().unwrap_or_default();
    let mut line = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    // Keep the enum values a long description would otherwise hide.
    if let Some(at) = text.rfind(" [possible values: ")
        && !line.contains("[possible values: ")
    {
        line.push_str(&text[at..]);
    }
    line
}

/// The texts given to the argument `id`, none when `matches` has no such argument.
fn raw(matches: &ArgMatches, id: &str) -> Vec<String> {
    let given = matches.try_get_raw(id).ok().flatten().into_iter().flatten();
    given.map(|v| v.to_string_lossy().into_owned()).collect()
}

/// The value of the argument `id`, if `matches` has such an argument and it was given one.
fn one<T: Clone + Send + Sync + 'static>(matches: &ArgMatches, id: &str) -> Option<T> {
    matches.try_get_one::<T>(id).ok().flatten().cloned()
}

/// The parameter values of `op` the flags give, by name; `defaults` (API
/// settings by clap id) stand in for a parameter sharing their flag.
fn values(op: &Operation, matches: &ArgMatches, defaults: &BTreeMap<&str, String>) -> Result<Values, Failure> {
    let mut values = BTreeMap::new();
    for p in &op.params {
        let mut given = raw(matches, &p.arg_id);
        if given.is_empty() && p.location == Location::Path {
            given = raw(matches, &format!("{POSITIONAL}{}", p.name));
        }
        if given.is_empty() && !p.own {
            given.extend(defaults.get(p.arg_id.as_str()).cloned());
        }
        // A short name is the value it stands for (`stop`: `stopRecording`); one
        // vocabulary across the APIs: `asc` is the spec's `ASC`.
        let full = |v: String| {
            p.cli.values.iter().find(|(short, _)| short.eq_ignore_ascii_case(&v)).map_or(v, |(_, f)| f.clone())
        };
        given = given.into_iter().map(|v| spelled_as_spec(full(v), &p.values)).collect();
        if p.date_time {
            let rfc3339 = |v: String| parse_time(&v).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            given =
                given.into_iter().map(rfc3339).collect::<Result<_, _>>().map_err(|e| usage!("--{}: {e}", p.flag))?;
        }
        values.insert(p.name.clone(), given);
    }
    if let (Some(sort), Some(flag)) = (one::<String>(matches, SORT), op.cli.as_ref().and_then(|cli| cli.sort.as_ref()))
    {
        let (by, order) = sort.split_once(':').unwrap_or((sort.as_str(), ""));
        let (field, direction) = match flag {
            model::SortFlag::Pair { field, direction } => (Some(field), direction),
            // One parameter: the spec's pattern checks it (`FIELD=DIRECTION` typed as such passes through).
            model::SortFlag::Joined { param, separator } => {
                let joined = if order.is_empty() { by.to_string() } else { format!("{by}{separator}{order}") };
                values.insert(param.clone(), vec![joined]);
                return Ok(values);
            }
            // One order field: the flag names it, and says the direction (asc when not).
            model::SortFlag::Direction { direction, by: field } => {
                if !field.eq_ignore_ascii_case(by) {
                    return Err(usage!("--sort {sort}: {by:?} is not {field}, the one field"));
                }
                (None, direction)
            }
            _ => return Ok(values),
        };
        let check = |name: &str, value: &str| {
            let allowed = op.params.iter().find(|p| p.name == name).map(|p| p.values.clone()).unwrap_or_default();
            match allowed.is_empty() || allowed.iter().any(|v| v.eq_ignore_ascii_case(value)) {
                true => Ok(spelled_as_spec(value.to_string(), &allowed)),
                false => Err(usage!("--sort {sort}: {value:?} is not one of {}", allowed.join(", "))),
            }
        };
        if let Some(field) = field {
            values.insert(field.clone(), vec![check(field, by)?]);
        }
        if !order.is_empty() {
            values.insert(direction.clone(), vec![check(direction, order)?]);
        }
    }
    Ok(values)
}

/// Builds the HTTP request of `op` from its parameter values (by name) and body.
pub(crate) fn request(
    op: &Operation,
    values: &Values,
    body: Option<Value>,
    base_url: &str,
    http: &reqwest::Client,
) -> Result<reqwest::Request, Failure> {
    let mut path = op.path.clone();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for p in &op.params {
        let given: Vec<String> =
            values.get(&p.name).into_iter().flatten().map(|v| spelled_as_spec(v.clone(), &p.values)).collect();
        if given.is_empty() && p.required {
            return Err(usage!("{} needs --{}", op.name, p.flag));
        }
        match p.location {
            Location::Path if !given.is_empty() => path = path.replace(&format!("{{{}}}", p.name), &encode(&given[0])),
            Location::Query => query.extend(given.into_iter().map(|v| (p.name.clone(), v))),
            Location::Header => headers.extend(given.into_iter().map(|v| (p.name.clone(), v))),
            Location::Path | Location::Cookie => {}
        }
    }
    let url = reqwest::Url::parse(&format!("{}{}", base_url.trim_end_matches('/'), path))
        .map_err(|e| usage!("invalid URL for {}: {e}", op.name))?;
    let method = reqwest::Method::from_bytes(op.method.as_bytes()).map_err(|e| usage!("{e}"))?;
    let accept = op.success_media_types();
    let accept = if accept.is_empty() { "application/json".to_string() } else { accept.join(", ") };
    let builder = http.request(method, url).query(&query).header(reqwest::header::ACCEPT, accept);
    let builder = headers.into_iter().fold(builder, |builder, (name, value)| builder.header(name, value));
    let builder = match (&op.body, body) {
        (Some(spec), Some(value)) if spec.form => {
            let fields = value.as_object().into_iter().flatten();
            builder.form(&fields.map(|(k, v)| (k, crate::output::text(v))).collect::<Vec<_>>())
        }
        (Some(_), Some(value)) => builder.json(&value),
        _ => builder,
    };
    builder.build().map_err(|e| usage!("cannot build the {} request: {e}", op.name))
}

/// The body from `--json-body`, the text in place and the field flags; `None`
/// when none is given and none is required.
fn body_value(body: &Body, matches: &ArgMatches, values: &Values) -> Result<Option<Value>, Failure> {
    let json_body = matches.get_one::<String>(JSON_BODY);
    let mut value = json_body.map(|file| read_json(file).map_err(|e| usage!("--json-body {e}"))).transpose()?;
    let not_object = |flag: &str| usage!("{flag} needs --json-body to be a JSON object");
    // The text in place first: the field flags override its parts.
    if let (Some(in_place), Ok(Some(text))) = (&body.in_place, matches.try_get_one::<String>(BODY_TEXT)) {
        let (split, positional) = (&in_place.split, &in_place.positional);
        let parts = split.read(text).ok_or_else(|| usage!("{positional} {text:?}: expected {}", split.value_name()))?;
        let map = place(&mut value, None).ok_or_else(|| not_object(positional))?;
        for (key, part) in parts {
            let field = body.fields.iter().find(|f| f.within.is_none() && f.name == key);
            map.insert(key, field.map_or(part.clone(), |f| typed(f, &part)));
        }
    }
    // A body of several kinds: the one its discriminator names, whose fields the flags set.
    let branch = chosen(body, matches, value.as_ref())?;
    for f in &body.fields {
        let name = name_in(f, branch);
        if f.from_path {
            if let (Some(given), Some(name)) = (values.get(&f.name).and_then(|v| v.first()), name)
                && let Some(map) = place(&mut value, None)
            {
                map.entry(name.to_owned()).or_insert_with(|| typed(f, &Value::from(given.clone())));
            }
            continue;
        }
        let given = if f.arg_id.is_empty() { Vec::new() } else { given(matches, f) };
        let Some(first) = given.first() else { continue };
        let Some(name) = name else {
            let chosen = branch.map(|b| b.value.as_str()).unwrap_or_default();
            let having: Vec<&str> = f.branches.iter().map(|b| b.value.as_str()).collect();
            return Err(usage!("--{} does not apply to {chosen} (only to {})", f.flag, having.join(", ")));
        };
        let texts = given.iter().filter_map(Value::as_str);
        let bad = |text: &str, expected: &str| usage!("--{} {text:?}: expected {expected}", f.flag);
        let field = match &f.shape {
            Shape::One => first.clone(),
            Shape::List => Value::Array(given.clone()),
            Shape::Split(split, parts) => split_object(split, parts, first.as_str().unwrap_or_default())
                .ok_or_else(|| usage!("--{} {first}: expected {}", f.flag, split_name(split, parts)))?,
            Shape::Splits(split, parts) => Value::Array(
                texts
                    .map(|text| split_object(split, parts, text).ok_or_else(|| bad(text, &split_name(split, parts))))
                    .collect::<Result<_, _>>()?,
            ),
            Shape::Pairs(separator) => Value::Object(
                texts
                    .map(|text| match text.split_once(separator.as_str()) {
                        Some((key, value)) if !key.trim().is_empty() => {
                            Ok((key.trim().to_string(), Value::from(value)))
                        }
                        _ => Err(bad(text, &format!("KEY{separator}VALUE"))),
                    })
                    .collect::<Result<_, _>>()?,
            ),
        };
        let flag = format!("--{}", f.flag);
        let map = place(&mut value, f.within.as_deref()).ok_or_else(|| not_object(&flag))?;
        let field = match &f.file {
            Some(file) => attach(file, field.as_str().unwrap_or_default(), map)?,
            None => field,
        };
        lay(map, name, field);
    }
    for list in &body.lists {
        let items = items_of(list, matches)?;
        if items.is_empty() {
            continue;
        }
        let flag = list.flags.first().map(|(_, item)| format!("--{}", item.flag)).unwrap_or_default();
        let map = place(&mut value, list.within.as_deref()).ok_or_else(|| not_object(&flag))?;
        lay(map, &list.name, Value::Array(items));
    }
    if value.is_none() && body.required {
        value = Some(Value::Object(Map::new()));
    }
    if let Some(Value::Object(map)) = value.as_mut() {
        // What the flags and the file left out that the spec's `x-cli` gives.
        for f in body.fields.iter().filter(|f| f.within.is_none()) {
            if let (Some(default), Some(name)) = (&f.default, name_in(f, branch)) {
                map.entry(name.to_owned()).or_insert_with(|| default.clone());
            }
        }
        if json_body.is_none() {
            let neutral = body.neutral.iter().chain(branch.into_iter().flat_map(|b| &b.neutral));
            for (name, neutral) in neutral {
                map.entry(name.clone()).or_insert_with(|| neutral.clone());
            }
        }
        if let Some(branch) = branch {
            missing_in_branch(body, branch, map)?;
        }
    }
    Ok(value)
}

/// The file at `path` base64-encoded; its name and media type go into the fields
/// `file` names for them, unless given.
fn attach(file: &[(String, String)], path: &str, map: &mut Map<String, Value>) -> Result<Value, Failure> {
    use base64::Engine;
    let bytes = std::fs::read(path).map_err(|e| usage!("{path}: {e}"))?;
    for (role, field) in file {
        let value = match role.as_str() {
            "name" => {
                std::path::Path::new(path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            }
            _ => "application/octet-stream".to_string(),
        };
        map.entry(field.clone()).or_insert(Value::from(value));
    }
    Ok(Value::from(base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The object a split field's `text` stands for, its parts spelled as the spec's
/// enums and those left out at their defaults; `None` when it does not split.
fn split_object(split: &model::Split, parts: &[Part], text: &str) -> Option<Value> {
    let mut object = split.read(text)?;
    for part in parts {
        if let Some(Value::String(given)) = object.get_mut(&part.key) {
            *given = spelled_as_spec(std::mem::take(given), &part.values);
        } else if let Some(default) = &part.default {
            object.insert(part.key.clone(), default.clone());
        }
    }
    Some(Value::Object(object))
}

/// How a split text reads: `TYPE:ID`, `FIELD[:asc|desc]`.
fn split_name(split: &model::Split, parts: &[Part]) -> String {
    let mut name = split.keys[..split.required].join(&split.separator).to_ascii_uppercase();
    for key in split.keys.iter().skip(split.required) {
        let values = parts.iter().find(|p| p.key == *key).map(|p| p.values.join("|")).unwrap_or_default();
        let shown = if values.is_empty() { key.to_ascii_uppercase() } else { values };
        name.push_str(&format!("[{}{shown}]", split.separator));
    }
    name
}

/// ` [FIELD: id, createdAt; DIRECTION: asc unless given]`: required parts' values, optional ones' defaults.
fn part_values(split: &model::Split, parts: &[Part]) -> String {
    let required = &split.keys[..split.required];
    let part = |p: &Part| match (&p.default, required.contains(&p.key)) {
        (_, true) if !p.values.is_empty() => Some(format!("{}: {}", p.key.to_ascii_uppercase(), p.values.join(", "))),
        (Some(default), false) => Some(format!("{}: {} unless given", p.key.to_ascii_uppercase(), scalar(default)?)),
        _ => None,
    };
    let listed: Vec<String> = parts.iter().filter_map(part).collect();
    if listed.is_empty() { String::new() } else { format!(" [{}]", listed.join("; ")) }
}

/// The branch of a `oneOf` body the command line names: by the discriminator's
/// flag, else the text in place or `--json-body`; `None` for one kind or no body.
fn chosen<'b>(body: &'b Body, matches: &ArgMatches, value: Option<&Value>) -> Result<Option<&'b Branch>, Failure> {
    let Some(one_of) = &body.one_of else { return Ok(None) };
    let field = &one_of.field;
    let flag = body.fields.iter().find(|f| f.within.is_none() && !f.arg_id.is_empty() && f.name == *field);
    // The text in place is the friendly command's alone.
    let has_text = matches.try_get_raw(BODY_TEXT).is_ok();
    let in_place = body.in_place.as_ref().filter(|p| has_text && p.split.keys.contains(field));
    let names: Vec<&str> = one_of.branches.iter().map(|b| b.value.as_str()).collect();
    let flagged = flag.and_then(|f| Some((given(matches, f).first()?.as_str()?.to_owned(), format!("--{}", f.flag))));
    let text_given = one::<String>(matches, BODY_TEXT).is_some();
    let by = in_place.filter(|_| text_given).map_or_else(|| format!("--json-body's {field}"), |p| p.positional.clone());
    let written = value.and_then(|v| v.get(field)).and_then(Value::as_str).map(|named| (named.to_owned(), by));
    let Some((named, by)) = flagged.or(written) else {
        let any_flag = body.fields.iter().any(|f| !f.arg_id.is_empty() && !given(matches, f).is_empty());
        if value.is_none() && !body.required && !any_flag {
            return Ok(None);
        }
        let ways: Vec<String> =
            in_place.map(|p| p.positional.clone()).into_iter().chain(flag.map(|f| format!("--{}", f.flag))).collect();
        let ways = if ways.is_empty() { format!("the body's {field}") } else { ways.join(" or ") };
        return Err(usage!("{ways} is required: {}", names.join(", ")));
    };
    match one_of.branches.iter().find(|b| b.value == named) {
        Some(branch) => Ok(Some(branch)),
        None => Err(usage!("{by} {named:?}: expected one of {}", names.join(", "))),
    }
}

/// The name of `f` in `branch` (`None`: the branch has no such field).
fn name_in<'f>(f: &'f Field, branch: Option<&Branch>) -> Option<&'f str> {
    match branch {
        Some(branch) if !f.branches.is_empty() => {
            f.branches.iter().find(|b| b.value == branch.value).map(|b| b.name.as_str())
        }
        _ => Some(&f.name),
    }
}

/// Fails on the fields `branch` requires that `map` lacks: `--email is required for email`.
fn missing_in_branch(body: &Body, branch: &Branch, map: &Map<String, Value>) -> Result<(), Failure> {
    let flag_of = |name: &String| {
        let of_it = |f: &&Field| f.branches.iter().any(|b| b.value == branch.value && b.name == *name);
        match body.fields.iter().filter(|f| f.within.is_none() && !f.arg_id.is_empty()).find(of_it) {
            Some(f) => format!("--{}", f.flag),
            None => format!("the body field {name}"),
        }
    };
    let missing: Vec<String> = branch.required.iter().filter(|name| !map.contains_key(*name)).map(flag_of).collect();
    let listed = match missing.as_slice() {
        [] => return Ok(()),
        [one] => format!("{one} is"),
        [rest @ .., last] => format!("{} and {last} are", rest.join(", ")),
    };
    Err(usage!("{listed} required for {}", branch.value))
}

/// A flag's `value` laid over `map`'s field `name`: objects merge, lists extend, others replace.
pub(crate) fn lay(map: &mut Map<String, Value>, name: &str, value: Value) {
    match (map.get_mut(name), value) {
        (Some(Value::Object(old)), Value::Object(new)) => old.extend(new),
        (Some(Value::Array(old)), Value::Array(new)) => old.extend(new),
        (_, value) => {
            map.insert(name.to_string(), value);
        }
    }
}

/// The object a field goes into: the body, or its field `within`; `None` if not an object.
fn place<'v>(value: &'v mut Option<Value>, within: Option<&str>) -> Option<&'v mut Map<String, Value>> {
    let Value::Object(map) = value.get_or_insert_with(|| Value::Object(Map::new())) else { return None };
    let Some(outer) = within else { return Some(map) };
    map.entry(outer).or_insert_with(|| Value::Object(Map::new())).as_object_mut()
}

/// A text as the field's type: digits a number, an enum value as the spec spells it.
fn typed(f: &Field, text: &Value) -> Value {
    let Some(given) = text.as_str() else { return text.clone() };
    let number = given.parse::<i64>().map(Value::from).or_else(|_| given.parse::<f64>().map(Value::from));
    match f.kind {
        ItemKind::Integer | ItemKind::Number => number.unwrap_or_else(|_| Value::from(given)),
        ItemKind::Boolean => given.parse::<bool>().map_or_else(|_| Value::from(given), Value::from),
        ItemKind::Text | ItemKind::Json => Value::from(spelled_as_spec(given.to_string(), &f.values)),
    }
}

/// The items the flags of `list` build, in command-line order.
fn items_of(list: &ItemList, matches: &ArgMatches) -> Result<Vec<Value>, Failure> {
    // Every value of every flag, by its place on the command line.
    let mut given: Vec<(usize, &model::ItemFlag, String)> = Vec::new();
    for (id, item) in &list.flags {
        let places = matches.indices_of(id).into_iter().flatten();
        given.extend(places.zip(raw(matches, id)).map(|(at, text)| (at, item, text)));
    }
    given.sort_by_key(|(at, _, _)| *at);
    let mut items: Vec<Value> = Vec::new();
    for (_, item, text) in given {
        let flag = format!("--{}", item.flag);
        let value = match item.kind {
            ItemKind::Text => Value::from(text.clone()),
            ItemKind::Number => text.parse::<f64>().map(Value::from).unwrap_or(Value::Null),
            ItemKind::Integer => text.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
            ItemKind::Boolean => Value::from(text != "false"),
            ItemKind::Json => read_json(&text).map_err(|e| usage!("{flag} {e}"))?,
        };
        // A text of several parts (`user:u1`) is split at the separator, into one part per placeholder.
        let separator = item.separator.as_deref();
        let names = separator.map(|_| placeholders(&item.item)).unwrap_or_default();
        let parts: Vec<&str> = separator.map(|s| text.splitn(names.len().max(1), s).collect()).unwrap_or_default();
        if parts.len() != names.len() || parts.iter().any(|p| p.is_empty()) {
            return Err(usage!("{flag} {text:?}: expected {}", names.join(separator.unwrap_or_default())));
        }
        let built = fill(&item.item, &value, &parts, None);
        let Some(into) = &item.into else {
            items.push(built);
            continue;
        };
        let no_place = || usage!("{flag} goes after an item of {} that can take it", list.name);
        let last = items.last_mut().ok_or_else(no_place)?;
        let (parent, key) = into.rsplit_once('/').unwrap_or(("", into));
        let missing = last.pointer(parent).is_none();
        let (outer, name) = parent.rsplit_once('/').unwrap_or(("", parent));
        if let (true, Some(wrap)) = (missing, &item.wrap) {
            *last = fill(wrap, &Value::Null, &[], Some(last));
        } else if missing
            && key == "-"
            && let Some(Value::Object(map)) = last.pointer_mut(outer)
        {
            // A list it appends to is started.
            map.insert(model::unescape(name).into_owned(), Value::Array(Vec::new()));
        }
        match (last.pointer_mut(parent).ok_or_else(no_place)?, key) {
            (Value::Array(list), "-") => list.push(built),
            (Value::Object(map), key) if key != "-" => {
                map.insert(model::unescape(key).into_owned(), built);
            }
            _ => return Err(no_place()),
        }
    }
    Ok(items)
}

/// A template filled in: `$` is `value`, `$1`, `$2`… the `parts`, `$item` the item it wraps.
fn fill(template: &Value, value: &Value, parts: &[&str], item: Option<&Value>) -> Value {
    leaves(template, None, &mut |leaf, _| match leaf {
        Value::String(text) if text == "$" => value.clone(),
        Value::String(text) if text == "$item" => item.cloned().unwrap_or(Value::Null),
        Value::String(text) => match text.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => parts.get(n.wrapping_sub(1)).map_or(Value::Null, |p| Value::from(*p)),
            None => leaf.clone(),
        },
        other => other.clone(),
    })
}

/// The `properties` of an object schema.
fn object_properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema.get("properties").and_then(Value::as_object).into_iter().flatten()
}

/// The values given to a body field's flag (clap checked their type), typed as its field.
fn given(matches: &ArgMatches, f: &Field) -> Vec<Value> {
    let texts = raw(matches, &f.arg_id).into_iter().map(Value::from);
    // A number flag's `5` is the float clap reads (`5.0`).
    let number =
        |text: &Value| text.as_str().and_then(|t| t.parse::<f64>().ok()).filter(|_| f.kind == ItemKind::Number);
    texts.map(|text| number(&text).map_or_else(|| typed(f, &text), Value::from)).collect()
}

/// Whether a response key (`200`, `2XX`, `default`) covers `status`.
pub(crate) fn status_matches(key: &str, status: u16) -> bool {
    key == status.to_string()
        || key.eq_ignore_ascii_case(&format!("{}XX", status / 100))
        || (key == "default" && (200..300).contains(&status))
}

/// Whether a response's content type says JSON.
pub(crate) fn says_json(headers: &reqwest::header::HeaderMap) -> bool {
    headers.get(reqwest::header::CONTENT_TYPE).and_then(|t| t.to_str().ok()).is_some_and(|t| t.contains("json"))
}

/// Percent-encodes a path parameter's value (all but RFC 3986 unreserved).
fn encode(value: &str) -> String {
    let unreserved = |byte: u8| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte);
    value.bytes().map(|b| if unreserved(b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(case("getConversation", '-'), "get-conversation");
        assert_eq!(case("created_at[lt]", '-'), "created-at-lt");
        assert_eq!(case("title[_starts_with]", '-'), "title-starts-with");
        assert_eq!(case("Ocp-Apim-Subscription-Key", '-'), "ocp-apim-subscription-key");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }

    /// A spec maintainer adds an operation and nothing else: the rebuilt CLI
    /// has its command, with a flag per parameter and body field.
    #[test]
    fn an_operation_added_to_a_spec_is_a_command() {
        // Any enabled API's spec will do.
        let Some((api, spec)) = APIS.first() else { return };
        let mut spec: Value = serde_json::from_str(spec).unwrap();
        spec["paths"]["/vfcrest/v1/retentionPolicies/{policyId}"] = serde_json::json!({
            "put": {
                "operationId": "setRetentionPolicy",
                "summary": "Sets a retention policy.",
                "parameters": [
                    {"name": "policyId", "in": "path", "required": true, "description": "The policy.", "schema": {"type": "string"}},
                    {"name": "dryRun", "in": "query", "description": "Only check.", "schema": {"type": "boolean"}}
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["days"],
                    "properties": {"days": {"type": "integer", "description": "Days to keep."}}
                }}}},
                "responses": {"200": {"description": "Set."}}
            }
        });
        let spec = Box::leak(Box::new(model::Spec::parse(&spec).unwrap()));
        let ops = operations_of(api, spec, &BTreeMap::new());
        let op = ops.iter().find(|op| op.name == "set-retention-policy").expect("a command");
        assert_eq!((op.id.as_str(), op.method.as_str()), ("setRetentionPolicy", "PUT"));
        let mut command = operation_command(op, &op.name, &[], false);
        let help = command.render_long_help().to_string();
        for flag in ["--policy-id", "--dry-run", "--days", "--json-body"] {
            assert!(help.contains(flag), "{flag} in {help}");
        }
        assert!(help.contains("Days to keep.") && help.contains("The policy."), "{help}");
    }

    /// LlamadaPro's search keys: `--sort FIELD[:asc|desc]`, a direction in
    /// any case, and `asc` when left out (the spec's `x-cli` `default`).
    #[test]
    #[cfg(feature = "llamadapro")]
    fn split_parts_are_spelled_as_the_spec_and_take_its_defaults() {
        let ops = operations("llamadapro");
        let search = ops.iter().find(|op| op.id == "searchContacts").unwrap();
        let sort = search.body.iter().flat_map(|b| &b.fields).find(|f| f.name == "sort").unwrap();
        let Shape::Splits(split, parts) = &sort.shape else { panic!("sort is not a split") };
        assert_eq!((sort.flag.as_str(), split_name(split, parts).as_str()), ("sort", "FIELD[:asc|desc]"));
        let read = |text: &str| split_object(split, parts, text);
        assert_eq!(read("createdAt"), Some(serde_json::json!({"field": "createdAt", "direction": "asc"})));
        assert_eq!(read("createdAt:DESC"), Some(serde_json::json!({"field": "createdAt", "direction": "desc"})));
        assert_eq!(read(":desc"), None);
        let filter = search.body.iter().flat_map(|b| &b.fields).find(|f| f.name == "filters").unwrap();
        assert_eq!(
            (filter.flag.as_str(), filter.aliases.as_slice()),
            ("filter", &["where".into(), "filters".into()][..])
        );
    }

    /// A `oneOf` body of objects with a discriminator (no `mapping`: each
    /// branch named by its field's one enum value): one flag per flag name
    /// over the branches, the branch chosen by the discriminator, its
    /// fields' names set and its required fields named by their flags.
    #[test]
    fn a_one_of_body_takes_the_flags_of_every_branch() {
        let Some((api, spec)) = APIS.first() else { return };
        let mut spec: Value = serde_json::from_str(spec).unwrap();
        let kind = |value: &str| serde_json::json!({"type": "string", "enum": [value]});
        spec["paths"]["/vfcrest/v1/pets"] = serde_json::json!({
            "post": {
                "operationId": "addPet",
                "x-cli": {"name": "pets add"},
                "requestBody": {"required": true, "x-cli": {"positional": "KIND", "split": {"keys": ["kind"]}}, "content": {"application/json": {"schema": {
                    "oneOf": [
                        {"type": "object", "required": ["kind", "name", "barks"], "properties": {
                            "kind": kind("dog"), "name": {"type": "string", "description": "Its name."},
                            "barks": {"type": "boolean"}, "dogTag": {"type": "string", "x-cli": {"flag": "tag"}}}},
                        {"type": "object", "required": ["kind", "catTag"], "properties": {
                            "kind": kind("cat"), "name": {"type": "string", "description": "What it answers to."},
                            "catTag": {"type": "string", "x-cli": {"flag": "tag"}}}}
                    ],
                    "discriminator": {"propertyName": "kind"}
                }}}},
                "responses": {"200": {"description": "Added."}}
            }
        });
        let spec = Box::leak(Box::new(model::Spec::parse(&spec).unwrap()));
        let ops = operations_of(api, spec, &BTreeMap::new());
        let op = ops.iter().find(|op| op.id == "addPet").expect("a command");
        let body = op.body.as_ref().unwrap();
        let flags: Vec<&str> = body.fields.iter().map(|f| f.flag.as_str()).collect();
        assert_eq!(flags, ["barks", "tag", "kind", "name"]);
        let mut command = operation_command(op, "add", &[], true);
        let help = command.render_long_help().to_string();
        for text in [
            "[KIND]",
            "--tag <tag>",
            "--cat-tag",
            "[kind: dog, cat; required for cat]",
            "dog: Its name. cat: What it answers to. [kind: dog, cat; required for dog]",
            "[kind: dog; required]",
        ] {
            assert_eq!(help.contains(text), text != "--cat-tag", "{text:?} in {help}");
        }
        let sent = |args: &[&str]| {
            let matches = command.clone().try_get_matches_from([&["add"][..], args].concat()).unwrap();
            body_value(body, &matches, &BTreeMap::new())
        };
        let cat = sent(&["CAT", "--name", "Tom", "--tag", "t-1"]).unwrap();
        assert_eq!(cat, Some(serde_json::json!({"kind": "cat", "name": "Tom", "catTag": "t-1"})));
        let dog = sent(&["--kind", "dog", "--name", "Rex", "--barks", "--tag", "d-1"]).unwrap();
        assert_eq!(dog, Some(serde_json::json!({"kind": "dog", "name": "Rex", "barks": true, "dogTag": "d-1"})));
        let usage = |args: &[&str]| match sent(args) {
            Err(Failure::Usage(message)) => message,
            other => panic!("{args:?}: {other:?}"),
        };
        assert_eq!(usage(&["dog", "--name", "Rex"]), "--barks is required for dog");
        assert_eq!(usage(&["cat", "--barks"]), "--barks does not apply to cat (only to dog)");
        assert_eq!(usage(&["--name", "Rex"]), "KIND or --kind is required: dog, cat");
        assert_eq!(usage(&["cow"]), r#"KIND "cow": expected one of dog, cat"#);
    }

    /// The registry is the truth: every hand-written command is a flow, every
    /// flow a hand-written command, and an override names an operation of
    /// its API's spec.
    #[test]
    fn every_hand_written_command_is_a_registered_flow() {
        fn leaves(command: &Command, words: Vec<String>, out: &mut Vec<String>) {
            let subs: Vec<&Command> = command.get_subcommands().filter(|c| c.get_name() != "help").collect();
            if subs.is_empty() {
                out.push(words.join(" "));
            }
            for sub in subs {
                leaves(sub, [words.clone(), vec![sub.get_name().to_string()]].concat(), out);
            }
        }
        let derived = crate::Cli::command();
        for (api, spec) in APIS {
            let mut written = Vec::new();
            leaves(derived.find_subcommand(api).unwrap(), Vec::new(), &mut written);
            written.retain(|words| !words.is_empty());
            let flows: Vec<&Flow> = FLOWS.iter().filter(|flow| flow.api == *api).collect();
            let mut registered: Vec<String> = flows.iter().map(|f| f.words.to_string()).collect();
            written.sort();
            registered.sort();
            assert_eq!(written, registered, "{api}: the hand-written commands and the flows");
            let spec = model::Spec::from_json(spec).unwrap();
            for id in flows.iter().filter_map(|f| f.overrides) {
                assert!(spec.operation(id).is_some(), "{api}: no operation {id}");
            }
        }
    }
}
