//! Calls, recordings and transcriptions, kept in the store. Started calls
//! complete at once, with a recording; a recorded call with a duration too.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::data::{attach_recording, new_call};
use super::{CALLS, CONTACTS, LlamadaProState, RECORDINGS, TRANSCRIPTIONS, bad_request, ok, parse};
use crate::llamadapro::types::{
    CreateCallRequest, LoadRecordingRequest, StartAiEmployeeCallRequest, StartBridgeCallRequest,
    StartVoiceAgentCallRequest,
};
use crate::sandbox::store::{Answer, Context, Records, overlay};

/// Length of every call started in the sandbox, in seconds.
const STARTED_CALL_SECONDS: f64 = 95.0;

/// The fields of a recorded call the request sets, under the same names as the call's.
const RECORDED_FIELDS: &str = "status userId metadata providerId providerName customData funnelConversationId \
    sessionId from to redirectedTo duration direction startTime teamId";

impl LlamadaProState {
    /// Stores a new call (`from`, `to`, direction, status, duration),
    /// edited by `edit`, and a recording of it (at `url`) when `recorded`.
    fn call(
        &self,
        records: &mut Records<'_>,
        made: (&str, &str, &str, &str, f64),
        recorded: Option<Option<String>>,
        edit: impl FnOnce(&mut Value),
    ) -> Value {
        let contacts = records.of(CONTACTS).clone();
        let (call, made) = self.world(|w| {
            let mut call = new_call(w, &contacts, made);
            edit(&mut call);
            let made = recorded.map(|url| attach_recording(w, &call, url));
            (call, made)
        });
        records.of(CALLS).push(call.clone());
        if let Some((recording, transcription)) = made {
            records.of(RECORDINGS).push(recording);
            records.of(TRANSCRIPTIONS).push(transcription);
        }
        call
    }

    /// A started call, with the fields in `set`: completed, with a recording.
    fn started(&self, records: &mut Records<'_>, from: &str, to: &str, set: Value) -> Answer {
        let made = (from, to, "outgoing", "completed", STARTED_CALL_SECONDS);
        ok(self.call(records, made, Some(None), |call| overlay(call, set)))
    }

    pub(super) fn answer_call(&self, request: &Context<'_>, body: &Value, records: &mut Records<'_>) -> Option<Answer> {
        let caller = &self.config.default_caller_id;
        Some(match request.operation_id {
            "startAiEmployeeCall" => (|| {
                let r: StartAiEmployeeCallRequest = parse(body)?;
                if r.objectives.is_empty() {
                    return Err(bad_request("an AI employee call needs at least one objective"));
                }
                let from = r.from_phone_number.clone().unwrap_or_else(|| caller.clone());
                let metadata =
                    json!({"objectives": r.objectives, "personality": r.personality, "localization": r.localization});
                let data = (!r.custom_data.is_empty()).then(|| Value::Object(r.custom_data.clone()));
                let set = json!({"providerName": "vapi", "userId": r.user_id, "category": "ai_employee",
                                 "metadata": metadata, "customData": data});
                self.started(records, &from, &r.to_phone_number, set)
            })(),
            "startVoiceAgentCall" => (|| {
                let r: StartVoiceAgentCallRequest = parse(body)?;
                let metadata = json!({"voiceAgentId": r.voice_agent_id, "contextVariables": r.context_variables});
                let data = r.custom_data.as_ref().map(|d| Value::Object(d.0.clone()));
                let set = json!({"category": "voice_agent", "metadata": metadata, "customData": data});
                self.started(records, caller, &r.to, set)
            })(),
            "startBridgeCall" => (|| {
                let r: StartBridgeCallRequest = parse(body)?;
                let from = r.from.clone().unwrap_or_else(|| caller.clone());
                let metadata = r.provider_data.as_ref().map(|d| Value::Object(d.0.clone()));
                let data = r.call_custom_data.as_ref().map(|d| Value::Object(d.0.clone()));
                let set = json!({"category": "bridge", "metadata": metadata, "customData": data});
                self.started(records, &from, &r.to, set)
            })(),
            // Records a call that happened elsewhere; one with a duration gets a recording.
            "createCall" => (|| {
                let r: CreateCallRequest = parse(body)?;
                let recorded = r.duration.is_some_and(|d| d > 0.0).then_some(None);
                let (from, to, duration) = (r.from.as_str(), r.to.as_str(), r.duration.unwrap_or_default());
                let call = (from, to, r.direction.as_str(), r.status.as_str(), duration);
                ok(self.call(records, call, recorded, |call| {
                    let fields = RECORDED_FIELDS.split_whitespace();
                    let sent = fields.filter_map(|name| Some((name.to_string(), body.get(name)?.clone())));
                    overlay(call, Value::Object(sent.collect()));
                }))
            })(),
            // Imports a recording: a completed call with it, and a transcription. 204, no body.
            "loadRecording" => (|| {
                let r: LoadRecordingRequest = parse(body)?;
                let direction =
                    r.call_direction.as_ref().map(|d| d.as_str().to_string()).unwrap_or_else(|| "outgoing".into());
                let (from, to) = (r.call_from.clone().unwrap_or_default(), r.call_to.clone().unwrap_or_default());
                let start = r.call_start_time.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
                let start = start.map(|t| super::stamp(t.with_timezone(&chrono::Utc)));
                self.call(records, (&from, &to, &direction, "completed", 0.0), Some(Some(r.url.clone())), |call| {
                    overlay(call, json!({"userId": r.user_id}));
                    if let Some(start) = start {
                        overlay(call, json!({"startTime": start}));
                    }
                });
                Ok((204, Value::Null))
            })(),
            "getRecording" => {
                let id = request.path_param("recordingId");
                records.found(RECORDINGS, id).map(|recording| (200, recording.clone()))
            }
            "getCallRecording" | "getCallTranscription" => (|| {
                let id = request.path_param("callId");
                records.found(CALLS, id)?;
                let of_call = |r: &&Value| r.get("callId").and_then(crate::sandbox::store::text).as_deref() == Some(id);
                let (mut found, mut what) = (records.of(RECORDINGS).iter().find(of_call).cloned(), "recording");
                if request.operation_id == "getCallTranscription" {
                    let recording = found.and_then(|r| r.get("id").cloned());
                    let of_recording = |t: &&Value| recording.is_some() && t.get("recordingId") == recording.as_ref();
                    found = records.of(TRANSCRIPTIONS).iter().find(of_recording).cloned();
                    what = "transcription";
                }
                found.map(|r| (200, r)).ok_or_else(|| (StatusCode::NOT_FOUND, format!("call {id} has no {what}")))
            })(),
            _ => return None,
        })
    }
}
