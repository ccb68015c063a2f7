//! `--all` exports that stop on an error continue where they stopped: for
//! each API's list, an export is failed at every one of its pages in turn
//! (a fault proxy on loopback between the CLI and the sandbox answers that
//! page's request with an error that is not retried), then run again with
//! the same checkpoint; the two outputs together must be the whole export,
//! with nothing lost and nothing repeated.

use crate::common;
use crate::fault_proxy;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::Served;
use fault_proxy::{Fault, FaultProxy};

/// A proxy that fails the `fail_at`-th request whose target contains
/// `list` (0: none), counting those requests in `seen`.
struct Switch {
    fail_at: AtomicU64,
    seen: AtomicU64,
}

async fn proxy(upstream: &str, list: &'static str) -> (FaultProxy, Arc<Switch>) {
    let switch = Arc::new(Switch { fail_at: AtomicU64::new(0), seen: AtomicU64::new(0) });
    let plan_switch = switch.clone();
    let plan = Arc::new(move |request: &fault_proxy::Request<'_>| {
        if !request.target.contains(list) {
            return Fault::None;
        }
        let n = plan_switch.seen.fetch_add(1, Ordering::SeqCst) + 1;
        // 409 is neither retried nor a refused page token.
        if n == plan_switch.fail_at.load(Ordering::SeqCst) { Fault::Status(409) } else { Fault::None }
    });
    (FaultProxy::start(upstream, 0, plan).await.unwrap(), switch)
}

async fn run(served: &Served, base_url_var: &str, proxy: &FaultProxy, args: Vec<String>) -> Output {
    let mut command = served.command();
    command.env(base_url_var, &proxy.url).args(&args);
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Fails the export at each of its pages and resumes it from the checkpoint.
async fn resumes_at_every_page(api: &str, serve: &[&str], base_url_var: &str, list: &'static str, export: &[&str]) {
    let served = Served::start(api, serve);
    let (proxy, switch) = proxy(&served.env[base_url_var], list).await;
    let dir = tempdir(api);
    let checkpoint = dir.join("export.checkpoint");
    let args = |with_checkpoint: bool| {
        let mut args: Vec<String> = export.iter().map(|s| s.to_string()).collect();
        if with_checkpoint {
            args.extend(["--checkpoint".to_string(), checkpoint.display().to_string()]);
        }
        args
    };

    let whole = run(&served, base_url_var, &proxy, args(false)).await;
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    let whole = text(&whole.stdout);
    let pages = switch.seen.swap(0, Ordering::SeqCst);
    assert!(pages >= 3, "{api}: the export should span several pages, not {pages}");
    assert!(whole.lines().count() >= 3);

    for fail_at in 1..=pages {
        switch.fail_at.store(fail_at, Ordering::SeqCst);
        let stopped = run(&served, base_url_var, &proxy, args(true)).await;
        assert_eq!(stopped.status.code(), Some(1), "{api}, page {fail_at}: {}", text(&stopped.stderr));
        assert!(text(&stopped.stderr).contains("rerun the same command"), "{}", text(&stopped.stderr));
        assert!(checkpoint.exists(), "{api}, page {fail_at}: no checkpoint left");

        switch.fail_at.store(0, Ordering::SeqCst);
        switch.seen.store(0, Ordering::SeqCst);
        let rest = run(&served, base_url_var, &proxy, args(true)).await;
        assert!(rest.status.success(), "{api}, page {fail_at}: {}", text(&rest.stderr));
        assert!(!checkpoint.exists(), "{api}: the checkpoint outlives a completed export");
        assert_eq!(
            text(&stopped.stdout) + &text(&rest.stdout),
            whole,
            "{api}: stopped at page {fail_at} and resumed, the records differ from one export"
        );
        switch.seen.store(0, Ordering::SeqCst);
    }

    // Without a checkpoint, the printed token does the same.
    switch.fail_at.store(2, Ordering::SeqCst);
    let stopped = run(&served, base_url_var, &proxy, args(false)).await;
    assert_eq!(stopped.status.code(), Some(1));
    let stderr = text(&stopped.stderr);
    let token = stderr.split("--resume ").nth(1).and_then(|t| t.split_whitespace().next()).expect(&stderr);
    switch.fail_at.store(0, Ordering::SeqCst);
    let mut resumed = args(false);
    resumed.extend(["--resume".to_string(), token.to_string()]);
    let rest = run(&served, base_url_var, &proxy, resumed).await;
    assert!(rest.status.success(), "{}", text(&rest.stderr));
    assert_eq!(text(&stopped.stdout) + &text(&rest.stdout), whole);

    // A token does not continue another query.
    let mut other = args(false);
    other.extend(["--page-size".to_string(), "7".to_string(), "--resume".to_string(), token.to_string()]);
    let refused = run(&served, base_url_var, &proxy, other).await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    served.interrupt();
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("convo-resume-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(Path::new(&dir).is_dir());
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn luware_export_resumes_at_every_page() {
    let export = ["luware", "conversations", "list", "--all", "--page-size", "10"];
    resumes_at_every_page("luware", &["--records", "45"], "LUWARE_BASE_URL", "/conversations?", &export).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesloft_export_resumes_at_every_page() {
    let export = ["salesloft", "conversations", "list", "--all", "--page-size", "10"];
    resumes_at_every_page("salesloft", &["--records", "35"], "SALESLOFT_BASE_URL", "/v2/conversations?", &export).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raia_export_resumes_at_every_page() {
    let export = ["raia", "conversations", "list", "--all", "--page-size", "2"];
    resumes_at_every_page("raia", &[], "RAIA_BASE_URL", "/external/conversations?", &export).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llamadapro_export_resumes_at_every_page() {
    let export = ["llamadapro", "contacts", "list", "--all", "--page-size", "10"];
    resumes_at_every_page("llamadapro", &[], "LLAMADAPRO_BASE_URL", "/contacts?", &export).await;
}
