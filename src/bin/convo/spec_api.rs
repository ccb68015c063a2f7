//! `convo <api> …` for an API with no module of its own here: its settings
//! are its spec's (a base URL, and a credential per security scheme), its
//! commands the spec's operations and `check`, its sandbox the generic store.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use clap::{Arg, ArgMatches, Command, FromArgMatches};
use convo_clients::sandbox::{HarnessConfig, SPEC_CREDENTIAL, SpecSandbox};
use convo_clients::spec::model;
use convo_clients::{OperationClient, SpecClientBuilder};

use crate::operations::Call;
use crate::sandbox::{Described, ServeOptions, Served};
use crate::{Context, Failure, config};

/// An API served from its spec alone (`main.rs` declares one per such API).
pub trait SpecApi: 'static {
    /// Its subcommand, module and feature name.
    const NAME: &'static str;
    const SPEC_JSON: &'static str;
    /// Its generated client.
    type Client: OperationClient + Sync;
    fn builder(base_url: String) -> SpecClientBuilder<Self::Client>;
}

/// One setting of an API: its clap id (also its profile key), flag and
/// environment variable.
struct Setting {
    id: String,
    env: String,
}

impl Setting {
    /// `petKey` of `petstore`: `pet_key`, `--pet-key`, `PETSTORE_PET_KEY`.
    fn new(api: &str, name: &str) -> Self {
        let mut id = String::new();
        for (i, c) in name.chars().enumerate() {
            match c {
                '-' | '.' | ' ' => id.push('_'),
                c if c.is_ascii_uppercase() && i > 0 && !id.ends_with('_') => {
                    id.push('_');
                    id.push(c.to_ascii_lowercase());
                }
                c => id.push(c.to_ascii_lowercase()),
            }
        }
        let env = format!("{api}_{id}").to_ascii_uppercase();
        Self { id, env }
    }

    fn flag(&self) -> String {
        self.id.replace('_', "-")
    }
}

/// The security schemes of `A`'s spec, each with its setting.
fn schemes<A: SpecApi>() -> Vec<(String, Setting)> {
    let spec = model::Spec::from_json(A::SPEC_JSON).ok();
    let schemes = spec.map(|spec| spec.security_schemes).unwrap_or_default();
    schemes
        .into_iter()
        .map(|scheme| (Setting::new(A::NAME, &scheme.name), scheme.name))
        .map(|(setting, name)| (name, setting))
        .collect()
}

/// The spec's first server, the base URL when none is set.
fn spec_server<A: SpecApi>() -> Option<String> {
    let spec: serde_json::Value = serde_json::from_str(A::SPEC_JSON).ok()?;
    spec.pointer("/servers/0/url")?.as_str().map(str::to_owned)
}

/// The settings of `A`: `--base-url` and one secret per security scheme,
/// global to its subcommands.
pub struct Settings<A> {
    base_url: Option<String>,
    /// By scheme name.
    credentials: BTreeMap<String, String>,
    api: PhantomData<A>,
}

/// The base URL only (without userinfo): the rest are secrets.
impl<A: SpecApi> std::fmt::Debug for Settings<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let base_url = self.base_url.as_deref().map(convo_clients::redact::without_userinfo);
        f.debug_struct(A::NAME).field("base_url", &base_url).finish_non_exhaustive()
    }
}

impl<A> Default for Settings<A> {
    fn default() -> Self {
        Self { base_url: None, credentials: BTreeMap::new(), api: PhantomData }
    }
}

/// A profile's table typed as these settings: every value a text (which
/// `config::settings` then reads as its flag would).
impl<'de, A> serde::Deserialize<'de> for Settings<A> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <BTreeMap<String, String> as serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self::default())
    }
}

impl<A: SpecApi> config::ApiSettings for Settings<A> {
    const API: &'static str = A::NAME;

    fn urls(&self) -> Vec<Option<&str>> {
        vec![self.base_url.as_deref()]
    }
}

const BASE_URL: &str = "base_url";

impl<A: SpecApi> clap::Args for Settings<A> {
    fn augment_args(command: Command) -> Command {
        let base_url = Setting::new(A::NAME, BASE_URL);
        let default = spec_server::<A>().map(|url| format!(" (default {url})")).unwrap_or_default();
        let mut command = command.arg(
            Arg::new(BASE_URL)
                .long("base-url")
                .value_name("URL")
                .global(true)
                .env(base_url.env)
                .help(format!("Base URL{default}.")),
        );
        for (scheme, setting) in schemes::<A>() {
            command = command.arg(
                Arg::new(setting.id.clone())
                    .long(setting.flag())
                    .value_name("SECRET")
                    .global(true)
                    .env(setting.env)
                    .hide_env_values(true)
                    .help(format!("The credential of the spec's security scheme `{scheme}`. Prefer the environment.")),
            );
        }
        command
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

impl<A: SpecApi> FromArgMatches for Settings<A> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut settings = Self::default();
        settings.update_from_arg_matches(matches)?;
        Ok(settings)
    }

    /// Takes the values `matches` has, leaving the others.
    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        let value = |id: &str| matches.try_get_one::<String>(id).ok().flatten().cloned();
        if let Some(url) = value(BASE_URL) {
            self.base_url = Some(url);
        }
        for (scheme, setting) in schemes::<A>() {
            if let Some(secret) = value(&setting.id) {
                self.credentials.insert(scheme, secret);
            }
        }
        Ok(())
    }
}

/// Every command of such an API is one of its spec's operations (or `check`).
pub fn run(api: &str) -> Result<(), Failure> {
    Err(Failure::Usage(format!("{api} needs a command: see `convo {api} --help`")))
}

/// The client `settings` (then the spec's server) describe; with
/// `--sandbox`, a served sandbox's when they point at one, else a fresh
/// generic sandbox's.
async fn connect<A: SpecApi>(
    settings: &Settings<A>,
    context: &Context,
) -> Result<(A::Client, Option<SpecSandbox>), Failure> {
    let schemes = schemes::<A>();
    if context.sandbox && !crate::connect::served(&config::ApiSettings::urls(settings)) {
        let sandbox = start_spec(A::SPEC_JSON).await?;
        let builder =
            schemes.iter().fold(A::builder(sandbox.base_url()), |b, (scheme, _)| b.credential(scheme, SPEC_CREDENTIAL));
        return Ok((builder.config(context.client_config.clone()).build()?, Some(sandbox)));
    }
    let mut needed = config::Needed::default();
    let base_url = settings.base_url.clone().or_else(spec_server::<A>);
    let base_url = needed.take(base_url, leak(Setting::new(A::NAME, BASE_URL).env), "--base-url");
    let credentials: Vec<(&String, String)> =
        schemes.iter().filter_map(|(scheme, _)| Some((scheme, settings.credentials.get(scheme)?.clone()))).collect();
    // The spec may offer schemes as alternatives: one will do.
    if credentials.is_empty() {
        for (_, setting) in &schemes {
            needed.take(None::<()>, leak(setting.env.clone()), leak(format!("--{}", setting.flag())));
        }
    }
    let Some(base_url) = base_url.filter(|_| schemes.is_empty() || !credentials.is_empty()) else {
        return Err(needed.failure());
    };
    let builder =
        credentials.into_iter().fold(A::builder(base_url), |b, (scheme, secret)| b.credential(scheme, secret));
    Ok((builder.config(context.client_config.clone()).build()?, None))
}

/// Sends one of the spec's operations, or runs `check`.
pub async fn send_operation<A: SpecApi>(call: Call<'_>) -> Result<(), Failure> {
    let (client, _sandbox) = connect::<A>(&call.settings()?, call.context).await?;
    call.send(&client, &BTreeMap::new()).await
}

/// Serves the generic store for `convo sandbox serve`, exporting the base
/// URL and a credential for each scheme (any one is accepted).
pub async fn serve<A: SpecApi>(options: &ServeOptions) -> Result<Served, Failure> {
    serve_spec(A::NAME, options, A::SPEC_JSON, |sandbox, out| {
        out.export(leak(Setting::new(A::NAME, BASE_URL).env), sandbox.base_url());
        for (_, setting) in schemes::<A>() {
            out.export(leak(setting.env), SPEC_CREDENTIAL);
        }
        // A few ids of each paged collection, to try commands on.
        let spec = model::Spec::from_json(A::SPEC_JSON).ok();
        for op in spec.iter().flat_map(|spec| &spec.operations).filter(|op| op.paging.is_some()) {
            let ids = sandbox.records(&op.path).into_iter().filter_map(|record| match &record["id"] {
                serde_json::Value::String(id) => Some(id.clone()),
                serde_json::Value::Number(id) => Some(id.to_string()),
                _ => None,
            });
            out.samples(leak(op.path.rsplit('/').next().unwrap_or_default().to_owned()), ids);
        }
    })
    .await
}

/// Serves `spec_json` with the generic store alone, for an API with no
/// emulator of its own; `describe` names its settings.
pub async fn serve_spec(
    api: &'static str,
    options: &ServeOptions,
    spec_json: &str,
    describe: impl FnOnce(&SpecSandbox, &mut Described),
) -> Result<Served, Failure> {
    let spec = serde_json::from_str(spec_json).map_err(|e| Failure::Usage(format!("{api}: its spec: {e}")))?;
    let sandbox = SpecSandbox::from_spec(&spec, options.port, &options.harness)
        .await
        .map_err(|e| Failure::Usage(format!("{api}: cannot listen: {e}")))?;
    let mut described = Described::default();
    describe(&sandbox, &mut described);
    Ok(Served { api, base_url: sandbox.base_url(), described, _server: Box::new(sandbox) })
}

/// The generic store serving `spec_json`, for `--sandbox` of an API with no emulator.
pub async fn start_spec(spec_json: &str) -> Result<SpecSandbox, Failure> {
    let spec = serde_json::from_str(spec_json).map_err(|e| Failure::Usage(format!("the spec: {e}")))?;
    SpecSandbox::from_spec(&spec, 0, &HarnessConfig::default())
        .await
        .map_err(|e| Failure::Usage(format!("cannot start the sandbox: {e}")))
}

/// Names live as long as the process (clap's and `Needed`'s are `&'static`).
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}
