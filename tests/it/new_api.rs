//! A new API is its spec plus one feature line: a scratch copy of the crate
//! given `specs/petstore.yaml` (tests/new_api/) and `petstore = []` in its
//! `[features]`, and no other edit, builds `convo_clients::petstore` with
//! `Client::builder(url).credential("petKey", secret)` and `stream()`, and,
//! with `--features cli,petstore`, `convo petstore <operation-id>`,
//! `convo petstore check` and `convo sandbox serve --api petstore` (the
//! generic store): each used over loopback here. The same copy adds a
//! parameter to Salesloft's `listConversations`: every command that calls
//! that operation takes it as a flag and sends it. And it adds a second
//! API, `specs/carriers.yaml`, with what the shipped specs do not use:
//! credentials in a query parameter, a cookie and basic `user:password`,
//! tokens with and without a documented lifetime, and an enum whose name
//! is secret-like. Last, it adds to Luware's spec what a vendor's next
//! release would (a response field, a filter row, an enum value): the
//! crate, its sandbox and CLI, and the crate's own example written against
//! the types before them, build with no other edit.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::scratch_crate::{self, put};

/// Salesloft's spec with one more query parameter of `listConversations`,
/// `convo_added`: as a maintainer would add it, with nothing else edited.
fn with_added_parameter(spec: &str) -> String {
    let operation = spec.find("operationId: listConversations").expect("listConversations");
    let at = operation + spec[operation..].find("      parameters:\n").expect("its parameters") + 18;
    let added = "        - name: convo_added\n          in: query\n          description: Added by tests/it/new_api.rs.\n          \
                 x-provenance: {status: inferred, source: tests/it/new_api.rs, why: a spec edit}\n          \
                 schema: {type: string}\n";
    format!("{}{added}{}", &spec[..at], &spec[at..])
}

/// Luware's spec with what a vendor's next release adds, and nothing else
/// edited: a field of a response (`Conversation.convoAdded`), a row of its
/// filter table (`convoAdded`) and a value of an enum (`Platform`).
fn with_forward_additions(spec: &str) -> String {
    let after = |spec: &str, anchor: &str, from: &str, added: &str| {
        let start = spec.find(from).unwrap_or_else(|| panic!("{from}"));
        let at = start + spec[start..].find(anchor).unwrap_or_else(|| panic!("{anchor}")) + anchor.len();
        format!("{}{added}{}", &spec[..at], &spec[at..])
    };
    let provenance = "{status: inferred, source: tests/it/new_api.rs, why: a spec edit}";
    // Appended: a row put before others would shift their discriminants.
    let spec = after(spec, "        - doNotDelete\n", "    FilterField:", "        - convoAdded\n");
    let row = format!(
        "        convoAdded: {{type: string, operators: [EQUAL], description: \"Added.\", x-provenance: {provenance}}}\n"
    );
    let spec = after(&spec, "      x-filter-table:\n", "    FilterField:", &row);
    let spec = after(&spec, "      enum:\n", "    Platform:", "        - Convo Added\n");
    let field = format!("        convoAdded:\n          type: string\n          x-provenance: {provenance}\n");
    after(&spec, "      properties:\n", "    Conversation:\n", &field)
}

/// A pet store over loopback: create, get, a page of one with a next-page
/// token, delete; 401 without the key, 404 for an unknown pet.
fn serve() -> (String, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let pets = Mutex::new(BTreeMap::<String, String>::new());
    let seen = log.clone();
    (listen(move |stream| answer(stream, &seen, &pets)), log)
}

/// A server over loopback, each connection answered by `answer` on a thread
/// of its own; its base URL.
fn listen(answer: impl Fn(TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || answer(stream));
        }
    });
    url
}

/// One request over `stream`: its method and target (`GET /pets`), its
/// headers by lower-case name, and its body; `None` when the client closed.
fn read_request(stream: &TcpStream) -> Option<(String, BTreeMap<String, String>, Vec<u8>)> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let Some((name, value)) = header.trim_end().split_once(':') else { break };
        headers.insert(name.to_ascii_lowercase(), value.trim().to_owned());
    }
    let mut body = vec![0; headers.get("content-length").map_or(0, |n| n.parse().unwrap())];
    reader.read_exact(&mut body).unwrap();
    Some((line.split_whitespace().take(2).collect::<Vec<_>>().join(" "), headers, body))
}

/// Answers with `status` and a JSON body (none when it is empty), and closes.
fn respond(mut stream: TcpStream, status: &str, json: &str) {
    let kind = if json.is_empty() { "" } else { "content-type: application/json\r\n" };
    let head = format!("HTTP/1.1 {status}\r\n{kind}content-length: {}\r\nconnection: close\r\n\r\n", json.len());
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(json.as_bytes()));
}

fn answer(stream: TcpStream, seen: &Mutex<Vec<String>>, pets: &Mutex<BTreeMap<String, String>>) {
    let Some((request, headers, body)) = read_request(&stream) else { return };
    let key = headers.get("x-pet-key").cloned();
    seen.lock().unwrap().push(format!("{request} key={}", key.as_deref().unwrap_or("-")));
    let mut pets = pets.lock().unwrap();
    let (status, json) = match (request.as_str(), key.as_deref()) {
        (_, key) if key != Some("pet-secret") => ("401 Unauthorized", r#"{"message":"no key"}"#.to_owned()),
        ("POST /pets", _) => {
            let new: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let id = format!("p{}", pets.len() + 1);
            let pet = serde_json::json!({"id": id, "name": new["name"], "tag": new["tag"]}).to_string();
            pets.insert(id, pet.clone());
            ("201 Created", pet)
        }
        // One pet a page; the token `tN` is the Nth pet.
        (r, _) if r.starts_with("GET /pets?") => {
            let at: usize = r.split_once("pageToken=t").map_or(0, |(_, n)| n.parse().unwrap());
            let item = pets.values().nth(at).cloned().unwrap_or_default();
            let next = if at + 1 < pets.len() { format!(r#","nextPageToken":"t{}""#, at + 1) } else { String::new() };
            ("200 OK", format!(r#"{{"items":[{item}]{next}}}"#))
        }
        (r, _) => match (r.split_once(" /pets/"), r.starts_with("DELETE")) {
            (Some((_, id)), false) if pets.contains_key(id) => ("200 OK", pets[id].clone()),
            (Some((_, id)), true) if pets.remove(id).is_some() => ("204 No Content", String::new()),
            _ => ("404 Not Found", r#"{"message":"no such pet"}"#.to_owned()),
        },
    };
    respond(stream, status, &json);
}

/// Builds the scratch copy of the crate, once for every test: the example
/// program and `convo`, with the new API's feature and the CLI's only.
/// Returns the target directory.
fn scratch() -> &'static Path {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let scratch = scratch_crate::copy("new_api", &["petstore", "carriers"]);
        // The one spec and the one line; the program is the new API's user.
        put(&scratch.join("specs/petstore.yaml"), &std::fs::read(root.join("tests/new_api/petstore.yaml")).unwrap());
        let program = std::fs::read(root.join("tests/new_api/petstore_client.rs")).unwrap();
        put(&scratch.join("examples/petstore_client.rs"), &program);
        put(&scratch.join("specs/carriers.yaml"), &std::fs::read(root.join("tests/new_api/carriers.yaml")).unwrap());
        let program = std::fs::read(root.join("tests/new_api/carriers_client.rs")).unwrap();
        put(&scratch.join("examples/carriers_client.rs"), &program);
        // And a spec edit to an existing API: a parameter of listConversations.
        let salesloft = std::fs::read_to_string(root.join("specs/salesloft.yaml")).unwrap();
        put(&scratch.join("specs/salesloft.yaml"), with_added_parameter(&salesloft).as_bytes());

        // And what a vendor adds to Luware's spec; the program written
        // against the types before it is the crate's own example.
        let luware = std::fs::read_to_string(root.join("specs/luware.yaml")).unwrap();
        put(&scratch.join("specs/luware.yaml"), with_forward_additions(&luware).as_bytes());
        put(&scratch.join("examples/luware_consumer.rs"), &std::fs::read(root.join("examples/luware.rs")).unwrap());

        // The crate's own target directory (the parent of CARGO_TARGET_TMPDIR),
        // so that the dependencies are built already.
        let target = tmp.parent().unwrap();
        let started = std::time::Instant::now();
        let build = scratch_crate::cargo()
            .args(["build", "--offline", "--quiet", "--no-default-features"])
            .args(["--features", "cli,petstore,salesloft,carriers,luware"])
            .args(["--example", "petstore_client", "--example", "carriers_client", "--example", "luware_consumer"])
            .args(["--bin", "convo-new_api"])
            .env("CARGO_TARGET_DIR", target)
            .current_dir(&scratch)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&build.stderr);
        assert!(build.status.success(), "the scratch crate does not build:\n{stderr}");
        eprintln!("built the scratch crate in {:.1?}", started.elapsed());
        // Copied out: the crate's own build writes the example's name too.
        let convo = tmp.join("new_api_convo");
        std::fs::copy(target.join("debug/convo-new_api"), &convo).unwrap();
        for example in ["petstore_client", "carriers_client", "luware_consumer"] {
            std::fs::copy(target.join("debug/examples").join(example), tmp.join(format!("new_api_{example}"))).unwrap();
        }
        tmp
    })
}

#[test]
fn a_spec_and_a_feature_line_give_a_client() {
    let (url, log) = serve();
    let run = Command::new(scratch().join("new_api_petstore_client")).arg(&url).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "created p1 Rex",
            "listed 1 next t1",
            "streamed Rex Tom",
            "after delete Some(404)",
            "unknown scheme: true",
            "no credential: true",
            "debug shows secret: false",
        ]
    );
    // Every request carried the key the spec's scheme names; the refused
    // call sent nothing.
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log,
        [
            "POST /pets key=pet-secret",
            "POST /pets key=pet-secret",
            "GET /pets/p1 key=pet-secret",
            "GET /pets?limit=1 key=pet-secret",
            "GET /pets?limit=1 key=pet-secret",
            "GET /pets?limit=1&pageToken=t1 key=pet-secret",
            "DELETE /pets/p1 key=pet-secret",
            "GET /pets/p1 key=pet-secret",
        ]
    );
}

/// `convo` of the scratch crate, run with `env` and `args` (and `stdin`).
fn convo(env: &[(String, String)], args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(scratch().join("new_api_convo"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("CONVO_CONFIG", "/nonexistent/convo.toml")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// `convo sandbox serve --api petstore`, stopped when dropped.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_spec_and_a_feature_line_give_cli_commands_and_a_sandbox() {
    let env_file = scratch().join(format!("new_api_{}.env", std::process::id()));
    let _ = std::fs::remove_file(&env_file);
    let _served = Served(
        Command::new(scratch().join("new_api_convo"))
            .args(["sandbox", "serve", "--api", "petstore", "--records", "5", "--env-file"])
            .arg(&env_file)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = std::time::Instant::now();
    while std::fs::read(&env_file).map_or(true, |bytes| bytes.is_empty()) {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "serve wrote no settings");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The settings serve exports: the base URL and the scheme's credential.
    let env: Vec<(String, String)> = std::fs::read_to_string(&env_file)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let names: Vec<&str> = env.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["PETSTORE_BASE_URL", "PETSTORE_PET_KEY"]);

    // A list pages through the generic store with --all, two a page.
    let (code, out, err) = convo(&env, &["petstore", "list-pets", "--limit", "2", "--all", "-o", "jsonl"], "");
    assert_eq!(code, 0, "{err}");
    let ids: std::collections::BTreeSet<String> = out
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 5, "{out}");

    // Create, get, delete, and a 404 after delete: a store.
    let (code, out, err) =
        convo(&env, &["petstore", "create-pet", "--json-body", "-"], r#"{"name":"Rex","tag":"dog"}"#);
    assert_eq!(code, 0, "{err}");
    let created: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = created["id"].as_str().unwrap();
    let (code, out, err) = convo(&env, &["petstore", "get-pet", "--pet-id", id], "");
    assert_eq!(code, 0, "{err}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["name"], "Rex");
    let (code, _, err) = convo(&env, &["petstore", "delete-pet", "--pet-id", id], "");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = convo(&env, &["petstore", "get-pet", "--pet-id", id], "");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("404"), "{err}");

    // The API's check tours its read operations: clean, and past the list
    // into the item reads its records' ids lead to (the spec has no link there).
    let (code, out, err) = convo(&env, &["petstore", "check"], "");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.lines().any(|l| l.trim_start().starts_with("getPet") && l.contains("HTTP 200")), "{out}");

    // A setting given nowhere is named, flag and variable.
    let (code, _, err) = convo(&[], &["petstore", "get-pet", "--pet-id", "p1"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("PETSTORE_PET_KEY") && err.contains("--pet-key"), "{err}");
    // Killed, serve cannot remove its file.
    let _ = std::fs::remove_file(&env_file);
}

/// A field added to a response, a row to a filter table and a value to an
/// enum break no consumer: the crate, its sandbox and CLI build with no other
/// edit, a program written against the types before them (examples/luware.rs)
/// builds and runs, and the new row is a filter the client and sandbox take.
#[test]
fn additions_to_a_spec_break_no_consumer() {
    let run = Command::new(scratch().join("new_api_luware_consumer")).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains("labels of"), "{stdout}");
    let list = ["--sandbox", "luware", "conversations", "list", "--filter", "convoAdded=x", "-o", "json"];
    let (code, out, err) = convo(&[], &list, "");
    assert_eq!((code, out.trim()), (0, "[]"), "{err}");
}

/// An answer whose required `name` came back as `nmae`: the plain operation
/// command reports it.
#[test]
fn a_renamed_required_field_is_reported() {
    let url = listen(|stream| {
        if read_request(&stream).is_some() {
            respond(stream, "200 OK", r#"{"id":"p1","nmae":"Rex"}"#);
        }
    });
    let env = [("PETSTORE_BASE_URL".to_owned(), url), ("PETSTORE_PET_KEY".to_owned(), "k".to_owned())];
    let (code, out, err) = convo(&env, &["petstore", "get-pet", "--pet-id", "p1"], "");
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("missing required at $.name"), "{err}");
}

/// A parameter added to an existing operation in its spec is a flag of every
/// command that calls the operation (its friendly name, its alias and its
/// operation id, one page or `--all`), and is sent.
#[test]
fn a_parameter_added_to_a_spec_is_a_flag_of_its_commands_and_is_sent() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let url = listen(move |stream| {
        let Some((request, _, _)) = read_request(&stream) else { return };
        log.lock().unwrap().push(request);
        let body = r#"{"data":[],"metadata":{"paging":{"per_page":25,"current_page":1,"next_page":null}}}"#;
        respond(stream, "200 OK", body);
    });
    let env = [("SALESLOFT_BASE_URL".to_owned(), url), ("SALESLOFT_API_KEY".to_owned(), "k".to_owned())];
    let commands: [&[&str]; 4] = [
        &["salesloft", "conversations", "list"],
        &["salesloft", "conversations", "ls"],
        &["salesloft", "list-conversations"],
        &["salesloft", "conversations", "list", "--all"],
    ];
    for command in commands {
        let args = [command, &["--convo-added", "yes", "-o", "jsonl"]].concat();
        let (code, out, err) = convo(&env, &args, "");
        assert_eq!(code, 0, "{command:?}: {out}\n{err}");
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), commands.len(), "{seen:?}");
    for line in seen.iter() {
        assert!(line.starts_with("GET /v2/conversations?") && line.contains("convo_added=yes"), "{line}");
    }
}

/// A server of the carriers API over loopback: it notes each request (its
/// target, and the credentials a header carries), gives each scheme's
/// token (the capped one a JWT that says it lasts a day, the kept one no
/// lifetime at all), and answers `getKeys` with a `TokenKind` the spec does
/// not list.
fn serve_carriers() -> (String, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    (listen(move |stream| answer_carriers(stream, &seen)), log)
}

fn answer_carriers(stream: TcpStream, seen: &Mutex<Vec<String>>) {
    use base64::Engine;
    let Some((request, headers, _)) = read_request(&stream) else { return };
    let header = |name: &str| headers.get(name).map_or("-", String::as_str);
    let noted =
        format!("{request} key={} cookie={} auth={}", header("x-key"), header("cookie"), header("authorization"));
    seen.lock().unwrap().push(noted);
    let json = if request.starts_with("POST /tokens/capped") {
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let day = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 86_400;
        let claims = serde_json::json!({"exp": day}).to_string();
        format!(r#"{{"token":"{}.{}.sig"}}"#, enc.encode(br#"{"alg":"HS256"}"#), enc.encode(claims))
    } else if request.starts_with("POST /tokens/kept") {
        r#"{"token":"kept-opaque"}"#.to_owned()
    } else if request.starts_with("GET /keys") {
        r#"{"kind":"s3cr3t-value"}"#.to_owned()
    } else {
        "{}".to_owned()
    };
    respond(stream, "200 OK", &json);
}

/// The carriers program run against a carriers server: its output, and the
/// requests the server saw.
fn carriers_client(what: &str) -> (Vec<String>, Vec<String>) {
    let (url, log) = serve_carriers();
    let run = Command::new(scratch().join("new_api_carriers_client")).arg(&url).arg(what).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let log = log.lock().unwrap().clone();
    (stdout.lines().map(str::to_owned).collect(), log)
}

#[test]
fn each_carrier_sends_its_credential_where_the_spec_says() {
    let (stdout, log) = carriers_client("carriers");
    assert_eq!(
        log,
        [
            "GET /keys?a=1&api_key=k+2 key=k1 cookie=session=c3 auth=-",
            "GET /bearer key=- cookie=- auth=Bearer t4",
            "GET /basic key=- cookie=- auth=Basic dTpw",
            // Only the schemes the operation names.
            "GET /open key=- cookie=- auth=-",
        ]
    );
    // A name the spec does not define is an error that lists the ones it does.
    assert!(stdout[0].contains("the spec's: basic, bearer, capped, inCookie, inHeader, inQuery, kept"), "{stdout:?}");
    assert_eq!(stdout[1], "debug shows secret: false");
}

/// An enum value the spec does not list is shown in the drift report, but
/// not when the enum's type name is secret-like (`TokenKind`).
#[test]
fn values_of_secret_named_enums_are_masked_in_the_drift_report() {
    let (stdout, _) = carriers_client("drift");
    let report = stdout.join("\n");
    assert!(report.contains(r#"1 unrecognized enum value (e.g. TokenKind "***")"#), "{report}");
    assert!(!report.contains("s3cr3t"), "{report}");
}

/// A token lasts no longer than the spec documents, whatever it says of
/// itself (two seconds, not its JWT's day); without a documented lifetime
/// or one of its own, it lasts until the server rejects it.
#[test]
fn a_token_lasts_no_longer_than_documented_and_without_a_lifetime_until_rejected() {
    let (_, log) = carriers_client("tokens");
    let calls = |target: &str| log.iter().filter(|line| line.starts_with(target)).count();
    assert_eq!((calls("GET /capped "), calls("GET /kept ")), (3, 3), "{log:?}");
    assert_eq!(calls("POST /tokens/capped "), 3, "refreshed a second before each two-second lifetime ends: {log:?}");
    assert_eq!(calls("POST /tokens/kept "), 1, "{log:?}");
}
