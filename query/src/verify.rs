//! `verify`: the overlay's from-scratch audit (every signature, the canonical form of every
//! body, membership and the view rebuilt with the same rule and compared with the store's).

use anyhow::Result;
use attrib_overlay::{audit, AuditReport, Snapshot};
use serde::Serialize;

/// An audit and its verdict.
#[derive(Serialize)]
pub struct Verification {
    /// What the audit found.
    #[serde(flatten)]
    pub report: AuditReport,
    /// True when every record holds and the view matches.
    pub ok: bool,
}

/// Audits the snapshot's store.
pub fn verify(snap: &Snapshot<'_>) -> Result<Verification> {
    let report = audit(snap)?;
    let ok = report.ok();
    Ok(Verification { report, ok })
}

impl Verification {
    /// The problems, as one phrase each (empty when `ok`).
    pub fn problems(&self) -> Vec<String> {
        let r = &self.report;
        let mut problems = Vec::new();
        if !r.bad.is_empty() {
            problems.push(format!("{} bad record(s)", r.bad.len()));
        }
        if !r.view_matches {
            problems.push("the store's view disagrees with its records".to_string());
        }
        if !r.equivocators.is_empty() {
            problems.push(format!("{} equivocating key(s)", r.equivocators.len()));
        }
        problems
    }
}
