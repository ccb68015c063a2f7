//! `convo raia …` against the raia sandbox: in-process (`--sandbox`) and as a
//! separate `convo sandbox serve --api raia` process.

use crate::common;

use std::collections::HashSet;
use std::process::Output;

use common::{Served, convo, stderr, stdout};
use serde_json::{Value, json};

fn run(args: &[&str]) -> Output {
    convo().args(args).output().expect("convo runs")
}

fn ok(args: &[&str]) -> String {
    let output = run(args);
    assert!(output.status.success(), "{args:?} failed: {}", stderr(&output));
    stdout(&output)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `convo --sandbox raia ARGS…`
fn raia(args: &[&str]) -> Vec<String> {
    ["--sandbox", "raia"].iter().chain(args).map(|s| s.to_string()).collect()
}

fn ok_raia(args: &[&str]) -> String {
    let args = raia(args);
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn run_raia(args: &[&str]) -> Output {
    let args = raia(args);
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The seeded conversations (the same in every in-process sandbox), as listed.
fn all_conversations() -> Vec<Value> {
    ok_raia(&["conversations", "list", "--all"]).lines().map(json).collect()
}

/// The first conversation that is AI or manual, and a voice call or not.
fn find(conversations: &[Value], mode: &str, voice: bool) -> String {
    conversations
        .iter()
        .find(|c| c["mode"] == mode && c.get("aiCallId").is_some() == voice)
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("no {mode} conversation (voice: {voice})"))
        .to_string()
}

#[test]
fn every_output_format_of_a_list_and_all_pages() {
    let json_out = json(&ok_raia(&["conversations", "list", "-o", "json"]));
    assert_eq!(json_out.as_array().unwrap().len(), 10, "one page of the default size");
    let first_id = json_out[0]["id"].as_str().unwrap().to_string();

    let jsonl = ok_raia(&["conversations", "list", "--page-size", "4", "--page", "2"]);
    let records: Vec<Value> = jsonl.lines().map(json).collect();
    assert_eq!(records.len(), 4, "jsonl is the default for lists");

    let csv = ok_raia(&["conversations", "list", "--page-size", "3", "-o", "csv"]);
    let mut lines = csv.lines();
    // The spec's columns under the spec's names (`x-cli` of listConversations).
    assert_eq!(lines.next().unwrap(), "id,updatedAt,mode,title,conversationUserId");
    assert!(lines.next().unwrap().starts_with(&format!("{first_id},2024-")), "{csv}");

    let table = ok_raia(&["conversations", "list", "--page-size", "3", "-o", "table"]);
    assert_eq!(table.lines().count(), 4);
    assert!(table.lines().next().unwrap().starts_with("id "), "{table}");

    let all = all_conversations();
    assert_eq!(all.len(), 24);
    assert_eq!(all.iter().map(|c| c["id"].as_str().unwrap()).collect::<HashSet<_>>().len(), 24, "no duplicates");

    let filtered = ok_raia(&["conversations", "list", "--all", "--with-feedbacks-only", "--sort", "updatedAt:asc"]);
    let filtered: Vec<Value> = filtered.lines().map(json).collect();
    assert_eq!(filtered.len(), 8, "every third conversation has a feedback");
    assert!(filtered.windows(2).all(|w| w[0]["updatedAt"].as_str() < w[1]["updatedAt"].as_str()));
    let since =
        ok_raia(&["conversations", "list", "--all", "--since", "2024-03-02", "--until", "2024-03-02T12:00:00Z"]);
    assert!(since.lines().map(json).all(|c| c["updatedAt"].as_str().unwrap().starts_with("2024-03-02T")), "{since}");
}

#[test]
fn read_create_update_delete_and_states() {
    let all = all_conversations();
    let id = all[0]["id"].as_str().unwrap();
    let user = all[0]["conversationUserId"].as_str().unwrap();

    let got = json(&ok_raia(&["conversations", "get", id]));
    assert_eq!(got["id"], id);
    let table = ok_raia(&["conversations", "get", id, "-o", "table"]);
    assert!(table.lines().any(|l| l.starts_with("id") && l.ends_with(id)), "{table}");

    let states: Vec<Value> = ok_raia(&["conversations", "states"]).lines().map(json).collect();
    assert_eq!(
        states.iter().map(|s| s["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["New", "In progress", "Resolved"]
    );
    let state = states[1]["id"].as_str().unwrap();

    let created = json(&ok_raia(&[
        "conversations",
        "create",
        "--user",
        user,
        "--title",
        "Billing",
        "--state",
        state,
        "--data",
        "plan=premium",
    ]));
    assert_eq!(created["conversationUserId"], user);
    assert_eq!(created["metadata"]["customData"]["plan"], "premium");
    assert_eq!(created["conversationStateId"], state);

    let updated = json(&ok_raia(&["conversations", "update", id, "--title", "Renamed", "--status", "archived"]));
    assert_eq!(updated["title"], "Renamed");

    let deleted = ok_raia(&["conversations", "delete-user", user, "-o", "csv"]);
    assert_eq!(deleted, format!("conversationUserId,status\n{user},deleted\n"));

    let out = run_raia(&["conversations", "get", "no-such-conversation"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).trim(), "error: get_conversation: HTTP 404 Not Found: ENTITY_NOT_FOUND");
    let out = run_raia(&["conversations", "create", "--user", user, "--title", &"x".repeat(256)]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("title: longer than 255 characters"), "{}", stderr(&out));
}

#[test]
fn start_each_channel() {
    let email = json(&ok_raia(&[
        "conversations",
        "start",
        "email",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--email",
        "ada@example.com",
        "--subject",
        "Your order",
        "--introduction",
        "Hi Ada",
        "--reset",
    ]));
    let sms = json(&ok_raia(&[
        "conversations",
        "start",
        "sms",
        "--first-name",
        "Grace",
        "--last-name",
        "Hopper",
        "--phone",
        "+15550199",
        "--introduction",
        "Hi Grace",
    ]));
    let voice = ok_raia(&[
        "conversations",
        "start",
        "voice",
        "--first-name",
        "Alan",
        "--last-name",
        "Turing",
        "--phone",
        "+15550142",
        "--first-message",
        "Hello Alan",
        "-o",
        "csv",
    ]);
    for started in [&email, &sms] {
        assert_eq!(started["conversationId"].as_str().unwrap().len(), 36, "{started}");
    }
    assert!(voice.starts_with("conversationId\n"), "{voice}");

    // What a channel needs is named, by its flag, before anything is sent.
    for (args, needs) in [
        (
            &[
                "conversations",
                "start",
                "email",
                "--first-name",
                "A",
                "--last-name",
                "B",
                "--subject",
                "S",
                "--introduction",
                "I",
            ][..],
            "error: --email is required for email",
        ),
        (
            &["conversations", "start", "sms", "--first-name", "A", "--last-name", "B", "--phone", "+15550100"],
            "error: --introduction is required for sms",
        ),
        (
            &["conversations", "start", "voice", "--first-name", "A", "--last-name", "B", "--first-message", "Hi"],
            "error: --phone is required for voice",
        ),
        (
            &["conversations", "start", "email", "--first-name", "A"],
            "error: --last-name, --email, --subject and --introduction are required for email",
        ),
        // A flag of another channel's field, and no channel at all.
        (
            &[
                "conversations",
                "start",
                "voice",
                "--first-name",
                "A",
                "--last-name",
                "B",
                "--phone",
                "+15550100",
                "--first-message",
                "Hi",
                "--reset",
            ],
            "error: --reset does not apply to voice (only to email, sms)",
        ),
        (
            &["conversations", "start", "sms", "--first-name", "A", "--last-name", "B", "--subject", "S"],
            "error: --subject does not apply to sms (only to email)",
        ),
        (
            &["conversations", "start", "--first-name", "A", "--last-name", "B"],
            "error: CHANNEL or --channel is required: email, sms, voice",
        ),
        (
            &["conversations", "start", "fax", "--first-name", "A"],
            r#"error: CHANNEL "fax": expected one of email, sms, voice"#,
        ),
        // A blank required field given is the spec's to refuse.
        (
            &[
                "conversations",
                "start",
                "sms",
                "--first-name",
                " ",
                "--last-name",
                "B",
                "--phone",
                "+15550100",
                "--introduction",
                "Hi",
            ],
            "body.firstName: \" \" must not be blank",
        ),
    ] {
        let out = run_raia(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stderr(&out).lines().count(), 1, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needs), "{args:?}: {}", stderr(&out));
    }

    // The channel by its flag too, in any case, or from --json-body.
    let sms = json(&ok_raia(&[
        "conversations",
        "start",
        "--channel",
        "SMS",
        "--first-name",
        "Grace",
        "--last-name",
        "Hopper",
        "--phone",
        "+15550199",
        "--introduction",
        "Hi Grace",
    ]));
    assert_eq!(sms["conversationId"].as_str().unwrap().len(), 36, "{sms}");
    let dir = std::env::temp_dir().join(format!("convo-cli-raia-start-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("voice.json");
    std::fs::write(
        &file,
        r#"{"channel": "voice", "firstName": "Alan", "lastName": "Turing", "phoneNumber": "+15550142"}"#,
    )
    .unwrap();
    let out = run_raia(&["conversations", "start", "--json-body", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("error: --first-message is required for voice"), "{}", stderr(&out));
    let voice =
        json(&ok_raia(&["conversations", "start", "--json-body", file.to_str().unwrap(), "--first-message", "Hi"]));
    assert_eq!(voice["conversationId"].as_str().unwrap().len(), 36, "{voice}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Each flag of `conversations start` reaches its channel's field: the
/// sandbox's opening message is the email's subject and introduction, the
/// SMS's introduction or the call's first message; `--reset` restarts the
/// user's conversation; the user's fields and custom data are kept.
#[test]
fn start_flags_reach_each_channels_fields() {
    let served = Served::start("raia", &[]);
    let run = |args: &[&str]| {
        let out = served.command().arg("raia").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let started = |args: &[&str]| {
        let started = json(&run(&[&["conversations", "start"][..], args].concat()));
        started["conversationId"].as_str().unwrap().to_owned()
    };
    let opening = |id: &str| {
        let messages: Vec<Value> = run(&["messages", id]).lines().map(json).collect();
        messages.last().unwrap()["message"].as_str().unwrap().to_owned()
    };
    let user = ["--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com"];
    let email = [&user[..], &["--subject", "Your order", "--introduction", "Hi Ada", "--fk-id", "ada-1"]].concat();
    let first = started(&[&["email"][..], &email].concat());
    assert_eq!(opening(&first), "Your order\n\nHi Ada");
    // The same user's conversation goes on, unless reset.
    assert_eq!(started(&[&["email"][..], &email].concat()), first);
    let reset = started(&[&["EMAIL"][..], &email, &["--reset"]].concat());
    assert_ne!(reset, first);

    let sms = started(&[
        "sms",
        "--first-name",
        "Grace",
        "--last-name",
        "Hopper",
        "--phone",
        "+15550199",
        "--introduction",
        "Hi Grace",
        "--context",
        "VIP",
        "--source",
        "webchat",
        "--fk-id",
        "grace-1",
        "--data",
        "plan=premium",
        "--data",
        "tier=2",
    ]);
    assert_eq!(opening(&sms), "Hi Grace");
    let conversation = json(&run(&["conversations", "get", &sms]));
    let user = &conversation["user"];
    assert_eq!(
        (&user["firstName"], &user["phoneNumber"], &user["context"], &user["source"], &user["fkId"]),
        (&json!("Grace"), &json!("+15550199"), &json!("VIP"), &json!("webchat"), &json!("grace-1")),
        "{conversation}"
    );
    assert_eq!(conversation["metadata"]["customData"], json!({"plan": "premium", "tier": "2"}), "{conversation}");

    let call = ["voice", "--first-name", "Alan", "--last-name", "Turing", "--phone", "+15550142"];
    let voice = started(&[&call[..], &["--first-message", "Hello Alan"]].concat());
    assert_eq!(opening(&voice), "Hello Alan");
    assert!(json(&run(&["conversations", "get", &voice])).get("aiCallId").is_some());
    assert!(served.interrupt().status.success());
}

/// The help of `conversations start` says which channels each flag is for.
#[test]
fn start_help_names_each_flags_channels() {
    let help = ok_raia(&["conversations", "start", "--help"]);
    for line in [
        "Usage: convo raia conversations start [OPTIONS] [CHANNEL]",
        "--introduction <introduction>",
        "email: The first email's text. sms: The first SMS's text. [channel: email, sms; required]",
        "The user's first name. [channel: email, sms, voice; required]",
        "[channel: email, sms, voice; required for sms, voice]",
        "--subject <emailSubject>",
        "The email's subject. [channel: email; required]",
        "The agent's opening line. [channel: voice; required]",
        "Archive the current conversation and start a new one. [channel: email, sms]",
        "--data <KEY=VALUE>",
        "--channel <channel>",
    ] {
        assert!(help.contains(line), "{line:?} in {help}");
    }
    // The note stays on the short help's one line.
    let short = ok_raia(&["conversations", "start", "-h"]);
    let phone = "[channel: email, sms, voice; required for sms, voice]";
    assert!(short.lines().any(|l| l.contains("The user's phone number. raia") && l.ends_with(phone)), "{short}");
    assert!(short.contains("[CHANNEL]  CHANNEL (email, sms, voice in any case): the body's channel (or --channel)"));
}

#[test]
fn ask_messages_mode_and_manual_messages() {
    let all = all_conversations();
    let ai_chat = find(&all, "ai", false);
    let manual_chat = find(&all, "manual", false);
    let manual_voice = find(&all, "manual", true);

    let reply = json(&ok_raia(&["ask", &ai_chat, "What are your opening hours?", "--wait"]));
    assert_eq!(reply["senderRole"], "assistant");
    assert_eq!(reply["message"], "Sandbox agent: you asked: What are your opening hours?");
    let question = json(&ok_raia(&["ask", &ai_chat, "Just asking"]));
    assert_eq!(question["senderRole"], "conversation_user");
    let sync = json(&ok_raia(&["ask-sync", &ai_chat, "Quick one"]));
    assert_eq!(sync["senderRole"], "assistant");
    // The reply in the spec's message columns (`x-wait`'s result, `reply`'s columns under `message.`).
    let csv = ok_raia(&["ask", &ai_chat, "In columns", "--wait", "--context", "a test", "-o", "csv"]);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,createdAt,senderRole,source,message"), "{csv}");
    assert!(lines.next().unwrap().ends_with(",assistant,api,Sandbox agent: you asked: In columns"), "{csv}");

    let out = run_raia(&["ask", &ai_chat, "Please fail", "--wait"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("get_message_response: the wait ended with status failed: AGENT_REPLY_FAILED"), "{err}");

    let messages = ok_raia(&["messages", &ai_chat, "--feedbacks", "--sort", "createdAt:desc", "-o", "table"]);
    let mut lines = messages.lines();
    assert!(lines.next().unwrap().starts_with("id "));
    assert_eq!(lines.count(), 4);

    let mode = json(&ok_raia(&["mode", &ai_chat, "--mode", "manual"]));
    assert_eq!(mode["mode"], "manual");

    let out = run_raia(&["send-manual", &ai_chat, "Hello from a human"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not in manual mode"), "{}", stderr(&out));
    let out = run_raia(&["send-manual", &manual_voice, "Hello"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is a voice conversation"), "{}", stderr(&out));
    let sent = json(&ok_raia(&["send-manual", &manual_chat, "A human here"]));
    assert_eq!(sent["senderRole"], "manual_assistant");
    let out = run_raia(&["send-manual", &manual_chat, " "]);
    assert_eq!(out.status.code(), Some(2), "an empty message is an input error");
}

#[test]
fn bad_flags_and_missing_settings_exit_2() {
    for args in [
        &["conversations", "list", "--order-by", "title"][..],
        &["conversations", "list", "--sort", "title"],
        &["conversations", "list", "--sort", "updatedAt:sideways"],
        &["conversations", "list", "--sort", "createdAt", "--order", "asc"],
        &["messages", "some-conversation", "--sort", "updatedAt"],
        &["conversations", "list", "--page", "0"],
        &["conversations", "list", "--since", "yesterday"],
        &["conversations", "lists"],
        &["conversations", "start", "fax", "--first-name", "A", "--last-name", "B"],
        &["conversations", "create", "--user", "u", "--data", "novalue"],
        &["mode", "some-conversation", "--mode", "robot"],
        &["ask", "some-conversation", "hi", "--wait", "--sync"],
        &["ask-sync", "some-conversation", "hi", "--wait"],
        &["ask", "some-conversation", "hi", "--wait", "--wait-timeout", "0"],
        &["reply", "some-conversation"],
    ] {
        let out = run_raia(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }

    let out =
        convo().args(["raia", "conversations", "list"]).env("RAIA_BASE_URL", "http://127.0.0.1:9").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("RAIA_AGENT_SECRET_KEY") && err.contains("--secret-key"), "{err}");
}

#[test]
fn a_served_sandbox_keeps_state_between_commands() {
    let served = Served::start("raia", &[]);
    assert_eq!(
        served.env.keys().collect::<Vec<_>>(),
        [
            "RAIA_AGENT_SECRET_KEY",
            "RAIA_BASE_URL",
            "RAIA_CONVERSATION_ID",
            "RAIA_MANUAL_CONVERSATION_ID",
            "RAIA_USER_ID"
        ]
    );
    // AI chat, manual chat, manual voice call.
    let examples = served.samples("raia", "conversations (AI chat, manual chat, manual voice call)");
    assert_eq!(examples.len(), 3);
    let raia = |args: &[&str]| served.command().arg("raia").args(args).output().unwrap();
    let ai_chat = examples[0].clone();
    let out = raia(&["send-manual", &ai_chat, "Hello"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = raia(&["mode", &ai_chat, "--mode", "manual"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = raia(&["send-manual", &ai_chat, "Hello", "-o", "jsonl"]);
    assert!(out.status.success(), "manual mode persisted: {}", stderr(&out));
    let messages = stdout(&raia(&["messages", &ai_chat]));
    assert_eq!(json(messages.lines().last().unwrap())["senderRole"], "manual_assistant");
    // With its environment loaded, --sandbox uses the served sandbox, not a fresh one.
    let out = served
        .command()
        .args(["--sandbox", "raia", "messages", &ai_chat, "--sort", "createdAt:desc"])
        .output()
        .unwrap();
    assert_eq!(json(stdout(&out).lines().next().unwrap())["senderRole"], "manual_assistant", "{}", stderr(&out));

    // A wrong key is an auth error (exit 1) that echoes no key.
    let out = convo()
        .envs(&served.env)
        .env("RAIA_AGENT_SECRET_KEY", "definitely-wrong-key")
        .args(["raia", "conversations", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim(), "error: list_conversations: HTTP 403 Forbidden: INVALID_CREDENTIALS");
    assert!(!err.contains("definitely-wrong-key") && !err.contains(&served.env["RAIA_AGENT_SECRET_KEY"]), "{err}");

    // A profile supplies the key; the environment's base URL still applies.
    let dir = std::env::temp_dir().join(format!("convo-cli-raia-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!("[profiles.agent.raia]\nsecret_key = \"{}\"\n", served.env["RAIA_AGENT_SECRET_KEY"]),
    )
    .unwrap();
    let out = convo()
        .env("CONVO_CONFIG", &config)
        .env("RAIA_BASE_URL", &served.env["RAIA_BASE_URL"])
        .args(["--profile", "agent", "raia", "conversations", "states", "-o", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 4);
    std::fs::remove_dir_all(&dir).unwrap();

    let stopped = served.interrupt();
    assert!(stopped.status.success(), "{:?}", stopped.status);
    assert!(stderr(&stopped).contains("stopped"));
}

/// `ask` without --wait prints the question; `reply` polls for its answer on
/// its own, later, from another process (one served sandbox keeps the state).
#[test]
fn a_reply_is_polled_on_its_own() {
    let served = Served::start("raia", &[]);
    let run = |args: &[&str]| {
        let out = served.command().arg("raia").args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let all: Vec<Value> = run(&["conversations", "list", "--all"]).lines().map(json).collect();
    let ai_chat = find(&all, "ai", false);
    let question = json(&run(&["ask", &ai_chat, "Just asking"]));
    let id = question["id"].as_str().unwrap();
    let reply = json(&run(&["reply", &ai_chat, id, "--wait", "--timeout", "10"]));
    assert_eq!(reply["senderRole"], "assistant");
    assert_eq!(reply["message"], "Sandbox agent: you asked: Just asking");
    // Without --wait, the reply's state as it is now.
    let now = json(&run(&["reply", &ai_chat, id]));
    assert_eq!(
        (&now["status"], &now["message"]["id"], &now["error"]),
        (&json!("completed"), &reply["id"], &Value::Null)
    );
    assert!(served.interrupt().status.success());
}
