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

use anyhow::{anyhow, bail, Result};
use attrib_overlay::team::Standing;
use attrib_overlay::{
    now_ms, Origin, Outcome, Payload, PublicKey, Record, SignedRecord, Snapshot, Store,
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
    let team = require_team(&snap)?;
    let seq = ctx.next_seq(&snap, me)?;
    drop(snap);
    let record = Record {
        seq,
        timestamp_ms: now_ms(),
        origin,
        payload,
    };
    record.validate()?;
    let signed = me.key.sign(team, record);
    // The counter only matters if this store is lost, so it is raised while the store commits:
    // two files, two syncs, side by side. A record the store then refuses leaves a gap in this
    // device's numbers, which is harmless (a number is never reused, and that is the point).
    let (seq_dir, team_hex) = (ctx.seq_dir(), team.to_hex());
    let (stored, counted) = std::thread::scope(|s| {
        let counted = s.spawn(|| remember_seq_in(&seq_dir, &team_hex, seq));
        let stored = store.ingest(std::slice::from_ref(&signed), now_ms());
        (stored, counted.join())
    });
    match stored?.pop() {
        Some(Outcome::Accepted) => {}
        Some(Outcome::Refused(why)) => bail!("the store refused your record: {why}"),
        Some(Outcome::Duplicate) | None => bail!("the store did not take your record"),
    }
    counted.map_err(|_| anyhow!("raising the sequence counter panicked"))??;
    Ok(signed)
}

fn require_team(snap: &Snapshot<'_>) -> Result<attrib_overlay::TeamId> {
    snap.team().ok_or_else(|| {
        anyhow!(
            "this store has no team; run `attrib init --team NAME` or `attrib init --join FILE`"
        )
    })
}

/// Checks, without writing anything, that this device could sign and store a record now: the
/// store has a team and the team admits this key at its next sequence number. Commands that act
/// on the VCS first (`attrib record`) call it so the VCS step never runs when attesting would
/// fail.
pub fn check_can_sign(ctx: &Ctx, store: &Store, me: &Me) -> Result<()> {
    let snap = store.snapshot()?;
    require_team(&snap)?;
    let seq = ctx.next_seq(&snap, me)?;
    let key = me.public();
    match snap.membership().map(|m| m.standing(&key, seq)) {
        Some(Standing::Admitted) => Ok(()),
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
