//! `convo liveperson …`: the LivePerson Third-Party Bots Public API.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Subcommand;
use convo_clients::liveperson::auth::{ApiKeyCredentials, UserPassCredentials};
use convo_clients::liveperson::types::{Message, SetSdesRequest};
use convo_clients::liveperson::{BotDomain, Client, CommandOptions, Credentials, LoginForm, SdeInput, Ttr};
use convo_clients::ClientConfig;
use convo_clients::sandbox::liveperson::{LivePersonConfig, LivePersonSandbox, LivePersonState};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::output::{columns, OutputFormat, RecordWriter, write_one};
use crate::connect::OwnApi;
use crate::sandbox::{self, ServeOptions, Served};
use crate::{Context, Failure, config};

pub type Args = crate::connect::Args<Settings, LivePersonCommand>;

// The API's connection settings, global to its subcommands (the generated
// operation commands read them too).
#[derive(clap::Args, Default, Deserialize)]
pub(crate) struct Settings {
    /// LP site id.
    #[arg(long, global = true, env = "LIVEPERSON_ACCOUNT_ID")]
    account_id: Option<String>,
    /// Bot user name.
    #[arg(long, global = true, env = "LIVEPERSON_USERNAME")]
    username: Option<String>,
    /// Bot user password. Prefer the environment.
    #[arg(long, global = true, env = "LIVEPERSON_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// API-key login instead of a password: APP_KEY:SECRET:ACCESS_TOKEN:ACCESS_TOKEN_SECRET.
    #[arg(long, global = true, env = "LIVEPERSON_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// z1, z2, z3, a botConnectorsDomain, or a URL; looked up from the account when unset.
    #[arg(long, global = true, env = "LIVEPERSON_BOT_DOMAIN")]
    bot_domain: Option<String>,
    /// Base URL of the Third-Party Bots API (skips the domain lookup).
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// Base URL of the domain lookup (CSDS), e.g. a proxy; https://api.liveperson.net by default.
    #[arg(long, global = true, env = "LIVEPERSON_CSDS_BASE_URL")]
    csds_base_url: Option<String>,
    /// Which login: current (/api/v1/account/{id}/login, the default) or legacy
    /// (the seed's /api/account/{id}/login, username and password only).
    #[arg(long, global = true, env = "LIVEPERSON_LOGIN", value_parser = ["current", "legacy"])]
    login: Option<String>,
}

api_settings!(Settings, "liveperson", urls: [base_url, bot_domain, csds_base_url]);

#[derive(Debug, Subcommand)]
pub(crate) enum LivePersonCommand {
    /// Send messages; with --quick-reply the last --text carries the replies.
    Send {
        conversation: String,
        /// A text message, not empty (checked before sending); repeat for more.
        #[arg(long = "text", required = true)]
        texts: Vec<String>,
        /// A quick-reply button; repeat for more.
        #[arg(long = "quick-reply")]
        quick_replies: Vec<String>,
        #[command(flatten)]
        ttl: TtlArg,
    },
    /// Transfer the conversation to a skill.
    Transfer {
        conversation: String,
        /// The skill to transfer to, by name or id.
        #[arg(long)]
        skill: String,
        #[command(flatten)]
        ttl: TtlArg,
    },
    /// End the conversation.
    Close {
        conversation: String,
        #[command(flatten)]
        ttl: TtlArg,
    },
    /// Set engagement attributes from a JSON file: {"sdes": [...], "sharkVisitorId": …, "sharkSessionId": …}.
    Sdes {
        conversation: String,
        /// The JSON file.
        #[arg(long = "json", value_name = "FILE")]
        file: std::path::PathBuf,
        #[command(flatten)]
        ttl: TtlArg,
    },
    /// Set the time to response: urgent, normal, prioritized or custom:SECONDS.
    Ttr {
        conversation: String,
        #[arg(value_parser = parse_ttr)]
        ttr: Ttr,
        #[command(flatten)]
        ttl: TtlArg,
    },
    /// List the conversation's commands, or show one (and --wait for it to finish).
    Commands {
        conversation: String,
        command_id: Option<String>,
        /// Poll until the command completes or fails.
        #[arg(long, requires = "command_id")]
        wait: bool,
        /// Longest wait, in seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct TtlArg {
    /// Seconds the command stays valid, 10 to 120 (server default 30).
    #[arg(long)]
    ttl: Option<u32>,
    /// Wait for the command to complete (or fail) and print it.
    #[arg(long)]
    wait: bool,
    /// Longest wait, in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

fn parse_ttr(text: &str) -> Result<Ttr, String> {
    text.parse().map_err(|e: convo_clients::liveperson::InputError| e.to_string())
}

const COMMAND_COLUMNS: &str = "id:8 state:10 type:10 error:70";

const ACCEPTED_COLUMNS: &str = "commandId:12";

pub async fn run(client: Client, command: LivePersonCommand, context: &Context) -> Result<(), Failure> {
    let out = std::io::stdout().lock();
    let options = |ttl: &TtlArg| CommandOptions { ttl: ttl.ttl };
    let (conversation, command_args, accepted) = match command {
        LivePersonCommand::Send { conversation, mut texts, quick_replies, ttl } => {
            let mut messages = Vec::new();
            let last = if quick_replies.is_empty() { None } else { texts.pop() };
            messages.extend(texts.into_iter().map(Message::text));
            if let Some(prompt) = last {
                messages.push(Message::quick_replies(prompt, &quick_replies));
            }
            let id = client.send_messages(&conversation, messages, None, options(&ttl)).await?;
            (conversation, ttl, id)
        }
        LivePersonCommand::Transfer { conversation, skill, ttl } => {
            let id = client.transfer(&conversation, &skill, options(&ttl)).await?;
            (conversation, ttl, id)
        }
        LivePersonCommand::Close { conversation, ttl } => {
            let api = client.generated().await?;
            let call = api.close_conversation().account_id(client.account_id()).conversation_id(&conversation);
            let call = if let Some(seconds) = ttl.ttl { call.ttl(seconds) } else { call };
            let id = call.send().await?.into_inner().command_id;
            (conversation, ttl, id)
        }
        LivePersonCommand::Sdes { conversation, file, ttl } => {
            let sdes = read_sdes(&file)?;
            let id = client.set_sdes(&conversation, &sdes, options(&ttl)).await?;
            (conversation, ttl, id)
        }
        LivePersonCommand::Ttr { conversation, ttr, ttl } => {
            let api = client.generated().await?;
            let call = api.set_ttr().account_id(client.account_id()).conversation_id(&conversation).body(ttr);
            let call = if let Some(seconds) = ttl.ttl { call.ttl(seconds) } else { call };
            let id = call.send().await?.into_inner().command_id;
            (conversation, ttl, id)
        }
        LivePersonCommand::Commands { conversation, command_id: None, .. } => {
            let api = client.generated().await?;
            let call = api.list_commands().account_id(client.account_id()).conversation_id(&conversation);
            let commands = call.send().await?.into_inner().0;
            let mut writer = RecordWriter::new(context.output.unwrap_or(OutputFormat::Jsonl), columns(COMMAND_COLUMNS), out);
            for command in commands {
                writer.write(&flatten_command(serde_json::to_value(command).map_err(std::io::Error::other)?))?;
            }
            writer.finish()?;
            return Ok(());
        }
        LivePersonCommand::Commands { conversation, command_id: Some(id), wait, timeout } => {
            let command = if wait {
                client.wait_for_command(&conversation, &id, Duration::from_secs(timeout)).await?
            } else {
                let api = client.generated().await?;
                let call = api.get_command().account_id(client.account_id()).conversation_id(&conversation);
                call.command_id(&id).send().await?.into_inner()
            };
            let value = flatten_command(serde_json::to_value(command).map_err(std::io::Error::other)?);
            write_one(context.output.unwrap_or(OutputFormat::Json), columns(COMMAND_COLUMNS), &value, out)?;
            return Ok(());
        }
    };
    if command_args.wait {
        let command =
            client.wait_for_command(&conversation, &accepted, Duration::from_secs(command_args.timeout)).await?;
        let value = flatten_command(serde_json::to_value(command).map_err(std::io::Error::other)?);
        write_one(context.output.unwrap_or(OutputFormat::Json), columns(COMMAND_COLUMNS), &value, out)?;
    } else {
        let value = json!({ "commandId": accepted });
        write_one(context.output.unwrap_or(OutputFormat::Json), columns(ACCEPTED_COLUMNS), &value, out)?;
    }
    Ok(())
}

/// Lifts `data.type` and `result.error.name` to the top so tables and csv show them.
fn flatten_command(mut command: Value) -> Value {
    let kind = command.pointer("/data/type").cloned();
    let error = command.pointer("/result/error/name").cloned();
    if let Some(map) = command.as_object_mut() {
        map.insert("type".into(), kind.unwrap_or(Value::Null));
        map.insert("error".into(), error.unwrap_or(Value::Null));
    }
    command
}

fn read_sdes(file: &std::path::Path) -> Result<SetSdesRequest, Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| Failure::Usage(format!("{}: {e}", file.display())))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| Failure::Usage(format!("{}: not JSON: {e}", file.display())))?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Failure::Usage(format!("{}: {name} (a string) is required", file.display())))
    };
    let sdes = value
        .get("sdes")
        .and_then(Value::as_array)
        .ok_or_else(|| Failure::Usage(format!("{}: sdes (a list) is required", file.display())))?;
    // Raw SDEs are checked against their documented type by the client.
    Ok(SetSdesRequest::new(
        field("sharkVisitorId")?,
        field("sharkSessionId")?,
        sdes.iter().cloned().map(SdeInput::raw).collect(),
    ))
}

impl crate::connect::Typed for Client {
    type Generated = convo_clients::liveperson::GeneratedClient;

    /// Found on first use: the account's domain is looked up.
    async fn generated(&self) -> Result<&Self::Generated, Failure> {
        Ok(Client::generated(self).await?)
    }
}

impl OwnApi for Settings {
    type Emulator = LivePersonState;
    type Client = Client;

    fn client(&self, config: ClientConfig) -> Result<Client, Failure> {
        let s = self;
        let mut needed = config::Needed::default();
        let account_id = needed.take(s.account_id.clone(), "LIVEPERSON_ACCOUNT_ID", "--account-id");
        let username = needed.take(s.username.clone(), "LIVEPERSON_USERNAME", "--username");
        // The password, else the API key.
        let secret = needed.take(
            s.password.clone().map(Ok).or(s.api_key.clone().map(Err)),
            "LIVEPERSON_PASSWORD (or LIVEPERSON_API_KEY)",
            "--password or --api-key",
        );
        let (Some(account_id), Some(username), Some(secret)) = (account_id, username, secret) else {
            return Err(needed.failure());
        };
        let credentials = match secret {
            Ok(password) => Credentials::UserPass(UserPassCredentials { username, password: password.into() }),
            Err(key) => {
                let parts: Vec<&str> = key.split(':').collect();
                let [app_key, secret, access_token, access_token_secret] = parts[..] else {
                    return Err(Failure::Usage(
                        "LIVEPERSON_API_KEY must be APP_KEY:SECRET:ACCESS_TOKEN:ACCESS_TOKEN_SECRET".into(),
                    ));
                };
                Credentials::ApiKey(ApiKeyCredentials {
                    username,
                    app_key: app_key.into(),
                    secret: secret.into(),
                    access_token: access_token.into(),
                    access_token_secret: access_token_secret.into(),
                })
            }
        };
        let domain = match (s.base_url.clone(), s.bot_domain.clone()) {
            (Some(url), _) => BotDomain::BaseUrl(url),
            (None, Some(text)) => text.parse().map_err(Failure::Usage)?,
            (None, None) => BotDomain::Lookup,
        };
        let login = match s.login.as_deref() {
            Some("legacy") => LoginForm::Legacy,
            _ => LoginForm::Current,
        };
        let builder = Client::builder(account_id, credentials).domain(domain).login_form(login);
        let builder = match s.csds_base_url.clone() {
            Some(url) => builder.csds_base_url(url),
            None => builder,
        };
        Ok(builder.config(config).build()?)
    }

    /// Found the way a real account is: domain lookup, then the zone's host.
    fn sandboxed(sandbox: &LivePersonSandbox, config: ClientConfig) -> Result<Client, Failure> {
        let builder = Client::builder(sandbox.account_id(), sandbox.credentials());
        let builder = builder.csds_base_url(sandbox.base_url()).zone_base_url(sandbox.zone(), sandbox.base_url());
        Ok(builder.config(config).build()?)
    }

    /// A path's `accountId` without a flag is the account of the settings.
    fn defaults(&self, sandbox: Option<&LivePersonSandbox>) -> BTreeMap<&'static str, String> {
        let account = sandbox.map(|sandbox| sandbox.account_id().to_string()).or(self.account_id.clone());
        account.map(|a| ("account_id", a)).into_iter().collect()
    }
}

/// Serves the emulator for `convo sandbox serve` and prints its settings.
pub(crate) async fn serve(options: &ServeOptions) -> Result<Served, Failure> {
    let config = LivePersonConfig { harness: options.harness.clone(), ..LivePersonConfig::default() };
    sandbox::serve_api("liveperson", options, config, |sandbox: &LivePersonSandbox, out| {
        out.export("LIVEPERSON_ACCOUNT_ID", sandbox.account_id());
        if let Credentials::UserPass(user) = sandbox.credentials() {
            out.export("LIVEPERSON_USERNAME", user.username.as_str())
                .export("LIVEPERSON_PASSWORD", user.password.expose());
        }
        // The emulator answers the domain lookups (CSDS) too. Then the
        // seed's example conversation, always open, and a skill that exists.
        out.export("LIVEPERSON_CSDS_BASE_URL", sandbox.base_url())
            .export("LIVEPERSON_BOT_DOMAIN", sandbox.base_url())
            .export("LIVEPERSON_CONVERSATION_ID", convo_clients::sandbox::liveperson::EXAMPLE_CONVERSATION)
            .export("LIVEPERSON_SKILL", "human_skill")
            .samples("open conversations", sandbox.open_conversations());
    })
    .await
}
