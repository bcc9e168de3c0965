//! The tracker: what attrib remembers about a repository's channels between commands, so that
//! every command can reconcile first and an unchanged channel costs one cheap check.
//!
//! Three levels of check, cheapest first:
//! 1. **Unchanged**: a fingerprint of the pristine's root pages (its first 64 KiB: Sanakirja
//!    writes a new root on every commit, and Pijul commits whenever a channel, the current
//!    channel or the tracked tree changes) equals the one taken at the last scan. No process
//!    runs.
//! 2. **Same state**: the fingerprint moved (something was committed), but the channel's
//!    Merkle state is the one seen last: one short `pijul log --state --limit 2` (and
//!    `pijul channel` only when the state moved). After a wrapped record, the same call checks
//!    that the channel is exactly the last state plus the recorded change.
//! 3. **Rescan**: one `pijul log --state --description` of the channel, then
//!    [`Seen::reconcile`] says what happened.
//!
//! Invariant kept here: the fingerprint is read *before* Pijul is asked anything, so a commit
//! that lands during the scan changes the fingerprint after the one stored, and the next command
//! rescans. A stale "unchanged" is impossible; a needless rescan is harmless.
//!
//! The file is a cache of the VCS plus one thing the VCS forgets: which changes left the channel
//! (and their messages). It is written atomically; a damaged file is rebuilt from the channel,
//! losing only that off-channel memory (the attestations themselves live in the overlay store).

mod file;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use attrib_overlay::PatchId;
use serde::{Deserialize, Serialize};

use crate::error::VcsError;
use crate::pijul::ChangeInfo;
use crate::reconcile::{Event, Hint, Seen};
use crate::vcs::Vcs;
use file::{BinaryStamp, Body};

/// The tracker's file name inside attrib's directory of the repository.
pub const TRACKER_FILE: &str = "channels.bin";
/// How much of the pristine the fingerprint covers: its root pages and then some.
const FINGERPRINT_BYTES: usize = 64 * 1024;
/// At most this many wrapped records are confirmed by one short log call; more, and the next
/// scan reads the channel.
const MAX_CONFIRMED: usize = 64;

/// How much work a scan needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// The pristine's fingerprint was the one of the last scan: nothing ran.
    Unchanged,
    /// Something was committed, but the channel's state is the one seen last.
    SameState,
    /// The channel was read again and reconciled.
    Rescanned,
}

/// The result of [`Tracker::scan`].
#[derive(Clone, Debug)]
pub struct Scan {
    /// How the tracker knew the channel's state: unchanged by a cheap check, or read again.
    pub freshness: Freshness,
    /// What happened since the last scan, in [`Seen::reconcile`]'s order.
    pub events: Vec<Event>,
    /// The Pijul metadata (with descriptions) of every change an event names as new on the
    /// channel, so a caller can read trailers without asking Pijul again.
    pub arrivals: HashMap<PatchId, ChangeInfo>,
}

/// One channel as last seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelRecord {
    /// The state after its latest change at the last scan; `None` when unknown (never scanned,
    /// or changed by a wrapped command since).
    pub state: Option<String>,
    /// Its changes in channel order, oldest first (descriptions are not kept).
    pub changes: Vec<ChangeInfo>,
    /// Changes that left it (unrecorded, or amended away), with what was known of them.
    pub off_channel: Vec<ChangeInfo>,
    /// After wrapped records: the last state read and the changes recorded on top of it since,
    /// oldest first, so the next scan can confirm the new state cheaply instead of reading the
    /// whole channel.
    pub recorded_on: Option<(String, Vec<PatchId>)>,
    /// Changes a wrapped record noted whose header (authors, timestamp) has not been read yet:
    /// reading it would put a second `pijul` process on every record. The next full read of
    /// the channel fills them in, or [`Tracker::read_headers`] when a command shows them.
    pub pending: Vec<PendingHeader>,
}

/// A change whose header is not known yet, and when Pijul took its timestamp.
///
/// Pijul stamps a change while `pijul record` runs, so its timestamp lies between the moment
/// attrib started the process and the moment it exited. That window is enough to recognise a
/// plain `pijul record --amend` of the change before its header was ever read: an amend keeps
/// the timestamp, and no other change can be stamped inside the window of a record that held
/// the pristine's lock the whole time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingHeader {
    /// The change recorded.
    pub hash: PatchId,
    /// Milliseconds since the Unix epoch, before the record started (rounded down)…
    pub from_ms: u64,
    /// …and after it ended (rounded up).
    pub to_ms: u64,
}

impl ChannelRecord {
    fn seen(&self) -> Seen {
        Seen {
            state: self.state.clone(),
            on_channel: self.changes.iter().map(|c| c.hash.clone()).collect(),
            off_channel: self.off_channel.iter().map(|c| c.hash.clone()).collect(),
            stamps: self
                .changes
                .iter()
                .filter(|c| !c.timestamp.is_empty())
                .map(|c| (c.hash.clone(), c.stamp()))
                .collect(),
        }
    }

    /// The change's position in channel order (oldest first), for every change on the channel.
    pub fn positions(&self) -> HashMap<PatchId, usize> {
        self.changes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.hash.clone(), i))
            .collect()
    }

    /// What is known of `hash`, on the channel or off it.
    pub fn info(&self, hash: &PatchId) -> Option<&ChangeInfo> {
        self.changes
            .iter()
            .chain(&self.off_channel)
            .find(|c| &c.hash == hash)
    }
}

/// The tracker of one repository. Load it, [`scan`](Tracker::scan), read the channel, save it.
#[derive(Debug)]
pub struct Tracker {
    path: PathBuf,
    fingerprint: Option<[u8; 32]>,
    current: Option<String>,
    channels: Body,
    checked_binary: Option<BinaryStamp>,
    /// Something worth keeping changed since the load (more than the fingerprint).
    learned: bool,
    /// Anything changed since the load.
    dirty: bool,
    /// The file saved without the fingerprint, which [`Tracker::note_pristine`] writes into
    /// it (and only into it: another command may have replaced the file since).
    fingerprint_owed: Option<file::FileId>,
    /// The file existed but could not be read, and was started afresh.
    rebuilt: bool,
}

impl Tracker {
    /// Loads the tracker kept at `path` (missing: an empty one; unreadable or from another
    /// format: an empty one, with [`Tracker::rebuilt`] set).
    pub fn load(path: &Path) -> Result<Tracker, VcsError> {
        let mut tracker = Tracker {
            path: path.to_path_buf(),
            fingerprint: None,
            current: None,
            channels: Body::empty(),
            checked_binary: None,
            learned: false,
            dirty: false,
            fingerprint_owed: None,
            rebuilt: false,
        };
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(tracker),
            Err(e) => return Err(io_error(path, "read", e)),
        };
        match file::parse(&bytes) {
            Some(loaded) => {
                tracker.fingerprint = loaded.fingerprint;
                tracker.current = loaded.head.current;
                tracker.checked_binary = loaded.head.checked_binary;
                tracker.channels = loaded.body;
                tracker.dirty = loaded.upgraded;
                tracker.learned = loaded.upgraded;
            }
            None => {
                tracker.rebuilt = true;
                tracker.dirty = true;
            }
        }
        Ok(tracker)
    }

    /// True when the file existed but was damaged or of another format, and was started
    /// afresh: changes unrecorded before now are no longer known as off-channel.
    pub fn rebuilt(&self) -> bool {
        self.rebuilt || self.channels.undecodable()
    }

    /// The store's fingerprint ([`Vcs::fingerprint`]) taken before the current channel's
    /// record was last brought up to date; `None` when unknown (a record noted by a wrapped
    /// command and not confirmed since). Equal to the fingerprint now, it says the record
    /// still describes the channel: nothing was committed since it was read.
    pub fn fingerprint(&self) -> Option<[u8; 32]> {
        self.fingerprint
    }

    /// The current channel's name and record, as of the last scan.
    pub fn current(&self) -> Option<(&str, &ChannelRecord)> {
        let name = self.current.as_deref()?;
        Some((name, self.channels.get().get(name)?))
    }

    /// Brings the tracker up to date with the repository's current channel and says what
    /// happened. `hints` are what a wrapped command knows first-hand; with hints, the channel is
    /// always read again.
    pub fn scan(&mut self, pijul: &dyn Vcs, hints: &[Hint]) -> Result<Scan, VcsError> {
        // Read before asking Pijul anything: see the module's invariant.
        let fingerprint = pijul.fingerprint();
        let unchanged = Scan {
            freshness: Freshness::Unchanged,
            events: Vec::new(),
            arrivals: HashMap::new(),
        };
        // Not `self.current()`: that would decode the body, which this check never needs. A
        // current channel always has its record (both are written together, under one
        // checksum).
        if hints.is_empty()
            && fingerprint.is_some()
            && fingerprint == self.fingerprint
            && self.current.is_some()
        {
            return Ok(unchanged);
        }
        if hints.is_empty() {
            // The state of the channel that was current, checked before asking which channel
            // is current now: equal states mean equal changes, whatever the channel's name.
            if let Some(last) = self.current.clone() {
                let appended = self
                    .channels
                    .get()
                    .get(&last)
                    .and_then(|r| r.recorded_on.as_ref())
                    .map_or(0, |(_, hashes)| hashes.len());
                let top = pijul.top(appended + 1)?;
                let state = top.first().and_then(|(_, s)| s.clone());
                let adopt = match self.channels.get().get(&last) {
                    Some(record) if state.is_some() && state == record.state => {
                        self.remember_position(fingerprint, last);
                        return Ok(Scan {
                            freshness: Freshness::SameState,
                            ..unchanged
                        });
                    }
                    // After wrapped records: the channel is exactly the last state read plus
                    // the recorded changes, so the new state can be adopted as it is.
                    Some(ChannelRecord {
                        recorded_on: Some((before, hashes)),
                        ..
                    }) => {
                        let on_top: Vec<&PatchId> =
                            top.iter().take(hashes.len()).map(|(h, _)| h).collect();
                        let mut expected: Vec<&PatchId> = hashes.iter().collect();
                        expected.reverse();
                        let base = top.get(hashes.len()).and_then(|(_, s)| s.as_ref());
                        on_top == expected && base == Some(before) && state.is_some()
                    }
                    _ => false,
                };
                if adopt {
                    if let Some(record) = self.channels.get_mut().get_mut(&last) {
                        record.state = state;
                        record.recorded_on = None;
                    }
                    self.learned = true;
                    self.remember_position(fingerprint, last);
                    return Ok(Scan {
                        freshness: Freshness::SameState,
                        ..unchanged
                    });
                }
            }
        }
        let name = pijul.current_channel()?;

        let log = pijul.channel_log()?;
        let record = self.channels.get_mut().entry(name.clone()).or_default();
        let mut seen = record.seen();
        stamp_departed_pending(&mut seen, record, &log.changes);
        let events = seen.reconcile(&log.observation(), hints);

        let mut arrivals = HashMap::new();
        for event in &events {
            let new = match event {
                Event::Recorded { hash } | Event::Appeared { hash } | Event::Returned { hash } => {
                    hash
                }
                Event::Amended { new, .. } => new,
                Event::Unrecorded { .. } => continue,
            };
            if let Some(info) = log.changes.iter().find(|c| &c.hash == new) {
                arrivals.insert(new.clone(), info.clone());
            }
        }

        // What left the channel keeps the metadata it had when it was last on it.
        let mut known: HashMap<PatchId, ChangeInfo> = record
            .changes
            .drain(..)
            .chain(record.off_channel.drain(..))
            .map(|c| (c.hash.clone(), c))
            .collect();
        let off: BTreeSet<&PatchId> = seen.off_channel.iter().collect();
        record.off_channel = off
            .into_iter()
            .map(|h| {
                known
                    .remove(h)
                    .unwrap_or_else(|| ChangeInfo::unknown(h.clone(), ""))
            })
            .collect();
        record.changes = log
            .changes
            .into_iter()
            .map(|mut c| {
                c.description = None;
                c
            })
            .collect();
        record.state = log.state;
        record.recorded_on = None;
        // Every change on the channel now has its header from the log.
        record.pending.clear();
        if !events.is_empty() {
            self.learned = true;
        }
        self.remember_position(fingerprint, name);
        Ok(Scan {
            freshness: Freshness::Rescanned,
            events,
            arrivals,
        })
    }

    fn remember_position(&mut self, fingerprint: Option<[u8; 32]>, channel: String) {
        if self.current.as_deref() != Some(channel.as_str()) {
            self.learned = true;
        }
        self.fingerprint = fingerprint;
        self.current = Some(channel);
        self.dirty = true;
    }

    /// Notes a change a wrapped command just recorded on the current channel, without reading
    /// the channel again (that would cost a full log). `window` is when the record ran, in ms
    /// since the epoch (see [`PendingHeader`]). Once the recording process has exited, call
    /// [`Tracker::note_pristine`]: the fingerprint it takes then stands for "the scanned
    /// channel plus this change", so the next command sees nothing new; when the pristine moves
    /// again, one short call confirms the channel is the old state plus this change.
    ///
    /// The change's header is not read here. An amend keeps the authors and timestamp of the
    /// change it replaces, so the new change takes them from it when they are known; otherwise
    /// the header is pending until the next full read or [`Tracker::read_headers`].
    ///
    /// The caller must have scanned in this same command, just before recording.
    pub fn note_recorded(
        &mut self,
        hash: PatchId,
        message: &str,
        window: (u64, u64),
        replaced: Option<&PatchId>,
    ) {
        let Some(name) = self.current.clone() else {
            return;
        };
        let record = self.channels.get_mut().entry(name).or_default();
        let mut change = ChangeInfo::unknown(hash.clone(), message);
        let mut pending = Some(PendingHeader {
            hash: hash.clone(),
            from_ms: window.0,
            to_ms: window.1,
        });
        if let Some(old) = replaced {
            if let Some(i) = record.changes.iter().position(|c| &c.hash == old) {
                let gone = record.changes.remove(i);
                if let Some(i) = record.pending.iter().position(|p| &p.hash == old) {
                    // Pijul keeps the old timestamp: the old record's window is the new one's.
                    pending = Some(PendingHeader {
                        hash: hash.clone(),
                        ..record.pending.remove(i)
                    });
                } else if !gone.timestamp.is_empty() {
                    change.authors = gone.authors.clone();
                    change.timestamp = gone.timestamp.clone();
                    change.timestamp_ms = gone.timestamp_ms;
                    pending = None;
                }
                if !record.off_channel.iter().any(|c| &c.hash == old) {
                    record.off_channel.push(gone);
                }
            }
        }
        if let Some(p) = pending {
            // Until the header is read, the end of the window stands for the change's time.
            change.timestamp_ms = change.timestamp_ms.or(Some(p.to_ms));
            record.pending.retain(|q| q.hash != p.hash);
            record.pending.push(p);
        }
        record.recorded_on = match (record.recorded_on.take(), &record.state, replaced) {
            // An amend also removed a change: only a full read can confirm that.
            (_, _, Some(_)) => None,
            (Some((before, mut hashes)), _, None) if hashes.len() < MAX_CONFIRMED => {
                hashes.push(hash.clone());
                Some((before, hashes))
            }
            (None, Some(before), None) => Some((before.clone(), vec![hash.clone()])),
            _ => None,
        };
        if !record.changes.iter().any(|c| c.hash == hash) {
            record.changes.push(change);
        }
        record.state = None;
        // Unknown until `note_pristine`: until then, the next scan asks Pijul.
        self.fingerprint = None;
        // A cache entry the next scan can rebuild: not worth an fsync on the record path.
        self.dirty = true;
    }

    /// Saves everything but the pristine's fingerprint now, while the process that records
    /// is still committing: [`Tracker::note_pristine`] then only writes the fingerprint, in
    /// place. Until it does, the file holds no fingerprint, so a command that reads it in
    /// between (or after a recording process that failed) asks Pijul, as after any change.
    pub fn save_before_pristine(&mut self) -> Result<(), VcsError> {
        self.fingerprint = None;
        self.dirty = true;
        self.fingerprint_owed = self.write()?;
        Ok(())
    }

    /// Takes the store's fingerprint after a [`Tracker::note_recorded`], once the process
    /// that recorded has exited. After a
    /// [`Tracker::save_before_pristine`] with nothing changed since, the fingerprint is
    /// written into the file at once; otherwise the next [`Tracker::save`] writes it.
    pub fn note_pristine(&mut self, vcs: &dyn Vcs) -> Result<(), VcsError> {
        self.fingerprint = vcs.fingerprint();
        if let (Some(saved), false, Some(fingerprint)) =
            (self.fingerprint_owed.take(), self.dirty, &self.fingerprint)
        {
            if file::write_fingerprint(&self.path, saved, fingerprint)? {
                return Ok(());
            }
        }
        self.dirty = true;
        Ok(())
    }

    /// Reads the headers (authors, timestamp) that wrapped records left pending on the current
    /// channel, for a command about to show them: one short `pijul log --limit N` over the
    /// newest changes, and nothing at all when none is pending.
    pub fn read_headers(&mut self, pijul: &dyn Vcs) -> Result<(), VcsError> {
        let Some(name) = self.current.clone() else {
            return Ok(());
        };
        let Some(record) = self.channels.get_mut().get_mut(&name) else {
            return Ok(());
        };
        let Some(oldest) = record
            .changes
            .iter()
            .position(|c| record.pending.iter().any(|p| p.hash == c.hash))
        else {
            record.pending.clear();
            return Ok(());
        };
        let newest = pijul.newest(record.changes.len() - oldest)?;
        for mut info in newest {
            if let Some(i) = record.pending.iter().position(|p| p.hash == info.hash) {
                record.pending.remove(i);
                info.description = None;
                if let Some(c) = record.changes.iter_mut().find(|c| c.hash == info.hash) {
                    *c = info;
                }
            }
        }
        self.learned = true;
        self.dirty = true;
        Ok(())
    }

    /// Checks the binary's version once per installed binary: the answer is remembered against
    /// the file's path, size and modification time, so later commands spawn nothing for it.
    pub fn check_version(&mut self, pijul: &dyn Vcs) -> Result<String, VcsError> {
        let stamp = binary_identity(pijul.binary_os());
        if let (Some((path, len, modified_ns)), Some(known)) = (&stamp, &self.checked_binary) {
            if &known.path == path && known.len == *len && known.modified_ns == *modified_ns {
                return Ok(known.version.clone());
            }
        }
        let version = pijul.check_version()?;
        if let Some((path, len, modified_ns)) = stamp {
            self.checked_binary = Some(BinaryStamp {
                path,
                len,
                modified_ns,
                version: version.clone(),
            });
            self.dirty = true;
        }
        Ok(version)
    }

    /// True when the tracker learned something since it was loaded (events, a new channel)
    /// that only a save keeps: if saving fails, the next command learns it again. A tracker
    /// that only moved its fingerprint has nothing to lose.
    pub fn learned(&self) -> bool {
        self.learned
    }

    /// Writes the tracker if anything changed. It is a cache, so a write that only moved the
    /// fingerprint is not synced to disk; one that learned something (events, a new channel)
    /// is.
    pub fn save(&mut self) -> Result<(), VcsError> {
        self.write().map(drop)
    }

    /// [`Tracker::save`], returning which file it wrote (`None`: nothing to write).
    fn write(&mut self) -> Result<Option<file::FileId>, VcsError> {
        if !self.dirty {
            return Ok(None);
        }
        let body = self.channels.bytes()?;
        let bytes = file::encode(self.fingerprint, &self.current, &self.checked_binary, body)?;
        let written = file::write_replacing(&self.path, &bytes, self.learned)?;
        self.dirty = false;
        self.learned = false;
        Ok(Some(written))
    }
}

/// Gives each pending change that left the channel the stamp of the change that arrived with a
/// timestamp inside its record's window: that arrival is its amend (see [`PendingHeader`]).
fn stamp_departed_pending(seen: &mut Seen, record: &ChannelRecord, now: &[ChangeInfo]) {
    for p in &record.pending {
        if now.iter().any(|c| c.hash == p.hash) {
            continue;
        }
        let mut inside = now.iter().filter(|c| {
            c.timestamp_ms.is_some_and(|t| {
                // git stamps whole seconds: a stamp without milliseconds stands for the whole
                // second it names, which may have begun before the record did.
                let from = if t % 1000 == 0 {
                    p.from_ms / 1000 * 1000
                } else {
                    p.from_ms
                };
                (from..=p.to_ms).contains(&t)
            }) && !seen.on_channel.contains(&c.hash)
        });
        if let (Some(amend), None) = (inside.next(), inside.next()) {
            seen.stamps.insert(p.hash.clone(), amend.stamp());
        }
    }
}

/// blake3 of the pristine's length and first 64 KiB (`FINGERPRINT_BYTES`); `None` when there
/// is no readable pristine (a fork with another layout), which makes every scan ask the VCS.
///
/// `dot` is the repository's metadata directory (`.pijul`, or Atomic's `.atomic`).
pub fn pristine_fingerprint(dot: &Path) -> Option<[u8; 32]> {
    let path = dot.join("pristine").join("db");
    let mut f = fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut head = vec![0u8; FINGERPRINT_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        match f.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(&len.to_le_bytes());
    hasher.update(&head[..filled]);
    Some(*hasher.finalize().as_bytes())
}

/// The resolved path, size and modification time of the binary `bin` names (looked up on
/// `PATH` unless it contains a slash).
fn binary_identity(bin: &std::ffi::OsStr) -> Option<(PathBuf, u64, u128)> {
    let named = Path::new(bin);
    let path = if named.components().count() > 1 {
        named.to_path_buf()
    } else {
        std::env::split_paths(&std::env::var_os("PATH")?)
            .map(|dir| dir.join(named))
            .find(|p| p.is_file())?
    };
    let meta = fs::metadata(&path).ok()?;
    let modified_ns = meta
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((path, meta.len(), modified_ns))
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> VcsError {
    VcsError::Io {
        what: format!("{what} {}", path.display()),
        cause: e,
    }
}

/// A tracker file's bytes read as [`Tracker::load`] reads them, the body decoded too; `None`
/// for a damaged file. For the fuzz target (`fuzz/`); not an API.
#[doc(hidden)]
pub fn parse_file(bytes: &[u8]) -> Option<(Option<String>, BTreeMap<String, ChannelRecord>)> {
    file::parse(bytes).map(|l| (l.head.current, l.body.get().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pijul::parse_timestamp_ms;

    fn change(n: u8, ts: &str) -> ChangeInfo {
        let c = (b'B' + n) as char;
        ChangeInfo {
            hash: PatchId::new(&format!("{}C", c.to_string().repeat(52))).unwrap(),
            message: format!("change {n}"),
            authors: vec!["Ada (ada) <ada@example.org>".into()],
            timestamp: ts.to_string(),
            timestamp_ms: parse_timestamp_ms(ts),
            description: None,
        }
    }

    #[test]
    fn the_file_round_trips_and_a_damaged_one_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TRACKER_FILE);
        let mut t = Tracker::load(&path).unwrap();
        assert!(!t.rebuilt() && t.current().is_none());
        t.current = Some("main".into());
        t.fingerprint = Some([7; 32]);
        t.channels.get_mut().insert(
            "main".into(),
            ChannelRecord {
                state: Some("STATE".into()),
                changes: vec![change(1, "2025-01-01T00:00:00Z")],
                off_channel: vec![change(2, "2025-01-02T00:00:00Z")],
                recorded_on: Some(("BEFORE".into(), vec![change(3, "").hash])),
                pending: vec![PendingHeader {
                    hash: change(3, "").hash,
                    from_ms: 5,
                    to_ms: 9,
                }],
            },
        );
        t.dirty = true;
        t.save().unwrap();

        let back = Tracker::load(&path).unwrap();
        let (name, record) = back.current().unwrap();
        assert_eq!(name, "main");
        assert_eq!(record, t.channels.get().get("main").unwrap());
        assert_eq!(back.fingerprint, Some([7; 32]));
        let seen = record.seen();
        assert_eq!(seen.on_channel.len(), 1);
        assert_eq!(seen.off_channel.len(), 1);
        assert_eq!(seen.stamps.len(), 1);

        fs::write(&path, b"\xffnot a tracker").unwrap();
        let damaged = Tracker::load(&path).unwrap();
        assert!(damaged.rebuilt() && damaged.current().is_none());
    }

    fn tracker_with(dir: &Path, changes: Vec<ChangeInfo>) -> Tracker {
        let mut t = Tracker::load(&dir.join(TRACKER_FILE)).unwrap();
        t.current = Some("main".into());
        t.channels.get_mut().insert(
            "main".into(),
            ChannelRecord {
                state: Some("S".into()),
                changes,
                ..ChannelRecord::default()
            },
        );
        t.fingerprint = Some([1; 32]);
        t
    }

    #[test]
    fn a_noted_record_is_on_the_channel_with_its_header_pending() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = tracker_with(dir.path(), vec![change(1, "2025-01-01T00:00:00Z")]);
        let new = change(3, "").hash;
        t.note_recorded(new.clone(), "fresh", (100, 200), None);
        let (_, record) = t.current().unwrap();
        assert_eq!(record.state, None);
        // Unknown until `note_pristine`, once the recording process has exited.
        assert_eq!(t.fingerprint, None);
        assert_eq!(record.recorded_on, Some(("S".into(), vec![new.clone()])));
        let noted = &record.changes[1];
        assert_eq!(
            (noted.message.as_str(), noted.timestamp_ms),
            ("fresh", Some(200))
        );
        assert!(noted.authors.is_empty() && noted.timestamp.is_empty());
        assert_eq!(
            record.pending,
            [PendingHeader {
                hash: new,
                from_ms: 100,
                to_ms: 200
            }]
        );
        // An unknown header has no stamp of its own.
        assert_eq!(record.seen().stamps.len(), 1);
    }

    #[test]
    fn a_record_saves_before_the_pristine_and_adds_its_fingerprint_after() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join(".pijul/pristine/db");
        fs::create_dir_all(db.parent().unwrap()).unwrap();
        fs::write(&db, b"before the record").unwrap();
        let mut t = tracker_with(dir.path(), vec![change(1, "2025-01-01T00:00:00Z")]);
        t.dirty = true;
        t.save().unwrap();

        let new = change(3, "").hash;
        t.note_recorded(new.clone(), "fresh", (100, 200), None);
        t.save_before_pristine().unwrap();
        // Meanwhile the file has the change and no fingerprint: a reader asks Pijul.
        let between = Tracker::load(&t.path).unwrap();
        assert_eq!(between.fingerprint, None);
        assert_eq!(between.current().unwrap().1.changes.len(), 2);

        fs::write(&db, b"after the record").unwrap();
        t.note_pristine(&crate::Pijul::new(dir.path())).unwrap();
        assert!(!t.dirty, "written in place, nothing left to save");
        let after = Tracker::load(&t.path).unwrap();
        assert_eq!(
            after.fingerprint,
            pristine_fingerprint(&dir.path().join(".pijul"))
        );
        assert!(after.fingerprint.is_some());
        assert_eq!(after.current(), t.current());

        // Changed again in between: the fingerprint waits for the next full save.
        t.note_recorded(change(4, "").hash, "more", (300, 400), None);
        t.save_before_pristine().unwrap();
        t.note_recorded(change(5, "").hash, "and more", (500, 600), None);
        t.note_pristine(&crate::Pijul::new(dir.path())).unwrap();
        assert!(t.dirty);
        t.save().unwrap();
        let last = Tracker::load(&t.path).unwrap();
        assert_eq!(
            last.fingerprint,
            pristine_fingerprint(&dir.path().join(".pijul"))
        );
        assert_eq!(last.current().unwrap().1.changes.len(), 4);

        // Another command replaced the file in between: the fingerprint is not written into
        // its file, and this tracker saves its own whole at the next save.
        t.note_recorded(change(6, "").hash, "raced", (700, 800), None);
        t.save_before_pristine().unwrap();
        let mut other = Tracker::load(&t.path).unwrap();
        other.fingerprint = Some([9; 32]);
        other.dirty = true;
        other.save().unwrap();
        t.note_pristine(&crate::Pijul::new(dir.path())).unwrap();
        assert!(t.dirty);
        assert_eq!(Tracker::load(&t.path).unwrap().fingerprint, Some([9; 32]));
        t.save().unwrap();
        assert_eq!(
            Tracker::load(&t.path).unwrap().fingerprint,
            pristine_fingerprint(&dir.path().join(".pijul"))
        );
    }

    #[test]
    fn a_wrapped_amend_takes_the_replaced_header_or_its_window() {
        let dir = tempfile::tempdir().unwrap();
        let old = change(1, "2025-01-01T00:00:00Z");
        let mut t = tracker_with(dir.path(), vec![old.clone()]);
        let new = change(3, "").hash;
        t.note_recorded(new.clone(), "amended", (100, 200), Some(&old.hash));
        let (_, record) = t.current().unwrap();
        // An amend cannot be confirmed by the short check.
        assert_eq!(record.recorded_on, None);
        assert_eq!(record.changes.len(), 1);
        let amended = &record.changes[0];
        assert_eq!(amended.hash, new);
        assert_eq!(amended.message, "amended");
        // Pijul keeps the amended change's authors and timestamp: nothing is pending.
        assert_eq!(amended.stamp(), old.stamp());
        assert!(record.pending.is_empty());
        assert_eq!(record.off_channel[0].hash, old.hash);

        // Amending a change whose header is still pending carries its window over.
        let newer = change(4, "").hash;
        t.note_recorded(newer.clone(), "again", (300, 400), None);
        let newest = change(5, "").hash;
        t.note_recorded(newest.clone(), "re", (500, 600), Some(&newer));
        let (_, record) = t.current().unwrap();
        assert_eq!(
            record.pending,
            [PendingHeader {
                hash: newest,
                from_ms: 300,
                to_ms: 400
            }]
        );
    }

    #[test]
    fn a_pending_change_that_left_is_stamped_by_the_arrival_inside_its_window() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = tracker_with(dir.path(), vec![change(1, "2025-01-01T00:00:00Z")]);
        let noted = change(3, "").hash;
        // 2025-01-01T00:00:01.5Z is 1735689601500 ms.
        t.note_recorded(noted.clone(), "m", (1735689601400, 1735689601600), None);
        let (_, record) = t.current().unwrap();
        let amend = change(4, "2025-01-01T00:00:01.5Z");
        let later = change(5, "2025-01-01T00:00:02Z");
        let now = vec![record.changes[0].clone(), amend.clone(), later];
        let mut seen = record.seen();
        stamp_departed_pending(&mut seen, record, &now);
        assert_eq!(seen.stamps.get(&noted), Some(&amend.stamp()));

        // Two arrivals inside the window: no guess.
        let twin = change(6, "2025-01-01T00:00:01.45Z");
        let mut seen = record.seen();
        stamp_departed_pending(&mut seen, record, &[amend, twin]);
        assert!(!seen.stamps.contains_key(&noted));
    }

    #[test]
    fn the_fingerprint_follows_the_pristine() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(pristine_fingerprint(&dir.path().join(".pijul")), None);
        let db = dir.path().join(".pijul/pristine/db");
        fs::create_dir_all(db.parent().unwrap()).unwrap();
        fs::write(&db, vec![0u8; 100_000]).unwrap();
        let a = pristine_fingerprint(&dir.path().join(".pijul")).unwrap();
        assert_eq!(pristine_fingerprint(&dir.path().join(".pijul")), Some(a));
        let mut bytes = vec![0u8; 100_000];
        bytes[4096] = 1;
        fs::write(&db, &bytes).unwrap();
        assert_ne!(pristine_fingerprint(&dir.path().join(".pijul")), Some(a));
    }
}
