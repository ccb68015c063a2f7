//! Pacing by the rate-limit headers a spec declares (`x-rate-limit`): a walk
//! longer than the budget waits for the window to renew instead of drawing
//! 429s. Over loopback, against the Salesloft sandbox with a small budget.

use std::time::Duration;

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
