//! One module per subcommand. Each takes a [`Ctx`] and a writer, so `attrib demo` can drive
//! several members through exactly the code the CLI runs.

pub mod agent_trace;
pub mod annotate;
pub mod blame;
pub mod changes;
pub mod config_cmd;
pub mod csv_report;
pub mod demo;
pub mod docs;
pub mod exchange;
pub mod filter;
pub mod hook;
pub mod identity;
pub mod init;
pub mod net;
pub mod query;
pub mod record;
pub mod stats;
pub mod tabular;
pub mod team;
pub mod verify;

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::team::Standing;
use attrib_overlay::{
    now_ms, Origin, Outcome, Payload, PublicKey, Record, SignedRecord, Snapshot, Store, TeamId,
};

use crate::context::{remember_seq_in, Ctx, Me};

/// Signs `payload` as this device's next record, stores it, and returns it once committed.
pub fn sign_and_store(
    ctx: &Ctx,
    store: &Store,
    me: &Me,
    origin: Origin,
    payload: Payload,
) -> Result<SignedRecord> {
    let snap = store.snapshot()?;
    let slot = Slot {
        team: require_team(&snap)?,
        seq: ctx.next_seq(&snap, me)?,
    };
    drop(snap);
    // The counter is raised while the store commits: two files, two syncs, side by side.
    let (stored, counted) = std::thread::scope(|s| {
        let seq_dir = ctx.seq_dir();
        let counted = s.spawn(move || slot.remember(&seq_dir));
        (
            sign_in_slot(store, me, slot, origin, payload),
            counted.join(),
        )
    });
    counted.map_err(|_| anyhow!("raising the sequence counter panicked"))??;
    stored
}

/// Where this device's next record goes: its team and its sequence number.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    pub team: TeamId,
    pub seq: u32,
}

impl Slot {
    /// Raises this device's counter for the team to the slot's number. The counter only
    /// matters if the store is lost, so it may be raised before the record is stored, or
    /// while it is: a record that then never lands leaves a gap in this device's numbers,
    /// which is harmless (a number is never reused, and that is the point). `seq_dir` is
    /// [`Ctx::seq_dir`] (a path, so that another thread can do this).
    pub fn remember(&self, seq_dir: &Path) -> Result<()> {
        remember_seq_in(seq_dir, &self.team.to_hex(), self.seq)
    }
}

/// Signs `payload` as the record in `slot` and stores it; the caller raises the counter
/// ([`Slot::remember`]).
pub fn sign_in_slot(
    store: &Store,
    me: &Me,
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

fn require_team(snap: &Snapshot<'_>) -> Result<attrib_overlay::TeamId> {
    snap.team().ok_or_else(|| {
        anyhow!(
            "this store has no team; run `attrib init --team NAME` or `attrib init --join FILE`"
        )
    })
}

/// Checks, without writing anything, that this device could sign and store a record now: the
/// store has a team and the team admits this key at its next sequence number, which it
/// returns. Commands that act on the VCS first (`attrib record`) call it so the VCS step never
/// runs when attesting would fail.
pub fn check_can_sign(ctx: &Ctx, store: &Store, me: &Me) -> Result<Slot> {
    let snap = store.snapshot()?;
    let team = require_team(&snap)?;
    let seq = ctx.next_seq(&snap, me)?;
    let key = me.public();
    match snap.membership().map(|m| m.standing(&key, seq)) {
        Some(Standing::Admitted) => Ok(Slot { team, seq }),
        Some(Standing::Revoked { .. }) => {
            bail!("your key {} was revoked from this team; its new records would be refused", key.short())
        }
        _ => bail!(
            "your key {} is not a member of this team; ask an admin to run `attrib team add {} --name NAME`",
            key.short(),
            key.to_hex()
        ),
    }
}

/// Resolves a member given as a hex key or a unique name.
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
