//! `convo salesloft …`: Salesloft Conversations.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use convo_clients::salesloft::types::{ConversationSortBy, LanguageCode, MediaType, Platform, SortDirection};
use convo_clients::salesloft::builder::ListConversations;
use convo_clients::salesloft::{ApiKey, Client};
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
use serde::Deserialize;

use crate::output::{Column, OutputFormat, RecordWriter, write_one};
use crate::operations::Call;
use crate::sandbox::{self, ServeOptions, Served};
use crate::values::parse_time;
use crate::{Context, Failure, config};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub(crate) settings: config::WithSecretFiles<Settings>,

    #[command(subcommand)]
    command: SalesloftCommand,
}

// The API's connection settings, global to its subcommands (the generated
// operation commands read them too).
#[derive(clap::Args)]
pub(crate) struct Settings {
    /// API key (ak_…) or OAuth access token. Prefer the environment.
    #[arg(long, global = true, env = "SALESLOFT_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Base URL (default https://api.salesloft.com).
    #[arg(long, global = true, env = "SALESLOFT_BASE_URL")]
    base_url: Option<String>,
}

settings_debug_without_secrets!(Settings);

#[derive(Debug, Subcommand)]
enum SalesloftCommand {
    /// Conversations.
    #[command(subcommand)]
    Conversations(ConversationsCommand),
}

#[derive(Debug, Subcommand)]
enum ConversationsCommand {
    /// List conversations: one page, every page with --all, or every update after --since.
    List(Box<ListArgs>),
    /// One conversation.
    Get {
        id: String,
        /// Include attendees and invitees.
        #[arg(long)]
        extensive: bool,
    },
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Exact title.
    #[arg(long, conflicts_with = "title_prefix")]
    title: Option<String>,
    /// Title prefix.
    #[arg(long)]
    title_prefix: Option<String>,
    /// Created after this time (RFC 3339, or a date for midnight UTC); before --created-before.
    #[arg(long, value_parser = parse_time)]
    created_after: Option<DateTime<Utc>>,
    /// Created before this time (RFC 3339, or a date for midnight UTC); an empty range is refused.
    #[arg(long, value_parser = parse_time)]
    created_before: Option<DateTime<Utc>>,
    /// Updated after this time (RFC 3339, or a date for midnight UTC); before --updated-before.
    #[arg(long, value_parser = parse_time, conflicts_with = "since")]
    updated_after: Option<DateTime<Utc>>,
    /// Updated before this time (--until is the same); an empty range is refused.
    #[arg(long, visible_alias = "until", value_parser = parse_time)]
    updated_before: Option<DateTime<Utc>>,
    /// Longer than this many milliseconds.
    #[arg(long)]
    longer_than_ms: Option<i64>,
    /// Shorter than this many milliseconds.
    #[arg(long)]
    shorter_than_ms: Option<i64>,
    /// Recording platform, e.g. zoom, ms_teams, google_meet, webex, manual_upload.
    #[arg(long, value_parser = parse_enum::<Platform>)]
    platform: Option<Platform>,
    /// Language code of the conversation, e.g. en-US.
    #[arg(long, value_parser = parse_enum::<LanguageCode>)]
    language: Option<LanguageCode>,
    /// Media type: audio or video.
    #[arg(long, value_parser = parse_enum::<MediaType>)]
    media: Option<MediaType>,
    /// Owner UUID; repeat for more.
    #[arg(long = "owner")]
    owners: Vec<String>,
    /// Recording user's GUID; repeat for more.
    #[arg(long = "recorded-by")]
    recorded_by: Vec<String>,
    /// Conversation id; repeat for more.
    #[arg(long = "id")]
    ids: Vec<String>,
    /// Account id; repeat for more.
    #[arg(long = "account")]
    accounts: Vec<String>,
    /// Person id; repeat for more.
    #[arg(long = "person")]
    people: Vec<String>,
    /// Only conversations created (true) or not created (false) through the API.
    #[arg(long)]
    api: Option<bool>,
    /// Sort as FIELD[:asc|desc]. Fields: created_at (the API's default), updated_at, duration.
    /// The direction defaults to desc.
    #[arg(long, value_name = "FIELD[:asc|desc]", value_parser = parse_sort, conflicts_with = "since")]
    sort: Option<(ConversationSortBy, SortDirection)>,
    /// Records per page, 1 to 100.
    #[arg(long, alias = "per-page", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    page_size: Option<u32>,
    /// The page to print (without --all).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..), conflicts_with_all = ["all", "since"])]
    page: u32,
    /// Follow every page to the end, printing as they arrive.
    #[arg(long, conflicts_with = "since")]
    all: bool,
    /// Every conversation updated after this time (RFC 3339, or a date for midnight UTC), oldest
    /// update first, by moving an updated_at cursor.
    #[arg(long, value_parser = parse_time)]
    since: Option<DateTime<Utc>>,
    #[command(flatten)]
    resume: crate::export::ResumeArgs,
}


fn parse_enum<T: std::str::FromStr<Err = convo_clients::UnknownVariant>>(text: &str) -> Result<T, String> {
    text.parse().map_err(|e: convo_clients::UnknownVariant| e.to_string())
}

fn parse_sort(text: &str) -> Result<(ConversationSortBy, SortDirection), String> {
    let (field, direction) = text.split_once(':').unwrap_or((text, "desc"));
    Ok((parse_enum(field)?, parse_enum(&direction.to_ascii_lowercase())?))
}

const CONVERSATION_COLUMNS: &[Column] = &[
    Column { header: "id", key: "id", width: 36 },
    Column { header: "created_at", key: "created_at", width: 20 },
    Column { header: "updated_at", key: "updated_at", width: 20 },
    Column { header: "platform", key: "platform", width: 13 },
    Column { header: "media", key: "media_type", width: 5 },
    Column { header: "duration_ms", key: "duration", width: 11 },
    Column { header: "title", key: "title", width: 32 },
    Column { header: "owner_id", key: "owner_id", width: 36 },
];

pub async fn run(args: Args, context: &Context) -> Result<(), Failure> {
    let (client, _sandbox) = connect(&args.settings, context).await?;
    let out = std::io::stdout().lock();
    match args.command {
        SalesloftCommand::Conversations(ConversationsCommand::List(list)) => {
            run_list(&client, *list, context, out).await
        }
        SalesloftCommand::Conversations(ConversationsCommand::Get { id, extensive }) => {
            let value = if extensive {
                let response = client.get_conversation_extensive().id(id).send().await;
                serde_json::to_value(response.map_err(convo_clients::Error::from)?.into_inner().data)
            } else {
                let response = client.get_conversation().id(id).send().await;
                serde_json::to_value(response.map_err(convo_clients::Error::from)?.into_inner().data)
            }
            .map_err(std::io::Error::other)?;
            write_one(context.output.unwrap_or(OutputFormat::Json), CONVERSATION_COLUMNS, &value, out)?;
            Ok(())
        }
    }
}

fn query<'c>(client: &'c Client, list: &ListArgs) -> ListConversations<'c> {
    let mut q = client.list_conversations();
    if let Some(t) = &list.title {
        q = q.title(t.clone());
    }
    if let Some(p) = &list.title_prefix {
        q = q.title_starts_with(p.clone());
    }
    type Bound<'c> = fn(ListConversations<'c>, DateTime<Utc>) -> ListConversations<'c>;
    let times: [(Option<DateTime<Utc>>, Bound<'c>); 4] = [
        (list.created_after, |q, t| q.created_at_gt(t)),
        (list.created_before, |q, t| q.created_at_lt(t)),
        (list.updated_after, |q, t| q.updated_at_gt(t)),
        (list.updated_before, |q, t| q.updated_at_lt(t)),
    ];
    for (value, apply) in times {
        if let Some(t) = value {
            q = apply(q, t);
        }
    }
    if let Some(ms) = list.longer_than_ms {
        q = q.duration_gt(ms);
    }
    if let Some(ms) = list.shorter_than_ms {
        q = q.duration_lt(ms);
    }
    if let Some(p) = &list.platform {
        q = q.platform(p.clone());
    }
    if let Some(l) = &list.language {
        q = q.language_code(l.clone());
    }
    if let Some(m) = &list.media {
        q = q.media_type(m.clone());
    }
    type Ids<'c> = fn(ListConversations<'c>, Vec<String>) -> ListConversations<'c>;
    let lists: [(&Vec<String>, Ids<'c>); 5] = [
        (&list.owners, |q, v| q.owner_ids(v)),
        (&list.recorded_by, |q, v| q.user_guids(v)),
        (&list.ids, |q, v| q.ids(v)),
        (&list.accounts, |q, v| q.account_ids(v)),
        (&list.people, |q, v| q.person_ids(v)),
    ];
    for (values, apply) in lists {
        if !values.is_empty() {
            q = apply(q, values.clone());
        }
    }
    if let Some(api) = list.api {
        q = q.is_api(api);
    }
    if let Some((by, direction)) = &list.sort {
        q = q.sort_by(by.clone()).sort_direction(direction.clone());
    }
    if let Some(n) = list.page_size {
        q = q.per_page(n);
    }
    q
}

async fn run_list(client: &Client, list: ListArgs, context: &Context, out: impl Write) -> Result<(), Failure> {
    let q = query(client, &list);
    let mut writer = RecordWriter::new(context.output.unwrap_or(OutputFormat::Jsonl), CONVERSATION_COLUMNS, out);
    // The total, for the progress bar, where the walk is the query's own
    // (an `updated_since` walk adds its own time window).
    let total = match (list.since, list.all) {
        (None, true) => {
            crate::export::total(&list.resume, || async {
                let page = q.clone().per_page(1).include_paging_counts(true).page(1).send().await?.into_inner();
                Ok(page.metadata.paging.total_count.and_then(|n| u64::try_from(n).ok()))
            })
            .await
        }
        _ => None,
    };
    let stream = match (list.since, list.all) {
        (Some(since), _) => client.updated_since(since, q.per_page(list.page_size.unwrap_or(100))),
        (None, true) => q.stream(),
        (None, false) => {
            for conversation in q.page(list.page).send().await.map_err(convo_clients::Error::from)?.into_inner().data {
                writer.write(&conversation)?;
            }
            writer.finish()?;
            return Ok(());
        }
    };
    crate::export::all(stream, &list.resume, &mut writer, "conversations", total, crate::export::as_is).await?;
    writer.finish()?;
    Ok(())
}

pub(crate) async fn connect(args: &Settings, context: &Context) -> Result<(Client, Option<SalesloftSandbox>), Failure> {
    if context.sandbox {
        let sandbox: SalesloftSandbox = crate::sandbox::start(SalesloftConfig::default()).await?;
        let client = Client::builder(ApiKey(sandbox.api_key().into())).base_url(sandbox.base_url()).config(context.client_config.clone()).build()?;
        return Ok((client, Some(sandbox)));
    }
    let profile = config::profile::<SalesloftProfile>(context.profile.as_deref(), "salesloft")?;
    let key = args.api_key.clone().or(profile.api_key).ok_or_else(|| config::missing("SALESLOFT_API_KEY", "--api-key"))?;
    let mut builder = Client::builder(ApiKey(key.into()));
    if let Some(url) = args.base_url.clone().or(profile.base_url) {
        builder = builder.base_url(url);
    }
    Ok((builder.config(context.client_config.clone()).build()?, None))
}

/// Sends one of the spec's operations (`convo salesloft <operation-id>`).
pub(crate) async fn send_operation(call: Call<'_>) -> Result<(), Failure> {
    let (client, _sandbox) = connect(&call.settings()?, call.context).await?;
    call.send(client.generated(), &BTreeMap::new()).await
}

/// Serves the emulator for `convo sandbox serve` and prints its settings.
pub(crate) async fn serve(options: &ServeOptions) -> Result<Served, Failure> {
    let default = SalesloftConfig::default();
    let conversations = options.records.unwrap_or(default.conversations);
    let budget = options.rate_limit_budget.unwrap_or(default.budget);
    let config = SalesloftConfig { harness: options.harness.clone(), conversations, budget, ..default };
    sandbox::serve_api("salesloft", options, config, |sandbox: &SalesloftSandbox, out| {
        out.export("SALESLOFT_BASE_URL", sandbox.base_url()).export("SALESLOFT_API_KEY", sandbox.api_key());
        out.samples("conversations", (0..conversations).filter_map(|i| sandbox.conversation_id(i)));
    })
    .await
}

/// This API's table in a config profile.
#[derive(Default, Deserialize)]
pub struct SalesloftProfile {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
}

settings_debug_without_secrets!(SalesloftProfile);
