//! Misbehaviour: what counts as an offence, what it costs a peer, and the counters that report it.

use std::collections::BTreeMap;

use attrib_overlay::Refusal;
use serde::Serialize;

/// Something a peer did that the node refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Offence {
    /// Bytes that are not a message of this protocol.
    Undecodable,
    /// A message or record over the size limit.
    Oversize,
    /// A message or record that decodes but breaks the format's rules.
    Malformed,
    /// A message or record for another team.
    WrongTeam,
    /// A record whose signature does not verify: forged or altered.
    BadSignature,
    /// A record that would alter or retract another author's record.
    NotAuthor,
    /// A membership change signed by a member who is not an admin.
    NotAdmin,
    /// A record signed by a key that is not a member.
    NonMember,
    /// A record signed by a revoked key after its revocation.
    Revoked,
    /// The peer's own key signed two different records with one sequence number.
    Equivocation,
    /// A record dated too far in the future.
    FutureTimestamp,
    /// A record the node already held, sent where it was not asked for.
    Replay,
    /// More messages than the rate limit allows.
    Flood,
    /// A response to no request.
    Unsolicited,
    /// A device that is not a member of the team tried to connect.
    NotMemberPeer,
    /// A banned device tried to connect again.
    Banned,
}

impl Offence {
    /// Score lost per offence. A peer is disconnected and banned at
    /// [`crate::protocol::Config::disconnect_below`]: two forgeries, one wrong-team message, or
    /// a sustained flood. Offences an honest peer can commit by timing alone (relaying a record
    /// whose grant has not reached us yet, clock skew) cost little.
    pub fn weight(self) -> i64 {
        match self {
            Offence::WrongTeam | Offence::NotMemberPeer | Offence::Banned => 100,
            Offence::Undecodable
            | Offence::Oversize
            | Offence::Malformed
            | Offence::BadSignature
            | Offence::NotAuthor
            | Offence::NotAdmin
            | Offence::Equivocation => 50,
            Offence::Flood | Offence::Unsolicited => 10,
            Offence::NonMember | Offence::Revoked | Offence::FutureTimestamp => 2,
            Offence::Replay => 1,
        }
    }

    /// The offence of relaying a record the store refused, or `None` when relaying it is no
    /// fault of the relay. `own`: the record is signed by the sending peer itself.
    pub fn of_refusal(why: &Refusal, own: bool) -> Option<Offence> {
        Some(match why {
            Refusal::Malformed(_) => Offence::Malformed,
            Refusal::Oversize { .. } => Offence::Oversize,
            Refusal::WrongTeam { .. } => Offence::WrongTeam,
            Refusal::BadSignature => Offence::BadSignature,
            Refusal::NotAuthor => Offence::NotAuthor,
            Refusal::NotAdmin => Offence::NotAdmin,
            Refusal::NonMember => Offence::NonMember,
            Refusal::Revoked { .. } => Offence::Revoked,
            Refusal::FutureTimestamp { .. } => Offence::FutureTimestamp,
            // An honest relay may hold one version and we another: the evidence is useful and
            // the fault is the signer's. Only the signer itself is punished for it.
            Refusal::Equivocation { .. } if own => Offence::Equivocation,
            Refusal::Equivocation { .. } => return None,
        })
    }

    /// A short stable code (`bad-signature`, `flood`, …) for JSON, counters and logs.
    pub fn code(self) -> &'static str {
        match self {
            Offence::Undecodable => "undecodable",
            Offence::Oversize => "oversize",
            Offence::Malformed => "malformed",
            Offence::WrongTeam => "wrong-team",
            Offence::BadSignature => "bad-signature",
            Offence::NotAuthor => "not-author",
            Offence::NotAdmin => "not-admin",
            Offence::NonMember => "non-member",
            Offence::Revoked => "revoked-key",
            Offence::Equivocation => "equivocation",
            Offence::FutureTimestamp => "future-timestamp",
            Offence::Replay => "replay",
            Offence::Flood => "flood",
            Offence::Unsolicited => "unsolicited",
            Offence::NotMemberPeer => "not-member-peer",
            Offence::Banned => "banned",
        }
    }
}

impl std::fmt::Display for Offence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// What the node has done and refused since it started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Offences seen, by kind.
    pub offences: BTreeMap<Offence, u64>,
    /// Peers disconnected for misbehaviour.
    pub disconnects: u64,
    /// Connections refused because the device is not a member or is banned.
    pub gated: u64,
    /// Sync requests this node sent.
    pub requests_sent: u64,
    /// Sync requests of peers this node answered with records and heads.
    pub requests_answered: u64,
    /// Requests of this node that timed out or whose stream failed.
    pub request_failures: u64,
    /// Sync protocol bytes sent (requests and responses; gossip this node publishes is not
    /// counted), without transport overhead.
    pub bytes_sent: u64,
    /// Sync protocol bytes received (requests, responses and gossip messages).
    pub bytes_received: u64,
    /// Records received (sync and gossip) that the store accepted as new.
    pub records_accepted: u64,
    /// Records received that the store already held.
    pub records_duplicate: u64,
    /// Records received that the store refused.
    pub records_refused: u64,
    /// Records this node wrote and published on gossip.
    pub records_published: u64,
    /// Failures of the local store while syncing.
    pub store_errors: u64,
}

/// A token bucket: `burst` tokens, refilled at `per_sec`.
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    at_ms: u64,
}

impl Bucket {
    pub fn new(burst: u32, now_ms: u64) -> Bucket {
        Bucket {
            tokens: burst as f64,
            at_ms: now_ms,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, burst: u32, per_sec: u32, now_ms: u64) -> bool {
        let elapsed = now_ms.saturating_sub(self.at_ms) as f64 / 1000.0;
        self.tokens = (self.tokens + elapsed * per_sec as f64).min(burst as f64);
        self.at_ms = self.at_ms.max(now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let mut b = Bucket::new(3, 0);
        assert!((0..3).all(|_| b.take(3, 10, 0)));
        assert!(!b.take(3, 10, 0));
        assert!(b.take(3, 10, 100), "one token after 100 ms at 10/s");
        assert!(!b.take(3, 10, 100));
        assert!(
            (0..3).all(|_| b.take(3, 10, 100_000)),
            "refill caps at burst"
        );
        assert!(!b.take(3, 10, 100_000));
    }

    #[test]
    fn relayed_equivocation_is_no_offence_but_ones_own_is() {
        let why = Refusal::Equivocation { seq: 4 };
        assert_eq!(Offence::of_refusal(&why, false), None);
        assert_eq!(Offence::of_refusal(&why, true), Some(Offence::Equivocation));
        assert_eq!(
            Offence::of_refusal(&Refusal::BadSignature, false),
            Some(Offence::BadSignature)
        );
    }
}
