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

/// `HashMap::try_insert` for stable Rust: inserts, or keeps the existing value and says so.
trait InsertOrKeep<K, V> {
    /// Returns `true` when the key was already present.
    fn try_insert_or_keep(&mut self, key: K, value: V) -> bool;
}

impl<K: std::hash::Hash + Eq, V> InsertOrKeep<K, V> for HashMap<K, V> {
    fn try_insert_or_keep(&mut self, key: K, value: V) -> bool {
        match self.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => true,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(value);
                false
            }
        }
    }
}

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

/// The outcome of the merge rule over a record set: membership, flagged keys, and the winning
/// record of every slot (as an index into the input), retraction winners included.
pub struct Resolution {
    pub membership: Option<Membership>,
    pub equivocators: BTreeSet<PublicKey>,
    /// Index of each slot's winning record, in no particular order.
    pub winners: Vec<usize>,
}

/// Applies the merge rule to `records` (signatures already verified). This is the one
/// implementation of the rule: [`MergedView::build`] and the audit behind `attrib verify` both
/// call it; the store keeps the same rule incrementally and is checked against it.
pub fn resolve(team: TeamId, records: &[&SignedRecord]) -> Resolution {
    // Group by (signer, seq). A group of one needs no id; only the rare larger groups are
    // hashed, to tell a duplicate (same id: counted once) from equivocation (different ids).
    let mut first: HashMap<(PublicKey, u32), usize> = HashMap::with_capacity(records.len());
    let mut more: Vec<((PublicKey, u32), usize)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if r.team_id() != team {
            continue;
        }
        // A retraction naming another author is refused (`Refusal::NotAuthor`) and never
        // stored; it must not count here either, not even against its signer's own slot.
        if matches!(&r.record.payload, Payload::Retract { author, .. } if *author != r.signer) {
            continue;
        }
        let key = (r.signer, r.record.seq);
        if first.try_insert_or_keep(key, i) {
            more.push((key, i));
        }
    }
    let mut live: Vec<usize> = first.values().copied().collect();
    let mut ids_at: HashMap<(PublicKey, u32), usize> = HashMap::new();
    more.sort_unstable_by_key(|(k, i)| (*k, *i));
    for group in more.chunk_by(|a, b| a.0 == b.0) {
        let key = group[0].0;
        let mut seen: HashSet<RecordId> = HashSet::new();
        seen.insert(records[first[&key]].id());
        for &(_, i) in group {
            if seen.insert(records[i].id()) {
                live.push(i);
            }
        }
        ids_at.insert(key, seen.len());
    }
    // Input order, so that ties anywhere below resolve the same way on every replica.
    live.sort_unstable();
    let equivocated = |k: &PublicKey, seq: u32| ids_at.get(&(*k, seq)).is_some_and(|n| *n > 1);
    let equivocators = ids_at
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|((k, _), _)| *k)
        .collect();

    let membership = live
        .iter()
        .map(|&i| records[i])
        .find(|r| matches!(r.record.payload, Payload::Genesis { .. }))
        .and_then(|g| Membership::evaluate(g, live.iter().map(|&i| records[i]), equivocated));

    let mut slots: HashMap<(&PatchId, &PublicKey, SlotKind), usize> = HashMap::new();
    if let Some(m) = &membership {
        for &i in &live {
            let r = records[i];
            let (Some(kind), Some(patch)) =
                (SlotKind::of(&r.record.payload), r.record.payload.patch())
            else {
                continue;
            };
            if !m.admits(&r.signer, r.record.seq) || equivocated(&r.signer, r.record.seq) {
                continue;
            }
            let slot = slots.entry((patch, &r.signer, kind)).or_insert(i);
            if supersedes(r, records[*slot]) {
                *slot = i;
            }
        }
    }
    Resolution {
        membership,
        equivocators,
        winners: slots.into_values().collect(),
    }
}

impl MergedView {
    /// Builds the view of `team` from records whose signatures are already verified.
    pub fn build<'a>(team: TeamId, records: impl IntoIterator<Item = &'a SignedRecord>) -> Self {
        let records: Vec<&SignedRecord> = records.into_iter().collect();
        let Resolution {
            membership,
            equivocators,
            winners,
        } = resolve(team, &records);
        let slots = winners.into_iter().filter_map(|i| {
            let r = records[i];
            let key = (
                r.record.payload.patch()?.clone(),
                r.signer,
                SlotKind::of(&r.record.payload)?,
            );
            Some((key, r))
        });

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
