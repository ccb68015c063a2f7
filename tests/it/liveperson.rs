//! The LivePerson client against the LivePerson sandbox, over loopback.

use std::time::Duration;

use convo_clients::liveperson::types::{
    Command, CommandState, CsdsVersion, Gender, Message, PersonalInfo, PersonalSde, PersonalSdeType, Sde,
    SetSdesRequest, StructuredContent, StructuredContentMessage, TransferRequest,
};
use convo_clients::liveperson::{
    BotDomain, Client, CommandOptions, Credentials, InputError, LoginForm, SdeInput, Ttr, Zone,
};
use convo_clients::sandbox::RecordedRequest;
use convo_clients::sandbox::liveperson::{
    COMMAND_EXPIRED, EXAMPLE_CONVERSATION, EXECUTION_FAILED, LivePersonConfig, LivePersonSandbox,
};
use convo_clients::{Error, InvalidInput};
use progenitor_client::ClientInfo;
use reqwest::Method;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

async fn sandbox() -> LivePersonSandbox {
    let config = LivePersonConfig {
        command_delay: Duration::from_millis(50),
        ttl_unit: Duration::from_millis(20),
        ..LivePersonConfig::default()
    };
    LivePersonSandbox::start(9, 0, config).await.expect("sandbox starts")
}

/// A client that finds the sandbox through the domain lookup, as it would
/// find LivePerson: the sandbox serves the lookup and the zone's API.
fn client(sb: &LivePersonSandbox, credentials: Credentials) -> Client {
    Client::builder(sb.account_id(), credentials)
        .csds_base_url(sb.base_url())
        .zone_base_url(sb.zone(), sb.base_url())
        .build()
        .unwrap()
}

fn to(sb: &LivePersonSandbox, method: Method, suffix: &str) -> Vec<RecordedRequest> {
    sb.requests().into_iter().filter(|r| r.method == method && r.path.ends_with(suffix)).collect()
}

fn body(r: &RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

// Operations without a hand-written flow are the generated builders; these
// helpers only spare the tests that call them often the builder chain.

async fn close(client: &Client, conversation: &str, ttl: Option<u32>) -> Result<String, Error> {
    let api = client.generated().await?;
    let call = api.close_conversation().account_id(client.account_id()).conversation_id(conversation);
    let call = match ttl {
        Some(ttl) => call.ttl(ttl),
        None => call,
    };
    Ok(call.send().await?.into_inner().command_id)
}

async fn commands(client: &Client, conversation: &str) -> Result<Vec<Command>, Error> {
    let api = client.generated().await?;
    let call = api.list_commands().account_id(client.account_id()).conversation_id(conversation);
    Ok(call.send().await?.into_inner().0)
}

async fn command(client: &Client, conversation: &str, id: &str) -> Result<Command, Error> {
    let api = client.generated().await?;
    let call = api.get_command().account_id(client.account_id()).conversation_id(conversation).command_id(id);
    Ok(call.send().await?.into_inner())
}

#[tokio::test]
async fn the_domain_is_looked_up_once_and_mapped_from_the_zone() {
    let sb = sandbox().await;
    let client = client(&sb, sb.credentials());
    assert_eq!(client.base_url().await.unwrap(), sb.base_url());
    client.send_text(EXAMPLE_CONVERSATION, "hi").await.unwrap();
    client.send_text(EXAMPLE_CONVERSATION, "again").await.unwrap();
    let lookups = to(&sb, Method::GET, "/service/botConnectorsDomain/baseURI.json");
    assert_eq!(lookups.len(), 1, "cached");
    assert_eq!(lookups[0].path, format!("/api/account/{}/service/botConnectorsDomain/baseURI.json", sb.account_id()));
    assert_eq!(lookups[0].query.as_deref(), Some("version=1.0"));

    // A zone given directly needs no lookup; an unknown account fails the lookup.
    sb.clear_requests();
    let direct = Client::builder(sb.account_id(), sb.credentials())
        .domain(BotDomain::Zone(Zone::Z2))
        .zone_base_url(Zone::Z2, sb.base_url())
        .build()
        .unwrap();
    direct.send_text(EXAMPLE_CONVERSATION, "hi").await.unwrap();
    assert!(to(&sb, Method::GET, "baseURI.json").is_empty());
    let stranger = Client::builder("99999999", sb.credentials()).csds_base_url(sb.base_url()).build().unwrap();
    let err = stranger.send_text(EXAMPLE_CONVERSATION, "hi").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err}");
    assert_eq!(
        Zone::from_connectors_domain("z3.bot-connectors.liveperson.net").unwrap().base_url(),
        "https://bot-platform-api.apac.fs.liveperson.com"
    );
}

#[tokio::test]
async fn login_bodies_for_both_auth_types() {
    let sb = sandbox().await;
    client(&sb, sb.credentials()).login().await.unwrap();
    client(&sb, sb.api_key_credentials()).login().await.unwrap();
    let logins = to(&sb, Method::POST, "/login");
    assert_eq!(logins.len(), 2);
    assert_eq!(logins[0].path, format!("/api/v1/account/{}/login", sb.account_id()));
    assert_eq!(logins[0].query.as_deref(), Some("v=1.3"));
    assert_eq!(
        body(&logins[0]),
        json!({"authType": "USER_PASS", "credentials": {"username": "sandbox-bot", "password": "sandbox-bot-password"}})
    );
    assert_eq!(
        body(&logins[1]),
        json!({"authType": "API_KEY", "credentials": {
            "username": "sandbox-bot", "appKey": "sandbox-app-key", "secret": "sandbox-app-secret",
            "accessToken": "sandbox-access-token", "accessTokenSecret": "sandbox-access-token-secret"}})
    );
    let wrong = Client::builder(sb.account_id(), Credentials::user_pass("sandbox-bot", "nope"))
        .domain(BotDomain::BaseUrl(sb.base_url()))
        .build()
        .unwrap();
    let err = wrong.login().await.unwrap_err();
    assert!(matches!(err, Error::Auth { operation: "login", .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains("nope"));
}

/// The seed's own login (`/api/account/{id}/login`, username and password)
/// is a choice of the builder; its bearer works like the current login's.
#[tokio::test]
async fn the_seeds_legacy_login_is_offered() {
    let sb = sandbox().await;
    let legacy = |credentials| {
        Client::builder(sb.account_id(), credentials)
            .domain(BotDomain::BaseUrl(sb.base_url()))
            .login_form(LoginForm::Legacy)
            .build()
    };
    let client = legacy(sb.credentials()).unwrap();
    client.send_text(EXAMPLE_CONVERSATION, "Hello").await.unwrap();
    let logins = to(&sb, Method::POST, "/login");
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].path, format!("/api/account/{}/login", sb.account_id()));
    assert_eq!(logins[0].query.as_deref(), Some("v=1.3"));
    assert_eq!(body(&logins[0]), json!({"username": "sandbox-bot", "password": "sandbox-bot-password"}));

    // API-key credentials have no legacy form: refused before anything is sent.
    let err = legacy(sb.api_key_credentials()).unwrap_err();
    assert!(matches!(&err, Error::InvalidInput(InvalidInput::Config(m)) if m.contains("legacy login")), "{err}");
    let err = legacy(Credentials::user_pass("sandbox-bot", "nope")).unwrap().login().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains("nope"));
    assert_eq!(to(&sb, Method::POST, "/login").len(), 2);
}

#[tokio::test]
async fn concurrent_callers_share_one_login_and_a_401_logs_in_once_more() {
    let sb = sandbox().await;
    let client = client(&sb, sb.credentials());
    let send_many = |client: &Client| {
        let calls: Vec<_> = (0..12)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move { client.send_text(EXAMPLE_CONVERSATION, format!("hello {i}")).await })
            })
            .collect();
        async move {
            for call in calls {
                call.await.unwrap().unwrap();
            }
        }
    };
    send_many(&client).await;
    assert_eq!(to(&sb, Method::POST, "/login").len(), 1);

    sb.revoke_sessions();
    send_many(&client).await;
    assert_eq!(to(&sb, Method::POST, "/login").len(), 2, "one re-login for all rejected callers");

    // One session per user: a second client's login ends the first's session,
    // and the first logs in again on its next call.
    let other = self::client(&sb, sb.credentials());
    other.login().await.unwrap();
    client.send_text(EXAMPLE_CONVERSATION, "still here").await.unwrap();
    assert_eq!(to(&sb, Method::POST, "/login").len(), 4);
}

#[tokio::test]
async fn every_command_type_completes() {
    let sb = sandbox().await;
    let client = client(&sb, sb.credentials());
    let conversation = sb.open_conversation();
    let personal = PersonalInfo::builder()
        .firstname(Some("Muster".to_owned()))
        .lastname(Some("Mann".to_owned()))
        .gender(Some(Gender::Male));
    let personal = PersonalSde::builder().type_(PersonalSdeType::Personal).personal(personal);
    let personal = Sde::PersonalSde(personal.try_into().unwrap());
    let sdes = SetSdesRequest::new("visitor-1", "session-1", vec![SdeInput::from(personal)]);
    let ids = vec![
        client.send_text(&conversation, "Hi i am text Message").await.unwrap(),
        client.transfer(&conversation, "human_skill", CommandOptions::ttl(60)).await.unwrap(),
        client.set_sdes(&conversation, &sdes, CommandOptions::default()).await.unwrap(),
        {
            let api = client.generated().await.unwrap();
            let call = api.set_ttr().account_id(client.account_id()).conversation_id(&conversation);
            call.body(Ttr::Custom(45)).send().await.unwrap().into_inner().command_id
        },
    ];
    for id in &ids {
        let command = client.wait_for_command(&conversation, id, WAIT).await.unwrap();
        assert_eq!(command.state, CommandState::Completed);
        let result = command.result.unwrap();
        assert!(result.error.is_none() && result.execution_time.is_some());
    }
    let listed = commands(&client, &conversation).await.unwrap();
    assert_eq!(listed.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), ids.iter().rev().cloned().collect::<Vec<_>>());
    let kinds: Vec<_> =
        listed.iter().map(|c| c.data.as_ref().unwrap().type_.as_ref().unwrap().as_str().to_string()).collect();
    assert_eq!(kinds, ["ttr", "sdes", "transfer", "messages"]);
    // Messages show normalised in the history, as on the vendor's page.
    assert_eq!(
        listed[3].data.as_ref().unwrap().payload,
        Some(json!([{"payload": "Hi i am text Message", "metadata": [], "type": "text"}]))
    );
    let ttr = to(&sb, Method::POST, "/ttr");
    assert_eq!(body(&ttr[0]), json!({"ttrType": "CUSTOM", "value": "45"}));
    assert_eq!(to(&sb, Method::POST, "/transfer")[0].query.as_deref(), Some("ttl=60"));

    // Closing ends the conversation; the close itself can be waited for
    // (issue 11: `close --wait` used to never end), and then the history is
    // no longer returned: "only commands of on-going conversation will be
    // returned" (seed 003 L571, L701).
    let close = close(&client, &conversation, None).await.unwrap();
    let closed = client.wait_for_command(&conversation, &close, WAIT).await.unwrap();
    assert_eq!(closed.state, CommandState::Completed);
    assert_eq!(closed.data.unwrap().type_.unwrap().as_str(), "close");
    let history = commands(&client, &conversation).await.unwrap_err();
    assert_eq!(history.status().map(|s| s.as_u16()), Some(404), "{history}");
    // New commands to it are not accepted: the conversation is not found.
    let err = client.send_text(&conversation, "anyone?").await.unwrap_err();
    assert!(matches!(err, Error::Status { .. }) && err.status().unwrap().as_u16() == 404, "{err}");
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

/// What the seed's own requests look like on the wire, sent raw: the close
/// cURL's `-d '{}'`, and a CUSTOM TTR, which needs its value (seed 003 L535).
#[tokio::test]
async fn raw_requests_as_the_seed_writes_them() {
    let sb = sandbox().await;
    let conversation = sb.open_conversation();
    let http = crate::raw_http();
    let login = http
        .post(format!("{}/api/account/{}/login?v=1.3", sb.base_url(), sb.account_id()))
        .json(&json!({"username": "sandbox-bot", "password": "sandbox-bot-password"}))
        .send()
        .await
        .unwrap();
    let bearer = login.json::<Value>().await.unwrap()["bearer"].as_str().unwrap().to_string();
    let post = |action: &str, body: &'static str| {
        http.post(format!("{}/api/v1/account/{}/conversation/{conversation}/{action}", sb.base_url(), sb.account_id()))
            .bearer_auth(&bearer)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let custom = post("ttr", r#"{"ttrType": "CUSTOM"}"#).await.unwrap();
    assert_eq!(custom.status().as_u16(), 400);
    let error = custom.json::<Value>().await.unwrap();
    assert!(error["message"].as_str().unwrap().contains("value"), "{error}");
    assert_eq!(post("ttr", r#"{"ttrType": "CUSTOM", "value": "10"}"#).await.unwrap().status().as_u16(), 200);
    assert_eq!(post("ttr", r#"{"ttrType": "URGENT"}"#).await.unwrap().status().as_u16(), 200);
    let closed = post("close", "{}").await.unwrap();
    assert_eq!(closed.status().as_u16(), 200, "{:?}", closed.text().await);
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

#[tokio::test]
async fn failed_commands_and_timeouts() {
    let sb = sandbox().await;
    let client = client(&sb, sb.credentials());
    let conversation = sb.open_conversation();
    let transfer = client.transfer(&conversation, "no_such_skill", CommandOptions::default()).await.unwrap();
    let err = client.wait_for_command(&conversation, &transfer, WAIT).await.unwrap_err();
    match err {
        Error::CommandFailed { command_id, error_name } => {
            assert_eq!(command_id, transfer);
            assert_eq!(error_name.as_deref(), Some(EXECUTION_FAILED));
        }
        other => panic!("{other}"),
    }

    // On a stalled conversation a command waits, and fails once its ttl has passed.
    let stalled = sb.open_stalled_conversation();
    let id = client.send_text(&stalled, "hello?").await.unwrap();
    let err = client.wait_for_command(&stalled, &id, Duration::from_millis(150)).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { operation: "wait_for_command", .. }), "{err}");
    let id = client.send_messages(&stalled, vec![Message::text("x")], None, CommandOptions::ttl(10)).await.unwrap();
    let err = client.wait_for_command(&stalled, &id, WAIT).await.unwrap_err();
    assert!(matches!(&err, Error::CommandFailed { error_name: Some(n), .. } if n == COMMAND_EXPIRED), "{err}");

    let err = command(&client, &conversation, "999999").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    let err = client.send_text("no-such-conversation", "hi").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn only_the_last_200_commands_are_kept() {
    let sb = sandbox().await;
    let client = client(&sb, sb.credentials());
    let conversation = sb.open_conversation();
    let mut first = None;
    for i in 0..205 {
        let id = client.send_text(&conversation, format!("m{i}")).await.unwrap();
        first.get_or_insert(id);
    }
    assert_eq!(commands(&client, &conversation).await.unwrap().len(), 200);
    let err = command(&client, &conversation, &first.unwrap()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "the oldest was dropped");
}

#[tokio::test]
async fn each_message_variant_as_the_server_receives_it() {
    let sb = sandbox().await;
    let client = client(&sb, sb.credentials());
    let mut template = StructuredContent::new();
    template.insert("type".into(), "vertical".into());
    template.insert("elements".into(), json!([{"type": "text", "text": "Recommend a movie"}]));
    let external_id =
        convo_clients::liveperson::types::MessageMetadata::builder().type_("ExternalId").id(Some("123-YES".to_owned()));
    let structured = StructuredContentMessage::builder()
        .structured_content(template)
        .metadata(vec![external_id.try_into().unwrap()])
        .encoded_metadata(Some("SGVsbG8gV29ybGQh".to_owned()));
    let structured = Message::StructuredContentMessage(structured.try_into().unwrap());
    let messages = vec![
        Message::text("Hi i am text Message"),
        Message::delay(4.0, true),
        structured,
        Message::quick_replies("Do you like bots?", &["yes", "No!"]),
        Message::private("note for agents"),
    ];
    client.send_messages(EXAMPLE_CONVERSATION, messages, None, CommandOptions::default()).await.unwrap();
    let sent = body(&to(&sb, Method::POST, "/messages")[0]);
    assert_eq!(
        sent,
        json!({"messages": [
            "Hi i am text Message",
            {"delay": 4.0, "typing": true},
            {"structuredContent": {"type": "vertical", "elements": [{"type": "text", "text": "Recommend a movie"}]},
             "metadata": [{"type": "ExternalId", "id": "123-YES"}],
             "encodedMetadata": "SGVsbG8gV29ybGQh"},
            {"structuredContent": {
                "quickReplies": {"type": "quickReplies", "itemsPerRow": 8, "replies": [
                    {"type": "button", "title": "yes", "tooltip": "yes", "click": {"actions": [{"type": "publishText", "text": "yes"}]}},
                    {"type": "button", "title": "No!", "tooltip": "No!", "click": {"actions": [{"type": "publishText", "text": "No!"}]}}]},
                "message": "Do you like bots?"}},
            {"text": "note for agents", "messageAudience": "AGENTS_AND_MANAGERS"}
        ]})
    );
    assert!(sb.contract_violations().is_empty());
}

#[tokio::test]
async fn invalid_input_is_rejected_before_sending() {
    let sb = sandbox().await;
    let client = client(&sb, sb.credentials());
    client.login().await.unwrap();
    sb.clear_requests();
    let input_error = |e: Error| match e {
        e @ Error::InvalidInput(InvalidInput::Api(_)) if e.api_error::<InputError>().is_some() => {
            e.api_error::<InputError>().cloned().unwrap()
        }
        other => panic!("expected a LivePerson input error, got {other}"),
    };
    // The spec's rules, checked by the runtime for every operation: the
    // message names the parameter or field and the rule it breaks.
    let spec_error = |e: Error| match e {
        Error::InvalidInput(InvalidInput::Request(message)) => message,
        other => panic!("expected a spec violation, got {other}"),
    };
    let c = EXAMPLE_CONVERSATION;
    for (ttl, rule) in [(9, "9 is less than the minimum 10"), (121, "121 is greater than the maximum 120")] {
        let m = spec_error(close(&client, c, Some(ttl)).await.unwrap_err());
        assert_eq!(m, format!("query parameter ttl: {rule}"));
        let sent = client.send_messages(c, vec![Message::text("x")], None, CommandOptions::ttl(ttl)).await;
        let m = spec_error(sent.unwrap_err());
        assert_eq!(m, format!("query parameter ttl: {rule}"));
    }
    let m = spec_error(client.send_messages(c, vec![], None, CommandOptions::default()).await.unwrap_err());
    assert_eq!(m, "request body.messages: has 0 items, fewer than 1");
    let api = client.generated().await.unwrap();
    let transfer = api.transfer_conversation().account_id(client.account_id()).conversation_id(c);
    let m = spec_error(transfer.body(TransferRequest::builder().skill("")).send().await.unwrap_err().into());
    assert_eq!(m, "request body.skill: must not be empty");
    // An empty text message shows nothing: the spec's `x-check` on TextMessage.
    let m = spec_error(client.send_text(c, "").await.unwrap_err());
    assert_eq!(m, "request body.messages[0]: must not be empty");
    let m = spec_error(
        client
            .send_messages(c, vec![Message::text("hi"), Message::text("")], None, CommandOptions::default())
            .await
            .unwrap_err(),
    );
    assert!(m.contains("messages[1]: must not be empty"), "{m}");
    // A blank skill: the spec's pattern refuses it.
    let m = spec_error(client.transfer(c, "  ", CommandOptions::default()).await.unwrap_err());
    assert!(m.starts_with(r#"request body.skill: "  " must not be blank"#), "{m}");

    let mut big = StructuredContent::new();
    big.insert("type".into(), "vertical".into());
    big.insert("elements".into(), json!([{"type": "text", "text": "x".repeat(15_000)}]));
    let e = input_error(
        client
            .send_messages(c, vec![Message::text("ok"), Message::structured(big)], None, CommandOptions::default())
            .await
            .unwrap_err(),
    );
    assert!(matches!(e, InputError::StructuredContentTooLarge { index: 1, bytes } if bytes > 15_000), "{e}");

    let mut small = StructuredContent::new();
    small.insert("type".into(), "vertical".into());
    let bad_metadata =
        StructuredContentMessage::builder().structured_content(small).encoded_metadata(Some("not base64!".to_owned()));
    let bad_metadata = Message::StructuredContentMessage(bad_metadata.try_into().unwrap());
    let m = spec_error(client.send_messages(c, vec![bad_metadata], None, CommandOptions::default()).await.unwrap_err());
    assert!(m.contains(r#"request body.messages[0].encodedMetadata: "not base64!" is not base64"#), "{m}");

    let mismatched =
        SetSdesRequest::new("v", "s", vec![SdeInput::raw(json!({"type": "personal", "personal": "Muster"}))]);
    let e = input_error(client.set_sdes(c, &mismatched, CommandOptions::default()).await.unwrap_err());
    assert!(matches!(&e, InputError::SdeMismatch { index: 0, sde_type, .. } if sde_type == "personal"), "{e}");
    assert!(matches!("custom".parse::<Ttr>(), Err(InputError::BadTtr(_))));

    assert!(sb.requests().is_empty(), "nothing was sent: {:?}", sb.requests());

    // A raw SDE of a documented type goes through with keys the typed struct
    // lacks; one of an undocumented type breaks the spec (it knows only the
    // ten types), so the client's spec check refuses it before sending.
    let raw = SetSdesRequest::new(
        "v",
        "s",
        vec![SdeInput::raw(json!({"type": "personal", "personal": {"firstname": "A", "nickname": "kept"}}))],
    );
    client.set_sdes(c, &raw, CommandOptions::default()).await.unwrap();
    assert_eq!(body(&to(&sb, Method::POST, "/sdes")[0])["sdes"][0]["personal"]["nickname"], "kept");
    let future = SetSdesRequest::new("v", "s", vec![SdeInput::raw(json!({"type": "newType", "x": 1}))]);
    let sent = sb.requests().len();
    let err = client.set_sdes(c, &future, CommandOptions::default()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err}");
    assert!(err.to_string().contains("request body.sdes[0]"), "{err}");
    assert_eq!(sb.requests().len(), sent, "nothing was sent");
}

#[tokio::test]
async fn debug_output_never_shows_a_secret() {
    let sb = sandbox().await;
    let user = client(&sb, sb.credentials());
    let key = client(&sb, sb.api_key_credentials());
    user.login().await.unwrap();
    key.login().await.unwrap();
    let shown = format!(
        "{user:?} {key:?} {:?} {:?} {:?}",
        sb.credentials(),
        sb.api_key_credentials(),
        LivePersonConfig::default()
    );
    for secret in ["sandbox-bot-password", "sandbox-app-key", "sandbox-app-secret", "sandbox-access-token", "eyJ"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}

/// The domain lookup is served from its own host (the spec's path-level
/// `servers`); the runtime sends it there from any client, the zone's included.
#[tokio::test]
async fn an_operation_with_its_own_server_is_sent_there() {
    let sb = sandbox().await;
    let zone = format!("{}/zone-host", sb.base_url());
    let client = Client::builder(sb.account_id(), sb.credentials())
        .domain(BotDomain::BaseUrl(zone.clone()))
        .csds_base_url(sb.base_url())
        .build()
        .unwrap();
    let api = client.generated().await.unwrap();
    assert_eq!(api.baseurl(), zone);
    let call = api.list_service_domains().account_id(sb.account_id()).version(CsdsVersion::V10);
    let domains = call.send().await.expect("served by the lookup host, not the zone");
    assert!(!domains.base_uris.is_empty());
    let lookups: Vec<_> = sb.requests().into_iter().filter(|r| r.path.contains("/service/")).collect();
    assert!(!lookups.is_empty() && lookups.iter().all(|r| !r.path.starts_with("/zone-host")), "{lookups:?}");
}

/// A raw SDE of a documented type is checked against that type before
/// anything is sent, naming its index; a type added later passes that check
/// (the spec's own check, which knows the ten documented types, refuses it).
#[tokio::test]
async fn raw_sdes_are_checked_against_their_type() {
    let sb = sandbox().await;
    let client = client(&sb, sb.credentials());
    let set = |sdes: Vec<SdeInput>| {
        let (client, request) = (&client, SetSdesRequest::new("v", "s", sdes));
        async move { client.set_sdes(EXAMPLE_CONVERSATION, &request, CommandOptions::default()).await }
    };
    let mismatch = |e: &Error| e.api_error::<InputError>().cloned();
    let ok = SdeInput::raw(json!({"type": "personal", "personal": {"firstname": "Muster", "gender": "MALE"}}));
    set(vec![ok.clone()]).await.expect("a personal SDE of its type");
    let missing = SdeInput::raw(json!({"type": "personal"}));
    let e = set(vec![ok, missing]).await.unwrap_err();
    assert!(matches!(mismatch(&e), Some(InputError::SdeMismatch { index: 1, .. })), "{e}");
    let wrong = SdeInput::raw(json!({"type": "searchInfo", "keywords": "not a list"}));
    let e = set(vec![wrong]).await.unwrap_err();
    assert!(matches!(mismatch(&e), Some(InputError::SdeMismatch { .. })), "{e}");
    let future = SdeInput::raw(json!({"type": "visitorError", "anything": 1}));
    let e = set(vec![future]).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(InvalidInput::Request(rule)) if rule.starts_with("request body.sdes[0]")),
        "types added later pass through: {e}"
    );
    let e = set(vec![SdeInput::raw(json!({"personal": {}}))]).await.unwrap_err();
    assert!(matches!(mismatch(&e), Some(InputError::SdeMismatch { .. })), "no type: {e}");
}
