//! The files that hold call content or secrets: private, put in place whole,
//! never written through a link planted at their name.

use std::ffi::OsString;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `path` atomically and privately: a new 0600 temporary file beside it,
/// renamed over `path` (a link there is replaced, not followed).
pub fn write_private(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Hidden, and named after the file it becomes.
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".partial");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    // Dropped unpersisted (on any error below), it removes itself.
    let temporary = builder.tempfile_in(dir)?;
    let mut out = BufWriter::new(temporary.as_file());
    write(&mut out)?;
    out.into_inner().map_err(io::IntoInnerError::into_error)?.sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates `dir` and its missing parents, 0700; one that exists is left as it is.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A claim on a file for one process: `<file>.lock`, created new, holding the
/// process id, removed when dropped.
#[derive(Debug)]
pub struct Lock(PathBuf);

impl Lock {
    /// Takes the lock on `path`; `AlreadyExists` while another process holds it.
    pub fn acquire(path: &Path) -> io::Result<Self> {
        let lock = Self::path_of(path);
        let mut open = std::fs::OpenOptions::new();
        // `create_new` (O_EXCL) also refuses a link planted at the name.
        open.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        let mut file = open.open(&lock)?;
        let held = Self(lock);
        writeln!(file, "{}", std::process::id())?;
        Ok(held)
    }

    /// The lock file of `path`: `<path>.lock`.
    pub fn path_of(path: &Path) -> PathBuf {
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        PathBuf::from(lock)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("convo-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_failed_write_leaves_nothing_and_the_old_file_whole() {
        let dir = scratch("failed");
        let path = dir.join("out.json");
        std::fs::write(&path, "old").unwrap();
        let failed = write_private(&path, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("corrupt"))
        });
        assert_eq!(failed.unwrap_err().to_string(), "corrupt");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(&dir), ["out.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_name_is_replaced_and_the_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("link");
        let outside = dir.join("outside");
        std::fs::write(&outside, "theirs").unwrap();
        let path = dir.join("out");
        std::os::unix::fs::symlink(&outside, &path).unwrap();
        write_private(&path, |out| out.write_all(b"ours")).unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "theirs");
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.is_file(), "the link is replaced by a file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "ours");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_lock_is_held_once_and_released_on_drop() {
        let dir = scratch("lock");
        let path = dir.join("export.checkpoint");
        let held = Lock::acquire(&path).unwrap();
        assert_eq!(held.path(), Lock::path_of(&path));
        assert_eq!(std::fs::read_to_string(held.path()).unwrap().trim(), std::process::id().to_string());
        assert_eq!(Lock::acquire(&path).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        drop(held);
        assert!(!Lock::path_of(&path).exists());
        drop(Lock::acquire(&path).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
