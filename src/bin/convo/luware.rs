//! `convo luware …`: the Luware Recording API.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Subcommand, ValueEnum};
use convo_clients::Error;
use convo_clients::luware::types::SortOrder;
use convo_clients::luware::{
    Client, DEFAULT_TRANSCRIPT_CONCURRENCY, Filter, Filters, SearchRequest, Transcript, decode_vtr, write_vtr_json,
};
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox, LuwareState};
use futures::StreamExt;
use serde_json::json;

use crate::export::ResumeArgs;
use crate::output::{OutputFormat, RecordWriter, columns};
use crate::sandbox::{self, ServeOptions, Served};
use crate::values::parse_time;
use crate::{Context, Failure};

// Its settings are its spec's: the base URL, the `subscriptionKey` scheme's
// key, and the fields of `requestToken`, which gives the `bearerToken` (`x-token`).
pub type Args = crate::connect::Args<crate::spec_api::Settings<Client, LuwareState>, LuwareCommand>;

#[derive(Subcommand)]
pub(crate) enum LuwareCommand {
    /// Search and read conversations.
    #[command(subcommand)]
    Conversations(ConversationsCommand),
    /// Print a conversation's Speech Analytics transcript (.vtr).
    Transcript {
        ccdr_id: String,
        /// `text` (the default): one line per utterance with time and speaker; `json`: the whole
        /// transcript; `vtr`: the archive as the API serves it (binary: redirect it to a file).
        /// Without --format, --output applies: json prints the whole transcript, jsonl, table and
        /// csv one record per utterance (start, end, speaker, text).
        #[arg(long, value_enum)]
        format: Option<TranscriptFormat>,
        /// The archive as the API serves it, unparsed (same as --format vtr).
        #[arg(long, conflicts_with = "format")]
        raw: bool,
    },
    /// Download the transcript of every conversation a search finds into a
    /// directory, several at a time. Files already there are skipped, so a
    /// rerun of a stopped download completes it; conversations without Speech
    /// Analytics output are counted, not failed. Exits 1 if any download failed.
    Transcripts {
        #[command(flatten)]
        search: SearchArgs,
        /// Directory for the files, `<ccdrId>.vtr` (or `.json`, `.txt`); created if missing.
        /// The files are readable by you only.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Downloads at once.
        #[arg(long, value_name = "N", default_value_t = DEFAULT_TRANSCRIPT_CONCURRENCY as u16, value_parser = clap::value_parser!(u16).range(1..=64))]
        concurrency: u16,
        /// `vtr` (the default): the archive as served; `json`: the decoded transcript; `text`: one
        /// line per utterance.
        #[arg(long, value_enum, default_value = "vtr")]
        format: TranscriptFormat,
    },
}

/// Which conversations a search finds.
#[derive(clap::Args)]
pub(crate) struct SearchArgs {
    /// A filter in compact form, e.g. 'platformName=Microsoft Teams', 'startTime>=2024-07-01',
    /// 'sourceCallerId^=+44', 'startTime=2024-07-01..2024-07-31'. Repeat to AND them.
    #[arg(long = "filter", value_name = "EXPR", value_parser = str::parse::<Filter>)]
    filters: Vec<Filter>,
    /// Only conversations that started at or after this time (RFC 3339, or a date for midnight UTC).
    #[arg(long, value_parser = parse_time)]
    since: Option<DateTime<Utc>>,
    /// Only conversations that started before this time (RFC 3339, or a date for midnight UTC).
    #[arg(long, value_parser = parse_time)]
    until: Option<DateTime<Utc>>,
}

impl SearchArgs {
    fn filters(self) -> Filters {
        let mut filters = self.filters.into_iter().collect::<Filters>();
        if let Some(since) = self.since {
            filters = filters.started_at_or_after(since.naive_utc());
        }
        if let Some(until) = self.until {
            filters = filters.started_before(until.naive_utc());
        }
        filters
    }
}

#[derive(Subcommand)]
pub(crate) enum ConversationsCommand {
    /// Search conversations; prints the first page, or every page with --all.
    List {
        #[command(flatten)]
        search: SearchArgs,
        /// Records per page, 1 to 100.
        #[arg(long, alias = "limit", value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
        page_size: u32,
        /// Sort as FIELD[:asc|desc]. Fields: startTime (the only one the API documents).
        /// The direction defaults to asc.
        #[arg(long, value_name = "FIELD[:asc|desc]", value_parser = parse_sort)]
        sort: Option<SortOrder>,
        /// Follow nextPageToken to the end, printing as records arrive. The
        /// export is sorted by startTime (ascending unless --sort says
        /// otherwise), so that when a page token expires it continues from
        /// the last record's start time.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        resume: ResumeArgs,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TranscriptFormat {
    /// A line per utterance: time, speaker, text.
    Text,
    /// The transcript's JSON as the archive holds it, indented; streamed, so
    /// memory does not grow with the transcript.
    Json,
    /// The `.vtr` archive as served (a ZIP).
    Vtr,
}

fn parse_sort(text: &str) -> Result<SortOrder, String> {
    let (field, direction) = text.split_once(':').unwrap_or((text, "asc"));
    match (field, direction.to_ascii_lowercase().as_str()) {
        ("startTime", "asc") => Ok(SortOrder::Asc),
        ("startTime", "desc") => Ok(SortOrder::Desc),
        _ => Err(format!("{text:?} is not FIELD[:asc|desc] with FIELD startTime")),
    }
}

/// Table and csv columns of a conversation.
const CONVERSATION_COLUMNS: &str = concat!(
    "ccdrId:36 startTime:23 platform=platformName:20 modality=modalityName:8 direction:10 ",
    "user=verbaUserName:16 from=sourceCallerId:24 to=destinationCallerId:24"
);

/// Table and csv columns of a transcript's utterances.
const UTTERANCE_COLUMNS: &str = "start:8 end:8 speaker:16 text:60";

pub async fn run(client: Client, command: LuwareCommand, context: &Context) -> Result<(), Failure> {
    let stdout = std::io::stdout().lock();
    match command {
        LuwareCommand::Conversations(ConversationsCommand::List { search, page_size, sort, all, resume }) => {
            let mut request = SearchRequest::new(search.filters()).limit(page_size);
            // `--all` sorts by start time, so that an expired page token continues from the last record.
            if let Some(order) = sort.or(all.then_some(SortOrder::Asc)) {
                request = request.sort_by_start_time(order);
            }
            let format = context.output.unwrap_or(OutputFormat::Jsonl);
            let mut writer = RecordWriter::new(format, columns(CONVERSATION_COLUMNS), stdout);
            if all {
                crate::export::all(client.search(request), &resume, &mut writer, "conversations").await?;
            } else {
                let page = request.call(&client)?.send().await?.into_inner();
                for conversation in &page.conversations {
                    writer.write(conversation)?;
                }
                // One page is what was asked for; say that it is not all.
                if page.next_page_token.is_some_and(|token| !token.is_empty()) {
                    crate::output::note(format_args!(
                        "more conversations match: --all prints every page (or search-conversations --next-page-token)"
                    ));
                }
            }
            writer.finish()?;
            Ok(())
        }
        LuwareCommand::Transcripts { search, out, concurrency, format } => {
            download_transcripts(&client, search.filters(), &out, usize::from(concurrency), format).await
        }
        // The archive as served, or its own JSON, indented as it inflates: never held whole.
        LuwareCommand::Transcript { ccdr_id, format, raw }
            if raw
                || format.is_some_and(|format| format != TranscriptFormat::Text)
                || (format.is_none() && context.output == Some(OutputFormat::Json)) =>
        {
            let format = if raw { TranscriptFormat::Vtr } else { format.unwrap_or(TranscriptFormat::Json) };
            if format == TranscriptFormat::Vtr && std::io::IsTerminal::is_terminal(&stdout) {
                return Err(Failure::Usage("the .vtr archive is binary: redirect it to a file (> x.vtr)".into()));
            }
            Ok(write_transcript(&client.transcript_vtr(&ccdr_id).await?, format, BufWriter::new(stdout))?)
        }
        LuwareCommand::Transcript { ccdr_id, format, .. } => {
            let transcript = client.transcript(&ccdr_id).await?;
            // Nothing printed and exit 0 would look like a failure to print.
            if transcript.is_empty() {
                let id = convo_clients::redact::escape_controls(&ccdr_id);
                crate::output::note(format_args!("the transcript of {id} is empty: it holds no utterances or words"));
            }
            match (format, context.output) {
                // One record per utterance.
                (None, Some(output)) => {
                    let utterances = transcript
                        .utterances()
                        .map(|u| json!({ "start": u.start, "end": u.end, "speaker": u.speaker, "text": u.text }));
                    crate::output::write_all(output, columns(UTTERANCE_COLUMNS), utterances)?;
                }
                _ => write_text(&transcript, BufWriter::new(stdout))?,
            }
            Ok(())
        }
    }
}

/// Writes a decoded transcript as text, a line per utterance.
fn write_text(transcript: &Transcript, mut out: impl Write) -> std::io::Result<()> {
    for utterance in transcript.utterances() {
        writeln!(out, "{}", convo_clients::redact::escape_controls(&utterance.to_string()))?;
    }
    out.flush()
}

/// `convo luware transcripts`: every match of `filters`, `concurrency`
/// downloads at a time, into `dir` (created 0700; files 0600: they hold
/// what was said). A file appears whole or not at all (written beside, then
/// renamed), so what is there is complete and a rerun only fetches the rest.
async fn download_transcripts(
    client: &Client,
    filters: Filters,
    dir: &Path,
    concurrency: usize,
    format: TranscriptFormat,
) -> Result<(), Failure> {
    crate::files::create_private_dir(dir).map_err(|e| usage!("--out {}: {e}", dir.display()))?;
    let extension = match format {
        TranscriptFormat::Vtr => "vtr",
        TranscriptFormat::Json => "json",
        TranscriptFormat::Text => "txt",
    };
    // The matches first (sorted by start time, so an expired page token continues), then the downloads.
    let search = client.search(SearchRequest::new(filters).limit(100).sort_by_start_time(SortOrder::Asc));
    let mut search = std::pin::pin!(search);
    let (mut wanted, mut present, mut failed) = (Vec::new(), 0u64, Vec::new());
    while let Some(conversation) = search.next().await {
        let id = conversation?.ccdr_id;
        match transcript_path(dir, &id, extension) {
            Some(path) if path.exists() => present += 1,
            Some(_) => wanted.push(id),
            None => failed.push((id, "the id cannot be a file name".to_string())),
        }
    }
    let bar = crate::output::progress(Some(wanted.len() as u64), "transcripts");
    let (mut written, mut without) = (0u64, 0u64);
    let save = |path: &Path, vtr: &[u8]| crate::files::write_private(path, |file| write_transcript(vtr, format, file));
    let mut files = client.transcript_files(wanted, concurrency);
    while let Some((id, vtr)) = files.next().await {
        match vtr {
            Ok(vtr) => match transcript_path(dir, &id, extension).map(|path| save(&path, &vtr)) {
                Some(Ok(())) => written += 1,
                Some(Err(e)) => failed.push((id, e.to_string())),
                None => failed.push((id, "the id cannot be a file name".to_string())),
            },
            // The API's answer for a conversation without Speech Analytics output.
            Err(Error::Status { status, .. }) if status.as_u16() == 404 => without += 1,
            Err(e) => failed.push((id, e.to_string())),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let (shown, n) = (dir.display(), failed.len());
    crate::output::note(format_args!(
        "{written} transcripts written to {shown}, {present} already there, {without} conversations without one, {n} failed"
    ));
    for (id, why) in &failed {
        eprintln!("  {}: {}", convo_clients::redact::escape_controls(id), convo_clients::redact::escape_controls(why));
    }
    match failed.len() {
        0 => Ok(()),
        n => Err(Failure::Outcome(format!("{n} transcripts failed; rerun the command to fetch them"))),
    }
}

/// `dir/<ccdrId>.<extension>`, for an id that is a plain file name (the
/// server's ids are UUIDs; anything else is not made a path).
fn transcript_path(dir: &Path, ccdr_id: &str, extension: &str) -> Option<PathBuf> {
    let plain = !ccdr_id.is_empty()
        && !ccdr_id.starts_with('.')
        && ccdr_id.len() <= 128
        && ccdr_id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    plain.then(|| dir.join(format!("{ccdr_id}.{extension}")))
}

/// Writes a `.vtr` archive as `format` says: as it is, as its JSON, or as text.
fn write_transcript(vtr: &[u8], format: TranscriptFormat, mut out: impl Write) -> std::io::Result<()> {
    match format {
        TranscriptFormat::Vtr => out.write_all(vtr).and_then(|()| out.flush()),
        // Indented, streamed from the archive.
        TranscriptFormat::Json => {
            write_vtr_json(vtr, &Default::default(), &mut out, true).map_err(std::io::Error::other)?;
            writeln!(out)?;
            out.flush()
        }
        TranscriptFormat::Text => {
            let transcript = decode_vtr(vtr, &Default::default()).map_err(std::io::Error::other)?;
            write_text(&transcript, out)
        }
    }
}

/// Serves the emulator for `convo sandbox serve` and prints its settings.
pub(crate) async fn serve(options: &ServeOptions) -> Result<Served, Failure> {
    let conversations = options.records.unwrap_or(LuwareConfig::default().conversations);
    let config = LuwareConfig {
        conversations,
        token_lifetime: std::time::Duration::from_secs(options.token_lifetime),
        transcript_utterances: options.transcript_utterances.unwrap_or(LuwareConfig::default().transcript_utterances),
        harness: options.harness.clone(),
        ..LuwareConfig::default()
    };
    sandbox::serve_api("luware", options, config, |sandbox: &LuwareSandbox, out| {
        crate::spec_api::export::<Client>(out, sandbox.base_url(), |name| sandbox.credential(name));
        let c = sandbox.credentials();
        // The token form's values URL-encoded, as the vendor's example writes
        // them (`x-provenance` of the `TokenRequest` schema in specs/luware.yaml).
        let form = |v: &str| serde_urlencoded::to_string([("v", v)]).unwrap_or_default().split_off(2);
        out.export("LUWARE_CLIENT_ID_FORM", form(&c.client_id))
            .export("LUWARE_CLIENT_SECRET_FORM", form(c.client_secret.expose()));
        // Conversations the control actions apply to (`x-provenance` of the
        // `action` parameter of `controlConversation` in specs/luware.yaml).
        if let Some(id) = sandbox.controlled_conversation_id() {
            out.export("LUWARE_CCDR_ID", id);
        }
        if let Some(id) = sandbox.on_demand_conversation_id() {
            out.export("LUWARE_ONDEMAND_CCDR_ID", id);
        }
        out.samples("conversations", (0..conversations).map(|i| sandbox.conversation_id(i)));
    })
    .await
}
