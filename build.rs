//! Generates one client module per enabled API from `specs/<api>.yaml`.
//!
//! For each API this writes to `OUT_DIR`:
//! - `<api>.rs`: the progenitor client (builder interface), formatted with
//!   prettyplease, plus the `ClientHooks` impl that routes every request through
//!   `crate::runtime` (retries, auth headers, tracing);
//! - `<api>_open_enums.rs`: one open enum per named string enum in the spec
//!   (progenitor is told to use them instead of its strict enums), and the list
//!   of POST operations marked `x-retry-safe`;
//! - `<api>_facts.rs`: facts the spec states in vendor extensions, as Rust, so
//!   that no hand-written copy can drift from the spec (see [`facts`]);
//! - `<api>.spec.json`: the spec as JSON, for the sandbox and contract tests;
//! - `<api>_module.rs`: the module's generated items (the client, `types`,
//!   `SPEC_JSON`), which `src/<api>/mod.rs` includes when the API has
//!   hand-written extensions (see [`module_items`]), with the named
//!   constructors of its `Client` when one key is all it needs (see
//!   [`key_constructors`]);
//! - `apis.rs`, included by `src/lib.rs`: `pub mod <api>` for every enabled
//!   API and the `for_each_api!` list (see [`api_modules`]).
//!
//! A schema with `x-convo-rust-type: <path>` is replaced by that hand-written
//! type (used where generated derives would be wrong, e.g. `Debug` on a secret).
//!
//! The test `tests/it/specs.rs` includes this file to run the same generation on
//! every spec, so a spec that breaks progenitor fails a test, not just a build.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

// The spec model the crate reads specs through at run time, shared so that
// generation and run time read a spec one way.
#[path = "src/spec/model.rs"]
#[allow(dead_code)]
mod model;

/// The APIs with a spec: `specs/<api>.yaml`, each generated when the cargo
/// feature of the same name is on (and listed in `for_each_api!`).
pub fn specs(root: &Path) -> Vec<(String, PathBuf)> {
    let mut specs: Vec<(String, PathBuf)> = std::fs::read_dir(root.join("specs"))
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let api = path.file_stem()?.to_str()?.to_owned();
            (path.extension()? == "yaml").then_some((api, path))
        })
        .collect();
    specs.sort();
    specs
}

/// What generation produced for one spec.
pub struct Generated {
    /// Formatted client module.
    pub client: String,
    /// Open enums and operation metadata, included beside the client.
    pub extras: String,
    /// The spec as JSON.
    pub spec_json: String,
    /// Facts from vendor extensions (`x-filter-table`, `x-format: e164`).
    pub facts: String,
    /// The module's generated items (see [`module_items`]).
    pub module: String,
    /// The value of each filter field in a record (see [`filter_table`]).
    pub filter_reads: String,
    /// `Client::new(key)` and `Client::builder(key)` of an API with a module
    /// of its own, when its spec's one security scheme is a key (see
    /// [`key_constructors`]); empty otherwise.
    pub constructors: String,
}

#[allow(dead_code)]
fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=specs");
    let mut enabled = Vec::new();
    for (api, spec) in specs(&root) {
        println!("cargo::rerun-if-changed={}", spec.display());
        if std::env::var_os(format!("CARGO_FEATURE_{}", api.to_uppercase())).is_none() {
            continue;
        }
        // Whether the API has hand-written extensions is a fact of the tree.
        let extension = root.join("src").join(&api).join("mod.rs");
        println!("cargo::rerun-if-changed={}", extension.display());
        let own = extension.is_file();
        enabled.push((api.clone(), own.then_some(extension)));
        let api = api.as_str();
        let generated = match generate_file(api, &spec) {
            Ok(g) => g,
            Err(message) => {
                // One line that names the file and the cause; no backtrace.
                println!("cargo::error=specs/{api}.yaml: {message}");
                std::process::exit(1);
            }
        };
        for (name, text) in [
            (format!("{api}.rs"), &generated.client),
            (format!("{api}_open_enums.rs"), &generated.extras),
            (format!("{api}.spec.json"), &generated.spec_json),
            (format!("{api}_facts.rs"), &generated.facts),
            (format!("{api}_filter_reads.rs"), &generated.filter_reads),
            (format!("{api}_module.rs"), &(generated.module.clone() + if own { &generated.constructors } else { "" })),
        ] {
            write(&out, &name, text);
        }
    }
    write(&out, "apis.rs", &api_modules(&root, &enabled));
}

fn write(out: &Path, name: &str, text: &str) {
    if let Err(e) = std::fs::write(out.join(name), text) {
        println!("cargo::error=cannot write {name}: {e}");
        std::process::exit(1);
    }
}

/// `src/lib.rs`'s API modules, one per enabled API: `src/<api>/mod.rs` when
/// the API has hand-written extensions (it includes `<api>_module.rs`, the
/// generated items, beside them), else the generated items alone, the
/// generated client being the module's `Client`. Then `for_each_api!`, the
/// list of enabled APIs (`module: "feature",`) the CLI, the sandbox and the
/// tests declare their per-API items from.
pub fn api_modules(root: &Path, enabled: &[(String, Option<PathBuf>)]) -> String {
    let mut s = String::from("// Generated by build.rs from specs/; do not edit.\n\n");
    for (api, extension) in enabled {
        match extension {
            Some(path) => s.push_str(&format!("#[path = {:?}]\npub mod {api};\n\n", path.display().to_string())),
            None => s.push_str(&format!(
                "/// The client generated from `specs/{api}.yaml`: `Client::builder(base_url)\n\
                 /// .credential(\"<securityScheme>\", secret).build()?`, every operation a method.\n\
                 pub mod {api} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{api}_module.rs\"));\n    \
                 pub use generated::Client;\n}}\n\n"
            )),
        }
    }
    s.push_str(
        "/// The enabled APIs, one line each: the module and its cargo feature.\n\
         #[doc(hidden)]\n#[macro_export]\nmacro_rules! for_each_api {\n    ($callback:ident) => {\n        $callback! {\n",
    );
    for (api, _) in enabled {
        s.push_str(&format!("            {api}: {api:?},\n"));
    }
    s.push_str("        }\n    };\n}\n");
    s.push_str(&by_module(root, enabled));
    s
}

/// `for_each_api_by_module!`: the enabled APIs split by whether a surface
/// has a hand-written module for them (`cli`: `src/bin/convo/<api>.rs`,
/// `sandbox`: `src/sandbox/<api>/mod.rs`) or is served by its generic one.
fn by_module(root: &Path, enabled: &[(String, Option<PathBuf>)]) -> String {
    let mut s = String::from(
        "/// The enabled APIs by surface: `own` those with a hand-written module\n\
         /// there, `generic` the others.\n#[doc(hidden)]\n#[macro_export]\nmacro_rules! for_each_api_by_module {\n",
    );
    for (surface, folder, file) in [("cli", "src/bin/convo", ".rs"), ("sandbox", "src/sandbox", "/mod.rs")] {
        let (mut own, mut generic) = (String::new(), String::new());
        for (api, _) in enabled {
            let module = root.join(folder).join(format!("{api}{file}"));
            println!("cargo::rerun-if-changed={}", module.display());
            let list = if module.is_file() { &mut own } else { &mut generic };
            list.push_str(&format!("{api}: {api:?}, "));
        }
        // Which of the two kinds a surface has, for its `#[cfg]`s: the
        // helpers of the kind it lacks are unused.
        for (kind, list) in [("own", &own), ("generic", &generic)] {
            println!("cargo::rustc-check-cfg=cfg({surface}_{kind}_apis)");
            if !list.is_empty() {
                println!("cargo::rustc-cfg={surface}_{kind}_apis");
            }
        }
        s.push_str(&format!(
            "    ({surface}, $callback:ident) => {{\n        $callback! {{ own: [{own}], generic: [{generic}] }}\n    }};\n"
        ));
    }
    s.push_str("}\n");
    s
}

/// The items every API module has, generated: the progenitor client (its
/// `Client`, with `Client::builder(base_url)` taking a credential per
/// security scheme, and its `builder` module), `types` (the generated ones,
/// the open enums, and the hand-written stand-ins the spec names with
/// `x-convo-rust-type`, under their schema names), and `SPEC_JSON`.
fn module_items(api: &str, stand_ins: &[(&String, &str)]) -> String {
    let stand_ins: String = stand_ins
        .iter()
        .map(|(name, path)| {
            format!("    /// Hand-written stand-in for the spec's `{name}`.\n    pub use {path} as {name};\n")
        })
        .collect();
    format!(
        "// Generated by build.rs from specs/{api}.yaml; do not edit.\n\n\
         #[allow(clippy::all, unused_imports, dead_code, missing_docs, rustdoc::all)]\n\
         mod generated {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{api}.rs\"));\n}}\n\n\
         /// Request and response types, generated from `specs/{api}.yaml`.\n\
         pub mod types {{\n    pub use super::generated::types::*;\n{stand_ins}    \
         include!(concat!(env!(\"OUT_DIR\"), \"/{api}_open_enums.rs\"));\n}}\n\n\
         pub use generated::Client as GeneratedClient;\npub use generated::builder;\n\n\
         /// The spec this client was generated from, as JSON.\n\
         pub const SPEC_JSON: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/{api}.spec.json\"));\n"
    )
}

/// Reads and generates one spec file.
pub fn generate_file(api: &str, spec_path: &Path) -> Result<Generated, String> {
    let yaml = std::fs::read_to_string(spec_path).map_err(|e| format!("cannot read: {e}"))?;
    generate(api, &yaml)
}

/// Parses, lints and generates one spec. Progenitor panics on some constructs;
/// those panics are caught and returned as the error message.
pub fn generate(api: &str, yaml: &str) -> Result<Generated, String> {
    let doc: Value = serde_yaml::from_str(yaml).map_err(|e| format!("invalid YAML: {e}"))?;
    let version = doc.get("openapi").and_then(Value::as_str);
    if !version.is_some_and(|v| v.starts_with("3.0.")) {
        return Err(format!("`openapi` must be 3.0.x, found {version:?}"));
    }
    let model = model::Spec::parse(&doc).map_err(|e| format!("{e} (at {})", e.pointer))?;
    lint(&doc, &model)?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(for_progenitor(&doc, &model))
        .map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;

    let enums = open_enums(&doc)?;
    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_inner_type(quote_path("crate::runtime::Runtime")?)
        .with_hooks(progenitor::HooksMode::Expected);
    for e in &enums {
        settings.with_replacement(&e.name, format!("crate::{api}::types::{}", e.name), std::iter::empty());
    }
    // A string with only a length limit stays a `String`: the runtime checks
    // the limit against the spec before sending, so typify's per-operation
    // newtypes (`GetConversationCcdrId`) would only make callers convert.
    let non_empty = serde_json::from_value(serde_json::json!({"type": "string", "minLength": 1}));
    settings.with_conversion(non_empty.map_err(|e| e.to_string())?, "::std::string::String", std::iter::empty());
    // Schemas a hand-written type stands in for, e.g. one that holds a secret.
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten();
    let stand_ins: Vec<(&String, &str)> =
        schemas.filter_map(|(name, schema)| Some((name, schema.get("x-convo-rust-type")?.as_str()?))).collect();
    for (name, path) in &stand_ins {
        settings.with_replacement(name, path, std::iter::empty());
    }

    let tokens = catch_panic(|| progenitor::Generator::new(&settings).generate_tokens(&spec))?
        .map_err(|e| format!("progenitor rejected the spec: {e}"))?;
    let mut file: syn::File = syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    add_streams(api, &model, &mut file)?;
    forward_compatible(&mut file);
    let (facts, filter_reads) = facts(api, &model, &file)?;
    // Success bodies decode through the runtime, so that one that does not
    // decode names its operation and masks secrets in its excerpt, and the
    // client counts what the body held that the spec does not list.
    let mut client = prettyplease::unparse(&file).replace(
        "ResponseValue::from_response(response).await",
        "crate::runtime::decode(response, info.operation_id, &client.inner).await",
    );
    client.push_str(HOOKS_IMPL);

    let mut extras = String::from("// Generated by build.rs from the spec; do not edit.\n");
    for e in &enums {
        extras.push_str(&e.render());
    }
    client.push_str(&api_info(api, &model)?);
    let spec_json = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    let module = module_items(api, &stand_ins);
    let constructors = key_constructors(&model);
    Ok(Generated { client, extras, spec_json, facts, module, filter_reads, constructors })
}

/// The named constructors of the `Client` of an API with a module of its
/// own whose spec has one security scheme, an `apiKey`: that key is all a
/// client needs, so `Client::new(key)` and `Client::builder(key)` take it,
/// the argument named after the scheme's setting (`x-cli`'s flag, else the
/// scheme's name: `secret_key`) and documented by its description. The
/// module defines `Client` (an `ApiClient` around the generated client),
/// `ClientBuilder` and `BASE_URL`.
fn key_constructors(spec: &model::Spec) -> String {
    let [scheme] = spec.security_schemes.as_slice() else { return String::new() };
    if matches!(scheme.carrier, model::Carrier::Authorization(_)) {
        return String::new();
    }
    let (name, key) = (&scheme.name, scheme.setting());
    let what =
        format!("{} (the spec's security scheme `{name}`).", scheme.description.as_deref().unwrap_or("the credential"));
    let what = what.replace(". (the spec's", " (the spec's");
    // A doc comment: its summary, then `what`, wrapped.
    let doc = |summary: &str| {
        let mut lines = vec![summary.to_owned(), String::new(), String::new()];
        for word in format!("`{key}`: {what}").split_whitespace() {
            let line = lines.last_mut().expect("one line at least");
            if !line.is_empty() && line.len() + word.len() > 90 {
                lines.push(word.to_owned());
            } else {
                line.push_str(if line.is_empty() { "" } else { " " });
                line.push_str(word);
            }
        }
        lines
            .iter()
            .map(|line| format!("    ///{}{line}\n", if line.is_empty() { "" } else { " " }))
            .collect::<String>()
    };
    format!(
        "\nimpl Client {{\n\
         {new_doc}    pub fn new({key}: impl Into<crate::Secret>) -> crate::Result<Self> {{\n        \
         Self::builder({key}).build()\n    }}\n\n\
         {builder_doc}    pub fn builder({key}: impl Into<crate::Secret>) -> ClientBuilder {{\n        \
         <Self as crate::SpecClient>::spec_builder(BASE_URL).credential({name:?}, {key})\n    }}\n}}\n",
        new_doc = doc("A client for the production host ([`BASE_URL`]) with default settings."),
        builder_doc = doc("Starts configuring a client: [`BASE_URL`] by default (see [`ClientBuilder`])."),
    )
}

/// Every request of every generated client goes through `crate::runtime`:
/// `pre` gets the credentials the operation needs (fetching a token when none
/// is fresh), `exec` adds them, sends, retries, resends once after a 401 and
/// keeps an excerpt of error bodies for `crate::Error`.
const HOOKS_IMPL: &str = r#"
impl ClientHooks<crate::runtime::Runtime> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> ::std::result::Result<(), progenitor_client::Error<E>> {
        self.inner.prepare(&self.baseurl, request, info).await
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        self.inner.execute(&self.client, request, info).await
    }
}

impl Client {
    /// Starts configuring a client of this API at `base_url`, with a
    /// credential for each security scheme of the spec its calls use:
    /// `Client::builder(url).credential("<scheme>", secret).build()?`.
    pub fn builder(base_url: impl Into<String>) -> crate::SpecClientBuilder<Self> {
        crate::SpecClientBuilder::for_spec(base_url, &API, Self::new_with_client)
    }

    /// What this client's responses held that the spec does not list:
    /// unknown fields and unrecognized enum values, per operation, with a
    /// few examples. Empty while every response matched the spec. See
    /// [`crate::drift`].
    pub fn drift(&self) -> crate::drift::DriftReport {
        self.inner.drift()
    }

    /// Fetches the tokens this client's calls need now, unless fresh ones
    /// are cached (calls fetch them when they need them anyway): a wrong
    /// password shows here, before any other call.
    pub async fn authenticate(&self) -> crate::Result<()> {
        self.inner.authenticate().await
    }
}

impl crate::runtime::Generated for Client {
    fn api() -> &'static crate::runtime::ApiInfo {
        &API
    }

    fn with_runtime(base_url: &str, http: reqwest::Client, runtime: crate::runtime::Runtime) -> Self {
        Self::new_with_client(base_url, http, runtime)
    }
}

impl crate::OperationClient for Client {
    fn base_url(&self) -> &str {
        &self.baseurl
    }

    fn http_client(&self) -> &reqwest::Client {
        &self.client
    }

    async fn execute_operation(
        &self,
        operation_id: &str,
        request: reqwest::Request,
    ) -> crate::Result<reqwest::Response> {
        crate::runtime::execute_operation(self, operation_id, request).await
    }
}
"#;

/// Removes every `pattern` (outside examples): the spec validator enforces
/// them on every request before it is sent, and typify would otherwise turn
/// each patterned string into a newtype checked with a regex crate of its own.
/// And every `x-cli`, which is the command line's, not the types': beside a
/// schema it would make typify see another schema (a `minLength: 1` string
/// with a flag would no longer be a plain `String`).
fn without_patterns(node: &mut Value) {
    match node {
        Value::Object(map) => {
            if map.get("pattern").is_some_and(Value::is_string) {
                map.remove("pattern");
            }
            map.remove("x-cli");
            for (key, value) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    without_patterns(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(without_patterns),
        _ => {}
    }
}

/// The spec as progenitor sees it: without `pattern`s (see
/// [`without_patterns`]) and without error responses. Every error
/// status then reaches `crate::Error` as the raw response, with its status,
/// the operation and a bounded body excerpt, whatever the body holds; a
/// typed error body that failed to decode would lose the status. The spec
/// itself (sandbox, validators, docs) keeps them.
fn for_progenitor(doc: &Value, spec: &model::Spec) -> Value {
    let mut doc = doc.clone();
    without_patterns(&mut doc);
    for op in &spec.operations {
        let responses = doc.pointer_mut(&format!("{}/responses", op.pointer.trim_start_matches('#')));
        if let Some(responses) = responses.and_then(Value::as_object_mut) {
            responses.retain(|status, _| status.starts_with('2'));
        }
    }
    doc
}

/// What the runtime needs to know of the API, from the spec model: the
/// POSTs it may retry (`x-retry-safe`), the security schemes each operation
/// needs and how each is sent, the operations served from their own server,
/// and the rate limit (`x-rate-limit`).
fn api_info(api: &str, spec: &model::Spec) -> Result<String, String> {
    let mut schemes = Vec::new();
    for scheme in &spec.security_schemes {
        let token = |name: &str| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!#$%&'*+^`|~".contains(&b))
        };
        let kind = match &scheme.carrier {
            model::Carrier::Header(header) | model::Carrier::Cookie(header) if !token(header) => {
                return Err(format!(
                    "security scheme {}: {header:?} is not a valid header or cookie name",
                    scheme.name
                ));
            }
            model::Carrier::Header(header) => format!("crate::runtime::Scheme::Header({header:?})"),
            model::Carrier::Query(name) => format!("crate::runtime::Scheme::Query({name:?})"),
            model::Carrier::Cookie(name) => format!("crate::runtime::Scheme::Cookie({name:?})"),
            model::Carrier::Authorization(kind) if kind == "bearer" => "crate::runtime::Scheme::Bearer".to_string(),
            model::Carrier::Authorization(kind) if kind == "basic" => "crate::runtime::Scheme::Basic".to_string(),
            model::Carrier::Authorization(kind) => {
                let name = &scheme.name;
                return Err(format!("security scheme {name}: http scheme {kind:?} is not supported (bearer, basic)"));
            }
        };
        schemes.push(format!("({:?}, {kind})", scheme.name));
    }
    let (mut security, mut retry_safe, mut servers, mut operation_ids, mut streamed) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for op in &spec.operations {
        // progenitor's `OperationInfo::operation_id`: the operationId in snake_case.
        let id = model::case(&op.id, '_');
        operation_ids.push(format!("({:?}, {id:?})", op.id));
        security.push(format!("({id:?}, &{:?})", op.first_security()));
        if let Some(url) = &op.server {
            servers.push(format!("({id:?}, {url:?})"));
        }
        let media = op.success_media_types();
        if !media.is_empty() && !media.iter().any(|name| model::is_json(name)) {
            streamed.push(id.clone());
        }
        if op.retry_safe {
            retry_safe.push(id);
        }
    }
    let rate_limit = match &spec.rate_limit {
        None => "None".to_string(),
        Some(limit) => format!(
            "Some(crate::runtime::RateLimit {{ remaining_header: {:?}, cost_header: {:?}, \
             window: ::std::time::Duration::from_secs({}), max_cost: {} }})",
            limit.remaining_header, limit.cost_header, limit.window_seconds, limit.max_cost
        ),
    };
    Ok(format!(
        "impl crate::SpecClient for Client {{\n\
         const NAME: &'static str = {api:?};\n\
         const SPEC_JSON: &'static str = super::SPEC_JSON;\n\
         fn spec_builder(base_url: &str) -> crate::SpecClientBuilder<Self> {{\n\
         Self::builder(base_url)\n\
         }}\n\
         }}\n\n\
         /// What the runtime needs to know of this API, from its spec.\n\
         pub(crate) static API: crate::runtime::ApiInfo = crate::runtime::ApiInfo {{\n\
         name: {api:?},\n\
         spec_json: include_str!(concat!(env!(\"OUT_DIR\"), \"/{api}.spec.json\")),\n\
         validator: ::std::sync::OnceLock::new(),\n\
         retry_safe_operations: &{retry_safe:?},\n\
         streamed_operations: &{streamed:?},\n\
         operation_security: &[{}],\n\
         security_schemes: &[{}],\n\
         operation_servers: &[{}],\n\
         operation_ids: &[{}],\n\
         rate_limit: {rate_limit},\n\
         tokens: ::std::sync::OnceLock::new(),\n\
         }};\n",
        security.join(", "),
        schemes.join(", "),
        servers.join(", "),
        operation_ids.join(", ")
    ))
}

fn quote_path(path: &str) -> Result<proc_macro2::TokenStream, String> {
    path.parse().map_err(|e| format!("bad path {path}: {e:?}"))
}

fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("unknown panic");
        format!("progenitor panicked: {}", msg.lines().next().unwrap_or(msg))
    })
}

/// Checks the rules from progenitor's safe subset that would otherwise panic
/// or silently lose data, beyond OpenAPI 3.0 (checked first) and an
/// `operationId` on every operation (the model's): one request media type,
/// explicit statuses and `$ref` response schemas (what progenitor's generator,
/// https://github.com/oxidecomputer/progenitor, handles in 0.15.1; found by
/// feeding it specs that break each rule). And no `nullable: true` where
/// OpenAPI 3.0.3 gives it no effect, beside `allOf` or `$ref` (a `$ref`'s
/// siblings are ignored, and `allOf`'s members still refuse null) nor
/// without a `type` in the same schema, so strict validators and linters
/// refuse the null the spec means to allow.
fn lint(doc: &Value, spec: &model::Spec) -> Result<(), String> {
    doc.get("paths").and_then(Value::as_object).ok_or("no `paths`")?;
    for op in &spec.operations {
        let here = format!("{} {}", op.method.to_uppercase(), op.path);
        if op.request_body.as_ref().is_some_and(|body| body.content.len() != 1) {
            return Err(format!("{here}: request body must have exactly one media type"));
        }
        for response in &op.responses {
            let status = &response.status;
            if status == "default" {
                return Err(format!("{here}: use explicit status codes, not `default`"));
            }
            let mut json = response.content.iter().filter(|media| media.name.starts_with("application/json"));
            if json.any(|media| media.written_schema.get("$ref").is_none()) {
                return Err(format!(
                    "{here}: response {status} needs a `$ref` schema (inline schemas are misnamed or dropped)"
                ));
            }
        }
    }
    let mut found = Vec::new();
    find_key(doc, "nullable", "#".to_owned(), &mut found);
    for (pointer, value) in found {
        let schema = pointer.strip_suffix("/nullable").unwrap_or(&pointer);
        let Some(node) = doc.pointer(schema.trim_start_matches('#')) else { continue };
        if value != Value::Bool(true) {
            continue;
        }
        let beside = ["allOf", "$ref"].into_iter().find(|k| node.get(k).is_some());
        let why = match beside {
            Some(beside) => format!("beside `{beside}`"),
            None if node.get("type").is_none() => "without a `type`".to_owned(),
            None => continue,
        };
        return Err(format!(
            "{schema}: `nullable: true` {why} has no effect in OpenAPI 3.0.3 (strict validators refuse the \
             null); write `anyOf: [{{$ref: ...}}, {{enum: [null]}}]`"
        ));
    }
    Ok(())
}

struct OpenEnum {
    name: String,
    doc: String,
    values: Vec<(String, String)>,
}

/// Every named string enum becomes an open enum: unknown values decode into
/// `Unrecognized` instead of failing the response, and callers cannot build one.
fn open_enums(doc: &Value) -> Result<Vec<OpenEnum>, String> {
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object);
    let mut out = Vec::new();
    for (name, schema) in schemas.into_iter().flatten() {
        let Some(values) = schema.get("enum").and_then(Value::as_array) else { continue };
        // An enum the crate implements itself (e.g. one generated by `facts`).
        if schema.get("x-convo-rust-type").is_some() {
            continue;
        }
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            return Err(format!("schema {name}: only string enums are supported"));
        }
        let mut seen = BTreeSet::new();
        let mut variants = Vec::new();
        for v in values {
            let wire = v.as_str().ok_or_else(|| format!("schema {name}: enum value {v} is not a string"))?;
            let variant = pascal_case(wire);
            if variant.is_empty() || variant == "Unrecognized" || !seen.insert(variant.clone()) {
                return Err(format!(
                    "schema {name}: enum value {wire:?} gives the variant name {variant:?}, which is empty or taken"
                ));
            }
            variants.push((variant, wire.to_string()));
        }
        let doc_text = schema.get("description").and_then(Value::as_str).unwrap_or("").trim().to_string();
        out.push(OpenEnum { name: name.clone(), doc: doc_text, values: variants });
    }
    Ok(out)
}

impl OpenEnum {
    fn render(&self) -> String {
        let mut s = String::from("crate::open_enum! {\n");
        for line in self.doc.lines() {
            s.push_str(&format!("    /// {line}\n"));
        }
        s.push_str(&format!("    pub enum {} {{\n", self.name));
        for (variant, wire) in &self.values {
            s.push_str(&format!("        /// `{wire}`\n        {variant} => {wire:?},\n"));
        }
        s.push_str("    }\n}\n\n");
        s
    }
}

/// `inter-tenant` → `InterTenant`, `SMS (SMPP)` → `SmsSmpp`, `TRANSCRIPT_DB` → `TranscriptDb`.
fn pascal_case(wire: &str) -> String {
    let mut out = String::new();
    for word in wire.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let lower_rest = word.chars().skip(1).all(|c| !c.is_ascii_lowercase());
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            if lower_rest {
                out.extend(chars.map(|c| c.to_ascii_lowercase()));
            } else {
                out.extend(chars);
            }
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

// ---------------------------------------------------------------------------
// Facts: vendor extensions emitted as Rust (`<api>_facts.rs`)
// ---------------------------------------------------------------------------

/// Facts the spec states in vendor extensions, as Rust source for the API's
/// module to `include!`, so that the spec is their only copy:
///
/// - each `x-filter-table` (read by the spec model) becomes an enum of its
///   schema's name (see [`filter_table`]);
/// - schemas marked `x-format: e164` are listed in `E164_FIELDS` (see
///   [`e164_fields`]; the validator enforces the rule).
///
/// And, apart, for a sandbox, the tables' reads of their records (see
/// [`filter_table`]). A malformed extension is an error naming the schema
/// and the cause.
fn facts(api: &str, spec: &model::Spec, file: &syn::File) -> Result<(String, String), String> {
    let mut out = String::from("// Generated by build.rs from the spec's vendor extensions; do not edit.\n\n");
    let mut reads = String::from("// Generated by build.rs from the spec's `x-filter-records`; do not edit.\n\n");
    let types = module_contents(&file.items, "types").ok_or("progenitor wrote no `types` module")?;
    for table in &spec.filter_tables {
        let (table, read) = filter_table(api, spec, table, types)?;
        out.push_str(&table);
        reads.push_str(&read);
    }
    out.push_str(&e164_fields(&spec.doc)?);
    Ok((out, reads))
}

/// A filter table as `pub enum <name>` with `ALL`, `as_str`, `kind`,
/// `operators` and `nullable`. The including module defines `ValueKind`
/// (one variant per [`model::FILTER_VALUE_TYPES`], named in PascalCase) and
/// `FilterOperator` (the variants of the spec's `FilterOperator` enum).
///
/// And, when its schema names its records' schema (`x-filter-records:
/// Conversation`), `<name>::read(self, record)`: the record's value of the
/// field, read in place from the generated struct's field (none for a row
/// it has no field for). The module including that defines `FieldValue`
/// (from `&str`, `i32`, `i64` and `bool`).
fn filter_table(
    api: &str,
    spec: &model::Spec,
    table: &model::FilterTable,
    types: &[syn::Item],
) -> Result<(String, String), String> {
    let (name, rows) = (&table.name, &table.rows);
    let mut variants = BTreeSet::new();
    for row in rows {
        let variant = pascal_case(&row.field);
        if variant.is_empty() || !variants.insert(variant.clone()) {
            return Err(format!(
                "schema {name}: x-filter-table: {}: gives the variant name {variant:?}, which is empty or taken",
                row.field
            ));
        }
    }
    let schema = &spec.doc["components"]["schemas"][name];
    let mut s = String::new();
    for line in schema.get("description").and_then(Value::as_str).unwrap_or("").trim().lines() {
        s.push_str(&format!("/// {line}\n").replace("/// \n", "///\n"));
    }
    let example = &rows[0].field;
    s.push_str(&format!(
        "///\n/// The variants are the {n} rows of `x-filter-table` in `specs/{api}.yaml`, in the\n\
         /// order of the schema's `enum`. Serialized as the wire name, for example `{example}`.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n#[non_exhaustive]\npub enum {name} {{\n",
        n = rows.len()
    ));
    for row in rows {
        match row.description.lines().collect::<Vec<_>>().as_slice() {
            [] => s.push_str(&format!("    /// `{}`\n", row.field)),
            [first, rest @ ..] => {
                s.push_str(&format!("    /// `{}`: {first}\n", row.field));
                for line in rest {
                    s.push_str(&format!("    /// {line}\n").replace("/// \n", "///\n"));
                }
            }
        }
        s.push_str(&format!("    {},\n", pascal_case(&row.field)));
    }
    s.push_str("}\n\n");

    let arms = |value: &dyn Fn(&model::FilterRow) -> String| -> String {
        rows.iter().map(|r| format!("            Self::{} => {},\n", pascal_case(&r.field), value(r))).collect()
    };
    s.push_str(&format!("impl {name} {{\n    /// Every field, in the spec's order.\n"));
    s.push_str(&format!("    pub const ALL: &'static [{name}] = &[\n"));
    for row in rows {
        s.push_str(&format!("        Self::{},\n", pascal_case(&row.field)));
    }
    s.push_str("    ];\n\n");
    s.push_str(&format!(
        "    /// The wire name, for example `\"{example}\"`.\n    pub const fn as_str(self) -> &'static str {{\n        match self {{\n{}        }}\n    }}\n\n",
        arms(&|r| format!("{:?}", r.field))
    ));
    s.push_str(&format!(
        "    /// The type of this field's values (the row's `type`).\n    pub const fn kind(self) -> ValueKind {{\n        match self {{\n{}        }}\n    }}\n\n",
        arms(&|r| format!("ValueKind::{}", pascal_case(&r.kind)))
    ));
    s.push_str(&format!(
        "    /// The operators the table allows for this field, in the table's order.\n    pub const fn operators(self) -> &'static [FilterOperator] {{\n        match self {{\n{}        }}\n    }}\n\n",
        arms(&|r| {
            let ops: Vec<String> = r.operators.iter().map(|o| format!("FilterOperator::{}", pascal_case(o))).collect();
            format!("&[{}]", ops.join(", "))
        })
    ));
    let nullable: Vec<&str> = rows.iter().filter(|r| r.nullable).map(|r| r.field.as_str()).collect();
    let which = if nullable.is_empty() { "no field".to_string() } else { format!("`{}` only", nullable.join("`, `")) };
    s.push_str(&format!(
        "    /// Whether `NULL` is a valid value (the row says `nullable: true`): {which}.\n    pub const fn nullable(self) -> bool {{\n        match self {{\n{}        }}\n    }}\n}}\n\n",
        arms(&|r| r.nullable.to_string())
    ));
    let Some(records) = schema.get("x-filter-records").and_then(Value::as_str) else { return Ok((s, String::new())) };
    if !types.iter().any(|item| matches!(item, syn::Item::Struct(s) if s.ident == records)) {
        return Err(format!("schema {name}: x-filter-records: {records} is not an object schema"));
    }
    let read = |row: &model::FilterRow| match walk_pointer(types, records, &format!("/{}", row.field)) {
        Err(_) => "None".to_owned(),
        Ok((steps, ty)) => {
            let Step { field, optional } = &steps[0];
            let copied = matches!(type_name(&ty).as_deref(), Some("i32" | "i64" | "bool"));
            match optional {
                true if copied => format!("record.{field}.map(Into::into)"),
                true => format!("record.{field}.as_ref().map(|v| v.as_str().into())"),
                false => format!("Some(record.{field}{}.into())", if copied { "" } else { ".as_str()" }),
            }
        }
    };
    let reads = format!(
        "impl crate::{api}::types::{name} {{\n    /// This field's value in `record`.\n    \
         pub(crate) fn read(self, record: &crate::{api}::types::{records}) -> Option<FieldValue<'_>> {{\n        \
         match self {{\n{}        }}\n    }}\n}}\n",
        arms(&read)
    );
    Ok((s, reads))
}

/// Every `x-format` in the spec. Only `e164` is known, on a `type: string`
/// schema: a property, an array's `items`, a parameter's `schema`. The
/// validator (`src/spec/validate.rs`) enforces it on every request, in the
/// client and the sandbox alike; what is generated here is only the list
///
/// - `pub const E164_FIELDS: &[&str]`: the JSON pointer (RFC 6901) of every
///   schema marked `x-format: e164`, sorted.
///
/// Nothing is emitted when nothing is marked.
fn e164_fields(doc: &Value) -> Result<String, String> {
    let mut marked = Vec::new();
    find_key(doc, "x-format", String::new(), &mut marked);
    let mut pointers = Vec::new();
    for (pointer, format) in marked {
        if format.as_str() != Some("e164") {
            return Err(format!("{pointer}: x-format {format} is unknown (known: e164)"));
        }
        let schema = pointer.strip_suffix("/x-format").unwrap_or(&pointer);
        if pointer.split('/').any(|part| part == "example" || part == "examples") {
            continue;
        }
        if doc.pointer(&format!("{schema}/type")).and_then(Value::as_str) != Some("string") {
            return Err(format!("{schema}: x-format: e164 needs `type: string` beside it"));
        }
        pointers.push(schema.to_string());
    }
    if pointers.is_empty() {
        return Ok(String::new());
    }
    pointers.sort();
    let mut s = String::from(
        "/// The schemas the spec marks `x-format: e164` (phone numbers in E.164 form),\n\
         /// as JSON pointers into the spec. The spec validator enforces the rule on\n\
         /// every request. Generated from the spec.\n\
         pub const E164_FIELDS: &[&str] = &[\n",
    );
    for p in &pointers {
        s.push_str(&format!("    {p:?},\n"));
    }
    s.push_str("];\n");
    Ok(s)
}

/// Collects `(JSON pointer, value)` of every `key` in the document.
fn find_key(node: &Value, key: &str, pointer: String, found: &mut Vec<(String, Value)>) {
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                let here = format!("{pointer}/{}", model::escape(k));
                if k == key {
                    found.push((here.clone(), v.clone()));
                }
                find_key(v, key, here, found);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                find_key(v, key, format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Paging: `stream()` on the builder of every paged operation
// ---------------------------------------------------------------------------

/// Adds `stream()` to the builder of every operation the model says pages
/// (`Operation::paging`): the builder's parameters are kept without its
/// borrowed client (in an `Owned<Builder>`, public for flows that ask for
/// pages themselves), and each page is the same call
/// with the paging parameter set to the previous answer's next value (alone
/// with the path's, when that parameter is `x-exclusive`). Items are taken
/// from the typed answer, so no item is decoded twice. The impls sit in
/// progenitor's `builder` module, the only place its fields are visible.
fn add_streams(api: &str, spec: &model::Spec, file: &mut syn::File) -> Result<(), String> {
    let mut additions = Vec::new();
    {
        let types = module_contents(&file.items, "types").ok_or("progenitor wrote no `types` module")?;
        let builders = module_contents(&file.items, "builder").ok_or("progenitor wrote no `builder` module")?;
        for op in &spec.operations {
            // A page asked for by a body field (a search) has its own stream in the client.
            let Some(paging) = op.paging.as_ref().filter(|p| !p.in_body) else { continue };
            let code = stream_impl(api, op, paging, types, builders).map_err(|e| format!("{}: paging: {e}", op.id))?;
            let parsed: syn::File =
                syn::parse_str(&code).map_err(|e| format!("{}: stream() does not parse: {e}", op.id))?;
            additions.extend(parsed.items);
        }
    }
    if let Some(syn::Item::Mod(builder)) =
        file.items.iter_mut().find(|item| matches!(item, syn::Item::Mod(m) if m.ident == "builder"))
        && let Some((_, items)) = &mut builder.content
    {
        items.extend(additions);
    }
    Ok(())
}

/// Marks every generated type `#[non_exhaustive]`: a field added to a
/// response, or a variant to a `oneOf`, is then no breaking change for a
/// consumer, who builds types through `types::builder` (or an operation's
/// `body_map`) and matches them with `..` and `_`.
fn forward_compatible(file: &mut syn::File) {
    let Some(syn::Item::Mod(types)) =
        file.items.iter_mut().find(|item| matches!(item, syn::Item::Mod(m) if m.ident == "types"))
    else {
        return;
    };
    let non_exhaustive: syn::Attribute = syn::parse_quote!(#[non_exhaustive]);
    for item in types.content.iter_mut().flat_map(|(_, items)| items.iter_mut()) {
        match item {
            syn::Item::Struct(s) => s.attrs.push(non_exhaustive.clone()),
            syn::Item::Enum(e) => e.attrs.push(non_exhaustive.clone()),
            _ => {}
        }
    }
}

fn module_contents<'f>(items: &'f [syn::Item], name: &str) -> Option<&'f [syn::Item]> {
    items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items.as_slice()),
        _ => None,
    })
}

/// A name with case and separators ignored: `nextPageToken`,
/// `next_page_token` and `r#next_page_token` are one name.
fn loose(name: &str) -> String {
    name.trim_start_matches("r#").chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The type argument of `wrapper<T>` (`Option`, `Vec`, `ResponseValue`), by the path's last segment.
fn unwrap_type<'t>(ty: &'t syn::Type, wrapper: &str) -> Option<&'t syn::Type> {
    let syn::Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    args.args.iter().find_map(|arg| match arg {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn type_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else { return None };
    Some(path.path.segments.last()?.ident.to_string())
}

/// One step of a walk from a page to a value: the field, and whether it is an `Option`.
struct Step {
    field: String,
    optional: bool,
}

/// The fields from the struct `page` (in `types`) to what `pointer` names,
/// and that value's type (without its `Option`).
fn walk_pointer(types: &[syn::Item], page: &str, pointer: &str) -> Result<(Vec<Step>, syn::Type), String> {
    let mut steps = Vec::new();
    let mut current = page.to_owned();
    let mut ty = None;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let strukt = types
            .iter()
            .find_map(|item| match item {
                syn::Item::Struct(s) if s.ident == current => Some(s),
                _ => None,
            })
            .ok_or_else(|| format!("{pointer}: `{current}` is not a generated struct"))?;
        let field = strukt
            .fields
            .iter()
            .find(|f| f.ident.as_ref().is_some_and(|i| loose(&i.to_string()) == loose(&segment)))
            .ok_or_else(|| format!("{pointer}: `{current}` has no field for {segment:?}"))?;
        let (inner, optional) = match unwrap_type(&field.ty, "Option") {
            Some(inner) => (inner.clone(), true),
            None => (field.ty.clone(), false),
        };
        steps.push(Step { field: field.ident.as_ref().map(ToString::to_string).unwrap_or_default(), optional });
        current = type_name(&inner).unwrap_or_default();
        ty = Some(inner);
    }
    Ok((steps, ty.ok_or_else(|| format!("{pointer}: an empty pointer"))?))
}

/// `Some(&page)` walked to the value as an `Option<&T>`.
fn borrow_chain(steps: &[Step]) -> String {
    let mut code = String::from("Some(&page)");
    for Step { field, optional } in steps {
        code.push_str(&if *optional {
            format!(".and_then(|v| v.{field}.as_ref())")
        } else {
            format!(".map(|v| &v.{field})")
        });
    }
    code
}

/// The items moved out of `page` (an absent list is no items).
fn take_chain(steps: &[Step]) -> String {
    let mut code = String::from("Some(&mut page)");
    let (last, path) = steps.split_last().expect("walk_pointer gives at least one step");
    for Step { field, optional } in path {
        code.push_str(&if *optional {
            format!(".and_then(|v| v.{field}.as_mut())")
        } else {
            format!(".map(|v| &mut v.{field})")
        });
    }
    let field = &last.field;
    code.push_str(&if last.optional {
        format!(".and_then(|v| v.{field}.take())")
    } else {
        format!(".map(|v| ::std::mem::take(&mut v.{field}))")
    });
    code + ".unwrap_or_default()"
}

fn stream_impl(
    api: &str,
    op: &model::Operation,
    paging: &model::Paging,
    types: &[syn::Item],
    builders: &[syn::Item],
) -> Result<String, String> {
    let builder = builders
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if loose(&s.ident.to_string()) == loose(&op.id) => Some(s),
            _ => None,
        })
        .ok_or("no generated builder")?;
    let name = builder.ident.to_string();
    // The page's type: what `send()` answers, `ResponseValue<types::Page>`.
    let page_type = builders
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(i) if type_name(&i.self_ty).as_deref() == Some(name.as_str()) => Some(i),
            _ => None,
        })
        .flat_map(|i| &i.items)
        .find_map(|item| match item {
            syn::ImplItem::Fn(f) if f.sig.ident == "send" => match &f.sig.output {
                syn::ReturnType::Type(_, ty) => {
                    unwrap_type(ty, "Result").and_then(|ok| unwrap_type(ok, "ResponseValue"))
                }
                syn::ReturnType::Default => None,
            },
            _ => None,
        })
        .and_then(type_name)
        .ok_or("its builder's send() does not answer a typed body")?;
    let (next_steps, _) = walk_pointer(types, &page_type, &paging.next)?;
    let (item_steps, list) = walk_pointer(types, &page_type, &paging.items)?;
    // A numbered page says only its own number: the next is one more,
    // while the answer says more follow.
    let next_chain = match &paging.number {
        None => format!("crate::runtime::next_page({})", borrow_chain(&next_steps)),
        Some(number) => {
            let chain = |pointer: &Option<String>, none: &str| match pointer {
                Some(pointer) => walk_pointer(types, &page_type, pointer).map(|(steps, _)| borrow_chain(&steps)),
                None => Ok(none.to_owned()),
            };
            format!(
                "crate::runtime::next_page_number({}, {}, {}, !items.is_empty())",
                borrow_chain(&next_steps),
                chain(&number.more, "None::<&bool>")?,
                chain(&number.last, "None::<&u64>")?,
            )
        }
    };
    let item = unwrap_type(&list, "Vec").ok_or_else(|| format!("{} is not a list", paging.items))?;
    let item_name = type_name(item).unwrap_or_default();
    let in_types = types.iter().any(|i| {
        matches!(i, syn::Item::Struct(s) if s.ident == item_name)
            || matches!(i, syn::Item::Enum(e) if e.ident == item_name)
    });
    let item = match item {
        syn::Type::Path(p) if p.path.segments.len() == 1 && in_types => format!("types::{item_name}"),
        other => quote_type(other),
    };

    let fields: Vec<(String, String)> = builder
        .fields
        .iter()
        .filter_map(|f| Some((f.ident.as_ref()?.to_string(), quote_type(&f.ty))))
        .filter(|(field, _)| field != "client")
        .collect();
    let field_of = |param: &str| fields.iter().find(|(f, _)| loose(f) == loose(param)).map(|(f, _)| f.clone());
    let param = field_of(&paging.param).ok_or_else(|| format!("the builder has no field for {}", paging.param))?;
    let exclusive = op.parameters.iter().any(|p| p.name == paging.param && p.exclusive);
    // With an `x-exclusive` paging parameter, the next request keeps only
    // what is not a query parameter (path, header, body).
    let reset = if exclusive {
        let kept: Vec<String> = fields
            .iter()
            .map(|(f, _)| f.clone())
            .filter(|f| {
                !op.parameters.iter().any(|p| p.location == model::Location::Query && loose(&p.name) == loose(f))
            })
            .collect();
        match kept.is_empty() {
            true => format!("call = {name}::new(&client);\n"),
            false => format!(
                "let {name} {{ {kept} .. }} = call;\n call = {name} {{ {kept} ..{name}::new(&client) }};\n",
                kept = kept.iter().map(|f| format!("{f}, ")).collect::<String>()
            ),
        }
    } else {
        String::new()
    };
    let list = fields.iter().map(|(f, _)| format!("{f}, ")).collect::<String>();
    let walk_fields = fields.iter().map(|(f, t)| format!("    {f}: {t},\n")).collect::<String>();
    let alone = if exclusive { " alone" } else { "" };
    Ok(format!(
        r#"
/// A [`{name}`] without its client: the same request, to send again (see
/// [`{name}::detach`]), for flows that ask for pages themselves.
#[derive(Debug, Clone)]
pub struct Owned{name} {{
{walk_fields}}}

impl Owned{name} {{
    /// The request again, on `client`.
    pub fn on(self, client: &super::Client) -> {name}<'_> {{
        let Self {{ {list} }} = self;
        {name} {{ client, {list} }}
    }}
}}

impl<'a> {name}<'a> {{
    /// This request without the client it borrows, to send again later
    /// (with [`Owned{name}::on`]), e.g. from a `'static` task.
    pub fn detach(self) -> Owned{name} {{
        let Self {{ client: _, {list} }} = self;
        Owned{name} {{ {list} }}
    }}

    /// Every item of every page, as a stream: the first page with the
    /// parameters set on this builder, each next one with `{param_name}`{alone}
    /// {taken} the answer's `{next}` (the spec's `links`). The next page
    /// is fetched while this one is read, a page that fails for a passing
    /// reason is asked for again, and the walk can be resumed where it
    /// stopped: see [`crate::runtime::ItemStream`].
    pub fn stream(self) -> crate::runtime::ItemStream<{item}> {{
        let client = self.client.clone();
        let retries = client.inner.retry_policy().clone();
        crate::runtime::paginate("{api}.{id}", self.detach(), move |request: Owned{name}, cursor: Option<::serde_json::Value>| {{
            let client = client.clone();
            async move {{
                #[allow(unused_mut)]
                let mut call = request.on(&client);
                if let Some(cursor) = cursor {{
                    {reset}call.{param} = crate::runtime::page_parameter(cursor);
                }}
                let mut page = call.send().await?.into_inner();
                let items = {items_chain};
                let next = {next_chain};
                Ok(crate::runtime::Page {{ items, next }})
            }}
        }})
        .with_retries(&retries)
    }}
}}
"#,
        param_name = paging.param,
        next = paging.next,
        taken = if paging.number.is_some() { "one more than" } else { "taken from" },
        id = op.id,
        items_chain = take_chain(&item_steps),
    ))
}

fn quote_type(ty: &syn::Type) -> String {
    use quote::ToTokens as _;
    ty.to_token_stream().to_string()
}
