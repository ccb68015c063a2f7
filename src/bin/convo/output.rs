//! Printing records as json, jsonl, table or csv, one record at a time so
//! that long exports stream.

use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use convo_clients::redact::escape_controls;
use serde::Serialize;
use serde_json::{Value, json};

/// Output buffered: a page of records at a time, not a system call per line.
const OUTPUT_BUFFER: usize = 64 * 1024;

/// How records are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Pretty JSON: an array for lists, an object for one record.
    Json,
    /// One compact JSON object per line.
    Jsonl,
    /// Aligned columns that fit the terminal.
    Table,
    /// Comma-separated values with a header row.
    Csv,
}

/// A column of table and csv output: its header and the record's key.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub key: &'static str,
    /// Preferred width in a table.
    pub width: usize,
}

/// The columns one line names: `key:width` or `header=key:width`, space-separated.
pub fn columns(line: &'static str) -> &'static [Column] {
    let columns: Vec<Column> = line
        .split_whitespace()
        .map(|column| {
            let (named, width) = column.rsplit_once(':').unwrap_or((column, ""));
            let (header, key) = named.split_once('=').unwrap_or((named, named));
            Column { header, key, width: width.parse().unwrap_or(20) }
        })
        .collect();
    // Leaked: the process prints one command's output.
    Box::leak(columns.into_boxed_slice())
}

/// Writes a stream of records, buffered until a flush (an export's every page).
/// Table columns have fixed widths, fitted once, so each page's rows line up
/// with the ones before without holding the whole list.
pub struct RecordWriter<W: Write> {
    format: OutputFormat,
    columns: &'static [Column],
    widths: Vec<usize>,
    sink: Sink<W>,
    /// Table rows written since the last flush, rendered together.
    rows: Vec<Vec<String>>,
    count: u64,
}

/// Where the text goes: through the csv writer for csv, else straight.
enum Sink<W: Write> {
    Text(BufWriter<W>),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> RecordWriter<W> {
    pub fn new(format: OutputFormat, columns: &'static [Column], out: W) -> Self {
        let widths = fit_widths(columns, terminal_width());
        let sink = match format {
            OutputFormat::Csv => {
                Sink::Csv(Box::new(csv::WriterBuilder::new().buffer_capacity(OUTPUT_BUFFER).from_writer(out)))
            }
            _ => Sink::Text(BufWriter::with_capacity(OUTPUT_BUFFER, out)),
        };
        Self { format, columns, widths, sink, rows: Vec::new(), count: 0 }
    }

    /// Prints one record of a list.
    pub fn write<R: Serialize + ?Sized>(&mut self, record: &R) -> io::Result<()> {
        if self.count == 0 {
            self.start()?;
        }
        match (self.format, &mut self.sink) {
            (OutputFormat::Json, Sink::Text(out)) => {
                let separator = if self.count == 0 { "\n" } else { ",\n" };
                let mut pretty = Vec::new();
                convo_clients::redact::write_json(&mut pretty, record, true).map_err(io::Error::other)?;
                let indented: Vec<String> =
                    String::from_utf8_lossy(&pretty).lines().map(|l| format!("  {l}")).collect();
                write!(out, "{separator}{}", indented.join("\n"))?;
            }
            (OutputFormat::Jsonl, Sink::Text(out)) => {
                convo_clients::redact::write_json(&mut *out, record, false).map_err(io::Error::other)?;
                out.write_all(b"\n")?;
            }
            (OutputFormat::Csv, Sink::Csv(out)) => {
                let record = serde_json::to_value(record).map_err(io::Error::other)?;
                out.write_record(self.columns.iter().map(|c| csv_field(&record, c.key)))?;
            }
            (_, _) => {
                let record = serde_json::to_value(record).map_err(io::Error::other)?;
                self.rows.push(self.columns.iter().map(|c| table_cell(&cell(&record, c.key))).collect());
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Pushes what is written so far out to the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.render_rows(false)?;
        match &mut self.sink {
            Sink::Text(out) => out.flush(),
            Sink::Csv(out) => out.flush(),
        }
    }

    /// Ends the list (closes a JSON array; prints headers of an empty list).
    pub fn finish(mut self) -> io::Result<u64> {
        if self.count == 0 {
            self.start()?;
        }
        if let (OutputFormat::Json, Sink::Text(out)) = (self.format, &mut self.sink) {
            writeln!(out, "{}]", if self.count == 0 { "" } else { "\n" })?;
        }
        self.flush()?;
        Ok(self.count)
    }

    fn start(&mut self) -> io::Result<()> {
        match (self.format, &mut self.sink) {
            (OutputFormat::Json, Sink::Text(out)) => write!(out, "["),
            (OutputFormat::Csv, Sink::Csv(out)) => Ok(out.write_record(self.columns.iter().map(|c| c.header))?),
            (OutputFormat::Table, _) => self.render_rows(true),
            _ => Ok(()),
        }
    }

    /// Renders the table rows held since the last flush (and the header row when `header`).
    fn render_rows(&mut self, header: bool) -> io::Result<()> {
        if self.format != OutputFormat::Table || (self.rows.is_empty() && !header) {
            return Ok(());
        }
        let mut rows: Vec<Vec<String>> = self.rows.drain(..).collect();
        if header {
            rows.insert(0, self.columns.iter().map(|c| c.header.to_string()).collect());
        }
        let Sink::Text(out) = &mut self.sink else { return Ok(()) };
        write_table(out, rows, &self.widths)
    }
}

/// `--quiet`: no progress bars and no notes on stderr (errors still print).
static QUIET: AtomicBool = AtomicBool::new(false);

/// Sets `--quiet` for the whole process.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A note for the user on stderr (not data, not an error), unless `--quiet`.
pub fn note(text: std::fmt::Arguments<'_>) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("{text}");
    }
}

/// Progress of `what` on stderr: a bar when the `total` is known, else a spinner;
/// hidden unless stderr is a terminal and not `--quiet`.
pub fn progress(total: Option<u64>, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if QUIET.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = total.map_or_else(indicatif::ProgressBar::new_spinner, indicatif::ProgressBar::new);
    let template = match total {
        Some(_) => format!("{{bar:30}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)"),
        None => format!("{{spinner}} {{pos}} {what} ({{per_sec}}, {{elapsed}})"),
    };
    // The templates are constants of this file: a bad one is a test failure.
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// Whole numbers print without a fraction: specs type ids as
/// `double`, and a record's 320.0 is the user's 320.
pub fn integral(mut value: Value) -> Value {
    // In place: rebuilding every object of a page was a tenth of an export.
    fn fix(value: &mut Value) {
        match value {
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9e15 && n.is_f64() => *value = json!(f as i64),
                _ => {}
            },
            Value::Array(items) => items.iter_mut().for_each(fix),
            Value::Object(map) => map.values_mut().for_each(fix),
            _ => {}
        }
    }
    fix(&mut value);
    value
}

/// Prints `records` to stdout as a list.
pub fn write_all<R: Serialize>(
    format: OutputFormat,
    columns: &'static [Column],
    records: impl IntoIterator<Item = R>,
) -> io::Result<()> {
    let mut writer = RecordWriter::new(format, columns, io::stdout().lock());
    records.into_iter().try_for_each(|record| writer.write(&record))?;
    writer.finish().map(drop)
}

pub fn write_one(
    format: OutputFormat,
    columns: &'static [Column],
    record: &Value,
    mut out: impl Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Json | OutputFormat::Jsonl => {
            let pretty = format == OutputFormat::Json;
            convo_clients::redact::write_json(&mut out, record, pretty).map_err(io::Error::other)?;
            writeln!(out)
        }
        OutputFormat::Csv => {
            let mut writer = RecordWriter::new(format, columns, out);
            writer.write(record)?;
            writer.finish().map(drop)
        }
        // One record reads best as field/value pairs.
        OutputFormat::Table => {
            let Value::Object(map) = record else { return writeln!(out, "{}", table_cell(&record.to_string())) };
            let key_width = map.keys().map(|k| k.chars().count()).max().unwrap_or(0);
            let value_width = terminal_width().saturating_sub(key_width + 2).max(20);
            let rows =
                map.iter().filter(|(_, v)| !v.is_null()).map(|(key, v)| vec![table_cell(key), table_cell(&text(v))]);
            write_table(&mut out, rows, &[key_width, value_width])
        }
    }
}

/// Writes `rows` as a borderless table of fixed `widths`, two spaces apart; a
/// longer cell is cut with `…`, so that every row is one line.
fn write_table(out: &mut impl Write, rows: impl IntoIterator<Item = Vec<String>>, widths: &[usize]) -> io::Result<()> {
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_truncation_indicator("…");
    for cells in rows {
        let mut row = comfy_table::Row::from(cells);
        row.max_height(1);
        table.add_row(row);
    }
    let last = widths.len().saturating_sub(1);
    for (i, (column, &width)) in table.column_iter_mut().zip(widths).enumerate() {
        // A column's width includes the gap after it.
        let gap: u16 = if i == last { 0 } else { 2 };
        let width = u16::try_from(width.saturating_add(usize::from(gap))).unwrap_or(u16::MAX);
        column.set_padding((0, gap));
        column.set_constraint(comfy_table::ColumnConstraint::Absolute(comfy_table::Width::Fixed(width)));
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The field of `record` at `key`: a name, or a path (`owner.id`, `addresses.0.address`).
fn field<'a>(record: &'a Value, key: &str) -> Option<&'a Value> {
    record.get(key).or_else(|| {
        key.split('.').try_fold(record, |value, part| match part.parse::<usize>() {
            Ok(index) if value.is_array() => value.get(index),
            _ => value.get(part),
        })
    })
}

fn cell(record: &Value, key: &str) -> String {
    match field(record, key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::Array(items)) => items.iter().map(text).collect::<Vec<_>>().join(";"),
        Some(other) => text(other),
    }
}

/// A JSON value as text: a string as it is, anything else as JSON.
pub fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// A csv cell, before the `csv` crate quotes it: text a spreadsheet would take
/// as a formula gets a `'` before it (OWASP's rule, which no csv crate applies:
/// it is about the reader); control characters but line breaks are escaped.
fn csv_field(record: &Value, key: &str) -> String {
    let text = cell(record, key);
    let number = matches!(field(record, key), Some(Value::Number(_)));
    // An E.164 number (+14155552671) is data: no spreadsheet evaluates it.
    let phone = convo_clients::spec::validate::is_e164(&text);
    let guard = !number && !phone && text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if guard { format!("'{text}") } else { text };
    let line = |line: &str| match line.strip_suffix('\r') {
        Some(line) => format!("{}\r", escape_controls(line)),
        None => escape_controls(line).into_owned(),
    };
    text.split('\n').map(line).collect::<Vec<_>>().join("\n")
}

/// A table cell's text: line breaks and tabs as spaces, other control characters escaped.
fn table_cell(text: &str) -> String {
    escape_controls(&text.replace(['\n', '\r', '\t'], " ")).into_owned()
}

/// The terminal's width, else `COLUMNS`; unlimited into a file or pipe.
fn terminal_width() -> usize {
    let columns = || std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(usize::MAX);
    console::Term::stdout().size_checked().map_or_else(columns, |(_, width)| usize::from(width))
}

/// Shrinks the widest columns until the row fits (each keeps at least 4).
fn fit_widths(columns: &[Column], total: usize) -> Vec<usize> {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.width.max(c.header.len())).collect();
    let gaps = 2 * columns.len().saturating_sub(1);
    while widths.iter().sum::<usize>().saturating_add(gaps) > total {
        let Some((i, &widest)) = widths.iter().enumerate().max_by_key(|(_, w)| **w) else { break };
        if widest <= 4 {
            break;
        }
        widths[i] = widest - 1;
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLUMNS: &[Column] =
        &[Column { header: "id", key: "id", width: 4 }, Column { header: "name", key: "name", width: 10 }];

    fn render(format: OutputFormat, records: &[Value]) -> String {
        let mut buf = Vec::new();
        let mut w = RecordWriter::new(format, COLUMNS, &mut buf);
        for r in records {
            w.write(r).unwrap();
        }
        w.finish().unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn formats() {
        let records = [json!({"id": 1, "name": "a, \"b\""}), json!({"id": 2, "name": null})];
        assert_eq!(render(OutputFormat::Csv, &records), "id,name\n1,\"a, \"\"b\"\"\"\n2,\n");
        assert_eq!(
            render(OutputFormat::Jsonl, &records),
            "{\"id\":1,\"name\":\"a, \\\"b\\\"\"}\n{\"id\":2,\"name\":null}\n"
        );
        let json: Value = serde_json::from_str(&render(OutputFormat::Json, &records)).unwrap();
        assert_eq!(json.as_array().unwrap().len(), 2);
        assert_eq!(serde_json::from_str::<Value>(&render(OutputFormat::Json, &[])).unwrap(), json!([]));
        assert_eq!(render(OutputFormat::Table, &records).lines().next().unwrap(), "id    name");
    }

    #[test]
    fn server_text_cannot_act_on_the_terminal_or_a_spreadsheet() {
        let records = [
            json!({"id": -5, "name": "=HYPERLINK(\"http://x\")"}),
            json!({"id": "-5", "name": "+1"}),
            json!({"id": "@sum", "name": "\tx"}),
            json!({"id": 1, "name": "red\u{1b}[31m\u{7}"}),
        ];
        let csv = render(OutputFormat::Csv, &records);
        assert_eq!(
            csv,
            "id,name\n-5,\"'=HYPERLINK(\"\"http://x\"\")\"\n'-5,'+1\n'@sum,'\\tx\n1,red\\u{1b}[31m\\u{7}\n"
        );
        let table = render(OutputFormat::Table, &records);
        assert!(!table.contains('\u{1b}') && !table.contains('\u{7}') && table.contains("\\u{1b}"), "{table}");
        let mut one = Vec::new();
        write_one(OutputFormat::Table, COLUMNS, &json!({"k\u{1b}": "v\u{7}"}), &mut one).unwrap();
        let one = String::from_utf8(one).unwrap();
        assert!(!one.contains('\u{1b}') && !one.contains('\u{7}'), "{one}");
    }

    /// `--columns` takes field paths; an E.164 number is not mistaken for
    /// a formula.
    #[test]
    fn columns_are_field_paths_and_phone_numbers_stay_whole() {
        let columns: &[Column] = &[
            Column { header: "owner.id", key: "owner.id", width: 8 },
            Column { header: "phones.0", key: "phones.0", width: 16 },
        ];
        let mut buf = Vec::new();
        let mut w = RecordWriter::new(OutputFormat::Csv, columns, &mut buf);
        w.write(&json!({"owner": {"id": 7}, "phones": ["+14155552671"]})).unwrap();
        w.write(&json!({"owner": {"id": 8}, "phones": ["+1 (415) =1"]})).unwrap();
        w.finish().unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), "owner.id,phones.0\n7,+14155552671\n8,'+1 (415) =1\n");
    }

    #[test]
    fn widths_fit() {
        let cols: &[Column] =
            &[Column { header: "a", key: "a", width: 50 }, Column { header: "b", key: "b", width: 50 }];
        let w = fit_widths(cols, 62);
        assert_eq!(w.iter().sum::<usize>() + 2, 62);
    }

    /// RFC 4180: a field with a comma, a quote or a line break is quoted,
    /// its quotes doubled, its line break kept; a csv reader gets the value
    /// back whole.
    #[test]
    fn csv_quotes_as_rfc_4180_says() {
        let value = "Smith, \"Jo\"\nline two";
        let csv = render(OutputFormat::Csv, &[json!({"id": 7, "name": value})]);
        assert_eq!(csv, "id,name\n7,\"Smith, \"\"Jo\"\"\nline two\"\n");
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][1], value);
    }

    /// Rows of later pages line up under the header of the first, and a
    /// long cell is cut to its column with an ellipsis.
    #[test]
    fn tables_stream_page_by_page_in_fixed_columns() {
        let mut buf = Vec::new();
        let mut w = RecordWriter::new(OutputFormat::Table, COLUMNS, &mut buf);
        w.write(&json!({"id": 1, "name": "short"})).unwrap();
        w.flush().unwrap();
        w.write(&json!({"id": 22, "name": "a name far longer than ten"})).unwrap();
        w.finish().unwrap();
        let table = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert_eq!(lines[0], "id    name");
        assert_eq!(lines[1], "1     short");
        assert!(lines[2].starts_with("22    a name") && lines[2].ends_with('…'), "{table}");
        assert!(lines[2].chars().count() <= 16, "{table}");
    }
}
