//! Signing: how this device's records get their team, their sequence number and their
//! signature, and the membership rule that decides whether it may sign at all. Only the typed
//! operations of this crate ([`crate::claim::attest`], [`crate::review::review`],
//! [`crate::team::grant`], …) sign, so the rules they enforce cannot be bypassed.

use anyhow::{anyhow, bail, Result};
use attrib_overlay::team::Standing;
use attrib_overlay::{
    now_ms, Origin, Outcome, Payload, PublicKey, Record, SignedRecord, Snapshot, Store, TeamId,
};

use crate::identity::DeviceIdentity;
use crate::sequence::{self, Slot};
use crate::Workspace;

/// The lock file (in the sequence counters' directory) that one signing process holds from
/// choosing a sequence number until the record is stored.
pub const SIGNING_LOCK: &str = "signing.lock";

/// Signs `payload` as this device's next record, stores it, and returns it once committed.
pub(crate) fn sign_and_store(
    ws: &Workspace,
    me: &DeviceIdentity,
    origin: Origin,
    payload: Payload,
) -> Result<SignedRecord> {
    let store = ws.store()?;
    // From choosing the sequence number until the record is stored, no other process of this
    // user may sign: two records with one number would be an equivocation, which voids both.
    let _signing = crate::files::lock(&ws.seq_dir().join(SIGNING_LOCK))?;
    let snap = store.snapshot()?;
    let slot = Slot {
        team: require_team(&snap)?,
        seq: sequence::next(&ws.seq_dir(), &snap, &me.public())?,
    };
    // The store would refuse the record too; saying so first gives the reason and the remedy.
    require_admitted(&snap, &me.public(), Purpose::Sign(slot.seq))?;
    drop(snap);
    // The counter is raised while the store commits: two files, two syncs, side by side.
    let (stored, counted) = std::thread::scope(|s| {
        let seq_dir = ws.seq_dir();
        let counted = s.spawn(move || slot.remember(&seq_dir));
        (
            sign_in_slot(store, me, slot, origin, payload),
            counted.join(),
        )
    });
    counted.map_err(|_| anyhow!("raising the sequence counter panicked"))??;
    stored
}

/// Signs `payload` as the record in `slot` and stores it; the caller raises the counter
/// ([`Slot::remember`]).
pub(crate) fn sign_in_slot(
    store: &Store,
    me: &DeviceIdentity,
    slot: Slot,
    origin: Origin,
    payload: Payload,
) -> Result<SignedRecord> {
    let record = Record {
        seq: slot.seq,
        timestamp_ms: now_ms(),
        origin,
        payload,
    };
    record.validate()?;
    let signed = me.key.sign(slot.team, record);
    match store.ingest(std::slice::from_ref(&signed), now_ms())?.pop() {
        Some(Outcome::Accepted) => Ok(signed),
        Some(Outcome::Refused(why)) => bail!("the store refused your record: {why}"),
        Some(Outcome::Duplicate) | None => bail!("the store did not take your record"),
    }
}

/// The snapshot's team, or the error every signing command gives before `init`.
pub fn require_team(snap: &Snapshot<'_>) -> Result<TeamId> {
    snap.team().ok_or_else(|| {
        anyhow!(
            "this store has no team; run `attrib init --team NAME` or `attrib init --join FILE`"
        )
    })
}

/// What a device wants to do as a member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Sign a record with this sequence number.
    Sign(u32),
    /// Sync with the team's other devices (which refuse a key that is not a member now).
    Sync,
}

/// The membership rule, in one place: `key` may sign a record only while the team admits it
/// at the record's sequence number, and may sync only while it is an unrevoked member. The
/// error says what to do about it.
pub fn require_admitted(snap: &Snapshot<'_>, key: &PublicKey, purpose: Purpose) -> Result<()> {
    let seq = match purpose {
        Purpose::Sign(seq) => seq,
        // A revoke refuses every number past the one it names: any revoke bars syncing.
        Purpose::Sync => u32::MAX,
    };
    let Some(m) = snap.membership() else {
        bail!("this store has no team; run `attrib init --team NAME` or `attrib init --join FILE`");
    };
    match (m.standing(key, seq), purpose) {
        (Standing::Admitted, _) => Ok(()),
        (Standing::Revoked { .. }, Purpose::Sign(_)) => bail!(
            "your key {} was revoked from this team; its new records would be refused",
            key.short()
        ),
        (Standing::Revoked { .. }, Purpose::Sync) => bail!(
            "your key {} was revoked from this team; its devices refuse to sync with it",
            key.short()
        ),
        (Standing::NonMember, Purpose::Sign(_)) => bail!(
            "your key {} is not a member of this team; ask an admin to run `attrib team add {} --name NAME`",
            key.short(),
            key.to_hex()
        ),
        (Standing::NonMember, Purpose::Sync) => bail!(
            "your key {} is not a member of this team, so its devices would refuse you; ask an admin to run `attrib team add {} --name NAME`",
            key.short(),
            key.to_hex()
        ),
    }
}

/// Checks, without writing anything, that this device could sign and store a record now: the
/// store has a team and the team admits this key at its next sequence number, which it
/// returns. Operations that act on the VCS first (a wrapped record) call it so the VCS step
/// never runs when attesting would fail.
pub fn check_can_sign(ws: &Workspace, me: &DeviceIdentity) -> Result<Slot> {
    let snap = ws.store()?.snapshot()?;
    let team = require_team(&snap)?;
    let seq = sequence::next(&ws.seq_dir(), &snap, &me.public())?;
    require_admitted(&snap, &me.public(), Purpose::Sign(seq))?;
    Ok(Slot { team, seq })
}
