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

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zip::ZipArchive;
use zip::result::ZipError;

// ---------------------------------------------------------------------------
// Data model
// ---------------------------------------------------------------------------

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
        serde_json::from_slice(strip_bom(json))
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
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
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

// ---------------------------------------------------------------------------
// Lenient field deserialisers
// ---------------------------------------------------------------------------

/// `null` (as well as a missing key) becomes the default, e.g. an empty list.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// How the fields of the objects `read by "Lenient::read"` (the inferred ones) are read.
trait Lenient: Sized {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error>;
}

/// Raw JSON, as it is; `null` is `None`.
impl Lenient for Value {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error> {
        Option::deserialize(deserializer)
    }
}

/// A number, a finite numeric string (blank means absent) or `null`.
impl Lenient for f64 {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error> {
        deserializer.deserialize_any(Scalar {
            expecting: "a number, a finite numeric string or null",
            // `f64::from_str` also takes `NaN`, `inf` and overflowing
            // exponents; JSON has no such numbers, and they would not
            // survive re-serialisation (serde_json writes them as `null`).
            text: |v| match v.trim() {
                "" => Ok(None),
                v => v.parse::<f64>().ok().filter(|n| n.is_finite()).map(Some).ok_or(()),
            },
            integer: |v| v as f64,
            float: |v| v,
        })
    }
}

/// A string, a number (kept as its decimal text) or `null`.
impl Lenient for String {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self>, D::Error> {
        deserializer.deserialize_any(Scalar {
            expecting: "a string, a number or null",
            text: |v| Ok(Some(v.to_owned())),
            integer: |v| v.to_string(),
            float: |v| v.to_string(),
        })
    }
}

/// Reads a lenient scalar: `null` is `None`, a string goes through `text`
/// (`Err` refuses it), a number through `integer` (any `i64` or `u64`) or `float`.
struct Scalar<T> {
    expecting: &'static str,
    text: fn(&str) -> Result<Option<T>, ()>,
    integer: fn(i128) -> T,
    float: fn(f64) -> T,
}

impl<'de, T> Visitor<'de> for Scalar<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some((self.float)(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some((self.integer)(v.into())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some((self.integer)(v.into())))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        // Refused text is quoted as it was read: trimmed.
        (self.text)(v).map_err(|()| E::invalid_value(de::Unexpected::Str(v.trim()), &self))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// The UTF-8 byte-order mark some writers put first.
const BOM: &[u8] = b"\xEF\xBB\xBF";

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

// ---------------------------------------------------------------------------
// Limits and errors
// ---------------------------------------------------------------------------

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
    use std::fmt::Write as _;
    const SHOWN: usize = 8;
    if entries.is_empty() {
        return "vtr archive is empty; expected a transcript entry".to_owned();
    }
    let shown: Vec<String> = entries.iter().take(SHOWN).map(|name| format!("{name:?}")).collect();
    let mut msg = format!(
        "vtr archive has no *.vtr or *.json entry and not exactly one file; {} entries: {}",
        entries.len(),
        shown.join(", ")
    );
    if entries.len() > SHOWN {
        let _ = write!(msg, ", ... and {} more", entries.len() - SHOWN);
    }
    msg
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
            '\n' | '\r' | '\t' | '"' | '\\' => out.extend(c.escape_default()),
            c if c.is_control() => out.extend(c.escape_default()),
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

// ---------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------

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
        if pretty {
            let safe = crate::redact::TerminalSafe::pretty();
            serde_transcode::transcode(&mut from, &mut serde_json::Serializer::with_formatter(out, safe))?;
        } else {
            let safe = crate::redact::TerminalSafe::compact();
            serde_transcode::transcode(&mut from, &mut serde_json::Serializer::with_formatter(out, safe))?;
        }
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
    let mut only_file = None;
    let mut file_count = 0usize;
    for index in 0..zip.len() {
        let entry = zip.by_index_data(index).map_err(zip_error)?;
        if !entry.is_file() {
            continue;
        }
        let name = entry.name_raw();
        if ends_with_ignore_case(name, b".vtr") || ends_with_ignore_case(name, b".json") {
            return Ok(index);
        }
        file_count += 1;
        only_file = Some(index);
    }
    match only_file {
        Some(index) if file_count == 1 => Ok(index),
        _ => {
            let entries = (0..zip.len())
                .filter_map(|i| zip.by_index_data(i).ok())
                .map(|e| decode_name(e.name(), e.name_raw()).into_owned())
                .collect();
            Err(TranscriptError::NoTranscript { entries })
        }
    }
}

fn ends_with_ignore_case(name: &[u8], suffix: &[u8]) -> bool {
    name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
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

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

// Archives to decode are built with the emulator's writer.
#[cfg(all(test, feature = "sandbox"))]
mod tests {
    use super::*;
    use crate::sandbox::luware::{encode_vtr, encode_vtr_raw};
    use serde_json::json;
    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    /// A realistic Intelligent Voice transcript: two speakers, a topic, a few
    /// words and two tcus (listed out of time order), plus unknown keys at
    /// every level.
    fn sample_json() -> Value {
        json!({
            "provider": "intelligentvoice",
            "language": "en-GB, de-CH,",
            "engineVersion": "6.1.2",
            "speakers": [
                {
                    "id": "Speaker 1",
                    "iv_id": 1231,
                    "iv_label": "Channel 1",
                    "sentiment": {
                        "positiveAggregatedSentiment": 26.66919087,
                        "negativeAggregatedSentiment": -75.60949249,
                        "sentimentGradient": 25.35896311,
                        "normalisedSentimentGradient": 13.05775275,
                        "sentimentIntercept": -13.36524594,
                        "sentimentOutcome": 12.75025956,
                        "sentimentModel": "v2"
                    },
                    "role": "agent"
                },
                { "id": "Speaker 2", "iv_id": 1232, "iv_label": "Channel 2" }
            ],
            "topics": [
                { "name": "billing", "score": 0.82, "positions": [3, 4] }
            ],
            "words": [
                { "word": "Hello", "time": 0.52, "duration": 0.31, "confidence": 0.97,
                  "speaker": "Speaker 1", "position": 0 },
                { "word": "thanks", "time": 0.9, "duration": 0.4, "confidence": 0.91,
                  "speaker": "Speaker 1", "position": 1 },
                { "word": "Hi", "time": 2.1, "duration": 0.2, "confidence": 0.88,
                  "speaker": "Speaker 2", "position": 2 },
                { "word": "my", "time": 2.35, "duration": 0.15, "confidence": 0.93,
                  "speaker": "Speaker 2", "position": 3 },
                { "word": "invoice", "time": 2.5, "duration": 0.5, "confidence": 0.79,
                  "speaker": "Speaker 2", "position": 4,
                  "alternatives": [{ "word": "in voice", "confidence": 0.12 }] }
            ],
            "tcus": [
                { "text": "Hi, my invoice\nis wrong", "speaker": "Speaker 2", "start": 2.1,
                  "end": 3.0, "sentiment": -0.4, "channel": 2 },
                { "text": "Hello, thanks for calling", "speaker": "Speaker 1", "start": 0.52,
                  "end": 1.3, "sentiment": 0.6, "channel": 1 }
            ]
        })
    }

    fn sample() -> Transcript {
        serde_json::from_value(sample_json()).expect("sample parses")
    }

    /// A ZIP with the given entries; names ending in `/` become directories.
    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in entries {
            if name.ends_with('/') {
                zip.add_directory(*name, options).unwrap();
            } else {
                zip.start_file(*name, options).unwrap();
                zip.write_all(data).unwrap();
            }
        }
        zip.finish().unwrap().into_inner()
    }

    fn decode(archive: &[u8]) -> Result<Transcript, TranscriptError> {
        decode_vtr(archive, &TranscriptLimits::default())
    }

    #[test]
    fn round_trip_encode_decode() {
        let transcript = sample();
        let archive = encode_vtr(&transcript, "conversation.vtr").unwrap();
        assert!(archive.starts_with(b"PK\x03\x04"));
        assert_eq!(decode(&archive).unwrap(), transcript);
    }

    #[test]
    fn documented_fields_parse() {
        let t = sample();
        assert_eq!(t.provider.as_deref(), Some("intelligentvoice"));
        assert_eq!(t.speakers.len(), 2);
        let s1 = t.speaker("Speaker 1").unwrap();
        assert_eq!(s1.iv_id, Some(1231));
        assert_eq!(s1.iv_label.as_deref(), Some("Channel 1"));
        let sentiment = s1.sentiment.as_ref().unwrap();
        assert_eq!(sentiment.positive_aggregated_sentiment, Some(26.66919087));
        assert_eq!(sentiment.sentiment_outcome, Some(12.75025956));
        assert_eq!(t.topics[0].label(), Some("billing"));
        assert_eq!(t.topics[0].score, Some(0.82));
        assert_eq!(t.words.len(), 5);
        assert_eq!(t.words[0].word.as_deref(), Some("Hello"));
        assert_eq!(t.words[0].end_seconds(), Some(0.52 + 0.31));
        assert_eq!(t.tcus[0].sentiment_score(), Some(-0.4));
        assert!(t.speaker("Speaker 9").is_none());
    }

    #[test]
    fn unknown_keys_are_kept_and_reserialised() {
        let original = sample_json();
        let t: Transcript = serde_json::from_value(original.clone()).unwrap();
        assert_eq!(t.extra["engineVersion"], "6.1.2");
        assert_eq!(t.speakers[0].extra["role"], "agent");
        assert_eq!(t.speakers[0].sentiment.as_ref().unwrap().extra["sentimentModel"], "v2");
        assert_eq!(t.topics[0].extra["positions"], json!([3, 4]));
        assert_eq!(t.words[4].extra["position"], 4);
        assert_eq!(t.words[4].extra["alternatives"][0]["word"], "in voice");
        assert_eq!(t.tcus[0].extra["channel"], 2);
        // Nothing is lost or invented on the way back out.
        assert_eq!(serde_json::to_value(&t).unwrap(), original);
        // And it survives the archive too.
        let again = decode(&encode_vtr(&t, "t.vtr").unwrap()).unwrap();
        assert_eq!(serde_json::to_value(&again).unwrap(), original);
    }

    #[test]
    fn bom_is_tolerated() {
        let mut json = b"\xEF\xBB\xBF".to_vec();
        json.extend(serde_json::to_vec(&sample_json()).unwrap());
        let archive = encode_vtr_raw(&json, "bom.vtr").unwrap();
        assert_eq!(decode(&archive).unwrap(), sample());
    }

    #[test]
    fn json_is_written_as_the_archive_holds_it() {
        let mut json = b"\xEF\xBB\xBF".to_vec();
        json.extend(serde_json::to_vec(&sample_json()).unwrap());
        let archive = encode_vtr_raw(&json, "t.vtr").unwrap();
        for pretty in [true, false] {
            let mut out = Vec::new();
            write_vtr_json(&archive, &TranscriptLimits::default(), &mut out, pretty).unwrap();
            // The same document, keys in the archive's order, nothing typed away.
            assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), sample_json());
            assert_eq!(out.contains(&b'\n'), pretty);
        }
    }

    #[test]
    fn json_writing_refuses_what_decoding_refuses() {
        let write = |archive: &[u8], limits: &TranscriptLimits| {
            write_vtr_json(archive, limits, std::io::sink(), true).map(|()| "written")
        };
        for bad in [&b"{\"words\": ["[..], b"{} {}", b"not json"] {
            let archive = encode_vtr_raw(bad, "t.vtr").unwrap();
            assert!(
                matches!(write(&archive, &TranscriptLimits::default()), Err(TranscriptError::Json { .. })),
                "{bad:?}"
            );
        }
        let archive = encode_vtr_raw(&vec![b' '; 1024 * 1024], "bomb.json").unwrap();
        let limits = TranscriptLimits { max_decompressed_bytes: 64 * 1024, ..TranscriptLimits::default() };
        assert!(matches!(write(&archive, &limits), Err(TranscriptError::TooLarge { .. })));
        assert!(matches!(write(b"<html>", &limits), Err(TranscriptError::NotAZip { .. })));
    }

    #[test]
    fn languages_are_split_and_trimmed() {
        let t = sample();
        assert_eq!(t.languages().collect::<Vec<_>>(), ["en-GB", "de-CH"]);
        assert_eq!(Transcript::default().languages().count(), 0);
    }

    #[test]
    fn utterances_are_time_ordered_one_line_each() {
        let t = sample();
        let lines: Vec<String> = t.utterances().map(|u| u.to_string()).collect();
        assert_eq!(
            lines,
            ["[0:00:00.52] Speaker 1: Hello, thanks for calling", "[0:00:02.10] Speaker 2: Hi, my invoice is wrong",]
        );
        let first = t.utterances().next().unwrap();
        assert_eq!(first.end, Some(1.3));
        assert_eq!(first.tcu.extra["channel"], 1);
    }

    #[test]
    fn utterance_timing_fallbacks_and_unknowns() {
        let t: Transcript = serde_json::from_value(json!({
            "speakers": [{ "id": "S1", "name": "Alex" }],
            "tcus": [
                { "text": "no time" },
                { "text": "word style", "speaker": "S1", "time": "5.5", "duration": 1 },
                { "text": "orphan", "speaker": 7, "start": 1 }
            ]
        }))
        .unwrap();
        let lines: Vec<String> = t.utterances().map(|u| u.to_string()).collect();
        assert_eq!(lines, ["[0:00:01.00] 7: orphan", "[0:00:05.50] Alex: word style", "[-:--:--.--] ?: no time",]);
        assert_eq!(t.tcus[1].end_seconds(), Some(6.5));
    }

    #[test]
    fn timestamp_formatting() {
        assert_eq!(Timestamp(3723.456).to_string(), "1:02:03.46");
        assert_eq!(Timestamp(0.0).to_string(), "0:00:00.00");
        assert_eq!(Timestamp(59.999).to_string(), "0:01:00.00");
        assert_eq!(Timestamp(-1.0).to_string(), "-:--:--.--");
        assert_eq!(Timestamp(f64::NAN).to_string(), "-:--:--.--");
        assert_eq!(Timestamp(f64::INFINITY).to_string(), "-:--:--.--");
        assert!(!Timestamp(f64::MAX).to_string().is_empty());
    }

    #[test]
    fn null_and_missing_lists_become_empty() {
        let t = Transcript::from_json_slice(br#"{"provider": null, "words": null}"#).unwrap();
        assert_eq!(t, Transcript::default());
    }

    #[test]
    fn wrong_type_in_known_field_is_a_json_error() {
        // Found by fuzzing: `NaN`, `inf` and `1e400` parse as `f64` but are no
        // JSON numbers and would be written back as `null`.
        for time in ["soon", "NaN", "-inf", "Infinity", "1e400"] {
            let json = format!(r#"{{"words": [{{"time": "{time}"}}]}}"#);
            let archive = encode_vtr_raw(json.as_bytes(), "t.vtr").unwrap();
            match decode(&archive) {
                Err(err @ TranscriptError::Json { .. }) => {
                    let msg = err.to_string();
                    assert!(msg.contains("does not match the transcript format"), "{msg}");
                }
                other => panic!("{time}: expected Json, got {other:?}"),
            }
        }
    }

    #[test]
    fn zip_bomb_with_lying_header_is_rejected() {
        // 1 MiB of spaces compresses to about 1 KiB.
        let mut archive = encode_vtr_raw(&vec![b' '; 1024 * 1024], "bomb.vtr").unwrap();
        // Make both headers claim 10 bytes, so the early size check passes.
        assert_eq!(&archive[..4], b"PK\x03\x04");
        archive[22..26].copy_from_slice(&10u32.to_le_bytes());
        let cd = archive.windows(4).rposition(|w| w == b"PK\x01\x02").expect("central directory");
        archive[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());

        let limits = TranscriptLimits { max_decompressed_bytes: 64 * 1024, ..TranscriptLimits::default() };
        // zip 9 itself stops an entry that inflates past its declared size
        // (an `Io` error); our own counting (`read_capped`, tested below)
        // is the second line of defence and would report `TooLarge`.
        match decode_vtr(&archive, &limits) {
            Err(TranscriptError::Io(err)) => {
                assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
            }
            Err(TranscriptError::TooLarge { entry, .. }) => assert_eq!(entry, "bomb.vtr"),
            other => panic!("expected Io or TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn the_cap_counts_real_bytes_and_stops_early() {
        fn capped(source: impl Read, limit: u64) -> (std::io::Result<usize>, bool) {
            let mut reader = Capped { inner: source, left: limit, over: false };
            let read = std::io::copy(&mut reader, &mut std::io::sink()).map(|n| n as usize);
            (read, reader.over)
        }
        // An endless stream: reading stops just past the limit (otherwise
        // this test would never finish).
        let (read, over) = capped(std::io::repeat(b' '), 64 * 1024);
        assert!(read.is_err() && over);

        let (read, over) = capped(&[b'x'; 100][..], 100);
        assert_eq!((read.unwrap(), over), (100, false));
        let mut source: &[u8] = &[b'x'; 100];
        let (read, over) = capped(&mut source, 99);
        assert!(read.is_err() && over);
        let mut source: &[u8] = &[b'x'; 100];
        let (_, over) = capped(&mut source, 10);
        assert!(over);
        // At most one byte past the limit was taken from the source.
        assert!(source.len() >= 89, "{}", source.len());
    }
    #[test]
    fn zip_bomb_with_honest_header_is_rejected_early() {
        let archive = encode_vtr_raw(&vec![b' '; 1024 * 1024], "bomb.json").unwrap();
        let limits = TranscriptLimits { max_decompressed_bytes: 64 * 1024, ..TranscriptLimits::default() };
        let err = decode_vtr(&archive, &limits).unwrap_err();
        assert!(matches!(err, TranscriptError::TooLarge { ref entry, .. } if entry == "bomb.json"));
        assert_eq!(
            err.to_string(),
            "transcript entry \"bomb.json\" decompresses to more than the limit of 65536 bytes"
        );
    }

    #[test]
    fn exactly_at_the_decompressed_limit_is_fine() {
        let json = br#"{"provider":"x"}"#;
        let archive = encode_vtr_raw(json, "t.vtr").unwrap();
        let limits = TranscriptLimits { max_decompressed_bytes: json.len() as u64, ..TranscriptLimits::default() };
        assert_eq!(decode_vtr(&archive, &limits).unwrap().provider.as_deref(), Some("x"));
    }

    #[test]
    fn json_or_html_body_is_not_a_zip() {
        let body = br#"{"error":"Unauthorized","message":"Access token is missing or invalid","statusCode":401}"#;
        match decode(body) {
            Err(TranscriptError::NotAZip { excerpt }) => {
                assert!(excerpt.starts_with(r#"{\"error\":\"Unauthorized\""#), "{excerpt}");
                assert!(excerpt.ends_with("..."));
            }
            other => panic!("expected NotAZip, got {other:?}"),
        }

        let html = b"<!DOCTYPE html>\r\n<html><body>Bad gateway</body></html>";
        let err = decode(html).unwrap_err();
        assert_eq!(
            err.to_string(),
            "response body is not a vtr (ZIP) archive; it starts with \
             \"<!DOCTYPE html>\\r\\n<html><body>Bad gateway</body></html>\""
        );

        let err = decode(b"").unwrap_err();
        assert!(matches!(err, TranscriptError::NotAZip { ref excerpt } if excerpt.is_empty()));
        assert_eq!(err.to_string(), "response body is empty, not a vtr (ZIP) archive");
    }

    #[test]
    fn excerpt_escapes_binary_and_is_bounded() {
        let text = excerpt(b"\x00\x01\xff\x1b[31m");
        assert_eq!(text, "\\u{0}\\u{1}\u{fffd}\\u{1b}[31m");
        // Splitting a multi-byte character at the cut must not panic.
        let long = "é".repeat(100);
        let text = excerpt(long.as_bytes());
        assert!(text.ends_with("..."));
        assert!(text.chars().count() <= 64 + 3);
    }

    #[test]
    fn corrupt_zip_is_a_zip_error() {
        let archive = encode_vtr(&sample(), "t.vtr").unwrap();
        let truncated = &archive[..archive.len() / 2];
        assert!(matches!(decode(truncated), Err(TranscriptError::Zip(_))));
        assert!(matches!(decode(b"PK\x03\x04garbage"), Err(TranscriptError::Zip(_))));
    }

    #[test]
    fn corrupt_data_is_an_error() {
        let mut archive = encode_vtr(&sample(), "t.vtr").unwrap();
        // Flip bytes in the middle of the deflate stream (after the 30-byte
        // local header and the 5-byte name).
        for byte in &mut archive[40..60] {
            *byte ^= 0x5a;
        }
        match decode(&archive) {
            Err(TranscriptError::Io(_) | TranscriptError::Zip(_) | TranscriptError::Json { .. }) => {}
            other => panic!("expected a read failure, got {other:?}"),
        }
    }

    #[test]
    fn empty_zip_has_no_transcript() {
        let archive = zip_with(&[]);
        let err = decode(&archive).unwrap_err();
        assert!(matches!(err, TranscriptError::NoTranscript { ref entries } if entries.is_empty()));
        assert_eq!(err.to_string(), "vtr archive is empty; expected a transcript entry");
    }

    #[test]
    fn zip_without_transcript_lists_entries() {
        let archive = zip_with(&[("readme.txt", b"hello"), ("docs/", b""), ("other.txt", b"x")]);
        match decode(&archive) {
            Err(err @ TranscriptError::NoTranscript { .. }) => {
                let TranscriptError::NoTranscript { entries } = &err else { unreachable!() };
                assert_eq!(entries, &["readme.txt", "docs/", "other.txt"]);
                assert_eq!(
                    err.to_string(),
                    "vtr archive has no *.vtr or *.json entry and not exactly one file; \
                     3 entries: \"readme.txt\", \"docs/\", \"other.txt\""
                );
            }
            other => panic!("expected NoTranscript, got {other:?}"),
        }
    }

    #[test]
    fn many_entries_message_is_bounded() {
        let names: Vec<String> = (0..20).map(|i| format!("f{i}.txt")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        let err = decode(&zip_with(&entries)).unwrap_err();
        let msg = err.to_string();
        assert!(msg.ends_with(", ... and 12 more"), "{msg}");
        assert!(matches!(err, TranscriptError::NoTranscript { ref entries } if entries.len() == 20));
    }

    /// An archive declaring more entries than a transcript archive may hold
    /// is refused from its end record, before its directory is read; ZIP64
    /// counts (past 65,535) are read too.
    #[test]
    fn too_many_entries_are_refused_before_the_directory_is_read() {
        let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("f{i}.json")).collect();
        let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"{}"[..])).collect();
        let archive = zip_with(&entries);
        assert_eq!(declared_entries(&archive), Some(MAX_ENTRIES + 1));
        let err = decode(&archive).unwrap_err();
        assert!(matches!(err, TranscriptError::TooManyEntries { entries: 1001, limit: MAX_ENTRIES }), "{err:?}");
        assert!(err.to_string().contains("1001 entries"), "{err}");
        let mut sink = Vec::new();
        assert!(matches!(
            write_vtr_json(&archive, &TranscriptLimits::default(), &mut sink, true),
            Err(TranscriptError::TooManyEntries { .. })
        ));

        // A ZIP64 end record: the classic count saturated, the real one in the ZIP64 record.
        let mut zip64 = vec![0u8; 8];
        let record = zip64.len();
        zip64.extend_from_slice(b"PK\x06\x06");
        zip64.extend_from_slice(&[0; 28]);
        zip64.extend_from_slice(&200_000u64.to_le_bytes());
        zip64.extend_from_slice(&[0; 16]);
        zip64.extend_from_slice(b"PK\x06\x07\0\0\0\0");
        zip64.extend_from_slice(&(record as u64).to_le_bytes());
        zip64.extend_from_slice(&[1, 0, 0, 0]);
        zip64.extend_from_slice(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff");
        zip64.extend_from_slice(&[0xff; 8]);
        zip64.extend_from_slice(&[0; 2]);
        assert_eq!(declared_entries(&zip64), Some(200_000));
        assert!(matches!(decode(&zip64), Err(TranscriptError::TooManyEntries { entries: 200_000, .. })));
        // Nothing that looks like an end record: the zip reader's own error.
        assert_eq!(declared_entries(b"PK\x03\x04 not really"), None);
        assert_eq!(declared_entries(b""), None);
    }

    #[test]
    fn an_empty_document_is_an_empty_transcript() {
        let transcript = decode(&zip_with(&[("t.json", b"{}")])).unwrap();
        assert!(transcript.is_empty());
        assert!(!sample().is_empty());
    }

    #[test]
    fn single_entry_with_other_extension_is_accepted() {
        let json = serde_json::to_vec(&sample_json()).unwrap();
        let archive = zip_with(&[("meta/", b""), ("transcript.dat", &json)]);
        assert_eq!(decode(&archive).unwrap(), sample());
    }

    #[test]
    fn transcript_extension_wins_case_insensitively() {
        let json = serde_json::to_vec(&sample_json()).unwrap();
        let archive = zip_with(&[
            ("readme.txt", b"not json"),
            ("dir.vtr/", b""),
            ("Call 2025-03-06.JSON", &json),
            ("second.vtr", b"never read"),
        ]);
        assert_eq!(decode(&archive).unwrap(), sample());
    }

    #[test]
    fn bad_json_names_the_entry() {
        let archive = encode_vtr_raw(b"{\n  \"provider\": \"iv\",\n  oops\n}", "broken.vtr").unwrap();
        match decode(&archive) {
            Err(err @ TranscriptError::Json { .. }) => {
                let TranscriptError::Json { entry, source } = &err else { unreachable!() };
                assert_eq!(entry, "broken.vtr");
                assert_eq!(source.line(), 3);
                assert_eq!(err.to_string(), "transcript entry \"broken.vtr\" is not valid JSON (line 3, column 3)");
                assert!(std::error::Error::source(&err).is_some());
            }
            other => panic!("expected Json, got {other:?}"),
        }
        let archive = encode_vtr_raw(b"{\"words\": [", "cut.json").unwrap();
        let msg = decode(&archive).unwrap_err().to_string();
        assert!(msg.contains("\"cut.json\" ends in the middle of the JSON"), "{msg}");
    }

    #[test]
    fn archive_over_cap_is_rejected_by_decode() {
        let archive = encode_vtr(&sample(), "t.vtr").unwrap();
        let limits = TranscriptLimits { max_archive_bytes: archive.len() as u64 - 1, ..TranscriptLimits::default() };
        assert!(matches!(
            decode_vtr(&archive, &limits),
            Err(TranscriptError::ArchiveTooLarge { limit }) if limit == archive.len() as u64 - 1
        ));
    }

    #[test]
    fn collector_assembles_chunks() {
        let archive = encode_vtr(&sample(), "t.vtr").unwrap();
        let mut collector = VtrCollector::new(&TranscriptLimits::default());
        assert!(collector.is_empty());
        collector.expect_content_length(archive.len() as u64).unwrap();
        for chunk in archive.chunks(7) {
            collector.push(chunk).unwrap();
        }
        assert_eq!(collector.len(), archive.len());
        assert_eq!(collector.as_bytes(), &archive[..]);
        assert_eq!(collector.finish().unwrap(), sample());
    }

    #[test]
    fn collector_rejects_once_cap_is_passed() {
        let limits = TranscriptLimits { max_archive_bytes: 10, ..TranscriptLimits::default() };
        let mut collector = VtrCollector::new(&limits);
        collector.push(b"PK\x03\x04").unwrap();
        collector.push(b"123456").unwrap(); // exactly at the cap
        let err = collector.push(b"7").unwrap_err();
        assert!(matches!(err, TranscriptError::ArchiveTooLarge { limit: 10 }));
        assert_eq!(err.to_string(), "vtr archive is larger than the limit of 10 bytes");
        // The rejected chunk was not buffered, and the collector stays failed.
        assert_eq!(collector.len(), 10);
        assert!(collector.push(b"").is_err());
        assert!(matches!(collector.expect_content_length(11), Err(TranscriptError::ArchiveTooLarge { .. })));
        assert_eq!(collector.as_bytes(), b"PK\x03\x04123456");
        assert!(matches!(collector.finish(), Err(TranscriptError::ArchiveTooLarge { limit: 10 })));

        // A small chunk after a rejected big one must not be accepted.
        let mut collector = VtrCollector::new(&limits);
        collector.push(b"1234").unwrap();
        assert!(collector.push(&[0; 20]).is_err());
        assert!(collector.push(b"5").is_err());
        assert_eq!(collector.into_bytes(), b"1234");
    }

    #[test]
    fn error_messages_are_single_lines() {
        let errors = [
            TranscriptError::ArchiveTooLarge { limit: 1 },
            TranscriptError::NotAZip { excerpt: excerpt(b"a\nb") },
            TranscriptError::NoTranscript { entries: vec!["a\nb".into()] },
            TranscriptError::TooLarge { entry: "x\ny".into(), limit: 1 },
            TranscriptError::Json { entry: "e".into(), source: serde_json::from_str::<Value>("{\n").unwrap_err() },
            TranscriptError::Io(std::io::Error::other("boom")),
            TranscriptError::Zip("bad".into()),
        ];
        for err in errors {
            let msg = err.to_string();
            assert!(!msg.contains('\n') && !msg.is_empty(), "{msg:?}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let archive = encode_vtr(&sample(), "t.vtr").unwrap();
        // Truncations and single-byte corruptions of a real archive.
        for cut in (0..archive.len()).step_by(13) {
            let _ = decode(&archive[..cut]);
        }
        for pos in (0..archive.len()).step_by(5) {
            let mut copy = archive.clone();
            copy[pos] = copy[pos].wrapping_add(0x41);
            let _ = decode(&copy);
        }
    }
}
