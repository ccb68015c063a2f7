//! Generates one client module per enabled API from `specs/<api>.yaml`.
//!
//! For each API this writes to `OUT_DIR`:
//! - `<api>.rs`: the progenitor client (builder interface), formatted with
//!   prettyplease, plus the `ClientHooks` impl that routes every request through
//!   `crate::runtime` (retries, auth headers, tracing);
//! - `<api>_open_enums.rs`: one open enum per named string enum in the spec
//!   (progenitor is told to use them instead of its strict enums), and the list
//!   of POST operations marked `x-retry-safe`;
//! - `<api>.spec.json`: the spec as JSON, for the sandbox and contract tests.
//!
//! A schema with `x-convo-rust-type: <path>` is replaced by that hand-written
//! type (used where generated derives would be wrong, e.g. `Debug` on a secret).
//!
//! The test `tests/specs.rs` includes this file to run the same generation on
//! every spec, so a spec that breaks progenitor fails a test, not just a build.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The APIs this crate knows, each behind the cargo feature of the same name.
pub const APIS: [&str; 5] = ["luware", "raia", "salesloft", "liveperson", "llamadapro"];

/// What generation produced for one spec.
pub struct Generated {
    /// Formatted client module.
    pub client: String,
    /// Open enums and operation metadata, included beside the client.
    pub extras: String,
    /// The spec as JSON.
    pub spec_json: String,
}

#[allow(dead_code)]
fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo::rerun-if-changed=build.rs");
    for api in APIS {
        let feature = format!("CARGO_FEATURE_{}", api.to_uppercase());
        let spec = root.join("specs").join(format!("{api}.yaml"));
        println!("cargo::rerun-if-changed={}", spec.display());
        // Features whose spec has not landed yet are placeholders.
        if std::env::var_os(&feature).is_none() || !spec.exists() {
            continue;
        }
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
        ] {
            if let Err(e) = std::fs::write(out.join(&name), text) {
                println!("cargo::error=cannot write {name}: {e}");
                std::process::exit(1);
            }
        }
    }
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
    lint(&doc)?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(without_error_responses(&doc))
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
    for limits in [serde_json::json!({"type": "string", "minLength": 1})] {
        let schema = serde_json::from_value(limits).map_err(|e| e.to_string())?;
        settings.with_conversion(schema, "::std::string::String", std::iter::empty());
    }
    // Schemas a hand-written type stands in for, e.g. one that holds a secret.
    for (name, schema) in doc.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten() {
        if let Some(path) = schema.get("x-convo-rust-type").and_then(Value::as_str) {
            settings.with_replacement(name, path, std::iter::empty());
        }
    }

    let tokens = catch_panic(|| progenitor::Generator::new(&settings).generate_tokens(&spec))?
        .map_err(|e| format!("progenitor rejected the spec: {e}"))?;
    let file: syn::File = syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let mut client = prettyplease::unparse(&file);
    client.push_str(HOOKS_IMPL);

    let mut extras = String::from("// Generated by build.rs from the spec; do not edit.\n");
    for e in &enums {
        extras.push_str(&e.render());
    }
    client.push_str(&api_info(api, &doc)?);
    let spec_json = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    Ok(Generated { client, extras, spec_json })
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
    /// Sends a request built outside the typed builders (the CLI's generic
    /// commands build them from the spec) through the same hooks as every
    /// generated method. Only a 2xx response is `Ok`.
    pub async fn execute_operation(
        &self,
        operation_id: &'static str,
        request: reqwest::Request,
    ) -> crate::Result<reqwest::Response> {
        crate::runtime::execute_operation(self, operation_id, request).await
    }
}
"#;

/// The spec as progenitor sees it: without error responses. Every error
/// status then reaches `crate::Error` as the raw response, with its status,
/// the operation and a bounded body excerpt, whatever the body holds; a
/// typed error body that failed to decode would lose the status. The spec
/// itself (sandbox, validators, docs) keeps them.
fn without_error_responses(doc: &Value) -> Value {
    let mut doc = doc.clone();
    for item in doc.get_mut("paths").and_then(Value::as_object_mut).into_iter().flat_map(|m| m.values_mut()) {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                responses.retain(|status, _| status.starts_with('2'));
            }
        }
    }
    doc
}

const HTTP_METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

/// What the runtime needs to know of the API, from the spec: the POSTs it
/// may retry (`x-retry-safe`), and which security schemes each operation
/// needs (its own `security`, else the document's), and how each scheme is
/// sent.
fn api_info(api: &str, doc: &Value) -> Result<String, String> {
    let mut schemes = Vec::new();
    for (name, scheme) in doc.pointer("/components/securitySchemes").and_then(Value::as_object).into_iter().flatten() {
        let kind = match (scheme.get("type").and_then(Value::as_str), scheme.get("in").and_then(Value::as_str)) {
            (Some("apiKey"), Some("header")) => {
                let header = scheme.get("name").and_then(Value::as_str).ok_or(format!("security scheme {name}: no header name"))?;
                format!("crate::runtime::Scheme::Header({:?})", header.to_ascii_lowercase())
            }
            (Some("http"), _) if scheme.get("scheme").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("bearer")) => {
                "crate::runtime::Scheme::Bearer".to_string()
            }
            _ => return Err(format!("security scheme {name}: only header API keys and bearer tokens are supported")),
        };
        schemes.push(format!("({name:?}, {kind})"));
    }
    let names_of = |security: &Value| -> Vec<String> {
        // One requirement object per spec so far; its schemes all apply.
        security.as_array().and_then(|a| a.first()).and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default()
    };
    let global = doc.get("security").map(names_of).unwrap_or_default();
    let mut security = Vec::new();
    let mut retry_safe = Vec::new();
    for item in doc.get("paths").and_then(Value::as_object).into_iter().flat_map(|m| m.values()) {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Some(id) = op.get("operationId").and_then(Value::as_str).filter(|_| HTTP_METHODS.contains(&method.as_str())) else {
                continue;
            };
            let id = snake_case(id);
            let needs = op.get("security").map(names_of).unwrap_or_else(|| global.clone());
            security.push(format!("({id:?}, &{needs:?})"));
            if op.get("x-retry-safe").and_then(Value::as_bool) == Some(true) {
                retry_safe.push(id);
            }
        }
    }
    Ok(format!(
        "/// What the runtime needs to know of this API, from its spec.\n\
         pub(crate) static API: crate::runtime::ApiInfo = crate::runtime::ApiInfo {{\n\
         name: {api:?},\n\
         spec_json: include_str!(concat!(env!(\"OUT_DIR\"), \"/{api}.spec.json\")),\n\
         validator: ::std::sync::OnceLock::new(),\n\
         retry_safe_operations: &{retry_safe:?},\n\
         operation_security: &[{}],\n\
         security_schemes: &[{}],\n\
         }};\n",
        security.join(", "),
        schemes.join(", ")
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
/// or silently lose data (api-facts: progenitor-and-sdk-anchors.md §A.9).
fn lint(doc: &Value) -> Result<(), String> {
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        other => return Err(format!("`openapi` must be 3.0.x, found {other:?}")),
    }
    let paths = doc.get("paths").and_then(Value::as_object).ok_or("no `paths`")?;
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, op) in item {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            let here = format!("{} {path}", method.to_uppercase());
            let op_id = op.get("operationId").and_then(Value::as_str);
            if op_id.is_none() {
                return Err(format!("{here}: missing operationId"));
            }
            let body = op.get("requestBody").and_then(|b| b.get("content")).and_then(Value::as_object);
            if body.is_some_and(|media| media.len() != 1) {
                return Err(format!("{here}: request body must have exactly one media type"));
            }
            for (status, resp) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                if status == "default" {
                    return Err(format!("{here}: use explicit status codes, not `default`"));
                }
                for (media, content) in resp.get("content").and_then(Value::as_object).into_iter().flatten() {
                    let schema = content.get("schema");
                    if media.starts_with("application/json") {
                        match schema {
                            Some(s) if s.get("$ref").is_some() => {}
                            _ => {
                                return Err(format!(
                                    "{here}: response {status} needs a `$ref` schema (inline schemas are misnamed or dropped)"
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// progenitor's `OperationInfo::operation_id` is the snake_case operationId.
fn snake_case(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
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
