//! A loopback HTTP server of our own that answers each connection with a
//! scripted fault: a body that breaks off, a connection closed or reset
//! after the request, a reply that never comes, an error status whose body
//! echoes the request (headers, credentials and body included), a body that
//! is not JSON. Shared by the fault, error and CLI secret tests.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What one connection gets.
#[derive(Clone)]
pub enum Answer {
    /// The whole response.
    Full(Vec<u8>),
    /// The headers and only the first half of the body, then the connection closes.
    CutBody(Vec<u8>),
    /// Nothing: the connection closes once the request has arrived.
    Close,
    /// Nothing: the connection is reset (RST) once the request has arrived.
    Reset,
    /// Nothing, ever: the connection stays open without an answer.
    Hang,
    /// This status with a JSON body that echoes the whole request: the
    /// request line, every header (also as an object, by name) and the body;
    /// its message holds terminal control characters.
    Echo(u16),
    /// 200 `application/json` whose body is not JSON, starts with raw
    /// terminal control characters and echoes the request.
    Garbage,
    /// The headers at once, then the body one byte every 50 ms: each read
    /// is quick, the whole body is not.
    Drip(Vec<u8>),
    /// This status with `Location:` the given origin followed by the
    /// request's own path and query: a redirect to another server.
    Redirect(u16, String),
}

/// A loopback server that answers connection `n` with `answers[n]` (the
/// last one repeats), and counts the connections.
pub async fn fault_server(answers: Vec<Answer>) -> (String, Arc<AtomicUsize>) {
    let (url, served, _) = timed_fault_server(answers).await;
    (url, served)
}

/// [`fault_server`], which also notes when each connection arrived.
pub async fn timed_fault_server(answers: Vec<Answer>) -> (String, Arc<AtomicUsize>, Arc<Mutex<Vec<Instant>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(AtomicUsize::new(0));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let (count, arrived) = (served.clone(), arrivals.clone());
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            arrived.lock().unwrap().push(Instant::now());
            let n = count.fetch_add(1, Ordering::SeqCst);
            let answer = answers[n.min(answers.len() - 1)].clone();
            tokio::spawn(answer_one(socket, answer));
        }
    });
    (url, served, arrivals)
}

/// The base URL of a loopback port where nothing listens.
pub async fn refusing_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

async fn answer_one(mut socket: TcpStream, answer: Answer) {
    let request = read_request(&mut socket).await;
    match answer {
        Answer::Full(bytes) => {
            let _ = socket.write_all(&bytes).await;
        }
        Answer::CutBody(bytes) => {
            let head = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let _ = socket.write_all(&bytes[..head + (bytes.len() - head) / 2]).await;
        }
        Answer::Close => {}
        Answer::Reset => {
            #[allow(deprecated)]
            let _ = socket.set_linger(Some(Duration::ZERO));
            drop(socket);
            return;
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
        Answer::Echo(status) => {
            let _ = socket.write_all(&raw(status, echo(&request).as_bytes())).await;
        }
        Answer::Drip(bytes) => {
            let head = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let _ = socket.write_all(&bytes[..head]).await;
            for byte in &bytes[head..] {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if socket.write_all(&[*byte]).await.is_err() {
                    return;
                }
            }
        }
        Answer::Redirect(status, origin) => {
            let text = String::from_utf8_lossy(&request);
            let target = text.split_whitespace().nth(1).unwrap_or("/");
            let location = format!("{origin}{target}");
            let _ = socket.write_all(&raw_with(status, &[("location", &location)], b"{}")).await;
        }
        Answer::Garbage => {
            let body = format!("\x1b[31m<<not json>>\x07 {}", String::from_utf8_lossy(&request));
            let _ = socket.write_all(&raw(200, body.as_bytes())).await;
        }
    }
    let _ = socket.shutdown().await;
}

/// The request: headers, and the body as long as its content-length says.
pub async fn read_request(socket: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if let Some(head) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&request[..head]).to_ascii_lowercase();
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= head + 4 + length {
                return request;
            }
        }
        match tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => request.extend_from_slice(&buf[..n]),
            _ => return request,
        }
    }
}

/// A JSON body that echoes `request` the ways servers do: the raw text,
/// and the headers as an object.
pub fn echo(request: &[u8]) -> String {
    let text = String::from_utf8_lossy(request);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let headers: serde_json::Map<String, serde_json::Value> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), serde_json::Value::String(v.trim().to_string())))
        .collect();
    let message = "echo \u{1b}[2J\u{1b}]0;title\u{7}";
    serde_json::json!({ "message": message, "request": text, "headers": headers, "body": body }).to_string()
}

/// A raw HTTP/1.1 response with a JSON content type.
pub fn raw(status: u16, body: &[u8]) -> Vec<u8> {
    raw_with(status, &[], body)
}

/// A raw HTTP/1.1 response with a JSON content type and extra headers.
pub fn raw_with(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
    let mut bytes = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}
