//! The hand-written raia client around the generated one: its builder, and
//! what one generated call cannot do.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;

use super::BASE_URL;
use super::error::{RaiaError, manual_message_refusal};
use super::generated;
use super::types::{
    AgentMessageRequest, AgentReplyStatus, ConversationOrderBy, ConversationPage, ConversationWithFeedbacks,
    ManualMessageRequest, Message, OrderDirection, StartConversationRequest, StartedConversation,
};
use crate::error::{BodyExcerpt, Error, InvalidInput, Result};
use crate::runtime::{ItemStream, Page, paginate};
use crate::secret::Secret;

/// First wait between polls of a reply; each later one doubles.
const FIRST_POLL_DELAY: Duration = Duration::from_millis(100);
/// Longest wait between polls of a reply.
const MAX_POLL_DELAY: Duration = Duration::from_secs(2);

/// A raia client for one agent (its secret key). Cheap to clone; clones share
/// the connection pool.
pub type Client = crate::ApiClient<generated::Client>;

/// Configures a [`Client`]: [`BASE_URL`] by default, [`super::EU_BASE_URL`]
/// for the EU region, or a proxy or sandbox.
pub type ClientBuilder = crate::SpecClientBuilder<Client>;

/// Which conversations to list, and how. Every filter is sent with every page.
#[derive(Debug, Clone, Default)]
pub struct ConversationQuery {
    page_size: Option<u32>,
    order_by: Option<ConversationOrderBy>,
    order_direction: Option<OrderDirection>,
    search_keyword: Option<String>,
    user_id: Option<String>,
    updated_since: Option<DateTime<Utc>>,
    updated_until: Option<DateTime<Utc>>,
    with_feedbacks_only: bool,
}

impl ConversationQuery {
    /// Every conversation, in the server's order and page size.
    pub fn new() -> Self {
        Self::default()
    }

    /// Conversations per page (at least 1; the server's default otherwise).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Orders by creation or update time.
    pub fn order_by(mut self, field: ConversationOrderBy) -> Self {
        self.order_by = Some(field);
        self
    }

    /// Ascending or descending.
    pub fn order_direction(mut self, direction: OrderDirection) -> Self {
        self.order_direction = Some(direction);
        self
    }

    /// Matches title, summary, agent name, user name, email and phone number.
    pub fn search_keyword(mut self, keyword: impl Into<String>) -> Self {
        self.search_keyword = Some(keyword.into());
        self
    }

    /// Only conversations of this conversation user (`userId` on the wire).
    pub fn user_id(mut self, conversation_user_id: impl Into<String>) -> Self {
        self.user_id = Some(conversation_user_id.into());
        self
    }

    /// Only conversations updated at or after this time (`startDate`).
    pub fn updated_since(mut self, time: DateTime<Utc>) -> Self {
        self.updated_since = Some(time);
        self
    }

    /// Only conversations updated at or before this time (`endDate`).
    pub fn updated_until(mut self, time: DateTime<Utc>) -> Self {
        self.updated_until = Some(time);
        self
    }

    /// Only conversations with at least one feedback.
    pub fn with_feedbacks_only(mut self) -> Self {
        self.with_feedbacks_only = true;
        self
    }

    fn checked_page_size(&self) -> Result<Option<i32>> {
        match self.page_size {
            None => Ok(None),
            Some(size) => match i32::try_from(size) {
                Ok(size) if size >= 1 => Ok(Some(size)),
                _ => Err(InvalidInput::parameter("pageSize", format!("{size} is not within 1..={}", i32::MAX)).into()),
            },
        }
    }
}

impl Client {
    /// A client for the production host with default settings.
    pub fn new(secret_key: impl Into<Secret>) -> Result<Self> {
        Self::builder(secret_key).build()
    }

    /// Starts configuring a client with the agent's secret key.
    pub fn builder(secret_key: impl Into<Secret>) -> ClientBuilder {
        Client::spec_builder(BASE_URL).credential("agentSecretKey", secret_key)
    }

    /// Every conversation matching the query, page after page, as a stream.
    /// Pages are numbered from 1; one is held at a time.
    pub fn conversations(&self, query: ConversationQuery) -> ItemStream<ConversationWithFeedbacks> {
        let client = self.clone();
        paginate("raia.conversations", query, move |query, page: Option<u32>| {
            let client = client.clone();
            async move {
                let number = page.unwrap_or(1);
                let page = client.conversation_page(&query, number).await?;
                // An empty page, or the last page the server reports, ends
                // the list even if it claims a next one, so a server that
                // miscounts cannot keep the stream going.
                let last = u32::try_from(page.total_pages).unwrap_or(0);
                let next = number
                    .checked_add(1)
                    .filter(|_| page.has_next_page && !page.data.is_empty() && number < last);
                Ok(Page { items: page.data, next })
            }
        })
    }

    /// One page of conversations (`page` counts from 1).
    pub async fn conversation_page(&self, query: &ConversationQuery, page: u32) -> Result<ConversationPage> {
        let page = i32::try_from(page)
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| InvalidInput::parameter("page", format!("{page} is not within 1..={}", i32::MAX)))?;
        let page_size = query.checked_page_size()?;
        let mut call = self.api.list_conversations().page(page);
        if let Some(size) = page_size {
            call = call.page_size(size);
        }
        if let Some(field) = &query.order_by {
            call = call.order_by(field.clone());
        }
        if let Some(direction) = &query.order_direction {
            call = call.order_direction(direction.clone());
        }
        if let Some(keyword) = &query.search_keyword {
            call = call.search_keyword(keyword.clone());
        }
        if let Some(user_id) = &query.user_id {
            call = call.user_id(user_id.clone());
        }
        if let Some(since) = query.updated_since {
            call = call.start_date(since);
        }
        if let Some(until) = query.updated_until {
            call = call.end_date(until);
        }
        if query.with_feedbacks_only {
            call = call.with_feedbacks_only(true);
        }
        Ok(call.send().await?.into_inner())
    }

    /// Starts an outbound conversation by email, SMS or voice call, creating
    /// the user if needed, e.g. `StartConversationRequest::sms(…)`: the
    /// generated `start_conversation()`, whose spec refuses before sending a
    /// blank required field or an email address without `@` (unless
    /// `skip_email_validation`).
    pub async fn start_conversation_checked(
        &self,
        request: impl Into<StartConversationRequest>,
    ) -> Result<StartedConversation> {
        let request = request.into();
        Ok(self.api.start_conversation().body(request).send().await?.into_inner())
    }

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
        let mut delay = FIRST_POLL_DELAY;
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
            delay = (delay * 2).min(MAX_POLL_DELAY);
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
        match self.api.send_manual_message().id(conversation_id).body(body).send().await {
            Ok(response) => Ok(response.into_inner()),
            Err(e) => Err(match Error::from(e) {
                Error::Status { status: StatusCode::BAD_REQUEST, body, .. } => {
                    manual_message_refusal(conversation_id, body).into()
                }
                other => other,
            }),
        }
    }
}

/// A blank id: the spec (`minLength`) catches an empty one, not one of spaces.
fn check_id(name: &'static str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(InvalidInput::parameter(name, "must not be empty").into());
    }
    Ok(())
}
