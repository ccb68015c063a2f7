//! `convo spec`: a maintainer's review of a spec edit. `convo spec diff OLD
//! NEW` says what changed and whom it breaks (`convo_clients::spec::diff`);
//! `convo spec provenance` checks the spec's citations against a saved copy
//! of the vendor's page (`convo_clients::spec::provenance`).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use convo_clients::spec::diff::{Change, Impact, diff};
use convo_clients::spec::model::Spec;
use convo_clients::spec::provenance::{self, Fact};

use crate::output::OutputFormat;
use crate::{Context, Failure};

#[derive(Subcommand)]
pub enum SpecCommand {
    /// What changed from one version of a spec to another, and whom it
    /// breaks: library consumers (the generated Rust), CLI users (commands
    /// and flags) and the sandbox. Exit status: 0 when nothing breaks, 1 on a
    /// breaking change (unless --allow-breaking), 2 on a usage error.
    Diff(DiffArgs),
    /// Checks the spec's citations (`x-provenance: {source: "seed 000
    /// L95-L197"}`) against a saved copy of the vendor's page: each fact
    /// (operation, parameter, property, enum value, filter row, status,
    /// header) must still be named by the lines it cites, its own or its
    /// parent's. Lists stale citations, and the lines of the page naming
    /// API-looking things no fact cites. With --old-doc, the facts whose
    /// lines the new page changed or moved, with their new line numbers.
    /// Exit status: 0 when no citation is stale, 1 when one is (or, with
    /// --strict, a line is uncovered), 2 on a usage error.
    Provenance(ProvenanceArgs),
}

#[derive(Args)]
pub struct ProvenanceArgs {
    /// The vendor's page, as text.
    #[arg(long, value_name = "PATH")]
    doc: PathBuf,
    /// The spec whose citations are checked.
    #[arg(long, value_name = "PATH")]
    spec: PathBuf,
    /// The page as it was when the spec cited it: which facts the new one touches.
    #[arg(long, value_name = "PATH")]
    old_doc: Option<PathBuf>,
    /// The page's id in the citations (`seed 000`); by default the digits
    /// its file name starts with (`000_….txt`).
    #[arg(long, value_name = "ID")]
    seed: Option<String>,
    /// Exit 1 when a line of the page is uncovered, too.
    #[arg(long)]
    strict: bool,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The old version (a spec file, YAML or JSON); with --base, the file
    /// whose version at that git revision is the old one.
    old: PathBuf,
    /// The new version. Without it, --base is needed: OLD as it is now.
    #[arg(required_unless_present = "base")]
    new: Option<PathBuf>,
    /// Compare OLD at this git revision (`main`, `HEAD~1`) with OLD as it is now.
    #[arg(long, value_name = "REV", conflicts_with = "new")]
    base: Option<String>,
    /// Exit 0 even when a change breaks something.
    #[arg(long)]
    allow_breaking: bool,
}

pub fn run(command: SpecCommand, context: &Context) -> Result<(), Failure> {
    match command {
        SpecCommand::Diff(args) => run_diff(&args, context),
        SpecCommand::Provenance(args) => run_provenance(&args, context),
    }
}

fn run_diff(args: &DiffArgs, context: &Context) -> Result<(), Failure> {
    let (old, new) = match (&args.base, &args.new) {
        (Some(rev), _) => {
            (parse(&at_revision(&args.old, rev)?, &format!("{}@{rev}", args.old.display()))?, read(&args.old)?)
        }
        (None, Some(new)) => (read(&args.old)?, read(new)?),
        (None, None) => return Err(Failure::Usage("give NEW, or --base REV".into())),
    };
    let changes = diff(&old, &new);
    match context.output {
        Some(format @ (OutputFormat::Json | OutputFormat::Jsonl)) => crate::output::write_all(format, &[], &changes)?,
        _ => text(&mut std::io::stdout().lock(), &changes)?,
    }
    let breaking = changes.iter().filter(|c| c.is_breaking()).count();
    if breaking > 0 && !args.allow_breaking {
        let s = if breaking == 1 { "" } else { "s" };
        return Err(Failure::Outcome(format!("{breaking} breaking change{s} (--allow-breaking accepts them)")));
    }
    Ok(())
}

fn run_provenance(args: &ProvenanceArgs, context: &Context) -> Result<(), Failure> {
    let spec = yaml(&read_text(&args.spec)?, &args.spec.display().to_string())?;
    let seed = match &args.seed {
        Some(seed) => seed.clone(),
        None => {
            let name = args.doc.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                return Err(usage!("{name}: its name has no id; give --seed ID"));
            }
            digits
        }
    };
    let doc = read_text(&args.doc)?;
    let report = provenance::check(&spec, &seed, &doc);
    let touched =
        args.old_doc.as_deref().map(read_text).transpose()?.map(|old| provenance::touched(&spec, &seed, &old, &doc));
    let mut out = std::io::stdout().lock();
    if matches!(context.output, Some(OutputFormat::Json | OutputFormat::Jsonl)) {
        let json = serde_json::json!({"seed": seed, "report": report, "touched": touched});
        writeln!(out, "{}", serde_json::to_string_pretty(&json).unwrap_or_default())?;
    } else {
        let range = |&(a, b): &(usize, usize)| if a == b { format!("L{a}") } else { format!("L{a}-L{b}") };
        let cites = |f: &Fact| f.lines.iter().map(range).collect::<Vec<_>>().join(", ");
        let kind = |f: &Fact| format!("{:?}", f.kind).to_lowercase();
        for f in &report.stale {
            let whose = if f.inherited { "its parent's citation" } else { "its citation" };
            writeln!(out, "stale      {} {} (#{}): {whose} {} does not name it", kind(f), f.name, f.pointer, cites(f))?;
        }
        for u in &report.uncovered {
            let known = if u.known { " (each a fact cited on other lines)" } else { "" };
            writeln!(out, "uncovered  L{}: {}{known}", u.line, u.names.join(", "))?;
        }
        for t in touched.iter().flatten() {
            let now: Vec<String> = t.new_lines.iter().map(|l| l.as_ref().map_or("gone".to_owned(), range)).collect();
            let how = if t.changed { "changed" } else { "moved" };
            let (f, now) = (&t.fact, now.join(", "));
            writeln!(out, "{how:<10} {} {} (#{}): {} → {now}", kind(f), f.name, f.pointer, cites(f))?;
        }
        let (spec, checked, stale) = (args.spec.display(), report.checked, report.stale.len());
        let (uncovered, known) = (report.uncovered.len(), report.uncovered.iter().filter(|u| u.known).count());
        writeln!(
            out,
            "{spec} against seed {seed}: {checked} facts cite it, {stale} stale, {uncovered} lines uncovered ({known} of them naming only facts cited elsewhere)"
        )?;
    }
    if !report.stale.is_empty() {
        return Err(Failure::Outcome(format!("{} stale citation(s)", report.stale.len())));
    }
    if args.strict && !report.uncovered.is_empty() {
        return Err(Failure::Outcome(format!("{} uncovered line(s) (--strict)", report.uncovered.len())));
    }
    Ok(())
}

/// One line per change, its verdicts first, then a count.
fn text(out: &mut impl Write, changes: &[Change]) -> std::io::Result<()> {
    let word = |impact: Impact| match impact {
        Impact::None => "-",
        Impact::Additive => "additive",
        Impact::Breaking => "BREAKING",
    };
    if !changes.is_empty() {
        writeln!(out, "{:<9} {:<9} CHANGE", "RUST", "CLI")?;
    }
    for c in changes {
        let mut line = format!("{:<9} {:<9} {}: {}", word(c.rust), word(c.cli), c.at, c.what);
        for (label, text) in [("cli", &c.cli_note), ("sandbox", &c.sandbox)] {
            if let Some(text) = text {
                line.push_str(&format!("; {label}: {text}"));
            }
        }
        writeln!(out, "{line}")?;
    }
    let count = |f: fn(&Change) -> Impact| changes.iter().filter(|c| f(c) == Impact::Breaking).count();
    let (n, s) = (changes.len(), if changes.len() == 1 { "" } else { "s" });
    let (rust, cli) = (count(|c| c.rust), count(|c| c.cli));
    writeln!(out, "{n} change{s}: {rust} breaking for library consumers, {cli} for CLI users")
}

fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| usage!("{}: {e}", path.display()))
}

/// A spec file's document (YAML or JSON).
fn yaml(text: &str, name: &str) -> Result<serde_json::Value, Failure> {
    serde_yaml::from_str(text).map_err(|e| usage!("{name}: {e}"))
}

fn read(path: &Path) -> Result<Spec, Failure> {
    parse(&read_text(path)?, &path.display().to_string())
}

fn parse(text: &str, name: &str) -> Result<Spec, Failure> {
    Spec::parse(&yaml(text, name)?).map_err(|e| usage!("{name}: {e}"))
}

/// The file's text at a git revision, through `git show REV:./FILE` in its folder.
fn at_revision(path: &Path, rev: &str) -> Result<String, Failure> {
    if rev.starts_with('-') {
        return Err(usage!("--base {rev}: not a revision"));
    }
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| usage!("{}: not a file", path.display()))?;
    let revision = format!("{rev}:./{}", name.to_string_lossy());
    let git = std::process::Command::new("git").arg("-C").arg(folder).args(["show", &revision]).output();
    let shown = git.map_err(|e| usage!("git: {e}"))?;
    if !shown.status.success() {
        let why = String::from_utf8_lossy(&shown.stderr);
        return Err(usage!("{} at {rev}: {}", path.display(), why.trim()));
    }
    String::from_utf8(shown.stdout).map_err(|e| usage!("{} at {rev}: {e}", path.display()))
}
