//! The audit behind `attrib verify FILE`: a signed export checked with nothing but the file —
//! no store, no identity, no network.
//!
//! Every line is parsed ([`crate::exchange::from_json_line`]) and its signature batch-verified
//! on every core, as the store's audit does ([`crate::audit`]). Then the same rules the store
//! applies decide every record, one rule in one place: [`crate::ingest::precheck`] (the team, a
//! genesis's form, the clock, retractions), [`crate::view::dedup`] (duplicates and
//! equivocation), [`Membership::evaluate`] (who was a member at every sequence number) and
//! [`crate::ingest::admission`] (member, not revoked, admin for membership changes). A record
//! that fails any of them is a [`BadLine`] with its line number and reason.
//!
//! The team is the one the file's genesis founds (the first genesis, by line, when there are
//! several), or the one pinned with `pinned`: a file whose genesis does not found the pinned
//! team is refused as a whole, which is how a forged team — a fresh genesis with the same name
//! — is caught.

use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use crate::exchange::from_json_line;
use crate::ids::{PublicKey, TeamId};
use crate::ingest::{admission, precheck, Refusal};
use crate::model::Payload;
use crate::signed::{verify_batch, verify_serial_with, KeyCache, SignedRecord};
use crate::team::Membership;
use crate::view::{dedup, slot_winners};

/// A line of the file that does not hold.
#[derive(Clone, Debug, Serialize)]
pub struct BadLine {
    /// The line's number in the file, from 1.
    pub line: usize,
    /// A short stable code: `malformed`, `bad-signature`, `wrong-team`, `non-member`,
    /// `revoked-key`, `not-admin`, `equivocation`, … ([`Refusal::code`]).
    pub code: &'static str,
    /// Why, as one line.
    pub why: String,
    /// The key the record names as its signer, when the line parsed.
    pub signer: Option<PublicKey>,
    /// The record's sequence number, when the line parsed.
    pub seq: Option<u32>,
    /// The record's kind ([`Payload::kind`]), when the line parsed.
    pub kind: Option<&'static str>,
}

impl BadLine {
    /// A line refused for `refusal`.
    pub fn refused(line: usize, r: &SignedRecord, refusal: &Refusal) -> BadLine {
        BadLine {
            line,
            code: refusal.code(),
            why: refusal.to_string(),
            signer: Some(r.signer),
            seq: Some(r.record.seq),
            kind: Some(r.record.payload.kind()),
        }
    }

    /// A line that is not a record at all.
    pub fn malformed(line: usize, why: impl Into<String>) -> BadLine {
        BadLine {
            line,
            code: "malformed",
            why: why.into(),
            signer: None,
            seq: None,
            kind: None,
        }
    }
}

/// What the audit of a file found.
#[derive(Clone, Debug, Serialize)]
pub struct FileAudit {
    /// Records read (lines, and records carried inside envelopes).
    pub records: usize,
    /// Records whose body is canonical and whose signature verifies.
    pub valid_signatures: usize,
    /// The team the file speaks for, when it has its genesis.
    pub team: Option<TeamId>,
    /// The team's name, from its genesis.
    pub team_name: Option<String>,
    /// Every line that does not hold, in line order.
    pub bad: Vec<BadLine>,
    /// What is wrong with the file as a whole (no genesis, a pinned team that differs).
    pub problems: Vec<String>,
    /// Keys that signed two different records with one sequence number.
    pub equivocators: Vec<PublicKey>,
    /// Records that hold (admitted, with their duplicates).
    pub admitted: usize,
    /// The membership the file's records establish.
    #[serde(skip)]
    pub membership: Option<Membership>,
    /// The merged view of the records that hold: the winner of every slot (the overlay's one
    /// rule, [`crate::view::slot_winners`]), retractions left out, in line order.
    #[serde(skip)]
    pub current: Vec<SignedRecord>,
}

impl FileAudit {
    /// Every record holds: exit 0.
    pub fn ok(&self) -> bool {
        self.bad.is_empty() && self.problems.is_empty() && self.equivocators.is_empty()
    }
}

/// Lines per unit of work handed to a thread.
const PIECE: usize = 1024;

/// Audits the attrib record lines `lines` (`(line number, text)`) together with `records`
/// already parsed from elsewhere in the file (the records an in-toto envelope carries, with
/// the envelope's line number), against the clock `now_ms`.
pub fn audit_file(
    lines: &[(usize, &str)],
    records: Vec<(usize, SignedRecord)>,
    pinned: Option<TeamId>,
    now_ms: u64,
) -> FileAudit {
    let mut bad = Vec::new();
    let mut good = parse_and_verify(lines, &mut bad);
    let total = lines.len() + records.len();
    if !records.is_empty() {
        let refs: Vec<&SignedRecord> = records.iter().map(|(_, r)| r).collect();
        let flags = verify_batch(&refs);
        for ((line, r), ok) in records.into_iter().zip(flags) {
            if ok {
                good.push((line, r));
            } else {
                bad.push(BadLine::refused(line, &r, &Refusal::BadSignature));
            }
        }
        good.sort_by_key(|(line, _)| *line);
    }
    let valid_signatures = good.len();
    let mut audit = FileAudit {
        records: total,
        valid_signatures,
        team: None,
        team_name: None,
        bad,
        problems: Vec::new(),
        equivocators: Vec::new(),
        admitted: 0,
        membership: None,
        current: Vec::new(),
    };
    decide(&mut audit, good, pinned, now_ms);
    audit.bad.sort_by_key(|b| b.line);
    audit
}

/// Parses and verifies `lines` on every core; the good records come back in line order.
fn parse_and_verify(lines: &[(usize, &str)], bad: &mut Vec<BadLine>) -> Vec<(usize, SignedRecord)> {
    let pieces: Vec<&[(usize, &str)]> = lines.chunks(PIECE).collect();
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, pieces.len().max(1));
    let next = AtomicUsize::new(0);
    type Part = (usize, Vec<(usize, SignedRecord)>, Vec<BadLine>);
    let mut parts: Vec<Part> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (pieces, next) = (&pieces, &next);
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    let mut keys = KeyCache::default();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(piece) = pieces.get(i) else { break };
                        let (good, bad) = check_piece(piece, &mut keys);
                        mine.push((i, good, bad));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            // A checking thread cannot panic on input; if it did, its lines are not vouched
            // for, and the count of valid signatures shows it.
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    parts.sort_unstable_by_key(|(i, _, _)| *i);
    let mut good = Vec::with_capacity(lines.len());
    for (_, g, b) in parts {
        good.extend(g);
        bad.extend(b);
    }
    good
}

fn check_piece(
    piece: &[(usize, &str)],
    keys: &mut KeyCache,
) -> (Vec<(usize, SignedRecord)>, Vec<BadLine>) {
    let mut bad = Vec::new();
    let mut parsed = Vec::with_capacity(piece.len());
    for &(line, text) in piece {
        match from_json_line(text) {
            Ok(r) => parsed.push((line, r)),
            Err(e) => bad.push(BadLine::malformed(line, format!("malformed record: {e}"))),
        }
    }
    let refs: Vec<&SignedRecord> = parsed.iter().map(|(_, r)| r).collect();
    let flags = verify_serial_with(&refs, keys);
    let mut good = Vec::with_capacity(parsed.len());
    for ((line, r), ok) in parsed.into_iter().zip(flags) {
        if ok {
            good.push((line, r));
        } else {
            bad.push(BadLine::refused(line, &r, &Refusal::BadSignature));
        }
    }
    (good, bad)
}

/// The team, then every authentic record judged by the store's own rules.
fn decide(
    audit: &mut FileAudit,
    good: Vec<(usize, SignedRecord)>,
    pinned: Option<TeamId>,
    now_ms: u64,
) {
    let geneses: Vec<(usize, TeamId)> = good
        .iter()
        .filter(|(_, r)| matches!(r.record.payload, Payload::Genesis { .. }))
        .map(|(line, r)| (*line, r.team_id()))
        .collect();
    let team = match pinned {
        Some(t) if geneses.iter().any(|(_, g)| *g == t) => t,
        Some(t) => {
            audit.problems.push(match geneses.first() {
                Some((line, g)) => format!(
                    "the file's team is {} (genesis on line {line}), not the pinned team {}: another team, or a forged one with the same name",
                    g.short(),
                    t.short()
                ),
                None => format!(
                    "the file has no genesis record, so nothing shows it is team {}",
                    t.short()
                ),
            });
            return;
        }
        None => match geneses.first() {
            Some((_, g)) => *g,
            None => {
                audit.problems.push(
                    "the file has no genesis record, so its team cannot be established".into(),
                );
                return;
            }
        },
    };
    audit.team = Some(team);

    // Checks that need only the record, the team and the clock.
    let mut kept: Vec<(usize, SignedRecord)> = Vec::with_capacity(good.len());
    for (line, r) in good {
        match precheck(&r, Some(team), now_ms) {
            Ok(()) => kept.push((line, r)),
            Err(refusal) => audit.bad.push(BadLine::refused(line, &r, &refusal)),
        }
    }
    let refs: Vec<&SignedRecord> = kept.iter().map(|(_, r)| r).collect();
    let d = dedup(team, &refs);
    let membership = refs
        .iter()
        .find(|r| matches!(r.record.payload, Payload::Genesis { .. }) && r.team_id() == team)
        .and_then(|g| {
            Membership::evaluate(g, d.live.iter().map(|&i| refs[i]), |k, s| {
                d.equivocated(k, s)
            })
        });
    audit.equivocators = d.equivocators().into_iter().collect();
    let mut winner = vec![false; refs.len()];
    if let Some(m) = &membership {
        for i in slot_winners(&refs, &d, m) {
            winner[i] = true;
        }
    }
    drop(refs);
    for ((line, r), wins) in kept.into_iter().zip(winner) {
        let refusal = if d.equivocated(&r.signer, r.record.seq) {
            Some(Refusal::Equivocation { seq: r.record.seq })
        } else {
            admission(&r, membership.as_ref())
        };
        match refusal {
            Some(refusal) => audit.bad.push(BadLine::refused(line, &r, &refusal)),
            None => {
                audit.admitted += 1;
                if wins && !matches!(r.record.payload, Payload::Retract { .. }) {
                    audit.current.push(r);
                }
            }
        }
    }
    audit.team_name = membership.as_ref().map(|m| m.team_name.clone());
    audit.membership = membership;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::to_json_line;
    use crate::model::{Attestation, Origin, Record};
    use crate::signed::{Identity, GENESIS_TEAM};
    use crate::PatchId;

    const T0: u64 = 1_760_000_000_000;

    fn rec(seq: u32, payload: Payload) -> Record {
        Record {
            seq,
            timestamp_ms: T0 + seq as u64,
            origin: Origin::Person,
            payload,
        }
    }

    fn attest(patch: &str) -> Payload {
        Payload::Attest(Attestation {
            patch: PatchId::new(patch).unwrap(),
            ai: None,
            description: None,
            depends_on: vec![],
            conflicts_with: vec![],
            replaces: None,
            line_spans: vec![],
            contributions: vec![],
        })
    }

    fn team(founder: &Identity, name: &str) -> SignedRecord {
        founder.sign(
            GENESIS_TEAM,
            rec(
                1,
                Payload::Genesis {
                    team_name: name.into(),
                    founder_name: "ada".into(),
                    founder_email: None,
                },
            ),
        )
    }

    fn run(lines: &[String], pinned: Option<TeamId>) -> FileAudit {
        let numbered: Vec<(usize, &str)> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i + 1, l.as_str()))
            .collect();
        audit_file(&numbered, Vec::new(), pinned, T0 + 1_000_000)
    }

    #[test]
    fn every_rule_names_its_line() {
        let ada = Identity::from_secret([1; 32]);
        let bob = Identity::from_secret([2; 32]);
        let eve = Identity::from_secret([3; 32]);
        let g = team(&ada, "t");
        let t = g.team_id();
        let grant = ada.sign(
            t,
            rec(
                2,
                Payload::Grant {
                    member: bob.public(),
                    name: "bob".into(),
                    email: None,
                    admin: false,
                },
            ),
        );
        let bob1 = bob.sign(t, rec(1, attest("P1")));
        let bob2 = bob.sign(t, rec(2, attest("P2")));
        let revoke = ada.sign(
            t,
            rec(
                3,
                Payload::Revoke {
                    member: bob.public(),
                    after_seq: 1,
                },
            ),
        );
        let stranger = eve.sign(t, rec(1, attest("P3")));
        let other = team(&eve, "t");
        let foreign = eve.sign(other.team_id(), rec(2, attest("P4")));
        let lines: Vec<String> = [&g, &grant, &bob1, &bob2, &revoke, &stranger, &foreign]
            .iter()
            .map(|r| to_json_line(r))
            .collect();
        let a = run(&lines, None);
        let codes: Vec<(usize, &str)> = a.bad.iter().map(|b| (b.line, b.code)).collect();
        assert_eq!(
            codes,
            vec![(4, "revoked-key"), (6, "non-member"), (7, "wrong-team")]
        );
        assert_eq!(a.team, Some(t));
        assert_eq!(a.admitted, 4);
        assert_eq!(a.current.len(), 1, "bob's first attestation");

        // The pinned team of a forged genesis with the same name: refused as a whole.
        let forged: Vec<String> = [&other, &foreign].iter().map(|r| to_json_line(r)).collect();
        let a = run(&forged, Some(t));
        assert!(
            !a.ok() && a.problems[0].contains("not the pinned team"),
            "{a:?}"
        );
        assert!(run(&forged, Some(other.team_id())).ok());

        // A changed byte in a signed field.
        let mut tampered = lines[..3].to_vec();
        tampered[2] = tampered[2].replace("\"P1\"", "\"P9\"");
        let a = run(&tampered, None);
        assert_eq!(a.bad.len(), 1);
        assert_eq!((a.bad[0].line, a.bad[0].code), (3, "bad-signature"));

        // Equivocation: both records named.
        let twin = bob.sign(t, rec(1, attest("P7")));
        let mut eq = lines[..3].to_vec();
        eq.push(to_json_line(&twin));
        let a = run(&eq, None);
        let codes: Vec<(usize, &str)> = a.bad.iter().map(|b| (b.line, b.code)).collect();
        assert_eq!(codes, vec![(3, "equivocation"), (4, "equivocation")]);
        assert_eq!(a.equivocators, vec![bob.public()]);

        assert!(!run(&["{}".to_string()], None).ok());
    }
}
