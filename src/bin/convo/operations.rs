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
use serde_json::{Map, Value};

use crate::output::{Column, OutputFormat, RecordWriter, write_one};
use crate::{Context, Failure};

use crate::APIS;

const JSON_BODY: &str = "json-body";
const HTTP_METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// One operation of a spec, as the CLI needs it.
struct Operation {
    /// The command name: the operationId in kebab case.
    name: String,
    /// The spec's operationId.
    id: String,
    method: String,
    path: String,
    summary: Option<String>,
    description: Option<String>,
    params: Vec<Param>,
    body: Option<Body>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Header,
}

struct Param {
    name: String,
    location: Location,
    required: bool,
    array: bool,
    boolean: bool,
    description: Option<String>,
    values: Vec<String>,
    /// The clap id of the flag holding the value: this parameter's own, or
    /// the API setting whose flag it shares.
    arg_id: String,
    /// The flag is this parameter's own (not an API setting's).
    own: bool,
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
        let title = serde_json::from_str::<Value>(spec).ok().and_then(|doc| text(&doc["info"], "title"));
        root = root.mut_subcommand(api, |command| {
            // The spec's title says what the API is.
            let command = match (command.get_about(), title) {
                (None, Some(title)) => command.about(title),
                (_, _) => command,
            };
            let generated: Vec<Command> = operations(spec, &taken)
                .iter()
                .filter(|op| command.find_subcommand(&op.name).is_none())
                .map(operation_command)
                .collect();
            command.subcommands(generated)
        });
    }
    root
}

/// The flags the subcommand of `api` already has (the root's global flags
/// and the API's settings), by long name, with their clap ids.
fn reserved(root: &Command, api: &str) -> BTreeMap<String, String> {
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
    };
    let spec = APIS.iter().find(|(a, _)| *a == api).map(|(_, s)| *s).unwrap_or_default();
    let all = operations(spec, &reserved(&crate::Cli::command(), api));
    let op = all
        .into_iter()
        .find(|op| op.name == name)
        .ok_or_else(|| Failure::Usage(format!("{api} has no operation {name}")))?;
    let response = crate::send_operation(api, Call { op: &op, matches, context: &context }).await?;
    print(response, &context).await
}

/// One operation to send: what each API's `send_operation` needs.
pub struct Call<'a> {
    op: &'a Operation,
    matches: &'a ArgMatches,
    /// The global flags.
    pub context: &'a Context,
}

impl Call<'_> {
    /// The API's settings (flags, environment) from the command line.
    pub fn settings<S: FromArgMatches>(&self) -> Result<S, Failure> {
        S::from_arg_matches(self.matches).map_err(|e| Failure::Usage(e.to_string()))
    }

    /// Builds the request from the flags (a path parameter without one
    /// takes its value from `defaults`) and sends it with `client`.
    pub async fn send<C: OperationClient>(
        &self,
        client: &C,
        defaults: &BTreeMap<&str, String>,
    ) -> Result<reqwest::Response, Failure> {
        let request = build(self.op, self.matches, defaults, client.base_url(), client.http_client())?;
        Ok(client.execute_operation(&self.op.id, request).await?)
    }
}

/// The spec's operations, in path order.
fn operations(spec: &str, reserved: &BTreeMap<String, String>) -> Vec<Operation> {
    let Ok(doc) = serde_json::from_str::<Value>(spec) else { return Vec::new() };
    let mut out = Vec::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let item = resolve(&doc, item);
        let shared = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        for (method, op) in item.as_object().into_iter().flatten() {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(operation_id) = op.get("operationId").and_then(Value::as_str) else { continue };
            // The operation's own parameters override the path item's.
            let mut raw: Vec<&Value> = Vec::new();
            let own = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
            let key = |p: &Value| {
                let p = resolve(&doc, p);
                (p.get("name").cloned(), p.get("in").cloned())
            };
            for p in &shared {
                if !own.iter().any(|o| key(o) == key(p)) {
                    raw.push(p);
                }
            }
            let own_refs: Vec<&Value> = own.iter().collect();
            raw.extend(own_refs);
            let mut flags: BTreeSet<String> = BTreeSet::new();
            let mut params = Vec::new();
            for p in raw {
                if let Some(param) = param(&doc, resolve(&doc, p), reserved, &mut flags) {
                    params.push(param);
                }
            }
            let body = op.get("requestBody").map(|b| body(&doc, resolve(&doc, b), reserved, &mut flags));
            out.push(Operation {
                name: case(operation_id, '-'),
                id: operation_id.to_string(),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                params,
                body,
            });
        }
    }
    out
}

fn param(doc: &Value, p: &Value, reserved: &BTreeMap<String, String>, flags: &mut BTreeSet<String>) -> Option<Param> {
    let name = p.get("name")?.as_str()?.to_string();
    let location = match p.get("in")?.as_str()? {
        "path" => Location::Path,
        "query" => Location::Query,
        "header" => Location::Header,
        _ => return None,
    };
    let schema = p.get("schema").map(|s| resolve(doc, s)).unwrap_or(&Value::Null);
    let array = type_of(schema) == Some("array");
    let element = if array { schema.get("items").map(|s| resolve(doc, s)).unwrap_or(&Value::Null) } else { schema };
    let flag = case(&name, '-');
    let (arg_id, own) = match reserved.get(&flag) {
        Some(id) => (id.clone(), false),
        None => (format!("param.{name}"), true),
    };
    flags.insert(flag.clone());
    Some(Param {
        required: p.get("required").and_then(Value::as_bool).unwrap_or(location == Location::Path),
        boolean: type_of(element) == Some("boolean"),
        values: enum_values(element),
        description: text(p, "description").or_else(|| text(schema, "description")),
        name,
        location,
        array,
        arg_id,
        own,
        flag,
    })
}

fn body(doc: &Value, b: &Value, reserved: &BTreeMap<String, String>, flags: &mut BTreeSet<String>) -> Body {
    let content = b.get("content").and_then(Value::as_object);
    let json = content.and_then(|c| c.iter().find(|(t, _)| t.contains("json")));
    let form = content.and_then(|c| c.get("application/x-www-form-urlencoded"));
    let schema = json.map(|(_, m)| m).or(form).and_then(|m| m.get("schema")).map(|s| resolve(doc, s));
    let required: Vec<&str> = schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields = Vec::new();
    for (name, property) in schema.and_then(|s| s.get("properties")).and_then(Value::as_object).into_iter().flatten() {
        let property = resolve(doc, property);
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
            required: required.contains(&name.as_str()),
            description: text(property, "description"),
            values: enum_values(property),
            arg_id: format!("body.{name}"),
            name: name.clone(),
            flag,
        });
    }
    Body {
        form: json.is_none() && form.is_some(),
        required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
        fields,
    }
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

/// Builds the HTTP request of `op` from the flags; `defaults` are the values
/// of API settings (by clap id) a parameter sharing their flag falls back to.
fn build(
    op: &Operation,
    matches: &ArgMatches,
    defaults: &BTreeMap<&str, String>,
    base_url: &str,
    http: &reqwest::Client,
) -> Result<reqwest::Request, Failure> {
    let values = |p: &Param| -> Vec<String> {
        let given: Vec<String> = matches
            .get_raw(&p.arg_id)
            .map(|v| v.map(|s| s.to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        match defaults.get(p.arg_id.as_str()) {
            Some(default) if given.is_empty() && !p.own => vec![default.clone()],
            _ => given,
        }
    };
    let mut path = op.path.clone();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for p in &op.params {
        let given = values(p);
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
    let mut builder = http.request(method, url).header(reqwest::header::ACCEPT, "application/json");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = &op.body
        && let Some(value) = body_value(body, matches)?
    {
        builder = if body.form {
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
            Scalar::String => matches.get_one::<String>(&f.arg_id).map(|v| Value::from(v.clone())),
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
    let json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.contains("json"));
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

/// Follows `$ref`s within the document.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(pointer) = value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) else {
            break;
        };
        match doc.pointer(pointer) {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

fn type_of(schema: &Value) -> Option<&str> {
    match schema.get("type")? {
        Value::String(t) => Some(t),
        // OpenAPI 3.1: ["string", "null"].
        Value::Array(types) => types.iter().filter_map(Value::as_str).find(|t| *t != "null"),
        _ => None,
    }
}

fn enum_values(schema: &Value) -> Vec<String> {
    schema
        .get("enum")
        .and_then(Value::as_array)
        .map(|v| v.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect())
        .unwrap_or_default()
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
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
