//! Attestations with contributions (one per AI session) through the real binary: `show` lists
//! them and `--open-prompt` opens their prompt commitments with the salts the author kept;
//! `stats --by agent`; and in a Pijul repository, an imported trace with two sessions blamed
//! line by line and counted by model and agent.

use std::ffi::OsStr;
use std::path::Path;

use attrib_overlay::model::commit_prompt_with_salt;
use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{
    AiAssistance, Attestation, Contribution, Identity, LineSpan, Origin, Outcome, PatchId, Payload,
    PromptCommitment, Record, Store, SuggestionType,
};
use serde_json::{json, Value};

use crate::pijul_world::PijulWorld;
use crate::support::{Sandbox, User};

/// 2026-01-01T00:00:00Z.
const T0: u64 = 1_767_225_600_000;
const PROMPT_A: &str = "write the parser\n";
const PROMPT_B: &str = "now the tests\n";
const SALT_A: [u8; 16] = [7; 16];
const SALT_B: [u8; 16] = [9; 16];

fn span(file: &str, start: u32, end: u32) -> LineSpan {
    LineSpan {
        file: file.into(),
        start,
        end,
    }
}

fn commitments() -> (PromptCommitment, PromptCommitment) {
    (
        commit_prompt_with_salt(PROMPT_A.as_bytes(), &SALT_A),
        commit_prompt_with_salt(PROMPT_B.as_bytes(), &SALT_B),
    )
}

/// Team "acme" founded by Ada, with P1: claude-code (anthropic/claude-sonnet-4, session s1)
/// wrote `src/a.rs:1-40`, aider (acme/coder) `src/a.rs:41-50`, each after a committed prompt;
/// and P2, a whole-change claim by anthropic/claude-opus-4 from before contributions.
fn acme(repo: &Path) {
    let ada = Identity::from_secret([1; 32]);
    let record = |seq: u32, payload: Payload| Record {
        seq,
        timestamp_ms: T0 + u64::from(seq) * 60_000,
        origin: Origin::Person,
        payload,
    };
    let genesis = ada.sign(
        GENESIS_TEAM,
        record(
            1,
            Payload::Genesis {
                team_name: "acme".into(),
                founder_name: "Ada".into(),
                founder_email: None,
            },
        ),
    );
    let team = genesis.team_id();
    let (a, b) = commitments();
    let contribution =
        |model: &str, agent: &str, session: Option<&str>, s: LineSpan, p| Contribution {
            provider: if model == "coder" {
                "acme"
            } else {
                "anthropic"
            }
            .into(),
            model: model.into(),
            agent: agent.into(),
            session: session.map(str::to_string),
            suggestion_type: SuggestionType::Complete,
            prompt_commitment: Some(p),
            line_spans: vec![s],
        };
    let mut ai = AiAssistance::new("anthropic", "claude-sonnet-4", SuggestionType::Partial);
    ai.prompt_commitment = Some(a);
    let plain = |patch: &str, ai: Option<AiAssistance>| Attestation {
        patch: PatchId::new(patch).unwrap(),
        ai,
        description: None,
        depends_on: vec![],
        conflicts_with: vec![],
        replaces: None,
        line_spans: vec![],
        contributions: vec![],
    };
    let p1 = Attestation {
        contributions: vec![
            contribution(
                "claude-sonnet-4",
                "claude-code",
                Some("s1"),
                span("src/a.rs", 1, 40),
                a,
            ),
            contribution("coder", "aider", None, span("src/a.rs", 41, 50), b),
        ],
        ..plain("P1", Some(ai))
    };
    let opus = AiAssistance::new("anthropic", "claude-opus-4", SuggestionType::Complete);
    let records = vec![
        genesis,
        ada.sign(team, record(2, Payload::Attest(p1))),
        ada.sign(team, record(3, Payload::Attest(plain("P2", Some(opus))))),
    ];
    let store = Store::open(&repo.join(".attrib")).unwrap();
    let out = store.ingest(&records, attrib_overlay::now_ms()).unwrap();
    assert!(out.iter().all(|o| *o == Outcome::Accepted), "{out:?}");
}

/// A reader of the acme store; with `salts`, Ada's salts are in their config directory.
fn reader(sb: &Sandbox, name: &str, salts: &[(PromptCommitment, [u8; 16])]) -> User {
    let u = sb.user(name);
    acme(&u.repo);
    let dir = u.config.join("prompt-salts");
    std::fs::create_dir_all(&dir).unwrap();
    for (c, salt) in salts {
        let hex: String = salt.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(dir.join(c.to_hex()), hex).unwrap();
    }
    u
}

#[test]
fn show_lists_contributions_and_opens_their_prompts() {
    let sb = Sandbox::new();
    let (a, b) = commitments();
    let ada = reader(&sb, "ada", &[(a, SALT_A), (b, SALT_B)]);

    let text = ada.run(["show", "P1"]).ok().stdout;
    assert!(
        text.contains(
            "    contribution anthropic/claude-sonnet-4 via claude-code (session s1), complete, 40 lines: src/a.rs:1-40\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "    contribution acme/coder via aider, complete, 10 lines: src/a.rs:41-50\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!("      prompt commitment {}\n", b.to_hex())),
        "{text}"
    );
    let v = ada.show_json("P1");
    let c = &v["attestations"][0]["contributions"];
    assert_eq!(c[0]["agent"], "claude-code");
    assert_eq!(c[0]["session"], "s1");
    assert_eq!(c[1]["session"], Value::Null);
    assert_eq!(c[1]["lines"], 10);
    assert_eq!(c[1]["prompt_commitment"], b.to_hex());

    std::fs::write(ada.repo.join("prompt.txt"), PROMPT_B).unwrap();
    std::fs::write(ada.repo.join("wrong.txt"), "something else\n").unwrap();
    let out = ada.run(["show", "P1", "--open-prompt", "prompt.txt"]).ok();
    assert_eq!(
        out.stdout,
        "the prompt opens Ada's commitment for contribution aider/coder\n"
    );
    let v = ada
        .run(["show", "P1", "--open-prompt", "prompt.txt", "--json"])
        .ok()
        .json();
    assert_eq!(v["patch"], "P1");
    assert_eq!(
        v["opens"],
        json!([{
            "author": "Ada",
            "author_key": Identity::from_secret([1; 32]).public().to_hex(),
            "commitment": b.to_hex(),
            "for": "contribution",
            "agent": "aider",
            "provider": "acme",
            "model": "coder",
            "session": null
        }])
    );
    let out = ada
        .run(["show", "P1", "--open-prompt", "wrong.txt"])
        .fails();
    assert_eq!(
        out.message(),
        "wrong.txt does not open any prompt commitment of P1"
    );
    ada.run(["show", "P1", "--open-prompt", "missing.txt"])
        .fails()
        .mentions("cannot read the prompt file");
    ada.run(["show", "P2", "--open-prompt", "prompt.txt"])
        .fails()
        .mentions("P2 carries no prompt commitment");

    // Someone else, without Ada's salts, cannot open them.
    let bob = reader(&sb, "bob", &[]);
    std::fs::write(bob.repo.join("prompt.txt"), PROMPT_B).unwrap();
    let out = bob
        .run(["show", "P1", "--open-prompt", "prompt.txt"])
        .fails();
    let salts = bob.config.join("prompt-salts");
    assert_eq!(
        out.message(),
        format!(
            "no salt for the 2 prompt commitments of P1 in {}: only the prompt's author can open them",
            salts.display()
        )
    );
}

#[test]
fn stats_by_agent_counts_each_session_outside_a_repository() {
    let sb = Sandbox::new();
    let u = reader(&sb, "auditor", &[]);
    let v = u.run(["stats", "--by", "agent", "--json"]).ok().json();
    assert_eq!(v["by"], json!(["agent"]));
    assert_eq!(
        v["by_agent"],
        json!([
            {"agent": "aider", "patches": 1, "lines": null},
            {"agent": "claude-code", "patches": 1, "lines": null},
            {"agent": null, "patches": 1, "lines": null},
        ])
    );
    let groups: Vec<(&str, u64)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]["agent"].as_str().unwrap(),
                g["patches"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(groups, [("claude-code", 1), ("(no agent)", 1)]);
    let text = u.run(["stats", "--by", "agent"]).ok().stdout;
    assert!(text.contains("AGENT"), "{text}");
    u.run(["stats", "--per-change"])
        .fails()
        .mentions("run it in a repository");
    u.run(["stats", "--per-change", "--csv"]).usage_err();
    // The log's column says there is more than one model.
    let log = u.run(["log"]).ok().stdout;
    assert!(
        log.contains("AI anthropic/claude-sonnet-4 partial via claude-code +1 model"),
        "{log}"
    );
}

/// An Agent Trace record as attrib exports an attestation with contributions: claude-code
/// wrote lines 1-3 of `a.txt`, codex line 5; the other lines are the author's.
fn two_session_trace(change: &str) -> Value {
    let record = "ab".repeat(32);
    let urn = |i: usize| format!("urn:x-attrib:contribution:{record}:{i}");
    json!({
        "version": "0.1",
        "id": "00000000-0000-4000-8000-000000000007",
        "timestamp": "2026-01-05T10:00:00Z",
        "tool": {"name": "attrib", "version": "0.1.0"},
        "files": [{"path": "a.txt", "conversations": [
            {"url": urn(0), "contributor": {"type": "ai", "model_id": "anthropic/claude-sonnet-4"},
             "ranges": [{"start_line": 1, "end_line": 3}]},
            {"url": urn(1), "contributor": {"type": "ai", "model_id": "openai/gpt-5"},
             "ranges": [{"start_line": 5, "end_line": 5}]}
        ]}],
        "metadata": {"dev.attrib": {
            "change": change,
            "suggestion_type": "partial",
            "contributions": [
                {"agent": "claude-code", "session": "s1", "provider": "anthropic",
                 "model": "claude-sonnet-4", "suggestion_type": "complete"},
                {"agent": "codex", "provider": "openai", "model": "gpt-5",
                 "suggestion_type": "complete"}
            ]
        }}
    })
}

#[test]
fn two_sessions_in_a_pijul_change_are_blamed_and_counted_apart() {
    let Some(w) = PijulWorld::new("two_sessions_in_a_pijul_change_are_blamed_and_counted_apart")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\ntwo\nthree\nfour\nfive\nsix\n");
    w.pijul(&u.repo, ["record", "-a", "-m", "two sessions"]);
    let change = w.newest_hash(&u);
    let trace = w.sb.path().join("trace.json");
    std::fs::write(&trace, two_session_trace(&change).to_string()).unwrap();
    w.attrib(&u, [OsStr::new("import"), trace.as_os_str()], &[])
        .ok();

    let rows = w.attrib(&u, ["blame", "a.txt", "--json"], &[]).ok().json();
    let got: Vec<(Value, Value, Value, Value)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["attribution"]["kind"].clone(),
                r["model"].clone(),
                r["agent"].clone(),
                r["session"].clone(),
            )
        })
        .collect();
    let sonnet = (
        json!("ai"),
        json!("claude-sonnet-4"),
        json!("claude-code"),
        json!("s1"),
    );
    let gpt = (json!("ai"), json!("gpt-5"), json!("codex"), Value::Null);
    let human = (json!("human"), Value::Null, Value::Null, Value::Null);
    assert_eq!(
        got,
        [
            sonnet.clone(),
            sonnet.clone(),
            sonnet,
            human.clone(),
            gpt,
            human
        ]
    );
    let text = w.attrib(&u, ["blame", "a.txt"], &[]).ok().stdout;
    assert!(
        text.contains("AI openai/gpt-5 complete via codex"),
        "{text}"
    );

    let v = w
        .attrib(
            &u,
            ["stats", "--by", "agent", "--json", "--per-change"],
            &[],
        )
        .ok()
        .json();
    assert_eq!(v["lines"]["ai"], 4);
    assert_eq!(v["lines"]["human"], 2);
    assert_eq!(
        v["by_agent"],
        json!([
            {"agent": "claude-code", "patches": 1, "lines": 3},
            {"agent": "codex", "patches": 1, "lines": 1},
        ])
    );
    assert_eq!(v["groups"][0]["group"]["agent"], "claude-code");
    assert_eq!(
        v["changes"],
        json!([{
            "change": change,
            "time": v["changes"][0]["time"],
            "kind": "ai",
            "lines": 6, "ai_lines": 4, "human_lines": 2,
            "by_model": [
                {"provider": "anthropic", "model": "claude-sonnet-4", "lines": 3},
                {"provider": "openai", "model": "gpt-5", "lines": 1}
            ],
            "by_agent": [{"agent": "claude-code", "lines": 3}, {"agent": "codex", "lines": 1}]
        }])
    );
    let table = w.attrib(&u, ["stats", "--per-change"], &[]).ok().stdout;
    assert!(table.contains("claude-code 3, codex 1"), "{table}");
    let log = w.attrib(&u, ["log"], &[]).ok().stdout;
    assert!(log.contains("via claude-code +1 model"), "{log}");
}
