//! The specs and the sandbox, checked by tools nobody here wrote:
//! openapi-spec-validator and Redocly lint on every spec, and Schemathesis
//! against `convo sandbox serve --api all --check-responses`, with the
//! checks for server errors, undocumented statuses, content types and
//! response schemas. Their findings are facts about our code.
//!
//! `.ci/install-check-tools` installs the pinned tools into
//! `target/check-tools`; `.ci/run` does so, then runs the tests with
//! `CONVO_REQUIRE_CHECK_TOOLS=1`, so a missing tool fails CI. Elsewhere a
//! missing tool skips its check with a note.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Served;

/// Schemathesis's time budget per API; five APIs stay within a few minutes.
const SCHEMATHESIS_SECONDS_PER_API: u64 = 30;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A tool under `target/check-tools`, or `None` (with a note) when it is not
/// installed and CI does not require it.
fn tool(relative: &str) -> Option<PathBuf> {
    let path = root().join("target/check-tools").join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CONVO_REQUIRE_CHECK_TOOLS").is_none(),
        "{} is not installed: run .ci/install-check-tools",
        path.display()
    );
    eprintln!("skipped: {} is not installed (run .ci/install-check-tools)", path.display());
    None
}

fn specs() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> =
        std::fs::read_dir(root().join("specs")).unwrap().map(|entry| entry.unwrap().path()).collect();
    specs.retain(|path| path.extension().is_some_and(|ext| ext == "yaml"));
    specs.sort();
    assert!(!specs.is_empty());
    specs
}

/// Runs `command`; what it printed, or on failure the message with all of it.
fn run(mut command: Command) -> Result<String, String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    Err(format!(
        "{command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

#[test]
fn every_spec_passes_openapi_spec_validator() {
    let Some(validator) = tool("venv/bin/openapi-spec-validator") else { return };
    let failures: Vec<String> = specs()
        .iter()
        .filter_map(|spec| {
            let mut command = Command::new(&validator);
            command.arg(spec);
            run(command).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_spec_passes_redocly_lint_without_errors() {
    let Some(redocly) = tool("node_modules/.bin/redocly") else { return };
    let mut command = Command::new(redocly);
    command.args(["lint", "--format", "stylish"]).args(specs()).env("REDOCLY_TELEMETRY", "off");
    command.env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
    if let Err(failure) = run(command) {
        panic!("{failure}");
    }
}

/// The headers that authenticate Schemathesis's requests to one API of the
/// served sandbox (for Luware and LivePerson, a token fetched first).
async fn auth_headers(api: &str, base: &str, served: &Served) -> Vec<String> {
    let env = |name: &str| served.env.get(name).cloned().unwrap_or_else(|| panic!("serve printed no {name}"));
    let http = reqwest::Client::new();
    let json = |response: reqwest::Response| async move {
        let body: serde_json::Value = response.error_for_status().unwrap().json().await.unwrap();
        body
    };
    match api {
        "luware" => {
            let key = env("LUWARE_SUBSCRIPTION_KEY");
            let form = [
                ("eid", env("LUWARE_EID")),
                ("client_id", env("LUWARE_CLIENT_ID")),
                ("client_secret", env("LUWARE_CLIENT_SECRET")),
            ];
            let request = http.post(format!("{base}/vfcrest/v1/auth/token")).header("Ocp-Apim-Subscription-Key", &key);
            let token = json(request.form(&form).send().await.unwrap()).await;
            let token = token["access_token"].as_str().unwrap().to_owned();
            vec![format!("Ocp-Apim-Subscription-Key: {key}"), format!("Authorization: Bearer {token}")]
        }
        "liveperson" => {
            let login = serde_json::json!({"authType": "USER_PASS", "credentials": {
                "username": env("LIVEPERSON_USERNAME"), "password": env("LIVEPERSON_PASSWORD")}});
            let url = format!("{base}/api/v1/account/{}/login?v=1.3", env("LIVEPERSON_ACCOUNT_ID"));
            let bearer = json(http.post(url).json(&login).send().await.unwrap()).await;
            vec![format!("Authorization: Bearer {}", bearer["bearer"].as_str().unwrap())]
        }
        "salesloft" => vec![format!("Authorization: Bearer {}", env("SALESLOFT_API_KEY"))],
        "raia" => vec![format!("Agent-Secret-Key: {}", env("RAIA_AGENT_SECRET_KEY"))],
        "llamadapro" => vec![format!("X-API-KEY: {}", env("LLAMADAPRO_API_KEY"))],
        other => panic!("{other}: no credentials known for Schemathesis; add them here"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_error_undocumented_status_or_schema_violation() {
    let Some(st) = tool("venv/bin/st") else { return };
    let served = Served::start("all", &["--check-responses"]);
    let mut failures = Vec::new();
    for spec in specs() {
        let api = spec.file_stem().unwrap().to_string_lossy().into_owned();
        let base = served.base_url(&api);
        let mut command = Command::new(&st);
        command
            .args(["run", &spec.to_string_lossy(), "--url", &base, "--seed", "42", "--workers", "1"])
            .args(["--max-time", &SCHEMATHESIS_SECONDS_PER_API.to_string(), "--max-examples", "25"])
            .args(["--request-timeout", &Duration::from_secs(10).as_secs().to_string()])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .args(["--report-dir", &root().join("target/check-tools/reports").join(&api).to_string_lossy()])
            // Its cache goes where it runs: beside the tools, not in the tree.
            .current_dir(root().join("target/check-tools"))
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .env("NO_COLOR", "1");
        for header in auth_headers(&api, &base, &served).await {
            command.args(["-H", &header]);
        }
        match run(command) {
            // Its count of test cases, e.g. `1028 generated, 0 found 0 unique failures`.
            Ok(output) => {
                let cases = output
                    .lines()
                    .map(str::trim)
                    .find(|line| line.starts_with(|c: char| c.is_ascii_digit()) && line.contains(" generated,"))
                    .unwrap_or_default();
                println!("{api}: {cases}");
            }
            Err(failure) => failures.push(format!("{api}:\n{failure}")),
        }
    }
    served.interrupt();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
