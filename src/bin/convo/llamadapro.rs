//! `convo llamadapro …`: the LlamadaPro public API (beta): the flows one call
//! cannot do (the bulk reports).

use clap::Subcommand;
use convo_clients::llamadapro::types;
use convo_clients::llamadapro::types::{BulkSingleConversationCreateParams, BulkSingleConversationUpdateParams};
use convo_clients::llamadapro::{BulkOutcome, Client};
use convo_clients::sandbox::llamadapro::{LlamadaProConfig, LlamadaProSandbox, LlamadaProState};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::output::{OutputFormat, columns, write_all};
use crate::sandbox::{self, ServeOptions, Served};
use crate::{Context, Failure};

// Its settings are its spec's: the base URL and the `ApiKeyAuth` scheme's key.
pub type Args = crate::connect::Args<crate::spec_api::Settings<Client, LlamadaProState>, LlamadaProCommand>;

#[derive(Subcommand)]
pub(crate) enum LlamadaProCommand {
    /// Funnel conversations, one at a time or in bulk.
    #[command(subcommand)]
    Conversations(ConversationsCommand),
}

/// The bulk items from a file.
#[derive(clap::Args)]
pub(crate) struct JsonArg {
    /// The request body as JSON, or a file of it (`-` reads stdin).
    #[arg(long = "json-body", alias = "json", value_name = "FILE")]
    json: Option<String>,
}

#[derive(Subcommand)]
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

const OUTCOME_COLUMNS: &str = "index:5 outcome:9 id:6 field:12 code:14 message:50";
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
    }
}

/// Bulk items from `--json`: a list, or an object with `conversations`.
fn bulk_items<T: DeserializeOwned>(json: &JsonArg) -> Result<Vec<T>, Failure> {
    let file = json.json.as_deref().ok_or_else(|| usage!("bulk operations take their items from --json-body FILE"))?;
    let value = match crate::values::read_json(file).map_err(|e| usage!("--json-body {e}"))? {
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
    let rows = outcome.items.iter().map(|item| {
        let issue = item.outcome.issues().first();
        json!({
            "index": item.index,
            "outcome": item.outcome.kind(),
            "id": item.outcome.id(),
            "field": issue.and_then(|i| i.field.as_deref()),
            "code": issue.and_then(|i| Some(i.code.as_ref()?.as_str())),
            "message": issue.and_then(|i| i.message.as_deref()),
        })
    });
    write_all(context.output.unwrap_or(OutputFormat::Jsonl), columns(OUTCOME_COLUMNS), rows)?;
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
    use serde_json::{Value, json};

    #[test]
    fn flags_are_laid_over_the_file() {
        let file = json!({"firstName": "A", "customFields": {"a": 1}, "addresses": [{"address": "x"}]});
        let Value::Object(mut merged) = file else { unreachable!() };
        let flags =
            [("firstName", json!("B")), ("customFields", json!({"b": 2})), ("addresses", json!([{"address": "y"}]))];
        for (key, value) in flags {
            crate::operations::lay(&mut merged, key, value);
        }
        assert_eq!(
            Value::Object(merged),
            json!({"firstName": "B", "customFields": {"a": 1, "b": 2}, "addresses": [{"address": "x"}, {"address": "y"}]})
        );
        assert_eq!(crate::output::integral(json!({"id": 101.0, "x": [2.5, 3.0]})), json!({"id": 101, "x": [2.5, 3]}));
    }
}
