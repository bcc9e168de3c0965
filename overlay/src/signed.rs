//! Signing and verification.
//!
//! The signed message is `DOMAIN || team id || signer key || canonical body`. The domain prefix
//! keeps these signatures from ever being valid for another protocol; binding the team keeps a
//! record from being replayed into another team. A record's id is the blake3 hash of that message,
//! so two signatures over the same body (ed25519 lets a signer choose its nonce) are one record.

use std::collections::HashMap;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::error::FormatError;
use crate::ids::{PublicKey, RecordId, TeamId};
use crate::model::{Payload, Record};

/// Domain-separation prefix of every signed message.
pub const DOMAIN: &[u8] = b"attrib/record/v1\0";

/// The team field of a genesis record, which cannot name the team it creates.
pub const GENESIS_TEAM: TeamId = TeamId([0; 32]);

/// The largest canonical body accepted, in bytes.
pub const MAX_BODY: usize = 16 * 1024;

/// A device identity: the secret half of a [`PublicKey`]. Never leaves the machine.
pub struct Identity {
    key: SigningKey,
}

impl Identity {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Identity, getrandom::Error> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed)?;
        Ok(Identity::from_secret(seed))
    }
    /// The identity whose ed25519 secret key (seed) is `seed`: how a saved key is loaded.
    pub fn from_secret(seed: [u8; 32]) -> Identity {
        Identity {
            key: SigningKey::from_bytes(&seed),
        }
    }
    /// The 32-byte secret key, for saving it (mode 0600) and for deriving the node's libp2p
    /// identity. Whoever holds these bytes can sign as this device.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
    /// The device's public key: its author identity in every record it signs.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.key.verifying_key().to_bytes())
    }
    /// Signs `record` for `team` (use [`GENESIS_TEAM`] for a genesis record).
    pub fn sign(&self, team: TeamId, record: Record) -> SignedRecord {
        let body = record.to_canonical();
        let message = signing_message(&team, &self.public(), &body);
        let signature = self.key.sign(&message).to_bytes();
        SignedRecord {
            team,
            signer: self.public(),
            record,
            body,
            signature,
        }
    }
}

/// The exact bytes an author signs.
pub fn signing_message(team: &TeamId, signer: &PublicKey, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + 64 + body.len());
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(&team.0);
    m.extend_from_slice(&signer.0);
    m.extend_from_slice(body);
    m
}

/// A record with its signer, team and signature: the unit that is stored, exported and synced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRecord {
    /// The team the record was signed for ([`GENESIS_TEAM`] for a genesis record); part of the
    /// signed message, so a record cannot be replayed into another team.
    pub team: TeamId,
    /// The author: the key that signed, and the only one that can supersede the record.
    pub signer: PublicKey,
    /// The decoded body.
    pub record: Record,
    /// The canonical encoding of `record`, kept so it is computed once.
    pub body: Vec<u8>,
    /// The ed25519 signature over [`signing_message`] of team, signer and body.
    pub signature: [u8; 64],
}

impl SignedRecord {
    /// Assembles a record received from elsewhere. The body must be canonical; the signature is
    /// *not* checked here (see [`SignedRecord::verify`] and [`verify_batch`]).
    pub fn from_parts(
        team: TeamId,
        signer: PublicKey,
        body: Vec<u8>,
        signature: [u8; 64],
    ) -> Result<SignedRecord, FormatError> {
        if body.len() > MAX_BODY {
            return Err(FormatError::new(format!(
                "record body is {} bytes; the limit is {MAX_BODY}",
                body.len()
            )));
        }
        let record = Record::from_canonical(&body)?;
        Ok(SignedRecord {
            team,
            signer,
            record,
            body,
            signature,
        })
    }

    /// The bytes the signature covers ([`signing_message`]), for verification.
    pub fn message(&self) -> Vec<u8> {
        signing_message(&self.team, &self.signer, &self.body)
    }

    /// The record's id: blake3 of the signed message.
    pub fn id(&self) -> RecordId {
        let mut h = blake3::Hasher::new();
        h.update(DOMAIN);
        h.update(&self.team.0);
        h.update(&self.signer.0);
        h.update(&self.body);
        RecordId(*h.finalize().as_bytes())
    }

    /// Checks the signature (strict ed25519: no malleable or small-order encodings).
    pub fn verify(&self) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.signer.0) else {
            return false;
        };
        key.verify_strict(&self.message(), &Signature::from_bytes(&self.signature))
            .is_ok()
    }

    /// The team this record belongs to: its own id for a genesis record.
    pub fn team_id(&self) -> TeamId {
        if matches!(self.record.payload, Payload::Genesis { .. }) {
            TeamId(self.id().0)
        } else {
            self.team
        }
    }
}

/// Verifies many records at once: each body must be canonical and its signature valid.
/// Returns one flag per record, `true` when valid.
///
/// Work is split across the machine's cores. Each thread batch-verifies chunks with
/// ed25519-dalek and falls back to single checks only for a chunk that fails, so one forgery
/// costs a little time and never hides which record it was. Decompressed keys are cached per
/// signer: a team has few keys and many records.
pub fn verify_batch(records: &[&SignedRecord]) -> Vec<bool> {
    // Asking for the core count reads cgroup files: not worth it for a single chunk.
    let chunks = records.len().div_ceil(CHUNK);
    let threads = if chunks <= 1 {
        1
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(chunks)
    };
    if threads == 1 {
        return verify_serial(records);
    }
    let per = records.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = records
            .chunks(per)
            .map(|part| scope.spawn(move || verify_serial(part)))
            .collect();
        parts
            .into_iter()
            // A verifying thread cannot panic on input; if it did, count its records invalid.
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

const CHUNK: usize = 256;

/// Decompressed signer keys, kept across calls of [`verify_serial_with`]: decompressing a key
/// costs about as much as a batched signature check, so a caller that verifies many pieces
/// (the audit, piece by piece on each thread) decompresses each signer once, not once a piece
/// (with a thousand authors a piece of a thousand records has hundreds of signers). Behind it,
/// one table for the whole process keeps them across calls of [`verify_batch`] too (every
/// ingest, every sync response), read under a lock once per signer and piece.
#[derive(Default)]
pub(crate) struct KeyCache(HashMap<PublicKey, Option<VerifyingKey>>);

/// Keys the process-wide table holds at most; past it, it starts again empty (a team has far
/// fewer keys; a stream of foreign ones must not grow it without bound).
const SHARED_KEYS_MAX: usize = 1 << 14;

fn shared_keys() -> &'static std::sync::RwLock<HashMap<PublicKey, Option<VerifyingKey>>> {
    static KEYS: std::sync::OnceLock<std::sync::RwLock<HashMap<PublicKey, Option<VerifyingKey>>>> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(Default::default)
}

impl KeyCache {
    /// The decompressed key of `signer`, `None` when it is not a valid, strong key.
    fn get(&mut self, signer: &PublicKey) -> Option<VerifyingKey> {
        if let Some(k) = self.0.get(signer) {
            return *k;
        }
        let shared = shared_keys();
        let known = shared
            .read()
            .ok()
            .and_then(|keys| keys.get(signer).copied());
        let key = known.unwrap_or_else(|| {
            // Batch verification skips verify_strict's small-order key check, so weak keys
            // never enter a batch.
            let key = VerifyingKey::from_bytes(&signer.0)
                .ok()
                .filter(|k| !k.is_weak());
            if let Ok(mut keys) = shared.write() {
                if keys.len() >= SHARED_KEYS_MAX {
                    keys.clear();
                }
                keys.insert(*signer, key);
            }
            key
        });
        self.0.insert(*signer, key);
        key
    }
}

/// [`verify_batch`] on the calling thread only.
pub(crate) fn verify_serial(records: &[&SignedRecord]) -> Vec<bool> {
    verify_serial_with(records, &mut KeyCache::default())
}

/// [`verify_serial`] with the keys decompressed by earlier calls.
pub(crate) fn verify_serial_with(records: &[&SignedRecord], keys: &mut KeyCache) -> Vec<bool> {
    let mut ok = Vec::with_capacity(records.len());
    for chunk in records.chunks(CHUNK) {
        ok.extend(verify_chunk(chunk, keys));
    }
    ok.resize(records.len(), false);
    ok
}

fn verify_chunk(chunk: &[&SignedRecord], keys: &mut KeyCache) -> Vec<bool> {
    // Re-encoding into one reused buffer: this check runs on every record `attrib verify` reads.
    let mut scratch = vec![0u8; MAX_BODY];
    let canonical: Vec<bool> = chunk
        .iter()
        .map(|r| {
            r.record
                .to_canonical_in(&mut scratch)
                .is_some_and(|enc| *enc == *r.body)
                && r.record.validate().is_ok()
        })
        .collect();
    let chunk_keys: Vec<Option<VerifyingKey>> = chunk.iter().map(|r| keys.get(&r.signer)).collect();
    if canonical.iter().all(|c| *c) {
        if let Some(batch_keys) = chunk_keys.iter().copied().collect::<Option<Vec<_>>>() {
            // All messages of the chunk in one buffer.
            let mut buf =
                Vec::with_capacity(chunk.iter().map(|r| DOMAIN.len() + 64 + r.body.len()).sum());
            let mut ends = Vec::with_capacity(chunk.len());
            for r in chunk {
                buf.extend_from_slice(DOMAIN);
                buf.extend_from_slice(&r.team.0);
                buf.extend_from_slice(&r.signer.0);
                buf.extend_from_slice(&r.body);
                ends.push(buf.len());
            }
            let mut start = 0;
            let msgs: Vec<&[u8]> = ends
                .iter()
                .map(|&end| {
                    let m = &buf[start..end];
                    start = end;
                    m
                })
                .collect();
            let sigs: Vec<Signature> = chunk
                .iter()
                .map(|r| Signature::from_bytes(&r.signature))
                .collect();
            if ed25519_dalek::verify_batch(&msgs, &sigs, &batch_keys).is_ok() {
                return vec![true; chunk.len()];
            }
        }
    }
    chunk
        .iter()
        .zip(canonical)
        .map(|(r, c)| c && r.verify())
        .collect()
}
