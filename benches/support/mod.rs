//! What the Rust benchmarks share: a `convo sandbox serve` child process
//! and the settings it printed, this process's CPU time, and medians.

#![allow(dead_code)] // each benchmark uses part of it

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The release `convo` binary the benchmarks run and serve with.
pub const CONVO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/convo");

/// A `convo sandbox serve --api API FLAGS…` child; stopped with Ctrl-C on drop.
pub struct Served {
    child: Child,
    /// The `export NAME=value` settings it printed.
    pub env: BTreeMap<String, String>,
}

impl Served {
    pub fn start(api: &str, flags: &[&str]) -> Self {
        let mut child = Command::new(CONVO)
            .args(["sandbox", "serve", "--api", api, "--port", "0"])
            .args(flags)
            .stdout(Stdio::piped())
            .spawn()
            .expect("build first: cargo build --release --features cli");
        let mut env = BTreeMap::new();
        for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
            let line = line.expect("serve's output");
            if line.contains("serving") {
                break;
            }
            if let Some((key, value)) = line.trim().strip_prefix("export ").and_then(|kv| kv.split_once('=')) {
                env.insert(key.to_string(), value.trim_matches('\'').to_string());
            }
        }
        Self { child, env }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// User plus system CPU time of this process so far.
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    time(usage.ru_utime) + time(usage.ru_stime)
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A Luware bearer token from the emulator, with raw reqwest: what a user
/// would write with the credentials in hand.
pub async fn luware_token(http: &reqwest::Client, env: &BTreeMap<String, String>) -> String {
    let token: serde_json::Value = http
        .post(format!("{}/vfcrest/v1/auth/token", env["LUWARE_BASE_URL"]))
        .header("Ocp-Apim-Subscription-Key", &env["LUWARE_SUBSCRIPTION_KEY"])
        .form(&[
            ("eid", env["LUWARE_EID"].as_str()),
            ("client_id", env["LUWARE_CLIENT_ID"].as_str()),
            ("client_secret", env["LUWARE_CLIENT_SECRET"].as_str()),
        ])
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token JSON");
    format!("Bearer {}", token["access_token"].as_str().expect("access_token"))
}
