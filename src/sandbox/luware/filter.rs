//! The Luware filter language on the server side: the `filters` parameter
//! read back (`Filters::from_json`) and evaluated over stored records
//! (`Filters::matches`), with the semantics the client's module documents.

use std::borrow::Cow;
use std::cmp::Ordering;

use chrono::NaiveDateTime;

use crate::luware::filter::{
    Filter, FilterError, FilterField, FilterOperator, Filters, Typed, ValueKind, from_impls, parse_wire_value,
};

impl Filter {
    /// Evaluates the filter against a record's value for [`Filter::field`]. `None` means
    /// the record has no value (SQL `NULL`). This is for the local emulator.
    ///
    /// The semantics are inferred, because the vendor document is silent on them:
    ///
    /// * `EQUAL`/`NOT_EQUAL` compare exactly. String comparisons, including `STARTS_WITH`
    ///   and `ENDS_WITH`, are case-sensitive.
    /// * `EQUAL NULL` matches only a missing value, and `NOT_EQUAL NULL` only a present one.
    ///   `NOT_EQUAL <value>` also matches a missing value (two-valued logic, not SQL's
    ///   three-valued logic). Every other operator never matches a missing value.
    /// * `GREATER_THAN`, `LESS_THAN` and their variants compare integers numerically and
    ///   date-times chronologically. `BETWEEN` includes both bounds.
    /// * A [`FieldValue::Str`] for a non-string field is read like a filter value, so
    ///   records may hold every field as text. A value that does not fit the field's kind,
    ///   and any filter that fails [`Filter::validate`], never match.
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
    /// canonical form (`TRUE`, `NULL`). This is for the server side (local emulator).
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

    /// Whether a record passes every filter. Filters combine with AND (inferred), so an empty list
    /// matches everything. `lookup` returns the record's value for a field, or `None` if
    /// the value is missing or null. See [`Filter::matches`] for the per-operator rules.
    pub fn matches<'a>(&self, lookup: impl Fn(FilterField) -> Option<FieldValue<'a>>) -> bool {
        self.list.iter().all(|filter| filter.matches(lookup(filter.field).as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::luware::filter::tests::{dt, parse};

    #[test]
    fn matches_semantics() {
        let f = |s: &str| parse(s).expect(s);
        let s = |v: &'static str| Some(FieldValue::from(v));

        // Strings: exact and case-sensitive.
        assert!(f("platformName=Microsoft Teams").matches(s("Microsoft Teams").as_ref()));
        assert!(!f("platformName=Microsoft Teams").matches(s("microsoft teams").as_ref()));
        assert!(f("platformName!=Zoom Phone").matches(s("Microsoft Teams").as_ref()));
        assert!(f("sourceCallerId^=+44").matches(s("+44123456789").as_ref()));
        assert!(!f("sourceCallerId^=+44").matches(s("+33123456789").as_ref()));
        assert!(f("verbaUserLogin$=@domain.com").matches(s("user1@domain.com").as_ref()));
        assert!(!f("verbaUserLogin$=@DOMAIN.com").matches(s("user1@domain.com").as_ref()));

        // Missing values.
        assert!(!f("platformName=Zoom Phone").matches(None));
        assert!(f("platformName!=Zoom Phone").matches(None));
        assert!(!f("sourceCallerId^=+44").matches(None));
        assert!(!f("startTime>=2024-07-01").matches(None));

        // NULL.
        assert!(f("hold=NULL").matches(None));
        assert!(!f("hold=NULL").matches(Some(&FieldValue::Int(1))));
        assert!(f("hold!=NULL").matches(Some(&FieldValue::Int(1))));
        assert!(!f("hold!=NULL").matches(None));
        assert!(f("hold=NULL").matches(s("NULL").as_ref()), "text NULL is null");
        assert!(f("hold!=1").matches(None));
        assert!(f("hold=2").matches(Some(&FieldValue::Int(2))));

        // Numbers and date-times.
        let rtp = f("sourceAudioRtpCount>500");
        assert!(rtp.matches(Some(&FieldValue::Int(501))));
        assert!(!rtp.matches(Some(&FieldValue::Int(500))));
        assert!(rtp.matches(s("600").as_ref()), "integers may be stored as text");
        assert!(f("sourceAudioRtpCount<=500").matches(Some(&FieldValue::Int(500))));
        assert!(f("sourceAudioRtpCount<500").matches(Some(&FieldValue::Int(-3_000_000_000))));
        let july = f("startTime=2024-07-01..2024-07-31");
        assert!(july.matches(Some(&dt("2024-07-01 00:00:00.000").into())), "inclusive low");
        assert!(july.matches(Some(&dt("2024-07-31 00:00:00.000").into())), "inclusive high");
        assert!(!july.matches(Some(&dt("2024-07-31 00:00:00.001").into())));
        assert!(!july.matches(Some(&dt("2024-06-30 23:59:59.999").into())));
        assert!(july.matches(s("2024-07-15 12:00:00.000").as_ref()));
        assert!(f("startTime>=2024-07-01").matches(Some(&dt("2024-07-01 00:00:00.000").into())));
        assert!(!f("startTime>2024-07-01").matches(Some(&dt("2024-07-01 00:00:00.000").into())));

        // Booleans.
        assert!(f("priv=TRUE").matches(Some(&FieldValue::Bool(true))));
        assert!(f("priv!=TRUE").matches(Some(&FieldValue::Bool(false))));
        assert!(f("priv=false").matches(s("FALSE").as_ref()));

        // Wrong kinds and invalid filters never match.
        assert!(!f("priv!=TRUE").matches(Some(&FieldValue::Int(0))));
        assert!(!f("hold!=1").matches(s("one").as_ref()));
        let invalid: Filter =
            serde_json::from_str(r#"{"field":"platformName","operator":"STARTS_WITH","values":["M"]}"#)
                .expect("well-formed");
        assert!(!invalid.matches(s("Microsoft Teams").as_ref()));
        let no_values: Filter =
            serde_json::from_str(r#"{"field":"hold","operator":"EQUAL","values":[]}"#).expect("well-formed");
        assert!(!no_values.matches(None));
    }

    #[test]
    fn from_json_round_trips_and_normalises() {
        let filters = Filters::new()
            .started_between(dt("2024-07-01 00:00:00.000"), dt("2024-08-01 00:00:00.000"))
            .and_then(|f| f.eq(FilterField::Hold, None::<i32>))
            .and_then(|f| f.ne(FilterField::Priv, true))
            .and_then(|f| f.starts_with(FilterField::SourceCallerId, "+44"))
            .expect("valid");
        assert_eq!(Filters::from_json(&filters.to_json()), Ok(filters));

        let loose = r#"{"filtersList":[{"field":"keep","operator":"EQUAL","values":["true"]},
                       {"field":"hold","operator":"NOT_EQUAL","values":["null"]},
                       {"field":"storageFolderId","operator":"EQUAL","values":["+07"]}]}"#;
        let parsed = Filters::from_json(loose).expect("valid");
        let values: Vec<&str> = parsed.iter().map(|f| f.values()[0].as_str()).collect();
        assert_eq!(values, ["TRUE", "NULL", "7"]);
    }

    #[test]
    fn from_json_reports_typed_errors() {
        assert!(matches!(Filters::from_json("{"), Err(FilterError::Json(_))));
        let Err(FilterError::Json(message)) =
            Filters::from_json(r#"{"filtersList":[{"field":"nope","operator":"EQUAL","values":["x"]}]}"#)
        else {
            panic!("expected a JSON error");
        };
        assert!(message.contains("unknown filter field `nope`"), "{message}");
        assert_eq!(
            Filters::from_json(r#"{"filtersList":[{"field":"platformName","operator":"STARTS_WITH","values":["M"]}]}"#),
            Err(FilterError::OperatorNotAllowed {
                field: FilterField::PlatformName,
                operator: FilterOperator::StartsWith,
                allowed: FilterField::PlatformName.operators(),
            })
        );
        assert!(matches!(
            Filters::from_json(r#"{"filtersList":[{"field":"keep","operator":"EQUAL","values":["TRUE","FALSE"]}]}"#),
            Err(FilterError::WrongValueCount { expected: 1, got: 2, .. })
        ));
    }

    #[test]
    fn filters_match_all_together() {
        let filters: Filters = ["startTime>=2024-07-01", "platformName=Microsoft Teams", "hold=NULL"]
            .into_iter()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .expect("valid");
        let record = |platform: &'static str, hold: Option<i64>| {
            move |field: FilterField| match field {
                FilterField::StartTime => Some(dt("2024-07-02 10:00:00.000").into()),
                FilterField::PlatformName => Some(platform.into()),
                FilterField::Hold => hold.map(FieldValue::Int),
                _ => None,
            }
        };
        assert!(filters.matches(record("Microsoft Teams", None)));
        assert!(!filters.matches(record("Zoom Phone", None)));
        assert!(!filters.matches(record("Microsoft Teams", Some(1))));
        assert!(Filters::new().matches(|_| None), "an empty list matches everything");
    }
}
