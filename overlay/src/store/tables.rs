//! The sanakirja tables of a store and their key types.
//!
//! | root | table | key → value |
//! |---|---|---|
//! | 0 | `meta` | small counters (`META_*`) → u64 |
//! | 1 | `log_pages` | log page number → file offset of the page |
//! | 2 | `seqs` | `author index << 32 | seq` → log offset (two values = equivocation) — the index by author |
//! | 3 | `view` | patch key ([`crate::PatchId::index_key`]) → [`ViewEntry`] of each slot's winner — the index by patch |
//! | 4 | `authors` | author index → public key |
//! | 5 | `membership` | log offset of each genesis / grant / revoke → 0 |
//! | 6 | `models` | model id → `provider\0model`: the names behind [`ViewEntry::model`] |
//! | 7 | `equivocations` | author index → log offsets of the conflicting records |

use sanakirja::btree::{self, Db, UDb};
use sanakirja::{direct_repr, LoadPage, MutTxn, RootDb, Storable, UnsizedStorable};

use crate::error::StoreError;

pub(crate) const META_SCHEMA: u64 = 0;
pub(crate) const META_LOG_LEN: u64 = 1;
pub(crate) const META_PENDING: u64 = 2;
pub(crate) const SCHEMA_VERSION: u64 = 3;

const ROOTS: usize = 8;

/// A 32-byte public key as a sanakirja value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(C)]
pub(crate) struct KeyBytes(pub [u8; 32]);
direct_repr!(KeyBytes);

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
    pub meta: Db<u64, u64>,
    pub log_pages: Db<u64, u64>,
    pub seqs: Db<u64, u64>,
    pub view: Db<u64, ViewEntry>,
    pub authors: Db<u64, KeyBytes>,
    pub membership: Db<u64, u64>,
    pub models: UDb<u64, [u8]>,
    pub equivocations: Db<u64, u64>,
}

impl Tables {
    /// Loads the tables of a committed store; `None` when the file is new.
    pub fn load<T: RootDb>(txn: &T) -> Option<Tables> {
        Some(Tables {
            meta: txn.root_db(0)?,
            log_pages: txn.root_db(1)?,
            seqs: txn.root_db(2)?,
            view: txn.root_db(3)?,
            authors: txn.root_db(4)?,
            membership: txn.root_db(5)?,
            models: txn.root_db(6)?,
            equivocations: txn.root_db(7)?,
        })
    }

    pub fn create<E: std::borrow::Borrow<sanakirja::Env>, X>(
        txn: &mut MutTxn<E, X>,
    ) -> Result<Tables, StoreError> {
        // SAFETY: each new table is stored in a root below before commit.
        let mut t = unsafe {
            Tables {
                meta: btree::create_db(txn)?,
                log_pages: btree::create_db(txn)?,
                seqs: btree::create_db(txn)?,
                view: btree::create_db(txn)?,
                authors: btree::create_db(txn)?,
                membership: btree::create_db(txn)?,
                models: btree::create_db_(txn)?,
                equivocations: btree::create_db(txn)?,
            }
        };
        meta_put(txn, &mut t, META_SCHEMA, SCHEMA_VERSION)?;
        Ok(t)
    }

    pub fn save<E: std::borrow::Borrow<sanakirja::Env>, X>(&self, txn: &mut MutTxn<E, X>) {
        let roots = [
            self.meta.db,
            self.log_pages.db,
            self.seqs.db,
            self.view.db,
            self.authors.db,
            self.membership.db,
            self.models.db,
            self.equivocations.db,
        ];
        debug_assert_eq!(roots.len(), ROOTS);
        for (i, db) in roots.into_iter().enumerate() {
            txn.set_root(i, db.into());
        }
    }
}

pub(crate) fn meta_get<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    t: &Tables,
    key: u64,
) -> Result<Option<u64>, StoreError> {
    Ok(match btree::get(txn, &t.meta, &key, None)? {
        Some((k, v)) if *k == key => Some(*v),
        _ => None,
    })
}

pub(crate) fn meta_put<T: sanakirja::AllocPage + LoadPage<Error = sanakirja::Error>>(
    txn: &mut T,
    t: &mut Tables,
    key: u64,
    value: u64,
) -> Result<(), StoreError> {
    btree::del(txn, &mut t.meta, &key, None)?;
    btree::put(txn, &mut t.meta, &key, &value)?;
    Ok(())
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

pub(crate) fn seq_key(author: u32, seq: u32) -> u64 {
    ((author as u64) << 32) | seq as u64
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
        for entry in btree::iter(txn, &t.models, None)? {
            let (id, bytes) = entry?;
            if *id != names.len() as u64 + 1 {
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
        if let Some(i) = self
            .names
            .iter()
            .position(|(p, m)| p == provider && m == model)
        {
            return Ok(i as u8 + 1);
        }
        let key = format!("{provider}\0{model}");
        // Table entries hold at most 510 bytes; ids stop at 254.
        if self.names.len() >= OTHER_MODEL as usize - 1 || key.len() > 500 {
            return Ok(OTHER_MODEL);
        }
        let id = self.names.len() as u64 + 1;
        btree::put(txn, &mut t.models, &id, key.as_bytes())?;
        self.names.push((provider.to_string(), model.to_string()));
        Ok(id as u8)
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
