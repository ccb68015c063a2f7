//! raia's request types: each start request sets its channel, and texts
//! over the spec's lengths are refused naming the field.

use convo_clients::raia::types::{
    ConversationStatus, CreateConversationRequest, StartConversationRequest, UpdateConversationRequest,
};
use serde_json::json;

#[test]
fn the_channel_tag_is_set_by_the_constructor() {
    let body = serde_json::to_value(StartConversationRequest::voice("A", "B", "+1", "Hello")).unwrap();
    assert_eq!(
        body,
        json!({"channel": "voice", "firstName": "A", "lastName": "B", "phoneNumber": "+1", "firstMessage": "Hello"})
    );
}

#[test]
fn limits_name_the_field() {
    let request = CreateConversationRequest::for_user("u");
    assert!(request.clone().with_title("é".repeat(255)).is_ok());
    let err = request.clone().with_title("é".repeat(256)).unwrap_err();
    assert_eq!(err.to_string(), "invalid input: title: longer than 255 characters");
    let err = request.with_context("x".repeat(256_001)).unwrap_err();
    assert!(err.to_string().contains("context: longer than 256000 characters"), "{err}");
    let update = UpdateConversationRequest::default().with_status(ConversationStatus::Archived);
    assert_eq!(serde_json::to_value(update).unwrap(), json!({"status": "archived"}));
}
