//! The design choice, in numbers: the overlay benchmark's attestations rebuilt as automerge
//! documents, one per author, as the original design suggested (each author's document a map
//! from patch to its attestation, one automerge change per attestation, the author's key as the
//! actor), measured the way attrib is measured in the same run:
//!
//! - bytes per attestation: every author's document saved (automerge's compressed columnar
//!   format), over the attestations;
//! - first-sync bytes: automerge's own sync protocol between a replica holding every document
//!   and an empty one, every message of every round counted, per document until both sides
//!   have nothing more to send;
//! - merge time: an empty replica merging every author's document in.
//!
//! The documents hold the same fields as the signed records but no signatures: automerge
//! authenticates nothing, so its figures are a floor for a design that would add them.

use std::time::{Duration, Instant};

use attrib_overlay::{Payload, SignedRecord};
use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ScalarValue, ROOT};

/// One replica: every author's document.
pub struct Replica {
    docs: Vec<AutoCommit>,
    attestations: usize,
}

/// What the baseline measured.
pub struct Figures {
    /// Saved document bytes over attestations.
    pub bytes_per_attestation: f64,
    /// Sync-protocol bytes from a full replica to an empty one, both directions.
    pub first_sync_bytes: u64,
    /// Rounds of the sync protocol, summed over the documents.
    pub sync_messages: u64,
    /// An empty replica merging every author's document.
    pub merge: Duration,
    /// Building the documents (one change per attestation).
    pub build: Duration,
}

impl Replica {
    /// Every attestation of `records` in its signer's document, in record order.
    pub fn build(records: &[SignedRecord]) -> Replica {
        let mut by_author: Vec<(attrib_overlay::PublicKey, AutoCommit, automerge::ObjId)> =
            Vec::new();
        let mut attestations = 0;
        for r in records {
            let Payload::Attest(a) = &r.record.payload else {
                continue;
            };
            let slot = match by_author.iter().position(|(k, _, _)| *k == r.signer) {
                Some(i) => i,
                None => {
                    let mut doc = AutoCommit::new().with_actor(ActorId::from(&r.signer.0[..]));
                    let map = doc
                        .put_object(ROOT, "attestations", ObjType::Map)
                        .expect("root map");
                    doc.commit();
                    by_author.push((r.signer, doc, map));
                    by_author.len() - 1
                }
            };
            let (_, doc, map) = &mut by_author[slot];
            let obj = doc
                .put_object(&*map, a.patch.as_str(), ObjType::Map)
                .expect("attestation map");
            let put = |doc: &mut AutoCommit, k: &str, v: ScalarValue| {
                doc.put(&obj, k, v).expect("put field");
            };
            put(doc, "seq", ScalarValue::Uint(r.record.seq.into()));
            put(
                doc,
                "timestamp",
                ScalarValue::Timestamp(r.record.timestamp_ms as i64),
            );
            put(
                doc,
                "origin",
                ScalarValue::Str(r.record.origin.as_str().into()),
            );
            if let Some(ai) = &a.ai {
                put(
                    doc,
                    "provider",
                    ScalarValue::Str(ai.provider.as_str().into()),
                );
                put(doc, "model", ScalarValue::Str(ai.model.as_str().into()));
                let kind = ai.suggestion_type.as_str();
                put(doc, "suggestion_type", ScalarValue::Str(kind.into()));
                if let Some(p) = &ai.prompt_commitment {
                    put(doc, "prompt_commitment", ScalarValue::Bytes(p.0.to_vec()));
                }
                let optional = [
                    ("confidence_permille", ai.confidence_permille.map(u64::from)),
                    ("token_count", ai.token_count),
                    ("review_seconds", ai.review_seconds.map(u64::from)),
                ];
                for (k, v) in optional {
                    if let Some(v) = v {
                        put(doc, k, ScalarValue::Uint(v));
                    }
                }
            }
            doc.commit();
            attestations += 1;
        }
        Replica {
            docs: by_author.into_iter().map(|(_, d, _)| d).collect(),
            attestations,
        }
    }

    /// Measures this replica against an empty one. `build` is how long [`Replica::build`] took.
    pub fn measure(mut self, build: Duration) -> Figures {
        let saved: usize = self.docs.iter_mut().map(|d| d.save().len()).sum();
        let (mut bytes, mut messages) = (0u64, 0u64);
        for doc in &mut self.docs {
            let mut empty = AutoCommit::new();
            let (b, m) = sync_pair(doc, &mut empty);
            bytes += b;
            messages += m;
            assert_eq!(
                empty.get_heads(),
                doc.get_heads(),
                "automerge sync converged"
            );
        }
        let mut copies: Vec<AutoCommit> = self.docs.iter_mut().map(|d| d.fork()).collect();
        let start = Instant::now();
        let mut merged: Vec<AutoCommit> = Vec::with_capacity(copies.len());
        for copy in &mut copies {
            let mut replica = AutoCommit::new();
            replica.merge(copy).expect("merge");
            merged.push(replica);
        }
        let merge = start.elapsed();
        Figures {
            bytes_per_attestation: saved as f64 / self.attestations.max(1) as f64,
            first_sync_bytes: bytes,
            sync_messages: messages,
            merge,
            build,
        }
    }
}

/// Runs automerge's sync protocol between `a` and `b` until neither has anything to send;
/// returns the encoded bytes and the number of messages.
fn sync_pair(a: &mut AutoCommit, b: &mut AutoCommit) -> (u64, u64) {
    let (mut sa, mut sb) = (sync::State::new(), sync::State::new());
    let (mut bytes, mut messages) = (0u64, 0u64);
    loop {
        let mut quiet = true;
        if let Some(m) = a.sync().generate_sync_message(&mut sa) {
            let wire = m.encode();
            bytes += wire.len() as u64;
            messages += 1;
            let m = sync::Message::decode(&wire).expect("decode sync message");
            b.sync().receive_sync_message(&mut sb, m).expect("receive");
            quiet = false;
        }
        if let Some(m) = b.sync().generate_sync_message(&mut sb) {
            let wire = m.encode();
            bytes += wire.len() as u64;
            messages += 1;
            let m = sync::Message::decode(&wire).expect("decode sync message");
            a.sync().receive_sync_message(&mut sa, m).expect("receive");
            quiet = false;
        }
        if quiet {
            return (bytes, messages);
        }
    }
}
