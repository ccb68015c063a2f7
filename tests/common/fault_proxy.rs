//! A fault-injecting HTTP/1.1 proxy on loopback: it forwards each request
//! to an upstream server (a sandbox) and, as its plan says, answers instead
//! with an error status, closes the connection, cuts the body off, sends a
//! truncated body, or waits first; or, to play a server that drifted from
//! its spec, it edits the upstream's answer (renames or drops fields, puts
//! in values, drops headers). The tests start it in front of a sandbox;
//! `examples/fault_proxy.rs` runs it for the fault benchmark
//! (`benches/faults.py`).

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and return the answer as it is.
    None,
    /// Answer with this status (429 and 503 with `Retry-After: 0`).
    Status(u16),
    /// Close the connection once the request has arrived, answering nothing.
    Reset,
    /// Send the headers and half the upstream body, then close.
    CutBody,
    /// A complete response whose body is the first half of the upstream
    /// body (the length header agrees): JSON that ends too early.
    Truncated,
    /// Wait this long, then forward.
    Delay(Duration),
    /// Forward, and make these edits to the answer.
    Drift(&'static [Edit]),
}

/// A change to an upstream answer. Field edits apply to every object of a
/// JSON body, at any depth, that has the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The field takes the second name.
    Rename(&'static str, &'static str),
    /// The field goes.
    Drop(&'static str),
    /// The field's value becomes this JSON.
    Set(&'static str, &'static str),
    /// The header (any case) goes.
    DropHeader(&'static str),
}

/// `edits` made to an answer's headers and JSON body (a body that is not
/// JSON is left as it is).
fn drift(edits: &[Edit], headers: &mut Vec<(String, String)>, body: &mut Vec<u8>) {
    fn walk(value: &mut serde_json::Value, edits: &[Edit]) {
        match value {
            serde_json::Value::Object(map) => {
                for edit in edits {
                    match *edit {
                        Edit::Rename(from, to) => {
                            if let Some(v) = map.remove(from) {
                                map.insert(to.to_owned(), v);
                            }
                        }
                        Edit::Drop(name) => {
                            map.remove(name);
                        }
                        Edit::Set(name, json) => {
                            if let Some(v) = map.get_mut(name) {
                                *v = serde_json::from_str(json).expect("Edit::Set takes JSON");
                            }
                        }
                        Edit::DropHeader(_) => {}
                    }
                }
                map.values_mut().for_each(|v| walk(v, edits));
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, edits)),
            _ => {}
        }
    }
    for edit in edits {
        if let Edit::DropHeader(name) = edit {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        }
    }
    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) {
        walk(&mut value, edits);
        *body = serde_json::to_vec(&value).expect("a JSON value serialises");
    }
}

/// One request as the plan sees it.
pub struct Request<'a> {
    /// Requests so far, this one included (from 1).
    pub number: u64,
    pub method: &'a str,
    /// Path and query.
    pub target: &'a str,
}

/// Decides each request's fault.
pub type Plan = Arc<dyn Fn(&Request<'_>) -> Fault + Send + Sync>;

/// Faults at `rate` (0 to 1), mixed evenly over every kind, from a seeded
/// generator so a run can be repeated.
pub fn random(rate: f64, seed: u64, delay: Duration) -> Plan {
    let rng = Mutex::new(fastrand::Rng::with_seed(seed));
    Arc::new(move |_| {
        let mut rng = rng.lock().unwrap();
        if rng.f64() >= rate {
            return Fault::None;
        }
        match rng.u8(0..9) {
            0 => Fault::Status(500),
            1 => Fault::Status(502),
            2 => Fault::Status(503),
            3 => Fault::Status(504),
            4 => Fault::Status(429),
            5 => Fault::Reset,
            6 => Fault::CutBody,
            7 => Fault::Truncated,
            _ => Fault::Delay(delay),
        }
    })
}

/// Counts of what the proxy did.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    pub faults: AtomicU64,
}

pub struct FaultProxy {
    pub url: String,
    pub stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Listens on `127.0.0.1:port` (0 for any) and forwards to `upstream`
    /// (`http://host:port`, no path).
    pub async fn start(upstream: &str, port: u16, plan: Plan) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let stats = Arc::new(Stats::default());
        convo_clients::install_tls_provider();
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            plan,
            stats: stats.clone(),
            http: reqwest::Client::new(),
        });
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve_connection(shared.clone(), socket));
            }
        });
        Ok(Self { url, stats, task })
    }

    pub fn requests(&self) -> u64 {
        self.stats.requests.load(Ordering::SeqCst)
    }

    pub fn faults(&self) -> u64 {
        self.stats.faults.load(Ordering::SeqCst)
    }
}

struct Shared {
    upstream: String,
    plan: Plan,
    stats: Arc<Stats>,
    http: reqwest::Client,
}

/// Serves the requests of one kept-alive connection in turn.
async fn serve_connection(shared: Arc<Shared>, mut socket: TcpStream) {
    let mut buffer = Vec::new();
    loop {
        let Some((head, body)) = read_request(&mut socket, &mut buffer).await else { return };
        let mut lines = head.split("\r\n");
        let mut start = lines.next().unwrap_or_default().split(' ');
        let (method, target) = (start.next().unwrap_or("GET").to_string(), start.next().unwrap_or("/").to_string());
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let number = shared.stats.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let fault = (shared.plan)(&Request { number, method: &method, target: &target });
        if fault != Fault::None {
            shared.stats.faults.fetch_add(1, Ordering::SeqCst);
        }
        let answer = match fault {
            Fault::Status(status) => {
                let body = format!("{{\"message\":\"injected {status}\"}}");
                let headers =
                    vec![("content-type".into(), "application/json".into()), ("retry-after".into(), "0".into())];
                Some((status, headers, body.into_bytes()))
            }
            // Dropped with unread state: the peer sees the connection go.
            Fault::Reset => return,
            Fault::Delay(wait) => {
                tokio::time::sleep(wait).await;
                forward(&shared, &method, &target, &headers, body).await
            }
            Fault::None | Fault::CutBody | Fault::Truncated | Fault::Drift(_) => {
                forward(&shared, &method, &target, &headers, body).await
            }
        };
        let Some((status, mut headers, mut body)) = answer else { return };
        if let Fault::Drift(edits) = fault {
            drift(edits, &mut headers, &mut body);
        }
        match fault {
            Fault::CutBody => {
                let mut bytes = head_bytes(status, &headers, body.len());
                bytes.extend_from_slice(&body[..body.len() / 2]);
                let _ = socket.write_all(&bytes).await;
                let _ = socket.shutdown().await;
                return;
            }
            Fault::Truncated => {
                let half = &body[..body.len() / 2];
                if socket.write_all(&response(status, &headers, half)).await.is_err() {
                    return;
                }
            }
            _ => {
                if socket.write_all(&response(status, &headers, &body)).await.is_err() {
                    return;
                }
            }
        }
    }
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// The upstream's answer to the request; `None` if it could not be had.
async fn forward(
    shared: &Shared,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Option<Answer> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
    let mut request = shared.http.request(method, format!("{}{target}", shared.upstream)).body(body);
    for (name, value) in headers {
        if !matches!(name.to_ascii_lowercase().as_str(), "host" | "connection" | "content-length" | "transfer-encoding")
        {
            request = request.header(name, value);
        }
    }
    let upstream = request.send().await.ok()?;
    let status = upstream.status().as_u16();
    let headers = upstream
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "connection" | "content-length" | "transfer-encoding"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().to_string()))
        .collect();
    let body = upstream.bytes().await.ok()?.to_vec();
    Some((status, headers, body))
}

fn head_bytes(status: u16, headers: &[(String, String)], length: usize) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} X\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {length}\r\n\r\n"));
    head.into_bytes()
}

fn response(status: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut bytes = head_bytes(status, headers, body.len());
    bytes.extend_from_slice(body);
    bytes
}

/// Reads one request (head and a `content-length` body) from the
/// connection; `None` when it closes or sends something else.
async fn read_request(socket: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > 1 << 20 {
            return None;
        }
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let length: usize = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + 4 + length {
        let n = socket.read(&mut chunk).await.ok().filter(|n| *n > 0)?;
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[head_end + 4..head_end + 4 + length].to_vec();
    buffer.drain(..head_end + 4 + length);
    Some((head, body))
}
