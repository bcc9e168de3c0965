//! The embedded store: one sanakirja file holding the record log, the merged view and its
//! indexes.
//!
//! Invariants kept here:
//! - **Crash safe**: every change happens in one sanakirja transaction; [`Store::ingest`] returns
//!   only after the commit is on disk, so an acknowledged record survives `kill -9` and power loss.
//! - **Same view as [`crate::MergedView`]**: the `view` table is maintained incrementally with the
//!   same rule (`supersedes`, membership standing, equivocation), and `attrib verify` rebuilds the
//!   view from scratch to check it.
//! - **Nothing authentic is lost**: records that are not admitted (a non-member's, a revoked key's
//!   later ones, equivocating pairs) stay in the log as evidence and re-enter the view if
//!   membership changes to admit them.

mod derived;
mod legacy;
mod log;
mod seqs;
mod tables;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use sanakirja::{btree, Commit, Env, LoadPage, Txn};

use crate::error::StoreError;
use crate::ids::{PatchId, PublicKey, RecordId, TeamId};
use crate::ingest::{admission, precheck, Outcome, Refusal};
use crate::model::{Payload, Record};
use crate::signed::{verify_batch, SignedRecord, GENESIS_TEAM};
use crate::team::Membership;
use crate::view::{supersedes, PatchView, SlotKind};
use derived::Upkeep;
pub use derived::{
    civil, month_of, month_start_ms, AuthorGroup, DayGroup, PatchGroup, StatCounts, StatGroups,
    KIND_AI, KIND_HUMAN, KIND_UNATTESTED, NONE,
};
use log::{LogReader, LogWriter};
use tables::{
    catalog_put, catalog_scan, meta_get, meta_put, values_of, Kind, Models, Tables, ViewEntry,
    MARKER, NO_MODEL, OTHER_MODEL,
};

/// Records of keys that are not (yet) members are kept, up to this many, so that a grant that
/// arrives later admits them; beyond it they are refused without being stored.
pub const MAX_PENDING: u64 = 50_000;

/// At most this many distinct non-member keys get a place in the store. Every stored signer
/// takes an index for good, so without this bound a flood of fresh keys could fill the tables.
pub const MAX_PENDING_SIGNERS: usize = 1024;

/// The file name of the store inside its directory.
pub const STORE_FILE: &str = "attrib.db";

/// A store on disk.
pub struct Store {
    env: Env,
    path: PathBuf,
    /// Set when the store's directory cannot be written here and the store was opened as a
    /// private copy (see [`Store::open_existing`]): every write is refused, and the copy is
    /// deleted when the store is dropped.
    read_only_copy: Option<tempfile::TempDir>,
}

/// Figures about the store file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StoreSize {
    /// Length of the file.
    pub file_bytes: u64,
    /// Bytes the file occupies on disk. sanakirja grows its file by doubling and reserves the
    /// new space at once, so this can be up to twice `allocated_bytes`.
    pub disk_bytes: u64,
    /// Bytes of pages handed out so far (the committed allocation high-water mark).
    pub allocated_bytes: u64,
    /// Of those, bytes in pages the store has freed and will reuse before growing.
    pub free_bytes: u64,
    /// Bytes of record log.
    pub log_bytes: u64,
    /// Records in the log (admitted or kept as evidence).
    pub records: u64,
}

impl Store {
    /// Opens the store in `dir`, creating the directory and an empty store if needed.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(STORE_FILE);
        // One root: a writer waits for readers instead of keeping a second copy of the root page
        // (files of older layouts keep the two they were made with).
        let env = Env::new(&path, 1 << 16, 1)?;
        let store = Store::from_env(dir, env, path)?;
        store.refresh_derived()?;
        Ok(store)
    }

    /// Opens the store that already exists in `dir`, creating nothing: the form every command
    /// that is not `init` uses. Opening writes nothing to the file (sanakirja only takes its
    /// lock files, made on the store's first open).
    ///
    /// When the directory cannot be written here (a read-only mount, another user's
    /// repository), the store is opened as a private copy in a temporary directory: reads see
    /// the store as it was when opened, and every write is refused with a clear error. sanakirja
    /// 1.4 has no read-only mode of its own (it maps the file writable and locks through files
    /// beside it), so this is how a reader of a read-only store gets in without writing to it.
    pub fn open_existing(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join(STORE_FILE);
        if !path.is_file() {
            return Err(StoreError::Invalid(format!(
                "there is no attrib store in {}",
                dir.display()
            )));
        }
        match Env::new(&path, 1 << 16, 1) {
            Ok(env) => {
                let store = Store::from_env(dir, env, path)?;
                store.refresh_derived()?;
                Ok(store)
            }
            Err(sanakirja::Error::IO(e)) if cannot_write(&e) => Store::open_copy(dir, &path),
            Err(e) => Err(e.into()),
        }
    }

    /// The read-only fallback of [`Store::open_existing`].
    fn open_copy(dir: &Path, path: &Path) -> Result<Store, StoreError> {
        let io = |what: &Path| {
            let what = what.display().to_string();
            move |source| StoreError::Io { path: what, source }
        };
        let copy = tempfile::Builder::new()
            .prefix("attrib-read-only-")
            .tempdir()
            .map_err(io(&std::env::temp_dir()))?;
        let copied = copy.path().join(STORE_FILE);
        std::fs::copy(path, &copied).map_err(io(path))?;
        let env = Env::new(&copied, 1 << 16, 1)?;
        if Tables::load(&Env::txn_begin(&env)?).is_none() {
            return Err(StoreError::Invalid(format!(
                "the store in {} needs a one-time upgrade, and its directory is read-only here; open it once where it can be written",
                dir.display()
            )));
        }
        let mut store = Store::from_env(dir, env, path.to_path_buf())?;
        store.read_only_copy = Some(copy);
        Ok(store)
    }

    /// Finishes opening: migrates an older layout, creates the tables of a new file, and
    /// checks the schema.
    fn from_env(dir: &Path, env: Env, path: PathBuf) -> Result<Store, StoreError> {
        if Tables::load(&Env::txn_begin(&env)?).is_none() {
            match legacy::schema(&env)? {
                Some(legacy::SCHEMA) => {
                    let records = legacy::records(&env)?;
                    drop(env);
                    migrate(dir, records)?;
                    return Store::open(dir);
                }
                Some(schema) => {
                    return Err(StoreError::Corrupt(format!(
                        "unknown store schema {schema} (this attrib reads {} and migrates {})",
                        tables::SCHEMA_VERSION,
                        legacy::SCHEMA
                    )))
                }
                None => {}
            }
        }
        let store = Store {
            env,
            path,
            read_only_copy: None,
        };
        // Read-only commands must not write: only a new file gets a mutable transaction.
        let existing = {
            let txn = Env::txn_begin(&store.env)?;
            match Tables::load(&txn) {
                Some(t) => Some(meta_get(&txn, &t, tables::META_SCHEMA)?),
                None => None,
            }
        };
        match existing {
            Some(Some(tables::SCHEMA_VERSION)) => {}
            Some(schema) => {
                return Err(StoreError::Corrupt(format!(
                    "unknown store schema {schema:?} (this attrib reads {})",
                    tables::SCHEMA_VERSION
                )))
            }
            None => {
                let mut txn = Env::mut_txn_begin(&store.env)?;
                // Another process may have created the tables since we looked.
                if Tables::load(&txn).is_none() {
                    let t = Tables::create(&mut txn)?;
                    t.save(&mut txn);
                    txn.commit()?;
                }
            }
        }
        Ok(store)
    }

    /// Builds the tables derived from the view ([`derived`]) when they are missing or were left
    /// behind by a version that did not keep them: one pass over the view, once. A store with
    /// an empty log gets them at its first ingest.
    fn refresh_derived(&self) -> Result<(), StoreError> {
        let stale = |txn: &Txn<&Env>| -> Result<bool, StoreError> {
            let Some(t) = Tables::load(txn) else {
                return Ok(false);
            };
            let len = meta_get(txn, &t, tables::META_LOG_LEN)?.unwrap_or(0);
            Ok(len > 0
                && match &t.derived {
                    Some(d) => !d.fresh(txn, len)?,
                    None => true,
                })
        };
        if !stale(&Env::txn_begin(&self.env)?)? {
            return Ok(());
        }
        let mut txn = Env::mut_txn_begin(&self.env)?;
        let mut t = Tables::load(&txn).ok_or_else(|| StoreError::Corrupt("no tables".into()))?;
        let log = LogReader::load(&txn, &t)?;
        if let Some(d) = &t.derived {
            // Another process may have brought them up to date since we looked.
            if d.fresh(&txn, log.len)? {
                return Ok(());
            }
        }
        let authors = load_authors(&txn, &t)?;
        let d = derived::rebuild(&mut txn, &t.view, t.derived.take(), &log, &authors, log.len)?;
        t.derived = Some(d);
        t.save(&mut txn);
        txn.commit()?;
        Ok(())
    }

    /// The store's directory, as given to [`Store::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the store was opened as a read-only copy (see [`Store::open_existing`]).
    pub fn is_read_only(&self) -> bool {
        self.read_only_copy.is_some()
    }

    /// Refuses a write to a read-only copy.
    fn check_writable(&self) -> Result<(), StoreError> {
        match &self.read_only_copy {
            None => Ok(()),
            Some(_) => Err(StoreError::Invalid(format!(
                "{} cannot be written here (read-only); nothing was stored",
                self.path.display()
            ))),
        }
    }

    /// The length of the record log now: what [`Snapshot::log_len`] would say, without
    /// loading a snapshot (no page table, no membership). A follower polls this to learn that
    /// the store grew, whoever wrote to it.
    pub fn log_len(&self) -> Result<u64, StoreError> {
        let txn = Env::txn_begin(&self.env)?;
        let tables = Tables::load(&txn).ok_or_else(|| StoreError::Corrupt("no tables".into()))?;
        Ok(tables::meta_get(&txn, &tables, tables::META_LOG_LEN)?.unwrap_or(0))
    }

    /// A consistent read-only view of the store.
    pub fn snapshot(&self) -> Result<Snapshot<'_>, StoreError> {
        let txn = Env::txn_begin(&self.env)?;
        let tables = Tables::load(&txn).ok_or_else(|| StoreError::Corrupt("no tables".into()))?;
        let log = LogReader::load(&txn, &tables)?;
        let authors = load_authors(&txn, &tables)?;
        let models = Models::load(&txn, &tables)?;
        let mut s = Snapshot {
            txn,
            tables,
            log,
            authors,
            models,
            membership: None,
            equivocators: BTreeSet::new(),
        };
        s.equivocators = s.load_equivocators()?;
        s.membership = s.evaluate_membership()?;
        Ok(s)
    }

    /// Offers records to the store. Each gets an [`Outcome`]; refusing one never blocks another.
    /// Returns after the transaction is committed to disk.
    pub fn ingest(&self, batch: &[SignedRecord], now_ms: u64) -> Result<Vec<Outcome>, StoreError> {
        self.check_writable()?;
        let mut txn = Env::mut_txn_begin(&self.env)?;
        let mut t = Tables::load(&txn).ok_or_else(|| StoreError::Corrupt("no tables".into()))?;
        let mut log = LogWriter::new(LogReader::load(&txn, &t)?);
        let mut upkeep = Upkeep::start(&txn, t.derived.as_ref(), log.reader.len)?;
        let mut authors = load_authors(&txn, &t)?;
        let mut models = Models::load(&txn, &t)?;
        let mut author_idx: HashMap<PublicKey, u32> = authors
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, i as u32))
            .collect();

        let old_membership = {
            let r = Reader::new(&txn, &t, &log.reader, &authors);
            r.evaluate_membership()?
        };
        let mut team = old_membership.as_ref().map(|m| m.team);
        if team.is_none() {
            // A fresh store adopts the first genesis it is offered (`init`, `init --join`).
            team = batch
                .iter()
                .find(|r| matches!(r.record.payload, Payload::Genesis { .. }))
                .map(|g| g.team_id());
        }

        let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
        let mut candidates = Vec::new();
        for (i, r) in batch.iter().enumerate() {
            match precheck(r, team, now_ms) {
                Ok(()) => candidates.push(i),
                Err(why) => outcomes[i] = Some(Outcome::Refused(why)),
            }
        }
        let refs: Vec<&SignedRecord> = candidates.iter().map(|&i| &batch[i]).collect();
        let valid = verify_batch(&refs);

        // Append every new authentic record to the log and the author index.
        let mut seen_in_batch: HashSet<RecordId> = HashSet::new();
        let mut new_records: Vec<(usize, u64, u32)> = Vec::new(); // (batch index, offset, author)
        let mut duplicates: Vec<(usize, u32)> = Vec::new();
        let mut rebuild: BTreeSet<u32> = BTreeSet::new();
        let mut membership_changed = false;
        let mut pending = meta_get(&txn, &t, tables::META_PENDING)?.unwrap_or(0);
        let mut records = meta_get(&txn, &t, tables::META_RECORDS)?.unwrap_or(0);
        let is_member = |k: &PublicKey| {
            old_membership
                .as_ref()
                .is_some_and(|m| m.members.contains_key(k))
        };
        let mut strangers = authors.iter().filter(|k| !is_member(k)).count();
        for (&i, ok) in candidates.iter().zip(valid) {
            let r = &batch[i];
            if !ok {
                outcomes[i] = Some(Outcome::Refused(Refusal::BadSignature));
                continue;
            }
            let id = r.id();
            if !seen_in_batch.insert(id) {
                outcomes[i] = Some(Outcome::Duplicate);
                continue;
            }
            // A stranger's record (anything but the genesis of a store that has no team) is kept
            // pending, within bounds checked before its signer takes a place in the store.
            let founding =
                old_membership.is_none() && matches!(r.record.payload, Payload::Genesis { .. });
            let stranger = !founding && !is_member(&r.signer);
            let known_signer = author_idx.contains_key(&r.signer);
            if stranger
                && (pending >= MAX_PENDING || (!known_signer && strangers >= MAX_PENDING_SIGNERS))
            {
                outcomes[i] = Some(Outcome::Refused(Refusal::NonMember));
                continue;
            }
            let author = match author_idx.get(&r.signer) {
                Some(&a) => a,
                None => {
                    let a = authors.len() as u32;
                    if a >= seqs::MAX_AUTHORS {
                        return Err(StoreError::Invalid(
                            "the store has outgrown its index by author".into(),
                        ));
                    }
                    catalog_put(&mut txn, &mut t, Kind::Author, a as u64, &r.signer.0)?;
                    authors.push(r.signer);
                    author_idx.insert(r.signer, a);
                    if stranger {
                        strangers += 1;
                    }
                    a
                }
            };
            let existing =
                Reader::new(&txn, &t, &log.reader, &authors).versions(author, r.record.seq)?;
            let mut duplicate = false;
            for off in &existing {
                let reader = Reader::new(&txn, &t, &log.reader, &authors);
                if reader.record_at(*off, team)?.id() == id {
                    duplicate = true;
                }
            }
            if duplicate {
                duplicates.push((i, author));
                continue;
            }
            if stranger {
                pending += 1;
            }
            // A member's AI attestation is stored with its model packed into an id; a stranger's
            // only under an id that exists, so strangers cannot use up the 254 ids.
            let model = if stranger {
                models.known(&r.record)
            } else {
                model_id(&mut txn, &mut t, &mut models, &r.record)?
            };
            let offset = log.append(
                &mut txn,
                &mut t,
                author,
                &r.body,
                &r.signature,
                model,
                &models.names,
            )?;
            records += 1;
            if r.record.payload.is_membership() {
                catalog_put(&mut txn, &mut t, Kind::Membership, offset, MARKER)?;
                membership_changed = true;
            }
            if existing.is_empty() {
                seqs::fill_slot(&mut txn, &mut t, author, r.record.seq, offset)?;
            } else {
                // Equivocation: keep every version as evidence and flag the key.
                for off in existing.iter().chain(std::iter::once(&offset)) {
                    let number = equivocation_number(author, *off)?;
                    catalog_put(&mut txn, &mut t, Kind::Equivocation, number, MARKER)?;
                }
                rebuild.insert(author);
                if r.record.payload.is_membership() {
                    membership_changed = true;
                }
            }
            new_records.push((i, offset, author));
        }
        meta_put(&mut txn, &mut t, tables::META_PENDING, pending)?;
        meta_put(&mut txn, &mut t, tables::META_RECORDS, records)?;

        let new_membership = if membership_changed {
            let reader = Reader::new(&txn, &t, &log.reader, &authors);
            reader.evaluate_membership()?
        } else {
            old_membership.clone()
        };
        if membership_changed {
            for key in changed_keys(old_membership.as_ref(), new_membership.as_ref()) {
                if let Some(&a) = author_idx.get(&key) {
                    rebuild.insert(a);
                }
            }
        }

        // Place new records in their slots; authors whose standing changed are rebuilt whole.
        for &(i, offset, author) in &new_records {
            if rebuild.contains(&author) {
                continue;
            }
            let r = &batch[i];
            let Some(m) = &new_membership else { continue };
            if !m.admits(&r.signer, r.record.seq) {
                continue;
            }
            let (Some(kind), Some(patch)) =
                (SlotKind::of(&r.record.payload), r.record.payload.patch())
            else {
                continue;
            };
            let current = {
                let reader = Reader::new(&txn, &t, &log.reader, &authors);
                reader.slot_winner(patch, author, kind, team)?
            };
            let model = model_id(&mut txn, &mut t, &mut models, &r.record)?;
            let entry = ViewEntry::new(offset, author, model, &r.record)?;
            let key = patch.index_key();
            if current.as_ref().is_some_and(|(_, cur)| !supersedes(r, cur)) {
                continue;
            }
            upkeep.touch(&txn, &t.view, &log.reader, &authors, key)?;
            if let Some((cur_entry, _)) = current {
                btree::del(&mut txn, &mut t.view, &key, Some(&cur_entry))?;
                upkeep.view_changed(&mut txn, &mut t.derived, &authors, &cur_entry, false)?;
            }
            btree::put(&mut txn, &mut t.view, &key, &entry)?;
            upkeep.view_changed(&mut txn, &mut t.derived, &authors, &entry, true)?;
        }
        let placement = Placement {
            log: &log.reader,
            authors: &authors,
            team,
            membership: new_membership.as_ref(),
        };
        for &author in &rebuild {
            rebuild_author(
                &mut txn,
                &mut t,
                &mut models,
                &placement,
                &mut upkeep,
                author,
            )?;
        }

        // Final outcomes, judged against the membership after the whole batch.
        let equivocated = |txn: &sanakirja::MutTxn<&Env, ()>, t: &Tables, author: u32, seq: u32| {
            Reader::new(txn, t, &log.reader, &authors)
                .versions(author, seq)
                .map(|v| v.len() > 1)
        };
        let judged: Vec<(usize, u32, bool)> = new_records
            .iter()
            .map(|&(i, _, a)| (i, a, false))
            .chain(duplicates.iter().map(|&(i, a)| (i, a, true)))
            .collect();
        for (i, author, dup) in judged {
            let r = &batch[i];
            let outcome = if equivocated(&txn, &t, author, r.record.seq)? {
                Outcome::Refused(Refusal::Equivocation { seq: r.record.seq })
            } else {
                match admission(r, new_membership.as_ref()) {
                    Some(why) => Outcome::Refused(why),
                    None if dup => Outcome::Duplicate,
                    None => Outcome::Accepted,
                }
            };
            outcomes[i] = Some(outcome);
        }

        upkeep.finish(
            &mut txn,
            &t.view,
            &mut t.derived,
            &log.reader,
            &authors,
            log.reader.len,
        )?;
        t.save(&mut txn);
        txn.commit()?;
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or(Outcome::Duplicate))
            .collect())
    }

    /// Sizes of the store file and its log.
    pub fn size(&self) -> Result<StoreSize, StoreError> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&self.path).map_err(|source| StoreError::Io {
            path: self.path.display().to_string(),
            source,
        })?;
        let header = self.root_header()?;
        let snap = self.snapshot()?;
        let records = snap.record_count()?;
        Ok(StoreSize {
            file_bytes: meta.len(),
            disk_bytes: meta.blocks() * 512,
            allocated_bytes: header.0,
            free_bytes: self.free_pages(header.1)? * 4096,
            log_bytes: snap.log.len,
            records,
        })
    }
}

impl Store {
    /// Reads the committed root page's header: byte 2 of page 0 names the root the *next*
    /// transaction will use, the one before it is the latest commit; bytes 8..16 of a root page
    /// hold the allocation high-water mark and bytes 16..24 the free-page tree (sanakirja's
    /// documented file format). Returns both.
    fn root_header(&self) -> Result<(u64, u64), StoreError> {
        use std::io::Read;
        let io = |source| StoreError::Io {
            path: self.path.display().to_string(),
            source,
        };
        let mut head = vec![0u8; 4 * 4096];
        let mut f = std::fs::File::open(&self.path).map_err(io)?;
        let n = f.read(&mut head).map_err(io)?;
        let (next, roots) = (head[2] as usize, head[3] as usize);
        if roots == 0 || roots > 4 || n < roots * 4096 {
            return Err(StoreError::Corrupt("unexpected store header".into()));
        }
        let current = (next + roots - 1) % roots;
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&head[at..at + 8]);
            u64::from_le_bytes(w)
        };
        Ok((word(current * 4096 + 8), word(current * 4096 + 16)))
    }

    /// Counts the pages in sanakirja's free-page tree rooted at `free_db` (0: none).
    fn free_pages(&self, free_db: u64) -> Result<u64, StoreError> {
        if free_db == 0 {
            return Ok(0);
        }
        let txn = Env::txn_begin(&self.env)?;
        // SAFETY: `free_db` is the committed free-page tree's root, read from the header.
        let db: btree::Db<sanakirja::L64, ()> = unsafe { btree::Db::from_page(free_db) };
        let mut n = 0;
        for entry in btree::iter(&txn, &db, None)? {
            entry?;
            n += 1;
        }
        Ok(n)
    }
}

/// Rewrites the store in `dir`, of schema [`legacy::SCHEMA`], in the current layout: its records
/// go through [`Store::ingest`] into a new file beside it, which replaces the old one only once
/// it holds every record; the old file stays as `attrib.db.schema3`.
/// Errors that mean "this location cannot be written by this process".
fn cannot_write(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    )
}

fn migrate(dir: &Path, records: Vec<SignedRecord>) -> Result<(), StoreError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| StoreError::Io { path, source }
    };
    let work = dir.join("migrating");
    if work.exists() {
        std::fs::remove_dir_all(&work).map_err(io(&work))?;
    }
    {
        let fresh = Store::open(&work)?;
        fresh.ingest(&records, crate::ingest::now_ms())?;
        let kept = fresh.snapshot()?.record_count()?;
        if kept != records.len() as u64 {
            return Err(StoreError::Corrupt(format!(
                "migrating the store kept {kept} of its {} records; the old file is untouched",
                records.len()
            )));
        }
    }
    let old = dir.join(STORE_FILE);
    let backup = dir.join(format!("{STORE_FILE}.schema{}", legacy::SCHEMA));
    // The backup is a second name for the old file, and one rename puts the new file in its
    // place: a crash at any point leaves `attrib.db` either the old store or the new one. A
    // backup left by an attempt that stopped before that rename names the same old store.
    if backup.exists() {
        std::fs::remove_file(&backup).map_err(io(&backup))?;
    }
    std::fs::hard_link(&old, &backup).map_err(io(&backup))?;
    std::fs::rename(work.join(STORE_FILE), &old).map_err(io(&old))?;
    std::fs::remove_dir_all(&work).map_err(io(&work))?;
    Ok(())
}

/// Bits of a log offset in an equivocation entry's number; the author index takes the bits above.
const OFFSET_BITS: u32 = 40;

/// The catalog number of the evidence that `author` signed the record at `offset` in conflict.
fn equivocation_number(author: u32, offset: u64) -> Result<u64, StoreError> {
    if author >> (56 - OFFSET_BITS) != 0 || offset >> OFFSET_BITS != 0 {
        return Err(StoreError::Invalid(
            "the store has outgrown its equivocation index".into(),
        ));
    }
    Ok(((author as u64) << OFFSET_BITS) | offset)
}

/// Keys whose member entry differs between two evaluations.
fn changed_keys(old: Option<&Membership>, new: Option<&Membership>) -> BTreeSet<PublicKey> {
    let empty = BTreeMap::new();
    let a = old.map_or(&empty, |m| &m.members);
    let b = new.map_or(&empty, |m| &m.members);
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(k) != b.get(k))
        .copied()
        .collect()
}

/// The model id a record is listed under: its AI provider/model, or none.
fn model_id<T>(
    txn: &mut T,
    t: &mut Tables,
    models: &mut Models,
    r: &Record,
) -> Result<u8, StoreError>
where
    T: sanakirja::AllocPage + LoadPage<Error = sanakirja::Error>,
{
    match &r.payload {
        Payload::Attest(a) => match &a.ai {
            Some(ai) => models.intern(txn, t, &ai.provider, &ai.model),
            None => Ok(NO_MODEL),
        },
        _ => Ok(NO_MODEL),
    }
}

/// Recomputes every slot of one author from all of its records.
/// What placing records in the view reads: the log, the signers, the team and its membership.
struct Placement<'a> {
    log: &'a LogReader,
    authors: &'a [PublicKey],
    team: Option<TeamId>,
    membership: Option<&'a Membership>,
}

fn rebuild_author(
    txn: &mut sanakirja::MutTxn<&Env, ()>,
    t: &mut Tables,
    models: &mut Models,
    p: &Placement<'_>,
    upkeep: &mut Upkeep,
    author: u32,
) -> Result<(), StoreError> {
    let (log, authors, team, membership) = (p.log, p.authors, p.team, p.membership);
    let key = authors[author as usize];
    let mut by_seq: BTreeMap<u32, Vec<(u64, SignedRecord)>> = BTreeMap::new();
    {
        let reader = Reader::new(&*txn, t, log, authors);
        for (seq, off) in reader.by_author(author, 0, u32::MAX)? {
            by_seq
                .entry(seq)
                .or_default()
                .push((off, reader.record_at(off, team)?));
        }
    }
    let mut winners: BTreeMap<(PatchId, SlotKind), Option<(u64, SignedRecord)>> = BTreeMap::new();
    for (seq, versions) in by_seq {
        for (off, r) in &versions {
            let (Some(kind), Some(patch)) =
                (SlotKind::of(&r.record.payload), r.record.payload.patch())
            else {
                continue;
            };
            let slot = winners.entry((patch.clone(), kind)).or_insert(None);
            let admitted = versions.len() == 1 && membership.is_some_and(|m| m.admits(&key, seq));
            if admitted && slot.as_ref().is_none_or(|(_, cur)| supersedes(r, cur)) {
                *slot = Some((*off, r.clone()));
            }
        }
    }
    for ((patch, kind), winner) in winners {
        let current =
            Reader::new(&*txn, t, log, authors).slot_winner(&patch, author, kind, team)?;
        let key = patch.index_key();
        let entry = match &winner {
            Some((off, r)) => {
                let model = model_id(txn, t, models, &r.record)?;
                Some(ViewEntry::new(*off, author, model, &r.record)?)
            }
            None => None,
        };
        if current.as_ref().map(|(e, _)| e) == entry.as_ref() {
            continue;
        }
        upkeep.touch(&*txn, &t.view, log, authors, key)?;
        if let Some((cur_entry, _)) = current {
            btree::del(txn, &mut t.view, &key, Some(&cur_entry))?;
            upkeep.view_changed(txn, &mut t.derived, authors, &cur_entry, false)?;
        }
        if let Some(entry) = entry {
            btree::put(txn, &mut t.view, &key, &entry)?;
            upkeep.view_changed(txn, &mut t.derived, authors, &entry, true)?;
        }
    }
    Ok(())
}

fn load_authors<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    t: &Tables,
) -> Result<Vec<PublicKey>, StoreError> {
    let mut out = Vec::new();
    for entry in catalog_scan(txn, t, Kind::Author, 0)? {
        let (i, k) = entry?;
        if i != out.len() as u64 {
            return Err(StoreError::Corrupt("author table out of order".into()));
        }
        let key: [u8; 32] = k.try_into().map_err(|_| {
            StoreError::Corrupt(format!("author {i} has a key of {} bytes", k.len()))
        })?;
        out.push(PublicKey(key));
    }
    Ok(out)
}

/// Read operations shared by snapshots and the writer.
struct Reader<'a, T> {
    txn: &'a T,
    t: &'a Tables,
    log: &'a LogReader,
    authors: &'a [PublicKey],
}

impl<'a, T: LoadPage<Error = sanakirja::Error>> Reader<'a, T> {
    fn new(txn: &'a T, t: &'a Tables, log: &'a LogReader, authors: &'a [PublicKey]) -> Self {
        Reader {
            txn,
            t,
            log,
            authors,
        }
    }

    /// The signed record stored at a log offset.
    fn record_at(&self, offset: u64, team: Option<TeamId>) -> Result<SignedRecord, StoreError> {
        let (entry, body, signature) = self.log.canonical_at(offset)?;
        let signer = *self
            .authors
            .get(entry.author as usize)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown author {}", entry.author)))?;
        let record = Record::from_trusted(&body)
            .map_err(|e| StoreError::Corrupt(format!("log entry at {offset}: {e}")))?;
        let team = if matches!(record.payload, Payload::Genesis { .. }) {
            GENESIS_TEAM
        } else {
            team.unwrap_or(GENESIS_TEAM)
        };
        Ok(SignedRecord {
            team,
            signer,
            record,
            body: body.to_vec(),
            signature,
        })
    }

    /// Every stored record `author` signed with `seq`: one, or more when the author equivocated.
    fn versions(&self, author: u32, seq: u32) -> Result<Vec<u64>, StoreError> {
        let mut out: Vec<u64> = seqs::slot(self.txn, self.t, author, seq)?
            .into_iter()
            .collect();
        if !out.is_empty() {
            for (off, other) in self.equivocations(author)? {
                if other == seq && !out.contains(&off) {
                    out.push(off);
                }
            }
        }
        Ok(out)
    }

    /// The evidence of `author`'s equivocations: `(offset, seq)` of every conflicting version.
    fn equivocations(&self, author: u32) -> Result<Vec<(u64, u32)>, StoreError> {
        let first = equivocation_number(author, 0)?;
        let mut out = Vec::new();
        for entry in catalog_scan(self.txn, self.t, Kind::Equivocation, first)? {
            let (number, _) = entry?;
            if number >> OFFSET_BITS != author as u64 {
                break;
            }
            let off = number & ((1 << OFFSET_BITS) - 1);
            out.push((off, self.log.seq_at(off)?));
        }
        Ok(out)
    }

    /// `(seq, offset)` of every record `author` signed with a number in `first..=last`, in
    /// sequence order, every version of an equivocated number included.
    fn by_author(&self, author: u32, first: u32, last: u32) -> Result<Vec<(u32, u64)>, StoreError> {
        let mut out = seqs::slots_in(self.txn, self.t, author, first, last)?;
        let extra: Vec<(u32, u64)> = self
            .equivocations(author)?
            .into_iter()
            .map(|(off, seq)| (seq, off))
            .filter(|(seq, off)| (first..=last).contains(seq) && !out.contains(&(*seq, *off)))
            .collect();
        if !extra.is_empty() {
            out.extend(extra);
            out.sort_unstable();
        }
        Ok(out)
    }

    fn membership_records(&self) -> Result<Vec<SignedRecord>, StoreError> {
        let mut raw = Vec::new();
        for entry in catalog_scan(self.txn, self.t, Kind::Membership, 0)? {
            raw.push(entry?.0);
        }
        // The genesis names the team every other record is signed for.
        let mut out = Vec::with_capacity(raw.len());
        let mut team = None;
        for off in &raw {
            let r = self.record_at(*off, None)?;
            if matches!(r.record.payload, Payload::Genesis { .. }) && team.is_none() {
                team = Some(r.team_id());
            }
            out.push(r);
        }
        if let Some(team) = team {
            for r in &mut out {
                if !matches!(r.record.payload, Payload::Genesis { .. }) {
                    r.team = team;
                }
            }
        }
        Ok(out)
    }

    fn evaluate_membership(&self) -> Result<Option<Membership>, StoreError> {
        let records = self.membership_records()?;
        let Some(genesis) = records
            .iter()
            .find(|r| matches!(r.record.payload, Payload::Genesis { .. }))
        else {
            return Ok(None);
        };
        let mut equivocated: HashSet<(PublicKey, u32)> = HashSet::new();
        let mut author_of: HashMap<PublicKey, u32> = HashMap::new();
        for (i, k) in self.authors.iter().enumerate() {
            author_of.insert(*k, i as u32);
        }
        for r in &records {
            if let Some(&a) = author_of.get(&r.signer) {
                if self.versions(a, r.record.seq)?.len() > 1 {
                    equivocated.insert((r.signer, r.record.seq));
                }
            }
        }
        Ok(Membership::evaluate(genesis, &records, |k, s| {
            equivocated.contains(&(*k, s))
        }))
    }

    /// The current winner of slot `(patch, author, kind)`, if any (a retraction counts).
    fn slot_winner(
        &self,
        patch: &PatchId,
        author: u32,
        kind: SlotKind,
        team: Option<TeamId>,
    ) -> Result<Option<(ViewEntry, SignedRecord)>, StoreError> {
        for entry in values_of(self.txn, &self.t.view, patch.index_key())? {
            if entry.author() != author {
                continue;
            }
            let r = self.record_at(entry.offset(), team)?;
            if SlotKind::of(&r.record.payload) == Some(kind)
                && r.record.payload.patch() == Some(patch)
            {
                return Ok(Some((entry, r)));
            }
        }
        Ok(None)
    }
}

/// A consistent read-only view of a store.
pub struct Snapshot<'s> {
    txn: Txn<&'s Env>,
    tables: Tables,
    log: LogReader,
    authors: Vec<PublicKey>,
    models: Models,
    membership: Option<Membership>,
    equivocators: BTreeSet<PublicKey>,
}

/// The record log of a snapshot, shareable across threads.
pub struct LogView<'s> {
    log: &'s LogReader,
    authors: &'s [PublicKey],
    /// Where every entry starts, in log order.
    pub offsets: Vec<u64>,
}

/// One entry of a [`LogView`]: a signed record as stored.
pub struct LogEntry<'a> {
    /// The key that signed the record.
    pub signer: PublicKey,
    /// The canonical body, borrowed from the store when it sits in one page.
    pub body: std::borrow::Cow<'a, [u8]>,
    /// The ed25519 signature, to verify against `signer` over the signing message.
    pub signature: [u8; 64],
}

impl LogView<'_> {
    /// The entry at `offset`.
    pub fn entry(&self, offset: u64) -> Result<LogEntry<'_>, StoreError> {
        let (head, body, signature) = self.log.canonical_at(offset)?;
        let signer = *self
            .authors
            .get(head.author as usize)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown author {}", head.author)))?;
        Ok(LogEntry {
            signer,
            body,
            signature,
        })
    }
}

/// A record's body as the store keeps it (see [`Snapshot::stored_body`]).
pub struct StoredBody<'s> {
    bytes: std::borrow::Cow<'s, [u8]>,
    /// The store's model names when the body is packed.
    names: Option<&'s [(String, String)]>,
    /// Where the entry sits in the log, for error messages.
    offset: u64,
}

impl StoredBody<'_> {
    /// The listing fields if the record is an attestation.
    pub fn peek_attestation(&self) -> Option<crate::peek::AttestationPeek<'_>> {
        crate::peek::peek_attestation_in(&self.bytes, self.names)
    }

    /// The listing fields if the record is a review (reviews are never packed).
    pub fn peek_review(&self) -> Option<crate::peek::ReviewPeek<'_>> {
        crate::peek::peek_review(&self.bytes)
    }

    /// The listing fields of an entry an index says is an attestation: anything else means the
    /// index and the log disagree, which is reported as a damaged store.
    pub fn attestation(&self) -> Result<crate::peek::AttestationPeek<'_>, StoreError> {
        self.peek_attestation()
            .ok_or_else(|| self.damaged("an attestation"))
    }

    /// The listing fields of an entry an index says is a review (see [`StoredBody::attestation`]).
    pub fn review(&self) -> Result<crate::peek::ReviewPeek<'_>, StoreError> {
        self.peek_review().ok_or_else(|| self.damaged("a review"))
    }

    fn damaged(&self, what: &str) -> StoreError {
        StoreError::Corrupt(format!("log entry at {} is not {what}", self.offset))
    }
}

/// One current attestation, located but not decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttestationRow {
    /// Where the record sits in the log ([`Snapshot::stored_body`] reads it).
    pub offset: u64,
    /// When it was signed, ms since the epoch: the order listings sort by.
    pub timestamp_ms: u64,
    /// The signer's index in this store: its key is `snapshot.authors()[author]`.
    pub author: u32,
    /// Length of the printed patch id, for column widths.
    pub patch_len: u16,
}

/// The rows of [`Snapshot::newest_attestations`], newest first.
pub struct NewestRows<'a, 's> {
    snap: &'a Snapshot<'s>,
    #[allow(clippy::type_complexity)]
    iter: Box<dyn Iterator<Item = Result<(u64, ViewEntry), StoreError>> + 'a>,
    /// Rows of one index key, sorted so that the next to give is last.
    run: Vec<AttestationRow>,
    pending: Option<(u64, ViewEntry)>,
    author: Option<u32>,
    ai_only: bool,
    human_only: bool,
    models: Option<Vec<u8>>,
    before: Option<(u64, u64, u64)>,
    prefixes: Vec<u64>,
}

impl NewestRows<'_, '_> {
    fn keeps(&self, v: &ViewEntry) -> bool {
        v.is_attestation()
            && self.author.is_none_or(|a| a == v.author())
            && (!self.ai_only || v.ai_assisted())
            && (!self.human_only || !v.ai_assisted())
            && self.models.as_ref().is_none_or(|m| m.contains(&v.model()))
    }

    /// Reads the next index key's entries (equal keys: the same millisecond and signer prefix)
    /// into `run`, in listing order. False at the end.
    fn fill(&mut self) -> Result<bool, StoreError> {
        let first = match self.pending.take() {
            Some(e) => e,
            None => match self.iter.next() {
                Some(e) => e?,
                None => return Ok(false),
            },
        };
        let mut group = vec![first.1];
        for e in self.iter.by_ref() {
            let e = e?;
            if e.0 != first.0 {
                self.pending = Some(e);
                break;
            }
            group.push(e.1);
        }
        for v in group {
            if !self.keeps(&v) {
                continue;
            }
            self.snap.author_key(v.author())?;
            let row = AttestationRow {
                offset: v.offset(),
                timestamp_ms: v.timestamp_ms(),
                author: v.author(),
                patch_len: v.patch_len(),
            };
            if self
                .before
                .is_some_and(|b| listing_key(&self.prefixes, &row) >= b)
            {
                continue;
            }
            self.run.push(row);
        }
        let prefixes = &self.prefixes;
        self.run.sort_unstable_by_key(|r| listing_key(prefixes, r));
        Ok(true)
    }
}

impl Iterator for NewestRows<'_, '_> {
    type Item = Result<AttestationRow, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.run.pop() {
                return Some(Ok(row));
            }
            match self.fill() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The total order listings sort by, newest first when reversed: the time, then the signer's
/// key prefix (`prefixes` from [`Snapshot::author_prefixes`]), then the log offset.
pub fn listing_key(prefixes: &[u64], r: &AttestationRow) -> (u64, u64, u64) {
    (
        r.timestamp_ms,
        prefixes.get(r.author as usize).copied().unwrap_or(0),
        r.offset,
    )
}

/// What a current view entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// A current attestation.
    Attestation {
        /// It declares AI help.
        ai: bool,
    },
    /// A current review.
    Review,
    /// A winning retraction (an emptied slot).
    Other,
}

/// One current view entry (a slot's winner), located but not decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewRow {
    /// The patch's index key ([`PatchId::index_key`]). The entries of one patch are adjacent
    /// in [`Snapshot::view_rows`]; two patches may share a key, so compare the records' ids.
    pub patch_key: u64,
    /// Where the winning record sits in the log.
    pub offset: u64,
    /// When it was signed, ms since the epoch.
    pub timestamp_ms: u64,
    /// The signer's index in this store: its key is `snapshot.authors()[author]`.
    pub author: u32,
    /// What the entry holds.
    pub kind: ViewKind,
}

/// Which current attestations a query wants.
#[derive(Clone, Debug, Default)]
pub struct AttestationQuery {
    /// Only attestations that declare AI help.
    pub ai_only: bool,
    /// Only attestations without AI help (with `ai_only` too, nothing matches).
    pub human_only: bool,
    /// Only attestations signed by this key.
    pub author: Option<PublicKey>,
    /// Only AI-assisted attestations by this provider.
    pub provider: Option<String>,
    /// Only AI-assisted attestations with this model.
    pub model: Option<String>,
}

impl<'s> Snapshot<'s> {
    fn reader(&self) -> Reader<'_, Txn<&'s Env>> {
        Reader::new(&self.txn, &self.tables, &self.log, &self.authors)
    }

    /// The team's evaluated membership; `None` before `init` or `init --join`.
    pub fn membership(&self) -> Option<&Membership> {
        self.membership.as_ref()
    }

    /// The store's team id; `None` before `init` or `init --join`.
    pub fn team(&self) -> Option<TeamId> {
        self.membership.as_ref().map(|m| m.team)
    }

    /// Keys that signed two different records with one sequence number.
    pub fn equivocators(&self) -> &BTreeSet<PublicKey> {
        &self.equivocators
    }

    fn load_equivocators(&self) -> Result<BTreeSet<PublicKey>, StoreError> {
        let mut out = BTreeSet::new();
        for entry in catalog_scan(&self.txn, &self.tables, Kind::Equivocation, 0)? {
            let (number, _) = entry?;
            if let Some(k) = self.authors.get((number >> OFFSET_BITS) as usize) {
                out.insert(*k);
            }
        }
        Ok(out)
    }

    fn evaluate_membership(&self) -> Result<Option<Membership>, StoreError> {
        self.reader().evaluate_membership()
    }

    /// The next sequence number for `key`: one more than any it has in this store.
    pub fn next_seq(&self, key: &PublicKey) -> Result<u32, StoreError> {
        let Some(a) = self.authors.iter().position(|k| k == key) else {
            return Ok(1);
        };
        let last = seqs::last_seq(&self.txn, &self.tables, a as u32)?;
        Ok(last.saturating_add(1))
    }

    /// Everything the team says about one patch: every author's current attestation and every
    /// reviewer's current review.
    pub fn patch(&self, patch: &PatchId) -> Result<PatchView, StoreError> {
        let mut view = PatchView::default();
        for entry in values_of(&self.txn, &self.tables.view, patch.index_key())? {
            let r = self.reader().record_at(entry.offset(), self.team())?;
            if r.record.payload.patch() != Some(patch) {
                continue;
            }
            match &r.record.payload {
                Payload::Attest(_) => {
                    view.attestations.insert(r.signer, r);
                }
                Payload::Review(_) => {
                    view.reviews.insert(r.signer, r);
                }
                _ => {}
            }
        }
        Ok(view)
    }

    /// Current attestations matching `q`, newest first, as light rows: the record stays in the
    /// log until [`Snapshot::body`] or [`Snapshot::record_at`] reads it.
    pub fn attestation_rows(
        &self,
        q: &AttestationQuery,
    ) -> Result<Vec<AttestationRow>, StoreError> {
        let author = match q.author {
            Some(k) => match self.authors.iter().position(|a| *a == k) {
                Some(a) => Some(a as u32),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let by_model = q.provider.is_some() || q.model.is_some();
        let model_ids = self
            .models
            .matching(q.provider.as_deref(), q.model.as_deref());
        // Everything a listing filters and sorts by is in the view index itself.
        let mut rows = Vec::new();
        for entry in btree::iter(&self.txn, &self.tables.view, None)? {
            let (_, v) = entry?;
            if !v.is_attestation()
                || author.is_some_and(|a| a != v.author())
                || (q.ai_only && !v.ai_assisted())
                || (q.human_only && v.ai_assisted())
            {
                continue;
            }
            if by_model && !model_ids.contains(&v.model()) {
                // Past 254 distinct models the index shares one id; the record itself decides.
                if v.model() != OTHER_MODEL || !self.record_matches_model(v.offset(), q)? {
                    continue;
                }
            }
            self.author_key(v.author())?;
            rows.push(AttestationRow {
                offset: v.offset(),
                timestamp_ms: v.timestamp_ms(),
                author: v.author(),
                patch_len: v.patch_len(),
            });
        }
        // Newest first; ties broken by the signer's key (not by this store's author numbering)
        // so every replica lists the same order, then by log offset so that the order is total
        // (a page cursor names a place in it). The packed key keeps the sort to integer
        // compares.
        let prefixes = self.author_prefixes();
        rows.sort_unstable_by_key(|r| std::cmp::Reverse(listing_key(&prefixes, r)));
        Ok(rows)
    }

    /// Current attestations matching `q`, newest first in the order of [`listing_key`], read
    /// from the index by time as they are consumed: a listing that stops after `n` rows reads
    /// about `n` entries. `models`, when given, keeps only AI claims whose provider/model id
    /// ([`Snapshot::model_ids`]) is one of them (`q.provider` and `q.model` are not read).
    /// `before` starts after a row: only rows whose listing key is smaller come. `None` when
    /// the store has no up-to-date index by time (a store written by an older version, opened
    /// read-only): the caller scans with [`Snapshot::attestation_rows`].
    pub fn newest_attestations<'a>(
        &'a self,
        q: &AttestationQuery,
        models: Option<&[u8]>,
        before: Option<(u64, u64, u64)>,
    ) -> Result<Option<NewestRows<'a, 's>>, StoreError> {
        let Some(d) = &self.tables.derived else {
            return Ok(None);
        };
        if !d.fresh(&self.txn, self.log.len)? {
            return Ok(None);
        }
        let author = match q.author {
            Some(k) => match self.authors.iter().position(|a| *a == k) {
                Some(a) => Some(a as u32),
                None => Some(u32::MAX),
            },
            None => None,
        };
        // Entries at the cursor's time and signer prefix may come before or after it: start
        // past them and let the key comparison decide.
        let start = before.and_then(|(ts, prefix, _)| {
            ((ts.min((1 << 48) - 1) << 16) | (prefix >> 48)).checked_add(1)
        });
        let origin = start.as_ref().map(|k| (k, None));
        let iter = btree::rev_iter(&self.txn, &d.by_time, origin)?
            .map(|e| e.map(|(k, v)| (*k, *v)).map_err(StoreError::from));
        let iter = iter.skip_while(move |e| match (e, start) {
            (Ok((k, _)), Some(s)) => *k >= s,
            _ => false,
        });
        Ok(Some(NewestRows {
            snap: self,
            iter: Box::new(iter),
            run: Vec::new(),
            pending: None,
            author,
            ai_only: q.ai_only,
            human_only: q.human_only,
            models: models.map(|m| m.to_vec()),
            before,
            prefixes: self.author_prefixes(),
        }))
    }

    /// The ids the view index names provider/model pairs under, for the pairs `accept`s (see
    /// [`Snapshot::newest_attestations`]); `None` past the 254 pairs the index can tell apart.
    pub fn model_ids(&self, mut accept: impl FnMut(&str, &str) -> bool) -> Option<Vec<u8>> {
        if self.models.names.len() >= OTHER_MODEL as usize - 1 {
            return None;
        }
        Some(
            self.models
                .names
                .iter()
                .enumerate()
                .filter(|(_, (p, m))| accept(p, m))
                .map(|(i, _)| i as u8 + 1)
                .collect(),
        )
    }

    /// The sums `stats` reads outside a repository, by everything but the author
    /// ([`derived`]); `None` when the store has none up to date (written by an older version
    /// and opened read-only) or they are incomplete: the caller scans the view.
    pub fn stat_groups(&self) -> Result<Option<StatGroups>, StoreError> {
        match &self.tables.derived {
            Some(d) => d.patch_groups(&self.txn, self.log.len),
            None => Ok(None),
        }
    }

    /// The sums by author and month (a patch counts once for each attesting author); `None`
    /// as for [`Snapshot::stat_groups`].
    pub fn stat_author_groups(&self) -> Result<Option<Vec<AuthorGroup>>, StoreError> {
        match &self.tables.derived {
            Some(d) => d.author_groups(&self.txn, self.log.len),
            None => Ok(None),
        }
    }

    /// The sums by day (UTC); `None` as for [`Snapshot::stat_groups`].
    pub fn stat_day_groups(&self) -> Result<Option<Vec<DayGroup>>, StoreError> {
        match &self.tables.derived {
            Some(d) => d.day_groups(&self.txn, self.log.len),
            None => Ok(None),
        }
    }

    /// The first eight bytes of each author's key, big-endian, by author index: what
    /// [`listing_key`] orders equal times by.
    pub fn author_prefixes(&self) -> Vec<u64> {
        self.authors
            .iter()
            .map(|k| {
                let mut p = [0u8; 8];
                p.copy_from_slice(&k.0[..8]);
                u64::from_be_bytes(p)
            })
            .collect()
    }

    /// Every current view entry in index order, straight from the view index (no log read, no
    /// sort): the entries of one patch come together, so a report can aggregate per patch in
    /// one pass.
    pub fn view_rows(
        &self,
    ) -> Result<impl Iterator<Item = Result<ViewRow, StoreError>> + '_, StoreError> {
        Ok(
            btree::iter(&self.txn, &self.tables.view, None)?.map(|entry| {
                let (k, v) = entry?;
                Ok(ViewRow {
                    patch_key: *k,
                    offset: v.offset(),
                    timestamp_ms: v.timestamp_ms(),
                    author: v.author(),
                    kind: if v.is_attestation() {
                        ViewKind::Attestation {
                            ai: v.ai_assisted(),
                        }
                    } else if v.is_review() {
                        ViewKind::Review
                    } else {
                        ViewKind::Other
                    },
                })
            }),
        )
    }

    fn record_matches_model(&self, offset: u64, q: &AttestationQuery) -> Result<bool, StoreError> {
        Ok(self
            .stored_body(offset)?
            .peek_attestation()
            .and_then(|p| p.ai)
            .is_some_and(|ai| {
                q.provider.as_deref().is_none_or(|x| x == ai.provider)
                    && q.model.as_deref().is_none_or(|x| x == ai.model)
            }))
    }

    /// Every provider/model pair this store has seen, in first-seen order.
    pub fn models(&self) -> &[(String, String)] {
        &self.models.names
    }

    /// The canonical body of a row's record, borrowed from the store when it sits in one page.
    pub fn body(&self, row: &AttestationRow) -> Result<std::borrow::Cow<'_, [u8]>, StoreError> {
        self.body_at(row.offset)
    }

    /// The canonical body of the record at a log offset (from a row), borrowed from the store
    /// when it sits in one page and is not packed.
    pub fn body_at(&self, offset: u64) -> Result<std::borrow::Cow<'_, [u8]>, StoreError> {
        Ok(self.log.canonical_at(offset)?.1)
    }

    /// The body of the record at a log offset (from a row) as the store keeps it, for reading
    /// listing fields in place: no canonical bytes are rebuilt for a packed body.
    pub fn stored_body(&self, offset: u64) -> Result<StoredBody<'_>, StoreError> {
        let (head, bytes, _) = self.log.stored_at(offset)?;
        Ok(StoredBody {
            bytes,
            names: head.packed.then_some(self.log.names.as_slice()),
            offset,
        })
    }

    /// The whole signed record at a log offset (from a row).
    pub fn record_at(&self, offset: u64) -> Result<SignedRecord, StoreError> {
        self.reader().record_at(offset, self.team())
    }

    /// Every signer this store has seen, by index.
    pub fn authors(&self) -> &[PublicKey] {
        &self.authors
    }

    fn author_key(&self, author: u32) -> Result<PublicKey, StoreError> {
        self.authors
            .get(author as usize)
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("unknown author {author}")))
    }

    /// Current attestations matching `q`, newest first, fully decoded.
    pub fn attestations(&self, q: &AttestationQuery) -> Result<Vec<SignedRecord>, StoreError> {
        self.attestation_rows(q)?
            .iter()
            .map(|row| self.record_at(row.offset))
            .collect()
    }

    /// Current reviews of every patch.
    pub fn reviews(&self) -> Result<Vec<SignedRecord>, StoreError> {
        let team = self.team();
        let mut out = Vec::new();
        for entry in btree::iter(&self.txn, &self.tables.view, None)? {
            let r = self.reader().record_at(entry?.1.offset(), team)?;
            if matches!(r.record.payload, Payload::Review(_)) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Every record in the log, in arrival order, including refused-but-kept evidence.
    pub fn all_records(&self) -> Result<Vec<SignedRecord>, StoreError> {
        let team = self.team();
        let mut out = Vec::new();
        let mut off = 0;
        while off < self.log.len {
            let (entry, _) = self.log.entry_at(off)?;
            out.push(self.reader().record_at(off, team)?);
            off += entry.len as u64;
        }
        Ok(out)
    }

    /// The offsets of the current view, for comparison with a rebuilt view.
    pub fn view_records(&self) -> Result<Vec<SignedRecord>, StoreError> {
        let team = self.team();
        let mut out = Vec::new();
        for entry in btree::iter(&self.txn, &self.tables.view, None)? {
            let r = self.reader().record_at(entry?.1.offset(), team)?;
            if !matches!(r.record.payload, Payload::Retract { .. }) {
                out.push(r);
            }
        }
        Ok(out)
    }

    /// A read-only view of the whole log that threads can share (a snapshot itself is tied to
    /// its thread), with the offset of every entry.
    pub fn log_view(&self) -> Result<LogView<'_>, StoreError> {
        let mut offsets = Vec::new();
        let mut off = 0;
        while off < self.log.len {
            offsets.push(off);
            off += self.log.entry_at(off)?.0.len as u64;
        }
        Ok(LogView {
            log: &self.log,
            authors: &self.authors,
            offsets,
        })
    }

    /// Log offsets of every slot winner in the view table (retractions included).
    pub fn view_offsets(&self) -> Result<Vec<u64>, StoreError> {
        btree::iter(&self.txn, &self.tables.view, None)?
            .map(|e| e.map(|(_, v)| v.offset()).map_err(StoreError::from))
            .collect()
    }

    /// Number of records in the log.
    pub fn record_count(&self) -> Result<u64, StoreError> {
        Ok(meta_get(&self.txn, &self.tables, tables::META_RECORDS)?.unwrap_or(0))
    }

    /// Length of the record log in bytes. The log only grows, so a length read earlier is a
    /// cursor: [`Snapshot::records_from`] that offset yields exactly the records stored since,
    /// whoever wrote them (this process or another `attrib` command).
    pub fn log_len(&self) -> u64 {
        self.log.len
    }

    /// Up to `max` records in log order starting at the entry at `offset` (a value returned by
    /// [`Snapshot::log_len`] or by an earlier call), with the offset after the last one returned.
    pub fn records_from(
        &self,
        offset: u64,
        max: usize,
    ) -> Result<(Vec<SignedRecord>, u64), StoreError> {
        let team = self.team();
        let reader = self.reader();
        let mut out = Vec::new();
        let mut off = offset;
        while off < self.log.len && out.len() < max {
            let (entry, _) = self.log.entry_at(off)?;
            out.push(reader.record_at(off, team)?);
            off += entry.len as u64;
        }
        Ok((out, off))
    }

    /// The records `author` signed with sequence numbers in `first..=last`, in sequence order
    /// (both versions of an equivocated number), read through the index by author: a range scan,
    /// whatever the size of the store. Stops before the record that would take the total of
    /// canonical body bytes past `max_body_bytes` (but always returns at least one record when
    /// there is one) and says whether the range was complete.
    pub fn records_by_author(
        &self,
        author: &PublicKey,
        first: u32,
        last: u32,
        max_body_bytes: usize,
    ) -> Result<(Vec<SignedRecord>, bool), StoreError> {
        let Some(a) = self.authors.iter().position(|k| k == author) else {
            return Ok((Vec::new(), true));
        };
        let a = a as u32;
        let team = self.team();
        let reader = self.reader();
        let (mut out, mut bytes) = (Vec::new(), 0usize);
        for (_, off) in reader.by_author(a, first, last)? {
            let r = reader.record_at(off, team)?;
            if !out.is_empty() && bytes + r.body.len() > max_body_bytes {
                return Ok((out, false));
            }
            bytes += r.body.len();
            out.push(r);
        }
        Ok((out, true))
    }
}
