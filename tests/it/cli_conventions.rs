//! The CLI's conventions: shell completions, `--quiet`, `NO_COLOR`,
//! `config show`, and stdout holding nothing but data. Run over loopback
//! against the in-process sandbox where a command needs an API.

use crate::common;
use crate::fault_server;

use std::process::Output;

use common::{convo, stderr, stdout};
use serde_json::Value;

fn ok(output: Output) -> Output {
    assert!(output.status.success(), "failed: {}", stderr(&output));
    output
}

#[test]
fn completions_print_a_script_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = ok(convo().args(["completions", shell]).output().unwrap());
        let script = stdout(&out);
        assert!(script.len() > 1000 && script.contains("convo"), "{shell}: {}", &script[..script.len().min(200)]);
        // The subcommands of every API and of the spec's operations are in it.
        assert!(script.contains("luware") && script.contains("conversations"), "{shell}");
        assert!(stderr(&out).is_empty(), "{shell}: {}", stderr(&out));
    }
    let bad = convo().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// Each setting with where it came from: the flag beats the environment,
/// which beats the profile; secrets show only that they are set.
#[test]
fn config_show_names_each_settings_source_and_hides_secrets() {
    let dir = std::env::temp_dir().join(format!("convo-config-show-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.toml");
    std::fs::write(
        &file,
        "[profiles.work.luware]\nbase_url = \"https://profile.example\"\neid = 42\nclient_id = \"api@example.com\"\n\
         client_secret = \"profile-s3cret\"\n",
    )
    .unwrap();
    let out = ok(convo()
        .env("CONVO_CONFIG", &file)
        .env("LUWARE_EID", "7")
        .env("LUWARE_SUBSCRIPTION_KEY", "env-s3cret")
        .args(["--profile", "work", "-o", "json", "config", "show", "luware", "--base-url", "https://flag.example"])
        .output()
        .unwrap());
    let text = stdout(&out);
    assert!(!text.contains("s3cret"), "{text}");
    let rows: Vec<Value> = serde_json::from_str(&text).unwrap();
    let row = |setting: &str| rows.iter().find(|r| r["setting"] == setting).unwrap_or_else(|| panic!("{text}")).clone();
    assert_eq!(row("base_url")["value"], "https://flag.example");
    assert_eq!(row("base_url")["source"], "flag --base-url");
    assert_eq!(row("eid")["value"], "7");
    assert_eq!(row("eid")["source"], "env LUWARE_EID");
    assert_eq!(row("subscription_key")["value"], "****");
    assert_eq!(row("subscription_key")["source"], "env LUWARE_SUBSCRIPTION_KEY");
    assert_eq!(row("client_id")["value"], "api@example.com");
    assert_eq!(row("client_secret")["value"], "****");
    let source = row("client_secret")["source"].as_str().unwrap().to_string();
    assert!(source.starts_with("profile work (") && source.contains("config.toml"), "{source}");
    assert!(rows.iter().all(|r| r["api"] == "luware"), "{text}");

    // Every API by default, as a table; a setting given nowhere says how to set it.
    let all = stdout(&ok(convo().args(["config", "show"]).output().unwrap()));
    for api in ["luware", "raia", "salesloft", "liveperson", "llamadapro"] {
        assert!(all.lines().any(|l| l.starts_with(api)), "{api}: {all}");
    }
    assert!(all.contains("not set (--api-key, SALESLOFT_API_KEY"), "{all}");

    // A base URL the API defaults to is the spec's server; one it needs (Luware's tenant) is not set.
    let rows: Vec<Value> =
        serde_json::from_str(&stdout(&ok(convo().args(["-o", "json", "config", "show"]).output().unwrap()))).unwrap();
    let base_url = |api: &str| rows.iter().find(|r| r["api"] == api && r["setting"] == "base_url").unwrap().clone();
    assert_eq!(base_url("salesloft")["value"], "https://api.salesloft.com");
    assert_eq!(base_url("salesloft")["source"], "default (the spec's server)");
    assert_eq!(base_url("raia")["value"], "https://api.raia2.com");
    assert_eq!(base_url("luware")["value"], "");
    assert!(base_url("luware")["source"].as_str().unwrap().starts_with("not set ("));

    let unknown = convo().args(["config", "show", "nope"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no API named \"nope\""), "{}", stderr(&unknown));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--quiet` drops notes, never data or errors.
#[test]
fn quiet_keeps_data_and_errors_and_drops_notes() {
    let page = ["--sandbox", "llamadapro", "contacts", "list", "--page-size", "3"];
    let loud = ok(convo().args(page).output().unwrap());
    assert!(
        stderr(&loud).starts_with("more records follow: --all") && stderr(&loud).contains(" --page-token "),
        "{}",
        stderr(&loud)
    );
    let quiet = ok(convo().arg("--quiet").args(page).output().unwrap());
    assert_eq!(stderr(&quiet), "");
    assert_eq!(stdout(&quiet).lines().count(), 3);
    // Given after the subcommand too.
    let quiet = ok(convo().args(page).arg("-q").output().unwrap());
    assert_eq!(stderr(&quiet), "");

    let failed =
        convo().args(["--quiet", "--sandbox", "luware", "conversations", "get", "no-such-id"]).output().unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(stderr(&failed).starts_with("error: "), "{}", stderr(&failed));
}

#[test]
fn no_color_turns_colour_off_even_where_it_is_forced() {
    let coloured = convo().args(["luware", "bogus"]).env("CLICOLOR_FORCE", "1").output().unwrap();
    assert!(stderr(&coloured).contains('\u{1b}'), "the check below would prove nothing");
    let plain = convo().args(["luware", "bogus"]).env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1").output().unwrap();
    assert_eq!(plain.status.code(), Some(2));
    assert!(!stderr(&plain).contains('\u{1b}') && stderr(&plain).contains("error:"), "{}", stderr(&plain));
}

/// Every line on stdout of a list is a record (progress, notes and
/// summaries go to stderr), so `convo … | jq` and `> file` get data only.
#[test]
fn stdout_holds_only_data() {
    for args in [
        &["--sandbox", "luware", "conversations", "list", "--page-size", "5"][..],
        &["--sandbox", "salesloft", "conversations", "list", "--all", "--page-size", "50"],
        &["--sandbox", "raia", "conversations", "list", "--all"],
        &["--sandbox", "llamadapro", "contacts", "list", "--page-size", "2"],
    ] {
        let out = ok(convo().args(args).output().unwrap());
        let text = stdout(&out);
        assert!(!text.is_empty(), "{args:?}");
        for line in text.lines() {
            assert!(serde_json::from_str::<Value>(line).is_ok_and(|v| v.is_object()), "{args:?}: {line}");
        }
    }
    // A bulk download writes files; its summary is a note on stderr.
    let dir = std::env::temp_dir().join(format!("convo-stdout-data-{}", std::process::id()));
    let out = ok(convo()
        .args(["--sandbox", "luware", "transcripts", "--filter", "startTime<2024-07-01 09:00:00", "--out"])
        .arg(&dir)
        .output()
        .unwrap());
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("transcripts written to"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).ok();
}

/// A list as csv reads back with a csv reader, a record per row and a
/// field per column (the quoting of commas, quotes and line breaks is
/// tested in `output.rs`).
#[test]
fn csv_output_reads_back_with_a_csv_reader() {
    let out = ok(convo()
        .args(["--sandbox", "luware", "conversations", "list", "--page-size", "20", "-o", "csv"])
        .output()
        .unwrap());
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(headers.get(0), Some("ccdrId"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|r| r.len() == headers.len()));
}

/// Text from a server that would act on a terminal (a bidi override that
/// reorders the line, C1 controls, DEL) is escaped in every output format;
/// JSON keeps the same value (`\uXXXX`), so machines see no difference.
#[test]
fn server_text_that_acts_on_a_terminal_is_escaped_in_every_format() {
    let hostile = "evil\u{202e}txt.exe\u{9b}31m\u{85}\u{7f}";
    // A state as the spec describes it (answers are checked against it).
    let body = serde_json::json!([{
        "id": "s1", "name": hostile, "description": null, "color": null, "isPersistent": false,
        "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"
    }]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, _) = runtime.block_on(fault_server::fault_server(vec![fault_server::Answer::Full(fault_server::raw(
        200,
        body.to_string().as_bytes(),
    ))]));
    for format in ["json", "jsonl", "table", "csv"] {
        let out = convo()
            .args(["raia", "list-conversation-states", "--base-url", &url, "-o", format])
            .env("RAIA_AGENT_SECRET_KEY", "k-123456")
            .output()
            .unwrap();
        let text = stdout(&out);
        assert!(text.contains("evil"), "{format}: {text} {}", stderr(&out));
        assert!(!text.contains(['\u{202e}', '\u{9b}', '\u{85}', '\u{7f}']), "{format}: {text:?}");
        if format.starts_with("json") {
            let first = text.lines().next().unwrap_or_default();
            let value: Value = if format == "json" { serde_json::from_str(&text) } else { serde_json::from_str(first) }
                .unwrap_or_else(|e| panic!("{format}: {e}: {text}"));
            assert!(value.to_string().contains("evil\u{202e}txt"), "{format}: the value changed: {value}");
        }
    }
}

/// Each API's line in `convo --help` is its spec's title.
#[test]
fn each_api_is_described_by_its_spec_title() {
    let help = stdout(&ok(convo().arg("--help").output().unwrap()));
    for (api, spec) in [
        ("luware", convo_clients::luware::SPEC_JSON),
        ("raia", convo_clients::raia::SPEC_JSON),
        ("salesloft", convo_clients::salesloft::SPEC_JSON),
        ("liveperson", convo_clients::liveperson::SPEC_JSON),
        ("llamadapro", convo_clients::llamadapro::SPEC_JSON),
    ] {
        let spec: Value = serde_json::from_str(spec).unwrap();
        let title = spec["info"]["title"].as_str().unwrap();
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(api) && l.trim_end().ends_with(title)),
            "{api}: {help}"
        );
    }
}

/// `--max-attempts` (or `CONVO_MAX_ATTEMPTS`) bounds how often a request
/// that fails transiently is sent: three times by default, once with 1.
#[test]
fn max_attempts_bounds_the_resends_of_a_failing_request() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let attempts = |flag: Option<&str>, env: Option<&str>| {
        let (url, served) = runtime.block_on(fault_server::fault_server(vec![fault_server::Answer::Echo(503)]));
        let mut command = convo();
        command.args(["raia", "list-conversation-states", "--base-url", &url]).env("RAIA_AGENT_SECRET_KEY", "k-1");
        command.args(flag.map(|n| ["--max-attempts", n]).into_iter().flatten());
        command.env_remove("CONVO_MAX_ATTEMPTS").envs(env.map(|n| ("CONVO_MAX_ATTEMPTS", n)));
        let out = command.output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("503"), "{}", stderr(&out));
        served.load(std::sync::atomic::Ordering::SeqCst)
    };
    assert_eq!(attempts(None, None), 3);
    assert_eq!(attempts(Some("1"), None), 1);
    assert_eq!(attempts(None, Some("2")), 2);
    assert_eq!(attempts(Some("1"), Some("2")), 1, "the flag wins over the environment");

    let out = convo().args(["--max-attempts", "0", "raia", "list-conversation-states"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
