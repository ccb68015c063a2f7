//! Turns "fetch a page, get a cursor" into a stream of items that knows
//! where it is, so that a walk stopped by an error can be resumed.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::Stream;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{InvalidInput, Result};
use crate::runtime::RetryPolicy;

/// One page: its items, and the cursor of the next page if there is one.
#[derive(Debug, Clone)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// After a client's own retries, a page (or a download) that still failed
/// for a passing reason is asked for again up to three times: first after
/// five times the client's first retry wait (1 s by default), each later
/// wait doubling; never when the client sends each request once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRetries {
    times: u32,
    first_wait: Duration,
}

impl PageRetries {
    pub(crate) fn of(policy: &RetryPolicy) -> Self {
        Self { times: if policy.is_enabled() { 3 } else { 0 }, first_wait: policy.base_delay().saturating_mul(5) }
    }

    /// The wait before retry `n` (from 1), if there is one.
    fn wait(&self, n: u32) -> Option<Duration> {
        (n <= self.times).then(|| super::retry::doubled(self.first_wait, n))
    }
}

type Fetch<T> =
    Arc<Mutex<dyn FnMut(Option<serde_json::Value>) -> BoxFuture<'static, Result<Page<T, serde_json::Value>>> + Send>>;

/// The items of a paginated list, page after page, as a `Stream`.
///
/// The next page is fetched while the current one is consumed (on a task of
/// the current Tokio runtime), so a consumer that writes records as they
/// come waits for the network only when it outpaces it. At most two pages
/// are held at a time, so memory stays flat however many pages there are. The walk ends with an error rather than looping when the
/// server returns a cursor it returned before (a cycle of any length; the
/// cursors seen are kept as 8-byte hashes) or the same page twice in a row.
///
/// It always knows where it is: [`ItemStream::resume_token`] is an opaque
/// string naming the next item to yield, and [`ItemStream::resume`] starts a
/// new walk of the same list there, so an export stopped by an error can
/// continue with no record lost or repeated.
pub struct ItemStream<T> {
    fetch: Fetch<T>,
    list: &'static str,
    query: u64,
    /// The cursor that fetched the current page; `None` is the first page.
    cursor: Option<serde_json::Value>,
    /// Items of the current page already handed out (or to skip, on resume).
    consumed: usize,
    items: std::vec::IntoIter<T>,
    /// What follows the current page: `None` until a page has arrived.
    next: Option<Option<serde_json::Value>>,
    pending: Option<BoxFuture<'static, Result<Page<T, serde_json::Value>>>>,
    /// The page after the current one, already on its way.
    prefetch: Option<BoxFuture<'static, Result<Page<T, serde_json::Value>>>>,
    cursors_seen: HashSet<u64>,
    last_page: Option<u64>,
    retries: PageRetries,
    /// No more items: the list ended, or an error stopped the walk.
    finished: bool,
    /// The list ended: there is nothing to resume.
    ended: bool,
}

/// What a resume token carries (base64url JSON, opaque to callers).
#[derive(Serialize, Deserialize)]
struct Position {
    list: String,
    query: u64,
    cursor: Option<serde_json::Value>,
    skip: usize,
}

/// Streams every item of every page of the list `list` (a name such as
/// `"luware.search"`) selected by `query`: `fetch(query, None)` gets the
/// first page and `fetch(query, Some(cursor))` the following ones, each with
/// its own clone of the query. The stream ends when a page has no cursor,
/// and stops after the first error. A resume token is only accepted by a
/// walk of the same list and an equal query (compared by its `Debug` text).
pub fn paginate<T, C, Q, F, Fut>(list: &'static str, query: Q, mut fetch: F) -> ItemStream<T>
where
    T: Serialize + Send + 'static,
    C: Serialize + DeserializeOwned + Send + 'static,
    Q: std::fmt::Debug + Clone + Send + 'static,
    F: FnMut(Q, Option<C>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T, C>>> + Send + 'static,
{
    let fingerprint = hash_of(&format!("{query:?}"));
    let fetch: Fetch<T> = Arc::new(Mutex::new(move |cursor: Option<serde_json::Value>| {
        let cursor = cursor.map(serde_json::from_value::<C>).transpose();
        let page = cursor.map(|cursor| fetch(query.clone(), cursor));
        Box::pin(async move {
            let page =
                page.map_err(|e| InvalidInput::Parameter { name: "resume token", reason: e.to_string() })?.await?;
            let next = page.next.map(|c| serde_json::to_value(c).unwrap_or_default());
            Ok(Page { items: page.items, next })
        }) as BoxFuture<'static, _>
    }));
    ItemStream {
        fetch,
        list,
        query: fingerprint,
        cursor: None,
        consumed: 0,
        items: Vec::new().into_iter(),
        next: None,
        pending: None,
        prefetch: None,
        cursors_seen: HashSet::new(),
        last_page: None,
        retries: PageRetries::of(&RetryPolicy::default()),
        finished: false,
        ended: false,
    }
}

// No field is pinned in place: the pending future is boxed.
impl<T> Unpin for ItemStream<T> {}

impl<T: Serialize> ItemStream<T> {
    /// Asks for a page that failed for a passing reason again as a client
    /// with `policy` would: after the client's own retries, up to three
    /// times, first after five times the policy's first wait (1 s by
    /// default), each later wait doubling; never when it sends each request
    /// once. The generated `stream()`s take their client's policy.
    pub fn with_retries(mut self, policy: &RetryPolicy) -> Self {
        self.retries = PageRetries::of(policy);
        self
    }

    /// Where the walk stands: a token that [`ItemStream::resume`] accepts on
    /// a new stream of the same list and query, starting with the next item
    /// this one would have yielded. `None` once the list has ended.
    pub fn resume_token(&self) -> Option<String> {
        (!self.ended).then(|| self.encode())
    }

    /// Starts this (not yet polled) walk where `token` says another walk of
    /// the same list and query stood. A token from another list or query
    /// is refused.
    pub fn resume(mut self, token: &str) -> Result<Self> {
        let refused = |reason: &str| InvalidInput::Parameter { name: "resume token", reason: reason.to_string() };
        let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| refused("not a resume token"))?;
        let position: Position = serde_json::from_slice(&bytes).map_err(|_| refused("not a resume token"))?;
        if position.list != self.list {
            return Err(refused(&format!("it belongs to {}, not {}", position.list, self.list)).into());
        }
        if position.query != self.query {
            return Err(refused("it belongs to a walk with other filters, sort or page size").into());
        }
        if self.next.is_some() || self.pending.is_some() {
            return Err(refused("the stream has already started").into());
        }
        self.cursor = position.cursor;
        self.consumed = position.skip;
        Ok(self)
    }

    fn encode(&self) -> String {
        let position = Position {
            list: self.list.to_string(),
            query: self.query,
            cursor: self.cursor.clone(),
            skip: self.consumed,
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&position).unwrap_or_default())
    }

    /// Whether every item of the pages fetched so far has been yielded: the
    /// next item needs a request. A good moment to save the place.
    pub fn at_page_end(&self) -> bool {
        self.items.len() == 0
    }

    fn fail(&mut self, error: crate::Error) -> Poll<Option<Result<T>>> {
        self.finished = true;
        Poll::Ready(Some(Err(error)))
    }
}

impl<T: Send + 'static> ItemStream<T> {
    /// The page `cursor` names. Each request was already retried; a page
    /// that still failed for a passing reason is asked for again later,
    /// from the same place, before the walk gives up.
    fn fetch(&self, cursor: Option<serde_json::Value>) -> BoxFuture<'static, Result<Page<T, serde_json::Value>>> {
        let fetch = self.fetch.clone();
        Box::pin(again_if_transient(self.list, self.retries, move || {
            (fetch.lock().unwrap_or_else(PoisonError::into_inner))(cursor.clone())
        }))
    }
}

impl<T: Serialize + Send + 'static> Stream for ItemStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = &mut *self;
        loop {
            if this.finished {
                return Poll::Ready(None);
            }
            if let Some(item) = this.items.next() {
                this.consumed += 1;
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(pending) = this.pending.as_mut() {
                let page = ready!(pending.as_mut().poll(cx));
                this.pending = None;
                let page = match page {
                    Ok(page) => page,
                    Err(e) => return this.fail(e),
                };
                if !page.items.is_empty() {
                    let hash = page_hash(&page.items);
                    if this.last_page.replace(hash) == Some(hash) {
                        return this.fail(paging_error("the server returned the same page twice in a row"));
                    }
                }
                if let Some(next) = &page.next
                    && !this.cursors_seen.insert(hash_of(&next.to_string()))
                {
                    let pages = this.cursors_seen.len();
                    return this.fail(paging_error(&format!(
                        "the server returned a page cursor it had returned before (after {pages} pages)"
                    )));
                }
                // On resume, `consumed` items of this page were already delivered.
                let skip = std::mem::take(&mut this.consumed);
                this.items = page.items.into_iter();
                this.consumed = skip.min(this.items.len());
                if this.consumed > 0 {
                    this.items.nth(this.consumed - 1);
                }
                if let Some(cursor) = &page.next {
                    this.prefetch = Some(start(this.fetch(Some(cursor.clone()))));
                }
                this.next = Some(page.next);
                continue;
            }
            match this.next.take() {
                // Not started, or resumed: fetch the page the cursor names.
                None => {}
                Some(None) => {
                    this.next = Some(None);
                    (this.finished, this.ended) = (true, true);
                    return Poll::Ready(None);
                }
                Some(Some(cursor)) => {
                    this.cursor = Some(cursor);
                    this.consumed = 0;
                }
            }
            this.pending = Some(match this.prefetch.take() {
                Some(prefetched) => prefetched,
                None => this.fetch(this.cursor.clone()),
            });
        }
    }
}

/// The next page's value, for a generated `stream()`: what the answer holds
/// where the spec's link points, or `None` (the last page) when that is
/// absent, null or an empty string.
#[allow(dead_code)] // unused when no enabled API pages
pub fn next_page<C: Serialize>(next: Option<&C>) -> Option<serde_json::Value> {
    match serde_json::to_value(next?).ok()? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.is_empty() => None,
        value => Some(value),
    }
}

/// The page after a numbered page (`x-page-number`), from the answer's own
/// number, whether it says more follow, and its last page's number (see
/// [`crate::spec::model::next_page_number`]).
#[allow(dead_code)] // unused when no enabled API pages by number
pub fn next_page_number<C: Serialize, L: Serialize>(
    current: Option<&C>,
    more: Option<&bool>,
    last: Option<&L>,
    had_items: bool,
) -> Option<serde_json::Value> {
    fn number<N: Serialize>(n: Option<&N>) -> Option<u64> {
        serde_json::to_value(n?).ok()?.as_u64()
    }
    crate::spec::model::next_page_number(number(current), more.copied(), number(last), had_items).map(Into::into)
}

/// The paging parameter of a generated builder, set to a next page's value
/// (or an error the builder's `send()` reports, for a value that does not
/// fit the parameter's type, e.g. a page number of 0).
#[allow(dead_code)] // unused when no enabled API pages
pub fn page_parameter<P: DeserializeOwned>(next: serde_json::Value) -> std::result::Result<Option<P>, String> {
    serde_json::from_value(next).map(Some).map_err(|e| format!("the next page's value does not fit the parameter: {e}"))
}

/// Runs `attempt`, and again after a transient failure (see
/// [`crate::Error::is_transient`]) as [`PageRetries`] says: a page of a
/// stream, or a call whose failure the client's own retries cannot see,
/// such as a download body that breaks off.
pub(crate) async fn again_if_transient<T, Fut>(
    what: &str,
    retries: PageRetries,
    mut attempt: impl FnMut() -> Fut,
) -> Result<T>
where
    Fut: Future<Output = Result<T>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(e)
                if e.is_transient()
                    && let Some(wait) = retries.wait(tries + 1) =>
            {
                tries += 1;
                tracing::info!(what, error = %e, ?wait, "failed for a passing reason; trying again");
                tokio::time::sleep(wait).await;
            }
            result => return result,
        }
    }
}

/// Runs a page fetch on its own task, so it progresses while the consumer
/// is busy; dropping the returned future cancels it. Outside a Tokio
/// runtime, the fetch runs when first polled instead.
fn start<P: Send + 'static>(fetch: BoxFuture<'static, P>) -> BoxFuture<'static, P> {
    use futures::FutureExt as _;
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            let (task, handle) = fetch.remote_handle();
            runtime.spawn(task);
            Box::pin(handle)
        }
        Err(_) => fetch,
    }
}

fn paging_error(reason: &str) -> crate::Error {
    crate::Error::Decode { operation: "paginate", reason: reason.to_string(), body: Default::default() }
}

fn hash_of<C: Hash + ?Sized>(value: &C) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A page's fingerprint: its length and its first and last items' JSON,
/// hashed as it is written. Two pages in a row that agree on all three are
/// the same page (a real next page cannot start and end with the records
/// this one did). Hashing every item would cost an export a fifth of its CPU.
fn page_hash<T: Serialize>(items: &[T]) -> u64 {
    struct HashWriter(DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.write(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashWriter(DefaultHasher::new());
    writer.0.write_usize(items.len());
    let _ = serde_json::to_writer(&mut writer, &(items.first(), items.last()));
    writer.0.finish()
}
