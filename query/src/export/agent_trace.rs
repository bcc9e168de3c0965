//! `export --format agent-trace`: every current attestation with ranges as Agent Trace records
//! ([`crate::agent_trace`]), one per line; an attestation with contributions has a conversation
//! per contribution.

use anyhow::{anyhow, Result};
use attrib_overlay::{AttestationQuery, Payload, Snapshot};
use attrib_vcs_adapter::{Vcs, VcsError};

use crate::agent_trace::{added_ranges, trace_of};
use crate::progress::Progress;

/// What an Agent Trace export wrote.
pub struct Exported {
    /// The records, one JSON line each.
    pub text: String,
    /// How many.
    pub records: usize,
    /// AI-assisted attestations without line spans whose change's lines could not be read
    /// (outside a Pijul repository, or a change the repository does not have).
    pub without_spans: usize,
}

/// Every current attestation with ranges as one trace record per line, oldest first. An
/// AI-assisted attestation without line spans covers its whole change: with `changes` (the
/// Pijul repository), its ranges are the lines the change added (`pijul change`).
pub fn export(
    snap: &Snapshot<'_>,
    changes: Option<&dyn Vcs>,
    progress: &dyn Progress,
) -> Result<Exported> {
    let m = snap.membership();
    let mut rows = snap.attestation_rows(&AttestationQuery::default())?;
    rows.reverse();
    progress.set_message("writing Agent Trace records");
    progress.set_length(rows.len() as u64);
    let mut out = Exported {
        text: String::new(),
        records: 0,
        without_spans: 0,
    };
    for row in &rows {
        let r = snap.record_at(row.offset)?;
        progress.inc(1);
        let whole = match (&r.record.payload, changes) {
            (Payload::Attest(a), Some(pijul))
                if a.ai.is_some() && a.line_spans.is_empty() && a.contributions.is_empty() =>
            {
                match pijul.added_lines(&a.patch) {
                    Ok(lines) => Some(added_ranges(&lines)),
                    Err(VcsError::UnknownChange(_)) => None,
                    Err(e) => return Err(anyhow!("cannot read the lines of {}: {e}", a.patch)),
                }
            }
            _ => None,
        };
        match trace_of(&r, m, whole.as_deref()) {
            Some(t) => {
                out.text.push_str(&serde_json::to_string(&t)?);
                out.text.push('\n');
                out.records += 1;
            }
            None => {
                if matches!(&r.record.payload, Payload::Attest(a) if a.ai.is_some()) {
                    out.without_spans += 1;
                }
            }
        }
    }
    Ok(out)
}
