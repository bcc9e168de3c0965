//! A store of the previous layout (schema 3, made by the attrib before this one) is migrated on
//! open: every record survives, the view and the equivocation evidence are the same, and the old
//! file is kept beside the new one.

mod common;

use attrib_overlay::*;

#[test]
fn a_schema_3_store_is_migrated_on_open_with_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema3");
    std::fs::copy(fixture.join("attrib.db"), dir.path().join("attrib.db")).unwrap();

    let store = Store::open(dir.path()).unwrap();
    let snap = store.snapshot().unwrap();
    // The fixture: genesis, two grants, alice's two attestations, bob's attestation and review,
    // and two records bob signed with the same sequence number.
    assert_eq!(snap.record_count().unwrap(), 9);
    assert_eq!(snap.all_records().unwrap().len(), 9);
    assert_eq!(snap.equivocators().len(), 1);
    assert_eq!(snap.membership().unwrap().members.len(), 3);
    let patch = |p: &str| snap.patch(&PatchId::new(p).unwrap()).unwrap();
    assert_eq!(patch("patch-one").attestations.len(), 2);
    assert_eq!(patch("patch-two").reviews.len(), 1);
    // The equivocated number places neither version.
    assert!(patch("patch-three").attestations.is_empty());
    assert!(patch("patch-four").attestations.is_empty());
    // Every signature still verifies, and the view rebuilt from scratch matches the index.
    let report = audit(&snap).unwrap();
    assert_eq!((report.records, report.valid), (9, 9));
    assert!(report.bad.is_empty() && report.view_matches);
    drop(snap);
    drop(store);

    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(dir.path().join("attrib.db.schema3").exists(), "{names:?}");
    assert!(!dir.path().join("migrating").exists());
    // Opening again finds the current layout and changes nothing.
    let before = std::fs::read(dir.path().join("attrib.db")).unwrap();
    Store::open(dir.path()).unwrap().snapshot().unwrap();
    assert_eq!(std::fs::read(dir.path().join("attrib.db")).unwrap(), before);
}
