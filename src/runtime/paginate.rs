//! Turns "fetch a page, get a cursor" into a stream of items.

use std::future::Future;

use futures::stream::{self, BoxStream};
use futures::{StreamExt, TryStreamExt};

use crate::error::Result;

/// One page: its items, and the cursor of the next page if there is one.
#[derive(Debug, Clone)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// A stream of items from a paginated list. Boxed, so it is `Unpin` and can
/// be polled with `try_next()` directly.
pub type ItemStream<T> = BoxStream<'static, Result<T>>;

/// Streams every item of every page. `fetch(None)` gets the first page and
/// `fetch(Some(cursor))` the following ones; the stream ends when a page has
/// no cursor, and stops after the first error.
///
/// Only one page is held at a time, so memory stays flat however many pages
/// there are. A cursor that repeats the previous one ends the stream with an
/// error rather than looping forever.
pub fn paginate<T, C, F, Fut>(fetch: F) -> ItemStream<T>
where
    T: Send + 'static,
    C: PartialEq + Clone + Send + 'static,
    F: FnMut(Option<C>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T, C>>> + Send + 'static,
{
    enum State<C> {
        Start,
        Next(C),
        Done,
    }
    stream::try_unfold((State::Start, fetch), |(state, mut fetch)| async move {
        let cursor = match state {
            State::Done => return Ok(None),
            State::Start => None,
            State::Next(c) => Some(c),
        };
        let page = fetch(cursor.clone()).await?;
        let next = match page.next {
            Some(next) if cursor.as_ref() == Some(&next) => {
                return Err(crate::Error::Decode {
                    operation: "paginate",
                    reason: "the server returned the same page cursor twice".into(),
                    body: Default::default(),
                });
            }
            Some(next) => State::Next(next),
            None => State::Done,
        };
        Ok(Some((page.items, (next, fetch))))
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}
