//! `convo sandbox serve` as a script uses it: started in the background with
//! `--env-file`, its file sourced and its standard output `eval`ed by a POSIX
//! shell, and the ids it prints tried with `convo`.

use crate::common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use common::{Scratch, convo, stderr, stdout};

/// Settings every API needs, which serve must print.
const REQUIRED: &[&str] = &[
    "LUWARE_BASE_URL",
    "LUWARE_SUBSCRIPTION_KEY",
    "LUWARE_EID",
    "LUWARE_CLIENT_ID",
    "LUWARE_CLIENT_SECRET",
    "LIVEPERSON_ACCOUNT_ID",
    "LIVEPERSON_USERNAME",
    "LIVEPERSON_PASSWORD",
    "LIVEPERSON_BOT_DOMAIN",
    "SALESLOFT_BASE_URL",
    "SALESLOFT_API_KEY",
    "RAIA_BASE_URL",
    "RAIA_AGENT_SECRET_KEY",
    "LLAMADAPRO_BASE_URL",
    "LLAMADAPRO_API_KEY",
];

/// Runs `script` in `sh` with an empty environment and `args` as `$1`…;
/// returns the variables it ends with, after checking it ran cleanly.
fn sh(script: &str, args: &[&str]) -> BTreeMap<String, String> {
    let out = Command::new("sh")
        .env_clear()
        .args(["-c", &format!("set -eu; {script}; env"), "sh"])
        .args(args)
        .output()
        .expect("sh runs");
    assert!(out.status.success() && out.stderr.is_empty(), "sh failed: {}", stderr(&out));
    stdout(&out).lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

#[test]
fn its_env_file_and_its_output_set_every_apis_settings_in_a_shell() {
    let scratch = Scratch::new("serve-env-file");
    let env_file = scratch.0.join("convo.env");
    let env_path = env_file.to_str().unwrap();
    let mut child = convo()
        .args(["sandbox", "serve", "--api", "all", "--port", "0", "--env-file", env_path])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");

    // What a script does: wait for the file, then source it.
    while !env_file.exists() {
        assert!(child.try_wait().unwrap().is_none(), "serve exited before writing {env_path}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sourced = sh(". \"$1\"", &[env_path]);
    for name in REQUIRED {
        assert!(sourced.get(*name).is_some_and(|v| !v.is_empty()), "{name} is not set by {env_path}");
    }
    // Credentials that need quoting come through whole.
    assert_eq!(sourced["LUWARE_CLIENT_SECRET"], "sandbox p@ss&word=1%");

    // Standard output: only lines a shell can eval, ending with `# serving`.
    let mut printed = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with("# serving") {
            break;
        }
        assert!(line.starts_with("export ") || line.starts_with("# "), "not for a shell: {line:?}");
        printed.push(line);
    }
    let text = printed.join("\n");
    assert_eq!(std::fs::read_to_string(&env_file).unwrap(), format!("{text}\n"), "the file holds the same lines");
    let evaluated = sh("eval \"$1\"", &[&text]);
    for name in REQUIRED {
        assert_eq!(evaluated.get(*name), sourced.get(*name), "{name}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "credentials are readable by the user only");
    }

    // The ids printed as comments work straight away with the settings.
    let apis = ["LUWARE_", "LIVEPERSON_", "SALESLOFT_", "RAIA_", "LLAMADAPRO_"];
    let env = sourced.into_iter().filter(|(k, _)| apis.iter().any(|p| k.starts_with(p))).collect();
    let served = common::Served { child, env, lines: printed };
    let run = |args: &[&str]| -> Output { served.command().args(args).output().unwrap() };
    let tried: Vec<(&str, &str, Vec<&str>)> = vec![
        ("luware", "conversations", vec!["luware", "conversations", "get"]),
        ("salesloft", "conversations", vec!["salesloft", "conversations", "get"]),
        ("raia", "conversations (AI chat, manual chat, manual voice call)", vec!["raia", "conversations", "get"]),
        ("llamadapro", "contacts", vec!["llamadapro", "contacts", "get"]),
        ("llamadapro", "calls", vec!["llamadapro", "calls", "get"]),
        ("llamadapro", "messages", vec!["llamadapro", "messages", "get"]),
        ("llamadapro", "tasks", vec!["llamadapro", "tasks", "get"]),
        ("liveperson", "open conversations", vec!["liveperson", "commands"]),
    ];
    for (api, what, command) in tried {
        let ids = served.samples(api, what);
        assert!(!ids.is_empty() && ids.len() <= 3, "{api} {what}: {ids:?}");
        let out = run(&[command.as_slice(), &[ids[0].as_str()]].concat());
        assert!(out.status.success(), "{command:?} {}: {}", ids[0], stderr(&out));
        if api != "liveperson" {
            assert!(stdout(&out).contains(&ids[0]), "{command:?} {}: {}", ids[0], stdout(&out));
        }
    }

    // A script stops it with `kill` (SIGTERM); the stale file goes with it.
    let child = served.child;
    let status = Command::new("kill").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    let stopped = child.wait_with_output().unwrap();
    assert!(stopped.status.success(), "{:?}: {}", stopped.status, stderr(&stopped));
    assert!(!env_file.exists(), "{env_path} outlived the servers");
}

#[test]
fn an_env_file_it_cannot_write_is_an_error_naming_it() {
    let out = convo()
        .args(["sandbox", "serve", "--api", "raia", "--env-file", "/nonexistent-dir/convo.env"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--env-file /nonexistent-dir/convo.env"), "{}", stderr(&out));
}
