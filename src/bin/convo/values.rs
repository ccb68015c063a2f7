//! Flag values every API's commands read the same way.

use chrono::{DateTime, NaiveDate, Utc};

/// A time flag (`--since`, `--until`, `--due-after`, …): RFC 3339, or a
/// date for midnight UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{text:?} is not an RFC 3339 time (2024-07-01T09:30:00Z) or a date (2024-07-01)"))
}
