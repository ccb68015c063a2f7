//! The raia client against the raia sandbox, over loopback.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use convo_clients::raia::builder::ListConversations;
use convo_clients::raia::types::{
    Conversation, ConversationMode, ConversationOrderBy, ConversationStatus, ConversationWithFeedbacks,
    CreateConversationRequest, Message, MessageSource, OrderDirection, SenderRole, StartConversationRequest,
    StartEmailConversation, StartSmsConversation, UpdateConversationRequest, VoteType,
};
use convo_clients::raia::{Client, RaiaError};
use convo_clients::sandbox::raia::{
    FAIL_TRIGGER, NOT_MANUAL_MESSAGE, REPLY_FAILURE, REPLY_PREFIX, RaiaConfig, RaiaSandbox, VOICE_MESSAGE,
};
use convo_clients::sandbox::{RecordedRequest, ScriptedResponse};
use convo_clients::{Error, InvalidInput};
use futures::TryStreamExt;
use reqwest::Method;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

async fn sandbox_with(config: RaiaConfig) -> RaiaSandbox {
    RaiaSandbox::start(7, 0, config).await.expect("sandbox starts")
}

async fn sandbox() -> RaiaSandbox {
    sandbox_with(RaiaConfig { reply_delay: Duration::from_millis(50), ..RaiaConfig::default() }).await
}

fn client(sb: &RaiaSandbox) -> Client {
    Client::builder(sb.secret_key()).base_url(sb.base_url()).build().unwrap()
}

fn to(sb: &RaiaSandbox, method: Method, suffix: &str) -> Vec<RecordedRequest> {
    sb.requests().into_iter().filter(|r| r.method == method && r.path.ends_with(suffix)).collect()
}

fn body(r: &RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn no_violations(sb: &RaiaSandbox) {
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

// Small helpers for generated calls the tests make many times.

async fn get_conversation(client: &Client, id: &str) -> Result<ConversationWithFeedbacks, Error> {
    Ok(client.get_conversation().id(id).send().await?.into_inner())
}

async fn list_messages(client: &Client, conversation_id: &str) -> Vec<Message> {
    client.list_messages().id(conversation_id).send().await.unwrap().into_inner().messages
}

async fn set_mode(client: &Client, conversation_id: &str, mode: ConversationMode) -> Conversation {
    let call = client.set_conversation_mode().id(conversation_id).body_map(|b| b.mode(mode));
    call.send().await.unwrap().into_inner()
}

/// How a test orders (and filters) a conversation list.
type Order = for<'a> fn(ListConversations<'a>) -> ListConversations<'a>;

/// The answer of a generated call, its error as the crate's.
async fn answer<T>(
    call: impl std::future::Future<Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error>>,
) -> Result<T, Error> {
    Ok(call.await?.into_inner())
}

async fn input_rule(call: impl std::future::Future<Output = Result<impl std::fmt::Debug, Error>>) -> String {
    match call.await {
        Err(Error::InvalidInput(InvalidInput::Request(rule))) => rule,
        other => panic!("expected a spec rule to refuse the request, got {other:?}"),
    }
}

#[tokio::test]
async fn every_conversation_once_page_after_page() {
    let sb = sandbox_with(RaiaConfig { conversations: 53, ..RaiaConfig::default() }).await;
    let client = client(&sb);
    let listed: Vec<_> = client.list_conversations().page_size(10).stream().try_collect().await.unwrap();
    let ids: Vec<String> = listed.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids.len(), 53);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 53, "no duplicates");
    assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), sb.conversation_ids().into_iter().collect());
    assert_eq!(ids[0], *sb.conversation_ids().last().unwrap(), "newest first by default");

    let pages = to(&sb, Method::GET, "/external/conversations");
    // The first page is the server's first; each next one is one more (the spec's `x-page-number`).
    let numbers: Vec<_> = pages.iter().map(|r| r.query_param("page")).collect();
    assert_eq!(numbers, [None, Some("2"), Some("3"), Some("4"), Some("5"), Some("6")].map(|n| n.map(String::from)));
    assert!(pages.iter().all(|r| r.query_param("pageSize").as_deref() == Some("10")));

    // A single page, and the server's default size.
    let page = client.list_conversations().page(6).send().await.unwrap().into_inner();
    assert_eq!((page.current_page, page.page_size, page.total_items, page.total_pages), (6, 10, 53, 6));
    assert!(!page.has_next_page && page.has_previous_page && page.data.len() == 3);
    no_violations(&sb);
}

#[tokio::test]
async fn every_filter_is_sent_with_every_page() {
    let sb = sandbox_with(RaiaConfig { conversations: 60, ..RaiaConfig::default() }).await;
    let client = client(&sb);
    let all: Vec<_> = client.list_conversations().page_size(100).stream().try_collect().await.unwrap();
    let user = sb.user_ids()[0].clone();
    let first_name = all.iter().find(|c| c.conversation_user_id == user).unwrap().user.first_name.clone();
    let since: DateTime<Utc> = "2024-03-01T15:00:00Z".parse().unwrap();
    let until: DateTime<Utc> = "2024-03-03T12:00:00Z".parse().unwrap();
    let mut expected: Vec<_> = all
        .iter()
        .filter(|c| c.conversation_user_id == user && !c.feedbacks.is_empty())
        .filter(|c| c.updated_at >= since && c.updated_at <= until)
        .collect();
    expected.sort_by_key(|c| c.updated_at);
    assert!(expected.len() >= 3, "the seed gives several matches: {}", expected.len());

    sb.clear_requests();
    let query = client
        .list_conversations()
        .page_size(2)
        .order_by(ConversationOrderBy::UpdatedAt)
        .order_direction(OrderDirection::Asc)
        .search_keyword(first_name.to_lowercase())
        .user_id(&user)
        .start_date(since)
        .end_date(until)
        .with_feedbacks_only(true);
    let found: Vec<_> = query.stream().try_collect().await.unwrap();
    assert_eq!(found.iter().map(|c| &c.id).collect::<Vec<_>>(), expected.iter().map(|c| &c.id).collect::<Vec<_>>());
    assert!(found.iter().all(|c| c.feedbacks.iter().all(|f| f.vote_type == VoteType::Up)));

    let pages = to(&sb, Method::GET, "/external/conversations");
    assert_eq!(pages.len(), expected.len().div_ceil(2));
    for (i, request) in pages.iter().enumerate() {
        let mut pairs = request.query_pairs();
        pairs.sort();
        let mut wanted = vec![
            ("endDate".to_string(), "2024-03-03T12:00:00Z".to_string()),
            ("orderBy".into(), "updatedAt".into()),
            ("orderDirection".into(), "ASC".into()),
            ("pageSize".into(), "2".into()),
            ("searchKeyword".into(), first_name.to_lowercase()),
            ("startDate".into(), "2024-03-01T15:00:00Z".into()),
            ("userId".into(), user.clone()),
            ("withFeedbacksOnly".into(), "true".into()),
        ];
        if i > 0 {
            wanted.push(("page".into(), (i + 1).to_string()));
        }
        wanted.sort();
        assert_eq!(pairs, wanted, "page {}", i + 1);
    }
    no_violations(&sb);
}

#[tokio::test]
async fn ask_returns_the_agents_reply() {
    let sb = sandbox().await;
    let client = client(&sb);
    let conversation = &sb.conversation_ids()[0];
    let question = "What are your opening hours?";
    let reply = client.ask(conversation, question, WAIT).await.unwrap();
    assert_eq!(reply.message, format!("{REPLY_PREFIX}{question}"));
    assert_eq!(reply.sender_role, SenderRole::Assistant);

    let sent = to(&sb, Method::POST, "/messages/async");
    assert_eq!(sent.len(), 1);
    assert_eq!(body(&sent[0]), json!({"message": question}));
    let polls = to(&sb, Method::GET, "/response-on");
    assert!(polls.len() >= 2, "pending at first, then completed: {}", polls.len());
    let question_id = &reply.conversation_message_id;
    assert!(
        polls
            .iter()
            .all(|r| r.path == format!("/external/conversations/{conversation}/messages/{question_id}/response-on"))
    );

    // The question and the reply are now in the conversation, in order.
    let messages = list_messages(&client, conversation).await;
    let tail: Vec<_> = messages[messages.len() - 2..].iter().map(|m| (&m.id, m.sender_role.clone())).collect();
    assert_eq!(tail, [(question_id, SenderRole::ConversationUser), (&reply.id, SenderRole::Assistant)]);

    // The synchronous send returns the reply directly; wait_for_reply polls a question sent async.
    let sync = client.send_message().id(conversation).body("And on Sundays?").send().await.unwrap().into_inner();
    assert_eq!(sync.message, format!("{REPLY_PREFIX}And on Sundays?"));
    let asked = client.send_message_async().id(conversation).body("Do you ship abroad?").send().await.unwrap();
    assert_eq!(asked.sender_role, SenderRole::ConversationUser);
    let waited = client.wait_for_reply(conversation, &asked.id, WAIT).await.unwrap();
    assert_eq!(waited.conversation_message_id, asked.id);
    no_violations(&sb);
}

#[tokio::test]
async fn a_failed_reply_is_a_typed_error() {
    let sb = sandbox().await;
    let client = client(&sb);
    let conversation = sb.conversation_ids()[0].clone();
    let err = client.ask(&conversation, format!("Please {FAIL_TRIGGER} this one"), WAIT).await.unwrap_err();
    match err.api_error::<RaiaError>() {
        Some(RaiaError::ReplyFailed { conversation_id, question_message_id, error }) => {
            assert_eq!(conversation_id, &conversation);
            let asked = list_messages(&client, &conversation).await;
            assert_eq!(&asked.last().unwrap().id, question_message_id, "no reply was stored");
            assert_eq!(error.as_deref(), Some(REPLY_FAILURE));
        }
        _ => panic!("expected ReplyFailed, got {err:?}"),
    }
    assert!(err.to_string().contains("failed: AGENT_REPLY_FAILED"), "{err}");
    assert_eq!(err.status(), None, "not an HTTP error");

    // The synchronous send of the same question is the server's 500.
    let err = Error::from(client.send_message().id(&conversation).body("fail now").send().await.unwrap_err());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500), "{err}");
    assert_eq!(err.body().and_then(|b| b.message()).as_deref(), Some("Internal Server Error"));
    no_violations(&sb);
}

#[tokio::test]
async fn ask_times_out() {
    let sb = sandbox_with(RaiaConfig { reply_delay: Duration::from_secs(30), ..RaiaConfig::default() }).await;
    let client = client(&sb);
    let started = Instant::now();
    let err = client.ask(&sb.conversation_ids()[0], "Anyone there?", Duration::from_millis(400)).await.unwrap_err();
    match err {
        Error::Timeout { operation: "ask", waited } => assert!(waited >= Duration::from_millis(400), "{waited:?}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2), "gave up on time: {:?}", started.elapsed());
    let polls = to(&sb, Method::GET, "/response-on").len();
    assert!((2..=5).contains(&polls), "backoff between polls: {polls}");
    no_violations(&sb);
}

#[tokio::test]
async fn manual_messages_need_manual_mode_and_not_voice() {
    let sb = sandbox().await;
    let client = client(&sb);
    let ids = sb.conversation_ids();
    let (ai_chat, manual_chat, voice_call) = (&ids[0], &ids[1], &ids[2]);

    let err = client.send_manual_message_checked(ai_chat, "Hello from a human").await.unwrap_err();
    match err.api_error::<RaiaError>() {
        Some(RaiaError::NotInManualMode { conversation_id, body }) => {
            assert_eq!(conversation_id, ai_chat);
            assert_eq!(body.message().as_deref(), Some(NOT_MANUAL_MESSAGE));
        }
        _ => panic!("expected NotInManualMode, got {err:?}"),
    }
    let voice = get_conversation(&client, voice_call).await.unwrap();
    assert_eq!(voice.mode, Some(ConversationMode::Manual), "refused for being voice, not for its mode");
    assert!(voice.ai_call_id.is_some());
    let err = client.send_manual_message_checked(voice_call, "Hello").await.unwrap_err();
    assert!(
        matches!(err.api_error::<RaiaError>(), Some(RaiaError::VoiceConversation { body, .. }) if body.message().as_deref() == Some(VOICE_MESSAGE)),
        "{err:?}"
    );

    let sent =
        client.send_manual_message_checked(manual_chat, "A human here: your refund is on its way.").await.unwrap();
    assert_eq!(sent.sender_role, SenderRole::ManualAssistant);
    assert_eq!(sent.source, MessageSource::LiveChat);
    let messages = list_messages(&client, manual_chat).await;
    let last_question = messages.iter().rev().find(|m| m.sender_role == SenderRole::ConversationUser).unwrap();
    assert_eq!(sent.conversation_message_id, last_question.id, "answers the user's latest message");
    assert_eq!(
        body(to(&sb, Method::POST, "/send-manual-message").last().unwrap()),
        json!({"message": "A human here: your refund is on its way."})
    );

    // Switching to manual mode allows it; back to AI refuses it again.
    let switched = set_mode(&client, ai_chat, ConversationMode::Manual).await;
    assert_eq!(switched.mode, Some(ConversationMode::Manual));
    assert!(switched.assigned_user.is_some());
    assert_eq!(body(to(&sb, Method::PUT, "/mode").last().unwrap()), json!({"mode": "manual"}));
    client.send_manual_message_checked(ai_chat, "Taking over.").await.unwrap();
    set_mode(&client, ai_chat, ConversationMode::Ai).await;
    assert!(matches!(
        client.send_manual_message_checked(ai_chat, "Still me?").await.unwrap_err().api_error::<RaiaError>(),
        Some(RaiaError::NotInManualMode { .. })
    ));

    // The vendor documents one sentence for both rules: then the cause stays open.
    sb.script(ScriptedResponse::new(400).on(Method::POST, format!("/external/conversations/{manual_chat}/send-manual-message")).json(
        &json!({"status": 400, "name": "BAD_REQUEST_ERROR", "message": "Conversation must be in manual mode and not a voice conversation."}),
    ));
    let err = client.send_manual_message_checked(manual_chat, "Hello").await.unwrap_err();
    assert!(matches!(err.api_error::<RaiaError>(), Some(RaiaError::ManualMessageRefused { .. })), "{err:?}");

    let err = client.send_manual_message_checked("no-such-conversation", "Hello").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.body().and_then(|b| b.message()).as_deref(), Some("ENTITY_NOT_FOUND"));
    no_violations(&sb);
}

#[tokio::test]
async fn each_start_variant_as_the_server_receives_it() {
    let sb = sandbox().await;
    let client = client(&sb);

    let mut email =
        StartEmailConversation::new("Ada", "Lovelace", "ada@example.com", "Your order", "Hi Ada, about your order…");
    email.reset_conversation = true;
    email.custom_data.insert("orderId".into(), json!("1042"));
    email.source = Some("webchat".into());
    let by_email = answer(client.start_conversation().body(email).send()).await.unwrap();
    let sms = answer(
        client
            .start_conversation()
            .body(StartConversationRequest::sms("Grace", "Hopper", "+15550199", "Hi Grace, reply here."))
            .send(),
    )
    .await
    .unwrap();
    let voice = answer(
        client
            .start_conversation()
            .body(StartConversationRequest::voice(
                "Alan",
                "Turing",
                "+15550142",
                "Hello Alan, this is the support line.",
            ))
            .send(),
    )
    .await
    .unwrap();

    let bodies: Vec<Value> = to(&sb, Method::POST, "/external/conversations/start").iter().map(body).collect();
    assert_eq!(
        bodies,
        [
            json!({"channel": "email", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
                   "emailSubject": "Your order", "emailIntroduction": "Hi Ada, about your order…",
                   "resetConversation": true, "customData": {"orderId": "1042"}, "source": "webchat"}),
            json!({"channel": "sms", "firstName": "Grace", "lastName": "Hopper", "phoneNumber": "+15550199",
                   "smsIntroduction": "Hi Grace, reply here.", "resetConversation": false, "includeSignatureInSms": false}),
            json!({"channel": "voice", "firstName": "Alan", "lastName": "Turing", "phoneNumber": "+15550142",
                   "firstMessage": "Hello Alan, this is the support line."}),
        ]
    );

    // Each started conversation exists, opened by the agent on its channel.
    for (started, source, opening) in [
        (&by_email, MessageSource::Email, "Your order\n\nHi Ada, about your order…"),
        (&sms, MessageSource::Sms, "Hi Grace, reply here."),
        (&voice, MessageSource::Voice, "Hello Alan, this is the support line."),
    ] {
        let messages = list_messages(&client, &started.conversation_id).await;
        assert_eq!(messages.len(), 1);
        assert_eq!((messages[0].source.clone(), messages[0].message.as_str()), (source, opening));
    }
    let email_conversation = get_conversation(&client, &by_email.conversation_id).await.unwrap();
    assert_eq!(email_conversation.user.email.as_deref(), Some("ada@example.com"));
    assert_eq!(email_conversation.metadata["customData"], json!({"orderId": "1042"}));
    assert!(get_conversation(&client, &voice.conversation_id).await.unwrap().ai_call_id.is_some());

    // Without resetConversation the user's current conversation continues; with it, a new one starts.
    let again = answer(
        client
            .start_conversation()
            .body(StartSmsConversation::new("Grace", "Hopper", "+15550199", "Still there?"))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(again.conversation_id, sms.conversation_id);
    let mut reset = StartSmsConversation::new("Grace", "Hopper", "+15550199", "Starting over.");
    reset.reset_conversation = true;
    assert_ne!(
        answer(client.start_conversation().body(reset).send()).await.unwrap().conversation_id,
        sms.conversation_id
    );
    // An address without @ is sent when skip_email_validation says so.
    let mut unchecked = StartEmailConversation::new("Ada", "Lovelace", "ada.example.com", "Hello", "Hi");
    unchecked.skip_email_validation = Some(true);
    answer(client.start_conversation().body(unchecked).send()).await.unwrap();
    no_violations(&sb);
}

#[tokio::test]
async fn invalid_input_is_rejected_before_sending() {
    let sb = sandbox().await;
    let client = client(&sb);
    let conversation = sb.conversation_ids()[0].clone();
    // Each channel's required texts are not blank, and an email address has
    // an @ unless skip_email_validation: the spec's rules, refused before sending.
    let start =
        |request: StartConversationRequest| input_rule(answer(client.start_conversation().body(request).send()));
    let rule = start(StartConversationRequest::email("Ada", "Lovelace", "", "Hi", "Hello")).await;
    assert!(rule.contains("body.email: \"\" must not be blank"), "{rule}");
    let rule = start(StartConversationRequest::email("Ada", "Lovelace", "ada", "Hi", "Hello")).await;
    assert!(rule.contains("body.email: \"ada\" does not match the pattern @"), "{rule}");
    let rule = start(StartConversationRequest::sms(" ", "Hopper", "+1", "Hi")).await;
    assert!(rule.contains("body.firstName: \" \" must not be blank"), "{rule}");
    let rule = start(StartConversationRequest::voice("Ada", "Lovelace", "+15550100", "")).await;
    assert!(rule.contains("body.firstMessage"), "{rule}");
    let rule = input_rule(client.ask(&conversation, "  ", WAIT)).await;
    assert!(rule.contains("body.message: \"  \" must not be blank"), "{rule}");
    // The generated calls: the spec's rules refuse an empty message, an empty id, or an empty user.
    let rule = input_rule(async { Ok(client.send_message().id(&conversation).body("").send().await?) }).await;
    assert!(rule.contains("body.message: must not be empty"), "{rule}");
    let rule = input_rule(async { Ok(client.send_message_async().id(&conversation).body("").send().await?) }).await;
    assert!(rule.contains("body.message"), "{rule}");
    let rule = input_rule(async { Ok(client.send_manual_message().id(&conversation).body("").send().await?) }).await;
    assert!(rule.contains("body.message"), "{rule}");
    let rule = input_rule(async { Ok(client.get_conversation().id("").send().await?) }).await;
    assert!(rule.contains("empty"), "{rule}");
    let rule = input_rule(async {
        Ok(client.create_conversation().body(CreateConversationRequest::for_user("")).send().await?)
    })
    .await;
    assert!(rule.contains("body.conversationUserId"), "{rule}");
    let nobody = client.delete_user_conversations().body_map(|b| b.conversation_user_id(""));
    let rule = input_rule(async { Ok(nobody.send().await?) }).await;
    assert!(rule.contains("body.conversationUserId"), "{rule}");
    let rule = input_rule(client.send_manual_message_checked(&conversation, "\n")).await;
    assert!(rule.contains("body.message"), "{rule}");
    let err = CreateConversationRequest::for_user("u").with_title("x".repeat(256)).unwrap_err();
    assert!(matches!(err, Error::InvalidInput(InvalidInput::Parameter { name: "title", .. })), "{err:?}");
    let rule = input_rule(async { Ok(client.list_conversations().page_size(0).send().await?) }).await;
    assert_eq!(rule, "page_size: the value does not fit its type NonZeroU32 (the spec's type and bounds)");
    // An id of spaces is not empty, so no spec rule refuses it; the flows do.
    let err = client.ask(" ", "hi", WAIT).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(InvalidInput::Parameter { name: "id", .. })), "{err:?}");
    let err = client.wait_for_reply(&conversation, " ", WAIT).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(InvalidInput::Parameter { name: "questionMessageId", .. })), "{err:?}");
    let err = client.send_manual_message_checked("\t", "Hello").await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput(InvalidInput::Parameter { name: "id", .. })), "{err:?}");
    // The spec's rules, the same for every API: a phone number that is none
    // (its `pattern`), an empty range of dates (`x-range`), a date that is none.
    for phone in ["call-me-maybe", "12", "+1 415 555 CALL"] {
        let start = StartConversationRequest::sms("Grace", "Hopper", phone, "Hi");
        let rule = input_rule(answer(client.start_conversation().body(start).send())).await;
        assert!(rule.contains("body.phoneNumber") && rule.contains("does not match the pattern"), "{rule}");
    }
    let voice = StartConversationRequest::voice("Alan", "Turing", "phone", "Hello");
    assert!(input_rule(answer(client.start_conversation().body(voice).send())).await.contains("body.phoneNumber"));
    let since: DateTime<Utc> = "2024-03-21T00:00:00Z".parse().unwrap();
    let until: DateTime<Utc> = "2024-03-20T12:00:00Z".parse().unwrap();
    let mut err = client.list_conversations().start_date(since).end_date(until).stream();
    let err = err.try_next().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(InvalidInput::Request(m))
            if m.contains("startDate") && m.contains("endDate") && m.contains("the range is empty")),
        "{err}"
    );
    let rule = input_rule(async { Ok(client.list_conversations().start_date(since).end_date(until).send().await?) });
    assert!(rule.await.contains("the range is empty"));
    assert!(sb.requests().is_empty(), "nothing was sent: {:?}", sb.requests());
    // One instant is a range, and the phone notations people write are numbers.
    client.list_conversations().start_date(until).end_date(until).stream().try_next().await.unwrap();
    for phone in ["+15550199", "(555) 019-9", "555.019.9999", "+44 20 7946 0958"] {
        let start = StartConversationRequest::sms("Grace", "Hopper", phone, "Hi");
        answer(client.start_conversation().body(start).send()).await.unwrap_or_else(|e| panic!("{phone}: {e}"));
    }
}

#[tokio::test]
async fn the_secret_key_goes_on_every_call_and_nowhere_else() {
    let sb = sandbox().await;
    let client = client(&sb);
    let key = sb.secret_key().expose().to_string();
    let conversation = sb.conversation_ids()[0].clone();
    client.list_conversations().page(1).send().await.unwrap();
    client.get_conversation().id(&conversation).send().await.unwrap();
    client.list_conversation_states().send().await.unwrap();
    client.list_messages().id(&conversation).send().await.unwrap();
    client.ask(&conversation, "hi", WAIT).await.unwrap();
    set_mode(&client, &conversation, ConversationMode::Manual).await;
    client.send_manual_message_checked(&conversation, "hello").await.unwrap();
    let update = UpdateConversationRequest::default().with_state(sb.state_ids()[1].clone());
    client.update_conversation().id(&conversation).body(update).send().await.unwrap();
    client.delete_user_conversations().body_map(|b| b.conversation_user_id("nobody")).send().await.unwrap();
    let requests = sb.requests();
    assert!(requests.len() >= 10);
    assert!(requests.iter().all(|r| r.header("agent-secret-key") == Some(key.as_str())), "{requests:?}");

    let builder = Client::builder(sb.secret_key()).base_url(sb.base_url());
    let shown = format!("{client:?} {builder:?} {:?} {:?} {requests:?}", sb.secret_key(), RaiaConfig::default());
    assert!(!shown.contains(&key), "{shown}");

    // A wrong key is the vendor's 403; the error shows neither key.
    let stranger = Client::builder("wrong-agent-key").base_url(sb.base_url()).build().unwrap();
    let err = get_conversation(&stranger, &conversation).await.unwrap_err();
    assert!(matches!(err, Error::Auth { operation: "get_conversation", .. }), "{err:?}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(err.body().and_then(|b| b.message()).as_deref(), Some("INVALID_CREDENTIALS"));
    let shown = format!("{err} {err:?} {stranger:?}");
    assert!(!shown.contains("wrong-agent-key") && !shown.contains(&key), "{shown}");

    for bad in ["", "line\nbreak"] {
        let err = Client::builder(bad).base_url(sb.base_url()).build().unwrap_err();
        assert!(matches!(err, Error::InvalidInput(InvalidInput::Config(_))), "{err:?}");
    }
    no_violations(&sb);
}

#[tokio::test]
async fn unknown_enum_values_still_decode() {
    let sb = sandbox().await;
    let client = client(&sb);
    let conversation = sb.conversation_ids()[0].clone();
    let message = json!({
        "id": "m1", "message": "Hi", "conversationId": conversation, "senderRole": "supervisor",
        "conversationMessageId": "m1", "source": "whatsapp", "createdAt": "2024-03-01T09:00:00.000Z",
        "conversationMessageFeedbacks": [{"id": "f1", "voteType": "meh", "question": null, "answer": null, "comment": null}]
    });
    sb.script(
        ScriptedResponse::new(200)
            .on(Method::GET, format!("/external/conversations/{conversation}/messages"))
            .json(&json!({"messages": [message]})),
    );
    let call = client.list_messages().id(&conversation).should_include_feedbacks(true);
    let messages = call.send().await.unwrap().into_inner().messages;
    assert!(messages[0].sender_role.is_unrecognized());
    assert_eq!(messages[0].sender_role.as_str(), "supervisor");
    assert_eq!(messages[0].source.as_str(), "whatsapp");
    assert_eq!(messages[0].conversation_message_feedbacks[0].vote_type.as_str(), "meh");

    sb.script(
        ScriptedResponse::new(200)
            .on(Method::GET, format!("/external/conversations/{conversation}/messages/q1/response-on"))
            .json(&json!({"status": "queued", "message": null, "error": null})),
    );
    let call = client.get_message_response().id(&conversation).question_message_id("q1");
    let reply = call.send().await.unwrap().into_inner();
    assert_eq!(reply.status.as_str(), "queued");
}

#[tokio::test]
async fn conversations_are_created_read_updated_and_deleted() {
    let sb = sandbox().await;
    let client = client(&sb);
    let states = client.list_conversation_states().send().await.unwrap().into_inner().0;
    assert_eq!(states.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["New", "In progress", "Resolved"]);

    let user = sb.add_user("Katherine", "Johnson");
    let mut request = CreateConversationRequest::for_user(&user).with_title("Billing question").unwrap();
    request.custom_data.insert("plan".into(), json!("premium"));
    request.conversation_state_id = Some(states[0].id.clone());
    let created = client.create_conversation().body(request).send().await.unwrap().into_inner();
    assert_eq!(
        body(&to(&sb, Method::POST, "/external/conversations")[0]),
        json!({
            "conversationUserId": user, "title": "Billing question", "customData": {"plan": "premium"},
            "conversationStateId": states[0].id,
        })
    );
    assert_eq!((created.user.id.as_str(), created.mode.clone()), (user.as_str(), Some(ConversationMode::Ai)));
    assert_eq!(created.metadata["customData"]["plan"], "premium");

    let update = UpdateConversationRequest::default()
        .with_title("Billing (resolved)")
        .unwrap()
        .with_status(ConversationStatus::Archived)
        .with_state(states[2].id.clone());
    let updated = client.update_conversation().id(&created.id).body(update).send().await.unwrap().into_inner();
    assert_eq!(updated.title.as_deref(), Some("Billing (resolved)"));
    assert!(updated.updated_at > created.updated_at);
    assert_eq!(
        body(&to(&sb, Method::PUT, &created.id)[0]),
        json!({
            "title": "Billing (resolved)", "status": "archived", "conversationStateId": states[2].id,
        })
    );
    let got = get_conversation(&client, &created.id).await.unwrap();
    assert_eq!(got.conversation_state_id.as_deref(), Some(states[2].id.as_str()));

    client.delete_user_conversations().body_map(|b| b.conversation_user_id(user.clone())).send().await.unwrap();
    assert_eq!(body(&to(&sb, Method::DELETE, "/external/conversations")[0]), json!({"conversationUserId": user}));
    let err = get_conversation(&client, &created.id).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
    assert!(err.to_string().contains("ENTITY_NOT_FOUND"), "{err}");

    let call = client.create_conversation().body(CreateConversationRequest::for_user("no-such-user"));
    let err = Error::from(call.send().await.unwrap_err());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "an unknown user: {err}");
    assert!(err.to_string().contains("ENTITY_NOT_FOUND"), "{err}");
    no_violations(&sb);
}

#[tokio::test]
async fn messages_with_feedbacks_and_in_either_order() {
    let sb = sandbox().await;
    let client = client(&sb);
    let conversation = sb.conversation_ids()[0].clone();
    let plain = list_messages(&client, &conversation).await;
    assert_eq!(plain.len(), 4);
    assert!(plain.iter().all(|m| m.conversation_message_feedbacks.is_empty()));
    assert!(plain.windows(2).all(|w| w[0].created_at < w[1].created_at), "oldest first by default");
    let call =
        client.list_messages().id(&conversation).should_include_feedbacks(true).order_direction(OrderDirection::Desc);
    let full = call.send().await.unwrap().into_inner().messages;
    assert_eq!(full.iter().rev().map(|m| &m.id).collect::<Vec<_>>(), plain.iter().map(|m| &m.id).collect::<Vec<_>>());
    let voted: Vec<_> = full.iter().filter(|m| !m.conversation_message_feedbacks.is_empty()).collect();
    assert_eq!(voted.len(), 1);
    assert_eq!(voted[0].sender_role, SenderRole::Assistant);
    let query = to(&sb, Method::GET, "/messages").last().unwrap().query.clone();
    assert_eq!(query.as_deref(), Some("orderDirection=DESC&shouldIncludeFeedbacks=true"));
    let with_feedbacks = get_conversation(&client, &conversation).await.unwrap();
    assert_eq!(with_feedbacks.feedbacks.len(), 1);
    no_violations(&sb);
}

/// Statuses the vendor's document leaves out, documented in the spec as
/// inferred and answered in the vendor's error shape: 404 for an unknown
/// conversation or question where the call declares none, 400 for a
/// malformed request (`orderDirection=asc`: the values are `ASC` and `DESC`).
#[tokio::test]
async fn unknown_conversations_are_404_and_malformed_requests_400() {
    let sb = sandbox().await;
    let http = crate::raw_http();
    let send = |method: Method, path: String, body: Option<Value>| {
        let request = http
            .request(method, format!("{}{path}", sb.base_url()))
            .header("agent-secret-key", sb.secret_key().expose());
        match body {
            Some(body) => request.json(&body).send(),
            None => request.send(),
        }
    };
    let known = sb.conversation_ids()[0].clone();
    let question = json!({"message": "How does quantum entanglement work?"});
    let cases = [
        (Method::GET, "/external/conversations/nope/messages".to_string(), None, 404, "ENTITY_NOT_FOUND"),
        (Method::POST, "/external/conversations/nope/messages".into(), Some(question.clone()), 404, "ENTITY_NOT_FOUND"),
        (Method::POST, "/external/conversations/nope/messages/async".into(), Some(question), 404, "ENTITY_NOT_FOUND"),
        (
            Method::GET,
            format!("/external/conversations/{known}/messages/nope/response-on"),
            None,
            404,
            "ENTITY_NOT_FOUND",
        ),
        (
            Method::GET,
            format!("/external/conversations/{known}/messages?orderDirection=asc"),
            None,
            400,
            "orderDirection",
        ),
        (Method::GET, "/external/conversations?orderDirection=asc".into(), None, 400, "orderDirection"),
        (Method::PUT, format!("/external/conversations/{known}/mode"), None, 400, "request body"),
        (Method::GET, "/external/conversations/states?unknown=1".into(), None, 400, "unknown"),
    ];
    for (method, path, body, status, says) in cases {
        let response = send(method, path.clone(), body).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["status"], status, "{path}: {error}");
        assert!(error.to_string().contains(says), "{path}: {error}");
    }
    no_violations(&sb);
}

#[tokio::test]
async fn lists_keep_their_order_across_pages_and_show_writes_at_once() {
    let sb = sandbox_with(RaiaConfig { conversations: 30, ..RaiaConfig::default() }).await;
    let client = client(&sb);
    // Each list is the whole of it, four per page, with `order` set on the request.
    let ids = |order: Order| {
        let client = client.clone();
        async move {
            let list = order(client.list_conversations().page_size(4));
            list.stream().map_ok(|c| c.id).try_collect::<Vec<_>>().await.unwrap()
        }
    };
    let oldest_first = sb.conversation_ids();
    let newest_first: Vec<String> = oldest_first.iter().rev().cloned().collect();
    assert_eq!(ids(|list| list).await, newest_first, "newest first unless asked");
    assert_eq!(ids(|list| list.order_direction(OrderDirection::Asc)).await, oldest_first);

    // A message, a mode change and an update each make a conversation the latest updated.
    let by_updated: Order = |list| list.order_by(ConversationOrderBy::UpdatedAt);
    let first_updated = |order: Order| {
        let ids = &ids;
        async move { ids(order).await.first().cloned() }
    };
    client.send_message().id(&oldest_first[0]).body("Still there?").send().await.unwrap();
    assert_eq!(first_updated(by_updated).await.as_ref(), Some(&oldest_first[0]));
    let ascending =
        ids(|list| list.order_by(ConversationOrderBy::UpdatedAt).order_direction(OrderDirection::Asc)).await;
    assert_eq!(ascending.last(), Some(&oldest_first[0]));
    set_mode(&client, &oldest_first[3], ConversationMode::Manual).await;
    assert_eq!(first_updated(by_updated).await.as_ref(), Some(&oldest_first[3]));
    let update = UpdateConversationRequest::default().with_title("Moved up").unwrap();
    client.update_conversation().id(&oldest_first[7]).body(update).send().await.unwrap();
    assert_eq!(first_updated(by_updated).await.as_ref(), Some(&oldest_first[7]));
    // Filters apply on the same order.
    let with_feedbacks = ids(|list| list.order_by(ConversationOrderBy::UpdatedAt).with_feedbacks_only(true)).await;
    let expected: Vec<String> = ids(by_updated).await.into_iter().filter(|id| with_feedbacks.contains(id)).collect();
    assert_eq!(with_feedbacks, expected);
    assert!(with_feedbacks.len() >= 5, "every third conversation has a vote: {with_feedbacks:?}");

    // A new conversation is the newest; a user's deleted conversations leave every order.
    let user = sb.add_user("Grace", "Hopper");
    let created = client.create_conversation().body(CreateConversationRequest::for_user(&user)).send().await.unwrap();
    assert_eq!(first_updated(|list| list).await, Some(created.into_inner().id));
    let whose = sb.user_ids()[0].clone();
    client.delete_user_conversations().body_map(|b| b.conversation_user_id(whose)).send().await.unwrap();
    let left = sb.conversation_ids();
    assert!(left.len() < oldest_first.len());
    assert_eq!(ids(|list| list.order_direction(OrderDirection::Asc)).await, left);
    let mut updated = ids(by_updated).await;
    updated.sort();
    let mut expected = left.clone();
    expected.sort();
    assert_eq!(updated, expected);
    assert_eq!(list_messages(&client, &left[0]).await.len(), 4, "messages stay with their conversation");
}

/// The refusal a scripted 400 to a manual message becomes, its body's
/// `message` being `message`.
async fn manual_message_refused(sb: &RaiaSandbox, client: &Client, message: &str) -> RaiaError {
    let id = &sb.conversation_ids()[1];
    let body = json!({"status": 400, "message": message});
    sb.script(
        ScriptedResponse::new(400)
            .on(Method::POST, format!("/external/conversations/{id}/send-manual-message"))
            .json(&body),
    );
    let err = client.send_manual_message_checked(id, "Hello").await.unwrap_err();
    err.api_error::<RaiaError>().cloned().unwrap_or_else(|| panic!("expected a refusal, got {err:?}"))
}

/// The vendor documents one 400 for both refusals of a manual message: the
/// server's message tells them apart, or leaves the cause open.
#[tokio::test]
async fn the_400_message_decides_the_refusal() {
    let sb = sandbox().await;
    let client = client(&sb);
    let refusal = |message: &'static str| manual_message_refused(&sb, &client, message);
    assert!(matches!(refusal("Conversation is not in manual mode").await, RaiaError::NotInManualMode { .. }));
    assert!(matches!(refusal("VOICE_CONVERSATION_NOT_SUPPORTED").await, RaiaError::VoiceConversation { .. }));
    // The vendor's documented sentence names both rules.
    let both = refusal("Conversation must be in manual mode and not a voice conversation.").await;
    assert!(matches!(both, RaiaError::ManualMessageRefused { .. }));
    assert!(both.to_string().contains("(Conversation must be in manual mode"), "{both}");
    assert!(matches!(refusal("Bad Request").await, RaiaError::ManualMessageRefused { .. }));
}
