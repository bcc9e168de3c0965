//! The git benchmark: builds a real git history whose 200 commits shape one 1,000-line file,
//! attests every commit in a real attrib store (`.git/attrib`), then prints each figure beside
//! a reference measured in the same run, the ratio, and the bar.
//!
//! Run with `cargo bench -p attrib-cli --bench git`. `ATTRIB_BENCH_DIR` keeps the repositories
//! for profiling; `ATTRIB_BENCH_COMMITS` scales the history, `ATTRIB_BENCH_PAIRS` sets the
//! number of paired runs.
//!
//! - `blame`: `git blame FILE` and `attrib blame FILE` in the attested repository, alternating
//!   which runs first; one warm-up pair is not counted. `attrib blame` runs through its index
//!   (the entry the first run wrote: HEAD and the file stand still), then with `--no-index`
//!   (`git blame` every time).
//! - `record`: each round makes the same edit in three copies of the history and times bare
//!   `git commit -a -m MSG` in `a`, `attrib record --ai-provider … -- -a -m MSG` in `b`, and
//!   `timeout 600 git commit -a -m MSG` in `c` — the floor of any wrapper (one more process).
//!   The order rotates round by round.
//!
//! Ratios are medians of per-pair ratios, so a machine that drifts during the run does not tilt
//! them.

mod common;
#[path = "common/cli.rs"]
mod common_cli;

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attrib_overlay::PatchId;

use common::{
    alternating, bench_dir, copy_tree, env_usize, header, ms, row, spread, summarise, timed, Rng,
};
use common_cli::write_signed_attestations;

const BLAME_FILE: &str = "blame.txt";
const WORDS: [&str; 8] = [
    "parse", "token", "buffer", "index", "render", "merge", "signal", "cache",
];

/// `git` in `dir` with the benchmark's HOME (its global config names the author).
fn git(dir: &Path, home: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::null());
    c
}

/// Runs `cmd`, returning its stdout; panics with its stderr when it fails.
fn output(cmd: &mut Command, what: &str) -> Vec<u8> {
    let out = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Every commit's stable patch id, oldest first, from one `git log -p | git patch-id`.
fn patch_ids(dir: &Path, home: &Path) -> Vec<PatchId> {
    let log = output(
        git(dir, home).args(["log", "--reverse", "-p", "--format=commit %H"]),
        "git log -p",
    );
    let mut child = git(dir, home)
        .args(["patch-id", "--stable"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run git patch-id");
    child
        .stdin
        .take()
        .expect("patch-id's stdin")
        .write_all(&log)
        .expect("feed git patch-id");
    let out = child.wait_with_output().expect("git patch-id");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(|p| PatchId::new(p).expect("a patch id"))
        .collect()
}

fn line(rng: &mut Rng, tag: &str) -> String {
    let w = |r: &mut Rng| WORDS[r.below(WORDS.len() as u64) as usize];
    format!(
        "    let {}_{} = {}({});  // {tag}",
        w(rng),
        rng.below(1000),
        w(rng),
        rng.below(100_000)
    )
}

pub fn main() {
    let commits = env_usize("ATTRIB_BENCH_COMMITS", 200).max(2);
    let pairs = env_usize("ATTRIB_BENCH_PAIRS", 21).max(1);
    let bin = env!("CARGO_BIN_EXE_attrib");
    let work = tempfile::tempdir().expect("tempdir");
    let base = bench_dir(
        work.path(),
        &["a", "b", "c", "home", "config", "attestations.jsonl"],
    );
    let (a, b, c, home, config) = (
        base.join("a"),
        base.join("b"),
        base.join("c"),
        base.join("home"),
        base.join("config"),
    );
    for d in [&a, &home] {
        fs::create_dir_all(d).expect("create a directory");
    }
    for (k, v) in [
        ("user.name", "Bench"),
        ("user.email", "bench@example.org"),
        ("init.defaultBranch", "main"),
    ] {
        output(
            git(&home, &home).args(["config", "--global", k, v]),
            "git config",
        );
    }
    let version = String::from_utf8_lossy(&output(git(&a, &home).arg("--version"), "git"))
        .trim()
        .to_string();

    // 1. The history: every commit inserts 1,000/COMMITS lines at a random place of the file.
    eprintln!("committing {commits} changes with bare {version}...");
    let start = Instant::now();
    output(git(&a, &home).args(["init", "-q"]), "git init");
    let per = (1000 / commits).max(1);
    let mut rng = Rng(11);
    let mut lines: Vec<String> = Vec::new();
    for i in 0..commits {
        let at = rng.below(lines.len() as u64 + 1) as usize;
        let new: Vec<String> = (0..per)
            .map(|k| line(&mut rng, &format!("c{i}.{k}")))
            .collect();
        lines.splice(at..at, new);
        fs::write(a.join(BLAME_FILE), lines.join("\n") + "\n").expect("write the file");
        output(git(&a, &home).args(["add", BLAME_FILE]), "git add");
        output(
            git(&a, &home).args(["commit", "-q", "-m", &format!("change {i}")]),
            "git commit",
        );
    }
    for copy in [&b, &c] {
        copy_tree(&a, copy);
    }

    // 2. Repository b gets a store with one attestation per commit.
    let attrib = |dir: &Path| {
        let mut cmd = Command::new(bin);
        cmd.current_dir(dir)
            .env("HOME", &home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("ATTRIB_CONFIG_DIR", &config)
            .stdin(Stdio::null());
        cmd
    };
    timed(
        attrib(&b).args(["init", "--team", "bench", "--name", "Bench"]),
        "attrib init",
    );
    let hashes = patch_ids(&b, &home);
    assert_eq!(hashes.len(), commits, "one patch id per commit");
    let export = base.join("attestations.jsonl");
    let store_dir = b.join(".git").join("attrib");
    write_signed_attestations(&export, &config, &store_dir, &hashes);
    output(attrib(&b).arg("import").arg(&export), "attrib import");
    eprintln!("history built in {:.0} s", start.elapsed().as_secs_f64());

    println!(
        "attrib git benchmark: {commits} commits shaping a {}-line file, {commits} attestations, {version}",
        lines.len()
    );
    header();

    // 3. Blame.
    let blamed: serde_json::Value = serde_json::from_slice(&output(
        attrib(&b).args(["blame", "--json", BLAME_FILE]),
        "attrib blame --json",
    ))
    .expect("attrib blame --json is JSON");
    let rows = blamed.as_array().expect("a JSON array");
    assert_eq!(rows.len(), lines.len(), "attrib blame: one row per line");
    let attested = rows
        .iter()
        .filter(|r| r["attribution"]["kind"] != "unattested")
        .count();
    assert_eq!(attested, lines.len(), "every line's commit is attested");
    let git_blame = || timed(git(&b, &home).args(["blame", BLAME_FILE]), "git blame");
    let blame = || timed(attrib(&b).args(["blame", BLAME_FILE]), "attrib blame");
    let blame_direct = || {
        timed(
            attrib(&b).args(["blame", "--no-index", BLAME_FILE]),
            "attrib blame --no-index",
        )
    };
    git_blame();
    blame();
    // Through the index (its entry written by the `--json` run above), then without it:
    // `git blame` every time, which is what the bar was set for.
    for (what, runs) in [
        ("warm index", alternating(pairs, git_blame, blame)),
        ("--no-index", alternating(pairs, git_blame, blame_direct)),
    ] {
        let (ratio, reference, ours, ratios) = summarise(&runs);
        row(
            &format!("attrib blame ({} lines, {what})", lines.len()),
            &ms(ours),
            &format!("git blame {}", ms(reference)),
            format!("{ratio:.2}x"),
            "<= 1.2x",
            ratio <= 1.2,
        );
        println!("    {}", spread(&ratios, reference, ours));
    }

    // 4. Record: the same edit in a, b and c, then the three commits, order rotating.
    let mut records: Vec<(Duration, Duration)> = Vec::new();
    let mut bare: Vec<(Duration, Duration)> = Vec::new();
    for round in 0..pairs + 1 {
        let tag = format!("r{round}");
        let extra = line(&mut rng, &tag);
        for dir in [&a, &b, &c] {
            let path = dir.join(BLAME_FILE);
            let mut text = fs::read_to_string(&path).expect("read the file");
            text.push_str(&extra);
            text.push('\n');
            fs::write(&path, text).expect("write the file");
        }
        let msg = format!("round {round}");
        let plain = || {
            timed(
                git(&a, &home).args(["commit", "-q", "-a", "-m", &msg]),
                "git commit",
            )
        };
        let floor = || {
            timed(
                Command::new("timeout")
                    .current_dir(&c)
                    .env("HOME", &home)
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .args(["600", "git", "commit", "-q", "-a", "-m", &msg]),
                "timeout git commit",
            )
        };
        let wrapped = || {
            timed(
                attrib(&b).args([
                    "record",
                    "--ai-provider",
                    "anthropic",
                    "--ai-model",
                    "claude-sonnet-4",
                    "--",
                    "-q",
                    "-a",
                    "-m",
                    &msg,
                ]),
                "attrib record",
            )
        };
        let (p, f, w) = match round % 3 {
            0 => {
                let p = plain();
                let f = floor();
                (p, f, wrapped())
            }
            1 => {
                let w = wrapped();
                let p = plain();
                (p, floor(), w)
            }
            _ => {
                let f = floor();
                let w = wrapped();
                (plain(), f, w)
            }
        };
        // The first round warms the caches.
        if round > 0 {
            records.push((f, w));
            bare.push((p, f));
        }
    }
    let (ratio, floor_ms, ours, ratios) = summarise(&records);
    let (_, plain_ms, _, _) = summarise(&bare);
    row(
        "attrib record (git commit)",
        &ms(ours),
        &format!("wrapper floor {}", ms(floor_ms)),
        format!("{ratio:.3}x"),
        "<= 1.03x",
        ratio <= 1.03,
    );
    println!(
        "    bare git commit {}; {}",
        ms(plain_ms),
        spread(&ratios, floor_ms, ours)
    );
}
