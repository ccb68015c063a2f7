//! Text that reaches a user (error messages, logs, printed records) without
//! the secrets or terminal control sequences a server may have put in it.
//!
//! [`redact_secrets`] masks the values of token-, password- and key-like
//! fields (JSON keys at any depth, `key=value` pairs, `Name: value` header
//! lines, bare `Bearer …` tokens and JWTs) and every configured secret value;
//! [`escape_controls`] makes escape, bell and other control characters
//! visible instead of letting them act on the terminal.

use std::borrow::Cow;

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Configured secrets shorter than this are not searched for (masking every
/// `1` of a body would hide everything and protect nothing).
const MIN_SECRET_LEN: usize = 4;

/// Whether a field, parameter or header name is one whose value is secret:
/// tokens, passwords, secrets, keys (`access_token`, `accessToken`,
/// `password`, `client_secret`, `api_key`, `Ocp-Apim-Subscription-Key`,
/// `Authorization`, cookies, …). Case, `-`, `_` and `.` do not matter.
pub fn is_secret_name(name: &str) -> bool {
    let normalized: String =
        name.chars().filter(|c| !matches!(c, '-' | '_' | '.' | ' ')).flat_map(char::to_lowercase).collect();
    const PARTS: [&str; 11] = [
        "token",
        "password",
        "passwd",
        "secret",
        "authorization",
        "cookie",
        "credential",
        "bearer",
        "signature",
        "sessionid",
        "apikey",
    ];
    normalized == "pwd" || normalized.ends_with("key") || PARTS.iter().any(|part| normalized.contains(part))
}

/// `text` with every configured secret (of at least 4 characters, also in its
/// URL- and JSON-encoded forms) and every value of a secret-like field
/// masked. The second value says whether a secret-like field was found.
pub fn redact_secrets(text: &str, secrets: &[&str]) -> (String, bool) {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.chars().count() >= MIN_SECRET_LEN) {
        let url_encoded: String = serde_urlencoded::to_string([("", secret)]).unwrap_or_default().split_off(1);
        let json_encoded = serde_json::to_string(secret).unwrap_or_default();
        let json_encoded = json_encoded.get(1..json_encoded.len().saturating_sub(1)).unwrap_or_default().to_string();
        for form in [secret.to_string(), url_encoded, json_encoded] {
            if form.len() >= MIN_SECRET_LEN && out.contains(&form) {
                out = out.replace(&form, MASK);
            }
        }
    }
    mask_fields(&out)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Masks the value after each secret-like name followed by `:` or `=`, each
/// `Bearer`/`Basic` credential and each JWT.
fn mask_fields(text: &str) -> (String, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut found = false;
    let token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '+' | '/' | '=');
    let token_end = |from: usize| (from..chars.len()).find(|&k| !token(chars[k])).unwrap_or(chars.len());
    let blanks_end = |from: usize| (from..).find(|&k| !matches!(chars.get(k), Some(' ' | '\t'))).unwrap_or(from);
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !is_name_char(chars[i - 1]);
        if !starts_word || !is_name_char(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let end = (i..chars.len()).find(|&k| !is_name_char(chars[k])).unwrap_or(chars.len());
        let name: String = chars[i..end].iter().collect();
        // A bare JWT (`eyJ….….…`), or `Bearer <token>` (`Basic`) with its scheme's name kept.
        let jwt = name.starts_with("eyJ").then(|| token_end(end));
        let jwt = jwt.filter(|&stop| chars[i..stop].contains(&'.') && stop - i >= 16);
        let scheme = ["bearer", "basic"].iter().any(|s| name.eq_ignore_ascii_case(s)) && chars.get(end) == Some(&' ');
        let credential = scheme.then(|| token_end(end + 1)).filter(|&stop| stop - (end + 1) >= 4);
        if let Some(stop) = jwt.or(credential) {
            out.push_str(&if jwt.is_some() { MASK.to_owned() } else { format!("{name} {MASK}") });
            (found, i) = (true, stop);
            continue;
        }
        out.push_str(&name);
        i = end;
        if !is_secret_name(&name) {
            continue;
        }
        // The closing quote of a JSON key (escaped inside a JSON string),
        // then `:` or `=`.
        let mut j = end;
        let quoted_key = if chars.get(j) == Some(&'\\') && chars.get(j + 1) == Some(&'"') {
            j += 2;
            "\\\""
        } else if chars.get(j) == Some(&'"') {
            j += 1;
            "\""
        } else {
            j += usize::from(chars.get(j) == Some(&'\''));
            ""
        };
        j = blanks_end(j);
        if !matches!(chars.get(j), Some(':' | '=')) {
            continue;
        }
        j = blanks_end(j + 1);
        // A bare value of a JSON key (a number) becomes a masked string, so
        // that the JSON stays JSON.
        let mut quote = "";
        let (value_start, value_end) = match chars.get(j) {
            None | Some('{' | '[') => continue,
            Some('\\') if chars.get(j + 1) == Some(&'"') => {
                let close = (j + 2..chars.len().saturating_sub(1)).find(|&k| chars[k] == '\\' && chars[k + 1] == '"');
                (j + 2, close.unwrap_or(chars.len()))
            }
            Some(&quote @ ('"' | '\'')) => {
                let mut k = j + 1;
                while k < chars.len() && chars[k] != quote {
                    k += if chars[k] == '\\' { 2 } else { 1 };
                }
                (j + 1, k.min(chars.len()))
            }
            Some(_) => {
                let stop = (j..chars.len())
                    .find(|&k| matches!(chars[k], '\r' | '\n' | '"' | '\'' | ',' | ';' | '&' | '}' | ']' | '<' | '\\'))
                    .unwrap_or(chars.len());
                quote = quoted_key;
                (j, stop)
            }
        };
        out.extend(&chars[end..value_start]);
        if value_end > value_start {
            out.push_str(quote);
            out.push_str(MASK);
            out.push_str(quote);
            found = true;
        }
        i = value_end;
    }
    (out, found)
}

/// Whether `c` would act on a terminal rather than show: C0 and C1 control
/// characters, DEL, and the bidirectional overrides that reorder a line.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// JSON as [`serde_json`] writes it, but with the characters that act on a
/// terminal inside strings written as `\uXXXX` escapes: DEL, the C1 controls
/// (U+0080 to U+009F) and the bidirectional overrides (serde_json already
/// escapes the C0 controls). The output is the same JSON value, so
/// machine readers see no difference; a person reading it in a terminal
/// sees the escape instead of a reordered or recoloured line.
pub fn write_json<W: std::io::Write, T: serde::Serialize + ?Sized>(
    out: W,
    value: &T,
    pretty: bool,
) -> serde_json::Result<()> {
    if pretty {
        value.serialize(&mut serde_json::Serializer::with_formatter(out, TerminalSafe::pretty()))
    } else {
        value.serialize(&mut serde_json::Serializer::with_formatter(out, TerminalSafe::compact()))
    }
}

/// A [`serde_json::ser::Formatter`] that escapes what [`write_json`] says.
/// Wraps serde_json's compact or pretty formatter.
pub struct TerminalSafe<F>(F);

impl TerminalSafe<serde_json::ser::CompactFormatter> {
    /// One line, as [`serde_json::to_writer`].
    pub fn compact() -> Self {
        Self(serde_json::ser::CompactFormatter)
    }
}

impl TerminalSafe<serde_json::ser::PrettyFormatter<'static>> {
    /// Indented by two spaces, as [`serde_json::to_writer_pretty`].
    pub fn pretty() -> Self {
        Self(serde_json::ser::PrettyFormatter::new())
    }
}

/// Forwards every layout method to the wrapped formatter (the ones
/// `PrettyFormatter` overrides; the compact one keeps the defaults).
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $name<W: ?Sized + std::io::Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> std::io::Result<()> {
            self.0.$name(writer $(, $arg)*)
        }
    )*};
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // Each unsafe character as `\uXXXX`. Every such character's UTF-8
        // starts with 0x7F, 0xC2 or 0xE2, so most text is written whole
        // after one scan of its bytes.
        if memchr::memchr3(0x7f, 0xc2, 0xe2, fragment.as_bytes()).is_none() {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (at, c) in fragment.char_indices().filter(|(_, c)| is_unsafe(*c)) {
            writer.write_all(&fragment.as_bytes()[start..at])?;
            write!(writer, "\\u{:04x}", c as u32)?;
            start = at + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    forward! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }
}

/// `message` with what it quotes (`` `…` `` and `"…"`, as serde and toml
/// quote values) replaced by `…`: an error message about a value that may be
/// a secret, without the value. A backslash inside a quote escapes the next
/// character, so an escaped quote does not end it.
pub fn without_quoted_values(message: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    let mut escaped = false;
    for c in message.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                quote = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '`' || c == '"' {
                    quote = Some(c);
                }
            }
        }
    }
    // An unclosed quote hides everything after it.
    if quote.is_some() {
        out.push('…');
    }
    out
}

/// `text` with control characters written as escapes (`\u{1b}`, `\n`), so
/// that text from a server cannot move the cursor, recolour the terminal or
/// ring its bell.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A URL as it may be shown: with any `user:password@` replaced by `***@`.
///
/// Works on text that does not parse as a URL, too (a typo in the scheme, a
/// stray space): there the userinfo cannot be told from the path, so
/// everything from the start of the authority to the last `@` is masked.
pub fn without_userinfo(url: &str) -> String {
    if let Ok(parsed) = reqwest::Url::parse(url)
        && parsed.has_authority()
    {
        if parsed.username().is_empty() && parsed.password().is_none() {
            return url.to_string();
        }
        // The authority as written (the parsed form would normalise the rest).
        let (scheme, rest) = url.split_at(url.find("://").map_or(0, |at| at + 3));
        let authority_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{scheme}{MASK}@{}", &rest[at + 1..]);
        }
    }
    let Some(last_at) = url.rfind('@') else { return url.to_string() };
    // After `scheme:` and the slashes that follow it (`htp:/`, `http://`),
    // when the text starts so; else from the start (`svc:pw@host`).
    let scheme_end = url[..last_at]
        .find(":/")
        .or_else(|| url[..last_at].find(":\\"))
        .filter(|&colon| !url[..colon].contains(['@', ' ', '/']))
        .map_or(0, |colon| colon + 1);
    let authority_start =
        scheme_end + url[scheme_end..].len() - url[scheme_end..].trim_start_matches(['/', '\\']).len();
    if authority_start >= last_at {
        return url.to_string();
    }
    format!("{}{MASK}{}", &url[..authority_start], &url[last_at..])
}
