//! The proof that `convo` never prints a secret: every command of every API
//! (the friendly ones and each spec operation, found by walking `convo
//! <api> -h`, not listed by hand) runs with distinctive secrets in flags,
//! environment and a config file, at `-vvv` with `RUST_LOG=trace`, against
//! loopback servers that force each kind of failure: a 401 and a 500 whose
//! bodies echo the request (headers, credentials, body), a token/login
//! response that does not decode and holds a token, a refused connection, a
//! 200 that is not JSON and echoes the request (the echoes also carry
//! terminal control characters). No configured secret may appear on stdout
//! or stderr, nor a raw escape or bell; the token only on the stdout of a
//! command that succeeded (an operation whose response the server filled
//! with it, printed as asked).
//!
//! A spec operation that takes a JSON body gets one the spec accepts
//! (`convo_clients::sandbox::request_body`), so that it reaches the server.

use crate::commands;
use crate::common;
use crate::fault_server;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use commands::{leaves, operation_body, required_args};
use common::{CONVO, convo};
use fault_server::{Answer, fault_server, raw, refusing_url};

const LUWARE_SUBSCRIPTION_KEY: &str = "LuwSubKey-env-93ab71"; // environment
const LUWARE_CLIENT_SECRET: &str = "LuwPass-config-5c2e08"; // config file
const RAIA_SECRET_KEY: &str = "RaiaKey-env-e4f019"; // environment
const SALESLOFT_API_KEY: &str = "ak_SlKey-config-77d3a2"; // config file
const LIVEPERSON_PASSWORD: &str = "LpPass-flag-0b9c44"; // flag
const LLAMADAPRO_API_KEY: &str = "LlamaKey-flag-a61f5e"; // flag
/// What a token or login endpoint answers in the token scenario.
const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjbGkifQ.TokenS1gnatureXyZ";

const SECRETS: &[&str] = &[
    LUWARE_SUBSCRIPTION_KEY,
    LUWARE_CLIENT_SECRET,
    RAIA_SECRET_KEY,
    SALESLOFT_API_KEY,
    LIVEPERSON_PASSWORD,
    LLAMADAPRO_API_KEY,
];

/// A part of [`TOKEN`] that masking must not leave behind.
const TOKEN_SIGNATURE: &str = "TokenS1gnature";

const APIS: &[&str] = &["luware", "raia", "salesloft", "liveperson", "llamadapro"];

/// How many commands run at once.
const WORKERS: usize = 8;
/// Longest a command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(40);

/// The settings of `api`: the base URL, and secrets in flags (config file
/// and environment are set for every command).
fn settings(api: &str, url: &str) -> Vec<String> {
    let flags: Vec<&str> = match api {
        "liveperson" => vec![
            "--account-id",
            "12345678",
            "--username",
            "bot",
            "--password",
            LIVEPERSON_PASSWORD,
            "--base-url",
            url,
            "--csds-base-url",
            url,
        ],
        "llamadapro" => vec!["--api-key", LLAMADAPRO_API_KEY, "--base-url", url],
        _ => vec!["--base-url", url],
    };
    flags.into_iter().map(String::from).collect()
}

struct Job {
    scenario: &'static str,
    command: Vec<String>,
}

struct Outcome {
    scenario: &'static str,
    command: Vec<String>,
    code: Option<i32>,
    output: String,
    stderr: String,
    timed_out: bool,
    elapsed: Duration,
}

fn run(job: Job, config: &Path, scratch: &Path, n: usize) -> Outcome {
    let out_path = scratch.join(format!("{n}.out"));
    let err_path = scratch.join(format!("{n}.err"));
    let mut child = convo()
        .args(&job.command)
        .env("CONVO_CONFIG", config)
        .env("LUWARE_SUBSCRIPTION_KEY", LUWARE_SUBSCRIPTION_KEY)
        .env("RAIA_AGENT_SECRET_KEY", RAIA_SECRET_KEY)
        .env("RUST_LOG", "trace")
        // One resend is enough to log a retry (its reason holds server
        // text); the default's second one only doubled the wait.
        .env("CONVO_MAX_ATTEMPTS", "2")
        // Anything that would leave the machine goes to a port that refuses.
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let (code, timed_out) = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break (status.code(), false);
        }
        if started.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break (None, true);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stderr = String::from_utf8_lossy(&std::fs::read(&err_path).unwrap()).into_owned();
    let output = format!("{}\n{stderr}", String::from_utf8_lossy(&std::fs::read(&out_path).unwrap()));
    Outcome {
        scenario: job.scenario,
        command: job.command,
        code,
        output,
        stderr,
        timed_out,
        elapsed: started.elapsed(),
    }
}

#[test]
fn no_command_prints_a_secret_whatever_the_server_does() {
    assert!(Path::new(CONVO).exists());
    let scratch: PathBuf = std::env::temp_dir().join(format!("convo-cli-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let config = scratch.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.default.luware]\neid = 1000\nclient_id = \"api_user@example.com\"\nclient_secret = \"{LUWARE_CLIENT_SECRET}\"\n\n\
             [profiles.default.salesloft]\napi_key = \"{SALESLOFT_API_KEY}\"\n"
        ),
    )
    .unwrap();
    let json_file = scratch.join("body.json");
    std::fs::write(&json_file, "{}").unwrap();

    // The servers, one per kind of failure.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let token_body = format!(
        r#"{{"accessToken":"{TOKEN}","bearerToken":"{TOKEN}","data":{{"token":"{TOKEN}"}},"note":"Bearer {TOKEN}"}}"#
    );
    // Another origin that records what reaches it: a redirect there must
    // not be followed, so nothing may.
    let (elsewhere, reached_elsewhere) = runtime.block_on(fault_server(vec![Answer::Echo(200)]));
    let scenarios: Vec<(&'static str, String)> = runtime.block_on(async {
        vec![
            ("307 to another origin", fault_server(vec![Answer::Redirect(307, elsewhere.clone())]).await.0),
            ("401 echoing the request", fault_server(vec![Answer::Echo(401)]).await.0),
            ("500 echoing the request", fault_server(vec![Answer::Echo(500)]).await.0),
            ("token in an undecodable 200", fault_server(vec![Answer::Full(raw(200, token_body.as_bytes()))]).await.0),
            ("connection refused", refusing_url().await),
            ("garbage 200 echoing the request", fault_server(vec![Answer::Garbage]).await.0),
        ]
    });

    // Every leaf command of every API, from the CLI's own help.
    let commands: Vec<(Vec<String>, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = APIS.iter().map(|api| scope.spawn(move || leaves(vec![api.to_string()]))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    for api in APIS {
        assert!(commands.iter().any(|(path, _)| path[0] == *api), "no command of {api}");
    }
    assert!(commands.len() > 100, "only {} commands found", commands.len());

    let mut jobs = VecDeque::new();
    for (scenario, url) in &scenarios {
        for (path, help) in &commands {
            let mut command = vec!["-vvv".to_string()];
            command.extend(path.iter().cloned());
            command.extend(required_args(path, help, &json_file));
            command.extend(operation_body(path, &scratch));
            command.extend(settings(&path[0], url));
            if scenario.starts_with("garbage") {
                command.extend(["-o".to_string(), "table".to_string()]);
            }
            jobs.push_back(Job { scenario, command });
        }
    }
    let total = jobs.len();
    let jobs = Arc::new(Mutex::new(jobs.into_iter().enumerate().collect::<VecDeque<_>>()));
    let started = Instant::now();
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| {
                let jobs = jobs.clone();
                let (config, scratch) = (&config, &scratch);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    // The lock is let go before the job runs.
                    let next = || jobs.lock().unwrap().pop_front();
                    while let Some((n, job)) = next() {
                        done.push(run(job, config, scratch, n));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let elapsed = started.elapsed();
    drop(runtime);
    let _ = std::fs::remove_dir_all(&scratch);

    // CLI_SECRETS_REPORT=FILE: one line per run (exit code, ms, scenario, command, error line).
    if let Ok(report) = std::env::var("CLI_SECRETS_REPORT") {
        let lines: Vec<String> = outcomes
            .iter()
            .map(|o| {
                format!(
                    "{:?}\t{}\t{:?}\t{}\t{}",
                    o.code,
                    o.elapsed.as_millis(),
                    o.scenario,
                    o.command.join(" "),
                    o.output.lines().filter(|l| l.starts_with("error")).collect::<Vec<_>>().join(" | ")
                )
            })
            .collect();
        std::fs::write(report, lines.join("\n")).unwrap();
    }
    let mut failures = Vec::new();
    let mut reached = 0;
    let mut logged = 0;
    for outcome in &outcomes {
        let what = format!("[{}] convo {}", outcome.scenario, outcome.command.join(" "));
        for secret in SECRETS {
            if outcome.output.contains(secret) {
                failures.push(format!("{what}: printed {secret}:\n{}", outcome.output));
            }
        }
        let token_shown = outcome.stderr.contains(TOKEN_SIGNATURE)
            || (outcome.code != Some(0) && outcome.output.contains(TOKEN_SIGNATURE));
        if token_shown {
            failures.push(format!("{what}: printed the token:\n{}", outcome.output));
        }
        if outcome.output.contains(['\u{1b}', '\u{7}']) {
            failures.push(format!("{what}: printed a raw control character:\n{:?}", outcome.output));
        }
        if outcome.timed_out {
            failures.push(format!("{what}: still running after {COMMAND_TIMEOUT:?}"));
        }
        // Exit 1: the API or the connection failed, so the command got as
        // far as the network (2 is a usage or input error).
        if outcome.code == Some(1) {
            reached += 1;
        }
        if outcome.output.contains("convo_clients") {
            logged += 1;
        }
    }
    eprintln!(
        "{} commands x {} scenarios = {total} runs in {elapsed:?}; {reached} reached the server, {logged} logged",
        commands.len(),
        scenarios.len()
    );
    let redirected: Vec<&Outcome> = outcomes.iter().filter(|o| o.scenario.starts_with("307")).collect();
    let refused = redirected.iter().filter(|o| o.stderr.contains("redirect refused")).count();
    eprintln!("{refused} of {} runs told of the refused redirect", redirected.len());
    assert!(refused * 10 >= redirected.len() * 6, "only {refused} of {} runs refused the redirect", redirected.len());
    let elsewhere_count = reached_elsewhere.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(elsewhere_count, 0, "{elsewhere_count} redirected requests reached another origin");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n\n"));
    assert_eq!(outcomes.len(), total);
    // Most commands must really have sent something, logged at trace level.
    assert!(reached * 10 >= total * 6, "only {reached} of {total} runs reached the server");
    assert!(logged * 10 >= total * 7, "only {logged} of {total} runs logged");
}

/// A config file that is not UTF-8, not TOML, or holds a secret of the wrong
/// type: the error names the file and the line (and the key), never the value.
#[test]
fn config_errors_name_the_file_and_line_never_the_value() {
    let dir = std::env::temp_dir().join(format!("convo-config-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "numeric.toml",
            b"[profiles.default.raia]\nsecret_key = 987654321987\n",
            "line 2: [profiles.default.raia] secret_key: expected a string",
        ),
        ("binary.toml", b"[profiles.default.raia]\nsecret_key = \"987654321987\xff\"\n", "line 2: not UTF-8 text"),
        ("syntax.toml", b"[profiles.default.raia]\nsecret_key = \"987654321987\n", "line 2: "),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let output = convo().args(["raia", "conversations", "list"]).env("CONVO_CONFIG", &path).output().unwrap();
        let stderr = common::stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(&format!("config file {}: {expected}", path.display())), "{name}: {stderr}");
        assert!(!stderr.contains("987654321987"), "{name}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
