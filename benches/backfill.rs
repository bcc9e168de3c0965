//! The backfill benchmark: a git history of 10,000 commits, one in five carrying an AI trailer
//! (every form `attrib backfill` reads, in turn), and `attrib backfill` run on it as a person
//! adopting attrib would: right after `attrib init`, whole process, timed. The reference,
//! measured in the same run, is one `git log` printing every commit's message: the floor of
//! any tool that reads the history's trailers.
//!
//! Run with `cargo bench -p attrib-cli --bench backfill`. `ATTRIB_BENCH_COMMITS` scales the
//! history, `ATTRIB_BENCH_RUNS` sets the number of timed runs (each from a fresh store, the
//! median is shown), `ATTRIB_BENCH_DIR` keeps the repository for profiling.
//!
//! How the history is built: one `git fast-import` stream (seconds, not the minutes 10,000
//! `git commit`s take); every commit appends a line to one of 20 files, so every diff, and so
//! every stable patch id, differs.

mod common;

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{env_usize, header, median, row, timed_output, Rng};

/// The bar: a 10,000-commit history backfilled within this.
const BAR: Duration = Duration::from_secs(10);
/// One commit in `AI_EVERY` carries a trailer.
const AI_EVERY: usize = 5;
const FILES: usize = 20;

/// The trailers planted, in turn.
const TRAILERS: [&str; 6] = [
    "🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
    "Assisted-by: Claude:claude-opus-4-6 coccinelle",
    "Co-authored-by: aider (anthropic/claude-sonnet-4) <noreply@aider.chat>",
    "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
    "Co-authored-by: openai-codex <codex@openai.com>",
    "Co-authored-by: Claude Sonnet 4.5 <noreply@anthropic.com>",
];

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Thousands separated by commas (10,000).
fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The `git fast-import` stream of `commits` commits on `refs/heads/main`, and how many carry
/// a trailer.
fn history(commits: usize) -> (Vec<u8>, usize) {
    let mut rng = Rng(2026);
    let mut files: Vec<String> = vec![String::new(); FILES];
    let mut out = String::with_capacity(commits * 300);
    let mut planted = 0;
    let t0 = 1_700_000_000u64;
    for i in 0..commits {
        let f = rng.below(FILES as u64) as usize;
        let _ = writeln!(files[f], "let v{i} = {};", rng.below(1_000_000));
        let mut message = format!("change {i}: module {f}\n");
        if i % AI_EVERY == AI_EVERY - 1 {
            let _ = write!(message, "\n{}\n", TRAILERS[planted % TRAILERS.len()]);
            planted += 1;
        }
        let when = t0 + i as u64 * 600;
        let _ = write!(
            out,
            "commit refs/heads/main\nauthor Ada <ada@example.org> {when} +0000\ncommitter Ada <ada@example.org> {when} +0000\ndata {}\n{message}\nM 100644 inline src/m{f:02}.rs\ndata {}\n{}\n",
            message.len(),
            files[f].len(),
            files[f]
        );
    }
    (out.into_bytes(), planted)
}

pub fn main() {
    let commits = env_usize("ATTRIB_BENCH_COMMITS", 10_000).max(AI_EVERY);
    let runs = env_usize("ATTRIB_BENCH_RUNS", 3).max(1);
    let bin = env!("CARGO_BIN_EXE_attrib");
    let work = tempfile::tempdir().expect("tempdir");
    let base = std::env::var_os("ATTRIB_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| work.path().to_path_buf());
    let (repo, home, config) = (base.join("repo"), base.join("home"), base.join("config"));
    for d in [&repo, &home, &config] {
        let _ = fs::remove_dir_all(d);
        fs::create_dir_all(d).expect("create a benchmark directory");
    }
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.args(args)
            .current_dir(&repo)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &home);
        c
    };

    // 1. The history, in one fast-import.
    eprintln!("building a {commits}-commit git history with git fast-import...");
    let start = Instant::now();
    timed_output(&mut git(&["init", "-q", "-b", "main"]), "git init");
    let (stream, planted) = history(commits);
    let mut child = git(&["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run git fast-import");
    child
        .stdin
        .take()
        .expect("fast-import's stdin")
        .write_all(&stream)
        .expect("write the fast-import stream");
    assert!(
        child.wait().expect("wait for git fast-import").success(),
        "git fast-import failed"
    );
    timed_output(&mut git(&["reset", "-q", "--hard", "main"]), "git reset");
    eprintln!(
        "history built in {:.1} s ({planted} commits with an AI trailer)",
        start.elapsed().as_secs_f64()
    );

    let attrib = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.args(args)
            .current_dir(&repo)
            .env("ATTRIB_CONFIG_DIR", &config)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &home)
            .env("ATTRIB_PROGRESS", "never");
        c
    };
    let store_dir = repo.join(".git").join("attrib");

    // 2. Paired runs: the reference (`git log` of every message), then a fresh store and the
    //    backfill, whole process.
    let mut pairs: Vec<(Duration, Duration)> = Vec::new();
    let mut again = Vec::new();
    let mut signed = 0;
    for i in 0..runs {
        let _ = fs::remove_dir_all(&store_dir);
        let _ = fs::remove_dir_all(config.join("seq"));
        let init = ["init", "--team", &format!("bench-{i}"), "--name", "Bench"];
        timed_output(&mut attrib(&init), "attrib init");
        let (reference, text) = timed_output(
            &mut git(&["log", "--format=%H %an <%ae> %at%n%B%x00"]),
            "git log",
        );
        assert!(text.len() > commits * 20, "git log printed the history");
        let (took, out) = timed_output(&mut attrib(&["backfill", "--json"]), "attrib backfill");
        let report: serde_json::Value =
            serde_json::from_slice(&out).expect("attrib backfill --json is JSON");
        assert_eq!(report["changes"], commits, "{}", report["changes"]);
        assert_eq!(
            report["detected"], planted,
            "every planted trailer detected"
        );
        signed = report["signed"].as_u64().expect("signed") as usize;
        assert_eq!(signed, planted, "one claim per planted trailer");
        pairs.push((reference, took));
        // A second run: everything is attested, nothing to sign.
        let (took, out) = timed_output(
            &mut attrib(&["backfill", "--json"]),
            "attrib backfill again",
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out).expect("attrib backfill --json is JSON");
        assert_eq!(report["signed"], 0, "a second run signs nothing");
        again.push(took);
    }

    let ours = median(pairs.iter().map(|p| p.1).collect());
    let reference = median(pairs.iter().map(|p| p.0).collect());
    let ratio = ours.as_secs_f64() / reference.as_secs_f64();
    let rate = commits as f64 / ours.as_secs_f64();
    println!(
        "attrib backfill benchmark: a git history of {} commits, {} with an AI trailer, {runs} run{} from a fresh store",
        count(commits),
        count(planted),
        if runs == 1 { "" } else { "s" }
    );
    header();
    let bar = BAR.mul_f64(commits as f64 / 10_000.0);
    row(
        &format!("backfill {} commits (whole process)", count(commits)),
        &secs(ours),
        &format!("git log of every message {}", secs(reference)),
        format!("{ratio:.1}x"),
        &format!("<= {:.0} s", bar.as_secs_f64()),
        ours <= bar,
    );
    println!(
        "  (backfill {} commits: {} ({rate:.0} commits/s), bar <= {:.0} s; {signed} detected claims signed; runs {}; the same backfill again, nothing to sign: {})",
        count(commits),
        secs(ours),
        bar.as_secs_f64(),
        pairs
            .iter()
            .map(|p| secs(p.1))
            .collect::<Vec<_>>()
            .join(", "),
        secs(median(again))
    );
}
