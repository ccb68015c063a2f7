//! The raia AI Agent API emulator (Conversations).
//!
//! Conversations, their states and messages live in the generic store
//! (listed with numbered pages, sorted, read, updated); what the spec cannot
//! say is here. One agent, reached with its secret key (`Agent-Secret-Key`;
//! anything else is the vendor's 403 body). The seeded users,
//! conversations (each with a channel: API, live chat, email, SMS or
//! voice), states and messages with feedbacks: conversation 0 is an
//! AI-mode API chat, conversation 1 a manual-mode live chat and
//! conversation 2 a manual-mode voice call, so every manual-message rule
//! can be reached. A seeded conversation's messages are made when first
//! read. Lists are newest first, ten a page, unless asked otherwise; the
//! keyword search also finds the agent's name; a conversation in manual
//! mode is assigned to a human agent; every write stamps `updatedAt`.
//!
//! The agent is deterministic: it answers `REPLY_PREFIX` followed by the
//! question. A question sent asynchronously stays `pending` for
//! `reply_delay`, then is `completed`; one that contains [`FAIL_TRIGGER`]
//! ends `failed` instead (and a synchronous send of it is a 500). Replies are
//! worked out when the next request comes, from the time, so no background
//! task is needed. A start finds its user (by `fkId`, else address or
//! number) or adds one, and continues the user's current conversation
//! unless `resetConversation` (or a call) starts a new one.
//!
//! Errors are the vendor's bodies: 404 `ENTITY_NOT_FOUND` and the 500 with
//! the reason in `details`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, SubsecRound, TimeZone, Utc};
use serde_json::{Value, json};

use super::store::{Answer, Context, Hooks, Records, Refusal, text};
use super::{HarnessConfig, Refused, Sandbox};
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
    RaiaSandbox = RaiaState(RaiaConfig, crate::raia::SPEC_JSON) {}

    fn new(seed: u64, config: RaiaConfig) -> Self {
        Self { world: Mutex::new(World::seeded(seed, &config)), seed, config }
    }

    fn hooks(state: &Arc<Self>) -> Option<Arc<dyn Hooks>> {
        Some(state.clone())
    }

    fn render_error(status: StatusCode, message: String) -> Response {
        render_error(status, message)
    }

    /// Every call needs the agent's secret key (`agentSecretKey`); anything
    /// else is the vendor's 403.
    fn authenticate(&self, _: &str, key: Option<&str>, _: &axum::http::request::Parts) -> Result<(), Refused> {
        match key == Some(self.config.secret_key.expose()) {
            true => Ok(()),
            false => Err(render_error(StatusCode::FORBIDDEN, "INVALID_CREDENTIALS".into()).into()),
        }
    }
}

/// The collection of conversations (a spec path); each has its `/messages`.
const CONVERSATIONS: &str = "/external/conversations";
/// The collection of conversation states.
const STATES: &str = "/external/conversations/states";

fn messages_of(conversation: &str) -> String {
    format!("{CONVERSATIONS}/{conversation}/messages")
}

impl Sandbox<RaiaState> {
    /// The secret key the emulator accepts.
    pub fn secret_key(&self) -> Secret {
        self.api.config.secret_key.clone()
    }

    /// Ids of the conversations, oldest first.
    pub fn conversation_ids(&self) -> Vec<String> {
        self.record_fields(CONVERSATIONS, "id")
    }

    /// Ids of the conversation users, oldest first.
    pub fn user_ids(&self) -> Vec<String> {
        self.api.world(|w| w.users.iter().filter_map(|u| u.get("id").and_then(text)).collect())
    }

    /// Ids of the conversation states.
    pub fn state_ids(&self) -> Vec<String> {
        self.record_fields(STATES, "id")
    }

    /// Adds a conversation user without conversations; returns its id.
    pub fn add_user(&self, first_name: &str, last_name: &str) -> String {
        self.api.world(|w| {
            let id = uuid(&mut w.rng);
            w.users.push(json!({"id": id, "firstName": first_name, "lastName": last_name, "isAnonymized": false}));
            id
        })
    }
}

/// The emulator's settings, users and questions; the store has the rest.
#[derive(Debug)]
pub struct RaiaState {
    seed: u64,
    config: RaiaConfig,
    world: Mutex<World>,
}

#[derive(Debug)]
struct World {
    rng: fastrand::Rng,
    users: Vec<Value>,
    states: Vec<Value>,
    /// Seeded conversations by id: their number, which their messages are made from.
    seeded: HashMap<String, usize>,
    /// Questions sent asynchronously, and what became of them.
    questions: Vec<Question>,
    /// The last timestamp handed out; each new one is later.
    clock: DateTime<Utc>,
    /// The human agent manual-mode conversations are assigned to.
    human_agent: Value,
}

#[derive(Debug)]
struct Question {
    id: String,
    conversation: String,
    due: Instant,
    fails: bool,
    /// `None` while pending; then the reply, or `None` inside for a failure.
    reply: Option<Option<Value>>,
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
/// The message source (the channel) of seeded conversation `i` is `CHANNELS[i % 6]`.
const CHANNELS: [&str; 6] = ["api", "live_chat", "voice", "email", "sms", "api"];

/// When the seed starts.
fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).single().unwrap_or_default()
}

fn minutes(m: usize) -> chrono::Duration {
    i64::try_from(m).ok().and_then(chrono::Duration::try_minutes).unwrap_or_default()
}

/// A timestamp as the API writes it (and as the store orders it: one width).
fn stamp(at: DateTime<Utc>) -> Value {
    Value::from(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// A random (version 4) UUID from a seeded generator.
fn uuid(rng: &mut fastrand::Rng) -> String {
    let (a, b) = (rng.u64(..), rng.u64(..));
    let variant = 0x8000 | (b >> 48 & 0x3fff);
    format!("{:08x}-{:04x}-4{:03x}-{variant:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff, b & 0xffff_ffff_ffff)
}

/// Sets (or, with `Null`, removes) a field of a record.
fn set(record: &mut Value, name: &str, value: Value) {
    if let Some(fields) = record.as_object_mut() {
        match value {
            Value::Null => fields.remove(name),
            value => fields.insert(name.to_owned(), value),
        };
    }
}

fn field<'v>(record: &'v Value, name: &str) -> &'v str {
    record.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// A new conversation of `user`, in AI mode, with no messages.
fn conversation(rng: &mut fastrand::Rng, user: &Value, voice: bool, at: DateTime<Utc>) -> Value {
    let mut c = json!({
        "id": uuid(rng), "conversationUserId": user.get("id"), "user": user, "status": "active", "mode": "ai",
        "aiConversationId": format!("conv_{:016x}{:08x}", rng.u64(..), rng.u32(..)), "metadata": {},
        "createdAt": stamp(at), "updatedAt": stamp(at), "isAnonymized": false, "feedbacks": [],
    });
    if voice {
        set(&mut c, "aiCallId", format!("call_{:016x}", rng.u64(..)).into());
    }
    c
}

/// A message of `conversation`: `answers` is the question it answers (none: it is one).
fn message(id: String, conversation: &str, text: &str, role: &str, source: &str, answers: Option<&str>) -> Value {
    let mut m = json!({
        "id": id, "message": text, "conversationId": conversation, "senderRole": role,
        "conversationMessageId": answers.unwrap_or(&id), "source": source,
        "conversationMessageFeedbacks": [], "isAnonymized": false,
    });
    if role == "assistant" {
        set(&mut m, "fullAIResponse", json!({"outputText": text, "urlCitations": [], "fileCitations": []}));
    }
    m
}

/// A message as an answer shows it, without its feedbacks.
fn plain(mut message: Value) -> Value {
    set(&mut message, "conversationMessageFeedbacks", json!([]));
    message
}

impl World {
    fn seeded(seed: u64, config: &RaiaConfig) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let human_agent = json!({"id": uuid(&mut rng), "firstName": "Sam", "lastName": "Support",
                                 "email": "sam.support@sandbox.example"});
        let created = "2023-01-01T00:00:00.000Z";
        let states = [
            ("New", "Not looked at yet", "#3b82f6", true),
            ("In progress", "A human is on it", "#f59e0b", false),
            ("Resolved", "Nothing left to do", "#10b981", true),
        ]
        .map(|(name, description, color, persistent)| {
            json!({"id": uuid(&mut rng), "name": name, "description": description, "color": color,
                   "isPersistent": persistent, "createdAt": created, "updatedAt": created})
        });
        let users = (0..config.users.max(1)).map(|i| {
            let (first, last) = (FIRST_NAMES[i % FIRST_NAMES.len()], LAST_NAMES[(i / 2 + i) % LAST_NAMES.len()]);
            json!({"id": uuid(&mut rng), "firstName": first, "lastName": last, "source": "webchat",
                   "email": format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase()),
                   "phoneNumber": format!("+1555010{i:04}"), "fkId": format!("crm-{}", 1000 + i), "isAnonymized": false})
        });
        let users = users.collect();
        // Every seeded timestamp is before the first one handed out.
        let clock = start() + minutes(config.conversations.saturating_mul(90).saturating_add(10));
        let (seeded, questions, states) = (HashMap::new(), Vec::new(), states.to_vec());
        World { rng, users, states, seeded, questions, clock, human_agent }
    }

    /// Now, to the millisecond, and always after the previous timestamp.
    fn tick(&mut self) -> DateTime<Utc> {
        let now = DateTime::<Utc>::from(std::time::SystemTime::now())
            .trunc_subsecs(3)
            .max(self.clock + chrono::Duration::milliseconds(1));
        self.clock = now;
        now
    }

    /// Finds the user a start request names (by `fkId`, else address or
    /// number), or adds one.
    fn user_for(&mut self, start: &Value, by_email: bool) -> Value {
        let same = |u: &Value, name: &str| {
            let (mine, theirs) = (u.get(name).and_then(Value::as_str), start.get(name).and_then(Value::as_str));
            let fold = |t: &str| if name == "email" { t.to_lowercase() } else { t.to_owned() };
            mine.is_some() && mine.map(fold) == theirs.map(fold)
        };
        let by = if by_email { "email" } else { "phoneNumber" };
        if let Some(user) = self.users.iter().find(|u| same(u, "fkId") || same(u, by)) {
            return user.clone();
        }
        let mut user = json!({"id": uuid(&mut self.rng), "isAnonymized": false});
        for name in ["firstName", "lastName", "email", "phoneNumber", "context", "source", "fkId", "fkUserId"] {
            set(&mut user, name, start.get(name).cloned().unwrap_or_default());
        }
        self.users.push(user.clone());
        user
    }
}

impl RaiaState {
    fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Seeded conversation `i` and its messages (a question, the agent's
    /// answer, a thank-you and its answer; every third has a vote on its
    /// first answer), made from the seed alone.
    fn seeded(&self, i: usize, user: &Value, states: &[Value]) -> (Value, Vec<Value>) {
        let mut rng = fastrand::Rng::with_seed(super::mix(self.seed ^ (i as u64).rotate_left(32)));
        let (source, (topic, question)) = (CHANNELS[i % CHANNELS.len()], TOPICS[i % TOPICS.len()]);
        let created = start() + minutes(i * 90);
        let mut c = conversation(&mut rng, user, source == "voice", created);
        let (id, manual) = (field(&c, "id").to_owned(), matches!(i % 4, 1 | 2));
        for (name, value) in [
            ("mode", Value::from(if manual { "manual" } else { "ai" })),
            ("assignedUser", if manual { self.world(|w| w.human_agent.clone()) } else { Value::Null }),
            ("title", topic.into()),
            ("summary", format!("{} asked about {}.", field(user, "firstName"), topic.to_lowercase()).into()),
            ("score", ((1 + i % 5) as f64).into()),
            ("conversationStateId", states.get(i % 3).and_then(|s| s.get("id")).cloned().unwrap_or_default()),
        ] {
            set(&mut c, name, value);
        }
        let (mut messages, mut feedbacks, mut at) = (Vec::new(), Vec::new(), created);
        for (k, text) in [question, "Thanks, that helps."].into_iter().enumerate() {
            let mut asked = message(uuid(&mut rng), &id, text, "conversation_user", source, None);
            set(&mut asked, "createdAt", stamp(at + minutes(2)));
            at += minutes(3);
            let reply = format!("{REPLY_PREFIX}{text}");
            let mut answer = message(uuid(&mut rng), &id, &reply, "assistant", source, Some(field(&asked, "id")));
            set(&mut answer, "createdAt", stamp(at));
            if k == 0 && i.is_multiple_of(3) {
                let (vote, comment) = if i.is_multiple_of(2) { ("up", "Helpful") } else { ("down", "Not what I asked") };
                let mut feedback = json!({"id": uuid(&mut rng), "voteType": vote, "question": text, "answer": reply,
                                          "comment": comment, "userEmail": user.get("email")});
                set(&mut answer, "conversationMessageFeedbacks", json!([feedback]));
                for name in ["createdAt", "updatedAt"] {
                    set(&mut feedback, name, stamp(at + minutes(1)));
                }
                feedbacks.push(feedback);
            }
            messages.extend([asked, answer]);
        }
        set(&mut c, "feedbacks", feedbacks.into());
        set(&mut c, "updatedAt", stamp(at));
        (c, messages)
    }

    /// Adds a message to a conversation, which it makes the latest updated.
    fn push(&self, records: &mut Records<'_>, conversation: &str, text: &str, role: &str, source: &str, answers: Option<&str>) -> Value {
        let (id, at) = self.world(|w| (uuid(&mut w.rng), w.tick()));
        let mut sent = message(id, conversation, text, role, source, answers);
        set(&mut sent, "createdAt", stamp(at));
        records.of(&messages_of(conversation)).push(sent.clone());
        if let Some(c) = records.get(CONVERSATIONS, conversation) {
            set(c, "updatedAt", stamp(at));
        }
        sent
    }

    /// Answers the questions whose time has come.
    fn advance(&self, records: &mut Records<'_>) {
        let now = Instant::now();
        let due: Vec<(String, String, bool)> = self.world(|w| {
            let due = w.questions.iter().filter(|q| q.reply.is_none() && q.due <= now);
            due.map(|q| (q.id.clone(), q.conversation.clone(), q.fails)).collect()
        });
        for (question, conversation, fails) in due {
            let asked = records.of(&messages_of(&conversation)).iter().find(|m| field(m, "id") == question).cloned();
            let reply = match asked {
                Some(asked) if !fails && records.get(CONVERSATIONS, &conversation).is_some() => {
                    let text = format!("{REPLY_PREFIX}{}", field(&asked, "message"));
                    Some(self.push(records, &conversation, &text, "assistant", field(&asked, "source"), Some(&question)))
                }
                _ => None,
            };
            self.world(|w| w.questions.iter_mut().filter(|q| q.id == question).for_each(|q| q.reply = Some(reply.clone())));
        }
    }

    fn ask(&self, records: &mut Records<'_>, conversation: &str, body: &Value, wait: bool) -> Answer {
        records.get(CONVERSATIONS, conversation).ok_or_else(|| not_found(conversation))?;
        let text = field(body, "message");
        let asked = self.push(records, conversation, text, "conversation_user", "api", None);
        let fails = text.to_lowercase().contains(FAIL_TRIGGER);
        if !wait {
            let (id, due) = (field(&asked, "id").to_owned(), Instant::now() + self.config.reply_delay);
            self.world(|w| w.questions.push(Question { id, conversation: conversation.into(), due, fails, reply: None }));
            return Ok((201, asked));
        }
        if fails {
            return Err((StatusCode::INTERNAL_SERVER_ERROR, REPLY_FAILURE.into()));
        }
        let reply = format!("{REPLY_PREFIX}{text}");
        Ok((201, self.push(records, conversation, &reply, "assistant", "api", Some(field(&asked, "id")))))
    }

    fn reply(&self, records: &mut Records<'_>, conversation: &str, question: &str) -> Answer {
        let asked = self.world(|w| w.questions.iter().find(|q| q.id == question && q.conversation == conversation).map(|q| q.reply.clone()));
        let (status, message, error) = match asked {
            Some(None) => ("pending", Value::Null, Value::Null),
            Some(Some(None)) => ("failed", Value::Null, REPLY_FAILURE.into()),
            Some(Some(Some(reply))) => ("completed", reply, Value::Null),
            // A question sent synchronously (or seeded) has its answer already.
            None => {
                records.get(CONVERSATIONS, conversation).ok_or_else(|| not_found(conversation))?;
                let messages = records.of(&messages_of(conversation));
                let answer = messages.iter().find(|m| field(m, "conversationMessageId") == question && field(m, "id") != question);
                let missing = || (StatusCode::NOT_FOUND, format!("no question {question} in conversation {conversation}"));
                ("completed", plain(answer.ok_or_else(missing)?.clone()), Value::Null)
            }
        };
        Ok((200, json!({"status": status, "message": message, "error": error})))
    }

    fn set_mode(&self, records: &mut Records<'_>, id: &str, body: &Value) -> Answer {
        let (at, human_agent) = self.world(|w| (w.tick(), w.human_agent.clone()));
        let c = records.get(CONVERSATIONS, id).ok_or_else(|| not_found(id))?;
        let manual = field(body, "mode") == "manual";
        set(c, "mode", body.get("mode").cloned().unwrap_or_default());
        set(c, "assignedUser", if manual { human_agent } else { Value::Null });
        set(c, "updatedAt", stamp(at));
        Ok((200, c.clone()))
    }

    fn send_manual(&self, records: &mut Records<'_>, id: &str, body: &Value) -> Answer {
        let c = records.get(CONVERSATIONS, id).ok_or_else(|| not_found(id))?;
        if c.get("aiCallId").is_some() {
            return Err((StatusCode::BAD_REQUEST, VOICE_MESSAGE.into()));
        }
        if field(c, "mode") != "manual" {
            return Err((StatusCode::BAD_REQUEST, NOT_MANUAL_MESSAGE.into()));
        }
        let messages = records.of(&messages_of(id));
        // The channel's source; the message answers the one named, else the user's latest.
        let source = messages.first().map_or("api", |m| field(m, "source")).to_owned();
        let latest = messages.iter().rev().find(|m| field(m, "senderRole") == "conversation_user");
        let answers = body.get("conversationMessageId").and_then(Value::as_str).or(latest.map(|m| field(m, "id")));
        let answers = answers.map(str::to_owned);
        Ok((200, self.push(records, id, field(body, "message"), "manual_assistant", &source, answers.as_deref())))
    }

    fn start(&self, records: &mut Records<'_>, body: &Value) -> Answer {
        let (channel, text) = (field(body, "channel"), |name: &str| field(body, name).to_owned());
        let reset = body.get("resetConversation").and_then(Value::as_bool) == Some(true);
        let (opening, title, reset) = match channel {
            "email" => (format!("{}\n\n{}", text("emailSubject"), text("emailIntroduction")), Some(text("emailSubject")), reset),
            "sms" => (text("smsIntroduction"), None, reset),
            // Every call is a conversation of its own.
            _ => (text("firstMessage"), Some("Voice call".to_owned()), true),
        };
        let user = self.world(|w| w.user_for(body, channel == "email"));
        let conversations = records.of(CONVERSATIONS);
        let current = conversations.iter_mut().rev().find(|c| {
            c.get("conversationUserId") == user.get("id") && field(c, "status") == "active" && c.get("aiCallId").is_none()
        });
        let id = match current {
            Some(c) if !reset => field(c, "id").to_owned(),
            current => {
                // resetConversation archives the current conversation.
                if let Some(c) = current {
                    set(c, "status", "archived".into());
                }
                let mut c = self.world(|w| {
                    let at = w.tick();
                    conversation(&mut w.rng, &user, channel == "voice", at)
                });
                set(&mut c, "title", title.map(Value::from).unwrap_or_default());
                set(&mut c, "conversationStateId", body.get("conversationStateId").cloned().unwrap_or_default());
                set(&mut c, "metadata", custom_data(body));
                let id = field(&c, "id").to_owned();
                conversations.push(c);
                id
            }
        };
        let source = if matches!(channel, "email" | "sms") { channel } else { "voice" };
        self.push(records, &id, &opening, "assistant", source, None);
        Ok((201, json!({"conversationId": id})))
    }
}

/// A conversation's `metadata`: the request's `customData`, if any.
fn custom_data(body: &Value) -> Value {
    match body.get("customData").and_then(Value::as_object) {
        Some(data) if !data.is_empty() => json!({"customData": data}),
        _ => json!({}),
    }
}

impl Hooks for RaiaState {
    fn seed(&self, path: &str) -> Option<Vec<Value>> {
        // The seeded users (the first ones) take turns.
        let seeded_users = self.config.users.max(1);
        let (users, states) = self.world(|w| (w.users[..seeded_users.min(w.users.len())].to_vec(), w.states.clone()));
        let made = |i: usize| self.seeded(i, users.get(i % seeded_users).unwrap_or(&Value::Null), &states);
        if path == STATES {
            return Some(states);
        }
        if path == CONVERSATIONS {
            let seeded: Vec<Value> = (0..self.config.conversations).map(|i| made(i).0).collect();
            self.world(|w| w.seeded.extend(seeded.iter().enumerate().map(|(i, c)| (field(c, "id").to_owned(), i))));
            return Some(seeded);
        }
        let conversation = path.strip_prefix(CONVERSATIONS)?.strip_prefix('/')?.strip_suffix("/messages")?;
        let i = self.world(|w| w.seeded.get(conversation).copied());
        Some(i.map(|i| made(i).1).unwrap_or_default())
    }

    fn defaults(&self, operation_id: &str) -> Vec<(String, String)> {
        match operation_id {
            // No default is documented; newest first.
            "listConversations" => {
                vec![("pageSize".into(), self.config.default_page_size.to_string()), ("orderDirection".into(), "DESC".into())]
            }
            _ => Vec::new(),
        }
    }

    fn keeps(&self, request: &Context<'_>, c: &Value) -> bool {
        let time = |t: &str| crate::spec::validate::parse_date_time(t).map(|t| t.with_timezone(&Utc));
        let updated = || time(field(c, "updatedAt"));
        let found = |keyword: &str| {
            let keyword = keyword.to_lowercase();
            let user = c.get("user").unwrap_or(&Value::Null);
            let user = ["firstName", "lastName", "email", "phoneNumber"].map(|name| field(user, name));
            let fields = [field(c, "title"), field(c, "summary"), &self.config.agent_name].into_iter().chain(user);
            fields.into_iter().any(|f| f.to_lowercase().contains(&keyword))
        };
        request.param("userId").is_none_or(|u| field(c, "conversationUserId") == u)
            && request.param("startDate").and_then(time).is_none_or(|t| updated().is_some_and(|u| u >= t))
            && request.param("endDate").and_then(time).is_none_or(|t| updated().is_some_and(|u| u <= t))
            && request.param("searchKeyword").is_none_or(found)
            && (request.param("withFeedbacksOnly") != Some("true")
                || c.get("feedbacks").and_then(Value::as_array).is_some_and(|f| !f.is_empty()))
    }

    fn write(&self, request: &Context<'_>, record: &mut Value, _before: Option<&Value>) -> Result<(), Refusal> {
        let user_id = field(record, "conversationUserId").to_owned();
        let written = self.world(|w| {
            let at = w.tick();
            if request.operation_id != "createConversation" {
                return Ok((None, at));
            }
            let user = w.users.iter().find(|u| field(u, "id") == user_id).cloned();
            let user = user.ok_or_else(|| (StatusCode::NOT_FOUND, format!("no conversationUserId {user_id}")))?;
            Ok((Some(conversation(&mut w.rng, &user, false, at)), at))
        });
        match written? {
            (Some(mut c), _) => {
                for name in ["title", "conversationStateId"] {
                    set(&mut c, name, record.get(name).cloned().unwrap_or_default());
                }
                set(&mut c, "metadata", custom_data(record));
                *record = c;
            }
            (None, at) => set(record, "updatedAt", stamp(at)),
        }
        Ok(())
    }

    fn show(&self, request: &Context<'_>, message: &mut Value) {
        if request.operation_id == "listMessages" && request.param("shouldIncludeFeedbacks") != Some("true") {
            set(message, "conversationMessageFeedbacks", json!([]));
        }
    }

    fn answer(&self, request: &Context<'_>, body: &Value, records: &mut Records<'_>) -> Option<Answer> {
        self.advance(records);
        let id = request.path_param("id");
        Some(match request.operation_id {
            "startConversation" => self.start(records, body),
            "deleteUserConversations" => {
                let user = body.get("conversationUserId");
                let gone = records.remove(CONVERSATIONS, |c| c.get("conversationUserId") == user);
                let gone: Vec<&str> = gone.iter().map(|c| field(c, "id")).collect();
                self.world(|w| w.questions.retain(|q| !gone.contains(&q.conversation.as_str())));
                Ok((204, Value::Null))
            }
            "setConversationMode" => self.set_mode(records, id, body),
            "sendMessage" => self.ask(records, id, body, true),
            "sendMessageAsync" => self.ask(records, id, body, false),
            "getMessageResponse" => self.reply(records, id, request.path_param("questionMessageId")),
            "sendManualMessage" => self.send_manual(records, id, body),
            _ => return None,
        })
    }
}

fn not_found(conversation: &str) -> Refusal {
    (StatusCode::NOT_FOUND, format!("no conversation {conversation}"))
}

/// An error in the vendor's shape (`ApiError` in the spec): its 404 and
/// 500 bodies, with the reason in `details`; its 403; the others named by
/// their status.
fn render_error(status: StatusCode, message: String) -> Response {
    let reason = json!([{"reason": message}]);
    let body = match status {
        StatusCode::NOT_FOUND => {
            json!({"status": 404, "name": "ENTITY_NOT_FOUND_ERROR", "message": "ENTITY_NOT_FOUND", "details": reason})
        }
        StatusCode::INTERNAL_SERVER_ERROR => json!({"status": 500, "message": "Internal Server Error", "details": reason}),
        status => {
            let name = match status {
                StatusCode::BAD_REQUEST => "BAD_REQUEST_ERROR",
                StatusCode::FORBIDDEN => "FORBIDDEN_ERROR",
                _ => "HTTP_ERROR",
            };
            json!({"status": status.as_u16(), "name": name, "message": message, "details": []})
        }
    };
    (status, axum::Json(body)).into_response()
}
