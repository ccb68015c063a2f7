//! The bodies of the cargo-fuzz targets in `fuzz/fuzz_targets/`, included by
//! path there and in `tests/it/fuzz_corpus.rs`, which replays the committed
//! corpora through exactly the same code in the ordinary test suite. They
//! use the crate's public API only; `cfg(feature)` names its features (the
//! fuzz crate declares them too).
//!
//! Each function takes the raw fuzzer input, must not panic on any input, and
//! panics (with a message) only when a property of the code under test is
//! broken.

/// `fuzz_targets/filter_parse.rs`: the Luware compact filter syntax
/// (`platformName=Microsoft Teams`) and the server-side `filters` JSON.
///
/// Properties: a parsed filter validates, re-renders (`Display`) to text that
/// parses back to the same filter, and survives the JSON parameter round
/// trip; `Filters::to_json` matches `serde_json`; `Filters::from_json` is
/// idempotent; evaluating filters never panics. (Reading the parameter back
/// and evaluating it are the emulator's: with the `sandbox` feature.)
#[cfg(feature = "luware")]
pub fn filter_parse(data: &[u8]) {
    use convo_clients::luware::filter::{Filter, Filters};

    let Ok(text) = std::str::from_utf8(data) else { return };
    #[cfg(feature = "sandbox")]
    let record = |filter: &Filter| {
        use convo_clients::sandbox::luware::FieldValue;
        let probes =
            [FieldValue::from(text), FieldValue::Int(text.len() as i64), FieldValue::Bool(text.len() % 2 == 0)];
        for probe in &probes {
            let _ = filter.matches(Some(probe));
        }
        let _ = filter.matches(None);
    };
    #[cfg(not(feature = "sandbox"))]
    let record = |_: &Filter| {};

    if let Ok(filter) = text.parse::<Filter>() {
        assert_eq!(filter.validate(), Ok(()), "parsed filter {filter:?} does not validate");
        let rendered = filter.to_string();
        assert_eq!(rendered.parse::<Filter>().as_ref(), Ok(&filter), "{rendered:?} does not parse back");
        let filters = Filters::new().with(filter.clone());
        check_filters_json(&filters);
        record(&filter);
    }

    #[cfg(feature = "sandbox")]
    if let Ok(filters) = Filters::from_json(text) {
        check_filters_json(&filters);
        filters.iter().for_each(record);
        let _ = filters.matches(|_| Some(convo_clients::sandbox::luware::FieldValue::from(text)));
    }
}

/// `to_json` is `serde_json`'s output and reads back (validated) unchanged.
#[cfg(feature = "luware")]
fn check_filters_json(filters: &convo_clients::luware::filter::Filters) {
    assert_eq!(filters.validate(), Ok(()), "{filters:?} does not validate");
    let json = filters.to_json();
    assert_eq!(serde_json::to_string(filters).ok().as_deref(), Some(json.as_str()), "to_json differs from serde");
    #[cfg(feature = "sandbox")]
    assert_eq!(
        convo_clients::luware::filter::Filters::from_json(&json).as_ref(),
        Ok(filters),
        "{json} does not read back"
    );
}

/// Limits small enough that a zip bomb costs the fuzzer milliseconds.
#[cfg(feature = "luware")]
const FUZZ_VTR_LIMITS: convo_clients::luware::transcript::TranscriptLimits =
    convo_clients::luware::transcript::TranscriptLimits { max_archive_bytes: 1 << 20, max_decompressed_bytes: 1 << 20 };

/// `fuzz_targets/vtr_decode.rs`: the `.vtr` (zipped JSON transcript) decoder.
///
/// The input is decoded twice: as an archive as received, and as the JSON
/// document inside a well-formed archive (a fuzzer cannot get past the
/// archive's CRC by mutation alone). Properties: the archive path agrees with
/// parsing the JSON directly; a decoded transcript re-encodes and decodes to
/// the same JSON; the display helpers never panic.
#[cfg(feature = "luware")]
pub fn vtr_decode(data: &[u8]) {
    use convo_clients::luware::transcript::{Transcript, VtrCollector};

    let mut collector = VtrCollector::new(&FUZZ_VTR_LIMITS);
    let _ = collector.expect_content_length(data.len() as u64);
    for chunk in data.chunks(4096) {
        let _ = collector.push(chunk);
    }
    if let Ok(transcript) = collector.finish() {
        check_transcript(&transcript);
    }

    // Archives are written by the emulator's writer (with `sandbox`).
    #[cfg(feature = "sandbox")]
    {
        let direct = Transcript::from_json_slice(data);
        let archive =
            convo_clients::sandbox::luware::encode_vtr_raw(data, "fuzz.vtr").expect("a small entry always encodes");
        let zipped = convo_clients::luware::transcript::decode_vtr(&archive, &FUZZ_VTR_LIMITS);
        match (&direct, &zipped) {
            (Ok(direct), Ok(zipped)) => {
                assert_eq!(direct, zipped, "the archive changed the transcript");
                check_transcript(zipped);
            }
            (Err(_), Err(_)) => {}
            _ => panic!("decode_vtr and from_json_slice disagree: {:?} vs {:?}", direct.is_ok(), zipped.is_ok()),
        }
    }
    #[cfg(not(feature = "sandbox"))]
    let _ = Transcript::from_json_slice(data).map(|t| check_transcript(&t));
}

#[cfg(feature = "luware")]
fn check_transcript(transcript: &convo_clients::luware::transcript::Transcript) {
    use convo_clients::luware::transcript::{Speaker, Timestamp, Topic};

    let _ = transcript.languages().count();
    for utterance in transcript.utterances() {
        let _ = utterance.to_string();
        let _ = utterance.tcu.sentiment_score();
    }
    let _ = transcript.speakers.iter().map(Speaker::label).count();
    let _ = transcript.topics.iter().map(Topic::label).count();
    for word in &transcript.words {
        let _ = word.end_seconds().map(|end| Timestamp(end).to_string());
    }

    #[cfg(feature = "sandbox")]
    {
        let json = serde_json::to_value(transcript).expect("a transcript serialises");
        let archive =
            convo_clients::sandbox::luware::encode_vtr(transcript, "t.vtr").expect("a decoded transcript re-encodes");
        let again = convo_clients::luware::transcript::decode_vtr(
            &archive,
            &convo_clients::luware::transcript::TranscriptLimits::DEFAULT,
        )
        .expect("a re-encoded transcript decodes");
        assert_eq!(serde_json::to_value(&again).ok(), Some(json), "the transcript changed in a round trip");
    }
}

/// The specs of the enabled APIs, by module name.
macro_rules! fuzz_specs {
    ($($api:ident: $feature:literal,)*) => {
        const SPECS: &[(&str, &str)] = &[$(
            #[cfg(feature = $feature)]
            (stringify!($api), convo_clients::$api::SPEC_JSON),
        )*];
    };
}

convo_clients::for_each_api!(fuzz_specs);

/// One validator per enabled API, built once.
fn validators() -> &'static [(&'static str, convo_clients::spec::validate::SpecValidator)] {
    use std::sync::OnceLock;
    static VALIDATORS: OnceLock<Vec<(&str, convo_clients::spec::validate::SpecValidator)>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        SPECS
            .iter()
            .map(|(name, json)| {
                let spec = serde_json::from_str(json).expect("embedded spec is JSON");
                (*name, convo_clients::spec::validate::SpecValidator::new(&spec).expect("embedded spec compiles"))
            })
            .collect()
    })
}

/// A fuzz input that reads like an HTTP message: a first line `<api> <word>
/// <rest>`, `name: value` header lines (names in lower case), a blank line,
/// and the body. `None` when the first line names no enabled API.
struct Message<'a> {
    validator: &'static convo_clients::spec::validate::SpecValidator,
    /// The first line's second word and the rest of it.
    words: [String; 2],
    headers: Vec<(String, String)>,
    body: &'a [u8],
}

fn message(data: &[u8]) -> Option<Message<'_>> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &b""[..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n');
    let mut first = lines.next().unwrap_or_default().splitn(3, ' ');
    let (api, word, rest) = (first.next()?, first.next()?, first.next()?);
    let (_, validator) = validators().iter().find(|(name, _)| *name == api)?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(Message { validator, words: [word.to_owned(), rest.to_owned()], headers, body })
}

/// `fuzz_targets/request_validate.rs`: [`SpecValidator::validate_request`],
/// as the runtime and the sandbox call it, against each API's spec.
///
/// The input reads like an HTTP request: a first line
/// `<api> <METHOD> <path>[?<query>]` (`api` a module name such as `luware`),
/// then `name: value` header lines, a blank line, and the body. Inputs naming
/// no enabled API are skipped.
///
/// Properties: validation is deterministic; a violation maps to 400, 404 or
/// 405; a query rewritten by a lenient rule (`x-on-maximum: clamp`) validates
/// unchanged, with the same operation and pairs. A validated request's body
/// is also checked as that operation's 200 response, which must not panic.
///
/// [`SpecValidator::validate_request`]: convo_clients::spec::validate::SpecValidator::validate_request
pub fn request_validate(data: &[u8]) {
    use convo_clients::spec::validate::RequestParts;

    let Some(Message { validator, words: [method, target], headers, body }) = message(data) else { return };
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target.as_str(), None),
    };
    let method = method.as_str();
    let request = RequestParts { method, path, query, headers: &headers, body };

    let result = validator.validate_request(&request);
    assert_eq!(validator.validate_request(&request), result, "validation is not deterministic");
    match &result {
        Err(violation) => assert!(matches!(violation.status(), 400 | 404 | 405), "{violation}"),
        Ok(validated) => {
            if let Some(rewritten) = &validated.rewritten_query {
                let again = validator.validate_request(&RequestParts { query: Some(rewritten), ..request });
                let again = again.unwrap_or_else(|v| panic!("rewritten query {rewritten:?} fails: {v}"));
                assert_eq!(again.operation_id, validated.operation_id);
                assert_eq!(again.query, validated.query, "rewritten query {rewritten:?} decodes differently");
                assert_eq!(again.rewritten_query, None, "rewritten query {rewritten:?} is rewritten again");
            }
            let content_type = headers.iter().find(|(name, _)| name == "content-type").map(|(_, v)| v.as_str());
            let _ = validator.validate_response(&validated.operation_id, 200, content_type, body);
        }
    }
}

/// `fuzz_targets/response_survey.rs`: [`SpecValidator::survey_response`],
/// what `convo <api> check` reports a server's answers with, on any answer.
///
/// The input reads like an HTTP response: a first line
/// `<api> <operationId> <status>`, then `name: value` header lines, a blank
/// line, and the body. Inputs naming no enabled API are skipped.
///
/// Properties: the survey is deterministic, never passes an answer the
/// sandbox's own check ([`SpecValidator::validate_response`]) rejects, and
/// never confirms an inferred fact it also saw contradicted.
///
/// [`SpecValidator::survey_response`]: convo_clients::spec::validate::SpecValidator::survey_response
/// [`SpecValidator::validate_response`]: convo_clients::spec::validate::SpecValidator::validate_response
pub fn response_survey(data: &[u8]) {
    let Some(Message { validator, words: [operation, status], headers, body }) = message(data) else { return };
    let Ok(status) = status.trim().parse::<u16>() else { return };
    let operation = operation.as_str();
    let survey = validator.survey_response(operation, status, &headers, Some(body));
    assert_eq!(validator.survey_response(operation, status, &headers, Some(body)), survey, "not deterministic");
    let content_type = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.as_str());
    if let Err(violation) = validator.validate_response(operation, status, content_type, body) {
        assert!(!survey.drift.is_empty(), "the check rejects ({violation}) what the survey passes");
    }
    assert!(survey.confirmed.is_disjoint(&survey.contradicted), "{survey:?}");
    let _ = validator.survey_response(operation, status, &headers, None);
}

/// `fuzz_targets/config_load.rs`: the CLI's config file parser.
///
/// The input follows a profile table holding two canary secrets of the
/// wrong types (a string where a number belongs, a number where a string
/// belongs). Properties: parsing is deterministic; no error, from parsing or
/// from reading any API table of any profile into settings, quotes a canary;
/// nothing panics.
#[cfg(feature = "cli")]
pub fn config_load(data: &[u8]) {
    use convo_clients::cli_config::parse;

    #[derive(Default, serde::Deserialize)]
    #[allow(dead_code)]
    struct Settings {
        base_url: Option<String>,
        api_key: Option<String>,
        eid: Option<u64>,
        retries: Option<Vec<u8>>,
    }

    const CANARIES: [&str; 2] = ["CANARY-eid-7f3a", "918273645501"];
    let mut bytes = b"[profiles.fuzz.api]\neid = \"CANARY-eid-7f3a\"\napi_key = 918273645501\n".to_vec();
    bytes.extend_from_slice(data);
    // A canary the input itself repeats (in a table name, say) may be named.
    let planted: Vec<&str> =
        CANARIES.into_iter().filter(|c| !data.windows(c.len()).any(|w| w == c.as_bytes())).collect();
    let quiet = |message: String| {
        assert!(!planted.iter().any(|c| message.contains(c)), "an error quotes a value of the file: {message:?}");
    };

    let file = match parse(&bytes) {
        Ok(file) => file,
        Err(error) => {
            assert_eq!(parse(&bytes).err(), Some(error.clone()), "parse is not deterministic");
            return quiet(error.to_string());
        }
    };
    let text = String::from_utf8_lossy(data);
    let names = text.split(['[', ']', '.', '\n', ' ']).filter(|w| !w.is_empty()).take(16);
    for profile in names.clone().chain(["default", "fuzz"]) {
        for api in names.clone().chain(["api"]) {
            if let Err(error) = file.table::<Settings>(profile, api) {
                quiet(error.to_string());
            }
        }
    }
}
