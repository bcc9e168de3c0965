//! The read side over an attestation with two contributions (two AI sessions) and lines its
//! author wrote ([`crate::testing`]): blame rows, the show listing and opening its prompt
//! commitments, the log column, and the exports.

use std::collections::HashMap;

use anyhow::Result;
use attrib_overlay::{PromptCommitment, SignedRecord};
use attrib_vcs_adapter::pijul::AddedLine;
use serde_json::{json, Value};

use crate::blame::{attribute_rows, Kind, Row};
use crate::records::ai_brief;
use crate::show::{open_prompt, show, CommitmentFor, PromptOpening};
use crate::testing::{commitments, fixture, patch, Fixture, PROMPT_A, PROMPT_B, SALT_A, SALT_B};

fn line(n: usize, change: Option<&str>, text: &str) -> Row {
    Row::Line {
        line: n,
        change: change.map(patch),
        conflict: None,
        text: text.into(),
    }
}

/// The lines P1 added (`src/a.rs` a1..a8, `src/b.rs` b1, b2) and P3 (`src/a.rs` q1, q2).
fn added(p: &attrib_overlay::PatchId) -> Result<Vec<AddedLine>> {
    let lines = |file: &str, texts: &[&str]| -> Vec<AddedLine> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| AddedLine {
                file: file.into(),
                line: i as u32 + 1,
                text: t.to_string(),
            })
            .collect()
    };
    Ok(match p.as_str() {
        "P1" => {
            let mut v = lines(
                "src/a.rs",
                &["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"],
            );
            v.extend(lines("src/b.rs", &["b1", "b2"]));
            v
        }
        "P3" => lines("src/a.rs", &["q1", "q2"]),
        other => panic!("no lines read for {other}"),
    })
}

/// `(kind, provider, model, agent, session)` of each JSON row.
fn writers(rows: &[Value]) -> Vec<(String, Value, Value, Value, Value)> {
    rows.iter()
        .map(|r| {
            (
                r["attribution"]["kind"].as_str().unwrap_or("").to_string(),
                r["provider"].clone(),
                r["model"].clone(),
                r["agent"].clone(),
                r["session"].clone(),
            )
        })
        .collect()
}

fn blame_json(f: &Fixture, file: &str, rows: Vec<Row>) -> Vec<Value> {
    let snap = f.store.snapshot().unwrap();
    let rows = attribute_rows(&snap, rows, file, added).unwrap();
    let blame = crate::blame::Blame {
        file: file.into(),
        rows,
    };
    serde_json::to_value(blame.json())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn blame_names_each_lines_model_and_agent_and_the_authors_own_lines() {
    let f = fixture();
    // P1's lines with a2 deleted since and a P4 line inserted among them, then P2's (a whole
    // change from before contributions), P3's traced spans, the root's, and unattested P5's.
    let rows = vec![
        line(1, Some("P1"), "a1"),
        line(2, Some("P4"), "mine"),
        line(3, Some("P1"), "a3"),
        line(4, Some("P1"), "a4"),
        line(5, Some("P1"), "a5"),
        line(6, Some("P1"), "a6"),
        line(7, Some("P1"), "a7"),
        line(8, Some("P1"), "a8"),
        line(9, Some("P1"), "not added by P1"),
        line(10, Some("P2"), "opus"),
        line(11, Some("P3"), "q1"),
        line(12, Some("P3"), "q2"),
        line(13, None, "root"),
        line(14, Some("P5"), "plain"),
    ];
    let json = blame_json(&f, "src/a.rs", rows);
    let ai = |model: &str, provider: &str, agent: Value, session: Value| {
        (
            "ai".to_string(),
            json!(provider),
            json!(model),
            agent,
            session,
        )
    };
    let sonnet = ai(
        "claude-sonnet-4",
        "anthropic",
        json!("claude-code"),
        json!("s1"),
    );
    let gpt = ai("gpt-5", "openai", json!("codex"), json!("s2"));
    let nobody = |kind: &str| {
        (
            kind.to_string(),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        )
    };
    assert_eq!(
        writers(&json),
        [
            sonnet.clone(),
            nobody("human"),
            sonnet.clone(),
            sonnet.clone(),
            nobody("human"),
            gpt.clone(),
            gpt.clone(),
            nobody("human"),
            // Not one of the lines P1 added: the change's main AI help, untraced.
            sonnet.clone(),
            ai("claude-opus-4", "anthropic", Value::Null, Value::Null),
            nobody("human"),
            ai("gpt-5", "openai", Value::Null, Value::Null),
            nobody("unattested"),
            nobody("unattested"),
        ]
    );
    assert_eq!(json[0]["attribution"]["ai_lines"], "this");
    assert_eq!(json[4]["attribution"]["ai_lines"], "others");
    assert_eq!(json[8]["attribution"]["ai_lines"], "partial");
    assert_eq!(json[9]["attribution"]["ai_lines"], "all");
    // A line the author wrote still says which AI helped with the rest of the change.
    assert_eq!(json[4]["attribution"]["model"], "claude-sonnet-4");
    assert_eq!(json[4]["attribution"]["agent"], Value::Null);

    // In b.rs codex wrote the first line and Ada the second; in a file no contribution
    // touches, every line of the change is Ada's.
    let json = blame_json(
        &f,
        "src/b.rs",
        vec![line(1, Some("P1"), "b1"), line(2, Some("P1"), "b2")],
    );
    assert_eq!(writers(&json), [gpt, nobody("human")]);
    let json = blame_json(&f, "src/c.rs", vec![line(1, Some("P1"), "c1")]);
    assert_eq!(writers(&json), [nobody("human")]);
    assert_eq!(json[0]["attribution"]["ai_lines"], "others");
}

#[test]
fn blame_text_names_the_agent_compactly() {
    let f = fixture();
    let snap = f.store.snapshot().unwrap();
    let rows = attribute_rows(
        &snap,
        vec![
            line(1, Some("P1"), "a1"),
            line(2, Some("P1"), "a5"),
            line(3, Some("P2"), "x"),
        ],
        "src/a.rs",
        added,
    )
    .unwrap();
    let text: Vec<String> = rows
        .iter()
        .map(|r| r.attribution.as_ref().unwrap().text())
        .collect();
    assert_eq!(
        text,
        [
            "AI anthropic/claude-sonnet-4 complete via claude-code",
            "human (in an AI-assisted change: anthropic/claude-sonnet-4)",
            "AI anthropic/claude-opus-4 complete",
        ]
    );
    assert_eq!(rows[0].attribution.as_ref().unwrap().kind, Kind::AiLine);
}

#[test]
fn show_lists_each_contribution_with_its_agent_session_spans_and_commitment() {
    let f = fixture();
    let snap = f.store.snapshot().unwrap();
    let shown = show(&snap, &patch("P1")).unwrap();
    let v = serde_json::to_value(shown.json(&snap)).unwrap();
    let (a, b) = commitments();
    assert_eq!(
        v["attestations"][0]["contributions"],
        json!([
            {
                "provider": "anthropic", "model": "claude-sonnet-4", "agent": "claude-code",
                "session": "s1", "suggestion_type": "complete", "prompt_commitment": a.to_hex(),
                "line_spans": [{"file": "src/a.rs", "start": 1, "end": 4}], "lines": 4
            },
            {
                "provider": "openai", "model": "gpt-5", "agent": "codex",
                "session": "s2", "suggestion_type": "complete", "prompt_commitment": b.to_hex(),
                "line_spans": [
                    {"file": "src/a.rs", "start": 6, "end": 7},
                    {"file": "src/b.rs", "start": 1, "end": 1}
                ],
                "lines": 3
            }
        ])
    );
    // A record from before contributions shows none.
    let shown = show(&snap, &patch("P2")).unwrap();
    let v = serde_json::to_value(shown.json(&snap)).unwrap();
    assert!(v["attestations"][0].get("contributions").is_none());
}

/// The salts this user kept, by commitment.
fn salts(list: &[(PromptCommitment, [u8; 16])]) -> HashMap<PromptCommitment, [u8; 16]> {
    list.iter().copied().collect()
}

#[test]
fn a_prompt_opens_the_commitment_it_was_committed_with_and_no_other() {
    let f = fixture();
    let snap = f.store.snapshot().unwrap();
    let shown = show(&snap, &patch("P1")).unwrap();
    let list = shown.prompt_commitments(snap.membership());
    // The main AI help repeats claude-code's commitment: two, not three.
    assert_eq!(list.len(), 2);
    assert!(
        matches!(&list[0].of, CommitmentFor::Contribution { agent, .. } if agent == "claude-code")
    );
    let (a, b) = commitments();
    let mine = salts(&[(a, SALT_A), (b, SALT_B)]);
    let open = |prompt: &[u8], kept: &HashMap<PromptCommitment, [u8; 16]>| {
        open_prompt(&list, prompt, |c| Ok(kept.get(c).copied())).unwrap()
    };
    let p1 = patch("P1");

    let found = open(PROMPT_B, &mine);
    assert!(found.opened());
    assert_eq!(
        found.message("prompt.txt", &p1, "/salts"),
        "the prompt opens Ada's commitment for contribution codex/gpt-5"
    );
    assert_eq!(
        open(PROMPT_A, &mine).message("prompt.txt", &p1, "/salts"),
        "the prompt opens Ada's commitment for contribution claude-code/claude-sonnet-4"
    );

    let wrong = open(b"something else", &mine);
    assert_eq!(
        wrong,
        PromptOpening::NoMatch {
            checked: 2,
            without_salt: 0
        }
    );
    assert_eq!(
        wrong.message("prompt.txt", &p1, "/salts"),
        "prompt.txt does not open any prompt commitment of P1"
    );
    // Half the salts here: a prompt that matches neither says the others could not be checked.
    let half = salts(&[(a, SALT_A)]);
    assert_eq!(
        open(PROMPT_B, &half).message("prompt.txt", &p1, "/salts"),
        "prompt.txt does not open any prompt commitment of P1 (1 more has no salt in /salts: only the prompt's author can open it)"
    );

    let none = open(PROMPT_A, &HashMap::new());
    assert!(matches!(none, PromptOpening::NoSalt(ref l) if l.len() == 2));
    assert_eq!(
        none.message("prompt.txt", &p1, "/salts"),
        "no salt for the 2 prompt commitments of P1 in /salts: only the prompt's author can open them"
    );
    let one = open_prompt(&list[1..], PROMPT_B, |_| Ok(None)).unwrap();
    assert_eq!(
        one.message("prompt.txt", &p1, "/salts"),
        "no salt for Ada's prompt commitment for contribution codex/gpt-5 in /salts: only the prompt's author can open it"
    );

    // A patch whose attestations commit to no prompt.
    let p4 = show(&snap, &patch("P4")).unwrap();
    let none = open_prompt(&p4.prompt_commitments(snap.membership()), PROMPT_A, |_| {
        Ok(None)
    })
    .unwrap();
    assert_eq!(none, PromptOpening::NoCommitment);
    assert!(none
        .message("prompt.txt", &patch("P4"), "/salts")
        .starts_with("P4 carries no prompt commitment"));
}

fn record_of(f: &Fixture, p: &str) -> SignedRecord {
    f.records
        .iter()
        .find(|r| r.record.payload.patch().is_some_and(|x| x.as_str() == p))
        .unwrap()
        .clone()
}

#[test]
fn the_log_column_names_the_main_agent_and_the_other_models() {
    let f = fixture();
    assert_eq!(
        ai_brief(&record_of(&f, "P1")),
        "AI anthropic/claude-sonnet-4 partial via claude-code +1 model"
    );
    assert_eq!(
        ai_brief(&record_of(&f, "P2")),
        "AI anthropic/claude-opus-4 complete"
    );
    assert_eq!(ai_brief(&record_of(&f, "P4")), "human");
}

#[test]
fn agent_trace_has_a_conversation_per_contribution_and_csv_lists_them() {
    let f = fixture();
    let snap = f.store.snapshot().unwrap();
    let r = record_of(&f, "P1");
    let t = crate::agent_trace::trace_of(&r, snap.membership(), None).unwrap();
    let v = serde_json::to_value(&t).unwrap();
    let urn = |i: usize| format!("urn:x-attrib:contribution:{}:{i}", r.id().to_hex());
    assert_eq!(v["files"][0]["path"], "src/a.rs");
    assert_eq!(
        v["files"][0]["conversations"],
        json!([
            {"url": urn(0), "contributor": {"type": "ai", "model_id": "anthropic/claude-sonnet-4"},
             "ranges": [{"start_line": 1, "end_line": 4}]},
            {"url": urn(1), "contributor": {"type": "ai", "model_id": "openai/gpt-5"},
             "ranges": [{"start_line": 6, "end_line": 7}]},
        ])
    );
    assert_eq!(v["files"][1]["conversations"][0]["url"], json!(urn(1)));
    let ours = &v["metadata"]["dev.attrib"];
    assert_eq!(ours["contributions"][0]["agent"], "claude-code");
    assert_eq!(ours["contributions"][1]["session"], "s2");
    assert!(ours.get("lines").is_none(), "not a whole-change claim");
    // Each conversation finds its entry back.
    for (i, file) in t.files.iter().enumerate() {
        for c in &file.conversations {
            let entry = crate::agent_trace::contribution_of(&t, c).unwrap();
            assert!(entry.contains_key("agent"), "file {i}");
        }
    }

    let (csv, rows) = crate::export::csv::csv(&snap, &crate::progress::Silent).unwrap();
    assert_eq!(rows, 4);
    let text = String::from_utf8(csv).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with(",record_id,contributions,contributed_by"),
        "{header}"
    );
    assert!(
        text.contains(",2,\"claude-code anthropic/claude-sonnet-4 src/a.rs:1-4;codex openai/gpt-5 src/a.rs:6-7,src/b.rs:1-1\"\r\n"),
        "{text}"
    );
}
