//! The commit → patch-id map: a commit's patch id never changes (it is a function of the
//! commit and its first parent), so each is computed once, in batches, and kept.
//!
//! In memory it lives as long as the driver (shared by its clones). With a cache directory it
//! is also kept in two files there:
//!
//! - [`CACHE_FILE`], the snapshot: a header, then entries, then the blake3 hash of all that.
//!   Written whole to a temporary file and renamed over the old one, so a reader sees the old
//!   map or the new one. A snapshot that does not check out (torn, truncated, edited, another
//!   version) is ignored, and the map is rebuilt by the next batch.
//! - [`JOURNAL_FILE`], where a record appends its one new entry (a few dozen bytes, no rewrite
//!   of the snapshot while `git commit` is being timed), and a small batch its few (the
//!   commits made since the last read). Each entry carries its own checksum; reading stops at
//!   the first one that does not check out. The next snapshot absorbs it; a journal of
//!   [`JOURNAL_FOLD`] entries or more is folded into the snapshot when the map is loaded.
//!
//! Both are caches: every failure to read or write them is ignored (a read-only store still
//! answers, at the cost of recomputing).
//!
//! A shallow clone's boundary commits (listed in `.git/shallow`) have a diff against nothing,
//! so their patch id changes when the clone is deepened. Their entries are flagged, and a
//! flagged entry whose commit is no longer a boundary is dropped at load.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use attrib_overlay::PatchId;

use super::sha::{from_hex, to_hex};

/// The snapshot's file name in the cache directory.
pub const CACHE_FILE: &str = "git-patch-ids.bin";
/// The journal's file name in the cache directory.
pub const JOURNAL_FILE: &str = "git-patch-ids.log";

const MAGIC: &[u8; 8] = b"agpid\x00\x00\x01";
const FLAG_SHALLOW: u8 = 1;
/// A journal this long is folded into the snapshot when the map is loaded.
const JOURNAL_FOLD: usize = 256;

/// One commit's patch id, and whether it was computed at a shallow boundary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub patch: PatchId,
    pub shallow: bool,
}

/// The map and where it is kept.
pub(crate) struct PatchMap {
    dir: Option<PathBuf>,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for PatchMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatchMap").field("dir", &self.dir).finish()
    }
}

/// The map itself, once loaded.
#[derive(Default)]
pub(crate) struct Inner {
    loaded: bool,
    ids: HashMap<String, Entry>,
}

impl Inner {
    pub(crate) fn get(&self, commit: &str) -> Option<&Entry> {
        self.ids.get(commit)
    }

    /// Every commit known to carry `patch`.
    pub(crate) fn commits_of<'a>(&'a self, patch: &'a PatchId) -> impl Iterator<Item = &'a str> {
        self.ids
            .iter()
            .filter(move |(_, e)| &e.patch == patch)
            .map(|(c, _)| c.as_str())
    }
}

impl PatchMap {
    /// A map kept in `dir` (if any).
    pub(crate) fn new(dir: Option<PathBuf>) -> Self {
        PatchMap {
            dir,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The map, loaded from the cache files on first use. `shallow` names the repository's
    /// shallow boundary commits now (see the module's note).
    pub(crate) fn lock(&self, shallow: &dyn Fn() -> HashSet<String>) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves a map that is still a valid cache.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if !inner.loaded {
            inner.loaded = true;
            if let Some(dir) = &self.dir {
                let (ids, journal_len) = load(dir, &shallow());
                // Entries inserted before the load (a record) are newer than the files.
                let mine = std::mem::replace(&mut inner.ids, ids);
                inner.ids.extend(mine);
                if journal_len >= JOURNAL_FOLD {
                    self.save(&inner);
                }
            }
        }
        inner
    }

    /// Adds the entries of a batch: a large one (against the map's size) rewrites the
    /// snapshot, a small one (the commits made since the last read) goes to the journal.
    pub(crate) fn insert_batch(&self, inner: &mut Inner, entries: Vec<(String, Entry)>) {
        if entries.is_empty() {
            return;
        }
        let small = entries.len() < JOURNAL_FOLD && entries.len() * 4 < inner.ids.len();
        if small {
            self.journal(&entries);
        }
        inner.ids.extend(entries);
        if !small {
            self.save(inner);
        }
    }

    /// Adds one entry (a commit just made) and appends it to the journal. Does not load the
    /// map from disk if nothing has yet.
    pub(crate) fn insert_one(&self, commit: String, entry: Entry) {
        let one = [(commit, entry)];
        self.journal(&one);
        let [(commit, entry)] = one;
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.ids.insert(commit, entry);
    }

    /// Appends `entries` to the journal (best effort).
    fn journal(&self, entries: &[(String, Entry)]) {
        let Some(dir) = &self.dir else { return };
        let mut bytes = Vec::new();
        for (commit, entry) in entries {
            if let Some(e) = encode_entry(commit, entry) {
                bytes.extend(journal_record(&e));
            }
        }
        let _ = append_journal(&dir.join(JOURNAL_FILE), &bytes);
    }

    /// Writes the snapshot (best effort) and empties the journal it now holds.
    fn save(&self, inner: &Inner) {
        let Some(dir) = &self.dir else { return };
        let bytes = encode_snapshot(&inner.ids);
        if write_atomically(&dir.join(CACHE_FILE), &bytes).is_ok() {
            let _ = fs::remove_file(dir.join(JOURNAL_FILE));
        }
    }
}

/// The map from the snapshot and the journal in `dir`, and the journal's length in entries.
fn load(dir: &Path, shallow: &HashSet<String>) -> (HashMap<String, Entry>, usize) {
    let mut ids = fs::read(dir.join(CACHE_FILE))
        .ok()
        .and_then(|b| decode_snapshot(&b))
        .unwrap_or_default();
    let journal = fs::read(dir.join(JOURNAL_FILE))
        .map(|b| decode_journal(&b))
        .unwrap_or_default();
    let journal_len = journal.len();
    ids.extend(journal);
    ids.retain(|commit, e| !e.shallow || shallow.contains(commit));
    (ids, journal_len)
}

/// `[flags][n][commit: n bytes][m][patch id: m bytes]`, ids as raw bytes. `None` for an id
/// that is not hex (never produced by this driver).
fn encode_entry(commit: &str, entry: &Entry) -> Option<Vec<u8>> {
    let c = from_hex(commit)?;
    let p = from_hex(entry.patch.as_str())?;
    let mut out = Vec::with_capacity(3 + c.len() + p.len());
    out.push(if entry.shallow { FLAG_SHALLOW } else { 0 });
    out.push(u8::try_from(c.len()).ok()?);
    out.extend_from_slice(&c);
    out.push(u8::try_from(p.len()).ok()?);
    out.extend_from_slice(&p);
    Some(out)
}

/// One entry from the front of `bytes`, and what it used up.
fn decode_entry(bytes: &[u8]) -> Option<((String, Entry), usize)> {
    let flags = *bytes.first()?;
    let n = usize::from(*bytes.get(1)?);
    let commit = bytes.get(2..2 + n)?;
    let m = usize::from(*bytes.get(2 + n)?);
    let patch = bytes.get(3 + n..3 + n + m)?;
    if flags & !FLAG_SHALLOW != 0 || n == 0 || m == 0 {
        return None;
    }
    let patch = PatchId::new(&to_hex(patch)).ok()?;
    let entry = Entry {
        patch,
        shallow: flags & FLAG_SHALLOW != 0,
    };
    Some(((to_hex(commit), entry), 3 + n + m))
}

pub(crate) fn encode_snapshot(ids: &HashMap<String, Entry>) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + ids.len() * 44 + 32);
    out.extend_from_slice(MAGIC);
    let mut sorted: Vec<(&String, &Entry)> = ids.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (commit, entry) in sorted {
        if let Some(bytes) = encode_entry(commit, entry) {
            out.extend_from_slice(&bytes);
        }
    }
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// The snapshot's entries, or `None` when it does not check out as a whole.
pub(crate) fn decode_snapshot(bytes: &[u8]) -> Option<HashMap<String, Entry>> {
    let body_len = bytes.len().checked_sub(32)?;
    let (body, sum) = bytes.split_at(body_len);
    if blake3::hash(body).as_bytes() != sum {
        return None;
    }
    let mut rest = body.strip_prefix(MAGIC.as_slice())?;
    let mut ids = HashMap::new();
    while !rest.is_empty() {
        let ((commit, entry), used) = decode_entry(rest)?;
        ids.insert(commit, entry);
        rest = &rest[used..];
    }
    Some(ids)
}

/// A journal record: the entry, then the first 4 bytes of its blake3 hash.
pub(crate) fn journal_record(entry_bytes: &[u8]) -> Vec<u8> {
    let mut out = entry_bytes.to_vec();
    out.extend_from_slice(&blake3::hash(entry_bytes).as_bytes()[..4]);
    out
}

/// The journal's entries up to the first that does not check out.
pub(crate) fn decode_journal(mut bytes: &[u8]) -> Vec<(String, Entry)> {
    let mut out = Vec::new();
    while let Some((item, used)) = decode_entry(bytes) {
        let Some(sum) = bytes.get(used..used + 4) else {
            break;
        };
        if &blake3::hash(&bytes[..used]).as_bytes()[..4] != sum {
            break;
        }
        out.push(item);
        bytes = &bytes[used + 4..];
    }
    out
}

fn append_journal(path: &Path, records: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    // One write call, so concurrent appenders do not interleave within a record.
    f.write_all(records)
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let written = fs::write(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(p: &str, shallow: bool) -> Entry {
        Entry {
            patch: PatchId::new(p).unwrap(),
            shallow,
        }
    }

    fn sample() -> HashMap<String, Entry> {
        let mut ids = HashMap::new();
        ids.insert("a".repeat(40), entry(&"b".repeat(40), false));
        ids.insert("c".repeat(64), entry(&"d".repeat(64), true));
        ids
    }

    #[test]
    fn a_snapshot_round_trips_and_damage_is_refused() {
        let ids = sample();
        let bytes = encode_snapshot(&ids);
        assert_eq!(decode_snapshot(&bytes), Some(ids));
        for cut in [0, 5, 8, 30, bytes.len() - 1] {
            assert_eq!(decode_snapshot(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[12] ^= 1;
        assert_eq!(decode_snapshot(&flipped), None);
        assert_eq!(
            decode_snapshot(&encode_snapshot(&HashMap::new())),
            Some(HashMap::new())
        );
    }

    #[test]
    fn a_journal_is_read_up_to_its_first_bad_record() {
        let e1 = encode_entry(&"a".repeat(40), &entry(&"b".repeat(40), false)).unwrap();
        let e2 = encode_entry(&"c".repeat(40), &entry(&"d".repeat(40), false)).unwrap();
        let mut bytes = journal_record(&e1);
        bytes.extend(journal_record(&e2));
        assert_eq!(decode_journal(&bytes).len(), 2);
        assert_eq!(decode_journal(&bytes[..bytes.len() - 1]).len(), 1);
        let mut bad = bytes.clone();
        bad[3] ^= 1;
        assert_eq!(decode_journal(&bad).len(), 0);
    }

    #[test]
    fn files_are_loaded_and_shallow_entries_expire() {
        let dir = tempfile::tempdir().unwrap();
        let map = PatchMap::new(Some(dir.path().to_path_buf()));
        let mut ids = sample();
        {
            let mut inner = map.lock(&HashSet::new);
            map.insert_batch(&mut inner, ids.clone().into_iter().collect());
        }
        map.insert_one("e".repeat(40), entry(&"f".repeat(40), false));
        assert!(dir.path().join(JOURNAL_FILE).exists());

        // Still a shallow boundary: the flagged entry stays.
        let again = PatchMap::new(Some(dir.path().to_path_buf()));
        let boundary: HashSet<String> = ["c".repeat(64)].into_iter().collect();
        let inner = again.lock(&|| boundary.clone());
        ids.insert("e".repeat(40), entry(&"f".repeat(40), false));
        assert_eq!(inner.ids, ids);
        drop(inner);

        // Deepened: it goes.
        let deepened = PatchMap::new(Some(dir.path().to_path_buf()));
        let inner = deepened.lock(&HashSet::new);
        assert_eq!(inner.ids.len(), 2);
        assert!(inner.get(&"c".repeat(64)).is_none());
    }

    #[test]
    fn a_small_batch_goes_to_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let map = PatchMap::new(Some(dir.path().to_path_buf()));
        let many: Vec<(String, Entry)> = (0..20u8)
            .map(|i| (to_hex(&[i; 20]), entry(&to_hex(&[i ^ 0xff; 20]), false)))
            .collect();
        let mut inner = map.lock(&HashSet::new);
        map.insert_batch(&mut inner, many);
        let snapshot = fs::read(dir.path().join(CACHE_FILE)).unwrap();
        assert!(!dir.path().join(JOURNAL_FILE).exists());
        map.insert_batch(
            &mut inner,
            vec![("e".repeat(40), entry(&"f".repeat(40), false))],
        );
        drop(inner);
        assert_eq!(fs::read(dir.path().join(CACHE_FILE)).unwrap(), snapshot);
        assert!(dir.path().join(JOURNAL_FILE).exists());
        let again = PatchMap::new(Some(dir.path().to_path_buf()));
        assert_eq!(again.lock(&HashSet::new).ids.len(), 21);
    }

    #[test]
    fn a_damaged_snapshot_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CACHE_FILE), b"not a snapshot at all").unwrap();
        let map = PatchMap::new(Some(dir.path().to_path_buf()));
        assert!(map.lock(&HashSet::new).ids.is_empty());
    }
}
