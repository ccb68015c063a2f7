//! The Salesloft client against the Salesloft sandbox, over loopback.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use convo_clients::salesloft::types::{Conversation, ConversationSortBy, LanguageCode, Platform, SortDirection};
use convo_clients::salesloft::{AccessToken, Client, RateLimit, Rated, TokenProvider};
use convo_clients::sandbox::ScriptedResponse;
use convo_clients::sandbox::salesloft::{SalesloftConfig, SalesloftSandbox};
use convo_clients::{ClientConfig, Error, InvalidInput, OperationClient, RetryPolicy};
use futures::TryStreamExt;
use reqwest::Method;

async fn sandbox(config: SalesloftConfig) -> SalesloftSandbox {
    SalesloftSandbox::start(21, 0, config).await.expect("sandbox starts")
}

fn client(sb: &SalesloftSandbox) -> Client {
    Client::builder(convo_clients::salesloft::ApiKey(sb.api_key().into())).base_url(sb.base_url()).build().unwrap()
}

/// One conversation, through the generated operation.
async fn conversation(client: &Client, id: &str) -> Result<Conversation, Error> {
    Ok(client.get_conversation().id(id).send().await?.into_inner().data)
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, day, hour, 0, 0).unwrap()
}

#[tokio::test]
async fn filters_go_out_under_the_api_keys_and_match_the_documented_semantics() {
    let sb = sandbox(SalesloftConfig::default()).await;
    let client = client(&sb);
    let all = sb.all_conversations();
    let owner = all[0].owner_id.clone().unwrap();
    let query = client
        .list_conversations()
        .platform(Platform::Zoom)
        .title_starts_with("Discovery")
        .created_at_gte(at(9, 0))
        .created_at_lt(at(15, 0))
        .duration_gt(120_000)
        .owner_ids(vec![owner.clone()])
        .language_code(LanguageCode::EnUs)
        .sort_by(ConversationSortBy::Duration)
        .sort_direction(SortDirection::Asc)
        .per_page(100)
        .page(1);
    let got: Vec<Conversation> = query.stream().try_collect().await.unwrap();

    let expected: Vec<&Conversation> = all
        .iter()
        .filter(|c| {
            c.platform == Some(Platform::Zoom)
                && c.title.as_deref().unwrap().starts_with("Discovery")
                && c.created_at.unwrap() >= at(9, 0)
                && c.created_at.unwrap() < at(15, 0)
                && c.duration.unwrap() > 120_000.0
                && c.owner_id.as_deref() == Some(&owner)
                && c.language_code.as_deref() == Some("en-US")
        })
        .collect();
    assert!(!expected.is_empty());
    let got_ids: HashSet<_> = got.iter().map(|c| &c.id).collect();
    assert_eq!(got_ids, expected.iter().map(|c| &c.id).collect());
    assert!(got.windows(2).all(|w| w[0].duration <= w[1].duration), "sorted by duration");

    let request = &sb.requests()[0];
    let mut keys: Vec<String> = request.query_pairs().into_iter().map(|(k, _)| k).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at[gte]",
            "created_at[lt]",
            "duration[gt]",
            "language_code",
            "owner_ids",
            "page",
            "per_page",
            "platform",
            "sort_by",
            "sort_direction",
            "title[_starts_with]"
        ]
    );
    assert_eq!(request.query_param("created_at[gte]").as_deref(), Some("2024-01-09T00:00:00Z"));
    assert_eq!(request.query_param("platform").as_deref(), Some("zoom"));
    assert!(request.header("authorization").unwrap().starts_with("Bearer ak_sandbox"));
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

#[tokio::test]
async fn contradictory_or_out_of_range_queries_fail_before_sending() {
    let sb = sandbox(SalesloftConfig::default()).await;
    let client = client(&sb);
    // Empty ranges: the spec's `x-range` pairs, checked by the runtime.
    for (query, pair) in [
        (
            client.list_conversations().created_at_gt(at(20, 0)).created_at_lt(at(10, 0)),
            "query parameters created_at[gt] and created_at[lt]: created_at[gt] \"2024-01-20T00:00:00Z\" is after",
        ),
        (
            client.list_conversations().updated_at_gte(at(10, 0)).updated_at_lt(at(10, 0)),
            "query parameters updated_at[gte] and updated_at[lt]: updated_at[gte] \"2024-01-10T00:00:00Z\" is the same as",
        ),
        (
            client.list_conversations().duration_gt(5_000).duration_lt(4_000),
            "query parameters duration[gt] and duration[lt]: duration[gt] \"5000\" is after duration[lt] \"4000\": the range is empty",
        ),
    ] {
        let err = Error::from(query.page(1).send().await.unwrap_err());
        assert!(matches!(&err, Error::InvalidInput(InvalidInput::Request(m)) if m.contains(pair)), "{err}");
    }
    // A bound on its own, and a range holding one instant, are sent.
    let one_instant = client.list_conversations().updated_at_gte(at(10, 0)).updated_at_lte(at(10, 0));
    assert!(one_instant.page(1).send().await.is_ok());
    assert_eq!(sb.requests().len(), 1);
    sb.clear_requests();
    // The generated call is checked by the same rule: nothing hand-written.
    let raw = client.list_conversations().updated_at_gte(at(11, 0)).updated_at_lte(at(10, 0)).send().await;
    let err = Error::from(raw.unwrap_err());
    assert!(err.to_string().contains("the range is empty"), "{err}");
    // Not a date-time (`format: date-time`), or an inverted pair of raw
    // values, as the CLI's operation commands send them.
    for (query, expected) in [
        ("updated_at%5Blte%5D=notadate", r#"query parameter updated_at[lte]: "notadate" is not a date-time"#),
        ("created_at%5Bgte%5D=2024-02-30T00:00:00Z", "is not a date-time"),
        ("updated_at%5Bgte%5D=2024-01-02T00:00:00Z&updated_at%5Blte%5D=2024-01-01", "is not a date-time"),
        ("updated_at%5Bgte%5D=2024-01-02T00:00:00Z&updated_at%5Blte%5D=2024-01-02T01:00:00%2B02:00", "range is empty"),
    ] {
        let url = format!("{}/v2/conversations?{query}", client.base_url());
        let request = client.http_client().get(url).build().unwrap();
        let err = client.generated().execute_operation("listConversations", request).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidInput(InvalidInput::Request(m)) if m.contains(expected)),
            "{query}: {err}"
        );
    }
    // The vendor's own notations pass: RFC 3339 with an offset or fraction.
    for at in ["2024-01-02T00:00:00Z", "2024-01-02T00:00:00.123456%2B02:00"] {
        let url = format!("{}/v2/conversations?updated_at%5Bgte%5D={at}", client.base_url());
        let request = client.http_client().get(url).build().unwrap();
        client.generated().execute_operation("listConversations", request).await.unwrap();
    }
    sb.clear_requests();
    // Page size and page: the spec's rules, checked by the runtime.
    for (per_page, page, name) in [(0, 1, "per_page"), (101, 1, "per_page"), (25, 0, "page")] {
        let err = Error::from(client.list_conversations().per_page(per_page).page(page).send().await.unwrap_err());
        assert!(matches!(&err, Error::InvalidInput(InvalidInput::Request(m)) if m.contains(name)), "{err}");
    }
    let err = Error::from(client.list_conversations().per_page(101).page(1).send().await.unwrap_err());
    assert!(err.to_string().contains("per_page: 101 is greater than the maximum 100"), "{err}");
    assert!(sb.requests().is_empty());
    // Two bounds of one side contradict (the spec's `x-not-with`): refused.
    for contradictory in [
        client.list_conversations().created_at_gt(at(9, 0)).created_at_gte(at(10, 0)),
        client.list_conversations().duration_lt(5).duration_lte(6),
        client.list_conversations().title("Demo").title_starts_with("De"),
    ] {
        let err = Error::from(contradictory.page(1).send().await.unwrap_err());
        assert!(err.to_string().contains("may not be sent together with"), "{err}");
    }
    assert!(sb.requests().is_empty());
    // Setting a bound again replaces it rather than adding a second key.
    let q = client.list_conversations().created_at_gte(at(9, 0)).created_at_gte(at(10, 0));
    q.page(1).send().await.unwrap();
    let pairs = sb.requests()[0].query_pairs();
    let bounds: Vec<_> = pairs.iter().filter(|(k, _)| k.starts_with("created_at")).collect();
    assert_eq!(bounds, [&("created_at[gte]".to_string(), "2024-01-10T00:00:00Z".to_string())]);
}

#[tokio::test]
async fn pages_stream_until_next_page_is_null() {
    let sb = sandbox(SalesloftConfig { conversations: 237, ..SalesloftConfig::default() }).await;
    let client = client(&sb);
    let ids: Vec<String> =
        client.list_conversations().per_page(25).page(1).stream().map_ok(|c| c.id).try_collect().await.unwrap();
    assert_eq!(ids.len(), 237);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 237);
    assert_eq!(sb.requests().len(), 10);
    let pages: Vec<String> = sb.requests().iter().map(|r| r.query_param("page").unwrap()).collect();
    assert_eq!(pages, (1..=10).map(|p| p.to_string()).collect::<Vec<_>>());

    let page = client.list_conversations().include_paging_counts(true).page(3).send().await.unwrap();
    let paging = &page.metadata.paging;
    assert_eq!((paging.current_page, paging.next_page, paging.prev_page), (3, Some(4), Some(2)));
    assert_eq!((paging.total_pages, paging.total_count), (Some(10), Some(237)));
    let plain = client.list_conversations().page(10).send().await.unwrap();
    assert_eq!((plain.metadata.paging.next_page, plain.metadata.paging.total_count), (None, None));
}

#[tokio::test]
async fn updated_since_walks_a_cursor_without_losing_or_repeating_ties() {
    let sb = sandbox(SalesloftConfig { conversations: 120, ..SalesloftConfig::default() }).await;
    let client = client(&sb);
    let all = sb.all_conversations();
    let since = all[10].updated_at.unwrap();
    let mut expected: Vec<&Conversation> = all.iter().filter(|c| c.updated_at.unwrap() > since).collect();
    expected.sort_by_key(|c| c.updated_at);
    // Updates come in threes sharing a timestamp; pages of 2 and 4 split them,
    // and pages of 2 sometimes hold nothing but one timestamp.
    for per_page in [2, 4, 100] {
        sb.clear_requests();
        let got: Vec<Conversation> =
            client.updated_since(since, client.list_conversations().per_page(per_page)).try_collect().await.unwrap();
        let ids: Vec<&String> = got.iter().map(|c| &c.id).collect();
        assert_eq!(ids.len(), expected.len(), "per_page {per_page}");
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "no repeats, per_page {per_page}");
        assert_eq!(
            ids.iter().copied().collect::<HashSet<_>>(),
            expected.iter().map(|c| &c.id).collect(),
            "per_page {per_page}"
        );
        assert!(got.windows(2).all(|w| w[0].updated_at <= w[1].updated_at));
        let first = &sb.requests()[0];
        assert_eq!(first.query_param("sort_by").as_deref(), Some("updated_at"));
        assert_eq!(first.query_param("sort_direction").as_deref(), Some("asc"));
        assert!(first.query_param("updated_at[gt]").is_some());
        // Later requests move the cursor instead of paging deep.
        assert!(sb.requests().iter().all(|r| r.query_param("page").unwrap().parse::<u32>().unwrap() <= 2));
    }
}

#[tokio::test]
async fn rate_limit_headers_are_exposed_and_a_429_is_waited_out() {
    // Half a second: the spec's is a minute; each paced call below waits one
    // out (the spec's dearest call costs more than this budget).
    const WINDOW: Duration = Duration::from_millis(500);
    let config = SalesloftConfig { budget: 5, window: WINDOW, ..SalesloftConfig::default() };
    let sb = sandbox(config).await;
    // Paced by the sandbox's window.
    let paced = Client::builder(convo_clients::salesloft::ApiKey(sb.api_key().into()))
        .base_url(sb.base_url())
        .config(ClientConfig::default().with_rate_limit_window(WINDOW))
        .build()
        .unwrap();
    let page = Rated::from(paced.list_conversations().page(1).send().await.unwrap());
    assert_eq!(page.rate_limit.remaining_minute, Some(4));
    assert_eq!(page.rate_limit.endpoint_cost, Some(1));

    let started = Instant::now();
    for _ in 0..8 {
        paced.list_conversations().page(1).send().await.expect("paced, so never refused");
    }
    assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
    assert_eq!(sb.requests().len(), 9, "the client waited for the window instead of drawing 429s");

    // Deep pages cost more.
    tokio::time::sleep(WINDOW).await;
    let deep = Rated::from(paced.list_conversations().page(101).send().await.unwrap());
    assert_eq!(deep.rate_limit.endpoint_cost, Some(3));

    // An `updated_since` walk keeps the state of the latest page it fetched.
    tokio::time::sleep(WINDOW).await;
    let since = at(1, 0);
    let walk = paced.updated_since(since, paced.list_conversations().per_page(100));
    let _: Vec<Conversation> = walk.try_collect().await.unwrap();
    let last = paced.last_rate_limit().expect("the walk's pages reported the rate limit");
    assert_eq!(last.endpoint_cost, Some(1));

    // A client that has not seen the headers yet draws the 429 when others
    // spent the budget: it waits out Retry-After and asks again. A sandbox
    // of its own with a longer window, so that a loaded machine's pause
    // between spending the budget and the call cannot renew it first.
    const LONGER: Duration = Duration::from_secs(2);
    let sb = sandbox(SalesloftConfig { budget: 5, window: LONGER, ..SalesloftConfig::default() }).await;
    let http = crate::raw_http();
    let spend = |n: usize| {
        let (http, url, key) = (http.clone(), format!("{}/v2/conversations", sb.base_url()), sb.api_key());
        async move {
            for _ in 0..n {
                http.get(&url).bearer_auth(&key).send().await.unwrap();
            }
        }
    };
    spend(5).await;
    sb.clear_requests();
    let fresh = Client::builder(convo_clients::salesloft::ApiKey(sb.api_key().into()))
        .base_url(sb.base_url())
        .config(ClientConfig::default().with_rate_limit_window(LONGER))
        .build()
        .unwrap();
    fresh.list_conversations().page(1).send().await.expect("429s are retried after Retry-After");
    assert!(sb.requests().len() >= 2, "the first was answered 429 and sent again: {}", sb.requests().len());

    // With retries off, the 429 comes back with its status and message (the
    // renewed window's budget is spent: one by `fresh`, four here).
    spend(4).await;
    let impatient = Client::builder(convo_clients::salesloft::ApiKey(sb.api_key().into()))
        .base_url(sb.base_url())
        .config(ClientConfig::default().with_retry(RetryPolicy::disabled()))
        .build()
        .unwrap();
    let err = Error::from(impatient.list_conversations().page(1).send().await.unwrap_err());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429), "{err}");
    assert_eq!(err.body().and_then(|b| b.message()).as_deref(), Some("Rate limit exceeded"));
}

/// An OAuth client stand-in: each call mints a new access token at the sandbox.
#[derive(Debug)]
struct OAuth {
    sandbox: Arc<SalesloftSandbox>,
    calls: AtomicUsize,
    lifetime: Option<Duration>,
}

impl TokenProvider for OAuth {
    fn access_token(&self) -> std::pin::Pin<Box<dyn Future<Output = convo_clients::Result<AccessToken>> + Send + '_>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let token = AccessToken { token: self.sandbox.issue_access_token().into(), expires_in: self.lifetime };
        Box::pin(async move { Ok(token) })
    }
}

#[tokio::test]
async fn a_token_provider_is_asked_again_after_a_401_and_before_expiry() {
    let sb = Arc::new(sandbox(SalesloftConfig::default()).await);
    let provider =
        Arc::new(OAuth { sandbox: sb.clone(), calls: AtomicUsize::new(0), lifetime: Some(Duration::from_secs(4)) });
    let client = Client::builder(provider.clone()).base_url(sb.base_url()).build().unwrap();
    client.list_conversations().page(1).send().await.unwrap();
    client.list_conversations().page(1).send().await.unwrap();
    assert_eq!(provider.calls.load(Ordering::SeqCst), 1, "cached");

    sb.revoke_access_tokens();
    client.list_conversations().page(1).send().await.expect("refreshed after the 401");
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);

    // Refreshed ahead of expiry (here: half its 4 s lifetime; long enough
    // that the calls above, on a loaded machine, stay in the first half).
    tokio::time::sleep(Duration::from_millis(2_050)).await;
    client.list_conversations().page(1).send().await.unwrap();
    assert_eq!(provider.calls.load(Ordering::SeqCst), 3);
    assert_eq!(sb.requests().len(), 5, "four calls, one of them answered 401 and sent once more");
}

#[tokio::test]
async fn single_records_errors_and_unknown_values() {
    let sb = sandbox(SalesloftConfig::default()).await;
    let client = client(&sb);
    let first = sb.all_conversations().remove(0);
    // Single records are the generated operations; `Rated::from` reads the
    // rate limit of any of their responses.
    let response = client.get_conversation().id(&first.id).send().await.unwrap();
    let rate_limit = RateLimit::from_headers(response.headers());
    let got = Rated::from(response);
    assert_eq!(got.data.id, first.id);
    assert!(got.rate_limit.remaining_minute.is_some());
    assert_eq!(got.rate_limit, rate_limit);
    let extensive = client.get_conversation_extensive().id(&first.id).send().await.unwrap().into_inner().data;
    assert_eq!(extensive.invitees.len(), 3);
    assert!(extensive.attendees.iter().any(|a| a.is_internal == Some(true)));
    let transcription = client.get_transcription().id(&first.id).send().await.unwrap().into_inner().data;
    assert_eq!(transcription.conversation.as_ref().unwrap().id.as_deref(), Some(first.id.as_str()));

    let err = conversation(&client, "00000000-0000-4000-9000-000000000000").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.body().and_then(|b| b.message()).as_deref(), Some("Not Found"));
    // An empty id breaks the spec's path: rejected before sending.
    let sent = sb.requests().len();
    let err = conversation(&client, "").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(InvalidInput::Request(_))), "{err}");
    assert_eq!(sb.requests().len(), sent);

    let bad =
        Client::builder(convo_clients::salesloft::ApiKey("ak_wrong".into())).base_url(sb.base_url()).build().unwrap();
    let err = conversation(&bad, &first.id).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");
    assert!(!format!("{err:?} {bad:?}").contains("ak_wrong"));

    sb.script(ScriptedResponse::new(200).on(Method::GET, "/v2/conversations/").json(&serde_json::json!({
        "data": {"id": first.id, "platform": "hubspot_meetings", "media_type": "hologram"}
    })));
    let odd = conversation(&client, &first.id).await.unwrap();
    assert_eq!(odd.platform.unwrap().as_str(), "hubspot_meetings");
    assert!(odd.media_type.unwrap().is_unrecognized());

    // Salesloft answers a bad parameter with 422 naming it.
    let raw = crate::raw_http()
        .get(format!("{}/v2/conversations?per_page=500", sb.base_url()))
        .bearer_auth(sb.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 422);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert!(body["errors"]["query parameter per_page"].is_array(), "{body}");
}

#[tokio::test]
async fn every_filter_key_as_the_server_receives_it() {
    use convo_clients::salesloft::types::MediaType;
    let sb = sandbox(SalesloftConfig::default()).await;
    let client = client(&sb);
    let ids = |ids: &[&str]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>();
    let exclusive = client
        .list_conversations()
        .title("Demo for Contoso")
        .created_at_gt(at(9, 1))
        .created_at_lt(at(20, 2))
        .updated_at_gt(at(9, 3))
        .updated_at_lt(at(20, 4))
        .duration_gt(1_000)
        .duration_lt(9_000_000)
        .language_code(LanguageCode::EnGb)
        .platform(Platform::MsTeams)
        .owner_ids(ids(&["o1", "o2"]))
        .user_guids(ids(&["u1"]))
        .ids(ids(&["i1", "i2", "i3"]))
        .account_ids(ids(&["a1"]))
        .person_ids(ids(&["p1"]))
        .is_api(false)
        .media_type(MediaType::Audio)
        .sort_by(ConversationSortBy::UpdatedAt)
        .sort_direction(SortDirection::Asc)
        .per_page(10)
        .include_paging_counts(true);
    exclusive.page(2).send().await.unwrap();
    let inclusive = client
        .list_conversations()
        .title_starts_with("Renewal")
        .created_at_gte(at(9, 5))
        .created_at_lte(at(20, 6))
        .updated_at_gte(at(9, 7))
        .updated_at_lte(at(20, 8))
        .duration_gte(2_000)
        .duration_lte(8_000_000);
    inclusive.page(1).send().await.unwrap();

    let requests = sb.requests();
    let mut first = requests[0].query_pairs();
    first.sort();
    let expected: Vec<(String, String)> = [
        ("account_ids", "a1"),
        ("created_at[gt]", "2024-01-09T01:00:00Z"),
        ("created_at[lt]", "2024-01-20T02:00:00Z"),
        ("duration[gt]", "1000"),
        ("duration[lt]", "9000000"),
        ("ids", "i1"),
        ("ids", "i2"),
        ("ids", "i3"),
        ("include_paging_counts", "true"),
        ("is_api", "false"),
        ("language_code", "en-GB"),
        ("media_type", "audio"),
        ("owner_ids", "o1"),
        ("owner_ids", "o2"),
        ("page", "2"),
        ("per_page", "10"),
        ("person_ids", "p1"),
        ("platform", "ms_teams"),
        ("sort_by", "updated_at"),
        ("sort_direction", "asc"),
        ("title", "Demo for Contoso"),
        ("updated_at[gt]", "2024-01-09T03:00:00Z"),
        ("updated_at[lt]", "2024-01-20T04:00:00Z"),
        ("user_guids", "u1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(first, expected);
    let mut second = requests[1].query_pairs();
    second.sort();
    let expected: Vec<(String, String)> = [
        ("created_at[gte]", "2024-01-09T05:00:00Z"),
        ("created_at[lte]", "2024-01-20T06:00:00Z"),
        ("duration[gte]", "2000"),
        ("duration[lte]", "8000000"),
        ("page", "1"),
        ("title[_starts_with]", "Renewal"),
        ("updated_at[gte]", "2024-01-09T07:00:00Z"),
        ("updated_at[lte]", "2024-01-20T08:00:00Z"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(second, expected);
    assert!(sb.contract_violations().is_empty());
}

/// Issue 11: every `_href` the sandbox puts in a record is Salesloft's URL of
/// an operation of the spec (it answers under the sandbox's base URL);
/// references to resources the spec does not model carry their id alone. And
/// a page number far past the end is an empty page, not a crash.
#[tokio::test]
async fn links_resolve_and_far_pages_are_empty() {
    let sb = sandbox(SalesloftConfig::default()).await;
    let http = crate::raw_http();
    let get = |url: String| http.get(url).bearer_auth(sb.api_key()).send();
    let list: serde_json::Value =
        get(format!("{}/v2/conversations?per_page=3", sb.base_url())).await.unwrap().json().await.unwrap();
    let transcriptions: serde_json::Value =
        get(format!("{}/v2/transcriptions?per_page=3", sb.base_url())).await.unwrap().json().await.unwrap();
    let mut links = Vec::new();
    for record in list["data"].as_array().unwrap().iter().chain(transcriptions["data"].as_array().unwrap()) {
        for (name, reference) in record.as_object().unwrap() {
            let Some(reference) = reference.as_object().filter(|r| r.contains_key("id")) else { continue };
            assert!(reference["id"].is_string(), "{name}");
            match reference.get("_href") {
                Some(href) => links.push(href.as_str().unwrap().to_string()),
                None => assert!(
                    ["account", "person", "recording", "transcription_artifact"].contains(&name.as_str()),
                    "{name} has no link"
                ),
            }
        }
    }
    assert_eq!(links.len(), 3 * 2 + 3 * 2, "{links:?}");
    for link in links {
        let path = link.strip_prefix("https://api.salesloft.com").unwrap_or_else(|| panic!("{link}"));
        let response = get(format!("{}{path}", sb.base_url())).await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{link}");
    }

    let id = sb.all_conversations()[0].id.clone();
    for path in [format!("/v2/transcriptions/{id}/sentences"), "/v2/conversations".into()] {
        let far = get(format!("{}{path}?page=2147483647&include_paging_counts=true", sb.base_url())).await.unwrap();
        assert_eq!(far.status().as_u16(), 200, "{path}");
        let far: serde_json::Value = far.json().await.unwrap();
        assert_eq!(far["data"], serde_json::json!([]));
        assert_eq!(far["metadata"]["paging"]["next_page"], serde_json::Value::Null);
        assert_eq!(far["metadata"]["paging"]["current_page"], 2147483647);
    }
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

#[tokio::test]
async fn every_sort_order_pages_like_a_sort_of_the_whole_data_set() {
    let sb = sandbox(SalesloftConfig { conversations: 120, ..SalesloftConfig::default() }).await;
    let client = client(&sb);
    let all = sb.all_conversations();
    for sort_by in [ConversationSortBy::CreatedAt, ConversationSortBy::UpdatedAt, ConversationSortBy::Duration] {
        for direction in [SortDirection::Asc, SortDirection::Desc] {
            // A stable sort of the data set by the key, ties by creation; desc is its reverse.
            let mut expected = all.clone();
            expected.sort_by(|a, b| {
                let order = match sort_by {
                    ConversationSortBy::UpdatedAt => a.updated_at.cmp(&b.updated_at),
                    ConversationSortBy::Duration => a.duration.partial_cmp(&b.duration).unwrap(),
                    _ => a.created_at.cmp(&b.created_at),
                };
                order.then(a.created_at.cmp(&b.created_at))
            });
            if direction == SortDirection::Desc {
                expected.reverse();
            }
            let query = client.list_conversations().sort_by(sort_by.clone()).sort_direction(direction.clone());
            let got: Vec<Conversation> = query.per_page(25).stream().try_collect().await.unwrap();
            let ids = |list: &[Conversation]| list.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&expected), "{sort_by:?} {direction:?}");
            // With a filter, the matches in the same order.
            let query = client.list_conversations().platform(Platform::Zoom).sort_by(sort_by.clone());
            let got: Vec<Conversation> =
                query.sort_direction(direction.clone()).per_page(7).stream().try_collect().await.unwrap();
            expected.retain(|c| c.platform == Some(Platform::Zoom));
            assert!(expected.len() > 7);
            assert_eq!(ids(&got), ids(&expected), "{sort_by:?} {direction:?}, Zoom only");
        }
    }
}

/// A generated `stream()` stopped anywhere resumes from its token with no
/// record lost or repeated; the token of one list or query is refused by
/// another.
#[tokio::test]
async fn a_generated_stream_resumes_and_its_token_fits_only_its_own_query() {
    let sb = sandbox(SalesloftConfig { conversations: 60, ..SalesloftConfig::default() }).await;
    let client = client(&sb);
    let list = || client.list_conversations().per_page(7).sort_by(ConversationSortBy::CreatedAt);
    let all: Vec<String> = list().stream().map_ok(|c| c.id).try_collect().await.unwrap();
    assert_eq!(all.len(), 60);

    let mut walk = list().stream();
    let mut got = Vec::new();
    for _ in 0..17 {
        got.push(walk.try_next().await.unwrap().unwrap().id);
    }
    let token = walk.resume_token().unwrap();
    drop(walk);
    let rest: Vec<String> = list().stream().resume(&token).unwrap().map_ok(|c| c.id).try_collect().await.unwrap();
    got.extend(rest);
    assert_eq!(got, all);

    assert!(client.list_conversations().per_page(8).stream().resume(&token).is_err(), "another query");
    assert!(client.list_transcriptions().stream().resume(&token).is_err(), "another list");
}

/// The spec's `x-filter`s, served by the sandbox's generic store: a
/// reference's id (`account.id`), a repeated list, and a bound written with
/// an offset, which compares as the instant it names.
#[tokio::test]
async fn declared_filters_match_references_lists_and_instants() {
    let sb = sandbox(SalesloftConfig { conversations: 120, ..SalesloftConfig::default() }).await;
    let client = client(&sb);
    let all = sb.all_conversations();
    let ids = |list: &[&Conversation]| list.iter().map(|c| c.id.clone()).collect::<HashSet<_>>();
    let account = all[5].account.as_ref().and_then(|a| a.id.clone()).unwrap();
    let query = client.list_conversations().account_ids(vec![account.clone()]).per_page(100);
    let got: Vec<Conversation> = query.stream().try_collect().await.unwrap();
    let expected: Vec<&Conversation> =
        all.iter().filter(|c| c.account.as_ref().and_then(|a| a.id.as_ref()) == Some(&account)).collect();
    assert_eq!(ids(&got.iter().collect::<Vec<_>>()), ids(&expected));

    let two = vec![all[3].id.clone(), all[90].id.clone(), "not-an-id".to_owned()];
    let got: Vec<Conversation> = client.list_conversations().ids(two).stream().try_collect().await.unwrap();
    assert_eq!(ids(&got.iter().collect::<Vec<_>>()), ids(&[&all[3], &all[90]]));

    // 11:00 at +02:00 is 09:00 UTC.
    let url = format!(
        "{}/v2/conversations?created_at%5Bgt%5D=2024-01-09T11:00:00%2B02:00&include_paging_counts=true",
        sb.base_url()
    );
    let page: serde_json::Value =
        crate::raw_http().get(url).bearer_auth(sb.api_key()).send().await.unwrap().json().await.unwrap();
    let later = all.iter().filter(|c| c.created_at.unwrap() > at(9, 9)).count();
    assert!(later > 0 && later < all.len());
    assert_eq!(page["metadata"]["paging"]["total_count"], later, "{page}");
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}
