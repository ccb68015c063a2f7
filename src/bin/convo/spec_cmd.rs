//! `convo spec`: a maintainer's review of a spec edit. `convo spec diff OLD
//! NEW` says what changed and whom it breaks (`convo_clients::spec::diff`).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use convo_clients::spec::diff::{Change, Impact, diff};
use convo_clients::spec::model::Spec;

use crate::output::OutputFormat;
use crate::{Context, Failure};

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// What changed from one version of a spec to another, and whom it
    /// breaks: library consumers (the generated Rust), CLI users (commands
    /// and flags) and the sandbox. Exit status: 0 when nothing breaks, 1 on a
    /// breaking change (unless --allow-breaking), 2 on a usage error.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
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
    let SpecCommand::Diff(args) = command;
    let (old, new) = match (&args.base, &args.new) {
        (Some(rev), _) => {
            (parse(&at_revision(&args.old, rev)?, &format!("{}@{rev}", args.old.display()))?, read(&args.old)?)
        }
        (None, Some(new)) => (read(&args.old)?, read(new)?),
        (None, None) => return Err(Failure::Usage("give NEW, or --base REV".into())),
    };
    let changes = diff(&old, &new);
    let mut out = std::io::stdout().lock();
    match context.output {
        Some(OutputFormat::Json) => writeln!(out, "{}", serde_json::to_string_pretty(&changes).unwrap_or_default())?,
        Some(OutputFormat::Jsonl) => {
            for change in &changes {
                writeln!(out, "{}", serde_json::to_string(change).unwrap_or_default())?;
            }
        }
        _ => text(&mut out, &changes)?,
    }
    let breaking = changes.iter().filter(|c| c.is_breaking()).count();
    if breaking > 0 && !args.allow_breaking {
        let s = if breaking == 1 { "" } else { "s" };
        return Err(Failure::Outcome(format!("{breaking} breaking change{s} (--allow-breaking accepts them)")));
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
    writeln!(
        out,
        "{} change{}: {} breaking for library consumers, {} for CLI users",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        count(|c| c.rust),
        count(|c| c.cli)
    )
}

fn read(path: &Path) -> Result<Spec, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    parse(&text, &path.display().to_string())
}

fn parse(text: &str, name: &str) -> Result<Spec, Failure> {
    let doc: serde_json::Value = serde_yaml::from_str(text).map_err(|e| Failure::Usage(format!("{name}: {e}")))?;
    Spec::parse(&doc).map_err(|e| Failure::Usage(format!("{name}: {e}")))
}

/// The file's text at a git revision, through `git show REV:./FILE` in its folder.
fn at_revision(path: &Path, rev: &str) -> Result<String, Failure> {
    if rev.starts_with('-') {
        return Err(Failure::Usage(format!("--base {rev}: not a revision")));
    }
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or_else(|| Failure::Usage(format!("{}: not a file", path.display())))?;
    let shown = std::process::Command::new("git")
        .arg("-C")
        .arg(folder)
        .arg("show")
        .arg(format!("{rev}:./{}", name.to_string_lossy()))
        .output()
        .map_err(|e| Failure::Usage(format!("git: {e}")))?;
    if !shown.status.success() {
        let why = String::from_utf8_lossy(&shown.stderr);
        return Err(Failure::Usage(format!("{} at {rev}: {}", path.display(), why.trim())));
    }
    String::from_utf8(shown.stdout).map_err(|e| Failure::Usage(format!("{} at {rev}: {e}", path.display())))
}
