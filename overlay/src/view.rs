//! The merged view: a pure function from a set of signed records to "who claims what about each
//! patch".
//!
//! Invariants (tested in `tests/properties.rs`):
//! - **Commutative, associative, idempotent**: the view depends only on the *set* of records, so
//!   any order, grouping or duplication of deliveries yields the same view.
//! - **Author-owned**: a slot `(patch, signer, kind)` holds only records signed by that signer;
//!   the admitted record with the highest sequence number wins, and a winning retraction empties
//!   the slot. Nobody else's record can reach the slot.
//! - **Refused records never count**: a record enters a slot only if its signer is admitted at its
//!   sequence number and did not equivocate at it.
//!
//! The store keeps the same view incrementally; `attrib verify` rebuilds it with this module and
//! compares.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::ids::{PatchId, PublicKey, RecordId, TeamId};
use crate::model::Payload;
use crate::signed::SignedRecord;
use crate::team::Membership;

/// Which slot of a patch a record competes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlotKind {
    /// Attestations and their retractions.
    Attestation,
    Review,
}

impl SlotKind {
    pub fn of(payload: &Payload) -> Option<SlotKind> {
        match payload {
            Payload::Attest(_) | Payload::Retract { .. } => Some(SlotKind::Attestation),
            Payload::Review(_) => Some(SlotKind::Review),
            _ => None,
        }
    }
    pub fn code(self) -> u8 {
        match self {
            SlotKind::Attestation => 0,
            SlotKind::Review => 1,
        }
    }
}

/// Does `candidate` replace `current` in their shared slot? Both are admitted records of one
/// signer, so their sequence numbers differ (equal ones would be equivocation, never admitted).
pub fn supersedes(candidate: &SignedRecord, current: &SignedRecord) -> bool {
    candidate.record.seq > current.record.seq
}

/// What the team says about one patch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchView {
    /// The current attestation of each author.
    pub attestations: BTreeMap<PublicKey, SignedRecord>,
    /// The current review of each reviewer.
    pub reviews: BTreeMap<PublicKey, SignedRecord>,
}

/// The whole merged view of one team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedView {
    pub membership: Option<Membership>,
    pub patches: BTreeMap<PatchId, PatchView>,
    /// Keys that signed two different records with one sequence number.
    pub equivocators: BTreeSet<PublicKey>,
}

impl MergedView {
    /// Builds the view of `team` from records whose signatures are already verified.
    pub fn build<'a>(team: TeamId, records: impl IntoIterator<Item = &'a SignedRecord>) -> Self {
        let mut seen: HashSet<RecordId> = HashSet::new();
        let records: Vec<&SignedRecord> = records
            .into_iter()
            .filter(|r| r.team_id() == team)
            // A retraction naming another author is refused (`Refusal::NotAuthor`) and never
            // stored; it must not count here either, not even against its signer's own slot.
            .filter(|r| {
                !matches!(&r.record.payload, Payload::Retract { author, .. } if *author != r.signer)
            })
            .filter(|r| seen.insert(r.id()))
            .collect();

        let mut ids_at: HashMap<(PublicKey, u32), usize> = HashMap::new();
        for r in &records {
            *ids_at.entry((r.signer, r.record.seq)).or_default() += 1;
        }
        let equivocated = |k: &PublicKey, seq: u32| ids_at.get(&(*k, seq)).is_some_and(|n| *n > 1);
        let equivocators = ids_at
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|((k, _), _)| *k)
            .collect();

        let membership = records
            .iter()
            .find(|r| matches!(r.record.payload, Payload::Genesis { .. }))
            .and_then(|g| Membership::evaluate(g, records.iter().copied(), equivocated));

        let mut slots: BTreeMap<(PatchId, PublicKey, SlotKind), &SignedRecord> = BTreeMap::new();
        if let Some(m) = &membership {
            for r in &records {
                let (Some(kind), Some(patch)) =
                    (SlotKind::of(&r.record.payload), r.record.payload.patch())
                else {
                    continue;
                };
                if !m.admits(&r.signer, r.record.seq) || equivocated(&r.signer, r.record.seq) {
                    continue;
                }
                let slot = slots.entry((patch.clone(), r.signer, kind)).or_insert(r);
                if supersedes(r, slot) {
                    *slot = r;
                }
            }
        }

        let mut patches: BTreeMap<PatchId, PatchView> = BTreeMap::new();
        for ((patch, signer, kind), r) in slots {
            let entry = patches.entry(patch).or_default();
            match (&r.record.payload, kind) {
                (Payload::Retract { .. }, _) => {}
                (_, SlotKind::Attestation) => {
                    entry.attestations.insert(signer, r.clone());
                }
                (_, SlotKind::Review) => {
                    entry.reviews.insert(signer, r.clone());
                }
            }
        }
        patches.retain(|_, v| !v.attestations.is_empty() || !v.reviews.is_empty());
        MergedView {
            membership,
            patches,
            equivocators,
        }
    }
}
