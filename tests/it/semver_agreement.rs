//! cargo-semver-checks against `spec::diff`'s verdicts for library consumers,
//! on every edit of `spec_diff`'s catalogue and on its undoing: the public
//! API of a scratch copy of the crate, with the edited API's feature alone,
//! built from the spec unedited and edited. Ignored (it builds rustdoc JSON
//! once per API and once per edit: about 3 minutes on 2 cores); run it with
//! `cargo test --all-features --test it semver_agreement -- --ignored --nocapture`.

use std::path::Path;

use convo_clients::spec::diff::Impact::Breaking;
use serde_json::Value;

use crate::scratch_crate::{self, put};
use crate::spec_diff::{CASES, Case, spec};

/// Where the two differ by design, by the change's place and words, and why.
/// cargo-semver-checks sees items and their names, not types (a field's, a
/// parameter's, a return type), nor what the client checks before sending.
const BY_DESIGN: &[(&str, &str, &str)] = &[
    ("filter table FilterField row ccdrId", "operator NOT_EQUAL removed", "a filter rule tightened"),
    ("searchConversations query parameter limit", "maximum 100 → 50", "a bound tightened"),
    ("schema LabelRequest.labelId", "became required", "`Option<String>` → `String`"),
    ("schema LabelRequest.labelId", "became optional", "`String` → `Option<String>`"),
    ("downloadMedia query parameter fileExtension", "became required", "the builder refuses a call without it"),
    ("operation addLabel", "security none → bearerToken + subscriptionKey", "credentials checked when sending"),
    ("listConversations query parameter convoAdded", "added (required)", "the builder refuses a call without it"),
    ("schema Conversation.title", "type string → integer", "`String` → `i64`"),
    ("schema Conversation.title", "type integer → string", "`i64` → `String`"),
    ("schema Conversation.createdAt", "became optional", "`DateTime` → `Option<DateTime>`"),
    ("schema Conversation.createdAt", "became required", "`Option<DateTime>` → `DateTime`"),
    ("listConversations query parameter pageSize", "minimum 1 → 5", "a bound tightened; `NonZeroU32` → `i32`"),
    ("listConversations query parameter pageSize", "minimum 5 → 1", "`i32` → `NonZeroU32`"),
    ("schema ConversationTitle", "maxLength 300 → 255", "a bound tightened"),
    ("schema Conversation.summary", "maxLength none → 255", "`String` → a newtype (an item added)"),
    ("getConversation response 200", "removed", "the return type changes"),
    ("listConversations query parameter created_at[gt]", "format \"date-time\" → \"date\"", "`DateTime` → `NaiveDate`"),
    ("listConversations query parameter created_at[gt]", "format \"date\" → \"date-time\"", "`NaiveDate` → `DateTime`"),
    ("listConversations query parameter per_page", "maximum 200 → 100", "a bound tightened"),
    ("schema SendMessagesRequest.context", "became required", "`Option<MessageContext>` → `MessageContext`"),
    ("schema SendMessagesRequest.context", "became optional", "`MessageContext` → `Option<MessageContext>`"),
    ("schema SendMessagesRequest.messages", "maxItems none → 10", "a bound tightened"),
    ("security scheme convoAdded", "removed", "`credential(\"convoAdded\", …)` now refused"),
    ("schema CreateContactRequest.firstName", "maxLength none → 40", "a bound tightened; `String` → a newtype"),
    ("schema CreateContactRequest.nationalId", "pattern none → \"^[0-9]+$\"", "a pattern added (build.rs drops them)"),
    ("schema UploadMediaRequest.fileName", "became required", "`Option<String>` → `String`"),
    ("schema UploadMediaRequest.fileName", "became optional", "`String` → `Option<String>`"),
    ("schema UploadMediaRequest.caption", "added (required)", "the builder refuses a body without it"),
    ("schema CreateContactRequest.userId", "type number → string", "`f64` → `String`"),
    ("schema CreateContactRequest.userId", "type string → number", "`String` → `f64`"),
    ("getTasks query parameter limit", "maximum none → 10", "a bound tightened"),
    ("createContact request body", "became required", "the builder refuses a call without one"),
    ("schema Conversation.id", "became nullable", "`String` → `Option<String>`"),
    ("schema Conversation.id", "no longer nullable", "`Option<String>` → `String`"),
];

/// Builds the rustdoc JSON of the scratch crate with `api`'s feature alone
/// and `doc` as its spec, into `out`.
fn rustdoc(scratch: &Path, api: &str, doc: &Value, out: &Path) {
    // Unedited or edited, the spec is written the same way, so that only the edit differs.
    put(&scratch.join(format!("specs/{api}.yaml")), serde_yaml::to_string(doc).unwrap().as_bytes());
    // One target directory for every scratch copy, not the crate's own: some
    // dependencies' build scripts read RUSTC_BOOTSTRAP, and would be rebuilt
    // by every build that does not set it as this one does.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("semver_target");
    let build = scratch_crate::cargo()
        .args(["rustdoc", "--offline", "--quiet", "--lib", "--no-default-features", "--features", api])
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        // rustdoc's JSON output is unstable: the stable toolchain gives it thus.
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(scratch)
        .output()
        .unwrap();
    assert!(build.status.success(), "rustdoc of {api}:\n{}", String::from_utf8_lossy(&build.stderr));
    std::fs::copy(target.join("doc/convo_clients.json"), out).unwrap();
}

/// cargo-semver-checks from `old` to `new`: whether it requires a major
/// version, and the lints that fired (its warnings marked, which require none).
fn semver_checks(old: &Path, new: &Path) -> (bool, Vec<String>) {
    let run = scratch_crate::cargo()
        .args(["semver-checks", "check-release", "--color", "never", "--baseline-rustdoc"])
        .arg(old)
        .arg("--current-rustdoc")
        .arg(new)
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success() || stderr.contains("Summary semver requires"), "{stdout}{stderr}");
    let lints = stdout.lines().filter_map(|line| {
        let (level, lint) = line.strip_prefix("--- ")?.split_once(' ')?;
        let name = lint.split(':').next()?;
        Some(if level == "warning" { format!("{name} (warning)") } else { name.to_owned() })
    });
    (stderr.contains("requires new major version"), lints.collect())
}

#[test]
#[ignore = "builds rustdoc JSON once per API and once per edit: about 3 minutes"]
fn cargo_semver_checks_agrees_with_the_rust_verdicts() {
    if !scratch_crate::cargo().args(["semver-checks", "--version"]).output().is_ok_and(|out| out.status.success()) {
        eprintln!("note: cargo-semver-checks is not installed; the Rust verdicts were not checked against it");
        return;
    }
    let started = std::time::Instant::now();
    let (mut table, mut failures) = (Vec::new(), Vec::new());
    let mut apis: Vec<&str> = CASES.iter().map(|case| case.0).collect();
    apis.dedup();
    for api in apis {
        let scratch = scratch_crate::copy(&format!("semver_{api}"), &[]);
        let old = spec(api);
        let base = scratch.join("base.json");
        rustdoc(&scratch, api, &old, &base);
        for (i, Case(_, edit, at, what, verdict, undone, undone_verdict)) in
            CASES.iter().enumerate().filter(|(_, case)| case.0 == api)
        {
            let mut new = old.clone();
            edit(&mut new);
            let edited = scratch.join(format!("{i}.json"));
            rustdoc(&scratch, api, &new, &edited);
            // Undone, the same two builds swapped.
            for (direction, words, ours, from, to) in
                [("edit", what, verdict.0, &base, &edited), ("undone", undone, undone_verdict.0, &edited, &base)]
            {
                let (major, lints) = semver_checks(from, to);
                let verdict = |breaking| if breaking { "BREAKING" } else { "-" };
                let row = format!(
                    "{api:10} {:60} {direction:6} {:8} {:8} {}",
                    format!("{at}: {words}"),
                    verdict(ours == Breaking),
                    verdict(major),
                    lints.join(", ")
                );
                let by_design = BY_DESIGN.iter().find(|(a, w, _)| (*a, *w) == (*at, *words)).map(|(.., why)| why);
                match (ours == Breaking, by_design) {
                    (ours, None) if ours != major => failures.push(row.clone()),
                    (ours, Some(_)) if ours == major => failures.push(format!("{row} (listed as differing)")),
                    _ => {}
                }
                table.push(format!("{row}{}", by_design.map(|why| format!(" [by design: {why}]")).unwrap_or_default()));
            }
        }
    }
    eprintln!("{:10} {:60} {:6} {:8} {:8} LINTS", "API", "CHANGE", "WAY", "OURS", "SEMVER-CHECKS");
    eprintln!("{}", table.join("\n"));
    eprintln!("{} verdicts in {:.0?}", table.len(), started.elapsed());
    assert!(failures.is_empty(), "cargo-semver-checks disagrees:\n{}", failures.join("\n"));
}
