//! A Salesloft answer that drifts from the spec, for the drift tests.

#![allow(dead_code)]

use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
use serde_json::{Value, json};

/// A value under a secret-like field name that must never be shown.
pub const SECRET: &str = "tok-DriftSecret-77a1c9";

/// A Salesloft sandbox, and a body of `listConversations` as it answers,
/// with drift added: `data[1].sentimentScore` and `data[0].access_token`
/// (unknown fields), `data[2].platform` = `"hologram"` (a value the
/// `Platform` enum does not list), `metadata.paging.cursor` (unknown).
pub async fn drifting_body() -> (SalesloftSandbox, Vec<u8>) {
    let sandbox = SalesloftSandbox::start(21, 0, SalesloftConfig::default()).await.unwrap();
    let url = format!("{}/v2/conversations?per_page=3", sandbox.base_url());
    convo_clients::install_tls_provider();
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(sandbox.api_key())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mut body: Value = response.json().await.unwrap();
    let data = body["data"].as_array_mut().unwrap();
    assert_eq!(data.len(), 3, "{body}");
    data[1]["sentimentScore"] = json!(0.8);
    data[0]["access_token"] = json!(SECRET);
    data[2]["platform"] = json!("hologram");
    body["metadata"]["paging"]["cursor"] = json!("abc");
    (sandbox, serde_json::to_vec(&body).unwrap())
}
