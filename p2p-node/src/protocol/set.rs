//! The local record set, as the sync machine sees it, and an in-memory implementation.
//!
//! The machine needs five things of a replica: its team, who may connect, what was stored since
//! a cursor (to keep its heads and to find records written by other processes), the records in
//! given spans, and ingest. [`crate::StoreSet`] implements them over the real sanakirja store;
//! [`MemorySet`] implements them in memory for tests and the simulator.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use attrib_overlay::ingest::precheck;
use attrib_overlay::{
    verify_batch, Outcome, Payload, PublicKey, RecordId, Refusal, SignedRecord, TeamId,
};

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

/// An in-memory record set with a given starting membership.
///
/// It applies the store's record checks (limits, team, clock, authorship; signatures when
/// `verify` is on) and keeps equivocating pairs as evidence. Membership starts as given; grants
/// and revokes signed by one of the set's admins ([`MemorySet::with_admins`]) then change it in
/// arrival order, as records like any other that sync carries (a simplification of the
/// store's order-independent evaluation, enough for the protocol, which treats the set as a
/// black box). Non-members' and revoked keys' later records are refused without being kept.
pub struct MemorySet {
    team: TeamId,
    /// The starting membership, shareable: a simulator of 10,000 nodes would otherwise hold
    /// 10,000 copies of 10,000 keys.
    members: Arc<HashSet<PublicKey>>,
    /// Keys admitted since (grants, [`MemorySet::add_member`]).
    granted: HashSet<PublicKey>,
    /// Keys whose grants and revokes the set applies.
    admins: HashSet<PublicKey>,
    /// Revoked keys and the last sequence number of theirs that stays valid.
    revoked: HashMap<PublicKey, u32>,
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
        Self::with_shared_members(team, Arc::new(members.into_iter().collect()), verify)
    }

    /// [`MemorySet::new`] with a starting membership shared with other sets.
    pub fn with_shared_members(
        team: TeamId,
        members: Arc<HashSet<PublicKey>>,
        verify: bool,
    ) -> Self {
        MemorySet {
            team,
            members,
            granted: HashSet::new(),
            admins: HashSet::new(),
            revoked: HashMap::new(),
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

    /// Admits `key` directly (a grant known from the start, without its record).
    pub fn add_member(&mut self, key: PublicKey) {
        self.granted.insert(key);
    }

    /// A member now: admitted, and not revoked.
    fn admits(&self, key: &PublicKey) -> bool {
        !self.revoked.contains_key(key)
            && (self.members.contains(key) || self.granted.contains(key))
    }

    /// Makes `admins` (members) the keys whose grant and revoke records change the membership.
    pub fn with_admins(mut self, admins: impl IntoIterator<Item = PublicKey>) -> Self {
        self.admins = admins.into_iter().collect();
        self
    }

    /// The refusal `r` meets on membership grounds now, if any.
    fn membership_refusal(&self, r: &SignedRecord) -> Option<Refusal> {
        if let Some(&after_seq) = self.revoked.get(&r.signer) {
            if r.record.seq > after_seq {
                return Some(Refusal::Revoked { after_seq });
            }
        } else if !self.admits(&r.signer) {
            return Some(Refusal::NonMember);
        }
        if r.record.payload.is_membership() && !self.admins.contains(&r.signer) {
            return Some(Refusal::NotAdmin);
        }
        None
    }

    /// Applies an admitted grant or revoke.
    fn apply_membership(&mut self, r: &SignedRecord) {
        match &r.record.payload {
            // A revoked key stays revoked: a later grant does not bring it back.
            Payload::Grant { member, admin, .. } if !self.revoked.contains_key(member) => {
                self.granted.insert(*member);
                if *admin {
                    self.admins.insert(*member);
                }
            }
            Payload::Revoke { member, after_seq } => {
                self.granted.remove(member);
                self.admins.remove(member);
                self.revoked.insert(*member, *after_seq);
            }
            _ => {}
        }
    }
}

impl RecordSet for MemorySet {
    fn team(&self) -> TeamId {
        self.team
    }

    fn is_member(&self, key: &PublicKey) -> bool {
        self.admits(key)
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
            } else if let Some(why) = self.membership_refusal(r) {
                Outcome::Refused(why)
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
                        self.apply_membership(r);
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
                } else if let Some(why) = self.membership_refusal(r) {
                    Outcome::Refused(why)
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
