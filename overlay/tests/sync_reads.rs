//! The reads the p2p layer builds on: the log cursor and the range scan by author.

mod common;

use attrib_overlay::*;
use common::*;

fn store_with(records: &[SignedRecord]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store.ingest(records, T0 + 1_000_000).unwrap();
    (dir, store)
}

#[test]
fn records_from_a_cursor_yields_exactly_what_was_stored_since() {
    let t = team();
    let (_d, store) = store_with(&t.setup);
    let cursor = store.snapshot().unwrap().log_len();
    let (before, end) = store
        .snapshot()
        .unwrap()
        .records_from(0, usize::MAX)
        .unwrap();
    assert_eq!(before.len(), 3);
    assert_eq!(end, cursor);

    let new: Vec<SignedRecord> = (1..=5)
        .map(|s| attest(&t.alice, t.team, s, &format!("P{s}"), None))
        .collect();
    store.ingest(&new, T0 + 1_000_000).unwrap();
    let snap = store.snapshot().unwrap();
    let (since, end) = snap.records_from(cursor, usize::MAX).unwrap();
    assert_eq!(
        since, new,
        "records come back whole, team included, in log order"
    );
    assert_eq!(end, snap.log_len());

    // A limit cuts the walk and the returned offset resumes it.
    let (first_two, mid) = snap.records_from(cursor, 2).unwrap();
    let (rest, _) = snap.records_from(mid, usize::MAX).unwrap();
    assert_eq!(first_two, new[..2].to_vec());
    assert_eq!(rest, new[2..].to_vec());
}

#[test]
fn records_by_author_is_a_range_of_one_signer() {
    let t = team();
    let mut records = t.setup.clone();
    for s in 1..=10 {
        records.push(attest(&t.alice, t.team, s, &format!("A{s}"), None));
        records.push(attest(&t.bob, t.team, s, &format!("B{s}"), None));
    }
    // An equivocation: both versions come back.
    let twin = attest(&t.bob, t.team, 4, "B4-twin", None);
    records.push(twin.clone());
    let (_d, store) = store_with(&records);
    let snap = store.snapshot().unwrap();

    let (alice, complete) = snap
        .records_by_author(&t.alice.public(), 3, 6, usize::MAX)
        .unwrap();
    assert!(complete);
    let seqs: Vec<u32> = alice.iter().map(|r| r.record.seq).collect();
    assert_eq!(seqs, vec![3, 4, 5, 6]);
    assert!(alice
        .iter()
        .all(|r| r.signer == t.alice.public() && r.verify()));

    let (bob, _) = snap
        .records_by_author(&t.bob.public(), 4, 4, usize::MAX)
        .unwrap();
    assert_eq!(bob.len(), 2);
    assert!(bob.contains(&twin));

    // The byte budget stops early but never returns nothing while records remain.
    let (one, complete) = snap.records_by_author(&t.alice.public(), 1, 10, 1).unwrap();
    assert_eq!(one.len(), 1);
    assert!(!complete);

    let (none, complete) = snap
        .records_by_author(&identity(42).public(), 1, u32::MAX, usize::MAX)
        .unwrap();
    assert!(none.is_empty() && complete);
}
