//! Writing small files so that a crash never leaves half of one: write a temporary file beside
//! the target, sync it, then rename it over the target.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Writes a file readable only by its owner (secret keys, prompt salts), atomically.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, 0o600, true)
}

/// Writes a file atomically: readers see the old content or the new, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, 0o644, true)
}

/// Writes a file atomically with the given permission bits (a file someone else owns, such as
/// an agent's settings, keeps the mode it had).
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write_with_mode(path, bytes, mode, true)
}

/// Replaces a file's content atomically, without waiting for the disk: after a crash the file
/// holds the old content or the new. For state that something durable already implies, where
/// an `fsync` would only slow the command that writes it.
pub fn replace_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, 0o644, false)
}

/// The error names the file: `cannot write PATH: REASON` (or `cannot create DIR: REASON`).
fn write_with_mode(path: &Path, bytes: &[u8], mode: u32, durable: bool) -> std::io::Result<()> {
    let named = |what: &str, p: &Path, e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("cannot {what} {}: {e}", p.display()))
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| named("create", dir, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("attrib"),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(named("write", path, e));
    }
    Ok(())
}
