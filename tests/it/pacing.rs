//! Pacing by the rate-limit headers a spec declares (`x-rate-limit`): a walk
//! longer than the budget waits for the window to renew instead of drawing
//! 429s. Over loopback, against the Salesloft sandbox with a small budget,
//! and against a server of our own that reports the budget.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::fault_server::{Answer, fault_server, raw_with};

use convo_clients::salesloft::{ApiKey, Client};
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
use convo_clients::{ClientConfig, RetryPolicy};

#[tokio::test]
async fn a_walk_longer_than_the_budget_waits_for_the_window_instead_of_drawing_429s() {
    // 50 pages cost 50, the budget is 45 a second: unpaced, the 46th page
    // draws a 429. The client paces by the sandbox's one-second window.
    let config = SalesloftConfig {
        conversations: 100,
        budget: 45,
        window: Duration::from_secs(1),
        ..SalesloftConfig::default()
    };
    let sandbox = SalesloftSandbox::start(7, 0, config).await.unwrap();
    // No retries: a 429 would be this test's failure, not a retried page.
    let client = Client::builder(ApiKey(sandbox.api_key().into()))
        .base_url(sandbox.base_url())
        .config(
            ClientConfig::default().with_retry(RetryPolicy::disabled()).with_rate_limit_window(Duration::from_secs(1)),
        )
        .build()
        .unwrap();
    let mut seen = 0;
    for page in 1..=50 {
        let answer = client.list_conversations().per_page(2).page(page).send().await;
        seen += answer.unwrap_or_else(|e| panic!("page {page}: {e}")).into_inner().data.len();
    }
    assert_eq!(seen, 100);
    assert_eq!(sandbox.requests().len(), 50, "every page was asked for once");
}

/// When what is left of the window's budget cannot pay for the dearest call
/// (30, the spec's `max-cost`), the next requests wait until one window after
/// the first request seen in it, and no longer; the window the answers then
/// report starts with the request that saw it. A server of our own reports
/// the budget; the window is two seconds (half of it the slack a loaded
/// machine needs).
#[tokio::test]
async fn waits_out_the_window_only_when_the_budget_cannot_pay() {
    const WINDOW: Duration = Duration::from_secs(2);
    let page = br#"{"data":[],"metadata":{"paging":{"per_page":25,"current_page":1,"next_page":null}}}"#;
    let left = |remaining: u64| {
        let headers =
            [("x-ratelimit-remaining-minute", remaining.to_string()), ("x-ratelimit-endpoint-cost", "1".into())];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (*name, value.as_str())).collect();
        Answer::Full(raw_with(200, &headers, page))
    };
    let answers = vec![left(100), left(50), left(20), left(599), left(598), left(1), left(500)];
    let (url, served) = fault_server(answers).await;
    let config = ClientConfig::default().with_retry(RetryPolicy::disabled()).with_rate_limit_window(WINDOW);
    let client = Client::builder(ApiKey("ak_pace".into())).base_url(&url).config(config).build().unwrap();
    let start = Instant::now();
    // When each call was answered, from the start.
    let call = || async {
        client.list_conversations().send().await.unwrap();
        start.elapsed()
    };

    // Nothing known, then 100 and 50 left: no wait.
    for _ in 0..3 {
        call().await;
    }
    assert!(start.elapsed() < WINDOW / 2, "{:?}", start.elapsed());
    // 20 left cannot pay for a call of 30: wait until a window after the
    // window's first request; a request sent meanwhile waits as long.
    let (first, second) = tokio::join!(call(), call());
    for answered in [first, second] {
        assert!(answered >= WINDOW && answered < WINDOW + WINDOW / 2, "{answered:?}");
    }
    // The renewed window (599, then 598 left): no wait.
    let before = start.elapsed();
    call().await;
    assert!(start.elapsed() - before < WINDOW / 2, "{:?}", start.elapsed() - before);
    // 1 left: a window after the request that saw the renewed window.
    let answered = call().await;
    assert!(answered >= 2 * WINDOW && answered < 2 * WINDOW + WINDOW / 2, "{answered:?}");
    assert_eq!(served.load(Ordering::SeqCst), 7);
}
