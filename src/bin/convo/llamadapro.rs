//! `convo llamadapro …`: the LlamadaPro public API (beta): the flows one call
//! cannot do (the bulk reports, an upload from a local file).

use std::path::PathBuf;

use clap::Subcommand;
use convo_clients::llamadapro::types;
use convo_clients::llamadapro::types::{BulkSingleConversationCreateParams, BulkSingleConversationUpdateParams};
use convo_clients::llamadapro::{BulkOutcome, Client};
use convo_clients::sandbox::llamadapro::{LlamadaProConfig, LlamadaProSandbox, LlamadaProState};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::output::{OutputFormat, RecordWriter, columns, write_one};
use crate::sandbox::{self, ServeOptions, Served};
use crate::{Context, Failure};

// Its settings are its spec's: the base URL and the `ApiKeyAuth` scheme's key.
pub type Args = crate::connect::Args<crate::spec_api::Settings<Client, LlamadaProState>, LlamadaProCommand>;

#[derive(Debug, Subcommand)]
pub(crate) enum LlamadaProCommand {
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

fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err(format!("{text:?} is not KEY=VALUE")),
    }
}

/// The JSON `--json-body` gives.
fn read_json(source: &str) -> Result<Value, Failure> {
    crate::values::read_json(source).map_err(|e| usage!("--json-body {e}"))
}

/// A request body: `--json-body`'s object with the flags laid over it, checked as `T`.
fn body<T: DeserializeOwned>(what: &str, json: &JsonArg, flags: Map<String, Value>) -> Result<T, Failure> {
    let mut base = match &json.json {
        Some(file) => match read_json(file)? {
            Value::Object(map) => map,
            _ => return Err(usage!("--json-body {file}: expected a JSON object")),
        },
        None => Map::new(),
    };
    for (key, value) in flags {
        crate::operations::lay(&mut base, &key, value);
    }
    serde_json::from_value(Value::Object(base)).map_err(|e| usage!("{what}: {e} (set it with a flag or --json-body)"))
}

const OUTCOME_COLUMNS: &str = "index:5 outcome:9 id:6 field:12 code:14 message:50";
const MEDIA_COLUMNS: &str = "fileId:18 mediaId:16 fileName:20 contentType:16 size:8";
pub async fn run(client: Client, command: LlamadaProCommand, context: &Context) -> Result<(), Failure> {
    match command {
        LlamadaProCommand::Conversations(ConversationsCommand::BulkCreate { json }) => {
            let items: Vec<BulkSingleConversationCreateParams> = bulk_items(&json)?;
            let call = client.bulk_create_conversations().body_map(|b| b.conversations(items.clone()));
            let result = call.send().await?.into_inner();
            print_outcome(context, result.pair(&items))
        }
        LlamadaProCommand::Conversations(ConversationsCommand::BulkUpdate { json }) => {
            let items: Vec<BulkSingleConversationUpdateParams> = bulk_items(&json)?;
            let call = client.bulk_update_conversations().body_map(|b| b.conversations(items.clone()));
            let result = call.send().await?.into_inner();
            print_outcome(context, result.pair(&items))
        }
        LlamadaProCommand::Messages(MessagesCommand::UploadMedia { from, file_id, file, content_type, tags, json }) => {
            let tags: Map<String, Value> = tags.into_iter().map(|(k, v)| (k, Value::from(v))).collect();
            let mut m = json!({"fromPhoneNumber": from, "fileId": file_id, "tags": (!tags.is_empty()).then_some(tags)});
            if let Some(path) = &file {
                use base64::Engine;
                let bytes = std::fs::read(path).map_err(|e| usage!("{}: {e}", path.display()))?;
                m["fileName"] = json!(path.file_name().map(|n| n.to_string_lossy()));
                m["contentType"] = json!(content_type.as_deref().unwrap_or("application/octet-stream"));
                m["content"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
            }
            // What no flag gave is left to --json-body.
            let mut flags = m.as_object().cloned().unwrap_or_default();
            flags.retain(|_, v| !v.is_null());
            let upload: types::UploadMediaRequest = body("upload", &json, flags)?;
            let sent = serde_json::to_value(client.upload_media().body(upload).send().await?.into_inner());
            let record = crate::output::integral(sent.map_err(std::io::Error::other)?);
            let format = context.output.unwrap_or(OutputFormat::Json);
            Ok(write_one(format, columns(MEDIA_COLUMNS), &record, std::io::stdout().lock())?)
        }
    }
}

/// Bulk items from `--json`: a list, or an object with `conversations`.
fn bulk_items<T: DeserializeOwned>(json: &JsonArg) -> Result<Vec<T>, Failure> {
    let file = json.json.as_deref().ok_or_else(|| usage!("bulk operations take their items from --json-body FILE"))?;
    let value = match read_json(file)? {
        Value::Object(mut map) => map.remove("conversations").unwrap_or(Value::Null),
        other => other,
    };
    serde_json::from_value(value).map_err(|e| {
        usage!("--json-body {file}: expected a list of conversations (or {{\"conversations\": [...]}}): {e}")
    })
}

/// One line per item with its outcome; fails (exit 1) when any item or the batch
/// failed. The items decide: counts that read otherwise are a warning.
fn print_outcome<T>(context: &Context, outcome: BulkOutcome<'_, T>) -> Result<(), Failure> {
    let mut writer = RecordWriter::new(
        context.output.unwrap_or(OutputFormat::Jsonl),
        columns(OUTCOME_COLUMNS),
        std::io::stdout().lock(),
    );
    for item in &outcome.items {
        let issue = item.outcome.issues().first();
        writer.write(&json!({
            "index": item.index,
            "outcome": item.outcome.kind(),
            "id": item.outcome.id(),
            "field": issue.and_then(|i| i.field.as_deref()),
            "code": issue.and_then(|i| Some(i.code.as_ref()?.as_str())),
            "message": issue.and_then(|i| i.message.as_deref()),
        }))?;
    }
    writer.finish()?;
    let (failed, duplicates, items) = (outcome.failed().count(), outcome.duplicates().count(), outcome.items.len());
    for issue in &outcome.batch_errors {
        eprintln!("batch: {}", convo_clients::redact::escape_controls(issue.message.as_deref().unwrap_or("error")));
    }
    if duplicates > 0 {
        crate::output::note(format_args!("{duplicates} of {items} items were duplicates and were skipped"));
    }
    if !outcome.counts_agree()
        && let Some(counts) = &outcome.counts
    {
        let counts = counts_text(counts);
        crate::output::note(format_args!(
            "warning: the server's counts ({counts}) read otherwise than its report of the {items} items; the report decides"
        ));
    }
    if failed > 0 || !outcome.batch_errors.is_empty() {
        return Err(Failure::Outcome(format!("{failed} of {items} items failed")));
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
        let list =
            sandbox.custom_field_definitions().into_iter().find(|d| d.field_type == Some(types::CustomFieldType::List));
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
    }
}
