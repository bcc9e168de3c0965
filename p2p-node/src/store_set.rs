//! The real store as the sync engine's record set.

use std::path::Path;

use attrib_overlay::ingest::{admission, precheck};
use attrib_overlay::{
    verify_batch, Membership, Outcome, PublicKey, Refusal, SignedRecord, Store, TeamId,
};

use crate::protocol::set::{RecordSet, SetError};
use crate::protocol::wire::SeqSpan;

/// A [`Store`] with its team and membership cached (evaluating membership reads every
/// membership record, so it is redone only after an ingest).
pub struct StoreSet {
    store: Store,
    team: TeamId,
    membership: Membership,
}

fn err(e: impl std::fmt::Display) -> SetError {
    SetError(e.to_string())
}

impl StoreSet {
    /// Opens the store in `dir`. It must belong to a team already (`attrib init`, or
    /// `attrib init --join`): a node syncs one team.
    pub fn open(dir: &Path) -> Result<StoreSet, SetError> {
        StoreSet::new(Store::open(dir).map_err(err)?)
    }

    /// Wraps a store already open. It must belong to a team, as for [`StoreSet::open`].
    pub fn new(store: Store) -> Result<StoreSet, SetError> {
        let membership = store
            .snapshot()
            .map_err(err)?
            .membership()
            .cloned()
            .ok_or_else(|| {
                SetError(
                    "the store has no team yet: run `attrib init` or `attrib init --join` first"
                        .into(),
                )
            })?;
        Ok(StoreSet {
            store,
            team: membership.team,
            membership,
        })
    }

    /// The store underneath, for reads the sync protocol does not need.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The team's membership as last read (at open or by [`StoreSet::refresh`]): who may
    /// connect.
    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// Re-reads the membership (after another process changed the store).
    pub fn refresh(&mut self) -> Result<(), SetError> {
        if let Some(m) = self.store.snapshot().map_err(err)?.membership() {
            self.membership = m.clone();
        }
        Ok(())
    }
}

impl RecordSet for StoreSet {
    fn team(&self) -> TeamId {
        self.team
    }

    fn is_member(&self, key: &PublicKey) -> bool {
        self.membership
            .members
            .get(key)
            .is_some_and(|m| m.revoked_after.is_none())
    }

    fn records_since(&self, cursor: u64, max: usize) -> Result<(Vec<SignedRecord>, u64), SetError> {
        let snap = self.store.snapshot().map_err(err)?;
        if cursor >= snap.log_len() {
            return Ok((Vec::new(), cursor));
        }
        snap.records_from(cursor, max).map_err(err)
    }

    fn records_in(
        &self,
        spans: &[SeqSpan],
        max_body_bytes: usize,
    ) -> Result<(Vec<SignedRecord>, bool), SetError> {
        let snap = self.store.snapshot().map_err(err)?;
        let mut out: Vec<SignedRecord> = Vec::new();
        let mut used = 0usize;
        for span in spans {
            let budget = max_body_bytes.saturating_sub(used);
            if budget == 0 && !out.is_empty() {
                return Ok((out, false));
            }
            let (records, complete) = snap
                .records_by_author(&span.author, span.first, span.last, budget.max(1))
                .map_err(err)?;
            used += records.iter().map(|r| r.body.len()).sum::<usize>();
            out.extend(records);
            if !complete {
                return Ok((out, false));
            }
        }
        Ok((out, true))
    }

    fn ingest(&mut self, records: &[SignedRecord], now_ms: u64) -> Result<Vec<Outcome>, SetError> {
        let outcomes = self.store.ingest(records, now_ms).map_err(err)?;
        if records.iter().any(|r| r.record.payload.is_membership()) {
            self.refresh()?;
        }
        Ok(outcomes)
    }

    /// The store's own judgement, in its order (see `Store::ingest`): the record checks, the
    /// signature, an equivocation, the signer's standing, then a duplicate.
    fn check(&self, records: &[SignedRecord], now_ms: u64) -> Result<Vec<Outcome>, SetError> {
        let snap = self.store.snapshot().map_err(err)?;
        let membership = snap.membership();
        let signatures = verify_batch(&records.iter().collect::<Vec<_>>());
        let mut out = Vec::with_capacity(records.len());
        for (r, signature_ok) in records.iter().zip(signatures) {
            if let Err(why) = precheck(r, Some(self.team), now_ms) {
                out.push(Outcome::Refused(why));
                continue;
            }
            if !signature_ok {
                out.push(Outcome::Refused(Refusal::BadSignature));
                continue;
            }
            let seq = r.record.seq;
            let (held, _) = snap
                .records_by_author(&r.signer, seq, seq, usize::MAX)
                .map_err(err)?;
            let id = r.id();
            out.push(if held.iter().any(|h| h.id() != id) {
                Outcome::Refused(Refusal::Equivocation { seq })
            } else if let Some(why) = admission(r, membership) {
                Outcome::Refused(why)
            } else if !held.is_empty() {
                Outcome::Duplicate
            } else {
                Outcome::Accepted
            });
        }
        Ok(out)
    }
}
