//! Rules the spec states in words but its schema cannot hold, checked before
//! anything is sent: E.164 phone numbers wherever the spec marks
//! `x-format: e164`, `variables` or `components` (never both), exactly one of
//! `contactId` and `contact`, and the two modes of a media upload.
//!
//! The `validate` methods are public so that callers (and the sandbox, which
//! enforces the same rules as the server would) can run them on their own.

use super::ids::checked_id;
use super::types::{CreateConversationRequest, CreateMessageRequest, CreateTemplateMessageRequest, UploadMediaRequest};

/// Input LlamadaPro would reject, caught before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// A phone number the API requires in E.164 form (`+` and up to 15 digits).
    #[error("{field}: {value:?} is not an E.164 phone number (e.g. +14155552671)")]
    NotE164 { field: &'static str, value: String },
    /// A template message with both `variables` and `components`.
    #[error("a template message takes variables or components, not both")]
    TemplateVariablesAndComponents,
    /// A conversation with neither `contactId` nor `contact`.
    #[error("a conversation needs contactId (an existing contact) or contact (matched by address, or created)")]
    ConversationContactMissing,
    /// A conversation with both `contactId` and `contact`.
    #[error("a conversation takes contactId or contact, not both")]
    ConversationContactAmbiguous,
    /// A media upload in neither mode.
    #[error("an upload needs fileId, or fileName, contentType and content")]
    UploadModeMissing,
    /// A media upload that mixes `fileId` with direct-upload fields.
    #[error("an upload takes fileId or fileName/contentType/content, not both")]
    UploadModesMixed,
    /// A direct upload without one of its three fields.
    #[error("a direct upload needs {missing} as well")]
    UploadIncomplete { missing: &'static str },
    /// A number where an id belongs that is not a whole, exactly representable number.
    #[error("{field}: {value} is not an id (a whole number up to 2^53 - 1)")]
    NotAnId { field: &'static str, value: String },
    /// A `filterBy` pair the API's `field:value;field:value` syntax cannot carry.
    #[error("filterBy {field:?}: {reason}")]
    BadFilter { field: String, reason: String },
    /// A `sortBy` the API's `field=direction` syntax cannot carry.
    #[error("sortBy {text:?}: {reason}")]
    BadSort { text: String, reason: String },
    /// An option whose body names another definition than its path.
    #[error("definitionId {body} in the body differs from {path} in the path")]
    DefinitionIdMismatch { path: u64, body: String },
}

/// Fields the spec marks `x-format: e164`, as (schema, property). A test
/// checks this list against the spec, so it cannot drift.
pub const E164_FIELDS: &[(&str, &str)] = &[
    ("CreateMessageRequest", "fromPhoneNumber"),
    ("CreateMessageRequest", "toPhoneNumber"),
    ("CreateTemplateMessageRequest", "fromPhoneNumber"),
    ("CreateTemplateMessageRequest", "toPhoneNumber"),
    ("UploadMediaRequest", "fromPhoneNumber"),
];

/// Whether `number` is E.164: `+`, a non-zero digit, then digits, 7 to 15
/// digits in all, with no spaces or punctuation (e.g. `+14155552671`).
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else { return false };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

fn check_e164(field: &'static str, value: &str) -> Result<(), InputError> {
    if is_e164(value) { Ok(()) } else { Err(InputError::NotE164 { field, value: value.to_string() }) }
}

impl CreateTemplateMessageRequest {
    /// E.164 numbers; `variables` or `components`, never both. A template
    /// without parameters takes neither.
    pub fn validate(&self) -> Result<(), InputError> {
        check_e164("fromPhoneNumber", &self.from_phone_number)?;
        check_e164("toPhoneNumber", &self.to_phone_number)?;
        if !self.variables.is_empty() && !self.components.is_empty() {
            return Err(InputError::TemplateVariablesAndComponents);
        }
        Ok(())
    }
}

impl CreateMessageRequest {
    /// E.164 numbers.
    pub fn validate(&self) -> Result<(), InputError> {
        check_e164("fromPhoneNumber", &self.from_phone_number)?;
        check_e164("toPhoneNumber", &self.to_phone_number)
    }
}

impl UploadMediaRequest {
    /// An E.164 number, and exactly one of the two modes: `fileId`, or all of
    /// `fileName`, `contentType` and `content`.
    pub fn validate(&self) -> Result<(), InputError> {
        check_e164("fromPhoneNumber", &self.from_phone_number)?;
        let direct = [("fileName", &self.file_name), ("contentType", &self.content_type), ("content", &self.content)];
        let given = direct.iter().filter(|(_, v)| v.is_some()).count();
        match (&self.file_id, given) {
            (Some(_), 0) => Ok(()),
            (Some(_), _) => Err(InputError::UploadModesMixed),
            (None, 0) => Err(InputError::UploadModeMissing),
            (None, _) => match direct.iter().find(|(_, v)| v.is_none()) {
                Some((missing, _)) => Err(InputError::UploadIncomplete { missing }),
                None => Ok(()),
            },
        }
    }
}

impl CreateConversationRequest {
    /// Exactly one of `contactId` and `contact`; ids are whole numbers.
    pub fn validate(&self) -> Result<(), InputError> {
        checked_id("funnelId", self.funnel_id)?;
        for (field, id) in
            [("contactId", self.contact_id), ("userId", self.user_id), ("funnelStatusId", self.funnel_status_id)]
        {
            if let Some(id) = id {
                checked_id(field, id)?;
            }
        }
        match (self.contact_id.is_some(), self.contact.is_some()) {
            (true, false) | (false, true) => Ok(()),
            (false, false) => Err(InputError::ConversationContactMissing),
            (true, true) => Err(InputError::ConversationContactAmbiguous),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llamadapro::types::{
        BulkConversationContactCreateParams, WhatsAppMessageType, WhatsAppTemplateMessageBodyComponent,
        WhatsAppTemplateMessageBodyComponentType, WhatsAppTemplateMessageVariable,
    };
    use serde_json::Value;

    #[test]
    fn e164() {
        for good in ["+14155552671", "+56912345678", "+4930123456", "+1234567"] {
            assert!(is_e164(good), "{good}");
        }
        for bad in
            ["14155552671", "+1 415 555 2671", "+0123456789", "+123456", "+1234567890123456", "+", "", "+1415-555"]
        {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    /// Every property the spec marks `x-format: e164` is in [`E164_FIELDS`], and nothing else.
    #[test]
    fn e164_fields_match_the_spec() {
        let spec: Value = serde_json::from_str(crate::llamadapro::SPEC_JSON).unwrap();
        let mut marked = Vec::new();
        for (schema, body) in spec["components"]["schemas"].as_object().unwrap() {
            for (name, property) in body["properties"].as_object().into_iter().flatten() {
                if property.get("x-format").and_then(Value::as_str) == Some("e164") {
                    marked.push((schema.clone(), name.clone()));
                }
            }
        }
        marked.sort();
        let listed: Vec<(String, String)> = E164_FIELDS.iter().map(|(s, p)| (s.to_string(), p.to_string())).collect();
        assert_eq!(marked, listed);
    }

    fn template() -> CreateTemplateMessageRequest {
        CreateTemplateMessageRequest {
            components: Vec::new(),
            custom_fields: Default::default(),
            from_phone_number: "+14155552671".into(),
            language_code: "es".into(),
            template_name: "order_update".into(),
            to_phone_number: "+56912345678".into(),
            user_id: None,
            variables: Vec::new(),
        }
    }

    #[test]
    fn templates_take_variables_or_components() {
        assert_eq!(template().validate(), Ok(()), "a template without parameters");
        let mut both = template();
        both.variables.push(WhatsAppTemplateMessageVariable { value: Some("A-1".into()) });
        assert_eq!(both.validate(), Ok(()));
        both.components.push(
            WhatsAppTemplateMessageBodyComponent {
                parameters: Vec::new(),
                type_: WhatsAppTemplateMessageBodyComponentType::Body,
            }
            .into(),
        );
        assert_eq!(both.validate(), Err(InputError::TemplateVariablesAndComponents));
        let mut local = template();
        local.to_phone_number = "0912345678".into();
        assert!(matches!(local.validate(), Err(InputError::NotE164 { field: "toPhoneNumber", .. })));
        let text = CreateMessageRequest {
            content: "hi".into(),
            custom_fields: Default::default(),
            file_id: None,
            from_phone_number: "+1 415 555 2671".into(),
            to_phone_number: "+56912345678".into(),
            type_: WhatsAppMessageType::Text,
            user_id: None,
        };
        assert!(matches!(text.validate(), Err(InputError::NotE164 { field: "fromPhoneNumber", .. })));
    }

    #[test]
    fn upload_modes() {
        let base = UploadMediaRequest {
            content: None,
            content_type: None,
            file_id: None,
            file_name: None,
            from_phone_number: "+14155552671".into(),
            tags: Default::default(),
        };
        assert_eq!(base.validate(), Err(InputError::UploadModeMissing));
        let by_id = UploadMediaRequest { file_id: Some("f1".into()), ..base.clone() };
        assert_eq!(by_id.validate(), Ok(()));
        let mixed = UploadMediaRequest { content: Some("aGk=".into()), ..by_id };
        assert_eq!(mixed.validate(), Err(InputError::UploadModesMixed));
        let partial =
            UploadMediaRequest { file_name: Some("a.png".into()), content: Some("aGk=".into()), ..base.clone() };
        assert_eq!(partial.validate(), Err(InputError::UploadIncomplete { missing: "contentType" }));
        let direct = UploadMediaRequest { content_type: Some("image/png".into()), ..partial };
        assert_eq!(direct.validate(), Ok(()));
    }

    #[test]
    fn conversations_take_one_contact() {
        let base = CreateConversationRequest {
            archived_at: None,
            contact: None,
            contact_id: None,
            created_at: None,
            custom_fields: Default::default(),
            funnel_id: 1.0,
            funnel_status_id: None,
            user_id: None,
        };
        assert_eq!(base.validate(), Err(InputError::ConversationContactMissing));
        let by_id = CreateConversationRequest { contact_id: Some(7.0), ..base.clone() };
        assert_eq!(by_id.validate(), Ok(()));
        let both = CreateConversationRequest {
            contact: Some(BulkConversationContactCreateParams::default()),
            ..by_id.clone()
        };
        assert_eq!(both.validate(), Err(InputError::ConversationContactAmbiguous));
        let fraction = CreateConversationRequest { funnel_id: 1.5, ..by_id };
        assert!(matches!(fraction.validate(), Err(InputError::NotAnId { field: "funnelId", .. })));
    }
}
