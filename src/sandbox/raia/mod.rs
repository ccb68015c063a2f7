//! The raia AI Agent API emulator (Conversations). Conversations, their
//! states and messages live in the generic store; here is what the spec
//! cannot say. One agent, reached with its secret key (else the vendor's
//! 403). Seeded users, states and conversations on every channel, whose
//! messages are made when first read: conversation 0 is an AI-mode API
//! chat, 1 a manual-mode live chat, 2 a manual-mode voice call. Lists are
//! newest first, ten a page; manual mode assigns a human agent; every write
//! stamps `updatedAt`. The agent answers `REPLY_PREFIX` and the question:
//! asynchronously after `reply_delay` (worked out on the next request), and
//! a question with [`FAIL_TRIGGER`] fails (a 500 when synchronous). A start
//! finds or adds its user and continues the current conversation unless
//! `resetConversation` (or a call). Errors are the vendor's bodies.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, SubsecRound, TimeZone, Utc};
use serde_json::{Value, json};

use super::store::{Answer, Context, Hooks, Records, Refusal, overlay, text};
use super::{HarnessConfig, Refused, Sandbox, uuid};
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
    RaiaSandbox = RaiaState(RaiaConfig, crate::raia::SPEC_JSON);

    fn new(seed: u64, config: RaiaConfig) -> Self {
        Self { world: Mutex::new(World::seeded(seed, &config)), seed, config }
    }

    fn render_error(status: StatusCode, message: String) -> Response {
        render_error(status, message)
    }

    fn credential(&self, _: &str) -> Option<Secret> {
        Some(self.config.secret_key.clone())
    }

    /// Every call needs the agent's secret key; anything else is the vendor's 403.
    fn authenticate(&self, _: &str, key: Option<&str>, _: &axum::http::request::Parts) -> Result<(), Refused> {
        match key == Some(self.config.secret_key.expose()) {
            true => Ok(()),
            false => Err(render_error(StatusCode::FORBIDDEN, "INVALID_CREDENTIALS".into()).into()),
        }
    }
}

/// The collections of conversations (each has its `/messages`) and states.
const CONVERSATIONS: &str = "/external/conversations";
const STATES: &str = "/external/conversations/states";
/// Marks a question whose asynchronous answer failed (answers do not show it).
const FAILED: &str = "sandboxReplyFailed";

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
        self.records(CONVERSATIONS).iter().filter_map(|c| text(c.get("id")?)).collect()
    }

    /// Ids of the conversation users, oldest first.
    pub fn user_ids(&self) -> Vec<String> {
        self.api.world(|w| w.users.iter().filter_map(|u| u.get("id").and_then(text)).collect())
    }

    /// Ids of the conversation states.
    pub fn state_ids(&self) -> Vec<String> {
        self.records(STATES).iter().filter_map(|s| text(s.get("id")?)).collect()
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

/// The emulator's settings, users and pending questions; the store has the rest.
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
    /// The human agent manual-mode conversations are assigned to.
    human_agent: Value,
    /// Seeded conversations by id: their number, which their messages are made from.
    seeded: HashMap<String, usize>,
    /// Unanswered asynchronous questions: id, conversation, when due, whether it fails.
    pending: Vec<(String, String, Instant, bool)>,
    /// The last timestamp handed out; each new one is later.
    clock: DateTime<Utc>,
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

/// `minutes` after the seed's start (the latest time there is, past it).
fn seed_at(minutes: usize) -> DateTime<Utc> {
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).single().unwrap_or_default();
    let later = i64::try_from(minutes).ok().and_then(chrono::Duration::try_minutes);
    later.and_then(|later| start.checked_add_signed(later)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `minutes` and `more` after the seed's start, as the API writes it.
fn seed_time(minutes: usize, more: usize) -> Value {
    stamp(seed_at(minutes.saturating_add(more)))
}

/// A time as the API writes it (and as the store orders it: one width).
fn stamp(at: DateTime<Utc>) -> Value {
    Value::from(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn field<'v>(record: &'v Value, name: &str) -> &'v str {
    record.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// A new conversation of `user`, active and in AI mode, without messages.
fn conversation(at: Value, rng: &mut fastrand::Rng, user: &Value, voice: bool) -> Value {
    let ai_conversation = format!("conv_{:016x}{:08x}", rng.u64(..), rng.u32(..));
    let mut c = json!({
        "id": uuid(rng), "conversationUserId": user.get("id"), "user": user, "status": "active", "mode": "ai",
        "aiConversationId": ai_conversation, "metadata": {}, "createdAt": at, "updatedAt": at,
        "isAnonymized": false, "feedbacks": [],
    });
    overlay(&mut c, json!({"aiCallId": voice.then(|| format!("call_{:016x}", rng.u64(..)))}));
    c
}

/// A message of `conversation`, answering the question `answers` (none: it is one).
fn message(id: String, conversation: &str, text: &str, role: &str, source: &str, answers: Option<&str>) -> Value {
    let full = (role == "assistant").then(|| json!({"outputText": text, "urlCitations": [], "fileCitations": []}));
    let mut m = json!({
        "id": id, "message": text, "conversationId": conversation, "senderRole": role, "source": source,
        "conversationMessageId": answers.unwrap_or(&id), "conversationMessageFeedbacks": [], "isAnonymized": false,
    });
    overlay(&mut m, json!({"fullAIResponse": full}));
    m
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
        ];
        let states = states.map(|(name, description, color, persistent)| {
            json!({"id": uuid(&mut rng), "name": name, "description": description, "color": color,
                   "isPersistent": persistent, "createdAt": created, "updatedAt": created})
        });
        let users = (0..config.users.max(1)).map(|i| {
            let (first, last) = (FIRST_NAMES[i % FIRST_NAMES.len()], LAST_NAMES[(i / 2 + i) % LAST_NAMES.len()]);
            let email = format!("{}.{}{i}@example.com", first.to_lowercase(), last.to_lowercase());
            json!({"id": uuid(&mut rng), "firstName": first, "lastName": last, "email": email, "source": "webchat",
                   "phoneNumber": format!("+1555010{i:04}"), "fkId": format!("crm-{}", 1000 + i),
                   "isAnonymized": false})
        });
        let users = users.collect();
        // Every seeded time is before the first one handed out.
        let clock = seed_at(config.conversations.saturating_mul(90).saturating_add(10));
        let states = states.to_vec();
        World { rng, users, states, human_agent, seeded: HashMap::new(), pending: Vec::new(), clock }
    }

    /// Now, to the millisecond, and always after the previous timestamp.
    fn tick(&mut self) -> Value {
        let now = DateTime::<Utc>::from(std::time::SystemTime::now()).trunc_subsecs(3);
        let next = self.clock.checked_add_signed(chrono::Duration::milliseconds(1)).unwrap_or(self.clock);
        self.clock = now.max(next);
        stamp(self.clock)
    }

    /// The user a start request names (by `fkId`, else address or number), or a new one.
    fn user_for(&mut self, start: &Value, by_email: bool) -> Value {
        let by = if by_email { "email" } else { "phoneNumber" };
        let same = |u: &Value, name: &str| {
            let fold = |t: &str| if name == "email" { t.to_lowercase() } else { t.to_owned() };
            u.get(name).is_some() && u.get(name).and_then(Value::as_str).map(fold) == start[name].as_str().map(fold)
        };
        if let Some(user) = self.users.iter().find(|u| same(u, "fkId") || same(u, by)) {
            return user.clone();
        }
        let mut user = json!({"id": uuid(&mut self.rng), "isAnonymized": false});
        for name in ["firstName", "lastName", "email", "phoneNumber", "context", "source", "fkId", "fkUserId"] {
            overlay(&mut user, json!({ name: start.get(name) }));
        }
        self.users.push(user.clone());
        user
    }
}

impl RaiaState {
    fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut super::lock(&self.world))
    }

    /// Seeded conversation `i` and, if asked, its messages (two questions
    /// and their answers; every third with a vote), made from the seed alone.
    fn seeded(&self, i: usize, user: &Value, seeded: &(Vec<Value>, Value), messages: bool) -> (Value, Vec<Value>) {
        let (states, human_agent) = seeded;
        let rng = |stream: u64| fastrand::Rng::with_seed(super::mix(self.seed ^ (i as u64).rotate_left(32) ^ stream));
        let (mut rng, mut ids) = (rng(0), rng(1));
        let (source, (topic, question)) = (CHANNELS[i % CHANNELS.len()], TOPICS[i % TOPICS.len()]);
        let start = i.saturating_mul(90);
        let mut c = conversation(seed_time(start, 0), &mut rng, user, source == "voice");
        let (id, manual, up) = (field(&c, "id").to_owned(), matches!(i % 4, 1 | 2), i.is_multiple_of(2));
        let (vote, comment) = if up { ("up", "Helpful") } else { ("down", "Not what I asked") };
        let answer = format!("{REPLY_PREFIX}{question}");
        let feedback = i.is_multiple_of(3).then(|| {
            json!({"id": uuid(&mut rng), "voteType": vote, "question": question, "answer": answer, "comment": comment,
                   "userEmail": user.get("email")})
        });
        let mut made = Vec::new();
        for (k, text) in [question, "Thanks, that helps."].into_iter().enumerate().filter(|_| messages) {
            let mut asked = message(uuid(&mut ids), &id, text, "conversation_user", source, None);
            overlay(&mut asked, json!({"createdAt": seed_time(start, 3 * k + 2)}));
            let reply = format!("{REPLY_PREFIX}{text}");
            let mut answer = message(uuid(&mut ids), &id, &reply, "assistant", source, Some(field(&asked, "id")));
            let votes: Vec<&Value> = feedback.iter().filter(|_| k == 0).collect();
            let answered = seed_time(start, 3 * k + 3);
            overlay(&mut answer, json!({"createdAt": answered, "conversationMessageFeedbacks": votes}));
            made.extend([asked, answer]);
        }
        let mut feedbacks: Vec<Value> = feedback.into_iter().collect();
        for feedback in &mut feedbacks {
            overlay(feedback, json!({"createdAt": seed_time(start, 4), "updatedAt": seed_time(start, 4)}));
        }
        let (mode, assigned) = if manual { ("manual", human_agent) } else { ("ai", &Value::Null) };
        let summary = format!("{} asked about {}.", field(user, "firstName"), topic.to_lowercase());
        let (state, score) = (states.get(i % 3).and_then(|s| s.get("id")), (1 + i % 5) as f64);
        let seeded = json!({"mode": mode, "assignedUser": assigned, "title": topic, "summary": summary, "score": score,
                            "conversationStateId": state, "feedbacks": feedbacks, "updatedAt": seed_time(start, 6)});
        overlay(&mut c, seeded);
        (c, made)
    }

    /// A new conversation of `user`, with the title, state and custom data a request names.
    fn open(&self, user: &Value, voice: bool, title: Option<&Value>, request: &Value) -> Value {
        let mut c = self.world(|w| conversation(w.tick(), &mut w.rng, user, voice));
        let data = request.get("customData").filter(|d| d.as_object().is_some_and(|d| !d.is_empty()));
        let metadata = data.map_or_else(|| json!({}), |data| json!({"customData": data}));
        let state = request.get("conversationStateId");
        overlay(&mut c, json!({"title": title, "conversationStateId": state, "metadata": metadata}));
        c
    }

    /// Adds a message to a conversation, which it makes the latest updated.
    fn push(&self, r: &mut Records<'_>, to: &str, text: &str, role: &str, via: &str, answers: Option<&str>) -> Value {
        let (id, at) = self.world(|w| (uuid(&mut w.rng), w.tick()));
        let mut sent = message(id, to, text, role, via, answers);
        overlay(&mut sent, json!({"createdAt": at}));
        r.of(&messages_of(to)).push(sent.clone());
        if let Some(c) = r.get(CONVERSATIONS, to) {
            overlay(c, json!({"updatedAt": at}));
        }
        sent
    }

    /// Answers the questions whose time has come.
    fn advance(&self, records: &mut Records<'_>) {
        let now = Instant::now();
        let due = self.world(|w| {
            let (due, pending) = std::mem::take(&mut w.pending).into_iter().partition(|(.., at, _)| *at <= now);
            w.pending = pending;
            due
        });
        for (question, conversation, _, fails) in due {
            if records.get(CONVERSATIONS, &conversation).is_none() {
                continue;
            }
            let messages = records.of(&messages_of(&conversation));
            let Some(asked) = messages.iter_mut().find(|m| field(m, "id") == question) else { continue };
            if fails {
                overlay(asked, json!({ FAILED: true }));
                continue;
            }
            let text = format!("{REPLY_PREFIX}{}", field(asked, "message"));
            let source = field(asked, "source").to_owned();
            self.push(records, &conversation, &text, "assistant", &source, Some(&question));
        }
    }

    fn ask(&self, records: &mut Records<'_>, conversation: &str, body: &Value, wait: bool) -> Answer {
        records.found(CONVERSATIONS, conversation)?;
        let text = field(body, "message");
        let asked = self.push(records, conversation, text, "conversation_user", "api", None);
        let fails = text.to_lowercase().contains(FAIL_TRIGGER);
        if !wait {
            let (id, due) = (field(&asked, "id").to_owned(), Instant::now() + self.config.reply_delay);
            self.world(|w| w.pending.push((id, conversation.to_owned(), due, fails)));
            return Ok((201, asked));
        }
        if fails {
            return Err((StatusCode::INTERNAL_SERVER_ERROR, REPLY_FAILURE.into()));
        }
        let reply = format!("{REPLY_PREFIX}{text}");
        Ok((201, self.push(records, conversation, &reply, "assistant", "api", Some(field(&asked, "id")))))
    }

    /// The reply to `question`: pending until its time, then the answer or the failure.
    fn reply(&self, records: &mut Records<'_>, conversation: &str, question: &str) -> Answer {
        let reply = |status, message: Value, error: Value| {
            Ok((200, json!({"status": status, "message": message, "error": error})))
        };
        if self.world(|w| w.pending.iter().any(|(id, to, ..)| id == question && to == conversation)) {
            return reply("pending", Value::Null, Value::Null);
        }
        records.found(CONVERSATIONS, conversation)?;
        let messages = records.of(&messages_of(conversation));
        let answers = |m: &&Value| field(m, "conversationMessageId") == question && field(m, "id") != question;
        if let Some(answer) = messages.iter().find(answers) {
            let mut answer = answer.clone();
            overlay(&mut answer, json!({"conversationMessageFeedbacks": []}));
            return reply("completed", answer, Value::Null);
        }
        if messages.iter().any(|m| field(m, "id") == question && m.get(FAILED).is_some()) {
            return reply("failed", Value::Null, REPLY_FAILURE.into());
        }
        Err((StatusCode::NOT_FOUND, format!("no question {question} in conversation {conversation}")))
    }

    fn set_mode(&self, records: &mut Records<'_>, id: &str, body: &Value) -> Answer {
        let (at, human_agent) = self.world(|w| (w.tick(), w.human_agent.clone()));
        let c = records.found(CONVERSATIONS, id)?;
        let assigned = if field(body, "mode") == "manual" { human_agent } else { Value::Null };
        overlay(c, json!({"mode": body.get("mode"), "assignedUser": assigned, "updatedAt": at}));
        Ok((200, c.clone()))
    }

    fn send_manual(&self, records: &mut Records<'_>, id: &str, body: &Value) -> Answer {
        let c = records.found(CONVERSATIONS, id)?;
        if c.get("aiCallId").is_some() {
            return Err((StatusCode::BAD_REQUEST, VOICE_MESSAGE.into()));
        }
        if field(c, "mode") != "manual" {
            return Err((StatusCode::BAD_REQUEST, NOT_MANUAL_MESSAGE.into()));
        }
        // On the conversation's channel, answering the message named, else the user's latest.
        let messages = records.of(&messages_of(id));
        let source = messages.first().map_or("api", |m| field(m, "source")).to_owned();
        let latest = messages.iter().rev().find(|m| field(m, "senderRole") == "conversation_user");
        let answers = body.get("conversationMessageId").and_then(Value::as_str).or(latest.map(|m| field(m, "id")));
        let answers = answers.map(str::to_owned);
        Ok((200, self.push(records, id, field(body, "message"), "manual_assistant", &source, answers.as_deref())))
    }

    fn start(&self, records: &mut Records<'_>, body: &Value) -> Answer {
        let (channel, text) = (field(body, "channel"), |name: &str| field(body, name).to_owned());
        let (reset, call) = (body.get("resetConversation") == Some(&Value::Bool(true)), json!("Voice call"));
        let (opening, title, reset) = match channel {
            "email" => {
                (format!("{}\n\n{}", text("emailSubject"), text("emailIntroduction")), body.get("emailSubject"), reset)
            }
            "sms" => (text("smsIntroduction"), None, reset),
            // Every call is a conversation of its own.
            _ => (text("firstMessage"), Some(&call), true),
        };
        let user = self.world(|w| w.user_for(body, channel == "email"));
        let conversations = records.of(CONVERSATIONS);
        let current = conversations.iter_mut().rev().find(|c| {
            let (theirs, active) = (c.get("conversationUserId") == user.get("id"), field(c, "status") == "active");
            theirs && active && c.get("aiCallId").is_none()
        });
        let id = match current {
            Some(c) if !reset => field(c, "id").to_owned(),
            current => {
                // resetConversation archives the current conversation.
                if let Some(c) = current {
                    overlay(c, json!({"status": "archived"}));
                }
                let c = self.open(&user, channel == "voice", title, body);
                let id = field(&c, "id").to_owned();
                conversations.push(c);
                id
            }
        };
        self.push(records, &id, &opening, "assistant", channel, None);
        Ok((201, json!({"conversationId": id})))
    }
}

impl Hooks for RaiaState {
    fn seed(&self, path: &str) -> Option<Vec<Value>> {
        if path == STATES {
            return Some(self.world(|w| w.states.clone()));
        }
        // The seeded users (the first ones) take turns.
        let users = self.config.users.max(1);
        let (mine, seeded) =
            self.world(|w| (w.users[..users.min(w.users.len())].to_vec(), (w.states.clone(), w.human_agent.clone())));
        let made = |i: usize, messages| self.seeded(i, mine.get(i % users).unwrap_or(&Value::Null), &seeded, messages);
        if path == CONVERSATIONS {
            let made: Vec<Value> = (0..self.config.conversations).map(|i| made(i, false).0).collect();
            self.world(|w| w.seeded.extend(made.iter().enumerate().map(|(i, c)| (field(c, "id").to_owned(), i))));
            return Some(made);
        }
        let conversation = path.strip_prefix(CONVERSATIONS)?.strip_prefix('/')?.strip_suffix("/messages")?;
        let i = self.world(|w| w.seeded.get(conversation).copied());
        Some(i.map(|i| made(i, true).1).unwrap_or_default())
    }

    fn defaults(&self, operation_id: &str) -> Vec<(String, String)> {
        // No default is documented: newest first, ten a page.
        let defaults = [("pageSize", self.config.default_page_size.to_string()), ("orderDirection", "DESC".into())];
        let listing = operation_id == "listConversations";
        defaults.into_iter().filter(|_| listing).map(|(name, value)| (name.into(), value)).collect()
    }

    fn keeps(&self, request: &Context<'_>, c: &Value) -> bool {
        let found = |keyword: &str| {
            let user = ["firstName", "lastName", "email", "phoneNumber"].map(|name| field(&c["user"], name));
            let fields = [field(c, "title"), field(c, "summary"), &self.config.agent_name].into_iter().chain(user);
            fields.into_iter().any(|f| f.to_lowercase().contains(&keyword.to_lowercase()))
        };
        let feedbacks = c.get("feedbacks").and_then(Value::as_array).is_some_and(|f| !f.is_empty());
        request.param("searchKeyword").is_none_or(found)
            && (request.param("withFeedbacksOnly") != Some("true") || feedbacks)
    }

    fn write(&self, request: &Context<'_>, record: &mut Value, _before: Option<&Value>) -> Result<(), Refusal> {
        if request.operation_id != "createConversation" {
            let at = self.world(World::tick);
            overlay(record, json!({"updatedAt": at}));
            return Ok(());
        }
        let user_id = field(record, "conversationUserId");
        let user = self.world(|w| w.users.iter().find(|u| field(u, "id") == user_id).cloned());
        let user = user.ok_or_else(|| (StatusCode::NOT_FOUND, format!("no conversationUserId {user_id}")))?;
        *record = self.open(&user, false, record.get("title"), record);
        Ok(())
    }

    fn show<'v>(&self, request: &Context<'_>, message: &'v Value) -> Cow<'v, Value> {
        if request.operation_id == "listMessages" && request.param("shouldIncludeFeedbacks") != Some("true") {
            let mut shown = message.clone();
            overlay(&mut shown, json!({"conversationMessageFeedbacks": []}));
            return Cow::Owned(shown);
        }
        Cow::Borrowed(message)
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
                self.world(|w| w.pending.retain(|(_, to, ..)| !gone.contains(&to.as_str())));
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

/// An error in the vendor's shape (`ApiError`): 404 and 500 with the reason in `details`.
fn render_error(status: StatusCode, message: String) -> Response {
    let reason = json!([{"reason": message}]);
    let (name, message, details) = match status {
        StatusCode::NOT_FOUND => ("ENTITY_NOT_FOUND_ERROR", "ENTITY_NOT_FOUND".into(), reason),
        StatusCode::INTERNAL_SERVER_ERROR => ("", "Internal Server Error".into(), reason),
        StatusCode::BAD_REQUEST => ("BAD_REQUEST_ERROR", message, json!([])),
        StatusCode::FORBIDDEN => ("FORBIDDEN_ERROR", message, json!([])),
        _ => ("HTTP_ERROR", message, json!([])),
    };
    let mut body = json!({"status": status.as_u16(), "message": message, "details": details});
    overlay(&mut body, json!({"name": Some(name).filter(|n| !n.is_empty())}));
    (status, axum::Json(body)).into_response()
}
