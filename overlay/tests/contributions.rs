//! Attestations with contributions (one per AI session, each with its lines) and the records
//! signed before contributions existed: each has one canonical encoding, the old ones keep
//! their bytes, and every reader sees the same attestation.

mod common;

use attrib_overlay::exchange::{from_json_line, to_json_line};
use attrib_overlay::peek::peek_attestation;
use attrib_overlay::*;
use common::*;

fn contribution(model: &str, agent: &str, file: &str, start: u32, end: u32) -> Contribution {
    Contribution {
        provider: "anthropic".into(),
        model: model.into(),
        agent: agent.into(),
        session: Some(format!("{agent}-session")),
        suggestion_type: SuggestionType::Complete,
        prompt_commitment: None,
        line_spans: vec![LineSpan {
            file: file.into(),
            start,
            end,
        }],
    }
}

fn with_contributions() -> Record {
    let mut a = attestation("P1", Some(("anthropic", "claude-sonnet-4")));
    a.contributions = vec![
        contribution("claude-sonnet-4", "claude-code", "a.rs", 1, 40),
        contribution("claude-haiku-4", "generic", "b.rs", 3, 12),
    ];
    record(2, T0, Payload::Attest(a))
}

#[test]
fn a_record_without_contributions_keeps_the_bytes_it_was_signed_with() {
    let r = record(2, T0, Payload::Attest(attestation("P1", Some(("p", "m")))));
    let bytes = r.to_canonical();
    // Variant index 3 right after seq, time and origin: the layout every earlier record has.
    assert_eq!(bytes[peek_variant_at(&bytes)], 3);
    assert_eq!(Record::from_canonical(&bytes).unwrap(), r);
    let peeked = peek_attestation(&bytes).unwrap();
    assert_eq!(peeked.patch.to_string(), "P1");
    assert!(!peeked.contributions);
}

#[test]
fn contributions_round_trip_through_bytes_json_and_the_store() {
    let r = with_contributions();
    let bytes = r.to_canonical();
    let back = Record::from_canonical(&bytes).unwrap();
    assert_eq!(back, r);
    // The listing fields read in place, as for any attestation.
    let peeked = peek_attestation(&bytes).unwrap();
    assert_eq!(peeked.ai.unwrap().model, "claude-sonnet-4");
    assert!(
        peeked.contributions,
        "the peek says a full decode has more to read"
    );

    let founder = identity(1);
    let g = genesis(&founder);
    let signed = founder.sign(g.team_id(), r.clone());
    let line = to_json_line(&signed);
    assert!(line.contains("\"contributions\""), "{line}");
    assert_eq!(from_json_line(&line).unwrap(), signed);
    // A line without contributions has no such key at all (old exports stay as they were).
    let plain = founder.sign(
        g.team_id(),
        record(3, T0, Payload::Attest(attestation("P2", None))),
    );
    assert!(!to_json_line(&plain).contains("contributions"));

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let out = store.ingest(&[g, signed.clone(), plain], T0 + 10).unwrap();
    assert!(out.iter().all(|o| *o == Outcome::Accepted), "{out:?}");
    let snap = store.snapshot().unwrap();
    let view = snap.patch(&PatchId::new("P1").unwrap()).unwrap();
    assert_eq!(view.attestations.values().next(), Some(&signed));
    assert!(audit(&snap).unwrap().ok());
}

#[test]
fn each_attestation_has_one_encoding() {
    // The contributions variant with none in it would re-encode as the old variant.
    let plain = record(2, T0, Payload::Attest(attestation("P1", Some(("p", "m")))));
    let mut bytes = plain.to_canonical();
    let at = peek_variant_at(&bytes);
    assert_eq!(bytes[at], 3);
    bytes[at] = 6;
    bytes.push(0); // an empty list of contributions
    let err = Record::from_canonical(&bytes).unwrap_err().to_string();
    assert!(err.contains("canonical"), "{err}");
}

#[test]
fn contributions_are_checked() {
    let mut r = with_contributions();
    if let Payload::Attest(a) = &mut r.payload {
        a.contributions[0].line_spans.clear();
    }
    assert!(r.validate().is_err(), "a contribution without lines");
    let mut r = with_contributions();
    if let Payload::Attest(a) = &mut r.payload {
        a.contributions[1].agent = " ".into();
    }
    assert!(r.validate().is_err(), "an unnamed agent");
    let mut r = with_contributions();
    if let Payload::Attest(a) = &mut r.payload {
        a.ai = None;
    }
    assert!(
        r.validate().is_err(),
        "contributions without the main AI help"
    );
    let mut r = with_contributions();
    if let Payload::Attest(a) = &mut r.payload {
        let many = a.contributions[0].line_spans[0].clone();
        a.contributions[0].line_spans = vec![many; attrib_overlay::model::MAX_LIST + 1];
    }
    assert!(r.validate().is_err(), "too many spans");
}

/// Where the payload's variant index sits: after the varints of seq and time and the origin.
fn peek_variant_at(bytes: &[u8]) -> usize {
    let mut i = 0;
    for _ in 0..3 {
        while bytes[i] & 0x80 != 0 {
            i += 1;
        }
        i += 1;
    }
    i
}
