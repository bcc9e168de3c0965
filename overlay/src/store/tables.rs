//! The sanakirja tables of a store and their key types.
//!
//! A store has two B-trees next to the record log's raw pages ([`super::log`]):
//!
//! | root | table | key → value |
//! |---|---|---|
//! | 8 | `catalog` | [`Kind`] (top byte) and a number → bytes: everything about the log but the view |
//! | 9 | `view` | patch key ([`crate::PatchId::index_key`]) → [`ViewEntry`] of each slot's winner — the index by patch |
//!
//! The catalog's kinds:
//!
//! | kind | number → value |
//! |---|---|
//! | `Meta` | counter (`META_*`) → u64 |
//! | `LogPage` | log page number → file offset of the page (u64) |
//! | `Author` | author index → 32-byte public key |
//! | `Membership` | log offset of each genesis / grant / revoke → (marker) |
//! | `Model` | model id → `provider\0model`: the names behind [`ViewEntry::model`] |
//! | `Equivocation` | author index << 40 \| log offset of each conflicting record → (marker) |
//! | `Seqs` | author index << 28 \| seq / 16 → sixteen log offsets: the index by author ([`super::seqs`]) |
//!
//! One table instead of one per kind is what keeps a small store small: sanakirja gives every
//! table at least a page of its own, and most of these kinds hold a few dozen bytes.
//!
//! Why roots 8 and 9: stores of schema 3 and older kept eight tables in roots 0..=7. A file
//! whose root 8 is unset is either new or old, never misread as the other. Roots 10 and 11 hold
//! the tables derived from the view ([`super::derived`]), which a store of schema 4 made by an
//! earlier version lacks: they are built on open.

use sanakirja::btree::{self, Db, UDb};
use sanakirja::{direct_repr, LoadPage, MutTxn, RootDb, Storable, UnsizedStorable};

use crate::error::StoreError;

pub(crate) const META_SCHEMA: u64 = 0;
pub(crate) const META_LOG_LEN: u64 = 1;
pub(crate) const META_PENDING: u64 = 2;
/// Records in the log, equivocating versions included.
pub(crate) const META_RECORDS: u64 = 3;
pub(crate) const SCHEMA_VERSION: u64 = 4;

const CATALOG_ROOT: usize = 8;
const VIEW_ROOT: usize = 9;
/// The derived tables ([`super::derived`]); a store of an earlier version has neither.
const STATS_ROOT: usize = 10;
const BY_TIME_ROOT: usize = 11;

/// What a catalog entry is about: the top byte of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Meta = 0,
    LogPage = 1,
    Author = 2,
    Membership = 3,
    Model = 4,
    Equivocation = 5,
    Seqs = 6,
}

const KIND_SHIFT: u32 = 56;
/// The largest number a catalog key holds under its kind.
pub(crate) const NUMBER_MAX: u64 = (1 << KIND_SHIFT) - 1;
/// The value of entries whose key says everything (sanakirja stores no empty values).
pub(crate) const MARKER: &[u8] = &[1];

fn catalog_key(kind: Kind, number: u64) -> u64 {
    ((kind as u64) << KIND_SHIFT) | (number & NUMBER_MAX)
}

/// A `view` value: where a slot's winning record is, and what a listing filters and sorts by,
/// so that `attrib log` reads the log only for the rows it prints. With the `view` key (the
/// patch) this makes the index by patch, author, provider/model and time.
///
/// `loc` = author index (16 bits) << 48 | model id (8 bits) << 40 | log offset (40 bits: 1 TiB).
/// `meta` = timestamp ms (48 bits) << 16 | printed patch-id length (8 bits) << 8 | flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(C)]
pub(crate) struct ViewEntry {
    loc: u64,
    meta: u64,
}
direct_repr!(ViewEntry);

const OFFSET_BITS: u32 = 40;
const MODEL_SHIFT: u32 = 40;
const AUTHOR_SHIFT: u32 = 48;
/// Model id of a record without AI.
pub(crate) const NO_MODEL: u8 = 0;
/// Model id shared by every model past the 254 a store names; readers check the record itself.
pub(crate) const OTHER_MODEL: u8 = 255;
const FLAG_ATTEST: u64 = 1;
const FLAG_REVIEW: u64 = 2;
const FLAG_RETRACT: u64 = 4;
const FLAG_AI: u64 = 8;

impl ViewEntry {
    pub fn new(
        offset: u64,
        author: u32,
        model: u8,
        r: &crate::model::Record,
    ) -> Result<ViewEntry, StoreError> {
        use crate::model::Payload;
        if offset >> OFFSET_BITS != 0 || author >> 16 != 0 {
            return Err(StoreError::Invalid(
                "the store has outgrown its view index (1 TiB of records or 65536 signers)".into(),
            ));
        }
        let flags = match &r.payload {
            Payload::Attest(a) if a.ai.is_some() => FLAG_ATTEST | FLAG_AI,
            Payload::Attest(_) => FLAG_ATTEST,
            Payload::Review(_) => FLAG_REVIEW,
            Payload::Retract { .. } => FLAG_RETRACT,
            _ => 0,
        };
        let patch_len = r.payload.patch().map_or(0, |p| p.as_str().len() as u64) & 0xff;
        Ok(ViewEntry {
            loc: ((author as u64) << AUTHOR_SHIFT) | ((model as u64) << MODEL_SHIFT) | offset,
            meta: ((r.timestamp_ms & ((1 << 48) - 1)) << 16) | (patch_len << 8) | flags,
        })
    }
    pub fn offset(&self) -> u64 {
        self.loc & ((1 << OFFSET_BITS) - 1)
    }
    pub fn author(&self) -> u32 {
        (self.loc >> AUTHOR_SHIFT) as u32
    }
    pub fn model(&self) -> u8 {
        (self.loc >> MODEL_SHIFT) as u8
    }
    pub fn timestamp_ms(&self) -> u64 {
        self.meta >> 16
    }
    pub fn patch_len(&self) -> u16 {
        ((self.meta >> 8) & 0xff) as u16
    }
    pub fn is_attestation(&self) -> bool {
        self.meta & FLAG_ATTEST != 0
    }
    pub fn ai_assisted(&self) -> bool {
        self.meta & FLAG_AI != 0
    }
    pub fn is_review(&self) -> bool {
        self.meta & FLAG_REVIEW != 0
    }
}

pub(crate) struct Tables {
    pub catalog: UDb<u64, [u8]>,
    pub view: Db<u64, ViewEntry>,
    /// The tables derived from the view, when the store has them ([`super::derived`]).
    pub derived: Option<super::derived::Derived>,
}

impl Tables {
    /// Loads the tables of a committed store; `None` when the file is new or of schema 3 or
    /// older (see [`super::legacy`]).
    pub fn load<T: RootDb>(txn: &T) -> Option<Tables> {
        let derived = match (txn.root_db(STATS_ROOT), txn.root_db(BY_TIME_ROOT)) {
            (Some(stats), Some(by_time)) => Some(super::derived::Derived { stats, by_time }),
            _ => None,
        };
        Some(Tables {
            catalog: txn.root_db(CATALOG_ROOT)?,
            view: txn.root_db(VIEW_ROOT)?,
            derived,
        })
    }

    pub fn create<E: std::borrow::Borrow<sanakirja::Env>, X>(
        txn: &mut MutTxn<E, X>,
    ) -> Result<Tables, StoreError> {
        // SAFETY: each new table is stored in a root below before commit.
        let mut t = unsafe {
            Tables {
                catalog: btree::create_db_(txn)?,
                view: btree::create_db(txn)?,
                derived: None,
            }
        };
        meta_put(txn, &mut t, META_SCHEMA, SCHEMA_VERSION)?;
        Ok(t)
    }

    pub fn save<E: std::borrow::Borrow<sanakirja::Env>, X>(&self, txn: &mut MutTxn<E, X>) {
        txn.set_root(CATALOG_ROOT, self.catalog.db.into());
        txn.set_root(VIEW_ROOT, self.view.db.into());
        if let Some(d) = &self.derived {
            txn.set_root(STATS_ROOT, d.stats.db.into());
            txn.set_root(BY_TIME_ROOT, d.by_time.db.into());
        }
    }
}

/// The value under `(kind, number)`.
pub(crate) fn catalog_get<'t, T: LoadPage<Error = sanakirja::Error>>(
    txn: &'t T,
    t: &Tables,
    kind: Kind,
    number: u64,
) -> Result<Option<&'t [u8]>, StoreError> {
    let key = catalog_key(kind, number);
    Ok(match btree::get(txn, &t.catalog, &key, None)? {
        Some((k, v)) if *k == key => Some(v),
        _ => None,
    })
}

/// Binds `(kind, number)` to `value`, replacing what it held.
pub(crate) fn catalog_put<T: sanakirja::AllocPage + LoadPage<Error = sanakirja::Error>>(
    txn: &mut T,
    t: &mut Tables,
    kind: Kind,
    number: u64,
    value: &[u8],
) -> Result<(), StoreError> {
    let key = catalog_key(kind, number);
    btree::del(txn, &mut t.catalog, &key, None)?;
    btree::put(txn, &mut t.catalog, &key, value)?;
    Ok(())
}

/// The entries of one kind from `first` on, in number order, as `(number, value)`.
pub(crate) fn catalog_scan<'t, T: LoadPage<Error = sanakirja::Error>>(
    txn: &'t T,
    t: &Tables,
    kind: Kind,
    first: u64,
) -> Result<impl Iterator<Item = Result<(u64, &'t [u8]), StoreError>> + 't, StoreError> {
    let from = catalog_key(kind, first);
    Ok(
        btree::iter(txn, &t.catalog, Some((&from, None)))?.map_while(move |entry| match entry {
            Ok((k, v)) if *k >> KIND_SHIFT == kind as u64 => Some(Ok((*k & NUMBER_MAX, v))),
            Ok(_) => None,
            Err(e) => Some(Err(e.into())),
        }),
    )
}

/// The last entry of one kind whose number is at most `last`.
pub(crate) fn catalog_last<'t, T: LoadPage<Error = sanakirja::Error>>(
    txn: &'t T,
    t: &Tables,
    kind: Kind,
    last: u64,
) -> Result<Option<(u64, &'t [u8])>, StoreError> {
    let from = catalog_key(kind, last);
    // The reverse scan starts at the first entry at or after `from`, then goes back.
    for entry in btree::rev_iter(txn, &t.catalog, Some((&from, None)))? {
        let (k, v) = entry?;
        if *k > from {
            continue;
        }
        if *k >> KIND_SHIFT == kind as u64 {
            return Ok(Some((*k & NUMBER_MAX, v)));
        }
        break;
    }
    Ok(None)
}

/// A catalog value that must be a little-endian u64.
pub(crate) fn as_u64(v: &[u8]) -> Result<u64, StoreError> {
    let bytes: [u8; 8] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("catalog value of {} bytes, not 8", v.len())))?;
    Ok(u64::from_le_bytes(bytes))
}

pub(crate) fn meta_get<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    t: &Tables,
    key: u64,
) -> Result<Option<u64>, StoreError> {
    catalog_get(txn, t, Kind::Meta, key)?
        .map(as_u64)
        .transpose()
}

pub(crate) fn meta_put<T: sanakirja::AllocPage + LoadPage<Error = sanakirja::Error>>(
    txn: &mut T,
    t: &mut Tables,
    key: u64,
    value: u64,
) -> Result<(), StoreError> {
    catalog_put(txn, t, Kind::Meta, key, &value.to_le_bytes())
}

/// All values bound to `key` in a multimap table.
pub(crate) fn values_of<T: LoadPage<Error = sanakirja::Error>, V: Storable + Copy>(
    txn: &T,
    db: &Db<u64, V>,
    key: u64,
) -> Result<Vec<V>, StoreError> {
    let mut out = Vec::new();
    for entry in btree::iter(txn, db, Some((&key, None)))? {
        let (k, v) = entry?;
        if *k != key {
            break;
        }
        out.push(*v);
    }
    Ok(out)
}

/// The store's provider/model names and their one-byte ids.
pub(crate) struct Models {
    pub names: Vec<(String, String)>,
}

impl Models {
    pub fn load<T: LoadPage<Error = sanakirja::Error>>(
        txn: &T,
        t: &Tables,
    ) -> Result<Models, StoreError> {
        let mut names = Vec::new();
        for entry in catalog_scan(txn, t, Kind::Model, 0)? {
            let (id, bytes) = entry?;
            if id != names.len() as u64 + 1 {
                return Err(StoreError::Corrupt("model table out of order".into()));
            }
            let text = std::str::from_utf8(bytes)
                .map_err(|_| StoreError::Corrupt("model name is not UTF-8".into()))?;
            let (provider, model) = text.split_once('\0').unwrap_or((text, ""));
            names.push((provider.to_string(), model.to_string()));
        }
        Ok(Models { names })
    }

    /// The id of a provider/model pair, naming it in the table the first time.
    pub fn intern<T: sanakirja::AllocPage + LoadPage<Error = sanakirja::Error>>(
        &mut self,
        txn: &mut T,
        t: &mut Tables,
        provider: &str,
        model: &str,
    ) -> Result<u8, StoreError> {
        if let Some(id) = self.id_of(provider, model) {
            return Ok(id);
        }
        let key = format!("{provider}\0{model}");
        // Table entries hold at most 510 bytes; ids stop at 254.
        if self.names.len() >= OTHER_MODEL as usize - 1 || key.len() > 500 {
            return Ok(OTHER_MODEL);
        }
        let id = self.names.len() as u64 + 1;
        catalog_put(txn, t, Kind::Model, id, key.as_bytes())?;
        self.names.push((provider.to_string(), model.to_string()));
        Ok(id as u8)
    }

    /// The id of a record's provider/model if the table already names it, else [`NO_MODEL`].
    pub fn known(&self, r: &crate::model::Record) -> u8 {
        match &r.payload {
            crate::model::Payload::Attest(a) => a.ai.as_ref().map_or(NO_MODEL, |ai| {
                self.id_of(&ai.provider, &ai.model).unwrap_or(NO_MODEL)
            }),
            _ => NO_MODEL,
        }
    }

    /// The id the table names a provider/model pair under, if it does.
    fn id_of(&self, provider: &str, model: &str) -> Option<u8> {
        self.names
            .iter()
            .position(|(p, m)| p == provider && m == model)
            .map(|i| i as u8 + 1)
    }

    /// Ids whose names match the given provider and/or model.
    pub fn matching(&self, provider: Option<&str>, model: Option<&str>) -> Vec<u8> {
        self.names
            .iter()
            .enumerate()
            .filter(|(_, (p, m))| provider.is_none_or(|x| x == p) && model.is_none_or(|x| x == m))
            .map(|(i, _)| i as u8 + 1)
            .collect()
    }
}
