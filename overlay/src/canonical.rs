//! The canonical (signed) encoding of a record: postcard over a mirror of the model, so that
//! the model can grow without changing the bytes of records signed before it grew.
//!
//! A record's encoding is fixed by its content: an attestation without contributions is the
//! `Attest` variant (index 3), exactly as records were signed before contributions existed; one
//! with contributions is the `AttestWithContributions` variant (index 6), the same fields
//! followed by the contributions. Decoding either gives the one [`Attestation`] type, and an
//! index-6 body with no contributions would re-encode as index 3, so it is refused as not
//! canonical: every attestation has exactly one encoding.

use serde::{Deserialize, Serialize};

use crate::ids::{PatchId, PublicKey};
use crate::model::{
    AiAssistance, Attestation, Contribution, LineSpan, Origin, Payload, Record, Review,
};

/// A record to encode, borrowing the model.
#[derive(Serialize)]
struct RecordRef<'a> {
    seq: u32,
    timestamp_ms: u64,
    origin: Origin,
    payload: PayloadRef<'a>,
}

/// The variants in their canonical order: the position is the encoded index.
#[derive(Serialize)]
enum PayloadRef<'a> {
    Genesis {
        team_name: &'a str,
        founder_name: &'a str,
        founder_email: &'a Option<String>,
    },
    Grant {
        member: &'a PublicKey,
        name: &'a str,
        email: &'a Option<String>,
        admin: bool,
    },
    Revoke {
        member: &'a PublicKey,
        after_seq: u32,
    },
    Attest(AttestRef<'a>),
    Review(&'a Review),
    Retract {
        patch: &'a PatchId,
        author: &'a PublicKey,
    },
    AttestWithContributions(AttestRef<'a>, &'a [Contribution]),
}

/// The fields every attestation encodes, in order.
#[derive(Serialize)]
struct AttestRef<'a> {
    patch: &'a PatchId,
    ai: &'a Option<AiAssistance>,
    description: &'a Option<String>,
    depends_on: &'a [PatchId],
    conflicts_with: &'a [PatchId],
    replaces: &'a Option<PatchId>,
    line_spans: &'a [LineSpan],
}

/// A decoded record, owning its parts.
#[derive(Deserialize)]
struct RecordOwned {
    seq: u32,
    timestamp_ms: u64,
    origin: Origin,
    payload: PayloadOwned,
}

#[derive(Deserialize)]
enum PayloadOwned {
    Genesis {
        team_name: String,
        founder_name: String,
        founder_email: Option<String>,
    },
    Grant {
        member: PublicKey,
        name: String,
        email: Option<String>,
        admin: bool,
    },
    Revoke {
        member: PublicKey,
        after_seq: u32,
    },
    Attest(AttestOwned),
    Review(Review),
    Retract {
        patch: PatchId,
        author: PublicKey,
    },
    AttestWithContributions(AttestOwned, Vec<Contribution>),
}

#[derive(Deserialize)]
struct AttestOwned {
    patch: PatchId,
    ai: Option<AiAssistance>,
    description: Option<String>,
    depends_on: Vec<PatchId>,
    conflicts_with: Vec<PatchId>,
    replaces: Option<PatchId>,
    line_spans: Vec<LineSpan>,
}

impl AttestOwned {
    fn with(self, contributions: Vec<Contribution>) -> Attestation {
        Attestation {
            patch: self.patch,
            ai: self.ai,
            description: self.description,
            depends_on: self.depends_on,
            conflicts_with: self.conflicts_with,
            replaces: self.replaces,
            line_spans: self.line_spans,
            contributions,
        }
    }
}

fn mirror(r: &Record) -> RecordRef<'_> {
    let payload = match &r.payload {
        Payload::Genesis {
            team_name,
            founder_name,
            founder_email,
        } => PayloadRef::Genesis {
            team_name,
            founder_name,
            founder_email,
        },
        Payload::Grant {
            member,
            name,
            email,
            admin,
        } => PayloadRef::Grant {
            member,
            name,
            email,
            admin: *admin,
        },
        Payload::Revoke { member, after_seq } => PayloadRef::Revoke {
            member,
            after_seq: *after_seq,
        },
        Payload::Attest(a) => {
            let fields = AttestRef {
                patch: &a.patch,
                ai: &a.ai,
                description: &a.description,
                depends_on: &a.depends_on,
                conflicts_with: &a.conflicts_with,
                replaces: &a.replaces,
                line_spans: &a.line_spans,
            };
            if a.contributions.is_empty() {
                PayloadRef::Attest(fields)
            } else {
                PayloadRef::AttestWithContributions(fields, &a.contributions)
            }
        }
        Payload::Review(rv) => PayloadRef::Review(rv),
        Payload::Retract { patch, author } => PayloadRef::Retract { patch, author },
    };
    RecordRef {
        seq: r.seq,
        timestamp_ms: r.timestamp_ms,
        origin: r.origin,
        payload,
    }
}

/// The canonical bytes of `r`.
pub(crate) fn encode(r: &Record) -> Vec<u8> {
    // Serializing plain data into a Vec cannot fail.
    postcard::to_allocvec(&mirror(r)).unwrap_or_default()
}

/// The canonical bytes of `r` written into `buf`, or `None` when they do not fit.
pub(crate) fn encode_into<'b>(r: &Record, buf: &'b mut [u8]) -> Option<&'b mut [u8]> {
    postcard::to_slice(&mirror(r), buf).ok()
}

/// Decodes canonical bytes (without checking that they re-encode identically).
pub(crate) fn decode(bytes: &[u8]) -> Result<Record, postcard::Error> {
    let r: RecordOwned = postcard::from_bytes(bytes)?;
    let payload = match r.payload {
        PayloadOwned::Genesis {
            team_name,
            founder_name,
            founder_email,
        } => Payload::Genesis {
            team_name,
            founder_name,
            founder_email,
        },
        PayloadOwned::Grant {
            member,
            name,
            email,
            admin,
        } => Payload::Grant {
            member,
            name,
            email,
            admin,
        },
        PayloadOwned::Revoke { member, after_seq } => Payload::Revoke { member, after_seq },
        PayloadOwned::Attest(a) => Payload::Attest(a.with(Vec::new())),
        PayloadOwned::Review(rv) => Payload::Review(rv),
        PayloadOwned::Retract { patch, author } => Payload::Retract { patch, author },
        PayloadOwned::AttestWithContributions(a, contributions) => {
            Payload::Attest(a.with(contributions))
        }
    };
    Ok(Record {
        seq: r.seq,
        timestamp_ms: r.timestamp_ms,
        origin: r.origin,
        payload,
    })
}
