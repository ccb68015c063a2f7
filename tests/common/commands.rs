//! Every command of the CLI, found by walking its own `-h` output (not
//! listed by hand), and arguments that make each one parse: its required
//! flags and positionals, and for a spec operation with a JSON body a body
//! the spec accepts (`convo_clients::sandbox::request_body`).

#![allow(dead_code)]

use std::path::Path;

use crate::common::{self, convo};

/// `convo <path> -h`.
pub fn help(path: &[String]) -> String {
    let output = convo().args(path).arg("-h").output().unwrap();
    assert!(output.status.success(), "{path:?} -h: {}", common::stderr(&output));
    common::stdout(&output)
}

/// The subcommands a help text lists (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    let mut lines = help.lines().skip_while(|l| !l.starts_with("Commands:")).skip(1);
    let mut names = Vec::new();
    for line in lines.by_ref() {
        if !line.starts_with("  ") {
            break;
        }
        let name = line.split_whitespace().next().unwrap_or_default();
        if !name.is_empty() && name != "help" && line.starts_with(&format!("  {name}")) {
            names.push(name.to_string());
        }
    }
    names
}

/// Every leaf command under `path`, with its help text.
pub fn leaves(path: Vec<String>) -> Vec<(Vec<String>, String)> {
    let text = help(&path);
    let subs = subcommands(&text);
    if subs.is_empty() {
        return vec![(path, text)];
    }
    subs.into_iter()
        .flat_map(|sub| {
            let mut next = path.clone();
            next.push(sub);
            leaves(next)
        })
        .collect()
}

/// The help text that describes `arg` (`--flag` or `<NAME>`): its line and
/// the lines after it, up to the next argument.
pub fn arg_help(help: &str, arg: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for line in help.lines() {
        let trimmed = line.trim_start();
        let header = line.starts_with("  ")
            && (trimmed.starts_with('-') || trimmed.starts_with('<') || trimmed.starts_with('['));
        if header {
            let names: Vec<&str> = trimmed.split([' ', ',']).take(3).collect();
            inside = names.contains(&arg);
        }
        if inside {
            text.push_str(trimmed);
            text.push(' ');
        }
    }
    text
}

/// A value a parser of `value_name` (with help `help`) accepts.
pub fn value_for(value_name: &str, help: &str, json_file: &Path) -> String {
    if let Some(at) = help.find("[possible values: ") {
        let rest = &help[at + "[possible values: ".len()..];
        return rest.split([',', ']']).next().unwrap().trim().to_string();
    }
    let name = value_name.trim_matches(['<', '>', '.']).to_ascii_uppercase();
    match () {
        _ if name.contains(':') && name.matches(':').count() == 2 => "name:eq:1".into(),
        _ if name.contains("ASC|DESC") => "createdAt".into(),
        _ if name.contains(':') => "name:1".into(),
        _ if name.contains('=') => "a=1".into(),
        _ if name.contains("FILE") || name.contains("JSON") => json_file.display().to_string(),
        _ if ["TIME", "SINCE", "UNTIL", "DATE", "AFTER", "BEFORE"].iter().any(|t| name.contains(t)) => {
            "2024-01-01T00:00:00Z".into()
        }
        _ if name.contains("URL") => "http://127.0.0.1:9/a.mp3".into(),
        _ if name.contains("PHONE") || name.contains("NUMBER") => "+15551234567".into(),
        _ if name.contains("EMAIL") => "a@example.com".into(),
        _ if name == "EXPR" => "startTime>=2024-07-01".into(),
        _ if name == "TTR" => "normal".into(),
        // A text in place of an enum field (`CHANNEL (email, sms, voice in any case)`): its first value.
        _ => match help.find(" in any case)").and_then(|end| Some((help[..end].rfind('(')?, end))) {
            Some((start, end)) => help[start + 1..end].split(',').next().unwrap().trim().to_string(),
            None => "1".into(),
        },
    }
}

/// One required argument on a leaf command's usage line: `--flag <VALUE>`
/// (`value_name` is `None` for a switch), a positional `<NAME>`, or a
/// positional `[NAME]` that stands for a required flag.
pub struct Required {
    pub flag: Option<String>,
    pub value_name: Option<String>,
    /// The help text that describes it.
    pub help: String,
}

/// The required flags and positionals of the leaf command `path`, from its usage line.
pub fn required(path: &[String], help: &str) -> Vec<Required> {
    let usage = help.lines().find(|l| l.starts_with("Usage:")).unwrap();
    let tokens: Vec<&str> = usage.split_whitespace().skip(2 + path.len()).collect();
    let mut args = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        if token.starts_with("--") {
            let value = tokens.get(i + 1).filter(|t| t.starts_with('<'));
            args.push(Required {
                flag: Some(token.to_string()),
                value_name: value.map(|v| v.to_string()),
                help: arg_help(help, token),
            });
            i += usize::from(value.is_some());
        } else if token.starts_with('<') {
            let name = token.trim_end_matches("...");
            args.push(Required { flag: None, value_name: Some(name.to_string()), help: arg_help(help, name) });
        } else if let Some(name) = token.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            // A path parameter given in place or by its flag (`[ID]`, "the
            // id (or --id)"): optional to clap, required to the command.
            let help_text = arg_help(help, token);
            if help_text.contains("(or --") {
                args.push(Required { flag: None, value_name: Some(format!("<{name}>")), help: help_text });
            }
        }
        i += 1;
    }
    args
}

/// The arguments that make the leaf command `path` parse: its required
/// flags and positionals, each with a value it accepts.
pub fn required_args(path: &[String], help: &str, json_file: &Path) -> Vec<String> {
    required(path, help)
        .into_iter()
        .flat_map(|arg| {
            let value = arg.value_name.map(|name| value_for(&name, &arg.help, json_file));
            arg.flag.into_iter().chain(value)
        })
        .collect()
}

/// The spec of `api`.
pub fn spec(api: &str) -> &'static str {
    match api {
        "luware" => convo_clients::luware::SPEC_JSON,
        "raia" => convo_clients::raia::SPEC_JSON,
        "salesloft" => convo_clients::salesloft::SPEC_JSON,
        "liveperson" => convo_clients::liveperson::SPEC_JSON,
        "llamadapro" => convo_clients::llamadapro::SPEC_JSON,
        other => panic!("no API {other}"),
    }
}

/// The operationId of the spec operation the leaf command `path` runs
/// (`convo <api> <operation-id-in-kebab-case>`), if it runs one.
pub fn operation_id(path: &[String]) -> Option<String> {
    let [api, name] = path else { return None };
    let doc: serde_json::Value = serde_json::from_str(spec(api)).unwrap();
    let ids = doc["paths"].as_object()?.values().filter_map(|item| item.as_object()).flat_map(|item| item.values());
    ids.filter_map(|op| op.get("operationId").and_then(|id| id.as_str()))
        .find(|id| id.to_ascii_lowercase() == name.replace('-', ""))
        .map(str::to_owned)
}

/// `--json-body FILE` with a body the spec accepts, when the leaf command
/// `path` is a spec operation (`convo <api> <operation-id>`) with a JSON body.
pub fn operation_body(path: &[String], scratch: &Path) -> Vec<String> {
    let Some(id) = operation_id(path) else { return Vec::new() };
    let Some(body) = convo_clients::sandbox::request_body(spec(&path[0]), &id) else { return Vec::new() };
    let file = scratch.join(format!("{}-{}.json", path[0], path[1]));
    std::fs::write(&file, body.to_string()).unwrap();
    vec!["--json-body".into(), file.display().to_string()]
}
