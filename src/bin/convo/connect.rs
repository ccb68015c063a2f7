//! How a command reaches an API with a module of its own: the module builds its
//! typed client ([`OwnApi`]); settings, `--sandbox` and operations are shared.

use std::collections::BTreeMap;

use convo_clients::sandbox::{Emulator, Sandbox};
use convo_clients::{ClientConfig, OperationClient};

use crate::operations::Call;
use crate::{Context, Failure, config};

/// What an API with a module of its own supplies, on its settings.
pub trait OwnApi: config::ApiSettings {
    /// Its emulator, for `--sandbox`.
    type Emulator: Emulator<Config: Default>;
    /// Its typed client, which the hand-written flows use.
    type Client: Typed;

    /// The typed client the settings describe (its own defaults for the rest).
    fn client(&self, config: ClientConfig) -> Result<Self::Client, Failure>;
    /// The typed client of a fresh emulator, with its credentials.
    fn sandboxed(sandbox: &Sandbox<Self::Emulator>, config: ClientConfig) -> Result<Self::Client, Failure>;
    /// Settings' values by clap id, for parameters sharing their flag (`--account-id`).
    fn defaults(&self, _sandbox: Option<&Sandbox<Self::Emulator>>) -> BTreeMap<&'static str, String> {
        BTreeMap::new()
    }
}

// The flows of an API with none, whose module still builds a client or serves
// an emulator. (Not a doc comment: that would be the API's about text.)
#[derive(clap::Subcommand)]
pub(crate) enum NoFlows {}

/// Runs a flow of an API that has none.
#[cfg_attr(not(any(feature = "raia", feature = "salesloft", feature = "liveperson")), allow(dead_code))]
pub async fn no_flows<C>(_: C, command: NoFlows, _: &Context) -> Result<(), Failure> {
    match command {}
}

// An API's command line: its settings and its flows `C`. (Not a doc comment:
// that would be the API's about text, which is its spec's title.)
#[derive(clap::Args)]
pub struct Args<S: OwnApi, C: clap::Subcommand> {
    #[command(flatten)]
    pub settings: config::WithSecretFiles<S>,
    #[command(subcommand)]
    pub command: C,
}

impl<S: OwnApi, C: clap::Subcommand> Args<S, C> {
    /// Sends one of the spec's operations (`convo <api> <operation>`), or runs `check`.
    pub async fn send_operation(call: Call<'_>) -> Result<(), Failure> {
        let settings: S = call.settings()?;
        let (client, sandbox) = connect(&settings, call.context).await?;
        let defaults = settings.defaults(sandbox.as_ref());
        call.send(client.generated().await?, &defaults).await
    }
}

/// A typed client, and the generated one inside it that the spec's operations use.
pub trait Typed {
    type Generated: OperationClient + Sync;
    async fn generated(&self) -> Result<&Self::Generated, Failure>;
}

impl<G: OperationClient + Sync, S> Typed for convo_clients::ApiClient<G, S> {
    type Generated = G;

    async fn generated(&self) -> Result<&G, Failure> {
        Ok(convo_clients::ApiClient::generated(self))
    }
}

/// The client `settings` describe; with `--sandbox`, a served sandbox's when
/// they point at one, else a fresh emulator's, alive as long as the handle.
pub async fn connect<S: OwnApi>(
    settings: &S,
    context: &Context,
) -> Result<(S::Client, Option<Sandbox<S::Emulator>>), Failure> {
    if context.sandbox && !served(&settings.urls()) {
        let sandbox = Sandbox::<S::Emulator>::start(42, 0, Default::default())
            .await
            .map_err(|e| usage!("cannot start the sandbox: {e}"))?;
        return Ok((S::sandboxed(&sandbox, context.client_config.clone())?, Some(sandbox)));
    }
    Ok((settings.client(context.client_config.clone())?, None))
}

/// Whether any of `urls` is on this machine's loopback, where `convo sandbox serve` listens.
pub fn served(urls: &[Option<&str>]) -> bool {
    let hosts = urls.iter().flatten().filter_map(|url| reqwest::Url::parse(url).ok()?.host_str().map(str::to_owned));
    hosts.into_iter().any(|host| {
        let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>();
        host == "localhost" || ip.is_ok_and(|ip| ip.is_loopback())
    })
}
