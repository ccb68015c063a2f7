//! Luware's `filters` parameter (`luware::filter`): the field table, the
//! compact text form, the JSON sent, and the errors, each typed and one line.

use chrono::{NaiveDate, NaiveDateTime};
use convo_clients::luware::filter::{
    DATETIME_FORMAT, Filter, FilterError, FilterField, FilterOperator, FilterValue, Filters, ValueKind, format_datetime,
};

/// A date-time as the wire writes it (`2024-07-01 00:00:00.000`).
fn dt(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, DATETIME_FORMAT).expect("test date-time")
}

fn parse(s: &str) -> Result<Filter, FilterError> {
    s.parse()
}

/// Two valid, ordered sample values for a field.
fn samples(field: FilterField) -> [&'static str; 2] {
    match field.kind() {
        ValueKind::String => ["Microsoft Teams", "voice"],
        ValueKind::DateTime => ["2024-07-01 00:00:00.000", "2024-07-31 23:59:59.999"],
        ValueKind::Integer => ["1", "500"],
        ValueKind::Boolean => ["TRUE", "FALSE"],
    }
}

#[test]
fn field_table_matches_the_seed() {
    let names: Vec<&str> = FilterField::ALL.iter().map(|f| f.as_str()).collect();
    assert_eq!(
        names.join(","),
        "ccdrId,platformCallId,startTime,endTime,verbaUserName,verbaUserLogin,agentId,\
         status,recordedParty,sourceName,sourceCallerId,destinationName,\
         destinationCallerId,modalityName,cause,direction,storageFolderId,retentionUntil,\
         retentionAutoDelete,nativeId,secondary,hold,cdrMediaType,sourceAudioRtpCount,\
         destinationAudioRtpCount,platformName,importSourceId,importSourceName,\
         forwardReasonName,meetingId,priv,ondemand,keep,doNotDelete"
    );
    let count = |kind| FilterField::ALL.iter().filter(|f| f.kind() == kind).count();
    assert_eq!(count(ValueKind::String), 18);
    assert_eq!(count(ValueKind::DateTime), 3);
    assert_eq!(count(ValueKind::Integer), 8);
    assert_eq!(count(ValueKind::Boolean), 5);
    let nullable: Vec<_> = FilterField::ALL.iter().copied().filter(|f| f.nullable()).collect();
    assert_eq!(nullable, [FilterField::RecordedParty, FilterField::Hold]);

    use FilterOperator::*;
    assert_eq!(FilterField::CcdrId.operators(), [Equal]);
    assert_eq!(FilterField::Status.operators(), [Equal, NotEqual]);
    assert_eq!(FilterField::MeetingId.operators(), [Equal, NotEqual, StartsWith, EndsWith]);
    assert_eq!(
        FilterField::DestinationAudioRtpCount.operators(),
        [GreaterThanOrEqual, GreaterThan, LessThanOrEqual, LessThan, Between]
    );
    // Every field that allows BETWEEN forbids EQUAL: `field=A..B` is unambiguous.
    for &field in FilterField::ALL {
        assert!(!(field.allows(Between) && field.allows(Equal)), "{field}");
    }
}

#[test]
fn names_round_trip_through_from_str_and_serde() {
    for &field in FilterField::ALL {
        assert_eq!(field.as_str().parse::<FilterField>(), Ok(field));
        assert_eq!(field.to_string(), field.as_str());
        let json = serde_json::to_string(&field).expect("serialize");
        assert_eq!(json, format!("\"{field}\""));
        assert_eq!(serde_json::from_str::<FilterField>(&json).expect("deserialize"), field);
    }
    for op in FilterOperator::ALL {
        assert_eq!(op.as_str().parse::<FilterOperator>(), Ok(op));
        let json = serde_json::to_string(&op).expect("serialize");
        assert_eq!(json, format!("\"{op}\""));
        assert_eq!(serde_json::from_str::<FilterOperator>(&json).expect("deserialize"), op);
    }
    assert_eq!(FilterOperator::GreaterThanOrEqual.as_str(), "GREATER_THAN_OR_EQUAL");
    assert_eq!("StartTime".parse::<FilterField>(), Err(FilterError::UnknownField("StartTime".into())));
}

/// Every allowed (field, operator) pair survives Display -> FromStr, and every
/// disallowed one is rejected by the compact parser.
#[test]
fn every_field_operator_round_trips_through_compact_form() {
    let mut checked = 0;
    for &field in FilterField::ALL {
        let [low, high] = samples(field);
        for op in FilterOperator::ALL {
            let values: &[&str] = if op == FilterOperator::Between { &[low, high] } else { &[low] };
            let built = Filter::new(field, op, values.iter().copied());
            let text = match op {
                FilterOperator::Between => format!("{field}={low}..{high}"),
                _ => format!("{field} {} {low}", op.compact()),
            };
            if field.allows(op) {
                let built = built.unwrap_or_else(|e| panic!("{field} {op}: {e}"));
                assert_eq!(parse(&built.to_string()), Ok(built.clone()), "{built}");
                assert_eq!(parse(&text), Ok(built), "{text}");
                checked += 1;
            } else {
                assert!(matches!(built, Err(FilterError::OperatorNotAllowed { .. })), "{field} {op}");
                let parsed = parse(&text);
                if op == FilterOperator::Between {
                    // Without BETWEEN, `field=A..B` is EQUAL with the value `A..B`.
                    assert!(!matches!(&parsed, Ok(f) if f.operator() == FilterOperator::Between), "{text}: {parsed:?}");
                } else {
                    assert!(matches!(parsed, Err(FilterError::OperatorNotAllowed { .. })), "{text}: {parsed:?}");
                }
            }
        }
    }
    let expected: usize = FilterField::ALL.iter().map(|f| f.operators().len()).sum();
    assert_eq!(checked, expected);
}

#[test]
fn json_output_is_byte_exact() {
    let filters = Filters::new().started_at_or_after(dt("2024-07-01 00:00:00.000"));
    assert_eq!(
        filters.to_json(),
        r#"{"filtersList":[{"field":"startTime","operator":"GREATER_THAN_OR_EQUAL","values":["2024-07-01 00:00:00.000"]}]}"#
    );
    assert_eq!(Filters::new().to_json(), r#"{"filtersList":[]}"#);
}

#[test]
fn to_json_matches_serde_json_including_escapes() {
    let tricky = "quote\" back\\slash\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{7F} é 🎧";
    let filters = Filters::new()
        .eq(FilterField::VerbaUserName, tricky)
        .and_then(|f| f.between(FilterField::SourceAudioRtpCount, 1, 2))
        .expect("valid");
    assert_eq!(filters.to_json(), serde_json::to_string(&filters).expect("serialize"));
}

#[test]
fn an_empty_range_is_refused() {
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap().and_hms_opt(0, 0, 0).unwrap();
    let window = |from, to| Filters::new().started_at_or_after(day(from)).started_before(day(to)).validate();
    assert!(matches!(window("2024-07-01", "2024-06-01"), Err(FilterError::EmptyRange { .. })));
    assert!(matches!(window("2024-07-01", "2024-07-01"), Err(FilterError::EmptyRange { .. })), "[a, a) is empty");
    assert_eq!(window("2024-06-01", "2024-07-01"), Ok(()));
    let parsed = |exprs: &[&str]| exprs.iter().map(|e| e.parse::<Filter>().unwrap()).collect::<Filters>().validate();
    assert_eq!(parsed(&["startTime>=2024-07-01", "startTime<=2024-07-01"]), Ok(()), "[a, a] holds a");
    assert!(matches!(
        parsed(&["startTime=2024-07-01..2024-07-31", "startTime>2024-08-01"]),
        Err(FilterError::EmptyRange { .. })
    ));
    // The tightest bound counts, whichever order the filters come in.
    assert!(matches!(
        parsed(&["startTime<2024-09-01", "startTime>=2024-01-01", "startTime<2024-01-01"]),
        Err(FilterError::EmptyRange { .. })
    ));
    let error = window("2024-07-01", "2024-06-01").unwrap_err().to_string();
    assert!(error.contains("startTime") && error.contains("empty range"), "{error}");
}

#[test]
fn validate_checks_a_deserialized_filter() {
    let raw: Filter = serde_json::from_str(
        r#"{"field":"startTime","operator":"BETWEEN","values":["2024-08-01 00:00:00.000","2024-07-01 00:00:00.000"]}"#,
    )
    .expect("well-formed");
    assert!(matches!(raw.validate(), Err(FilterError::BetweenOutOfOrder { .. })));
    let raw: Filter =
        serde_json::from_str(r#"{"field":"secondary","operator":"EQUAL","values":["false"]}"#).expect("well-formed");
    assert_eq!(raw.validate(), Ok(()));
    let filters: Filters = serde_json::from_str(
        r#"{"filtersList":[{"field":"startTime","operator":"LESS_THAN","values":["2024-07-01"]}]}"#,
    )
    .expect("well-formed");
    assert!(matches!(filters.validate(), Err(FilterError::InvalidValue { .. })));
}

#[test]
fn error_variants_and_messages() {
    let cases: Vec<(Result<Filter, FilterError>, &str)> = vec![
        (parse("   "), "invalid filter `   `: the filter is empty"),
        (parse(">=5"), "invalid filter `>=5`: expected a field name"),
        (parse("starttime>=2024-07-01"), "unknown filter field `starttime` (did you mean `startTime`?)"),
        (parse("start_time>=2024-07-01"), "unknown filter field `start_time`"),
        (parse("startTime"), "invalid filter `startTime`: expected an operator"),
        (parse("startTime 2024"), "invalid filter `startTime 2024`: expected an operator"),
        (parse("sourceName="), "missing value for field sourceName after operator EQUAL (`=`)"),
        (parse("startTime=2024-07-01.."), "missing value for field startTime after operator BETWEEN (`=A..B`)"),
        (
            parse("platformName^=Micro"),
            "operator STARTS_WITH (`^=`) is not allowed for field platformName; \
             allowed: `=` (EQUAL), `!=` (NOT_EQUAL)",
        ),
        (
            parse("startTime=2024-07-01"),
            "operator EQUAL (`=`) is not allowed for field startTime; allowed: \
             `>=` (GREATER_THAN_OR_EQUAL), `>` (GREATER_THAN), `<=` (LESS_THAN_OR_EQUAL), \
             `<` (LESS_THAN), `=A..B` (BETWEEN)",
        ),
        (
            parse("startTime>=July"),
            "invalid value `July` for field startTime: expected `YYYY-MM-DD`, \
             `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM:SS.mmm`",
        ),
        (parse("storageFolderId=x"), "invalid value `x` for field storageFolderId: expected a 32-bit integer"),
        (parse("storageFolderId=NULL"), "invalid value `NULL` for field storageFolderId: expected a 32-bit integer"),
        (parse("hold=maybe"), "invalid value `maybe` for field hold: expected a 32-bit integer or NULL"),
        (parse("keep=yes"), "invalid value `yes` for field keep: expected TRUE or FALSE"),
        (
            parse("sourceAudioRtpCount=500..1"),
            "BETWEEN bounds for field sourceAudioRtpCount are out of order: `500` is after `1`",
        ),
        (
            Filter::new(FilterField::Keep, FilterOperator::Equal, Vec::<bool>::new()),
            "operator EQUAL on field keep takes exactly 1 value(s), got 0",
        ),
        (
            Filter::new(FilterField::StartTime, FilterOperator::LessThan, ["2024-07-01"]),
            "invalid value `2024-07-01` for field startTime: expected a date-time `YYYY-MM-DD HH:MM:SS.mmm`",
        ),
        (
            Filter::new(FilterField::Keep, FilterOperator::Equal, [1]),
            "invalid value `1` for field keep: expected TRUE or FALSE",
        ),
    ];
    for (result, expected) in cases {
        let message = result.expect_err(expected).to_string();
        assert!(message.starts_with(expected), "{message:?} should start with {expected:?}");
        assert!(!message.contains('\n'));
    }
    assert_eq!(
        "LIKE".parse::<FilterOperator>().expect_err("unknown").to_string(),
        "unknown filter operator `LIKE`; expected one of EQUAL, NOT_EQUAL, STARTS_WITH, \
         ENDS_WITH, GREATER_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL, BETWEEN"
    );
    assert!(FilterError::Json("eof".into()).to_string().starts_with("invalid filters JSON"));
    // Variants are typed, not just strings.
    assert_eq!(
        parse("hold=maybe"),
        Err(FilterError::InvalidValue {
            field: FilterField::Hold,
            value: "maybe".into(),
            expected: "a 32-bit integer or NULL",
        })
    );
    assert_eq!(
        parse("sourceName  !=  "),
        Err(FilterError::MissingValue { field: FilterField::SourceName, operator: FilterOperator::NotEqual })
    );
}

#[test]
fn date_formats() {
    let midnight = "2024-07-01 00:00:00.000";
    for text in ["startTime>=2024-07-01", "startTime>=2024-07-01 00:00:00", "startTime >= 2024-07-01 00:00:00.000"] {
        assert_eq!(parse(text).expect(text).values(), [midnight], "{text}");
    }
    assert_eq!(parse("endTime<2024-07-01 13:14:15").expect("valid").values(), ["2024-07-01 13:14:15.000"]);
    for bad in [
        "2024-7-01",
        "2024-02-30",
        "2024-07-01T00:00:00",
        "2024-07-01 24:00:00",
        "2024-07-01 00:00:00.1",
        "2024-07-01 00:00:00.1234",
        "2024-07-01 00:00:60.000",
        "+024-07-01",
    ] {
        let text = format!("startTime>{bad}");
        assert!(matches!(parse(&text), Err(FilterError::InvalidValue { .. })), "{text}");
    }
    // Filter::new only takes the wire format for text, but any NaiveDateTime.
    assert!(Filter::new(FilterField::EndTime, FilterOperator::GreaterThan, ["2024-07-01 00:00:00"]).is_err());
    let precise =
        NaiveDate::from_ymd_opt(2024, 12, 31).and_then(|d| d.and_hms_nano_opt(23, 59, 58, 123_456_789)).expect("valid");
    assert_eq!(format_datetime(precise), "2024-12-31 23:59:58.123");
    // Field by field, exactly as chrono's pattern writes it.
    for text in ["0001-01-01 00:00:00.000", "2024-02-29 07:08:09.999", "9999-12-31 23:59:59.5"] {
        let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        assert_eq!(format_datetime(t), t.format(DATETIME_FORMAT).to_string());
    }
    let filter = Filter::new(FilterField::RetentionUntil, FilterOperator::LessThanOrEqual, [precise]).expect("valid");
    assert_eq!(filter.values(), ["2024-12-31 23:59:58.123"]);
    let far_future = NaiveDate::from_ymd_opt(12024, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0)).expect("valid");
    assert!(matches!(
        Filter::new(FilterField::EndTime, FilterOperator::LessThan, [far_future]),
        Err(FilterError::InvalidValue { .. })
    ));
}

#[test]
fn between_parsing_and_validation() {
    let f = parse("startTime=2024-07-01..2024-07-31 12:00:00").expect("valid");
    assert_eq!(f.operator(), FilterOperator::Between);
    assert_eq!(f.values(), ["2024-07-01 00:00:00.000", "2024-07-31 12:00:00.000"]);
    let f = parse("endTime = 2024-07-01 00:00:00.000 .. 2024-07-02 00:00:00.000").expect("valid");
    assert_eq!(f.values(), ["2024-07-01 00:00:00.000", "2024-07-02 00:00:00.000"]);
    assert_eq!(parse("sourceAudioRtpCount=500..500").expect("equal bounds").values(), ["500", "500"]);
    assert_eq!(parse("destinationAudioRtpCount=-5..+05").expect("valid").values(), ["-5", "5"]);
    // `..` on a field without BETWEEN is part of an EQUAL value.
    let f = parse("sourceName=a..b").expect("valid");
    assert_eq!((f.operator(), f.values()), (FilterOperator::Equal, &["a..b".to_owned()][..]));

    assert!(matches!(
        parse("startTime=2024-08-01..2024-07-01"),
        Err(FilterError::BetweenOutOfOrder { field: FilterField::StartTime, .. })
    ));
    assert!(matches!(
        Filter::new(FilterField::StartTime, FilterOperator::Between, [dt("2024-07-01 00:00:00.000")]),
        Err(FilterError::WrongValueCount { expected: 2, got: 1, .. })
    ));
    assert!(matches!(
        Filters::new().started_between(dt("2024-08-01 00:00:00.000"), dt("2024-07-01 00:00:00.000")),
        Err(FilterError::BetweenOutOfOrder { .. })
    ));
    assert!(matches!(
        parse("storageFolderId=1..2"),
        Err(FilterError::InvalidValue { field: FilterField::StorageFolderId, .. })
    ));
}

#[test]
fn null_handling() {
    for text in ["hold=NULL", "hold=null", "hold = Null"] {
        assert_eq!(parse(text).expect(text).values(), ["NULL"]);
    }
    let f = Filter::new(FilterField::RecordedParty, FilterOperator::NotEqual, [FilterValue::Null]).expect("nullable");
    assert_eq!(f.to_string(), "recordedParty!=NULL");
    assert_eq!(Filters::new().eq(FilterField::Hold, Some(2)).expect("valid").as_slice()[0].values(), ["2"]);
    assert!(matches!(
        Filter::new(FilterField::CdrMediaType, FilterOperator::Equal, [FilterValue::Null]),
        Err(FilterError::InvalidValue { .. })
    ));
    assert!(matches!(parse("verbaUserName=NULL"), Ok(f) if f.values() == ["NULL"]), "plain text");
}

#[test]
fn typed_builders() {
    let (t, later) = (dt("2024-07-01 08:30:00.250"), dt("2024-07-02 08:30:00.250"));
    let filters = Filters::new()
        .started_at_or_after(t)
        .started_before(later)
        .platform("Zoom Phone")
        .with(parse("keep=true").expect("valid"));
    let expected: Filters = [
        "startTime>=2024-07-01 08:30:00.250",
        "startTime<2024-07-02 08:30:00.250",
        "platformName=Zoom Phone",
        "keep=TRUE",
    ]
    .into_iter()
    .map(str::parse)
    .collect::<Result<_, _>>()
    .expect("valid");
    assert_eq!(filters, expected);
    assert_eq!(filters.len(), 4);
    assert!(!filters.is_empty());
    assert_eq!(filters.iter().filter(|f| f.field() == FilterField::StartTime).count(), 2);
    assert_eq!(filters.validate(), Ok(()));

    let all = Filters::new()
        .eq(FilterField::CcdrId, "5399f478-aa0b-4834-b64f-211ecca0c74a")
        .and_then(|f| f.ne(FilterField::RetentionAutoDelete, false))
        .and_then(|f| f.starts_with(FilterField::VerbaUserLogin, "user1"))
        .and_then(|f| f.ends_with(FilterField::VerbaUserLogin, "@domain.com"))
        .and_then(|f| f.gt(FilterField::SourceAudioRtpCount, 500))
        .and_then(|f| f.ge(FilterField::EndTime, t))
        .and_then(|f| f.lt(FilterField::DestinationAudioRtpCount, 10))
        .and_then(|f| f.le(FilterField::RetentionUntil, t))
        .and_then(|f| f.between(FilterField::EndTime, t, t))
        .expect("valid");
    assert_eq!(all.len(), 9);
    assert!(Filters::new().gt(FilterField::PlatformName, "x").is_err());
}
