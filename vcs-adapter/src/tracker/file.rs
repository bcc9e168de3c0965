//! The tracker's file: a fixed header, then the *head* (which channel is current, which binary
//! was checked), then the *body* (every channel's changes).
//!
//! | bytes   | what                                                        |
//! |---------|-------------------------------------------------------------|
//! | 0..4    | [`FORMAT`], u32 little-endian                               |
//! | 4       | 1 when a pristine fingerprint follows, else 0               |
//! | 5..37   | the pristine fingerprint (zeros without one)                |
//! | 37..69  | blake3 of every byte from 69 on                             |
//! | 69..    | postcard: the head, then the body                           |
//!
//! Why this shape:
//! - The cheap check (is the pristine unchanged?) needs the header and the head only. The body
//!   is the bulk (about 80 KB and a millisecond to decode for 1,000 changes), so [`Body`]
//!   decodes it on first use, and a save that changed only the head writes its bytes back as
//!   they were read.
//! - The checksum tells a damaged file from a good one at load, without decoding the body: a
//!   body that passes it was written by this code, so it decodes.
//! - The fingerprint has a fixed place and is outside the checksum: a wrapped record encodes
//!   the body while Pijul is still running, and adds the fingerprint once Pijul has exited.
//!
//! Files of the previous format (4: one postcard struct, decoded whole) are read and written
//! back in this one.

use std::cell::{Cell, OnceCell};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use attrib_overlay::PatchId;
use serde::{Deserialize, Serialize};

use super::{ChannelRecord, PendingHeader, TRACKER_FILE};
use crate::error::VcsError;
use crate::pijul::{parse_timestamp_ms, ChangeInfo};

/// Bumped whenever the layout or the encoding of the head or the body changes.
const FORMAT: u32 = 5;
/// The format before the fixed header; still read.
const LEGACY_FORMAT: u32 = 4;
const HEADER_LEN: usize = 4 + 1 + 32 + 32;

/// The identity of a binary whose version was checked: a replaced binary is checked again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct BinaryStamp {
    pub path: PathBuf,
    pub len: u64,
    pub modified_ns: u128,
    pub version: String,
}

/// Which channel is current and which binary was checked.
#[derive(Default, Serialize, Deserialize)]
pub(super) struct Head {
    pub current: Option<String>,
    pub checked_binary: Option<BinaryStamp>,
}

/// A file as read: everything but the body is decoded.
pub(super) struct Loaded {
    pub fingerprint: Option<[u8; 32]>,
    pub head: Head,
    pub body: Body,
    /// Read from the previous format: worth writing back in this one.
    pub upgraded: bool,
}

/// Reads a tracker file's bytes; `None` when they are damaged or of an unknown format.
pub(super) fn parse(bytes: &[u8]) -> Option<Loaded> {
    if bytes.len() < HEADER_LEN || bytes[..4] != FORMAT.to_le_bytes() {
        return parse_legacy(bytes);
    }
    let fingerprint = match bytes[4] {
        0 => None,
        1 => Some(bytes[5..37].try_into().ok()?),
        _ => return None,
    };
    let payload = &bytes[HEADER_LEN..];
    if blake3::hash(payload).as_bytes()[..] != bytes[37..HEADER_LEN] {
        return None;
    }
    let (head, body) = postcard::take_from_bytes::<Head>(payload).ok()?;
    Some(Loaded {
        fingerprint,
        head,
        body: Body::encoded(body.to_vec()),
        upgraded: false,
    })
}

/// A whole file's bytes: the header around the head and the (already encoded) body.
pub(super) fn encode(
    fingerprint: Option<[u8; 32]>,
    current: &Option<String>,
    checked_binary: &Option<BinaryStamp>,
    body: &[u8],
) -> Result<Vec<u8>, VcsError> {
    #[derive(Serialize)]
    struct HeadRef<'a> {
        current: &'a Option<String>,
        checked_binary: &'a Option<BinaryStamp>,
    }
    let head = postcard::to_allocvec(&HeadRef {
        current,
        checked_binary,
    })
    .map_err(encoding_error)?;
    let mut checksum = blake3::Hasher::new();
    checksum.update(&head);
    checksum.update(body);
    let mut bytes = Vec::with_capacity(HEADER_LEN + head.len() + body.len());
    bytes.extend_from_slice(&FORMAT.to_le_bytes());
    bytes.push(u8::from(fingerprint.is_some()));
    bytes.extend_from_slice(&fingerprint.unwrap_or_default());
    bytes.extend_from_slice(checksum.finalize().as_bytes());
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(body);
    Ok(bytes)
}

fn encoding_error(e: postcard::Error) -> VcsError {
    VcsError::Parse {
        cmd: "encoding the tracker".to_string(),
        reason: e.to_string(),
    }
}

/// Every channel's record: decoded on first use, encoded again only after a change.
#[derive(Debug)]
pub(super) struct Body {
    /// The body's bytes as read or last encoded; `None` once the decoded records changed.
    bytes: Option<Vec<u8>>,
    decoded: OnceCell<BTreeMap<String, ChannelRecord>>,
    /// The bytes passed the checksum but did not decode (a bug, not a disk): read as empty.
    undecodable: Cell<bool>,
}

impl Body {
    pub fn empty() -> Body {
        Body::decoded(BTreeMap::new())
    }

    fn encoded(bytes: Vec<u8>) -> Body {
        Body {
            bytes: Some(bytes),
            decoded: OnceCell::new(),
            undecodable: Cell::new(false),
        }
    }

    fn decoded(channels: BTreeMap<String, ChannelRecord>) -> Body {
        Body {
            bytes: None,
            decoded: OnceCell::from(channels),
            undecodable: Cell::new(false),
        }
    }

    /// The records, decoded now if they were not yet.
    pub fn get(&self) -> &BTreeMap<String, ChannelRecord> {
        self.decoded.get_or_init(|| {
            let stored = self
                .bytes
                .as_deref()
                .and_then(|b| postcard::from_bytes::<StoredBody>(b).ok());
            match stored {
                Some(s) => s.into_records(),
                None => {
                    self.undecodable.set(true);
                    BTreeMap::new()
                }
            }
        })
    }

    /// The records, to change: the bytes are encoded again at the next save.
    pub fn get_mut(&mut self) -> &mut BTreeMap<String, ChannelRecord> {
        self.get();
        self.bytes = None;
        match self.decoded.get_mut() {
            Some(records) => records,
            None => unreachable!("`get` initialised the records"),
        }
    }

    /// True when the body could not be decoded and reads as empty.
    pub fn undecodable(&self) -> bool {
        self.undecodable.get()
    }

    /// The body's bytes, encoded now if the records changed since they were read.
    pub fn bytes(&mut self) -> Result<&[u8], VcsError> {
        if self.bytes.is_none() {
            let encoded = postcard::to_allocvec(&StoredBody::from_records(self.get()))
                .map_err(encoding_error)?;
            self.bytes = Some(encoded);
        }
        Ok(self.bytes.as_deref().unwrap_or_default())
    }
}

/// A change as the file keeps it (postcard needs every field present, so no skipped options).
#[derive(Serialize, Deserialize)]
struct StoredChange {
    hash: PatchId,
    timestamp: String,
    /// Indexes into [`StoredBody::authors`]: a repository has few authors and many changes.
    authors: Vec<u32>,
    message: String,
}

#[derive(Default, Serialize, Deserialize)]
struct StoredChannel {
    state: Option<String>,
    changes: Vec<StoredChange>,
    off_channel: Vec<StoredChange>,
    recorded_on: Option<(String, Vec<PatchId>)>,
    pending: Vec<PendingHeader>,
}

#[derive(Serialize, Deserialize)]
struct StoredBody {
    channels: BTreeMap<String, StoredChannel>,
    /// Every author string the changes name, once.
    authors: Vec<String>,
}

impl StoredBody {
    fn from_records(records: &BTreeMap<String, ChannelRecord>) -> StoredBody {
        let mut authors = Authors::default();
        let channels = records
            .iter()
            .map(|(name, c)| {
                let stored = StoredChannel {
                    state: c.state.clone(),
                    changes: store_all(&c.changes, &mut authors),
                    off_channel: store_all(&c.off_channel, &mut authors),
                    recorded_on: c.recorded_on.clone(),
                    pending: c.pending.clone(),
                };
                (name.clone(), stored)
            })
            .collect();
        StoredBody {
            channels,
            authors: authors.names,
        }
    }

    fn into_records(self) -> BTreeMap<String, ChannelRecord> {
        let authors = self.authors;
        self.channels
            .into_iter()
            .map(|(name, c)| {
                let mut changes = unstore_all(c.changes, &authors);
                // A pending header's change has no timestamp yet: the end of its record's
                // window stands for it, as when it was noted.
                for p in &c.pending {
                    if let Some(change) = changes
                        .iter_mut()
                        .find(|x| x.hash == p.hash && x.timestamp.is_empty())
                    {
                        change.timestamp_ms = Some(p.to_ms);
                    }
                }
                let record = ChannelRecord {
                    state: c.state,
                    changes,
                    off_channel: unstore_all(c.off_channel, &authors),
                    recorded_on: c.recorded_on,
                    pending: c.pending,
                };
                (name, record)
            })
            .collect()
    }
}

/// Interns author strings for the file: each distinct one is written once.
#[derive(Default)]
struct Authors {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

fn store_all(changes: &[ChangeInfo], authors: &mut Authors) -> Vec<StoredChange> {
    changes
        .iter()
        .map(|c| StoredChange {
            hash: c.hash.clone(),
            timestamp: c.timestamp.clone(),
            authors: c
                .authors
                .iter()
                .map(|a| match authors.index.get(a) {
                    Some(&i) => i,
                    None => {
                        let i = authors.names.len() as u32;
                        authors.names.push(a.clone());
                        authors.index.insert(a.clone(), i);
                        i
                    }
                })
                .collect(),
            message: c.message.clone(),
        })
        .collect()
}

/// The changes of a loaded file; an author index past the table (a damaged file that still
/// decoded) reads as an empty name rather than failing the command.
fn unstore_all(changes: Vec<StoredChange>, authors: &[String]) -> Vec<ChangeInfo> {
    changes
        .into_iter()
        .map(|c| ChangeInfo {
            timestamp_ms: parse_timestamp_ms(&c.timestamp),
            hash: c.hash,
            timestamp: c.timestamp,
            authors: c
                .authors
                .iter()
                .map(|&i| authors.get(i as usize).cloned().unwrap_or_default())
                .collect(),
            message: c.message,
            description: None,
        })
        .collect()
}

/// Format 4: the same fields as one postcard struct, the body in the middle.
#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
struct LegacyFile {
    format: u32,
    fingerprint: Option<[u8; 32]>,
    current: Option<String>,
    channels: BTreeMap<String, StoredChannel>,
    checked_binary: Option<BinaryStamp>,
    authors: Vec<String>,
}

fn parse_legacy(bytes: &[u8]) -> Option<Loaded> {
    let file = postcard::from_bytes::<LegacyFile>(bytes).ok()?;
    if file.format != LEGACY_FORMAT {
        return None;
    }
    let body = StoredBody {
        channels: file.channels,
        authors: file.authors,
    };
    Some(Loaded {
        fingerprint: file.fingerprint,
        head: Head {
            current: file.current,
            checked_binary: file.checked_binary,
        },
        body: Body::decoded(body.into_records()),
        upgraded: true,
    })
}

/// Which file a save wrote (device and inode): a path can name another file by the time the
/// fingerprint is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    fn of(meta: &fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// Writes a pristine fingerprint into the file `saved` that was [`encode`]d without one, in
/// place: 33 bytes inside the first sector, outside the checksum (see the module's doc).
/// Returns false, writing nothing, when `path` is no longer that file: another command
/// replaced it, and its fingerprint is its own.
pub(super) fn write_fingerprint(
    path: &Path,
    saved: FileId,
    fingerprint: &[u8; 32],
) -> Result<bool, VcsError> {
    use std::os::unix::fs::FileExt;
    let mut field = [0u8; 33];
    field[0] = 1;
    field[1..].copy_from_slice(fingerprint);
    let result = (|| -> std::io::Result<bool> {
        let f = match fs::OpenOptions::new().write(true).open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if FileId::of(&f.metadata()?) != saved {
            return Ok(false);
        }
        f.write_all_at(&field, 4)?;
        Ok(true)
    })();
    result.map_err(|e| super::io_error(path, "write", e))
}

/// Replaces `path` atomically (temp file, rename); `durable` also syncs it first. Returns the
/// file written.
pub(super) fn write_replacing(
    path: &Path,
    bytes: &[u8],
    durable: bool,
) -> Result<FileId, VcsError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{TRACKER_FILE}.{}", std::process::id()));
    let result = (|| -> std::io::Result<FileId> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if durable {
            f.sync_all()?;
        }
        let written = FileId::of(&f.metadata()?);
        fs::rename(&tmp, path)?;
        Ok(written)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        super::io_error(path, "write", e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> BTreeMap<String, ChannelRecord> {
        let hash = PatchId::new("MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC").unwrap();
        let change = ChangeInfo {
            hash: hash.clone(),
            message: "first".into(),
            authors: vec!["Ada (ada) <ada@example.org>".into()],
            timestamp: "2025-01-01T00:00:00Z".into(),
            timestamp_ms: parse_timestamp_ms("2025-01-01T00:00:00Z"),
            description: None,
        };
        let record = ChannelRecord {
            state: Some("STATE".into()),
            changes: vec![change],
            off_channel: Vec::new(),
            recorded_on: Some(("BEFORE".into(), vec![hash.clone()])),
            pending: vec![PendingHeader {
                hash,
                from_ms: 1,
                to_ms: 2,
            }],
        };
        BTreeMap::from([("main".to_string(), record)])
    }

    fn file(fingerprint: Option<[u8; 32]>) -> Vec<u8> {
        let mut body = Body::decoded(records());
        let current = Some("main".to_string());
        encode(fingerprint, &current, &None, body.bytes().unwrap()).unwrap()
    }

    #[test]
    fn the_body_is_decoded_only_when_asked_for() {
        let bytes = file(Some([7; 32]));
        let mut loaded = parse(&bytes).unwrap();
        assert_eq!(loaded.fingerprint, Some([7; 32]));
        assert_eq!(loaded.head.current.as_deref(), Some("main"));
        assert!(!loaded.upgraded);
        assert!(loaded.body.decoded.get().is_none(), "not decoded by a load");
        // Saved again untouched: the bytes as read, still not decoded.
        let again = encode(
            None,
            &loaded.head.current,
            &None,
            loaded.body.bytes().unwrap(),
        );
        assert_eq!(again.unwrap()[HEADER_LEN..], bytes[HEADER_LEN..]);
        assert!(loaded.body.decoded.get().is_none());
        assert_eq!(loaded.body.get(), &records());
        // A change is encoded at the next save.
        loaded.body.get_mut().clear();
        let emptied = loaded.body.bytes().unwrap().to_vec();
        assert_eq!(Body::encoded(emptied).get(), &BTreeMap::new());
        assert!(!loaded.body.undecodable());
    }

    #[test]
    fn a_damaged_payload_fails_the_checksum() {
        let bytes = file(None);
        for at in [HEADER_LEN, bytes.len() / 2, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1;
            assert!(parse(&damaged).is_none(), "byte {at} flipped");
        }
        assert!(parse(&bytes[..bytes.len() - 1]).is_none(), "cut short");
        assert!(parse(&bytes[..10]).is_none());
        assert!(parse(b"").is_none());
        let mut flag = bytes.clone();
        flag[4] = 9;
        assert!(
            parse(&flag).is_none(),
            "a fingerprint flag that is neither 0 nor 1"
        );
    }

    #[test]
    fn the_fingerprint_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TRACKER_FILE);
        let saved = write_replacing(&path, &file(None), false).unwrap();
        assert_eq!(parse(&fs::read(&path).unwrap()).unwrap().fingerprint, None);
        assert!(write_fingerprint(&path, saved, &[3; 32]).unwrap());
        let loaded = parse(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(loaded.fingerprint, Some([3; 32]));
        assert_eq!(loaded.body.get(), &records());

        // Replaced by another save meanwhile: that file is left alone.
        let other = file(Some([8; 32]));
        write_replacing(&path, &other, false).unwrap();
        assert!(!write_fingerprint(&path, saved, &[3; 32]).unwrap());
        assert_eq!(fs::read(&path).unwrap(), other);
        fs::remove_file(&path).unwrap();
        assert!(!write_fingerprint(&path, saved, &[3; 32]).unwrap());
    }

    #[test]
    fn a_format_4_file_is_read_and_marked_for_upgrade() {
        let stored = StoredBody::from_records(&records());
        let legacy = LegacyFile {
            format: LEGACY_FORMAT,
            fingerprint: Some([5; 32]),
            current: Some("main".into()),
            channels: stored.channels,
            checked_binary: None,
            authors: stored.authors,
        };
        let bytes = postcard::to_allocvec(&legacy).unwrap();
        let loaded = parse(&bytes).unwrap();
        assert!(loaded.upgraded);
        assert_eq!(loaded.fingerprint, Some([5; 32]));
        assert_eq!(loaded.head.current.as_deref(), Some("main"));
        assert_eq!(loaded.body.get(), &records());
        // Another old format is not guessed at.
        let older = LegacyFile {
            format: 3,
            ..legacy
        };
        assert!(parse(&postcard::to_allocvec(&older).unwrap()).is_none());
    }
}
