//! `convo raia …`: the raia AI Agent API (Conversations).

use std::io::Write;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use convo_clients::raia::types::{
    AgentMessageRequest, StartConversationRequest, StartEmailConversation, StartSmsConversation, StartVoiceConversation,
};
use convo_clients::raia::Client;
use convo_clients::sandbox::raia::{RaiaConfig, RaiaSandbox, RaiaState};
use serde_json::{Map, Value};

use crate::output::{Column, columns, OutputFormat, write_one};
use crate::sandbox::{self, ServeOptions, Served};
use crate::{Context, Failure};

// Its settings are its spec's: the base URL and the `agentSecretKey` scheme's key.
pub type Args = crate::connect::Args<crate::spec_api::Settings<Client, RaiaState>, RaiaCommand>;

#[derive(Debug, Subcommand)]
pub(crate) enum RaiaCommand {
    /// Start conversations (the spec's commands list, read, create, update and delete them).
    #[command(subcommand)]
    Conversations(ConversationsCommand),
    /// Ask the agent a question: prints the question sent, or with --wait the agent's reply.
    Ask {
        conversation: String,
        question: String,
        /// Context for this message only.
        #[arg(long)]
        context: Option<String>,
        /// Poll until the agent has replied (or failed) and print the reply.
        #[arg(long, conflicts_with = "sync")]
        wait: bool,
        /// Use the synchronous send: the call itself returns the reply.
        #[arg(long)]
        sync: bool,
        /// Longest wait with --wait, in seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// The agent's reply to a question sent earlier (`ask` without --wait
    /// prints the question's id): as it is now, or with --wait once it is done.
    Reply {
        conversation: String,
        /// The question's message id.
        question: String,
        /// Poll until the agent has replied (or failed) and print the reply.
        #[arg(long)]
        wait: bool,
        /// Longest wait with --wait, in seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConversationsCommand {
    /// Start an outbound conversation by email, SMS or voice call.
    Start {
        channel: ChannelArg,
        /// The user's first name.
        #[arg(long)]
        first_name: String,
        /// The user's last name.
        #[arg(long)]
        last_name: String,
        /// The user's email address (required for email).
        #[arg(long)]
        email: Option<String>,
        /// The user's phone number (required for sms and voice): digits, an optional leading +,
        /// and spaces, dots, dashes or parentheses, e.g. +14155552671; anything else is refused
        /// before sending.
        #[arg(long)]
        phone: Option<String>,
        /// The email's subject (email).
        #[arg(long)]
        subject: Option<String>,
        /// The first email's or SMS's text (email, sms).
        #[arg(long)]
        introduction: Option<String>,
        /// The agent's opening line (voice).
        #[arg(long)]
        first_message: Option<String>,
        /// Archive the user's current conversation and start a new one (email, sms).
        #[arg(long)]
        reset: bool,
        /// Context about the user.
        #[arg(long)]
        context: Option<String>,
        /// Free-text source, e.g. webchat.
        #[arg(long)]
        source: Option<String>,
        /// Your own id for the user.
        #[arg(long)]
        fk_id: Option<String>,
        /// Custom data as key=value; repeat for more.
        #[arg(long = "data", value_name = "KEY=VALUE", value_parser = parse_pair)]
        data: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ChannelArg {
    Email,
    Sms,
    Voice,
}


fn parse_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_string(), value.to_string())),
        _ => Err(format!("{text:?} is not key=value")),
    }
}

fn custom_data(pairs: Vec<(String, String)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect()
}

const MESSAGE_COLUMNS: &str = "id:36 createdAt:24 senderRole:17 source:9 message:60";

const STARTED_COLUMNS: &str = "conversationId:36";

pub async fn run(client: Client, command: RaiaCommand, context: &Context) -> Result<(), Failure> {
    let out = std::io::stdout().lock();
    let one = context.output.unwrap_or(OutputFormat::Json);
    match command {
        RaiaCommand::Conversations(command) => conversations(&client, command, one, out).await,
        RaiaCommand::Ask { conversation, question, context: message_context, wait, sync, timeout } => {
            let message = match message_context {
                Some(c) => AgentMessageRequest::with_context(question, c),
                None => AgentMessageRequest::from(question),
            };
            let printed = if sync {
                client
                    .send_message()
                    .id(&conversation)
                    .body(message)
                    .send()
                    .await?
                    .into_inner()
            } else if wait {
                client.ask(&conversation, message, Duration::from_secs(timeout)).await?
            } else {
                client
                    .send_message_async()
                    .id(&conversation)
                    .body(message)
                    .send()
                    .await?
                    .into_inner()
            };
            print_one(one, columns(MESSAGE_COLUMNS), to_value(&printed)?, out)
        }
        RaiaCommand::Reply { conversation, question, wait, timeout } => {
            let reply = if wait {
                to_value(&client.wait_for_reply(&conversation, &question, Duration::from_secs(timeout)).await?)?
            } else {
                let call = client.get_message_response().id(&conversation).question_message_id(&question);
                to_value(&call.send().await?.into_inner())?
            };
            print_one(one, columns(MESSAGE_COLUMNS), reply, out)
        }
    }
}

async fn conversations(
    client: &Client,
    command: ConversationsCommand,
    one: OutputFormat,
    out: impl Write,
) -> Result<(), Failure> {
    match command {
        ConversationsCommand::Start {
            channel,
            first_name,
            last_name,
            email,
            phone,
            subject,
            introduction,
            first_message,
            reset,
            context,
            source,
            fk_id,
            data,
        } => {
            // Missing fields go through as empty, so that the client's check
            // names the one the channel needs (an input error, exit 2).
            let text = |value: Option<String>| value.unwrap_or_default();
            // The fields every channel's request has.
            macro_rules! shared {
                ($request:expr) => {{
                    let mut s = $request;
                    (s.context, s.source, s.fk_id, s.custom_data) = (context, source, fk_id, custom_data(data));
                    s
                }};
            }
            let request: StartConversationRequest = match channel {
                ChannelArg::Email => {
                    let (email, subject, introduction) = (text(email), text(subject), text(introduction));
                    let s = StartEmailConversation::new(first_name, last_name, email, subject, introduction);
                    StartEmailConversation { phone_number: phone, reset_conversation: reset, ..shared!(s) }.into()
                }
                ChannelArg::Sms => {
                    let s = StartSmsConversation::new(first_name, last_name, text(phone), text(introduction));
                    StartSmsConversation { email, reset_conversation: reset, ..shared!(s) }.into()
                }
                ChannelArg::Voice if reset => {
                    return Err(Failure::Usage("--reset does not apply to voice: every call starts anew".into()));
                }
                ChannelArg::Voice => {
                    let s = StartVoiceConversation::new(first_name, last_name, text(phone), text(first_message));
                    StartVoiceConversation { email, ..shared!(s) }.into()
                }
            };
            let started = client.start_conversation().body(request).send().await?.into_inner();
            print_one(one, columns(STARTED_COLUMNS), to_value(&started)?, out)
        }
    }
}

fn to_value(record: &impl serde::Serialize) -> Result<Value, Failure> {
    serde_json::to_value(record).map_err(|e| Failure::Io(std::io::Error::other(e)))
}

/// Prints one record in `format`, tables and csv with `columns`.
fn print_one(format: OutputFormat, columns: &'static [Column], record: Value, out: impl Write) -> Result<(), Failure> {
    write_one(format, columns, &record, out)?;
    Ok(())
}

/// Serves the emulator for `convo sandbox serve` and prints its settings.
pub(crate) async fn serve(options: &ServeOptions) -> Result<Served, Failure> {
    let default = RaiaConfig::default();
    let conversations = options.records.map_or(default.conversations, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let config = RaiaConfig { harness: options.harness.clone(), conversations, ..default };
    sandbox::serve_api("raia", options, config, |sandbox: &RaiaSandbox, out| {
        crate::spec_api::export::<Client>(out, sandbox.base_url(), |scheme| sandbox.credential(scheme));
        let conversations = sandbox.conversation_ids();
        // Ids a script (or the seed-example replay) can start from.
        if let [ai, manual, ..] = conversations.as_slice() {
            out.export("RAIA_CONVERSATION_ID", ai.as_str()).export("RAIA_MANUAL_CONVERSATION_ID", manual.as_str());
        }
        let users = sandbox.user_ids();
        if let Some(user) = users.first() {
            out.export("RAIA_USER_ID", user.as_str());
        }
        out.samples("conversations (AI chat, manual chat, manual voice call)", conversations)
            .samples("users", users)
            .samples("states", sandbox.state_ids());
    })
    .await
}
