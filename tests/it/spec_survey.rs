//! The survey of a response (`spec::survey`): every difference from the
//! spec at once, by kind and path, and the inferred facts it confirmed.

use convo_clients::spec::survey::{DriftKind, Survey};
use convo_clients::spec::validate::SpecValidator;
use serde_json::{Value, json};

fn validator() -> SpecValidator {
    let spec = json!({
        "openapi": "3.0.3",
        "paths": {"/items": {"get": {
            "operationId": "listItems",
            "x-provenance": {"status": "inferred", "source": "test", "why": "a guess"},
            "parameters": [
                {"name": "cursor", "in": "query", "schema": {"type": "string"},
                 "x-provenance": {"status": "inferred", "source": "test"}},
                {"name": "size", "in": "query", "schema": {"type": "integer"}},
            ],
            "responses": {
                "200": {
                    "description": "A page.",
                    "headers": {"X-Rate-Remaining": {"schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}},
                },
                "404": {"description": "None.", "content": {"application/json": {"schema": {"type": "object"}}}},
            },
        }}},
        "components": {
          "securitySchemes": {
            "key": {"type": "apiKey", "in": "header", "name": "X-Key",
                    "x-provenance": {"status": "inferred", "source": "test"}},
            "basic": {"type": "http", "scheme": "basic"},
          },
          "schemas": {
            "Page": {
                "type": "object",
                "required": ["items"],
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                    "next": {"type": "string", "nullable": true},
                    "extra": {"type": "object", "additionalProperties": true},
                    "free": {"type": "object"},
                    "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
                },
            },
            "Item": {
                "allOf": [{"$ref": "#/components/schemas/Base"}],
                "type": "object",
                "required": ["id", "state"],
                "properties": {
                    "state": {"type": "string", "enum": ["open", "closed"],
                              "x-provenance": {"status": "inferred", "source": "test"}},
                    "at": {"type": "string", "format": "date-time"},
                    "size": {"type": "integer", "maximum": 10},
                    "access_token": {"type": "string"},
                    "channel": {"oneOf": [
                        {"type": "object", "required": ["kind", "number"],
                         "properties": {"kind": {"enum": ["sms"]}, "number": {"type": "string"}}},
                        {"type": "object", "required": ["kind", "address"],
                         "properties": {"kind": {"enum": ["email"]}, "address": {"type": "string", "format": "email"}}},
                    ]},
                },
            },
            "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
        }},
    });
    SpecValidator::new(&spec).unwrap()
}

const JSON: &str = "application/json";

fn surveyed(status: u16, headers: &[(&str, &str)], body: Value) -> Survey {
    let headers: Vec<(String, String)> = headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    let body = serde_json::to_vec(&body).unwrap();
    validator().survey_response("listItems", status, &headers, Some(&body))
}

/// `kind location` of each difference.
fn places(survey: &Survey) -> Vec<String> {
    survey.drift.iter().map(|d| format!("{} {}", d.kind.as_str(), d.location)).collect()
}

#[test]
fn an_answer_as_documented_has_no_drift_and_confirms_the_inferred_facts_it_exercised() {
    let body = json!({"items": [
        {"id": 1, "state": "open", "at": "2024-03-20T12:00:00Z", "size": 3,
         "channel": {"kind": "email", "address": "a@example.com"}},
        {"id": 2, "state": "closed", "channel": {"kind": "sms", "number": "+14155552671"}},
    ], "next": null, "extra": {"anything": [1]}, "free": {"x": 1}, "labels": {"a": 1}});
    let survey = surveyed(200, &[("content-type", JSON), ("x-rate-remaining", "5")], body);
    assert_eq!(places(&survey), Vec::<String>::new());
    let confirmed: Vec<&str> = survey.confirmed.iter().map(String::as_str).collect();
    assert_eq!(confirmed, ["#/components/schemas/Item/properties/state", "#/paths/~1items/get"]);
    let all: Vec<String> = validator().inferred_facts().into_iter().map(|f| f.pointer).collect();
    assert_eq!(
        all,
        [
            "#/components/schemas/Item/properties/state",
            "#/components/securitySchemes/key",
            "#/paths/~1items/get",
            "#/paths/~1items/get/parameters/0",
        ]
    );
    // A call the server accepted confirms the parameters it sent and
    // the scheme it was authorised with.
    let accepted = validator().confirmed_by_request("listItems", &["CURSOR", "size"], &["key", "basic"]);
    let accepted: Vec<&str> = accepted.iter().map(String::as_str).collect();
    assert_eq!(accepted, ["#/components/securitySchemes/key", "#/paths/~1items/get/parameters/0"]);
    assert!(validator().confirmed_by_request("listItems", &["size"], &[]).is_empty());
}

#[test]
fn every_difference_is_reported_once_at_its_path_with_array_indices_left_out() {
    let body = json!({"items": [
        {"id": "7", "state": "archived", "at": "yesterday", "size": 11, "colour": "red",
         "channel": {"kind": "sms", "number": "+1", "carrier": "x"}},
        {"state": "open", "colour": "blue"},
    ], "labels": {"a": "one"}, "unknown": true});
    let survey = surveyed(200, &[("content-type", JSON)], body);
    assert_eq!(
        places(&survey),
        [
            "missing header header X-Rate-Remaining",
            "missing required $.items[].id",
            "unknown field $.items[].channel.carrier",
            "unknown field $.items[].colour",
            "unknown field $.unknown",
            "type mismatch $.items[].id",
            "type mismatch $.labels.a",
            "format mismatch $.items[].at",
            "unlisted enum value $.items[].state",
            "broken constraint $.items[].size",
        ]
    );
    let state = survey.drift.iter().find(|d| d.kind == DriftKind::UnlistedEnumValue).unwrap();
    assert_eq!(state.detail, r#""archived" is not one of open, closed"#);
    assert_eq!(state.operation, "listItems");
    // A difference under an inferred fact does not confirm it.
    assert!(!survey.confirmed.contains("#/components/schemas/Item/properties/state"));
}

#[test]
fn statuses_content_types_and_secret_values() {
    let survey = surveyed(418, &[("content-type", JSON)], json!({}));
    assert_eq!(places(&survey), ["undocumented status status"]);
    assert_eq!(survey.drift[0].detail, "HTTP 418 is not documented");
    let survey = surveyed(404, &[("content-type", "text/html")], json!("<html>"));
    assert_eq!(places(&survey), ["undocumented content type content-type"]);
    let body = json!({"items": [{"id": 1, "state": "open", "access_token": 12345}]});
    let survey = surveyed(200, &[("Content-Type", JSON), ("X-RATE-REMAINING", "1")], body);
    assert_eq!(places(&survey), ["type mismatch $.items[].access_token"]);
    assert!(!survey.drift[0].detail.contains("12345"), "{}", survey.drift[0].detail);
    // A body not read (a download) is checked for its content type only.
    let survey = validator().survey_response("listItems", 200, &[("content-type".into(), JSON.into())], None);
    assert_eq!(places(&survey), ["missing header header X-Rate-Remaining"]);
}
