//! `attrib import --from git-ai` with the real `git`: notes written on `refs/notes/ai` in
//! git-ai's schema (authorship/3.0.0, sessions and legacy prompts) become imported claims with
//! one contribution per session, keyed by the commits' patch ids; a corrupt note is reported
//! and the others imported; importing again signs nothing; a repository without notes, a note
//! on a pruned commit and a shallow clone are notes, not failures.

use std::ffi::OsStr;
use std::fs;

use serde_json::{json, Value};

use crate::git_world::Git;
use crate::support::{Output, Sandbox, User};

/// The git the tests run (and make attrib run).
const GIT: Git = Git("/usr/local/bin/git");

/// `attrib ARGS` as `u`, with the test's git and no system git config.
fn attrib(u: &User, args: &[&str]) -> Output {
    u.run_env(
        args,
        &[("ATTRIB_GIT_BINARY", GIT.0), ("GIT_CONFIG_NOSYSTEM", "1")],
    )
}

/// A sandbox whose HOME's git config names an author, and one user whose repository is a
/// fresh git repository with the store in `.git/attrib`.
fn git_user(name: &str) -> (Sandbox, User) {
    let sb = GIT.sandbox();
    let u = sb.user(name);
    GIT.run(&sb, &u.repo, ["init", "-q"]);
    attrib(&u, &["init", "--team", "t", "--name", name]).ok();
    assert!(u.repo.join(".git/attrib").is_dir());
    (sb, u)
}

/// Commits `text` as `file`; the new commit's id.
fn commit(sb: &Sandbox, u: &User, file: &str, text: &str) -> String {
    let path = u.repo.join(file);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap();
    }
    fs::write(&path, text).unwrap();
    GIT.run(sb, &u.repo, ["add", file]);
    GIT.run(sb, &u.repo, ["commit", "-q", "-m", file]);
    GIT.run(sb, &u.repo, ["rev-parse", "HEAD"])
}

/// Adds the note `text` on `refs/notes/ai` to `rev`, the way git-ai's own note is stored.
fn note(sb: &Sandbox, u: &User, rev: &str, text: &str) {
    GIT.run(
        sb,
        &u.repo,
        ["notes", "--ref=ai", "add", "-f", "-m", text, rev],
    );
}

/// Adds the note in a file (`git notes add -F`).
fn note_from_file(sb: &Sandbox, u: &User, rev: &str, text: &str) {
    let file = sb.path().join("note.txt");
    fs::write(&file, text).unwrap();
    GIT.run(
        sb,
        &u.repo,
        [
            OsStr::new("notes"),
            OsStr::new("--ref=ai"),
            OsStr::new("add"),
            OsStr::new("-f"),
            OsStr::new("-F"),
            file.as_os_str(),
            OsStr::new(rev),
        ],
    );
}

/// A note in the sessions format: two sessions (one over two checkpoints) and a known human.
fn sessions_note(base: &str) -> String {
    format!(
        r#"a.txt
  s_aaaaaaaaaaaaaa::t_11111111111111 1-4
  s_aaaaaaaaaaaaaa::t_22222222222222 5-6
  h_99999999999999 7-8
  s_bbbbbbbbbbbbbb::t_33333333333333 10-12
---
{{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.4.5",
  "base_commit_sha": "{base}",
  "prompts": {{}},
  "humans": {{
    "h_99999999999999": {{
      "author": "Ada <ada@example.org>"
    }}
  }},
  "sessions": {{
    "s_aaaaaaaaaaaaaa": {{
      "agent_id": {{
        "tool": "claude",
        "id": "conv-1",
        "model": "claude-sonnet-4-5-20250929"
      }},
      "human_author": "ada@example.org"
    }},
    "s_bbbbbbbbbbbbbb": {{
      "agent_id": {{
        "tool": "codex",
        "id": "conv-2",
        "model": "gpt-5-codex"
      }},
      "human_author": "ada@example.org"
    }}
  }}
}}"#
    )
}

/// A note in the legacy format (git-ai before 1.4): a prompt with its counts, a quoted path.
fn legacy_note(base: &str) -> String {
    format!(
        r#""src/my file.rs"
  c9883b05a2487d6d 1-3
---
{{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.0.23",
  "base_commit_sha": "{base}",
  "prompts": {{
    "c9883b05a2487d6d": {{
      "agent_id": {{
        "tool": "cursor",
        "id": "session_123",
        "model": "gpt-4.1"
      }},
      "human_author": null,
      "total_additions": 3,
      "total_deletions": 0,
      "accepted_lines": 3,
      "overriden_lines": 0
    }}
  }}
}}"#
    )
}

/// A note that names only a known human's lines.
fn human_note(base: &str) -> String {
    format!(
        "c.txt\n  h_99999999999999 1\n---\n{{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"{base}\",\"prompts\":{{}},\"humans\":{{\"h_99999999999999\":{{\"author\":\"Ada <ada@example.org>\"}}}}}}"
    )
}

fn lines(n: usize) -> String {
    (1..=n).map(|i| format!("line {i}\n")).collect()
}

/// The attestation of `patch` signed by the user, from `show --json`.
fn attestation(u: &User, patch: &str) -> Value {
    let v = attrib(u, &["show", patch, "--json"]).ok().json();
    let list = v["attestations"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 1, "{v:#}");
    list[0].clone()
}

fn contribution(
    provider: &str,
    model: &str,
    agent: &str,
    session: &str,
    spans: &[(&str, u32, u32)],
) -> Value {
    let line_spans: Vec<Value> = spans
        .iter()
        .map(|(f, s, e)| json!({"file": f, "start": s, "end": e}))
        .collect();
    let n: u32 = spans.iter().map(|(_, s, e)| e - s + 1).sum();
    json!({
        "provider": provider,
        "model": model,
        "agent": agent,
        "session": session,
        "suggestion_type": "complete",
        "prompt_commitment": null,
        "line_spans": line_spans,
        "lines": n,
    })
}

fn commits_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|n| n["commit"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn git_ai_notes_become_imported_claims_once() {
    let (sb, ada) = git_user("ada");
    let c1 = commit(&sb, &ada, "a.txt", &lines(12));
    let c2 = commit(&sb, &ada, "src/my file.rs", &lines(3));
    let c3 = commit(&sb, &ada, "b.txt", &lines(2));
    let c4 = commit(&sb, &ada, "c.txt", &lines(1));
    let c5 = commit(&sb, &ada, "d.txt", &lines(1));
    note(&sb, &ada, &c1, &sessions_note(&c1));
    note_from_file(&sb, &ada, &c2, &legacy_note(&c2));
    note(&sb, &ada, &c3, "this is not an authorship log");
    note(&sb, &ada, &c4, &human_note(&c4));
    let (p1, p2) = (
        GIT.patch_id(&sb, &ada.repo, &c1),
        GIT.patch_id(&sb, &ada.repo, &c2),
    );

    // A dry run says what would be signed and signs nothing; the corrupt note fails it.
    let before = ada.export_lines();
    let out = attrib(&ada, &["import", "--from", "git-ai", "--dry-run", "--json"])
        .fails()
        .mentions("1 git-ai note(s) could not be imported");
    let v = out.json();
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["notes"], 4);
    let mut attested: Vec<(String, String)> = v["attested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["commit"].to_string(), n["patch"].to_string()))
        .collect();
    attested.sort();
    let mut want = vec![
        (json!(c1).to_string(), json!(p1).to_string()),
        (json!(c2).to_string(), json!(p2).to_string()),
    ];
    want.sort();
    assert_eq!(attested, want);
    assert_eq!(ada.export_lines(), before, "a dry run signs nothing");

    // The import: two claims, the human-only note skipped, the corrupt note reported.
    let out = attrib(&ada, &["import", "--from", "git-ai"])
        .fails()
        .mentions("see the reasons above");
    let first = out.stdout.lines().next().unwrap_or("");
    assert_eq!(
        first,
        "read 4 git-ai note(s): attested 2 commit(s) as imported claims, 0 unchanged, skipped 1 without AI lines, 1 unreadable (see below)"
    );
    assert!(
        out.stdout
            .contains(&format!("  {c3}: corrupt note: the note has no `---` line")),
        "{}",
        out.stdout
    );

    // The known answer: one contribution per session, spans merged across checkpoints.
    let a1 = attestation(&ada, &p1);
    assert_eq!(a1["origin"], "imported");
    assert_eq!(a1["patch"], p1);
    assert_eq!(
        a1["contributions"],
        json!([
            contribution(
                "anthropic",
                "claude-sonnet-4-5-20250929",
                "claude-code",
                "conv-1",
                &[("a.txt", 1, 6)]
            ),
            contribution(
                "openai",
                "gpt-5-codex",
                "codex",
                "conv-2",
                &[("a.txt", 10, 12)]
            ),
        ])
    );
    assert_eq!(a1["ai"]["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(a1["ai"]["provider"], "anthropic");
    assert_eq!(a1["ai"]["suggestion_type"], "partial");
    assert_eq!(
        a1["description"],
        format!("imported claim (unsigned source): git-ai note on commit {c1} (git-ai 1.4.5); directed by ada@example.org; 2 line(s) by known humans (Ada <ada@example.org>)")
    );
    let a2 = attestation(&ada, &p2);
    assert_eq!(
        a2["contributions"],
        json!([contribution(
            "openai",
            "gpt-4.1",
            "cursor",
            "session_123",
            &[("src/my file.rs", 1, 3)]
        )])
    );
    // The session wrote every line the commit added.
    assert_eq!(a2["ai"]["suggestion_type"], "complete");
    assert_eq!(
        a2["description"],
        format!("imported claim (unsigned source): git-ai note on commit {c2} (git-ai 1.0.23); prompts' counts: 3 line(s) accepted, 0 overridden")
    );
    // Importing again signs nothing new.
    let v = attrib(&ada, &["import", "--from", "git-ai", "--json"])
        .fails()
        .json();
    assert_eq!(v["attested"], json!([]));
    let mut unchanged = commits_of(&v["unchanged"]);
    unchanged.sort();
    let mut want = vec![c1.clone(), c2.clone()];
    want.sort();
    assert_eq!(unchanged, want);
    assert_eq!(commits_of(&v["no_ai"]), [c4.as_str()]);
    assert_eq!(commits_of(&v["bad"]), [c3.as_str()]);

    // The repaired note imports; the person's own word on a change is never overwritten.
    note(
        &sb,
        &ada,
        &c3,
        &sessions_note(&c3)
            .replace("a.txt", "b.txt")
            .replace("10-12", "2"),
    );
    note(
        &sb,
        &ada,
        &c5,
        &sessions_note(&c5).replace("a.txt", "d.txt"),
    );
    let p5 = GIT.patch_id(&sb, &ada.repo, &c5);
    attrib(&ada, &["annotate", &p5, "--no-ai"]).ok();
    let v = attrib(&ada, &["import", "--from", "git-ai", "--json"])
        .ok()
        .json();
    assert_eq!(commits_of(&v["attested"]), [c3.as_str()]);
    assert_eq!(commits_of(&v["kept_own"]), [c5.as_str()]);
    assert_eq!(v["bad"], json!([]));
    assert_eq!(attestation(&ada, &p5)["origin"], "person");
    let out = attrib(&ada, &["import", "--from", "git-ai"]).ok();
    assert!(
        out.stdout
            .starts_with("read 5 git-ai note(s): attested 0 commit(s) as imported claims, 3 unchanged, kept your own attestation of 1, skipped 1 without AI lines"),
        "{}",
        out.stdout
    );
}

#[test]
fn repositories_without_notes_pruned_commits_and_shallow_clones() {
    let (sb, ada) = git_user("ada");
    commit(&sb, &ada, "a.txt", &lines(2));

    // No notes ref at all.
    let out = attrib(&ada, &["import", "--from", "git-ai"]).ok();
    assert_eq!(out.stdout.trim(), "no git-ai notes in this repository");
    let v = attrib(&ada, &["import", "--from", "git-ai", "--json"])
        .ok()
        .json();
    assert_eq!(v["note"], "no git-ai notes in this repository");

    // A note left on a commit that was rewritten away and pruned.
    let kept = commit(&sb, &ada, "b.txt", &lines(12));
    note(
        &sb,
        &ada,
        &kept,
        &sessions_note(&kept).replace("a.txt", "b.txt"),
    );
    let gone = commit(&sb, &ada, "c.txt", &lines(12));
    note(
        &sb,
        &ada,
        &gone,
        &sessions_note(&gone).replace("a.txt", "c.txt"),
    );
    GIT.run(&sb, &ada.repo, ["reset", "-q", "--hard", &kept]);
    GIT.run(
        &sb,
        &ada.repo,
        ["reflog", "expire", "--expire=now", "--all"],
    );
    GIT.run(&sb, &ada.repo, ["gc", "-q", "--prune=now"]);
    let out = attrib(&ada, &["import", "--from", "git-ai"]).ok();
    assert!(
        out.stdout.starts_with(
            "read 2 git-ai note(s): attested 1 commit(s) as imported claims, 0 unchanged, skipped 1 (see below)"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "  skipped {gone}: the commit is no longer in the repository"
        )),
        "{}",
        out.stdout
    );

    // An amend keeps the change (its patch id) and leaves the old commit and its note behind;
    // the newer commit's note (as git-ai copies it, here with other lines) speaks for it.
    GIT.run_env(
        &sb,
        &ada.repo,
        &[("GIT_COMMITTER_DATE", "2090000000 +0000")],
        ["commit", "-q", "--amend", "-m", "reworded"],
    );
    let amended = GIT.run(&sb, &ada.repo, ["rev-parse", "HEAD"]);
    assert_ne!(amended, kept);
    let p_kept = GIT.patch_id(&sb, &ada.repo, &kept);
    assert_eq!(GIT.patch_id(&sb, &ada.repo, &amended), p_kept);
    note(
        &sb,
        &ada,
        &amended,
        &sessions_note(&amended)
            .replace("a.txt", "b.txt")
            .replace("10-12", "9-12"),
    );
    let v = attrib(&ada, &["import", "--from", "git-ai", "--json"])
        .ok()
        .json();
    assert_eq!(commits_of(&v["attested"]), [amended.as_str()]);
    assert_eq!(commits_of(&v["same_change"]), [kept.as_str()]);
    let a = attestation(&ada, &p_kept);
    assert_eq!(
        a["contributions"][1]["line_spans"],
        json!([{"file": "b.txt", "start": 9, "end": 12}])
    );
    assert!(a["description"].as_str().unwrap().contains(&amended));

    // A shallow clone with the notes fetched: the boundary commit cannot be named, the older
    // one is not there; neither is an error.
    let newest = commit(&sb, &ada, "d.txt", &lines(12));
    note(
        &sb,
        &ada,
        &newest,
        &sessions_note(&newest).replace("a.txt", "d.txt"),
    );
    let bob = sb.user("bob");
    fs::remove_dir_all(&bob.repo).unwrap();
    GIT.shallow_clone(&sb, &ada.repo, &bob.repo);
    GIT.run(
        &sb,
        &bob.repo,
        ["fetch", "-q", "origin", "refs/notes/ai:refs/notes/ai"],
    );
    attrib(&bob, &["init", "--team", "b", "--name", "bob"]).ok();
    let v = attrib(&bob, &["import", "--from", "git-ai", "--json"])
        .ok()
        .json();
    assert_eq!(v["shallow"], true);
    assert_eq!(v["attested"], json!([]));
    let skipped = v["skipped"].as_array().unwrap();
    let why = |c: &str| {
        skipped
            .iter()
            .find(|s| s["commit"] == c)
            .map(|s| s["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{c} not skipped: {v:#}"))
    };
    assert!(why(&newest).contains("shallow clone's boundary"), "{v:#}");
    assert!(why(&kept).contains("no longer in the repository"), "{v:#}");

    // Not a git repository: one line.
    let plain = sb.team(&["cy"]).remove(0);
    attrib(&plain, &["import", "--from", "git-ai"])
        .fails()
        .mentions("not in a repository");
    // --dry-run belongs to --from git-ai; a file and --from together are a usage error.
    attrib(&ada, &["import", "x.jsonl", "--dry-run"]).usage_err();
    attrib(&ada, &["import", "x.jsonl", "--from", "git-ai"]).usage_err();
}
