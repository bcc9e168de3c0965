//! The rules that answer one question each, tested once here so every front end can rely on
//! them: which attestation speaks for a patch, how origins are spelled, what a damaged index
//! entry reports, and what a store in a read-only place allows.

mod common;

use attrib_overlay::view::speaks_before;
use attrib_overlay::*;
use common::*;

fn attest(signer: &Identity, team: TeamId, seq: u32, patch: &str, ai: bool) -> SignedRecord {
    let ai = ai.then_some(("anthropic", "claude-sonnet-4"));
    signer.sign(
        team,
        record(
            seq,
            T0 + seq as u64,
            Payload::Attest(attestation(patch, ai)),
        ),
    )
}

#[test]
fn an_ai_claim_speaks_first_then_the_smallest_key() {
    let keys: Vec<PublicKey> = (1..=3).map(|n| identity(n).public()).collect();
    let (small, large) = if keys[0] < keys[1] {
        (keys[0], keys[1])
    } else {
        (keys[1], keys[0])
    };
    assert!(speaks_before(true, &large, false, &small));
    assert!(!speaks_before(false, &small, true, &large));
    assert!(speaks_before(true, &small, true, &large));
    assert!(!speaks_before(true, &large, true, &small));
    assert!(speaks_before(false, &small, false, &large));

    // The same rule through a store's view, whatever order the claims arrive in.
    let founder = identity(1);
    let g = genesis(&founder);
    let team = g.team_id();
    let bob = identity(2);
    let carol = identity(3);
    let records = vec![
        g,
        grant(&founder, team, 2, &bob, "bob"),
        grant(&founder, team, 3, &carol, "carol"),
        attest(&founder, team, 4, "P", false),
        attest(&bob, team, 2, "P", true),
        attest(&carol, team, 2, "P", true),
    ];
    let ai_signers = [bob.public(), carol.public()];
    let expected = *ai_signers.iter().min().unwrap();
    for order in [records.clone(), records.iter().rev().cloned().collect()] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.ingest(&order, T0 + 100).unwrap();
        let snap = store.snapshot().unwrap();
        let view = snap.patch(&PatchId::new("P").unwrap()).unwrap();
        assert_eq!(view.speaker().map(|r| r.signer), Some(expected));
    }
    assert_eq!(PatchView::default().speaker(), None);
}

#[test]
fn origins_are_spelled_as_serde_spells_them() {
    for o in [
        Origin::Person,
        Origin::AgentHook,
        Origin::Detected,
        Origin::Imported,
    ] {
        assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
    }
}

#[test]
fn an_index_entry_of_the_wrong_kind_is_a_damaged_store_naming_the_offset() {
    let founder = identity(1);
    let g = genesis(&founder);
    let team = g.team_id();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .ingest(&[g, attest(&founder, team, 2, "P", true)], T0 + 10)
        .unwrap();
    let snap = store.snapshot().unwrap();
    let row = snap.view_rows().unwrap().next().unwrap().unwrap();
    let body = snap.stored_body(row.offset).unwrap();
    assert!(body.attestation().is_ok());
    let err = body.review().map(|_| ()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "the store is damaged: log entry at {} is not a review",
            row.offset
        )
    );
}

#[test]
fn a_store_opened_in_place_creates_nothing_and_refuses_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open_existing(&dir.path().join("none"))
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("no attrib store"), "{err}");
    assert!(!dir.path().join("none").exists());
    Store::open(dir.path()).unwrap();
    let store = Store::open_existing(dir.path()).unwrap();
    assert!(!store.is_read_only());
}
