//! What the CLI tests share: a clean `convo` command and a served sandbox.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

pub const CONVO: &str = env!("CARGO_BIN_EXE_convo");

/// The APIs, from the library's one list.
macro_rules! api_names {
    ($($api:ident: $feature:literal,)*) => {
        [$(stringify!($api),)*]
    };
}
const APIS: &[&str] = &convo_clients::for_each_api!(api_names);

/// `convo` with none of the caller's API settings (`<API>_…`) or profile.
pub fn convo() -> Command {
    let mut cmd = Command::new(CONVO);
    let prefixes: Vec<String> =
        APIS.iter().map(|api| format!("{}_", api.to_uppercase())).chain(["CONVO_".into()]).collect();
    for (key, _) in std::env::vars() {
        if prefixes.iter().any(|prefix| key.starts_with(prefix.as_str())) {
            cmd.env_remove(key);
        }
    }
    cmd.env("CONVO_CONFIG", "/nonexistent/convo.toml");
    cmd
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A `convo sandbox serve` child process, the environment it printed as
/// `export` lines, and all it printed before `# serving` (its `#` comments:
/// each API's base URL and ids of its data).
pub struct Served {
    pub child: Child,
    pub env: BTreeMap<String, String>,
    pub lines: Vec<String>,
}

impl Served {
    pub fn start(api: &str, extra: &[&str]) -> Self {
        let mut child = convo()
            .args(["sandbox", "serve", "--api", api, "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut env = BTreeMap::new();
        let mut lines = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            if line.starts_with("# serving") {
                break;
            }
            if let Some((key, value)) = line.trim().strip_prefix("export ").and_then(|kv| kv.split_once('=')) {
                env.insert(key.to_string(), value.trim_matches('\'').to_string());
            }
            lines.push(line);
        }
        assert!(!env.is_empty(), "no settings printed: {lines:?}");
        Self { child, env, lines }
    }

    /// The base URL of one API's emulator, from its `# <api>  http://…` line.
    pub fn base_url(&self, api: &str) -> String {
        self.comment(api, "  ")
            .filter(|url| url.starts_with("http"))
            .unwrap_or_else(|| panic!("serve printed no base URL for {api}: {:?}", self.lines))
            .to_owned()
    }

    /// The ids of one API's data that serve printed as `# <api> <what>: id, id, …`.
    pub fn samples(&self, api: &str, what: &str) -> Vec<String> {
        let ids = self
            .comment(api, &format!(" {what}: "))
            .unwrap_or_else(|| panic!("serve printed no {api} {what}: {:?}", self.lines));
        ids.split(", ").map(str::to_owned).collect()
    }

    /// The rest of the comment that starts `# <api><prefix>`.
    fn comment(&self, api: &str, prefix: &str) -> Option<&str> {
        self.lines.iter().find_map(|line| line.strip_prefix("# ")?.strip_prefix(api)?.strip_prefix(prefix))
    }

    /// `convo` with the served sandbox's settings.
    pub fn command(&self) -> Command {
        let mut cmd = convo();
        cmd.envs(&self.env);
        cmd
    }

    /// Stops it the way a user does, with Ctrl-C (SIGINT).
    pub fn interrupt(mut self) -> Output {
        let status = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let _ = self.child.stdout.take();
        self.child.wait_with_output().unwrap()
    }
}

/// A scratch directory for a test's files, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("convo-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Writes a file in it; returns its path.
    pub fn file(&self, name: &str, contents: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
