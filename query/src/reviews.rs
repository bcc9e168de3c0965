//! The reviews of every patch, read from the view index (only the entries that are reviews),
//! and a patch id usable as a map key without allocating.

use std::collections::HashMap;
use std::fmt;

use anyhow::Result;
use attrib_overlay::peek::PatchRef;
use attrib_overlay::{PatchId, PublicKey, Snapshot, ViewKind};

/// A patch id as a map key: the 53-character change hashes (nearly every id) inline, others
/// boxed. Equal exactly when the printed ids are equal.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatchKey {
    /// A 53-character change hash, inline.
    Hash([u8; 53]),
    /// Any other patch id.
    Other(Box<str>),
}

struct Fixed53 {
    buf: [u8; 53],
    len: usize,
}

impl fmt::Write for Fixed53 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > 53 {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl PatchKey {
    fn from_str(s: &str) -> PatchKey {
        match <[u8; 53]>::try_from(s.as_bytes()) {
            Ok(b) => PatchKey::Hash(b),
            Err(_) => PatchKey::Other(s.into()),
        }
    }

    /// The key of a patch id read in place from a stored record.
    pub fn of_ref(p: &PatchRef<'_>) -> PatchKey {
        match p {
            PatchRef::Text(s) => PatchKey::from_str(s),
            PatchRef::Hash(_) => {
                use std::fmt::Write as _;
                let mut f = Fixed53 {
                    buf: [0; 53],
                    len: 0,
                };
                match write!(f, "{p}") {
                    Ok(()) if f.len == 53 => PatchKey::Hash(f.buf),
                    _ => PatchKey::Other(p.to_string().into()),
                }
            }
        }
    }

    /// The key of a patch id.
    pub fn of_id(p: &PatchId) -> PatchKey {
        PatchKey::from_str(p.as_str())
    }

    /// The patch id as printed.
    pub fn as_str(&self) -> &str {
        match self {
            // Patch ids are ASCII.
            PatchKey::Hash(b) => std::str::from_utf8(b).unwrap_or(""),
            PatchKey::Other(s) => s,
        }
    }
}

/// The current reviews of one patch.
#[derive(Clone, Debug, Default)]
pub struct Reviewed {
    /// The reviewed patch.
    pub patch: Option<PatchId>,
    /// How many members reviewed it.
    pub count: u32,
    /// Seconds the reviewers spent, together.
    pub seconds: u64,
    /// The earliest review's time.
    pub first_ms: u64,
    /// Who reviewed it.
    pub reviewers: Vec<PublicKey>,
}

/// Every patch's current reviews: the view index says which entries are reviews, and only
/// those are read.
pub fn reviews(snap: &Snapshot<'_>) -> Result<HashMap<PatchKey, Reviewed>> {
    let mut out: HashMap<PatchKey, Reviewed> = HashMap::new();
    for row in snap.view_rows()? {
        let row = row?;
        if row.kind != ViewKind::Review {
            continue;
        }
        let body = snap.stored_body(row.offset)?;
        let rv = body.review()?;
        let slot = out.entry(PatchKey::of_ref(&rv.patch)).or_default();
        if slot.patch.is_none() {
            slot.patch = Some(PatchId::new(&rv.patch.to_string())?);
        }
        slot.count += 1;
        slot.seconds += u64::from(rv.seconds);
        slot.first_ms = if slot.count == 1 {
            rv.timestamp_ms
        } else {
            slot.first_ms.min(rv.timestamp_ms)
        };
        if let Some(k) = snap.authors().get(row.author as usize) {
            slot.reviewers.push(*k);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_keys_compare_by_text() {
        let mut raw = [0u8; 33];
        raw[1] = 7;
        let id = PatchId::from_change_hash(&raw);
        assert!(PatchKey::of_ref(&PatchRef::Hash(&raw)) == PatchKey::of_id(&id));
        assert_eq!(PatchKey::of_id(&id).as_str(), id.as_str());
        let text = PatchId::new("P-1").unwrap();
        assert!(PatchKey::of_ref(&PatchRef::Text("P-1")) == PatchKey::of_id(&text));
    }
}
