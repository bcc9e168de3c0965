//! Invariants 2 and 4: bad data is refused with its specific reason, a refused record never enters
//! the view, refusing one record never blocks the honest records delivered with it, and nobody can
//! alter or delete another author's record.

mod common;

use std::collections::BTreeMap;

use attrib_overlay::exchange::{from_json_line, to_json_line, MAX_LINE};
use attrib_overlay::ingest::MAX_FUTURE_SKEW_MS;
use attrib_overlay::signed::{GENESIS_TEAM, MAX_BODY};
use attrib_overlay::*;
use common::*;

use Outcome::{Accepted, Duplicate, Refused};

/// A store holding the team of `common::team()`.
fn setup() -> (Team, tempfile::TempDir, Store) {
    let t = team();
    let (dir, store) = open_store();
    assert_eq!(store.ingest(&t.setup, NOW).unwrap(), vec![Accepted; 3]);
    (t, dir, store)
}

fn mallory() -> Identity {
    identity(9)
}

fn pid(s: &str) -> PatchId {
    PatchId::new(s).unwrap()
}

/// The store's view must be exactly `MergedView::build` over everything it was offered.
fn assert_agrees_with_merged_view(store: &Store, team: TeamId, offered: &[&SignedRecord]) {
    let pure = MergedView::build(team, offered.iter().copied());
    assert_eq!(store_set(store), view_set(&pure));
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.membership(), pure.membership.as_ref());
    assert_eq!(snap.equivocators(), &pure.equivocators);
}

fn kept(store: &Store, r: &SignedRecord) -> bool {
    let id = r.id();
    store
        .snapshot()
        .unwrap()
        .all_records()
        .unwrap()
        .iter()
        .any(|x| x.id() == id)
}

#[test]
fn non_member_is_refused_and_batchmates_land() {
    let (t, _d, store) = setup();
    let m1 = attest(&mallory(), t.team, 1, "P1", Some(("evil", "model")));
    let a1 = attest(&t.alice, t.team, 1, "P1", None);
    let b1 = review(&t.bob, t.team, 1, "P1", Verdict::Approve);
    assert_eq!(
        store
            .ingest(&[m1.clone(), a1.clone(), b1.clone()], NOW)
            .unwrap(),
        vec![Refused(Refusal::NonMember), Accepted, Accepted]
    );
    let snap = store.snapshot().unwrap();
    let p = snap.patch(&pid("P1")).unwrap();
    assert_eq!(
        p.attestations,
        BTreeMap::from([(t.alice.public(), a1.clone())])
    );
    assert_eq!(p.reviews, BTreeMap::from([(t.bob.public(), b1.clone())]));
    assert_eq!(store_set(&store), by_id([&a1, &b1]));
    // Kept as evidence (a later grant would admit it), but not in the view.
    assert!(kept(&store, &m1));
    let mut offered: Vec<&SignedRecord> = t.setup.iter().collect();
    offered.extend([&m1, &a1, &b1]);
    assert_agrees_with_merged_view(&store, t.team, &offered);
}

#[test]
fn revoked_key_keeps_earlier_records_and_later_ones_are_refused() {
    let (t, _d, store) = setup();
    let a1 = attest(&t.alice, t.team, 1, "P1", None);
    let a2 = attest(&t.alice, t.team, 2, "P2", None);
    assert_eq!(
        store.ingest(&[a1.clone(), a2.clone()], NOW).unwrap(),
        vec![Accepted; 2]
    );
    let rv = revoke(&t.founder, t.team, 4, &t.alice, 2);
    let a3 = attest(&t.alice, t.team, 3, "P3", None);
    // A newer version of alice's P1 claim and a retraction of P2: both after the revocation.
    let a4 = attest(&t.alice, t.team, 4, "P1", Some(("anthropic", "claude")));
    let a5 = retract(&t.alice, t.team, 5, "P2", &t.alice);
    let b1 = attest(&t.bob, t.team, 1, "P4", None);
    let revoked = Refused(Refusal::Revoked { after_seq: 2 });
    assert_eq!(
        store
            .ingest(
                &[rv.clone(), a3.clone(), a4.clone(), a5.clone(), b1.clone()],
                NOW
            )
            .unwrap(),
        vec![
            Accepted,
            revoked.clone(),
            revoked.clone(),
            revoked,
            Accepted
        ]
    );
    let snap = store.snapshot().unwrap();
    assert_eq!(
        snap.membership().unwrap().members[&t.alice.public()].revoked_after,
        Some(2)
    );
    // The records before the revocation stay, unchanged and unretracted; none after it count.
    assert_eq!(
        snap.patch(&pid("P1")).unwrap().attestations[&t.alice.public()],
        a1
    );
    assert_eq!(
        snap.patch(&pid("P2")).unwrap().attestations[&t.alice.public()],
        a2
    );
    assert!(snap.patch(&pid("P3")).unwrap().attestations.is_empty());
    assert_eq!(store_set(&store), by_id([&a1, &a2, &b1]));
    let mut offered: Vec<&SignedRecord> = t.setup.iter().collect();
    offered.extend([&a1, &a2, &rv, &a3, &a4, &a5, &b1]);
    assert_agrees_with_merged_view(&store, t.team, &offered);
}

#[test]
fn revocation_arriving_late_withdraws_the_later_records() {
    let (t, _d, store) = setup();
    let a1 = attest(&t.alice, t.team, 1, "P1", None);
    let a2 = attest(&t.alice, t.team, 2, "P2", None);
    assert_eq!(
        store.ingest(&[a1.clone(), a2.clone()], NOW).unwrap(),
        vec![Accepted; 2]
    );
    assert_eq!(store_set(&store), by_id([&a1, &a2]));
    let rv = revoke(&t.founder, t.team, 4, &t.alice, 1);
    assert_eq!(
        store.ingest(std::slice::from_ref(&rv), NOW).unwrap(),
        vec![Accepted]
    );
    assert_eq!(store_set(&store), by_id([&a1]));
    assert_eq!(
        store.ingest(std::slice::from_ref(&a2), NOW).unwrap(),
        vec![Refused(Refusal::Revoked { after_seq: 1 })]
    );
    assert!(kept(&store, &a2), "authentic evidence is kept");
}

#[test]
fn timestamp_too_far_in_the_future_is_refused() {
    assert_eq!(MAX_FUTURE_SKEW_MS, 10 * 60 * 1000);
    let (t, _d, store) = setup();
    let att = |n: &str| Payload::Attest(attestation(n, None));
    let ahead = t
        .alice
        .sign(t.team, record(1, NOW + MAX_FUTURE_SKEW_MS + 1, att("P1")));
    let at_limit = t
        .alice
        .sign(t.team, record(2, NOW + MAX_FUTURE_SKEW_MS, att("P2")));
    let b1 = attest(&t.bob, t.team, 1, "P3", None);
    assert_eq!(
        store
            .ingest(&[ahead.clone(), at_limit.clone(), b1.clone()], NOW)
            .unwrap(),
        vec![
            Refused(Refusal::FutureTimestamp {
                ahead_ms: MAX_FUTURE_SKEW_MS + 1
            }),
            Accepted,
            Accepted
        ]
    );
    assert!(!kept(&store, &ahead));
    assert_eq!(store_set(&store), by_id([&at_limit, &b1]));
    // The refusal is about this machine's clock: once it catches up, the record is fine.
    assert_eq!(
        store
            .ingest(std::slice::from_ref(&ahead), NOW + 60_000)
            .unwrap(),
        vec![Accepted]
    );
    assert_eq!(store_set(&store), by_id([&ahead, &at_limit, &b1]));
}

fn two_versions_at(t: &Team, seq: u32) -> (SignedRecord, SignedRecord) {
    let x = t.alice.sign(
        t.team,
        record(
            seq,
            T0 + 5000,
            Payload::Attest(attestation("P1", Some(("anthropic", "claude")))),
        ),
    );
    let y = t.alice.sign(
        t.team,
        record(
            seq,
            T0 + 5001,
            Payload::Attest(attestation("P1", Some(("openai", "gpt-5")))),
        ),
    );
    assert_ne!(x.id(), y.id());
    (x, y)
}

#[test]
fn equivocating_pair_is_kept_as_evidence_and_the_key_flagged() {
    let (t, _d, store) = setup();
    let a1 = attest(&t.alice, t.team, 1, "P1", None);
    assert_eq!(
        store.ingest(std::slice::from_ref(&a1), NOW).unwrap(),
        vec![Accepted]
    );
    let (x, y) = two_versions_at(&t, 2);
    let b1 = attest(&t.bob, t.team, 1, "P2", None);
    let eq = Refused(Refusal::Equivocation { seq: 2 });
    assert_eq!(
        store
            .ingest(&[x.clone(), y.clone(), b1.clone()], NOW)
            .unwrap(),
        vec![eq.clone(), eq.clone(), Accepted]
    );
    let snap = store.snapshot().unwrap();
    assert!(snap.equivocators().contains(&t.alice.public()));
    assert!(!snap.equivocators().contains(&t.bob.public()));
    // Neither conflicting version counts: alice's slot keeps her last unequivocal record.
    assert_eq!(
        snap.patch(&pid("P1")).unwrap().attestations[&t.alice.public()],
        a1
    );
    drop(snap);
    assert!(
        kept(&store, &x) && kept(&store, &y),
        "both kept as evidence"
    );
    assert_eq!(store_set(&store), by_id([&a1, &b1]));
    // Offering either again is still an equivocation, not a harmless duplicate.
    assert_eq!(
        store.ingest(std::slice::from_ref(&x), NOW).unwrap(),
        vec![eq]
    );
    // Her other sequence numbers are unaffected.
    let a3 = attest(&t.alice, t.team, 3, "P3", None);
    assert_eq!(
        store.ingest(std::slice::from_ref(&a3), NOW).unwrap(),
        vec![Accepted]
    );
    let mut offered: Vec<&SignedRecord> = t.setup.iter().collect();
    offered.extend([&a1, &x, &y, &b1, &a3]);
    assert_agrees_with_merged_view(&store, t.team, &offered);
}

#[test]
fn equivocation_discovered_later_withdraws_the_first_version() {
    let (t, _d, store) = setup();
    let a1 = attest(&t.alice, t.team, 1, "P1", None);
    let (x, y) = two_versions_at(&t, 2);
    assert_eq!(
        store.ingest(&[a1.clone(), x.clone()], NOW).unwrap(),
        vec![Accepted; 2]
    );
    assert_eq!(store_set(&store), by_id([&x]));
    assert_eq!(
        store.ingest(std::slice::from_ref(&y), NOW).unwrap(),
        vec![Refused(Refusal::Equivocation { seq: 2 })]
    );
    assert!(store
        .snapshot()
        .unwrap()
        .equivocators()
        .contains(&t.alice.public()));
    assert_eq!(store_set(&store), by_id([&a1]));
}

#[test]
fn retracting_another_authors_record_is_refused() {
    let (t, _d, store) = setup();
    let a1 = attest(&t.alice, t.team, 1, "P1", Some(("anthropic", "claude")));
    let b1 = attest(&t.bob, t.team, 1, "P1", None);
    assert_eq!(
        store.ingest(&[a1.clone(), b1.clone()], NOW).unwrap(),
        vec![Accepted; 2]
    );
    // Bob signs a tombstone for alice's attestation.
    let forged = retract(&t.bob, t.team, 2, "P1", &t.alice);
    let b3 = review(&t.bob, t.team, 3, "P1", Verdict::Comment);
    assert_eq!(
        store.ingest(&[forged.clone(), b3.clone()], NOW).unwrap(),
        vec![Refused(Refusal::NotAuthor), Accepted]
    );
    // Neither alice's attestation nor bob's own is touched.
    let p = store.snapshot().unwrap().patch(&pid("P1")).unwrap();
    assert_eq!(
        p.attestations,
        BTreeMap::from([(t.alice.public(), a1.clone()), (t.bob.public(), b1.clone())])
    );
    assert!(!kept(&store, &forged));
    let mut offered: Vec<&SignedRecord> = t.setup.iter().collect();
    offered.extend([&a1, &b1, &forged, &b3]);
    assert_agrees_with_merged_view(&store, t.team, &offered);

    // Alice's own tombstone works, and only on her slot.
    let a2 = retract(&t.alice, t.team, 2, "P1", &t.alice);
    assert_eq!(
        store.ingest(std::slice::from_ref(&a2), NOW).unwrap(),
        vec![Accepted]
    );
    let p = store.snapshot().unwrap().patch(&pid("P1")).unwrap();
    assert_eq!(
        p.attestations,
        BTreeMap::from([(t.bob.public(), b1.clone())])
    );
    offered.push(&a2);
    assert_agrees_with_merged_view(&store, t.team, &offered);
}

#[test]
fn editing_another_authors_record_fails_its_signature() {
    let (t, _d, store) = setup();
    let a1 = attest(&t.alice, t.team, 1, "P1", Some(("anthropic", "claude")));
    assert_eq!(
        store.ingest(std::slice::from_ref(&a1), NOW).unwrap(),
        vec![Accepted]
    );
    // The edit: alice's claim, now saying a human wrote the patch and about another patch.
    let mut edited = a1.record.clone();
    if let Payload::Attest(a) = &mut edited.payload {
        a.ai = None;
        a.description = Some("all mine".into());
    }
    let mut moved = a1.record.clone();
    if let Payload::Attest(a) = &mut moved.payload {
        a.patch = pid("P9");
    }
    // Mallory signs the edit herself and claims alice signed it.
    let mut resigned = mallory().sign(t.team, edited.clone());
    resigned.signer = t.alice.public();
    // The edit with alice's original signature kept.
    let mut altered = a1.clone();
    altered.record = edited.clone();
    altered.body = edited.to_canonical();
    // A record shown with an edited body but the signed body kept, so the signature verifies.
    let mut stale = a1.clone();
    stale.record = moved.clone();
    // The same, aimed at a store that has not seen the original yet.
    let mut flipped = a1.clone();
    flipped.signature[7] ^= 0x20;
    let b1 = attest(&t.bob, t.team, 1, "P1", None);
    let bad = Refused(Refusal::BadSignature);
    assert_eq!(
        store
            .ingest(
                &[
                    resigned.clone(),
                    altered.clone(),
                    stale.clone(),
                    flipped.clone(),
                    b1.clone()
                ],
                NOW
            )
            .unwrap(),
        vec![bad.clone(), bad.clone(), bad.clone(), bad.clone(), Accepted]
    );
    let p = store.snapshot().unwrap().patch(&pid("P1")).unwrap();
    assert_eq!(p.attestations[&t.alice.public()], a1);
    assert!(store
        .snapshot()
        .unwrap()
        .patch(&pid("P9"))
        .unwrap()
        .attestations
        .is_empty());
    assert_eq!(store_set(&store), by_id([&a1, &b1]));

    // A store that never saw the original is not fooled either.
    let (_d2, fresh) = open_store();
    fresh.ingest(&t.setup, NOW).unwrap();
    assert_eq!(
        fresh
            .ingest(&[resigned, altered, stale, flipped], NOW)
            .unwrap(),
        vec![bad.clone(), bad.clone(), bad.clone(), bad]
    );
    assert!(store_set(&fresh).is_empty());
    assert_eq!(fresh.snapshot().unwrap().record_count().unwrap(), 3);
    assert!(a1.verify(), "the honest record still verifies");
}

#[test]
fn membership_change_by_a_non_admin_is_refused() {
    let (t, _d, store) = setup();
    let m = mallory();
    let g = grant(&t.alice, t.team, 1, &m, "mallory");
    let m1 = attest(&m, t.team, 1, "P1", None);
    let rv = revoke(&t.bob, t.team, 1, &t.alice, 0);
    let a2 = attest(&t.alice, t.team, 2, "P2", None);
    assert_eq!(
        store
            .ingest(&[g.clone(), m1.clone(), rv.clone(), a2.clone()], NOW)
            .unwrap(),
        vec![
            Refused(Refusal::NotAdmin),
            Refused(Refusal::NonMember),
            Refused(Refusal::NotAdmin),
            Accepted
        ]
    );
    let snap = store.snapshot().unwrap();
    let members = &snap.membership().unwrap().members;
    assert!(!members.contains_key(&m.public()));
    assert_eq!(members[&t.alice.public()].revoked_after, None);
    drop(snap);
    assert_eq!(store_set(&store), by_id([&a2]));
    let mut offered: Vec<&SignedRecord> = t.setup.iter().collect();
    offered.extend([&g, &m1, &rv, &a2]);
    assert_agrees_with_merged_view(&store, t.team, &offered);
}

#[test]
fn record_of_another_team_is_refused() {
    let (t, _d, store) = setup();
    let other_genesis = identity(7).sign(
        GENESIS_TEAM,
        record(
            1,
            T0,
            Payload::Genesis {
                team_name: "other".into(),
                founder_name: "eve".into(),
                founder_email: None,
            },
        ),
    );
    let other = other_genesis.team_id();
    assert_ne!(other, t.team);
    let x = attest(&t.alice, other, 5, "P1", None);
    // A genesis must not name a team.
    let named = t.founder.sign(
        t.team,
        record(
            9,
            T0,
            Payload::Genesis {
                team_name: "acme".into(),
                founder_name: "founder".into(),
                founder_email: None,
            },
        ),
    );
    let a1 = attest(&t.alice, t.team, 1, "P2", None);
    let out = store
        .ingest(
            &[x.clone(), other_genesis.clone(), named.clone(), a1.clone()],
            NOW,
        )
        .unwrap();
    assert_eq!(out[0], Refused(Refusal::WrongTeam { found: other }));
    assert_eq!(out[1], Refused(Refusal::WrongTeam { found: other }));
    assert!(matches!(out[2], Refused(Refusal::Malformed(_))), "{out:?}");
    assert_eq!(out[3], Accepted);
    assert!(!kept(&store, &x) && !kept(&store, &other_genesis) && !kept(&store, &named));
    assert_eq!(store.snapshot().unwrap().team(), Some(t.team));
    assert_eq!(store_set(&store), by_id([&a1]));
}

/// A record signed directly (never parsed) must meet the same limits as one read from a file.
#[test]
fn invalid_or_oversize_signed_records_are_refused_without_harm() {
    let (t, dir, store) = setup();
    let long = |n: usize| -> Vec<PatchId> {
        (0..n)
            .map(|i| pid(&format!("{i:0>128}")))
            .collect::<Vec<_>>()
    };
    let with = |seq: u32, f: &dyn Fn(&mut Attestation)| {
        let mut a = attestation(&format!("P{seq}"), Some(("anthropic", "claude")));
        f(&mut a);
        t.alice
            .sign(t.team, record(seq, T0 + 2000, Payload::Attest(a)))
    };
    // Larger than MAX_BODY, and larger than any single log entry can be.
    let over = with(1, &|a| a.depends_on = long(200));
    let huge = with(2, &|a| a.depends_on = long(1024));
    assert!(over.body.len() > MAX_BODY && huge.body.len() > u16::MAX as usize);
    let confidence = with(3, &|a| {
        a.ai.as_mut().unwrap().confidence_permille = Some(1001)
    });
    let control = with(4, &|a| a.description = Some("bell \u{7}".into()));
    let b1 = attest(&t.bob, t.team, 1, "P1", None);
    let out = store
        .ingest(
            &[
                over.clone(),
                huge.clone(),
                confidence.clone(),
                control.clone(),
                b1.clone(),
            ],
            NOW,
        )
        .expect("refusing records never fails the batch");
    assert_eq!(
        out[0],
        Refused(Refusal::Oversize {
            bytes: over.body.len(),
            limit: MAX_BODY
        })
    );
    assert_eq!(
        out[1],
        Refused(Refusal::Oversize {
            bytes: huge.body.len(),
            limit: MAX_BODY
        })
    );
    assert!(matches!(out[2], Refused(Refusal::Malformed(_))), "{out:?}");
    assert!(matches!(out[3], Refused(Refusal::Malformed(_))), "{out:?}");
    assert_eq!(out[4], Accepted);
    // The store stays readable, before and after a reopen.
    assert_eq!(store_set(&store), by_id([&b1]));
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.snapshot().unwrap().all_records().unwrap().len(), 4);
    assert_eq!(store_set(&store), by_id([&b1]));
    // The exchange format refuses the same records.
    for r in [&over, &huge, &confidence, &control] {
        assert!(from_json_line(&to_json_line(r)).is_err());
    }
}

#[test]
fn malformed_and_oversize_lines_are_errors() {
    let t = team();
    let a1 = attest(&t.alice, t.team, 1, "P1", Some(("anthropic", "claude")));
    let line = to_json_line(&a1);
    assert_eq!(from_json_line(&line).unwrap(), a1);

    let sig_hex = hex::encode(a1.signature);
    let mut cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("blank", "   ".into()),
        ("null", "null".into()),
        ("array", "[]".into()),
        ("empty object", "{}".into()),
        ("not json", "attrib record P1".into()),
        ("truncated", line[..line.len() / 2].into()),
        ("one byte short", line[..line.len() - 1].into()),
        ("trailing garbage", format!("{line}x")),
        ("two records", format!("{line}{line}")),
        (
            "unknown field",
            line.replacen('{', "{\"note\":\"unsigned\",", 1),
        ),
        ("unknown origin", line.replace("\"person\"", "\"robot\"")),
        ("negative seq", line.replace("\"seq\":1,", "\"seq\":-1,")),
        (
            "seq overflow",
            line.replace("\"seq\":1,", "\"seq\":4294967296,"),
        ),
        ("bad patch id", line.replace("\"P1\"", "\"P 1\"")),
        ("short signature", line.replace(&sig_hex, &sig_hex[..126])),
        (
            "non-hex signature",
            line.replace(&sig_hex, &format!("zz{}", &sig_hex[2..])),
        ),
        (
            "altered id",
            line.replace(&a1.id().to_hex(), &RecordId([0; 32]).to_hex()),
        ),
        (
            "missing field",
            line.replace(&format!("\"signature\":\"{sig_hex}\""), "\"x\":0")
                .replace(",\"x\":0", ""),
        ),
    ];
    // Out-of-range values, each in an otherwise well-formed line.
    let bad_records = [
        ("confidence over 1", {
            let mut a = attestation("P1", Some(("anthropic", "claude")));
            a.ai.as_mut().unwrap().confidence_permille = Some(1001);
            a
        }),
        ("empty model", attestation("P1", Some(("anthropic", " ")))),
        ("description too long", {
            let mut a = attestation("P1", None);
            a.description = Some("x".repeat(4097));
            a
        }),
        ("backwards line span", {
            let mut a = attestation("P1", None);
            a.line_spans = vec![LineSpan {
                file: "src/lib.rs".into(),
                start: 9,
                end: 3,
            }];
            a
        }),
    ];
    for (what, a) in bad_records {
        let r = t
            .alice
            .sign(t.team, record(2, T0 + 2000, Payload::Attest(a)));
        cases.push((what, to_json_line(&r)));
    }
    for (what, text) in &cases {
        assert!(text != &line, "case {what} does not change the line");
        assert!(from_json_line(text).is_err(), "{what} was accepted: {text}");
    }
    // Altered content with the old id either fails to parse or fails its signature check.
    let altered = line.replace("\"claude\"", "\"claudf\"");
    assert_ne!(altered, line);
    if let Ok(r) = from_json_line(&altered) {
        assert_ne!(r.id(), a1.id());
        assert!(!r.verify(), "an altered record verifies");
    }

    // The line limit holds even for content that would otherwise parse.
    let padding = MAX_LINE - line.len();
    let at_limit = format!("{}{line}", " ".repeat(padding));
    assert_eq!(at_limit.len(), MAX_LINE);
    assert_eq!(from_json_line(&at_limit).unwrap(), a1);
    let over = format!(" {at_limit}");
    let err = from_json_line(&over).unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    assert!(from_json_line(&"x".repeat(10 * MAX_LINE)).is_err());

    // A body over the limit is refused when a record is assembled from parts.
    let mut a = attestation("P1", None);
    a.description = Some("x".repeat(4096));
    a.depends_on = (0..100).map(|i| pid(&format!("{i:0>128}"))).collect();
    let big = t
        .alice
        .sign(t.team, record(3, T0 + 2000, Payload::Attest(a)));
    assert!(big.body.len() > MAX_BODY);
    assert!(
        SignedRecord::from_parts(big.team, big.signer, big.body.clone(), big.signature).is_err()
    );
    assert!(from_json_line(&to_json_line(&big)).is_err());
}

/// A record that exercises every field, so that tampering reaches every kind of value.
fn rich_record(t: &Team) -> SignedRecord {
    let (commitment, _salt) = commit_prompt(b"write the parser").unwrap();
    let a = Attestation {
        patch: pid("MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC"),
        ai: Some(AiAssistance {
            provider: "anthropic".into(),
            model: "claude-sonnet-4".into(),
            suggestion_type: SuggestionType::Collaborative,
            prompt_commitment: Some(commitment),
            confidence_permille: Some(850),
            token_count: Some(12_345),
            temperature_milli: Some(700),
            max_tokens: Some(4096),
            top_p_milli: Some(950),
            review_seconds: Some(90),
        }),
        description: Some("parser, with tests".into()),
        depends_on: vec![pid("base-1")],
        conflicts_with: vec![pid("other_2")],
        replaces: Some(pid("old3")),
        line_spans: vec![LineSpan {
            file: "src/parse.rs".into(),
            start: 10,
            end: 42,
        }],
        contributions: Vec::new(),
    };
    t.alice.sign(
        t.team,
        Record {
            seq: 1,
            timestamp_ms: T0 + 2000,
            origin: Origin::AgentHook,
            payload: Payload::Attest(a),
        },
    )
}

/// One replacement for the character `c`, of the same kind where possible, so that most
/// mutations still parse and reach the signature check.
fn replacement(c: u8) -> u8 {
    match c {
        b'0'..=b'8' => c + 1,
        b'9' => b'0',
        b'a'..=b'e' | b'A'..=b'E' => c + 1,
        b'f' => b'a',
        b'F' => b'A',
        b'g'..=b'y' | b'G'..=b'Y' => c + 1,
        b'z' => b'a',
        b'Z' => b'A',
        b'"' => b'\'',
        _ => b'x',
    }
}

/// Re-computes the `id` of a (tampered) JSON line, as a forger who knows the format would, so
/// that the tampering gets past the id check and must be caught by the signature.
fn with_recomputed_id(text: &str) -> Option<String> {
    let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
    let o = v.as_object_mut()?;
    let field = |k: &str| o.get(k).cloned();
    let team: TeamId = serde_json::from_value(field("team")?).ok()?;
    let signer: PublicKey = serde_json::from_value(field("signer")?).ok()?;
    let record = Record {
        seq: serde_json::from_value(field("seq")?).ok()?,
        timestamp_ms: serde_json::from_value(field("timestamp_ms")?).ok()?,
        origin: serde_json::from_value(field("origin")?).ok()?,
        payload: serde_json::from_value(field("payload")?).ok()?,
    };
    let id = SignedRecord::from_parts(team, signer, record.to_canonical(), [0; 64])
        .ok()?
        .id();
    o.insert("id".into(), serde_json::Value::String(id.to_hex()));
    serde_json::to_string(&v).ok()
}

#[test]
fn tampering_with_any_byte_of_an_exported_line_is_detected() {
    let (t, _d, store) = setup();
    let honest = rich_record(&t);
    assert_eq!(
        store.ingest(std::slice::from_ref(&honest), NOW).unwrap(),
        vec![Accepted]
    );
    let line = to_json_line(&honest);
    assert_eq!(from_json_line(&line).unwrap(), honest);

    // Every byte of the line, replaced; then the same with the id fixed up by the forger.
    let mut parse_errors = 0;
    let mut same_record = 0;
    let mut candidates: BTreeMap<(RecordId, [u8; 64]), (usize, SignedRecord)> = BTreeMap::new();
    for pos in 0..line.len() {
        let mut bytes = line.clone().into_bytes();
        bytes[pos] = replacement(bytes[pos]);
        let tampered = String::from_utf8(bytes).unwrap();
        assert_ne!(tampered, line);
        let fixed = with_recomputed_id(&tampered);
        for text in std::iter::once(tampered).chain(fixed) {
            match from_json_line(&text) {
                Err(_) => parse_errors += 1,
                // Another spelling of the very same record (hex digits in upper case, say).
                Ok(r) if r == honest => same_record += 1,
                Ok(r) => {
                    candidates.insert((r.id(), r.signature), (pos, r));
                }
            }
        }
    }
    assert!(
        candidates.len() > 128,
        "the signature alone has 128 digits that should parse when altered; got {}",
        candidates.len()
    );
    let batch: Vec<SignedRecord> = candidates.values().map(|(_, r)| r.clone()).collect();
    let outcomes = store.ingest(&batch, NOW).unwrap();
    for ((pos, r), o) in candidates.values().zip(&outcomes) {
        assert!(
            matches!(o, Refused(_)),
            "tampering at byte {pos} ({:?}) got {o:?}: {}",
            &line[pos.saturating_sub(10)..(pos + 10).min(line.len())],
            to_json_line(r)
        );
    }
    println!(
        "{} positions: {parse_errors} unparsable, {same_record} the same record, {} refused",
        line.len(),
        candidates.len()
    );
    // Nothing tampered was kept; the honest record is intact and still verifies.
    let snap = store.snapshot().unwrap();
    assert_eq!(snap.record_count().unwrap(), 4);
    drop(snap);
    assert_eq!(store_set(&store), by_id([&honest]));
    assert!(honest.verify());
    assert_eq!(
        store.ingest(std::slice::from_ref(&honest), NOW).unwrap(),
        vec![Duplicate]
    );
}
