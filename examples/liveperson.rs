//! A LivePerson Third-Party Bots flow against the embedded sandbox: find the
//! account's zone with the domain lookup, log in, send messages to a
//! conversation and wait for the command to complete, set a custom TTR, and
//! see a transfer to a skill that does not exist fail with its error name.
//!
//! Run with `cargo run --example liveperson --features liveperson,sandbox`.

use std::time::Duration;

use convo_clients::Error;
use convo_clients::liveperson::types::Message;
use convo_clients::liveperson::{Client, CommandOptions, Ttr};
use convo_clients::sandbox::liveperson::{EXAMPLE_CONVERSATION, LivePersonConfig, LivePersonSandbox};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = LivePersonSandbox::start(42, 0, LivePersonConfig::default()).await?;
    println!("LivePerson sandbox at {}", sandbox.base_url());

    // Against LivePerson itself: `Client::new(account_id, credentials)` finds
    // the zone through the real domain lookup. Here the sandbox serves both.
    let client = Client::builder(sandbox.account_id(), sandbox.credentials())
        .csds_base_url(sandbox.base_url())
        .zone_base_url(sandbox.zone(), sandbox.base_url())
        .build()?;
    println!("account {} is served by {}", client.account_id(), client.base_url().await?);

    let conversation = EXAMPLE_CONVERSATION;
    let messages = vec![
        Message::text("Let me check that for you."),
        Message::delay(1.0, true),
        Message::quick_replies("Did that help?", &["Yes", "No"]),
    ];
    // Commands run asynchronously: the send answers with a command id to poll.
    let command = client.send_messages(conversation, messages, None, CommandOptions::ttl(60)).await?;
    println!("send_messages: command {command}");
    let done = client.wait_for_command(conversation, &command, WAIT).await?;
    println!("command {} is {}", done.id, done.state);

    // TTR has no hand-written flow: it is the generated builder; `Ttr` makes a
    // custom time without its seconds impossible to write.
    let api = client.generated().await?;
    let call = api.set_ttr().account_id(client.account_id()).conversation_id(conversation);
    let ttr = call.body(Ttr::Custom(45)).send().await?.into_inner().command_id;
    let done = client.wait_for_command(conversation, &ttr, WAIT).await?;
    println!("ttr custom:45: command {} is {}", done.id, done.state);

    // A failed command is a typed error carrying LivePerson's failure name.
    let transfer = client.transfer(conversation, "no_such_skill", CommandOptions::default()).await?;
    match client.wait_for_command(conversation, &transfer, WAIT).await {
        Err(Error::CommandFailed { command_id, error_name }) => {
            println!("transfer {command_id} failed: {}", error_name.as_deref().unwrap_or("(no name given)"));
        }
        Ok(command) => println!("transfer {} unexpectedly {}", command.id, command.state),
        Err(e) => return Err(e.into()),
    }

    sandbox.shutdown().await;
    Ok(())
}
