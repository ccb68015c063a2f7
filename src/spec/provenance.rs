//! Provenance checked against the documents (`convo spec provenance`): each
//! fact of a spec cites the lines of a vendor's page it comes from
//! (`x-provenance: {source: "seed 000 L95-L197"}`), and those lines must
//! still name it. A fact (an operation's path, a parameter, a property, an
//! enum value, an `x-filter-table` row, a status, a header) has its own
//! citation or its nearest ancestor's, checked alike. Facts marked
//! `inferred`, and citations of other documents, are not checked. Names
//! match ignoring case and all but letters and digits (`pageSize` is named
//! by "Page size"); a path, when each of its literal segments is.

use std::collections::BTreeSet;

use serde_json::Value;

use super::model::{enum_values, escape, unescape};
use super::walk::{is_inferred, visit};

/// What kind of fact a spec states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactKind {
    Operation,
    Parameter,
    Property,
    EnumValue,
    FilterRow,
    Status,
    Header,
}

/// One fact and the lines of the document it cites.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Fact {
    pub kind: FactKind,
    /// Its name: a path, a parameter or property name, a value, a status.
    pub name: String,
    /// Where it is in the spec, as a JSON pointer.
    pub pointer: String,
    /// The cited line ranges of the document (1-based, inclusive).
    pub lines: Vec<(usize, usize)>,
    /// Whether the citation is an ancestor's.
    pub inherited: bool,
    /// Whether it cites another source too, which may be where its name is.
    pub elsewhere: bool,
    /// Whether it is marked `inferred`: its name need not be in the page.
    pub inferred: bool,
}

/// A line of the document naming API-looking things no fact cites.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Uncovered {
    pub line: usize,
    /// The paths and `camelCase`/`snake_case` names on it.
    pub names: Vec<String>,
    /// Whether each name is a fact of the spec, cited on other lines (a
    /// field of a sample repeated from one that is cited): then the line
    /// adds nothing the spec lacks.
    pub known: bool,
}

/// What the check of one spec against one document found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Report {
    /// The facts that cite this document (inferred ones are not checked).
    pub checked: usize,
    /// Facts whose cited lines no longer name them.
    pub stale: Vec<Fact>,
    pub uncovered: Vec<Uncovered>,
}

/// A fact whose cited lines a new version of the page changed or moved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Touched {
    pub fact: Fact,
    /// The cited ranges in the new version; `None` where the lines are gone.
    pub new_lines: Vec<Option<(usize, usize)>>,
    /// Whether any cited line's text changed (not only its number).
    pub changed: bool,
}

/// Every fact of `spec` (an OpenAPI document as JSON) that cites document
/// `seed` (its three digits, `000`), inferred ones too, in document order.
#[must_use]
pub fn facts(spec: &Value, seed: &str) -> Vec<Fact> {
    let mut out = Vec::new();
    let _ = visit(spec, &mut String::new(), &mut |node, pointer| {
        let Some((place, stated, inherited)) = locate(spec, pointer) else { return Ok(()) };
        let provenance = node.get("x-provenance");
        let fact = |kind, name: &str, at: &str, own: Option<&Value>| {
            let source = own.or(provenance).or(inherited)?;
            let (lines, elsewhere) = citations(source, seed).filter(|(l, _)| !l.is_empty())?;
            let inferred = is_inferred(source);
            let (name, pointer, inherited) = (name.to_owned(), at.to_owned(), own.is_none());
            Some(Fact { kind, name, pointer, lines, inherited, elsewhere, inferred })
        };
        if let Some((kind, name)) = stated {
            // A `$ref` entry (a shared response, parameter) is sourced where it points.
            let target = node.get("$ref").and_then(Value::as_str).and_then(|r| spec.pointer(r.strip_prefix('#')?));
            out.extend(fact(kind, &name, pointer, provenance.or_else(|| target?.get("x-provenance"))));
        }
        if place == Place::Schema {
            for name in enum_values(node) {
                out.extend(fact(FactKind::EnumValue, &name, &format!("{pointer}/enum"), None));
            }
            for (row, value) in node.get("x-filter-table").and_then(Value::as_object).into_iter().flatten() {
                let at = format!("{pointer}/x-filter-table/{}", escape(row));
                out.extend(fact(FactKind::FilterRow, row, &at, value.get("x-provenance")));
            }
        }
        Ok(())
    });
    out
}

/// Checks every fact citing document `seed` against its text.
#[must_use]
pub fn check(spec: &Value, seed: &str, text: &str) -> Report {
    let lines: Vec<&str> = text.lines().collect();
    let facts = facts(spec, seed);
    let cited: BTreeSet<usize> =
        facts.iter().flat_map(|f| f.lines.iter().flat_map(|&(a, b)| a..=b.min(lines.len()))).collect();
    // A name the cited lines lack is stale unless another cited source may hold it.
    let stale = facts.iter().filter(|f| !f.inferred && !f.elsewhere && !names(f, &lines)).cloned().collect();
    let uncited = lines.iter().enumerate().filter(|(i, _)| !cited.contains(&(i + 1)));
    let uncovered = uncited
        .filter_map(|(i, line)| {
            let names = api_names(line);
            let known = names.iter().all(|name| {
                let name = loose(name);
                facts.iter().any(|f| {
                    loose(&f.name) == name || (f.kind == FactKind::Operation && loose(&f.name).ends_with(&name))
                })
            });
            (!names.is_empty()).then_some(Uncovered { line: i + 1, names, known })
        })
        .collect();
    Report { checked: facts.len(), stale, uncovered }
}

/// The facts whose cited lines changed or moved from `old` to `new` (two
/// versions of document `seed`), with their new line numbers.
#[must_use]
pub fn touched(spec: &Value, seed: &str, old: &str, new: &str) -> Vec<Touched> {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let map = line_map(&old, &new);
    let moved = |line: usize| line.checked_sub(1).and_then(|i| map.get(i)).copied().flatten();
    facts(spec, seed)
        .into_iter()
        .filter_map(|fact| {
            let new_lines: Vec<_> = fact.lines.iter().map(|&(a, b)| Some((moved(a)?, moved(b)?))).collect();
            let changed = fact.lines.iter().any(|&(a, b)| (a..=b.min(old.len())).any(|l| moved(l).is_none()));
            let same = !changed && fact.lines.iter().zip(&new_lines).all(|(old, new)| Some(*old) == *new);
            (!same).then_some(Touched { fact, new_lines, changed })
        })
        .collect()
}

/// For each line of `old` (by index), its line number in `new` when it is
/// kept unchanged: a longest common subsequence of the two.
fn line_map(old: &[&str], new: &[&str]) -> Vec<Option<usize>> {
    let (n, m) = (old.len(), new.len());
    // Lengths of the common subsequences of the suffixes, one row at a time from the end.
    let mut table = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if old[i] == new[j] { table[i + 1][j + 1] + 1 } else { table[i + 1][j].max(table[i][j + 1]) };
        }
    }
    let (mut map, mut i, mut j) = (vec![None; n], 0, 0);
    while i < n && j < m {
        if old[i] == new[j] {
            map[i] = Some(j + 1);
            (i, j) = (i + 1, j + 1);
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    map
}

/// Where in a spec a node is, for what its keys mean.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Paths,
    PathItem,
    Operation,
    Parameters,
    Responses,
    Headers,
    Properties,
    Schema,
    Other,
}

/// An `x-provenance`'s citations of document `seed`, and whether it cites
/// another source too (another document, `facts §1.2`).
fn citations(provenance: &Value, seed: &str) -> Option<(Vec<(usize, usize)>, bool)> {
    let source = provenance.get("source").and_then(Value::as_str)?;
    // A third party's facts are named as the third party names them.
    let (mut ranges, mut elsewhere) =
        (Vec::new(), provenance.get("status").and_then(Value::as_str) == Some("third-party"));
    // `seed 000 L95-L197, L210 (note); facts §3.3`: the ranges after `seed <id>`, up to a `;`.
    for part in source.split(';') {
        let Some(rest) = part.trim().strip_prefix("seed ").and_then(|rest| rest.strip_prefix(seed)) else {
            // Another document, the research notes or a page; not a remark ("schema name invented").
            let part = part.trim();
            elsewhere |= part.starts_with("seed ") || part.contains("facts") || part.contains("://");
            continue;
        };
        // Without the remarks in parentheses: `L8 (schema name), L27-L30 (fields)`.
        let mut bare = String::new();
        let mut depth = 0usize;
        for c in rest.chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                c if depth == 0 => bare.push(c),
                _ => {}
            }
        }
        for token in bare.split([',', ' ']) {
            let mut ends = token.split('-').filter_map(|end| end.strip_prefix('L')?.parse::<usize>().ok());
            if let Some(a) = ends.next() {
                ranges.push((a, ends.next().unwrap_or(a)));
            }
        }
        elsewhere |= bare.contains("facts");
    }
    Some((ranges, elsewhere))
}

/// Where the node at `pointer` is, the fact its key states there (with
/// its name), and the nearest provenance above it; `None` under an `x-` key.
#[allow(clippy::type_complexity)]
fn locate<'s>(spec: &'s Value, pointer: &str) -> Option<(Place, Option<(FactKind, String)>, Option<&'s Value>)> {
    let (mut place, mut kind, mut inherited, mut node) = (Place::Other, None, None, spec);
    let (mut length, mut keys) = (0, vec![String::new()]);
    for segment in pointer.split('/').skip(1) {
        inherited = node.get("x-provenance").or(inherited);
        let key = unescape(segment).into_owned();
        let here = &pointer[..length + 1 + segment.len()];
        let parent = node;
        node = parent.pointer(&format!("/{segment}"))?;
        let schemas = "/components/schemas";
        (place, kind) = match (parent, place, key.as_str()) {
            // An inline parameter; a `$ref` one is its component's.
            (Value::Array(_), Place::Parameters, _) => (Place::Other, Some(FactKind::Parameter)),
            (Value::Array(_), place, _) => (place, None),
            (_, _, key) if key.starts_with("x-") => return None,
            (_, Place::Other, "paths") if length == 0 => (Place::Paths, None),
            (_, Place::Paths, _) => (Place::PathItem, None),
            (_, Place::PathItem | Place::Operation, "parameters") => (Place::Parameters, None),
            (_, Place::PathItem, "servers" | "summary" | "description" | "$ref") => (Place::Other, None),
            (_, Place::PathItem, _) => (Place::Operation, Some(FactKind::Operation)),
            (_, Place::Operation, "responses") => (Place::Responses, None),
            (_, Place::Responses, _) => (Place::Other, Some(FactKind::Status)),
            (_, Place::Properties, _) => (Place::Schema, Some(FactKind::Property)),
            (_, _, "headers") => (Place::Headers, None),
            (_, Place::Headers, _) => (Place::Other, Some(FactKind::Header)),
            (_, _, "schema" | "items" | "additionalProperties") => (Place::Schema, None),
            (_, Place::Other, _) if length == schemas.len() && here.starts_with(schemas) => (Place::Schema, None),
            (_, Place::Schema, "properties") => (Place::Properties, None),
            (_, Place::Schema, "allOf" | "oneOf" | "anyOf") => (Place::Schema, None),
            _ => (Place::Other, None),
        };
        // A parameter of `components/parameters` is named by its `name`.
        let component = length == "/components/parameters".len() && here.starts_with("/components/parameters/");
        kind = kind.or(component.then_some(FactKind::Parameter));
        length = here.len();
        keys.push(key);
    }
    let name = match kind {
        // An operation is named by its path, the key before its method's.
        Some(FactKind::Operation) => keys.get(keys.len() - 2).cloned(),
        Some(FactKind::Parameter) => node.get("name").and_then(Value::as_str).map(str::to_owned),
        _ => keys.pop(),
    };
    Some((place, kind.zip(name), inherited))
}

/// Whether the fact's cited lines name it.
fn names(fact: &Fact, lines: &[&str]) -> bool {
    let cited = |&(a, b): &(usize, usize)| lines.get(a.saturating_sub(1)..b.min(lines.len())).unwrap_or_default();
    let text = fact.lines.iter().flat_map(cited).map(|line| loose(line)).collect::<Vec<_>>().join(" ");
    let parts: Vec<String> = match fact.kind {
        // Each literal segment of a path; its parameters are facts of their own.
        FactKind::Operation => fact.name.split('/').filter(|s| !s.is_empty() && !s.contains('{')).map(loose).collect(),
        _ => vec![loose(&fact.name)],
    };
    parts.iter().all(|part| part.is_empty() || text.contains(part.as_str()))
}

/// Letters and digits only, in lower case.
fn loose(text: &str) -> String {
    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The paths and `camelCase`/`snake_case` names of a line.
fn api_names(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in
        line.split(|c: char| c.is_whitespace() || matches!(c, '|' | '`' | '"' | '\'' | ',' | '(' | ')' | ':' | '='))
    {
        let word = word.trim_matches(|c: char| matches!(c, '.' | ';' | '?' | '!'));
        // A path, not the rest of a URL (`https://…` split at its colon) nor a page (`/x.html`).
        let path = word.starts_with('/')
            && !word.starts_with("//")
            && !word.ends_with(".html")
            && word[1..].contains(|c: char| c.is_ascii_alphabetic());
        let camel = word.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && word.chars().any(|c| c.is_ascii_uppercase())
            && word.chars().all(|c| c.is_ascii_alphanumeric());
        let snake = word.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && word.contains('_')
            && word.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if (path || camel || snake) && !out.iter().any(|seen| seen == word) {
            out.push(word.to_owned());
        }
    }
    out
}
