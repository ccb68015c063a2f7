//! Luware's `.vtr` transcripts (`luware::transcript`): the documented fields
//! and the unknown ones kept, utterances, and the archive read within its
//! limits, every failure a typed, one-line error. Archives are made with the
//! sandbox's encoder, or by hand.

use std::io::{Cursor, Write};

use convo_clients::luware::transcript::{
    MAX_ENTRIES, Timestamp, Transcript, TranscriptError, TranscriptLimits, VtrCollector, decode_vtr, write_vtr_json,
};
use convo_clients::sandbox::luware::{encode_vtr, encode_vtr_raw};
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// A realistic Intelligent Voice transcript: two speakers, a topic, a few
/// words and two tcus (listed out of time order), plus unknown keys at
/// every level.
fn sample_json() -> Value {
    json!({
        "provider": "intelligentvoice",
        "language": "en-GB, de-CH,",
        "engineVersion": "6.1.2",
        "speakers": [
            {
                "id": "Speaker 1",
                "iv_id": 1231,
                "iv_label": "Channel 1",
                "sentiment": {
                    "positiveAggregatedSentiment": 26.66919087,
                    "negativeAggregatedSentiment": -75.60949249,
                    "sentimentGradient": 25.35896311,
                    "normalisedSentimentGradient": 13.05775275,
                    "sentimentIntercept": -13.36524594,
                    "sentimentOutcome": 12.75025956,
                    "sentimentModel": "v2"
                },
                "role": "agent"
            },
            { "id": "Speaker 2", "iv_id": 1232, "iv_label": "Channel 2" }
        ],
        "topics": [
            { "name": "billing", "score": 0.82, "positions": [3, 4] }
        ],
        "words": [
            { "word": "Hello", "time": 0.52, "duration": 0.31, "confidence": 0.97,
              "speaker": "Speaker 1", "position": 0 },
            { "word": "thanks", "time": 0.9, "duration": 0.4, "confidence": 0.91,
              "speaker": "Speaker 1", "position": 1 },
            { "word": "Hi", "time": 2.1, "duration": 0.2, "confidence": 0.88,
              "speaker": "Speaker 2", "position": 2 },
            { "word": "my", "time": 2.35, "duration": 0.15, "confidence": 0.93,
              "speaker": "Speaker 2", "position": 3 },
            { "word": "invoice", "time": 2.5, "duration": 0.5, "confidence": 0.79,
              "speaker": "Speaker 2", "position": 4,
              "alternatives": [{ "word": "in voice", "confidence": 0.12 }] }
        ],
        "tcus": [
            { "text": "Hi, my invoice\nis wrong", "speaker": "Speaker 2", "start": 2.1,
              "end": 3.0, "sentiment": -0.4, "channel": 2 },
            { "text": "Hello, thanks for calling", "speaker": "Speaker 1", "start": 0.52,
              "end": 1.3, "sentiment": 0.6, "channel": 1 }
        ]
    })
}

fn sample() -> Transcript {
    serde_json::from_value(sample_json()).expect("sample parses")
}

/// A ZIP with the given entries; names ending in `/` become directories.
fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, data) in entries {
        if name.ends_with('/') {
            zip.add_directory(*name, options).unwrap();
        } else {
            zip.start_file(*name, options).unwrap();
            zip.write_all(data).unwrap();
        }
    }
    zip.finish().unwrap().into_inner()
}

fn decode(archive: &[u8]) -> Result<Transcript, TranscriptError> {
    decode_vtr(archive, &TranscriptLimits::default())
}

#[test]
fn round_trip_encode_decode() {
    let transcript = sample();
    let archive = encode_vtr(&transcript, "conversation.vtr").unwrap();
    assert!(archive.starts_with(b"PK\x03\x04"));
    assert_eq!(decode(&archive).unwrap(), transcript);
}

#[test]
fn documented_fields_parse() {
    let t = sample();
    assert_eq!(t.provider.as_deref(), Some("intelligentvoice"));
    assert_eq!(t.speakers.len(), 2);
    let s1 = t.speaker("Speaker 1").unwrap();
    assert_eq!(s1.iv_id, Some(1231));
    assert_eq!(s1.iv_label.as_deref(), Some("Channel 1"));
    let sentiment = s1.sentiment.as_ref().unwrap();
    assert_eq!(sentiment.positive_aggregated_sentiment, Some(26.66919087));
    assert_eq!(sentiment.sentiment_outcome, Some(12.75025956));
    assert_eq!(t.topics[0].label(), Some("billing"));
    assert_eq!(t.topics[0].score, Some(0.82));
    assert_eq!(t.words.len(), 5);
    assert_eq!(t.words[0].word.as_deref(), Some("Hello"));
    assert_eq!(t.words[0].end_seconds(), Some(0.52 + 0.31));
    assert_eq!(t.tcus[0].sentiment_score(), Some(-0.4));
    assert!(t.speaker("Speaker 9").is_none());
}

#[test]
fn unknown_keys_are_kept_and_reserialised() {
    let original = sample_json();
    let t: Transcript = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(t.extra["engineVersion"], "6.1.2");
    assert_eq!(t.speakers[0].extra["role"], "agent");
    assert_eq!(t.speakers[0].sentiment.as_ref().unwrap().extra["sentimentModel"], "v2");
    assert_eq!(t.topics[0].extra["positions"], json!([3, 4]));
    assert_eq!(t.words[4].extra["position"], 4);
    assert_eq!(t.words[4].extra["alternatives"][0]["word"], "in voice");
    assert_eq!(t.tcus[0].extra["channel"], 2);
    // Nothing is lost or invented on the way back out.
    assert_eq!(serde_json::to_value(&t).unwrap(), original);
    // And it survives the archive too.
    let again = decode(&encode_vtr(&t, "t.vtr").unwrap()).unwrap();
    assert_eq!(serde_json::to_value(&again).unwrap(), original);
}

#[test]
fn bom_is_tolerated() {
    let mut json = b"\xEF\xBB\xBF".to_vec();
    json.extend(serde_json::to_vec(&sample_json()).unwrap());
    let archive = encode_vtr_raw(&json, "bom.vtr").unwrap();
    assert_eq!(decode(&archive).unwrap(), sample());
}

#[test]
fn json_is_written_as_the_archive_holds_it() {
    let mut json = b"\xEF\xBB\xBF".to_vec();
    json.extend(serde_json::to_vec(&sample_json()).unwrap());
    let archive = encode_vtr_raw(&json, "t.vtr").unwrap();
    for pretty in [true, false] {
        let mut out = Vec::new();
        write_vtr_json(&archive, &TranscriptLimits::default(), &mut out, pretty).unwrap();
        // The same document, keys in the archive's order, nothing typed away.
        assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), sample_json());
        assert_eq!(out.contains(&b'\n'), pretty);
    }
}

#[test]
fn json_writing_refuses_what_decoding_refuses() {
    let write = |archive: &[u8], limits: &TranscriptLimits| {
        write_vtr_json(archive, limits, std::io::sink(), true).map(|()| "written")
    };
    for bad in [&b"{\"words\": ["[..], b"{} {}", b"not json"] {
        let archive = encode_vtr_raw(bad, "t.vtr").unwrap();
        assert!(matches!(write(&archive, &TranscriptLimits::default()), Err(TranscriptError::Json { .. })), "{bad:?}");
    }
    let archive = encode_vtr_raw(&vec![b' '; 1024 * 1024], "bomb.json").unwrap();
    let limits = TranscriptLimits { max_decompressed_bytes: 64 * 1024, ..TranscriptLimits::default() };
    assert!(matches!(write(&archive, &limits), Err(TranscriptError::TooLarge { .. })));
    assert!(matches!(write(b"<html>", &limits), Err(TranscriptError::NotAZip { .. })));
}

#[test]
fn languages_are_split_and_trimmed() {
    let t = sample();
    assert_eq!(t.languages().collect::<Vec<_>>(), ["en-GB", "de-CH"]);
    assert_eq!(Transcript::default().languages().count(), 0);
}

#[test]
fn utterances_are_time_ordered_one_line_each() {
    let t = sample();
    let lines: Vec<String> = t.utterances().map(|u| u.to_string()).collect();
    assert_eq!(
        lines,
        ["[0:00:00.52] Speaker 1: Hello, thanks for calling", "[0:00:02.10] Speaker 2: Hi, my invoice is wrong",]
    );
    let first = t.utterances().next().unwrap();
    assert_eq!(first.end, Some(1.3));
    assert_eq!(first.tcu.extra["channel"], 1);
}

#[test]
fn utterance_timing_fallbacks_and_unknowns() {
    let t: Transcript = serde_json::from_value(json!({
        "speakers": [{ "id": "S1", "name": "Alex" }],
        "tcus": [
            { "text": "no time" },
            { "text": "word style", "speaker": "S1", "time": "5.5", "duration": 1 },
            { "text": "orphan", "speaker": 7, "start": 1 }
        ]
    }))
    .unwrap();
    let lines: Vec<String> = t.utterances().map(|u| u.to_string()).collect();
    assert_eq!(lines, ["[0:00:01.00] 7: orphan", "[0:00:05.50] Alex: word style", "[-:--:--.--] ?: no time",]);
    assert_eq!(t.tcus[1].end_seconds(), Some(6.5));
}

#[test]
fn timestamp_formatting() {
    assert_eq!(Timestamp(3723.456).to_string(), "1:02:03.46");
    assert_eq!(Timestamp(0.0).to_string(), "0:00:00.00");
    assert_eq!(Timestamp(59.999).to_string(), "0:01:00.00");
    assert_eq!(Timestamp(-1.0).to_string(), "-:--:--.--");
    assert_eq!(Timestamp(f64::NAN).to_string(), "-:--:--.--");
    assert_eq!(Timestamp(f64::INFINITY).to_string(), "-:--:--.--");
    assert!(!Timestamp(f64::MAX).to_string().is_empty());
}

#[test]
fn null_and_missing_lists_become_empty() {
    let t = Transcript::from_json_slice(br#"{"provider": null, "words": null}"#).unwrap();
    assert_eq!(t, Transcript::default());
}

#[test]
fn wrong_type_in_known_field_is_a_json_error() {
    // Found by fuzzing: `NaN`, `inf` and `1e400` parse as `f64` but are no
    // JSON numbers and would be written back as `null`.
    for time in ["soon", "NaN", "-inf", "Infinity", "1e400"] {
        let json = format!(r#"{{"words": [{{"time": "{time}"}}]}}"#);
        let archive = encode_vtr_raw(json.as_bytes(), "t.vtr").unwrap();
        match decode(&archive) {
            Err(err @ TranscriptError::Json { .. }) => {
                let msg = err.to_string();
                assert!(msg.contains("does not match the transcript format"), "{msg}");
            }
            other => panic!("{time}: expected Json, got {other:?}"),
        }
    }
}

#[test]
fn zip_bomb_with_lying_header_is_rejected() {
    // 1 MiB of spaces compresses to about 1 KiB.
    let mut archive = encode_vtr_raw(&vec![b' '; 1024 * 1024], "bomb.vtr").unwrap();
    // Make both headers claim 10 bytes, so the early size check passes.
    assert_eq!(&archive[..4], b"PK\x03\x04");
    archive[22..26].copy_from_slice(&10u32.to_le_bytes());
    let cd = archive.windows(4).rposition(|w| w == b"PK\x01\x02").expect("central directory");
    archive[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());

    let limits = TranscriptLimits { max_decompressed_bytes: 64 * 1024, ..TranscriptLimits::default() };
    // zip 9 itself stops an entry that inflates past its declared size
    // (an `Io` error); the crate's own counting of what inflates is the
    // second line of defence and would report `TooLarge`.
    match decode_vtr(&archive, &limits) {
        Err(TranscriptError::Io(err)) => {
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        }
        Err(TranscriptError::TooLarge { entry, .. }) => assert_eq!(entry, "bomb.vtr"),
        other => panic!("expected Io or TooLarge, got {other:?}"),
    }
}

#[test]
fn zip_bomb_with_honest_header_is_rejected_early() {
    let archive = encode_vtr_raw(&vec![b' '; 1024 * 1024], "bomb.json").unwrap();
    let limits = TranscriptLimits { max_decompressed_bytes: 64 * 1024, ..TranscriptLimits::default() };
    let err = decode_vtr(&archive, &limits).unwrap_err();
    assert!(matches!(err, TranscriptError::TooLarge { ref entry, .. } if entry == "bomb.json"));
    assert_eq!(err.to_string(), "transcript entry \"bomb.json\" decompresses to more than the limit of 65536 bytes");
}

#[test]
fn exactly_at_the_decompressed_limit_is_fine() {
    let json = br#"{"provider":"x"}"#;
    let archive = encode_vtr_raw(json, "t.vtr").unwrap();
    let limits = TranscriptLimits { max_decompressed_bytes: json.len() as u64, ..TranscriptLimits::default() };
    assert_eq!(decode_vtr(&archive, &limits).unwrap().provider.as_deref(), Some("x"));
}

#[test]
fn json_or_html_body_is_not_a_zip() {
    let body = br#"{"error":"Unauthorized","message":"Access token is missing or invalid","statusCode":401}"#;
    match decode(body) {
        Err(TranscriptError::NotAZip { excerpt }) => {
            assert!(excerpt.starts_with(r#"{\"error\":\"Unauthorized\""#), "{excerpt}");
            assert!(excerpt.ends_with("..."));
        }
        other => panic!("expected NotAZip, got {other:?}"),
    }

    let html = b"<!DOCTYPE html>\r\n<html><body>Bad gateway</body></html>";
    let err = decode(html).unwrap_err();
    assert_eq!(
        err.to_string(),
        "response body is not a vtr (ZIP) archive; it starts with \
         \"<!DOCTYPE html>\\r\\n<html><body>Bad gateway</body></html>\""
    );

    let err = decode(b"").unwrap_err();
    assert!(matches!(err, TranscriptError::NotAZip { ref excerpt } if excerpt.is_empty()));
    assert_eq!(err.to_string(), "response body is empty, not a vtr (ZIP) archive");
}

/// The excerpt a body that is not a zip archive is reported with.
fn excerpt(body: &[u8]) -> String {
    match decode(body) {
        Err(TranscriptError::NotAZip { excerpt }) => excerpt,
        other => panic!("expected NotAZip, got {other:?}"),
    }
}

#[test]
fn excerpt_escapes_binary_and_is_bounded() {
    let text = excerpt(b"\x00\x01\xff\x1b[31m");
    assert_eq!(text, "\\u{0}\\u{1}\u{fffd}\\u{1b}[31m");
    // Splitting a multi-byte character at the cut must not panic.
    let long = "é".repeat(100);
    let text = excerpt(long.as_bytes());
    assert!(text.ends_with("..."));
    assert!(text.chars().count() <= 64 + 3);
}

#[test]
fn corrupt_zip_is_a_zip_error() {
    let archive = encode_vtr(&sample(), "t.vtr").unwrap();
    let truncated = &archive[..archive.len() / 2];
    assert!(matches!(decode(truncated), Err(TranscriptError::Zip(_))));
    assert!(matches!(decode(b"PK\x03\x04garbage"), Err(TranscriptError::Zip(_))));
}

#[test]
fn corrupt_data_is_an_error() {
    let mut archive = encode_vtr(&sample(), "t.vtr").unwrap();
    // Flip bytes in the middle of the deflate stream (after the 30-byte
    // local header and the 5-byte name).
    for byte in &mut archive[40..60] {
        *byte ^= 0x5a;
    }
    match decode(&archive) {
        Err(TranscriptError::Io(_) | TranscriptError::Zip(_) | TranscriptError::Json { .. }) => {}
        other => panic!("expected a read failure, got {other:?}"),
    }
}

#[test]
fn empty_zip_has_no_transcript() {
    let archive = zip_with(&[]);
    let err = decode(&archive).unwrap_err();
    assert!(matches!(err, TranscriptError::NoTranscript { ref entries } if entries.is_empty()));
    assert_eq!(err.to_string(), "vtr archive is empty; expected a transcript entry");
}

#[test]
fn zip_without_transcript_lists_entries() {
    let archive = zip_with(&[("readme.txt", b"hello"), ("docs/", b""), ("other.txt", b"x")]);
    match decode(&archive) {
        Err(err @ TranscriptError::NoTranscript { .. }) => {
            let TranscriptError::NoTranscript { entries } = &err else { unreachable!() };
            assert_eq!(entries, &["readme.txt", "docs/", "other.txt"]);
            assert_eq!(
                err.to_string(),
                "vtr archive has no *.vtr or *.json entry and not exactly one file; \
                 3 entries: \"readme.txt\", \"docs/\", \"other.txt\""
            );
        }
        other => panic!("expected NoTranscript, got {other:?}"),
    }
}

#[test]
fn many_entries_message_is_bounded() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}.txt")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let err = decode(&zip_with(&entries)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.ends_with(", ... and 12 more"), "{msg}");
    assert!(matches!(err, TranscriptError::NoTranscript { ref entries } if entries.len() == 20));
}

/// An archive declaring more entries than a transcript archive may hold
/// is refused from its end record, before its directory is read; ZIP64
/// counts (past 65,535) are read too.
#[test]
fn too_many_entries_are_refused_before_the_directory_is_read() {
    let names: Vec<String> = (0..=MAX_ENTRIES).map(|i| format!("f{i}.json")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"{}"[..])).collect();
    let archive = zip_with(&entries);
    let err = decode(&archive).unwrap_err();
    assert!(matches!(err, TranscriptError::TooManyEntries { entries: 1001, limit: MAX_ENTRIES }), "{err:?}");
    assert!(err.to_string().contains("1001 entries"), "{err}");
    let mut sink = Vec::new();
    assert!(matches!(
        write_vtr_json(&archive, &TranscriptLimits::default(), &mut sink, true),
        Err(TranscriptError::TooManyEntries { .. })
    ));

    // A ZIP64 end record: the classic count saturated, the real one in the ZIP64 record.
    let mut zip64 = vec![0u8; 8];
    let record = zip64.len();
    zip64.extend_from_slice(b"PK\x06\x06");
    zip64.extend_from_slice(&[0; 28]);
    zip64.extend_from_slice(&200_000u64.to_le_bytes());
    zip64.extend_from_slice(&[0; 16]);
    zip64.extend_from_slice(b"PK\x06\x07\0\0\0\0");
    zip64.extend_from_slice(&(record as u64).to_le_bytes());
    zip64.extend_from_slice(&[1, 0, 0, 0]);
    zip64.extend_from_slice(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff");
    zip64.extend_from_slice(&[0xff; 8]);
    zip64.extend_from_slice(&[0; 2]);
    assert!(matches!(decode(&zip64), Err(TranscriptError::TooManyEntries { entries: 200_000, .. })));
    // Nothing that looks like an end record: the zip reader's own error.
    assert!(matches!(decode(b"PK\x03\x04 not really"), Err(TranscriptError::Zip(_))));
    assert!(matches!(decode(b""), Err(TranscriptError::NotAZip { .. })));
}

#[test]
fn an_empty_document_is_an_empty_transcript() {
    let transcript = decode(&zip_with(&[("t.json", b"{}")])).unwrap();
    assert!(transcript.is_empty());
    assert!(!sample().is_empty());
}

#[test]
fn single_entry_with_other_extension_is_accepted() {
    let json = serde_json::to_vec(&sample_json()).unwrap();
    let archive = zip_with(&[("meta/", b""), ("transcript.dat", &json)]);
    assert_eq!(decode(&archive).unwrap(), sample());
}

#[test]
fn transcript_extension_wins_case_insensitively() {
    let json = serde_json::to_vec(&sample_json()).unwrap();
    let archive = zip_with(&[
        ("readme.txt", b"not json"),
        ("dir.vtr/", b""),
        ("Call 2025-03-06.JSON", &json),
        ("second.vtr", b"never read"),
    ]);
    assert_eq!(decode(&archive).unwrap(), sample());
}

#[test]
fn bad_json_names_the_entry() {
    let archive = encode_vtr_raw(b"{\n  \"provider\": \"iv\",\n  oops\n}", "broken.vtr").unwrap();
    match decode(&archive) {
        Err(err @ TranscriptError::Json { .. }) => {
            let TranscriptError::Json { entry, source } = &err else { unreachable!() };
            assert_eq!(entry, "broken.vtr");
            assert_eq!(source.line(), 3);
            assert_eq!(err.to_string(), "transcript entry \"broken.vtr\" is not valid JSON (line 3, column 3)");
            assert!(std::error::Error::source(&err).is_some());
        }
        other => panic!("expected Json, got {other:?}"),
    }
    let archive = encode_vtr_raw(b"{\"words\": [", "cut.json").unwrap();
    let msg = decode(&archive).unwrap_err().to_string();
    assert!(msg.contains("\"cut.json\" ends in the middle of the JSON"), "{msg}");
}

#[test]
fn archive_over_cap_is_rejected_by_decode() {
    let archive = encode_vtr(&sample(), "t.vtr").unwrap();
    let limits = TranscriptLimits { max_archive_bytes: archive.len() as u64 - 1, ..TranscriptLimits::default() };
    assert!(matches!(
        decode_vtr(&archive, &limits),
        Err(TranscriptError::ArchiveTooLarge { limit }) if limit == archive.len() as u64 - 1
    ));
}

#[test]
fn collector_assembles_chunks() {
    let archive = encode_vtr(&sample(), "t.vtr").unwrap();
    let mut collector = VtrCollector::new(&TranscriptLimits::default());
    assert!(collector.is_empty());
    collector.expect_content_length(archive.len() as u64).unwrap();
    for chunk in archive.chunks(7) {
        collector.push(chunk).unwrap();
    }
    assert_eq!(collector.len(), archive.len());
    assert_eq!(collector.as_bytes(), &archive[..]);
    assert_eq!(collector.finish().unwrap(), sample());
}

#[test]
fn collector_rejects_once_cap_is_passed() {
    let limits = TranscriptLimits { max_archive_bytes: 10, ..TranscriptLimits::default() };
    let mut collector = VtrCollector::new(&limits);
    collector.push(b"PK\x03\x04").unwrap();
    collector.push(b"123456").unwrap(); // exactly at the cap
    let err = collector.push(b"7").unwrap_err();
    assert!(matches!(err, TranscriptError::ArchiveTooLarge { limit: 10 }));
    assert_eq!(err.to_string(), "vtr archive is larger than the limit of 10 bytes");
    // The rejected chunk was not buffered, and the collector stays failed.
    assert_eq!(collector.len(), 10);
    assert!(collector.push(b"").is_err());
    assert!(matches!(collector.expect_content_length(11), Err(TranscriptError::ArchiveTooLarge { .. })));
    assert_eq!(collector.as_bytes(), b"PK\x03\x04123456");
    assert!(matches!(collector.finish(), Err(TranscriptError::ArchiveTooLarge { limit: 10 })));

    // A small chunk after a rejected big one must not be accepted.
    let mut collector = VtrCollector::new(&limits);
    collector.push(b"1234").unwrap();
    assert!(collector.push(&[0; 20]).is_err());
    assert!(collector.push(b"5").is_err());
    assert_eq!(collector.into_bytes(), b"1234");
}

#[test]
fn error_messages_are_single_lines() {
    let errors = [
        TranscriptError::ArchiveTooLarge { limit: 1 },
        TranscriptError::NotAZip { excerpt: excerpt(b"a\nb") },
        TranscriptError::NoTranscript { entries: vec!["a\nb".into()] },
        TranscriptError::TooLarge { entry: "x\ny".into(), limit: 1 },
        TranscriptError::Json { entry: "e".into(), source: serde_json::from_str::<Value>("{\n").unwrap_err() },
        TranscriptError::Io(std::io::Error::other("boom")),
        TranscriptError::Zip("bad".into()),
    ];
    for err in errors {
        let msg = err.to_string();
        assert!(!msg.contains('\n') && !msg.is_empty(), "{msg:?}");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let archive = encode_vtr(&sample(), "t.vtr").unwrap();
    // Truncations and single-byte corruptions of a real archive.
    for cut in (0..archive.len()).step_by(13) {
        let _ = decode(&archive[..cut]);
    }
    for pos in (0..archive.len()).step_by(5) {
        let mut copy = archive.clone();
        copy[pos] = copy[pos].wrapping_add(0x41);
        let _ = decode(&copy);
    }
}
