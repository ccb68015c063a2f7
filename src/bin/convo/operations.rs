//! Every operation of every spec as a command: `convo <api> <operation-id>`,
//! built at runtime from the spec each API module embeds (`SPEC_JSON`), so a
//! spec edit and a rebuild change the CLI with no hand-written line.
//!
//! Flags: each path, query and header parameter as `--<name-in-kebab-case>`
//! (help = its description; required ones required; arrays repeatable), each
//! scalar top-level field of the request body too, and the whole body from
//! `--json-body FILE` (`-` = stdin), the field flags overriding its fields.
//! The request goes through the generated client's `execute_operation`: the
//! same spec check, credentials, retries and tracing as the typed methods.
//!
//! A parameter whose flag an API setting already takes (LivePerson's
//! `--account-id`) reads that setting's flag. A body field whose flag is
//! taken has no flag of its own (`--json-body` sets it). An operation whose
//! command name a friendly command already has is left to the friendly one.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};

use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};
use convo_clients::OperationClient;
use convo_clients::spec::model::{self, enum_values, text, type_of};
use serde_json::{Map, Value};

use crate::output::{Column, OutputFormat, RecordWriter, write_one};
use crate::{Context, Failure};

use crate::APIS;

const JSON_BODY: &str = "json-body";

/// One operation of a spec, as the CLI needs it.
pub(crate) struct Operation {
    /// The command name: the operationId in kebab case.
    pub(crate) name: String,
    /// The spec's operationId.
    pub(crate) id: String,
    pub(crate) method: String,
    pub(crate) path: String,
    summary: Option<String>,
    description: Option<String>,
    pub(crate) params: Vec<Param>,
    body: Option<Body>,
    /// The request body's example, if the spec gives one.
    pub(crate) body_example: Option<Value>,
    /// The spec's `links` of each response: the calls its answer leads to.
    pub(crate) links: Vec<Link>,
    /// The media types of its success responses, for `Accept`.
    accept: String,
}

/// A response's link (OpenAPI `links`): which operation its answer leads
/// to, with which parameter values (runtime expressions such as
/// `$response.body#/data/0/id`, or constants).
pub(crate) struct Link {
    /// The response's status key (`200`, `2XX`, `default`).
    pub(crate) status: String,
    pub(crate) operation_id: String,
    pub(crate) parameters: Vec<(String, Value)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
    Header,
}

pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) location: Location,
    pub(crate) required: bool,
    /// Required unless this other parameter is sent (`x-required-unless`).
    pub(crate) required_unless: Option<String>,
    /// A value to try it with: its example, default, or first enum value.
    pub(crate) sample: Option<String>,
    array: bool,
    boolean: bool,
    description: Option<String>,
    pub(crate) values: Vec<String>,
    /// The clap id of the flag holding the value: this parameter's own, or
    /// the API setting whose flag it shares.
    pub(crate) arg_id: String,
    /// The flag is this parameter's own (not an API setting's).
    pub(crate) own: bool,
    flag: String,
}

struct Body {
    form: bool,
    required: bool,
    fields: Vec<Field>,
}

#[derive(Clone, Copy)]
enum Scalar {
    String,
    Integer,
    Number,
    Boolean,
}

struct Field {
    name: String,
    kind: Scalar,
    required: bool,
    description: Option<String>,
    values: Vec<String>,
    flag: String,
    arg_id: String,
}

/// Adds every API's operation commands to the derived command tree.
pub fn augment(root: Command) -> Command {
    let mut root = root;
    for (api, spec) in APIS {
        let taken = reserved(&root, api);
        // Read once: every `convo` run builds this tree.
        let Ok(spec) = model::Spec::from_json(spec) else { continue };
        root = root.mut_subcommand(api, |command| {
            // The spec's title says what the API is.
            let command = match (command.get_about(), &spec.title) {
                (None, Some(title)) => command.about(title.clone()),
                (_, _) => command,
            };
            let mut generated: Vec<Command> = operations_of(&spec, &taken)
                .iter()
                .filter(|op| command.find_subcommand(&op.name).is_none() && op.name != crate::check::COMMAND)
                .map(operation_command)
                .collect();
            if command.find_subcommand(crate::check::COMMAND).is_none() {
                generated.push(crate::check::command(api));
            }
            command.subcommands(generated)
        });
    }
    root
}

/// The flags the subcommand of `api` already has (the root's global flags
/// and the API's settings), by long name, with their clap ids.
pub(crate) fn reserved(root: &Command, api: &str) -> BTreeMap<String, String> {
    let globals = root.get_arguments().filter(|a| a.is_global_set());
    let settings = root.find_subcommand(api).into_iter().flat_map(Command::get_arguments);
    let mut taken: BTreeMap<String, String> =
        globals.chain(settings).filter_map(|a| Some((a.get_long()?.to_string(), a.get_id().to_string()))).collect();
    for builtin in ["help", JSON_BODY] {
        taken.entry(builtin.to_string()).or_insert_with(|| builtin.to_string());
    }
    taken
}

/// The operation a parsed command line names, if it names one: the API,
/// the operation's command name and its matches.
pub fn invoked(matches: &ArgMatches) -> Option<(&'static str, &str, &ArgMatches)> {
    let (api, api_matches) = matches.subcommand()?;
    let (name, op_matches) = api_matches.subcommand()?;
    let (api, _) = APIS.iter().find(|(a, _)| *a == api)?;
    // A friendly command of the same name wins.
    let derived = crate::Cli::command();
    let friendly = derived.find_subcommand(api).is_some_and(|c| c.find_subcommand(name).is_some());
    (!friendly).then_some((*api, name, op_matches))
}

/// Runs the operation `name` of `api` with the flags in `matches`.
pub async fn run(api: &'static str, name: &str, matches: &ArgMatches) -> Result<(), Failure> {
    let context = Context {
        sandbox: matches.get_flag("sandbox"),
        profile: matches.get_one::<String>("profile").cloned(),
        output: matches.get_one::<OutputFormat>("output").copied(),
        client_config: convo_clients::ClientConfig::default(),
    };
    if name == crate::check::COMMAND {
        return crate::check::run(api, matches, context).await;
    }
    let spec = APIS.iter().find(|(a, _)| *a == api).map(|(_, s)| *s).unwrap_or_default();
    let all = operations(spec, &reserved(&crate::Cli::command(), api));
    let op = all
        .into_iter()
        .find(|op| op.name == name)
        .ok_or_else(|| Failure::Usage(format!("{api} has no operation {name}")))?;
    crate::send_operation(api, Call { job: Job::Operation(&op), matches, context: &context }).await
}

/// What to do with an API's generated client, once connected.
pub enum Job<'a> {
    /// Send one operation, built from the flags, and print its answer.
    Operation(&'a Operation),
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
    pub fn settings<S: clap::Args + FromArgMatches>(&self) -> Result<S, Failure> {
        let mut settings = S::from_arg_matches(self.matches).map_err(|e| Failure::Usage(e.to_string()))?;
        crate::config::read_secret_files(&mut settings, self.matches).map_err(Failure::Usage)?;
        Ok(settings)
    }

    /// The values of the API settings the spec's parameters share flags
    /// with (LivePerson's `--account-id`), by clap id: from the command
    /// line or environment, else from `defaults`.
    fn settings_values(&self, defaults: &BTreeMap<&str, String>) -> BTreeMap<String, String> {
        let mut values: BTreeMap<String, String> = defaults.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        for id in self.matches.ids() {
            if let Some(value) = self.matches.get_raw(id.as_str()).and_then(|mut v| v.next()) {
                values.insert(id.to_string(), value.to_string_lossy().into_owned());
            }
        }
        values
    }

    /// Does the job with `client`: sends the operation built from the flags
    /// (a path parameter without one takes its value from `defaults`, the
    /// API settings by clap id) and prints the answer, or runs the check.
    pub async fn send<C: OperationClient>(&self, client: &C, defaults: &BTreeMap<&str, String>) -> Result<(), Failure> {
        match self.job {
            Job::Operation(op) => {
                let values = values(op, self.matches, defaults);
                let body = op.body.as_ref().map(|body| body_value(body, self.matches)).transpose()?.flatten();
                let request = request(op, &values, body, client.base_url(), client.http_client())?;
                let response = client.execute_operation(&op.id, request).await?;
                print(response, self.context).await
            }
            Job::Check(tour) => tour.run(client, &self.settings_values(defaults), self.context).await,
        }
    }
}

/// The spec's operations, in path order, as commands: read through the
/// spec model, so a parameter the spec adds is a flag here.
pub(crate) fn operations(spec: &str, reserved: &BTreeMap<String, String>) -> Vec<Operation> {
    // The embedded specs were checked when the crate was built.
    model::Spec::from_json(spec).map(|spec| operations_of(&spec, reserved)).unwrap_or_default()
}

fn operations_of(spec: &model::Spec, reserved: &BTreeMap<String, String>) -> Vec<Operation> {
    spec.operations.iter().map(|op| operation(spec, op, reserved)).collect()
}

fn operation(spec: &model::Spec, op: &model::Operation, reserved: &BTreeMap<String, String>) -> Operation {
    let mut flags: BTreeSet<String> = BTreeSet::new();
    let params = op.parameters.iter().filter_map(|p| param(spec, p, reserved, &mut flags)).collect();
    let body = op.request_body.as_ref().map(|b| body(spec, op, b.required, reserved, &mut flags));
    let links = op.responses.iter().flat_map(|response| {
        response.links.iter().map(|link| Link {
            status: response.status.clone(),
            operation_id: link.operation_id.clone(),
            parameters: link.parameters.clone(),
        })
    });
    let accept = op.success_media_types();
    Operation {
        accept: if accept.is_empty() { "application/json".to_string() } else { accept.join(", ") },
        body_example: op.request_body.iter().flat_map(|b| &b.content).find_map(|m| m.example.clone()),
        links: links.collect(),
        name: case(&op.id, '-'),
        id: op.id.clone(),
        method: op.method.to_ascii_uppercase(),
        path: op.path.clone(),
        summary: op.summary.clone(),
        description: op.description.clone(),
        params,
        body,
    }
}

/// `value` as the spec spells it when it names one of `values` in another
/// case (`ASC` for `asc`): the server may be strict where a user is not.
fn spelled_as_spec(value: String, values: &[String]) -> String {
    match values.iter().find(|v| **v != value && v.eq_ignore_ascii_case(&value)) {
        Some(spelled) => spelled.clone(),
        None => value,
    }
}

fn param(
    spec: &model::Spec,
    p: &model::Parameter,
    reserved: &BTreeMap<String, String>,
    flags: &mut BTreeSet<String>,
) -> Option<Param> {
    let location = match p.location {
        model::Location::Path => Location::Path,
        model::Location::Query => Location::Query,
        model::Location::Header => Location::Header,
        model::Location::Cookie => return None,
    };
    let schema = &p.schema;
    let array = type_of(schema) == Some("array");
    let element = if array { schema.get("items").map(|s| spec.resolve(s)).unwrap_or(&Value::Null) } else { schema };
    let flag = case(&p.name, '-');
    let (arg_id, own) = match reserved.get(&flag) {
        Some(id) => (id.clone(), false),
        None => (format!("param.{}", p.name), true),
    };
    flags.insert(flag.clone());
    let sample =
        [p.example.as_ref(), schema.get("example"), schema.get("default"), element.get("enum").and_then(|e| e.get(0))]
            .into_iter()
            .flatten()
            .find(|v| !v.is_null())
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned));
    Some(Param {
        required: p.required,
        required_unless: p.required_unless.clone(),
        sample,
        boolean: type_of(element) == Some("boolean"),
        values: enum_values(element),
        description: p.description.clone().or_else(|| text(schema, "description")),
        name: p.name.clone(),
        location,
        array,
        arg_id,
        own,
        flag,
    })
}

fn body(
    spec: &model::Spec,
    op: &model::Operation,
    required: bool,
    reserved: &BTreeMap<String, String>,
    flags: &mut BTreeSet<String>,
) -> Body {
    let media = op.body_media();
    let schema = media.map(|m| &m.schema);
    let required_fields: Vec<&str> = schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields = Vec::new();
    for (name, property) in schema.and_then(|s| s.get("properties")).and_then(Value::as_object).into_iter().flatten() {
        let property = spec.resolve(property);
        let kind = match type_of(property) {
            Some("string") => Scalar::String,
            Some("integer") => Scalar::Integer,
            Some("number") => Scalar::Number,
            Some("boolean") => Scalar::Boolean,
            _ => continue,
        };
        let flag = case(name, '-');
        // A parameter or setting has this flag: the field comes from --json-body.
        if reserved.contains_key(&flag) || !flags.insert(flag.clone()) {
            continue;
        }
        fields.push(Field {
            kind,
            required: required_fields.contains(&name.as_str()),
            description: text(property, "description"),
            values: enum_values(property),
            arg_id: format!("body.{name}"),
            name: name.clone(),
            flag,
        });
    }
    Body { form: media.is_some_and(|m| !m.name.contains("json")), required, fields }
}

fn operation_command(op: &Operation) -> Command {
    let about = op.summary.clone().or_else(|| op.description.as_deref().map(first_line));
    let mut long = String::new();
    for part in [op.summary.as_deref(), op.description.as_deref()].into_iter().flatten() {
        if !long.is_empty() {
            long.push_str("\n\n");
        }
        long.push_str(part.trim());
    }
    if !long.is_empty() {
        long.push_str("\n\n");
    }
    long.push_str(&format!("{} {}", op.method, op.path));
    let mut command = Command::new(leak(&op.name)).long_about(long);
    if let Some(about) = about {
        command = command.about(about);
    }
    for p in op.params.iter().filter(|p| p.own) {
        let where_ = match p.location {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
        };
        let help = help(p.description.as_deref(), &format!("The {where_} parameter {}.", p.name), &p.values);
        let mut arg = Arg::new(leak(&p.arg_id))
            .long(leak(&p.flag))
            .value_name(leak(&p.name))
            .required(p.required)
            .help(first_line(&help))
            .long_help(help);
        arg = if p.array { arg.action(ArgAction::Append) } else { arg.action(ArgAction::Set) };
        if p.boolean && !p.array {
            arg = arg.num_args(0..=1).default_missing_value("true");
        }
        command = command.arg(arg);
    }
    if let Some(body) = &op.body {
        let what = if body.form { "form" } else { "JSON" };
        command = command.arg(Arg::new(JSON_BODY).long(JSON_BODY).value_name("FILE").help(format!(
            "The request body ({what}) from a JSON file, `-` for stdin; the field flags override its fields"
        )));
        for f in &body.fields {
            let mut help = help(f.description.as_deref(), &format!("The body field {}.", f.name), &f.values);
            if f.required {
                help.push_str(" (Required in the body.)");
            }
            let mut arg = Arg::new(leak(&f.arg_id))
                .long(leak(&f.flag))
                .value_name(leak(&f.name))
                .help(first_line(&help))
                .long_help(help)
                .help_heading("Body fields");
            arg = match f.kind {
                Scalar::String => arg.value_parser(clap::value_parser!(String)),
                Scalar::Integer => arg.value_parser(clap::value_parser!(i64)),
                Scalar::Number => arg.value_parser(clap::value_parser!(f64)),
                Scalar::Boolean => {
                    arg.value_parser(clap::value_parser!(bool)).num_args(0..=1).default_missing_value("true")
                }
            };
            command = command.arg(arg);
        }
    }
    command
}

/// clap's names are `&'static str`; the commands live as long as the process.
fn leak(text: &str) -> &'static str {
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

/// The parameter values of `op` the flags give, by parameter name;
/// `defaults` are the values of API settings (by clap id) a parameter
/// sharing their flag falls back to.
fn values(op: &Operation, matches: &ArgMatches, defaults: &BTreeMap<&str, String>) -> BTreeMap<String, Vec<String>> {
    op.params
        .iter()
        .map(|p| {
            let given: Vec<String> = matches
                .get_raw(&p.arg_id)
                .map(|v| v.map(|s| s.to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            let given = match defaults.get(p.arg_id.as_str()) {
                Some(default) if given.is_empty() && !p.own => vec![default.clone()],
                _ => given,
            };
            (p.name.clone(), given)
        })
        .collect()
}

/// Builds the HTTP request of `op` from its parameter values (by name) and body.
pub(crate) fn request(
    op: &Operation,
    values: &BTreeMap<String, Vec<String>>,
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
            return Err(Failure::Usage(format!("{} needs --{}", op.name, p.flag)));
        }
        match p.location {
            Location::Path => {
                if let Some(value) = given.first() {
                    path = path.replace(&format!("{{{}}}", p.name), &encode(value));
                }
            }
            Location::Query => query.extend(given.into_iter().map(|v| (p.name.clone(), v))),
            Location::Header => headers.extend(given.into_iter().map(|v| (p.name.clone(), v))),
        }
    }
    let mut url = reqwest::Url::parse(&format!("{}{}", base_url.trim_end_matches('/'), path))
        .map_err(|e| Failure::Usage(format!("invalid URL for {}: {e}", op.name)))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(&query);
    }
    let method = reqwest::Method::from_bytes(op.method.as_bytes()).map_err(|e| Failure::Usage(e.to_string()))?;
    let mut builder = http.request(method, url).header(reqwest::header::ACCEPT, &op.accept);
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let (Some(spec), Some(value)) = (&op.body, body) {
        builder = if spec.form {
            let pairs: Vec<(String, String)> = value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect();
            let encoded = serde_urlencoded::to_string(pairs).map_err(|e| Failure::Usage(e.to_string()))?;
            builder.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(encoded)
        } else {
            let bytes = serde_json::to_vec(&value).map_err(|e| Failure::Usage(e.to_string()))?;
            builder.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes)
        };
    }
    builder.build().map_err(|e| Failure::Usage(format!("cannot build the {} request: {e}", op.name)))
}

/// The body from `--json-body` and the field flags; `None` when neither is
/// given and the spec does not require a body.
fn body_value(body: &Body, matches: &ArgMatches) -> Result<Option<Value>, Failure> {
    let mut value = match matches.get_one::<String>(JSON_BODY) {
        Some(file) => {
            let mut text = String::new();
            let read = if file == "-" {
                std::io::stdin().read_to_string(&mut text).map(drop)
            } else {
                std::fs::read_to_string(file).map(|t| text = t)
            };
            read.map_err(|e| Failure::Usage(format!("cannot read --json-body {file}: {e}")))?;
            Some(serde_json::from_str::<Value>(&text).map_err(|e| Failure::Usage(format!("--json-body {file}: {e}")))?)
        }
        None => None,
    };
    for f in &body.fields {
        let field = match f.kind {
            Scalar::String => {
                matches.get_one::<String>(&f.arg_id).map(|v| Value::from(spelled_as_spec(v.clone(), &f.values)))
            }
            Scalar::Integer => matches.get_one::<i64>(&f.arg_id).map(|v| Value::from(*v)),
            Scalar::Number => matches.get_one::<f64>(&f.arg_id).map(|v| Value::from(*v)),
            Scalar::Boolean => matches.get_one::<bool>(&f.arg_id).map(|v| Value::from(*v)),
        };
        let Some(field) = field else { continue };
        match value.get_or_insert_with(|| Value::Object(Map::new())) {
            Value::Object(map) => {
                map.insert(f.name.clone(), field);
            }
            _ => return Err(Failure::Usage(format!("--{} needs --json-body to be a JSON object", f.flag))),
        }
    }
    if value.is_none() && body.required {
        value = Some(Value::Object(Map::new()));
    }
    Ok(value)
}

/// Prints a response: JSON with the output formats, anything else as bytes.
async fn print(response: reqwest::Response, context: &Context) -> Result<(), Failure> {
    let json = says_json(response.headers());
    let operation = response.url().path().to_string();
    let bytes =
        response.bytes().await.map_err(|e| Failure::Outcome(format!("{operation}: cannot read the response: {e}")))?;
    let mut out = std::io::stdout().lock();
    let value = if json || bytes.first() == Some(&b'{') || bytes.first() == Some(&b'[') {
        serde_json::from_slice::<Value>(&bytes).ok()
    } else {
        None
    };
    let Some(value) = value else {
        out.write_all(&bytes)?;
        out.flush()?;
        return Ok(());
    };
    let format = context.output.unwrap_or(OutputFormat::Json);
    match &value {
        Value::Array(records) if format != OutputFormat::Json => {
            let mut writer = RecordWriter::new(format, columns(records), out);
            for record in records {
                writer.write(record)?;
            }
            writer.finish()?;
        }
        _ => write_one(format, columns(std::slice::from_ref(&value)), &value, out)?,
    }
    Ok(())
}

/// Whether a response's content type says JSON.
pub(crate) fn says_json(headers: &reqwest::header::HeaderMap) -> bool {
    headers.get(reqwest::header::CONTENT_TYPE).and_then(|t| t.to_str().ok()).is_some_and(|t| t.contains("json"))
}

/// Table and csv columns of records the spec names no columns for: the keys
/// of the first record. Leaked: the process prints one response.
fn columns(records: &[Value]) -> &'static [Column] {
    let keys = records.first().and_then(Value::as_object).map(|m| m.keys().cloned().collect::<Vec<_>>());
    let columns: Vec<Column> = keys
        .unwrap_or_default()
        .into_iter()
        .map(|key| {
            let key: &'static str = Box::leak(key.into_boxed_str());
            Column { header: key, key, width: 24 }
        })
        .collect();
    Box::leak(columns.into_boxed_slice())
}

/// `getConversation` → `get-conversation`, `created_at[lt]` → `created-at-lt`.
fn case(name: &str, separator: char) -> String {
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

/// Percent-encodes a path parameter's value (all but RFC 3986 unreserved).
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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
        let mut spec: Value = serde_json::from_str(convo_clients::luware::SPEC_JSON).unwrap();
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
        let ops = operations(&spec.to_string(), &BTreeMap::new());
        let op = ops.iter().find(|op| op.name == "set-retention-policy").expect("a command");
        assert_eq!((op.id.as_str(), op.method.as_str()), ("setRetentionPolicy", "PUT"));
        let mut command = operation_command(op);
        let help = command.render_long_help().to_string();
        for flag in ["--policy-id", "--dry-run", "--days", "--json-body"] {
            assert!(help.contains(flag), "{flag} in {help}");
        }
        assert!(help.contains("Days to keep.") && help.contains("The policy."), "{help}");
    }
}
