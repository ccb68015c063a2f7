//! The hand-written Luware client around the generated one.

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::auth::Credentials;
use super::filter::{FilterField, Filters};
use super::generated;
use super::transcript::{Transcript, TranscriptLimits, VtrCollector};
use super::types::{self, Conversation, ConversationPage, FileExtension, SortField, SortOrder};
use crate::error::{Error, InvalidInput, Result};
use crate::runtime::{ItemStream, Page, paginate};

/// Luware's page size limit (`x-provenance` of the `limit`
/// parameter of `searchConversations` in specs/luware.yaml).
const MAX_PAGE_SIZE: u32 = 100;

/// A Luware Recording client. Every operation of the spec is a method (through
/// `Deref` to the generated client), and each fetches and refreshes its own
/// token (the spec's `x-token`). Cheap to clone; clones share the token cache
/// and connection pool.
pub type Client = crate::ApiClient<generated::Client, Session>;

/// What a Luware client keeps beside the generated one.
#[derive(Clone, Debug, Default)]
pub struct Session {
    pub(super) transcript_limits: TranscriptLimits,
}

/// Configures a [`Client`]: the credentials, transport settings,
/// [`token_refresh_margin`](crate::SpecClientBuilder::token_refresh_margin)
/// and the transcript size caps.
pub type ClientBuilder = crate::SpecClientBuilder<Client>;

impl ClientBuilder {
    /// Size caps for `.vtr` downloads.
    pub fn transcript_limits(self, limits: TranscriptLimits) -> Self {
        self.finishing(move |client| client.state.transcript_limits = limits)
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

    /// The generated call for this search's first page, after the checks:
    /// `request.call(&client)?.send()` asks for one page, and
    /// `.stream()` walks every page without [`Client::search`]'s recovery
    /// from expired page tokens.
    pub fn call<'c>(&self, client: &'c Client) -> Result<generated::builder::SearchConversations<'c>> {
        if !(1..=MAX_PAGE_SIZE).contains(&self.limit) {
            return Err(InvalidInput::parameter("limit", format!("{} is not within 1..=100", self.limit)).into());
        }
        // Filters built with `Filters`' methods are checked as they are
        // added; ones read from JSON (serde) are checked here, so an empty
        // BETWEEN range or a value of the wrong type is never sent.
        self.filters.validate()?;
        let mut call = client.api.search_conversations().filters(self.filters.to_json()).limit(self.limit);
        if let Some(order) = &self.sort {
            call = call.sort_by(SortField::StartTime).sort_order(order.clone());
        }
        Ok(call)
    }
}

/// Where a search walk stands: the page token, and the sort key of the
/// records delivered so far, to fall back on when the token has expired.
#[derive(Serialize, Deserialize)]
struct SearchCursor {
    token: String,
    after: Option<SortKey>,
}

/// The start time of the last record delivered, and the ids of every
/// delivered record that started at that same instant.
#[derive(Clone, Serialize, Deserialize)]
struct SortKey {
    start_time: String,
    ccdr_ids: Vec<String>,
}

impl SortKey {
    /// The key after `page`, carrying `previous` on when the page did not
    /// move past its instant.
    fn after(previous: Option<SortKey>, page: &[Conversation]) -> Option<SortKey> {
        let Some(last) = page.last().and_then(|c| c.start_time.clone()) else { return previous };
        let mut key = match previous {
            Some(previous) if previous.start_time == last => previous,
            _ => SortKey { start_time: last, ccdr_ids: Vec::new() },
        };
        let at_key = page.iter().filter(|c| c.start_time.as_deref() == Some(key.start_time.as_str()));
        key.ccdr_ids.extend(at_key.map(|c| c.ccdr_id.clone()));
        key.ccdr_ids.dedup();
        Some(key)
    }

    /// The search for what comes at or after the key, in the search's order.
    fn search(&self, request: &SearchRequest) -> Result<SearchRequest> {
        let bound = match request.sort {
            Some(SortOrder::Desc) => request.filters.clone().le(FilterField::StartTime, self.start_time.as_str()),
            _ => request.filters.clone().ge(FilterField::StartTime, self.start_time.as_str()),
        };
        let filters = bound.map_err(|e| InvalidInput::parameter("startTime", e.to_string()))?;
        Ok(SearchRequest { filters, ..request.clone() })
    }

    fn delivered(&self, conversation: &Conversation) -> bool {
        conversation.start_time.as_deref() == Some(self.start_time.as_str())
            && self.ccdr_ids.contains(&conversation.ccdr_id)
    }
}

/// Whether a follow-up page was refused as an unusable token (expired, or
/// unknown to the server) rather than failing for another reason.
fn token_refused(error: &Error) -> bool {
    matches!(error.status().map(|s| s.as_u16()), Some(400 | 404 | 410))
}

impl Client {
    /// A client with default settings.
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Result<Self> {
        Self::builder(base_url, credentials).build()
    }

    /// Starts configuring a client. `base_url` is the customer FQDN Luware
    /// supplies, e.g. `https://example.luware.com` (without `/vfcrest`).
    /// The credentials are the spec's: the `subscriptionKey` scheme's, and
    /// the fields of `requestToken`, which gives the `bearerToken`.
    pub fn builder(base_url: impl Into<String>, credentials: Credentials) -> ClientBuilder {
        let Credentials { subscription_key, eid, client_id, client_secret } = credentials;
        <Self as crate::SpecClient>::spec_builder(&base_url.into())
            .credential("subscriptionKey", subscription_key)
            .credential("eid", eid.to_string())
            .credential("client_id", client_id)
            .credential("client_secret", client_secret)
    }

    /// Every conversation matching the search, page after page, as a stream,
    /// surviving expired page tokens. (A plain walk is the generated
    /// `client.search_conversations().filters(…).stream()`; this flow adds
    /// the recovery below and checks `limit` within 1..=100, where the
    /// spec's `x-on-maximum: clamp` lets the vendor serve more as 100.)
    /// The first request carries limit, filters and sort; follow-ups carry
    /// only `nextPageToken`, as the API demands.
    ///
    /// Page tokens expire. When a follow-up is refused (HTTP 400, 404 or 410)
    /// and the search is sorted by start time, the walk continues from the
    /// last record's start time instead: the same search with a `startTime`
    /// bound, leaving out the records already delivered at that instant. The
    /// stream's [`ItemStream::resume_token`] resumes the same way.
    pub fn search(&self, request: SearchRequest) -> ItemStream<Conversation> {
        let client = self.clone();
        paginate("luware.search", request, move |request, cursor: Option<SearchCursor>| {
            let client = client.clone();
            async move {
                let (page, after) = match cursor {
                    None => (client.first_page(&request).await?, None),
                    Some(SearchCursor { token, after }) => {
                        let next = client.api.search_conversations().next_page_token(token).send().await;
                        match (next.map(|page| page.into_inner()).map_err(Error::from), after) {
                            (Err(e), Some(after)) if token_refused(&e) && request.sort.is_some() => {
                                let mut page = client.first_page(&after.search(&request)?).await?;
                                page.conversations.retain(|c| !after.delivered(c));
                                (page, Some(after))
                            }
                            (page, after) => (page?, after),
                        }
                    }
                };
                let after = SortKey::after(after, &page.conversations);
                let next = page.next_page_token.filter(|t| !t.is_empty()).map(|token| SearchCursor { token, after });
                Ok(Page { items: page.conversations, next })
            }
        })
        .with_retries(self.api.inner.retry_policy())
    }

    /// The first page of a search.
    async fn first_page(&self, request: &SearchRequest) -> Result<ConversationPage> {
        Ok(request.call(self)?.send().await?.into_inner())
    }

    /// Downloads, unzips and parses the Speech Analytics transcript. The body
    /// is streamed into a buffer capped by the transcript limits, and the
    /// decompressed size is capped too.
    pub async fn transcript(&self, ccdr_id: &str) -> Result<Transcript> {
        Ok(self.download_vtr(ccdr_id).await?.finish()?)
    }

    /// The Speech Analytics transcript as the `.vtr` archive (a ZIP of one
    /// JSON entry) the API serves, unparsed; its size is capped by the
    /// transcript limits. [`decode_vtr`](crate::luware::transcript::decode_vtr) reads it.
    pub async fn transcript_vtr(&self, ccdr_id: &str) -> Result<Vec<u8>> {
        Ok(self.download_vtr(ccdr_id).await?.into_bytes())
    }

    async fn download_vtr(&self, ccdr_id: &str) -> Result<VtrCollector> {
        let download = self.api.download_media().ccdr_id(ccdr_id).file_extension(FileExtension::Vtr);
        let response = download.send().await?;
        let mut collector = VtrCollector::new(&self.state.transcript_limits);
        // An archive declared too large is refused before it is read.
        if let Some(length) = response.content_length() {
            collector.expect_content_length(length)?;
        }
        let mut body = response.into_inner_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::transport("download_media", e))?;
            collector.push(&chunk)?;
        }
        Ok(collector)
    }
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
