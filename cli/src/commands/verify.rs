//! `attrib verify`: re-checks every signature, the membership and the whole view from scratch.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::{bail, Result};
use attrib_overlay::{verify_batch, MergedView, PublicKey, Store};
use serde::Serialize;

use crate::context::Ctx;

/// What a from-scratch verification found.
#[derive(Serialize, Debug)]
pub struct VerifyReport {
    pub records: usize,
    pub valid_signatures: usize,
    /// `(record id, description)` of every record whose signature fails.
    pub bad_signatures: Vec<(String, String)>,
    /// The view rebuilt from the records equals the store's indexed view.
    pub view_matches: bool,
    pub view_claims: usize,
    pub missing_from_store_view: Vec<String>,
    pub extra_in_store_view: Vec<String>,
    /// Keys that signed two different records with one sequence number.
    pub equivocators: Vec<String>,
    /// Authentic records kept as evidence or pending membership, not in the view.
    pub held_not_admitted: usize,
    pub ok: bool,
}

pub fn verify_store(store: &Store) -> Result<VerifyReport> {
    let snap = store.snapshot()?;
    let records = snap.all_records()?;
    let refs: Vec<_> = records.iter().collect();
    // Reads trust the store's own encoding; verification does not: verify_batch also requires
    // every body to be canonical.
    let flags = verify_batch(&refs);
    let name = |r: &attrib_overlay::SignedRecord| {
        snap.membership()
            .map(|m| m.name_of(&r.signer))
            .unwrap_or_else(|| r.signer.short())
    };
    let bad_signatures: Vec<(String, String)> = records
        .iter()
        .zip(&flags)
        .filter(|(_, ok)| !**ok)
        .map(|(r, _)| {
            (
                r.id().to_hex(),
                format!(
                    "{} record #{} by {}",
                    r.record.payload.kind(),
                    r.record.seq,
                    name(r)
                ),
            )
        })
        .collect();
    let good: Vec<_> = records
        .iter()
        .zip(&flags)
        .filter(|(_, ok)| **ok)
        .map(|(r, _)| r)
        .collect();
    let (view_matches, view_claims, missing, extra) = match snap.team() {
        None => (true, 0, vec![], vec![]),
        Some(team) => {
            let rebuilt = MergedView::build(team, good.iter().copied());
            // Admitted records are unique by (signer, seq): equal numbers would be equivocation.
            let expected: BTreeSet<(PublicKey, u32)> = rebuilt
                .patches
                .values()
                .flat_map(|p| p.attestations.values().chain(p.reviews.values()))
                .map(|r| (r.signer, r.record.seq))
                .collect();
            let actual: BTreeSet<(PublicKey, u32)> = snap
                .view_records()?
                .iter()
                .map(|r| (r.signer, r.record.seq))
                .collect();
            let show = |(k, seq): &(PublicKey, u32)| format!("{}#{seq}", k.to_hex());
            let missing: Vec<String> = expected.difference(&actual).map(show).collect();
            let extra: Vec<String> = actual.difference(&expected).map(show).collect();
            (
                missing.is_empty() && extra.is_empty(),
                expected.len(),
                missing,
                extra,
            )
        }
    };
    let equivocators: Vec<String> = snap.equivocators().iter().map(|k| k.to_hex()).collect();
    let held_not_admitted = match snap.membership() {
        None => records.len(),
        Some(m) => records
            .iter()
            .filter(|r| {
                !m.admits(&r.signer, r.record.seq) || snap.equivocators().contains(&r.signer)
            })
            .count(),
    };
    let ok = bad_signatures.is_empty() && view_matches && equivocators.is_empty();
    Ok(VerifyReport {
        records: records.len(),
        valid_signatures: good.len(),
        bad_signatures,
        view_matches,
        view_claims,
        missing_from_store_view: missing,
        extra_in_store_view: extra,
        equivocators,
        held_not_admitted,
        ok,
    })
}

pub fn run(ctx: &Ctx, out: &mut dyn Write, json: bool) -> Result<()> {
    let store = ctx.open_store()?;
    let report = verify_store(&store)?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(
            out,
            "checked {} records: {} signatures valid, {} bad",
            report.records,
            report.valid_signatures,
            report.bad_signatures.len()
        )?;
        for (id, what) in &report.bad_signatures {
            writeln!(out, "  BAD SIGNATURE  {what}  (record {id})")?;
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
                "  VIEW MISMATCH  {} claims missing from the store's view, {} extra",
                report.missing_from_store_view.len(),
                report.extra_in_store_view.len()
            )?;
        }
        for k in &report.equivocators {
            writeln!(
                out,
                "  EQUIVOCATION  key {k} signed two different records with one number"
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
    if !report.ok {
        let mut problems = Vec::new();
        if !report.bad_signatures.is_empty() {
            problems.push(format!("{} bad signature(s)", report.bad_signatures.len()));
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
