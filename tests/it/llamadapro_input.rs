//! LlamadaPro's input rules and helpers that are not a call: ids as whole
//! numbers on an `f64` wire (`llamadapro::ids`), the spec's rules on a body
//! held outside a request (`validate()`), the `filterBy`/`sortBy` syntaxes,
//! and a bulk report read item by item.

use convo_clients::llamadapro::ids::{MAX_ID, checked_id, id_from_number, id_to_number};
use convo_clients::llamadapro::types::{
    BulkConversationContactCreateParams, BulkCounts, BulkIssue, BulkIssueCode, BulkItemIssues, BulkOperationResult,
    BulkReport, Contact, ContactSearchDocument, CreateConversationRequest, CreateTemplateMessageRequest,
    UploadMediaRequest, WhatsAppTemplateMessageBodyComponent, WhatsAppTemplateMessageBodyComponentType,
    WhatsAppTemplateMessageVariable,
};
use convo_clients::llamadapro::{FilterBy, InputError, SortBy, is_e164};
use convo_clients::{Error, InvalidInput};
use serde_json::{Map, json};

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
    let doc = ContactSearchDocument { id: Some("123".into()), ..Default::default() };
    assert_eq!(doc.id_u64(), Some(123));
    let contact = Contact { id: Some(12.5), ..Default::default() };
    assert_eq!(contact.id_u64(), None);
}

// Bodies checked against the spec.

#[test]
fn e164() {
    for good in ["+14155552671", "+56912345678", "+4930123456", "+1234567"] {
        assert!(is_e164(good), "{good}");
    }
    for bad in
        ["14155552671", "+1 415 555 2671", "+0123456789", "+123456", "+1234567890123456", "+", "", "+1415-555"]
    {
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
    CreateTemplateMessageRequest {
        components: Vec::new(),
        custom_fields: Default::default(),
        from_phone_number: "+14155552671".into(),
        language_code: "es".into(),
        template_name: "order_update".into(),
        to_phone_number: "+56912345678".into(),
        user_id: None,
        variables: Vec::new(),
    }
}

#[test]
fn templates_take_variables_or_components() {
    template().validate().expect("a template without parameters");
    let mut both = template();
    both.variables.push(WhatsAppTemplateMessageVariable { value: Some("A-1".into()) });
    both.validate().unwrap();
    both.components.push(
        WhatsAppTemplateMessageBodyComponent {
            parameters: Vec::new(),
            type_: WhatsAppTemplateMessageBodyComponentType::Body,
        }
        .into(),
    );
    assert_eq!(
        refusal(both.validate()),
        "request body: a template message takes variables or components, not both (the first fails with \
         request body.variables: has 1 items, more than 0)"
    );
}

#[test]
fn upload_modes() {
    let base = UploadMediaRequest {
        content: None,
        content_type: None,
        file_id: None,
        file_name: None,
        from_phone_number: "+14155552671".into(),
        tags: Default::default(),
    };
    assert!(refusal(base.validate()).starts_with("request body: an upload takes fileId, or all of"));
    let by_id = UploadMediaRequest { file_id: Some("f1".into()), ..base.clone() };
    by_id.validate().unwrap();
    let mixed = UploadMediaRequest { content: Some("aGk=".into()), ..by_id };
    assert!(refusal(mixed.validate()).contains("never both"));
    let partial =
        UploadMediaRequest { file_name: Some("a.png".into()), content: Some("aGk=".into()), ..base.clone() };
    assert!(refusal(partial.validate()).contains("all of fileName, contentType and content"));
    let direct = UploadMediaRequest { content_type: Some("image/png".into()), ..partial };
    direct.validate().unwrap();
}

#[test]
fn conversations_take_one_contact() {
    let base = CreateConversationRequest {
        archived_at: None,
        contact: None,
        contact_id: None,
        created_at: None,
        custom_fields: Default::default(),
        funnel_id: 1.0,
        funnel_status_id: None,
        user_id: None,
    };
    assert!(refusal(base.validate()).starts_with("request body: a conversation needs contactId"));
    let by_id = CreateConversationRequest { contact_id: Some(7.0), ..base.clone() };
    by_id.validate().unwrap();
    let both = CreateConversationRequest {
        contact: Some(BulkConversationContactCreateParams::default()),
        ..by_id.clone()
    };
    both.validate().expect("contactId names the contact that contact updates");
    let placeholder = CreateConversationRequest {
        contact: Some(BulkConversationContactCreateParams { phones: vec!["string".into()], ..Default::default() }),
        ..both.clone()
    };
    assert!(refusal(placeholder.validate()).starts_with(r#"request body.contact.phones[0]: "string" is not an E.164"#));
    let fraction = CreateConversationRequest { funnel_id: 1.5, ..by_id };
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

fn issue(field: &str, code: Option<BulkIssueCode>) -> BulkIssue {
    BulkIssue { code, context: Map::new(), field: Some(field.into()), message: Some("m".into()) }
}

#[test]
fn every_item_gets_an_outcome() {
    let mut existing = Map::new();
    existing.insert("funnelConversation".into(), json!({"id": 9}));
    let result = BulkOperationResult {
        message: None,
        operation_id: Some("op".into()),
        report: Some(BulkReport {
            batch_errors: Vec::new(),
            counts: Some(BulkCounts {
                duplicates: Some(1.0),
                errors: Some(1.0),
                successful: Some(2.0),
                total: Some(4.0),
                warnings: Some(1.0),
            }),
            items_issues: vec![
                BulkItemIssues {
                    index: Some(1.0),
                    errors: vec![issue("funnelId", Some(BulkIssueCode::RequiredField))],
                    ..Default::default()
                },
                BulkItemIssues {
                    index: Some(2.0),
                    item_id: Some(9.0),
                    existing_entities: existing,
                    ..Default::default()
                },
                BulkItemIssues {
                    index: Some(3.0),
                    item_id: Some(11.0),
                    warnings: vec![issue("contact", None)],
                    ..Default::default()
                },
                BulkItemIssues { index: Some(7.0), ..Default::default() },
            ],
        }),
    };
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
    let result = BulkOperationResult {
        report: Some(BulkReport {
            batch_errors: vec![issue("conversations", None)],
            counts: Some(BulkCounts { successful: Some(0.0), ..Default::default() }),
            items_issues: Vec::new(),
        }),
        ..Default::default()
    };
    let outcome = result.pair(&[1, 2]);
    assert_eq!(outcome.failed().count(), 2);
    // Counts that read otherwise than the items are noticed, but the items decide.
    let silent = BulkOperationResult {
        report: Some(BulkReport {
            counts: Some(BulkCounts { errors: Some(1.0), total: Some(2.0), ..Default::default() }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let outcome = silent.pair(&[1, 2]);
    assert!(!outcome.counts_agree());
    assert!(outcome.all_succeeded());
}
