//! A fault-injecting proxy for trying the client on a bad network: put it
//! in front of `convo sandbox serve` and point the CLI at it.
//!
//! ```sh
//! cargo run --example fault_proxy -- http://127.0.0.1:PORT 0.1 7
//! ```
//!
//! Arguments: the upstream base URL, the fault rate (0 to 1, mixed over
//! 500/502/503/504/429, connection resets, bodies cut off, truncated bodies
//! and 2 s delays) and a seed. It prints `proxy URL` when it listens, and
//! `requests N faults M` when its standard input closes.

#[path = "../tests/common/fault_proxy.rs"]
mod fault_proxy;

use std::time::Duration;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(upstream), rate, seed) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("usage: fault_proxy UPSTREAM_URL [RATE] [SEED]");
        std::process::exit(2);
    };
    let rate: f64 = rate.and_then(|r| r.parse().ok()).unwrap_or(0.1);
    let seed: u64 = seed.and_then(|s| s.parse().ok()).unwrap_or(1);
    let plan = fault_proxy::random(rate, seed, Duration::from_secs(2));
    let proxy = match fault_proxy::FaultProxy::start(upstream, 0, plan).await {
        Ok(proxy) => proxy,
        Err(e) => {
            eprintln!("cannot listen: {e}");
            std::process::exit(1);
        }
    };
    println!("proxy {}", proxy.url);
    // Serve until the parent closes standard input.
    let _ = tokio::task::spawn_blocking(|| std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new())).await;
    println!("requests {} faults {}", proxy.requests(), proxy.faults());
}
