//! Every message on the wire, typed, with a versioned and size-limited codec.
//!
//! A message is one version byte ([`VERSION`]) followed by its postcard encoding. Decoding checks
//! the size limit before reading anything, refuses another version, refuses trailing bytes, and
//! then checks the invariants the types cannot express ([`Validate`]). It returns an error on any
//! input and never panics: everything here is peer-controlled.

use attrib_overlay::signed::{GENESIS_TEAM, MAX_BODY};
use attrib_overlay::{FormatError, Payload, PublicKey, SignedRecord, TeamId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::heads::{AuthorHeads, Digest, Heads, SeqRanges};

/// The protocol version, the first byte of every message.
pub const VERSION: u8 = 1;
/// The largest sync request or response accepted, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 8 << 20;
/// The largest gossip message accepted: one record with its signer and signature.
pub const MAX_GOSSIP_BYTES: usize = MAX_BODY + 256;
/// Most explicit range requests (`wants`) or digest probes in one request.
pub const MAX_WANTS: usize = 256;
/// Most ranges in one author's heads; normally one, more only where records were refused.
pub const MAX_RANGES: usize = 4096;
/// Most buckets in a probe answer.
pub const PROBE_BUCKETS: usize = 16;

/// Why bytes from a peer were not a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Over the size limit; refused before decoding.
    #[error("message is {bytes} bytes; the limit is {limit}")]
    Oversize {
        /// The message's size.
        bytes: usize,
        /// The largest size accepted for this kind of message.
        limit: usize,
    },
    /// The leading version byte names a protocol version this node does not speak.
    #[error("protocol version {0} is not spoken here (this node speaks {VERSION})")]
    Version(u8),
    /// The bytes do not decode as the expected message (postcard's reason).
    #[error("undecodable message: {0}")]
    Undecodable(String),
    /// The message decodes but breaks an invariant ([`Validate`]'s reason).
    #[error("malformed message: {0}")]
    Malformed(String),
}

/// Encodes a message: version byte, then postcard.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let mut out = vec![VERSION];
    // Serialising plain data into a Vec cannot fail; an empty body would be refused by the peer.
    out.extend(postcard::to_allocvec(msg).unwrap_or_default());
    out
}

/// Decodes and validates a message of at most `limit` bytes.
pub fn decode<T: DeserializeOwned + Validate>(bytes: &[u8], limit: usize) -> Result<T, WireError> {
    if bytes.len() > limit {
        return Err(WireError::Oversize {
            bytes: bytes.len(),
            limit,
        });
    }
    let (&version, body) = bytes
        .split_first()
        .ok_or_else(|| WireError::Undecodable("empty message".into()))?;
    if version != VERSION {
        return Err(WireError::Version(version));
    }
    let (msg, rest): (T, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| WireError::Undecodable(e.to_string()))?;
    if !rest.is_empty() {
        return Err(WireError::Undecodable(format!(
            "{} trailing bytes",
            rest.len()
        )));
    }
    msg.validate().map_err(WireError::Malformed)?;
    Ok(msg)
}

/// Invariants of a decoded message that its types do not express.
pub trait Validate {
    /// `Err` with a one-line reason when the decoded value breaks an invariant; the decoder
    /// then refuses the whole message as malformed.
    fn validate(&self) -> Result<(), String>;
}

/// A signed record as sent: the team is implied by the connection (and bound by the signature,
/// so a record of another team fails to verify).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireRecord {
    /// The key that signed the record.
    pub signer: PublicKey,
    /// The record's canonical body, at most [`MAX_BODY`] bytes.
    pub body: Vec<u8>,
    /// The 64-byte signature in two halves (serde derives arrays up to 32).
    pub signature: [[u8; 32]; 2],
}

impl WireRecord {
    /// The wire form of a signed record (the team is left out: the connection implies it).
    pub fn from_signed(r: &SignedRecord) -> WireRecord {
        let mut signature = [[0u8; 32]; 2];
        signature[0].copy_from_slice(&r.signature[..32]);
        signature[1].copy_from_slice(&r.signature[32..]);
        WireRecord {
            signer: r.signer,
            body: r.body.clone(),
            signature,
        }
    }

    /// The record, read as one of `team`'s (a genesis names no team). Checks the body is
    /// canonical and within limits; the signature is checked at ingest.
    pub fn into_signed(self, team: TeamId) -> Result<SignedRecord, FormatError> {
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&self.signature[0]);
        signature[32..].copy_from_slice(&self.signature[1]);
        let mut r = SignedRecord::from_parts(team, self.signer, self.body, signature)?;
        if matches!(r.record.payload, Payload::Genesis { .. }) {
            r.team = GENESIS_TEAM;
        }
        Ok(r)
    }

    /// Bytes of the signed record itself (signer, body, signature), for wire-overhead figures.
    pub fn signed_len(&self) -> usize {
        32 + self.body.len() + 64
    }
}

impl Validate for WireRecord {
    fn validate(&self) -> Result<(), String> {
        if self.body.len() > MAX_BODY {
            return Err(format!(
                "record body is {} bytes; the limit is {MAX_BODY}",
                self.body.len()
            ));
        }
        Ok(())
    }
}

/// One author's heads on the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadsEntry {
    /// The author.
    pub author: PublicKey,
    /// The sequence numbers held of that author (normal form checked on decode).
    pub ranges: SeqRanges,
    /// The digest of the records held (see [`AuthorHeads::digest`]).
    pub digest: Digest,
}

/// A sender's heads: whole (`full`), or only the authors that changed since the heads it sent
/// the same peer last time on the same channel. `fingerprint` is of the sender's whole heads, so
/// the receiver can check that applying the delta reproduced them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadsUpdate {
    /// `authors` is the sender's whole heads (else only the authors that changed).
    pub full: bool,
    /// Per author (sorted, each once), what the sender holds; a delta names only the authors
    /// whose heads changed, and heads only grow, so no author is ever removed.
    pub authors: Vec<HeadsEntry>,
    /// The fingerprint of the sender's whole heads after the update.
    pub fingerprint: [u8; 16],
}

impl HeadsUpdate {
    /// An update from `(author, heads)` pairs, whole or delta as `full` says.
    pub fn new(full: bool, authors: Vec<(PublicKey, AuthorHeads)>, fingerprint: [u8; 16]) -> Self {
        HeadsUpdate {
            full,
            authors: authors
                .into_iter()
                .map(|(author, h)| HeadsEntry {
                    author,
                    ranges: h.ranges,
                    digest: h.digest,
                })
                .collect(),
            fingerprint,
        }
    }

    /// Applies the update to the receiver's copy of the sender's heads. Returns `None` when the
    /// result does not match the fingerprint (the copy was stale or lost): the receiver then
    /// needs the sender's full heads.
    pub fn apply(&self, base: Option<&Heads>) -> Option<Heads> {
        let mut heads = match (self.full, base) {
            (true, _) => Heads::new(),
            (false, Some(b)) => b.clone(),
            (false, None) => return None,
        };
        for e in &self.authors {
            heads.insert(
                e.author,
                AuthorHeads {
                    ranges: e.ranges.clone(),
                    digest: e.digest,
                },
            );
        }
        (super::heads::fingerprint(&heads) == self.fingerprint).then_some(heads)
    }
}

impl Validate for HeadsUpdate {
    fn validate(&self) -> Result<(), String> {
        if !self.authors.windows(2).all(|w| w[0].author < w[1].author) {
            return Err("heads authors are not sorted and unique".into());
        }
        for e in &self.authors {
            if e.ranges.ranges().len() > MAX_RANGES {
                return Err(format!(
                    "{} ranges for one author; the limit is {MAX_RANGES}",
                    e.ranges.ranges().len()
                ));
            }
            if !e.ranges.is_normal() {
                return Err("sequence ranges are not in normal form".into());
            }
        }
        Ok(())
    }
}

/// A range of one author's sequence numbers, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeqSpan {
    /// Whose sequence numbers.
    pub author: PublicKey,
    /// The first number of the span.
    pub first: u32,
    /// The last number, inclusive; never below `first` in a valid message.
    pub last: u32,
}

impl SeqSpan {
    /// The probe buckets of this span: up to [`PROBE_BUCKETS`] consecutive spans of equal
    /// width covering it. Both peers compute the same split from the same span.
    pub fn buckets(&self) -> Vec<SeqSpan> {
        let len = self.last as u64 - self.first as u64 + 1;
        let width = len.div_ceil(PROBE_BUCKETS as u64).max(1);
        let mut out = Vec::new();
        let mut lo = self.first as u64;
        while lo <= self.last as u64 {
            let hi = (lo + width - 1).min(self.last as u64);
            out.push(SeqSpan {
                author: self.author,
                first: lo as u32,
                last: hi as u32,
            });
            lo = hi + 1;
        }
        out
    }

    /// How many sequence numbers the span covers.
    pub fn count(&self) -> u64 {
        self.last as u64 - self.first as u64 + 1
    }
}

/// A pull: "here is what I hold; send me what I lack".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The team whose records are asked for; a responder of another team refuses.
    pub team: TeamId,
    /// Echoed in the response, so a late answer to an abandoned request is recognised.
    pub round: u32,
    /// The requester's heads, for the responder to compute what it lacks.
    pub heads: HeadsUpdate,
    /// The requester lost track of the responder's heads: answer with them whole.
    pub send_full_heads: bool,
    /// Send every record held in these spans, whatever the heads say (the end of a probe).
    pub wants: Vec<SeqSpan>,
    /// Answer with the digest of each bucket of these spans.
    pub probes: Vec<SeqSpan>,
}

impl Validate for SyncRequest {
    fn validate(&self) -> Result<(), String> {
        self.heads.validate()?;
        if self.wants.len() > MAX_WANTS || self.probes.len() > MAX_WANTS {
            return Err(format!(
                "more than {MAX_WANTS} wanted spans or probes in one request"
            ));
        }
        if self
            .wants
            .iter()
            .chain(&self.probes)
            .any(|s| s.first > s.last)
        {
            return Err("a span ends before it starts".into());
        }
        Ok(())
    }
}

/// How a responder took a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Answered: records and heads follow.
    Ok,
    /// The delta did not reproduce the requester's heads on this side: resend them whole.
    ResendFullHeads,
    /// The request was for another team.
    WrongTeam,
    /// Too many requests: try again later.
    Busy,
}

/// The digests of a probed span's buckets, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeAnswer {
    /// The span probed, as the request named it.
    pub span: SeqSpan,
    /// One digest per bucket of `span` ([`SeqSpan::buckets`]), in order.
    pub digests: Vec<Digest>,
}

/// The answer to a pull: the records the requester lacks, and the responder's heads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// The request's round, echoed (0 when the request was refused before decoding).
    pub round: u32,
    /// How the request was taken; only `Ok` carries heads and records.
    pub status: Status,
    /// The responder's heads, whole or as a delta.
    pub heads: Option<HeadsUpdate>,
    /// The records the requester lacks or asked for, within the byte budget.
    pub records: Vec<WireRecord>,
    /// The byte budget cut the records short: pull again.
    pub more: bool,
    /// Answers to the request's probes, in its order.
    pub probe_answers: Vec<ProbeAnswer>,
}

impl Validate for SyncResponse {
    fn validate(&self) -> Result<(), String> {
        if let Some(h) = &self.heads {
            h.validate()?;
        }
        for r in &self.records {
            r.validate()?;
        }
        if self.probe_answers.len() > MAX_WANTS {
            return Err(format!("more than {MAX_WANTS} probe answers"));
        }
        for a in &self.probe_answers {
            if a.span.first > a.span.last || a.digests.len() != a.span.buckets().len() {
                return Err("a probe answer does not match its span".into());
            }
        }
        Ok(())
    }
}

/// One gossip message: a record pushed eagerly on the team's topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gossip {
    /// The record pushed.
    pub record: WireRecord,
}

impl Validate for Gossip {
    fn validate(&self) -> Result<(), String> {
        self.record.validate()
    }
}

/// A response that says only a status (no heads, no records).
pub fn status_response(round: u32, status: Status) -> SyncResponse {
    SyncResponse {
        round,
        status,
        heads: None,
        records: Vec::new(),
        more: false,
        probe_answers: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request() -> SyncRequest {
        SyncRequest {
            team: TeamId([3; 32]),
            round: 7,
            heads: HeadsUpdate::new(
                true,
                vec![(
                    PublicKey([1; 32]),
                    AuthorHeads {
                        ranges: SeqRanges::from_ranges([(1, 10)]),
                        digest: [5; 8],
                    },
                )],
                [0; 16],
            ),
            send_full_heads: false,
            wants: vec![],
            probes: vec![],
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let bytes = encode(&request());
        assert_eq!(
            decode::<SyncRequest>(&bytes, MAX_MESSAGE_BYTES),
            Ok(request())
        );

        let mut other_version = bytes.clone();
        other_version[0] = 2;
        assert_eq!(
            decode::<SyncRequest>(&other_version, MAX_MESSAGE_BYTES),
            Err(WireError::Version(2))
        );
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            decode::<SyncRequest>(&trailing, MAX_MESSAGE_BYTES),
            Err(WireError::Undecodable(_))
        ));
        assert!(matches!(
            decode::<SyncRequest>(&bytes, 10),
            Err(WireError::Oversize { .. })
        ));
        assert!(decode::<SyncRequest>(&[], MAX_MESSAGE_BYTES).is_err());

        let mut bad = request();
        bad.heads.authors[0].ranges = SeqRanges::from_ranges([(1, 2)]);
        bad.heads.authors.push(bad.heads.authors[0].clone()); // duplicate author
        assert!(matches!(
            decode::<SyncRequest>(&encode(&bad), MAX_MESSAGE_BYTES),
            Err(WireError::Malformed(_))
        ));
    }

    #[test]
    fn buckets_cover_a_span_exactly() {
        for (first, last) in [(1u32, 1u32), (1, 16), (1, 17), (5, 1000), (0, u32::MAX)] {
            let span = SeqSpan {
                author: PublicKey([0; 32]),
                first,
                last,
            };
            let b = span.buckets();
            assert!(b.len() <= PROBE_BUCKETS);
            assert_eq!(b[0].first, first);
            assert_eq!(b.last().map(|s| s.last), Some(last));
            assert!(b
                .windows(2)
                .all(|w| w[0].last as u64 + 1 == w[1].first as u64));
        }
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = decode::<SyncRequest>(&bytes, MAX_MESSAGE_BYTES);
            let _ = decode::<SyncResponse>(&bytes, MAX_MESSAGE_BYTES);
            let _ = decode::<Gossip>(&bytes, MAX_GOSSIP_BYTES);
        }

        #[test]
        fn flipped_bytes_of_a_real_message_never_panic(at in 0usize..200, to in any::<u8>()) {
            let mut bytes = encode(&request());
            let i = at % bytes.len();
            bytes[i] = to;
            let _ = decode::<SyncRequest>(&bytes, MAX_MESSAGE_BYTES);
        }
    }
}
