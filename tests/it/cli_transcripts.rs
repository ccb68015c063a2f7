//! `convo luware transcripts` and `convo luware transcript --raw`, as a user
//! runs them, against `convo sandbox serve` over loopback.

use crate::common;

use std::path::Path;

use common::{Served, stderr};

fn files(dir: &Path, extension: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(&format!(".{extension}")))
        .collect();
    names.sort();
    names
}

#[test]
fn transcripts_land_whole_in_a_directory_and_a_rerun_fetches_only_what_is_missing() {
    let served = Served::start("luware", &["--records", "40"]);
    let dir = std::env::temp_dir().join(format!("convo-transcripts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = |extra: &[&str]| {
        served
            .command()
            .args(["luware", "transcripts", "--out"])
            .arg(&dir)
            .args(["--concurrency", "4"])
            .args(extra)
            .output()
            .unwrap()
    };

    let first = run(&[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let vtr = files(&dir, "vtr");
    assert!(vtr.len() >= 10, "{vtr:?}");
    assert!(vtr.iter().all(|name| std::fs::read(dir.join(name)).unwrap().starts_with(b"PK")), "zip archives");
    // Conversations without audio have no transcript: counted, not failed.
    let summary = stderr(&first);
    assert!(summary.contains(&format!("{} transcripts written", vtr.len())), "{summary}");
    assert!(summary.contains("0 already there") && summary.contains("0 failed"), "{summary}");
    assert!(!summary.contains(" 0 conversations without one"), "the sandbox has chats too: {summary}");

    // A stopped run left one file missing and a partial one behind.
    std::fs::remove_file(dir.join(&vtr[0])).unwrap();
    std::fs::write(dir.join(format!("{}.partial", vtr[1])), b"half").unwrap();
    let rerun = run(&[]);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    assert!(
        stderr(&rerun).contains(&format!(
            "1 transcripts written to {}, {} already there",
            dir.display(),
            vtr.len() - 1
        )),
        "{}",
        stderr(&rerun)
    );
    assert_eq!(files(&dir, "vtr"), vtr);

    // Decoded, as JSON.
    let json = run(&["--format", "json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let decoded = files(&dir, "json");
    assert_eq!(decoded.len(), vtr.len());
    let one: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(&decoded[0])).unwrap()).unwrap();
    assert!(one.is_object());

    // One transcript, raw: the same archive as the bulk download wrote.
    let id = vtr[0].trim_end_matches(".vtr");
    let raw = served.command().args(["luware", "transcript", id, "--raw"]).output().unwrap();
    assert!(raw.status.success(), "{}", stderr(&raw));
    assert_eq!(raw.stdout, std::fs::read(dir.join(&vtr[0])).unwrap());
    std::fs::remove_dir_all(&dir).unwrap();
    served.interrupt();
}
