//! Per-call overhead of the generated client against raw reqwest: the same
//! `GET /vfcrest/v1/conversations/{ccdrId}` with the same headers, decoded
//! into the same type (and, as before 2026-12-07, into a
//! `serde_json::Value`), 1,000 calls a round, in turns, against `convo
//! sandbox serve --api luware` in its own process (so this process's CPU
//! time is the client's alone). Prints medians of wall and CPU time per call
//! and the client's ratio to each raw reqwest.
//!
//! ```sh
//! cargo bench --bench call_overhead --features cli
//! ```

mod support;

use std::time::{Duration, Instant};

use convo_clients::luware::Client;
use convo_clients::luware::types::Conversation;
use progenitor_client::ClientInfo;
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
        // The headers the generated code sends besides the credentials.
        let api_version = <convo_clients::luware::GeneratedClient as ClientInfo<_>>::api_version();

        // The client's default timeouts, as a careful user of raw reqwest
        // would set them: connect and read timeouts, and a deadline on the call.
        let defaults = convo_clients::ClientConfig::default();
        let careful = reqwest::Client::builder()
            .connect_timeout(defaults.connect_timeout)
            .read_timeout(defaults.read_timeout)
            .build()
            .unwrap();

        // Four ways in turns: convo; raw reqwest decoding the same
        // `Conversation` type (the peer: the same headers and types); raw
        // reqwest decoding a `serde_json::Value` (the peer before 2026-12-07);
        // the peer with the client's timeouts (added 2026-12-08).
        let names = ["convo client", "raw reqwest, typed", "raw reqwest, Value", "raw reqwest, timeouts"];
        let mut samples: [Vec<(f64, f64)>; 4] = Default::default();
        for round in 0..ROUNDS {
            for turn in 0..names.len() {
                let which = (round + turn) % names.len();
                let (wall, cpu) = (Instant::now(), cpu_time());
                for _ in 0..CALLS {
                    if which == 0 {
                        let conversation = client.get_conversation().ccdr_id(&id).send().await.unwrap();
                        std::hint::black_box(conversation.into_inner());
                        continue;
                    }
                    let send = if which == 3 { &careful } else { &http }
                        .get(&url)
                        .header("Accept", "application/json")
                        .header("api-version", api_version)
                        .header("Ocp-Apim-Subscription-Key", &env["LUWARE_SUBSCRIPTION_KEY"])
                        .header("Authorization", &bearer)
                        .send();
                    if which == 3 {
                        let call = async { send.await?.error_for_status()?.json::<Conversation>().await };
                        let deadline = tokio::time::timeout(defaults.json_deadline, call).await;
                        std::hint::black_box(deadline.unwrap().unwrap());
                        continue;
                    }
                    let response = send.await.unwrap().error_for_status().unwrap();
                    if which == 1 {
                        std::hint::black_box(response.json::<Conversation>().await.unwrap());
                    } else {
                        std::hint::black_box(response.json::<serde_json::Value>().await.unwrap());
                    }
                }
                let per_call = |d: Duration| d.as_secs_f64() * 1e6 / CALLS as f64;
                samples[which].push((per_call(wall.elapsed()), per_call(cpu_time() - cpu)));
            }
        }
        let medians = |pick: fn(&(f64, f64)) -> f64| samples.each_ref().map(|s| median(s.iter().map(pick).collect()));
        let (wall, cpu) = (medians(|x| x.0), medians(|x| x.1));
        println!("{ROUNDS} rounds of {CALLS} getConversation calls each, in turns; medians per call");
        println!("{:<31} {:>9} {:>9}", "", "wall µs", "CPU µs");
        for (k, name) in names.iter().enumerate() {
            println!("{name:<31} {:>9.1} {:>9.1}", wall[k], cpu[k]);
        }
        for (k, name) in names.iter().enumerate().skip(1) {
            println!("{:<31} {:>9.2} {:>9.2}", format!("ratio to {name}"), wall[0] / wall[k], cpu[0] / cpu[k]);
        }
    });
    served.interrupt();
}
