//! A raia flow against the embedded sandbox: start a conversation by SMS,
//! ask the agent (synchronously, then asynchronously with polling), and hand
//! the conversation to a human in manual mode.
//!
//! Run with `cargo run --example raia --features raia,sandbox`.

use std::time::Duration;

use convo_clients::raia::types::{ConversationMode, StartConversationRequest};
use convo_clients::raia::{Client, RaiaError};
use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = RaiaSandbox::start(42, 0, RaiaConfig::default()).await?;
    println!("raia sandbox at {}", sandbox.base_url());

    // Against raia itself: `Client::new(secret_key)` (or `.base_url(raia::EU_BASE_URL)`).
    let client = Client::builder(sandbox.secret_key()).base_url(sandbox.base_url()).build()?;

    // Start by SMS; the channel's required fields are checked before sending.
    let start = StartConversationRequest::sms("Grace", "Hopper", "+15550199", "Hi Grace, how can we help?");
    let channel = start.channel();
    let started = client.start_conversation().body(start).send().await?.into_inner();
    let conversation = started.conversation_id.as_str();
    println!("started conversation {conversation} by {channel}");

    // The synchronous send answers with the agent's reply.
    let sync = client.send_message().id(conversation).body("What are your opening hours?").send().await?;
    println!("sync reply: {}", sync.message);

    // `ask` sends asynchronously and polls `response-on` with backoff until the reply is done.
    let reply = client.ask(conversation, "Do you ship abroad?", Duration::from_secs(10)).await?;
    println!("async reply: {}", reply.message);

    // A reply the agent fails is a typed error, not a string to parse.
    match client.ask(conversation, "Please fail this one", Duration::from_secs(10)).await {
        Ok(reply) => println!("unexpected reply: {}", reply.message),
        Err(e) => match e.api_error::<RaiaError>() {
            Some(RaiaError::ReplyFailed { error, .. }) => {
                println!("failed reply: {}", error.as_deref().unwrap_or("(no reason given)"));
            }
            _ => return Err(e.into()),
        },
    }

    // A human takes over: manual mode, then a manual message.
    let manual = client.set_conversation_mode().id(conversation).body_map(|b| b.mode(ConversationMode::Manual));
    let mode = manual.send().await?;
    println!("mode now {}", mode.mode.as_ref().map(ToString::to_string).unwrap_or_default());
    let sent = client.send_manual_message_checked(conversation, "Hi Grace, Sam from support here.").await?;
    println!("manual message {}: {}", sent.id, sent.message);

    let history = client.list_messages().id(conversation).send().await?.into_inner().messages;
    println!("{} messages in the conversation", history.len());

    sandbox.shutdown().await;
    Ok(())
}
