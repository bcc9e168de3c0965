//! The Pijul benchmark: builds a real Pijul history of 1,000 changes (200 of them building one
//! 1,000-line file), attests every change in a real attrib store, then prints each figure beside
//! a reference measured in the same run, the ratio, and the bar from docs/ARCHITECTURE.md.
//!
//! Run with `cargo bench -p attrib-cli --bench pijul` (needs `pijul` 1.0.0-beta.26, `ssh-agent`
//! and `ssh-keygen`). `ATTRIB_BENCH_DIR` keeps the repositories for profiling;
//! `ATTRIB_BENCH_CHANGES` scales the history, `ATTRIB_BENCH_PAIRS` sets the number of paired runs.
//!
//! How the history is built: bare `pijul record` in repository `a`, change by change; then `a` is
//! copied whole (`cp -a`, so all sides start from byte-identical `.pijul` directories) to `b`
//! and `c`. `b` gets an attrib store (`attrib init`) and one attestation per change, pre-signed with the
//! store's identity and loaded with `attrib import` (60 % AI-assisted, half of those with a prompt
//! commitment, like the overlay bench).
//!
//! How the runs are paired:
//! - `record`: each round makes the same edit in `a`, `b` and `c`, then times bare
//!   `pijul record -a -m MSG` in `a`, `attrib record --ai-provider … -- -a -m MSG` in `b`, and
//!   `timeout 600 pijul record -a -m MSG` in `c` (whole processes). `timeout` only starts
//!   `pijul` and waits for it, so `c` measures the floor of *any* wrapper: the cost of one more
//!   process on this machine. Every repository grows by one change per round, so every round
//!   sees the same history everywhere. The order rotates round by round so that none always
//!   runs on a warmer cache.
//! - `blame`: `pijul credit FILE` and `attrib blame FILE`, both in `b`, alternating which runs
//!   first; warm-ups are not counted. `attrib blame` answers from its index (built by the first
//!   run: the channel does not move between runs), and is held to 0.25x `pijul credit` and
//!   16 ms whole process; `attrib blame --no-index` (credit every time) to the old 1.2x.
//!
//! The ratio is the median of the per-pair ratios, so a machine that drifts during the run does
//! not tilt it; the times shown are the medians of each side.

mod common;
#[path = "common/cli.rs"]
mod common_cli;

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use attrib_overlay::*;
use attrib_vcs_adapter::testing::PijulEnv;

use common::{
    alternating, bench_dir, copy_tree, env_usize, header, median, ms, row, spread, summarise,
    timed, Rng,
};
use common_cli::write_signed_attestations;

/// Side files the other changes edit.
const SIDE_FILES: usize = 20;
/// Every `BLAME_EVERY`-th change inserts `BLAME_LINES` lines into the blamed file.
const BLAME_EVERY: usize = 5;
const BLAME_LINES: usize = 5;
const BLAME_FILE: &str = "blame.txt";

const WORDS: [&str; 12] = [
    "parse", "token", "buffer", "index", "render", "merge", "signal", "cache", "patch", "offset",
    "value", "stream",
];

/// The working copy's text files, kept in memory so the same edit can be written to both
/// repositories.
struct Tree {
    files: Vec<(String, Vec<String>)>,
}

impl Tree {
    fn line(rng: &mut Rng, tag: &str) -> String {
        let w = |r: &mut Rng| WORDS[r.below(WORDS.len() as u64) as usize];
        format!(
            "    let {}_{} = {}({}, {});  // {tag}",
            w(rng),
            rng.below(1000),
            w(rng),
            w(rng),
            rng.below(100_000)
        )
    }

    /// Inserts `n` lines at a random place of file `f`.
    fn insert(&mut self, rng: &mut Rng, f: usize, n: usize, tag: &str) {
        let at = rng.below(self.files[f].1.len() as u64 + 1) as usize;
        let new: Vec<String> = (0..n)
            .map(|k| Tree::line(rng, &format!("{tag}.{k}")))
            .collect();
        self.files[f].1.splice(at..at, new);
    }

    /// A change to a side file: insert a few lines, or rewrite one.
    fn side_edit(&mut self, rng: &mut Rng, tag: &str) -> usize {
        let f = 1 + rng.below(SIDE_FILES as u64) as usize;
        if rng.below(3) == 0 && !self.files[f].1.is_empty() {
            let at = rng.below(self.files[f].1.len() as u64) as usize;
            self.files[f].1[at] = Tree::line(rng, tag);
        } else {
            let n = 1 + rng.below(4) as usize;
            self.insert(rng, f, n, tag);
        }
        f
    }

    fn write(&self, f: usize, repo: &Path) {
        let (name, lines) = &self.files[f];
        let mut text = lines.join("\n");
        text.push('\n');
        fs::write(repo.join(name), text).expect("write a working-copy file");
    }
}

/// Bytes of every file under `dir`: (sum of lengths, sum of blocks on disk).
fn dir_size(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let mut total = (0, 0);
    for entry in fs::read_dir(dir).expect("read a directory") {
        let entry = entry.expect("read a directory entry");
        let meta = entry.metadata().expect("stat a file");
        if meta.is_dir() {
            let (l, d) = dir_size(&entry.path());
            total.0 += l;
            total.1 += d;
        } else {
            total.0 += meta.len();
            total.1 += meta.blocks() * 512;
        }
    }
    total
}

fn kib(b: u64) -> String {
    format!("{:.0} KiB", b as f64 / 1024.0)
}

pub fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let changes = env_usize("ATTRIB_BENCH_CHANGES", 1000).max(BLAME_EVERY);
    let record_pairs = env_usize("ATTRIB_BENCH_PAIRS", 31).max(1);
    let blame_pairs = env_usize("ATTRIB_BENCH_PAIRS", 21).max(1);
    let bin = env!("CARGO_BIN_EXE_attrib");
    let work = tempfile::tempdir().expect("tempdir");
    let base = bench_dir(
        work.path(),
        &["a", "b", "c", "env", "config", "attestations.jsonl"],
    );
    let (a, b, c, config) = (
        base.join("a"),
        base.join("b"),
        base.join("c"),
        base.join("config"),
    );
    fs::create_dir_all(&a).expect("create repository a");
    let env = PijulEnv::start(&base.join("env"), "the pijul benchmark")
        .expect("`pijul` must be installed for this benchmark (.ci/run installs it)");
    let vars = env.vars();
    let pa = env.driver(a.clone());
    let version = pa.check_version().expect("pijul 1.0.0-beta.26");

    // 1. The history: change 0 adds every file; every BLAME_EVERY-th change inserts BLAME_LINES
    //    lines at a random place of the blamed file, the others edit a side file.
    eprintln!("recording {changes} changes with bare pijul {version}...");
    let start = Instant::now();
    let mut rng = Rng(7);
    let mut tree = Tree {
        files: std::iter::once((BLAME_FILE.to_string(), Vec::new()))
            .chain((0..SIDE_FILES).map(|i| (format!("src{i:02}.rs"), Vec::new())))
            .collect(),
    };
    pa.init().expect("pijul init");
    let mut hashes = Vec::with_capacity(changes);
    for i in 0..changes {
        let tag = format!("c{i}");
        if i == 0 {
            for f in 1..tree.files.len() {
                tree.insert(&mut rng, f, 10, &tag);
            }
        }
        if i % BLAME_EVERY == 0 {
            tree.insert(&mut rng, 0, BLAME_LINES, &tag);
        }
        if i == 0 {
            for f in 0..tree.files.len() {
                tree.write(f, &a);
            }
            let names: Vec<&str> = tree.files.iter().map(|(n, _)| n.as_str()).collect();
            pa.add(&names).expect("pijul add");
        } else if i % BLAME_EVERY == 0 {
            tree.write(0, &a);
        } else {
            let f = tree.side_edit(&mut rng, &tag);
            tree.write(f, &a);
        }
        let msg = format!("change {i}");
        hashes.push(pa.record(["-a", "-m", &msg]).expect("pijul record"));
        if (i + 1) % 100 == 0 {
            eprintln!(
                "  {} changes, {:.0} s",
                i + 1,
                start.elapsed().as_secs_f64()
            );
        }
    }
    let blame_lines = tree.files[0].1.len();
    let blame_changes = changes.div_ceil(BLAME_EVERY);

    // 2. Repository b: the same history, plus a store holding one attestation per change.
    //    Repository c, a second bare copy, is where the wrapper floor is timed (see step 5).
    for copy in [&b, &c] {
        copy_tree(&a, copy);
    }
    let attrib = |dir: &Path| {
        let mut c = Command::new(bin);
        c.current_dir(dir)
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .env("ATTRIB_CONFIG_DIR", &config);
        c
    };
    timed(
        attrib(&b).args(["init", "--team", "bench", "--name", "Bench"]),
        "attrib init",
    );
    let store_dir = b.join(".pijul").join("attrib");
    let export = base.join("attestations.jsonl");
    write_signed_attestations(&export, &config, &store_dir, &hashes);
    let out = attrib(&b)
        .arg("import")
        .arg(&export)
        .output()
        .expect("run attrib import");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains(&format!("accepted {changes},")),
        "attrib import: {said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("history built in {:.0} s", start.elapsed().as_secs_f64());

    println!(
        "attrib pijul benchmark: {changes} changes ({blame_changes} of them in a {blame_lines}-line file), {changes} attestations, pijul {version}"
    );
    header();

    // 3. Overlay size against `.pijul` for the same history (repository a has no store).
    let size = Store::open(&store_dir)
        .expect("open the attrib store")
        .size()
        .expect("store size");
    let in_use = size.allocated_bytes - size.free_bytes;
    let (store_len, store_disk) = dir_size(&store_dir);
    // What the store directory holds besides the store (e.g. the channel tracker's cache).
    let mut files: Vec<(String, u64)> = fs::read_dir(&store_dir)
        .expect("read the store directory")
        .map(|e| {
            let e = e.expect("read a directory entry");
            let len = e.metadata().expect("stat a file").len();
            (e.file_name().to_string_lossy().into_owned(), len)
        })
        .filter(|(_, len)| *len > 0)
        .collect();
    files.sort();
    let files = files
        .iter()
        .map(|(name, len)| format!("{name} {len} B"))
        .collect::<Vec<_>>()
        .join(", ");
    let (pijul_len, pijul_disk) = dir_size(&a.join(".pijul"));

    // 4. Blame: `pijul credit FILE` against `attrib blame FILE`, both in b.
    let blame_json = attrib(&b)
        .args(["blame", "--json", BLAME_FILE])
        .output()
        .expect("run attrib blame --json");
    assert!(blame_json.status.success(), "attrib blame --json failed");
    let v: serde_json::Value =
        serde_json::from_slice(&blame_json.stdout).expect("attrib blame --json is JSON");
    let rows = v.as_array().expect("a JSON array");
    let credited: HashSet<&str> = rows.iter().filter_map(|r| r["change"].as_str()).collect();
    let attested = rows
        .iter()
        .filter(|r| r["attribution"]["kind"] != "unattested")
        .count();
    assert_eq!(rows.len(), blame_lines, "attrib blame: one row per line");
    let credit = || {
        let mut c = Command::new("pijul");
        c.current_dir(&b)
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .args(["credit", BLAME_FILE]);
        timed(&mut c, "pijul credit")
    };
    let blame = || timed(attrib(&b).args(["blame", BLAME_FILE]), "attrib blame");
    let blame_direct = || {
        timed(
            attrib(&b).args(["blame", "--no-index", BLAME_FILE]),
            "attrib blame --no-index",
        )
    };
    // The `--json` run above built the file's index entry; these warm-ups settle the rest
    // (the first `pijul credit` after a change commits to the pristine, which the next
    // reconciliation notices once).
    credit();
    blame();
    blame();
    let blame_runs = alternating(blame_pairs, credit, blame);
    let direct_runs = alternating(blame_pairs, credit, blame_direct);

    // 5. Record: the same edit in a, b and c: bare `pijul record` in a, `attrib record` in b,
    //    and in c `pijul record` under coreutils' `timeout`, a process that does nothing but
    //    start it and wait for it. That last one is the floor of any command that wraps
    //    `pijul record` on this machine: one more process start and exit, no work at all.
    let mut edit = |i: usize| {
        let tag = format!("p{i}");
        let f = tree.side_edit(&mut rng, &tag);
        for repo in [&a, &b, &c] {
            tree.write(f, repo);
        }
        format!("paired change {i}")
    };
    let pijul_record = |repo: &Path, msg: &str, under_timeout: bool| {
        let mut c = if under_timeout {
            let mut t = Command::new("timeout");
            t.args(["600", "pijul"]);
            t
        } else {
            Command::new("pijul")
        };
        c.current_dir(repo)
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .args(["record", "-a", "-m", msg]);
        timed(&mut c, "pijul record")
    };
    let wrapped = |msg: &str| {
        timed(
            attrib(&b).args([
                "record",
                "--ai-provider",
                "anthropic",
                "--ai-model",
                "claude-sonnet-4",
                "--",
                "-a",
                "-m",
                msg,
            ]),
            "attrib record",
        )
    };
    // One run of each, not counted; then the three in turn, each first once every three
    // rounds, so that none always runs on a warmer cache.
    let run = |i: usize, msg: &str| -> [Duration; 3] {
        let mut took = [Duration::ZERO; 3];
        for k in 0..3 {
            let which = (i + k) % 3;
            took[which] = match which {
                0 => pijul_record(&a, msg, false),
                1 => wrapped(msg),
                _ => pijul_record(&c, msg, true),
            };
        }
        took
    };
    run(0, &edit(0));
    let rounds: Vec<[Duration; 3]> = (1..=record_pairs).map(|i| run(i, &edit(i))).collect();
    let record_runs: Vec<(Duration, Duration)> = rounds.iter().map(|r| (r[0], r[1])).collect();
    let floor_runs: Vec<(Duration, Duration)> = rounds.iter().map(|r| (r[0], r[2])).collect();
    let overhead = median(
        record_runs
            .iter()
            .map(|(r, a)| a.as_secs_f64() - r.as_secs_f64())
            .collect(),
    );

    // The bar is against the floor: what attrib adds beyond being one more process.
    let beyond: Vec<(Duration, Duration)> = rounds.iter().map(|r| (r[2], r[1])).collect();
    let (ratio, floor_ms, ours, ratios) = summarise(&beyond);
    row(
        "attrib record (whole process)",
        &ms(ours),
        &format!("wrapper floor {}", ms(floor_ms)),
        format!("{ratio:.3}x"),
        "<= 1.03x",
        ratio <= 1.03,
    );
    let (bare_ratio, bare_ms, _, _) = summarise(&record_runs);
    let (floor, _, _, floor_ratios) = summarise(&floor_runs);
    println!(
        "  ({record_pairs} rotated rounds at {changes}+ changes, same edit in every repository; {}; the floor is `timeout 600 pijul record`, which only starts pijul and waits: {floor:.3}x bare pijul record ({}), per-round min {:.3} max {:.3}; attrib record is {bare_ratio:.3}x bare, median overhead over bare {:.1} ms)",
        spread(&ratios, floor_ms, ours),
        ms(bare_ms),
        floor_ratios[0],
        floor_ratios[floor_ratios.len() - 1],
        overhead * 1e3
    );

    // Start-up: `attrib --version` against `/bin/true`, the cost of starting any process here.
    let version_pairs = record_pairs.max(21);
    let start_up = alternating(
        version_pairs,
        || timed(&mut Command::new("/bin/true"), "/bin/true"),
        || timed(Command::new(bin).arg("--version"), "attrib --version"),
    );
    let (ratio, reference, ours, ratios) = summarise(&start_up);
    row(
        "attrib --version (whole process)",
        &ms(ours),
        &format!("/bin/true {}", ms(reference)),
        format!("{ratio:.2}x"),
        "<= 1.5x",
        ratio <= 1.5,
    );
    println!(
        "  ({version_pairs} alternating pairs; {})",
        spread(&ratios, reference, ours)
    );

    // Through the index (the file's entry current): no process but attrib's own.
    let (ratio, reference, ours, ratios) = summarise(&blame_runs);
    row(
        "attrib blame FILE (warm index)",
        &ms(ours),
        &format!("pijul credit {}", ms(reference)),
        format!("{ratio:.3}x"),
        "<= 0.25x",
        ratio <= 0.25,
    );
    let bar = Duration::from_millis(16);
    row(
        "attrib blame FILE, whole process",
        &ms(ours),
        "bar 16.0 ms",
        format!("{:.2}x", ours.as_secs_f64() / bar.as_secs_f64()),
        "<= 16 ms",
        ours <= bar,
    );
    println!(
        "  ({blame_pairs} pairs; {blame_lines} lines credited to {} changes, {attested} lines attested; {})",
        credited.len(),
        spread(&ratios, reference, ours)
    );
    // Without the index: `pijul credit` every time, as before the index.
    let (ratio, reference, ours, ratios) = summarise(&direct_runs);
    row(
        "attrib blame --no-index FILE",
        &ms(ours),
        &format!("pijul credit {}", ms(reference)),
        format!("{ratio:.3}x"),
        "<= 1.2x",
        ratio <= 1.2,
    );
    println!(
        "  ({blame_pairs} pairs; {})",
        spread(&ratios, reference, ours)
    );

    let share = in_use as f64 / pijul_len as f64;
    row(
        "overlay size vs .pijul",
        &kib(in_use),
        &format!(".pijul {}", kib(pijul_len)),
        format!("{:.2} %", share * 100.0),
        "<= 5 %",
        share <= 0.05,
    );
    println!(
        "  (store pages in use {in_use} B = {:.0} B/attested patch, record log {} B, {} records; .pijul/attrib/ files {store_len} B ({files}) = {:.2} % of .pijul files {pijul_len} B; on disk {store_disk} B = {:.2} % of {pijul_disk} B)",
        in_use as f64 / changes as f64,
        size.log_bytes,
        size.records,
        store_len as f64 / pijul_len as f64 * 100.0,
        store_disk as f64 / pijul_disk as f64 * 100.0,
    );
    drop(env);
}
