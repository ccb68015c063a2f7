//! What can go wrong with raia beyond an HTTP status: a failed agent reply,
//! and the documented refusals of a manual message.

use crate::error::BodyExcerpt;

/// A raia outcome the API documents that is not a plain HTTP error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RaiaError {
    /// The agent could not answer: the reply to a question sent asynchronously
    /// ended `failed`. The HTTP calls all succeeded.
    #[error("the agent's reply to message {question_message_id} failed{}", error.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    ReplyFailed {
        conversation_id: String,
        question_message_id: String,
        /// The reply's `error`, when the server gave one.
        error: Option<String>,
    },
    /// A manual message was refused (400) because the conversation is in AI mode.
    #[error("conversation {conversation_id} is not in manual mode; switch it to manual mode first")]
    NotInManualMode { conversation_id: String, body: BodyExcerpt },
    /// A manual message was refused (400) because the conversation is a voice call.
    #[error("conversation {conversation_id} is a voice conversation; manual messages cannot be sent to it")]
    VoiceConversation { conversation_id: String, body: BodyExcerpt },
    /// A manual message was refused (400) and the server's message does not
    /// say which rule was broken (the vendor documents both in one sentence).
    #[error("manual message to conversation {conversation_id} refused: it must be in manual mode and not a voice conversation{}", body.message().map(|m| format!(" ({m})")).unwrap_or_default())]
    ManualMessageRefused { conversation_id: String, body: BodyExcerpt },
}

impl crate::error::ApiError for RaiaError {
    fn context(&self) -> &'static str {
        "raia"
    }
}

/// Tells the two causes of `sendManualMessage`'s 400 apart by the server's
/// message; the vendor documents one 400 for both, so a message that names
/// both (or neither) stays [`RaiaError::ManualMessageRefused`].
pub(crate) fn manual_message_refusal(conversation_id: &str, body: BodyExcerpt) -> RaiaError {
    let text = body.message().unwrap_or_else(|| body.as_str().to_string()).to_ascii_lowercase();
    let voice = text.contains("voice");
    let manual = text.contains("manual");
    let conversation_id = conversation_id.to_string();
    match (voice, manual) {
        (true, false) => RaiaError::VoiceConversation { conversation_id, body },
        (false, true) => RaiaError::NotInManualMode { conversation_id, body },
        _ => RaiaError::ManualMessageRefused { conversation_id, body },
    }
}
