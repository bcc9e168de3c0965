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

/// `attrib verify FILE`: a signed export checked with nothing but the file (no store, no
/// identity, no network), and what it proves.
pub fn file(
    out: &mut dyn Write,
    dir: Option<&std::path::Path>,
    args: &attrib_cli::args::VerifyArgs,
) -> Result<()> {
    use anyhow::Context as _;
    use attrib_query::verify_file::verify_file;
    use std::io::Read as _;

    let Some(path) = &args.file else {
        bail!("no file to verify");
    };
    let pinned: Option<attrib_overlay::TeamId> = match &args.team {
        Some(t) => Some(t.parse().map_err(|e: attrib_overlay::FormatError| {
            attrib_cli::errors::UsageError(format!("--team: {e}"))
        })?),
        None => None,
    };
    let (bytes, shown) = if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        (b, "standard input".to_string())
    } else {
        let full = match dir {
            Some(d) => d.join(path),
            None => path.clone(),
        };
        if !full.exists() {
            // A word that names no file (`attrib verify extra`) is a mistyped command line.
            return Err(attrib_cli::errors::UsageError(format!(
                "FILE {}: no such file",
                path.display()
            ))
            .into());
        }
        let b = std::fs::read(&full).with_context(|| format!("cannot read {}", path.display()))?;
        (b, path.display().to_string())
    };
    let progress = Progress::spinner("verifying every record of the file", Data::Stdout);
    let v = verify_file(&bytes, pinned, attrib_overlay::now_ms()).with_context(|| shown.clone())?;
    drop(progress);
    if args.json {
        super::print_json(out, &v)?;
    } else {
        render_file(out, &shown, &v)?;
    }
    out.flush()?;
    if !v.ok {
        let mut why = Vec::new();
        if !v.audit.bad.is_empty() {
            why.push(format!("{} bad record(s)", v.audit.bad.len()));
        }
        why.extend(v.audit.problems.iter().cloned());
        if !v.audit.equivocators.is_empty() {
            why.push(format!(
                "{} equivocating key(s)",
                v.audit.equivocators.len()
            ));
        }
        bail!("{shown} does not verify: {}", why.join("; "));
    }
    Ok(())
}

fn render_file(
    out: &mut dyn Write,
    shown: &str,
    v: &attrib_query::verify_file::FileVerification,
) -> Result<()> {
    let a = &v.audit;
    for b in &a.bad {
        writeln!(out, "line {}: {} ({})", b.line, b.why, b.code)?;
    }
    for p in &a.problems {
        writeln!(out, "{shown}: {p}")?;
    }
    let statements = if v.statements > 0 {
        format!(" in {} in-toto statements", v.statements)
    } else {
        String::new()
    };
    writeln!(
        out,
        "checked {} records{statements}: {} signatures valid, {} bad line(s)",
        a.records,
        a.valid_signatures,
        a.bad.len()
    )?;
    let Some(p) = &v.proves else {
        return Ok(());
    };
    writeln!(
        out,
        "team {} ({}){}",
        p.team_name,
        p.team,
        if v.ok { "" } else { " — what holds of it:" }
    )?;
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    writeln!(
        out,
        "changes: {} attested, {} AI-assisted ({}), {} reviewed ({} of the AI-assisted)",
        p.changes,
        p.ai_changes,
        pct(p.ai_share),
        p.reviewed_changes,
        p.reviewed_ai_changes
    )?;
    for m in &p.by_model {
        writeln!(
            out,
            "  {}/{}: {} changes ({})",
            m.provider,
            m.model,
            m.changes,
            pct(m.share)
        )?;
    }
    writeln!(out, "reviews: {}", p.reviews)?;
    writeln!(out, "authors:")?;
    for au in &p.authors {
        let mut notes = Vec::new();
        if au.admin {
            notes.push("admin".to_string());
        }
        if let Some(n) = au.revoked_after {
            notes.push(format!("revoked after #{n}"));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", notes.join(", "))
        };
        writeln!(
            out,
            "  {} ({}){notes}: {} attestations ({} AI), {} reviews",
            au.name,
            au.key.short(),
            au.attestations,
            au.ai_attestations,
            au.reviews
        )?;
    }
    if v.ok {
        writeln!(out, "every record holds")?;
    }
    Ok(())
}
