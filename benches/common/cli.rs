//! What only attrib-cli's benchmarks share: the raw ed25519-dalek batch `attrib verify` is
//! measured against, and signed attestations written for `attrib import`. Kept out of
//! [`super::common`], which p2p-node's network benchmark includes too, without ed25519-dalek or
//! attrib-workspace.

// Each benchmark uses its own part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use attrib_overlay::{PatchId, SignedRecord};
use ed25519_dalek::{Signature, VerifyingKey};

use super::common::{median, signed_attestations};

/// The signatures of some records ready for raw ed25519-dalek batch verification, keys already
/// decompressed and messages already built: the reference `attrib verify` is measured against.
pub struct RawBatch {
    messages: Vec<Vec<u8>>,
    sigs: Vec<Signature>,
    keys: Vec<VerifyingKey>,
    /// The threads the reference verifies on: every core, as `attrib verify` uses.
    pub threads: usize,
}

impl RawBatch {
    /// The signatures of `records`.
    pub fn of(records: &[SignedRecord]) -> RawBatch {
        RawBatch {
            messages: records.iter().map(|r| r.message()).collect(),
            sigs: records
                .iter()
                .map(|r| Signature::from_bytes(&r.signature))
                .collect(),
            keys: records
                .iter()
                .map(|r| VerifyingKey::from_bytes(&r.signer.0).expect("key"))
                .collect(),
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }

    /// Wall time to verify them all, each thread batch-verifying chunks of 256: the library's
    /// best case.
    pub fn verify(&self) -> Duration {
        let (n, threads) = (self.messages.len(), self.threads);
        let per = n.div_ceil(threads);
        let start = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..threads {
                let range = (t * per).min(n)..((t + 1) * per).min(n);
                let (m, s, k) = (
                    &self.messages[range.clone()],
                    &self.sigs[range.clone()],
                    &self.keys[range],
                );
                scope.spawn(move || {
                    for ((m, s), k) in m.chunks(256).zip(s.chunks(256)).zip(k.chunks(256)) {
                        let m: Vec<&[u8]> = m.iter().map(|x| x.as_slice()).collect();
                        ed25519_dalek::verify_batch(&m, s, k).expect("valid batch");
                    }
                });
            }
        });
        start.elapsed()
    }
}

/// Paired runs of the raw batch and an `attrib verify` of the same records.
pub struct VerifyRuns {
    /// Median time of the raw batch.
    pub raw_time: Duration,
    /// Median time of attrib.
    pub verify_time: Duration,
    /// attrib's records per second (at its median).
    pub ours: f64,
    /// The raw batch's signatures per second (at its median).
    pub theirs: f64,
    /// The per-pair ratios (raw time / attrib's), sorted.
    pub ratios: Vec<f64>,
    /// Their median.
    pub ratio: f64,
}

impl RawBatch {
    /// One warm-up of each, then five paired runs, the raw batch then `attrib_verify`; the
    /// ratio is taken pair by pair so a machine that drifts during the run does not tilt it.
    pub fn against(&self, mut attrib_verify: impl FnMut() -> Duration) -> VerifyRuns {
        let n = self.messages.len();
        self.verify();
        attrib_verify();
        let pairs: Vec<(Duration, Duration)> =
            (0..5).map(|_| (self.verify(), attrib_verify())).collect();
        let mut ratios: Vec<f64> = pairs
            .iter()
            .map(|(r, a)| r.as_secs_f64() / a.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let raw_time = median(pairs.iter().map(|p| p.0).collect());
        let verify_time = median(pairs.iter().map(|p| p.1).collect());
        VerifyRuns {
            raw_time,
            verify_time,
            ours: n as f64 / verify_time.as_secs_f64(),
            theirs: n as f64 / raw_time.as_secs_f64(),
            ratio: ratios[ratios.len() / 2],
            ratios,
        }
    }
}

/// Writes [`signed_attestations`] of `hashes` to `file`, signed with the identity of the
/// attrib config `config`.
pub fn write_signed_attestations(file: &Path, config: &Path, store_dir: &Path, hashes: &[PatchId]) {
    let me = attrib_workspace::identity::load(config)
        .expect("read the store's identity")
        .key;
    std::fs::write(file, signed_attestations(&me, store_dir, hashes)).expect("write the export");
}
