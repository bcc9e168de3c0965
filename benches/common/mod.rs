//! What every attrib benchmark shares: the deterministic workload generator and the way a row
//! of figures is printed (figure, reference measured in the same run, ratio, bar).

// Each benchmark uses its own part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attrib_overlay::exchange::to_json_line;
use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{
    now_ms, AiAssistance, Attestation, Identity, Origin, PatchId, Payload, PromptCommitment,
    Record, SignedRecord, Store, SuggestionType,
};

/// Stores `records` in `store`, ten thousand to a transaction, each of which must be accepted.
/// The clock is far past every synthetic timestamp (ten years of the workload reach past
/// today).
pub fn ingest_all(store: &Store, records: &[SignedRecord]) {
    for chunk in records.chunks(10_000) {
        let out = store.ingest(chunk, u64::MAX / 2).expect("ingest");
        assert!(
            out.iter().all(|o| *o == attrib_overlay::Outcome::Accepted),
            "workload refused"
        );
    }
}

/// splitmix64: a tiny deterministic generator, so every run builds the same workload.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The providers and models synthetic attestations name.
pub const MODELS: [(&str, &str); 6] = [
    ("anthropic", "claude-sonnet-4"),
    ("anthropic", "claude-opus-4"),
    ("openai", "gpt-5"),
    ("openai", "gpt-4.1"),
    ("google", "gemini-2.5-pro"),
    ("mistral", "codestral"),
];

/// The middle value (the upper one of an even count).
pub fn median<T: Copy + PartialOrd>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// The column titles of the results table (the widths are [`row`]'s).
pub fn header() {
    println!(
        "{:<38} {:>14}  {:>30}  {:>10}  {:<12}",
        "what", "figure", "reference (same run)", "ratio", "bar"
    );
}

/// One row of the results table.
pub fn row(what: &str, figure: &str, reference: &str, ratio: String, bar: &str, ok: bool) {
    println!(
        "{what:<38} {figure:>14}  {reference:>30}  {ratio:>10}  {bar:<12} {}",
        if ok { "meets bar" } else { "MISSES BAR" }
    );
}

/// The `n`-th synthetic patch id: a Pijul-shaped change hash.
pub fn patch_id(n: u64) -> PatchId {
    let mut raw = [0u8; 33];
    raw[1..].copy_from_slice(blake3::hash(&n.to_le_bytes()).as_bytes());
    PatchId::from_change_hash(&raw)
}

/// A team of `keys`: a genesis by the first and a grant from it for each of the others.
pub fn team_setup(keys: &[Identity]) -> Vec<SignedRecord> {
    let t0 = 1_760_000_000_000u64;
    let genesis = keys[0].sign(
        GENESIS_TEAM,
        Record {
            seq: 1,
            timestamp_ms: t0,
            origin: Origin::Person,
            payload: Payload::Genesis {
                team_name: "bench".into(),
                founder_name: "author-0".into(),
                founder_email: None,
            },
        },
    );
    let team = genesis.team_id();
    let mut out = vec![genesis];
    for (i, k) in keys.iter().enumerate().skip(1) {
        out.push(keys[0].sign(
            team,
            Record {
                seq: i as u32 + 1,
                timestamp_ms: t0 + i as u64,
                origin: Origin::Person,
                payload: Payload::Grant {
                    member: k.public(),
                    name: format!("author-{i}"),
                    email: None,
                    admin: false,
                },
            },
        ));
    }
    out
}

/// The AI detail of the `i`-th synthetic attestation: about 60 % are AI-assisted, half of
/// those with a prompt commitment, spread over [`MODELS`] and every suggestion type.
pub fn synthetic_ai(rng: &mut Rng, i: usize) -> Option<AiAssistance> {
    (rng.below(10) < 6).then(|| {
        let (provider, model) = MODELS[rng.below(MODELS.len() as u64) as usize];
        AiAssistance {
            provider: provider.into(),
            model: model.into(),
            suggestion_type: SuggestionType::ALL[rng.below(6) as usize],
            prompt_commitment: (rng.below(2) == 0)
                .then(|| PromptCommitment(*blake3::hash(&(i as u64).to_be_bytes()).as_bytes())),
            confidence_permille: Some(500 + rng.below(500) as u16),
            token_count: Some(200 + rng.below(4000)),
            temperature_milli: None,
            max_tokens: None,
            top_p_milli: None,
            review_seconds: Some(rng.below(600) as u32),
        }
    })
}

/// Authors of the synthetic history.
pub const AUTHORS: usize = 20;

/// The synthetic history the overlay and serve benchmarks share.
pub struct Workload {
    /// Each author's key (`keys[0]` founded the team).
    pub keys: Vec<Identity>,
    /// The genesis and the grants of the other authors.
    pub setup: Vec<SignedRecord>,
    /// The attestations, in signing order.
    pub records: Vec<SignedRecord>,
    /// Each author's last sequence number, for records a benchmark adds later.
    pub seqs: Vec<u32>,
}

/// A genesis, grants for [`AUTHORS`]` - 1` more authors, and `n` attestations spread over
/// them, about 60 % AI-assisted, half of those with a prompt commitment.
pub fn workload(n: usize) -> Workload {
    workload_by(n, AUTHORS)
}

/// The `i`-th synthetic author's key (the first 256 are `[i + 1; 32]`, as they always were).
pub fn author_key(i: usize) -> Identity {
    let mut secret = [(i as u8).wrapping_add(1); 32];
    secret[31] ^= (i >> 8) as u8;
    secret[30] ^= (i >> 16) as u8;
    Identity::from_secret(secret)
}

/// [`workload`] by `authors` authors (at least one).
pub fn workload_by(n: usize, authors: usize) -> Workload {
    let authors = authors.max(1);
    let mut rng = Rng(2026);
    let keys: Vec<Identity> = (0..authors).map(author_key).collect();
    let t0 = 1_760_000_000_000u64;
    let setup = team_setup(&keys);
    let team = setup[0].team_id();
    let mut seqs = vec![1u32; authors];
    seqs[0] = authors as u32 + 1;
    let mut records = Vec::with_capacity(n);
    for i in 0..n {
        let a = rng.below(authors as u64) as usize;
        seqs[a] += 1;
        let ai = synthetic_ai(&mut rng, i);
        records.push(keys[a].sign(
            team,
            Record {
                seq: seqs[a],
                timestamp_ms: t0 + (i as u64) * 300_000 / 1000 * 1000 + rng.below(1000),
                origin: Origin::Person,
                payload: Payload::Attest(attestation(patch_id(i as u64), ai)),
            },
        ));
    }
    Workload {
        keys,
        setup,
        records,
        seqs,
    }
}

/// An attestation of `patch` with `ai` and nothing else.
pub fn attestation(patch: PatchId, ai: Option<AiAssistance>) -> Attestation {
    Attestation {
        patch,
        ai,
        description: None,
        depends_on: vec![],
        conflicts_with: vec![],
        replaces: None,
        line_spans: vec![],
        contributions: Vec::new(),
    }
}

/// (VmRSS, VmHWM, RssAnon, RssFile) of process `pid` in bytes, from /proc.
pub fn proc_memory(pid: u32) -> (u64, u64, u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    (
        field("VmRSS:"),
        field("VmHWM:"),
        field("RssAnon:"),
        field("RssFile:"),
    )
}

/// Runs `cmd` to completion, stdout discarded; panics with its stderr if it fails.
pub fn timed(cmd: &mut Command, what: &str) -> Duration {
    run_timed(cmd, what, Stdio::null()).0
}

/// Runs `cmd` to completion; panics with its stderr if it fails. Returns the time and stdout.
pub fn timed_output(cmd: &mut Command, what: &str) -> (Duration, Vec<u8>) {
    run_timed(cmd, what, Stdio::piped())
}

/// Runs `cmd` to completion with `stdout`; panics with its stderr if it fails.
fn run_timed(cmd: &mut Command, what: &str, stdout: Stdio) -> (Duration, Vec<u8>) {
    let start = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (took, out.stdout)
}

/// `pairs` timings of `reference` and `ours`, `(reference, ours)` each, the one that runs first
/// alternating from pair to pair.
pub fn alternating(
    pairs: usize,
    mut reference: impl FnMut() -> Duration,
    mut ours: impl FnMut() -> Duration,
) -> Vec<(Duration, Duration)> {
    (0..pairs)
        .map(|i| {
            if i % 2 == 0 {
                let r = reference();
                (r, ours())
            } else {
                let o = ours();
                (reference(), o)
            }
        })
        .collect()
}

/// Per-pair ratios and per-side medians of `pairs` = (reference, attrib).
pub fn summarise(pairs: &[(Duration, Duration)]) -> (f64, Duration, Duration, Vec<f64>) {
    let mut ratios: Vec<f64> = pairs
        .iter()
        .map(|(r, a)| a.as_secs_f64() / r.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    let ratio = ratios[ratios.len() / 2];
    let reference = median(pairs.iter().map(|p| p.0).collect());
    let ours = median(pairs.iter().map(|p| p.1).collect());
    (ratio, reference, ours, ratios)
}

/// The spread of the per-pair ratios, and the ratio of the two sides' medians beside it (far
/// apart when the machine was busy during the run).
pub fn spread(ratios: &[f64], reference: Duration, ours: Duration) -> String {
    let q = |p: f64| ratios[((ratios.len() - 1) as f64 * p).round() as usize];
    format!(
        "per-pair ratios min {:.3} q1 {:.3} median {:.3} q3 {:.3} max {:.3}; ratio of medians {:.3}",
        q(0.0),
        q(0.25),
        q(0.5),
        q(0.75),
        q(1.0),
        ours.as_secs_f64() / reference.as_secs_f64()
    )
}

/// Where a benchmark builds its workload: `ATTRIB_BENCH_DIR` (kept, for profiling), else
/// `work`; the entries `clear` names are removed from it first, directories or files.
pub fn bench_dir(work: &Path, clear: &[&str]) -> PathBuf {
    let base = std::env::var_os("ATTRIB_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| work.to_path_buf());
    for d in clear {
        let p = base.join(d);
        let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
    }
    base
}

/// A count from the environment, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Signs one attestation per change with the store's identity, the way `attrib annotate` would
/// have, and returns them as an export file's text.
///
/// `me` is the store's identity key (`attrib_workspace::identity::load(config)?.key`).
pub fn signed_attestations(me: &Identity, store_dir: &Path, hashes: &[PatchId]) -> String {
    let store = Store::open(store_dir).expect("open the attrib store");
    let snap = store.snapshot().expect("store snapshot");
    let team = snap.team().expect("the store has a team");
    let first_seq = snap.next_seq(&me.public()).expect("next sequence number");
    drop(snap);
    drop(store);

    let mut rng = Rng(2026);
    let now = now_ms();
    let mut out = String::new();
    for (i, patch) in hashes.iter().enumerate() {
        let ai = synthetic_ai(&mut rng, i);
        let signed = me.sign(
            team,
            Record {
                seq: first_seq + i as u32,
                timestamp_ms: now - (hashes.len() - i) as u64 * 1000,
                origin: Origin::Person,
                payload: Payload::Attest(Attestation {
                    patch: patch.clone(),
                    ai,
                    description: None,
                    depends_on: vec![],
                    conflicts_with: vec![],
                    replaces: None,
                    line_spans: vec![],
                    contributions: Vec::new(),
                }),
            },
        );
        out.push_str(&to_json_line(&signed));
        out.push('\n');
    }
    out
}

/// `cp -a FROM TO`: a byte-identical copy of a repository, so every side of a comparison starts
/// from the same files.
pub fn copy_tree(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("run cp");
    assert!(
        ok.success(),
        "cp -a {} {} failed",
        from.display(),
        to.display()
    );
}
