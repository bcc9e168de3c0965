//! Reconciliation: before a command reads or writes the overlay of a repository, the
//! [`Tracker`] brings attrib's picture of the current channel up to date (one cheap check when
//! nothing changed), and what happened since the last command is acted on:
//!
//! - a change that *appeared* (recorded by a plain `pijul record`, pulled, applied) is
//!   unattested until an attestation arrives, unless the pre-record hook left a pending capture
//!   for it: then this device attests it now, with that capture (or the message's trailers);
//! - an *amend* of a change this device attested carries the attestation over: a new signed
//!   version for the new hash that names the hash it replaces;
//! - an *unrecorded* change is kept off-channel (the tracker remembers it), never deleted.
//!
//! Only this device's own claims are ever signed here: a change someone else recorded stays
//! unattested until its author's attestation arrives. Reconciliation is an explicit call that
//! returns what it signed and its warnings: reading never writes.

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{LineSpan, PatchId, SignedRecord};
use attrib_vcs_adapter::{
    AddedLine, ChangeInfo, ChannelRecord, Event, Repository, Scan, Tracker, Vcs, TRACKER_FILE,
};

use attrib_overlay::Origin;

use crate::checkpoint::{attribute_added, Attribution, WorkingLog};
use crate::claim::{attest, attested_by, merge_squashed, own_claim, Claim};
use crate::hooks::{self, Pending, PendingCapture};
use crate::identity::DeviceIdentity;
use crate::signing::check_can_sign;
use crate::Workspace;

/// A repository's channel, reconciled: the driver and what attrib knows of the channel.
pub struct Channel {
    /// The VCS driver for the repository.
    pub vcs: Box<dyn Vcs>,
    /// attrib's record of the repository's channels.
    pub tracker: Tracker,
}

impl Channel {
    /// The current channel's name and record.
    pub fn current(&self) -> Option<(&str, &ChannelRecord)> {
        self.tracker.current()
    }

    /// What `stats` counts lines from: the current channel, read with this driver, its line
    /// counts cached in `cache_dir` (the store directory). `None` without a current channel.
    pub fn stats_source<'a>(
        &'a self,
        cache_dir: &'a Path,
    ) -> Option<attrib_query::stats::StatsChannel<'a>> {
        let (name, record) = self.current()?;
        Some(attrib_query::stats::StatsChannel {
            name,
            record,
            vcs: self.vcs.as_ref(),
            cache_dir,
        })
    }

    /// Each change's position on the current channel (what `blame` orders credit by); empty
    /// without a current channel.
    pub fn positions(&self) -> std::collections::HashMap<PatchId, usize> {
        self.current()
            .map(|(_, record)| record.positions())
            .unwrap_or_default()
    }

    /// Reads the Pijul headers (authors, timestamps) that wrapped records left pending, for a
    /// command that shows them. A failure only leaves them blank: the warning says so.
    pub fn read_headers(&mut self) -> Option<String> {
        let read = self.tracker.read_headers(self.vcs.as_ref());
        read.and_then(|()| self.tracker.save())
            .err()
            .map(|e| format!("the newest changes' authors are not shown: {e}"))
    }
}

/// The lock file in the store directory that one reconciliation (or wrapped record) holds.
pub const RECONCILE_LOCK: &str = "reconcile.lock";

/// Why reconciliation signed an attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// The change amends one this device attested: the claim is carried over.
    CarriedOver {
        /// The change it amends.
        from: PatchId,
    },
    /// The pre-record hook captured the session the change was recorded in.
    PreRecordHook,
    /// Agents' checkpoints say which of the change's lines they wrote.
    Checkpoints,
    /// The change squashes several this device attested (git): one claim holds their
    /// contributions.
    Squashed {
        /// The changes squashed, oldest first.
        from: Vec<PatchId>,
    },
}

/// What [`reconcile`] did.
pub struct Reconciled {
    /// The reconciled channel (`Ok(None)` outside a repository), or why reconciliation
    /// could not run (no `pijul`, a broken repository): commands that need the channel fail
    /// with that reason, others answer from the overlay alone.
    pub channel: Result<Option<Channel>, String>,
    /// Attestations this device signed now, and why.
    pub attested: Vec<(SignedRecord, Cause)>,
    /// Things the user should know (a damaged tracker rebuilt, a failed hook).
    pub warnings: Vec<String>,
}

impl Reconciled {
    /// The channel, for commands that need it to answer (`Ok(None)` outside a repository).
    pub fn channel(&mut self) -> Result<Option<&mut Channel>> {
        match &mut self.channel {
            Ok(c) => Ok(c.as_mut()),
            Err(reason) => Err(anyhow!("{reason}")),
        }
    }

    /// The channel, or `None` with the warning to show when it could not be read: for commands
    /// that can answer from the overlay alone.
    pub fn channel_or_warning(&mut self) -> (Option<&mut Channel>, Option<String>) {
        match &mut self.channel {
            Ok(c) => (c.as_mut(), None),
            Err(reason) => (
                None,
                Some(format!("answering from the overlay alone: {reason}")),
            ),
        }
    }
}

/// The repository whose store lives in `store_dir` (`ROOT/.pijul/attrib`, `.atomic/attrib`,
/// `.git/attrib`), if any.
pub fn repository_of(store_dir: &Path) -> Option<Repository> {
    Repository::of_store(store_dir)
}

/// Reconciles the workspace's store with its repository's current channel (see the module
/// documentation). Fails only when the store cannot be opened.
pub fn reconcile(ws: &Workspace) -> Result<Reconciled> {
    ws.store()?;
    let mut done = Reconciled {
        channel: Ok(None),
        attested: Vec::new(),
        warnings: Vec::new(),
    };
    done.channel = follow(ws, &mut done).map_err(|e| format!("{e:#}"));
    Ok(done)
}

fn follow(ws: &Workspace, done: &mut Reconciled) -> Result<Option<Channel>> {
    let store_dir = ws.store_dir()?;
    let Some(repo) = repository_of(store_dir) else {
        return Ok(None);
    };
    // A `.pijul` without a pristine has no channel to follow (made by hand, or half deleted).
    if repo.kind.is_pijul_family() && !repo.dot_dir().join("pristine").is_dir() {
        return Ok(None);
    }
    let vcs = ws.vcs(&repo)?;
    // One reconciliation at a time per store (a running node reconciles beside the user's
    // commands): the second reads the tracker the first saved and sees no change twice. A
    // store directory that cannot even hold a lock file (read-only) cannot be signed into
    // either, so it goes on without one.
    let _one_at_a_time = crate::files::lock(&store_dir.join(RECONCILE_LOCK)).ok();
    let tracker_path = store_dir.join(TRACKER_FILE);
    let mut tracker = Tracker::load(&tracker_path)?;
    if tracker.rebuilt() {
        done.warnings.push(format!(
            "{} was damaged and is rebuilt from the channel; changes unrecorded before now are no longer listed as off-channel",
            tracker_path.display()
        ));
    }
    tracker.check_version(vcs.as_ref())?;
    let scan = tracker.scan(vcs.as_ref(), &[])?;
    if let Some(reason) = hooks::take_error(store_dir) {
        done.warnings.push(reason);
    }
    act(ws, store_dir, vcs.as_ref(), &scan, &mut done.attested)?;
    // The tracker is a cache: a store directory that cannot be written (a read-only mount)
    // still answers, and only what the tracker learned is worth a word.
    if let Err(e) = tracker.save() {
        if tracker.learned() {
            done.warnings
                .push(format!("{e}; the next command reads the channel again"));
        }
    }
    Ok(Some(Channel { vcs, tracker }))
}

/// Signs what this device owes the overlay after a scan.
fn act(
    ws: &Workspace,
    store_dir: &Path,
    pijul: &dyn Vcs,
    scan: &Scan,
    signed: &mut Vec<(SignedRecord, Cause)>,
) -> Result<()> {
    if scan.events.is_empty() || !ws.has_identity() {
        return Ok(());
    }
    // Without a usable identity or membership there is nothing this device may sign; the
    // changes simply stay unattested.
    let Ok(me) = ws.identity() else {
        return Ok(());
    };
    if check_can_sign(ws, &me).is_err() {
        return Ok(());
    }
    let mut pending = Pending::load(store_dir)?;
    let log = WorkingLog::of_store(store_dir);
    let squashes = squashes(pijul, &scan.events);
    for event in &scan.events {
        let arrived = match event {
            Event::Appeared { hash } | Event::Amended { new: hash, .. } => Some(hash),
            _ => None,
        };
        if let Some(squashed) = arrived.and_then(|new| squashes.get(new).map(|s| (new, s))) {
            let (new, from) = squashed;
            if !attested_by(ws, &me, new)? {
                let mut claims = Vec::new();
                let new_lines = pijul.added_lines(new).unwrap_or_default();
                for old in from {
                    if let Some(mut claim) = own_claim(ws, &me, old)? {
                        // A claim that named AI help without its lines: its lines are those
                        // of its change, found again in the squash.
                        if claim.ai.is_some() && claim.line_spans.is_empty() {
                            let old_lines = pijul.added_lines(old).unwrap_or_default();
                            claim.line_spans = found_again(&new_lines, &old_lines);
                        }
                        claims.push((old.clone(), claim));
                    }
                }
                if let Some(claim) = merge_squashed(claims) {
                    let cause = Cause::Squashed { from: from.clone() };
                    signed.push((attest(ws, &me, new.clone(), claim)?, cause));
                }
            }
            continue;
        }
        match event {
            Event::Amended { old, new } => {
                if let Some(claim) = carried_over(ws, &me, old, new)? {
                    let cause = Cause::CarriedOver { from: old.clone() };
                    signed.push((attest(ws, &me, new.clone(), claim)?, cause));
                }
            }
            Event::Appeared { hash } if !pending.is_empty() || log.has_states() => {
                let info = scan.arrivals.get(hash);
                let capture = info
                    .and_then(|i| i.timestamp_ms)
                    .and_then(|ms| pending.take_for(ms));
                if attested_by(ws, &me, hash)? {
                    continue;
                }
                let from_log = if log.has_states() {
                    from_working_log(&log, pijul, hash, info.and_then(|i| i.timestamp_ms))?
                } else {
                    Attribution::default()
                };
                let (claim, cause) = match (capture, info) {
                    (Some(capture), Some(info)) => {
                        (from_capture(capture, info), Cause::PreRecordHook)
                    }
                    // Without the hook's capture, only lines the working log saw written
                    // here, by agents or by the person between their edits, make the change
                    // this device's to attest.
                    _ if from_log.agent_lines > 0 || from_log.person_lines > 0 => {
                        (Claim::new(Origin::AgentHook), Cause::Checkpoints)
                    }
                    _ => continue,
                };
                let claim = claim.with_attribution(from_log);
                let record = attest(ws, &me, hash.clone(), claim)?;
                signed.push((record, cause));
            }
            _ => {}
        }
    }
    pending.save()
}

/// The changes that arrived in this scan as a squash of several that left in it, with what
/// each squashed (see [`Vcs::squashed_into`]). Asking costs nothing unless changes left.
fn squashes(vcs: &dyn Vcs, events: &[Event]) -> std::collections::HashMap<PatchId, Vec<PatchId>> {
    let departed: Vec<PatchId> = events
        .iter()
        .filter_map(|e| match e {
            Event::Unrecorded { hash } | Event::Amended { old: hash, .. } => Some(hash.clone()),
            _ => None,
        })
        .collect();
    let mut found = std::collections::HashMap::new();
    if departed.len() < 2 {
        return found;
    }
    for event in events {
        let new = match event {
            Event::Appeared { hash } | Event::Amended { new: hash, .. } => hash,
            _ => continue,
        };
        // Not knowing is no squash: each change then keeps what the plain rules say.
        if let Ok(squashed) = vcs.squashed_into(new, &departed) {
            if squashed.len() >= 2 {
                found.insert(new.clone(), squashed);
            }
        }
    }
    found
}

/// Where the lines `old` added are among the lines `new` added (same file, same text, each
/// line of `new` matched once, in order), as spans of `new`'s line numbers.
fn found_again(new: &[AddedLine], old: &[AddedLine]) -> Vec<LineSpan> {
    let mut used = vec![false; new.len()];
    let mut lines: Vec<(&str, u32)> = Vec::new();
    for o in old {
        let hit = new
            .iter()
            .enumerate()
            .find(|(i, n)| !used[*i] && n.file == o.file && n.text == o.text);
        if let Some((i, n)) = hit {
            used[i] = true;
            lines.push((&n.file, n.line));
        }
    }
    lines.sort();
    let mut spans: Vec<LineSpan> = Vec::new();
    for (file, line) in lines {
        match spans.last_mut() {
            Some(last) if last.file == file && last.end + 1 == line => last.end = line,
            _ => spans.push(LineSpan {
                file: file.to_string(),
                start: line,
                end: line,
            }),
        }
    }
    spans
}

/// What the working log says about the lines change `hash` added (the change is read from the
/// repository), with those lines settled.
fn from_working_log(
    log: &WorkingLog,
    pijul: &dyn Vcs,
    hash: &PatchId,
    recorded_ms: Option<u64>,
) -> Result<Attribution> {
    let lines = match pijul.added_lines(hash) {
        Ok(l) => l,
        Err(attrib_vcs_adapter::VcsError::UnknownChange(_)) => return Ok(Attribution::default()),
        Err(e) => return Err(e.into()),
    };
    let _lock = log.lock()?;
    attribute_added(log, pijul.repo(), &lines, recorded_ms)
}

/// This device's attestation of `old`, as a claim about `new` that names `old` as replaced;
/// `None` when there is none, or `new` is attested already.
fn carried_over(
    ws: &Workspace,
    me: &DeviceIdentity,
    old: &PatchId,
    new: &PatchId,
) -> Result<Option<Claim>> {
    if attested_by(ws, me, new)? {
        return Ok(None);
    }
    Ok(own_claim(ws, me, old)?.map(|mut claim| {
        claim.replaces = Some(old.clone());
        claim
    }))
}

/// The claim a hook's capture makes about the change it preceded: what the capture sources
/// said, else the message's trailers (marked detected), else a human-written change.
fn from_capture(capture: PendingCapture, info: &ChangeInfo) -> Claim {
    let mut claim = Claim {
        ai: capture.ai,
        decided: capture.decided,
        ..Claim::new(capture.origin)
    };
    let message = match &info.description {
        Some(d) => format!("{}\n\n{d}", info.message),
        None => info.message.clone(),
    };
    claim.detect_from(&message);
    claim
}

/// A change named on the command line: a full hash, or a unique prefix of a change the current
/// channel holds or held. Without a channel any valid patch id is taken as it is. With one, a
/// change the repository never had is refused when `in_repo` is set.
pub fn resolve_change(channel: Option<&Channel>, text: &str, in_repo: bool) -> Result<PatchId> {
    let text = text.trim();
    let Some(channel) = channel else {
        return PatchId::new(text).map_err(|e| anyhow!("{e}"));
    };
    let Some((name, record)) = channel.current() else {
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
            "change {full} is not in this repository (not on channel {name:?}, nor unrecorded from it); `{} log` lists its changes",
            channel.vcs.binary()
        );
    }
    Ok(full)
}
