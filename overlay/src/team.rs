//! Team trust: who may write, evaluated deterministically from signed grant and revoke records.
//!
//! Invariant: [`Membership::evaluate`] is a pure function of the *set* of membership records, so
//! every replica that holds the same records admits the same keys, whatever order they arrived in.
//! Records are applied in `(timestamp, id)` order; each applies only if its signer is an admin at
//! that point (the founder is admin from genesis). A revoke keeps the revoked key's records up to
//! `after_seq` (those the admin had seen) and rejects every later one.

use std::collections::BTreeMap;

use crate::ids::{PublicKey, TeamId};
use crate::model::Payload;
use crate::signed::SignedRecord;

/// One admitted key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's device key.
    pub key: PublicKey,
    /// The display name the latest grant gave (the founder's from the genesis).
    pub name: String,
    /// The email the latest grant gave, if any.
    pub email: Option<String>,
    /// May grant and revoke (the founder always may, until revoked).
    pub admin: bool,
    /// `Some(n)`: revoked; records with `seq > n` are rejected.
    pub revoked_after: Option<u32>,
}

/// The evaluated membership of one team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The team's id: the genesis record's id.
    pub team: TeamId,
    /// The name the genesis gave the team.
    pub team_name: String,
    /// The genesis signer, the first admin.
    pub founder: PublicKey,
    /// Every key ever admitted, revoked ones included (with `revoked_after` set).
    pub members: BTreeMap<PublicKey, Member>,
}

/// Why a key may not write a given record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// A member, not revoked before this record: the record counts.
    Admitted,
    /// Never admitted (no grant, or not yet seen).
    NonMember,
    /// Revoked: records up to `after_seq` count, later ones do not.
    Revoked {
        /// The revoked key's last valid sequence number.
        after_seq: u32,
    },
}

impl Membership {
    /// Evaluates membership from a genesis record and any other membership records (non-membership
    /// records and records of other teams are ignored). Signatures must already be verified.
    /// `equivocated(key, seq)` says whether a key signed two different records at `seq`; such
    /// records never count.
    pub fn evaluate<'a>(
        genesis: &SignedRecord,
        records: impl IntoIterator<Item = &'a SignedRecord>,
        equivocated: impl Fn(&PublicKey, u32) -> bool,
    ) -> Option<Membership> {
        let Payload::Genesis {
            team_name,
            founder_name,
            founder_email,
        } = &genesis.record.payload
        else {
            return None;
        };
        let team = genesis.team_id();
        let mut m = Membership {
            team,
            team_name: team_name.clone(),
            founder: genesis.signer,
            members: BTreeMap::new(),
        };
        m.members.insert(
            genesis.signer,
            Member {
                key: genesis.signer,
                name: founder_name.clone(),
                email: founder_email.clone(),
                admin: true,
                revoked_after: None,
            },
        );
        let mut ordered: Vec<(u64, [u8; 32], &SignedRecord)> = records
            .into_iter()
            .filter(|r| r.team == team)
            .filter(|r| {
                matches!(
                    r.record.payload,
                    Payload::Grant { .. } | Payload::Revoke { .. }
                )
            })
            .filter(|r| !equivocated(&r.signer, r.record.seq))
            .map(|r| (r.record.timestamp_ms, r.id().0, r))
            .collect();
        ordered.sort_by_key(|a| (a.0, a.1));
        ordered.dedup_by(|a, b| a.1 == b.1);
        for (_, _, r) in ordered {
            let signer_is_admin = m
                .members
                .get(&r.signer)
                .is_some_and(|s| s.admin && s.admits(r.record.seq));
            if !signer_is_admin {
                continue;
            }
            match &r.record.payload {
                Payload::Grant {
                    member,
                    name,
                    email,
                    admin,
                } => {
                    m.members.insert(
                        *member,
                        Member {
                            key: *member,
                            name: name.clone(),
                            email: email.clone(),
                            admin: *admin,
                            revoked_after: None,
                        },
                    );
                }
                Payload::Revoke { member, after_seq } => {
                    if let Some(target) = m.members.get_mut(member) {
                        let bound = target
                            .revoked_after
                            .map_or(*after_seq, |b| b.min(*after_seq));
                        target.revoked_after = Some(bound);
                    }
                }
                _ => {}
            }
        }
        Some(m)
    }

    /// May `key` write a record with sequence number `seq`?
    pub fn standing(&self, key: &PublicKey, seq: u32) -> Standing {
        match self.members.get(key) {
            None => Standing::NonMember,
            Some(m) => match m.revoked_after {
                Some(after) if seq > after => Standing::Revoked { after_seq: after },
                _ => Standing::Admitted,
            },
        }
    }

    /// Whether a record of `key` with sequence number `seq` is admitted: `key` is a member
    /// and was not revoked before `seq`.
    pub fn admits(&self, key: &PublicKey, seq: u32) -> bool {
        self.standing(key, seq) == Standing::Admitted
    }

    /// Whether `key` may grant and revoke now (an admin member, not revoked).
    pub fn is_admin(&self, key: &PublicKey) -> bool {
        self.members
            .get(key)
            .is_some_and(|m| m.admin && m.revoked_after.is_none())
    }

    /// A display name for a key: the member's name, or a short key for strangers.
    pub fn name_of(&self, key: &PublicKey) -> String {
        self.members
            .get(key)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| key.short())
    }
}

impl Member {
    fn admits(&self, seq: u32) -> bool {
        self.revoked_after.is_none_or(|after| seq <= after)
    }
}
