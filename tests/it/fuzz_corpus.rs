//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) and
//! regression inputs (`fuzz/regressions/<target>/`) through the fuzz targets'
//! bodies, so every input the fuzzers found keeps passing in ordinary CI
//! runs. The bodies are `fuzz/bodies.rs`; see `fuzz/README.md`.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Runs `body` on every file of the target's corpus and regressions, and
/// fails naming every input that panicked. Returns how many inputs ran.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut inputs: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .map(|dir| root.join(dir).join(target))
        .filter(|dir| dir.is_dir())
        .flat_map(|dir| fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no corpus for {target} under {}", root.display());

    let failures: Vec<String> = inputs
        .iter()
        .filter_map(|path| {
            let data = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            catch_unwind(AssertUnwindSafe(|| body(&data))).err().map(|_| path.display().to_string())
        })
        .collect();
    assert!(failures.is_empty(), "{target}: {} input(s) panicked:\n{}", failures.len(), failures.join("\n"));
    inputs.len()
}

#[test]
fn filter_parse_corpus() {
    replay("filter_parse", crate::fuzzing::filter_parse);
}

#[test]
fn vtr_decode_corpus() {
    replay("vtr_decode", crate::fuzzing::vtr_decode);
}

#[test]
fn request_validate_corpus() {
    replay("request_validate", crate::fuzzing::request_validate);
}

#[test]
fn response_survey_corpus() {
    replay("response_survey", crate::fuzzing::response_survey);
}

#[cfg(feature = "cli")]
#[test]
fn config_load_corpus() {
    replay("config_load", crate::fuzzing::config_load);
}
