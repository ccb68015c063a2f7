//! Calls, recordings and transcriptions. Calls started through the API
//! complete at once in the sandbox, with a recording and a transcription.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::data::{attach_recording, new_call};
use super::{Answer, ApiError, LlamadaProState, json, parse, path_id, updated};
use crate::llamadapro::types::{
    Call, CreateCallRequest, LoadRecordingRequest, StartAiEmployeeCallRequest, StartBridgeCallRequest,
    StartVoiceAgentCallRequest,
};

/// Length of every call started in the sandbox, in seconds.
const STARTED_CALL_SECONDS: f64 = 95.0;

/// Creates a completed call with a recording, then lets `edit` fill in the rest.
fn started(state: &LlamadaProState, from: &str, to: &str, edit: impl FnOnce(&mut Call)) -> Call {
    state.world(|w| {
        let mut call = new_call(w, from, to, "outgoing", "completed", STARTED_CALL_SECONDS);
        edit(&mut call);
        if let Some(id) = call.id_u64() {
            w.calls.insert(id, call.clone());
        }
        attach_recording(w, &call, None);
        call
    })
}

pub(super) async fn start_ai_employee_call(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let request: StartAiEmployeeCallRequest = parse(&body)?;
    if request.objectives.is_empty() {
        return Err(ApiError::bad_request("an AI employee call needs at least one objective"));
    }
    let from = request.from_phone_number.clone().unwrap_or_else(|| state.config.default_caller_id.clone());
    let call = started(&state, &from, &request.to_phone_number, |call| {
        call.provider_name = Some("vapi".into());
        call.user_id = request.user_id;
        call.category = Some("ai_employee".into());
        call.metadata = Some(json!({
            "objectives": request.objectives,
            "personality": request.personality,
            "localization": request.localization,
        }));
        call.custom_data = (!request.custom_data.is_empty()).then(|| Value::Object(request.custom_data.clone()));
    });
    json(call)
}

pub(super) async fn start_voice_agent_call(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let request: StartVoiceAgentCallRequest = parse(&body)?;
    let from = state.config.default_caller_id.clone();
    let call = started(&state, &from, &request.to, |call| {
        call.category = Some("voice_agent".into());
        call.metadata = Some(json!({
            "voiceAgentId": request.voice_agent_id,
            "contextVariables": request.context_variables,
        }));
        call.custom_data = request.custom_data.as_ref().map(|d| Value::Object(d.0.clone()));
    });
    json(call)
}

pub(super) async fn start_bridge_call(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let request: StartBridgeCallRequest = parse(&body)?;
    let from = request.from.clone().unwrap_or_else(|| state.config.default_caller_id.clone());
    let call = started(&state, &from, &request.to, |call| {
        call.category = Some("bridge".into());
        call.metadata = request.provider_data.as_ref().map(|d| Value::Object(d.0.clone()));
        call.custom_data = request.call_custom_data.as_ref().map(|d| Value::Object(d.0.clone()));
    });
    json(call)
}

/// The fields of a recorded call the request sets, under the same names as the call's.
const RECORDED_FIELDS: [&str; 15] = [
    "status", "userId", "metadata", "providerId", "providerName", "customData", "funnelConversationId", "sessionId",
    "from", "to", "redirectedTo", "duration", "direction", "startTime", "teamId",
];

/// Records a call that happened elsewhere; one with a duration gets a recording.
pub(super) async fn create(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let r: CreateCallRequest = parse(&body)?;
    let call = state.world(|w| {
        let new = new_call(w, &r.from, &r.to, &r.direction, &r.status, r.duration.unwrap_or_default());
        let call = updated(&new, &body, &RECORDED_FIELDS)?;
        if let Some(id) = call.id_u64() {
            w.calls.insert(id, call.clone());
        }
        if r.duration.is_some_and(|d| d > 0.0) {
            attach_recording(w, &call, None);
        }
        Ok::<_, ApiError>(call)
    })?;
    json(call)
}

fn no_call(id: &str) -> ApiError {
    ApiError::not_found(format!("no call {id}"))
}

pub(super) async fn get(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let call = path_id(&id).and_then(|key| state.world(|w| w.calls.get(&key).cloned()));
    json(call.ok_or_else(|| no_call(&id))?)
}

pub(super) async fn get_recording_of_call(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let key = path_id(&id).ok_or_else(|| no_call(&id))?;
    let recording = state.world(|w| {
        if !w.calls.contains_key(&key) {
            return Err(no_call(&id));
        }
        w.recordings
            .values()
            .find(|r| r.call_id_u64() == Some(key))
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("call {id} has no recording")))
    })?;
    json(recording)
}

pub(super) async fn get_transcription(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let key = path_id(&id).ok_or_else(|| no_call(&id))?;
    let transcription = state.world(|w| {
        if !w.calls.contains_key(&key) {
            return Err(no_call(&id));
        }
        let recording = w.recordings.values().find(|r| r.call_id_u64() == Some(key)).and_then(|r| r.id);
        w.transcriptions
            .values()
            .find(|t| recording.is_some() && t.recording_id == recording)
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("call {id} has no transcription")))
    })?;
    json(transcription)
}

pub(super) async fn get_recording(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let recording = path_id(&id).and_then(|key| state.world(|w| w.recordings.get(&key).cloned()));
    json(recording.ok_or_else(|| ApiError::not_found(format!("no recording {id}")))?)
}

/// Imports a recording: a completed call with it, and a transcription. 204, no body.
pub(super) async fn load_recording(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let r: LoadRecordingRequest = parse(&body)?;
    state.world(|w| {
        let direction = r.call_direction.as_ref().map(|d| d.as_str().to_string()).unwrap_or_else(|| "outgoing".into());
        let from = r.call_from.clone().unwrap_or_default();
        let to = r.call_to.clone().unwrap_or_default();
        let mut call = new_call(w, &from, &to, &direction, "completed", 0.0);
        call.user_id = Some(r.user_id);
        if let Some(start) = r.call_start_time.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) {
            call.start_time = Some(start.with_timezone(&chrono::Utc));
        }
        if let Some(id) = call.id_u64() {
            w.calls.insert(id, call.clone());
        }
        attach_recording(w, &call, Some(r.url.clone()));
    });
    Ok(StatusCode::NO_CONTENT.into_response())
}
