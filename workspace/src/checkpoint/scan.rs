//! Shell commands: an agent's shell command may change any file, and names none. Before it
//! runs, the tree is scanned — each file's size, modification time and line hashes — and
//! after it, every file that changed is compared with its scan: what changed is the agent's.
//! Files a person changed since the last checkpoint are settled as the person's first, as
//! before any edit.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::state::{line_hashes, FileState, Writer, PERSON};
use super::{AgentEvent, Checkpointed, Moment, WorkingLog};

/// Directories a scan does not enter: version control's own, and build output.
const SKIPPED_DIRS: [&str; 8] = [
    ".pijul",
    ".atomic",
    ".git",
    ".attrib",
    ".hg",
    ".svn",
    "target",
    "node_modules",
];
/// A scan looks at no more than this many files (in path order of the walk); changes to files
/// past it are not credited to the command.
const MAX_FILES: usize = 20_000;
/// Larger files are compared by size and time only.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// One file as a scan saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Scanned {
    path: String,
    len: u64,
    modified_ns: u64,
    /// Line hashes of a text file no larger than [`MAX_FILE_BYTES`].
    hashes: Option<Vec<u64>>,
}

/// The scan a session's shell command started with.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Scan {
    files: Vec<Scanned>,
}

/// Every file of the tree under `root`, with its size and time, and its line hashes when
/// `with_lines`.
fn walk(root: &Path, with_lines: bool) -> Result<Vec<Scanned>> {
    let mut out = Vec::new();
    let mut dirs = vec![PathBuf::new()];
    while let Some(rel) = dirs.pop() {
        let dir = root.join(&rel);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(_) => continue,
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = rel.join(&*name);
            if kind.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_ref()) {
                    dirs.push(path);
                }
                continue;
            }
            if !kind.is_file() || out.len() >= MAX_FILES {
                continue;
            }
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let modified_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as u64);
            let hashes = if with_lines && meta.len() <= MAX_FILE_BYTES {
                fs::read(entry.path())
                    .ok()
                    .filter(|t| !t.contains(&0))
                    .map(|t| line_hashes(&t))
            } else {
                None
            };
            out.push(Scanned {
                path: path.to_string_lossy().replace('\\', "/"),
                len: meta.len(),
                modified_ns,
                hashes,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn scan_file(log: &WorkingLog, event: &AgentEvent) -> PathBuf {
    let session = event.session.as_deref().unwrap_or("default");
    let name = blake3::hash(format!("{}\0{session}", event.agent).as_bytes()).to_hex();
    log.dir().join("scans").join(&name[..32])
}

/// A shell command's checkpoint (see the module documentation).
pub fn checkpoint(
    log: &WorkingLog,
    root: &Path,
    event: &AgentEvent,
    writer: &Writer,
) -> Result<Checkpointed> {
    let states = log.states();
    let path = scan_file(log, event);
    let mut done = Checkpointed::default();
    match event.moment {
        Moment::Before => {
            let files = walk(root, true)?;
            // What a person changed since the last checkpoint is theirs, as before an edit.
            let (known, _) = states.all()?;
            for mut state in known {
                if let Some(now) = files.iter().find(|f| f.path == state.path) {
                    if let Some(hashes) = &now.hashes {
                        state.advance(hashes, PERSON, attrib_overlay::now_ms());
                        states.save(&state)?;
                    }
                }
            }
            let bytes = postcard::to_allocvec(&Scan { files })?;
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        }
        Moment::Prompt => {}
        Moment::After => {
            let before: Scan = match fs::read(&path) {
                Ok(b) => postcard::from_bytes(&b).unwrap_or_default(),
                Err(_) => {
                    // No scan from before the command: nothing tells what it changed.
                    return Ok(done);
                }
            };
            let _ = fs::remove_file(&path);
            for now in walk(root, false)? {
                let was = before.files.iter().find(|f| f.path == now.path);
                if was.is_some_and(|w| w.len == now.len && w.modified_ns == now.modified_ns) {
                    continue;
                }
                let text = match fs::read(root.join(&now.path)) {
                    Ok(t) if !t.contains(&0) && now.len <= MAX_FILE_BYTES => t,
                    _ => {
                        done.skipped.push(now.path);
                        continue;
                    }
                };
                let mut state = match (states.load(&now.path)?, was) {
                    (Some(s), _) => s,
                    (None, Some(w)) => match &w.hashes {
                        Some(h) => FileState::new(&now.path, h),
                        None => {
                            done.skipped.push(now.path);
                            continue;
                        }
                    },
                    (None, None) => FileState::new(&now.path, &[]),
                };
                let owner = state.owner_of(writer);
                state.advance(&line_hashes(&text), owner, attrib_overlay::now_ms());
                states.save(&state)?;
                done.files.push(now.path);
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_skips_version_control_and_build_output() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "a.rs",
            "src/b.rs",
            ".pijul/x",
            "target/debug/y",
            ".github/ci.yml",
        ] {
            let p = dir.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "line\n").unwrap();
        }
        let found: Vec<String> = walk(dir.path(), true)
            .unwrap()
            .into_iter()
            .map(|s| s.path)
            .collect();
        assert_eq!(found, [".github/ci.yml", "a.rs", "src/b.rs"]);
    }
}
