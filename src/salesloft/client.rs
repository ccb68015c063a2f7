//! The hand-written Salesloft client around the generated one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use progenitor_client::ResponseValue;
use reqwest::header::HeaderMap;

use super::auth::{ApiKey, TokenProvider};
use super::generated::{self, builder::ListConversations};
use super::types::{Conversation, ConversationSortBy, SortDirection};
use crate::error::Result;
use crate::runtime::{
    ClientConfig, ItemStream, Page, REFRESH_MARGIN, RetryPolicy, SpecClient, TokenCredential, paginate,
};
use crate::secret::Secret;

/// Salesloft's API base URL.
pub const BASE_URL: &str = "https://api.salesloft.com";

/// The rate-limit state Salesloft reports on each response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    /// `x-ratelimit-remaining-minute`: cost budget left this minute.
    pub remaining_minute: Option<u64>,
    /// `x-ratelimit-endpoint-cost`: what the request cost (more for deep pages).
    pub endpoint_cost: Option<u64>,
}

impl RateLimit {
    /// The rate-limit state in a response's headers, e.g. of any generated
    /// call: `RateLimit::from_headers(response.headers())`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let read = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
        Self {
            remaining_minute: read("x-ratelimit-remaining-minute"),
            endpoint_cost: read("x-ratelimit-endpoint-cost"),
        }
    }
}

/// A response body with the rate-limit state that came with it.
#[derive(Debug, Clone)]
pub struct Rated<T> {
    pub value: T,
    pub rate_limit: RateLimit,
}

impl<T> std::ops::Deref for Rated<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// The body of any generated call's response, with the rate-limit state of
/// its headers: `Rated::from(client.get_transcription().id(id).send().await?)`.
impl<T> From<ResponseValue<T>> for Rated<T> {
    fn from(response: ResponseValue<T>) -> Self {
        let rate_limit = RateLimit::from_headers(response.headers());
        Rated { value: response.into_inner(), rate_limit }
    }
}

/// A Salesloft client. Cheap to clone; clones share the token and the
/// last rate-limit state.
pub type Client = crate::ApiClient<generated::Client, LastRateLimit>;

/// The rate-limit state of the latest page a Salesloft client fetched.
#[derive(Clone, Debug, Default)]
pub struct LastRateLimit(Arc<Mutex<Option<RateLimit>>>);

/// Configures a [`Client`] (`https://api.salesloft.com` by default). The
/// default retry policy waits out 429s for up to a minute each (Salesloft's
/// budget resets every minute), two minutes in all.
pub type ClientBuilder = crate::SpecClientBuilder<Client>;

impl Client {
    /// A client authenticated with an API key (`ak_…`).
    pub fn new(api_key: impl Into<Secret>) -> Result<Self> {
        Self::builder(ApiKey(api_key.into())).build()
    }

    /// Starts configuring a client whose bearer comes from `provider`: an
    /// [`ApiKey`], or an OAuth client that refreshes its access token.
    pub fn builder(provider: impl TokenProvider + 'static) -> ClientBuilder {
        let retry = RetryPolicy::default()
            .with_max_attempts(4)
            .with_max_delay(Duration::from_secs(60))
            .with_max_elapsed(Duration::from_secs(120));
        let provider: Arc<dyn TokenProvider> = Arc::new(provider);
        let bearer = Arc::new(TokenCredential::new("access_token", REFRESH_MARGIN, provider));
        let builder = Client::spec_builder(BASE_URL).fetched_credential("bearerAuth", bearer);
        builder.config(ClientConfig::default().with_retry(retry))
    }

    /// The rate-limit state of the latest page fetched by
    /// [`Client::updated_since`]. For a generated call, read it from the
    /// response: [`Rated::from`] or [`RateLimit::from_headers`].
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        self.state.0.lock().ok().and_then(|r| *r)
    }

    /// Every conversation `call` matches that was updated after `since`,
    /// oldest update first, by moving an `updated_at` cursor rather than
    /// paging deep (as Salesloft recommends; for a plain walk use
    /// `client.list_conversations().stream()`). Conversations that share the
    /// cursor's timestamp are neither skipped nor repeated. The walk sets
    /// the call's sort, page and lower `updated_at` bound itself; give it a
    /// `per_page` (the API's default is 25, its most 100):
    ///
    /// ```no_run
    /// # async fn demo(client: convo_clients::salesloft::Client) -> convo_clients::Result<()> {
    /// use futures::TryStreamExt;
    /// let since = "2024-07-01T00:00:00Z".parse().unwrap();
    /// let changed: Vec<_> = client.updated_since(since, client.list_conversations().per_page(100)).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn updated_since(&self, since: DateTime<Utc>, call: ListConversations<'_>) -> ItemStream<Conversation> {
        let client = self.clone();
        let request = call.detach();
        paginate("salesloft.updated_since", (since, request), move |(since, request), cursor: Option<UpdatedCursor>| {
            let client = client.clone();
            async move {
                let cursor = cursor.unwrap_or(UpdatedCursor { at: since, page: 1, seen_at: Vec::new(), first: true });
                let call =
                    request.on(&client).sort_by(ConversationSortBy::UpdatedAt).sort_direction(SortDirection::Asc);
                // Strictly after `since` at first; then at-or-after the cursor,
                // so that conversations sharing its timestamp are not lost.
                let call = if cursor.first { call.updated_at_gt(cursor.at) } else { call.updated_at_gte(cursor.at) };
                let page = Rated::from(call.page(cursor.page).send().await?);
                if let Ok(mut last) = client.state.0.lock() {
                    *last = Some(page.rate_limit);
                }
                let page = page.value;
                let more = page.metadata.paging.next_page.is_some();
                let next = cursor.advance(&page.data);
                let fresh = page.data.into_iter().filter(|c| !cursor.seen_at.contains(&c.id)).collect();
                Ok(Page { items: fresh, next: more.then_some(next) })
            }
        })
        .with_retries(self.api.inner.retry_policy())
    }
}

/// Where an `updated_since` walk stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct UpdatedCursor {
    at: DateTime<Utc>,
    /// Page within the conversations updated at `at` or later; above 1 only
    /// when a whole page shares one timestamp.
    page: u32,
    /// Ids already returned whose `updated_at` is `at`.
    seen_at: Vec<String>,
    first: bool,
}

impl UpdatedCursor {
    /// The cursor after `page` (sorted by `updated_at` ascending).
    fn advance(&self, page: &[Conversation]) -> Self {
        let newest = page.iter().filter_map(|c| c.updated_at).max();
        match newest {
            Some(at) if at > self.at || self.first => Self {
                at,
                page: 1,
                seen_at: page.iter().filter(|c| c.updated_at == Some(at)).map(|c| c.id.clone()).collect(),
                first: false,
            },
            // The whole page sits at the cursor's timestamp: page on within it.
            _ => {
                let mut seen_at = self.seen_at.clone();
                seen_at.extend(page.iter().map(|c| c.id.clone()));
                Self { at: self.at, page: self.page + 1, seen_at, first: false }
            }
        }
    }
}
