//! Claims: what a member says about a patch — how AI helped, its description, dependencies,
//! line spans — and [`attest`], the one path by which this device signs an attestation
//! (`annotate`, a wrapped record, reconciliation and imports all use it).

use anyhow::{bail, Result};
use attrib_overlay::{
    AiAssistance, Attestation, Contribution, LineSpan, Origin, PatchId, Payload, SignedRecord,
};

use crate::capture::{capture, detected, CaptureEnv, CaptureInput};
use crate::identity::DeviceIdentity;
use crate::signing::sign_and_store;
use crate::Workspace;

/// What a member claims about a patch besides its id: built before the patch exists (a wrapped
/// record, which runs the VCS only once the claim is known to be valid) or beside it
/// (`annotate`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// How AI helped; `None` for a human-written patch.
    pub ai: Option<AiAssistance>,
    /// Free text about the patch.
    pub description: Option<String>,
    /// Patches this one depends on.
    pub depends_on: Vec<PatchId>,
    /// Patches this one conflicts with.
    pub conflicts_with: Vec<PatchId>,
    /// The AI-written lines among those the patch adds.
    pub line_spans: Vec<LineSpan>,
    /// Each AI session's part with its lines (from agent checkpoints).
    pub contributions: Vec<Contribution>,
    /// Who produced the claim (a person, an agent hook, a detector, an import).
    pub origin: Origin,
    /// The patch this claim's patch amends (its attribution carried over).
    pub replaces: Option<PatchId>,
    /// A capture source said whether AI helped; when none did, trailers may.
    pub decided: bool,
}

impl Claim {
    /// A claim that says only who made it: written without AI unless something says otherwise.
    pub fn new(origin: Origin) -> Claim {
        Claim {
            ai: None,
            description: None,
            depends_on: Vec::new(),
            conflicts_with: Vec::new(),
            line_spans: Vec::new(),
            contributions: Vec::new(),
            origin,
            replaces: None,
            decided: false,
        }
    }

    /// Captures how AI helped (flags, then environment, then config). Call it once the identity
    /// and store are known to be usable: capturing a prompt writes its salt, which should only
    /// happen when the record can be stored.
    pub fn capture(
        ws: &Workspace,
        input: &CaptureInput,
        env: &CaptureEnv,
        description: Option<String>,
        origin: Origin,
    ) -> Result<Claim> {
        let captured = capture(ws, input, env)?;
        Ok(Claim {
            ai: captured.ai,
            description,
            decided: captured.decided,
            ..Claim::new(origin)
        })
    }

    /// Takes the lines agents wrote, from the working log: each session's contribution, and
    /// the main AI help when no capture source named one.
    pub fn with_attribution(mut self, attribution: crate::checkpoint::Attribution) -> Claim {
        if attribution.contributions.is_empty() {
            return self;
        }
        if self.ai.is_none() {
            self.ai = attribution.main_ai();
        }
        self.line_spans.clear();
        self.contributions = attribution.contributions;
        self.decided = true;
        self
    }

    /// Sets the AI-written line spans; they need AI help to mean anything.
    pub fn with_line_spans(mut self, spans: Vec<LineSpan>) -> Result<Claim> {
        if !spans.is_empty() && self.ai.is_none() {
            bail!("--ai-lines marks AI-written lines, so the patch must be AI-assisted (give --ai-provider and --ai-model)");
        }
        self.line_spans = spans;
        Ok(self)
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
            contributions: self.contributions,
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

    /// The claim an attestation makes, to sign again about another patch (an amend).
    pub fn of(record: &SignedRecord) -> Option<Claim> {
        let Payload::Attest(a) = &record.record.payload else {
            return None;
        };
        Some(Claim {
            ai: a.ai.clone(),
            description: a.description.clone(),
            depends_on: a.depends_on.clone(),
            conflicts_with: a.conflicts_with.clone(),
            line_spans: a.line_spans.clone(),
            contributions: a.contributions.clone(),
            origin: record.record.origin,
            replaces: None,
            decided: true,
        })
    }
}

/// Parses `FILE:START-END` (or `FILE:LINE`), the form `--ai-lines` takes.
pub fn parse_line_span(s: &str) -> Result<LineSpan> {
    let bad = || anyhow::anyhow!("--ai-lines {s:?}: expected FILE:START-END");
    let (file, range) = s.rsplit_once(':').ok_or_else(bad)?;
    let (start, end) = match range.split_once('-') {
        Some((a, b)) => (a, b),
        None => (range, range),
    };
    let parse = |x: &str| -> Result<u32> {
        x.trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("--ai-lines {s:?}: {x:?} is not a line number"))
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

/// Signs and stores this device's attestation of `patch`.
pub fn attest(
    ws: &Workspace,
    me: &DeviceIdentity,
    patch: PatchId,
    claim: Claim,
) -> Result<SignedRecord> {
    let (origin, payload) = claim.into_payload(patch);
    sign_and_store(ws, me, origin, payload)
}

/// This device's current attestation of `patch`, as a claim (without `replaces`).
pub fn own_claim(ws: &Workspace, me: &DeviceIdentity, patch: &PatchId) -> Result<Option<Claim>> {
    let snap = ws.store()?.snapshot()?;
    let view = snap.patch(patch)?;
    Ok(view.attestations.get(&me.public()).and_then(Claim::of))
}

/// One claim for a change that squashed several (git's `rebase -i` squash, `merge --squash`):
/// every squashed claim's AI help becomes a contribution of its own (a claim that named AI
/// help without per-session contributions gives one built from that help and its lines), the
/// main AI help is the one that wrote the most lines, and the claim replaces the oldest
/// squashed change. `None` when no claim is given.
pub fn merge_squashed(claims: Vec<(PatchId, Claim)>) -> Option<Claim> {
    let (first, _) = claims.first()?;
    let replaces = Some(first.clone());
    let squashed: Vec<PatchId> = claims.iter().map(|(p, _)| p.clone()).collect();
    let mut merged = Claim::new(Origin::Person);
    merged.replaces = replaces;
    merged.decided = true;
    let mut origins = Vec::new();
    let mut descriptions = Vec::new();
    for (_, claim) in claims {
        origins.push(claim.origin);
        descriptions.extend(claim.description);
        merged.line_spans.extend(claim.line_spans.iter().cloned());
        if claim.contributions.is_empty() {
            if let Some(ai) = &claim.ai {
                merged.contributions.push(Contribution {
                    provider: ai.provider.clone(),
                    model: ai.model.clone(),
                    agent: claim_agent(claim.origin).to_string(),
                    session: None,
                    suggestion_type: ai.suggestion_type,
                    prompt_commitment: ai.prompt_commitment,
                    line_spans: claim.line_spans.clone(),
                });
            }
        }
        merged.contributions.extend(claim.contributions);
        for d in claim.depends_on.into_iter().chain(claim.conflicts_with) {
            if !squashed.contains(&d) && !merged.depends_on.contains(&d) {
                merged.depends_on.push(d);
            }
        }
        if merged.ai.is_none() {
            merged.ai = claim.ai;
        }
    }
    // A contribution must name lines: one from a claim without spans says only that AI
    // helped, which the main AI help keeps.
    merged.contributions.retain(|c| !c.line_spans.is_empty());
    // With contributions, the lines are theirs: the attestation names no spans of its own.
    if !merged.contributions.is_empty() {
        merged.line_spans.clear();
    }
    if let Some(top) = merged.contributions.iter().max_by_key(|c| {
        c.line_spans
            .iter()
            .map(|s| u64::from(s.end - s.start + 1))
            .sum::<u64>()
    }) {
        if let Some(ai) = merged.ai.as_mut() {
            ai.provider = top.provider.clone();
            ai.model = top.model.clone();
        }
    }
    // A person's word outranks a hook's, a hook's a detector's.
    merged.origin = [
        Origin::Person,
        Origin::AgentHook,
        Origin::Imported,
        Origin::Detected,
    ]
    .into_iter()
    .find(|o| origins.contains(o))
    .unwrap_or(Origin::Person);
    merged.description = (!descriptions.is_empty()).then(|| descriptions.join("\n"));
    Some(merged)
}

/// The agent a claim without sessions stands for: the hook's generic name, else "unknown".
fn claim_agent(origin: Origin) -> &'static str {
    match origin {
        Origin::AgentHook => "agent-hook",
        _ => "unknown",
    }
}

/// True when this device has attested `patch`.
pub fn attested_by(ws: &Workspace, me: &DeviceIdentity, patch: &PatchId) -> Result<bool> {
    let snap = ws.store()?.snapshot()?;
    Ok(snap.patch(patch)?.attestations.contains_key(&me.public()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_squash_claim_holds_every_squashed_contribution() {
        let span = |file: &str, start, end| LineSpan {
            file: file.to_string(),
            start,
            end,
        };
        let ai = |model: &str| {
            Some(AiAssistance::new(
                "anthropic",
                model,
                attrib_overlay::SuggestionType::Complete,
            ))
        };
        let p = |n: u8| PatchId::new(&format!("{n:040}")).unwrap();
        let opus = Claim {
            ai: ai("claude-opus-4"),
            line_spans: vec![span("a.rs", 1, 1)],
            depends_on: vec![p(9)],
            ..Claim::new(Origin::Person)
        };
        let sonnet = Claim {
            ai: ai("claude-sonnet-4"),
            line_spans: vec![span("b.rs", 1, 3)],
            depends_on: vec![p(1)],
            ..Claim::new(Origin::AgentHook)
        };
        let human = Claim::new(Origin::Person);
        let merged = merge_squashed(vec![(p(1), opus), (p(2), sonnet), (p(3), human)]).unwrap();
        let models: Vec<&str> = merged
            .contributions
            .iter()
            .map(|c| c.model.as_str())
            .collect();
        assert_eq!(models, ["claude-opus-4", "claude-sonnet-4"]);
        // The main help is the one with the most lines; the claim names no spans of its own.
        assert_eq!(merged.ai.unwrap().model, "claude-sonnet-4");
        assert!(merged.line_spans.is_empty());
        assert_eq!(merged.replaces, Some(p(1)));
        // A squashed change is no dependency of the squash.
        assert_eq!(merged.depends_on, [p(9)]);
        assert_eq!(merged.origin, Origin::Person);
        assert_eq!(merge_squashed(Vec::new()), None);
    }

    #[test]
    fn line_spans_parse_and_refuse_nonsense() {
        let s = parse_line_span("src/a.rs:3-5").unwrap();
        assert_eq!((s.file.as_str(), s.start, s.end), ("src/a.rs", 3, 5));
        let s = parse_line_span("a:b.rs:7").unwrap();
        assert_eq!((s.file.as_str(), s.start, s.end), ("a:b.rs", 7, 7));
        for bad in ["nofile", ":1-2", "f:0-1", "f:5-4", "f:x"] {
            assert!(parse_line_span(bad).is_err(), "{bad}");
        }
    }
}
