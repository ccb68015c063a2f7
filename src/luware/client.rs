//! The hand-written Luware client around the generated one.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use progenitor_client::ByteStream;

use super::auth::{Credentials, SubscriptionKey, TokenManager};
use super::filter::Filters;
use super::generated::{self, RETRY_SAFE_OPERATIONS};
use super::transcript::{Transcript, TranscriptLimits, VtrCollector};
use super::types::{
    self, ActionResult, ControlAction, Conversation, ConversationPage, Expand, FileExtension, SortField, SortOrder,
};
use crate::error::{Error, InvalidInput, Result};
use crate::runtime::{
    ClientConfig, ItemStream, Page, Runtime, config::normalize_base_url, paginate, send_authenticated,
};

/// Luware's page size limit (seed 000 L75).
const MAX_PAGE_SIZE: u32 = 100;

/// A Luware Recording client. Cheap to clone; clones share the token cache
/// and connection pool.
#[derive(Clone, Debug)]
pub struct Client {
    api: generated::Client,
    tokens: Arc<TokenManager>,
    transcript_limits: TranscriptLimits,
}

/// Configures a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Credentials,
    config: ClientConfig,
    refresh_margin: Duration,
    transcript_limits: TranscriptLimits,
}

impl ClientBuilder {
    /// Transport settings: timeouts, retries, user agent.
    pub fn config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Refresh the token this long before it expires (default 60 s; at most
    /// half the token's lifetime).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Size caps for `.vtr` downloads.
    pub fn transcript_limits(mut self, limits: TranscriptLimits) -> Self {
        self.transcript_limits = limits;
        self
    }

    /// Builds the client. Fails on an unusable base URL; sends nothing.
    pub fn build(self) -> Result<Client> {
        let base_url = normalize_base_url(&self.base_url)?;
        let http = self.config.http_client()?;
        let retry = self.config.retry.clone();
        let key = Arc::new(SubscriptionKey(self.credentials.subscription_key.clone()));
        let token_runtime = Runtime::new("luware", retry.clone(), RETRY_SAFE_OPERATIONS, Some(key));
        let token_client = generated::Client::new_with_client(&base_url, http.clone(), token_runtime);
        let tokens = Arc::new(TokenManager::new(self.credentials, token_client, self.refresh_margin));
        let runtime = Runtime::new("luware", retry, RETRY_SAFE_OPERATIONS, Some(tokens.clone()));
        Ok(Client {
            api: generated::Client::new_with_client(&base_url, http, runtime),
            tokens,
            transcript_limits: self.transcript_limits,
        })
    }
}

/// A conversation search: filters, page size and sort order.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    filters: Filters,
    limit: u32,
    sort: Option<SortOrder>,
}

impl SearchRequest {
    /// Searches with these filters, 100 records per page, server order.
    pub fn new(filters: Filters) -> Self {
        Self { filters, limit: MAX_PAGE_SIZE, sort: None }
    }

    /// Records per page, 1 to 100.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Sorts by start time (the only documented sort field).
    pub fn sort_by_start_time(mut self, order: SortOrder) -> Self {
        self.sort = Some(order);
        self
    }

    /// The filters.
    pub fn filters(&self) -> &Filters {
        &self.filters
    }

    fn validate(&self) -> Result<()> {
        if !(1..=MAX_PAGE_SIZE).contains(&self.limit) {
            return Err(InvalidInput::parameter("limit", format!("{} is not within 1..=100", self.limit)).into());
        }
        Ok(())
    }
}

impl Client {
    /// A client with default settings.
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Result<Self> {
        Self::builder(base_url, credentials).build()
    }

    /// Starts configuring a client. `base_url` is the customer FQDN Luware
    /// supplies, e.g. `https://example.luware.com` (without `/vfcrest`).
    pub fn builder(base_url: impl Into<String>, credentials: Credentials) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            credentials,
            config: ClientConfig::default(),
            refresh_margin: Duration::from_secs(60),
            transcript_limits: TranscriptLimits::default(),
        }
    }

    /// The generated client, for calls this wrapper does not cover. It adds
    /// the subscription key and the cached token, but does not fetch one:
    /// call [`Client::authenticate`] first.
    pub fn generated(&self) -> &generated::Client {
        &self.api
    }

    /// Fetches a token now unless a fresh one is cached.
    pub async fn authenticate(&self) -> Result<()> {
        use crate::runtime::TokenSource;
        self.tokens.ensure().await.map(drop)
    }

    /// Every conversation matching the search, page after page, as a stream.
    /// The first request carries limit, filters and sort; follow-ups carry
    /// only `nextPageToken`, as the API demands. One page is held at a time.
    pub fn search(&self, request: SearchRequest) -> ItemStream<Conversation> {
        let client = self.clone();
        paginate(move |token: Option<String>| {
            let client = client.clone();
            let request = request.clone();
            async move {
                let page = match token {
                    None => client.first_page(&request).await?,
                    Some(token) => client.next_page(&token).await?,
                };
                Ok(Page { items: page.conversations, next: page.next_page_token.filter(|t| !t.is_empty()) })
            }
        })
    }

    /// The first page of a search.
    pub async fn first_page(&self, request: &SearchRequest) -> Result<ConversationPage> {
        request.validate()?;
        let filters = request.filters.to_json();
        let limit = std::num::NonZeroU32::new(request.limit);
        let response = send_authenticated(&*self.tokens, "search_conversations", || {
            let mut call = self.api.search_conversations().filters(filters.clone());
            if let Some(limit) = limit {
                call = call.limit(limit);
            }
            if let Some(order) = &request.sort {
                call = call.sort_by(SortField::StartTime).sort_order(order.clone());
            }
            call.send()
        })
        .await?;
        Ok(response.into_inner())
    }

    /// A follow-up page; only the token is sent.
    pub async fn next_page(&self, next_page_token: &str) -> Result<ConversationPage> {
        if next_page_token.is_empty() {
            return Err(InvalidInput::parameter("nextPageToken", "must not be empty").into());
        }
        let response = send_authenticated(&*self.tokens, "search_conversations", || {
            self.api.search_conversations().next_page_token(next_page_token).send()
        })
        .await?;
        Ok(response.into_inner())
    }

    /// One conversation, with the expanded parts asked for.
    pub async fn conversation(&self, ccdr_id: &str, expands: &[Expand]) -> Result<Conversation> {
        check_id(ccdr_id)?;
        let response = send_authenticated(&*self.tokens, "get_conversation", || {
            let call = self.api.get_conversation().ccdr_id(ccdr_id);
            if expands.is_empty() { call } else { call.expands(expands.to_vec()) }.send()
        })
        .await?;
        Ok(response.into_inner())
    }

    /// The raw `.vtr` download as a byte stream (a ZIP), for saving to disk
    /// without holding it in memory.
    pub async fn download_media(&self, ccdr_id: &str) -> Result<ByteStream> {
        check_id(ccdr_id)?;
        let response = send_authenticated(&*self.tokens, "download_media", || {
            self.api.download_media().ccdr_id(ccdr_id).file_extension(FileExtension::Vtr).send()
        })
        .await?;
        Ok(response.into_inner())
    }

    /// Downloads, unzips and parses the Speech Analytics transcript. The body
    /// is streamed into a buffer capped by the transcript limits, and the
    /// decompressed size is capped too.
    pub async fn transcript(&self, ccdr_id: &str) -> Result<Transcript> {
        let mut body = self.download_media(ccdr_id).await?.into_inner();
        let mut collector = VtrCollector::new(&self.transcript_limits);
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                let e = e.without_url();
                Error::Transport { operation: "download_media", message: e.to_string(), source: Some(e) }
            })?;
            collector.push(&chunk)?;
        }
        Ok(collector.finish()?)
    }

    /// Adds values of an existing metadata template to a conversation.
    pub async fn add_metadata(&self, ccdr_id: &str, metadata: &types::MetadataRequest) -> Result<ActionResult> {
        check_id(ccdr_id)?;
        if metadata.meta_template_name.trim().is_empty() {
            return Err(InvalidInput::parameter("metaTemplateName", "must not be empty").into());
        }
        let response = send_authenticated(&*self.tokens, "add_metadata", || {
            self.api.add_metadata().ccdr_id(ccdr_id).body(metadata.clone()).send()
        })
        .await?;
        Ok(response.into_inner())
    }

    /// Adds a label (see Data, Manage Labels for the ids).
    pub async fn add_label(&self, ccdr_id: &str, label_id: i64) -> Result<ActionResult> {
        check_id(ccdr_id)?;
        let response = send_authenticated(&*self.tokens, "add_label", || {
            self.api.add_label().ccdr_id(ccdr_id).body(types::LabelRequest { label_id }).send()
        })
        .await?;
        Ok(response.into_inner())
    }

    /// Runs a recording control action.
    pub async fn control(&self, ccdr_id: &str, action: ControlAction) -> Result<ActionResult> {
        check_id(ccdr_id)?;
        let response = send_authenticated(&*self.tokens, "control_conversation", || {
            self.api.control_conversation().ccdr_id(ccdr_id).action(action.clone()).send()
        })
        .await?;
        Ok(response.into_inner())
    }

    /// Starts a controlled recording.
    pub async fn start_recording(&self, ccdr_id: &str) -> Result<ActionResult> {
        self.control(ccdr_id, ControlAction::StartRecording).await
    }

    /// Stops a controlled recording.
    pub async fn stop_recording(&self, ccdr_id: &str) -> Result<ActionResult> {
        self.control(ccdr_id, ControlAction::StopRecording).await
    }

    /// Keeps a recording held in the On-Demand buffer.
    pub async fn keep_ondemand(&self, ccdr_id: &str) -> Result<ActionResult> {
        self.control(ccdr_id, ControlAction::KeepOndemand).await
    }
}

fn check_id(ccdr_id: &str) -> Result<()> {
    if ccdr_id.trim().is_empty() {
        return Err(InvalidInput::parameter("ccdrId", "must not be empty").into());
    }
    Ok(())
}

impl types::MetadataRequest {
    /// Values for a `custom` template, from `(name, value)` pairs.
    pub fn custom<N: Into<String>, V: Into<String>>(
        template_id: i64,
        template_name: impl Into<String>,
        fields: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        Self {
            meta_template_id: template_id,
            meta_template_name: template_name.into(),
            meta_template_type: types::MetaTemplateType::Custom,
            metadata: fields
                .into_iter()
                .map(|(name, value)| types::MetadataValue { name: name.into(), value: value.into() })
                .collect(),
        }
    }
}

impl types::Conversation {
    /// `startTime` parsed from Luware's `YYYY-MM-DD HH:mm:ss.SSS` (user time zone).
    pub fn start_time(&self) -> Option<chrono::NaiveDateTime> {
        parse_luware_time(self.start_time.as_deref()?)
    }

    /// `endTime` parsed like [`Self::start_time`].
    pub fn end_time(&self) -> Option<chrono::NaiveDateTime> {
        parse_luware_time(self.end_time.as_deref()?)
    }
}

fn parse_luware_time(value: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f").ok()
}
