//! `attrib review PATCH`: a signed review of another member's patch.

use std::io::Write;

use anyhow::Result;
use attrib_overlay::Verdict;
use attrib_workspace::reconcile::resolve_change;
use attrib_workspace::review::{review, ReviewInput};
use attrib_workspace::Workspace;

use attrib_cli::args::ReviewArgs;

pub fn run(ws: &Workspace, out: &mut dyn Write, args: ReviewArgs) -> Result<()> {
    let me = ws.identity()?;
    let mut rec = super::reconcile(ws)?;
    let (channel, warning) = rec.channel_or_warning();
    if let Some(w) = warning {
        super::warn(&w);
    }
    let patch = resolve_change(channel.as_deref(), &args.patch, false)?;
    let verdict: Verdict = args.verdict.into();
    let signed = review(
        ws,
        &me,
        patch.clone(),
        ReviewInput {
            seconds: args.seconds,
            verdict,
            comment: args.comment,
        },
    )?;
    if args.json {
        return super::print_record_json(out, ws, &signed);
    }
    writeln!(
        out,
        "reviewed {} ({}, {}s, record #{})",
        patch,
        verdict.as_str(),
        args.seconds,
        signed.record.seq
    )?;
    Ok(())
}
