//! The index by author: where the record an author signed with each sequence number sits in the
//! log.
//!
//! Sequence numbers go 64 to a catalog entry (`Kind::Seqs`, keyed by author index and `seq / 64`).
//! The entry is a varint base, the smallest log offset in the block, then one varint per slot up
//! to the last filled one: zero for no record, else the offset's distance from the base plus
//! one. An author's records sit close together in the log, so a slot costs about two bytes. One
//! B-tree entry per record would cost 16 bytes and, because an author's numbers arrive in order
//! and B-tree pages split in half, leave every page half empty.
//!
//! A slot holds one record. A second, different record with a taken number is an equivocation:
//! both offsets go to `Kind::Equivocation` entries as evidence, and `Reader::versions` reads
//! every version of a number from the slot and those entries.

use sanakirja::{AllocPage, LoadPage};

use super::log::{read_varint, write_varint};
use super::tables::{catalog_get, catalog_last, catalog_put, catalog_scan, Kind, Tables};
use crate::error::StoreError;

/// Sequence numbers per block.
const SLOTS: u32 = 64;
/// Bits of the block number in a key; the author index takes the bits above.
const BLOCK_BITS: u32 = 32;
/// Signers a store can index (the view index and the equivocation evidence hold 16 bits).
pub(crate) const MAX_AUTHORS: u32 = 1 << 16;

fn block_number(author: u32, seq: u32) -> Result<u64, StoreError> {
    if author >= MAX_AUTHORS {
        return Err(StoreError::Invalid(format!(
            "the store has outgrown its index by author ({MAX_AUTHORS} signers)"
        )));
    }
    Ok(((author as u64) << BLOCK_BITS) | (seq / SLOTS) as u64)
}

/// One block's slots: the offset of each filled one.
type Block = [Option<u64>; SLOTS as usize];

fn decode(bytes: &[u8]) -> Result<Block, StoreError> {
    let bad = || StoreError::Corrupt("malformed sequence block".into());
    let mut block = [None; SLOTS as usize];
    let (base, mut at) = read_varint(bytes).ok_or_else(bad)?;
    for slot in block.iter_mut() {
        if at == bytes.len() {
            break;
        }
        let (v, n) = read_varint(&bytes[at..]).ok_or_else(bad)?;
        at += n;
        if v != 0 {
            *slot = Some(base.checked_add(v - 1).ok_or_else(bad)?);
        }
    }
    if at != bytes.len() {
        return Err(bad());
    }
    Ok(block)
}

fn encode(block: &Block) -> Vec<u8> {
    let base = block.iter().flatten().min().copied().unwrap_or(0);
    let used = block.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    let mut out = Vec::with_capacity(6 + 2 * used);
    write_varint(&mut out, base);
    for slot in &block[..used] {
        write_varint(&mut out, slot.map_or(0, |off| off - base + 1));
    }
    out
}

fn block_at<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    t: &Tables,
    n: u64,
) -> Result<Option<Block>, StoreError> {
    catalog_get(txn, t, Kind::Seqs, n)?.map(decode).transpose()
}

/// The offset of the record `author` signed with `seq` (the first one stored, if it equivocated).
pub(crate) fn slot<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    t: &Tables,
    author: u32,
    seq: u32,
) -> Result<Option<u64>, StoreError> {
    Ok(block_at(txn, t, block_number(author, seq)?)?.and_then(|b| b[(seq % SLOTS) as usize]))
}

/// Puts the record at `offset` in the empty slot of `(author, seq)`.
pub(crate) fn fill_slot<T: AllocPage + LoadPage<Error = sanakirja::Error>>(
    txn: &mut T,
    t: &mut Tables,
    author: u32,
    seq: u32,
    offset: u64,
) -> Result<(), StoreError> {
    let n = block_number(author, seq)?;
    let mut block = block_at(txn, t, n)?.unwrap_or([None; SLOTS as usize]);
    block[(seq % SLOTS) as usize] = Some(offset);
    catalog_put(txn, t, Kind::Seqs, n, &encode(&block))
}

/// The filled slots of `author` with numbers in `first..=last`, in order, as `(seq, offset)`.
pub(crate) fn slots_in<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    t: &Tables,
    author: u32,
    first: u32,
    last: u32,
) -> Result<Vec<(u32, u64)>, StoreError> {
    let mut out = Vec::new();
    let end = block_number(author, last)?;
    for entry in catalog_scan(txn, t, Kind::Seqs, block_number(author, first)?)? {
        let (n, block) = entry?;
        if n > end {
            break;
        }
        let base = (n as u32).wrapping_mul(SLOTS);
        for (i, slot) in decode(block)?.iter().enumerate() {
            let seq = base.wrapping_add(i as u32);
            match slot {
                Some(off) if (first..=last).contains(&seq) => out.push((seq, *off)),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The highest number `author` has a record for (0 if none).
pub(crate) fn last_seq<T: LoadPage<Error = sanakirja::Error>>(
    txn: &T,
    t: &Tables,
    author: u32,
) -> Result<u32, StoreError> {
    let Some((n, block)) = catalog_last(txn, t, Kind::Seqs, block_number(author, u32::MAX)?)?
    else {
        return Ok(0);
    };
    if (n >> BLOCK_BITS) as u32 != author {
        return Ok(0);
    }
    let base = (n as u32).wrapping_mul(SLOTS);
    Ok(decode(block)?
        .iter()
        .rposition(Option::is_some)
        .map_or(0, |i| base.wrapping_add(i as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_with_gaps_and_out_of_order_offsets() {
        let mut block: Block = [None; SLOTS as usize];
        assert_eq!(decode(&encode(&block)).unwrap(), block);
        block[3] = Some(5_000);
        block[0] = Some(9_000_000_000);
        block[40] = Some(4_999);
        let bytes = encode(&block);
        assert_eq!(decode(&bytes).unwrap(), block);
        // Trailing empty slots are not stored.
        assert!(bytes.len() < 3 * 41 + 6);
        // Bad bytes are an error, not a panic.
        assert!(decode(&[0x80]).is_err());
        assert!(decode(&[]).is_err());
    }
}
