//! Importing the attribution Atomic keeps in its own changes (`atomic record --ai-assisted
//! --ai-provider P --ai-model M`): each change of the current channel whose change states an
//! attribution is attested by the importer's own key with origin `imported`, the source
//! ("atomic") in the description.
//!
//! Only what the change itself says is taken ([`AtomicClaim::Stated`]). Atomic prints more
//! than that, and the rest is not data:
//! - a change without attribution prints `AI-Assisted: No`, Atomic's default: not imported;
//! - a change whose message mentions "claude", "gpt", "copilot"… prints as AI-assisted by
//!   Atomic's guess: not imported (attrib's own trailer detection, `attrib backfill`, is the
//!   place for evidence in messages);
//! - Atomic stores a confidence of 80% in every attribution it records, whatever
//!   `--ai-confidence` said: that confidence is left out of the claim, and its description says
//!   "confidence: atomic default".
//!
//! The whole channel is read with one `atomic` process. Like an Agent Trace import, a claim
//! replaces only an earlier import of the importer's, never an attestation they made
//! themselves, and everything is stored in one transaction.

use std::fmt::Write as _;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{AiAssistance, Attestation, SuggestionType};
use attrib_vcs_adapter::atomic::{driver_of, percent, ATOMIC_DEFAULT_CONFIDENCE};
use attrib_vcs_adapter::{AtomicChange, AtomicClaim, VcsKind};
use serde::Serialize;

use super::sign::sign_by_patch;
use super::Progress;
use crate::identity::DeviceIdentity;
use crate::Workspace;

/// The source an imported claim names: Atomic's own attribution.
pub const SOURCE: &str = "atomic";

/// What an import of Atomic's attribution did.
#[derive(Serialize, Debug, Default)]
pub struct Summary {
    /// Always `atomic`.
    pub format: &'static str,
    /// Changes of the current channel read.
    pub changes: usize,
    /// Changes attested now (new, or replacing an earlier import of yours).
    pub attested: Vec<String>,
    /// Changes whose earlier import already says exactly this.
    pub unchanged: Vec<String>,
    /// Changes you attested yourself: your attestation is kept.
    pub kept_own: Vec<String>,
    /// Changes without attribution of Atomic's own (Atomic prints `AI-Assisted: No` for them
    /// by default): nothing to import.
    pub without_attribution: usize,
    /// Changes Atomic only guesses are AI-assisted, from words of their message: not imported.
    pub guessed: Vec<String>,
    /// Imported changes whose confidence was Atomic's default: left out of the claim.
    pub default_confidence: Vec<String>,
}

impl Summary {
    /// The summary as one line.
    pub fn line(&self) -> String {
        let mut s = format!(
            "read {} Atomic change(s): attested {} as imported claims from atomic, {} unchanged",
            self.changes,
            self.attested.len(),
            self.unchanged.len()
        );
        if !self.kept_own.is_empty() {
            let _ = write!(s, ", kept your own attestation of {}", self.kept_own.len());
        }
        let _ = write!(
            s,
            "; {} without attribution of Atomic's own",
            self.without_attribution
        );
        if !self.guessed.is_empty() {
            let _ = write!(
                s,
                ", {} only guessed by Atomic from the message (not imported)",
                self.guessed.len()
            );
        }
        if !self.default_confidence.is_empty() {
            let _ = write!(
                s,
                "; confidence: atomic default ({}) left out of {}",
                percent(ATOMIC_DEFAULT_CONFIDENCE),
                self.default_confidence.len()
            );
        }
        s
    }
}

/// What Atomic says about every change of the repository's current channel (one `atomic`
/// process). Fails unless the workspace is in an Atomic repository.
pub fn read(ws: &Workspace) -> Result<Vec<AtomicChange>> {
    let repo = ws.repository()?;
    if repo.kind != VcsKind::Atomic {
        bail!(
            "--from atomic reads the attribution Atomic keeps in its changes, and {} is a {} repository, not an Atomic one",
            repo.root.display(),
            repo.kind
        );
    }
    let vcs = ws.vcs(&repo)?;
    let atomic = driver_of(vcs.as_ref())
        .ok_or_else(|| anyhow!("{} is not driven as Atomic", repo.root.display()))?;
    Ok(atomic.atomic_attribution()?)
}

/// The claim one change's own attribution amounts to (`None` when it states none), and whether
/// its confidence was Atomic's default.
pub fn attestation_of(change: &AtomicChange) -> Option<(Attestation, bool)> {
    let AtomicClaim::Stated(a) = &change.claim else {
        return None;
    };
    let mut description =
        format!("imported claim (unsigned source): {SOURCE}'s own attribution of this change");
    if !change.authors.is_empty() {
        let _ = write!(description, ", recorded by {}", change.authors.join(", "));
    }
    let ai = if a.ai_assisted {
        let mut notes: Vec<String> = Vec::new();
        let provider = a.known_provider().unwrap_or_else(|| {
            notes.push("provider not given to atomic".into());
            "unknown"
        });
        let model = a.known_model().unwrap_or_else(|| {
            notes.push("model not given to atomic".into());
            "unknown"
        });
        let kind = a.suggestion_type.unwrap_or(SuggestionType::Complete);
        if kind == SuggestionType::Complete {
            notes.push("suggestion type complete is also atomic's default".into());
        }
        match a.confidence {
            Some(_) if a.confidence_is_default => notes.push(format!(
                "confidence: atomic default ({} stored whatever was given), left out",
                percent(ATOMIC_DEFAULT_CONFIDENCE)
            )),
            Some(c) => notes.push(format!("confidence {} as atomic stated it", percent(c))),
            None => {}
        }
        for n in notes {
            let _ = write!(description, "; {n}");
        }
        Some(AiAssistance {
            confidence_permille: a
                .stated_confidence()
                .map(|c| (c.clamp(0.0, 1.0) * 1000.0).round() as u16),
            ..AiAssistance::new(provider, model, kind)
        })
    } else {
        description.push_str("; atomic says it was written without AI");
        None
    };
    Some((
        Attestation {
            patch: change.hash.clone(),
            description: Some(description),
            ai,
            depends_on: Vec::new(),
            conflicts_with: Vec::new(),
            replaces: None,
            line_spans: Vec::new(),
            contributions: Vec::new(),
        },
        a.ai_assisted && a.confidence_is_default,
    ))
}

/// Imports what Atomic says about `changes` as this device's imported claims, all in one
/// transaction.
pub fn import(
    ws: &Workspace,
    me: &DeviceIdentity,
    changes: &[AtomicChange],
    progress: &dyn Progress,
) -> Result<Summary> {
    let mut summary = Summary {
        format: SOURCE,
        changes: changes.len(),
        ..Summary::default()
    };
    let mut planned: Vec<Attestation> = Vec::new();
    for c in changes {
        match &c.claim {
            AtomicClaim::None => summary.without_attribution += 1,
            AtomicClaim::Guessed { .. } => summary.guessed.push(c.hash.to_string()),
            AtomicClaim::Stated(_) => {
                if let Some((a, default)) = attestation_of(c) {
                    if default {
                        summary.default_confidence.push(c.hash.to_string());
                    }
                    planned.push(a);
                }
            }
        }
    }
    let signed = sign_by_patch(
        ws,
        me,
        planned,
        "storing Atomic's attribution as imported claims",
        progress,
        |p, why| anyhow!("change {p}: Atomic's attribution cannot be attested: {why}"),
    )?;
    summary.attested = signed.attested;
    summary.unchanged = signed.unchanged;
    summary.kept_own = signed.kept_own;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use attrib_overlay::{Origin, Payload, Record};
    use attrib_vcs_adapter::atomic::parse_log_attribution;

    /// `atomic log --attribution --output-format json` of atomic 1.1.0: `atomic record
    /// --ai-assisted --ai-provider anthropic --ai-model claude-sonnet-4 --ai-confidence 0.95`,
    /// a change recorded by hand, one whose message says "claude", and `--ai-assisted` alone.
    const LOG: &str = r#"[
  {"hash": "KANHJZZ2EUD3HKIE3ZQ2LJJC62AOVOSG2MYCMFG74KMNPVV2AMUQC",
   "authors": ["Ada () <ada@example.org>"], "timestamp": "2026-12-04T16:47:15.6Z",
   "message": "ai one",
   "attribution": {"ai_assisted": true, "ai_provider": "anthropic",
                   "ai_model": "claude-sonnet-4", "suggestion_type": "Partial", "confidence": 0.8}},
  {"hash": "6CX4F32BABVXLS6T66X4JMTWNGV3GWIXH5I5ZUF5W42GIS53AY4AC",
   "authors": ["Ada () <ada@example.org>"], "timestamp": "2026-12-04T16:47:09.7Z",
   "message": "second", "attribution": {"ai_assisted": false}},
  {"hash": "KI6FSUCCAYUXCZLY6XWBRJGHDNYBFR6XHV56DM7A6HYAXMSJLJFQC",
   "authors": ["Ada () <ada@example.org>"], "timestamp": "2026-12-04T16:47:15.6Z",
   "message": "fix with claude help",
   "attribution": {"ai_assisted": true, "ai_provider": "auto-detected",
                   "suggestion_type": "Complete", "confidence": 0.5}},
  {"hash": "BLLIISP57S7K2PLFO5DOBE54C2GUZIZ6UOMYP2PF7BYKAGDCCU2AC",
   "authors": ["Ada () <ada@example.org>"], "timestamp": "2026-12-04T16:47:15.6Z",
   "message": "assisted only",
   "attribution": {"ai_assisted": true, "ai_provider": "unknown", "ai_model": "unknown",
                   "suggestion_type": "Complete", "confidence": 0.8}}
]"#;

    #[test]
    fn only_what_the_change_states_becomes_a_claim_and_atomics_defaults_are_marked() {
        let changes = parse_log_attribution("atomic log", LOG).unwrap();
        let (a, default) = attestation_of(&changes[0]).unwrap();
        assert!(default);
        let ai = a.ai.as_ref().unwrap();
        assert_eq!(
            (ai.provider.as_str(), ai.model.as_str()),
            ("anthropic", "claude-sonnet-4")
        );
        assert_eq!(ai.suggestion_type, SuggestionType::Partial);
        assert_eq!(ai.confidence_permille, None, "Atomic's 80% is not data");
        let d = a.description.as_deref().unwrap();
        assert!(d.contains("atomic's own attribution"), "{d}");
        assert!(d.contains("confidence: atomic default"), "{d}");
        assert!(d.contains("recorded by Ada () <ada@example.org>"), "{d}");
        assert!(!d.contains("also atomic's default"), "{d}");
        // Atomic's "No" by default, and its guess from the message: no claim.
        assert!(attestation_of(&changes[1]).is_none());
        assert!(attestation_of(&changes[2]).is_none());
        // Placeholders stay "unknown", and say so.
        let (a, _) = attestation_of(&changes[3]).unwrap();
        assert_eq!(a.ai.as_ref().unwrap().provider, "unknown");
        let d = a.description.as_deref().unwrap();
        assert!(d.contains("model not given to atomic"), "{d}");
        assert!(
            d.contains("suggestion type complete is also atomic's default"),
            "{d}"
        );
        let record = Record {
            seq: 1,
            timestamp_ms: 1,
            origin: Origin::Imported,
            payload: Payload::Attest(a),
        };
        record.validate().unwrap();
    }

    #[test]
    fn a_stated_confidence_is_kept() {
        let text = LOG.replacen("\"confidence\": 0.8}", "\"confidence\": 0.95}", 1);
        let changes = parse_log_attribution("atomic log", &text).unwrap();
        let (a, default) = attestation_of(&changes[0]).unwrap();
        assert!(!default);
        assert_eq!(a.ai.unwrap().confidence_permille, Some(950));
        assert!(a
            .description
            .unwrap()
            .contains("confidence 95% as atomic stated it"));
    }
}
