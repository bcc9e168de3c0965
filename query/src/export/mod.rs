//! Exports: every signed record as JSON Lines (the form `import` and `init --join` take), a CSV
//! report, or Agent Trace records.

pub mod agent_trace;
pub mod csv;
pub mod in_toto;

use anyhow::Result;
use attrib_overlay::exchange::to_json_line;
use attrib_overlay::{Payload, Snapshot};

use crate::progress::Progress;

/// Every record as one JSON line each, membership first (genesis, then grants and revokes,
/// then claims), so an import never depends on line order. Returns the text and the number of
/// records.
pub fn jsonl(snap: &Snapshot<'_>, progress: &dyn Progress) -> Result<(String, usize)> {
    let mut records = snap.all_records()?;
    progress.set_length(records.len() as u64);
    progress.set_message("writing signed records");
    records.sort_by_key(|r| match r.record.payload {
        Payload::Genesis { .. } => 0,
        Payload::Grant { .. } | Payload::Revoke { .. } => 1,
        _ => 2,
    });
    let mut text = String::with_capacity(records.len() * 400);
    for r in &records {
        text.push_str(&to_json_line(r));
        text.push('\n');
        progress.inc(1);
    }
    Ok((text, records.len()))
}
