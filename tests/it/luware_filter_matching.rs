//! The Luware filter language on the sandbox's side: the `filters`
//! parameter read back (`Filters::from_json`) and evaluated over records
//! (`Filter::matches`, `Filters::matches`), with the inferred semantics the
//! client's module documents.

use chrono::NaiveDateTime;
use convo_clients::luware::filter::{DATETIME_FORMAT, Filter, FilterError, FilterField, FilterOperator, Filters};
use convo_clients::sandbox::luware::FieldValue;

/// A date-time as the wire writes it (`2024-07-01 00:00:00.000`).
fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, DATETIME_FORMAT).expect("test date-time")
}

fn parse(s: &str) -> Result<Filter, FilterError> {
    s.parse()
}

#[test]
fn matches_semantics() {
    let f = |s: &str| parse(s).expect(s);
    let s = |v: &'static str| Some(FieldValue::from(v));

    // Strings: exact and case-sensitive.
    assert!(f("platformName=Microsoft Teams").matches(s("Microsoft Teams").as_ref()));
    assert!(!f("platformName=Microsoft Teams").matches(s("microsoft teams").as_ref()));
    assert!(f("platformName!=Zoom Phone").matches(s("Microsoft Teams").as_ref()));
    assert!(f("sourceCallerId^=+44").matches(s("+44123456789").as_ref()));
    assert!(!f("sourceCallerId^=+44").matches(s("+33123456789").as_ref()));
    assert!(f("verbaUserLogin$=@domain.com").matches(s("user1@domain.com").as_ref()));
    assert!(!f("verbaUserLogin$=@DOMAIN.com").matches(s("user1@domain.com").as_ref()));

    // Missing values.
    assert!(!f("platformName=Zoom Phone").matches(None));
    assert!(f("platformName!=Zoom Phone").matches(None));
    assert!(!f("sourceCallerId^=+44").matches(None));
    assert!(!f("startTime>=2024-07-01").matches(None));

    // NULL.
    assert!(f("hold=NULL").matches(None));
    assert!(!f("hold=NULL").matches(Some(&FieldValue::Int(1))));
    assert!(f("hold!=NULL").matches(Some(&FieldValue::Int(1))));
    assert!(!f("hold!=NULL").matches(None));
    assert!(f("hold=NULL").matches(s("NULL").as_ref()), "text NULL is null");
    assert!(f("hold!=1").matches(None));
    assert!(f("hold=2").matches(Some(&FieldValue::Int(2))));

    // Numbers and date-times.
    let rtp = f("sourceAudioRtpCount>500");
    assert!(rtp.matches(Some(&FieldValue::Int(501))));
    assert!(!rtp.matches(Some(&FieldValue::Int(500))));
    assert!(rtp.matches(s("600").as_ref()), "integers may be stored as text");
    assert!(f("sourceAudioRtpCount<=500").matches(Some(&FieldValue::Int(500))));
    assert!(f("sourceAudioRtpCount<500").matches(Some(&FieldValue::Int(-3_000_000_000))));
    let july = f("startTime=2024-07-01..2024-07-31");
    assert!(july.matches(Some(&dt("2024-07-01 00:00:00.000").into())), "inclusive low");
    assert!(july.matches(Some(&dt("2024-07-31 00:00:00.000").into())), "inclusive high");
    assert!(!july.matches(Some(&dt("2024-07-31 00:00:00.001").into())));
    assert!(!july.matches(Some(&dt("2024-06-30 23:59:59.999").into())));
    assert!(july.matches(s("2024-07-15 12:00:00.000").as_ref()));
    assert!(f("startTime>=2024-07-01").matches(Some(&dt("2024-07-01 00:00:00.000").into())));
    assert!(!f("startTime>2024-07-01").matches(Some(&dt("2024-07-01 00:00:00.000").into())));

    // Booleans.
    assert!(f("priv=TRUE").matches(Some(&FieldValue::Bool(true))));
    assert!(f("priv!=TRUE").matches(Some(&FieldValue::Bool(false))));
    assert!(f("priv=false").matches(s("FALSE").as_ref()));

    // Wrong kinds and invalid filters never match.
    assert!(!f("priv!=TRUE").matches(Some(&FieldValue::Int(0))));
    assert!(!f("hold!=1").matches(s("one").as_ref()));
    let invalid: Filter = serde_json::from_str(r#"{"field":"platformName","operator":"STARTS_WITH","values":["M"]}"#)
        .expect("well-formed");
    assert!(!invalid.matches(s("Microsoft Teams").as_ref()));
    let no_values: Filter =
        serde_json::from_str(r#"{"field":"hold","operator":"EQUAL","values":[]}"#).expect("well-formed");
    assert!(!no_values.matches(None));
}

#[test]
fn from_json_round_trips_and_normalises() {
    let filters = Filters::new()
        .started_between(dt("2024-07-01 00:00:00.000"), dt("2024-08-01 00:00:00.000"))
        .and_then(|f| f.eq(FilterField::Hold, None::<i32>))
        .and_then(|f| f.ne(FilterField::Priv, true))
        .and_then(|f| f.starts_with(FilterField::SourceCallerId, "+44"))
        .expect("valid");
    assert_eq!(Filters::from_json(&filters.to_json()), Ok(filters));

    let loose = r#"{"filtersList":[{"field":"keep","operator":"EQUAL","values":["true"]},
                   {"field":"hold","operator":"NOT_EQUAL","values":["null"]},
                   {"field":"storageFolderId","operator":"EQUAL","values":["+07"]}]}"#;
    let parsed = Filters::from_json(loose).expect("valid");
    let values: Vec<&str> = parsed.iter().map(|f| f.values()[0].as_str()).collect();
    assert_eq!(values, ["TRUE", "NULL", "7"]);
}

#[test]
fn from_json_reports_typed_errors() {
    assert!(matches!(Filters::from_json("{"), Err(FilterError::Json(_))));
    let Err(FilterError::Json(message)) =
        Filters::from_json(r#"{"filtersList":[{"field":"nope","operator":"EQUAL","values":["x"]}]}"#)
    else {
        panic!("expected a JSON error");
    };
    assert!(message.contains("unknown filter field `nope`"), "{message}");
    assert_eq!(
        Filters::from_json(r#"{"filtersList":[{"field":"platformName","operator":"STARTS_WITH","values":["M"]}]}"#),
        Err(FilterError::OperatorNotAllowed {
            field: FilterField::PlatformName,
            operator: FilterOperator::StartsWith,
            allowed: FilterField::PlatformName.operators(),
        })
    );
    assert!(matches!(
        Filters::from_json(r#"{"filtersList":[{"field":"keep","operator":"EQUAL","values":["TRUE","FALSE"]}]}"#),
        Err(FilterError::WrongValueCount { expected: 1, got: 2, .. })
    ));
}

#[test]
fn filters_match_all_together() {
    let filters: Filters = ["startTime>=2024-07-01", "platformName=Microsoft Teams", "hold=NULL"]
        .into_iter()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .expect("valid");
    let record = |platform: &'static str, hold: Option<i64>| {
        move |field: FilterField| match field {
            FilterField::StartTime => Some(dt("2024-07-02 10:00:00.000").into()),
            FilterField::PlatformName => Some(platform.into()),
            FilterField::Hold => hold.map(FieldValue::Int),
            _ => None,
        }
    };
    assert!(filters.matches(record("Microsoft Teams", None)));
    assert!(!filters.matches(record("Zoom Phone", None)));
    assert!(!filters.matches(record("Microsoft Teams", Some(1))));
    assert!(Filters::new().matches(|_| None), "an empty list matches everything");
}
