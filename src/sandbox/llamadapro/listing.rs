//! What the store cannot say of a list: `filterBy`, `searchBy` and the
//! `sortBy` fields allowed, and the contact search's conditions and sort,
//! evaluated on a record's JSON.

use std::cmp::Ordering;

use serde_json::Value;

use axum::http::StatusCode;

use crate::llamadapro::types::{SearcherDocumentSearchFilter, SearcherDocumentSearchSort, SortDirection};
use crate::llamadapro::{FilterBy, SortBy};
use crate::sandbox::store::Refusal;
pub(super) use crate::sandbox::store::{compare, lookup, text};

/// The fields a list can be filtered and sorted by; a filter field may
/// stand for several paths (e.g. a contact's `email` also matches its addresses).
pub(super) struct Fields {
    pub filter: &'static [(&'static str, &'static [&'static str])],
    pub sort: &'static [&'static str],
    /// Paths `searchBy` looks in.
    pub search: &'static [&'static str],
}

/// `filterBy`, `searchBy` and `sortBy` of a list request, parsed.
pub(super) struct ListParams {
    filter: Option<FilterBy>,
    search: Option<String>,
}

impl ListParams {
    pub(super) fn parse(query: &[(String, String)], fields: &Fields) -> Result<Self, Refusal> {
        let bad = |message: String| (StatusCode::BAD_REQUEST, message);
        let one = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let filter = match one("filterBy").filter(|f| !f.is_empty()) {
            Some(text) => {
                let filter: FilterBy = text.parse().map_err(|e| bad(format!("{e}")))?;
                if let Some((field, _)) = filter.pairs().iter().find(|(f, _)| !allowed_filter(fields, f)) {
                    return Err(bad(format!("cannot filter by {field:?}")));
                }
                Some(filter)
            }
            None => None,
        };
        // The store sorts; only the fields allowed are the emulator's.
        if let Some(text) = one("sortBy").filter(|s| !s.is_empty()) {
            let sort: SortBy = text.parse().map_err(|e| bad(format!("{e}")))?;
            if !fields.sort.contains(&sort.field()) {
                return Err(bad(format!("cannot sort by {:?}", sort.field())));
            }
        }
        let search = one("searchBy").filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_lowercase());
        Ok(Self { filter, search })
    }

    /// Whether a record (as JSON) passes the filter and the search.
    pub(super) fn matches(&self, record: &Value, fields: &Fields) -> bool {
        let filtered = self.filter.as_ref().is_none_or(|filter| {
            filter.pairs().iter().all(|(field, wanted)| {
                paths(fields, field).iter().any(|path| {
                    lookup(record, path).iter().any(|v| text(v).is_some_and(|t| t.eq_ignore_ascii_case(wanted)))
                })
            })
        });
        let searched = self.search.as_ref().is_none_or(|needle| {
            fields.search.iter().any(|path| {
                lookup(record, path).iter().any(|v| text(v).is_some_and(|t| t.to_lowercase().contains(needle)))
            })
        });
        filtered && searched
    }
}

fn allowed_filter(fields: &Fields, field: &str) -> bool {
    fields.filter.iter().any(|(f, _)| *f == field) || field.strip_prefix("customFields.").is_some_and(|k| !k.is_empty())
}

fn paths(fields: &Fields, field: &str) -> Vec<String> {
    match fields.filter.iter().find(|(f, _)| *f == field) {
        Some((_, paths)) => paths.iter().map(|p| p.to_string()).collect(),
        None => vec![field.to_string()],
    }
}

/// Evaluates search conditions left to right; `or` joins a condition to the
/// previous result by OR, otherwise by AND.
pub(super) fn search_matches(record: &Value, filters: &[SearcherDocumentSearchFilter]) -> bool {
    let mut result = true;
    for (i, filter) in filters.iter().enumerate() {
        let field = filter.field.as_deref().unwrap_or_default();
        let wanted = filter.value.as_deref().unwrap_or_default().to_lowercase();
        let values: Vec<String> =
            lookup(record, field).iter().filter_map(|v| text(v)).map(|t| t.to_lowercase()).collect();
        let hit = match filter.operator.as_deref().unwrap_or("eq") {
            "contains" => values.iter().any(|v| v.contains(&wanted)),
            "neq" | "ne" => values.iter().all(|v| *v != wanted),
            _ => values.contains(&wanted),
        };
        result = if i == 0 {
            hit
        } else if filter.or == Some(true) {
            result || hit
        } else {
            result && hit
        };
    }
    result
}

/// Operators [`search_matches`] knows.
pub(super) const SEARCH_OPERATORS: [&str; 4] = ["eq", "contains", "neq", "ne"];

/// Sorts by several keys, in order.
pub(super) fn search_sort(records: &mut [Value], keys: &[SearcherDocumentSearchSort]) {
    records.sort_by(|a, b| {
        keys.iter()
            .map(|key| {
                let field = key.field.as_ref().map(ToString::to_string).unwrap_or_default();
                let order = compare(lookup(a, &field).first().copied(), lookup(b, &field).first().copied());
                if key.direction == Some(SortDirection::Desc) { order.reverse() } else { order }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookups_fan_out_over_arrays() {
        let record = json!({"addresses": [{"address": "a"}, {"address": "b"}], "id": 12.0});
        assert_eq!(lookup(&record, "addresses.address").len(), 2);
        assert_eq!(text(lookup(&record, "id")[0]).as_deref(), Some("12"));
        let f = [SearcherDocumentSearchFilter::eq("addresses.address", "B")];
        assert!(search_matches(&record, &f));
        let g = [
            SearcherDocumentSearchFilter::eq("id", "1"),
            SearcherDocumentSearchFilter::contains("addresses.address", "a").or(),
        ];
        assert!(search_matches(&record, &g));
    }
}
