//! WhatsApp messages and media, kept in the store (the spec validator checks
//! what a message needs, a media message's `fileId` too). Upload `content`
//! may be base64 (counted as the bytes it decodes to) or any text.

use base64::Engine;
use serde_json::{Map, Value, json};

use super::conversations::open_conversation;
use super::data::has_address;
use super::{CONTACTS, CONVERSATIONS, LlamadaProState, MEDIA, MESSAGES, TENANT, bad_request, id_of, ok, parse};
use crate::llamadapro::types::{
    CreateMessageRequest, CreateTemplateMessageRequest, MessageAttachment, UploadMediaRequest, UploadedMedia,
    WhatsAppTemplateMessageComponent,
};
use crate::sandbox::store::{Answer, Context, Records, overlay};

impl LlamadaProState {
    /// Stores an outbound message to `to`, tied to the contact and conversation that own the number.
    fn send(&self, records: &mut Records<'_>, (from, to): (&str, &str), user: Option<&String>, more: Value) -> Answer {
        let contact = records.of(CONTACTS).iter().find(|c| has_address(c, to, &["PHONE", "WHATSAPP"])).and_then(id_of);
        let conversation = contact.and_then(|contact| open_conversation(records.of(CONVERSATIONS), contact, None));
        let session = conversation.and_then(|c| c.pointer("/channelSessions/0"));
        let (funnel_conversation, session_id) =
            (conversation.and_then(|c| c.get("id")), session.and_then(|s| s.get("id")));
        let messaging = session.and_then(|s| s.get("messagingConversationId")).cloned();
        let mut message = self.world(|w| {
            let now = w.tick().to_rfc3339();
            json!({
                "id": w.key("msg"), "tenantId": TENANT, "providerId": format!("wamid.{}", w.key("wa")),
                "status": "sent", "direction": "outbound", "channel": "whatsapp",
                "sender": {"address": from, "role": "user"}, "recipient": {"address": to, "role": "contact"},
                "createdAt": now, "updatedAt": now,
            })
        });
        let tied = json!({
            "conversationId": messaging, "funnelConversationId": funnel_conversation, "sessionId": session_id,
            "contactId": contact, "userId": user,
        });
        overlay(&mut message, tied);
        overlay(&mut message, more);
        records.of(MESSAGES).push(message.clone());
        Ok((200, message))
    }

    pub(super) fn answer_message(
        &self,
        request: &Context<'_>,
        body: &Value,
        records: &mut Records<'_>,
    ) -> Option<Answer> {
        Some(match request.operation_id {
            "getMessage" => {
                let id = request.path_param("messageId");
                // getMessage documents no 404; an unknown id is a bad request.
                records
                    .get(MESSAGES, id)
                    .map(|m| (200, m.clone()))
                    .ok_or_else(|| bad_request(format!("no message {id}")))
            }
            "createTemplateMessage" => (|| {
                let r: CreateTemplateMessageRequest = parse(body)?;
                let values: Vec<String> = if r.variables.is_empty() {
                    let parameters = r.components.iter().flat_map(|c| match c {
                        WhatsAppTemplateMessageComponent::HeaderComponent(h) => h.parameters.clone(),
                        WhatsAppTemplateMessageComponent::BodyComponent(b) => b.parameters.clone(),
                        WhatsAppTemplateMessageComponent::ButtonComponent(b) => b.parameters.clone(),
                    });
                    parameters.filter_map(|p| p.text.or(p.payload)).collect()
                } else {
                    r.variables.iter().map(|v| v.value.clone().unwrap_or_default()).collect()
                };
                let content = format!("[template {} ({})] {}", r.template_name, r.language_code, values.join(" | "));
                let metadata = json!({"templateName": r.template_name, "languageCode": r.language_code});
                let more = json!({"content": content, "customFields": r.custom_fields, "metadata": metadata});
                self.send(records, (&r.from_phone_number, &r.to_phone_number), r.user_id.as_ref(), more)
            })(),
            "createMessage" => (|| {
                let r: CreateMessageRequest = parse(body)?;
                let attachment = r.file_id.as_ref().map(|file| MessageAttachment {
                    id: Some(self.world(|w| w.key("att"))),
                    type_: Some(r.type_.to_string()),
                    url: Some(format!("https://files.sandbox.llamadapro.app/{file}?signature=sandbox")),
                    unsigned_url: Some(format!("https://files.sandbox.llamadapro.app/{file}")),
                    metadata: Map::new(),
                    media_processing: None,
                    is_cacheable: Some(true),
                });
                let more = json!({"content": r.content, "customFields": r.custom_fields, "attachments": Vec::from_iter(attachment)});
                self.send(records, (&r.from_phone_number, &r.to_phone_number), r.user_id.as_ref(), more)
            })(),
            "uploadMedia" => (|| {
                let r: UploadMediaRequest = parse(body)?;
                let size = r.content.as_ref().map(|content| {
                    base64::engine::general_purpose::STANDARD.decode(content).map_or(content.len(), |bytes| bytes.len())
                });
                let media = self.world(|w| {
                    let file_id = r.file_id.clone().unwrap_or_else(|| w.key("file"));
                    let media_id = format!("{}", crate::sandbox::mix(w.seed ^ w.next_key) % 10_u64.pow(15));
                    w.next_key += 1;
                    UploadedMedia {
                        url: Some(format!("https://files.sandbox.llamadapro.app/{file_id}")),
                        // A file from the files service: its size is known there, not here.
                        size: Some(size.unwrap_or(2048) as f64),
                        file_name: r.file_name.clone().or_else(|| Some(format!("{file_id}.bin"))),
                        content_type: r.content_type.clone().or_else(|| Some("application/octet-stream".into())),
                        file_id: Some(file_id),
                        media_id: Some(media_id),
                        tags: r.tags.clone(),
                    }
                });
                records.of(MEDIA).extend(serde_json::to_value(&media));
                ok(media)
            })(),
            _ => return None,
        })
    }
}
