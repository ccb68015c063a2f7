//! The sandbox server's ceiling for a Luware export, and the share of it the
//! CLI reaches: `convo luware conversations list --all` (to a file) against a
//! client that does nothing but fetch pages (raw reqwest; it finds the
//! `nextPageToken` in the body and discards the rest), alternating, against
//! the same `convo sandbox serve --records N` in its own process. Prints
//! medians and the CLI's share of the ceiling (ceiling time ÷ CLI time;
//! the goal is at least 60%).
//!
//! ```sh
//! cargo bench --bench server_ceiling --features cli -- 100000
//! ```

mod support;

use std::process::{Command, Stdio};
use std::time::Instant;

use support::common::CONVO;
use support::{Served, luware_token, median};

const ROUNDS: usize = 5;

/// Every page of the search, bodies discarded; returns the records seen.
async fn fetch_only(http: &reqwest::Client, base: &str, key: &str, bearer: &str) -> usize {
    let url = format!("{base}/vfcrest/v1/conversations");
    let filters = r#"{"filtersList":[{"field":"startTime","operator":"GREATER_THAN_OR_EQUAL","values":["2000-01-01 00:00:00.000"]}]}"#;
    let mut query =
        vec![("limit", "100".to_string()), ("filters", filters.to_string()), ("sortBy", "startTime".into())];
    let mut records = 0;
    loop {
        let body = http
            .get(&url)
            .query(&query)
            .header("Ocp-Apim-Subscription-Key", key)
            .header("Authorization", bearer)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("page")
            .bytes()
            .await
            .expect("page body");
        records += count(&body, b"\"ccdrId\"");
        const TOKEN: &[u8] = b"\"nextPageToken\":\"";
        let Some(at) = find(&body, TOKEN) else { return records };
        let rest = &body[at + TOKEN.len()..];
        let end = rest.iter().position(|&b| b == b'"').expect("token's end");
        query = vec![("nextPageToken", String::from_utf8_lossy(&rest[..end]).into_owned())];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

fn main() {
    let records: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let served = Served::start("luware", &["--records", &records.to_string()]);
    let env = &served.env;
    let out = std::env::temp_dir().join("convo-server-ceiling.jsonl");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    convo_clients::install_tls_provider();
    let http = reqwest::Client::new();
    let bearer = runtime.block_on(luware_token(&http, env));

    let (mut cli, mut ceiling) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for which in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let start = Instant::now();
            if which == 0 {
                let status = Command::new(CONVO)
                    .args(["luware", "conversations", "list", "--all", "--output", "jsonl"])
                    .envs(env)
                    .stdout(std::fs::File::create(&out).expect("output file"))
                    .stderr(Stdio::null())
                    .status()
                    .expect("convo");
                assert!(status.success(), "convo failed");
                cli.push(start.elapsed().as_secs_f64());
            } else {
                let seen = runtime.block_on(fetch_only(
                    &http,
                    &env["LUWARE_BASE_URL"],
                    &env["LUWARE_SUBSCRIPTION_KEY"],
                    &bearer,
                ));
                assert_eq!(seen as u64, records, "the fetch-only client missed records");
                ceiling.push(start.elapsed().as_secs_f64());
            }
        }
    }
    let _ = std::fs::remove_file(&out);
    let (cli, ceiling) = (median(cli), median(ceiling));
    println!("{records} Luware records, {ROUNDS} rounds each, alternating; medians");
    println!("{:<34} {:>7.2} s", "fetch only (the server's ceiling)", ceiling);
    println!("{:<34} {:>7.2} s", "convo CLI export", cli);
    println!("{:<34} {:>7.0} %", "the CLI's share of the ceiling", 100.0 * ceiling / cli);
    served.interrupt();
}
