//! What counting drift costs the decode hook: a page of 100 Luware
//! conversations (as `convo sandbox serve --api luware` answers a search,
//! re-encoded from its typed form) decoded 1,000 times a round (100,000
//! records) by plain `serde_json::from_slice`, as the hook did before issue
//! 14, and as the hook does now: its UTF-8 checked once, then through
//! `serde_ignored` (unknown fields found in the same pass), alternating,
//! five rounds. Prints medians of CPU time per round
//! and the difference; compare it with an export's CPU for the same number of
//! records (BENCHMARKS.md).
//!
//! ```sh
//! cargo bench --bench decode_drift --features cli
//! ```

mod support;

use convo_clients::luware::types::ConversationPage;
use convo_clients::luware::{Client, Filters};
use support::{Served, cpu_time, luware_credentials, median};

const PAGES: usize = 1_000;
const ROUNDS: usize = 5;

fn main() {
    let served = Served::start("luware", &[]);
    let env = &served.env;
    let credentials = luware_credentials(env);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let page = runtime.block_on(async {
        let client = Client::new(env["LUWARE_BASE_URL"].clone(), credentials).unwrap();
        client.search_conversations().filters(Filters::new().to_json()).limit(100).send().await.unwrap().into_inner()
    });
    let body = serde_json::to_vec(&page).unwrap();
    println!("one page: {} conversations, {} bytes of JSON", page.conversations.len(), body.len());

    let (mut plain, mut counted) = (Vec::new(), Vec::new());
    let mut ignored = 0u64;
    for round in 0..ROUNDS {
        for which in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let started = cpu_time();
            for _ in 0..PAGES {
                if which == 0 {
                    let page: ConversationPage = serde_json::from_slice(&body).unwrap();
                    std::hint::black_box(page);
                } else {
                    // As the hook reads: UTF-8 checked once, then the text.
                    let text = std::str::from_utf8(&body).unwrap();
                    let mut deserializer = serde_json::Deserializer::from_str(text);
                    let page: ConversationPage =
                        serde_ignored::deserialize(&mut deserializer, |_| ignored += 1).unwrap();
                    deserializer.end().unwrap();
                    std::hint::black_box(page);
                }
            }
            let seconds = (cpu_time() - started).as_secs_f64();
            if which == 0 { plain.push(seconds) } else { counted.push(seconds) }
        }
    }
    assert_eq!(ignored, 0, "the sandbox's answer has no field the model ignores");
    let (plain, counted) = (median(plain), median(counted));
    let records = PAGES * page.conversations.len();
    println!("decode {records} records: from_slice {plain:.3} s CPU, as the hook does {counted:.3} s CPU");
    println!(
        "the hook (drift counted) costs {:.3} s more per {records} records ({:+.1} % of the plain decode)",
        counted - plain,
        (counted / plain - 1.0) * 100.0
    );
}
