//! The raia AI Agent API emulator (Conversations).
//!
//! One agent, reached with its secret key (`Agent-Secret-Key`; anything else
//! is the vendor's 403 body). Seeded conversation users, conversations (each
//! with a channel: API, live chat, email, SMS or voice), conversation states,
//! and messages with feedbacks. Conversation 0 is an AI-mode API chat,
//! conversation 1 a manual-mode live chat and conversation 2 a manual-mode
//! voice call, so every manual-message rule can be reached.
//!
//! The agent is deterministic: it answers `REPLY_PREFIX` followed by the
//! question. A question sent asynchronously stays `pending` for
//! `reply_delay`, then is `completed`; one that contains [`FAIL_TRIGGER`]
//! ends `failed` instead (and a synchronous send of it is a 500). Replies are
//! worked out when read, from the time, so no background task is needed.
//!
//! Only statuses the spec documents are used: an unknown conversation is a
//! 404 where the operation documents one, else the vendor's 500 body with
//! the reason in `details`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{HarnessConfig, Refused, Sandbox};
use crate::raia::types::{
    AgentMessageRequest, AgentReply, AgentReplyStatus, ApiError as ErrorBody, AssignedUser, Conversation,
    ConversationMode, ConversationModeRequest, ConversationOrderBy, ConversationPage, ConversationState,
    ConversationStateList, ConversationStatus, ConversationUser, ConversationWithFeedbacks, CreateConversationRequest,
    DeleteUserConversationsRequest, Feedback, FullAiResponse, ManualMessageRequest, Message, MessageFeedback,
    MessageList, MessageSource, OrderDirection, SenderRole, StartedConversation, UpdateConversationRequest, VoteType,
};
use crate::secret::Secret;

/// How the sandbox agent's replies begin; the question follows.
pub const REPLY_PREFIX: &str = "Sandbox agent: you asked: ";
/// A question containing this (any case) gets a `failed` reply.
pub const FAIL_TRIGGER: &str = "fail";
/// The `error` of a failed reply.
pub const REPLY_FAILURE: &str = "AGENT_REPLY_FAILED: the sandbox agent fails questions that mention \"fail\"";
/// The 400 message when a manual message goes to a conversation in AI mode.
pub const NOT_MANUAL_MESSAGE: &str = "Conversation is not in manual mode";
/// The 400 message when a manual message goes to a voice conversation.
pub const VOICE_MESSAGE: &str = "Cannot send a message to a voice conversation";

/// Emulator settings.
#[derive(Debug, Clone)]
pub struct RaiaConfig {
    /// The agent's secret key, expected in `Agent-Secret-Key`.
    pub secret_key: Secret,
    /// The agent's name (matched by `searchKeyword`).
    pub agent_name: String,
    /// Seeded conversation users.
    pub users: usize,
    /// Seeded conversations (at least 3 keeps the documented examples).
    pub conversations: usize,
    /// How long an asynchronous question stays `pending`.
    pub reply_delay: Duration,
    /// Page size when the request names none.
    pub default_page_size: u32,
    /// Latency, request log and response checks.
    pub harness: HarnessConfig,
}

impl Default for RaiaConfig {
    fn default() -> Self {
        Self {
            secret_key: "sandbox-agent-secret-key".into(),
            agent_name: "Sandbox Support Agent".into(),
            users: 6,
            conversations: 24,
            reply_delay: Duration::from_millis(200),
            default_page_size: 10,
            harness: HarnessConfig::default(),
        }
    }
}

super::emulator! {
    /// A running raia emulator.
    RaiaSandbox = RaiaState(RaiaConfig, crate::raia::SPEC_JSON) {
        "listConversations" => list_conversations,
        "createConversation" => create_conversation,
        "deleteUserConversations" => delete_user_conversations,
        "listConversationStates" => list_states,
        "startConversation" => start_conversation,
        "getConversation" => get_conversation,
        "updateConversation" => update_conversation,
        "listMessages" => list_messages,
        "sendMessage" => send_message,
        "sendMessageAsync" => send_message_async,
        "getMessageResponse" => get_message_response,
        "setConversationMode" => set_mode,
        "sendManualMessage" => send_manual_message,
    }

    fn new(seed: u64, config: RaiaConfig) -> Self {
        let world = World::seeded(seed, &config);
        Self { config, world: Mutex::new(world) }
    }

    fn render_error(status: StatusCode, message: String) -> Response {
        render_error(status, message)
    }

    /// Every call needs the agent's secret key (`agentSecretKey`); anything
    /// else is the vendor's 403.
    fn authenticate(&self, _: &str, key: Option<&str>, _: &axum::http::request::Parts) -> Result<(), Refused> {
        if key == Some(self.config.secret_key.expose()) {
            return Ok(());
        }
        Err(ApiError {
            status: StatusCode::FORBIDDEN,
            name: Some("FORBIDDEN_ERROR"),
            message: "INVALID_CREDENTIALS".into(),
            details: Vec::new(),
        }
        .into())
    }
}

impl Sandbox<RaiaState> {
    /// The secret key the emulator accepts.
    pub fn secret_key(&self) -> Secret {
        self.api.config.secret_key.clone()
    }

    /// Ids of the conversations, oldest first.
    pub fn conversation_ids(&self) -> Vec<String> {
        self.api.world(|w| w.conversations.iter().map(|c| c.id.clone()).collect())
    }

    /// Ids of the conversation users, oldest first.
    pub fn user_ids(&self) -> Vec<String> {
        self.api.world(|w| w.users.iter().map(|u| u.id.clone()).collect())
    }

    /// Ids of the conversation states.
    pub fn state_ids(&self) -> Vec<String> {
        self.api.world(|w| w.states.iter().map(|s| s.id.clone()).collect())
    }

    /// Adds a conversation user without conversations; returns its id.
    pub fn add_user(&self, first_name: &str, last_name: &str) -> String {
        self.api.world(|w| {
            let id = w.uuid();
            w.users.push(User {
                id: id.clone(),
                first_name: first_name.into(),
                last_name: last_name.into(),
                ..User::default()
            });
            id
        })
    }
}

/// The emulator's users, conversations, states, messages and pending replies.
#[derive(Debug)]
pub struct RaiaState {
    config: RaiaConfig,
    world: Mutex<World>,
}

#[derive(Debug)]
struct World {
    rng: fastrand::Rng,
    users: Vec<User>,
    conversations: Vec<StoredConversation>,
    states: Vec<ConversationState>,
    /// Every message, oldest first.
    messages: Vec<StoredMessage>,
    /// Where each conversation is in `conversations`, by id.
    conversation_at: HashMap<String, usize>,
    /// Where each message is in `messages`, by id.
    message_at: HashMap<String, usize>,
    /// Where each conversation's messages are in `messages`, oldest first.
    messages_of: HashMap<String, Vec<usize>>,
    /// Positions in `conversations` by `updatedAt` (ties in insertion order),
    /// worked out when a list asks for it; a change forgets it.
    by_updated: Option<Arc<[usize]>>,
    /// Questions sent asynchronously.
    questions: Vec<Question>,
    /// The last timestamp handed out; each new one is later.
    clock: DateTime<Utc>,
    /// The human agent manual-mode conversations are assigned to.
    human_agent: AssignedUser,
}

/// A conversation user; a start request names one by the same fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    #[serde(skip)]
    id: String,
    first_name: String,
    last_name: String,
    email: Option<String>,
    phone_number: Option<String>,
    context: Option<String>,
    source: Option<String>,
    fk_id: Option<String>,
    fk_user_id: Option<String>,
}

/// How the conversation reaches its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Channel {
    #[default]
    Api,
    LiveChat,
    Email,
    Sms,
    Voice,
}

impl Channel {
    fn source(self) -> MessageSource {
        match self {
            Channel::Api => MessageSource::Api,
            Channel::LiveChat => MessageSource::LiveChat,
            Channel::Email => MessageSource::Email,
            Channel::Sms => MessageSource::Sms,
            Channel::Voice => MessageSource::Voice,
        }
    }
}

#[derive(Debug, Clone)]
struct StoredConversation {
    id: String,
    user_id: String,
    channel: Channel,
    mode: ConversationMode,
    status: ConversationStatus,
    title: Option<String>,
    summary: Option<String>,
    score: Option<f64>,
    ai_conversation_id: String,
    ai_call_id: Option<String>,
    state_id: Option<String>,
    metadata: Map<String, Value>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct StoredMessage {
    id: String,
    conversation_id: String,
    text: String,
    role: SenderRole,
    source: MessageSource,
    /// `conversationMessageId`: the question this message answers (its own id for a question).
    answers: String,
    created_at: DateTime<Utc>,
    feedbacks: Vec<StoredFeedback>,
}

#[derive(Debug, Clone)]
struct StoredFeedback {
    id: String,
    vote: VoteType,
    question: String,
    answer: String,
    comment: Option<String>,
    user_email: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(Debug)]
struct Question {
    id: String,
    conversation_id: String,
    due: Instant,
    outcome: Outcome,
}

#[derive(Debug, Clone)]
enum Outcome {
    Pending { fails: bool },
    Completed { reply_id: String },
    Failed,
}

const FIRST_NAMES: [&str; 8] = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara"];
const LAST_NAMES: [&str; 8] = ["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov"];
const TOPICS: [(&str, &str); 8] = [
    ("Order status", "Where is my order #1042?"),
    ("Refund request", "Can I get a refund for a damaged item?"),
    ("Password reset", "How do I reset my password?"),
    ("Shipping address", "Can I change the shipping address of my order?"),
    ("Invoice copy", "Please send me a copy of my last invoice."),
    ("Plan upgrade", "What does the premium plan include?"),
    ("Opening hours", "When is your support team available?"),
    ("Cancel subscription", "How do I cancel my subscription?"),
];
/// Channel of seeded conversation `i` is `CHANNELS[i % 6]`.
const CHANNELS: [Channel; 6] =
    [Channel::Api, Channel::LiveChat, Channel::Voice, Channel::Email, Channel::Sms, Channel::Api];

impl RaiaState {
    fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut world = self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        world.advance();
        f(&mut world)
    }
}

impl World {
    fn seeded(seed: u64, config: &RaiaConfig) -> Self {
        let start = Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).single().unwrap_or_default();
        let mut w = World {
            rng: fastrand::Rng::with_seed(seed),
            users: Vec::new(),
            conversations: Vec::new(),
            states: Vec::new(),
            messages: Vec::new(),
            conversation_at: HashMap::new(),
            message_at: HashMap::new(),
            messages_of: HashMap::new(),
            by_updated: None,
            questions: Vec::new(),
            clock: start,
            human_agent: AssignedUser {
                id: String::new(),
                first_name: "Sam".into(),
                last_name: "Support".into(),
                email: "sam.support@sandbox.example".into(),
                avatar_url: None,
                phone_number: None,
            },
        };
        w.human_agent.id = w.uuid();
        let created = "2023-01-01T00:00:00.000Z";
        for (name, description, color, persistent) in [
            ("New", "Not looked at yet", "#3b82f6", true),
            ("In progress", "A human is on it", "#f59e0b", false),
            ("Resolved", "Nothing left to do", "#10b981", true),
        ] {
            let id = w.uuid();
            w.states.push(ConversationState {
                id,
                name: name.into(),
                description: Some(description.into()),
                color: Some(color.into()),
                is_persistent: persistent,
                created_at: created.into(),
                updated_at: created.into(),
            });
        }
        for i in 0..config.users.max(1) {
            let (first, last) = (FIRST_NAMES[i % FIRST_NAMES.len()], LAST_NAMES[(i / 2 + i) % LAST_NAMES.len()]);
            let id = w.uuid();
            w.users.push(User {
                id,
                first_name: first.into(),
                last_name: last.into(),
                email: Some(format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase())),
                phone_number: Some(format!("+1555010{i:04}")),
                context: None,
                source: Some("webchat".into()),
                fk_id: Some(format!("crm-{}", 1000 + i)),
                fk_user_id: None,
            });
        }
        for i in 0..config.conversations {
            w.seed_conversation(i, start);
        }
        w
    }

    fn seed_conversation(&mut self, i: usize, start: DateTime<Utc>) {
        let user = self.users[i % self.users.len()].clone();
        let channel = CHANNELS[i % CHANNELS.len()];
        let (topic, question) = TOPICS[i % TOPICS.len()];
        let minutes = |m: usize| i64::try_from(m).ok().and_then(chrono::Duration::try_minutes).unwrap_or_default();
        let created_at = start + minutes(i * 90);
        let id = self.uuid();
        let mut conversation = self.new_conversation(id.clone(), user.id.clone(), channel, created_at);
        conversation.mode = if matches!(i % 4, 1 | 2) { ConversationMode::Manual } else { ConversationMode::Ai };
        conversation.title = Some(topic.into());
        conversation.summary = Some(format!("{} asked about {}.", user.first_name, topic.to_lowercase()));
        conversation.score = Some((1 + i % 5) as f64);
        conversation.state_id = self.states.get(i % 3).map(|s| s.id.clone());
        // Two exchanges: the question, the agent's answer, a thank-you and its answer.
        let mut at = created_at;
        for (k, text) in [question, "Thanks, that helps."].into_iter().enumerate() {
            at += minutes(2);
            let question_id = self.push_message(&id, text, SenderRole::ConversationUser, channel.source(), None, at);
            at += minutes(1);
            let reply = format!("{REPLY_PREFIX}{text}");
            let reply_id =
                self.push_message(&id, &reply, SenderRole::Assistant, channel.source(), Some(&question_id), at);
            // Every third conversation has a vote on its first answer.
            if k == 0 && i.is_multiple_of(3) {
                let feedback = StoredFeedback {
                    id: self.uuid(),
                    vote: if i.is_multiple_of(2) { VoteType::Up } else { VoteType::Down },
                    question: text.into(),
                    answer: reply,
                    comment: Some(if i.is_multiple_of(2) { "Helpful" } else { "Not what I asked" }.into()),
                    user_email: user.email.clone(),
                    created_at: at + minutes(1),
                };
                if let Some(m) = self.message_at.get(&reply_id).and_then(|&at| self.messages.get_mut(at)) {
                    m.feedbacks.push(feedback);
                }
            }
        }
        conversation.updated_at = at;
        self.clock = self.clock.max(at + minutes(1));
        self.add_conversation(conversation);
    }

    /// Stores a new conversation. It is the newest: every creation time
    /// comes from the clock, so `conversations` stays in creation order.
    fn add_conversation(&mut self, conversation: StoredConversation) {
        self.conversation_at.insert(conversation.id.clone(), self.conversations.len());
        self.conversations.push(conversation);
        self.by_updated = None;
    }

    /// Removes the conversations `gone` names, with their messages and questions.
    fn remove_conversations(&mut self, gone: &HashSet<String>) {
        self.conversations.retain(|c| !gone.contains(&c.id));
        self.messages.retain(|m| !gone.contains(&m.conversation_id));
        self.questions.retain(|q| !gone.contains(&q.conversation_id));
        self.conversation_at = self.conversations.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        self.message_at = self.messages.iter().enumerate().map(|(i, m)| (m.id.clone(), i)).collect();
        self.messages_of.clear();
        for (i, m) in self.messages.iter().enumerate() {
            self.messages_of.entry(m.conversation_id.clone()).or_default().push(i);
        }
        self.by_updated = None;
    }

    /// Positions in `conversations`, oldest `updatedAt` first (ties in
    /// insertion order); sorted once until the next change.
    fn by_updated(&mut self) -> Arc<[usize]> {
        let conversations = &self.conversations;
        self.by_updated
            .get_or_insert_with(|| {
                let mut order: Vec<usize> = (0..conversations.len()).collect();
                order.sort_by_key(|&i| conversations[i].updated_at);
                order.into()
            })
            .clone()
    }

    /// The message with this id.
    fn message(&self, id: &str) -> Option<&StoredMessage> {
        self.message_at.get(id).and_then(|&at| self.messages.get(at))
    }

    /// A message just stored, as the API shows it (a 500 if it is not there).
    fn stored(&self, id: &str) -> Result<Message, ApiError> {
        let message = self.message(id).map(|m| self.message_view(m, false));
        message.ok_or_else(|| internal(format!("message {id} was not stored")))
    }

    /// The messages of a conversation, oldest first.
    fn messages_in<'w>(&'w self, conversation_id: &str) -> impl DoubleEndedIterator<Item = &'w StoredMessage> + 'w {
        let positions = self.messages_of.get(conversation_id).map(Vec::as_slice).unwrap_or_default();
        positions.iter().filter_map(|&at| self.messages.get(at))
    }

    fn new_conversation(
        &mut self,
        id: String,
        user_id: String,
        channel: Channel,
        at: DateTime<Utc>,
    ) -> StoredConversation {
        let ai_conversation_id = format!("conv_{:016x}{:08x}", self.rng.u64(..), self.rng.u32(..));
        let ai_call_id = (channel == Channel::Voice).then(|| format!("call_{:016x}", self.rng.u64(..)));
        StoredConversation {
            id,
            user_id,
            channel,
            mode: ConversationMode::Ai,
            status: ConversationStatus::Active,
            title: None,
            summary: None,
            score: None,
            ai_conversation_id,
            ai_call_id,
            state_id: None,
            metadata: Map::new(),
            created_at: at,
            updated_at: at,
        }
    }

    /// A random (version 4) UUID from the seeded generator.
    fn uuid(&mut self) -> String {
        let (a, b) = (self.rng.u64(..), self.rng.u64(..));
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48 & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// Now, to the millisecond, and always after the previous timestamp.
    fn tick(&mut self) -> DateTime<Utc> {
        let now = DateTime::<Utc>::from(std::time::SystemTime::now())
            .trunc_subsecs(3)
            .max(self.clock + chrono::Duration::milliseconds(1));
        self.clock = now;
        now
    }

    fn push_message(
        &mut self,
        conversation_id: &str,
        text: &str,
        role: SenderRole,
        source: MessageSource,
        answers: Option<&str>,
        at: DateTime<Utc>,
    ) -> String {
        let id = self.uuid();
        self.message_at.insert(id.clone(), self.messages.len());
        self.messages_of.entry(conversation_id.to_string()).or_default().push(self.messages.len());
        self.messages.push(StoredMessage {
            id: id.clone(),
            conversation_id: conversation_id.into(),
            text: text.into(),
            role,
            source,
            answers: answers.unwrap_or(&id).to_string(),
            created_at: at,
            feedbacks: Vec::new(),
        });
        if let Some(c) = self.conversation_mut(conversation_id) {
            c.updated_at = c.updated_at.max(at);
        }
        id
    }

    /// Answers the questions whose time has come.
    fn advance(&mut self) {
        let now = Instant::now();
        let due: Vec<(usize, bool)> = self
            .questions
            .iter()
            .enumerate()
            .filter_map(|(i, q)| match q.outcome {
                Outcome::Pending { fails } if q.due <= now => Some((i, fails)),
                _ => None,
            })
            .collect();
        for (i, fails) in due {
            let (question_id, conversation_id) =
                (self.questions[i].id.clone(), self.questions[i].conversation_id.clone());
            self.questions[i].outcome = if fails {
                Outcome::Failed
            } else {
                let reply_id = self.answer(&conversation_id, &question_id);
                Outcome::Completed { reply_id }
            };
        }
    }

    /// Stores the agent's reply to a question; returns the reply's id.
    fn answer(&mut self, conversation_id: &str, question_id: &str) -> String {
        let question = self.message(question_id).map(|m| (m.text.clone(), m.source.clone()));
        let (text, source) = question.unwrap_or_else(|| (String::new(), MessageSource::Api));
        let at = self.tick();
        self.push_message(
            conversation_id,
            &format!("{REPLY_PREFIX}{text}"),
            SenderRole::Assistant,
            source,
            Some(question_id),
            at,
        )
    }

    fn conversation(&self, id: &str) -> Option<&StoredConversation> {
        self.conversation_at.get(id).and_then(|&at| self.conversations.get(at))
    }

    fn conversation_mut(&mut self, id: &str) -> Option<&mut StoredConversation> {
        // The caller may change `updatedAt`.
        self.by_updated = None;
        self.conversation_at.get(id).and_then(|&at| self.conversations.get_mut(at))
    }

    fn user_view(&self, user_id: &str) -> ConversationUser {
        let user = self.users.iter().find(|u| u.id == user_id).cloned().unwrap_or_default();
        ConversationUser {
            id: user.id,
            first_name: user.first_name,
            last_name: user.last_name,
            context: user.context,
            source: user.source,
            fk_id: user.fk_id,
            fk_user_id: user.fk_user_id,
            email: user.email,
            phone_number: user.phone_number,
            metadata: Map::new(),
            is_anonymized: Some(false),
        }
    }

    fn conversation_view(&self, c: &StoredConversation) -> Conversation {
        Conversation {
            id: c.id.clone(),
            conversation_user_id: c.user_id.clone(),
            title: c.title.clone(),
            score: c.score,
            summary: c.summary.clone(),
            ai_conversation_id: c.ai_conversation_id.clone(),
            metadata: c.metadata.clone(),
            ai_call_id: c.ai_call_id.clone(),
            mode: Some(c.mode.clone()),
            conversation_state_id: c.state_id.clone(),
            user: self.user_view(&c.user_id),
            created_at: c.created_at,
            updated_at: c.updated_at,
            assigned_user: (c.mode == ConversationMode::Manual).then(|| self.human_agent.clone()),
            is_anonymized: Some(false),
        }
    }

    fn feedbacks_of(&self, conversation_id: &str) -> Vec<Feedback> {
        self.messages_in(conversation_id)
            .flat_map(|m| &m.feedbacks)
            .map(|f| {
                let at = f.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                Feedback {
                    id: f.id.clone(),
                    vote_type: f.vote.clone(),
                    question: Some(f.question.clone()),
                    answer: Some(f.answer.clone()),
                    comment: f.comment.clone(),
                    user_email: f.user_email.clone(),
                    created_at: at.clone(),
                    updated_at: at,
                }
            })
            .collect()
    }

    fn with_feedbacks_view(&self, c: &StoredConversation) -> ConversationWithFeedbacks {
        let v = self.conversation_view(c);
        ConversationWithFeedbacks {
            id: v.id,
            conversation_user_id: v.conversation_user_id,
            title: v.title,
            score: v.score,
            summary: v.summary,
            ai_conversation_id: v.ai_conversation_id,
            metadata: v.metadata,
            ai_call_id: v.ai_call_id,
            mode: v.mode,
            conversation_state_id: v.conversation_state_id,
            user: v.user,
            created_at: v.created_at,
            updated_at: v.updated_at,
            assigned_user: v.assigned_user,
            is_anonymized: v.is_anonymized,
            feedbacks: self.feedbacks_of(&c.id),
        }
    }

    fn message_view(&self, m: &StoredMessage, with_feedbacks: bool) -> Message {
        let feedbacks = if with_feedbacks {
            m.feedbacks
                .iter()
                .map(|f| MessageFeedback {
                    id: f.id.clone(),
                    vote_type: f.vote.clone(),
                    question: Some(f.question.clone()),
                    answer: Some(f.answer.clone()),
                    comment: f.comment.clone(),
                    user_email: f.user_email.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let full_ai_response = (m.role == SenderRole::Assistant).then(|| FullAiResponse {
            output_text: Some(m.text.clone()),
            reasoning: None,
            url_citations: Some(Vec::new()),
            file_citations: Some(Vec::new()),
        });
        Message {
            id: m.id.clone(),
            message: m.text.clone(),
            raw_message: None,
            conversation_id: m.conversation_id.clone(),
            sender_role: m.role.clone(),
            conversation_message_id: m.answers.clone(),
            source: m.source.clone(),
            created_at: m.created_at,
            conversation_message_feedbacks: feedbacks,
            full_ai_response,
            subagent_id: None,
            expanded_message: None,
            files: Vec::new(),
            is_anonymized: Some(false),
        }
    }

    fn matches_keyword(&self, c: &StoredConversation, agent_name: &str, keyword: &str) -> bool {
        let keyword = keyword.to_lowercase();
        let user = self.users.iter().find(|u| u.id == c.user_id);
        let fields = [
            c.title.as_deref(),
            c.summary.as_deref(),
            Some(agent_name),
            user.map(|u| u.first_name.as_str()),
            user.map(|u| u.last_name.as_str()),
            user.and_then(|u| u.email.as_deref()),
            user.and_then(|u| u.phone_number.as_deref()),
        ];
        fields.into_iter().flatten().any(|f| f.to_lowercase().contains(&keyword))
    }

    /// Finds the user a start request names (by `fkId`, else address or
    /// number), or creates one.
    fn user_for_start(&mut self, start: &StartFields) -> String {
        let person = &start.user;
        let found = self.users.iter().find(|u| {
            (person.fk_id.is_some() && u.fk_id == person.fk_id)
                || match start.channel {
                    Channel::Email => {
                        u.email.as_deref().map(str::to_lowercase) == person.email.as_deref().map(str::to_lowercase)
                    }
                    _ => u.phone_number.is_some() && u.phone_number == person.phone_number,
                }
        });
        if let Some(user) = found {
            return user.id.clone();
        }
        let id = self.uuid();
        self.users.push(User { id: id.clone(), ..start.user.clone() });
        id
    }
}

/// An error answer in the vendor's shape (`ApiError` in the spec).
struct ApiError {
    status: StatusCode,
    name: Option<&'static str>,
    message: String,
    details: Vec<Map<String, Value>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status: i32::from(self.status.as_u16()),
            name: self.name.map(str::to_string),
            message: self.message,
            details: self.details,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// Errors the contract layer finds in a request, in the same shape.
fn render_error(status: StatusCode, message: String) -> Response {
    let name = match status {
        StatusCode::BAD_REQUEST => Some("BAD_REQUEST_ERROR"),
        StatusCode::NOT_FOUND => Some("NOT_FOUND_ERROR"),
        StatusCode::INTERNAL_SERVER_ERROR => None,
        _ => Some("HTTP_ERROR"),
    };
    ApiError { status, name, message, details: Vec::new() }.into_response()
}

fn detail(key: &str, value: &str) -> Vec<Map<String, Value>> {
    let mut map = Map::new();
    map.insert(key.into(), value.into());
    vec![map]
}

/// The vendor's 404 body for an unknown conversation.
fn not_found(conversation_id: &str) -> ApiError {
    entity_not_found("conversationId", conversation_id)
}

/// The vendor's 404 body, naming what was not found (every call that names a
/// conversation, question or user documents a 404; the spec marks the ones
/// the vendor leaves out as inferred).
fn entity_not_found(key: &str, id: &str) -> ApiError {
    ApiError {
        status: StatusCode::NOT_FOUND,
        name: Some("ENTITY_NOT_FOUND_ERROR"),
        message: "ENTITY_NOT_FOUND".into(),
        details: detail(key, id),
    }
}

/// A request the contract layer let through but the handler cannot use: 400,
/// as for any malformed request (`InvalidRequest` in the spec).
fn invalid(message: String) -> ApiError {
    ApiError { status: StatusCode::BAD_REQUEST, name: Some("BAD_REQUEST_ERROR"), message, details: Vec::new() }
}

/// The vendor's 500 body, for a failure of the agent itself.
fn internal(reason: impl Into<String>) -> ApiError {
    let reason: String = reason.into();
    ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        name: None,
        message: "Internal Server Error".into(),
        details: detail("reason", &reason),
    }
}

fn bad_request(message: &str, conversation_id: &str) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        name: Some("BAD_REQUEST_ERROR"),
        message: message.into(),
        details: detail("conversationId", conversation_id),
    }
}

type Answer = Result<Response, ApiError>;

/// JSON the contract layer has already checked against the spec.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| invalid(format!("request body: {e}")))
}

fn json(status: StatusCode, value: impl serde::Serialize) -> Response {
    super::sized_json(status, &value, super::DEFAULT_JSON_CAPACITY)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    page: Option<i32>,
    page_size: Option<i32>,
    order_by: Option<ConversationOrderBy>,
    order_direction: Option<OrderDirection>,
    search_keyword: Option<String>,
    user_id: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    with_feedbacks_only: Option<bool>,
}

fn parse_time(name: &str, text: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    text.map(|t| {
        crate::spec::validate::parse_date_time(t)
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| invalid(format!("{name} {t:?} is not an ISO-8601 date-time")))
    })
    .transpose()
}

async fn list_conversations(State(state): State<Arc<RaiaState>>, Query(q): Query<ListQuery>) -> Answer {
    let since = parse_time("startDate", q.start_date.as_deref())?;
    let until = parse_time("endDate", q.end_date.as_deref())?;
    // No documented bounds: a page below 1 is the first, a size below 1 the default.
    let page = q.page.unwrap_or(1).max(1);
    let default_size = i32::try_from(state.config.default_page_size).unwrap_or(10);
    let page_size = q.page_size.filter(|s| *s >= 1).unwrap_or(default_size);
    let page_view = state.world(|w| {
        let selects_all = q.user_id.is_none()
            && since.is_none()
            && until.is_none()
            && q.search_keyword.is_none()
            && q.with_feedbacks_only != Some(true);
        // No default is documented; newest first. Ties keep insertion order
        // (reversed, newest first). `conversations` is in creation order.
        let by_updated = (q.order_by == Some(ConversationOrderBy::UpdatedAt)).then(|| w.by_updated());
        let count = w.conversations.len();
        let ascending = (0..count).map(|rank| by_updated.as_deref().map_or(rank, |order| order.get(rank).copied().unwrap_or(rank)));
        let positions: Box<dyn Iterator<Item = usize>> =
            if q.order_direction == Some(OrderDirection::Asc) { Box::new(ascending) } else { Box::new(ascending.rev()) };
        let size = usize::try_from(page_size).unwrap_or(1);
        let skip = usize::try_from(page - 1).unwrap_or(0).saturating_mul(size);
        let window = skip..skip.saturating_add(size);
        let (listed, total) = if selects_all {
            (positions.skip(window.start).take(size).collect(), count)
        } else {
            let matches = |&at: &usize| {
                w.conversations.get(at).is_some_and(|c| {
                    q.user_id.as_ref().is_none_or(|u| &c.user_id == u)
                        && since.is_none_or(|t| c.updated_at >= t)
                        && until.is_none_or(|t| c.updated_at <= t)
                        && q.search_keyword.as_ref().is_none_or(|k| w.matches_keyword(c, &state.config.agent_name, k))
                        && (q.with_feedbacks_only != Some(true) || w.messages_in(&c.id).any(|m| !m.feedbacks.is_empty()))
                })
            };
            super::paged(positions, &window, matches)
        };
        let data = listed.iter().filter_map(|&at| w.conversations.get(at)).map(|c| w.with_feedbacks_view(c)).collect();
        let total_pages = i32::try_from(total.div_ceil(size)).unwrap_or(i32::MAX);
        ConversationPage {
            current_page: page,
            page_size,
            total_items: i64::try_from(total).unwrap_or(i64::MAX),
            total_pages,
            has_next_page: page < total_pages,
            has_previous_page: page > 1,
            data,
        }
    });
    Ok(json(StatusCode::OK, page_view))
}

async fn create_conversation(State(state): State<Arc<RaiaState>>, body: axum::body::Bytes) -> Answer {
    let request: CreateConversationRequest = parse(&body)?;
    let view = state.world(|w| {
        if !w.users.iter().any(|u| u.id == request.conversation_user_id) {
            return Err(entity_not_found("conversationUserId", &request.conversation_user_id));
        }
        let id = w.uuid();
        let at = w.tick();
        let mut c = w.new_conversation(id, request.conversation_user_id.clone(), Channel::Api, at);
        c.title = request.title.as_ref().map(|t| t.to_string());
        c.state_id = request.conversation_state_id.clone();
        if !request.custom_data.is_empty() {
            c.metadata.insert("customData".into(), Value::Object(request.custom_data.clone()));
        }
        let view = w.conversation_view(&c);
        w.add_conversation(c);
        Ok(view)
    })?;
    Ok(json(StatusCode::CREATED, view))
}

async fn delete_user_conversations(State(state): State<Arc<RaiaState>>, body: axum::body::Bytes) -> Answer {
    let request: DeleteUserConversationsRequest = parse(&body)?;
    state.world(|w| {
        let gone: HashSet<String> = w
            .conversations
            .iter()
            .filter(|c| c.user_id == request.conversation_user_id)
            .map(|c| c.id.clone())
            .collect();
        w.remove_conversations(&gone);
    });
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_states(State(state): State<Arc<RaiaState>>) -> Answer {
    let states = state.world(|w| ConversationStateList(w.states.clone()));
    Ok(json(StatusCode::OK, states))
}

/// What the three start variants share, for finding or creating the user:
/// the same fields under the same names in each (the contract layer has
/// matched the body to exactly one variant, so they are typed already).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartFields {
    #[serde(skip)]
    channel: Channel,
    /// Who the conversation is with (found by `fkId`, email or phone, else added).
    #[serde(flatten)]
    user: User,
    #[serde(default)]
    custom_data: Map<String, Value>,
    #[serde(rename = "conversationStateId")]
    state_id: Option<String>,
    #[serde(rename = "resetConversation", default)]
    reset: bool,
    #[serde(skip)]
    title: Option<String>,
    /// The agent's first outbound message.
    #[serde(skip)]
    opening: String,
}

async fn start_conversation(State(state): State<Arc<RaiaState>>, body: axum::body::Bytes) -> Answer {
    let raw: Value = parse(&body)?;
    let mut start: StartFields = parse(&body)?;
    // The variant's own fields: the channel, its opening and title.
    let text = |name: &str| raw.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    match raw.get("channel").and_then(Value::as_str) {
        Some("email") => {
            start.channel = Channel::Email;
            start.opening = format!("{}\n\n{}", text("emailSubject"), text("emailIntroduction"));
            start.title = Some(text("emailSubject"));
        }
        Some("sms") => {
            start.channel = Channel::Sms;
            start.opening = text("smsIntroduction");
        }
        _ => {
            start.channel = Channel::Voice;
            start.opening = text("firstMessage");
            start.title = Some("Voice call".into());
            // Every call is a conversation of its own.
            start.reset = true;
        }
    }
    let conversation_id = state.world(|w| {
        let user_id = w.user_for_start(&start);
        let at = w.tick();
        let current = w
            .conversations
            .iter()
            .rev()
            .find(|c| c.user_id == user_id && c.status == ConversationStatus::Active && c.channel != Channel::Voice)
            .map(|c| c.id.clone());
        let id = match current {
            Some(id) if !start.reset => id,
            current => {
                // resetConversation archives the current conversation.
                if let Some(c) = current.and_then(|id| w.conversation_mut(&id)) {
                    c.status = ConversationStatus::Archived;
                }
                let id = w.uuid();
                let mut c = w.new_conversation(id.clone(), user_id, start.channel, at);
                c.title = start.title.clone();
                c.state_id = start.state_id.clone();
                if !start.custom_data.is_empty() {
                    c.metadata.insert("customData".into(), Value::Object(start.custom_data.clone()));
                }
                w.add_conversation(c);
                id
            }
        };
        w.push_message(&id, &start.opening, SenderRole::Assistant, start.channel.source(), None, at);
        id
    });
    Ok(json(StatusCode::CREATED, StartedConversation { conversation_id }))
}

async fn get_conversation(State(state): State<Arc<RaiaState>>, Path(id): Path<String>) -> Answer {
    let view = state.world(|w| w.conversation(&id).map(|c| w.with_feedbacks_view(c)));
    Ok(json(StatusCode::OK, view.ok_or_else(|| not_found(&id))?))
}

async fn update_conversation(
    State(state): State<Arc<RaiaState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Answer {
    let request: UpdateConversationRequest = parse(&body)?;
    change_conversation(&state, &id, |c| {
        if let Some(title) = &request.title {
            c.title = Some(title.to_string());
        }
        if let Some(status) = &request.status {
            c.status = status.clone();
        }
        if let Some(state_id) = &request.conversation_state_id {
            c.state_id = Some(state_id.clone());
        }
    })
}

/// Changes conversation `id` with `edit`, stamped now; answers its view (404: no such conversation).
fn change_conversation(state: &RaiaState, id: &str, edit: impl FnOnce(&mut StoredConversation)) -> Answer {
    let view = state.world(|w| {
        let at = w.tick();
        let c = w.conversation_mut(id).ok_or_else(|| not_found(id))?;
        edit(c);
        c.updated_at = at;
        let c = c.clone();
        Ok(w.conversation_view(&c))
    })?;
    Ok(json(StatusCode::OK, view))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessagesQuery {
    should_include_feedbacks: Option<bool>,
    order_direction: Option<OrderDirection>,
}

async fn list_messages(
    State(state): State<Arc<RaiaState>>,
    Path(id): Path<String>,
    Query(q): Query<MessagesQuery>,
) -> Answer {
    let messages = state.world(|w| {
        w.conversation(&id).ok_or_else(|| not_found(&id))?;
        let with_feedbacks = q.should_include_feedbacks == Some(true);
        let mut messages: Vec<Message> =
            w.messages_in(&id).map(|m| w.message_view(m, with_feedbacks)).collect();
        if q.order_direction == Some(OrderDirection::Desc) {
            messages.reverse();
        }
        Ok(messages)
    })?;
    Ok(json(StatusCode::OK, MessageList { messages }))
}

fn fails(question: &str) -> bool {
    question.to_lowercase().contains(FAIL_TRIGGER)
}

/// Stores the user's question; the conversation must exist (404 otherwise).
fn store_question(w: &mut World, conversation_id: &str, request: &AgentMessageRequest) -> Result<String, ApiError> {
    w.conversation(conversation_id).ok_or_else(|| not_found(conversation_id))?;
    let at = w.tick();
    Ok(w.push_message(conversation_id, &request.message, SenderRole::ConversationUser, MessageSource::Api, None, at))
}

async fn send_message(State(state): State<Arc<RaiaState>>, Path(id): Path<String>, body: axum::body::Bytes) -> Answer {
    let request: AgentMessageRequest = parse(&body)?;
    let reply = state.world(|w| {
        let question_id = store_question(w, &id, &request)?;
        if fails(&request.message) {
            return Err(internal(REPLY_FAILURE));
        }
        let reply_id = w.answer(&id, &question_id);
        w.stored(&reply_id)
    })?;
    Ok(json(StatusCode::CREATED, reply))
}

async fn send_message_async(
    State(state): State<Arc<RaiaState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Answer {
    let request: AgentMessageRequest = parse(&body)?;
    let due = Instant::now() + state.config.reply_delay;
    let question = state.world(|w| {
        let question_id = store_question(w, &id, &request)?;
        w.questions.push(Question {
            id: question_id.clone(),
            conversation_id: id.clone(),
            due,
            outcome: Outcome::Pending { fails: fails(&request.message) },
        });
        w.stored(&question_id)
    })?;
    Ok(json(StatusCode::CREATED, question))
}

async fn get_message_response(
    State(state): State<Arc<RaiaState>>,
    Path((id, question)): Path<(String, String)>,
) -> Answer {
    let reply = state.world(|w| {
        let message = |reply_id: &str| w.message(reply_id).map(|m| w.message_view(m, false));
        if let Some(q) = w.questions.iter().find(|q| q.id == question && q.conversation_id == id) {
            return Ok(match &q.outcome {
                Outcome::Pending { .. } => AgentReply { status: AgentReplyStatus::Pending, message: None, error: None },
                Outcome::Completed { reply_id } => {
                    AgentReply { status: AgentReplyStatus::Completed, message: message(reply_id), error: None }
                }
                Outcome::Failed => {
                    AgentReply { status: AgentReplyStatus::Failed, message: None, error: Some(REPLY_FAILURE.into()) }
                }
            });
        }
        // A question sent synchronously (or seeded) has its answer already.
        let answered = w.messages_in(&id).find(|m| m.answers == question && m.id != question);
        match answered {
            Some(reply) => Ok(AgentReply {
                status: AgentReplyStatus::Completed,
                message: Some(w.message_view(reply, false)),
                error: None,
            }),
            None => Err(match w.conversation(&id) {
                Some(_) => entity_not_found("questionMessageId", &question),
                None => not_found(&id),
            }),
        }
    })?;
    Ok(json(StatusCode::OK, reply))
}

async fn set_mode(State(state): State<Arc<RaiaState>>, Path(id): Path<String>, body: axum::body::Bytes) -> Answer {
    let request: ConversationModeRequest = parse(&body)?;
    change_conversation(&state, &id, |c| c.mode = request.mode)
}

async fn send_manual_message(
    State(state): State<Arc<RaiaState>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Answer {
    let request: ManualMessageRequest = parse(&body)?;
    let sent = state.world(|w| {
        let c = w.conversation(&id).ok_or_else(|| not_found(&id))?;
        if c.channel == Channel::Voice {
            return Err(bad_request(VOICE_MESSAGE, &id));
        }
        if c.mode != ConversationMode::Manual {
            return Err(bad_request(NOT_MANUAL_MESSAGE, &id));
        }
        let source = c.channel.source();
        // The message answers the one named, else the user's latest.
        let answers = request.conversation_message_id.clone().or_else(|| {
            w.messages_in(&id).rev().find(|m| m.role == SenderRole::ConversationUser).map(|m| m.id.clone())
        });
        let at = w.tick();
        let sent_id =
            w.push_message(&id, &request.message, SenderRole::ManualAssistant, source, answers.as_deref(), at);
        w.stored(&sent_id)
    })?;
    Ok(json(StatusCode::OK, sent))
}
