//! `attrib check`: the team's AI policy ([`attrib_query::policy`]) over a range of changes,
//! one line per violation and a summary; exit 1 on any violation.

use std::io::Write;

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_query::policy::{changes_in_range, evaluate, gather, Policy, Range, POLICY_FILE};
use attrib_query::time::TimeRange;
use attrib_workspace::Workspace;

use attrib_cli::args::CheckArgs;

pub fn run(ws: &Workspace, out: &mut dyn Write, args: CheckArgs) -> Result<()> {
    let repo = ws.repository()?;
    let policy_path = match &args.policy {
        Some(p) => ws.resolve(p),
        None => repo.root.join(POLICY_FILE),
    };
    let shown = args
        .policy
        .as_ref()
        .map_or_else(|| POLICY_FILE.to_string(), |p| p.display().to_string());
    let text = std::fs::read_to_string(&policy_path).with_context(|| {
        format!(
            "cannot read the policy {shown} (write one in the repository's root, or give --policy FILE)"
        )
    })?;
    let policy = Policy::parse(&text, &shown)?;
    let range = match (&args.range, args.since, &args.not_on) {
        (Some(spec), _, _) => Range::git(spec)
            .map_err(|e| anyhow::Error::new(attrib_cli::errors::UsageError(e.to_string())))?,
        (None, Some(since), _) => {
            Range::Time(TimeRange::new(Some(since), None, attrib_overlay::now_ms())?)
        }
        (None, None, Some(channel)) => Range::NotOn(channel.clone()),
        (None, None, None) => Range::All,
    };
    let mut rec = super::reconcile(ws)?;
    let snap = ws.store()?.snapshot()?;
    let channel = rec.channel()?.ok_or_else(|| {
        anyhow!("not in a repository: attrib check reads the range of changes from the VCS")
    })?;
    let vcs = channel.vcs.as_ref();
    let known = channel.current().map(|(_, record)| record);
    let changes = changes_in_range(vcs, &range, known, &policy)?;
    let facts = gather(&policy, vcs, &snap, changes)?;
    let report = evaluate(&policy, &facts, snap.membership());
    if args.json {
        super::print_json(out, &report)?;
    } else {
        for v in &report.violations {
            match (&v.change, &v.message) {
                (Some(c), Some(m)) if !m.is_empty() => {
                    writeln!(out, "{c} {m:?}: {}: {}", v.rule, v.why)?
                }
                (Some(c), _) => writeln!(out, "{c}: {}: {}", v.rule, v.why)?,
                (None, _) => writeln!(out, "range: {}: {}", v.rule, v.why)?,
            }
        }
        let lines = match report.ai_lines {
            Some((ai, all)) => format!(", {ai} of {all} added lines by AI"),
            None => String::new(),
        };
        writeln!(
            out,
            "checked {} changes ({} attested, {} AI-assisted{lines}) against {} rules of {shown}: {} violation(s)",
            report.changes,
            report.attested,
            report.ai_changes,
            report.rules.len(),
            report.violations.len()
        )?;
    }
    out.flush()?;
    if !report.ok {
        bail!(
            "policy check failed: {} violation(s) in {} changes",
            report.violations.len(),
            report.changes
        );
    }
    Ok(())
}
