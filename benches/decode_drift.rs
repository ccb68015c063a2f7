//! What counting drift costs the decode hook: a page of 100 Luware
//! conversations (as `convo sandbox serve --api luware` answers a search,
//! re-encoded from its typed form) decoded 1,000 times a round (100,000
//! records) three ways, in turns, five rounds: by plain
//! `serde_json::from_slice` (the hook before issue 14); by
//! `serde_json::from_str` after one UTF-8 check (the hook's pass without
//! drift counting); and by the hook's own decode (`drift::decode`: the same,
//! unknown fields found in the same pass). Prints medians of CPU time per
//! round; compare the difference with an export's CPU for the same number of
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

    let ways: [(&str, &dyn Fn() -> u64); 3] = [
        ("from_slice", &|| u64::from(serde_json::from_slice::<ConversationPage>(&body).is_err())),
        ("from_str", &|| {
            let text = std::str::from_utf8(&body).unwrap();
            u64::from(serde_json::from_str::<ConversationPage>(text).is_err())
        }),
        ("the hook", &|| convo_clients::drift::decode_counted::<ConversationPage>(&body).unwrap().1),
    ];
    let mut seconds = [const { Vec::new() }; 3];
    for round in 0..ROUNDS {
        for turn in 0..ways.len() {
            let which = (round + turn) % ways.len();
            let started = cpu_time();
            let ignored: u64 = (0..PAGES).map(|_| std::hint::black_box(ways[which].1())).sum();
            seconds[which].push((cpu_time() - started).as_secs_f64());
            assert_eq!(ignored, 0, "{}: the sandbox's answer decodes, with no field the model ignores", ways[which].0);
        }
    }
    let records = PAGES * page.conversations.len();
    let [slice, text, hook] = seconds.map(median);
    println!("decode {records} records, CPU: from_slice {slice:.3} s, from_str {text:.3} s, the hook {hook:.3} s");
    println!(
        "drift counting costs {:.3} s per {records} records ({:+.1} % of from_str)",
        hook - text,
        (hook / text - 1.0) * 100.0
    );
}
