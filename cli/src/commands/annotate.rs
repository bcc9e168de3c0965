//! `attrib annotate PATCH`: this device's attestation of a patch (a newer one replaces its
//! earlier one).

use std::io::Write;

use anyhow::{anyhow, Result};
use attrib_overlay::PatchId;
use attrib_workspace::capture::CaptureEnv;
use attrib_workspace::claim::{attest, parse_line_span, Claim};
use attrib_workspace::reconcile::resolve_change;
use attrib_workspace::Workspace;

use attrib_cli::args::AnnotateArgs;

fn patch_id(s: &str) -> Result<PatchId> {
    PatchId::new(s).map_err(|e| anyhow!("{e}"))
}

pub fn run(ws: &Workspace, out: &mut dyn Write, args: AnnotateArgs) -> Result<()> {
    // Identity and store first: capturing a prompt keeps its salt, which only makes sense
    // when the record can be stored.
    let me = ws.identity()?;
    let mut rec = super::reconcile(ws)?;
    let (channel, warning) = rec.channel_or_warning();
    if let Some(w) = warning {
        super::warn(&w);
    }
    // In a Pijul repository: a unique prefix will do, and a change it never had is refused.
    let patch = resolve_change(channel.as_deref(), &args.patch, true)?;
    let claim = Claim::capture(
        ws,
        &args.capture.input(ws.dir()),
        &CaptureEnv::from_process(),
        args.description,
        args.origin.into(),
    )?;
    let spans = args
        .ai_lines
        .iter()
        .map(|s| parse_line_span(s))
        .collect::<Result<Vec<_>>>()?;
    let mut claim = claim.with_line_spans(spans)?;
    claim.depends_on = args
        .depends_on
        .iter()
        .map(|p| patch_id(p))
        .collect::<Result<_>>()?;
    claim.conflicts_with = args
        .conflicts_with
        .iter()
        .map(|p| patch_id(p))
        .collect::<Result<_>>()?;
    let signed = attest(ws, &me, patch, claim)?;
    super::report_attestation(out, ws, &signed, "attested", args.json)
}
