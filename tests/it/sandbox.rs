//! The Luware emulator as a contract: spec-derived request validation, the
//! seed's filter semantics, and exhaustive paging. Raw HTTP where the client
//! would refuse to send the request.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use convo_clients::luware::types::SortOrder;
use convo_clients::luware::{Client, Filter, FilterField, FilterOperator, Filters, SearchRequest, ValueKind};
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox};
use convo_clients::sandbox::{ConnectionLimits, HarnessConfig};
use futures::TryStreamExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct Raw {
    http: reqwest::Client,
    base: String,
    key: String,
    token: String,
}

impl Raw {
    async fn new(sb: &LuwareSandbox) -> Self {
        let c = sb.credentials();
        let http = crate::raw_http();
        let form = [
            ("eid", c.eid.to_string()),
            ("client_id", c.client_id.clone()),
            ("client_secret", c.client_secret.expose().to_string()),
        ];
        let token: Value = http
            .post(format!("{}/vfcrest/v1/auth/token", sb.base_url()))
            .header("ocp-apim-subscription-key", c.subscription_key.expose())
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            http,
            base: sb.base_url(),
            key: c.subscription_key.expose().to_string(),
            token: token["access_token"].as_str().unwrap().to_string(),
        }
    }

    async fn send(&self, method: reqwest::Method, path_and_query: &str, json: Option<Value>) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path_and_query}", self.base))
            .header("ocp-apim-subscription-key", &self.key)
            .bearer_auth(&self.token);
        if let Some(body) = json {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path_and_query: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path_and_query, None).await
    }
}

fn enc(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).unwrap()[2..].to_string()
}

const ALL: &str = r#"{"filtersList":[]}"#;

#[tokio::test]
async fn requests_are_validated_against_the_spec() {
    let sb = LuwareSandbox::start(3, 0, LuwareConfig::default()).await.unwrap();
    let raw = Raw::new(&sb).await;
    let all = enc(ALL);
    let cases = [
        (
            format!("/vfcrest/v1/conversations?limit=10&filters={all}&sortBy=startTime&sortOrder=up"),
            400,
            "query parameter sortOrder: \"up\" is not one of asc, desc",
        ),
        (format!("/vfcrest/v1/conversations?limit=0&filters={all}"), 400, "query parameter limit"),
        (
            format!("/vfcrest/v1/conversations?limit=ten&filters={all}"),
            400,
            "query parameter limit: \"ten\" is not an integer",
        ),
        (
            "/vfcrest/v1/conversations?limit=10".to_string(),
            400,
            "query parameter filters: required unless nextPageToken",
        ),
        (
            format!("/vfcrest/v1/conversations?filters={all}"),
            400,
            "query parameter limit: required unless nextPageToken",
        ),
        (format!("/vfcrest/v1/conversations?limit=10&filters={all}&colour=red"), 400, "query parameter colour"),
        ("/vfcrest/v1/conversations?nextPageToken=abc&limit=10".to_string(), 400, "must be sent alone"),
        (
            format!(
                "/vfcrest/v1/conversations?limit=10&filters={}",
                enc("{\"filtersList\":[{\"field\":\"startTime\",\"operator\":\"EQUALS\",\"values\":[]}]}")
            ),
            400,
            "query parameter filters.filtersList[0].operator",
        ),
        (
            format!("/vfcrest/v1/conversations?limit=10&filters={}", enc("not json")),
            400,
            "query parameter filters: not valid JSON",
        ),
        (format!("/vfcrest/v1/conversations/{}?expands=FOO", sb.conversation_id(1)), 400, "query parameter expands"),
        (
            format!("/vfcrest/v1/conversations/{}/media", sb.conversation_id(1)),
            400,
            "query parameter fileExtension: required",
        ),
        ("/vfcrest/v1/nothing".to_string(), 404, "no operation"),
    ];
    for (path, status, needle) in cases {
        let (got, body) = raw.get(&path).await;
        assert_eq!(got, status, "{path}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{path}: {message:?} lacks {needle:?}");
    }

    let id = sb.conversation_id(1);
    let (status, body) =
        raw.send(reqwest::Method::POST, &format!("/vfcrest/v1/conversationControl/{id}/explode"), None).await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().starts_with("path parameter action"), "{body}");
    let (status, body) = raw
        .send(
            reqwest::Method::POST,
            &format!("/vfcrest/v1/conversations/{id}/labels"),
            Some(serde_json::json!({"labelId": "x"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().starts_with("request body.labelId"), "{body}");
    let (status, body) = raw
        .send(reqwest::Method::POST, &format!("/vfcrest/v1/conversations/{id}/metadata"), Some(serde_json::json!({})))
        .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("required"), "{body}");
    let (status, _) = raw.send(reqwest::Method::DELETE, &format!("/vfcrest/v1/conversations/{id}"), None).await;
    assert_eq!(status, 405);

    // The seed's lenient rule: a limit above 100 returns 100 records.
    let (status, body) = raw.get(&format!("/vfcrest/v1/conversations?limit=500&filters={all}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["conversations"].as_array().unwrap().len(), 100);
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

/// Evaluates a filter on a record the plain way, independently of the
/// crate's `Filter::matches`, following the seed's table.
fn expected_match(filter: &Filter, record: &Value) -> bool {
    let field = filter.field();
    let actual = &record[field.as_str()];
    let values = filter.values();
    let as_text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
        _ => None,
    };
    let Some(text) = as_text(actual) else {
        return match filter.operator() {
            FilterOperator::Equal => values[0] == "NULL",
            FilterOperator::NotEqual => values[0] != "NULL",
            _ => false,
        };
    };
    // Date-times in this format and non-negative integers order like numbers.
    let cmp = |a: &str, b: &str| match field.kind() {
        ValueKind::Integer => a.parse::<i64>().unwrap().cmp(&b.parse::<i64>().unwrap()),
        _ => a.cmp(b),
    };
    use std::cmp::Ordering::*;
    match filter.operator() {
        FilterOperator::Equal => text == values[0],
        FilterOperator::NotEqual => text != values[0],
        FilterOperator::StartsWith => text.starts_with(&values[0]),
        FilterOperator::EndsWith => text.ends_with(&values[0]),
        FilterOperator::GreaterThan => cmp(&text, &values[0]) == Greater,
        FilterOperator::GreaterThanOrEqual => cmp(&text, &values[0]) != Less,
        FilterOperator::LessThan => cmp(&text, &values[0]) == Less,
        FilterOperator::LessThanOrEqual => cmp(&text, &values[0]) != Greater,
        FilterOperator::Between => cmp(&text, &values[0]) != Less && cmp(&text, &values[1]) != Greater,
    }
}

#[tokio::test]
async fn every_filter_field_and_operator_follows_the_seed() {
    let sb = LuwareSandbox::start(11, 0, LuwareConfig { conversations: 150, ..LuwareConfig::default() }).await.unwrap();
    let client = Client::new(sb.base_url(), sb.credentials()).unwrap();
    let records: Vec<Value> = client
        .search(SearchRequest::new(Filters::new()))
        .map_ok(|c| serde_json::to_value(c).unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(records.len(), 150);

    let mut checked = 0;
    for &field in FilterField::ALL {
        // Probe with a value some record has (and NULL for nullable fields).
        let sample = records.iter().map(|r| &r[field.as_str()]).find(|v| !v.is_null()).cloned();
        for &operator in field.operators() {
            let mut probes: Vec<Vec<String>> = Vec::new();
            if let Some(v) = &sample {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
                    other => other.to_string(),
                };
                let probe = match operator {
                    FilterOperator::StartsWith => text.chars().take(3).collect(),
                    FilterOperator::EndsWith => {
                        text.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect()
                    }
                    _ => text.clone(),
                };
                probes.push(if operator == FilterOperator::Between {
                    vec![probe.clone(), max_of(&records, field)]
                } else {
                    vec![probe]
                });
            }
            if field.nullable() {
                probes.push(vec!["NULL".into()]);
            }
            for values in probes {
                let filter = Filter::new(field, operator, values.iter().map(String::as_str)).unwrap();
                let expected: HashSet<String> = records
                    .iter()
                    .filter(|r| expected_match(&filter, r))
                    .map(|r| r["ccdrId"].as_str().unwrap().to_string())
                    .collect();
                let got: HashSet<String> = client
                    .search(SearchRequest::new(Filters::from(filter.clone())).limit(100))
                    .map_ok(|c| c.ccdr_id)
                    .try_collect()
                    .await
                    .unwrap();
                assert_eq!(got, expected, "{filter}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 100, "{checked} probes");
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

fn max_of(records: &[Value], field: FilterField) -> String {
    let texts = records.iter().filter_map(|r| match &r[field.as_str()] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format!("{:020}", n.as_i64().unwrap())),
        _ => None,
    });
    let max = texts.max().unwrap();
    // Undo the zero padding used to order integers as text.
    match max.trim_start_matches('0') {
        "" if field.kind() == ValueKind::Integer => "0".to_string(),
        trimmed if field.kind() == ValueKind::Integer => trimmed.to_string(),
        _ => max,
    }
}

#[tokio::test]
async fn page_tokens_expire() {
    let config = LuwareConfig { page_token_lifetime: std::time::Duration::from_secs(1), ..LuwareConfig::default() };
    let sb = LuwareSandbox::start(5, 0, config).await.unwrap();
    let client = Client::new(sb.base_url(), sb.credentials()).unwrap();
    let page =
        client.search_conversations().filters(Filters::new().to_json()).limit(10).send().await.unwrap().into_inner();
    let token = page.next_page_token.unwrap();
    client.search_conversations().next_page_token(&token).send().await.expect("fresh token works");
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let err =
        convo_clients::Error::from(client.search_conversations().next_page_token(&token).send().await.unwrap_err());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(err.to_string().contains("nextPageToken has expired"), "{err}");
}

#[tokio::test]
async fn paging_is_exhaustive_without_duplicates_in_both_orders() {
    let sb = LuwareSandbox::start(5, 0, LuwareConfig { conversations: 537, ..LuwareConfig::default() }).await.unwrap();
    let client = Client::new(sb.base_url(), sb.credentials()).unwrap();
    for (limit, order) in [(1, SortOrder::Asc), (100, SortOrder::Desc), (37, SortOrder::Asc)] {
        let request = SearchRequest::new(Filters::new()).limit(limit).sort_by_start_time(order.clone());
        let ids: Vec<String> = client.search(request).map_ok(|c| c.ccdr_id).try_collect().await.unwrap();
        assert_eq!(ids.len(), 537, "limit {limit}");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 537, "limit {limit}");
        let first = if order == SortOrder::Asc { sb.conversation_id(0) } else { sb.conversation_id(536) };
        assert_eq!(ids[0], first);
    }
    assert!(sb.contract_violations().is_empty());
}

/// Short connection deadlines, so that tests see them pass.
fn short_limits(max_connections: usize) -> LuwareConfig {
    let connections = ConnectionLimits {
        header_read: Duration::from_millis(400),
        idle: Duration::from_millis(1_200),
        max_connections,
    };
    LuwareConfig { harness: HarnessConfig { connections, ..HarnessConfig::default() }, ..LuwareConfig::default() }
}

/// Opens a connection, sends `bytes`, and returns the time from then until
/// the server closes it.
async fn time_to_close(addr: String, bytes: &'static [u8]) -> Duration {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let sent = Instant::now();
    let mut sink = [0u8; 4096];
    // Whatever answer comes first, then the end (or a reset) of the connection.
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    sent.elapsed()
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_at_their_deadlines() {
    let config = short_limits(1024);
    let limits = config.harness.connections;
    let sb = LuwareSandbox::start(8, 0, config).await.unwrap();
    let addr = sb.base_url().trim_start_matches("http://").to_owned();
    let open = |bytes: &'static [u8]| tokio::spawn(time_to_close(addr.clone(), bytes));
    let mut slow = Vec::new();
    for _ in 0..100 {
        slow.push(open(b"GET /vfcrest/v1/conver"));
        slow.push(open(b"GET /vfcrest/v1/conversations HTTP/1.1\r\nHost: sandbox\r\nX-Slow: "));
    }
    let mut idle: Vec<_> = (0..20).map(|_| open(b"")).collect();
    // Keep-alive after an answer, and a body that stops arriving.
    idle.extend(
        (0..5).map(|_| open(b"POST /vfcrest/v1/auth/token HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 0\r\n\r\n")),
    );
    idle.push(open(
        concat!(
            "POST /vfcrest/v1/auth/token HTTP/1.1\r\nHost: sandbox\r\n",
            "Ocp-Apim-Subscription-Key: sandbox-subscription-key\r\n",
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\neid=",
        )
        .as_bytes(),
    ));

    // 225 stalled clients, and an ordinary one is served at once.
    let started = Instant::now();
    let raw = Raw::new(&sb).await;
    let (status, _) = raw.get(&format!("/vfcrest/v1/conversations?limit=5&filters={}", enc(ALL))).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() < limits.header_read, "{:?}", started.elapsed());

    let slack = Duration::from_millis(1_500);
    let mut slowest_head = Duration::ZERO;
    for connection in slow {
        let closed = connection.await.unwrap();
        assert!(closed >= limits.header_read.mul_f32(0.9) && closed < limits.header_read + slack, "{closed:?}");
        slowest_head = slowest_head.max(closed);
    }
    let mut slowest_idle = Duration::ZERO;
    for connection in idle {
        let closed = connection.await.unwrap();
        assert!(closed >= limits.idle.mul_f32(0.9) && closed < limits.idle + slack, "{closed:?}");
        slowest_idle = slowest_idle.max(closed);
    }
    eprintln!("slowest close: half-sent head {slowest_head:?}, idle {slowest_idle:?}");

    // Shutting down waits for no stalled client beyond its deadline.
    let stalled = open(b"GET / HTTP/1.1\r\n");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let stopping = Instant::now();
    sb.shutdown().await;
    assert!(stopping.elapsed() < limits.header_read + slack, "{:?}", stopping.elapsed());
    stalled.await.unwrap();
}

#[tokio::test]
async fn connections_over_the_cap_wait_for_a_free_slot() {
    let config = short_limits(3);
    let limits = config.harness.connections;
    let sb = LuwareSandbox::start(8, 0, config).await.unwrap();
    let addr = sb.base_url().trim_start_matches("http://").to_owned();
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    // A fourth client is accepted when the first silent one times out.
    let started = Instant::now();
    let raw = Raw::new(&sb).await;
    let waited = started.elapsed();
    assert!(waited >= limits.idle / 2, "{waited:?}");
    let (status, _) = raw.get(&format!("/vfcrest/v1/conversations?limit=1&filters={}", enc(ALL))).await;
    assert_eq!(status, 200);
    eprintln!("fourth client served after {waited:?}");
    drop(silent);
}

#[tokio::test]
async fn only_tokens_issued_unaltered_are_accepted() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    let sb = LuwareSandbox::start(3, 0, LuwareConfig::default()).await.unwrap();
    let mut raw = Raw::new(&sb).await;
    let search = format!("/vfcrest/v1/conversations?limit=1&filters={}", enc(ALL));
    assert_eq!(raw.get(&search).await.0, 200);
    let issued = raw.token.clone();
    let [header, claims, signature]: [&str; 3] = issued.split('.').collect::<Vec<_>>().try_into().unwrap();
    let claims: Value = serde_json::from_slice(&B64.decode(claims).unwrap()).unwrap();
    let with_claims = |edit: &dyn Fn(&mut Value)| {
        let mut edited = claims.clone();
        edit(&mut edited);
        format!("{header}.{}.{signature}", B64.encode(edited.to_string()))
    };
    let forged = [
        with_claims(&|c| c["exp"] = (c["exp"].as_u64().unwrap() + 86_400).into()),
        with_claims(&|c| c["sub"] = "admin@sandbox.example".into()),
        format!("{}.{}.{signature}", B64.encode(br#"{"alg":"none","typ":"JWT"}"#), B64.encode(claims.to_string())),
        format!("{header}.{}.", B64.encode(claims.to_string())),
        signature.to_owned(),
    ];
    for token in forged {
        raw.token = token;
        let (status, body) = raw.get(&search).await;
        assert_eq!(status, 401, "{} accepted: {body}", raw.token);
        // Refused before validation: a bad request with a forged token learns nothing more.
        assert_eq!(raw.get("/vfcrest/v1/conversations?limit=1").await.0, 401);
    }
    raw.token = issued;
    assert_eq!(raw.get(&search).await.0, 200);
}
