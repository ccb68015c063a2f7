//! The survey of a response ([`SpecValidator::survey_response`]): every
//! difference from the spec, by kind, and the facts marked `x-provenance:
//! inferred` it confirmed, for a maintainer checking a real tenant. It is the
//! walk of [`SpecValidator::validate_response`], which stops at the first;
//! what typed calls notice as they decode is [`crate::drift`]'s.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use super::validate::{SpecValidator, deref, header};
use super::walk::{Direction, Finding, Mode, Walker, is_inferred, visit};

/// What kind of difference a response showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DriftKind {
    /// A status the operation does not document.
    UndocumentedStatus,
    /// A content type the response does not document.
    UndocumentedContentType,
    /// A body that is not the JSON its content type says.
    InvalidBody,
    /// A header the response documents, not sent.
    MissingHeader,
    /// A required property the body lacks.
    MissingRequired,
    /// A property the schema does not list (and does not leave open).
    UnknownField,
    /// A value of another JSON type than documented.
    TypeMismatch,
    /// A string that is not of its documented format or pattern.
    FormatMismatch,
    /// An enum value the spec does not list.
    UnlistedEnumValue,
    /// Another rule of the schema broken (a bound, a length, a count).
    BrokenConstraint,
}

impl DriftKind {
    /// The kind in words, as reports print it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UndocumentedStatus => "undocumented status",
            Self::UndocumentedContentType => "undocumented content type",
            Self::InvalidBody => "invalid body",
            Self::MissingHeader => "missing header",
            Self::MissingRequired => "missing required",
            Self::UnknownField => "unknown field",
            Self::TypeMismatch => "type mismatch",
            Self::FormatMismatch => "format mismatch",
            Self::UnlistedEnumValue => "unlisted enum value",
            Self::BrokenConstraint => "broken constraint",
        }
    }
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between a response and the spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Drift {
    /// The operation answered (its `operationId`).
    pub operation: String,
    pub kind: DriftKind,
    /// Where: `status`, `content-type`, `header <name>`, or a JSON path into
    /// the body with array indices left out (`$.conversations[].title`), so
    /// that one difference repeated over a page is one entry.
    pub location: String,
    /// What was found, e.g. `"archived" is not one of open, closed`. Values
    /// under secret-like names are never quoted.
    pub detail: String,
}

/// What one response showed: its differences from the spec, and the
/// inferred facts of the spec it matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Survey {
    pub drift: Vec<Drift>,
    /// JSON pointers into the spec (`#/components/schemas/Task/properties/status`)
    /// of the nodes marked `x-provenance: inferred` that the response
    /// exercised without a difference, and never with one.
    pub confirmed: BTreeSet<String>,
    /// Pointers of the inferred nodes the response contradicted: a
    /// difference at or under them.
    pub contradicted: BTreeSet<String>,
}

/// A fact the spec marks `x-provenance: inferred`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct InferredFact {
    /// Where it is in the spec, as a JSON pointer.
    pub pointer: String,
    /// The provenance's `source`.
    pub source: Option<String>,
    /// The provenance's `why`.
    pub why: Option<String>,
}

impl SpecValidator {
    /// Every difference between a response of `operation_id` and the spec:
    /// an undocumented status or content type, documented headers not sent,
    /// and in a JSON body every missing required field, unknown field, type,
    /// format or enum mismatch and broken constraint. `headers` are the
    /// response's, names in any case; `body` is `None` when it was not read
    /// (a download), which checks its content type only.
    #[must_use]
    pub fn survey_response(
        &self,
        operation_id: &str,
        status: u16,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Survey {
        self.survey(operation_id, status, headers, body, None)
    }

    /// [`Self::survey_response`] of a body the caller has parsed already
    /// (`parsed` is `body` as JSON): it is walked, not parsed again.
    #[must_use]
    pub fn survey_parsed(
        &self,
        operation_id: &str,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
        parsed: &Value,
    ) -> Survey {
        self.survey(operation_id, status, headers, Some(body), Some(parsed))
    }

    fn survey(
        &self,
        operation_id: &str,
        status: u16,
        headers: &[(String, String)],
        body: Option<&[u8]>,
        parsed: Option<&Value>,
    ) -> Survey {
        let content_type = header(headers, "content-type");
        let mut walker = Walker::new(self, Direction::Response, Mode::All);
        let _ = walker.response(operation_id, status, content_type, Some(headers), body, parsed);
        // The survey passes nothing the sandbox's check rejects: a rule it
        // does not look at (`not`, a `oneOf` two alternatives match) is
        // reported as the check words it.
        if walker.findings.is_empty() && walker.needs_check && body.is_some() {
            let mut check = Walker::new(self, Direction::Response, Mode::First);
            let _ = check.response(operation_id, status, content_type, None, body, parsed);
            let broken = check.findings.into_iter().map(|f| Finding { kind: DriftKind::BrokenConstraint, ..f });
            walker.findings.extend(broken);
        }
        let mut drift: Vec<Drift> = walker.findings.into_iter().map(|f| drift(operation_id, f)).collect();
        drift.sort();
        drift.dedup();
        let confirmed = walker.confirmed.difference(&walker.contradicted).cloned().collect();
        Survey { drift, confirmed, contradicted: walker.contradicted }
    }

    /// The inferred facts a call the server accepted (a 2xx answer)
    /// confirms by being accepted: the parameters it sent (path parameters,
    /// and the query parameters and headers named in `sent`) and the
    /// security schemes it was authorised with, by JSON pointer.
    #[must_use]
    pub fn confirmed_by_request(&self, operation_id: &str, sent: &[&str], schemes: &[&str]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let Some(op) = self.operation(operation_id) else { return out };
        let Some((item_pointer, _)) = op.def.pointer.rsplit_once('/') else { return out };
        for owner in [item_pointer, op.def.pointer.as_str()] {
            let params = self.spec.pointer(&owner[1..]).and_then(|o| o.get("parameters")).and_then(Value::as_array);
            for (i, raw) in params.into_iter().flatten().enumerate() {
                let written = raw.get("$ref").and_then(Value::as_str);
                let pointer = written.map_or_else(|| format!("{owner}/parameters/{i}"), str::to_owned);
                let Ok(param) = deref(&self.spec, raw) else { continue };
                let name = param.get("name").and_then(Value::as_str).unwrap_or_default();
                let was_sent = param.get("in").and_then(Value::as_str) == Some("path")
                    || sent.iter().any(|s| s.eq_ignore_ascii_case(name));
                if was_sent && param.get("x-provenance").is_some_and(is_inferred) {
                    out.insert(pointer);
                }
            }
        }
        for scheme in schemes {
            let pointer = format!("#/components/securitySchemes/{scheme}");
            if self.spec.pointer(&pointer[1..]).and_then(|s| s.get("x-provenance")).is_some_and(is_inferred) {
                out.insert(pointer);
            }
        }
        out
    }

    /// Every fact of the spec marked `x-provenance: inferred` (`status:
    /// inferred`), in document order of their pointers.
    #[must_use]
    pub fn inferred_facts(&self) -> Vec<InferredFact> {
        let mut out = Vec::new();
        let _ = visit(&self.spec, &mut String::new(), &mut |node, pointer| {
            if let Some(provenance) = node.get("x-provenance").filter(|p| is_inferred(p)) {
                let text = |key: &str| provenance.get(key).and_then(Value::as_str).map(str::to_owned);
                out.push(InferredFact { pointer: format!("#{pointer}"), source: text("source"), why: text("why") });
            }
            Ok(())
        });
        out
    }
}

/// A finding as a survey reports it: at a JSON path, and without what a
/// secret-like field holds.
fn drift(operation: &str, finding: Finding) -> Drift {
    let Finding { kind, location, message: detail } = finding;
    let location = json_path(&location);
    let secret = location.rsplit(['.', ' ']).next().is_some_and(crate::redact::is_secret_name);
    let detail = if secret && kind != DriftKind::MissingRequired && kind != DriftKind::MissingHeader {
        "the value of a secret-like field is not shown".to_owned()
    } else {
        detail
    };
    Drift { operation: operation.to_owned(), kind, location, detail }
}

/// A location (`response body.data[0].id`) as a survey's path
/// (`$.data[].id`).
fn json_path(location: &str) -> String {
    let Some(rest) = location.strip_prefix("response body") else { return location.to_owned() };
    let mut out = String::from("$");
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' {
            while chars.next_if(char::is_ascii_digit).is_some() {}
        }
    }
    out
}
