//! What the Rust benchmarks share: a `convo sandbox serve` child process
//! and the settings it printed (the CLI tests' `Served`), this process's CPU
//! time, medians, and Luware credentials and a token.

#![allow(dead_code)] // each benchmark uses part of it

use std::collections::BTreeMap;
use std::time::Duration;

// The release `convo` (under `cargo bench`, `CARGO_BIN_EXE_convo` is the
// bench profile's build) and a `convo sandbox serve` child with the settings
// it printed: the CLI tests' own helpers.
#[path = "../../tests/common/mod.rs"]
pub mod common;
pub use common::Served;

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

/// The Luware credentials `convo sandbox serve` printed.
pub fn luware_credentials(env: &BTreeMap<String, String>) -> convo_clients::luware::Credentials {
    convo_clients::luware::Credentials {
        subscription_key: env["LUWARE_SUBSCRIPTION_KEY"].clone().into(),
        eid: env["LUWARE_EID"].parse().unwrap(),
        client_id: env["LUWARE_CLIENT_ID"].clone(),
        client_secret: env["LUWARE_CLIENT_SECRET"].clone().into(),
    }
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
