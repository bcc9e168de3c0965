//! The record log: every authentic record, packed end to end in raw sanakirja pages.
//!
//! Records are immutable, so the log only grows. It is a byte stream cut into 4 KiB pages; the
//! page table (`LOG_PAGES`: page number → file offset) and the length (`META_LOG_LEN`) live in
//! B-trees of the same transaction, so a commit publishes new bytes atomically and a crash before
//! commit leaves no trace. Pages written by a committed transaction are never written again: the
//! partly filled tail page is copied into a fresh page before the first append of a transaction
//! (copy-on-write, as sanakirja's own B-trees do), and the old page is freed at commit.
//!
//! Each page starts with an 8-byte header the log never uses: sanakirja keeps a "dirty" flag in
//! the first byte of pages it hands out and may clear it at commit, even on a page that was
//! recycled to us during the transaction. Data lives in the other 4088 bytes of every page.
//!
//! Entry layout: `u16 length (LE) | varint author index | canonical body | 64-byte signature`.
//! Dense packing is what keeps the store near 200 bytes per attestation: B-trees fed in key order
//! leave their pages half empty.

use std::borrow::Cow;
use std::collections::HashSet;

use sanakirja::btree;
use sanakirja::{AllocPage, LoadPage};

use super::tables::{Tables, META_LOG_LEN};
use crate::error::StoreError;

pub(crate) const PAGE: u64 = 4096;
/// Bytes at the start of every log page that hold no data.
const HEADER: u64 = 8;
/// Data bytes per log page; stream offset `o` is at byte `HEADER + o % DATA` of page `o / DATA`.
pub(crate) const DATA: u64 = PAGE - HEADER;

/// A log entry's header, read without decoding the body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EntryRef {
    pub author: u32,
    /// Total entry length including the 2-byte length prefix.
    pub len: usize,
}

/// A read view of the log: the page table loaded once per transaction.
pub(crate) struct LogReader {
    pub pages: Vec<u64>,
    /// Where each page is mapped, resolved once: sanakirja's page lookup takes a lock.
    ptrs: Vec<*const u8>,
    pub len: u64,
}

// SAFETY: the pointers address pages of sanakirja's memory map, which lives as long as the
// environment that every reader borrows. A snapshot's pages are never written while its read
// transaction lives (copy-on-write), so reading them from several threads at once is sound; a
// writer's reader is only ever used on the writer's thread, and the borrow checker keeps reads
// and appends apart.
unsafe impl Send for LogReader {}
unsafe impl Sync for LogReader {}

impl LogReader {
    pub fn load<T: LoadPage<Error = sanakirja::Error>>(
        txn: &T,
        t: &Tables,
    ) -> Result<LogReader, StoreError> {
        let len = super::tables::meta_get(txn, t, META_LOG_LEN)?.unwrap_or(0);
        let mut pages = Vec::with_capacity((len / PAGE + 1) as usize);
        for entry in btree::iter(txn, &t.log_pages, None)? {
            let (idx, off) = entry?;
            if *idx != pages.len() as u64 {
                return Err(StoreError::Corrupt(format!("log page {idx} out of order")));
            }
            pages.push(*off);
        }
        if (pages.len() as u64) < len.div_ceil(DATA) {
            return Err(StoreError::Corrupt(
                "log page table shorter than the log".into(),
            ));
        }
        let ptrs = pages
            .iter()
            // SAFETY: every offset comes from the page table of this snapshot.
            .map(|off| unsafe { txn.load_page(*off) }.map(|p| p.data as *const u8))
            .collect::<Result<_, _>>()?;
        Ok(LogReader { pages, ptrs, len })
    }

    /// The bytes `[offset, offset + n)` of the stream, borrowed when they sit in one page.
    pub fn read(&self, offset: u64, n: usize) -> Result<Cow<'_, [u8]>, StoreError> {
        if offset + n as u64 > self.len {
            return Err(StoreError::Corrupt(format!(
                "log read {offset}+{n} past the end ({})",
                self.len
            )));
        }
        let in_page = (offset % DATA) as usize;
        if in_page + n <= DATA as usize {
            let page = self.page(offset / DATA)?;
            // SAFETY: the page is a live 4 KiB page of this transaction's snapshot, which outlives
            // `self`; the range lies inside it.
            let s = unsafe { std::slice::from_raw_parts(page.add(HEADER as usize + in_page), n) };
            return Ok(Cow::Borrowed(s));
        }
        let mut out = Vec::with_capacity(n);
        let mut pos = offset;
        while out.len() < n {
            let in_page = (pos % DATA) as usize;
            let take = (DATA as usize - in_page).min(n - out.len());
            let page = self.page(pos / DATA)?;
            // SAFETY: as above.
            out.extend_from_slice(unsafe {
                std::slice::from_raw_parts(page.add(HEADER as usize + in_page), take)
            });
            pos += take as u64;
        }
        Ok(Cow::Owned(out))
    }

    fn page(&self, idx: u64) -> Result<*const u8, StoreError> {
        self.ptrs
            .get(idx as usize)
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("log page {idx} missing")))
    }

    /// The entry starting at `offset`.
    pub fn entry_at(&self, offset: u64) -> Result<(EntryRef, Cow<'_, [u8]>), StoreError> {
        let head = self.read(offset, 2)?;
        let len = u16::from_le_bytes([head[0], head[1]]) as usize;
        if len < 2 + 1 + 64 {
            return Err(StoreError::Corrupt(format!(
                "log entry at {offset} too short"
            )));
        }
        let bytes = self.read(offset, len)?;
        let (author, _) = read_varint(&bytes[2..])
            .ok_or_else(|| StoreError::Corrupt(format!("log entry at {offset} has no author")))?;
        Ok((
            EntryRef {
                author: author as u32,
                len,
            },
            bytes,
        ))
    }
}

/// Appends to the log inside one mutable transaction.
pub(crate) struct LogWriter {
    pub reader: LogReader,
    /// Pages allocated by this transaction, writable in place.
    owned: HashSet<u64>,
}

impl LogWriter {
    pub fn new(reader: LogReader) -> Self {
        LogWriter {
            reader,
            owned: HashSet::new(),
        }
    }

    /// Appends one entry and returns its stream offset.
    pub fn append<T>(
        &mut self,
        txn: &mut T,
        t: &mut Tables,
        author: u32,
        body: &[u8],
        signature: &[u8; 64],
    ) -> Result<u64, StoreError>
    where
        T: AllocPage + LoadPage<Error = sanakirja::Error>,
    {
        let mut entry = Vec::with_capacity(2 + 5 + body.len() + 64);
        entry.extend_from_slice(&[0, 0]);
        write_varint(&mut entry, author as u64);
        entry.extend_from_slice(body);
        entry.extend_from_slice(signature);
        let len = u16::try_from(entry.len())
            .map_err(|_| StoreError::Invalid("record too large for the log".into()))?;
        entry[..2].copy_from_slice(&len.to_le_bytes());

        let start = self.reader.len;
        let mut pos = start;
        let mut rest: &[u8] = &entry;
        while !rest.is_empty() {
            let idx = pos / DATA;
            let page = self.writable_page(txn, t, idx)?;
            let in_page = (pos % DATA) as usize;
            let take = (DATA as usize - in_page).min(rest.len());
            // SAFETY: `page` is a page this transaction owns; the range lies inside its data area.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    rest.as_ptr(),
                    page.add(HEADER as usize + in_page),
                    take,
                )
            };
            rest = &rest[take..];
            pos += take as u64;
        }
        self.reader.len = pos;
        super::tables::meta_put(txn, t, META_LOG_LEN, pos)?;
        Ok(start)
    }

    fn writable_page<T>(
        &mut self,
        txn: &mut T,
        t: &mut Tables,
        idx: u64,
    ) -> Result<*mut u8, StoreError>
    where
        T: AllocPage + LoadPage<Error = sanakirja::Error>,
    {
        let existing = self.reader.pages.get(idx as usize).copied();
        if let Some(off) = existing {
            if self.owned.contains(&off) {
                // SAFETY: allocated by this transaction.
                return Ok(unsafe { txn.load_page(off)? }.data);
            }
        }
        // SAFETY: a fresh page, referenced only from LOG_PAGES below.
        let fresh = unsafe { txn.alloc_page()? };
        let dst = fresh.0.data;
        if let Some(old) = existing {
            // Copy-on-write of the committed tail page.
            // SAFETY: both are whole pages; `old` belongs to the committed snapshot.
            unsafe {
                let src = txn.load_page(old)?.data;
                std::ptr::copy_nonoverlapping(src, dst, PAGE as usize);
                txn.decr_rc(old)?;
            }
            self.reader.pages[idx as usize] = fresh.0.offset;
            self.reader.ptrs[idx as usize] = dst;
        } else {
            self.reader.pages.push(fresh.0.offset);
            self.reader.ptrs.push(dst);
        }
        btree::del(txn, &mut t.log_pages, &idx, None)?;
        btree::put(txn, &mut t.log_pages, &idx, &fresh.0.offset)?;
        self.owned.insert(fresh.0.offset);
        Ok(dst)
    }
}

pub(crate) fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Returns the value and the number of bytes it took.
pub(crate) fn read_varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &byte) in b.iter().enumerate().take(10) {
        v |= ((byte & 0x7f) as u64) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// Splits an entry into (body, signature).
pub(crate) fn split_entry(bytes: &[u8]) -> Option<(&[u8], [u8; 64])> {
    let (_, n) = read_varint(bytes.get(2..)?)?;
    let body_start = 2 + n;
    let sig_start = bytes.len().checked_sub(64)?;
    if sig_start < body_start {
        return None;
    }
    let mut sig = [0u8; 64];
    sig.copy_from_slice(&bytes[sig_start..]);
    Some((&bytes[body_start..sig_start], sig))
}
