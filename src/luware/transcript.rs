//! Luware Recording speech-analytics transcripts (`.vtr` files).
//!
//! `GET vfcrest/v1/conversations/{ccdrId}/media?fileExtension=vtr` streams a
//! `.vtr` file: a ZIP archive holding one UTF-8 JSON document in the Verba
//! transcript format. This module
//!
//! * collects a streamed body under a size cap ([`VtrCollector`]),
//! * unpacks it with bounded decompression, so a zip bomb cannot exhaust
//!   memory ([`decode_vtr`], [`TranscriptLimits`]),
//! * parses the JSON into [`Transcript`].
//!
//! (The emulator writes `.vtr` archives: `sandbox::luware::encode_vtr`.)
//!
//! # What is known about the format
//!
//! The Verba page "Verba transcript file (.vtr) format" documents the
//! top-level keys `provider`, `language` (comma-separated), `speakers`,
//! `topics`, `words` and `tcus` (turn construction units, i.e. utterances),
//! and the speaker object (`id`, `iv_id`, `iv_label`, `sentiment`).
//! The keys *inside* topics, words and tcus are **not** documented. The names
//! used here for them are inferred (the word fields follow Verba's transcript
//! export page) and are marked "Inferred" on each field.
//!
//! Because of that, every field is optional, the inferred numeric fields also
//! accept numbers sent as strings, and every struct keeps the keys it does not
//! know in an `extra` map. Nothing the vendor sends is dropped, and
//! re-serialising a [`Transcript`] writes those keys back.
//!
//! ```no_run
//! # use convo_clients::luware::transcript::{decode_vtr, TranscriptLimits};
//! # fn demo(body: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let transcript = decode_vtr(body, &TranscriptLimits::default())?;
//! for utterance in transcript.utterances() {
//!     println!("{utterance}"); // "[0:00:01.20] Speaker 1: Hello, how can I help?"
//! }
//! # Ok(()) }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::io::{BufRead, Cursor, Read, Write};

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zip::ZipArchive;
use zip::result::ZipError;

/// Declares the transcript objects: every field optional (missing or `null`
/// is `None`, which is left out when written) and read by `$read`, then the
/// `lists` if any (missing or `null` is empty), and the keys the type does not
/// know kept in `extra`.
macro_rules! vtr_objects {
    ($(
        $(#[$meta:meta])* $name:ident, read by $read:literal, unknown $what:literal
        $(, lists { $($(#[$ldoc:meta])* $list:ident: $item:ty,)* })? { $($(#[$doc:meta])* $field:ident: $ty:ty,)* }
    )*) => {$(
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        $(#[$meta])*
        pub struct $name {
            $(
                $(#[$doc])*
                #[serde(default, deserialize_with = $read, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            $($(
                $(#[$ldoc])*
                #[serde(default, deserialize_with = "null_as_default")]
                pub $list: Vec<$item>,
            )*)?
            #[doc = concat!($what, " keys this type does not know.")]
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    )*};
}

vtr_objects! {
    /// A parsed `.vtr` transcript.
    ///
    /// Top-level keys are documented by Verba; unknown keys land in
    /// [`extra`](Self::extra).
    Transcript, read by "Option::deserialize", unknown "Top-level", lists {
        /// Speakers; the rest of the document refers to them by [`Speaker::id`].
        speakers: Speaker,
        /// Topics found in the conversation.
        topics: Topic,
        /// Recognised words, in chronological order.
        words: Word,
        /// Turn construction units (utterances). See
        /// [`utterances`](Self::utterances) for a time-ordered view.
        tcus: Tcu,
    } {
        /// Engine that produced the transcript, e.g. `"intelligentvoice"` or
        /// `"speechmatics"`.
        provider: String,
        /// Comma-separated languages, as configured or detected. See
        /// [`languages`](Self::languages) for the split list.
        language: String,
    }

    /// A speaker (documented by Verba).
    Speaker, read by "Option::deserialize", unknown "Speaker" {
        /// Id local to this conversation, e.g. `"Speaker 1"`; words and tcus refer
        /// to the speaker by it.
        id: String,
        /// Display name. Inferred: Verba's overview mentions a speaker "name" but
        /// its example has no such key.
        name: String,
        /// Intelligent Voice only: global speaker id in the IV database.
        iv_id: i64,
        /// Intelligent Voice only: diarisation label, e.g. `"Channel 1"`.
        iv_label: String,
        /// Intelligent Voice only, when sentiment processing was enabled.
        sentiment: SpeakerSentiment,
    }

    /// Per-speaker sentiment values from Intelligent Voice (documented by Verba).
    #[serde(rename_all = "camelCase")]
    SpeakerSentiment, read by "Option::deserialize", unknown "Sentiment" {
        /// `positiveAggregatedSentiment`.
        positive_aggregated_sentiment: f64,
        /// `negativeAggregatedSentiment`.
        negative_aggregated_sentiment: f64,
        /// `sentimentGradient`.
        sentiment_gradient: f64,
        /// `normalisedSentimentGradient`.
        normalised_sentiment_gradient: f64,
        /// `sentimentIntercept`.
        sentiment_intercept: f64,
        /// `sentimentOutcome`.
        sentiment_outcome: f64,
    }

    /// A topic found in the conversation.
    ///
    /// Verba only says topics carry "score, positions and other information";
    /// both field names below are inferred. Positions and anything else stay in
    /// [`extra`](Self::extra).
    Topic, read by "Lenient::read", unknown "Topic" {
        /// Inferred: topic name. See [`label`](Self::label) for fallbacks.
        name: String,
        /// Inferred: relevance score.
        score: f64,
    }

    /// One recognised word.
    ///
    /// Field names are inferred from Verba's transcript export page (`word`,
    /// `confidence`, `speaker`, `time`, `duration`); the `.vtr` spec does not list
    /// them. Position, alternatives and the like stay in [`extra`](Self::extra).
    Word, read by "Lenient::read", unknown "Word" {
        /// Inferred: the recognised word.
        word: String,
        /// Inferred: start, in seconds from the start of the recording.
        time: f64,
        /// Inferred: length in seconds.
        duration: f64,
        /// Inferred: recognition confidence, typically 0.0 to 1.0.
        confidence: f64,
        /// Inferred: the [`Speaker::id`] of the speaker.
        speaker: String,
    }

    /// A turn construction unit: one utterance by one speaker.
    ///
    /// Verba says tcus carry "text, speaker, time and sentiment value"; all field
    /// names below are inferred. Timing is accepted either as `start`/`end` or,
    /// like words, as `time`/`duration`; use [`start_seconds`](Self::start_seconds)
    /// and [`end_seconds`](Self::end_seconds) rather than the raw fields.
    Tcu, read by "Lenient::read", unknown "Tcu" {
        /// Inferred: the utterance text.
        text: String,
        /// Inferred: the [`Speaker::id`] of the speaker.
        speaker: String,
        /// Inferred: start, in seconds.
        start: f64,
        /// Inferred: end, in seconds.
        end: f64,
        /// Inferred: start, in seconds (word-style alternative to `start`).
        time: f64,
        /// Inferred: length in seconds (word-style alternative to `end`).
        duration: f64,
        /// Inferred: sentiment. Kept as raw JSON because its shape (number or
        /// object) is unknown; see [`sentiment_score`](Self::sentiment_score).
        sentiment: Value,
    }
}

impl Transcript {
    /// Parses transcript JSON, tolerating a leading UTF-8 byte-order mark.
    ///
    /// # Errors
    ///
    /// When the bytes are not JSON or do not fit [`Transcript`].
    pub fn from_json_slice(json: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json.strip_prefix(BOM).unwrap_or(json))
    }

    /// The languages from [`language`](Self::language), split on commas and
    /// trimmed; empty items are skipped.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.language.as_deref().unwrap_or_default().split(',').map(str::trim).filter(|lang| !lang.is_empty())
    }

    /// The speaker whose [`Speaker::id`] is `id`.
    #[must_use]
    pub fn speaker(&self, id: &str) -> Option<&Speaker> {
        self.speakers.iter().find(|s| s.id.as_deref() == Some(id))
    }

    /// Whether the transcript holds nothing said: no utterances and no
    /// words (an archive whose JSON is `{}` decodes to one).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tcus.is_empty() && self.words.is_empty()
    }

    /// The tcus as [`Utterance`]s, ordered by start time.
    ///
    /// The sort is stable: tcus with equal start keep document order, and tcus
    /// without a start time come last, in document order. Each utterance's
    /// `Display` is one line: `[h:mm:ss.cc] speaker: text`.
    pub fn utterances(&self) -> impl Iterator<Item = Utterance<'_>> {
        let mut list: Vec<Utterance<'_>> = self
            .tcus
            .iter()
            .map(|tcu| Utterance {
                start: tcu.start_seconds(),
                end: tcu.end_seconds(),
                speaker: tcu.speaker_label(self),
                text: tcu.text.as_deref().unwrap_or_default(),
                tcu,
            })
            .collect();
        list.sort_by(|a, b| match (a.start, b.start) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (x, y) => y.is_some().cmp(&x.is_some()), // No start: last.
        });
        list.into_iter()
    }
}

impl Speaker {
    /// A name to show for this speaker: [`name`](Self::name), else
    /// [`id`](Self::id), else [`iv_label`](Self::iv_label).
    #[must_use]
    pub fn label(&self) -> Option<&str> {
        self.name.as_deref().or(self.id.as_deref()).or(self.iv_label.as_deref())
    }
}

impl Topic {
    /// A name to show for this topic: [`name`](Self::name), else a string
    /// under `topic`, `text` or `label` in [`extra`](Self::extra).
    #[must_use]
    pub fn label(&self) -> Option<&str> {
        self.name
            .as_deref()
            .or_else(|| ["topic", "text", "label"].iter().find_map(|key| self.extra.get(*key).and_then(Value::as_str)))
    }
}

impl Word {
    /// End of the word in seconds: `time + duration`, when both are known.
    #[must_use]
    pub fn end_seconds(&self) -> Option<f64> {
        Some(self.time? + self.duration?)
    }
}

impl Tcu {
    /// Start in seconds: `start`, else `time`.
    #[must_use]
    pub fn start_seconds(&self) -> Option<f64> {
        self.start.or(self.time)
    }

    /// End in seconds: `end`, else start plus `duration`.
    #[must_use]
    pub fn end_seconds(&self) -> Option<f64> {
        self.end.or_else(|| Some(self.start_seconds()? + self.duration?))
    }

    /// A name to show for the speaker: the matching speaker's
    /// [`Speaker::label`], else the raw speaker reference.
    #[must_use]
    pub fn speaker_label<'a>(&'a self, transcript: &'a Transcript) -> Option<&'a str> {
        let id = self.speaker.as_deref()?;
        Some(transcript.speaker(id).and_then(Speaker::label).unwrap_or(id))
    }

    /// The sentiment as a number, when it is a JSON number or numeric string.
    #[must_use]
    pub fn sentiment_score(&self) -> Option<f64> {
        match self.sentiment.as_ref()? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// A time-ordered view of one [`Tcu`], from [`Transcript::utterances`].
///
/// `Display` prints one line, `[h:mm:ss.cc] speaker: text`, with unknown
/// parts shown as `-:--:--.--` and `?` and line breaks in the text replaced
/// by spaces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Utterance<'a> {
    /// Start in seconds ([`Tcu::start_seconds`]).
    pub start: Option<f64>,
    /// End in seconds ([`Tcu::end_seconds`]).
    pub end: Option<f64>,
    /// Speaker to show ([`Tcu::speaker_label`]).
    pub speaker: Option<&'a str>,
    /// The text; empty when the tcu has none.
    pub text: &'a str,
    /// The underlying tcu, for sentiment and vendor-specific keys.
    pub tcu: &'a Tcu,
}

impl fmt::Display for Utterance<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.start {
            Some(start) => write!(f, "[{}] ", Timestamp(start))?,
            None => f.write_str("[-:--:--.--] ")?,
        }
        write!(f, "{}: {}", self.speaker.unwrap_or("?"), self.text.replace(['\r', '\n'], " "))
    }
}

/// Seconds shown as `h:mm:ss.cc`; negative or non-finite values as `-:--:--.--`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timestamp(pub f64);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.is_finite() || self.0 < 0.0 {
            return f.write_str("-:--:--.--");
        }
        // `as` saturates, so absurdly large values cannot overflow.
        let centis = (self.0 * 100.0).round() as u64;
        let (hours, rest) = (centis / 360_000, centis % 360_000);
        write!(f, "{hours}:{:02}:{:02}.{:02}", rest / 6_000, rest / 100 % 60, rest % 100)
    }
}

/// `null` (as well as a missing key) becomes the default, e.g. an empty list.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// How the fields of the objects `read by "Lenient::read"` (the inferred
/// ones) are read: `null` is `None`, and a value of another JSON type is
/// taken when it says the same thing (a number sent as a string).
trait Lenient: Sized {
    /// What a field of this type accepts, for the error on anything else.
    const EXPECTING: &'static str;

    /// A value that is not `null` as the field's (`Ok(None)`: absent), or
    /// back as refused.
    fn from_json(value: Value) -> Result<Option<Self>, Value>;

    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error> {
        let Some(value) = Option::<Value>::deserialize(deserializer)? else { return Ok(None) };
        Self::from_json(value).map_err(|refused| match refused {
            // Refused text is quoted as it was read: trimmed.
            Value::String(s) => de::Error::invalid_value(de::Unexpected::Str(s.trim()), &Self::EXPECTING),
            Value::Bool(b) => de::Error::invalid_type(de::Unexpected::Bool(b), &Self::EXPECTING),
            Value::Array(_) => de::Error::invalid_type(de::Unexpected::Seq, &Self::EXPECTING),
            _ => de::Error::invalid_type(de::Unexpected::Map, &Self::EXPECTING),
        })
    }
}

/// Raw JSON, as it is.
impl Lenient for Value {
    const EXPECTING: &'static str = "any JSON value";

    fn from_json(value: Value) -> Result<Option<Self>, Value> {
        Ok(Some(value))
    }
}

/// A number, a finite numeric string (blank means absent) or `null`.
impl Lenient for f64 {
    const EXPECTING: &'static str = "a number, a finite numeric string or null";

    fn from_json(value: Value) -> Result<Option<Self>, Value> {
        match &value {
            Value::Number(n) => Ok(n.as_f64()),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            // `f64::from_str` also takes `NaN`, `inf` and overflowing
            // exponents; JSON has no such numbers, and they would not
            // survive re-serialisation (serde_json writes them as `null`).
            Value::String(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()).map(Some).ok_or(value),
            _ => Err(value),
        }
    }
}

/// A string, a number (kept as its decimal text) or `null`.
impl Lenient for String {
    const EXPECTING: &'static str = "a string, a number or null";

    fn from_json(value: Value) -> Result<Option<Self>, Value> {
        match value {
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) if n.is_f64() => Ok(n.as_f64().map(|v| v.to_string())),
            Value::Number(n) => Ok(Some(n.to_string())),
            refused => Err(refused),
        }
    }
}

/// The UTF-8 byte-order mark some writers put first.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Size caps applied while downloading and unpacking a `.vtr` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscriptLimits {
    /// Largest accepted archive (the HTTP body), in bytes.
    pub max_archive_bytes: u64,
    /// Largest accepted transcript after decompression, in bytes. Counted on
    /// the real decompressed stream, not taken from the ZIP header.
    pub max_decompressed_bytes: u64,
}

impl TranscriptLimits {
    /// Defaults: 256 MiB archive, 512 MiB decompressed transcript. A one-hour
    /// call is a few MiB of JSON, so these only stop runaway or hostile input.
    pub const DEFAULT: Self = Self { max_archive_bytes: 256 * 1024 * 1024, max_decompressed_bytes: 512 * 1024 * 1024 };
}

impl Default for TranscriptLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a `.vtr` file could not be read or written.
///
/// Messages are one line and do not repeat the underlying error; use
/// [`std::error::Error::source`] for that (the `Json` and `Io` cases).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TranscriptError {
    /// The archive (HTTP body) is larger than
    /// [`TranscriptLimits::max_archive_bytes`].
    #[error("vtr archive is larger than the limit of {limit} bytes")]
    ArchiveTooLarge {
        /// The limit that was passed.
        limit: u64,
    },
    /// The body is not a ZIP archive, e.g. the server sent a JSON or HTML
    /// error page with a 200 status.
    #[error("{}", not_a_zip_message(.excerpt))]
    NotAZip {
        /// The start of the body (at most 64 bytes, then `...` if there is
        /// more), with quotes, control characters and invalid UTF-8 escaped;
        /// empty for an empty body.
        excerpt: String,
    },
    /// The archive holds no entry that could be the transcript (see
    /// [`decode_vtr`] for the rule).
    #[error("{}", no_transcript_message(.entries))]
    NoTranscript {
        /// Names of all entries in the archive, directories included.
        entries: Vec<String>,
    },
    /// The archive declares more entries than [`MAX_ENTRIES`]; its
    /// directory was not read.
    #[error("vtr archive declares {entries} entries, more than the {limit} a transcript archive may hold")]
    TooManyEntries {
        /// The entries the archive declares.
        entries: u64,
        /// The limit that was passed.
        limit: u64,
    },
    /// The transcript entry decompresses to more than
    /// [`TranscriptLimits::max_decompressed_bytes`] (a zip bomb, or a limit
    /// set too low).
    #[error("transcript entry {entry:?} decompresses to more than the limit of {limit} bytes")]
    TooLarge {
        /// Name of the entry.
        entry: String,
        /// The limit that was passed.
        limit: u64,
    },
    /// The transcript entry is not valid JSON or does not fit [`Transcript`].
    #[error("{}", json_message(.entry, .source))]
    Json {
        /// Name of the entry.
        entry: String,
        /// The parser error, with line and column.
        source: serde_json::Error,
    },
    /// Reading (decompressing) or writing the transcript failed, e.g. a
    /// corrupt deflate stream, a checksum mismatch, or an entry inflating past
    /// the size its own header declares (rejected by the zip reader).
    #[error("I/O error while reading or writing the vtr transcript")]
    Io(#[from] std::io::Error),
    /// The body looks like a ZIP archive but is corrupt or unsupported
    /// (truncated, encrypted, unknown compression method, ...).
    #[error("corrupt or unsupported vtr archive: {0}")]
    Zip(String),
}

impl crate::error::ApiError for TranscriptError {
    fn context(&self) -> &'static str {
        "transcript"
    }
}

fn not_a_zip_message(excerpt: &str) -> String {
    if excerpt.is_empty() {
        "response body is empty, not a vtr (ZIP) archive".to_owned()
    } else {
        format!("response body is not a vtr (ZIP) archive; it starts with \"{excerpt}\"")
    }
}

fn no_transcript_message(entries: &[String]) -> String {
    const SHOWN: usize = 8;
    if entries.is_empty() {
        return "vtr archive is empty; expected a transcript entry".to_owned();
    }
    let mut shown: Vec<String> = entries.iter().take(SHOWN).map(|name| format!("{name:?}")).collect();
    if entries.len() > SHOWN {
        shown.push(format!("... and {} more", entries.len() - SHOWN));
    }
    let n = entries.len();
    format!("vtr archive has no *.vtr or *.json entry and not exactly one file; {n} entries: {}", shown.join(", "))
}

fn json_message(entry: &str, source: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match source.classify() {
        Category::Syntax => "is not valid JSON",
        Category::Eof => "ends in the middle of the JSON",
        Category::Data => "does not match the transcript format",
        Category::Io => "could not be read as JSON",
    };
    format!("transcript entry {entry:?} {what} (line {}, column {})", source.line(), source.column())
}

/// Printable excerpt of the start of a body, for [`TranscriptError::NotAZip`].
fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 64;
    let head = body.get(..MAX).unwrap_or(body);
    let mut out = String::with_capacity(head.len() + 3);
    for c in String::from_utf8_lossy(head).chars() {
        match c {
            c if matches!(c, '"' | '\\') || c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    if body.len() > MAX {
        out.push_str("...");
    }
    out
}

pub(crate) fn zip_error(err: ZipError) -> TranscriptError {
    TranscriptError::Zip(err.to_string())
}

/// Up-front buffer reservation is capped so a lying size field cannot make us
/// allocate a lot before any data arrives; the buffer still grows as needed.
const MAX_PREALLOC: u64 = 16 * 1024 * 1024;

/// Unpacks and parses a `.vtr` file held in memory.
///
/// **Entry selection:** entries are scanned in central-directory order and the
/// first regular file (not a directory or symlink) whose name ends in `.vtr` or
/// `.json` (ASCII case-insensitive) is the transcript. If there is none, and
/// the archive holds exactly one regular file, that file is used whatever its
/// name. Otherwise the result is [`TranscriptError::NoTranscript`].
///
/// **Limits:** the archive must not exceed `max_archive_bytes`. The entry is
/// read through a reader capped at `max_decompressed_bytes + 1`, so the real
/// decompressed size is enforced however the header lies; a header that
/// already declares more than the cap is rejected before decompressing.
///
/// A UTF-8 byte-order mark in front of the JSON is ignored. A body that does
/// not start with the ZIP signature `PK` and cannot be opened as a ZIP gives
/// [`TranscriptError::NotAZip`]; other archive failures give
/// [`TranscriptError::Zip`].
///
/// # Errors
///
/// Any [`TranscriptError`] variant; each variant's docs say when it occurs.
pub fn decode_vtr(archive: &[u8], limits: &TranscriptLimits) -> Result<Transcript, TranscriptError> {
    read_entry(archive, limits, |json| serde_json::from_reader(json))
}

/// Writes the transcript JSON of a `.vtr` file held in memory to `out`, as
/// it inflates: the JSON document the archive holds, indented when `pretty`,
/// checked to be one well-formed JSON value but not typed. Memory is the
/// archive and a few buffers, however large the transcript (use it where the
/// JSON is the output; [`decode_vtr`] where the fields are used).
///
/// The entry, the limits and the byte-order mark are handled as by
/// [`decode_vtr`].
///
/// # Errors
///
/// As for [`decode_vtr`]; a failure to write to `out` is
/// [`TranscriptError::Io`]. Part of the document may have been written.
pub fn write_vtr_json<W: Write>(
    archive: &[u8],
    limits: &TranscriptLimits,
    out: W,
    pretty: bool,
) -> Result<(), TranscriptError> {
    read_entry(archive, limits, |json| {
        let mut from = serde_json::Deserializer::from_reader(json);
        // Escaped as `convo`'s other JSON output is: a transcript is
        // speech, and may hold anything.
        crate::redact::write_json(out, &serde_transcode::Transcoder::new(&mut from), pretty)?;
        from.end()
    })
}

/// The transcript entry's JSON as it inflates, capped. A concrete type, not
/// `dyn BufRead`: serde_json reads a byte at a time.
type EntryJson<'f, 'z, 'b> = std::io::BufReader<Capped<&'f mut zip::read::ZipFile<'z, Cursor<&'b [u8]>>>>;

/// Opens the transcript entry of `archive` (see [`decode_vtr`] for the rule
/// and the limits) and hands `read` its JSON as it inflates, the byte-order
/// mark skipped; maps what goes wrong to a [`TranscriptError`].
fn read_entry<'b, T>(
    archive: &'b [u8],
    limits: &TranscriptLimits,
    read: impl for<'f, 'z> FnOnce(&mut EntryJson<'f, 'z, 'b>) -> Result<T, serde_json::Error>,
) -> Result<T, TranscriptError> {
    if archive.len() as u64 > limits.max_archive_bytes {
        return Err(TranscriptError::ArchiveTooLarge { limit: limits.max_archive_bytes });
    }
    if let Some(entries) = declared_entries(archive).filter(|n| *n > MAX_ENTRIES) {
        return Err(TranscriptError::TooManyEntries { entries, limit: MAX_ENTRIES });
    }
    let mut zip = ZipArchive::new(Cursor::new(archive)).map_err(|err| {
        if archive.starts_with(b"PK") { zip_error(err) } else { TranscriptError::NotAZip { excerpt: excerpt(archive) } }
    })?;

    let index = select_entry(&zip)?;
    let mut file = zip.by_index(index).map_err(zip_error)?;
    let entry = decode_name(file.name(), file.name_raw()).into_owned();

    let limit = limits.max_decompressed_bytes;
    if file.size() > limit {
        return Err(TranscriptError::TooLarge { entry, limit });
    }
    // Read as it inflates: the decompressed JSON is never held whole.
    let mut json = std::io::BufReader::with_capacity(64 * 1024, Capped { inner: &mut file, left: limit, over: false });
    if json.fill_buf()?.starts_with(BOM) {
        json.consume(BOM.len());
    }
    match read(&mut json) {
        Ok(value) => Ok(value),
        Err(_) if json.get_ref().over => Err(TranscriptError::TooLarge { entry, limit }),
        Err(e) if e.is_io() => Err(TranscriptError::Io(e.into())),
        Err(source) => Err(TranscriptError::Json { entry, source }),
    }
}

/// The most entries a `.vtr` archive may hold. A transcript archive holds
/// one; a directory of hundreds of thousands costs seconds to read before
/// anything is known (and is no transcript).
pub const MAX_ENTRIES: u64 = 1000;

/// The entry count an archive's end-of-central-directory record declares
/// (the ZIP64 one when the classic field is saturated), read before the zip
/// reader walks the directory; `None` when there is no such record (the
/// zip reader then says what is wrong).
fn declared_entries(archive: &[u8]) -> Option<u64> {
    const EOCD: &[u8] = b"PK\x05\x06";
    const ZIP64_LOCATOR: &[u8] = b"PK\x06\x07";
    const ZIP64_EOCD: &[u8] = b"PK\x06\x06";
    let u16_at = |at: usize| Some(u16::from_le_bytes(archive.get(at..at + 2)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(archive.get(at..at + 8)?.try_into().ok()?));
    // The record is 22 bytes plus a comment of at most 65535.
    let search_from = archive.len().saturating_sub(22 + usize::from(u16::MAX));
    let eocd = search_from + archive[search_from..].windows(4).rposition(|w| w == EOCD)?;
    let entries = u16_at(eocd + 10)?;
    if entries != u16::MAX {
        return Some(u64::from(entries));
    }
    let locator = eocd.checked_sub(20).filter(|&at| archive.get(at..at + 4) == Some(ZIP64_LOCATOR))?;
    let zip64 = usize::try_from(u64_at(locator + 8)?).ok()?;
    (archive.get(zip64..zip64 + 4) == Some(ZIP64_EOCD)).then(|| u64_at(zip64 + 32)).flatten()
}

/// A reader that fails once more than `left` bytes have come through, and
/// says so in `over`. It counts what the decompressor really produces; the
/// size an archive declares is never trusted as a bound.
struct Capped<R> {
    inner: R,
    left: u64,
    over: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // One byte past the limit is enough to know it is passed.
        let want = buf.len().min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.over = true;
            return Err(std::io::Error::other("transcript larger than the decompression limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Index of the transcript entry, by the rule documented on [`decode_vtr`].
fn select_entry<R: Read + std::io::Seek>(zip: &ZipArchive<R>) -> Result<usize, TranscriptError> {
    let mut files = Vec::new();
    for index in 0..zip.len() {
        let entry = zip.by_index_data(index).map_err(zip_error)?;
        if !entry.is_file() {
            continue;
        }
        let name = entry.name_raw().to_ascii_lowercase();
        if name.ends_with(b".vtr") || name.ends_with(b".json") {
            return Ok(index);
        }
        files.push(index);
    }
    match files[..] {
        [index] => Ok(index),
        _ => {
            let entries = (0..zip.len())
                .filter_map(|i| zip.by_index_data(i).ok())
                .map(|e| decode_name(e.name(), e.name_raw()).into_owned())
                .collect();
            Err(TranscriptError::NoTranscript { entries })
        }
    }
}

/// The decoded entry name, falling back to lossy UTF-8 of the raw bytes.
fn decode_name<'a>(decoded: Result<Cow<'a, str>, ZipError>, raw: &'a [u8]) -> Cow<'a, str> {
    decoded.unwrap_or_else(|_| String::from_utf8_lossy(raw))
}

/// Collects a streamed `.vtr` body in memory, enforcing
/// [`TranscriptLimits::max_archive_bytes`] as chunks arrive.
///
/// A ZIP's directory sits at its end, so the whole archive is needed before
/// anything can be read; the cap keeps that buffer bounded.
///
/// ```no_run
/// # use convo_clients::luware::transcript::{TranscriptLimits, VtrCollector, Transcript, TranscriptError};
/// # fn demo(chunks: Vec<Vec<u8>>) -> Result<Transcript, TranscriptError> {
/// let mut collector = VtrCollector::new(&TranscriptLimits::default());
/// for chunk in chunks {
///     collector.push(&chunk)?; // fails fast once the cap is passed
/// }
/// collector.finish()
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct VtrCollector {
    buf: Vec<u8>,
    limits: TranscriptLimits,
    /// Set once a chunk was rejected: the body is incomplete from then on.
    overflowed: bool,
}

impl VtrCollector {
    /// An empty collector applying `limits`.
    #[must_use]
    pub fn new(limits: &TranscriptLimits) -> Self {
        Self { buf: Vec::new(), limits: *limits, overflowed: false }
    }

    /// Checks a declared `Content-Length` against the cap before any data
    /// arrives, and reserves room for it (up to a modest bound).
    ///
    /// # Errors
    ///
    /// [`TranscriptError::ArchiveTooLarge`] when `content_length` is over the cap.
    pub fn expect_content_length(&mut self, content_length: u64) -> Result<(), TranscriptError> {
        if content_length > self.limits.max_archive_bytes {
            return Err(self.too_large());
        }
        let wanted = content_length.min(MAX_PREALLOC) as usize;
        self.buf.reserve(wanted.saturating_sub(self.buf.len()));
        Ok(())
    }

    /// Appends a chunk, or fails with [`TranscriptError::ArchiveTooLarge`]
    /// (without buffering the chunk) once the total would pass the cap.
    ///
    /// # Errors
    ///
    /// [`TranscriptError::ArchiveTooLarge`], as above. After that the body is
    /// known to be incomplete, so every later `push` and
    /// [`finish`](Self::finish) fail the same way.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), TranscriptError> {
        let total = (self.buf.len() as u64).saturating_add(chunk.len() as u64);
        if self.overflowed || total > self.limits.max_archive_bytes {
            self.overflowed = true;
            return Err(self.too_large());
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    /// Bytes collected so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing has been collected.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The raw archive collected so far, e.g. to save the `.vtr` file.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The raw archive, without parsing it.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Unpacks and parses the collected archive with [`decode_vtr`].
    ///
    /// # Errors
    ///
    /// As for [`decode_vtr`]; [`TranscriptError::ArchiveTooLarge`] if a chunk
    /// was rejected earlier.
    pub fn finish(self) -> Result<Transcript, TranscriptError> {
        if self.overflowed {
            return Err(self.too_large());
        }
        decode_vtr(&self.buf, &self.limits)
    }

    fn too_large(&self) -> TranscriptError {
        TranscriptError::ArchiveTooLarge { limit: self.limits.max_archive_bytes }
    }
}
