//! LlamadaPro's input rules and helpers that are not a call: ids as whole
//! numbers on an `f64` wire (`llamadapro::ids`), the spec's rules on a body
//! held outside a request (`validate()`), the `filterBy`/`sortBy` syntaxes,
//! and a bulk report read item by item.

use convo_clients::llamadapro::ids::{MAX_ID, checked_id, id_from_number, id_to_number};
use convo_clients::llamadapro::types::{
    BulkConversationContactCreateParams, BulkIssueCode, BulkOperationResult, Contact, ContactSearchDocument,
    CreateConversationRequest, CreateTemplateMessageRequest, UploadMediaRequest, WhatsAppTemplateMessageBodyComponent,
    WhatsAppTemplateMessageBodyComponentType, WhatsAppTemplateMessageVariable, builder,
};
use convo_clients::llamadapro::{FilterBy, InputError, SortBy, is_e164};
use convo_clients::{Error, InvalidInput};
use serde_json::json;

// Ids.

#[test]
fn only_whole_exact_numbers_are_ids() {
    assert_eq!(id_from_number(42.0), Some(42));
    assert_eq!(id_from_number(0.0), Some(0));
    assert_eq!(id_from_number(MAX_ID as f64), Some(MAX_ID));
    for bad in [0.1, -1.0, f64::NAN, f64::INFINITY, 2f64.powi(53), 1e300] {
        assert_eq!(id_from_number(bad), None, "{bad}");
    }
    assert!(matches!(checked_id("contactId", 1.5), Err(InputError::NotAnId { field: "contactId", .. })));
    assert_eq!(id_to_number("id", 7), Ok(7.0));
    assert!(id_to_number("id", MAX_ID + 1).is_err());
    let doc: ContactSearchDocument = serde_json::from_value(json!({"id": "123"})).unwrap();
    assert_eq!(doc.id_u64(), Some(123));
    let contact: Contact = serde_json::from_value(json!({"id": 12.5})).unwrap();
    assert_eq!(contact.id_u64(), None);
}

// Bodies checked against the spec.

#[test]
fn e164() {
    for good in ["+14155552671", "+56912345678", "+4930123456", "+1234567"] {
        assert!(is_e164(good), "{good}");
    }
    for bad in ["14155552671", "+1 415 555 2671", "+0123456789", "+123456", "+1234567890123456", "+", "", "+1415-555"] {
        assert!(!is_e164(bad), "{bad}");
    }
}

fn refusal(result: convo_clients::Result<()>) -> String {
    match result {
        Err(Error::InvalidInput(InvalidInput::Request(rule))) => rule,
        other => panic!("expected the spec to refuse the body, got {other:?}"),
    }
}

fn template() -> CreateTemplateMessageRequest {
    CreateTemplateMessageRequest::builder()
        .from_phone_number("+14155552671")
        .language_code("es")
        .template_name("order_update")
        .to_phone_number("+56912345678")
        .try_into()
        .unwrap()
}

#[test]
fn templates_take_variables_or_components() {
    template().validate().expect("a template without parameters");
    let mut both = template();
    both.variables.push(WhatsAppTemplateMessageVariable::builder().value(Some("A-1".into())).try_into().unwrap());
    both.validate().unwrap();
    let body: WhatsAppTemplateMessageBodyComponent = WhatsAppTemplateMessageBodyComponent::builder()
        .type_(WhatsAppTemplateMessageBodyComponentType::Body)
        .try_into()
        .unwrap();
    both.components.push(body.into());
    assert_eq!(
        refusal(both.validate()),
        "request body: a template message takes variables or components, not both (the first fails with \
         request body.variables: has 1 items, more than 0)"
    );
}

#[test]
fn upload_modes() {
    let base: UploadMediaRequest = UploadMediaRequest::builder().from_phone_number("+14155552671").try_into().unwrap();
    assert!(refusal(base.validate()).starts_with("request body: an upload takes fileId, or all of"));
    let by_id = builder::UploadMediaRequest::from(base.clone()).file_id(Some("f1".into()));
    let by_id = UploadMediaRequest::try_from(by_id).unwrap();
    by_id.validate().unwrap();
    let mut mixed = by_id;
    mixed.content = Some("aGk=".into());
    assert!(refusal(mixed.validate()).contains("never both"));
    let mut partial = base.clone();
    (partial.file_name, partial.content) = (Some("a.png".into()), Some("aGk=".into()));
    assert!(refusal(partial.validate()).contains("all of fileName, contentType and content"));
    let mut direct = partial;
    direct.content_type = Some("image/png".into());
    direct.validate().unwrap();
}

#[test]
fn conversations_take_one_contact() {
    let base: CreateConversationRequest = CreateConversationRequest::builder().funnel_id(1.0).try_into().unwrap();
    assert!(refusal(base.validate()).starts_with("request body: a conversation needs contactId"));
    let mut by_id = base.clone();
    by_id.contact_id = Some(7.0);
    by_id.validate().unwrap();
    let mut both = by_id.clone();
    both.contact = Some(BulkConversationContactCreateParams::default());
    both.validate().expect("contactId names the contact that contact updates");
    let mut placeholder = both.clone();
    let contact = BulkConversationContactCreateParams::builder().phones(vec!["string".to_owned()]);
    placeholder.contact = Some(contact.try_into().unwrap());
    assert!(refusal(placeholder.validate()).starts_with(r#"request body.contact.phones[0]: "string" is not an E.164"#));
    let mut fraction = by_id;
    fraction.funnel_id = 1.5;
    assert!(refusal(fraction.validate()).starts_with("request body.funnelId: "));
}

// `filterBy` and `sortBy`.

#[test]
fn filter_by_round_trips_and_refuses_separators() {
    let f = FilterBy::new().with("firstName", "John").unwrap().with("email", "john@example.com").unwrap();
    assert_eq!(f.to_string(), "firstName:John;email:john@example.com");
    assert_eq!(f.to_string().parse::<FilterBy>().unwrap(), f);
    for (field, value) in [("note", "a;b"), ("time", "10:30"), ("", "x"), ("first name", "x"), ("a", "")] {
        assert!(matches!(FilterBy::new().with(field, value), Err(InputError::BadFilter { .. })), "{field}:{value}");
    }
    assert!("firstName".parse::<FilterBy>().is_err());
    assert!("a:b:c".parse::<FilterBy>().is_err());
    assert_eq!("customFields.source:web".parse::<FilterBy>().unwrap().pairs()[0].0, "customFields.source");
}

#[test]
fn sort_by_syntax() {
    assert_eq!(SortBy::desc("createdAt").unwrap().to_string(), "createdAt=desc");
    assert_eq!("lastName=ASC".parse::<SortBy>().unwrap(), SortBy::asc("lastName").unwrap());
    assert_eq!("id".parse::<SortBy>().unwrap().to_string(), "id=asc");
    assert!(matches!("id=up".parse::<SortBy>(), Err(InputError::BadSort { .. })));
    assert!(SortBy::asc("a=b").is_err());
}

// Bulk reports.

/// A bulk answer as the server sends it: response types are decoded, not built.
fn bulk_answer(answer: serde_json::Value) -> BulkOperationResult {
    serde_json::from_value(answer).unwrap()
}

#[test]
fn every_item_gets_an_outcome() {
    let issue = |field: &str| json!({"field": field, "message": "m"});
    let result = bulk_answer(json!({
        "operationId": "op",
        "report": {
            "counts": {"duplicates": 1, "errors": 1, "successful": 2, "total": 4, "warnings": 1},
            "itemsIssues": [
                {"index": 1, "errors": [{"code": "REQUIRED_FIELD", "field": "funnelId", "message": "m"}]},
                {"index": 2, "itemId": 9, "existingEntities": {"funnelConversation": {"id": 9}}},
                {"index": 3, "itemId": 11, "warnings": [issue("contact")]},
                {"index": 7},
            ],
        },
    }));
    let items = ["a", "b", "c", "d"];
    let outcome = result.pair(&items);
    let kinds: Vec<&str> = outcome.items.iter().map(|r| r.outcome.kind()).collect();
    assert_eq!(kinds, ["succeeded", "failed", "duplicate", "warning"]);
    assert_eq!(*outcome.items[1].item, "b");
    let failed: Vec<_> = outcome.failed().collect();
    assert_eq!(failed[0].outcome.issues()[0].code, Some(BulkIssueCode::RequiredField));
    assert_eq!(outcome.items[2].outcome.id(), Some(9));
    assert_eq!(outcome.unmatched.len(), 1);
    assert!(outcome.counts_agree());
    assert!(!outcome.all_succeeded());
}

#[test]
fn a_failed_batch_fails_every_unlisted_item() {
    let result = bulk_answer(json!({
        "report": {"batchErrors": [{"field": "conversations", "message": "m"}], "counts": {"successful": 0}},
    }));
    let outcome = result.pair(&[1, 2]);
    assert_eq!(outcome.failed().count(), 2);
    // Counts that read otherwise than the items are noticed, but the items decide.
    let silent = bulk_answer(json!({"report": {"counts": {"errors": 1, "total": 2}}}));
    let outcome = silent.pair(&[1, 2]);
    assert!(!outcome.counts_agree());
    assert!(outcome.all_succeeded());
}
