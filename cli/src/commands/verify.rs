//! `attrib verify`: prints the overlay's from-scratch audit and fails if anything is wrong.

use std::io::Write;

use anyhow::{bail, Result};
use attrib_overlay::audit;
use serde_json::json;

use crate::context::Ctx;
use crate::progress::{Data, Progress};

pub fn run(ctx: &Ctx, out: &mut dyn Write, json: bool) -> Result<()> {
    let store = ctx.open_store()?;
    let snap = store.snapshot()?;
    let progress = Progress::spinner("verifying every record and the view", Data::Stdout);
    let report = audit(&snap)?;
    drop(progress);
    let name = |k: &attrib_overlay::PublicKey| {
        snap.membership()
            .map(|m| m.name_of(k))
            .unwrap_or_else(|| k.short())
    };
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["ok"] = json!(report.ok());
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
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
    if !report.ok() {
        let mut problems = Vec::new();
        if !report.bad.is_empty() {
            problems.push(format!("{} bad record(s)", report.bad.len()));
        }
        if !report.view_matches {
            problems.push("the store's view disagrees with its records".to_string());
        }
        if !report.equivocators.is_empty() {
            problems.push(format!("{} equivocating key(s)", report.equivocators.len()));
        }
        bail!("verification failed: {}", problems.join(", "));
    }
    Ok(())
}
