//! The hand-written raia client around the generated one: its builder, and
//! what one generated call cannot do.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::error::{RaiaError, manual_message_refusal};
use super::generated;
use super::types::{AgentMessageRequest, AgentReplyStatus, ManualMessageRequest, Message};
use crate::error::{BodyExcerpt, Error, InvalidInput, Result};

/// A raia client for one agent (its secret key). Cheap to clone; clones share
/// the connection pool.
pub type Client = crate::ApiClient<generated::Client>;

/// Configures a [`Client`]: [`BASE_URL`](super::BASE_URL) by default, [`super::EU_BASE_URL`]
/// for the EU region, or a proxy or sandbox.
pub type ClientBuilder = crate::SpecClientBuilder<Client>;

// `Client::new(secret_key)` and `Client::builder(secret_key)` are
// generated from the spec's security scheme (build.rs, `key_constructors`).
impl Client {
    /// Polls, with backoff, until the reply to `question_message_id` (the
    /// `id` the generated `send_message_async()` returns) is completed
    /// (returned) or failed ([`RaiaError::ReplyFailed`]). Gives up with
    /// [`Error::Timeout`] after `timeout`.
    pub async fn wait_for_reply(
        &self,
        conversation_id: &str,
        question_message_id: &str,
        timeout: Duration,
    ) -> Result<Message> {
        check_id("id", conversation_id)?;
        check_id("questionMessageId", question_message_id)?;
        self.poll_reply("wait_for_reply", Instant::now(), conversation_id, question_message_id, timeout).await
    }

    /// Asks the agent: sends the message asynchronously, then waits for the
    /// reply as [`Client::wait_for_reply`] does. `timeout` covers the whole call.
    /// A blank conversation id or message is refused before sending.
    pub async fn ask(
        &self,
        conversation_id: &str,
        message: impl Into<AgentMessageRequest>,
        timeout: Duration,
    ) -> Result<Message> {
        let started = Instant::now();
        check_id("id", conversation_id)?;
        let body = message.into();
        let question = self.api.send_message_async().id(conversation_id).body(body).send().await?.into_inner();
        self.poll_reply("ask", started, conversation_id, &question.id, timeout).await
    }

    async fn poll_reply(
        &self,
        operation: &'static str,
        started: Instant,
        conversation_id: &str,
        question_message_id: &str,
        timeout: Duration,
    ) -> Result<Message> {
        // The first wait between polls; each later one doubles, up to 2 s.
        let mut delay = Duration::from_millis(100);
        loop {
            let call = self.api.get_message_response().id(conversation_id).question_message_id(question_message_id);
            let reply = call.send().await?.into_inner();
            match reply.status {
                AgentReplyStatus::Completed => {
                    return reply.message.ok_or_else(|| Error::Decode {
                        operation: "get_message_response",
                        reason: "the reply is completed but carries no message".into(),
                        body: BodyExcerpt::default(),
                    });
                }
                AgentReplyStatus::Failed => {
                    return Err(RaiaError::ReplyFailed {
                        conversation_id: conversation_id.to_string(),
                        question_message_id: question_message_id.to_string(),
                        error: reply.error,
                    }
                    .into());
                }
                // Pending, or a status added later: keep polling.
                _ => {}
            }
            let elapsed = started.elapsed();
            if elapsed >= timeout {
                return Err(Error::Timeout { operation, waited: elapsed });
            }
            tokio::time::sleep(delay.min(timeout - elapsed)).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    /// Sends a human agent's message to the user: the generated
    /// `send_manual_message()` with a blank id or message refused before
    /// sending, and the documented refusals typed. The conversation must be
    /// in manual mode and not a voice call; the server's 400 for either
    /// becomes [`RaiaError::NotInManualMode`] or
    /// [`RaiaError::VoiceConversation`] ([`RaiaError::ManualMessageRefused`]
    /// when its message names neither).
    pub async fn send_manual_message_checked(
        &self,
        conversation_id: &str,
        message: impl Into<ManualMessageRequest>,
    ) -> Result<Message> {
        check_id("id", conversation_id)?;
        let body = message.into();
        let sent = self.api.send_manual_message().id(conversation_id).body(body).send().await;
        sent.map(|response| response.into_inner()).map_err(|e| match Error::from(e) {
            Error::Status { status: StatusCode::BAD_REQUEST, body, .. } => {
                manual_message_refusal(conversation_id, body).into()
            }
            other => other,
        })
    }
}

/// A blank id: the spec (`minLength`) catches an empty one, not one of spaces.
fn check_id(name: &'static str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(InvalidInput::parameter(name, "must not be empty").into());
    }
    Ok(())
}
