//! Tasks live in the generic store (created, listed with `limit`/`pageToken`
//! paging, read, partially updated, deleted): what it does not know is here.
//! The seeded tasks; the filters that are not a field of a task (`dueBefore`,
//! `dueAfter`, `conversationId`, `assignedToType`, `assignedToId`); and the
//! fields the server sets (id, tenant, times, the default status, and the
//! completion or cancellation time of a task that reaches that status).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{LlamadaProState, TENANT};
use crate::sandbox::Hooks;

/// The collection of tasks (a spec path).
pub(super) const TASKS: &str = "/api/v1/tasks";

impl Hooks for LlamadaProState {
    fn seed(&self, path: &str) -> Option<Vec<Value>> {
        let tasks = (path == TASKS).then(|| self.world(|w| std::mem::take(&mut w.tasks)))?;
        Some(tasks.iter().filter_map(|t| serde_json::to_value(t).ok()).collect())
    }

    fn keeps(&self, operation_id: &str, query: &[(String, String)], task: &Value) -> bool {
        if operation_id != "getTasks" {
            return true;
        }
        let one = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let time = |v: Option<&Value>| {
            v.and_then(Value::as_str).and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc))
        };
        let due = time(task.get("dueDate"));
        let bound = |key| time(one(key).map(Value::from).as_ref());
        let text = |v: Option<&Value>| v.and_then(crate::sandbox::store::text);
        bound("dueBefore").is_none_or(|b| due.is_some_and(|d| d < b))
            && bound("dueAfter").is_none_or(|a| due.is_some_and(|d| d > a))
            && one("conversationId").is_none_or(|c| {
                let wanted = c.parse::<f64>().ok();
                task.pointer("/context/conversationId").and_then(Value::as_f64).is_some_and(|id| Some(id) == wanted)
            })
            && one("assignedToType").is_none_or(|k| text(task.pointer("/assignedTo/type")).as_deref() == Some(k))
            && one("assignedToId").is_none_or(|id| text(task.pointer("/assignedTo/id")).as_deref() == Some(id))
    }

    fn write(&self, operation_id: &str, task: &mut Value) -> Result<(), (axum::http::StatusCode, String)> {
        let Some(fields) = task.as_object_mut() else { return Ok(()) };
        let now = |w: &mut super::World| Value::from(w.tick().to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        match operation_id {
            "createTask" => self.world(|w| {
                let at = now(w);
                fields.insert("id".into(), w.key("task").into());
                fields.insert("tenantId".into(), TENANT.into());
                for stamp in ["createdAt", "updatedAt", "publishedAt"] {
                    fields.insert(stamp.into(), at.clone());
                }
                fields.entry("status").or_insert_with(|| "scheduled".into());
            }),
            "updateTask" => self.world(|w| {
                let at = now(w);
                let stamp = match fields.get("status").and_then(Value::as_str) {
                    Some("completed") => Some("completedAt"),
                    Some("cancelled") => Some("cancelledAt"),
                    _ => None,
                };
                if let Some(stamp) = stamp {
                    fields.entry(stamp).or_insert_with(|| at.clone());
                }
                fields.insert("updatedAt".into(), at);
            }),
            _ => {}
        }
        Ok(())
    }
}
