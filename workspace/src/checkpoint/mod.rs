//! Agent checkpoints: agents call `attrib checkpoint` from their own hook systems before and
//! after each file edit, and the working log (`checkpoints/` beside the store) keeps, for every
//! file an agent touched, each line's owner — the text as it was before the log looked
//! ([`state::BASELINE`]), a person ([`state::PERSON`]), or an agent session. When the change is
//! recorded, the lines it adds are matched against the log and the attestation is signed with
//! one contribution per session ([`attribute`]); the matched lines then leave the log.
//!
//! - *Before* an edit the file's text is compared with the log: whatever changed since the last
//!   checkpoint is a person's work.
//! - *After* the edit, whatever changed is the agent's.
//! - A shell command touches files nobody named: before it, the tree is scanned (size, time
//!   and line hashes of every file); after it, every file that changed is compared with its
//!   scan, and the changes are the agent's ([`scan`]).
//!
//! A checkpoint never blocks an agent: the command that reads the hook's input turns any error
//! into one line in `checkpoints/errors.log` and a "go on" exit. Checkpoints run under one lock
//! on the log, so two agents working at once lose nothing.

pub mod attribute;
pub mod payload;
pub mod prompts;
pub mod scan;
pub mod state;

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context as _, Result};

pub use attribute::{attribute, attribute_added, has_lines, Added, Attribution};
pub use payload::{parse, AgentEvent, Moment};
use state::{line_hashes, FileState, States, Writer, PERSON};

use crate::Workspace;

/// The working log's directory name, beside the store.
pub const LOG_DIR: &str = "checkpoints";
/// The file a failed checkpoint explains itself in.
pub const ERROR_LOG: &str = "errors.log";
/// Files larger than this are not followed (a checkpoint must stay quick).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The working log of a store directory.
pub struct WorkingLog {
    dir: PathBuf,
}

/// An exclusive hold on the working log, released when dropped.
pub type LogLock = crate::files::FileLock;

impl WorkingLog {
    /// The working log beside the store in `store_dir`.
    pub fn of_store(store_dir: &Path) -> WorkingLog {
        WorkingLog {
            dir: store_dir.join(LOG_DIR),
        }
    }

    /// The log's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file states.
    pub fn states(&self) -> States {
        States::in_dir(&self.dir)
    }

    /// Waits for, then holds, the log's lock (one checkpoint, or one attestation, at a time).
    pub fn lock(&self) -> Result<LogLock> {
        crate::files::lock(&self.dir.join("lock"))
    }

    /// True when the log holds anything to attest (without taking the lock).
    pub fn has_states(&self) -> bool {
        fs::read_dir(self.dir.join("files"))
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    }
}

/// What a checkpoint did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Checkpointed {
    /// Files whose lines the log now knows (relative to the repository root).
    pub files: Vec<String>,
    /// Files it passed over: outside the repository, or not text.
    pub skipped: Vec<String>,
}

/// Records one agent event in the workspace's working log.
pub fn checkpoint(ws: &Workspace, event: &AgentEvent) -> Result<Checkpointed> {
    let store_dir = ws.store_dir()?;
    let root = repo_root_of(ws)?;
    let log = WorkingLog::of_store(store_dir);
    if event.moment == Moment::Prompt {
        let _lock = log.lock()?;
        prompts::remember(ws, log.dir(), event)?;
        return Ok(Checkpointed::default());
    }
    let mut writer = event.writer(ws)?;
    writer.prompt = prompts::current(ws, log.dir(), event);
    let _lock = log.lock()?;
    let states = log.states();
    let mut done = Checkpointed::default();
    if event.scan {
        return scan::checkpoint(&log, &root, event, &writer);
    }
    for file in &event.files {
        let Some(rel) = relative(&root, &event.cwd.join(file)) else {
            done.skipped.push(file.display().to_string());
            continue;
        };
        let path = root.join(&rel);
        if fs::metadata(&path).is_ok_and(|m| m.len() > MAX_FILE_BYTES) {
            // Generated or data files: reading them would hold the agent up for nothing.
            done.skipped.push(rel);
            continue;
        }
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        if text.contains(&0) {
            done.skipped.push(rel);
            continue;
        }
        let hashes = line_hashes(&text);
        let known = states.load(&rel)?;
        let state = step(known.clone(), &rel, &hashes, event, &writer);
        if known.as_ref() == Some(&state) {
            // Nothing changed since the last checkpoint (the usual "before"): nothing to write.
            done.files.push(rel);
            continue;
        }
        match event.moment {
            Moment::Before => states.save_before(&state)?,
            _ => states.save(&state)?,
        }
        done.files.push(rel);
    }
    Ok(done)
}

/// The file's state after one event: before an agent's edit, what changed since the last
/// checkpoint is a person's; after it, the agent's.
fn step(
    known: Option<FileState>,
    rel: &str,
    hashes: &[u64],
    event: &AgentEvent,
    writer: &Writer,
) -> FileState {
    match (known, event.moment) {
        (Some(mut s), Moment::Before) => {
            s.advance(hashes, PERSON, attrib_overlay::now_ms());
            s
        }
        (None, Moment::Before) => FileState::new(rel, hashes),
        (Some(mut s), Moment::After | Moment::Prompt) => {
            let owner = s.owner_of(writer);
            s.advance(hashes, owner, attrib_overlay::now_ms());
            s
        }
        (None, Moment::After | Moment::Prompt) => {
            // No "before" was seen: only the lines the agent says it wrote are its own (all of
            // them for a file it wrote whole); the rest were there.
            let mut s = FileState::new(rel, hashes);
            let owner = s.owner_of(writer);
            let written: std::collections::HashSet<u64> = event
                .written
                .iter()
                .flat_map(|t| line_hashes(t.as_bytes()))
                .collect();
            let now = attrib_overlay::now_ms();
            for line in &mut s.lines {
                if event.whole_file || written.contains(&line.hash) {
                    line.owner = owner;
                    line.seen_ms = now;
                }
            }
            s
        }
    }
}

/// The repository root a checkpoint works in: the Pijul repository's, else the directory that
/// holds the store.
pub fn repo_root_of(ws: &Workspace) -> Result<PathBuf> {
    if let Ok(root) = ws.repo_root() {
        return Ok(root.to_path_buf());
    }
    let store = ws.store_dir()?;
    match store.parent() {
        Some(p) => Ok(p.to_path_buf()),
        None => bail!("{} has no parent directory", store.display()),
    }
}

/// `path` relative to `root`, `/`-separated; `None` outside it or inside a VCS's own
/// directory. A path through a symbolic link (or to a deleted file) is resolved through its
/// parent directory.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let clean: PathBuf = path.components().fold(PathBuf::new(), |mut p, c| {
        match c {
            Component::ParentDir => {
                p.pop();
            }
            Component::CurDir => {}
            other => p.push(other),
        }
        p
    });
    let rel = match clean.strip_prefix(root) {
        Ok(r) => r.to_path_buf(),
        Err(_) => {
            let canon_root = root.canonicalize().ok()?;
            let canon = clean.canonicalize().ok().or_else(|| {
                let parent = clean.parent()?.canonicalize().ok()?;
                Some(parent.join(clean.file_name()?))
            })?;
            canon.strip_prefix(&canon_root).ok()?.to_path_buf()
        }
    };
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() || matches!(parts[0].as_str(), ".pijul" | ".atomic" | ".git" | ".attrib") {
        return None;
    }
    Some(parts.join("/"))
}

/// Appends one line to the working log's error file (or, without a store, to
/// `checkpoint-errors.log` in the config directory). Never fails: a checkpoint that cannot
/// even say why it failed still lets the agent go on.
pub fn log_error(ws: Option<&Workspace>, config_dir: &Path, line: &str) {
    use std::io::Write as _;
    let path = ws
        .and_then(|w| w.store_dir().ok())
        .map(|d| d.join(LOG_DIR).join(ERROR_LOG))
        .unwrap_or_else(|| config_dir.join("checkpoint-errors.log"));
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(&path) {
        let _ = writeln!(
            f,
            "{} {}",
            attrib_overlay::now_ms(),
            line.replace('\n', " ")
        );
    }
}
