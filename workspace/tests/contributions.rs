//! Attestations with contributions (one per AI session) through the exports and back: the
//! signed JSON Lines carry them unchanged, an Agent Trace import reads each conversation back
//! into a contribution, and the prompt salts a user kept open their commitments.

use std::path::Path;

use attrib_overlay::model::commit_prompt_with_salt;
use attrib_overlay::{
    AiAssistance, Contribution, LineSpan, Origin, PatchId, Payload, SignedRecord, Store,
    SuggestionType,
};
use attrib_query::agent_trace::parse;
use attrib_query::progress::Silent;
use attrib_workspace::claim::{attest, Claim};
use attrib_workspace::identity::DeviceIdentity;
use attrib_workspace::import::{agent_trace, ingest_parsed, parse_export};
use attrib_workspace::team;
use attrib_workspace::{Options, Workspace};

/// A workspace in `root/NAME/repo` for the person whose config directory is `root/NAME/home`.
fn person(root: &Path, name: &str) -> Workspace {
    let repo = root.join(name).join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    Workspace::discover(
        &repo,
        Options {
            config_dir: root.join(name).join("home"),
            vcs_binary: None,
        },
    )
    .unwrap()
}

/// `name` founds a team of their own; the workspace is found again once its store exists.
fn founder(root: &Path, name: &str) -> (Workspace, DeviceIdentity) {
    let ws = person(root, name);
    let me = ws.create_identity(name, None, false).unwrap();
    team::found(&ws, &me, &format!("{name}'s team")).unwrap();
    (person(root, name), me)
}

fn span(file: &str, start: u32, end: u32) -> LineSpan {
    LineSpan {
        file: file.into(),
        start,
        end,
    }
}

/// Two sessions wrote parts of `patch`: claude-code 4 lines (with a prompt commitment),
/// codex 3 lines in two files.
fn two_sessions() -> Claim {
    let commitment = commit_prompt_with_salt(b"write the parser", &[7; 16]);
    let contributions = vec![
        Contribution {
            provider: "anthropic".into(),
            model: "claude-sonnet-4".into(),
            agent: "claude-code".into(),
            session: Some("s1".into()),
            suggestion_type: SuggestionType::Complete,
            prompt_commitment: Some(commitment),
            line_spans: vec![span("src/a.rs", 1, 4)],
        },
        Contribution {
            provider: "openai".into(),
            model: "gpt-5".into(),
            agent: "codex".into(),
            session: None,
            suggestion_type: SuggestionType::Refactor,
            prompt_commitment: None,
            line_spans: vec![span("src/a.rs", 6, 7), span("src/b.rs", 1, 1)],
        },
    ];
    let mut ai = AiAssistance::new("anthropic", "claude-sonnet-4", SuggestionType::Partial);
    ai.prompt_commitment = Some(commitment);
    Claim {
        ai: Some(ai),
        contributions,
        ..Claim::new(Origin::AgentHook)
    }
}

fn attestation(ws: &Workspace, patch: &str) -> SignedRecord {
    let snap = ws.store().unwrap().snapshot().unwrap();
    let view = snap.patch(&PatchId::new(patch).unwrap()).unwrap();
    view.attestations
        .into_values()
        .next()
        .expect("an attestation")
}

#[test]
fn signed_json_lines_carry_contributions_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let (ada, me) = founder(dir.path(), "ada");
    let signed = attest(&ada, &me, PatchId::new("P1").unwrap(), two_sessions()).unwrap();
    let (text, n) = {
        let snap = ada.store().unwrap().snapshot().unwrap();
        attrib_query::export::jsonl(&snap, &Silent).unwrap()
    };
    assert_eq!(n, 2, "the genesis and the attestation");
    assert!(text.contains("\"contributions\""), "{text}");

    // Another device imports the file into a store of its own.
    let elsewhere = dir.path().join("elsewhere");
    let store = Store::open(&elsewhere).unwrap();
    let parsed = parse_export(text.as_bytes(), Path::new("export.jsonl")).unwrap();
    let summary = ingest_parsed(&store, parsed, &Silent).unwrap();
    assert_eq!((summary.accepted, summary.refused.len()), (2, 0));
    let snap = store.snapshot().unwrap();
    let view = snap.patch(&PatchId::new("P1").unwrap()).unwrap();
    assert_eq!(view.attestations.values().next(), Some(&signed));
}

#[test]
fn agent_trace_reads_each_conversation_back_into_a_contribution() {
    let dir = tempfile::tempdir().unwrap();
    let (ada, me) = founder(dir.path(), "ada");
    let claim = two_sessions();
    attest(&ada, &me, PatchId::new("P1").unwrap(), claim.clone()).unwrap();
    let exported = {
        let snap = ada.store().unwrap().snapshot().unwrap();
        attrib_query::export::agent_trace::export(&snap, None, &Silent).unwrap()
    };
    assert_eq!(exported.records, 1);

    let (carol, carol_id) = founder(dir.path(), "carol");
    let records = parse(exported.text.as_bytes(), "trace.jsonl").unwrap();
    let summary = agent_trace::import(&carol, &carol_id, &records, &Silent).unwrap();
    assert_eq!(summary.attested, ["P1"]);
    let theirs = attestation(&carol, "P1");
    assert_eq!(theirs.record.origin, Origin::Imported);
    let Payload::Attest(a) = &theirs.record.payload else {
        panic!("not an attestation");
    };
    assert_eq!(
        a.contributions, claim.contributions,
        "agent, session, kind, commitment, spans"
    );
    assert_eq!(a.ai, claim.ai, "the main AI help");
    assert!(a.line_spans.is_empty());

    // Importing it again changes nothing; exported again, it is the same contributions.
    let again = agent_trace::import(&carol, &carol_id, &records, &Silent).unwrap();
    assert_eq!(again.unchanged, ["P1"]);
    let snap = carol.store().unwrap().snapshot().unwrap();
    let second = attrib_query::export::agent_trace::export(&snap, None, &Silent).unwrap();
    let back = parse(second.text.as_bytes(), "again.jsonl").unwrap();
    assert_eq!(back[0].1.files.len(), 2);
    assert_eq!(back[0].1.files[0].conversations.len(), 2);
}

/// `(model, agent, suggestion type, session, spans)` of a contribution.
type Seen<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a [LineSpan]);

#[test]
fn several_conversations_from_another_tool_become_contributions() {
    let dir = tempfile::tempdir().unwrap();
    let (carol, carol_id) = founder(dir.path(), "carol");
    let foreign = serde_json::json!({
        "version": "0.1",
        "id": "550e8400-e29b-41d4-a716-446655440000",
        "timestamp": "2026-01-23T14:30:00Z",
        "vcs": {"type": "git", "revision": "a1b2c3d4"},
        "tool": {"name": "cursor", "version": "2.4.0"},
        "files": [{"path": "src/p.ts", "conversations": [
            {"url": "https://example.com/c/1",
             "contributor": {"type": "ai", "model_id": "anthropic/claude-opus-4"},
             "ranges": [{"start_line": 1, "end_line": 9}]},
            {"url": "https://example.com/c/2",
             "contributor": {"type": "ai", "model_id": "openai/gpt-5"},
             "ranges": [{"start_line": 12, "end_line": 13}]}
        ]}]
    });
    let records = parse(foreign.to_string().as_bytes(), "cursor.json").unwrap();
    agent_trace::import(&carol, &carol_id, &records, &Silent).unwrap();
    let r = attestation(&carol, "a1b2c3d4");
    let Payload::Attest(a) = &r.record.payload else {
        panic!("not an attestation");
    };
    let got: Vec<Seen<'_>> = a
        .contributions
        .iter()
        .map(|c| {
            (
                c.model.as_str(),
                c.agent.as_str(),
                c.suggestion_type.as_str(),
                c.session.as_deref(),
                c.line_spans.as_slice(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "claude-opus-4",
                "cursor",
                "complete",
                Some("https://example.com/c/1"),
                &[span("src/p.ts", 1, 9)][..]
            ),
            (
                "gpt-5",
                "cursor",
                "complete",
                Some("https://example.com/c/2"),
                &[span("src/p.ts", 12, 13)][..]
            ),
        ]
    );
    assert_eq!(
        a.ai.as_ref().map(|ai| ai.model.as_str()),
        Some("claude-opus-4")
    );
}

#[test]
fn a_kept_salt_is_read_back_and_a_damaged_one_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let ws = person(dir.path(), "ada");
    let salt = [5u8; 16];
    let commitment = commit_prompt_with_salt(b"prompt", &salt);
    assert_eq!(ws.prompt_salt(&commitment).unwrap(), None);
    let path = ws.save_prompt_salt(&commitment.to_hex(), &salt).unwrap();
    assert!(path.starts_with(ws.prompt_salts_dir()));
    assert_eq!(ws.prompt_salt(&commitment).unwrap(), Some(salt));
    std::fs::write(&path, "not hex").unwrap();
    let err = ws.prompt_salt(&commitment).unwrap_err().to_string();
    assert!(err.contains("is not a prompt salt"), "{err}");
}
