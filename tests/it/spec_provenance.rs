//! `spec::provenance`: every fact's citation checked against the page it
//! cites, on the five source documents and on pages of our own.

use std::path::PathBuf;

use convo_clients::spec::provenance::{FactKind, check, facts, touched};
use serde_json::{Value, json};

fn spec(api: &str) -> Value {
    let path = format!("{}/specs/{api}.yaml", env!("CARGO_MANIFEST_DIR"));
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `../shared/seeds/`, the vendors' pages the specs cite, when this checkout has it.
fn seeds() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/seeds");
    dir.is_dir().then_some(dir)
}

/// Lines of a page that name API-looking things no fact cites, each with why.
type Uncited = &'static [(usize, &'static str)];

/// Each spec, its page, and its uncited lines.
const PAGES: [(&str, &str, Uncited); 5] = [
    ("luware", "000", &[]),
    ("raia", "001", &[]),
    ("salesloft", "002", &[]),
    ("liveperson", "003", &[(3, "`redirect_from`: the page's front matter, not the API")]),
    ("llamadapro", "004", &[]),
];

#[test]
fn every_citation_of_the_five_pages_still_names_its_fact() {
    let Some(dir) = seeds() else {
        eprintln!("note: ../shared/seeds is not here; the pages' citations are not checked");
        return;
    };
    for (api, seed, uncovered) in PAGES {
        let page =
            std::fs::read_dir(&dir).unwrap().flatten().find(|e| e.file_name().to_string_lossy().starts_with(seed));
        let text = std::fs::read_to_string(page.unwrap().path()).unwrap();
        let report = check(&spec(api), seed, &text);
        assert!(report.checked > 100, "{api}: {} facts cite seed {seed}", report.checked);
        assert_eq!(report.stale, Vec::new(), "{api}");
        let lines: Vec<usize> = report.uncovered.iter().map(|u| u.line).collect();
        let expected: Vec<usize> = uncovered.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, expected, "{api}: {:?}", report.uncovered);
    }
}

/// A page of our own and a spec citing it.
const PAGE: &str = "Conversations API\n\
                    GET /v1/things lists things\n\
                    | pageSize | How many per page |\n\
                    | status | open or closed |\n\
                    Response 200: a page\n\
                    The thing has an ownerId and a title.\n";

fn small_spec() -> Value {
    json!({
        "openapi": "3.0.3",
        "paths": {"/v1/things": {"get": {
            "x-provenance": {"status": "confirmed", "source": "seed 009 L2, L5"},
            "parameters": [
                {"name": "pageSize", "in": "query", "x-provenance": {"source": "seed 009 L3"}, "schema": {"type": "integer"}},
                {"name": "status", "in": "query", "x-provenance": {"source": "seed 009 L4"},
                 "schema": {"type": "string", "enum": ["open", "closed"]}},
                {"name": "cursor", "in": "query", "x-provenance": {"status": "inferred", "source": "seed 009 L3"}},
                {"name": "since", "in": "query", "x-provenance": {"source": "seed 009 L3; facts §1"}}
            ],
            "responses": {"200": {"description": "a page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
        }}},
        "components": {"schemas": {"Thing": {
            "x-provenance": {"status": "confirmed", "source": "seed 009 L6"},
            "properties": {"ownerId": {"type": "string"}, "title": {"type": "string"}, "colour": {"type": "string"}}
        }}}
    })
}

#[test]
fn a_citation_that_does_not_name_its_fact_is_stale() {
    let spec = small_spec();
    let report = check(&spec, "009", PAGE);
    // Inherited by a property from its schema, and checked all the same.
    let stale: Vec<(FactKind, &str)> = report.stale.iter().map(|f| (f.kind, f.name.as_str())).collect();
    assert_eq!(stale, [(FactKind::Property, "colour")]);
    assert!(report.stale[0].inherited);
    // Checked: the path by its segments, `pageSize`, `status` and its values, the
    // status code; not `cursor` (inferred) nor `since` (named by the notes).
    let all = facts(&spec, "009");
    assert!(all.iter().any(|f| f.kind == FactKind::EnumValue && f.name == "closed"));
    assert!(all.iter().any(|f| f.kind == FactKind::Status && f.name == "200"));
    assert_eq!(report.uncovered, Vec::new());
    // Another page's citations are not this page's facts.
    assert_eq!(check(&spec, "010", PAGE).checked, 0);
}

#[test]
fn a_line_naming_what_no_fact_cites_is_uncovered() {
    let page = format!("{PAGE}| sortBy | the order |\nPOST /v1/things/{{id}}/archive\n");
    let report = check(&small_spec(), "009", &page);
    let uncovered: Vec<(usize, Vec<String>)> = report.uncovered.iter().map(|u| (u.line, u.names.clone())).collect();
    assert_eq!(uncovered, [(7, vec!["sortBy".to_owned()]), (8, vec!["/v1/things/{id}/archive".to_owned()])]);
}

#[test]
fn a_new_page_moves_and_changes_the_facts_it_touches() {
    // Two lines added above, and the status line rewritten.
    let new = format!("Preface\nMore preface\n{}", PAGE.replace("Response 200: a page", "Response 201: a page"));
    let moved = touched(&small_spec(), "009", PAGE, &new);
    let by_name = |name: &str| moved.iter().find(|t| t.fact.name == name).unwrap();
    let page_size = by_name("pageSize");
    assert_eq!((page_size.new_lines.clone(), page_size.changed), (vec![Some((5, 5))], false));
    // The operation cites L2 and L5: L5 is gone.
    let operation = by_name("/v1/things");
    assert_eq!((operation.new_lines.clone(), operation.changed), (vec![Some((4, 4)), None], true));
    assert!(touched(&small_spec(), "009", PAGE, PAGE).is_empty());
}

/// A citation of line 0, or of more lines than the page has, is read as far
/// as the page goes: no panic, no endless walk.
#[test]
fn citations_past_the_page_are_bounded() {
    let mut spec = small_spec();
    spec["components"]["schemas"]["Thing"]["x-provenance"]["source"] = json!("seed 009 L0-L18446744073709551615");
    let report = check(&spec, "009", PAGE);
    let stale: Vec<&str> = report.stale.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(stale, ["colour"], "the whole page is read, and does not name it");
    assert!(!touched(&spec, "009", PAGE, "").is_empty());
}

/// `convo spec provenance`: exit 0 when nothing is stale, 1 when a citation
/// is (or, with --strict, a line is uncovered), 2 on a usage error.
#[cfg(feature = "cli")]
#[test]
fn the_command_exits_by_what_it_finds() {
    let dir = std::env::temp_dir().join(format!("convo-provenance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let spec = write("spec.yaml", &serde_yaml::to_string(&small_spec()).unwrap());
    let mut fixed = small_spec();
    fixed["components"]["schemas"]["Thing"]["properties"].as_object_mut().unwrap().remove("colour");
    let fixed = write("fixed.yaml", &serde_yaml::to_string(&fixed).unwrap());
    let page = write("009_page.txt", PAGE);
    let more = write("009_more.txt", &format!("{PAGE}| sortBy | the order |\n"));
    let convo = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_convo")).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = convo(&["spec", "provenance", "--doc", &page, "--spec", &spec]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("stale      property colour (#/components/schemas/Thing/properties/colour)"), "{out}");
    assert_eq!(convo(&["spec", "provenance", "--doc", &page, "--spec", &fixed]).0, Some(0));
    let (code, out) = convo(&["spec", "provenance", "--doc", &more, "--spec", &fixed]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("uncovered  L7: sortBy"), "{out}");
    assert_eq!(convo(&["spec", "provenance", "--doc", &more, "--spec", &fixed, "--strict"]).0, Some(1));
    let (code, out) = convo(&["spec", "provenance", "--doc", &more, "--old-doc", &page, "--spec", &fixed]);
    assert_eq!(code, Some(0), "{out}");
    let renamed = write("page.txt", PAGE);
    assert_eq!(convo(&["spec", "provenance", "--doc", &renamed, "--spec", &fixed]).0, Some(2), "no id in its name");
    assert_eq!(convo(&["spec", "provenance", "--doc", &renamed, "--spec", &fixed, "--seed", "009"]).0, Some(0));
    assert_eq!(convo(&["spec", "provenance", "--doc", &page]).0, Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}
