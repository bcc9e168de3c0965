//! Signing the claims an import planned, shared by the imports of foreign attribution
//! ([`super::agent_trace`], [`super::atomic`], [`super::git_ai`]): each planned attestation is
//! signed by the importer's own key with origin `imported`, unless the importer attested the
//! patch themselves (kept), their earlier import already says exactly this (unchanged), or,
//! where the import asks, a person attested it themselves (nothing is signed over their word).
//! Everything is stored in one transaction.

use anyhow::{anyhow, bail, Error, Result};
use attrib_overlay::{now_ms, Attestation, Origin, Outcome, PatchId, Payload, Record};

use super::Progress;
use crate::identity::DeviceIdentity;
use crate::signing::check_can_sign;
use crate::{sequence, Workspace};

/// How an import signs what it planned.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signing {
    /// Sign nothing (and take no signing lock): the fates say what would have been signed.
    pub dry_run: bool,
    /// Sign nothing where a person attested the patch themselves.
    pub keep_person: bool,
    /// The progress message while the claims are stored.
    pub message: &'static str,
}

/// What became of one planned claim.
#[derive(Debug)]
pub(crate) enum Fate {
    /// Signed now (new, or replacing an earlier import of the importer's); in a dry run, would
    /// have been.
    Attested,
    /// The importer's earlier import already says exactly this.
    Unchanged,
    /// The importer attested the patch themselves: their attestation is kept.
    KeptOwn,
    /// A person attested the patch themselves (only with [`Signing::keep_person`]).
    KeptPerson,
    /// The claim is not a valid attestation: why.
    Invalid(String),
}

/// Signs `planned` (each with the caller's name for it) as this device's imported claims and
/// stores them in one transaction, telling `fate` what became of each, in order. An error from
/// `fate` stops the import before anything is stored.
pub(crate) fn sign_claims<T>(
    ws: &Workspace,
    me: &DeviceIdentity,
    planned: Vec<(T, Attestation)>,
    how: Signing,
    progress: &dyn Progress,
    mut fate: impl FnMut(T, Fate) -> Result<()>,
) -> Result<()> {
    let _signing = if how.dry_run {
        None
    } else {
        check_can_sign(ws, me)?;
        Some(crate::files::lock(
            &ws.seq_dir().join(crate::signing::SIGNING_LOCK),
        )?)
    };
    let store = ws.store()?;
    let snap = store.snapshot()?;
    let team = snap
        .team()
        .ok_or_else(|| anyhow!("this store has no team yet"))?;
    let mut seq = sequence::next(&ws.seq_dir(), &snap, &me.public())?;
    let now = now_ms();
    let mut batch = Vec::new();
    for (name, a) in planned {
        let view = snap.patch(&a.patch)?;
        let mine = view.attestations.get(&me.public());
        if mine.is_some_and(|m| m.record.origin != Origin::Imported) {
            fate(name, Fate::KeptOwn)?;
            continue;
        }
        if how.keep_person
            && view
                .attestations
                .values()
                .any(|r| r.record.origin == Origin::Person)
        {
            fate(name, Fate::KeptPerson)?;
            continue;
        }
        if mine.is_some_and(|m| matches!(&m.record.payload, Payload::Attest(old) if *old == a)) {
            fate(name, Fate::Unchanged)?;
            continue;
        }
        let record = Record {
            seq,
            timestamp_ms: now,
            origin: Origin::Imported,
            payload: Payload::Attest(a),
        };
        if let Err(e) = record.validate() {
            fate(name, Fate::Invalid(e.to_string()))?;
            continue;
        }
        fate(name, Fate::Attested)?;
        if how.dry_run {
            continue;
        }
        batch.push(me.key.sign(team, record));
        seq = seq
            .checked_add(1)
            .ok_or_else(|| anyhow!("your sequence numbers are exhausted"))?;
    }
    drop(snap);
    if batch.is_empty() {
        return Ok(());
    }
    progress.set_length(batch.len() as u64);
    progress.set_message(how.message);
    let outcomes = store.ingest(&batch, now)?;
    progress.inc(batch.len() as u64);
    for (r, o) in batch.iter().zip(outcomes) {
        if let Outcome::Refused(why) = o {
            bail!(
                "the store refused your imported claim of {}: {why}",
                r.record.payload.patch().map_or("?", PatchId::as_str)
            );
        }
    }
    sequence::remember(&ws.seq_dir(), &team.to_hex(), seq - 1)?;
    Ok(())
}

/// What became of claims named by their patch, signed by an import that keeps only the
/// importer's own attestations ([`super::agent_trace`], [`super::atomic`]).
#[derive(Debug, Default)]
pub(crate) struct ByPatch {
    /// Patches attested now.
    pub attested: Vec<String>,
    /// Patches whose earlier import already says exactly this.
    pub unchanged: Vec<String>,
    /// Patches the importer attested themselves.
    pub kept_own: Vec<String>,
}

/// [`sign_claims`] for such an import: nothing is kept for a person's attestation, and a claim
/// that is not a valid attestation (`invalid(patch, why)`) stops the import.
pub(crate) fn sign_by_patch(
    ws: &Workspace,
    me: &DeviceIdentity,
    planned: Vec<Attestation>,
    message: &'static str,
    progress: &dyn Progress,
    invalid: impl Fn(&str, &str) -> Error,
) -> Result<ByPatch> {
    let planned = planned
        .into_iter()
        .map(|a| (a.patch.as_str().to_string(), a))
        .collect();
    let how = Signing {
        dry_run: false,
        keep_person: false,
        message,
    };
    let mut out = ByPatch::default();
    sign_claims(ws, me, planned, how, progress, |p, fate| {
        match fate {
            Fate::Attested => out.attested.push(p),
            Fate::Unchanged => out.unchanged.push(p),
            // Not asked for (`keep_person` is off), so never told.
            Fate::KeptOwn | Fate::KeptPerson => out.kept_own.push(p),
            Fate::Invalid(why) => return Err(invalid(&p, &why)),
        }
        Ok(())
    })?;
    Ok(out)
}
