//! The team: founding one, joining one from an export, and the admin's grants and revokes.
//! A team's id is the hash of its signed genesis; membership is evaluated from signed grant and
//! revoke records ([`attrib_overlay::Membership`]), so these operations only sign records and
//! the overlay decides what they mean.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{now_ms, Origin, Outcome, Payload, PublicKey, Record, Store, TeamId};
use attrib_query::members::resolve_member;

use crate::identity::DeviceIdentity;
use crate::import::{ingest_parsed, parse_export, ImportSummary, Progress};
use crate::signing::sign_and_store;
use crate::{sequence, Workspace};

/// A team this store already holds, found where a new store would go.
pub struct Existing {
    /// The team's name.
    pub name: String,
    /// The team's id.
    pub team: TeamId,
    /// The store directory.
    pub dir: PathBuf,
}

/// The team held by a store in [`Workspace::new_store_dir`], if there is one.
pub fn existing(ws: &Workspace) -> Result<Option<Existing>> {
    let dir = ws.new_store_dir();
    if !dir.join(attrib_overlay::store::STORE_FILE).exists() {
        return Ok(None);
    }
    let store = Store::open_existing(&dir)?;
    let snap = store.snapshot()?;
    Ok(snap.membership().map(|m| Existing {
        name: m.team_name.clone(),
        team: m.team,
        dir: dir.clone(),
    }))
}

/// A team just founded.
pub struct Founded {
    /// The team's name.
    pub name: String,
    /// The team's id.
    pub team: TeamId,
    /// The new store's directory.
    pub dir: PathBuf,
}

/// Founds a team named `name` in a new store at [`Workspace::new_store_dir`], with this device
/// as its first admin.
pub fn found(ws: &Workspace, me: &DeviceIdentity, name: &str) -> Result<Founded> {
    let genesis = me.key.sign(
        GENESIS_TEAM,
        Record {
            seq: 1,
            timestamp_ms: now_ms(),
            origin: Origin::Person,
            payload: Payload::Genesis {
                team_name: name.to_string(),
                founder_name: me.name.clone(),
                founder_email: me.email.clone(),
            },
        },
    );
    genesis.record.validate()?;
    let dir = ws.new_store_dir();
    let store = Store::open(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    match store
        .ingest(std::slice::from_ref(&genesis), now_ms())?
        .pop()
    {
        Some(Outcome::Accepted) => {}
        other => bail!("could not found the team: {other:?}"),
    }
    let team = genesis.team_id();
    sequence::remember(&ws.seq_dir(), &team.to_hex(), 1)?;
    Ok(Founded {
        name: name.to_string(),
        team,
        dir,
    })
}

/// A team just joined.
pub struct Joined {
    /// The team's name.
    pub name: String,
    /// The team's id.
    pub team: TeamId,
    /// The store's directory.
    pub dir: PathBuf,
    /// What the import of the export did.
    pub summary: ImportSummary,
    /// This device's key is a member already (else an admin must grant it).
    pub member: bool,
}

/// Joins the team whose genesis is in the export `bytes` (read from `file`, named in errors):
/// a store is created at [`Workspace::new_store_dir`] holding the export's records. The export
/// is read and checked before anything is created, so a bad file leaves no store.
pub fn join(
    ws: &Workspace,
    me: &DeviceIdentity,
    bytes: &[u8],
    file: &Path,
    progress: &dyn Progress,
) -> Result<Joined> {
    let parsed = parse_export(bytes, file)?;
    if !parsed
        .records
        .iter()
        .any(|r| matches!(r.record.payload, Payload::Genesis { .. }))
    {
        bail!(
            "{} has no team genesis record; export it from a member's store",
            file.display()
        );
    }
    let dir = ws.new_store_dir();
    let existed = dir.exists();
    let store = Store::open(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let summary = ingest_parsed(&store, parsed, progress)?;
    let snap = store.snapshot()?;
    let Some(m) = snap.membership() else {
        drop(snap);
        drop(store);
        if !existed {
            // Every genesis in the file was refused (forged, malformed): leave no store behind.
            let _ = std::fs::remove_dir_all(&dir);
        }
        bail!("{}: the team genesis was refused", file.display());
    };
    Ok(Joined {
        name: m.team_name.clone(),
        team: m.team,
        dir: dir.clone(),
        summary,
        member: m.members.contains_key(&me.public()),
    })
}

fn require_admin(ws: &Workspace, me: &PublicKey) -> Result<()> {
    let snap = ws.store()?.snapshot()?;
    let m = snap
        .membership()
        .ok_or_else(|| anyhow!("this store has no team yet; run `attrib init` first"))?;
    if !m.is_admin(me) {
        bail!(
            "you are not an admin of team {:?}; ask an admin to do this",
            m.team_name
        );
    }
    Ok(())
}

/// A device key to admit.
pub struct Grant {
    /// The member's public key.
    pub member: PublicKey,
    /// The member's display name.
    pub name: String,
    /// The member's email.
    pub email: Option<String>,
    /// Make the member an admin.
    pub admin: bool,
}

/// Admits a device key (admins only).
pub fn grant(ws: &Workspace, me: &DeviceIdentity, grant: Grant) -> Result<()> {
    if grant.name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    require_admin(ws, &me.public())?;
    sign_and_store(
        ws,
        me,
        Origin::Person,
        Payload::Grant {
            member: grant.member,
            name: grant.name,
            email: grant.email,
            admin: grant.admin,
        },
    )?;
    Ok(())
}

/// A revoke just signed.
pub struct Revoked {
    /// The revoked key.
    pub key: PublicKey,
    /// Its member name.
    pub name: String,
    /// Its records up to this number stay; later ones are refused.
    pub after_seq: u32,
}

/// Revokes a member given as a key or a unique name (admins only): its records so far stay,
/// later ones are refused.
pub fn revoke(ws: &Workspace, me: &DeviceIdentity, member: &str) -> Result<Revoked> {
    require_admin(ws, &me.public())?;
    let snap = ws.store()?.snapshot()?;
    let key = resolve_member(&snap, member)?;
    if !snap
        .membership()
        .is_some_and(|m| m.members.contains_key(&key))
    {
        bail!("{} is not a member of this team", key.short());
    }
    let after_seq = snap.next_seq(&key)?.saturating_sub(1);
    let name = snap
        .membership()
        .map(|m| m.name_of(&key))
        .unwrap_or_default();
    drop(snap);
    sign_and_store(
        ws,
        me,
        Origin::Person,
        Payload::Revoke {
            member: key,
            after_seq,
        },
    )?;
    Ok(Revoked {
        key,
        name,
        after_seq,
    })
}
