//! Team members as queries show them: names for keys, a member named on the command line, and
//! the team listing (`attrib team show`).

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{Membership, PublicKey, SignedRecord, Snapshot};
use serde::Serialize;

/// The member name of `key`, or its short form when the store has no team.
pub fn name_of(m: Option<&Membership>, key: &PublicKey) -> String {
    match m {
        Some(m) => m.name_of(key),
        None => key.short(),
    }
}

/// The member name of the signer of `r`.
pub fn author_name(m: Option<&Membership>, r: &SignedRecord) -> String {
    name_of(m, &r.signer)
}

/// A member given as a hex key or a unique name.
pub fn resolve_member(snap: &Snapshot<'_>, who: &str) -> Result<PublicKey> {
    if let Ok(k) = who.parse::<PublicKey>() {
        return Ok(k);
    }
    let m = snap
        .membership()
        .ok_or_else(|| anyhow!("this store has no team yet"))?;
    let matches: Vec<PublicKey> = m
        .members
        .values()
        .filter(|x| x.name == who)
        .map(|x| x.key)
        .collect();
    match matches.as_slice() {
        [k] => Ok(*k),
        [] => {
            bail!("no member named {who:?} (give a name from `attrib team show` or a 64-digit key)")
        }
        _ => bail!("several members are named {who:?}; give the public key instead"),
    }
}

/// One member of [`Team`].
#[derive(Clone, Debug, Serialize)]
pub struct MemberView {
    /// The device key, hex.
    pub key: String,
    /// The display name.
    pub name: String,
    /// The email, if given.
    pub email: Option<String>,
    /// May grant and revoke.
    pub admin: bool,
    /// Founded the team.
    pub founder: bool,
    /// Revoked: records numbered above this are refused.
    pub revoked_after_seq: Option<u32>,
    /// Signed two different records with one number.
    pub equivocated: bool,
}

/// The team and its members (`attrib team show`).
#[derive(Clone, Debug, Serialize)]
pub struct Team {
    /// The team id, hex.
    pub team: String,
    /// The team's name.
    pub name: String,
    /// Every member, in key order.
    pub members: Vec<MemberView>,
}

/// The team of the snapshot's store.
pub fn team(snap: &Snapshot<'_>) -> Result<Team> {
    let m = snap
        .membership()
        .ok_or_else(|| anyhow!("this store has no team yet; run `attrib init` first"))?;
    let flagged = snap.equivocators();
    Ok(Team {
        team: m.team.to_hex(),
        name: m.team_name.clone(),
        members: m
            .members
            .values()
            .map(|x| MemberView {
                key: x.key.to_hex(),
                name: x.name.clone(),
                email: x.email.clone(),
                admin: x.admin,
                founder: x.key == m.founder,
                revoked_after_seq: x.revoked_after,
                equivocated: flagged.contains(&x.key),
            })
            .collect(),
    })
}
