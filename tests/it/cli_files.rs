//! The files `convo` writes are written safely, as a user runs it against
//! `convo sandbox serve` over loopback: transcripts (`luware transcripts
//! --out`), an export's `--checkpoint`, `check --record` and `sandbox serve
//! --env-file` are readable by the user only, and a symbolic link planted at
//! a name they use (the final name, or the old predictable temporary one) is
//! replaced or left alone, never written through. Beside them: secrets read
//! from files, the warning for a config file others can write, the lock on
//! a checkpoint, and no `.partial` left by a transcript that failed.

#![cfg(unix)]

use crate::common;
use crate::fault_proxy;

use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Scratch, Served, convo, stderr};
use fault_proxy::{Fault, FaultProxy};

/// Each file of `dir` (not following links) and what it holds.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|path| (path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap()))
        .collect()
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// The permission bits of `path` itself (a link is not followed).
fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

fn is_regular_file(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// A directory outside the one a command writes to, with a file a planted
/// link points at, and the name of one that does not exist (a link to it
/// dangles: a write through it would create it).
struct Outside {
    scratch: Scratch,
    before: BTreeMap<String, Vec<u8>>,
}

impl Outside {
    fn new(name: &str) -> Self {
        let scratch = Scratch::new(&format!("{name}-outside"));
        scratch.file("victim", b"not yours to write\n");
        std::fs::set_permissions(scratch.0.join("victim"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let before = snapshot(&scratch.0);
        Self { scratch, before }
    }

    fn victim(&self) -> PathBuf {
        self.scratch.0.join("victim")
    }

    fn missing(&self, name: &str) -> PathBuf {
        self.scratch.0.join(name)
    }

    /// Nothing here was written: the same files, the same bytes and mode.
    fn assert_untouched(&self, what: &str) {
        assert_eq!(snapshot(&self.scratch.0), self.before, "{what} wrote outside its directory");
        assert_eq!(mode(&self.victim()), 0o644, "{what} changed the mode of a file outside its directory");
    }
}

/// A child process, killed if the test fails before it has waited for it.
struct Running(Option<Child>);

impl Running {
    fn spawn(command: &mut Command) -> Self {
        Self(Some(command.spawn().unwrap()))
    }

    fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// Sends it `signal` and hands it over to wait for.
    fn signal(mut self, signal: &str) -> Child {
        assert!(Command::new("kill").args([signal, &self.id().to_string()]).status().unwrap().success());
        self.0.take().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

/// Waits for `done`, failing the test after 30 s.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn transcripts_are_private_and_never_written_through_a_link() {
    let served = Served::start("luware", &["--records", "20"]);
    let scratch = Scratch::new("files-transcripts");
    let outside = Outside::new("files-transcripts");
    let run = |dir: &Path| {
        served.command().args(["luware", "transcripts", "--concurrency", "4", "--out"]).arg(dir).output().unwrap()
    };

    // A directory the command creates is the user's only; so is each file.
    let created = scratch.0.join("created");
    let first = run(&created);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(mode(&created), 0o700);
    let written = names(&created);
    assert!(written.len() >= 3, "{written:?}");
    for name in &written {
        assert!(name.ends_with(".vtr") && is_regular_file(&created.join(name)), "{name}");
        assert_eq!(mode(&created.join(name)), 0o600, "{name}");
    }

    // Links planted at the names of a rerun: a dangling one at a final name
    // (written through, it would create a file outside), one at the name
    // the temporary file used to have, and one to an outside file at a
    // final name (it counts as there; nothing is written).
    let planted = scratch.0.join("planted");
    std::fs::create_dir(&planted).unwrap();
    let dangling = planted.join(&written[0]);
    symlink(outside.missing("created-through-a-link"), &dangling).unwrap();
    symlink(outside.victim(), planted.join(format!("{}.partial", written[1]))).unwrap();
    symlink(outside.victim(), planted.join(&written[2])).unwrap();
    let rerun = run(&planted);
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    outside.assert_untouched("transcripts");
    assert!(is_regular_file(&dangling), "the link at a final name is replaced by the transcript");
    assert_eq!(std::fs::read(&dangling).unwrap(), std::fs::read(created.join(&written[0])).unwrap());
    for name in names(&planted).iter().filter(|name| is_regular_file(&planted.join(name))) {
        assert!(name.ends_with(".vtr"), "a temporary file was left: {name}");
        assert_eq!(mode(&planted.join(name)), 0o600, "{name}");
    }
    served.interrupt();
}

/// A `--format json` transcript whose archive turns out corrupt fails, and
/// leaves no file behind: no half-written JSON, no `.partial`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_json_transcript_leaves_nothing_behind() {
    let served = Served::start("luware", &["--records", "10"]);
    // Every archive arrives cut in half, its length header agreeing.
    let plan = Arc::new(
        |request: &fault_proxy::Request<'_>| {
            if request.target.contains("/media") { Fault::Truncated } else { Fault::None }
        },
    );
    let proxy = FaultProxy::start(&served.env["LUWARE_BASE_URL"], 0, plan).await.unwrap();
    let scratch = Scratch::new("files-failed-json");
    let dir = scratch.0.join("out");
    let mut command = served.command();
    command.env("LUWARE_BASE_URL", &proxy.url).args(["luware", "transcripts", "--format", "json", "--out"]).arg(&dir);
    let out = output(command).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(proxy.faults() >= 1, "no archive was downloaded");
    assert!(stderr(&out).contains(" failed"), "{}", stderr(&out));
    assert_eq!(names(&dir), Vec::<String>::new(), "a failed transcript left a file");
    served.interrupt();
}

/// The checkpoint: private, never written through a link, held while an
/// export runs (a second export on it is refused before it sends
/// anything), and released when the export ends, fails or is interrupted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_is_private_locked_and_never_written_through_a_link() {
    let served = Served::start("luware", &["--records", "45"]);
    let upstream = served.env["LUWARE_BASE_URL"].clone();
    let scratch = Scratch::new("files-checkpoint");
    let outside = Outside::new("files-checkpoint");
    let checkpoint = scratch.0.join("export.ckpt");
    let lock = scratch.0.join("export.ckpt.lock");
    let export = |base_url: &str| {
        let mut command = served.command();
        command
            .env("LUWARE_BASE_URL", base_url)
            .args(["luware", "conversations", "list", "--all", "--page-size", "10", "--checkpoint"])
            .arg(&checkpoint);
        command
    };

    // Links at the checkpoint (dangling: it is read as absent) and at its
    // old temporary name; the export saves its place after every page.
    symlink(outside.missing("created-through-a-link"), &checkpoint).unwrap();
    symlink(outside.victim(), scratch.0.join("export.ckpt.partial")).unwrap();
    let whole = output(export(&upstream)).await;
    assert!(whole.status.success(), "{}", stderr(&whole));
    assert_eq!(String::from_utf8_lossy(&whole.stdout).lines().count(), 45);
    outside.assert_untouched("an export's checkpoint");
    assert!(!checkpoint.exists() && !lock.exists(), "{:?}", names(&scratch.0));

    // Stopped at its second page: the checkpoint left is the user's only.
    let pages = AtomicU64::new(0);
    let plan = Arc::new(move |request: &fault_proxy::Request<'_>| {
        let page = request.target.contains("/conversations?").then(|| pages.fetch_add(1, Ordering::SeqCst) + 1);
        if page == Some(2) { Fault::Status(409) } else { Fault::None }
    });
    let failing = FaultProxy::start(&upstream, 0, plan).await.unwrap();
    let stopped = output(export(&failing.url)).await;
    assert_eq!(stopped.status.code(), Some(1), "{}", stderr(&stopped));
    assert!(is_regular_file(&checkpoint), "{}", stderr(&stopped));
    assert_eq!(mode(&checkpoint), 0o600);
    assert!(!lock.exists(), "a failed export keeps its lock");
    std::fs::remove_file(&checkpoint).unwrap();

    // A slow export holds the checkpoint; a second one on it is refused
    // before it sends a request.
    let slow =
        FaultProxy::start(&upstream, 0, Arc::new(|_: &fault_proxy::Request<'_>| Fault::Delay(Duration::from_secs(1))))
            .await
            .unwrap();
    let counting = FaultProxy::start(&upstream, 0, Arc::new(|_: &fault_proxy::Request<'_>| Fault::None)).await.unwrap();
    let first = Running::spawn(export(&slow.url).stdout(Stdio::null()).stderr(Stdio::null()));
    wait_for("the first export's lock", || lock.exists());
    let second = output(export(&counting.url)).await;
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    let message = stderr(&second);
    assert!(
        message.contains("is in use by another export") && message.contains(&lock.display().to_string()),
        "{message}"
    );
    assert!(message.contains(&format!("(process {})", first.id())), "{message}");
    assert_eq!(counting.requests(), 0, "the refused export sent requests");

    // Ctrl-C stops the first export as before, and releases the checkpoint.
    let mut first = first.signal("-INT");
    let status = tokio::task::spawn_blocking(move || first.wait().unwrap()).await.unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!lock.exists(), "an interrupted export keeps its lock");

    // A lock left by an export that was killed names itself and the way out.
    std::fs::write(&lock, "999999999\n").unwrap();
    let refused = output(export(&counting.url)).await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains(&format!("remove {}", lock.display())), "{}", stderr(&refused));
    assert_eq!(counting.requests(), 0);
    served.interrupt();
}

#[test]
fn check_records_are_private_and_never_written_through_a_link() {
    let served = Served::start("salesloft", &[]);
    let scratch = Scratch::new("files-record");
    let outside = Outside::new("files-record");
    let check = |dir: &Path| served.command().args(["salesloft", "check", "--record"]).arg(dir).output().unwrap();

    let created = scratch.0.join("created");
    let first = check(&created);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(mode(&created), 0o700);
    let recorded = names(&created);
    assert!(recorded.len() >= 3 && recorded.contains(&"report.json".to_string()), "{recorded:?}");
    for name in &recorded {
        assert_eq!(mode(&created.join(name)), 0o600, "{name}");
    }

    // The same tour writes the same names: links planted at them.
    let planted = scratch.0.join("planted");
    std::fs::create_dir(&planted).unwrap();
    symlink(outside.missing("report-through-a-link"), planted.join("report.json")).unwrap();
    symlink(outside.missing("record-through-a-link"), planted.join(&recorded[0])).unwrap();
    symlink(outside.victim(), planted.join(&recorded[1])).unwrap();
    let again = check(&planted);
    assert!(again.status.success(), "{}", stderr(&again));
    outside.assert_untouched("check --record");
    assert_eq!(names(&planted), recorded);
    for name in &recorded {
        let path = planted.join(name);
        assert!(is_regular_file(&path), "{name} is still a link");
        assert_eq!(mode(&path), 0o600, "{name}");
    }
    served.interrupt();
}

#[test]
fn the_env_file_is_private_and_never_written_through_a_link() {
    let scratch = Scratch::new("files-env");
    let outside = Outside::new("files-env");
    let env_file = scratch.0.join("convo.env");
    symlink(outside.victim(), &env_file).unwrap();
    // Started by a shell that becomes serve after a pause, so that its
    // process id is known in time to plant a link at the temporary name
    // serve used to derive from it (`convo.env.<pid>.tmp`).
    let mut serve = convo();
    serve.args(["sandbox", "serve", "--api", "raia", "--port", "0", "--env-file"]).arg(&env_file);
    let mut shell = Command::new("sh");
    shell.args(["-c", "sleep 0.5; exec \"$0\" \"$@\""]).arg(serve.get_program()).args(serve.get_args());
    for (key, value) in serve.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    let mut child = Running::spawn(shell.stdout(Stdio::null()).stderr(Stdio::piped()));
    let old_temporary = format!("convo.env.{}.tmp", child.id());
    symlink(outside.victim(), scratch.0.join(&old_temporary)).unwrap();
    let exited = |child: &mut Running| child.0.as_mut().is_none_or(|c| c.try_wait().unwrap().is_some());
    wait_for("the env file", || is_regular_file(&env_file) || exited(&mut child));
    assert!(is_regular_file(&env_file), "serve stopped before writing its env file");
    assert_eq!(mode(&env_file), 0o600);
    assert!(std::fs::read_to_string(&env_file).unwrap().contains("export RAIA_AGENT_SECRET_KEY="));
    outside.assert_untouched("serve --env-file");
    assert_eq!(names(&scratch.0), ["convo.env".to_string(), old_temporary], "a temporary file was left");

    let stopped = child.signal("-TERM").wait_with_output().unwrap();
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    assert!(!env_file.exists());
    outside.assert_untouched("serve --env-file");
}

/// Like ssh, but warning rather than refusing: a config file others can
/// write could send the credentials anywhere.
#[test]
fn a_config_file_others_can_write_is_used_with_a_warning() {
    let scratch = Scratch::new("files-config");
    let file = scratch.file("config.toml", b"[profiles.default.raia]\nbase_url = \"https://profile.example\"\n");
    let show = || convo().env("CONVO_CONFIG", &file).args(["config", "show", "raia"]).output().unwrap();

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o664)).unwrap();
    let warned = show();
    assert!(warned.status.success(), "{}", stderr(&warned));
    let text = stderr(&warned);
    assert_eq!(text.lines().count(), 1, "one warning: {text}");
    assert!(text.contains(&format!("config file {file} is writable by group or others (mode 664)")), "{text}");
    assert!(text.contains(&format!("chmod go-w {file}")), "{text}");
    assert!(String::from_utf8_lossy(&warned.stdout).contains("https://profile.example"), "the file is still used");

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let quiet = show();
    assert!(quiet.status.success() && quiet.stderr.is_empty(), "{}", stderr(&quiet));
}

/// Every secret setting can come from a file (flag or `_FILE` variable),
/// out of sight of `ps`; the file's final line break is not part of it.
#[test]
fn a_secret_can_come_from_a_file() {
    let served = Served::start("luware", &["--records", "5"]);
    let scratch = Scratch::new("files-secret");
    let secret = served.env["LUWARE_CLIENT_SECRET"].clone();
    let right = scratch.file("right", format!("{secret}\n").as_bytes());
    let wrong = scratch.file("wrong", b"not-the-secret\n");
    let list = |file_flag: Option<&str>, env: &[(&str, &str)], extra: &[&str]| {
        let mut command = served.command();
        command.env_remove("LUWARE_CLIENT_SECRET").envs(env.iter().copied());
        command.args(["luware", "conversations", "list", "--page-size", "2"]).args(extra);
        if let Some(file) = file_flag {
            command.args(["--client-secret-file", file]);
        }
        command.output().unwrap()
    };

    let (right, wrong) = (right.as_str(), wrong.as_str());
    let from_flag = list(Some(right), &[], &[]);
    assert!(from_flag.status.success(), "{}", stderr(&from_flag));
    assert_eq!(String::from_utf8_lossy(&from_flag.stdout).lines().count(), 2);
    let from_env = list(None, &[("LUWARE_CLIENT_SECRET_FILE", right)], &[]);
    assert!(from_env.status.success(), "{}", stderr(&from_env));
    // The file is what is sent: a wrong one fails the login.
    let refused = list(Some(wrong), &[], &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    // A flag beats the environment, its file flag too.
    let over_env = list(Some(right), &[("LUWARE_CLIENT_SECRET", "not-the-secret")], &[]);
    assert!(over_env.status.success(), "{}", stderr(&over_env));

    // The flag and its file flag together: a usage error.
    let both = list(Some(right), &[], &["--client-secret", &secret]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    assert!(stderr(&both).contains("--client-secret-file cannot be used with --client-secret"), "{}", stderr(&both));
    let missing = list(Some("/nonexistent/secret"), &[], &[]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("--client-secret-file /nonexistent/secret: cannot be read"),
        "{}",
        stderr(&missing)
    );

    // A spec operation's command reads it the same way.
    let id = &served.samples("luware", "conversations")[0];
    let mut operation = served.command();
    operation.env_remove("LUWARE_CLIENT_SECRET").args(["luware", "get-conversation", "--ccdr-id", id]);
    let got = operation.args(["--client-secret-file", right]).output().unwrap();
    assert!(got.status.success(), "{}", stderr(&got));

    // `config show` names the file, never the value.
    let shown = served
        .command()
        .args(["-o", "json", "config", "show", "luware", "--client-secret-file", right])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{}", stderr(&shown));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&shown.stdout).unwrap();
    let row = rows.iter().find(|r| r["setting"] == "client_secret").unwrap();
    assert_eq!(row["value"], "****");
    assert_eq!(row["source"], format!("file {right} (flag --client-secret-file)"));
    assert!(!String::from_utf8_lossy(&shown.stdout).contains(&secret));
    served.interrupt();
}
