//! `convo <api> check`: does the tenant still answer as the spec says? A
//! read-only tour planned from the spec: every `GET` whose required parameters
//! have values, then where the answers' `links` lead (fanned out over
//! `--records` items; a link to itself is the next page, up to `--pages`).
//! Writes go only with `--write` and `--allow-writes`. The runtime's observer
//! surveys every answer with the sandbox's rules; the report lists the drift.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use clap::{ArgMatches, Args, Command, FromArgMatches, value_parser};
use convo_clients::spec::survey::{DriftKind, InferredFact};
use convo_clients::spec::validate::SpecValidator;
use convo_clients::{ExchangeObserver, Observed, OperationClient};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::operations::{Call, Job, Location, Operation, Param, Values, evaluate, scalar, status_matches};
use crate::output::OutputFormat;
use crate::{Context, Failure};

/// The subcommand's name under each API.
pub const COMMAND: &str = "check";

/// The most calls one check makes, whatever the links lead to.
const MAX_CALLS: usize = 200;

/// The `check` subcommand of `api`.
pub fn command(api: &str) -> Command {
    CheckArgs::augment_args(Command::new(COMMAND))
        .about(
            "Checks the API's answers against the spec: a read-only tour, with every difference by operation and path",
        )
        .long_about(format!(
            "Checks the API's answers against the spec: a read-only tour of its list and get operations \
             (following ids from lists into gets through the spec's links, a bounded number of pages and \
             records), each answer validated as the sandbox validates its own. Reports fields the spec does \
             not know, required fields missing, type, format and enum mismatches, undocumented statuses and \
             content types, documented headers not sent, and which facts the spec marks inferred the answers \
             confirmed.\n\nExit status: 0 when nothing drifted, 1 when something did (or the API failed), 2 on \
             a usage error.\n\nExample: convo {api} check --record evidence/"
        ))
}

// The flags of `check` (its about text is set after them).
#[derive(clap::Args)]
struct CheckArgs {
    /// Pages of each list to read
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = value_parser!(u32).range(1..=50))]
    pages: u32,
    /// Records of each list to follow into the operations its links lead to
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = value_parser!(u32).range(1..=50))]
    records: u32,
    /// A write operation to send too, with the spec's examples as its values (needs --allow-writes)
    #[arg(long, value_name = "OPERATION")]
    write: Vec<String>,
    /// Allows the write operations named with --write; without it the check sends no write
    #[arg(long)]
    allow_writes: bool,
    /// Saves each request and response, secrets masked, and the report, as private JSON files in DIR
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
}

/// A planned check of one API.
pub struct Tour {
    api: &'static str,
    operations: Vec<Operation>,
    /// Each operation's links ([`links`]).
    links: Vec<Vec<Link>>,
    validator: &'static SpecValidator,
    pages: usize,
    records: usize,
    /// The write operations to send (their spec ids).
    writes: BTreeSet<String>,
    observed: Arc<Mutex<Evidence>>,
}

/// What the observer kept of each answer: its survey; its record goes to disk
/// with `--record` as it comes, so a long tour holds no bodies.
#[derive(Default)]
struct Evidence {
    dir: Option<PathBuf>,
    seen: Vec<Observed>,
    /// The first record that could not be written.
    failed: Option<std::io::Error>,
}

impl Evidence {
    fn keep(&mut self, mut exchange: Observed) {
        if let (Some(dir), None) = (&self.dir, &self.failed) {
            let name = format!("{:03}-{}-{}.json", self.seen.len() + 1, exchange.operation, exchange.status);
            self.failed = write_json(dir, &name, &exchange.record).err();
        }
        exchange.record = Value::Null;
        self.seen.push(exchange);
    }
}

/// Writes `value` as indented JSON to `dir/name`, private (it holds answers).
fn write_json(dir: &std::path::Path, name: &str, value: &Value) -> std::io::Result<()> {
    let path = dir.join(name);
    crate::files::write_private(&path, |file| {
        serde_json::to_writer_pretty(&mut *file, value)?;
        writeln!(file)
    })
    .map_err(|e| std::io::Error::new(e.kind(), format!("--record {}: {e}", path.display())))
}

/// Runs `convo <api> check` with its flags in `matches`.
pub async fn run(api: &'static str, matches: &ArgMatches, mut context: Context) -> Result<(), Failure> {
    if let Some(format) = context.output.filter(|f| *f != OutputFormat::Json) {
        let name = clap::ValueEnum::to_possible_value(&format).map(|v| v.get_name().to_owned()).unwrap_or_default();
        return Err(usage!("check prints its report as text, or as JSON with -o json; not as {name}"));
    }
    let validator = crate::operations::validator(api).map_err(|e| usage!("the {api} spec: {e}"))?;
    let operations = crate::operations::operations(api);
    let links = operations.iter().map(|op| links(op, &operations)).collect();
    let flags = CheckArgs::from_arg_matches(matches).map_err(|e| usage!("{e}"))?;
    let mut writes = BTreeSet::new();
    for name in &flags.write {
        let op = operations.iter().find(|op| op.id == *name || op.name == *name);
        let op = op.ok_or_else(|| usage!("--write {name}: {api} has no such operation"))?;
        if is_read(op) {
            return Err(usage!("--write {name}: a {} is not a write; the check reads it anyway", op.method));
        }
        writes.insert(op.id.clone());
    }
    if !writes.is_empty() && !flags.allow_writes {
        let names: Vec<&str> = writes.iter().map(String::as_str).collect();
        return Err(usage!("--write {} changes data on the server; pass --allow-writes to send it", names.join(", ")));
    }
    if let Some(dir) = &flags.record {
        crate::files::create_private_dir(dir)
            .map_err(|e| usage!("--record {}: cannot create it: {e}", dir.display()))?;
    }
    let observed = Arc::new(Mutex::new(Evidence { dir: flags.record, ..Default::default() }));
    let sink = observed.clone();
    let observer = ExchangeObserver::new(move |exchange| {
        sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner).keep(exchange);
    });
    context.client_config = context.client_config.with_observer(observer);
    let (pages, records) = (flags.pages as usize, flags.records as usize);
    let tour = Tour { api, operations, links, validator, pages, records, writes, observed };
    crate::send_operation(api, Call { job: Job::Check(&tour), matches, context: &context }).await
}

fn is_read(op: &Operation) -> bool {
    matches!(op.method.as_str(), "GET" | "HEAD")
}

/// One call the tour will make.
struct Visit {
    op: usize,
    values: Values,
    /// The operation whose answer led here, if a link did.
    from: Option<usize>,
}

/// A response's link (OpenAPI `links`) by its status key (`200`, `2XX`, `default`): the
/// operation its answer leads to, with runtime expressions (`$response.body#/data/0/id`) or constants.
struct Link {
    status: String,
    operation_id: String,
    parameters: Vec<(String, Value)>,
}

/// The links of `list`'s responses; and a paged list leads to the `GET` of `<its path>/{param}` by its
/// items' `id` where no link does, so a spec without `links` is still toured past its lists.
fn links(list: &Operation, operations: &[Operation]) -> Vec<Link> {
    let spec = list.responses.iter().flat_map(|response| {
        response.links.iter().map(|link| Link {
            status: response.status.clone(),
            operation_id: link.operation_id.clone(),
            parameters: link.parameters.clone(),
        })
    });
    let mut links: Vec<Link> = spec.collect();
    let Some(paging) = &list.paging else { return links };
    let implied = operations.iter().filter_map(|item| {
        let rest = item.path.strip_prefix(&list.path)?.strip_prefix("/{")?.strip_suffix('}')?;
        let leads = is_read(item) && !rest.contains('/') && !links.iter().any(|l| l.operation_id == item.id);
        let parameters = vec![(rest.to_owned(), Value::String(format!("$response.body#{}/0/id", paging.items)))];
        leads.then(|| Link { status: "2XX".into(), operation_id: item.id.clone(), parameters })
    });
    let implied: Vec<Link> = implied.collect();
    links.extend(implied);
    links
}

impl Tour {
    /// Tours the API with `client` (`setting`: an API setting's value by clap id) and prints the report.
    pub async fn run<C: OperationClient>(
        &self,
        client: &C,
        setting: &dyn Fn(&str) -> Option<String>,
        context: &Context,
    ) -> Result<(), Failure> {
        let mut unreached: BTreeMap<usize, String> = BTreeMap::new();
        let mut queue = VecDeque::new();
        for (index, op) in self.operations.iter().enumerate() {
            if !is_read(op) && !self.writes.contains(&op.id) {
                unreached.insert(index, format!("a write; --write {} --allow-writes sends it", op.id));
                continue;
            }
            match Self::fill(op, BTreeMap::new(), setting) {
                Ok(values) => queue.push_back(Visit { op: index, values, from: None }),
                Err(missing) => {
                    unreached
                        .insert(index, format!("no value for {missing}, and no link of an answer seen leads here"));
                }
            }
        }
        let mut seen = BTreeSet::new();
        let mut follows: BTreeMap<usize, usize> = BTreeMap::new();
        let mut calls = 0;
        // What ends the tour early (no credential, no connection), after the
        // report: a token call that no longer decodes is drift too.
        let mut fatal = None;
        while let Some(visit) = queue.pop_front().filter(|_| calls < MAX_CALLS) {
            if !seen.insert((visit.op, visit.values.clone())) {
                continue;
            }
            let op = &self.operations[visit.op];
            // A link back to the same operation is its next page; a write is sent once.
            let limit = match visit.from {
                Some(from) if from == visit.op => self.pages - 1,
                _ if !is_read(op) => 1,
                _ => self.records,
            };
            if visit.from.is_some() || !is_read(op) {
                let followed = follows.entry(visit.op).or_default();
                if *followed >= limit {
                    continue;
                }
                *followed += 1;
            }
            let examples = op.request_body.iter().flat_map(|b| &b.content).find_map(|m| m.example.clone());
            let body = if is_read(op) { None } else { examples };
            let request = crate::operations::request(op, &visit.values, body, client.base_url(), client.http_client())?;
            calls += 1;
            let answer = match client.execute_operation(&op.id, request).await {
                Ok(response) => response,
                Err(convo_clients::Error::InvalidInput(e)) => {
                    unreached
                        .insert(visit.op, format!("the values the check had do not pass the spec's own rules: {e}"));
                    continue;
                }
                // The observer has the answer; other calls may still go. No credential, no tour.
                Err(e) if e.status().is_some() && !matches!(e, convo_clients::Error::Auth { .. }) => continue,
                Err(e) => {
                    fatal = Some(e);
                    break;
                }
            };
            unreached.remove(&visit.op);
            let status = answer.status().as_u16();
            let headers = answer.headers().clone();
            // Links read JSON bodies; a download is left unread.
            let json = crate::operations::says_json(&headers);
            let body: Value = if json { answer.json().await.unwrap_or(Value::Null) } else { Value::Null };
            for link in self.links[visit.op].iter().filter(|l| status_matches(&l.status, status)) {
                let sent = |o: &Operation| o.id == link.operation_id && (is_read(o) || self.writes.contains(&o.id));
                let Some(target) = self.operations.iter().position(sent) else { continue };
                let target_op = &self.operations[target];
                for linked in self.resolve(link, &visit.values, (&body, Some(&headers))) {
                    match Self::fill(target_op, linked, setting) {
                        Ok(values) => queue.push_back(Visit { op: target, values, from: Some(visit.op) }),
                        Err(missing) => {
                            unreached.entry(target).or_insert_with(|| format!("no value for {missing}"));
                        }
                    }
                }
            }
        }
        let evidence = std::mem::take(&mut *self.observed.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        if let Some(error) = evidence.failed {
            return Err(error.into());
        }
        let report = self.report(&evidence.seen, &unreached);
        // `--record DIR` gets the report too.
        if let Some(dir) = &evidence.dir {
            write_json(dir, "report.json", &report)?;
        }
        let mut out = std::io::stdout().lock();
        match context.output {
            Some(OutputFormat::Json) => crate::output::write_one(OutputFormat::Json, &[], &report, &mut out)?,
            _ => write_text(&report, &mut out)?,
        }
        out.flush()?;
        if let Some(error) = fatal {
            return Err(error.into());
        }
        match report["drift"].as_array().map_or(0, Vec::len) {
            0 => Ok(()),
            1 => Err(Failure::Outcome(format!("the {} answers differ from the spec in 1 place", self.api))),
            n => Err(Failure::Outcome(format!("the {} answers differ from the spec in {n} places", self.api))),
        }
    }

    /// `values` with every required parameter of `op` filled in; else the one with no value.
    fn fill(op: &Operation, mut values: Values, setting: &dyn Fn(&str) -> Option<String>) -> Result<Values, String> {
        for p in &op.params {
            let given = values.get(&p.name).is_some_and(|v| !v.is_empty());
            let needed = p.required || p.required_unless.as_ref().is_some_and(|other| !values.contains_key(other));
            if needed && !given {
                // The API's settings' value, or the spec's sample (of a path parameter only an
                // enum's: an example id would name nothing real).
                let sample = p.sample.clone().filter(|_| p.location != Location::Path || !p.values.is_empty());
                let value = Some(p.arg_id.as_str()).filter(|_| !p.own).and_then(setting).or(sample);
                values.insert(p.name.clone(), vec![value.ok_or_else(|| describe(p))?]);
            }
        }
        Ok(values)
    }

    /// The parameter sets a link leads to from one answer: each expression's
    /// values zipped (through an array, the first `records` items).
    fn resolve(&self, link: &Link, request: &Values, response: (&Value, Option<&HeaderMap>)) -> Vec<Values> {
        let mut columns = Vec::new();
        for (name, expression) in &link.parameters {
            let values = evaluate(expression, (request, None), response, Some(self.records));
            let values: Vec<String> = values.iter().filter_map(scalar).collect();
            if values.is_empty() {
                // A link whose value the answer lacks (the last page) leads nowhere.
                return Vec::new();
            }
            columns.push((name.clone(), values));
        }
        let rows = columns.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
        let row =
            |i: usize| columns.iter().map(|(name, v)| (name.clone(), vec![v[i.min(v.len() - 1)].clone()])).collect();
        (0..rows).map(row).collect()
    }

    /// The report as JSON: drift (each once, counted), calls, what was not reached, facts confirmed.
    fn report(&self, observed: &[Observed], unreached: &BTreeMap<usize, String>) -> Value {
        let mut drift: BTreeMap<(String, DriftKind, String), (String, usize)> = BTreeMap::new();
        let mut calls: BTreeMap<(String, u16), usize> = BTreeMap::new();
        let (mut confirmed, mut contradicted) = (BTreeSet::new(), BTreeSet::new());
        for exchange in observed {
            *calls.entry((exchange.operation.clone(), exchange.status)).or_default() += 1;
            for d in &exchange.survey.drift {
                let entry =
                    drift.entry((d.operation.clone(), d.kind, d.location.clone())).or_insert((d.detail.clone(), 0));
                entry.1 += 1;
            }
            confirmed.extend(exchange.survey.confirmed.iter().cloned());
            contradicted.extend(exchange.survey.contradicted.iter().cloned());
        }
        // Confirmed only if no answer contradicted it.
        let confirmed: BTreeSet<String> = confirmed.difference(&contradicted).cloned().collect();
        let inferred = self.validator.inferred_facts();
        let confirmed: Vec<&InferredFact> = inferred.iter().filter(|f| confirmed.contains(&f.pointer)).collect();
        let answered: BTreeSet<&str> = calls.keys().map(|(op, _)| op.as_str()).collect();
        json!({
            "api": self.api,
            "clean": drift.is_empty(),
            "drift": drift.iter().map(|((operation, kind, location), (detail, count))| json!({
                "operation": operation, "kind": kind, "location": location, "detail": detail, "count": count,
            })).collect::<Vec<_>>(),
            "calls": calls.iter().map(|((operation, status), count)| json!({
                "operation": operation, "status": status, "count": count,
            })).collect::<Vec<_>>(),
            "not_checked": unreached.iter()
                .filter(|(i, _)| !answered.contains(self.operations[**i].id.as_str()))
                .map(|(i, reason)| json!({"operation": self.operations[*i].id, "reason": reason}))
                .collect::<Vec<_>>(),
            "inferred_facts": inferred.len(),
            "confirmed": confirmed,
        })
    }
}

/// How the spec's checks name a parameter: `query parameter limit`, `header X-Id`.
pub(crate) fn describe(p: &Param) -> String {
    match p.location {
        Location::Header => format!("header {}", p.name),
        other => format!("{} parameter {}", other.as_str(), p.name),
    }
}

/// The report for a reader: drift first, then calls, what was not checked, facts confirmed.
fn write_text(report: &Value, out: &mut impl Write) -> std::io::Result<()> {
    let list = |key: &str| report[key].as_array().cloned().unwrap_or_default();
    let text =
        |v: &Value, key: &str| convo_clients::redact::escape_controls(&crate::output::text(&v[key])).into_owned();
    let (drift, calls, skipped, confirmed) = (list("drift"), list("calls"), list("not_checked"), list("confirmed"));
    let answered: BTreeSet<String> = calls.iter().map(|c| text(c, "operation")).collect();
    let (api, total) = (text(report, "api"), calls.iter().filter_map(|c| c["count"].as_u64()).sum::<u64>());
    let verdict = match drift.len() {
        0 => "the answers match the spec".to_owned(),
        1 => "1 difference from the spec".to_owned(),
        n => format!("{n} differences from the spec"),
    };
    writeln!(out, "{api}: {total} calls to {} operations; {verdict}", answered.len())?;
    let width = |rows: &[Value], key: &str| rows.iter().map(|r| text(r, key).chars().count()).max().unwrap_or(0);
    if !drift.is_empty() {
        writeln!(out, "\nDrift")?;
        let (w_op, w_at) = (width(&drift, "operation"), width(&drift, "location"));
        for d in &drift {
            let kind = d["kind"].as_str().unwrap_or_default().replace('-', " ");
            let (op, at, detail, count) = (text(d, "operation"), text(d, "location"), text(d, "detail"), &d["count"]);
            writeln!(out, "  {op:w_op$}  {at:w_at$}  {kind}: {detail} (seen {count}×)")?;
        }
    }
    writeln!(out, "\nCalls")?;
    let w_op = width(&calls, "operation");
    for c in &calls {
        writeln!(out, "  {:w_op$}  HTTP {} ×{}", text(c, "operation"), c["status"], c["count"])?;
    }
    if !skipped.is_empty() {
        writeln!(out, "\nNot checked")?;
        let w_op = width(&skipped, "operation");
        for s in &skipped {
            writeln!(out, "  {:w_op$}  {}", text(s, "operation"), text(s, "reason"))?;
        }
    }
    writeln!(out, "\nInferred facts the answers confirmed: {} of {}", confirmed.len(), report["inferred_facts"])?;
    for fact in &confirmed {
        let source = [text(fact, "source"), text(fact, "why")].into_iter().filter(|t| t != "null").collect::<Vec<_>>();
        writeln!(out, "  {}  ({})", text(fact, "pointer"), source.join("; "))?;
    }
    Ok(())
}
