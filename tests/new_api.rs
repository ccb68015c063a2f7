//! A new API is its spec plus one feature line: a scratch copy of the crate
//! given `specs/petstore.yaml` (tests/new_api/) and `petstore = []` in its
//! `[features]`, and no other edit, builds `convo_clients::petstore` with
//! `Client::builder(url).credential("petKey", secret)`; a program using it
//! talks to a local server over loopback.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

/// Writes `contents` to `path` unless it already holds them, so that a
/// second run finds the scratch crate unchanged and cargo's build warm.
fn put(path: &Path, contents: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(contents) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            put(&target, &std::fs::read(&path).unwrap());
        }
    }
}

/// The manifest with the new API's feature line, and without the targets
/// (tests, examples, benches) the scratch copy does not carry.
fn scratch_manifest(manifest: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            skipping = ["[[test]]", "[[example]]", "[[bench]]"].contains(&line.trim());
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
        if line == "[features]" {
            out.push_str("petstore = []\n");
        }
    }
    out
}

/// A pet store over loopback: create, get, a page of one with a next-page
/// token, delete; 401 without the key, 404 for an unknown pet.
fn serve() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let pets = Arc::new(Mutex::new(BTreeMap::<String, String>::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (seen, pets) = (seen.clone(), pets.clone());
            std::thread::spawn(move || answer(stream, &seen, &pets));
        }
    });
    (url, log)
}

fn answer(stream: TcpStream, seen: &Mutex<Vec<String>>, pets: &Mutex<BTreeMap<String, String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let (mut length, mut key) = (0, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).unwrap();
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap(),
            "x-pet-key" => key = Some(value.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let request = line.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
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
        (r, _) if r.starts_with("GET /pets?") => {
            let first: Vec<&String> = pets.values().take(1).collect();
            let items = first.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",");
            ("200 OK", format!(r#"{{"items":[{items}],"nextPageToken":"t2"}}"#))
        }
        (r, _) => match (r.split_once(" /pets/"), r.starts_with("DELETE")) {
            (Some((_, id)), false) if pets.contains_key(id) => ("200 OK", pets[id].clone()),
            (Some((_, id)), true) if pets.remove(id).is_some() => ("204 No Content", String::new()),
            _ => ("404 Not Found", r#"{"message":"no such pet"}"#.to_owned()),
        },
    };
    let mut stream = stream;
    let kind = if json.is_empty() { "" } else { "content-type: application/json\r\n" };
    let head = format!("HTTP/1.1 {status}\r\n{kind}content-length: {}\r\nconnection: close\r\n\r\n", json.len());
    let _ = stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(json.as_bytes()));
}

#[test]
fn a_spec_and_a_feature_line_give_a_client() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let scratch = tmp.join("new_api");
    for part in ["build.rs", "Cargo.lock", "README.md"] {
        put(&scratch.join(part), &std::fs::read(root.join(part)).unwrap());
    }
    copy_tree(&root.join("src"), &scratch.join("src"));
    copy_tree(&root.join("specs"), &scratch.join("specs"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    put(&scratch.join("Cargo.toml"), scratch_manifest(&manifest).as_bytes());
    // The one spec and the one line; the program is the new API's user.
    put(&scratch.join("specs/petstore.yaml"), &std::fs::read(root.join("tests/new_api/petstore.yaml")).unwrap());
    let program = std::fs::read(root.join("tests/new_api/petstore_client.rs")).unwrap();
    put(&scratch.join("examples/petstore_client.rs"), &program);

    // The crate's own target directory (the parent of CARGO_TARGET_TMPDIR),
    // so that the dependencies are built already.
    let target = tmp.parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = std::time::Instant::now();
    let build = Command::new(cargo)
        .args(["build", "--offline", "--quiet", "--no-default-features", "--features", "petstore"])
        .args(["--example", "petstore_client"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(&scratch)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(build.status.success(), "the scratch crate does not build:\n{stderr}");
    eprintln!("built the scratch crate in {:.1?}", started.elapsed());

    let (url, log) = serve();
    let run = Command::new(target.join("debug/examples/petstore_client")).arg(&url).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "created p1 Rex",
            "listed 1 next t2",
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
            "GET /pets/p1 key=pet-secret",
            "GET /pets?limit=1 key=pet-secret",
            "DELETE /pets/p1 key=pet-secret",
            "GET /pets/p1 key=pet-secret",
        ]
    );
}
