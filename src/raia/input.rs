//! What callers send: typed start requests per channel (so nobody writes the
//! `oneOf` by hand) and message bodies. The rules on them (required texts not
//! blank, an email address with `@`, title and context lengths) are the
//! spec's, checked by `spec::validate` on every call before sending.

use crate::error::InvalidInput;

use super::types::{
    AgentMessageRequest, ConversationStatus, CreateConversationRequest, EmailChannel, ManualMessageRequest, SmsChannel,
    StartConversationRequest, StartEmailConversation, StartSmsConversation, StartVoiceConversation,
    UpdateConversationRequest, VoiceChannel,
};

/// A length-limited text as its generated newtype, which checks the spec's
/// `maxLength`; a text over it is refused naming the field.
fn limited<T>(field: &'static str, text: impl Into<String>) -> crate::Result<T>
where
    T: TryFrom<String, Error = super::types::error::ConversionError>,
{
    text.into().try_into().map_err(|e: super::types::error::ConversionError| {
        crate::Error::from(InvalidInput::parameter(field, e.to_string()))
    })
}

/// A channel's start request: `$ty::new` from the texts given (the fields
/// given, and every optional field all three channels share left unset),
/// and `StartConversationRequest::$start`, the same as the `oneOf`.
macro_rules! start_request {
    ($(#[$doc:meta])* $ty:ident $start:ident $what:literal ($($arg:ident),*) { $($field:ident: $value:expr,)* }) => {
        impl $ty {
            $(#[$doc])*
            pub fn new($($arg: impl Into<String>),*) -> Self {
                $ty {
                    $($field: $value,)*
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
            #[doc = concat!($what, "; see [`", stringify!($ty), "::new`].")]
            pub fn $start($($arg: impl Into<String>),*) -> Self {
                $ty::new($($arg),*).into()
            }
        }
    };
}

start_request! {
    /// Starts a conversation by emailing the user: `subject` and
    /// `introduction` make up the first email. Other fields stay unset and
    /// can be set on the result.
    StartEmailConversation email "An email start" (first_name, last_name, email, subject, introduction) {
        channel: EmailChannel::Email,
        first_name: first_name.into(),
        last_name: last_name.into(),
        email: email.into(),
        email_subject: subject.into(),
        email_introduction: introduction.into(),
        include_signature_in_email: None,
        phone_number: None,
        reset_conversation: false,
    }
}

start_request! {
    /// Starts a conversation by texting the user `introduction`.
    StartSmsConversation sms "An SMS start" (first_name, last_name, phone_number, introduction) {
        channel: SmsChannel::Sms,
        first_name: first_name.into(),
        last_name: last_name.into(),
        phone_number: phone_number.into(),
        sms_introduction: introduction.into(),
        email: None,
        reset_conversation: false,
        include_signature_in_sms: false,
    }
}

start_request! {
    /// Starts a conversation by calling the user; the agent opens with `first_message`.
    StartVoiceConversation voice "A voice-call start" (first_name, last_name, phone_number, first_message) {
        channel: VoiceChannel::Voice,
        first_name: first_name.into(),
        last_name: last_name.into(),
        phone_number: phone_number.into(),
        first_message: first_message.into(),
        email: None,
    }
}

impl StartConversationRequest {
    /// The channel as sent in `channel`.
    pub fn channel(&self) -> &'static str {
        match self {
            StartConversationRequest::EmailConversation(_) => "email",
            StartConversationRequest::SmsConversation(_) => "sms",
            StartConversationRequest::VoiceConversation(_) => "voice",
        }
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
}

/// The title and context setters of a request that creates or updates a
/// conversation (both limited texts).
macro_rules! title_and_context {
    ($ty:ident) => {
        impl $ty {
            /// Sets the title (at most 255 characters).
            pub fn with_title(mut self, text: impl Into<String>) -> crate::Result<Self> {
                self.title = Some(limited("title", text)?);
                Ok(self)
            }

            /// Sets the context (at most 256000 characters).
            pub fn with_context(mut self, text: impl Into<String>) -> crate::Result<Self> {
                self.context = Some(limited("context", text)?);
                Ok(self)
            }
        }
    };
}

title_and_context!(CreateConversationRequest);
title_and_context!(UpdateConversationRequest);

impl UpdateConversationRequest {
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

/// A message from its text alone (`&str` or `String`), its other fields
/// as given (unset).
macro_rules! from_text {
    ($ty:ident { $($field:ident: $value:expr),* $(,)? }) => {
        impl From<&str> for $ty {
            fn from(message: &str) -> Self {
                String::from(message).into()
            }
        }

        impl From<String> for $ty {
            fn from(message: String) -> Self {
                Self { message, $($field: $value,)* }
            }
        }
    };
}

from_text!(AgentMessageRequest { context: None, files: Vec::new() });
from_text!(ManualMessageRequest { conversation_message_id: None, author_id: None, files: Vec::new() });
