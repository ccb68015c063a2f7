//! The hand-written Salesloft client around the generated one.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use progenitor_client::ResponseValue;
use reqwest::header::HeaderMap;

use super::auth::{ApiKey, ProviderFetch, REFRESH_MARGIN, TokenProvider};
use super::generated;
use super::query::{ConversationQuery, TitleFilter};
use super::types::{Conversation, ConversationList, ConversationSortBy, SortDirection};
use crate::error::Result;
use crate::runtime::{ClientConfig, ItemStream, Page, RetryPolicy, TokenCredential, paginate};
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
        let bearer = Arc::new(TokenCredential::new("access_token", REFRESH_MARGIN, ProviderFetch(Arc::new(provider))));
        let builder = Client::spec_builder(BASE_URL).fetched_credential("bearerAuth", bearer);
        builder.config(ClientConfig::default().with_retry(retry))
    }

    /// The rate-limit state of the latest page fetched by
    /// [`Client::conversations_page`], [`Client::conversations`] or
    /// [`Client::updated_since`]. For a generated call, read it from the
    /// response: [`Rated::from`] or [`RateLimit::from_headers`].
    pub fn last_rate_limit(&self) -> Option<RateLimit> {
        self.state.0.lock().ok().and_then(|r| *r)
    }

    /// One page of conversations (pages count from 1). The spec's rules
    /// (`page` from 1, `per_page` 1 to 100, and no empty range: its
    /// `x-range`) are checked by the runtime before sending.
    pub async fn conversations_page(&self, query: &ConversationQuery, page: u32) -> Result<Rated<ConversationList>> {
        let rated = Rated::from(list_call(&self.api, query, page).send().await?);
        if let Ok(mut last) = self.state.0.lock() {
            *last = Some(rated.rate_limit);
        }
        Ok(rated)
    }

    /// Every conversation the query matches, page after page, until
    /// `next_page` is null. One page is held at a time. Deep pages cost more
    /// against the rate limit: for large syncs prefer [`Client::updated_since`].
    pub fn conversations(&self, query: ConversationQuery) -> ItemStream<Conversation> {
        let client = self.clone();
        paginate("salesloft.conversations", query, move |query, page: Option<u32>| {
            let client = client.clone();
            async move {
                let page = client.conversations_page(&query, page.unwrap_or(1)).await?.value;
                let paging = &page.metadata.paging;
                // Past the last page the server reports (with paging counts)
                // the list has ended, whatever `next_page` claims.
                let within = |n: &i32| paging.total_pages.is_none_or(|total| *n <= total);
                let next = paging.next_page.filter(within).and_then(|n| u32::try_from(n).ok());
                Ok(Page { items: page.data, next })
            }
        })
    }

    /// Every conversation updated after `since`, oldest update first, by
    /// moving an `updated_at` cursor rather than paging deep (as Salesloft
    /// recommends). Conversations that share the cursor's timestamp are
    /// neither skipped nor repeated. `query`'s own sort and `updated_at`
    /// bounds are replaced.
    pub fn updated_since(&self, since: DateTime<Utc>, query: ConversationQuery) -> ItemStream<Conversation> {
        let client = self.clone();
        let per_page = query.per_page.unwrap_or(100);
        paginate("salesloft.updated_since", (since, query), move |(since, query), cursor: Option<UpdatedCursor>| {
            let client = client.clone();
            async move {
                let cursor = cursor.unwrap_or(UpdatedCursor { at: since, page: 1, seen_at: Vec::new(), first: true });
                let mut q = query.sort(ConversationSortBy::UpdatedAt, SortDirection::Asc).per_page(per_page);
                q.updated_at = Default::default();
                // Strictly after `since` at first; then at-or-after the cursor,
                // so that conversations sharing its timestamp are not lost.
                q = if cursor.first { q.updated_after(cursor.at) } else { q.updated_at_or_after(cursor.at) };
                let page = client.conversations_page(&q, cursor.page).await?.value.data;
                let full = page.len() >= per_page as usize;
                let next = cursor.advance(&page);
                let fresh = page.into_iter().filter(|c| !cursor.seen_at.contains(&c.id)).collect();
                Ok(Page { items: fresh, next: full.then_some(next) })
            }
        })
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

/// The generated call with every filter of `query` set.
fn list_call<'a>(
    api: &'a generated::Client,
    query: &ConversationQuery,
    page: u32,
) -> generated::builder::ListConversations<'a> {
    let mut call = api.list_conversations().page(page);
    match &query.title {
        Some(TitleFilter::Exact(t)) => call = call.title(t.clone()),
        Some(TitleFilter::StartsWith(t)) => call = call.title_starts_with(t.clone()),
        None => {}
    }
    let (gt, gte, lt, lte) = query.created_at.keys();
    call = set(call, gt, |c, v| c.created_at_gt(v));
    call = set(call, gte, |c, v| c.created_at_gte(v));
    call = set(call, lt, |c, v| c.created_at_lt(v));
    call = set(call, lte, |c, v| c.created_at_lte(v));
    let (gt, gte, lt, lte) = query.updated_at.keys();
    call = set(call, gt, |c, v| c.updated_at_gt(v));
    call = set(call, gte, |c, v| c.updated_at_gte(v));
    call = set(call, lt, |c, v| c.updated_at_lt(v));
    call = set(call, lte, |c, v| c.updated_at_lte(v));
    let (gt, gte, lt, lte) = query.duration.keys();
    call = set(call, gt, |c, v| c.duration_gt(v));
    call = set(call, gte, |c, v| c.duration_gte(v));
    call = set(call, lt, |c, v| c.duration_lt(v));
    call = set(call, lte, |c, v| c.duration_lte(v));
    call = set(call, query.language_code.clone(), |c, v| c.language_code(v));
    call = set(call, query.platform.clone(), |c, v| c.platform(v));
    call = set(call, non_empty(&query.owner_ids), |c, v| c.owner_ids(v));
    call = set(call, non_empty(&query.user_guids), |c, v| c.user_guids(v));
    call = set(call, non_empty(&query.ids), |c, v| c.ids(v));
    call = set(call, non_empty(&query.account_ids), |c, v| c.account_ids(v));
    call = set(call, non_empty(&query.person_ids), |c, v| c.person_ids(v));
    call = set(call, query.is_api, |c, v| c.is_api(v));
    call = set(call, query.media_type.clone(), |c, v| c.media_type(v));
    if let Some((by, direction)) = &query.sort {
        call = call.sort_by(by.clone()).sort_direction(direction.clone());
    }
    call = set(call, query.per_page, |c, v| c.per_page(v));
    if query.include_paging_counts {
        call = call.include_paging_counts(true);
    }
    call
}

fn set<C, V>(call: C, value: Option<V>, apply: impl FnOnce(C, V) -> C) -> C {
    match value {
        Some(v) => apply(call, v),
        None => call,
    }
}

fn non_empty(ids: &[String]) -> Option<Vec<String>> {
    (!ids.is_empty()).then(|| ids.to_vec())
}
