//! `attrib annotate` and `attrib review`: the two ways a member writes a claim about a patch.

use std::io::Write;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{
    AiAssistance, Attestation, LineSpan, Origin, PatchId, Payload, Review, SignedRecord, Store,
    Verdict,
};

use super::sign_and_store;
use crate::args::{AnnotateArgs, CaptureArgs, OriginArg, ReviewArgs, VerdictArg};
use crate::capture::{capture, detected};
use crate::context::{Ctx, Me};
use crate::follow::resolve_change;
use crate::render;

pub fn patch_id(s: &str) -> Result<PatchId> {
    PatchId::new(s).map_err(|e| anyhow!("{e}"))
}

/// Parses `FILE:START-END` (or `FILE:LINE`).
fn line_span(s: &str) -> Result<LineSpan> {
    let (file, range) = s
        .rsplit_once(':')
        .ok_or_else(|| anyhow!("--ai-lines {s:?}: expected FILE:START-END"))?;
    let (start, end) = match range.split_once('-') {
        Some((a, b)) => (a, b),
        None => (range, range),
    };
    let parse = |x: &str| -> Result<u32> {
        x.trim()
            .parse()
            .map_err(|_| anyhow!("--ai-lines {s:?}: {x:?} is not a line number"))
    };
    let span = LineSpan {
        file: file.to_string(),
        start: parse(start)?,
        end: parse(end)?,
    };
    if file.is_empty() || span.start == 0 || span.end < span.start {
        bail!("--ai-lines {s:?}: expected FILE:START-END with 1 <= START <= END");
    }
    Ok(span)
}

/// Prints a record just written as `--json` asks.
fn print_json(out: &mut dyn Write, store: &Store, signed: &SignedRecord) -> Result<()> {
    let snap = store.snapshot()?;
    let v = render::record_json(snap.membership(), signed);
    writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    Ok(())
}

/// What a member claims about a patch besides its id: built before the patch exists (`attrib
/// record`, which runs `pijul record` only once the claim is known to be valid) or beside it
/// (`attrib annotate`).
pub struct Claim {
    pub ai: Option<AiAssistance>,
    pub description: Option<String>,
    pub depends_on: Vec<PatchId>,
    pub conflicts_with: Vec<PatchId>,
    pub line_spans: Vec<LineSpan>,
    pub origin: Origin,
    /// The patch this claim's patch amends (its attribution carried over).
    pub replaces: Option<PatchId>,
    /// A capture source said whether AI helped; when none did, trailers may.
    pub decided: bool,
}

impl Claim {
    /// Captures how AI helped (flags, then environment). Call it once the identity and store
    /// are known to be usable: capturing a prompt writes its salt, which should only happen when
    /// the record can be stored. (The salt is kept before the record, never after: a record
    /// whose salt was lost could never be opened.)
    pub fn capture(
        ctx: &Ctx,
        capture_args: &CaptureArgs,
        description: Option<String>,
        origin: OriginArg,
    ) -> Result<Claim> {
        let captured = capture(capture_args, ctx)?;
        Ok(Claim {
            ai: captured.ai,
            description,
            depends_on: Vec::new(),
            conflicts_with: Vec::new(),
            line_spans: Vec::new(),
            origin: match origin {
                OriginArg::Human => Origin::Person,
                OriginArg::Agent => Origin::AgentHook,
            },
            replaces: None,
            decided: captured.decided,
        })
    }

    /// The attestation this claim makes about `patch`, and who made it.
    pub fn into_payload(self, patch: PatchId) -> (Origin, Payload) {
        let attestation = Attestation {
            patch,
            ai: self.ai,
            description: self.description,
            depends_on: self.depends_on,
            conflicts_with: self.conflicts_with,
            replaces: self.replaces,
            line_spans: self.line_spans,
        };
        (self.origin, Payload::Attest(attestation))
    }

    /// When no capture source decided, reads AI help from a change message's trailers: the
    /// claim becomes *detected*, with a lower confidence.
    pub fn detect_from(&mut self, message: &str) {
        if self.decided {
            return;
        }
        if let Some(ai) = detected(message) {
            self.ai = Some(ai);
            self.origin = Origin::Detected;
        }
    }
}

/// Signs and stores this device's attestation of `patch`: the one path `annotate`, `record`
/// and reconciliation share.
pub fn attest(
    ctx: &Ctx,
    store: &Store,
    me: &Me,
    patch: PatchId,
    claim: Claim,
) -> Result<SignedRecord> {
    let (origin, payload) = claim.into_payload(patch);
    sign_and_store(ctx, store, me, origin, payload)
}

/// Prints an attestation just written: its JSON, or `VERB PATCH as … (record #N, ID)`.
pub fn report_attestation(
    out: &mut dyn Write,
    store: &Store,
    signed: &SignedRecord,
    verb: &str,
    json: bool,
) -> Result<()> {
    if json {
        return print_json(out, store, signed);
    }
    let patch = match &signed.record.payload {
        Payload::Attest(a) => a.patch.as_str(),
        _ => "",
    };
    writeln!(
        out,
        "{verb} {patch} as {} (record #{}, {})",
        render::ai_summary(signed),
        signed.record.seq,
        signed.id().short()
    )?;
    Ok(())
}

pub fn annotate(ctx: &Ctx, out: &mut dyn Write, args: AnnotateArgs) -> Result<()> {
    // Identity and store first (see [`Claim::capture`]).
    let me = ctx.identity()?;
    let store = ctx.open_store()?;
    // In a Pijul repository: a unique prefix will do, and a change it never had is refused.
    let patch = resolve_change(ctx, &args.patch, true)?;
    let mut claim = Claim::capture(ctx, &args.capture, args.description, args.origin)?;
    claim.line_spans = args
        .ai_lines
        .iter()
        .map(|s| line_span(s))
        .collect::<Result<Vec<_>>>()?;
    if !claim.line_spans.is_empty() && claim.ai.is_none() {
        bail!("--ai-lines marks AI-written lines, so the patch must be AI-assisted (give --ai-provider and --ai-model)");
    }
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
    let signed = attest(ctx, &store, &me, patch, claim)?;
    report_attestation(out, &store, &signed, "attested", args.json)
}

pub fn review(ctx: &Ctx, out: &mut dyn Write, args: ReviewArgs) -> Result<()> {
    let me = ctx.identity()?;
    let store = ctx.open_store()?;
    let patch = resolve_change(ctx, &args.patch, false)?;
    {
        let snap = store.snapshot()?;
        let view = snap.patch(&patch)?;
        if view.attestations.is_empty() {
            bail!("patch {patch} has no attestation in this team's overlay; check the id with `attrib log`");
        }
        if view.attestations.keys().all(|k| *k == me.public()) {
            bail!("you are the only author of {patch}; a review must come from another member");
        }
    }
    let verdict = match args.verdict {
        VerdictArg::Approve => Verdict::Approve,
        VerdictArg::RequestChanges => Verdict::RequestChanges,
        VerdictArg::Comment => Verdict::Comment,
    };
    let signed = sign_and_store(
        ctx,
        &store,
        &me,
        Origin::Person,
        Payload::Review(Review {
            patch: patch.clone(),
            seconds: args.seconds,
            verdict,
            comment: args.comment,
        }),
    )?;
    if args.json {
        print_json(out, &store, &signed)?;
    } else {
        writeln!(
            out,
            "reviewed {} ({}, {}s, record #{})",
            patch,
            verdict.as_str(),
            args.seconds,
            signed.record.seq
        )?;
    }
    Ok(())
}
