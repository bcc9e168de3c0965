//! attrib in a git repository, with the real `git`: the wrapped `git commit`, a plain commit
//! picked up by reconciliation, amend, rebase, cherry-pick and squash carrying attestations,
//! blame after an insert above, two clones exchanging attestations, and the awkward
//! repositories (no commits, a detached HEAD, a shallow clone).

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::git_world::Git;
use crate::support::{Sandbox, User};

/// The git on PATH, which attrib runs too.
const GIT: Git = Git("git");

/// A sandbox whose HOME's git config names an author, and a team of `names` whose first
/// member's repository is a fresh git repository with the store inside `.git/attrib`.
fn git_team(names: &[&str]) -> (Sandbox, Vec<User>) {
    let sb = GIT.sandbox();
    let users: Vec<User> = names.iter().map(|n| sb.user(n)).collect();
    GIT.run(&sb, &users[0].repo, ["init", "-q"]);
    users[0]
        .run(["init", "--team", "t", "--name", names[0]])
        .ok();
    assert!(users[0].repo.join(".git/attrib").is_dir());
    (sb, users)
}

/// Writes `text` to `file` in the user's repository and stages it.
fn write(sb: &Sandbox, u: &User, file: &str, text: &str) {
    fs::write(u.repo.join(file), text).unwrap();
    GIT.run(sb, &u.repo, ["add", file]);
}

/// `attrib record` wrapping `git commit -m MESSAGE` with AI flags; returns the new patch id.
#[track_caller]
fn record(u: &User, model: Option<&str>, message: &str) -> String {
    let mut args = vec!["record", "--json"];
    if let Some(m) = model {
        args.extend(["--ai-provider", "anthropic", "--ai-model", m]);
    }
    args.extend(["--", "-m", message]);
    let v = u.run(args).ok().json();
    v["patch"]
        .as_str()
        .unwrap_or_else(|| panic!("no patch in {v}"))
        .to_string()
}

/// `git pull -q FROM main` in `dir`.
fn pull_main(sb: &Sandbox, dir: &Path, from: &Path) {
    GIT.run(
        sb,
        dir,
        [
            OsStr::new("pull"),
            OsStr::new("-q"),
            from.as_os_str(),
            OsStr::new("main"),
        ],
    );
}

/// `name` clones `owner`'s repository, gets an identity, is admitted by `owner` and joins the
/// team from `owner`'s export: the clone's directory and the new member.
fn clone_and_join(sb: &Sandbox, owner: &User, name: &str) -> (std::path::PathBuf, User) {
    let dir = sb.path().join(format!("{name}-clone"));
    GIT.run(
        sb,
        sb.path(),
        [
            OsStr::new("clone"),
            OsStr::new("-q"),
            owner.repo.as_os_str(),
            dir.as_os_str(),
        ],
    );
    let member = sb.user(name).at(&dir);
    member.run(["identity", "new", "--name", name]).ok();
    owner
        .run(["team", "add", &member.pubkey(), "--name", name])
        .ok();
    let genesis = owner.export_file(sb);
    member
        .run([
            OsStr::new("init"),
            OsStr::new("--join"),
            genesis.as_os_str(),
        ])
        .ok();
    (dir, member)
}

fn row<'a>(rows: &'a [Value], change: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["change"] == change)
        .unwrap_or_else(|| panic!("{change} is not in the log: {rows:#?}"))
}

/// The row's whole JSON text, where a model's name shows wherever the row keeps it.
fn model_of(row: &Value) -> String {
    row.to_string()
}

#[test]
fn a_wrapped_commit_is_attested_under_its_stable_patch_id() {
    let (sb, users) = git_team(&["ada"]);
    let ada = &users[0];
    write(&sb, ada, "a.txt", "one\ntwo\n");
    let patch = record(ada, Some("claude-sonnet-4"), "first");
    assert_eq!(patch, GIT.patch_id(&sb, &ada.repo, "HEAD"));
    let rows = ada.log_json(&[]);
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert!(model_of(row(&rows, &patch)).contains("claude-sonnet-4"));

    // A plain `git commit` is picked up by the next command, unattested.
    write(&sb, ada, "b.txt", "three\n");
    GIT.run(&sb, &ada.repo, ["commit", "-q", "-m", "plain"]);
    let plain = GIT.patch_id(&sb, &ada.repo, "HEAD");
    let rows = ada.log_json(&[]);
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert_eq!(row(&rows, &plain)["status"], "unattested");
}

#[test]
fn amend_and_rebase_and_cherry_pick_keep_the_attestation() {
    let (sb, users) = git_team(&["ada"]);
    let ada = &users[0];
    write(&sb, ada, "base.txt", "base\n");
    record(ada, None, "base");
    GIT.run(&sb, &ada.repo, ["checkout", "-q", "-b", "feature"]);
    write(&sb, ada, "f.txt", "feature line\n");
    let first = record(ada, Some("claude-opus-4"), "feature");

    // An amend through the wrapper: a new patch id whose attestation names the old one.
    write(&sb, ada, "f.txt", "feature line, fixed\n");
    let out = ada
        .run(["record", "--json", "--", "--amend", "-m", "feature, fixed"])
        .ok()
        .json();
    let after_amend = out["patch"].as_str().unwrap().to_string();
    assert_ne!(after_amend, first);
    let shown = ada.show_json(&after_amend).to_string();
    assert!(shown.contains(&first), "the amend names {first}: {shown}");
    assert!(shown.contains("claude-opus-4"), "{shown}");

    // A plain `git commit --amend` is recognised too (git keeps author and date).
    write(&sb, ada, "g.txt", "more\n");
    GIT.run(&sb, &ada.repo, ["commit", "-q", "--amend", "--no-edit"]);
    let plain_amend = GIT.patch_id(&sb, &ada.repo, "HEAD");
    let rows = ada.log_json(&[]);
    assert_eq!(row(&rows, &plain_amend)["status"], "attested", "{rows:#?}");

    // Rebase onto a moved main: the patch ids stay, so do the attestations.
    GIT.run(&sb, &ada.repo, ["checkout", "-q", "main"]);
    write(&sb, ada, "other.txt", "elsewhere\n");
    GIT.run(&sb, &ada.repo, ["commit", "-q", "-m", "on main"]);
    GIT.run(&sb, &ada.repo, ["checkout", "-q", "feature"]);
    GIT.run(&sb, &ada.repo, ["rebase", "-q", "main"]);
    assert_eq!(GIT.patch_id(&sb, &ada.repo, "HEAD"), plain_amend);
    let rows = ada.log_json(&[]);
    assert_eq!(row(&rows, &plain_amend)["status"], "attested", "{rows:#?}");

    // Cherry-pick onto another branch: the same patch, the same attestation.
    GIT.run(
        &sb,
        &ada.repo,
        ["checkout", "-q", "-b", "release", "main~1"],
    );
    GIT.run(&sb, &ada.repo, ["cherry-pick", "feature"]);
    assert_eq!(GIT.patch_id(&sb, &ada.repo, "HEAD"), plain_amend);
    let rows = ada.log_json(&[]);
    assert_eq!(row(&rows, &plain_amend)["status"], "attested", "{rows:#?}");
}

#[test]
fn a_squash_holds_the_contributions_of_what_it_squashed() {
    let (sb, users) = git_team(&["ada"]);
    let ada = &users[0];
    write(&sb, ada, "base.txt", "base\n");
    record(ada, None, "base");
    write(&sb, ada, "a.txt", "from opus\n");
    let a = record(ada, Some("claude-opus-4"), "a");
    write(&sb, ada, "b.txt", "from sonnet 1\nfrom sonnet 2\n");
    let b = record(ada, Some("claude-sonnet-4"), "b");
    GIT.run(&sb, &ada.repo, ["reset", "-q", "--soft", "HEAD~2"]);
    GIT.run(&sb, &ada.repo, ["commit", "-q", "-m", "a and b"]);
    let squashed = GIT.patch_id(&sb, &ada.repo, "HEAD");
    let rows = ada.log_json(&[]);
    let r = row(&rows, &squashed);
    assert_eq!(r["status"], "attested", "{rows:#?}");
    let shown = ada.show_json(&squashed).to_string();
    for model in ["claude-opus-4", "claude-sonnet-4"] {
        assert!(shown.contains(model), "{model} missing from {shown}");
    }
    // The squashed changes left the branch; their attestations stay in the store.
    assert!(!rows.iter().any(|r| r["change"] == a || r["change"] == b));
}

#[test]
fn blame_follows_lines_after_an_insert_above() {
    let (sb, users) = git_team(&["ada"]);
    let ada = &users[0];
    write(&sb, ada, "f.rs", "fn a() {}\nfn b() {}\nfn c() {}\n");
    let ai = record(ada, Some("claude-sonnet-4"), "three functions");
    write(
        &sb,
        ada,
        "f.rs",
        "// header\nfn a() {}\nfn b() {}\nfn c() {}\n",
    );
    let human = record(ada, None, "header");
    let v = ada.run(["blame", "f.rs", "--json"]).ok().json();
    let text = v.to_string();
    let rows = v
        .as_array()
        .unwrap_or_else(|| panic!("blame --json is not an array: {text}"));
    let change_of = |line: u64| -> String {
        rows.iter()
            .find(|r| r["line"] == line)
            .and_then(|r| r["change"].as_str())
            .unwrap_or_else(|| panic!("line {line} missing from {text}"))
            .to_string()
    };
    assert_eq!(change_of(1), human);
    for line in 2..=4 {
        assert_eq!(change_of(line), ai);
    }
    assert!(text.contains("claude-sonnet-4"), "{text}");
}

/// `attrib blame` in git goes through the index too: kept rows answer while HEAD and the
/// working file stand still, an uncommitted edit (git blames the working file) and a commit
/// each give the answer `--no-index` gives, and a damaged entry is rebuilt.
#[test]
fn git_blame_through_the_index_follows_the_working_file_and_commits() {
    let (sb, users) = git_team(&["ada"]);
    let ada = &users[0];
    write(&sb, ada, "f.rs", "fn a() {}\nfn b() {}\n");
    let first = record(ada, Some("claude-sonnet-4"), "two functions");
    let blame = |extra: &[&str]| -> Value {
        let mut args = vec!["blame", "f.rs", "--json"];
        args.extend_from_slice(extra);
        ada.run(args).ok().json()
    };
    let same_as_git = |why: &str| {
        let (indexed, direct) = (blame(&[]), blame(&["--no-index"]));
        assert_eq!(indexed, direct, "{why}");
        indexed
    };
    same_as_git("first blame");
    let entries = ada.repo.join(".git/attrib/blame-index/files");
    let entry = fs::read_dir(&entries)
        .expect("the index has an entry")
        .next()
        .expect("one entry")
        .unwrap()
        .path();
    let kept = fs::read(&entry).unwrap();
    let rows = same_as_git("unchanged");
    assert_eq!(
        fs::read(&entry).unwrap(),
        kept,
        "an unchanged file keeps its entry"
    );
    assert_eq!(rows[1]["change"], first.as_str());

    // An uncommitted line: git blames it on no commit, and the index must not hide it.
    fs::write(ada.repo.join("f.rs"), "fn a() {}\nfn new() {}\nfn b() {}\n").unwrap();
    let rows = same_as_git("uncommitted edit");
    assert_eq!(rows[1]["text"], "fn new() {}");
    assert_eq!(rows[1]["change"], Value::Null, "{rows:#?}");
    // Committed: the line is the new commit's.
    GIT.run(&sb, &ada.repo, ["commit", "-q", "-am", "new"]);
    let rows = same_as_git("committed");
    assert!(
        rows[1]["change"].is_string() && rows[1]["change"] != first.as_str(),
        "{rows:#?}"
    );
    assert_eq!(rows[2]["change"], first.as_str());

    // A damaged entry is ignored and written again.
    fs::write(&entry, b"not an entry").unwrap();
    same_as_git("damaged entry");
    assert_ne!(fs::read(&entry).unwrap(), b"not an entry");
}

#[test]
fn two_clones_exchange_attestations_by_export() {
    let (sb, users) = git_team(&["ada", "bo"]);
    let ada = &users[0];
    write(&sb, ada, "a.txt", "one\n");
    let patch = record(ada, Some("claude-sonnet-4"), "one");
    // Bo joins the team and clones the repository.
    let (bo_dir, bo) = clone_and_join(&sb, ada, "bo");
    assert!(bo_dir.join(".git/attrib").is_dir());
    let rows = bo.log_json(&[]);
    assert_eq!(row(&rows, &patch)["status"], "attested", "{rows:#?}");

    // Bo commits with AI; Ada fetches the commit and Bo's attestation.
    fs::write(bo_dir.join("b.txt"), "two\n").unwrap();
    GIT.run(&sb, &bo_dir, ["add", "b.txt"]);
    let theirs = record(&bo, Some("gpt-5"), "two");
    pull_main(&sb, &ada.repo, &bo_dir);
    ada.pull(&sb, &bo);
    let rows = ada.log_json(&[]);
    assert_eq!(row(&rows, &theirs)["status"], "attested", "{rows:#?}");
}

#[test]
fn awkward_repositories_get_answers_not_panics() {
    let (sb, users) = git_team(&["ada"]);
    let ada = &users[0];
    // No commits yet: an empty log, not an error.
    let rows = ada.log_json(&[]);
    assert!(rows.is_empty(), "{rows:#?}");
    write(&sb, ada, "a.txt", "one\n");
    let first = record(ada, Some("claude-sonnet-4"), "one");
    write(&sb, ada, "b.txt", "two\n");
    record(ada, None, "two");

    // A detached HEAD still answers.
    GIT.run(&sb, &ada.repo, ["checkout", "-q", "--detach", "HEAD~1"]);
    let rows = ada.log_json(&[]);
    assert_eq!(row(&rows, &first)["status"], "attested", "{rows:#?}");
    GIT.run(&sb, &ada.repo, ["checkout", "-q", "main"]);

    // A shallow clone answers for the commits it has.
    let shallow = sb.path().join("shallow");
    GIT.shallow_clone(&sb, &ada.repo, &shallow);
    let reader = sb.user("reader").at(&shallow);
    let export = ada.export_file(&sb);
    reader
        .run([OsStr::new("init"), OsStr::new("--join"), export.as_os_str()])
        .ok();
    let rows = reader.log_json(&[]);
    assert_eq!(rows.len(), 1, "{rows:#?}");

    // A wrapped commit with nothing staged says so and attests nothing.
    ada.run(["record", "--", "-m", "empty"])
        .err()
        .mentions("nothing to record");
}

#[test]
fn attestations_of_git_commits_move_between_two_nodes() {
    use crate::network::Node;
    let (sb, users) = git_team(&["ada"]);
    let ada = &users[0];
    write(&sb, ada, "a.txt", "one\n");
    let patch = record(ada, Some("claude-sonnet-4"), "one");
    let (bo_dir, bo) = clone_and_join(&sb, ada, "bo");

    // Bo writes while Ada's node runs; one sync carries both ways.
    fs::write(bo_dir.join("b.txt"), "two\n").unwrap();
    GIT.run(&sb, &bo_dir, ["add", "b.txt"]);
    let theirs = record(&bo, Some("gpt-5"), "two");
    let node = Node::start(ada, &[]);
    bo.run(["sync", "--peer", node.addr(), "--once"]).ok();
    let rows = bo.log_json(&[]);
    assert_eq!(row(&rows, &patch)["status"], "attested", "{rows:#?}");
    let (_, _, _) = node.terminate();
    pull_main(&sb, &ada.repo, &bo_dir);
    let rows = ada.log_json(&[]);
    assert_eq!(row(&rows, &theirs)["status"], "attested", "{rows:#?}");
}

#[test]
fn check_gates_a_git_range() {
    let (sb, users) = git_team(&["ada"]);
    let ada = &users[0];
    write(&sb, ada, "base.txt", "base\n");
    record(ada, None, "base");
    GIT.run(&sb, &ada.repo, ["branch", "base"]);
    write(&sb, ada, "a.txt", "ai\n");
    let ai = record(ada, Some("claude-sonnet-4"), "ai");
    write(&sb, ada, "b.txt", "plain\n");
    GIT.run(&sb, &ada.repo, ["commit", "-q", "-m", "plain"]);
    let plain = GIT.patch_id(&sb, &ada.repo, "HEAD");
    fs::write(
        ada.repo.join("attrib-policy.toml"),
        "require_attestation = true\nallowed_providers = [\"openai\"]\n",
    )
    .unwrap();
    let out = ada.run(["check", "base..HEAD", "--json"]);
    assert!(!out.success(), "violations fail the gate: {}", out.stdout);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let mut found: Vec<(String, String)> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["change"].as_str().unwrap_or("").to_string(),
                x["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let mut expected = vec![
        (ai.clone(), "allowed_providers".to_string()),
        (plain.clone(), "require_attestation".to_string()),
    ];
    expected.sort();
    assert_eq!(found, expected, "{v}");
    // A branch whose one commit keeps every rule passes the gate.
    GIT.run(&sb, &ada.repo, ["checkout", "-q", "-b", "good", "base"]);
    write(&sb, ada, "c.txt", "from gpt\n");
    ada.run([
        "record",
        "--ai-provider",
        "openai",
        "--ai-model",
        "gpt-5",
        "--",
        "-m",
        "good",
    ])
    .ok();
    let out = ada.run(["check", "base..HEAD", "--json"]);
    assert!(out.success(), "{} {}", out.stdout, out.stderr);
}
