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
