//! Text that reaches a user without secrets or terminal control sequences
//! (`redact`), and the `Secret` type that never shows itself.

use convo_clients::Secret;
use convo_clients::redact::{escape_controls, is_secret_name, redact_secrets, without_userinfo, write_json};

/// What `redact` keeps off a terminal: C0 and C1 control characters, DEL,
/// and the bidirectional overrides that reorder a line.
fn acts_on_a_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[test]
fn formatting_redacts() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    assert_eq!(s.expose(), "hunter2");
}

#[test]
fn json_escapes_what_acts_on_a_terminal_and_stays_the_same_value() {
    let value = serde_json::json!({"a\u{202e}b": ["x\u{85}y\u{9b}z\u{7f}", "\u{1b}[31m", "plain é ✓"]});
    for pretty in [false, true] {
        let mut out = Vec::new();
        write_json(&mut out, &value, pretty).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(|c| c != '\n' && acts_on_a_terminal(c)), "{text:?}");
        assert!(text.contains("a\\u202eb") && text.contains("x\\u0085y\\u009bz\\u007f"), "{text}");
        assert!(text.contains("plain é ✓"), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
        let plain = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) };
        assert_eq!(text.lines().count(), plain.unwrap().lines().count());
    }
}

#[test]
fn userinfo_masked_in_urls_that_parse_and_in_those_that_do_not() {
    for (url, shown) in [
        ("https://u:pw@example.com/a", "https://***@example.com/a"),
        ("https://example.com/users/a@b.com", "https://example.com/users/a@b.com"),
        ("https://example.com", "https://example.com"),
        ("htp:/svc:PASSWORD@127.0.0.1:1/ x", "htp:/***@127.0.0.1:1/ x"),
        ("http://svc:PASS WORD@127.0.0.1:1/", "http://***@127.0.0.1:1/"),
        ("http://user:pa/ss@host", "http://***@host"),
        ("svc:PASSWORD@127.0.0.1", "***@127.0.0.1"),
        ("http:\\\\u:SECRET@host", "http:\\\\***@host"),
        ("not a url", "not a url"),
        ("@", "@"),
        ("mailto:a@b", "***@b"),
    ] {
        assert_eq!(without_userinfo(url), shown, "{url}");
    }
}

fn redact(text: &str) -> String {
    redact_secrets(text, &[]).0
}

#[test]
fn secret_like_names() {
    for name in [
        "access_token",
        "accessToken",
        "token",
        "password",
        "client_secret",
        "api_key",
        "apiKey",
        "Authorization",
        "Ocp-Apim-Subscription-Key",
        "subscription key",
        "agent-secret-key",
        "x-api-key",
        "bearer",
        "appKey",
        "refresh_token",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
    for name in ["status", "message", "id", "conversationId", "username", "expires_in", "monkeys"] {
        assert!(!is_secret_name(name), "{name}");
    }
}

#[test]
fn json_fields_at_any_depth() {
    let body = r#"{"accessToken":"eyJhbGc.payload.sig","nested":{"password": "hunter2", "list":[{"api_key":"k-123"}]},"pin":{"secret":4242},"ok":"visible"}"#;
    let (out, found) = redact_secrets(body, &[]);
    assert!(found);
    for secret in ["eyJhbGc", "hunter2", "k-123", "4242"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    assert!(out.contains(r#""ok":"visible""#), "{out}");
    assert!(out.contains(r#""accessToken":"***""#), "{out}");
    // Still JSON, so the server's message can be read from it.
    serde_json::from_str::<serde_json::Value>(&out).unwrap();
}

#[test]
fn escaped_json_inside_strings_and_cut_bodies() {
    let out = redact(r#"{"echo":"{\"password\":\"hunter2\",\"user\":\"bob\"}"}"#);
    assert!(!out.contains("hunter2") && out.contains("bob"), "{out}");
    let out = redact(r#"{"message":"x","access_token":"eyJabc.def"#);
    assert!(!out.contains("eyJabc"), "{out}");
}

#[test]
fn pairs_headers_and_bearers() {
    let out = redact("client_id=bob&client_secret=hunter2&eid=1000");
    assert_eq!(out, "client_id=bob&client_secret=***&eid=1000");
    let out = redact("Authorization: Bearer abc.def.ghi\r\nOcp-Apim-Subscription-Key: sub-key-1\r\nHost: x");
    assert!(!out.contains("abc.def") && !out.contains("sub-key-1") && out.contains("Host: x"), "{out}");
    let out = redact("the header was Bearer sometoken123 and more");
    assert!(!out.contains("sometoken123"), "{out}");
}

#[test]
fn configured_secrets_in_every_encoding() {
    let (out, _) = redact_secrets("a p@ss:word b p%40ss%3Aword c", &["p@ss:word", "abc"]);
    assert_eq!(out, "a *** b *** c");
    let (out, _) = redact_secrets("abc", &["abc"]);
    assert_eq!(out, "abc", "too short to search for");
}

#[test]
fn controls_are_escaped() {
    assert_eq!(escape_controls("plain ü"), "plain ü");
    assert_eq!(escape_controls("a\u{1b}[31mred\u{7}\n"), "a\\u{1b}[31mred\\u{7}\\n");
    assert_eq!(escape_controls("x\u{202e}y"), "x\\u{202e}y");
}

#[test]
fn userinfo_is_hidden() {
    assert_eq!(without_userinfo("https://user:pass@host/p?q=1"), "https://***@host/p?q=1");
    assert_eq!(without_userinfo("https://host/a@b"), "https://host/a@b");
    assert_eq!(without_userinfo("ht!tp://u:p@h"), "ht!tp://***@h");
    assert_eq!(without_userinfo("u:p@h:port"), "***@h:port");
}
