//! The Luware filter language on the server side: the `filters` parameter
//! read back (`Filters::from_json`) and evaluated over records (`Filters::matches`).

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::NaiveDateTime;

use crate::luware::filter::{
    Filter, FilterError, FilterField, FilterOperator, Filters, Typed, ValueKind, from_impls, parse_wire_value,
};

impl Filter {
    /// Evaluates the filter against a record's value for [`Filter::field`] (`None`: no
    /// value, SQL `NULL`), for the local emulator. The semantics are inferred (the vendor
    /// document is silent): comparisons are exact and case-sensitive; `EQUAL NULL` matches
    /// only a missing value, `NOT_EQUAL NULL` only a present one, and `NOT_EQUAL <value>` a
    /// missing one too (two-valued logic); no other operator matches a missing value;
    /// integers compare numerically, date-times chronologically, `BETWEEN` inclusively. A
    /// [`FieldValue::Str`] for a non-string field is read like a filter value. A value that
    /// does not fit the field's kind, and a filter that fails [`Filter::validate`], never match.
    pub fn matches(&self, actual: Option<&FieldValue<'_>>) -> bool {
        use FilterOperator as Op;
        let field = self.field;
        if !field.allows(self.operator) || self.values.len() != self.operator.value_count() {
            return false;
        }
        let actual = match actual.map(|value| value.typed_for(field)) {
            None | Some(Some(Typed::Null)) => None,
            Some(Some(typed)) => Some(typed),
            Some(None) => return false,
        };
        let bounds = self.operator.bounds();
        if !bounds.is_empty() {
            // On the bound's side of each value, or on it where it is included.
            return actual.is_some_and(|actual| {
                bounds.iter().zip(&self.values).all(|(&(side, inclusive), value)| {
                    let order = parse_wire_value(field, value).ok().and_then(|value| actual.compare(&value));
                    order == Some(side) || (inclusive && order == Some(Ordering::Equal))
                })
            });
        }
        let Some(Ok(expected)) = self.values.first().map(|value| parse_wire_value(field, value)) else {
            return false;
        };
        // `NULL` is a missing value.
        let expected = Some(expected).filter(|e| *e != Typed::Null);
        match (self.operator, actual, expected) {
            (Op::Equal, ..) => actual == expected,
            (Op::NotEqual, ..) => actual != expected,
            (Op::StartsWith, Some(Typed::Str(a)), Some(Typed::Str(e))) => a.starts_with(e),
            (Op::EndsWith, Some(Typed::Str(a)), Some(Typed::Str(e))) => a.ends_with(e),
            _ => false,
        }
    }
}

/// A record's value for one field, for [`Filter::matches`] and [`Filters::matches`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue<'a> {
    /// Text. For a non-string field it is read like a filter value (`TRUE`, `42`,
    /// `2024-07-01 00:00:00.000`, `NULL`).
    Str(Cow<'a, str>),
    /// An integer.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// A date-time in the user's time zone.
    DateTime(NaiveDateTime),
}

impl FieldValue<'_> {
    /// Reads the value as `field`'s kind, or `None` if it does not fit.
    pub(crate) fn typed_for(&self, field: FilterField) -> Option<Typed<'_>> {
        match (field.kind(), self) {
            (ValueKind::String, Self::Str(s)) => Some(Typed::Str(s)),
            (_, Self::Str(s)) => parse_wire_value(field, s).ok(),
            (ValueKind::Integer, Self::Int(n)) => Some(Typed::Int(*n)),
            (ValueKind::Boolean, Self::Bool(b)) => Some(Typed::Bool(*b)),
            (ValueKind::DateTime, Self::DateTime(t)) => Some(Typed::DateTime(*t)),
            _ => None,
        }
    }
}

from_impls!(<'a> FieldValue<'a> {
    &'a str => |s| Self::Str(Cow::Borrowed(s)),
    String => |s| Self::Str(Cow::Owned(s)),
    i64 => |n| Self::Int(n),
    i32 => |n| Self::Int(n.into()),
    bool => |b| Self::Bool(b),
    NaiveDateTime => |t| Self::DateTime(t),
});

impl Filters {
    /// Parses a received parameter value and validates every filter, rewriting values in
    /// canonical form (`TRUE`, `NULL`), for the local emulator.
    ///
    /// # Errors
    ///
    /// [`FilterError::Json`] if the text is not a well-formed `{"filtersList": [..]}`
    /// with known field and operator names; otherwise the first error of [`Filter::new`].
    pub fn from_json(json: &str) -> Result<Self, FilterError> {
        let raw: Self = serde_json::from_str(json).map_err(|e| FilterError::Json(e.to_string()))?;
        // Text values go through `Filter::new`'s checks, which write them canonically.
        raw.list.into_iter().map(|filter| Filter::new(filter.field, filter.operator, filter.values)).collect()
    }

    /// Whether a record passes every filter (AND, inferred; an empty list matches everything).
    /// `lookup` gives the record's value for a field (`None`: missing or null); see [`Filter::matches`].
    pub fn matches<'a>(&self, lookup: impl Fn(FilterField) -> Option<FieldValue<'a>>) -> bool {
        self.list.iter().all(|filter| filter.matches(lookup(filter.field).as_ref()))
    }
}
