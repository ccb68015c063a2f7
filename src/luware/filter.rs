//! The `filters` query parameter of `GET vfcrest/v1/conversations` (Luware Recording API).
//!
//! The endpoint requires a `filters` parameter whose value is a JSON object holding a
//! list of `{field, operator, values}` entries. `values` is always an array of strings,
//! even when there is only one value:
//!
//! ```text
//! {"filtersList":[{"field":"startTime","operator":"GREATER_THAN_OR_EQUAL","values":["2024-07-01 00:00:00.000"]}]}
//! ```
//!
//! The vendor's "Filterlist" table fixes, for each field, the value type and the
//! operators that may be used. The spec holds that table once (`x-filter-table` in
//! `specs/luware.yaml`), [`FilterField`] is generated from it, and this module builds on it:
//!
//! * [`Filter`]: one entry, validated against the table when it is built;
//! * [`Filters`]: the whole parameter, with a chaining builder and [`Filters::to_json`];
//! * a compact text form for command lines (`startTime>=2024-07-01`), parsed by
//!   [`Filter`]'s [`FromStr`] impl;
//! * [`Filter::validate`], for a filter that was deserialized.
//!
//! Reading the parameter on the server side and evaluating it over records
//! is the emulator's (`sandbox::luware`).
//!
//! ```
//! use chrono::NaiveDate;
//! use convo_clients::luware::filter::{FilterField, Filters};
//!
//! let july = NaiveDate::from_ymd_opt(2024, 7, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap();
//! let filters = Filters::new()
//!     .started_at_or_after(july)
//!     .platform("Microsoft Teams")
//!     .ne(FilterField::Hold, None::<i32>)?;
//! assert_eq!(
//!     filters.to_json(),
//!     concat!(
//!         r#"{"filtersList":["#,
//!         r#"{"field":"startTime","operator":"GREATER_THAN_OR_EQUAL","values":["2024-07-01 00:00:00.000"]},"#,
//!         r#"{"field":"platformName","operator":"EQUAL","values":["Microsoft Teams"]},"#,
//!         r#"{"field":"hold","operator":"NOT_EQUAL","values":["NULL"]}]}"#,
//!     ),
//! );
//!
//! // The same filters, typed by a CLI user.
//! let typed: Filters = ["startTime>=2024-07-01", "platformName=Microsoft Teams", "hold!=NULL"]
//!     .into_iter()
//!     .map(str::parse)
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(typed, filters);
//! # Ok::<(), convo_clients::luware::filter::FilterError>(())
//! ```
//!
//! # Compact syntax
//!
//! A compact filter is `<field><operator><value>`. The field is the wire name (exact
//! case). Whitespace around the operator and the value is ignored, and the value may
//! contain spaces.
//!
//! | Text | Operator | Example |
//! |---|---|---|
//! | `=` | `EQUAL` | `platformName=Microsoft Teams` |
//! | `!=` | `NOT_EQUAL` | `hold!=NULL` |
//! | `^=` | `STARTS_WITH` | `sourceCallerId^=+44` |
//! | `$=` | `ENDS_WITH` | `verbaUserLogin$=@example.com` |
//! | `>` / `>=` | `GREATER_THAN` / `GREATER_THAN_OR_EQUAL` | `startTime>=2024-07-01` |
//! | `<` / `<=` | `LESS_THAN` / `LESS_THAN_OR_EQUAL` | `sourceAudioRtpCount<500` |
//! | `=A..B` | `BETWEEN` | `endTime=2024-07-01..2024-08-01` |
//!
//! `=A..B` means `BETWEEN` only for fields that allow `BETWEEN`. None of those fields
//! allows `EQUAL`, so the form is unambiguous. For date-time fields the compact form also
//! accepts `YYYY-MM-DD` (midnight) and `YYYY-MM-DD HH:MM:SS` (zero milliseconds).
//!
//! # Inferred behaviour
//!
//! The vendor document does not settle the points below. This module's choices are
//! marked *inferred* where they are implemented.
//!
//! * The document shows the parameter with Python-style single quotes. This module sends
//!   standard double-quoted JSON.
//! * `BETWEEN` takes exactly two values, `[low, high]`, and includes both ends. Every
//!   other operator takes exactly one value.
//! * `NULL` (for the nullable fields `recordedParty` and `hold`) is sent as the string
//!   `"NULL"`, and booleans as `"TRUE"`/`"FALSE"`, as in the table's examples.
//! * Date-times are naive. The document says they are "converted to the user's time zone".
//! * Evaluation ([`Filter::matches`]): string comparisons are case-sensitive. `NOT_EQUAL`
//!   with a concrete value matches a missing or null field. Filters combine with AND.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike as _, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// Declares [`FilterOperator`], `ALL`, `as_str` and `compact` from one row per operator:
/// the variant, its wire name and its compact form, any further docs, and the
/// [`Filters`] builder method of an operator that takes one value.
macro_rules! operators {
    ($($(#[$doc:meta])* $variant:ident $wire:literal $compact:literal $($method:ident)?,)*) => {
        /// A comparison operator of the Luware filter language.
        ///
        /// Serialized as its wire name in `SCREAMING_SNAKE_CASE`, for example `GREATER_THAN_OR_EQUAL`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FilterOperator {
            $(
                #[doc = concat!("`", $wire, "`: compact form `", $compact, "`.")]
                $(#[$doc])*
                $variant,
            )*
        }

        impl FilterOperator {
            /// Every operator, in the order the vendor document introduces them.
            pub const ALL: [FilterOperator; 9] = [$(Self::$variant),*];

            /// The wire name, for example `"GREATER_THAN_OR_EQUAL"`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// How the operator is written in the compact text form, for example `">="`.
            /// `BETWEEN` is `"=A..B"`: an `=` followed by two values separated by `..`.
            pub const fn compact(self) -> &'static str {
                match self {
                    $(Self::$variant => $compact,)*
                }
            }
        }

        impl Filters {
            $($(
                #[doc = concat!("Appends `field ", $wire, " value`.")]
                pub fn $method(self, field: FilterField, value: impl Into<FilterValue>) -> Result<Self, FilterError> {
                    Ok(self.with(Filter::new(field, FilterOperator::$variant, [value.into()])?))
                }
            )?)*
        }
    };
}

operators! {
    Equal "EQUAL" "=" eq,
    NotEqual "NOT_EQUAL" "!=" ne,
    StartsWith "STARTS_WITH" "^=" starts_with,
    EndsWith "ENDS_WITH" "$=" ends_with,
    GreaterThan "GREATER_THAN" ">" gt,
    GreaterThanOrEqual "GREATER_THAN_OR_EQUAL" ">=" ge,
    LessThan "LESS_THAN" "<" lt,
    LessThanOrEqual "LESS_THAN_OR_EQUAL" "<=" le,
    /// Takes two values and includes both ends (inferred).
    Between "BETWEEN" "=A..B",
}

impl FilterOperator {
    /// How many entries `values` must hold: 2 for `BETWEEN`, 1 for every other operator
    /// (inferred; the document shows only single-value examples).
    pub const fn value_count(self) -> usize {
        match self {
            Self::Between => 2,
            _ => 1,
        }
    }

    /// For the ordering operators, the bound each value sets, in order: the side of it a
    /// matching value is on (`Greater` for a lower bound), and whether the bound itself
    /// matches too. Empty for the other operators.
    pub(crate) const fn bounds(self) -> &'static [(Ordering, bool)] {
        match self {
            Self::GreaterThan => &[(Ordering::Greater, false)],
            Self::GreaterThanOrEqual => &[(Ordering::Greater, true)],
            Self::LessThan => &[(Ordering::Less, false)],
            Self::LessThanOrEqual => &[(Ordering::Less, true)],
            Self::Between => &[(Ordering::Greater, true), (Ordering::Less, true)],
            _ => &[],
        }
    }
}

/// The type of a field's values, from the "Data type" column of the vendor's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `string`: any text.
    String,
    /// `string($date-time)`: `YYYY-MM-DD HH:MM:SS.mmm` in the user's time zone.
    DateTime,
    /// `integer($int32)`.
    Integer,
    /// `boolean`: sent as `TRUE` or `FALSE`.
    Boolean,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "string",
            Self::DateTime => "date-time",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
        })
    }
}

// `FilterField`: the enum, `ALL`, `as_str`, `kind`, `operators` and `nullable`, generated
// by build.rs from `x-filter-table` in specs/luware.yaml, the only copy of the table.
include!(concat!(env!("OUT_DIR"), "/luware_facts.rs"));

impl FilterField {
    /// Whether `operator` may be used with this field.
    pub fn allows(self, operator: FilterOperator) -> bool {
        self.operators().contains(&operator)
    }

    /// Describes the values this field accepts, for error messages.
    const fn expected(self) -> &'static str {
        match (self.kind(), self.nullable()) {
            (ValueKind::String, _) => "a string",
            (ValueKind::DateTime, _) => "a date-time `YYYY-MM-DD HH:MM:SS.mmm`",
            (ValueKind::Integer, false) => "a 32-bit integer",
            (ValueKind::Integer, true) => "a 32-bit integer or NULL",
            (ValueKind::Boolean, _) => "TRUE or FALSE",
        }
    }
}

/// Implements `Display`, `FromStr` (exact case; else `FilterError::$unknown`),
/// `Serialize` and `Deserialize` as the type's wire name (`as_str`).
macro_rules! wire_name {
    ($ty:ty, $unknown:ident) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = FilterError;

            /// Parses a wire name (exact case), for example `"startTime"` or `"NOT_EQUAL"`.
            fn from_str(s: &str) -> Result<Self, FilterError> {
                Self::ALL.iter().copied().find(|x| x.as_str() == s).ok_or_else(|| FilterError::$unknown(s.to_owned()))
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                std::borrow::Cow::<'de, str>::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

wire_name!(FilterField, UnknownField);
wire_name!(FilterOperator, UnknownOperator);

/// The `chrono` format of date-time filter values: `2024-07-01 00:00:00.000`.
pub const DATETIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3f";

/// Formats a date-time the way the API expects it: `YYYY-MM-DD HH:MM:SS.mmm`. Any precision
/// below a millisecond is dropped.
///
/// Years outside 0000–9999 do not fit the wire format. [`Filter::new`] rejects them; the
/// infallible [`Filters`] shorthands such as [`Filters::started_before`] do not check.
pub fn format_datetime(datetime: NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    // Written field by field: chrono's `format` interprets the pattern on
    // every call, which showed in the sandbox's profile (one per record).
    // Years past four digits and leap seconds are rare: chrono writes those.
    if !(0..=9999).contains(&datetime.year()) || datetime.nanosecond() >= 1_000_000_000 {
        return datetime.format(DATETIME_FORMAT).to_string();
    }
    // Digits put in place: `format!`'s padding showed in the sandbox's profile.
    let mut text = *b"0000-00-00 00:00:00.000";
    let fields = [
        (0..4, datetime.year().unsigned_abs()),
        (5..7, datetime.month()),
        (8..10, datetime.day()),
        (11..13, datetime.hour()),
        (14..16, datetime.minute()),
        (17..19, datetime.second()),
        (20..23, datetime.nanosecond() / 1_000_000),
    ];
    for (place, mut n) in fields {
        for digit in text[place].iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
    std::str::from_utf8(&text).unwrap_or_default().to_owned()
}

/// A value for [`Filter::new`] and the [`Filters`] builder methods.
///
/// Typed callers pass an `i32`, `bool`, [`NaiveDateTime`] or `Option<i32>`, and the value
/// is formatted for them. Text (`&str`/`String`) is checked against the field's
/// [`ValueKind`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterValue {
    /// Text. It is checked against the field's kind: booleans may be in any case and are
    /// sent as `TRUE`/`FALSE`; date-times must be `YYYY-MM-DD HH:MM:SS.mmm`.
    Text(String),
    /// An integer, for [`ValueKind::Integer`] fields.
    Int(i32),
    /// A boolean, for [`ValueKind::Boolean`] fields. Sent as `TRUE`/`FALSE`.
    Bool(bool),
    /// A date-time, for [`ValueKind::DateTime`] fields. Sent as `YYYY-MM-DD HH:MM:SS.mmm`.
    DateTime(NaiveDateTime),
    /// `NULL`, for the [nullable](FilterField::nullable) fields only.
    Null,
}

impl fmt::Display for FilterValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) => f.write_str(text),
            Self::Int(n) => fmt::Display::fmt(n, f),
            Self::Bool(b) => f.write_str(bool_str(*b)),
            Self::DateTime(t) => fmt::Display::fmt(&t.format(DATETIME_FORMAT), f),
            Self::Null => f.write_str(NULL),
        }
    }
}

/// `impl From<$from> for $target`, one per `$from => |value| conversion`.
macro_rules! from_impls {
    (<$lt:lifetime> $target:ty { $($from:ty => |$v:ident| $make:expr,)* }) => {$(
        impl<$lt> From<$from> for $target {
            fn from($v: $from) -> Self {
                $make
            }
        }
    )*};
    ($target:ty { $($from:ty => |$v:ident| $make:expr,)* }) => {$(
        impl From<$from> for $target {
            fn from($v: $from) -> Self {
                $make
            }
        }
    )*};
}
#[cfg(feature = "sandbox")]
pub(crate) use from_impls;

// `None` is `NULL`.
from_impls!(FilterValue {
    &str => |text| Self::Text(text.to_owned()),
    &String => |text| Self::Text(text.clone()),
    String => |text| Self::Text(text),
    i32 => |n| Self::Int(n),
    Option<i32> => |n| n.map_or(Self::Null, Self::Int),
    bool => |b| Self::Bool(b),
    NaiveDateTime => |datetime| Self::DateTime(datetime),
});

const NULL: &str = "NULL";

const fn bool_str(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

impl FilterValue {
    /// Converts the value to its wire string for `field`, or explains why it does not fit.
    fn into_wire(self, field: FilterField) -> Result<String, FilterError> {
        match (self, field.kind()) {
            (Self::Text(text), _) => canonical_wire_value(field, text),
            (Self::Int(n), ValueKind::Integer) => Ok(n.to_string()),
            (Self::Bool(b), ValueKind::Boolean) => Ok(bool_str(b).to_owned()),
            // The wire format has a four-digit year.
            (Self::DateTime(t), ValueKind::DateTime) if (0..=9999).contains(&t.year()) => Ok(format_datetime(t)),
            (Self::Null, ValueKind::Integer) if field.nullable() => Ok(NULL.to_owned()),
            (value, _) => {
                Err(FilterError::InvalidValue { field, value: value.to_string(), expected: field.expected() })
            }
        }
    }
}

/// A filter value read according to its field's kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Typed<'a> {
    Str(&'a str),
    Int(i64),
    Bool(bool),
    DateTime(NaiveDateTime),
    Null,
}

impl Typed<'_> {
    /// Orders integers and date-times. Other kinds have no order in the filter language.
    pub(crate) fn compare(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(b)),
            (Self::DateTime(a), Self::DateTime(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Reads a wire value for `field`. Booleans and `NULL` may be in any case; date-times
/// must be in the exact seed format.
pub(crate) fn parse_wire_value(field: FilterField, raw: &str) -> Result<Typed<'_>, FilterError> {
    let typed = match field.kind() {
        ValueKind::String => Some(Typed::Str(raw)),
        ValueKind::DateTime => parse_datetime(raw, DateTimeSyntax::Strict).map(Typed::DateTime),
        ValueKind::Integer if field.nullable() && raw.eq_ignore_ascii_case(NULL) => Some(Typed::Null),
        ValueKind::Integer => raw.parse::<i32>().ok().map(|n| Typed::Int(n.into())),
        ValueKind::Boolean => {
            [true, false].into_iter().find(|&b| raw.eq_ignore_ascii_case(bool_str(b))).map(Typed::Bool)
        }
    };
    typed.ok_or_else(|| FilterError::InvalidValue { field, value: raw.to_owned(), expected: field.expected() })
}

/// Checks a wire value for `field` and returns its canonical spelling (`TRUE`, `NULL`,
/// `5` rather than `+05`). The input is reused when it is already canonical.
fn canonical_wire_value(field: FilterField, raw: String) -> Result<String, FilterError> {
    let replacement = match parse_wire_value(field, &raw)? {
        Typed::Int(n) if (raw.starts_with(['+', '0']) && raw != "0") || raw.starts_with("-0") => Some(n.to_string()),
        Typed::Bool(b) if raw != bool_str(b) => Some(bool_str(b).to_owned()),
        Typed::Null if raw != NULL => Some(NULL.to_owned()),
        _ => None,
    };
    Ok(replacement.unwrap_or(raw))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateTimeSyntax {
    /// Only `YYYY-MM-DD HH:MM:SS.mmm`, as on the wire.
    Strict,
    /// Also `YYYY-MM-DD` and `YYYY-MM-DD HH:MM:SS`, for the compact form.
    Lenient,
}

/// Parses `YYYY-MM-DD HH:MM:SS.mmm`. With [`DateTimeSyntax::Lenient`] the time and the
/// milliseconds may be left out (they default to zero).
fn parse_datetime(s: &str, syntax: DateTimeSyntax) -> Option<NaiveDateTime> {
    let lenient = syntax == DateTimeSyntax::Lenient;
    let date = crate::spec::validate::parse_date(s.get(..10)?)?;
    let time = match &s.as_bytes()[10..] {
        [] if lenient => return date.and_hms_opt(0, 0, 0),
        [b' ', time @ ..] => time,
        _ => return None,
    };
    let (hms, fraction) = time.split_at_checked(8)?;
    let &[h0, h1, b':', mi0, mi1, b':', s0, s1] = hms else {
        return None;
    };
    let millis = match *fraction {
        [] if lenient => 0,
        [b'.', a, b, c] => digits(&[a, b, c])?,
        _ => return None,
    };
    date.and_hms_milli_opt(digits(&[h0, h1])?, digits(&[mi0, mi1])?, digits(&[s0, s1])?, millis)
}

/// The value of a short run of ASCII digits.
fn digits(ds: &[u8]) -> Option<u32> {
    ds.iter().try_fold(0u32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
}

/// One entry of `filtersList`: `{"field": .., "operator": .., "values": [..]}`.
///
/// A `Filter` built with [`Filter::new`], parsed from the compact form or read by
/// the emulator's parser has been checked against the vendor table. A `Filter` obtained by
/// plain deserialization has not; call [`Filter::validate`] on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filter {
    pub(crate) field: FilterField,
    pub(crate) operator: FilterOperator,
    pub(crate) values: Vec<String>,
}

impl Filter {
    /// Builds a filter and checks it against the vendor table:
    ///
    /// * `operator` must be allowed for `field`;
    /// * there must be exactly two values for `BETWEEN` and exactly one otherwise;
    /// * each value must fit the field's [`ValueKind`] (see [`FilterValue`]);
    /// * `BETWEEN`'s first value must not be greater than its second.
    ///
    /// # Errors
    ///
    /// [`FilterError::OperatorNotAllowed`], [`FilterError::WrongValueCount`],
    /// [`FilterError::InvalidValue`] or [`FilterError::BetweenOutOfOrder`], checked in
    /// that order.
    pub fn new(
        field: FilterField,
        operator: FilterOperator,
        values: impl IntoIterator<Item = impl Into<FilterValue>>,
    ) -> Result<Self, FilterError> {
        let values: Vec<FilterValue> = values.into_iter().map(Into::into).collect();
        check_shape(field, operator, values.len())?;
        let values = values.into_iter().map(|value| value.into_wire(field)).collect::<Result<_, _>>()?;
        let filter = Self { field, operator, values };
        // BETWEEN's bounds out of order are the empty range of one filter.
        check_ranges(std::slice::from_ref(&filter)).map_err(|e| match e {
            FilterError::EmptyRange { field, lower, upper } => {
                FilterError::BetweenOutOfOrder { field, first: lower, second: upper }
            }
            e => e,
        })?;
        Ok(filter)
    }

    /// The field being filtered on.
    pub const fn field(&self) -> FilterField {
        self.field
    }

    /// The comparison operator.
    pub const fn operator(&self) -> FilterOperator {
        self.operator
    }

    /// The values as sent on the wire.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Runs the checks of [`Filter::new`] on a filter as it stands, for example one that
    /// was deserialized from a request. Lower-case booleans and `null` are accepted.
    ///
    /// # Errors
    ///
    /// The errors of [`Filter::new`].
    pub fn validate(&self) -> Result<(), FilterError> {
        Self::new(self.field, self.operator, &self.values).map(drop)
    }
}

/// The operator is allowed for the field (else `OperatorNotAllowed`), and it has
/// `got` values, as many as it takes (else `WrongValueCount`).
fn check_shape(field: FilterField, operator: FilterOperator, got: usize) -> Result<(), FilterError> {
    let expected = operator.value_count();
    if !field.allows(operator) {
        Err(FilterError::OperatorNotAllowed { field, operator, allowed: field.operators() })
    } else if got != expected {
        Err(FilterError::WrongValueCount { field, operator, expected, got })
    } else {
        Ok(())
    }
}

/// Compares the tightest lower and upper bound `filters` set on each field
/// (values that do not fit the field are left out), else `EmptyRange`.
fn check_ranges(filters: &[Filter]) -> Result<(), FilterError> {
    for &field in FilterField::ALL {
        // Each side's tightest bound: the value as given, typed, and whether it is included.
        let (mut lower, mut upper) = (None::<(&str, Typed<'_>, bool)>, None);
        for filter in filters.iter().filter(|f| f.field == field) {
            for (&(side, inclusive), raw) in filter.operator.bounds().iter().zip(&filter.values) {
                let Ok(value) = parse_wire_value(field, raw) else { continue };
                let bound = if side == Ordering::Greater { &mut lower } else { &mut upper };
                // Further to the side is tighter; at a tie, the bound that leaves itself out.
                let tighter = bound.as_ref().is_none_or(|(_, current, _)| match value.compare(current) {
                    Some(Ordering::Equal) => !inclusive,
                    order => order == Some(side),
                });
                if tighter {
                    *bound = Some((raw.as_str(), value, inclusive));
                }
            }
        }
        let (Some(low), Some(high)) = (lower, upper) else { continue };
        let empty = match low.1.compare(&high.1) {
            Some(Ordering::Greater) => true,
            Some(Ordering::Equal) => !(low.2 && high.2),
            _ => false,
        };
        if empty {
            return Err(FilterError::EmptyRange { field, lower: low.0.to_owned(), upper: high.0.to_owned() });
        }
    }
    Ok(())
}

/// The compact form, for example `startTime>=2024-07-01 00:00:00.000` or
/// `endTime=2024-07-01 00:00:00.000..2024-08-01 00:00:00.000`. It parses back to an
/// equal filter (string values with leading or trailing spaces excepted).
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `BETWEEN` is `=` and the values joined by `..`; so, as best it can, is a filter
        // with the wrong number of values.
        let token = if self.operator == FilterOperator::Between { "=" } else { self.operator.compact() };
        write!(f, "{}{token}{}", self.field, self.values.join(".."))
    }
}

impl FromStr for Filter {
    type Err = FilterError;

    /// Parses the compact form `<field><operator><value>`; see the
    /// [module documentation](self) for the syntax.
    fn from_str(input: &str) -> Result<Self, FilterError> {
        let syntax = |reason| FilterError::Syntax { input: input.to_owned(), reason };
        let s = input.trim();
        if s.is_empty() {
            return Err(syntax("the filter is empty; expected `<field><operator><value>`"));
        }

        // The field name is the leading ASCII letters. A longer token, such as
        // `start_time`, is reported whole as an unknown field.
        let name_len = s.bytes().take_while(u8::is_ascii_alphabetic).count();
        let operator_char = |c: char| FilterOperator::ALL.iter().any(|op| op.compact().starts_with(c));
        let token_len = s.find(|c: char| c.is_whitespace() || operator_char(c)).unwrap_or(s.len());
        if token_len == 0 {
            return Err(syntax("expected a field name before the operator"));
        }
        let (name, rest) = s.split_at(token_len);
        if name_len != token_len {
            return Err(FilterError::UnknownField(name.to_owned()));
        }
        let field: FilterField = name.parse()?;

        let rest = rest.trim_start();
        // The longest token the rest starts with (`>=`, not `>`); `=A..B` is read from `=` below.
        let Some(operator) = FilterOperator::ALL
            .into_iter()
            .filter(|&op| op != FilterOperator::Between && rest.starts_with(op.compact()))
            .max_by_key(|op| op.compact().len())
        else {
            return Err(syntax("expected an operator (=, !=, ^=, $=, >, >=, <, <=) after the field name"));
        };
        let value = rest[operator.compact().len()..].trim();

        // `field=A..B` is BETWEEN for the fields that allow it. None of them allows EQUAL.
        let (operator, value, upper) = match value.split_once("..") {
            Some((low, high)) if operator == FilterOperator::Equal && field.allows(FilterOperator::Between) => {
                (FilterOperator::Between, low.trim(), Some(high.trim()))
            }
            _ => (operator, value, None),
        };

        // The operator first: a missing value for a refused operator is reported as the operator.
        check_shape(field, operator, operator.value_count())?;
        if value.is_empty() || upper.is_some_and(str::is_empty) {
            return Err(FilterError::MissingValue { field, operator });
        }
        let low = compact_value(field, value)?;
        match upper {
            Some(high) => Filter::new(field, operator, [low, compact_value(field, high)?]),
            None => Filter::new(field, operator, [low]),
        }
    }
}

/// Reads one compact-form value. Date-times may leave out the time or the milliseconds.
/// Other kinds are checked by [`Filter::new`].
fn compact_value(field: FilterField, raw: &str) -> Result<FilterValue, FilterError> {
    if field.kind() != ValueKind::DateTime {
        return Ok(FilterValue::Text(raw.to_owned()));
    }
    parse_datetime(raw, DateTimeSyntax::Lenient).map(FilterValue::DateTime).ok_or_else(|| FilterError::InvalidValue {
        field,
        value: raw.to_owned(),
        expected: "`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM:SS.mmm`",
    })
}

/// The whole `filters` parameter: `{"filtersList": [..]}`.
///
/// Build it with the chaining methods and send [`Filters::to_json`] as the parameter
/// value. The HTTP layer URL-encodes it. The fallible builder methods (`eq`, `ne`,
/// `starts_with`, `ends_with`, `gt`, `ge`, `lt`, `le`, `between`) return the errors of
/// [`Filter::new`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Filters {
    #[serde(rename = "filtersList")]
    pub(crate) list: Vec<Filter>,
}

impl Filters {
    /// An empty filter list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a filter.
    pub fn push(&mut self, filter: Filter) {
        self.list.push(filter);
    }

    /// Appends a filter, builder style.
    #[must_use]
    pub fn with(mut self, filter: Filter) -> Self {
        self.push(filter);
        self
    }

    /// Conversations that started at or after `time` (`startTime GREATER_THAN_OR_EQUAL`).
    #[must_use]
    pub fn started_at_or_after(self, time: NaiveDateTime) -> Self {
        self.with_trusted(FilterField::StartTime, FilterOperator::GreaterThanOrEqual, format_datetime(time))
    }

    /// Conversations that started before `time` (`startTime LESS_THAN`).
    #[must_use]
    pub fn started_before(self, time: NaiveDateTime) -> Self {
        self.with_trusted(FilterField::StartTime, FilterOperator::LessThan, format_datetime(time))
    }

    /// Conversations that started between `from` and `to`, both included
    /// (`startTime BETWEEN`).
    ///
    /// # Errors
    ///
    /// [`FilterError::BetweenOutOfOrder`] if `from` is after `to`.
    pub fn started_between(self, from: NaiveDateTime, to: NaiveDateTime) -> Result<Self, FilterError> {
        self.between(FilterField::StartTime, from, to)
    }

    /// Conversations captured from `platform`, for example `"Microsoft Teams"`
    /// (`platformName EQUAL`).
    #[must_use]
    pub fn platform(self, platform: impl Into<String>) -> Self {
        self.with_trusted(FilterField::PlatformName, FilterOperator::Equal, platform.into())
    }

    /// Appends a one-value filter the caller has already proved valid through its argument types.
    fn with_trusted(self, field: FilterField, operator: FilterOperator, value: String) -> Self {
        debug_assert!(field.allows(operator) && operator.value_count() == 1);
        self.with(Filter { field, operator, values: vec![value] })
    }

    /// Appends `field BETWEEN low AND high`, both included (inferred).
    pub fn between(
        self,
        field: FilterField,
        low: impl Into<FilterValue>,
        high: impl Into<FilterValue>,
    ) -> Result<Self, FilterError> {
        let filter = Filter::new(field, FilterOperator::Between, [low.into(), high.into()])?;
        Ok(self.with(filter))
    }

    /// Whether there are no filters. The API requires the parameter, and whether it
    /// accepts an empty list is undocumented.
    pub const fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The number of filters.
    pub const fn len(&self) -> usize {
        self.list.len()
    }

    /// The filters, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Filter> {
        self.list.iter()
    }

    /// The filters as a slice.
    pub fn as_slice(&self) -> &[Filter] {
        &self.list
    }

    /// Runs [`Filter::validate`] on every filter, then checks that the
    /// bounds on each field leave something to find: `startTime>=2024-07-01`
    /// with `startTime<2024-06-01` is [`FilterError::EmptyRange`] (the
    /// filters are ANDed, so the API would answer nothing).
    pub fn validate(&self) -> Result<(), FilterError> {
        self.list.iter().try_for_each(Filter::validate)?;
        check_ranges(&self.list)
    }

    /// The parameter value as compact, double-quoted JSON, for example
    /// `{"filtersList":[{"field":"startTime","operator":"GREATER_THAN_OR_EQUAL","values":["2024-07-01 00:00:00.000"]}]}`:
    /// `serde_json::to_string(self)`, which cannot fail on names and strings. It does not
    /// URL-encode.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl FromIterator<Filter> for Filters {
    fn from_iter<I: IntoIterator<Item = Filter>>(iter: I) -> Self {
        Self { list: iter.into_iter().collect() }
    }
}

impl Extend<Filter> for Filters {
    fn extend<I: IntoIterator<Item = Filter>>(&mut self, iter: I) {
        self.list.extend(iter);
    }
}

impl IntoIterator for Filters {
    type Item = Filter;
    type IntoIter = std::vec::IntoIter<Filter>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.into_iter()
    }
}

impl<'a> IntoIterator for &'a Filters {
    type Item = &'a Filter;
    type IntoIter = std::slice::Iter<'a, Filter>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl From<Filter> for Filters {
    fn from(filter: Filter) -> Self {
        Self { list: vec![filter] }
    }
}

/// Why a filter could not be built, parsed or validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The name is not one of the wire field names (which are case-sensitive).
    #[error("unknown filter field `{0}`{hint}", hint = did_you_mean(.0))]
    UnknownField(String),

    /// The name is not one of the nine wire operator names.
    #[error("unknown filter operator `{0}`; expected one of {all}", all = listed(&FilterOperator::ALL, false))]
    UnknownOperator(String),

    /// The vendor table does not allow this operator for this field.
    #[error(
        "operator {operator} (`{compact}`) is not allowed for field {field}; allowed: {list}",
        compact = .operator.compact(),
        list = listed(.allowed, true)
    )]
    OperatorNotAllowed {
        /// The field.
        field: FilterField,
        /// The operator that was asked for.
        operator: FilterOperator,
        /// The operators the field allows.
        allowed: &'static [FilterOperator],
    },

    /// `BETWEEN` needs two values and every other operator needs one.
    #[error("operator {operator} on field {field} takes exactly {expected} value(s), got {got}")]
    WrongValueCount {
        /// The field.
        field: FilterField,
        /// The operator.
        operator: FilterOperator,
        /// How many values the operator takes.
        expected: usize,
        /// How many values were given.
        got: usize,
    },

    /// A value does not fit the field's [`ValueKind`].
    #[error("invalid value `{value}` for field {field}: expected {expected}")]
    InvalidValue {
        /// The field.
        field: FilterField,
        /// The value as given.
        value: String,
        /// What the field accepts.
        expected: &'static str,
    },

    /// The compact form has no value after the operator, or `BETWEEN` lacks a bound.
    #[error("missing value for field {field} after operator {operator} (`{compact}`)", compact = .operator.compact())]
    MissingValue {
        /// The field.
        field: FilterField,
        /// The operator.
        operator: FilterOperator,
    },

    /// `BETWEEN`'s first value is greater than its second.
    #[error("BETWEEN bounds for field {field} are out of order: `{first}` is after `{second}`")]
    BetweenOutOfOrder {
        /// The field.
        field: FilterField,
        /// The first (lower) bound as given.
        first: String,
        /// The second (upper) bound as given.
        second: String,
    },

    /// The filters on a field bound it from below and above so that no
    /// value fits (they are ANDed: the search could find nothing).
    #[error("the filters on field {field} leave an empty range: nothing is both from `{lower}` and up to `{upper}`")]
    EmptyRange {
        /// The field.
        field: FilterField,
        /// The tightest lower bound, as given.
        lower: String,
        /// The tightest upper bound, as given.
        upper: String,
    },

    /// The compact form could not be split into field, operator and value.
    #[error("invalid filter `{input}`: {reason}")]
    Syntax {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The `filters` JSON is malformed. Holds `serde_json`'s message.
    #[error("invalid filters JSON: {0}")]
    Json(String),
}

impl crate::error::ApiError for FilterError {
    fn is_invalid_input(&self) -> bool {
        true
    }
}

/// Suggests the field an unknown name differs from only in case.
fn did_you_mean(name: &str) -> String {
    let field = FilterField::ALL.iter().copied().find(|field| field.as_str().eq_ignore_ascii_case(name));
    field.map(|field| format!(" (did you mean `{field}`?)")).unwrap_or_default()
}

/// Each operator as `` `compact` (WIRE) ``, or as its wire name alone, joined by commas.
fn listed(operators: &[FilterOperator], compact: bool) -> String {
    let one = |op: &FilterOperator| if compact { format!("`{}` ({op})", op.compact()) } else { op.to_string() };
    operators.iter().map(one).collect::<Vec<_>>().join(", ")
}
