//! The hand-written LlamadaPro client around the generated one: its builder,
//! a stream over the contact search (paged by its body), and the few calls
//! that add a check of [`super::input`] before sending or type a documented
//! refusal. The lists paged by a query parameter stream with `stream()` on
//! their builders (`client.get_contacts().page_size(50).stream()`).

use reqwest::StatusCode;

use super::generated;
use super::ids::{checked_id, id_to_number};
use super::input::InputError;
use super::types::{
    ContactSearchDocument, ContactSearchRequest, CreateCustomFieldListOptionRequest, CustomFieldDefinition,
    CustomFieldListOption,
};
use crate::error::{BodyExcerpt, Error, Result};
use crate::runtime::{ItemStream, Page, next_page, paginate};

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

impl crate::error::ApiError for DefinitionInUse {
    fn status(&self) -> Option<StatusCode> {
        Some(StatusCode::CONFLICT)
    }
    fn body(&self) -> Option<&BodyExcerpt> {
        Some(&self.body)
    }
}

/// A LlamadaPro client. Cheap to clone; clones share the connection pool.
pub type Client = crate::ApiClient<generated::Client>;

/// Configures a [`Client`] ([`BASE_URL`] by default).
pub type ClientBuilder = crate::SpecClientBuilder<Client>;

// `Client::new(api_key)` and `Client::builder(api_key)` are generated from
// the spec's security scheme (build.rs, `key_constructors`).
impl Client {
    /// Every contact the search matches, page after page, starting at
    /// `request.page_token` (usually none). (The generated `search_contacts()`
    /// sends one page.)
    pub fn contact_search(&self, request: ContactSearchRequest) -> ItemStream<ContactSearchDocument> {
        let client = self.clone();
        let first = request.page_token.clone();
        paginate("llamadapro.contact_search", request, move |mut request, token: Option<serde_json::Value>| {
            let client = client.clone();
            request.page_token = token.and_then(|t| t.as_str().map(str::to_owned)).or_else(|| first.clone());
            async move {
                let page = client.api.search_contacts().body(request).send().await?.into_inner();
                Ok(Page { next: next_page(page.next_page_token.as_ref()), items: page.items })
            }
        })
        .with_retries(self.api.inner.retry_policy())
    }

    /// Deletes a definition: the generated `delete_custom_field_definition()`
    /// with its documented refusal typed. One that still has stored values is
    /// refused with [`DefinitionInUse`] ([`Error::api_error`]) unless `force` is set, which
    /// deletes every stored value of it too.
    pub async fn delete_custom_field_definition_checked(&self, id: u64, force: bool) -> Result<CustomFieldDefinition> {
        let number = id_to_number("id", id)?;
        let sent = self.api.delete_custom_field_definition().id(number).force(force).send().await;
        sent.map(|value| value.into_inner()).map_err(|e| match Error::from(e) {
            Error::Status { status: StatusCode::CONFLICT, body, .. } => {
                DefinitionInUse { definition_id: id, body }.into()
            }
            other => other,
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
}
