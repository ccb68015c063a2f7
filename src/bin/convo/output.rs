//! Printing records as json, jsonl, table or csv, one record at a time so
//! that long exports stream.

use std::io::{self, BufWriter, Write};

use convo_clients::redact::escape_controls;
use serde::Serialize;
use serde_json::Value;

/// Output buffered before it is written out: a page of records at a time,
/// not a system call per line.
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

/// Writes a stream of records, buffered: what is written shows once the
/// caller flushes (an export does after every page) or finishes.
pub struct RecordWriter<W: Write> {
    format: OutputFormat,
    columns: &'static [Column],
    widths: Vec<usize>,
    out: BufWriter<W>,
    count: u64,
}

impl<W: Write> RecordWriter<W> {
    pub fn new(format: OutputFormat, columns: &'static [Column], out: W) -> Self {
        let widths = fit_widths(columns, terminal_width());
        Self { format, columns, widths, out: BufWriter::with_capacity(OUTPUT_BUFFER, out), count: 0 }
    }

    /// Prints one record of a list. JSON formats serialise it straight from
    /// its type; table and csv look its columns up by key.
    pub fn write<R: Serialize + ?Sized>(&mut self, record: &R) -> io::Result<()> {
        if self.count == 0 {
            self.start()?;
        }
        match self.format {
            OutputFormat::Json => {
                let separator = if self.count == 0 { "\n" } else { ",\n" };
                let pretty = serde_json::to_string_pretty(record).map_err(io::Error::other)?;
                write!(self.out, "{separator}{}", indent(&pretty))?;
            }
            OutputFormat::Jsonl => {
                serde_json::to_writer(&mut self.out, record).map_err(io::Error::other)?;
                self.out.write_all(b"\n")?;
            }
            OutputFormat::Table | OutputFormat::Csv => {
                let record = serde_json::to_value(record).map_err(io::Error::other)?;
                if self.format == OutputFormat::Table {
                    let cells: Vec<String> = self.columns.iter().map(|c| cell(&record, c.key)).collect();
                    self.table_row(&cells)?;
                } else {
                    let cells: Vec<String> = self.columns.iter().map(|c| csv_field(&record, c.key)).collect();
                    writeln!(self.out, "{}", cells.join(","))?;
                }
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Pushes what is written so far out to the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Ends the list (closes a JSON array; prints headers of an empty list).
    pub fn finish(mut self) -> io::Result<u64> {
        if self.count == 0 {
            self.start()?;
        }
        if self.format == OutputFormat::Json {
            writeln!(self.out, "{}]", if self.count == 0 { "" } else { "\n" })?;
        }
        self.out.flush()?;
        Ok(self.count)
    }

    fn start(&mut self) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => write!(self.out, "["),
            OutputFormat::Jsonl => Ok(()),
            OutputFormat::Table => {
                let headers: Vec<String> = self.columns.iter().map(|c| c.header.to_string()).collect();
                self.table_row(&headers)
            }
            OutputFormat::Csv => {
                let headers: Vec<&str> = self.columns.iter().map(|c| c.header).collect();
                writeln!(self.out, "{}", headers.join(","))
            }
        }
    }

    fn table_row(&mut self, cells: &[String]) -> io::Result<()> {
        let line: Vec<String> =
            cells.iter().zip(&self.widths).map(|(text, &width)| pad(&truncate(text, width), width)).collect();
        writeln!(self.out, "{}", line.join("  ").trim_end())
    }
}

/// A spinner counting records on stderr, only when stderr is a terminal, so
/// that piped and redirected runs stay quiet.
pub fn progress(what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        let template = format!("{{spinner}} {{pos}} {what} ({{per_sec}}, {{elapsed}})");
        bar.set_style(
            indicatif::ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    })
}

/// A bar counting `total` items on stderr with their rate and the time left,
/// only when stderr is a terminal.
pub fn progress_bar(total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total);
        let template = format!("{{bar:30}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)");
        bar.set_style(
            indicatif::ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

/// Prints a single record.
pub fn write_one(format: OutputFormat, columns: &'static [Column], record: &Value, out: impl Write) -> io::Result<()> {
    let mut out = out;
    match format {
        OutputFormat::Json => {
            let pretty = serde_json::to_string_pretty(record).map_err(io::Error::other)?;
            writeln!(out, "{pretty}")
        }
        OutputFormat::Jsonl => {
            serde_json::to_writer(&mut out, record).map_err(io::Error::other)?;
            writeln!(out)
        }
        OutputFormat::Csv => {
            let mut writer = RecordWriter::new(format, columns, out);
            writer.write(record)?;
            writer.finish().map(drop)
        }
        // One record reads best as field/value pairs.
        OutputFormat::Table => {
            let Value::Object(map) = record else { return writeln!(out, "{record}") };
            let key_width = map.keys().map(|k| k.chars().count()).max().unwrap_or(0);
            let value_width = terminal_width().saturating_sub(key_width + 2).max(20);

            for (key, value) in map {
                let text = match value {
                    Value::Null => continue,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                writeln!(out, "{}  {}", pad(&escape_controls(key), key_width), truncate(&text, value_width))?;
            }
            Ok(())
        }
    }
}

fn cell(record: &Value, key: &str) -> String {
    match record.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
            .collect::<Vec<_>>()
            .join(";"),
        Some(other) => other.to_string(),
    }
}

/// A csv cell: a JSON number as it is; text that a spreadsheet would
/// evaluate as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) with
/// a `'` before it (OWASP's rule), control characters escaped, quoted when
/// it holds a comma or quote.
fn csv_field(record: &Value, key: &str) -> String {
    let text = cell(record, key);
    let number = matches!(record.get(key), Some(Value::Number(_)));
    let text = if !number && text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text };
    let text = escape_controls(&text);
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.into_owned() }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

/// A table cell: line breaks and tabs as spaces, other control characters
/// escaped, cut to `width`.
fn truncate(text: &str, width: usize) -> String {
    let text = text.replace(['\n', '\r', '\t'], " ");
    let text = escape_controls(&text).into_owned();
    if text.chars().count() <= width {
        return text;
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

/// The terminal's width, else `COLUMNS`; unlimited when output goes to a
/// file or pipe, so nothing is cut there.
fn terminal_width() -> usize {
    if let Some((_, width)) = console::Term::stdout().size_checked() {
        return usize::from(width);
    }
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).unwrap_or(usize::MAX)
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

    #[test]
    fn widths_fit() {
        let cols: &[Column] =
            &[Column { header: "a", key: "a", width: 50 }, Column { header: "b", key: "b", width: 50 }];
        let w = fit_widths(cols, 62);
        assert_eq!(w.iter().sum::<usize>() + 2, 62);
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
