//! The from-scratch audit behind `attrib verify`, against a real store file.

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
fn a_clean_store_passes_and_agrees_with_the_merged_view() {
    let t = team();
    let mut records = t.setup.clone();
    records.push(attest(
        &t.alice,
        t.team,
        1,
        "P1",
        Some(("anthropic", "claude")),
    ));
    records.push(attest(&t.alice, t.team, 2, "P1", None)); // a newer version
    records.push(attest(&t.bob, t.team, 1, "P2", None));
    let (_d, store) = store_with(&records);
    let snap = store.snapshot().unwrap();
    let report = audit(&snap).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.records, 6);
    assert_eq!(report.valid, 6);
    let view = MergedView::build(t.team, &records);
    let claims: usize = view
        .patches
        .values()
        .map(|p| p.attestations.len() + p.reviews.len())
        .sum();
    assert_eq!(report.view_claims, claims);
    assert_eq!(report.view_claims, 2);
    assert_eq!(report.held_not_admitted, 0);
}

#[test]
fn equivocation_and_held_records_are_reported() {
    let t = team();
    let mallory = identity(9);
    let mut records = t.setup.clone();
    records.push(attest(&t.alice, t.team, 1, "P1", None));
    records.push(attest(&t.alice, t.team, 1, "P2", None)); // same seq, different record
    records.push(attest(&t.alice, t.team, 2, "P4", None)); // her other records still count
    records.push(attest(&mallory, t.team, 1, "P3", None)); // not a member: held
    let (_d, store) = store_with(&records);
    let report = audit(&store.snapshot().unwrap()).unwrap();
    assert!(!report.ok());
    assert_eq!(report.equivocators, vec![t.alice.public()]);
    assert!(report.view_matches, "{report:?}");
    // The two conflicting versions and the stranger's record; alice's #2 is in the view.
    assert_eq!(report.held_not_admitted, 3);
    assert_eq!(report.view_claims, 1);
}

#[test]
fn a_byte_flipped_on_disk_is_named_not_a_panic() {
    let t = team();
    let mut records = t.setup.clone();
    let mut a = attest(&t.alice, t.team, 1, "P1", None);
    if let Payload::Attest(att) = &mut a.record.payload {
        att.description = Some("MARKER-FOR-THE-AUDIT-TEST".into());
    }
    let a = t.alice.sign(t.team, a.record);
    records.push(a);
    records.push(attest(&t.bob, t.team, 1, "P2", None));
    let (dir, store) = store_with(&records);
    drop(store);

    let path = dir.path().join(attrib_overlay::store::STORE_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes
        .windows(6)
        .position(|w| w == b"MARKER")
        .expect("the description is stored verbatim");
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let store = Store::open(dir.path()).unwrap();
    let report = audit(&store.snapshot().unwrap()).unwrap();
    assert!(!report.ok());
    assert_eq!(report.bad.len(), 1, "{report:?}");
    assert_eq!(report.bad[0].signer, t.alice.public());
    assert_eq!(report.valid, 4);
}
