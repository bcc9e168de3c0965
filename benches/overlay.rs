//! The overlay benchmark: builds 100k attestations by 20 authors in a real store, then prints
//! each figure beside a reference measured in the same run, the ratio, and the bar from
//! docs/ARCHITECTURE.md; last, the same attestations as automerge documents, one per author
//! (the design the signed record sets replaced), side by side with attrib's figures.
//!
//! Run with `cargo bench -p attrib-cli --bench overlay`. `ATTRIB_BENCH_RECORDS` scales the
//! store and `ATTRIB_BENCH_AUTHORS` the authors (ten years of a 1,000-engineer organisation:
//! `ATTRIB_BENCH_RECORDS=1000000 ATTRIB_BENCH_AUTHORS=1000`); `ATTRIB_BENCH_AUTOMERGE` caps the
//! attestations rebuilt as automerge documents (default 100000, 0 skips the baseline).
//! Whole-process figures spawn the release `attrib` binary, warm, and report the median.

#[path = "automerge_baseline.rs"]
mod automerge_baseline;
mod common;
#[path = "common/cli.rs"]
mod common_cli;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attrib_overlay::*;

use common::{
    env_usize, header, ingest_all, median, ms, patch_id, row, workload_by, Workload, AUTHORS,
};
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

    let authors = env_usize("ATTRIB_BENCH_AUTHORS", AUTHORS).max(1);
    eprintln!("building {n} attestations by {authors} authors...");
    let start = Instant::now();
    let Workload {
        keys,
        setup,
        records,
        ..
    } = workload_by(n, authors);
    let probe = patch_id(n as u64 / 2);
    let sign_time = start.elapsed();
    let store = Store::open(&repo.join(".attrib")).expect("open store");
    ingest_all(&store, &setup);
    let start = Instant::now();
    ingest_all(&store, &records);
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

    println!("attrib overlay benchmark: {n} attestations by {authors} authors");
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
    let probe_s = probe.to_string();
    let mut queries: Vec<(String, Vec<&str>, u64)> = vec![
        (
            "attrib log --ai-only -n 50".into(),
            vec!["log", "--ai-only", "-n", "50"],
            10,
        ),
        ("attrib show PATCH".into(), vec!["show", &probe_s], 5),
        ("attrib stats".into(), vec!["stats"], 50),
    ];
    for by in [
        "provider",
        "model",
        "agent",
        "author",
        "suggestion-type",
        "month",
        "week",
        "day",
    ] {
        queries.push((
            format!("attrib stats --by {by}"),
            vec!["stats", "--by", by],
            50,
        ));
    }
    queries.push((
        "attrib stats --by author --by month".into(),
        vec!["stats", "--by", "author", "--by", "month"],
        50,
    ));
    // Not a bar: the whole history, every AI-assisted patch printed.
    queries.push((
        "attrib log --ai-only (all)".into(),
        vec!["log", "--ai-only"],
        0,
    ));
    for (what, args, bar_ms) in &queries {
        let d = time_process(bin, args, &repo, &config);
        let ratio = format!("{:.1}x", d.as_secs_f64() / floor.as_secs_f64());
        if *bar_ms == 0 {
            let what = format!("{what} (whole process)");
            let (d, reference) = (ms(d), format!("attrib --version {}", ms(floor)));
            println!("{what:<38} {d:>14}  {reference:>30}  {ratio:>10}  (no bar)");
            continue;
        }
        let bar = Duration::from_millis(*bar_ms);
        row(
            &format!("{what} (whole process)"),
            &ms(d),
            &format!("attrib --version {}", ms(floor)),
            ratio,
            &format!("<= {bar_ms} ms"),
            d <= bar,
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

    // 4. The design choice side by side: the same attestations as automerge documents.
    let cap = env_usize("ATTRIB_BENCH_AUTOMERGE", 100_000).min(records.len());
    if cap > 0 {
        baseline(&records[..cap], &setup, &keys);
    }
}

/// Prints automerge's figures for `records` beside attrib's: bytes per attestation, first-sync
/// bytes and merge time (for attrib: ingesting them, signatures checked, into an empty store).
fn baseline(records: &[SignedRecord], setup: &[SignedRecord], keys: &[Identity]) {
    let n = records.len();
    eprintln!("building {n} attestations as automerge documents...");
    let start = Instant::now();
    let replica = automerge_baseline::Replica::build(records);
    let am = replica.measure(start.elapsed());

    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join(".attrib")).expect("open store");
    ingest_all(&store, setup);
    let start = Instant::now();
    ingest_all(&store, records);
    let merge = start.elapsed();
    let size = store.size().expect("size");
    let per = (size.allocated_bytes - size.free_bytes) as f64 / n as f64;
    let signed: usize = records.iter().map(|r| r.body.len() + 64).sum();
    let first_sync = first_sync_bytes(setup, records, keys);

    println!(
        "automerge baseline: the first {n} attestations, one automerge document per author (built in {})",
        ms(am.build)
    );
    let line = |what: &str, ours: String, theirs: String, ratio: f64| {
        println!("{what:<38} {ours:>14}  {theirs:>30}  {ratio:>9.2}x");
    };
    line(
        "bytes per attestation (attrib, stored)",
        format!("{per:.0} B"),
        format!("automerge saved {:.0} B", am.bytes_per_attestation),
        per / am.bytes_per_attestation,
    );
    line(
        "first-sync bytes",
        format!("{:.1} MB", first_sync as f64 / 1e6),
        format!(
            "automerge sync {:.1} MB, {} msgs",
            am.first_sync_bytes as f64 / 1e6,
            am.sync_messages
        ),
        first_sync as f64 / am.first_sync_bytes as f64,
    );
    line(
        "merge into an empty replica",
        ms(merge),
        format!("automerge merge {}", ms(am.merge)),
        merge.as_secs_f64() / am.merge.as_secs_f64(),
    );
    println!(
        "  (attrib's bytes include a 64-byte ed25519 signature and the signer per record, {:.0} B signed alone; its merge verifies every signature and writes the store; automerge signs nothing)",
        signed as f64 / n as f64
    );
}

/// attrib's own sync protocol moving `records` between two real nodes on loopback, one holding
/// them and one holding only the team: every request, response and gossip message both ways,
/// as the pulling node counts them (the transport's handshakes and framing are not counted,
/// as automerge's figure has none).
fn first_sync_bytes(setup: &[SignedRecord], records: &[SignedRecord], keys: &[Identity]) -> u64 {
    use attrib_p2p_node::{spawn, NodeConfig};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (full, empty) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let fill = |dir: &Path, records: &[SignedRecord]| {
        let store = Store::open(dir).expect("open store");
        ingest_all(&store, setup);
        ingest_all(&store, records);
    };
    fill(full.path(), records);
    fill(empty.path(), &[]);
    let config = |dir: &Path, who: &Identity| {
        let mut c = NodeConfig::new(dir.to_path_buf(), who.secret_bytes());
        c.mdns = false;
        c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("listen address")];
        c
    };
    rt.block_on(async {
        let a = spawn(config(full.path(), &keys[0])).await.expect("node a");
        let deadline = Instant::now() + Duration::from_secs(600);
        let listen = loop {
            let s = a.status().await.expect("status");
            if let Some(l) = s.listen.first() {
                break format!("{l}/p2p/{}", a.peer_id);
            }
            assert!(Instant::now() < deadline, "node a never listened");
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let mut c = config(empty.path(), &keys[1 % keys.len()]);
        c.peers = vec![listen.parse().expect("multiaddr")];
        let b = spawn(c).await.expect("node b");
        let mut last = 0;
        let mut quiet_since = Instant::now();
        loop {
            let s = b.status().await.expect("status");
            let bytes = s.counters.bytes_sent + s.counters.bytes_received;
            let done = s.counters.records_accepted >= records.len() as u64
                && s.peers.iter().any(|p| p.info.synced);
            if bytes != last {
                (last, quiet_since) = (bytes, Instant::now());
            }
            if done && quiet_since.elapsed() > Duration::from_millis(500) {
                b.shutdown().await.expect("shutdown b");
                a.shutdown().await.expect("shutdown a");
                return bytes;
            }
            assert!(Instant::now() < deadline, "the first sync never finished");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}
