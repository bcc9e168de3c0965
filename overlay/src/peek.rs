//! Fast, borrowed decoding of the fields a listing prints, straight from canonical bytes.
//!
//! `attrib log` over 100k attestations must finish in tens of milliseconds, which a full decode
//! per record (allocating every string, rebuilding every patch id) cannot do. This reader walks
//! the postcard layout of [`crate::Record`] up to the attestation's confidence and stops. It must
//! agree with the full decoder; `tests/peek.rs` checks that on generated records.

use std::fmt;

use crate::ids::base32;
use crate::model::{Origin, SuggestionType};

/// A patch id as stored: 33 raw change-hash bytes, or text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchRef<'a> {
    /// A Pijul/Atomic change hash, as its 33 raw bytes (printed in base32 on display).
    Hash(&'a [u8; 33]),
    /// Any other patch id, as stored.
    Text(&'a str),
}

impl PatchRef<'_> {
    /// Length of the printed id, without printing it.
    pub fn text_len(&self) -> usize {
        match self {
            PatchRef::Hash(_) => base32::TEXT_LEN,
            PatchRef::Text(s) => s.len(),
        }
    }
}

impl fmt::Display for PatchRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchRef::Hash(raw) => {
                let mut buf = [0u8; base32::TEXT_LEN];
                f.write_str(base32::encode_hash_str(raw, &mut buf))
            }
            PatchRef::Text(s) => f.write_str(s),
        }
    }
}

/// The AI fields a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AiPeek<'a> {
    /// [`crate::AiAssistance::provider`], borrowed from the record's bytes.
    pub provider: &'a str,
    /// [`crate::AiAssistance::model`], borrowed.
    pub model: &'a str,
    /// [`crate::AiAssistance::suggestion_type`].
    pub suggestion_type: SuggestionType,
    /// [`crate::AiAssistance::confidence_permille`] (0..=1000).
    pub confidence_permille: Option<u16>,
    /// [`crate::AiAssistance::token_count`].
    pub token_count: Option<u64>,
    /// Seconds a human spent reviewing the AI's output before recording.
    pub review_seconds: Option<u32>,
}

/// The head of an attestation record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttestationPeek<'a> {
    /// The signer's sequence number of the record.
    pub seq: u32,
    /// When it was signed, ms since the epoch by the signer's clock.
    pub timestamp_ms: u64,
    /// What produced the record.
    pub origin: Origin,
    /// The patch attested.
    pub patch: PatchRef<'a>,
    /// The AI fields, `None` for a patch written without AI.
    pub ai: Option<AiPeek<'a>>,
    /// The record carries contributions (one per AI session): a reader that needs them decodes
    /// the whole record; `ai` is the main one.
    pub contributions: bool,
}

/// Variant index of `Payload::Attest` in the canonical encoding.
const ATTEST: u64 = 3;
/// Variant index of an attestation with contributions: the same fields first, then the
/// contributions (see `canonical.rs`), so everything read here reads the same.
const ATTEST_WITH_CONTRIBUTIONS: u64 = 6;
/// Variant index of `Payload::Review`.
const REVIEW: u64 = 4;

/// The head of a review record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewPeek<'a> {
    /// The reviewer's sequence number of the record.
    pub seq: u32,
    /// When it was signed, ms since the epoch by the reviewer's clock.
    pub timestamp_ms: u64,
    /// The patch reviewed.
    pub patch: PatchRef<'a>,
    /// Seconds the reviewer spent.
    pub seconds: u32,
}

struct Cursor<'a> {
    b: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for i in 0..10 {
            let byte = *self.b.get(i)?;
            v |= ((byte & 0x7f) as u64) << (7 * i);
            if byte & 0x80 == 0 {
                self.b = &self.b[i + 1..];
                return Some(v);
            }
        }
        None
    }
    fn byte(&mut self) -> Option<u8> {
        let (&x, rest) = self.b.split_first()?;
        self.b = rest;
        Some(x)
    }
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (x, rest) = self.b.split_at(n);
        self.b = rest;
        Some(x)
    }
    fn str(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.varint()?).ok()?;
        std::str::from_utf8(self.bytes(n)?).ok()
    }
    /// An `Option` of an integer: `Some(None)` when absent, `None` on bad bytes.
    fn opt_varint(&mut self) -> Option<Option<u64>> {
        if self.option()? {
            Some(Some(self.varint()?))
        } else {
            Some(None)
        }
    }
    fn option(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

/// Reads up to the patch id: sequence number, time, origin, and the patch.
fn attestation_prefix<'a>(c: &mut Cursor<'a>) -> Option<(u32, u64, Origin, PatchRef<'a>)> {
    payload_prefix(c, &[ATTEST, ATTEST_WITH_CONTRIBUTIONS]).map(|(p, _)| p)
}

/// Reads up to the patch id of a record whose payload is one of the variants `variants`.
/// Returns them with the variant read.
fn payload_prefix<'a>(
    c: &mut Cursor<'a>,
    variants: &[u64],
) -> Option<((u32, u64, Origin, PatchRef<'a>), u64)> {
    let seq = u32::try_from(c.varint()?).ok()?;
    let timestamp_ms = c.varint()?;
    let origin = match c.varint()? {
        0 => Origin::Person,
        1 => Origin::AgentHook,
        2 => Origin::Detected,
        3 => Origin::Imported,
        _ => return None,
    };
    let variant = c.varint()?;
    if !variants.contains(&variant) {
        return None;
    }
    let patch = match c.varint()? {
        0 => PatchRef::Hash(c.bytes(33)?.try_into().ok()?),
        1 => PatchRef::Text(c.str()?),
        _ => return None,
    };
    Some(((seq, timestamp_ms, origin, patch), variant))
}

/// The listing fields of `body` if it is an attestation; `None` for other records or bad bytes.
pub fn peek_attestation(body: &[u8]) -> Option<AttestationPeek<'_>> {
    peek_attestation_in(body, None)
}

/// [`peek_attestation`] for a body as the store keeps it: when `names` is given, the provider
/// and model strings were packed into a one-byte model id naming `names[id - 1]`.
pub(crate) fn peek_attestation_in<'a>(
    body: &'a [u8],
    names: Option<&'a [(String, String)]>,
) -> Option<AttestationPeek<'a>> {
    let mut c = Cursor { b: body };
    let ((seq, timestamp_ms, origin, patch), variant) =
        payload_prefix(&mut c, &[ATTEST, ATTEST_WITH_CONTRIBUTIONS])?;
    let ai = if c.option()? {
        let (provider, model) = match names {
            None => (c.str()?, c.str()?),
            Some(names) => {
                let (p, m) = names.get(usize::from(c.byte()?).checked_sub(1)?)?;
                (p.as_str(), m.as_str())
            }
        };
        let suggestion_type = *SuggestionType::ALL.get(usize::try_from(c.varint()?).ok()?)?;
        if c.option()? {
            c.bytes(32)?;
        }
        let confidence_permille = if c.option()? {
            Some(u16::try_from(c.varint()?).ok()?)
        } else {
            None
        };
        let token_count = c.opt_varint()?;
        // temperature, max_tokens, top_p: skipped.
        for _ in 0..3 {
            u32::try_from(c.opt_varint()?.unwrap_or(0)).ok()?;
        }
        let review_seconds = match c.opt_varint()? {
            Some(v) => Some(u32::try_from(v).ok()?),
            None => None,
        };
        Some(AiPeek {
            provider,
            model,
            suggestion_type,
            confidence_permille,
            token_count,
            review_seconds,
        })
    } else {
        None
    };
    Some(AttestationPeek {
        seq,
        timestamp_ms,
        origin,
        patch,
        ai,
        contributions: variant == ATTEST_WITH_CONTRIBUTIONS,
    })
}

/// Where an attestation's provider and model strings sit in its canonical `body`: the byte
/// range that the store packs into a one-byte model id. `None` for records
/// without AI, other records, and bad bytes.
pub(crate) fn ai_names_span(body: &[u8]) -> Option<AiNames<'_>> {
    let mut c = Cursor { b: body };
    attestation_prefix(&mut c)?;
    if !c.option()? {
        return None;
    }
    let start = body.len() - c.b.len();
    let provider = c.str()?;
    let model = c.str()?;
    Some(AiNames {
        start,
        end: body.len() - c.b.len(),
        provider,
        model,
    })
}

/// An attestation's provider and model and the bytes `start..end` they take in its body.
pub(crate) struct AiNames<'a> {
    pub start: usize,
    pub end: usize,
    pub provider: &'a str,
    pub model: &'a str,
}

/// Where the one-byte model id sits in a packed attestation body (see [`ai_names_span`]).
pub(crate) fn packed_model_at(body: &[u8]) -> Option<usize> {
    let mut c = Cursor { b: body };
    attestation_prefix(&mut c)?;
    if !c.option()? {
        return None;
    }
    Some(body.len() - c.b.len())
}

/// The patch and seconds of `body` if it is a review; `None` for other records or bad bytes.
pub fn peek_review(body: &[u8]) -> Option<ReviewPeek<'_>> {
    let mut c = Cursor { b: body };
    let ((seq, timestamp_ms, _, patch), _) = payload_prefix(&mut c, &[REVIEW])?;
    let seconds = u32::try_from(c.varint()?).ok()?;
    Some(ReviewPeek {
        seq,
        timestamp_ms,
        patch,
        seconds,
    })
}
