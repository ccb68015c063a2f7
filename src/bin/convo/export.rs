//! `--all` exports: every record of a list, with a place kept so that a stopped
//! export continues, nothing lost and nothing repeated.

use std::io::Write;
use std::path::{Path, PathBuf};

use convo_clients::ItemStream;
use futures::StreamExt;
use serde::Serialize;

use crate::Failure;
use crate::files::Lock;
use crate::output::{RecordWriter, progress};

// Where an `--all` export starts, and where it keeps its place: the flags
// of every paged command. (Not a doc comment: that would be their about text.)
#[derive(clap::Args, Clone, Default)]
pub struct ResumeArgs {
    /// Continue an export from the token a stopped export printed (with the
    /// same filters, sort and page size). Append the output to what arrived
    /// before (`>>`).
    #[arg(long, value_name = "TOKEN", requires = "all", conflicts_with = "checkpoint")]
    pub resume: Option<String>,

    /// Keep the export's place in FILE, rewritten after every page: if the
    /// export stops, rerun the same command (appending its output) and it
    /// continues from there. The file is removed once the export completes.
    #[arg(long, value_name = "FILE", requires = "all")]
    pub checkpoint: Option<PathBuf>,
}

/// Holds the checkpoint at `path` (`<FILE>.lock`), or refuses when another export
/// does: both would write the same records. Released when dropped, and on
/// Ctrl-C or SIGTERM, which still stop the export at once (exit 130).
pub fn hold(path: &Path) -> Result<Held, Failure> {
    let lock = Lock::path_of(path);
    let held = Lock::acquire(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            let pid = std::fs::read_to_string(&lock).ok().filter(|pid| pid.trim().parse::<u32>().is_ok());
            let by = pid.map(|pid| format!(" (process {})", pid.trim())).unwrap_or_default();
            let (path, lock) = (path.display(), lock.display());
            usage!(
                "checkpoint {path} is in use by another export{by}: its lock {lock} exists. If no export is running \
                 (one killed leaves it behind), remove {lock} and rerun"
            )
        }
        _ => usage!("checkpoint {}: cannot create its lock {}: {e}", path.display(), lock.display()),
    })?;
    let release = held.path().to_owned();
    let stopped = crate::sandbox::stopped();
    let on_signal = tokio::spawn(async move {
        if let Ok(stopped) = stopped {
            stopped.await;
            let _ = std::fs::remove_file(&release);
            std::process::exit(130);
        }
    });
    Ok(Held { _lock: held, on_signal })
}

/// An export's hold on its checkpoint, from [`hold`].
pub struct Held {
    _lock: Lock,
    on_signal: tokio::task::JoinHandle<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        // A signal from now on must not remove a lock another export may have taken since.
        self.on_signal.abort();
    }
}

/// Writes every item of `stream` from the place `resume` gives, flushing
/// after every page; on an error the place is saved or printed.
pub async fn all<T: Serialize + Send + 'static>(
    stream: ItemStream<T>,
    resume: &ResumeArgs,
    writer: &mut RecordWriter<impl Write>,
    what: &str,
) -> Result<(), Failure> {
    let checkpoint = resume.checkpoint.as_deref().map(read_checkpoint).transpose()?;
    let start = checkpoint.unwrap_or_else(|| resume.resume.clone());
    let mut stream = if let Some(token) = start { stream.resume(&token)? } else { stream };
    let bar = progress(None, what);
    let mut delivered = 0u64;
    while let Some(record) = stream.next().await {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                writer.flush()?;
                if let Some(token) = stream.resume_token() {
                    let how = match &resume.checkpoint {
                        Some(path) => {
                            save_checkpoint(path, &token)?;
                            format!("rerun the same command to continue from {}", path.display())
                        }
                        None => format!("to continue, rerun it with --resume {token} (and append its output)"),
                    };
                    eprintln!("convo: the export stopped after {delivered} {what}; {how}");
                }
                return Err(error.into());
            }
        };
        writer.write(&record)?;
        delivered += 1;
        bar.inc(1);
        // At a page end, what is written is out before the place moves past it.
        if stream.at_page_end() {
            writer.flush()?;
            if let (Some(path), Some(token)) = (&resume.checkpoint, stream.resume_token()) {
                save_checkpoint(path, &token)?;
            }
        }
    }
    bar.finish_and_clear();
    writer.flush()?;
    match resume.checkpoint.as_deref().map(std::fs::remove_file) {
        Some(Err(e)) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

/// The token a checkpoint file holds; none when it does not exist yet.
fn read_checkpoint(path: &Path) -> Result<Option<String>, Failure> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(None),
        Ok(text) => Ok(Some(text.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(usage!("checkpoint {}: {e}", path.display())),
    }
}

/// Replaces the checkpoint whole: a crash leaves the old place or the new one.
fn save_checkpoint(path: &Path, token: &str) -> Result<(), Failure> {
    crate::files::write_private(path, |file| writeln!(file, "{token}"))
        .map_err(|e| Failure::Io(std::io::Error::new(e.kind(), format!("checkpoint {}: {e}", path.display()))))
}
