//! The Luware client against the Luware sandbox, over real HTTP on loopback.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::fault_server;

use convo_clients::luware::types::{
    ActionResult, ControlAction, Conversation, Direction, Expand, MetadataRequest, Platform, SortOrder,
};
use convo_clients::luware::{
    Client, Credentials, FilterError, FilterField, FilterOperator, Filters, SearchRequest, TranscriptError,
    TranscriptLimits,
};
use convo_clients::sandbox::luware::{LuwareConfig, LuwareSandbox, encode_vtr_raw};
use convo_clients::sandbox::{RecordedRequest, ScriptedResponse};
use convo_clients::{ClientConfig, Error, InvalidInput, RetryPolicy};
use futures::TryStreamExt;
use reqwest::Method;

const TOKEN_PATH: &str = "/vfcrest/v1/auth/token";
const SEARCH_PATH: &str = "/vfcrest/v1/conversations";

async fn sandbox(config: LuwareConfig) -> LuwareSandbox {
    LuwareSandbox::start(7, 0, config).await.expect("sandbox starts")
}

/// Retries with short waits, so failure paths stay quick.
fn fast_retries() -> ClientConfig {
    ClientConfig::default().with_retry(RetryPolicy::default().with_base_delay(Duration::from_millis(10)))
}

fn client(sandbox: &LuwareSandbox) -> Client {
    Client::builder(sandbox.base_url(), sandbox.credentials()).config(fast_retries()).build().expect("client builds")
}

fn requests_to(sandbox: &LuwareSandbox, method: Method, path: &str) -> Vec<RecordedRequest> {
    sandbox.requests().into_iter().filter(|r| r.method == method && r.path == path).collect()
}

/// `getConversation` without expands, its error as the crate's.
/// The first page of a search: its generated call, after the search's checks.
async fn first_page(
    client: &Client,
    request: &SearchRequest,
) -> convo_clients::Result<convo_clients::luware::types::ConversationPage> {
    Ok(request.call(client)?.send().await?.into_inner())
}

async fn conversation(client: &Client, ccdr_id: &str) -> convo_clients::Result<Conversation> {
    Ok(client.get_conversation().ccdr_id(ccdr_id).send().await?.into_inner())
}

async fn add_label(client: &Client, ccdr_id: &str, label_id: i64) -> convo_clients::Result<ActionResult> {
    Ok(client.add_label().ccdr_id(ccdr_id).body_map(|b| b.label_id(label_id)).send().await?.into_inner())
}

async fn control(client: &Client, ccdr_id: &str, action: ControlAction) -> convo_clients::Result<ActionResult> {
    Ok(client.control_conversation().ccdr_id(ccdr_id).action(action).send().await?.into_inner())
}

fn all_filter() -> Filters {
    // Every generated conversation starts after this.
    Filters::new()
        .started_at_or_after(chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap())
}

#[tokio::test]
async fn token_form_is_encoded_once_and_every_call_carries_the_headers() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    conversation(&client, &sb.conversation_id(3)).await.expect("get works");

    let token = requests_to(&sb, Method::POST, TOKEN_PATH);
    assert_eq!(token.len(), 1);
    let t = &token[0];
    assert_eq!(t.header("content-type"), Some("application/x-www-form-urlencoded"));
    // The secret holds `@`, space, `&`, `=` and `%`: each encoded exactly once.
    let mut pairs: Vec<_> = std::str::from_utf8(&t.body).unwrap().split('&').collect();
    pairs.sort();
    assert_eq!(
        pairs,
        ["client_id=api_user%40sandbox.example", "client_secret=sandbox+p%40ss%26word%3D1%25", "eid=1000"]
    );
    assert_eq!(t.header("ocp-apim-subscription-key"), Some("sandbox-subscription-key"));
    assert_eq!(t.header("authorization"), None, "no bearer on the token call");

    for r in sb.requests() {
        assert_eq!(r.header("ocp-apim-subscription-key"), Some("sandbox-subscription-key"), "{} {}", r.method, r.path);
        if r.path != TOKEN_PATH {
            assert!(r.header("authorization").is_some_and(|v| v.starts_with("Bearer ey")), "{}", r.path);
        }
    }
}

#[tokio::test]
async fn the_server_receives_the_filter_json_and_sort() {
    let sb = sandbox(LuwareConfig::default()).await;
    let filters = Filters::new()
        .platform("Microsoft Teams")
        .with("sourceCallerId^=+44".parse().unwrap())
        .with("startTime=2024-07-01..2024-07-03 12:00:00".parse().unwrap());
    let page = first_page(&client(&sb), &SearchRequest::new(filters).limit(5).sort_by_start_time(SortOrder::Desc))
        .await
        .unwrap();
    assert!(!page.conversations.is_empty());
    for c in &page.conversations {
        assert_eq!(c.platform_name, Some(Platform::MicrosoftTeams));
        assert!(c.source_caller_id.as_deref().unwrap().starts_with("+44"));
    }
    let starts: Vec<_> = page.conversations.iter().map(|c| c.start_time().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "descending: {starts:?}");

    let search = &requests_to(&sb, Method::GET, SEARCH_PATH)[0];
    assert_eq!(
        search.query_param("filters").unwrap(),
        r#"{"filtersList":[{"field":"platformName","operator":"EQUAL","values":["Microsoft Teams"]},{"field":"sourceCallerId","operator":"STARTS_WITH","values":["+44"]},{"field":"startTime","operator":"BETWEEN","values":["2024-07-01 00:00:00.000","2024-07-03 12:00:00.000"]}]}"#
    );
    assert_eq!(search.query_param("limit").as_deref(), Some("5"));
    assert_eq!(search.query_param("sortBy").as_deref(), Some("startTime"));
    assert_eq!(search.query_param("sortOrder").as_deref(), Some("desc"));
}

#[tokio::test]
async fn filters_the_table_does_not_allow_fail_before_sending() {
    let err = Filters::new().eq(FilterField::StartTime, "2024-07-01 00:00:00.000").unwrap_err();
    assert!(matches!(
        err,
        FilterError::OperatorNotAllowed { field: FilterField::StartTime, operator: FilterOperator::Equal, .. }
    ));
    assert!(err.to_string().contains("startTime"), "{err}");
    assert!(matches!(
        Filters::new().starts_with(FilterField::CcdrId, "abc"),
        Err(FilterError::OperatorNotAllowed { .. })
    ));
    assert!(matches!(
        "ccdrId^=abc".parse::<convo_clients::luware::Filter>(),
        Err(FilterError::OperatorNotAllowed { .. })
    ));
    assert!(matches!("nosuchField=1".parse::<convo_clients::luware::Filter>(), Err(FilterError::UnknownField(_))));
    assert!(matches!("hold=maybe".parse::<convo_clients::luware::Filter>(), Err(FilterError::InvalidValue { .. })));

    // Out-of-range page sizes are rejected by the client, and nothing is sent.
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    for limit in [0, 101] {
        let err = first_page(&client, &SearchRequest::new(all_filter()).limit(limit)).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput(InvalidInput::Parameter { name: "limit", .. })), "{err}");
    }
    assert!(sb.requests().is_empty());
}

#[tokio::test]
async fn search_streams_every_page_and_follow_ups_carry_only_the_token() {
    let sb = sandbox(LuwareConfig { conversations: 1_000, ..LuwareConfig::default() }).await;
    let client = client(&sb);
    let request = SearchRequest::new(all_filter().with("modalityName!=im".parse().unwrap())).limit(7);
    // The generated stream: `nextPageToken` is `x-exclusive` in the spec.
    let conversations: Vec<_> = request.call(&client).unwrap().stream().try_collect().await.unwrap();

    // The expected set, computed independently: every non-IM conversation.
    let mut expected = 0;
    for i in 0..1_000 {
        let c = conversation(&client, &sb.conversation_id(i)).await.unwrap();
        if c.modality_name.as_ref().map(|m| m.as_str()) != Some("im") {
            expected += 1;
        }
    }
    assert_eq!(conversations.len(), expected);
    let ids: HashSet<_> = conversations.iter().map(|c| c.ccdr_id.clone()).collect();
    assert_eq!(ids.len(), conversations.len(), "no duplicates");
    let starts: Vec<_> = conversations.iter().map(|c| c.start_time().unwrap()).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));

    let searches = requests_to(&sb, Method::GET, SEARCH_PATH);
    assert_eq!(searches.len(), expected.div_ceil(7));
    let mut first: Vec<_> = searches[0].query_pairs().into_iter().map(|(k, _)| k).collect();
    first.sort();
    assert_eq!(first, ["filters", "limit"]);
    for follow_up in &searches[1..] {
        let pairs = follow_up.query_pairs();
        assert_eq!(pairs.len(), 1, "{pairs:?}");
        assert_eq!(pairs[0].0, "nextPageToken");
    }
}

#[tokio::test]
async fn an_expired_token_is_refreshed_before_the_call() {
    let sb = sandbox(LuwareConfig { token_lifetime: Duration::from_secs(2), ..LuwareConfig::default() }).await;
    let client = client(&sb);
    let id = sb.conversation_id(1);
    conversation(&client, &id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    conversation(&client, &id).await.unwrap();
    assert_eq!(requests_to(&sb, Method::POST, TOKEN_PATH).len(), 2);
    // Refreshed ahead of expiry: no call was rejected and sent again.
    assert_eq!(requests_to(&sb, Method::GET, &format!("{SEARCH_PATH}/{id}")).len(), 2);
}

#[tokio::test]
async fn a_401_triggers_one_refresh_and_one_retry() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    let id = sb.conversation_id(2);
    conversation(&client, &id).await.unwrap();
    sb.revoke_tokens();
    conversation(&client, &id).await.expect("refreshed and retried");
    assert_eq!(requests_to(&sb, Method::POST, TOKEN_PATH).len(), 2);
    assert_eq!(requests_to(&sb, Method::GET, &format!("{SEARCH_PATH}/{id}")).len(), 3);

    // A server that keeps rejecting gives an auth error after one retry, not a loop.
    sb.clear_requests();
    sb.script(ScriptedResponse::new(401).on(Method::GET, SEARCH_PATH).body("token revoked").times(2));
    let err = conversation(&client, &id).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(err.to_string().contains("token revoked"), "{err}");
    assert_eq!(requests_to(&sb, Method::GET, &format!("{SEARCH_PATH}/{id}")).len(), 2);
}

/// Reads 16 conversations at once, each call on its own task.
async fn read_concurrently(sb: &LuwareSandbox, client: &Client) {
    let calls: Vec<_> = (0..16)
        .map(|i| {
            let client = client.clone();
            let id = sb.conversation_id(i);
            tokio::spawn(async move { conversation(&client, &id).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    read_concurrently(&sb, &client).await;
    assert_eq!(requests_to(&sb, Method::POST, TOKEN_PATH).len(), 1);

    // Likewise after a revocation: the 401s of many callers cause one refresh.
    sb.revoke_tokens();
    sb.clear_requests();
    read_concurrently(&sb, &client).await;
    let refreshes = requests_to(&sb, Method::POST, TOKEN_PATH).len();
    assert_eq!(refreshes, 1, "16 rejected callers share one refresh");
}

#[tokio::test]
async fn bad_credentials_are_an_auth_error_without_secrets() {
    let sb = sandbox(LuwareConfig::default()).await;
    let mut credentials = sb.credentials();
    credentials.client_secret = "wrong-secret-value".into();
    let client = Client::new(sb.base_url(), credentials).unwrap();
    let err = conversation(&client, &sb.conversation_id(0)).await.unwrap_err();
    assert!(matches!(err, Error::Auth { operation: "request_token", .. }), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("URL encoded"), "server message kept: {shown}");
    assert!(!shown.contains("wrong-secret-value") && !shown.contains("sandbox-subscription-key"), "{shown}");
}

#[tokio::test]
async fn transcript_downloads_unzips_and_parses() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    let voice = client
        .search(SearchRequest::new(all_filter().with("modalityName=voice".parse().unwrap())).limit(5))
        .try_next()
        .await
        .unwrap()
        .expect("a voice conversation");
    let t = client.transcript(&voice.ccdr_id).await.unwrap();
    assert_eq!(t.provider.as_deref(), Some("intelligentvoice"));
    assert_eq!(t.speakers.len(), 2);
    assert!(t.words.len() > 20 && t.tcus.len() == 6);
    let media = requests_to(&sb, Method::GET, &format!("{SEARCH_PATH}/{}/media", voice.ccdr_id));
    assert_eq!(media[0].query.as_deref(), Some("fileExtension=vtr"));
}

#[tokio::test]
async fn transcript_errors_are_distinct() {
    let sb = sandbox(LuwareConfig::default()).await;
    let id = sb.conversation_id(0);
    let media = format!("{SEARCH_PATH}/{id}/media");
    let client = client(&sb);
    client.authenticate().await.unwrap();

    // A body that is not a zip at all.
    sb.script(ScriptedResponse::new(200).on(Method::GET, &media).json(&serde_json::json!({"error": "no file"})));
    let err = client.transcript(&id).await.unwrap_err();
    assert!(matches!(err.api_error::<TranscriptError>(), Some(TranscriptError::NotAZip { .. })), "{err}");
    // The runtime read the JSON body whole, and the download still shows it.
    assert!(err.to_string().contains("no file"), "{err}");

    // A corrupt zip.
    sb.script(
        ScriptedResponse::new(200).on(Method::GET, &media).body(&b"PK\x03\x04 this is not really a zip archive"[..]),
    );
    let err = client.transcript(&id).await.unwrap_err();
    assert!(
        matches!(err.api_error::<TranscriptError>(), Some(TranscriptError::Zip(_) | TranscriptError::NotAZip { .. })),
        "{err}"
    );

    // A zip with no transcript in it.
    let readme = encode_vtr_raw(b"hello", "readme.txt").unwrap();
    let mut two = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for name in ["a.txt", "b.txt"] {
        two.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut two, b"x").unwrap();
    }
    let two = two.finish().unwrap().into_inner();
    sb.script(ScriptedResponse::new(200).on(Method::GET, &media).body(two));
    let err = client.transcript(&id).await.unwrap_err();
    assert!(matches!(err.api_error::<TranscriptError>(), Some(TranscriptError::NoTranscript { .. })), "{err}");
    let _ = readme;

    // Bad JSON inside the zip.
    sb.script(
        ScriptedResponse::new(200).on(Method::GET, &media).body(encode_vtr_raw(b"{\"provider\": ", "x.vtr").unwrap()),
    );
    let err = client.transcript(&id).await.unwrap_err();
    assert!(matches!(err.api_error::<TranscriptError>(), Some(TranscriptError::Json { .. })), "{err}");

    // A zip bomb: 8 MiB of spaces compresses to a few KiB.
    let bomb = encode_vtr_raw(&vec![b' '; 8 << 20], "bomb.vtr").unwrap();
    assert!(bomb.len() < 64 << 10);
    sb.script(ScriptedResponse::new(200).on(Method::GET, &media).body(bomb));
    let capped = Client::builder(sb.base_url(), sb.credentials())
        .transcript_limits(TranscriptLimits { max_archive_bytes: 1 << 20, max_decompressed_bytes: 1 << 20 })
        .build()
        .unwrap();
    let err = capped.transcript(&id).await.unwrap_err();
    assert!(matches!(err.api_error::<TranscriptError>(), Some(TranscriptError::TooLarge { .. })), "{err}");

    // An archive over the download cap is refused while streaming.
    let tiny = Client::builder(sb.base_url(), sb.credentials())
        .transcript_limits(TranscriptLimits { max_archive_bytes: 64, max_decompressed_bytes: 1 << 20 })
        .build()
        .unwrap();
    let err = tiny.transcript(&id).await.unwrap_err();
    assert!(matches!(err.api_error::<TranscriptError>(), Some(TranscriptError::ArchiveTooLarge { .. })), "{err}");
}

#[tokio::test]
async fn error_statuses_carry_the_status_and_a_body_excerpt() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    let err = conversation(&client, "00000000-0000-4000-8000-000000000000").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(err.body().unwrap().as_str().contains("not found"), "{err}");
    assert!(err.to_string().starts_with("get_conversation: HTTP 404 Not Found: "), "{err}");

    let long = "x".repeat(5_000);
    sb.script(
        ScriptedResponse::new(500).on(Method::POST, "/vfcrest/v1/conversations").body(format!("Internal error {long}")),
    );
    let err = add_label(&client, &sb.conversation_id(1), 3).await.unwrap_err();
    assert!(matches!(err, Error::Status { status, .. } if status.as_u16() == 500), "{err}");
    let body = err.body().unwrap();
    assert!(body.as_str().starts_with("Internal error") && body.is_truncated() && body.as_str().len() <= 512);

    // A success body that does not match the spec keeps an excerpt too.
    sb.script(ScriptedResponse::new(200).on(Method::GET, SEARCH_PATH).json(&serde_json::json!({"records": []})));
    let err = first_page(&client, &SearchRequest::new(all_filter())).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(err.to_string().contains("records"), "{err}");
}

#[tokio::test]
async fn enum_values_the_spec_does_not_list_still_decode() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    let id = sb.conversation_id(4);
    sb.script(ScriptedResponse::new(200).on(Method::GET, format!("{SEARCH_PATH}/{id}")).json(&serde_json::json!({
        "ccdrId": id,
        "direction": "sideways",
        "platformName": "Teams Phone Mobile",
        "modalityName": "voice",
        "someNewField": {"added": "later"},
    })));
    let c = conversation(&client, &id).await.unwrap();
    let direction = c.direction.unwrap();
    assert!(direction.is_unrecognized());
    assert_eq!(direction.as_str(), "sideways");
    assert_eq!(c.platform_name.unwrap().as_str(), "Teams Phone Mobile");
    assert_eq!(c.modality_name.unwrap().as_str(), "voice");
    // Requests stay strict: unknown values cannot be built from text.
    assert!("sideways".parse::<Direction>().is_err());
    assert_eq!("outgoing".parse::<Direction>().unwrap(), Direction::Outgoing);
}

#[tokio::test]
async fn a_503_with_retry_after_is_retried_after_the_wait() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    client.authenticate().await.unwrap();
    let id = sb.conversation_id(5);
    sb.script(ScriptedResponse::new(503).on(Method::GET, SEARCH_PATH).header("Retry-After", "1").times(2));
    let started = Instant::now();
    conversation(&client, &id).await.expect("third attempt succeeds");
    assert!(started.elapsed() >= Duration::from_secs(2), "waited {:?}", started.elapsed());
    assert_eq!(requests_to(&sb, Method::GET, &format!("{SEARCH_PATH}/{id}")).len(), 3);

    // Retries exhausted: the last 503 is returned with its body.
    sb.script(ScriptedResponse::new(503).on(Method::GET, SEARCH_PATH).body("busy").times(3));
    let err = conversation(&client, &id).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));

    // The token call is a POST but safe to repeat, so it is retried.
    sb.revoke_tokens();
    sb.clear_requests();
    sb.script(ScriptedResponse::new(502).on(Method::POST, TOKEN_PATH));
    conversation(&client, &id).await.expect("token retried");
    assert_eq!(requests_to(&sb, Method::POST, TOKEN_PATH).len(), 2);
}

#[tokio::test]
async fn a_post_that_creates_something_is_never_retried() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    let id = sb.conversation_id(6);
    let path = format!("{SEARCH_PATH}/{id}/labels");
    sb.script(ScriptedResponse::new(503).on(Method::POST, &path).header("Retry-After", "0"));
    let err = add_label(&client, &id, 9).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(requests_to(&sb, Method::POST, &path).len(), 1);

    // With retries off, nothing is retried at all.
    let no_retry = Client::builder(sb.base_url(), sb.credentials())
        .config(ClientConfig::default().with_retry(RetryPolicy::disabled()))
        .build()
        .unwrap();
    no_retry.authenticate().await.unwrap();
    sb.clear_requests();
    sb.script(ScriptedResponse::new(503).on(Method::GET, SEARCH_PATH));
    assert!(conversation(&no_retry, &id).await.is_err());
    assert_eq!(sb.requests().len(), 1);
}

#[tokio::test]
async fn labels_metadata_and_control_show_in_later_reads() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    let id = sb.conversation_id(8);
    add_label(&client, &id, 42).await.unwrap();
    let metadata = MetadataRequest::custom(1234, "Custom Metadata Template", [("service_line", "Retail")]);
    client.add_metadata().ccdr_id(&id).body(metadata.clone()).send().await.unwrap();

    let c = client
        .get_conversation()
        .ccdr_id(&id)
        .expands(vec![Expand::Metadata, Expand::TranscriptDb])
        .send()
        .await
        .unwrap();
    assert_eq!(c.labels, vec![42]);
    assert_eq!(c.metadata.len(), 1);
    assert_eq!(c.metadata[0].metadata[0].value, "Retail");
    let get = requests_to(&sb, Method::GET, &format!("{SEARCH_PATH}/{id}"));
    assert_eq!(get.last().unwrap().query.as_deref(), Some("expands=METADATA&expands=TRANSCRIPT_DB"));

    // A second identical label is a 409 from the server.
    let err = add_label(&client, &id, 42).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));

    // Control actions apply only in the fitting recording mode; find one of each.
    let mut controlled = None;
    let mut mismatched = None;
    for i in 0..50 {
        let id = sb.conversation_id(i);
        match control(&client, &id, ControlAction::StopRecording).await {
            Ok(_) => controlled = controlled.or(Some(id)),
            Err(e) => {
                assert_eq!(e.status().map(|s| s.as_u16()), Some(405), "{e}");
                mismatched = mismatched.or(Some(id));
            }
        }
    }
    let controlled = controlled.expect("a controlled user");
    // keepOndemand applies to On-Demand users only and shows as `keep`.
    let mut kept = None;
    for i in 0..50 {
        let id = sb.conversation_id(i);
        if control(&client, &id, ControlAction::KeepOndemand).await.is_ok() {
            kept = Some(id);
            break;
        }
    }
    let kept = conversation(&client, &kept.expect("an on-demand user")).await.unwrap();
    assert_eq!((kept.ondemand, kept.keep), (Some(true), Some(true)));
    assert!(mismatched.is_some());
    control(&client, &controlled, ControlAction::StartRecording).await.unwrap();
    let c = conversation(&client, &controlled).await.unwrap();
    assert_eq!(c.status.map(|s| s.as_str().to_string()).as_deref(), Some("ongoing"));
}

/// Issue 11: the labels body is "not mandatory" (seed 000 L314), metadata
/// goes to templates that exist (L237), and errors are the JSON the spec declares.
#[tokio::test]
async fn optional_label_bodies_unknown_templates_and_json_errors() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    let id = sb.controlled_conversation_id().unwrap();
    let http = crate::raw_http();
    let credentials = sb.credentials();
    let key = credentials.subscription_key.expose().to_string();
    let eid = credentials.eid.to_string();
    let form = [
        ("eid", eid.as_str()),
        ("client_id", &credentials.client_id),
        ("client_secret", credentials.client_secret.expose()),
    ];
    let token: serde_json::Value = http
        .post(format!("{}{TOKEN_PATH}", sb.base_url()))
        .header("Ocp-Apim-Subscription-Key", &key)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let labels = format!("{}{SEARCH_PATH}/{id}/labels", sb.base_url());
    for body in [Some("{}"), None] {
        let mut request = http.post(&labels).bearer_auth(&token).header("Ocp-Apim-Subscription-Key", &key);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{body:?}");
    }
    assert!(conversation(&client, &id).await.unwrap().labels.is_empty(), "nothing was added");

    let unknown = MetadataRequest::custom(99, "No Such Template", [("service_line", "Retail")]);
    let err = Error::from(client.add_metadata().ccdr_id(&id).body(unknown).send().await.unwrap_err());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
    assert!(err.to_string().contains("metadata template 99 not found"), "{err}");

    // Error bodies are `{statusCode, message}`, as the spec now says.
    let response = http.get(format!("{}{SEARCH_PATH}/no-such-id", sb.base_url())).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["statusCode"], 401);
    assert!(body["message"].is_string());
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

/// A `nextPageToken` this server could not have issued is a 400, never a
/// crash (a forged position past the data once overflowed the date arithmetic).
#[tokio::test]
async fn forged_page_tokens_are_refused() {
    use base64::Engine;
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    let filters = r#"{"filtersList":[]}"#;
    for (next, limit) in [(u64::MAX, 10), (5, 0), (5, 1_000_000)] {
        let cursor = serde_json::json!({"filters": filters, "limit": limit, "descending": true, "next": next,
            "expires": u64::MAX / 2});
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cursor.to_string());
        let err = client.search_conversations().next_page_token(token).send().await.unwrap_err();
        let err = Error::from(err);
        assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{next} {limit}: {err}");
        assert!(err.to_string().contains("invalid nextPageToken"), "{err}");
    }
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

#[tokio::test]
async fn debug_output_never_shows_a_secret() {
    let sb = sandbox(LuwareConfig::default()).await;
    let credentials = sb.credentials();
    let client = client(&sb);
    client.authenticate().await.unwrap();
    let token = requests_to(&sb, Method::GET, SEARCH_PATH).len(); // no call yet
    assert_eq!(token, 0);
    let secrets = ["sandbox-subscription-key", "sandbox p@ss&word=1%", "sandbox+p%40ss"];
    let builder = Client::builder(sb.base_url(), credentials.clone());
    let shown = [
        format!("{client:?}"),
        format!("{credentials:?}"),
        format!("{builder:?}"),
        format!("{:?}", LuwareConfig::default()),
        format!("{:?}", ClientConfig::default()),
        format!("{:?}", convo_clients::luware::types::TokenRequest::new(&credentials)),
        format!("{:?}", sb.requests()),
        format!("{sb:?}"),
    ];
    for text in &shown {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret:?} in {text}");
        }
        assert!(!text.contains("Bearer ey"), "token in {text}");
    }
    assert!(shown[0].contains("***") || shown[0].contains("Secret"), "{}", shown[0]);
}

#[tokio::test]
async fn an_error_body_that_echoes_the_credentials_is_masked() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    client.authenticate().await.unwrap();
    let token = sb.requests().iter().rev().find(|r| r.path == TOKEN_PATH).map(|_| ()).is_some();
    assert!(token, "a token was fetched");
    let key = sb.credentials().subscription_key.expose().to_string();
    sb.script(
        ScriptedResponse::new(500)
            .on(Method::GET, SEARCH_PATH)
            .body(format!("upstream failed; request headers: Ocp-Apim-Subscription-Key: {key}"))
            .times(3), // a 500 to a GET is retried; all three attempts fail
    );
    let err = conversation(&client, &sb.conversation_id(2)).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("HTTP 500") && shown.contains("Ocp-Apim-Subscription-Key: ***"), "{shown}");
    assert!(!shown.contains(&key), "{shown}");
}

#[tokio::test]
async fn spec_rules_are_checked_before_anything_is_sent() {
    let sb = sandbox(LuwareConfig::default()).await;
    let client = client(&sb);
    // No wrapper checks these: the spec's rules do, in the runtime.
    let err = conversation(&client, "").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(InvalidInput::Request(_))), "{err}");
    assert!(err.to_string().contains("path parameter is empty"), "{err}");
    let metadata = MetadataRequest::custom(1, "", [("service_line", "Retail")]);
    let err = client.add_metadata().ccdr_id(sb.conversation_id(1)).body(metadata).send().await.unwrap_err();
    let err = Error::from(err);
    assert!(matches!(err, Error::InvalidInput(InvalidInput::Request(_))), "{err}");
    assert!(err.to_string().contains("metaTemplateName"), "{err}");
    // An empty date range: BETWEEN with its bounds the wrong way round, even
    // in filters read from JSON (Luware's date ranges live in the filter table).
    let inverted: Filters = serde_json::from_str(
        r#"{"filtersList":[{"field":"startTime","operator":"BETWEEN",
            "values":["2024-07-02 00:00:00.000","2024-07-01 00:00:00.000"]}]}"#,
    )
    .unwrap();
    let err = first_page(&client, &SearchRequest::new(inverted).limit(10)).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput(InvalidInput::Api(_)))
            && matches!(err.api_error::<FilterError>(), Some(FilterError::BetweenOutOfOrder { .. })),
        "{err}"
    );
    assert!(sb.requests().is_empty(), "nothing was sent, not even a token request: {:?}", sb.requests());
}

#[tokio::test]
async fn a_secret_a_header_cannot_carry_is_refused_before_sending() {
    let sb = sandbox(LuwareConfig::default()).await;
    let mut credentials = sb.credentials();
    credentials.subscription_key = "sandbox-subscription-key\r\nX-Injected: 1".into();
    // Refused as the client is built, as every API's credential is.
    let err = Client::builder(sb.base_url(), credentials).config(fast_retries()).build().unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    assert!(err.to_string().contains("subscriptionKey credential"), "{err}");
    assert!(!err.to_string().contains("sandbox-subscription-key"), "{err}");
    assert!(sb.requests().is_empty(), "nothing was sent: {:?}", sb.requests());
}

/// Page tokens that have always expired: every follow-up page comes from the
/// last record's start time instead, and the walk still delivers each record
/// once, in order, in both directions.
#[tokio::test]
async fn an_expired_page_token_continues_from_the_last_start_time() {
    let expiring =
        sandbox(LuwareConfig { conversations: 60, page_token_lifetime: Duration::ZERO, ..LuwareConfig::default() })
            .await;
    let lasting = sandbox(LuwareConfig { conversations: 60, ..LuwareConfig::default() }).await;
    for order in [SortOrder::Asc, SortOrder::Desc] {
        let request = SearchRequest::new(Filters::new()).limit(7).sort_by_start_time(order.clone());
        let expected: Vec<Conversation> = client(&lasting).search(request.clone()).try_collect().await.unwrap();
        let walked: Vec<Conversation> = client(&expiring).search(request.clone()).try_collect().await.unwrap();
        let ids = |list: &[Conversation]| list.iter().map(|c| c.ccdr_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&walked), ids(&expected), "{order:?}");
        assert_eq!(expected.len(), 60);
    }
    // The fallback was taken: follow-ups were refused and searches repeated.
    let searches = requests_to(&expiring, Method::GET, SEARCH_PATH);
    assert!(searches.iter().filter(|r| r.query.as_deref().unwrap_or_default().contains("filters=")).count() > 10);

    // Unsorted, there is no key to continue from: the refusal is the error.
    let unsorted = SearchRequest::new(Filters::new()).limit(7);
    let err = client(&expiring).search(unsorted).try_collect::<Vec<_>>().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
}

/// A Luware server of our own: the token call answers `token`, any other
/// call conversation `c1`. Returns its URL and the tokens it gave.
async fn token_server(token: serde_json::Value) -> (String, Arc<AtomicUsize>) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let tokens = Arc::new(AtomicUsize::new(0));
    let given = tokens.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let request = fault_server::read_request(&mut socket).await;
            let answer = if request.starts_with(format!("POST {TOKEN_PATH} ").as_bytes()) {
                given.fetch_add(1, Ordering::SeqCst);
                token.clone()
            } else {
                serde_json::json!({"ccdrId": "c1"})
            };
            let _ = socket.write_all(&fault_server::raw(200, answer.to_string().as_bytes())).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, tokens)
}

/// A token lasts as its JWT's `exp` says, else as the answer's `expires_in`
/// says, else as long as the spec documents (an hour): one that lasts two
/// seconds is fetched again a second and a half later, one of an hour is not.
#[tokio::test]
async fn a_token_lasts_as_its_exp_says_else_its_answer_capped_at_the_documented_lifetime() {
    use base64::Engine;
    let jwt = |seconds: u64| {
        let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + seconds;
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims = serde_json::json!({"exp": exp});
        format!("{}.{}.sig", enc.encode(br#"{"alg":"HS256"}"#), enc.encode(claims.to_string()))
    };
    let credentials = || Credentials {
        subscription_key: "key".into(),
        eid: 1000,
        client_id: "user".into(),
        client_secret: "secret".into(),
    };
    for (token, fetched) in [
        // The claim wins over the answer's 50 minutes.
        (serde_json::json!({"access_token": jwt(2), "expires_in": 3000}), 2),
        (serde_json::json!({"access_token": "opaque", "expires_in": 2}), 2),
        (serde_json::json!({"access_token": "opaque"}), 1),
    ] {
        let (url, tokens) = token_server(token.clone()).await;
        let client = Client::new(url, credentials()).unwrap();
        conversation(&client, "c1").await.unwrap();
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        conversation(&client, "c1").await.unwrap();
        assert_eq!(tokens.load(Ordering::SeqCst), fetched, "{token}");
    }
}
