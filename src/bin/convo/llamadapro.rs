//! `convo llamadapro …`: the LlamadaPro public API (beta): the flows one
//! call cannot do (the contact search's filters and body paging, the bulk
//! reports, an upload from a local file). Every other command is the spec's
//! operation under its `x-cli` name. Ids print as integers.

use std::path::PathBuf;

use clap::Subcommand;
use convo_clients::ItemStream;
use convo_clients::llamadapro::types;
use convo_clients::llamadapro::types::{
    BulkIssue, BulkSingleConversationCreateParams, BulkSingleConversationUpdateParams, ContactSearchRequest,
    SearcherDocumentSearchFilter, SearcherDocumentSearchSort, SearcherDocumentSearchSortField,
};
use convo_clients::llamadapro::{BulkOutcome, Client, SortBy};
use convo_clients::sandbox::llamadapro::{LlamadaProConfig, LlamadaProSandbox, LlamadaProState};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::output::{Column, columns, OutputFormat, RecordWriter, write_one};
use crate::sandbox::{self, ServeOptions, Served};
use crate::{Context, Failure};

// Its settings are its spec's: the base URL and the `ApiKeyAuth` scheme's key.
pub type Args = crate::connect::Args<crate::spec_api::Settings<Client, LlamadaProState>, LlamadaProCommand>;

#[derive(Debug, Subcommand)]
pub(crate) enum LlamadaProCommand {
    /// Contacts and the contact search.
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// Funnel conversations, one at a time or in bulk.
    #[command(subcommand)]
    Conversations(ConversationsCommand),
    /// WhatsApp messages and media.
    #[command(subcommand)]
    Messages(MessagesCommand),
}

/// A request body from a file; flags are laid over it.
#[derive(Debug, clap::Args)]
pub(crate) struct JsonArg {
    /// The request body as JSON, or a file of it (`-` reads stdin); flags override its fields.
    #[arg(long = "json-body", alias = "json", value_name = "FILE")]
    json: Option<String>,
}

/// How much of a list to print.
#[derive(Debug, clap::Args)]
pub(crate) struct PageArgs {
    /// Follow every page to the end, printing as they arrive.
    #[arg(long, conflicts_with = "page_token")]
    all: bool,
    #[command(flatten)]
    resume: crate::export::ResumeArgs,
    /// The page to print: a nextPageToken from an earlier page (printed on stderr).
    #[arg(long)]
    page_token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ContactsCommand {
    /// Search contacts: free text, conditions, sort; archived ones with --include-archived.
    Search {
        /// Free text.
        text: Option<String>,
        /// FIELD:OPERATOR:VALUE, OPERATOR eq or contains, e.g. addresses.address:eq:+56912345678 or
        /// lastName:contains:soto; repeat to AND them.
        #[arg(long = "filter", alias = "where", value_name = "FIELD:OP:VALUE", value_parser = parse_condition)]
        conditions: Vec<SearcherDocumentSearchFilter>,
        /// Join the filters with OR instead of AND.
        #[arg(long)]
        any: bool,
        /// Sort as FIELD[:asc|desc]; repeat for more keys. FIELD is a field of the contact by its
        /// JSON name, e.g. createdAt, firstName, lastName. The direction defaults to asc.
        #[arg(long = "sort", value_name = "FIELD[:asc|desc]", value_parser = parse_sort)]
        sort: Vec<SortBy>,
        /// Results per page.
        #[arg(long, alias = "size", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        page_size: Option<u32>,
        /// Include archived contacts.
        #[arg(long)]
        include_archived: bool,
        #[command(flatten)]
        page: PageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConversationsCommand {
    /// Create many conversations from --json-body (a list, or {"conversations": [...]}); prints each item's outcome.
    BulkCreate {
        #[command(flatten)]
        json: JsonArg,
    },
    /// Update many conversations from --json-body (each item with its id); prints each item's outcome.
    BulkUpdate {
        #[command(flatten)]
        json: JsonArg,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MessagesCommand {
    /// Upload media to WhatsApp: a file from the files service (--file-id), or a local file (--file).
    UploadMedia {
        /// The WhatsApp number the media is for (E.164).
        #[arg(long)]
        from: Option<String>,
        /// A file of the files service, by id.
        #[arg(long, conflicts_with = "file")]
        file_id: Option<String>,
        /// A local file, sent base64-encoded.
        #[arg(long)]
        file: Option<PathBuf>,
        /// MIME type of --file (default application/octet-stream).
        #[arg(long, requires = "file")]
        content_type: Option<String>,
        /// KEY=VALUE label; repeat for more.
        #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_pair)]
        tags: Vec<(String, String)>,
        #[command(flatten)]
        json: JsonArg,
    },
}

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::Usage(e.to_string())
}

fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

fn parse_condition(text: &str) -> Result<SearcherDocumentSearchFilter, String> {
    let mut parts = text.splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(field), Some(op), Some(value)) if !field.is_empty() && !op.is_empty() => {
            Ok(SearcherDocumentSearchFilter::with_operator(field, op, value))
        }
        _ => Err(format!("{text:?} is not FIELD:OPERATOR:VALUE (e.g. lastName:contains:soto)")),
    }
}

/// `FIELD[:asc|desc]`; the API's own `FIELD=DIRECTION` is accepted too.
fn parse_sort(text: &str) -> Result<SortBy, String> {
    let wire = match text.split_once(':') {
        Some((field, direction)) => format!("{field}={direction}"),
        None => text.to_string(),
    };
    wire.parse().map_err(|e: convo_clients::llamadapro::InputError| e.to_string())
}


fn put<T: Serialize>(map: &mut Map<String, Value>, key: &str, value: &Option<T>) {
    if let Some(v) = value.as_ref().and_then(|v| serde_json::to_value(v).ok()) {
        map.insert(key.into(), v);
    }
}

fn put_pairs(map: &mut Map<String, Value>, key: &str, pairs: &[(String, String)]) {
    if !pairs.is_empty() {
        let object = pairs.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        map.insert(key.into(), Value::Object(object));
    }
}

/// The JSON `--json-body` gives: written out, or a file's (`-` for stdin).
fn read_json(source: &str) -> Result<Value, Failure> {
    crate::operations::read_json(source).map_err(|e| usage(format!("--json-body {e}")))
}

/// A request body: the `--json` file's object with the flags laid over it
/// (objects merge, lists extend), checked against the request type.
fn body<T: DeserializeOwned>(what: &str, json: &JsonArg, flags: Map<String, Value>) -> Result<T, Failure> {
    let mut base = match &json.json {
        Some(file) => match read_json(file)? {
            Value::Object(map) => map,
            _ => return Err(usage(format!("--json-body {file}: expected a JSON object"))),
        },
        None => Map::new(),
    };
    for (key, value) in flags {
        crate::operations::lay(&mut base, &key, value);
    }
    serde_json::from_value(Value::Object(base))
        .map_err(|e| usage(format!("{what}: {e} (set it with a flag or --json-body)")))
}

fn record(value: &impl Serialize) -> Result<Value, Failure> {
    Ok(crate::output::integral(serde_json::to_value(value).map_err(std::io::Error::other)?))
}

/// Prints one record (json by default).
fn print_one(context: &Context, columns: &'static [Column], value: &impl Serialize) -> Result<(), Failure> {
    let out = std::io::stdout().lock();
    write_one(context.output.unwrap_or(OutputFormat::Json), columns, &record(value)?, out)?;
    Ok(())
}

/// Prints one page, and the next page's token on stderr.
fn print_page<T: Serialize>(
    context: &Context,
    columns: &'static [Column],
    items: Vec<T>,
    next: Option<String>,
) -> Result<(), Failure> {
    let mut writer =
        RecordWriter::new(context.output.unwrap_or(OutputFormat::Jsonl), columns, std::io::stdout().lock());
    for item in &items {
        writer.write(&record(item)?)?;
    }
    writer.finish()?;
    if let Some(token) = next.filter(|t| !t.is_empty()) {
        crate::output::note(format_args!("next page: --page-token {}", convo_clients::redact::escape_controls(&token)));
    }
    Ok(())
}

/// Prints every item of a stream as it arrives (`--all`).
async fn print_all<T: Serialize + Send + 'static>(
    context: &Context,
    columns: &'static [Column],
    stream: ItemStream<T>,
    resume: &crate::export::ResumeArgs,
    total: Option<u64>,
) -> Result<(), Failure> {
    let mut writer =
        RecordWriter::new(context.output.unwrap_or(OutputFormat::Jsonl), columns, std::io::stdout().lock());
    crate::export::all(stream, resume, &mut writer, "records", total, |item| record(&item)).await?;
    writer.finish()?;
    Ok(())
}

const SEARCH_COLUMNS: &str = "id:6 firstName:12 lastName:12 archivedAt:20 createdAt:20";
const OUTCOME_COLUMNS: &str = "index:5 outcome:9 id:6 field:12 code:14 message:50";
const MEDIA_COLUMNS: &str = "fileId:18 mediaId:16 fileName:20 contentType:16 size:8";
pub async fn run(client: Client, command: LlamadaProCommand, context: &Context) -> Result<(), Failure> {
    match command {
        LlamadaProCommand::Contacts(command) => contacts(&client, command, context).await,
        LlamadaProCommand::Conversations(command) => conversations(&client, command, context).await,
        LlamadaProCommand::Messages(command) => messages(&client, command, context).await,
    }
}

async fn contacts(client: &Client, command: ContactsCommand, context: &Context) -> Result<(), Failure> {
    match command {
        ContactsCommand::Search { text, conditions, any, sort, page_size, include_archived, page } => {
            let filters =
                conditions.into_iter().enumerate().map(|(i, c)| if any && i > 0 { c.or() } else { c }).collect();
            let sort = sort
                .iter()
                .map(|s| {
                    let field: SearcherDocumentSearchSortField = s.field().parse().map_err(|_| {
                        usage(format!(
                            "--sort {}: a search sorts by id, createdAt, updatedAt, firstName, lastName, archivedAt \
                             or eventTimestamp",
                            s.field()
                        ))
                    })?;
                    Ok(SearcherDocumentSearchSort { field: Some(field), direction: Some(s.direction().clone()) })
                })
                .collect::<Result<Vec<_>, Failure>>()?;
            let request = ContactSearchRequest {
                search: text,
                filters,
                sort,
                size: page_size.and_then(std::num::NonZeroU32::new),
                page_token: page.page_token,
                include_archived: include_archived.then_some(true),
                include_total_count: None,
            };
            if page.all {
                let total = crate::export::total(&page.resume, || async {
                    let one = ContactSearchRequest {
                        size: std::num::NonZeroU32::new(1),
                        include_total_count: Some(true),
                        ..request.clone()
                    };
                    let first = client.search_contacts().body(one).send().await?.into_inner();
                    // A count of records: a whole number, whatever its JSON form.
                    Ok(first.total_count.filter(|n| n.is_finite() && *n >= 0.0).map(|n| n as u64))
                })
                .await;
                return print_all(context, columns(SEARCH_COLUMNS), client.contact_search(request), &page.resume, total).await;
            }
            let p = send(client.search_contacts().body(request).send()).await?;
            print_page(context, columns(SEARCH_COLUMNS), p.items, p.next_page_token)
        }
    }
}

async fn conversations(client: &Client, command: ConversationsCommand, context: &Context) -> Result<(), Failure> {
    match command {
        ConversationsCommand::BulkCreate { json } => {
            let items: Vec<BulkSingleConversationCreateParams> = bulk_items(&json)?;
            let batch = types::BulkConversationCreateRequest { conversations: items.clone() };
            let result = send(client.bulk_create_conversations().body(batch).send()).await?;
            print_outcome(context, result.pair(&items))
        }
        ConversationsCommand::BulkUpdate { json } => {
            let items: Vec<BulkSingleConversationUpdateParams> = bulk_items(&json)?;
            let batch = types::BulkConversationUpdateRequest { conversations: items.clone() };
            let result = send(client.bulk_update_conversations().body(batch).send()).await?;
            print_outcome(context, result.pair(&items))
        }
    }
}

/// Bulk items from `--json`: a list, or an object with `conversations`.
fn bulk_items<T: DeserializeOwned>(json: &JsonArg) -> Result<Vec<T>, Failure> {
    let file = json.json.as_deref().ok_or_else(|| usage("bulk operations take their items from --json-body FILE"))?;
    let value = match read_json(file)? {
        Value::Object(mut map) => map.remove("conversations").unwrap_or(Value::Null),
        other => other,
    };
    serde_json::from_value(value).map_err(|e| {
        usage(format!("--json-body {file}: expected a list of conversations (or {{\"conversations\": [...]}}): {e}"))
    })
}

/// One line per item with its outcome; fails (exit 1) when any item or the
/// batch failed. The items decide: counts that read otherwise (their relation
/// to the items is not documented) are a warning.
fn print_outcome<T>(context: &Context, outcome: BulkOutcome<'_, T>) -> Result<(), Failure> {
    let mut writer =
        RecordWriter::new(context.output.unwrap_or(OutputFormat::Jsonl), columns(OUTCOME_COLUMNS), std::io::stdout().lock());
    let issue_fields = |issue: Option<&BulkIssue>| {
        (
            issue.and_then(|i| i.field.clone()),
            issue.and_then(|i| i.code.as_ref().map(|c| c.as_str().to_string())),
            issue.and_then(|i| i.message.clone()),
        )
    };
    for item in &outcome.items {
        let (field, code, message) = issue_fields(item.outcome.issues().first());
        writer.write(&json!({
            "index": item.index,
            "outcome": item.outcome.kind(),
            "id": item.outcome.id(),
            "field": field,
            "code": code,
            "message": message,
        }))?;
    }
    writer.finish()?;
    let failed = outcome.failed().count();
    let duplicates = outcome.duplicates().count();
    for issue in &outcome.batch_errors {
        eprintln!("batch: {}", convo_clients::redact::escape_controls(issue.message.as_deref().unwrap_or("error")));
    }
    if duplicates > 0 {
        crate::output::note(format_args!("{duplicates} of {} items were duplicates and were skipped", outcome.items.len()));
    }
    if !outcome.counts_agree()
        && let Some(counts) = &outcome.counts
    {
        crate::output::note(format_args!(
            "warning: the server's counts ({}) read otherwise than its report of the {} items; the report decides",
            counts_text(counts),
            outcome.items.len()
        ));
    }
    if failed > 0 || !outcome.batch_errors.is_empty() {
        return Err(Failure::Outcome(format!("{failed} of {} items failed", outcome.items.len())));
    }
    Ok(())
}

/// `successful 1, warnings 1, total 2`: the counts the server sent.
fn counts_text(counts: &types::BulkCounts) -> String {
    let named = [
        ("successful", counts.successful),
        ("warnings", counts.warnings),
        ("duplicates", counts.duplicates),
        ("errors", counts.errors),
        ("total", counts.total),
    ];
    named.iter().filter_map(|(name, n)| Some(format!("{name} {}", (*n)?))).collect::<Vec<_>>().join(", ")
}

async fn messages(client: &Client, command: MessagesCommand, context: &Context) -> Result<(), Failure> {
    match command {
        MessagesCommand::UploadMedia { from, file_id, file, content_type, tags, json } => {
            let mut m = Map::new();
            put(&mut m, "fromPhoneNumber", &from);
            put(&mut m, "fileId", &file_id);
            if let Some(path) = &file {
                use base64::Engine;
                let bytes = std::fs::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                put(&mut m, "fileName", &name);
                let kind = content_type.unwrap_or_else(|| "application/octet-stream".into());
                m.insert("contentType".into(), json!(kind));
                m.insert("content".into(), json!(base64::engine::general_purpose::STANDARD.encode(bytes)));
            }
            put_pairs(&mut m, "tags", &tags);
            let upload: types::UploadMediaRequest = body("upload", &json, m)?;
            let sent = client.upload_media().body(upload).send().await?;
            print_one(context, columns(MEDIA_COLUMNS), &sent.into_inner())
        }
    }
}

/// Sends a generated call; its answer's body, or the crate's error.
async fn send<T, E>(
    call: impl std::future::Future<Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>>,
) -> Result<T, convo_clients::Error> {
    Ok(call.await?.into_inner())
}


/// Serves the emulator for `convo sandbox serve` and prints its settings.
pub(crate) async fn serve(options: &ServeOptions) -> Result<Served, Failure> {
    let default = LlamadaProConfig::default();
    let (contacts, tasks) = options.records.map_or((default.contacts, default.tasks), |n| (n, n));
    let config = LlamadaProConfig { harness: options.harness.clone(), contacts, tasks, ..default };
    let funnel = config.funnels.first().copied();
    sandbox::serve_api("llamadapro", options, config, |sandbox: &LlamadaProSandbox, out| {
        crate::spec_api::export::<Client>(out, sandbox.base_url(), |scheme| sandbox.credential(scheme));
        // A funnel conversations can be created in (a script's, or the seed-example replay's).
        if let Some(funnel) = funnel {
            out.export("LLAMADAPRO_FUNNEL_ID", funnel.to_string());
        }
        let conversations: Vec<u64> = sandbox.conversations().iter().filter_map(|c| c.id_u64()).collect();
        if let Some(id) = conversations.first() {
            out.export("LLAMADAPRO_CONVERSATION_ID", id.to_string());
        }
        // A LIST custom field, the kind that has options.
        let list = sandbox.custom_field_definitions().into_iter().find(|d| d.field_type == Some(types::CustomFieldType::List));
        if let Some(id) = list.and_then(|d| d.id_u64()) {
            out.export("LLAMADAPRO_LIST_DEFINITION_ID", id.to_string());
        }
        out.samples("contacts", sandbox.contacts(false).iter().filter_map(|c| c.id_u64()))
            .samples("funnel conversations", conversations)
            .samples("calls", sandbox.calls().iter().filter_map(|c| c.id_u64()))
            .samples("messages", sandbox.messages().into_iter().filter_map(|m| m.id))
            .samples("tasks", sandbox.tasks().into_iter().filter_map(|t| t.id));
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_laid_over_the_file() {
        let dir = std::env::temp_dir().join(format!("convo-llamadapro-body-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("contact.json");
        std::fs::write(&file, r#"{"firstName": "A", "customFields": {"a": 1}, "addresses": [{"address": "x"}]}"#)
            .unwrap();
        let mut flags = Map::new();
        flags.insert("firstName".into(), json!("B"));
        flags.insert("customFields".into(), json!({"b": 2}));
        flags.insert("addresses".into(), json!([{"address": "y"}]));
        let merged: Value = body("contact", &JsonArg { json: Some(file.display().to_string()) }, flags).unwrap();
        assert_eq!(
            merged,
            json!({"firstName": "B", "customFields": {"a": 1, "b": 2}, "addresses": [{"address": "x"}, {"address": "y"}]})
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(crate::output::integral(json!({"id": 101.0, "x": [2.5, 3.0]})), json!({"id": 101, "x": [2.5, 3]}));
        assert!(parse_condition("addresses.address:eq:+56 9:1").is_ok());
        assert!(parse_condition("lastName:soto").is_err());
    }
}
