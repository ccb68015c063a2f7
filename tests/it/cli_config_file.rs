//! The `convo` CLI's config file (`cli_config`), parsed without I/O: a
//! profile's API table read into its settings, and errors that say where
//! (line, key) but never the value there, which may be a secret.

use convo_clients::cli_config::{ConfigError, parse};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize, PartialEq)]
struct Api {
    key: Option<String>,
    eid: Option<i64>,
}

#[test]
fn reads_a_profile_table() {
    let file = parse(b"[profiles.default.x]\nkey = \"abc\"\neid = 5\n").unwrap();
    let api: Api = file.table("default", "x").unwrap().unwrap();
    assert_eq!(api, Api { key: Some("abc".into()), eid: Some(5) });
    assert_eq!(file.table::<Api>("default", "y").unwrap(), Some(Api::default()));
    assert_eq!(file.table::<Api>("other", "x").unwrap(), None);
}

#[test]
fn a_wrong_type_names_table_key_and_line_but_not_the_value() {
    let file = parse(b"# comment\n[profiles.work.x]\neid = 1\nkey = 987654321987\n").unwrap();
    let e = file.table::<Api>("work", "x").unwrap_err();
    let text = e.to_string();
    assert_eq!(text, "line 4: [profiles.work.x] key: expected a string", "{text}");
    let file = parse(b"[profiles.work.x]\neid = \"s3cret-value\"\n").unwrap();
    let text = file.table::<Api>("work", "x").unwrap_err().to_string();
    assert!(text.starts_with("line 2: [profiles.work.x] eid: expected") && !text.contains("s3cret"), "{text}");
}

#[test]
fn syntax_errors_name_the_line_and_not_the_value() {
    let e = parse(b"[profiles.default.x]\nkey = \"s3cret-value\nother = 1\n").unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("line 2: "), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    let e = parse(b"[profiles.default]\nx = 123456789\n").unwrap_err();
    assert!(e.to_string().starts_with("line 2: ") && !e.to_string().contains("123456789"), "{e}");
}

/// Found by the fuzzer: a secret put straight into a profile, where an
/// API table belongs, was quoted by the "expected a map" message.
#[test]
fn a_value_where_a_table_belongs_is_not_quoted() {
    let e = parse(b"[profiles.default]\napi_key = \"s3cret \\\"quoted\\\" value\"\n").unwrap_err();
    let text = e.to_string();
    assert!(text.starts_with("line 2: ") && !text.contains("s3cret") && !text.contains("value"), "{text}");
}

#[test]
fn non_utf8_is_an_error_with_its_line() {
    assert_eq!(parse(b"[profiles.a.x]\nkey = \"\xff\"\n").unwrap_err(), ConfigError::NotUtf8 { line: 2 });
}

/// The line a byte is on: lines start at bytes 0, 5 and 9 (a line's
/// newline is its own), the last runs to the end. Seen through the first
/// byte that is not UTF-8, put at each offset in turn.
#[test]
fn line_numbers() {
    let text = b"abcd\nefg\nhijklmnopqrstuvwxyz";
    let line_of = |offset: usize| {
        let mut bytes = text.to_vec();
        bytes[offset] = 0xff;
        match parse(&bytes) {
            Err(ConfigError::NotUtf8 { line }) => line,
            other => panic!("{offset}: {other:?}"),
        }
    };
    assert_eq!([0, 4, 5, 8, 9, 20].map(line_of), [1, 1, 2, 2, 3, 3]);
}
