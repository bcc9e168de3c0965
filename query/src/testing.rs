//! A store for the read side's tests: a team of fixed keys and the attestations a test signs,
//! among them one with two contributions (two AI sessions) and lines its author wrote.

use attrib_overlay::model::commit_prompt_with_salt;
use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{
    AiAssistance, Attestation, Contribution, Identity, LineSpan, Origin, Outcome, PatchId, Payload,
    PromptCommitment, Record, SignedRecord, Store, SuggestionType,
};

/// 2026-01-01T00:00:00Z.
pub const T0: u64 = 1_767_225_600_000;
/// The salt of the first contribution's prompt commitment.
pub const SALT_A: [u8; 16] = [7; 16];
/// The salt of the second contribution's prompt commitment.
pub const SALT_B: [u8; 16] = [9; 16];
/// The prompt behind the first contribution.
pub const PROMPT_A: &[u8] = b"write the parser";
/// The prompt behind the second contribution.
pub const PROMPT_B: &[u8] = b"add the tests";

pub fn patch(s: &str) -> PatchId {
    PatchId::new(s).unwrap()
}

pub fn span(file: &str, start: u32, end: u32) -> LineSpan {
    LineSpan {
        file: file.into(),
        start,
        end,
    }
}

/// The commitments of [`PROMPT_A`] and [`PROMPT_B`].
pub fn commitments() -> (PromptCommitment, PromptCommitment) {
    (
        commit_prompt_with_salt(PROMPT_A, &SALT_A),
        commit_prompt_with_salt(PROMPT_B, &SALT_B),
    )
}

fn attestation(p: &str, ai: Option<AiAssistance>) -> Attestation {
    Attestation {
        patch: patch(p),
        ai,
        description: None,
        depends_on: vec![],
        conflicts_with: vec![],
        replaces: None,
        line_spans: vec![],
        contributions: vec![],
    }
}

/// P1 as Ada attests it: the change adds `src/a.rs` lines 1-8 and `src/b.rs` lines 1-2.
/// claude-code (anthropic/claude-sonnet-4, session s1) wrote a.rs 1-4; codex (openai/gpt-5,
/// session s2) wrote a.rs 6-7 and b.rs 1; Ada wrote a.rs 5 and 8 and b.rs 2.
pub fn two_sessions() -> Attestation {
    let (a, b) = commitments();
    let mut ai = AiAssistance::new("anthropic", "claude-sonnet-4", SuggestionType::Partial);
    ai.prompt_commitment = Some(a);
    Attestation {
        contributions: vec![
            Contribution {
                provider: "anthropic".into(),
                model: "claude-sonnet-4".into(),
                agent: "claude-code".into(),
                session: Some("s1".into()),
                suggestion_type: SuggestionType::Complete,
                prompt_commitment: Some(a),
                line_spans: vec![span("src/a.rs", 1, 4)],
            },
            Contribution {
                provider: "openai".into(),
                model: "gpt-5".into(),
                agent: "codex".into(),
                session: Some("s2".into()),
                suggestion_type: SuggestionType::Complete,
                prompt_commitment: Some(b),
                line_spans: vec![span("src/a.rs", 6, 7), span("src/b.rs", 1, 1)],
            },
        ],
        ..attestation("P1", Some(ai))
    }
}

/// A team ("acme": Ada founds it and admits Bob) and its store, holding:
///
/// | patch | who | what |
/// |---|---|---|
/// | P1 | Ada | [`two_sessions`] |
/// | P2 | Bob | anthropic/claude-opus-4 complete, the whole change (a record from before contributions) |
/// | P3 | Bob | openai/gpt-5 partial, line spans `src/a.rs:2-2` |
/// | P4 | Ada | written without AI |
///
/// P5 is on the channel, unattested.
pub struct Fixture {
    /// Holds the store's directory for the test's life.
    pub _dir: tempfile::TempDir,
    pub store: Store,
    pub records: Vec<SignedRecord>,
}

pub fn fixture() -> Fixture {
    let ada = Identity::from_secret([1; 32]);
    let bob = Identity::from_secret([2; 32]);
    let record = |seq: u32, minutes: u64, payload: Payload| Record {
        seq,
        timestamp_ms: T0 + minutes * 60_000,
        origin: Origin::Person,
        payload,
    };
    let genesis = ada.sign(
        GENESIS_TEAM,
        record(
            1,
            0,
            Payload::Genesis {
                team_name: "acme".into(),
                founder_name: "Ada".into(),
                founder_email: None,
            },
        ),
    );
    let team = genesis.team_id();
    let grant = ada.sign(
        team,
        record(
            2,
            1,
            Payload::Grant {
                member: bob.public(),
                name: "Bob".into(),
                email: None,
                admin: false,
            },
        ),
    );
    let opus = AiAssistance::new("anthropic", "claude-opus-4", SuggestionType::Complete);
    let p3 = Attestation {
        line_spans: vec![span("src/a.rs", 2, 2)],
        ..attestation(
            "P3",
            Some(AiAssistance::new(
                "openai",
                "gpt-5",
                SuggestionType::Partial,
            )),
        )
    };
    let records = vec![
        genesis,
        grant,
        ada.sign(team, record(3, 10, Payload::Attest(two_sessions()))),
        bob.sign(
            team,
            record(1, 20, Payload::Attest(attestation("P2", Some(opus)))),
        ),
        bob.sign(team, record(2, 30, Payload::Attest(p3))),
        ada.sign(
            team,
            record(4, 40, Payload::Attest(attestation("P4", None))),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let out = store.ingest(&records, T0 + 3_600_000).unwrap();
    assert!(out.iter().all(|o| *o == Outcome::Accepted), "{out:?}");
    Fixture {
        _dir: dir,
        store,
        records,
    }
}

/// The fixture with four more AI claims by Ada: three spellings of Claude Opus 4 (P6, P7, P9)
/// and a model the registry does not know (P8).
pub fn with_spellings() -> Fixture {
    let f = fixture();
    let ada = Identity::from_secret([1; 32]);
    let team = f.records[0].team_id();
    let spellings = [
        ("P6", "anthropic", "claude-opus-4-20250514"),
        ("P7", "anthropic", "Claude Opus 4 (1M context)"),
        ("P8", "acme", "Coder-X"),
        ("P9", "openrouter", "anthropic/claude-opus-4"),
    ];
    let records: Vec<_> = spellings
        .iter()
        .enumerate()
        .map(|(i, &(p, provider, model))| {
            ada.sign(
                team,
                Record {
                    seq: 5 + i as u32,
                    timestamp_ms: T0 + (50 + i as u64) * 60_000,
                    origin: Origin::Person,
                    payload: Payload::Attest(Attestation {
                        patch: patch(p),
                        ai: Some(AiAssistance::new(provider, model, SuggestionType::Complete)),
                        ..attestation(p, None)
                    }),
                },
            )
        })
        .collect();
    f.store.ingest(&records, T0 + 3_600_000).unwrap();
    f
}
