//! Flag values every API's commands read the same way.

use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

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

/// A JSON document: written out (`{…}`, `[…]`), or a file's (`-`: stdin).
pub fn read_json(source: &str) -> Result<Value, String> {
    let trimmed = source.trim_start();
    let text = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        source.to_string()
    } else if source == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| format!("-: cannot read stdin: {e}"))?;
        text
    } else {
        std::fs::read_to_string(source).map_err(|e| format!("{source}: cannot read it: {e}"))?
    };
    serde_json::from_str(&text).map_err(|e| format!("{source}: not JSON: {e}"))
}
