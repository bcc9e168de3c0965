//! The working log's record of one file: every line of the file as the last checkpoint saw it
//! (a hash of its text) and who wrote it, kept in `checkpoints/files/` beside the store until
//! the lines are attested.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use similar::{capture_diff_slices, Algorithm, DiffOp};

/// The format of a state file, first in its bytes.
const VERSION: u8 = 3;

/// Who wrote a line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Writer {
    /// The agent tool (`claude-code`, `codex`, `cursor`, `gemini-cli`, or a generic hook's).
    pub agent: String,
    /// The model's provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// The agent's session id.
    pub session: Option<String>,
    /// The commitment to the prompt the session was answering, when prompts are tracked.
    pub prompt: Option<attrib_overlay::PromptCommitment>,
}

/// Who a line is owned by: the text as it was when the working log started, a person's edit
/// seen between checkpoints, or an agent session (an index into [`FileState::writers`]).
pub type Owner = u32;
/// The line was there before the working log looked at the file (already recorded, or written
/// by someone before any agent touched the file).
pub const BASELINE: Owner = 0;
/// A person wrote or changed the line between agent edits.
pub const PERSON: Owner = 1;
/// The first agent owner: `writers[owner - FIRST_AGENT]`.
pub const FIRST_AGENT: Owner = 2;

/// One line: its text's hash and its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The hash of the line's text without its line end ([`hash_line`]).
    pub hash: u64,
    /// Who wrote it.
    pub owner: Owner,
    /// When the working log first saw it so (ms since the epoch; 0 for the baseline): a change
    /// recorded before that cannot hold it.
    pub seen_ms: u64,
}

/// What the working log knows of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    /// The file's path relative to the repository root, `/`-separated.
    pub path: String,
    /// The agent sessions that wrote lines of it.
    pub writers: Vec<Writer>,
    /// Its lines as last seen.
    pub lines: Vec<Line>,
}

/// The hashes of a text's lines (`\n` or `\r\n` ends; a last line without an end counts).
pub fn line_hashes(text: &[u8]) -> Vec<u64> {
    if text.is_empty() {
        return Vec::new();
    }
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    body.split(|b| *b == b'\n')
        .map(|l| hash_line(l.strip_suffix(b"\r").unwrap_or(l)))
        .collect()
}

/// The hash of one line's text: xxh3, 64 bits. A line is told from the other lines of its
/// file, not defended against an adversary, and a checkpoint hashes every line of the file on
/// every call: xxh3 is several times faster than a cryptographic hash on lines this short.
pub fn hash_line(line: &[u8]) -> u64 {
    twox_hash::xxh3::hash64(line)
}

impl FileState {
    /// A file the working log meets for the first time: every line is baseline.
    pub fn new(path: &str, hashes: &[u64]) -> FileState {
        FileState {
            path: path.to_string(),
            writers: Vec::new(),
            lines: hashes
                .iter()
                .map(|&hash| Line {
                    hash,
                    owner: BASELINE,
                    seen_ms: 0,
                })
                .collect(),
        }
    }

    /// The owner number of `writer`, added to the file's writers if new.
    pub fn owner_of(&mut self, writer: &Writer) -> Owner {
        let at = match self.writers.iter().position(|w| w == writer) {
            Some(i) => i,
            None => {
                self.writers.push(writer.clone());
                self.writers.len() - 1
            }
        };
        FIRST_AGENT + at as Owner
    }

    /// Moves the state to the file's new text, seen at `now_ms`: lines the diff keeps keep
    /// their owner, lines it inserts (or changes) are `owner`'s, deleted lines go.
    pub fn advance(&mut self, hashes: &[u64], owner: Owner, now_ms: u64) {
        let old: Vec<u64> = self.lines.iter().map(|l| l.hash).collect();
        if old == hashes {
            return;
        }
        let mut next = Vec::with_capacity(hashes.len());
        for op in capture_diff_slices(Algorithm::Myers, &old, hashes) {
            match op {
                DiffOp::Equal { old_index, len, .. } => {
                    next.extend_from_slice(&self.lines[old_index..old_index + len])
                }
                DiffOp::Delete { .. } => {}
                DiffOp::Insert {
                    new_index, new_len, ..
                }
                | DiffOp::Replace {
                    new_index, new_len, ..
                } => next.extend(
                    hashes[new_index..new_index + new_len]
                        .iter()
                        .map(|&hash| Line {
                            hash,
                            owner,
                            seen_ms: now_ms,
                        }),
                ),
            }
        }
        self.lines = next;
    }

    /// The writer of an agent owner.
    pub fn writer(&self, owner: Owner) -> Option<&Writer> {
        let i = owner.checked_sub(FIRST_AGENT)?;
        self.writers.get(i as usize)
    }

    /// True when no line is an agent's or a person's: nothing is left to attest.
    pub fn is_settled(&self) -> bool {
        self.lines.iter().all(|l| l.owner == BASELINE)
    }
}

/// The working log's directory of file states.
///
/// Each file's state is kept as `files/<hash of its path>.<generation>`: a save writes the next
/// generation as a new file, then removes the older ones. A new file rather than a rename over
/// the old one, because ext4 flushes a file renamed over another before the rename returns
/// (its `auto_da_alloc` safeguard), which costs a checkpoint half a millisecond or more of disk
/// wait; a new file costs none. Each file ends with a checksum, so one cut short by a crash is
/// passed over and the generation before it is read.
pub struct States {
    dir: PathBuf,
}

/// The checksum's length at the end of a state file.
const CHECKSUM: usize = 8;

impl States {
    /// The states kept in `log_dir` (the working log's directory).
    pub fn in_dir(log_dir: &Path) -> States {
        States {
            dir: log_dir.join("files"),
        }
    }

    /// The name every generation of `path`'s state starts with.
    fn stem_of(path: &str) -> String {
        format!("{:032x}", twox_hash::xxh3::hash128(path.as_bytes()))
    }

    /// Every generation on disk, as (stem, generation, file), newest generation last per stem.
    fn generations(&self) -> Result<Vec<(String, u64, PathBuf)>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", self.dir.display())),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read {}", self.dir.display()))?;
            let name = entry.file_name();
            let Some((stem, generation)) = name.to_str().and_then(|n| n.split_once('.')) else {
                continue;
            };
            if let Ok(generation) = generation.parse::<u64>() {
                out.push((stem.to_string(), generation, entry.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// The newest readable generation of one stem among `all` (sorted), and the newest
    /// generation number seen.
    fn newest<'a>(
        all: impl DoubleEndedIterator<Item = &'a (String, u64, PathBuf)>,
    ) -> (Option<(FileState, &'a Path)>, u64) {
        let mut top = 0;
        for (_, generation, file) in all.rev() {
            top = top.max(*generation);
            if let Some(state) = fs::read(file).ok().as_deref().and_then(decode) {
                return (Some((state, file)), top);
            }
        }
        (None, top)
    }

    /// The state of `path`, if the working log has one.
    pub fn load(&self, path: &str) -> Result<Option<FileState>> {
        let stem = Self::stem_of(path);
        let all = self.generations()?;
        let (found, _) = Self::newest(all.iter().filter(|(s, _, _)| *s == stem));
        Ok(found.map(|(state, _)| state))
    }

    /// Every state in the working log (a stem with no readable generation is named in the
    /// second list).
    pub fn all(&self) -> Result<(Vec<FileState>, Vec<String>)> {
        let all = self.generations()?;
        let mut states = Vec::new();
        let mut damaged = Vec::new();
        let mut rest = all.as_slice();
        while let Some((stem, _, _)) = rest.first() {
            let n = rest.iter().take_while(|(s, _, _)| s == stem).count();
            match Self::newest(rest[..n].iter()) {
                (Some((state, _)), _) => states.push(state),
                (None, _) => damaged.push(self.dir.join(stem).display().to_string()),
            }
            rest = &rest[n..];
        }
        states.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((states, damaged))
    }

    /// Saves `state` as its next generation, or removes it when it is settled.
    pub fn save(&self, state: &FileState) -> Result<()> {
        if state.is_settled() {
            return self.remove_older(&Self::stem_of(&state.path), u64::MAX);
        }
        self.write(state)
    }

    /// Saves the state a "before" saw, even when nothing in it is left to attest: the agent's
    /// edit is told from what was there by comparing with it. (The "after" that follows, or
    /// the next attestation, removes it once it is settled.)
    pub fn save_before(&self, state: &FileState) -> Result<()> {
        self.write(state)
    }

    fn write(&self, state: &FileState) -> Result<()> {
        let stem = Self::stem_of(&state.path);
        let older: Vec<(u64, PathBuf)> = self
            .generations()?
            .into_iter()
            .filter(|(s, _, _)| *s == stem)
            .map(|(_, g, f)| (g, f))
            .collect();
        let top = older.iter().map(|(g, _)| *g).max().unwrap_or(0);
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let mut bytes = vec![VERSION];
        bytes.extend(postcard::to_allocvec(state)?);
        let sum = twox_hash::xxh3::hash64(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        let next = top + 1;
        let file = self.dir.join(format!("{stem}.{next}"));
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&file)
            .and_then(|mut f| f.write_all(&bytes));
        if let Err(e) = written {
            let _ = fs::remove_file(&file);
            return Err(e).with_context(|| format!("cannot write {}", file.display()));
        }
        for (_, old) in older {
            remove(&old)?;
        }
        Ok(())
    }

    /// Removes the generations of `stem` older than `keep`.
    fn remove_older(&self, stem: &str, keep: u64) -> Result<()> {
        for (s, generation, file) in self.generations()? {
            if s == stem && generation < keep {
                remove(&file)?;
            }
        }
        Ok(())
    }
}

/// Removes a file that may be gone already.
fn remove(file: &Path) -> Result<()> {
    match fs::remove_file(file) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove {}", file.display())),
    }
}

fn decode(bytes: &[u8]) -> Option<FileState> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(CHECKSUM)?)?;
    if twox_hash::xxh3::hash64(body).to_le_bytes() != *sum {
        return None;
    }
    let (&version, body) = body.split_first()?;
    if version != VERSION {
        return None;
    }
    postcard::from_bytes(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(text: &str) -> Vec<u64> {
        line_hashes(text.as_bytes())
    }

    #[test]
    fn lines_keep_their_owner_through_edits_around_them() {
        let mut s = FileState::new("a.rs", &hashes("a\nb\nc\n"));
        let agent = s.owner_of(&Writer {
            agent: "claude-code".into(),
            provider: "anthropic".into(),
            model: "m".into(),
            session: None,
            prompt: None,
        });
        // The agent inserts two lines after `a` and rewrites `c`.
        s.advance(&hashes("a\nx\ny\nb\nC\n"), agent, 1);
        let owners: Vec<Owner> = s.lines.iter().map(|l| l.owner).collect();
        assert_eq!(owners, [BASELINE, agent, agent, BASELINE, agent]);
        // A person rewrites `y` and adds a line at the end.
        s.advance(&hashes("a\nx\nY\nb\nC\nz\n"), PERSON, 2);
        let owners: Vec<Owner> = s.lines.iter().map(|l| l.owner).collect();
        assert_eq!(owners, [BASELINE, agent, PERSON, BASELINE, agent, PERSON]);
        assert!(!s.is_settled());
    }

    #[test]
    fn line_ends_and_a_missing_last_end_are_the_same_lines() {
        assert_eq!(hashes("a\r\nb"), hashes("a\nb\n"));
        assert!(hashes("").is_empty());
        assert_eq!(hashes("\n").len(), 1);
    }

    #[test]
    fn states_round_trip_and_a_settled_state_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let states = States::in_dir(dir.path());
        let mut s = FileState::new("src/a.rs", &hashes("a\n"));
        s.advance(&hashes("a\nb\n"), PERSON, 1);
        states.save(&s).unwrap();
        assert_eq!(states.load("src/a.rs").unwrap(), Some(s.clone()));
        assert_eq!(states.all().unwrap().0, vec![s.clone()]);
        s.lines.iter_mut().for_each(|l| l.owner = BASELINE);
        states.save(&s).unwrap();
        assert_eq!(states.load("src/a.rs").unwrap(), None);
    }
}
