//! Signed records' canonical bodies (`overlay/src/canonical.rs`, `model.rs`, `signed.rs`) and
//! the fast borrowed reader of listings (`overlay/src/peek.rs`): a body arrives from peers, from
//! export files and from the store.
//!
//! Contract: no panic on any bytes; a body that decodes re-encodes to exactly the same bytes
//! (with and without allocating), assembles into a signed record, survives the JSON Lines
//! export and import unchanged, and `peek_attestation` / `peek_review` read the same fields as
//! the full decoder (and nothing from a body of another kind).
#![no_main]

use attrib_overlay::exchange::{from_json_line, to_json_line};
use attrib_overlay::peek::{peek_attestation, peek_review};
use attrib_overlay::{Payload, PublicKey, Record, SignedRecord, TeamId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Record::from_trusted(data);
    let att = peek_attestation(data);
    let rev = peek_review(data);
    let Ok(r) = Record::from_canonical(data) else {
        return;
    };
    assert_eq!(r.to_canonical(), data);
    let mut buf = vec![0u8; data.len()];
    assert_eq!(r.to_canonical_in(&mut buf).as_deref(), Some(data));

    match &r.payload {
        Payload::Attest(a) => {
            let p = att.expect("peek reads every canonical attestation");
            assert_eq!(
                (p.seq, p.timestamp_ms, p.origin),
                (r.seq, r.timestamp_ms, r.origin)
            );
            assert_eq!(p.patch.to_string(), a.patch.as_str());
            assert_eq!(p.patch.text_len(), a.patch.as_str().len());
            assert_eq!(p.contributions, !a.contributions.is_empty());
            match (&p.ai, &a.ai) {
                (None, None) => {}
                (Some(pa), Some(ai)) => {
                    assert_eq!(
                        (pa.provider, pa.model),
                        (ai.provider.as_str(), ai.model.as_str())
                    );
                    assert_eq!(pa.suggestion_type, ai.suggestion_type);
                    assert_eq!(pa.confidence_permille, ai.confidence_permille);
                    assert_eq!(pa.token_count, ai.token_count);
                }
                _ => panic!("peek and the full decoder disagree about the AI help"),
            }
            assert!(rev.is_none());
        }
        Payload::Review(v) => {
            let p = rev.expect("peek reads every canonical review");
            assert_eq!(
                (p.seq, p.timestamp_ms, p.seconds),
                (r.seq, r.timestamp_ms, v.seconds)
            );
            assert_eq!(p.patch.to_string(), v.patch.as_str());
            assert!(att.is_none());
        }
        _ => assert!(att.is_none() && rev.is_none()),
    }

    let signed =
        SignedRecord::from_parts(TeamId([1; 32]), PublicKey([2; 32]), data.to_vec(), [3; 64])
            .expect("a canonical body assembles into a signed record");
    assert_eq!(signed.record, r);
    let line = to_json_line(&signed);
    let back = from_json_line(&line).expect("an exported record reads back");
    assert_eq!(back, signed);
});
