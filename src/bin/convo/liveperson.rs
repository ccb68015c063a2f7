//! `convo liveperson …`: the LivePerson Third-Party Bots Public API.

use std::collections::BTreeMap;

use convo_clients::ClientConfig;
use convo_clients::liveperson::auth::{ApiKeyCredentials, UserPassCredentials};
use convo_clients::liveperson::{BotDomain, Client, Credentials, LoginForm};
use convo_clients::sandbox::liveperson::{LivePersonConfig, LivePersonSandbox, LivePersonState};
use serde::Deserialize;

use crate::connect::OwnApi;
use crate::sandbox::{self, ServeOptions, Served};
use crate::{Failure, config};

pub type Args = crate::connect::Args<Settings, crate::connect::NoFlows>;

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

impl config::ApiSettings for Settings {
    const API: &'static str = "liveperson";

    fn urls(&self) -> Vec<Option<&str>> {
        vec![self.base_url.as_deref(), self.bot_domain.as_deref(), self.csds_base_url.as_deref()]
    }
}

// Every command is one of the spec's operations.
pub use crate::connect::no_flows as run;

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
        let mut needed = config::Needed::default();
        let account_id = needed.take(self.account_id.clone(), "LIVEPERSON_ACCOUNT_ID", "--account-id");
        let username = needed.take(self.username.clone(), "LIVEPERSON_USERNAME", "--username");
        // The password, else the API key.
        let secret = needed.take(
            self.password.clone().map(Ok).or(self.api_key.clone().map(Err)),
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
                    return Err(usage!("LIVEPERSON_API_KEY must be APP_KEY:SECRET:ACCESS_TOKEN:ACCESS_TOKEN_SECRET"));
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
        let domain = match (self.base_url.clone(), self.bot_domain.clone()) {
            (Some(url), _) => BotDomain::BaseUrl(url),
            (None, Some(text)) => text.parse().map_err(Failure::Usage)?,
            (None, None) => BotDomain::Lookup,
        };
        let login = if self.login.as_deref() == Some("legacy") { LoginForm::Legacy } else { LoginForm::Current };
        let builder = Client::builder(account_id, credentials).domain(domain).login_form(login);
        let builder = if let Some(url) = self.csds_base_url.clone() { builder.csds_base_url(url) } else { builder };
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
