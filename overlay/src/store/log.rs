//! The record log: every authentic record, packed end to end in raw sanakirja pages.
//!
//! Records are immutable, so the log only grows. It is a byte stream cut into 4 KiB pages; the
//! page table (`Kind::LogPage`: page number → file offset) and the length (`META_LOG_LEN`) live in
//! the catalog B-tree of the same transaction, so a commit publishes new bytes atomically and a crash before
//! commit leaves no trace. Pages written by a committed transaction are never written again: the
//! partly filled tail page is copied into a fresh page before the first append of a transaction
//! (copy-on-write, as sanakirja's own B-trees do), and the old page is freed at commit.
//!
//! Each page starts with an 8-byte header the log never uses: sanakirja keeps a "dirty" flag in
//! the first byte of pages it hands out and may clear it at commit, even on a page that was
//! recycled to us during the transaction. Data lives in the other 4088 bytes of every page.
//!
//! Entry layout: `u16 length (LE) | varint (author index << 1 | packed) | body | 64-byte
//! signature`. The body is the record's canonical bytes, except that in a *packed* entry an AI
//! attestation's provider and model strings (about 20 bytes) are replaced by the one-byte id the
//! catalog names them under ([`super::tables::Models`]); [`LogReader::canonical_at`] puts them
//! back, so signatures, ids and sync only ever see canonical bytes. Dense packing is what keeps
//! the store near 150 bytes per attestation: B-trees fed in key order leave their pages half
//! empty.

use std::borrow::Cow;
use std::collections::HashSet;

use sanakirja::{AllocPage, LoadPage};

use super::tables::{as_u64, catalog_put, catalog_scan, Kind, Models, Tables, META_LOG_LEN};
use crate::error::StoreError;
use crate::peek::{ai_names_span, packed_model_at};

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
    /// The body's provider and model are packed into a model id.
    pub packed: bool,
}

/// An entry's header, body and signature.
pub(crate) type Parts<'a> = (EntryRef, Cow<'a, [u8]>, [u8; 64]);

/// A read view of the log: the page table loaded once per transaction.
pub(crate) struct LogReader {
    pub pages: Vec<u64>,
    /// Where each page is mapped, resolved once: sanakirja's page lookup takes a lock.
    ptrs: Vec<*const u8>,
    pub len: u64,
    /// The catalog's provider/model names, which packed bodies refer to by id.
    pub names: Vec<(String, String)>,
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
        for entry in catalog_scan(txn, t, Kind::LogPage, 0)? {
            let (idx, off) = entry?;
            if idx != pages.len() as u64 {
                return Err(StoreError::Corrupt(format!("log page {idx} out of order")));
            }
            pages.push(as_u64(off)?);
        }
        let mut log = LogReader::from_pages(txn, pages, len)?;
        log.names = Models::load(txn, t)?.names;
        Ok(log)
    }

    /// A reader over pages found some other way (a store of an older layout).
    pub fn from_pages<T: LoadPage<Error = sanakirja::Error>>(
        txn: &T,
        pages: Vec<u64>,
        len: u64,
    ) -> Result<LogReader, StoreError> {
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
        Ok(LogReader {
            pages,
            ptrs,
            len,
            names: Vec::new(),
        })
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
        let (head, _) = read_varint(&bytes[2..])
            .ok_or_else(|| StoreError::Corrupt(format!("log entry at {offset} has no author")))?;
        let author = u32::try_from(head >> 1)
            .map_err(|_| StoreError::Corrupt(format!("log entry at {offset}: author too large")))?;
        Ok((
            EntryRef {
                author,
                len,
                packed: head & 1 == 1,
            },
            bytes,
        ))
    }

    /// The body as stored (packed or not, see [`EntryRef::packed`]) and the signature of the
    /// entry at `offset`, borrowed from the store when it sits in one page.
    pub fn stored_at(&self, offset: u64) -> Result<Parts<'_>, StoreError> {
        let (head, bytes) = self.entry_at(offset)?;
        let (body_len, signature) = split_entry(&bytes)
            .map(|(b, s)| (b.len(), s))
            .ok_or_else(|| StoreError::Corrupt(format!("log entry at {offset} is cut short")))?;
        let end = bytes.len() - 64;
        let body = match bytes {
            Cow::Borrowed(e) => Cow::Borrowed(&e[end - body_len..end]),
            Cow::Owned(e) => Cow::Owned(e[end - body_len..end].to_vec()),
        };
        Ok((head, body, signature))
    }

    /// The canonical body and the signature of the entry at `offset`.
    pub fn canonical_at(&self, offset: u64) -> Result<Parts<'_>, StoreError> {
        let (head, body, signature) = self.stored_at(offset)?;
        if !head.packed {
            return Ok((head, body, signature));
        }
        let bad = || StoreError::Corrupt(format!("log entry at {offset}: bad packed model id"));
        let at = packed_model_at(&body).ok_or_else(bad)?;
        let id = usize::from(*body.get(at).ok_or_else(bad)?);
        let (provider, model) = id
            .checked_sub(1)
            .and_then(|i| self.names.get(i))
            .ok_or_else(bad)?;
        let mut out = Vec::with_capacity(body.len() + provider.len() + model.len() + 4);
        out.extend_from_slice(&body[..at]);
        write_varint(&mut out, provider.len() as u64);
        out.extend_from_slice(provider.as_bytes());
        write_varint(&mut out, model.len() as u64);
        out.extend_from_slice(model.as_bytes());
        out.extend_from_slice(&body[at + 1..]);
        Ok((head, Cow::Owned(out), signature))
    }

    /// The sequence number of the record at `offset`: the first field of every body.
    pub fn seq_at(&self, offset: u64) -> Result<u32, StoreError> {
        let (_, bytes) = self.entry_at(offset)?;
        split_entry(&bytes)
            .and_then(|(body, _)| read_varint(body))
            .and_then(|(seq, _)| u32::try_from(seq).ok())
            .ok_or_else(|| {
                StoreError::Corrupt(format!("log entry at {offset} has no sequence number"))
            })
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

    /// Appends one entry and returns its stream offset. `model` is the id the catalog names the
    /// record's provider/model under (`names` holds them all); an AI attestation with an id in
    /// `1..=names.len()` is stored packed.
    #[allow(clippy::too_many_arguments)]
    pub fn append<T>(
        &mut self,
        txn: &mut T,
        t: &mut Tables,
        author: u32,
        body: &[u8],
        signature: &[u8; 64],
        model: u8,
        names: &[(String, String)],
    ) -> Result<u64, StoreError>
    where
        T: AllocPage + LoadPage<Error = sanakirja::Error>,
    {
        if names.len() > self.reader.names.len() {
            self.reader.names = names.to_vec();
        }
        // Packed only when the id names exactly this record's provider and model.
        let span = ai_names_span(body).filter(|ai| {
            (model as usize)
                .checked_sub(1)
                .and_then(|i| names.get(i))
                .is_some_and(|(p, m)| p == ai.provider && m == ai.model)
        });
        let mut entry = Vec::with_capacity(2 + 5 + body.len() + 64);
        entry.extend_from_slice(&[0, 0]);
        write_varint(&mut entry, ((author as u64) << 1) | span.is_some() as u64);
        match span {
            Some(ai) => {
                entry.extend_from_slice(&body[..ai.start]);
                entry.push(model);
                entry.extend_from_slice(&body[ai.end..]);
            }
            None => entry.extend_from_slice(body),
        }
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
        catalog_put(txn, t, Kind::LogPage, idx, &fresh.0.offset.to_le_bytes())?;
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
