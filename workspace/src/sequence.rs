//! Sequence numbers: each device numbers its records in a team 1, 2, 3, … Two different records
//! with one number are an equivocation, which the overlay flags, so a number is never reused.
//! The store knows the highest number it holds of this device's; a counter per team in the
//! config directory also remembers it, so that two checkouts of one team on this machine (or a
//! store that was deleted) never reuse a number.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};
use attrib_overlay::{PublicKey, Snapshot, TeamId};

use attrib_overlay::files::replace_atomic;

/// Where this device's next record goes: its team and its sequence number.
#[derive(Clone, Copy, Debug)]
pub struct Slot {
    /// The team the record is signed for.
    pub team: TeamId,
    /// The record's sequence number.
    pub seq: u32,
}

impl Slot {
    /// Raises this device's counter for the team to the slot's number. The counter only
    /// matters if the store is lost, so it may be raised before the record is stored, or while
    /// it is: a record that then never lands leaves a gap in this device's numbers, which is
    /// harmless (a number is never reused, and that is the point). `seq_dir` is a path (not a
    /// workspace) so that another thread can do this while the store commits.
    pub fn remember(&self, seq_dir: &Path) -> Result<()> {
        remember(seq_dir, &self.team.to_hex(), self.seq)
    }
}

/// The next sequence number for `key` in the snapshot's team: past both the store's and the
/// counter's highest.
pub fn next(seq_dir: &Path, snap: &Snapshot<'_>, key: &PublicKey) -> Result<u32> {
    let from_store = snap.next_seq(key)?;
    let from_counter = match snap.team() {
        Some(team) => read(seq_dir, &team.to_hex())?.saturating_add(1),
        None => 1,
    };
    Ok(from_store.max(from_counter))
}

/// Raises the counter of `team` in `dir` to `seq`; it never goes down.
///
/// The counter is replaced atomically but not synced: the record it numbers is made durable by
/// the store, which also knows the number, so a crash that loses the counter's last write loses
/// nothing the store does not still say. (The counter speaks only when the store itself is
/// lost.) Skipping the `fsync` keeps a second disk flush off a wrapped record's path.
pub fn remember(dir: &Path, team: &str, seq: u32) -> Result<()> {
    if seq > read(dir, team)? {
        fs::create_dir_all(dir)?;
        replace_atomic(&dir.join(team), seq.to_string().as_bytes())?;
    }
    Ok(())
}

fn read(dir: &Path, team: &str) -> Result<u32> {
    let path = dir.join(team);
    match fs::read_to_string(&path) {
        Ok(t) => t
            .trim()
            .parse()
            .with_context(|| format!("{} is not a number", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_only_goes_up() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path(), "t").unwrap(), 0);
        remember(dir.path(), "t", 5).unwrap();
        remember(dir.path(), "t", 3).unwrap();
        assert_eq!(read(dir.path(), "t").unwrap(), 5);
        std::fs::write(dir.path().join("t"), "five").unwrap();
        assert!(read(dir.path(), "t").is_err());
    }
}
