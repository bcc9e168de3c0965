//! Heads: what a replica holds, per author, in a form that is O(authors) bytes.
//!
//! Each author's records carry sequence numbers, so what a replica holds of one author is a set
//! of numbers, kept as sorted inclusive ranges (normally one: `1..=n`). Ranges alone cannot see
//! equivocation (two different records under one number), so each author also carries a
//! *digest*: the XOR of the first eight bytes of every held record id. XOR makes the digest a
//! function of the set, maintainable one record at a time, in any order.

use std::collections::BTreeMap;

use attrib_overlay::{PublicKey, RecordId};
use serde::{Deserialize, Serialize};

/// An 8-byte set digest: XOR of record-id prefixes.
pub type Digest = [u8; 8];

/// The digest contribution of one record.
pub fn digest_of(id: &RecordId) -> Digest {
    let mut d = [0u8; 8];
    d.copy_from_slice(&id.0[..8]);
    d
}

/// `a ^= b`, bytewise.
pub fn xor_into(a: &mut Digest, b: &Digest) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// Sequence numbers as inclusive ranges.
///
/// Invariant (kept by [`SeqRanges::insert`], checked by [`SeqRanges::is_normal`] on everything
/// decoded from the wire): ranges are sorted, each has `first <= last`, and consecutive ranges
/// neither overlap nor touch. So one set of numbers has exactly one representation, which the
/// heads fingerprint relies on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeqRanges(Vec<(u32, u32)>);

impl SeqRanges {
    /// No numbers.
    pub fn new() -> SeqRanges {
        SeqRanges(Vec::new())
    }

    /// From ranges given in any order, overlapping or not.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> SeqRanges {
        let mut out = SeqRanges::new();
        let mut v: Vec<(u32, u32)> = ranges.into_iter().filter(|(a, b)| a <= b).collect();
        v.sort_unstable();
        for (first, last) in v {
            match out.0.last_mut() {
                Some(prev) if first as u64 <= prev.1 as u64 + 1 => prev.1 = prev.1.max(last),
                _ => out.0.push((first, last)),
            }
        }
        out
    }

    /// The ranges, `(first, last)` inclusive, in normal form (sorted, apart).
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.0
    }

    /// Holds no number.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether the representation is the unique normal one (see the type's invariant).
    pub fn is_normal(&self) -> bool {
        self.0.iter().all(|(a, b)| a <= b)
            && self
                .0
                .windows(2)
                .all(|w| (w[0].1 as u64) + 1 < w[1].0 as u64)
    }

    /// Whether `seq` is in one of the ranges.
    pub fn contains(&self, seq: u32) -> bool {
        let i = self.0.partition_point(|r| r.0 <= seq);
        i > 0 && self.0[i - 1].1 >= seq
    }

    /// Adds one number; returns whether it was new.
    pub fn insert(&mut self, seq: u32) -> bool {
        // `i`: the first range that starts after `seq`.
        let i = self.0.partition_point(|r| r.0 <= seq);
        if i > 0 && self.0[i - 1].1 >= seq {
            return false;
        }
        let joins_prev = i > 0 && self.0[i - 1].1.checked_add(1) == Some(seq);
        let joins_next = i < self.0.len() && seq.checked_add(1) == Some(self.0[i].0);
        match (joins_prev, joins_next) {
            (true, true) => {
                self.0[i - 1].1 = self.0[i].1;
                self.0.remove(i);
            }
            (true, false) => self.0[i - 1].1 = seq,
            (false, true) => self.0[i].0 = seq,
            (false, false) => self.0.insert(i, (seq, seq)),
        }
        true
    }

    /// How many numbers are held.
    pub fn count(&self) -> u64 {
        self.0.iter().map(|(a, b)| (*b - *a) as u64 + 1).sum()
    }

    /// The numbers in `self` and not in `other`, as ranges.
    pub fn minus(&self, other: &SeqRanges) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut j = 0;
        for &(first, last) in &self.0 {
            let mut lo = first as u64;
            let hi = last as u64;
            while j < other.0.len() && (other.0[j].1 as u64) < lo {
                j += 1;
            }
            let mut k = j;
            while lo <= hi {
                match other.0.get(k) {
                    Some(&(a, b)) if a as u64 <= hi => {
                        if (a as u64) > lo {
                            out.push((lo as u32, a - 1));
                        }
                        lo = lo.max(b as u64 + 1);
                        k += 1;
                    }
                    _ => {
                        out.push((lo as u32, hi as u32));
                        break;
                    }
                }
            }
        }
        out
    }
}

/// What a replica holds of one author.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AuthorHeads {
    /// The author's sequence numbers held.
    pub ranges: SeqRanges,
    /// XOR of the held records' digests ([`digest_of`]): equal ranges with different digests
    /// mean some number is held in two different versions (equivocation).
    pub digest: Digest,
}

/// What a replica holds, per author.
pub type Heads = BTreeMap<PublicKey, AuthorHeads>;

/// A 16-byte fingerprint of whole heads: equal heads, equal fingerprints (and, short of a
/// blake3 collision, only then). It lets a receiver check that a delta applied to its copy of
/// the sender's heads reproduced them exactly.
pub fn fingerprint(heads: &Heads) -> [u8; 16] {
    let mut h = blake3::Hasher::new_derive_key("attrib 2026 sync heads fingerprint v1");
    for (author, a) in heads {
        h.update(&author.0);
        h.update(&(a.ranges.0.len() as u32).to_le_bytes());
        for (first, last) in &a.ranges.0 {
            h.update(&first.to_le_bytes());
            h.update(&last.to_le_bytes());
        }
        h.update(&a.digest);
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize().as_bytes()[..16]);
    out
}

/// Adds one held record to `heads`. Returns whether it changed them.
pub fn add_record(heads: &mut Heads, author: PublicKey, seq: u32, id: &RecordId) -> bool {
    let a = heads.entry(author).or_default();
    a.ranges.insert(seq);
    xor_into(&mut a.digest, &digest_of(id));
    true
}

/// The authors whose entry in `now` differs from `before`. Heads only grow (a replica never
/// forgets a record), so an author present in `before` is present in `now`.
pub fn delta(now: &Heads, before: &Heads) -> Vec<(PublicKey, AuthorHeads)> {
    now.iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (*k, v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn set_of(r: &SeqRanges) -> BTreeSet<u32> {
        r.ranges().iter().flat_map(|&(a, b)| a..=b).collect()
    }

    proptest! {
        #[test]
        fn insert_keeps_the_normal_form_and_the_set(seqs in proptest::collection::vec(0u32..200, 0..120)) {
            let mut r = SeqRanges::new();
            let mut model = BTreeSet::new();
            for s in &seqs {
                prop_assert_eq!(r.insert(*s), model.insert(*s));
                prop_assert!(r.is_normal());
            }
            prop_assert_eq!(set_of(&r), model.clone());
            prop_assert_eq!(r.count(), model.len() as u64);
            for s in 0..200 {
                prop_assert_eq!(r.contains(s), model.contains(&s));
            }
            // One set, one representation, whatever the insertion order.
            prop_assert_eq!(SeqRanges::from_ranges(model.iter().map(|&s| (s, s))), r);
        }

        #[test]
        fn minus_is_set_difference(a in proptest::collection::btree_set(0u32..150, 0..80),
                                   b in proptest::collection::btree_set(0u32..150, 0..80)) {
            let ra = SeqRanges::from_ranges(a.iter().map(|&s| (s, s)));
            let rb = SeqRanges::from_ranges(b.iter().map(|&s| (s, s)));
            let diff: BTreeSet<u32> = ra.minus(&rb).into_iter().flat_map(|(x, y)| x..=y).collect();
            let expected: BTreeSet<u32> = a.difference(&b).copied().collect();
            prop_assert_eq!(diff, expected);
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let mut r = SeqRanges::new();
        assert!(r.insert(u32::MAX));
        assert!(r.insert(u32::MAX - 1));
        assert!(r.insert(0));
        assert_eq!(r.ranges(), &[(0, 0), (u32::MAX - 1, u32::MAX)]);
        assert_eq!(
            SeqRanges::from_ranges([(0, u32::MAX)]).minus(&r),
            vec![(1, u32::MAX - 2)]
        );
        assert!(!SeqRanges(vec![(5, 3)]).is_normal());
        assert!(
            !SeqRanges(vec![(1, 3), (4, 6)]).is_normal(),
            "touching ranges"
        );
    }

    #[test]
    fn fingerprint_tells_heads_apart() {
        let k = PublicKey([1; 32]);
        let mut a = Heads::new();
        add_record(&mut a, k, 1, &RecordId([9; 32]));
        let mut b = a.clone();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        add_record(&mut b, k, 1, &RecordId([8; 32])); // same number, another record
        assert_eq!(a[&k].ranges, b[&k].ranges);
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(delta(&b, &a).len(), 1);
        assert!(delta(&a, &a).is_empty());
    }
}
