//! Tasks: listed with filters and `limit`/`pageToken` paging, created,
//! read, partially updated and deleted.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use chrono::{DateTime, Utc};

use super::listing::{Tokens, defining, fingerprint, next_token, pairs, size, window};
use super::{Answer, ApiError, LlamadaProState, TENANT, clears, json, nulled, parse};
use crate::llamadapro::types::{CreateTaskRequest, Task, TaskPage, TaskStatus, UpdateTaskRequest};

const LIST: u64 = 1;

pub(super) async fn list(State(state): State<Arc<LlamadaProState>>, RawQuery(query): RawQuery) -> Answer {
    let query = pairs(query.as_deref());
    let one = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let time = |key: &str| one(key).and_then(|v| DateTime::parse_from_rfc3339(v).ok()).map(|t| t.with_timezone(&Utc));
    let (before, after) = (time("dueBefore"), time("dueAfter"));
    let conversation = one("conversationId").and_then(|v| v.parse::<f64>().ok());
    let matches = |t: &Task| {
        one("status").is_none_or(|s| t.status.as_ref().is_some_and(|ts| ts.as_str() == s))
            && before.is_none_or(|b| t.due_date.is_some_and(|d| d < b))
            && after.is_none_or(|a| t.due_date.is_some_and(|d| d > a))
            && conversation.is_none_or(|c| t.context.as_ref().and_then(|x| x.conversation_id) == Some(c))
            && one("assignedToType").is_none_or(|k| {
                t.assigned_to.as_ref().and_then(|a| a.type_.as_ref()).is_some_and(|ty| ty.as_str() == k)
            })
            && one("assignedToId").is_none_or(|id| t.assigned_to.as_ref().and_then(|a| a.id.as_deref()) == Some(id))
    };
    let filtered = ["status", "dueBefore", "dueAfter", "conversationId", "assignedToType", "assignedToId"]
        .iter()
        .any(|key| one(key).is_some());
    let tokens = Tokens { seed: state.seed, list: LIST, query: fingerprint(&defining(&query)) };
    let size = size(one("limit"));
    let offset = match one("pageToken").filter(|t| !t.is_empty()) {
        Some(token) => tokens.offset(token)?,
        None => 0,
    };
    let window = window(offset, size);
    // Only the page's tasks are copied.
    let (items, total) = state.world(|w| {
        if filtered {
            let (page, total) = crate::sandbox::paged(w.tasks.iter(), &window, |t| matches(t));
            (page.into_iter().cloned().collect(), total)
        } else {
            let all = w.tasks.len();
            let page = w.tasks.get(window.start.min(all)..window.end.min(all)).unwrap_or_default();
            (page.to_vec(), all)
        }
    });
    let next_page_token = next_token(&window, total, &tokens);
    json(TaskPage { items, next_page_token, total_count: Some(total as f64) })
}

pub(super) async fn create(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let new: CreateTaskRequest = parse(&body)?;
    let task = state.world(|w| {
        let now = w.tick();
        let task = Task {
            id: Some(w.key("task")),
            tenant_id: Some(TENANT.into()),
            created_at: Some(now),
            updated_at: Some(now),
            context: Some(new.context),
            objective: Some(new.objective),
            created_by: Some(new.created_by),
            assigned_to: Some(new.assigned_to),
            published_at: Some(now),
            due_date: new.due_date,
            completed_at: None,
            cancelled_at: None,
            cancellation_reason: None,
            status: Some(new.status.unwrap_or(TaskStatus::Scheduled)),
        };
        w.tasks.push(task.clone());
        task
    });
    json(task)
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("no task {id}"))
}

pub(super) async fn get(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let task = state.world(|w| w.tasks.iter().find(|t| t.id.as_deref() == Some(id.as_str())).cloned());
    json(task.ok_or_else(|| not_found(&id))?)
}

pub(super) async fn update(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>, body: Bytes) -> Answer {
    let changes: UpdateTaskRequest = parse(&body)?;
    // A nullable field sent as `null` is cleared.
    let cleared = nulled(&body);
    let task = state.world(|w| {
        let now = w.tick();
        let task = w.tasks.iter_mut().find(|t| t.id.as_deref() == Some(id.as_str()))?;
        macro_rules! set {
            ($($field:ident),+) => {$( if changes.$field.is_some() || clears(&cleared, stringify!($field)) { task.$field = changes.$field.clone(); } )+};
        }
        set!(
            status,
            context,
            objective,
            assigned_to,
            published_at,
            due_date,
            completed_at,
            cancelled_at,
            cancellation_reason
        );
        // Completing or cancelling stamps the time unless the caller gave one.
        match task.status {
            Some(TaskStatus::Completed) if task.completed_at.is_none() => task.completed_at = Some(now),
            Some(TaskStatus::Cancelled) if task.cancelled_at.is_none() => task.cancelled_at = Some(now),
            _ => {}
        }
        task.updated_at = Some(now);
        Some(task.clone())
    });
    json(task.ok_or_else(|| not_found(&id))?)
}

pub(super) async fn delete(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let task = state.world(|w| {
        let index = w.tasks.iter().position(|t| t.id.as_deref() == Some(id.as_str()))?;
        Some(w.tasks.remove(index))
    });
    json(task.ok_or_else(|| not_found(&id))?)
}
