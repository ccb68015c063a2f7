//! `convo <api> check` over loopback: every emulator checks clean; a
//! drifting server (a proxy that edits the sandbox's answers) is reported
//! at each operation and path it changed; writes go only when named and
//! allowed; recorded evidence holds no secret.

use crate::common;
use crate::fault_proxy;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Scratch, Served, stderr, stdout};
use fault_proxy::{Edit, Fault, FaultProxy};
use serde_json::Value;

const APIS: [&str; 5] = ["luware", "raia", "salesloft", "liveperson", "llamadapro"];

fn parse_report(output: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(output), stderr(output)))
}

/// `(operation, kind, location)` of each difference in a report.
fn drift(report: &Value) -> BTreeSet<(String, String, String)> {
    let text = |d: &Value, key: &str| d[key].as_str().unwrap().to_owned();
    report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (text(d, "operation"), text(d, "kind"), text(d, "location")))
        .collect()
}

#[test]
fn every_api_checks_clean_against_its_sandbox_and_records_no_secret() {
    for api in APIS {
        let served = Served::start(api, &[]);
        let dir = Scratch::new(&format!("check-{api}"));
        let output = served.command().args([api, "check", "-o", "json", "--record"]).arg(&dir.0).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{api}: {}\n{}", stdout(&output), stderr(&output));
        let report = parse_report(&output);
        assert_eq!(report["clean"], true, "{api}: {report:#}");
        assert!(drift(&report).is_empty());
        // The tour reached lists and the records behind them.
        let calls = report["calls"].as_array().unwrap();
        let answered: BTreeSet<&str> = calls.iter().filter_map(|c| c["operation"].as_str()).collect();
        assert!(answered.len() >= 2, "{api}: {answered:?}");
        assert!(calls.iter().all(|c| c["status"].as_u64().unwrap() < 500), "{api}: {calls:?}");
        // One file per exchange and the report; no secret the sandbox
        // handed out appears in any of them.
        let secrets: Vec<&String> = served
            .env
            .iter()
            .filter(|(name, _)| ["KEY", "SECRET", "PASSWORD", "TOKEN"].iter().any(|s| name.contains(s)))
            .map(|(_, value)| value)
            .collect();
        assert!(!secrets.is_empty(), "{api}: {:?}", served.env.keys());
        let files: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().path()).collect();
        let exchanges = calls.iter().map(|c| c["count"].as_u64().unwrap()).sum::<u64>() as usize;
        assert_eq!(files.len(), exchanges + 1, "{api}: {files:?}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let record: Value = serde_json::from_str(&text).unwrap();
            assert!(record.is_object(), "{}", file.display());
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "{api}: {} holds a secret", file.display());
            }
        }
        served.interrupt();
    }
}

/// The proxy's edits: on the conversation list, a field renamed, a
/// required one dropped, an enum value the spec does not list and a
/// documented header left out; a transcription answered with a status the
/// spec does not document.
fn drifting(request: &fault_proxy::Request<'_>) -> Fault {
    const LIST: &[Edit] = &[
        Edit::Rename("title", "headline"),
        Edit::Drop("current_page"),
        Edit::Set("platform", r#""clubhouse""#),
        Edit::DropHeader("x-ratelimit-remaining-minute"),
    ];
    let path = request.target.split('?').next().unwrap_or_default();
    match path {
        "/v2/conversations" => Fault::Drift(LIST),
        _ if path.starts_with("/v2/transcriptions/") && !path.ends_with("/sentences") => Fault::Status(418),
        _ => Fault::None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drifting_server_is_reported_at_each_operation_and_path() {
    let served = Served::start("salesloft", &[]);
    let proxy = FaultProxy::start(&served.env["SALESLOFT_BASE_URL"], 0, Arc::new(drifting)).await.unwrap();
    let run = |args: &[&str]| {
        let mut command = served.command();
        command.env("SALESLOFT_BASE_URL", &proxy.url).args(args);
        tokio::task::spawn_blocking(move || command.output().unwrap())
    };
    let output = run(&["salesloft", "check", "-o", "json"]).await.unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("differ from the spec in 5 places"), "{}", stderr(&output));
    let report = parse_report(&output);
    assert_eq!(report["clean"], false);
    let expected: BTreeSet<(String, String, String)> = [
        ("listConversations", "unknown-field", "$.data[].headline"),
        ("listConversations", "missing-required", "$.metadata.paging.current_page"),
        ("listConversations", "unlisted-enum-value", "$.data[].platform"),
        ("listConversations", "missing-header", "header x-ratelimit-remaining-minute"),
        ("getTranscription", "undocumented-status", "status"),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(drift(&report), expected, "{report:#}");
    let enum_value = report["drift"].as_array().unwrap().iter().find(|d| d["kind"] == "unlisted-enum-value").unwrap();
    assert!(enum_value["detail"].as_str().unwrap().starts_with(r#""clubhouse" is not one of bluejeans"#));
    // The other operations still answered as documented.
    let calls: BTreeSet<&str> =
        report["calls"].as_array().unwrap().iter().filter_map(|c| c["operation"].as_str()).collect();
    assert!(calls.contains("getConversation") && calls.contains("listTranscriptionSentences"), "{calls:?}");

    // The terminal report names the same places.
    let output = run(&["salesloft", "check"]).await.unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.starts_with("salesloft: ") && text.contains("5 differences from the spec"), "{text}");
    for (operation, _, location) in &expected {
        assert!(text.lines().any(|l| l.contains(operation.as_str()) && l.contains(location.as_str())), "{text}");
    }
    served.interrupt();
}

#[test]
fn writes_go_only_when_named_and_allowed() {
    let served = Served::start("luware", &[]);
    let check = |args: &[&str]| served.command().args(["luware", "check"]).args(args).output().unwrap();
    // Named but not allowed, not a write, not an operation: usage errors, nothing sent.
    for (args, says) in [
        (&["--write", "addLabel"][..], "pass --allow-writes"),
        (&["--write", "searchConversations", "--allow-writes"][..], "not a write"),
        (&["--write", "noSuchThing", "--allow-writes"][..], "no such operation"),
        (&["-o", "csv"][..], "not as csv"),
    ] {
        let output = check(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(says), "{args:?}: {}", stderr(&output));
        assert!(stdout(&output).is_empty());
    }
    // Without --write, no write is sent; each is listed as not checked.
    let output = check(&["-o", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = parse_report(&output);
    let calls: BTreeSet<&str> =
        report["calls"].as_array().unwrap().iter().filter_map(|c| c["operation"].as_str()).collect();
    assert!(!calls.contains("addLabel") && !calls.contains("addMetadata"), "{calls:?}");
    let skipped = report["not_checked"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["operation"] == "addLabel" && s["reason"].as_str().unwrap().contains("--allow-writes"))
    );
    // Named and allowed: sent once, to a conversation a search found.
    let output = check(&["-o", "json", "--write", "add-label", "--allow-writes"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = parse_report(&output);
    let labels: Vec<&Value> =
        report["calls"].as_array().unwrap().iter().filter(|c| c["operation"] == "addLabel").collect();
    assert_eq!(labels.len(), 1, "{report:#}");
    assert_eq!(labels[0]["count"], 1);
    served.interrupt();
}

/// A token call whose answer drifted ends the tour (no credential), but the
/// report still says what drifted before the error.
#[tokio::test(flavor = "multi_thread")]
async fn a_token_answer_that_drifted_is_reported_before_the_tour_stops() {
    const NO_TOKEN: &[Edit] = &[Edit::Rename("access_token", "accessToken")];
    let served = Served::start("luware", &[]);
    let plan = |request: &fault_proxy::Request<'_>| {
        if request.target.starts_with("/vfcrest/v1/auth/token") { Fault::Drift(NO_TOKEN) } else { Fault::None }
    };
    let proxy = FaultProxy::start(&served.env["LUWARE_BASE_URL"], 0, Arc::new(plan)).await.unwrap();
    let mut command = served.command();
    command.env("LUWARE_BASE_URL", &proxy.url).args(["luware", "check", "-o", "json"]);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("request_token"), "{}", stderr(&output));
    let report = parse_report(&output);
    let drift = drift(&report);
    for (kind, location) in [("missing-required", "$.access_token"), ("unknown-field", "$.accessToken")] {
        assert!(drift.contains(&("requestToken".into(), kind.into(), location.into())), "{report:#}");
    }
    served.interrupt();
}
