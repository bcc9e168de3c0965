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
    /// Reviews: one per reviewer and patch, replaced by the reviewer's newer review.
    Review,
}

impl SlotKind {
    /// The slot a payload competes for; `None` for membership records, which are evaluated by
    /// [`Membership::evaluate`] instead.
    pub fn of(payload: &Payload) -> Option<SlotKind> {
        match payload {
            Payload::Attest(_) | Payload::Retract { .. } => Some(SlotKind::Attestation),
            Payload::Review(_) => Some(SlotKind::Review),
            _ => None,
        }
    }
    /// The slot kind's byte in store keys. Stored on disk: never renumber.
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

/// The rule for which of a patch's current attestations speaks for it when a single answer is
/// needed (listings, blame, stats): an AI claim wins over human ones (the patch had AI help if
/// any of its authors says so), and among equals the smallest signer key wins, so every replica
/// picks the same one whatever order it learned them in. True when the attestation signed by
/// `key` (`ai`: it claims AI help) speaks before the one by `other_key`.
pub fn speaks_before(ai: bool, key: &PublicKey, other_ai: bool, other_key: &PublicKey) -> bool {
    match (ai, other_ai) {
        (true, false) => true,
        (false, true) => false,
        _ => key < other_key,
    }
}

impl PatchView {
    /// The attestation that speaks for the patch ([`speaks_before`]); `None` when nobody
    /// attested it.
    pub fn speaker(&self) -> Option<&SignedRecord> {
        let claims_ai =
            |r: &SignedRecord| matches!(&r.record.payload, Payload::Attest(a) if a.ai.is_some());
        self.attestations.values().reduce(|best, r| {
            if speaks_before(claims_ai(r), &r.signer, claims_ai(best), &best.signer) {
                r
            } else {
                best
            }
        })
    }
}

/// The whole merged view of one team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedView {
    /// The team's evaluated membership; `None` when the set holds no genesis record.
    pub membership: Option<Membership>,
    /// Every patch some admitted record speaks of, with its current claims. A patch whose
    /// slots were all retracted is absent.
    pub patches: BTreeMap<PatchId, PatchView>,
    /// Keys that signed two different records with one sequence number.
    pub equivocators: BTreeSet<PublicKey>,
}

/// What the merge rule needs to know about a record. [`SignedRecord`] implements it, and so do
/// the compact claims the audit keeps, so that the rule itself exists once.
pub trait Claim {
    /// The author: the key that signed the claim.
    fn signer(&self) -> &PublicKey;
    /// The signer's sequence number: in a slot, the highest admitted one wins.
    fn seq(&self) -> u32;
    /// The record's id; asked for only when two claims share a signer and a sequence number.
    fn id(&self) -> RecordId;
    /// The slot the claim competes for, if it is an attestation, review or retraction.
    fn slot(&self) -> Option<(&PatchId, SlotKind)>;
    /// Does the claim count at all? Not when it belongs to another team, nor when it is a
    /// retraction naming another author (refused as `Refusal::NotAuthor`, never stored; it
    /// must not count here either, not even against its signer's own slot).
    fn counts(&self, team: TeamId) -> bool;
}

impl Claim for SignedRecord {
    fn signer(&self) -> &PublicKey {
        &self.signer
    }
    fn seq(&self) -> u32 {
        self.record.seq
    }
    fn id(&self) -> RecordId {
        SignedRecord::id(self)
    }
    fn slot(&self) -> Option<(&PatchId, SlotKind)> {
        Some((
            self.record.payload.patch()?,
            SlotKind::of(&self.record.payload)?,
        ))
    }
    fn counts(&self, team: TeamId) -> bool {
        self.team_id() == team
            && !matches!(&self.record.payload, Payload::Retract { author, .. } if *author != self.signer)
    }
}

impl<C: Claim> Claim for &C {
    fn signer(&self) -> &PublicKey {
        (*self).signer()
    }
    fn seq(&self) -> u32 {
        (*self).seq()
    }
    fn id(&self) -> RecordId {
        (*self).id()
    }
    fn slot(&self) -> Option<(&PatchId, SlotKind)> {
        (*self).slot()
    }
    fn counts(&self, team: TeamId) -> bool {
        (*self).counts(team)
    }
}

/// Which claims count, once each, and which keys equivocated.
pub struct Dedup {
    /// Indices of the claims that count, duplicates dropped, in input order.
    pub live: Vec<usize>,
    /// Distinct ids at each `(signer, seq)` that more than one claim shares.
    ids_at: HashMap<(PublicKey, u32), usize>,
}

impl Dedup {
    /// Did `key` sign two different records as `seq`?
    pub fn equivocated(&self, key: &PublicKey, seq: u32) -> bool {
        self.ids_at.get(&(*key, seq)).is_some_and(|n| *n > 1)
    }
    /// Every key that signed two different records under one sequence number.
    pub fn equivocators(&self) -> BTreeSet<PublicKey> {
        self.ids_at
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|((k, _), _)| *k)
            .collect()
    }
}

/// Step one of the rule: drop what does not count and duplicates; find equivocation.
pub fn dedup<C: Claim>(team: TeamId, claims: &[C]) -> Dedup {
    // Group by (signer, seq). A group of one needs no id; only the rare larger groups are
    // hashed, to tell a duplicate (same id: counted once) from equivocation (different ids).
    let mut first: HashMap<(PublicKey, u32), usize> = HashMap::with_capacity(claims.len());
    let mut more: Vec<((PublicKey, u32), usize)> = Vec::new();
    for (i, c) in claims.iter().enumerate() {
        if !c.counts(team) {
            continue;
        }
        let key = (*c.signer(), c.seq());
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
        seen.insert(claims[first[&key]].id());
        for &(_, i) in group {
            if seen.insert(claims[i].id()) {
                live.push(i);
            }
        }
        ids_at.insert(key, seen.len());
    }
    // Input order, so that ties anywhere below resolve the same way on every replica.
    live.sort_unstable();
    Dedup { live, ids_at }
}

/// Step three of the rule (step two is [`Membership::evaluate`]): in every slot, the admitted,
/// non-equivocated claim with the highest sequence number wins. Returns the winners' indices,
/// retraction winners included.
pub fn slot_winners<C: Claim>(claims: &[C], d: &Dedup, m: &Membership) -> Vec<usize> {
    // Sized for every live claim up front: at a million, growing the table by doubling was a
    // twentieth of `attrib verify`, all of it on one core.
    let mut slots: HashMap<(&PatchId, &PublicKey, SlotKind), usize> =
        HashMap::with_capacity(d.live.len());
    for &i in &d.live {
        let c = &claims[i];
        let Some((patch, kind)) = c.slot() else {
            continue;
        };
        if !m.admits(c.signer(), c.seq()) || d.equivocated(c.signer(), c.seq()) {
            continue;
        }
        let slot = slots.entry((patch, c.signer(), kind)).or_insert(i);
        // Two admitted claims of one signer have different numbers (equal ones equivocate).
        if c.seq() > claims[*slot].seq() {
            *slot = i;
        }
    }
    slots.into_values().collect()
}

/// The outcome of the merge rule over a record set: membership, flagged keys, and the winning
/// record of every slot (as an index into the input), retraction winners included.
pub struct Resolution {
    /// The membership evaluated from the set's genesis and grant/revoke records.
    pub membership: Option<Membership>,
    /// Keys caught equivocating; their equivocated records count nowhere.
    pub equivocators: BTreeSet<PublicKey>,
    /// Index of each slot's winning record, in no particular order.
    pub winners: Vec<usize>,
}

/// Applies the merge rule to `records` (signatures already verified): [`dedup`], then
/// [`Membership::evaluate`], then [`slot_winners`]. The store keeps the same rule
/// incrementally and is checked against it.
pub fn resolve(team: TeamId, records: &[&SignedRecord]) -> Resolution {
    let d = dedup(team, records);
    let membership = d
        .live
        .iter()
        .map(|&i| records[i])
        .find(|r| matches!(r.record.payload, Payload::Genesis { .. }))
        .and_then(|g| {
            Membership::evaluate(g, d.live.iter().map(|&i| records[i]), |k, s| {
                d.equivocated(k, s)
            })
        });
    let winners = match &membership {
        Some(m) => slot_winners(records, &d, m),
        None => Vec::new(),
    };
    Resolution {
        equivocators: d.equivocators(),
        membership,
        winners,
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
