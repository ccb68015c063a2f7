//! The hand-written LlamadaPro client around the generated one: one typed
//! method per operation, streams over token-paged lists, and the checks of
//! [`super::input`] before sending.

use std::future::Future;
use std::sync::Arc;

use progenitor_client::ResponseValue;
use reqwest::StatusCode;

use super::generated::{self, API};
use super::ids::{checked_id, id_to_number};
use super::input::InputError;
use super::query::{ListQuery, TaskQuery};
use super::types::{
    BulkConversationCreateRequest, BulkConversationUpdateRequest, BulkOperationResult,
    BulkSingleConversationCreateParams, BulkSingleConversationUpdateParams, Call, Contact, ContactPage,
    ContactSearchDocument, ContactSearchPage, ContactSearchRequest, CreateCallRequest, CreateContactRequest,
    CreateConversationRequest, CreateCustomFieldDefinitionRequest, CreateCustomFieldListOptionRequest,
    CreateMessageRequest, CreateTaskRequest, CreateTemplateMessageRequest, CustomFieldDefinition,
    CustomFieldDefinitionPage, CustomFieldListOption, CustomFieldListOptionPage, FunnelConversation,
    LoadRecordingRequest, Message, Recording, StartAiEmployeeCallRequest, StartBridgeCallRequest,
    StartVoiceAgentCallRequest, Task, TaskPage, Transcription, UpdateContactRequest,
    UpdateCustomFieldDefinitionRequest, UpdateCustomFieldListOptionRequest, UpdateTaskRequest, UploadMediaRequest,
    UploadedMedia,
};
use crate::error::{BodyExcerpt, Error, InvalidInput, Result};
use crate::runtime::{
    ClientConfig, Credential, ItemStream, Page, Runtime, SchemeCredentials, config::normalize_base_url, paginate,
};
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
#[derive(Clone, Debug)]
pub struct Client {
    api: generated::Client,
}

impl std::ops::Deref for Client {
    type Target = generated::Client;

    fn deref(&self) -> &generated::Client {
        &self.api
    }
}

/// Configures a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    api_key: Secret,
    config: ClientConfig,
}

impl ClientBuilder {
    /// Another base URL (default [`BASE_URL`]), e.g. a sandbox.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Transport settings: timeouts, retries, user agent.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Builds the client. Fails on an unusable base URL; sends nothing.
    pub fn build(self) -> Result<Client> {
        let base_url = normalize_base_url(&self.base_url)?;
        let http = self.config.http_client()?;
        let key: Arc<dyn Credential> = Arc::new(self.api_key);
        let runtime =
            Runtime::new(&API, self.config.retry.clone(), SchemeCredentials::new().with(&API, "ApiKeyAuth", key));
        Ok(Client { api: generated::Client::new_with_client(&base_url, http, runtime) })
    }
}

/// Sends a generated call; its error becomes the crate's.
async fn send<T, E>(
    _operation: &'static str,
    call: impl Future<Output = std::result::Result<ResponseValue<T>, progenitor_client::Error<E>>>,
) -> Result<T> {
    Ok(call.await?.into_inner())
}

fn non_empty(name: &'static str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(InvalidInput::parameter(name, "must not be empty").into());
    }
    Ok(())
}

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
        ClientBuilder { base_url: BASE_URL.into(), api_key: api_key.into(), config: ClientConfig::default() }
    }

    /// The generated client, with every operation of the spec. The client
    /// derefs to it, so its methods are the client's own.
    pub fn generated(&self) -> &generated::Client {
        &self.api
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
        send("get_tasks", call.send()).await
    }

    /// Every task the query matches, page after page (one held at a time).
    pub fn tasks(&self, query: TaskQuery) -> ItemStream<Task> {
        let client = self.clone();
        paginate(move |token: Option<String>| {
            let (client, query) = (client.clone(), query.clone());
            async move {
                let page = client.tasks_page(&query, token.as_deref()).await?;
                Ok(Page { items: page.items, next: next_token(page.next_page_token) })
            }
        })
    }

    pub async fn create_task(&self, task: &CreateTaskRequest) -> Result<Task> {
        send("create_task", self.api.create_task().body(task.clone()).send()).await
    }

    pub async fn task(&self, task_id: &str) -> Result<Task> {
        non_empty("taskId", task_id)?;
        send("get_task", self.api.get_task().task_id(task_id).send()).await
    }

    /// Changes the fields that are set; the others keep their value.
    pub async fn update_task(&self, task_id: &str, changes: &UpdateTaskRequest) -> Result<Task> {
        non_empty("taskId", task_id)?;
        send("update_task", self.api.update_task().task_id(task_id).body(changes.clone()).send()).await
    }

    /// Deletes a task permanently; returns it as it was.
    pub async fn delete_task(&self, task_id: &str) -> Result<Task> {
        non_empty("taskId", task_id)?;
        send("delete_task", self.api.delete_task().task_id(task_id).send()).await
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
        send("get_contacts", call.send()).await
    }

    /// Every contact the query matches, page after page.
    pub fn contacts(&self, query: ListQuery) -> ItemStream<Contact> {
        let client = self.clone();
        paginate(move |token: Option<String>| {
            let (client, query) = (client.clone(), query.clone());
            async move {
                let page = client.contacts_page(&query, token.as_deref()).await?;
                Ok(Page { items: page.items, next: next_token(page.next_page_token) })
            }
        })
    }

    /// Creates a contact (custom fields and addresses may be included).
    pub async fn create_contact(&self, contact: &CreateContactRequest) -> Result<Contact> {
        send("create_contact", self.api.create_contact().body(contact.clone()).send()).await
    }

    /// One contact, with its custom fields and addresses.
    pub async fn contact(&self, id: u64) -> Result<Contact> {
        let id = id_to_number("id", id)?;
        send("get_contact", self.api.get_contact().id(id).send()).await
    }

    /// Changes the fields that are set; the others keep their value.
    pub async fn update_contact(&self, id: u64, changes: &UpdateContactRequest) -> Result<Contact> {
        let id = id_to_number("id", id)?;
        send("update_contact", self.api.update_contact().id(id).body(changes.clone()).send()).await
    }

    /// Deletes a contact with its custom field values and addresses.
    pub async fn delete_contact(&self, id: u64) -> Result<Contact> {
        let id = id_to_number("id", id)?;
        send("delete_contact", self.api.delete_contact().id(id).send()).await
    }

    /// One page of a contact search. `request.page_token` selects the page.
    pub async fn search_contacts_page(&self, request: &ContactSearchRequest) -> Result<ContactSearchPage> {
        if request.size.is_some_and(|n| n < 1.0 || n.fract() != 0.0) {
            return Err(InvalidInput::parameter("size", "must be a whole number of at least 1").into());
        }
        send("search_contacts", self.api.search_contacts().body(request.clone()).send()).await
    }

    /// Every contact the search matches, page after page, starting at
    /// `request.page_token` (usually none).
    pub fn search_contacts(&self, request: ContactSearchRequest) -> ItemStream<ContactSearchDocument> {
        let client = self.clone();
        let first = request.page_token.clone();
        paginate(move |token: Option<String>| {
            let (client, mut request) = (client.clone(), request.clone());
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
        send("get_custom_field_definitions", call.send()).await
    }

    /// Every custom field definition the query matches (e.g. filter
    /// `entityType:CONTACT`), page after page.
    pub fn custom_field_definitions(&self, query: ListQuery) -> ItemStream<CustomFieldDefinition> {
        let client = self.clone();
        paginate(move |token: Option<String>| {
            let (client, query) = (client.clone(), query.clone());
            async move {
                let page = client.custom_field_definitions_page(&query, token.as_deref()).await?;
                Ok(Page { items: page.items, next: next_token(page.next_page_token) })
            }
        })
    }

    pub async fn create_custom_field_definition(
        &self,
        definition: &CreateCustomFieldDefinitionRequest,
    ) -> Result<CustomFieldDefinition> {
        send(
            "create_custom_field_definition",
            self.api.create_custom_field_definition().body(definition.clone()).send(),
        )
        .await
    }

    pub async fn custom_field_definition(&self, id: u64) -> Result<CustomFieldDefinition> {
        let id = id_to_number("id", id)?;
        send("get_custom_field_definition", self.api.get_custom_field_definition().id(id).send()).await
    }

    /// Changes the fields that are set; stored values are kept.
    pub async fn update_custom_field_definition(
        &self,
        id: u64,
        changes: &UpdateCustomFieldDefinitionRequest,
    ) -> Result<CustomFieldDefinition> {
        let id = id_to_number("id", id)?;
        let call = self.api.update_custom_field_definition().id(id).body(changes.clone());
        send("update_custom_field_definition", call.send()).await
    }

    /// Deletes a definition. One that still has stored values is refused
    /// with [`Error::CustomFieldInUse`] unless `force` is set, which deletes
    /// every stored value of it too.
    pub async fn delete_custom_field_definition(&self, id: u64, force: bool) -> Result<CustomFieldDefinition> {
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
        send("get_custom_field_list_options", call.send()).await
    }

    /// Every option of a `LIST` definition, page after page.
    pub fn custom_field_options(&self, definition_id: u64, query: ListQuery) -> ItemStream<CustomFieldListOption> {
        let client = self.clone();
        paginate(move |token: Option<String>| {
            let (client, query) = (client.clone(), query.clone());
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
        send("create_custom_field_list_option", call.send()).await
    }

    pub async fn custom_field_option(&self, definition_id: u64, option_id: u64) -> Result<CustomFieldListOption> {
        let call = self
            .api
            .get_custom_field_list_option()
            .definition_id(id_to_number("definitionId", definition_id)?)
            .option_id(id_to_number("optionId", option_id)?);
        send("get_custom_field_list_option", call.send()).await
    }

    /// Changes an option's display properties.
    pub async fn update_custom_field_option(
        &self,
        definition_id: u64,
        option_id: u64,
        changes: &UpdateCustomFieldListOptionRequest,
    ) -> Result<CustomFieldListOption> {
        let call = self
            .api
            .update_custom_field_list_option()
            .definition_id(id_to_number("definitionId", definition_id)?)
            .option_id(id_to_number("optionId", option_id)?)
            .body(changes.clone());
        send("update_custom_field_list_option", call.send()).await
    }

    /// Deletes an option; records that use it are affected.
    pub async fn delete_custom_field_option(
        &self,
        definition_id: u64,
        option_id: u64,
    ) -> Result<CustomFieldListOption> {
        let call = self
            .api
            .delete_custom_field_list_option()
            .definition_id(id_to_number("definitionId", definition_id)?)
            .option_id(id_to_number("optionId", option_id)?);
        send("delete_custom_field_list_option", call.send()).await
    }

    // ------------------------------------------------------------------ conversations

    /// Creates one conversation and returns it with its contact. Exactly one
    /// of `contactId` and `contact` must be set (checked before sending).
    pub async fn create_conversation(&self, conversation: &CreateConversationRequest) -> Result<FunnelConversation> {
        conversation.validate()?;
        send("create_conversation", self.api.create_conversation().body(conversation.clone()).send()).await
    }

    /// Creates many conversations. The answer is 200 even when items fail:
    /// read it with [`BulkOperationResult::pair`]`(items)`. Items are not
    /// checked here, so that each problem comes back in the report.
    pub async fn bulk_create_conversations(
        &self,
        items: &[BulkSingleConversationCreateParams],
    ) -> Result<BulkOperationResult> {
        if items.is_empty() {
            return Err(InvalidInput::parameter("conversations", "needs at least one item").into());
        }
        let body = BulkConversationCreateRequest { conversations: items.to_vec() };
        send("bulk_create_conversations", self.api.bulk_create_conversations().body(body).send()).await
    }

    /// Updates many conversations (each by its `id`); read the answer with
    /// [`BulkOperationResult::pair`]`(items)`.
    pub async fn bulk_update_conversations(
        &self,
        items: &[BulkSingleConversationUpdateParams],
    ) -> Result<BulkOperationResult> {
        if items.is_empty() {
            return Err(InvalidInput::parameter("conversations", "needs at least one item").into());
        }
        for item in items {
            checked_id("id", item.id)?;
        }
        let body = BulkConversationUpdateRequest { conversations: items.to_vec() };
        send("bulk_update_conversations", self.api.bulk_update_conversations().body(body).send()).await
    }

    // ------------------------------------------------------------------ messages

    /// One message, with attachments behind signed URLs.
    pub async fn message(&self, message_id: &str) -> Result<Message> {
        non_empty("messageId", message_id)?;
        send("get_message", self.api.get_message().message_id(message_id).send()).await
    }

    /// Sends a WhatsApp template message (E.164 numbers; `variables` or
    /// `components`, never both: checked before sending).
    pub async fn send_whatsapp_template(&self, message: &CreateTemplateMessageRequest) -> Result<Message> {
        message.validate()?;
        send("create_template_message", self.api.create_template_message().body(message.clone()).send()).await
    }

    /// Sends a WhatsApp free-form message; media messages take a `fileId`.
    pub async fn send_whatsapp_message(&self, message: &CreateMessageRequest) -> Result<Message> {
        message.validate()?;
        send("create_message", self.api.create_message().body(message.clone()).send()).await
    }

    /// Uploads media to the WhatsApp Business API, by `fileId` or directly
    /// (`fileName`, `contentType`, base64 `content`).
    pub async fn upload_whatsapp_media(&self, upload: &UploadMediaRequest) -> Result<UploadedMedia> {
        upload.validate()?;
        send("upload_media", self.api.upload_media().body(upload.clone()).send()).await
    }

    // ------------------------------------------------------------------ calls and recordings

    /// Starts an outbound call by an AI employee (v2, Vapi).
    pub async fn start_ai_employee_call(&self, call: &StartAiEmployeeCallRequest) -> Result<Call> {
        send("start_ai_employee_call", self.api.start_ai_employee_call().body(call.clone()).send()).await
    }

    /// Starts a call by a configured voice agent (v1).
    pub async fn start_voice_agent_call(&self, call: &StartVoiceAgentCallRequest) -> Result<Call> {
        send("start_voice_agent_call", self.api.start_voice_agent_call().body(call.clone()).send()).await
    }

    /// Starts a bridge call.
    pub async fn start_bridge_call(&self, call: &StartBridgeCallRequest) -> Result<Call> {
        send("start_bridge_call", self.api.start_bridge_call().body(call.clone()).send()).await
    }

    /// Records a call that took place outside LlamadaPro.
    pub async fn create_call(&self, call: &CreateCallRequest) -> Result<Call> {
        send("create_call", self.api.create_call().body(call.clone()).send()).await
    }

    pub async fn call(&self, call_id: u64) -> Result<Call> {
        let id = id_to_number("callId", call_id)?;
        send("get_call", self.api.get_call().call_id(id).send()).await
    }

    pub async fn call_transcription(&self, call_id: u64) -> Result<Transcription> {
        let id = id_to_number("callId", call_id)?;
        send("get_call_transcription", self.api.get_call_transcription().call_id(id).send()).await
    }

    pub async fn call_recording(&self, call_id: u64) -> Result<Recording> {
        let id = id_to_number("callId", call_id)?;
        send("get_call_recording", self.api.get_call_recording().call_id(id).send()).await
    }

    pub async fn recording(&self, recording_id: u64) -> Result<Recording> {
        let id = id_to_number("recordingId", recording_id)?;
        send("get_recording", self.api.get_recording().recording_id(id).send()).await
    }

    /// Imports a call recording from a URL. The API answers without a body.
    pub async fn load_recording(&self, recording: &LoadRecordingRequest) -> Result<()> {
        send("load_recording", self.api.load_recording().body(recording.clone()).send()).await
    }
}
