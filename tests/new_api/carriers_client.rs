//! A program that uses the client a scratch copy of the crate generated
//! from `specs/carriers.yaml` alone (tests/it/new_api.rs builds and runs it
//! against a local server, whose base URL is the first argument; the second
//! says what to do: `carriers`, `drift` or `tokens`).

use std::time::Duration;

use convo_clients::carriers::Client;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (url, what) = args.next().zip(args.next()).ok_or("usage: carriers_client <base URL> <what>")?;
    let client = Client::builder(&url)
        .credential("inHeader", "k1")
        .credential("inQuery", "k 2")
        .credential("inCookie", "c3")
        .credential("bearer", "t4")
        .credential("basic", "u:p")
        .credential("cappedUser", "cu")
        .credential("keptUser", "ku")
        .build()?;
    match what.as_str() {
        // Each scheme's credential where the spec says, on the calls that
        // name it only.
        "carriers" => {
            client.get_keys().a("1").send().await?;
            client.get_bearer().send().await?;
            client.get_basic().send().await?;
            client.get_open().send().await?;
            // A scheme the spec does not define: an error naming those it does.
            let unknown = Client::builder(&url).credential("apiKey", "x").build().map(drop);
            println!("unknown scheme: {}", unknown.err().map(|e| e.to_string()).unwrap_or_default());
            println!("debug shows secret: {}", format!("{client:?}").contains("k1"));
        }
        // The server answers getKeys with a TokenKind the spec does not list.
        "drift" => {
            client.get_keys().send().await?;
            println!("{}", client.drift());
        }
        // Three calls of each token's scheme, a second and a half apart.
        "tokens" => {
            for call in 0..3 {
                if call > 0 {
                    tokio::time::sleep(Duration::from_millis(1_500)).await;
                }
                client.get_capped().send().await?;
                client.get_kept().send().await?;
            }
        }
        other => return Err(format!("unknown: {other}").into()),
    }
    Ok(())
}
