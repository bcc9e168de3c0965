//! Reading stores of schema 3, whose layout this version replaced, so that opening one migrates
//! it instead of stranding its records.
//!
//! Schema 3 kept eight tables in roots 0..=7; the record log's pages and entry layout were the
//! same except that an entry's header varint was the bare author index. Its records are read
//! here and ingested into a store of the current layout (see [`super::Store::open`]).

use sanakirja::btree::{self, Db};
use sanakirja::{direct_repr, Env, RootDb, Storable, UnsizedStorable};

use super::log::{read_varint, split_entry, LogReader};
use crate::error::StoreError;
use crate::model::{Payload, Record};
use crate::signed::{SignedRecord, GENESIS_TEAM};
use crate::PublicKey;

/// The schema this module reads.
pub(crate) const SCHEMA: u64 = 3;
const META_ROOT: usize = 0;
const LOG_PAGES_ROOT: usize = 1;
const AUTHORS_ROOT: usize = 4;
const META_SCHEMA: u64 = 0;
const META_LOG_LEN: u64 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(C)]
struct KeyBytes([u8; 32]);
direct_repr!(KeyBytes);

/// The schema number of a store in the old layout, or `None` if the file is not one.
pub(crate) fn schema(env: &Env) -> Result<Option<u64>, StoreError> {
    let txn = Env::txn_begin(env)?;
    let Some(meta): Option<Db<u64, u64>> = txn.root_db(META_ROOT) else {
        return Ok(None);
    };
    Ok(match btree::get(&txn, &meta, &META_SCHEMA, None)? {
        Some((k, v)) if *k == META_SCHEMA => Some(*v),
        _ => Some(0),
    })
}

/// Every record of a schema-3 store, in log order.
pub(crate) fn records(env: &Env) -> Result<Vec<SignedRecord>, StoreError> {
    let txn = Env::txn_begin(env)?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("schema-3 store: {what}"));
    let meta: Db<u64, u64> = txn
        .root_db(META_ROOT)
        .ok_or_else(|| corrupt("no meta table"))?;
    let pages: Db<u64, u64> = txn
        .root_db(LOG_PAGES_ROOT)
        .ok_or_else(|| corrupt("no log page table"))?;
    let authors: Db<u64, KeyBytes> = txn
        .root_db(AUTHORS_ROOT)
        .ok_or_else(|| corrupt("no author table"))?;
    let len = match btree::get(&txn, &meta, &META_LOG_LEN, None)? {
        Some((k, v)) if *k == META_LOG_LEN => *v,
        _ => 0,
    };
    let mut offsets = Vec::new();
    for entry in btree::iter(&txn, &pages, None)? {
        let (i, off) = entry?;
        if *i != offsets.len() as u64 {
            return Err(corrupt("log page table out of order"));
        }
        offsets.push(*off);
    }
    let mut keys = Vec::new();
    for entry in btree::iter(&txn, &authors, None)? {
        keys.push(PublicKey(entry?.1 .0));
    }
    let log = LogReader::from_pages(&txn, offsets, len)?;

    let mut out: Vec<SignedRecord> = Vec::new();
    let mut off = 0;
    while off < len {
        let head = log.read(off, 2)?;
        let n = u16::from_le_bytes([head[0], head[1]]) as usize;
        let bytes = log.read(off, n)?;
        // The header varint was the bare author index; the body and signature sit as now.
        let (author, _) = read_varint(bytes.get(2..).unwrap_or_default())
            .ok_or_else(|| corrupt("entry without an author"))?;
        let signer = *keys
            .get(author as usize)
            .ok_or_else(|| corrupt("entry by an unknown author"))?;
        let (body, signature) = split_entry(&bytes).ok_or_else(|| corrupt("entry cut short"))?;
        let body = body.to_vec();
        let record =
            Record::from_trusted(&body).map_err(|e| corrupt(&format!("entry at {off}: {e}")))?;
        out.push(SignedRecord {
            team: GENESIS_TEAM,
            signer,
            record,
            body,
            signature,
        });
        off += n as u64;
    }
    // Every record but a genesis is signed for the team its store's first genesis founded.
    if let Some(team) = out
        .iter()
        .find(|r| matches!(r.record.payload, Payload::Genesis { .. }))
        .map(|g| g.team_id())
    {
        for r in &mut out {
            if !matches!(r.record.payload, Payload::Genesis { .. }) {
                r.team = team;
            }
        }
    }
    Ok(out)
}
