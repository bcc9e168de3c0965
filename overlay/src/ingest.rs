//! Ingest decisions: why a record is refused, and the checks that need no store.
//!
//! Refusing one record never blocks another: every check yields an [`Outcome`] per record.
//! Records that are authentic but not (yet) admitted — a non-member's, a revoked key's later
//! ones, an equivocating pair — are kept as evidence and never enter the view.

use std::fmt;

use crate::ids::TeamId;
use crate::model::Payload;
use crate::signed::{SignedRecord, GENESIS_TEAM, MAX_BODY};
use crate::team::{Membership, Standing};

/// How far a record's timestamp may run ahead of the local clock.
pub const MAX_FUTURE_SKEW_MS: u64 = 10 * 60 * 1000;

/// Why a record was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a record at all: bad JSON, bad encoding, out-of-range values.
    Malformed(String),
    /// Larger than the limit.
    Oversize {
        /// The record's size.
        bytes: usize,
        /// The largest size accepted.
        limit: usize,
    },
    /// Signed for another team.
    WrongTeam {
        /// The team the record was signed for.
        found: TeamId,
    },
    /// The signature does not verify under the signer's key.
    BadSignature,
    /// Dated too far ahead of this machine's clock.
    FutureTimestamp {
        /// How far ahead of the local clock, in ms (the limit is `MAX_FUTURE_SKEW_MS`).
        ahead_ms: u64,
    },
    /// Tries to retract or change a record whose author is someone else.
    NotAuthor,
    /// The signer is not a member of the team.
    NonMember,
    /// The signer was revoked before this record.
    Revoked {
        /// The revoked key's last valid sequence number.
        after_seq: u32,
    },
    /// A membership change signed by a key that is not an admin.
    NotAdmin,
    /// The signer signed a different record with the same sequence number.
    Equivocation {
        /// The sequence number signed twice.
        seq: u32,
    },
}

impl Refusal {
    /// A short stable code for JSON output and counters.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::Oversize { .. } => "oversize",
            Refusal::WrongTeam { .. } => "wrong-team",
            Refusal::BadSignature => "bad-signature",
            Refusal::FutureTimestamp { .. } => "future-timestamp",
            Refusal::NotAuthor => "not-author",
            Refusal::NonMember => "non-member",
            Refusal::Revoked { .. } => "revoked-key",
            Refusal::NotAdmin => "not-admin",
            Refusal::Equivocation { .. } => "equivocation",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Malformed(why) => write!(f, "malformed record: {why}"),
            Refusal::Oversize { bytes, limit } => {
                write!(f, "oversize record: {bytes} bytes, limit {limit}")
            }
            Refusal::WrongTeam { found } => {
                write!(f, "record belongs to another team ({})", found.short())
            }
            Refusal::BadSignature => f.write_str("bad signature: the record was forged or altered"),
            Refusal::FutureTimestamp { ahead_ms } => write!(
                f,
                "timestamp is {}s in the future (limit {}s)",
                ahead_ms / 1000,
                MAX_FUTURE_SKEW_MS / 1000
            ),
            Refusal::NotAuthor => f.write_str("attempt to alter another author's record"),
            Refusal::NonMember => f.write_str("signer is not a member of the team"),
            Refusal::Revoked { after_seq } => {
                write!(f, "signer's key was revoked after its record #{after_seq}")
            }
            Refusal::NotAdmin => f.write_str("membership change signed by a non-admin"),
            Refusal::Equivocation { seq } => write!(
                f,
                "equivocation: the signer signed two different records as #{seq} (both kept as evidence, key flagged)"
            ),
        }
    }
}

/// What happened to one record offered to the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// New, and now part of the view (or of the team's membership).
    Accepted,
    /// Already held; nothing changed.
    Duplicate,
    /// Not admitted, with the reason. Authentic records refused for membership reasons or
    /// equivocation are still kept as evidence (see the module docs).
    Refused(Refusal),
}

/// Why the membership `m` does not admit `r`, if it does not: a genesis stands on its own;
/// anyone else must be a member, unrevoked at that sequence number; and a membership change
/// needs an admin. The store applies it at ingest, and a sync peer predicts the store's answer
/// with it before writing, so there is one rule.
pub fn admission(r: &SignedRecord, m: Option<&Membership>) -> Option<Refusal> {
    let Some(m) = m else {
        return Some(Refusal::NonMember);
    };
    if let Payload::Genesis { .. } = r.record.payload {
        return None;
    }
    match m.standing(&r.signer, r.record.seq) {
        Standing::NonMember => return Some(Refusal::NonMember),
        Standing::Revoked { after_seq } => return Some(Refusal::Revoked { after_seq }),
        Standing::Admitted => {}
    }
    if r.record.payload.is_membership() && !m.members.get(&r.signer).is_some_and(|x| x.admin) {
        return Some(Refusal::NotAdmin);
    }
    None
}

/// Checks that need only the record, the team and the clock. Signatures are checked in batches
/// by the caller.
pub fn precheck(r: &SignedRecord, team: Option<TeamId>, now_ms: u64) -> Result<(), Refusal> {
    // A record signed in this process, or assembled by hand, never went through the parser's
    // checks; hold it to them here, or one oversize record would fail the whole batch at the
    // log, an out-of-range one would be stored and then break every later read, and a record
    // shown with a body other than the one signed would be judged by the unsigned copy.
    if r.body.len() > MAX_BODY {
        return Err(Refusal::Oversize {
            bytes: r.body.len(),
            limit: MAX_BODY,
        });
    }
    // That `record` is exactly the signed `body` is checked with the signature, in
    // `verify_batch`, which refuses any other body as a bad signature.
    if let Err(e) = r.record.validate() {
        return Err(Refusal::Malformed(e.to_string()));
    }
    match (&r.record.payload, team) {
        (Payload::Genesis { .. }, _) if r.team != GENESIS_TEAM => {
            return Err(Refusal::Malformed(
                "a genesis record must not name a team".into(),
            ))
        }
        (Payload::Genesis { .. }, Some(t)) if r.team_id() != t => {
            return Err(Refusal::WrongTeam { found: r.team_id() })
        }
        (Payload::Genesis { .. }, _) => {}
        (_, Some(t)) if r.team != t => return Err(Refusal::WrongTeam { found: r.team }),
        (_, None) => {
            return Err(Refusal::Malformed(
                "the store has no team yet; import the team's genesis first".into(),
            ))
        }
        _ => {}
    }
    if r.record.timestamp_ms > now_ms.saturating_add(MAX_FUTURE_SKEW_MS) {
        return Err(Refusal::FutureTimestamp {
            ahead_ms: r.record.timestamp_ms - now_ms,
        });
    }
    if let Payload::Retract { author, .. } = &r.record.payload {
        if *author != r.signer {
            return Err(Refusal::NotAuthor);
        }
    }
    Ok(())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
