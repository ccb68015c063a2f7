//! The LlamadaPro client against the LlamadaPro sandbox, over loopback.

use std::collections::{BTreeSet, HashSet};

use convo_clients::llamadapro::builder::GetContacts;
use convo_clients::llamadapro::types::{
    self, BulkIssueCode, BulkSingleConversationCreateParams, BulkSingleConversationUpdateParams, ContactSearchRequest,
    CustomFieldType, SearcherDocumentSearchFilter, SearcherDocumentSearchSort, TaskAssigneeType, TaskStatus,
};
use convo_clients::llamadapro::{Client, DefinitionInUse, FilterBy, InputError, ItemOutcome, MAX_ID, SortBy};
use convo_clients::sandbox::llamadapro::{LlamadaProConfig, LlamadaProSandbox};
use convo_clients::sandbox::validate::{RequestParts, SpecValidator};
use convo_clients::sandbox::{RecordedRequest, ScriptedResponse};
use convo_clients::{ClientConfig, Error, InvalidInput, OperationClient, RetryPolicy};
use futures::TryStreamExt;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

async fn sandbox() -> LlamadaProSandbox {
    LlamadaProSandbox::start(4, 0, LlamadaProConfig::default()).await.expect("sandbox starts")
}

fn client(sb: &LlamadaProSandbox) -> Client {
    Client::builder(sb.api_key()).base_url(sb.base_url()).build().unwrap()
}

/// A request type from JSON, as a caller would write it.
fn from<T: DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("valid request")
}

fn body(r: &RecordedRequest) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn no_violations(sb: &LlamadaProSandbox) {
    assert!(sb.contract_violations().is_empty(), "{:?}", sb.contract_violations());
}

fn input_error(result: Result<impl std::fmt::Debug, Error>) -> InputError {
    match result {
        Err(e @ Error::InvalidInput(InvalidInput::Api(_))) if e.api_error::<InputError>().is_some() => {
            e.api_error::<InputError>().cloned().unwrap()
        }
        other => panic!("expected a LlamadaPro input error, got {other:?}"),
    }
}

/// The rule of the spec that refused a call before it was sent.
fn rule_of(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::InvalidInput(InvalidInput::Request(rule))) => rule,
        other => panic!("expected a spec rule to refuse the request, got {other:?}"),
    }
}

/// The rule of the spec that refused a generated call before it was sent.
fn spec_rule<T: std::fmt::Debug, E: std::fmt::Debug>(result: Result<T, progenitor_client::Error<E>>) -> String {
    match result.map_err(Error::from) {
        Err(Error::InvalidInput(InvalidInput::Request(rule))) => rule,
        other => panic!("expected a spec rule to refuse the request, got {other:?}"),
    }
}

async fn bulk_create(
    client: &Client,
    items: &[BulkSingleConversationCreateParams],
) -> Result<types::BulkOperationResult, Error> {
    Ok(client.bulk_create_conversations().body_map(|b| b.conversations(items.to_vec())).send().await?.into_inner())
}

async fn bulk_update(
    client: &Client,
    items: &[BulkSingleConversationUpdateParams],
) -> Result<types::BulkOperationResult, Error> {
    Ok(client.bulk_update_conversations().body_map(|b| b.conversations(items.to_vec())).send().await?.into_inner())
}

/// The status of a generated call that failed.
/// The answer of a generated call, its error as the crate's.
async fn answer<T>(
    call: impl Future<Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error>>,
) -> Result<T, Error> {
    Ok(call.await?.into_inner())
}

fn status<T: std::fmt::Debug, E>(result: Result<T, progenitor_client::Error<E>>) -> Option<u16> {
    Error::from(result.unwrap_err()).status().map(|s| s.as_u16())
}

fn template(extra: Value) -> types::CreateTemplateMessageRequest {
    let mut value = json!({
        "fromPhoneNumber": "+14155552671",
        "toPhoneNumber": "+56912345678",
        "templateName": "order_update",
        "languageCode": "es",
    });
    value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    from(value)
}

/// The spec operation each recorded request went to.
fn operations_hit(sb: &LlamadaProSandbox) -> BTreeSet<String> {
    let spec: Value = serde_json::from_str(convo_clients::llamadapro::SPEC_JSON).unwrap();
    let validator = SpecValidator::new(&spec).unwrap();
    sb.requests()
        .iter()
        .filter_map(|r| {
            let headers: Vec<(String, String)> = r
                .headers
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let parts = RequestParts {
                method: r.method.as_str(),
                path: &r.path,
                query: r.query.as_deref(),
                headers: &headers,
                body: &r.body,
            };
            validator.validate_request(&parts).ok().map(|v| v.operation_id)
        })
        .collect()
}

#[tokio::test]
async fn every_operation_through_the_client() {
    let sb = sandbox().await;
    let client = client(&sb);

    // v2 and v1 calls, recordings, transcriptions.
    let ai = client
        .start_ai_employee_call()
        .body(from::<types::StartAiEmployeeCallRequest>(json!({
            "toPhoneNumber": "+56911112222",
            "objectives": ["Confirm the appointment"],
            "personality": {"name": "Sofia", "communicationStyle": "professional"},
            "localization": "CL",
            "provider": "vapi",
        })))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ai.provider_name.as_deref(), Some("vapi"));
    let voice = client
        .start_voice_agent_call()
        .body(from::<types::StartVoiceAgentCallRequest>(json!({
            "voiceAgentId": 123, "to": "+1234567890", "contextVariables": {"customerFirstName": "Pedro"},
        })))
        .send()
        .await
        .unwrap()
        .into_inner();
    let bridge = client
        .start_bridge_call()
        .body(from::<types::StartBridgeCallRequest>(
            json!({"to": "+1234567890", "callCustomData": {"customKey": "customValue"}}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bridge.custom_data, Some(json!({"customKey": "customValue"})));
    // A call that took place elsewhere, lasting `duration` seconds.
    let record = |duration: f64| {
        client.create_call().body(from::<types::CreateCallRequest>(json!({
            "status": "completed", "userId": 7, "metadata": null, "from": "+56229990000", "to": "+56911112222",
            "duration": duration, "direction": "outgoing", "startTime": "2025-03-03T10:00:00Z",
        })))
    };
    let recorded = record(42.0).send().await.unwrap().into_inner();
    let call_id = recorded.id_u64().unwrap();
    assert_eq!(client.get_call().call_id(call_id as f64).send().await.unwrap().duration, Some(42.0));
    // A duration too long for the calendar is recorded, not a crash of the emulator.
    let endless = record(1e13).send().await.unwrap().into_inner();
    assert_eq!(endless.duration, Some(1e13));
    let recording = client.get_call_recording().call_id(call_id as f64).send().await.unwrap().into_inner();
    assert_eq!(recording.call_id_u64(), Some(call_id));
    let again = client.get_recording().recording_id(recording.id.unwrap()).send().await.unwrap();
    assert_eq!(again.url, recording.url);
    let transcription = client.get_call_transcription().call_id(voice.id.unwrap()).send().await.unwrap().into_inner();
    assert!(transcription.text.unwrap().contains("+1234567890"));
    client
        .load_recording()
        .body(from::<types::LoadRecordingRequest>(json!({
            "userId": 7, "url": "https://example.com/r.mp3", "callDirection": "incoming", "callFrom": "+56911112222",
        })))
        .send()
        .await
        .unwrap();
    let loaded = sb.calls().into_iter().find(|c| c.direction.as_deref() == Some("incoming")).unwrap();
    assert_eq!(
        client.get_call_recording().call_id(loaded.id.unwrap()).send().await.unwrap().url.as_deref(),
        Some("https://example.com/r.mp3")
    );

    // Tasks.
    let conversation = sb.conversations()[0].id_u64().unwrap();
    let task = client
        .create_task()
        .body(from::<types::CreateTaskRequest>(json!({
            "context": {"conversationId": conversation},
            "objective": "Call the customer back",
            "createdBy": {"id": "u1", "type": "user"},
            "assignedTo": {"id": "ai-7", "type": "ai_employee"},
            "dueDate": "2025-04-01T12:00:00Z",
        })))
        .send()
        .await
        .unwrap()
        .into_inner();
    let task_id = task.id.clone().unwrap();
    assert_eq!(task.status, Some(TaskStatus::Scheduled));
    assert_eq!(client.get_task().task_id(&task_id).send().await.unwrap().objective, task.objective);
    let page = answer(client.get_tasks().conversation_id(conversation as f64).send()).await.unwrap();
    assert!(page.items.iter().any(|t| t.id == task.id));
    let changes = from::<types::UpdateTaskRequest>(json!({"status": "completed"}));
    let done = client.update_task().task_id(&task_id).body(changes).send().await.unwrap().into_inner();
    assert!(done.completed_at.is_some(), "completing stamps the time");
    assert_eq!(done.objective, task.objective, "partial update keeps the rest");
    client.delete_task().task_id(&task_id).send().await.unwrap();
    assert_eq!(status(client.get_task().task_id(&task_id).send().await), Some(404));

    // Contacts.
    let contact = client
        .create_contact()
        .body(from::<types::CreateContactRequest>(json!({
            "firstName": "Jane", "lastName": "Doe", "customFields": {"source": "web"},
            "addresses": [{"address": "+56912345678", "channelType": "PHONE"}],
        })))
        .send()
        .await
        .unwrap()
        .into_inner();
    let contact_id = contact.id_u64().unwrap();
    assert_eq!(contact.addresses[0].channel_type, Some(types::ChannelType::Phone));
    let changes =
        from::<types::UpdateContactRequest>(json!({"firstName": "Janet", "customFields": {"priority": "high"}}));
    let updated = client.update_contact().id(contact_id as f64).body(changes).send().await.unwrap().into_inner();
    assert_eq!(updated.first_name.as_deref(), Some("Janet"));
    assert_eq!(updated.custom_fields.len(), 2, "custom fields merge");
    assert_eq!(client.get_contact().id(contact_id as f64).send().await.unwrap().last_name.as_deref(), Some("Doe"));
    let janet = client.get_contacts().filter_by(FilterBy::new().with("firstName", "Janet").unwrap().to_string());
    assert_eq!(answer(janet.send()).await.unwrap().items.len(), 1);
    let found = answer(
        client
            .search_contacts()
            .body(
                ContactSearchRequest::builder()
                    .filters(vec![SearcherDocumentSearchFilter::eq("addresses.address", "+56912345678")]),
            )
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(found.items[0].id_u64(), Some(contact_id));

    // Conversations.
    let created = answer(
        client
            .create_conversation()
            .body(from::<types::CreateConversationRequest>(
                json!({"funnelId": 2, "contactId": contact_id, "customFields": {"priority": "low"}}),
            ))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(created.contacts[0].id_u64(), Some(contact_id));
    let items: Vec<BulkSingleConversationCreateParams> =
        vec![from(json!({"funnelId": 3, "contact": {"firstName": "Ana", "phones": ["+56987654321"]}}))];
    let report = bulk_create(&client, &items).await.unwrap();
    assert!(report.pair(&items).all_succeeded());
    let updates: Vec<BulkSingleConversationUpdateParams> =
        vec![from(json!({"id": created.id_u64().unwrap(), "funnelStatusId": 4}))];
    assert!(bulk_update(&client, &updates).await.unwrap().pair(&updates).all_succeeded());

    // Messages.
    let sent = answer(client.create_template_message().body(template(json!({"variables": [{"value": "A-1"}]}))).send())
        .await
        .unwrap();
    assert!(sent.content.as_deref().unwrap().contains("A-1"));
    assert_eq!(sent.contact_id, contact.id, "the recipient's number belongs to the contact");
    let text = answer(
        client
            .create_message()
            .body(from::<types::CreateMessageRequest>(json!({
                "fromPhoneNumber": "+14155552671", "toPhoneNumber": "+56912345678", "content": "Hola", "type": "text",
            })))
            .send(),
    )
    .await
    .unwrap();
    let got = client.get_message().message_id(text.id.as_deref().unwrap()).send().await.unwrap();
    assert_eq!(got.content.as_deref(), Some("Hola"));
    let media = answer(client
        .upload_media().body(from::<types::UploadMediaRequest>(json!({
            "fromPhoneNumber": "+14155552671", "fileName": "hi.txt", "contentType": "text/plain", "content": "aGVsbG8=",
        }))).send())
        .await
        .unwrap();
    assert_eq!(media.size, Some(5.0), "base64 of 5 bytes");

    // Custom fields.
    let definition = client
        .create_custom_field_definition()
        .body(from::<types::CreateCustomFieldDefinitionRequest>(
            json!({"entityType": "CONTACT", "fieldKey": "plan", "fieldType": "LIST"}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    let def_id = definition.id_u64().unwrap();
    let def = def_id as f64;
    let relabel = from::<types::UpdateCustomFieldDefinitionRequest>(json!({"fieldLabel": "Plan"}));
    let renamed = client.update_custom_field_definition().id(def).body(relabel).send().await.unwrap().into_inner();
    assert_eq!(renamed.field_label.as_deref(), Some("Plan"));
    assert_eq!(client.get_custom_field_definition().id(def).send().await.unwrap().field_key.as_deref(), Some("plan"));
    let defs = answer(client.get_custom_field_definitions().send()).await.unwrap();
    assert!(defs.items.iter().any(|d| d.id_u64() == Some(def_id)));
    let option = client
        .create_custom_field_option(def_id, &from(json!({"definitionId": def_id, "value": "pro", "label": "Pro"})))
        .await
        .unwrap();
    let option_id = option.id.unwrap();
    assert_eq!(option.definition_id_u64(), Some(def_id));
    let relabel = from::<types::UpdateCustomFieldListOptionRequest>(json!({"label": "Professional"}));
    let call = client.update_custom_field_list_option().definition_id(def).option_id(option_id).body(relabel);
    assert_eq!(call.send().await.unwrap().label.as_deref(), Some("Professional"));
    let got = client.get_custom_field_list_option().definition_id(def).option_id(option_id).send().await.unwrap();
    assert_eq!(got.value.as_deref(), Some("pro"));
    assert_eq!(answer(client.get_custom_field_list_options().definition_id(def).send()).await.unwrap().items.len(), 1);
    client.delete_custom_field_list_option().definition_id(def).option_id(option_id).send().await.unwrap();
    client.delete_custom_field_definition_checked(def_id, false).await.unwrap();
    client.delete_contact().id(contact_id as f64).send().await.unwrap();
    assert_eq!(status(client.get_contact().id(contact_id as f64).send().await), Some(404));

    let hit = operations_hit(&sb);
    let spec: Value = serde_json::from_str(convo_clients::llamadapro::SPEC_JSON).unwrap();
    let all: BTreeSet<String> = SpecValidator::new(&spec).unwrap().operation_ids().map(str::to_string).collect();
    assert_eq!(all.len(), 37);
    assert_eq!(all.difference(&hit).collect::<Vec<_>>(), Vec::<&String>::new(), "operations never called");
    assert!(sb.requests().iter().all(|r| r.header("x-api-key") == Some(sb.api_key().as_str())));
    no_violations(&sb);
}

#[tokio::test]
async fn every_token_paged_list_is_walked_to_the_end_without_duplicates() {
    let sb = sandbox().await;
    let client = client(&sb);

    let tasks: Vec<String> =
        client.get_tasks().limit(7).stream().map_ok(|t| t.id.unwrap()).try_collect().await.unwrap();
    assert_eq!(tasks.len(), sb.tasks().len());
    assert_eq!(tasks.iter().collect::<HashSet<_>>().len(), tasks.len());
    // Each follow-up carries the previous page's token, and the page size
    // again (a `number` on the wire, as the spec types it).
    let requests = sb.requests();
    assert_eq!(requests.len(), sb.tasks().len().div_ceil(7));
    assert!(requests[0].query_param("pageToken").is_none());
    let limit = |r: &RecordedRequest| r.query_param("limit").and_then(|l| l.parse::<f64>().ok());
    assert!(requests[1..].iter().all(|r| r.query_param("pageToken").is_some() && limit(r) == Some(7.0)));

    let active = sb.contacts(false);
    let contacts: Vec<u64> =
        client.get_contacts().page_size(7).stream().map_ok(|c| c.id_u64().unwrap()).try_collect().await.unwrap();
    assert_eq!(contacts, active.iter().map(|c| c.id_u64().unwrap()).collect::<Vec<_>>(), "by id, archived left out");

    sb.clear_requests();
    let search = ContactSearchRequest::builder()
        .include_archived(Some(true))
        .size(std::num::NonZeroU32::new(9))
        .sort(vec![SearcherDocumentSearchSort::desc(types::SearcherDocumentSearchSortField::CreatedAt)])
        .try_into()
        .unwrap();
    let found: Vec<types::ContactSearchDocument> = client.contact_search(search).try_collect().await.unwrap();
    let all = sb.contacts(true);
    assert_eq!(found.len(), all.len());
    assert_eq!(found.iter().map(|d| d.id.clone()).collect::<HashSet<_>>().len(), all.len());
    assert!(found.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    assert_eq!(found.iter().filter(|d| d.archived_at.is_some()).count(), sb.archived_contact_ids().len());
    let bodies: Vec<Value> = sb.requests().iter().map(body).collect();
    assert!(bodies[0].get("pageToken").is_none() && bodies[1]["pageToken"].is_string());
    assert_eq!(bodies[1]["size"], 9);

    let definitions: Vec<u64> = client
        .get_custom_field_definitions()
        .page_size(1)
        .stream()
        .map_ok(|d| d.id_u64().unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(definitions.len(), sb.custom_field_definitions().len());
    let tier = sb.custom_field_definitions().into_iter().find(|d| d.field_key.as_deref() == Some("tier")).unwrap();
    let tier_id = tier.id_u64().unwrap();
    let options: Vec<String> = client
        .get_custom_field_list_options()
        .definition_id(tier_id as f64)
        .page_size(1)
        .sort_by(SortBy::desc("value").unwrap().to_string())
        .stream()
        .map_ok(|o| o.value.unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(options, ["silver", "gold", "bronze"]);

    // A definition filter by entity type.
    let conversation_fields: Vec<types::CustomFieldDefinition> = client
        .get_custom_field_definitions()
        .filter_by("entityType:FUNNEL_CONVERSATION".parse::<FilterBy>().unwrap().to_string())
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conversation_fields.len(), 1);
    no_violations(&sb);
}

#[tokio::test]
async fn page_tokens_are_opaque_and_bound_to_their_query() {
    let sb = sandbox().await;
    let client = client(&sb);
    let filter = FilterBy::new().with("channelType", "WHATSAPP").unwrap().to_string();
    let query = client.get_contacts().page_size(5).filter_by(filter);
    let first = answer(query.clone().send()).await.unwrap();
    let token = first.next_page_token.clone().unwrap();
    assert!(answer(query.page_token(&token).send()).await.is_ok());
    // The same token with another filter, or a made-up one, is refused.
    let other = client.get_contacts().page_size(5);
    let err = answer(other.page_token(&token).send()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400), "{err}");
    assert!(err.body().unwrap().message().unwrap().contains("pageToken"));
    let err = answer(client.get_tasks().page_token("Xde34567890").send()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    no_violations(&sb);
}

#[tokio::test]
async fn contacts_filter_sort_and_search_as_documented() {
    let sb = sandbox().await;
    let client = client(&sb);
    let active = sb.contacts(false);
    let sample = &active[3];
    let last = sample.last_name.clone().unwrap();

    let filter = FilterBy::new().with("lastName", &last).unwrap().to_string();
    let query = client.get_contacts().filter_by(filter).sort_by(SortBy::desc("firstName").unwrap().to_string());
    let page = answer(query.page_size(100).send()).await.unwrap();
    let expected = active.iter().filter(|c| c.last_name.as_deref() == Some(last.as_str())).count();
    assert_eq!(page.items.len(), expected);
    assert_eq!(page.total_count, Some(expected as f64));
    assert!(page.items.windows(2).all(|w| w[0].first_name >= w[1].first_name));
    let sent = &sb.requests()[0];
    assert_eq!(sent.query_param("filterBy"), Some(format!("lastName:{last}")));
    assert_eq!(sent.query_param("sortBy").as_deref(), Some("firstName=desc"));

    // `email` matches the addresses too (the legacy field is empty).
    let email = sample.addresses.iter().find_map(|a| a.address.clone().filter(|a| a.contains('@'))).unwrap();
    let by_email = client.get_contacts().filter_by(FilterBy::new().with("email", &email).unwrap().to_string());
    let page = answer(by_email.send()).await.unwrap();
    assert_eq!(page.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![sample.id]);
    let searched = answer(client.get_contacts().search_by(&email[..6]).send()).await.unwrap();
    assert!(searched.items.iter().any(|c| c.id == sample.id));

    // Search: OR of conditions, archived contacts only on request.
    let archived = sb.archived_contact_ids()[0];
    let archived_contact = sb.contacts(true).into_iter().find(|c| c.id_u64() == Some(archived)).unwrap();
    let phone = archived_contact.addresses[0].address.clone().unwrap();
    let request = |include_archived: bool| {
        ContactSearchRequest::builder()
            .filters(vec![
                SearcherDocumentSearchFilter::eq("addresses.address", &phone),
                SearcherDocumentSearchFilter::eq("id", sample.id_u64().unwrap().to_string()).or(),
            ])
            .include_archived(Some(include_archived))
            .include_total_count(Some(true))
    };
    let without = answer(client.search_contacts().body(request(false)).send()).await.unwrap();
    assert_eq!(without.items.iter().map(|d| d.id_u64()).collect::<Vec<_>>(), vec![sample.id_u64()]);
    let with = answer(client.search_contacts().body(request(true)).send()).await.unwrap();
    assert_eq!(with.total_count, Some(2.0));
    let doc = with.items.iter().find(|d| d.id_u64() == Some(archived)).unwrap();
    assert!(doc.archived_at.is_some());
    assert_eq!(doc.model_type.as_deref(), Some("Contact"));
    let body = body(sb.requests().last().unwrap());
    assert_eq!(
        body["filters"][1],
        json!({"field": "id", "operator": "eq", "value": sample.id_u64().unwrap().to_string(), "or": true})
    );
    assert_eq!(body["includeTotalCount"], true, "a boolean, not the docs example's string");
    let contains = ContactSearchRequest::builder()
        .filters(vec![SearcherDocumentSearchFilter::contains("lastName", last[..3].to_lowercase())])
        .size(std::num::NonZeroU32::new(100));
    let partial = answer(client.search_contacts().body(contains).send()).await.unwrap();
    assert!(partial.items.len() >= expected);
    assert!(partial.total_count.is_none(), "only with includeTotalCount");

    // What the server cannot use is a 400 that names the parameter.
    let bad = client.get_contacts().filter_by(FilterBy::new().with("colour", "red").unwrap().to_string());
    let err = answer(bad.send()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(err.body().unwrap().message().unwrap().contains("colour"), "{err}");
    let err =
        answer(client.get_contacts().sort_by(SortBy::asc("colour").unwrap().to_string()).send()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let odd = ContactSearchRequest::builder().filters(vec![SearcherDocumentSearchFilter::with_operator(
        "lastName",
        "soundsLike",
        "x",
    )]);
    let err = answer(client.search_contacts().body(odd).send()).await.unwrap_err();
    assert!(err.body().unwrap().message().unwrap().contains("soundsLike"), "{err}");
    no_violations(&sb);
}

#[tokio::test]
async fn task_filters_go_out_under_their_names() {
    let sb = sandbox().await;
    let client = client(&sb);
    let all = sb.tasks();
    let due_before = chrono::DateTime::parse_from_rfc3339("2025-03-10T00:00:00Z").unwrap().to_utc();
    let query = client
        .get_tasks()
        .status(TaskStatus::Scheduled)
        .assigned_to_type(TaskAssigneeType::User)
        .due_before(due_before)
        .limit(100);
    let got: Vec<types::Task> = query.stream().try_collect().await.unwrap();
    let expected: Vec<&types::Task> = all
        .iter()
        .filter(|t| {
            t.status == Some(TaskStatus::Scheduled)
                && t.assigned_to.as_ref().unwrap().type_ == Some(TaskAssigneeType::User)
                && t.due_date.is_some_and(|d| d < due_before)
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got.len(), expected.len());
    let mut keys: Vec<String> = sb.requests()[0].query_pairs().into_iter().map(|(k, _)| k).collect();
    keys.sort();
    assert_eq!(keys, ["assignedToType", "dueBefore", "limit", "status"]);
    assert_eq!(sb.requests()[0].query_param("status").as_deref(), Some("scheduled"));

    // The docs' own example filters on `pending`, which the enum lacks: a
    // task the server sends with it still decodes.
    let task = all[0].id.clone().unwrap();
    sb.script(
        ScriptedResponse::new(200).on(Method::GET, "/api/v1/tasks/").json(&json!({"id": task, "status": "pending"})),
    );
    let odd = client.get_task().task_id(&task).send().await.unwrap().into_inner();
    assert_eq!(odd.status.as_ref().map(|s| s.as_str()), Some("pending"));
    assert!(odd.status.unwrap().is_unrecognized());
}

#[tokio::test]
async fn rules_the_schema_cannot_hold_fail_before_sending() {
    let sb = sandbox().await;
    let client = client(&sb);
    let both = template(json!({
        "variables": [{"value": "A-1"}],
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "A-1"}]}],
    }));
    let rule = rule_of(answer(client.create_template_message().body(both.clone()).send()).await);
    assert!(rule.starts_with("request body: a template message takes variables or components, not both"), "{rule}");
    // E.164 numbers are the spec's rule (`x-format: e164`), checked with the
    // rest of the request.
    let local = template(json!({"toPhoneNumber": "0912345678"}));
    let rule = rule_of(answer(client.create_template_message().body(local.clone()).send()).await);
    assert_eq!(
        rule,
        "request body.toPhoneNumber: \"0912345678\" is not an E.164 phone number (+, country code and number, \
         digits only, e.g. +14155552671)"
    );
    let spaced: types::CreateMessageRequest = from(json!({
        "fromPhoneNumber": "+1 415 555 2671", "toPhoneNumber": "+56912345678", "content": "hi", "type": "text",
    }));
    assert!(
        rule_of(answer(client.create_message().body(spaced.clone()).send()).await)
            .starts_with("request body.fromPhoneNumber: ")
    );
    let no_e164: types::UploadMediaRequest = from(json!({"fromPhoneNumber": "4155552671", "fileId": "f"}));
    assert!(
        rule_of(answer(client.upload_media().body(no_e164.clone()).send()).await)
            .contains("\"4155552671\" is not an E.164")
    );
    // No mode, both modes, a direct upload without contentType.
    for upload in [
        json!({"fromPhoneNumber": "+14155552671"}),
        json!({"fromPhoneNumber": "+14155552671", "fileId": "f", "content": "aGk="}),
        json!({"fromPhoneNumber": "+14155552671", "fileName": "a.png", "content": "aGk="}),
    ] {
        let rule = rule_of(answer(client.upload_media().body(from::<types::UploadMediaRequest>(upload)).send()).await);
        assert!(
            rule.starts_with("request body: an upload takes fileId, or all of fileName, contentType and content"),
            "{rule}"
        );
    }
    let neither: types::CreateConversationRequest = from(json!({"funnelId": 1}));
    let rule = rule_of(answer(client.create_conversation().body(neither.clone()).send()).await);
    assert!(rule.starts_with("request body: a conversation needs contactId"), "{rule}");
    let fraction: types::CreateConversationRequest = from(json!({"funnelId": 1.5, "contactId": 5}));
    let rule = rule_of(answer(client.create_conversation().body(fraction.clone()).send()).await);
    assert!(rule.starts_with("request body.funnelId: ") && rule.contains("multiple"), "{rule}");
    let mismatch: types::CreateCustomFieldListOptionRequest = from(json!({"definitionId": 8, "value": "x"}));
    assert!(matches!(
        input_error(client.create_custom_field_option(9, &mismatch).await),
        InputError::DefinitionIdMismatch { path: 9, .. }
    ));
    // Generated calls: the spec's rules refuse ids that are not whole numbers up to 2^53 - 1.
    let rule = spec_rule(client.get_contact().id((MAX_ID + 1) as f64).send().await);
    assert!(rule.contains("path parameter id") && rule.contains("maximum"), "{rule}");
    let rule = spec_rule(client.get_call().call_id(1.5).send().await);
    assert!(rule.contains("path parameter callId") && rule.contains("multiple"), "{rule}");
    let rule = spec_rule(client.get_custom_field_list_option().definition_id(-1.0).option_id(1.0).send().await);
    assert!(rule.contains("definitionId") && rule.contains("minimum"), "{rule}");
    let half: Vec<BulkSingleConversationUpdateParams> = vec![from(json!({"id": 2.5}))];
    let rule = spec_rule(client.bulk_update_conversations().body_map(|b| b.conversations(half)).send().await);
    assert!(rule.contains("conversations[0].id"), "{rule}");
    let rule = spec_rule(client.get_task().task_id("").send().await);
    assert!(rule.contains("empty"), "{rule}");
    // (A tenant on the contact list cannot be written: `get_contacts()` has no `tenant_id`.)
    assert!(matches!(answer(client.get_tasks().limit(0).send()).await, Err(Error::InvalidInput(_))));
    assert!(matches!(answer(client.get_contacts().page_size(0).send()).await, Err(Error::InvalidInput(_))));
    let rule = spec_rule(client.bulk_create_conversations().body_map(|b| b.conversations(Vec::new())).send().await);
    assert!(rule.contains("body.conversations"), "{rule}");
    assert!(matches!(bulk_update(&client, &[]).await, Err(Error::InvalidInput(InvalidInput::Request(_)))));
    // Phone numbers (`x-format: e164` on properties, array items and, by an
    // `x-check`, PHONE and WHATSAPP addresses) and task due dates (`x-range`,
    // `format: date-time`): the spec's rules, for every way of calling.
    let contact: types::CreateContactRequest =
        from(json!({"addresses": [{"channelType": "EMAIL", "address": "a@example.com"},
                                  {"channelType": "PHONE", "address": "12345"}]}));
    let rule = spec_rule(client.create_contact().body(contact).send().await);
    assert!(rule.contains(r#"body.addresses[1].address: "12345" is not an E.164 phone number"#), "{rule}");
    let contact: types::CreateContactRequest =
        from(json!({"addresses": [{"channelType": "WHATSAPP", "address": "+56 9 1234 5678"}]}));
    assert!(spec_rule(client.create_contact().body(contact).send().await).contains("addresses[0].address"));
    let contact: types::CreateContactRequest = from(json!({"phone": "555-1234"}));
    assert!(spec_rule(client.create_contact().body(contact).send().await).starts_with("request body.phone: "));
    let conversation: types::CreateConversationRequest =
        from(json!({"funnelId": 1, "contact": {"phones": ["+56912345678", "12345"]}}));
    let rule = rule_of(answer(client.create_conversation().body(conversation.clone()).send()).await);
    assert!(rule.starts_with(r#"request body.contact.phones[1]: "12345" is not an E.164"#), "{rule}");
    let call: types::StartVoiceAgentCallRequest = from(json!({"voiceAgentId": 1, "to": "555", "contextVariables": {}}));
    let rule = spec_rule(client.start_voice_agent_call().body(call).send().await);
    assert!(rule.starts_with(r#"request body.to: "555" is not an E.164"#), "{rule}");
    let call: types::StartAiEmployeeCallRequest =
        from(json!({"toPhoneNumber": "+14155552671", "fromPhoneNumber": "0800 123", "objectives": ["x"]}));
    assert!(spec_rule(client.start_ai_employee_call().body(call).send().await).contains("body.fromPhoneNumber"));
    let call: types::StartBridgeCallRequest = from(json!({"to": "+1 234 567 890"}));
    assert!(spec_rule(client.start_bridge_call().body(call).send().await).contains("body.to"));
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let inverted = client.get_tasks().due_after(at("2024-05-02T00:00:00Z")).due_before(at("2024-05-01T00:00:00Z"));
    let err = answer(inverted.send()).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(InvalidInput::Request(m))
            if m.starts_with("query parameters dueAfter and dueBefore: ") && m.ends_with("the range is empty")),
        "{err}"
    );
    let url = format!("{}/api/v1/tasks?dueBefore=garbage", client.base_url());
    let err = client.generated().execute_operation("getTasks", client.http_client().get(url).build().unwrap()).await;
    let err = err.unwrap_err().to_string();
    assert!(err.contains(r#"query parameter dueBefore: "garbage" is not a date-time"#), "{err}");
    // Values the filterBy and sortBy syntaxes cannot carry never become a request.
    assert!(matches!(FilterBy::new().with("note", "a;b"), Err(InputError::BadFilter { .. })));
    assert!(matches!("createdAt=sideways".parse::<SortBy>(), Err(InputError::BadSort { .. })));
    assert!(sb.requests().is_empty(), "nothing was sent: {:?}", sb.requests());
}

#[tokio::test]
async fn the_sandbox_enforces_the_same_rules_as_the_server() {
    let sb = sandbox().await;
    let http = crate::raw_http();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", sb.base_url())).header("x-api-key", sb.api_key()).json(&body).send()
    };
    let cases = [
        (
            "/api/v1/messages/whatsapp/template",
            json!({"fromPhoneNumber": "+14155552671", "toPhoneNumber": "+56912345678", "templateName": "t",
                   "languageCode": "es", "variables": [{"value": "a"}],
                   "components": [{"type": "body", "parameters": [{"type": "text", "text": "a"}]}]}),
            "not both",
        ),
        (
            "/api/v1/messages/whatsapp",
            json!({"fromPhoneNumber": "14155552671", "toPhoneNumber": "+56912345678", "content": "hi", "type": "text"}),
            "E.164",
        ),
        (
            "/api/v1/messages/whatsapp",
            json!({"fromPhoneNumber": "+14155552671", "toPhoneNumber": "+56912345678", "content": "", "type": "image"}),
            "fileId",
        ),
        // Redoc's placeholders (seed 004 L990-L1009) name no field and no page size.
        (
            "/api/v1/contacts/search",
            json!({"filters": [{"field": "string", "operator": "eq", "value": "string"}]}),
            "cannot search by \"string\"",
        ),
        (
            "/api/v1/contacts/search",
            json!({"sort": [{"field": "string", "direction": "asc"}]}),
            "not one of id, createdAt",
        ),
        ("/api/v1/contacts/search", json!({"size": 0.1}), "not an integer"),
        ("/api/v1/conversations", json!({"funnelId": 1, "contact": {"phones": ["string"]}}), "E.164"),
        ("/api/v1/conversations", json!({"funnelId": 1}), "contactId"),
        ("/api/v1/conversations", json!({"funnelId": 99, "contactId": 5}), "funnel"),
        // The spec validator's rules, the same the client checks.
        ("/api/v1/contacts", json!({"addresses": [{"channelType": "PHONE", "address": "12345"}]}), "E.164"),
        ("/api/v2/calls/agent", json!({"toPhoneNumber": "555", "objectives": ["x"]}), "E.164"),
    ];
    for (path, request, expected) in cases {
        let response = post(path, request).await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{path}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], 400.0);
        assert!(error["message"].as_str().unwrap().contains(expected), "{path}: {error}");
    }
    // The key is required; the contract checks the schema before that.
    let response = http.get(format!("{}/api/v1/tasks", sb.base_url())).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    // Only the key the emulator exports is taken.
    let wrong = http.get(format!("{}/api/v1/tasks", sb.base_url())).header("x-api-key", "llp_other").send();
    assert_eq!(wrong.await.unwrap().status().as_u16(), 401);
    no_violations(&sb);
}

#[tokio::test]
async fn a_bulk_report_pairs_every_item_with_its_outcome() {
    let sb = sandbox().await;
    let client = client(&sb);
    let conversations = sb.conversations();
    let existing = &conversations[0];
    let existing_contact = existing.contact_id_u64().unwrap();
    let matched_phone = sb.contacts(false)[20].addresses[0].address.clone().unwrap();
    let items: Vec<BulkSingleConversationCreateParams> = vec![
        from(json!({"funnelId": 1, "contact": {"firstName": "Nueva", "phones": ["+56900000001"]}})),
        from(json!({"funnelId": 1, "contactId": existing_contact})),
        from(json!({"contact": {"firstName": "Sin", "phones": ["+56900000002"]}})),
        from(json!({"funnelId": 2})),
        from(json!({"funnelId": 2, "contactId": existing_contact, "contact": {"firstName": "Doble"}})),
        from(json!({"funnelId": 1, "contact": {"firstName": "Otra", "phones": ["+56900000001"]}})),
        from(json!({"funnelId": 2, "contact": {"lastName": "Match", "phones": [matched_phone]}})),
        from(json!({"funnelId": 3, "contactId": 999_999})),
    ];
    let result = bulk_create(&client, &items).await.unwrap();
    let outcome = result.pair(&items);
    let kinds: Vec<&str> = outcome.items.iter().map(|r| r.outcome.kind()).collect();
    assert_eq!(kinds, ["succeeded", "duplicate", "failed", "failed", "succeeded", "duplicate", "warning", "failed"]);
    assert!(!outcome.all_succeeded());
    assert!(outcome.counts_agree(), "{:?}", outcome.counts);
    assert_eq!(outcome.counts.as_ref().unwrap().total, Some(8.0));

    let ItemOutcome::Duplicate { existing_id, existing: entities, .. } = &outcome.items[1].outcome else { panic!() };
    assert_eq!(*existing_id, existing.id_u64());
    assert!(entities.contains_key("funnelConversation"));
    // The second item for a new phone repeats the first item of the same batch.
    let first_created = sb
        .conversations()
        .into_iter()
        .find(|c| c.contacts[0].addresses.iter().any(|a| a.address.as_deref() == Some("+56900000001")))
        .unwrap();
    assert_eq!(outcome.items[5].outcome.id(), first_created.id_u64());

    // Every failure names its field, and the code where the server has one.
    let failures: Vec<(usize, String, Option<BulkIssueCode>)> = outcome
        .failed()
        .map(|r| {
            let issue = &r.outcome.issues()[0];
            (r.index, issue.field.clone().unwrap(), issue.code.clone())
        })
        .collect();
    assert_eq!(
        failures,
        [
            (2, "funnelId".into(), Some(BulkIssueCode::RequiredField)),
            (3, "contactId".into(), Some(BulkIssueCode::RequiredField)),
            (7, "contactId".into(), None),
        ]
    );
    assert!(std::ptr::eq(outcome.failed().next().unwrap().item, &items[2]), "paired with the input");
    let ItemOutcome::SucceededWithWarnings { id, warnings } = &outcome.items[6].outcome else { panic!() };
    assert!(warnings[0].message.as_deref().unwrap().contains("matched existing contact"));
    let matched = sb.conversations().into_iter().find(|c| c.id_u64() == *id).unwrap();
    assert_eq!(matched.contacts[0].last_name.as_deref(), Some("Match"), "the matched contact was updated");
    // contactId with contact: the contact contactId names is attached and updated (seed 004 L573).
    let both = sb
        .conversations()
        .into_iter()
        .find(|c| c.contact_id_u64() == Some(existing_contact) && c.funnel_id == Some(2.0))
        .unwrap();
    assert_eq!(both.contacts[0].first_name.as_deref(), Some("Doble"));

    // Updates: one fine, one unknown, the same id twice, a foreign contact.
    let target = existing.id_u64().unwrap();
    let updates: Vec<BulkSingleConversationUpdateParams> = vec![
        from(json!({"id": target, "funnelStatusId": 5, "customFields": {"priority": "low"}})),
        from(json!({"id": 987_654})),
        from(json!({"id": target, "funnelStatusId": 6})),
        from(json!({"id": conversations[1].id, "contact": {"id": existing_contact, "firstName": "X"}})),
    ];
    let outcome = bulk_update(&client, &updates).await.unwrap();
    let outcome = outcome.pair(&updates);
    let kinds: Vec<&str> = outcome.items.iter().map(|r| r.outcome.kind()).collect();
    assert_eq!(kinds, ["succeeded", "failed", "duplicate", "failed"]);
    assert!(outcome.counts_agree());
    let updated = sb.conversations().into_iter().find(|c| c.id_u64() == Some(target)).unwrap();
    assert_eq!(updated.funnel_status_id, Some(5.0), "the duplicate was not applied");

    // The single create refuses what the bulk create skips as a duplicate.
    let again: types::CreateConversationRequest = from(json!({"funnelId": 1, "contactId": existing_contact}));
    let err = answer(client.create_conversation().body(again.clone()).send()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(err.body().unwrap().as_str().contains("existingConversationId"), "{err}");
    no_violations(&sb);
}

#[tokio::test]
async fn a_definition_in_use_is_only_deleted_with_force() {
    let sb = sandbox().await;
    let client = client(&sb);
    let by_key = |key: &str| {
        sb.custom_field_definitions()
            .into_iter()
            .find(|d| d.field_key.as_deref() == Some(key))
            .unwrap()
            .id_u64()
            .unwrap()
    };
    let source = by_key("source");
    let users = sb.contacts(true).iter().filter(|c| c.custom_fields.contains_key("source")).count();
    assert!(users > 0);

    let err = client.delete_custom_field_definition_checked(source, false).await.unwrap_err();
    let Some(in_use) = err.api_error::<DefinitionInUse>() else { panic!("{err:?}") };
    assert_eq!(in_use.definition_id, source);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(409));
    assert!(err.body().unwrap().message().unwrap().contains("force=true"), "the server's own words are kept");
    let text = err.to_string();
    assert!(text.contains("force") && text.contains("every value") && text.contains("409"), "{text}");
    assert_eq!(sb.requests()[0].query_param("force").as_deref(), Some("false"));
    assert!(client.get_custom_field_definition().id(source as f64).send().await.is_ok(), "still there");

    // An unused definition goes without force; an in-use one with it, values included.
    client.delete_custom_field_definition_checked(by_key("birthday"), false).await.unwrap();
    let deleted = client.delete_custom_field_definition_checked(source, true).await.unwrap();
    assert_eq!(deleted.field_key.as_deref(), Some("source"));
    assert!(sb.contacts(true).iter().all(|c| !c.custom_fields.contains_key("source")));
    assert_eq!(status(client.get_custom_field_definition().id(source as f64).send().await), Some(404));

    // A definition's key is unique per entity type, and only LIST fields have options.
    let dup: types::CreateCustomFieldDefinitionRequest =
        from(json!({"entityType": "CONTACT", "fieldKey": "tier", "fieldType": "STRING"}));
    assert_eq!(status(client.create_custom_field_definition().body(dup).send().await), Some(400));
    let tier = by_key("tier");
    let gold: types::CreateCustomFieldListOptionRequest = from(json!({"definitionId": tier, "value": "gold"}));
    assert_eq!(
        client.create_custom_field_option(tier, &gold).await.unwrap_err().status().map(|s| s.as_u16()),
        Some(400)
    );
    let priority = by_key("priority");
    let unknown = client.get_custom_field_list_options().definition_id((by_key("tier") + 1000) as f64);
    let err = answer(unknown.send()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let call = client.get_custom_field_list_option().definition_id(priority as f64).option_id(1);
    assert_eq!(status(call.send().await), Some(404));
    assert!(
        sb.custom_field_definitions().iter().all(|d| d.field_type != Some(CustomFieldType::Date)),
        "birthday is gone"
    );
    no_violations(&sb);
}

#[tokio::test]
async fn templates_components_media_and_messages() {
    let sb = sandbox().await;
    let client = client(&sb);
    let with_components = template(json!({
        "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://example.com/a.png"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Pedro"}, {"type": "text", "text": "A-1"}]},
            {"type": "button", "sub_type": "quick_reply", "index": "0", "parameters": [{"type": "payload", "payload": "YES"}]},
        ],
    }));
    let sent = answer(client.create_template_message().body(with_components.clone()).send()).await.unwrap();
    assert!(sent.content.as_deref().unwrap().contains("Pedro | A-1 | YES"), "{:?}", sent.content);
    let wire = body(&sb.requests()[0]);
    assert_eq!(wire["components"][2]["sub_type"], "quick_reply");
    assert!(wire.get("variables").is_none(), "an empty list is not sent");
    let plain = answer(client.create_template_message().body(template(json!({}))).send()).await.unwrap();
    assert_eq!(plain.direction.as_deref(), Some("outbound"));

    let media: types::CreateMessageRequest = from(json!({
        "fromPhoneNumber": "+14155552671", "toPhoneNumber": "+56912345678", "content": "Factura", "type": "document",
        "fileId": "file_123",
    }));
    let sent = answer(client.create_message().body(media.clone()).send()).await.unwrap();
    assert!(sent.attachments[0].url.as_deref().unwrap().contains("signature"));
    let by_id = answer(
        client
            .upload_media()
            .body(from::<types::UploadMediaRequest>(
                json!({"fromPhoneNumber": "+14155552671", "fileId": "file_123", "tags": {"k": "v"}}),
            ))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(by_id.file_id.as_deref(), Some("file_123"));
    assert_eq!(by_id.tags.get("k").map(String::as_str), Some("v"));

    // The seeded inbound message has an attachment; an unknown id is a 400 (no 404 is documented).
    let inbound = sb.messages().into_iter().find(|m| m.direction.as_deref() == Some("inbound")).unwrap();
    let got = client.get_message().message_id(inbound.id.as_deref().unwrap()).send().await.unwrap();
    assert_eq!(got.attachments[0].type_.as_deref(), Some("image"));
    assert_eq!(status(client.get_message().message_id("msg_missing").send().await), Some(400));
    no_violations(&sb);
}

#[tokio::test]
async fn auth_retries_and_secrets() {
    let sb = sandbox().await;
    let wrong = Client::builder("llp_wrong_key").base_url(sb.base_url()).build().unwrap();
    let err = answer(wrong.get_tasks().send()).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert!(!format!("{err} {err:?} {wrong:?}").contains("llp_wrong_key"));
    assert!(!format!("{:?}", Client::builder("llp_secret").base_url(sb.base_url())).contains("llp_secret"));

    // The search is marked x-retry-safe and retried; a create is not.
    let client = Client::builder(sb.api_key())
        .base_url(sb.base_url())
        .config(
            ClientConfig::default()
                .with_retry(RetryPolicy::default().with_base_delay(std::time::Duration::from_millis(5))),
        )
        .build()
        .unwrap();
    sb.clear_requests();
    sb.script(ScriptedResponse::new(503).on(Method::POST, "/api/v1/contacts/search"));
    answer(client.search_contacts().body(ContactSearchRequest::default()).send()).await.expect("retried after the 503");
    assert_eq!(sb.requests().len(), 2);
    sb.clear_requests();
    sb.script(ScriptedResponse::new(503).on(Method::POST, "/api/v1/contacts"));
    let call = client.create_contact().body(from::<types::CreateContactRequest>(json!({"firstName": "Once"})));
    let err = Error::from(call.send().await.unwrap_err());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(sb.requests().len(), 1, "a create is sent once");
}

/// A 200 page without its list is an error, not an empty last page: an export
/// must not end early with exit 0.
#[tokio::test]
async fn a_page_without_its_list_is_an_error() {
    let sb = sandbox().await;
    let client = client(&sb);
    sb.script(ScriptedResponse::new(200).on(Method::GET, "/api/v1/tasks").json(&json!({})));
    let result: convo_clients::Result<Vec<_>> = client.get_tasks().stream().try_collect().await;
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(err.to_string().contains("items"), "{err}");
}

/// What the seed shows the server accepts, over HTTP: string scalars in bodies
/// (seed 004 L979), `contactId` with `contact` (L573), upload content in any
/// encoding (L1391); and what the spec documents: a missing body is a 400, a
/// `null` clears a nullable field, a bulk item with a bad phone is reported.
#[tokio::test]
async fn the_sandbox_takes_what_the_seed_sends() {
    let sb = sandbox().await;
    let http = crate::raw_http();
    let send = |method: Method, path: &str, body: Option<Value>| {
        let request = http.request(method, format!("{}{path}", sb.base_url())).header("x-api-key", sb.api_key());
        match body {
            Some(body) => request.json(&body).send(),
            None => request.send(),
        }
    };
    let json_of = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.unwrap())
    };

    // The docs' search example, without its placeholder page token: "true" and "20" are read as true and 20.
    let search = json!({"filters": [{"field": "addresses.address", "operator": "contains", "value": "+56"}],
        "sort": [{"field": "createdAt", "direction": "desc"}], "size": "20", "includeTotalCount": "true"});
    let (status, page) = json_of(send(Method::POST, "/api/v1/contacts/search", Some(search)).await.unwrap()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["totalCount"].as_f64().unwrap() >= 1.0, "{page}");
    assert!(page["items"].as_array().unwrap().len() <= 20);
    let (status, _) = json_of(
        send(Method::POST, "/api/v1/contacts/search", Some(json!({"includeArchived": "maybe"}))).await.unwrap(),
    )
    .await;
    assert_eq!(status, 400, "a string that reads as no boolean");

    // contactId and contact together: the contact contactId names is attached and updated.
    let contact = sb.contacts(false)[3].clone();
    let id = contact.id_u64().unwrap();
    let both = json!({"funnelId": 2, "contactId": id, "contact": {"firstName": "Renamed", "phones": ["+56911112222"]}});
    let (status, created) = json_of(send(Method::POST, "/api/v1/conversations", Some(both)).await.unwrap()).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["contactId"], json!(id as f64));
    assert_eq!(created["contacts"][0]["firstName"], "Renamed");
    assert!(created["contacts"][0]["addresses"].as_array().unwrap().iter().any(|a| a["address"] == "+56911112222"));

    // Upload content the seed gives no encoding for: any text is taken, base64 is counted decoded.
    for (content, size) in [("not base64 at all!", 18.0), ("aGVsbG8=", 5.0)] {
        let upload = json!({"fromPhoneNumber": "+14155552671", "fileName": "a.txt", "contentType": "text/plain",
            "content": content});
        let (status, media) =
            json_of(send(Method::POST, "/api/v1/messages/whatsapp/media", Some(upload)).await.unwrap()).await;
        assert_eq!((status, media["size"].as_f64()), (200, Some(size)), "{media}");
    }

    // null clears a nullable field; an absent one keeps its value.
    let path = format!("/api/v1/contacts/{id}");
    let (status, cleared) =
        json_of(send(Method::PUT, &path, Some(json!({"firstName": null, "lastName": "Kept"}))).await.unwrap()).await;
    assert_eq!(status, 200, "{cleared}");
    assert!(cleared["firstName"].is_null(), "{cleared}");
    assert_eq!(cleared["lastName"], "Kept");
    assert_eq!(sb.contacts(false).iter().find(|c| c.id_u64() == Some(id)).unwrap().first_name, None);
    let task = sb.tasks().into_iter().find(|t| t.due_date.is_some()).unwrap();
    let path = format!("/api/v1/tasks/{}", task.id.clone().unwrap());
    let (status, changed) = json_of(send(Method::PUT, &path, Some(json!({"dueDate": null}))).await.unwrap()).await;
    assert_eq!(status, 200, "{changed}");
    assert!(changed.get("dueDate").is_none_or(Value::is_null), "{changed}");
    assert_eq!(changed["objective"], json!(task.objective));

    // A bulk item with a phone that is not E.164 is reported, not refused (the items allow unknown, L375).
    let items = json!({"conversations": [{"funnelId": 1, "contact": {"firstName": "X", "phones": ["string"]}}]});
    let (status, report) = json_of(send(Method::POST, "/api/v1/conversations/bulk", Some(items)).await.unwrap()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["report"]["itemsIssues"][0]["errors"][0]["field"], "contact.phones");

    // Statuses the seed does not show for these operations are documented: 400 for a missing body.
    for (method, path) in
        [(Method::POST, "/api/v1/tasks"), (Method::POST, "/api/v1/calls"), (Method::PUT, "/api/v1/contacts/1")]
    {
        let (status, error) = json_of(send(method, path, None).await.unwrap()).await;
        assert_eq!((status, error["code"].as_f64()), (400, Some(400.0)), "{path}: {error}");
    }
    no_violations(&sb);
}

#[tokio::test]
async fn contact_lists_page_like_the_whole_list_sorted_and_show_writes_at_once() {
    let sb = sandbox().await;
    let client = client(&sb);
    let ids = |contacts: &[types::Contact]| contacts.iter().map(|c| c.id_u64().unwrap()).collect::<Vec<_>>();
    let listed = |call: GetContacts<'_>| {
        let stream = call.page_size(7).stream();
        async move { stream.try_collect::<Vec<_>>().await.unwrap() }
    };
    // Sorted by text, case-insensitively; ties (and absent names, last) keep id order.
    let by_name = |desc: bool| {
        let mut active = sb.contacts(false);
        active.sort_by(|a, b| {
            let key = |c: &types::Contact| c.first_name.as_deref().map(str::to_lowercase);
            let order = match (key(a), key(b)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (x, y) => y.is_some().cmp(&x.is_some()),
            };
            if desc { order.reverse() } else { order }
        });
        ids(&active)
    };
    let desc = client.get_contacts().sort_by(SortBy::desc("firstName").unwrap().to_string());
    assert_eq!(ids(&listed(desc.clone()).await), by_name(true));
    let asc = client.get_contacts().sort_by(SortBy::asc("firstName").unwrap().to_string());
    assert_eq!(ids(&listed(asc).await), by_name(false));
    let filter = client.get_contacts().filter_by(FilterBy::new().with("channelType", "EMAIL").unwrap().to_string());
    let emails: Vec<u64> = ids(&sb.contacts(false))
        .into_iter()
        .filter(|id| {
            let contact = sb.contacts(false).into_iter().find(|c| c.id_u64() == Some(*id)).unwrap();
            contact.addresses.iter().any(|a| a.channel_type == Some(types::ChannelType::Email))
        })
        .collect();
    assert!(!emails.is_empty());
    assert_eq!(ids(&listed(filter).await), emails);

    // A new contact, an update and a deletion show in the next list, sorted or not.
    let created = client
        .create_contact()
        .body(from::<types::CreateContactRequest>(json!({"firstName": "Zzz", "lastName": "Last"})))
        .send()
        .await
        .unwrap()
        .into_inner();
    let id = created.id_u64().unwrap();
    assert_eq!(ids(&listed(desc.clone()).await).first(), Some(&id));
    assert_eq!(ids(&listed(client.get_contacts()).await).last(), Some(&id));
    let renamed = from::<types::UpdateContactRequest>(json!({"firstName": "Aaa"}));
    client.update_contact().id(id as f64).body(renamed).send().await.unwrap();
    assert_eq!(ids(&listed(desc.clone()).await).last(), Some(&id));
    assert_eq!(ids(&listed(desc.clone()).await), by_name(true));
    client.delete_contact().id(id as f64).send().await.unwrap();
    assert!(!ids(&listed(desc).await).contains(&id));
    let page = answer(client.get_contacts().page_size(5).send()).await.unwrap();
    assert_eq!(page.total_count, Some(sb.contacts(false).len() as f64));
}

/// The contacts the search answers to `filters`, by id.
async fn searched(client: &Client, filters: Vec<SearcherDocumentSearchFilter>) -> Vec<Option<u64>> {
    let page =
        answer(client.search_contacts().body(ContactSearchRequest::builder().filters(filters)).send()).await.unwrap();
    page.items.iter().map(|document| document.id_u64()).collect()
}

/// A search condition on a dotted path looks in every item of an array
/// (`addresses.address`), compares as text ignoring case (a number read as
/// one, `12` not `12.0`), and one marked `or` joins the one before by OR.
#[tokio::test]
async fn lookups_fan_out_over_arrays() {
    let sb = sandbox().await;
    let client = client(&sb);
    let contact = from::<types::CreateContactRequest>(json!({"firstName": "Fan", "lastName": "Out", "addresses": [
        {"address": "fan.first@example.com", "channelType": "EMAIL"},
        {"address": "fan.second@example.com", "channelType": "EMAIL"},
    ]}));
    let created = answer(client.create_contact().body(contact).send()).await.unwrap();
    let id = created.id_u64().unwrap();
    assert_eq!(created.addresses.len(), 2);
    let eq = |field: &str, value: &str| SearcherDocumentSearchFilter::eq(field, value);
    assert_eq!(searched(&client, vec![eq("addresses.address", "fan.first@example.com")]).await, [Some(id)]);
    assert_eq!(searched(&client, vec![eq("addresses.address", "FAN.SECOND@example.com")]).await, [Some(id)]);
    assert_eq!(searched(&client, vec![eq("addresses.contactId", &id.to_string())]).await, [Some(id)]);
    let either = vec![eq("id", "0"), SearcherDocumentSearchFilter::contains("addresses.address", "fan.sec").or()];
    assert_eq!(searched(&client, either).await, [Some(id)]);
    no_violations(&sb);
}
