//! The `convo` binary against the sandbox: in-process (`--sandbox`) and as a
//! separate `convo sandbox serve` process. A test of an API whose feature is
//! off (`--no-default-features --features cli,<api>`) is ignored.

use crate::common;

use std::collections::HashSet;
use std::process::Output;

use common::{Served, convo, stderr, stdout};
use serde_json::Value;
const FIRST_ID: &str = "a44a212f-acfd-4a6f-8000-000000000000";

fn run(args: &[&str]) -> Output {
    convo().args(args).output().expect("convo runs")
}

fn ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(output.status.success(), "{args:?} failed: {}", stderr(&output));
    stdout(&output)
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn list_prints_a_filtered_table() {
    let out = ok(&[
        "--sandbox",
        "luware",
        "conversations",
        "list",
        "--filter",
        "platformName=Microsoft Teams",
        "--output",
        "table",
    ]);
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("ccdrId") && header.contains("platform"), "{header}");
    let rows: Vec<_> = lines.collect();
    assert_eq!(rows.len(), 100, "first page only without --all");
    assert!(rows.iter().all(|r| r.contains("Microsoft Teams")));
}

/// One page is not all: a list that stops at a page says how to go on, on
/// stderr; nothing when it has all, or with --quiet.
#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn a_list_that_stops_after_one_page_says_how_to_go_on() {
    let list = ["--sandbox", "luware", "conversations", "list", "--page-size", "2"];
    let one_page = run(&list);
    assert!(one_page.status.success(), "{}", stderr(&one_page));
    assert_eq!(stdout(&one_page).lines().count(), 2);
    assert!(stderr(&one_page).contains("more conversations match: --all prints every page"), "{}", stderr(&one_page));
    let quiet = run(&[&["-q"][..], &list].concat());
    assert!(quiet.status.success() && stderr(&quiet).is_empty(), "{}", stderr(&quiet));
    let all = run(&["--sandbox", "luware", "conversations", "list", "--filter", "startTime>=2024-07-31", "--all"]);
    assert!(all.status.success() && !stderr(&all).contains("more conversations"), "{}", stderr(&all));
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn every_output_format_of_a_list() {
    let base = ["--sandbox", "luware", "conversations", "list", "--page-size", "3"];
    let json: Value = serde_json::from_str(&ok(&[&base[..], &["-o", "json"]].concat())).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
    assert_eq!(json[0]["ccdrId"], FIRST_ID);

    let jsonl = ok(&base);
    let records: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 3, "jsonl is the default for lists");

    let csv = ok(&[&base[..], &["-o", "csv"]].concat());
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "ccdrId,startTime,platform,modality,direction,user,from,to");
    assert!(lines.next().unwrap().starts_with(&format!("{FIRST_ID},2024-07-01 ")));

    let table = ok(&[&base[..], &["-o", "table"]].concat());
    assert_eq!(table.lines().count(), 4);
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn all_streams_every_page_without_duplicates() {
    let out = ok(&[
        "--sandbox",
        "luware",
        "conversations",
        "list",
        "--all",
        "--page-size",
        "100",
        "--sort",
        "startTime:desc",
    ]);
    let ids: Vec<String> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["ccdrId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1_000);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 1_000);
    assert!(ids[0].ends_with("3e7"), "descending starts with the newest: {}", ids[0]);
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn get_transcript_and_writes() {
    let got: Value =
        serde_json::from_str(&ok(&["--sandbox", "luware", "conversations", "get", FIRST_ID, "--expand", "METADATA"]))
            .unwrap();
    assert_eq!(got["ccdrId"], FIRST_ID);
    let table = ok(&["--sandbox", "luware", "conversations", "get", FIRST_ID, "-o", "table"]);
    assert!(table.lines().any(|l| l.starts_with("ccdrId") && l.ends_with(FIRST_ID)), "{table}");

    let text = ok(&["--sandbox", "luware", "transcript", FIRST_ID]);
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("[0:00:00.50] ") && first.contains(": Good morning"), "{first}");
    let json: Value =
        serde_json::from_str(&ok(&["--sandbox", "luware", "transcript", FIRST_ID, "--format", "json"])).unwrap();
    assert_eq!(json["provider"], "intelligentvoice");

    let label: Value =
        serde_json::from_str(&ok(&["--sandbox", "luware", "label", FIRST_ID, "--label-id", "7"])).unwrap();
    assert_eq!(label["labelId"], 7);
    let metadata = ok(&[
        "--sandbox",
        "luware",
        "metadata",
        FIRST_ID,
        "--template-id",
        "1234",
        "--template-name",
        "Custom",
        "--field",
        "service_line=Retail",
        "--field",
        "upn=a@b.example",
        "-o",
        "csv",
    ]);
    assert_eq!(metadata.lines().next(), Some("ccdrId"));
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn control_actions_and_their_errors() {
    // Conversation 2 belongs to a Controlled user, 0 to an Always-recorded one.
    let controlled = "a44a212f-acfd-4a6f-8000-000000000002";
    let out: Value = serde_json::from_str(&ok(&["--sandbox", "luware", "control", controlled, "stop"])).unwrap();
    assert_eq!(out["action"], "stopRecording");

    let output = run(&["--sandbox", "luware", "control", FIRST_ID, "keep"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: control_conversation: HTTP 405 Method Not Allowed: keepOndemand does not apply"),
        "{err}"
    );

    let output = run(&["--sandbox", "luware", "conversations", "get", "no-such-id"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("HTTP 404"), "{}", stderr(&output));
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn bad_flags_and_bad_filters_exit_2() {
    for args in [
        &["--sandbox", "luware", "conversations", "list", "--page-size", "500"][..],
        &["--sandbox", "luware", "conversations", "list", "--sort", "endTime:asc"],
        &["--sandbox", "luware", "conversations", "lists"],
        &["--sandbox", "luware", "control", FIRST_ID, "pause"],
        &[
            "--sandbox",
            "luware",
            "metadata",
            FIRST_ID,
            "--template-id",
            "1",
            "--template-name",
            "T",
            "--field",
            "novalue",
        ],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
    }
    let output = run(&["--sandbox", "luware", "conversations", "list", "--filter", "startTime=2024-07-01"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("not allowed for field startTime") && err.contains("BETWEEN"), "{err}");
    let output = run(&["--sandbox", "luware", "conversations", "list", "--filter", "colour=red"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("colour"), "{}", stderr(&output));
}

/// A time window that holds nothing is a usage error, found before any
/// request: the base URL refuses connections, which would be exit 1.
#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn an_empty_time_window_is_refused_before_sending() {
    for command in [&["conversations", "list"][..], &["transcripts", "--out", "/nonexistent/convo-never"]] {
        let output = convo()
            .arg("luware")
            .args(command)
            .args(["--since", "2024-07-01", "--until", "2024-06-01"])
            .env("LUWARE_BASE_URL", "http://127.0.0.1:9")
            .env("LUWARE_EID", "1000")
            .env("LUWARE_CLIENT_ID", "me")
            .env("LUWARE_CLIENT_SECRET", "s3cret-value")
            .env("LUWARE_SUBSCRIPTION_KEY", "key-value")
            .output()
            .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {err}");
        assert!(err.contains("startTime") && err.contains("empty range"), "{command:?}: {err}");
    }
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn a_missing_credential_is_named() {
    let output = convo()
        .args(["luware", "conversations", "list"])
        .env("LUWARE_BASE_URL", "http://127.0.0.1:9")
        .env("LUWARE_EID", "1000")
        .env("LUWARE_CLIENT_ID", "me")
        .env("LUWARE_CLIENT_SECRET", "s3cret-value")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("LUWARE_SUBSCRIPTION_KEY") && err.contains("--subscription-key"), "{err}");
    assert!(!err.contains("s3cret-value"));
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn serve_environment_profiles_and_ctrl_c() {
    let served = Served::start("luware", &["--conversations", "25", "--seed", "42"]);
    let out =
        served.command().args(["luware", "conversations", "list", "--all", "--page-size", "10"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 25);

    // A wrong secret is an auth error (exit 1) that does not echo the secret.
    let out = served
        .command()
        .env("LUWARE_CLIENT_SECRET", "definitely-wrong-secret")
        .args(["luware", "conversations", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("request_token: HTTP 401"), "{err}");
    assert!(!err.contains("definitely-wrong-secret") && !err.contains("sandbox-subscription-key"), "{err}");

    // A profile supplies what flags and environment do not; flags win over it.
    let dir = std::env::temp_dir().join(format!("convo-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let toml = format!(
        "[profiles.staging.luware]\nbase_url = \"http://127.0.0.1:9\"\nsubscription_key = \"{}\"\neid = {}\nclient_id = \"{}\"\nclient_secret = \"{}\"\n",
        served.env["LUWARE_SUBSCRIPTION_KEY"],
        served.env["LUWARE_EID"],
        served.env["LUWARE_CLIENT_ID"],
        served.env["LUWARE_CLIENT_SECRET"],
    );
    std::fs::write(&config, toml).unwrap();
    let with_profile = |extra: &[&str]| {
        convo()
            .env("CONVO_CONFIG", &config)
            .args(["--profile", "staging", "luware"])
            .args(extra)
            .args(["conversations", "list", "--page-size", "2"])
            .output()
            .unwrap()
    };
    let out = with_profile(&["--base-url", &served.env["LUWARE_BASE_URL"]]);
    assert!(out.status.success(), "flag overrides the profile's base_url: {}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2);
    let out = with_profile(&[]);
    assert_eq!(out.status.code(), Some(1), "the profile's unreachable base_url is used: {}", stderr(&out));
    assert!(stderr(&out).contains("transport error"), "{}", stderr(&out));
    let out = convo()
        .env("CONVO_CONFIG", &config)
        .args(["--profile", "nope", "luware", "conversations", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A mistyped value names the table and key, never the value (a secret).
    std::fs::write(&config, "[profiles.staging.luware]\nsubscription_key = 9876543210\n").unwrap();
    let out = with_profile(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("[profiles.staging.luware]") && err.contains("subscription_key"), "{err}");
    assert!(!err.contains("9876543210"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();

    let stopped = served.interrupt();
    assert!(stopped.status.success(), "{:?}", stopped.status);
    assert!(stderr(&stopped).contains("stopped"));
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn an_export_outlives_the_access_token() {
    // Tokens live 1 s and each request takes 40 ms, so a 40-page export spans
    // several tokens; the client refreshes them and the export completes.
    let served = Served::start("luware", &["--conversations", "400", "--token-lifetime", "1", "--latency-ms", "40"]);
    let out =
        served.command().args(["luware", "conversations", "list", "--all", "--page-size", "10"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 400);
    served.interrupt();
}

const CONVERSATION: &str = "2312ed0e-662e-4c94-9022-f0991058b4a4";

/// `--login legacy` logs in the seed's way (username and password); API-key
/// credentials cannot, and are refused before anything is sent.
#[test]
#[cfg_attr(not(feature = "liveperson"), ignore = "needs the liveperson feature")]
fn liveperson_legacy_login() {
    let served = Served::start("liveperson", &[]);
    let out = served
        .command()
        .args(["liveperson", "send", CONVERSATION, "--text", "Hello", "--login", "legacy", "--wait"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(serde_json::from_str::<Value>(&stdout(&out)).unwrap()["state"], "completed");
    let out = served
        .command()
        .env_remove("LIVEPERSON_PASSWORD")
        .env("LIVEPERSON_API_KEY", "a:b:c:d")
        .args(["liveperson", "send", CONVERSATION, "--text", "Hello", "--login", "legacy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("legacy login"), "{}", stderr(&out));
    let out = served.command().args(["liveperson", "send", CONVERSATION, "--text", "x", "--login", "old"]).output();
    assert_eq!(out.unwrap().status.code(), Some(2));
    served.interrupt();
}

#[test]
#[cfg_attr(not(feature = "liveperson"), ignore = "needs the liveperson feature")]
fn liveperson_commands_in_process() {
    let sent: Value = serde_json::from_str(&ok(&[
        "--sandbox",
        "liveperson",
        "send",
        CONVERSATION,
        "--text",
        "Hello",
        "--text",
        "Did that help?",
        "--quick-reply",
        "Yes",
        "--quick-reply",
        "No",
        "--ttl",
        "60",
        "--wait",
    ]))
    .unwrap();
    assert_eq!(sent["state"], "completed");
    let payload = &sent["data"]["payload"];
    assert_eq!(payload[0]["payload"], "Hello");
    assert_eq!(payload[1]["type"], "quickReplies");

    let ttr: Value =
        serde_json::from_str(&ok(&["--sandbox", "liveperson", "ttr", CONVERSATION, "custom:45", "--wait"])).unwrap();
    assert_eq!(ttr["data"]["payload"], serde_json::json!({"ttrType": "CUSTOM", "value": "45"}));
    let closed = ok(&["--sandbox", "liveperson", "close", CONVERSATION, "-o", "csv"]);
    assert_eq!(closed, "commandId\n1\n");

    let dir = std::env::temp_dir().join(format!("convo-cli-sdes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sdes.json");
    std::fs::write(&file, r#"{"sdes": [{"type": "personal", "personal": {"firstname": "Muster", "gender": "MALE"}}], "sharkVisitorId": "v1", "sharkSessionId": "s1"}"#).unwrap();
    let sdes: Value = serde_json::from_str(&ok(&[
        "--sandbox",
        "liveperson",
        "sdes",
        CONVERSATION,
        "--json",
        file.to_str().unwrap(),
        "--wait",
    ]))
    .unwrap();
    // The command as getCommand answers it (the flow lifted `data.type` to the top).
    assert_eq!(sdes["data"]["type"], "sdes");
    std::fs::write(
        &file,
        r#"{"sdes": [{"type": "personal", "personal": 3}], "sharkVisitorId": "v1", "sharkSessionId": "s1"}"#,
    )
    .unwrap();
    let out = run(&["--sandbox", "liveperson", "sdes", CONVERSATION, "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "a mismatched SDE is an input error");
    assert!(stderr(&out).contains("request body.sdes[0].personal: 3 is not an object"), "{}", stderr(&out));
    std::fs::remove_dir_all(&dir).unwrap();

    let out = run(&["--sandbox", "liveperson", "transfer", CONVERSATION, "--skill", "nope", "--wait"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("failed: com.liveperson.bot-connectors-worker.error.public-api.execution-failed"));
    for args in [
        &["--sandbox", "liveperson", "send", CONVERSATION, "--text", "x", "--ttl", "5"][..],
        &["--sandbox", "liveperson", "transfer", CONVERSATION, "--skill", " "],
        &["--sandbox", "liveperson", "ttr", CONVERSATION, "custom"],
        &["--sandbox", "liveperson", "commands", CONVERSATION, "--wait"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

/// `send` is `sendMessages` under its `x-cli` name: its message flags build
/// the seed's every kind of message in the order given, and `--wait` is
/// getCommand's `x-wait`, bounded.
#[test]
#[cfg_attr(not(feature = "liveperson"), ignore = "needs the liveperson feature")]
fn liveperson_send_builds_every_message_of_the_seed_in_order() {
    let card = r#"{"type": "vertical", "elements": [{"type": "text", "text": "Recommend a movie"}]}"#;
    let sent: Value = serde_json::from_str(&ok(&[
        "--sandbox",
        "liveperson",
        "send",
        CONVERSATION,
        "--intent-id",
        "testId",
        "--confidence-score",
        "1",
        "--text",
        "Hi",
        "--delay",
        "4",
        "--typing",
        "--text",
        "Do you like bots?",
        "--quick-reply",
        "yes",
        "--metadata",
        "ExternalId:1234566",
        "--encoded-metadata",
        "SGVsbG8gV29ybGQh",
        "--structured-content",
        card,
        "--metadata",
        "ExternalId:123-YES",
        "--wait",
        "--wait-timeout",
        "20",
    ]))
    .unwrap();
    assert_eq!(sent["state"], "completed");
    let payload = sent["data"]["payload"].as_array().unwrap();
    let kinds: Vec<&str> = payload.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["text", "delay", "quickReplies", "structuredContent"]);
    assert_eq!(payload[1]["payload"], serde_json::json!({"delay": 4, "typing": true}));
    let replies = &payload[2]["payload"];
    assert_eq!(replies["structuredContent"]["message"], "Do you like bots?");
    assert_eq!(replies["structuredContent"]["quickReplies"]["replies"][0]["title"], "yes");
    assert_eq!(replies["encodedMetadata"], "SGVsbG8gV29ybGQh");
    assert_eq!(payload[3]["metadata"][0]["id"], "123-YES");
    for (args, message) in [
        (&["--quick-reply", "yes"][..], "--quick-reply goes after an item of messages"),
        (&["--text", "x", "--metadata", "ExternalId"], "expected TYPE:ID"),
        (&["--text", "x", "--wait", "--wait-timeout", "3601"], "3601"),
        (&["--text", "x", "--wait-interval", "1"], "--wait"),
    ] {
        let out = run(&[&["--sandbox", "liveperson", "send", CONVERSATION][..], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
#[cfg_attr(not(feature = "liveperson"), ignore = "needs the liveperson feature")]
fn liveperson_against_a_served_sandbox() {
    let served = Served::start("liveperson", &[]);
    let lp = |args: &[&str]| served.command().arg("liveperson").args(args).output().unwrap();
    let out = lp(&["send", CONVERSATION, "--text", "one"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = serde_json::from_slice::<Value>(&out.stdout).unwrap()["commandId"].as_str().unwrap().to_string();
    let waited: Value = serde_json::from_slice(&lp(&["commands", CONVERSATION, &id, "--wait"]).stdout).unwrap();
    assert_eq!(waited["state"], "completed");
    let listed = stdout(&lp(&["commands", CONVERSATION, "-o", "table"]));
    let mut lines = listed.lines();
    assert!(lines.next().unwrap().starts_with("id"));
    assert!(lines.next().unwrap().contains("completed"));

    let out = served
        .command()
        .env_remove("LIVEPERSON_PASSWORD")
        .args(["liveperson", "close", CONVERSATION])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("LIVEPERSON_PASSWORD"), "{}", stderr(&out));
    let out = served
        .command()
        .env_remove("LIVEPERSON_PASSWORD")
        .env("LIVEPERSON_API_KEY", "a:b:c")
        .args(["liveperson", "close", CONVERSATION])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    served.interrupt();
}

#[test]
#[cfg_attr(not(feature = "salesloft"), ignore = "needs the salesloft feature")]
fn salesloft_conversations() {
    let table = ok(&[
        "--sandbox",
        "salesloft",
        "conversations",
        "list",
        "--platform",
        "zoom",
        "--title-prefix",
        "Discovery",
        "--created-after",
        "2024-01-10",
        "--sort",
        "created_at:asc",
        "-o",
        "table",
    ]);
    let mut lines = table.lines();
    assert!(lines.next().unwrap().starts_with("id"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty() && rows.iter().all(|r| r.contains("zoom") && r.contains("Discovery")));

    let all = ok(&["--sandbox", "salesloft", "conversations", "list", "--all", "--page-size", "100"]);
    let ids: Vec<Value> = all.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(ids.len(), 500);
    // `--since` is `updated_at[gt]`; oldest update first is `--sort updated_at:asc`.
    let since = ok(&[
        "--sandbox",
        "salesloft",
        "conversations",
        "list",
        "--since",
        "2024-01-15T00:00:00Z",
        "--sort",
        "updated_at:asc",
        "--page-size",
        "7",
    ]);
    let updated: Vec<String> = since
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["updated_at"].as_str().unwrap().to_string())
        .collect();
    assert!(!updated.is_empty() && updated.windows(2).all(|w| w[0] <= w[1]) && updated[0].as_str() > "2024-01-15");

    let first = ids[0]["id"].as_str().unwrap();
    let got: Value =
        serde_json::from_str(&ok(&["--sandbox", "salesloft", "conversations", "get-extensive", "--id", first]))
            .unwrap();
    assert_eq!(got["id"], first);
    assert_eq!(got["invitees"].as_array().unwrap().len(), 3);
    let csv = ok(&["--sandbox", "salesloft", "conversations", "get", "--id", first, "-o", "csv"]);
    assert!(csv.lines().nth(1).unwrap().starts_with(first));

    for args in [
        &["--sandbox", "salesloft", "conversations", "list", "--platform", "skype"][..],
        &["--sandbox", "salesloft", "conversations", "list", "--page-size", "101"],
        &["--sandbox", "salesloft", "conversations", "list", "--since", "yesterday"],
        &["--sandbox", "salesloft", "conversations", "list", "--title", "a", "--title-prefix", "b"],
        &[
            "--sandbox",
            "salesloft",
            "conversations",
            "list",
            "--created-after",
            "2024-02-01",
            "--created-before",
            "2024-01-01",
        ],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = run(&["salesloft", "conversations", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("SALESLOFT_API_KEY"));

    let served = Served::start("salesloft", &[]);
    let out = served.command().args(["salesloft", "conversations", "list", "--page-size", "5"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 5);
    let out = served
        .command()
        .env("SALESLOFT_API_KEY", "ak_wrong")
        .args(["salesloft", "conversations", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("HTTP 401") && !stderr(&out).contains("ak_wrong"), "{}", stderr(&out));
    served.interrupt();
}

/// One flag vocabulary across the APIs' friendly list commands: the help
/// shows the new names only.
#[test]
#[cfg_attr(
    not(all(feature = "luware", feature = "salesloft", feature = "raia", feature = "llamadapro")),
    ignore = "needs luware, salesloft, raia, llamadapro"
)]
fn every_list_command_speaks_the_same_flags() {
    let lists: &[&[&str]] = &[
        &["luware", "conversations", "list"],
        &["salesloft", "conversations", "list"],
        &["raia", "conversations", "list"],
        &["llamadapro", "contacts", "list"],
        &["llamadapro", "contacts", "search"],
        &["llamadapro", "custom-fields", "definitions", "list"],
        &["llamadapro", "custom-fields", "options", "list"],
    ];
    for list in lists {
        let help = ok(&[list, &["--help"][..]].concat());
        for flag in ["--page-size <N>", "--sort <FIELD[:asc|desc]>", "--all"] {
            assert!(help.contains(flag), "`convo {} --help` shows {flag}:\n{help}", list.join(" "));
        }
        for old in ["--limit", "--per-page", "--size ", "--order-by", "--order ", "--where", "FIELD=DIRECTION"] {
            assert!(!help.contains(old), "`convo {} --help` hides {old}:\n{help}", list.join(" "));
        }
    }
    let tasks = ok(&["llamadapro", "tasks", "list", "--help"]);
    assert!(tasks.contains("--page-size <N>") && tasks.contains("--all") && !tasks.contains("--limit"), "{tasks}");
    for list in [
        &["luware", "conversations", "list"][..],
        &["salesloft", "conversations", "list"],
        &["raia", "conversations", "list"],
    ] {
        let help = ok(&[list, &["--help"][..]].concat());
        assert!(help.contains("--since <") && help.contains("--until"), "{help}");
    }
    let filters: &[&[&str]] = &[
        &["luware", "conversations", "list"],
        &["llamadapro", "contacts", "list"],
        &["llamadapro", "contacts", "search"],
    ];
    for list in filters {
        let help = ok(&[list, &["--help"][..]].concat());
        assert!(help.contains("--filter <"), "{help}");
    }
}

/// The old spellings stay accepted as hidden aliases.
#[test]
#[cfg_attr(
    not(all(feature = "luware", feature = "salesloft", feature = "raia", feature = "llamadapro")),
    ignore = "needs luware, salesloft, raia, llamadapro"
)]
fn old_flag_spellings_still_work() {
    let pairs: &[(&[&str], &[&str])] = &[
        (
            &["--sandbox", "luware", "conversations", "list", "--limit", "3", "--sort", "startTime:desc"],
            &["--sandbox", "luware", "conversations", "list", "--page-size", "3", "--sort", "startTime:desc"],
        ),
        (
            &["--sandbox", "salesloft", "conversations", "list", "--per-page", "4"],
            &["--sandbox", "salesloft", "conversations", "list", "--page-size", "4"],
        ),
        (
            &["--sandbox", "raia", "conversations", "list", "--all", "--order-by", "updatedAt", "--order", "desc"],
            &["--sandbox", "raia", "conversations", "list", "--all", "--sort", "updatedAt:desc"],
        ),
        (
            &["--sandbox", "llamadapro", "tasks", "list", "--limit", "5"],
            &["--sandbox", "llamadapro", "tasks", "list", "--page-size", "5"],
        ),
        (
            &["--sandbox", "llamadapro", "contacts", "list", "--page-size", "5", "--sort", "firstName=desc"],
            &["--sandbox", "llamadapro", "contacts", "list", "--page-size", "5", "--sort", "firstName:desc"],
        ),
        (
            &["--sandbox", "llamadapro", "contacts", "search", "--where", "lastName:contains:sot", "--size", "2"],
            &["--sandbox", "llamadapro", "contacts", "search", "--filter", "lastName:contains:sot", "--page-size", "2"],
        ),
    ];
    for (old, new) in pairs {
        let (old_out, new_out) = (ok(old), ok(new));
        assert!(!new_out.is_empty(), "{new:?} prints records");
        assert_eq!(old_out, new_out, "{old:?} is {new:?}");
    }
    assert_eq!(ok(pairs[0].1).lines().count(), 3);
    assert_eq!(ok(pairs[1].1).lines().count(), 4);
}

#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn luware_time_window_and_transcript_formats() {
    let out = ok(&[
        "--sandbox",
        "luware",
        "conversations",
        "list",
        "--all",
        "--since",
        "2024-07-02",
        "--until",
        "2024-07-03T00:00:00Z",
        "-o",
        "csv",
    ]);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert!(!rows.is_empty(), "{out}");
    assert!(rows.iter().all(|r| r.split(',').nth(1).unwrap().starts_with("2024-07-02")), "{out}");

    let csv = ok(&["--sandbox", "luware", "transcript", FIRST_ID, "-o", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), "start,end,speaker,text");
    assert!(lines.next().unwrap().contains("Good morning"), "{csv}");
    let json: Value =
        serde_json::from_str(&ok(&["--sandbox", "luware", "transcript", FIRST_ID, "-o", "json"])).unwrap();
    assert_eq!(json["provider"], "intelligentvoice");
    let text = ok(&["--sandbox", "luware", "transcript", FIRST_ID, "--format", "text", "-o", "csv"]);
    assert!(text.starts_with("[0:00:00.50] "), "--format wins over --output: {text}");
}

/// Every setting a command lacks is named in one run, by environment
/// variable and flag.
#[test]
#[cfg_attr(not(feature = "luware"), ignore = "needs the luware feature")]
fn missing_settings_are_reported_together() {
    let mut command = convo();
    for name in ["BASE_URL", "SUBSCRIPTION_KEY", "EID", "CLIENT_ID", "CLIENT_SECRET"] {
        command.env_remove(format!("LUWARE_{name}"));
    }
    let out = command.args(["luware", "--eid", "7", "conversations", "get", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for (name, flag) in [
        ("LUWARE_BASE_URL", "--base-url"),
        ("LUWARE_SUBSCRIPTION_KEY", "--subscription-key"),
        ("LUWARE_CLIENT_ID", "--client-id"),
        ("LUWARE_CLIENT_SECRET", "--client-secret"),
    ] {
        assert!(err.contains(&format!("{name} ({flag})")), "{err}");
    }
    assert!(!err.contains("LUWARE_EID"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
