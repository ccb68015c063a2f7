//! The LivePerson Third-Party Bots emulator: one account with one bot user
//! (password or API-key login; a new login replaces the previous bearer),
//! a few open conversations, and the domain lookup. Commands are `waiting`,
//! then `completed` after a delay, or `failed` (a transfer to an unknown
//! skill; a stalled conversation's once its `ttl` passes), worked out when
//! read. The last 200 per bot are kept. A closed or unknown conversation is
//! a 404, to commands and their reads: "only commands of on-going
//! conversation will be returned" (seed 003 L571, L701).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::store::{Answer, Context, Hooks, Records, Refusal, ok};
use super::{Emulator, HarnessConfig, Refused, Sandbox};
use crate::liveperson::types::{
    Command, CommandAccepted, CommandData, CommandError, CommandList, CommandResult, CommandState, CommandType,
    ServiceDomain, ServiceDomains,
};
use crate::liveperson::{Credentials, Zone, auth::ApiKeyCredentials, auth::UserPassCredentials};
use crate::secret::Secret;

/// How many commands per bot the API keeps (`x-provenance` of the
/// `CommandList` schema in specs/liveperson.yaml).
const COMMAND_HISTORY: usize = 200;
/// Documented default `ttl`, in seconds.
const DEFAULT_TTL: u64 = 30;
/// The example conversation id of the vendor's page; always open in the sandbox.
pub const EXAMPLE_CONVERSATION: &str = "2312ed0e-662e-4c94-9022-f0991058b4a4";
/// Failure name of a command that could not run (`x-provenance` of the
/// `CommandError` schema in specs/liveperson.yaml).
pub const EXECUTION_FAILED: &str = "com.liveperson.bot-connectors-worker.error.public-api.execution-failed";
/// Failure name of a command whose `ttl` ran out before it ran (inferred).
pub const COMMAND_EXPIRED: &str = "com.liveperson.bot-connectors-worker.error.public-api.command-expired";

/// Emulator settings.
#[derive(Debug, Clone)]
pub struct LivePersonConfig {
    /// The LP site id.
    pub account_id: String,
    /// The zone the domain lookup reports.
    pub zone: Zone,
    /// The bot user's password login.
    pub user: UserPassCredentials,
    /// The same bot user's API-key login.
    pub api_key: ApiKeyCredentials,
    /// Skills a conversation can be transferred to.
    pub skills: Vec<String>,
    /// Open conversations besides [`EXAMPLE_CONVERSATION`].
    pub conversations: usize,
    /// How long a command stays `waiting` before it runs.
    pub command_delay: Duration,
    /// Real time per second of `ttl` (1 s; less in tests, so that expiry is quick).
    pub ttl_unit: Duration,
    /// Latency, request log and response checks.
    pub harness: HarnessConfig,
}

impl Default for LivePersonConfig {
    fn default() -> Self {
        Self {
            account_id: "12345678".into(),
            zone: Zone::Z1,
            user: UserPassCredentials { username: "sandbox-bot".into(), password: "sandbox-bot-password".into() },
            api_key: ApiKeyCredentials {
                username: "sandbox-bot".into(),
                app_key: "sandbox-app-key".into(),
                secret: "sandbox-app-secret".into(),
                access_token: "sandbox-access-token".into(),
                access_token_secret: "sandbox-access-token-secret".into(),
            },
            skills: vec!["human_skill".into(), "billing".into(), "sales".into()],
            conversations: 5,
            command_delay: Duration::from_millis(200),
            ttl_unit: Duration::from_secs(1),
            harness: HarnessConfig::default(),
        }
    }
}

super::emulator! {
    /// A running LivePerson emulator.
    LivePersonSandbox = LivePersonState(LivePersonConfig, crate::liveperson::SPEC_JSON);

    fn new(seed: u64, config: LivePersonConfig) -> Self {
        let example = Conversation { id: EXAMPLE_CONVERSATION.into(), closes: None, stalled: false };
        let mut world = World {
            rng: fastrand::Rng::with_seed(seed),
            sessions: HashMap::new(),
            conversations: vec![example],
            commands: VecDeque::new(),
            next_command: 1,
        };
        for _ in 0..config.conversations {
            world.open(false);
        }
        Self { config, world: Mutex::new(world) }
    }

    const SCHEMES: &'static [(&'static str, super::Check<Self>)] = &[("bearer", check_bearer)];
}

impl Sandbox<LivePersonState> {
    /// The LP site id.
    pub fn account_id(&self) -> String {
        self.api.config.account_id.clone()
    }

    /// Password credentials of the bot user.
    pub fn credentials(&self) -> Credentials {
        Credentials::UserPass(self.api.config.user.clone())
    }

    /// API-key credentials of the same bot user.
    pub fn api_key_credentials(&self) -> Credentials {
        Credentials::ApiKey(self.api.config.api_key.clone())
    }

    /// The zone the domain lookup reports.
    pub fn zone(&self) -> Zone {
        self.api.config.zone
    }

    /// Ids of the conversations that are open, in the order they were opened.
    pub fn open_conversations(&self) -> Vec<String> {
        self.api.world(|w| w.conversations.iter().filter(|c| c.is_open()).map(|c| c.id.clone()).collect())
    }

    /// Opens a new conversation handled by the bot; returns its id.
    pub fn open_conversation(&self) -> String {
        self.api.world(|w| w.open(false))
    }

    /// Opens a conversation whose commands never run: they fail once their
    /// `ttl` has passed.
    pub fn open_stalled_conversation(&self) -> String {
        self.api.world(|w| w.open(true))
    }

    /// Ends every session, as if the server had restarted.
    pub fn revoke_sessions(&self) {
        self.api.world(|w| w.sessions.clear())
    }
}

/// The emulator's account, sessions, conversations and commands.
#[derive(Debug)]
pub struct LivePersonState {
    config: LivePersonConfig,
    world: Mutex<World>,
}

#[derive(Debug)]
struct World {
    rng: fastrand::Rng,
    /// Bearer of each user's one session.
    sessions: HashMap<String, String>,
    /// In the order they were opened.
    conversations: Vec<Conversation>,
    /// The bot's commands, oldest first, at most [`COMMAND_HISTORY`].
    commands: VecDeque<StoredCommand>,
    next_command: u64,
}

#[derive(Debug)]
struct Conversation {
    id: String,
    /// When the first close sent to it runs.
    closes: Option<Instant>,
    stalled: bool,
}

impl Conversation {
    fn is_open(&self) -> bool {
        self.closes.is_none_or(|at| Instant::now() < at)
    }
}

#[derive(Debug, Clone)]
struct StoredCommand {
    id: String,
    conversation_id: String,
    kind: CommandType,
    payload: Value,
    created: Instant,
    created_ms: i64,
    ttl: Duration,
    /// Set when the command will fail once it runs.
    fails: bool,
}

impl LivePersonState {
    fn world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut super::lock(&self.world))
    }

    /// `f` on the world if `conversation` is open, else a 404.
    fn in_open<T>(&self, conversation: &str, f: impl FnOnce(&mut World) -> Result<T, Refusal>) -> Result<T, Refusal> {
        self.world(|w| {
            if w.conversation(conversation).is_some_and(|c| c.is_open()) { f(w) } else { Err(not_found(conversation)) }
        })
    }
}

impl World {
    fn open(&mut self, stalled: bool) -> String {
        let id = super::uuid(&mut self.rng);
        self.conversations.push(Conversation { id: id.clone(), closes: None, stalled });
        id
    }

    fn conversation(&self, id: &str) -> Option<&Conversation> {
        self.conversations.iter().find(|c| c.id == id)
    }

    /// A command as the API shows it, with its state worked out from the time.
    fn view(&self, c: &StoredCommand, delay: Duration) -> Command {
        let now = Instant::now();
        let stalled = self.conversation(&c.conversation_id).is_some_and(|conv| conv.stalled);
        // A stalled conversation's command waits until its ttl runs out; another's runs after `delay`.
        let (state, result) = match (stalled, now >= c.created + c.ttl, now >= c.created + delay) {
            (true, true, _) => {
                (CommandState::Failed, Some(result(c.created_ms + millis(c.ttl), 0, Some(COMMAND_EXPIRED))))
            }
            (true, false, _) | (false, _, false) => (CommandState::Waiting, None),
            (false, _, true) => {
                let state = if c.fails { CommandState::Failed } else { CommandState::Completed };
                (state, Some(result(c.created_ms + millis(delay), 7, c.fails.then_some(EXECUTION_FAILED))))
            }
        };
        Command {
            id: c.id.clone(),
            data: Some(CommandData {
                type_: Some(c.kind.clone()),
                payload: Some(c.payload.clone()),
                conversation_id: Some(c.conversation_id.clone()),
                is_internal: Some(true),
                timeout_time: Some(c.created_ms + millis(c.ttl)),
            }),
            result,
            state,
        }
    }
}

fn result(start: i64, took: i64, error: Option<&str>) -> CommandResult {
    CommandResult {
        start_time: Some(start),
        end_time: Some(start + took),
        execution_time: Some(took),
        error: error.map(|name| CommandError { name: name.into(), trace: Vec::new() }),
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn error(status: StatusCode, message: impl Into<String>) -> Refusal {
    (status, message.into())
}

/// Every operation is the account's; the store renders what they answer.
impl Hooks for LivePersonState {
    fn answer(&self, request: &Context<'_>, body: &Value, _: &mut Records<'_>) -> Option<Answer> {
        let account = request.path_param("accountId");
        if account != self.config.account_id {
            return Some(Err(error(StatusCode::UNAUTHORIZED, format!("unknown account {account}"))));
        }
        let conversation = request.path_param("conversationId");
        let kind = match request.operation_id {
            "getServiceDomain" => {
                let service = request.path_param("serviceName");
                let domain = domains(self).into_iter().find(|d| d.service.as_deref() == Some(service));
                let domain = domain.ok_or_else(|| error(StatusCode::BAD_REQUEST, format!("unknown service {service}")));
                return Some(domain.and_then(ok));
            }
            "listServiceDomains" => return Some(ok(ServiceDomains { base_uris: domains(self) })),
            "login" | "loginLegacy" => return Some(self.login(body)),
            "listCommands" | "getCommand" => return Some(self.commands(conversation, request.path_param("commandId"))),
            "sendMessages" => CommandType::Messages,
            "transferConversation" => CommandType::Transfer,
            "closeConversation" => CommandType::Close,
            "setSdes" => CommandType::Sdes,
            "setTtr" => CommandType::Ttr,
            _ => return None,
        };
        // A close takes no body (an empty one, `{}`, is accepted).
        let payload = if kind == CommandType::Close { Value::Null } else { body.clone() };
        let ttl = request.param("ttl").and_then(|t| t.parse().ok()).unwrap_or(DEFAULT_TTL);
        Some(self.command(conversation, kind, payload, ttl))
    }
}

/// The domain of each service this sandbox knows.
fn domains(state: &LivePersonState) -> Vec<ServiceDomain> {
    let zone = state.config.zone;
    let region = match zone {
        Zone::Z1 => "va",
        Zone::Z2 => "lo",
        Zone::Z3 => "sy",
    };
    [
        ("botConnectorsDomain", format!("{zone}.bot-connectors.liveperson.net")),
        ("agentVep", format!("{region}.agentvep.liveperson.net")),
        ("asyncMessagingEnt", format!("{region}.msg.liveperson.net")),
    ]
    .into_iter()
    .map(|(service, base_uri)| ServiceDomain {
        service: Some(service.into()),
        account: Some(state.config.account_id.clone()),
        base_uri,
    })
    .collect()
}

fn secret_eq(given: Option<&Value>, expected: &Secret) -> bool {
    given.and_then(Value::as_str) == Some(expected.expose())
}

/// Checks the bearer is some user's current session, exactly as issued.
fn check_bearer(state: &LivePersonState, bearer: Option<&str>) -> Result<(), Refused> {
    let valid = bearer.is_some_and(|bearer| state.world(|w| w.sessions.values().any(|b| b == bearer)));
    match (bearer, valid) {
        (_, true) => Ok(()),
        (None, _) => Err(LivePersonState::render_error(StatusCode::UNAUTHORIZED, "missing bearer".into()).into()),
        (Some(_), _) => Err(LivePersonState::render_error(StatusCode::UNAUTHORIZED, "invalid bearer".into()).into()),
    }
}

fn not_found(conversation: &str) -> Refusal {
    error(StatusCode::NOT_FOUND, format!("conversation {conversation} not found"))
}

impl LivePersonState {
    /// Both logins: v1's `{authType, credentials}`, and the seed's `{username, password}`.
    /// A new session replaces the user's earlier bearer.
    fn login(&self, body: &Value) -> Answer {
        let creds = body.get("credentials").unwrap_or(body);
        let username = creds["username"].as_str().unwrap_or_default();
        let (user, key) = (&self.config.user, &self.config.api_key);
        let valid = match body.get("authType").map(|t| t.as_str()) {
            None | Some(Some("USER_PASS")) => {
                username == user.username && secret_eq(creds.get("password"), &user.password)
            }
            Some(Some("API_KEY")) => {
                username == key.username
                    && secret_eq(creds.get("appKey"), &key.app_key)
                    && secret_eq(creds.get("secret"), &key.secret)
                    && secret_eq(creds.get("accessToken"), &key.access_token)
                    && secret_eq(creds.get("accessTokenSecret"), &key.access_token_secret)
            }
            _ => false,
        };
        if !valid {
            return Err(error(StatusCode::UNAUTHORIZED, "invalid credentials"));
        }
        let bearer = self.world(|w| {
            let id = format!("{:016x}", w.rng.u64(..));
            let bearer = super::jwt(&json!({ "sub": username, "acc": self.config.account_id, "jti": id }), &id);
            w.sessions.insert(username.to_string(), bearer.clone());
            bearer
        });
        Ok((200, json!({ "bearer": bearer })))
    }

    /// Queues a command of `kind` (`messages`, `transfer`, `close`, `sdes` or `ttr`);
    /// the contract has checked the ttl and the body (a CUSTOM TTR's value: the spec's `x-check`).
    fn command(&self, conversation: &str, kind: CommandType, payload: Value, ttl: u64) -> Answer {
        let fails = kind == CommandType::Transfer
            && !payload["skill"].as_str().is_some_and(|skill| self.config.skills.iter().any(|s| s == skill));
        let id = self.in_open(conversation, |w| {
            let (id, created) = (w.next_command.to_string(), Instant::now());
            w.next_command += 1;
            // A close ends its conversation once it runs (a stalled one's never runs).
            let closes = kind == CommandType::Close;
            if let Some(c) = w.conversations.iter_mut().find(|c| closes && c.id == conversation && !c.stalled) {
                c.closes.get_or_insert(created + self.config.command_delay);
            }
            w.commands.push_back(StoredCommand {
                id: id.clone(),
                conversation_id: conversation.to_owned(),
                payload: normalise(&kind, payload),
                kind,
                created,
                created_ms: SystemTime::now().duration_since(UNIX_EPOCH).map(millis).unwrap_or(0),
                ttl: self.config.ttl_unit * u32::try_from(ttl).unwrap_or(u32::MAX),
                fails,
            });
            while w.commands.len() > COMMAND_HISTORY {
                w.commands.pop_front();
            }
            Ok(id)
        })?;
        ok(CommandAccepted { command_id: id })
    }

    /// The conversation's commands, newest first, or the one `command` names (`""`: all).
    fn commands(&self, conversation: &str, command: &str) -> Answer {
        let delay = self.config.command_delay;
        self.in_open(conversation, |w| {
            let mut theirs = w.commands.iter().rev().filter(|c| c.conversation_id == conversation);
            if command.is_empty() {
                return ok(CommandList(theirs.map(|c| w.view(c, delay)).collect()));
            }
            let found = theirs.find(|c| c.id == command).map(|c| w.view(c, delay));
            found.ok_or_else(|| error(StatusCode::NOT_FOUND, format!("command {command} not found"))).and_then(ok)
        })
    }
}

/// Messages are stored normalised, as the command history shows them (`CommandType`'s `x-provenance`).
fn normalise(kind: &CommandType, payload: Value) -> Value {
    if *kind != CommandType::Messages {
        return payload;
    }
    let items = payload["messages"].as_array().cloned().unwrap_or_default();
    let normalised = items.into_iter().map(|item| match item {
        Value::String(text) => json!({ "payload": text, "metadata": [], "type": "text" }),
        other => {
            let metadata = other.get("metadata").cloned().unwrap_or(json!([]));
            json!({ "payload": other, "metadata": metadata, "type": kind_of(&other) })
        }
    });
    Value::Array(normalised.collect())
}

fn kind_of(item: &Value) -> &'static str {
    let quick_replies = item["structuredContent"].get("quickReplies");
    let marks =
        [("delay", item.get("delay")), ("private", item.get("messageAudience")), ("quickReplies", quick_replies)];
    marks.into_iter().find_map(|(kind, mark)| mark.map(|_| kind)).unwrap_or("structuredContent")
}
