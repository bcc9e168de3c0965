//! `attrib blame`'s index: per blamed file, the rows the store's credit gave (each line's
//! inserting change, its conflict, its text, the conflict markers), kept beside the store so
//! that a blame of a file whose inputs did not move runs no process at all.
//!
//! What a credit answers from is the channel and, for some stores, the working file:
//! [`Vcs::fingerprint`] (read without a process: Pijul's pristine root pages, git's HEAD and
//! refs) and [`Vcs::working_stamp`] (git: the working file's bytes; Pijul: only that the file
//! is there). An entry holds both as they were when its rows were credited; equal now, the
//! rows are the answer.
//!
//! When they moved, the entry is brought forward instead of credited again where that is
//! sure to give the same rows: the channel holds exactly the changes it held then, in the same
//! order, plus new ones (the tracker's record, compared by a digest), the working stamp is the
//! same, and every new change says (one `pijul change`, kept forever per hash) that it touched
//! only *other* files that are still there. Anything else — an unrecord, an amend, a pull that
//! reorders, a move, a hunk this reader does not know, a path that no longer exists (a change
//! recorded before a rename names the old path), git — credits the file again.
//!
//! Nothing here is ever an error for the user: an entry that cannot be read (damaged, another
//! format, another path) is ignored and rewritten, and one that cannot be written (a
//! read-only store) is simply not kept. Entries are rewritten whole, through a temporary file
//! and a rename, so a reader sees the old entry or the new.
//!
//! The index is local (never synced): attributions are still read from the overlay at every
//! blame, since records arrive by sync while the channel stands still.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use attrib_overlay::files::replace_atomic;
use attrib_overlay::PatchId;
use attrib_vcs_adapter::{AddedLine, ChangeInfo, ChangeSummary, ChannelRecord, Vcs, VcsError};
use serde::{Deserialize, Serialize};

use crate::blame::{credited_rows, Row};

/// The index's directory inside the store directory.
pub const INDEX_DIR: &str = "blame-index";
/// The entries' format; an entry of another is ignored (and rewritten).
const FORMAT: u32 = 1;
/// At most this many new changes are read (one `pijul change` each) to learn whether they
/// touched a file: past that, one credit of the file costs less.
const MAX_READS: usize = 4;

/// The index of one store directory.
#[derive(Clone, Debug)]
pub struct BlameIndex {
    dir: PathBuf,
}

/// Where a blame's rows came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The entry was current: no process ran.
    Index,
    /// The entry was brought forward over new changes that did not touch the file.
    BroughtForward,
    /// The store credited the file.
    Credited,
}

/// What the channel looked like to the caller: the tracker's record of the current channel and
/// the fingerprint it was read at ([`attrib_vcs_adapter::Tracker::fingerprint`]).
#[derive(Clone, Copy, Debug)]
pub struct ChannelView<'a> {
    /// The current channel's record (`None`: not known).
    pub record: Option<&'a ChannelRecord>,
    /// The store's fingerprint when the record was read.
    pub read_at: Option<[u8; 32]>,
}

/// One file's entry, as stored (postcard).
#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    /// The file, relative to the repository root: the entry's name is a digest of it, and this
    /// tells a collision apart.
    path: String,
    /// [`Vcs::fingerprint`] and [`Vcs::working_stamp`] when the rows were credited (or last
    /// brought forward).
    fingerprint: [u8; 32],
    working: [u8; 32],
    /// How many changes the channel held then, and a digest of their hashes in order.
    changes: u64,
    changes_digest: [u8; 32],
    /// The changes the rows name, each once.
    names: Vec<PatchId>,
    rows: Vec<StoredRow>,
}

/// A [`Row`], its change an index into [`Entry::names`].
#[derive(Serialize, Deserialize)]
enum StoredRow {
    Line {
        line: u64,
        change: Option<u32>,
        conflict: Option<u64>,
        text: String,
    },
    Marker {
        id: u64,
        marker: String,
        sides: Vec<String>,
    },
}

impl Entry {
    fn new(
        path: &str,
        (fingerprint, working): ([u8; 32], [u8; 32]),
        record: &ChannelRecord,
        rows: &[Row],
    ) -> Entry {
        let mut names: Vec<PatchId> = Vec::new();
        let mut numbers: HashMap<&PatchId, u32> = HashMap::new();
        let stored = rows
            .iter()
            .map(|r| match r {
                Row::Line {
                    line,
                    change,
                    conflict,
                    text,
                } => StoredRow::Line {
                    line: *line as u64,
                    change: change.as_ref().map(|c| {
                        *numbers.entry(c).or_insert_with(|| {
                            names.push(c.clone());
                            (names.len() - 1) as u32
                        })
                    }),
                    conflict: conflict.map(|c| c as u64),
                    text: text.clone(),
                },
                Row::Marker { id, marker, sides } => StoredRow::Marker {
                    id: *id as u64,
                    marker: marker.clone(),
                    sides: sides.clone(),
                },
            })
            .collect();
        Entry {
            format: FORMAT,
            path: path.to_string(),
            fingerprint,
            working,
            changes: record.changes.len() as u64,
            changes_digest: digest(&record.changes),
            names,
            rows: stored,
        }
    }

    /// The rows; `None` when one names a change the entry does not list (a damaged entry that
    /// still decoded) or a number does not fit.
    fn rows(&self) -> Option<Vec<Row>> {
        self.rows
            .iter()
            .map(|r| {
                Some(match r {
                    StoredRow::Line {
                        line,
                        change,
                        conflict,
                        text,
                    } => Row::Line {
                        line: usize::try_from(*line).ok()?,
                        change: match change {
                            Some(i) => Some(self.names.get(*i as usize)?.clone()),
                            None => None,
                        },
                        conflict: match conflict {
                            Some(c) => Some(usize::try_from(*c).ok()?),
                            None => None,
                        },
                        text: text.clone(),
                    },
                    StoredRow::Marker { id, marker, sides } => Row::Marker {
                        id: usize::try_from(*id).ok()?,
                        marker: marker.clone(),
                        sides: sides.clone(),
                    },
                })
            })
            .collect()
    }

    /// The changes the channel gained since the entry, when it still holds exactly the ones it
    /// held then, in the same order; `None` when it does not (an unrecord, an amend, another
    /// channel, a reorder).
    fn appended<'r>(&self, record: &'r ChannelRecord) -> Option<&'r [ChangeInfo]> {
        let held = usize::try_from(self.changes).ok()?;
        let (before, after) = record.changes.split_at_checked(held)?;
        (digest(before) == self.changes_digest).then_some(after)
    }
}

/// The stamps to keep rows credited between `before` and now under, when they are sure to be
/// the rows of the store now: nothing moved, or only the fingerprint did while the channel's
/// state stayed `record`'s. `pijul credit` (1.0.0-beta.26) commits to the pristine itself the
/// first time it reads a file after a change, which moves the fingerprint but not the channel;
/// one short state read tells that apart from a commit by someone else, and saves crediting
/// the file again at the next blame.
fn settled(
    vcs: &dyn Vcs,
    rel: &Path,
    before: ([u8; 32], [u8; 32]),
    record: &ChannelRecord,
) -> Option<([u8; 32], [u8; 32])> {
    let after = vcs.fingerprint().zip(vcs.working_stamp(rel))?;
    if after == before {
        return Some(after);
    }
    if after.1 != before.1 || record.state.is_none() {
        return None;
    }
    let state = vcs.state().ok()?;
    // The fingerprint read again after the state: nothing was committed while it was read.
    (state == record.state && vcs.fingerprint() == Some(after.0)).then_some(after)
}

/// A digest of changes' hashes in order.
fn digest(changes: &[ChangeInfo]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"attrib/blame-index/changes/v1\0");
    for c in changes {
        h.update(c.hash.as_str().as_bytes());
        h.update(b"\n");
    }
    *h.finalize().as_bytes()
}

impl BlameIndex {
    /// The index kept in `store_dir`.
    pub fn at(store_dir: &Path) -> BlameIndex {
        BlameIndex {
            dir: store_dir.join(INDEX_DIR),
        }
    }

    /// The index's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry of `path` (relative to the repository root) lives: a digest of the path
    /// names it, so any path makes a plain file name.
    pub fn entry_path(&self, path: &str) -> PathBuf {
        let h = blake3::hash(path.as_bytes());
        self.dir
            .join("files")
            .join(format!("{}.bin", hex::encode(&h.as_bytes()[..16])))
    }

    fn summary_path(&self, hash: &PatchId) -> PathBuf {
        self.dir.join("changes").join(format!("{hash}.bin"))
    }

    fn load(&self, path: &str) -> Option<Entry> {
        let bytes = std::fs::read(self.entry_path(path)).ok()?;
        let entry: Entry = postcard::from_bytes(&bytes).ok()?;
        (entry.format == FORMAT && entry.path == path).then_some(entry)
    }

    fn save(&self, entry: &Entry) {
        // A cache: where it cannot be written (a read-only store), the next blame credits.
        if let Ok(bytes) = postcard::to_allocvec(entry) {
            let _ = replace_atomic(&self.entry_path(&entry.path), &bytes);
        }
    }

    /// The credited rows of `rel` (relative to the repository root) on the channel `view`
    /// describes: from the entry when its inputs did not move, brought forward over changes
    /// that did not touch the file, or credited by `vcs` (and kept).
    pub fn rows(
        &self,
        vcs: &dyn Vcs,
        view: ChannelView<'_>,
        rel: &Path,
    ) -> Result<(Vec<Row>, Source)> {
        let key = rel.to_string_lossy().into_owned();
        // Read before the store is asked anything: a commit landing after this makes the
        // stamps kept below older than the store, so the next blame looks again.
        let now = vcs.fingerprint().zip(vcs.working_stamp(rel));
        let kept = self.load(&key);
        if let (Some((fingerprint, working)), Some(entry)) = (now, &kept) {
            if entry.fingerprint == fingerprint && entry.working == working {
                if let Some(rows) = entry.rows() {
                    return Ok((rows, Source::Index));
                }
            }
        }
        // What is learned below is kept only when the record describes the store as it is
        // now (nothing committed since it was read), so rows and change order agree.
        let current = match (now, view.record, view.read_at) {
            (Some(now), Some(record), Some(read_at)) if read_at == now.0 => Some((now, record)),
            _ => None,
        };
        if let (Some((now, record)), Some(mut entry)) = (current, kept) {
            let fresh = entry.working == now.1
                && entry
                    .appended(record)
                    .is_some_and(|new| self.untouched(vcs, new, &key));
            if fresh {
                if let Some(rows) = entry.rows() {
                    entry.fingerprint = now.0;
                    entry.changes = record.changes.len() as u64;
                    entry.changes_digest = digest(&record.changes);
                    self.save(&entry);
                    return Ok((rows, Source::BroughtForward));
                }
            }
        }
        let positions = view.record.map(|r| r.positions()).unwrap_or_default();
        let rows = credited_rows(vcs, &positions, rel)?;
        if let Some((now, record)) = current {
            if let Some(stamps) = settled(vcs, rel, now, record) {
                self.save(&Entry::new(&key, stamps, record, &rows));
            }
        }
        Ok((rows, Source::Credited))
    }

    /// True when every change of `new` touched only files other than `key` that are still in
    /// the working copy. Only Pijul's changes say which files they touched (git's summary names
    /// none), and a change recorded before a rename names the file's old path: a path that is
    /// no file now may be this one's, so it counts as touching. (What this cannot see: a file
    /// renamed away from a path that another file has taken since, edited under the old path
    /// by a change recorded before the rename. Pijul names files by path only in its text.)
    fn untouched(&self, vcs: &dyn Vcs, new: &[ChangeInfo], key: &str) -> bool {
        if new.is_empty() {
            return true;
        }
        if !vcs.kind().is_pijul_family() {
            return false;
        }
        let mut reads = 0;
        for change in new {
            let summary = match self.summary(vcs, &change.hash, &mut reads) {
                Some(s) => s,
                None => return false,
            };
            let Some(paths) = summary.touched else {
                return false;
            };
            if paths
                .iter()
                .any(|p| p == key || !vcs.repo().join(p).is_file())
            {
                return false;
            }
        }
        true
    }

    /// The summary of `hash` (Pijul family only: a change's hash is its content, so it is kept
    /// forever), read when not kept yet while `reads` allows.
    fn summary(&self, vcs: &dyn Vcs, hash: &PatchId, reads: &mut usize) -> Option<ChangeSummary> {
        let path = self.summary_path(hash);
        if let Some(kept) = std::fs::read(&path)
            .ok()
            .and_then(|b| postcard::from_bytes::<ChangeSummary>(&b).ok())
        {
            return Some(kept);
        }
        if *reads >= MAX_READS {
            return None;
        }
        *reads += 1;
        let read = vcs.change_summary(hash).ok()?;
        if let Ok(bytes) = postcard::to_allocvec(&read) {
            let _ = replace_atomic(&path, &bytes);
        }
        Some(read)
    }

    /// The lines `hash` added: kept per change for the Pijul family (immutable per hash), read
    /// every time from git (a patch id can name commits whose lines sit at other numbers).
    pub fn added_lines(&self, vcs: &dyn Vcs, hash: &PatchId) -> Result<Vec<AddedLine>, VcsError> {
        if !vcs.kind().is_pijul_family() {
            return vcs.added_lines(hash);
        }
        let mut reads = 0;
        match self.summary(vcs, hash, &mut reads) {
            Some(s) => Ok(s.added),
            // Not read (it failed): ask again for the error itself.
            None => vcs.added_lines(hash),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC";
    const H2: &str = "SXEYMYF7P4RZMZ46WPL4IZUTSQ2ATBWYZX7QNVDHBLHAKLTCBHHQC";

    fn record(hashes: &[&str]) -> ChannelRecord {
        ChannelRecord {
            changes: hashes
                .iter()
                .map(|h| ChangeInfo::unknown(PatchId::new(h).unwrap(), "m"))
                .collect(),
            ..ChannelRecord::default()
        }
    }

    #[test]
    fn entries_keep_rows_and_tell_appends_from_rewrites() {
        let rows = vec![
            Row::Line {
                line: 1,
                change: Some(PatchId::new(H1).unwrap()),
                conflict: None,
                text: "a".into(),
            },
            Row::Marker {
                id: 0,
                marker: "start".into(),
                sides: vec![H1.into(), H2.into()],
            },
            Row::Line {
                line: 2,
                change: None,
                conflict: Some(0),
                text: "b".into(),
            },
            Row::Line {
                line: 3,
                change: Some(PatchId::new(H1).unwrap()),
                conflict: Some(0),
                text: "c".into(),
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let index = BlameIndex::at(dir.path());
        let entry = Entry::new("a.txt", ([1; 32], [2; 32]), &record(&[H1]), &rows);
        assert_eq!(entry.names.len(), 1, "each change once");
        index.save(&entry);
        let back = index.load("a.txt").unwrap();
        assert_eq!(back.rows().unwrap(), rows);
        assert!(index.load("b.txt").is_none());

        // The same changes plus one: appended. Another first change, or fewer: not.
        assert_eq!(back.appended(&record(&[H1, H2])).map(|n| n.len()), Some(1));
        assert_eq!(back.appended(&record(&[H1])).map(|n| n.len()), Some(0));
        assert!(back.appended(&record(&[H2, H1])).is_none());
        assert!(back.appended(&record(&[])).is_none());

        // A damaged entry is no entry.
        let path = index.entry_path("a.txt");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&path, &bytes).unwrap();
        assert!(index.load("a.txt").is_none());
        std::fs::write(&path, b"\xff\xff\xff\xff").unwrap();
        assert!(index.load("a.txt").is_none());
    }
}
