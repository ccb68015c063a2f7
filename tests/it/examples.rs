//! Every example in `examples/` runs to the end against its embedded sandbox
//! and prints what its flow did.
//!
//! `cargo test` builds the examples before it runs the tests; this file runs
//! the binaries it built (`target/<profile>/examples/<name>`). Running this
//! file alone (`cargo test --test examples`) builds no example: build them
//! first with `cargo build --examples --all-features`.

use std::path::PathBuf;
use std::process::Command;

/// Runs one example; returns its standard output after checking it exited 0.
fn run(name: &str) -> String {
    // The test binary is `target/<profile>/deps/examples-…`; examples are
    // built into `target/<profile>/examples/`.
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let path: PathBuf = profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(path.exists(), "{} is not built: run `cargo build --examples --all-features` first", path.display());
    let output = Command::new(&path).output().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "example {name} failed ({}):\n{stdout}\n{stderr}", output.status);
    stdout
}

/// Asserts that `output` has a line containing every one of `parts`.
fn has_line(output: &str, parts: &[&str]) {
    assert!(
        output.lines().any(|line| parts.iter().all(|part| line.contains(part))),
        "no line with {parts:?} in:\n{output}"
    );
}

/// The number just before `what` on its line (`8 contacts named Soto` → 8).
fn count(output: &str, what: &str) -> u64 {
    output
        .lines()
        .find_map(|line| line.split_once(what)?.0.split_whitespace().last()?.parse().ok())
        .unwrap_or_else(|| panic!("no count of {what:?} in:\n{output}"))
}

#[test]
fn luware_searches_labels_and_reads_a_transcript() {
    let out = run("luware");
    has_line(&out, &["token acquired"]);
    assert!(count(&out, " matching conversations") > 0, "{out}");
    has_line(&out, &["labels of ", ": [42]"]);
    has_line(&out, &["transcript of ", "provider intelligentvoice", "speakers"]);
    // Utterances with their start time and speaker.
    has_line(&out, &["[0:00:", "]", ": "]);
}

#[test]
fn raia_starts_asks_and_hands_over_to_a_human() {
    let out = run("raia");
    has_line(&out, &["started conversation ", " by sms"]);
    has_line(&out, &["sync reply: Sandbox agent: you asked: What are your opening hours?"]);
    has_line(&out, &["async reply: Sandbox agent: you asked: Do you ship abroad?"]);
    has_line(&out, &["failed reply: AGENT_REPLY_FAILED"]);
    has_line(&out, &["mode now manual"]);
    has_line(&out, &["manual message ", ": Hi Grace, Sam from support here."]);
    assert!(
        count(&out, " messages in the conversation") >= 6,
        "two questions and replies, a failed question, a manual message: {out}"
    );
}

#[test]
fn salesloft_filters_syncs_and_reads_the_rate_limit() {
    let out = run("salesloft");
    assert!(count(&out, " Zoom discovery calls over 10 minutes") > 0, "{out}");
    has_line(&out, &["Discovery call with"]);
    assert!(count(&out, " conversations updated since 2024-01-18") > 0, "{out}");
    has_line(&out, &["the next sync starts at 2024-01-"]);
    has_line(&out, &["rate limit: Some(", "left this minute"]);
    has_line(&out, &[" on zoom: cost Some("]);
}

#[test]
fn liveperson_sends_waits_sets_a_ttr_and_sees_a_transfer_fail() {
    let out = run("liveperson");
    has_line(&out, &["send_messages: command "]);
    has_line(&out, &["ttr custom:45: command ", " is completed"]);
    assert_eq!(out.lines().filter(|l| l.ends_with(" is completed")).count(), 2, "{out}");
    has_line(&out, &["failed: com.liveperson.bot-connectors-worker.error.public-api.execution-failed"]);
}

#[test]
fn llamadapro_lists_contacts_and_reports_a_bulk_create_item_by_item() {
    let out = run("llamadapro");
    assert!(count(&out, " contacts named Soto") > 2, "several pages of two: {out}");
    has_line(&out, &["contact ", " address(es)"]);
    has_line(&out, &["item 0: succeeded"]);
    has_line(&out, &["item 1: duplicate, id "]);
    has_line(&out, &["item 2: failed, funnelId REQUIRED_FIELD"]);
    has_line(&out, &["item 3: succeeded"]);
    has_line(&out, &["2 succeeded, 1 duplicate, 1 failed; counts agree: true"]);
}
