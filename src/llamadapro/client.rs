//! The hand-written LlamadaPro client around the generated one: its builder,
//! streams over the token-paged lists, and the few calls that add a check of
//! [`super::input`] before sending or type a documented refusal.


use reqwest::StatusCode;

use super::generated;
use super::ids::{checked_id, id_to_number};
use super::input::InputError;
use super::query::{ListQuery, TaskQuery};
use super::types::{
    Contact, ContactPage, ContactSearchDocument, ContactSearchPage, ContactSearchRequest, CreateConversationRequest,
    CreateCustomFieldListOptionRequest, CreateMessageRequest, CreateTemplateMessageRequest, CustomFieldDefinition,
    CustomFieldDefinitionPage, CustomFieldListOption, CustomFieldListOptionPage, FunnelConversation, Message, Task,
    TaskPage, UploadMediaRequest, UploadedMedia,
};
use crate::error::{BodyExcerpt, Error, Result};
use crate::runtime::{ItemStream, Page, paginate};
use crate::secret::Secret;

/// LlamadaPro's API base URL. The host is not published; this is the
/// spec's inferred default (override it with [`ClientBuilder::base_url`]).
pub const BASE_URL: &str = "https://api.llamadapro.app";

/// A custom field definition that still has stored values, so the server
/// refused to delete it (HTTP 409).
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "custom field definition {definition_id} is in use: it still has stored values. Deleting it with force \
     deletes the definition and every value of it on every record (HTTP 409{})",
    body.message().map(|m| format!(": {m}")).unwrap_or_default()
)]
pub struct DefinitionInUse {
    pub definition_id: u64,
    /// The server's answer.
    pub body: BodyExcerpt,
}

/// A LlamadaPro client. Cheap to clone; clones share the connection pool.
pub type Client = crate::ApiClient<generated::Client>;

/// Configures a [`Client`] ([`BASE_URL`] by default).
pub type ClientBuilder = crate::SpecClientBuilder<Client>;

/// The next-page cursor: absent or empty means this was the last page.
fn next_token(token: Option<String>) -> Option<String> {
    token.filter(|t| !t.is_empty())
}

impl Client {
    /// A client for the production host, authenticated with an API key.
    pub fn new(api_key: impl Into<Secret>) -> Result<Self> {
        Self::builder(api_key).build()
    }

    /// Starts configuring a client.
    pub fn builder(api_key: impl Into<Secret>) -> ClientBuilder {
        Client::spec_builder(BASE_URL).credential("ApiKeyAuth", api_key)
    }

    // ------------------------------------------------------------------ tasks

    /// One page of tasks; pass the previous page's `nextPageToken` for the next.
    pub async fn tasks_page(&self, query: &TaskQuery, page_token: Option<&str>) -> Result<TaskPage> {
        let conversation_id = query.check()?;
        let mut call = self.api.get_tasks();
        if let Some(n) = query.limit {
            call = call.limit(f64::from(n));
        }
        if let Some(status) = &query.status {
            call = call.status(status.clone());
        }
        if let Some(t) = query.due_before {
            call = call.due_before(t);
        }
        if let Some(t) = query.due_after {
            call = call.due_after(t);
        }
        if let Some(id) = conversation_id {
            call = call.conversation_id(id);
        }
        if let Some(kind) = &query.assigned_to_type {
            call = call.assigned_to_type(kind.clone());
        }
        if let Some(id) = &query.assigned_to_id {
            call = call.assigned_to_id(id.clone());
        }
        if let Some(token) = page_token {
            call = call.page_token(token);
        }
        Ok(call.send().await?.into_inner())
    }

    /// Every task the query matches, page after page (one held at a time).
    pub fn tasks(&self, query: TaskQuery) -> ItemStream<Task> {
        let client = self.clone();
        paginate("llamadapro.tasks", query, move |query, token: Option<String>| {
            let client = client.clone();
            async move {
                let page = client.tasks_page(&query, token.as_deref()).await?;
                Ok(Page { items: page.items, next: next_token(page.next_page_token) })
            }
        })
    }

    // ------------------------------------------------------------------ contacts

    /// One page of contacts.
    pub async fn contacts_page(&self, query: &ListQuery, page_token: Option<&str>) -> Result<ContactPage> {
        query.check(false)?;
        let mut call = self.api.get_contacts();
        if let Some(f) = &query.filter_by {
            call = call.filter_by(f.to_string());
        }
        if let Some(s) = &query.search_by {
            call = call.search_by(s.clone());
        }
        if let Some(s) = &query.sort_by {
            call = call.sort_by(s.to_string());
        }
        if let Some(n) = query.page_size {
            call = call.page_size(f64::from(n));
        }
        if let Some(token) = page_token {
            call = call.page_token(token);
        }
        Ok(call.send().await?.into_inner())
    }

    /// Every contact the query matches, page after page.
    pub fn contacts(&self, query: ListQuery) -> ItemStream<Contact> {
        let client = self.clone();
        paginate("llamadapro.contacts", query, move |query, token: Option<String>| {
            let client = client.clone();
            async move {
                let page = client.contacts_page(&query, token.as_deref()).await?;
                Ok(Page { items: page.items, next: next_token(page.next_page_token) })
            }
        })
    }

    /// One page of a contact search. `request.page_token` selects the page.
    pub async fn search_contacts_page(&self, request: &ContactSearchRequest) -> Result<ContactSearchPage> {
        Ok(self.api.search_contacts().body(request.clone()).send().await?.into_inner())
    }

    /// Every contact the search matches, page after page, starting at
    /// `request.page_token` (usually none). (The generated `search_contacts()`
    /// sends one page.)
    pub fn contact_search(&self, request: ContactSearchRequest) -> ItemStream<ContactSearchDocument> {
        let client = self.clone();
        let first = request.page_token.clone();
        paginate("llamadapro.contact_search", request, move |mut request, token: Option<String>| {
            let client = client.clone();
            request.page_token = token.or_else(|| first.clone());
            async move {
                let page = client.search_contacts_page(&request).await?;
                Ok(Page { items: page.items, next: next_token(page.next_page_token) })
            }
        })
    }

    // ------------------------------------------------------------------ custom fields

    /// One page of custom field definitions.
    pub async fn custom_field_definitions_page(
        &self,
        query: &ListQuery,
        page_token: Option<&str>,
    ) -> Result<CustomFieldDefinitionPage> {
        query.check(true)?;
        let mut call = self.api.get_custom_field_definitions();
        if let Some(f) = &query.filter_by {
            call = call.filter_by(f.to_string());
        }
        if let Some(s) = &query.search_by {
            call = call.search_by(s.clone());
        }
        if let Some(s) = &query.sort_by {
            call = call.sort_by(s.to_string());
        }
        if let Some(n) = query.page_size {
            call = call.page_size(f64::from(n));
        }
        if let Some(t) = &query.tenant_id {
            call = call.tenant_id(t.clone());
        }
        if let Some(token) = page_token {
            call = call.page_token(token);
        }
        Ok(call.send().await?.into_inner())
    }

    /// Every custom field definition the query matches (e.g. filter
    /// `entityType:CONTACT`), page after page.
    pub fn custom_field_definitions(&self, query: ListQuery) -> ItemStream<CustomFieldDefinition> {
        let client = self.clone();
        paginate("llamadapro.custom_field_definitions", query, move |query, token: Option<String>| {
            let client = client.clone();
            async move {
                let page = client.custom_field_definitions_page(&query, token.as_deref()).await?;
                Ok(Page { items: page.items, next: next_token(page.next_page_token) })
            }
        })
    }

    /// Deletes a definition: the generated `delete_custom_field_definition()`
    /// with its documented refusal typed. One that still has stored values is
    /// refused with [`Error::CustomFieldInUse`] unless `force` is set, which
    /// deletes every stored value of it too.
    pub async fn delete_custom_field_definition_checked(&self, id: u64, force: bool) -> Result<CustomFieldDefinition> {
        let number = id_to_number("id", id)?;
        match self.api.delete_custom_field_definition().id(number).force(force).send().await {
            Ok(value) => Ok(value.into_inner()),
            Err(e) => Err(match Error::from(e) {
                Error::Status { status, body, .. } if status == StatusCode::CONFLICT => {
                    DefinitionInUse { definition_id: id, body }.into()
                }
                other => other,
            }),
        }
    }

    /// One page of the options of a `LIST` definition.
    pub async fn custom_field_options_page(
        &self,
        definition_id: u64,
        query: &ListQuery,
        page_token: Option<&str>,
    ) -> Result<CustomFieldListOptionPage> {
        query.check(true)?;
        let mut call =
            self.api.get_custom_field_list_options().definition_id(id_to_number("definitionId", definition_id)?);
        if let Some(f) = &query.filter_by {
            call = call.filter_by(f.to_string());
        }
        if let Some(s) = &query.search_by {
            call = call.search_by(s.clone());
        }
        if let Some(s) = &query.sort_by {
            call = call.sort_by(s.to_string());
        }
        if let Some(n) = query.page_size {
            call = call.page_size(f64::from(n));
        }
        if let Some(t) = &query.tenant_id {
            call = call.tenant_id(t.clone());
        }
        if let Some(token) = page_token {
            call = call.page_token(token);
        }
        Ok(call.send().await?.into_inner())
    }

    /// Every option of a `LIST` definition, page after page.
    pub fn custom_field_options(&self, definition_id: u64, query: ListQuery) -> ItemStream<CustomFieldListOption> {
        let client = self.clone();
        let options = (definition_id, query);
        paginate("llamadapro.custom_field_options", options, move |(definition_id, query), token: Option<String>| {
            let client = client.clone();
            async move {
                let page = client.custom_field_options_page(definition_id, &query, token.as_deref()).await?;
                Ok(Page { items: page.items, next: next_token(page.next_page_token) })
            }
        })
    }

    /// Adds an option to a `LIST` definition. The API wants the definition id
    /// in the path and the body; a body naming another one is refused.
    pub async fn create_custom_field_option(
        &self,
        definition_id: u64,
        option: &CreateCustomFieldListOptionRequest,
    ) -> Result<CustomFieldListOption> {
        let path = id_to_number("definitionId", definition_id)?;
        if checked_id("definitionId", option.definition_id)? != definition_id {
            let body = option.definition_id.to_string();
            return Err(InputError::DefinitionIdMismatch { path: definition_id, body }.into());
        }
        let call = self.api.create_custom_field_list_option().definition_id(path).body(option.clone());
        Ok(call.send().await?.into_inner())
    }

    // ------------------------------------------------------------------ conversations

    /// Creates one conversation and returns it with its contact: the
    /// generated `create_conversation()` after the checks the spec cannot
    /// express (`contactId` or `contact`, or both; whole-number ids).
    pub async fn create_conversation_checked(
        &self,
        conversation: &CreateConversationRequest,
    ) -> Result<FunnelConversation> {
        conversation.validate()?;
        Ok(self.api.create_conversation().body(conversation.clone()).send().await?.into_inner())
    }

    // ------------------------------------------------------------------ messages

    /// Sends a WhatsApp template message: the generated
    /// `create_template_message()` after the checks the spec cannot express
    /// (E.164 numbers; `variables` or `components`, never both).
    pub async fn send_whatsapp_template(&self, message: &CreateTemplateMessageRequest) -> Result<Message> {
        message.validate()?;
        Ok(self.api.create_template_message().body(message.clone()).send().await?.into_inner())
    }

    /// Sends a WhatsApp free-form message (media messages take a `fileId`):
    /// the generated `create_message()` after its E.164 checks.
    pub async fn send_whatsapp_message(&self, message: &CreateMessageRequest) -> Result<Message> {
        message.validate()?;
        Ok(self.api.create_message().body(message.clone()).send().await?.into_inner())
    }

    /// Uploads media to the WhatsApp Business API, by `fileId` or directly
    /// (`fileName`, `contentType`, base64 `content`): the generated
    /// `upload_media()` after checking the number and that exactly one mode
    /// is used.
    pub async fn upload_whatsapp_media(&self, upload: &UploadMediaRequest) -> Result<UploadedMedia> {
        upload.validate()?;
        Ok(self.api.upload_media().body(upload.clone()).send().await?.into_inner())
    }
}
