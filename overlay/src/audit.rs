//! The audit behind `attrib verify`: every stored record and the whole view, re-checked from
//! scratch, trusting nothing the store computed.
//!
//! Each record is decoded, held to its canonical encoding and limits, and its signature checked,
//! on every core, reading the log in place. Only a compact [`Claim`] of each record is kept
//! (whole records only for the few membership changes), so a large store is audited in little
//! memory. Membership and the view are then rebuilt with the same rule the rest of the overlay
//! uses ([`crate::view::dedup`], [`Membership::evaluate`], [`crate::view::slot_winners`]) and
//! compared entry by entry with the store's `view` index.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::StoreError;
use crate::ids::{PatchId, PublicKey, RecordId, TeamId};
use crate::model::{Payload, Record};
use crate::signed::{verify_serial_with, KeyCache, SignedRecord, GENESIS_TEAM};
use crate::store::{LogEntry, LogView, Snapshot};
use crate::team::Membership;
use crate::view::{dedup, slot_winners, Claim, SlotKind};

/// A stored record that fails verification.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BadRecord {
    /// Where it sits in the store's log.
    pub offset: u64,
    /// The key the record claims to be signed by (unproven, since it failed).
    pub signer: PublicKey,
    /// The record's sequence number, when its body decodes.
    pub seq: Option<u32>,
    /// The payload's kind ([`Payload::kind`]), when its body decodes.
    pub kind: Option<&'static str>,
    /// Why it fails, as one line (bad signature, non-canonical body, …).
    pub why: String,
}

/// What an audit found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditReport {
    /// Records in the store's log, good and bad.
    pub records: usize,
    /// Records whose body is canonical and whose signature verifies.
    #[serde(rename = "valid_signatures")]
    pub valid: usize,
    /// Every other record (bad signature, non-canonical or undecodable body).
    #[serde(rename = "bad_signatures")]
    pub bad: Vec<BadRecord>,
    /// The rebuilt view equals the store's view index.
    pub view_matches: bool,
    /// Current claims (attestations and reviews) in the rebuilt view.
    pub view_claims: usize,
    /// `(signer, seq)` of winners the store's index lacks, and of entries it should not have.
    pub missing_from_view: Vec<(PublicKey, u32)>,
    /// `(signer, seq)` of entries the store's view index holds but the rebuilt view does not.
    pub extra_in_view: Vec<(PublicKey, u32)>,
    /// Keys that signed two different records with one sequence number.
    pub equivocators: Vec<PublicKey>,
    /// Authentic records kept as evidence or pending membership: not in the view.
    pub held_not_admitted: usize,
}

impl AuditReport {
    /// Nothing to report: every signature verifies, the index matches the rebuilt view, and no
    /// key equivocated (`attrib verify` exits non-zero otherwise).
    pub fn ok(&self) -> bool {
        self.bad.is_empty() && self.view_matches && self.equivocators.is_empty()
    }
}

/// What the audit keeps of a verified record.
struct Compact {
    offset: u64,
    signer: PublicKey,
    seq: u32,
    id: RecordId,
    slot: Option<(PatchId, SlotKind)>,
    retraction: bool,
    foreign_retraction: bool,
}

impl Claim for Compact {
    fn signer(&self) -> &PublicKey {
        &self.signer
    }
    fn seq(&self) -> u32 {
        self.seq
    }
    fn id(&self) -> RecordId {
        self.id
    }
    fn slot(&self) -> Option<(&PatchId, SlotKind)> {
        self.slot.as_ref().map(|(p, k)| (p, *k))
    }
    fn counts(&self, _team: TeamId) -> bool {
        // Every stored record is read as the store's team's.
        !self.foreign_retraction
    }
}

/// One piece of the log, checked.
#[derive(Default)]
struct Checked {
    claims: Vec<Compact>,
    membership: Vec<SignedRecord>,
    bad: Vec<BadRecord>,
}

/// Entries per unit of work handed to a thread.
const PIECE: usize = 1024;

/// Audits a snapshot.
pub fn audit(snap: &Snapshot<'_>) -> Result<AuditReport, StoreError> {
    let team = snap.team();
    let log = snap.log_view()?;
    let pieces: Vec<&[u64]> = log.offsets.chunks(PIECE).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, pieces.len().max(1));
    // Pieces are handed out one at a time so every core stays busy to the end.
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Checked)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (pieces, next, log) = (&pieces, &next, &log);
                scope.spawn(move || -> Result<Vec<(usize, Checked)>, StoreError> {
                    let mut mine = Vec::new();
                    let mut keys = KeyCache::default();
                    let team = team.unwrap_or(GENESIS_TEAM);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(piece) = pieces.get(i) else { break };
                        mine.push((i, check_piece(log, piece, team, &mut keys)?));
                    }
                    Ok(mine)
                })
            })
            .collect();
        let mut all = Vec::new();
        for w in workers {
            let part = w
                .join()
                .map_err(|_| StoreError::Invalid("a verifying thread failed".into()))??;
            all.extend(part);
        }
        Ok::<_, StoreError>(all)
    })?;
    done.sort_unstable_by_key(|(i, _)| *i);
    let mut checked = Checked::default();
    for (_, part) in done {
        checked.claims.extend(part.claims);
        checked.membership.extend(part.membership);
        checked.bad.extend(part.bad);
    }
    let Checked {
        claims,
        membership,
        bad,
    } = checked;

    let mut report = AuditReport {
        records: log.offsets.len(),
        valid: claims.len(),
        bad,
        view_matches: true,
        view_claims: 0,
        missing_from_view: Vec::new(),
        extra_in_view: Vec::new(),
        equivocators: Vec::new(),
        held_not_admitted: claims.len(),
    };
    let Some(team) = team else {
        return Ok(report);
    };
    let d = dedup(team, &claims);
    let m = membership
        .iter()
        .find(|r| matches!(r.record.payload, Payload::Genesis { .. }))
        .and_then(|g| Membership::evaluate(g, &membership, |k, s| d.equivocated(k, s)));
    let equivocators = d.equivocators();
    let winners = match &m {
        Some(m) => slot_winners(&claims, &d, m),
        None => Vec::new(),
    };

    let mut expected: Vec<u64> = winners.iter().map(|&i| claims[i].offset).collect();
    let mut actual: Vec<u64> = snap.view_offsets()?;
    expected.sort_unstable();
    actual.sort_unstable();
    let at = |off: &u64| -> (PublicKey, u32) {
        match claims.binary_search_by_key(off, |c| c.offset) {
            Ok(i) => (claims[i].signer, claims[i].seq),
            Err(_) => (PublicKey([0; 32]), 0),
        }
    };
    report.missing_from_view = sorted_difference(&expected, &actual).map(at).collect();
    report.extra_in_view = sorted_difference(&actual, &expected).map(at).collect();
    report.view_matches = report.missing_from_view.is_empty() && report.extra_in_view.is_empty();
    report.view_claims = winners.iter().filter(|&&i| !claims[i].retraction).count();
    report.held_not_admitted = match &m {
        None => claims.len(),
        Some(m) => claims
            .iter()
            .filter(|c| !m.admits(&c.signer, c.seq) || d.equivocated(&c.signer, c.seq))
            .count(),
    };
    report.equivocators = equivocators.into_iter().collect();
    Ok(report)
}

/// Items of sorted `a` that sorted `b` lacks.
fn sorted_difference<'a>(a: &'a [u64], b: &'a [u64]) -> impl Iterator<Item = &'a u64> {
    a.iter().filter(move |x| b.binary_search(x).is_err())
}

/// Decodes and verifies one piece of the log, keeping a compact claim of each valid record.
fn check_piece(
    log: &LogView<'_>,
    offsets: &[u64],
    team: TeamId,
    keys: &mut KeyCache,
) -> Result<Checked, StoreError> {
    let mut out = Checked::default();
    let mut decoded: Vec<(u64, SignedRecord)> = Vec::with_capacity(offsets.len());
    for &offset in offsets {
        let LogEntry {
            signer,
            body,
            signature,
        } = log.entry(offset)?;
        // `verify_serial_with` below holds the body to its canonical form and limits.
        let record = match Record::from_trusted(&body) {
            Ok(r) => r,
            Err(e) => {
                out.bad.push(BadRecord {
                    offset,
                    signer,
                    seq: None,
                    kind: None,
                    why: e.to_string(),
                });
                continue;
            }
        };
        let team = if matches!(record.payload, Payload::Genesis { .. }) {
            GENESIS_TEAM
        } else {
            team
        };
        decoded.push((
            offset,
            SignedRecord {
                team,
                signer,
                record,
                body: body.into_owned(),
                signature,
            },
        ));
    }
    let refs: Vec<&SignedRecord> = decoded.iter().map(|(_, r)| r).collect();
    let flags = verify_serial_with(&refs, keys);
    for ((offset, r), ok) in decoded.into_iter().zip(flags) {
        if !ok {
            out.bad.push(BadRecord {
                offset,
                signer: r.signer,
                seq: Some(r.record.seq),
                kind: Some(r.record.payload.kind()),
                why: "bad signature or non-canonical body".into(),
            });
            continue;
        }
        out.claims.push(Compact {
            offset,
            signer: r.signer,
            seq: r.record.seq,
            id: r.id(),
            slot: Claim::slot(&r).map(|(p, k)| (p.clone(), k)),
            retraction: matches!(r.record.payload, Payload::Retract { .. }),
            foreign_retraction: !Claim::counts(&r, r.team_id()),
        });
        if r.record.payload.is_membership() {
            out.membership.push(r);
        }
    }
    Ok(out)
}
