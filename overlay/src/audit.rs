//! The audit behind `attrib verify`: every stored record and the whole view, re-checked from
//! scratch, trusting nothing the store computed.
//!
//! Each record is decoded, held to its canonical encoding and limits, and its signature checked
//! (on every core); membership and the view are then rebuilt with [`crate::view::resolve`], the
//! one implementation of the merge rule, and compared slot by slot with the store's `view` index.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::StoreError;
use crate::ids::PublicKey;
use crate::model::{Payload, Record};
use crate::signed::{verify_serial, SignedRecord, GENESIS_TEAM};
use crate::store::{RawEntry, Snapshot};
use crate::view::resolve;

/// A stored record that fails verification.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BadRecord {
    /// Where it sits in the store's log.
    pub offset: u64,
    pub signer: PublicKey,
    pub seq: Option<u32>,
    pub kind: Option<&'static str>,
    pub why: String,
}

/// What an audit found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditReport {
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
    pub extra_in_view: Vec<(PublicKey, u32)>,
    pub equivocators: Vec<PublicKey>,
    /// Authentic records kept as evidence or pending membership: not in the view.
    pub held_not_admitted: usize,
}

impl AuditReport {
    pub fn ok(&self) -> bool {
        self.bad.is_empty() && self.view_matches && self.equivocators.is_empty()
    }
}

/// Audits a snapshot.
pub fn audit(snap: &Snapshot<'_>) -> Result<AuditReport, StoreError> {
    let team = snap.team();
    let raw = snap.raw_log()?;
    // Work is handed out in small pieces so every core stays busy to the end.
    const PIECE: usize = 1024;
    let pieces: Vec<&[RawEntry]> = raw.entries.chunks(PIECE).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, pieces.len().max(1));
    let next = AtomicUsize::new(0);
    let team_or_zero = team.unwrap_or(GENESIS_TEAM);
    let mut done: Vec<(usize, Vec<Result<SignedRecord, BadRecord>>)> =
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    let (pieces, next, bytes) = (&pieces, &next, &raw.bytes);
                    scope.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(piece) = pieces.get(i) else { break };
                            mine.push((i, check_part(piece, bytes, team_or_zero)));
                        }
                        mine
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| StoreError::Invalid("a verifying thread failed".into()))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.into_iter().flatten().collect())
        })?;
    done.sort_unstable_by_key(|(i, _)| *i);
    let checked: Vec<Result<SignedRecord, BadRecord>> =
        done.into_iter().flat_map(|(_, part)| part).collect();

    let mut good: Vec<&SignedRecord> = Vec::with_capacity(checked.len());
    let mut good_offsets: Vec<u64> = Vec::with_capacity(checked.len());
    let mut bad = Vec::new();
    for (c, entry) in checked.iter().zip(&raw.entries) {
        match c {
            Ok(r) => {
                good.push(r);
                good_offsets.push(entry.offset);
            }
            Err(b) => bad.push(b.clone()),
        }
    }

    let (view_matches, view_claims, missing, extra, equivocators, held) = match team {
        None => (true, 0, vec![], vec![], vec![], good.len()),
        Some(team) => {
            let res = resolve(team, &good);
            let mut expected: Vec<u64> = res.winners.iter().map(|&i| good_offsets[i]).collect();
            let mut actual: Vec<u64> = snap.view_offsets()?;
            expected.sort_unstable();
            actual.sort_unstable();
            let at = |off: &u64| -> (PublicKey, u32) {
                match good_offsets.binary_search(off) {
                    Ok(i) => (good[i].signer, good[i].record.seq),
                    Err(_) => (PublicKey([0; 32]), 0),
                }
            };
            let missing: Vec<_> = sorted_difference(&expected, &actual).map(at).collect();
            let extra: Vec<_> = sorted_difference(&actual, &expected).map(at).collect();
            let claims = res
                .winners
                .iter()
                .filter(|&&i| !matches!(good[i].record.payload, Payload::Retract { .. }))
                .count();
            let held = match &res.membership {
                None => good.len(),
                Some(m) => good
                    .iter()
                    .filter(|r| {
                        !m.admits(&r.signer, r.record.seq) || res.equivocators.contains(&r.signer)
                    })
                    .count(),
            };
            (
                missing.is_empty() && extra.is_empty(),
                claims,
                missing,
                extra,
                res.equivocators.into_iter().collect(),
                held,
            )
        }
    };
    Ok(AuditReport {
        records: raw.entries.len(),
        valid: good.len(),
        bad,
        view_matches,
        view_claims,
        missing_from_view: missing,
        extra_in_view: extra,
        equivocators,
        held_not_admitted: held,
    })
}

/// Items of sorted `a` that sorted `b` lacks.
fn sorted_difference<'a>(a: &'a [u64], b: &'a [u64]) -> impl Iterator<Item = &'a u64> {
    a.iter().filter(move |x| b.binary_search(x).is_err())
}

/// Decodes and verifies one piece of the log.
fn check_part(
    part: &[RawEntry],
    bytes: &[u8],
    team: crate::ids::TeamId,
) -> Vec<Result<SignedRecord, BadRecord>> {
    let decoded: Vec<Result<SignedRecord, BadRecord>> = part
        .iter()
        .map(|e| {
            let body = &bytes[e.body.clone()];
            // `verify_serial` below holds the body to its canonical form and limits.
            let record = Record::from_trusted(body).map_err(|err| BadRecord {
                offset: e.offset,
                signer: e.signer,
                seq: None,
                kind: None,
                why: err.to_string(),
            })?;
            let team = if matches!(record.payload, Payload::Genesis { .. }) {
                GENESIS_TEAM
            } else {
                team
            };
            Ok(SignedRecord {
                team,
                signer: e.signer,
                record,
                body: body.to_vec(),
                signature: e.signature,
            })
        })
        .collect();
    let refs: Vec<&SignedRecord> = decoded.iter().filter_map(|d| d.as_ref().ok()).collect();
    let mut flags = verify_serial(&refs).into_iter();
    decoded
        .into_iter()
        .zip(part)
        .map(|(d, e)| {
            let r = d?;
            if flags.next().unwrap_or(false) {
                Ok(r)
            } else {
                Err(BadRecord {
                    offset: e.offset,
                    signer: r.signer,
                    seq: Some(r.record.seq),
                    kind: Some(r.record.payload.kind()),
                    why: "bad signature or non-canonical body".into(),
                })
            }
        })
        .collect()
}
