//! A scratch copy of the crate under `CARGO_TARGET_TMPDIR`, for tests that
//! build it with features (and specs) of their own.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Writes `contents` to `path` unless it already holds them, so that a
/// second run finds the scratch crate unchanged and cargo's build warm.
pub fn put(path: &Path, contents: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(contents) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

/// Copies the files of `from` into `to`; with `prune`, what `to` holds
/// that `from` no longer does goes (a module moved from `a.rs` to
/// `a/mod.rs` since the last run would be found twice).
fn copy_tree(from: &Path, to: &Path, prune: bool) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target, prune);
        } else {
            put(&target, &std::fs::read(&path).unwrap());
        }
    }
    for entry in std::fs::read_dir(to).into_iter().flatten() {
        let target = entry.unwrap().path();
        if prune && !from.join(target.file_name().unwrap()).exists() {
            let _ = if target.is_dir() { std::fs::remove_dir_all(&target) } else { std::fs::remove_file(&target) };
        }
    }
}

/// The manifest with `features` added to `[features]` (lines `name = []`),
/// and without the targets (tests, examples, benches) the scratch copy does
/// not carry. Its `convo` is named `convo-<name>`: it is built in the
/// crate's own target directory, where a `debug/convo` would replace the
/// one the other tests run.
fn manifest(manifest: &str, name: &str, features: &[&str]) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            skipping = ["[[test]]", "[[example]]", "[[bench]]"].contains(&line.trim());
        }
        if !skipping {
            let bin = format!(r#"name = "convo-{name}""#);
            out.push_str(if line == r#"name = "convo""# { &bin } else { line });
            out.push('\n');
        }
        if line == "[features]" {
            features.iter().for_each(|feature| out.push_str(&format!("{feature} = []\n")));
        }
    }
    out
}

/// Copies the crate (its build script, lock file, README, `src/` and
/// `specs/`) to `CARGO_TARGET_TMPDIR/<name>`, its manifest given `features`;
/// returns the copy's directory.
pub fn copy(name: &str, features: &[&str]) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    for part in ["build.rs", "Cargo.lock", "README.md"] {
        put(&scratch.join(part), &std::fs::read(root.join(part)).unwrap());
    }
    copy_tree(&root.join("src"), &scratch.join("src"), true);
    // The tests add specs of their own to the copy's.
    copy_tree(&root.join("specs"), &scratch.join("specs"), false);
    let original = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    put(&scratch.join("Cargo.toml"), manifest(&original, name, features).as_bytes());
    scratch
}

/// Cargo, run from a test without what cargo set for the test itself. A
/// dependency's build script may watch one of those (ring's watches
/// `CARGO_MANIFEST_DIR` and `OUT_DIR`): seen changed, it is run again (its C
/// compiled again), and the next build of the crate's own runs it once more
/// and rebuilds rustls, reqwest and the crate after it. The rebuilt
/// dependencies, named as before, replace the ones the crate's own build
/// linked, which its doctests then refuse (E0460). Nor with the clippy
/// wrapper `.ci/test` builds with: the copy is built, not linted.
pub fn cargo() -> Command {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    let set_for_the_test = |name: &str| {
        name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_EXE_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
                "RUSTC_WORKSPACE_WRAPPER",
                "CLIPPY_ARGS",
            ]
            .contains(&name)
    };
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(set_for_the_test) {
            cargo.env_remove(name);
        }
    }
    cargo
}
