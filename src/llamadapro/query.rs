//! Typed list queries: `filterBy` (`field:value;field:value`), `sortBy`
//! (`field=direction`), and the filters of the task and search endpoints.
//!
//! The API does not document how a `:` or `;` inside a value would be
//! escaped, so such values are refused with a typed error instead of being
//! sent in a form the server may split differently.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::ids::id_to_number;
use super::input::InputError;
use super::types::{
    SearcherDocumentSearchFilter, SearcherDocumentSearchSort, SearcherDocumentSearchSortField, SortDirection, TaskAssigneeType, TaskStatus,
};
use crate::error::InvalidInput;

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
            return Err(bad("a field name is letters, digits, '_', '-' and '.'"));
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
        for (i, (field, value)) in self.pairs.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            write!(f, "{field}:{value}")?;
        }
        Ok(())
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
            return Err(InputError::BadSort {
                text: field,
                reason: "a field name is letters, digits, '_', '-' and '.'".into(),
            });
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

/// Filters, sort and page size of the contact and custom-field lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub(crate) filter_by: Option<FilterBy>,
    pub(crate) search_by: Option<String>,
    pub(crate) sort_by: Option<SortBy>,
    pub(crate) page_size: Option<u32>,
    pub(crate) tenant_id: Option<String>,
}

impl ListQuery {
    /// Everything, in the server's order and page size.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn filter(mut self, filter: FilterBy) -> Self {
        self.filter_by = (!filter.is_empty()).then_some(filter);
        self
    }

    /// Free-text search (`searchBy`; its syntax is not documented).
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search_by = Some(text.into());
        self
    }

    pub fn sort(mut self, sort: SortBy) -> Self {
        self.sort_by = Some(sort);
        self
    }

    /// Items per page (`pageSize`, at least 1; no maximum is documented).
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = Some(n);
        self
    }

    /// Another tenant's custom fields (custom-field lists only).
    pub fn tenant(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }

    pub(crate) fn check(&self, takes_tenant: bool) -> Result<(), InvalidInput> {
        if self.page_size == Some(0) {
            return Err(InvalidInput::parameter("pageSize", "must be at least 1"));
        }
        if !takes_tenant && self.tenant_id.is_some() {
            return Err(InvalidInput::parameter("tenantId", "only the custom-field lists take a tenant"));
        }
        Ok(())
    }
}

/// Filters and page size of the task list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskQuery {
    pub(crate) limit: Option<u32>,
    pub(crate) status: Option<TaskStatus>,
    pub(crate) due_before: Option<DateTime<Utc>>,
    pub(crate) due_after: Option<DateTime<Utc>>,
    pub(crate) conversation_id: Option<u64>,
    pub(crate) assigned_to_type: Option<TaskAssigneeType>,
    pub(crate) assigned_to_id: Option<String>,
}

impl TaskQuery {
    /// Every task, in the server's page size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tasks per page (`limit`, at least 1).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    pub fn status(mut self, status: TaskStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Only tasks due before `t`.
    pub fn due_before(mut self, t: DateTime<Utc>) -> Self {
        self.due_before = Some(t);
        self
    }

    /// Only tasks due after `t`.
    pub fn due_after(mut self, t: DateTime<Utc>) -> Self {
        self.due_after = Some(t);
        self
    }

    /// Only tasks about this funnel conversation.
    pub fn conversation(mut self, id: u64) -> Self {
        self.conversation_id = Some(id);
        self
    }

    /// Only tasks assigned to this kind of party, and to this one if `id` is given.
    pub fn assigned_to(mut self, kind: TaskAssigneeType, id: Option<String>) -> Self {
        self.assigned_to_type = Some(kind);
        self.assigned_to_id = id;
        self
    }

    /// Only tasks assigned to this id (of any kind).
    pub fn assigned_to_id(mut self, id: impl Into<String>) -> Self {
        self.assigned_to_id = Some(id.into());
        self
    }

    pub(crate) fn check(&self) -> Result<Option<f64>, InvalidInput> {
        if self.limit == Some(0) {
            return Err(InvalidInput::parameter("limit", "must be at least 1"));
        }
        // An empty due range (dueAfter not before dueBefore) is the spec's
        // `x-range`, checked with the rest of the request.
        Ok(self.conversation_id.map(|id| id_to_number("conversationId", id)).transpose()?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_by_round_trips_and_refuses_separators() {
        let f = FilterBy::new().with("firstName", "John").unwrap().with("email", "john@example.com").unwrap();
        assert_eq!(f.to_string(), "firstName:John;email:john@example.com");
        assert_eq!(f.to_string().parse::<FilterBy>().unwrap(), f);
        for (field, value) in [("note", "a;b"), ("time", "10:30"), ("", "x"), ("first name", "x"), ("a", "")] {
            assert!(matches!(FilterBy::new().with(field, value), Err(InputError::BadFilter { .. })), "{field}:{value}");
        }
        assert!("firstName".parse::<FilterBy>().is_err());
        assert!("a:b:c".parse::<FilterBy>().is_err());
        assert_eq!("customFields.source:web".parse::<FilterBy>().unwrap().pairs()[0].0, "customFields.source");
    }

    #[test]
    fn sort_by_syntax() {
        assert_eq!(SortBy::desc("createdAt").unwrap().to_string(), "createdAt=desc");
        assert_eq!("lastName=ASC".parse::<SortBy>().unwrap(), SortBy::asc("lastName").unwrap());
        assert_eq!("id".parse::<SortBy>().unwrap().to_string(), "id=asc");
        assert!(matches!("id=up".parse::<SortBy>(), Err(InputError::BadSort { .. })));
        assert!(SortBy::asc("a=b").is_err());
    }

    #[test]
    fn query_checks() {
        assert!(ListQuery::new().page_size(0).check(true).is_err());
        assert!(ListQuery::new().tenant("t").check(false).is_err());
        assert!(TaskQuery::new().limit(0).check().is_err());
        assert_eq!(TaskQuery::new().conversation(9).check().unwrap(), Some(9.0));
    }
}
