//! Files: a user's input (a path taken from the workspace's directory, or standard input), and
//! the atomic writers every small file of attrib goes through.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};

pub use attrib_overlay::files::{write_atomic, write_private};

use crate::Workspace;

/// Reads a whole file named by the user (taken from the workspace's directory when relative),
/// or standard input for `-`. Errors name the path as the user gave it.
pub fn read_input(ws: &Workspace, path: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        fs::File::open(ws.resolve(path))
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(bytes)
}

/// An exclusive advisory lock on a file, held until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: fs::File,
}

/// Waits for, then holds, the exclusive lock on `path` (created, with its directory, if
/// missing). Processes of one user that must not interleave take the same file's lock.
pub fn lock(path: &Path) -> Result<FileLock> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.lock()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(FileLock { _file: file })
}
