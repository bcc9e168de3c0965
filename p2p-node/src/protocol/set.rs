//! The local record set, as the sync machine sees it, and an in-memory implementation.
//!
//! The machine needs five things of a replica: its team, who may connect, what was stored since
//! a cursor (to keep its heads and to find records written by other processes), the records in
//! given spans, and ingest. [`crate::StoreSet`] implements them over the real sanakirja store;
//! [`MemorySet`] implements them in memory for tests and the simulator.

use std::collections::{BTreeMap, HashSet};

use attrib_overlay::ingest::precheck;
use attrib_overlay::{verify_batch, Outcome, PublicKey, RecordId, Refusal, SignedRecord, TeamId};

use super::wire::SeqSpan;

/// A local store failed (I/O, corruption). Not the peer's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("local store: {0}")]
pub struct SetError(pub String);

/// The local replica.
pub trait RecordSet {
    /// The team this replica belongs to.
    fn team(&self) -> TeamId;

    /// May this device key connect? (A member of the team, not revoked.)
    fn is_member(&self, key: &PublicKey) -> bool;

    /// Up to `max` records stored at or after `cursor` (0: the beginning), in storage order, and
    /// the cursor after them. Storage only grows, so a cursor sees every later write, whoever
    /// made it.
    fn records_since(&self, cursor: u64, max: usize) -> Result<(Vec<SignedRecord>, u64), SetError>;

    /// Every record held in `spans`, span by span in sequence order, stopping before the record
    /// that would take the total of body bytes past `max_body_bytes` (at least one record is
    /// returned when any exists). The flag says whether everything fitted.
    fn records_in(
        &self,
        spans: &[SeqSpan],
        max_body_bytes: usize,
    ) -> Result<(Vec<SignedRecord>, bool), SetError>;

    /// Validates and stores records; one outcome each, in order.
    fn ingest(&mut self, records: &[SignedRecord], now_ms: u64) -> Result<Vec<Outcome>, SetError>;

    /// What [`RecordSet::ingest`] would answer for each record, judged one by one against what
    /// the set holds now, without writing anything. Gossip is validated with it, so that a
    /// valid record is forwarded before it is durable here.
    fn check(&self, records: &[SignedRecord], now_ms: u64) -> Result<Vec<Outcome>, SetError>;
}

/// An in-memory record set with a fixed membership.
///
/// It applies the store's record checks (limits, team, clock, authorship; signatures when
/// `verify` is on) and keeps equivocating pairs as evidence, but evaluates no grants or
/// revokes: the members are given. Non-members' records are refused without being kept. That
/// is enough to exercise the sync protocol, which treats the set as a black box.
pub struct MemorySet {
    team: TeamId,
    members: HashSet<PublicKey>,
    verify: bool,
    log: Vec<SignedRecord>,
    /// (signer, seq) → positions in `log`: two entries = equivocation.
    by_seq: BTreeMap<(PublicKey, u32), Vec<usize>>,
    ids: HashSet<RecordId>,
}

impl MemorySet {
    /// An empty replica of `team` whose members are `members`; `verify` checks signatures on
    /// ingest (off in large simulations, where records are generated honest).
    pub fn new(team: TeamId, members: impl IntoIterator<Item = PublicKey>, verify: bool) -> Self {
        MemorySet {
            team,
            members: members.into_iter().collect(),
            verify,
            log: Vec::new(),
            by_seq: BTreeMap::new(),
            ids: HashSet::new(),
        }
    }

    /// Records held.
    pub fn len(&self) -> usize {
        self.log.len()
    }

    /// Holds no record.
    pub fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// The ids of every record held: two sets converged when these are equal.
    pub fn ids(&self) -> &HashSet<RecordId> {
        &self.ids
    }

    /// Every record held, in arrival order.
    pub fn records(&self) -> &[SignedRecord] {
        &self.log
    }

    /// Admits `key` (stands in for a grant record, which a memory set does not evaluate).
    pub fn add_member(&mut self, key: PublicKey) {
        self.members.insert(key);
    }
}

impl RecordSet for MemorySet {
    fn team(&self) -> TeamId {
        self.team
    }

    fn is_member(&self, key: &PublicKey) -> bool {
        self.members.contains(key)
    }

    fn records_since(&self, cursor: u64, max: usize) -> Result<(Vec<SignedRecord>, u64), SetError> {
        let start = (cursor as usize).min(self.log.len());
        let end = start.saturating_add(max).min(self.log.len());
        Ok((self.log[start..end].to_vec(), end as u64))
    }

    fn records_in(
        &self,
        spans: &[SeqSpan],
        max_body_bytes: usize,
    ) -> Result<(Vec<SignedRecord>, bool), SetError> {
        let (mut out, mut bytes) = (Vec::new(), 0usize);
        for span in spans {
            let range = (span.author, span.first)..=(span.author, span.last);
            for positions in self.by_seq.range(range).map(|(_, v)| v) {
                for &p in positions {
                    let r = &self.log[p];
                    if !out.is_empty() && bytes + r.body.len() > max_body_bytes {
                        return Ok((out, false));
                    }
                    bytes += r.body.len();
                    out.push(r.clone());
                }
            }
        }
        Ok((out, true))
    }

    fn ingest(&mut self, records: &[SignedRecord], now_ms: u64) -> Result<Vec<Outcome>, SetError> {
        let signatures = if self.verify {
            verify_batch(&records.iter().collect::<Vec<_>>())
        } else {
            vec![true; records.len()]
        };
        let mut out = Vec::with_capacity(records.len());
        for (r, signature_ok) in records.iter().zip(signatures) {
            let outcome = if let Err(why) = precheck(r, Some(self.team), now_ms) {
                Outcome::Refused(why)
            } else if !signature_ok {
                Outcome::Refused(Refusal::BadSignature)
            } else if !self.members.contains(&r.signer) {
                Outcome::Refused(Refusal::NonMember)
            } else {
                let id = r.id();
                if !self.ids.insert(id) {
                    Outcome::Duplicate
                } else {
                    let slot = self.by_seq.entry((r.signer, r.record.seq)).or_default();
                    slot.push(self.log.len());
                    self.log.push(r.clone());
                    if slot.len() > 1 {
                        Outcome::Refused(Refusal::Equivocation { seq: r.record.seq })
                    } else {
                        Outcome::Accepted
                    }
                }
            };
            out.push(outcome);
        }
        Ok(out)
    }

    fn check(&self, records: &[SignedRecord], now_ms: u64) -> Result<Vec<Outcome>, SetError> {
        let signatures = if self.verify {
            verify_batch(&records.iter().collect::<Vec<_>>())
        } else {
            vec![true; records.len()]
        };
        Ok(records
            .iter()
            .zip(signatures)
            .map(|(r, signature_ok)| {
                if let Err(why) = precheck(r, Some(self.team), now_ms) {
                    Outcome::Refused(why)
                } else if !signature_ok {
                    Outcome::Refused(Refusal::BadSignature)
                } else if !self.members.contains(&r.signer) {
                    Outcome::Refused(Refusal::NonMember)
                } else if self.ids.contains(&r.id()) {
                    Outcome::Duplicate
                } else if self.by_seq.contains_key(&(r.signer, r.record.seq)) {
                    Outcome::Refused(Refusal::Equivocation { seq: r.record.seq })
                } else {
                    Outcome::Accepted
                }
            })
            .collect())
    }
}
