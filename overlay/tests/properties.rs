//! Invariant 1 (commutative) and the author rules, as properties over generated record sets.
//!
//! A scenario is a small team — the founder, alice and bob from `common::team()`, carol who may or
//! may not be granted, and mallory who is a stranger unless someone with the right to do so grants
//! her — plus a random list of operations: attestations, newer versions of them, reviews, the
//! author's own retractions, retractions that name somebody else (refused), grants and revokes by
//! admins and non-admins, and now and then an equivocating twin (a second, different record with
//! the same signer and sequence number).
//!
//! Checked:
//! - `MergedView::build` depends only on the *set* of records: permutations, duplicates and
//!   regroupings all give the same view, thousands of cases each.
//! - The view follows the author rules, checked against an independent reference: each slot holds
//!   its author's admitted, unequivocated record with the highest sequence number, a winning
//!   retraction empties it, and no one else's records can change it.
//! - The sanakirja store, fed the same records in random order, random batches and with random
//!   re-deliveries, holds exactly the view `MergedView::build` computes, and two stores fed
//!   different orders agree with each other.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, OnceLock};

use attrib_overlay::*;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Cases for the pure `MergedView` properties.
const VIEW_CASES: u32 = 3000;
/// Cases for the store-backed property; each opens two sanakirja files.
const STORE_CASES: u32 = 128;
/// Longest operation list of a pure-view case.
const VIEW_OPS: usize = 40;
/// Longest operation list of a store case (signature checks dominate a debug build's run time).
const STORE_OPS: usize = 40;

const FOUNDER: usize = 0;
const ALICE: usize = 1;
const BOB: usize = 2;
const CAROL: usize = 3;
const MALLORY: usize = 4;
const SIGNERS: usize = 5;

/// A base32 change hash, so the compact binary patch id encoding takes part too.
const HASH_PATCH: &str = "MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC";
const PATCHES: [&str; 5] = ["P0", "P1", "P2", "P3", HASH_PATCH];

/// What a generated record is made from: (signer, seq, kind, patch, variant).
type RecordKey = (usize, u32, Kind, usize, u8);

struct World {
    team: common::Team,
    carol: Identity,
    mallory: Identity,
    /// Signed records by (signer, seq, kind, patch, variant): signing is the slow part of a
    /// debug build, and the space of distinct records is small.
    cache: Mutex<HashMap<RecordKey, SignedRecord>>,
}

impl World {
    fn id(&self, i: usize) -> &Identity {
        match i {
            FOUNDER => &self.team.founder,
            ALICE => &self.team.alice,
            BOB => &self.team.bob,
            CAROL => &self.carol,
            _ => &self.mallory,
        }
    }
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| World {
        team: team(),
        carol: identity(4),
        mallory: identity(9),
        cache: Mutex::new(HashMap::new()),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Attest,
    Review,
    /// The signer's own tombstone.
    Retract,
    /// A retraction naming another author: refused, must never count.
    ForgedRetract,
    /// A grant of carol or mallory; counts only if the signer is an admin at that point.
    Grant,
    /// A revoke of alice, bob or carol; counts only if the signer is an admin at that point.
    Revoke,
}

#[derive(Clone, Debug)]
struct Op {
    signer: usize,
    kind: Kind,
    patch: usize,
    variant: u8,
    /// Distance to the previous sequence number of the signer (gaps are allowed).
    gap: u32,
    /// Also emit an equivocating twin: same signer and seq, different content.
    twin: bool,
}

#[derive(Clone, Debug)]
struct Scenario {
    grant_carol: bool,
    ops: Vec<Op>,
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        8 => Just(Kind::Attest),
        4 => Just(Kind::Review),
        3 => Just(Kind::Retract),
        1 => Just(Kind::ForgedRetract),
        1 => Just(Kind::Grant),
        1 => Just(Kind::Revoke),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    (
        prop_oneof![3 => Just(FOUNDER), 5 => Just(ALICE), 5 => Just(BOB), 3 => Just(CAROL), 2 => Just(MALLORY)],
        kind(),
        0..PATCHES.len(),
        0..4u8,
        prop_oneof![4 => Just(1u32), 1 => 2..4u32],
        prop::bool::weighted(0.05),
    )
        .prop_map(|(signer, kind, patch, variant, gap, twin)| Op {
            signer,
            kind,
            patch,
            variant,
            gap,
            twin,
        })
}

fn scenario(max_ops: usize) -> impl Strategy<Value = Scenario> {
    (
        prop::bool::weighted(0.7),
        prop::collection::vec(op(), 0..max_ops),
    )
        .prop_map(|(grant_carol, ops)| Scenario { grant_carol, ops })
}

/// The signed record an operation stands for.
fn make(signer: usize, seq: u32, kind: Kind, patch: usize, variant: u8) -> SignedRecord {
    let w = world();
    let key = (signer, seq, kind, patch, variant);
    if let Some(r) = w.cache.lock().unwrap().get(&key) {
        return r.clone();
    }
    let p = PatchId::new(PATCHES[patch]).unwrap();
    let payload = match kind {
        Kind::Attest => {
            let ai = match variant % 3 {
                0 => None,
                1 => Some(("anthropic", "claude-sonnet-4")),
                _ => Some(("openai", "gpt-5")),
            };
            let mut a = attestation(PATCHES[patch], ai);
            a.description = Some(format!("version {variant}"));
            Payload::Attest(a)
        }
        Kind::Review => Payload::Review(Review {
            patch: p,
            seconds: 10 * variant as u32,
            verdict: [Verdict::Approve, Verdict::Comment, Verdict::RequestChanges]
                [variant as usize % 3],
            comment: (variant % 2 == 1).then(|| format!("comment {variant}")),
        }),
        Kind::Retract => Payload::Retract {
            patch: p,
            author: w.id(signer).public(),
        },
        Kind::ForgedRetract => Payload::Retract {
            patch: p,
            author: w.id((signer + 1 + variant as usize % 4) % SIGNERS).public(),
        },
        Kind::Grant => Payload::Grant {
            member: w.id([CAROL, MALLORY][variant as usize % 2]).public(),
            name: format!("member {variant}"),
            email: None,
            admin: variant >= 2,
        },
        Kind::Revoke => Payload::Revoke {
            member: w.id([ALICE, BOB, CAROL][variant as usize % 3]).public(),
            after_seq: 3 * variant as u32,
        },
    };
    // Distinct variants at one seq differ in timestamp too, so twins always differ.
    let ts = T0 + 10_000 + 16 * seq as u64 + variant as u64;
    let r = w.id(signer).sign(w.team.team, record(seq, ts, payload));
    w.cache.lock().unwrap().insert(key, r.clone());
    r
}

/// Every record of a scenario, in generation order.
fn records(s: &Scenario) -> Vec<SignedRecord> {
    let w = world();
    let mut out = w.team.setup.clone();
    // team() uses the founder's seqs 1..=3; carol's grant takes 4 whether or not it exists.
    let mut next = [5u32, 1, 1, 1, 1];
    if s.grant_carol {
        out.push(grant(&w.team.founder, w.team.team, 4, &w.carol, "carol"));
    }
    for op in &s.ops {
        let seq = next[op.signer] + op.gap - 1;
        next[op.signer] = seq + 1;
        out.push(make(op.signer, seq, op.kind, op.patch, op.variant));
        if op.twin {
            out.push(make(
                op.signer,
                seq,
                op.kind,
                op.patch,
                (op.variant + 1) % 4,
            ));
        }
    }
    out
}

/// A small deterministic generator for shuffles and splits, seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
    fn shuffled<T: Clone>(&mut self, v: &[T]) -> Vec<T> {
        let mut v = v.to_vec();
        self.shuffle(&mut v);
        v
    }
    /// `v` with random records delivered again at random places.
    fn with_duplicates<T: Clone>(&mut self, v: &[T]) -> Vec<T> {
        let mut out = v.to_vec();
        if v.is_empty() {
            return out;
        }
        for _ in 0..self.below(v.len() + 1) {
            let r = v[self.below(v.len())].clone();
            let at = self.below(out.len() + 1);
            out.insert(at, r);
        }
        out
    }
}

fn view(team: TeamId, records: &[SignedRecord]) -> MergedView {
    MergedView::build(team, records)
}

/// Runs a property over `cases` generated (scenario, seed) pairs.
fn check(cases: u32, max_ops: usize, f: impl Fn(&Scenario, &mut Rng) -> Result<(), TestCaseError>) {
    // PROPTEST_CASES overrides the case count, for a longer run.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    runner
        .run(&(scenario(max_ops), any::<u64>()), |(s, seed)| {
            f(&s, &mut Rng(seed))
        })
        .unwrap();
}

/// Counters showing that the generated cases exercise what the properties are about.
#[derive(Default)]
struct Coverage {
    cases: AtomicUsize,
    equivocations: AtomicUsize,
    overridden_versions: AtomicUsize,
    retracted_slots: AtomicUsize,
    forged_retracts: AtomicUsize,
    refused_by_membership: AtomicUsize,
    stranger_admitted: AtomicUsize,
    nonempty_views: AtomicUsize,
}

impl Coverage {
    fn assert_exercised(&self) {
        let cases = self.cases.load(Relaxed);
        let each = [
            ("equivocations", &self.equivocations),
            ("overridden versions", &self.overridden_versions),
            ("retracted slots", &self.retracted_slots),
            ("forged retractions", &self.forged_retracts),
            ("records refused by membership", &self.refused_by_membership),
            (
                "strangers admitted by a later grant",
                &self.stranger_admitted,
            ),
            ("non-empty views", &self.nonempty_views),
        ];
        for (what, n) in each {
            let n = n.load(Relaxed);
            println!("{what}: {n} of {cases} cases");
            assert!(
                n * 50 >= cases,
                "only {n} of {cases} cases had {what}; the generator no longer exercises it"
            );
        }
    }
}

#[test]
fn view_is_invariant_under_permutation_and_duplication() {
    let team = world().team.team;
    check(VIEW_CASES, VIEW_OPS, |s, rng| {
        let all = records(s);
        let base = view(team, &all);
        let permuted = rng.shuffled(&all);
        prop_assert_eq!(
            &view(team, &permuted),
            &base,
            "permutation changed the view"
        );
        let duplicated = rng.with_duplicates(&permuted);
        prop_assert_eq!(
            &view(team, &duplicated),
            &base,
            "duplicates changed the view"
        );
        let twice: Vec<SignedRecord> = all.iter().chain(permuted.iter()).cloned().collect();
        prop_assert_eq!(&view(team, &twice), &base, "a full replay changed the view");
        let mut reversed = duplicated;
        reversed.reverse();
        prop_assert_eq!(&view(team, &reversed), &base, "reversal changed the view");
        Ok(())
    });
}

#[test]
fn view_is_associative_over_any_grouping() {
    let team = world().team.team;
    check(VIEW_CASES, VIEW_OPS, |s, rng| {
        let all = records(s);
        let base = view(team, &all);
        // Three deliveries that overlap at random and together hold every record.
        let (mut x, mut y, mut z) = (Vec::new(), Vec::new(), Vec::new());
        for r in &all {
            let mask = 1 + rng.below(7);
            if mask & 1 != 0 {
                x.push(r.clone());
            }
            if mask & 2 != 0 {
                y.push(r.clone());
            }
            if mask & 4 != 0 {
                z.push(r.clone());
            }
        }
        let cat = |a: &[SignedRecord], b: &[SignedRecord]| -> Vec<SignedRecord> {
            a.iter().chain(b).cloned().collect()
        };
        // (x ∪ y) ∪ z, each inner union arriving in its own order.
        let xy = rng.shuffled(&cat(&x, &y));
        let left = cat(&xy, &z);
        // x ∪ (y ∪ z)
        let yz = rng.shuffled(&cat(&y, &z));
        let right = cat(&x, &yz);
        // (z ∪ x) ∪ y
        let zx = rng.shuffled(&cat(&z, &x));
        let other = cat(&y, &zx);
        prop_assert_eq!(&view(team, &left), &base, "(x ∪ y) ∪ z differs");
        prop_assert_eq!(&view(team, &right), &base, "x ∪ (y ∪ z) differs");
        prop_assert_eq!(&view(team, &other), &base, "y ∪ (z ∪ x) differs");
        Ok(())
    });
}

/// Is `r` a retraction that names somebody other than its signer? Such records are refused.
fn forged_retract(r: &SignedRecord) -> bool {
    matches!(&r.record.payload, Payload::Retract { author, .. } if *author != r.signer)
}

#[test]
fn view_follows_the_author_rules() {
    let w = world();
    let team = w.team.team;
    let cov = Coverage::default();
    check(VIEW_CASES, VIEW_OPS, |s, _rng| {
        let all = records(s);
        let v = view(team, &all);
        let m = v
            .membership
            .as_ref()
            .expect("the genesis is always present");
        cov.cases.fetch_add(1, Relaxed);

        // Reference: the signer's admitted, unequivocated record with the highest seq wins its
        // slot; a winning retraction leaves the slot empty. Refused records never count.
        let honest: Vec<&SignedRecord> = all.iter().filter(|r| !forged_retract(r)).collect();
        if honest.len() < all.len() {
            cov.forged_retracts.fetch_add(1, Relaxed);
        }
        let mut ids_at: BTreeMap<(PublicKey, u32), BTreeSet<RecordId>> = BTreeMap::new();
        for r in &honest {
            ids_at
                .entry((r.signer, r.record.seq))
                .or_default()
                .insert(r.id());
        }
        let equivocated = |r: &SignedRecord| ids_at[&(r.signer, r.record.seq)].len() > 1;
        let expected_equivocators: BTreeSet<PublicKey> = ids_at
            .iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|((k, _), _)| *k)
            .collect();
        prop_assert_eq!(&v.equivocators, &expected_equivocators);
        if !expected_equivocators.is_empty() {
            cov.equivocations.fetch_add(1, Relaxed);
        }

        let (mut refused, mut retracted) = (false, false);
        let mut slots: BTreeMap<(PatchId, PublicKey, bool), &SignedRecord> = BTreeMap::new();
        let mut contenders: BTreeMap<(PatchId, PublicKey, bool), usize> = BTreeMap::new();
        for r in &honest {
            let (patch, is_review) = match &r.record.payload {
                Payload::Attest(a) => (a.patch.clone(), false),
                Payload::Retract { patch, .. } => (patch.clone(), false),
                Payload::Review(x) => (x.patch.clone(), true),
                _ => continue,
            };
            if !m.admits(&r.signer, r.record.seq) {
                refused = true;
                continue;
            }
            if equivocated(r) {
                continue;
            }
            let key = (patch, r.signer, is_review);
            *contenders.entry(key.clone()).or_default() += 1;
            let slot = slots.entry(key).or_insert(r);
            if r.record.seq > slot.record.seq {
                *slot = r;
            }
        }
        if contenders.values().any(|n| *n > 1) {
            cov.overridden_versions.fetch_add(1, Relaxed);
        }
        let mut expected: BTreeMap<PatchId, PatchView> = BTreeMap::new();
        for ((patch, signer, is_review), r) in slots {
            if matches!(r.record.payload, Payload::Retract { .. }) {
                retracted = true;
                continue;
            }
            let e = expected.entry(patch).or_default();
            let side = if is_review {
                &mut e.reviews
            } else {
                &mut e.attestations
            };
            side.insert(signer, (*r).clone());
        }
        prop_assert_eq!(&v.patches, &expected, "the view breaks the author rules");
        cov.refused_by_membership
            .fetch_add(refused as usize, Relaxed);
        cov.retracted_slots.fetch_add(retracted as usize, Relaxed);
        if !v.patches.is_empty() {
            cov.nonempty_views.fetch_add(1, Relaxed);
        }
        if m.members.contains_key(&w.mallory.public()) {
            cov.stranger_admitted.fetch_add(1, Relaxed);
        }
        // Members are exactly the founder and keys an admin granted.
        for k in m.members.keys() {
            prop_assert!(
                *k == w.team.founder.public()
                    || all.iter().any(|r| matches!(
                        &r.record.payload,
                        Payload::Grant { member, .. } if member == k
                    )),
                "a key nobody granted is a member"
            );
        }

        // Author-owned: nobody else's records change an author's slots. The view of the team's
        // membership records plus one author's own records agrees with the full view on that
        // author's slots.
        for a in 0..SIGNERS {
            let key = w.id(a).public();
            let own: Vec<SignedRecord> = all
                .iter()
                .filter(|r| r.record.payload.is_membership() || r.signer == key)
                .cloned()
                .collect();
            let alone = view(team, &own);
            let slots_of = |v: &MergedView| -> BTreeMap<RecordId, SignedRecord> {
                by_id(v.patches.values().flat_map(|p| {
                    p.attestations
                        .iter()
                        .chain(p.reviews.iter())
                        .filter(|(k, _)| **k == key)
                        .map(|(_, r)| r)
                }))
            };
            prop_assert_eq!(
                slots_of(&alone),
                slots_of(&v),
                "others' records changed the slots of signer {}",
                a
            );
        }
        Ok(())
    });
    cov.assert_exercised();
}

/// Delivers `all` to a fresh store in a random order, in random batches, with random
/// re-deliveries, and checks each outcome against what the record is.
fn deliver(
    all: &[SignedRecord],
    rng: &mut Rng,
) -> Result<(tempfile::TempDir, Store), TestCaseError> {
    let (dir, store) = open_store();
    let shuffled = rng.shuffled(all);
    let mut order = rng.with_duplicates(&shuffled);
    // A fresh store adopts the team of the first genesis it sees, so the genesis goes first.
    let g = order
        .iter()
        .position(|r| matches!(r.record.payload, Payload::Genesis { .. }))
        .unwrap();
    let genesis = order.remove(g);
    order.insert(0, genesis);
    let mut rest = &order[..];
    while !rest.is_empty() {
        let n = 1 + rng.below(rest.len().min(12));
        let (batch, tail) = rest.split_at(n);
        rest = tail;
        let outcomes = store.ingest(batch, NOW).unwrap();
        prop_assert_eq!(outcomes.len(), batch.len());
        for (r, o) in batch.iter().zip(&outcomes) {
            match o {
                Outcome::Refused(Refusal::NotAuthor) => {
                    prop_assert!(forged_retract(r), "honest record refused as NotAuthor")
                }
                _ if forged_retract(r) => {
                    prop_assert!(false, "forged retraction not refused: {:?}", o)
                }
                Outcome::Accepted | Outcome::Duplicate => {}
                Outcome::Refused(
                    Refusal::NonMember
                    | Refusal::Revoked { .. }
                    | Refusal::NotAdmin
                    | Refusal::Equivocation { .. },
                ) => {}
                Outcome::Refused(other) => {
                    prop_assert!(false, "authentic record refused: {:?}", other)
                }
            }
        }
    }
    Ok((dir, store))
}

#[test]
fn store_holds_the_merged_view_whatever_the_delivery() {
    let team = world().team.team;
    let cov = Coverage::default();
    check(STORE_CASES, STORE_OPS, |s, rng| {
        let all = records(s);
        let v = view(team, &all);
        let expected = view_set(&v);
        cov.cases.fetch_add(1, Relaxed);
        if !expected.is_empty() {
            cov.nonempty_views.fetch_add(1, Relaxed);
        }
        if !v.equivocators.is_empty() {
            cov.equivocations.fetch_add(1, Relaxed);
        }

        let (dir_a, a) = deliver(&all, rng)?;
        let (_dir_b, b) = deliver(&all, rng)?;
        let got_a = store_set(&a);
        prop_assert_eq!(&got_a, &expected, "store and MergedView disagree");
        prop_assert_eq!(&store_set(&b), &got_a, "two delivery orders disagree");
        for store in [&a, &b] {
            let snap = store.snapshot().unwrap();
            prop_assert_eq!(snap.membership(), v.membership.as_ref());
            prop_assert_eq!(snap.equivocators(), &v.equivocators);
            // Nothing authentic is lost: every record but the refused forgeries is kept.
            let kept = by_id(&snap.all_records().unwrap());
            let authentic = by_id(all.iter().filter(|r| !forged_retract(r)));
            prop_assert_eq!(kept, authentic);
            // The per-patch query agrees with the view too.
            for (patch, pv) in &v.patches {
                prop_assert_eq!(&snap.patch(patch).unwrap(), pv);
            }
        }
        // And the same after closing and reopening the file.
        drop(a);
        let a = Store::open(dir_a.path()).unwrap();
        prop_assert_eq!(store_set(&a), expected, "the view changed across a reopen");
        Ok(())
    });
    let cases = cov.cases.load(Relaxed);
    assert!(cov.nonempty_views.load(Relaxed) * 2 >= cases);
    assert!(cov.equivocations.load(Relaxed) > 0);
}

/// The derived sums of a store with names and authors resolved, so that two stores (whose
/// interned ids and author numbers differ) compare.
#[allow(clippy::type_complexity)]
fn sums_of(
    store: &Store,
) -> (
    Vec<(
        u32,
        u8,
        String,
        u8,
        String,
        Vec<String>,
        Vec<String>,
        store::StatCounts,
    )>,
    Vec<(Option<PublicKey>, u32, store::StatCounts)>,
    Vec<store::DayGroup>,
) {
    let snap = store.snapshot().unwrap();
    let p = snap
        .stat_groups()
        .unwrap()
        .expect("the store keeps its sums");
    let name = |id: u32| p.names.get(id as usize).cloned().unwrap_or_default();
    let mut groups: Vec<_> = p
        .groups
        .iter()
        .map(|g| {
            (
                g.month,
                g.kind,
                name(g.spelling),
                g.suggestion,
                name(g.agent),
                g.part_spellings.iter().map(|&i| name(i)).collect(),
                g.part_agents.iter().map(|&i| name(i)).collect(),
                g.counts,
            )
        })
        .collect();
    groups.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let mut authors: Vec<_> = snap
        .stat_author_groups()
        .unwrap()
        .expect("the store keeps its sums")
        .iter()
        .map(|a| {
            (
                snap.authors().get(a.author as usize).copied(),
                a.month,
                a.counts,
            )
        })
        .collect();
    authors.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let days = snap
        .stat_day_groups()
        .unwrap()
        .expect("the store keeps its sums");
    (groups, authors, days)
}

/// Record ids of the rows a store lists newest first, from the index by time after `skip`
/// rows, and from the scan.
fn listed(store: &Store, q: &AttestationQuery) -> (Vec<RecordId>, Vec<RecordId>, Vec<RecordId>) {
    let snap = store.snapshot().unwrap();
    let id = |r: &AttestationRow| snap.record_at(r.offset).unwrap().id();
    let scanned: Vec<AttestationRow> = snap.attestation_rows(q).unwrap();
    let streamed: Vec<AttestationRow> = snap
        .newest_attestations(q, None, None)
        .unwrap()
        .expect("the store keeps its index by time")
        .collect::<Result<_, _>>()
        .unwrap();
    // Resumed after the second row: the rest of the listing.
    let prefixes = snap.author_prefixes();
    let resumed: Vec<AttestationRow> = match scanned.get(1) {
        Some(r) => snap
            .newest_attestations(q, None, Some(store::listing_key(&prefixes, r)))
            .unwrap()
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap(),
        None => Vec::new(),
    };
    (
        scanned.iter().map(id).collect(),
        streamed.iter().map(id).collect(),
        resumed.iter().map(id).collect(),
    )
}

#[test]
fn derived_sums_and_time_index_match_a_recomputation_whatever_the_delivery() {
    check(STORE_CASES / 2, STORE_OPS, |s, rng| {
        let all = records(s);
        let (_dir_a, a) = deliver(&all, rng)?;
        // From scratch: a fresh store builds its derived tables from the whole view at its
        // first ingest.
        let (_dir_b, b) = open_store();
        let mut ordered = all.clone();
        ordered.sort_by_key(|r| !matches!(r.record.payload, Payload::Genesis { .. }));
        b.ingest(&ordered, NOW).unwrap();
        prop_assert_eq!(
            sums_of(&a),
            sums_of(&b),
            "sums kept by delta differ from a rebuild"
        );
        for q in [
            AttestationQuery::default(),
            AttestationQuery {
                ai_only: true,
                ..AttestationQuery::default()
            },
            AttestationQuery {
                human_only: true,
                author: Some(world().id(ALICE).public()),
                ..AttestationQuery::default()
            },
        ] {
            for store in [&a, &b] {
                let (scanned, streamed, resumed) = listed(store, &q);
                prop_assert_eq!(&streamed, &scanned, "the index by time lists another order");
                prop_assert_eq!(&resumed[..], scanned.get(2..).unwrap_or_default());
            }
        }
        Ok(())
    });
}
