//! Agent checkpoints end to end: agents' hook payloads on `attrib checkpoint`'s standard input,
//! a person's edits between them, a plain `pijul record`, and then what `show`, `blame`,
//! `stats` and `verify` say; a checkpoint that gets bad input never gets in the agent's way;
//! two agents at once lose nothing; a running node attests a plain record by itself.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::network::{eventually, Node};
use crate::pijul_world::PijulWorld;
use crate::support::{Sandbox, User};

/// The lines `1..=n` of a file, each naming who wrote it.
fn lines(who: &str, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{who} line {i}")).collect()
}

fn write(repo: &Path, file: &str, lines: &[String]) {
    fs::write(repo.join(file), lines.join("\n") + "\n").unwrap();
}

/// `attrib checkpoint --agent AGENT` with `payload` on stdin: it must exit 0 and say nothing
/// (but the `{}` Gemini CLI reads).
#[track_caller]
fn checkpoint(u: &User, agent: &str, payload: &Value) {
    let out = u.run_stdin(
        ["checkpoint", "--agent", agent],
        payload.to_string().as_bytes(),
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stderr, "", "a checkpoint writes nothing on stderr");
    let expected = if agent == "gemini" { "{}\n" } else { "" };
    assert_eq!(out.stdout, expected);
}

/// A Claude Code hook input for a `Write` of `file`.
fn claude_write(u: &User, event: &str, file: &str, transcript: &Path) -> Value {
    json!({
        "session_id": "claude-session-1",
        "transcript_path": transcript,
        "cwd": u.repo,
        "permission_mode": "acceptEdits",
        "hook_event_name": event,
        "tool_name": "Write",
        "tool_input": {"file_path": u.repo.join(file), "content": "…"},
    })
}

/// A generic (`attrib/agent-v1`) hook input.
fn generic(u: &User, event: &str, files: &[&str]) -> Value {
    json!({
        "schema": "attrib/agent-v1",
        "event": event,
        "agent": "acme-agent",
        "provider": "acme",
        "model": "acme-coder-2",
        "session": "acme-7",
        "cwd": u.repo,
        "files": files,
    })
}

/// Blame rows of `file` as (kind, model, agent) per line: who wrote each line.
fn blame(w: &PijulWorld, u: &User, file: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let v = w.attrib(u, ["blame", file, "--json"], &[]).ok().json();
    v.as_array()
        .unwrap_or_else(|| panic!("blame --json is not an array: {v}"))
        .iter()
        .map(|row| {
            // The row names who wrote the line; `attribution` describes the whole change.
            let s = |k: &str| row[k].as_str().map(str::to_string);
            let kind = row["attribution"]["kind"].as_str().unwrap_or_default();
            (kind.to_string(), s("model"), s("agent"))
        })
        .collect()
}

/// The known-answer scenario with the real binary and real Pijul: a Claude Code
/// session (model A) writes a 40-line file; a person edits 3 of its lines and adds 5; a
/// generic agent (model B) adds 10 lines to another file and rewrites 2 of the person's lines;
/// a plain `pijul record`. The next `attrib` command attests the change from the checkpoints,
/// and every line of both files is credited to the right author and model.
#[test]
fn a_plain_record_after_agents_edits_is_attested_line_by_line() {
    let Some(w) = PijulWorld::new("checkpoint known answer") else {
        return;
    };
    let u = w.user("ada");
    // A file the repository already had: its lines are nobody's in this change.
    write(&u.repo, "b.txt", &lines("old", 5));
    w.pijul(&u.repo, ["add", "b.txt"]);
    w.pijul(&u.repo, ["record", "-a", "-m", "old lines"]);
    let old = w.newest_hash(&u);
    w.attrib(&u, ["annotate", &old, "--no-ai"], &[]).ok();

    // Claude Code names its model only in the transcript.
    let transcript = u.repo.join("../transcript.jsonl");
    fs::write(
        &transcript,
        "{\"type\":\"assistant\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"role\":\"assistant\"}}\n",
    )
    .unwrap();
    checkpoint(
        &u,
        "claude-code",
        &claude_write(&u, "PreToolUse", "a.txt", &transcript),
    );
    let mut a = lines("claude", 40);
    write(&u.repo, "a.txt", &a);
    checkpoint(
        &u,
        "claude-code",
        &claude_write(&u, "PostToolUse", "a.txt", &transcript),
    );

    // The person: lines 11-13 edited, 5 lines added at the end.
    for line in &mut a[10..13] {
        *line = line.replace("claude", "person edit");
    }
    a.extend(lines("person new", 5));
    write(&u.repo, "a.txt", &a);

    // Agent B: two of the person's lines rewritten (line 12 and the last), b.txt grows by 10.
    checkpoint(&u, "generic", &generic(&u, "before", &["a.txt", "b.txt"]));
    a[11] = "acme rewrite 1".into();
    a[44] = "acme rewrite 2".into();
    write(&u.repo, "a.txt", &a);
    let mut b = lines("old", 5);
    b.extend(lines("acme", 10));
    write(&u.repo, "b.txt", &b);
    checkpoint(&u, "generic", &generic(&u, "after", &["a.txt", "b.txt"]));

    // A plain record: no attrib process runs with it.
    w.pijul(&u.repo, ["add", "a.txt"]);
    w.pijul(&u.repo, ["record", "-a", "-m", "agents and a person"]);
    let hash = w.newest_hash(&u);

    // The next attrib command attests it, and says so.
    let out = w.attrib(&u, ["log", "--json"], &[]).ok();
    assert!(
        out.stderr.contains(&format!("attested {hash} as")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("from agents' checkpoints"),
        "{}",
        out.stderr
    );

    let show = w.attrib(&u, ["show", &hash, "--json"], &[]).ok().json();
    let att = &show["attestations"][0];
    assert_eq!(att["origin"], "agent-hook", "{att}");
    assert_eq!(att["ai"]["model"], "claude-sonnet-4-5");
    assert_eq!(att["ai"]["suggestion_type"], "partial");
    let contributions = att["contributions"].as_array().expect("contributions");
    assert_eq!(contributions.len(), 2, "{att}");
    let of = |model: &str| {
        contributions
            .iter()
            .find(|c| c["model"] == model)
            .unwrap_or_else(|| panic!("no {model}: {att}"))
    };
    let span = |file: &str, start: u32, end: u32| json!({"file": file, "start": start, "end": end});
    let claude = of("claude-sonnet-4-5");
    assert_eq!(claude["agent"], "claude-code");
    assert_eq!(claude["provider"], "anthropic");
    assert_eq!(claude["session"], "claude-session-1");
    assert_eq!(
        claude["line_spans"],
        json!([span("a.txt", 1, 10), span("a.txt", 14, 40)])
    );
    let acme = of("acme-coder-2");
    assert_eq!(
        (&acme["agent"], &acme["provider"]),
        (&json!("acme-agent"), &json!("acme"))
    );
    assert_eq!(
        acme["line_spans"],
        json!([
            span("a.txt", 12, 12),
            span("a.txt", 45, 45),
            span("b.txt", 6, 15)
        ])
    );

    // Blame: every line of both files, with its writer.
    let expect_a: Vec<(String, Option<String>, Option<String>)> = (1..=45)
        .map(|n| match n {
            12 | 45 => ai("acme-coder-2", "acme-agent"),
            11 | 13 | 41..=44 => human(),
            _ => ai("claude-sonnet-4-5", "claude-code"),
        })
        .collect();
    let got_a = blame(&w, &u, "a.txt");
    let right = got_a.iter().zip(&expect_a).filter(|(g, e)| g == e).count();
    assert_eq!(got_a, expect_a, "a.txt: {right} of 45 lines right");
    let expect_b: Vec<_> = (1..=15)
        .map(|n| {
            if n <= 5 {
                human()
            } else {
                ai("acme-coder-2", "acme-agent")
            }
        })
        .collect();
    assert_eq!(blame(&w, &u, "b.txt"), expect_b);

    // Stats: the exact line counts per model and agent, and the person's lines.
    let stats = w.attrib(&u, ["stats", "--json"], &[]).ok().json();
    let tree = &stats["lines"];
    assert_eq!(tree["ai"], 49, "{stats}");
    assert_eq!(tree["human"], 6 + 5, "{stats}");
    assert_eq!(tree["unattested"], 0, "{stats}");
    let count = |list: &Value, key: &str, name: &str| -> u64 {
        list.as_array()
            .unwrap_or_else(|| panic!("no list: {stats}"))
            .iter()
            .find(|r| r[key] == name)
            .and_then(|r| r["lines"].as_u64())
            .unwrap_or(0)
    };
    assert_eq!(count(&stats["by_model"], "model", "claude-sonnet-4-5"), 37);
    assert_eq!(count(&stats["by_model"], "model", "acme-coder-2"), 12);
    assert_eq!(count(&stats["by_agent"], "agent", "claude-code"), 37);
    assert_eq!(count(&stats["by_agent"], "agent", "acme-agent"), 12);

    let verify = w.attrib(&u, ["verify", "--json"], &[]).ok().json();
    assert_eq!(verify["ok"], true, "{verify}");

    // The working log let go of the attested lines.
    let files = u.repo.join(".pijul/attrib/checkpoints/files");
    assert_eq!(fs::read_dir(&files).map(|d| d.count()).unwrap_or(0), 0);
}

fn ai(model: &str, agent: &str) -> (String, Option<String>, Option<String>) {
    ("ai".into(), Some(model.into()), Some(agent.into()))
}

fn human() -> (String, Option<String>, Option<String>) {
    ("human".into(), None, None)
}

/// Every file under the working log's `files/`, with its bytes.
fn states(store: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(store.join("checkpoints/files"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| (e.path(), fs::read(e.path()).unwrap()))
        .collect();
    out.sort();
    out
}

fn error_lines(store: &Path) -> Vec<String> {
    fs::read_to_string(store.join("checkpoints/errors.log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn bad_hook_input_never_gets_in_the_agents_way_and_loses_nothing() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    u.run(["init", "--team", "t", "--name", "ada"]).ok();
    let store = u.repo.join(".attrib");
    // Something in the working log to keep.
    write(&u.repo, "a.txt", &lines("old", 2));
    checkpoint(&u, "generic", &generic(&u, "before", &["a.txt"]));
    write(&u.repo, "a.txt", &lines("acme", 3));
    checkpoint(&u, "generic", &generic(&u, "after", &["a.txt"]));
    let kept = states(&store);
    assert_eq!(kept.len(), 1);

    let truncated = generic(&u, "after", &["a.txt"]).to_string();
    let truncated = &truncated[..truncated.len() / 2];
    let cases: Vec<(Vec<&str>, Vec<u8>, &str)> = vec![
        (
            vec!["--agent", "claude-code"],
            b"{not json".to_vec(),
            "not JSON",
        ),
        (
            vec!["--agent", "generic"],
            truncated.as_bytes().to_vec(),
            "not JSON",
        ),
        (vec![], b"\x00\x01\x02 binary".to_vec(), "not"),
        (
            vec!["--agent", "codex"],
            b"{\"tool_name\": \"apply_patch\"}".to_vec(),
            "hook_event_name",
        ),
        (
            vec!["--agent", "emacs"],
            b"{}".to_vec(),
            "unknown agent \"emacs\"",
        ),
        (
            vec!["--agent", "gemini"],
            b"[]".to_vec(),
            "not a JSON object",
        ),
        (vec!["--bogus-flag"], b"{}".to_vec(), "--bogus-flag"),
        (
            vec![],
            json!({"schema": "attrib/agent-v1", "event": "after", "agent": "x"})
                .to_string()
                .into_bytes(),
            "\"files\"",
        ),
    ];
    for (flags, input, why) in cases {
        let before = error_lines(&store).len();
        let mut args = vec!["checkpoint"];
        args.extend(&flags);
        let out = u.run_stdin(&args, &input);
        assert_eq!(out.code, Some(0), "{flags:?}: {out:?}");
        assert_eq!(out.stderr, "", "{flags:?}");
        let expected = if flags.contains(&"gemini") {
            "{}\n"
        } else {
            ""
        };
        assert_eq!(out.stdout, expected, "{flags:?}");
        let log = error_lines(&store);
        assert_eq!(
            log.len(),
            before + 1,
            "{flags:?}: one line in the log: {log:?}"
        );
        assert!(log[before].contains(why), "{flags:?}: {}", log[before]);
        assert_eq!(
            states(&store),
            kept,
            "{flags:?}: the working log is untouched"
        );
    }

    // An event that is nothing to record (a read) is not an error, and outside any store a
    // checkpoint has nothing to do.
    let read = json!({"session_id": "s", "cwd": u.repo, "hook_event_name": "PreToolUse",
        "tool_name": "Read", "tool_input": {"file_path": u.repo.join("a.txt")}});
    checkpoint(&u, "claude-code", &read);
    let elsewhere = sb.dir("elsewhere");
    let mut outside = generic(&u, "after", &["x.txt"]);
    outside["cwd"] = json!(elsewhere);
    let out = u.run_stdin(
        ["checkpoint", "--agent", "generic"],
        outside.to_string().as_bytes(),
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (Some(0), "", "")
    );
    assert_eq!(error_lines(&store).len(), 8);
    assert_eq!(states(&store), kept);

    // `--help` is still help.
    let out = u.run(["checkpoint", "--help"]);
    assert_eq!(out.code, Some(0));
    assert!(out.stdout.contains("--agent"), "{}", out.stdout);
}

/// Two agents running checkpoints as separate processes at the same time, then one wrapped
/// `attrib record`: every line of both lands in the attestation.
#[test]
fn two_agents_checkpointing_at_once_lose_nothing() {
    let Some(w) = PijulWorld::new("two agents at once") else {
        return;
    };
    let u = w.user("ada");
    const EDITS: usize = 12;
    std::thread::scope(|s| {
        for agent in ["one", "two"] {
            let u = &u;
            s.spawn(move || {
                let file = format!("{agent}.txt");
                let ev = |event: &str| {
                    json!({"schema": "attrib/agent-v1", "event": event, "agent": format!("agent-{agent}"),
                        "model": format!("model-{agent}"), "cwd": u.repo, "files": [file, "shared.txt"]})
                };
                let mut text = Vec::new();
                for i in 1..=EDITS {
                    checkpoint(u, "generic", &ev("before"));
                    text.push(format!("{agent} {i}"));
                    write(&u.repo, &file, &text);
                    checkpoint(u, "generic", &ev("after"));
                }
            });
        }
    });
    w.pijul(&u.repo, ["add", "one.txt", "two.txt"]);
    let v = w
        .attrib(&u, ["record", "--json", "--", "-m", "both agents"], &[])
        .ok()
        .json();
    let contributions = v["contributions"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"));
    for agent in ["one", "two"] {
        let c = contributions
            .iter()
            .find(|c| c["agent"] == format!("agent-{agent}"))
            .unwrap_or_else(|| panic!("no agent-{agent}: {v}"));
        assert_eq!(
            c["line_spans"],
            json!([{"file": format!("{agent}.txt"), "start": 1, "end": EDITS}])
        );
    }
}

/// With a node running, a plain `pijul record` after an agent's edit is attested by the node,
/// with no attrib process in the record and no attrib command after it.
#[test]
fn a_running_node_attests_a_plain_record_by_itself() {
    let Some(w) = PijulWorld::new("node attests") else {
        return;
    };
    let u = w.user("ada");
    let mut cmd = u.cmd();
    cmd.envs(w.env())
        .args(["node", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"]);
    let node = Node::spawn(&u.name, cmd);

    checkpoint(&u, "generic", &generic(&u, "before", &["n.txt"]));
    write(&u.repo, "n.txt", &lines("acme", 3));
    checkpoint(&u, "generic", &generic(&u, "after", &["n.txt"]));
    w.pijul(&u.repo, ["add", "n.txt"]);
    w.pijul(&u.repo, ["record", "-a", "-m", "plain"]);
    let hash = w.newest_hash(&u);

    let note = eventually("the node's note", Duration::from_secs(60), || {
        node.stderr_lines()
            .into_iter()
            .find(|l| l.contains(&format!("attested {hash} as")))
    });
    assert!(note.contains("from agents' checkpoints"), "{note}");
    let (status, _, _) = node.terminate();
    assert!(status.success());
    // Read back without reconciling again: the export is the store as the node left it.
    let exported = u.export_lines();
    let att = exported
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r.to_string().contains(&hash))
        .unwrap_or_else(|| panic!("no record of {hash}"));
    assert!(att.to_string().contains("acme-coder-2"), "{att}");
}
