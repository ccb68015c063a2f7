//! WhatsApp messages and media. Sending enforces what the schema cannot:
//! `variables` or `components`, a `fileId` for media messages, and the two
//! upload modes (`content` in any encoding: the seed names none; base64 is
//! decoded to count its bytes). E.164 numbers are the spec's
//! `x-format: e164`, refused by the spec validator before a handler runs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use base64::Engine;
use serde_json::Map;

use super::{Answer, ApiError, LlamadaProState, TENANT, World, json, parse};
use crate::llamadapro::types::{
    ChannelType, CreateMessageRequest, CreateTemplateMessageRequest, Message, MessageAttachment, MessageParticipant,
    UploadMediaRequest, UploadedMedia, WhatsAppMessageType, WhatsAppTemplateMessageComponent,
};

/// Message types that carry a file.
const MEDIA_TYPES: [WhatsAppMessageType; 5] = [
    WhatsAppMessageType::Image,
    WhatsAppMessageType::Audio,
    WhatsAppMessageType::Video,
    WhatsAppMessageType::Document,
    WhatsAppMessageType::Sticker,
];

pub(super) async fn get(State(state): State<Arc<LlamadaProState>>, Path(id): Path<String>) -> Answer {
    let message = state.world(|w| w.messages.iter().find(|m| m.id.as_deref() == Some(id.as_str())).cloned());
    // getMessage documents no 404; an unknown id is a bad request.
    json(message.ok_or_else(|| ApiError::bad_request(format!("no message {id}")).detail("field", "messageId"))?)
}

/// An outbound message to `to`, tied to the contact and conversation that own the number.
fn outbound(w: &mut World, from: &str, to: &str, user_id: Option<String>, content: String) -> Message {
    let now = w.tick().to_rfc3339();
    let id = w.key("msg");
    let contact = w.contacts.iter().find_map(|(id, c)| {
        let owns = c.contact.addresses.iter().any(|a| {
            a.address.as_deref() == Some(to)
                && matches!(a.channel_type, Some(ChannelType::Phone | ChannelType::Whatsapp))
        });
        owns.then_some(*id)
    });
    let conversation = contact.and_then(|c| {
        w.conversations.values().find(|conv| conv.contact_id == Some(super::number(c)) && conv.archived_at.is_none())
    });
    let session = conversation.and_then(|c| c.channel_sessions.first());
    Message {
        id: Some(id),
        tenant_id: Some(TENANT.into()),
        conversation_id: session.and_then(|s| s.messaging_conversation_id.clone()),
        funnel_conversation_id: conversation.and_then(|c| c.id),
        session_id: session.and_then(|s| s.id),
        provider_id: Some(format!("wamid.{}", w.key("wa"))),
        contact_id: contact.map(super::number),
        user_id,
        content: Some(content),
        status: Some("sent".into()),
        direction: Some("outbound".into()),
        channel: Some("whatsapp".into()),
        sender: Some(MessageParticipant {
            address: Some(from.into()),
            role: Some("user".into()),
            ..Default::default()
        }),
        recipient: Some(MessageParticipant {
            address: Some(to.into()),
            role: Some("contact".into()),
            ..Default::default()
        }),
        created_at: Some(now.clone()),
        updated_at: Some(now),
        ..Message::default()
    }
}

pub(super) async fn create_template(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let r: CreateTemplateMessageRequest = parse(&body)?;
    r.validate().map_err(|e| ApiError::bad_request(e.to_string()))?;
    let values: Vec<String> = if r.variables.is_empty() {
        r.components
            .iter()
            .flat_map(|c| match c {
                WhatsAppTemplateMessageComponent::HeaderComponent(h) => h.parameters.clone(),
                WhatsAppTemplateMessageComponent::BodyComponent(b) => b.parameters.clone(),
                WhatsAppTemplateMessageComponent::ButtonComponent(b) => b.parameters.clone(),
            })
            .filter_map(|p| p.text.or(p.payload))
            .collect()
    } else {
        r.variables.iter().map(|v| v.value.clone().unwrap_or_default()).collect()
    };
    let content = format!("[template {} ({})] {}", r.template_name, r.language_code, values.join(" | "));
    let message = state.world(|w| {
        let mut m = outbound(w, &r.from_phone_number, &r.to_phone_number, r.user_id.clone(), content);
        m.custom_fields = r.custom_fields.clone();
        m.metadata.insert("templateName".into(), r.template_name.clone().into());
        m.metadata.insert("languageCode".into(), r.language_code.clone().into());
        w.messages.push(m.clone());
        m
    });
    json(message)
}

pub(super) async fn create(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let r: CreateMessageRequest = parse(&body)?;
    r.validate().map_err(|e| ApiError::bad_request(e.to_string()))?;
    if MEDIA_TYPES.contains(&r.type_) && r.file_id.is_none() {
        return Err(ApiError::bad_request(format!("a {} message needs a fileId", r.type_)).detail("field", "fileId"));
    }
    let message = state.world(|w| {
        let mut m = outbound(w, &r.from_phone_number, &r.to_phone_number, r.user_id.clone(), r.content.clone());
        m.custom_fields = r.custom_fields.clone();
        if let Some(file) = &r.file_id {
            let attachment = w.key("att");
            m.attachments.push(MessageAttachment {
                id: Some(attachment),
                type_: Some(r.type_.to_string()),
                url: Some(format!("https://files.sandbox.llamadapro.app/{file}?signature=sandbox")),
                unsigned_url: Some(format!("https://files.sandbox.llamadapro.app/{file}")),
                metadata: Map::new(),
                media_processing: None,
                is_cacheable: Some(true),
            });
        }
        w.messages.push(m.clone());
        m
    });
    json(message)
}

pub(super) async fn upload_media(State(state): State<Arc<LlamadaProState>>, body: Bytes) -> Answer {
    let r: UploadMediaRequest = parse(&body)?;
    r.validate().map_err(|e| ApiError::bad_request(e.to_string()))?;
    // The seed states no encoding for `content`: base64 counts as the bytes
    // it decodes to, any other text as its own bytes.
    let size = r.content.as_ref().map(|content| {
        base64::engine::general_purpose::STANDARD.decode(content).map_or(content.len(), |bytes| bytes.len())
    });
    let media = state.world(|w| {
        let file_id = r.file_id.clone().unwrap_or_else(|| w.key("file"));
        let media_id = format!("{}", crate::sandbox::mix(w.seed ^ w.next_key) % 10_u64.pow(15));
        w.next_key += 1;
        let media = UploadedMedia {
            url: Some(format!("https://files.sandbox.llamadapro.app/{file_id}")),
            // A file from the files service: its size is known there, not here.
            size: Some(size.unwrap_or(2048) as f64),
            file_name: r.file_name.clone().or_else(|| Some(format!("{file_id}.bin"))),
            content_type: r.content_type.clone().or_else(|| Some("application/octet-stream".into())),
            file_id: Some(file_id),
            media_id: Some(media_id),
            tags: r.tags.clone(),
        };
        w.media.push(media.clone());
        media
    });
    json(media)
}
