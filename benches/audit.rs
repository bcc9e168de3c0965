//! The auditors' benchmark: `attrib verify FILE` on a signed export of 100k records beside raw
//! ed25519 batch verification of the same signatures in the same run, and `attrib check` over
//! a real Pijul history of 1,000 attested changes beside the one `pijul log` it cannot avoid.
//!
//! Run with `cargo bench -p attrib-cli --bench audit` (`ATTRIB_BENCH_RECORDS` and
//! `ATTRIB_BENCH_CHANGES` scale the two parts).

mod common;
#[path = "common/cli.rs"]
mod common_cli;

use std::fs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attrib_overlay::exchange::to_json_line;
use attrib_vcs_adapter::testing::PijulEnv;

use common::{env_usize, header, median, ms, row, workload, Workload, AUTHORS};
use common_cli::{write_signed_attestations, RawBatch, VerifyRuns};

/// Wall time of a whole process, which must succeed.
fn run(cmd: &mut Command, what: &str) -> Duration {
    let start = Instant::now();
    let st = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("spawn");
    let took = start.elapsed();
    assert!(st.success(), "{what} failed");
    took
}

pub fn main() {
    let n = env_usize("ATTRIB_BENCH_RECORDS", 100_000);
    let changes = env_usize("ATTRIB_BENCH_CHANGES", 1_000);
    let bin = env!("CARGO_BIN_EXE_attrib");
    // ATTRIB_BENCH_DIR keeps the workload for profiling; by default it lives in a temp dir.
    let work = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var_os("ATTRIB_BENCH_DIR").map(std::path::PathBuf::from);
    let base = kept.as_deref().unwrap_or(work.path());
    for d in ["repo", "config", "env", "auditor"] {
        let _ = fs::remove_dir_all(base.join(d));
    }

    // 1. attrib verify FILE against raw batch verification.
    eprintln!("signing {n} attestations by {AUTHORS} authors...");
    let Workload { setup, records, .. } = workload(n);
    let export = base.join("export.jsonl");
    let mut text = String::with_capacity((setup.len() + records.len()) * 420);
    for r in setup.iter().chain(&records) {
        text.push_str(&to_json_line(r));
        text.push('\n');
    }
    fs::write(&export, &text).expect("write the export");
    drop(text);
    let empty = base.join("auditor");
    fs::create_dir_all(&empty).expect("auditor dir");

    // The reference: the same signatures, batch-verified in chunks of 256 on every core with
    // keys already decompressed and messages already built: the library's best case.
    let raw = RawBatch::of(&records);
    let threads = raw.threads;
    let verify_file = || {
        run(
            Command::new(bin)
                .arg("verify")
                .arg(&export)
                .current_dir(&empty)
                .env("ATTRIB_CONFIG_DIR", base.join("no-config"))
                .env("HOME", &empty),
            "attrib verify FILE",
        )
    };
    let VerifyRuns {
        raw_time,
        verify_time,
        ours,
        theirs,
        ratios,
        ratio,
    } = raw.against(verify_file);

    println!(
        "attrib audit benchmark: an export of {} records ({} MiB), a Pijul history of {changes} attested changes",
        n + setup.len(),
        fs::metadata(&export).map(|m| m.len() >> 20).unwrap_or(0)
    );
    header();
    row(
        "attrib verify FILE throughput",
        &format!("{ours:.0} rec/s"),
        &format!("raw batch, {threads} threads {theirs:.0} sig/s"),
        format!("{ratio:.2}x"),
        ">= 0.8x",
        ratio >= 0.8,
    );
    println!(
        "  (whole process, no store: {} for the file against {} raw; per-pair ratios {}; parsing, canonical re-encoding, membership and the view included)",
        ms(verify_time),
        ms(raw_time),
        ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    drop((raw, records));

    // 2. attrib check over a real Pijul history of `changes` attested changes.
    let repo = base.join("repo");
    let config = base.join("config");
    fs::create_dir_all(&repo).expect("repo");
    let env = PijulEnv::start(&base.join("env"), "the audit benchmark")
        .expect("`pijul` must be installed for this benchmark (.ci/run installs it)");
    let vars = env.vars();
    let pijul = env.driver(repo.clone());
    pijul.init().expect("pijul init");
    eprintln!("recording {changes} changes with pijul...");
    let start = Instant::now();
    let mut hashes = Vec::with_capacity(changes);
    let file = repo.join("notes.txt");
    let mut body = String::new();
    for i in 0..changes {
        body.push_str(&format!("line {i}\n"));
        fs::write(&file, &body).expect("write");
        if i == 0 {
            pijul.add(["notes.txt"]).expect("pijul add");
        }
        let msg = format!("change {i}");
        let desc = format!("Assisted-by: claude-code:claude-sonnet-4 ({i})");
        hashes.push(
            pijul
                .record(["-a", "-m", &msg, "--description", &desc])
                .expect("pijul record"),
        );
    }
    eprintln!("recorded in {:.0} s", start.elapsed().as_secs_f64());
    let attrib = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.args(args)
            .current_dir(&repo)
            .envs(vars.iter().map(|(k, v)| (k, v)))
            .env("ATTRIB_CONFIG_DIR", &config);
        c
    };
    run(
        &mut attrib(&["init", "--team", "bench", "--name", "Bench"]),
        "attrib init",
    );
    let attestations = base.join("attestations.jsonl");
    write_signed_attestations(
        &attestations,
        &config,
        &repo.join(".pijul").join("attrib"),
        &hashes,
    );
    run(
        &mut attrib(&["import", attestations.to_str().expect("utf-8 path")]),
        "attrib import",
    );
    fs::write(
        repo.join("attrib-policy.toml"),
        "require_attestation = true\nallowed_providers = [\"anthropic\", \"openai\", \"google\", \"mistral\"]\nrequire_trailer_for_ai = true\n",
    )
    .expect("write the policy");
    let check = || run(&mut attrib(&["check"]), "attrib check");
    let log = || {
        run(
            Command::new("pijul")
                .args(["log", "--state", "--description", "--output-format", "json"])
                .current_dir(&repo)
                .envs(vars.iter().map(|(k, v)| (k, v))),
            "pijul log",
        )
    };
    check();
    log();
    let pairs: Vec<(Duration, Duration)> = (0..11).map(|_| (log(), check())).collect();
    let log_time = median(pairs.iter().map(|p| p.0).collect());
    let check_time = median(pairs.iter().map(|p| p.1).collect());
    row(
        &format!("attrib check, {changes} changes"),
        &ms(check_time),
        &format!("pijul log --description {}", ms(log_time)),
        format!("{:.2}x", check_time.as_secs_f64() / log_time.as_secs_f64()),
        "<= 100 ms",
        check_time <= Duration::from_millis(100),
    );
    println!(
        "  (whole process, median of 11; three rules: require_attestation, allowed_providers, require_trailer_for_ai; {} per change)",
        ms(check_time / changes.max(1) as u32)
    );
    drop(env);
}
