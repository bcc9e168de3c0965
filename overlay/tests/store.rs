//! The store against a real sanakirja file: ingest, queries, and agreement with the pure view.

mod common;

use attrib_overlay::*;
use common::*;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

#[test]
fn ingest_then_query_and_reopen() {
    let t = team();
    let (dir, store) = open();
    let out = store.ingest(&t.setup, T0 + 10_000).unwrap();
    assert_eq!(out, vec![Outcome::Accepted; 3]);
    let a1 = attest(&t.alice, t.team, 1, "PATCH1", Some(("anthropic", "claude")));
    let b1 = attest(&t.bob, t.team, 1, "PATCH2", None);
    assert_eq!(
        store
            .ingest(&[a1.clone(), b1.clone()], T0 + 10_000)
            .unwrap(),
        vec![Outcome::Accepted; 2]
    );
    // Same records again: duplicates, nothing changes.
    assert_eq!(
        store
            .ingest(&[a1.clone(), b1.clone()], T0 + 10_000)
            .unwrap(),
        vec![Outcome::Duplicate; 2]
    );
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.membership().unwrap().members.len(), 3);
    let ai = snap
        .attestations(&AttestationQuery {
            ai_only: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(ai, vec![a1.clone()]);
    let human = snap
        .attestations(&AttestationQuery {
            human_only: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(human, vec![b1.clone()]);
    let p = snap.patch(&PatchId::new("PATCH1").unwrap()).unwrap();
    assert_eq!(p.attestations.get(&t.alice.public()), Some(&a1));
    assert_eq!(snap.next_seq(&t.alice.public()).unwrap(), 2);
    assert_eq!(snap.next_seq(&identity(99).public()).unwrap(), 1);
}

#[test]
fn newer_version_replaces_older_in_any_order() {
    let t = team();
    let v1 = attest(&t.alice, t.team, 1, "P", None);
    let v2 = attest(&t.alice, t.team, 2, "P", Some(("openai", "gpt-5")));
    for order in [vec![v1.clone(), v2.clone()], vec![v2.clone(), v1.clone()]] {
        let (_d, store) = open();
        store.ingest(&t.setup, T0 + 10_000).unwrap();
        for r in &order {
            store.ingest(std::slice::from_ref(r), T0 + 10_000).unwrap();
        }
        let snap = store.snapshot().unwrap();
        let p = snap.patch(&PatchId::new("P").unwrap()).unwrap();
        assert_eq!(p.attestations.get(&t.alice.public()), Some(&v2));
        assert_eq!(
            snap.attestations(&AttestationQuery::default())
                .unwrap()
                .len(),
            1
        );
    }
}

#[test]
fn records_from_a_member_granted_later_are_admitted_then() {
    let t = team();
    let (_d, store) = open();
    store.ingest(&t.setup[..1], T0 + 10_000).unwrap();
    let a1 = attest(&t.alice, t.team, 1, "P", None);
    assert_eq!(
        store
            .ingest(std::slice::from_ref(&a1), T0 + 10_000)
            .unwrap(),
        vec![Outcome::Refused(Refusal::NonMember)]
    );
    assert!(store
        .snapshot()
        .unwrap()
        .attestations(&AttestationQuery::default())
        .unwrap()
        .is_empty());
    store.ingest(&t.setup[1..2], T0 + 10_000).unwrap();
    assert_eq!(
        store
            .snapshot()
            .unwrap()
            .attestations(&AttestationQuery::default())
            .unwrap(),
        vec![a1]
    );
}

/// Regression: sanakirja recycles pages freed inside a transaction and clears a flag bit in the
/// first byte of pages it handed out. Several large transactions (many B-tree splits, so many
/// recycled pages) must leave every log entry byte-for-byte intact.
#[test]
fn log_survives_page_recycling_across_large_transactions() {
    let t = team();
    let (_d, store) = open();
    store.ingest(&t.setup, T0 + 1_000_000_000).unwrap();
    let recs: Vec<SignedRecord> = (1..=30_000u32)
        .map(|i| {
            let who = if i % 2 == 0 { &t.alice } else { &t.bob };
            attest(
                who,
                t.team,
                i,
                &format!("P{i}"),
                Some(("anthropic", "claude")),
            )
        })
        .collect();
    for chunk in recs.chunks(10_000) {
        let out = store.ingest(chunk, T0 + 1_000_000_000).unwrap();
        assert!(out.iter().all(|o| *o == Outcome::Accepted));
    }
    let snap = store.snapshot().unwrap();
    let all = snap.all_records().unwrap();
    assert_eq!(all.len(), 30_003);
    let stored: std::collections::HashMap<_, _> = all.iter().map(|r| (r.id(), r)).collect();
    for r in &recs {
        let s = stored.get(&r.id()).expect("every record is stored");
        assert_eq!(s.body, r.body);
        assert_eq!(s.signature, r.signature);
    }
    let flags = verify_batch(&all.iter().collect::<Vec<_>>());
    assert!(flags.iter().all(|ok| *ok));
}

/// The view index is also the index by provider/model: filtering needs no log reads, and past
/// the 254 models a store can name, the shared id falls back to the record itself.
#[test]
fn attestations_filter_by_provider_and_model_past_the_named_ids() {
    let t = team();
    let (_d, store) = open();
    store.ingest(&t.setup, T0 + 10_000).unwrap();
    let mut records = vec![attest(&t.bob, t.team, 1, "HUMAN", None)];
    for i in 0..260u32 {
        let model = format!("model-{i}");
        let provider = if i % 2 == 0 { "even" } else { "odd" };
        records.push(attest(
            &t.alice,
            t.team,
            i + 1,
            &format!("P{i}"),
            Some((provider, &model)),
        ));
    }
    assert!(store
        .ingest(&records, T0 + 10_000)
        .unwrap()
        .iter()
        .all(|o| *o == Outcome::Accepted));
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.models().len(), 254);
    let rows = |provider: Option<&str>, model: Option<&str>| {
        snap.attestations(&AttestationQuery {
            provider: provider.map(str::to_string),
            model: model.map(str::to_string),
            ..Default::default()
        })
        .unwrap()
        .iter()
        .map(|r| r.record.payload.patch().unwrap().to_string())
        .collect::<Vec<_>>()
    };
    assert_eq!(rows(None, Some("model-3")), vec!["P3"]);
    // model-259 has no id of its own: found through the shared id and the record.
    assert_eq!(rows(None, Some("model-259")), vec!["P259"]);
    assert_eq!(rows(Some("odd"), Some("model-259")), vec!["P259"]);
    assert!(rows(Some("even"), Some("model-259")).is_empty());
    assert_eq!(rows(Some("even"), None).len(), 130);
    assert!(rows(None, Some("no-such-model")).is_empty());
    assert_eq!(rows(None, None).len(), 261);
}

/// A flood of fresh keys cannot grow the store without bound: past the cap on distinct
/// strangers, their records are refused unstored, and members' records still land.
#[test]
fn a_flood_of_strangers_is_bounded_and_members_still_land() {
    use attrib_overlay::store::MAX_PENDING_SIGNERS;
    let t = team();
    let (_d, store) = open();
    store.ingest(&t.setup, T0 + 10_000).unwrap();
    let flood: Vec<SignedRecord> = (0..MAX_PENDING_SIGNERS + 50)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let stranger = Identity::from_secret(seed);
            // Grants count too: a stranger's membership change is pending like any record.
            if i % 2 == 0 {
                grant(&stranger, t.team, 1, &identity(200), "x")
            } else {
                attest(&stranger, t.team, 1, &format!("S{i}"), None)
            }
        })
        .collect();
    let out = store.ingest(&flood, T0 + 10_000).unwrap();
    assert!(out
        .iter()
        .all(|o| matches!(o, Outcome::Refused(Refusal::NonMember | Refusal::NotAdmin))));
    let before = store.snapshot().unwrap().record_count().unwrap();
    assert!(
        before <= (3 + MAX_PENDING_SIGNERS) as u64,
        "{before} records stored"
    );
    assert!(store.snapshot().unwrap().authors().len() <= 3 + MAX_PENDING_SIGNERS);
    // More strangers: nothing more is stored.
    let more: Vec<SignedRecord> = (0..20u8)
        .map(|i| {
            attest(
                &Identity::from_secret([i.wrapping_add(100); 32]),
                t.team,
                1,
                "M",
                None,
            )
        })
        .collect();
    store.ingest(&more, T0 + 10_000).unwrap();
    assert_eq!(store.snapshot().unwrap().record_count().unwrap(), before);
    let honest = attest(&t.alice, t.team, 1, "HONEST", None);
    assert_eq!(
        store.ingest(&[honest], T0 + 10_000).unwrap(),
        vec![Outcome::Accepted]
    );
}
