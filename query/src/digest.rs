//! A short fingerprint of a store's view, to compare replicas by eye (the demo prints it):
//! equal digests, equal views.

use std::collections::BTreeSet;

use anyhow::Result;
use attrib_overlay::{RecordId, Snapshot};

/// blake3 over the sorted ids of every current claim, as `0123456789abcdef (N claims)`.
pub fn view_digest(snap: &Snapshot<'_>) -> Result<String> {
    let ids: BTreeSet<RecordId> = snap.view_records()?.iter().map(|r| r.id()).collect();
    let mut h = blake3::Hasher::new();
    for id in &ids {
        h.update(&id.0);
    }
    Ok(format!(
        "{} ({} claims)",
        &h.finalize().to_hex()[..16],
        ids.len()
    ))
}
