//! The hand-written LivePerson client around the generated one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use super::auth::{Credentials, Login, LoginForm};
use super::domain::{BOT_CONNECTORS_SERVICE, BotDomain, CSDS_BASE_URL, Zone};
use super::generated::{self, API};
use super::input::{self, CommandOptions, SetSdesRequest};
use super::types::{Command, CommandState, CsdsVersion, Message, MessageContext, SendMessagesRequest, TransferRequest};
use crate::error::{BodyExcerpt, Error, InvalidInput, Result};
use crate::runtime::{
    BuildClient, ClientConfig, Connection, REFRESH_MARGIN, Runtime, SchemeCredentials, TokenCredential,
    config::normalize_base_url,
};

/// A LivePerson Third-Party Bots client for one account and bot user. Cheap
/// to clone; clones share the resolved domain and the session, so concurrent
/// callers log in once (LivePerson keeps one session per user).
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    /// The domain lookup's base URL, and the transport.
    connection: Connection,
    /// The API client and session, once the domain is known.
    resolved: OnceCell<Resolved>,
    /// The drift of every runtime this client builds (lookup, login, API).
    drift: Arc<crate::drift::DriftLog>,
}

#[derive(Debug)]
struct Resolved {
    base_url: String,
    api: generated::Client,
    session: Arc<TokenCredential>,
}

/// Configures a [`Client`]. Its base URL is the domain lookup's (see
/// [`ClientBuilder::csds_base_url`]); the API's is found from the account.
pub type ClientBuilder = crate::ClientBuilder<Settings>;

/// LivePerson's own settings: the account, its bot user, and where the API is.
#[derive(Debug)]
pub struct Settings {
    account_id: String,
    credentials: Credentials,
    login_form: LoginForm,
    domain: BotDomain,
    zone_base_urls: Vec<(Zone, String)>,
}

impl ClientBuilder {
    /// Where the API lives: looked up (the default), a zone, or a base URL.
    pub fn domain(mut self, domain: BotDomain) -> Self {
        self.settings.domain = domain;
        self
    }

    /// Which login to use (default [`LoginForm::Current`]).
    pub fn login_form(mut self, form: LoginForm) -> Self {
        self.settings.login_form = form;
        self
    }

    /// The domain-lookup host (default `https://api.liveperson.net`).
    pub fn csds_base_url(self, url: impl Into<String>) -> Self {
        self.base_url(url)
    }

    /// Serves a zone from another base URL, e.g. a proxy or a sandbox.
    pub fn zone_base_url(mut self, zone: Zone, url: impl Into<String>) -> Self {
        self.settings.zone_base_urls.retain(|(z, _)| *z != zone);
        self.settings.zone_base_urls.push((zone, url.into()));
        self
    }
}

impl BuildClient for Settings {
    type Client = Client;

    /// Nothing is sent until the first call.
    fn build(self, connection: Connection) -> Result<Client> {
        if self.account_id.trim().is_empty() {
            return Err(InvalidInput::parameter("accountId", "must not be empty").into());
        }
        if self.login_form == LoginForm::Legacy && !matches!(self.credentials, Credentials::UserPass(_)) {
            let why = "the legacy login takes a username and password, not API-key credentials";
            return Err(InvalidInput::Config(why.into()).into());
        }
        if let BotDomain::BaseUrl(url) = &self.domain {
            normalize_base_url(url)?;
        }
        let inner = Inner { settings: self, connection, resolved: OnceCell::new(), drift: Arc::default() };
        Ok(Client { inner: Arc::new(inner) })
    }
}

impl Client {
    /// A client that looks up the account's domain on first use.
    pub fn new(account_id: impl Into<String>, credentials: Credentials) -> Result<Self> {
        Self::builder(account_id, credentials).build()
    }

    /// Starts configuring a client for an account (LP site id) and bot user.
    pub fn builder(account_id: impl Into<String>, credentials: Credentials) -> ClientBuilder {
        let settings = Settings {
            account_id: account_id.into(),
            credentials,
            login_form: LoginForm::default(),
            domain: BotDomain::Lookup,
            zone_base_urls: Vec::new(),
        };
        ClientBuilder::new(CSDS_BASE_URL, ClientConfig::default(), settings)
    }

    /// What this client's responses (the domain lookup, logins and every
    /// call) held that the spec does not list; see [`crate::drift`].
    pub fn drift(&self) -> crate::drift::DriftReport {
        self.inner.drift.report()
    }

    /// The generated client, with every operation of the spec, once the
    /// account's domain is known (looked up on first use). Its calls log in,
    /// and log in again after a 401; each takes [`Client::account_id`].
    pub async fn generated(&self) -> Result<&generated::Client> {
        Ok(&self.resolved().await?.api)
    }

    /// The account (LP site id) every operation's `accountId` takes:
    /// `api.close_conversation().account_id(client.account_id())…`.
    pub fn account_id(&self) -> &str {
        &self.inner.settings.account_id
    }

    /// The API base URL, resolving it (once) if needed.
    pub async fn base_url(&self) -> Result<&str> {
        Ok(&self.resolved().await?.base_url)
    }

    /// Logs in now unless a session is cached.
    pub async fn login(&self) -> Result<()> {
        self.resolved().await?.session.ensure().await.map(drop)
    }

    async fn resolved(&self) -> Result<&Resolved> {
        self.inner.resolved.get_or_try_init(|| self.resolve()).await
    }

    /// Resolves the domain and builds the API client and session.
    async fn resolve(&self) -> Result<Resolved> {
        let settings = &self.inner.settings;
        let zone_url = |zone: Zone| {
            let configured = settings.zone_base_urls.iter().find(|(z, _)| *z == zone);
            configured.map_or(zone.base_url().into(), |(_, url)| url.clone())
        };
        let base_url = match &settings.domain {
            BotDomain::BaseUrl(url) => url.clone(),
            BotDomain::Zone(zone) => zone_url(*zone),
            BotDomain::Lookup => zone_url(self.lookup_zone().await?),
        };
        let base_url = normalize_base_url(&base_url)?;
        // `login` needs no credential, so its client never asks for a session.
        // The login body's secrets are masked in its error excerpts.
        let secrets = settings.credentials.secrets();
        let login_client = self.generated_client(&base_url, SchemeCredentials::default().masking(secrets.clone()));
        let (account_id, credentials) = (settings.account_id.clone(), settings.credentials.clone());
        let login = Login { account_id, credentials, form: settings.login_form, login_client };
        let session = Arc::new(TokenCredential::new("login", REFRESH_MARGIN, login));
        let credentials = SchemeCredentials::default().with(&API, "bearer", session.clone())?.masking(secrets);
        let api = self.generated_client(&base_url, credentials);
        tracing::debug!(base_url, "liveperson domain resolved");
        Ok(Resolved { base_url, api, session })
    }

    /// A generated client at `base_url` with `credentials`, sending the
    /// domain lookup to the configured host, its drift in the client's log.
    fn generated_client(&self, base_url: &str, credentials: SchemeCredentials) -> generated::Client {
        let Connection { base_url: csds_base_url, http, config } = &self.inner.connection;
        let runtime = Runtime::new(&API, config, credentials, self.inner.drift.clone())
            .with_server(CSDS_BASE_URL, csds_base_url.clone());
        generated::Client::new_with_client(base_url, http.clone(), runtime)
    }

    /// Asks the domain lookup for the account's `botConnectorsDomain`.
    async fn lookup_zone(&self) -> Result<Zone> {
        let csds = self.generated_client(&self.inner.connection.base_url, SchemeCredentials::default());
        let response = csds
            .get_service_domain()
            .account_id(self.account_id())
            .service_name(BOT_CONNECTORS_SERVICE)
            .version(CsdsVersion::V10)
            .send()
            .await;
        let domain = response?.into_inner();
        Zone::from_connectors_domain(&domain.base_uri).ok_or_else(|| Error::Decode {
            operation: "get_service_domain",
            reason: format!("unknown botConnectorsDomain {:?}", domain.base_uri),
            body: BodyExcerpt::default(),
        })
    }

    /// Sends messages to an ongoing conversation; returns the command id.
    /// Besides the spec's rules (checked by the runtime: at least one message,
    /// `ttl` 10 to 120, each item's shape, base64 `encodedMetadata`), checks
    /// what the spec cannot say: structured content within 15,000 bytes.
    pub async fn send_messages(
        &self,
        conversation_id: &str,
        messages: Vec<Message>,
        context: Option<MessageContext>,
        options: CommandOptions,
    ) -> Result<String> {
        input::check_messages(&messages)?;
        command!(self, send_messages, conversation_id, options, SendMessagesRequest { context, messages })
    }

    /// Sends one text message; returns the command id.
    pub async fn send_text(&self, conversation_id: &str, text: impl Into<String>) -> Result<String> {
        self.send_messages(conversation_id, vec![Message::text(text)], None, CommandOptions::default()).await
    }

    /// Transfers the conversation to a skill (case-sensitive name); returns
    /// the command id. A blank name is refused before sending (the spec's
    /// rule).
    pub async fn transfer(&self, conversation_id: &str, skill: &str, options: CommandOptions) -> Result<String> {
        let body = TransferRequest::builder().skill(skill.to_string());
        command!(self, transfer_conversation, conversation_id, options, body)
    }

    /// Sets engagement attributes (SDEs); returns the command id. Raw SDEs of
    /// a documented type are checked against that type first.
    pub async fn set_sdes(
        &self,
        conversation_id: &str,
        sdes: &SetSdesRequest,
        options: CommandOptions,
    ) -> Result<String> {
        sdes.check()?;
        command!(self, set_sdes, conversation_id, options, sdes.clone())
    }

    /// Polls a command, with backoff, until it completes (returned) or fails
    /// ([`Error::CommandFailed`] with the failure's name). Gives up with
    /// [`Error::Timeout`] after `timeout`. A close seen waiting has completed
    /// once its conversation's commands are no longer returned (a 404).
    pub async fn wait_for_command(
        &self,
        conversation_id: &str,
        command_id: &str,
        timeout: Duration,
    ) -> Result<Command> {
        let api = self.generated().await?;
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        let mut closing: Option<Command> = None;
        loop {
            let call = api.get_command().account_id(self.account_id()).conversation_id(conversation_id);
            let command = match call.command_id(command_id).send().await {
                Ok(command) => command.into_inner(),
                Err(e) if closing.is_some() && e.status().is_some_and(|s| s.as_u16() == 404) => {
                    let closed = closing.take().map(|close| Command { state: CommandState::Completed, ..close });
                    return closed.ok_or_else(|| Error::from(e));
                }
                Err(e) => return Err(e.into()),
            };
            let is_close = command.data.as_ref().and_then(|d| d.type_.as_ref()).is_some_and(|t| t.as_str() == "close");
            if is_close {
                closing = Some(command.clone());
            }
            match command.state {
                CommandState::Completed => return Ok(command),
                CommandState::Failed => {
                    let error_name = command.result.as_ref().and_then(|r| r.error.as_ref()).map(|e| e.name.clone());
                    return Err(Error::CommandFailed { command_id: command.id, error_name });
                }
                // Waiting, or a state added later: keep polling.
                _ => {}
            }
            let elapsed = started.elapsed();
            if elapsed >= timeout {
                return Err(Error::Timeout { operation: "wait_for_command", waited: elapsed });
            }
            tokio::time::sleep(delay.min(timeout - elapsed)).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }
}

/// Sends the generated command operation `$op` on a conversation, with
/// `ttl` only when the caller set one (the spec's 10 to 120 is checked by
/// the runtime); the command's id.
macro_rules! command {
    ($client:expr, $op:ident, $conversation_id:expr, $options:expr, $body:expr) => {{
        let call = $client.generated().await?.$op().account_id($client.account_id()).conversation_id($conversation_id);
        let call = match $options.ttl {
            Some(ttl) => call.ttl(ttl),
            None => call,
        };
        Ok(call.body($body).send().await?.into_inner().command_id)
    }};
}
use command;
