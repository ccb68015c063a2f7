//! What callers send, and the checks the spec cannot express, run before
//! anything leaves: structured-content size (of the serialised JSON) and raw
//! SDE payloads against their `type` (named in the refusal); `Ttr` makes a
//! custom TTR carry its seconds. The spec's own rules (`ttl` 10 to 120, at
//! least one message, a skill that is not blank, base64 `encodedMetadata`,
//! enums, required fields) are checked by the runtime for every call.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use super::types::{
    self, DelayMessage, Message, MessageAudience, PrivateMessage, QuickReplies, QuickRepliesContent,
    QuickRepliesMessage, QuickReply, QuickReplyClick, SetTtrRequest, TextMessage, TtrType,
};

/// A structured-content template: free-form JSON with a `type` (the spec's
/// `StructuredContent`). Kept as a map so that no key of the template
/// language is lost.
pub type StructuredContent = serde_json::Map<String, Value>;

/// A click action, e.g. `{"type": "publishText", "text": "yes"}` (free-form,
/// like [`StructuredContent`]).
pub type QuickReplyAction = serde_json::Map<String, Value>;

/// Documented limit of one structured-content payload (`x-provenance` of the
/// `StructuredContentMessage` schema in specs/liveperson.yaml).
pub const MAX_STRUCTURED_CONTENT_BYTES: usize = 15_000;

/// Input LivePerson would reject, caught before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    #[error("message {index}: structured content is {bytes} bytes, over the 15000-byte limit")]
    StructuredContentTooLarge { index: usize, bytes: usize },
    #[error("sde {index} of type {sde_type:?}: {reason}")]
    SdeMismatch { index: usize, sde_type: String, reason: String },
    #[error("{0:?} is not a TTR: use urgent, normal, prioritized or custom:SECONDS")]
    BadTtr(String),
}

impl crate::error::ApiError for InputError {
    fn is_invalid_input(&self) -> bool {
        true
    }
}

/// Options of a command call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOptions {
    /// Seconds the command stays valid (10 to 120, the spec's rule; the
    /// server's default is 30).
    pub ttl: Option<u32>,
}

impl CommandOptions {
    /// Options with this `ttl`.
    pub fn ttl(seconds: u32) -> Self {
        Self { ttl: Some(seconds) }
    }
}

/// Time to response. `Custom` carries its seconds, so a custom TTR without a
/// value, or a value on another type, cannot be written. It is the body of
/// the generated `set_ttr`: `.body(Ttr::Custom(45))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttr {
    Urgent,
    Normal,
    Prioritized,
    /// A custom time to response, in seconds.
    Custom(u32),
}

impl From<Ttr> for SetTtrRequest {
    fn from(ttr: Ttr) -> Self {
        let (ttr_type, value) = match ttr {
            Ttr::Urgent => (TtrType::Urgent, None),
            Ttr::Normal => (TtrType::Normal, None),
            Ttr::Prioritized => (TtrType::Prioritized, None),
            // The documented example sends the seconds as a string.
            Ttr::Custom(seconds) => (TtrType::Custom, Some(seconds.to_string())),
        };
        SetTtrRequest { ttr_type, value }
    }
}

/// `urgent`, `normal`, `prioritized` or `custom:SECONDS` (any case).
impl FromStr for Ttr {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        let named = [Ttr::Urgent, Ttr::Normal, Ttr::Prioritized].into_iter().find(|ttr| ttr.to_string() == lower);
        let custom = || Some(Ttr::Custom(lower.strip_prefix("custom:")?.trim().parse().ok()?));
        named.or_else(custom).ok_or_else(|| InputError::BadTtr(text.to_string()))
    }
}

impl fmt::Display for Ttr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ttr::Urgent => f.write_str("urgent"),
            Ttr::Normal => f.write_str("normal"),
            Ttr::Prioritized => f.write_str("prioritized"),
            Ttr::Custom(s) => write!(f, "custom:{s}"),
        }
    }
}

/// One SDE: a typed one, or raw JSON for what the typed structs lack (keys
/// the docs do not list, or a type added later). Raw SDEs of a documented
/// type are checked against that type before sending.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum SdeInput {
    Typed(Box<types::Sde>),
    Raw(Value),
}

impl From<types::Sde> for SdeInput {
    fn from(sde: types::Sde) -> Self {
        SdeInput::Typed(Box::new(sde))
    }
}

impl SdeInput {
    /// A raw SDE object, e.g. `{"type": "personal", "personal": {...}}`.
    pub fn raw(value: Value) -> Self {
        SdeInput::Raw(value)
    }

    fn check(&self, index: usize) -> Result<(), InputError> {
        let SdeInput::Raw(value) = self else { return Ok(()) };
        let mismatch =
            |sde_type: &str, reason: String| InputError::SdeMismatch { index, sde_type: sde_type.into(), reason };
        let Some(sde_type) = value.get("type").and_then(Value::as_str) else {
            return Err(mismatch("", "an SDE needs a string `type`".into()));
        };
        // A documented type must have that type's shape; others pass as given.
        let parsed = match sde_type {
            "cart" => typed::<types::CartSde>(value),
            "purchase" => typed::<types::PurchaseSde>(value),
            "prodView" => typed::<types::ProdViewSde>(value),
            "ctmrinfo" => typed::<types::CustomerInfoSde>(value),
            "mrktInfo" => typed::<types::MarketingInfoSde>(value),
            "personal" => typed::<types::PersonalSde>(value),
            "lead" => typed::<types::LeadSde>(value),
            "service" => typed::<types::ServiceSde>(value),
            "error" => typed::<types::ErrorSde>(value),
            "searchInfo" => typed::<types::SearchInfoSde>(value),
            _ => Ok(()),
        };
        parsed.map_err(|reason| mismatch(sde_type, reason))
    }
}

fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> Result<(), String> {
    T::deserialize(value).map(drop).map_err(|e| e.to_string())
}

/// The body of `setSdes` (hand-written so that raw SDEs can go in it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetSdesRequest {
    pub sdes: Vec<SdeInput>,
    pub shark_visitor_id: String,
    pub shark_session_id: String,
}

impl SetSdesRequest {
    /// SDEs for a visitor's session.
    pub fn new(visitor_id: impl Into<String>, session_id: impl Into<String>, sdes: Vec<SdeInput>) -> Self {
        Self { sdes, shark_visitor_id: visitor_id.into(), shark_session_id: session_id.into() }
    }

    pub(crate) fn check(&self) -> Result<(), InputError> {
        self.sdes.iter().enumerate().try_for_each(|(i, sde)| sde.check(i))
    }
}

/// Constructors for the five message variants.
impl Message {
    /// A plain text message.
    pub fn text(text: impl Into<String>) -> Self {
        Message::TextMessage(TextMessage(text.into()))
    }

    /// A pause of `seconds`, showing the typing indicator if `typing`.
    pub fn delay(seconds: f64, typing: bool) -> Self {
        Message::DelayMessage(DelayMessage { delay: seconds, typing: Some(typing) })
    }

    /// Quick replies: `text` with one button per reply, each publishing its title.
    pub fn quick_replies<S: AsRef<str>>(text: impl Into<String>, replies: &[S]) -> Self {
        let replies = replies
            .iter()
            .map(|title| QuickReply {
                type_: "button".into(),
                title: title.as_ref().to_string(),
                tooltip: Some(title.as_ref().to_string()),
                click: QuickReplyClick { actions: vec![publish_text(title.as_ref())], metadata: Vec::new() },
            })
            .collect();
        Message::QuickRepliesMessage(QuickRepliesMessage {
            structured_content: QuickRepliesContent {
                quick_replies: QuickReplies { type_: "quickReplies".into(), items_per_row: Some(8), replies },
                message: text.into(),
            },
            metadata: Vec::new(),
            encoded_metadata: None,
        })
    }

    /// Structured content (a template such as `{"type": "vertical", "elements": [...]}`).
    pub fn structured(content: StructuredContent) -> Self {
        Message::StructuredContentMessage(types::StructuredContentMessage {
            structured_content: content,
            metadata: Vec::new(),
            encoded_metadata: None,
        })
    }

    /// A private message that only agents and managers see.
    pub fn private(text: impl Into<String>) -> Self {
        Message::PrivateMessage(PrivateMessage {
            text: text.into(),
            message_audience: MessageAudience::AgentsAndManagers,
        })
    }
}

fn publish_text(text: &str) -> QuickReplyAction {
    [("type".into(), "publishText".into()), ("text".into(), text.into())].into_iter().collect()
}

/// Checks what the spec cannot say about messages: the size of structured
/// content, as the serialised JSON the server measures.
pub(crate) fn check_messages(messages: &[Message]) -> Result<(), InputError> {
    for (index, message) in messages.iter().enumerate() {
        let content = match message {
            Message::StructuredContentMessage(m) => serde_json::to_vec(&m.structured_content),
            Message::QuickRepliesMessage(m) => serde_json::to_vec(&m.structured_content),
            _ => continue,
        };
        let bytes = content.map(|c| c.len()).unwrap_or(usize::MAX);
        if bytes > MAX_STRUCTURED_CONTENT_BYTES {
            return Err(InputError::StructuredContentTooLarge { index, bytes });
        }
    }
    Ok(())
}
