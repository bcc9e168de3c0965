//! The overlay benchmark: builds 100k attestations by 20 authors in a real store, then prints
//! each figure beside a reference measured in the same run, the ratio, and the bar from
//! docs/ARCHITECTURE.md.
//!
//! Run with `cargo bench -p attrib-cli --bench overlay` (set `ATTRIB_BENCH_RECORDS` to scale).
//! Whole-process figures spawn the release `attrib` binary, warm, and report the median.

mod common;
#[path = "common/cli.rs"]
mod common_cli;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attrib_overlay::*;

use common::{header, median, ms, patch_id, row, workload, Workload, AUTHORS};
use common_cli::{RawBatch, VerifyRuns};

const RUNS: usize = 11;

/// Median wall time of a whole process, after one warm-up run.
fn time_process(bin: &str, args: &[&str], dir: &Path, config: &Path) -> Duration {
    let run = || {
        let start = Instant::now();
        let status = Command::new(bin)
            .args(args)
            .current_dir(dir)
            .env("ATTRIB_CONFIG_DIR", config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("spawn attrib");
        let took = start.elapsed();
        assert!(
            status.success() || args.contains(&"--version"),
            "attrib {args:?} failed"
        );
        took
    };
    run();
    median((0..RUNS).map(|_| run()).collect())
}

pub fn main() {
    // `cargo bench` passes `--bench`; nothing else is expected.
    let n: usize = std::env::var("ATTRIB_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let bin = env!("CARGO_BIN_EXE_attrib");
    // ATTRIB_BENCH_DIR keeps the workload for profiling; by default it lives in a temp dir.
    let work = tempfile::tempdir().expect("tempdir");
    let base = std::env::var_os("ATTRIB_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| work.path().to_path_buf());
    let _ = std::fs::remove_dir_all(base.join("repo"));
    let repo = base.join("repo");
    let config = base.join("config");
    std::fs::create_dir_all(&repo).expect("repo dir");

    eprintln!("building {n} attestations by {AUTHORS} authors...");
    let start = Instant::now();
    let Workload { setup, records, .. } = workload(n);
    let probe = patch_id(n as u64 / 2);
    let sign_time = start.elapsed();
    let store = Store::open(&repo.join(".attrib")).expect("open store");
    store.ingest(&setup, u64::MAX / 2).expect("setup");
    let start = Instant::now();
    for chunk in records.chunks(10_000) {
        let out = store.ingest(chunk, u64::MAX / 2).expect("ingest");
        assert!(out.iter().all(|o| *o == Outcome::Accepted));
    }
    let ingest_time = start.elapsed();
    let size = store.size().expect("size");
    drop(store);
    let signed_bytes: usize = records.iter().map(|r| r.body.len() + 64).sum();
    eprintln!(
        "signed in {}, ingested in {} ({:.0} records/s)",
        ms(sign_time),
        ms(ingest_time),
        n as f64 / ingest_time.as_secs_f64()
    );

    println!("attrib overlay benchmark: {n} attestations by {AUTHORS} authors");
    header();

    // 1. Bytes stored per attestation: the pages the data occupies, and the file on disk.
    let in_use = size.allocated_bytes - size.free_bytes;
    let per = in_use as f64 / n as f64;
    let per_disk = size.disk_bytes as f64 / n as f64;
    let raw = signed_bytes as f64 / n as f64;
    row(
        "stored bytes per attestation",
        &format!("{per:.0} B"),
        &format!("signed record alone {raw:.0} B"),
        format!("{:.2}x", per / raw),
        "<= 250 B",
        per <= 250.0,
    );
    println!(
        "  (pages in use {in_use} B = allocated {} B - free {} B; file on disk {} B = {per_disk:.0} B/attestation, as sanakirja reserves by doubling; record log {} B; {} records)",
        size.allocated_bytes, size.free_bytes, size.disk_bytes, size.log_bytes, size.records
    );

    // 2. Whole-process queries, warm. The reference is the process floor: `attrib --version`.
    let floor = time_process(bin, &["--version"], &repo, &config);
    let log_ai = time_process(bin, &["log", "--ai-only"], &repo, &config);
    let probe_s = probe.to_string();
    let show = time_process(bin, &["show", &probe_s], &repo, &config);
    let stats = time_process(bin, &["stats"], &repo, &config);
    let stats_by = time_process(
        bin,
        &["stats", "--by", "author", "--by", "month"],
        &repo,
        &config,
    );
    for (what, d) in [
        ("attrib log --ai-only (whole process)", log_ai),
        ("attrib show PATCH (whole process)", show),
        ("attrib stats (whole process)", stats),
        ("attrib stats --by author --by month", stats_by),
    ] {
        row(
            what,
            &ms(d),
            &format!("attrib --version {}", ms(floor)),
            format!("{:.1}x", d.as_secs_f64() / floor.as_secs_f64()),
            "<= 50 ms",
            d <= Duration::from_millis(50),
        );
    }

    // 3. Verify throughput against raw ed25519-dalek batch verification of the same signatures.
    // The reference gets the same threads `attrib verify` uses, each batch-verifying chunks of
    // 256 with keys already decompressed: the library's best case.
    let raw = RawBatch::of(&records);
    let threads = raw.threads;
    let attrib_verify = || {
        let start = Instant::now();
        let st = Command::new(bin)
            .arg("verify")
            .current_dir(&repo)
            .env("ATTRIB_CONFIG_DIR", &config)
            .stdout(Stdio::null())
            .status()
            .expect("spawn");
        assert!(st.success(), "attrib verify failed");
        start.elapsed()
    };
    let VerifyRuns {
        ours,
        theirs,
        ratios,
        ratio,
        ..
    } = raw.against(attrib_verify);
    row(
        "attrib verify throughput",
        &format!("{ours:.0} rec/s"),
        &format!("raw batch, {threads} threads {theirs:.0} sig/s"),
        format!("{ratio:.2}x"),
        ">= 0.8x",
        ratio >= 0.8,
    );
    println!(
        "  (per-pair ratios {}; whole process, store read and view rebuild included)",
        ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
}
