//! Integer ids on a wire that types them as `f64`.
//!
//! tsoa types every number as `number`/`double`, ids included, so the
//! generated types hold ids as `f64`. An id is a whole number, though: these
//! helpers turn ids into `u64` and back, and refuse values that are not ids
//! (fractions, negatives, NaN, or integers an `f64` cannot hold exactly).

use super::input::InputError;
use super::types::{
    Call, ChannelSession, Contact, ContactAddress, ContactSearchDocument, CustomFieldDefinition, CustomFieldListOption,
    FunnelConversation, Recording, Transcription,
};

/// The largest id an `f64` holds exactly (2^53 − 1); larger ones would be
/// rounded on the wire and name another record.
pub const MAX_ID: u64 = (1 << 53) - 1;

/// The id a wire number stands for, if it is one.
pub fn id_from_number(value: f64) -> Option<u64> {
    let whole = value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= MAX_ID as f64;
    whole.then_some(value as u64)
}

/// Like [`id_from_number`], naming the field when the value is not an id.
pub fn checked_id(field: &'static str, value: f64) -> Result<u64, InputError> {
    id_from_number(value).ok_or(InputError::NotAnId { field, value: value.to_string() })
}

/// An id as the wire number, refusing ids the number cannot hold exactly.
pub fn id_to_number(field: &'static str, id: u64) -> Result<f64, InputError> {
    if id > MAX_ID {
        return Err(InputError::NotAnId { field, value: id.to_string() });
    }
    Ok(id as f64)
}

/// `id_u64()`, and the readers of other id fields listed with a type: each
/// reads its `f64` field as an id.
macro_rules! numeric_id {
    ($($ty:ident $({ $($method:ident: $field:ident $doc:literal),+ })?,)+) => {$(
        impl $ty {
            /// The id as an integer; `None` when absent or not a whole, exactly representable number.
            pub fn id_u64(&self) -> Option<u64> {
                self.id.and_then(id_from_number)
            }
            $($(
                #[doc = $doc]
                pub fn $method(&self) -> Option<u64> {
                    self.$field.and_then(id_from_number)
                }
            )+)?
        }
    )+};
}

numeric_id!(
    Call,
    ChannelSession,
    Contact,
    ContactAddress,
    CustomFieldDefinition,
    CustomFieldListOption { definition_id_u64: definition_id "The id of the definition the option belongs to." },
    FunnelConversation { contact_id_u64: contact_id "The id of the conversation's contact." },
    Recording { call_id_u64: call_id "The id of the recorded call." },
    Transcription,
);

impl ContactSearchDocument {
    /// The contact id as an integer: the search index returns it as a string.
    pub fn id_u64(&self) -> Option<u64> {
        self.id.as_deref().and_then(|id| id.trim().parse().ok()).filter(|id| *id <= MAX_ID)
    }
}
