//! The borrowed listing decoder (`peek`) must read exactly what the full decoder reads.

use attrib_overlay::peek::{peek_attestation, peek_review, PatchRef};
use attrib_overlay::*;
use proptest::prelude::*;

fn patch_strategy() -> impl Strategy<Value = PatchId> {
    prop_oneof![
        any::<[u8; 32]>().prop_map(|d| {
            let mut raw = [0u8; 33];
            raw[1..].copy_from_slice(&d);
            PatchId::from_change_hash(&raw)
        }),
        "[A-Za-z0-9_-]{1,128}".prop_map(|s| PatchId::new(&s).unwrap()),
    ]
}

fn ai_strategy() -> impl Strategy<Value = Option<AiAssistance>> {
    proptest::option::of(
        (
            "[a-z]{1,12}",
            "[a-z0-9.-]{1,24}",
            0usize..6,
            proptest::option::of(any::<[u8; 32]>()),
            proptest::option::of(0u16..=1000),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<u32>()),
        )
            .prop_map(
                |(provider, model, t, prompt, conf, tokens, review, temp, max, top_p)| {
                    AiAssistance {
                        provider,
                        model,
                        suggestion_type: SuggestionType::ALL[t],
                        prompt_commitment: prompt.map(PromptCommitment),
                        confidence_permille: conf,
                        token_count: tokens,
                        temperature_milli: temp,
                        max_tokens: max,
                        top_p_milli: top_p,
                        review_seconds: review,
                    }
                },
            ),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn peek_agrees_with_the_full_decoder(
        seq in any::<u32>(),
        ts in any::<u64>(),
        origin in 0usize..4,
        patch in patch_strategy(),
        ai in ai_strategy(),
    ) {
        let origin = [Origin::Person, Origin::AgentHook, Origin::Detected, Origin::Imported][origin];
        let record = Record {
            seq,
            timestamp_ms: ts,
            origin,
            payload: Payload::Attest(Attestation {
                patch: patch.clone(),
                ai: ai.clone(),
                description: Some("d".into()),
                depends_on: vec![],
                conflicts_with: vec![],
                replaces: None,
                line_spans: vec![],
                contributions: Vec::new(),
            }),
        };
        let body = record.to_canonical();
        let p = peek_attestation(&body).expect("an attestation peeks");
        prop_assert!(peek_review(&body).is_none());
        prop_assert_eq!(p.seq, seq);
        prop_assert_eq!(p.timestamp_ms, ts);
        prop_assert_eq!(p.origin, origin);
        prop_assert_eq!(p.patch.to_string(), patch.as_str());
        prop_assert_eq!(p.patch.text_len(), patch.as_str().len());
        prop_assert_eq!(matches!(p.patch, PatchRef::Hash(_)), patch.as_str().len() == 53 && patch.as_str().chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c)));
        match (&ai, &p.ai) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                prop_assert_eq!(a.provider.as_str(), b.provider);
                prop_assert_eq!(a.model.as_str(), b.model);
                prop_assert_eq!(a.suggestion_type, b.suggestion_type);
                prop_assert_eq!(a.confidence_permille, b.confidence_permille);
                prop_assert_eq!(a.token_count, b.token_count);
                prop_assert_eq!(a.review_seconds, b.review_seconds);
            }
            _ => prop_assert!(false, "AI presence differs"),
        }
        // Every strict prefix is refused or reads a shorter record, never panics.
        for cut in 0..body.len() {
            let _ = peek_attestation(&body[..cut]);
        }
    }
}

#[test]
fn other_records_do_not_peek_as_attestations() {
    let review = Record {
        seq: 1,
        timestamp_ms: 5,
        origin: Origin::Person,
        payload: Payload::Review(Review {
            patch: PatchId::new("P").unwrap(),
            seconds: 3,
            verdict: Verdict::Approve,
            comment: None,
        }),
    };
    assert!(peek_attestation(&review.to_canonical()).is_none());
    assert!(peek_attestation(&[]).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    #[test]
    fn review_peek_agrees_with_the_full_decoder(
        seq in any::<u32>(),
        ts in any::<u64>(),
        patch in patch_strategy(),
        seconds in any::<u32>(),
        comment in proptest::option::of("[a-z ]{0,20}"),
    ) {
        let record = Record {
            seq,
            timestamp_ms: ts,
            origin: Origin::Person,
            payload: Payload::Review(Review {
                patch: patch.clone(),
                seconds,
                verdict: Verdict::RequestChanges,
                comment,
            }),
        };
        let body = record.to_canonical();
        let p = peek_review(&body).expect("a review peeks");
        prop_assert_eq!(p.seq, seq);
        prop_assert_eq!(p.timestamp_ms, ts);
        prop_assert_eq!(p.patch.to_string(), patch.as_str());
        prop_assert_eq!(p.seconds, seconds);
        prop_assert!(peek_attestation(&body).is_none());
        for cut in 0..body.len() {
            let _ = peek_review(&body[..cut]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    /// The store packs an AI attestation's provider and model into a model id; what it hands
    /// back (the signed record, its canonical body, the in-place peek) must be what was signed.
    #[test]
    fn packed_bodies_read_back_as_signed(
        records in proptest::collection::vec((patch_strategy(), ai_strategy()), 1..24),
    ) {
        let me = Identity::from_secret([9; 32]);
        let genesis = me.sign(signed::GENESIS_TEAM, Record {
            seq: 1,
            timestamp_ms: 1_000,
            origin: Origin::Person,
            payload: Payload::Genesis { team_name: "t".into(), founder_name: "me".into(), founder_email: None },
        });
        let team = genesis.team_id();
        let batch: Vec<SignedRecord> = std::iter::once(genesis)
            .chain(records.iter().enumerate().map(|(i, (patch, ai))| {
                me.sign(team, Record {
                    seq: i as u32 + 2,
                    timestamp_ms: 2_000 + i as u64,
                    origin: Origin::AgentHook,
                    payload: Payload::Attest(Attestation {
                        patch: patch.clone(),
                        ai: ai.clone(),
                        description: None,
                        depends_on: vec![],
                        conflicts_with: vec![],
                        replaces: None,
                        line_spans: vec![],
                        contributions: Vec::new(),
                    }),
                })
            }))
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        // The genesis first: only a member's records are packed.
        store.ingest(&batch[..1], 10_000).unwrap();
        store.ingest(&batch[1..], 10_000).unwrap();
        let snap = store.snapshot().unwrap();
        let log = snap.log_view().unwrap();
        prop_assert_eq!(log.offsets.len(), batch.len());
        for (offset, signed) in log.offsets.iter().zip(&batch) {
            let back = snap.record_at(*offset).unwrap();
            prop_assert_eq!(&back.body, &signed.body);
            prop_assert_eq!(back.id(), signed.id());
            prop_assert_eq!(&snap.body_at(*offset).unwrap()[..], &signed.body[..]);
            prop_assert_eq!(&log.entry(*offset).unwrap().body[..], &signed.body[..]);
            let stored = snap.stored_body(*offset).unwrap();
            prop_assert_eq!(stored.peek_attestation(), peek_attestation(&signed.body));
        }
        let report = audit(&snap).unwrap();
        prop_assert!(report.bad.is_empty() && report.view_matches);
    }
}
