//! `attrib verify`: prints the overlay's from-scratch audit and fails if anything is wrong.

use std::io::Write;

use anyhow::{bail, Result};
use attrib_query::members::name_of;
use attrib_workspace::Workspace;

use attrib_cli::progress::{Data, Progress};

pub fn run(ws: &Workspace, out: &mut dyn Write, json: bool) -> Result<()> {
    super::reconcile(ws)?;
    let snap = ws.store()?.snapshot()?;
    let progress = Progress::spinner("verifying every record and the view", Data::Stdout);
    let verification = attrib_query::verify::verify(&snap)?;
    drop(progress);
    let name = |k: &attrib_overlay::PublicKey| name_of(snap.membership(), k);
    let report = &verification.report;
    if json {
        super::print_json(out, &verification)?;
    } else {
        writeln!(
            out,
            "checked {} records: {} signatures valid, {} bad",
            report.records,
            report.valid,
            report.bad.len()
        )?;
        for b in &report.bad {
            let what = match (b.kind, b.seq) {
                (Some(kind), Some(seq)) => format!("{kind} record #{seq} by {}", name(&b.signer)),
                _ => format!("a record by {}", name(&b.signer)),
            };
            writeln!(out, "  BAD  {what}: {} (log offset {})", b.why, b.offset)?;
        }
        if report.view_matches {
            writeln!(
                out,
                "view rebuilt from scratch matches the store ({} current claims)",
                report.view_claims
            )?;
        } else {
            writeln!(
                out,
                "  VIEW MISMATCH  {} winners missing from the store's view, {} extra",
                report.missing_from_view.len(),
                report.extra_in_view.len()
            )?;
        }
        for k in &report.equivocators {
            writeln!(
                out,
                "  EQUIVOCATION  {} ({k}) signed two different records with one number",
                name(k)
            )?;
        }
        if report.held_not_admitted > 0 {
            writeln!(
                out,
                "{} authentic records are held but not admitted (non-member, revoked or equivocating)",
                report.held_not_admitted
            )?;
        }
    }
    out.flush()?;
    if !verification.ok {
        bail!(
            "verification failed: {}",
            verification.problems().join(", ")
        );
    }
    Ok(())
}
