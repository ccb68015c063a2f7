//! Per-call overhead of the generated client against raw reqwest: the same
//! `GET /vfcrest/v1/conversations/{ccdrId}` with the same token, 1,000 calls
//! a round, alternating, against `convo sandbox serve --api luware` in its
//! own process (so this process's CPU time is the client's alone). Prints
//! medians of wall and CPU time per call and the client's ratio to raw
//! reqwest.
//!
//! ```sh
//! cargo bench --bench call_overhead --features cli
//! ```

mod support;

use std::time::{Duration, Instant};

use convo_clients::luware::Client;
use support::{Served, cpu_time, luware_credentials, luware_token, median};

const CALLS: usize = 1_000;
const ROUNDS: usize = 5;

fn main() {
    let served = Served::start("luware", &[]);
    let env = &served.env;
    let base = env["LUWARE_BASE_URL"].clone();
    let credentials = luware_credentials(env);

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = Client::new(base.clone(), credentials.clone()).unwrap();
        let filters = convo_clients::luware::Filters::new().to_json();
        let page = client.search_conversations().filters(filters).limit(100).send().await.unwrap().into_inner();
        let id = page.conversations[0].ccdr_id.clone();

        // Raw reqwest: what a user would write with the token in hand.
        convo_clients::install_tls_provider();
        let http = reqwest::Client::new();
        let bearer = luware_token(&http, env).await;
        let url = format!("{base}/vfcrest/v1/conversations/{id}");

        let (mut ours, mut raw) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            for which in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
                let (wall, cpu) = (Instant::now(), cpu_time());
                for _ in 0..CALLS {
                    if which == 0 {
                        let conversation = client.get_conversation().ccdr_id(&id).send().await.unwrap();
                        std::hint::black_box(conversation.into_inner());
                    } else {
                        let response = http
                            .get(&url)
                            .header("Ocp-Apim-Subscription-Key", &env["LUWARE_SUBSCRIPTION_KEY"])
                            .header("Authorization", &bearer)
                            .send()
                            .await
                            .unwrap()
                            .error_for_status()
                            .unwrap();
                        std::hint::black_box(response.json::<serde_json::Value>().await.unwrap());
                    }
                }
                let per_call = |d: Duration| d.as_secs_f64() * 1e6 / CALLS as f64;
                let sample = (per_call(wall.elapsed()), per_call(cpu_time() - cpu));
                if which == 0 { ours.push(sample) } else { raw.push(sample) }
            }
        }
        let wall = |s: &[(f64, f64)]| median(s.iter().map(|x| x.0).collect());
        let cpu = |s: &[(f64, f64)]| median(s.iter().map(|x| x.1).collect());
        println!("{ROUNDS} rounds of {CALLS} getConversation calls each, alternating; medians per call");
        println!("{:<22} {:>9} {:>9}", "", "wall µs", "CPU µs");
        println!("{:<22} {:>9.1} {:>9.1}", "convo client", wall(&ours), cpu(&ours));
        println!("{:<22} {:>9.1} {:>9.1}", "raw reqwest", wall(&raw), cpu(&raw));
        println!("{:<22} {:>9.2} {:>9.2}", "ratio", wall(&ours) / wall(&raw), cpu(&ours) / cpu(&raw));
    });
    served.interrupt();
}
