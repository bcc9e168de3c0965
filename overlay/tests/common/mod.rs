//! Helpers shared by the overlay's integration tests: a team of deterministic identities and
//! record builders.
#![allow(dead_code)]

use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::*;

pub const T0: u64 = 1_790_000_000_000;

pub fn identity(n: u8) -> Identity {
    Identity::from_secret([n; 32])
}

pub fn record(seq: u32, ts: u64, payload: Payload) -> Record {
    Record {
        seq,
        timestamp_ms: ts,
        origin: Origin::Person,
        payload,
    }
}

pub fn genesis(founder: &Identity) -> SignedRecord {
    founder.sign(
        GENESIS_TEAM,
        record(
            1,
            T0,
            Payload::Genesis {
                team_name: "acme".into(),
                founder_name: "founder".into(),
                founder_email: None,
            },
        ),
    )
}

pub fn grant(
    admin: &Identity,
    team: TeamId,
    seq: u32,
    member: &Identity,
    name: &str,
) -> SignedRecord {
    admin.sign(
        team,
        record(
            seq,
            T0 + seq as u64,
            Payload::Grant {
                member: member.public(),
                name: name.into(),
                email: None,
                admin: false,
            },
        ),
    )
}

pub fn attestation(patch: &str, ai: Option<(&str, &str)>) -> Attestation {
    Attestation {
        patch: PatchId::new(patch).unwrap(),
        ai: ai.map(|(provider, model)| AiAssistance {
            provider: provider.into(),
            model: model.into(),
            suggestion_type: SuggestionType::Partial,
            prompt_commitment: None,
            confidence_permille: Some(800),
            token_count: Some(100),
            temperature_milli: None,
            max_tokens: None,
            top_p_milli: None,
            review_seconds: None,
        }),
        description: None,
        depends_on: vec![],
        conflicts_with: vec![],
        replaces: None,
        line_spans: vec![],
        contributions: Vec::new(),
    }
}

pub fn attest(
    who: &Identity,
    team: TeamId,
    seq: u32,
    patch: &str,
    ai: Option<(&str, &str)>,
) -> SignedRecord {
    who.sign(
        team,
        record(
            seq,
            T0 + 1000 + seq as u64,
            Payload::Attest(attestation(patch, ai)),
        ),
    )
}

/// A founder and two members, with the genesis and grants.
pub struct Team {
    pub founder: Identity,
    pub alice: Identity,
    pub bob: Identity,
    pub team: TeamId,
    pub setup: Vec<SignedRecord>,
}

pub fn team() -> Team {
    let founder = identity(1);
    let alice = identity(2);
    let bob = identity(3);
    let g = genesis(&founder);
    let team = g.team_id();
    let setup = vec![
        g,
        grant(&founder, team, 2, &alice, "alice"),
        grant(&founder, team, 3, &bob, "bob"),
    ];
    Team {
        founder,
        alice,
        bob,
        team,
        setup,
    }
}

/// A clock far enough after every test record's timestamp that none is "in the future".
pub const NOW: u64 = T0 + 24 * 60 * 60 * 1000;

/// A fresh store in its own temporary directory (keep the directory alive with the store).
pub fn open_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

pub fn review(
    who: &Identity,
    team: TeamId,
    seq: u32,
    patch: &str,
    verdict: Verdict,
) -> SignedRecord {
    who.sign(
        team,
        record(
            seq,
            T0 + 1000 + seq as u64,
            Payload::Review(Review {
                patch: PatchId::new(patch).unwrap(),
                seconds: 60,
                verdict,
                comment: None,
            }),
        ),
    )
}

/// A retraction of `author`'s attestation of `patch`, signed by `who` (honest when they match).
pub fn retract(
    who: &Identity,
    team: TeamId,
    seq: u32,
    patch: &str,
    author: &Identity,
) -> SignedRecord {
    who.sign(
        team,
        record(
            seq,
            T0 + 1000 + seq as u64,
            Payload::Retract {
                patch: PatchId::new(patch).unwrap(),
                author: author.public(),
            },
        ),
    )
}

pub fn revoke(
    admin: &Identity,
    team: TeamId,
    seq: u32,
    member: &Identity,
    after_seq: u32,
) -> SignedRecord {
    admin.sign(
        team,
        record(
            seq,
            T0 + 1000 + seq as u64,
            Payload::Revoke {
                member: member.public(),
                after_seq,
            },
        ),
    )
}

/// Records keyed by id: the form in which record *sets* are compared.
pub fn by_id<'a>(
    records: impl IntoIterator<Item = &'a SignedRecord>,
) -> std::collections::BTreeMap<RecordId, SignedRecord> {
    records.into_iter().map(|r| (r.id(), r.clone())).collect()
}

/// The current attestations and reviews of a merged view, keyed by record id.
pub fn view_set(view: &MergedView) -> std::collections::BTreeMap<RecordId, SignedRecord> {
    by_id(
        view.patches
            .values()
            .flat_map(|p| p.attestations.values().chain(p.reviews.values())),
    )
}

/// The current attestations and reviews held by a store, keyed by record id.
pub fn store_set(store: &Store) -> std::collections::BTreeMap<RecordId, SignedRecord> {
    let records = store.snapshot().unwrap().view_records().unwrap();
    let set = by_id(&records);
    assert_eq!(
        set.len(),
        records.len(),
        "the store's view holds a record twice"
    );
    set
}
