//! attrib with the real Atomic (castingclouds/atomic at f1c1dcf, `atomic 1.1.0`, built into
//! `~/.cargo/bin/atomic` by `../shared/atomic/build.sh`, which `.ci/run` runs): the store in
//! `.atomic/attrib`, records through `atomic`, plain `atomic record`s found by reconciliation
//! (and attested through the pre-record hook, which Atomic reads from `.atomic/config`), pull
//! and apply between two repositories, unrecord, amend, blame, log and stats, and Atomic's own
//! attribution: imported as claims with origin `imported`, its invented 80% confidence marked
//! as its default, and shown beside the attestations where they disagree.
//!
//! Without `atomic` on PATH the tests print why and pass without running, unless
//! `ATTRIB_REQUIRE_ATOMIC=1` (CI) makes that a failure.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use attrib_vcs_adapter::testing::Requirement;
use serde_json::Value;

use crate::pijul_flow::{self, find, only_attestation, row};
use crate::pijul_world::{attrib_in, attrib_record, log_with_stderr, record_json, VcsWorld};
use crate::support::{Output, Sandbox, User};

/// `ATTRIB_REQUIRE_ATOMIC=1`: the tests that drive the real `atomic` must run.
const REQUIRE_ATOMIC: Requirement = Requirement {
    var: "ATTRIB_REQUIRE_ATOMIC",
    tests: "the Atomic tests",
    hint: "build it with ../shared/atomic/build.sh, as .ci/run does",
};

/// A sandbox whose HOME holds an Atomic identity (Atomic signs changes with its own key).
struct AtomicWorld {
    sb: Sandbox,
}

fn missing(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
}

impl AtomicWorld {
    /// None (after printing the reason) when `atomic` is not installed.
    fn new(test: &str) -> Option<AtomicWorld> {
        if missing("atomic", "--version") {
            REQUIRE_ATOMIC.unmet(test, "`atomic` is not installed");
            return None;
        }
        if missing("script", "--version") {
            REQUIRE_ATOMIC.unmet(
                test,
                "`script` (util-linux) is missing: Atomic creates an identity only on a terminal",
            );
            return None;
        }
        let w = AtomicWorld { sb: Sandbox::new() };
        w.identity();
        Some(w)
    }

    /// `atomic identity new` asks on a terminal even with flags (`--no-prompt` fails with
    /// "Cannot get path of un-named identity"): answered through `script`'s pseudo-terminal.
    fn identity(&self) {
        let mut child = Command::new("script")
            .args(["-qec", "atomic identity new --no-link ada", "/dev/null"])
            .envs(self.env())
            .env("SHELL", "/bin/sh")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run script");
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"ada\nAda\nada@example.org\nn\n\n\n\n")
            .unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        let made = self
            .home()
            .join(".config/atomic/identities/ada/identity.toml");
        assert!(
            out.status.success() && made.is_file(),
            "atomic identity new failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn home(&self) -> PathBuf {
        self.sb.path().join("home")
    }

    /// What `atomic` needs here (and `attrib`, which runs it): the sandbox's HOME and Atomic's
    /// config directory in it, no editor, no pager.
    fn env(&self) -> Vec<(String, String)> {
        let home = self.home();
        let s = |p: PathBuf| p.display().to_string();
        vec![
            ("HOME".into(), s(home.clone())),
            ("XDG_CONFIG_HOME".into(), s(home.join(".config"))),
            ("ATOMIC_CONFIG_DIR".into(), s(home.join(".config/atomic"))),
            ("EDITOR".into(), "false".into()),
            ("VISUAL".into(), "false".into()),
            ("PAGER".into(), "cat".into()),
            ("NO_COLOR".into(), "1".into()),
        ]
    }

    /// `atomic ARGS` in `dir` as `u` (whose attrib config a pre-record hook finds), with
    /// `extra` variables and none of the test process's capture variables; the output is
    /// returned whether or not it succeeded.
    fn atomic_as<I, S>(&self, u: &User, dir: &Path, args: I, extra: &[(&str, &str)]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<std::ffi::OsString> =
            args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let mut c = Command::new("atomic");
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("ATOMIC_") || k.starts_with("ATTRIB_") {
                c.env_remove(&*k);
            }
        }
        let out = c
            .args(&args)
            .current_dir(dir)
            .envs(self.env())
            .env("ATTRIB_CONFIG_DIR", &u.config)
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run atomic");
        Output {
            args: args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `atomic ARGS` in `u`'s repository; must succeed. Returns stdout.
    #[track_caller]
    fn atomic<I, S>(&self, u: &User, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.atomic_as(u, &u.repo, args, &[]);
        assert!(out.success(), "atomic {} failed: {}", out.args, out.stderr);
        out.stdout
    }

    /// A plain `atomic record ARGS` (no attrib wrapper); returns the new hash.
    #[track_caller]
    fn plain_record(&self, u: &User, args: &[&str]) -> String {
        let mut all = vec!["record"];
        all.extend_from_slice(args);
        let out = self.atomic(u, all);
        let hash = out
            .lines()
            .find_map(|l| l.strip_prefix("Hash: "))
            .unwrap_or_else(|| panic!("no hash in {out:?}"))
            .trim()
            .to_string();
        assert_eq!(hash, self.newest_hash(u));
        hash
    }

    /// A user whose repository is a fresh Atomic repository with an attrib store of team "t".
    fn user(&self, name: &str) -> User {
        let u = self.sb.user(name);
        self.atomic(&u, ["init"]);
        self.attrib(&u, ["init", "--team", "t", "--name", name], &[])
            .ok();
        u
    }

    /// A second member of `founder`'s team whose repository is an `atomic clone` of the
    /// founder's.
    fn clone_member(&self, founder: &User, name: &str) -> User {
        let u = self.sb.user(name);
        fs::remove_dir(&u.repo).unwrap();
        let out = self.atomic_as(
            founder,
            self.sb.path(),
            [
                OsStr::new("clone"),
                founder.repo.as_os_str(),
                u.repo.as_os_str(),
            ],
            &[],
        );
        assert!(out.success(), "atomic clone: {}", out.stderr);
        assert!(u.repo.join(".atomic/pristine").is_dir());
        assert!(
            !u.repo.join(".atomic/attrib").exists(),
            "a clone copies no store"
        );
        self.attrib(&u, ["identity", "new", "--name", name], &[])
            .ok();
        let key = u.pubkey();
        self.attrib(founder, ["team", "add", &key, "--name", name], &[])
            .ok();
        let genesis = self.export(founder);
        self.attrib(
            &u,
            [
                OsStr::new("init"),
                OsStr::new("--join"),
                genesis.as_os_str(),
            ],
            &[],
        )
        .ok();
        u
    }

    /// `attrib ARGS` as `u`, with Atomic's environment and `extra` variables.
    fn attrib<I, S>(&self, u: &User, args: I, extra: &[(&str, &str)]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        attrib_in(self, u, args, extra)
    }

    /// `attrib export -o FILE` as `u`; returns the file.
    fn export(&self, u: &User) -> PathBuf {
        let path = self.sb.file(&format!("{}-export", u.name));
        self.attrib(
            u,
            [OsStr::new("export"), OsStr::new("-o"), path.as_os_str()],
            &[],
        )
        .ok();
        path
    }

    /// `attrib import FILE` as `u` (must succeed).
    fn import(&self, u: &User, file: &Path) {
        self.attrib(u, [OsStr::new("import"), file.as_os_str()], &[])
            .ok();
    }

    /// The hashes of `u`'s channel, newest first, root change left out.
    fn hashes(&self, u: &User) -> Vec<String> {
        let text = self.atomic(u, ["log", "--output-format", "json"]);
        let v: Value = serde_json::from_str(&text).expect("atomic log json");
        v.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["message"].as_str().is_some_and(|m| !m.is_empty()))
            .map(|c| c["hash"].as_str().unwrap().to_string())
            .collect()
    }

    fn newest_hash(&self, u: &User) -> String {
        self.hashes(u).into_iter().next().expect("a change")
    }

    /// Writes `text` to `file` in `u`'s repository and tracks it.
    fn edit(&self, u: &User, file: &str, text: &str) {
        let path = u.repo.join(file);
        let new = !path.exists();
        fs::write(&path, text).unwrap();
        if new {
            self.atomic(u, ["add", file]);
        }
    }
}

impl VcsWorld for AtomicWorld {
    const NAME: &'static str = "Atomic";

    fn vars(&self) -> Vec<(String, String)> {
        self.env()
    }

    fn newest(&self, u: &User) -> String {
        self.newest_hash(u)
    }
}

const OPENAI: &[&str] = &["--ai-provider", "openai", "--ai-model", "gpt-5"];
const HUMAN: &[&str] = &["--no-ai"];

/// `(change, place, status)` of every row, sorted.
fn summary(rows: &[Value]) -> Vec<(String, String, String)> {
    let mut out = pijul_flow::summary(rows);
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------

#[test]
fn init_records_through_atomic_and_log_blame_stats_answer() {
    let Some(w) = AtomicWorld::new("init_records_through_atomic_and_log_blame_stats_answer") else {
        return;
    };
    let u = w.user("ann");
    assert!(
        u.repo.join(".atomic/attrib").is_dir(),
        "the store is in .atomic"
    );
    assert!(!u.repo.join(".pijul").exists() && !u.repo.join(".attrib").exists());

    w.edit(&u, "a.txt", "one\ntwo\n");
    let out = w
        .attrib(
            &u,
            [
                "record",
                "--ai-provider",
                "anthropic",
                "--ai-model",
                "claude-sonnet-4",
                "--",
                "-m",
                "add a.txt",
            ],
            &[],
        )
        .ok();
    assert!(
        out.stdout.starts_with("recorded ") && out.stdout.contains("anthropic/claude-sonnet-4"),
        "{}",
        out.stdout
    );
    let ai = w.newest_hash(&u);
    assert!(out.stdout.contains(&ai), "{}", out.stdout);
    w.edit(&u, "a.txt", "one\ntwo\nthree by hand\n");
    let human = attrib_record(&w, &u, HUMAN, "by hand");
    w.edit(&u, "b.txt", "plain\n");
    let plain = w.plain_record(&u, &["-m", "plain"]);

    let (rows, _) = log_with_stderr(&w, &u, &[]);
    assert_eq!(summary(&rows), {
        let mut want = vec![
            row(&ai, "channel", "attested"),
            row(&human, "channel", "attested"),
            row(&plain, "channel", "unattested"),
        ];
        want.sort();
        want
    });
    assert_eq!(rows[0]["change"], plain.as_str(), "newest first");
    let a = only_attestation(find(&rows, &ai));
    assert_eq!(a["ai"]["model"], "claude-sonnet-4");
    assert_eq!(a["origin"], "person");
    assert_eq!(find(&rows, &ai)["message"], "add a.txt");
    assert!(
        find(&rows, &ai)["authors"]
            .to_string()
            .contains("ada@example.org"),
        "Atomic's author: {rows:#?}"
    );
    let (ai_only, _) = log_with_stderr(&w, &u, &["--ai-only"]);
    assert_eq!(ai_only.len(), 1);

    // blame reads `atomic credit`'s text: each line to the change that inserted it.
    let blame = w.attrib(&u, ["blame", "a.txt", "--json"], &[]).ok().json();
    let rows = blame.as_array().unwrap();
    let by_text = |t: &str| {
        rows.iter()
            .find(|r| r["text"] == t)
            .unwrap_or_else(|| panic!("no line {t:?}: {rows:#?}"))
    };
    assert_eq!(by_text("one")["change"], ai.as_str());
    assert_eq!(by_text("one")["line"], 1);
    assert_eq!(by_text("two")["attribution"]["kind"], "ai");
    assert_eq!(by_text("two")["attribution"]["model"], "claude-sonnet-4");
    assert_eq!(by_text("three by hand")["change"], human.as_str());
    assert_eq!(by_text("three by hand")["attribution"]["kind"], "human");
    assert_eq!(by_text("three by hand")["line"], 3);
    let table = w.attrib(&u, ["blame", "b.txt"], &[]).ok();
    assert!(table.stdout.contains("unattested"), "{}", table.stdout);

    let v = w.attrib(&u, ["stats", "--json"], &[]).ok().json();
    assert_eq!(v["scope"], "channel", "{v:#}");
    assert_eq!(v["patches"]["total"], 3, "{v:#}");
    assert_eq!(v["patches"]["ai"], 1, "{v:#}");
    assert_eq!(v["patches"]["unattested"], 1, "{v:#}");
    assert_eq!(v["lines"]["total"], 4, "{v:#}");
    assert_eq!(v["lines"]["ai"], 2, "{v:#}");
    assert_eq!(v["lines"]["human"], 1, "{v:#}");
    assert_eq!(v["lines"]["unattested"], 1, "{v:#}");

    // Atomic refuses `--all`: attrib passes none, and a user's `-a` gets Atomic's own answer.
    w.edit(&u, "b.txt", "plain\nmore\n");
    w.attrib(&u, ["record", "--no-ai", "--", "-a", "-m", "x"], &[])
        .fails()
        .mentions("'-a'");
    // Without an identity Atomic cannot sign the change: one line says what to do.
    let empty = w.sb.dir("no-atomic-identity");
    w.attrib(
        &u,
        ["record", "--no-ai", "--", "-m", "unsigned"],
        &[("ATOMIC_CONFIG_DIR", empty.to_str().unwrap())],
    )
    .fails()
    .mentions("create one with `atomic identity new`");
    // Nothing to record is said as such.
    attrib_record(&w, &u, HUMAN, "more");
    w.attrib(&u, ["record", "--no-ai", "--", "-m", "again"], &[])
        .fails()
        .mentions("nothing to record");
}

#[test]
fn a_plain_atomic_record_is_found_and_the_hook_attests_it() {
    let Some(w) = AtomicWorld::new("a_plain_atomic_record_is_found_and_the_hook_attests_it") else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "a\n");
    let h0 = w.plain_record(&u, &["-m", "before the hook"]);
    let (rows, _) = log_with_stderr(&w, &u, &["--unattested"]);
    assert_eq!(summary(&rows), [row(&h0, "channel", "unattested")]);

    // Atomic reads its hooks from `.atomic/config` (not `config.toml`).
    let out = w.attrib(&u, ["init", "--install-hooks"], &[]).ok();
    assert!(
        out.stdout.contains("installed the pre-record hook"),
        "{}",
        out.stdout
    );
    let config = fs::read_to_string(u.repo.join(".atomic/config")).unwrap();
    assert_eq!(config.matches("hook pre-record").count(), 1, "{config}");
    assert!(!u.repo.join(".atomic/config.toml").exists());

    // Atomic puts its own `--ai-*` flags into ATOMIC_AI_* before running the hook, so the
    // hook captures what the person told Atomic.
    w.edit(&u, "a.txt", "a\nb\n");
    let h1 = w.plain_record(
        &u,
        &[
            "-m",
            "with atomic's flags",
            "--ai-assisted",
            "--ai-provider",
            "openai",
            "--ai-model",
            "gpt-5",
            "--ai-confidence",
            "0.9",
        ],
    );
    // And from the session's variables.
    w.edit(&u, "a.txt", "a\nb\nc\n");
    let out = w.atomic_as(
        &u,
        &u.repo,
        ["record", "-m", "in a session"],
        &[
            ("ATTRIB_AI_PROVIDER", "anthropic"),
            ("ATTRIB_AI_MODEL", "claude-opus-4"),
        ],
    );
    assert!(out.success(), "{}", out.stderr);
    let h2 = w.newest_hash(&u);

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert!(
        stderr.contains(&format!("note: attested {h1}")) && stderr.contains("pre-record hook"),
        "{stderr}"
    );
    let a = only_attestation(find(&rows, &h1));
    assert_eq!(a["ai"]["provider"], "openai");
    assert_eq!(a["ai"]["model"], "gpt-5");
    assert_eq!(a["ai"]["confidence"], 0.9, "the confidence the person gave");
    assert_eq!(a["origin"], "person");
    let a = only_attestation(find(&rows, &h2));
    assert_eq!(a["ai"]["model"], "claude-opus-4");
    assert_eq!(find(&rows, &h0)["status"], "unattested");
    let (_, stderr) = log_with_stderr(&w, &u, &[]);
    assert!(stderr.is_empty(), "attested once: {stderr}");
}

#[test]
fn pull_and_apply_move_changes_and_export_import_moves_their_attestations() {
    let Some(w) =
        AtomicWorld::new("pull_and_apply_move_changes_and_export_import_moves_their_attestations")
    else {
        return;
    };
    let ann = w.user("ann");
    w.edit(&ann, "base.txt", "base\n");
    let h0 = attrib_record(&w, &ann, HUMAN, "base");
    let bob = w.clone_member(&ann, "bob");
    let (rows, _) = log_with_stderr(&w, &bob, &[]);
    assert_eq!(summary(&rows), [row(&h0, "channel", "attested")]);

    // Bob records with attrib; Ann pulls the change, and gets the attestation by import.
    w.edit(&bob, "bob.txt", "from bob\n");
    let h1 = attrib_record(&w, &bob, OPENAI, "from bob");
    w.atomic(
        &ann,
        [OsStr::new("pull"), OsStr::new("-a"), bob.repo.as_os_str()],
    );
    assert_eq!(w.newest_hash(&ann), h1);
    let (rows, _) = log_with_stderr(&w, &ann, &[]);
    assert_eq!(find(&rows, &h1)["status"], "unattested");
    w.import(&ann, &w.export(&bob));
    let (rows, _) = log_with_stderr(&w, &ann, &[]);
    let a = only_attestation(find(&rows, &h1));
    assert_eq!(a["author"]["name"], "bob");
    assert_eq!(a["ai"]["model"], "gpt-5");

    // Ann records; Bob applies the change file from her repository. (An edit of a file both
    // have: atomic 1.1.0 applies a change that only adds a file to the channel without
    // writing the file into the working copy, until `atomic reset --force`.)
    w.edit(&ann, "base.txt", "base\nfrom ann\n");
    let h2 = attrib_record(&w, &ann, HUMAN, "from ann");
    let file = ann
        .repo
        .join(".atomic/changes")
        .join(&h2[..2])
        .join(format!("{}.change", &h2[2..]));
    assert!(
        file.is_file(),
        "Atomic keeps the change at {}",
        file.display()
    );
    w.atomic(&bob, [OsStr::new("apply"), file.as_os_str()]);
    assert_eq!(w.newest_hash(&bob), h2);
    assert_eq!(
        fs::read_to_string(bob.repo.join("base.txt")).unwrap(),
        "base\nfrom ann\n"
    );
    let (rows, _) = log_with_stderr(&w, &bob, &[]);
    assert_eq!(find(&rows, &h2)["status"], "unattested");
    w.import(&bob, &w.export(&ann));
    let (rows, _) = log_with_stderr(&w, &bob, &[]);
    assert_eq!(summary(&rows), {
        let mut want = vec![
            row(&h0, "channel", "attested"),
            row(&h1, "channel", "attested"),
            row(&h2, "channel", "attested"),
        ];
        want.sort();
        want
    });
    assert_eq!(only_attestation(find(&rows, &h2))["author"]["name"], "ann");

    // An attestation of a change this repository does not have: `show` answers from the
    // overlay, with nothing to say of Atomic's attribution (and no warning).
    w.edit(&ann, "base.txt", "base\nfrom ann\nonly here\n");
    let h3 = attrib_record(&w, &ann, OPENAI, "only in ann's");
    w.import(&bob, &w.export(&ann));
    let out = w.attrib(&bob, ["show", &h3], &[]).ok();
    assert!(out.stdout.contains("openai/gpt-5"), "{}", out.stdout);
    assert!(!out.stdout.contains("atomic's own"), "{}", out.stdout);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let out = w.attrib(&bob, ["show", &h2], &[]).ok();
    assert!(
        out.stdout.contains("atomic's own attribution: none"),
        "{}",
        out.stdout
    );
}

#[test]
fn unrecord_and_amend() {
    let Some(w) = AtomicWorld::new("unrecord_and_amend") else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\n");
    let h0 = attrib_record(&w, &u, HUMAN, "base");
    w.edit(&u, "a.txt", "one\ntwo\n");
    let h1 = attrib_record(&w, &u, OPENAI, "two");

    // Unrecorded: off the channel, its attestation kept; the working copy keeps the edit.
    w.atomic(&u, ["unrecord", &h1]);
    let (rows, _) = log_with_stderr(&w, &u, &["--all"]);
    assert_eq!(summary(&rows), {
        let mut want = vec![
            row(&h0, "channel", "attested"),
            row(&h1, "off-channel", "attested"),
        ];
        want.sort();
        want
    });
    assert_eq!(
        fs::read_to_string(u.repo.join("a.txt")).unwrap(),
        "one\ntwo\n"
    );

    // A wrapped amend: the new hash is attested as replacing the old.
    let h2 = attrib_record(&w, &u, OPENAI, "two again");
    w.edit(&u, "a.txt", "one\ntwo\nthree\n");
    let v = record_json(&w, &u, &[], &["--amend", "-m", "two, amended"]);
    let h3 = v["patch"].as_str().unwrap().to_string();
    assert_ne!(h3, h2);
    assert_eq!(h3, w.newest_hash(&u));
    assert_eq!(v["replaces"], h2.as_str());
    assert_eq!(v["ai"]["model"], "gpt-5", "carried over");
    assert_eq!(w.hashes(&u), [h3.clone(), h0.clone()]);

    // A plain `atomic record --amend` (it keeps the change's authors and timestamp): the
    // attestation is carried over at the next command.
    w.edit(&u, "a.txt", "one\ntwo\nthree\nfour\n");
    w.atomic(&u, ["record", "--amend", "-m", "amended by atomic"]);
    let h4 = w.newest_hash(&u);
    assert_ne!(h4, h3);
    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert!(
        stderr.contains(&format!("carried over from {h3}, which it amends")),
        "{stderr}"
    );
    let a = only_attestation(find(&rows, &h4));
    assert_eq!(a["replaces"], h3.as_str());
    assert_eq!(a["ai"]["model"], "gpt-5");
    assert_eq!(find(&rows, &h4)["message"], "amended by atomic");
}

#[test]
fn a_conflicting_pull_blames_with_marker_rows() {
    let Some(w) = AtomicWorld::new("atomic_a_conflicting_pull_blames_with_marker_rows") else {
        return;
    };
    let ann = w.user("ann");
    w.edit(&ann, "a.txt", "base\n");
    attrib_record(&w, &ann, HUMAN, "base");
    let bob = w.clone_member(&ann, "bob");
    w.edit(&ann, "a.txt", "ann's line\n");
    let mine = attrib_record(&w, &ann, OPENAI, "ann edits");
    w.edit(&bob, "a.txt", "bob's line\n");
    let theirs = attrib_record(&w, &bob, HUMAN, "bob edits");
    w.atomic(
        &ann,
        [OsStr::new("pull"), OsStr::new("-a"), bob.repo.as_os_str()],
    );
    w.import(&ann, &w.export(&bob));
    let text = fs::read_to_string(ann.repo.join("a.txt")).unwrap();
    assert!(text.contains(">>>>>>>"), "a conflict: {text}");

    let rows = w
        .attrib(&ann, ["blame", "a.txt", "--json"], &[])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .clone();
    let kinds: Vec<&str> = rows.iter().filter_map(|r| r["marker"].as_str()).collect();
    assert_eq!(kinds, ["start", "separator", "end"], "{rows:#?}");
    let mut sides: Vec<&str> = rows
        .iter()
        .filter_map(|m| m["sides"].as_array())
        .flatten()
        .map(|s| s.as_str().unwrap())
        .collect();
    sides.sort();
    let mut both = vec![mine.as_str(), theirs.as_str()];
    both.sort();
    assert_eq!(sides, both, "full hashes from Atomic's prefixes: {rows:#?}");
    let line = |t: &str| {
        rows.iter()
            .find(|r| r["text"] == t)
            .unwrap_or_else(|| panic!("no line {t:?}: {rows:#?}"))
    };
    assert_eq!(line("ann's line")["change"], mine.as_str());
    assert_eq!(line("ann's line")["attribution"]["model"], "gpt-5");
    assert_eq!(line("bob's line")["change"], theirs.as_str());
    assert_eq!(line("bob's line")["attribution"]["kind"], "human");
    assert!(line("bob's line")["conflict"].is_number());
}

#[test]
fn atomics_own_attribution_is_imported_and_its_default_confidence_marked() {
    let Some(w) =
        AtomicWorld::new("atomics_own_attribution_is_imported_and_its_default_confidence_marked")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "a\n");
    // Atomic's own flags: it stores 80% whatever --ai-confidence says.
    let stated = w.plain_record(
        &u,
        &[
            "-m",
            "by claude code",
            "--ai-assisted",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
            "--ai-confidence",
            "0.95",
        ],
    );
    let printed = w.atomic(&u, ["log", "--attribution", "--limit", "1"]);
    assert!(
        printed.contains(
            "AI-Assisted: Yes (anthropic)//claude-sonnet-4 [Complete] (Confidence: 80.0%)"
        ),
        "Atomic prints its own 80%: {printed}"
    );
    w.edit(&u, "b.txt", "b\n");
    let guessed = w.plain_record(&u, &["-m", "tidy up what gpt wrote"]);
    w.edit(&u, "c.txt", "c\n");
    let none = w.plain_record(&u, &["-m", "by hand"]);

    let v = w
        .attrib(&u, ["import", "--from", "atomic", "--json"], &[])
        .ok()
        .json();
    assert_eq!(v["format"], "atomic", "{v:#}");
    assert_eq!(v["changes"], 3, "{v:#}");
    assert_eq!(v["attested"], serde_json::json!([stated]), "{v:#}");
    assert_eq!(v["guessed"], serde_json::json!([guessed]), "{v:#}");
    assert_eq!(v["without_attribution"], 1, "{v:#}");
    assert_eq!(
        v["default_confidence"],
        serde_json::json!([stated]),
        "{v:#}"
    );

    let (rows, _) = log_with_stderr(&w, &u, &[]);
    let a = only_attestation(find(&rows, &stated));
    assert_eq!(a["origin"], "imported");
    assert_eq!(a["author"]["name"], "ann");
    assert_eq!(a["ai"]["provider"], "anthropic");
    assert_eq!(a["ai"]["model"], "claude-sonnet-4");
    assert_eq!(a["ai"]["suggestion_type"], "complete");
    assert_eq!(
        a["ai"]["confidence"],
        Value::Null,
        "Atomic's 80% is not data"
    );
    let d = a["description"].as_str().unwrap();
    assert!(d.contains("atomic's own attribution"), "{d}");
    assert!(d.contains("confidence: atomic default"), "{d}");
    assert_eq!(find(&rows, &guessed)["status"], "unattested");
    assert_eq!(find(&rows, &none)["status"], "unattested");

    // Again: nothing new. The text form says the same in a line.
    let out = w.attrib(&u, ["import", "--from", "atomic"], &[]).ok();
    assert!(
        out.stdout
            .starts_with("read 3 Atomic change(s): attested 0")
            && out.stdout.contains("1 unchanged")
            && out.stdout.contains("confidence: atomic default (80%)"),
        "{}",
        out.stdout
    );

    // The whole history costs one `atomic` process, not one per change: counted through a
    // wrapper that runs the real `atomic`.
    let calls = w.sb.path().join("atomic-calls");
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v atomic"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let wrapper = w.sb.dir("counting-bin").join("counted-atomic");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
            calls.display(),
            real.trim()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).unwrap();
    }
    w.attrib(
        &u,
        ["import", "--from", "atomic"],
        &[("ATTRIB_VCS_BINARY", wrapper.to_str().unwrap())],
    )
    .ok();
    let made = fs::read_to_string(&calls).unwrap();
    let reads: Vec<&str> = made
        .lines()
        .filter(|l| l.contains("attribution") || l.starts_with("change"))
        .collect();
    assert_eq!(reads, ["log --attribution --output-format json"], "{made}");

    // `show` puts Atomic's own attribution beside the attestation: they agree.
    let shown = w.attrib(&u, ["show", &stated, "--json"], &[]).ok().json();
    assert_eq!(shown["atomic"]["claim"]["kind"], "stated", "{shown:#}");
    assert_eq!(shown["atomic"]["claim"]["confidence_is_default"], true);
    assert_eq!(shown["atomic"]["disagreements"], serde_json::json!([]));

    // A file and --from together, or --from in another store: one clear line each.
    w.attrib(&u, ["import", "x.jsonl", "--from", "atomic"], &[])
        .usage_err();
    let p = w.sb.pijul_user("pat");
    p.run(["init", "--team", "t", "--name", "pat"]).ok();
    p.run(["import", "--from", "atomic"])
        .fails()
        .mentions("is a Pijul repository, not an Atomic one");
}

#[test]
fn show_says_where_atomics_claim_and_the_attestation_disagree() {
    let Some(w) = AtomicWorld::new("show_says_where_atomics_claim_and_the_attestation_disagree")
    else {
        return;
    };
    let u = w.user("ann");
    // The person attests openai/gpt-5 while telling Atomic anthropic/claude-sonnet-4.
    w.edit(&u, "a.txt", "a\n");
    let v = record_json(
        &w,
        &u,
        OPENAI,
        &[
            "-m",
            "two stories",
            "--ai-assisted",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
        ],
    );
    let both = v["patch"].as_str().unwrap().to_string();
    let out = w.attrib(&u, ["show", &both], &[]).ok();
    assert!(
        out.stdout.contains(
            "atomic's own attribution: AI-assisted, anthropic/claude-sonnet-4, complete, confidence: atomic default"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "DISAGREES with ann's attestation (person): provider: atomic anthropic, attested openai; model: atomic claude-sonnet-4, attested gpt-5"
        ),
        "{}",
        out.stdout
    );
    let j = w.attrib(&u, ["show", &both, "--json"], &[]).ok().json();
    let d = &j["atomic"]["disagreements"][0];
    assert_eq!(d["author"], "ann");
    assert_eq!(d["origin"], "person");
    let fields: Vec<&str> = d["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["provider", "model"]);

    // Human by attrib, AI by Atomic.
    w.edit(&u, "b.txt", "b\n");
    let v = record_json(
        &w,
        &u,
        HUMAN,
        &[
            "-m",
            "no AI, says ann",
            "--ai-assisted",
            "--ai-provider",
            "openai",
        ],
    );
    let human = v["patch"].as_str().unwrap().to_string();
    let j = w.attrib(&u, ["show", &human, "--json"], &[]).ok().json();
    let x = &j["atomic"]["disagreements"][0]["differences"][0];
    assert_eq!(x["field"], "ai-assisted", "{j:#}");
    assert_eq!(
        (x["atomic"].as_str(), x["attested"].as_str()),
        (Some("yes"), Some("no"))
    );

    // Atomic's default "No" disagrees with nothing.
    w.edit(&u, "c.txt", "c\n");
    let ai = attrib_record(&w, &u, OPENAI, "AI, atomic not told");
    let out = w.attrib(&u, ["show", &ai], &[]).ok();
    assert!(
        out.stdout
            .contains("atomic's own attribution: none (Atomic prints AI-Assisted: No by default)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("DISAGREES"), "{}", out.stdout);

    // The import keeps the person's own attestations.
    let v = w
        .attrib(&u, ["import", "--from", "atomic", "--json"], &[])
        .ok()
        .json();
    let mut kept: Vec<String> = v["kept_own"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_string())
        .collect();
    kept.sort();
    let mut want = vec![both.clone(), human.clone()];
    want.sort();
    assert_eq!(kept, want, "{v:#}");
    assert_eq!(v["attested"], serde_json::json!([]));
    let (rows, _) = log_with_stderr(&w, &u, &[]);
    assert_eq!(only_attestation(find(&rows, &both))["origin"], "person");
}
