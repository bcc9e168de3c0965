//! Backfill: attrib adopted on a repository with a history. The messages of old changes often
//! say already which AI helped (`Co-authored-by: Claude <noreply@anthropic.com>`, `Assisted-by:
//! AGENT:MODEL`, "Generated with …", [`attrib_vcs_adapter::trailers`]); [`backfill`] reads the
//! whole history once, through the [`Vcs`] driver (Pijul, Atomic or git), and signs a
//! *detected* claim ([`Origin::Detected`], with the confidence of a detection) for each change
//! whose trailers name an AI tool or model.
//!
//! The rules:
//! - never over an existing claim: a change that any member has attested (or whose
//!   attestation its author withdrew) is left as it is; so a second run signs nothing;
//! - everything is decided from one read of the history (one `pijul log` / `git log`) and one
//!   pass over the store's view index; the claims are signed under one hold of the signing
//!   lock, numbered in a row, and stored in batches of [`BATCH`], one transaction each;
//! - a dry run reads the same and writes nothing, and needs no identity.
//!
//! The agent tool a trailer names (Claude Code, aider, Copilot, Codex) goes into the claim's
//! description: the overlay carries an agent only on a contribution, which must name the
//! change's lines, and reading every change's lines would cost a process per change.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::{
    now_ms, AiAssistance, Attestation, Origin, Outcome, PatchId, Payload, Record, SignedRecord,
    Snapshot, SuggestionType, ViewKind,
};
use attrib_query::time::{TimeRange, When};
use attrib_vcs_adapter::trailers::{detect, DetectedAi};
use attrib_vcs_adapter::{ChangeInfo, Repository, Vcs};
use serde::Serialize;

pub use attrib_query::progress::Progress;

use crate::capture::DETECTED_CONFIDENCE_PERMILLE;
use crate::signing::{check_can_sign, require_admitted, require_team, Purpose, SIGNING_LOCK};
use crate::{sequence, Workspace};

/// Claims stored per store transaction.
pub const BATCH: usize = 1_000;

/// The longest trailer line quoted in a claim's description, in characters.
const EVIDENCE_CHARS: usize = 200;

/// What a backfill is asked to do.
#[derive(Clone, Debug, Default)]
pub struct BackfillOptions {
    /// Only changes made from this time on (by the change's own timestamp); a change whose
    /// time the store does not say is left out then.
    pub since: Option<When>,
    /// Read and decide, sign and store nothing.
    pub dry_run: bool,
}

/// What became of a change whose trailers name AI help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A detected claim was signed and stored now.
    Signed,
    /// A dry run: a detected claim would be signed.
    WouldSign,
    /// A member attested the change already (or withdrew their attestation): left alone.
    Attested,
    /// The trailer cannot make a valid claim (a name longer than the overlay takes): left
    /// alone, the reason in the report.
    Unusable,
}

/// One change whose trailers name AI help.
#[derive(Clone, Debug, Serialize)]
pub struct Detection {
    /// The change, by the store's own id.
    pub patch: PatchId,
    /// Its message (first line).
    pub message: String,
    /// Its authors, as the store prints them.
    pub authors: Vec<String>,
    /// Its timestamp, as the store printed it.
    pub timestamp: String,
    /// The provider the trailers name or imply.
    pub provider: String,
    /// The model, as well as the trailers tell it.
    pub model: String,
    /// The agent tool the trailers name, if any.
    pub agent: Option<String>,
    /// The trailer line that decided.
    pub evidence: String,
    /// What became of it.
    pub status: Status,
    /// Why it is [`Status::Unusable`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Detections of one agent tool and model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ToolCount {
    /// The agent tool (`None`: the trailers named none).
    pub agent: Option<String>,
    /// The provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// Changes whose trailers name it.
    pub detected: usize,
    /// Claims signed now (in a dry run: that would be signed).
    pub signed: usize,
    /// Changes left alone because a member attested them already.
    pub already_attested: usize,
}

/// What [`backfill`] did.
#[derive(Clone, Debug, Serialize)]
pub struct BackfillReport {
    /// The store read (`pijul`, `atomic`, `git`).
    pub vcs: &'static str,
    /// Nothing was written.
    pub dry_run: bool,
    /// The first millisecond `--since` lets in, if given.
    pub since_ms: Option<u64>,
    /// Changes in the history.
    pub changes: usize,
    /// Changes in the time range (all of them without `since`).
    pub in_range: usize,
    /// Changes in range whose trailers name AI help.
    pub detected: usize,
    /// Claims signed and stored now (0 in a dry run).
    pub signed: usize,
    /// Claims a dry run would sign (0 otherwise).
    pub would_sign: usize,
    /// Detected changes left alone because a member attested them already.
    pub already_attested: usize,
    /// Detected changes whose trailer cannot make a valid claim.
    pub unusable: usize,
    /// Counts by agent tool and model, most detections first.
    pub by_tool: Vec<ToolCount>,
    /// Every detected change, oldest first.
    pub detections: Vec<Detection>,
}

/// The description a detected claim carries: the agent tool (which the overlay has no field
/// for without line spans) and the trailer it was read from.
fn description(d: &DetectedAi) -> String {
    let mut evidence: String = d.evidence.chars().take(EVIDENCE_CHARS).collect();
    if evidence.len() < d.evidence.len() {
        evidence.push('…');
    }
    match &d.agent {
        Some(agent) => format!("detected by attrib backfill: agent {agent}; trailer: {evidence}"),
        None => format!("detected by attrib backfill; trailer: {evidence}"),
    }
}

/// The attestation a detection makes about `patch`.
fn attestation(patch: PatchId, d: &DetectedAi) -> Attestation {
    Attestation {
        patch,
        ai: Some(AiAssistance {
            confidence_permille: Some(DETECTED_CONFIDENCE_PERMILLE),
            ..AiAssistance::new(d.provider.clone(), d.model.clone(), SuggestionType::Partial)
        }),
        description: Some(description(d)),
        depends_on: Vec::new(),
        conflicts_with: Vec::new(),
        replaces: None,
        line_spans: Vec::new(),
        contributions: Vec::new(),
    }
}

/// The message and description of a change, as trailers are read from them.
fn text_of(c: &ChangeInfo) -> std::borrow::Cow<'_, str> {
    match &c.description {
        Some(d) => format!("{}\n\n{d}", c.message).into(),
        None => c.message.as_str().into(),
    }
}

/// The changes whose slot in the view holds an attestation or a retraction, by anyone: one
/// pass over the view index, then the records of the few whose index key a candidate shares
/// (keys may collide; the record's patch decides).
fn already_claimed(snap: &Snapshot<'_>, candidates: &[&PatchId]) -> Result<HashSet<PatchId>> {
    let mut by_key: HashMap<u64, Vec<u64>> = HashMap::new();
    for row in snap.view_rows()? {
        let row = row?;
        if matches!(row.kind, ViewKind::Attestation { .. } | ViewKind::Other) {
            by_key.entry(row.patch_key).or_default().push(row.offset);
        }
    }
    let mut claimed = HashSet::new();
    for patch in candidates {
        let Some(offsets) = by_key.get(&patch.index_key()) else {
            continue;
        };
        for &offset in offsets {
            let record = snap.record_at(offset)?;
            if record.record.payload.patch() == Some(*patch) {
                claimed.insert((*patch).clone());
                break;
            }
        }
    }
    Ok(claimed)
}

/// The repository whose history fills the workspace's store: the one the store lives in,
/// else the nearest one.
fn repository(ws: &Workspace) -> Result<Repository> {
    match Repository::of_store(ws.store_dir()?) {
        Some(repo) => Ok(repo),
        None => ws.repository(),
    }
}

/// Reads the whole history of the workspace's repository once and signs a detected claim for
/// every change whose trailers name AI help and that no member has attested (see the module
/// documentation). `progress` hears about the reading, the deciding and the storing.
pub fn backfill(
    ws: &Workspace,
    options: &BackfillOptions,
    progress: &dyn Progress,
) -> Result<BackfillReport> {
    let store = ws.store()?;
    let repo = repository(ws)?;
    let vcs: Box<dyn Vcs> = ws.vcs(&repo)?;
    // Before the history is read: a backfill that cannot sign says so at once.
    let me = if options.dry_run {
        None
    } else {
        let me = ws.identity()?;
        check_can_sign(ws, &me)?;
        Some(me)
    };
    let range = TimeRange::new(options.since, None, now_ms())?;

    progress.set_message(&format!("reading the {} history", repo.kind.name()));
    let log = vcs
        .channel_log()
        .with_context(|| format!("cannot read the {} history", repo.kind.name()))?;
    let changes = log.changes;

    progress.set_message("reading trailers");
    progress.set_length(changes.len() as u64);
    let mut in_range = 0;
    let mut seen: HashSet<&PatchId> = HashSet::new();
    let mut found: Vec<(&ChangeInfo, DetectedAi)> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        if i % 1024 == 1023 {
            progress.inc(1024);
        }
        let wanted = match range.since {
            Some(_) => c.timestamp_ms.is_some_and(|ms| range.contains(ms)),
            None => true,
        };
        if !wanted {
            continue;
        }
        in_range += 1;
        // git names a change by its diff: a cherry-pick onto the same branch is the same
        // change twice, claimed once.
        if let Some(d) = detect(&text_of(c)) {
            if seen.insert(&c.hash) {
                found.push((c, d));
            }
        }
    }
    progress.inc(changes.len() as u64 % 1024);

    // Deciding and signing see one snapshot, taken under the signing lock when signing: no
    // claim of this user's lands in between.
    let _signing = match &me {
        Some(_) => Some(crate::files::lock(&ws.seq_dir().join(SIGNING_LOCK))?),
        None => None,
    };
    let snap = store.snapshot()?;
    let candidates: Vec<&PatchId> = found.iter().map(|(c, _)| &c.hash).collect();
    let claimed = already_claimed(&snap, &candidates)?;

    let mut detections = Vec::with_capacity(found.len());
    let mut to_sign: Vec<Attestation> = Vec::new();
    for (c, d) in found {
        let (status, reason) = if claimed.contains(&c.hash) {
            (Status::Attested, None)
        } else {
            let a = attestation(c.hash.clone(), &d);
            let probe = Record {
                seq: 1,
                timestamp_ms: now_ms(),
                origin: Origin::Detected,
                payload: Payload::Attest(a.clone()),
            };
            match probe.validate() {
                Err(e) => (Status::Unusable, Some(e.to_string())),
                Ok(()) => {
                    to_sign.push(a);
                    let status = if options.dry_run {
                        Status::WouldSign
                    } else {
                        Status::Signed
                    };
                    (status, None)
                }
            }
        };
        detections.push(Detection {
            patch: c.hash.clone(),
            message: c.message.clone(),
            authors: c.authors.clone(),
            timestamp: c.timestamp.clone(),
            provider: d.provider,
            model: d.model,
            agent: d.agent,
            evidence: d.evidence,
            status,
            reason,
        });
    }

    let mut report = BackfillReport {
        vcs: repo.kind.as_str(),
        dry_run: options.dry_run,
        since_ms: range.since,
        changes: changes.len(),
        in_range,
        detected: detections.len(),
        signed: 0,
        would_sign: 0,
        already_attested: 0,
        unusable: 0,
        by_tool: Vec::new(),
        detections,
    };
    if let Some(me) = &me {
        if !to_sign.is_empty() {
            let team = require_team(&snap)?;
            let first = sequence::next(&ws.seq_dir(), &snap, &me.public())?;
            let last = u32::try_from(to_sign.len() - 1)
                .ok()
                .and_then(|n| first.checked_add(n))
                .ok_or_else(|| anyhow!("your sequence numbers are exhausted"))?;
            require_admitted(&snap, &me.public(), Purpose::Sign(first))?;
            require_admitted(&snap, &me.public(), Purpose::Sign(last))?;
            drop(snap);
            progress.set_message("signing and storing detected claims");
            progress.set_length(to_sign.len() as u64);
            let now = now_ms();
            let mut seq = first;
            for chunk in to_sign.chunks(BATCH) {
                let batch: Vec<SignedRecord> = chunk
                    .iter()
                    .map(|a| {
                        let record = Record {
                            seq,
                            timestamp_ms: now,
                            origin: Origin::Detected,
                            payload: Payload::Attest(a.clone()),
                        };
                        seq += 1;
                        me.key.sign(team, record)
                    })
                    .collect();
                // The counter may run ahead of the store (a gap is harmless, a reused number
                // is not).
                sequence::remember(&ws.seq_dir(), &team.to_hex(), seq - 1)?;
                let outcomes = store.ingest(&batch, now)?;
                for ((a, outcome), stored) in chunk.iter().zip(outcomes).zip(&batch) {
                    match outcome {
                        Outcome::Accepted | Outcome::Duplicate => report.signed += 1,
                        Outcome::Refused(why) => bail!(
                            "the store refused your detected claim of {} (record #{}): {why}; {} claims were stored before it",
                            a.patch,
                            stored.record.seq,
                            report.signed
                        ),
                    }
                }
                progress.inc(chunk.len() as u64);
            }
        }
    } else {
        report.would_sign = to_sign.len();
    }

    let mut tools: BTreeMap<(Option<String>, String, String), ToolCount> = BTreeMap::new();
    for d in &report.detections {
        let key = (d.agent.clone(), d.provider.clone(), d.model.clone());
        let t = tools.entry(key).or_insert_with(|| ToolCount {
            agent: d.agent.clone(),
            provider: d.provider.clone(),
            model: d.model.clone(),
            ..ToolCount::default()
        });
        t.detected += 1;
        match d.status {
            Status::Signed | Status::WouldSign => t.signed += 1,
            Status::Attested => t.already_attested += 1,
            Status::Unusable => {}
        }
    }
    report.already_attested = report
        .detections
        .iter()
        .filter(|d| d.status == Status::Attested)
        .count();
    report.unusable = report
        .detections
        .iter()
        .filter(|d| d.status == Status::Unusable)
        .count();
    let mut by_tool: Vec<ToolCount> = tools.into_values().collect();
    by_tool.sort_by_key(|t| std::cmp::Reverse(t.detected));
    report.by_tool = by_tool;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(agent: Option<&str>, evidence: &str) -> DetectedAi {
        DetectedAi {
            provider: "anthropic".into(),
            model: "claude".into(),
            agent: agent.map(str::to_string),
            evidence: evidence.into(),
        }
    }

    #[test]
    fn the_description_names_the_agent_and_the_trailer() {
        assert_eq!(
            description(&found(Some("claude-code"), "🤖 Generated with [Claude Code](x)")),
            "detected by attrib backfill: agent claude-code; trailer: 🤖 Generated with [Claude Code](x)"
        );
        assert_eq!(
            description(&found(
                None,
                "Co-authored-by: Claude <noreply@anthropic.com>"
            )),
            "detected by attrib backfill; trailer: Co-authored-by: Claude <noreply@anthropic.com>"
        );
        let long = format!("Co-authored-by: Claude {}", "é".repeat(500));
        let d = description(&found(None, &long));
        assert!(d.ends_with('…') && d.chars().count() < 260, "{d}");
    }

    #[test]
    fn a_detected_claim_is_valid_and_detected() {
        let patch = PatchId::new("MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC")
            .expect("a change hash");
        let a = attestation(
            patch,
            &found(Some("aider"), "Co-authored-by: aider (x) <y>"),
        );
        let ai = a.ai.clone().expect("AI help");
        assert_eq!(ai.confidence_permille, Some(DETECTED_CONFIDENCE_PERMILLE));
        let r = Record {
            seq: 1,
            timestamp_ms: 1,
            origin: Origin::Detected,
            payload: Payload::Attest(a),
        };
        assert!(r.validate().is_ok());
    }
}
