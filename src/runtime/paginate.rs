//! Turns "fetch a page, get a cursor" into a stream of items.

use std::collections::HashSet;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};

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
/// there are (the cursors seen are kept as 8-byte hashes). A cursor the walk
/// has already followed, however many pages ago, ends the stream with an
/// error rather than looping forever or printing pages twice.
pub fn paginate<T, C, F, Fut>(fetch: F) -> ItemStream<T>
where
    T: Send + 'static,
    C: Hash + Clone + Send + 'static,
    F: FnMut(Option<C>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<T, C>>> + Send + 'static,
{
    enum State<C> {
        Start,
        Next(C),
        Done,
    }
    let seen: HashSet<u64> = HashSet::new();
    stream::try_unfold((State::Start, fetch, seen), |(state, mut fetch, mut seen)| async move {
        let cursor = match state {
            State::Done => return Ok(None),
            State::Start => None,
            State::Next(c) => Some(c),
        };
        let page = fetch(cursor).await?;
        let next = match page.next {
            Some(next) if !seen.insert(hash_of(&next)) => {
                return Err(crate::Error::Decode {
                    operation: "paginate",
                    reason: format!(
                        "the server returned a page cursor it had returned before (after {} pages)",
                        seen.len()
                    ),
                    body: Default::default(),
                });
            }
            Some(next) => State::Next(next),
            None => State::Done,
        };
        Ok(Some((page.items, (next, fetch, seen))))
    })
    .map_ok(|items| stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}

fn hash_of<C: Hash>(cursor: &C) -> u64 {
    let mut hasher = DefaultHasher::new();
    cursor.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;

    use super::*;

    /// A → B → A: every cursor is new to the one before, but not to the walk.
    #[tokio::test]
    async fn a_cursor_cycle_of_any_length_ends_the_stream() {
        let stream = paginate(|cursor: Option<String>| async move {
            let next = match cursor.as_deref() {
                None => "A",
                Some("A") => "B",
                _ => "A",
            };
            Ok(Page { items: vec![cursor.unwrap_or_default()], next: Some(next.to_string()) })
        });
        let result: Result<Vec<String>> = stream.try_collect().await;
        let error = result.unwrap_err();
        assert!(error.to_string().contains("returned before"), "{error}");
    }

    #[tokio::test]
    async fn pages_end_where_the_cursor_does() {
        let stream = paginate(|cursor: Option<u32>| async move {
            let page = cursor.unwrap_or(1);
            Ok(Page { items: vec![page], next: (page < 3).then_some(page + 1) })
        });
        assert_eq!(stream.try_collect::<Vec<u32>>().await.unwrap(), vec![1, 2, 3]);
    }
}
