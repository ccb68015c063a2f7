//! Every request example in the vendors' documents, replayed over HTTP
//! against `convo sandbox serve --api all --check-responses`.
//!
//! The examples live in `tests/seed_examples/<api>.http`, one block each:
//!
//! ```text
//! ### seed 004 L120-L131: create a task
//! # capture TASK_ID /id
//! POST /api/v1/tasks
//! Content-Type: application/json
//! X-Api-Key: {{LLAMADAPRO_API_KEY}}
//!
//! {"title": "..."}
//! ```
//!
//! Directives: `# expect 2xx` (the default) or `# expect <status>: why`;
//! `# refused <status>: how the example contradicts its own seed` (it must be
//! refused); `# capture NAME /json/pointer` (a value of the answer, for a
//! later `{{NAME}}`). `{{NAME}}` also takes what `sandbox serve` prints as
//! `export NAME=value`. The path is relative to the API's base URL.

use crate::common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use common::Served;

/// One request example and what its emulator must answer.
#[derive(Debug)]
struct Example {
    /// `seed 004 L120-L131: create a task`.
    title: String,
    expect: Expect,
    captures: Vec<(String, String)>,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Debug, PartialEq)]
enum Expect {
    Success,
    Status(u16),
    /// The example contradicts its own seed, and is refused with this status.
    Refused(u16),
}

/// Parses one `.http` file; a malformed block is an error naming its line.
fn parse(text: &str) -> Result<Vec<Example>, String> {
    let mut examples = Vec::new();
    let mut blocks = text.split("\n###").enumerate().peekable();
    // Anything before the first `###` is a comment.
    if !text.starts_with("###") {
        blocks.next();
    }
    for (i, block) in blocks {
        let block = block.strip_prefix("###").unwrap_or(block);
        let (title, rest) = block.split_once('\n').unwrap_or((block, ""));
        let title = title.trim().to_owned();
        let bad = |why: &str| format!("block {} ({title}): {why}", i + 1);
        if !title.starts_with("seed ") || !title.contains(": ") {
            return Err(bad("the title must read `seed NNN L<a>[-L<b>]: what it does`"));
        }
        let mut lines = rest.lines().peekable();
        let (mut expect, mut captures) = (Expect::Success, Vec::new());
        while let Some(line) = lines.next_if(|l| l.starts_with('#') || l.trim().is_empty()) {
            let Some(directive) = line.strip_prefix('#').map(str::trim) else { continue };
            let status = |text: &str| -> Result<u16, String> {
                let (code, why) = text.split_once(':').ok_or_else(|| bad("a status needs `: why`"))?;
                if why.trim().is_empty() {
                    return Err(bad("a status needs a reason"));
                }
                code.trim().parse().map_err(|_| bad("not a status code"))
            };
            match directive.split_once(' ') {
                Some(("expect", "2xx")) => expect = Expect::Success,
                Some(("expect", rest)) => expect = Expect::Status(status(rest)?),
                Some(("refused", rest)) => expect = Expect::Refused(status(rest)?),
                Some(("capture", rest)) => {
                    let (name, pointer) = rest.split_once(' ').ok_or_else(|| bad("capture NAME /pointer"))?;
                    captures.push((name.to_owned(), pointer.trim().to_owned()));
                }
                _ => {}
            }
        }
        let request = lines.next().ok_or_else(|| bad("no request line"))?;
        let (method, target) = request.split_once(' ').ok_or_else(|| bad("the request line is `METHOD /path`"))?;
        if !target.starts_with('/') {
            return Err(bad("the path must start with /"));
        }
        let mut headers = Vec::new();
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').ok_or_else(|| bad("a header line is `Name: value`"))?;
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let body = lines.collect::<Vec<_>>().join("\n").trim_end().to_owned();
        examples.push(Example {
            title,
            expect,
            captures,
            method: method.to_owned(),
            target: target.trim().to_owned(),
            headers,
            body,
        });
    }
    Ok(examples)
}

/// `text` with every `{{NAME}}` replaced from `vars`.
fn fill(text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("{{") {
        let (name, tail) = after.split_once("}}").ok_or("unclosed {{")?;
        let value = vars.get(name.trim()).ok_or_else(|| format!("{{{{{name}}}}} is not set"))?;
        out.push_str(before);
        out.push_str(value);
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// Sends one example; the failure, if its answer is not the expected one.
async fn replay(
    http: &reqwest::Client,
    base: &str,
    example: &Example,
    vars: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    let url = format!("{base}{}", fill(&example.target, vars)?);
    let method = reqwest::Method::from_bytes(example.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut request = http.request(method, &url);
    for (name, value) in &example.headers {
        request = request.header(name, fill(value, vars)?);
    }
    if !example.body.is_empty() {
        request = request.body(fill(&example.body, vars)?);
    }
    let response = request.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = response.status().as_u16();
    let contract = response.headers().get("x-sandbox-contract").is_some();
    let body = response.text().await.unwrap_or_default();
    let excerpt: String = body.chars().take(300).collect();
    let fits = match example.expect {
        Expect::Success => (200..300).contains(&status),
        Expect::Status(expected) | Expect::Refused(expected) => status == expected,
    };
    if !fits || contract {
        return Err(format!("{} {url} answered {status}: {excerpt}", example.method));
    }
    for (name, pointer) in &example.captures {
        let json: serde_json::Value =
            serde_json::from_str(&body).map_err(|_| format!("capture {name}: the answer is not JSON: {excerpt}"))?;
        let value = json.pointer(pointer).ok_or_else(|| format!("capture {name}: no {pointer} in {excerpt}"))?;
        let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        vars.insert(name.clone(), text);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_seed_request_example_is_answered_as_its_seed_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/seed_examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.retain(|path| path.extension().is_some_and(|ext| ext == "http"));
    files.sort();
    assert!(!files.is_empty(), "no examples in {}", dir.display());

    let served = Served::start("all", &["--check-responses"]);
    let http = crate::raw_http();
    let mut report = String::new();
    let mut failures = 0;
    for file in &files {
        let api = file.file_stem().unwrap().to_string_lossy().into_owned();
        let base = served.base_url(&api);
        let examples = parse(&std::fs::read_to_string(file).unwrap()).unwrap_or_else(|e| panic!("{api}: {e}"));
        let mut vars = served.env.clone();
        let refused = examples.iter().filter(|e| matches!(e.expect, Expect::Refused(_))).count();
        writeln!(report, "{api}: {} examples, {refused} refused as contradicting their seed", examples.len()).unwrap();
        for example in &examples {
            if let Err(why) = replay(&http, &base, example, &mut vars).await {
                failures += 1;
                writeln!(report, "  FAIL {}: {why}", example.title).unwrap();
            }
        }
    }
    served.interrupt();
    println!("{report}");
    assert_eq!(failures, 0, "{report}");
}

#[test]
fn the_format_is_checked() {
    let ok = "intro\n### seed 001 L5: one\n# capture ID /id\nPOST /x?a=1\nA: {{B}}\n\n{\"k\": 1}\n\n### seed 001 L9-L10: two\n# refused 404: typo\nGET /y\n";
    let examples = parse(ok).unwrap();
    assert_eq!(examples.len(), 2);
    assert_eq!(examples[0].captures, [("ID".to_owned(), "/id".to_owned())]);
    assert_eq!(examples[0].body, "{\"k\": 1}");
    assert_eq!(examples[1].expect, Expect::Refused(404));
    assert!(parse("### seed 001 L1: x\n# expect 404\nGET /x\n").unwrap_err().contains("why"));
    assert!(parse("### untitled\nGET /x\n").unwrap_err().contains("title"));
    let vars = BTreeMap::from([("B".to_owned(), "b".to_owned())]);
    assert_eq!(fill("a{{B}}c", &vars).unwrap(), "abc");
    assert!(fill("{{C}}", &vars).is_err());
}
