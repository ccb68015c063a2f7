//! What callers send, and the checks that run before anything leaves: typed
//! start requests per channel (so nobody writes the `oneOf` by hand), message
//! text, title and context lengths.

use super::types::{
    AgentMessageRequest, ConversationContext, ConversationStatus, ConversationTitle, CreateConversationRequest,
    EmailChannel, ManualMessageRequest, SmsChannel, StartConversationRequest, StartEmailConversation,
    StartSmsConversation, StartVoiceConversation, UpdateConversationRequest, VoiceChannel,
};

/// Documented limit of a conversation title, in characters.
pub const MAX_TITLE_CHARS: usize = 255;
/// Documented limit of a conversation context, in characters.
pub const MAX_CONTEXT_CHARS: usize = 256_000;

/// Input raia would reject, caught before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    #[error("the message is empty")]
    EmptyMessage,
    #[error("{channel} start: {field} is required and must not be empty")]
    MissingField { channel: &'static str, field: &'static str },
    #[error("{channel} start: the email address has no @ (set skip_email_validation to send it anyway)")]
    InvalidEmail { channel: &'static str },
    #[error("the title is {chars} characters, over the 255-character limit")]
    TitleTooLong { chars: usize },
    #[error("the context is {chars} characters, over the 256000-character limit")]
    ContextTooLong { chars: usize },
}

impl crate::error::ApiError for InputError {
    fn is_invalid_input(&self) -> bool {
        true
    }
}

/// A title within the documented limit.
pub fn title(text: impl Into<String>) -> Result<ConversationTitle, InputError> {
    let text = text.into();
    let chars = text.chars().count();
    text.try_into().map_err(|_| InputError::TitleTooLong { chars })
}

/// A context within the documented limit.
pub fn context(text: impl Into<String>) -> Result<ConversationContext, InputError> {
    let text = text.into();
    let chars = text.chars().count();
    text.try_into().map_err(|_| InputError::ContextTooLong { chars })
}

impl StartEmailConversation {
    /// Starts a conversation by emailing the user: `subject` and
    /// `introduction` make up the first email. Other fields stay unset and
    /// can be set on the result.
    pub fn new(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        email: impl Into<String>,
        subject: impl Into<String>,
        introduction: impl Into<String>,
    ) -> Self {
        Self {
            channel: EmailChannel::Email,
            first_name: first_name.into(),
            last_name: last_name.into(),
            email: email.into(),
            email_subject: subject.into(),
            email_introduction: introduction.into(),
            include_signature_in_email: None,
            phone_number: None,
            reset_conversation: false,
            context: None,
            conversation_context: None,
            source: None,
            fk_id: None,
            fk_user_id: None,
            custom_data: Default::default(),
            conversation_state_id: None,
            author_id: None,
            skip_phone_number_validation: None,
            skip_email_validation: None,
        }
    }
}

impl StartSmsConversation {
    /// Starts a conversation by texting the user `introduction`.
    pub fn new(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        phone_number: impl Into<String>,
        introduction: impl Into<String>,
    ) -> Self {
        Self {
            channel: SmsChannel::Sms,
            first_name: first_name.into(),
            last_name: last_name.into(),
            phone_number: phone_number.into(),
            sms_introduction: introduction.into(),
            email: None,
            reset_conversation: false,
            include_signature_in_sms: false,
            context: None,
            conversation_context: None,
            source: None,
            fk_id: None,
            fk_user_id: None,
            custom_data: Default::default(),
            conversation_state_id: None,
            author_id: None,
            skip_phone_number_validation: None,
            skip_email_validation: None,
        }
    }
}

impl StartVoiceConversation {
    /// Starts a conversation by calling the user; the agent opens with `first_message`.
    pub fn new(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        phone_number: impl Into<String>,
        first_message: impl Into<String>,
    ) -> Self {
        Self {
            channel: VoiceChannel::Voice,
            first_name: first_name.into(),
            last_name: last_name.into(),
            phone_number: phone_number.into(),
            first_message: first_message.into(),
            email: None,
            context: None,
            conversation_context: None,
            source: None,
            fk_id: None,
            fk_user_id: None,
            custom_data: Default::default(),
            conversation_state_id: None,
            author_id: None,
            skip_phone_number_validation: None,
            skip_email_validation: None,
        }
    }
}

impl StartConversationRequest {
    /// An email start; see [`StartEmailConversation::new`].
    pub fn email(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        email: impl Into<String>,
        subject: impl Into<String>,
        introduction: impl Into<String>,
    ) -> Self {
        StartEmailConversation::new(first_name, last_name, email, subject, introduction).into()
    }

    /// An SMS start; see [`StartSmsConversation::new`].
    pub fn sms(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        phone_number: impl Into<String>,
        introduction: impl Into<String>,
    ) -> Self {
        StartSmsConversation::new(first_name, last_name, phone_number, introduction).into()
    }

    /// A voice-call start; see [`StartVoiceConversation::new`].
    pub fn voice(
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        phone_number: impl Into<String>,
        first_message: impl Into<String>,
    ) -> Self {
        StartVoiceConversation::new(first_name, last_name, phone_number, first_message).into()
    }

    /// The channel as sent in `channel`.
    pub fn channel(&self) -> &'static str {
        match self {
            StartConversationRequest::EmailConversation(_) => "email",
            StartConversationRequest::SmsConversation(_) => "sms",
            StartConversationRequest::VoiceConversation(_) => "voice",
        }
    }

    /// Checks the fields each channel requires are there.
    pub(crate) fn check(&self) -> Result<(), InputError> {
        let channel = self.channel();
        let required = |field: &'static str, value: &str| {
            if value.trim().is_empty() { Err(InputError::MissingField { channel, field }) } else { Ok(()) }
        };
        match self {
            StartConversationRequest::EmailConversation(s) => {
                required("firstName", &s.first_name)?;
                required("lastName", &s.last_name)?;
                required("email", &s.email)?;
                required("emailSubject", &s.email_subject)?;
                required("emailIntroduction", &s.email_introduction)?;
                if s.skip_email_validation != Some(true) && !s.email.contains('@') {
                    return Err(InputError::InvalidEmail { channel });
                }
            }
            StartConversationRequest::SmsConversation(s) => {
                required("firstName", &s.first_name)?;
                required("lastName", &s.last_name)?;
                required("phoneNumber", &s.phone_number)?;
                required("smsIntroduction", &s.sms_introduction)?;
            }
            StartConversationRequest::VoiceConversation(s) => {
                required("firstName", &s.first_name)?;
                required("lastName", &s.last_name)?;
                required("phoneNumber", &s.phone_number)?;
                required("firstMessage", &s.first_message)?;
            }
        }
        Ok(())
    }
}

impl CreateConversationRequest {
    /// A new conversation for an existing user; title, context, custom data
    /// and state are optional.
    pub fn for_user(conversation_user_id: impl Into<String>) -> Self {
        Self {
            conversation_user_id: conversation_user_id.into(),
            title: None,
            context: None,
            custom_data: Default::default(),
            conversation_state_id: None,
        }
    }

    /// Sets the title (at most 255 characters).
    pub fn with_title(mut self, text: impl Into<String>) -> Result<Self, InputError> {
        self.title = Some(title(text)?);
        Ok(self)
    }

    /// Sets the context (at most 256000 characters).
    pub fn with_context(mut self, text: impl Into<String>) -> Result<Self, InputError> {
        self.context = Some(context(text)?);
        Ok(self)
    }
}

impl UpdateConversationRequest {
    /// Sets the title (at most 255 characters).
    pub fn with_title(mut self, text: impl Into<String>) -> Result<Self, InputError> {
        self.title = Some(title(text)?);
        Ok(self)
    }

    /// Sets the context (at most 256000 characters).
    pub fn with_context(mut self, text: impl Into<String>) -> Result<Self, InputError> {
        self.context = Some(context(text)?);
        Ok(self)
    }

    /// Sets the status.
    pub fn with_status(mut self, status: ConversationStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Moves the conversation to a state (see the generated `list_conversation_states()`).
    pub fn with_state(mut self, conversation_state_id: impl Into<String>) -> Self {
        self.conversation_state_id = Some(conversation_state_id.into());
        self
    }
}

impl AgentMessageRequest {
    /// A message for the agent, with context for this message only.
    pub fn with_context(message: impl Into<String>, context: impl Into<String>) -> Self {
        Self { message: message.into(), context: Some(context.into()), files: Vec::new() }
    }
}

impl From<&str> for AgentMessageRequest {
    fn from(message: &str) -> Self {
        String::from(message).into()
    }
}

impl From<String> for AgentMessageRequest {
    fn from(message: String) -> Self {
        Self { message, context: None, files: Vec::new() }
    }
}

impl ManualMessageRequest {
    /// A manual message that answers one of the user's messages.
    pub fn reply_to(message: impl Into<String>, conversation_message_id: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            conversation_message_id: Some(conversation_message_id.into()),
            author_id: None,
            files: Vec::new(),
        }
    }
}

impl From<&str> for ManualMessageRequest {
    fn from(message: &str) -> Self {
        String::from(message).into()
    }
}

impl From<String> for ManualMessageRequest {
    fn from(message: String) -> Self {
        Self { message, conversation_message_id: None, author_id: None, files: Vec::new() }
    }
}

/// Checks a message has text.
pub(crate) fn check_message(message: &str) -> Result<(), InputError> {
    if message.trim().is_empty() { Err(InputError::EmptyMessage) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_channel_requires_its_fields() {
        let ok = StartConversationRequest::email("Ada", "Lovelace", "ada@example.com", "Hello", "Hi Ada");
        assert_eq!(ok.check(), Ok(()));
        let no_address = StartConversationRequest::email("Ada", "Lovelace", " ", "Hello", "Hi Ada");
        assert_eq!(no_address.check(), Err(InputError::MissingField { channel: "email", field: "email" }));
        let bad_address = StartConversationRequest::email("Ada", "Lovelace", "ada.example.com", "Hello", "Hi");
        assert_eq!(bad_address.check(), Err(InputError::InvalidEmail { channel: "email" }));
        let mut skipped = StartEmailConversation::new("Ada", "Lovelace", "ada.example.com", "Hello", "Hi");
        skipped.skip_email_validation = Some(true);
        assert_eq!(StartConversationRequest::from(skipped).check(), Ok(()));
        assert_eq!(
            StartConversationRequest::sms("Ada", "Lovelace", "", "Hi").check(),
            Err(InputError::MissingField { channel: "sms", field: "phoneNumber" })
        );
        assert_eq!(
            StartConversationRequest::voice("Ada", "Lovelace", "+15550100", "").check(),
            Err(InputError::MissingField { channel: "voice", field: "firstMessage" })
        );
    }

    #[test]
    fn the_channel_tag_is_set_by_the_constructor() {
        let body = serde_json::to_value(StartConversationRequest::voice("A", "B", "+1", "Hello")).unwrap();
        assert_eq!(
            body,
            json!({"channel": "voice", "firstName": "A", "lastName": "B", "phoneNumber": "+1", "firstMessage": "Hello"})
        );
    }

    #[test]
    fn limits_and_messages() {
        assert!(title("x".repeat(MAX_TITLE_CHARS)).is_ok());
        assert_eq!(title("é".repeat(256)).unwrap_err(), InputError::TitleTooLong { chars: 256 });
        assert_eq!(
            context("x".repeat(MAX_CONTEXT_CHARS + 1)).unwrap_err(),
            InputError::ContextTooLong { chars: MAX_CONTEXT_CHARS + 1 }
        );
        assert_eq!(check_message(" \n"), Err(InputError::EmptyMessage));
        let update = UpdateConversationRequest::default().with_status(ConversationStatus::Archived);
        assert_eq!(serde_json::to_value(update).unwrap(), json!({"status": "archived"}));
    }
}
