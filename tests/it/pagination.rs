//! `paginate`: a list's pages as one stream of items that knows where it
//! is, so that a walk stopped by an error is resumed with nothing lost or
//! repeated, and a server that pages in circles cannot keep it going.

use convo_clients::{Error, ItemStream, Page, Result, paginate};
use futures::{StreamExt, TryStreamExt};

/// An error no retry helps: the walk stops.
fn paging_error(reason: &str) -> Error {
    Error::Decode { operation: "paginate", reason: reason.to_string(), body: Default::default() }
}

/// A → B → A: every cursor is new to the one before, but not to the walk.
#[tokio::test]
async fn a_cursor_cycle_of_any_length_ends_the_stream() {
    let stream = paginate("test", "", |_, cursor: Option<String>| async move {
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

/// Page numbers never repeat, but a server that ignores them answers
/// the same page forever.
#[tokio::test]
async fn the_same_page_twice_ends_the_stream() {
    let stream = paginate("test", "", |_, cursor: Option<u32>| async move {
        Ok(Page { items: vec!["same"], next: Some(cursor.unwrap_or(1) + 1) })
    });
    let error = stream.try_collect::<Vec<_>>().await.unwrap_err();
    assert!(error.to_string().contains("same page twice"), "{error}");
}

fn numbers(fail_at: Option<u32>) -> ItemStream<u32> {
    // Pages 1..=4 of three items each: 10, 11, 12, 20, 21, 22, …
    paginate("test", "query", move |_, cursor: Option<u32>| async move {
        let page = cursor.unwrap_or(1);
        if Some(page) == fail_at {
            return Err(paging_error("boom"));
        }
        Ok(Page { items: (0..3).map(|i| page * 10 + i).collect(), next: (page < 4).then_some(page + 1) })
    })
}

/// A page that failed for a passing reason (after the client's own
/// retries) is asked for again, and the walk goes on where it was.
#[tokio::test]
async fn a_transiently_failed_page_is_asked_for_again() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = calls.clone();
    let stream = paginate("test", "", move |_, cursor: Option<u32>| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async move {
            if n == 1 {
                return Err(Error::Timeout { operation: "list", waited: Default::default() });
            }
            let page = cursor.unwrap_or(1);
            Ok(Page { items: vec![page], next: (page < 3).then_some(page + 1) })
        }
    });
    assert_eq!(stream.try_collect::<Vec<u32>>().await.unwrap(), vec![1, 2, 3]);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 4);
}

/// While the consumer works on a page, the next one is already asked for.
#[tokio::test]
async fn the_next_page_is_fetched_while_the_current_one_is_consumed() {
    let (asked, mut told) = tokio::sync::mpsc::unbounded_channel();
    let mut stream = paginate("test", "", move |_, cursor: Option<u32>| {
        let asked = asked.clone();
        async move {
            let page = cursor.unwrap_or(1);
            let _ = asked.send(page);
            Ok(Page { items: vec![page; 3], next: (page < 2).then_some(page + 1) })
        }
    });
    assert_eq!(stream.next().await.unwrap().unwrap(), 1);
    assert_eq!(told.recv().await, Some(1));
    // Two items of page 1 are still unread, and page 2 is on its way.
    assert_eq!(told.recv().await, Some(2));
    assert_eq!(stream.try_collect::<Vec<u32>>().await.unwrap(), vec![1, 1, 2, 2, 2]);
}

#[tokio::test]
async fn pages_end_where_the_cursor_does() {
    let all: Vec<u32> = numbers(None).try_collect().await.unwrap();
    assert_eq!(all, vec![10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42]);
}

/// Stopped anywhere, by an error on any page or by the consumer after
/// any item, a resumed walk delivers exactly the rest.
#[tokio::test]
async fn a_resumed_walk_delivers_exactly_the_rest() {
    let all: Vec<u32> = numbers(None).try_collect().await.unwrap();
    for fail_at in 1..=4 {
        let mut stream = numbers(Some(fail_at));
        let mut got = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(n) => got.push(n),
                Err(_) => break,
            }
        }
        let token = stream.resume_token().expect("a stopped walk has a token");
        let rest: Vec<u32> = numbers(None).resume(&token).unwrap().try_collect().await.unwrap();
        got.extend(rest);
        assert_eq!(got, all, "failed at page {fail_at}");
    }
    for taken in 0..all.len() {
        let mut stream = numbers(None);
        let mut got = Vec::new();
        for _ in 0..taken {
            got.push(stream.next().await.unwrap().unwrap());
        }
        let token = stream.resume_token().unwrap();
        got.extend(numbers(None).resume(&token).unwrap().try_collect::<Vec<_>>().await.unwrap());
        assert_eq!(got, all, "stopped after {taken} items");
    }
    let mut done = numbers(None);
    while done.next().await.is_some() {}
    assert_eq!(done.resume_token(), None);
}

#[tokio::test]
async fn a_token_from_another_query_is_refused() {
    let mut stream = numbers(None);
    stream.next().await;
    let token = stream.resume_token().unwrap();
    let other = paginate("test", "other", |_, _: Option<u32>| async { Ok(Page { items: vec![1u32], next: None }) });
    assert!(other.resume(&token).is_err());
    assert!(numbers(None).resume("garbage").is_err());
}
