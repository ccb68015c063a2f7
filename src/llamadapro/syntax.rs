//! The syntaxes inside LlamadaPro's list parameters, typed: `filterBy`
//! (`field:value;field:value`) and `sortBy` (`field=direction`), and the
//! conditions of a contact search. `client.get_contacts().filter_by(f.to_string())`.
//!
//! The API does not document how a `:` or `;` inside a value would be
//! escaped, so such values are refused with a typed error instead of being
//! sent in a form the server may split differently.

use std::fmt;
use std::str::FromStr;

use super::input::InputError;
use super::types::{
    SearcherDocumentSearchFilter, SearcherDocumentSearchSort, SearcherDocumentSearchSortField, SortDirection,
};

/// Why a field name is refused (see [`is_field_name`]).
const FIELD_NAME: &str = "a field name is letters, digits, '_', '-' and '.'";

/// A field name as the list syntaxes can carry it: letters, digits, `_`,
/// `-` and `.` (for nested fields such as `customFields.source`).
fn is_field_name(field: &str) -> bool {
    !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
}

/// `filterBy`: equality filters, ANDed, sent as `field:value;field:value`.
///
/// ```
/// use convo_clients::llamadapro::FilterBy;
/// let f = FilterBy::new().with("firstName", "John")?.with("email", "john@example.com")?;
/// assert_eq!(f.to_string(), "firstName:John;email:john@example.com");
/// assert!(FilterBy::new().with("note", "a;b").is_err());
/// # Ok::<(), convo_clients::llamadapro::InputError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterBy {
    pairs: Vec<(String, String)>,
}

impl FilterBy {
    /// No filter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `field:value`. Refuses empty parts, field names the syntax
    /// cannot carry, and values holding `:` or `;`.
    pub fn with(mut self, field: impl Into<String>, value: impl Into<String>) -> Result<Self, InputError> {
        let (field, value) = (field.into(), value.into());
        let bad = |reason: &str| InputError::BadFilter { field: field.clone(), reason: reason.into() };
        if !is_field_name(&field) {
            return Err(bad(FIELD_NAME));
        }
        if value.is_empty() {
            return Err(bad("the value is empty"));
        }
        if let Some(c) = value.chars().find(|c| matches!(c, ':' | ';')) {
            return Err(bad(&format!(
                "the value holds {c:?}, a separator of the filterBy syntax that cannot be escaped"
            )));
        }
        self.pairs.push((field, value));
        Ok(self)
    }

    /// The `(field, value)` pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

impl fmt::Display for FilterBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self.pairs.iter().map(|(field, value)| format!("{field}:{value}")).collect();
        f.write_str(&pairs.join(";"))
    }
}

/// Parses the wire form, `field:value;field:value`, with the checks of [`FilterBy::with`].
impl FromStr for FilterBy {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Self, InputError> {
        text.split(';').try_fold(FilterBy::new(), |filter, pair| match pair.split_once(':') {
            Some((field, value)) => filter.with(field, value),
            None => Err(InputError::BadFilter { field: pair.into(), reason: "expected field:value".into() }),
        })
    }
}

/// `sortBy`: one field and a direction, sent as `field=direction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortBy {
    field: String,
    direction: SortDirection,
}

impl SortBy {
    /// Sorts by `field` in `direction`.
    pub fn new(field: impl Into<String>, direction: SortDirection) -> Result<Self, InputError> {
        let field = field.into();
        if !is_field_name(&field) {
            return Err(InputError::BadSort { text: field, reason: FIELD_NAME.into() });
        }
        Ok(Self { field, direction })
    }

    /// Ascending by `field`.
    pub fn asc(field: impl Into<String>) -> Result<Self, InputError> {
        Self::new(field, SortDirection::Asc)
    }

    /// Descending by `field`.
    pub fn desc(field: impl Into<String>) -> Result<Self, InputError> {
        Self::new(field, SortDirection::Desc)
    }

    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn direction(&self) -> &SortDirection {
        &self.direction
    }
}

impl fmt::Display for SortBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.field, self.direction)
    }
}

/// Parses `field=asc` or `field=desc` (any case); a bare `field` is ascending.
impl FromStr for SortBy {
    type Err = InputError;

    fn from_str(text: &str) -> Result<Self, InputError> {
        let (field, direction) = text.split_once('=').unwrap_or((text, "asc"));
        let direction = direction
            .to_ascii_lowercase()
            .parse()
            .map_err(|e: crate::UnknownVariant| InputError::BadSort { text: text.into(), reason: e.to_string() })?;
        Self::new(field, direction)
    }
}

/// Constructors for search conditions, e.g. `eq("addresses.address", "+56912345678")`.
impl SearcherDocumentSearchFilter {
    /// `field` equals `value`.
    pub fn eq(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self::with_operator(field, "eq", value)
    }

    /// `field` contains `value`.
    pub fn contains(field: impl Into<String>, value: impl Into<String>) -> Self {
        Self::with_operator(field, "contains", value)
    }

    /// Any operator the server knows (only `eq` and `contains` are documented).
    pub fn with_operator(field: impl Into<String>, operator: impl Into<String>, value: impl Into<String>) -> Self {
        Self { field: Some(field.into()), operator: Some(operator.into()), value: Some(value.into()), or: None }
    }

    /// Combines this condition with the previous one by OR instead of AND.
    pub fn or(mut self) -> Self {
        self.or = Some(true);
        self
    }
}

/// Constructors for search sort keys.
impl SearcherDocumentSearchSort {
    pub fn asc(field: SearcherDocumentSearchSortField) -> Self {
        Self { field: Some(field), direction: Some(SortDirection::Asc) }
    }

    pub fn desc(field: SearcherDocumentSearchSortField) -> Self {
        Self { field: Some(field), direction: Some(SortDirection::Desc) }
    }
}
