//! Integration tests of the git driver against the real `git`, in throwaway repositories.
//!
//! Each test gets a temp dir with its own HOME and XDG config (no user or system configuration
//! leaks in: `GIT_CONFIG_NOSYSTEM=1`) and a fixed identity; the driver gets the same
//! environment through `with_env`. The patch ids the driver computes in-process are checked
//! against `git patch-id --stable` itself.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use attrib_overlay::PatchId;
use attrib_vcs_adapter::git::{CACHE_FILE, JOURNAL_FILE};
use attrib_vcs_adapter::{CreditEntry, Git, Vcs, VcsError};

/// A sandbox: HOME, config and any number of repositories.
struct Sandbox {
    dir: tempfile::TempDir,
}

const NAME: &str = "Ada Lovelace";
const EMAIL: &str = "ada@example.org";

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::create_dir_all(dir.path().join("home")).unwrap();
        fs::create_dir_all(dir.path().join("xdg")).unwrap();
        Sandbox { dir }
    }

    fn env(&self) -> Vec<(&'static str, OsString)> {
        let home = self.dir.path().join("home");
        vec![
            ("HOME", home.into()),
            ("XDG_CONFIG_HOME", self.dir.path().join("xdg").into()),
            ("GIT_CONFIG_NOSYSTEM", "1".into()),
            // Never find a repository above the sandbox (the temp dir may sit in a checkout).
            ("GIT_CEILING_DIRECTORIES", self.dir.path().into()),
            ("GIT_AUTHOR_NAME", NAME.into()),
            ("GIT_AUTHOR_EMAIL", EMAIL.into()),
            ("GIT_COMMITTER_NAME", NAME.into()),
            ("GIT_COMMITTER_EMAIL", EMAIL.into()),
        ]
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs git in `dir`; panics with its stderr when it fails.
    fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        self.git_with_input(dir, args, None)
    }

    fn git_with_input(&self, dir: &Path, args: &[&str], input: Option<&[u8]>) -> String {
        let mut cmd = Command::new("git");
        cmd.current_dir(dir)
            .args(args)
            .env("LC_ALL", "C")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .envs(self.env())
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("git is installed");
        if let Some(input) = input {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A new repository on branch `main`.
    fn repo(&self, name: &str) -> Repo<'_> {
        let root = self.path(name);
        fs::create_dir_all(&root).unwrap();
        self.git_in(&root, &["-c", "init.defaultBranch=main", "init", "-q"]);
        Repo { sb: self, root }
    }

    fn sha256_repo(&self, name: &str) -> Repo<'_> {
        let root = self.path(name);
        fs::create_dir_all(&root).unwrap();
        self.git_in(
            &root,
            &[
                "-c",
                "init.defaultBranch=main",
                "init",
                "-q",
                "--object-format=sha256",
            ],
        );
        Repo { sb: self, root }
    }

    /// The driver for `root`, in this sandbox's environment.
    fn driver(&self, root: &Path) -> Git {
        self.env()
            .into_iter()
            .fold(Git::new(root), |g, (k, v)| g.with_env(k, v))
    }
}

struct Repo<'a> {
    sb: &'a Sandbox,
    root: PathBuf,
}

impl Repo<'_> {
    fn git(&self, args: &[&str]) -> String {
        self.sb.git_in(&self.root, args)
    }

    fn write(&self, file: &str, text: &str) {
        let path = self.root.join(file);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).unwrap();
        }
        fs::write(path, text).unwrap();
    }

    /// Writes `text` to `file` and commits all (`git add -A`) with `msg`; the new commit's id.
    fn commit_file(&self, file: &str, text: &str, msg: &str) -> String {
        self.write(file, text);
        self.commit(msg)
    }

    /// `git add -A && git commit -m MSG`; the new commit's id.
    fn commit(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    fn driver(&self) -> Git {
        self.sb.driver(&self.root)
    }

    /// What `git patch-id --stable` says of `git diff-tree -p --root --full-index COMMIT`.
    fn git_patch_id(&self, commit: &str) -> Option<String> {
        let diff = self.git(&["diff-tree", "-p", "--root", "--full-index", commit]);
        self.patch_id_of_text(&diff)
    }

    /// What `git patch-id --stable` says of `git show COMMIT` (the everyday way to ask).
    fn git_show_patch_id(&self, commit: &str) -> Option<String> {
        let shown = self.git(&["show", commit]);
        self.patch_id_of_text(&shown)
    }

    fn patch_id_of_text(&self, text: &str) -> Option<String> {
        let out =
            self.sb
                .git_with_input(&self.root, &["patch-id", "--stable"], Some(text.as_bytes()));
        out.split_whitespace().next().map(str::to_string)
    }

    fn id_of(&self, commit: &str) -> PatchId {
        let ids = self.driver().patch_ids(&[commit.to_string()]).unwrap();
        ids[commit].clone()
    }
}

fn args(a: &[&str]) -> Vec<OsString> {
    a.iter().map(OsString::from).collect()
}

fn hashes(changes: &[attrib_vcs_adapter::ChangeInfo]) -> Vec<PatchId> {
    changes.iter().map(|c| c.hash.clone()).collect()
}

/// Commits of every shape the patch-id algorithm distinguishes.
fn varied_history(r: &Repo<'_>) -> Vec<String> {
    let mut commits = Vec::new();
    r.write("a.txt", "one\ntwo\nthree\n");
    r.write("dir/b.rs", "fn main() {\n    println!(\"hi\");\n}\n");
    commits.push(r.commit("two files"));
    let long: String = (1..=40).map(|i| format!("line {i}\n")).collect();
    r.write("long.txt", &long);
    r.write("a.txt", "zero\none\ntwo\nthree\n");
    commits.push(r.commit("long file, prepend"));
    let edited = long
        .replace("line 3\n", "line three\n")
        .replace("line 30\n", "line thirty\n\tindented\n");
    r.write("long.txt", &edited);
    commits.push(r.commit("two hunks"));
    r.write("nonl.txt", "no newline at the end");
    r.write("empty.txt", "");
    commits.push(r.commit("no newline, empty file"));
    fs::write(r.root.join("blob.bin"), [0u8, 1, 2, 3, 255, 0, 7]).unwrap();
    commits.push(r.commit("binary"));
    fs::write(r.root.join("blob.bin"), [0u8, 9, 9, 0]).unwrap();
    r.write("a.txt", "zero\none\n2\nthree\n");
    commits.push(r.commit("binary and text"));
    r.git(&["update-index", "--chmod=+x", "dir/b.rs"]);
    r.git(&["commit", "-q", "-m", "mode only"]);
    commits.push(r.head());
    fs::remove_file(r.root.join("nonl.txt")).unwrap();
    r.write("sp ace/caf\u{e9}.txt", "unicode name\n");
    commits.push(r.commit("delete, odd names"));
    r.write("a.txt", "zero\n\none\n2\n   \nthree\n");
    commits.push(r.commit("blank lines"));
    commits
}

#[test]
fn patch_ids_equal_git_patch_id_stable() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let commits = varied_history(&r);
    let g = r.driver();
    let ids = g.patch_ids(&commits).unwrap();
    for c in &commits {
        let ours = ids[c].as_str();
        assert_eq!(Some(ours), r.git_patch_id(c).as_deref(), "commit {c}");
        assert_eq!(ours.len(), 40);
    }
    // For commits without binary files, also what `git show | git patch-id --stable` gives.
    for c in [
        &commits[0],
        &commits[1],
        &commits[2],
        &commits[3],
        &commits[8],
    ] {
        assert_eq!(Some(ids[c].as_str()), r.git_show_patch_id(c).as_deref());
    }
    // One at a time (the record path) agrees with the batch.
    for c in &commits {
        assert_eq!(r.id_of(c), ids[c]);
    }
}

#[test]
fn patch_ids_equal_git_patch_id_stable_in_a_sha256_repository() {
    let sb = Sandbox::new();
    let r = sb.sha256_repo("r");
    let commits = varied_history(&r);
    let ids = r.driver().patch_ids(&commits).unwrap();
    for c in &commits {
        assert_eq!(c.len(), 64);
        assert_eq!(
            Some(ids[c].as_str()),
            r.git_patch_id(c).as_deref(),
            "commit {c}"
        );
    }
    let log = r.driver().channel_log().unwrap();
    assert_eq!(log.changes.len(), commits.len());
}

#[test]
fn merges_and_empty_commits_go_by_their_commit_id() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    r.commit_file("f", "base\n", "base");
    r.git(&["checkout", "-q", "-b", "side"]);
    let side = r.commit_file("g", "side\n", "side");
    r.git(&["checkout", "-q", "main"]);
    let main = r.commit_file("h", "main\n", "main");
    r.git(&["merge", "-q", "--no-edit", "side"]);
    let merge = r.head();
    let empty = r.commit("empty");
    let g = r.driver();
    let ids = g
        .patch_ids(&[merge.clone(), empty.clone(), side.clone()])
        .unwrap();
    assert_eq!(ids[&merge].as_str(), merge);
    assert_eq!(ids[&empty].as_str(), empty);
    assert_eq!(Some(ids[&side].as_str()), r.git_patch_id(&side).as_deref());
    // The merge depends on both parents.
    let deps = g.dependencies(&ids[&merge]).unwrap();
    assert_eq!(deps, vec![r.id_of(&main), ids[&side].clone()]);
    assert!(g.added_lines(&ids[&merge]).unwrap().is_empty());
    // Every commit of both lines of history is on the channel, parents first.
    let log = g.channel_log().unwrap();
    assert_eq!(log.changes.len(), 5);
    assert_eq!(log.state.as_deref(), Some(empty.as_str()));
    let pos = |c: &str| {
        let id = r.id_of(c);
        log.changes.iter().position(|x| x.hash == id).unwrap()
    };
    assert!(pos(&side) < pos(&merge) && pos(&main) < pos(&merge));
}

#[test]
fn rebase_and_cherry_pick_keep_the_patch_id() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    r.write("a", "1\n2\n3\n");
    r.write("b", "x\n");
    r.commit("base");
    r.git(&["checkout", "-q", "-b", "feature"]);
    let f1 = r.commit_file("a", "1\n2\n3\n4\n", "feature one");
    let f2 = r.commit_file("a", "0\n1\n2\n3\n4\n", "feature two");
    let before = r.driver().patch_ids(&[f1.clone(), f2.clone()]).unwrap();

    r.git(&["checkout", "-q", "main"]);
    r.commit_file("b", "x\ny\n", "main moves on");
    r.git(&["checkout", "-q", "feature"]);
    r.git(&["rebase", "-q", "main"]);
    let g = r.driver();
    let log = g.channel_log().unwrap();
    let after = hashes(&log.changes);
    assert_eq!(after.len(), 4);
    assert_ne!(r.head(), f2, "the rebase made new commits");
    assert_eq!(after[2], before[&f1]);
    assert_eq!(after[3], before[&f2]);

    // Cherry-picked onto another branch, the second change keeps its id too.
    r.git(&["checkout", "-q", "-b", "other", "main"]);
    r.commit_file("a", "1\n2\n3\n4\n", "same as feature one, by hand");
    r.git(&["cherry-pick", &f2]);
    assert_ne!(r.head(), f2);
    assert_eq!(r.id_of(&r.head()), before[&f2]);
    assert_eq!(r.id_of(r.git(&["rev-parse", "HEAD~1"]).trim()), before[&f1]);
}

#[test]
fn record_returns_the_id_a_later_lookup_gives() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let g = r.driver();
    r.write("f", "hello\n");
    r.git(&["add", "f"]);
    let mut seen = Vec::new();
    let id = g
        .record_with(&args(&["-m", "first"]), &mut |h| seen.push(h.clone()))
        .unwrap();
    assert_eq!(seen, vec![id.clone()]);
    let head = r.head();
    assert_eq!(Some(id.as_str()), r.git_patch_id(&head).as_deref());
    assert_eq!(
        r.driver().patch_ids(std::slice::from_ref(&head)).unwrap()[&head],
        id
    );
    assert_eq!(g.commit_of(&id).unwrap().as_deref(), Some(head.as_str()));

    // `-a` with a message, quietly (no summary line to read the commit from).
    r.write("f", "hello\nworld\n");
    let id2 = g
        .record_with(&args(&["-q", "-a", "-m", "second"]), &mut |_| {})
        .unwrap();
    assert_eq!(Some(id2.as_str()), r.git_patch_id(&r.head()).as_deref());

    // Nothing to commit.
    let err = g
        .record_with(&args(&["-m", "again"]), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, VcsError::NothingToRecord), "{err}");
    r.write("untracked", "x\n");
    let err = g
        .record_with(&args(&["-m", "again"]), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, VcsError::NothingToRecord), "{err}");
    let err = g
        .record_with(&args(&["--dry-run", "-a", "-m", "dry"]), &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, VcsError::NothingToRecord), "{err}");

    // No message and no editor: a clear failure, not a hang.
    r.git(&["add", "untracked"]);
    let err = g.record_with(&[], &mut |_| {}).unwrap_err();
    assert!(matches!(err, VcsError::Failed { .. }), "{err}");
    assert!(!err.to_string().contains('\n'), "{err}");

    // An empty commit goes by its commit id.
    r.git(&["reset", "-q"]);
    let empty = g
        .record_with(&args(&["--allow-empty", "-m", "empty"]), &mut |_| {})
        .unwrap();
    assert_eq!(empty.as_str(), r.head());
}

#[test]
fn amend_keeps_the_stamp_and_renames_a_changed_diff() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let g = r.driver();
    r.commit_file("f", "one\n", "first");
    r.write("g", "two\n");
    r.git(&["add", "g"]);
    let old = g
        .record_with(&args(&["-m", "second"]), &mut |_| {})
        .unwrap();
    let before = g.newest(1).unwrap().remove(0);
    assert_eq!(before.hash, old);

    // Author dates have one-second resolution: make sure the amend happens in a later second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    r.write("g", "two, amended\n");
    r.git(&["add", "g"]);
    let mut called = None;
    let amend = g
        .record_amend_with(None, &[], &mut |h| called = Some(h.clone()))
        .unwrap();
    assert_eq!(amend.old, old);
    assert_ne!(amend.new, old, "the diff changed, so the id did");
    assert_eq!(called.as_ref(), Some(&amend.new));
    let after = g.newest(1).unwrap().remove(0);
    assert_eq!(after.hash, amend.new);
    assert_eq!(after.message, "second", "--no-edit kept the message");
    assert_eq!(
        after.stamp(),
        before.stamp(),
        "author and author date survive"
    );
    assert_eq!(g.channel_log().unwrap().changes.len(), 2);

    // A message-only amend keeps the id; naming HEAD's id as the target is fine.
    let same = g
        .record_amend_with(
            Some(&amend.new),
            &args(&["-m", "second, reworded"]),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(same.old, amend.new);
    assert_eq!(same.new, amend.new);
    assert_eq!(g.newest(1).unwrap()[0].message, "second, reworded");

    // Any other target is refused: git amends HEAD only.
    let first = g.log().unwrap()[0].hash.clone();
    let err = g
        .record_amend_with(Some(&first), &[], &mut |_| {})
        .unwrap_err();
    assert!(err.to_string().contains("rebase"), "{err}");
}

#[test]
fn the_channel_log_and_its_windows() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let mut commits = Vec::new();
    for i in 1..=4 {
        r.write("f", &format!("{}\n", "x\n".repeat(i)));
        commits.push(r.commit(&format!(
            "change {i}\n\nBody of {i}.\n\nCo-authored-by: Bob <bob@example.org>"
        )));
    }
    let g = r.driver();
    assert_eq!(g.current_channel().unwrap(), "main");
    let ids = g.patch_ids(&commits).unwrap();
    let want: Vec<PatchId> = commits.iter().map(|c| ids[c].clone()).collect();

    let log = g.channel_log().unwrap();
    assert_eq!(log.state.as_deref(), Some(commits[3].as_str()));
    assert_eq!(hashes(&log.changes), want, "oldest first");
    let c = &log.changes[1];
    assert_eq!(c.message, "change 2");
    assert_eq!(c.authors, vec![format!("{NAME} <{EMAIL}>")]);
    assert_eq!(
        c.description.as_deref(),
        Some("Body of 2.\n\nCo-authored-by: Bob <bob@example.org>")
    );
    let secs: u64 = r
        .git(&["log", "-1", "--format=%at", &commits[1]])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(c.timestamp_ms, Some(secs * 1000));
    assert_eq!(
        attrib_vcs_adapter::pijul::parse_timestamp_ms(&c.timestamp),
        c.timestamp_ms
    );
    assert_eq!(hashes(&g.log().unwrap()), want);

    let top = g.top(2).unwrap();
    assert_eq!(
        top,
        vec![
            (want[3].clone(), Some(commits[3].clone())),
            (want[2].clone(), Some(commits[2].clone())),
        ]
    );
    assert_eq!(g.state().unwrap().as_deref(), Some(commits[3].as_str()));
    assert_eq!(
        hashes(&g.newest(3).unwrap()),
        vec![want[3].clone(), want[2].clone(), want[1].clone()]
    );
    assert!(g.top(0).unwrap().is_empty());
    assert_eq!(g.top(10).unwrap().len(), 4);

    assert_eq!(
        hashes(&g.changes_since(Some(&commits[1])).unwrap()),
        want[2..].to_vec()
    );
    assert!(g.changes_since(Some(&commits[3])).unwrap().is_empty());
    assert_eq!(hashes(&g.changes_since(None).unwrap()), want);
    let bogus = "0123456789abcdef0123456789abcdef01234567";
    assert!(matches!(
        g.changes_since(Some(bogus)),
        Err(VcsError::UnknownChange(_))
    ));
    // A state that left the branch (after a reset) is not on it any more.
    r.git(&["reset", "-q", "--hard", "HEAD~2"]);
    assert!(matches!(
        g.changes_since(Some(&commits[3])),
        Err(VcsError::UnknownChange(_))
    ));
    assert_eq!(g.channel_log().unwrap().changes.len(), 2);
}

#[test]
fn blame_credits_old_lines_to_their_commit_and_a_new_line_to_its_own() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let c1 = r.commit_file("f.txt", "alpha\nbeta\ngamma\n", "three lines");
    let c2 = r.commit_file(
        "f.txt",
        "alpha\ninserted\nbeta\ngamma\n",
        "insert above beta",
    );
    let g = r.driver();
    let (p1, p2) = (r.id_of(&c1), r.id_of(&c2));
    let line = |start: usize, count: usize, p: Option<&PatchId>, content: &str| CreditEntry::Line {
        start_line: start,
        line_count: count,
        changes: p.map(|p| vec![p.to_string()]).unwrap_or_default(),
        conflict: None,
        content: content.to_string(),
    };
    let credit = g.credit(Path::new("f.txt")).unwrap();
    assert_eq!(
        credit,
        vec![
            line(1, 1, Some(&p1), "alpha\n"),
            line(2, 1, Some(&p2), "inserted\n"),
            line(3, 2, Some(&p1), "beta\ngamma\n"),
        ]
    );
    // The inserter of each run is the one change it names.
    let positions = g.positions(&g.log().unwrap());
    assert_eq!(credit[1].inserter(&positions), Some(p2.clone()));

    // Uncommitted lines name no change; a missing final newline is kept.
    r.write("f.txt", "alpha\ninserted\nbeta\ngamma\ndraft");
    let credit = g.credit(Path::new("f.txt")).unwrap();
    assert_eq!(credit.last(), Some(&line(5, 1, None, "draft")));
    assert_eq!(credit[2], line(3, 2, Some(&p1), "beta\ngamma\n"));

    // In a subdirectory, by its path from the root.
    let c3 = r.commit_file("sub/dir/g.txt", "x\n", "nested");
    assert_eq!(
        g.credit(Path::new("sub/dir/g.txt")).unwrap(),
        vec![line(1, 1, Some(&r.id_of(&c3)), "x\n")]
    );
    assert!(g.credit(Path::new("no/such/file")).is_err());
}

#[test]
fn added_lines_are_numbered_in_the_new_file() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    r.write("f.txt", "a\nb\nc\nd\n");
    r.write("gone.txt", "bye\n");
    let c1 = r.commit("base");
    r.write("f.txt", "a\nNEW1\nb\nc\nNEW2\nNEW3\nd\n");
    r.write("new dir/n.txt", "fresh\n+++ tricky\n");
    fs::remove_file(r.root.join("gone.txt")).unwrap();
    let c2 = r.commit("adds");
    let g = r.driver();
    let got: Vec<(String, u32, String)> = g
        .added_lines(&r.id_of(&c2))
        .unwrap()
        .into_iter()
        .map(|l| (l.file, l.line, l.text))
        .collect();
    let s = |f: &str, n: u32, t: &str| (f.to_string(), n, t.to_string());
    assert_eq!(
        got,
        vec![
            s("f.txt", 2, "NEW1"),
            s("f.txt", 5, "NEW2"),
            s("f.txt", 6, "NEW3"),
            s("new dir/n.txt", 1, "fresh"),
            s("new dir/n.txt", 2, "+++ tricky"),
        ]
    );
    let root_lines = g.added_lines(&r.id_of(&c1)).unwrap();
    assert_eq!(root_lines.len(), 5, "a root commit adds every line");
    let unknown = PatchId::new(&"f".repeat(40)).unwrap();
    assert!(matches!(
        g.added_lines(&unknown),
        Err(VcsError::UnknownChange(_))
    ));
    assert!(matches!(
        g.dependencies(&unknown),
        Err(VcsError::UnknownChange(_))
    ));
    assert_eq!(g.dependencies(&r.id_of(&c2)).unwrap(), vec![r.id_of(&c1)]);
    assert!(g.dependencies(&r.id_of(&c1)).unwrap().is_empty());
}

#[test]
fn unrecord_takes_only_head_off() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let c1 = r.commit_file("f", "1\n", "one");
    let c2 = r.commit_file("f", "1\n2\n", "two");
    let c3 = r.commit_file("f", "1\n2\n3\n", "three");
    let g = r.driver();
    let (p1, p2, p3) = (r.id_of(&c1), r.id_of(&c2), r.id_of(&c3));

    let err = g.unrecord(&p2).unwrap_err();
    assert!(err.to_string().contains("git rebase"), "{err}");
    assert_eq!(r.head(), c3, "nothing moved");

    g.unrecord(&p3).unwrap();
    assert_eq!(r.head(), c2);
    // The edits stay, staged.
    assert_eq!(fs::read_to_string(r.root.join("f")).unwrap(), "1\n2\n3\n");
    assert_eq!(r.git(&["diff", "--cached", "--name-only"]).trim(), "f");
    assert!(matches!(g.unrecord(&p3), Err(VcsError::UnknownChange(_))));

    g.unrecord(&p2).unwrap();
    g.unrecord(&p1).unwrap();
    // Back to a branch without commits, files staged.
    assert_eq!(g.state().unwrap(), None);
    assert!(g.channel_log().unwrap().changes.is_empty());
    assert_eq!(g.current_channel().unwrap(), "main");
    assert_eq!(r.git(&["diff", "--cached", "--name-only"]).trim(), "f");
}

#[test]
fn a_repository_without_commits_has_an_empty_log() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let g = r.driver();
    g.check_version().unwrap();
    let log = g.channel_log().unwrap();
    assert_eq!(log.state, None);
    assert!(log.changes.is_empty());
    assert_eq!(g.state().unwrap(), None);
    assert!(g.top(3).unwrap().is_empty());
    assert!(g.newest(3).unwrap().is_empty());
    assert!(g.changes_since(None).unwrap().is_empty());
    assert_eq!(g.current_channel().unwrap(), "main");
    assert!(g.tracked_files().unwrap().is_empty());
    assert!(g.fingerprint().is_some());
    let some = PatchId::new(&"a".repeat(40)).unwrap();
    assert_eq!(g.commit_of(&some).unwrap(), None);
    assert!(matches!(g.unrecord(&some), Err(VcsError::UnknownChange(_))));
    assert!(matches!(
        g.record_amend_with(None, &[], &mut |_| {}),
        Err(VcsError::UnknownChange(_))
    ));
    // The first record works from here.
    r.write("f", "x\n");
    r.git(&["add", "f"]);
    let id = g.record_with(&args(&["-m", "root"]), &mut |_| {}).unwrap();
    assert_eq!(hashes(&g.channel_log().unwrap().changes), vec![id]);
}

#[test]
fn a_detached_head_is_a_channel_too() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let c1 = r.commit_file("f", "1\n", "one");
    r.commit_file("f", "1\n2\n", "two");
    r.git(&["checkout", "-q", "--detach", &c1]);
    let g = r.driver();
    assert_eq!(g.current_channel().unwrap(), "HEAD");
    let log = g.channel_log().unwrap();
    assert_eq!(log.state.as_deref(), Some(c1.as_str()));
    assert_eq!(log.changes.len(), 1);
    r.write("g", "detached work\n");
    r.git(&["add", "g"]);
    let id = g
        .record_with(&args(&["-m", "on a detached head"]), &mut |_| {})
        .unwrap();
    assert_eq!(g.top(1).unwrap()[0].0, id);
    g.unrecord(&id).unwrap();
    assert_eq!(r.head(), c1);
    // A detached HEAD at a root commit cannot lose it (git would lose HEAD itself).
    let root_id = r.id_of(&c1);
    let err = g.unrecord(&root_id).unwrap_err();
    assert!(err.to_string().contains("detached"), "{err}");
    assert_eq!(r.head(), c1);
}

#[test]
fn a_shallow_clone_works() {
    let sb = Sandbox::new();
    let r = sb.repo("origin");
    r.commit_file("f", "1\n", "one");
    r.commit_file("f", "1\n2\n", "two");
    let c3 = r.commit_file("f", "1\n2\n3\n", "three");
    let url = format!("file://{}", r.root.display());
    let clone = sb.path("clone");
    sb.git_in(
        sb.dir.path(),
        &["clone", "-q", "--depth", "1", &url, "clone"],
    );
    let cache = sb.path("cache");
    fs::create_dir_all(&cache).unwrap();
    let g = sb.driver(&clone).with_cache_dir(&cache);
    let log = g.channel_log().unwrap();
    assert_eq!(log.state.as_deref(), Some(c3.as_str()));
    assert_eq!(log.changes.len(), 1);
    // The boundary commit's diff is its whole tree.
    let whole = &log.changes[0].hash;
    assert_ne!(whole, &r.id_of(&c3));
    assert_eq!(g.added_lines(whole).unwrap().len(), 3);
    assert!(g.dependencies(whole).unwrap().is_empty());
    let credit = g.credit(Path::new("f")).unwrap();
    assert!(
        matches!(&credit[0], CreditEntry::Line { changes, line_count: 3, .. } if changes == &vec![whole.to_string()])
    );

    // Deepened, the commit has a parent again: the cached boundary id is dropped, and it
    // gets its real patch id.
    let cloned = Repo {
        sb: &sb,
        root: clone.clone(),
    };
    cloned.git(&["fetch", "-q", "--unshallow"]);
    let g = sb.driver(&clone).with_cache_dir(&cache);
    let log = g.channel_log().unwrap();
    assert_eq!(log.changes.len(), 3);
    assert_eq!(log.changes[2].hash, r.id_of(&c3));
}

#[test]
fn combined_patch_id_names_a_squash() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let c1 = r.commit_file("f", "1\n", "one");
    r.write("f", "1\n2\n");
    r.write("g", "new\n");
    let c2 = r.commit("two");
    let c3 = r.commit_file("f", "0\n1\n2\n", "three");
    let g = r.driver();
    let combined = g.combined_patch_id(&c2, &c3).unwrap().unwrap();
    let from_root = g.combined_patch_id(&c1, &c3).unwrap().unwrap();
    assert_eq!(
        g.combined_patch_id(&c3, &c3).unwrap(),
        Some(r.id_of(&c3)),
        "one commit's combined diff is its own"
    );

    r.git(&["reset", "-q", "--soft", &c1]);
    let squash = r.commit("two and three, squashed");
    assert_eq!(r.id_of(&squash), combined);
    r.git(&["reset", "-q", "--soft", &squash]);
    r.git(&["update-ref", "-d", "HEAD"]);
    let all = r.commit("everything at once");
    assert_eq!(r.id_of(&all), from_root);
    assert!(matches!(
        g.combined_patch_id("0123456789abcdef0123456789abcdef01234567", &c3),
        Err(VcsError::UnknownChange(_))
    ));
    assert!(g.combined_patch_id("--output=x", &c3).is_err());
}

#[test]
fn the_map_cache_survives_a_reload_and_a_damaged_one_is_rebuilt() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let commits = varied_history(&r);
    let cache = sb.path("cache");
    fs::create_dir_all(&cache).unwrap();
    let g = r.driver().with_cache_dir(&cache);
    let ids = g.patch_ids(&commits).unwrap();
    assert!(cache.join(CACHE_FILE).exists());

    // A driver that cannot run git at all answers from the file.
    let offline = || {
        r.driver()
            .with_binary("attrib-no-such-git-binary")
            .with_cache_dir(&cache)
    };
    assert_eq!(offline().patch_ids(&commits).unwrap(), ids);

    // A record lands in the journal, and is known after a reload.
    r.write("late.txt", "late\n");
    r.git(&["add", "late.txt"]);
    let id = g.record_with(&args(&["-m", "late"]), &mut |_| {}).unwrap();
    assert!(cache.join(JOURNAL_FILE).exists());
    let head = r.head();
    assert_eq!(
        offline().patch_ids(std::slice::from_ref(&head)).unwrap()[&head],
        id
    );

    // A commit made by plain git is computed at the next read (a batch of one, journaled).
    let plain = r.commit_file("plain.txt", "plain\n", "plain git commit");
    let log = r.driver().with_cache_dir(&cache).channel_log().unwrap();
    let plain_id = log.changes.last().unwrap().hash.clone();
    assert_eq!(
        offline().patch_ids(std::slice::from_ref(&plain)).unwrap()[&plain],
        plain_id
    );

    // Damaged: ignored, so the offline driver must compute (and cannot)…
    let mut bytes = fs::read(cache.join(CACHE_FILE)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    fs::write(cache.join(CACHE_FILE), &bytes).unwrap();
    assert!(matches!(
        offline().patch_ids(&commits),
        Err(VcsError::Missing { .. })
    ));
    // …and a working one rebuilds it.
    assert_eq!(
        r.driver()
            .with_cache_dir(&cache)
            .patch_ids(&commits)
            .unwrap(),
        ids
    );
    assert_eq!(offline().patch_ids(&commits).unwrap(), ids);
    fs::write(cache.join(CACHE_FILE), b"").unwrap();
    assert_eq!(
        r.driver()
            .with_cache_dir(&cache)
            .patch_ids(&commits)
            .unwrap(),
        ids
    );

    // A cache directory that cannot be written only costs recomputing.
    let nowhere = sb.path("no/such/dir");
    let g = r.driver().with_cache_dir(&nowhere);
    assert_eq!(g.patch_ids(&commits).unwrap(), ids);
    assert!(!nowhere.exists());
}

#[test]
fn the_fingerprint_moves_with_head_only() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let g = r.driver();
    let empty = g.fingerprint().unwrap();
    r.commit_file("f", "1\n", "one");
    let one = g.fingerprint().unwrap();
    assert_ne!(empty, one);
    // Reads, a status, a new untracked file, a tag: HEAD did not move.
    g.channel_log().unwrap();
    r.git(&["status", "--short"]);
    r.write("untracked", "x\n");
    r.git(&["tag", "v1"]);
    assert_eq!(g.fingerprint(), Some(one));
    r.commit_file("f", "1\n2\n", "two");
    let two = g.fingerprint().unwrap();
    assert_ne!(two, one);
    // Packing the refs moves the branch into `packed-refs`; going back to one, then forward.
    r.git(&["pack-refs", "--all"]);
    let packed = g.fingerprint().unwrap();
    r.git(&["reset", "-q", "--soft", "HEAD~1"]);
    assert_ne!(g.fingerprint(), Some(packed));
    // A branch switch moves it even when the commit is the same.
    let before = g.fingerprint().unwrap();
    r.git(&["checkout", "-q", "-b", "other"]);
    assert_ne!(g.fingerprint(), Some(before));
    // Outside a repository there is none.
    assert_eq!(sb.driver(&sb.path("home")).fingerprint(), None);
}

#[test]
fn a_linked_worktree_is_its_own_channel() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    r.commit_file("f", "1\n", "one");
    let wt = sb.path("wt");
    r.git(&["worktree", "add", "-q", "-b", "topic", wt.to_str().unwrap()]);
    let g = sb.driver(&wt);
    assert_eq!(g.current_channel().unwrap(), "topic");
    let before = g.fingerprint().unwrap();
    fs::write(wt.join("g"), "2\n").unwrap();
    sb.git_in(&wt, &["add", "g"]);
    let id = g
        .record_with(&args(&["-m", "in the worktree"]), &mut |_| {})
        .unwrap();
    assert_ne!(g.fingerprint(), Some(before));
    assert_eq!(g.top(1).unwrap()[0].0, id);
    assert_eq!(r.driver().current_channel().unwrap(), "main");
    assert_eq!(r.driver().channel_log().unwrap().changes.len(), 1);
}

#[test]
fn tracked_files_are_listed_from_the_root() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    r.write("a.txt", "a\n");
    r.write("dir/b c.txt", "b\n");
    r.write("dir/gone.txt", "x\n");
    r.commit("files");
    r.write("untracked.txt", "u\n");
    fs::remove_file(r.root.join("dir/gone.txt")).unwrap();
    let mut files = r.driver().tracked_files().unwrap();
    files.sort();
    assert_eq!(
        files,
        vec![PathBuf::from("a.txt"), PathBuf::from("dir/b c.txt")]
    );
}

#[test]
fn bad_repositories_are_one_line_errors() {
    let sb = Sandbox::new();
    let outside = sb.path("home");
    let g = sb.driver(&outside);
    let err = g.channel_log().unwrap_err();
    assert!(matches!(err, VcsError::NotARepo { .. }), "{err}");
    assert!(g.current_channel().is_err());
    assert!(g.record_with(&args(&["-m", "x"]), &mut |_| {}).is_err());

    // A blob gone missing: reading the history fails with one line, no panic.
    let r = sb.repo("r");
    let c1 = r.commit_file("f", "content that will go missing\n", "one");
    let blob = r.git(&["rev-parse", &format!("{c1}:f")]).trim().to_string();
    let object = r
        .root
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    fs::remove_file(object).unwrap();
    // (git would read an unchanged working file in the blob's place)
    fs::remove_file(r.root.join("f")).unwrap();
    let err = r.driver().channel_log().unwrap_err();
    let text = err.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(matches!(err, VcsError::Failed { .. }), "{text}");
    // The driver stays usable for what does not need the object.
    assert_eq!(r.driver().current_channel().unwrap(), "main");
    assert!(matches!(
        r.driver().patch_ids(&["not-a-commit".to_string()]),
        Err(VcsError::UnknownChange(_))
    ));
}

#[test]
fn commit_of_finds_the_newest_commit_deep_in_history() {
    let sb = Sandbox::new();
    let r = sb.repo("r");
    let mut commits = Vec::new();
    for i in 0..40 {
        r.write(&format!("f{i}"), &format!("{i}\n"));
        commits.push(r.commit(&format!("c{i}")));
    }
    let g = r.driver();
    let ids: HashMap<String, PatchId> = g.patch_ids(&commits).unwrap();
    for i in [0, 5, 20, 39] {
        assert_eq!(
            g.commit_of(&ids[&commits[i]]).unwrap().as_deref(),
            Some(commits[i].as_str())
        );
    }
    assert_eq!(
        g.dependencies(&ids[&commits[1]]).unwrap(),
        vec![ids[&commits[0]].clone()]
    );
}
