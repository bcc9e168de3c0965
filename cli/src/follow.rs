//! Reconciliation on every command: before a command reads or writes the overlay of a Pijul
//! repository, the [`Tracker`] brings attrib's picture of the current channel up to date (one
//! cheap check when nothing changed), and what happened since the last command is acted on:
//!
//! - a change that *appeared* (recorded by a plain `pijul record`, pulled, applied) is
//!   unattested until an attestation arrives, unless the pre-record hook left a pending capture
//!   for it: then this device attests it now, with that capture (or the message's trailers);
//! - an *amend* of a change this device attested carries the attestation over: a new signed
//!   version for the new hash that names the hash it replaces;
//! - an *unrecorded* change is kept off-channel (the tracker remembers it), never deleted.
//!
//! Only this device's own claims are ever signed here: a change someone else recorded stays
//! unattested until its author's attestation arrives.

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{PatchId, Payload, SignedRecord, Store};
use attrib_vcs_adapter::{ChangeInfo, Event, Pijul, Scan, Tracker, TRACKER_FILE};

use crate::commands::annotate::{attest, Claim};
use crate::commands::check_can_sign;
use crate::commands::hook::{self, Pending, PendingCapture};
use crate::context::{Ctx, Me};
use crate::vcs;

/// A repository's channel, reconciled for this command.
pub struct Followed {
    pub pijul: Pijul,
    pub tracker: Tracker,
}

impl Followed {
    /// Reads the Pijul headers (authors, timestamps) that wrapped records left pending, for a
    /// command that shows them. A failure only leaves them blank, with a warning.
    pub fn read_headers(&mut self) {
        let read = self.tracker.read_headers(&self.pijul);
        if let Err(e) = read.and_then(|()| self.tracker.save()) {
            eprintln!("attrib: warning: the newest changes' authors are not shown: {e}");
        }
    }
}

/// The repository whose store lives in `store_dir`, if it is a Pijul repository's
/// (`ROOT/.pijul/attrib`).
pub fn pijul_root(store_dir: &Path) -> Option<&Path> {
    let dot = store_dir.parent()?;
    (dot.file_name()? == ".pijul").then_some(())?;
    dot.parent()
}

/// Reconciles the store in `store_dir` with its repository's current channel. `None` when the
/// store is not inside a Pijul repository.
pub fn follow(ctx: &Ctx, store: &Store, store_dir: &Path) -> Result<Option<Followed>> {
    let Some(root) = pijul_root(store_dir) else {
        return Ok(None);
    };
    // A `.pijul` without a pristine has no channel to follow (made by hand, or half deleted).
    if !root.join(".pijul").join("pristine").is_dir() {
        return Ok(None);
    }
    let pijul = vcs::driver_at(ctx, root)?;
    let tracker_path = store_dir.join(TRACKER_FILE);
    let mut tracker = Tracker::load(&tracker_path)?;
    if tracker.rebuilt() {
        eprintln!(
            "attrib: warning: {} was damaged and is rebuilt from the channel; changes unrecorded before now are no longer listed as off-channel",
            tracker_path.display()
        );
    }
    tracker.check_version(&pijul)?;
    let scan = tracker.scan(&pijul, &[])?;
    if let Some(reason) = hook::take_error(store_dir) {
        eprintln!("attrib: warning: {reason}");
    }
    for signed in act(ctx, store, store_dir, &scan)? {
        if let Payload::Attest(a) = &signed.record.payload {
            let how = match &a.replaces {
                Some(old) => format!("carried over from {old}, which it amends"),
                None => "from the pre-record hook's capture".to_string(),
            };
            eprintln!(
                "attrib: note: attested {} as {} ({how})",
                a.patch,
                crate::render::ai_summary(&signed)
            );
        }
    }
    tracker.save()?;
    Ok(Some(Followed { pijul, tracker }))
}

/// Signs what this device owes the overlay after a scan.
fn act(ctx: &Ctx, store: &Store, store_dir: &Path, scan: &Scan) -> Result<Vec<SignedRecord>> {
    let mut signed = Vec::new();
    if scan.events.is_empty() || !ctx.has_identity() {
        return Ok(signed);
    }
    // Without a usable identity or membership there is nothing this device may sign; the
    // changes simply stay unattested.
    let Ok(me) = ctx.identity() else {
        return Ok(signed);
    };
    if check_can_sign(ctx, store, &me).is_err() {
        return Ok(signed);
    }
    let mut pending = Pending::load(store_dir)?;
    for event in &scan.events {
        match event {
            Event::Amended { old, new } => {
                if let Some(claim) = carried_over(store, &me, old, new)? {
                    signed.push(attest(ctx, store, &me, new.clone(), claim)?);
                }
            }
            Event::Appeared { hash } if !pending.is_empty() => {
                let Some(info) = scan.arrivals.get(hash) else {
                    continue;
                };
                let Some(change_ms) = info.timestamp_ms else {
                    continue;
                };
                let Some(capture) = pending.take_for(change_ms) else {
                    continue;
                };
                if attested_by(store, &me, hash)? {
                    continue;
                }
                let claim = from_capture(capture, info);
                signed.push(attest(ctx, store, &me, hash.clone(), claim)?);
            }
            _ => {}
        }
    }
    pending.save()?;
    Ok(signed)
}

fn attested_by(store: &Store, me: &Me, patch: &PatchId) -> Result<bool> {
    let snap = store.snapshot()?;
    Ok(snap.patch(patch)?.attestations.contains_key(&me.public()))
}

/// This device's attestation of `old`, as a claim about `new` that names `old` as replaced;
/// `None` when there is none, or `new` is attested already.
fn carried_over(store: &Store, me: &Me, old: &PatchId, new: &PatchId) -> Result<Option<Claim>> {
    if attested_by(store, me, new)? {
        return Ok(None);
    }
    Ok(own_claim(store, me, old)?.map(|mut claim| {
        claim.replaces = Some(old.clone());
        claim
    }))
}

/// This device's current attestation of `patch`, as a claim.
pub fn own_claim(store: &Store, me: &Me, patch: &PatchId) -> Result<Option<Claim>> {
    let snap = store.snapshot()?;
    let view = snap.patch(patch)?;
    let Some(record) = view.attestations.get(&me.public()) else {
        return Ok(None);
    };
    let Payload::Attest(a) = &record.record.payload else {
        return Ok(None);
    };
    Ok(Some(Claim {
        ai: a.ai.clone(),
        description: a.description.clone(),
        depends_on: a.depends_on.clone(),
        conflicts_with: a.conflicts_with.clone(),
        line_spans: a.line_spans.clone(),
        origin: record.record.origin,
        replaces: None,
        decided: true,
    }))
}

/// The claim a hook's capture makes about the change it preceded: what the capture sources
/// said, else the message's trailers (marked detected), else a human-written change.
fn from_capture(capture: PendingCapture, info: &ChangeInfo) -> Claim {
    let mut claim = Claim {
        ai: capture.ai,
        description: None,
        depends_on: Vec::new(),
        conflicts_with: Vec::new(),
        line_spans: Vec::new(),
        origin: capture.origin,
        replaces: None,
        decided: capture.decided,
    };
    let message = match &info.description {
        Some(d) => format!("{}\n\n{d}", info.message),
        None => info.message.clone(),
    };
    claim.detect_from(&message);
    claim
}

/// A change named on the command line: a full hash, or a unique prefix of a change the current
/// channel holds or held. Outside a Pijul repository any valid patch id is taken as it is. In
/// one, a change the repository never had is refused when `in_repo` is set.
pub fn resolve_change(ctx: &Ctx, text: &str, in_repo: bool) -> Result<PatchId> {
    let text = text.trim();
    let Some(followed) = ctx.channel_or_warn() else {
        return PatchId::new(text).map_err(|e| anyhow!("{e}"));
    };
    let Some((channel, record)) = followed.tracker.current() else {
        return PatchId::new(text).map_err(|e| anyhow!("{e}"));
    };
    let known = record.changes.iter().chain(&record.off_channel);
    let mut matches: Vec<&PatchId> = known
        .map(|c| &c.hash)
        .filter(|h| !text.is_empty() && h.as_str().starts_with(text))
        .collect();
    matches.dedup();
    match matches.as_slice() {
        [one] => return Ok((*one).clone()),
        [] => {}
        many => bail!(
            "{text:?} is the start of {} changes; give more of the hash",
            many.len()
        ),
    }
    let full = PatchId::new(text).map_err(|e| anyhow!("{e}"))?;
    if in_repo {
        bail!(
            "change {full} is not in this repository (not on channel {channel:?}, nor unrecorded from it); `{} log` lists its changes",
            followed.pijul.binary()
        );
    }
    Ok(full)
}
