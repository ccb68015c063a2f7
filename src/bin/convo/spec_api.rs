//! The settings an API's spec gives: a base URL and a credential per security
//! scheme, with flag, environment variable and help from the scheme. An API
//! with no module here is served from its spec alone (operations, `check`, the
//! generic store); one with flows takes the same settings ([`Settings`]).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use clap::{Arg, ArgMatches, Command, FromArgMatches};
use convo_clients::sandbox::{
    Emulator, HarnessConfig, SPEC_CREDENTIAL, Sandbox, SpecOnly, SpecSandbox, spec_token_field,
};
use convo_clients::spec::model;
use convo_clients::{ClientConfig, OperationClient, Secret, SpecClient, SpecClientBuilder};

use crate::connect::{OwnApi, Typed};
use crate::operations::{Call, leak};
use crate::sandbox::{Described, ServeOptions, Served};
use crate::{Failure, config};

/// One setting of an API: its clap id (also its profile key), flag,
/// environment variable and help, and whether it is a secret.
struct Setting {
    id: String,
    env: String,
    help: String,
    secret: bool,
}

impl Setting {
    fn flag(&self) -> String {
        self.id.replace('_', "-")
    }

    /// `--base-url`, `PETSTORE_BASE_URL`; its help names the spec's servers.
    fn base_url<C: SpecClient>() -> Self {
        let servers: &[String] = spec::<C>().map_or(&[], |spec| &spec.servers);
        let default = spec::<C>().and_then(|spec| spec.default_server());
        let help = match (default, servers) {
            (_, []) => "Base URL.".to_owned(),
            // A server with variables, such as a customer's own host.
            (None, [first, ..]) => format!("Base URL, e.g. {first}."),
            (Some(first), [_]) => format!("Base URL (default {first})."),
            (Some(first), others) => {
                let others: Vec<&str> = others.iter().map(String::as_str).filter(|s| *s != first).collect();
                format!("Base URL (default {first}; the spec also lists {}).", others.join(", "))
            }
        };
        Self::new::<C>(BASE_URL.into(), help, false)
    }

    /// The setting `id` of `C`: `PETSTORE_<ID>` its environment variable.
    fn new<C: SpecClient>(id: String, help: String, secret: bool) -> Self {
        let env = format!("{}_{id}", C::NAME).to_ascii_uppercase();
        let help = if secret { format!("{help} Prefer the environment.") } else { help };
        Self { id, env, help, secret }
    }
}

/// `C`'s spec, read once for the process (clap asks often).
fn spec<C: SpecClient>() -> Option<&'static model::Spec> {
    model::Spec::embedded(C::SPEC_JSON).ok()
}

/// The credentials of `C`'s spec by the builder's name (a scheme, or a field of
/// its token's operation), with its setting and the scheme whose token it makes.
fn credentials<C: SpecClient>() -> Vec<(String, Setting, Option<String>)> {
    let schemes: &[model::SecurityScheme] = spec::<C>().map_or(&[], |spec| &spec.security_schemes);
    let mut credentials = Vec::new();
    for scheme in schemes {
        // `petKey` of `petstore` is `--pet-key`, `PETSTORE_PET_KEY`, unless its `x-cli` says otherwise.
        let what = scheme.description.clone();
        let what = what.unwrap_or_else(|| format!("The credential of the spec's security scheme `{}`.", scheme.name));
        let setting = Setting::new::<C>(scheme.setting(), what, true);
        let setting = Setting { env: scheme.cli_env.clone().unwrap_or(setting.env), ..setting };
        credentials.push((scheme.name.clone(), setting, None));
        // A field of the operation that gives its token (`x-token`): `client_secret` is `--client-secret`.
        for field in scheme.token.iter().flat_map(|token| &token.fields) {
            let what = field.description.clone();
            let what = what.unwrap_or_else(|| format!("The {} of the {} token.", field.name, scheme.name));
            let setting = Setting::new::<C>(model::case(&field.name, '_'), what, field.secret);
            credentials.push((field.name.clone(), setting, Some(scheme.name.clone())));
        }
    }
    credentials
}

/// A builder of `C` at `base_url` with the credentials `secret` gives.
fn builder<C: SpecClient>(base_url: &str, secret: impl Fn(&str) -> Option<Secret>) -> SpecClientBuilder<C> {
    credentials::<C>().iter().fold(C::spec_builder(base_url), |builder, (name, _, _)| match secret(name) {
        Some(secret) => builder.credential(name, secret),
        None => builder,
    })
}

/// The settings of the API whose client is `C`: `--base-url` and a secret per
/// scheme. `E` is its emulator, for `--sandbox`.
pub struct Settings<C, E = SpecOnly> {
    base_url: Option<String>,
    /// By scheme name.
    credentials: BTreeMap<String, String>,
    api: PhantomData<fn() -> (C, E)>,
}

impl<C, E> Default for Settings<C, E> {
    fn default() -> Self {
        Self { base_url: None, credentials: BTreeMap::new(), api: PhantomData }
    }
}

/// A profile's table typed as these settings: a secret a text, the others a
/// text or a whole number (`config::settings` reads them as their flags).
impl<'de, C: SpecClient, E> serde::Deserialize<'de> for Settings<C, E> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(Profile(PhantomData))
    }
}

/// Reads a profile's table for [`Settings`].
struct Profile<C, E>(PhantomData<fn() -> (C, E)>);

impl<'de, C: SpecClient, E> serde::de::Visitor<'de> for Profile<C, E> {
    type Value = Settings<C, E>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a table of settings")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let secrets: Vec<String> =
            credentials::<C>().into_iter().filter(|(_, s, _)| s.secret).map(|(_, s, _)| s.id).collect();
        while let Some(key) = map.next_key::<String>()? {
            if secrets.contains(&key) {
                map.next_value::<String>()?;
            } else if !matches!(map.next_value()?, toml::Value::String(_) | toml::Value::Integer(_)) {
                return Err(serde::de::Error::custom(format!("{key}: expected a text or a whole number")));
            }
        }
        Ok(Settings::default())
    }
}

impl<C: SpecClient, E> config::ApiSettings for Settings<C, E> {
    const API: &'static str = C::NAME;

    fn urls(&self) -> Vec<Option<&str>> {
        vec![self.base_url.as_deref()]
    }
}

const BASE_URL: &str = "base_url";

impl<C: SpecClient, E> clap::Args for Settings<C, E> {
    fn augment_args(command: Command) -> Command {
        let credentials = credentials::<C>().into_iter().map(|(_, setting, _)| setting);
        command.args(std::iter::once(Setting::base_url::<C>()).chain(credentials).map(|setting| {
            let value_name = match (setting.secret, setting.id == BASE_URL) {
                (true, _) => "SECRET",
                (false, true) => "URL",
                (false, false) => "VALUE",
            };
            let arg = Arg::new(setting.id.clone()).long(setting.flag()).value_name(value_name).global(true);
            arg.env(setting.env).hide_env_values(setting.secret).help(setting.help)
        }))
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

impl<C: SpecClient, E> FromArgMatches for Settings<C, E> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut settings = Self::default();
        settings.update_from_arg_matches(matches)?;
        Ok(settings)
    }

    /// Takes the values `matches` has, leaving the others.
    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        let value = |id: &str| matches.try_get_one::<String>(id).ok().flatten().cloned();
        self.base_url = value(BASE_URL).or(self.base_url.take());
        for (name, setting, _) in credentials::<C>() {
            if let Some(secret) = value(&setting.id) {
                self.credentials.insert(name, secret);
            }
        }
        Ok(())
    }
}

impl<C: SpecClient, E> Settings<C, E> {
    /// The client the settings describe. Each scheme the operations send needs
    /// its credential, or all fields of the operation that gives its token.
    fn build(&self, config: ClientConfig) -> Result<C, Failure> {
        let credentials = credentials::<C>();
        let mut needed = config::Needed::default();
        let server = || spec::<C>().and_then(|spec| spec.default_server()).map(str::to_owned);
        let base_url =
            needed.take(self.base_url.clone().or_else(server), leak(&Setting::base_url::<C>().env), "--base-url");
        // The schemes the operations send.
        let sent: Vec<&String> =
            spec::<C>().iter().flat_map(|spec| &spec.operations).flat_map(|op| op.first_security()).collect();
        let given = |name: &str| self.credentials.contains_key(name);
        for (name, setting, token_of) in &credentials {
            let missing = match token_of {
                Some(scheme) => sent.contains(&scheme) && !given(scheme) && !given(name),
                None => {
                    let made = || credentials.iter().any(|(_, _, of)| of.as_ref() == Some(name));
                    sent.contains(&name) && !given(name) && !made()
                }
            };
            if missing {
                needed.take(None::<()>, leak(&setting.env), leak(&format!("--{}", setting.flag())));
            }
        }
        let Some(base_url) = base_url.filter(|_| needed.is_empty()) else { return Err(needed.failure()) };
        let builder = builder::<C>(&base_url, |name| self.credentials.get(name).map(|s| s.as_str().into()));
        Ok(builder.config(config).build()?)
    }
}

/// An API with flows of its own (`E` its emulator) whose client its spec's settings make.
impl<C: SpecClient + Typed, E: Emulator<Config: Default>> OwnApi for Settings<C, E> {
    type Emulator = E;
    type Client = C;

    fn client(&self, config: ClientConfig) -> Result<C, Failure> {
        self.build(config)
    }

    fn sandboxed(sandbox: &Sandbox<E>, config: ClientConfig) -> Result<C, Failure> {
        Ok(builder::<C>(&sandbox.base_url(), |scheme| sandbox.credential(scheme)).config(config).build()?)
    }
}

/// Exports the settings of `C` for `convo sandbox serve`, credentials as `secret` gives them.
pub fn export<C: SpecClient>(out: &mut Described, base_url: String, secret: impl Fn(&str) -> Option<Secret>) {
    out.export(leak(&Setting::base_url::<C>().env), base_url);
    for (name, setting, _) in credentials::<C>() {
        if let Some(secret) = secret(&name) {
            out.export(leak(&setting.env), secret.expose());
        }
    }
}

/// What the generic sandbox takes for the credential `name` of `C`.
fn spec_sandbox_credential<C: SpecClient>(name: &str) -> Option<Secret> {
    let schemes: &[model::SecurityScheme] = spec::<C>().map_or(&[], |spec| &spec.security_schemes);
    let mut fields = schemes.iter().flat_map(|scheme| scheme.token.iter().flat_map(|token| &token.fields));
    Some(fields.find(|field| field.name == name).map_or(SPEC_CREDENTIAL, spec_token_field).into())
}

/// Sends one of the spec's operations, or runs `check`; with `--sandbox`, to a
/// served sandbox when the settings point at one, else to a fresh generic one.
pub async fn send_operation<C: SpecClient + OperationClient + Sync>(call: Call<'_>) -> Result<(), Failure> {
    let (settings, config): (Settings<C>, _) = (call.settings()?, call.context.client_config.clone());
    if call.context.sandbox && !crate::connect::served(&config::ApiSettings::urls(&settings)) {
        let sandbox = start::<C>(0, &HarnessConfig::default()).await?;
        let client = builder::<C>(&sandbox.base_url(), spec_sandbox_credential::<C>).config(config).build()?;
        return call.send(&client, &BTreeMap::new()).await;
    }
    call.send(&settings.build(config)?, &BTreeMap::new()).await
}

/// The generic store of `C`'s spec, on `port` (0: a free one).
async fn start<C: SpecClient>(port: u16, harness: &HarnessConfig) -> Result<SpecSandbox, Failure> {
    let api = C::NAME;
    let doc = serde_json::from_str(C::SPEC_JSON).map_err(|e| usage!("{api}: its spec: {e}"))?;
    SpecSandbox::from_spec(&doc, port, harness).await.map_err(|e| usage!("{api}: cannot listen: {e}"))
}

/// Serves the generic store for `convo sandbox serve`, exporting the base
/// URL and a credential for each scheme (the one it accepts).
pub async fn serve<C: SpecClient>(options: &ServeOptions) -> Result<Served, Failure> {
    let sandbox = start::<C>(options.port, &options.harness).await?;
    Ok(crate::sandbox::served(C::NAME, sandbox, |sandbox, out| {
        export::<C>(out, sandbox.base_url(), spec_sandbox_credential::<C>);
        // A few ids of each paged collection, to try commands on.
        for op in spec::<C>().iter().flat_map(|spec| &spec.operations).filter(|op| op.paging.is_some()) {
            let ids =
                sandbox.records(&op.path).into_iter().filter_map(|record| crate::operations::scalar(&record["id"]));
            out.samples(leak(op.path.rsplit('/').next().unwrap_or_default()), ids);
        }
    }))
}
